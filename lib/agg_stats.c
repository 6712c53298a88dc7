/* agg_stats.c -- accumulates what `vigil stats` reports: per-log counts, time spans, distinct addresses.
 *
 * Input: records (vigil_stats_add), skip diagnostics (vigil_stats_add_skip),
 * or a list of files read on several threads (vigil_stats_scan).  Output:
 * per-log summaries sorted by name (vigil_stats_log) and totals.  The public
 * contract is include/vigil/stats.h; the `vigil stats` command (issue 3)
 * prints it.
 *
 * Distinct addresses are interned in open-addressing hash sets, one per log
 * name plus one across all logs.  Each entry carries an "internal" bit: an
 * address is internal when the internal netset contains it or when a conn
 * record's local_orig / local_resp flag says T for its side; once internal,
 * it stays internal.  Records of families without addresses (or OTHER logs
 * without id fields) carry the all-zero address, which is never counted.
 *
 * Threads: a vigil_stats is not shared; vigil_stats_scan gives each thread
 * its own and merges them at the end.  The netset is only read, so one may
 * be shared.  No global mutable state. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <isa-l/igzip_lib.h>
#include "internal.h"

/* ---- address set ---------------------------------------------------------------
 * Hand-written rather than a library table (e.g. glib's GHashTable) because
 * this is the hot path of `vigil stats`: every record probes it two to four
 * times.  Keys are stored inline (16 bytes, no per-entry malloc, no pointer
 * chasing); the all-zero address marks an empty slot, which is free because
 * all-zero addresses are never counted; linear probing over a power-of-two
 * table keeps a probe to one or two cache lines; the internal bits live in a
 * parallel byte array that a probe only touches when it may change one. */

typedef struct addrset {
    vigil_addr *keys;     /* cap slots; all-zero = empty (owned) */
    uint8_t *internal;    /* cap bytes; 1 when keys[i] is internal (owned) */
    size_t cap;           /* power of two, or 0 before the first insert */
    size_t count;         /* used slots */
    size_t n_internal;    /* used slots with the internal bit */
} addrset;

#define ADDRSET_MIN_CAP 64

static inline uint64_t load64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

/* 64-bit mix of both halves (the finaliser of MurmurHash3's fmix64,
 * applied after folding the halves with odd multipliers): IPv4-mapped
 * addresses differ only in their last 4 bytes, so the high bits must come
 * from a real mix, not from the raw bytes. */
static inline uint64_t addr_hash(uint64_t hi, uint64_t lo)
{
    uint64_t h = hi * 0x9e3779b97f4a7c15u ^ lo;
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdu;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53u;
    h ^= h >> 33;
    return h;
}

static void addrset_free(const vigil_allocator *al, addrset *s)
{
    vigil__free(al, s->keys);
    vigil__free(al, s->internal);
    memset(s, 0, sizeof *s);
}

/* The slot index holding `a`, or the empty slot where it goes. */
static inline size_t addrset_slot(const addrset *s, uint64_t hi, uint64_t lo, uint64_t h)
{
    size_t mask = s->cap - 1;
    size_t i = (size_t)h & mask;
    for (;;) {
        const uint8_t *k = s->keys[i].b;
        uint64_t khi = load64(k), klo = load64(k + 8);
        if ((khi == hi && klo == lo) || (khi | klo) == 0) return i;
        i = (i + 1) & mask;
    }
}

/* Doubles the table (or creates it).  The old one stays valid on failure. */
static vigil_status addrset_grow(const vigil_allocator *al, addrset *s)
{
    size_t ncap = s->cap ? s->cap * 2 : ADDRSET_MIN_CAP;
    if (ncap > SIZE_MAX / sizeof(vigil_addr)) return VIGIL_ENOMEM;
    addrset n = { 0 };
    n.keys = vigil__calloc(al, ncap, sizeof *n.keys);
    n.internal = vigil__calloc(al, ncap, 1);
    if (!n.keys || !n.internal) {
        addrset_free(al, &n);
        return VIGIL_ENOMEM;
    }
    n.cap = ncap;
    for (size_t i = 0; i < s->cap; i++) {
        const uint8_t *k = s->keys[i].b;
        uint64_t hi = load64(k), lo = load64(k + 8);
        if ((hi | lo) == 0) continue;
        size_t j = addrset_slot(&n, hi, lo, addr_hash(hi, lo));
        n.keys[j] = s->keys[i];
        n.internal[j] = s->internal[i];
    }
    n.count = s->count;
    n.n_internal = s->n_internal;
    addrset_free(al, s);
    *s = n;
    return VIGIL_OK;
}

