/* test_detect_exfil.c -- exfil on hand-built host and peer views: a night-time theft, a backup server, a cloud upload. */
#include "fixture.h"
#include <math.h>
#include <stdlib.h>

#define DAY 86400.0
#define T0 1514764800.0 /* 2018-01-01 00:00 UTC */
#define MB 1000000.0

/* A desktop's ordinary days: about `typical` bytes out on weekdays (a
 * lognormal-ish spread), little at weekends. */
static void ordinary_days(uint64_t *days, size_t n, uint64_t *seed, double typical)
{
    for (size_t d = 0; d < n; d++) {
        double x = typical * exp(0.6 * (test_rng_unit(seed) + test_rng_unit(seed) + test_rng_unit(seed) - 1.5));
        days[d] = (uint64_t)(d % 7 >= 5 ? x / 20 : x);
    }
}

/* Peers of a 100-host office: host-days of tens of MB. */
static vigil__peer_view office_peers(void)
{
    vigil__peer_view pv = { 28 * MB, 160 * MB, 15 * MB, 100 };
    return pv;
}

static vigil__host_view base_host(const uint64_t *days, size_t n)
{
    vigil__host_view h;
    memset(&h, 0, sizeof h);
    h.host = test_addr("10.20.1.17");
    h.bytes_out_by_day = days;
    h.ndays = n;
    h.input_first_day = T0;
    h.top_dst = test_addr("176.9.41.3");
    h.top_dport = 443;
    return h;
}

/* Runs the detector (every finding, however low): its score, or -1. */
static double run(const vigil__host_view *h, const vigil__peer_view *pv, vigil_findings *fs)
{
    test_findings_reset(fs);
    vigil__detect_cfg cfg = { .min_score = 0.0, .min_conns = 4 };
    CHECK(vigil__detect_exfil(h, pv, &cfg, fs) == VIGIL_OK);
    return test_one_finding(fs, "exfil", VIGIL_FIND_EXFIL, 3);
}

/* 300-800 MB at night to a destination only this host ever used. */
TEST(exfil_night_to_new_destination)
{
    uint64_t seed = 41, days[28];
    vigil_findings fs = { 0 };
    vigil__peer_view pv = office_peers();
    for (int k = 0; k < 3; k++) {
        ordinary_days(days, 28, &seed, 25 * MB);
        double big = (3 + 5 * test_rng_unit(&seed)) * 100 * MB;
        size_t d = 15 + (size_t)(test_rng_next(&seed) % 6);
        days[d] += (uint64_t)big;
        vigil__host_view h = base_host(days, 28);
        h.top_bytes = (uint64_t)big;
        h.top_day = T0 + (double)d * DAY;
        h.top_first_ts = h.top_day + 16.2 * 3600; /* 01:12 in Tokyo */
        h.top_last_ts = h.top_first_ts + 5400;
        h.top_dst_prevalence = 1;
        h.top_name = "files.syncvault-store.biz";
        double s = run(&h, &pv, &fs);
        CHECK(s >= 0.7);
        CHECK(fs.n == 1 && fs.v[0].bytes_out == h.top_bytes);
    }
    vigil_findings_free(&fs);
}

/* The backup server: tens of GB every night (Saturdays more) to a
 * provider only it uses: its own history says normal. */
/* With the site's time zone known, the same transfer scores higher at
 * 01:12 local time than at 11:00, and says so. */
TEST(exfil_night_weighs_with_time_zone)
{
    uint64_t seed = 43, days[28];
    ordinary_days(days, 28, &seed, 25 * MB);
    days[18] += 150 * MB;
    vigil__host_view h = base_host(days, 28);
    h.top_bytes = 150 * MB;
    h.top_day = T0 + 18 * DAY;
    h.top_dst_prevalence = 1;
    vigil__peer_view pv = office_peers();
    vigil__detect_cfg tokyo = { .min_score = 0.05, .min_conns = 4, .has_tz = 1, .tz_offset = 9 * 3600 };
    vigil_findings night = { 0 }, day = { 0 };
    h.top_first_ts = h.top_day + 16.2 * 3600; /* 01:12 in Tokyo */
    h.top_last_ts = h.top_first_ts + 600;
    CHECK(vigil__detect_exfil(&h, &pv, &tokyo, &night) == VIGIL_OK && night.n == 1);
    h.top_first_ts = h.top_day + 2 * 3600; /* 11:00 in Tokyo */
    h.top_last_ts = h.top_first_ts + 600;
    CHECK(vigil__detect_exfil(&h, &pv, &tokyo, &day) == VIGIL_OK && day.n == 1);
    if (night.n == 1 && day.n == 1) {
        CHECK(night.v[0].score > day.v[0].score);
        CHECK(test_has_reason(&night.v[0], "at night"));
        CHECK(test_has_reason(&night.v[0], "01:12-01:22 local time"));
        CHECK(!test_has_reason(&day.v[0], "at night"));
    }
    /* A host that moves as much every night (a backup server): its
     * routine, not a night-time anomaly. */
    vigil_findings routine = { 0 };
    for (size_t i = 0; i < 28; i++) days[i] = 140 * MB + i * MB;
    h = base_host(days, 28);
    h.top_bytes = 150 * MB;
    h.top_day = T0 + 18 * DAY;
    h.top_dst_prevalence = 1;
    h.top_first_ts = h.top_day + 16.2 * 3600;
    h.top_last_ts = h.top_first_ts + 600;
    CHECK(vigil__detect_exfil(&h, &pv, &tokyo, &routine) == VIGIL_OK);
    if (routine.n == 1) CHECK(!test_has_reason(&routine.v[0], "at night"));
    vigil_findings_free(&routine);
    vigil_findings_free(&night);
    vigil_findings_free(&day);
}

