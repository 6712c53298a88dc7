/* test_agg_pairs.c -- the hunt aggregator (agg_pairs.c, agg_dns.c,
 * agg_hosts.c) on hand-written records. */
#include <math.h>
#include <stdlib.h>
#include "test.h"
#include "agg.h"
#include "agg_impl.h"
#include "fixture.h"

/* ---- record builders ---------------------------------------------------------- */

static vigil_addr A(const char *s)
{
    vigil_addr a;
    memset(&a, 0, sizeof a);
    if (!vigil_addr_parse(s, strlen(s), &a)) {
        fprintf(stderr, "  bad test address %s\n", s);
        vigil_test_failures++;
    }
    return a;
}

static vigil_str S(const char *s)
{
    vigil_str v = { s, s ? strlen(s) : 0 };
    return v;
}

static vigil_record conn_rec(double ts, const char *o, const char *r, uint16_t dport,
                             uint8_t proto, uint64_t ob, uint64_t rb, uint8_t state)
{
    vigil_record rec;
    memset(&rec, 0, sizeof rec);
    rec.type = VIGIL_LOG_CONN;
    rec.path = "conn";
    rec.file = "test";
    rec.ts = ts;
    vigil_conn *c = &rec.u.conn;
    c->id.ts = ts;
    c->id.orig_h = A(o);
    c->id.resp_h = A(r);
    c->id.orig_p = 50000;
    c->id.resp_p = dport;
    c->proto = proto;
    c->conn_state = state;
    c->local_orig = VIGIL_UNSET;
    c->local_resp = VIGIL_UNSET;
    c->present = VIGIL_CONN_HAS_DURATION | VIGIL_CONN_HAS_ORIG_BYTES | VIGIL_CONN_HAS_RESP_BYTES;
    c->duration = 1.5;
    c->orig_bytes = ob;
    c->resp_bytes = rb;
    return rec;
}

static vigil_record ssl_rec(double ts, const char *o, const char *r, const char *sni)
{
    vigil_record rec;
    memset(&rec, 0, sizeof rec);
    rec.type = VIGIL_LOG_SSL;
    rec.path = "ssl";
    rec.ts = ts;
    rec.u.ssl.id.ts = ts;
    rec.u.ssl.id.orig_h = A(o);
    rec.u.ssl.id.resp_h = A(r);
    rec.u.ssl.id.resp_p = 443;
    rec.u.ssl.server_name = S(sni);
    return rec;
}

static vigil_record http_rec(double ts, const char *o, const char *r, const char *host)
{
    vigil_record rec;
    memset(&rec, 0, sizeof rec);
    rec.type = VIGIL_LOG_HTTP;
    rec.path = "http";
    rec.ts = ts;
    rec.u.http.id.ts = ts;
    rec.u.http.id.orig_h = A(o);
    rec.u.http.id.resp_h = A(r);
    rec.u.http.id.resp_p = 80;
    rec.u.http.host = S(host);
    return rec;
}

static vigil_record dns_rec(double ts, const char *o, const char *query, uint16_t qtype,
                            int rcode, const char *answers)
{
    vigil_record rec;
    memset(&rec, 0, sizeof rec);
    rec.type = VIGIL_LOG_DNS;
    rec.path = "dns";
    rec.ts = ts;
    vigil_dns *d = &rec.u.dns;
    d->id.ts = ts;
    d->id.orig_h = A(o);
    d->id.resp_h = A("10.0.0.2");
    d->id.resp_p = 53;
    d->proto = VIGIL_PROTO_UDP;
    d->qtype = qtype;
    d->rcode = rcode;
    d->query = S(query);
    d->answers = S(answers);
    d->set_sep = ',';
    return rec;
}

/* A fresh aggregator over the default private networks. */
typedef struct fixture {
    vigil_netset *nets;
    vigil__agg *agg;
} fixture;

static void fx_init(fixture *fx)
{
    CHECK(vigil_netset_new(&fx->nets, NULL) == VIGIL_OK);
    CHECK(vigil_netset_add_private(fx->nets) == VIGIL_OK);
    CHECK(vigil__agg_new(&fx->agg, fx->nets, NULL) == VIGIL_OK);
}

static void fx_free(fixture *fx)
{
    vigil__agg_free(fx->agg);
    vigil_netset_free(fx->nets);
}

static void add(vigil__agg *a, vigil_record r) { CHECK(vigil__agg_add(a, &r) == VIGIL_OK); }

/* Index of the pair view (src, dst, dport), or -1. */
static long find_pair(const vigil__agg *a, const char *src, const char *dst, uint16_t dport,
                      vigil__pair_view *out)
{
    vigil_addr s = A(src), d = A(dst);
    for (size_t i = 0; i < vigil__agg_pair_count(a); i++) {
        vigil__pair_view v;
        if (vigil__agg_pair(a, i, &v) != VIGIL_OK) return -1;
        if (!memcmp(v.src.b, s.b, 16) && !memcmp(v.dst.b, d.b, 16) && v.dport == dport) {
            if (out) *out = v;
            return (long)i;
        }
    }
    return -1;
}

/* ---- tests ------------------------------------------------------------------------ */

TEST(agg_sides_and_noise)
{
    fixture fx;
    fx_init(&fx);
    vigil__agg *a = fx.agg;
    add(a, conn_rec(100, "10.0.0.5", "198.51.100.7", 443, VIGIL_PROTO_TCP, 10, 20, VIGIL_CS_SF));
    add(a, conn_rec(101, "198.51.100.7", "10.0.0.5", 22, VIGIL_PROTO_TCP, 10, 20, VIGIL_CS_SF)); /* inbound */
    add(a, conn_rec(102, "10.0.0.5", "10.0.0.9", 445, VIGIL_PROTO_TCP, 10, 20, VIGIL_CS_SF));    /* internal */
    add(a, conn_rec(103, "198.51.100.7", "203.0.113.9", 80, VIGIL_PROTO_TCP, 1, 1, VIGIL_CS_SF)); /* transit */
    static const char *const noise[] = { "127.0.0.1", "169.254.1.1", "224.0.0.251", "239.255.255.250",
                                         "255.255.255.255", "0.0.0.0" };
    for (size_t i = 0; i < sizeof noise / sizeof noise[0]; i++)
        add(a, conn_rec(104, "10.0.0.5", noise[i], 5353, VIGIL_PROTO_UDP, 1, 0, VIGIL_CS_S0));
    static const char *const noise6[] = { "::1", "fe80::1", "ff02::fb", "::" };
    for (size_t i = 0; i < sizeof noise6 / sizeof noise6[0]; i++)
        add(a, conn_rec(105, "fd00::5", noise6[i], 5353, VIGIL_PROTO_UDP, 1, 0, VIGIL_CS_S0));
    /* A public source marked local by Zeek is internal. */
    vigil_record lo = conn_rec(106, "147.32.83.234", "198.51.100.7", 443, VIGIL_PROTO_TCP, 5, 5, VIGIL_CS_SF);
    lo.u.conn.local_orig = VIGIL_TRUE;
    add(a, lo);
    /* local_resp = T turns an outbound connection into internal -> internal. */
    vigil_record lr = conn_rec(107, "10.0.0.5", "192.0.2.1", 443, VIGIL_PROTO_TCP, 5, 5, VIGIL_CS_SF);
    lr.u.conn.local_resp = VIGIL_TRUE;
    add(a, lr);
    /* IPv6 ULA to a global address is a pair. */
    add(a, conn_rec(108, "fd00::5", "2001:db8::7", 443, VIGIL_PROTO_TCP, 5, 5, VIGIL_CS_SF));
    CHECK(vigil__agg_finish(a) == VIGIL_OK);
    vigil__agg_counts ct;
    vigil__agg_counts_get(a, &ct);
    CHECK_EQ_U(ct.conns, 17);
    CHECK_EQ_U(ct.kept, 3);
    CHECK_EQ_U(ct.inbound, 1);
    CHECK_EQ_U(ct.internal_only, 2);
    CHECK_EQ_U(ct.external_only, 1);
    CHECK_EQ_U(ct.noise, 10);
    CHECK_EQ_U(vigil__agg_pair_count(a), 3);
    vigil__pair_view v;
    CHECK(find_pair(a, "10.0.0.5", "198.51.100.7", 443, &v) >= 0);
    CHECK(find_pair(a, "147.32.83.234", "198.51.100.7", 443, NULL) >= 0);
    CHECK(find_pair(a, "fd00::5", "2001:db8::7", 443, NULL) >= 0);
    CHECK_EQ_U(v.prevalence, 2);       /* two internal hosts talk to it */
    CHECK_EQ_U(v.internal_hosts, 3);   /* 10.0.0.5, 147.32.83.234, fd00::5 */
    CHECK_EQ_U(vigil__agg_host_count(a), 3);
    fx_free(&fx);
}