/* How the internal bit of an address being added is decided: known (0/1),
 * or still to be asked of the netset (only done for addresses not yet in
 * the set, and at most once per record side). */
typedef struct internal_query {
    int flag;                    /* 1: local_orig/local_resp said T */
    int answer;                  /* -1 until the netset was asked */
    const vigil_netset *netset;  /* may be NULL */
    const vigil_addr *addr;      /* the address asked about */
} internal_query;

static int query_internal(internal_query *q)
{
    if (q->flag) return 1;
    if (q->answer < 0)
        q->answer = q->netset ? vigil_netset_contains(q->netset, q->addr) : 0;
    return q->answer;
}

/* Starts loading the cache line where an address with hash h would sit, so
 * the misses of the (up to four) probes of one record overlap instead of
 * queueing: with hundreds of thousands of distinct addresses the tables
 * outgrow the caches and each probe is a memory round trip. */
static inline void addrset_prefetch(const addrset *s, uint64_t h)
{
#if defined(__GNUC__) || defined(__clang__)
    if (s->cap) __builtin_prefetch(&s->keys[(size_t)h & (s->cap - 1)]);
#else
    (void)s;
    (void)h;
#endif
}

/* Adds a non-zero address (halves hi/lo, hash h); `q` decides its internal
 * bit. */
static inline vigil_status addrset_add(const vigil_allocator *al, addrset *s,
                                       const vigil_addr *a, uint64_t hi, uint64_t lo,
                                       uint64_t h, internal_query *q)
{
    if ((s->count + 1) * 10 > s->cap * 7) {
        vigil_status rc = addrset_grow(al, s);
        if (rc != VIGIL_OK) return rc;
    }
    size_t i = addrset_slot(s, hi, lo, h);
    const uint8_t *k = s->keys[i].b;
    if ((load64(k) | load64(k + 8)) == 0) {
        s->keys[i] = *a;
        s->count++;
        if (query_internal(q)) {
            s->internal[i] = 1;
            s->n_internal++;
        }
    } else if (q->flag && !s->internal[i]) {
        /* Known external so far (the netset said no); T makes it internal. */
        s->internal[i] = 1;
        s->n_internal++;
    }
    return VIGIL_OK;
}

/* Adds every entry of `src` to `dst`, OR-ing the internal bits. */
static vigil_status addrset_merge(const vigil_allocator *al, addrset *dst, const addrset *src)
{
    /* Size once up front rather than doubling along the way. */
    while ((dst->count + src->count) * 10 > dst->cap * 7) {
        vigil_status rc = addrset_grow(al, dst);
        if (rc != VIGIL_OK) return rc;
    }
    for (size_t i = 0; i < src->cap; i++) {
        const vigil_addr *a = &src->keys[i];
        uint64_t hi = load64(a->b), lo = load64(a->b + 8);
        if ((hi | lo) == 0) continue;
        internal_query q = { src->internal[i], 0, NULL, NULL };
        vigil_status rc = addrset_add(al, dst, a, hi, lo, addr_hash(hi, lo), &q);
        if (rc != VIGIL_OK) return rc;
    }
    return VIGIL_OK;
}

/* ---- the accumulator ----------------------------------------------------------- */

/* Everything counted for one log name. */
typedef struct log_acc {
    char *name;          /* log name, e.g. "conn" (owned) */
    vigil_log_type type; /* family of its records; UNKNOWN until one arrives */
    uint64_t records;    /* records accounted */
    uint64_t skipped;    /* records skipped in logs of this name */
    double first_ts;     /* earliest ts (valid when records > 0) */
    double last_ts;      /* latest ts (valid when records > 0) */
    addrset addrs;       /* distinct addresses in this log */
} log_acc;

