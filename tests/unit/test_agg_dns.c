/* test_agg_dns.c -- the registered domain of a DNS name (agg_dns.c, libpsl + per-thread memo),
 * and the per-thread memos of the DNS add path (cold = warm, across aggregates and resets).
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

/* ---- the memos of vigil__agg_add_dns ------------------------------------------ */

static vigil_addr addr_of(const char *s)
{
    vigil_addr a;
    memset(&a, 0, sizeof a);
    CHECK(vigil_addr_parse(s, strlen(s), &a));
    return a;
}

static vigil_record dns_q(double ts, const char *o, const char *query, int rcode, const char *answers, char sep)
{
    vigil_record rec;
    memset(&rec, 0, sizeof rec);
    rec.type = VIGIL_LOG_DNS;
    rec.path = "dns";
    rec.ts = ts;
    vigil_dns *d = &rec.u.dns;
    d->id.ts = ts;
    d->id.orig_h = addr_of(o);
    d->id.resp_h = addr_of("10.0.0.2");
    d->id.resp_p = 53;
    d->proto = VIGIL_PROTO_UDP;
    d->qtype = 1;
    d->rcode = rcode;
    d->query.p = query;
    d->query.len = query ? strlen(query) : 0;
    d->answers.p = answers;
    d->answers.len = answers ? strlen(answers) : 0;
    d->set_sep = sep;
    return rec;
}

static vigil_record conn_to(double ts, const char *o, const char *r)
{
    vigil_record rec;
    memset(&rec, 0, sizeof rec);
    rec.type = VIGIL_LOG_CONN;
    rec.path = "conn";
    rec.ts = ts;
    vigil_conn *c = &rec.u.conn;
    c->id.ts = ts;
    c->id.orig_h = addr_of(o);
    c->id.resp_h = addr_of(r);
    c->id.orig_p = 50000;
    c->id.resp_p = 443;
    c->proto = VIGIL_PROTO_TCP;
    c->conn_state = VIGIL_CS_SF;
    c->local_orig = VIGIL_UNSET;
    c->local_resp = VIGIL_UNSET;
    c->present = VIGIL_CONN_HAS_DURATION | VIGIL_CONN_HAS_ORIG_BYTES | VIGIL_CONN_HAS_RESP_BYTES;
    c->duration = 1;
    c->orig_bytes = 10;
    c->resp_bytes = 10;
    return rec;
}

#define LONG_LABEL "abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz"

/* Queries whose names and answers repeat, with the odd ones the memos must
 * not get wrong: case, trailing dot, a port, a name that is an address, a
 * name longer than the memo keeps, five answers (more than it keeps), an
 * IPv6 answer, a CNAME and a trailing separator, the same answer text
 * split at a different separator, NXDOMAIN. */
static void memo_workload(vigil__agg **aggs, size_t naggs, int round)
{
    static const char *const hosts[] = { "10.0.0.5", "10.0.0.6", "192.168.1.9" };
    double t0 = 1000.0 + round * 100000.0;
    size_t k = 0;
    for (int i = 0; i < 120; i++) {
        const char *h = hosts[i % 3];
        double ts = t0 + i * 7.25;
        vigil_record r[] = {
            dns_q(ts, h, i % 2 ? "WWW.Example.COM." : "www.example.com", 0,
                  "198.51.100.1,198.51.100.2,198.51.100.3,198.51.100.4,198.51.100.5", ','),
            dns_q(ts + 1, h, "api.example.com:53", 0, "api.cdn.example.net,203.0.113.9,", ','),
            dns_q(ts + 2, h, "v6.example.org", 0, "2001:db8::1,203.0.113.10", ','),
            dns_q(ts + 3, h, "10.1.2.3", 0, "203.0.113.11", ','),
            dns_q(ts + 4, h, "x" LONG_LABEL ".tunnel.example.com", 0, "203.0.113.12", ','),
            dns_q(ts + 5, h, i % 4 ? "semi.example.org" : "comma.example.org", 0, "203.0.113.7;203.0.113.8",
                  i % 4 ? ';' : ','),
            dns_q(ts + 6, h, i % 5 ? "q1.dga.example.biz" : "Q2.DGA.example.biz", 3, NULL, ','),
            dns_q(ts + 7, h, "Mixed.Example.ORG", 0, "203.0.113.20,203.0.113.21", ','),
            conn_to(ts + 8, h, "198.51.100.5"),
            conn_to(ts + 8, h, "203.0.113.8"),
            conn_to(ts + 8, h, "203.0.113.9"),
            conn_to(ts + 8, h, "2001:db8::1"),
            conn_to(ts + 8, h, "203.0.113.21"),
        };
        for (size_t j = 0; j < sizeof r / sizeof r[0]; j++) CHECK(vigil__agg_add(aggs[k++ % naggs], &r[j]) == VIGIL_OK);
    }
}

