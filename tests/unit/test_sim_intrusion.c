/* test_sim_intrusion.c -- the planted intrusion: each C2 profile's property, timeline, truth.json. */
#include <math.h>
#include <stdlib.h>
#include "fixture.h"
#include "sim.h"

#define START 1514764800LL /* 2018-01-01 00:00 UTC */
#define TZ 32400.0

/* ---- collecting a world's intrusion connections ----------------------------- */

/* One emitted connection with copies of the strings the tests look at. */
typedef struct rec {
    vigil__sim_conn c;     /* the connection (string pointers cleared) */
    double hour_t0;        /* start of the hour it was emitted in */
    char *query;           /* dns query, or NULL */
    char *answers;         /* dns answers, or NULL */
    char *sni;             /* ssl server_name, or NULL */
    char *host, *uri, *ua; /* http Host, URI, User-Agent, or NULL */
} rec;

typedef struct recs {
    rec *v;                /* records, hour order */
    size_t n, cap;
} recs;

static char *dup_or_null(const char *s)
{
    if (!s) return NULL;
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d) memcpy(d, s, n);
    return d;
}

/* Every intrusion connection of every hour of the world. */
static void collect(const vigil__sim_world *w, recs *out)
{
    memset(out, 0, sizeof *out);
    vigil__sim_hour *h = NULL;
    if (vigil__sim_hour_new(&h, w, 0, 0) != VIGIL_OK) {
        CHECK(0);
        return;
    }
    for (unsigned d = 0; d < w->days; d++) {
        for (unsigned hr = 0; hr < 24; hr++) {
            vigil__sim_hour_reset(h, d, hr);
            CHECK(vigil__sim_intrusion_hour(w, h) == VIGIL_OK);
            size_t n;
            const vigil__sim_conn *c = vigil__sim_hour_conns(h, &n);
            for (size_t i = 0; i < n; i++) {
                if (out->n == out->cap) {
                    out->cap = out->cap ? out->cap * 2 : 4096;
                    out->v = realloc(out->v, out->cap * sizeof *out->v);
                    if (!out->v) abort();
                }
                rec *r = &out->v[out->n++];
                memset(r, 0, sizeof *r);
                r->c = c[i];
                r->hour_t0 = vigil__sim_hour_t0(h);
                if (c[i].app == VIGIL__SIM_APP_DNS) {
                    r->query = dup_or_null(c[i].a.dns.query);
                    r->answers = dup_or_null(c[i].a.dns.answers);
                } else if (c[i].app == VIGIL__SIM_APP_SSL) {
                    r->sni = dup_or_null(c[i].a.ssl.server_name);
                } else if (c[i].app == VIGIL__SIM_APP_HTTP) {
                    r->host = dup_or_null(c[i].a.http.host);
                    r->uri = dup_or_null(c[i].a.http.uri);
                    r->ua = dup_or_null(c[i].a.http.user_agent);
                }
            }
        }
    }
    vigil__sim_hour_free(h);
}

static void recs_free(recs *r)
{
    for (size_t i = 0; i < r->n; i++) {
        free(r->v[i].query);
        free(r->v[i].answers);
        free(r->v[i].sni);
        free(r->v[i].host);
        free(r->v[i].uri);
        free(r->v[i].ua);
    }
    free(r->v);
    memset(r, 0, sizeof *r);
}

/* Start times of the connections of truth id `id`, sorted (malloc'd). */
static double *times_of(const recs *r, int id, size_t *n)
{
    double *t = malloc((r->n + 1) * sizeof *t);
    size_t k = 0;
    for (size_t i = 0; i < r->n; i++)
        if (r->v[i].c.truth == id) t[k++] = r->v[i].c.ts;
    for (size_t i = 1; i < k; i++) /* insertion sort: nearly sorted input */
        for (size_t j = i; j > 0 && t[j] < t[j - 1]; j--) {
            double x = t[j];
            t[j] = t[j - 1];
            t[j - 1] = x;
        }
    *n = k;
    return t;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, size_t n)
{
    qsort(v, n, sizeof *v, cmp_double);
    return n ? v[n / 2] : 0;
}

/* ---- truth.json ---------------------------------------------------------------- */

/* One event as the tests need it. */
typedef struct ev {
    int id;                /* truth id */
    char kind[16];         /* "beacon", ... */
    char expect[16];       /* finding kind or "" for null */
    char profile[16];      /* beacon profile */
    char src[48];          /* source address */
    char src_host[32];     /* source host name */
    char role[16];         /* role of the source host */
    char dst[8][48];       /* destination addresses */
    int ndst;
    char name[96];         /* dst_names[0] */
    char ua[160];          /* http user_agent */
    char domain[64];       /* dns_c2 domain */
    unsigned dport;        /* destination port */
    uint64_t conns;        /* conn count */
    double first_ts, last_ts, infected_ts, ts, last_beat_ts; /* times */
    double period, jitter, miss, bytes; /* parameters */
    int nrcpt, nopened;    /* phish recipients / openers */
    char sender[64];       /* phish sender_addr */
    char sender_display[64]; /* phish sender_display */
} ev;

