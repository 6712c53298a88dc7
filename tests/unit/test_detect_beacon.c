/* test_detect_beacon.c -- the beacon detector on synthetic views: C2 profiles, traps, edges. */
/*
 * Every view is built in code from a seeded generator (no files), so each
 * case is exactly reproducible.  Set BEACON_TABLE=1 in the environment to
 * print, per case, our score next to a RITA-style score (timestamp skew +
 * MADM + connection count, size skew + MADM + smallness) computed here for
 * comparison; docs/detectors/beacon.md quotes the table.
 */
#define _POSIX_C_SOURCE 200809L
#include "fixture.h"
#include <math.h>
#include <stdlib.h>
#include <time.h>

#define B_DAY 86400.0
#define B_T0 1515369600.0      /* 2018-01-08 00:00 UTC, a Monday */

/* ---- a seeded generator (splitmix64) ------------------------------------- */

typedef struct beacon_rng {
    uint64_t s;                /* state */
} beacon_rng;

static double beacon_unit(beacon_rng *r) { return test_rng_unit(&r->s); }
static double beacon_uniform(beacon_rng *r, double lo, double hi) { return lo + (hi - lo) * beacon_unit(r); }
static double beacon_exp(beacon_rng *r, double mean) { return -mean * log(1 - beacon_unit(r)); }
static double beacon_normal(beacon_rng *r)
{
    double u = beacon_unit(r), v = beacon_unit(r);
    return sqrt(-2 * log(1 - u)) * cos(6.283185307179586 * v);
}

/* ---- building views ---------------------------------------------------------- */

/* A view under construction and the points it owns. */
typedef struct beacon_case {
    vigil__conn_point *pts;    /* connections (owned) */
    size_t n, cap;             /* used, allocated */
    double dur_sum;            /* summed durations the generator decided */
    vigil__pair_view v;        /* the view (pts borrowed from above) */
} beacon_case;

static void beacon_push(beacon_case *c, double ts, double ob, double rb, double dur)
{
    if (c->n == c->cap) {
        c->cap = c->cap ? 2 * c->cap : 1024;
        c->pts = realloc(c->pts, c->cap * sizeof *c->pts);
        if (!c->pts) { perror("realloc"); exit(1); }
    }
    c->pts[c->n].ts = ts;
    c->pts[c->n].orig_bytes = ob < 0 ? 0 : (uint32_t)ob;
    c->pts[c->n].resp_bytes = rb < 0 ? 0 : (uint32_t)rb;
    c->n++;
    c->dur_sum += dur;
}

static int beacon_cmp_pt(const void *a, const void *b)
{
    double x = ((const vigil__conn_point *)a)->ts, y = ((const vigil__conn_point *)b)->ts;
    return (x > y) - (x < y);
}

/* Sorts the points and fills the view: one rare destination (prevalence 1
 * of 480), every connection established, the input spanning [in0, in1]. */
static void beacon_finish(beacon_case *c, double in0, double in1)
{
    qsort(c->pts, c->n, sizeof *c->pts, beacon_cmp_pt);
    c->v = test_pair_view("10.10.3.7", "185.10.2.33", 443, 480);
    c->v.pts = c->pts;
    c->v.n = c->n;
    if (c->n) {
        c->v.first_ts = c->pts[0].ts;
        c->v.last_ts = c->pts[c->n - 1].ts;
    }
    c->v.dur_sum = c->dur_sum;
    for (size_t i = 0; i < c->n; i++) {
        c->v.bytes_out += c->pts[i].orig_bytes;
        c->v.bytes_in += c->pts[i].resp_bytes;
    }
    c->v.n_ok = (uint32_t)c->n;
    c->v.prevalence = 1;
    c->v.dst_first_seen = c->v.first_ts;
    c->v.input_first_ts = in0;
    c->v.input_last_ts = in1;
}

static void beacon_free(beacon_case *c)
{
    free(c->pts);
    memset(c, 0, sizeof *c);
}

/* Runs the detector; returns the score (0 when nothing was emitted) and
 * copies the finding to *f when given. */
static double beacon_run(const char *name, const vigil__pair_view *v, vigil_finding *f);

/* A RITA-style score, written here from its published description for
 * comparison only: mean of timestamp (1 - |Bowley skew|, 1 - MADM/30 s,
 * count / (input span / 10)) and size (1 - |skew|, 1 - MADM/32 B,
 * 1 - mode/65535) components. */
static int beacon_cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double beacon_rita_part(double *x, size_t n, double madm_cut, double *mode_out)
{
    qsort(x, n, sizeof *x, beacon_cmp_d);
    double lo = x[(size_t)floor(0.25 * (double)(n - 1) + 0.5)];
    double mid = x[(size_t)floor(0.5 * (double)(n - 1) + 0.5)];
    double hi = x[(size_t)floor(0.75 * (double)(n - 1) + 0.5)];
    double skew = 0;
    if (hi - lo != 0 && mid != lo && mid != hi) skew = (lo + hi - 2 * mid) / (hi - lo);
    double mode = x[0];
    size_t run = 0, best = 0;
    for (size_t i = 0; i < n; i++) {
        run = i && x[i] == x[i - 1] ? run + 1 : 1;
        if (run > best) { best = run; mode = x[i]; }
    }
    if (mode_out) *mode_out = mode;
    for (size_t i = 0; i < n; i++) x[i] = fabs(x[i] - mid);
    qsort(x, n, sizeof *x, beacon_cmp_d);
    double madm = x[(size_t)floor(0.5 * (double)(n - 1) + 0.5)];
    double madm_score = 1 - madm / madm_cut;
    return (1 - fabs(skew)) + (madm_score < 0 ? 0 : madm_score);
}