typedef struct memo_run {
    vigil_netset *nets;   /* borrowed */
    int partial;          /* two partials merged after each round */
    vigil__agg *agg;      /* the result, finished */
} memo_run;

static void *memo_run_main(void *arg)
{
    memo_run *m = arg;
    CHECK(vigil__agg_new(&m->agg, m->nets, NULL) == VIGIL_OK);
    if (!m->partial) {
        for (int round = 0; round < 3; round++) memo_workload(&m->agg, 1, round);
    } else {
        vigil__agg *p[2];
        CHECK(vigil__agg_new(&p[0], m->nets, NULL) == VIGIL_OK);
        CHECK(vigil__agg_new(&p[1], m->nets, NULL) == VIGIL_OK);
        vigil__agg_set_partial(p[0], 1);
        vigil__agg_set_partial(p[1], 1);
        /* Each round refills the partials emptied by the last merge. */
        for (int round = 0; round < 3; round++) {
            memo_workload(p, 2, round);
            CHECK(vigil__agg_merge(m->agg, p[1]) == VIGIL_OK);
            CHECK(vigil__agg_merge(m->agg, p[0]) == VIGIL_OK);
        }
        vigil__agg_free(p[0]);
        vigil__agg_free(p[1]);
    }
    CHECK(vigil__agg_finish(m->agg) == VIGIL_OK);
    return NULL;
}

static int same_dns_views(const vigil__agg *x, const vigil__agg *y)
{
    if (vigil__agg_dns_count(x) != vigil__agg_dns_count(y)) return 0;
    for (size_t i = 0; i < vigil__agg_dns_count(x); i++) {
        vigil__dns_view p, q;
        if (vigil__agg_dns(x, i, &p) != VIGIL_OK) return 0;
        double pts[4096];
        if (p.nts > 4096) return 0;
        memcpy(pts, p.ts, p.nts * sizeof *pts);
        if (vigil__agg_dns(y, i, &q) != VIGIL_OK) return 0;
        if (memcmp(p.src.b, q.src.b, 16) || strcmp(p.domain, q.domain) || p.queries != q.queries ||
            p.unique_names != q.unique_names || p.txt_queries != q.txt_queries || p.nxdomain != q.nxdomain ||
            p.mean_label_len != q.mean_label_len || p.max_label_len != q.max_label_len ||
            p.mean_entropy != q.mean_entropy || p.nts != q.nts || memcmp(pts, q.ts, p.nts * sizeof *pts) ||
            p.prevalence != q.prevalence || p.src_is_resolver != q.src_is_resolver || p.first_ts != q.first_ts ||
            p.last_ts != q.last_ts)
            return 0;
    }
    if (vigil__agg_nx_count(x) != vigil__agg_nx_count(y)) return 0;
    for (size_t i = 0; i < vigil__agg_nx_count(x); i++) {
        vigil__nx_view p, q;
        if (vigil__agg_nx(x, i, &p) != VIGIL_OK || vigil__agg_nx(y, i, &q) != VIGIL_OK) return 0;
        if (memcmp(p.src.b, q.src.b, 16) || p.nx_names != q.nx_names || p.nx_max_window != q.nx_max_window ||
            p.nx_domains != q.nx_domains || p.first_ts != q.first_ts || p.last_ts != q.last_ts ||
            strcmp(p.example, q.example))
            return 0;
    }
    if (vigil__agg_pair_count(x) != vigil__agg_pair_count(y)) return 0;
    for (size_t i = 0; i < vigil__agg_pair_count(x); i++) {
        vigil__pair_view p, q;
        if (vigil__agg_pair(x, i, &p) != VIGIL_OK || vigil__agg_pair(y, i, &q) != VIGIL_OK) return 0;
        if (memcmp(p.dst.b, q.dst.b, 16) || (p.name == NULL) != (q.name == NULL) || (p.name && strcmp(p.name, q.name)))
            return 0;
    }
    return 1;
}