typedef struct truth {
    int version;           /* "version" */
    int nev;               /* events parsed */
    ev ev[32];             /* events, file order */
} truth;

static void copy_val(char *dst, size_t cap, const vigil__json_val *v)
{
    size_t n = v->n < cap - 1 ? v->n : cap - 1;
    memcpy(dst, v->p, n);
    dst[n] = 0;
}

static double num(const vigil__json_val *v)
{
    char buf[64];
    copy_val(buf, sizeof buf, v);
    return strtod(buf, NULL);
}

static int key_is(const char *k, size_t n, const char *want)
{
    return strlen(want) == n && memcmp(k, want, n) == 0;
}

/* Array element callbacks. */
static int dst_item(void *user, const char *k, size_t kn, vigil__json_val *v)
{
    (void)k;
    (void)kn;
    ev *e = user;
    if (v->kind == VIGIL__JSON_STRING && e->ndst < 8) copy_val(e->dst[e->ndst++], 48, v);
    return 0;
}

static int name_item(void *user, const char *k, size_t kn, vigil__json_val *v)
{
    (void)k;
    (void)kn;
    ev *e = user;
    if (v->kind == VIGIL__JSON_STRING && !e->name[0]) copy_val(e->name, sizeof e->name, v);
    return 0;
}

static int count_item(void *user, const char *k, size_t kn, vigil__json_val *v)
{
    (void)k;
    (void)kn;
    (void)v;
    (*(int *)user)++;
    return 0;
}

static int ev_member(void *user, const char *k, size_t n, vigil__json_val *v)
{
    ev *e = user;
    if (key_is(k, n, "id")) e->id = (int)num(v);
    else if (key_is(k, n, "kind")) copy_val(e->kind, sizeof e->kind, v);
    else if (key_is(k, n, "expect") && v->kind == VIGIL__JSON_STRING) copy_val(e->expect, sizeof e->expect, v);
    else if (key_is(k, n, "profile")) copy_val(e->profile, sizeof e->profile, v);
    else if (key_is(k, n, "src")) copy_val(e->src, sizeof e->src, v);
    else if (key_is(k, n, "src_host")) copy_val(e->src_host, sizeof e->src_host, v);
    else if (key_is(k, n, "role")) copy_val(e->role, sizeof e->role, v);
    else if (key_is(k, n, "dst")) return vigil__json_array_each(v->p, v->n, dst_item, e) ? 1 : 0;
    else if (key_is(k, n, "dst_names")) return vigil__json_array_each(v->p, v->n, name_item, e) ? 1 : 0;
    else if (key_is(k, n, "recipients")) return vigil__json_array_each(v->p, v->n, count_item, &e->nrcpt) ? 1 : 0;
    else if (key_is(k, n, "opened")) return vigil__json_array_each(v->p, v->n, count_item, &e->nopened) ? 1 : 0;
    else if (key_is(k, n, "user_agent")) copy_val(e->ua, sizeof e->ua, v);
    else if (key_is(k, n, "domain")) copy_val(e->domain, sizeof e->domain, v);
    else if (key_is(k, n, "sender_addr")) copy_val(e->sender, sizeof e->sender, v);
    else if (key_is(k, n, "sender_display")) copy_val(e->sender_display, sizeof e->sender_display, v);
    else if (key_is(k, n, "dport")) e->dport = (unsigned)num(v);
    else if (key_is(k, n, "conns")) e->conns = (uint64_t)num(v);
    else if (key_is(k, n, "first_ts") && v->kind == VIGIL__JSON_NUMBER) e->first_ts = num(v);
    else if (key_is(k, n, "last_ts") && v->kind == VIGIL__JSON_NUMBER) e->last_ts = num(v);
    else if (key_is(k, n, "infected_ts")) e->infected_ts = num(v);
    else if (key_is(k, n, "ts")) e->ts = num(v);
    else if (key_is(k, n, "last_beat_ts")) e->last_beat_ts = num(v);
    else if (key_is(k, n, "period_s")) e->period = num(v);
    else if (key_is(k, n, "jitter")) e->jitter = num(v);
    else if (key_is(k, n, "miss_rate")) e->miss = num(v);
    else if (key_is(k, n, "bytes")) e->bytes = num(v);
    return 0;
}

static int event_item(void *user, const char *k, size_t kn, vigil__json_val *v)
{
    (void)k;
    (void)kn;
    truth *t = user;
    if (v->kind != VIGIL__JSON_OBJECT || t->nev >= 32) return 1;
    ev *e = &t->ev[t->nev++];
    memset(e, 0, sizeof *e);
    return vigil__json_each(v->p, v->n, 0, ev_member, e) ? 1 : 0;
}