static double beacon_rita(const vigil__pair_view *v)
{
    if (v->n < 4) return 0;
    double *x = malloc(v->n * sizeof *x);
    if (!x) return 0;
    for (size_t i = 0; i + 1 < v->n; i++) x[i] = floor(v->pts[i + 1].ts) - floor(v->pts[i].ts);
    double ts_sum = beacon_rita_part(x, v->n - 1, 30, NULL);
    double span = v->input_last_ts - v->input_first_ts;
    double count = span > 0 ? (double)v->n / (span / 10) : 1;
    ts_sum += count > 1 ? 1 : count;
    for (size_t i = 0; i < v->n; i++) x[i] = v->pts[i].orig_bytes;
    double mode;
    double ds_sum = beacon_rita_part(x, v->n, 32, &mode);
    double small = 1 - mode / 65535;
    ds_sum += small < 0 ? 0 : small;
    free(x);
    return (ts_sum + ds_sum) / 6;
}

static double beacon_run(const char *name, const vigil__pair_view *v, vigil_finding *f)
{
    vigil_findings fs;
    memset(&fs, 0, sizeof fs);
    vigil_status rc = vigil__detect_beacon(v, NULL, &fs);
    CHECK(rc == VIGIL_OK);
    CHECK(fs.n <= 1);
    double score = fs.n ? fs.v[0].score : 0;
    if (fs.n) {
        const vigil_finding *g = &fs.v[0];
        CHECK(g->kind == VIGIL_FIND_BEACON);
        CHECK(g->score >= 0 && g->score <= 1);
        CHECK(g->nreasons >= 3);
        CHECK(g->conns == v->n);
        if (f) *f = *g;
    } else if (f) {
        memset(f, 0, sizeof *f);
    }
    if (getenv("BEACON_TABLE")) {
        printf("  %-22s score %.3f  rita %.3f  period %8.1f  jitter %.2f\n", name, score,
               beacon_rita(v), fs.n ? fs.v[0].period_s : 0, fs.n ? fs.v[0].jitter : 0);
        for (uint32_t i = 0; fs.n && i < fs.v[0].nreasons; i++)
            printf("      - %s\n", fs.v[0].reasons[i]);
    }
    vigil_findings_free(&fs);
    return score;
}

/* Renewal beacon: sleep = period * (1 + jitter * U(-1,1)), each beat kept
 * with probability 1 - miss, requests of `bytes` +/- 4%. */
static void beacon_gen_renewal(beacon_case *c, beacon_rng *r, double t0, double t1, double period,
                               double jitter, double miss, double bytes)
{
    for (double t = t0 + period * beacon_unit(r); t < t1;
         t += period * (1 + jitter * (2 * beacon_unit(r) - 1))) {
        if (beacon_unit(r) < miss) continue;
        beacon_push(c, t, bytes * (1 + 0.04 * beacon_normal(r)), 2 * bytes, 0.2);
    }
}

/* A finished case of one renewal beacon (see beacon_gen_renewal) from B_T0
 * for `days` days, drawn from generator `seed`; free it with beacon_free. */
static void beacon_renewal_case(beacon_case *c, uint64_t seed, int days, double period,
                                double jitter, double miss, double bytes)
{
    beacon_rng r = { seed };
    memset(c, 0, sizeof *c);
    beacon_gen_renewal(c, &r, B_T0, B_T0 + days * B_DAY, period, jitter, miss, bytes);
    beacon_finish(c, B_T0, B_T0 + days * B_DAY);
}

/* ---- C2 profiles that must score >= 0.7 -------------------------------------- */

TEST(beacon_steady_60s)
{
    beacon_case c;
    beacon_renewal_case(&c, 1, 2, 60, 0.01, 0, 320);
    vigil_finding f;
    double s = beacon_run("steady 60 s", &c.v, &f);
    CHECK(s >= 0.7);
    CHECK(fabs(f.period_s - 60) < 1);
    CHECK(f.jitter < 0.05);
    CHECK(f.days_present == 2);
    CHECK(f.prevalence == 1);
    CHECK(f.dport == 443 && f.proto == VIGIL_PROTO_TCP && f.dst_count == 1);
    CHECK(f.first_ts == c.pts[0].ts && f.last_ts == c.pts[c.n - 1].ts);
    CHECK(f.bytes_out == c.v.bytes_out);
    CHECK(strstr(f.reasons[0], "regular interval (60 s") != NULL);
    beacon_free(&c);
}

TEST(beacon_jitter_50)
{
    beacon_case c;
    beacon_renewal_case(&c, 2, 3, 60, 0.5, 0, 450);
    vigil_finding f;
    CHECK(beacon_run("jitter +/-50%", &c.v, &f) >= 0.7);
    CHECK(fabs(f.period_s - 60) < 6);
    beacon_free(&c);
}

TEST(beacon_jitter_80)
{
    beacon_case c;
    beacon_renewal_case(&c, 3, 5, 150, 0.8, 0, 900);
    CHECK(beacon_run("jitter +/-80%", &c.v, NULL) >= 0.7);
    beacon_free(&c);
}

TEST(beacon_missed_35)
{
    beacon_case c;
    beacon_renewal_case(&c, 4, 2, 60, 0.03, 0.35, 200);
    vigil_finding f;
    CHECK(beacon_run("35% missed", &c.v, &f) >= 0.7);
    CHECK(fabs(f.period_s - 60) < 1);
    CHECK(strstr(f.reasons[0], "missed beats") != NULL);
    beacon_free(&c);
}

