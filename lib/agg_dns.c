/* agg_dns.c -- the hunt aggregator's DNS part: per (internal host,
 * registered domain) query statistics, NXDOMAIN bursts per host, and the
 * address -> name map DNS answers give the pairs.
 *
 * Input: dns records (from vigil__agg_add).  Output: vigil__dns_view and
 * vigil__nx_view (agg.h).  Distinct names are counted exactly (a set of
 * 64-bit name hashes per entry) up to DNS_UNIQUE_CAP, then saturate. */
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
    uint64_t h = n * 0x9E3779B97F4A7C15ULL;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, s + i, 8);
        h = (h ^ w) * 0xff51afd7ed558ccdULL;
        h ^= h >> 32;
    }
    for (; i < n; i++) h = (h ^ (unsigned char)s[i]) * 0x100000001b3ULL;
    return (size_t)(vigil__mix64(h) & (MEMO_SLOTS - 1));
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

static vigil_status dns_get(vigil__agg *a, uint32_t src, uint32_t domain, uint32_t *out)
{
    dns_key k = { src, domain };
    uint32_t tag = dns_tag(&k);
    uint64_t *s;
    if (a->dns_idx.mask) {
        s = vigil__hidx_probe(&a->dns_idx, tag, dns_eq, a, &k);
        if (*s) {
            *out = (uint32_t)(*s & 0xffffffffu) - 1;
            return VIGIL_OK;
        }
    }
    vigil_status rc = vigil__hidx_reserve(&a->alloc, &a->dns_idx);
    if (rc == VIGIL_OK)
        rc = vigil__grow(&a->alloc, (void **)&a->dns, &a->dns_cap, a->ndns + 1, sizeof *a->dns);
    if (rc != VIGIL_OK) return rc;
    vigil__ag_dns *e = &a->dns[a->ndns];
    memset(e, 0, sizeof *e);
    e->src = src;
    e->domain = domain;
    s = vigil__hidx_probe(&a->dns_idx, tag, dns_eq, a, &k);
    vigil__hidx_set(&a->dns_idx, s, tag, (uint32_t)a->ndns);
    *out = (uint32_t)a->ndns++;
    return VIGIL_OK;
}

static int qname_eq(const void *ctx, uint32_t idx, const void *key)
{
    const vigil__ag_qname *q = &((const vigil__agg *)ctx)->qnames[idx];
    const vigil__ag_qname *k = key;
    return q->h == k->h && q->entry == k->entry;
}

