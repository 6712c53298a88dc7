/* test_detect_longconn.c -- long_conn on hand-built pair views: a reverse shell, a remote-control channel (and the real Android RAT), and the benign long sessions. */
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

/* ---- a remote-control channel: sessions + one-way uploads + heartbeat ---- */

/* The shape of the Android RAT capture (../shared/data/real/android-rat,
 * awk on its conn.log): two control sessions of 31 and 39 min (the first
 * still open, S1), three uploads of 19, 8 and 14 MB answered by 56, 49
 * and 21 bytes, then a heartbeat of 3000-byte connections ~21 s apart
 * (the last one cut by the end of the capture).  `hosts` internal hosts,
 * `prev` of them talk to the destination; a 1.4-hour input. */
static vigil__pair_view control_channel(vigil__conn_point pts[12], uint32_t hosts, uint32_t prev)
{
    static const double beat[7] = { 0, 20.44, 41.47, 63.16, 85.18, 107.46, 130.25 };
    vigil__pair_view p = test_pair_view("10.8.0.61", "198.51.100.7", 4444, hosts);
    double t0 = T0 + 755;
    size_t n = 0;
    pts[n++] = (vigil__conn_point){ t0, 100227, 2884 };            /* session, 1832 s */
    pts[n++] = (vigil__conn_point){ t0 + 1911, 952235, 2835 };     /* session, 2362 s */
    pts[n++] = (vigil__conn_point){ t0 + 2068, 19305489, 56 };     /* uploads */
    pts[n++] = (vigil__conn_point){ t0 + 2193, 7662204, 49 };
    pts[n++] = (vigil__conn_point){ t0 + 2309, 13928610, 21 };
    for (size_t i = 0; i < 7; i++)
        pts[n++] = (vigil__conn_point){ t0 + 4293 + beat[i], i == 6 ? 1348 : 3000, 0 };
    p.dur_sum = 1831.5 + 2362.5 + 90.5 + 78.9 + 30.0 + 7 * 1.07;
    p.dur_max = 2362.5;
    p.open_dur = 1831.5;
    for (size_t i = 0; i < n; i++) {
        p.bytes_out += pts[i].orig_bytes;
        p.bytes_in += pts[i].resp_bytes;
    }
    p.n_ok = (uint32_t)n;
    p.prevalence = prev;
    p.input_first_ts = T0;
    p.input_last_ts = T0 + 5180;
    p.dst_first_seen = t0;
    test_pair_fill(&p, pts, n);
    return p;
}

/* One phone alone (no prevalence, no newness to judge): the combination
 * is the evidence, and it says "remote-control channel". */
TEST(lconn_control_channel_one_host)
{
    vigil__conn_point pts[12];
    vigil__pair_view p = control_channel(pts, 1, 1);
    vigil_findings fs = { 0 };
    double s = run(&p, &fs);
    CHECK(s >= 0.7);
    if (fs.n == 1) {
        CHECK(test_has_reason(&fs.v[0], "one-way uploads: 41 MB out in 3 connections"));
        CHECK(test_has_reason(&fs.v[0], "a heartbeat: 6 connections 21 s apart"));
        CHECK(test_has_reason(&fs.v[0], "remote-control channel"));
    }
    /* Without the heartbeat (capture cut before the beats), or without the
     * uploads, it is a long session like any other: below 0.5. */
    p.n = 5;
    CHECK(run(&p, &fs) < 0.5);
    if (fs.n == 1) CHECK(!test_has_reason(&fs.v[0], "remote-control channel"));
    vigil__conn_point nou[12];
    memcpy(nou, pts, sizeof nou);
    for (size_t i = 2; i < 5; i++) nou[i].resp_bytes = nou[i].orig_bytes / 20; /* acknowledged */
    p = control_channel(pts, 1, 1);
    p.pts = nou;
    CHECK(run(&p, &fs) < 0.5);
    if (fs.n == 1) CHECK(!test_has_reason(&fs.v[0], "remote-control channel"));
    vigil_findings_free(&fs);
}

/* In a network, the same pair to an address only this host uses is clear
 * C2; to a destination most hosts use (a sanctioned sync service with
 * sessions, uploads and status polls) it stays below 0.5. */
