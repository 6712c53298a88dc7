/* test_detect_longconn.c -- long_conn on hand-built pair views: a reverse shell, and the benign long sessions. */
#include "fixture.h"
#include <math.h>
#include <stdlib.h>

#define DAY 86400.0
#define T0 1514764800.0 /* 2018-01-01 00:00 UTC */

/* A pair of a 40-host, 28-day input. */
static vigil__pair_view base_pair(void)
{
    vigil__pair_view p = test_pair_view("10.1.2.3", "185.10.2.33", 443, 40);
    p.input_first_ts = T0;
    p.input_last_ts = T0 + 28 * DAY;
    p.dst_first_seen = T0;
    return p;
}

/* Runs the detector; returns the score of its one finding, or -1. */
static double run(const vigil__pair_view *p, vigil_findings *fs)
{
    test_findings_reset(fs);
    vigil__detect_cfg cfg = { .min_score = 0.0, .min_conns = 4 }; /* every finding, however low */
    vigil_status rc = vigil__detect_longconn(p, &cfg, fs);
    CHECK(rc == VIGIL_OK);
    return test_one_finding(fs, "long_conn", VIGIL_FIND_LONG_CONN, 3);
}

/* The wallet workstation's implant: a beacon every ~60 s from day 5, and
 * two interactive sessions of 4 h and 2.5 h on days 19 and 21. */
TEST(lconn_reverse_shell_rare_new)
{
    uint64_t seed = 11;
    size_t cap = 40000, n = 0;
    vigil__conn_point *pts = calloc(cap, sizeof *pts);
    CHECK(pts != NULL);
    if (!pts) return;
    vigil__pair_view p = base_pair();
    double t = T0 + 5 * DAY + 3600 * 10.3, end = T0 + 24 * DAY;
    double sess[2] = { T0 + 19 * DAY + 14 * 3600.0, T0 + 21 * DAY + 16.5 * 3600 };
    double sdur[2] = { 4 * 3600.0, 2.5 * 3600 };
    int si = 0;
    while (t < end && n < cap) {
        if (si < 2 && t >= sess[si]) {
            pts[n++] = (vigil__conn_point){ sess[si], 21000000, 3100000 };
            p.dur_sum += sdur[si];
            if (sdur[si] > p.dur_max) p.dur_max = sdur[si];
            p.bytes_out += 21000000;
            p.bytes_in += 3100000;
            si++;
            continue;
        }
        uint32_t ob = 180 + (uint32_t)(test_rng_next(&seed) % 40), rb = 90;
        pts[n++] = (vigil__conn_point){ t, ob, rb };
        p.dur_sum += 0.2;
        p.bytes_out += ob;
        p.bytes_in += rb;
        p.n_ok++;
        t += 60 * (1 + 0.1 * (test_rng_unit(&seed) - 0.5));
    }
    p.pts = pts;
    p.n = n;
    p.prevalence = 1;
    p.dst_first_seen = T0 + 5 * DAY + 3600 * 10.3;
    test_pair_fill(&p, p.pts, p.n);
    vigil_findings fs = { 0 };
    double s = run(&p, &fs);
    CHECK(s >= 0.7);
    CHECK(fs.n == 1 && fs.v[0].duration_s > 6 * 3600);
    vigil_findings_free(&fs);
    free(pts);
}

/* One 4-hour shell, the only connection, to an address only this host
 * uses; the destination was around from the start (no newness bonus). */
TEST(lconn_single_four_hour_shell)
{
    vigil__conn_point pt = { T0 + 3 * DAY + 50000, 8000000, 2500000 };
    vigil__pair_view p = base_pair();
    p.pts = &pt;
    p.n = 1;
    p.dur_sum = p.dur_max = 4 * 3600;
    p.bytes_out = 8000000;
    p.bytes_in = 2500000;
    p.prevalence = 1;
    test_pair_fill(&p, p.pts, p.n);
    vigil_findings fs = { 0 };
    CHECK(run(&p, &fs) >= 0.7);
    vigil_findings_free(&fs);
}

/* A websocket every host keeps open all day: long, two-way, popular. */
TEST(lconn_popular_websocket)
{
    uint64_t seed = 12;
    vigil__conn_point pts[200];
    vigil__pair_view p = base_pair();
    double t = T0;
    for (size_t i = 0; i < 200; i++) {
        pts[i] = (vigil__conn_point){ t, 40000, 90000 };
        t += 3 * 3600 * (0.5 + test_rng_unit(&seed));
    }
    p.pts = pts;
    p.n = 200;
    p.dur_sum = 0.9 * (t - T0);
    p.dur_max = 5 * 3600;
    p.bytes_out = 200 * 40000ULL;
    p.bytes_in = 200 * 90000ULL;
    p.prevalence = 38;
    test_pair_fill(&p, p.pts, p.n);
    vigil_findings fs = { 0 };
    double s = run(&p, &fs);
    CHECK(s < 0.5);
    vigil_findings_free(&fs);
}

/* The backup server: 2-4 streams every night near 01:00 local, hours
 * long, ~150x more out than in, to a provider only it talks to. */
