/* test_agg_stats.c -- tests of lib/agg_stats.c: counts, spans, distinct addresses, skips, merge, scan. */
#include "fixture.h"
#include <stdlib.h>
#include <sys/stat.h>

/* ---- helpers ----------------------------------------------------------------- */

static vigil_addr A(const char *text)
{
    vigil_addr a;
    memset(&a, 0, sizeof a);
    if (!vigil_addr_parse(text, strlen(text), &a)) {
        fprintf(stderr, "  bad address in test: %s\n", text);
        vigil_test_failures++;
    }
    return a;
}

/* A conn record from `orig` to `resp` at `ts`; local flags as given
 * (VIGIL_UNSET, VIGIL_FALSE or VIGIL_TRUE). */
static vigil_record conn(double ts, const char *orig, const char *resp, int lo, int lr)
{
    vigil_record r;
    memset(&r, 0, sizeof r);
    r.type = VIGIL_LOG_CONN;
    r.path = "conn";
    r.file = "conn.log";
    r.ts = ts;
    r.u.conn.id.ts = ts;
    r.u.conn.id.orig_h = A(orig);
    r.u.conn.id.resp_h = A(resp);
    r.u.conn.local_orig = (int8_t)lo;
    r.u.conn.local_resp = (int8_t)lr;
    return r;
}

/* A record of another family/log; orig/resp may be NULL (all-zero). */
static vigil_record other(vigil_log_type t, const char *path, double ts, const char *orig,
                          const char *resp)
{
    vigil_record r;
    memset(&r, 0, sizeof r);
    r.type = t;
    r.path = path;
    r.file = "x.log";
    r.ts = ts;
    r.u.conn.id.ts = ts; /* every family's member starts with the id */
    if (orig) r.u.conn.id.orig_h = A(orig);
    if (resp) r.u.conn.id.resp_h = A(resp);
    return r;
}

static vigil_netset *private_nets(void)
{
    vigil_netset *n = NULL;
    CHECK_EQ_U(vigil_netset_new(&n, NULL), VIGIL_OK);
    if (n) CHECK_EQ_U(vigil_netset_add_private(n), VIGIL_OK);
    return n;
}

/* The summary named `name`, or one with records == UINT64_MAX. */
static vigil_log_summary summary(const vigil_stats *s, const char *name)
{
    vigil_log_summary out;
    memset(&out, 0, sizeof out);
    out.records = UINT64_MAX;
    for (size_t i = 0; i < vigil_stats_log_count(s); i++) {
        vigil_log_summary l;
        if (vigil_stats_log(s, i, &l) == VIGIL_OK && strcmp(l.name, name) == 0) return l;
    }
    fprintf(stderr, "  no log named %s\n", name);
    vigil_test_failures++;
    return out;
}

static vigil_status add(vigil_stats *s, vigil_record r) { return vigil_stats_add(s, &r); }

/* ---- tests ------------------------------------------------------------------- */

