/* test_sim_benign.c -- statistical sanity and consistency of the benign enterprise (sim_benign.c). */
#include <math.h>
#include <stdlib.h>
#include "test.h"
#include "sim.h"

#define START 1514764800 /* 2018-01-01 00:00 UTC, a Monday (Tokyo: 09:00) */
#define TZ 9             /* Tokyo, hours east of UTC */

/* A world of 60 hosts over 14 days, seed s. */
static vigil__sim_world *mkworld(uint64_t seed)
{
    vigil__sim_world *w = NULL;
    if (vigil__sim_world_new(&w, seed, START, 14, 60, NULL) != VIGIL_OK) return NULL;
    return w;
}

/* Collected connections of several hours (the strings they point to live
 * in the world's plan, so copies stay valid while the world does). */
typedef struct connset {
    vigil__sim_conn *c;          /* the connections */
    size_t n, cap;               /* used / allocated */
} connset;

static int add_hour(connset *s, const vigil__sim_world *w, unsigned day, unsigned hour)
{
    vigil__sim_hour *h = NULL;
    if (vigil__sim_hour_new(&h, w, day, hour) != VIGIL_OK) return 0;
    int ok = vigil__sim_benign_hour(w, h) == VIGIL_OK;
    size_t n;
    const vigil__sim_conn *c = vigil__sim_hour_conns(h, &n);
    if (ok && s->n + n > s->cap) {
        size_t nc = s->cap ? s->cap : 1024;
        while (nc < s->n + n) nc *= 2;
        vigil__sim_conn *p = realloc(s->c, nc * sizeof *p);
        if (!p) ok = 0;
        else { s->c = p; s->cap = nc; }
    }
    if (ok) {
        memcpy(s->c + s->n, c, n * sizeof *c);
        s->n += n;
    }
    vigil__sim_hour_free(h);
    return ok;
}

/* Number of connections in UTC hour `hour` of `day`. */
static size_t hour_count(const vigil__sim_world *w, unsigned day, unsigned hour)
{
    connset s = { 0 };
    size_t n = add_hour(&s, w, day, hour) ? s.n : 0;
    free(s.c);
    return n;
}

/* Connections in Tokyo local hours [from, to) of the date of UTC day `day`
 * (day >= 1). */
static size_t local_count(const vigil__sim_world *w, unsigned day, unsigned from, unsigned to)
{
    size_t n = 0;
    for (unsigned lh = from; lh < to; lh++)
        n += lh >= TZ ? hour_count(w, day, lh - TZ) : hour_count(w, day - 1, lh + 24 - TZ);
    return n;
}

/* Adds the 24 hours of the Tokyo date of UTC day `day` (day >= 1). */
static int add_local_day(connset *s, const vigil__sim_world *w, unsigned day)
{
    int ok = 1;
    for (unsigned h = 24 - TZ; h < 24; h++) ok &= add_hour(s, w, day - 1, h);
    for (unsigned h = 0; h < 24 - TZ; h++) ok &= add_hour(s, w, day, h);
    return ok;
}

/* UTC (day, hour) of Tokyo local hour `lh` on the date of UTC day `day`:
 * UTC day D at lh - 9, or day D - 1 at lh + 15 for early hours. */
static void local_to_utc(unsigned day, unsigned lh, unsigned *ud, unsigned *uh)
{
    if (lh >= TZ) { *ud = day; *uh = lh - TZ; }
    else { *ud = day - 1; *uh = lh + 24 - TZ; }
}

static const char *conn_name(const vigil__sim_conn *c)
{
    if (c->app == VIGIL__SIM_APP_SSL) return c->a.ssl.server_name;
    if (c->app == VIGIL__SIM_APP_HTTP) return c->a.http.host;
    if (c->app == VIGIL__SIM_APP_DNS) return c->a.dns.query;
    return NULL;
}

static int same_str(const char *a, const char *b)
{
    if (!a || !b) return a == b;
    return strcmp(a, b) == 0;
}

/* Field-by-field equality (strings by content: two worlds' plans hold
 * different copies of the same text). */