TEST(lconn_nightly_backup)
{
    uint64_t seed = 13;
    vigil__conn_point pts[200];
    size_t n = 0;
    vigil__pair_view p = base_pair();
    for (int d = 0; d < 28; d++) {
        double start = T0 + d * DAY + 16 * 3600 + 1800 * test_rng_unit(&seed); /* 01:00 JST */
        int ns = 2 + (int)(test_rng_next(&seed) % 3);
        for (int s = 0; s < ns; s++) {
            double dur = 2.5 * 3600 * (0.7 + 0.6 * test_rng_unit(&seed));
            double out = dur * (1.5e6 + 4e6 * test_rng_unit(&seed));
            pts[n++] = (vigil__conn_point){ start + 90 * test_rng_unit(&seed), UINT32_MAX,
                                            (uint32_t)(out / 150) };
            p.dur_sum += dur;
            if (dur > p.dur_max) p.dur_max = dur;
            p.bytes_out += (uint64_t)out;
            p.bytes_in += (uint64_t)(out / 150);
        }
    }
    for (size_t i = 1; i < n; i++) /* sort by ts */
        for (size_t j = i; j > 0 && pts[j].ts < pts[j - 1].ts; j--) {
            vigil__conn_point x = pts[j];
            pts[j] = pts[j - 1];
            pts[j - 1] = x;
        }
    p.pts = pts;
    p.n = n;
    p.prevalence = 1;
    test_pair_fill(&p, p.pts, p.n);
    vigil_findings fs = { 0 };
    double s = run(&p, &fs);
    CHECK(s >= 0 && s < 0.5);
    CHECK(fs.n == 1 && strstr(fs.v[0].reasons[4], "backup") != NULL);
    vigil_findings_free(&fs);
}

/* A one-host capture (like the CTU normal days): a push channel open 26 h
 * in 4 connections, idle; and an 8.5-hour two-way social-media session.
 * Without prevalence or newness neither may reach 0.5. */
TEST(lconn_single_host_capture_traps)
{
    vigil__conn_point pts[21];
    vigil__pair_view p = base_pair();
    p.internal_hosts = 1;
    p.prevalence = 1;
    p.input_last_ts = T0 + DAY;
    for (size_t i = 0; i < 4; i++) pts[i] = (vigil__conn_point){ T0 + i * 20000.0, 180000, 600000 };
    p.pts = pts;
    p.n = 4;
    p.dur_sum = 94907;
    p.dur_max = 23809;
    p.bytes_out = 724219;
    p.bytes_in = 2388261;
    test_pair_fill(&p, p.pts, p.n);
    vigil_findings fs = { 0 };
    CHECK(run(&p, &fs) < 0.5);

    for (size_t i = 0; i < 21; i++) pts[i] = (vigil__conn_point){ T0 + i * 4000.0, 570000, 23000 };
    p.n = 21;
    p.dur_sum = 30714;
    p.dur_max = 14321;
    p.bytes_out = 11978051;
    p.bytes_in = 495303;
    test_pair_fill(&p, p.pts, p.n);
    CHECK(run(&p, &fs) < 0.5);
    vigil_findings_free(&fs);
}

/* A websocket app reconnecting every ~15 s all month on two hosts: a huge
 * total, but no connection longer than 31 s: not a long connection. */
TEST(lconn_reconnecting_poller_not_long)
{
    vigil__conn_point pt = { T0, 300, 900 };
    vigil__pair_view p = base_pair();
    p.pts = &pt;
    p.n = 1;
    p.dur_sum = 27 * DAY;
    p.dur_max = 31;
    p.bytes_out = 1 << 30;
    p.bytes_in = 1 << 30;
    p.prevalence = 2;
    vigil_findings fs = { 0 };
    CHECK(run(&p, &fs) < 0);
    vigil_findings_free(&fs);
}

/* Edge cases: empty views, one or two connections, zeros, NaN and huge
 * values, time going backwards, NULL arguments. */
TEST(lconn_edge_cases)
{
    vigil_findings fs = { 0 };
    vigil__pair_view p = base_pair();
    CHECK(run(&p, &fs) < 0); /* n = 0, pts NULL */
    CHECK(vigil__detect_longconn(NULL, NULL, &fs) == VIGIL_EINVAL);
    CHECK(vigil__detect_longconn(&p, NULL, NULL) == VIGIL_EINVAL);

    vigil__conn_point two[2] = { { T0 + 100, 0, 0 }, { T0 + 50, 0, 0 } }; /* backwards */
    p.pts = two;
    p.n = 2;
    p.first_ts = T0 + 100;
    p.last_ts = T0 + 50;
    p.dur_sum = 3 * 3600;
    p.dur_max = 3 * 3600;
    double s = run(&p, &fs); /* zero bytes: idle */
    CHECK(s >= 0 && s < 0.5);

    p.dur_sum = NAN;
    p.dur_max = INFINITY;
    CHECK(run(&p, &fs) < 0);

    p.dur_sum = 1e300;
    p.dur_max = 1e300;
    p.open_dur = 1e300;
    p.bytes_out = UINT64_MAX;
    p.bytes_in = UINT64_MAX;
    p.prevalence = UINT32_MAX;
    p.internal_hosts = UINT32_MAX;
    p.dst_first_seen = -1e300;
    p.input_first_ts = -INFINITY;
    two[0].orig_bytes = two[1].orig_bytes = UINT32_MAX;
    s = run(&p, &fs);
    CHECK(s >= 0 && s <= 1);
    p.prevalence = 1;
    p.internal_hosts = 1;
    s = run(&p, &fs);
    CHECK(s >= 0 && s <= 1);

    p = base_pair();
    p.n = 1;
    vigil__conn_point one = { T0, 5, 5 };
    p.pts = &one;
    p.dur_sum = 0;
    p.dur_max = 0;
    CHECK(run(&p, &fs) < 0);

    p.is_group = 1; /* a group of one address repeats its pair */
    p.dur_sum = p.dur_max = 5 * 3600;
    CHECK(run(&p, &fs) < 0);
    vigil_findings_free(&fs);
}
