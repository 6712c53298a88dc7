/* test_sim_core.c -- the simulator's core: rng, world, hour buffer, writers, driver. */
#include <dirent.h>
#include <math.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include "fixture.h"
#include "sim.h"

#define START_2018 1514764800 /* 2018-01-01 00:00:00 UTC, a Monday */

/* ---- helpers ---------------------------------------------------------------- */

/* Every regular file under `dir`, relative paths, sorted. */
typedef struct file_list {
    char **names;   /* relative paths */
    size_t n, cap;  /* used / allocated */
} file_list;

static void list_add(file_list *l, const char *name)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 64;
        l->names = realloc(l->names, l->cap * sizeof *l->names);
    }
    l->names[l->n++] = strdup(name);
}

static void list_walk(file_list *l, const char *root, const char *rel)
{
    char path[1024];
    snprintf(path, sizeof path, "%s%s%s", root, *rel ? "/" : "", rel);
    DIR *d = opendir(path);
    if (!d) return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') continue;
        char sub[1024], full[1200];
        snprintf(sub, sizeof sub, "%s%s%s", rel, *rel ? "/" : "", e->d_name);
        snprintf(full, sizeof full, "%s/%s", root, sub);
        struct stat st;
        if (stat(full, &st) != 0) continue;
        if (S_ISDIR(st.st_mode)) list_walk(l, root, sub);
        else list_add(l, sub);
    }
    closedir(d);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static file_list list_files(const char *root)
{
    file_list l = { NULL, 0, 0 };
    list_walk(&l, root, "");
    if (l.n) qsort(l.names, l.n, sizeof *l.names, cmp_str);
    return l;
}

static void list_free(file_list *l)
{
    for (size_t i = 0; i < l->n; i++) free(l->names[i]);
    free(l->names);
}

static unsigned char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = malloc((size_t)n + 1);
    if (fread(b, 1, (size_t)n, f) != (size_t)n) n = 0;
    fclose(f);
    b[n] = 0;
    *len = (size_t)n;
    return b;
}

static int is_log(const char *rel)
{
    return strncmp(rel, "zeek/", 5) == 0;
}

static vigil_sim_opts small_opts(const char *dir)
{
    vigil_sim_opts o;
    memset(&o, 0, sizeof o);
    o.out_dir = dir;
    o.hosts = 30;
    o.days = 2;
    o.seed = 1;
    return o;
}

static const char *subdir(const char *name)
{
    static char bufs[4][512];
    static int k;
    char *b = bufs[k++ % 4];
    snprintf(b, 512, "%s/%s", test_tmpdir(), name);
    return b;
}

/* ---- rng --------------------------------------------------------------------- */

TEST(sim_rng_deterministic)
{
    CHECK(vigil__sim_hash(1, 2, 3, 4) == vigil__sim_hash(1, 2, 3, 4));
    CHECK(vigil__sim_hash(1, 2, 3, 4) != vigil__sim_hash(2, 2, 3, 4));
    CHECK(vigil__sim_hash(1, 2, 3, 4) != vigil__sim_hash(1, 3, 2, 4));
    CHECK(vigil__sim_hash(1, 2, 3, 4) != vigil__sim_hash(1, 2, 3, 5));
    vigil__sim_rng a, b;
    vigil__sim_rng_seed(&a, 99);
    vigil__sim_rng_seed(&b, 99);
    for (int i = 0; i < 1000; i++) CHECK(vigil__sim_rng_u64(&a) == vigil__sim_rng_u64(&b));
    double lo = 1, hi = 0, sum = 0;
    for (uint64_t i = 0; i < 100000; i++) {
        double u = vigil__sim_unit(vigil__sim_hash(7, VIGIL__SIM_S_WORLD, i, 0));
        if (u < lo) lo = u;
        if (u > hi) hi = u;
        CHECK(u >= 0 && u < 1);
        double v = vigil__sim_rng_unit(&a);
        CHECK(v >= 0 && v < 1);
        sum += vigil__sim_rng_exp(&a, 2.0);
    }
    CHECK(lo < 0.001 && hi > 0.999);
    CHECK(fabs(sum / 100000 - 2.0) < 0.05); /* exponential mean */
    CHECK(vigil__sim_unit(0) == 0.0);
    CHECK(vigil__sim_unit(~0ULL) < 1.0);
    double m = 0, m2 = 0;
    for (int i = 0; i < 100000; i++) {
        double z = vigil__sim_rng_normal(&a);
        m += z;
        m2 += z * z;
    }
    CHECK(fabs(m / 100000) < 0.02);
    CHECK(fabs(m2 / 100000 - 1) < 0.03);
    /* Log-normal: the median is the median. */
    int below = 0;
    for (int i = 0; i < 10000; i++) below += vigil__sim_rng_lognormal(&a, 500, 1.0) < 500;
    CHECK(below > 4700 && below < 5300);
}

TEST(sim_rng_uniform_chi_square)
{
    /* 200000 draws in 100 bins from the hash and from the generator:
     * chi-square with 99 degrees of freedom stays under 150 (p ~ 0.001). */
    enum { BINS = 100, N = 200000 };
    unsigned hb[BINS] = { 0 }, rb[BINS] = { 0 };
    vigil__sim_rng r;
    vigil__sim_rng_seed(&r, vigil__sim_hash(3, 1, 4, 1));
    for (uint64_t i = 0; i < N; i++) {
        hb[(int)(vigil__sim_unit(vigil__sim_hash(5, VIGIL__SIM_S_BROWSE, i, 9)) * BINS)]++;
        rb[(int)(vigil__sim_rng_unit(&r) * BINS)]++;
    }
    double ch = 0, cr = 0, e = (double)N / BINS;
    for (int i = 0; i < BINS; i++) {
        ch += (hb[i] - e) * (hb[i] - e) / e;
        cr += (rb[i] - e) * (rb[i] - e) / e;
    }
    CHECK(ch < 150);
    CHECK(cr < 150);
}