TEST(stats_counts_and_spans)
{
    vigil_netset *nets = private_nets();
    vigil_stats *s = NULL;
    CHECK_EQ_U(vigil_stats_new(&s, nets, NULL), VIGIL_OK);
    if (!s) return;
    CHECK_EQ_U(add(s, conn(100, "10.0.0.1", "8.8.8.8", VIGIL_UNSET, VIGIL_UNSET)), VIGIL_OK);
    CHECK_EQ_U(add(s, conn(50, "10.0.0.1", "1.1.1.1", VIGIL_FALSE, VIGIL_FALSE)), VIGIL_OK);
    CHECK_EQ_U(add(s, conn(200.5, "10.0.0.2", "8.8.8.8", VIGIL_UNSET, VIGIL_UNSET)), VIGIL_OK);
    CHECK_EQ_U(add(s, conn(150, "fd00::1", "2001:db8::1", VIGIL_UNSET, VIGIL_UNSET)), VIGIL_OK);
    CHECK_EQ_U(add(s, other(VIGIL_LOG_DNS, "dns", 1e9, "10.0.0.1", "192.168.1.1")), VIGIL_OK);
    CHECK_EQ_U(add(s, other(VIGIL_LOG_OTHER, "dhcp", 7, NULL, NULL)), VIGIL_OK);
    CHECK_EQ_U(add(s, other(VIGIL_LOG_OTHER, "dhcp", 3, NULL, NULL)), VIGIL_OK);
    vigil_stats_add_file(s);
    vigil_stats_add_file(s);

    CHECK_EQ_U(vigil_stats_log_count(s), 3);
    vigil_log_summary c = summary(s, "conn");
    CHECK_EQ_U(c.records, 4);
    CHECK(c.type == VIGIL_LOG_CONN);
    CHECK(c.first_ts == 50 && c.last_ts == 200.5);
    CHECK_EQ_U(c.internal_addrs, 3); /* 10.0.0.1 10.0.0.2 fd00::1 */
    CHECK_EQ_U(c.external_addrs, 3); /* 8.8.8.8 1.1.1.1 2001:db8::1 */
    CHECK_EQ_U(c.skipped, 0);
    vigil_log_summary d = summary(s, "dns");
    CHECK_EQ_U(d.records, 1);
    CHECK(d.first_ts == 1e9 && d.last_ts == 1e9);
    CHECK_EQ_U(d.internal_addrs, 2);
    CHECK_EQ_U(d.external_addrs, 0);
    vigil_log_summary h = summary(s, "dhcp");
    CHECK_EQ_U(h.records, 2);
    CHECK(h.type == VIGIL_LOG_OTHER);
    CHECK(h.first_ts == 3 && h.last_ts == 7);
    CHECK_EQ_U(h.internal_addrs + h.external_addrs, 0); /* all-zero ids ignored */
    CHECK_EQ_U(vigil_stats_internal_addrs(s), 4);    /* + 192.168.1.1 */
    CHECK_EQ_U(vigil_stats_external_addrs(s), 3);
    CHECK_EQ_U(vigil_stats_files(s), 2);
    vigil_stats_free(s);
    vigil_netset_free(nets);
}

/* local_orig / local_resp = T make an address internal even outside the
 * netset; once internal it stays so in that log and across logs. */
TEST(stats_local_flags)
{
    vigil_netset *nets = private_nets();
    vigil_stats *s = NULL;
    CHECK_EQ_U(vigil_stats_new(&s, nets, NULL), VIGIL_OK);
    if (!s) return;
    /* 203.0.113.5 first seen external (dns, then a conn without flags). */
    CHECK_EQ_U(add(s, other(VIGIL_LOG_DNS, "dns", 1, "203.0.113.5", "8.8.8.8")), VIGIL_OK);
    CHECK_EQ_U(add(s, conn(2, "203.0.113.5", "8.8.4.4", VIGIL_UNSET, VIGIL_UNSET)), VIGIL_OK);
    CHECK_EQ_U(summary(s, "conn").internal_addrs, 0);
    CHECK_EQ_U(vigil_stats_internal_addrs(s), 0);
    /* Then Zeek says it is local: internal from now on. */
    CHECK_EQ_U(add(s, conn(3, "203.0.113.5", "8.8.4.4", VIGIL_TRUE, VIGIL_FALSE)), VIGIL_OK);
    /* local_resp = T on the responder side. */
    CHECK_EQ_U(add(s, conn(4, "8.8.8.8", "198.51.100.7", VIGIL_FALSE, VIGIL_TRUE)), VIGIL_OK);
    /* A later F does not undo it. */
    CHECK_EQ_U(add(s, conn(5, "203.0.113.5", "198.51.100.7", VIGIL_FALSE, VIGIL_FALSE)), VIGIL_OK);
    /* F on a private address does not make it external. */
    CHECK_EQ_U(add(s, conn(6, "10.1.1.1", "8.8.8.8", VIGIL_FALSE, VIGIL_FALSE)), VIGIL_OK);

    vigil_log_summary c = summary(s, "conn");
    CHECK_EQ_U(c.records, 5);
    CHECK_EQ_U(c.internal_addrs, 3); /* 203.0.113.5 198.51.100.7 10.1.1.1 */
    CHECK_EQ_U(c.external_addrs, 2); /* 8.8.4.4 8.8.8.8 */
    /* The dns log only ever saw the address without a flag. */
    vigil_log_summary d = summary(s, "dns");
    CHECK_EQ_U(d.internal_addrs, 0);
    CHECK_EQ_U(d.external_addrs, 2);
    CHECK_EQ_U(vigil_stats_internal_addrs(s), 3);
    CHECK_EQ_U(vigil_stats_external_addrs(s), 2);
    vigil_stats_free(s);
    vigil_netset_free(nets);
}

