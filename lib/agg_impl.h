/* agg_impl.h -- the aggregator's private state, shared by agg_pairs.c (core,
 * pairs, names, groups), agg_defer.c (deferred connections), agg_dns.c (DNS
 * and NXDOMAIN) and agg_hosts.c (per-host days, peers).  Only these files
 * include it.
 *
 * Every table here is an open-addressing hash index (vigil__hidx) over a
 * plain array of entries: the index maps a key to an entry number, the
 * entries live densely in insertion order.  Hand-written instead of a
 * library because the hot path needs no allocation per record, 8 bytes per
 * slot and a probe loop the compiler inlines with its key comparison. */
#ifndef VIGIL_AGG_IMPL_H
#define VIGIL_AGG_IMPL_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "agg.h"

#define VIGIL__NO_ID UINT32_MAX /* "no entry" for uint32 ids */

/* ---- open-addressing index ------------------------------------------------ */

/* A slot is 0 (empty) or (tag << 32) | (entry + 1), where tag is the high
 * 32 bits of the key's hash.  The probe start is tag & mask, so the table
 * can be rebuilt from the slots alone (no re-hashing of keys). */
typedef struct vigil__hidx {
    uint64_t *slot;      /* 2^k slots */
    size_t mask;         /* slots - 1 (0 when no table yet) */
    size_t used;         /* occupied slots */
} vigil__hidx;

/* Key comparison: 1 when entry `idx` of `ctx` has key `key`. */
typedef int (*vigil__hidx_eq)(const void *ctx, uint32_t idx, const void *key);

/* The slot holding `key`, or the empty slot where it would go.  The table
 * must exist (mask != 0).  Linear probing: neighbours share cache lines. */
VIGIL__HOT uint64_t *vigil__hidx_probe(const vigil__hidx *t, uint32_t tag, vigil__hidx_eq eq,
                                      const void *ctx, const void *key)
{
    size_t i = tag & t->mask;
    for (;;) {
        uint64_t s = t->slot[i];
        if (s == 0) return &t->slot[i];
        if ((uint32_t)(s >> 32) == tag && eq(ctx, (uint32_t)(s & 0xffffffffu) - 1, key))
            return &t->slot[i];
        i = (i + 1) & t->mask;
    }
}

/* The entry (+1) of the first slot of t with `tag`, 0 when none: what a
 * probe would compare first, found from the slots alone (to prefetch that
 * entry before the probe compares keys). */
VIGIL__HOT uint32_t vigil__hidx_peek(const vigil__hidx *t, uint32_t tag)
{
    if (!t->mask) return 0;
    for (size_t i = tag & t->mask;; i = (i + 1) & t->mask) {
        uint64_t s = t->slot[i];
        if (!s || (uint32_t)(s >> 32) == tag) return (uint32_t)s;
    }
}

/* Makes room for one more entry (load factor <= 0.7); VIGIL_ENOMEM leaves
 * the table as it was.  Slot pointers from an earlier probe are invalid
 * after a call that grew the table. */
vigil_status vigil__hidx_reserve(const vigil_allocator *al, vigil__hidx *t);
/* The same up to `pct` percent full (a table whose look-ups are rarer than
 * its memory is dear: probes stay in a cache line or two up to 0.8). */
vigil_status vigil__hidx_reserve_load(const vigil_allocator *al, vigil__hidx *t, unsigned pct);
/* Stores entry `idx` under `tag` in the empty slot `s` (from a probe made
 * after the last reserve). */
VIGIL__HOT void vigil__hidx_set(vigil__hidx *t, uint64_t *s, uint32_t tag, uint32_t idx)
{
    *s = ((uint64_t)tag << 32) | ((uint64_t)idx + 1);
    t->used++;
}
void vigil__hidx_free(const vigil_allocator *al, vigil__hidx *t);

/* 64-bit mixer (a multiply-xorshift finaliser); the high half is the tag. */
VIGIL__HOT uint64_t vigil__mix64(uint64_t x)
{
    x ^= x >> 32;
    x *= 0xd6e8feb86659fd93ULL;
    x ^= x >> 32;
    x *= 0xd6e8feb86659fd93ULL;
    x ^= x >> 32;
    return x;
}
/* A hash of s[0..n), a word at a time: for in-memory tables only (the
 * per-thread DNS memos, the interned strings' index).  Names that are
 * stored (the DNS distinct-name hashes the state keeps) use
 * vigil__hash_bytes, whose values must not change. */
