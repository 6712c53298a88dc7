/* agg_dns.c -- the hunt aggregator's DNS part: per (internal host,
 * registered domain) query statistics, NXDOMAIN bursts per host, and the
 * address -> name map DNS answers give the pairs.
 *
 * Input: dns records (from vigil__agg_add).  Output: vigil__dns_view and
 * vigil__nx_view (agg.h).  Distinct names are counted exactly (a set of
 * 64-bit name hashes per entry) up to DNS_UNIQUE_CAP, then saturate.
 * Cost: what a query name and an answer list give is memoised per thread
 * (names repeat); queries are applied to the big shared tables through a
 * prefetching pipeline (apply_queries). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <libpsl.h>
#include "agg_impl.h"

#define DNS_UNIQUE_CAP 65536 /* distinct names counted per (host, domain) */
#define NX_WINDOW 300.0      /* seconds: the DGA burst window */
#define QTYPE_TXT 16
#define RCODE_NXDOMAIN 3

/* The registered domain through the Public Suffix List (libpsl).
 *
 * psl_builtin(): the list compiled into libpsl (Debian builds it from its
 * publicsuffix package); a static const context, so it needs no set-up, no
 * free and no lock, and every thread may use it.  psl_latest() would read
 * /usr/share/publicsuffix when that is newer, but it allocates a context
 * that must then live in a global or be passed down here, for a list that
 * on Debian is the same version as the built-in one.
 *
 * Private-section suffixes count (github.io, blogspot.com, duckdns.org,
 * s3.amazonaws.com, ...): the names under them belong to different owners,
 * so "evil.duckdns.org" is its own domain -- a tunnel or a DGA under a
 * dynamic-DNS provider is not hidden in the provider's prevalence.
 *
 * Cost (bench/bench_regdomain.c, docs/geo.md): psl_registrable_domain takes
 * 0.5-1.5 us a name, ~40x the two-label heuristic it replaced, and was 16%
 * of a one-day hunt of the simulated world (perf).  Names repeat (Zipf), so
 * answers are memoised: see registered_memo.  When libpsl has no built-in
 * list, the old heuristic answers. */
static size_t heuristic_domain(const char *s, size_t n)
{
    static const char *const sld[] = { "co", "com", "net", "org", "ac", "go", "ne", "or", "gov", "edu" };
    size_t dots[3] = { 0 }, nd = 0;
    for (size_t i = n; i-- > 0 && nd < 3;)
        if (s[i] == '.') dots[nd++] = i;
    if (nd < 2) return 0; /* one or two labels: the whole name */
    size_t tld_len = n - dots[0] - 1;
    size_t sld_off = dots[1] + 1, sld_len = dots[0] - dots[1] - 1;
    if (tld_len == 2) {
        for (size_t i = 0; i < sizeof sld / sizeof sld[0]; i++) {
            if (strlen(sld[i]) == sld_len && memcmp(s + sld_off, sld[i], sld_len) == 0)
                return nd >= 3 ? dots[2] + 1 : 0;
        }
    }
    return sld_off;
}

static size_t psl_domain(const psl_ctx_t *psl, const char *s, size_t n)
{
    /* libpsl wants a NUL-terminated name: copy it (names are < 256 bytes;
     * of a longer one, the labels in its last 255 bytes). */
    char buf[256];
    size_t base = 0;
    if (n >= sizeof buf) {
        base = n - (sizeof buf - 1);
        while (base < n && s[base - 1] != '.') base++;
        if (base == n) return 0;
    }
    memcpy(buf, s + base, n - base);
    buf[n - base] = 0;
    const char *r = psl_registrable_domain(psl, buf);
    /* NULL: the name is a public suffix itself ("co.jp", "com",
     * "github.io") or has no registrable part: the whole name is the
     * domain, as before (callers then see no part below it). */
    return r ? base + (size_t)(r - buf) : 0;
}

/* The memo: per thread, direct-mapped, 4096 names of at most 62 bytes with
 * their answers (256 KiB a thread), compared in full (exact, never a hash
 * collision).  A pure function's memo is the one piece of per-thread static
 * state in lib/: the signature has no context to hang it on (the
 * aggregator's struct is not this function's), and nothing a caller can
 * observe depends on it.  Longer names (tunnel payloads: unique anyway) are
 * not kept, so they never evict the names that repeat.  One pass over the
 * simulated month's 5.9M queries: 99 ns a name on average (1024 slots:
 * 199 ns; no memo: ~1 us; the old heuristic: 26 ns). */
#define MEMO_SLOTS 4096
#define MEMO_NAME 62

typedef struct registered_memo {
    uint8_t len;           /* name length; 0 empty */
    uint8_t off;           /* the answer */
    char name[MEMO_NAME];  /* the name (not NUL-terminated) */
} registered_memo;

static _Thread_local registered_memo memo[MEMO_SLOTS];

static size_t memo_slot(const char *s, size_t n)
{
    return (size_t)(vigil__hash_words(s, n) & (MEMO_SLOTS - 1));
}

size_t vigil__registered_domain(const char *s, size_t n)
{
    const psl_ctx_t *psl = psl_builtin();
    if (!psl) return heuristic_domain(s, n);
    if (n == 0 || n > MEMO_NAME) return psl_domain(psl, s, n);
    registered_memo *m = &memo[memo_slot(s, n)];
    if (m->len == n && memcmp(m->name, s, n) == 0) return m->off;
    size_t off = psl_domain(psl, s, n);
    m->len = (uint8_t)n;
    m->off = (uint8_t)off;
    memcpy(m->name, s, n);
    return off;
}

/* ---- (host, domain) entries ------------------------------------------------ */

typedef struct dns_key {
    uint32_t src, domain;  /* address id, name id */
} dns_key;

static int dns_eq(const void *ctx, uint32_t idx, const void *key)
{
    const vigil__ag_dns *e = &((const vigil__agg *)ctx)->dns[idx];
    const dns_key *k = key;
    return e->src == k->src && e->domain == k->domain;
}

static uint32_t dns_tag(const dns_key *k)
{
    return (uint32_t)(vigil__mix64(((uint64_t)k->src << 32 | k->domain) * 0x94d049bb133111ebULL) >> 32);
}

/* Room for `need` entries, the array 64-byte aligned: grown with realloc
 * (which moves a big block by remapping its pages, not copying them, and
 * needs no second copy at the peak), the entries then moved to the new
 * block's aligned start when it differs from the old block's. */
static vigil_status dns_reserve(vigil__agg *a, size_t need)
{
    if (need <= a->dns_cap) return VIGIL_OK;
    size_t nc = a->dns_cap ? a->dns_cap + a->dns_cap / 2 + 1 : 8;
    if (nc < need) nc = need;
    if (nc > (SIZE_MAX - 64) / sizeof *a->dns) return VIGIL_ENOMEM;
    size_t was = a->dns_raw ? (size_t)((char *)a->dns - (char *)a->dns_raw) : 0;
    char *raw = vigil__realloc(&a->alloc, a->dns_raw, nc * sizeof *a->dns + 63);
    if (!raw) return VIGIL_ENOMEM;
    size_t off = (size_t)(-(uintptr_t)raw & 63);
    if (off != was && a->ndns) memmove(raw + off, raw + was, a->ndns * sizeof *a->dns);
    a->dns_raw = raw;
    a->dns = (vigil__ag_dns *)(void *)(raw + off);
    a->dns_cap = nc;
    a->dns_pop = 0; /* moved: its pages beyond the entries may not be resident */
    return VIGIL_OK;
}