TEST(sim_zipf_rank0_most_often)
{
    vigil__sim_zipf z;
    CHECK(vigil__sim_zipf_init(&z, 0, 1.0, NULL) == VIGIL_EINVAL);
    CHECK(vigil__sim_zipf_init(&z, 1000, 1.1, NULL) == VIGIL_OK);
    unsigned counts[1000] = { 0 };
    vigil__sim_rng r;
    vigil__sim_rng_seed(&r, 1);
    for (int i = 0; i < 100000; i++) {
        size_t k = vigil__sim_zipf_draw(&z, vigil__sim_rng_unit(&r));
        CHECK(k < 1000);
        if (k < 1000) counts[k]++;
    }
    for (int i = 1; i < 1000; i++) CHECK(counts[0] > counts[i]);
    CHECK(counts[0] > counts[1] && counts[1] > counts[3] && counts[3] > counts[30]);
    CHECK(vigil__sim_zipf_draw(&z, 0.0) == 0);
    CHECK(vigil__sim_zipf_draw(&z, 0.9999999999) < 1000);
    vigil__sim_zipf_free(&z, vigil_allocator_default());
    CHECK(z.cdf == NULL);
}

/* ---- the world ------------------------------------------------------------------ */

TEST(sim_world_shape)
{
    vigil__sim_world *w = NULL;
    CHECK(vigil__sim_world_new(&w, 1, START_2018, 28, 19, NULL) == VIGIL_EINVAL);
    CHECK(vigil__sim_world_new(&w, 1, START_2018, 0, 500, NULL) == VIGIL_EINVAL);
    CHECK(vigil__sim_world_new(&w, 1, START_2018, 28, 500, NULL) == VIGIL_OK);
    if (!w) return;
    CHECK_EQ_U(w->nhosts, 500);
    CHECK(w->tz_offset == 9 * 3600);
    CHECK(w->npeople > 400);
    unsigned wallet = 0, laptops = 0, joiners = 0, off = 0, srv = 0;
    for (size_t i = 0; i < w->nhosts; i++) {
        const vigil__sim_host *h = &w->hosts[i];
        CHECK(h->id == i);
        CHECK(h->dept < w->ndepts);
        wallet += h->role == VIGIL__SIM_WALLET_OPS;
        laptops += h->role == VIGIL__SIM_LAPTOP;
        joiners += h->join_day > 0;
        off += h->off_from >= 0;
        srv += h->role == VIGIL__SIM_SERVER;
        if (h->role == VIGIL__SIM_SERVER) CHECK(h->owner == -1);
        else CHECK(h->owner >= 0 && (size_t)h->owner < w->npeople);
        /* RFC 1918 */
        const uint8_t *b = h->addr.b;
        CHECK(vigil_addr_is_v4(&h->addr));
        CHECK(b[12] == 10 || (b[12] == 172 && b[13] >= 16 && b[13] < 32));
        for (size_t k = 0; k < i; k++) CHECK(strcmp(w->hosts[k].name, h->name) != 0);
    }
    CHECK(wallet >= 3);
    CHECK(laptops > 50);
    CHECK(joiners >= 2);
    CHECK_EQ_U(off, 1);
    CHECK_EQ_U(srv, 8);
    CHECK(w->hosts[w->resolver[0]].server == VIGIL__SIM_SRV_DNS);
    CHECK(w->hosts[w->resolver[1]].server == VIGIL__SIM_SRV_DNS);
    CHECK(w->resolver[0] != w->resolver[1]);
    CHECK(w->hosts[w->dc].server == VIGIL__SIM_SRV_DC);
    CHECK(w->hosts[w->monitor].server == VIGIL__SIM_SRV_MONITOR);
    CHECK(w->hosts[w->backup].server == VIGIL__SIM_SRV_BACKUP);
    CHECK(w->hosts[w->vpn].server == VIGIL__SIM_SRV_VPN);
    CHECK(w->hosts[w->wallet_server].server == VIGIL__SIM_SRV_WALLET);
    /* Unique e-mails at the company domain. */
    for (size_t i = 0; i < w->npeople; i++) {
        CHECK(strstr(w->people[i].email, "@coinvault.co.jp") != NULL);
        for (size_t k = 0; k < i; k++) CHECK(strcmp(w->people[k].email, w->people[i].email) != 0);
    }
    /* Laptops move between days, and no two hosts share an address on
     * the same day. */
    unsigned moved = 0;
    for (unsigned day = 0; day < 3; day++) {
        for (size_t i = 0; i < w->nhosts; i++) {
            vigil_addr a = vigil__sim_host_addr(w, &w->hosts[i], day);
            if (day == 1 && memcmp(&a, &w->hosts[i].addr, sizeof a) != 0) moved++;
            for (size_t k = 0; k < i; k++) {
                vigil_addr b = vigil__sim_host_addr(w, &w->hosts[k], day);
                CHECK(memcmp(&a, &b, sizeof a) != 0);
            }
        }
    }
    CHECK(moved > 50);
    vigil__sim_world_free(w);
    vigil__sim_world_free(NULL);
}

