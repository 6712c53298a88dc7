/* agg_defer.c -- deferred connections: an aggregate that takes many files'
 * records (hunt.c's shared one) keeps each kept connection as a short
 * encoded record in one of 1,024 hash buckets, and builds its pairs from
 * them once, bucket by bucket, when the reading is over.
 *
 * Why: merged one by one into the pairs, every connection cost a pair
 * look-up and an append to its pair's growing array (with its realloc) --
 * cache misses in tables of hundreds of MB, ~4.3 CPU-s of the simulated
 * month's hunt by perf, plus ~1.2 CPU-s to sort every pair's points
 * afterwards (docs/hunt.md, sessions 5 and 6).  Appended to a bucket, a
 * connection is ~20 bytes written where the bucket's last record ended.
 * A bucket holds ~1/1,024 of the pairs with all their connections, so
 * building its pairs is in-cache work: a small hash table, a counting
 * sort of the points by pair, each pair's points sorted and encoded once
 * at their final size (no realloc, no separate sort pass), and the pairs
 * appended to the aggregate's array under a lock.  Two threads take
 * buckets from a shared cursor.  Together ~2.5 CPU-s on the month.
 *
 * A record, in prefix varints (put_pv): the header (proto | state << 2 |
 * has duration << 6 | raw time << 7 | raw duration << 8: one byte unless
 * a value is not whole microseconds), the src and dst ids, the port, the
 * time as zig-zag microseconds since the bucket's previous record (or 8
 * raw bytes), the duration as zig-zag microseconds (or 8 raw bytes), then
 * the unclamped originator and responder bytes.  Hand-written: the
 * encoding is a few stores, and a general container would add a call per
 * record where a store suffices. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include "agg_impl.h"

#ifndef DEFER_BITS
#define DEFER_BITS 10
#endif
#define DEFER_BUCKETS ((size_t)1 << DEFER_BITS)
#define REC_MAX 96                    /* one encoded record at most (79),
                                         and the 8 bytes a field's load
                                         may read past the last one */
/* A bucket's room in the reservation: 32 MB (tests make it smaller, to
 * reach the chunks that follow a full slot). */
size_t vigil__defer_slot_bytes = (size_t)32 << 20;
#define CHUNK_MIN 4096                /* chunks of their own: from this, */
#define CHUNK_MAX ((size_t)1 << 20)   /* doubling to this */

enum { CHUNK_SLOT, CHUNK_MMAP, CHUNK_HEAP };

typedef struct vigil__dchunk vigil__dchunk;

struct vigil__dchunk {
    vigil__dchunk *next;              /* the newer chunk */
    size_t size;                      /* bytes of the chunk */
    size_t used;                      /* bytes of data (set when closed) */
    int kind;                         /* CHUNK_* */
    unsigned char data[];
};

/* One bucket: its chunks, and where its next record goes (kept here, so
 * that appending touches only the bucket and the record's own bytes). */
typedef struct dbucket {
    unsigned char *pos, *end;         /* in the newest chunk */
    vigil__dchunk *head, *tail;       /* oldest and newest chunk */
    int64_t last_us;                  /* the previous record's time */
    uint64_t n;                       /* records */
    int slot_taken;                   /* its slot holds settled pairs'
                                         points: later records go to
                                         chunks of their own */
} dbucket;

struct vigil__defer {
    dbucket b[DEFER_BUCKETS];
    unsigned char *slots;             /* the reservation, or NULL */
    vigil__ag_pending *sorted;        /* push: records by bucket */
    size_t sorted_cap;
    size_t slot_size;                 /* bytes of each bucket's slot */
    uint64_t n;                       /* records in every bucket */
};

/* Memory.  With the C library's allocator, each bucket grows in a slot
 * of its own in one address-space reservation (32 MB a bucket, 32 GB in
 * all, MAP_NORESERVE: only the pages written are memory), so a bucket is
 * one range whatever its size: no chunk chain to follow, and its pages go
 * back in one call when it is settled (after its pairs' points took what
 * they need of it).  Why not malloc: the reading
 * threads fill the buckets and the settling threads free them, and glibc
 * returns a block freed by another thread to the arena that made it,
 * where the settling threads' own allocations (the pairs and their
 * points, as large as the buckets) cannot reuse it -- both would be
 * resident at once.  Why not one mmap per chunk: each munmap costs a TLB
 * shoot-down on the other core, ~60 us in this VM, and thousands of
 * chunks cost 0.5 CPU-s.  A bucket that outgrows its slot, or every
 * bucket when the reservation is refused (a small RLIMIT_AS), goes on in
 * chunks of its own; any other allocator (tests that fail allocations)
 * gives the chunks. */
