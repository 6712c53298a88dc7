/* geo.c -- where an address is: country (MaxMind DB file, libmaxminddb) and autonomous system (CSV ranges), cached per address.
 *
 * Input: the data directory of geo.h (installed by scripts/install-geo.sh)
 * and addresses.  Output: vigil_geo_info answers and the dst_country /
 * dst_asn / dst_org fields of findings.  Search path, data versions,
 * licences and costs: docs/geo.md.
 *
 * The ASN CSVs (~412k IPv4 and ~103k IPv6 ranges, 33 MB) are parsed here
 * into two sorted range arrays searched by bisection, with each distinct
 * (AS number, organisation) stored once.  Parsing them was measured at
 * ~0.2 s on this project's 2-core VM (bench/bench_geo.c), above the ~50 ms
 * an open may cost, so the first open that parses them writes the tables
 * as asn.vgeo next to them, which later opens read in ~15 ms (see "the
 * compact file" below; docs/geo.md).  The conversion is done by the library
 * at first use rather than by scripts/install-geo.sh: that script runs
 * before anything is built, and one parser (this one) is all there is.
 * Hand-written rather than a CSV library: one fixed format, a quoted last
 * field, and every malformed line must be counted, not fatal. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <maxminddb.h>
#include "internal.h"
#include <vigil/geo.h>

#define CACHE_MIN 1024u        /* cache slots at first (24 bytes each) */
#define CACHE_MAX (1u << 18)   /* slots at most (6 MB); when half full, emptied */
#define LINE_MAX_BYTES 65536u  /* the CSV read buffer: longer lines are bad */
#define NO_AS UINT32_MAX       /* no AS entry */

/* ---- the data ------------------------------------------------------------ */

/* One AS: its number and organisation (offset of a NUL-terminated string in
 * the pool; 0 is ""). */
typedef struct geo_as {
    uint32_t asn;  /* AS number (never 0) */
    uint32_t org;  /* pool offset */
} geo_as;

/* An inclusive IPv4 range (host order) and its AS entry. */
typedef struct geo_r4 {
    uint32_t first, last;  /* range */
    uint32_t as;           /* index into as[] */
} geo_r4;

/* A 128-bit address as two host-order halves. */
typedef struct geo_u128 {
    uint64_t hi, lo;
} geo_u128;

/* An inclusive IPv6 range and its AS entry. */
typedef struct geo_r6 {
    geo_u128 first, last;  /* range */
    uint32_t as;           /* index into as[] */
    uint32_t pad_;         /* 0 (the struct is written to asn.vgeo as is) */
} geo_r6;

/* One cached answer. */
typedef struct geo_slot {
    vigil_addr a;     /* the address */
    uint32_t as;      /* AS entry or NO_AS */
    char cc[2];       /* country, or two NULs */
    uint8_t used;     /* 1 when the slot holds an answer */
    uint8_t pad_;     /* (padding) */
} geo_slot;

/* The answer cache: open addressing, linear probing, power-of-two size.
 * Separate from vigil_geo so look-ups can take a const vigil_geo *. */
typedef struct geo_cache {
    pthread_mutex_t lock;  /* guards everything below */
    geo_slot *slot;        /* the table (NULL until the first miss) */
    size_t cap;            /* slots */
    size_t n;              /* slots used */
    uint64_t hits, misses; /* counters for vigil_geo_cache_stats */
} geo_cache;

struct vigil_geo {
    vigil_allocator al;    /* everything below is allocated with it */
    unsigned loaded;       /* VIGIL_GEO_* */
    char *dir;             /* where the data came from, or NULL */
    MMDB_s mmdb;           /* the country database (when COUNTRY) */
    geo_r4 *r4;            /* IPv4 ranges, sorted, disjoint */
    size_t n4, cap4;       /* ranges in r4 / allocated */
    geo_r6 *r6;            /* IPv6 ranges, sorted, disjoint */
    size_t n6, cap6;       /* ranges in r6 / allocated */
    geo_as *as;            /* distinct (asn, org) */
    size_t nas, capas;     /* entries in as / allocated */
    char *pool;            /* organisation strings, NUL-terminated */
    size_t npool, cappool; /* bytes in pool / allocated */
    geo_cache *cache;      /* answers per address */
    int lock_ok;           /* cache->lock was initialised */
};

/* ---- small helpers ------------------------------------------------------- */

static uint64_t mix64(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

static geo_u128 u128_of(const uint8_t b[16])
{
    geo_u128 v = { 0, 0 };
    for (int i = 0; i < 8; i++) v.hi = v.hi << 8 | b[i];
    for (int i = 8; i < 16; i++) v.lo = v.lo << 8 | b[i];
    return v;
}

static int u128_cmp(geo_u128 a, geo_u128 b)
{
    if (a.hi != b.hi) return a.hi < b.hi ? -1 : 1;
    if (a.lo != b.lo) return a.lo < b.lo ? -1 : 1;
    return 0;
}

/* a + 1; the caller makes sure a is not the largest value. */
static geo_u128 u128_inc(geo_u128 a)
{
    a.lo++;
    if (a.lo == 0) a.hi++;
    return a;
}

static int u128_is_max(geo_u128 a) { return a.hi == UINT64_MAX && a.lo == UINT64_MAX; }

static uint32_t v4_of(const vigil_addr *a)
{
    return (uint32_t)a->b[12] << 24 | (uint32_t)a->b[13] << 16 | (uint32_t)a->b[14] << 8 | a->b[15];
}

/* 1 when `a` is a globally routed address worth a look-up: not unset,
 * private (RFC 1918, RFC 4193), shared (100.64/10), loopback, link-local,
 * multicast, documentation (192.0.2/24, 198.51.100/24, 203.0.113/24,
 * 2001:db8::/32, 3fff::/20), benchmarking (198.18/15, 2001:2::/48),
 * 0/8, 192.0.0/24, 240/4 or IPv6 outside 2000::/3 (the only space the
 * registries hand out, so also ::, ::1, fe80::/10, fc00::/7, ff00::/8). */
static int is_global(const vigil_addr *a)
{
    if (vigil_addr_is_v4(a)) {
        uint32_t x = v4_of(a);
        static const struct { uint32_t net, mask; } special[] = {
            { 0x00000000u, 0xff000000u }, /* 0/8 */
            { 0x0a000000u, 0xff000000u }, /* 10/8 */
            { 0x64400000u, 0xffc00000u }, /* 100.64/10 */
            { 0x7f000000u, 0xff000000u }, /* 127/8 */
            { 0xa9fe0000u, 0xffff0000u }, /* 169.254/16 */
            { 0xac100000u, 0xfff00000u }, /* 172.16/12 */
            { 0xc0000000u, 0xffffff00u }, /* 192.0.0/24 */
            { 0xc0000200u, 0xffffff00u }, /* 192.0.2/24 */
            { 0xc0a80000u, 0xffff0000u }, /* 192.168/16 */
            { 0xc6120000u, 0xfffe0000u }, /* 198.18/15 */
            { 0xc6336400u, 0xffffff00u }, /* 198.51.100/24 */
            { 0xcb007100u, 0xffffff00u }, /* 203.0.113/24 */
            { 0xe0000000u, 0xe0000000u }, /* 224/4 multicast, 240/4 reserved */
        };
        for (size_t i = 0; i < sizeof special / sizeof special[0]; i++)
            if ((x & special[i].mask) == special[i].net) return 0;
        return 1;
    }
    const uint8_t *b = a->b;
    if ((b[0] & 0xe0) != 0x20) return 0;                                 /* outside 2000::/3 */
    if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0d && b[3] == 0xb8) return 0; /* 2001:db8::/32 */
    if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0 && b[3] == 0x02 && b[4] == 0 && b[5] == 0)
        return 0;                                                        /* 2001:2::/48 */
    if (b[0] == 0x3f && b[1] == 0xff && (b[2] & 0xf0) == 0) return 0;    /* 3fff::/20 */
    return 1;
}