TEST(sim_world_calendar_and_activity)
{
    vigil__sim_world *w = NULL;
    CHECK(vigil__sim_world_new(&w, 1, START_2018, 28, 100, NULL) == VIGIL_OK);
    if (!w) return;
    /* January 2018 in Tokyo: 1-3 closed, 4-5 work, 6-7 weekend, 8 Coming
     * of Age day, 9-12 work, 13-14 weekend. */
    static const int off[15] = { 1, 1, 1, 0, 0, 1, 1, 1, 0, 0, 0, 0, 1, 1, 0 };
    for (unsigned d = 0; d < 15; d++) CHECK(vigil__sim_is_day_off(w, d) == off[d]);
    const vigil__sim_host *ws = NULL;
    for (size_t i = 0; i < w->nhosts && !ws; i++)
        if (w->hosts[i].role == VIGIL__SIM_WORKSTATION && w->hosts[i].join_day == 0 &&
            w->hosts[i].off_from < 0)
            ws = &w->hosts[i];
    CHECK(ws != NULL);
    if (ws) {
        double day9 = START_2018 + 9 * 86400.0; /* Tue Jan 10 09:00 Tokyo */
        /* 11:00 Tokyo = 02:00 UTC: busy; 03:00 Tokyo: idle; lunch dip. */
        CHECK(vigil__sim_activity(w, ws, day9 + 2 * 3600) > 0.8);
        CHECK(vigil__sim_activity(w, ws, day9 - 6 * 3600) == 0);
        CHECK(vigil__sim_activity(w, ws, day9 + 3.5 * 3600) < vigil__sim_activity(w, ws, day9 + 2 * 3600));
        /* A Saturday, and New Year's day: nobody. */
        CHECK(vigil__sim_activity(w, ws, START_2018 + 5 * 86400.0 + 2 * 3600) == 0);
        CHECK(vigil__sim_activity(w, ws, START_2018 + 2 * 3600) == 0);
        for (double t = day9 - 86400; t < day9 + 86400; t += 600) {
            double a = vigil__sim_activity(w, ws, t);
            CHECK(a >= 0 && a <= 1);
        }
    }
    CHECK(vigil__sim_activity(w, &w->hosts[w->dc], START_2018 + 3600) == 1.0);
    /* Joins and absences. */
    for (size_t i = 0; i < w->nhosts; i++) {
        const vigil__sim_host *h = &w->hosts[i];
        if (h->join_day) {
            CHECK(!vigil__sim_host_active(w, h, h->join_day - 1u));
            CHECK(vigil__sim_host_active(w, h, h->join_day));
        }
        if (h->off_from >= 0) {
            CHECK(h->off_to - h->off_from == 7);
            CHECK(!vigil__sim_host_active(w, h, (unsigned)h->off_from));
            CHECK(vigil__sim_host_active(w, h, (unsigned)h->off_to));
        }
    }
    vigil__sim_world_free(w);
}

TEST(sim_world_deterministic_per_seed)
{
    vigil__sim_world *a = NULL, *b = NULL, *c = NULL;
    CHECK(vigil__sim_world_new(&a, 5, START_2018, 10, 200, NULL) == VIGIL_OK);
    CHECK(vigil__sim_world_new(&b, 5, START_2018, 10, 200, NULL) == VIGIL_OK);
    CHECK(vigil__sim_world_new(&c, 6, START_2018, 10, 200, NULL) == VIGIL_OK);
    if (a && b && c) {
        CHECK(memcmp(a->hosts, b->hosts, a->nhosts * sizeof *a->hosts) == 0);
        CHECK(memcmp(a->people, b->people, a->npeople * sizeof *a->people) == 0);
        CHECK(memcmp(a->people, c->people, a->npeople * sizeof *a->people) != 0);
    }
    vigil__sim_world_free(a);
    vigil__sim_world_free(b);
    vigil__sim_world_free(c);
}

TEST(sim_world_allocation_failure_is_clean)
{
    int ok = 0;
    for (int n = 1; n < 2000 && !ok; n++) {
        test_fail_alloc fa;
        vigil_allocator al = test_fail_allocator(&fa, n);
        vigil__sim_world *w = NULL;
        vigil_status rc = vigil__sim_world_new(&w, 1, START_2018, 5, 60, &al);
        if (rc == VIGIL_OK) {
            ok = 1;
            CHECK(fa.calls < n); /* no failure was injected */
            vigil__sim_world_free(w);
        } else {
            CHECK(rc == VIGIL_ENOMEM);
            CHECK(w == NULL);
        }
    }
    CHECK(ok);
}

/* ---- the hour buffer -------------------------------------------------------------- */

TEST(sim_hour_buffer)
{
    vigil__sim_world *w = NULL;
    CHECK(vigil__sim_world_new(&w, 1, START_2018, 2, 30, NULL) == VIGIL_OK);
    if (!w) return;
    vigil__sim_hour *h = NULL;
    CHECK(vigil__sim_hour_new(&h, w, 1, 5) == VIGIL_OK);
    if (!h) { vigil__sim_world_free(w); return; }
    CHECK(vigil__sim_hour_t0(h) == START_2018 + 86400.0 + 5 * 3600);
    CHECK(vigil__sim_hour_day(h) == 1);
    CHECK(vigil__sim_hour_index(h) == 5);
    double t0 = vigil__sim_hour_t0(h);
    char big[100000];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = 0;
    for (int i = 0; i < 5000; i++) {
        vigil__sim_conn c;
        memset(&c, 0, sizeof c);
        c.ts = t0 + i * 0.5;
        c.duration = 0.25;
        char name[32];
        snprintf(name, sizeof name, "host%d.example", i);
        c.a.dns.query = vigil__sim_hour_strdup(h, i == 77 ? big : name);
        CHECK(c.a.dns.query != NULL);
        c.app = VIGIL__SIM_APP_DNS;
        vigil__sim_udp(&c, 40, 90);
        CHECK(vigil__sim_emit(h, &c) == VIGIL_OK);
    }
    size_t n;
    const vigil__sim_conn *cs = vigil__sim_hour_conns(h, &n);
    CHECK_EQ_U(n, 5000);
    CHECK_STR(cs[4999].a.dns.query, "host4999.example");
    CHECK(strlen(cs[77].a.dns.query) == sizeof big - 1);
    CHECK_STR(cs[0].service, "dns");
    CHECK_STR(cs[0].history, "Dd");
    CHECK(cs[0].conn_state == VIGIL_CS_SF && cs[0].proto == VIGIL_PROTO_UDP);
    vigil__sim_hour_reset(h, 0, 23);
    cs = vigil__sim_hour_conns(h, &n);
    CHECK_EQ_U(n, 0);
    CHECK(vigil__sim_hour_t0(h) == START_2018 + 23 * 3600.0);
    CHECK_STR(vigil__sim_hour_strdup(h, "again"), "again");

    /* The TCP helpers give consistent states. */
    vigil__sim_conn c;
    memset(&c, 0, sizeof c);
    c.app = VIGIL__SIM_APP_SSL;
    vigil__sim_tcp_ok(&c, 1000, 50000);
    CHECK(c.conn_state == VIGIL_CS_SF && c.proto == VIGIL_PROTO_TCP);
    CHECK_STR(c.history, "ShADadFf");
    CHECK_STR(c.service, "ssl");
    CHECK(c.resp_pkts >= 50000 / 1448 && c.orig_pkts >= 3);
    vigil__sim_tcp_rej(&c);
    CHECK(c.conn_state == VIGIL_CS_REJ && c.orig_bytes == 0 && c.resp_pkts == 1);
    CHECK_STR(c.history, "Sr");
    vigil__sim_tcp_s0(&c);
    CHECK(c.conn_state == VIGIL_CS_S0 && c.resp_pkts == 0);
    CHECK_STR(c.history, "S");
    memset(&c, 0, sizeof c);
    vigil__sim_udp(&c, 48, 0);
    CHECK(c.conn_state == VIGIL_CS_S0 && c.resp_pkts == 0 && c.orig_pkts == 1);
    vigil__sim_hour_free(h);
    vigil__sim_hour_free(NULL);
    vigil__sim_world_free(w);
}

