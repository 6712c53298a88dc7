/* hunt.c -- vigil_hunt(): files -> per-thread aggregators -> merged
 * aggregate -> every detector -> filtered, de-duplicated, sorted findings.
 *
 * Input: log files (any format the readers take).  Output: vigil_findings
 * and a summary.  Reading: each thread owns its readers and a partial
 * aggregator, files are handed out in the order given (big ones first:
 * vigil__hunt_order), after each file the partial is merged into one
 * shared aggregate (under a lock), then every thread sorts its share of
 * the pairs' points and the aggregate is finished.  Detection: the views
 * are handed out in chunks to the same number of threads (detectors are
 * pure functions).  Documented in docs/hunt.md. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "agg.h"
#include "state_impl.h"

#define MAX_THREADS 256          /* more never helps */
#define PROGRESS_EVERY 65536     /* records between progress checks */
#define DETECT_CHUNK 256         /* views per detection work unit */
#define DETECT_FLOOR 0.05        /* detectors never emit below */
#define STROBE_EXPLAINS 0.5      /* a strobe at least this strong drops the
                                    same pair's beacon */

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* ---- reading ----------------------------------------------------------------- */

/* Shared by the reading threads; read-only after start except the atomics
 * and what the locks guard. */
typedef struct hunt_shared {
    const char *const *files;     /* the caller's paths (borrowed) */
    size_t *order;                /* file indices, vigil__hunt_order's (owned) */
    uint64_t *sizes;              /* on-disk size per file index (owned) */
    size_t nfiles;                /* entries of files, order, sizes */
    atomic_size_t next;           /* next position in order */
    atomic_int stop;              /* a fatal error: workers finish */
    const vigil_hunt_opts *opts;  /* the caller's options */
    const vigil_allocator *alloc; /* for everything */
    pthread_mutex_t diag_lock;    /* serialises opts->diag */
    pthread_mutex_t progress_lock; /* serialises opts->progress */
    atomic_size_t files_done;     /* progress counters */
    atomic_uint_fast64_t records;
    atomic_uint_fast64_t bytes_done;
    uint64_t bytes_total;         /* sum of sizes */
    double t0;                    /* start (monotonic seconds) */
    atomic_llong last_progress_us; /* last progress call, microseconds
                                     after t0 (atomic: read without the lock) */
    double interval;              /* seconds between progress calls */
    int by_day;                   /* one aggregate per UTC day (for the
                                     state database) */
    const vigil_netset *nets;     /* internal networks (for new day aggs) */
    vigil__agg *agg;              /* not by_day: the one aggregate every
                                     thread's partial is merged into */
    pthread_mutex_t agg_lock;     /* guards agg */
    int agg_lock_ok;              /* agg_lock was initialised */
} hunt_shared;

/* One UTC day's aggregate of a reading thread (state runs). */
typedef struct day_agg {
    int64_t day;                  /* epoch day number */
    vigil__agg *agg;
} day_agg;

/* One reading thread. */
typedef struct hunt_worker {
    hunt_shared *sh;              /* the hunt */
    vigil__agg *agg;              /* not by_day: its partial aggregate of
                                     the files read since its last merge
                                     into sh->agg */
    uint64_t unmerged;            /* records in agg not yet merged */
    double merge_s;               /* seconds spent merging */
    day_agg *days;                /* by_day: its aggregates per day */
    size_t ndays, days_cap;
    size_t cur;                   /* by_day: index of the last day used */
    vigil_status status;          /* first fatal error */
    uint64_t records;             /* records read */
    uint64_t conn_records;        /* conn records aggregated */
    uint64_t out_of_range;        /* outside since/until */
    uint64_t skipped_by[VIGIL_SKIP__COUNT]; /* reader skips */
    size_t unreadable;            /* files not readable */
    size_t files_read;            /* files opened */
    pthread_t tid;                /* its thread */
    int started;                  /* tid is to be joined */
} hunt_worker;

static void emit(hunt_shared *sh, const vigil_diag *d)
{
    if (!sh->opts->diag) return;
    pthread_mutex_lock(&sh->diag_lock);
    sh->opts->diag(sh->opts->diag_user, d);
    pthread_mutex_unlock(&sh->diag_lock);
}

static void worker_diag(void *user, const vigil_diag *d)
{
    hunt_worker *w = user;
    if (d->kind == VIGIL_DIAG_SKIPPED && (unsigned)d->reason < VIGIL_SKIP__COUNT)
        w->skipped_by[d->reason] += d->count;
    emit(w->sh, d);
}

/* Calls the progress callback when the interval has passed (or `force`). */
static void maybe_progress(hunt_shared *sh, int force, int done)
{
    if (!sh->opts->progress) return;
    double t = now_s();
    double last = (double)atomic_load(&sh->last_progress_us) / 1e6 + sh->t0;
    if (!force && t - last < sh->interval) return;
    if (force) pthread_mutex_lock(&sh->progress_lock);
    else if (pthread_mutex_trylock(&sh->progress_lock) != 0) return;
    last = (double)atomic_load(&sh->last_progress_us) / 1e6 + sh->t0;
    if (force || t - last >= sh->interval) {
        vigil_hunt_progress p = {
            .files_done = atomic_load(&sh->files_done), .files_total = sh->nfiles,
            .records = atomic_load(&sh->records), .bytes_done = atomic_load(&sh->bytes_done),
            .bytes_total = sh->bytes_total, .elapsed = t - sh->t0, .done = done,
        };
        sh->opts->progress(sh->opts->progress_user, &p);
        atomic_store(&sh->last_progress_us, (long long)((t - sh->t0) * 1e6));
    }
    pthread_mutex_unlock(&sh->progress_lock);
}

static void report_unreadable(hunt_worker *w, const char *file, const char *detail)
{
    w->unreadable++;
    vigil_diag d = { .kind = VIGIL_DIAG_UNREADABLE, .reason = VIGIL_SKIP_NONE, .file = file,
                     .line = 0, .count = 1, .log = NULL, .detail = detail };
    emit(w->sh, &d);
}

static int64_t day_of(double ts) { return (int64_t)floor(ts / 86400.0); }

