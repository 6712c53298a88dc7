/* test_detect_strobe.c -- strobe on hand-built views (retry storms, volume strobes, CDN traps) and on the real RAT captures. */
#include "fixture.h"
#include <math.h>
#include <stdlib.h>

#define DAY 86400.0
#define T0 1677024000.0

static vigil__pair_view base_pair(void)
{
    vigil__pair_view p = test_pair_view("192.168.7.20", "203.0.113.50", 5888, 3);
    p.prevalence = 1;
    return p;
}

/* Runs the detector (every finding, however low); the score of its one
 * finding, or -1. */
static double run(const vigil__pair_view *p, vigil_findings *fs)
{
    test_findings_reset(fs);
    vigil__detect_cfg cfg = { .min_score = 0.0, .min_conns = 4 };
    CHECK(vigil__detect_strobe(p, &cfg, fs) == VIGIL_OK);
    return test_one_finding(fs, "strobe", VIGIL_FIND_STROBE, 2);
}

/* A RAT whose server refuses: ~720 attempts in 8 minutes, 0.5-1 s apart,
 * all REJ. */
TEST(strobe_refused_retry_storm)
{
    uint64_t seed = 21;
    vigil__conn_point pts[720];
    double t = T0;
    for (size_t i = 0; i < 720; i++) {
        pts[i] = (vigil__conn_point){ t, 0, 0 };
        t += test_rng_unit(&seed) < 0.66 ? 0.5 : 1.0;
    }
    vigil__pair_view p = base_pair();
    p.pts = pts;
    p.n = 720;
    p.first_ts = pts[0].ts;
    p.last_ts = pts[719].ts;
    p.n_rej = 719;
    p.n_s0 = 1;
    vigil_findings fs = { 0 };
    CHECK(run(&p, &fs) >= 0.7);
    CHECK(fs.n == 1 && test_has_reason(&fs.v[0], "retry storm"));
    vigil_findings_free(&fs);
}

/* njRAT-like: 237 unanswered SYNs every 8-14 s over 45 minutes. */
TEST(strobe_unanswered_reconnects)
{
    uint64_t seed = 22;
    vigil__conn_point pts[237];
    double t = T0;
    static const double gaps[3] = { 8, 9, 14 };
    for (size_t i = 0; i < 237; i++) {
        pts[i] = (vigil__conn_point){ t, 0, 0 };
        t += gaps[test_rng_next(&seed) % 3] + 0.01 * test_rng_unit(&seed);
    }
    vigil__pair_view p = base_pair();
    p.dport = 1177;
    p.pts = pts;
    p.n = 237;
    p.first_ts = pts[0].ts;
    p.last_ts = pts[236].ts;
    p.n_s0 = 237;
    vigil_findings fs = { 0 };
    CHECK(run(&p, &fs) >= 0.7);
    CHECK(fs.n == 1 && test_has_reason(&fs.v[0], "retry storm"));
    vigil_findings_free(&fs);
}

/* A volume strobe: 150,000 established connections in a day from one
 * host to an address no other host uses. */
TEST(strobe_volume_rare)
{
    vigil__pair_view p = base_pair();
    p.internal_hosts = 100;
    p.n = 150000;
    p.first_ts = T0;
    p.last_ts = T0 + DAY;
    p.n_ok = 150000; /* pts NULL: counts alone */
    vigil_findings fs = { 0 };
    CHECK(run(&p, &fs) >= 0.7);
    vigil_findings_free(&fs);
}

/* Traps: a CDN every host hammers (many legitimate connections); an
 * outage where every host's connections to one service are refused; a
 * websocket app reconnecting every 0-25 s all day (1,300 mostly
 * established connections). */
TEST(strobe_traps_popular_and_websocket)
{
    vigil_findings fs = { 0 };
    vigil__pair_view p = base_pair();
    p.internal_hosts = 100;
    p.prevalence = 93;
    p.n = 200000;
    p.n_ok = 199000;
    p.first_ts = T0;
    p.last_ts = T0 + DAY;
    CHECK(run(&p, &fs) < 0.5);

    p.n = 400;
    p.n_ok = 0;
    p.n_rej = 400;
    p.prevalence = 60;
    p.last_ts = T0 + 3600;
    CHECK(run(&p, &fs) < 0.5);

    uint64_t seed = 23;
    static vigil__conn_point pts[1300];
    double t = T0;
    for (size_t i = 0; i < 1300; i++) {
        pts[i] = (vigil__conn_point){ t, 800, 1500 };
        t += 66 * test_rng_unit(&seed);
    }
    p = base_pair();
    p.internal_hosts = 1;
    p.pts = pts;
    p.n = 1300;
    p.first_ts = pts[0].ts;
    p.last_ts = pts[1299].ts;
    p.n_ok = 1200;
    p.n_s0 = 35;
    p.n_rej = 2;
    CHECK(run(&p, &fs) < 0.5);
    vigil_findings_free(&fs);
}