static int top_member(void *user, const char *k, size_t n, vigil__json_val *v)
{
    truth *t = user;
    if (key_is(k, n, "version")) t->version = (int)num(v);
    else if (key_is(k, n, "events")) return vigil__json_array_each(v->p, v->n, event_item, t) ? 1 : 0;
    return 0;
}

/* Writes truth.json for w (with the given counts) and parses it back with
 * vigil's own scanner; returns 1 when the file is one valid object. */
static int load_truth(const vigil__sim_world *w, const uint64_t *counts, size_t n, truth *t)
{
    memset(t, 0, sizeof *t);
    const char *dir = test_tmpdir();
    if (vigil__sim_truth_write(w, dir, counts, n) != VIGIL_OK) return 0;
    char path[512];
    snprintf(path, sizeof path, "%s/truth.json", dir);
    FILE *f = fopen(path, "rb");
    if (!f) return 0;
    static char buf[1 << 20];
    size_t len = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[len] = 0;
    return vigil__json_each(buf, len, 0, top_member, t) == 0;
}

static const ev *find_id(const truth *t, int id)
{
    for (int i = 0; i < t->nev; i++)
        if (t->ev[i].id == id) return &t->ev[i];
    return NULL;
}

static const ev *find_kind(const truth *t, const char *kind)
{
    for (int i = 0; i < t->nev; i++)
        if (strcmp(t->ev[i].kind, kind) == 0) return &t->ev[i];
    return NULL;
}

static const vigil__sim_host *host_named(const vigil__sim_world *w, const char *name)
{
    for (size_t i = 0; i < w->nhosts; i++)
        if (strcmp(w->hosts[i].name, name) == 0) return &w->hosts[i];
    return NULL;
}

static void fmt(const vigil_addr *a, char *buf) { vigil_addr_format(a, buf); }

/* The default world of the brief. */
static vigil__sim_world *default_world(uint64_t seed)
{
    vigil__sim_world *w = NULL;
    CHECK(vigil__sim_world_new(&w, seed, START, 28, 500, NULL) == VIGIL_OK);
    return w;
}

/* The default world (seed 1) and all its intrusion connections, built once
 * and shared by the tests that only read them (kept until exit). */
static vigil__sim_world *shared_w;
static recs shared_r;

static int shared_world(vigil__sim_world **w, recs **r)
{
    if (!shared_w) {
        shared_w = default_world(1);
        if (!shared_w) return 0;
        collect(shared_w, &shared_r);
    }
    *w = shared_w;
    *r = &shared_r;
    return 1;
}

/* The shared world, a copy of its records' handle (the array stays
 * shared) and its truth, checked to load; 0 when the world cannot be made. */
static int shared_truth(vigil__sim_world **w, recs *r, truth *t)
{
    recs *rp;
    if (!shared_world(w, &rp)) return 0;
    *r = *rp;
    CHECK(load_truth(*w, NULL, 0, t));
    return 1;
}

static const char *const profiles[10] = {
    "steady", "jitter", "missed", "office_hours", "burst",
    "rotating", "low_slow", "http", "tls", "dns",
};

/* Intervals between consecutive connections of id within the same implant
 * restart (same UTC day), in vector iv (malloc'd). */
static double *intervals(const recs *r, int id, size_t *n)
{
    size_t k;
    double *t = times_of(r, id, &k);
    double *iv = malloc((k + 1) * sizeof *iv);
    size_t m = 0;
    for (size_t i = 1; i < k; i++)
        if (floor((t[i] - START) / 86400) == floor((t[i - 1] - START) / 86400))
            iv[m++] = t[i] - t[i - 1];
    free(t);
    *n = m;
    return iv;
}

static void mean_cv(const double *v, size_t n, double *mean, double *cv)
{
    double s = 0, s2 = 0;
    for (size_t i = 0; i < n; i++) s += v[i];
    *mean = n ? s / n : 0;
    for (size_t i = 0; i < n; i++) s2 += (v[i] - *mean) * (v[i] - *mean);
    *cv = n > 1 && *mean > 0 ? sqrt(s2 / (n - 1)) / *mean : 0;
}

/* ---- the tests ----------------------------------------------------------------- */