/* ---- writers on a hand-made hour --------------------------------------------------- */

static vigil_addr v4(unsigned a, unsigned b, unsigned c, unsigned d)
{
    vigil_addr x;
    memset(&x, 0, sizeof x);
    x.b[10] = x.b[11] = 0xff;
    x.b[12] = (uint8_t)a;
    x.b[13] = (uint8_t)b;
    x.b[14] = (uint8_t)c;
    x.b[15] = (uint8_t)d;
    return x;
}

/* Tricky strings: separator, backslash, markers, control bytes, quotes. */
static const char *const tricky[] = {
    "plain.example.com", "tab\there", "back\\slash", "-", "(empty)", "",
    "ctl\x01\x1f end", "quote\"s", "comma,inside", "\\x41 literal",
};
#define NTRICKY (sizeof tricky / sizeof tricky[0])

/* Fills `h` with connections of every kind, times near the edges. */
static void fill_hour(vigil__sim_hour *h, int n)
{
    double t0 = vigil__sim_hour_t0(h);
    for (int i = 0; i < n; i++) {
        vigil__sim_conn c;
        memset(&c, 0, sizeof c);
        c.orig_h = v4(10, 10, 0, (unsigned)(10 + i % 200));
        c.resp_h = v4(93, 184, (unsigned)(i % 256), (unsigned)(i * 7 % 256));
        c.orig_p = (uint16_t)(49152 + i);
        c.local_orig = 1;
        c.duration = (i % 5) * 1.5;
        c.ts = t0 + (i * 3599.0) / n - c.duration;
        if (i == 0) { c.ts = t0 - 7200.5; c.duration = 7200.5; }   /* long */
        if (i == 1) { c.duration = 0.0000004; c.ts = t0 + 3599.999999; } /* edge */
        const char *s = tricky[(i / 5) % NTRICKY];
        switch (i % 5) {
        case 0:
            c.resp_p = 53;
            c.resp_h = v4(10, 0, 1, 10);
            c.local_resp = 1;
            c.app = VIGIL__SIM_APP_DNS;
            c.a.dns.query = *s ? s : "x";
            c.a.dns.qtype = i % 3 ? 1 : 16;
            c.a.dns.rcode = i % 7 ? 0 : 3;
            c.a.dns.answers = i % 7 ? "93.184.216.34,93.184.216.35" : NULL;
            c.a.dns.ttl = 300;
            c.a.dns.rtt = 0.0021;
            vigil__sim_udp(&c, 40, i % 11 ? 90 : 0);
            break;
        case 1:
            c.resp_p = 443;
            c.app = VIGIL__SIM_APP_SSL;
            c.a.ssl.server_name = s;
            c.a.ssl.version = i % 2 ? "TLSv12" : "TLSv13";
            c.a.ssl.cipher = "TLS_AES_128_GCM_SHA256";
            c.a.ssl.resumed = i % 3 == 0;
            vigil__sim_tcp_ok(&c, 700, 4000 + (uint64_t)i);
            break;
        case 2:
            c.resp_p = 80;
            c.app = VIGIL__SIM_APP_HTTP;
            c.a.http.method = "POST";
            c.a.http.host = "update.example.com";
            c.a.http.uri = s;
            c.a.http.user_agent = "Mozilla/5.0 (Windows NT 10.0; Win64; x64)";
            c.a.http.status = i % 4 ? 200 : 0;
            c.a.http.request_body_len = (uint64_t)i % 3;
            c.a.http.response_body_len = 512;
            c.a.http.mime = "text/html";
            vigil__sim_tcp_ok(&c, 300, 900);
            break;
        case 3:
            c.resp_p = 8443;
            if (i % 2) vigil__sim_tcp_rej(&c);
            else vigil__sim_tcp_s0(&c);
            c.duration = 0;
            break;
        default:
            c.resp_p = 123;
            c.proto = VIGIL_PROTO_UDP;
            vigil__sim_udp(&c, 48, 48);
            c.service = s[0] ? s : NULL;
            break;
        }
        CHECK(vigil__sim_emit(h, &c) == VIGIL_OK);
    }
}

/* Rows in emission order with quantised times, as the driver makes them. */
static vigil__sim_row *make_rows(vigil__sim_hour *h, size_t *n)
{
    const vigil__sim_conn *cs = vigil__sim_hour_conns(h, n);
    vigil__sim_row *rows = calloc(*n ? *n : 1, sizeof *rows);
    int64_t t0 = (int64_t)vigil__sim_hour_t0(h) * 1000000;
    for (size_t i = 0; i < *n; i++) {
        int64_t end = llround((cs[i].ts + cs[i].duration) * 1e6);
        if (end >= t0 + 3600000000LL) end = t0 + 3599999999LL;
        int64_t ts = llround(cs[i].ts * 1e6);
        if (ts > end) ts = end;
        rows[i].c = &cs[i];
        rows[i].ts_us = ts;
        rows[i].dur_us = end - ts;
        snprintf(rows[i].uid, sizeof rows[i].uid, "Cx%016u", (unsigned)(i % 100000000u));
    }
    return rows;
}

/* 1 when the string reads as a marker: unset, empty, or the marker text
 * itself (TSV escapes "-" and "(empty)" values, JSON does not, and vigil's
 * TSV reader compares markers after unescaping). */
static int vstr_marker(vigil_str a)
{
    return !a.p || a.len == 0 || (a.len == 1 && a.p[0] == '-') ||
           (a.len == 7 && memcmp(a.p, "(empty)", 7) == 0);
}

