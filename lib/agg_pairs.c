/* agg_pairs.c -- the hunt aggregator: per (internal src, external dst, dport,
 * proto) pair, the connections as compact encoded points plus sums; names from
 * ssl/http/DNS; name groups, prevalence, first-seen at finish.
 *
 * Input: records (vigil__agg_add, one thread per aggregator).  Output: the
 * views of agg.h.  DNS aggregation is in agg_dns.c, per-host days and peer
 * statistics in agg_hosts.c; the shared state is agg_impl.h.  The method
 * and its memory budget are described in docs/hunt.md.
 *
 * Hot path (one call per conn record): two address look-ups in an
 * open-addressing table whose entries cache the internal/noise verdict,
 * one pair look-up, one encoded append (~8 bytes).  No allocation except
 * amortised growth of the tables and of the pair's point bytes. */
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include "agg_impl.h"

/* ---- small shared helpers (declared in agg_impl.h) ------------------------- */

vigil_status vigil__hidx_reserve(const vigil_allocator *al, vigil__hidx *t)
{
    return vigil__hidx_reserve_load(al, t, 70);
}

vigil_status vigil__hidx_reserve_load(const vigil_allocator *al, vigil__hidx *t, unsigned pct)
{
    size_t nslots = t->mask ? t->mask + 1 : 0;
    if (nslots && (t->used + 1) * 100 <= nslots * pct) return VIGIL_OK;
    size_t ns = nslots ? nslots * 2 : 64;
    if (ns > ((size_t)1 << 32)) return VIGIL_ENOMEM; /* tags address 2^32 slots */
    uint64_t *s = vigil__calloc(al, ns, sizeof *s);
    if (!s) return VIGIL_ENOMEM;
    size_t mask = ns - 1;
    for (size_t i = 0; i < nslots; i++) {
        uint64_t v = t->slot[i];
        if (!v) continue;
        size_t j = (size_t)(v >> 32) & mask;
        while (s[j]) j = (j + 1) & mask;
        s[j] = v;
    }
    vigil__free(al, t->slot);
    t->slot = s;
    t->mask = mask;
    return VIGIL_OK;
}

void vigil__hidx_free(const vigil_allocator *al, vigil__hidx *t)
{
    vigil__free(al, t->slot);
    memset(t, 0, sizeof *t);
}

uint64_t vigil__hash_bytes(const void *p, size_t n)
{
    const unsigned char *s = p;
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < n; i++) h = (h ^ s[i]) * 0x100000001b3ULL;
    return vigil__mix64(h ^ n);
}

vigil_status vigil__grow(const vigil_allocator *al, void **v, size_t *cap, size_t need,
                         size_t size)
{
    if (need <= *cap) return VIGIL_OK;
    size_t nc = *cap ? *cap + *cap / 2 + 1 : 8;
    if (nc < need) nc = need;
    if (nc > SIZE_MAX / size) return VIGIL_ENOMEM;
    void *nv = vigil__realloc(al, *v, nc * size);
    if (!nv) return VIGIL_ENOMEM;
    *v = nv;
    *cap = nc;
    return VIGIL_OK;
}

/* ---- interned strings ------------------------------------------------------ */

#define STRBLOCK_BYTES 65536 /* arena block size (bigger for long strings) */

typedef struct str_key {
    const char *p;  /* text */
    size_t n;       /* length */
} str_key;

static int str_eq(const void *ctx, uint32_t idx, const void *key)
{
    const vigil__strtab *t = ctx;
    const str_key *k = key;
    return t->len[idx] == k->n && memcmp(t->s[idx], k->p, k->n) == 0;
}

vigil_status vigil__str_intern(const vigil_allocator *al, vigil__strtab *t, const char *p,
                               size_t n, uint32_t *id)
{
    str_key k = { p, n };
    /* (In memory only: the word-at-a-time hash, not FNV's byte loop.) */
    uint32_t tag = (uint32_t)(vigil__hash_words(p, n) >> 32);
    if (t->idx.mask) {
        uint64_t *s = vigil__hidx_probe(&t->idx, tag, str_eq, t, &k);
        if (*s) {
            *id = (uint32_t)(*s & 0xffffffffu) - 1;
            return VIGIL_OK;
        }
    }
    if (t->n >= VIGIL__NO_ID - 1) return VIGIL_ENOMEM;
    vigil_status rc = vigil__hidx_reserve(al, &t->idx);
    if (rc != VIGIL_OK) return rc;
    size_t cap_s = t->cap, cap_l = t->cap;
    rc = vigil__grow(al, (void **)&t->s, &cap_s, t->n + 1, sizeof *t->s);
    if (rc == VIGIL_OK) rc = vigil__grow(al, (void **)&t->len, &cap_l, t->n + 1, sizeof *t->len);
    if (rc != VIGIL_OK) return rc;
    t->cap = cap_s < cap_l ? cap_s : cap_l;
    vigil__strblock *b = t->blocks;
    if (!b || b->cap - b->used < n + 1) {
        size_t bc = n + 1 > STRBLOCK_BYTES ? n + 1 : STRBLOCK_BYTES;
        b = vigil__malloc(al, sizeof *b + bc);
        if (!b) return VIGIL_ENOMEM;
        b->next = t->blocks;
        b->used = 0;
        b->cap = bc;
        t->blocks = b;
    }
    char *d = b->data + b->used;
    memcpy(d, p, n);
    d[n] = 0;
    b->used += n + 1;
    t->s[t->n] = d;
    t->len[t->n] = (uint32_t)n;
    uint64_t *s = vigil__hidx_probe(&t->idx, tag, str_eq, t, &k);
    vigil__hidx_set(&t->idx, s, tag, (uint32_t)t->n);
    *id = (uint32_t)t->n++;
    return VIGIL_OK;
}

void vigil__str_free(const vigil_allocator *al, vigil__strtab *t)
{
    vigil__hidx_free(al, &t->idx);
    vigil__free(al, (void *)t->s);
    vigil__free(al, t->len);
    for (vigil__strblock *b = t->blocks, *nb; b; b = nb) {
        nb = b->next;
        vigil__free(al, b);
    }
    memset(t, 0, sizeof *t);
}

size_t vigil__agg_clean_name(const char *p, size_t n, char *buf, size_t cap)
{
    if (!p || n == 0 || cap == 0) return 0;
    if (p[0] == '[') return 0; /* an IPv6 literal Host header */
    size_t colon = n;
    for (size_t i = 0; i < n; i++)
        if (p[i] == ':') { colon = i; break; }
    if (colon < n) {
        /* "host:port" only when the rest is digits; else (IPv6) not a name */
        for (size_t i = colon + 1; i < n; i++)
            if (p[i] < '0' || p[i] > '9') return 0;
        n = colon;
    }
    while (n && p[n - 1] == '.') n--;
    if (n == 0 || n >= cap) return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)p[i];
        if (ch <= ' ' || ch >= 0x7f || ch == '"' || ch == '\\') return 0;
        buf[i] = (char)(ch >= 'A' && ch <= 'Z' ? ch + 32 : ch);
    }
    buf[n] = 0;
    vigil_addr tmp;
    if (vigil_addr_parse(buf, n, &tmp)) return 0; /* an address is not a name */
    return n;
}

const char *vigil__agg_name(const vigil__agg *a, uint32_t id)
{
    return id == VIGIL__NO_ID || id >= a->names.n ? NULL : a->names.s[id];
}

/* ---- sorting --------------------------------------------------------------- */

#define FINISH_AHEAD 8 /* pairs prefetched ahead in the passes of sort and finish */
#define SORT_CHUNK 1024 /* pairs a sorting thread takes at a time */
#define SORT_RUN 32 /* insertion-sorted block size of the merge sorts */
#define SORT_TMP_MAX 65536 /* points: bigger pairs are sorted in place */

/* Point order: ts, then bytes, so that points with equal ts come out in
 * the same order whatever thread or file order they arrived in. */
static inline int pt_less(const vigil__conn_point *x, const vigil__conn_point *y)
{
    if (x->ts != y->ts) return x->ts < y->ts;
    if (x->orig_bytes != y->orig_bytes) return x->orig_bytes < y->orig_bytes;
    return x->resp_bytes < y->resp_bytes;
}

static void isort_pts(vigil__conn_point *v, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        vigil__conn_point x = v[i];
        size_t j = i;
        while (j > 0 && pt_less(&x, &v[j - 1])) {
            v[j] = v[j - 1];
            j--;
        }
        v[j] = x;
    }
}

/* Stable bottom-up merge sort by ts.  Hand-written rather than qsort: the
 * points of a pair come in a few long sorted runs (one per file, when the
 * files were not merged in time order), and a merge that skips
 * already-ordered neighbours is close to linear on that. */
static void sort_pts(vigil__conn_point *v, vigil__conn_point *tmp, size_t n)
{
    size_t i = 1;
    while (i < n && !pt_less(&v[i], &v[i - 1])) i++;
    if (i >= n) return;
    for (size_t s = 0; s < n; s += SORT_RUN) isort_pts(v + s, n - s < SORT_RUN ? n - s : SORT_RUN);
    vigil__conn_point *from = v, *to = tmp;
    for (size_t w = SORT_RUN; w < n; w *= 2) {
        for (size_t lo = 0; lo < n; lo += 2 * w) {
            size_t mid = lo + w < n ? lo + w : n, hi = lo + 2 * w < n ? lo + 2 * w : n;
            if (mid >= hi || !pt_less(&from[mid], &from[mid - 1])) {
                memcpy(to + lo, from + lo, (hi - lo) * sizeof *v);
                continue;
            }
            size_t x = lo, y = mid, k = lo;
            while (x < mid && y < hi) to[k++] = pt_less(&from[y], &from[x]) ? from[y++] : from[x++];
            while (x < mid) to[k++] = from[x++];
            while (y < hi) to[k++] = from[y++];
        }
        vigil__conn_point *t = from;
        from = to;
        to = t;
    }
    if (from != v) memcpy(v, from, n * sizeof *v);
}

/* In-place sorts, for arrays whose scratch copy would raise the memory
 * peak (glibc's qsort, 2.36, merge-sorts through a malloc'd copy: 47 MB
 * more for the simulated month's 2M pair records in finish).  Quicksorts:
 * median of three, Hoare partition, insertion sort below 16 entries,
 * recursion on the smaller side.  Every key sorted this way is unique, or
 * equal keys are identical values, so any correct sort gives the same
 * order. */
#define INPLACE_SORT(name, T, LESS)                                           \
    static void name(T *v, size_t n)                                          \
    {                                                                         \
        while (n > 16) {                                                      \
            size_t m = (n - 1) / 2;                                           \
            T t;                                                              \
            if (LESS(&v[m], &v[0])) { t = v[m]; v[m] = v[0]; v[0] = t; }      \
            if (LESS(&v[n - 1], &v[m])) {                                     \
                t = v[m]; v[m] = v[n - 1]; v[n - 1] = t;                      \
                if (LESS(&v[m], &v[0])) { t = v[m]; v[m] = v[0]; v[0] = t; }  \
            }                                                                 \
            T pivot = v[m];                                                   \
            size_t i = 0, j = n - 1;                                          \
            for (;;) {                                                        \
                while (LESS(&v[i], &pivot)) i++;                              \
                while (LESS(&pivot, &v[j])) j--;                              \
                if (i >= j) break;                                            \
                t = v[i]; v[i] = v[j]; v[j] = t;                              \
                i++;                                                          \
                j--;                                                          \
            }                                                                 \
            size_t left = j + 1; /* [0, left) <= pivot <= [left, n) */        \
            if (left < n - left) {                                            \
                name(v, left);                                                \
                v += left;                                                    \
                n -= left;                                                    \
            } else {                                                          \
                name(v + left, n - left);                                     \
                n = left;                                                     \
            }                                                                 \
        }                                                                     \
        for (size_t i = 1; i < n; i++) {                                      \
            T x = v[i];                                                       \
            size_t j = i;                                                     \
            while (j > 0 && LESS(&x, &v[j - 1])) { v[j] = v[j - 1]; j--; }    \
            v[j] = x;                                                         \
        }                                                                     \
    }

INPLACE_SORT(sort_pts_inplace, vigil__conn_point, pt_less)

void vigil__sort_points(vigil__conn_point *v, vigil__conn_point *tmp, size_t n)
{
    if (tmp && n <= SORT_TMP_MAX) {
        sort_pts(v, tmp, n); /* returns at once when already sorted */
        return;
    }
    /* A big pair read from a file in time order is usually sorted
     * already: one pass says so, where the quicksort would take
     * n log n (0.3 s for 2.5M points). */
    size_t i = 1;
    while (i < n && !pt_less(&v[i], &v[i - 1])) i++;
    if (i < n) sort_pts_inplace(v, n);
}

static inline int uptr_less(const uintptr_t *a, const uintptr_t *b) { return *a < *b; }
INPLACE_SORT(sort_uptrs, uintptr_t, uptr_less)

/* Sorts addresses: LSD radix, 11 bits a pass, passes whose digit is the
 * same everywhere skipped (the quicksort took 0.2 s for 2M addresses, at
 * the serial end of a hunt; this a tenth of it); in place through a
 * scratch copy, or the quicksort when there is no memory for one. */
#define RADIX_BITS 11
static void sort_addresses(const vigil_allocator *al, uintptr_t *v, size_t n)
{
    uintptr_t *tmp = n > 1 ? vigil__malloc(al, n * sizeof *tmp) : NULL;
    if (!tmp) {
        sort_uptrs(v, n);
        return;
    }
    uintptr_t diff = 0;
    for (size_t i = 1; i < n; i++) diff |= v[i] ^ v[0];
    uintptr_t *from = v, *to = tmp;
    for (unsigned shift = 0; shift < sizeof(uintptr_t) * 8 && (diff >> shift); shift += RADIX_BITS) {
        if (!((diff >> shift) & ((1u << RADIX_BITS) - 1))) continue;
        size_t count[1u << RADIX_BITS];
        memset(count, 0, sizeof count);
        for (size_t i = 0; i < n; i++) count[(from[i] >> shift) & ((1u << RADIX_BITS) - 1)]++;
        size_t sum = 0;
        for (size_t d = 0; d < (1u << RADIX_BITS); d++) {
            size_t c = count[d];
            count[d] = sum;
            sum += c;
        }
        for (size_t i = 0; i < n; i++) to[count[(from[i] >> shift) & ((1u << RADIX_BITS) - 1)]++] = from[i];
        uintptr_t *t = from;
        from = to;
        to = t;
    }
    if (from != v) memcpy(v, from, n * sizeof *v);
    vigil__free(al, tmp);
}

void vigil__sort_doubles(double *v, double *tmp, size_t n)
{
    size_t i = 1;
    while (i < n && v[i - 1] <= v[i]) i++;
    if (i >= n) return;
    for (size_t s = 0; s < n; s += SORT_RUN) {
        size_t m = n - s < SORT_RUN ? n - s : SORT_RUN;
        double *b = v + s;
        for (size_t p = 1; p < m; p++) {
            double x = b[p];
            size_t j = p;
            while (j > 0 && b[j - 1] > x) { b[j] = b[j - 1]; j--; }
            b[j] = x;
        }
    }
    double *from = v, *to = tmp;
    for (size_t w = SORT_RUN; w < n; w *= 2) {
        for (size_t lo = 0; lo < n; lo += 2 * w) {
            size_t mid = lo + w < n ? lo + w : n, hi = lo + 2 * w < n ? lo + 2 * w : n;
            if (mid >= hi || from[mid - 1] <= from[mid]) {
                memcpy(to + lo, from + lo, (hi - lo) * sizeof *v);
                continue;
            }
            size_t x = lo, y = mid, k = lo;
            while (x < mid && y < hi) to[k++] = from[y] < from[x] ? from[y++] : from[x++];
            while (x < mid) to[k++] = from[x++];
            while (y < hi) to[k++] = from[y++];
        }
        double *t = from;
        from = to;
        to = t;
    }
    if (from != v) memcpy(v, from, n * sizeof *v);
}