static int use_mmap(const vigil_allocator *al)
{
    return al->malloc_fn == vigil_allocator_default()->malloc_fn;
}

static vigil__dchunk *chunk_new(const vigil_allocator *al, size_t size)
{
    vigil__dchunk *k;
    int kind = use_mmap(al) ? CHUNK_MMAP : CHUNK_HEAP;
    if (kind == CHUNK_MMAP) {
        void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        k = p == MAP_FAILED ? NULL : p;
    } else {
        k = vigil__malloc(al, size);
    }
    if (!k) return NULL;
    k->next = NULL;
    k->size = size;
    k->used = 0;
    k->kind = kind;
    return k;
}

/* A slot stays reserved (the bucket may fill it again): its pages are
 * given back. */
static void chunk_free(const vigil_allocator *al, vigil__dchunk *k)
{
    if (k->kind == CHUNK_HEAP) vigil__free(al, k);
    else if (k->kind == CHUNK_MMAP) munmap(k, k->size);
    else madvise(k, k->size, MADV_DONTNEED); /* what was never written costs nothing */
}

static void bucket_empty(const vigil_allocator *al, dbucket *b)
{
    if (b->tail) b->tail->used = (size_t)(b->pos - b->tail->data);
    for (vigil__dchunk *k = b->head, *nk; k; k = nk) {
        nk = k->next;
        chunk_free(al, k);
    }
    int taken = b->slot_taken;
    memset(b, 0, sizeof *b);
    b->slot_taken = taken;
}

vigil_status vigil__agg_set_deferred(vigil__agg *a)
{
    if (!a || a->partial) return VIGIL_EINVAL;
    if (a->defer) return VIGIL_OK;
    vigil__defer *d = vigil__calloc(&a->alloc, 1, sizeof *d);
    if (!d) return VIGIL_ENOMEM;
    d->slot_size = (vigil__defer_slot_bytes + 4095) & ~(size_t)4095;
    if (d->slot_size < 65536) d->slot_size = 65536;
    if (use_mmap(&a->alloc)) {
        void *p = mmap(NULL, DEFER_BUCKETS * d->slot_size, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        d->slots = p == MAP_FAILED ? NULL : p;
    }
    a->defer = d;
    return VIGIL_OK;
}

void vigil__agg_defer_free(vigil__agg *a)
{
    vigil__defer *d = a->defer;
    if (!d) return;
    for (size_t i = 0; i < DEFER_BUCKETS; i++) bucket_empty(&a->alloc, &d->b[i]);
    if (d->slots) munmap(d->slots, DEFER_BUCKETS * d->slot_size);
    vigil__free(&a->alloc, d->sorted);
    vigil__free(&a->alloc, d);
    a->defer = NULL;
}

/* A slot is written in windows of WINDOW bytes, each made resident with
 * one call (MADV_POPULATE_WRITE) before the records reach it: one page
 * fault per 4 KB page cost ~1 CPU-s over the simulated month's 380 MB of
 * records in this VM (each a trap into the kernel, with PTI a page-table
 * switch each way); eight pages a call cost an eighth of the traps.  At
 * most one window per bucket is resident ahead of its records (16 MB in
 * all, on average); where the call is not known (kernels before 5.14),
 * the pages fault in as they are written. */
#define WINDOW ((size_t)32 << 10)

/* Room for one more record in bucket i. */
static vigil_status bucket_room(const vigil_allocator *al, vigil__defer *d, size_t i)
{
    dbucket *b = &d->b[i];
    vigil__dchunk *k = b->tail, *nk;
    if (k && (size_t)(b->end - b->pos) >= REC_MAX) return VIGIL_OK;
    if (k && k->kind == CHUNK_SLOT && b->end < (unsigned char *)k + k->size) {
        /* The slot's next window. */
        size_t left = (size_t)((unsigned char *)k + k->size - b->end);
        size_t step = left < WINDOW ? left : WINDOW;
        vigil__populate_pages(b->end, step);
        b->end += step;
        if ((size_t)(b->end - b->pos) >= REC_MAX) return VIGIL_OK;
    }
    if (!k && d->slots && !b->slot_taken) {
        nk = (vigil__dchunk *)(void *)(d->slots + i * d->slot_size);
        vigil__populate_pages(nk, WINDOW);
        nk->next = NULL;
        nk->size = d->slot_size;
        nk->used = 0;
        nk->kind = CHUNK_SLOT;
    } else {
        size_t size = !k ? CHUNK_MIN : k->kind == CHUNK_SLOT ? CHUNK_MAX : k->size * 2;
        if (!(nk = chunk_new(al, size < CHUNK_MAX ? size : CHUNK_MAX))) return VIGIL_ENOMEM;
    }
    if (k) {
        k->used = (size_t)(b->pos - k->data);
        k->next = nk;
    } else {
        b->head = nk;
    }
    b->tail = nk;
    b->pos = nk->data;
    b->end = (unsigned char *)nk + (nk->kind == CHUNK_SLOT ? WINDOW : nk->size);
    return VIGIL_OK;
}

static inline unsigned char *put_raw(unsigned char *p, double v)
{
    memcpy(p, &v, 8);
    return p + 8;
}

/* Prefix varints: the number of bytes is the count of trailing zero bits
 * of the first byte, plus one (1-8 bytes for values below 2^56; a zero
 * byte, then 8 raw bytes, above).  Written and read with one unaligned
 * 8-byte store or load and a shift, no loop: the base-128 varints'
 * byte-by-byte loops, whose lengths the branch predictor cannot guess,
 * were most of the cost of appending a record (perf).  Both may touch up
 * to 8 bytes past the value: REC_MAX keeps that room. */
static inline uint64_t le64(uint64_t x)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    return __builtin_bswap64(x);
#else
    return x;
#endif
}