/* Without a netset only the flags decide. */
TEST(stats_no_netset)
{
    vigil_stats *s = NULL;
    CHECK_EQ_U(vigil_stats_new(&s, NULL, NULL), VIGIL_OK);
    if (!s) return;
    CHECK_EQ_U(add(s, conn(1, "10.0.0.1", "8.8.8.8", VIGIL_UNSET, VIGIL_UNSET)), VIGIL_OK);
    CHECK_EQ_U(add(s, conn(1, "10.0.0.2", "8.8.8.8", VIGIL_TRUE, VIGIL_UNSET)), VIGIL_OK);
    CHECK_EQ_U(vigil_stats_internal_addrs(s), 1);
    CHECK_EQ_U(vigil_stats_external_addrs(s), 2);
    vigil_stats_free(s);
}

TEST(stats_sorted_by_name)
{
    vigil_stats *s = NULL;
    CHECK_EQ_U(vigil_stats_new(&s, NULL, NULL), VIGIL_OK);
    if (!s) return;
    const char *names[] = { "weird", "ssl", "conn", "notice", "dns", "conn", "http", "dhcp", "flow",
                            "alert", "quic", "x509", "files" };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        CHECK_EQ_U(add(s, other(VIGIL_LOG_OTHER, names[i], (double)i, NULL, NULL)), VIGIL_OK);
    static const char *want[] = { "alert", "conn", "dhcp", "dns", "files", "flow", "http",
                                  "notice", "quic", "ssl", "weird", "x509" };
    CHECK_EQ_U(vigil_stats_log_count(s), 12);
    for (size_t i = 0; i < 12; i++) {
        vigil_log_summary l;
        CHECK_EQ_U(vigil_stats_log(s, i, &l), VIGIL_OK);
        CHECK_STR(l.name, want[i]);
    }
    CHECK_EQ_U(summary(s, "conn").records, 2);
    CHECK(summary(s, "conn").first_ts == 2 && summary(s, "conn").last_ts == 5);
    vigil_log_summary l;
    CHECK_EQ_U(vigil_stats_log(s, 12, &l), VIGIL_EINVAL);
    vigil_stats_free(s);
}