VIGIL__HOT uint64_t vigil__hash_words(const char *s, size_t n)
{
    uint64_t h = n * 0x9E3779B97F4A7C15ULL, w;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        memcpy(&w, s + i, 8);
        h = (h ^ w) * 0xff51afd7ed558ccdULL;
        h ^= h >> 32;
    }
    if (i < n) {
        /* The rest: the last 8 bytes (overlapping), one step, not a
         * multiply per byte; bytes one by one only below 8. */
        w = 0;
        if (n >= 8) {
            memcpy(&w, s + n - 8, 8);
        } else {
            for (; i < n; i++) w = w << 8 | (unsigned char)s[i];
        }
        h = (h ^ w) * 0xff51afd7ed558ccdULL;
        h ^= h >> 32;
    }
    return vigil__mix64(h);
}

/* The hash tag of a pair key (src, dst, dport, proto). */
VIGIL__HOT uint32_t vigil__pair_tag(uint32_t src, uint32_t dst, uint16_t dport, uint8_t proto)
{
    uint64_t x = ((uint64_t)src << 32 | dst) * 0x9e3779b97f4a7c15ULL;
    return (uint32_t)(vigil__mix64(x ^ ((uint64_t)dport << 8 | proto)) >> 32);
}

static inline uint32_t vigil__clamp32(uint64_t v) { return v > UINT32_MAX ? UINT32_MAX : (uint32_t)v; }

/* FNV-1a over bytes, then mixed: for names. */
uint64_t vigil__hash_bytes(const void *p, size_t n);

/* Grows a dense array to hold `need` entries of `size` bytes (x1.5). */
vigil_status vigil__grow(const vigil_allocator *al, void **v, size_t *cap, size_t need,
                         size_t size);

/* A partial's address `id` is about to be named by a DNS answer or marked
 * a resolver: remembered for the merge (vigil__agg's `touched`).  Call it
 * before the change; a no-op in a whole aggregate. */
vigil_status vigil__agg_touch_addr(vigil__agg *a, uint32_t id);

/* A key and what it carries, for vigil__radix_kv. */
typedef struct vigil__kv {
    uint64_t key;
    uint64_t val;
} vigil__kv;

/* Sorts v[0..n) by key, stably (equal keys keep their order), where every
 * key is below 2^bits and n < 2^32; tmp is scratch of n records.  Returns the array
 * that holds the result (v or tmp).  An LSD radix sort, 11 bits a pass,
 * passes whose digit is the same in every key skipped. */
vigil__kv *vigil__radix_kv(vigil__kv *v, vigil__kv *tmp, size_t n, unsigned bits);

/* Bits needed for the values 0..n-1 (0 for n <= 1). */
static inline unsigned vigil__bits_for(size_t n)
{
    unsigned b = 0;
    while (b < 64 && ((size_t)1 << b) < n) b++;
    return b;
}

/* ---- compact times and counts (pair points, DNS query times) -------------- */

/* A time is kept as a whole number of microseconds when (double)us / 1e6
 * gives it back bit for bit (what the readers make of Zeek's 6-decimal
 * times); |ts| below the limit keeps us within 2^53. */
#define VIGIL__TS_US_LIMIT 9.0e9

static inline int vigil__ts_to_us(double ts, int64_t *us)
{
    if (!(ts > -VIGIL__TS_US_LIMIT && ts < VIGIL__TS_US_LIMIT)) return 0;
    /* llround, inline: below the limit |ts * 1e6| < 2^53, so the
     * truncation is exact and so is the fraction it leaves; halves round
     * away from zero, as llround does.  (The libm call, twice a kept
     * connection and once a DNS query, was ~0.1 CPU-s of the simulated
     * month by perf.) */
    double r = ts * 1e6;
    int64_t u = (int64_t)r;
    double f = r - (double)u;
    if (f >= 0.5) u++;
    else if (f <= -0.5) u--;
    double back = (double)u / 1e6;
    uint64_t x, y;
    memcpy(&x, &back, 8);
    memcpy(&y, &ts, 8);
    if (x != y) return 0;
    *us = u;
    return 1;
}

/* Base-128 varint (at most 10 bytes); zig-zag for signed deltas. */
static inline unsigned char *vigil__put_uv(unsigned char *b, uint64_t v)
{
    while (v >= 0x80) {
        *b++ = (unsigned char)(v | 0x80);
        v >>= 7;
    }
    *b++ = (unsigned char)v;
    return b;
}

static inline const unsigned char *vigil__get_uv(const unsigned char *b, uint64_t *v)
{
    uint64_t x = 0;
    for (int sh = 0;; sh += 7) {
        unsigned char c = *b++;
        x |= (uint64_t)(c & 0x7f) << sh;
        if (!(c & 0x80) || sh >= 63) break;
    }
    *v = x;
    return b;
}

static inline uint64_t vigil__zz(int64_t v) { return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63); }
static inline int64_t vigil__unzz(uint64_t v) { return (int64_t)(v >> 1) ^ -(int64_t)(v & 1); }

