/* test_read_paths.c -- tests of lib/read_paths.c: PATH expansion, walks, globs, dedupe. */
#include "fixture.h"
#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- helpers ----------------------------------------------------------------- */

/* tmpdir/rel, in a rotating static buffer (several may be live at once). */
static const char *tpath(const char *rel)
{
    static char bufs[8][512];
    static int k;
    char *b = bufs[k++ & 7];
    snprintf(b, sizeof bufs[0], "%s/%s", test_tmpdir(), rel);
    return b;
}

static void mkdirs(const char *rel)
{
    char p[512];
    snprintf(p, sizeof p, "%s/%s", test_tmpdir(), rel);
    for (char *s = p + strlen(test_tmpdir()) + 1; *s; s++)
        if (*s == '/') { *s = 0; mkdir(p, 0755); *s = '/'; }
    mkdir(p, 0755);
}

static void put(const char *rel, const char *text)
{
    test_write_file(rel, text, strlen(text));
}

static const char zeek_head[] =
    "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n"
    "#path\tconn\n#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\n"
    "#types\ttime\tstring\taddr\tport\taddr\tport\n";

/* Bytes with the gzip magic: enough for vigil_looks_like_log, which judges
 * compressed files by their name. */
static const unsigned char gz_bytes[] = { 0x1f, 0x8b, 0x08, 0x00, 0, 0, 0, 0, 0, 3, 1, 2 };

/* Builds Zeek's archive layout plus the usual non-log clutter:
 *   root/.hidden.log                     hidden: ignored
 *   root/2018-01-01/conn.00:00:00-01:00:00.log.gz
 *   root/2018-01-01/conn.01:00:00-02:00:00.log.gz
 *   root/2018-01-01/dns.00:00:00-01:00:00.log.gz
 *   root/2018-01-02/conn.00:00:00-01:00:00.log.gz
 *   root/README  root/SHA256SUMS  root/labels.config   ignored
 *   root/nested/deeper/ssl.log
 *   root/nested/notes.txt                ignored
 *   root/nested/loop -> ..               symlink loop
 *   root/nested/same.log -> ../2018-01-02/conn...  duplicate by inode
 *   extra/x1.log extra/x2.log extra/skip.txt       glob target */
static void build_tree(void)
{
    mkdirs("root/2018-01-01");
    mkdirs("root/2018-01-02");
    mkdirs("root/nested/deeper");
    mkdirs("extra");
    test_write_file("root/2018-01-01/conn.00:00:00-01:00:00.log.gz", gz_bytes, sizeof gz_bytes);
    test_write_file("root/2018-01-01/conn.01:00:00-02:00:00.log.gz", gz_bytes, sizeof gz_bytes);
    test_write_file("root/2018-01-01/dns.00:00:00-01:00:00.log.gz", gz_bytes, sizeof gz_bytes);
    test_write_file("root/2018-01-02/conn.00:00:00-01:00:00.log.gz", gz_bytes, sizeof gz_bytes);
    put("root/.hidden.log", zeek_head);
    put("root/README", "These are the logs of January.\n");
    put("root/SHA256SUMS",
        "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08  conn.log\n");
    put("root/labels.config", "# labels of the netflowlabeler\nBenign:\n  - Proto=UDP\n");
    put("root/nested/deeper/ssl.log", zeek_head);
    put("root/nested/notes.txt", "nothing here\n");
    CHECK(symlink("..", tpath("root/nested/loop")) == 0);
    CHECK(symlink("../2018-01-02/conn.00:00:00-01:00:00.log.gz", tpath("root/nested/same.log")) == 0);
    put("extra/x1.log", zeek_head);
    put("extra/x2.log", zeek_head);
    put("extra/skip.txt", "not matched by the pattern\n");
}

/* ---- tests ------------------------------------------------------------------- */