/* The worker's aggregate for the day of ts (created when new). */
static vigil_status agg_for_day(hunt_worker *w, double ts, vigil__agg **out)
{
    int64_t d = day_of(ts);
    if (w->ndays && w->days[w->cur].day == d) {
        *out = w->days[w->cur].agg;
        return VIGIL_OK;
    }
    for (size_t i = 0; i < w->ndays; i++)
        if (w->days[i].day == d) {
            w->cur = i;
            *out = w->days[i].agg;
            return VIGIL_OK;
        }
    vigil_status rc = vigil__grow(w->sh->alloc, (void **)&w->days, &w->days_cap, w->ndays + 1, sizeof *w->days);
    if (rc != VIGIL_OK) return rc;
    day_agg *e = &w->days[w->ndays];
    e->day = d;
    rc = vigil__agg_new(&e->agg, w->sh->nets, w->sh->alloc);
    if (rc != VIGIL_OK) return rc;
    e->agg->keep_answers = 1; /* the names behind addresses, for the state */
    w->cur = w->ndays++;
    *out = e->agg;
    return VIGIL_OK;
}

/* Whether ts falls outside --since/--until. */
static int out_of_window(const vigil_hunt_opts *o, double ts)
{
    return (o->has_since && ts < o->since) || (o->has_until && ts >= o->until);
}

/* With --since/--until, a conn record outside them goes on to the loop
 * below, which counts it; the others go to the aggregate's own
 * conn_early (vigil__agg_conn_early, directly when there is no window). */
typedef struct early_ctx {
    vigil__agg *agg;              /* the thread's partial */
    const vigil_hunt_opts *o;     /* since/until */
} early_ctx;

static int hunt_conn_early(void *user, const vigil_record *rec)
{
    early_ctx *x = user;
    if (out_of_window(x->o, rec->ts)) return 1;
    return vigil__agg_conn_early(x->agg, rec);
}

static void hunt_file(hunt_worker *w, size_t fi)
{
    hunt_shared *sh = w->sh;
    const char *path = sh->files[fi];
    const vigil_hunt_opts *o = sh->opts;
    /* Only the fields the aggregate reads are converted (and checked);
     * not even those of a connection the aggregate is done with after its
     * addresses -- every connection that is not internal -> external
     * (15.1M of the simulated month's 33.3M).  One aggregate for all days
     * only: a state run picks the day's aggregate per record. */
    early_ctx ec = { w->agg, o };
    vigil_reader_opts ro = { .alloc = sh->alloc, .diag = worker_diag, .diag_user = w,
                             .fields = vigil__agg_fields };
    if (!sh->by_day) {
        int window = o->has_since || o->has_until;
        ro.conn_early = window ? hunt_conn_early : vigil__agg_conn_early;
        ro.conn_early_user = window ? (void *)&ec : (void *)w->agg;
        vigil__agg_conn_early_clear(w->agg);
    }
    vigil_reader *r = NULL;
    errno = 0;
    vigil_status rc = vigil_reader_open(&r, path, &ro);
    int e = errno;
    if (rc == VIGIL_ENOMEM) {
        w->status = rc;
        return;
    }
    if (rc == VIGIL_EFORMAT) {
        vigil_diag d = { .kind = VIGIL_DIAG_SKIPPED, .reason = VIGIL_SKIP_UNKNOWN_LOG_TYPE,
                         .file = path, .line = 0, .count = 1, .log = NULL,
                         .detail = "not a log vigil reads" };
        worker_diag(w, &d);
        return;
    }
    if (rc != VIGIL_OK) {
        report_unreadable(w, path, (rc == VIGIL_ENOENT || rc == VIGIL_EIO) && e ? strerror(e)
                                                                              : vigil_strerror(rc));
        return;
    }
    w->files_read++;
    /* Counters in locals: the workers' structs sit side by side. */
    uint64_t local = 0, records = 0, conns = 0, out_of_range = 0;
    vigil__agg *agg = w->agg;
    for (;;) {
        const vigil_record *rec;
        errno = 0;
        rc = vigil_reader_next(r, &rec);
        if (rc != VIGIL_OK || !rec) break;
        records++;
        if (++local == PROGRESS_EVERY) {
            atomic_fetch_add(&sh->records, local);
            local = 0;
            maybe_progress(sh, 0, 0);
            if (atomic_load(&sh->stop)) break;
        }
        if (out_of_window(o, rec->ts)) {
            out_of_range++;
            continue;
        }
        conns += rec->type == VIGIL_LOG_CONN;
        if (sh->by_day && !isfinite(rec->ts)) continue;
        if (sh->by_day && (rc = agg_for_day(w, rec->ts, &agg)) != VIGIL_OK) break;
        rc = vigil__agg_add(agg, rec);
        if (rc != VIGIL_OK) break;
    }
    uint64_t taken = sh->by_day ? 0 : vigil__agg_conn_early_taken(w->agg);
    w->records += records + taken;
    w->conn_records += conns + taken;
    w->out_of_range += out_of_range;
    atomic_fetch_add(&sh->records, local + taken);
    e = errno;
    vigil_reader_free(r);
    if (rc == VIGIL_ENOMEM) {
        w->status = rc;
    } else if (rc != VIGIL_OK) {
        report_unreadable(w, path, rc == VIGIL_EIO && e ? strerror(e) : vigil_strerror(rc));
    }
}

/* Moves the thread's partial aggregate into the shared one.  Memory: with
 * one aggregate per thread merged at the end, each thread held its own
 * copy of most pairs (every hourly file has most of them) until the merge,
 * ~2x the pairs, sums and tables of one aggregate.  Merged after every
 * file instead, a partial holds one file's queued connections and queries
 * (vigil__agg_set_partial: ~60 bytes each, no pair of its own).  When the
 * other thread is merging, the partial takes one more file rather than
 * wait, up to MERGE_WAIT records. */
