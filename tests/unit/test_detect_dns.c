/* test_detect_dns.c -- dns tunnelling and DGA detection on hand-built views and on the real simda capture. */
#include "fixture.h"
#include <math.h>
#include <stdlib.h>

#define T0 1514764800.0 /* 2018-01-01 00:00 UTC */

/* Mean entropy of `k` random labels of length `len` over `alphabet`. */
static double mean_entropy(uint64_t *seed, const char *alphabet, size_t len, int k)
{
    char buf[64];
    size_t na = strlen(alphabet);
    double sum = 0;
    if (len > sizeof buf) len = sizeof buf;
    for (int j = 0; j < k; j++) {
        for (size_t i = 0; i < len; i++) buf[i] = alphabet[test_rng_next(seed) % na];
        sum += test_entropy(buf, len);
    }
    return sum / k;
}

/* Runs vigil__detect_dns (every finding, however low): score, or -1. */
static double run_dns(const vigil__dns_view *d, vigil_findings *fs)
{
    test_findings_reset(fs);
    vigil__detect_cfg cfg = { .min_score = 0.0, .min_conns = 4 };
    CHECK(vigil__detect_dns(d, &cfg, fs) == VIGIL_OK);
    return test_one_finding(fs, "dns", VIGIL_FIND_DNS, 3);
}

static double run_dga(const vigil__nx_view *x, vigil_findings *fs)
{
    test_findings_reset(fs);
    vigil__detect_cfg cfg = { .min_score = 0.0, .min_conns = 4 };
    CHECK(vigil__detect_dga(x, &cfg, fs) == VIGIL_OK);
    if (fs->n == 0) return -1; /* quietly: no "no finding" line for DGA */
    return test_one_finding(fs, "dga", VIGIL_FIND_DNS, 0);
}

/* Query times every `period` s +- jitter. */
static void times(double *ts, size_t n, uint64_t *seed, double period, double jitter)
{
    double t = T0;
    for (size_t i = 0; i < n; i++) {
        ts[i] = t;
        t += period * (1 + jitter * (2 * test_rng_unit(seed) - 1));
    }
}

static vigil__dns_view base_dns(const double *ts, size_t n)
{
    vigil__dns_view d;
    memset(&d, 0, sizeof d);
    d.src = test_addr("10.20.3.9");
    d.domain = "cdn-metrics-sync.top";
    d.ts = ts;
    d.nts = n;
    d.queries = n;
    d.prevalence = 1;
    if (n) {
        d.first_ts = ts[0];
        d.last_ts = ts[n - 1];
    }
    return d;
}

/* A dnscat2-like beacon: TXT queries every 20-60 s for 44-62-char random
 * labels under one domain, from one host. */
/* A TXT tunnel: 3000 queries every ~40 s for 52-char random labels. */
static vigil__dns_view txt_tunnel(double *ts)
{
    uint64_t seed = 51;
    times(ts, 3000, &seed, 40, 0.3);
    vigil__dns_view d = base_dns(ts, 3000);
    d.unique_names = 2990;
    d.txt_queries = 3000;
    d.mean_label_len = 52;
    d.max_label_len = 62;
    d.mean_entropy = mean_entropy(&seed, "abcdefghijklmnopqrstuvwxyz0123456789", 52, 50);
    return d;
}

TEST(dnsdet_txt_tunnel)
{
    static double ts[3000];
    vigil__dns_view d = txt_tunnel(ts);
    vigil_findings fs = { 0 };
    CHECK(run_dns(&d, &fs) >= 0.7);
    vigil_findings_free(&fs);
}

/* The same tunnel seen from an internal resolver relaying it: still
 * reported, but below the client, with a reason pointing at the client. */
TEST(dnsdet_resolver_relay_ranks_below_client)
{
    static double ts[3000];
    vigil__dns_view d = txt_tunnel(ts);
    vigil_findings fc = { 0 }, fr = { 0 };
    double client = run_dns(&d, &fc);
    d.src_is_resolver = 1;
    double relay = run_dns(&d, &fr);
    CHECK(relay >= 0.5 && relay < client);
    CHECK(fr.n == 1 && test_has_reason(&fr.v[0], "resolver"));
    vigil_findings_free(&fc);
    vigil_findings_free(&fr);
}

/* A quieter tunnel over A queries: 300 unique 30-char hex-ish labels at
 * irregular times from one host. */
TEST(dnsdet_a_record_tunnel)
{
    uint64_t seed = 52;
    static double ts[300];
    times(ts, 300, &seed, 120, 0.9);
    vigil__dns_view d = base_dns(ts, 300);
    d.unique_names = 300;
    d.mean_label_len = 30;
    d.max_label_len = 40;
    d.mean_entropy = mean_entropy(&seed, "abcdefghijklmnopqrstuvwxyz234567", 30, 50);
    vigil_findings fs = { 0 };
    CHECK(run_dns(&d, &fs) >= 0.5);
    vigil_findings_free(&fs);
}

