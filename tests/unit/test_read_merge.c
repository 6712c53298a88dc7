/* test_read_merge.c -- vigil_merge: hourly Zeek files back into ts order. */
#include <math.h>
#include <stdlib.h>
#include <time.h>
#include <sys/stat.h>
#include <zlib.h>
#include "fixture.h"

/* ---- a small generated world ------------------------------------------------ */

/* One generated connection. */
typedef struct gconn {
    double ts;     /* start (Zeek's ts) */
    double dur;    /* duration */
    double wr;     /* when Zeek writes it: end plus a few seconds */
    uint32_t id;   /* uid number: uid is "C%07u" */
    int dns;       /* 1: a dns record, not a conn */
} gconn;

/* What a generated set of files holds. */
typedef struct world {
    char (*paths)[256];  /* the files written, in hour order */
    size_t nfiles;
    gconn *c;            /* the records, sorted by write time */
    size_t n;
    size_t nconn;        /* records that are conn (the rest dns) */
} world;

static uint64_t rng_state;
static double rnd(void) /* uniform in [0, 1), deterministic */
{
    rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (double)(rng_state >> 11) / 9007199254740992.0;
}

static int by_write_time(const void *a, const void *b)
{
    const gconn *x = a, *y = b;
    return x->wr < y->wr ? -1 : x->wr > y->wr ? 1 : (x->id > y->id) - (x->id < y->id);
}

#define CONN_HDR "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n" \
    "#unset_field\t-\n#path\tconn\n#open\t2018-01-01-00-00-00\n" \
    "#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tduration\n" \
    "#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tinterval\n"
#define DNS_HDR "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n" \
    "#unset_field\t-\n#path\tdns\n#open\t2018-01-01-00-00-00\n" \
    "#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tquery\n" \
    "#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tstring\n"