/* An encoded array (a pair's points, a DNS entry's times) is followed by
 * an 8-byte trailer: the last value encoded, where the next delta starts
 * from.  Its allocated size is a function of the bytes used: multiples of
 * 16 plus 8 up to 120 (glibc's chunk sizes less their header), then steps
 * of at most 1/8 to 1/4 -- so neither a capacity nor the last value has to
 * be a field of every pair. */
static inline size_t vigil__enc_size(size_t used)
{
    size_t x = used + 8;
    if (x <= 120) return ((x + 7) & ~(size_t)15) + 8;
    int e = 61 - __builtin_clzll((unsigned long long)x); /* bit length - 3 */
    return ((x + ((size_t)1 << e) - 1) >> e) << e;
}

/* ---- interned strings (names, domains) ----------------------------------- */

/* One block of the string arena; strings never move once stored, so views
 * can hand out `const char *` into it. */
typedef struct vigil__strblock {
    struct vigil__strblock *next; /* older block */
    size_t used, cap;             /* bytes of data[] used / allocated */
    char data[];                  /* NUL-terminated strings back to back */
} vigil__strblock;

typedef struct vigil__strtab {
    vigil__hidx idx;       /* string -> id */
    const char **s;        /* id -> string (into the arena) */
    uint32_t *len;         /* id -> length */
    size_t n, cap;         /* ids used / allocated */
    vigil__strblock *blocks; /* the arena, newest first */
} vigil__strtab;

/* The id of [p, p+n) (interned on first sight), in *id. */
vigil_status vigil__str_intern(const vigil_allocator *al, vigil__strtab *t, const char *p,
                               size_t n, uint32_t *id);
void vigil__str_free(const vigil_allocator *al, vigil__strtab *t);

/* ---- the aggregate --------------------------------------------------------- */

enum {
    VIGIL__ADDR_INTERNAL = 1, /* inside the internal netset */
    VIGIL__ADDR_NOISE = 2,    /* loopback, link-local, multicast, broadcast,
                                 unspecified: never a pair end */
    VIGIL__ADDR_SRC = 4,      /* finish: the source of an outbound pair */
    VIGIL__ADDR_RESOLVER = 8  /* answers DNS for other internal hosts: its
                                 upstream queries relay theirs, so it does
                                 not count as one more host querying a
                                 domain (prevalence) */
};

/* One interned address.  The netset and noise verdicts are computed once,
 * when the address is first seen (vigil_netset_contains is a linear scan). */
typedef struct vigil__ag_addr {
    vigil_addr a;          /* the address */
    double dns_ts;         /* ts of the DNS answer that named it */
    double first_seen;     /* finish: first contact by any internal host */
    uint32_t dns_name;     /* name id from the latest DNS answer, or NO_ID */
    uint32_t prevalence;   /* finish: internal hosts with a pair to it */
    uint32_t host;         /* finish: its host entry when it is a pair
                              source, else NO_ID */
    uint8_t flags;         /* VIGIL__ADDR_* */
} vigil__ag_addr;

/* One (internal src, external dst, dport, proto) pair.
 *
 * Its points are kept encoded (see "compact points" in agg_pairs.c and
 * docs/hunt.md): per point, the start time as a zig-zag varint of the
 * microseconds since the previous point, then the clamped originator and
 * responder bytes as varints -- 6 to 9 bytes for a typical connection
 * instead of a 16-byte vigil__conn_point.  A pair whose times are not
 * whole microseconds (exactly: (double)us / 1e6 gives the ts back bit for
 * bit) keeps its times as the 8 raw bytes of the double instead (ts_raw).
 * Views decode the points into a buffer, sorted (vigil__agg_sort re-encodes
 * a pair in order). */
typedef struct __attribute__((packed, aligned(4))) vigil__ag_pair {
    uint32_t src, dst;        /* address ids */
    uint16_t dport;           /* destination port */
    uint8_t proto;            /* vigil_proto */
    uint8_t unsorted : 1;     /* a point arrived before (or at) the
                                 previous one's ts */
    uint8_t ts_raw : 1;       /* times stored as raw doubles */
    uint8_t enc_ext : 1;      /* enc is not the allocator's: it lies in a
                                 settled bucket's memory (agg_defer.c),
                                 exactly used + 8 bytes; copied out
                                 before it grows, never freed alone */
    uint32_t n;               /* points */
    uint32_t used;            /* bytes of enc used (the trailer and the
                                 allocation size follow: vigil__enc_size) */
    unsigned char *enc;       /* the encoded points (owned) */
    double dur_sum, dur_max;  /* durations: sum and longest */
    double open_dur;          /* duration of connections not seen to close */
    uint64_t bytes_out, bytes_in; /* unclamped byte sums */
    uint32_t n_rej, n_s0, n_ok;   /* state counts (agg.h) */
} vigil__ag_pair; /* 80 bytes: packed to 4-byte alignment (84 -> 88
                     otherwise); its name is in the agg's pair_name, its
                     first and last times are its points' (vigil__pair_span) */

