/* util_config.c -- parses the allow/ignore configuration and matches
 * findings against it.
 *
 * Input: the text of a config file (include/vigil/config.h, docs/config.md).
 * Output: a rule list; vigil_config_drops() says whether a finding is
 * dropped.  Errors name file:line; a bad config is a usage error. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"
#include <vigil/config.h>

/* What a rule matches. */
typedef enum rule_type {
    RULE_DST = 1,      /* allow cidr / ignore dst: dst inside net */
    RULE_DOMAIN = 2,   /* allow domain: name is domain or below it */
    RULE_PAIR = 3,     /* allow pair: src inside net, dst inside net2, port */
    RULE_SRC = 4,      /* ignore src: src inside net */
    RULE_KIND = 5,     /* ignore kind */
    RULE_INTERNAL = 6  /* internal: not a filter */
} rule_type;

/* A prefix over the 16-byte address form. */
typedef struct cidr {
    vigil_addr net;    /* host bits zero */
    unsigned len;      /* 0..128 */
    char text[64];     /* as written (for `internal`) */
} cidr;

typedef struct rule {
    rule_type type;    /* what it matches */
    cidr net;          /* RULE_DST/SRC/PAIR (src)/INTERNAL */
    cidr net2;         /* RULE_PAIR: dst */
    int port;          /* RULE_PAIR: port, or -1 for any */
    char *domain;      /* RULE_DOMAIN: lowercase, owned */
    vigil_finding_kind kind; /* RULE_KIND */
} rule;

struct vigil_config {
    vigil_allocator alloc; /* for everything below */
    rule *v;               /* the rules */
    size_t n, cap;         /* used / allocated */
};

vigil_status vigil_config_new(vigil_config **out, const vigil_allocator *alloc)
{
    if (!out) return VIGIL_EINVAL;
    vigil_allocator al;
    vigil__alloc_init(&al, alloc);
    vigil_config *c = vigil__calloc(&al, 1, sizeof *c);
    if (!c) return VIGIL_ENOMEM;
    c->alloc = al;
    *out = c;
    return VIGIL_OK;
}

void vigil_config_free(vigil_config *c)
{
    if (!c) return;
    vigil_allocator al = c->alloc;
    for (size_t i = 0; i < c->n; i++) vigil__free(&al, c->v[i].domain);
    vigil__free(&al, c->v);
    vigil__free(&al, c);
}

size_t vigil_config_rule_count(const vigil_config *c) { return c ? c->n : 0; }

static void mask_bits(vigil_addr *a, unsigned len)
{
    for (unsigned i = 0; i < 16; i++) {
        unsigned bits = len > i * 8 ? len - i * 8 : 0;
        if (bits < 8) a->b[i] &= (uint8_t)(0xff00u >> bits);
    }
}

static int in_cidr(const cidr *c, const vigil_addr *a)
{
    vigil_addr m = *a;
    mask_bits(&m, c->len);
    return memcmp(m.b, c->net.b, 16) == 0;
}

/* "a.b.c.d", "a.b.c.d/n", "v6", "v6/n" -> *out.  1 on success. */
static int parse_cidr(const char *s, size_t n, cidr *out)
{
    const char *slash = memchr(s, '/', n);
    size_t alen = slash ? (size_t)(slash - s) : n;
    if (!vigil_addr_parse(s, alen, &out->net)) return 0;
    unsigned max = memchr(s, ':', alen) ? 128 : 32;
    unsigned len = max;
    if (slash) {
        uint64_t v;
        if (!vigil__parse_u64_safe(slash + 1, n - alen - 1, &v) || v > max) return 0;
        len = (unsigned)v;
    }
    out->len = max == 32 ? len + 96 : len;
    mask_bits(&out->net, out->len);
    snprintf(out->text, sizeof out->text, "%.*s", (int)n, s);
    return 1;
}