/* Edge cases: empty and tiny views, identical timestamps, time going
 * backwards, counts that disagree with n, huge values, NULL arguments. */
TEST(strobe_edge_cases)
{
    vigil_findings fs = { 0 };
    vigil__pair_view p = base_pair();
    CHECK(run(&p, &fs) < 0);
    CHECK(vigil__detect_strobe(NULL, NULL, &fs) == VIGIL_EINVAL);
    CHECK(vigil__detect_strobe(&p, NULL, NULL) == VIGIL_EINVAL);
    vigil__conn_point two[2] = { { T0, 0, 0 }, { T0, 0, 0 } };
    p.pts = two;
    p.n = 2;
    p.n_rej = 2;
    CHECK(run(&p, &fs) < 0);

    static vigil__conn_point same[50];
    for (size_t i = 0; i < 50; i++) same[i] = (vigil__conn_point){ T0 + (i % 2 ? -1.0 : 1.0), 0, 0 };
    p.pts = same;
    p.n = 50;
    p.first_ts = T0 + 1;
    p.last_ts = T0 - 1; /* backwards */
    p.n_rej = UINT32_MAX; /* more failures than connections */
    p.n_s0 = UINT32_MAX;
    double s = run(&p, &fs);
    CHECK(s >= 0 && s <= 1);

    p.pts = NULL;
    p.n = SIZE_MAX / 2;
    p.first_ts = -INFINITY;
    p.last_ts = NAN;
    p.n_rej = p.n_s0 = 0;
    p.n_ok = UINT32_MAX;
    p.internal_hosts = UINT32_MAX;
    p.prevalence = UINT32_MAX;
    s = run(&p, &fs);
    CHECK(s < 0 || (s >= 0 && s <= 1));

    p = base_pair();
    p.is_group = 1;
    p.n = 100;
    p.n_rej = 100;
    p.last_ts = 600;
    CHECK(run(&p, &fs) < 0); /* a group of one address repeats its pair */
    vigil_findings_free(&fs);
}

/* ---- the real captures ----------------------------------------------------- */

/* A conn.log read into pair views by hand (the tests' own tiny
 * aggregator): internal = RFC 1918 / RFC 4193 sources, external
 * destinations. */
typedef struct tpair {
    vigil_addr src, dst;       /* the pair */
    uint16_t dport;            /* its port */
    vigil__conn_point *pts;    /* its connections (owned) */
    size_t n, cap;             /* used / allocated */
    uint32_t rej, s0, ok;      /* states */
    uint64_t out, in;          /* bytes */
} tpair;

typedef struct tlog {
    tpair *p;                  /* pairs (owned) */
    size_t n;                  /* pairs used */
    vigil_addr hosts[64];      /* internal sources seen */
    size_t nhosts;             /* entries of hosts */
} tlog;

static int cmp_pt(const void *a, const void *b)
{
    double x = ((const vigil__conn_point *)a)->ts, y = ((const vigil__conn_point *)b)->ts;
    return (x > y) - (x < y);
}

static int read_pairs(const char *rel, tlog *L)
{
    char path[512];
    memset(L, 0, sizeof *L);
    vigil_netset *ns = NULL;
    if (vigil_netset_new(&ns, NULL) != VIGIL_OK || vigil_netset_add_private(ns) != VIGIL_OK) return 0;
    vigil_reader *r = NULL;
    if (vigil_reader_open(&r, test_real_path(rel, path, sizeof path), NULL) != VIGIL_OK) {
        vigil_netset_free(ns);
        return 0;
    }
    L->p = calloc(4096, sizeof *L->p);
    const vigil_record *rec;
    while (L->p && vigil_reader_next(r, &rec) == VIGIL_OK && rec) {
        if (rec->type != VIGIL_LOG_CONN) continue;
        const vigil_conn *c = &rec->u.conn;
        if (!vigil_netset_contains(ns, &c->id.orig_h) || vigil_netset_contains(ns, &c->id.resp_h))
            continue;
        size_t h;
        for (h = 0; h < L->nhosts; h++)
            if (!memcmp(&L->hosts[h], &c->id.orig_h, sizeof(vigil_addr))) break;
        if (h == L->nhosts && h < 64) L->hosts[L->nhosts++] = c->id.orig_h;
        size_t i;
        for (i = 0; i < L->n; i++)
            if (!memcmp(&L->p[i].src, &c->id.orig_h, sizeof(vigil_addr)) &&
                !memcmp(&L->p[i].dst, &c->id.resp_h, sizeof(vigil_addr)) && L->p[i].dport == c->id.resp_p)
                break;
        if (i == L->n) {
            if (L->n == 4096) continue;
            L->p[L->n].src = c->id.orig_h;
            L->p[L->n].dst = c->id.resp_h;
            L->p[L->n].dport = c->id.resp_p;
            L->n++;
        }
        tpair *t = &L->p[i];
        if (t->n == t->cap) {
            size_t nc = t->cap ? t->cap * 2 : 16;
            vigil__conn_point *np = realloc(t->pts, nc * sizeof *np);
            if (!np) break;
            t->pts = np;
            t->cap = nc;
        }
        t->pts[t->n++] = (vigil__conn_point){ c->id.ts, (uint32_t)c->orig_bytes, (uint32_t)c->resp_bytes };
        int data = c->orig_bytes + c->resp_bytes > 0;
        if (c->conn_state == VIGIL_CS_REJ ||
            ((c->conn_state == VIGIL_CS_RSTR || c->conn_state == VIGIL_CS_RSTOS0) && !data)) t->rej++;
        else if (c->conn_state == VIGIL_CS_S0) t->s0++;
        else if (data) t->ok++;
        t->out += c->orig_bytes;
        t->in += c->resp_bytes;
    }
    vigil_reader_free(r);
    vigil_netset_free(ns);
    for (size_t i = 0; i < L->n; i++) qsort(L->p[i].pts, L->p[i].n, sizeof *L->p[i].pts, cmp_pt);
    return L->p != NULL;
}