static void note(vigil_diag_fn diag, void *user, const char *file, uint64_t line, uint64_t count,
                 const char *detail)
{
    if (!diag) return;
    vigil_diag d;
    memset(&d, 0, sizeof d);
    d.kind = VIGIL_DIAG_NOTE;
    d.file = file;
    d.line = line;
    d.count = count;
    d.detail = detail;
    diag(user, &d);
}

/* Grows *v (elements of `size` bytes, *cap of them) to hold need. */
static int grow(const vigil_allocator *al, void **v, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap) return 1;
    size_t nc = *cap ? *cap * 2 : 1024;
    while (nc < need) nc *= 2;
    if (nc > SIZE_MAX / size) return 0;
    void *nv = vigil__realloc(al, *v, nc * size);
    if (!nv) return 0;
    *v = nv;
    *cap = nc;
    return 1;
}

/* ---- loading the ASN CSVs ------------------------------------------------ */

/* State of one load (both files): the (asn, org) index and scratch. */
/* One slot of the (asn, org) index: the key's number and a 64-bit hash of
 * the organisation, so a probe never touches as[] or the pool (two cache
 * misses per line otherwise: 40% of the load time, perf).  Two spellings of
 * one AS's organisation with equal 64-bit hashes would merge: ~1e-19. */
typedef struct as_slot {
    uint64_t org_hash;    /* hash of the organisation */
    uint32_t asn;         /* the AS number */
    uint32_t e;           /* as[] index + 1; 0 empty */
} as_slot;

typedef struct loader {
    vigil_geo *g;         /* what is being loaded */
    as_slot *idx;         /* open addressing over as[] */
    size_t idx_cap;       /* slots (power of two) */
    char *buf;            /* LINE_MAX_BYTES read buffer */
    char *org;            /* the unquoted organisation (+ 8 bytes for org_hash) */
    int sorted4, sorted6; /* ranges arrived in order so far */
} loader;

/* Hash of org[0..n), 8 bytes at a time (the buffer has 8 spare bytes). */
static uint64_t org_hash(char *org, size_t n)
{
    memset(org + n, 0, 8);
    uint64_t h = n * 0x9E3779B97F4A7C15ULL;
    for (size_t i = 0; i < n; i += 8) {
        uint64_t w;
        memcpy(&w, org + i, 8);
        h = (h ^ w) * 0xff51afd7ed558ccdULL;
        h ^= h >> 32;
    }
    return mix64(h);
}

/* The as[] index of (asn, org[0..n)), added when new; NO_AS when memory
 * runs out.  org has 8 writable bytes past n. */
static uint32_t intern_as(loader *L, uint32_t asn, char *org, size_t n)
{
    vigil_geo *g = L->g;
    uint64_t oh = org_hash(org, n);
    if ((g->nas + 1) * 2 > L->idx_cap) {
        size_t nc = L->idx_cap ? L->idx_cap * 2 : 4096;
        as_slot *ni = vigil__calloc(&g->al, nc, sizeof *ni);
        if (!ni) return NO_AS;
        for (size_t i = 0; i < L->idx_cap; i++) {
            if (!L->idx[i].e) continue;
            size_t s = (size_t)(mix64(L->idx[i].asn) ^ L->idx[i].org_hash) & (nc - 1);
            while (ni[s].e) s = (s + 1) & (nc - 1);
            ni[s] = L->idx[i];
        }
        vigil__free(&g->al, L->idx);
        L->idx = ni;
        L->idx_cap = nc;
    }
    size_t s = (size_t)(mix64(asn) ^ oh) & (L->idx_cap - 1);
    for (; L->idx[s].e; s = (s + 1) & (L->idx_cap - 1))
        if (L->idx[s].asn == asn && L->idx[s].org_hash == oh) return L->idx[s].e - 1;
    if (g->nas >= NO_AS - 1 || g->npool + n + 1 > UINT32_MAX) return NO_AS;
    if (!grow(&g->al, (void **)&g->as, &g->capas, g->nas + 1, sizeof *g->as) ||
        !grow(&g->al, (void **)&g->pool, &g->cappool, g->npool + n + 1, 1))
        return NO_AS;
    uint32_t off = 0;
    if (n) { /* "" shares offset 0 */
        off = (uint32_t)g->npool;
        memcpy(g->pool + off, org, n);
        g->pool[off + n] = 0;
        g->npool += n + 1;
    }
    g->as[g->nas].asn = asn;
    g->as[g->nas].org = off;
    L->idx[s].asn = asn;
    L->idx[s].org_hash = oh;
    L->idx[s].e = (uint32_t)g->nas + 1;
    return (uint32_t)g->nas++;
}

/* Dotted IPv4 s[0..n) -> *out (host order); 0 when it is not exactly
 * that (leading zeros refused, as vigil_addr_parse does). */