/* The entry of (src, domain), whose tag is `tag`, created when new. */
static vigil_status dns_get_tag(vigil__agg *a, uint32_t src, uint32_t domain, uint32_t tag, uint32_t *out)
{
    dns_key k = { src, domain };
    uint64_t *s;
    if (a->dns_idx.mask) {
        s = vigil__hidx_probe(&a->dns_idx, tag, dns_eq, a, &k);
        if (*s) {
            *out = (uint32_t)(*s & 0xffffffffu) - 1;
            return VIGIL_OK;
        }
    }
    vigil_status rc = vigil__hidx_reserve(&a->alloc, &a->dns_idx);
    if (rc == VIGIL_OK) rc = dns_reserve(a, a->ndns + 1);
    if (rc != VIGIL_OK) return rc;
    vigil__populate_ahead(a->dns, a->ndns, a->dns_cap, sizeof *a->dns, &a->dns_pop);
    vigil__ag_dns *e = &a->dns[a->ndns];
    memset(e, 0, sizeof *e);
    e->src = src;
    e->domain = domain;
    s = vigil__hidx_probe(&a->dns_idx, tag, dns_eq, a, &k);
    vigil__hidx_set(&a->dns_idx, s, tag, (uint32_t)a->ndns);
    *out = (uint32_t)a->ndns++;
    return VIGIL_OK;
}

static vigil_status dns_get(vigil__agg *a, uint32_t src, uint32_t domain, uint32_t *out)
{
    dns_key k = { src, domain };
    return dns_get_tag(a, src, domain, dns_tag(&k), out);
}

/* The distinct-name set's tag of (entry, h), made from the entry's key
 * rather than its index: a batch prefetches the slot before it looks the
 * entry up (apply_queries). */
static inline uint32_t qname_tag(uint32_t src, uint32_t domain, uint64_t h)
{
    return (uint32_t)(vigil__mix64(h ^ (((uint64_t)src << 32 | domain) * 0x9e3779b97f4a7c15ULL)) >> 32);
}

static int qname_eq(const void *ctx, uint32_t idx, const void *key)
{
    const vigil__ag_qname *q = &((const vigil__agg *)ctx)->qnames[idx];
    const vigil__ag_qname *k = key;
    return q->h == k->h && q->entry == k->entry;
}

/* Puts (entry, h) in the distinct-name set; *added: it was not there. */
static vigil_status qname_put(vigil__agg *a, uint32_t entry, uint64_t h, int *added)
{
    const vigil__ag_dns *e = &a->dns[entry];
    vigil__ag_qname k = { h, entry };
    uint32_t tag = qname_tag(e->src, e->domain, h);
    uint64_t *s;
    *added = 0;
    if (a->qname_idx.mask) {
        s = vigil__hidx_probe(&a->qname_idx, tag, qname_eq, a, &k);
        if (*s) return VIGIL_OK;
    }
    vigil_status rc = vigil__hidx_reserve(&a->alloc, &a->qname_idx);
    if (rc == VIGIL_OK)
        rc = vigil__grow(&a->alloc, (void **)&a->qnames, &a->qnames_cap, a->nqnames + 1,
                         sizeof *a->qnames);
    if (rc != VIGIL_OK) return rc;
    a->qnames[a->nqnames] = k;
    s = vigil__hidx_probe(&a->qname_idx, tag, qname_eq, a, &k);
    vigil__hidx_set(&a->qname_idx, s, tag, (uint32_t)a->nqnames++);
    *added = 1;
    return VIGIL_OK;
}

/* Counts h among the entry's distinct names when new.  The first
 * VIGIL__DNS_INLINE names live in the entry (in the cache line the query
 * is applied to; most (host, domain) entries never have more); the next
 * one moves them all to the aggregate's set, a table of ~30 MB on the
 * simulated month whose slot and entry were two more cache misses for
 * every query.  The count is exact either way (64-bit hashes, as in the
 * set). */
static vigil_status qname_add(vigil__agg *a, uint32_t entry, uint64_t h)
{
    vigil__ag_dns *e = &a->dns[entry];
    if (e->unique >= DNS_UNIQUE_CAP) return VIGIL_OK;
    int added;
    vigil_status rc;
    if (!e->spilled) {
        for (uint32_t i = 0; i < e->unique; i++)
            if (e->nm[i] == h) return VIGIL_OK;
        if (e->unique < VIGIL__DNS_INLINE) {
            e->nm[e->unique++] = h;
            return VIGIL_OK;
        }
        /* (The set grows; the entries do not move.) */
        for (uint32_t i = 0; i < e->unique; i++)
            if ((rc = qname_put(a, entry, e->nm[i], &added)) != VIGIL_OK) return rc;
        e->spilled = 1;
    }
    if ((rc = qname_put(a, entry, h, &added)) != VIGIL_OK) return rc;
    e->unique += (uint32_t)added;
    return VIGIL_OK;
}

size_t vigil__agg_qnames_of(const vigil__agg *a, uint32_t entry, uint64_t *inl)
{
    const vigil__ag_dns *e = &a->dns[entry];
    if (e->spilled) return 0;
    memcpy(inl, e->nm, e->unique * sizeof *inl);
    return e->unique;
}

/* ---- query times, compact ------------------------------------------------------
 *
 * 8-byte doubles per query were 110 MB of the simulated month (13.6M
 * queries) plus growth slack.  Encoded as pair points' times are
 * (agg_pairs.c): a zig-zag varint of the microseconds since the previous
 * query of the entry, 2-4 bytes; an entry whose times are not whole
 * microseconds keeps raw doubles (lossless either way). */

#define TS_MAX_BYTES 10 /* one encoded time at most */

/* The trailer (vigil__enc_size): the last time, in us (or raw bits). */
static inline int64_t ts_last(const vigil__ag_dns *e)
{
    int64_t v = 0;
    if (e->tenc) memcpy(&v, e->tenc + e->tused, 8);
    return v;
}

/* Resizes e's array for `used` bytes and the trailer. */
static vigil_status ts_fit(const vigil_allocator *al, vigil__ag_dns *e, size_t used)
{
    if (used > UINT32_MAX - 64) return VIGIL_ENOMEM;
    size_t want = vigil__enc_size(used);
    if (e->tenc && want == vigil__enc_size(e->tused)) return VIGIL_OK;
    unsigned char *ne = vigil__realloc(al, e->tenc, want);
    if (!ne) return VIGIL_ENOMEM;
    e->tenc = ne;
    return VIGIL_OK;
}

/* Encodes ts into b after a time whose trailer value is `last`; *next
 * receives ts's own.  Returns the end. */
static inline unsigned char *put_ts(unsigned char *b, double ts, int raw, int64_t us, int64_t last,
                                    int64_t *next)
{
    if (raw) {
        memcpy(b, &ts, 8);
        memcpy(next, &ts, 8);
        return b + 8;
    }
    *next = us;
    return vigil__put_uv(b, vigil__zz(us - last));
}

size_t vigil__dns_decode_ts(const vigil__ag_dns *e, double *out)
{
    const unsigned char *b = e->tenc;
    int64_t last = 0;
    for (uint32_t i = 0; i < e->nts; i++) {
        if (e->ts_raw) {
            memcpy(&out[i], b, 8);
            b += 8;
        } else {
            uint64_t v;
            b = vigil__get_uv(b, &v);
            last += vigil__unzz(v);
            out[i] = (double)last / 1e6;
        }
    }
    return e->nts;
}

/* Re-encodes e's times from v[0..n) (decoded already; raw doubles when
 * `raw`), in place unless the size class changes. */