static inline unsigned char *put_pv(unsigned char *p, uint64_t v)
{
    if (v >= (uint64_t)1 << 56) {
        *p = 0;
        memcpy(p + 1, &v, 8);
        return p + 9;
    }
    unsigned bits = 64u - (unsigned)__builtin_clzll(v | 1);
    unsigned len = (bits + 6) / 7;
    uint64_t x = le64((v << len) | ((uint64_t)1 << (len - 1)));
    memcpy(p, &x, 8);
    return p + len;
}

static inline const unsigned char *get_pv(const unsigned char *p, uint64_t *v)
{
    if (!p[0]) {
        memcpy(v, p + 1, 8);
        return p + 9;
    }
    unsigned len = (unsigned)__builtin_ctz(p[0]) + 1;
    uint64_t x;
    memcpy(&x, p, 8);
    x = le64(x);
    if (len < 8) x &= ((uint64_t)1 << (8 * len)) - 1;
    *v = x >> len;
    return p + len;
}

/* Encodes c at the end of bucket b (room checked). */
static inline void put_rec(dbucket *b, const vigil__ag_pending *c)
{
    int64_t us = 0, dus = 0;
    int ts_raw = !vigil__ts_to_us(c->ts, &us);
    int dur_raw = c->has_dur && !vigil__ts_to_us(c->duration, &dus);
    unsigned char *p = b->pos;
    p = put_pv(p, (uint64_t)(c->proto & 3) | (uint64_t)(c->state & 15) << 2 |
                             (uint64_t)(c->has_dur != 0) << 6 | (uint64_t)ts_raw << 7 |
                             (uint64_t)dur_raw << 8);
    p = put_pv(p, c->src);
    p = put_pv(p, c->dst);
    p = put_pv(p, c->dport);
    if (ts_raw) {
        p = put_raw(p, c->ts);
    } else {
        p = put_pv(p, vigil__zz(us - b->last_us));
        b->last_us = us;
    }
    if (c->has_dur) p = dur_raw ? put_raw(p, c->duration) : put_pv(p, vigil__zz(dus));
    p = put_pv(p, c->ob);
    p = put_pv(p, c->rb);
    b->pos = p;
    b->n++;
}