static int parse_v4(const char *s, size_t n, uint32_t *out)
{
    uint32_t v = 0;
    size_t i = 0;
    for (int part = 0; part < 4; part++) {
        if (part) {
            if (i >= n || s[i] != '.') return 0;
            i++;
        }
        unsigned x = 0, nd = 0;
        while (i < n && (unsigned)(s[i] - '0') <= 9) {
            x = x * 10 + (unsigned)(s[i] - '0');
            if (++nd > 3) return 0;
            i++;
        }
        if (nd == 0 || x > 255 || (nd > 1 && s[i - nd] == '0')) return 0;
        v = v << 8 | x;
    }
    *out = v;
    return i == n;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    c = (char)(c | 0x20);
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

/* Plain IPv6 text s[0..n) (hex groups, at most one "::", no embedded
 * IPv4, no zone) -> *out; 0 otherwise (the caller then tries
 * vigil_addr_parse, which knows every form). */
static int parse_v6(const char *s, size_t n, uint8_t out[16])
{
    uint16_t grp[8];
    int ng = 0, gap = -1;
    size_t i = 0;
    if (n >= 2 && s[0] == ':' && s[1] == ':') {
        gap = 0;
        i = 2;
        if (i == n) goto done;
    }
    for (;;) {
        unsigned v = 0, nd = 0;
        int h;
        while (i < n && (h = hexval(s[i])) >= 0) {
            v = v << 4 | (unsigned)h;
            if (++nd > 4) return 0;
            i++;
        }
        if (nd == 0 || ng == 8) return 0;
        grp[ng++] = (uint16_t)v;
        if (i == n) break;
        if (s[i] != ':') return 0;
        i++;
        if (i < n && s[i] == ':') {
            if (gap >= 0) return 0;
            gap = ng;
            i++;
            if (i == n) break;
        } else if (i == n) {
            return 0;
        }
    }
done:
    if (gap < 0 ? ng != 8 : ng > 7) return 0;
    memset(out, 0, 16);
    int tail = gap < 0 ? 0 : ng - gap;
    for (int k = 0; k < ng - tail; k++) {
        out[2 * k] = (uint8_t)(grp[k] >> 8);
        out[2 * k + 1] = (uint8_t)grp[k];
    }
    for (int k = 0; k < tail; k++) {
        int at = 8 - tail + k;
        out[2 * at] = (uint8_t)(grp[gap + k] >> 8);
        out[2 * at + 1] = (uint8_t)grp[gap + k];
    }
    return 1;
}

/* s[0..n) as an address: the fast parsers, then vigil_addr_parse. */
static int parse_addr(const char *s, size_t n, vigil_addr *a)
{
    uint32_t x;
    if (n && n <= 15 && parse_v4(s, n, &x)) {
        memset(a->b, 0, 10);
        a->b[10] = a->b[11] = 0xff;
        a->b[12] = (uint8_t)(x >> 24);
        a->b[13] = (uint8_t)(x >> 16);
        a->b[14] = (uint8_t)(x >> 8);
        a->b[15] = (uint8_t)x;
        return 1;
    }
    if (parse_v6(s, n, a->b)) return 1;
    return vigil_addr_parse(s, n, a);
}

/* s[0..n) without ASCII spaces around it. */
static void trim(const char **s, size_t *n)
{
    while (*n && **s == ' ') { (*s)++; (*n)--; }
    while (*n && (*s)[*n - 1] == ' ') (*n)--;
}

/* One CSV line (no newline, no CR): first,last,asn[,org].  Returns 1 with
 * the range stored, 0 for a malformed line (*why says how), -1 for a line
 * that is skipped without a word (empty, a header, AS 0: "not routed"),
 * -2 when memory runs out. */
static int parse_line(loader *L, const char *s, size_t n, uint64_t lineno, const char **why)
{
    vigil_geo *g = L->g;
    if (n == 0) return -1;
    if (memchr(s, 0, n)) { *why = "a NUL byte"; return 0; }
    const char *c1 = memchr(s, ',', n);
    const char *c2 = c1 ? memchr(c1 + 1, ',', (size_t)(s + n - c1 - 1)) : NULL;
    if (!c2) {
        if (lineno == 1 && ((s[0] | 0x20) >= 'a' && (s[0] | 0x20) <= 'z')) return -1; /* a header */
        *why = "fewer than 3 fields";
        return 0;
    }
    const char *c3 = memchr(c2 + 1, ',', (size_t)(s + n - c2 - 1));
    const char *f1 = s, *f2 = c1 + 1, *f3 = c2 + 1;
    size_t n1 = (size_t)(c1 - s), n2 = (size_t)(c2 - f2), n3 = (size_t)((c3 ? c3 : s + n) - f3);
    trim(&f1, &n1);
    trim(&f2, &n2);
    trim(&f3, &n3);
    vigil_addr a, b;
    if (!parse_addr(f1, n1, &a) || !parse_addr(f2, n2, &b)) {
        if (lineno == 1 && ((s[0] | 0x20) >= 'a' && (s[0] | 0x20) <= 'z')) return -1;
        *why = "a range end is not an address";
        return 0;
    }
    uint64_t asn = 0;
    if (n3 == 0 || n3 > 10) { *why = "the AS number is not a number"; return 0; }
    for (size_t i = 0; i < n3; i++) {
        unsigned d = (unsigned)(unsigned char)f3[i] - '0';
        if (d > 9) { *why = "the AS number is not a number"; return 0; }
        asn = asn * 10 + d;
    }
    if (asn > UINT32_MAX) { *why = "the AS number is above 4294967295"; return 0; }
    /* The organisation: absent, plain, or quoted with "" for a quote. */
    size_t on = 0;
    if (c3) {
        const char *o = c3 + 1, *end = s + n;
        if (o < end && *o == '"') {
            const char *p = o + 1;
            for (;;) {
                if (p >= end) { *why = "a quoted organisation never ends"; return 0; }
                if (*p == '"') {
                    if (p + 1 < end && p[1] == '"') {
                        L->org[on++] = '"';
                        p += 2;
                        continue;
                    }
                    if (p + 1 != end) { *why = "text after a quoted organisation"; return 0; }
                    break;
                }
                L->org[on++] = *p++;
            }
        } else {
            on = (size_t)(end - o);
            if (memchr(o, ',', on)) { *why = "more than 4 fields"; return 0; }
            if (memchr(o, '"', on)) { *why = "a quote inside an unquoted organisation"; return 0; }
            memcpy(L->org, o, on);
        }
    }
    int v4 = vigil_addr_is_v4(&a);
    if (v4 != vigil_addr_is_v4(&b)) { *why = "one end IPv4, the other IPv6"; return 0; }
    if (asn == 0) return -1;
    if (v4) {
        uint32_t x = v4_of(&a), y = v4_of(&b);
        if (y < x) { *why = "the range ends before it starts"; return 0; }
        uint32_t e = intern_as(L, (uint32_t)asn, L->org, on);
        if (e == NO_AS || !grow(&g->al, (void **)&g->r4, &g->cap4, g->n4 + 1, sizeof *g->r4)) return -2;
        if (g->n4 && g->r4[g->n4 - 1].first > x) L->sorted4 = 0;
        g->r4[g->n4].first = x;
        g->r4[g->n4].last = y;
        g->r4[g->n4].as = e;
        g->n4++;
    } else {
        geo_u128 x = u128_of(a.b), y = u128_of(b.b);
        if (u128_cmp(y, x) < 0) { *why = "the range ends before it starts"; return 0; }
        uint32_t e = intern_as(L, (uint32_t)asn, L->org, on);
        if (e == NO_AS || !grow(&g->al, (void **)&g->r6, &g->cap6, g->n6 + 1, sizeof *g->r6)) return -2;
        if (g->n6 && u128_cmp(g->r6[g->n6 - 1].first, x) > 0) L->sorted6 = 0;
        g->r6[g->n6].first = x;
        g->r6[g->n6].last = y;
        g->r6[g->n6].as = e;
        g->r6[g->n6].pad_ = 0;
        g->n6++;
    }
    return 1;
}

/* Bad lines of one file: counted, the first kept for the one note. */
typedef struct badlines {
    uint64_t n;          /* malformed lines */
    uint64_t first;      /* the first one's number */
    const char *why;     /* what was wrong with it */
} badlines;

static void bad(badlines *b, uint64_t lineno, const char *why)
{
    if (!b->n++) {
        b->first = lineno;
        b->why = why;
    }
}

/* Loads one CSV file; VIGIL_ENOMEM stops, anything else is a note (and
 * sets *unclean). */
static vigil_status load_csv(loader *L, const char *path, vigil_diag_fn diag, void *user, int *unclean)
{
    char msg[512];
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(msg, sizeof msg, "cannot open: %s: its ASN ranges are off", strerror(errno));
        note(diag, user, path, 0, 1, msg);
        *unclean = 1;
        return VIGIL_OK;
    }
    badlines b = { 0, 0, NULL };
    uint64_t lineno = 0;
    size_t have = 0;       /* bytes carried over from the last read */
    int skipping = 0;      /* inside a line longer than the buffer */
    int rc = 1;
    for (;;) {
        size_t got = fread(L->buf + have, 1, LINE_MAX_BYTES - have, f);
        size_t len = have + got, start = 0;
        int eof = got == 0;
        while (start < len) {
            char *nl = memchr(L->buf + start, '\n', len - start);
            if (!nl && !eof) break;
            size_t end = nl ? (size_t)(nl - L->buf) : len;
            size_t ln = end - start;
            if (ln && L->buf[start + ln - 1] == '\r') ln--;
            lineno++;
            if (skipping) {
                skipping = 0;
            } else {
                const char *why = NULL;
                rc = parse_line(L, L->buf + start, ln, lineno, &why);
                if (rc == -2) break;
                if (rc == 0) bad(&b, lineno, why);
            }
            start = end + 1;
        }
        if (rc == -2) break;
        if (eof) break;
        have = len - start;
        if (have == LINE_MAX_BYTES) {   /* one line fills the buffer */
            if (!skipping) bad(&b, lineno + 1, "a line longer than 64 KiB");
            skipping = 1;
            have = 0;
        } else if (have) {
            memmove(L->buf, L->buf + start, have);
        }
    }
    int ioerr = ferror(f);
    fclose(f);
    if (rc == -2) return VIGIL_ENOMEM;
    if (ioerr || b.n) *unclean = 1;
    if (ioerr) {
        snprintf(msg, sizeof msg, "read error after line %llu: its ASN ranges are partial",
                 (unsigned long long)lineno);
        note(diag, user, path, lineno, 1, msg);
    }
    if (b.n) {
        snprintf(msg, sizeof msg, "%llu malformed line%s skipped (first: line %llu, %s)",
                 (unsigned long long)b.n, b.n == 1 ? "" : "s", (unsigned long long)b.first, b.why);
        note(diag, user, path, b.first, b.n, msg);
    }
    return VIGIL_OK;
}