static int same_conn(const vigil__sim_conn *a, const vigil__sim_conn *b)
{
    if (a->ts != b->ts || a->duration != b->duration ||
        memcmp(&a->orig_h, &b->orig_h, sizeof a->orig_h) ||
        memcmp(&a->resp_h, &b->resp_h, sizeof a->resp_h) || a->orig_p != b->orig_p ||
        a->resp_p != b->resp_p || a->proto != b->proto || a->conn_state != b->conn_state ||
        a->app != b->app || a->local_orig != b->local_orig || a->local_resp != b->local_resp ||
        a->orig_bytes != b->orig_bytes || a->resp_bytes != b->resp_bytes ||
        a->orig_pkts != b->orig_pkts || a->resp_pkts != b->resp_pkts ||
        !same_str(a->service, b->service) || !same_str(a->history, b->history))
        return 0;
    switch (a->app) {
    case VIGIL__SIM_APP_DNS:
        return same_str(a->a.dns.query, b->a.dns.query) && a->a.dns.qtype == b->a.dns.qtype &&
               a->a.dns.rcode == b->a.dns.rcode && same_str(a->a.dns.answers, b->a.dns.answers) &&
               a->a.dns.ttl == b->a.dns.ttl && a->a.dns.rtt == b->a.dns.rtt;
    case VIGIL__SIM_APP_SSL:
        return same_str(a->a.ssl.server_name, b->a.ssl.server_name) &&
               same_str(a->a.ssl.version, b->a.ssl.version) &&
               same_str(a->a.ssl.cipher, b->a.ssl.cipher) && a->a.ssl.resumed == b->a.ssl.resumed;
    case VIGIL__SIM_APP_HTTP:
        return same_str(a->a.http.method, b->a.http.method) && same_str(a->a.http.host, b->a.http.host) &&
               same_str(a->a.http.uri, b->a.http.uri) &&
               same_str(a->a.http.user_agent, b->a.http.user_agent) &&
               a->a.http.status == b->a.http.status &&
               a->a.http.request_body_len == b->a.http.request_body_len &&
               a->a.http.response_body_len == b->a.http.response_body_len &&
               same_str(a->a.http.mime, b->a.http.mime);
    default:
        return 1;
    }
}

static int same_set(const connset *a, const connset *b)
{
    if (a->n != b->n) return 0;
    for (size_t i = 0; i < a->n; i++)
        if (!same_conn(&a->c[i], &b->c[i])) return 0;
    return 1;
}

static int addr_eq(const vigil_addr *a, const vigil_addr *b)
{
    return memcmp(a, b, sizeof *a) == 0;
}

/* 1 when `answers` ("cname,ip,ip") lists address a. */
static int answers_have(const char *answers, const vigil_addr *a)
{
    if (!answers) return 0;
    const char *p = answers;
    while (*p) {
        const char *e = strchr(p, ',');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        vigil_addr x;
        if (vigil_addr_parse(p, n, &x) && addr_eq(&x, a)) return 1;
        p += n;
        if (*p == ',') p++;
    }
    return 0;
}

/* Distinct addresses (linear set: the worlds here are small). */
typedef struct addrset {
    vigil_addr a[512];           /* members */
    size_t n;                    /* used */
} addrset;

static void addrset_add(addrset *s, const vigil_addr *a)
{
    for (size_t i = 0; i < s->n; i++)
        if (addr_eq(&s->a[i], a)) return;
    if (s->n < sizeof s->a / sizeof s->a[0]) s->a[s->n++] = *a;
}

/* ---- the tests ------------------------------------------------------------ */

TEST(simb_diurnal)
{
    /* Wednesday 2018-01-10 (UTC day 9): Tokyo 10-12 against 02-04. */
    vigil__sim_world *w = mkworld(11);
    CHECK(w != NULL);
    if (!w) return;
    size_t office = 0, night = 0;
    for (unsigned lh = 10; lh < 13; lh++) {
        unsigned d, h;
        local_to_utc(9, lh, &d, &h);
        office += hour_count(w, d, h);
    }
    for (unsigned lh = 2; lh < 5; lh++) {
        unsigned d, h;
        local_to_utc(9, lh, &d, &h);
        night += hour_count(w, d, h);
    }
    if (office < 3 * night)
        fprintf(stderr, "  office %zu night %zu\n", office, night);
    CHECK(night > 0);            /* background traffic never stops */
    CHECK(office >= 3 * night);
    vigil__sim_world_free(w);
}