TEST(agg_points_sorted_and_sums)
{
    fixture fx;
    fx_init(&fx);
    vigil__agg *a = fx.agg;
    /* Out of order, across two UTC days and three hours. */
    double ts[] = { 86400 * 3 + 7200 + 5, 86400 * 2 + 10, 86400 * 3 + 7200 + 1, 86400 * 2 + 3600 + 2, 86400 * 2 + 5 };
    uint8_t st[] = { VIGIL_CS_REJ, VIGIL_CS_S0, VIGIL_CS_SF, VIGIL_CS_RSTR, VIGIL_CS_S1 };
    uint64_t ob[] = { 0, 0, 100, 0, 7 };
    for (int i = 0; i < 5; i++)
        add(a, conn_rec(ts[i], "192.168.1.107", "66.63.168.35", 5888, VIGIL_PROTO_TCP, ob[i], ob[i] * 2, st[i]));
    /* Same dst, other port and proto: other pairs. */
    add(a, conn_rec(50, "192.168.1.107", "66.63.168.35", 5888, VIGIL_PROTO_UDP, 1, 1, VIGIL_CS_SF));
    add(a, conn_rec(50, "192.168.1.107", "66.63.168.35", 80, VIGIL_PROTO_TCP, 1, 1, VIGIL_CS_SF));
    CHECK(vigil__agg_finish(a) == VIGIL_OK);
    CHECK_EQ_U(vigil__agg_pair_count(a), 3);
    vigil__pair_view v;
    long i = -1;
    for (size_t k = 0; k < vigil__agg_pair_count(a); k++) {
        CHECK(vigil__agg_pair(a, k, &v) == VIGIL_OK);
        if (v.dport == 5888 && v.proto == VIGIL_PROTO_TCP) { i = (long)k; break; }
    }
    CHECK(i >= 0);
    CHECK_EQ_U(v.n, 5);
    for (size_t k = 1; k < v.n; k++) CHECK(v.pts[k - 1].ts <= v.pts[k].ts);
    CHECK(v.pts[0].ts == 86400 * 2 + 5 && v.pts[0].orig_bytes == 7 && v.pts[0].resp_bytes == 14);
    CHECK(v.first_ts == 86400 * 2 + 5);
    CHECK(v.last_ts == 86400 * 3 + 7200 + 5);
    CHECK_EQ_U(v.n_rej, 2); /* REJ, RSTR without data */
    CHECK_EQ_U(v.n_s0, 1);
    CHECK_EQ_U(v.n_ok, 2);  /* SF, S1 */
    CHECK_EQ_U(v.bytes_out, 107);
    CHECK_EQ_U(v.bytes_in, 214);
    CHECK(fabs(v.dur_sum - 7.5) < 1e-9);
    CHECK(fabs(v.dur_max - 1.5) < 1e-9);
    CHECK(fabs(v.open_dur - 1.5) < 1e-9); /* the S1 one */
    CHECK_EQ_U(v.days_present, 2);
    CHECK_EQ_U(v.hours_present, 3);
    CHECK(v.dst_first_seen == 50);
    CHECK_EQ_U(v.dst_count, 1);
    CHECK(!v.is_group);
    CHECK(v.name == NULL);
    /* Pairs come in (src, dst, dport, proto) order. */
    vigil__pair_view p0, p1, p2;
    CHECK(vigil__agg_pair(a, 0, &p0) == VIGIL_OK && vigil__agg_pair(a, 1, &p1) == VIGIL_OK &&
          vigil__agg_pair(a, 2, &p2) == VIGIL_OK);
    CHECK(p0.dport == 80 && p1.dport == 5888 && p1.proto == VIGIL_PROTO_TCP && p2.proto == VIGIL_PROTO_UDP);
    CHECK(vigil__agg_pair(a, 3, &v) == VIGIL_EINVAL);
    fx_free(&fx);
}

TEST(agg_names_and_groups)
{
    fixture fx;
    fx_init(&fx);
    vigil__agg *a = fx.agg;
    /* DNS names three rotating addresses; one host beacons to all three. */
    add(a, dns_rec(10, "10.0.0.5", "C2.Example.NET.", 1, 0, "203.0.113.1,203.0.113.2,203.0.113.3"));
    const char *rot[] = { "203.0.113.1", "203.0.113.2", "203.0.113.3" };
    for (int i = 0; i < 12; i++)
        add(a, conn_rec(1000 + 60 * i, "10.0.0.5", rot[i % 3 == 2 ? 2 : i % 2], 443, VIGIL_PROTO_TCP, 300, 900, VIGIL_CS_SF));
    /* A second host talks to one of them: prevalence of the name is 2. */
    add(a, conn_rec(2000, "10.0.0.6", "203.0.113.1", 443, VIGIL_PROTO_TCP, 1, 1, VIGIL_CS_SF));
    /* SNI beats HTTP Host beats DNS for the pair's name. */
    add(a, conn_rec(3000, "10.0.0.7", "198.51.100.20", 443, VIGIL_PROTO_TCP, 1, 1, VIGIL_CS_SF));
    add(a, http_rec(3001, "10.0.0.7", "198.51.100.20", "www.Example.org:8080"));
    add(a, ssl_rec(2999, "10.0.0.7", "198.51.100.20", "api.example.org"));
    add(a, http_rec(3002, "10.0.0.7", "198.51.100.20", "198.51.100.20")); /* an address: not a name */
    CHECK(vigil__agg_finish(a) == VIGIL_OK);
    vigil__pair_view v;
    CHECK(find_pair(a, "10.0.0.7", "198.51.100.20", 443, &v) >= 0);
    CHECK_STR(v.name, "api.example.org");
    CHECK(find_pair(a, "10.0.0.5", "203.0.113.2", 443, &v) >= 0);
    CHECK_STR(v.name, "c2.example.net");
    CHECK_EQ_U(vigil__agg_group_count(a), 1);
    CHECK(vigil__agg_group(a, 0, &v) == VIGIL_OK);
    CHECK(v.is_group);
    CHECK_EQ_U(v.dst_count, 3);
    CHECK_EQ_U(v.n, 12);
    CHECK_STR(v.name, "c2.example.net");
    char buf[VIGIL_ADDR_STRLEN];
    CHECK_STR(vigil_addr_format(&v.dst, buf), "203.0.113.1"); /* most connections (5) */
    CHECK_EQ_U(v.prevalence, 2);
    for (size_t k = 1; k < v.n; k++) CHECK(v.pts[k - 1].ts < v.pts[k].ts);
    CHECK(v.first_ts == 1000 && v.last_ts == 1000 + 60 * 11);
    CHECK_EQ_U(v.bytes_out, 12 * 300);
    CHECK_EQ_U(v.n_ok, 12);
    /* The caller-buffer variant gives the same view. */
    size_t gmax = vigil__agg_group_max_points(a);
    CHECK_EQ_U(gmax, 12);
    vigil__conn_point *b1 = calloc(gmax, sizeof *b1), *b2 = calloc(gmax, sizeof *b2);
    vigil__pair_view w;
    CHECK(vigil__agg_group_buf(a, 0, &w, b1, b2) == VIGIL_OK);
    CHECK(w.n == v.n && memcmp(w.pts, v.pts, v.n * sizeof *v.pts) == 0 && w.pts == b1);
    free(b1);
    free(b2);
    fx_free(&fx);
}

/* SSL/HTTP names in a partial (the reading threads' path, where a name
 * equal to the pair's stored one skips cleaning): raw spellings of one
 * name are one name, what cleans to nothing changes nothing, and the
 * latest ts of the best rank still wins, as in a plain aggregate. */
TEST(agg_names_raw_fast_path)
{
    fixture fx, one;
    fx_init(&fx);
    fx_init(&one);
    vigil__agg_set_partial(fx.agg, 1);
    vigil__agg *merged = NULL;
    CHECK(vigil__agg_new(&merged, fx.nets, NULL) == VIGIL_OK);
    const char *sni[] = { "api.example.org", "API.example.org", "api.example.org.", "api.example.org",
                          "198.51.100.20", "[2001:db8::1]", "", "api.example.org:443" };
    for (int round = 0; round < 2 && merged; round++) {
        for (size_t i = 0; i < sizeof sni / sizeof sni[0]; i++) {
            vigil_record r = ssl_rec(3000 + 10 * round + (double)i, "10.0.0.7", "198.51.100.20", sni[i]);
            add(fx.agg, r);
            add(one.agg, r);
        }
        vigil_record h = http_rec(3100 + round, "10.0.0.7", "198.51.100.20", "www.example.org");
        vigil_record c = conn_rec(3000 + round, "10.0.0.7", "198.51.100.20", 443, VIGIL_PROTO_TCP, 1, 1,
                                  VIGIL_CS_SF);
        add(fx.agg, h);
        add(one.agg, h);
        add(fx.agg, c);
        add(one.agg, c);
        /* Merged after each "file": the partial keeps its addresses. */
        CHECK(vigil__agg_merge(merged, fx.agg) == VIGIL_OK);
    }
    CHECK(merged && vigil__agg_finish(merged) == VIGIL_OK);
    CHECK(vigil__agg_finish(one.agg) == VIGIL_OK);
    vigil__pair_view v, w;
    CHECK(merged && find_pair(merged, "10.0.0.7", "198.51.100.20", 443, &v) >= 0);
    CHECK(find_pair(one.agg, "10.0.0.7", "198.51.100.20", 443, &w) >= 0);
    if (merged) CHECK_STR(v.name, "api.example.org");
    CHECK_STR(w.name, "api.example.org");
    vigil__agg_free(merged);
    fx_free(&fx);
    fx_free(&one);
}

TEST(agg_prevalence_first_seen)
{
    fixture fx;
    fx_init(&fx);
    vigil__agg *a = fx.agg;
    add(a, conn_rec(500, "10.0.0.1", "198.51.100.1", 443, VIGIL_PROTO_TCP, 1, 1, VIGIL_CS_SF));
    add(a, conn_rec(400, "10.0.0.2", "198.51.100.1", 443, VIGIL_PROTO_TCP, 1, 1, VIGIL_CS_SF));
    add(a, conn_rec(300, "10.0.0.2", "198.51.100.1", 80, VIGIL_PROTO_TCP, 1, 1, VIGIL_CS_SF));
    add(a, conn_rec(600, "10.0.0.3", "198.51.100.1", 443, VIGIL_PROTO_TCP, 1, 1, VIGIL_CS_SF));
    add(a, conn_rec(700, "10.0.0.3", "198.51.100.2", 443, VIGIL_PROTO_TCP, 1, 1, VIGIL_CS_SF));
    CHECK(vigil__agg_finish(a) == VIGIL_OK);
    vigil__pair_view v;
    CHECK(find_pair(a, "10.0.0.1", "198.51.100.1", 443, &v) >= 0);
    CHECK_EQ_U(v.prevalence, 3); /* 10.0.0.2 counted once over two ports */
    CHECK(v.dst_first_seen == 300);
    CHECK_EQ_U(v.internal_hosts, 3);
    CHECK(v.input_first_ts == 300 && v.input_last_ts == 700);
    CHECK(find_pair(a, "10.0.0.3", "198.51.100.2", 443, &v) >= 0);
    CHECK_EQ_U(v.prevalence, 1);
    CHECK(v.dst_first_seen == 700);
    fx_free(&fx);
}