TEST(simi_truth_json)
{
    vigil__sim_world *w = default_world(1);
    if (!w) return;
    truth t;
    CHECK(load_truth(w, NULL, 0, &t));
    CHECK_EQ_U(t.version, 1);
    CHECK_EQ_U(t.nev, vigil__sim_truth_count(w));
    CHECK(t.nev >= 17);
    for (int i = 0; i < t.nev; i++) CHECK_EQ_U(t.ev[i].id, i + 1);
    for (int i = 0; i < 10; i++) {
        CHECK_STR(t.ev[i].profile, profiles[i]);
        CHECK(t.ev[i].conns > 0);
        CHECK_STR(t.ev[i].expect, i == 9 ? "dns" : "beacon");
        CHECK(t.ev[i].first_ts >= t.ev[i].infected_ts);
    }
    const char *kinds[] = { "long_conn", "exfil", "c2_lookup", "c2_quiet", "heist", "phish" };
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) CHECK(find_kind(&t, kinds[i]) != NULL);
    /* Phishing: look-alike sender with a real colleague's display name. */
    for (int i = 0; i < t.nev; i++) {
        const ev *e = &t.ev[i];
        if (strcmp(e->kind, "phish") != 0) continue;
        CHECK(e->nopened >= 1 && e->nrcpt > e->nopened);
        CHECK(strstr(e->sender, "@coinvault.co.jp") == NULL && strchr(e->sender, '@'));
        int real = 0;
        for (size_t p = 0; p < w->npeople; p++)
            if (strcmp(w->people[p].display, e->sender_display) == 0) real = 1;
        CHECK(real);
        /* week 1: dates Jan 2-7 */
        CHECK(e->ts >= START + 86400 - TZ && e->ts < START + 7 * 86400 - TZ);
    }
    vigil__sim_world_free(w);
}

TEST(simi_hours_match_truth)
{
    vigil__sim_world *w;
    recs *rp;
    if (!shared_world(&w, &rp)) return;
    const recs r = *rp;
    size_t n = vigil__sim_truth_count(w);
    uint64_t counts[64] = { 0 };
    double first[64], last[64];
    for (size_t i = 0; i < 64; i++) first[i] = 1e300, last[i] = 0;
    size_t bad_hour = 0, bad_truth = 0, bad_local = 0;
    for (size_t i = 0; i < r.n; i++) {
        const vigil__sim_conn *c = &r.v[i].c;
        double end = c->ts + c->duration;
        if (end < r.v[i].hour_t0 || end >= r.v[i].hour_t0 + 3600) bad_hour++;
        if (c->truth == 0 || c->truth > n) {
            bad_truth++;
            continue;
        }
        if (!c->local_orig) bad_local++;
        counts[c->truth - 1]++;
        if (c->ts < first[c->truth]) first[c->truth] = c->ts;
        if (c->ts > last[c->truth]) last[c->truth] = c->ts;
    }
    CHECK_EQ_U(bad_hour, 0);
    CHECK_EQ_U(bad_truth, 0);
    CHECK_EQ_U(bad_local, 0);
    CHECK(r.n > 10000);
    truth t;
    CHECK(load_truth(w, NULL, 0, &t)); /* the plan's own counts */
    for (int i = 0; i < t.nev; i++) {
        const ev *e = &t.ev[i];
        CHECK_EQ_U(e->conns, counts[e->id - 1]);
        if (e->conns && e->id <= 13) {
            CHECK(fabs(e->first_ts - first[e->id]) < 1e-5);
            CHECK(fabs(e->last_ts - last[e->id]) < 1e-5);
        }
    }
    uint64_t fake[64];
    for (size_t i = 0; i < n; i++) fake[i] = 1000 + i;
    CHECK(load_truth(w, fake, n, &t)); /* the driver's counts win */
    for (int i = 0; i < t.nev; i++) CHECK_EQ_U(t.ev[i].conns, 1000 + i);
}

TEST(simi_profiles_steady_jitter_missed)
{
    vigil__sim_world *w;
    recs r;
    truth t;
    if (!shared_truth(&w, &r, &t)) return;
    size_t n;
    double mean, cv;
    /* steady: intervals all near the period. */
    double *iv = intervals(&r, 1, &n);
    const ev *e = find_id(&t, 1);
    mean_cv(iv, n, &mean, &cv);
    CHECK(n > 1000);
    CHECK(fabs(mean - e->period) < 0.05 * e->period);
    CHECK(cv < 0.1);
    size_t near = 0;
    for (size_t i = 0; i < n; i++) near += fabs(iv[i] - e->period) <= 0.06 * e->period;
    CHECK(near >= n * 99 / 100);
    free(iv);
    /* jitter: wide spread, same mean period. */
    iv = intervals(&r, 2, &n);
    e = find_id(&t, 2);
    mean_cv(iv, n, &mean, &cv);
    CHECK(e->jitter >= 0.5);
    CHECK(fabs(mean - e->period) < 0.1 * e->period);
    CHECK(cv > 0.25);
    free(iv);
    /* missed: >= 30% of the beats absent (gaps of whole periods). */
    iv = intervals(&r, 3, &n);
    e = find_id(&t, 3);
    CHECK(e->miss >= 0.3);
    double made = (double)n, missed = 0;
    for (size_t i = 0; i < n; i++) missed += floor(iv[i] / e->period + 0.5) - 1;
    CHECK(missed / (made + missed) >= 0.3);
    CHECK(missed / (made + missed) <= 0.5);
    free(iv);
}