#define BUCKET_OF(tag) ((size_t)((tag) >> (32 - DEFER_BITS)))

/* Records grouped at a time: a partial that took a big file (or several)
 * holds millions, and a copy of them all would add its size to the peak. */
#define PUSH_SLICE 65536

vigil_status vigil__agg_defer_push(vigil__agg *a, vigil__ag_pending *q, size_t n)
{
    vigil__defer *d = a->defer;
    vigil_status rc;
    if (n < 64) {
        for (size_t i = 0; i < n; i++) {
            size_t bi = BUCKET_OF(q[i].tag);
            if ((rc = bucket_room(&a->alloc, d, bi)) != VIGIL_OK) return rc;
            put_rec(&d->b[bi], &q[i]);
            d->n++;
        }
        return VIGIL_OK;
    }
    /* A file's connections, grouped by bucket (a counting sort, stable):
     * each bucket's end is then visited once, not once per record, and
     * the next bucket's end is fetched while this one is written. */
    size_t slice = n < PUSH_SLICE ? n : PUSH_SLICE;
    rc = vigil__grow(&a->alloc, (void **)&d->sorted, &d->sorted_cap, slice, sizeof *d->sorted);
    if (rc != VIGIL_OK) return rc;
    for (size_t from = 0; from < n; from += slice) {
        size_t m = n - from < slice ? n - from : slice;
        const vigil__ag_pending *s = q + from;
        uint32_t at[DEFER_BUCKETS + 1];
        memset(at, 0, sizeof at);
        for (size_t i = 0; i < m; i++) at[BUCKET_OF(s[i].tag) + 1]++;
        for (size_t i = 0; i < DEFER_BUCKETS; i++) at[i + 1] += at[i];
        uint32_t next[DEFER_BUCKETS];
        memcpy(next, at, sizeof next);
        for (size_t i = 0; i < m; i++) d->sorted[next[BUCKET_OF(s[i].tag)]++] = s[i];
        for (size_t bi = 0; bi < DEFER_BUCKETS; bi++) {
            if (bi + 2 < DEFER_BUCKETS) __builtin_prefetch(d->b[bi + 2].pos, 1);
            for (uint32_t k = at[bi]; k < at[bi + 1]; k++) {
                if ((rc = bucket_room(&a->alloc, d, bi)) != VIGIL_OK) return rc;
                put_rec(&d->b[bi], &d->sorted[k]);
                d->n++;
            }
        }
    }
    return VIGIL_OK;
}

/* Decodes the record at p (last: the bucket's previous time in us) into
 * *c, without its tag; *raw: its time was not whole microseconds.
 * Returns the end. */
static inline const unsigned char *get_rec(const unsigned char *p, int64_t *last, vigil__ag_pending *c,
                                           int *raw)
{
    uint64_t h, v;
    p = get_pv(p, &h);
    c->proto = (uint8_t)(h & 3);
    c->state = (uint8_t)(h >> 2 & 15);
    c->has_dur = (uint32_t)(h >> 6 & 1);
    p = get_pv(p, &v);
    c->src = (uint32_t)v;
    p = get_pv(p, &v);
    c->dst = (uint32_t)v;
    p = get_pv(p, &v);
    c->dport = (uint16_t)v;
    *raw = (int)(h >> 7 & 1);
    if (*raw) {
        memcpy(&c->ts, p, 8);
        p += 8;
    } else {
        p = get_pv(p, &v);
        *last += vigil__unzz(v);
        c->ts = (double)*last / 1e6;
    }
    c->duration = 0;
    if (c->has_dur && (h >> 8 & 1)) {
        memcpy(&c->duration, p, 8);
        p += 8;
    } else if (c->has_dur) {
        p = get_pv(p, &v);
        c->duration = (double)vigil__unzz(v) / 1e6;
    }
    p = get_pv(p, &c->ob);
    return get_pv(p, &c->rb);
}

/* The end of chunk k's records in bucket b. */
static inline const unsigned char *chunk_end(const dbucket *b, const vigil__dchunk *k)
{
    return k == b->tail ? b->pos : k->data + k->used;
}