TEST(paths_tree)
{
    build_tree();
    const char *argv[] = {
        tpath("root"),
        tpath("root/2018-01-01/conn.01:00:00-02:00:00.log.gz"), /* duplicate */
        tpath("extra/x*.log"),                                   /* glob */
        tpath("does-not-exist.log"),                             /* missing */
        tpath("nomatch-*.log"),                                  /* glob, no match */
        tpath("root/nested"),                                    /* walked already */
    };
    test_diags dl = { 0 };
    vigil_pathlist l;
    CHECK_EQ_U(vigil_paths_expand(&l, argv, 6, NULL, test_diags_record, &dl), VIGIL_OK);
    static const char *want[] = {
        "root/2018-01-01/conn.00:00:00-01:00:00.log.gz",
        "root/2018-01-01/conn.01:00:00-02:00:00.log.gz",
        "root/2018-01-01/dns.00:00:00-01:00:00.log.gz",
        "root/2018-01-02/conn.00:00:00-01:00:00.log.gz",
        "root/nested/deeper/ssl.log",
        "extra/x1.log",
        "extra/x2.log",
    };
    size_t nwant = sizeof want / sizeof want[0];
    CHECK_EQ_U(l.count, nwant);
    for (size_t i = 0; i < nwant && i < l.count; i++) CHECK_STR(l.files[i], tpath(want[i]));

    /* Ignored: each once, in walk order. */
    CHECK_EQ_U(l.ignored, 5);
    CHECK_EQ_U(l.unreadable, 2);
    CHECK_EQ_U(dl.n, 7);
    static const char *ign[] = { "root/.hidden.log", "root/README", "root/SHA256SUMS",
                                 "root/labels.config", "root/nested/notes.txt" };
    for (int i = 0; i < 5; i++) {
        int k = test_diags_find(&dl, tpath(ign[i]));
        CHECK(k == i);
        if (k < 0) continue;
        CHECK_EQ_U(dl.kind[k], VIGIL_DIAG_IGNORED);
        CHECK_STR(dl.detail[k], i == 0 ? "hidden file" : "not a log");
    }
    int k = test_diags_find(&dl, tpath("does-not-exist.log"));
    CHECK(k == 5);
    if (k >= 0) {
        CHECK_EQ_U(dl.kind[k], VIGIL_DIAG_UNREADABLE);
        CHECK_STR(dl.detail[k], strerror(ENOENT));
    }
    k = test_diags_find(&dl, tpath("nomatch-*.log"));
    CHECK(k == 6);
    if (k >= 0) {
        CHECK_EQ_U(dl.kind[k], VIGIL_DIAG_UNREADABLE);
        CHECK_STR(dl.detail[k], strerror(ENOENT));
    }
    vigil_pathlist_free(&l);
    CHECK(l.files == NULL && l.count == 0);
    vigil_pathlist_free(&l); /* twice is harmless */
}

/* A directory argument with a trailing slash, a file argument taken as given
 * (even a README), and a hidden directory. */
TEST(paths_given_and_slash)
{
    mkdirs("d/.git");
    mkdirs("d/sub");
    put("d/.git/HEAD", "ref: refs/heads/main\n");
    put("d/sub/http.log", zeek_head);
    put("d/README.md", "# readme\n");
    put("d/conn.log", zeek_head);
    char slash[600];
    snprintf(slash, sizeof slash, "%s/", tpath("d"));
    const char *argv[] = { tpath("d/README.md"), slash };
    test_diags dl = { 0 };
    vigil_pathlist l;
    CHECK_EQ_U(vigil_paths_expand(&l, argv, 2, NULL, test_diags_record, &dl), VIGIL_OK);
    CHECK_EQ_U(l.count, 3);
    if (l.count == 3) {
        CHECK_STR(l.files[0], tpath("d/README.md"));  /* as given */
        CHECK_STR(l.files[1], tpath("d/conn.log"));   /* one slash only */
        CHECK_STR(l.files[2], tpath("d/sub/http.log"));
    }
    /* .git reported once, not descended; README.md already kept, silent. */
    CHECK_EQ_U(l.ignored, 1);
    CHECK_EQ_U(l.unreadable, 0);
    CHECK_EQ_U(dl.n, 1);
    CHECK_STR(dl.file[0], tpath("d/.git"));
    CHECK_STR(dl.detail[0], "hidden directory");
    vigil_pathlist_free(&l);
}

/* A README ignored by a walk and then named by the user is read after all;
 * an empty conn.log in a walk is a (clean, empty) log. */
TEST(paths_ignored_then_given)
{
    mkdirs("w");
    put("w/README", "hello\n");
    put("w/conn.log", "");
    put("w/empty", "");
    const char *argv[] = { tpath("w"), tpath("w/README") };
    test_diags dl = { 0 };
    vigil_pathlist l;
    CHECK_EQ_U(vigil_paths_expand(&l, argv, 2, NULL, test_diags_record, &dl), VIGIL_OK);
    CHECK_EQ_U(l.count, 2);
    if (l.count == 2) {
        CHECK_STR(l.files[0], tpath("w/conn.log"));
        CHECK_STR(l.files[1], tpath("w/README"));
    }
    CHECK_EQ_U(l.ignored, 2); /* README (reported during the walk) and empty */
    vigil_pathlist_free(&l);
}