static int vstr_eq(vigil_str a, vigil_str b)
{
    if (vstr_marker(a) && vstr_marker(b)) return 1;
    if (!a.p || !b.p) return !a.p && !b.p;
    return a.len == b.len && memcmp(a.p, b.p, a.len) == 0;
}

static int vstr_is(vigil_str a, const char *s)
{
    if (!s) return a.p == NULL;
    return a.p && a.len == strlen(s) && memcmp(a.p, s, a.len) == 0;
}

/* Compares two records field by field; returns 1 when equal. */
static int records_equal(const vigil_record *a, const vigil_record *b)
{
    if (a->type != b->type || a->ts != b->ts) return 0;
    const vigil_conn_id *ia = &a->u.conn.id, *ib = &b->u.conn.id;
    if (ia->ts != ib->ts || !vstr_eq(ia->uid, ib->uid) || memcmp(&ia->orig_h, &ib->orig_h, 16) ||
        memcmp(&ia->resp_h, &ib->resp_h, 16) || ia->orig_p != ib->orig_p || ia->resp_p != ib->resp_p)
        return 0;
    switch (a->type) {
    case VIGIL_LOG_CONN: {
        const vigil_conn *x = &a->u.conn, *y = &b->u.conn;
        return x->proto == y->proto && x->conn_state == y->conn_state &&
               x->local_orig == y->local_orig && x->local_resp == y->local_resp &&
               x->present == y->present && x->duration == y->duration &&
               x->orig_bytes == y->orig_bytes && x->resp_bytes == y->resp_bytes &&
               x->missed_bytes == y->missed_bytes && x->orig_pkts == y->orig_pkts &&
               x->orig_ip_bytes == y->orig_ip_bytes && x->resp_pkts == y->resp_pkts &&
               x->resp_ip_bytes == y->resp_ip_bytes && vstr_eq(x->service, y->service) &&
               vstr_eq(x->history, y->history);
    }
    case VIGIL_LOG_DNS: {
        const vigil_dns *x = &a->u.dns, *y = &b->u.dns;
        return x->proto == y->proto && x->rejected == y->rejected && x->qtype == y->qtype &&
               x->rcode == y->rcode && x->trans_id == y->trans_id && x->rtt == y->rtt &&
               vstr_eq(x->query, y->query) && vstr_eq(x->qtype_name, y->qtype_name) &&
               vstr_eq(x->rcode_name, y->rcode_name) && vstr_eq(x->answers, y->answers) &&
               vstr_eq(x->ttls, y->ttls);
    }
    case VIGIL_LOG_SSL: {
        const vigil_ssl *x = &a->u.ssl, *y = &b->u.ssl;
        return x->established == y->established && x->resumed == y->resumed &&
               vstr_eq(x->version, y->version) && vstr_eq(x->cipher, y->cipher) &&
               vstr_eq(x->server_name, y->server_name) && vstr_eq(x->subject, y->subject) &&
               vstr_eq(x->issuer, y->issuer);
    }
    case VIGIL_LOG_HTTP: {
        const vigil_http *x = &a->u.http, *y = &b->u.http;
        return x->status_code == y->status_code && x->request_body_len == y->request_body_len &&
               x->response_body_len == y->response_body_len && vstr_eq(x->method, y->method) &&
               vstr_eq(x->host, y->host) && vstr_eq(x->uri, y->uri) &&
               vstr_eq(x->referrer, y->referrer) && vstr_eq(x->user_agent, y->user_agent) &&
               vstr_eq(x->resp_mime_types, y->resp_mime_types);
    }
    default:
        return 1;
    }
}

/* Reads two files in lockstep: same records, none skipped.  Returns the
 * number of records. */
static uint64_t compare_files(const char *pa, const char *pb)
{
    vigil_reader *ra = NULL, *rb = NULL;
    uint64_t n = 0;
    CHECK(vigil_reader_open(&ra, pa, NULL) == VIGIL_OK);
    CHECK(vigil_reader_open(&rb, pb, NULL) == VIGIL_OK);
    if (!ra || !rb) goto out;
    for (;;) {
        const vigil_record *a = NULL, *b = NULL;
        CHECK(vigil_reader_next(ra, &a) == VIGIL_OK);
        /* a is borrowed until the next call on ra: compare before that. */
        CHECK(vigil_reader_next(rb, &b) == VIGIL_OK);
        if (!a || !b) {
            CHECK(!a && !b);
            break;
        }
        if (!records_equal(a, b)) {
            fprintf(stderr, "  %s:%llu and %s:%llu differ\n", pa, (unsigned long long)a->line,
                    pb, (unsigned long long)b->line);
            vigil_test_failures++;
            break;
        }
        n++;
    }
    CHECK_EQ_U(vigil_reader_counts_get(ra)->skipped, 0);
    CHECK_EQ_U(vigil_reader_counts_get(rb)->skipped, 0);
out:
    vigil_reader_free(ra);
    vigil_reader_free(rb);
    return n;
}

static void make_day_dir(const char *root, const char *day)
{
    char p[1024];
    mkdir(root, 0777);
    snprintf(p, sizeof p, "%s/zeek", root);
    mkdir(p, 0777);
    snprintf(p, sizeof p, "%s/zeek/%s", root, day);
    mkdir(p, 0777);
}