/* "addr[/n]", "addr:port", "[v6]:port" -> net + port (-1 when absent). */
static int parse_dst_port(const char *s, size_t n, cidr *net, int *port)
{
    *port = -1;
    const char *addr = s;
    size_t alen = n;
    const char *ps = NULL;
    if (n && s[0] == '[') {
        const char *close = memchr(s, ']', n);
        if (!close) return 0;
        addr = s + 1;
        alen = (size_t)(close - s - 1);
        if ((size_t)(close - s) + 1 < n) {
            if (close[1] != ':') return 0;
            ps = close + 2;
        }
    } else {
        const char *c1 = memchr(s, ':', n);
        if (c1 && !memchr(c1 + 1, ':', n - (size_t)(c1 - s) - 1)) { /* exactly one ':' */
            alen = (size_t)(c1 - s);
            ps = c1 + 1;
        }
    }
    if (ps) {
        uint64_t v;
        if (!vigil__parse_u64_safe(ps, n - (size_t)(ps - s), &v) || v > 65535) return 0;
        *port = (int)v;
    }
    return parse_cidr(addr, alen, net);
}

static vigil_status fail(char *err, size_t cap, const char *name, size_t line, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 5, 6)))
#endif
    ;

static vigil_status fail(char *err, size_t cap, const char *name, size_t line, const char *fmt, ...)
{
    if (err && cap) {
        int k = snprintf(err, cap, "%s:%zu: ", name, line);
        if (k >= 0 && (size_t)k < cap) {
            va_list ap;
            va_start(ap, fmt);
            vsnprintf(err + k, cap - (size_t)k, fmt, ap);
            va_end(ap);
        }
    }
    return VIGIL_EINVAL;
}

static int kind_from(const char *s, size_t n, vigil_finding_kind *out)
{
    for (int k = 1; k < VIGIL_FIND__COUNT; k++) {
        const char *nm = vigil_finding_kind_name((vigil_finding_kind)k);
        if (strlen(nm) == n && memcmp(nm, s, n) == 0) {
            *out = (vigil_finding_kind)k;
            return 1;
        }
    }
    return 0;
}

static int tok_is(const char *t, size_t n, const char *w)
{
    return strlen(w) == n && memcmp(t, w, n) == 0;
}

#define MAX_TOKENS 5 /* the longest rule has 4 words */

