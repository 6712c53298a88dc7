/* error.h -- vigil_status, the one error convention of libvigil. */
#ifndef VIGIL_ERROR_H
#define VIGIL_ERROR_H

/* Every fallible library call returns a vigil_status.  The enum is
 * append-only: codes are never renumbered or reused, so a number a script
 * saw once keeps its meaning.  A malformed *record* is never an error: it is
 * skipped, counted and reported through the diagnostics sink (diag.h). */
typedef enum vigil_status {
    VIGIL_OK = 0,          /* success */
    VIGIL_ENOMEM = 1,      /* an allocation failed */
    VIGIL_EIO = 2,         /* a read or write failed (errno kept by the caller's sink) */
    VIGIL_EINVAL = 3,      /* bad argument from the caller */
    VIGIL_ENOENT = 4,      /* a path does not exist or cannot be opened */
    VIGIL_EFORMAT = 5,     /* a whole input is not in any format vigil reads */
    VIGIL_EUNSUPPORTED = 6,/* a feature this build does not have */
    VIGIL_ELIMIT = 7,      /* an internal limit was exceeded (e.g. line length) */
    VIGIL_ETHREAD = 8,     /* a thread could not be started */
    VIGIL_ESTATE = 9,      /* a state database vigil cannot use (not one of
                              vigil's, corrupt, or from a newer vigil) */
    VIGIL_EBUSY = 10,      /* the state database is in use by another run */
    VIGIL_ENOSPC = 11      /* no space left to write (the state is intact) */
} vigil_status;

/* Returns a static, human-readable string for `st` (never NULL). */
const char *vigil_strerror(vigil_status st);

#endif
