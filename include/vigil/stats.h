/* stats.h -- what `vigil stats` reports: per-log counts, spans, addresses. */
#ifndef VIGIL_STATS_H
#define VIGIL_STATS_H

#include <stddef.h>
#include <stdint.h>
#include <vigil/addr.h>
#include <vigil/alloc.h>
#include <vigil/diag.h>
#include <vigil/error.h>
#include <vigil/reader.h>
#include <vigil/record.h>

typedef struct vigil_stats vigil_stats;

/* Summary of one log type (by the record's `path`: "conn", "dns", ...). */
typedef struct vigil_log_summary {
    const char *name;          /* log name, owned by the stats object */
    vigil_log_type type;       /* record family */
    uint64_t records;          /* records read */
    uint64_t skipped;          /* records skipped in logs of this name */
    double first_ts;           /* earliest ts (0 when records == 0) */
    double last_ts;            /* latest ts */
    uint64_t internal_addrs;   /* distinct internal addresses seen */
    uint64_t external_addrs;   /* distinct external addresses seen */
} vigil_log_summary;

/* Creates an empty accumulator.  `internal` (borrowed, must outlive the
 * stats) says which addresses are internal; Zeek's local_orig/local_resp
 * flags, when set to T, also mark an address internal. */
vigil_status vigil_stats_new(vigil_stats **out, const vigil_netset *internal,
                             const vigil_allocator *alloc);
void vigil_stats_free(vigil_stats *s);

/* Accounts one record. */
vigil_status vigil_stats_add(vigil_stats *s, const vigil_record *rec);
/* Accounts a skip diagnostic (kind VIGIL_DIAG_SKIPPED). */
vigil_status vigil_stats_add_skip(vigil_stats *s, const vigil_diag *d);
/* Counts one file read. */
void vigil_stats_add_file(vigil_stats *s);
/* Adds everything in `src` to `dst` (for per-thread accumulators). */
vigil_status vigil_stats_merge(vigil_stats *dst, const vigil_stats *src);

/* Reads `nfiles` files on up to `threads` threads (0: one per core) into
 * `s`, reporting diagnostics through opts->diag (serialised).  Files that
 * cannot be opened are reported as VIGIL_DIAG_UNREADABLE and counted in
 * *unreadable; files that are not logs are reported as skipped. */
vigil_status vigil_stats_scan(vigil_stats *s, const char *const *files,
                              size_t nfiles, int threads,
                              const vigil_reader_opts *opts,
                              size_t *unreadable);

/* Number of log names seen, and the i-th summary (sorted by name). */
size_t vigil_stats_log_count(const vigil_stats *s);
vigil_status vigil_stats_log(const vigil_stats *s, size_t i,
                             vigil_log_summary *out);
/* Totals. */
uint64_t vigil_stats_skipped_by(const vigil_stats *s, vigil_skip_reason r);
uint64_t vigil_stats_files(const vigil_stats *s);
uint64_t vigil_stats_internal_addrs(const vigil_stats *s); /* all logs */
uint64_t vigil_stats_external_addrs(const vigil_stats *s);

#endif