/* Parses one line (no newline, comments already cut). */
static vigil_status parse_line(vigil_config *c, const char *name, size_t lineno, const char *s,
                               size_t n, char *err, size_t errcap)
{
    const char *tok[MAX_TOKENS];
    size_t tlen[MAX_TOKENS], nt = 0;
    for (size_t i = 0; i < n;) {
        while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r')) i++;
        if (i >= n) break;
        size_t b = i;
        while (i < n && s[i] != ' ' && s[i] != '\t' && s[i] != '\r') i++;
        if (nt == MAX_TOKENS) return fail(err, errcap, name, lineno, "too many words");
        tok[nt] = s + b;
        tlen[nt++] = i - b;
    }
    if (nt == 0) return VIGIL_OK;
    rule r;
    memset(&r, 0, sizeof r);
    r.port = -1;
    size_t want = 0;
    if (tok_is(tok[0], tlen[0], "internal")) {
        r.type = RULE_INTERNAL;
        want = 2;
        if (nt != want) return fail(err, errcap, name, lineno, "'internal' takes one CIDR");
        if (!parse_cidr(tok[1], tlen[1], &r.net))
            return fail(err, errcap, name, lineno, "bad CIDR '%.*s'", (int)tlen[1], tok[1]);
    } else if (tok_is(tok[0], tlen[0], "allow") || tok_is(tok[0], tlen[0], "ignore")) {
        int allow = tok[0][0] == 'a';
        if (nt < 2) return fail(err, errcap, name, lineno, "'%.*s' needs a rule kind", (int)tlen[0], tok[0]);
        const char *w = tok[1];
        size_t wl = tlen[1];
        if ((allow && tok_is(w, wl, "cidr")) || (!allow && tok_is(w, wl, "dst"))) {
            r.type = RULE_DST;
            want = 3;
        } else if (allow && tok_is(w, wl, "domain")) {
            r.type = RULE_DOMAIN;
            want = 3;
        } else if (allow && tok_is(w, wl, "pair")) {
            r.type = RULE_PAIR;
            want = 4;
        } else if (!allow && tok_is(w, wl, "src")) {
            r.type = RULE_SRC;
            want = 3;
        } else if (!allow && tok_is(w, wl, "kind")) {
            r.type = RULE_KIND;
            want = 3;
        } else {
            return fail(err, errcap, name, lineno, "unknown rule '%.*s %.*s' (allow cidr|domain|pair, "
                        "ignore src|dst|kind, internal)", (int)tlen[0], tok[0], (int)wl, w);
        }
        if (nt != want)
            return fail(err, errcap, name, lineno, "'%.*s %.*s' takes %zu argument%s, %zu given",
                        (int)tlen[0], tok[0], (int)wl, w, want - 2, want == 3 ? "" : "s", nt - 2);
        const char *x = tok[2];
        size_t xl = tlen[2];
        switch (r.type) {
        case RULE_DST:
        case RULE_SRC:
            if (!parse_cidr(x, xl, &r.net))
                return fail(err, errcap, name, lineno, "bad address or CIDR '%.*s'", (int)xl, x);
            break;
        case RULE_DOMAIN: {
            if (xl > 2 && x[0] == '*' && x[1] == '.') { x += 2; xl -= 2; }
            while (xl && x[xl - 1] == '.') xl--;
            int ok = xl > 0;
            for (size_t i = 0; ok && i < xl; i++) {
                unsigned char ch = (unsigned char)x[i];
                if (!(ch == '-' || ch == '.' || ch == '_' || (ch >= '0' && ch <= '9') ||
                      ((ch | 32) >= 'a' && (ch | 32) <= 'z')))
                    ok = 0;
            }
            if (!ok) return fail(err, errcap, name, lineno, "bad domain '%.*s'", (int)tlen[2], tok[2]);
            r.domain = vigil__strndup(&c->alloc, x, xl);
            if (!r.domain) return VIGIL_ENOMEM;
            for (size_t i = 0; i < xl; i++)
                if (r.domain[i] >= 'A' && r.domain[i] <= 'Z') r.domain[i] = (char)(r.domain[i] + 32);
            break;
        }
        case RULE_PAIR:
            if (!parse_cidr(x, xl, &r.net))
                return fail(err, errcap, name, lineno, "bad source address '%.*s'", (int)xl, x);
            if (!parse_dst_port(tok[3], tlen[3], &r.net2, &r.port))
                return fail(err, errcap, name, lineno, "bad destination '%.*s' (ADDR, ADDR:PORT or [V6]:PORT)",
                            (int)tlen[3], tok[3]);
            break;
        case RULE_KIND:
            if (!kind_from(x, xl, &r.kind))
                return fail(err, errcap, name, lineno, "unknown kind '%.*s'", (int)xl, x);
            break;
        default:
            break;
        }
    } else {
        return fail(err, errcap, name, lineno, "unknown rule '%.*s' (allow, ignore, internal)",
                    (int)tlen[0], tok[0]);
    }
    if (c->n == c->cap) {
        size_t nc = c->cap ? c->cap * 2 : 16;
        rule *nv = vigil__realloc(&c->alloc, c->v, nc * sizeof *nv);
        if (!nv) {
            vigil__free(&c->alloc, r.domain);
            return VIGIL_ENOMEM;
        }
        c->v = nv;
        c->cap = nc;
    }
    c->v[c->n++] = r;
    return VIGIL_OK;
}

vigil_status vigil_config_parse(vigil_config *c, const char *name, const char *text, size_t len,
                                char *err, size_t errcap)
{
    if (err && errcap) err[0] = 0;
    if (!c || (!text && len)) return VIGIL_EINVAL;
    if (!name) name = "config";
    size_t lineno = 0;
    for (size_t i = 0; i < len;) {
        const char *nl = memchr(text + i, '\n', len - i);
        size_t end = nl ? (size_t)(nl - text) : len;
        lineno++;
        const char *line = text + i;
        size_t n = end - i;
        const char *hash = memchr(line, '#', n);
        if (hash) n = (size_t)(hash - line);
        if (memchr(line, 0, n)) return fail(err, errcap, name, lineno, "NUL byte");
        vigil_status rc = parse_line(c, name, lineno, line, n, err, errcap);
        if (rc != VIGIL_OK) return rc;
        i = end + 1;
    }
    return VIGIL_OK;
}