/* Appends one point to pair p (encoded; marks p unsorted when it does not
 * come after the previous point).  Only the point encoding: p's sums,
 * counts and span are the caller's. */
vigil_status vigil__pair_push(const vigil_allocator *al, vigil__ag_pair *p,
                              const vigil__conn_point *pt);
/* Decodes p's n points into out[0..n), in stored order (sorted after
 * vigil__agg_sort); returns n. */
size_t vigil__pair_decode(const vigil__ag_pair *p, vigil__conn_point *out);
/* The first and last ts of p's points (0, 0 without points): from the
 * first point and the trailer when p is sorted, else by a decoding pass. */
void vigil__pair_span(const vigil__ag_pair *p, double *first, double *last);
/* The largest point count of any pair of a (buffer size for decode). */
size_t vigil__agg_max_pair_points(const vigil__agg *a);
#define VIGIL__PT_MAX_BYTES 20 /* one encoded point at most: 10 + 5 + 5 */

/* Encodes pt into b after a point whose trailer value is `last` (the
 * compact points of agg_pairs.c: the time as a zig-zag varint of the us
 * since the previous point, or 8 raw bytes; then the two byte counts);
 * *next receives pt's own trailer value.  Returns the end. */
static inline unsigned char *vigil__put_point(unsigned char *b, const vigil__conn_point *pt, int raw,
                                              int64_t us, int64_t last, int64_t *next)
{
    if (raw) {
        memcpy(b, &pt->ts, 8);
        memcpy(next, &pt->ts, 8);
        b += 8;
    } else {
        b = vigil__put_uv(b, vigil__zz(us - last));
        *next = us;
    }
    b = vigil__put_uv(b, pt->orig_bytes);
    return vigil__put_uv(b, pt->resp_bytes);
}
/* Encodes pts[0..n) (already decoded, so p's bytes may be overwritten) as
 * p's points, raw times when `raw`; in place unless the size class
 * changes (allocated when p->enc is NULL).  Sets used and ts_raw, not n. */
vigil_status vigil__pair_reencode(const vigil_allocator *al, vigil__ag_pair *p, const vigil__conn_point *pts,
                                  size_t n, int raw);
/* Sorts points by (ts, bytes): a merge sort through tmp (n entries), or
 * in place when tmp is NULL or n is above 65,536. */
void vigil__sort_points(vigil__conn_point *v, vigil__conn_point *tmp, size_t n);

/* A connection whose originator bytes did not fit a point's 32 bits: the
 * exact count, for the per-host days (rare: a side list, not a field of
 * every point). */
typedef struct vigil__ag_big {
    uint32_t pair;         /* pair index */
    double ts;             /* the point's ts */
    uint64_t bytes;        /* exact originator bytes */
} vigil__ag_big;

/* Where a pair's name came from; a better source replaces a worse one. */
enum { VIGIL__NAME_HTTP = 1, VIGIL__NAME_SNI = 2 };

/* The best name seen for (src, dst) in ssl/http records. */
typedef struct __attribute__((packed)) vigil__ag_hint {
    uint32_t src, dst;     /* address ids */
    uint32_t name;         /* name id */
    uint8_t rank;          /* VIGIL__NAME_* */
    double ts;             /* when (the latest of its rank wins) */
} vigil__ag_hint;          /* packed: 21 bytes, not 24 (1.7M hints in the
                              simulated month) */

/* A name group: pairs of one src with one name, dport, proto and >= 2
 * addresses.  Members are `count` entries of the agg's group_members from
 * `first`. */
typedef struct vigil__ag_group {
    uint32_t first, count; /* member pair indices in group_members */
    uint32_t top;          /* member pair with the most connections */
    uint32_t prevalence;   /* internal hosts with a pair under the name */
    uint64_t n;            /* connections in all members */
} vigil__ag_group;

/* DNS activity of one (host, registered domain) (agg_dns.c).  128 bytes,
 * and the array is 64-byte aligned (vigil__agg.dns_raw): an entry is two
 * whole cache lines, both prefetched when a query is applied (at 104
 * bytes, half the entries spanned three lines, the middle one never
 * prefetched). */
