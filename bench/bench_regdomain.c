/* bench_regdomain.c -- times vigil__registered_domain (libpsl) against the two-label heuristic it replaced, on real query names. */
/*
 * Usage: bench_regdomain NAMES_FILE [ROUNDS]
 *   NAMES_FILE: one query name a line, e.g. column 10 of Zeek dns.log:
 *     grep -hv '^#' ../shared/data/real/STAR/dns.log* | cut -f10 > /tmp/names.txt
 * Build (not part of bench/run.sh):
 *   make build/libvigil.a && cc -O2 -Iinclude -Ilib bench/bench_regdomain.c build/libvigil.a \
 *       $(pkg-config --libs libisal libpcap zlib sqlite3 libmaxminddb libpsl) -lm -pthread \
 *       -o build/bench_regdomain
 * Prints ns per name for both and how many names they split differently.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "agg.h"

/* The heuristic vigil used before libpsl (agg_dns.c, issue 5). */
static size_t old_domain(const char *s, size_t n)
{
    static const char *const sld[] = { "co", "com", "net", "org", "ac", "go", "ne", "or", "gov", "edu" };
    size_t dots[3] = { 0 }, nd = 0;
    for (size_t i = n; i-- > 0 && nd < 3;)
        if (s[i] == '.') dots[nd++] = i;
    if (nd < 2) return 0;
    size_t tld_len = n - dots[0] - 1;
    size_t sld_off = dots[1] + 1, sld_len = dots[0] - dots[1] - 1;
    if (tld_len == 2) {
        for (size_t i = 0; i < sizeof sld / sizeof sld[0]; i++)
            if (strlen(sld[i]) == sld_len && memcmp(s + sld_off, sld[i], sld_len) == 0)
                return nd >= 3 ? dots[2] + 1 : 0;
    }
    return sld_off;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bench_regdomain NAMES_FILE [ROUNDS]\n");
        return 2;
    }
    int rounds = argc > 2 ? atoi(argv[2]) : 20;
    FILE *f = fopen(argv[1], "r");
    if (!f) {
        perror(argv[1]);
        return 1;
    }
    size_t n = 0, cap = 0;
    char **names = NULL;
    size_t *len = NULL;
    char line[1024];
    while (fgets(line, sizeof line, f)) {
        size_t l = strcspn(line, "\r\n");
        line[l] = 0;
        for (size_t i = 0; i < l; i++)
            if (line[i] >= 'A' && line[i] <= 'Z') line[i] = (char)(line[i] + 32);
        while (l && line[l - 1] == '.') line[--l] = 0;
        if (!l || l > 255 || strcmp(line, "-") == 0) continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 1024;
            names = realloc(names, cap * sizeof *names);
            len = realloc(len, cap * sizeof *len);
            if (!names || !len) return 1;
        }
        names[n] = strdup(line);
        len[n++] = l;
    }
    fclose(f);
    if (!n) {
        fprintf(stderr, "no names\n");
        return 1;
    }
    size_t differ = 0, sink = 0;
    for (size_t i = 0; i < n; i++) {
        size_t a = old_domain(names[i], len[i]), b = vigil__registered_domain(names[i], len[i]);
        if (a != b) {
            if (differ < 10) printf("  differs: %-40s old %-24s psl %s\n", names[i], names[i] + a, names[i] + b);
            differ++;
        }
    }
    double t0 = now();
    for (int r = 0; r < rounds; r++)
        for (size_t i = 0; i < n; i++) sink += old_domain(names[i], len[i]);
    double t_old = now() - t0;
    t0 = now();
    for (int r = 0; r < rounds; r++)
        for (size_t i = 0; i < n; i++) sink += vigil__registered_domain(names[i], len[i]);
    double t_psl = now() - t0;
    double calls = (double)n * rounds;
    printf("names=%zu differ=%zu old_ns=%.1f psl_ns=%.1f ratio=%.1fx (sink %zu)\n", n, differ,
           t_old / calls * 1e9, t_psl / calls * 1e9, t_psl / t_old, sink % 7);
    for (size_t i = 0; i < n; i++) free(names[i]);
    free(names);
    free(len);
    return 0;
}