TEST(stats_skips)
{
    vigil_stats *s = NULL;
    CHECK_EQ_U(vigil_stats_new(&s, NULL, NULL), VIGIL_OK);
    if (!s) return;
    vigil_diag d = { .kind = VIGIL_DIAG_SKIPPED, .reason = VIGIL_SKIP_TOO_FEW_FIELDS,
                     .file = "conn.log", .line = 7, .count = 3, .log = "conn", .detail = "x" };
    CHECK_EQ_U(vigil_stats_add_skip(s, &d), VIGIL_OK);
    d.reason = VIGIL_SKIP_BAD_TIMESTAMP;
    d.count = 1;
    CHECK_EQ_U(vigil_stats_add_skip(s, &d), VIGIL_OK);
    d.reason = VIGIL_SKIP_BINARY;
    d.log = NULL;
    CHECK_EQ_U(vigil_stats_add_skip(s, &d), VIGIL_OK);
    /* Not a skip: nothing counted. */
    vigil_diag ign = { .kind = VIGIL_DIAG_IGNORED, .file = "README", .count = 1 };
    CHECK_EQ_U(vigil_stats_add_skip(s, &ign), VIGIL_OK);
    d.reason = VIGIL_SKIP__COUNT;
    CHECK_EQ_U(vigil_stats_add_skip(s, &d), VIGIL_EINVAL);

    CHECK_EQ_U(vigil_stats_skipped_by(s, VIGIL_SKIP_TOO_FEW_FIELDS), 3);
    CHECK_EQ_U(vigil_stats_skipped_by(s, VIGIL_SKIP_BAD_TIMESTAMP), 1);
    CHECK_EQ_U(vigil_stats_skipped_by(s, VIGIL_SKIP_BINARY), 1);
    CHECK_EQ_U(vigil_stats_skipped_by(s, VIGIL_SKIP_BAD_JSON), 0);
    CHECK_EQ_U(vigil_stats_log_count(s), 2);
    vigil_log_summary c = summary(s, "conn");
    CHECK_EQ_U(c.skipped, 4);
    CHECK_EQ_U(c.records, 0);
    CHECK(c.first_ts == 0 && c.last_ts == 0);
    CHECK_EQ_U(summary(s, "unknown").skipped, 1);
    /* A record arriving later fills in the type. */
    CHECK_EQ_U(add(s, conn(9, "10.0.0.1", "8.8.8.8", VIGIL_UNSET, VIGIL_UNSET)), VIGIL_OK);
    CHECK(summary(s, "conn").type == VIGIL_LOG_CONN);
    CHECK_EQ_U(summary(s, "conn").records, 1);
    vigil_stats_free(s);
}

TEST(stats_merge)
{
    vigil_netset *nets = private_nets();
    vigil_stats *a = NULL, *b = NULL, *m = NULL;
    CHECK_EQ_U(vigil_stats_new(&a, nets, NULL), VIGIL_OK);
    CHECK_EQ_U(vigil_stats_new(&b, nets, NULL), VIGIL_OK);
    CHECK_EQ_U(vigil_stats_new(&m, nets, NULL), VIGIL_OK);
    if (!a || !b || !m) return;
    CHECK_EQ_U(add(a, conn(10, "10.0.0.1", "8.8.8.8", VIGIL_UNSET, VIGIL_UNSET)), VIGIL_OK);
    CHECK_EQ_U(add(a, conn(20, "203.0.113.5", "8.8.8.8", VIGIL_UNSET, VIGIL_UNSET)), VIGIL_OK);
    CHECK_EQ_U(add(a, other(VIGIL_LOG_DNS, "dns", 15, "10.0.0.1", "10.0.0.53")), VIGIL_OK);
    vigil_stats_add_file(a);
    CHECK_EQ_U(add(b, conn(5, "203.0.113.5", "1.1.1.1", VIGIL_TRUE, VIGIL_UNSET)), VIGIL_OK);
    CHECK_EQ_U(add(b, conn(30, "10.0.0.2", "8.8.8.8", VIGIL_UNSET, VIGIL_UNSET)), VIGIL_OK);
    CHECK_EQ_U(add(b, other(VIGIL_LOG_OTHER, "weird", 1, NULL, NULL)), VIGIL_OK);
    vigil_diag d = { .kind = VIGIL_DIAG_SKIPPED, .reason = VIGIL_SKIP_BAD_PORT,
                     .file = "conn.log", .line = 3, .count = 2, .log = "conn" };
    CHECK_EQ_U(vigil_stats_add_skip(b, &d), VIGIL_OK);
    vigil_stats_add_file(b);
    vigil_stats_add_file(b);

    CHECK_EQ_U(vigil_stats_merge(m, a), VIGIL_OK);
    CHECK_EQ_U(vigil_stats_merge(m, b), VIGIL_OK);
    CHECK_EQ_U(vigil_stats_merge(m, m), VIGIL_EINVAL);
    CHECK_EQ_U(vigil_stats_log_count(m), 3);
    vigil_log_summary c = summary(m, "conn");
    CHECK_EQ_U(c.records, 4);
    CHECK_EQ_U(c.skipped, 2);
    CHECK(c.first_ts == 5 && c.last_ts == 30);
    /* 203.0.113.5: external in a, internal (local_orig) in b -> internal. */
    CHECK_EQ_U(c.internal_addrs, 3); /* 10.0.0.1 10.0.0.2 203.0.113.5 */
    CHECK_EQ_U(c.external_addrs, 2); /* 8.8.8.8 1.1.1.1 */
    CHECK_EQ_U(summary(m, "dns").records, 1);
    CHECK_EQ_U(summary(m, "weird").records, 1);
    CHECK_EQ_U(vigil_stats_internal_addrs(m), 4); /* + 10.0.0.53 */
    CHECK_EQ_U(vigil_stats_external_addrs(m), 2);
    CHECK_EQ_U(vigil_stats_skipped_by(m, VIGIL_SKIP_BAD_PORT), 2);
    CHECK_EQ_U(vigil_stats_files(m), 3);

    /* Merging the same again changes counts but not the distinct sets. */
    CHECK_EQ_U(vigil_stats_merge(m, a), VIGIL_OK);
    CHECK_EQ_U(summary(m, "conn").records, 6);
    CHECK_EQ_U(vigil_stats_internal_addrs(m), 4);
    CHECK_EQ_U(vigil_stats_external_addrs(m), 2);
    vigil_stats_free(a);
    vigil_stats_free(b);
    vigil_stats_free(m);
    vigil_netset_free(nets);
}