TEST(simb_weekend_dip)
{
    /* Saturday 2018-01-13 against Wednesday 2018-01-10, Tokyo dates: the
     * whole day, and office hours alone (what remains is the background of
     * desktops left on, servers and pollers). */
    vigil__sim_world *w = mkworld(12);
    CHECK(w != NULL);
    if (!w) return;
    size_t sat = local_count(w, 12, 0, 24), wed = local_count(w, 9, 0, 24);
    size_t sat_o = local_count(w, 12, 9, 18), wed_o = local_count(w, 9, 9, 18);
    if (sat * 100 >= wed * 45 || sat_o * 10 >= wed_o * 3)
        fprintf(stderr, "  saturday %zu (office %zu) wednesday %zu (office %zu)\n", sat, sat_o, wed, wed_o);
    CHECK(sat > 0);
    CHECK(sat * 100 < wed * 45);
    CHECK(sat_o * 10 < wed_o * 3);
    vigil__sim_world_free(w);
}

TEST(simb_holidays)
{
    /* Office hours of Jan 2 (New Year closure) and Jan 8 (Coming of Age
     * Day, a Monday) look like a Sunday's next to Tuesday Jan 9's. */
    vigil__sim_world *w = mkworld(13);
    CHECK(w != NULL);
    if (!w) return;
    size_t jan2 = local_count(w, 1, 9, 18), jan8 = local_count(w, 7, 9, 18);
    size_t jan9 = local_count(w, 8, 9, 18);
    if (jan2 * 10 >= jan9 * 3 || jan8 * 10 >= jan9 * 3)
        fprintf(stderr, "  jan2 %zu jan8 %zu jan9 %zu\n", jan2, jan8, jan9);
    CHECK(jan2 * 10 < jan9 * 3);
    CHECK(jan8 * 10 < jan9 * 3);
    vigil__sim_world_free(w);
}

TEST(simb_every_conn_ends_in_its_hour)
{
    vigil__sim_world *w = mkworld(14);
    CHECK(w != NULL);
    if (!w) return;
    size_t bad = 0, total = 0;
    static const unsigned days[] = { 0, 5, 9, 13 };
    for (size_t i = 0; i < sizeof days / sizeof days[0]; i++) {
        for (unsigned h = 0; h < 24; h += 1) {
            connset s = { 0 };
            CHECK(add_hour(&s, w, days[i], h));
            double t0 = (double)START + days[i] * 86400.0 + h * 3600.0;
            for (size_t k = 0; k < s.n; k++) {
                const vigil__sim_conn *c = &s.c[k];
                double end = c->ts + c->duration;
                if (end < t0 || end >= t0 + 3600 || c->duration < 0 || c->ts < START) bad++;
            }
            total += s.n;
            free(s.c);
        }
    }
    CHECK(total > 10000);
    CHECK_EQ_U(bad, 0);
    vigil__sim_world_free(w);
}

TEST(simb_deterministic)
{
    vigil__sim_world *w = mkworld(15), *w2 = mkworld(15), *w3 = mkworld(16);
    CHECK(w && w2 && w3);
    if (w && w2 && w3) {
        /* Same hour twice, in between other hours; then on a fresh world. */
        connset a = { 0 }, b = { 0 }, c = { 0 }, d = { 0 }, e = { 0 };
        CHECK(add_hour(&a, w, 9, 2));
        CHECK(add_hour(&e, w, 9, 3));
        CHECK(add_hour(&e, w, 4, 20));
        CHECK(add_hour(&b, w, 9, 2));
        CHECK(add_hour(&c, w2, 9, 2));
        CHECK(add_hour(&d, w3, 9, 2));
        CHECK(a.n > 100);
        CHECK(same_set(&a, &b));
        CHECK(same_set(&a, &c));
        CHECK(!same_set(&a, &d)); /* another seed, another world */
        free(a.c); free(b.c); free(c.c); free(d.c); free(e.c);
    }
    vigil__sim_world_free(w);
    vigil__sim_world_free(w2);
    vigil__sim_world_free(w3);
}

/* The host id behind address a at time t (laptops move between UTC
 * days), or -1. */
static long host_of(const vigil__sim_world *w, const vigil_addr *a, double t)
{
    unsigned day = (unsigned)((t - START) / 86400.0);
    for (size_t i = 0; i < w->nhosts; i++) {
        vigil_addr x = vigil__sim_host_addr(w, &w->hosts[i], day);
        if (addr_eq(&x, a)) return (long)i;
    }
    return -1;
}