#define VIGIL__DNS_INLINE 3 /* distinct names kept in the entry itself */
typedef struct vigil__ag_dns {
    uint32_t src, domain;  /* address id, name id */
    uint64_t queries;      /* queries */
    uint64_t txt;          /* qtype TXT */
    uint64_t nx;           /* rcode NXDOMAIN */
    uint64_t nsub;         /* queries with a part below the domain */
    uint32_t unique;       /* distinct names (saturates at the cap) */
    uint32_t max_label;    /* longest label below the domain */
    uint32_t prevalence;   /* finish: hosts querying the domain */
    uint32_t nts;          /* query times */
    uint32_t tused;        /* bytes of tenc used (the trailer and the
                              allocation size follow: vigil__enc_size) */
    uint8_t ts_raw;        /* times kept as raw 8-byte doubles */
    uint8_t ts_unsorted;   /* a time arrived before the previous one */
    uint8_t spilled;       /* the distinct names are in the aggregate's
                              set (qnames), not in nm[] */
    double sum_len;        /* summed length of those parts */
    double sum_ent;        /* summed entropy of those parts */
    unsigned char *tenc;   /* query times, encoded as zig-zag varints of
                              the microseconds since the previous one (raw
                              doubles with ts_raw), in the order they came;
                              a view sorts what it decodes (owned) */
    double first_ts, last_ts; /* span */
    uint64_t nm[VIGIL__DNS_INLINE]; /* until spilled: the hashes of the
                              first `unique` distinct names (most entries
                              never have more: no look in the set) */
} vigil__ag_dns;
_Static_assert(sizeof(vigil__ag_dns) == 128, "a DNS entry is two cache lines");

/* One (dns entry, full-name hash) seen: the distinct-name set. */
typedef struct __attribute__((packed, aligned(4))) vigil__ag_qname {
    uint64_t h;            /* hash of the full query name */
    uint32_t entry;        /* its vigil__ag_dns */
} vigil__ag_qname;         /* packed: 12 bytes, not 16 */

/* One NXDOMAIN answer. */
typedef struct vigil__ag_nxev {
    double ts;             /* when */
    uint64_t h;            /* hash of the full name */
    uint32_t domain;       /* name id of its registered domain */
} vigil__ag_nxev;

/* NXDOMAIN evidence of one host. */
typedef struct vigil__ag_nx {
    uint32_t src;          /* address id */
    uint32_t example;      /* name id of the earliest failed name */
    double example_ts;     /* its ts */
    vigil__ag_nxev *ev;   /* the answers (owned) */
    size_t n, cap;         /* used / allocated */
    /* finish: */
    uint64_t names, max_window, domains; /* see vigil__nx_view */
    double first_ts, last_ts;
} vigil__ag_nx;

/* One DNS answer seen (kept only with keep_answers: for the state's
 * names, never read by detectors): address, name, the internal host that
 * asked. */
typedef struct vigil__ag_answer {
    uint32_t addr, name, host; /* address id, name id, querying host id */
    uint32_t n;                /* answers seen */
    double first_ts, last_ts;  /* when */
} vigil__ag_answer;

/* Per internal host (agg_hosts.c, built at finish). */
typedef struct vigil__ag_host {
    uint32_t addr;         /* address id */
    uint32_t top_dst;      /* address id of the largest (day, dst), or NO_ID */
    uint32_t top_name;     /* its name id, or NO_ID */
    uint16_t top_dport;    /* the port that carried most of it */
    uint64_t top_bytes;    /* bytes of that (day, dst) */
    double top_day;        /* epoch of that day */
    double top_first_ts, top_last_ts; /* its contact span within the day */
} vigil__ag_host;

/* A kept connection waiting in the batch (see add_conn in agg_pairs.c). */
typedef struct vigil__ag_pending {
    uint32_t src, dst;     /* address ids */
    uint16_t dport;        /* port */
    uint8_t proto;         /* vigil_proto */
    uint8_t state;         /* vigil_conn_state */
    uint32_t tag;          /* the pair key's hash tag */
    uint32_t has_dur;      /* duration was set */
    double ts, duration;   /* start, seconds */
    uint64_t ob, rb;       /* originator / responder bytes */
} vigil__ag_pending;

#define VIGIL__AGG_BATCH 16 /* kept connections resolved together */

/* An SNI or Host name waiting in a partial's batch (agg_pairs.c,
 * add_name): its pair's addresses were known, so its hint slot is
 * prefetched while the next records are read.  The raw bytes are a copy
 * (the record is borrowed); longer names are not batched. */
#define VIGIL__NAMEPEND_RAW 80
typedef struct vigil__ag_namepend {
    double ts;             /* the record's time */
    uint32_t o, r;         /* address ids (orig, resp) */
    uint32_t tag;          /* hint_tag of (o, r) */
    uint8_t rank;          /* VIGIL__NAME_* */
    uint8_t len;           /* raw length */
    char raw[VIGIL__NAMEPEND_RAW]; /* the name as logged */
} vigil__ag_namepend;

/* Adds one connection's bytes, duration and state to p's sums and counts
 * (not its point, not p->n). */
void vigil__pair_count(vigil__ag_pair *p, const vigil__ag_pending *c);