static vigil_status ts_reencode(const vigil_allocator *al, vigil__ag_dns *e, const double *v, size_t n,
                                int raw)
{
    size_t bytes = 0;
    int64_t last = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char tmp[TS_MAX_BYTES];
        int64_t us = 0;
        if (!raw) vigil__ts_to_us(v[i], &us);
        bytes += (size_t)(put_ts(tmp, v[i], raw, us, last, &last) - tmp);
    }
    vigil_status rc = ts_fit(al, e, bytes);
    if (rc != VIGIL_OK) return rc;
    unsigned char *b = e->tenc;
    last = 0;
    for (size_t i = 0; i < n; i++) {
        int64_t us = 0;
        if (!raw) vigil__ts_to_us(v[i], &us);
        b = put_ts(b, v[i], raw, us, last, &last);
    }
    e->tused = (uint32_t)bytes;
    memcpy(e->tenc + e->tused, &last, 8);
    e->ts_raw = raw ? 1 : 0;
    e->nts = (uint32_t)n;
    return VIGIL_OK;
}

static vigil_status ts_push(vigil__agg *a, vigil__ag_dns *e, double ts)
{
    int64_t us = 0;
    vigil_status rc;
    if (e->nts == UINT32_MAX) return VIGIL_ENOMEM;
    if (!e->ts_raw && !vigil__ts_to_us(ts, &us)) {
        /* Not whole microseconds: the entry switches to raw doubles. */
        double *tmp = e->nts ? vigil__malloc(&a->alloc, e->nts * sizeof *tmp) : NULL;
        if (e->nts && !tmp) return VIGIL_ENOMEM;
        vigil__dns_decode_ts(e, tmp);
        rc = ts_reencode(&a->alloc, e, tmp, e->nts, 1);
        vigil__free(&a->alloc, tmp);
        if (rc != VIGIL_OK) return rc;
    }
    int64_t last = ts_last(e), next;
    if (e->nts) {
        int before;
        if (e->ts_raw) {
            double l;
            memcpy(&l, &last, 8);
            before = ts < l;
        } else {
            before = us < last;
        }
        if (before) e->ts_unsorted = 1;
    }
    unsigned char tmp[TS_MAX_BYTES];
    size_t len = (size_t)(put_ts(tmp, ts, e->ts_raw, us, last, &next) - tmp);
    if ((rc = ts_fit(&a->alloc, e, (size_t)e->tused + len)) != VIGIL_OK) return rc;
    memcpy(e->tenc + e->tused, tmp, len);
    e->tused += (uint32_t)len;
    memcpy(e->tenc + e->tused, &next, 8);
    e->nts++;
    return VIGIL_OK;
}

size_t vigil__agg_dns_max_ts(const vigil__agg *a)
{
    size_t m = 0;
    for (size_t i = 0; i < a->ndns; i++)
        if (a->dns[i].nts > m) m = a->dns[i].nts;
    return m;
}

vigil_status vigil__agg_dns_push_ts(vigil__agg *a, uint32_t ei, double ts)
{
    return ts_push(a, &a->dns[ei], ts);
}

/* ---- NXDOMAIN per host -------------------------------------------------------- */

static int nx_eq(const void *ctx, uint32_t idx, const void *key)
{
    return ((const vigil__agg *)ctx)->nx[idx].src == *(const uint32_t *)key;
}

static vigil_status nx_get(vigil__agg *a, uint32_t src, uint32_t *out)
{
    uint32_t tag = (uint32_t)(vigil__mix64((uint64_t)src * 0xbf58476d1ce4e5b9ULL + 1) >> 32);
    uint64_t *s;
    if (a->nx_idx.mask) {
        s = vigil__hidx_probe(&a->nx_idx, tag, nx_eq, a, &src);
        if (*s) {
            *out = (uint32_t)(*s & 0xffffffffu) - 1;
            return VIGIL_OK;
        }
    }
    vigil_status rc = vigil__hidx_reserve(&a->alloc, &a->nx_idx);
    if (rc == VIGIL_OK) rc = vigil__grow(&a->alloc, (void **)&a->nx, &a->nx_cap, a->nnx + 1, sizeof *a->nx);
    if (rc != VIGIL_OK) return rc;
    vigil__ag_nx *x = &a->nx[a->nnx];
    memset(x, 0, sizeof *x);
    x->src = src;
    x->example = VIGIL__NO_ID;
    s = vigil__hidx_probe(&a->nx_idx, tag, nx_eq, a, &src);
    vigil__hidx_set(&a->nx_idx, s, tag, (uint32_t)a->nnx);
    *out = (uint32_t)a->nnx++;
    return VIGIL_OK;
}

/* 1 when (ts, name) should replace x's example (the earliest name). */
static int example_better(const vigil__agg *a, const vigil__ag_nx *x, double ts, const char *name)
{
    if (x->example == VIGIL__NO_ID) return 1;
    if (ts != x->example_ts) return ts < x->example_ts;
    return strcmp(name, a->names.s[x->example]) < 0;
}

static vigil_status nx_push(vigil__agg *a, uint32_t xi, const vigil__ag_nxev *ev)
{
    vigil__ag_nx *x = &a->nx[xi];
    vigil_status rc = vigil__grow(&a->alloc, (void **)&x->ev, &x->cap, x->n + 1, sizeof *x->ev);
    if (rc != VIGIL_OK) return rc;
    x->ev[x->n++] = *ev;
    return VIGIL_OK;
}

/* ---- adding a record ------------------------------------------------------------ */

/* Shannon entropy (bits per character) of s[0..n), dots excluded. */
static double entropy(const char *s, size_t n)
{
    /* Names are < 256 bytes: 8-bit counts, and only the characters seen
     * are visited again (no pass over 256 slots per query). */
    uint8_t cnt[256];
    unsigned char seen[256];
    size_t nseen = 0, total = 0;
    memset(cnt, 0, sizeof cnt);
    for (size_t i = 0; i < n && i < 255; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch == '.') continue;
        if (cnt[ch]++ == 0) seen[nseen++] = ch;
        total++;
    }
    if (!total) return 0;
    double h = 0, t = (double)total;
    for (size_t i = 0; i < nseen; i++) {
        double c = cnt[seen[i]];
        h -= c * log2(c / t);
    }
    return h / t;
}

/* Names the addresses among the answers after the query. */
static int answer_eq(const void *ctx, uint32_t idx, const void *key)
{
    const vigil__ag_answer *x = &((const vigil__agg *)ctx)->answers[idx];
    const uint32_t *k = key;
    return x->addr == k[0] && x->name == k[1] && x->host == k[2];
}

/* Counts one answer (addr, name, asked by host) at [first, last]. */
static vigil_status answer_put(vigil__agg *a, uint32_t addr, uint32_t name, uint32_t host, uint32_t n,
                               double first, double last)
{
    uint32_t k[3] = { addr, name, host };
    uint32_t tag = (uint32_t)(vigil__mix64(((uint64_t)addr << 32 | name) * 0x9e3779b97f4a7c15ULL ^ host) >> 32);
    uint64_t *s;
    if (a->answer_idx.mask) {
        s = vigil__hidx_probe(&a->answer_idx, tag, answer_eq, a, k);
        if (*s) {
            vigil__ag_answer *x = &a->answers[(uint32_t)(*s & 0xffffffffu) - 1];
            x->n += n;
            if (first < x->first_ts) x->first_ts = first;
            if (last > x->last_ts) x->last_ts = last;
            return VIGIL_OK;
        }
    }
    vigil_status rc = vigil__hidx_reserve(&a->alloc, &a->answer_idx);
    if (rc == VIGIL_OK)
        rc = vigil__grow(&a->alloc, (void **)&a->answers, &a->answers_cap, a->nanswers + 1, sizeof *a->answers);
    if (rc != VIGIL_OK) return rc;
    a->answers[a->nanswers] = (vigil__ag_answer){ addr, name, host, n, first, last };
    s = vigil__hidx_probe(&a->answer_idx, tag, answer_eq, a, k);
    vigil__hidx_set(&a->answer_idx, s, tag, (uint32_t)a->nanswers++);
    return VIGIL_OK;
}