TEST(beacon_missed_55)
{
    beacon_case c;
    beacon_renewal_case(&c, 5, 2, 120, 0.03, 0.55, 200);
    vigil_finding f;
    CHECK(beacon_run("55% missed", &c.v, &f) >= 0.7);
    CHECK(fabs(f.period_s - 120) < 4);
    CHECK(strstr(f.reasons[0], "missed beats") != NULL);
    beacon_free(&c);
}

/* Office hours: Mon-Fri 09-18 in UTC+9 (00-09 UTC), three weeks. */
TEST(beacon_office_hours)
{
    beacon_rng r = { 6 };
    beacon_case c;
    memset(&c, 0, sizeof c);
    for (int d = 0; d < 21; d++) {
        if (d % 7 >= 5) continue; /* B_T0 is a Monday */
        double day = B_T0 + d * B_DAY;
        beacon_gen_renewal(&c, &r, day + 5 * 60 * beacon_unit(&r), day + 9 * 3600, 300, 0.15, 0.02, 700);
    }
    beacon_finish(&c, B_T0, B_T0 + 21 * B_DAY);
    vigil_finding f;
    CHECK(beacon_run("office hours 3 weeks", &c.v, &f) >= 0.7);
    CHECK(fabs(f.period_s - 300) < 20);
    int said = 0;
    for (uint32_t i = 0; i < f.nreasons; i++)
        if (strstr(f.reasons[i], "active only 00-09 UTC") && strstr(f.reasons[i], "weekends")) said = 1;
    CHECK(said);
    beacon_free(&c);
}

/* Bursts of 3-6 connections, 0.5-4 s apart, every 10 min +/- 10%. */
TEST(beacon_bursts)
{
    beacon_rng r = { 7 };
    beacon_case c;
    memset(&c, 0, sizeof c);
    for (double t = B_T0 + 100; t < B_T0 + 3 * B_DAY; t += 600 * (1 + 0.1 * (2 * beacon_unit(&r) - 1))) {
        int k = 3 + (int)(beacon_unit(&r) * 4);
        double u = t;
        for (int i = 0; i < k; i++) {
            beacon_push(&c, u, i == 0 ? 300 : 1500 + 200 * beacon_unit(&r), 400, 0.3);
            u += beacon_uniform(&r, 0.5, 4);
        }
    }
    beacon_finish(&c, B_T0, B_T0 + 3 * B_DAY);
    vigil_finding f;
    CHECK(beacon_run("bursts of 3-6", &c.v, &f) >= 0.7);
    CHECK(fabs(f.period_s - 600) < 30);
    beacon_free(&c);
}

TEST(beacon_low_and_slow)
{
    beacon_case c;
    beacon_renewal_case(&c, 8, 20, 3 * 3600, 0.2, 0, 1200);
    vigil_finding f;
    CHECK(beacon_run("low and slow 3 h", &c.v, &f) >= 0.7);
    CHECK(fabs(f.period_s - 3 * 3600) < 900);
    CHECK(f.days_present == 20);
    beacon_free(&c);
}

/* A name group: five addresses in turn, one a day, one beacon. */
TEST(beacon_rotating_group)
{
    beacon_case c;
    beacon_renewal_case(&c, 9, 5, 180, 0.15, 0, 500);
    c.v.is_group = 1;
    c.v.dst_count = 5;
    c.v.name = "cdn-update-sync.com";
    vigil_finding f;
    CHECK(beacon_run("rotating group of 5", &c.v, &f) >= 0.7);
    CHECK(f.dst_count == 5);
    CHECK_STR(f.dst_name, "cdn-update-sync.com");
    int said = 0;
    for (uint32_t i = 0; i < f.nreasons; i++)
        if (strstr(f.reasons[i], "5 rotating addresses")) said = 1;
    CHECK(said);
    beacon_free(&c);
}

/* The sender's clock drifts: the period grows from 60 to 66 s. */
TEST(beacon_clock_drift)
{
    beacon_rng r = { 10 };
    beacon_case c;
    memset(&c, 0, sizeof c);
    double t1 = B_T0 + 2 * B_DAY;
    for (double t = B_T0; t < t1;) {
        beacon_push(&c, t, 250, 500, 0.1);
        double period = 60 + 6 * (t - B_T0) / (t1 - B_T0);
        t += period * (1 + 0.05 * (2 * beacon_unit(&r) - 1));
    }
    beacon_finish(&c, B_T0, t1);
    CHECK(beacon_run("clock drift 60->66 s", &c.v, NULL) >= 0.7);
    beacon_free(&c);
}

/* njRAT-like: an unanswered attempt and its retry 9 s later, every 23 s. */
TEST(beacon_two_per_cycle)
{
    beacon_rng r = { 11 };
    beacon_case c;
    memset(&c, 0, sizeof c);
    for (double t = B_T0; t < B_T0 + 6 * 3600; t += 23 + 0.02 * beacon_normal(&r)) {
        beacon_push(&c, t, 0, 0, 3);
        beacon_push(&c, t + 9 + 0.01 * beacon_normal(&r), 0, 0, 0);
    }
    beacon_finish(&c, B_T0, B_T0 + 6 * 3600);
    c.v.n_ok = 0;
    c.v.n_s0 = (uint32_t)c.n;
    vigil_finding f;
    CHECK(beacon_run("2 per 23 s cycle (S0)", &c.v, &f) >= 0.7);
    CHECK(fabs(f.period_s - 23) < 1);
    beacon_free(&c);
}