vigil_status vigil__agg_defer_replay(vigil__agg *a)
{
    vigil__defer *d = a->defer;
    if (!d || !d->n) return VIGIL_OK;
    /* Not deferred while replaying: the batch goes to the pairs. */
    a->defer = NULL;
    vigil_status rc = VIGIL_OK;
    for (size_t i = 0; i < DEFER_BUCKETS; i++) {
        dbucket *b = &d->b[i];
        int64_t last = 0;
        int raw;
        for (vigil__dchunk *k = b->head; k && rc == VIGIL_OK; k = k->next)
            for (const unsigned char *p = k->data, *end = chunk_end(b, k); p < end && rc == VIGIL_OK;) {
                vigil__ag_pending c;
                p = get_rec(p, &last, &c, &raw);
                c.tag = vigil__pair_tag(c.src, c.dst, c.dport, c.proto);
                rc = vigil__agg_pend(a, &c);
            }
        /* Emptied even on failure: what was applied must not come twice
         * (and the caller gives up the aggregate). */
        bucket_empty(&a->alloc, b);
    }
    if (rc == VIGIL_OK) rc = vigil__agg_flush(a);
    a->defer = d;
    d->n = 0;
    return rc;
}

/* ---- settling: the pairs built bucket by bucket ---------------------------- */

typedef struct settle_ctx {
    vigil__agg *a;
    atomic_size_t next;            /* the next bucket */
    atomic_int stop;               /* a thread failed */
    pthread_mutex_t lock;          /* a->pairs, a->npairs, a->big */
} settle_ctx;

/* One thread's scratch, grown to the largest bucket it takes. */
typedef struct settle_job {
    settle_ctx *x;
    vigil__conn_point *pts;        /* the bucket's points, as decoded */
    vigil__conn_point *sorted;     /* the same, grouped by pair */
    vigil__conn_point *tmp;        /* merge-sort scratch */
    uint32_t *rp;                  /* record -> its local pair */
    size_t cap, ptscap, tcap;      /* entries of sorted and rp, of pts,
                                      of tmp */
    vigil__ag_pair *lp;            /* the bucket's pairs */
    uint32_t *off;                 /* local pair -> its first sorted point */
    size_t lpcap;                  /* entries of lp (and of off, + 1) */
    uint32_t *tab;                 /* key -> local pair + 1 */
    size_t tabcap;
    unsigned char *enc;            /* one pair's points, encoded */
    size_t enccap;
    vigil__ag_big *big;            /* connections above 4 GiB (local pair) */
    size_t nbig, bigcap;
    vigil_status rc;
    pthread_t tid;
    int started;
} settle_job;

/* A bucket of more records than this is decoded twice (to count, then
 * straight into its place by pair) rather than through `pts`: 20 bytes of
 * scratch a record instead of 36, for a bucket that holds one enormous
 * pair (a host polling one port many times a second all month). */
size_t vigil__defer_two_pass = (size_t)1 << 20;

static vigil_status job_reserve(const vigil_allocator *al, settle_job *j, size_t m)
{
    if (m > j->cap) {
        size_t c = m + m / 4;
        vigil__free(al, j->sorted);
        vigil__free(al, j->rp);
        j->sorted = vigil__malloc(al, c * sizeof *j->sorted);
        j->rp = vigil__malloc(al, c * sizeof *j->rp);
        j->cap = (j->sorted && j->rp) ? c : 0;
        if (!j->cap) return VIGIL_ENOMEM;
    }
    if (m <= vigil__defer_two_pass && m > j->ptscap) {
        size_t c = m + m / 4;
        vigil__free(al, j->pts);
        j->pts = vigil__malloc(al, c * sizeof *j->pts);
        j->ptscap = j->pts ? c : 0;
        if (!j->pts) return VIGIL_ENOMEM;
    }
    size_t t = 64;
    while (t < 2 * m) t *= 2;
    if (t > j->tabcap) {
        vigil__free(al, j->tab);
        j->tab = vigil__malloc(al, t * sizeof *j->tab);
        j->tabcap = j->tab ? t : 0;
        if (!j->tab) return VIGIL_ENOMEM;
    }
    return VIGIL_OK;
}

/* Encodes v[0..n) (sorted, times whole microseconds) at out as a pair's
 * points (vigil__put_point), the last time as the 8-byte trailer.
 * Returns the bytes before the trailer. */