vigil_status vigil_config_load(vigil_config *c, const char *path, char *err, size_t errcap)
{
    if (err && errcap) err[0] = 0;
    if (!c || !path) return VIGIL_EINVAL;
    FILE *f = fopen(path, "rb");
    if (!f) {
        if (err && errcap) snprintf(err, errcap, "%s: %s", path, strerror(errno));
        return VIGIL_ENOENT;
    }
    char *buf = NULL;
    size_t len = 0, cap = 0;
    vigil_status rc = VIGIL_OK;
    for (;;) {
        if (len == cap) {
            size_t nc = cap ? cap * 2 : 4096;
            if (nc > ((size_t)64 << 20)) { /* a config is small: refuse 64 MiB */
                rc = fail(err, errcap, path, 0, "file too large");
                break;
            }
            char *nb = vigil__realloc(&c->alloc, buf, nc);
            if (!nb) { rc = VIGIL_ENOMEM; break; }
            buf = nb;
            cap = nc;
        }
        size_t got = fread(buf + len, 1, cap - len, f);
        len += got;
        if (got == 0) {
            if (ferror(f)) {
                if (err && errcap) snprintf(err, errcap, "%s: read error", path);
                rc = VIGIL_ENOENT;
            }
            break;
        }
    }
    fclose(f);
    if (rc == VIGIL_OK) rc = vigil_config_parse(c, path, buf, len, err, errcap);
    vigil__free(&c->alloc, buf);
    return rc;
}

static int addr_set(const vigil_addr *a)
{
    static const uint8_t zero[16] = { 0 };
    return memcmp(a->b, zero, 16) != 0;
}

/* 1 when name (any case) is domain or ends with "." domain. */
static int name_under(const char *name, const char *domain)
{
    size_t n = strlen(name), d = strlen(domain);
    if (n < d) return 0;
    const char *tail = name + n - d;
    for (size_t i = 0; i < d; i++) {
        char ch = tail[i];
        if (ch >= 'A' && ch <= 'Z') ch = (char)(ch + 32);
        if (ch != domain[i]) return 0;
    }
    return n == d || tail[-1] == '.';
}

int vigil_config_drops(const vigil_config *c, const vigil_finding *f)
{
    if (!c || !f) return 0;
    int has_dst = addr_set(&f->dst);
    char name[VIGIL_FINDING_NAME_LEN];
    snprintf(name, sizeof name, "%.*s", VIGIL_FINDING_NAME_LEN - 1, f->dst_name);
    for (size_t i = 0; i < c->n; i++) {
        const rule *r = &c->v[i];
        switch (r->type) {
        case RULE_DST:
            if (has_dst && in_cidr(&r->net, &f->dst)) return 1;
            break;
        case RULE_DOMAIN:
            if (name[0] && name_under(name, r->domain)) return 1;
            break;
        case RULE_PAIR:
            if (in_cidr(&r->net, &f->src) && has_dst && in_cidr(&r->net2, &f->dst) &&
                (r->port < 0 || r->port == f->dport))
                return 1;
            break;
        case RULE_SRC:
            if (in_cidr(&r->net, &f->src)) return 1;
            break;
        case RULE_KIND:
            if (f->kind == r->kind) return 1;
            break;
        default:
            break;
        }
    }
    return 0;
}

long vigil_config_add_internal(const vigil_config *c, vigil_netset *set)
{
    if (!c || !set) return 0;
    long n = 0;
    for (size_t i = 0; i < c->n; i++) {
        if (c->v[i].type != RULE_INTERNAL) continue;
        if (vigil_netset_add(set, c->v[i].net.text) != VIGIL_OK) return -1;
        n++;
    }
    return n;
}