struct vigil_stats {
    vigil_allocator alloc;          /* copy of the caller's allocator */
    const vigil_netset *internal;   /* borrowed; may be NULL */
    log_acc *logs;                  /* sorted by name (owned) */
    size_t nlogs;                   /* used entries of logs */
    size_t logs_cap;                /* allocated entries of logs */
    size_t last;                    /* index of the log last looked up (a
                                       cache: records come in runs of one log) */
    addrset all;                    /* distinct addresses across all logs */
    uint64_t by_reason[VIGIL_SKIP__COUNT]; /* skipped records per reason */
    uint64_t files;                 /* files counted by add_file */
};

vigil_status vigil_stats_new(vigil_stats **out, const vigil_netset *internal,
                             const vigil_allocator *alloc)
{
    if (!out) return VIGIL_EINVAL;
    *out = NULL;
    vigil_allocator a;
    vigil__alloc_init(&a, alloc);
    vigil_stats *s = vigil__calloc(&a, 1, sizeof *s);
    if (!s) return VIGIL_ENOMEM;
    s->alloc = a;
    s->internal = internal;
    *out = s;
    return VIGIL_OK;
}

void vigil_stats_free(vigil_stats *s)
{
    if (!s) return;
    vigil_allocator a = s->alloc;
    for (size_t i = 0; i < s->nlogs; i++) {
        vigil__free(&a, s->logs[i].name);
        addrset_free(&a, &s->logs[i].addrs);
    }
    vigil__free(&a, s->logs);
    addrset_free(&a, &s->all);
    vigil__free(&a, s);
}

/* Finds the log named `name`, creating it (in sorted position) when absent.
 * Returns NULL only when creating it failed for lack of memory. */
/* Equality of two short NUL-terminated names, inline: called once per
 * record, where a libc strcmp call costs more than the compare itself. */
static inline int same_name(const char *a, const char *b)
{
    while (*a && *a == *b) {
        a++;
        b++;
    }
    return *a == *b;
}

static log_acc *find_log(vigil_stats *s, const char *name)
{
    if (s->last < s->nlogs && same_name(s->logs[s->last].name, name))
        return &s->logs[s->last];
    size_t lo = 0, hi = s->nlogs;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(s->logs[mid].name, name);
        if (c == 0) {
            s->last = mid;
            return &s->logs[mid];
        }
        if (c < 0) lo = mid + 1;
        else hi = mid;
    }
    if (s->nlogs == s->logs_cap) {
        size_t ncap = s->logs_cap ? s->logs_cap * 2 : 8;
        log_acc *nl = vigil__realloc(&s->alloc, s->logs, ncap * sizeof *nl);
        if (!nl) return NULL;
        s->logs = nl;
        s->logs_cap = ncap;
    }
    char *copy = vigil__strdup(&s->alloc, name);
    if (!copy) return NULL;
    memmove(&s->logs[lo + 1], &s->logs[lo], (s->nlogs - lo) * sizeof *s->logs);
    memset(&s->logs[lo], 0, sizeof *s->logs);
    s->logs[lo].name = copy;
    s->logs[lo].type = VIGIL_LOG_UNKNOWN;
    s->nlogs++;
    s->last = lo;
    return &s->logs[lo];
}