#define MERGE_WAIT 200000
static void merge_partial(hunt_worker *w, int force)
{
    hunt_shared *sh = w->sh;
    if (!w->agg || !w->unmerged || w->status != VIGIL_OK) return;
    if (force || w->unmerged >= MERGE_WAIT) pthread_mutex_lock(&sh->agg_lock);
    else if (pthread_mutex_trylock(&sh->agg_lock) != 0) return;
    double t = now_s();
    w->status = vigil__agg_merge(sh->agg, w->agg);
    w->merge_s += now_s() - t;
    pthread_mutex_unlock(&sh->agg_lock);
    w->unmerged = 0;
}

static void *read_main(void *arg)
{
    hunt_worker *w = arg;
    hunt_shared *sh = w->sh;
    while (w->status == VIGIL_OK && !atomic_load(&sh->stop)) {
        size_t k = atomic_fetch_add(&sh->next, 1);
        if (k >= sh->nfiles) break;
        uint64_t before = w->records;
        hunt_file(w, sh->order[k]);
        w->unmerged += w->records - before + 1;
        merge_partial(w, 0);
        atomic_fetch_add(&sh->files_done, 1);
        atomic_fetch_add(&sh->bytes_done, sh->sizes[sh->order[k]]);
        maybe_progress(sh, 0, 0);
    }
    merge_partial(w, 1);
    /* This thread's share of the sorting (state runs: its days). */
    for (size_t i = 0; i < w->ndays && w->status == VIGIL_OK && !atomic_load(&sh->stop); i++)
        w->status = vigil__agg_sort(w->days[i].agg);
    if (w->status != VIGIL_OK) atomic_store(&sh->stop, 1);
    return NULL;
}

/* One thread's share of sorting the shared aggregate's points. */
typedef struct sort_worker {
    vigil__agg *agg;              /* the aggregate */
    atomic_size_t *next;          /* shared: the next chunk of pairs */
    vigil_status status;          /* result */
    pthread_t tid;                /* its thread */
    int started;                  /* tid is to be joined */
} sort_worker;

static void *sort_main(void *arg)
{
    sort_worker *s = arg;
    s->status = vigil__agg_sort_part(s->agg, s->next);
    return NULL;
}

/* One file for vigil__hunt_order's sort. */
typedef struct sized_file {
    size_t index;   /* position in the caller's array */
    uint64_t key;   /* the size of a big file, else 0 */
} sized_file;

/* Big files, largest first, then the rest in the order given (index). */
static int cmp_read_order(const void *a, const void *b)
{
    const sized_file *x = a, *y = b;
    if (x->key != y->key) return x->key > y->key ? -1 : 1;
    return x->index < y->index ? -1 : x->index > y->index;
}

/* Files above 1/BIG_SHARE of a thread's share of the bytes go first,
 * largest first, so that no big file is left for the end while the other
 * threads wait; the rest keep the order given.  The paths come sorted by
 * name, which for Zeek's archive (a directory a day, the hour in every
 * name) is time order: each pair's points then reach the buckets nearly in
 * order, so the settle's sort mostly finds them sorted and the times'
 * deltas are short.  Handed out largest first, every hourly file of the
 * simulated month came in a random hour, and sorting the points took ~0.3
 * CPU-s more (perf); the result is the same in any order. */
#define BIG_SHARE 16
vigil_status vigil__hunt_order(const uint64_t *sizes, size_t n, size_t nthreads, size_t *order,
                               const vigil_allocator *al)
{
    if (!n) return VIGIL_OK;
    sized_file *v = vigil__malloc(al, n * sizeof *v);
    if (!v) return VIGIL_ENOMEM;
    uint64_t total = 0;
    for (size_t i = 0; i < n; i++) total += sizes[i];
    uint64_t big = total / (nthreads ? nthreads : 1) / BIG_SHARE;
    for (size_t i = 0; i < n; i++) {
        v[i].index = i;
        v[i].key = sizes[i] > big ? sizes[i] : 0;
    }
    qsort(v, n, sizeof *v, cmp_read_order);
    for (size_t i = 0; i < n; i++) order[i] = v[i].index;
    vigil__free(al, v);
    return VIGIL_OK;
}

/* ---- detection ---------------------------------------------------------------- */

/* One detection thread. */
typedef struct detect_worker {
    const vigil__agg *agg;        /* the finished aggregate */
    const vigil__detect_cfg *cfg; /* detector settings */
    const vigil__peer_view *peers; /* for exfil */
    atomic_size_t *next;          /* shared: next work unit */
    size_t npairs, ngroups, nhosts, ndns, nnx; /* view counts */
    vigil__conn_point *gbuf, *gtmp; /* group view buffers (owned) */
    vigil__conn_point *pbuf;      /* pair view buffer (owned) */
    double *dbuf;                 /* DNS view buffer (owned) */
    int own_bufs;                 /* uses the aggregate's view buffers */
    vigil_findings found;         /* its findings (owned until collected) */
    vigil_status status;          /* first error */
    pthread_t tid;                /* its thread */
    int started;                  /* tid is to be joined */
} detect_worker;