/* ---- lifecycle ------------------------------------------------------------- */

vigil_status vigil__agg_new(vigil__agg **out, const vigil_netset *internal,
                            const vigil_allocator *alloc)
{
    if (!out || !internal) return VIGIL_EINVAL;
    vigil_allocator al;
    vigil__alloc_init(&al, alloc);
    vigil__agg *a = vigil__calloc(&al, 1, sizeof *a);
    if (!a) return VIGIL_ENOMEM;
    a->alloc = al;
    a->internal = internal;
    *out = a;
    return VIGIL_OK;
}

/* Frees what finish built. */
static void free_finish(vigil__agg *a)
{
    const vigil_allocator *al = &a->alloc;
    vigil__free(al, a->order);
    vigil__free(al, a->pair_name);
    a->pair_name = NULL;
    vigil__free(al, a->group_members);
    vigil__free(al, a->groups);
    vigil__free(al, a->gbuf);
    vigil__free(al, a->gtmp);
    vigil__free(al, a->pbuf);
    a->order = a->group_members = NULL;
    a->groups = NULL;
    a->gbuf = a->gtmp = a->pbuf = NULL;
    a->ngroups = a->gcap = a->max_pts = 0;
    vigil__agg_free_hosts(a);
}

/* Fewer blocks are freed in any order (a few ms at most). */
#define FREE_SORTED_MIN 4096

/* Frees everything and leaves `a` empty (allocator and netset kept). */
static void agg_clear(vigil__agg *a)
{
    const vigil_allocator *al = &a->alloc;
    free_finish(a);
    /* The points' arrays (millions of small blocks) in address order:
     * freed in the order pairs were made, the walk jumps through the whole
     * heap and glibc's free took ~1.3 s on the simulated month's 2M pairs
     * (650 ns a block, serial, at the end of every hunt); in address order
     * the walk is sequential, neighbours coalesce as they come, and the
     * sort and the frees take ~0.35 s. */
    size_t nb = a->npairs + a->ndns + a->nnx, k = 0;
    uintptr_t *blocks = nb >= FREE_SORTED_MIN ? vigil__malloc(al, nb * sizeof *blocks) : NULL;
    if (blocks) {
        for (size_t i = 0; i < a->npairs; i++)
            if (a->pairs[i].enc && !a->pairs[i].enc_ext) blocks[k++] = (uintptr_t)a->pairs[i].enc;
        for (size_t i = 0; i < a->ndns; i++)
            if (a->dns[i].tenc) blocks[k++] = (uintptr_t)a->dns[i].tenc;
        for (size_t i = 0; i < a->nnx; i++)
            if (a->nx[i].ev) blocks[k++] = (uintptr_t)a->nx[i].ev;
        sort_addresses(al, blocks, k);
        for (size_t i = 0; i < k; i++) vigil__free(al, (void *)blocks[i]);
        vigil__free(al, blocks);
        for (size_t i = 0; i < a->npairs; i++) a->pairs[i].enc = NULL;
        for (size_t i = 0; i < a->ndns; i++) a->dns[i].tenc = NULL;
        for (size_t i = 0; i < a->nnx; i++) a->nx[i].ev = NULL;
    }
    vigil__agg_free_dns(a);
    for (size_t i = 0; i < a->npairs; i++)
        if (!a->pairs[i].enc_ext) vigil__free(al, a->pairs[i].enc);
    vigil__agg_defer_free(a); /* after the pairs: their enc_ext arrays */
    vigil__free(al, a->pairs);
    vigil__hidx_free(al, &a->pair_idx);
    vigil__free(al, a->hints);
    vigil__hidx_free(al, &a->hint_idx);
    vigil__free(al, a->big);
    vigil__free(al, a->dq);
    vigil__free(al, a->ddq);
    vigil__free(al, a->addrs);
    vigil__hidx_free(al, &a->addr_idx);
    vigil__free(al, a->amap);
    vigil__free(al, a->touched);
    vigil__free(al, a->v4slot);
    vigil__str_free(al, &a->names);
    vigil_allocator keep = a->alloc;
    const vigil_netset *nets = a->internal;
    int answers = a->keep_answers, partial = a->partial;
    memset(a, 0, sizeof *a);
    a->alloc = keep;
    a->internal = nets;
    a->keep_answers = answers;
    a->partial = partial;
}

/* Addresses a partial keeps from one file to the next (~64 bytes each
 * per reading thread); beyond, it starts afresh. */
#ifndef STICKY_ADDRS
#define STICKY_ADDRS 65536
#endif

static void v4_clear(vigil__agg *a);

static void hidx_empty(vigil__hidx *t)
{
    if (t->mask) memset(t->slot, 0, (t->mask + 1) * sizeof *t->slot);
    t->used = 0;
}

/* Empties a partial's index for its next file, smaller when it was less
 * than 1/8 full: one partial that took several files while the other
 * thread merged grew it (131,072 hint slots, 1 MB, in the simulated
 * month) and every later file's probes then missed the cache all over a
 * table ten times the size it needs.  Sized for twice what it held, it
 * grows again as needed. */
static void hidx_empty_fit(const vigil_allocator *al, vigil__hidx *t)
{
    size_t nslots = t->mask + 1, want = 64;
    if (t->mask && t->used * 8 < nslots) {
        while (want < t->used * 2) want *= 2;
        uint64_t *s = want < nslots ? vigil__calloc(al, want, sizeof *s) : NULL;
        if (s) {
            vigil__free(al, t->slot);
            t->slot = s;
            t->mask = want - 1;
            t->used = 0;
            return;
        }
    }
    hidx_empty(t);
}

/* Empties a merged partial for its next file but keeps its arrays and
 * tables: a partial is refilled after every file, and freeing and growing
 * them again each time left holes in the reading threads' heaps (tens of
 * MB of the peak, varying from run to run). */
static void agg_reset(vigil__agg *a)
{
    const vigil_allocator *al = &a->alloc;
    for (size_t i = 0; i < a->npairs; i++) vigil__free(al, a->pairs[i].enc);
    for (size_t i = 0; i < a->ndns; i++) vigil__free(al, a->dns[i].tenc);
    for (size_t i = 0; i < a->nnx; i++) vigil__free(al, a->nx[i].ev);
    a->npairs = a->nhints = a->nbig = a->ndq = a->nddq = 0;
    a->ndns = a->nqnames = a->nnx = a->nanswers = 0;
    a->npend = a->ndpend = 0;
    a->early_set = 0; /* its ids may go with the addresses below */
    vigil__hidx *idx[] = { &a->pair_idx, &a->hint_idx, &a->names.idx, &a->dns_idx,
                           &a->qname_idx, &a->nx_idx, &a->answer_idx };
    for (size_t i = 0; i < sizeof idx / sizeof idx[0]; i++) hidx_empty_fit(al, idx[i]);
    /* Addresses stay (with their verdicts and merged ids) up to a bound;
     * what they learnt from this file's DNS goes. */
    if (a->naddrs > STICKY_ADDRS) {
        a->naddrs = a->namap = 0;
        hidx_empty(&a->addr_idx);
        v4_clear(a);
    }
    size_t nt = a->touch_all ? a->naddrs : a->ntouched;
    for (size_t i = 0; i < nt; i++) {
        uint32_t id = a->touch_all ? (uint32_t)i : a->touched[i];
        if (id >= a->naddrs) continue; /* dropped with the rest above */
        vigil__ag_addr *e = &a->addrs[id];
        e->dns_name = VIGIL__NO_ID;
        e->dns_ts = 0;
        e->flags &= (uint8_t)~VIGIL__ADDR_RESOLVER;
    }
    a->ntouched = 0;
    a->touch_all = 0;
    /* Names: the newest arena block is kept, emptied. */
    a->names.n = 0;
    if (a->names.blocks) {
        for (vigil__strblock *b = a->names.blocks->next, *nb; b; b = nb) {
            nb = b->next;
            vigil__free(al, b);
        }
        a->names.blocks->next = NULL;
        a->names.blocks->used = 0;
    }
    a->conns = a->kept = a->inbound = a->internal_only = a->external_only = a->noise = 0;
    a->in_first = a->in_last = 0;
    a->any_ts = 0;
}

void vigil__agg_set_partial(vigil__agg *a, int on)
{
    if (!a) return;
    /* Addresses named before: not in the touched list. */
    if (on && !a->partial && a->naddrs) a->touch_all = 1;
    a->partial = on != 0;
}

vigil_status vigil__agg_touch_addr(vigil__agg *a, uint32_t id)
{
    if (!a->partial || a->touch_all) return VIGIL_OK;
    const vigil__ag_addr *e = &a->addrs[id];
    if (e->dns_name != VIGIL__NO_ID || (e->flags & VIGIL__ADDR_RESOLVER)) return VIGIL_OK; /* listed */
    vigil_status rc = vigil__grow(&a->alloc, (void **)&a->touched, &a->touched_cap, a->ntouched + 1,
                                  sizeof *a->touched);
    if (rc == VIGIL_OK) a->touched[a->ntouched++] = id;
    return rc;
}

void vigil__agg_free(vigil__agg *a)
{
    if (!a) return;
    agg_clear(a);
    vigil_allocator al = a->alloc;
    vigil__free(&al, a);
}

/* ---- addresses ------------------------------------------------------------- */

static int addr_eq(const void *ctx, uint32_t idx, const void *key)
{
    const vigil__agg *a = ctx;
    uint64_t x0, x1, k0, k1; /* two word compares, not a memcmp call */
    memcpy(&x0, a->addrs[idx].a.b, 8);
    memcpy(&x1, a->addrs[idx].a.b + 8, 8);
    memcpy(&k0, key, 8);
    memcpy(&k1, (const char *)key + 8, 8);
    return ((x0 ^ k0) | (x1 ^ k1)) == 0;
}

VIGIL__HOT uint32_t addr_tag(const vigil_addr *x)
{
    uint64_t hi, lo;
    memcpy(&hi, x->b, 8);
    memcpy(&lo, x->b + 8, 8);
    return (uint32_t)(vigil__mix64(hi * 0x9e3779b97f4a7c15ULL ^ lo) >> 32);
}

/* Noise: never one end of a pair (loopback, link-local, multicast,
 * broadcast, unspecified / "this network"). */
static int addr_is_noise(const vigil_addr *x)
{
    static const uint8_t zero[16] = { 0 };
    if (vigil_addr_is_v4(x)) {
        const uint8_t *q = x->b + 12;
        if (q[0] == 0 || q[0] == 127 || (q[0] == 169 && q[1] == 254) || (q[0] >= 224 && q[0] <= 239))
            return 1;
        return q[0] == 255 && q[1] == 255 && q[2] == 255 && q[3] == 255;
    }
    if (memcmp(x->b, zero, 15) == 0 && (x->b[15] == 0 || x->b[15] == 1)) return 1; /* :: ::1 */
    if (x->b[0] == 0xfe && (x->b[1] & 0xc0) == 0x80) return 1;                     /* fe80::/10 */
    return x->b[0] == 0xff;                                                         /* ff00::/8 */
}

static vigil_status addr_id_slow(vigil__agg *a, const vigil_addr *addr, uint32_t *id);

/* The partial's IPv4 index (see v4slot in agg_impl.h). */
static inline size_t v4_home(uint32_t v4, size_t mask)
{
    return (size_t)(((uint64_t)v4 * 0x9e3779b97f4a7c15ULL) >> 40) & mask;
}