/* Unreadable entries inside a walk: a dangling symlink, a symlink loop, and
 * (when not running as root, which reads everything) a mode-000 file. */
TEST(paths_unreadable_entries)
{
    mkdirs("u/locked");
    put("u/conn.log", zeek_head);
    put("u/secret.log", zeek_head);
    CHECK(symlink("nowhere.log", tpath("u/dangling.log")) == 0);
    CHECK(symlink("loop-b", tpath("u/loop-a")) == 0);
    CHECK(symlink("loop-a", tpath("u/loop-b")) == 0);
    int root = geteuid() == 0;
    chmod(tpath("u/secret.log"), 0);
    chmod(tpath("u/locked"), 0);
    const char *argv[] = { tpath("u") };
    test_diags dl = { 0 };
    vigil_pathlist l;
    CHECK_EQ_U(vigil_paths_expand(&l, argv, 1, NULL, test_diags_record, &dl), VIGIL_OK);
    int k = test_diags_find(&dl, tpath("u/dangling.log"));
    CHECK(k >= 0);
    if (k >= 0) {
        CHECK_EQ_U(dl.kind[k], VIGIL_DIAG_UNREADABLE);
        CHECK_STR(dl.detail[k], strerror(ENOENT));
    }
    k = test_diags_find(&dl, tpath("u/loop-a"));
    CHECK(k >= 0);
    if (k >= 0) CHECK_STR(dl.detail[k], strerror(ELOOP));
    CHECK(test_diags_find(&dl, tpath("u/loop-b")) >= 0);
    if (root) {
        CHECK_EQ_U(l.unreadable, 3);
        CHECK_EQ_U(l.count, 2); /* conn.log, secret.log */
    } else {
        CHECK_EQ_U(l.unreadable, 5);
        CHECK_EQ_U(l.count, 1);
        k = test_diags_find(&dl, tpath("u/secret.log"));
        CHECK(k >= 0);
        if (k >= 0) CHECK_STR(dl.detail[k], strerror(EACCES));
        k = test_diags_find(&dl, tpath("u/locked"));
        CHECK(k >= 0);
        if (k >= 0) CHECK_STR(dl.detail[k], strerror(EACCES));
    }
    if (l.count) CHECK_STR(l.files[0], tpath("u/conn.log"));
    chmod(tpath("u/locked"), 0755);
    chmod(tpath("u/secret.log"), 0644);
    vigil_pathlist_free(&l);
}

TEST(paths_no_args_and_null_diag)
{
    vigil_pathlist l;
    CHECK_EQ_U(vigil_paths_expand(&l, NULL, 0, NULL, NULL, NULL), VIGIL_OK);
    CHECK_EQ_U(l.count, 0);
    vigil_pathlist_free(&l);
    const char *argv[] = { "/nonexistent/vigil/x", "" };
    CHECK_EQ_U(vigil_paths_expand(&l, argv, 2, NULL, NULL, NULL), VIGIL_OK);
    CHECK_EQ_U(l.unreadable, 2);
    vigil_pathlist_free(&l);
    CHECK_EQ_U(vigil_paths_expand(NULL, argv, 1, NULL, NULL, NULL), VIGIL_EINVAL);
}

/* ---- allocation failure ------------------------------------------------------- */

TEST(paths_enomem)
{
    build_tree();
    const char *argv[] = { tpath("root"), tpath("extra/x*.log"), tpath("root/README") };
    long n;
    int completed = 0;
    for (n = 1; n < 1000 && !completed; n++) {
        test_fail_alloc f;
        vigil_allocator a = test_fail_allocator(&f, n);
        vigil_pathlist l;
        vigil_status rc = vigil_paths_expand(&l, argv, 3, &a, NULL, NULL);
        if (rc == VIGIL_OK) {
            completed = 1;
            CHECK_EQ_U(l.count, 8);
            vigil_pathlist_free(&l);
        } else {
            CHECK_EQ_U(rc, VIGIL_ENOMEM);
            CHECK(l.files == NULL && l.count == 0 && l.alloc == NULL);
        }
        if (f.live != 0) {
            fprintf(stderr, "  failing allocation %ld leaked %ld blocks\n", n, f.live);
            CHECK(f.live == 0);
        }
    }
    CHECK(completed);
    CHECK(n > 10); /* many distinct allocations were failed in turn */
}