static vigil_status detect_one(detect_worker *w, size_t i)
{
    vigil_status rc = VIGIL_OK;
    vigil__pair_view pv;
    if (i < w->npairs || i < w->npairs + w->ngroups) {
        /* The head first: most pairs interest no detector (a handful of
         * connections, a destination every host uses), and then their
         * points are never decoded. */
        /* Pairs as stored (sequential in memory): the findings are
         * sorted afterwards, so the order visited does not matter. */
        rc = i < w->npairs ? vigil__agg_stored_pair_head(w->agg, i, &pv)
                           : vigil__agg_group_head(w->agg, i - w->npairs, &pv);
        if (rc != VIGIL_OK) return rc;
        if (!vigil__detect_beacon_applies(&pv, w->cfg) && !vigil__detect_longconn_applies(&pv, w->cfg) &&
            !vigil__detect_strobe_applies(&pv, w->cfg) && !vigil__detect_rare_applies(&pv, w->cfg))
            return VIGIL_OK;
        if (w->own_bufs) rc = i < w->npairs ? vigil__agg_stored_pair(w->agg, i, &pv)
                                            : vigil__agg_group(w->agg, i - w->npairs, &pv);
        else if (i < w->npairs) rc = vigil__agg_stored_pair_buf(w->agg, i, &pv, w->pbuf);
        else rc = vigil__agg_group_buf(w->agg, i - w->npairs, &pv, w->gbuf, w->gtmp);
        if (rc == VIGIL_OK) rc = vigil__detect_beacon(&pv, w->cfg, &w->found);
        if (rc == VIGIL_OK) rc = vigil__detect_longconn(&pv, w->cfg, &w->found);
        if (rc == VIGIL_OK) rc = vigil__detect_strobe(&pv, w->cfg, &w->found);
        if (rc == VIGIL_OK) rc = vigil__detect_rare(&pv, w->cfg, &w->found);
        return rc;
    }
    i -= w->npairs + w->ngroups;
    if (i < w->nhosts) {
        vigil__host_view hv;
        rc = vigil__agg_host(w->agg, i, &hv);
        if (rc == VIGIL_OK) rc = vigil__detect_exfil(&hv, w->peers, w->cfg, &w->found);
        return rc;
    }
    i -= w->nhosts;
    if (i < w->ndns) {
        vigil__dns_view dv;
        rc = vigil__agg_dns_head(w->agg, i, &dv);
        if (rc != VIGIL_OK || !vigil__detect_dns_applies(&dv, w->cfg)) return rc;
        rc = w->own_bufs ? vigil__agg_dns(w->agg, i, &dv) : vigil__agg_dns_buf(w->agg, i, &dv, w->dbuf);
        if (rc == VIGIL_OK) rc = vigil__detect_dns(&dv, w->cfg, &w->found);
        return rc;
    }
    i -= w->ndns;
    vigil__nx_view xv;
    rc = vigil__agg_nx(w->agg, i, &xv);
    if (rc == VIGIL_OK) rc = vigil__detect_dga(&xv, w->cfg, &w->found);
    return rc;
}

static void *detect_main(void *arg)
{
    detect_worker *w = arg;
    size_t total = w->npairs + w->ngroups + w->nhosts + w->ndns + w->nnx;
    while (w->status == VIGIL_OK) {
        size_t b = atomic_fetch_add(w->next, DETECT_CHUNK);
        if (b >= total) break;
        size_t e = b + DETECT_CHUNK < total ? b + DETECT_CHUNK : total;
        for (size_t i = b; i < e && w->status == VIGIL_OK; i++) w->status = detect_one(w, i);
    }
    return NULL;
}

/* ---- de-duplication ------------------------------------------------------------- */

typedef struct dedup_rec {
    const vigil_finding *f;   /* the finding */
    size_t idx;               /* its position */
} dedup_rec;

/* Orders by (kind, src, dport, proto, name): a group and its members are
 * neighbours. */
static int cmp_group_key(const void *x, const void *y)
{
    const vigil_finding *a = ((const dedup_rec *)x)->f, *b = ((const dedup_rec *)y)->f;
    if (a->kind != b->kind) return a->kind < b->kind ? -1 : 1;
    int c = memcmp(a->src.b, b->src.b, 16);
    if (c) return c;
    if (a->dport != b->dport) return a->dport < b->dport ? -1 : 1;
    if (a->proto != b->proto) return a->proto < b->proto ? -1 : 1;
    c = strncmp(a->dst_name, b->dst_name, VIGIL_FINDING_NAME_LEN);
    if (c) return c;
    size_t i = ((const dedup_rec *)x)->idx, j = ((const dedup_rec *)y)->idx;
    return i < j ? -1 : i > j;
}

static int same_group_key(const vigil_finding *a, const vigil_finding *b)
{
    return a->kind == b->kind && memcmp(a->src.b, b->src.b, 16) == 0 && a->dport == b->dport &&
           a->proto == b->proto && strncmp(a->dst_name, b->dst_name, VIGIL_FINDING_NAME_LEN) == 0;
}

/* Orders by (src, dst, dport, proto, dst_count, kind): the same pair's
 * findings of every kind are neighbours. */
static int cmp_pair_key(const void *x, const void *y)
{
    const vigil_finding *a = ((const dedup_rec *)x)->f, *b = ((const dedup_rec *)y)->f;
    int c = memcmp(a->src.b, b->src.b, 16);
    if (c) return c;
    c = memcmp(a->dst.b, b->dst.b, 16);
    if (c) return c;
    if (a->dport != b->dport) return a->dport < b->dport ? -1 : 1;
    if (a->proto != b->proto) return a->proto < b->proto ? -1 : 1;
    if (a->dst_count != b->dst_count) return a->dst_count < b->dst_count ? -1 : 1;
    size_t i = ((const dedup_rec *)x)->idx, j = ((const dedup_rec *)y)->idx;
    return i < j ? -1 : i > j;
}

static int same_pair_key(const vigil_finding *a, const vigil_finding *b)
{
    return memcmp(a->src.b, b->src.b, 16) == 0 && memcmp(a->dst.b, b->dst.b, 16) == 0 &&
           a->dport == b->dport && a->proto == b->proto && a->dst_count == b->dst_count;
}

static int is_pairish(const vigil_finding *f)
{
    return f->kind == VIGIL_FIND_BEACON || f->kind == VIGIL_FIND_LONG_CONN ||
           f->kind == VIGIL_FIND_STROBE || f->kind == VIGIL_FIND_RARE_DEST;
}