vigil_status vigil_stats_add(vigil_stats *s, const vigil_record *rec)
{
    if (!s || !rec) return VIGIL_EINVAL;
    const char *name = rec->path && rec->path[0] ? rec->path : vigil_log_type_name(rec->type);
    log_acc *l = find_log(s, name);
    if (!l) return VIGIL_ENOMEM;
    if (l->type == VIGIL_LOG_UNKNOWN) l->type = rec->type;
    if (l->records == 0) {
        l->first_ts = l->last_ts = rec->ts;
    } else {
        if (rec->ts < l->first_ts) l->first_ts = rec->ts;
        if (rec->ts > l->last_ts) l->last_ts = rec->ts;
    }
    l->records++;
    /* Every family's union member starts with the same vigil_conn_id;
     * OTHER/UNKNOWN records without id fields carry all-zero addresses. */
    const vigil_conn_id *id = &rec->u.conn.id;
    int lo_flag = 0, lr_flag = 0;
    if (rec->type == VIGIL_LOG_CONN) {
        lo_flag = rec->u.conn.local_orig == VIGIL_TRUE;
        lr_flag = rec->u.conn.local_resp == VIGIL_TRUE;
    }
    const vigil_addr *oa = &id->orig_h, *ra = &id->resp_h;
    uint64_t ohi = load64(oa->b), olo = load64(oa->b + 8);
    uint64_t rhi = load64(ra->b), rlo = load64(ra->b + 8);
    int o_set = (ohi | olo) != 0, r_set = (rhi | rlo) != 0; /* all-zero: no address */
    uint64_t oh = 0, rh = 0;
    if (o_set) {
        oh = addr_hash(ohi, olo);
        addrset_prefetch(&l->addrs, oh);
        addrset_prefetch(&s->all, oh);
    }
    if (r_set) {
        rh = addr_hash(rhi, rlo);
        addrset_prefetch(&l->addrs, rh);
        addrset_prefetch(&s->all, rh);
    }
    vigil_status rc = VIGIL_OK;
    if (o_set) {
        /* One query per side: the netset is asked at most once. */
        internal_query q = { lo_flag, -1, s->internal, oa };
        rc = addrset_add(&s->alloc, &l->addrs, oa, ohi, olo, oh, &q);
        if (rc == VIGIL_OK) rc = addrset_add(&s->alloc, &s->all, oa, ohi, olo, oh, &q);
    }
    if (r_set && rc == VIGIL_OK) {
        internal_query q = { lr_flag, -1, s->internal, ra };
        rc = addrset_add(&s->alloc, &l->addrs, ra, rhi, rlo, rh, &q);
        if (rc == VIGIL_OK) rc = addrset_add(&s->alloc, &s->all, ra, rhi, rlo, rh, &q);
    }
    return rc;
}

vigil_status vigil_stats_add_skip(vigil_stats *s, const vigil_diag *d)
{
    if (!s || !d) return VIGIL_EINVAL;
    if (d->kind != VIGIL_DIAG_SKIPPED) return VIGIL_OK; /* not a skip: nothing to count */
    if ((unsigned)d->reason >= VIGIL_SKIP__COUNT) return VIGIL_EINVAL;
    log_acc *l = find_log(s, d->log && d->log[0] ? d->log : "unknown");
    if (!l) return VIGIL_ENOMEM;
    l->skipped += d->count;
    s->by_reason[d->reason] += d->count;
    return VIGIL_OK;
}

void vigil_stats_add_file(vigil_stats *s)
{
    if (s) s->files++;
}

vigil_status vigil_stats_merge(vigil_stats *dst, const vigil_stats *src)
{
    if (!dst || !src) return VIGIL_EINVAL;
    if (dst == src) return VIGIL_EINVAL;
    for (size_t i = 0; i < src->nlogs; i++) {
        const log_acc *from = &src->logs[i];
        log_acc *to = find_log(dst, from->name);
        if (!to) return VIGIL_ENOMEM;
        if (to->type == VIGIL_LOG_UNKNOWN) to->type = from->type;
        if (from->records) {
            if (to->records == 0) {
                to->first_ts = from->first_ts;
                to->last_ts = from->last_ts;
            } else {
                if (from->first_ts < to->first_ts) to->first_ts = from->first_ts;
                if (from->last_ts > to->last_ts) to->last_ts = from->last_ts;
            }
        }
        /* Sets first: a failure then leaves the counters unchanged. */
        vigil_status rc = addrset_merge(&dst->alloc, &to->addrs, &from->addrs);
        if (rc != VIGIL_OK) return rc;
        to->records += from->records;
        to->skipped += from->skipped;
    }
    vigil_status rc = addrset_merge(&dst->alloc, &dst->all, &src->all);
    if (rc != VIGIL_OK) return rc;
    for (int r = 0; r < VIGIL_SKIP__COUNT; r++) dst->by_reason[r] += src->by_reason[r];
    dst->files += src->files;
    return VIGIL_OK;
}