/* ---- what a query and its answers give, memoised --------------------------
 *
 * Names repeat: a site's queries are a few thousand names asked over and
 * over (the simulated month: 117k queries a day, 2,178 names), and so do
 * answer lists.  Cleaning the name, its registered domain (libpsl), two
 * hashes, entropy and labels, interning name and domain, and parsing and
 * interning each answer address were most of a query's cost.  Two
 * per-thread memos keep them, keyed by the record's bytes (compared in
 * full: exact):
 *   query_memo    raw query -> all that the name alone gives, and the ids
 *                 of the name and its domain in the aggregate last used;
 *   answers_memo  raw answers -> the addresses among them, and their ids.
 * Ids belong to one aggregate (and a merged partial is emptied and filled
 * again), so a memoised id is used only after checking that it still
 * stands for the same string or address in this aggregate (intern_cached,
 * addr_cached: one compare with what the probe would read anyway);
 * otherwise it is interned as before.  Interning happens in the same order
 * as without the memos, so every id is the same.  As with the
 * registered-domain memo: per-thread state that no caller can observe;
 * bounded (512 + 192 KiB a thread); longer keys are computed each time. */
#define QMEMO_SETS 2048 /* sets of two queries */
#define QMEMO_RAW 99    /* longest query kept (the entry: 128 bytes) */
#define AMEMO_SETS 512  /* sets of two answer lists */
#define AMEMO_ADDRS 4   /* most addresses of an answer list kept */
#define AMEMO_KEY 109   /* longest answer list kept (the entry: 192 bytes) */

typedef struct query_memo {
    uint64_t h;            /* vigil__hash_bytes of the cleaned name */
    double ent;            /* entropy of the part below the domain */
    uint32_t name_id;      /* the name's id, or NO_ID (checked before use) */
    uint32_t dom_id;       /* its domain's id, or NO_ID (the same) */
    uint8_t n;             /* cleaned length; 0: not a name */
    uint8_t off;           /* where the registered domain starts */
    uint8_t max_label;     /* longest label below the domain */
    uint8_t lower;         /* raw[0..n) is lowercase already */
    uint8_t len;           /* raw length; 0: an empty slot */
    char raw[QMEMO_RAW];   /* the query as logged */
} query_memo;

typedef struct answers_memo {
    vigil_addr addr[AMEMO_ADDRS]; /* the addresses among the answers */
    uint32_t id[AMEMO_ADDRS];     /* their ids, or NO_ID (checked before use) */
    uint8_t naddr;                /* addresses */
    uint8_t len;                  /* key length; 0: an empty slot */
    char sep;                     /* the separator it was split at */
    char key[AMEMO_KEY];          /* the answers as logged */
} answers_memo;

_Static_assert(sizeof(query_memo) == 128, "query_memo: two cache lines");
_Static_assert(sizeof(answers_memo) == 192, "answers_memo: three cache lines");

static _Thread_local query_memo qmemo[QMEMO_SETS][2];
static _Thread_local answers_memo amemo[AMEMO_SETS][2];

/* Two-way sets, so that the names and answer lists seen once (a tunnel's,
 * a DGA's: most of the distinct ones) do not push out the ones that
 * repeat: a newcomer goes to way 1, a key found there moves to way 0. */
#define MEMO_PROMOTE(set, T)          \
    do {                              \
        T t_ = (set)[0];              \
        (set)[0] = (set)[1];          \
        (set)[1] = t_;                \
    } while (0)

static int query_is(const query_memo *m, const char *p, size_t len)
{
    return m->len == len && memcmp(m->raw, p, len) == 0;
}

/* What query p[0..len) gives: the cleaned name into name[] (NUL-ended
 * when it is one) and the rest in the returned memo slot -- or in *tmp,
 * for a query too long to keep. */
static query_memo *query_facts(const char *p, size_t len, char *name, query_memo *tmp)
{
    query_memo *m = tmp;
    if (len && len <= QMEMO_RAW) {
        query_memo *set = qmemo[vigil__hash_words(p, len) & (QMEMO_SETS - 1)];
        m = &set[0];
        if (!query_is(m, p, len)) {
            m = &set[1];
            if (query_is(m, p, len)) {
                MEMO_PROMOTE(set, query_memo);
                m = &set[0];
            }
        }
        if (m == &set[0]) { /* found; else m is the newcomer's way */
            /* What vigil__agg_clean_name makes of it: a prefix, lowercased. */
            size_t n = m->n;
            if (m->lower) {
                memcpy(name, p, n);
            } else {
                for (size_t i = 0; i < n; i++) {
                    unsigned char ch = (unsigned char)p[i];
                    name[i] = (char)(ch >= 'A' && ch <= 'Z' ? ch + 32 : ch);
                }
            }
            name[n] = 0;
            return m;
        }
    }
    size_t n = vigil__agg_clean_name(p, len, name, VIGIL_FINDING_NAME_LEN);
    m->n = (uint8_t)n; /* < VIGIL_FINDING_NAME_LEN (256) */
    m->h = 0;
    m->ent = 0;
    m->name_id = m->dom_id = VIGIL__NO_ID;
    m->off = m->max_label = m->lower = 0;
    if (n) {
        size_t off = vigil__registered_domain(name, n);
        m->off = (uint8_t)off;
        m->h = vigil__hash_bytes(name, n);
        m->lower = memcmp(name, p, n) == 0;
        if (off > 1) {
            size_t sub = off - 1; /* the part below the domain, without its dot */
            size_t run = 0;
            m->ent = entropy(name, sub);
            for (size_t i = 0; i <= sub; i++) {
                if (i == sub || name[i] == '.') {
                    if (run > m->max_label) m->max_label = (uint8_t)run;
                    run = 0;
                } else {
                    run++;
                }
            }
        }
    }
    if (m != tmp) {
        m->len = (uint8_t)len;
        memcpy(m->raw, p, len);
    }
    return m;
}

/* *id: the id of s[0..n) in a.  Kept when it still names that string
 * here, else interned (and stored in *id). */
static vigil_status intern_cached(vigil__agg *a, const char *s, size_t n, uint32_t *id)
{
    uint32_t i = *id;
    if (i < a->names.n && a->names.len[i] == n && memcmp(a->names.s[i], s, n) == 0) return VIGIL_OK;
    return vigil__str_intern(&a->alloc, &a->names, s, n, id);
}

/* *id: the id of address x in a; the same for addresses. */
static vigil_status addr_cached(vigil__agg *a, const vigil_addr *x, uint32_t *id)
{
    uint32_t i = *id;
    if (i < a->naddrs) {
        uint64_t p0, p1, q0, q1; /* two word compares, not a memcmp call */
        memcpy(&p0, a->addrs[i].a.b, 8);
        memcpy(&p1, a->addrs[i].a.b + 8, 8);
        memcpy(&q0, x->b, 8);
        memcpy(&q1, x->b + 8, 8);
        if (((p0 ^ q0) | (p1 ^ q1)) == 0) return VIGIL_OK;
    }
    return vigil__agg_addr_id(a, x, id);
}

/* Splits answers p[0..len) at sep into m (the addresses among them);
 * 0, m left empty, when they hold more than AMEMO_ADDRS addresses. */
static int answers_parse(answers_memo *m, const char *p, size_t len, char sep)
{
    const char *q, *end = p + len;
    size_t k = 0;
    m->len = 0;
    for (const char *t = p; t < end; t = q < end ? q + 1 : end) {
        q = memchr(t, sep, (size_t)(end - t));
        if (!q) q = end;
        vigil_addr ad;
        if (vigil_addr_parse(t, (size_t)(q - t), &ad)) {
            if (k == AMEMO_ADDRS) return 0;
            m->addr[k] = ad;
            m->id[k++] = VIGIL__NO_ID;
        }
    }
    m->naddr = (uint8_t)k;
    m->sep = sep;
    memcpy(m->key, p, len);
    m->len = (uint8_t)len;
    return 1;
}