vigil_status vigil__findings_dedup(const vigil_findings *fs, unsigned char *drop,
                                  const vigil_allocator *al)
{
    if (fs->n < 2) return VIGIL_OK;
    dedup_rec *v = vigil__malloc(al, fs->n * sizeof *v);
    if (!v) return VIGIL_ENOMEM;
    size_t m = 0;
    for (size_t i = 0; i < fs->n; i++)
        if (!drop[i] && is_pairish(&fs->v[i]) && fs->v[i].dst_name[0]) v[m++] = (dedup_rec){ &fs->v[i], i };
    qsort(v, m, sizeof *v, cmp_group_key);
    for (size_t i = 0; i < m;) {
        size_t j = i + 1;
        while (j < m && same_group_key(v[i].f, v[j].f)) j++;
        double g = -1, p = -1;
        for (size_t k = i; k < j; k++) {
            double s = v[k].f->score;
            if (v[k].f->dst_count > 1) { if (s > g) g = s; }
            else if (s > p) p = s;
        }
        if (g >= 0 && p >= 0)
            for (size_t k = i; k < j; k++)
                if ((v[k].f->dst_count > 1) != (g >= p)) drop[v[k].idx] = 1;
        i = j;
    }
    m = 0;
    for (size_t i = 0; i < fs->n; i++)
        if (!drop[i] && (fs->v[i].kind == VIGIL_FIND_BEACON || fs->v[i].kind == VIGIL_FIND_STROBE))
            v[m++] = (dedup_rec){ &fs->v[i], i };
    qsort(v, m, sizeof *v, cmp_pair_key);
    for (size_t i = 0; i < m;) {
        size_t j = i + 1;
        while (j < m && same_pair_key(v[i].f, v[j].f)) j++;
        double strobe = -1;
        for (size_t k = i; k < j; k++)
            if (v[k].f->kind == VIGIL_FIND_STROBE && v[k].f->score > strobe) strobe = v[k].f->score;
        if (strobe >= STROBE_EXPLAINS)
            for (size_t k = i; k < j; k++)
                if (v[k].f->kind == VIGIL_FIND_BEACON) drop[v[k].idx] = 1;
        i = j;
    }
    vigil__free(al, v);
    return VIGIL_OK;
}

/* ---- the hunt ------------------------------------------------------------------- */

static size_t thread_count(int threads)
{
    size_t n = threads > 0 ? (size_t)threads : 0;
    if (n == 0) {
        long c = sysconf(_SC_NPROCESSORS_ONLN);
        n = c > 0 ? (size_t)c : 1;
    }
    return n > MAX_THREADS ? MAX_THREADS : n;
}

/* Reads every file into one unfinished aggregate (*out); with a state,
 * writes each UTC day's aggregate into it as rows of `batch` instead (*out
 * is then NULL). */
static vigil_status read_all(const char *const *files, size_t n, const vigil_hunt_opts *o,
                             const vigil_netset *nets, const vigil_allocator *al, vigil__agg **out,
                             vigil_hunt_summary *sum, vigil_state *state, int64_t batch)
{
    *out = NULL;
    size_t nthreads = thread_count(o->threads);
    if (nthreads > n) nthreads = n ? n : 1;
    hunt_shared sh;
    memset(&sh, 0, sizeof sh);
    sh.files = files;
    sh.nfiles = n;
    sh.opts = o;
    sh.alloc = al;
    sh.t0 = now_s();
    atomic_init(&sh.last_progress_us, 0);
    sh.interval = o->progress_interval > 0 ? o->progress_interval : 0.25;
    atomic_init(&sh.next, 0);
    atomic_init(&sh.stop, 0);
    atomic_init(&sh.files_done, 0);
    atomic_init(&sh.records, 0);
    atomic_init(&sh.bytes_done, 0);
    if (pthread_mutex_init(&sh.diag_lock, NULL) != 0) return VIGIL_ETHREAD;
    if (pthread_mutex_init(&sh.progress_lock, NULL) != 0) {
        pthread_mutex_destroy(&sh.diag_lock);
        return VIGIL_ETHREAD;
    }
    vigil_status rc = VIGIL_ENOMEM;
    hunt_worker *w = vigil__calloc(al, nthreads, sizeof *w);
    if (n) {
        sh.order = vigil__calloc(al, n, sizeof *sh.order);
        sh.sizes = vigil__calloc(al, n, sizeof *sh.sizes);
    }
    if (!w || (n && (!sh.order || !sh.sizes))) goto out;
    for (size_t i = 0; i < n; i++) {
        struct stat st;
        sh.sizes[i] = files[i] && stat(files[i], &st) == 0 ? (uint64_t)st.st_size : 0;
        sh.bytes_total += sh.sizes[i];
    }
    if (vigil__hunt_order(sh.sizes, n, nthreads, sh.order, al) != VIGIL_OK) goto out;
    sh.by_day = state != NULL;
    sh.nets = nets;
    rc = VIGIL_OK;
    if (!sh.by_day) {
        rc = vigil__agg_new(&sh.agg, nets, al);
        /* Its connections wait in buckets until the reading is over
         * (agg_defer.c). */
        if (rc == VIGIL_OK) rc = vigil__agg_set_deferred(sh.agg);
        if (rc != VIGIL_OK) goto out;
        if (pthread_mutex_init(&sh.agg_lock, NULL) != 0) {
            rc = VIGIL_ETHREAD;
            goto out;
        }
        sh.agg_lock_ok = 1;
    }
    for (size_t i = 0; i < nthreads; i++) {
        w[i].sh = &sh;
        if (!sh.by_day) rc = vigil__agg_new(&w[i].agg, nets, al);
        if (rc != VIGIL_OK) goto out;
        vigil__agg_set_partial(w[i].agg, 1);
    }
    /* The calling thread is worker 0; threads that cannot start leave
     * their share to the others. */
    for (size_t i = 1; i < nthreads; i++)
        w[i].started = pthread_create(&w[i].tid, NULL, read_main, &w[i]) == 0;
    read_main(&w[0]);
    for (size_t i = 1; i < nthreads; i++)
        if (w[i].started) pthread_join(w[i].tid, NULL);
    maybe_progress(&sh, 1, 1);
    rc = VIGIL_OK;
    for (size_t i = 0; i < nthreads; i++) {
        if (rc == VIGIL_OK && w[i].status != VIGIL_OK) rc = w[i].status;
        sum->records += w[i].records;
        sum->conn_records += w[i].conn_records;
        sum->out_of_range += w[i].out_of_range;
        sum->unreadable += w[i].unreadable;
        sum->files_read += w[i].files_read;
        for (int r = 0; r < VIGIL_SKIP__COUNT; r++) {
            sum->skipped_by[r] += w[i].skipped_by[r];
            sum->skipped += w[i].skipped_by[r];
        }
    }
    double tm = now_s();
    if (sh.by_day) {
        /* Each day: the threads' aggregates merged, then written. */
        for (;;) {
            int64_t day = INT64_MAX;
            for (size_t i = 0; i < nthreads; i++)
                for (size_t k = 0; k < w[i].ndays; k++)
                    if (w[i].days[k].agg && w[i].days[k].day < day) day = w[i].days[k].day;
            if (day == INT64_MAX || rc != VIGIL_OK) break;
            vigil__agg *m = NULL;
            for (size_t i = 0; i < nthreads && rc == VIGIL_OK; i++)
                for (size_t k = 0; k < w[i].ndays && rc == VIGIL_OK; k++) {
                    day_agg *d = &w[i].days[k];
                    if (!d->agg || d->day != day) continue;
                    if (!m) m = d->agg;
                    else {
                        rc = vigil__agg_merge(m, d->agg);
                        vigil__agg_free(d->agg);
                    }
                    d->agg = NULL;
                }
            if (rc == VIGIL_OK) rc = vigil__state_put_day(state, batch, day, m);
            vigil__agg_free(m);
        }
    } else {
        /* Every partial is in (their memory goes before the pairs are
         * built): the pairs built from the deferred connections, then
         * any point still unsorted sorted, on every thread. */
        for (size_t i = 0; i < nthreads; i++) {
            vigil__agg_free(w[i].agg);
            w[i].agg = NULL;
        }
        if (rc == VIGIL_OK) rc = vigil__agg_settle_threads(sh.agg, (int)nthreads);
        sort_worker *sw = rc == VIGIL_OK ? vigil__calloc(al, nthreads, sizeof *sw) : NULL;
        if (rc == VIGIL_OK && !sw) rc = VIGIL_ENOMEM;
        atomic_size_t next;
        atomic_init(&next, 0);
        if (rc == VIGIL_OK) {
            for (size_t i = 0; i < nthreads; i++) {
                sw[i].agg = sh.agg;
                sw[i].next = &next;
            }
            for (size_t i = 1; i < nthreads; i++)
                sw[i].started = pthread_create(&sw[i].tid, NULL, sort_main, &sw[i]) == 0;
            for (size_t i = 0; i < nthreads; i++)
                if (i == 0 || !sw[i].started) sort_main(&sw[i]);
            for (size_t i = 1; i < nthreads; i++)
                if (sw[i].started) pthread_join(sw[i].tid, NULL);
            for (size_t i = 0; i < nthreads && rc == VIGIL_OK; i++) rc = sw[i].status;
        }
        vigil__free(al, sw);
        if (rc == VIGIL_OK) {
            *out = sh.agg;
            sh.agg = NULL;
        }
    }
    double merge_s = 0;
    for (size_t i = 0; i < nthreads; i++) merge_s += w[i].merge_s;
    sum->read_s = now_s() - sh.t0;
    sum->merge_s = merge_s / (double)nthreads + (now_s() - tm);
out:
    if (w)
        for (size_t i = 0; i < nthreads; i++) {
            vigil__agg_free(w[i].agg);
            for (size_t k = 0; k < w[i].ndays; k++) vigil__agg_free(w[i].days[k].agg);
            vigil__free(al, w[i].days);
        }
    vigil__free(al, w);
    vigil__agg_free(sh.agg);
    if (sh.agg_lock_ok) pthread_mutex_destroy(&sh.agg_lock);
    vigil__free(al, sh.order);
    vigil__free(al, sh.sizes);
    pthread_mutex_destroy(&sh.diag_lock);
    pthread_mutex_destroy(&sh.progress_lock);
    return rc;
}