TEST(simi_profile_office_hours)
{
    vigil__sim_world *w;
    recs r;
    truth t;
    if (!shared_truth(&w, &r, &t)) return;
    const ev *e = find_id(&t, 4);
    const vigil__sim_host *h = host_named(w, e->src_host);
    CHECK(h != NULL);
    if (!h) return;
    int dates[40] = { 0 };
    size_t night = 0, off = 0, quiet = 0, total = 0;
    for (size_t i = 0; i < r.n; i++) {
        const vigil__sim_conn *c = &r.v[i].c;
        if (c->truth != 4) continue;
        total++;
        double local = c->ts + TZ - START;
        int date = (int)floor(local / 86400);
        double hour = (local - date * 86400.0) / 3600;
        if (hour < 7 || hour > 22) night++;
        if (vigil__sim_is_day_off(w, (unsigned)date)) off++;
        if (vigil__sim_activity(w, h, c->ts) <= 0) quiet++;
        if (date >= 0 && date < 40) dates[date] = 1;
    }
    int ndates = 0;
    for (int i = 0; i < 40; i++) ndates += dates[i];
    CHECK(total > 100);
    CHECK_EQ_U(night, 0);
    CHECK_EQ_U(off, 0);
    CHECK_EQ_U(quiet, 0);
    CHECK(ndates >= 8); /* persistent across the working days */
}

TEST(simi_profiles_burst_rotating_low_slow)
{
    vigil__sim_world *w;
    recs r;
    truth t;
    if (!shared_truth(&w, &r, &t)) return;
    /* burst: groups of 3-6 connections seconds apart. */
    size_t n;
    double *ts = times_of(&r, 5, &n);
    size_t groups = 0, bad = 0, run = 1;
    for (size_t i = 1; i <= n; i++) {
        if (i < n && ts[i] - ts[i - 1] < 60) {
            CHECK(ts[i] - ts[i - 1] >= 0.5);
            run++;
            continue;
        }
        groups++;
        if (run < 3 || run > 6) bad++;
        run = 1;
    }
    CHECK(groups > 100);
    CHECK_EQ_U(bad, 0);
    free(ts);

    /* rotating: one address a day, a different one each day, one name in
     * SNI and DNS, and the DNS answer is the day's address. */
    const ev *e = find_id(&t, 6);
    CHECK(e->ndst >= 3);
    char day_ip[40][48];
    memset(day_ip, 0, sizeof day_ip);
    size_t clash = 0, sni_bad = 0, answer_bad = 0, lookups = 0;
    for (size_t i = 0; i < r.n; i++) {
        const rec *x = &r.v[i];
        int day = (int)floor((x->c.ts - START) / 86400);
        if (x->c.truth == 6) {
            char ip[48];
            fmt(&x->c.resp_h, ip);
            if (!day_ip[day][0]) strcpy(day_ip[day], ip);
            else if (strcmp(day_ip[day], ip) != 0) clash++;
            if (!x->sni || strcmp(x->sni, e->name) != 0) sni_bad++;
        }
    }
    for (size_t i = 0; i < r.n; i++) {
        const rec *x = &r.v[i];
        if (x->c.truth != 13 || !x->query || strcmp(x->query, e->name) != 0) continue;
        if (x->c.a.dns.qtype != 1) { /* the AAAA twin: no records */
            CHECK(x->c.a.dns.qtype == 28 && x->answers == NULL);
            continue;
        }
        int day = (int)floor((x->c.ts + 2 - START) / 86400);
        lookups++;
        if (!x->answers || strcmp(x->answers, day_ip[day]) != 0) answer_bad++;
    }
    CHECK_EQ_U(clash, 0);
    CHECK_EQ_U(sni_bad, 0);
    CHECK(lookups > 20);
    CHECK_EQ_U(answer_bad, 0);
    int days_seen = 0, changes = 0, same = 0;
    for (int d = 1; d < 40; d++) {
        if (!day_ip[d][0]) continue;
        days_seen++;
        if (day_ip[d - 1][0]) {
            if (strcmp(day_ip[d], day_ip[d - 1]) != 0) changes++;
            else same++;
        }
    }
    CHECK(days_seen >= 10);
    CHECK(changes >= 10);
    CHECK_EQ_U(same, 0);

    /* low-and-slow: hours between beats. */
    double *iv = intervals(&r, 7, &n);
    e = find_id(&t, 7);
    CHECK(e->period >= 7200 && e->period <= 14400);
    CHECK(n >= 20);
    double med = median(iv, n);
    CHECK(med >= 0.7 * e->period && med <= 1.3 * e->period);
    CHECK(med >= 3600);
    free(iv);
}

