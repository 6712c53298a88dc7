/* test_hunt.c -- vigil_hunt() end to end: a generated world, the real
 * captures, time filters, config, progress.  Detection quality is the
 * detectors' tests and `make eval`; here: it runs, it is clean, findings are
 * sorted and explained, and the aggregates match the logs. */
#include <stdlib.h>
#include "test.h"
#include "agg.h"

/* Files under `path` (a file or a directory). */
static int expand(const char *path, vigil_pathlist *out)
{
    memset(out, 0, sizeof *out);
    const char *argv[1] = { path };
    return vigil_paths_expand(out, argv, 1, NULL, NULL, NULL) == VIGIL_OK && out->count > 0;
}

static void check_sorted_explained(const vigil_findings *fs)
{
    for (size_t i = 0; i < fs->n; i++) {
        const vigil_finding *f = &fs->v[i];
        CHECK(f->score >= 0 && f->score <= 1);
        CHECK(f->nreasons >= 1);
        CHECK(f->kind >= VIGIL_FIND_BEACON && f->kind < VIGIL_FIND__COUNT);
        if (i) CHECK(fs->v[i - 1].score >= f->score);
    }
}

/* The findings as JSON Lines text (malloc'd). */
static char *as_jsonl(const vigil_findings *fs)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    if (!m) return NULL;
    for (size_t i = 0; i < fs->n; i++) vigil_finding_write_jsonl(m, &fs->v[i]);
    fclose(m);
    return buf;
}

TEST(hunt_simulated_world_threads_agree)
{
    char dir[512];
    snprintf(dir, sizeof dir, "%s/world", test_tmpdir());
    vigil_sim_opts so;
    memset(&so, 0, sizeof so);
    so.out_dir = dir;
    so.hosts = 40;
    so.days = 3;
    so.seed = 7;
    vigil_sim_report rep;
    CHECK(vigil_simulate(&so, &rep) == VIGIL_OK);
    vigil_pathlist pl;
    CHECK(expand(dir, &pl));
    vigil_findings f1 = { 0 }, f2 = { 0 };
    vigil_hunt_summary s1, s2;
    vigil_hunt_opts o;
    memset(&o, 0, sizeof o);
    o.threads = 1;
    CHECK(vigil_hunt((const char *const *)pl.files, pl.count, &o, &f1, &s1) == VIGIL_OK);
    o.threads = 2;
    CHECK(vigil_hunt((const char *const *)pl.files, pl.count, &o, &f2, &s2) == VIGIL_OK);
    CHECK_EQ_U(s1.skipped, 0);
    CHECK_EQ_U(s1.unreadable, 0);
    CHECK_EQ_U(s1.records, rep.conn + rep.dns + rep.ssl + rep.http);
    CHECK_EQ_U(s1.conn_records, rep.conn);
    CHECK(s1.pairs > 100 && s1.hosts > 10 && s1.dns_domains > 10);
    CHECK_EQ_U(s1.conns_kept + s1.inbound + s1.internal_only + s1.external_only + s1.noise, rep.conn);
    CHECK_EQ_U(s1.pairs, s2.pairs);
    CHECK_EQ_U(s1.groups, s2.groups);
    CHECK_EQ_U(s1.conns_kept, s2.conns_kept);
    check_sorted_explained(&f1);
    /* Same findings, byte for byte, whatever the number of threads. */
    char *j1 = as_jsonl(&f1), *j2 = as_jsonl(&f2);
    CHECK(j1 && j2 && strcmp(j1, j2) == 0);
    free(j1);
    free(j2);
    vigil_findings_free(&f1);
    vigil_findings_free(&f2);
    vigil_pathlist_free(&pl);
}

TEST(hunt_real_captures_clean)
{
    static const char *const dirs[] = { "njrat", "remcos", "android-rat", "simda", "ctu-normal-day",
                                        "ctu-normal-42-day2", "ctu-normal-43-day1", "pcap",
                                        "suricata-eve" };
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
        char path[512];
        test_real_path(dirs[i], path, sizeof path);
        vigil_pathlist pl;
        if (!expand(path, &pl)) {
            fprintf(stderr, "  %s: no files\n", path);
            vigil_test_failures++;
            vigil_pathlist_free(&pl);
            continue;
        }
        vigil_findings fs = { 0 };
        vigil_hunt_summary s;
        vigil_hunt_opts o;
        memset(&o, 0, sizeof o);
        o.min_score = 0;
        CHECK(vigil_hunt((const char *const *)pl.files, pl.count, &o, &fs, &s) == VIGIL_OK);
        if (s.skipped || s.unreadable || s.records == 0) {
            fprintf(stderr, "  %s: %llu skipped, %zu unreadable, %llu records\n", dirs[i],
                    (unsigned long long)s.skipped, s.unreadable, (unsigned long long)s.records);
            vigil_test_failures++;
        }
        check_sorted_explained(&fs);
        vigil_findings_free(&fs);
        vigil_pathlist_free(&pl);
    }
}

