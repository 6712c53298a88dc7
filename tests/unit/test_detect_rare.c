/* test_detect_rare.c -- rare_dest on hand-built pair views: implants' servers against one-off visits, favourites and popular sites. */
#include "fixture.h"
#include <math.h>
#include <stdlib.h>

#define DAY 86400.0
#define T0 1514764800.0 /* 2018-01-01 00:00 UTC */

/* A pair of a 100-host, 28-day input. */
static vigil__pair_view base_pair(void)
{
    vigil__pair_view p = test_pair_view("10.20.0.44", "45.32.17.9", 443, 100);
    p.prevalence = 1;
    p.input_first_ts = T0;
    p.input_last_ts = T0 + 28 * DAY;
    p.dst_first_seen = T0;
    return p;
}

/* Runs the detector (every finding, however low): its score, or -1. */
static double run(const vigil__pair_view *p, vigil_findings *fs)
{
    test_findings_reset(fs);
    vigil__detect_cfg cfg = { .min_score = 0.0, .min_conns = 4 };
    CHECK(vigil__detect_rare(p, &cfg, fs) == VIGIL_OK);
    return test_one_finding(fs, "rare_dest", VIGIL_FIND_RARE_DEST, 3);
}

/* Beats every `period` s (+-jitter) from `from` to `to`; with `office`,
 * only 09:00-18:00 on weekdays.  Returns the count written. */
static size_t beats(vigil__conn_point *pts, size_t cap, uint64_t *seed, double from, double to,
                    double period, double jitter, int office)
{
    size_t n = 0;
    for (double t = from; t < to && n < cap; t += period * (1 + jitter * (2 * test_rng_unit(seed) - 1))) {
        double tod = fmod(t - T0, DAY) / 3600;
        int wday = (int)((t - T0) / DAY) % 7; /* 2018-01-01 was a Monday: 5, 6 weekend */
        if (office && (tod < 9 || tod >= 18 || wday >= 5)) continue;
        pts[n++] = (vigil__conn_point){ t, 300, 1200 };
    }
    return n;
}

/* Fills p from beats(...) written into pts: the destination is first seen
 * at the first beat. */
static void implant_view(vigil__pair_view *p, vigil__conn_point *pts, size_t cap, uint64_t *seed,
                         double from, double to, double period, double jitter, int office)
{
    size_t n = beats(pts, cap, seed, from, to, period, jitter, office);
    test_pair_fill(p, pts, n);
    p->dst_first_seen = pts[0].ts;
}

/* An implant's server: new on day 4, called every ~2 min until day 24. */
TEST(rare_implant_steady)
{
    uint64_t seed = 31;
    size_t cap = 30000;
    vigil__conn_point *pts = calloc(cap, sizeof *pts);
    CHECK(pts != NULL);
    if (!pts) return;
    vigil__pair_view p = base_pair();
    implant_view(&p, pts, cap, &seed, T0 + 4.3 * DAY, T0 + 24 * DAY, 120, 0.2, 0);
    vigil_findings fs = { 0 };
    CHECK(run(&p, &fs) >= 0.7);
    vigil_findings_free(&fs);
    free(pts);
}

/* An office-hours implant (silent at night and at weekends) and a
 * long-sleep one (every 2-4 h). */
TEST(rare_implant_office_hours_and_low_slow)
{
    uint64_t seed = 32;
    size_t cap = 30000;
    vigil__conn_point *pts = calloc(cap, sizeof *pts);
    CHECK(pts != NULL);
    if (!pts) return;
    vigil__pair_view p = base_pair();
    implant_view(&p, pts, cap, &seed, T0 + 2.1 * DAY, T0 + 24 * DAY, 300, 0.15, 1);
    vigil_findings fs = { 0 };
    CHECK(run(&p, &fs) >= 0.7);

    implant_view(&p, pts, cap, &seed, T0 + 5.5 * DAY, T0 + 24 * DAY, 3 * 3600, 0.3, 0);
    CHECK(run(&p, &fs) >= 0.7);
    vigil_findings_free(&fs);
    free(pts);
}

/* Traps: a one-off visit; a popular site; a user's favourite site, visited
 * a few times on most working days since the start; a one-host capture. */