/* Answer address `id` names `name` (id *nm, interned by the caller) at
 * ts; *host is the querying host's id, NO_ID until first needed. */
static vigil_status answer_addr(vigil__agg *a, const vigil_dns *d, uint32_t id, uint32_t nm,
                                const char *name, double ts, uint32_t *host)
{
    if (a->keep_answers) {
        vigil_status rc = VIGIL_OK;
        if (*host == VIGIL__NO_ID) rc = vigil__agg_addr_id(a, &d->id.orig_h, host);
        if (rc == VIGIL_OK) rc = answer_put(a, id, nm, *host, 1, ts, ts);
        if (rc != VIGIL_OK) return rc;
    }
    vigil__ag_addr *e = &a->addrs[id];
    if (e->dns_name == VIGIL__NO_ID || ts > e->dns_ts ||
        (ts == e->dns_ts && e->dns_name != nm && strcmp(name, a->names.s[e->dns_name]) < 0)) {
        vigil_status rc = vigil__agg_touch_addr(a, id);
        if (rc != VIGIL_OK) return rc;
        e->dns_name = nm;
        e->dns_ts = ts;
    }
    return VIGIL_OK;
}

/* The memo set of d's answers (way 0 prefetched), NULL when there are
 * none or they are too long to keep. */
static answers_memo *answers_set(const vigil_dns *d)
{
    if (!d->answers.p || !d->answers.len || d->answers.len > AMEMO_KEY) return NULL;
    answers_memo *set = amemo[vigil__hash_words(d->answers.p, d->answers.len) & (AMEMO_SETS - 1)];
    __builtin_prefetch(set); /* the addresses */
    __builtin_prefetch((const char *)set + 64); /* ids, length, the key's start */
    return set;
}

static int answers_is(const answers_memo *m, const char *p, size_t len, char sep)
{
    return m->len == len && m->sep == sep && memcmp(m->key, p, len) == 0;
}

/* Names the addresses among the answers after the query name[0..n);
 * *nm is the name's id (intern_cached: interned at the first address);
 * set is answers_set(d). */
static vigil_status name_answers(vigil__agg *a, const vigil_dns *d, answers_memo *set, const char *name,
                                 size_t n, double ts, uint32_t *nm)
{
    if (!d->answers.p || !d->answers.len) return VIGIL_OK;
    const char *p = d->answers.p, *end = p + d->answers.len;
    char sep = d->set_sep ? d->set_sep : ',';
    uint32_t host = VIGIL__NO_ID;
    vigil_status rc = VIGIL_OK;
    if (set) {
        answers_memo *m = &set[0];
        if (!answers_is(m, p, d->answers.len, sep)) {
            m = &set[1];
            if (answers_is(m, p, d->answers.len, sep)) {
                MEMO_PROMOTE(set, answers_memo);
                m = &set[0];
            }
        }
        if (m == &set[0] || answers_parse(m, p, d->answers.len, sep)) {
            for (size_t i = 0; i < m->naddr && rc == VIGIL_OK; i++) {
                if (i == 0) rc = intern_cached(a, name, n, nm);
                if (rc == VIGIL_OK) rc = addr_cached(a, &m->addr[i], &m->id[i]);
                if (rc == VIGIL_OK) rc = answer_addr(a, d, m->id[i], *nm, name, ts, &host);
            }
            return rc;
        }
    }
    /* Not kept: each address parsed and interned. */
    int first = 1;
    for (const char *q; p < end && rc == VIGIL_OK; p = q < end ? q + 1 : end) {
        q = memchr(p, sep, (size_t)(end - p));
        if (!q) q = end;
        vigil_addr ad;
        uint32_t id;
        if (!vigil_addr_parse(p, (size_t)(q - p), &ad)) continue;
        if (first) rc = intern_cached(a, name, n, nm);
        first = 0;
        if (rc == VIGIL_OK) rc = vigil__agg_addr_id(a, &ad, &id);
        if (rc == VIGIL_OK) rc = answer_addr(a, d, id, *nm, name, ts, &host);
    }
    return rc;
}

/* Applies one queued query to entry ei. */
static vigil_status apply_query(vigil__agg *a, uint32_t ei, const vigil__ag_dnspend *q)
{
    vigil_status rc = ts_push(a, &a->dns[ei], q->ts);
    if (rc == VIGIL_OK) rc = qname_add(a, ei, q->h);
    if (rc != VIGIL_OK) return rc;
    vigil__ag_dns *e = &a->dns[ei];
    if (e->queries == 0 || q->ts < e->first_ts) e->first_ts = q->ts;
    if (e->queries == 0 || q->ts > e->last_ts) e->last_ts = q->ts;
    e->queries++;
    e->txt += q->txt;
    e->nx += q->nx;
    if (q->has_sub) {
        e->nsub++;
        e->sum_len += q->sub_len;
        e->sum_ent += q->ent;
        if (q->max_label > e->max_label) e->max_label = q->max_label;
    }
    return VIGIL_OK;
}

/* Applying queries in order, a software pipeline.  Each query reads
 * cache lines of tables far bigger than the cache: the slot of its (src,
 * domain) entry, that entry (two lines), the end of the entry's time
 * array, and for an entry with more than VIGIL__DNS_INLINE distinct names
 * the slot of (entry, name) in the distinct-name set and the set's entry
 * it names.  Taken one after the other, these misses were most of a merge
 * (~370 ns a query; ~150 ns pipelined, when every query read all six).
 * Here query i is hashed and its slot prefetched; PIPE queries later the
 * entry that slot names is prefetched; PIPE later the entry is looked up
 * (in cache by now), the end of its times prefetched, and the set's slot
 * when its names are there; PIPE later it is applied.  Entries are created
 * and queries applied in query order, as without the pipeline; a prefetch
 * made stale by an insertion or a table's growth costs only its miss. */
#define PIPE 8                 /* queries between two stages */
#define PIPE_RING (4 * PIPE)   /* queries in flight (a power of two) */

typedef struct pipe_slot {
    uint32_t src, domain;      /* the entry's key (ids of the aggregate) */
    uint32_t dtag;             /* its tag in the entry index */
    uint32_t ei;               /* the entry, from stage 3 */
} pipe_slot;

/* Applies q[0..n) to a in order; ids are a's, or src's mapped through
 * amap and nmap (a partial's queue at merge). */
static vigil_status apply_queries(vigil__agg *a, const vigil__ag_dnspend *q, size_t n,
                                  const uint32_t *amap, const uint32_t *nmap)
{
    pipe_slot r[PIPE_RING];
    vigil_status rc = VIGIL_OK;
    for (size_t i = 0; i < n + 3 * PIPE && rc == VIGIL_OK; i++) {
        if (i < n) { /* 1: tags, slots */
            pipe_slot *p = &r[i % PIPE_RING];
            p->src = amap ? amap[q[i].src] : q[i].src;
            p->domain = nmap ? nmap[q[i].domain] : q[i].domain;
            dns_key k = { p->src, p->domain };
            p->dtag = dns_tag(&k);
            if (a->dns_idx.mask) __builtin_prefetch(&a->dns_idx.slot[p->dtag & a->dns_idx.mask]);
        }
        if (i >= PIPE && i - PIPE < n) { /* 2: the entry the slot points at */
            const pipe_slot *p = &r[(i - PIPE) % PIPE_RING];
            uint32_t e = vigil__hidx_peek(&a->dns_idx, p->dtag);
            if (e) { /* two whole lines (aligned) */
                __builtin_prefetch(&a->dns[e - 1]);
                __builtin_prefetch((const char *)&a->dns[e - 1] + 64);
            }
        }
        if (i >= 2 * PIPE && i - 2 * PIPE < n) { /* 3: the entry, its times' end */
            pipe_slot *p = &r[(i - 2 * PIPE) % PIPE_RING];
            rc = dns_get_tag(a, p->src, p->domain, p->dtag, &p->ei);
            if (rc != VIGIL_OK) break;
            const vigil__ag_dns *e = &a->dns[p->ei];
            if (e->tenc) __builtin_prefetch(e->tenc + e->tused, 1);
            if (e->spilled && a->qname_idx.mask) { /* its names are in the set */
                uint32_t qtag = qname_tag(p->src, p->domain, q[i - 2 * PIPE].h);
                __builtin_prefetch(&a->qname_idx.slot[qtag & a->qname_idx.mask]);
            }
        }
        if (i >= 3 * PIPE && rc == VIGIL_OK) { /* 4: apply */
            size_t j = i - 3 * PIPE;
            rc = apply_query(a, r[j % PIPE_RING].ei, &q[j]);
        }
    }
    return rc;
}