static int cmp_r4(const void *x, const void *y)
{
    const geo_r4 *a = x, *b = y;
    if (a->first != b->first) return a->first < b->first ? -1 : 1;
    if (a->last != b->last) return a->last < b->last ? -1 : 1;
    return 0;
}

static int cmp_r6(const void *x, const void *y)
{
    const geo_r6 *a = x, *b = y;
    int c = u128_cmp(a->first, b->first);
    return c ? c : u128_cmp(a->last, b->last);
}

/* Sorts the ranges (when they did not arrive sorted), makes them disjoint
 * (where two overlap, the earlier-starting one keeps the overlap) and
 * joins neighbours of the same AS, so a look-up is one bisection. */
static void finish_ranges(loader *L)
{
    vigil_geo *g = L->g;
    if (!L->sorted4) qsort(g->r4, g->n4, sizeof *g->r4, cmp_r4);
    if (!L->sorted6) qsort(g->r6, g->n6, sizeof *g->r6, cmp_r6);
    size_t w = 0;
    for (size_t i = 0; i < g->n4; i++) {
        geo_r4 r = g->r4[i];
        if (w) {
            geo_r4 *p = &g->r4[w - 1];
            if (r.first <= p->last) {
                if (r.last <= p->last) continue;
                r.first = p->last + 1;
            }
            if (r.as == p->as && r.first == p->last + 1) {
                p->last = r.last;
                continue;
            }
        }
        g->r4[w++] = r;
    }
    g->n4 = w;
    w = 0;
    for (size_t i = 0; i < g->n6; i++) {
        geo_r6 r = g->r6[i];
        if (w) {
            geo_r6 *p = &g->r6[w - 1];
            if (u128_cmp(r.first, p->last) <= 0) {
                if (u128_cmp(r.last, p->last) <= 0) continue;
                r.first = u128_inc(p->last); /* p->last < r.last: not the max */
            }
            if (r.as == p->as && !u128_is_max(p->last) && u128_cmp(r.first, u128_inc(p->last)) == 0) {
                p->last = r.last;
                continue;
            }
        }
        g->r6[w++] = r;
    }
    g->n6 = w;
    /* Give back the growth slack (a failure keeps the larger block). */
    void *p;
    if (g->n4 && (p = vigil__realloc(&g->al, g->r4, g->n4 * sizeof *g->r4))) g->r4 = p, g->cap4 = g->n4;
    if (g->n6 && (p = vigil__realloc(&g->al, g->r6, g->n6 * sizeof *g->r6))) g->r6 = p, g->cap6 = g->n6;
    if ((p = vigil__realloc(&g->al, g->pool, g->npool))) g->pool = p, g->cappool = g->npool;
}

