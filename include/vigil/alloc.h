/* alloc.h -- the replaceable allocator every libvigil object is created with. */
#ifndef VIGIL_ALLOC_H
#define VIGIL_ALLOC_H

#include <stddef.h>

/* An allocator is three functions and a user pointer.  Objects keep a copy of
 * the allocator they were made with and use it for everything they own, so a
 * test can fail the Nth allocation and check that every call returns
 * VIGIL_ENOMEM cleanly.  Pass NULL wherever an allocator is asked for to use
 * the C library's malloc/realloc/free. */
typedef struct vigil_allocator {
    void *(*malloc_fn)(void *user, size_t size);
    void *(*realloc_fn)(void *user, void *ptr, size_t size);
    void (*free_fn)(void *user, void *ptr);
    void *user; /* passed back to the three functions */
} vigil_allocator;

/* The C library allocator, as a vigil_allocator (a constant). */
const vigil_allocator *vigil_allocator_default(void);

#endif