TEST(sim_writer_formats_round_trip)
{
    vigil__sim_world *w = NULL;
    CHECK(vigil__sim_world_new(&w, 1, START_2018, 2, 30, NULL) == VIGIL_OK);
    if (!w) return;
    vigil__sim_hour *h = NULL;
    CHECK(vigil__sim_hour_new(&h, w, 1, 23) == VIGIL_OK);
    fill_hour(h, 500);
    size_t n;
    vigil__sim_row *rows = make_rows(h, &n);
    int64_t t0 = (int64_t)vigil__sim_hour_t0(h);
    static const struct { const char *name; int json, gzip; } variants[] = {
        { "tsvgz", 0, 1 }, { "tsv", 0, 0 }, { "jsongz", 1, 1 }, { "json", 1, 0 },
    };
    vigil__sim_counts counts[4];
    for (int v = 0; v < 4; v++) {
        const char *dir = subdir(variants[v].name);
        make_day_dir(dir, "2018-01-02");
        vigil__sim_out o = { dir, variants[v].json, variants[v].gzip };
        vigil__sim_writer *wr = NULL;
        CHECK(vigil__sim_writer_new(&wr, &o, NULL) == VIGIL_OK);
        memset(&counts[v], 0, sizeof counts[v]);
        CHECK(vigil__sim_writer_hour(wr, w, t0, rows, n, &counts[v]) == VIGIL_OK);
        vigil__sim_writer_free(wr);
        CHECK_EQ_U(counts[v].conn, 500);
        CHECK_EQ_U(counts[v].dns, 100);
        CHECK_EQ_U(counts[v].ssl, 100);
        CHECK_EQ_U(counts[v].http, 100);
        CHECK_EQ_U(counts[v].files, 4);
        CHECK(counts[v].bytes > 0);
    }
    /* The last hour of the day is 23:00:00-00:00:00, as Zeek names it. */
    static const char *const logs[] = { "conn", "dns", "ssl", "http" };
    for (int l = 0; l < 4; l++) {
        char a[1024], b[1024];
        snprintf(a, sizeof a, "%s/zeek/2018-01-02/%s.23:00:00-00:00:00.log.gz", subdir("tsvgz"), logs[l]);
        for (int v = 1; v < 4; v++) {
            snprintf(b, sizeof b, "%s/zeek/2018-01-02/%s.23:00:00-00:00:00.log%s",
                     subdir(variants[v].name), logs[l], variants[v].gzip ? ".gz" : "");
            uint64_t got = compare_files(a, b);
            CHECK_EQ_U(got, l == 0 ? 500 : 100);
        }
    }
    /* The TSV text itself: Zeek's header, escapes, markers. */
    char path[1024];
    snprintf(path, sizeof path, "%s/zeek/2018-01-02/dns.23:00:00-00:00:00.log", subdir("tsv"));
    size_t len;
    char *text = (char *)slurp(path, &len);
    CHECK(text != NULL);
    if (text) {
        CHECK(strncmp(text, "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n"
                            "#unset_field\t-\n#path\tdns\n#open\t2018-01-02-23-00-00\n#fields\tts\tuid\t",
                      strlen("#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n"
                             "#unset_field\t-\n#path\tdns\n#open\t2018-01-02-23-00-00\n#fields\tts\tuid\t")) == 0);
        CHECK(strstr(text, "\n#close\t2018-01-03-00-00-00\n") != NULL);
        CHECK(strstr(text, "tab\\x09here") != NULL);
        CHECK(strstr(text, "back\\\\slash") != NULL);
        CHECK(strstr(text, "\t\\x2d\t") != NULL);
        CHECK(strstr(text, "\t\\x28empty)\t") != NULL);
        CHECK(strstr(text, "ctl\\x01\\x1f end") != NULL);
        CHECK(strstr(text, "300.000000,300.000000") != NULL);
        free(text);
    }
    /* Decoded values equal what was emitted; ts + duration in the hour. */
    snprintf(path, sizeof path, "%s/zeek/2018-01-02/dns.23:00:00-00:00:00.log.gz", subdir("jsongz"));
    vigil_reader *r = NULL;
    CHECK(vigil_reader_open(&r, path, NULL) == VIGIL_OK);
    const vigil_record *rec;
    size_t k = 0;
    while (r && vigil_reader_next(r, &rec) == VIGIL_OK && rec) {
        while (k < n && rows[k].c->app != VIGIL__SIM_APP_DNS) k++;
        if (k == n) break;
        CHECK(vstr_is(rec->u.dns.query, rows[k].c->a.dns.query));
        CHECK(vstr_is(rec->u.dns.id.uid, rows[k].uid));
        k++;
    }
    vigil_reader_free(r);
    snprintf(path, sizeof path, "%s/zeek/2018-01-02/conn.23:00:00-00:00:00.log.gz", subdir("tsvgz"));
    r = NULL;
    CHECK(vigil_reader_open(&r, path, NULL) == VIGIL_OK);
    k = 0;
    while (r && vigil_reader_next(r, &rec) == VIGIL_OK && rec) {
        double end = rec->ts + rec->u.conn.duration;
        CHECK(end >= (double)t0 && end < (double)t0 + 3600);
        /* A value spelled like the empty marker is written escaped
         * ("\x28empty)", "\x2d", as Zeek does); vigil's reader compares
         * markers after unescaping, so they read back as empty/unset. */
        const char *svc = k < n ? rows[k].c->service : NULL;
        int marker = svc && (!*svc || strcmp(svc, "(empty)") == 0 || strcmp(svc, "-") == 0);
        if (svc) CHECK(vstr_is(rec->u.conn.service, svc) || (marker && rec->u.conn.service.len == 0));
        k++;
    }
    CHECK_EQ_U(k, 500);
    vigil_reader_free(r);
    /* An unwritable directory is an I/O error. */
    vigil__sim_out bad = { "/nonexistent/vigil", 0, 1 };
    vigil__sim_writer *wr = NULL;
    CHECK(vigil__sim_writer_new(&wr, &bad, NULL) == VIGIL_OK);
    vigil__sim_counts c0;
    memset(&c0, 0, sizeof c0);
    CHECK(vigil__sim_writer_hour(wr, w, t0, rows, n, &c0) == VIGIL_EIO);
    vigil__sim_writer_free(wr);
    free(rows);
    vigil__sim_hour_free(h);
    vigil__sim_world_free(w);
}

/* ---- the driver: whole small worlds ------------------------------------------------ */

static int files_identical(const char *da, const char *db, const char *rel)
{
    char pa[1024], pb[1024];
    snprintf(pa, sizeof pa, "%s/%s", da, rel);
    snprintf(pb, sizeof pb, "%s/%s", db, rel);
    size_t la, lb;
    unsigned char *a = slurp(pa, &la), *b = slurp(pb, &lb);
    int same = a && b && la == lb && memcmp(a, b, la) == 0;
    free(a);
    free(b);
    return same;
}