/* ::ffff:0:0/96, the prefix of an IPv4 address in a vigil_addr. */
static const uint8_t v4_prefix[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

/* Whether a partial's IPv4 index applies to addr; its IPv4 in *v4. */
static inline int v4_key(const vigil__agg *a, const vigil_addr *addr, uint32_t *v4)
{
    if (!a->partial || memcmp(addr->b, v4_prefix, 12) != 0) return 0;
    memcpy(v4, addr->b + 12, 4);
    return 1;
}

/* A slot: the IPv4 address (high 32 bits), the address's verdicts
 * (INTERNAL, NOISE: fixed when it is first seen) and its id + 1 (24
 * bits; a partial with more addresses keeps the rest in addr_idx only).
 * The verdicts here spare add_conn a look at the address entries: two
 * cache misses per connection in an array of up to STICKY_ADDRS entries
 * (3 MB), ~0.25 CPU-s of the simulated month by perf. */
#define V4_ID_BITS 24
#define V4_VERDICTS (VIGIL__ADDR_INTERNAL | VIGIL__ADDR_NOISE)

/* The id of v4 in the IPv4 index and its verdicts (1), or 0. */
static inline int v4_find(const vigil__agg *a, uint32_t v4, uint32_t *id, uint8_t *verdicts)
{
    if (!a->v4mask) return 0;
    for (size_t j = v4_home(v4, a->v4mask);; j = (j + 1) & a->v4mask) {
        uint64_t s = a->v4slot[j];
        if (!s) return 0;
        if ((uint32_t)(s >> 32) == v4) {
            *id = ((uint32_t)s & ((1u << V4_ID_BITS) - 1)) - 1;
            *verdicts = (uint8_t)(s >> V4_ID_BITS);
            return 1;
        }
    }
}

static void v4_clear(vigil__agg *a)
{
    if (a->v4mask) memset(a->v4slot, 0, (a->v4mask + 1) * sizeof *a->v4slot);
    a->v4used = 0;
}

/* Adds v4 -> id (VIGIL_ENOMEM leaves the table as it was: addr_idx still
 * has the address, the next look-up takes the slow path and adds it). */
static vigil_status v4_put(vigil__agg *a, uint32_t v4, uint32_t id)
{
    if ((a->v4used + 1) * 2 > (a->v4mask ? a->v4mask + 1 : 0)) {
        size_t ns = a->v4mask ? (a->v4mask + 1) * 2 : 1024;
        uint64_t *nt = vigil__calloc(&a->alloc, ns, sizeof *nt);
        if (!nt) return VIGIL_ENOMEM;
        for (size_t i = 0; a->v4mask && i <= a->v4mask; i++) {
            uint64_t s = a->v4slot[i];
            if (!s) continue;
            size_t j = v4_home((uint32_t)(s >> 32), ns - 1);
            while (nt[j]) j = (j + 1) & (ns - 1);
            nt[j] = s;
        }
        vigil__free(&a->alloc, a->v4slot);
        a->v4slot = nt;
        a->v4mask = ns - 1;
    }
    size_t j = v4_home(v4, a->v4mask);
    while (a->v4slot[j]) j = (j + 1) & a->v4mask;
    a->v4slot[j] = (uint64_t)v4 << 32 | (uint64_t)(a->addrs[id].flags & V4_VERDICTS) << V4_ID_BITS |
                   ((uint64_t)id + 1);
    a->v4used++;
    return VIGIL_OK;
}

/* vigil__agg_addr_id, with the address's verdicts (flags & V4_VERDICTS). */
static inline vigil_status addr_id_verdicts(vigil__agg *a, const vigil_addr *addr, uint32_t *id,
                                            uint8_t *verdicts)
{
    /* Partials (the reading threads' hot path): IPv4 through the inline
     * index, about twice as fast as addr_idx's probe and compare. */
    uint32_t v4 = 0;
    int is_v4 = v4_key(a, addr, &v4);
    if (is_v4 && v4_find(a, v4, id, verdicts)) return VIGIL_OK;
    vigil_status rc = addr_id_slow(a, addr, id);
    if (rc != VIGIL_OK) return rc;
    *verdicts = a->addrs[*id].flags & V4_VERDICTS;
    /* (Ids past the slot's 24 bits stay in addr_idx alone.) */
    if (is_v4 && *id < (1u << V4_ID_BITS) - 1) rc = v4_put(a, v4, *id);
    return rc;
}

vigil_status vigil__agg_addr_id(vigil__agg *a, const vigil_addr *addr, uint32_t *id)
{
    uint8_t verdicts;
    return addr_id_verdicts(a, addr, id, &verdicts);
}

vigil_status vigil__agg_addr_verdicts(vigil__agg *a, const vigil_addr *addr, uint32_t *id,
                                      uint8_t *verdicts)
{
    return addr_id_verdicts(a, addr, id, verdicts);
}

/* The id of addr through addr_idx (1), or 0; tag is addr_tag(addr). */
static int addr_idx_find(const vigil__agg *a, const vigil_addr *addr, uint32_t tag, uint32_t *id)
{
    if (!a->addr_idx.mask) return 0;
    uint64_t *s = vigil__hidx_probe(&a->addr_idx, tag, addr_eq, a, addr->b);
    if (!*s) return 0;
    *id = (uint32_t)(*s & 0xffffffffu) - 1;
    return 1;
}

static vigil_status addr_id_slow(vigil__agg *a, const vigil_addr *addr, uint32_t *id)
{
    uint32_t tag = addr_tag(addr);
    uint64_t *s;
    if (addr_idx_find(a, addr, tag, id)) return VIGIL_OK;
    if (a->naddrs >= VIGIL__NO_ID - 1) return VIGIL_ENOMEM;
    vigil_status rc = vigil__hidx_reserve(&a->alloc, &a->addr_idx);
    if (rc == VIGIL_OK)
        rc = vigil__grow(&a->alloc, (void **)&a->addrs, &a->addrs_cap, a->naddrs + 1, sizeof *a->addrs);
    if (rc != VIGIL_OK) return rc;
    vigil__ag_addr *e = &a->addrs[a->naddrs];
    memset(e, 0, sizeof *e);
    e->a = *addr;
    e->dns_name = VIGIL__NO_ID;
    e->host = VIGIL__NO_ID;
    e->flags = (uint8_t)((addr_is_noise(addr) ? VIGIL__ADDR_NOISE : 0) |
                         (vigil_netset_contains(a->internal, addr) ? VIGIL__ADDR_INTERNAL : 0));
    s = vigil__hidx_probe(&a->addr_idx, tag, addr_eq, a, addr->b);
    vigil__hidx_set(&a->addr_idx, s, tag, (uint32_t)a->naddrs);
    *id = (uint32_t)a->naddrs++;
    return VIGIL_OK;
}

int vigil__agg_addr_cmp(const vigil__agg *a, uint32_t x, uint32_t y)
{
    return memcmp(a->addrs[x].a.b, a->addrs[y].a.b, 16);
}

/* ---- pairs ----------------------------------------------------------------- */

typedef struct pair_key {
    uint32_t src, dst;  /* address ids */
    uint16_t dport;     /* port */
    uint8_t proto;      /* proto */
} pair_key;

static int pair_eq(const void *ctx, uint32_t idx, const void *key)
{
    const vigil__ag_pair *p = &((const vigil__agg *)ctx)->pairs[idx];
    const pair_key *k = key;
    return p->src == k->src && p->dst == k->dst && p->dport == k->dport && p->proto == k->proto;
}

VIGIL__HOT uint32_t pair_tag(const pair_key *k) { return vigil__pair_tag(k->src, k->dst, k->dport, k->proto); }

/* The pair of key k, created empty when new; *out is its index. */
static vigil_status pair_get(vigil__agg *a, const pair_key *k, uint32_t *out)
{
    uint32_t tag = pair_tag(k);
    uint64_t *s;
    if (a->pair_idx_stale) {
        vigil_status rc = vigil__agg_pair_reindex(a);
        if (rc != VIGIL_OK) return rc;
    }
    if (a->pair_idx.mask) {
        s = vigil__hidx_probe(&a->pair_idx, tag, pair_eq, a, k);
        if (*s) {
            *out = (uint32_t)(*s & 0xffffffffu) - 1;
            return VIGIL_OK;
        }
    }
    if (a->npairs >= VIGIL__NO_ID - 1) return VIGIL_ENOMEM;
    vigil_status rc = vigil__hidx_reserve(&a->alloc, &a->pair_idx);
    if (rc == VIGIL_OK)
        rc = vigil__grow(&a->alloc, (void **)&a->pairs, &a->pairs_cap, a->npairs + 1, sizeof *a->pairs);
    if (rc != VIGIL_OK) return rc;
    vigil__ag_pair *p = &a->pairs[a->npairs];
    memset(p, 0, sizeof *p);
    p->src = k->src;
    p->dst = k->dst;
    p->dport = k->dport;
    p->proto = k->proto;
    s = vigil__hidx_probe(&a->pair_idx, tag, pair_eq, a, k);
    vigil__hidx_set(&a->pair_idx, s, tag, (uint32_t)a->npairs);
    *out = (uint32_t)a->npairs++;
    return VIGIL_OK;
}

vigil_status vigil__agg_pair_reindex(vigil__agg *a)
{
    vigil__hidx_free(&a->alloc, &a->pair_idx);
    for (size_t i = 0; i < a->npairs; i++) {
        const vigil__ag_pair *p = &a->pairs[i];
        pair_key k = { p->src, p->dst, p->dport, p->proto };
        uint32_t tag = pair_tag(&k);
        vigil_status rc = vigil__hidx_reserve(&a->alloc, &a->pair_idx);
        if (rc != VIGIL_OK) return rc;
        vigil__hidx_set(&a->pair_idx, vigil__hidx_probe(&a->pair_idx, tag, pair_eq, a, &k), tag, (uint32_t)i);
    }
    a->pair_idx_stale = 0;
    return VIGIL_OK;
}

/* ---- compact points ----------------------------------------------------------
 *
 * 16-byte points were the largest part of the hunt's memory (18M kept
 * connections in the simulated month: 290 MB plus growth slack).  Encoded,
 * a point is a zig-zag varint of the microseconds since the previous point
 * of the pair (2-5 bytes for seconds to hours), then the two clamped byte
 * counts as varints (1-5 bytes each).  Lossless: a time is encoded as
 * microseconds only when (double)us / 1e6 gives it back bit for bit (what
 * the readers produce from Zeek's 6-decimal times); otherwise the pair
 * switches to raw 8-byte doubles for its times.  Hand-written: a varint is
 * a few lines, and a library would add a call per field. */


/* The trailer (vigil__enc_size): the last point's time, in us (or the raw
 * double's bits with ts_raw). */
static inline int64_t pair_last(const vigil__ag_pair *p)
{
    int64_t v = 0;
    if (p->enc) memcpy(&v, p->enc + p->used, 8);
    return v;
}

/* Resizes p's array for `used` bytes and the trailer (x1.125-1.25 steps:
 * the slack is ~10% of the points' memory); the first bytes are kept. */
static vigil_status enc_fit(const vigil_allocator *al, vigil__ag_pair *p, size_t used)
{
    if (used > UINT32_MAX - 64) return VIGIL_ENOMEM;
    size_t want = vigil__enc_size(used);
    if (p->enc_ext) {
        /* Out of the settled bucket's memory into an array of its own. */
        unsigned char *ne = vigil__malloc(al, want);
        if (!ne) return VIGIL_ENOMEM;
        size_t keep = (size_t)p->used + 8 < want ? (size_t)p->used + 8 : want;
        memcpy(ne, p->enc, keep);
        p->enc = ne;
        p->enc_ext = 0;
        return VIGIL_OK;
    }
    if (p->enc && want == vigil__enc_size(p->used)) return VIGIL_OK;
    unsigned char *ne = vigil__realloc(al, p->enc, want);
    if (!ne) return VIGIL_ENOMEM;
    p->enc = ne;
    return VIGIL_OK;
}

/* Decodes one point at b (last: the previous point's us; unused raw). */
static inline const unsigned char *dec_point(const unsigned char *b, int raw, int64_t *last,
                                             vigil__conn_point *pt)
{
    uint64_t v;
    if (raw) {
        memcpy(&pt->ts, b, 8);
        b += 8;
    } else {
        b = vigil__get_uv(b, &v);
        *last += vigil__unzz(v);
        pt->ts = (double)*last / 1e6;
    }
    b = vigil__get_uv(b, &v);
    pt->orig_bytes = (uint32_t)v;
    b = vigil__get_uv(b, &v);
    pt->resp_bytes = (uint32_t)v;
    return b;
}

size_t vigil__pair_decode(const vigil__ag_pair *p, vigil__conn_point *out)
{
    const unsigned char *b = p->enc;
    int64_t last = 0;
    for (uint32_t i = 0; i < p->n; i++) b = dec_point(b, p->ts_raw, &last, &out[i]);
    return p->n;
}

/* (agg_impl.h) */
vigil_status vigil__pair_reencode(const vigil_allocator *al, vigil__ag_pair *p, const vigil__conn_point *pts,
                                  size_t n, int raw)
{
    size_t bytes = 0;
    int64_t last = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char tmp[VIGIL__PT_MAX_BYTES];
        int64_t us = 0;
        if (!raw) vigil__ts_to_us(pts[i].ts, &us);
        bytes += (size_t)(vigil__put_point(tmp, &pts[i], raw, us, last, &last) - tmp);
    }
    vigil_status rc = enc_fit(al, p, bytes);
    if (rc != VIGIL_OK) return rc;
    unsigned char *b = p->enc;
    last = 0;
    for (size_t i = 0; i < n; i++) {
        int64_t us = 0;
        if (!raw) vigil__ts_to_us(pts[i].ts, &us);
        b = vigil__put_point(b, &pts[i], raw, us, last, &last);
    }
    p->used = (uint32_t)bytes;
    memcpy(p->enc + p->used, &last, 8);
    p->ts_raw = raw ? 1 : 0;
    return VIGIL_OK;
}

/* Switches p to raw times (a time that is not whole microseconds came). */
static vigil_status to_raw(const vigil_allocator *al, vigil__ag_pair *p)
{
    vigil__conn_point *tmp = p->n ? vigil__malloc(al, p->n * sizeof *tmp) : NULL;
    if (p->n && !tmp) return VIGIL_ENOMEM;
    if (p->n) vigil__pair_decode(p, tmp);
    vigil_status rc = vigil__pair_reencode(al, p, tmp, p->n, 1);
    vigil__free(al, tmp);
    return rc;
}

vigil_status vigil__pair_push(const vigil_allocator *al, vigil__ag_pair *p, const vigil__conn_point *pt)
{
    int64_t us = 0;
    vigil_status rc;
    if (p->n == UINT32_MAX) return VIGIL_ENOMEM;
    if (!p->ts_raw && !vigil__ts_to_us(pt->ts, &us) && (rc = to_raw(al, p)) != VIGIL_OK) return rc;
    int64_t last = pair_last(p), next;
    if (p->n) {
        int before;
        if (p->ts_raw) {
            double l;
            memcpy(&l, &last, 8);
            before = !(pt->ts > l);
        } else {
            before = us <= last;
        }
        /* Equal times count too: their order is decided by the bytes
         * (pt_less), so the pair is sorted once, at finish. */
        if (before) p->unsorted = 1;
    }
    unsigned char tmp[VIGIL__PT_MAX_BYTES];
    size_t len = (size_t)(vigil__put_point(tmp, pt, p->ts_raw, us, last, &next) - tmp);
    if ((rc = enc_fit(al, p, (size_t)p->used + len)) != VIGIL_OK) return rc;
    memcpy(p->enc + p->used, tmp, len);
    p->used += (uint32_t)len;
    memcpy(p->enc + p->used, &next, 8);
    p->n++;
    return VIGIL_OK;
}

void vigil__pair_span(const vigil__ag_pair *p, double *first, double *last)
{
    *first = *last = 0;
    if (!p->n) return;
    vigil__conn_point pt;
    int64_t l = 0;
    const unsigned char *b = dec_point(p->enc, p->ts_raw, &l, &pt);
    *first = *last = pt.ts;
    if (!p->unsorted) {
        /* Sorted: the last point's time is the trailer. */
        int64_t t = pair_last(p);
        if (p->ts_raw) memcpy(last, &t, 8);
        else *last = (double)t / 1e6;
        return;
    }
    for (uint32_t i = 1; i < p->n; i++) {
        b = dec_point(b, p->ts_raw, &l, &pt);
        if (pt.ts < *first) *first = pt.ts;
        if (pt.ts > *last) *last = pt.ts;
    }
}

size_t vigil__agg_max_pair_points(const vigil__agg *a)
{
    size_t m = 0;
    for (size_t i = 0; i < a->npairs; i++)
        if (a->pairs[i].n > m) m = a->pairs[i].n;
    return m;
}

/* Adds one connection's bytes, duration and state to p's sums and counts
 * (not its point, not p->n). */
void vigil__pair_count(vigil__ag_pair *p, const vigil__ag_pending *c)
{
    p->bytes_out += c->ob;
    p->bytes_in += c->rb;
    if (c->has_dur) {
        double d = c->duration > 0 ? c->duration : 0;
        p->dur_sum += d;
        if (d > p->dur_max) p->dur_max = d;
        /* Established and never seen to close: still open at the end of
         * the capture (or timed out while idle). */
        if (c->state == VIGIL_CS_S1 || c->state == VIGIL_CS_S2 || c->state == VIGIL_CS_S3)
            p->open_dur += d;
    }
    int data = (c->ob | c->rb) != 0;
    switch (c->state) {
    case VIGIL_CS_REJ: p->n_rej++; break;
    case VIGIL_CS_RSTR:
    case VIGIL_CS_RSTOS0:
        if (data) p->n_ok++;
        else p->n_rej++;
        break;
    case VIGIL_CS_S0: p->n_s0++; break;
    case VIGIL_CS_SF: case VIGIL_CS_S1: case VIGIL_CS_S2: case VIGIL_CS_S3:
    case VIGIL_CS_RSTO:
        p->n_ok++;
        break;
    default:
        if (data) p->n_ok++;
        break;
    }
}

/* Appends one pending connection to its pair (index pi). */
static vigil_status append_point(vigil__agg *a, uint32_t pi, const vigil__ag_pending *c)
{
    vigil__ag_pair *p = &a->pairs[pi];
    vigil_status rc;
    a->maybe_unsorted = 1;
    double ts = c->ts;
    if (c->ob > UINT32_MAX) {
        rc = vigil__grow(&a->alloc, (void **)&a->big, &a->big_cap, a->nbig + 1, sizeof *a->big);
        if (rc != VIGIL_OK) return rc;
        a->big[a->nbig].pair = pi;
        a->big[a->nbig].ts = ts;
        a->big[a->nbig].bytes = c->ob;
        a->nbig++;
    }
    vigil__conn_point pt = { ts, vigil__clamp32(c->ob), vigil__clamp32(c->rb) };
    rc = vigil__pair_push(&a->alloc, p, &pt);
    if (rc != VIGIL_OK) return rc;
    vigil__pair_count(p, c);
    return VIGIL_OK;
}

/* Resolves the pending batch.  With millions of pairs every look-up is a
 * cache miss; done one record at a time they happen in series.  Here the
 * slots were prefetched when each connection was queued, then the pair
 * structs and their arrays' ends are prefetched for the whole batch before
 * any is written, so the misses overlap. */