TEST(exfil_backup_server_every_night)
{
    uint64_t seed = 42, days[28];
    vigil_findings fs = { 0 };
    for (size_t d = 0; d < 28; d++)
        days[d] = (uint64_t)((d % 7 == 5 ? 90e9 : 30e9) * (0.7 + 0.6 * test_rng_unit(&seed)));
    size_t top = 0;
    for (size_t d = 1; d < 28; d++)
        if (days[d] > days[top]) top = d;
    vigil__host_view h = base_host(days, 28);
    h.top_bytes = days[top] / 3;
    h.top_day = T0 + (double)top * DAY;
    h.top_first_ts = h.top_day + 16 * 3600;
    h.top_last_ts = h.top_first_ts + 6 * 3600;
    h.top_dst_prevalence = 1;
    vigil__peer_view pv = office_peers();
    CHECK(run(&h, &pv, &fs) < 0.5);
    vigil_findings_free(&fs);
}

/* A 200 MB upload at 11:00 to a cloud service many hosts use: it may
 * score moderately, never as a clear exfiltration. */
TEST(exfil_cloud_upload_popular)
{
    uint64_t seed = 43, days[28];
    vigil_findings fs = { 0 };
    ordinary_days(days, 28, &seed, 25 * MB);
    days[10] += 200 * MB;
    vigil__host_view h = base_host(days, 28);
    h.top_bytes = 200 * MB;
    h.top_day = T0 + 10 * DAY;
    h.top_first_ts = h.top_day + 2 * 3600; /* 11:00 in Tokyo */
    h.top_last_ts = h.top_first_ts + 40;
    h.top_dst_prevalence = 45;
    h.top_name = "upload.cloudbox-files.com";
    vigil__peer_view pv = office_peers();
    double s = run(&h, &pv, &fs);
    CHECK(s >= 0 && s < 0.7);
    vigil_findings_free(&fs);
}

/* Edge cases: no days, NULL arrays, zero bytes, one day only, top_day
 * outside the array, huge values, NULL peers and arguments. */
TEST(exfil_edge_cases)
{
    vigil_findings fs = { 0 };
    uint64_t days[3] = { 0, 0, 0 };
    vigil__host_view h = base_host(NULL, 0);
    CHECK(run(&h, NULL, &fs) < 0);
    CHECK(vigil__detect_exfil(NULL, NULL, NULL, &fs) == VIGIL_EINVAL);
    CHECK(vigil__detect_exfil(&h, NULL, NULL, NULL) == VIGIL_EINVAL);
    h = base_host(days, 3);
    CHECK(run(&h, NULL, &fs) < 0); /* zero bytes */

    /* One day only: 400 MB to a new place, no history, no peers. */
    uint64_t one = 400 * MB;
    h = base_host(&one, 1);
    h.top_bytes = one;
    h.top_day = T0;
    h.top_dst_prevalence = 1;
    double s = run(&h, NULL, &fs);
    CHECK(s >= 0 && s <= 1);

    /* top_day far outside; huge values everywhere. */
    uint64_t huge[3] = { UINT64_MAX, UINT64_MAX, 1 };
    h = base_host(huge, 3);
    h.top_day = 1e300;
    h.top_bytes = UINT64_MAX;
    h.top_first_ts = NAN;
    h.top_last_ts = INFINITY;
    h.top_dst_prevalence = UINT32_MAX;
    vigil__peer_view pv = { NAN, INFINITY, -1, UINT32_MAX };
    s = run(&h, &pv, &fs);
    CHECK(s >= 0 && s <= 1);
    h.top_day = -1e300;
    h.input_first_day = NAN;
    s = run(&h, NULL, &fs);
    CHECK(s >= 0 && s <= 1);
    vigil_findings_free(&fs);
}