/* Traps: a CDN domain with many unique short names every host queries;
 * an anti-virus hash-lookup domain (long hex labels) every host queries;
 * a telemetry domain with a handful of names. */
TEST(dnsdet_traps)
{
    uint64_t seed = 53;
    static double ts[5000];
    vigil_findings fs = { 0 };
    times(ts, 5000, &seed, 30, 0.9);
    vigil__dns_view d = base_dns(ts, 5000);
    d.domain = "edgecdn-static.net";
    d.unique_names = 800;
    d.mean_label_len = 8;
    d.max_label_len = 14;
    d.mean_entropy = 2.6;
    d.prevalence = 90;
    CHECK(run_dns(&d, &fs) < 0.5);

    d.domain = "avq.kintsugi-av.com";
    d.unique_names = 4000;
    d.mean_label_len = 32;
    d.max_label_len = 32;
    d.mean_entropy = mean_entropy(&seed, "0123456789abcdef", 32, 50);
    d.prevalence = 60;
    CHECK(run_dns(&d, &fs) < 0.5);

    d.domain = "fenestra-telemetry.com";
    d.unique_names = 12;
    d.mean_label_len = 9;
    d.mean_entropy = 2.9;
    d.prevalence = 100;
    CHECK(run_dns(&d, &fs) < 0.5);
    vigil_findings_free(&fs);
}

/* Edge cases: empty view, few names, no times, NaN and huge values. */
TEST(dnsdet_edge_cases)
{
    vigil_findings fs = { 0 };
    vigil__dns_view d = base_dns(NULL, 0);
    CHECK(run_dns(&d, &fs) < 0);
    CHECK(vigil__detect_dns(NULL, NULL, &fs) == VIGIL_EINVAL);
    CHECK(vigil__detect_dns(&d, NULL, NULL) == VIGIL_EINVAL);
    d.queries = 5;
    d.unique_names = 5;
    CHECK(run_dns(&d, &fs) < 0);
    double same[12];
    for (int i = 0; i < 12; i++) same[i] = T0 - i; /* identical-ish, backwards */
    d = base_dns(same, 12);
    d.unique_names = UINT64_MAX;
    d.txt_queries = UINT64_MAX;
    d.mean_label_len = NAN;
    d.mean_entropy = INFINITY;
    d.max_label_len = UINT32_MAX;
    d.prevalence = 0;
    d.domain = NULL;
    double s = run_dns(&d, &fs);
    CHECK(s >= 0 && s <= 1);
    d.queries = UINT64_MAX;
    d.first_ts = NAN;
    d.mean_label_len = 1e300;
    d.mean_entropy = -1e300;
    s = run_dns(&d, &fs);
    CHECK(s >= 0 && s <= 1);

    vigil__nx_view x;
    memset(&x, 0, sizeof x);
    CHECK(run_dga(&x, &fs) < 0);
    CHECK(vigil__detect_dga(NULL, NULL, &fs) == VIGIL_EINVAL);
    x.nx_names = 1;
    x.nx_max_window = 1;
    x.nx_domains = 1;
    s = run_dga(&x, &fs);
    CHECK(s < 0.5);
    x.nx_names = UINT64_MAX;
    x.nx_max_window = UINT64_MAX;
    x.nx_domains = UINT64_MAX;
    x.first_ts = INFINITY;
    x.last_ts = -INFINITY;
    s = run_dga(&x, &fs);
    CHECK(s >= 0 && s <= 1);
    vigil_findings_free(&fs);
}

/* DGA shapes: 40 distinct failing domains in 5 minutes is a DGA; a search
 * suffix failing 60 names under one domain is not; a browser's few dead
 * ad domains is not. */
TEST(dnsdet_dga_shapes)
{
    vigil_findings fs = { 0 };
    vigil__nx_view x;
    memset(&x, 0, sizeof x);
    x.src = test_addr("10.0.0.8");
    x.nx_names = 40;
    x.nx_max_window = 40;
    x.nx_domains = 40;
    x.first_ts = T0;
    x.last_ts = T0 + 200;
    x.example = "qypyxek.com";
    CHECK(run_dga(&x, &fs) >= 0.7);
    x.nx_names = 60;
    x.nx_max_window = 60;
    x.nx_domains = 1;
    x.example = "printer7.corp.example";
    CHECK(run_dga(&x, &fs) < 0.5);
    x.nx_names = 6;
    x.nx_max_window = 4;
    x.nx_domains = 5;
    CHECK(run_dga(&x, &fs) < 0.5);
    vigil_findings_free(&fs);
}