TEST(lconn_control_channel_prevalence)
{
    vigil__conn_point pts[12];
    vigil__pair_view p = control_channel(pts, 40, 1);
    vigil_findings fs = { 0 };
    CHECK(run(&p, &fs) >= 0.9);
    p = control_channel(pts, 40, 30);
    CHECK(run(&p, &fs) < 0.5);
    vigil_findings_free(&fs);
}

/* Benign twins in a one-host capture, each with one or two of the three
 * behaviours, or all three where the session is itself the transfer. */
TEST(lconn_control_channel_benign_twins)
{
    vigil_findings fs = { 0 };
    vigil__conn_point pts[64];
    size_t n;

    /* A long video call: two 1-hour calls, hundreds of MB each way, with
     * STUN-like keep-alives every 15 s between them: two-way, no upload. */
    vigil__pair_view p = test_pair_view("10.8.0.61", "198.51.100.9", 3478, 1);
    p.prevalence = 1;
    p.input_first_ts = T0;
    p.input_last_ts = T0 + 3 * 3600;
    n = 0;
    pts[n++] = (vigil__conn_point){ T0 + 60, 300000000, 600000000 };
    for (size_t i = 0; i < 20; i++) pts[n++] = (vigil__conn_point){ T0 + 3700 + 15.0 * i, 100, 100 };
    pts[n++] = (vigil__conn_point){ T0 + 4100, 280000000, 650000000 };
    p.dur_sum = 2 * 3600 + 20;
    p.dur_max = 3600;
    p.bytes_out = 580002000;
    p.bytes_in = 1250002000;
    test_pair_fill(&p, pts, n);
    double s = run(&p, &fs);
    CHECK(s < 0.5);
    if (fs.n == 1) CHECK(test_has_reason(&fs.v[0], "heartbeat") && !test_has_reason(&fs.v[0], "remote-control"));

    /* A cloud backup client: a 50-minute upload stream (one-way, 1 MB/s)
     * and a status poll every 60 s: the connected time is the transfer. */
    p = test_pair_view("10.8.0.61", "198.51.100.10", 443, 1);
    p.prevalence = 1;
    p.input_first_ts = T0;
    p.input_last_ts = T0 + 2 * 3600;
    n = 0;
    pts[n++] = (vigil__conn_point){ T0 + 10, 3000000000u, 9000000 };
    for (size_t i = 0; i < 40; i++) pts[n++] = (vigil__conn_point){ T0 + 30 + 60.0 * i, 1200, 800 };
    p.dur_sum = 3000 + 40 * 0.3;
    p.dur_max = 3000;
    p.bytes_out = 3000000000u + 40 * 1200;
    p.bytes_in = 9000000 + 40 * 800;
    test_pair_fill(&p, pts, n);
    s = run(&p, &fs);
    CHECK(s < 0.5);
    if (fs.n == 1) CHECK(!test_has_reason(&fs.v[0], "remote-control"));

    /* A one-off large upload: one 40-minute connection, 200 MB out. */
    p = test_pair_view("10.8.0.61", "198.51.100.11", 443, 1);
    p.prevalence = 1;
    pts[0] = (vigil__conn_point){ T0 + 100, 200000000, 60000 };
    p.dur_sum = p.dur_max = 2400;
    p.bytes_out = 200000000;
    p.bytes_in = 60000;
    test_pair_fill(&p, pts, 1);
    CHECK(run(&p, &fs) < 0.5);

    /* Sessions and uploads but small connections at random times (Poisson,
     * mean 30 s) instead of a heartbeat: like 13.248.142.92 in the CTU
     * normal day 42 plus chatter. */
    uint64_t seed = 21;
    vigil__conn_point q[12];
    p = control_channel(q, 1, 1);
    memcpy(pts, q, 5 * sizeof *q);
    double t = q[5].ts;
    for (n = 5; n < 40; n++) {
        pts[n] = (vigil__conn_point){ t, 3000, 0 };
        t += -30 * log(1 - test_rng_unit(&seed));
    }
    test_pair_fill(&p, pts, n);
    s = run(&p, &fs);
    CHECK(s < 0.5);
    if (fs.n == 1) CHECK(!test_has_reason(&fs.v[0], "heartbeat"));

    /* A push channel: one 40-minute session and a keep-alive every 5 min
     * (the ESET MQTT pair of the CTU normal day): idle, no upload. */
    p = test_pair_view("10.8.0.61", "198.51.100.12", 8883, 1);
    p.prevalence = 1;
    n = 0;
    for (size_t i = 0; i < 48; i++) pts[n++] = (vigil__conn_point){ T0 + 300.0 * i, 31, 45 };
    p.dur_sum = 2419;
    p.dur_max = 2416;
    p.bytes_out = 2801;
    p.bytes_in = 3341;
    test_pair_fill(&p, pts, n);
    s = run(&p, &fs);
    CHECK(s < 0.5);
    vigil_findings_free(&fs);
}