/* ---- the compact file (asn.vgeo) ------------------------------------------ */

/* Parsing the CSVs costs ~0.2 s (measured: docs/geo.md); the tables they
 * give are written once next to them as asn.vgeo, which later opens read in
 * a few milliseconds.  Layout: the header, then r4[n4], r6[n6], as[nas] and
 * pool[npool] exactly as they are in memory (native byte order, told by
 * `endian`).  The header names the CSVs it came from (size and mtime): when
 * they change the file is stale and rebuilt.  Everything read is checked
 * (checksum, order, indices in range), so a damaged file is rebuilt, never
 * trusted. */
#define VGEO_MAGIC "VIGILASN"
#define VGEO_VERSION 1u
#define VGEO_ENDIAN 0x01020304u

typedef struct vgeo_header {
    char magic[8];             /* VGEO_MAGIC */
    uint32_t version;          /* VGEO_VERSION */
    uint32_t endian;           /* VGEO_ENDIAN as written */
    int64_t src_size[2];       /* asn-ipv4.csv, asn-ipv6.csv sizes; -1 absent */
    int64_t src_mtime_s[2];    /* their mtimes */
    int64_t src_mtime_ns[2];
    uint64_t n4, n6, nas, npool; /* table sizes */
    uint64_t sum;              /* vgeo_sum of the four tables */
} vgeo_header;

/* Where the CSVs are, and what they are (for the staleness check). */
typedef struct vgeo_src {
    int64_t size[2], mtime_s[2], mtime_ns[2];
} vgeo_src;

static uint64_t hash_bytes(const void *p, size_t n, uint64_t h)
{
    const unsigned char *s = p;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, s + i, 8);
        h = (h ^ w) * 0xff51afd7ed558ccdULL;
        h ^= h >> 29;
    }
    for (; i < n; i++) h = (h ^ s[i]) * 0x100000001b3ULL;
    return mix64(h ^ n);
}

static uint64_t vgeo_sum(const vigil_geo *g)
{
    uint64_t h = hash_bytes(g->r4, g->n4 * sizeof *g->r4, 1);
    h = hash_bytes(g->r6, g->n6 * sizeof *g->r6, h);
    h = hash_bytes(g->as, g->nas * sizeof *g->as, h);
    return hash_bytes(g->pool, g->npool, h);
}

static void src_stat(const char *dir, vgeo_src *src)
{
    static const char *const csv[2] = { VIGIL_GEO_ASN4_FILE, VIGIL_GEO_ASN6_FILE };
    char path[4096];
    for (int i = 0; i < 2; i++) {
        struct stat st;
        snprintf(path, sizeof path, "%s/%s", dir, csv[i]);
        if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
            src->size[i] = (int64_t)st.st_size;
            src->mtime_s[i] = (int64_t)st.st_mtim.tv_sec;
            src->mtime_ns[i] = (int64_t)st.st_mtim.tv_nsec;
        } else {
            src->size[i] = -1;
            src->mtime_s[i] = src->mtime_ns[i] = 0;
        }
    }
}

/* Drops whatever ASN tables g holds. */
static void drop_tables(vigil_geo *g)
{
    vigil__free(&g->al, g->r4);
    vigil__free(&g->al, g->r6);
    vigil__free(&g->al, g->as);
    g->r4 = NULL;
    g->r6 = NULL;
    g->as = NULL;
    g->n4 = g->cap4 = g->n6 = g->cap6 = g->nas = g->capas = 0;
    g->npool = 1; /* keep "" at offset 0 */
    g->pool[0] = 0;
}

/* 1 when the tables just read are consistent: what the look-ups rely on. */
static int tables_valid(const vigil_geo *g)
{
    if (g->npool < 1 || g->pool[0] != 0 || g->pool[g->npool - 1] != 0) return 0;
    for (size_t i = 0; i < g->nas; i++)
        if (!g->as[i].asn || g->as[i].org >= g->npool) return 0;
    for (size_t i = 0; i < g->n4; i++) {
        const geo_r4 *r = &g->r4[i];
        if (r->last < r->first || r->as >= g->nas || (i && r->first <= g->r4[i - 1].last)) return 0;
    }
    for (size_t i = 0; i < g->n6; i++) {
        const geo_r6 *r = &g->r6[i];
        if (u128_cmp(r->last, r->first) < 0 || r->as >= g->nas ||
            (i && u128_cmp(r->first, g->r6[i - 1].last) <= 0))
            return 0;
    }
    return 1;
}

/* fread / fwrite of n items, where n may be 0 (and p then NULL). */
static int read_all(FILE *f, void *p, size_t size, size_t n)
{
    return n == 0 || fread(p, size, n, f) == n;
}

static int write_all(FILE *f, const void *p, size_t size, size_t n)
{
    return n == 0 || fwrite(p, size, n, f) == n;
}

/* Reads dir/asn.vgeo into g.  1: done; 0: absent, stale or damaged (g's
 * tables left empty); -1: out of memory. */