TEST(agg_registered_domain)
{
    static const struct { const char *name, *domain; } cases[] = {
        { "a.b.example.com", "example.com" },   { "example.com", "example.com" },
        { "www.example.co.jp", "example.co.jp" }, { "x.y.example.ne.jp", "example.ne.jp" },
        { "co.jp", "co.jp" },                   { "a.bbc.co.uk", "bbc.co.uk" },
        { "x.y.z.gov.uk", "z.gov.uk" },         { "localhost", "localhost" },
        { "www.example.de", "example.de" },     { "a.b.example.com.au", "example.com.au" },
        { "evil.com.biz", "com.biz" },          { "x.example.edu.cn", "example.edu.cn" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *n = cases[i].name;
        size_t off = vigil__registered_domain(n, strlen(n));
        CHECK_STR(n + off, cases[i].domain);
    }
}

TEST(agg_dns_view)
{
    fixture fx;
    fx_init(&fx);
    vigil__agg *a = fx.agg;
    add(a, dns_rec(30, "10.0.0.5", "aaaa.tunnel.example.co.jp", 16, 0, NULL));
    add(a, dns_rec(10, "10.0.0.5", "abcdefgh.tunnel.example.co.jp", 16, 0, NULL));
    add(a, dns_rec(20, "10.0.0.5", "aaaa.tunnel.example.co.jp", 1, 3, NULL));
    add(a, dns_rec(40, "10.0.0.5", "example.co.jp", 1, 0, NULL));
    add(a, dns_rec(50, "10.0.0.6", "www.example.co.jp", 1, 0, NULL));
    add(a, dns_rec(60, "198.51.100.9", "www.example.co.jp", 1, 0, NULL)); /* external: no entry */
    CHECK(vigil__agg_finish(a) == VIGIL_OK);
    CHECK_EQ_U(vigil__agg_dns_count(a), 2);
    vigil__dns_view d;
    CHECK(vigil__agg_dns(a, 0, &d) == VIGIL_OK);
    char buf[VIGIL_ADDR_STRLEN];
    CHECK_STR(vigil_addr_format(&d.src, buf), "10.0.0.5");
    CHECK_STR(d.domain, "example.co.jp");
    CHECK_EQ_U(d.queries, 4);
    CHECK_EQ_U(d.unique_names, 3);
    CHECK_EQ_U(d.txt_queries, 2);
    CHECK_EQ_U(d.nxdomain, 1);
    CHECK_EQ_U(d.max_label_len, 8);
    /* Parts below the domain: "aaaa.tunnel" (11) x2, "abcdefgh.tunnel" (15). */
    CHECK(fabs(d.mean_label_len - (11.0 + 11 + 15) / 3) < 1e-9);
    CHECK(d.mean_entropy > 1.0 && d.mean_entropy < 4.0);
    CHECK_EQ_U(d.nts, 4);
    CHECK(d.ts[0] == 10 && d.ts[1] == 20 && d.ts[2] == 30 && d.ts[3] == 40);
    CHECK(d.first_ts == 10 && d.last_ts == 40);
    CHECK_EQ_U(d.prevalence, 2);
    fx_free(&fx);
}

/* Finish orders the DNS entries by (host address, domain name): a radix
 * sort of packed ranks.  Entries made in a scrambled order (hosts and
 * domains interleaved, IPv4 and IPv6) come out strictly ascending, each
 * with its own counts. */
TEST(agg_dns_entries_ordered)
{
    fixture fx;
    fx_init(&fx);
    vigil__agg *a = fx.agg;
    char host[64], q[64];
    for (unsigned i = 0; i < 3000; i++) {
        unsigned h = (i * 37) % 50, d = (i / 50 * 7) % 60;
        if (h % 7 == 0) snprintf(host, sizeof host, "fd00::%x", h);
        else snprintf(host, sizeof host, "10.%u.0.%u", h % 3, h);
        snprintf(q, sizeof q, "www.d%02u-example.com", d);
        add(a, dns_rec(1000 + i, host, q, 1, 0, NULL));
    }
    CHECK(vigil__agg_finish(a) == VIGIL_OK);
    size_t n = vigil__agg_dns_count(a), bad = 0;
    CHECK(n > 500);
    uint64_t total = 0;
    vigil__dns_view prev;
    memset(&prev, 0, sizeof prev);
    for (size_t i = 0; i < n; i++) {
        vigil__dns_view d;
        CHECK(vigil__agg_dns(a, i, &d) == VIGIL_OK);
        total += d.queries;
        if (i) {
            int c = memcmp(prev.src.b, d.src.b, 16);
            if (!c) c = strcmp(prev.domain, d.domain);
            bad += c >= 0;
        }
        prev = d;
    }
    CHECK_EQ_U(bad, 0);
    CHECK_EQ_U(total, 3000);
    fx_free(&fx);
}

TEST(agg_nx_windows)
{
    fixture fx;
    fx_init(&fx);
    vigil__agg *a = fx.agg;
    char name[64];
    /* 10 distinct failures in 2 minutes (one repeated), 5 more an hour later. */
    for (int i = 0; i < 10; i++) {
        snprintf(name, sizeof name, "q%dxz.dga%d.com", i, i % 4);
        add(a, dns_rec(1000 + 12 * i, "10.0.0.5", name, 1, 3, NULL));
    }
    add(a, dns_rec(1005, "10.0.0.5", "q0xz.dga0.com", 1, 3, NULL));
    for (int i = 0; i < 5; i++) {
        snprintf(name, sizeof name, "late%d.dga9.net", i);
        add(a, dns_rec(5000 + 100 * i, "10.0.0.5", name, 1, 3, NULL));
    }
    add(a, dns_rec(999, "10.0.0.5", "ok.example.com", 1, 0, NULL));
    add(a, dns_rec(999, "10.0.0.6", "nx.example.com", 1, 3, NULL));
    CHECK(vigil__agg_finish(a) == VIGIL_OK);
    CHECK_EQ_U(vigil__agg_nx_count(a), 2);
    vigil__nx_view x;
    CHECK(vigil__agg_nx(a, 0, &x) == VIGIL_OK);
    CHECK_EQ_U(x.nx_names, 15);
    CHECK_EQ_U(x.nx_max_window, 10);
    CHECK_EQ_U(x.nx_domains, 5); /* dga0..dga3 .com, dga9.net */
    CHECK(x.first_ts == 1000 && x.last_ts == 5400);
    CHECK_STR(x.example, "q0xz.dga0.com");
    CHECK(vigil__agg_nx(a, 1, &x) == VIGIL_OK);
    CHECK_EQ_U(x.nx_names, 1);
    CHECK_STR(x.example, "nx.example.com");
    fx_free(&fx);
}

TEST(agg_hosts_days_and_top)
{
    fixture fx;
    fx_init(&fx);
    vigil__agg *a = fx.agg;
    double d0 = 86400 * 100;
    add(a, conn_rec(d0 + 10, "10.0.0.1", "198.51.100.1", 443, VIGIL_PROTO_TCP, 1000, 5, VIGIL_CS_SF));
    add(a, conn_rec(d0 + 86400 + 10, "10.0.0.1", "198.51.100.1", 443, VIGIL_PROTO_TCP, 2000, 5, VIGIL_CS_SF));
    /* 6 GB in one connection (beyond a point's 32 bits) + 1 GB on port 80. */
    add(a, conn_rec(d0 + 86400 + 500, "10.0.0.1", "198.51.100.9", 8443, VIGIL_PROTO_TCP, 6000000000ULL, 5, VIGIL_CS_SF));
    add(a, conn_rec(d0 + 86400 + 900, "10.0.0.1", "198.51.100.9", 80, VIGIL_PROTO_TCP, 1000000000ULL, 5, VIGIL_CS_SF));
    add(a, conn_rec(d0 + 20, "10.0.0.2", "198.51.100.1", 443, VIGIL_PROTO_TCP, 3000, 5, VIGIL_CS_SF));
    add(a, conn_rec(d0 + 30, "10.0.0.3", "198.51.100.1", 443, VIGIL_PROTO_TCP, 0, 0, VIGIL_CS_S0));
    CHECK(vigil__agg_finish(a) == VIGIL_OK);
    CHECK_EQ_U(vigil__agg_host_count(a), 3);
    vigil__host_view h;
    CHECK(vigil__agg_host(a, 0, &h) == VIGIL_OK);
    char buf[VIGIL_ADDR_STRLEN];
    CHECK_STR(vigil_addr_format(&h.host, buf), "10.0.0.1");
    CHECK_EQ_U(h.ndays, 2);
    CHECK(h.input_first_day == d0);
    CHECK_EQ_U(h.bytes_out_by_day[0], 1000);
    CHECK_EQ_U(h.bytes_out_by_day[1], 2000 + 6000000000ULL + 1000000000ULL);
    CHECK_STR(vigil_addr_format(&h.top_dst, buf), "198.51.100.9");
    CHECK_EQ_U(h.top_bytes, 7000000000ULL);
    CHECK_EQ_U(h.top_dport, 8443);
    CHECK(h.top_day == d0 + 86400);
    CHECK(h.top_first_ts == d0 + 86400 + 500 && h.top_last_ts == d0 + 86400 + 900);
    CHECK_EQ_U(h.top_dst_prevalence, 1);
    CHECK(vigil__agg_host(a, 2, &h) == VIGIL_OK);
    CHECK_EQ_U(h.top_bytes, 0); /* 10.0.0.3 sent nothing */
    vigil__peer_view p;
    vigil__agg_peers(a, &p);
    /* Active host-days: 1000, 7000002000, 3000 -> median 3000. */
    CHECK_EQ_U(p.hosts, 3);
    CHECK(p.median_day_out == 3000);
    CHECK(p.p99_day_out == 7000002000.0);
    CHECK(p.mad_day_out == 2000);
    fx_free(&fx);
}

/* A mixed workload: conns (some out of order, some huge), names, DNS, NX. */
static void workload(vigil__agg **aggs, size_t naggs, int *ok)
{
    static const char *const srcs[] = { "10.0.0.1", "10.0.0.2", "192.168.5.5", "fd00::9" };
    static const char *const dsts[] = { "198.51.100.1", "198.51.100.2", "203.0.113.7", "2001:db8::1" };
    size_t k = 0;
    for (int i = 0; i < 400; i++) {
        double ts = 1000 + ((i * 7919) % 400) * 37.5;
        const char *s = srcs[i % 4], *d = dsts[(i / 3) % 4];
        vigil_record r = conn_rec(ts, s, d, (uint16_t)(i % 5 == 0 ? 80 : 443), VIGIL_PROTO_TCP,
                                  i == 17 ? 5000000000ULL : (uint64_t)(100 + i), 50, i % 7 ? VIGIL_CS_SF : VIGIL_CS_REJ);
        if (vigil__agg_add(aggs[k++ % naggs], &r) != VIGIL_OK) *ok = 0;
        if (i % 10 == 0) {
            char q[64];
            snprintf(q, sizeof q, "n%d.sub.example.com", i % 30);
            vigil_record dr = dns_rec(ts, s, q, i % 20 == 0 ? 16 : 1, i % 3 == 0 ? 3 : 0,
                                      "198.51.100.1,198.51.100.2");
            if (vigil__agg_add(aggs[k++ % naggs], &dr) != VIGIL_OK) *ok = 0;
            vigil_record sr = ssl_rec(ts, s, "203.0.113.7", i % 20 ? "b.example.net" : "a.example.net");
            if (vigil__agg_add(aggs[k++ % naggs], &sr) != VIGIL_OK) *ok = 0;
        }
    }
}

static int same_pair_view(const vigil__pair_view *x, const vigil__pair_view *y)
{
    if (memcmp(x->src.b, y->src.b, 16) || memcmp(x->dst.b, y->dst.b, 16)) return 0;
    if ((x->name == NULL) != (y->name == NULL) || (x->name && strcmp(x->name, y->name))) return 0;
    if (x->n != y->n || x->dport != y->dport || x->proto != y->proto || x->dst_count != y->dst_count) return 0;
    for (size_t i = 0; i < x->n; i++)
        if (x->pts[i].ts != y->pts[i].ts) return 0;
    return x->first_ts == y->first_ts && x->last_ts == y->last_ts && x->bytes_out == y->bytes_out &&
           x->bytes_in == y->bytes_in && x->n_rej == y->n_rej && x->n_ok == y->n_ok &&
           x->prevalence == y->prevalence && x->days_present == y->days_present &&
           x->hours_present == y->hours_present && x->dst_first_seen == y->dst_first_seen &&
           x->internal_hosts == y->internal_hosts && fabs(x->dur_sum - y->dur_sum) < 1e-6;
}

/* A partial queues SNI/Host names whose pair it knows and applies them a
 * batch at a time (add_name, flush_names): the names a merged aggregate
 * ends up with equal those of one aggregate fed the same records, across
 * runs longer than a batch, names too long to queue, names that need
 * cleaning or are not names, ranks and times that tie, pairs not known
 * yet, other records in between and merges part-way through. */
TEST(agg_names_batched_equal_one)
{
    static const char *const srcs[] = { "10.0.0.1", "10.0.0.2", "10.0.0.3", "192.168.5.5", "fd00::9" };
    static const char *const dsts[] = { "198.51.100.1", "198.51.100.2", "203.0.113.7", "203.0.113.8",
                                        "2001:db8::1", "198.51.100.9" };
    char longname[120];
    memset(longname, 'x', sizeof longname - 13);
    memcpy(longname + sizeof longname - 13, ".example.com", 13); /* 119 bytes: not queued */
    const char *const names[] = { "www.example.com", "WWW.Example.COM.", "api.example.com:8443",
                                  "cdn.example.net", longname, "1.2.3.4", "[::1]:80", "a.b",
                                  "host name", "mail.example.org", "api.example.com" };
    size_t nnames = sizeof names / sizeof names[0];
    fixture one, shared, part;
    fx_init(&one);
    fx_init(&shared);
    fx_init(&part);
    vigil__agg_set_partial(part.agg, 1);
    vigil__agg *both[2] = { one.agg, part.agg };
    uint64_t x = 0x9e3779b97f4a7c15ULL;
    for (int i = 0; i < 3000; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        const char *sa = srcs[x % 5], *da = dsts[(x >> 8) % 6];
        double ts = 1000 + (double)(i / 4); /* later names win; ties of four */
        vigil_record r;
        if (i % 97 == 0 || (i < 200 && i % 7 == 0)) /* pairs become known as it goes */
            r = conn_rec(ts, sa, da, 443, VIGIL_PROTO_TCP, 10, 10, VIGIL_CS_SF);
        else if ((x >> 24) % 3 == 0)
            r = http_rec(ts, sa, da, names[(x >> 32) % nnames]);
        else
            r = ssl_rec(ts, sa, da, names[(x >> 32) % nnames]);
        for (int k = 0; k < 2; k++) CHECK(vigil__agg_add(both[k], &r) == VIGIL_OK);
        if (i % 1000 == 999) CHECK(vigil__agg_merge(shared.agg, part.agg) == VIGIL_OK);
    }
    CHECK(vigil__agg_merge(shared.agg, part.agg) == VIGIL_OK);
    CHECK(vigil__agg_finish(one.agg) == VIGIL_OK);
    CHECK(vigil__agg_finish(shared.agg) == VIGIL_OK);
    vigil__agg *a = one.agg, *b = shared.agg;
    CHECK_EQ_U(vigil__agg_pair_count(a), vigil__agg_pair_count(b));
    size_t named = 0;
    for (size_t i = 0; i < vigil__agg_pair_count(a) && i < vigil__agg_pair_count(b); i++) {
        vigil__pair_view p, q;
        CHECK(vigil__agg_pair(a, i, &p) == VIGIL_OK && vigil__agg_pair(b, i, &q) == VIGIL_OK);
        CHECK(same_pair_view(&p, &q));
        named += p.name != NULL;
    }
    CHECK(named > 20);
    CHECK_EQ_U(vigil__agg_group_count(a), vigil__agg_group_count(b));
    fx_free(&one);
    fx_free(&shared);
    fx_free(&part);
}

TEST(agg_merge_equals_one)
{
    fixture one, b, c;
    fx_init(&one);
    fx_init(&b);
    fx_init(&c);
    int ok = 1;
    workload(&one.agg, 1, &ok);
    vigil__agg *two[2] = { b.agg, c.agg };
    workload(two, 2, &ok);
    CHECK(ok);
    CHECK(vigil__agg_sort(c.agg) == VIGIL_OK); /* one side sorted, one not */
    CHECK(vigil__agg_merge(b.agg, c.agg) == VIGIL_OK);
    CHECK(vigil__agg_merge(b.agg, b.agg) == VIGIL_EINVAL);
    CHECK(vigil__agg_finish(one.agg) == VIGIL_OK);
    CHECK(vigil__agg_finish(b.agg) == VIGIL_OK);
    CHECK(vigil__agg_finish(c.agg) == VIGIL_OK); /* emptied by the merge */
    CHECK_EQ_U(vigil__agg_pair_count(c.agg), 0);
    vigil__agg *x = one.agg, *y = b.agg;
    CHECK_EQ_U(vigil__agg_pair_count(x), vigil__agg_pair_count(y));
    CHECK(vigil__agg_pair_count(x) > 10);
    for (size_t i = 0; i < vigil__agg_pair_count(x); i++) {
        vigil__pair_view p, q;
        CHECK(vigil__agg_pair(x, i, &p) == VIGIL_OK && vigil__agg_pair(y, i, &q) == VIGIL_OK);
        CHECK(same_pair_view(&p, &q));
    }
    CHECK_EQ_U(vigil__agg_group_count(x), vigil__agg_group_count(y));
    CHECK(vigil__agg_group_count(x) >= 1);
    for (size_t i = 0; i < vigil__agg_group_count(x); i++) {
        vigil__pair_view p, q;
        CHECK(vigil__agg_group(x, i, &p) == VIGIL_OK && vigil__agg_group(y, i, &q) == VIGIL_OK);
        CHECK(same_pair_view(&p, &q));
    }
    CHECK_EQ_U(vigil__agg_host_count(x), vigil__agg_host_count(y));
    for (size_t i = 0; i < vigil__agg_host_count(x); i++) {
        vigil__host_view p, q;
        CHECK(vigil__agg_host(x, i, &p) == VIGIL_OK && vigil__agg_host(y, i, &q) == VIGIL_OK);
        CHECK(p.ndays == q.ndays && !memcmp(p.bytes_out_by_day, q.bytes_out_by_day, p.ndays * 8));
        CHECK(p.top_bytes == q.top_bytes && !memcmp(p.top_dst.b, q.top_dst.b, 16));
    }
    CHECK_EQ_U(vigil__agg_dns_count(x), vigil__agg_dns_count(y));
    for (size_t i = 0; i < vigil__agg_dns_count(x); i++) {
        vigil__dns_view p, q;
        CHECK(vigil__agg_dns(x, i, &p) == VIGIL_OK && vigil__agg_dns(y, i, &q) == VIGIL_OK);
        CHECK(p.queries == q.queries && p.unique_names == q.unique_names && p.nxdomain == q.nxdomain &&
              p.txt_queries == q.txt_queries && p.nts == q.nts && !strcmp(p.domain, q.domain) &&
              !memcmp(p.ts, q.ts, p.nts * sizeof *p.ts) && p.prevalence == q.prevalence);
    }
    CHECK_EQ_U(vigil__agg_nx_count(x), vigil__agg_nx_count(y));
    for (size_t i = 0; i < vigil__agg_nx_count(x); i++) {
        vigil__nx_view p, q;
        CHECK(vigil__agg_nx(x, i, &p) == VIGIL_OK && vigil__agg_nx(y, i, &q) == VIGIL_OK);
        CHECK(p.nx_names == q.nx_names && p.nx_max_window == q.nx_max_window &&
              p.nx_domains == q.nx_domains && !strcmp(p.example, q.example));
    }
    vigil__peer_view pp, pq;
    vigil__agg_peers(x, &pp);
    vigil__agg_peers(y, &pq);
    CHECK(pp.median_day_out == pq.median_day_out && pp.hosts == pq.hosts);
    fx_free(&one);
    fx_free(&b);
    fx_free(&c);
}

/* ---- compact points and times (agg_impl.h) ----------------------------------------- */

static int same_bits(double x, double y) { return memcmp(&x, &y, sizeof x) == 0; }

/* vigil__ts_to_us rounds inline as llround does (halves away from zero)
 * and gives a time back only when it is whole microseconds: the same
 * answers as the libm-based definition on halves, negatives, values next
 * to the limit and a spread of Zeek-like times. */
static int ts_to_us_ref(double ts, int64_t *us)
{
    if (!(ts > -VIGIL__TS_US_LIMIT && ts < VIGIL__TS_US_LIMIT)) return 0;
    int64_t u = (int64_t)llround(ts * 1e6);
    if (!same_bits((double)u / 1e6, ts)) return 0;
    *us = u;
    return 1;
}

TEST(agg_ts_to_us_matches_llround)
{
    double edge[] = { 0.0, -0.0, 0.5e-6, -0.5e-6, 1.5e-6, -1.5e-6, 2.5e-6, 0.4999999e-6,
                      1e-6, -1e-6, 1517000000.123456, -1517000000.123456, 1517000000.1234565,
                      8999999999.999999, -8999999999.999999, 8999999999.9999995, 9.0e9, -9.0e9,
                      4503599627.3704955, 4503599627.370496, 0.1, 0.3, 1e-7, 123.4567895 };
    size_t ne = sizeof edge / sizeof edge[0];
    uint64_t x = 88172645463325252ULL;
    for (size_t i = 0; i < ne + 200000; i++) {
        double ts;
        if (i < ne) {
            ts = edge[i];
        } else {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            /* Whole microseconds (half), halves of a microsecond, and any
             * bits, over +-1e10 s. */
            int64_t us = (int64_t)(x % 20000000000000000ULL) - 10000000000000000LL;
            ts = (i % 3 == 0) ? (double)us / 1e6
               : (i % 3 == 1) ? ((double)us + 0.5) / 1e6
                              : (double)(int64_t)(x >> 11) / (double)(1ULL << 23) - 5e8;
        }
        int64_t got = -1, want = -1;
        int g = vigil__ts_to_us(ts, &got), w = ts_to_us_ref(ts, &want);
        if (g != w || (g && got != want)) {
            fprintf(stderr, "  ts %.17g: %d %lld, expected %d %lld\n", ts, g, (long long)got, w,
                    (long long)want);
            vigil_test_failures++;
            break;
        }
    }
}

/* The view of (src, dst, dport), its points checked against want[] (in
 * (ts, orig, resp) order, times bit for bit). */
static void check_points(const vigil__agg *a, const char *src, const char *dst, uint16_t dport,
                         const vigil__conn_point *want, size_t n)
{
    vigil__pair_view v;
    CHECK(find_pair(a, src, dst, dport, &v) >= 0);
    CHECK_EQ_U(v.n, n);
    for (size_t i = 0; i < n && i < v.n; i++) {
        if (!same_bits(v.pts[i].ts, want[i].ts) || v.pts[i].orig_bytes != want[i].orig_bytes ||
            v.pts[i].resp_bytes != want[i].resp_bytes) {
            fprintf(stderr, "  point %zu: %.9f %u %u, expected %.9f %u %u\n", i, v.pts[i].ts,
                    v.pts[i].orig_bytes, v.pts[i].resp_bytes, want[i].ts, want[i].orig_bytes,
                    want[i].resp_bytes);
            vigil_test_failures++;
        }
    }
}

TEST(agg_points_encoding_edges)
{
    fixture fx;
    fx_init(&fx);
    vigil__agg *a = fx.agg;
    const char *s = "10.1.1.1", *d = "198.51.100.77";
    /* Identical times (their order comes from the bytes), times going
     * backwards, 0 bytes, 2^32 - 1, 2^32 + 5 and 2^40 (clamped in points,
     * exact in sums and per-host days), a time that is not whole
     * microseconds (the pair keeps raw doubles from then on). */
    add(a, conn_rec(1517000000.123456, s, d, 443, VIGIL_PROTO_TCP, 500, 7, VIGIL_CS_SF));
    add(a, conn_rec(1517000000.123456, s, d, 443, VIGIL_PROTO_TCP, 20, 9, VIGIL_CS_SF));
    add(a, conn_rec(1517000000.123456, s, d, 443, VIGIL_PROTO_TCP, 20, 3, VIGIL_CS_SF));
    add(a, conn_rec(1516999000.5, s, d, 443, VIGIL_PROTO_TCP, 0, 0, VIGIL_CS_S0));
    add(a, conn_rec(1517003600.000001, s, d, 443, VIGIL_PROTO_TCP, 4294967295ULL, 1ULL << 40, VIGIL_CS_SF));
    add(a, conn_rec(1517003599.999999, s, d, 443, VIGIL_PROTO_TCP, 4294967301ULL, 0, VIGIL_CS_SF));
    /* Whole microseconds all along: stays encoded as us deltas. */
    vigil__conn_point want[] = {
        { 1516999000.5, 0, 0 },
        { 1517000000.123456, 20, 3 },
        { 1517000000.123456, 20, 9 },
        { 1517000000.123456, 500, 7 },
        { 1517003599.999999, UINT32_MAX, 0 },
        { 1517003600.000001, UINT32_MAX, UINT32_MAX },
    };
    /* A second pair: raw doubles after its second point. */
    double odd = 1517000000.1234567891;
    add(a, conn_rec(1517000100, s, d, 8443, VIGIL_PROTO_TCP, 1, 2, VIGIL_CS_SF));
    add(a, conn_rec(odd, s, d, 8443, VIGIL_PROTO_TCP, 3, 4, VIGIL_CS_SF));
    add(a, conn_rec(1517000050.25, s, d, 8443, VIGIL_PROTO_TCP, 5, 6, VIGIL_CS_SF));
    add(a, conn_rec(-0.0, s, d, 8443, VIGIL_PROTO_TCP, 7, 8, VIGIL_CS_SF));
    vigil__conn_point want_raw[] = {
        { -0.0, 7, 8 }, { odd, 3, 4 }, { 1517000050.25, 5, 6 }, { 1517000100, 1, 2 },
    };
    /* One point, and a pair with huge gaps (a month) both ways. */
    add(a, conn_rec(1517000000, s, d, 53, VIGIL_PROTO_UDP, 1, 1, VIGIL_CS_SF));
    add(a, conn_rec(1519592000.000002, s, d, 22, VIGIL_PROTO_TCP, 9, 9, VIGIL_CS_SF));
    add(a, conn_rec(1514000000.000001, s, d, 22, VIGIL_PROTO_TCP, 8, 8, VIGIL_CS_SF));
    add(a, conn_rec(1519592000.000003, s, d, 22, VIGIL_PROTO_TCP, 7, 7, VIGIL_CS_SF));
    vigil__conn_point want_one[] = { { 1517000000, 1, 1 } };
    vigil__conn_point want_gap[] = { { 1514000000.000001, 8, 8 }, { 1519592000.000002, 9, 9 },
                                     { 1519592000.000003, 7, 7 } };
    CHECK(vigil__agg_finish(a) == VIGIL_OK);
    check_points(a, s, d, 443, want, 6);
    check_points(a, s, d, 8443, want_raw, 4);
    check_points(a, s, d, 22, want_gap, 3);
    vigil__pair_view v;
    for (size_t i = 0; i < vigil__agg_pair_count(a); i++) {
        CHECK(vigil__agg_pair(a, i, &v) == VIGIL_OK);
        if (v.dport == 53) {
            CHECK_EQ_U(v.n, 1);
            CHECK(same_bits(v.pts[0].ts, want_one[0].ts));
        }
        if (v.dport == 443) {
            CHECK_EQ_U(v.bytes_out, 500 + 20 + 20 + 4294967295ULL + 4294967301ULL);
            CHECK_EQ_U(v.bytes_in, 7 + 9 + 3 + (1ULL << 40));
            CHECK(same_bits(v.first_ts, 1516999000.5) && same_bits(v.last_ts, 1517003600.000001));
        }
        if (v.dport == 8443) CHECK(same_bits(v.first_ts, -0.0) && v.last_ts == 1517000100);
    }
    /* The per-host days count the exact bytes of clamped points. */
    CHECK_EQ_U(vigil__agg_host_count(a), 1);
    vigil__host_view h;
    CHECK(vigil__agg_host(a, 0, &h) == VIGIL_OK);
    uint64_t total = 0;
    for (size_t k = 0; k < h.ndays; k++) total += h.bytes_out_by_day[k];
    CHECK_EQ_U(total, 500 + 20 + 20 + 4294967295ULL + 4294967301ULL + 1 + 3 + 5 + 7 + 1 + 9 + 8 + 7);
    /* Caller buffers give the same points. */
    vigil__conn_point *buf = malloc(vigil__agg_pair_max_points(a) * sizeof *buf);
    CHECK(vigil__agg_pair_max_points(a) == 6);
    for (size_t i = 0; buf && i < vigil__agg_pair_count(a); i++) {
        vigil__pair_view x, y;
        CHECK(vigil__agg_pair(a, i, &x) == VIGIL_OK && vigil__agg_pair_buf(a, i, &y, buf) == VIGIL_OK);
        CHECK(y.pts == buf && x.n == y.n && !memcmp(x.pts, y.pts, x.n * sizeof *x.pts));
    }
    free(buf);
    fx_free(&fx);
}

TEST(agg_dns_times_encoding_edges)
{
    fixture fx;
    fx_init(&fx);
    vigil__agg *a = fx.agg;
    double odd = 1517000000.12345678;
    add(a, dns_rec(1517000000.5, "10.0.0.5", "a.example.org", 1, 0, NULL));
    add(a, dns_rec(1517000000.5, "10.0.0.5", "b.example.org", 1, 0, NULL));
    add(a, dns_rec(1516000000.000001, "10.0.0.5", "c.example.org", 1, 0, NULL));
    add(a, dns_rec(odd, "10.0.0.5", "d.example.org", 1, 0, NULL));
    add(a, dns_rec(1518000000, "10.0.0.5", "e.example.org", 1, 0, NULL));
    CHECK(vigil__agg_finish(a) == VIGIL_OK);
    CHECK_EQ_U(vigil__agg_dns_count(a), 1);
    vigil__dns_view d;
    CHECK(vigil__agg_dns(a, 0, &d) == VIGIL_OK);
    double want[] = { 1516000000.000001, 1517000000.12345678, 1517000000.5, 1517000000.5, 1518000000 };
    CHECK_EQ_U(d.nts, 5);
    for (size_t i = 0; i < 5 && i < d.nts; i++) CHECK(same_bits(d.ts[i], want[i]));
    CHECK_EQ_U(d.unique_names, 5);
    CHECK_EQ_U(vigil__agg_dns_max_points(a), 10); /* the times and the sort's scratch */
    double buf[10];
    vigil__dns_view e;
    CHECK(vigil__agg_dns_buf(a, 0, &e, buf) == VIGIL_OK && e.ts == buf && !memcmp(buf, want, sizeof want));
    fx_free(&fx);
}

/* Distinct names per (host, domain): the first few are kept in the entry,
 * then all move to the aggregate's set (agg_dns.c).  Host k queries k+1
 * names under its domain, repeated and interleaved, the times backwards
 * half of the way: the count is exact on both sides of the move, and the
 * view's times come out sorted. */
TEST(agg_dns_unique_names_inline_and_spilled)
{
    fixture fx;
    fx_init(&fx);
    vigil__agg *a = fx.agg;
    for (int k = 0; k < 8; k++) {
        char host[32];
        snprintf(host, sizeof host, "10.0.1.%d", 10 + k);
        for (int r = 0; r < 3; r++)
            for (int j = 0; j <= k; j++) {
                char q[64];
                snprintf(q, sizeof q, "n%d.dom%d.org", (j + 2 * r) % (k + 1), k);
                double t = 1517000000.0 + (r == 1 ? -1.0 : 1.0) * (r * 100 + j);
                add(a, dns_rec(t, host, q, 1, 0, NULL));
            }
    }
    CHECK(vigil__agg_finish(a) == VIGIL_OK);
    CHECK_EQ_U(vigil__agg_dns_count(a), 8);
    for (size_t i = 0; i < vigil__agg_dns_count(a); i++) {
        vigil__dns_view d;
        CHECK(vigil__agg_dns(a, i, &d) == VIGIL_OK);
        int k = -1;
        CHECK(d.domain && sscanf(d.domain, "dom%d.org", &k) == 1);
        CHECK_EQ_U(d.unique_names, (uint64_t)(k + 1));
        CHECK_EQ_U(d.queries, (uint64_t)(3 * (k + 1)));
        CHECK_EQ_U(d.nts, 3 * (k + 1));
        for (size_t t = 1; t < d.nts; t++) CHECK(d.ts[t - 1] <= d.ts[t]);
    }
    fx_free(&fx);
}

/* Finishing on two threads builds the name groups in two parts (the
 * sources before and after the middle of the pair order, the second by
 * the DNS job), joined in order: the groups, their members and the
 * names' prevalence (counted across both parts) equal one thread's. */
TEST(agg_groups_two_parts_equal_one)
{
    fixture one, two;
    fx_init(&one);
    fx_init(&two);
    vigil__agg *aggs[2] = { one.agg, two.agg };
    static const char *const names[] = { "cdn.example.com", "api.example.net", "c2.example.org", "x.example.com" };
    uint64_t x = 7;
    for (int i = 0; i < 6000; i++) {
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        char src[32], dst[32];
        snprintf(src, sizeof src, "10.1.%u.%u", (unsigned)(x >> 60), (unsigned)((x >> 40) % 50));
        snprintf(dst, sizeof dst, "198.51.100.%u", (unsigned)((x >> 20) % 24));
        const char *nm = names[(x >> 10) % 4 == 3 ? 3 : ((x >> 20) % 24) / 8];
        double ts = 1517000000 + (double)i * 13;
        vigil_record c = conn_rec(ts, src, dst, (x >> 8) % 5 ? 443 : 8443, VIGIL_PROTO_TCP, 100, 900, VIGIL_CS_SF);
        vigil_record s = ssl_rec(ts + 0.5, src, dst, nm);
        for (int k = 0; k < 2; k++) {
            CHECK(vigil__agg_add(aggs[k], &c) == VIGIL_OK);
            CHECK(vigil__agg_add(aggs[k], &s) == VIGIL_OK);
        }
    }
    CHECK(vigil__agg_finish(one.agg) == VIGIL_OK);
    CHECK(vigil__agg_finish_threads(two.agg, 2) == VIGIL_OK);
    CHECK(vigil__agg_group_count(one.agg) > 50);
    CHECK_EQ_U(vigil__agg_group_count(one.agg), vigil__agg_group_count(two.agg));
    size_t bad = 0, shared = 0;
    for (size_t i = 0; i < vigil__agg_group_count(one.agg) && i < vigil__agg_group_count(two.agg); i++) {
        vigil__pair_view p, q;
        CHECK(vigil__agg_group(one.agg, i, &p) == VIGIL_OK);
        vigil__pair_view pc = p;
        vigil__conn_point *keep = malloc((p.n ? p.n : 1) * sizeof *keep);
        memcpy(keep, p.pts, p.n * sizeof *keep);
        pc.pts = keep;
        CHECK(vigil__agg_group(two.agg, i, &q) == VIGIL_OK);
        bad += !same_pair_view(&pc, &q) || memcmp(keep, q.pts, p.n * sizeof *keep) != 0;
        shared += p.prevalence > 8; /* a name many sources use, on both sides of the cut */
        free(keep);
    }
    CHECK_EQ_U(bad, 0);
    CHECK(shared > 0);
    fx_free(&one);
    fx_free(&two);
}

/* The pair order's two ways: the radix sort of packed keys (up to 2^20
 * addresses) and the comparison sort beyond (reached here through the
 * test hook, not a million addresses) give the same order, the same
 * groups and the same hosts -- IPv4 and IPv6 sources and destinations,
 * several ports and both protocols to one destination. */
TEST(agg_pair_order_radix_equals_comparison)
{
    fixture one, two;
    fx_init(&one);
    fx_init(&two);
    vigil__agg *aggs[2] = { one.agg, two.agg };
    uint64_t x = 99;
    for (int i = 0; i < 5000; i++) {
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        char src[48], dst[48];
        if ((x >> 62) == 0) {
            snprintf(src, sizeof src, "fd00::%x", (unsigned)((x >> 40) % 37));
            snprintf(dst, sizeof dst, "2001:db8::%x", (unsigned)((x >> 20) % 29));
        } else {
            snprintf(src, sizeof src, "10.2.%u.%u", (unsigned)((x >> 58) % 4), (unsigned)((x >> 40) % 60));
            snprintf(dst, sizeof dst, "203.0.113.%u", (unsigned)((x >> 20) % 40));
        }
        uint16_t port = (uint16_t)((x >> 12) % 3 == 0 ? 443 : (x >> 12) % 3 == 1 ? 8443 : 53);
        uint8_t proto = (x >> 8) % 4 ? VIGIL_PROTO_TCP : VIGIL_PROTO_UDP;
        double ts = 1517000000 + (double)i * 7;
        vigil_record c = conn_rec(ts, src, dst, port, proto, 10 + i % 90, 900, VIGIL_CS_SF);
        vigil_record s = ssl_rec(ts + 0.5, src, dst, (x >> 30) % 2 ? "cdn.example.com" : "api.example.net");
        for (int k = 0; k < 2; k++) {
            CHECK(vigil__agg_add(aggs[k], &c) == VIGIL_OK);
            CHECK(vigil__agg_add(aggs[k], &s) == VIGIL_OK);
        }
    }
    CHECK(vigil__agg_finish_threads(one.agg, 2) == VIGIL_OK);
    unsigned keep = vigil__pair_order_key_bits;
    vigil__pair_order_key_bits = 0; /* no key fits: the comparison sort */
    CHECK(vigil__agg_finish_threads(two.agg, 2) == VIGIL_OK);
    vigil__pair_order_key_bits = keep;
    CHECK(vigil__agg_pair_count(one.agg) > 500);
    CHECK_EQ_U(vigil__agg_pair_count(one.agg), vigil__agg_pair_count(two.agg));
    size_t bad = 0;
    for (size_t i = 0; i < vigil__agg_pair_count(one.agg) && i < vigil__agg_pair_count(two.agg); i++) {
        vigil__pair_view p, q;
        CHECK(vigil__agg_pair(one.agg, i, &p) == VIGIL_OK && vigil__agg_pair(two.agg, i, &q) == VIGIL_OK);
        bad += !same_pair_view(&p, &q);
    }
    CHECK_EQ_U(bad, 0);
    CHECK(vigil__agg_group_count(one.agg) > 10);
    CHECK_EQ_U(vigil__agg_group_count(one.agg), vigil__agg_group_count(two.agg));
    for (size_t i = 0; i < vigil__agg_group_count(one.agg) && i < vigil__agg_group_count(two.agg); i++) {
        vigil__pair_view p, q;
        CHECK(vigil__agg_group(one.agg, i, &p) == VIGIL_OK && vigil__agg_group(two.agg, i, &q) == VIGIL_OK);
        bad += !same_pair_view(&p, &q);
    }
    CHECK_EQ_U(bad, 0);
    CHECK_EQ_U(vigil__agg_host_count(one.agg), vigil__agg_host_count(two.agg));
    for (size_t i = 0; i < vigil__agg_host_count(one.agg) && i < vigil__agg_host_count(two.agg); i++) {
        vigil__host_view h, g;
        CHECK(vigil__agg_host(one.agg, i, &h) == VIGIL_OK && vigil__agg_host(two.agg, i, &g) == VIGIL_OK);
        CHECK(!memcmp(h.host.b, g.host.b, 16) && h.top_bytes == g.top_bytes && h.top_dport == g.top_dport);
    }
    fx_free(&one);
    fx_free(&two);
}

/* hunt.c's reading threads: partial aggregates (records only queued)
 * merged into one shared aggregate, in any order, equal one aggregate. */
TEST(agg_partials_merged_equal_one)
{
    fixture one, shared, p1, p2;
    fx_init(&one);
    fx_init(&shared);
    fx_init(&p1);
    fx_init(&p2);
    vigil__agg_set_partial(p1.agg, 1);
    vigil__agg_set_partial(p2.agg, 1);
    int ok = 1;
    workload(&one.agg, 1, &ok);
    vigil__agg *two[2] = { p1.agg, p2.agg };
    workload(two, 2, &ok);
    CHECK(ok);
    CHECK(vigil__agg_merge(shared.agg, p2.agg) == VIGIL_OK);
    CHECK(vigil__agg_merge(shared.agg, p1.agg) == VIGIL_OK);
    /* A partial is reusable once merged. */
    vigil_record r = conn_rec(90000, "10.0.0.1", "198.51.100.1", 443, VIGIL_PROTO_TCP, 1, 1, VIGIL_CS_SF);
    add(p1.agg, r);
    add(one.agg, r);
    CHECK(vigil__agg_merge(shared.agg, p1.agg) == VIGIL_OK);
    atomic_size_t next;
    atomic_init(&next, 0);
    CHECK(vigil__agg_sort_part(shared.agg, &next) == VIGIL_OK); /* takes every chunk */
    CHECK(vigil__agg_sort_part(shared.agg, &next) == VIGIL_OK); /* a second thread: none left */
    CHECK(vigil__agg_sort_part(shared.agg, NULL) == VIGIL_EINVAL);
    CHECK(vigil__agg_finish(one.agg) == VIGIL_OK);
    CHECK(vigil__agg_finish(shared.agg) == VIGIL_OK);
    vigil__agg *x = one.agg, *y = shared.agg;
    CHECK_EQ_U(vigil__agg_pair_count(x), vigil__agg_pair_count(y));
    for (size_t i = 0; i < vigil__agg_pair_count(x); i++) {
        vigil__pair_view p, q;
        CHECK(vigil__agg_pair(x, i, &p) == VIGIL_OK && vigil__agg_pair(y, i, &q) == VIGIL_OK);
        CHECK(same_pair_view(&p, &q) && !memcmp(p.pts, q.pts, p.n * sizeof *p.pts));
    }
    CHECK_EQ_U(vigil__agg_group_count(x), vigil__agg_group_count(y));
    CHECK_EQ_U(vigil__agg_dns_count(x), vigil__agg_dns_count(y));
    for (size_t i = 0; i < vigil__agg_dns_count(x); i++) {
        vigil__dns_view p, q;
        CHECK(vigil__agg_dns(x, i, &p) == VIGIL_OK && vigil__agg_dns(y, i, &q) == VIGIL_OK);
        CHECK(p.queries == q.queries && p.unique_names == q.unique_names && p.nxdomain == q.nxdomain &&
              p.nts == q.nts && !memcmp(p.ts, q.ts, p.nts * sizeof *p.ts));
    }
    CHECK_EQ_U(vigil__agg_nx_count(x), vigil__agg_nx_count(y));
    CHECK_EQ_U(vigil__agg_host_count(x), vigil__agg_host_count(y));
    vigil__agg_counts cx, cy;
    vigil__agg_counts_get(x, &cx);
    vigil__agg_counts_get(y, &cy);
    CHECK(cx.conns == cy.conns && cx.kept == cy.kept && cx.first_ts == cy.first_ts);
    fx_free(&one);
    fx_free(&shared);
    fx_free(&p1);
    fx_free(&p2);
}

/* ---- deferred connections (agg_defer.c) ----------------------------------------- */

/* Connection k of a workload made to reach the deferred path's edges:
 * ~18,000 pairs over IPv4 and IPv6 (every bucket gets some), one pair of
 * 70,000 points in falling time order (above the merge sort's 65,536:
 * sorted in place), times that are not whole microseconds, equal times
 * told apart by their bytes, more than 4 GiB, durations unset, negative,
 * not whole microseconds, and every state the counts know. */
static vigil_record defer_rec(size_t k, uint64_t *rng)
{
    uint64_t x = test_rng_next(rng);
    char src[64], dst[64];
    uint16_t port = (uint16_t)(443 + (x >> 20) % 3);
    uint8_t proto = (x >> 24) % 5 ? VIGIL_PROTO_TCP : VIGIL_PROTO_UDP;
    double ts = 1517000000 + (double)((x >> 30) % 2592000000ULL) / 1000.0; /* ms steps */
    if (k < 70000) {
        snprintf(src, sizeof src, "10.9.9.9");
        snprintf(dst, sizeof dst, "198.51.100.250");
        port = 8443;
        proto = VIGIL_PROTO_TCP;
        ts = 1519000000 - (double)k * 7.25;
    } else if (k % 5 == 0) {
        snprintf(src, sizeof src, "fd00::%x", (unsigned)(x % 97));
        snprintf(dst, sizeof dst, "2001:db8::%x", (unsigned)((x >> 8) % 31));
    } else {
        snprintf(src, sizeof src, "10.0.%u.%u", (unsigned)(x % 7), (unsigned)((x >> 8) % 40));
        snprintf(dst, sizeof dst, "203.0.113.%u", (unsigned)((x >> 16) % 13));
    }
    static const uint8_t states[] = { VIGIL_CS_SF, VIGIL_CS_S0, VIGIL_CS_REJ, VIGIL_CS_S1, VIGIL_CS_S2,
                                      VIGIL_CS_S3, VIGIL_CS_RSTO, VIGIL_CS_RSTR, VIGIL_CS_RSTOS0,
                                      VIGIL_CS_OTH, VIGIL_CS_UNSET };
    uint64_t ob = (x >> 40) % 5000, rb = (x >> 50) % 3 ? (x >> 45) % 900 : 0;
    if (k % 4099 == 7) ob = 6000000000ULL;
    if (k % 11 == 3) ob = rb = 0;
    vigil_record r = conn_rec(ts, src, dst, port, proto, ob, rb, states[(x >> 33) % 11]);
    vigil_conn *c = &r.u.conn;
    c->duration = (double)((x >> 36) % 64) * 0.25; /* sums exact in any order */
    if (k % 97 == 5) c->present &= ~(uint32_t)VIGIL_CONN_HAS_DURATION;
    if (k % 89 == 4) c->duration = -2;
    if (k % 83 == 2) c->duration = 0.1234567; /* not whole us */
    if (k % 1009 == 1) { /* not whole us: the pair keeps raw times */
        r.ts = c->id.ts = 1517000000.12345678 + (double)(k % 3);
    }
    if (k % 1013 == 2) { /* equal times: the bytes decide */
        r.ts = c->id.ts = 1517500000;
        c->orig_bytes = 1000 - k % 7;
    }
    return r;
}

#define DEFER_N 100000

/* The hunt's path: records through partials (taking turns, merged every
 * few hundred) and some straight into `a`; then settled on `threads`. */
static void defer_feed(vigil__agg *a, vigil__agg *p1, vigil__agg *p2, int threads, int *ok)
{
    uint64_t rng = 42;
    vigil__agg *parts[2] = { p1, p2 };
    for (size_t k = 0; k < DEFER_N; k++) {
        vigil_record r = defer_rec(k, &rng);
        /* The first 75,000 in one partial, merged once (~69,000 records:
         * more than one push slice); then merges every 500. */
        vigil__agg *part = k < 75000 ? p1 : parts[(k / 500) % 2];
        vigil__agg *to = k % 13 == 0 ? a : part;
        if (vigil__agg_add(to, &r) != VIGIL_OK) *ok = 0;
        if ((k == 74999 || (k > 75000 && k % 500 == 499)) && vigil__agg_merge(a, part) != VIGIL_OK) *ok = 0;
    }
    for (int i = 0; i < 2; i++)
        if (vigil__agg_merge(a, parts[i]) != VIGIL_OK) *ok = 0;
    if (vigil__agg_settle_threads(a, threads) != VIGIL_OK) *ok = 0;
}

static void plain_feed(vigil__agg *a, int *ok)
{
    uint64_t rng = 42;
    for (size_t k = 0; k < DEFER_N; k++) {
        vigil_record r = defer_rec(k, &rng);
        if (vigil__agg_add(a, &r) != VIGIL_OK) *ok = 0;
    }
}

/* (src, dst, dport, proto) of p against q's: <0, 0, >0. */
static int key_cmp(const vigil__pair_view *p, const vigil__pair_view *q)
{
    int c = memcmp(p->src.b, q->src.b, 16);
    if (!c) c = memcmp(p->dst.b, q->dst.b, 16);
    if (!c) c = p->dport != q->dport ? (p->dport < q->dport ? -1 : 1) : (p->proto > q->proto) - (p->proto < q->proto);
    return c;
}

/* The views in storage order (what detection walks) visit every pair of
 * finished a once, each equal to its view in address order. */
static void check_stored_views(const vigil__agg *a)
{
    size_t n = vigil__agg_pair_count(a), m = vigil__agg_pair_max_points(a) + 1, moved = 0, bad = 0;
    unsigned char *seen = calloc(n + 1, 1);
    vigil__conn_point *b1 = malloc(m * sizeof *b1), *b2 = malloc(m * sizeof *b2);
    CHECK(seen && b1 && b2);
    for (size_t k = 0; seen && b1 && b2 && k < n; k++) {
        vigil__pair_view s, o;
        CHECK(vigil__agg_stored_pair_buf(a, k, &s, b1) == VIGIL_OK);
        size_t lo = 0, hi = n; /* the address order is strictly ascending */
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            CHECK(vigil__agg_pair_head(a, mid, &o) == VIGIL_OK);
            if (key_cmp(&o, &s) < 0) lo = mid + 1;
            else hi = mid;
        }
        if (lo == n || vigil__agg_pair_buf(a, lo, &o, b2) != VIGIL_OK || key_cmp(&o, &s) != 0 ||
            !same_pair_view(&s, &o) || memcmp(s.pts, o.pts, s.n * sizeof *s.pts) || s.dur_max != o.dur_max) {
            bad++;
            continue;
        }
        seen[lo]++;
        moved += lo != k;
    }
    size_t once = 0;
    for (size_t i = 0; seen && i < n; i++) once += seen[i] == 1;
    CHECK_EQ_U(bad, 0);
    CHECK_EQ_U(once, n);
    CHECK(n < 2 || moved > 0); /* the two orders differ: the test sees both */
    vigil__pair_view v;
    CHECK(vigil__agg_stored_pair_head(a, n, &v) == VIGIL_EINVAL);
    free(seen);
    free(b1);
    free(b2);
}