/* A month with a week of silence in the middle (a holiday). */
TEST(beacon_month_week_gap)
{
    beacon_rng r = { 12 };
    beacon_case c;
    memset(&c, 0, sizeof c);
    beacon_gen_renewal(&c, &r, B_T0, B_T0 + 10 * B_DAY, 300, 0.1, 0, 400);
    beacon_gen_renewal(&c, &r, B_T0 + 17 * B_DAY, B_T0 + 30 * B_DAY, 300, 0.1, 0, 400);
    beacon_finish(&c, B_T0, B_T0 + 30 * B_DAY);
    vigil_finding f;
    CHECK(beacon_run("month, week gap", &c.v, &f) >= 0.7);
    CHECK(fabs(f.period_s - 300) < 15);
    beacon_free(&c);
}

/* ---- traps that must stay below 0.5 ------------------------------------------- */

/* NTP every 1024 s, polled by every internal host. */
TEST(beacon_trap_ntp_everyone)
{
    beacon_case c;
    beacon_renewal_case(&c, 13, 7, 1024, 0.001, 0, 48);
    c.v.proto = VIGIL_PROTO_UDP;
    c.v.dport = 123;
    c.v.prevalence = 480;
    vigil_finding f;
    double s = beacon_run("trap: NTP, all hosts", &c.v, &f);
    CHECK(s < 0.5);
    CHECK(s == 0 || strstr(f.reasons[0], "common destination") != NULL);
    beacon_free(&c);
}

/* A websocket/long-poll: a short handshake then a session held until the
 * server closes it 0-30 s later, reconnect at once; office hours, one day,
 * in a single-host capture (prevalence says nothing). */
TEST(beacon_trap_longpoll)
{
    beacon_rng r = { 14 };
    beacon_case c;
    memset(&c, 0, sizeof c);
    for (double t = B_T0 + 10 * 3600; t < B_T0 + 17 * 3600;) {
        beacon_push(&c, t, 1222, 603, 0.3);
        double hold = beacon_uniform(&r, 0, 30);
        beacon_push(&c, t + 0.3, 1317, 580, hold);
        t += 0.3 + hold + beacon_uniform(&r, 0.05, 0.4);
    }
    beacon_finish(&c, B_T0, B_T0 + B_DAY);
    c.v.internal_hosts = 1;
    vigil_finding f;
    double s = beacon_run("trap: long-poll", &c.v, &f);
    CHECK(s < 0.5);
    /* The same sessions every 25 s, as pusher.com held them. */
    beacon_case d;
    memset(&d, 0, sizeof d);
    for (double t = B_T0 + 10 * 3600; t < B_T0 + 17 * 3600;) {
        beacon_push(&d, t, 1222, 603, 0.3);
        double hold = 25 + beacon_normal(&r) * 0.1;
        beacon_push(&d, t + 0.3, 1317, 580, hold);
        t += 0.3 + hold + beacon_uniform(&r, 0.0, 0.1);
    }
    beacon_finish(&d, B_T0, B_T0 + B_DAY);
    d.v.internal_hosts = 1;
    s = beacon_run("trap: websocket 25 s", &d.v, &f);
    CHECK(s < 0.5);
    int said = 0;
    for (uint32_t i = 0; i < f.nreasons; i++)
        if (strstr(f.reasons[i], "long-poll")) said = 1;
    CHECK(said);
    beacon_free(&c);
    beacon_free(&d);
}

/* Remcos-like: refused every 0.5-1 s for 8 minutes. */
TEST(beacon_trap_retry_storm)
{
    beacon_rng r = { 15 };
    beacon_case c;
    memset(&c, 0, sizeof c);
    for (double t = B_T0; t < B_T0 + 480; t += beacon_uniform(&r, 0.5, 1))
        beacon_push(&c, t, 0, 0, 0.001);
    beacon_finish(&c, B_T0, B_T0 + 500);
    c.v.n_ok = 0;
    c.v.n_rej = (uint32_t)c.n;
    c.v.internal_hosts = 3;
    vigil_finding f;
    double s = beacon_run("trap: refused storm", &c.v, &f);
    CHECK(s < 0.5);
    CHECK(s == 0 || strstr(f.reasons[0], "retry storm") != NULL);
    beacon_free(&c);
}

/* A person browsing: page loads (bursts of 3-30 connections), think times
 * log-normal around 40 s, breaks, office hours, five days. */
static void beacon_gen_browsing(beacon_case *c, beacon_rng *r, int days)
{
    for (int d = 0; d < days; d++) {
        double t = B_T0 + d * B_DAY + 8 * 3600 + beacon_exp(r, 1800);
        while (t < B_T0 + d * B_DAY + 18 * 3600) {
            int k = 3 + (int)(beacon_unit(r) * 28);
            double u = t;
            for (int i = 0; i < k; i++) {
                beacon_push(c, u, 400 + beacon_exp(r, 900), beacon_exp(r, 40000), beacon_exp(r, 5));
                u += beacon_exp(r, 0.3);
            }
            t = u + 40 * exp(1.3 * beacon_normal(r));
            if (beacon_unit(r) < 0.05) t += beacon_exp(r, 3600);
        }
    }
}

TEST(beacon_trap_browsing)
{
    beacon_rng r = { 16 };
    beacon_case c;
    memset(&c, 0, sizeof c);
    beacon_gen_browsing(&c, &r, 5);
    beacon_finish(&c, B_T0, B_T0 + 5 * B_DAY);
    c.v.prevalence = 300;
    CHECK(beacon_run("trap: browsing, popular", &c.v, NULL) < 0.5);
    /* The same person on a site nobody else visits: irregular is enough. */
    c.v.prevalence = 1;
    CHECK(beacon_run("trap: browsing, rare", &c.v, NULL) < 0.5);
    beacon_free(&c);
}

