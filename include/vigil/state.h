/* state.h -- the state database: what earlier hunts saw, kept in one
 * embedded SQLite file, so a hunt given only yesterday's logs still sees the
 * beacon that has been going for three weeks (DESIGN.md question 2).
 *
 * What it keeps, per UTC day of the records (docs/state.md has the schema):
 * the per-pair daily aggregates the detectors need (connection times and
 * sizes, durations, states), the names seen for each address, the DNS
 * activity per (host, domain), NXDOMAIN evidence, per-destination first /
 * last seen and the hosts that talked to it, the input files already
 * ingested (path, size, mtime, a hash of the first 64 KiB), and the
 * findings already reported (new / ongoing).
 *
 * Every change is made in one transaction: a run killed at any point
 * leaves the database as it was before the run or after it, never between.
 * A file that is not a vigil state database is refused and never written. */
#ifndef VIGIL_STATE_H
#define VIGIL_STATE_H

#include <stddef.h>
#include <stdint.h>
#include <vigil/addr.h>
#include <vigil/alloc.h>
#include <vigil/error.h>

typedef struct vigil_state vigil_state;

#define VIGIL_STATE_READONLY 1u   /* open for reading only (vigil dest) */
#define VIGIL_STATE_SCHEMA 2      /* the schema version this build writes */

typedef struct vigil_state_opts {
    const vigil_allocator *alloc; /* NULL: libc */
    unsigned flags;               /* VIGIL_STATE_* */
    int busy_timeout_ms;          /* how long to wait for another run holding
                                     the database (0: 10000; < 0: fail at
                                     once) */
} vigil_state_opts;

/* Opens the state database at `path`, creating it (and its directory's
 * last component is NOT created: the directory must exist) unless
 * READONLY.  An existing file must be a vigil state: an SQLite file of
 * vigil's (its meta table says so) that passes PRAGMA quick_check; an
 * older schema is migrated in one transaction; a newer one is refused.
 * On failure *out is NULL and, when err is given, a sentence saying why is
 * written there.  VIGIL_ESTATE: not a vigil state, corrupt, or newer;
 * VIGIL_EBUSY: another run holds it past the busy timeout; VIGIL_ENOENT:
 * cannot be opened / created. */
vigil_status vigil_state_open(vigil_state **out, const char *path, const vigil_state_opts *opts,
                              char *err, size_t errlen);
void vigil_state_close(vigil_state *s);

/* The last error of an operation on s, as a sentence ("" when none). */
const char *vigil_state_errmsg(const vigil_state *s);

/* The documented default path: $VIGIL_STATE, else
 * $XDG_STATE_HOME/vigil/state.db, else $HOME/.local/state/vigil/state.db.
 * Writes it into buf (n bytes); returns 0 when no default can be formed
 * (no HOME) or it does not fit. */
int vigil_state_default_path(char *buf, size_t n);

/* Figures about what the state holds. */
typedef struct vigil_state_info {
    int schema;                /* schema version */
    uint64_t batches;          /* ingest runs kept */
    uint64_t files;            /* input files ingested */
    uint64_t days;             /* distinct UTC days with detail */
    int64_t first_day, last_day; /* epoch day numbers (days since 1970) */
    uint64_t pair_days;        /* per-pair daily rows */
    uint64_t destinations;     /* external addresses ever seen */
    uint64_t findings;         /* findings ever reported */
} vigil_state_info;
vigil_status vigil_state_info_get(vigil_state *s, vigil_state_info *out);

/* ---- one destination: `vigil dest` ---------------------------------------- */

/* A name seen behind the address. */
typedef struct vigil_dest_name {
    char name[256];
    const char *source;        /* "sni", "http" or "dns" (static) */
    vigil_addr host;           /* the internal host that used / asked it
                                  (all-zero for a DNS answer when unknown) */
    double last_ts;            /* latest time seen */
} vigil_dest_name;

/* One internal host's contact with the address on one UTC day. */
typedef struct vigil_dest_day {
    vigil_addr host;           /* internal host */
    int64_t day;               /* epoch day number */
    uint16_t dport;            /* the port with the most connections */
    uint8_t proto;             /* vigil_proto of that port */
    uint32_t ports;            /* distinct ports that day */
    uint64_t conns;            /* connections */
    uint64_t bytes_out, bytes_in;
    double first_ts, last_ts;  /* span that day */
} vigil_dest_day;

typedef struct vigil_dest_report {
    vigil_addr addr;           /* the destination */
    double first_seen, last_seen; /* any internal host, all history (0 when
                                  never seen) */
    uint32_t hosts;            /* distinct internal hosts (kept history) */
    vigil_dest_name *names;    /* most recent first */
    size_t nnames;
    vigil_dest_day *days;      /* by day, then host */
    size_t ndays;
} vigil_dest_report;

/* Everything the state knows about the addresses `q` names: an address
 * ("147.32.83.234", "2001:db8::1") or a name ("evil.example": every address
 * a DNS answer, SNI or HTTP Host tied to that name or a name under it).
 * *out receives an array of *n reports (one per address, by address); free
 * with vigil_dest_reports_free.  Nothing known: *n = 0. */
vigil_status vigil_state_dest(vigil_state *s, const char *q, vigil_dest_report **out, size_t *n);
void vigil_dest_reports_free(vigil_state *s, vigil_dest_report *r, size_t n);

#endif