/* ---- the real simda capture: NXDOMAIN views built by hand ---------------- */

#define MAXN 1024

/* One host's distinct NXDOMAIN names and when each first failed. */
typedef struct nxhost {
    vigil_addr src;            /* the host */
    char *names[MAXN];         /* distinct failed names (owned) */
    double ts[MAXN];           /* first failure of each */
    size_t n;                  /* entries used */
} nxhost;

/* The registered domain of a name: its last two labels (a test's
 * heuristic). */
static const char *last2(const char *s)
{
    const char *end = s + strlen(s), *p = end;
    int dots = 0;
    while (p > s) {
        p--;
        if (*p == '.' && ++dots == 2) return p + 1;
    }
    return s;
}

TEST(dnsdet_real_simda_dga)
{
    char path[512];
    vigil_reader *r = NULL;
    if (vigil_reader_open(&r, test_real_path("simda/dns.log", path, sizeof path), NULL) != VIGIL_OK) {
        CHECK(!"simda/dns.log readable");
        return;
    }
    static nxhost hosts[16];
    size_t nh = 0;
    const vigil_record *rec;
    while (vigil_reader_next(r, &rec) == VIGIL_OK && rec) {
        if (rec->type != VIGIL_LOG_DNS) continue;
        const vigil_dns *d = &rec->u.dns;
        if (d->rcode != 3 || !d->query.p || d->query.len == 0 || d->query.len > 255) continue;
        size_t h;
        for (h = 0; h < nh; h++)
            if (!memcmp(&hosts[h].src, &d->id.orig_h, sizeof(vigil_addr))) break;
        if (h == nh) {
            if (nh == 16) continue;
            hosts[nh++].src = d->id.orig_h;
        }
        nxhost *x = &hosts[h];
        size_t i;
        for (i = 0; i < x->n; i++)
            if (strlen(x->names[i]) == d->query.len && !memcmp(x->names[i], d->query.p, d->query.len)) break;
        if (i < x->n) {
            if (d->id.ts < x->ts[i]) x->ts[i] = d->id.ts;
            continue;
        }
        if (x->n == MAXN) continue;
        char *copy = malloc(d->query.len + 1);
        if (!copy) break;
        memcpy(copy, d->query.p, d->query.len);
        copy[d->query.len] = 0;
        x->names[x->n] = copy;
        x->ts[x->n++] = d->id.ts;
    }
    vigil_reader_free(r);
    CHECK(nh >= 1);

    double best = -1, worst_small = -1;
    size_t best_h = SIZE_MAX, most = 0;
    for (size_t h = 0; h < nh; h++) {
        nxhost *x = &hosts[h];
        vigil__nx_view v;
        memset(&v, 0, sizeof v);
        v.src = x->src;
        v.nx_names = x->n;
        v.first_ts = INFINITY;
        v.last_ts = -INFINITY;
        for (size_t i = 0; i < x->n; i++) {
            size_t w = 0;
            for (size_t j = 0; j < x->n; j++)
                if (x->ts[j] >= x->ts[i] && x->ts[j] < x->ts[i] + 300) w++;
            if (w > v.nx_max_window) v.nx_max_window = w;
            size_t k;
            for (k = 0; k < i; k++)
                if (!strcmp(last2(x->names[k]), last2(x->names[i]))) break;
            if (k == i) v.nx_domains++;
            if (x->ts[i] < v.first_ts) v.first_ts = x->ts[i];
            if (x->ts[i] > v.last_ts) v.last_ts = x->ts[i];
        }
        v.example = x->n ? x->names[0] : NULL;
        vigil_findings fs = { 0 };
        CHECK(vigil__detect_dga(&v, NULL, &fs) == VIGIL_OK);
        double s = fs.n ? fs.v[0].score : -1;
        if (getenv("VIGIL_TEST_SCORES") && fs.n) {
            printf("    simda host %zu: %zu NX names, %llu in 5 min, %llu domains: score %.3f\n", h,
                   x->n, (unsigned long long)v.nx_max_window, (unsigned long long)v.nx_domains, s);
            for (uint32_t i = 0; i < fs.v[0].nreasons; i++) printf("      - %s\n", fs.v[0].reasons[i]);
        }
        if (x->n > most) {
            most = x->n;
            best_h = h;
            best = s;
        }
        if (x->n <= 2 && s > worst_small) worst_small = s;
        vigil_findings_free(&fs);
    }
    /* The infected host (the one with the NXDOMAIN burst) is clear; a
     * host with a stray failure or two is not. */
    CHECK(best_h != SIZE_MAX && most >= 50);
    CHECK(best >= 0.7);
    CHECK(worst_small < 0.5);
    for (size_t h = 0; h < nh; h++)
        for (size_t i = 0; i < hosts[h].n; i++) free(hosts[h].names[i]);
}