/* Appends text to a growing buffer. */
typedef struct sbuf { char *p; size_t n, cap; } sbuf;
static void sb_add(sbuf *b, const char *s, size_t n)
{
    if (b->n + n + 1 > b->cap) {
        b->cap = (b->n + n + 1) * 2;
        b->p = realloc(b->p, b->cap);
        if (!b->p) abort();
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = 0;
}

/* Writes one file, gzip'd or plain, under tmpdir/YYYY-MM-DD/. */
static void write_log(world *w, const char *family, double hour_ts, int gz, const sbuf *text)
{
    time_t t = (time_t)hour_ts;
    struct tm tm;
    gmtime_r(&t, &tm);
    char dir[200];
    snprintf(dir, sizeof dir, "%s/%04d-%02d-%02d", test_tmpdir(), tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday);
    mkdir(dir, 0700);
    char *p = w->paths[w->nfiles++];
    snprintf(p, 256, "%s/%s.%02d:00:00-%02d:00:00.log%s", dir, family, tm.tm_hour,
             (tm.tm_hour + 1) % 24, gz ? ".gz" : "");
    if (gz) {
        gzFile f = gzopen(p, "wb");
        if (!f || gzwrite(f, text->p, (unsigned)text->n) != (int)text->n) abort();
        gzclose(f);
    } else {
        FILE *f = fopen(p, "wb");
        if (!f || fwrite(text->p, 1, text->n, f) != text->n) abort();
        fclose(f);
    }
}

/* Generates `hours` hourly files from t0 (an hour boundary) with about
 * `per_hour` records each, the way Zeek writes them: in order of when the
 * connection ended, into the file of that hour.  Durations are mostly short,
 * a few up to 3000 s (inside the default window); `nlong` more last
 * `long_dur` seconds.  Every `gz_every`-th file is gzip'd (0: none).  With
 * `with_dns`, a third of the records go to dns files beside the conn ones. */
static void make_world(world *w, double t0, int hours, int per_hour, int nlong,
                       double long_dur, int gz_every, int with_dns)
{
    memset(w, 0, sizeof *w);
    rng_state = 42;
    size_t n = (size_t)hours * (size_t)per_hour + (size_t)nlong;
    w->c = calloc(n, sizeof *w->c);
    double span = hours * 3600.0;
    for (size_t i = 0; i < n; i++) {
        gconn *c = &w->c[i];
        c->id = (uint32_t)i;
        double u = rnd();
        c->dur = u < 0.9 ? rnd() * 30 : u < 0.99 ? 30 + rnd() * 570 : 600 + rnd() * 2400;
        if (i >= n - (size_t)nlong) c->dur = long_dur;
        /* Start so that the write falls inside the span. */
        double room = span - c->dur - 10;
        c->ts = t0 + rnd() * (room > 0 ? room : 1);
        c->ts = floor(c->ts * 1e6) / 1e6;
        c->dur = floor(c->dur * 1e6) / 1e6;
        c->wr = c->ts + c->dur + rnd() * 5;
        c->dns = with_dns && i % 3 == 0;
        if (!c->dns) w->nconn++;
    }
    qsort(w->c, n, sizeof *w->c, by_write_time);
    w->n = n;
    w->paths = calloc((size_t)hours * 2 + 2, sizeof *w->paths);
    size_t k = 0;
    for (int h = 0; h < hours; h++) {
        double end = t0 + (h + 1) * 3600.0;
        sbuf conn = { 0 }, dns = { 0 };
        sb_add(&conn, CONN_HDR, strlen(CONN_HDR));
        sb_add(&dns, DNS_HDR, strlen(DNS_HDR));
        for (; k < n && (w->c[k].wr < end || h == hours - 1); k++) {
            const gconn *c = &w->c[k];
            char line[256];
            int len;
            if (c->dns)
                len = snprintf(line, sizeof line,
                               "%.6f\tC%07u\t10.0.%u.%u\t%u\t192.0.2.53\t53\tudp\tq%u.example\n",
                               c->ts, c->id, c->id % 200, c->id % 250 + 1,
                               1024 + c->id % 60000, c->id);
            else
                len = snprintf(line, sizeof line,
                               "%.6f\tC%07u\t10.0.%u.%u\t%u\t192.0.2.%u\t443\ttcp\t%.6f\n",
                               c->ts, c->id, c->id % 200, c->id % 250 + 1,
                               1024 + c->id % 60000, c->id % 200 + 1, c->dur);
            sb_add(c->dns ? &dns : &conn, line, (size_t)len);
        }
        sb_add(&conn, "#close\t2018-01-01-00-00-00\n", 26);
        int gz = gz_every && h % gz_every == 0;
        write_log(w, "conn", end - 3600, gz, &conn);
        if (with_dns) write_log(w, "dns", end - 3600, !gz, &dns);
        free(conn.p);
        free(dns.p);
    }
}

static void free_world(world *w)
{
    free(w->paths);
    free(w->c);
}

/* ---- reading the merged stream -------------------------------------------- */

/* What came out of a merge. */
typedef struct drained {
    size_t n;             /* records */
    size_t dups;          /* uids seen more than once */
    size_t disorder;      /* records with ts below the largest before them */
    size_t bad_strings;   /* records whose copied strings looked wrong */
    uint64_t order_hash;  /* hash of the uid sequence (order-sensitive) */
    unsigned char *seen;  /* per uid number: times seen */
    size_t nseen;
    uint32_t late_ids[16];/* uids of the out-of-order records */
    vigil_status rc;      /* last status of vigil_merge_next */
} drained;

static void drain(vigil_merge *m, drained *d, size_t nuid)
{
    memset(d, 0, sizeof *d);
    d->seen = calloc(nuid ? nuid : 1, 1);
    d->nseen = nuid;
    double max = -INFINITY;
    const vigil_record *rec;
    while ((d->rc = vigil_merge_next(m, &rec)) == VIGIL_OK && rec) {
        const vigil_str *uid = &rec->u.conn.id.uid;
        char tmp[16] = { 0 };
        if (uid->p && uid->len < sizeof tmp) memcpy(tmp, uid->p, uid->len);
        unsigned long id = strtoul(tmp + 1, NULL, 10);
        if (tmp[0] != 'C' || id >= nuid) d->bad_strings++;
        else if (d->seen[id]++) d->dups++;
        if (rec->type == VIGIL_LOG_DNS) {
            char q[32];
            int ql = snprintf(q, sizeof q, "q%lu.example", id);
            if (rec->u.dns.query.len != (size_t)ql || memcmp(rec->u.dns.query.p, q, (size_t)ql))
                d->bad_strings++;
            if (strcmp(rec->path, "dns") != 0) d->bad_strings++;
        } else if (strcmp(rec->path, "conn") != 0 || !strstr(rec->file, "/conn.")) {
            d->bad_strings++;
        }
        if (rec->ts < max) {
            if (d->disorder < 16) d->late_ids[d->disorder] = (uint32_t)id;
            d->disorder++;
        } else {
            max = rec->ts;
        }
        d->order_hash = (d->order_hash ^ id) * 1099511628211ULL;
        d->n++;
    }
}

/* Pointers to the world's paths in a shuffled order (the merge must not
 * depend on the order it is given files in). */
static const char **shuffled(const world *w)
{
    const char **v = malloc(w->nfiles * sizeof *v);
    for (size_t i = 0; i < w->nfiles; i++) v[i] = w->paths[i];
    for (size_t i = w->nfiles; i > 1; i--) {
        size_t j = (size_t)(rnd() * (double)i);
        const char *t = v[i - 1];
        v[i - 1] = v[j];
        v[j] = t;
    }
    return v;
}

/* 2017-12-31 12:00:00 UTC: a run that crosses into 2018. */
#define T0 1514721600.0

/* ---- tests ------------------------------------------------------------------- */

TEST(merge_hourly_files_across_years_sorted)
{
    world w;
    make_world(&w, T0, 36, 600, 0, 0, 2, 0); /* 36 h, 21600 records */
    CHECK_EQ_U(w.nfiles, 36);
    const char **files = shuffled(&w);
    test_diags g = { 0 };
    vigil_merge_opts o = { .reader = { .diag = test_diags_record, .diag_user = &g }, .max_open = 8 };
    vigil_merge *m = NULL;
    CHECK(vigil_merge_open(&m, files, w.nfiles, &o) == VIGIL_OK);
    drained d;
    drain(m, &d, w.n);
    CHECK(d.rc == VIGIL_OK);
    CHECK_EQ_U(d.n, w.n);
    CHECK_EQ_U(d.dups, 0);
    CHECK_EQ_U(d.disorder, 0);
    CHECK_EQ_U(d.bad_strings, 0);
    size_t missing = 0;
    for (size_t i = 0; i < w.n; i++) missing += !d.seen[i];
    CHECK_EQ_U(missing, 0);
    const vigil_merge_counts *c = vigil_merge_counts_get(m);
    CHECK_EQ_U(c->records, w.n);
    CHECK_EQ_U(c->late, 0);
    CHECK_EQ_U(c->files, 36);
    CHECK_EQ_U(c->files_read, 36);
    CHECK_EQ_U(c->files_unreadable, 0);
    CHECK_EQ_U(c->skipped, 0);
    CHECK_EQ_U(c->buffered, 0);
    CHECK(c->max_open <= 8);
    /* About a window's worth (one to two hours of 36) is held, never all. */
    CHECK(c->max_buffered > 0);
    CHECK(c->max_buffered < w.n / 8);
    CHECK(g.unreadable == 0 && g.skipped == 0 && g.notes == 0);
    /* The end is sticky. */
    const vigil_record *rec = (const vigil_record *)1;
    CHECK(vigil_merge_next(m, &rec) == VIGIL_OK && rec == NULL);
    vigil_merge_free(m);
    free(d.seen);
    free(files);
    free_world(&w);
}

TEST(merge_same_output_whatever_the_open_limit)
{
    world w;
    make_world(&w, T0, 10, 300, 0, 0, 3, 0);
    uint64_t hash[3];
    size_t limits[3] = { 64, 2, 1 };
    for (int k = 0; k < 3; k++) {
        vigil_merge_opts o = { .max_open = limits[k] };
        vigil_merge *m = NULL;
        const char *v[16];
        for (size_t i = 0; i < w.nfiles; i++) v[i] = w.paths[i];
        CHECK(vigil_merge_open(&m, v, w.nfiles, &o) == VIGIL_OK);
        drained d;
        drain(m, &d, w.n);
        CHECK_EQ_U(d.n, w.n);
        CHECK_EQ_U(d.dups, 0);
        CHECK_EQ_U(d.disorder, 0);
        hash[k] = d.order_hash;
        const vigil_merge_counts *c = vigil_merge_counts_get(m);
        CHECK(c->max_open <= limits[k]);
        if (limits[k] == 1) CHECK(c->reopens > 0); /* files were closed and re-read */
        CHECK_EQ_U(c->files_read, w.nfiles);
        vigil_merge_free(m);
        free(d.seen);
    }
    CHECK(hash[0] == hash[1] && hash[1] == hash[2]);
    free_world(&w);
}

TEST(merge_late_records_are_emitted_and_counted)
{
    world w;
    /* Three connections of 8000 s: longer than the 3600 s window. */
    make_world(&w, T0, 8, 400, 3, 8000, 2, 0);
    test_diags g = { 0 };
    vigil_merge_opts o = { .reader = { .diag = test_diags_record, .diag_user = &g }, .notes = 1 };
    vigil_merge *m = NULL;
    CHECK(vigil_merge_open(&m, (const char *[]){ w.paths[0], w.paths[1], w.paths[2],
                                                 w.paths[3], w.paths[4], w.paths[5],
                                                 w.paths[6], w.paths[7] }, 8, &o) == VIGIL_OK);
    drained d;
    drain(m, &d, w.n);
    CHECK_EQ_U(d.n, w.n); /* nothing dropped */
    CHECK_EQ_U(d.dups, 0);
    const vigil_merge_counts *c = vigil_merge_counts_get(m);
    CHECK_EQ_U(c->late, 3);
    CHECK_EQ_U(d.disorder, 3); /* what the stream shows is what is counted */
    CHECK(c->max_lateness > 8000 - 3600 - 300 && c->max_lateness < 8000);
    /* The late ones are exactly the long connections (the last three ids). */
    for (size_t i = 0; i < 3 && i < d.disorder; i++) CHECK(d.late_ids[i] >= w.n - 3);
    CHECK_EQ_U(g.notes, 1);
    CHECK_EQ_U(g.note_count, 3);
    vigil_merge_free(m);
    free(d.seen);

    /* Without notes asked for, the count alone tells. */
    memset(&g, 0, sizeof g);
    o.notes = 0;
    const char *v[8];
    for (int i = 0; i < 8; i++) v[i] = w.paths[i];
    CHECK(vigil_merge_open(&m, v, 8, &o) == VIGIL_OK);
    drain(m, &d, w.n);
    CHECK_EQ_U(vigil_merge_counts_get(m)->late, 3);
    CHECK_EQ_U(g.notes, 0);
    vigil_merge_free(m);
    free(d.seen);
    free_world(&w);
}

TEST(merge_small_window_loses_nothing)
{
    world w;
    make_world(&w, T0, 4, 500, 0, 0, 0, 0);
    const char *v[4] = { w.paths[0], w.paths[1], w.paths[2], w.paths[3] };
    vigil_merge_opts o = { .window = 10 };
    vigil_merge *m = NULL;
    CHECK(vigil_merge_open(&m, v, 4, &o) == VIGIL_OK);
    drained d;
    drain(m, &d, w.n);
    CHECK_EQ_U(d.n, w.n);
    CHECK_EQ_U(d.dups, 0);
    const vigil_merge_counts *c = vigil_merge_counts_get(m);
    CHECK(c->late > 0);                 /* 10 s is too short for Zeek... */
    CHECK_EQ_U(c->late, d.disorder);    /* ...and each one is counted */
    CHECK(c->max_buffered < 200);       /* a short window holds little */
    vigil_merge_free(m);
    free(d.seen);

    /* A hard cap on the buffer: returned early, counted, still all there. */
    o.window = 0;
    o.max_buffered = 50;
    CHECK(vigil_merge_open(&m, v, 4, &o) == VIGIL_OK);
    drain(m, &d, w.n);
    CHECK_EQ_U(d.n, w.n);
    c = vigil_merge_counts_get(m);
    CHECK(c->max_buffered <= 51);
    CHECK(c->forced > 0);
    CHECK_EQ_U(c->late, d.disorder);
    vigil_merge_free(m);
    free(d.seen);
    free_world(&w);
}

TEST(merge_unreadable_file_reported_rest_read)
{
    world w;
    make_world(&w, T0, 3, 200, 0, 0, 2, 0);
    char missing[300], notlog[300];
    snprintf(missing, sizeof missing, "%s/no-such-dir/conn.log", test_tmpdir());
    const char *readme = "This directory holds the sensor's logs.\nSee the wiki.\n";
    snprintf(notlog, sizeof notlog, "%s", test_write_file("README", readme, strlen(readme)));
    const char *v[5] = { w.paths[0], missing, w.paths[1], notlog, w.paths[2] };
    test_diags g = { 0 };
    vigil_merge_opts o = { .reader = { .diag = test_diags_record, .diag_user = &g } };
    vigil_merge *m = NULL;
    CHECK(vigil_merge_open(&m, v, 5, &o) == VIGIL_OK);
    CHECK_EQ_U(g.unreadable, 1);
    CHECK_EQ_U(g.skipped, 1); /* the README: not a log */
    drained d;
    drain(m, &d, w.n);
    CHECK_EQ_U(d.n, w.n);
    CHECK_EQ_U(d.disorder, 0);
    const vigil_merge_counts *c = vigil_merge_counts_get(m);
    CHECK_EQ_U(c->files, 5);
    CHECK_EQ_U(c->files_read, 3);
    CHECK_EQ_U(c->files_unreadable, 2);
    vigil_merge_free(m);
    free(d.seen);
    free_world(&w);
}

TEST(merge_reader_skips_pass_through_once)
{
    /* Two files, one with a bad line; max_open 1 makes the merge close and
     * re-read files, which must not report the bad line twice. */
    const char *a = CONN_HDR
        "1514764800.000000\tC0000000\t10.0.0.1\t1000\t192.0.2.1\t443\ttcp\t1.0\n"
        "1514764805.000000\tC0000001\t10.0.0.1\n"
        "1514764810.000000\tC0000002\t10.0.0.1\t1000\t192.0.2.1\t443\ttcp\t1.0\n"
        "1514764830.000000\tC0000004\t10.0.0.1\t1000\t192.0.2.1\t443\ttcp\t1.0\n";
    const char *b = CONN_HDR
        "1514764820.000000\tC0000003\t10.0.0.2\t1000\t192.0.2.1\t443\ttcp\t1.0\n"
        "1514764840.000000\tC0000005\t10.0.0.2\t1000\t192.0.2.1\t443\ttcp\t1.0\n";
    char pa[300], pb[300];
    snprintf(pa, sizeof pa, "%s", test_write_file("conn.a.log", a, strlen(a)));
    snprintf(pb, sizeof pb, "%s", test_write_file("conn.b.log", b, strlen(b)));
    const char *v[2] = { pa, pb };
    test_diags g = { 0 };
    vigil_merge_opts o = { .reader = { .diag = test_diags_record, .diag_user = &g }, .max_open = 1,
                           .window = -1 };
    vigil_merge *m = NULL;
    CHECK(vigil_merge_open(&m, v, 2, &o) == VIGIL_OK);
    const vigil_record *rec;
    double want[5] = { 1514764800, 1514764810, 1514764820, 1514764830, 1514764840 };
    int n = 0;
    while (vigil_merge_next(m, &rec) == VIGIL_OK && rec) {
        if (n < 5) CHECK(rec->ts == want[n]);
        n++;
    }
    CHECK_EQ_U(n, 5);
    CHECK_EQ_U(g.skipped, 1);
    const vigil_merge_counts *c = vigil_merge_counts_get(m);
    CHECK_EQ_U(c->skipped, 1);
    CHECK(c->reopens > 0);
    CHECK_EQ_U(c->max_open, 1);
    vigil_merge_free(m);
}

TEST(merge_family_filter)
{
    world w;
    make_world(&w, T0, 4, 300, 0, 0, 2, 1); /* conn and dns files */
    CHECK_EQ_U(w.nfiles, 8);
    const char *v[8];
    for (int i = 0; i < 8; i++) v[i] = w.paths[i];
    vigil_merge_opts o = { .type = VIGIL_LOG_CONN };
    vigil_merge *m = NULL;
    CHECK(vigil_merge_open(&m, v, 8, &o) == VIGIL_OK);
    drained d;
    drain(m, &d, w.n);
    CHECK_EQ_U(d.n, w.nconn);
    CHECK_EQ_U(d.disorder, 0);
    CHECK_EQ_U(d.bad_strings, 0);
    CHECK_EQ_U(vigil_merge_counts_get(m)->filtered, w.n - w.nconn);
    vigil_merge_free(m);
    free(d.seen);

    /* All families: both, interleaved in one time order, strings intact. */
    o.type = VIGIL_LOG_UNKNOWN;
    CHECK(vigil_merge_open(&m, v, 8, &o) == VIGIL_OK);
    drain(m, &d, w.n);
    CHECK_EQ_U(d.n, w.n);
    CHECK_EQ_U(d.dups, 0);
    CHECK_EQ_U(d.disorder, 0);
    CHECK_EQ_U(d.bad_strings, 0);
    vigil_merge_free(m);
    free(d.seen);
    free_world(&w);
}

TEST(merge_empty_inputs)
{
    vigil_merge *m = NULL;
    const vigil_record *rec = (const vigil_record *)1;
    CHECK(vigil_merge_open(&m, NULL, 0, NULL) == VIGIL_OK);
    CHECK(vigil_merge_next(m, &rec) == VIGIL_OK && rec == NULL);
    vigil_merge_free(m);

    const char *hdr_only = CONN_HDR "#close\t2018-01-01-00-00-00\n";
    const char *p = test_write_file("conn.empty.log", hdr_only, strlen(hdr_only));
    const char *v[1] = { p };
    CHECK(vigil_merge_open(&m, v, 1, NULL) == VIGIL_OK);
    CHECK(vigil_merge_next(m, &rec) == VIGIL_OK && rec == NULL);
    CHECK_EQ_U(vigil_merge_counts_get(m)->files_read, 1);
    vigil_merge_free(m);

    vigil_merge_free(NULL);
    CHECK(vigil_merge_open(NULL, v, 1, NULL) == VIGIL_EINVAL);
    CHECK(vigil_merge_open(&m, NULL, 1, NULL) == VIGIL_EINVAL && m == NULL);
}

/* ---- allocation failure ------------------------------------------------------ */

TEST(merge_allocation_failure)
{
    world w;
    make_world(&w, T0, 3, 150, 1, 5000, 2, 0);
    const char *v[3] = { w.paths[0], w.paths[1], w.paths[2] };
    long n;
    int failed_in_open = 0, failed_in_next = 0;
    for (n = 1; n < 100000; n++) {
        test_fail_alloc f;
        vigil_allocator a = test_fail_allocator(&f, n);
        vigil_merge_opts o = { .reader = { .alloc = &a }, .max_open = 2 };
        vigil_merge *m = NULL;
        vigil_status rc = vigil_merge_open(&m, v, 3, &o);
        if (rc != VIGIL_OK) {
            CHECK(rc == VIGIL_ENOMEM);
            CHECK(m == NULL);
            failed_in_open++;
        } else {
            const vigil_record *rec;
            size_t got = 0;
            while ((rc = vigil_merge_next(m, &rec)) == VIGIL_OK && rec) got++;
            if (rc != VIGIL_OK) {
                CHECK(rc == VIGIL_ENOMEM);
                CHECK(vigil_merge_next(m, &rec) == VIGIL_ENOMEM && rec == NULL);
                failed_in_next++;
            } else {
                CHECK_EQ_U(got, w.n);
            }
            vigil_merge_free(m);
        }
        if (f.live != 0) {
            fprintf(stderr, "  failing allocation %ld leaked %ld blocks\n", n, f.live);
            vigil_test_failures++;
            break;
        }
        if (f.calls < n) break; /* nothing failed: every allocation was tried */
    }
    CHECK(failed_in_open > 5);
    CHECK(failed_in_next > 2);
    free_world(&w);
}