/* Many distinct addresses: the set grows (several rehashes) and counts
 * exactly; adding them all again changes nothing. */
TEST(stats_many_addresses)
{
    vigil_netset *nets = private_nets();
    vigil_stats *s = NULL;
    CHECK_EQ_U(vigil_stats_new(&s, nets, NULL), VIGIL_OK);
    if (!s) return;
    for (int pass = 0; pass < 2; pass++) {
        for (uint32_t i = 0; i < 50000; i++) {
            vigil_record r = conn(i, "10.0.0.1", "8.8.8.8", VIGIL_UNSET, VIGIL_UNSET);
            /* orig 10.x.y.z (internal), resp 100.64+ range v4 (external), and
             * every 4th also an IPv6 responder */
            r.u.conn.id.orig_h.b[13] = (uint8_t)(i >> 16);
            r.u.conn.id.orig_h.b[14] = (uint8_t)(i >> 8);
            r.u.conn.id.orig_h.b[15] = (uint8_t)i;
            r.u.conn.id.resp_h.b[12] = 100;
            r.u.conn.id.resp_h.b[13] = (uint8_t)(i >> 16);
            r.u.conn.id.resp_h.b[14] = (uint8_t)(i >> 8);
            r.u.conn.id.resp_h.b[15] = (uint8_t)i;
            if (i % 4 == 0) {
                memset(&r.u.conn.id.resp_h, 0, sizeof r.u.conn.id.resp_h);
                r.u.conn.id.resp_h.b[0] = 0x20;
                r.u.conn.id.resp_h.b[1] = 0x01;
                memcpy(&r.u.conn.id.resp_h.b[12], &i, 4);
            }
            CHECK_EQ_U(vigil_stats_add(s, &r), VIGIL_OK);
        }
    }
    vigil_log_summary c = summary(s, "conn");
    CHECK_EQ_U(c.records, 100000);
    CHECK_EQ_U(c.internal_addrs, 50000);
    CHECK_EQ_U(c.external_addrs, 50000);
    CHECK_EQ_U(vigil_stats_internal_addrs(s), 50000);
    CHECK_EQ_U(vigil_stats_external_addrs(s), 50000);
    vigil_stats_free(s);
    vigil_netset_free(nets);
}

