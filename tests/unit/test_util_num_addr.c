/* test_util_num_addr.c -- the hand-written number and address parsers agree
 * with the C library on valid and invalid text. */
#include <arpa/inet.h>
#include <stdlib.h>
#include "test.h"
#include "../../lib/internal.h"

/* Parses text through vigil_addr_parse and inet_pton; both must agree. */
static void check_v4(const char *text)
{
    char padded[64] = { 0 };
    snprintf(padded, sizeof padded, "%s", text);
    vigil_addr a;
    struct in_addr ref;
    int ours = vigil_addr_parse(text, strlen(text), &a);
    int theirs = inet_pton(AF_INET, text, &ref) == 1;
    if (ours != theirs) {
        fprintf(stderr, "  \"%s\": vigil %d, inet_pton %d\n", text, ours, theirs);
        vigil_test_failures++;
        return;
    }
    if (ours) {
        CHECK(vigil_addr_is_v4(&a));
        CHECK(memcmp(a.b + 12, &ref, 4) == 0);
        vigil_addr b;
        CHECK(vigil__addr_v4_fast(padded, strlen(text), &b) == 1);
        CHECK(memcmp(&a, &b, 16) == 0);
    }
}

TEST(num_addr_v4_agrees_with_inet_pton)
{
    static const char *const cases[] = {
        "0.0.0.0", "1.2.3.4", "10.0.0.5", "255.255.255.255", "192.168.1.115",
        "41.108.179.197", "9.99.199.255", "256.1.1.1", "1.2.3", "1.2.3.4.5",
        "01.2.3.4", "1.02.3.4", "1.2.003.4", "1..3.4", ".1.2.3", "1.2.3.", "1.2.3.a",
        "1.2.3.4 ", " 1.2.3.4", "1234.1.1.1", "1.2.3.-4", "1.2.3.4/24", "a.b.c.d",
        "100.200.300.4", "0.0.0.00",
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) check_v4(cases[i]);
    /* Random dotted quads, valid and not. */
    unsigned seed = 7;
    for (int i = 0; i < 20000; i++) {
        char buf[32];
        seed = seed * 1103515245u + 12345u;
        unsigned v[4];
        for (int k = 0; k < 4; k++) { seed = seed * 1103515245u + 12345u; v[k] = (seed >> 16) % 300; }
        snprintf(buf, sizeof buf, "%u.%u.%u.%u", v[0], v[1], v[2], v[3]);
        check_v4(buf);
    }
}

TEST(num_digits_and_decimals)
{
    char buf[64];
    for (uint64_t x = 0; x < 200000; x = x * 3 + 1) {
        memset(buf, 0, sizeof buf);
        int n = snprintf(buf, sizeof buf, "%llu", (unsigned long long)x);
        uint64_t got;
        CHECK(vigil__parse_u64(buf, (size_t)n, &got) && got == x);
    }
    memset(buf, 0, sizeof buf);
    memcpy(buf, "18446744073709551615", 20);
    uint64_t got;
    CHECK(vigil__parse_u64(buf, 20, &got) && got == UINT64_MAX);
    memcpy(buf, "18446744073709551616", 20);
    CHECK(!vigil__parse_u64(buf, 20, &got));
    static const char *const bad[] = { "", "12a", "-1", "1 ", "+5", "1.0", ":", "/" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        memset(buf, 0, sizeof buf);
        snprintf(buf, sizeof buf, "%s", bad[i]);
        CHECK(!vigil__parse_u64(buf, strlen(bad[i]), &got));
    }
    /* Decimals: the fast path equals strtod. */
    static const char *const dec[] = {
        "1516892000.123456", "0.136721", "17.000000", "1655071015.389612", "3", "0.5",
        "123456789012.5", "9007199254740993", "1e5", "2.5e-3", "0.000001", "99999999.99999999",
    };
    for (size_t i = 0; i < sizeof dec / sizeof dec[0]; i++) {
        memset(buf, 0, sizeof buf);
        snprintf(buf, sizeof buf, "%s", dec[i]);
        double a, b = strtod(buf, NULL);
        CHECK(vigil__parse_double(buf, strlen(buf), &a) && a == b);
    }
    static const char *const baddec[] = { "", ".", "1.", ".5x", "1..2", "--1", "1e", "nan", "inf", "0x10" };
    for (size_t i = 0; i < sizeof baddec / sizeof baddec[0]; i++) {
        memset(buf, 0, sizeof buf);
        snprintf(buf, sizeof buf, "%s", baddec[i]);
        double a;
        if (vigil__parse_double(buf, strlen(buf), &a)) {
            fprintf(stderr, "  \"%s\" parsed as %g\n", baddec[i], a);
            vigil_test_failures++;
        }
    }
    /* ISO-8601 with offsets. */
    double t;
    memset(buf, 0, sizeof buf);
    strcpy(buf, "2021-06-06T15:59:46.457984+0200");
    CHECK(vigil__parse_time(buf, strlen(buf), &t) && t == 1622987986.457984);
    strcpy(buf, "2018-01-01T00:00:00Z");
    CHECK(vigil__parse_time(buf, strlen(buf), &t) && t == 1514764800.0);
}

/* vigil__populate and its users only make pages resident: what the memory
 * holds is kept, at any alignment and size (below VIGIL__POPULATE_MIN it
 * does nothing), and vigil__calloc still zeroes. */
TEST(util_populate_keeps_contents)
{
    size_t n = (size_t)3 << 20;
    unsigned char *p = malloc(n);
    CHECK(p != NULL);
    if (!p) return;
    for (size_t i = 0; i < n; i++) p[i] = (unsigned char)(i * 131 + 7);
    vigil__populate(p + 1, n - 3);                    /* unaligned both ends */
    vigil__populate(p + 100, 10);                     /* tiny: no call */
    vigil__populate(NULL, n);                         /* nothing */
    size_t mark = 0, bad = 0;
    for (size_t k = 0; k < n / 64; k += 100) vigil__populate_ahead(p, k, n / 64, 64, &mark);
    CHECK(mark > 0 && mark <= n / 64);
    for (size_t i = 0; i < n; i++) bad += p[i] != (unsigned char)(i * 131 + 7);
    CHECK_EQ_U(bad, 0);
    free(p);
    const vigil_allocator *al = vigil_allocator_default();
    unsigned char *z = vigil__calloc(al, 1 << 20, 3);
    CHECK(z != NULL);
    for (size_t i = 0; z && i < (size_t)3 << 20; i++) bad += z[i] != 0;
    CHECK_EQ_U(bad, 0);
    vigil__free(al, z);
    unsigned char *f = vigil__malloc_full(al, (size_t)1 << 20);
    CHECK(f != NULL);
    if (f) memset(f, 0xab, (size_t)1 << 20);
    vigil__free(al, f);
}