/* Poisson traffic (an app fetching on user events) to a rare address. */
TEST(beacon_trap_poisson)
{
    beacon_rng r = { 17 };
    for (int k = 0; k < 20; k++) {
        beacon_case c;
        memset(&c, 0, sizeof c);
        size_t n = 8 + (size_t)k * 25;
        double t = B_T0;
        for (size_t i = 0; i < n; i++) {
            t += beacon_exp(&r, 300);
            beacon_push(&c, t, 500, 900, 0.5);
        }
        beacon_finish(&c, B_T0, B_T0 + 3 * B_DAY);
        char name[64];
        snprintf(name, sizeof name, "trap: poisson n=%zu", n);
        CHECK(beacon_run(name, &c.v, NULL) < 0.5);
        beacon_free(&c);
    }
}

/* ---- edges ------------------------------------------------------------------- */

TEST(beacon_few_points)
{
    vigil__conn_point pts[3] = { { B_T0, 100, 100 }, { B_T0 + 60, 100, 100 }, { B_T0 + 120, 100, 100 } };
    vigil__pair_view v;
    memset(&v, 0, sizeof v);
    vigil_findings fs;
    memset(&fs, 0, sizeof fs);
    for (size_t n = 0; n <= 3; n++) {
        v.pts = n ? pts : NULL;
        v.n = n;
        CHECK(vigil__detect_beacon(&v, NULL, &fs) == VIGIL_OK);
        CHECK(fs.n == 0);
    }
    CHECK(vigil__detect_beacon(NULL, NULL, &fs) == VIGIL_EINVAL);
    vigil_findings_free(&fs);
}

TEST(beacon_identical_ts)
{
    beacon_case c;
    memset(&c, 0, sizeof c);
    for (int i = 0; i < 500; i++) beacon_push(&c, B_T0, 100, 100, 0.1);
    beacon_finish(&c, B_T0, B_T0 + B_DAY);
    CHECK(beacon_run("identical ts", &c.v, NULL) == 0);
    /* Pairs of duplicates every 60 s: the duplicates are one beat. */
    beacon_free(&c);
    memset(&c, 0, sizeof c);
    for (int i = 0; i < 500; i++) {
        beacon_push(&c, B_T0 + 60 * i, 100, 100, 0.1);
        beacon_push(&c, B_T0 + 60 * i, 100, 100, 0.1);
    }
    beacon_finish(&c, B_T0, B_T0 + 500 * 60);
    vigil_finding f;
    CHECK(beacon_run("duplicated beats", &c.v, &f) >= 0.7);
    CHECK(fabs(f.period_s - 60) < 1);
    beacon_free(&c);
}

/* Views are sorted by contract; shuffled input and non-finite timestamps
 * must still give an answer (the same one), never undefined behaviour. */
TEST(beacon_unsorted_and_nan)
{
    beacon_rng r = { 18 };
    beacon_case c;
    memset(&c, 0, sizeof c);
    beacon_gen_renewal(&c, &r, B_T0, B_T0 + B_DAY, 60, 0.05, 0, 300);
    beacon_finish(&c, B_T0, B_T0 + B_DAY);
    double sorted_score = beacon_run("sorted", &c.v, NULL);
    for (size_t i = c.n - 1; i > 0; i--) {
        size_t j = (size_t)(test_rng_next(&r.s) % (i + 1));
        vigil__conn_point t = c.pts[i];
        c.pts[i] = c.pts[j];
        c.pts[j] = t;
    }
    double shuffled = beacon_run("shuffled", &c.v, NULL);
    CHECK(fabs(shuffled - sorted_score) < 0.02);
    c.pts[3].ts = NAN;
    c.pts[7].ts = INFINITY;
    c.pts[9].ts = -INFINITY;
    c.pts[11].ts = 1e300;
    c.pts[12].ts = -1e300;
    double s = beacon_run("nan/inf/huge", &c.v, NULL);
    CHECK(s >= 0 && s <= 1);
    /* Timestamps going backwards by a constant step. */
    for (size_t i = 0; i < c.n; i++) c.pts[i].ts = B_T0 + B_DAY - 60.0 * (double)i;
    CHECK(beacon_run("backwards", &c.v, NULL) >= 0.7);
    beacon_free(&c);
}

/* cfg->min_score and cfg->min_conns are honoured. */
TEST(beacon_min_score_and_cfg)
{
    beacon_rng r = { 19 };
    beacon_case c;
    memset(&c, 0, sizeof c);
    beacon_gen_renewal(&c, &r, B_T0, B_T0 + B_DAY, 60, 0.02, 0, 300);
    beacon_finish(&c, B_T0, B_T0 + B_DAY);
    vigil__detect_cfg cfg = { .min_score = 0.999, .min_conns = 4 };
    vigil_findings fs;
    memset(&fs, 0, sizeof fs);
    CHECK(vigil__detect_beacon(&c.v, &cfg, &fs) == VIGIL_OK);
    CHECK(fs.n == 0);
    cfg.min_score = 0;
    cfg.min_conns = (uint32_t)c.n + 1;
    CHECK(vigil__detect_beacon(&c.v, &cfg, &fs) == VIGIL_OK);
    CHECK(fs.n == 0);
    cfg.min_conns = 4;
    CHECK(vigil__detect_beacon(&c.v, &cfg, &fs) == VIGIL_OK);
    CHECK(fs.n == 1);
    vigil_findings_free(&fs);
    beacon_free(&c);
}