size_t vigil_stats_log_count(const vigil_stats *s) { return s ? s->nlogs : 0; }

vigil_status vigil_stats_log(const vigil_stats *s, size_t i, vigil_log_summary *out)
{
    if (!s || !out || i >= s->nlogs) return VIGIL_EINVAL;
    const log_acc *l = &s->logs[i];
    out->name = l->name;
    out->type = l->type;
    out->records = l->records;
    out->skipped = l->skipped;
    out->first_ts = l->records ? l->first_ts : 0;
    out->last_ts = l->records ? l->last_ts : 0;
    out->internal_addrs = l->addrs.n_internal;
    out->external_addrs = l->addrs.count - l->addrs.n_internal;
    return VIGIL_OK;
}

uint64_t vigil_stats_skipped_by(const vigil_stats *s, vigil_skip_reason r)
{
    if (!s || (unsigned)r >= VIGIL_SKIP__COUNT) return 0;
    return s->by_reason[r];
}

uint64_t vigil_stats_files(const vigil_stats *s) { return s ? s->files : 0; }
uint64_t vigil_stats_internal_addrs(const vigil_stats *s) { return s ? s->all.n_internal : 0; }
uint64_t vigil_stats_external_addrs(const vigil_stats *s)
{
    return s ? s->all.count - s->all.n_internal : 0;
}

/* ---- reading files on several threads ------------------------------------------- */

#define SNIFF_BYTES 4096 /* bytes looked at to tell binary from unknown text */
#define MAX_THREADS 256  /* more threads than this never helps a disk */

/* Shared by all workers of one scan.  Read-only after start except where
 * noted. */
typedef struct scan_shared {
    const char *const *files;     /* the caller's paths (borrowed) */
    size_t *order;                /* file indices, largest first (owned) */
    size_t nfiles;                /* entries of files and order */
    atomic_size_t next;           /* next position in order to hand out */
    atomic_int stop;              /* set on a fatal error: workers finish */
    vigil_reader_opts opts;       /* the caller's options (copy) */
    pthread_mutex_t diag_lock;    /* serialises calls to opts.diag */
} scan_shared;

/* One worker thread's state. */
typedef struct scan_worker {
    scan_shared *sh;      /* the scan */
    vigil_stats *stats;   /* this thread's accumulator (owned by the scan) */
    vigil_status status;  /* first fatal error, VIGIL_OK otherwise */
    size_t unreadable;    /* files this worker could not read */
    pthread_t tid;        /* its thread, when started */
    int started;          /* tid is a running thread to join */
} scan_worker;

/* Passes a diagnostic to the caller's sink under the scan's lock. */
static void emit(scan_shared *sh, const vigil_diag *d)
{
    if (!sh->opts.diag) return;
    pthread_mutex_lock(&sh->diag_lock);
    sh->opts.diag(sh->opts.diag_user, d);
    pthread_mutex_unlock(&sh->diag_lock);
}

/* The diag callback the readers of a worker get: counts skips into the
 * worker's stats, then forwards. */
static void worker_diag(void *user, const vigil_diag *d)
{
    scan_worker *w = user;
    if (d->kind == VIGIL_DIAG_SKIPPED) {
        vigil_status rc = vigil_stats_add_skip(w->stats, d);
        if (rc != VIGIL_OK && w->status == VIGIL_OK) w->status = rc;
    }
    emit(w->sh, d);
}

static void report_unreadable(scan_worker *w, const char *file, const char *detail)
{
    w->unreadable++;
    vigil_diag d = { .kind = VIGIL_DIAG_UNREADABLE, .reason = VIGIL_SKIP_NONE, .file = file,
                     .line = 0, .count = 1, .log = NULL, .detail = detail };
    emit(w->sh, &d);
}

/* 1 when the first SNIFF_BYTES of the file's content (inflated when it is
 * gzip) contain a NUL byte.  Used only to name the reason for a file the
 * reader rejected as not a log. */