static vigil_status flush_pending(vigil__agg *a)
{
    size_t n = a->npend;
    uint32_t pi[VIGIL__AGG_BATCH];
    vigil_status rc = VIGIL_OK;
    size_t done = 0;
    if (a->partial) {
        /* Kept for the aggregate this one is merged into. */
        if (n == 0) return VIGIL_OK;
        rc = vigil__grow(&a->alloc, (void **)&a->dq, &a->dq_cap, a->ndq + n, sizeof *a->dq);
        if (rc != VIGIL_OK) return rc;
        memcpy(a->dq + a->ndq, a->pend, n * sizeof *a->pend);
        a->ndq += n;
        a->npend = 0;
        return VIGIL_OK;
    }
    if (a->defer) {
        /* Deferred: to the buckets (agg_defer.c). */
        a->npend = 0;
        return vigil__agg_defer_push(a, a->pend, n);
    }
    /* The slots were prefetched when queued: follow each chain by tags
     * alone and prefetch the pair the first matching tag names, so that
     * pair_get's key comparisons do not miss one after the other. */
    for (size_t i = 0; i < n; i++) {
        uint32_t e = vigil__hidx_peek(&a->pair_idx, a->pend[i].tag);
        if (e) __builtin_prefetch(&a->pairs[e - 1], 1);
    }
    for (; done < n; done++) {
        const vigil__ag_pending *c = &a->pend[done];
        pair_key k = { c->src, c->dst, c->dport, c->proto };
        rc = pair_get(a, &k, &pi[done]);
        if (rc != VIGIL_OK) break;
    }
    for (size_t i = 0; i < done; i++) {
        const vigil__ag_pair *p = &a->pairs[pi[i]];
        if (p->enc) __builtin_prefetch(p->enc + p->used, 1); /* the trailer */
    }
    for (size_t i = 0; i < done && rc == VIGIL_OK; i++) rc = append_point(a, pi[i], &a->pend[i]);
    a->npend = 0;
    return rc;
}

vigil_status vigil__agg_pend(vigil__agg *a, const vigil__ag_pending *c)
{
    a->pend[a->npend++] = *c;
    if (a->pair_idx.mask) __builtin_prefetch(&a->pair_idx.slot[c->tag & a->pair_idx.mask]);
    return a->npend == VIGIL__AGG_BATCH ? flush_pending(a) : VIGIL_OK;
}

const char *const vigil__agg_fields[] = {
    /* conn (add_conn) */
    "id.resp_p", "proto", "duration", "orig_bytes", "resp_bytes", "conn_state",
    "local_orig", "local_resp",
    /* dns (vigil__agg_add_dns) */
    "query", "qtype", "rcode", "answers",
    /* ssl, http (add_name) */
    "server_name", "host",
    NULL,
};

/* A connection's sides: its address ids in *o and *r, and in *kept
 * whether it is internal -> external (a pair point) -- 0 with *tally
 * pointing at the counter of what it is instead (noise, inbound, ...).
 * Reads ts, the addresses, local_orig and local_resp only (what a
 * reader's conn_early call has).  Counts nothing. */
VIGIL__HOT vigil_status conn_sides(vigil__agg *a, const vigil_record *rec, uint32_t *o, uint32_t *r, int *kept,
                                   uint64_t **tally)
{
    const vigil_conn *c = &rec->u.conn;
    uint8_t of, rf; /* their verdicts: INTERNAL, NOISE */
    *kept = 0;
    vigil_status rc = addr_id_verdicts(a, &c->id.orig_h, o, &of);
    if (rc == VIGIL_OK) rc = addr_id_verdicts(a, &c->id.resp_h, r, &rf);
    if (rc != VIGIL_OK) return rc;
    int oi = (of & VIGIL__ADDR_INTERNAL) || c->local_orig == VIGIL_TRUE;
    int ri = (rf & VIGIL__ADDR_INTERNAL) || c->local_resp == VIGIL_TRUE;
    if ((of | rf) & VIGIL__ADDR_NOISE) *tally = &a->noise;
    else if (!oi) *tally = ri ? &a->inbound : &a->external_only;
    else if (ri) *tally = &a->internal_only;
    else *kept = 1;
    return VIGIL_OK;
}

int vigil__agg_conn_early(void *agg, const vigil_record *rec)
{
    vigil__agg *a = agg;
    uint32_t o, r;
    int kept;
    uint64_t *tally;
    a->early_set = 0;
    if (rec->type != VIGIL_LOG_CONN || a->finished) return 1;
    /* An error is add_conn's to report: the record goes on whole. */
    if (conn_sides(a, rec, &o, &r, &kept, &tally) != VIGIL_OK) return 1;
    if (!kept) { /* accounted whole: the record ends here */
        a->conns++;
        vigil__agg_note_ts(a, rec->ts);
        (*tally)++;
        a->early_taken++;
        return 0;
    }
    /* Kept: counted when it is added (the reader may yet skip it). */
    a->early_set = 1;
    a->early_line = rec->line;
    a->early_o = o;
    a->early_r = r;
    return 1;
}

void vigil__agg_conn_early_clear(vigil__agg *a) { a->early_set = 0; }

uint64_t vigil__agg_conn_early_taken(vigil__agg *a)
{
    uint64_t n = a->early_taken;
    a->early_taken = 0;
    return n;
}

/* Reads: see vigil__agg_fields. */
static vigil_status add_conn(vigil__agg *a, const vigil_record *rec)
{
    const vigil_conn *c = &rec->u.conn;
    uint32_t o, r;
    int kept = 1;
    uint64_t *tally = NULL;
    if (a->early_set && a->early_line == rec->line) {
        /* Its sides were found by conn_early. */
        o = a->early_o;
        r = a->early_r;
    } else {
        vigil_status rc = conn_sides(a, rec, &o, &r, &kept, &tally);
        if (rc != VIGIL_OK) return rc;
    }
    a->early_set = 0;
    a->conns++;
    vigil__agg_note_ts(a, rec->ts);
    if (!kept) {
        (*tally)++;
        return VIGIL_OK;
    }
    /* Kept: queue it (the record is borrowed: copy the few fields). */
    vigil__ag_pending *q = &a->pend[a->npend++];
    q->src = o;
    q->dst = r;
    q->dport = c->id.resp_p;
    q->proto = c->proto;
    q->state = c->conn_state;
    q->has_dur = (c->present & VIGIL_CONN_HAS_DURATION) != 0;
    q->ts = rec->ts;
    q->duration = c->duration;
    q->ob = c->orig_bytes;
    q->rb = c->resp_bytes;
    pair_key k = { o, r, q->dport, q->proto };
    q->tag = pair_tag(&k);
    if (a->pair_idx.mask) __builtin_prefetch(&a->pair_idx.slot[q->tag & a->pair_idx.mask]);
    a->kept++;
    if (a->npend == VIGIL__AGG_BATCH) return flush_pending(a);
    return VIGIL_OK;
}

/* ---- names from ssl (SNI) and http (Host) ----------------------------------- */

typedef struct hint_key {
    uint32_t src, dst;  /* address ids */
} hint_key;

static int hint_eq(const void *ctx, uint32_t idx, const void *key)
{
    const vigil__ag_hint *h = &((const vigil__agg *)ctx)->hints[idx];
    const hint_key *k = key;
    return h->src == k->src && h->dst == k->dst;
}

static uint32_t hint_tag(const hint_key *k)
{
    return (uint32_t)(vigil__mix64(((uint64_t)k->src << 32 | k->dst) * 0xbf58476d1ce4e5b9ULL) >> 32);
}

/* 1 when (rank, ts, name) should replace the hint's. */
/* (name: a name id; its text is looked at only on a tie of rank and ts:
 * the pointer is one more cache miss in a table of a million names.) */
static int hint_better(const vigil__agg *a, const vigil__ag_hint *h, uint32_t rank, double ts,
                       uint32_t name)
{
    if (rank != h->rank) return rank > h->rank;
    if (ts != h->ts) return ts > h->ts;
    return strcmp(a->names.s[name], a->names.s[h->name]) < 0; /* ties: deterministic */
}

/* hint_put with the key's tag already worked out. */
static vigil_status hint_put_tag(vigil__agg *a, uint32_t src, uint32_t dst, uint32_t name,
                                 uint32_t rank, double ts, uint32_t tag)
{
    hint_key k = { src, dst };
    if (rank > UINT8_MAX) rank = UINT8_MAX; /* a byte in the hint (1 or 2) */
    uint64_t *s;
    if (a->hint_idx.mask) {
        s = vigil__hidx_probe(&a->hint_idx, tag, hint_eq, a, &k);
        if (*s) {
            vigil__ag_hint *h = &a->hints[(uint32_t)(*s & 0xffffffffu) - 1];
            if (hint_better(a, h, rank, ts, name)) {
                h->name = name;
                h->rank = (uint8_t)rank;
                h->ts = ts;
            }
            return VIGIL_OK;
        }
    }
    vigil_status rc = vigil__hidx_reserve_load(&a->alloc, &a->hint_idx, 80);
    size_t cap = a->hints_cap;
    if (rc == VIGIL_OK)
        rc = vigil__grow(&a->alloc, (void **)&a->hints, &a->hints_cap, a->nhints + 1, sizeof *a->hints);
    if (rc != VIGIL_OK) return rc;
    if (a->hints_cap != cap) a->hints_pop = 0; /* moved */
    vigil__populate_ahead(a->hints, a->nhints, a->hints_cap, sizeof *a->hints, &a->hints_pop);
    vigil__ag_hint *h = &a->hints[a->nhints];
    h->src = src;
    h->dst = dst;
    h->name = name;
    h->rank = (uint8_t)rank;
    h->ts = ts;
    s = vigil__hidx_probe(&a->hint_idx, tag, hint_eq, a, &k);
    vigil__hidx_set(&a->hint_idx, s, tag, (uint32_t)a->nhints++);
    return VIGIL_OK;
}

static vigil_status hint_put(vigil__agg *a, uint32_t src, uint32_t dst, uint32_t name,
                             uint32_t rank, double ts)
{
    hint_key k = { src, dst };
    return hint_put_tag(a, src, dst, name, rank, ts, hint_tag(&k));
}

/* The id of a known address (1), or 0 without adding it. */
static int addr_find(const vigil__agg *a, const vigil_addr *addr, uint32_t *id)
{
    uint32_t v4;
    uint8_t verdicts;
    if (v4_key(a, addr, &v4) && a->v4mask) return v4_find(a, v4, id, &verdicts);
    return addr_idx_find(a, addr, addr_tag(addr), id);
}

/* 1 when the hint in slot s (NULL or empty: none) holds name[0..n) at
 * `rank`; its time is then brought up to ts. */
static int hint_same(vigil__agg *a, const uint64_t *s, const char *name, size_t n, uint32_t rank, double ts)
{
    if (!s || !*s) return 0;
    vigil__ag_hint *h = &a->hints[(uint32_t)(*s & 0xffffffffu) - 1];
    if (h->rank != rank || a->names.len[h->name] != n || memcmp(a->names.s[h->name], name, n) != 0) return 0;
    if (ts > h->ts) h->ts = ts;
    return 1;
}

/* The cleaned name buf[0..n) for the pair (o, r), whose hint slot is s
 * (from a probe; NULL when there is no table yet). */
static vigil_status name_put(vigil__agg *a, uint32_t o, uint32_t r, const uint64_t *s, const char *buf, size_t n,
                             uint32_t rank, double ts)
{
    /* The usual case: the same name again for the pair; no interning. */
    if (hint_same(a, s, buf, n, rank, ts)) return VIGIL_OK;
    uint32_t nm;
    vigil_status rc = vigil__str_intern(&a->alloc, &a->names, buf, n, &nm);
    if (rc == VIGIL_OK) rc = hint_put(a, o, r, nm, rank, ts);
    return rc;
}

/* The name raw[0..len) of a record at ts for the pair of known address
 * ids (o, r), whose hint tag is `tag`. */
static vigil_status name_known(vigil__agg *a, uint32_t o, uint32_t r, uint32_t tag, const char *raw,
                               size_t len, uint32_t rank, double ts)
{
    /* The usual case, before any cleaning: the pair's hint already holds
     * exactly these bytes.  A stored name is a cleaned one and cleaning a
     * clean name gives it back, so equal raw bytes mean an equal name. */
    hint_key k = { o, r };
    uint64_t *s = vigil__hidx_probe(&a->hint_idx, tag, hint_eq, a, &k);
    if (hint_same(a, s, raw, len, rank, ts)) return VIGIL_OK;
    char buf[VIGIL_FINDING_NAME_LEN];
    size_t n = vigil__agg_clean_name(raw, len, buf, sizeof buf);
    return n ? name_put(a, o, r, s, buf, n, rank, ts) : VIGIL_OK;
}

/* Applies a partial's batched names, in the order they came.  Their hint
 * slots were prefetched as they were queued; here the hints those slots
 * name, then those hints' name lengths and texts are prefetched, a batch
 * at a time, before the names are applied.  In the reading threads, the
 * slot and the hint were each a cache miss per SSL/HTTP record (the
 * decompressor's output streams the small per-file tables out of the
 * cache), ~0.6 CPU-s of the simulated month's hunt by perf. */
static vigil_status flush_names(vigil__agg *a)
{
    size_t n = a->nnpend;
    if (!n) return VIGIL_OK;
    a->nnpend = 0;
    const vigil__ag_namepend *q = a->npend_names;
    uint32_t e[VIGIL__AGG_BATCH];
    for (size_t i = 0; i < n; i++) {
        e[i] = vigil__hidx_peek(&a->hint_idx, q[i].tag);
        if (e[i]) __builtin_prefetch(&a->hints[e[i] - 1]);
    }
    for (size_t i = 0; i < n; i++)
        if (e[i]) {
            uint32_t nm = a->hints[e[i] - 1].name;
            __builtin_prefetch(&a->names.len[nm]);
            __builtin_prefetch(&a->names.s[nm]);
        }
    vigil_status rc = VIGIL_OK;
    for (size_t i = 0; i < n && rc == VIGIL_OK; i++)
        rc = name_known(a, q[i].o, q[i].r, q[i].tag, q[i].raw, q[i].len, q[i].rank, q[i].ts);
    return rc;
}

/* Reads: see vigil__agg_fields. */
static vigil_status add_name(vigil__agg *a, const vigil_record *rec, vigil_str name, uint32_t rank)
{
    const vigil_conn_id *id = &rec->u.conn.id; /* every family starts with it */
    vigil__agg_note_ts(a, rec->ts);
    uint32_t fo, fr;
    int known = name.p && name.len && a->hint_idx.mask && addr_find(a, &id->orig_h, &fo) &&
                addr_find(a, &id->resp_h, &fr);
    if (known && a->partial && name.len <= VIGIL__NAMEPEND_RAW) {
        /* Queued, its hint slot prefetched (flush_names). */
        vigil__ag_namepend *q = &a->npend_names[a->nnpend++];
        hint_key k = { fo, fr };
        q->ts = rec->ts;
        q->o = fo;
        q->r = fr;
        q->tag = hint_tag(&k);
        q->rank = (uint8_t)rank;
        q->len = (uint8_t)name.len;
        memcpy(q->raw, name.p, name.len);
        __builtin_prefetch(&a->hint_idx.slot[q->tag & a->hint_idx.mask]);
        return a->nnpend == VIGIL__AGG_BATCH ? flush_names(a) : VIGIL_OK;
    }
    /* Anything else keeps its place after the queued names. */
    vigil_status rc = flush_names(a);
    if (rc != VIGIL_OK) return rc;
    if (known) {
        hint_key fk = { fo, fr };
        return name_known(a, fo, fr, hint_tag(&fk), name.p, name.len, rank, rec->ts);
    }
    char buf[VIGIL_FINDING_NAME_LEN];
    size_t n = vigil__agg_clean_name(name.p, name.len, buf, sizeof buf);
    if (!n) return VIGIL_OK;
    uint32_t o, r;
    rc = vigil__agg_addr_id(a, &id->orig_h, &o);
    if (rc == VIGIL_OK) rc = vigil__agg_addr_id(a, &id->resp_h, &r);
    if (rc != VIGIL_OK) return rc;
    hint_key k = { o, r };
    const uint64_t *s = a->hint_idx.mask ? vigil__hidx_probe(&a->hint_idx, hint_tag(&k), hint_eq, a, &k) : NULL;
    return name_put(a, o, r, s, buf, n, rank, rec->ts);
}