/* Reads one real log straight into an aggregator and finishes it. */
static vigil__agg *agg_of(const char *rel, vigil_netset **nets)
{
    char path[512];
    test_real_path(rel, path, sizeof path);
    vigil__agg *a = NULL;
    vigil_reader *r = NULL;
    if (vigil_netset_new(nets, NULL) != VIGIL_OK || vigil_netset_add_private(*nets) != VIGIL_OK ||
        vigil__agg_new(&a, *nets, NULL) != VIGIL_OK || vigil_reader_open(&r, path, NULL) != VIGIL_OK) {
        vigil_test_failures++;
        vigil_reader_free(r);
        return a;
    }
    const vigil_record *rec;
    while (vigil_reader_next(r, &rec) == VIGIL_OK && rec) CHECK(vigil__agg_add(a, rec) == VIGIL_OK);
    vigil_reader_free(r);
    CHECK(vigil__agg_finish(a) == VIGIL_OK);
    return a;
}

static int find_pair(const vigil__agg *a, const char *src, const char *dst, uint16_t port,
                     vigil__pair_view *out)
{
    vigil_addr s, d;
    vigil_addr_parse(src, strlen(src), &s);
    vigil_addr_parse(dst, strlen(dst), &d);
    for (size_t i = 0; i < vigil__agg_pair_count(a); i++) {
        if (vigil__agg_pair(a, i, out) != VIGIL_OK) return 0;
        if (!memcmp(out->src.b, s.b, 16) && !memcmp(out->dst.b, d.b, 16) && out->dport == port &&
            out->proto == VIGIL_PROTO_TCP)
            return 1;
    }
    return 0;
}

TEST(hunt_real_njrat_pair)
{
    /* awk -F'\t' '$3=="192.168.1.115" && $5=="41.108.179.197" && $6==1177'
     * njrat/conn.log.labeled | wc -l  ->  237, all tcp, all S0. */
    vigil_netset *nets = NULL;
    vigil__agg *a = agg_of("njrat/conn.log.labeled", &nets);
    vigil__pair_view v;
    CHECK(a && find_pair(a, "192.168.1.115", "41.108.179.197", 1177, &v));
    if (a && find_pair(a, "192.168.1.115", "41.108.179.197", 1177, &v)) {
        CHECK_EQ_U(v.n, 237);
        CHECK_EQ_U(v.n_s0, 237);
        CHECK_EQ_U(v.n_rej + v.n_ok, 0);
        CHECK_EQ_U(v.prevalence, 1);
        for (size_t i = 1; i < v.n; i++) CHECK(v.pts[i - 1].ts <= v.pts[i].ts);
    }
    vigil__agg_free(a);
    vigil_netset_free(nets);
}

TEST(hunt_real_remcos_pair)
{
    /* awk: 192.168.1.107 -> 66.63.168.35:5888: 719 rows, tcp, 718 REJ + 1 S0
     * (every attempt refused or unanswered). */
    vigil_netset *nets = NULL;
    vigil__agg *a = agg_of("remcos/conn.log.labeled", &nets);
    vigil__pair_view v;
    CHECK(a && find_pair(a, "192.168.1.107", "66.63.168.35", 5888, &v));
    if (a && find_pair(a, "192.168.1.107", "66.63.168.35", 5888, &v)) {
        CHECK_EQ_U(v.n, 719);
        CHECK_EQ_U(v.n_rej, 718);
        CHECK_EQ_U(v.n_s0, 1);
        CHECK_EQ_U(v.n_ok, 0);
        CHECK_EQ_U(v.bytes_out, 0);
    }
    vigil__agg_free(a);
    vigil_netset_free(nets);
}