static int content_has_nul(const char *path, const vigil_allocator *al)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) return 0;
    unsigned char raw[SNIFF_BYTES];
    size_t n = 0;
    while (n < sizeof raw) {
        ssize_t got = read(fd, raw + n, sizeof raw - n);
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) break;
        n += (size_t)got;
    }
    close(fd);
    if (n >= 2 && raw[0] == 0x1f && raw[1] == 0x8b) {
        /* The inflate state is large (tens of KiB): heap, not stack. */
        struct inflate_state *st = vigil__malloc(al, sizeof *st);
        unsigned char *out = vigil__malloc(al, SNIFF_BYTES);
        int nul = 0;
        if (st && out) {
            isal_inflate_init(st);
            st->crc_flag = ISAL_GZIP;
            st->next_in = raw;
            st->avail_in = (uint32_t)n;
            st->next_out = out;
            st->avail_out = SNIFF_BYTES;
            (void)isal_inflate(st); /* a partial result is enough */
            nul = memchr(out, 0, SNIFF_BYTES - st->avail_out) != NULL;
        }
        vigil__free(al, out);
        vigil__free(al, st);
        return nul;
    }
    return memchr(raw, 0, n) != NULL;
}

/* Reads one file into the worker's stats. */
static void scan_file(scan_worker *w, const char *path)
{
    vigil_reader_opts o = w->sh->opts;
    o.diag = worker_diag;
    o.diag_user = w;
    vigil_reader *r = NULL;
    errno = 0;
    vigil_status rc = vigil_reader_open(&r, path, &o);
    int e = errno;
    if (rc == VIGIL_ENOMEM) {
        w->status = rc;
        return;
    }
    if (rc == VIGIL_EFORMAT) {
        int nul = content_has_nul(path, &w->stats->alloc);
        vigil_diag d = {
            .kind = VIGIL_DIAG_SKIPPED,
            .reason = nul ? VIGIL_SKIP_BINARY : VIGIL_SKIP_UNKNOWN_LOG_TYPE,
            .file = path, .line = 0, .count = 1, .log = NULL,
            .detail = nul ? "binary content, not a log" : "not a log vigil reads",
        };
        worker_diag(w, &d);
        return;
    }
    if (rc != VIGIL_OK) {
        /* VIGIL_ENOENT, VIGIL_EIO, VIGIL_EUNSUPPORTED (gzip from a pipe)... */
        report_unreadable(w, path, (rc == VIGIL_ENOENT || rc == VIGIL_EIO) && e
                                       ? strerror(e) : vigil_strerror(rc));
        return;
    }
    vigil_stats_add_file(w->stats);
    for (;;) {
        const vigil_record *rec;
        errno = 0;
        rc = vigil_reader_next(r, &rec);
        if (rc != VIGIL_OK || !rec) break;
        rc = vigil_stats_add(w->stats, rec);
        if (rc != VIGIL_OK) break;
        if (w->status != VIGIL_OK) break; /* a skip could not be counted */
    }
    e = errno;
    vigil_reader_free(r);
    if (rc == VIGIL_ENOMEM) {
        w->status = rc;
    } else if (rc != VIGIL_OK) {
        /* A read error part-way: what was read is counted, the file is
         * reported as not fully readable. */
        report_unreadable(w, path, rc == VIGIL_EIO && e ? strerror(e) : vigil_strerror(rc));
    }
}

static void *worker_main(void *arg)
{
    scan_worker *w = arg;
    scan_shared *sh = w->sh;
    while (w->status == VIGIL_OK && !atomic_load(&sh->stop)) {
        size_t k = atomic_fetch_add(&sh->next, 1);
        if (k >= sh->nfiles) break;
        scan_file(w, sh->files[sh->order[k]]);
    }
    if (w->status != VIGIL_OK) atomic_store(&sh->stop, 1);
    return NULL;
}

/* For sorting file indices by size, largest first (then by index, so the
 * order is deterministic). */
typedef struct sized_file {
    size_t index;   /* position in the caller's array */
    off_t size;     /* st_size, 0 when stat failed */
} sized_file;

static int cmp_size_desc(const void *a, const void *b)
{
    const sized_file *x = a, *y = b;
    if (x->size != y->size) return x->size > y->size ? -1 : 1;
    return x->index < y->index ? -1 : x->index > y->index;
}