vigil_status vigil__agg_add(vigil__agg *a, const vigil_record *rec)
{
    if (!a || !rec) return VIGIL_EINVAL;
    if (a->finished) return VIGIL_EINVAL;
    /* Queued names keep their place before any other record's work. */
    if (a->nnpend && rec->type != VIGIL_LOG_SSL && rec->type != VIGIL_LOG_HTTP) {
        vigil_status rc = flush_names(a);
        if (rc != VIGIL_OK) return rc;
    }
    switch (rec->type) {
    case VIGIL_LOG_CONN: return add_conn(a, rec);
    case VIGIL_LOG_DNS: return vigil__agg_add_dns(a, rec);
    case VIGIL_LOG_SSL: return add_name(a, rec, rec->u.ssl.server_name, VIGIL__NAME_SNI);
    case VIGIL_LOG_HTTP: return add_name(a, rec, rec->u.http.host, VIGIL__NAME_HTTP);
    default: return VIGIL_OK;
    }
}

/* ---- sorting every pair's points ------------------------------------------- */

vigil_status vigil__agg_sort(vigil__agg *a)
{
    if (!a) return VIGIL_EINVAL;
    vigil_status frc = a->defer ? vigil__agg_settle_threads(a, 1) : VIGIL_OK;
    if (frc == VIGIL_OK) frc = flush_pending(a);
    if (frc == VIGIL_OK) frc = flush_names(a);
    if (frc == VIGIL_OK) frc = vigil__agg_flush_dns(a);
    if (frc != VIGIL_OK) return frc;
    atomic_size_t next;
    atomic_init(&next, 0);
    return vigil__agg_sort_part(a, &next);
}

vigil_status vigil__agg_sort_part(vigil__agg *a, atomic_size_t *next)
{
    if (!a || !next || a->npend || a->ndpend) return VIGIL_EINVAL;
    /* Every pair was made sorted (settled) and none has grown since:
     * nothing to look at. */
    if (!a->maybe_unsorted) return VIGIL_OK;
    /* Scratch grows to the largest pair this thread sorts (the merge
     * sort's only up to SORT_TMP_MAX points: bigger pairs are sorted in
     * place, as this runs at the memory peak).  Only pairs of the chunks
     * taken are looked at: the other threads are rewriting theirs. */
    vigil__conn_point *buf = NULL, *tmp = NULL;
    size_t bcap = 0, tcap = 0;
    vigil_status rc = VIGIL_OK;
    /* Chunks from a shared cursor: a few pairs hold most points, and a
     * fixed share left one thread sorting alone at the end. */
    for (size_t b; rc == VIGIL_OK && (b = atomic_fetch_add(next, SORT_CHUNK)) < a->npairs;) {
        size_t e = b + SORT_CHUNK < a->npairs ? b + SORT_CHUNK : a->npairs;
        for (size_t i = b; i < e && rc == VIGIL_OK; i++) {
            vigil__ag_pair *p = &a->pairs[i];
            /* The points of pairs a little ahead: each array is a cache miss. */
            if (i + FINISH_AHEAD < e && a->pairs[i + FINISH_AHEAD].unsorted)
                __builtin_prefetch(a->pairs[i + FINISH_AHEAD].enc);
            if (!p->unsorted) continue;
            size_t tn = p->n < SORT_TMP_MAX ? p->n : SORT_TMP_MAX;
            if (p->n > bcap) {
                vigil__free(&a->alloc, buf);
                bcap = 0;
                if (!(buf = vigil__malloc(&a->alloc, (size_t)p->n * sizeof *buf))) rc = VIGIL_ENOMEM;
                else bcap = p->n;
            }
            if (rc == VIGIL_OK && tn > tcap) {
                vigil__free(&a->alloc, tmp);
                tcap = 0;
                if (!(tmp = vigil__malloc(&a->alloc, tn * sizeof *tmp))) rc = VIGIL_ENOMEM;
                else tcap = tn;
            }
            if (rc != VIGIL_OK) break;
            vigil__pair_decode(p, buf);
            if (p->n <= SORT_TMP_MAX) sort_pts(buf, tmp, p->n);
            else sort_pts_inplace(buf, p->n);
            rc = vigil__pair_reencode(&a->alloc, p, buf, p->n, p->ts_raw);
            if (rc == VIGIL_OK) p->unsorted = 0;
        }
    }
    vigil__free(&a->alloc, buf);
    vigil__free(&a->alloc, tmp);
    return rc;
}

/* ---- merge ----------------------------------------------------------------- */

/* Adds q's points and sums into p (same key); q's points are consumed. */
static vigil_status pair_absorb(vigil__agg *a, vigil__ag_pair *p, vigil__ag_pair *q,
                                const vigil_allocator *qal)
{
    size_t n = (size_t)p->n + q->n;
    if (n > UINT32_MAX) return VIGIL_ENOMEM;
    a->maybe_unsorted = 1;
    /* Interleaved points are appended and sorted later (vigil__agg_sort):
     * merging them here would copy a long-lived pair's whole array at
     * every merge, and hunt.c merges after every file. */
    if (p->n == 0 && !p->enc_ext && !q->enc_ext && memcmp(&a->alloc, qal, sizeof *qal) == 0) {
        /* A new pair, same allocator: take q's encoding as it is. */
        vigil__free(&a->alloc, p->enc);
        p->enc = q->enc;
        p->used = q->used;
        p->ts_raw = q->ts_raw;
        p->unsorted = q->unsorted;
        q->enc = NULL;
    } else if (q->n && !p->ts_raw && !q->ts_raw) {
        /* q's first point re-encoded after p's last, the rest of q's bytes
         * as they are (their deltas are relative to each other). */
        int64_t us = 0, plast = pair_last(p), qlast = pair_last(q), next;
        vigil__conn_point first;
        const unsigned char *rest = dec_point(q->enc, 0, &us, &first);
        size_t restlen = (size_t)(q->enc + q->used - rest);
        if (p->n == 0) p->unsorted = q->unsorted;
        else if (q->unsorted || us <= plast) p->unsorted = 1;
        unsigned char tmp[VIGIL__PT_MAX_BYTES];
        size_t len = (size_t)(vigil__put_point(tmp, &first, 0, us, plast, &next) - tmp);
        vigil_status rc = enc_fit(&a->alloc, p, (size_t)p->used + len + restlen);
        if (rc != VIGIL_OK) return rc;
        memcpy(p->enc + p->used, tmp, len);
        memcpy(p->enc + p->used + len, rest, restlen);
        p->used += (uint32_t)(len + restlen);
        memcpy(p->enc + p->used, &qlast, 8);
    } else if (q->n) {
        /* Raw times on either side: point by point. */
        vigil__conn_point *tmp = vigil__malloc(&a->alloc, q->n * sizeof *tmp);
        if (!tmp) return VIGIL_ENOMEM;
        vigil__pair_decode(q, tmp);
        vigil_status rc = VIGIL_OK;
        for (uint32_t k = 0; k < q->n && rc == VIGIL_OK; k++) rc = vigil__pair_push(&a->alloc, p, &tmp[k]);
        vigil__free(&a->alloc, tmp);
        if (rc != VIGIL_OK) return rc;
    }
    p->n = (uint32_t)n;
    p->dur_sum += q->dur_sum;
    if (q->dur_max > p->dur_max) p->dur_max = q->dur_max;
    p->open_dur += q->open_dur;
    p->bytes_out += q->bytes_out;
    p->bytes_in += q->bytes_in;
    p->n_rej += q->n_rej;
    p->n_s0 += q->n_s0;
    p->n_ok += q->n_ok;
    if (!q->enc_ext) vigil__free(qal, q->enc);
    q->enc = NULL;
    q->enc_ext = 0;
    q->n = q->used = 0;
    return VIGIL_OK;
}

#define HINT_PIPE 8                /* hints between two stages */
#define HINT_RING (4 * HINT_PIPE)  /* tags in flight (a power of two) */

vigil_status vigil__agg_merge(vigil__agg *dst, vigil__agg *src)
{
    if (!dst || !src || dst == src || dst->finished || src->finished) return VIGIL_EINVAL;
    /* src's deferred connections become its pairs first. */
    vigil_status rc = src->defer ? vigil__agg_settle_threads(src, 1) : VIGIL_OK;
    if (rc == VIGIL_OK) rc = flush_pending(dst);
    if (rc == VIGIL_OK) rc = flush_pending(src);
    if (rc == VIGIL_OK) rc = flush_names(dst);
    if (rc == VIGIL_OK) rc = flush_names(src);
    if (rc == VIGIL_OK) rc = vigil__agg_flush_dns(dst);
    if (rc == VIGIL_OK) rc = vigil__agg_flush_dns(src);
    if (rc != VIGIL_OK) return rc;
    uint32_t *nmap = NULL, *amap = NULL, *pmap = NULL;
    if (src->npairs) {
        pmap = vigil__malloc(&dst->alloc, src->npairs * sizeof *pmap);
        if (!pmap) return VIGIL_ENOMEM;
    }
    if (src->names.n) {
        nmap = vigil__malloc(&dst->alloc, src->names.n * sizeof *nmap);
        if (!nmap) { rc = VIGIL_ENOMEM; goto out; }
    }
    /* A partial's addresses are mapped once, not after every file. */
    if (src->partial && src->amap_dst != dst) src->namap = 0;
    if (src->naddrs && src->partial) {
        rc = vigil__grow(&src->alloc, (void **)&src->amap, &src->amap_cap, src->naddrs, sizeof *src->amap);
        if (rc != VIGIL_OK) goto out;
        src->amap_dst = dst;
    } else if (src->naddrs) {
        amap = vigil__malloc(&dst->alloc, src->naddrs * sizeof *amap);
        if (!amap) { rc = VIGIL_ENOMEM; goto out; }
    }
    uint32_t *am = src->partial ? src->amap : amap;
    for (size_t i = 0; i < src->names.n && rc == VIGIL_OK; i++)
        rc = vigil__str_intern(&dst->alloc, &dst->names, src->names.s[i], src->names.len[i], &nmap[i]);
    for (size_t i = src->partial ? src->namap : 0; i < src->naddrs && rc == VIGIL_OK; i++) {
        rc = vigil__agg_addr_id(dst, &src->addrs[i].a, &am[i]);
        if (rc == VIGIL_OK && src->partial) src->namap = i + 1;
    }
    /* What this file's DNS taught the addresses: in a partial, only the
     * addresses it touched can have any. */
    int listed = src->partial && !src->touch_all;
    size_t nt = listed ? src->ntouched : src->naddrs;
    for (size_t t = 0; t < nt && rc == VIGIL_OK; t++) {
        size_t i = listed ? src->touched[t] : t;
        const vigil__ag_addr *e = &src->addrs[i];
        vigil__ag_addr *d = &dst->addrs[am[i]];
        d->flags |= (uint8_t)(e->flags & VIGIL__ADDR_RESOLVER);
        if (e->dns_name != VIGIL__NO_ID) {
            uint32_t nm = nmap[e->dns_name];
            if (d->dns_name == VIGIL__NO_ID || e->dns_ts > d->dns_ts ||
                (e->dns_ts == d->dns_ts && strcmp(dst->names.s[nm], dst->names.s[d->dns_name]) < 0)) {
                d->dns_name = nm;
                d->dns_ts = e->dns_ts;
            }
        }
    }
    for (size_t i = 0; i < src->npairs && rc == VIGIL_OK; i++) {
        vigil__ag_pair *q = &src->pairs[i];
        pair_key k = { am[q->src], am[q->dst], q->dport, q->proto };
        uint32_t pi;
        rc = pair_get(dst, &k, &pi);
        if (rc == VIGIL_OK) rc = pair_absorb(dst, &dst->pairs[pi], q, &src->alloc);
        pmap[i] = pi;
    }
    /* A partial's queued connections: to dst's buckets when it defers
     * them, else through its batch. */
    if (dst->defer && src->ndq && rc == VIGIL_OK) {
        /* (src is reset after the merge: its queue is rewritten here.) */
        for (size_t i = 0; i < src->ndq; i++) {
            vigil__ag_pending *q = &src->dq[i];
            q->src = am[q->src];
            q->dst = am[q->dst];
            q->tag = vigil__pair_tag(q->src, q->dst, q->dport, q->proto);
        }
        rc = vigil__agg_defer_push(dst, src->dq, src->ndq);
    }
    for (size_t i = 0; !dst->defer && i < src->ndq && rc == VIGIL_OK; i++) {
        vigil__ag_pending *q = &dst->pend[dst->npend++];
        *q = src->dq[i];
        q->src = am[q->src];
        q->dst = am[q->dst];
        pair_key k = { q->src, q->dst, q->dport, q->proto };
        q->tag = pair_tag(&k);
        if (dst->pair_idx.mask) __builtin_prefetch(&dst->pair_idx.slot[q->tag & dst->pair_idx.mask]);
        if (dst->npend == VIGIL__AGG_BATCH) rc = flush_pending(dst);
    }
    if (rc == VIGIL_OK) rc = flush_pending(dst);
    if (rc == VIGIL_OK && src->nbig)
        rc = vigil__grow(&dst->alloc, (void **)&dst->big, &dst->big_cap, dst->nbig + src->nbig,
                         sizeof *dst->big);
    for (size_t i = 0; i < src->nbig && rc == VIGIL_OK; i++) {
        dst->big[dst->nbig] = src->big[i];
        dst->big[dst->nbig++].pair = pmap[src->big[i].pair];
    }
    /* Hints through a pipeline: hint i's slot is prefetched, HINT_PIPE
     * hints later the hint that slot names, HINT_PIPE later it is put --
     * each is a cache miss in tables of ~50 MB, and in series they took
     * ~1 CPU-s of the simulated month.  A prefetch made stale by an
     * insertion or a growth costs only its miss. */
    uint32_t htag[HINT_RING];
    for (size_t i = 0; i < src->nhints + 2 * HINT_PIPE && rc == VIGIL_OK; i++) {
        if (i < src->nhints) {
            hint_key hk = { am[src->hints[i].src], am[src->hints[i].dst] };
            htag[i % HINT_RING] = hint_tag(&hk);
            if (dst->hint_idx.mask)
                __builtin_prefetch(&dst->hint_idx.slot[htag[i % HINT_RING] & dst->hint_idx.mask]);
        }
        if (i >= HINT_PIPE && i - HINT_PIPE < src->nhints) {
            uint32_t e = vigil__hidx_peek(&dst->hint_idx, htag[(i - HINT_PIPE) % HINT_RING]);
            if (e) __builtin_prefetch(&dst->hints[e - 1], 1);
        }
        if (i >= 2 * HINT_PIPE) {
            size_t k = i - 2 * HINT_PIPE;
            const vigil__ag_hint *h = &src->hints[k];
            rc = hint_put_tag(dst, am[h->src], am[h->dst], nmap[h->name], h->rank, h->ts, htag[k % HINT_RING]);
        }
    }
    if (rc == VIGIL_OK) rc = vigil__agg_merge_dns(dst, src, am, nmap);
    if (rc != VIGIL_OK) goto out;
    dst->conns += src->conns;
    dst->kept += src->kept;
    dst->inbound += src->inbound;
    dst->internal_only += src->internal_only;
    dst->external_only += src->external_only;
    dst->noise += src->noise;
    if (src->any_ts) {
        vigil__agg_note_ts(dst, src->in_first);
        vigil__agg_note_ts(dst, src->in_last);
    }
    if (src->partial) agg_reset(src);
    else agg_clear(src);
out:
    vigil__free(&dst->alloc, pmap);
    vigil__free(&dst->alloc, nmap);
    vigil__free(&dst->alloc, amap);
    return rc;
}

