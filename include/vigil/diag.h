/* diag.h -- how libvigil reports skipped records and ignored files. */
#ifndef VIGIL_DIAG_H
#define VIGIL_DIAG_H

#include <stdint.h>

/* Why a record (or a whole file) was skipped.  Append-only; the names
 * (vigil_skip_reason_name) are a stable interface in `stats --format json`. */
typedef enum vigil_skip_reason {
    VIGIL_SKIP_NONE = 0,
    VIGIL_SKIP_TOO_FEW_FIELDS = 1,  /* a TSV line with fewer fields than #fields */
    VIGIL_SKIP_TOO_MANY_FIELDS = 2, /* a TSV line with more fields than #fields */
    VIGIL_SKIP_BAD_TIMESTAMP = 3,   /* ts missing, not a number / ISO date */
    VIGIL_SKIP_BAD_ADDRESS = 4,     /* id.orig_h / id.resp_h not an address */
    VIGIL_SKIP_BAD_PORT = 5,        /* a port not in 0..65535 */
    VIGIL_SKIP_BAD_NUMBER = 6,      /* a count/interval field not a number */
    VIGIL_SKIP_BAD_JSON = 7,        /* a JSON line that does not parse */
    VIGIL_SKIP_NO_HEADER = 8,       /* a TSV data line before any #fields */
    VIGIL_SKIP_BAD_HEADER = 9,      /* malformed #fields/#types, or #types
                                       with a type vigil does not know */
    VIGIL_SKIP_UNKNOWN_LOG_TYPE = 10, /* the log's type cannot be told */
    VIGIL_SKIP_BINARY = 11,         /* NUL or other binary bytes in a text log */
    VIGIL_SKIP_TRUNCATED_GZIP = 12, /* a .gz that ends early or is corrupt */
    VIGIL_SKIP_LINE_TOO_LONG = 13,  /* a line longer than the reader's limit */
    VIGIL_SKIP_BAD_PACKET = 14,     /* a packet vigil cannot decode */
    VIGIL_SKIP_TRUNCATED_CAPTURE = 15, /* a pcap that ends inside a packet */
    VIGIL_SKIP_MISSING_FIELD = 16,  /* a field the record needs is absent */
    VIGIL_SKIP__COUNT
} vigil_skip_reason;

/* Stable snake_case name: "too_few_fields", "bad_timestamp", ... */
const char *vigil_skip_reason_name(vigil_skip_reason r);

/* What a diagnostic is about. */
typedef enum vigil_diag_kind {
    VIGIL_DIAG_SKIPPED = 0,  /* `count` records were skipped for `reason` */
    VIGIL_DIAG_IGNORED = 1,  /* a file in a directory walk is not a log */
    VIGIL_DIAG_UNREADABLE = 2, /* a path could not be opened or read */
    VIGIL_DIAG_NOTE = 3      /* information, not a loss (e.g. records that
                                arrived out of order but were kept) */
} vigil_diag_kind;

/* One diagnostic.  All pointers are borrowed for the duration of the call. */
typedef struct vigil_diag {
    vigil_diag_kind kind;
    vigil_skip_reason reason; /* for VIGIL_DIAG_SKIPPED */
    const char *file;         /* the file (NUL-terminated) */
    uint64_t line;            /* 1-based line or packet number; 0 = whole file */
    uint64_t count;           /* records this diagnostic covers (usually 1) */
    const char *log;          /* log type name when known ("conn"), else NULL */
    const char *detail;       /* a human sentence, e.g. "7 fields, 21 expected" */
} vigil_diag;

/* The caller's diagnostics sink.  The library never prints: it calls this.
 * When readers run on several threads the library serialises the calls. */
typedef void (*vigil_diag_fn)(void *user, const vigil_diag *d);

#endif