TEST(sim_run_deterministic)
{
    const char *d1 = subdir("w1"), *d2 = subdir("w2"), *d3 = subdir("w3");
    vigil_sim_opts o = small_opts(d1);
    o.threads = 1;
    vigil_sim_report r1, r2, r3;
    CHECK(vigil_simulate(&o, &r1) == VIGIL_OK);
    o.out_dir = d2;
    o.threads = 2;
    CHECK(vigil_simulate(&o, &r2) == VIGIL_OK);
    o.out_dir = d3;
    o.seed = 2;
    CHECK(vigil_simulate(&o, &r3) == VIGIL_OK);
    CHECK_EQ_U(r1.conn, r2.conn);
    CHECK_EQ_U(r1.bytes, r2.bytes);
    CHECK_EQ_U(r1.files, r2.files);
    CHECK(r1.files >= 48);
    file_list l1 = list_files(d1), l2 = list_files(d2), l3 = list_files(d3);
    CHECK_EQ_U(l1.n, l2.n);
    size_t logs = 0, differ3 = 0;
    for (size_t i = 0; i < l1.n && i < l2.n; i++) {
        CHECK_STR(l1.names[i], l2.names[i]);
        if (!files_identical(d1, d2, l1.names[i])) {
            fprintf(stderr, "  %s differs between two runs\n", l1.names[i]);
            vigil_test_failures++;
        }
        logs += is_log(l1.names[i]);
        if (!files_identical(d1, d3, l1.names[i])) differ3++;
    }
    CHECK_EQ_U(logs, r1.files);
    CHECK(differ3 > 0); /* another seed, another world */
    list_free(&l1);
    list_free(&l2);
    list_free(&l3);
    /* The manifest says what was made. */
    char p[1024];
    snprintf(p, sizeof p, "%s/manifest.json", d1);
    size_t len;
    char *m = (char *)slurp(p, &len);
    CHECK(m && strstr(m, "\"seed\":1,") && strstr(m, "\"hosts\":30,") && strstr(m, "\"days\":2,") &&
          strstr(m, "\"start\":\"2018-01-01\"") && strstr(m, "\"format\":\"tsv\""));
    free(m);
}

/* One conn record's identity, for the cross-log check. */
typedef struct conn_key {
    char uid[24];                /* uid text */
    vigil_addr o, r;             /* addresses */
    uint16_t op, rp;             /* ports */
    double ts;                   /* start */
} conn_key;

static int cmp_key(const void *a, const void *b)
{
    return strcmp(((const conn_key *)a)->uid, ((const conn_key *)b)->uid);
}

/* Reads every log of a world: zero skipped, counts equal the report's, end
 * times inside each file's hour, every dns/ssl/http uid in conn with the
 * same id fields. */
static void check_world_logs(const char *dir, const vigil_sim_report *rep)
{
    file_list l = list_files(dir);
    uint64_t got[5] = { 0 };
    conn_key *keys = NULL;
    size_t nkeys = 0, cap = 0;
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < l.n; i++) {
            if (!is_log(l.names[i])) continue;
            int is_conn = strstr(l.names[i], "/conn.") != NULL;
            if ((pass == 0) != is_conn) continue;
            char path[1024];
            snprintf(path, sizeof path, "%s/%s", dir, l.names[i]);
            /* zeek/YYYY-MM-DD/log.HH:00:00-... -> the hour's window */
            int y = 0, mo = 0, d = 0, hh = 0;
            const char *dot = strchr(l.names[i] + 16, '.');
            CHECK(sscanf(l.names[i], "zeek/%d-%d-%d/", &y, &mo, &d) == 3);
            CHECK(dot && sscanf(dot + 1, "%d:", &hh) == 1);
            struct tm tm;
            memset(&tm, 0, sizeof tm);
            tm.tm_year = y - 1900;
            tm.tm_mon = mo - 1;
            tm.tm_mday = d;
            tm.tm_hour = hh;
            double t0 = (double)timegm(&tm);
            vigil_reader *r = NULL;
            CHECK(vigil_reader_open(&r, path, NULL) == VIGIL_OK);
            if (!r) continue;
            const vigil_record *rec;
            while (vigil_reader_next(r, &rec) == VIGIL_OK && rec) {
                got[rec->type]++;
                const vigil_conn_id *id = &rec->u.conn.id;
                if (rec->type == VIGIL_LOG_CONN) {
                    double end = rec->ts + rec->u.conn.duration;
                    if (!(end >= t0 && end < t0 + 3600)) {
                        fprintf(stderr, "  %s:%llu ends outside its hour\n", path,
                                (unsigned long long)rec->line);
                        vigil_test_failures++;
                    }
                    if (nkeys == cap) {
                        cap = cap ? cap * 2 : 4096;
                        keys = realloc(keys, cap * sizeof *keys);
                    }
                    conn_key *k = &keys[nkeys++];
                    snprintf(k->uid, sizeof k->uid, "%.*s", (int)id->uid.len, id->uid.p ? id->uid.p : "");
                    CHECK(id->uid.len == 18 && id->uid.p[0] == 'C');
                    k->o = id->orig_h;
                    k->r = id->resp_h;
                    k->op = id->orig_p;
                    k->rp = id->resp_p;
                    k->ts = id->ts;
                } else {
                    conn_key want;
                    snprintf(want.uid, sizeof want.uid, "%.*s", (int)id->uid.len, id->uid.p ? id->uid.p : "");
                    conn_key *k = bsearch(&want, keys, nkeys, sizeof *keys, cmp_key);
                    CHECK(k != NULL);
                    if (k) {
                        CHECK(memcmp(&k->o, &id->orig_h, 16) == 0 && memcmp(&k->r, &id->resp_h, 16) == 0);
                        CHECK(k->op == id->orig_p && k->rp == id->resp_p);
                        CHECK(k->ts == id->ts);
                    }
                }
            }
            CHECK_EQ_U(vigil_reader_counts_get(r)->skipped, 0);
            vigil_reader_free(r);
        }
        if (pass == 0 && nkeys) {
            qsort(keys, nkeys, sizeof *keys, cmp_key);
            for (size_t i = 1; i < nkeys; i++) CHECK(strcmp(keys[i - 1].uid, keys[i].uid) != 0);
        }
    }
    CHECK_EQ_U(got[VIGIL_LOG_CONN], rep->conn);
    CHECK_EQ_U(got[VIGIL_LOG_DNS], rep->dns);
    CHECK_EQ_U(got[VIGIL_LOG_SSL], rep->ssl);
    CHECK_EQ_U(got[VIGIL_LOG_HTTP], rep->http);
    free(keys);
    list_free(&l);
}