static int vgeo_read(vigil_geo *g, const char *path, const vgeo_src *src)
{
    FILE *f = fopen(path, "rb");
    if (!f) return 0;
    int ok = 0;
    vgeo_header h;
    struct stat st;
    if (fread(&h, sizeof h, 1, f) != 1 || memcmp(h.magic, VGEO_MAGIC, 8) != 0 ||
        h.version != VGEO_VERSION || h.endian != VGEO_ENDIAN || fstat(fileno(f), &st) != 0)
        goto out;
    /* Stale when the CSVs it came from are here and not the same. */
    if (src->size[0] >= 0 || src->size[1] >= 0) {
        for (int i = 0; i < 2; i++)
            if (h.src_size[i] != src->size[i] || h.src_mtime_s[i] != src->mtime_s[i] ||
                h.src_mtime_ns[i] != src->mtime_ns[i])
                goto out;
    }
    if (h.n4 > UINT32_MAX || h.n6 > UINT32_MAX || h.nas >= NO_AS || h.npool < 1 ||
        h.npool > UINT32_MAX)
        goto out;
    uint64_t want = sizeof h + h.n4 * sizeof(geo_r4) + h.n6 * sizeof(geo_r6) +
                    h.nas * sizeof(geo_as) + h.npool;
    if ((uint64_t)st.st_size != want) goto out;
    ok = -1;
    if ((h.n4 && !(g->r4 = vigil__malloc(&g->al, h.n4 * sizeof *g->r4))) ||
        (h.n6 && !(g->r6 = vigil__malloc(&g->al, h.n6 * sizeof *g->r6))) ||
        (h.nas && !(g->as = vigil__malloc(&g->al, h.nas * sizeof *g->as))))
        goto out;
    char *np = vigil__realloc(&g->al, g->pool, h.npool);
    if (!np) goto out;
    g->pool = np;
    g->cappool = h.npool;
    ok = 0;
    g->n4 = g->cap4 = h.n4;
    g->n6 = g->cap6 = h.n6;
    g->nas = g->capas = h.nas;
    g->npool = h.npool;
    if (!read_all(f, g->r4, sizeof *g->r4, g->n4) || !read_all(f, g->r6, sizeof *g->r6, g->n6) ||
        !read_all(f, g->as, sizeof *g->as, g->nas) || !read_all(f, g->pool, 1, g->npool))
        goto out;
    if (vgeo_sum(g) != h.sum || !tables_valid(g)) goto out;
    ok = 1;
out:
    fclose(f);
    if (ok != 1) drop_tables(g);
    return ok;
}

/* Writes g's tables to `path` through a temporary file and a rename, so a
 * reader sees the old file or the whole new one.  Best effort: a data
 * directory that is not writable just means the CSVs are parsed again. */
static void vgeo_write(const vigil_geo *g, const char *path, const vgeo_src *src)
{
    char tmp[4200];
    /* Unique per process and per object: two opens at once never share it. */
    snprintf(tmp, sizeof tmp, "%s.%ld.%p.tmp", path, (long)getpid(), (const void *)g);
    FILE *f = fopen(tmp, "wb");
    if (!f) return;
    vgeo_header h;
    memset(&h, 0, sizeof h);
    memcpy(h.magic, VGEO_MAGIC, 8);
    h.version = VGEO_VERSION;
    h.endian = VGEO_ENDIAN;
    for (int i = 0; i < 2; i++) {
        h.src_size[i] = src->size[i];
        h.src_mtime_s[i] = src->mtime_s[i];
        h.src_mtime_ns[i] = src->mtime_ns[i];
    }
    h.n4 = g->n4;
    h.n6 = g->n6;
    h.nas = g->nas;
    h.npool = g->npool;
    h.sum = vgeo_sum(g);
    int ok = write_all(f, &h, sizeof h, 1) && write_all(f, g->r4, sizeof *g->r4, g->n4) &&
             write_all(f, g->r6, sizeof *g->r6, g->n6) && write_all(f, g->as, sizeof *g->as, g->nas) &&
             write_all(f, g->pool, 1, g->npool);
    ok = fclose(f) == 0 && ok;
    if (!ok || rename(tmp, path) != 0) unlink(tmp);
}

/* ---- finding the directory ---------------------------------------------- */

static int is_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* 1 when dir holds any of the data files. */
static int has_data(const char *dir)
{
    static const char *const files[] = { VIGIL_GEO_COUNTRY_FILE, VIGIL_GEO_ASN4_FILE, VIGIL_GEO_ASN6_FILE,
                                         VIGIL_GEO_ASN_COMPACT_FILE };
    char path[4096];
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        int n = snprintf(path, sizeof path, "%s/%s", dir, files[i]);
        if (n > 0 && (size_t)n < sizeof path && is_file(path)) return 1;
    }
    return 0;
}

#define NCAND 5

/* Fills cand[] with the directories to search, in order; returns how many. */
static size_t candidates(const char *dir, char cand[NCAND][4096])
{
    size_t n = 0;
    if (dir) {
        snprintf(cand[n++], 4096, "%s", dir);
        return n;
    }
    const char *env = getenv("VIGIL_GEO_DIR");
    if (env && *env) {
        snprintf(cand[n++], 4096, "%s", env);
        return n;
    }
    const char *xdg = getenv("XDG_DATA_HOME"), *home = getenv("HOME");
    if (xdg && *xdg) snprintf(cand[n++], 4096, "%s/vigil/geo", xdg);
    else if (home && *home) snprintf(cand[n++], 4096, "%s/.local/share/vigil/geo", home);
    snprintf(cand[n++], 4096, "/usr/local/share/vigil/geo");
    snprintf(cand[n++], 4096, "/usr/share/vigil/geo");
    snprintf(cand[n++], 4096, "data/geo");
    return n;
}

/* ---- open / free ----------------------------------------------------------- */

void vigil_geo_free(vigil_geo *g)
{
    if (!g) return;
    if (g->loaded & VIGIL_GEO_COUNTRY) MMDB_close(&g->mmdb);
    if (g->cache) {
        if (g->lock_ok) pthread_mutex_destroy(&g->cache->lock);
        vigil__free(&g->al, g->cache->slot);
        vigil__free(&g->al, g->cache);
    }
    vigil__free(&g->al, g->dir);
    vigil__free(&g->al, g->r4);
    vigil__free(&g->al, g->r6);
    vigil__free(&g->al, g->as);
    vigil__free(&g->al, g->pool);
    vigil_allocator al = g->al;
    vigil__free(&al, g);
}