/* ---- finish ---------------------------------------------------------------- */

/* Hand-written for finish's two big orderings (1.96M pairs, 0.72M DNS
 * entries on the simulated month): their comparison sorts (a quicksort
 * of 24-byte records; glibc's qsort with a callback) took ~0.3 and ~0.2
 * CPU-s on the step's critical path; a radix sort of packed keys does a
 * few linear passes. */
#define RADIX_BITS 11
#define RADIX_SIZE ((size_t)1 << RADIX_BITS)

vigil__kv *vigil__radix_kv(vigil__kv *v, vigil__kv *tmp, size_t n, unsigned bits)
{
    uint32_t count[RADIX_SIZE];
    for (unsigned shift = 0; shift < bits && n > 1; shift += RADIX_BITS) {
        memset(count, 0, sizeof count);
        for (size_t i = 0; i < n; i++) count[(v[i].key >> shift) & (RADIX_SIZE - 1)]++;
        /* Every key has this digit: the pass would move nothing. */
        if (count[(v[0].key >> shift) & (RADIX_SIZE - 1)] == n) continue;
        uint32_t at = 0;
        for (size_t d = 0; d < RADIX_SIZE; d++) {
            uint32_t c = count[d];
            count[d] = at;
            at += c;
        }
        for (size_t i = 0; i < n; i++) tmp[count[(v[i].key >> shift) & (RADIX_SIZE - 1)]++] = v[i];
        vigil__kv *t = v;
        v = tmp;
        tmp = t;
    }
    return v;
}

/* A sort record: two keys and the entry it stands for. */
typedef struct sort_rec {
    uint64_t k1;    /* primary key */
    uint64_t k2;    /* secondary key */
    uint32_t idx;   /* entry */
    uint32_t aux;   /* carried along (not a key) */
} sort_rec;

static inline int sort_rec_less(const sort_rec *a, const sort_rec *b)
{
    if (a->k1 != b->k1) return a->k1 < b->k1;
    if (a->k2 != b->k2) return a->k2 < b->k2;
    return a->idx < b->idx;
}
INPLACE_SORT(sort_recs, sort_rec, sort_rec_less)

typedef struct addr_rank_rec {
    vigil_addr a;   /* the address */
    uint32_t id;    /* its id */
} addr_rank_rec;

static int cmp_addr_rank(const void *x, const void *y)
{
    return memcmp(((const addr_rank_rec *)x)->a.b, ((const addr_rank_rec *)y)->a.b, 16);
}

typedef struct name_rank_rec {
    const char *s;  /* the name */
    uint32_t id;    /* its id */
} name_rank_rec;

static int cmp_name_rank(const void *x, const void *y)
{
    return strcmp(((const name_rank_rec *)x)->s, ((const name_rank_rec *)y)->s);
}

/* rank[id] = position of address id in address order. */
static vigil_status addr_ranks(vigil__agg *a, uint32_t **out)
{
    *out = NULL;
    if (!a->naddrs) return VIGIL_OK;
    addr_rank_rec *v = vigil__malloc(&a->alloc, a->naddrs * sizeof *v);
    uint32_t *rank = vigil__malloc(&a->alloc, a->naddrs * sizeof *rank);
    if (!v || !rank) {
        vigil__free(&a->alloc, v);
        vigil__free(&a->alloc, rank);
        return VIGIL_ENOMEM;
    }
    for (size_t i = 0; i < a->naddrs; i++) {
        v[i].a = a->addrs[i].a;
        v[i].id = (uint32_t)i;
    }
    qsort(v, a->naddrs, sizeof *v, cmp_addr_rank);
    for (size_t i = 0; i < a->naddrs; i++) rank[v[i].id] = (uint32_t)i;
    vigil__free(&a->alloc, v);
    *out = rank;
    return VIGIL_OK;
}

/* rank[id] = position of name id in strcmp order. */
static vigil_status name_ranks(vigil__agg *a, uint32_t **out)
{
    *out = NULL;
    if (!a->names.n) return VIGIL_OK;
    name_rank_rec *v = vigil__malloc(&a->alloc, a->names.n * sizeof *v);
    uint32_t *rank = vigil__malloc(&a->alloc, a->names.n * sizeof *rank);
    if (!v || !rank) {
        vigil__free(&a->alloc, v);
        vigil__free(&a->alloc, rank);
        return VIGIL_ENOMEM;
    }
    for (size_t i = 0; i < a->names.n; i++) {
        v[i].s = a->names.s[i];
        v[i].id = (uint32_t)i;
    }
    qsort(v, a->names.n, sizeof *v, cmp_name_rank);
    for (size_t i = 0; i < a->names.n; i++) rank[v[i].id] = (uint32_t)i;
    vigil__free(&a->alloc, v);
    *out = rank;
    return VIGIL_OK;
}

/* Distinct UTC days and hours of sorted points. */
static void count_days_hours(const vigil__conn_point *v, size_t n, uint32_t *days, uint32_t *hours)
{
    uint32_t d = 0, h = 0;
    double last_d = 0, last_h = 0;
    for (size_t i = 0; i < n; i++) {
        double dd = floor(v[i].ts / 86400.0), hh = floor(v[i].ts / 3600.0);
        if (i == 0 || dd != last_d) d++;
        if (i == 0 || hh != last_h) h++;
        last_d = dd;
        last_h = hh;
    }
    *days = d;
    *hours = h;
}

/* The name groups of one range of the pair order (whole sources): step 1
 * builds them in two parts, one a job, joined by groups_join. */
typedef struct group_part {
    vigil__ag_group *groups;
    uint32_t *members;
    uint32_t *name_prev;   /* sources a name has, in this part */
    size_t ng, gcap, nm, mcap;
    uint64_t maxn;         /* connections of the largest group */
} group_part;

static void group_part_free(const vigil_allocator *al, group_part *g)
{
    vigil__free(al, g->groups);
    vigil__free(al, g->members);
    vigil__free(al, g->name_prev);
    memset(g, 0, sizeof *g);
}

/* The groups of the sources whose pairs are order[i0..i1). */
static vigil_status build_groups_part(const vigil__agg *a, const uint32_t *arank, const uint32_t *nrank,
                                      size_t i0, size_t i1, group_part *out)
{
    /* The pair order has each source's pairs together: each source's
     * named pairs are sorted by (name, dport, proto, dst) on their own --
     * a few hundred at a time, in cache, where one sort of all 1.9M named
     * pairs (and a second one for the names' prevalence) took ~0.7 s of
     * a step whose other half waits for it (docs/hunt.md).  Groups come
     * out in (src, name, dport, proto) order, members by dst, as one sort
     * by that key gave them. */
    vigil_status rc = VIGIL_ENOMEM;
    sort_rec *v = NULL;
    size_t vcap = 0;
    memset(out, 0, sizeof *out);
    out->name_prev = vigil__calloc(&a->alloc, a->names.n ? a->names.n : 1, sizeof *out->name_prev);
    if (!out->name_prev) goto out;
    for (size_t i = i0; i < i1;) {
        uint32_t src = a->pairs[a->order[i]].src;
        size_t j = i, k = 0;
        /* Pairs in this order are scattered in memory, and so are their
         * names: each a cache miss, fetched ahead. */
        while (j < i1 && a->pairs[a->order[j]].src == src) {
            if (j + 2 * FINISH_AHEAD < i1) {
                uint32_t q = a->order[j + 2 * FINISH_AHEAD];
                __builtin_prefetch(&a->pairs[q]);
                __builtin_prefetch(&a->pair_name[q]);
            }
            j++;
        }
        if (j - i > vcap && vigil__grow(&a->alloc, (void **)&v, &vcap, j - i, sizeof *v) != VIGIL_OK) goto out;
        for (size_t m = i; m < j; m++) {
            uint32_t pi = a->order[m];
            const vigil__ag_pair *p = &a->pairs[pi];
            uint32_t nm_id = a->pair_name[pi];
            if (nm_id == VIGIL__NO_ID) continue;
            v[k].k1 = nrank[nm_id];
            v[k].k2 = ((uint64_t)p->dport << 8 | p->proto) << 32 | arank[p->dst];
            v[k].idx = pi;
            v[k].aux = nm_id;
            k++;
        }
        i = j;
        if (k > 1) sort_recs(v, k);
        for (size_t x = 0; x < k;) {
            /* A name this source used: one more host for its prevalence. */
            if (x == 0 || v[x].aux != v[x - 1].aux) out->name_prev[v[x].aux]++;
            size_t y = x + 1;
            while (y < k && v[y].k1 == v[x].k1 && (v[y].k2 >> 32) == (v[x].k2 >> 32)) y++;
            if (y - x >= 2) {
                if (vigil__grow(&a->alloc, (void **)&out->groups, &out->gcap, out->ng + 1, sizeof *out->groups) !=
                        VIGIL_OK ||
                    vigil__grow(&a->alloc, (void **)&out->members, &out->mcap, out->nm + (y - x),
                                sizeof *out->members) != VIGIL_OK)
                    goto out;
                vigil__ag_group *g = &out->groups[out->ng++];
                g->first = (uint32_t)out->nm;
                g->count = (uint32_t)(y - x);
                g->top = v[x].idx;
                g->n = 0;
                for (size_t m = x; m < y; m++) {
                    const vigil__ag_pair *p = &a->pairs[v[m].idx];
                    out->members[out->nm++] = v[m].idx;
                    g->n += p->n;
                    if (p->n > a->pairs[g->top].n) g->top = v[m].idx;
                }
                if (g->n > out->maxn) out->maxn = g->n;
            }
            x = y; /* (a run is one name: its names are counted above) */
        }
    }
    rc = VIGIL_OK;
out:
    vigil__free(&a->alloc, v);
    if (rc != VIGIL_OK) group_part_free(&a->alloc, out);
    return rc;
}

/* The aggregate's groups: part 0's, then part 1's (later sources), as
 * one part over all the sources gives them; frees both parts. */
static vigil_status groups_join(vigil__agg *a, group_part *p0, group_part *p1)
{
    vigil_status rc = VIGIL_ENOMEM;
    if (p1->ng) {
        if (vigil__grow(&a->alloc, (void **)&p0->groups, &p0->gcap, p0->ng + p1->ng, sizeof *p0->groups) !=
                VIGIL_OK ||
            vigil__grow(&a->alloc, (void **)&p0->members, &p0->mcap, p0->nm + p1->nm, sizeof *p0->members) !=
                VIGIL_OK)
            goto out;
        for (size_t g = 0; g < p1->ng; g++) {
            p0->groups[p0->ng + g] = p1->groups[g];
            p0->groups[p0->ng + g].first += (uint32_t)p0->nm;
        }
        memcpy(p0->members + p0->nm, p1->members, p1->nm * sizeof *p1->members);
        p0->ng += p1->ng;
        p0->nm += p1->nm;
    }
    if (p1->name_prev)
        for (size_t i = 0; i < a->names.n; i++) p0->name_prev[i] += p1->name_prev[i];
    if (p1->maxn > p0->maxn) p0->maxn = p1->maxn;
    /* Prevalence: every source counted, now. */
    for (size_t gi = 0; gi < p0->ng; gi++)
        p0->groups[gi].prevalence = p0->name_prev[a->pair_name[p0->members[p0->groups[gi].first]]];
    a->groups = p0->groups;
    a->group_members = p0->members;
    a->ngroups = p0->ng;
    p0->groups = NULL;
    p0->members = NULL;
    if (p0->maxn) {
        a->gbuf = vigil__malloc(&a->alloc, p0->maxn * sizeof *a->gbuf);
        a->gtmp = vigil__malloc(&a->alloc, p0->maxn * sizeof *a->gtmp);
        if (!a->gbuf || !a->gtmp) goto out;
        a->gcap = p0->maxn;
    }
    rc = VIGIL_OK;
out:
    group_part_free(&a->alloc, p0);
    group_part_free(&a->alloc, p1);
    return rc;
}

/* Where step 1 cuts the pair order for the groups' two parts: the first
 * source boundary from the middle on (npairs when there is none). */
static size_t groups_cut(const vigil__agg *a)
{
    size_t c = a->npairs / 2;
    if (c == 0) return a->npairs;
    uint32_t src = a->pairs[a->order[c - 1]].src;
    while (c < a->npairs && a->pairs[a->order[c]].src == src) c++;
    return c;
}

/* The pair order (by src, dst, dport, proto ranks) and each
 * destination's prevalence (distinct sources). */
unsigned vigil__pair_order_key_bits = 64;

static vigil_status pair_order(vigil__agg *a, const uint32_t *arank)
{
    if (!a->npairs) return VIGIL_OK;
    a->order = vigil__malloc_full(&a->alloc, a->npairs * sizeof *a->order);
    if (!a->order) return VIGIL_ENOMEM;
    /* The key (src rank, dst rank, dport, proto) packed in 64 bits when
     * the ranks fit (2 x ab + 24 bits: 2^20 addresses): radix-sorted.
     * Pairs are unique by it, as by sort_rec's keys; both orders are the
     * same. */
    unsigned ab = vigil__bits_for(a->naddrs);
    if (2 * ab + 16 + 8 <= vigil__pair_order_key_bits && a->npairs <= UINT32_MAX) {
        unsigned bits = 2 * ab + 16 + 8;
        vigil__kv *kv = vigil__malloc_full(&a->alloc, a->npairs * sizeof *kv);
        vigil__kv *tmp = vigil__malloc_full(&a->alloc, a->npairs * sizeof *tmp);
        if (!kv || !tmp) {
            vigil__free(&a->alloc, kv);
            vigil__free(&a->alloc, tmp);
            return VIGIL_ENOMEM;
        }
        for (size_t i = 0; i < a->npairs; i++) {
            const vigil__ag_pair *p = &a->pairs[i];
            kv[i].key = (((uint64_t)arank[p->src] << ab | arank[p->dst]) << 16 | p->dport) << 8 | p->proto;
            kv[i].val = (uint64_t)p->dst << 32 | i;
        }
        vigil__kv *s = vigil__radix_kv(kv, tmp, a->npairs, bits);
        for (size_t i = 0; i < a->naddrs; i++) a->addrs[i].prevalence = 0;
        uint64_t sd = 0; /* the (src, dst) part of the previous key */
        for (size_t i = 0; i < a->npairs; i++) {
            a->order[i] = (uint32_t)s[i].val;
            uint64_t k = s[i].key >> 24;
            if (i == 0 || k != sd) a->addrs[s[i].val >> 32].prevalence++;
            sd = k;
        }
        vigil__free(&a->alloc, kv);
        vigil__free(&a->alloc, tmp);
        return VIGIL_OK;
    }
    sort_rec *v = vigil__malloc(&a->alloc, a->npairs * sizeof *v);
    if (!v) return VIGIL_ENOMEM;
    for (size_t i = 0; i < a->npairs; i++) {
        const vigil__ag_pair *p = &a->pairs[i];
        v[i].k1 = (uint64_t)arank[p->src] << 32 | arank[p->dst];
        v[i].k2 = (uint64_t)p->dport << 8 | p->proto;
        v[i].idx = (uint32_t)i;
        v[i].aux = p->dst;
    }
    sort_recs(v, a->npairs);
    for (size_t i = 0; i < a->npairs; i++) a->order[i] = v[i].idx;
    /* Prevalence: distinct srcs per dst.  Ranks are one per address, so
     * the pairs of one (src, dst) are the neighbours with one k1: each run
     * counts once for its dst (no second sort). */
    for (size_t i = 0; i < a->naddrs; i++) a->addrs[i].prevalence = 0;
    for (size_t i = 0; i < a->npairs; i++)
        if (i == 0 || v[i].k1 != v[i - 1].k1) a->addrs[v[i].aux].prevalence++;
    vigil__free(&a->alloc, v);
    return VIGIL_OK;
}