TEST(stats_bad_args)
{
    vigil_stats *s = NULL;
    CHECK_EQ_U(vigil_stats_new(NULL, NULL, NULL), VIGIL_EINVAL);
    CHECK_EQ_U(vigil_stats_new(&s, NULL, NULL), VIGIL_OK);
    CHECK_EQ_U(vigil_stats_add(s, NULL), VIGIL_EINVAL);
    CHECK_EQ_U(vigil_stats_add_skip(s, NULL), VIGIL_EINVAL);
    CHECK_EQ_U(vigil_stats_merge(NULL, s), VIGIL_EINVAL);
    CHECK_EQ_U(vigil_stats_log_count(NULL), 0);
    CHECK_EQ_U(vigil_stats_files(NULL), 0);
    CHECK_EQ_U(vigil_stats_skipped_by(s, (vigil_skip_reason)999), 0);
    /* A record without a path is counted under its family's name. */
    vigil_record r = conn(1, "10.0.0.1", "8.8.8.8", VIGIL_UNSET, VIGIL_UNSET);
    r.path = NULL;
    CHECK_EQ_U(vigil_stats_add(s, &r), VIGIL_OK);
    CHECK_EQ_U(summary(s, "conn").records, 1);
    vigil_stats_free(s);
    vigil_stats_free(NULL);
}

/* ---- allocation failure ------------------------------------------------------- */

/* A workload touching every allocation site: new, logs created in sorted
 * position (array growth), address sets created and grown, skips creating
 * logs, merge.  Stops at the first error and returns it. */
static vigil_status workload(const vigil_allocator *al, const vigil_netset *nets)
{
    vigil_stats *s = NULL, *t = NULL;
    vigil_status rc = vigil_stats_new(&s, nets, al);
    if (rc == VIGIL_OK) rc = vigil_stats_new(&t, nets, al);
    static const char *names[] = { "x1", "x2", "x3", "x4", "x5", "x6", "x7", "x8", "x9", "conn" };
    for (uint32_t i = 0; i < 400 && rc == VIGIL_OK; i++) {
        vigil_record r = conn(i, "10.0.0.1", "8.8.8.8", VIGIL_UNSET, i & 1 ? VIGIL_TRUE : VIGIL_UNSET);
        r.path = names[i % 10];
        r.u.conn.id.resp_h.b[14] = (uint8_t)(i >> 8);
        r.u.conn.id.resp_h.b[15] = (uint8_t)i;
        rc = vigil_stats_add(i < 200 ? s : t, &r);
    }
    if (rc == VIGIL_OK) {
        vigil_diag d = { .kind = VIGIL_DIAG_SKIPPED, .reason = VIGIL_SKIP_BAD_JSON,
                         .file = "f", .count = 1, .log = "zz" };
        rc = vigil_stats_add_skip(t, &d);
    }
    if (rc == VIGIL_OK) rc = vigil_stats_merge(s, t);
    if (rc == VIGIL_OK) {
        CHECK_EQ_U(summary(s, "conn").records, 40);
        CHECK_EQ_U(vigil_stats_log_count(s), 11);
        CHECK_EQ_U(vigil_stats_external_addrs(s) + vigil_stats_internal_addrs(s), 401);
    }
    vigil_stats_free(s);
    vigil_stats_free(t);
    return rc;
}

TEST(stats_enomem)
{
    vigil_netset *nets = private_nets();
    int completed = 0;
    long n;
    for (n = 1; n < 5000 && !completed; n++) {
        test_fail_alloc f;
        vigil_allocator a = test_fail_allocator(&f, n);
        vigil_status rc = workload(&a, nets);
        if (rc == VIGIL_OK) completed = 1;
        else CHECK_EQ_U(rc, VIGIL_ENOMEM);
        if (f.live) {
            fprintf(stderr, "  failing allocation %ld leaked %ld blocks\n", n, f.live);
            CHECK(f.live == 0);
        }
    }
    CHECK(completed);
    CHECK(n > 20);
    vigil_netset_free(nets);
}

/* ---- scanning files ------------------------------------------------------------ */

static const char conn_log[] =
    "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n"
    "#path\tconn\n"
    "#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tlocal_orig\tlocal_resp\n"
    "#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tbool\tbool\n"
    "1515000000.5\tC1\t10.0.0.1\t5000\t8.8.8.8\t53\tudp\tT\tF\n"
    "1515000100.0\tC2\t203.0.113.9\t5001\t8.8.4.4\t443\ttcp\tT\tF\n"
    "1514999999.0\tC3\t10.0.0.2\t5002\t8.8.8.8\t443\ttcp\t-\t-\n";