/* ---- the real data tree ------------------------------------------------------- */

static int in_list(const char *const *v, size_t n, const char *s)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(v[i], s) == 0) return 1;
    return 0;
}

TEST(paths_real_tree)
{
    char root[512];
    test_real_path("", root, sizeof root);
    size_t rootlen = strlen(root);
    const char *argv[] = { root };
    test_diags dl = { 0 };
    vigil_pathlist l;
    CHECK_EQ_U(vigil_paths_expand(&l, argv, 1, NULL, test_diags_record, &dl), VIGIL_OK);
    static const char *kept[] = {
        "android-rat/conn.log", "android-rat/dns.log",
        "ctu-normal-42-day2/conn.log.labeled", "ctu-normal-42-day2/dns.log.labeled",
        "ctu-normal-42-day2/http.log.labeled", "ctu-normal-42-day2/notice.log.labeled",
        "ctu-normal-42-day2/ssl.log.labeled", "ctu-normal-42-day2/weird.log.labeled",
        "ctu-normal-43-day1/conn.log.labeled", "ctu-normal-43-day1/dns.log.labeled",
        "ctu-normal-43-day1/http.log.labeled", "ctu-normal-43-day1/notice.log.labeled",
        "ctu-normal-43-day1/ssl.log.labeled", "ctu-normal-43-day1/weird.log.labeled",
        "ctu-normal-day/conn.log.labeled", "ctu-normal-day/http.log.labeled",
        "ctu-normal-day/ssl.log.labeled",
        "njrat/conn.log.labeled",
        "pcap/test-cc-capture-1.pcap", "pcap/test-cc-capture-2.pcap",
        "remcos/conn.log.labeled", "remcos/dhcp.log.labeled", "remcos/dns.log.labeled",
        "remcos/notice.log.labeled", "remcos/quic.log.labeled", "remcos/ssl.log.labeled",
        "simda/conn.log", "simda/dns.log", "simda/http.log",
        "suricata-eve/test6-malicious.suricata.json",
    };
    size_t nkept = sizeof kept / sizeof kept[0];
    CHECK_EQ_U(l.count, nkept);
    for (size_t i = 0; i < l.count && i < nkept; i++) {
        /* Same order: sorted by name within each directory. */
        const char *rel = l.files[i] + rootlen;
        while (*rel == '/') rel++;
        CHECK_STR(rel, kept[i]);
    }
    /* Everything else is documentation, checksums, licences, configs or
     * mail (not read yet): ignored, each reported once. */
    CHECK_EQ_U(l.ignored, (size_t)dl.n);
    CHECK_EQ_U(l.unreadable, 0);
    static const char *ignored_some[] = {
        "README.md", "LICENSE-slips", "LICENSE-stratosphere-datasets",
        "android-rat/SHA256SUMS", "android-rat/ORIGINAL_README.md", "njrat/SOURCE.md",
        "ctu-normal-42-day2/labels.config", "remcos/labels.config",
        "mail/phishing_pot-sample-10.eml", "mail/LICENSE.phishing_pot.txt",
        "pcap/SOURCE-test-cc-capture-1.md", "suricata-eve/SHA256SUMS",
    };
    for (size_t i = 0; i < sizeof ignored_some / sizeof ignored_some[0]; i++) {
        char full[1024];
        snprintf(full, sizeof full, "%s%s%s", root,
                 rootlen && root[rootlen - 1] == '/' ? "" : "/", ignored_some[i]);
        int k = test_diags_find(&dl, full);
        if (k < 0) fprintf(stderr, "  not reported: %s\n", full);
        CHECK(k >= 0);
        if (k >= 0) CHECK_EQ_U(dl.kind[k], VIGIL_DIAG_IGNORED);
    }
    /* No .md, SHA256SUMS, LICENSE or .eml is in the list. */
    for (size_t i = 0; i < l.count; i++) {
        CHECK(strstr(l.files[i], ".md") == NULL);
        CHECK(strstr(l.files[i], "SHA256SUMS") == NULL);
        CHECK(strstr(l.files[i], ".eml") == NULL);
        CHECK(!in_list(ignored_some, sizeof ignored_some / sizeof ignored_some[0], l.files[i]));
    }
    vigil_pathlist_free(&l);
}