/* Finished x and y hold the same pairs, points (bit for bit, in order),
 * sums, groups and host days. */
static void check_same_aggs(vigil__agg *x, vigil__agg *y)
{
    CHECK(vigil__agg_finish(x) == VIGIL_OK);
    CHECK(vigil__agg_finish_threads(y, 2) == VIGIL_OK);
    CHECK_EQ_U(vigil__agg_pair_count(x), vigil__agg_pair_count(y));
    size_t bad = 0;
    for (size_t i = 0; i < vigil__agg_pair_count(x) && i < vigil__agg_pair_count(y); i++) {
        vigil__pair_view p, q;
        CHECK(vigil__agg_pair(x, i, &p) == VIGIL_OK);
        vigil__pair_view pc = p;
        vigil__conn_point *keep = malloc((p.n ? p.n : 1) * sizeof *keep);
        memcpy(keep, p.pts, p.n * sizeof *keep);
        pc.pts = keep;
        CHECK(vigil__agg_pair(y, i, &q) == VIGIL_OK);
        if (!same_pair_view(&pc, &q) || memcmp(keep, q.pts, p.n * sizeof *keep) ||
            p.dur_max != q.dur_max || p.open_dur != q.open_dur || p.n_s0 != q.n_s0)
            bad++;
        free(keep);
    }
    CHECK_EQ_U(bad, 0);
    /* The pair order is (src, dst, dport, proto), strictly ascending
     * (finish's radix sort of packed ranks). */
    size_t unordered = 0;
    for (size_t i = 1; i < vigil__agg_pair_count(y); i++) {
        vigil__pair_view p, q;
        if (vigil__agg_pair_head(y, i - 1, &p) != VIGIL_OK || vigil__agg_pair_head(y, i, &q) != VIGIL_OK) {
            unordered++;
            continue;
        }
        int c = memcmp(p.src.b, q.src.b, 16);
        if (!c) c = memcmp(p.dst.b, q.dst.b, 16);
        if (!c) c = p.dport != q.dport ? (p.dport < q.dport ? -1 : 1) : (p.proto > q.proto) - (p.proto < q.proto);
        unordered += c >= 0;
    }
    CHECK_EQ_U(unordered, 0);
    check_stored_views(y);
    CHECK_EQ_U(vigil__agg_group_count(x), vigil__agg_group_count(y));
    CHECK_EQ_U(vigil__agg_host_count(x), vigil__agg_host_count(y));
    for (size_t i = 0; i < vigil__agg_host_count(x) && i < vigil__agg_host_count(y); i++) {
        vigil__host_view h, g;
        CHECK(vigil__agg_host(x, i, &h) == VIGIL_OK && vigil__agg_host(y, i, &g) == VIGIL_OK);
        CHECK(h.ndays == g.ndays && h.top_bytes == g.top_bytes && h.top_dport == g.top_dport &&
              !memcmp(h.bytes_out_by_day, g.bytes_out_by_day, h.ndays * sizeof *h.bytes_out_by_day));
    }
    vigil__agg_counts cx, cy;
    vigil__agg_counts_get(x, &cx);
    vigil__agg_counts_get(y, &cy);
    CHECK(cx.conns == cy.conns && cx.kept == cy.kept && cx.first_ts == cy.first_ts && cx.last_ts == cy.last_ts);
}