/* Writes tmpdir/name and returns a heap copy of its path. */
static char *write_tmp(const char *name, const void *data, size_t len)
{
    const char *p = test_write_file(name, data, len);
    char *c = malloc(strlen(p) + 1);
    if (c) strcpy(c, p);
    return c;
}

/* Scans the same files with `threads` threads; checks the totals. */
static void scan_and_check(char **files, size_t n, int threads)
{
    vigil_netset *nets = private_nets();
    vigil_stats *s = NULL;
    CHECK_EQ_U(vigil_stats_new(&s, nets, NULL), VIGIL_OK);
    if (!s) return;
    test_diags d = { 0 };
    vigil_reader_opts o = { 0 };
    o.diag = test_diags_record;
    o.diag_user = &d;
    size_t bad = 99;
    CHECK_EQ_U(vigil_stats_scan(s, (const char *const *)files, n, threads, &o, &bad), VIGIL_OK);
    CHECK_EQ_U(bad, 1);
    CHECK_EQ_U(d.unreadable, 1);
    CHECK(strstr(d.last_unreadable, "missing.log") != NULL);
    CHECK_EQ_U(d.skipped_by[VIGIL_SKIP_BINARY], 1);
    CHECK_EQ_U(d.skipped_by[VIGIL_SKIP_UNKNOWN_LOG_TYPE], 1);
    CHECK_EQ_U(vigil_stats_skipped_by(s, VIGIL_SKIP_BINARY), 1);
    CHECK_EQ_U(vigil_stats_skipped_by(s, VIGIL_SKIP_UNKNOWN_LOG_TYPE), 1);
    CHECK_EQ_U(summary(s, "unknown").skipped, 2);
    CHECK_EQ_U(vigil_stats_files(s), 3); /* the conn logs that opened */
    vigil_log_summary c = summary(s, "conn");
    CHECK_EQ_U(c.records, 9);
    CHECK(c.first_ts == 1514999999.0 && c.last_ts == 1515000100.0);
    CHECK_EQ_U(c.internal_addrs, 3); /* 10.0.0.1 10.0.0.2 203.0.113.9 (local_orig) */
    CHECK_EQ_U(c.external_addrs, 2);
    vigil_stats_free(s);
    vigil_netset_free(nets);
}

TEST(stats_scan_files)
{
    static const unsigned char binary[] = { 'M', 'Z', 0, 0, 3, 0, 0, 0, 4, 0, 'x', 'y' };
    static const char text[] = "Dear colleague,\nplease find the invoice attached.\n";
    char *files[6];
    mkdir(test_tmpdir(), 0755);
    files[0] = write_tmp("conn.log", conn_log, strlen(conn_log));
    files[1] = write_tmp("conn.2.log", conn_log, strlen(conn_log));
    files[2] = write_tmp("junk.bin", binary, sizeof binary);
    files[3] = write_tmp("letter.txt", text, strlen(text));
    files[4] = write_tmp("conn.3.log", conn_log, strlen(conn_log));
    char miss[600];
    snprintf(miss, sizeof miss, "%s/missing.log", test_tmpdir());
    files[5] = miss;
    scan_and_check(files, 6, 1);
    scan_and_check(files, 6, 4);
    scan_and_check(files, 6, 0);
    scan_and_check(files, 6, 64);
    for (int i = 0; i < 5; i++) free(files[i]);
}

TEST(stats_scan_empty)
{
    vigil_stats *s = NULL;
    CHECK_EQ_U(vigil_stats_new(&s, NULL, NULL), VIGIL_OK);
    size_t bad = 7;
    CHECK_EQ_U(vigil_stats_scan(s, NULL, 0, 0, NULL, &bad), VIGIL_OK);
    CHECK_EQ_U(bad, 0);
    CHECK_EQ_U(vigil_stats_log_count(s), 0);
    CHECK_EQ_U(vigil_stats_scan(NULL, NULL, 0, 0, NULL, NULL), VIGIL_EINVAL);
    vigil_stats_free(s);
}