TEST(simi_profiles_http_tls_dns)
{
    vigil__sim_world *w;
    recs r;
    truth t;
    if (!shared_truth(&w, &r, &t)) return;
    const ev *eh = find_id(&t, 8), *et = find_id(&t, 9), *ed = find_id(&t, 10);
    CHECK(eh->ua[0] && eh->name[0] && et->name[0] && ed->domain[0]);
    char resolver[2][48];
    fmt(&w->hosts[w->resolver[0]].addr, resolver[0]);
    fmt(&w->hosts[w->resolver[1]].addr, resolver[1]);
    size_t nh = 0, http_bad = 0, nt = 0, tls_bad = 0, nd = 0, dns_bad = 0, upstream = 0;
    size_t posts = 0, big = 0;
    size_t dlen = strlen(ed->domain);
    double ent_sum = 0;
    for (size_t i = 0; i < r.n; i++) {
        const rec *x = &r.v[i];
        const vigil__sim_conn *c = &x->c;
        if (c->truth == 8) {
            nh++;
            if (c->app != VIGIL__SIM_APP_HTTP || c->resp_p != 80 || !x->ua ||
                strcmp(x->ua, eh->ua) != 0 || !x->host || strcmp(x->host, eh->name) != 0 ||
                !x->uri || x->uri[0] != '/' || !strchr(x->uri, '?'))
                http_bad++;
            posts += c->a.http.method && strcmp(c->a.http.method, "POST") == 0;
        } else if (c->truth == 9) {
            nt++;
            if (c->app != VIGIL__SIM_APP_SSL || c->resp_p != 443 || !x->sni ||
                strcmp(x->sni, et->name) != 0)
                tls_bad++;
        } else if (c->truth == 10) {
            nd++;
            char ip[48];
            fmt(&c->resp_h, ip);
            size_t ql = x->query ? strlen(x->query) : 0;
            if (c->app != VIGIL__SIM_APP_DNS || c->a.dns.qtype != 16 || c->proto != VIGIL_PROTO_UDP ||
                c->resp_p != 53 || !x->query || ql < dlen + 41 ||
                strcmp(x->query + ql - dlen, ed->domain) != 0 || x->query[ql - dlen - 1] != '.' ||
                !x->answers || strncmp(x->answers, "TXT ", 4) != 0 ||
                (strcmp(ip, resolver[0]) != 0 && strcmp(ip, resolver[1]) != 0)) {
                dns_bad++;
                continue;
            }
            size_t label = strcspn(x->query, ".");
            if (label < 40) dns_bad++;
            ent_sum += test_entropy(x->query, label);
        } else if (c->truth == 13 && x->query && c->a.dns.qtype == 16) {
            upstream++; /* the resolver's upstream query for the tunnel */
            char ip[48];
            fmt(&c->orig_h, ip);
            CHECK(strcmp(ip, resolver[0]) == 0 || strcmp(ip, resolver[1]) == 0);
            CHECK(c->local_resp == 0);
        }
        if (c->truth >= 1 && c->truth <= 9 && c->resp_bytes > 20000) big++;
    }
    CHECK(nh > 1000);
    CHECK_EQ_U(http_bad, 0);
    CHECK(posts > 0);
    CHECK(nt > 500);
    CHECK_EQ_U(tls_bad, 0);
    CHECK(nd > 5000);
    CHECK_EQ_U(dns_bad, 0);
    CHECK(ent_sum / nd > 4.0);
    CHECK_EQ_U(upstream, nd);
    CHECK(big > 10); /* occasional tasking */
    /* Beacon sizes: a few hundred bytes out, up to a few KB in. */
    double *ob = malloc(r.n * sizeof *ob), *ib = malloc(r.n * sizeof *ib);
    size_t m = 0;
    for (size_t i = 0; i < r.n; i++)
        if (r.v[i].c.truth == 1) {
            ob[m] = (double)r.v[i].c.orig_bytes;
            ib[m++] = (double)r.v[i].c.resp_bytes;
        }
    double mo = median(ob, m), mi = median(ib, m);
    CHECK(mo >= 150 && mo <= 1000);
    CHECK(mi >= 200 && mi <= 5000);
    free(ob);
    free(ib);
}