/* The heartbeat scan on degenerate points: identical timestamps, time
 * going backwards, zero-byte or huge requests, NaN: never a heartbeat,
 * never a crash. */
TEST(lconn_heartbeat_edge_cases)
{
    vigil__conn_point pts[12];
    vigil__pair_view p = control_channel(pts, 1, 1);
    vigil_findings fs = { 0 };
    vigil__conn_point bad[12];
    memcpy(bad, pts, sizeof bad);
    for (size_t i = 5; i < 12; i++) bad[i].ts = pts[5].ts; /* identical */
    p.pts = bad;
    CHECK(run(&p, &fs) < 0.5);
    for (size_t i = 5; i < 12; i++) bad[i].ts = pts[5].ts - 21.0 * (double)i; /* backwards */
    CHECK(run(&p, &fs) < 0.5);
    memcpy(bad, pts, sizeof bad);
    for (size_t i = 5; i < 12; i++) bad[i].orig_bytes = 0; /* nothing sent */
    CHECK(run(&p, &fs) < 0.5);
    for (size_t i = 5; i < 12; i++) bad[i].orig_bytes = UINT32_MAX; /* not small */
    CHECK(run(&p, &fs) < 0.5);
    memcpy(bad, pts, sizeof bad);
    bad[7].ts = NAN;
    double s = run(&p, &fs);
    CHECK(s >= 0 && s <= 1);
    vigil_findings_free(&fs);
}

/* The real capture, end to end (vigil_hunt on conn.log and dns.log as
 * they are): the phone's C2 pair is the top finding of the capture, a
 * long_conn at >= 0.7 naming the control channel, above the benign
 * DNS-over-TLS beacon. */
TEST(lconn_real_android_rat)
{
    char path[512];
    test_real_path("android-rat", path, sizeof path);
    vigil_pathlist pl;
    memset(&pl, 0, sizeof pl);
    const char *argv[1] = { path };
    if (vigil_paths_expand(&pl, argv, 1, NULL, NULL, NULL) != VIGIL_OK || pl.count == 0) {
        CHECK(!"android-rat capture readable");
        vigil_pathlist_free(&pl);
        return;
    }
    vigil_hunt_opts o;
    memset(&o, 0, sizeof o);
    o.min_score = 0;
    o.threads = 1;
    vigil_findings fs = { 0 };
    vigil_hunt_summary sum;
    CHECK(vigil_hunt((const char *const *)pl.files, pl.count, &o, &fs, &sum) == VIGIL_OK);
    CHECK(fs.n >= 2);
    if (fs.n >= 1) {
        const vigil_finding *f = &fs.v[0];
        vigil_addr s = test_addr("10.8.0.61"), d = test_addr("147.32.83.234");
        CHECK(!memcmp(&f->src, &s, sizeof s) && !memcmp(&f->dst, &d, sizeof d));
        CHECK_EQ_U(f->dport, 1337);
        CHECK(f->kind == VIGIL_FIND_LONG_CONN);
        CHECK(f->score >= 0.7);
        CHECK(test_has_reason(f, "remote-control channel"));
        if (getenv("VIGIL_TEST_SCORES")) {
            printf("    android-rat: top %s %.3f\n", vigil_finding_kind_name(f->kind), f->score);
            for (uint32_t i = 0; i < f->nreasons; i++) printf("      - %s\n", f->reasons[i]);
        }
    }
    /* Nothing else of the capture (the DNS-over-TLS beacon: benign) is
     * clear C2. */
    for (size_t i = 1; i < fs.n; i++) CHECK(fs.v[i].score < 0.7);
    vigil_findings_free(&fs);
    vigil_pathlist_free(&pl);
}