/* Applies the queued queries (a partial keeps them for its merge). */
vigil_status vigil__agg_flush_dns(vigil__agg *a)
{
    size_t n = a->ndpend;
    vigil_status rc = VIGIL_OK;
    if (a->partial) {
        /* Kept for the aggregate this one is merged into. */
        if (n == 0) return VIGIL_OK;
        rc = vigil__grow(&a->alloc, (void **)&a->ddq, &a->ddq_cap, a->nddq + n, sizeof *a->ddq);
        if (rc != VIGIL_OK) return rc;
        memcpy(a->ddq + a->nddq, a->dpend, n * sizeof *a->dpend);
        a->nddq += n;
        a->ndpend = 0;
        return VIGIL_OK;
    }
    rc = apply_queries(a, a->dpend, n, NULL, NULL);
    a->ndpend = 0;
    return rc;
}

vigil_status vigil__agg_queue_dns(vigil__agg *a, const vigil__ag_dnspend *q)
{
    vigil__ag_dnspend *d = &a->dpend[a->ndpend++];
    *d = *q;
    dns_key k = { d->src, d->domain };
    d->tag = dns_tag(&k);
    if (a->dns_idx.mask) __builtin_prefetch(&a->dns_idx.slot[d->tag & a->dns_idx.mask]);
    return a->ndpend == VIGIL__AGG_BATCH ? vigil__agg_flush_dns(a) : VIGIL_OK;
}

/* Reads the fields vigil__agg_fields lists for dns (agg_pairs.c). */
vigil_status vigil__agg_add_dns(vigil__agg *a, const vigil_record *rec)
{
    const vigil_dns *d = &rec->u.dns;
    char name[VIGIL_FINDING_NAME_LEN];
    query_memo tmp;
    vigil__agg_note_ts(a, rec->ts);
    /* Both memo slots are likely misses: the answers' is fetched while
     * the query's is looked at. */
    answers_memo *am = answers_set(d);
    query_memo *f = query_facts(d->query.p, d->query.len, name, &tmp);
    size_t n = f->n, off = f->off;
    if (!n) return VIGIL_OK;
    vigil_status rc = name_answers(a, d, am, name, n, rec->ts, &f->name_id);
    if (rc != VIGIL_OK) return rc;
    uint32_t src;
    uint8_t fl;
    rc = vigil__agg_addr_verdicts(a, &d->id.orig_h, &src, &fl);
    if (rc != VIGIL_OK) return rc;
    if (!(fl & VIGIL__ADDR_INTERNAL) || (fl & VIGIL__ADDR_NOISE)) return VIGIL_OK;
    /* An internal host answering an internal host's query is a resolver. */
    uint32_t resp;
    rc = vigil__agg_addr_verdicts(a, &d->id.resp_h, &resp, &fl);
    if (rc != VIGIL_OK) return rc;
    if ((fl & VIGIL__ADDR_INTERNAL) && !(fl & VIGIL__ADDR_NOISE)) {
        if ((rc = vigil__agg_touch_addr(a, resp)) != VIGIL_OK) return rc;
        a->addrs[resp].flags |= VIGIL__ADDR_RESOLVER;
    }
    rc = intern_cached(a, name + off, n - off, &f->dom_id);
    if (rc != VIGIL_OK) return rc;
    uint32_t dom = f->dom_id;
    /* Queue it; the record is borrowed, so the name's figures are
     * computed now (query_facts). */
    vigil__ag_dnspend *q = &a->dpend[a->ndpend++];
    memset(q, 0, sizeof *q);
    q->src = src;
    q->domain = dom;
    q->ts = rec->ts;
    q->h = f->h;
    q->txt = d->qtype == QTYPE_TXT;
    q->nx = d->rcode == RCODE_NXDOMAIN;
    if (off > 1) {
        q->has_sub = 1;
        q->sub_len = (double)(off - 1); /* the part below the domain, without its dot */
        q->ent = f->ent;
        q->max_label = f->max_label;
    }
    dns_key k = { src, dom };
    q->tag = dns_tag(&k);
    if (a->dns_idx.mask && !a->partial) __builtin_prefetch(&a->dns_idx.slot[q->tag & a->dns_idx.mask]);
    if (d->rcode == RCODE_NXDOMAIN) {
        uint32_t xi;
        rc = nx_get(a, src, &xi);
        vigil__ag_nxev ev = { rec->ts, f->h, dom };
        if (rc == VIGIL_OK) rc = nx_push(a, xi, &ev);
        if (rc == VIGIL_OK && example_better(a, &a->nx[xi], rec->ts, name)) {
            rc = intern_cached(a, name, n, &f->name_id);
            if (rc == VIGIL_OK) {
                a->nx[xi].example = f->name_id;
                a->nx[xi].example_ts = rec->ts;
            }
        }
    }
    if (rc == VIGIL_OK && a->ndpend == VIGIL__AGG_BATCH) rc = vigil__agg_flush_dns(a);
    return rc;
}

/* ---- merge ------------------------------------------------------------------- */