TEST(sim_run_logs_read_back)
{
    const char *dir = subdir("rb");
    vigil_sim_opts o = small_opts(dir);
    vigil_sim_report rep;
    CHECK(vigil_simulate(&o, &rep) == VIGIL_OK);
    CHECK_EQ_U(rep.hosts, 30);
    CHECK_EQ_U(rep.days, 2);
    check_world_logs(dir, &rep);
    /* Every hour has its conn file, even when empty. */
    char p[1024];
    struct stat st;
    snprintf(p, sizeof p, "%s/zeek/2018-01-02/conn.23:00:00-00:00:00.log.gz", dir);
    CHECK(stat(p, &st) == 0);
    snprintf(p, sizeof p, "%s/zeek/2018-01-01/conn.00:00:00-01:00:00.log.gz", dir);
    CHECK(stat(p, &st) == 0);
}

TEST(sim_run_json_equals_tsv)
{
    const char *dt = subdir("jt"), *dj = subdir("jj");
    vigil_sim_opts o = small_opts(dt);
    vigil_sim_report rt, rj;
    CHECK(vigil_simulate(&o, &rt) == VIGIL_OK);
    o.out_dir = dj;
    o.json = 1;
    o.no_gzip = 1;
    CHECK(vigil_simulate(&o, &rj) == VIGIL_OK);
    CHECK_EQ_U(rt.conn, rj.conn);
    CHECK_EQ_U(rt.dns, rj.dns);
    check_world_logs(dj, &rj);
    file_list lt = list_files(dt), lj = list_files(dj);
    CHECK_EQ_U(lt.n, lj.n);
    uint64_t total = 0;
    for (size_t i = 0; i < lt.n && i < lj.n; i++) {
        if (!is_log(lt.names[i])) continue;
        char a[1024], b[1024];
        snprintf(a, sizeof a, "%s/%s", dt, lt.names[i]);
        snprintf(b, sizeof b, "%s/%s", dj, lj.names[i]);
        size_t la = strlen(lt.names[i]);
        /* same name without .gz */
        CHECK(la > 3 && strncmp(lt.names[i], lj.names[i], la - 3) == 0);
        total += compare_files(a, b);
    }
    CHECK_EQ_U(total, rt.conn + rt.dns + rt.ssl + rt.http);
    list_free(&lt);
    list_free(&lj);
}

/* Splits a CSV line without quotes into at most `max` fields in place. */
static size_t csv_split(char *line, char **f, size_t max)
{
    size_t n = 0;
    f[n++] = line;
    for (char *p = line; *p && n < max; p++)
        if (*p == ',') {
            *p = 0;
            f[n++] = p + 1;
        }
    return n;
}

TEST(sim_run_csv_well_formed)
{
    const char *dir = subdir("csv");
    vigil_sim_opts o = small_opts(dir);
    o.hosts = 120;
    o.days = 1;
    CHECK(vigil_simulate(&o, NULL) == VIGIL_OK);
    char p[1024];
    size_t len;
    snprintf(p, sizeof p, "%s/people.csv", dir);
    char *people = (char *)slurp(p, &len);
    snprintf(p, sizeof p, "%s/assets.csv", dir);
    char *assets = (char *)slurp(p, &len);
    CHECK(people && assets);
    if (!people || !assets) { free(people); free(assets); return; }
    char *save, *line = strtok_r(people, "\n", &save);
    CHECK_STR(line, "display_name,email,department");
    char emails[200][64];
    size_t np = 0;
    while ((line = strtok_r(NULL, "\n", &save)) != NULL) {
        char *f[8];
        CHECK_EQ_U(csv_split(line, f, 8), 3);
        CHECK(strchr(f[1], '@') != NULL);
        if (np < 200) snprintf(emails[np++], 64, "%s", f[1]);
    }
    CHECK_EQ_U(np, 112);
    line = strtok_r(assets, "\n", &save);
    CHECK_STR(line, "ip,hostname,owner_email,department,role,dhcp");
    size_t nh = 0, wallet = 0;
    while ((line = strtok_r(NULL, "\n", &save)) != NULL) {
        char *f[8];
        CHECK_EQ_U(csv_split(line, f, 8), 6);
        vigil_addr a;
        CHECK(vigil_addr_parse(f[0], strlen(f[0]), &a));
        CHECK(strcmp(f[5], "yes") == 0 || strcmp(f[5], "no") == 0);
        if (*f[2]) {
            int found = 0;
            for (size_t i = 0; i < np; i++) found |= strcmp(emails[i], f[2]) == 0;
            CHECK(found);
        }
        wallet += strcmp(f[4], "wallet-ops-workstation") == 0;
        nh++;
    }
    CHECK_EQ_U(nh, 120);
    CHECK(wallet >= 3);
    free(people);
    free(assets);
}

TEST(sim_run_bad_options_and_dirs)
{
    vigil_sim_opts o = small_opts(NULL);
    CHECK(vigil_simulate(&o, NULL) == VIGIL_EINVAL);
    CHECK(vigil_simulate(NULL, NULL) == VIGIL_EINVAL);
    o.out_dir = subdir("bad");
    o.start = START_2018 + 5; /* not a midnight */
    CHECK(vigil_simulate(&o, NULL) == VIGIL_EINVAL);
    o.start = 0;
    o.hosts = 5;
    CHECK(vigil_simulate(&o, NULL) == VIGIL_EINVAL);
    /* A file where the directory should be. */
    const char *f = test_write_file("afile", "x", 1);
    o.hosts = 30;
    o.out_dir = f;
    CHECK(vigil_simulate(&o, NULL) == VIGIL_EIO);
    o.out_dir = "/proc/vigil-cannot-write";
    CHECK(vigil_simulate(&o, NULL) == VIGIL_EIO);
}