/* Live blocks, counted atomically: the settle allocates on two threads. */
static void *count_malloc(void *u, size_t n)
{
    atomic_fetch_add((atomic_long *)u, 1);
    return malloc(n ? n : 1);
}
static void *count_realloc(void *u, void *p, size_t n)
{
    if (!p) atomic_fetch_add((atomic_long *)u, 1);
    return realloc(p, n ? n : 1);
}
static void count_free(void *u, void *p)
{
    if (p) atomic_fetch_sub((atomic_long *)u, 1);
    free(p);
}

/* hunt.c's shared aggregate: deferred connections, built into pairs by
 * the settle, equal the same records added to one plain aggregate -- on
 * one and two threads, in the C library allocator's slots (also with
 * slots so small that the big pair's bucket goes on in chunks of its own,
 * and is decoded twice) and in another allocator's chunks; then records added after the settle
 * (directly, and merged in from an aggregate that has pairs of its own)
 * still land on the right pairs. */
TEST(agg_deferred_equals_one)
{
    size_t slot_default = vigil__defer_slot_bytes, two_pass_default = vigil__defer_two_pass;
    for (int round = 0; round < 4; round++) {
        atomic_long live;
        atomic_init(&live, 0);
        vigil_allocator counting = { count_malloc, count_realloc, count_free, &live };
        const vigil_allocator *al = round == 3 ? &counting : NULL;
        vigil__defer_slot_bytes = round == 2 ? 65536 : slot_default;
        /* Round 2: the big pair's bucket decoded twice, the others once. */
        vigil__defer_two_pass = round == 2 ? 10000 : two_pass_default;
        vigil_netset *nets = NULL;
        CHECK(vigil_netset_new(&nets, NULL) == VIGIL_OK && vigil_netset_add_private(nets) == VIGIL_OK);
        vigil__agg *one = NULL, *def = NULL, *p1 = NULL, *p2 = NULL, *extra = NULL;
        CHECK(vigil__agg_new(&one, nets, al) == VIGIL_OK && vigil__agg_new(&def, nets, al) == VIGIL_OK &&
              vigil__agg_new(&p1, nets, al) == VIGIL_OK && vigil__agg_new(&p2, nets, al) == VIGIL_OK &&
              vigil__agg_new(&extra, nets, al) == VIGIL_OK);
        vigil__agg_set_partial(p1, 1);
        vigil__agg_set_partial(p2, 1);
        CHECK(vigil__agg_set_deferred(def) == VIGIL_OK);
        CHECK(vigil__agg_set_deferred(p1) == VIGIL_EINVAL); /* a partial queues, never defers */
        int ok = 1;
        defer_feed(def, p1, p2, round == 1 ? 1 : 2, &ok);
        plain_feed(one, &ok);
        CHECK(ok);
        /* Nothing left to sort: the settle made every pair sorted. */
        atomic_size_t next;
        atomic_init(&next, 0);
        CHECK(vigil__agg_sort_part(def, &next) == VIGIL_OK && atomic_load(&next) == 0);
        if (round >= 2) {
            /* After the settle: one more deferred record for a pair the
             * settle made, one for a new pair, and a plain aggregate's
             * pairs merged in. */
            vigil_record r[3] = {
                conn_rec(1518000000.5, "10.9.9.9", "198.51.100.250", 8443, VIGIL_PROTO_TCP, 5, 6, VIGIL_CS_SF),
                conn_rec(1518000001, "10.1.1.1", "198.51.100.251", 22, VIGIL_PROTO_TCP, 5, 6, VIGIL_CS_SF),
                conn_rec(1500000000, "10.9.9.9", "198.51.100.250", 8443, VIGIL_PROTO_TCP, 1, 2, VIGIL_CS_S0),
            };
            for (int i = 0; i < 3; i++) add(one, r[i]);
            add(def, r[0]);
            add(def, r[1]);
            add(extra, r[2]);
            CHECK(vigil__agg_merge(def, extra) == VIGIL_OK);
        }
        check_same_aggs(one, def);
        vigil__agg_free(one);
        vigil__agg_free(def);
        vigil__agg_free(p1);
        vigil__agg_free(p2);
        vigil__agg_free(extra);
        vigil_netset_free(nets);
        CHECK_EQ_U(atomic_load(&live), 0);
    }
    vigil__defer_slot_bytes = slot_default;
    vigil__defer_two_pass = two_pass_default;
}