/* The hosts' work, in chunks of the pair order that the two jobs of step
 * 1 take from a shared cursor, each when its own part of the step is
 * done: job 0 cuts them once the pair order exists, job 1 waits for
 * that.  (Two fixed halves, after the step, left one thread idle for
 * 0.1-0.3 s of the simulated month: the DNS half of step 1 and the
 * halves of the hosts' pass never took the same time.) */
#define HOST_CHUNKS 64
#define HOST_PAIR_WORK 16 /* a pair's share of a source's work, in points */
typedef struct host_chunks {
    size_t k[HOST_CHUNKS + 1];      /* the chunks' bounds in the order */
    size_t first_host[HOST_CHUNKS]; /* the host each starts at */
    size_t n;                       /* chunks */
    atomic_size_t next;             /* the next chunk to take */
    atomic_int ready;               /* 1: cut, -1: job 0 failed first */
    /* The groups' two parts (job 1 builds the second). */
    atomic_int split;               /* job 1 runs beside job 0 */
    atomic_int order_ready;         /* 1: the order and cut are made, 2: no
                                       groups to build, -1: job 0 failed */
    atomic_int part1_done;          /* 1: part 1 built, -1: it failed */
    size_t cut;                     /* where part 1 starts in the order */
    group_part part[2];
    vigil_status part1_rc;
} host_chunks;

/* One of finish's two-way jobs.  Step 0: each job takes its part of the
 * first pass over the pairs (pairs_pass).  Step 1: job 0 orders the pairs,
 * counts prevalence and builds the first part of the name groups while
 * job 1 finishes DNS (they touch different fields: addrs' prevalence
 * against addrs' flags, read only), then the second part; job 0 joins the
 * parts and cuts the hosts' chunks; then each fills the hosts of the
 * chunks it takes (job 1 only with scratch of its own). */
typedef struct finish_job {
    vigil__agg *a;
    const uint32_t *arank, *nrank;  /* address and name ranks */
    int step, job;                  /* which work */
    host_chunks *hc;                /* step 1: the hosts' chunks */
    vigil__conn_point *pts;         /* step 1: decoding scratch, or NULL */
    atomic_size_t *cursor;          /* step 0: the next chunk of pairs */
    uint64_t *srcpts;               /* step 0: each source's work (points,
                                       and HOST_PAIR_WORK a pair), counted
                                       with two threads only, else NULL */
    const struct pass_side *side;   /* step 0, part 1: its address facts */
    double lo, hi;                  /* step 0: span of the part's points */
    int have;                       /* step 0: lo and hi are set */
    size_t maxn;                    /* step 0: most points of a pair */
    vigil_status rc;                /* result */
    pthread_t tid;                  /* its thread */
    int started;                    /* tid is to be joined */
} finish_job;

/* What part 1 of the first pass learns about addresses, kept apart (part
 * 0 writes the addresses themselves) and folded in after the step. */
typedef struct pass_side {
    double *first;      /* a destination's first contact */
    uint64_t *work;     /* a source's work */
    uint8_t *mark;      /* SIDE_SEEN, SIDE_SRC */
} pass_side;
enum { SIDE_SEEN = 1, SIDE_SRC = 2 };

/* Finish's first pass over the pairs, part `job` (of 1, or 2 on two threads):
 * each pair's name, its destination's first contact and "seen", its
 * source's flag and work, the span of all points.  The parts take chunks
 * of pairs (in index order) from a shared cursor and write what they
 * learn about addresses to their own place (part 1: j->side), so that no
 * address is written by both; every address fact is a minimum, a flag or
 * a sum, so the fold gives what one pass gives whichever part read which
 * pair.  (Fixed halves left one thread 0.2 s alone on the simulated
 * month: the half the settle wrote last is still in the cache, the other
 * is not.  The parts used to split by address before, each reading every
 * pair: twice the pass's 157 MB of pairs.) */
#define PASS_CHUNK 8192
static void pairs_pass(vigil__agg *a, finish_job *j)
{
    uint64_t *srcpts = j->srcpts;
    const pass_side *side = j->job ? j->side : NULL;
    double lo = 0, hi = 0;
    int have = 0;
    size_t maxn = 0;
    for (size_t i0; (i0 = atomic_fetch_add(j->cursor, PASS_CHUNK)) < a->npairs;) {
        size_t i1 = i0 + PASS_CHUNK < a->npairs ? i0 + PASS_CHUNK : a->npairs;
        for (size_t i = i0; i < i1; i++) {
            vigil__ag_pair *p = &a->pairs[i];
            if (p->n > maxn) maxn = p->n;
            /* Each pair's hint slot, hint and first point are cache misses:
             * prefetched ahead (the slot twice as far, so that its entry can
             * be peeked at), they overlap. */
            if (a->hint_idx.mask && i + 2 * FINISH_AHEAD < i1) {
                const vigil__ag_pair *q = &a->pairs[i + 2 * FINISH_AHEAD];
                hint_key qk = { q->src, q->dst };
                __builtin_prefetch(&a->hint_idx.slot[hint_tag(&qk) & a->hint_idx.mask]);
            }
            if (i + FINISH_AHEAD < i1) {
                const vigil__ag_pair *q = &a->pairs[i + FINISH_AHEAD];
                hint_key qk = { q->src, q->dst };
                uint32_t e = vigil__hidx_peek(&a->hint_idx, hint_tag(&qk));
                if (e) __builtin_prefetch(&a->hints[e - 1]);
                if (q->enc) __builtin_prefetch(q->enc);
            }
            if (side) {
                side->mark[p->src] |= SIDE_SRC;
                side->work[p->src] += (uint64_t)p->n + HOST_PAIR_WORK;
            } else {
                if (!(a->addrs[p->src].flags & VIGIL__ADDR_SRC)) a->addrs[p->src].flags |= VIGIL__ADDR_SRC;
                if (srcpts) srcpts[p->src] += (uint64_t)p->n + HOST_PAIR_WORK;
            }
            hint_key hk = { p->src, p->dst };
            a->pair_name[i] = a->addrs[p->dst].dns_name;
            if (a->hint_idx.mask) {
                uint64_t *s = vigil__hidx_probe(&a->hint_idx, hint_tag(&hk), hint_eq, a, &hk);
                if (*s) a->pair_name[i] = a->hints[(uint32_t)(*s & 0xffffffffu) - 1].name;
            }
            double first, last;
            vigil__pair_span(p, &first, &last);
            if (!have || first < lo) lo = first;
            if (!have || last > hi) hi = last;
            have = 1;
            if (side) {
                if (!(side->mark[p->dst] & SIDE_SEEN) || first < side->first[p->dst]) {
                    side->first[p->dst] = first;
                    side->mark[p->dst] |= SIDE_SEEN;
                }
            } else {
                vigil__ag_addr *d = &a->addrs[p->dst];
                if (d->prevalence == 0 || first < d->first_seen) {
                    d->first_seen = first;
                    d->prevalence = 1; /* "seen"; counted below */
                }
            }
        }
    }
    j->lo = lo;
    j->hi = hi;
    j->have = have;
    j->maxn = maxn;
}

/* Part 1's address facts into the addresses (after the first pass). */
static void fold_side(vigil__agg *a, const pass_side *side, uint64_t *srcpts)
{
    for (size_t x = 0; x < a->naddrs; x++) {
        uint8_t m = side->mark[x];
        if (!m) continue;
        vigil__ag_addr *d = &a->addrs[x];
        if (m & SIDE_SRC) {
            d->flags |= VIGIL__ADDR_SRC;
            srcpts[x] += side->work[x];
        }
        if ((m & SIDE_SEEN) && (d->prevalence == 0 || side->first[x] < d->first_seen)) {
            d->first_seen = side->first[x];
            d->prevalence = 1;
        }
    }
}

static void *finish_main(void *arg)
{
    finish_job *j = arg;
    vigil__agg *a = j->a;
    if (j->step == 0) {
        pairs_pass(a, j);
        j->rc = VIGIL_OK;
    } else {
        host_chunks *hc = j->hc;
        int ready;
        if (j->job == 0) {
            /* The groups in two parts when job 1 runs beside this one: it
             * builds the second once its DNS is done (the DNS half of the
             * step took ~0.15 s of the simulated month, the order and the
             * groups ~0.6 s: job 1 waited the rest). */
            j->rc = pair_order(a, j->arank);
            int grp = j->rc == VIGIL_OK && a->order && a->npairs >= 2;
            int split = atomic_load(&hc->split);
            if (grp && split) hc->cut = groups_cut(a);
            atomic_store(&hc->order_ready, j->rc != VIGIL_OK ? -1 : grp ? 1 : 2);
            vigil_status g = VIGIL_OK;
            if (grp) g = build_groups_part(a, j->arank, j->nrank, 0, split ? hc->cut : a->npairs, &hc->part[0]);
            if (grp && split) {
                int d;
                while ((d = atomic_load(&hc->part1_done)) == 0) sched_yield();
                if (g == VIGIL_OK && d < 0) g = hc->part1_rc;
            }
            if (grp && g == VIGIL_OK) g = groups_join(a, &hc->part[0], &hc->part[1]);
            group_part_free(&a->alloc, &hc->part[0]);
            group_part_free(&a->alloc, &hc->part[1]);
            if (j->rc == VIGIL_OK) j->rc = g;
            if (j->rc == VIGIL_OK && a->nhosts)
                j->rc = vigil__agg_hosts_split(a, j->arank, j->srcpts, HOST_CHUNKS, hc->k, hc->first_host,
                                               &hc->n);
            atomic_store(&hc->ready, j->rc == VIGIL_OK ? 1 : -1);
            ready = j->rc == VIGIL_OK;
        } else {
            j->rc = vigil__agg_finish_dns(a, j->arank, j->nrank);
            if (atomic_load(&hc->split)) { /* the groups' second part */
                int o;
                while ((o = atomic_load(&hc->order_ready)) == 0) sched_yield();
                vigil_status g = VIGIL_OK;
                if (o == 1) g = build_groups_part(a, j->arank, j->nrank, hc->cut, a->npairs, &hc->part[1]);
                hc->part1_rc = g;
                atomic_store(&hc->part1_done, g == VIGIL_OK ? 1 : -1);
            }
            /* Job 0 is on its way to the chunks (or has failed). */
            while ((ready = atomic_load(&hc->ready)) == 0) sched_yield();
            ready = ready > 0 && j->rc == VIGIL_OK && j->pts;
        }
        for (size_t c; ready && a->nhosts && (c = atomic_fetch_add(&hc->next, 1)) < hc->n;) {
            vigil_status rc = vigil__agg_finish_hosts_range(a, hc->k[c], hc->k[c + 1], hc->first_host[c], j->pts);
            if (rc != VIGIL_OK) {
                j->rc = rc;
                break;
            }
        }
    }
    return NULL;
}

/* Runs both jobs of one step, the second on its own thread when `threads`
 * allows (else, or when no thread starts, one after the other). */
static vigil_status finish_step(finish_job j[2], int threads)
{
    /* Step 1's jobs share work only when they run side by side. */
    if (j[0].hc) atomic_store(&j[0].hc->split, threads > 1);
    j[1].started = threads > 1 && pthread_create(&j[1].tid, NULL, finish_main, &j[1]) == 0;
    if (j[0].hc && !j[1].started) atomic_store(&j[0].hc->split, 0);
    finish_main(&j[0]);
    if (j[1].started) pthread_join(j[1].tid, NULL);
    else finish_main(&j[1]);
    return j[0].rc != VIGIL_OK ? j[0].rc : j[1].rc;
}

vigil_status vigil__agg_finish(vigil__agg *a) { return vigil__agg_finish_threads(a, 1); }

vigil_status vigil__agg_finish_threads(vigil__agg *a, int threads)
{
    if (!a) return VIGIL_EINVAL;
    if (a->finished) return VIGIL_OK;
    vigil_status rc = vigil__agg_sort(a);
    if (rc != VIGIL_OK) return rc;
    uint32_t *arank = NULL, *nrank = NULL;
    uint64_t *srcpts = NULL;
    vigil__conn_point *pts2 = NULL;
    pass_side side = { NULL, NULL, NULL };
    rc = addr_ranks(a, &arank);
    if (rc == VIGIL_OK) rc = name_ranks(a, &nrank);
    if (rc != VIGIL_OK) goto out;
    /* Names, first-seen, sources, and the span of all points. */
    for (size_t i = 0; i < a->naddrs; i++) {
        a->addrs[i].first_seen = 0;
        a->addrs[i].prevalence = 0;
        a->addrs[i].flags &= (uint8_t)~VIGIL__ADDR_SRC;
    }
    rc = VIGIL_ENOMEM;
    if (a->npairs && !(a->pair_name = vigil__malloc_full(&a->alloc, a->npairs * sizeof *a->pair_name))) goto out;
    /* Points per source: where the hosts' pass is cut in two halves of
     * equal work (a few hosts with huge pairs left one thread alone). */
    if (threads > 1 && a->naddrs && !(srcpts = vigil__calloc(&a->alloc, a->naddrs, sizeof *srcpts))) goto out;
    if (threads > 1 && a->naddrs &&
        (!(side.first = vigil__malloc(&a->alloc, a->naddrs * sizeof *side.first)) ||
         !(side.work = vigil__calloc(&a->alloc, a->naddrs, sizeof *side.work)) ||
         !(side.mark = vigil__calloc(&a->alloc, a->naddrs, sizeof *side.mark))))
        goto out;
    finish_job j[2];
    memset(j, 0, sizeof j);
    atomic_size_t cursor;
    atomic_init(&cursor, 0);
    for (int k = 0; k < 2; k++) {
        j[k].cursor = &cursor;
        j[k].a = a;
        j[k].arank = arank;
        j[k].nrank = nrank;
        j[k].step = 0;
        j[k].job = k;
        j[k].srcpts = srcpts;
    }
    j[1].side = &side;
    if (threads > 1) {
        rc = finish_step(j, threads);
        if (rc == VIGIL_OK && side.mark) fold_side(a, &side, srcpts);
    } else {
        finish_main(&j[0]);
        rc = j[0].rc;
    }
    vigil__free(&a->alloc, side.first);
    vigil__free(&a->alloc, side.work);
    vigil__free(&a->alloc, side.mark);
    side.first = NULL;
    side.work = NULL;
    side.mark = NULL;
    if (rc != VIGIL_OK) goto out;
    /* The span of all points: part 0's, widened by part 1's. */
    double lo = j[0].lo, hi = j[0].hi;
    if (j[1].have && (!j[0].have || j[1].lo < lo)) lo = j[1].lo;
    if (j[1].have && (!j[0].have || j[1].hi > hi)) hi = j[1].hi;
    /* Nothing is looked up by key after this point: the indexes go before
     * finish allocates its own arrays (~100 MB for the simulated month),
     * so that finishing does not raise the memory peak; so do the
     * temporaries, one after the other on each thread. */
    vigil__hidx_free(&a->alloc, &a->pair_idx);
    vigil__hidx_free(&a->alloc, &a->hint_idx);
    vigil__agg_dns_drop_lookup(a);
    rc = VIGIL_ENOMEM;
    a->max_pts = j[0].maxn > j[1].maxn ? j[0].maxn : j[1].maxn; /* the first pass's */
    if (a->max_pts && !(a->pbuf = vigil__malloc(&a->alloc, a->max_pts * sizeof *a->pbuf))) goto out;
    rc = vigil__agg_finish_hosts_begin(a, lo, hi);
    if (rc != VIGIL_OK) goto out;
    if (threads > 1 && a->max_pts && a->nhosts > 1 &&
        !(pts2 = vigil__malloc(&a->alloc, a->max_pts * sizeof *pts2))) {
        rc = VIGIL_ENOMEM;
        goto out;
    }
    host_chunks hc;
    memset(&hc, 0, sizeof hc);
    atomic_init(&hc.next, 0);
    atomic_init(&hc.ready, 0);
    atomic_init(&hc.split, 0);
    atomic_init(&hc.order_ready, 0);
    atomic_init(&hc.part1_done, 0);
    for (int k = 0; k < 2; k++) {
        j[k].step = 1;
        j[k].hc = &hc;
        j[k].srcpts = srcpts;
    }
    j[0].pts = a->pbuf;
    j[1].pts = pts2; /* NULL: job 0 fills every host */
    rc = finish_step(j, threads);
    if (rc == VIGIL_OK) rc = vigil__agg_finish_hosts_end(a);
    if (rc == VIGIL_OK) a->finished = 1;
out:
    if (rc != VIGIL_OK) {
        /* As before the call (the DNS job may have succeeded alone). */
        free_finish(a);
        vigil__agg_unfinish_dns(a);
    }
    vigil__free(&a->alloc, arank);
    vigil__free(&a->alloc, nrank);
    vigil__free(&a->alloc, pts2);
    vigil__free(&a->alloc, srcpts);
    vigil__free(&a->alloc, side.first);
    vigil__free(&a->alloc, side.work);
    vigil__free(&a->alloc, side.mark);
    return rc;
}

