/* util_json.c -- zero-allocation, validating JSON scanner for log lines.
 *
 * Input: one line of text holding one JSON object (Zeek JSON, Suricata
 * EVE).  Output: its members, one callback each (vigil__json_each), with
 * nested objects optionally flattened into "a.b" keys; or, through
 * vigil__json_line, a table of (key, value) pairs that lives until the next
 * line.  Hand-written because the Debian JSON libraries build a heap tree
 * per object (see lib/internal.h).
 *
 * How it stays fast: strings are found with an 8-bytes-at-a-time (SWAR)
 * scan for '"', '\\', control and non-ASCII bytes; plain strings are never
 * copied, and escapes are decoded in place (the decoded text is never
 * longer than its escaped form).  Numbers and literals are checked, not
 * converted.
 *
 * How it stays strict: the grammar of RFC 8259 exactly -- one object, then
 * only whitespace; no trailing commas, no leading zeros, no raw control
 * bytes in strings, only the eight escapes, \u escapes that form valid
 * code points (a lone surrogate is refused because it has no UTF-8 form),
 * and raw bytes >= 0x80 must be well-formed UTF-8 (no overlongs, no
 * surrogates, nothing above U+10FFFF).  Nesting is bounded (MAX_DEPTH), so
 * hostile input cannot exhaust the stack, and a flattened key may not
 * exceed KEY_MAX bytes (the line is then refused). */
#include <string.h>
#include "internal.h"

#define MAX_DEPTH 64        /* deepest array/object nesting accepted */
#define KEY_MAX 1024        /* longest flattened key ("a.b.c") accepted */
#define LINE_MEMBERS0 128   /* initial member capacity of a vigil__json_line */
#define LINE_MEMBERS_MAX 8192 /* members per line beyond which a line is refused */

/* SWAR constants: a byte repeated eight times. */
#define ONES 0x0101010101010101ull
#define HIGHS 0x8080808080808080ull

/* Scanner state for one vigil__json_each call. */
typedef struct scanner {
    char *p;              /* next byte to read */
    char *end;            /* one past the last byte of the text */
    int flatten;          /* join nested object keys with '.' */
    vigil__json_fn fn;    /* member callback (may be NULL: validate only) */
    void *user;           /* passed back to fn */
    size_t keylen;        /* bytes of the current "a.b." prefix in key[] */
    char key[KEY_MAX];    /* prefix of flattened keys, then the leaf */
} scanner;

/* ---- low-level pieces ------------------------------------------------------ */

