/* test_agg_dns.c -- the registered domain of a DNS name (agg_dns.c, libpsl + per-thread memo).
 * The DNS aggregation itself is tested in test_agg_pairs.c (agg_dns_*). */
#include <pthread.h>
#include <stdlib.h>
#include "test.h"
#include "agg.h"

static const char *reg(const char *name)
{
    return name + vigil__registered_domain(name, strlen(name));
}

TEST(agg_dns_psl_where_the_heuristic_was_wrong)
{
    /* The two-label heuristic split these wrongly; the PSL knows. */
    CHECK_STR(reg("www.example.ltd.uk"), "example.ltd.uk");        /* heuristic: ltd.uk */
    CHECK_STR(reg("shop.example.k12.ca.us"), "example.k12.ca.us"); /* heuristic: ca.us */
    CHECK_STR(reg("a.b.example.gov.au"), "example.gov.au");
    CHECK_STR(reg("www.city.kawasaki.jp"), "city.kawasaki.jp");    /* !city.kawasaki.jp */
    CHECK_STR(reg("x.foo.kawasaki.jp"), "x.foo.kawasaki.jp");      /* *.kawasaki.jp */
    CHECK_STR(reg("www.example.ck"), "www.example.ck");            /* *.ck */
    /* ... and these it already had right. */
    CHECK_STR(reg("a.b.example.com"), "example.com");
    CHECK_STR(reg("www.example.co.jp"), "example.co.jp");
    CHECK_STR(reg("a.bbc.co.uk"), "bbc.co.uk");
    CHECK_STR(reg("x.y.z.gov.uk"), "z.gov.uk");
}

TEST(agg_dns_psl_private_suffixes_count)
{
    /* Private-section suffixes are suffixes: each user's site is its own
     * domain (a tunnel under a dynamic-DNS provider is not the provider). */
    CHECK_STR(reg("user.github.io"), "user.github.io");
    CHECK_STR(reg("cdn.user.github.io"), "user.github.io");
    CHECK_STR(reg("a.b.evil.duckdns.org"), "evil.duckdns.org");
    CHECK_STR(reg("x.blogspot.com"), "x.blogspot.com");
    CHECK_STR(reg("bucket.s3.amazonaws.com"), "bucket.s3.amazonaws.com");
    /* A suffix itself: the whole name (no part below it). */
    CHECK_STR(reg("github.io"), "github.io");
    CHECK_STR(reg("co.jp"), "co.jp");
    CHECK_STR(reg("com"), "com");
    CHECK_EQ_U(vigil__registered_domain("github.io", 9), 0);
}

TEST(agg_dns_psl_odd_names)
{
    CHECK_STR(reg("localhost"), "localhost");              /* one label */
    CHECK_STR(reg("wpad"), "wpad");
    CHECK_STR(reg("host.corp.internal"), "corp.internal"); /* unlisted TLD: PSL's "*" */
    CHECK_STR(reg("1.0.168.192.in-addr.arpa"), "192.in-addr.arpa");
    CHECK_STR(reg("in-addr.arpa"), "in-addr.arpa");
    CHECK_STR(reg("a..b.example.com"), "example.com");
    CHECK_EQ_U(vigil__registered_domain("", 0), 0);
    /* Not NUL-terminated: only s[0..n) counts. */
    const char *s = "www.example.comXXXX";
    CHECK_EQ_U(vigil__registered_domain(s, 15), 4);
    /* Longer than 255 bytes: the domain is still found in its tail. */
    char big[400];
    size_t n = 0;
    while (n < 300) {
        memcpy(big + n, "abcdefghi.", 10);
        n += 10;
    }
    memcpy(big + n, "example.co.uk", 14);
    n += 13;
    CHECK_STR(big + vigil__registered_domain(big, n), "example.co.uk");
    /* A 300-byte single label: the whole name. */
    memset(big, 'a', 300);
    big[300] = 0;
    CHECK_EQ_U(vigil__registered_domain(big, 300), 0);
}

/* Name i of a family of distinct names, some longer than the memo keeps. */
static size_t make_name(char *buf, size_t cap, unsigned i)
{
    static const char *const sfx[] = { "example.com", "example.co.jp", "x.github.io", "com", "gov.uk", "k12.ca.us" };
    if (i % 7 == 0)
        return (size_t)snprintf(buf, cap, "n%u.a-rather-long-label-that-pushes-it-past-the-memo.%s", i,
                                sfx[i % 6]);
    return (size_t)snprintf(buf, cap, "n%u.%s", i, sfx[i % 6]);
}

TEST(agg_dns_psl_memo_is_exact)
{
    /* 20,000 distinct names (many collide in the 4096-slot memo), asked
     * three times: the answers never change, and match the expected split. */
    static size_t first[20000];
    char buf[128];
    for (int pass = 0; pass < 3; pass++) {
        for (unsigned i = 0; i < 20000; i++) {
            size_t n = make_name(buf, sizeof buf, i);
            size_t off = vigil__registered_domain(buf, n);
            if (pass == 0) first[i] = off;
            else if (off != first[i]) {
                CHECK_EQ_U(off, first[i]);
                return;
            }
        }
    }
    size_t n = make_name(buf, sizeof buf, 3); /* "n3.com" */
    CHECK_STR(buf + vigil__registered_domain(buf, n), "n3.com");
    n = make_name(buf, sizeof buf, 1); /* "n1.example.co.jp" */
    CHECK_STR(buf + vigil__registered_domain(buf, n), "example.co.jp");
    n = make_name(buf, sizeof buf, 2); /* "n2.x.github.io" */
    CHECK_STR(buf + vigil__registered_domain(buf, n), "x.github.io");
    n = make_name(buf, sizeof buf, 7); /* long, under example.co.jp */
    CHECK_STR(buf + vigil__registered_domain(buf, n), "example.co.jp");
}

static void *psl_thread(void *arg)
{
    unsigned base = *(unsigned *)arg;
    char buf[128];
    long bad = 0;
    for (int pass = 0; pass < 2; pass++)
        for (unsigned i = base; i < base + 5000; i++) {
            size_t n = (size_t)snprintf(buf, sizeof buf, "h%u.t%u.example.co.uk", i, base);
            if (strcmp(buf + vigil__registered_domain(buf, n), "example.co.uk") != 0) bad++;
        }
    return (void *)bad;
}

TEST(agg_dns_psl_two_threads)
{
    unsigned base[2] = { 0, 100000 };
    pthread_t t[2];
    for (int i = 0; i < 2; i++) CHECK(pthread_create(&t[i], NULL, psl_thread, &base[i]) == 0);
    for (int i = 0; i < 2; i++) {
        void *r = NULL;
        pthread_join(t[i], &r);
        CHECK(r == NULL);
    }
}