static void free_pairs(tlog *L)
{
    for (size_t i = 0; i < L->n; i++) free(L->p[i].pts);
    free(L->p);
}

/* Strobe over every pair of a capture; returns the index of the
 * top-scoring pair and its finding. */
static size_t top_strobe(const tlog *L, vigil_finding *best)
{
    size_t top = SIZE_MAX;
    best->score = -1;
    for (size_t i = 0; i < L->n; i++) {
        const tpair *t = &L->p[i];
        vigil__pair_view p;
        memset(&p, 0, sizeof p);
        p.src = t->src;
        p.dst = t->dst;
        p.dst_count = 1;
        p.dport = t->dport;
        p.proto = VIGIL_PROTO_TCP;
        p.pts = t->pts;
        p.n = t->n;
        p.first_ts = t->pts[0].ts;
        p.last_ts = t->pts[t->n - 1].ts;
        p.n_rej = t->rej;
        p.n_s0 = t->s0;
        p.n_ok = t->ok;
        p.bytes_out = t->out;
        p.bytes_in = t->in;
        p.internal_hosts = (uint32_t)L->nhosts;
        for (size_t j = 0; j < L->n; j++)
            if (!memcmp(&L->p[j].dst, &t->dst, sizeof(vigil_addr))) p.prevalence++;
        vigil_findings fs = { 0 };
        CHECK(vigil__detect_strobe(&p, NULL, &fs) == VIGIL_OK);
        CHECK(fs.n <= 1);
        if (fs.n && fs.v[0].score > best->score) {
            *best = fs.v[0];
            top = i;
        }
        vigil_findings_free(&fs);
    }
    return top;
}

static void check_capture(const char *rel, const char *src, const char *dst, uint16_t dport)
{
    tlog L;
    if (!read_pairs(rel, &L)) {
        CHECK(!"real capture readable");
        return;
    }
    vigil_finding best;
    size_t top = top_strobe(&L, &best);
    CHECK(top != SIZE_MAX);
    if (top != SIZE_MAX) {
        vigil_addr s = test_addr(src), d = test_addr(dst);
        CHECK(!memcmp(&L.p[top].src, &s, sizeof s));
        CHECK(!memcmp(&L.p[top].dst, &d, sizeof d));
        CHECK_EQ_U(L.p[top].dport, dport);
        CHECK(best.score >= 0.7);
        CHECK(test_has_reason(&best, "retry storm"));
        if (getenv("VIGIL_TEST_SCORES")) {
            printf("    %s: top strobe %.3f\n", rel, best.score);
            for (uint32_t i = 0; i < best.nreasons; i++) printf("      - %s\n", best.reasons[i]);
        }
    }
    free_pairs(&L);
}

/* The ground truth of ../shared/data/real/README.md: Remcos's refused C2
 * retried every 0.5-1 s, and njRAT's unanswered reconnects, each the top
 * strobe of its capture, named a retry storm. */
TEST(strobe_real_remcos_storm)
{
    check_capture("remcos/conn.log.labeled", "192.168.1.107", "66.63.168.35", 5888);
}

TEST(strobe_real_njrat_reconnects)
{
    check_capture("njrat/conn.log.labeled", "192.168.1.115", "41.108.179.197", 1177);
}