static size_t encode_us(unsigned char *out, const vigil__conn_point *v, size_t n)
{
    unsigned char *p = out;
    int64_t last = 0;
    for (size_t i = 0; i < n; i++) {
        /* Exact: these times passed vigil__ts_to_us when pushed. */
        double x = v[i].ts * 1e6;
        int64_t us = (int64_t)(x >= 0 ? x + 0.5 : x - 0.5);
        p = vigil__put_point(p, &v[i], 0, us, last, &last);
    }
    memcpy(p, &last, 8);
    return (size_t)(p - out);
}

/* The same into an array of the allocator's, at its final size. */
static vigil_status encode_alloc(const vigil_allocator *al, settle_job *j, vigil__ag_pair *q,
                                 const vigil__conn_point *v, size_t n)
{
    if (n > (UINT32_MAX - 64) / VIGIL__PT_MAX_BYTES) return VIGIL_ENOMEM;
    if (n * VIGIL__PT_MAX_BYTES + 8 > j->enccap) {
        vigil__free(al, j->enc);
        j->enccap = 0;
        if (!(j->enc = vigil__malloc(al, n * VIGIL__PT_MAX_BYTES + 8))) return VIGIL_ENOMEM;
        j->enccap = n * VIGIL__PT_MAX_BYTES + 8;
    }
    size_t used = encode_us(j->enc, v, n);
    if (!(q->enc = vigil__malloc(al, vigil__enc_size(used)))) return VIGIL_ENOMEM;
    memcpy(q->enc, j->enc, used + 8);
    q->used = (uint32_t)used;
    return VIGIL_OK;
}

#define PAGE_UP(x) (((x) + 4095) & ~(size_t)4095)

/* Builds bucket b's pairs and appends them to the aggregate.
 *
 * With a slot (the C library's allocator), the pairs' points are written
 * into the bucket's own slot once its records are decoded: the memory the
 * records took is reused (~9 bytes a point against ~20 a record), no
 * allocation per pair, no size-class slack, and the pages beyond are
 * given back.  Those arrays are enc_ext (agg_impl.h).  The records are
 * then gone before the pairs are in the aggregate: a failure after that
 * point (out of memory for the pair array) loses them, and the aggregate
 * is fit only to be freed -- hunt gives up on any failure.  Without a
 * slot the records stay until the pairs are in. */
