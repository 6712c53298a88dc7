/* addr.h -- IPv4/IPv6 addresses stored in 16 bytes, and CIDR sets. */
#ifndef VIGIL_ADDR_H
#define VIGIL_ADDR_H

#include <stddef.h>
#include <stdint.h>
#include <vigil/alloc.h>
#include <vigil/error.h>

/* An address is always 16 bytes: IPv6 as is, IPv4 as the IPv4-mapped IPv6
 * address ::ffff:a.b.c.d.  Compare with memcmp; an all-zero address means
 * "unset". */
typedef struct vigil_addr {
    uint8_t b[16];
} vigil_addr;

/* Longest text form vigil_addr_format writes, with its NUL. */
#define VIGIL_ADDR_STRLEN 46

/* Parses `n` bytes at `s` (not NUL-terminated) as dotted IPv4 or IPv6 text.
 * Returns 1 and fills *out on success, 0 when the text is not an address. */
int vigil_addr_parse(const char *s, size_t n, vigil_addr *out);

/* Writes the canonical text form of `a` into buf (at least VIGIL_ADDR_STRLEN
 * bytes); IPv4-mapped addresses print as dotted quads.  Returns buf. */
char *vigil_addr_format(const vigil_addr *a, char *buf);

/* 1 when `a` is an IPv4(-mapped) address. */
int vigil_addr_is_v4(const vigil_addr *a);

/* A set of CIDR prefixes (e.g. "the internal networks").  Immutable once
 * built, so it can be shared by reader threads. */
typedef struct vigil_netset vigil_netset;

/* Creates an empty set.  `alloc` may be NULL (libc).  Free with
 * vigil_netset_free. */
vigil_status vigil_netset_new(vigil_netset **out, const vigil_allocator *alloc);
/* Frees the set; NULL is a no-op. */
void vigil_netset_free(vigil_netset *set);
/* Adds "a.b.c.d/len", "v6::/len" or a bare address.  VIGIL_EINVAL when the
 * text is not a prefix. */
vigil_status vigil_netset_add(vigil_netset *set, const char *cidr);
/* Adds RFC 1918, RFC 4193 (fc00::/7), the default internal networks. */
vigil_status vigil_netset_add_private(vigil_netset *set);
/* 1 when `a` falls in any prefix of the set. */
int vigil_netset_contains(const vigil_netset *set, const vigil_addr *a);
/* Number of prefixes in the set. */
size_t vigil_netset_count(const vigil_netset *set);

#endif