/* Deferred connections: hash buckets of encoded records (agg_defer.c). */
typedef struct vigil__defer vigil__defer;

/* A DNS query waiting in the batch (agg_dns.c): what it adds to its
 * (host, domain) entry, computed when it was queued. */
typedef struct vigil__ag_dnspend {
    uint32_t src, domain;  /* the entry's key */
    uint32_t tag;          /* its hash tag */
    uint8_t txt, nx;       /* qtype TXT / rcode NXDOMAIN */
    uint8_t has_sub;       /* a part below the domain */
    uint32_t max_label;    /* longest label below the domain */
    double sub_len, ent;   /* that part's length and entropy */
    double ts;             /* query time */
    uint64_t h;            /* hash of the full name */
} vigil__ag_dnspend;

struct vigil__agg {
    vigil_allocator alloc;        /* for everything below */
    const vigil_netset *internal; /* borrowed */
    int finished;                 /* vigil__agg_finish ran */

    vigil__hidx addr_idx;         /* address -> id */
    vigil__ag_addr *addrs;       /* id -> address */
    size_t naddrs, addrs_cap;

    vigil__strtab names;          /* host names and domains */

    vigil__ag_pending pend[VIGIL__AGG_BATCH]; /* kept connections whose
                                     pair slots are being prefetched */
    size_t npend;                 /* entries of pend */

    vigil__hidx pair_idx;         /* (src, dst, dport, proto) -> pair */
    int pair_idx_stale;           /* pairs were made without the index
                                     (a settle): rebuilt before a look-up */
    vigil__ag_pair *pairs;
    size_t npairs, pairs_cap;
    int maybe_unsorted;           /* a pair may have unsorted points (set
                                     by every append; pairs built by a
                                     settle come sorted) */

    vigil__defer *defer;          /* vigil__agg_set_deferred: kept
                                     connections waiting in hash buckets
                                     (agg_defer.c), else NULL */

    vigil__ag_big *big;           /* clamped points' exact bytes */
    size_t nbig, big_cap;

    vigil__hidx hint_idx;         /* (src, dst) -> name hint */
    vigil__ag_hint *hints;
    size_t nhints, hints_cap;
    size_t hints_pop;             /* hints made resident ahead (up to) */
    vigil__ag_namepend npend_names[VIGIL__AGG_BATCH]; /* partial: names
                                     whose hint slots are being prefetched */
    size_t nnpend;                /* entries of npend_names */

    vigil__ag_dnspend dpend[VIGIL__AGG_BATCH]; /* queued DNS queries */
    size_t ndpend;                /* entries of dpend */

    int partial;                  /* vigil__agg_set_partial: the batches
                                     above are not applied here but kept
                                     below, for the aggregate this one is
                                     merged into */
    vigil__ag_pending *dq;        /* partial: kept connections */
    size_t ndq, dq_cap;
    vigil__ag_dnspend *ddq;       /* partial: DNS queries */
    size_t nddq, ddq_cap;
    /* partial: addresses outlive the reset after each merge (most files
     * repeat most addresses), with their ids in the aggregate merged into
     * (amap[i] for i < namap; amap_dst is that aggregate). */
    uint32_t *amap;
    size_t namap, amap_cap;
    const vigil__agg *amap_dst;
    /* partial: the addresses this file named (dns_name) or found to be a
     * resolver, each once: what a merge passes on and a reset clears,
     * instead of a pass over every kept address (up to STICKY_ADDRS, a
     * random write into the merged aggregate's addresses each).  touch_all:
     * the list is incomplete (addresses were added before the aggregate
     * became a partial): every address is looked at. */
    uint32_t *touched;
    size_t ntouched, touched_cap;
    int touch_all;
    /* partial: IPv4 addresses -> ids, key and id inline in each 8-byte
     * slot ((v4 << 32) | (id + 1), 0 empty), beside addr_idx: the hot
     * path's look-up without touching the address entries. */
    uint64_t *v4slot;
    size_t v4mask, v4used;

    vigil__hidx dns_idx;          /* (src, domain) -> dns entry */
    vigil__ag_dns *dns;
    void *dns_raw;                /* the allocation dns sits in (aligned) */
    size_t dns_pop;               /* entries made resident ahead (up to) */
    size_t ndns, dns_cap;
    vigil__hidx qname_idx;        /* (entry, name hash) seen */
    vigil__ag_qname *qnames;
    size_t nqnames, qnames_cap;

    vigil__hidx nx_idx;           /* src -> nx entry */
    vigil__ag_nx *nx;
    size_t nnx, nx_cap;

    int keep_answers;             /* collect answers[] (state runs) */
    vigil__hidx answer_idx;       /* (addr, name, host) -> answer */
    vigil__ag_answer *answers;
    size_t nanswers, answers_cap;