/* Loads what dir holds; VIGIL_ENOMEM or VIGIL_OK (problems are notes). */
static vigil_status load_dir(vigil_geo *g, const char *dir, vigil_diag_fn diag, void *user)
{
    char path[4096], msg[4096 + 256];
    char missing[256] = "";
    vigil_status rc = VIGIL_OK;

    snprintf(path, sizeof path, "%s/%s", dir, VIGIL_GEO_COUNTRY_FILE);
    if (is_file(path)) {
        int st = MMDB_open(path, MMDB_MODE_MMAP, &g->mmdb);
        if (st == MMDB_OUT_OF_MEMORY_ERROR) return VIGIL_ENOMEM;
        if (st == MMDB_SUCCESS) {
            g->loaded |= VIGIL_GEO_COUNTRY;
        } else {
            snprintf(msg, sizeof msg, "cannot open: %s: country is off", MMDB_strerror(st));
            note(diag, user, path, 0, 1, msg);
        }
    } else {
        snprintf(missing, sizeof missing, "%s (country)", VIGIL_GEO_COUNTRY_FILE);
    }

    /* ASN: the compact file when it is there and current, else the CSVs
     * (then written as the compact file for the next open). */
    vgeo_src src;
    src_stat(dir, &src);
    char vpath[4096];
    snprintf(vpath, sizeof vpath, "%s/%s", dir, VIGIL_GEO_ASN_COMPACT_FILE);
    int got = vgeo_read(g, vpath, &src);
    if (got < 0) return VIGIL_ENOMEM;
    if (!got) {
        loader L;
        memset(&L, 0, sizeof L);
        L.g = g;
        L.sorted4 = L.sorted6 = 1;
        int unclean = 0;
        static const char *const csv[2] = { VIGIL_GEO_ASN4_FILE, VIGIL_GEO_ASN6_FILE };
        for (int i = 0; i < 2 && rc == VIGIL_OK; i++) {
            snprintf(path, sizeof path, "%s/%s", dir, csv[i]);
            if (src.size[i] < 0) continue;
            if (!L.buf) {
                L.buf = vigil__malloc(&g->al, LINE_MAX_BYTES);
                L.org = vigil__malloc(&g->al, LINE_MAX_BYTES + 8);
                if (!L.buf || !L.org) {
                    rc = VIGIL_ENOMEM;
                    break;
                }
            }
            rc = load_csv(&L, path, diag, user, &unclean);
        }
        vigil__free(&g->al, L.buf);
        vigil__free(&g->al, L.org);
        vigil__free(&g->al, L.idx);
        if (rc != VIGIL_OK) return rc;
        finish_ranges(&L);
        /* Only a clean parse is kept: bad lines are reported on every open. */
        if (!unclean && (g->n4 || g->n6)) vgeo_write(g, vpath, &src);
    }
    if (g->n4 || g->n6) g->loaded |= VIGIL_GEO_ASN;
    /* A missing CSV is worth a word unless the compact file stands alone. */
    for (int i = 0; i < 2; i++) {
        if (src.size[i] >= 0 || (got && src.size[1 - i] < 0)) continue;
        size_t ml = strlen(missing);
        snprintf(missing + ml, sizeof missing - ml, "%s%s (%s ASN)", ml ? ", " : "",
                 i ? VIGIL_GEO_ASN6_FILE : VIGIL_GEO_ASN4_FILE, i ? "IPv6" : "IPv4");
    }
    if (missing[0]) {
        snprintf(msg, sizeof msg, "geo/ASN data in %s lacks %s: those answers are unknown", dir, missing);
        note(diag, user, NULL, 0, 1, msg);
    }
    return VIGIL_OK;
}

vigil_status vigil_geo_open(vigil_geo **out, const char *dir, const vigil_allocator *al,
                            vigil_diag_fn diag, void *user)
{
    if (!out) return VIGIL_EINVAL;
    *out = NULL;
    vigil_allocator a;
    vigil__alloc_init(&a, al);
    vigil_geo *g = vigil__calloc(&a, 1, sizeof *g);
    if (!g) return VIGIL_ENOMEM;
    g->al = a;
    /* The pool's offset 0 is the empty organisation. */
    g->pool = vigil__malloc(&g->al, 1);
    g->cache = vigil__calloc(&g->al, 1, sizeof *g->cache);
    if (!g->pool || !g->cache) {
        vigil_geo_free(g);
        return VIGIL_ENOMEM;
    }
    g->pool[0] = 0;
    g->npool = g->cappool = 1;
    if (pthread_mutex_init(&g->cache->lock, NULL) != 0) {
        vigil_geo_free(g);
        return VIGIL_ENOMEM;
    }
    g->lock_ok = 1;

    char (*c)[4096] = vigil__malloc(&g->al, NCAND * sizeof *c);
    if (!c) {
        vigil_geo_free(g);
        return VIGIL_ENOMEM;
    }
    size_t nc = candidates(dir, c), found = NCAND;
    for (size_t i = 0; i < nc && found == NCAND; i++)
        if (has_data(c[i])) found = i;
    vigil_status rc = VIGIL_OK;
    if (found == NCAND) {
        char msg[NCAND * 4096 + 160];
        size_t ml = (size_t)snprintf(msg, sizeof msg, "geo/ASN data not found (searched ");
        for (size_t i = 0; i < nc && ml < sizeof msg; i++)
            ml += (size_t)snprintf(msg + ml, sizeof msg - ml, "%s%s", i ? ", " : "", c[i]);
        if (ml < sizeof msg)
            snprintf(msg + ml, sizeof msg - ml,
                     "): country and ASN are off; scripts/install-geo.sh installs the data");
        note(diag, user, NULL, 0, 1, msg);
    } else {
        g->dir = vigil__strdup(&g->al, c[found]);
        rc = g->dir ? load_dir(g, g->dir, diag, user) : VIGIL_ENOMEM;
    }
    vigil__free(&g->al, c);
    if (rc != VIGIL_OK) {
        vigil_geo_free(g);
        return rc;
    }
    *out = g;
    return VIGIL_OK;
}

unsigned vigil_geo_loaded(const vigil_geo *g) { return g ? g->loaded : 0; }

const char *vigil_geo_dir(const vigil_geo *g) { return g ? g->dir : NULL; }

/* ---- look-ups ---------------------------------------------------------------- */

static uint32_t asn_of(const vigil_geo *g, const vigil_addr *a)
{
    if (vigil_addr_is_v4(a)) {
        uint32_t x = v4_of(a);
        size_t lo = 0, hi = g->n4;
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if (g->r4[mid].first <= x) lo = mid + 1;
            else hi = mid;
        }
        return lo && x <= g->r4[lo - 1].last ? g->r4[lo - 1].as : NO_AS;
    }
    geo_u128 x = u128_of(a->b);
    size_t lo = 0, hi = g->n6;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (u128_cmp(g->r6[mid].first, x) <= 0) lo = mid + 1;
        else hi = mid;
    }
    return lo && u128_cmp(x, g->r6[lo - 1].last) <= 0 ? g->r6[lo - 1].as : NO_AS;
}