TEST(rare_traps)
{
    uint64_t seed = 33;
    static vigil__conn_point pts[4000];
    vigil_findings fs = { 0 };
    vigil__pair_view p = base_pair();
    for (size_t i = 0; i < 3; i++) pts[i] = (vigil__conn_point){ T0 + 9 * DAY + i * 5.0, 500, 30000 };
    test_pair_fill(&p, pts, 3);
    p.dst_first_seen = pts[0].ts;
    CHECK(run(&p, &fs) < 0); /* one-off: not reported */

    size_t n = beats(pts, 4000, &seed, T0, T0 + 28 * DAY, 900, 0.5, 0);
    test_pair_fill(&p, pts, n);
    p.prevalence = 35;
    CHECK(run(&p, &fs) < 0); /* popular: not reported */

    /* Favourite: 1-3 visits of a few connections on weekdays. */
    n = 0;
    for (int d = 0; d < 28; d++) {
        if (d % 7 >= 5 || test_rng_unit(&seed) < 0.3) continue;
        int visits = 1 + (int)(test_rng_next(&seed) % 3);
        for (int v = 0; v < visits; v++) {
            double t = T0 + d * DAY + 3600 * (9 + 8 * test_rng_unit(&seed));
            for (int k = 0; k < 4 && n < 4000; k++) pts[n++] = (vigil__conn_point){ t + k * 2.0, 700, 40000 };
        }
    }
    for (size_t i = 1; i < n; i++)
        for (size_t j = i; j > 0 && pts[j].ts < pts[j - 1].ts; j--) {
            vigil__conn_point x = pts[j];
            pts[j] = pts[j - 1];
            pts[j - 1] = x;
        }
    p = base_pair();
    test_pair_fill(&p, pts, n);
    p.dst_first_seen = pts[0].ts;
    CHECK(run(&p, &fs) < 0.5);

    /* One host, one day, a periodic service all day: nothing to compare. */
    n = beats(pts, 4000, &seed, T0, T0 + DAY, 600, 0.1, 0);
    p = base_pair();
    p.internal_hosts = 1;
    p.input_last_ts = T0 + DAY;
    test_pair_fill(&p, pts, n);
    CHECK(run(&p, &fs) < 0.5);
    vigil_findings_free(&fs);
}

/* Edge cases: empty, one and two connections, identical timestamps, time
 * going backwards, a month-long pair with a week's gap, huge values. */
TEST(rare_edge_cases)
{
    vigil_findings fs = { 0 };
    vigil__pair_view p = base_pair();
    CHECK(run(&p, &fs) < 0);
    CHECK(vigil__detect_rare(NULL, NULL, &fs) == VIGIL_EINVAL);
    CHECK(vigil__detect_rare(&p, NULL, NULL) == VIGIL_EINVAL);
    vigil__conn_point two[2] = { { T0, 1, 1 }, { T0, 1, 1 } };
    test_pair_fill(&p, two, 2);
    CHECK(run(&p, &fs) < 0);

    /* A month with a week's gap: days 2-10 and 18-28, hourly (first seen on
     * day 2: a new destination). */
    static vigil__conn_point pts[700];
    size_t n = 0;
    for (int h = 48; h < 28 * 24 && n < 700; h++)
        if (h < 10 * 24 || h >= 18 * 24) pts[n++] = (vigil__conn_point){ T0 + h * 3600.0 + 60, 100, 100 };
    test_pair_fill(&p, pts, n);
    p.dst_first_seen = pts[0].ts;
    double s = run(&p, &fs);
    CHECK(s >= 0.7);

    p.first_ts = p.last_ts + 1000; /* backwards */
    p.hours_present = UINT32_MAX;
    p.days_present = UINT32_MAX;
    p.internal_hosts = UINT32_MAX;
    p.input_first_ts = NAN;
    p.dst_first_seen = INFINITY;
    s = run(&p, &fs);
    CHECK(s >= 0 && s <= 1);
    p.n = SIZE_MAX;
    p.pts = NULL;
    s = run(&p, &fs);
    CHECK(s >= 0 && s <= 1);
    vigil_findings_free(&fs);
}