    /* Counters. */
    uint64_t conns;               /* conn records seen */
    uint64_t kept;                /* kept as pair points */
    uint64_t inbound;             /* external -> internal (not pairs) */
    uint64_t internal_only;       /* internal -> internal */
    uint64_t external_only;       /* external -> external */
    uint64_t noise;               /* to/from noise addresses */
    double in_first, in_last;     /* span of every record accounted */
    int any_ts;                   /* in_first/in_last are set */
    /* vigil__agg_conn_early's kept connection: the sides it found, for
     * the add of the same record right after (which counts it). */
    int early_set;
    uint64_t early_line;          /* the record's line */
    uint32_t early_o, early_r;    /* its address ids */
    uint64_t early_taken;         /* records it accounted whole (the
                                     caller's to read and reset) */

    /* Built by finish. */
    uint32_t *pair_name;          /* per pair: its name id, or NO_ID */
    uint32_t *order;              /* pairs in (src, dst, dport, proto) order */
    uint32_t *group_members;      /* pair indices, grouped */
    vigil__ag_group *groups;
    size_t ngroups;
    uint32_t *dns_order;          /* dns entries in (src, domain) order */
    uint32_t *nx_order;           /* nx entries in src order */
    vigil__ag_host *hosts;       /* in address order */
    size_t nhosts;
    uint32_t daily_hosts;         /* most internal hosts active on one day:
                                     the population prevalence is judged
                                     against (distinct addresses over a
                                     month count every DHCP lease again) */
    uint64_t *host_days;          /* nhosts x ndays bytes out */
    size_t ndays;                 /* days from day0 */
    double day0;                  /* epoch of the first UTC day */
    vigil__peer_view peers;       /* host-day distribution */
    vigil__conn_point *gbuf;      /* group and pair view points (see
                                     vigil__agg_group, vigil__agg_pair) */
    vigil__conn_point *gtmp;      /* merge scratch */
    size_t gcap;                  /* entries of gbuf and gtmp */
    vigil__conn_point *pbuf;      /* pair view points (vigil__agg_pair) */
    double *dbuf;                 /* DNS view times (vigil__agg_dns) */
    size_t max_dts;               /* finish: most times of one DNS entry */
    size_t max_pts;               /* finish: most points of one pair
                                     (entries of pbuf) */
};

/* Interns an address; *id receives its id.  Hot path. */
vigil_status vigil__agg_addr_id(vigil__agg *a, const vigil_addr *addr, uint32_t *id);
/* The same, with the address's verdicts (its flags & (INTERNAL | NOISE),
 * fixed when it was first seen) in *verdicts: in a partial, from the
 * IPv4 index's slot, without a look at the address entry. */
vigil_status vigil__agg_addr_verdicts(vigil__agg *a, const vigil_addr *addr, uint32_t *id,
                                      uint8_t *verdicts);
/* Name of a name id (NULL for NO_ID). */
const char *vigil__agg_name(const vigil__agg *a, uint32_t id);
/* Lowercases and trims a DNS/SNI/Host name into buf (cap bytes): drops a
 * trailing dot and a ":port"; returns its length, 0 when not a name. */
size_t vigil__agg_clean_name(const char *p, size_t n, char *buf, size_t cap);
/* Compares two address ids by address bytes. */
int vigil__agg_addr_cmp(const vigil__agg *a, uint32_t x, uint32_t y);

/* Widens the span of accounted records to include ts. */
static inline void vigil__agg_note_ts(vigil__agg *a, double ts)
{
    if (!a->any_ts) {
        a->in_first = a->in_last = ts;
        a->any_ts = 1;
    } else {
        if (ts < a->in_first) a->in_first = ts;
        if (ts > a->in_last) a->in_last = ts;
    }
}

/* Finish steps get the address and name ranks (position of each id in
 * address / strcmp order) so that every output order is independent of the
 * order records arrived in (and of the number of threads). */

/* agg_dns.c */
vigil_status vigil__agg_add_dns(vigil__agg *a, const vigil_record *rec);
/* Queues a DNS query (ids of a) in a's batch, applying the batch when it
 * is full (merge: a partial's deferred queries). */
vigil_status vigil__agg_queue_dns(vigil__agg *a, const vigil__ag_dnspend *q);
/* Applies the queued DNS queries (before merge, sort, finish). */
vigil_status vigil__agg_flush_dns(vigil__agg *a);
vigil_status vigil__agg_merge_dns(vigil__agg *dst, vigil__agg *src, const uint32_t *amap,
                                  const uint32_t *nmap);
vigil_status vigil__agg_finish_dns(vigil__agg *a, const uint32_t *arank, const uint32_t *nrank);
/* Frees what vigil__agg_finish_dns built (its orders and view buffer). */
void vigil__agg_unfinish_dns(vigil__agg *a);
/* Frees the (host, domain) index and the distinct-name set, which only
 * adding and merging use (finish: the counts are complete). */