/* Runs every detector over the finished aggregate into *found. */
static vigil_status detect_all(const vigil__agg *agg, const vigil_hunt_opts *o,
                               const vigil_allocator *al, vigil_findings *found)
{
    size_t nthreads = thread_count(o->threads);
    vigil__detect_cfg cfg = { .min_score = o->min_score > DETECT_FLOOR ? o->min_score : DETECT_FLOOR,
                              .min_conns = 4, .has_tz = o->has_tz, .tz_offset = o->tz_offset };
    vigil__peer_view peers;
    vigil__agg_peers(agg, &peers);
    atomic_size_t next;
    atomic_init(&next, 0);
    size_t gmax = vigil__agg_group_max_points(agg);
    detect_worker *w = vigil__calloc(al, nthreads, sizeof *w);
    if (!w) return VIGIL_ENOMEM;
    vigil_status rc = VIGIL_OK;
    for (size_t i = 0; i < nthreads; i++) {
        w[i].agg = agg;
        w[i].cfg = &cfg;
        w[i].peers = &peers;
        w[i].next = &next;
        w[i].npairs = vigil__agg_pair_count(agg);
        w[i].ngroups = vigil__agg_group_count(agg);
        w[i].nhosts = vigil__agg_host_count(agg);
        w[i].ndns = vigil__agg_dns_count(agg);
        w[i].nnx = vigil__agg_nx_count(agg);
        /* Worker 0 uses the aggregate's own view buffers (vigil__agg_pair,
         * _group, _dns); the others their own. */
        w[i].own_bufs = i == 0;
        size_t pmax = vigil__agg_pair_max_points(agg), dmax = vigil__agg_dns_max_points(agg);
        if (i == 0) {
            /* nothing to allocate */
        } else if (pmax && !(w[i].pbuf = vigil__malloc(al, pmax * sizeof *w[i].pbuf))) {
            rc = VIGIL_ENOMEM;
        } else if (dmax && !(w[i].dbuf = vigil__malloc(al, dmax * sizeof *w[i].dbuf))) {
            rc = VIGIL_ENOMEM;
        } else if (gmax) {
            w[i].gbuf = vigil__malloc(al, gmax * sizeof *w[i].gbuf);
            w[i].gtmp = vigil__malloc(al, gmax * sizeof *w[i].gtmp);
            if (!w[i].gbuf || !w[i].gtmp) rc = VIGIL_ENOMEM;
        } else {
            /* No groups: any non-NULL buffer will do (never written). */
            w[i].gbuf = w[i].gtmp = NULL;
        }
    }
    if (rc == VIGIL_OK) {
        for (size_t i = 1; i < nthreads; i++)
            w[i].started = pthread_create(&w[i].tid, NULL, detect_main, &w[i]) == 0;
        detect_main(&w[0]);
        for (size_t i = 1; i < nthreads; i++)
            if (w[i].started) pthread_join(w[i].tid, NULL);
        for (size_t i = 0; i < nthreads; i++)
            if (rc == VIGIL_OK && w[i].status != VIGIL_OK) rc = w[i].status;
    }
    for (size_t i = 0; i < nthreads; i++) {
        for (size_t k = 0; k < w[i].found.n && rc == VIGIL_OK; k++)
            rc = vigil_findings_push(found, &w[i].found.v[k]);
        vigil_findings_free(&w[i].found);
        vigil__free(al, w[i].gbuf);
        vigil__free(al, w[i].gtmp);
        vigil__free(al, w[i].pbuf);
        vigil__free(al, w[i].dbuf);
    }
    vigil__free(al, w);
    return rc;
}