static double beacon_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* Sanitizers slow everything several-fold: the time limit scales. */
#if defined(__SANITIZE_ADDRESS__)
#define BEACON_SLOW 5.0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define BEACON_SLOW 5.0
#endif
#endif
#ifndef BEACON_SLOW
#define BEACON_SLOW 1.0
#endif

/* A million connections (a 30 s beacon for a year): well under a second. */
TEST(beacon_huge_n_fast)
{
    beacon_rng r = { 20 };
    beacon_case c;
    memset(&c, 0, sizeof c);
    double t = B_T0;
    for (size_t i = 0; i < 1000000; i++) {
        beacon_push(&c, t, 300, 600, 0.1);
        t += 30 * (1 + 0.2 * (2 * beacon_unit(&r) - 1));
    }
    beacon_finish(&c, B_T0, t);
    vigil_findings fs;
    memset(&fs, 0, sizeof fs);
    double t0 = beacon_now();
    CHECK(vigil__detect_beacon(&c.v, NULL, &fs) == VIGIL_OK);
    double took = beacon_now() - t0;
    CHECK(fs.n == 1 && fs.v[0].score >= 0.7);
    if (getenv("BEACON_TABLE")) printf("  1e6 points: %.3f s\n", took);
    CHECK(took < 1.0 * BEACON_SLOW);
    /* Random order costs one sort, still fast. */
    for (size_t i = c.n - 1; i > 0; i--) {
        size_t j = (size_t)(test_rng_next(&r.s) % (i + 1));
        vigil__conn_point p = c.pts[i];
        c.pts[i] = c.pts[j];
        c.pts[j] = p;
    }
    t0 = beacon_now();
    CHECK(vigil__detect_beacon(&c.v, NULL, &fs) == VIGIL_OK);
    took = beacon_now() - t0;
    if (getenv("BEACON_TABLE")) printf("  1e6 points shuffled: %.3f s\n", took);
    CHECK(took < 2.0 * BEACON_SLOW);
    vigil_findings_free(&fs);
    beacon_free(&c);
}

/* ---- the shared helpers ------------------------------------------------------ */

TEST(beacon_util_median_quantile)
{
    double a[] = { 5, 1, 4, 2, 3 };
    CHECK(vigil__median(a, 5) == 3);
    double b[] = { 4, 1, 3, 2 };
    CHECK(vigil__median(b, 4) == 2.5);
    double one[] = { 7 };
    CHECK(vigil__median(one, 1) == 7);
    CHECK(vigil__median(NULL, 0) == 0);
    double same[1000];
    for (int i = 0; i < 1000; i++) same[i] = 42;
    CHECK(vigil__median(same, 1000) == 42);
    double q[101];
    for (int i = 0; i <= 100; i++) q[i] = 100 - i;
    CHECK(vigil__quantile(q, 101, 0.9) == 90);
    CHECK(vigil__quantile(q, 101, 0) == 0);
    CHECK(vigil__quantile(q, 101, 1) == 100);
    double d[] = { 1, 2, 3, 4, 100 };
    CHECK(vigil__mad(d, 5, 3) == 1);
    /* Adversarial-looking orders stay correct (sorted, reversed, organ pipe). */
    static double big[100001];
    for (int kind = 0; kind < 3; kind++) {
        for (int i = 0; i <= 100000; i++)
            big[i] = kind == 0 ? i : kind == 1 ? 100000 - i : (i < 50000 ? i : 100000 - i) * 2.0 + (i & 1);
        double med = vigil__median(big, 100001);
        if (kind < 2) CHECK(med == 50000);
        else CHECK(med >= 0);
    }
}

/* The one-pass median and quantiles equal the one-at-a-time ones, on
 * every size from 1 to 300, with runs of equal values, and with quantiles
 * that coincide with each other and with the middle. */
TEST(beacon_util_median_quantiles_one_pass)
{
    static const double qs[6] = { 0.05, 0.25, 0.5, 0.75, 0.95, 0.25 };
    double v[300], w[300], got[6], med;
    uint64_t x = 12345;
    for (size_t n = 1; n <= 300; n++) {
        for (size_t i = 0; i < n; i++) {
            x = x * 6364136223846793005ULL + 1442695040888963407ULL;
            v[i] = (double)((x >> 33) % (n % 3 ? 1000 : 7)); /* every third size: many ties */
        }
        memcpy(w, v, n * sizeof *v);
        vigil__median_quantiles(w, n, qs, 6, &med, got);
        memcpy(w, v, n * sizeof *v);
        CHECK(med == vigil__median(w, n));
        for (size_t k = 0; k < 6; k++) {
            memcpy(w, v, n * sizeof *v);
            CHECK(got[k] == vigil__quantile(w, n, qs[k]));
        }
    }
    vigil__median_quantiles(NULL, 0, qs, 6, &med, got);
    CHECK(med == 0 && got[0] == 0 && got[5] == 0);
}

/* ---- the order statistics against a sort ------------------------------------ */

/* The shapes of array the selection tests draw. */
typedef enum sel_shape {
    SEL_UNIFORM,  /* spread evenly over [0, 1000) */
    SEL_EQUAL,    /* one value */
    SEL_CAMPS,    /* two values (9 s and 14 s alternating), in random shares */
    SEL_TAIL,     /* a cluster and a few huge values, up to 1e300 */
    SEL_CLUSTER,  /* 60 s with 1e-9 s of jitter, some missed beats (120 s...) */
    SEL_ULPS,     /* 60.0 and the 15 doubles above it: only the last bits differ */
    SEL_ZEROS,    /* +0.0 in half, small values in the rest */
    SEL_TINY,     /* zeros, subnormals, DBL_MIN and small values */
    SEL_INF,      /* +inf in a tenth, zeros, exponential values */
    SEL_NEGATIVE, /* both signs */
    SEL_SIGNED0,  /* +0.0 and -0.0 mixed (equal values, different bits) */
    SEL_SHAPES
} sel_shape;