void vigil__agg_dns_drop_lookup(vigil__agg *a);
void vigil__agg_free_dns(vigil__agg *a);

/* Deferred connections (agg_defer.c).  push: q[0..n) (ids and pair tags
 * of a) into their buckets.  replay: every deferred record through the
 * ordinary batch (a's pairs as they are), buckets emptied.  free: the
 * buckets. */
vigil_status vigil__agg_defer_push(vigil__agg *a, vigil__ag_pending *q, size_t n);
vigil_status vigil__agg_defer_replay(vigil__agg *a);
void vigil__agg_defer_free(vigil__agg *a);
/* Queues one kept connection (a's ids) on a's ordinary path: the batch,
 * the pair look-up, the append. */
vigil_status vigil__agg_pend(vigil__agg *a, const vigil__ag_pending *c);
/* Rebuilds the pair index from the pairs (after a settle). */
vigil_status vigil__agg_pair_reindex(vigil__agg *a);

/* Raw access for the state database (state_agg.c), which writes an
 * unfinished aggregate out as rows and reads rows back into one. */
/* agg_pairs.c: the pair of the key, created empty when new. */
vigil_status vigil__agg_pair_get(vigil__agg *a, uint32_t src, uint32_t dst, uint16_t dport,
                                 uint8_t proto, uint32_t *out);
/* Appends a point to pair pi (vigil__pair_push; sums are the caller's). */
vigil_status vigil__agg_pair_push(vigil__agg *a, uint32_t pi, const vigil__conn_point *pt);
/* Keeps (name, rank, ts) for (src, dst) when better than what is there. */
vigil_status vigil__agg_hint_put(vigil__agg *a, uint32_t src, uint32_t dst, uint32_t name,
                                 uint32_t rank, double ts);
/* Records the exact originator bytes of a clamped point of pair pi. */
vigil_status vigil__agg_big_add(vigil__agg *a, uint32_t pi, double ts, uint64_t bytes);
/* Applies every queued connection and DNS query. */
vigil_status vigil__agg_flush(vigil__agg *a);
/* agg_dns.c: the (src, domain) entry, created empty; a name hash into the
 * entry's distinct-name set (counted in `unique` when new); the NXDOMAIN
 * entry of src, created empty. */
vigil_status vigil__agg_dns_get(vigil__agg *a, uint32_t src, uint32_t domain, uint32_t *out);
vigil_status vigil__agg_qname_add(vigil__agg *a, uint32_t entry, uint64_t h);
/* The distinct names an entry keeps in itself (copied to inl, which has
 * room for VIGIL__DNS_INLINE): their count, 0 when they are in qnames. */
size_t vigil__agg_qnames_of(const vigil__agg *a, uint32_t entry, uint64_t *inl);
vigil_status vigil__agg_nx_get(vigil__agg *a, uint32_t src, uint32_t *out);
/* agg_dns.c: appends a query time to entry ei (queries and span are the
 * caller's); decodes entry e's times into out[0..nts) (stored order,
 * sorted after finish); the most times of one entry. */
vigil_status vigil__agg_dns_push_ts(vigil__agg *a, uint32_t ei, double ts);
size_t vigil__dns_decode_ts(const vigil__ag_dns *e, double *out);
size_t vigil__agg_dns_max_ts(const vigil__agg *a);

/* agg_hosts.c, in three steps so that the middle one can run on two
 * threads: begin allocates the hosts (sources flagged VIGIL__ADDR_SRC) and
 * their days from the pairs' span [first_ts, last_ts]; split cuts the pair
 * order (a->order) at source boundaries into at most `n` chunks of about
 * equal work (arank: address ranks; work: per source address id, its
 * points and pairs, weighted; NULL: one chunk), k[0..*got] receiving the
 * chunks' bounds
 * and first_host[0..*got) the host index each starts at; range fills the
 * hosts of order[k0, k1) from host first_host on, decoding into pts
 * (max_pts points; ranges on different threads need their own); end
 * derives the population and the peer distribution. */
vigil_status vigil__agg_finish_hosts_begin(vigil__agg *a, double first_ts, double last_ts);
vigil_status vigil__agg_hosts_split(const vigil__agg *a, const uint32_t *arank, const uint64_t *work,
                                    size_t n, size_t *k, size_t *first_host, size_t *got);
vigil_status vigil__agg_finish_hosts_range(vigil__agg *a, size_t k0, size_t k1, size_t first_host,
                                           vigil__conn_point *pts);
vigil_status vigil__agg_finish_hosts_end(vigil__agg *a);
void vigil__agg_free_hosts(vigil__agg *a);

#endif