static int is_ws(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static char *skip_ws(char *p, const char *end)
{
    while (p < end && is_ws(*p)) p++;
    return p;
}

/* 1 when byte c ends a run of plain string bytes. */
static int is_string_stop(unsigned char c)
{
    return c < 0x20 || c == '"' || c == '\\' || c >= 0x80;
}

/* Returns the first byte at or after p that is '"', '\\', a control byte
 * or >= 0x80 (or end).  Eight bytes per step while that many remain. */
static char *skip_plain(char *p, const char *end)
{
    while (end - p >= 8) {
        uint64_t x;
        memcpy(&x, p, 8);
        uint64_t q = x ^ (ONES * '"');
        uint64_t b = x ^ (ONES * '\\');
        uint64_t m = ((q - ONES) & ~q) | ((b - ONES) & ~b) | (x - ONES * 0x20) | x;
        /* m's high bits: a byte equal to '"' or '\\', below 0x20 (borrow
         * sets the high bit of x - 0x20 only for such bytes, or above a
         * byte that already stops us), or with its own high bit set. */
        if ((m & HIGHS) == 0) {
            p += 8;
            continue;
        }
        break;
    }
    while (p < end && !is_string_stop((unsigned char)*p)) p++;
    return p;
}

/* Length (2..4) of the well-formed UTF-8 sequence at p, or 0. */
static size_t utf8_seq(const unsigned char *p, const unsigned char *end)
{
    unsigned c = p[0];
    size_t left = (size_t)(end - p);
    if (c < 0xc2) return 0; /* continuation byte or overlong 2-byte lead */
    if (c < 0xe0) return left >= 2 && (p[1] & 0xc0) == 0x80 ? 2 : 0;
    if (c < 0xf0) {
        if (left < 3 || (p[2] & 0xc0) != 0x80) return 0;
        unsigned lo = c == 0xe0 ? 0xa0 : 0x80, hi = c == 0xed ? 0x9f : 0xbf;
        return p[1] >= lo && p[1] <= hi ? 3 : 0;
    }
    if (c < 0xf5) {
        if (left < 4 || (p[2] & 0xc0) != 0x80 || (p[3] & 0xc0) != 0x80) return 0;
        unsigned lo = c == 0xf0 ? 0x90 : 0x80, hi = c == 0xf4 ? 0x8f : 0xbf;
        return p[1] >= lo && p[1] <= hi ? 4 : 0;
    }
    return 0;
}

/* Four hex digits at p (bounds checked by the caller) -> value, or -1. */
static long hex4(const char *p)
{
    long v = 0;
    for (int i = 0; i < 4; i++) {
        unsigned char c = (unsigned char)p[i];
        int d;
        if (c >= '0' && c <= '9') d = c - '0';
        else if (c >= 'a' && c <= 'f') d = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F') d = c - 'A' + 10;
        else return -1;
        v = v * 16 + d;
    }
    return v;
}

/* Decodes the escape at *rp (pointing at the backslash) into out[0..3];
 * advances *rp past it.  Returns the decoded length, or -1. */
static int decode_escape(char **rp, const char *end, char *out)
{
    char *r = *rp;
    if (end - r < 2) return -1;
    char c = r[1];
    r += 2;
    int n = 1;
    switch (c) {
    case '"': out[0] = '"'; break;
    case '\\': out[0] = '\\'; break;
    case '/': out[0] = '/'; break;
    case 'b': out[0] = '\b'; break;
    case 'f': out[0] = '\f'; break;
    case 'n': out[0] = '\n'; break;
    case 'r': out[0] = '\r'; break;
    case 't': out[0] = '\t'; break;
    case 'u': {
        if (end - r < 4) return -1;
        long cp = hex4(r);
        if (cp < 0) return -1;
        r += 4;
        if (cp >= 0xdc00 && cp <= 0xdfff) return -1; /* lone low surrogate */
        if (cp >= 0xd800 && cp <= 0xdbff) {
            /* A high surrogate must be followed by \u + a low one. */
            if (end - r < 6 || r[0] != '\\' || r[1] != 'u') return -1;
            long lo = hex4(r + 2);
            if (lo < 0xdc00 || lo > 0xdfff) return -1;
            r += 6;
            cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
        }
        if (cp < 0x80) {
            out[0] = (char)cp;
        } else if (cp < 0x800) {
            out[0] = (char)(0xc0 | (cp >> 6));
            out[1] = (char)(0x80 | (cp & 0x3f));
            n = 2;
        } else if (cp < 0x10000) {
            out[0] = (char)(0xe0 | (cp >> 12));
            out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
            out[2] = (char)(0x80 | (cp & 0x3f));
            n = 3;
        } else {
            out[0] = (char)(0xf0 | (cp >> 18));
            out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
            out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
            out[3] = (char)(0x80 | (cp & 0x3f));
            n = 4;
        }
        break;
    }
    default:
        return -1;
    }
    *rp = r;
    return n;
}

/* Scans the string whose opening quote is at *pp and leaves *pp after its
 * closing quote.  When dst is non-NULL the decoded text is written there
 * (dst must not be after the string's first content byte, so writing never
 * overtakes reading); *outn gets the decoded length.  With dst NULL the
 * string is only validated.  Returns 0 or -1. */
static int scan_string(char **pp, const char *end, char *dst, size_t *outn)
{
    char *r = *pp + 1;
    char *w = dst;
    for (;;) {
        char *run = r;
        r = skip_plain(r, end);
        if (w) {
            size_t len = (size_t)(r - run);
            if (w != run) memmove(w, run, len);
            w += len;
        }
        if (r >= end) return -1;
        unsigned char c = (unsigned char)*r;
        if (c == '"') break;
        if (c == '\\') {
            char tmp[4];
            int k = decode_escape(&r, end, tmp);
            if (k < 0) return -1;
            if (w) {
                memcpy(w, tmp, (size_t)k);
                w += k;
            }
            continue;
        }
        if (c < 0x20) return -1; /* raw control byte */
        size_t k = utf8_seq((const unsigned char *)r, (const unsigned char *)end);
        if (k == 0) return -1;
        if (w) {
            if (w != r) memmove(w, r, k);
            w += k;
        }
        r += k;
    }
    if (outn) *outn = w ? (size_t)(w - dst) : (size_t)(r - (*pp + 1));
    *pp = r + 1;
    return 0;
}

/* Checks the JSON number at *pp and moves *pp past it.  Returns 0 or -1. */
static int scan_number(char **pp, const char *end)
{
    char *p = *pp;
    if (p < end && *p == '-') p++;
    if (p >= end) return -1;
    if (*p == '0') {
        p++;
    } else if (*p >= '1' && *p <= '9') {
        while (p < end && *p >= '0' && *p <= '9') p++;
    } else {
        return -1;
    }
    if (p < end && *p == '.') {
        p++;
        if (p >= end || *p < '0' || *p > '9') return -1;
        while (p < end && *p >= '0' && *p <= '9') p++;
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        p++;
        if (p < end && (*p == '+' || *p == '-')) p++;
        if (p >= end || *p < '0' || *p > '9') return -1;
        while (p < end && *p >= '0' && *p <= '9') p++;
    }
    *pp = p;
    return 0;
}

/* Checks the literal `lit` (true/false/null) at *pp.  Returns 0 or -1. */
static int scan_literal(char **pp, const char *end, const char *lit, size_t n)
{
    if ((size_t)(end - *pp) < n || memcmp(*pp, lit, n) != 0) return -1;
    *pp += n;
    return 0;
}

/* Validates any value at *pp without modifying it; `depth` is the nesting
 * of the container the value is in.  Returns 0 or -1. */
static int skip_value(char **pp, const char *end, int depth)
{
    char *p = *pp;
    if (p >= end) return -1;
    switch (*p) {
    case '"':
        return scan_string(pp, end, NULL, NULL);
    case 't': return scan_literal(pp, end, "true", 4);
    case 'f': return scan_literal(pp, end, "false", 5);
    case 'n': return scan_literal(pp, end, "null", 4);
    case '[':
    case '{': {
        char close = *p == '[' ? ']' : '}';
        int is_obj = *p == '{';
        if (depth + 1 > MAX_DEPTH) return -1;
        p = skip_ws(p + 1, end);
        if (p < end && *p == close) {
            *pp = p + 1;
            return 0;
        }
        for (;;) {
            if (is_obj) {
                if (p >= end || *p != '"' || scan_string(&p, end, NULL, NULL)) return -1;
                p = skip_ws(p, end);
                if (p >= end || *p != ':') return -1;
                p = skip_ws(p + 1, end);
            }
            if (skip_value(&p, end, depth + 1)) return -1;
            p = skip_ws(p, end);
            if (p >= end) return -1;
            if (*p == ',') {
                p = skip_ws(p + 1, end);
                continue;
            }
            if (*p != close) return -1;
            *pp = p + 1;
            return 0;
        }
    }
    default:
        return scan_number(pp, end);
    }
}

/* Reads one value at sc->p into *v: strings decoded in place, containers
 * validated and given as raw text.  Returns 0 or -1. */
static int read_value(scanner *sc, int depth, vigil__json_val *v)
{
    char *p = sc->p;
    v->p = p;
    switch (*p) {
    case '"':
        v->kind = VIGIL__JSON_STRING;
        v->p = p + 1;
        return scan_string(&sc->p, sc->end, p + 1, &v->n);
    case 't':
    case 'f':
        v->kind = VIGIL__JSON_BOOL;
        break;
    case 'n':
        v->kind = VIGIL__JSON_NULL;
        break;
    case '[':
        v->kind = VIGIL__JSON_ARRAY;
        break;
    case '{':
        v->kind = VIGIL__JSON_OBJECT;
        break;
    default:
        v->kind = VIGIL__JSON_NUMBER;
        break;
    }
    if (skip_value(&sc->p, sc->end, depth)) return -1;
    v->n = (size_t)(sc->p - p);
    return 0;
}

/* Parses the members of an object whose '{' was just consumed; `depth` is
 * that object's nesting (1 for the top level).  Returns 0, -1 on bad JSON,
 * or the callback's nonzero answer. */
static int parse_members(scanner *sc, int depth)
{
    sc->p = skip_ws(sc->p, sc->end);
    if (sc->p < sc->end && *sc->p == '}') {
        sc->p++;
        return 0;
    }
    for (;;) {
        if (sc->p >= sc->end || *sc->p != '"') return -1;
        char *k = sc->p + 1;
        size_t kn;
        if (scan_string(&sc->p, sc->end, k, &kn)) return -1;
        sc->p = skip_ws(sc->p, sc->end);
        if (sc->p >= sc->end || *sc->p != ':') return -1;
        sc->p = skip_ws(sc->p + 1, sc->end);
        if (sc->p >= sc->end) return -1;
        if (*sc->p == '{' && sc->flatten) {
            if (depth + 1 > MAX_DEPTH) return -1;
            size_t saved = sc->keylen;
            if (saved + kn + 1 > KEY_MAX) return -1;
            memcpy(sc->key + saved, k, kn);
            sc->key[saved + kn] = '.';
            sc->keylen = saved + kn + 1;
            sc->p++;
            int rc = parse_members(sc, depth + 1);
            sc->keylen = saved;
            if (rc) return rc;
        } else {
            vigil__json_val v;
            if (read_value(sc, depth, &v)) return -1;
            const char *key = k;
            size_t keyn = kn;
            if (sc->keylen) {
                if (sc->keylen + kn > KEY_MAX) return -1;
                memcpy(sc->key + sc->keylen, k, kn);
                key = sc->key;
                keyn = sc->keylen + kn;
            }
            if (sc->fn) {
                int rc = sc->fn(sc->user, key, keyn, &v);
                if (rc) return rc;
            }
        }
        sc->p = skip_ws(sc->p, sc->end);
        if (sc->p >= sc->end) return -1;
        if (*sc->p == ',') {
            sc->p = skip_ws(sc->p + 1, sc->end);
            continue;
        }
        if (*sc->p != '}') return -1;
        sc->p++;
        return 0;
    }
}

/* ---- public scanner calls ------------------------------------------------- */

int vigil__json_each(char *s, size_t n, int flatten, vigil__json_fn fn, void *user)
{
    scanner sc;
    sc.p = s;
    sc.end = s + n;
    sc.flatten = flatten;
    sc.fn = fn;
    sc.user = user;
    sc.keylen = 0;
    sc.p = skip_ws(sc.p, sc.end);
    if (sc.p >= sc.end || *sc.p != '{') return -1;
    sc.p++;
    int rc = parse_members(&sc, 1);
    if (rc) return rc;
    sc.p = skip_ws(sc.p, sc.end);
    return sc.p == sc.end ? 0 : -1;
}

int vigil__json_array_each(char *p, size_t n, vigil__json_fn fn, void *user)
{
    char *end = p + n;
    p = skip_ws(p, end);
    if (p >= end || *p != '[') return -1;
    p = skip_ws(p + 1, end);
    if (p < end && *p == ']') {
        p = skip_ws(p + 1, end);
        return p == end ? 0 : -1;
    }
    for (;;) {
        if (p >= end) return -1;
        vigil__json_val v;
        scanner sc; /* only p/end are used by read_value */
        sc.p = p;
        sc.end = end;
        if (read_value(&sc, 1, &v)) return -1;
        p = sc.p;
        if (fn) {
            int rc = fn(user, NULL, 0, &v);
            if (rc) return rc;
        }
        p = skip_ws(p, end);
        if (p >= end) return -1;
        if (*p == ',') {
            p = skip_ws(p + 1, end);
            continue;
        }
        if (*p != ']') return -1;
        p = skip_ws(p + 1, end);
        return p == end ? 0 : -1;
    }
}

/* Checks that [p, end) is an array of strings, numbers and booleans only.
 * Returns 0 or -1; never modifies the text. */
static int check_scalar_array(char *p, const char *end)
{
    p = skip_ws(p, end);
    if (p >= end || *p != '[') return -1;
    p = skip_ws(p + 1, end);
    if (p < end && *p == ']') return skip_ws(p + 1, end) == end ? 0 : -1;
    for (;;) {
        if (p >= end) return -1;
        if (*p == '[' || *p == '{' || *p == 'n') return -1;
        if (skip_value(&p, end, 1)) return -1;
        p = skip_ws(p, end);
        if (p >= end) return -1;
        if (*p == ',') {
            p = skip_ws(p + 1, end);
            continue;
        }
        if (*p != ']') return -1;
        return skip_ws(p + 1, end) == end ? 0 : -1;
    }
}

long vigil__json_join_array(char *p, size_t n, char sep)
{
    char *end = p + n;
    /* First a read-only pass, so that a refused array is left untouched. */
    if (check_scalar_array(p, end)) return -1;
    /* Then rewrite from p on: the '[' and each item's quotes leave at least
     * one byte of slack, so the writer never overtakes the reader. */
    char *w = p;
    char *r = skip_ws(p, end) + 1;
    int first = 1;
    for (;;) {
        r = skip_ws(r, end);
        if (*r == ']') break;
        if (*r == ',') {
            r++;
            continue;
        }
        if (!first) *w++ = sep;
        first = 0;
        if (*r == '"') {
            size_t len;
            if (scan_string(&r, end, w, &len)) return -1; /* cannot happen */
            w += len;
        } else {
            char *start = r;
            if (skip_value(&r, end, 1)) return -1; /* cannot happen */
            size_t len = (size_t)(r - start);
            memmove(w, start, len);
            w += len;
        }
    }
    return (long)(w - p);
}

/* ---- a line's member table ------------------------------------------------ */

struct vigil__json_line {
    vigil_allocator alloc;       /* what m and keys are allocated with */
    vigil__json_member *m;       /* the members of the last parsed line */
    size_t count;                /* members in m */
    size_t cap;                  /* capacity of m */
    char *keys;                  /* copies of flattened keys (they are built
                                    in the scanner's stack buffer) */
    size_t keys_used;            /* bytes used in keys */
    size_t keys_cap;             /* capacity of keys */
    const char *line_beg;        /* the line being parsed: keys inside it */
    const char *line_end;        /*   need no copy */
    int failure;                 /* VIGIL__JSON_LINE_* set by the callback */
};

vigil_status vigil__json_line_new(vigil__json_line **out, const vigil_allocator *alloc)
{
    vigil_allocator a;
    vigil__alloc_init(&a, alloc);
    vigil__json_line *jl = vigil__calloc(&a, 1, sizeof *jl);
    if (!jl) return VIGIL_ENOMEM;
    jl->alloc = a;
    jl->cap = LINE_MEMBERS0;
    jl->m = vigil__malloc(&a, jl->cap * sizeof *jl->m);
    jl->keys_cap = 4096;
    jl->keys = vigil__malloc(&a, jl->keys_cap);
    if (!jl->m || !jl->keys) {
        vigil__json_line_free(jl);
        return VIGIL_ENOMEM;
    }
    *out = jl;
    return VIGIL_OK;
}

void vigil__json_line_free(vigil__json_line *jl)
{
    if (!jl) return;
    vigil_allocator a = jl->alloc;
    vigil__free(&a, jl->m);
    vigil__free(&a, jl->keys);
    vigil__free(&a, jl);
}

/* vigil__json_each callback of vigil__json_line_parse: appends a member. */
static int collect_member(void *user, const char *key, size_t keylen, vigil__json_val *v)
{
    vigil__json_line *jl = user;
    if (jl->count == jl->cap) {
        if (jl->cap >= LINE_MEMBERS_MAX) {
            jl->failure = VIGIL__JSON_LINE_TOO_MANY;
            return 1;
        }
        size_t nc = jl->cap * 2;
        vigil__json_member *nm = vigil__realloc(&jl->alloc, jl->m, nc * sizeof *nm);
        if (!nm) {
            jl->failure = VIGIL__JSON_LINE_NOMEM;
            return 1;
        }
        jl->m = nm;
        jl->cap = nc;
    }
    vigil__json_member *m = &jl->m[jl->count++];
    m->keylen = keylen;
    m->raw = 0;
    if (key >= jl->line_beg && key < jl->line_end) {
        m->key = key;
    } else {
        /* A flattened key: copy it.  The pointer is set after the whole
         * line is parsed, since keys may still move when the buffer grows. */
        if (jl->keys_cap - jl->keys_used < keylen) {
            size_t nc = jl->keys_cap;
            while (nc - jl->keys_used < keylen) nc *= 2;
            char *nk = vigil__realloc(&jl->alloc, jl->keys, nc);
            if (!nk) {
                jl->failure = VIGIL__JSON_LINE_NOMEM;
                return 1;
            }
            jl->keys = nk;
            jl->keys_cap = nc;
        }
        memcpy(jl->keys + jl->keys_used, key, keylen);
        jl->keys_used += keylen;
        m->key = NULL;
    }
    m->v = *v;
    if (v->kind == VIGIL__JSON_ARRAY) {
        long joined = vigil__json_join_array(v->p, v->n, ',');
        if (joined >= 0) m->v.n = (size_t)joined;
        else m->raw = 1;
    } else if (v->kind == VIGIL__JSON_OBJECT) {
        m->raw = 1;
    }
    return 0;
}

int vigil__json_line_parse(vigil__json_line *jl, char *s, size_t n)
{
    jl->count = 0;
    jl->keys_used = 0;
    jl->failure = 0;
    jl->line_beg = s;
    jl->line_end = s + n;
    int rc = vigil__json_each(s, n, 1, collect_member, jl);
    if (rc != 0) {
        int why = jl->failure ? jl->failure : VIGIL__JSON_LINE_BAD;
        jl->count = 0;
        return why;
    }
    size_t off = 0;
    for (size_t i = 0; i < jl->count; i++) {
        if (jl->m[i].key) continue;
        jl->m[i].key = jl->keys + off;
        off += jl->m[i].keylen;
    }
    return VIGIL__JSON_LINE_OK;
}

void vigil__json_line_clear(vigil__json_line *jl)
{
    jl->count = 0;
}

size_t vigil__json_line_count(const vigil__json_line *jl)
{
    return jl->count;
}

const vigil__json_member *vigil__json_line_members(const vigil__json_line *jl)
{
    return jl->m;
}

const vigil__json_member *vigil__json_line_find(const vigil__json_line *jl,
                                                const char *key, size_t len)
{
    for (size_t i = 0; i < jl->count; i++) {
        const vigil__json_member *m = &jl->m[i];
        if (m->keylen == len && memcmp(m->key, key, len) == 0) return m;
    }
    return NULL;
}