vigil_status vigil__agg_merge_dns(vigil__agg *dst, vigil__agg *src, const uint32_t *amap,
                                  const uint32_t *nmap)
{
    vigil_status rc = VIGIL_OK;
    uint32_t *emap = NULL;
    if (src->ndns) {
        emap = vigil__malloc(&dst->alloc, src->ndns * sizeof *emap);
        if (!emap) return VIGIL_ENOMEM;
    }
    double *tv = NULL; /* q's times, decoded */
    size_t tvcap = 0;
    for (size_t i = 0; i < src->ndns && rc == VIGIL_OK; i++) {
        vigil__ag_dns *q = &src->dns[i];
        rc = dns_get(dst, amap[q->src], nmap[q->domain], &emap[i]);
        if (rc == VIGIL_OK) rc = vigil__grow(&dst->alloc, (void **)&tv, &tvcap, q->nts, sizeof *tv);
        if (rc != VIGIL_OK) break;
        vigil__ag_dns *e = &dst->dns[emap[i]];
        vigil__dns_decode_ts(q, tv);
        for (uint32_t k = 0; k < q->nts && rc == VIGIL_OK; k++) rc = ts_push(dst, e, tv[k]);
        if (rc != VIGIL_OK) break;
        if (q->queries) {
            if (e->queries == 0 || q->first_ts < e->first_ts) e->first_ts = q->first_ts;
            if (e->queries == 0 || q->last_ts > e->last_ts) e->last_ts = q->last_ts;
        }
        e->queries += q->queries;
        e->txt += q->txt;
        e->nx += q->nx;
        e->nsub += q->nsub;
        e->sum_len += q->sum_len;
        e->sum_ent += q->sum_ent;
        if (q->max_label > e->max_label) e->max_label = q->max_label;
        vigil__free(&src->alloc, q->tenc);
        q->tenc = NULL;
        q->nts = q->tused = 0;
        q->queries = 0;
    }
    vigil__free(&dst->alloc, tv);
    for (size_t i = 0; i < src->nqnames && rc == VIGIL_OK; i++)
        rc = qname_add(dst, emap[src->qnames[i].entry], src->qnames[i].h);
    for (size_t i = 0; i < src->ndns && rc == VIGIL_OK; i++) /* names kept in entries */
        for (uint32_t k = 0; !src->dns[i].spilled && k < src->dns[i].unique && rc == VIGIL_OK; k++)
            rc = qname_add(dst, emap[i], src->dns[i].nm[k]);
    /* A partial's queued queries: applied (after dst's own), or queued
     * again when dst is a partial too. */
    if (rc == VIGIL_OK) rc = vigil__agg_flush_dns(dst);
    if (rc == VIGIL_OK && !dst->partial) rc = apply_queries(dst, src->ddq, src->nddq, amap, nmap);
    for (size_t i = 0; i < src->nddq && dst->partial && rc == VIGIL_OK; i++) {
        vigil__ag_dnspend q = src->ddq[i];
        q.src = amap[q.src];
        q.domain = nmap[q.domain];
        rc = vigil__agg_queue_dns(dst, &q);
    }
    if (rc == VIGIL_OK) rc = vigil__agg_flush_dns(dst);
    for (size_t i = 0; i < src->nnx && rc == VIGIL_OK; i++) {
        vigil__ag_nx *q = &src->nx[i];
        uint32_t xi;
        rc = nx_get(dst, amap[q->src], &xi);
        if (rc != VIGIL_OK) break;
        vigil__ag_nx *x = &dst->nx[xi];
        rc = vigil__grow(&dst->alloc, (void **)&x->ev, &x->cap, x->n + q->n, sizeof *x->ev);
        if (rc != VIGIL_OK) break;
        for (size_t k = 0; k < q->n; k++) {
            x->ev[x->n] = q->ev[k];
            x->ev[x->n].domain = nmap[q->ev[k].domain];
            x->n++;
        }
        if (q->example != VIGIL__NO_ID) {
            uint32_t nm = nmap[q->example];
            if (example_better(dst, x, q->example_ts, dst->names.s[nm])) {
                x->example = nm;
                x->example_ts = q->example_ts;
            }
        }
        vigil__free(&src->alloc, q->ev);
        q->ev = NULL;
        q->n = q->cap = 0;
    }
    for (size_t i = 0; i < src->nanswers && rc == VIGIL_OK; i++) {
        const vigil__ag_answer *x = &src->answers[i];
        rc = answer_put(dst, amap[x->addr], nmap[x->name], amap[x->host], x->n, x->first_ts, x->last_ts);
    }
    vigil__free(&dst->alloc, emap);
    return rc;
}

/* ---- finish ------------------------------------------------------------------ */

static int cmp_u64(const void *x, const void *y)
{
    uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
    return a < b ? -1 : a > b;
}

static int cmp_u32(const void *x, const void *y)
{
    uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;
    return a < b ? -1 : a > b;
}

static int cmp_nxev(const void *x, const void *y)
{
    const vigil__ag_nxev *a = x, *b = y;
    if (a->ts != b->ts) return a->ts < b->ts ? -1 : 1;
    return a->h < b->h ? -1 : a->h > b->h;
}

/* Index in the sorted unique array u[0..n) of h (present). */
static size_t find_u64(const uint64_t *u, size_t n, uint64_t h)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (u[mid] < h) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

/* Distinct names, domains and the densest 5-minute window of one host. */
static vigil_status finish_nx(vigil__agg *a, vigil__ag_nx *x)
{
    x->names = x->max_window = x->domains = 0;
    if (!x->n) return VIGIL_OK;
    qsort(x->ev, x->n, sizeof *x->ev, cmp_nxev);
    x->first_ts = x->ev[0].ts;
    x->last_ts = x->ev[x->n - 1].ts;
    uint64_t *u = vigil__malloc(&a->alloc, x->n * sizeof *u);
    uint32_t *dom = vigil__malloc(&a->alloc, x->n * sizeof *dom);
    uint32_t *cnt = vigil__calloc(&a->alloc, x->n, sizeof *cnt);
    uint32_t *id = vigil__malloc(&a->alloc, x->n * sizeof *id);
    vigil_status rc = VIGIL_ENOMEM;
    if (!u || !dom || !cnt || !id) goto out;
    for (size_t i = 0; i < x->n; i++) {
        u[i] = x->ev[i].h;
        dom[i] = x->ev[i].domain;
    }
    qsort(u, x->n, sizeof *u, cmp_u64);
    size_t nu = 0;
    for (size_t i = 0; i < x->n; i++)
        if (i == 0 || u[i] != u[nu - 1]) u[nu++] = u[i];
    x->names = nu;
    qsort(dom, x->n, sizeof *dom, cmp_u32);
    for (size_t i = 0; i < x->n; i++)
        if (i == 0 || dom[i] != dom[i - 1]) x->domains++;
    for (size_t i = 0; i < x->n; i++) id[i] = (uint32_t)find_u64(u, nu, x->ev[i].h);
    /* Sliding window [ts - 300 s, ts]: distinct names inside. */
    size_t l = 0;
    uint64_t distinct = 0;
    for (size_t r = 0; r < x->n; r++) {
        if (cnt[id[r]]++ == 0) distinct++;
        while (x->ev[r].ts - x->ev[l].ts > NX_WINDOW) {
            if (--cnt[id[l]] == 0) distinct--;
            l++;
        }
        if (distinct > x->max_window) x->max_window = distinct;
    }
    rc = VIGIL_OK;
out:
    vigil__free(&a->alloc, u);
    vigil__free(&a->alloc, dom);
    vigil__free(&a->alloc, cnt);
    vigil__free(&a->alloc, id);
    return rc;
}

void vigil__agg_dns_drop_lookup(vigil__agg *a)
{
    vigil__free(&a->alloc, a->qnames);
    a->qnames = NULL;
    a->nqnames = a->qnames_cap = 0;
    vigil__hidx_free(&a->alloc, &a->qname_idx);
    vigil__hidx_free(&a->alloc, &a->dns_idx);
}

void vigil__agg_unfinish_dns(vigil__agg *a)
{
    vigil__free(&a->alloc, a->dns_order);
    vigil__free(&a->alloc, a->nx_order);
    vigil__free(&a->alloc, a->dbuf);
    a->dns_order = a->nx_order = NULL;
    a->dbuf = NULL;
    a->max_dts = 0;
}