/* Fills v[0..n) with values of `shape` drawn from r. */
static void sel_fill(double *v, size_t n, sel_shape shape, beacon_rng *r)
{
    double share = beacon_unit(r);
    for (size_t i = 0; i < n; i++) {
        double u = beacon_unit(r), x = 0;
        switch (shape) {
        case SEL_UNIFORM: x = beacon_uniform(r, 0, 1000); break;
        case SEL_EQUAL: x = 42.5; break;
        case SEL_CAMPS: x = u < share ? 9 : 14; break;
        case SEL_TAIL:
            x = u < 0.005  ? 1e300
                : u < 0.02 ? beacon_uniform(r, 1e4, 1e7)
                           : beacon_uniform(r, 55, 65);
            break;
        case SEL_CLUSTER:
            x = (u < 0.05 ? 60 * floor(2 + 3 * beacon_unit(r)) : 60) + 1e-9 * beacon_normal(r);
            break;
        case SEL_ULPS: {
            uint64_t b;
            x = 60;
            memcpy(&b, &x, sizeof b);
            b += test_rng_next(&r->s) % 16;
            memcpy(&x, &b, sizeof x);
            break;
        }
        case SEL_ZEROS: x = u < 0.5 ? 0.0 : beacon_exp(r, 3); break;
        case SEL_TINY:
            x = u < 0.2   ? 0.0
                : u < 0.5 ? 4.9e-324 * floor(1 + 100 * beacon_unit(r)) /* subnormal */
                : u < 0.6 ? 2.2250738585072014e-308                    /* DBL_MIN */
                          : beacon_exp(r, 1);
            break;
        case SEL_INF: x = u < 0.1 ? INFINITY : u < 0.15 ? 0.0 : beacon_exp(r, 30); break;
        case SEL_NEGATIVE: x = beacon_uniform(r, -100, 100); break;
        case SEL_SIGNED0: x = u < 0.3 ? 0.0 : u < 0.6 ? -0.0 : beacon_uniform(r, -1, 1); break;
        default: break;
        }
        v[i] = x;
    }
}

static int sel_cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Whether a result equals the reference: the same bits, or (`loose`, for
 * arrays holding both zeros, where a rank may hold either) equal values. */
static int sel_same(double got, double want, int loose)
{
    return memcmp(&got, &want, sizeof got) == 0 || (loose && got == want);
}

/* The nearest-rank position of the q-quantile, as agg.h defines it. */
static size_t sel_rank(size_t n, double q)
{
    if (!(q > 0)) q = 0;
    if (q > 1) q = 1;
    size_t k = (size_t)floor(q * (double)(n - 1) + 0.5);
    return k >= n ? n - 1 : k;
}

/* Whether w[0..n) holds the values of sorted[0..n) (sorts w). */
static int sel_permutes(double *w, const double *sorted, size_t n, int loose)
{
    qsort(w, n, sizeof *w, sel_cmp);
    for (size_t i = 0; i < n; i++)
        if (!sel_same(w[i], sorted[i], loose)) return 0;
    return 1;
}

/* The median, MAD, quantiles and one-pass median and quantiles of v[0..n)
 * against a sorted copy (s, d and w: scratch of n); 1 when all agree. */
static int sel_check(const double *v, size_t n, double *s, double *d, double *w, int loose)
{
    memcpy(s, v, n * sizeof *s);
    qsort(s, n, sizeof *s, sel_cmp);
    double med = n % 2 ? s[n / 2] : s[n / 2 - 1] / 2 + s[n / 2] / 2;
    for (size_t i = 0; i < n; i++) d[i] = fabs(v[i] - med);
    qsort(d, n, sizeof *d, sel_cmp);
    double mad = n % 2 ? d[n / 2] : d[n / 2 - 1] / 2 + d[n / 2] / 2;
    int ok = 1;

    /* As detect_beacon.c does: the MAD from the scratch the median left. */
    memcpy(w, v, n * sizeof *w);
    double got = vigil__median(w, n);
    ok &= sel_same(got, med, loose);
    ok &= sel_same(vigil__mad(w, n, got), mad, loose);

    /* Ends, the middle, the ranks next to the ends, and the fractions that
     * round to them. */
    double step = n > 1 ? 1.0 / (double)(n - 1) : 1;
    const double qs[16] = { 0,          1,          0.5,      0.05,       0.25,     0.75,
                            0.95,       step,       1 - step, 0.49 * step, 1 - 0.49 * step,
                            0.5 * step, 2 * step,   1 - 2 * step, 1e-12,  -1 };
    memcpy(w, v, n * sizeof *w);
    for (size_t i = 0; i < 16; i++) /* w keeps the order each call leaves */
        ok &= sel_same(vigil__quantile(w, n, qs[i]), s[sel_rank(n, qs[i])], loose);
    ok &= sel_permutes(w, s, n, loose);

    for (size_t half = 0; half < 2; half++) {
        double out[VIGIL__MAX_QUANTILES];
        memcpy(w, v, n * sizeof *w);
        vigil__median_quantiles(w, n, qs + 8 * half, VIGIL__MAX_QUANTILES, &got, out);
        ok &= sel_same(got, med, loose);
        for (size_t i = 0; i < VIGIL__MAX_QUANTILES; i++)
            ok &= sel_same(out[i], s[sel_rank(n, qs[8 * half + i])], loose);
        ok &= sel_permutes(w, s, n, loose);
    }
    return ok;
}