/* Adds (entry, h) to the distinct-name set; counts it when new. */
static vigil_status qname_add(vigil__agg *a, uint32_t entry, uint64_t h)
{
    vigil__ag_dns *e = &a->dns[entry];
    if (e->unique >= DNS_UNIQUE_CAP) return VIGIL_OK;
    vigil__ag_qname k = { h, entry };
    uint32_t tag = (uint32_t)(vigil__mix64(h ^ ((uint64_t)entry * 0x9e3779b97f4a7c15ULL)) >> 32);
    uint64_t *s;
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
    a->dns[entry].unique++;
    return VIGIL_OK;
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

static vigil_status name_answers(vigil__agg *a, const vigil_dns *d, const char *name, size_t n,
                                 double ts)
{
    if (!d->answers.p || !d->answers.len) return VIGIL_OK;
    const char *p = d->answers.p, *end = p + d->answers.len;
    uint32_t nm = VIGIL__NO_ID;
    char sep = d->set_sep ? d->set_sep : ',';
    while (p && p < end) {
        const char *q = memchr(p, sep, (size_t)(end - p));
        if (!q) q = end;
        vigil_addr ad;
        if (vigil_addr_parse(p, (size_t)(q - p), &ad)) {
            vigil_status rc = VIGIL_OK;
            if (nm == VIGIL__NO_ID) rc = vigil__str_intern(&a->alloc, &a->names, name, n, &nm);
            uint32_t id;
            if (rc == VIGIL_OK) rc = vigil__agg_addr_id(a, &ad, &id);
            if (rc != VIGIL_OK) return rc;
            if (a->keep_answers) {
                uint32_t host;
                rc = vigil__agg_addr_id(a, &d->id.orig_h, &host);
                if (rc == VIGIL_OK) rc = answer_put(a, id, nm, host, 1, ts, ts);
                if (rc != VIGIL_OK) return rc;
            }
            vigil__ag_addr *e = &a->addrs[id];
            if (e->dns_name == VIGIL__NO_ID || ts > e->dns_ts ||
                (ts == e->dns_ts && strcmp(name, a->names.s[e->dns_name]) < 0)) {
                e->dns_name = nm;
                e->dns_ts = ts;
            }
        }
        p = q + 1;
    }
    return VIGIL_OK;
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

/* Resolves the queue: entries are looked up (their slots were prefetched
 * when queued), then entries and time arrays are prefetched for the whole
 * batch before any is written, so the cache misses overlap. */
vigil_status vigil__agg_flush_dns(vigil__agg *a)
{
    size_t n = a->ndpend;
    uint32_t ei[VIGIL__AGG_BATCH];
    vigil_status rc = VIGIL_OK;
    size_t done = 0;
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
    for (; done < n; done++) {
        rc = dns_get(a, a->dpend[done].src, a->dpend[done].domain, &ei[done]);
        if (rc != VIGIL_OK) break;
        __builtin_prefetch(&a->dns[ei[done]], 1);
    }
    for (size_t i = 0; i < done; i++) {
        const vigil__ag_dns *e = &a->dns[ei[i]];
        if (e->tenc) __builtin_prefetch(e->tenc + e->tused, 1); /* the trailer */
    }
    for (size_t i = 0; i < done && rc == VIGIL_OK; i++) rc = apply_query(a, ei[i], &a->dpend[i]);
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

vigil_status vigil__agg_add_dns(vigil__agg *a, const vigil_record *rec)
{
    const vigil_dns *d = &rec->u.dns;
    char name[VIGIL_FINDING_NAME_LEN];
    vigil__agg_note_ts(a, rec->ts);
    size_t n = vigil__agg_clean_name(d->query.p, d->query.len, name, sizeof name);
    if (!n) return VIGIL_OK;
    vigil_status rc = name_answers(a, d, name, n, rec->ts);
    if (rc != VIGIL_OK) return rc;
    uint32_t src;
    rc = vigil__agg_addr_id(a, &d->id.orig_h, &src);
    if (rc != VIGIL_OK) return rc;
    uint8_t fl = a->addrs[src].flags;
    if (!(fl & VIGIL__ADDR_INTERNAL) || (fl & VIGIL__ADDR_NOISE)) return VIGIL_OK;
    /* An internal host answering an internal host's query is a resolver. */
    uint32_t resp;
    rc = vigil__agg_addr_id(a, &d->id.resp_h, &resp);
    if (rc != VIGIL_OK) return rc;
    if ((a->addrs[resp].flags & VIGIL__ADDR_INTERNAL) && !(a->addrs[resp].flags & VIGIL__ADDR_NOISE))
        a->addrs[resp].flags |= VIGIL__ADDR_RESOLVER;
    size_t off = vigil__registered_domain(name, n);
    uint32_t dom;
    rc = vigil__str_intern(&a->alloc, &a->names, name + off, n - off, &dom);
    if (rc != VIGIL_OK) return rc;
    uint64_t h = vigil__hash_bytes(name, n);
    /* Queue it; the record is borrowed, so the name's figures are
     * computed now. */
    vigil__ag_dnspend *q = &a->dpend[a->ndpend++];
    memset(q, 0, sizeof *q);
    q->src = src;
    q->domain = dom;
    q->ts = rec->ts;
    q->h = h;
    q->txt = d->qtype == QTYPE_TXT;
    q->nx = d->rcode == RCODE_NXDOMAIN;
    if (off > 1) {
        size_t sub = off - 1; /* the part below the domain, without its dot */
        q->has_sub = 1;
        q->sub_len = (double)sub;
        q->ent = entropy(name, sub);
        size_t run = 0;
        for (size_t i = 0; i <= sub; i++) {
            if (i == sub || name[i] == '.') {
                if (run > q->max_label) q->max_label = (uint32_t)run;
                run = 0;
            } else {
                run++;
            }
        }
    }
    dns_key k = { src, dom };
    q->tag = dns_tag(&k);
    if (a->dns_idx.mask && !a->partial) __builtin_prefetch(&a->dns_idx.slot[q->tag & a->dns_idx.mask]);
    if (d->rcode == RCODE_NXDOMAIN) {
        uint32_t xi;
        rc = nx_get(a, src, &xi);
        vigil__ag_nxev ev = { rec->ts, h, dom };
        if (rc == VIGIL_OK) rc = nx_push(a, xi, &ev);
        if (rc == VIGIL_OK && example_better(a, &a->nx[xi], rec->ts, name)) {
            uint32_t nm;
            rc = vigil__str_intern(&a->alloc, &a->names, name, n, &nm);
            if (rc == VIGIL_OK) {
                a->nx[xi].example = nm;
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
    /* A partial's queued queries, through dst's batch. */
    for (size_t i = 0; i < src->nddq && rc == VIGIL_OK; i++) {
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

typedef struct rank_rec {
    uint64_t k;     /* sort key */
    uint32_t idx;   /* entry */
} rank_rec;

static int cmp_rank_rec(const void *x, const void *y)
{
    const rank_rec *a = x, *b = y;
    if (a->k != b->k) return a->k < b->k ? -1 : 1;
    return a->idx < b->idx ? -1 : a->idx > b->idx;
}

void vigil__agg_dns_drop_lookup(vigil__agg *a)
{
    vigil__free(&a->alloc, a->qnames);
    a->qnames = NULL;
    a->nqnames = a->qnames_cap = 0;
    vigil__hidx_free(&a->alloc, &a->qname_idx);
    vigil__hidx_free(&a->alloc, &a->dns_idx);
}

vigil_status vigil__agg_finish_dns(vigil__agg *a, const uint32_t *arank, const uint32_t *nrank)
{
    vigil__agg_dns_drop_lookup(a);
    vigil_status rc = VIGIL_ENOMEM;
    size_t maxts = 0;
    double *tmp = NULL, *tv = NULL;
    uint64_t *keys = NULL;
    uint32_t *prev = NULL;
    rank_rec *rr = NULL;
    size_t nrr = a->ndns > a->nnx ? a->ndns : a->nnx;
    for (size_t i = 0; i < a->ndns; i++)
        if (a->dns[i].nts > maxts) maxts = a->dns[i].nts;
    if (maxts && !(tmp = vigil__malloc(&a->alloc, maxts * sizeof *tmp))) goto out;
    if (maxts && !(tv = vigil__malloc(&a->alloc, maxts * sizeof *tv))) goto out;
    if (a->ndns) {
        keys = vigil__malloc(&a->alloc, a->ndns * sizeof *keys);
        prev = vigil__calloc(&a->alloc, a->names.n, sizeof *prev);
        a->dns_order = vigil__malloc(&a->alloc, a->ndns * sizeof *a->dns_order);
        if (!keys || !prev || !a->dns_order) goto out;
    }
    if (nrr && !(rr = vigil__malloc(&a->alloc, nrr * sizeof *rr))) goto out;
    if (a->nnx && !(a->nx_order = vigil__malloc(&a->alloc, a->nnx * sizeof *a->nx_order))) goto out;
    for (size_t i = 0; i < a->ndns; i++) {
        vigil__ag_dns *e = &a->dns[i];
        if (e->ts_unsorted) {
            vigil__dns_decode_ts(e, tv);
            vigil__sort_doubles(tv, tmp, e->nts);
            rc = ts_reencode(&a->alloc, e, tv, e->nts, e->ts_raw);
            if (rc != VIGIL_OK) goto out;
            rc = VIGIL_ENOMEM;
            e->ts_unsorted = 0;
        }
        keys[i] = (uint64_t)e->domain << 32 | e->src;
        rr[i].k = (uint64_t)arank[e->src] << 32 | nrank[e->domain];
        rr[i].idx = (uint32_t)i;
    }
    if (a->ndns) {
        /* Entries are unique per (domain, src): one count per entry. */
        for (size_t i = 0; i < a->ndns; i++)
            if (!(a->addrs[a->dns[i].src].flags & VIGIL__ADDR_RESOLVER)) prev[keys[i] >> 32]++;
        for (size_t i = 0; i < a->ndns; i++) a->dns[i].prevalence = prev[a->dns[i].domain];
        qsort(rr, a->ndns, sizeof *rr, cmp_rank_rec);
        for (size_t i = 0; i < a->ndns; i++) a->dns_order[i] = rr[i].idx;
    }
    for (size_t i = 0; i < a->nnx; i++) {
        rc = finish_nx(a, &a->nx[i]);
        if (rc != VIGIL_OK) goto out;
        rr[i].k = arank[a->nx[i].src];
        rr[i].idx = (uint32_t)i;
    }
    if (a->nnx) {
        qsort(rr, a->nnx, sizeof *rr, cmp_rank_rec);
        for (size_t i = 0; i < a->nnx; i++) a->nx_order[i] = rr[i].idx;
    }
    a->max_dts = maxts;
    rc = VIGIL_ENOMEM;
    if (maxts && !(a->dbuf = vigil__malloc(&a->alloc, maxts * sizeof *a->dbuf))) goto out;
    rc = VIGIL_OK;
out:
    if (rc != VIGIL_OK) {
        vigil__free(&a->alloc, a->dns_order);
        vigil__free(&a->alloc, a->nx_order);
        vigil__free(&a->alloc, a->dbuf);
        a->dns_order = a->nx_order = NULL;
        a->dbuf = NULL;
        a->max_dts = 0;
    }
    vigil__free(&a->alloc, tv);
    vigil__free(&a->alloc, tmp);
    vigil__free(&a->alloc, keys);
    vigil__free(&a->alloc, prev);
    vigil__free(&a->alloc, rr);
    return rc;
}

void vigil__agg_free_dns(vigil__agg *a)
{
    const vigil_allocator *al = &a->alloc;
    for (size_t i = 0; i < a->ndns; i++) vigil__free(al, a->dns[i].tenc);
    for (size_t i = 0; i < a->nnx; i++) vigil__free(al, a->nx[i].ev);
    vigil__free(al, a->dns);
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

size_t vigil__agg_dns_max_points(const vigil__agg *a) { return a ? a->max_dts : 0; }

vigil_status vigil__agg_dns_buf(const vigil__agg *a, size_t i, vigil__dns_view *out, double *buf)
{
    if (!a || !out || !a->finished || i >= a->ndns) return VIGIL_EINVAL;
    const vigil__ag_dns *e = &a->dns[a->dns_order[i]];
    if (e->nts && !buf) return VIGIL_EINVAL;
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
    out->ts = buf;
    out->nts = vigil__dns_decode_ts(e, buf);
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