static vigil_status settle_bucket(settle_job *j, dbucket *b)
{
    vigil__agg *a = j->x->a;
    const vigil_allocator *al = &a->alloc;
    if (b->n > UINT32_MAX - 1) return VIGIL_ENOMEM;
    size_t m = (size_t)b->n, np = 0, r = 0;
    int two_pass = m > vigil__defer_two_pass;
    vigil_status rc = job_reserve(al, j, m);
    if (rc != VIGIL_OK) return rc;
    size_t tmask = j->tabcap - 1;
    while (tmask + 1 > 2 * m && tmask + 1 > 64) tmask >>= 1; /* a table for this bucket */
    memset(j->tab, 0, (tmask + 1) * sizeof *j->tab);
    j->nbig = 0;
    /* Each record to its pair (a table in cache), its sums counted there. */
    int64_t last = 0;
    int raw;
    for (vigil__dchunk *k = b->head; k; k = k->next) {
        for (const unsigned char *p = k->data, *end = chunk_end(b, k); p < end; r++) {
            vigil__ag_pending c;
            p = get_rec(p, &last, &c, &raw);
            size_t h = vigil__pair_tag(c.src, c.dst, c.dport, c.proto) & tmask;
            uint32_t e;
            for (; (e = j->tab[h]) != 0; h = (h + 1) & tmask) {
                const vigil__ag_pair *q = &j->lp[e - 1];
                if (q->src == c.src && q->dst == c.dst && q->dport == c.dport && q->proto == c.proto) break;
            }
            if (!e) {
                if (np == j->lpcap) {
                    /* Grown as pairs come (most buckets hold ~10
                     * records a pair), not sized for the worst case. */
                    size_t nc = j->lpcap ? j->lpcap * 2 : 1024;
                    vigil__ag_pair *nl = vigil__realloc(al, j->lp, nc * sizeof *nl);
                    if (!nl) return VIGIL_ENOMEM;
                    j->lp = nl;
                    uint32_t *no = vigil__realloc(al, j->off, (nc + 1) * sizeof *no);
                    if (!no) return VIGIL_ENOMEM;
                    j->off = no;
                    j->lpcap = nc;
                }
                vigil__ag_pair *q = &j->lp[np];
                memset(q, 0, sizeof *q);
                q->src = c.src;
                q->dst = c.dst;
                q->dport = c.dport;
                q->proto = c.proto;
                j->tab[h] = e = (uint32_t)++np;
            }
            vigil__ag_pair *q = &j->lp[e - 1];
            if (raw) q->ts_raw = 1;
            q->n++;
            vigil__pair_count(q, &c);
            if (!two_pass) j->pts[r] = (vigil__conn_point){ c.ts, vigil__clamp32(c.ob), vigil__clamp32(c.rb) };
            j->rp[r] = e - 1;
            if (c.ob > UINT32_MAX) {
                rc = vigil__grow(al, (void **)&j->big, &j->bigcap, j->nbig + 1, sizeof *j->big);
                if (rc != VIGIL_OK) return rc;
                j->big[j->nbig++] = (vigil__ag_big){ e - 1, c.ts, c.ob };
            }
        }
    }
    /* The points by pair (a counting sort). */
    size_t most = 0;
    j->off[0] = 0;
    for (size_t i = 0; i < np; i++) {
        j->off[i + 1] = j->off[i] + j->lp[i].n;
        if (j->lp[i].n > most) most = j->lp[i].n;
    }
    if (!two_pass) {
        for (size_t i = 0; i < m; i++) j->sorted[j->off[j->rp[i]]++] = j->pts[i];
    } else {
        last = 0;
        r = 0;
        for (vigil__dchunk *k = b->head; k; k = k->next)
            for (const unsigned char *p = k->data, *end = chunk_end(b, k); p < end; r++) {
                vigil__ag_pending c;
                p = get_rec(p, &last, &c, &raw);
                j->sorted[j->off[j->rp[r]]++] = (vigil__conn_point){ c.ts, vigil__clamp32(c.ob), vigil__clamp32(c.rb) };
            }
    }
    /* Merge-sort scratch up to 65,536 points (bigger pairs are sorted in
     * place, as in vigil__agg_sort). */
    if (most > 65536) most = 65536;
    if (most > j->tcap) {
        vigil__free(al, j->tmp);
        j->tmp = vigil__malloc(al, most * sizeof *j->tmp);
        j->tcap = j->tmp ? most : 0;
        if (!j->tmp) return VIGIL_ENOMEM;
    }
    /* The slot's records are all decoded: its memory takes the points. */
    unsigned char *out = NULL;
    size_t extent = 0, w = 0, room = 0;
    if (b->head && b->head->kind == CHUNK_SLOT) {
        vigil__dchunk *k = b->head;
        out = (unsigned char *)k;
        room = k->size;
        /* What is resident: up to the window's end (or all the slot,
         * when chunks follow it). */
        extent = k == b->tail ? (size_t)(b->end - out) : k->size;
        b->head = k->next;
        if (b->tail == k) b->tail = NULL;
        bucket_empty(al, b); /* the chunks after the slot */
        b->slot_taken = 1;
    }
    size_t done = 0;
    for (size_t i = 0, at = 0; i < np && rc == VIGIL_OK; i++, done = i) {
        vigil__ag_pair *q = &j->lp[i];
        vigil__conn_point *v = j->sorted + at;
        vigil__sort_points(v, j->tmp, q->n);
        if (q->ts_raw) {
            rc = vigil__pair_reencode(al, q, v, q->n, 1);
        } else if (out && w + 8 <= room && q->n <= (room - 8 - w) / VIGIL__PT_MAX_BYTES) {
            q->enc = out + w;
            q->used = (uint32_t)encode_us(q->enc, v, q->n);
            q->enc_ext = 1;
            w += (size_t)q->used + 8;
        } else {
            rc = encode_alloc(al, j, q, v, q->n);
        }
        at += q->n;
    }
    if (out && PAGE_UP(w) < PAGE_UP(extent))
        madvise(out + PAGE_UP(w), PAGE_UP(extent) - PAGE_UP(w), MADV_DONTNEED);
    if (rc == VIGIL_OK) {
        pthread_mutex_lock(&j->x->lock);
        size_t base = a->npairs;
        if (base + np >= VIGIL__NO_ID - 1) rc = VIGIL_ENOMEM;
        if (rc == VIGIL_OK) rc = vigil__grow(al, (void **)&a->pairs, &a->pairs_cap, base + np, sizeof *a->pairs);
        if (rc == VIGIL_OK && j->nbig)
            rc = vigil__grow(al, (void **)&a->big, &a->big_cap, a->nbig + j->nbig, sizeof *a->big);
        if (rc == VIGIL_OK) {
            vigil__populate(a->pairs + base, np * sizeof *j->lp);
            memcpy(a->pairs + base, j->lp, np * sizeof *j->lp);
            a->npairs = base + np;
            for (size_t i = 0; i < j->nbig; i++) {
                a->big[a->nbig] = j->big[i];
                a->big[a->nbig++].pair = (uint32_t)(base + j->big[i].pair);
            }
        }
        pthread_mutex_unlock(&j->x->lock);
    }
    if (rc != VIGIL_OK) {
        for (size_t i = 0; i < done; i++)
            if (!j->lp[i].enc_ext) vigil__free(al, j->lp[i].enc);
        return rc;
    }
    bucket_empty(al, b);
    return VIGIL_OK;
}