TEST(hunt_since_until_and_config)
{
    char path[512];
    test_real_path("njrat/conn.log.labeled", path, sizeof path);
    const char *files[1] = { path };
    vigil_findings fs = { 0 };
    vigil_hunt_summary s;
    vigil_hunt_opts o;
    memset(&o, 0, sizeof o);
    o.has_since = o.has_until = 1;
    o.since = 1000;
    o.until = 2000;
    CHECK(vigil_hunt(files, 1, &o, &fs, &s) == VIGIL_OK);
    CHECK_EQ_U(s.records, 992);
    CHECK(s.out_of_range > 0 && s.conn_records > 0);
    CHECK_EQ_U(s.out_of_range + s.conn_records, 992);
    CHECK(s.first_ts >= 1000 && s.last_ts < 2000);
    vigil_findings_free(&fs);
    /* ignore src: nothing about the infected host survives. */
    vigil_config *c = NULL;
    char err[256];
    CHECK(vigil_config_new(&c, NULL) == VIGIL_OK);
    const char *rules = "ignore src 192.168.1.115\n";
    CHECK(vigil_config_parse(c, "t", rules, strlen(rules), err, sizeof err) == VIGIL_OK);
    memset(&o, 0, sizeof o);
    o.config = c;
    CHECK(vigil_hunt(files, 1, &o, &fs, &s) == VIGIL_OK);
    vigil_addr inf;
    vigil_addr_parse("192.168.1.115", 13, &inf);
    for (size_t i = 0; i < fs.n; i++) CHECK(memcmp(fs.v[i].src.b, inf.b, 16) != 0);
    CHECK(s.findings_allowed >= 1); /* the C2 pair's finding(s) */
    CHECK(s.findings_detected >= fs.n + s.findings_allowed);
    vigil_findings_free(&fs);
    vigil_config_free(c);
}

/* Counts progress calls. */
typedef struct prog_count {
    int calls, done;
    size_t files_done;
} prog_count;

static void on_prog(void *user, const vigil_hunt_progress *p)
{
    prog_count *pc = user;
    pc->calls++;
    if (p->done) {
        pc->done++;
        pc->files_done = p->files_done;
    }
}

TEST(hunt_progress_and_bad_paths)
{
    char p1[512], p2[512];
    test_real_path("njrat/conn.log.labeled", p1, sizeof p1);
    snprintf(p2, sizeof p2, "%s/does-not-exist.log", test_tmpdir());
    const char *files[2] = { p1, p2 };
    prog_count pc = { 0, 0, 0 };
    vigil_hunt_opts o;
    memset(&o, 0, sizeof o);
    o.progress = on_prog;
    o.progress_user = &pc;
    o.progress_interval = 1e-9;
    vigil_findings fs = { 0 };
    vigil_hunt_summary s;
    CHECK(vigil_hunt(files, 2, &o, &fs, &s) == VIGIL_OK);
    CHECK_EQ_U(s.unreadable, 1);
    CHECK_EQ_U(s.files, 2);
    CHECK_EQ_U(s.files_read, 1);
    CHECK(pc.calls >= 2);
    CHECK_EQ_U(pc.done, 1);
    CHECK_EQ_U(pc.files_done, 2);
    vigil_findings_free(&fs);
    CHECK(vigil_hunt(files, 2, &o, NULL, &s) == VIGIL_EINVAL);
    CHECK(vigil_hunt(NULL, 2, &o, &fs, &s) == VIGIL_EINVAL);
    CHECK(vigil_hunt(NULL, 0, NULL, &fs, NULL) == VIGIL_OK);
    CHECK_EQ_U(fs.n, 0);
}

/* Hunt reads Zeek TSV with a projection (only vigil__agg_fields are
 * converted) and Zeek JSON whole: the same world in both formats must give
 * the same findings, byte for byte.  This fails when the add path reads a
 * field that vigil__agg_fields does not list (it would arrive unset from
 * TSV only).  TSV's conn lines also go through conn_early (the aggregate
 * accounts every connection that is not internal -> external after its
 * addresses; JSON is read whole): every count must agree too, with and
 * without --since/--until (which conn_early leaves to the loop). */
static void check_same_counts(const vigil_hunt_summary *a, const vigil_hunt_summary *b)
{
    CHECK_EQ_U(a->records, b->records);
    CHECK_EQ_U(a->conn_records, b->conn_records);
    CHECK_EQ_U(a->out_of_range, b->out_of_range);
    CHECK_EQ_U(a->pairs, b->pairs);
    CHECK_EQ_U(a->hosts, b->hosts);
    CHECK_EQ_U(a->dns_domains, b->dns_domains);
    CHECK_EQ_U(a->conns_kept, b->conns_kept);
    CHECK_EQ_U(a->inbound, b->inbound);
    CHECK_EQ_U(a->internal_only, b->internal_only);
    CHECK_EQ_U(a->external_only, b->external_only);
    CHECK_EQ_U(a->noise, b->noise);
    CHECK(a->first_ts == b->first_ts && a->last_ts == b->last_ts);
}