/* Notes beyond stats.h: readers and per-thread accumulators use
 * opts->alloc, else the allocator `s` was made with; with threads > 1 it is
 * called from several threads at once and must be thread-safe.  The files
 * are handed out largest first through an atomic index.  vigil_stats_files
 * counts the files vigil_reader_open accepted; a file it rejects as not a
 * log (VIGIL_EFORMAT) is one skip (BINARY or UNKNOWN_LOG_TYPE, log
 * "unknown"); one it cannot open is UNREADABLE.  *unreadable is set (not
 * added to).  On an error other than unreadable files, `s` may hold part of
 * the results. */
vigil_status vigil_stats_scan(vigil_stats *s, const char *const *files,
                              size_t nfiles, int threads,
                              const vigil_reader_opts *opts,
                              size_t *unreadable)
{
    if (unreadable) *unreadable = 0;
    if (!s || (nfiles && !files)) return VIGIL_EINVAL;
    if (nfiles == 0) return VIGIL_OK;

    size_t nthreads = threads > 0 ? (size_t)threads : 0;
    if (nthreads == 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        nthreads = n > 0 ? (size_t)n : 1;
    }
    if (nthreads > MAX_THREADS) nthreads = MAX_THREADS;
    if (nthreads > nfiles) nthreads = nfiles;

    vigil_status rc = VIGIL_ENOMEM;
    scan_shared sh;
    memset(&sh, 0, sizeof sh);
    sh.files = files;
    sh.nfiles = nfiles;
    atomic_init(&sh.next, 0);
    atomic_init(&sh.stop, 0);
    if (opts) sh.opts = *opts;
    if (!sh.opts.alloc) sh.opts.alloc = &s->alloc;
    int lock_ok = pthread_mutex_init(&sh.diag_lock, NULL) == 0;
    if (!lock_ok) return VIGIL_ETHREAD;

    scan_worker *w = vigil__calloc(&s->alloc, nthreads, sizeof *w);
    sized_file *sized = vigil__calloc(&s->alloc, nfiles, sizeof *sized);
    sh.order = vigil__calloc(&s->alloc, nfiles, sizeof *sh.order);
    if (!w || !sized || !sh.order) goto out;

    /* Largest files first, so one big file does not start last and leave
     * the other threads idle at the end. */
    for (size_t i = 0; i < nfiles; i++) {
        struct stat st;
        sized[i].index = i;
        sized[i].size = files[i] && stat(files[i], &st) == 0 ? st.st_size : 0;
    }
    qsort(sized, nfiles, sizeof *sized, cmp_size_desc);
    for (size_t i = 0; i < nfiles; i++) sh.order[i] = sized[i].index;

    for (size_t i = 0; i < nthreads; i++) {
        w[i].sh = &sh;
        rc = vigil_stats_new(&w[i].stats, s->internal, &s->alloc);
        if (rc != VIGIL_OK) goto out;
    }
    /* The calling thread is worker 0; if a thread cannot be started, the
     * ones that did (and this one) share its files. */
    for (size_t i = 1; i < nthreads; i++)
        w[i].started = pthread_create(&w[i].tid, NULL, worker_main, &w[i]) == 0;
    worker_main(&w[0]);
    for (size_t i = 1; i < nthreads; i++)
        if (w[i].started) pthread_join(w[i].tid, NULL);

    rc = VIGIL_OK;
    size_t bad = 0;
    for (size_t i = 0; i < nthreads; i++) {
        bad += w[i].unreadable;
        if (rc == VIGIL_OK && w[i].status != VIGIL_OK) rc = w[i].status;
    }
    for (size_t i = 0; i < nthreads && rc == VIGIL_OK; i++)
        rc = vigil_stats_merge(s, w[i].stats);
    if (unreadable) *unreadable = bad;
out:
    if (w)
        for (size_t i = 0; i < nthreads; i++) vigil_stats_free(w[i].stats);
    vigil__free(&s->alloc, w);
    vigil__free(&s->alloc, sized);
    vigil__free(&s->alloc, sh.order);
    pthread_mutex_destroy(&sh.diag_lock);
    return rc;
}