/* ---- views ------------------------------------------------------------------ */

/* The denominator of prevalence: the most internal hosts active on one
 * day (over a month, distinct addresses count every DHCP lease again and
 * make a site 60 of 500 hosts use look like "59 of 2359"). */
static uint32_t internal_hosts(const vigil__agg *a)
{
    return a->daily_hosts ? a->daily_hosts : (uint32_t)a->nhosts;
}

static void fill_common(const vigil__agg *a, vigil__pair_view *out)
{
    out->internal_hosts = internal_hosts(a);
    /* A destination every host visits over the month may count more
     * addresses than the busiest day had hosts: never above 100%. */
    if (out->prevalence > out->internal_hosts) out->internal_hosts = out->prevalence;
    out->input_first_ts = a->any_ts ? a->in_first : 0;
    out->input_last_ts = a->any_ts ? a->in_last : 0;
}

void vigil__agg_counts_get(const vigil__agg *a, vigil__agg_counts *out)
{
    memset(out, 0, sizeof *out);
    if (!a) return;
    out->conns = a->conns;
    out->kept = a->kept;
    out->inbound = a->inbound;
    out->internal_only = a->internal_only;
    out->external_only = a->external_only;
    out->noise = a->noise;
    out->first_ts = a->any_ts ? a->in_first : 0;
    out->last_ts = a->any_ts ? a->in_last : 0;
}

size_t vigil__agg_pair_count(const vigil__agg *a) { return a && a->finished ? a->npairs : 0; }

vigil_status vigil__agg_pair(const vigil__agg *a, size_t i, vigil__pair_view *out)
{
    if (!a) return VIGIL_EINVAL;
    return vigil__agg_pair_buf(a, i, out, a->pbuf);
}

vigil_status vigil__agg_stored_pair(const vigil__agg *a, size_t k, vigil__pair_view *out)
{
    if (!a) return VIGIL_EINVAL;
    return vigil__agg_stored_pair_buf(a, k, out, a->pbuf);
}

size_t vigil__agg_pair_max_points(const vigil__agg *a) { return a ? a->max_pts : 0; }

/* The head of the pair stored at pi. */
static void head_of(const vigil__agg *a, size_t pi, vigil__pair_view *out)
{
    const vigil__ag_pair *p = &a->pairs[pi];
    const vigil__ag_addr *d = &a->addrs[p->dst];
    memset(out, 0, sizeof *out);
    out->src = a->addrs[p->src].a;
    out->dst = d->a;
    out->name = vigil__agg_name(a, a->pair_name[pi]);
    out->dst_count = 1;
    out->dport = p->dport;
    out->proto = p->proto;
    out->n = p->n;
    out->dur_sum = p->dur_sum;
    out->dur_max = p->dur_max;
    out->open_dur = p->open_dur;
    out->bytes_out = p->bytes_out;
    out->bytes_in = p->bytes_in;
    out->n_rej = p->n_rej;
    out->n_s0 = p->n_s0;
    out->n_ok = p->n_ok;
    out->prevalence = d->prevalence;
    out->dst_first_seen = d->first_seen;
    fill_common(a, out);
}

/* The whole view of the pair stored at pi, its points decoded into buf. */
static vigil_status view_of(const vigil__agg *a, size_t pi, vigil__pair_view *out,
                            vigil__conn_point *buf)
{
    head_of(a, pi, out);
    if (!buf && out->n) return VIGIL_EINVAL;
    const vigil__ag_pair *p = &a->pairs[pi];
    vigil__pair_span(p, &out->first_ts, &out->last_ts);
    out->pts = buf;
    out->n = vigil__pair_decode(p, buf);
    count_days_hours(buf, out->n, &out->days_present, &out->hours_present);
    return VIGIL_OK;
}

vigil_status vigil__agg_pair_head(const vigil__agg *a, size_t i, vigil__pair_view *out)
{
    if (!a || !out || !a->finished || i >= a->npairs) return VIGIL_EINVAL;
    head_of(a, a->order[i], out);
    return VIGIL_OK;
}

vigil_status vigil__agg_pair_buf(const vigil__agg *a, size_t i, vigil__pair_view *out,
                                 vigil__conn_point *buf)
{
    if (!a || !out || !a->finished || i >= a->npairs) return VIGIL_EINVAL;
    return view_of(a, a->order[i], out, buf);
}

vigil_status vigil__agg_stored_pair_head(const vigil__agg *a, size_t k, vigil__pair_view *out)
{
    if (!a || !out || !a->finished || k >= a->npairs) return VIGIL_EINVAL;
    head_of(a, k, out);
    return VIGIL_OK;
}

vigil_status vigil__agg_stored_pair_buf(const vigil__agg *a, size_t k, vigil__pair_view *out,
                                        vigil__conn_point *buf)
{
    if (!a || !out || !a->finished || k >= a->npairs) return VIGIL_EINVAL;
    return view_of(a, k, out, buf);
}

size_t vigil__agg_group_count(const vigil__agg *a) { return a && a->finished ? a->ngroups : 0; }

size_t vigil__agg_group_max_points(const vigil__agg *a) { return a ? a->gcap : 0; }

vigil_status vigil__agg_group_head(const vigil__agg *a, size_t i, vigil__pair_view *out)
{
    if (!a || !out || !a->finished || i >= a->ngroups) return VIGIL_EINVAL;
    const vigil__ag_group *g = &a->groups[i];
    const vigil__ag_pair *top = &a->pairs[g->top];
    memset(out, 0, sizeof *out);
    out->src = a->addrs[top->src].a;
    out->dst = a->addrs[top->dst].a;
    out->name = vigil__agg_name(a, a->pair_name[g->top]);
    out->dst_count = g->count;
    out->dport = top->dport;
    out->proto = top->proto;
    out->is_group = 1;
    out->prevalence = g->prevalence;
    int seen = 0;
    for (uint32_t m = 0; m < g->count; m++) {
        const vigil__ag_pair *p = &a->pairs[a->group_members[g->first + m]];
        out->n += p->n;
        out->dur_sum += p->dur_sum;
        if (p->dur_max > out->dur_max) out->dur_max = p->dur_max;
        out->open_dur += p->open_dur;
        out->bytes_out += p->bytes_out;
        out->bytes_in += p->bytes_in;
        out->n_rej += p->n_rej;
        out->n_s0 += p->n_s0;
        out->n_ok += p->n_ok;
        /* As the members' spans were: from the first member with
         * points on, the earliest first_seen of any member before. */
        const vigil__ag_addr *d = &a->addrs[p->dst];
        if (!seen || d->first_seen < out->dst_first_seen) out->dst_first_seen = d->first_seen;
        if (p->n) seen = 1;
    }
    fill_common(a, out);
    return VIGIL_OK;
}

vigil_status vigil__agg_group_buf(const vigil__agg *a, size_t i, vigil__pair_view *out,
                                  vigil__conn_point *buf, vigil__conn_point *tmp)
{
    if (!buf || !tmp) return VIGIL_EINVAL;
    vigil_status rc = vigil__agg_group_head(a, i, out);
    if (rc != VIGIL_OK) return rc;
    const vigil__ag_group *g = &a->groups[i];
    /* Members are sorted: concatenate, then merge neighbouring runs. */
    size_t n = 0;
    int first = 1;
    for (uint32_t m = 0; m < g->count; m++) {
        const vigil__ag_pair *p = &a->pairs[a->group_members[g->first + m]];
        n += vigil__pair_decode(p, buf + n);
        if (p->n) {
            double f, l;
            vigil__pair_span(p, &f, &l);
            if (first || f < out->first_ts) out->first_ts = f;
            if (first || l > out->last_ts) out->last_ts = l;
            first = 0;
        }
    }
    sort_pts(buf, tmp, n);
    out->pts = buf;
    out->n = n;
    count_days_hours(buf, n, &out->days_present, &out->hours_present);
    return VIGIL_OK;
}

vigil_status vigil__agg_group(const vigil__agg *a, size_t i, vigil__pair_view *out)
{
    if (!a) return VIGIL_EINVAL;
    return vigil__agg_group_buf(a, i, out, a->gbuf, a->gtmp);
}


/* ---- access for the state database (state_agg.c) ---------------------------- */

vigil_status vigil__agg_pair_get(vigil__agg *a, uint32_t src, uint32_t dst, uint16_t dport,
                                 uint8_t proto, uint32_t *out)
{
    pair_key k = { src, dst, dport, proto };
    return pair_get(a, &k, out);
}

vigil_status vigil__agg_pair_push(vigil__agg *a, uint32_t pi, const vigil__conn_point *pt)
{
    a->maybe_unsorted = 1;
    return vigil__pair_push(&a->alloc, &a->pairs[pi], pt);
}

vigil_status vigil__agg_hint_put(vigil__agg *a, uint32_t src, uint32_t dst, uint32_t name,
                                 uint32_t rank, double ts)
{
    return hint_put(a, src, dst, name, rank, ts);
}

vigil_status vigil__agg_big_add(vigil__agg *a, uint32_t pi, double ts, uint64_t bytes)
{
    vigil_status rc = vigil__grow(&a->alloc, (void **)&a->big, &a->big_cap, a->nbig + 1, sizeof *a->big);
    if (rc != VIGIL_OK) return rc;
    a->big[a->nbig].pair = pi;
    a->big[a->nbig].ts = ts;
    a->big[a->nbig].bytes = bytes;
    a->nbig++;
    return VIGIL_OK;
}

vigil_status vigil__agg_flush(vigil__agg *a)
{
    vigil_status rc = flush_pending(a);
    if (rc == VIGIL_OK) rc = flush_names(a);
    if (rc == VIGIL_OK) rc = vigil__agg_flush_dns(a);
    return rc;
}

/* ---- what findings carry about their destination ------------------------------ */

/* Adds `name` to f's dst_names unless it is there or the list is full. */
static void add_dst_name(vigil_finding *f, const char *name)
{
    if (!name || !name[0] || f->ndst_names >= VIGIL_FINDING_NAMES) return;
    for (uint32_t i = 0; i < f->ndst_names; i++)
        if (strcmp(f->dst_names[i], name) == 0) return;
    snprintf(f->dst_names[f->ndst_names++], VIGIL_FINDING_NAME_LEN, "%s", name);
}

/* One finding; hints of destination id are by_dst[off[id] .. off[id+1]). */
static void describe_one(const vigil__agg *a, vigil_finding *f, const uint32_t *off, const uint32_t *by_dst)
{
    static const vigil_addr zero;
    if (memcmp(&f->dst, &zero, sizeof zero) == 0) return;
    uint64_t *s = vigil__hidx_probe(&a->addr_idx, addr_tag(&f->dst), addr_eq, a, f->dst.b);
    if (!*s) return;
    uint32_t id = (uint32_t)(*s & 0xffffffffu) - 1;
    const vigil__ag_addr *e = &a->addrs[id];
    if (e->first_seen > 0 && (f->dst_first_seen == 0 || e->first_seen < f->dst_first_seen))
        f->dst_first_seen = e->first_seen;
    /* The finding's own name first, then SNI / Host names any host used
     * (best kind first; of each kind the alphabetically first, so that
     * the list does not depend on the order records arrived in), then the
     * DNS answer. */
    add_dst_name(f, f->dst_name);
    enum { KEEP = 2 * VIGIL_FINDING_NAMES }; /* enough past names already listed */
    for (uint32_t rank = VIGIL__NAME_SNI; rank >= VIGIL__NAME_HTTP; rank--) {
        const char *best[KEEP];
        size_t nb = 0;
        for (uint32_t j = off[id]; j < off[id + 1]; j++) {
            const vigil__ag_hint *h = &a->hints[by_dst[j]];
            if (h->rank != rank) continue;
            const char *nm = a->names.s[h->name];
            size_t k = 0;
            int c = 1;
            while (k < nb && (c = strcmp(nm, best[k])) > 0) k++;
            if ((k < nb && c == 0) || k == KEEP) continue; /* listed, or not among the first */
            if (nb < KEEP) nb++;
            memmove(&best[k + 1], &best[k], (nb - 1 - k) * sizeof *best);
            best[k] = nm;
        }
        for (size_t k = 0; k < nb; k++) add_dst_name(f, best[k]);
    }
    if (e->dns_name != VIGIL__NO_ID) add_dst_name(f, a->names.s[e->dns_name]);
}

vigil_status vigil__agg_describe_dsts(const vigil__agg *a, vigil_findings *fs)
{
    if (!a || !a->finished || !a->addr_idx.mask || !fs->n) return VIGIL_OK;
    /* The hints grouped by destination once (a counting sort), not a scan
     * of every hint per finding. */
    const vigil_allocator *al = &a->alloc;
    uint32_t *off = vigil__calloc(al, a->naddrs + 1, sizeof *off);
    uint32_t *by_dst = a->nhints ? vigil__malloc(al, a->nhints * sizeof *by_dst) : NULL;
    if (!off || (a->nhints && !by_dst)) {
        vigil__free(al, off);
        vigil__free(al, by_dst);
        return VIGIL_ENOMEM;
    }
    for (size_t i = 0; i < a->nhints; i++) off[a->hints[i].dst + 1]++;
    for (size_t i = 0; i < a->naddrs; i++) off[i + 1] += off[i];
    for (size_t i = 0; i < a->nhints; i++) by_dst[off[a->hints[i].dst]++] = (uint32_t)i;
    for (size_t i = a->naddrs; i > 0; i--) off[i] = off[i - 1]; /* back to starts */
    off[0] = 0;
    for (size_t i = 0; i < fs->n; i++) describe_one(a, &fs->v[i], off, by_dst);
    vigil__free(al, off);
    vigil__free(al, by_dst);
    return VIGIL_OK;
}