/* ---- allocation failure ---------------------------------------------------------- */

typedef struct fail_alloc {
    long fail_at;  /* which allocation fails (1-based); 0: none */
    long calls;    /* allocations so far */
    long live;     /* blocks not freed */
} fail_alloc;

static void *fa_malloc(void *u, size_t n)
{
    fail_alloc *f = u;
    if (++f->calls == f->fail_at) return NULL;
    void *p = malloc(n ? n : 1);
    if (p) f->live++;
    return p;
}

static void *fa_realloc(void *u, void *p, size_t n)
{
    fail_alloc *f = u;
    if (++f->calls == f->fail_at) return NULL;
    void *q = realloc(p, n ? n : 1);
    if (q && !p) f->live++;
    return q;
}

static void fa_free(void *u, void *p)
{
    fail_alloc *f = u;
    if (p) f->live--;
    free(p);
}

/* new x2 (one a partial), workload, sort, merge, finish, every view. */
static vigil_status alloc_workload(const vigil_allocator *al, const vigil_netset *nets)
{
    vigil__agg *x = NULL, *y = NULL;
    vigil_status rc = vigil__agg_new(&x, nets, al);
    if (rc == VIGIL_OK) rc = vigil__agg_new(&y, nets, al);
    vigil__agg_set_partial(y, 1); /* its records reach x through the merge */
    /* x defers its connections, as hunt's shared aggregate does. */
    if (rc == VIGIL_OK) rc = vigil__agg_set_deferred(x);
    if (rc == VIGIL_OK) {
        int ok = 1;
        vigil__agg *two[2] = { x, y };
        /* workload() records CHECK failures: run it through a status. */
        static const char *const srcs[] = { "10.0.0.1", "10.0.0.2" };
        for (int i = 0; i < 60 && rc == VIGIL_OK; i++) {
            vigil_record r = conn_rec(1000 + ((i * 31) % 60) * 50.0, srcs[i % 2],
                                      i % 3 ? "198.51.100.1" : "198.51.100.2", 443, VIGIL_PROTO_TCP,
                                      i == 5 ? 5000000000ULL : 10, 10, VIGIL_CS_SF);
            rc = vigil__agg_add(two[i % 2], &r);
            if (rc == VIGIL_OK && i % 6 == 0) {
                vigil_record d = dns_rec(1000 + i, srcs[i % 2], i % 12 ? "a.example.com" : "b.example.com",
                                         16, 3, "198.51.100.1,198.51.100.2");
                rc = vigil__agg_add(two[(i / 6) % 2], &d);
            }
            if (rc == VIGIL_OK && i % 10 == 0) {
                vigil_record s = ssl_rec(1000 + i, srcs[i % 2], "198.51.100.1", "sni.example.com");
                rc = vigil__agg_add(two[i % 2], &s);
            }
        }
        (void)ok;
    }
    if (rc == VIGIL_OK) rc = vigil__agg_sort(y);
    if (rc == VIGIL_OK) rc = vigil__agg_merge(x, y);
    if (rc == VIGIL_OK) rc = vigil__agg_finish(x);
    if (rc == VIGIL_OK) {
        vigil__pair_view v;
        for (size_t i = 0; i < vigil__agg_group_count(x); i++) vigil__agg_group(x, i, &v);
    }
    vigil__agg_free(x);
    vigil__agg_free(y);
    return rc;
}

TEST(agg_alloc_failure_clean)
{
    vigil_netset *nets = NULL;
    CHECK(vigil_netset_new(&nets, NULL) == VIGIL_OK);
    CHECK(vigil_netset_add_private(nets) == VIGIL_OK);
    fail_alloc probe = { 0, 0, 0 };
    vigil_allocator pa = { fa_malloc, fa_realloc, fa_free, &probe };
    CHECK(alloc_workload(&pa, nets) == VIGIL_OK);
    CHECK_EQ_U(probe.live, 0);
    CHECK(probe.calls > 20);
    for (long n = 1; n <= probe.calls; n++) {
        fail_alloc f = { n, 0, 0 };
        vigil_allocator a = { fa_malloc, fa_realloc, fa_free, &f };
        vigil_status rc = alloc_workload(&a, nets);
        if (rc != VIGIL_ENOMEM) {
            fprintf(stderr, "  failing allocation %ld of %ld: status %d\n", n, probe.calls, (int)rc);
            vigil_test_failures++;
        }
        if (f.live != 0) {
            fprintf(stderr, "  failing allocation %ld leaked %ld blocks\n", n, f.live);
            vigil_test_failures++;
        }
    }
    vigil_netset_free(nets);
}