/* ---- the state database ---------------------------------------------------------- */

/* What a state run reads: the given files not yet ingested, and, for each
 * batch to be replaced (--reingest, or a file changed under its path), all
 * of that batch's files that still exist. */
typedef struct state_plan {
    const char **read;            /* paths to read (borrowed or in owned[]) */
    size_t nread, read_cap;
    char **owned;                 /* paths from the state (owned) */
    size_t nowned, owned_cap;
    int64_t *drop;                /* batches to replace */
    size_t ndrop, drop_cap;
} state_plan;

static void plan_free(const vigil_allocator *al, state_plan *p)
{
    for (size_t i = 0; i < p->nowned; i++) vigil__free(al, p->owned[i]);
    vigil__free(al, p->owned);
    vigil__free(al, p->read);
    vigil__free(al, p->drop);
}

static int plan_has(const state_plan *p, const char *path)
{
    for (size_t i = 0; i < p->nread; i++)
        if (strcmp(p->read[i], path) == 0) return 1;
    return 0;
}

static vigil_status plan_add(const vigil_allocator *al, state_plan *p, const char *path)
{
    if (plan_has(p, path)) return VIGIL_OK;
    vigil_status rc = vigil__grow(al, (void **)&p->read, &p->read_cap, p->nread + 1, sizeof *p->read);
    if (rc == VIGIL_OK) p->read[p->nread++] = path;
    return rc;
}

static void report_note(const vigil_hunt_opts *o, const char *file, uint64_t count, const char *detail)
{
    if (!o->diag) return;
    vigil_diag d = { .kind = VIGIL_DIAG_NOTE, .reason = VIGIL_SKIP_NONE, .file = file, .line = 0,
                     .count = count, .log = NULL, .detail = detail };
    o->diag(o->diag_user, &d);
}

static vigil_status make_plan(vigil_state *st, const char *const *files, size_t n, const vigil_hunt_opts *o,
                              const vigil_allocator *al, state_plan *p, vigil_hunt_summary *sum)
{
    vigil_status rc = VIGIL_OK;
    for (size_t i = 0; i < n && rc == VIGIL_OK; i++) {
        /* Files are known by their absolute path. */
        char *abs = realpath(files[i], NULL);
        const char *path = files[i];
        if (abs) {
            rc = vigil__grow(al, (void **)&p->owned, &p->owned_cap, p->nowned + 1, sizeof *p->owned);
            char *c = rc == VIGIL_OK ? vigil__malloc(al, strlen(abs) + 1) : NULL;
            if (c) {
                strcpy(c, abs);
                p->owned[p->nowned++] = c;
                path = c;
            }
            free(abs);
            if (!c) rc = VIGIL_ENOMEM;
            if (rc != VIGIL_OK) break;
        }
        vigil__file_id id;
        if (vigil__state_file_id(path, &id) != VIGIL_OK) {
            rc = plan_add(al, p, path); /* the reader reports it */
            continue;
        }
        int64_t batch = 0;
        int changed = 0;
        rc = vigil__state_file_batch(st, &id, &batch, &changed);
        if (rc != VIGIL_OK) break;
        if (batch && !changed && !o->reingest) {
            sum->files_known++;
            continue;
        }
        rc = plan_add(al, p, path);
        if (rc != VIGIL_OK || !batch) continue;
        if (changed) report_note(o, path, 1, "changed since it was ingested: its batch is read again");
        int seen = 0;
        for (size_t k = 0; k < p->ndrop; k++) seen |= p->drop[k] == batch;
        if (seen) continue;
        rc = vigil__grow(al, (void **)&p->drop, &p->drop_cap, p->ndrop + 1, sizeof *p->drop);
        if (rc != VIGIL_OK) break;
        p->drop[p->ndrop++] = batch;
        char **paths = NULL;
        size_t np = 0;
        rc = vigil__state_batch_paths(st, batch, &paths, &np);
        for (size_t k = 0; k < np; k++) {
            if (rc == VIGIL_OK && !plan_has(p, paths[k]) && access(paths[k], R_OK) == 0) {
                rc = vigil__grow(al, (void **)&p->owned, &p->owned_cap, p->nowned + 1, sizeof *p->owned);
                if (rc == VIGIL_OK) {
                    p->owned[p->nowned++] = paths[k];
                    rc = plan_add(al, p, paths[k]);
                    sum->files_redone++;
                    continue;
                }
            } else if (rc == VIGIL_OK && !plan_has(p, paths[k])) {
                report_note(o, paths[k], 1, "ingested earlier but gone: its records leave the state");
            }
            vigil__free(&st->alloc, paths[k]);
        }
        vigil__free(&st->alloc, paths);
    }
    return rc;
}

/* Ingests the plan's files as one batch, replacing the batches it drops,
 * and prunes old days (inside the run's transaction). */