static void *settle_main(void *arg)
{
    settle_job *j = arg;
    settle_ctx *x = j->x;
    j->rc = VIGIL_OK;
    for (size_t i; !atomic_load(&x->stop) && (i = atomic_fetch_add(&x->next, 1)) < DEFER_BUCKETS;) {
        dbucket *b = &x->a->defer->b[i];
        if (!b->n) continue;
        if ((j->rc = settle_bucket(j, b)) != VIGIL_OK) {
            atomic_store(&x->stop, 1);
            break;
        }
    }
    return NULL;
}

static void job_free(const vigil_allocator *al, settle_job *j)
{
    vigil__free(al, j->pts);
    vigil__free(al, j->sorted);
    vigil__free(al, j->tmp);
    vigil__free(al, j->rp);
    vigil__free(al, j->lp);
    vigil__free(al, j->off);
    vigil__free(al, j->tab);
    vigil__free(al, j->enc);
    vigil__free(al, j->big);
}

vigil_status vigil__agg_settle_threads(vigil__agg *a, int threads)
{
    if (!a || a->finished) return VIGIL_EINVAL;
    if (!a->defer) return VIGIL_OK;
    /* Connections still in the batch (records added to a directly) join
     * the buckets first. */
    vigil_status rc = vigil__agg_flush(a);
    if (rc != VIGIL_OK || !a->defer->n) return rc;
    /* Pairs made otherwise (merged from an aggregate that was not
     * partial, or settled before): the records go through the ordinary
     * path, which finds them. */
    if (a->npairs) return vigil__agg_defer_replay(a);
    settle_ctx x;
    x.a = a;
    atomic_init(&x.next, 0);
    atomic_init(&x.stop, 0);
    if (pthread_mutex_init(&x.lock, NULL) != 0) return VIGIL_ETHREAD;
    settle_job j[2];
    memset(j, 0, sizeof j);
    size_t nj = threads > 1 ? 2 : 1;
    for (size_t i = 0; i < nj; i++) j[i].x = &x;
    if (nj > 1) j[1].started = pthread_create(&j[1].tid, NULL, settle_main, &j[1]) == 0;
    settle_main(&j[0]);
    if (j[1].started) pthread_join(j[1].tid, NULL);
    rc = j[0].rc;
    if (rc == VIGIL_OK && nj > 1) rc = j[1].rc;
    for (size_t i = 0; i < nj; i++) job_free(&a->alloc, &j[i]);
    pthread_mutex_destroy(&x.lock);
    /* What is left (after a failure). */
    a->defer->n = 0;
    for (size_t i = 0; i < DEFER_BUCKETS; i++) a->defer->n += a->defer->b[i].n;
    /* Made without the index: rebuilt if anything looks a pair up. */
    if (a->npairs) a->pair_idx_stale = 1;
    return rc;
}
