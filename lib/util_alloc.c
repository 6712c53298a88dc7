/* util_alloc.c -- the default allocator and the wrappers every object uses. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include "internal.h"

static void *libc_malloc(void *u, size_t n) { (void)u; return malloc(n ? n : 1); }
static void *libc_realloc(void *u, void *p, size_t n) { (void)u; return realloc(p, n ? n : 1); }
static void libc_free(void *u, void *p) { (void)u; free(p); }

static const vigil_allocator libc_allocator = { libc_malloc, libc_realloc, libc_free, NULL };

const vigil_allocator *vigil_allocator_default(void) { return &libc_allocator; }

void vigil__alloc_init(vigil_allocator *dst, const vigil_allocator *src)
{
    *dst = src ? *src : libc_allocator;
}

void *vigil__malloc(const vigil_allocator *a, size_t n) { return a->malloc_fn(a->user, n); }

void *vigil__calloc(const vigil_allocator *a, size_t n, size_t size)
{
    if (size && n > SIZE_MAX / size) return NULL;
    void *p = a->malloc_fn(a->user, n * size);
    if (p) {
        vigil__populate(p, n * size); /* memset writes every page */
        memset(p, 0, n * size);
    }
    return p;
}

void *vigil__malloc_full(const vigil_allocator *a, size_t n)
{
    void *p = a->malloc_fn(a->user, n);
    vigil__populate(p, n);
    return p;
}

void vigil__populate(void *p, size_t n)
{
    if (n >= VIGIL__POPULATE_MIN) vigil__populate_pages(p, n);
}

void vigil__populate_pages(void *p, size_t n)
{
#ifdef MADV_POPULATE_WRITE
    if (!p || !n) return;
    /* The pages holding the first and the last byte are mapped, so the
     * range rounded out to 4 KB pages is; with bigger pages the call
     * fails on the alignment, which costs nothing. */
    uintptr_t b = (uintptr_t)p & ~(uintptr_t)4095;
    uintptr_t e = ((uintptr_t)p + n + 4095) & ~(uintptr_t)4095;
    (void)madvise((void *)b, e - b, MADV_POPULATE_WRITE);
#else
    (void)p;
    (void)n;
#endif
}

void *vigil__realloc(const vigil_allocator *a, void *p, size_t n) { return a->realloc_fn(a->user, p, n); }

void vigil__free(const vigil_allocator *a, void *p)
{
    if (p) a->free_fn(a->user, p);
}

char *vigil__strndup(const vigil_allocator *a, const char *s, size_t n)
{
    char *d = vigil__malloc(a, n + 1);
    if (!d) return NULL;
    memcpy(d, s, n);
    d[n] = 0;
    return d;
}

char *vigil__strdup(const vigil_allocator *a, const char *s) { return vigil__strndup(a, s, strlen(s)); }