/* The name DNS gave the pair src -> dst:443 (NULL when none or no pair). */
static const char *pair_name(const vigil__agg *a, const char *src, const char *dst)
{
    vigil_addr s = addr_of(src), d = addr_of(dst);
    for (size_t i = 0; i < vigil__agg_pair_count(a); i++) {
        vigil__pair_view v;
        if (vigil__agg_pair(a, i, &v) != VIGIL_OK) return NULL;
        if (!memcmp(v.src.b, s.b, 16) && !memcmp(v.dst.b, d.b, 16)) return v.name;
    }
    return NULL;
}

TEST(agg_dns_memos_cold_equal_warm)
{
    vigil_netset *nets = NULL;
    CHECK(vigil_netset_new(&nets, NULL) == VIGIL_OK);
    CHECK(vigil_netset_add_private(nets) == VIGIL_OK);
    /* Cold: a new thread's memos are empty. */
    memo_run cold = { nets, 0, NULL }, cold_part = { nets, 1, NULL };
    pthread_t t;
    CHECK(pthread_create(&t, NULL, memo_run_main, &cold) == 0);
    pthread_join(t, NULL);
    CHECK(pthread_create(&t, NULL, memo_run_main, &cold_part) == 0);
    pthread_join(t, NULL);
    /* Warm: this thread's memos hold another aggregate's ids first. */
    memo_run prime = { nets, 1, NULL }, warm = { nets, 0, NULL }, warm_part = { nets, 1, NULL };
    memo_run_main(&prime);
    memo_run_main(&warm);
    memo_run_main(&warm_part);
    /* Bit for bit (partials merged sum the entropies in another order). */
    CHECK(same_dns_views(cold.agg, warm.agg));
    CHECK(same_dns_views(cold_part.agg, warm_part.agg));
    CHECK(same_dns_views(cold_part.agg, prime.agg));

    vigil__agg *a = warm_part.agg;
    /* Each host: example.com (www, api, the long name), example.org (v6,
     * semi, comma, mixed), example.biz (NXDOMAIN); "10.1.2.3" is no name. */
    CHECK_EQ_U(vigil__agg_dns_count(a), 9);
    for (size_t i = 0; i < vigil__agg_dns_count(a); i++) {
        vigil__dns_view d;
        CHECK(vigil__agg_dns(a, i, &d) == VIGIL_OK);
        if (!strcmp(d.domain, "example.com")) {
            CHECK_EQ_U(d.queries, 3 * 40 * 3);
            CHECK_EQ_U(d.unique_names, 3);       /* www (any case), api, the long one */
            CHECK_EQ_U(d.max_label_len, strlen(LONG_LABEL) + 1);
        } else if (!strcmp(d.domain, "example.org")) {
            CHECK_EQ_U(d.queries, 3 * 40 * 3);   /* v6, semi or comma, mixed */
            CHECK_EQ_U(d.unique_names, 4);       /* v6, semi, comma, mixed */
        } else {
            CHECK_STR(d.domain, "example.biz");
            CHECK_EQ_U(d.nxdomain, 3 * 40);
            CHECK_EQ_U(d.unique_names, 2);
        }
    }
    /* The fifth of five answers, the address after a CNAME, an IPv6 answer. */
    CHECK_STR(pair_name(a, "10.0.0.5", "198.51.100.5"), "www.example.com");
    CHECK_STR(pair_name(a, "10.0.0.5", "203.0.113.9"), "api.example.com");
    CHECK_STR(pair_name(a, "10.0.0.5", "2001:db8::1"), "v6.example.org");
    CHECK_STR(pair_name(a, "10.0.0.5", "203.0.113.21"), "mixed.example.org");
    /* "203.0.113.7;203.0.113.8" names two addresses split at ';' and none
     * split at ','; the later comma.example.org queries do not rename it. */
    CHECK_STR(pair_name(a, "10.0.0.5", "203.0.113.8"), "semi.example.org");
    memo_run *all[] = { &cold, &cold_part, &prime, &warm, &warm_part };
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) vigil__agg_free(all[i]->agg);
    vigil_netset_free(nets);
}