/* The selection helpers give what sorting gives, bit for bit, on every
 * shape of array and on sizes each side of the sizes where their method
 * changes (64 values, and each doubling of the bins up to 2,048). */
TEST(beacon_util_select_matches_sort)
{
    static const size_t sizes[] = { 1,    2,    3,    4,    5,    7,    31,   32,   33,    63,
                                    64,   65,   66,   127,  128,  129,  255,  256,  257,   511,
                                    512,  513,  1023, 1024, 1025, 2047, 2048, 2049, 2050,  4095,
                                    4096, 4097, 8191, 8193, 9000, 16384, 30001, 65536, 70001 };
    size_t cap = 70001;
    double *v = malloc(cap * sizeof *v), *s = malloc(cap * sizeof *s);
    double *d = malloc(cap * sizeof *d), *w = malloc(cap * sizeof *w);
    CHECK(v && s && d && w);
    if (!v || !s || !d || !w) goto out;
    beacon_rng r = { 20250701 };
    for (int shape = 0; shape < SEL_SHAPES; shape++)
        for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
            size_t n = sizes[i];
            int reps = n <= 4096 ? 4 : 1;
            for (int rep = 0; rep < reps; rep++) {
                sel_fill(v, n, (sel_shape)shape, &r);
                int ok = sel_check(v, n, s, d, w, shape == SEL_SIGNED0);
                if (!ok) printf("    shape %d, n %zu, draw %d\n", shape, n, rep);
                CHECK(ok);
            }
        }
out:
    free(v);
    free(s);
    free(d);
    free(w);
}

/* A value several times larger among many in a tight cluster, at every
 * position of the ranks (the bins of the search then hold few values but
 * the cluster's bin holds nearly all): still exact. */
TEST(beacon_util_select_cluster_edges)
{
    enum { N = 5000 };
    static double v[N], s[N], d[N], w[N];
    beacon_rng r = { 77 };
    for (size_t big = 0; big <= 8; big++) {
        for (size_t i = 0; i < N; i++) v[i] = 300 + 1e-6 * beacon_unit(&r);
        for (size_t i = 0; i < big * big * 60; i++)
            v[test_rng_next(&r.s) % N] = 300 * (2 + (double)big);
        CHECK(sel_check(v, N, s, d, w, 0));
    }
}

/* NaN has no rank (agg.h: "No NaNs"); an array holding one goes to the
 * quickselect exactly as before the histogram search existed, so these
 * results, recorded from that code, stay as they were.  The scratch still
 * holds the same values. */
TEST(beacon_util_select_nan_as_before)
{
    static const double qs[3] = { 0.05, 0.5, 0.95 };
    static const size_t sizes[2] = { 101, 3000 };
    /* median, 0.9-quantile, one-pass median and 5/50/95% */
    static const double want[2][6] = {
        { 0x1.432887e6d55eep+5, 0x1.78a40f44c6b98p+6, 0x1.432887e6d55eep+5, 0x1.270f4c7191de2p+3,
          0x1.432887e6d55eep+5, 0x1.771721c6e7187p+6 },
        { 0x1.cfdfd40482034p+5, 0x1.8376763f3d152p+6, 0x1.cfdfd40482034p+5, 0x1.b5dd6e91cef39p+2,
          0x1.cfff73421cffep+5, 0x1.7e5f7ca87854dp+6 },
    };
    static double v[3000], w[3000];
    for (size_t c = 0; c < 2; c++) {
        size_t n = sizes[c], nan = 0;
        beacon_rng r = { 4242 + c };
        for (size_t i = 0; i < n; i++) v[i] = i % 7 == 3 ? NAN : beacon_uniform(&r, 1, 100);
        double got[6], q[3];
        memcpy(w, v, n * sizeof *w);
        got[0] = vigil__median(w, n);
        memcpy(w, v, n * sizeof *w);
        got[1] = vigil__quantile(w, n, 0.9);
        memcpy(w, v, n * sizeof *w);
        vigil__median_quantiles(w, n, qs, 3, &got[2], q);
        got[3] = q[0];
        got[4] = q[1];
        got[5] = q[2];
        for (size_t k = 0; k < 6; k++) {
            if (memcmp(&got[k], &want[c][k], sizeof got[k]) != 0)
                printf("    n %zu, result %zu: %a\n", n, k, got[k]);
            CHECK(memcmp(&got[k], &want[c][k], sizeof got[k]) == 0);
        }
        double sum = 0, wsum = 0;
        for (size_t i = 0; i < n; i++) {
            if (isnan(w[i])) nan++;
            else wsum += w[i];
            if (!isnan(v[i])) sum += v[i];
        }
        CHECK(nan == (n + 3) / 7 && fabs(sum - wsum) < 1e-6 * sum);
    }
}

TEST(beacon_util_squash)
{
    CHECK(fabs(vigil__squash(0.5, 0.5, 0.1) - 0.5) < 1e-12);
    CHECK(vigil__squash(10, 0, 0.1) == 1);
    CHECK(vigil__squash(-10, 0, 0.1) == 0);
    CHECK(vigil__squash(NAN, 0, 1) == 0);
    CHECK(vigil__squash(1, 0, 0) == 1 && vigil__squash(-1, 0, 0) == 0);
    CHECK(vigil__squash(0.6, 0.5, 0.1) > vigil__squash(0.55, 0.5, 0.1));
}