static void country_of(const vigil_geo *g, const vigil_addr *a, char cc[2])
{
    struct sockaddr_in s4;
    struct sockaddr_in6 s6;
    const struct sockaddr *sa;
    if (vigil_addr_is_v4(a)) {
        memset(&s4, 0, sizeof s4);
        s4.sin_family = AF_INET;
        memcpy(&s4.sin_addr, a->b + 12, 4);
        sa = (const struct sockaddr *)&s4;
    } else {
        memset(&s6, 0, sizeof s6);
        s6.sin6_family = AF_INET6;
        memcpy(&s6.sin6_addr, a->b, 16);
        sa = (const struct sockaddr *)&s6;
    }
    int err = MMDB_SUCCESS;
    /* MMDB_lookup_sockaddr takes a non-const MMDB_s but only reads it. */
    MMDB_lookup_result_s r = MMDB_lookup_sockaddr((MMDB_s *)&g->mmdb, sa, &err);
    if (err != MMDB_SUCCESS || !r.found_entry) return;
    MMDB_entry_data_s d;
    if (MMDB_get_value(&r.entry, &d, "country_code", NULL) != MMDB_SUCCESS || !d.has_data ||
        d.type != MMDB_DATA_TYPE_UTF8_STRING || d.data_size != 2)
        return;
    if (d.utf8_string[0] < 'A' || d.utf8_string[0] > 'Z' || d.utf8_string[1] < 'A' ||
        d.utf8_string[1] > 'Z')
        return;
    cc[0] = d.utf8_string[0];
    cc[1] = d.utf8_string[1];
}

static size_t slot_of(const vigil_addr *a)
{
    uint64_t x, y;
    memcpy(&x, a->b, 8);
    memcpy(&y, a->b + 8, 8);
    return (size_t)mix64(x ^ mix64(y));
}

/* The slot holding a, or the empty slot where it goes.  Lock held. */
static geo_slot *probe(geo_cache *c, const vigil_addr *a, size_t h)
{
    size_t m = c->cap - 1;
    for (size_t s = h & m;; s = (s + 1) & m) {
        geo_slot *e = &c->slot[s];
        if (!e->used || memcmp(e->a.b, a->b, 16) == 0) return e;
    }
}

/* Stores an answer.  Lock held.  Out of memory: nothing is cached. */
static void cache_put(const vigil_geo *g, const vigil_addr *a, size_t h, uint32_t as, const char cc[2])
{
    geo_cache *c = g->cache;
    if ((c->n + 1) * 2 > c->cap) {
        if (c->cap >= CACHE_MAX) {
            memset(c->slot, 0, c->cap * sizeof *c->slot); /* full: start again */
            c->n = 0;
        } else {
            size_t nc = c->cap ? c->cap * 2 : CACHE_MIN;
            geo_slot *ns = vigil__calloc(&g->al, nc, sizeof *ns);
            if (!ns) return;
            geo_cache old = *c;
            c->slot = ns;
            c->cap = nc;
            for (size_t i = 0; i < old.cap; i++)
                if (old.slot[i].used) *probe(c, &old.slot[i].a, slot_of(&old.slot[i].a)) = old.slot[i];
            vigil__free(&g->al, old.slot);
        }
    }
    geo_slot *e = probe(c, a, h);
    if (e->used) return; /* another thread got there first */
    e->a = *a;
    e->as = as;
    e->cc[0] = cc[0];
    e->cc[1] = cc[1];
    e->used = 1;
    c->n++;
}

static void fill(const vigil_geo *g, uint32_t as, const char cc[2], vigil_geo_info *out)
{
    out->country[0] = cc[0];
    out->country[1] = cc[0] ? cc[1] : 0;
    out->country[2] = 0;
    if (as != NO_AS) {
        out->asn = g->as[as].asn;
        out->org = g->pool + g->as[as].org;
    }
}

vigil_status vigil_geo_lookup(const vigil_geo *g, const vigil_addr *a, vigil_geo_info *out)
{
    if (out) {
        memset(out, 0, sizeof *out);
        out->org = "";
    }
    if (!g || !a || !out) return VIGIL_EINVAL;
    if (!g->loaded || !is_global(a)) return VIGIL_OK;
    geo_cache *c = g->cache;
    size_t h = slot_of(a);
    pthread_mutex_lock(&c->lock);
    if (c->cap) {
        geo_slot *e = probe(c, a, h);
        if (e->used) {
            c->hits++;
            uint32_t as = e->as;
            char cc[2] = { e->cc[0], e->cc[1] };
            pthread_mutex_unlock(&c->lock);
            fill(g, as, cc, out);
            return VIGIL_OK;
        }
    }
    c->misses++;
    pthread_mutex_unlock(&c->lock);
    /* The look-ups read immutable data: no lock held. */
    char cc[2] = { 0, 0 };
    if (g->loaded & VIGIL_GEO_COUNTRY) country_of(g, a, cc);
    uint32_t as = g->loaded & VIGIL_GEO_ASN ? asn_of(g, a) : NO_AS;
    pthread_mutex_lock(&c->lock);
    cache_put(g, a, h, as, cc);
    pthread_mutex_unlock(&c->lock);
    fill(g, as, cc, out);
    return VIGIL_OK;
}

vigil_status vigil_geo_enrich(vigil_geo *g, vigil_findings *fs)
{
    if (!g || !fs) return VIGIL_EINVAL;
    static const uint8_t zero[16] = { 0 };
    for (size_t i = 0; i < fs->n; i++) {
        vigil_finding *f = &fs->v[i];
        if (memcmp(f->dst.b, zero, 16) == 0) continue;
        vigil_geo_info gi;
        vigil_status rc = vigil_geo_lookup(g, &f->dst, &gi);
        if (rc != VIGIL_OK) return rc;
        memcpy(f->dst_country, gi.country, sizeof f->dst_country);
        f->dst_asn = gi.asn;
        /* Cut at a character boundary: never half a UTF-8 sequence. */
        size_t n = strlen(gi.org);
        if (n > sizeof f->dst_org - 1) {
            n = sizeof f->dst_org - 1;
            while (n && ((unsigned char)gi.org[n] & 0xc0) == 0x80) n--;
        }
        memcpy(f->dst_org, gi.org, n);
        f->dst_org[n] = 0;
    }
    return VIGIL_OK;
}

void vigil_geo_cache_stats(const vigil_geo *g, uint64_t *hits, uint64_t *misses)
{
    uint64_t h = 0, m = 0;
    if (g) {
        pthread_mutex_lock(&g->cache->lock);
        h = g->cache->hits;
        m = g->cache->misses;
        pthread_mutex_unlock(&g->cache->lock);
    }
    if (hits) *hits = h;
    if (misses) *misses = m;
}