static vigil_status state_ingest(vigil_state *st, const state_plan *p, const vigil_hunt_opts *o,
                                 const vigil_netset *nets, const vigil_allocator *al,
                                 vigil_hunt_summary *sum, double started)
{
    vigil_status rc = VIGIL_OK;
    for (size_t i = 0; i < p->ndrop && rc == VIGIL_OK; i++) rc = vigil__state_drop_batch(st, p->drop[i]);
    if (rc != VIGIL_OK || p->nread == 0) return rc;
    int64_t batch = 0;
    rc = vigil__state_new_batch(st, started, &batch);
    vigil__agg *none = NULL;
    if (rc == VIGIL_OK) rc = read_all(p->read, p->nread, o, nets, al, &none, sum, st, batch);
    for (size_t i = 0; i < p->nread && rc == VIGIL_OK; i++) {
        vigil__file_id id;
        if (vigil__state_file_id(p->read[i], &id) == VIGIL_OK) rc = vigil__state_add_file(st, batch, &id);
    }
    sum->files_ingested = p->nread;
    return rc;
}

vigil_status vigil_hunt(const char *const *files, size_t n, const vigil_hunt_opts *opts,
                        vigil_findings *findings, vigil_hunt_summary *summary)
{
    vigil_hunt_summary sum;
    memset(&sum, 0, sizeof sum);
    if (summary) memset(summary, 0, sizeof *summary);
    if (!findings || (n && !files)) return VIGIL_EINVAL;
    memset(findings, 0, sizeof *findings);
    vigil_hunt_opts o;
    memset(&o, 0, sizeof o);
    if (opts) o = *opts;
    vigil_allocator al;
    vigil__alloc_init(&al, o.alloc);
    double t0 = now_s();
    sum.files = n;
    vigil_netset *own_nets = NULL;
    const vigil_netset *nets = o.internal;
    vigil__agg *agg = NULL;
    unsigned char *drop = NULL;
    vigil_findings found = { 0 };
    state_plan plan;
    memset(&plan, 0, sizeof plan);
    int in_txn = 0;
    vigil_status rc = VIGIL_OK;
    if (!nets) {
        rc = vigil_netset_new(&own_nets, &al);
        if (rc == VIGIL_OK) rc = vigil_netset_add_private(own_nets);
        if (rc != VIGIL_OK) goto out;
        nets = own_nets;
    }
    if (o.state) {
        /* One transaction for the whole run: killed anywhere, the state is
         * as it was before it. */
        rc = vigil__state_begin(o.state);
        if (rc != VIGIL_OK) goto out;
        in_txn = 1;
        rc = make_plan(o.state, files, n, &o, &al, &plan, &sum);
        if (rc == VIGIL_OK) rc = state_ingest(o.state, &plan, &o, nets, &al, &sum, (double)time(NULL));
        if (rc == VIGIL_OK) rc = vigil__state_prune(o.state, o.keep_days);
        if (rc == VIGIL_OK && o.ingest_only) {
            rc = vigil__state_commit(o.state);
            in_txn = 0;
            goto out;
        }
        double tr = now_s();
        if (rc == VIGIL_OK) rc = vigil__agg_new(&agg, nets, &al);
        if (rc == VIGIL_OK) rc = vigil__state_restore(o.state, agg);
        sum.state_s = now_s() - tr;
    } else {
        rc = read_all(files, n, &o, nets, &al, &agg, &sum, NULL, 0);
    }
    if (rc != VIGIL_OK) goto out;
    double t1 = now_s();
    rc = vigil__agg_finish_threads(agg, (int)thread_count(o.threads));
    if (rc != VIGIL_OK) goto out;
    sum.finish_s = now_s() - t1;
    sum.pairs = vigil__agg_pair_count(agg);
    sum.groups = vigil__agg_group_count(agg);
    sum.hosts = vigil__agg_host_count(agg);
    sum.dns_domains = vigil__agg_dns_count(agg);
    vigil__agg_counts ac;
    vigil__agg_counts_get(agg, &ac);
    sum.conns_kept = ac.kept;
    sum.inbound = ac.inbound;
    sum.internal_only = ac.internal_only;
    sum.external_only = ac.external_only;
    sum.noise = ac.noise;
    sum.first_ts = ac.first_ts;
    sum.last_ts = ac.last_ts;
    rc = detect_all(agg, &o, &al, &found);
    if (rc != VIGIL_OK) goto out;
    sum.findings_detected = found.n;
    if (found.n) {
        drop = vigil__calloc(&al, found.n, 1);
        if (!drop) { rc = VIGIL_ENOMEM; goto out; }
    }
    for (size_t i = 0; i < found.n; i++) {
        const vigil_finding *f = &found.v[i];
        if (!(f->score >= o.min_score)) drop[i] = 1; /* NaN scores too */
        else if (o.config && vigil_config_drops(o.config, f)) {
            drop[i] = 1;
            sum.findings_allowed++;
        }
    }
    size_t before = 0;
    for (size_t i = 0; i < found.n; i++) before += !drop[i];
    rc = vigil__findings_dedup(&found, drop, &al);
    if (rc != VIGIL_OK) goto out;
    for (size_t i = 0; i < found.n && rc == VIGIL_OK; i++)
        if (!drop[i]) rc = vigil_findings_push(findings, &found.v[i]);
    if (rc != VIGIL_OK) goto out;
    sum.findings_merged = before - findings->n;
    vigil_findings_sort(findings);
    sum.detect_s = now_s() - t1;
    double te = now_s();
    rc = vigil__agg_describe_dsts(agg, findings);
    if (rc == VIGIL_OK && o.geo) rc = vigil_geo_enrich(o.geo, findings);
    if (rc != VIGIL_OK) goto out;
    if (o.state) {
        rc = vigil__state_findings(o.state, findings, (double)time(NULL));
        if (rc == VIGIL_OK) rc = vigil__state_commit(o.state);
        in_txn = 0;
    }
    sum.enrich_s = now_s() - te;
out:
    if (in_txn) vigil__state_rollback(o.state);
    plan_free(&al, &plan);
    if (rc != VIGIL_OK) vigil_findings_free(findings);
    vigil_findings_free(&found);
    vigil__free(&al, drop);
    vigil__agg_free(agg);
    vigil_netset_free(own_nets);
    sum.elapsed = now_s() - t0;
    if (summary) *summary = sum;
    return rc;
}
