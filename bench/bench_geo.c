/* bench_geo.c -- measures the geo/ASN data's load time and look-up speed (uncached, cached, two threads, enrichment). */
/*
 * Usage: bench_geo [DIR]     (DIR default: the search path of geo.h)
 * To time the CSV parse, remove DIR/asn.vgeo first: the first open then
 * parses the CSVs and writes it again.
 * Build (not part of bench/run.sh):
 *   make build/libvigil.a && cc -O2 -Iinclude bench/bench_geo.c build/libvigil.a \
 *       $(pkg-config --libs libisal libpcap zlib sqlite3 libmaxminddb libpsl) -lm -pthread \
 *       -o build/bench_geo
 * Prints one line per measurement, e.g.
 *   first open_ms=...        (the CSV parse when asn.vgeo is absent or stale)
 *   open_ms=... (best of 5 more, reading asn.vgeo)
 *   uncached lookups/s=...   (distinct random global IPv4 addresses)
 *   cached lookups/s=...     (10,000 addresses, each looked up 100 times)
 *   2 threads cached lookups/s=...
 *   enrich findings/s=...    (100,000 findings over 20,000 destinations)
 * Exit status 1 when the data is missing (nothing to measure).
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <vigil/vigil.h>
#include <vigil/geo.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t rng = 42;

static uint64_t rnd(void)
{
    uint64_t z = (rng += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* A random IPv4 address in 1.0.0.0-223.255.255.255 (mostly global). */
static vigil_addr rand_v4(void)
{
    vigil_addr a;
    memset(&a, 0, sizeof a);
    a.b[10] = a.b[11] = 0xff;
    uint32_t x = (uint32_t)rnd();
    a.b[12] = (uint8_t)(1 + x % 223);
    a.b[13] = (uint8_t)(x >> 8);
    a.b[14] = (uint8_t)(x >> 16);
    a.b[15] = (uint8_t)(x >> 24);
    return a;
}

static void quiet(void *user, const vigil_diag *d)
{
    (void)user;
    fprintf(stderr, "bench_geo: note: %s%s%s\n", d->file ? d->file : "", d->file ? ": " : "",
            d->detail ? d->detail : "");
}

typedef struct job {
    const vigil_geo *g;
    const vigil_addr *set;
    size_t nset, rounds;
    uint64_t found;
} job;

static void *run(void *arg)
{
    job *j = arg;
    for (size_t r = 0; r < j->rounds; r++)
        for (size_t i = 0; i < j->nset; i++) {
            vigil_geo_info gi;
            vigil_geo_lookup(j->g, &j->set[i], &gi);
            j->found += gi.asn != 0;
        }
    return NULL;
}

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : NULL;
    vigil_geo *g = NULL;
    double best = 1e9, first = 0;
    for (int i = 0; i < 6; i++) {
        vigil_geo_free(g);
        g = NULL;
        double t0 = now();
        if (vigil_geo_open(&g, dir, NULL, i ? NULL : quiet, NULL) != VIGIL_OK) return 1;
        double t = now() - t0;
        if (!i) first = t;
        else if (t < best) best = t;
    }
    printf("first open_ms=%.1f (parses the CSVs unless %s is current)\n", first * 1e3,
           VIGIL_GEO_ASN_COMPACT_FILE);
    printf("open_ms=%.1f (best of 5 more) loaded=%u dir=%s\n", best * 1e3, vigil_geo_loaded(g),
           vigil_geo_dir(g) ? vigil_geo_dir(g) : "-");
    if (vigil_geo_loaded(g) != (VIGIL_GEO_COUNTRY | VIGIL_GEO_ASN)) {
        vigil_geo_free(g);
        return 1;
    }

    /* Uncached: 400,000 distinct random addresses (below the cache's
     * clearing point, so every one is a miss and then stored). */
    size_t nu = 400000;
    vigil_addr *u = malloc(nu * sizeof *u);
    if (!u) return 1;
    for (size_t i = 0; i < nu; i++) u[i] = rand_v4();
    uint64_t found = 0, cc = 0;
    double t0 = now();
    for (size_t i = 0; i < nu; i++) {
        vigil_geo_info gi;
        vigil_geo_lookup(g, &u[i], &gi);
        found += gi.asn != 0;
        cc += gi.country[0] != 0;
    }
    double t = now() - t0;
    uint64_t hits, misses;
    vigil_geo_cache_stats(g, &hits, &misses);
    printf("uncached lookups/s=%.0f (%.2f us each; %zu addresses, %.0f%% with an ASN, %.0f%% a country; misses %llu)\n",
           (double)nu / t, t / (double)nu * 1e6, nu, 100.0 * (double)found / (double)nu,
           100.0 * (double)cc / (double)nu, (unsigned long long)misses);

    /* Cached: 10,000 addresses 100 times. */
    vigil_geo_free(g);
    if (vigil_geo_open(&g, dir, NULL, NULL, NULL) != VIGIL_OK) return 1;
    job j = { g, u, 10000, 100, 0 };
    run(&j); /* warm */
    j.found = 0;
    t0 = now();
    run(&j);
    t = now() - t0;
    printf("cached lookups/s=%.0f (%.0f ns each)\n", 1e6 / t, t / 1e6 * 1e9);

    /* Two threads on the same object (the cache's lock shared). */
    job j2[2] = { { g, u, 10000, 100, 0 }, { g, u + 10000, 10000, 100, 0 } };
    run(&j2[1]);
    pthread_t th[2];
    t0 = now();
    for (int i = 0; i < 2; i++) pthread_create(&th[i], NULL, run, &j2[i]);
    for (int i = 0; i < 2; i++) pthread_join(th[i], NULL);
    t = now() - t0;
    printf("2 threads cached lookups/s=%.0f (total)\n", 2e6 / t);

    /* Enrichment: 100,000 findings over 20,000 destinations, fresh cache. */
    vigil_geo_free(g);
    if (vigil_geo_open(&g, dir, NULL, NULL, NULL) != VIGIL_OK) return 1;
    vigil_findings fs = { 0 };
    vigil_finding f;
    memset(&f, 0, sizeof f);
    for (size_t i = 0; i < 100000; i++) {
        f.dst = u[100000 + rnd() % 20000];
        if (vigil_findings_push(&fs, &f) != VIGIL_OK) return 1;
    }
    t0 = now();
    vigil_geo_enrich(g, &fs);
    t = now() - t0;
    printf("enrich findings/s=%.0f (%.1f ms for %zu findings, 20,000 destinations)\n",
           (double)fs.n / t, t * 1e3, fs.n);
    vigil_findings_free(&fs);
    free(u);
    vigil_geo_free(g);
    return 0;
}