TEST(hunt_tsv_projection_equals_json_whole)
{
    char dirs[2][512];
    vigil_findings f[2] = { { 0 }, { 0 } }, w[2] = { { 0 }, { 0 } };
    vigil_hunt_summary s[2], ws[2];
    for (int k = 0; k < 2; k++) {
        snprintf(dirs[k], sizeof dirs[k], "%s/world-%s", test_tmpdir(), k ? "json" : "tsv");
        vigil_sim_opts so;
        memset(&so, 0, sizeof so);
        so.out_dir = dirs[k];
        so.hosts = 40;
        so.days = 3;
        so.seed = 11;
        so.json = k;
        vigil_sim_report rep;
        CHECK(vigil_simulate(&so, &rep) == VIGIL_OK);
        vigil_pathlist pl;
        CHECK(expand(dirs[k], &pl));
        vigil_hunt_opts o;
        memset(&o, 0, sizeof o);
        o.threads = 2;
        CHECK(vigil_hunt((const char *const *)pl.files, pl.count, &o, &f[k], &s[k]) == VIGIL_OK);
        CHECK_EQ_U(s[k].skipped, 0);
        /* The second day only. */
        o.has_since = o.has_until = 1;
        o.since = s[k].first_ts + 86400;
        o.until = o.since + 86400;
        CHECK(vigil_hunt((const char *const *)pl.files, pl.count, &o, &w[k], &ws[k]) == VIGIL_OK);
        vigil_pathlist_free(&pl);
    }
    CHECK(f[0].n > 0);
    CHECK(s[0].internal_only > 0 && s[0].conns_kept > 0 && ws[0].out_of_range > 0);
    check_same_counts(&s[0], &s[1]);
    check_same_counts(&ws[0], &ws[1]);
    for (int k = 0; k < 2; k++) {
        vigil_findings *g = k ? w : f;
        char *j0 = as_jsonl(&g[0]), *j1 = as_jsonl(&g[1]);
        CHECK(j0 && j1 && strcmp(j0, j1) == 0);
        free(j0);
        free(j1);
        vigil_findings_free(&g[0]);
        vigil_findings_free(&g[1]);
    }
}

/* The order files are read in: the big ones (above 1/16 of a thread's
 * share of the bytes) first, largest first, ties in the order given; the
 * rest in the order given (the path walk's name order: time order for
 * Zeek's archive). */
TEST(hunt_read_order_big_first_then_given)
{
    const vigil_allocator *al = vigil_allocator_default();
    /* 1,000 bytes in all, 2 threads: big means above 1000 / 2 / 16 = 31. */
    const uint64_t sizes[] = { 10, 300, 20, 31, 32, 0, 300, 5, 302 };
    size_t n = sizeof sizes / sizeof *sizes, order[9];
    uint64_t total = 0;
    for (size_t i = 0; i < n; i++) total += sizes[i];
    CHECK_EQ_U(total, 1000);
    CHECK(vigil__hunt_order(sizes, n, 2, order, al) == VIGIL_OK);
    const size_t want[] = { 8, 1, 6, 4, 0, 2, 3, 5, 7 };
    for (size_t i = 0; i < n; i++) CHECK_EQ_U(order[i], want[i]);
    /* A month of hourly files of about one size (none above 1/32 of
     * the bytes): exactly as given. */
    uint64_t hourly[720];
    size_t m = sizeof hourly / sizeof *hourly, ho[720];
    for (size_t i = 0; i < m; i++) hourly[i] = 4000000 + (i * 7919) % 1000000;
    CHECK(vigil__hunt_order(hourly, m, 2, ho, al) == VIGIL_OK);
    for (size_t i = 0; i < m; i++) CHECK_EQ_U(ho[i], i);
    /* One thread: the same rule; nothing to order is fine. */
    CHECK(vigil__hunt_order(sizes, n, 1, order, al) == VIGIL_OK);
    CHECK_EQ_U(order[0], 8);
    CHECK(vigil__hunt_order(NULL, 0, 2, NULL, al) == VIGIL_OK);
}
