/* util_addr.c -- parse/format 16-byte addresses; CIDR sets (vigil_netset). */
#include <string.h>
#include <arpa/inet.h>
#include "internal.h"

static const uint8_t v4_prefix[12] = { 0,0,0,0, 0,0,0,0, 0,0,0xff,0xff };

int vigil_addr_is_v4(const vigil_addr *a) { return memcmp(a->b, v4_prefix, 12) == 0; }

/* Dotted-quad parser: the common case on the hot path, so no inet_pton
 * (which needs a NUL-terminated copy). */
static int parse_v4(const char *s, size_t n, uint8_t out[4])
{
    size_t i = 0;
    for (int part = 0; part < 4; part++) {
        if (part) {
            if (i >= n || s[i] != '.') return 0;
            i++;
        }
        unsigned v = 0, nd = 0;
        while (i < n && s[i] >= '0' && s[i] <= '9') {
            v = v * 10 + (unsigned)(s[i] - '0');
            if (++nd > 3) return 0;
            i++;
        }
        if (nd == 0 || v > 255 || (nd > 1 && s[i - nd] == '0')) return 0;
        out[part] = (uint8_t)v;
    }
    return i == n;
}

int vigil_addr_parse(const char *s, size_t n, vigil_addr *out)
{
    if (n == 0 || n >= 64) return 0;
    if (n <= 15) {
        /* Dotted IPv4 first: no scan for ':' on the common case.  The
         * vector path reads 16 bytes, so only inside padded buffers; text
         * from elsewhere goes through a padded copy. */
        char pad[32] = { 0 };
        memcpy(pad, s, n);
        if (vigil__addr_v4_fast(pad, n, out)) return 1;
        uint8_t q[4];
        if (parse_v4(s, n, q)) {
            memcpy(out->b, v4_prefix, 12);
            memcpy(out->b + 12, q, 4);
            return 1;
        }
    }
    if (memchr(s, ':', n) == NULL) return 0;
    char tmp[64];
    memcpy(tmp, s, n);
    tmp[n] = 0;
    /* Zone ids (fe80::1%eth0) are dropped: they name an interface, not a host. */
    char *pct = strchr(tmp, '%');
    if (pct) *pct = 0;
    struct in6_addr a6;
    if (inet_pton(AF_INET6, tmp, &a6) != 1) return 0;
    memcpy(out->b, &a6, 16);
    return 1;
}

char *vigil_addr_format(const vigil_addr *a, char *buf)
{
    if (vigil_addr_is_v4(a)) {
        if (!inet_ntop(AF_INET, a->b + 12, buf, VIGIL_ADDR_STRLEN)) strcpy(buf, "?");
    } else if (!inet_ntop(AF_INET6, a->b, buf, VIGIL_ADDR_STRLEN)) {
        strcpy(buf, "?");
    }
    return buf;
}

/* ---- CIDR sets ----------------------------------------------------------- */

typedef struct prefix {
    vigil_addr net;   /* network address, host bits zero */
    unsigned len;     /* prefix length over the 16-byte form */
} prefix;

struct vigil_netset {
    vigil_allocator alloc;
    prefix *v;        /* prefixes */
    size_t n, cap;
};

vigil_status vigil_netset_new(vigil_netset **out, const vigil_allocator *alloc)
{
    vigil_allocator a;
    vigil__alloc_init(&a, alloc);
    vigil_netset *s = vigil__calloc(&a, 1, sizeof *s);
    if (!s) return VIGIL_ENOMEM;
    s->alloc = a;
    *out = s;
    return VIGIL_OK;
}

void vigil_netset_free(vigil_netset *s)
{
    if (!s) return;
    vigil_allocator a = s->alloc;
    vigil__free(&a, s->v);
    vigil__free(&a, s);
}

static void mask_addr(vigil_addr *a, unsigned len)
{
    for (unsigned i = 0; i < 16; i++) {
        unsigned bits = len > i * 8 ? len - i * 8 : 0;
        if (bits >= 8) continue;
        a->b[i] &= (uint8_t)(0xff00u >> bits);
    }
}

vigil_status vigil_netset_add(vigil_netset *s, const char *cidr)
{
    if (!s || !cidr) return VIGIL_EINVAL;
    const char *slash = strchr(cidr, '/');
    size_t alen = slash ? (size_t)(slash - cidr) : strlen(cidr);
    vigil_addr a;
    if (!vigil_addr_parse(cidr, alen, &a)) return VIGIL_EINVAL;
    unsigned maxlen = vigil_addr_is_v4(&a) && !memchr(cidr, ':', alen) ? 32 : 128;
    unsigned len = maxlen;
    if (slash) {
        uint64_t v;
        if (!vigil__parse_u64_safe(slash + 1, strlen(slash + 1), &v) || v > maxlen)
            return VIGIL_EINVAL;
        len = (unsigned)v;
    }
    if (maxlen == 32) len += 96;
    mask_addr(&a, len);
    if (s->n == s->cap) {
        size_t nc = s->cap ? s->cap * 2 : 8;
        prefix *nv = vigil__realloc(&s->alloc, s->v, nc * sizeof *nv);
        if (!nv) return VIGIL_ENOMEM;
        s->v = nv;
        s->cap = nc;
    }
    s->v[s->n].net = a;
    s->v[s->n].len = len;
    s->n++;
    return VIGIL_OK;
}

vigil_status vigil_netset_add_private(vigil_netset *s)
{
    static const char *const nets[] = {
        "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7",
    };
    for (size_t i = 0; i < sizeof nets / sizeof nets[0]; i++) {
        vigil_status rc = vigil_netset_add(s, nets[i]);
        if (rc != VIGIL_OK) return rc;
    }
    return VIGIL_OK;
}

int vigil_netset_contains(const vigil_netset *s, const vigil_addr *a)
{
    for (size_t i = 0; i < s->n; i++) {
        vigil_addr m = *a;
        mask_addr(&m, s->v[i].len);
        if (memcmp(m.b, s->v[i].net.b, 16) == 0) return 1;
    }
    return 0;
}

size_t vigil_netset_count(const vigil_netset *s) { return s ? s->n : 0; }