TEST(simi_timeline)
{
    vigil__sim_world *w;
    recs r;
    truth t;
    if (!shared_truth(&w, &r, &t)) return;
    const ev *quiet = find_kind(&t, "c2_quiet"), *heist = find_kind(&t, "heist");
    const ev *exfil = find_kind(&t, "exfil"), *lc = find_kind(&t, "long_conn");
    /* Quiet: 23:30-23:59:59 Tokyo on 2018-01-25; heist minutes after midnight. */
    double midnight = START + 25 * 86400.0 - TZ;
    CHECK(quiet->ts >= midnight - 1800 && quiet->ts < midnight);
    CHECK(quiet->last_beat_ts >= midnight - 1800 && quiet->last_beat_ts <= quiet->ts);
    CHECK(heist->ts > midnight && heist->ts < midnight + 600);
    double min_inf = 1e300;
    for (int i = 0; i < 10; i++)
        if (t.ev[i].infected_ts < min_inf) min_inf = t.ev[i].infected_ts;
    size_t early = 0, late = 0;
    double exfil_bytes = 0, max_ts = 0;
    for (size_t i = 0; i < r.n; i++) {
        const vigil__sim_conn *c = &r.v[i].c;
        double inf = c->truth <= 10 ? t.ev[c->truth - 1].infected_ts : min_inf;
        if (c->ts < inf) early++;
        if (c->ts + c->duration > quiet->ts) late++;
        if (c->ts > max_ts) max_ts = c->ts;
        if (c->truth == exfil->id) {
            exfil_bytes += (double)c->orig_bytes;
            for (int k = 0; k < 2; k++) { /* start and end at night, Tokyo */
                double x = c->ts + (k ? c->duration : 0) + TZ - START;
                double hour = fmod(x, 86400) / 3600;
                CHECK(hour >= 1 && hour < 4);
            }
            int date = (int)floor((c->ts + TZ - START) / 86400); /* Jan 15-22 */
            CHECK(date >= 14 && date <= 21);
        }
        if (c->truth == lc->id) {
            CHECK(c->duration >= 3600);
            CHECK(c->resp_p == 443 && c->orig_bytes > 1000000 && c->resp_bytes > 100000);
            char ip[48];
            fmt(&c->resp_h, ip);
            int known = 0; /* one of the wallet host's C2 addresses */
            for (int k = 0; k < 10; k++)
                if (strcmp(t.ev[k].src_host, lc->src_host) == 0)
                    for (int a = 0; a < t.ev[k].ndst; a++) known |= strcmp(t.ev[k].dst[a], ip) == 0;
            CHECK(known);
        }
    }
    CHECK_EQ_U(early, 0);
    CHECK_EQ_U(late, 0);
    CHECK(fabs(max_ts - quiet->last_beat_ts) < 1e-5);
    CHECK(exfil_bytes >= 2e8 && exfil_bytes < 1e9);
    CHECK(fabs(exfil_bytes - exfil->bytes) < 1);
    CHECK_STR(lc->role, "wallet-ops");
    CHECK(lc->conns >= 1);
    const vigil__sim_host *wh = host_named(w, lc->src_host);
    CHECK(wh && wh->role == VIGIL__SIM_WALLET_OPS);
    /* Infections in week 1 (by Jan 12, after the holidays), C2 traffic in EU and US. */
    for (int i = 0; i < 10; i++) CHECK(t.ev[i].infected_ts < START + 12 * 86400.0);
}

/* 1 when a is a routable public IPv4 address (not RFC 1918, loopback,
 * CGN, link-local, multicast or reserved). */
static int is_public_v4(const vigil_addr *a)
{
    if (!vigil_addr_is_v4(a)) return 0;
    unsigned x = a->b[12], y = a->b[13];
    if (x == 0 || x == 10 || x == 127 || x >= 224) return 0;
    if (x == 172 && y >= 16 && y < 32) return 0;
    if (x == 192 && y == 168) return 0;
    if (x == 100 && y >= 64 && y < 128) return 0;
    if (x == 169 && y == 254) return 0;
    return 1;
}

TEST(simi_c2_public)
{
    for (uint64_t seed = 1; seed <= 4; seed++) {
        vigil__sim_world *w = default_world(seed);
        if (!w) return;
        truth t;
        CHECK(load_truth(w, NULL, 0, &t));
        for (int i = 0; i < t.nev; i++) {
            const ev *e = &t.ev[i];
            if (strcmp(e->kind, "dns_c2") == 0) continue; /* dst is the resolver */
            for (int a = 0; a < e->ndst; a++) {
                vigil_addr x;
                CHECK(vigil_addr_parse(e->dst[a], strlen(e->dst[a]), &x));
                CHECK(is_public_v4(&x));
            }
        }
        /* and every external responder actually contacted */
        vigil__sim_hour *h = NULL;
        CHECK(vigil__sim_hour_new(&h, w, 10, 3) == VIGIL_OK);
        CHECK(vigil__sim_intrusion_hour(w, h) == VIGIL_OK);
        size_t n;
        const vigil__sim_conn *c = vigil__sim_hour_conns(h, &n);
        CHECK(n > 50);
        for (size_t i = 0; i < n; i++) {
            if (!c[i].local_resp) CHECK(is_public_v4(&c[i].resp_h));
            CHECK(!is_public_v4(&c[i].orig_h));
        }
        vigil__sim_hour_free(h);
        vigil__sim_world_free(w);
    }
}