/* Allocation failure inside a scan (one thread, so the counting allocator
 * needs no lock): VIGIL_ENOMEM, nothing leaked, and in the end a clean run. */
TEST(stats_scan_enomem)
{
    char *files[2];
    files[0] = write_tmp("conn.log", conn_log, strlen(conn_log));
    files[1] = write_tmp("dns.log", conn_log, strlen(conn_log));
    int completed = 0;
    long n;
    for (n = 1; n < 2000 && !completed; n++) {
        test_fail_alloc f;
        vigil_allocator a = test_fail_allocator(&f, n);
        vigil_stats *s = NULL;
        vigil_status rc = vigil_stats_new(&s, NULL, &a);
        size_t bad = 0;
        if (rc == VIGIL_OK) rc = vigil_stats_scan(s, (const char *const *)files, 2, 1, NULL, &bad);
        if (rc == VIGIL_OK) {
            completed = 1;
            CHECK_EQ_U(summary(s, "conn").records, 6);
            CHECK_EQ_U(bad, 0);
        } else {
            CHECK_EQ_U(rc, VIGIL_ENOMEM);
        }
        vigil_stats_free(s);
        if (f.live) {
            fprintf(stderr, "  failing allocation %ld leaked %ld blocks\n", n, f.live);
            CHECK(f.live == 0);
        }
    }
    CHECK(completed);
    free(files[0]);
    free(files[1]);
}

/* The real data read on one thread and on many gives the same numbers. */
TEST(stats_scan_real_threads_agree)
{
    char root[512];
    test_real_path("", root, sizeof root);
    const char *argv[] = { root };
    vigil_pathlist l;
    CHECK_EQ_U(vigil_paths_expand(&l, argv, 1, NULL, NULL, NULL), VIGIL_OK);
    vigil_netset *nets = private_nets();
    vigil_stats *one = NULL, *many = NULL;
    CHECK_EQ_U(vigil_stats_new(&one, nets, NULL), VIGIL_OK);
    CHECK_EQ_U(vigil_stats_new(&many, nets, NULL), VIGIL_OK);
    if (!one || !many) return;
    size_t b1 = 0, b2 = 0;
    vigil_status r1 = vigil_stats_scan(one, (const char *const *)l.files, l.count, 1, NULL, &b1);
    vigil_status r2 = vigil_stats_scan(many, (const char *const *)l.files, l.count, 8, NULL, &b2);
    CHECK_EQ_U(r1, VIGIL_OK);
    CHECK_EQ_U(r2, VIGIL_OK);
    CHECK_EQ_U(b1, b2);
    CHECK_EQ_U(vigil_stats_log_count(one), vigil_stats_log_count(many));
    for (size_t i = 0; i < vigil_stats_log_count(one); i++) {
        vigil_log_summary x, y;
        vigil_stats_log(one, i, &x);
        vigil_stats_log(many, i, &y);
        CHECK_STR(x.name, y.name);
        CHECK_EQ_U(x.records, y.records);
        CHECK_EQ_U(x.skipped, y.skipped);
        CHECK(x.first_ts == y.first_ts && x.last_ts == y.last_ts);
        CHECK_EQ_U(x.internal_addrs, y.internal_addrs);
        CHECK_EQ_U(x.external_addrs, y.external_addrs);
    }
    CHECK_EQ_U(vigil_stats_files(one), vigil_stats_files(many));
    CHECK_EQ_U(vigil_stats_internal_addrs(one), vigil_stats_internal_addrs(many));
    CHECK_EQ_U(vigil_stats_external_addrs(one), vigil_stats_external_addrs(many));
    for (int r = 0; r < VIGIL_SKIP__COUNT; r++)
        CHECK_EQ_U(vigil_stats_skipped_by(one, (vigil_skip_reason)r),
                   vigil_stats_skipped_by(many, (vigil_skip_reason)r));
    /* The njrat conn log is 1,000 lines with its header: records there. */
    CHECK(summary(one, "conn").records > 1000);
    vigil_stats_free(one);
    vigil_stats_free(many);
    vigil_netset_free(nets);
    vigil_pathlist_free(&l);
}