vigil_status vigil__agg_finish_dns(vigil__agg *a, const uint32_t *arank, const uint32_t *nrank)
{
    vigil__agg_dns_drop_lookup(a);
    vigil_status rc = VIGIL_ENOMEM;
    size_t maxts = 0;
    uint64_t *keys = NULL;
    uint32_t *prev = NULL;
    /* The orders by (host rank, domain rank) and by host rank: radix
     * sorts of packed keys (vigil__radix_kv, stable: ties stay in entry
     * order, as the comparison sort they replace left them). */
    vigil__kv *rr = NULL, *rtmp = NULL;
    unsigned ab = vigil__bits_for(a->naddrs), nb = vigil__bits_for(a->names.n);
    size_t nrr = a->ndns > a->nnx ? a->ndns : a->nnx;
    for (size_t i = 0; i < a->ndns; i++)
        if (a->dns[i].nts > maxts) maxts = a->dns[i].nts;
    if (a->ndns) {
        keys = vigil__malloc_full(&a->alloc, a->ndns * sizeof *keys);
        prev = vigil__calloc(&a->alloc, a->names.n, sizeof *prev);
        a->dns_order = vigil__malloc_full(&a->alloc, a->ndns * sizeof *a->dns_order);
        if (!keys || !prev || !a->dns_order) goto out;
    }
    if (nrr && !(rr = vigil__malloc_full(&a->alloc, nrr * sizeof *rr))) goto out;
    if (nrr && !(rtmp = vigil__malloc_full(&a->alloc, nrr * sizeof *rtmp))) goto out;
    if (a->nnx && !(a->nx_order = vigil__malloc(&a->alloc, a->nnx * sizeof *a->nx_order))) goto out;
    /* An entry's times stay as they came (ts_unsorted): a view sorts the
     * ones it decodes.  Only the few entries a detector reads (those with
     * many distinct names) are ever decoded, where sorting every entry's
     * times here, decoding and re-encoding them, was ~0.5 CPU-s of the
     * simulated month. */
    for (size_t i = 0; i < a->ndns; i++) {
        const vigil__ag_dns *e = &a->dns[i];
        keys[i] = (uint64_t)e->domain << 32 | e->src;
        rr[i].key = (uint64_t)arank[e->src] << nb | nrank[e->domain];
        rr[i].val = i;
    }
    if (a->ndns) {
        /* Entries are unique per (domain, src): one count per entry. */
        for (size_t i = 0; i < a->ndns; i++)
            if (!(a->addrs[a->dns[i].src].flags & VIGIL__ADDR_RESOLVER)) prev[keys[i] >> 32]++;
        for (size_t i = 0; i < a->ndns; i++) a->dns[i].prevalence = prev[a->dns[i].domain];
        const vigil__kv *s = vigil__radix_kv(rr, rtmp, a->ndns, ab + nb);
        for (size_t i = 0; i < a->ndns; i++) a->dns_order[i] = (uint32_t)s[i].val;
    }
    for (size_t i = 0; i < a->nnx; i++) {
        rc = finish_nx(a, &a->nx[i]);
        if (rc != VIGIL_OK) goto out;
        rr[i].key = arank[a->nx[i].src];
        rr[i].val = i;
    }
    if (a->nnx) {
        const vigil__kv *s = vigil__radix_kv(rr, rtmp, a->nnx, ab);
        for (size_t i = 0; i < a->nnx; i++) a->nx_order[i] = (uint32_t)s[i].val;
    }
    a->max_dts = maxts;
    rc = VIGIL_ENOMEM;
    if (maxts && !(a->dbuf = vigil__malloc(&a->alloc, 2 * maxts * sizeof *a->dbuf))) goto out;
    rc = VIGIL_OK;
out:
    if (rc != VIGIL_OK) vigil__agg_unfinish_dns(a);
    vigil__free(&a->alloc, keys);
    vigil__free(&a->alloc, prev);
    vigil__free(&a->alloc, rr);
    vigil__free(&a->alloc, rtmp);
    return rc;
}

void vigil__agg_free_dns(vigil__agg *a)
{
    const vigil_allocator *al = &a->alloc;
    for (size_t i = 0; i < a->ndns; i++) vigil__free(al, a->dns[i].tenc);
    for (size_t i = 0; i < a->nnx; i++) vigil__free(al, a->nx[i].ev);
    vigil__free(al, a->dns_raw);
    vigil__free(al, a->qnames);
    vigil__free(al, a->nx);
    vigil__free(al, a->dns_order);
    vigil__free(al, a->nx_order);
    vigil__free(al, a->dbuf);
    a->dbuf = NULL;
    a->max_dts = 0;
    vigil__hidx_free(al, &a->dns_idx);
    vigil__hidx_free(al, &a->qname_idx);
    vigil__hidx_free(al, &a->nx_idx);
    vigil__free(al, a->answers);
    vigil__hidx_free(al, &a->answer_idx);
    a->answers = NULL;
    a->nanswers = a->answers_cap = 0;
    a->dns = NULL;
    a->dns_raw = NULL;
    a->qnames = NULL;
    a->nx = NULL;
    a->dns_order = a->nx_order = NULL;
    a->ndns = a->dns_cap = a->nqnames = a->qnames_cap = a->nnx = a->nx_cap = 0;
}

/* ---- views ------------------------------------------------------------------- */

size_t vigil__agg_dns_count(const vigil__agg *a) { return a && a->finished ? a->ndns : 0; }

vigil_status vigil__agg_dns(const vigil__agg *a, size_t i, vigil__dns_view *out)
{
    if (!a) return VIGIL_EINVAL;
    return vigil__agg_dns_buf(a, i, out, a->dbuf);
}

/* Twice the most times of an entry: the upper half is the sort's scratch. */
size_t vigil__agg_dns_max_points(const vigil__agg *a) { return a ? 2 * a->max_dts : 0; }

vigil_status vigil__agg_dns_buf(const vigil__agg *a, size_t i, vigil__dns_view *out, double *buf)
{
    vigil_status rc = vigil__agg_dns_head(a, i, out);
    if (rc != VIGIL_OK) return rc;
    const vigil__ag_dns *e = &a->dns[a->dns_order[i]];
    if (e->nts && !buf) return VIGIL_EINVAL;
    out->ts = buf;
    out->nts = vigil__dns_decode_ts(e, buf);
    if (e->ts_unsorted) vigil__sort_doubles(buf, buf + a->max_dts, out->nts);
    return VIGIL_OK;
}

vigil_status vigil__agg_dns_head(const vigil__agg *a, size_t i, vigil__dns_view *out)
{
    if (!a || !out || !a->finished || i >= a->ndns) return VIGIL_EINVAL;
    const vigil__ag_dns *e = &a->dns[a->dns_order[i]];
    memset(out, 0, sizeof *out);
    out->src = a->addrs[e->src].a;
    out->domain = vigil__agg_name(a, e->domain);
    out->queries = e->queries;
    out->unique_names = e->unique;
    out->txt_queries = e->txt;
    out->nxdomain = e->nx;
    out->mean_label_len = e->nsub ? e->sum_len / (double)e->nsub : 0;
    out->max_label_len = e->max_label;
    out->mean_entropy = e->nsub ? e->sum_ent / (double)e->nsub : 0;
    out->nts = e->nts;
    out->prevalence = e->prevalence;
    out->src_is_resolver = (a->addrs[e->src].flags & VIGIL__ADDR_RESOLVER) != 0;
    out->first_ts = e->first_ts;
    out->last_ts = e->last_ts;
    return VIGIL_OK;
}

size_t vigil__agg_nx_count(const vigil__agg *a) { return a && a->finished ? a->nnx : 0; }

vigil_status vigil__agg_nx(const vigil__agg *a, size_t i, vigil__nx_view *out)
{
    if (!a || !out || !a->finished || i >= a->nnx) return VIGIL_EINVAL;
    const vigil__ag_nx *x = &a->nx[a->nx_order[i]];
    memset(out, 0, sizeof *out);
    out->src = a->addrs[x->src].a;
    out->nx_names = x->names;
    out->nx_max_window = x->max_window;
    out->nx_domains = x->domains;
    out->first_ts = x->first_ts;
    out->last_ts = x->last_ts;
    out->example = vigil__agg_name(a, x->example);
    return VIGIL_OK;
}

/* ---- access for the state database (state_agg.c) ---------------------------- */

vigil_status vigil__agg_dns_get(vigil__agg *a, uint32_t src, uint32_t domain, uint32_t *out)
{
    return dns_get(a, src, domain, out);
}

vigil_status vigil__agg_qname_add(vigil__agg *a, uint32_t entry, uint64_t h)
{
    return qname_add(a, entry, h);
}

vigil_status vigil__agg_nx_get(vigil__agg *a, uint32_t src, uint32_t *out)
{
    return nx_get(a, src, out);
}
