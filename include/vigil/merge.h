/* merge.h -- read many log files as one stream of records in time order. */
#ifndef VIGIL_MERGE_H
#define VIGIL_MERGE_H

#include <stddef.h>
#include <stdint.h>
#include <vigil/alloc.h>
#include <vigil/diag.h>
#include <vigil/error.h>
#include <vigil/reader.h>
#include <vigil/record.h>

/* Why a merge is needed.  Zeek writes a conn record when the connection
 * ENDS, but its ts is when it STARTED, so inside one file records are out of
 * ts order by up to the longest connection's duration; hourly files
 * (conn.00:00:00-01:00:00.log.gz, ...) each hold an hour of end times, so a
 * record with an early ts can sit in the next hour's file.  The merge puts
 * records from any number of such files back into ts order while holding
 * only a bounded window of them in memory.
 *
 * The window contract: a record never starts more than `window` seconds
 * before a record that came earlier in the same file (for Zeek conn logs:
 * no connection lasts longer than the window, give or take Zeek's few
 * seconds of write delay).  Records that break it are never dropped: they
 * come out as soon as they are read, below records already returned, and
 * are counted as `late`.
 *
 * The release rule: a record is returned once its ts <= W, where
 * W = (smallest ts among every unfinished file's next unread record) -
 * window.  Under the contract no later record can have a smaller ts, so the
 * output is non-decreasing in ts.  Files whose next record is far in the
 * future stay closed (see max_open), so thousands of files cost a few open
 * readers, and memory holds about `window` seconds of records. */

/* Late records are reported as a VIGIL_DIAG_NOTE (diag.h) when
 * vigil_merge_opts.notes is set: information, not a skip; it covers `count`
 * records that were returned out of ts order. */

/* Options for vigil_merge_open.  Zero-initialise, then set what you need. */
typedef struct vigil_merge_opts {
    vigil_reader_opts reader; /* allocator, diagnostics sink and limits, used
                                 for every file and for the merge itself */
    double window;            /* reorder window in seconds; 0: 3600 (Zeek's
                                 longest usual connection); negative: none
                                 (the inputs are already in ts order) */
    size_t max_open;          /* most files open at once; 0: 64.  Should be
                                 at least the number of files whose time
                                 spans overlap (families x sensors x 2), or
                                 files are closed and re-read (`reopens`) */
    size_t max_buffered;      /* hard cap on records held for reordering;
                                 past it the earliest is returned anyway
                                 (counted in `forced`); 0: no cap */
    vigil_log_type type;      /* only records of this family; 0
                                 (VIGIL_LOG_UNKNOWN): every family */
    int notes;                /* nonzero: reader.diag also receives notes of
                                 kind VIGIL_DIAG_NOTE (late records);
                                 zero: they are only counted */
} vigil_merge_opts;

/* What the merge did so far. */
typedef struct vigil_merge_counts {
    uint64_t records;        /* records returned */
    uint64_t late;           /* returned with a ts below one already
                                returned (the window contract broke) */
    double max_lateness;     /* largest such gap, seconds */
    uint64_t filtered;       /* records of other families passed over */
    uint64_t skipped;        /* bad records the readers skipped (and
                                reported) in files read to their end */
    size_t files;            /* files given */
    size_t files_read;       /* files read to their end */
    size_t files_unreadable; /* files that could not be opened, were not
                                logs, or failed part way (reported) */
    size_t max_open;         /* most readers open at the same time */
    uint64_t reopens;        /* files closed to make room and re-read */
    size_t buffered;         /* records held for reordering right now */
    size_t max_buffered;     /* most records held at the same time */
    uint64_t forced;         /* returned early because of max_buffered */
} vigil_merge_counts;

typedef struct vigil_merge vigil_merge;

/* Prepares a merge of the `n` files named in `files` (the array and its
 * strings are copied; the caller may free them on return).  Every file is
 * opened once here to learn the ts of its first record (of the wanted
 * family: a file holding none of it is read through here and done), then
 * closed again unless there is room under max_open; a file closed to make
 * room is re-read from its start up to where it stopped.  A file that cannot be opened is
 * reported through opts->reader.diag (VIGIL_DIAG_UNREADABLE; a file that is
 * not a log: VIGIL_DIAG_SKIPPED, VIGIL_SKIP_UNKNOWN_LOG_TYPE) and left out;
 * the readers' own skip diagnostics pass through unchanged.  `opts` may be
 * NULL.  On VIGIL_OK *out owns everything; free it with vigil_merge_free.
 * VIGIL_ENOMEM when memory runs out (nothing is leaked), VIGIL_EINVAL for
 * bad arguments. */
vigil_status vigil_merge_open(vigil_merge **out, const char *const *files,
                              size_t n, const vigil_merge_opts *opts);

/* Returns the next record in ts order.  On VIGIL_OK *rec points to a record
 * borrowed until the next call (its strings, `path` and `file` included), or
 * is NULL at the end.  Only memory failures stop the merge (VIGIL_ENOMEM,
 * then every later call returns it too; only vigil_merge_free is left to
 * do); a file that fails to read part way is reported as
 * VIGIL_DIAG_UNREADABLE and the others go on.  The reader's extra columns
 * (vigil_reader_field) are not carried through the merge. */
vigil_status vigil_merge_next(vigil_merge *m, const vigil_record **rec);

/* Counters so far (borrowed, updated by each next()). */
const vigil_merge_counts *vigil_merge_counts_get(const vigil_merge *m);

/* Closes every file and frees the merge; NULL is a no-op. */
void vigil_merge_free(vigil_merge *m);

#endif