TEST(simb_shared_periodic_prevalence)
{
    /* Over a working day (Tokyo date), the update, telemetry, anti-virus
     * and NTP destinations are contacted by (nearly) every host that was
     * on (that resolved any name). */
    vigil__sim_world *w = mkworld(17);
    CHECK(w != NULL);
    if (!w) return;
    connset s = { 0 };
    CHECK(add_local_day(&s, w, 9));
    static const char *const names[] = {
        "ctldl.fenestra-update.com", "v10.events.fenestra-telemetry.com",
        "sig.kintsugi-av.com", NULL,
    };
    enum { NN = sizeof names / sizeof names[0] };
    unsigned char *on = calloc(w->nhosts, 1), *hit = calloc(w->nhosts * NN, 1);
    CHECK(on && hit);
    for (size_t i = 0; on && hit && i < s.n; i++) {
        const vigil__sim_conn *c = &s.c[i];
        if (!c->local_orig) continue;
        long id = host_of(w, &c->orig_h, c->ts);
        if (id < 0) continue;
        if (c->local_resp && c->resp_p == 53) on[id] = 1; /* resolved a name */
        if (c->local_resp) continue;
        for (size_t k = 0; k < NN; k++)
            if (names[k] ? (c->app != VIGIL__SIM_APP_DNS && same_str(conn_name(c), names[k]))
                         : (c->proto == VIGIL_PROTO_UDP && c->resp_p == 123))
                hit[id * NN + k] = 1;
    }
    for (size_t k = 0; on && hit && k < NN; k++) {
        size_t non = 0, both = 0;
        for (size_t i = 0; i < w->nhosts; i++) {
            non += on[i];
            both += on[i] && hit[i * NN + k];
        }
        if (both * 100 < non * 95)
            fprintf(stderr, "  %s: %zu of %zu hosts\n", names[k] ? names[k] : "ntp", both, non);
        CHECK(non >= 40);
        CHECK(both * 100 >= non * 95);
    }
    free(on);
    free(hit);
    free(s.c);
    vigil__sim_world_free(w);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

TEST(simb_ntp_is_regular)
{
    /* Consecutive NTP polls of one host are 1024 s apart within 0.1 s
     * (gaps while a host is off aside). */
    vigil__sim_world *w = mkworld(18);
    CHECK(w != NULL);
    if (!w) return;
    connset s = { 0 };
    for (unsigned h = 0; h < 24; h++) CHECK(add_hour(&s, w, 10, h));
    double *ts = malloc(s.n * sizeof *ts);
    CHECK(ts != NULL);
    size_t intervals = 0, off = 0;
    addrset *hosts = calloc(1, sizeof *hosts);
    for (size_t i = 0; ts && hosts && i < s.n; i++)
        if (s.c[i].resp_p == 123 && s.c[i].proto == VIGIL_PROTO_UDP) addrset_add(hosts, &s.c[i].orig_h);
    for (size_t k = 0; ts && hosts && k < hosts->n; k++) {
        size_t m = 0;
        for (size_t i = 0; i < s.n; i++)
            if (s.c[i].resp_p == 123 && s.c[i].proto == VIGIL_PROTO_UDP &&
                addr_eq(&s.c[i].orig_h, &hosts->a[k]))
                ts[m++] = s.c[i].ts;
        qsort(ts, m, sizeof *ts, cmp_double);
        for (size_t i = 1; i < m; i++) {
            double d = ts[i] - ts[i - 1];
            if (d > 1100) continue; /* switched off in between */
            intervals++;
            if (fabs(d - 1024.0) > 0.1) off++;
        }
    }
    CHECK(hosts && hosts->n >= 20);
    CHECK(intervals > 500);
    CHECK_EQ_U(off, 0);
    free(hosts);
    free(ts);
    free(s.c);
    vigil__sim_world_free(w);
}

TEST(simb_dns_answers_match_contacts)
{
    /* Every external TLS/HTTP connection to a name goes to an address the
     * same host got in a DNS answer for that name (the lookup of its cache
     * epoch, at most 10 minutes earlier: connections in the first 12
     * minutes of the window are skipped). */
    vigil__sim_world *w = mkworld(19);
    CHECK(w != NULL);
    if (!w) return;
    connset s = { 0 };
    for (unsigned h = 1; h < 5; h++) CHECK(add_hour(&s, w, 9, h)); /* Tokyo 10-14 */
    double from = (double)START + 9 * 86400.0 + 3600.0 + 720.0;
    size_t checked = 0, missing = 0, dns = 0;
    for (size_t i = 0; i < s.n; i++) {
        const vigil__sim_conn *c = &s.c[i];
        if (c->app == VIGIL__SIM_APP_DNS && c->a.dns.answers) {
            dns++;
            CHECK(c->a.dns.query != NULL);
        }
        if (c->app == VIGIL__SIM_APP_DNS || !c->local_orig || c->local_resp) continue;
        const char *name = conn_name(c);
        if (!name || c->ts < from) continue;
        int found = 0;
        for (size_t j = 0; j < s.n && !found; j++) {
            const vigil__sim_conn *d = &s.c[j];
            found = d->app == VIGIL__SIM_APP_DNS && d->a.dns.qtype == 1 &&
                    d->ts <= c->ts && d->ts > c->ts - 700 &&
                    addr_eq(&d->orig_h, &c->orig_h) && same_str(d->a.dns.query, name) &&
                    answers_have(d->a.dns.answers, &c->resp_h);
        }
        checked++;
        if (!found) {
            missing++;
            if (missing < 5) {
                char a[VIGIL_ADDR_STRLEN];
                fprintf(stderr, "  no answer for %s -> %s at %.6f\n", name,
                        vigil_addr_format(&c->resp_h, a), c->ts);
            }
        }
    }
    CHECK(dns > 500);
    CHECK(checked > 1000);
    CHECK_EQ_U(missing, 0);
    free(s.c);
    vigil__sim_world_free(w);
}

/* Connections that involve host h, by its address on the UTC day each
 * connection started (DHCP hands yesterday's laptop address to others). */
static size_t involving(const vigil__sim_world *w, const connset *s, const vigil__sim_host *h)
{
    size_t n = 0;
    for (size_t i = 0; i < s->n; i++) {
        vigil_addr a = vigil__sim_host_addr(w, h, (unsigned)((s->c[i].ts - START) / 86400.0));
        n += addr_eq(&s->c[i].orig_h, &a) || addr_eq(&s->c[i].resp_h, &a);
    }
    return n;
}

TEST(simb_switched_off_and_joining_hosts)
{
    vigil__sim_world *w = mkworld(20);
    CHECK(w != NULL);
    if (!w) return;
    const vigil__sim_host *offh = NULL, *joiner = NULL;
    for (size_t i = 0; i < w->nhosts; i++) {
        const vigil__sim_host *h = &w->hosts[i];
        if (h->off_from >= 0 && !offh) offh = h;
        if (h->join_day > 1 && !joiner) joiner = h;
    }
    CHECK(offh != NULL);
    CHECK(joiner != NULL);
    if (offh) {
        /* Silent on its off days (working days or not), heard on others. */
        for (int d = offh->off_from; d < offh->off_to; d += 3) {
            connset s = { 0 };
            for (unsigned h = 0; h < 24; h++) CHECK(add_hour(&s, w, (unsigned)d, h));
            CHECK_EQ_U(involving(w, &s, offh), 0);
            free(s.c);
        }
        size_t before = 0;
        for (int d = 0; d < (int)w->days; d++) {
            if (d >= offh->off_from && d < offh->off_to) continue;
            connset s = { 0 };
            for (unsigned h = 0; h < 24; h++) CHECK(add_hour(&s, w, (unsigned)d, h));
            before += involving(w, &s, offh);
            free(s.c);
        }
        CHECK(before > 0);
    }
    if (joiner) {
        for (unsigned d = 0; d < joiner->join_day; d++) {
            connset s = { 0 };
            for (unsigned h = 0; h < 24; h++) CHECK(add_hour(&s, w, d, h));
            CHECK_EQ_U(involving(w, &s, joiner), 0);
            free(s.c);
        }
        size_t after = 0;
        for (unsigned d = joiner->join_day; d < w->days; d++) {
            connset s = { 0 };
            for (unsigned h = 0; h < 24; h++) CHECK(add_hour(&s, w, d, h));
            after += involving(w, &s, joiner);
            free(s.c);
        }
        CHECK(after > 0);
    }
    vigil__sim_world_free(w);
}

/* 1 when a is in 10/8, 172.16/12 or 192.168/16. */
static int is_private(const vigil_addr *a)
{
    const uint8_t *b = a->b + 12;
    return b[0] == 10 || (b[0] == 172 && (b[1] & 0xf0) == 16) || (b[0] == 192 && b[1] == 168);
}

TEST(simb_records_are_well_formed)
{
    vigil__sim_world *w = mkworld(21);
    CHECK(w != NULL);
    if (!w) return;
    connset s = { 0 };
    for (unsigned h = 0; h < 24; h += 3) CHECK(add_hour(&s, w, 9, h));
    size_t bad_local = 0, bad_state = 0, bad_app = 0, bad_bytes = 0;
    size_t rej = 0, s0 = 0, http = 0, ssl = 0, icmp = 0, inbound = 0;
    for (size_t i = 0; i < s.n; i++) {
        const vigil__sim_conn *c = &s.c[i];
        if (c->local_orig != is_private(&c->orig_h) || c->local_resp != is_private(&c->resp_h)) bad_local++;
        if (c->conn_state == VIGIL_CS_UNSET || (c->proto != VIGIL_PROTO_ICMP && !c->history)) bad_state++;
        if (c->conn_state == VIGIL_CS_REJ) rej++;
        if (c->conn_state == VIGIL_CS_S0) s0++;
        if (c->conn_state == VIGIL_CS_SF && c->proto == VIGIL_PROTO_TCP && (!c->orig_pkts || !c->resp_pkts))
            bad_bytes++;
        if (c->proto == VIGIL_PROTO_ICMP) icmp++;
        if (!c->local_orig && c->local_resp) inbound++;
        if (c->truth) bad_app++;
        switch (c->app) {
        case VIGIL__SIM_APP_DNS: if (!c->a.dns.query || c->resp_p != 53) bad_app++; break;
        case VIGIL__SIM_APP_SSL:
            ssl++;
            if (!c->a.ssl.server_name || !c->a.ssl.version || !c->a.ssl.cipher) bad_app++;
            break;
        case VIGIL__SIM_APP_HTTP:
            http++;
            if (!c->a.http.host || !c->a.http.uri || !c->a.http.method || !c->a.http.user_agent ||
                !c->a.http.status)
                bad_app++;
            break;
        default: break;
        }
    }
    CHECK_EQ_U(bad_local, 0);
    CHECK_EQ_U(bad_state, 0);
    CHECK_EQ_U(bad_app, 0);
    CHECK_EQ_U(bad_bytes, 0);
    CHECK(rej + s0 > 0);   /* some noise */
    CHECK(http > 0);
    CHECK(ssl > http);
    CHECK(icmp > 0);
    free(s.c);
    (void)inbound;
    vigil__sim_world_free(w);
}

TEST(simb_traps_present)
{
    /* The pusher-like websocket host reconnects hundreds of times an hour,
     * at night too; the backup server uploads for hours at night; remote
     * staff come in over the VPN for hours. */
    vigil__sim_world *w = mkworld(22);
    CHECK(w != NULL);
    if (!w) return;
    size_t push_night = 0, backup_long = 0, vpn_long = 0, chat = 0;
    const vigil_addr bk = w->hosts[w->backup].addr, vpn = w->hosts[w->vpn].addr;
    for (unsigned d = 8; d < 11; d++) {
        connset s = { 0 };
        for (unsigned h = 0; h < 24; h++) CHECK(add_hour(&s, w, d, h));
        for (size_t i = 0; i < s.n; i++) {
            const vigil__sim_conn *c = &s.c[i];
            const char *n = conn_name(c);
            double lh = fmod((c->ts - START) / 3600.0 + TZ, 24.0);
            if (c->app == VIGIL__SIM_APP_SSL && same_str(n, "ws.pushwire.io") && lh >= 2 && lh < 3)
                push_night++;
            if (addr_eq(&c->orig_h, &bk) && !c->local_resp && c->duration > 3600 && c->orig_bytes > 1000000000ULL)
                backup_long++;
            if (addr_eq(&c->resp_h, &vpn) && !c->local_orig && c->duration > 3600) vpn_long++;
            if (c->app == VIGIL__SIM_APP_SSL && same_str(n, "gw.chatterly.com")) chat++;
        }
        free(s.c);
    }
    CHECK(push_night >= 3 * 100); /* at least one host, ~240 an hour */
    CHECK(backup_long >= 3 * 2);
    CHECK(vpn_long >= 1);
    CHECK(chat > 100);
    vigil__sim_world_free(w);
}