/* 1 when the two connections are equal field by field (strings by value). */
static int same_conn(const vigil__sim_conn *a, const vigil__sim_conn *b)
{
    if (a->ts != b->ts || a->duration != b->duration || memcmp(&a->orig_h, &b->orig_h, 16) ||
        memcmp(&a->resp_h, &b->resp_h, 16) || a->orig_p != b->orig_p || a->resp_p != b->resp_p ||
        a->proto != b->proto || a->app != b->app || a->truth != b->truth ||
        a->orig_bytes != b->orig_bytes || a->resp_bytes != b->resp_bytes)
        return 0;
    if (a->app == VIGIL__SIM_APP_DNS)
        return strcmp(a->a.dns.query, b->a.dns.query) == 0 &&
               (a->a.dns.answers ? b->a.dns.answers && strcmp(a->a.dns.answers, b->a.dns.answers) == 0
                                 : !b->a.dns.answers);
    if (a->app == VIGIL__SIM_APP_HTTP) return strcmp(a->a.http.uri, b->a.http.uri) == 0;
    return 1;
}

TEST(simi_deterministic)
{
    vigil__sim_world *a = default_world(1), *b = default_world(1), *c = default_world(2);
    if (!a || !b || !c) return;
    truth ta, tb, tc;
    CHECK(load_truth(a, NULL, 0, &ta));
    CHECK(load_truth(b, NULL, 0, &tb));
    CHECK(load_truth(c, NULL, 0, &tc));
    CHECK(memcmp(&ta, &tb, sizeof ta) == 0);
    /* another seed: other C2 addresses */
    int shared = 0;
    for (int i = 0; i < 10; i++)
        for (int k = 0; k < ta.ev[i].ndst; k++)
            for (int j = 0; j < 10; j++)
                for (int m = 0; m < tc.ev[j].ndst; m++)
                    shared += i != 9 && j != 9 && strcmp(ta.ev[i].dst[k], tc.ev[j].dst[m]) == 0;
    CHECK_EQ_U(shared, 0);
    /* An hour made alone, after others, or in another world of the same
     * seed: the same connections. */
    vigil__sim_hour *h1 = NULL, *h2 = NULL;
    CHECK(vigil__sim_hour_new(&h1, a, 5, 0) == VIGIL_OK);
    CHECK(vigil__sim_hour_new(&h2, b, 12, 7) == VIGIL_OK);
    CHECK(vigil__sim_intrusion_hour(b, h2) == VIGIL_OK);
    for (unsigned d = 3; d < 27; d += 4) {
        for (unsigned hr = 0; hr < 24; hr += 5) {
            vigil__sim_hour_reset(h1, d, hr);
            vigil__sim_hour_reset(h2, d, hr);
            CHECK(vigil__sim_intrusion_hour(a, h1) == VIGIL_OK);
            CHECK(vigil__sim_intrusion_hour(b, h2) == VIGIL_OK);
            size_t n1, n2;
            const vigil__sim_conn *c1 = vigil__sim_hour_conns(h1, &n1);
            const vigil__sim_conn *c2 = vigil__sim_hour_conns(h2, &n2);
            CHECK_EQ_U(n1, n2);
            for (size_t i = 0; i < n1 && i < n2; i++) CHECK(same_conn(&c1[i], &c2[i]));
        }
    }
    vigil__sim_hour_free(h1);
    vigil__sim_hour_free(h2);
    vigil__sim_world_free(a);
    vigil__sim_world_free(b);
    vigil__sim_world_free(c);
}

TEST(simi_small_worlds)
{
    /* Short and tiny worlds keep every profile, the counts and the window. */
    static const struct { int64_t start; unsigned days, hosts; } cases[] = {
        { START + 8 * 86400, 3, 20 },  /* Tue 2018-01-09: office days exist */
        { START, 7, 40 },
        { START + 8 * 86400, 1, 20 },
        { START, 14, 200 },
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        vigil__sim_world *w = NULL;
        CHECK(vigil__sim_world_new(&w, 7, cases[k].start, cases[k].days, cases[k].hosts, NULL) ==
              VIGIL_OK);
        if (!w) continue;
        recs r;
        collect(w, &r);
        truth t;
        CHECK(load_truth(w, NULL, 0, &t));
        uint64_t counts[64] = { 0 };
        const ev *quiet = find_kind(&t, "c2_quiet");
        size_t late = 0;
        for (size_t i = 0; i < r.n; i++) {
            if (r.v[i].c.truth >= 1 && r.v[i].c.truth <= 64) counts[r.v[i].c.truth - 1]++;
            if (r.v[i].c.ts + r.v[i].c.duration > quiet->ts) late++;
        }
        CHECK_EQ_U(late, 0);
        for (int i = 0; i < t.nev; i++) CHECK_EQ_U(t.ev[i].conns, counts[t.ev[i].id - 1]);
        for (int i = 0; i < 10; i++) {
            /* the office-hours implant needs a working day in the world */
            if (i == 3 && cases[k].days < 3) continue;
            if (t.ev[i].conns == 0)
                fprintf(stderr, "  case %zu: profile %s has no connections\n", k, profiles[i]);
            CHECK(t.ev[i].conns > 0);
        }
        CHECK(quiet->ts < cases[k].start + cases[k].days * 86400.0);
        recs_free(&r);
        vigil__sim_world_free(w);
    }
}
