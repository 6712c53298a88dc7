/* state_impl.h -- the state database's private side, shared by state_db.c
 * (opening, schema, files, findings, retention, `vigil dest`),
 * state_agg.c (aggregates to rows and back) and hunt.c (the run). */
#ifndef VIGIL_STATE_IMPL_H
#define VIGIL_STATE_IMPL_H

#include <sqlite3.h>
#include <stdint.h>
#include <vigil/finding.h>
#include <vigil/state.h>
#include "agg_impl.h"

struct vigil_state {
    sqlite3 *db;               /* the connection */
    vigil_allocator alloc;     /* for reports and scratch */
    unsigned flags;            /* VIGIL_STATE_* */
    int in_txn;                /* a write transaction is open */
    char err[512];             /* last error sentence */
};

/* Sets s->err from a printf format; returns st (for `return fail(...)`). */
vigil_status vigil__state_fail(vigil_state *s, vigil_status st, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
/* Maps an SQLite result code to a status and sets s->err with `what`. */
vigil_status vigil__state_sqlerr(vigil_state *s, int rc, const char *what);

/* One transaction around every change (BEGIN IMMEDIATE: a second run
 * waits for the busy timeout, then fails with VIGIL_EBUSY). */
vigil_status vigil__state_begin(vigil_state *s);
vigil_status vigil__state_commit(vigil_state *s);
void vigil__state_rollback(vigil_state *s);

/* An input file's identity: the same size and first-64-KiB hash mean the
 * same file (renamed or copied archives are not read twice); the same path
 * with another size, mtime or hash is a changed file. */
typedef struct vigil__file_id {
    const char *path;          /* as given (borrowed) */
    int64_t size;              /* st_size */
    int64_t mtime;             /* st_mtime, seconds */
    int64_t head;              /* 64-bit hash of the first 64 KiB */
} vigil__file_id;

/* Fills *id (path borrowed); VIGIL_ENOENT when it cannot be read. */
vigil_status vigil__state_file_id(const char *path, vigil__file_id *id);
/* The batch that ingested this file: by content (size + head hash), else
 * by path (then *changed = 1: the same path with other content).  0 when
 * not known. */
vigil_status vigil__state_file_batch(vigil_state *s, const vigil__file_id *id, int64_t *batch,
                                     int *changed);
/* The paths of the files of `batch` (allocated with s->alloc: free each
 * and the array with vigil__free). */
vigil_status vigil__state_batch_paths(vigil_state *s, int64_t batch, char ***paths, size_t *n);
/* Removes a batch: its files and every row it added (inside a txn). */
vigil_status vigil__state_drop_batch(vigil_state *s, int64_t batch);
/* Starts a batch (inside a txn). */
vigil_status vigil__state_new_batch(vigil_state *s, double started, int64_t *batch);
vigil_status vigil__state_add_file(vigil_state *s, int64_t batch, const vigil__file_id *id);

/* state_agg.c: writes an unfinished aggregate holding the records of one
 * UTC day (epoch day number `day`) as rows of `batch` (inside a txn), and
 * updates the destinations' first / last seen and their hosts. */
vigil_status vigil__state_put_day(vigil_state *s, int64_t batch, int64_t day, vigil__agg *a);
/* Reads every day kept back into `total` (new, unfinished): the same
 * aggregate one run over all the ingested logs would have built, within
 * the per-row caps of docs/state.md. */
vigil_status vigil__state_restore(vigil_state *s, vigil__agg *total);
/* Drops per-pair, DNS and name detail of days before (last day - keep + 1);
 * destinations' first seen and hosts are kept (inside a txn). */
vigil_status vigil__state_prune(vigil_state *s, int keep_days);

/* After detection: fills each finding's status (new / ongoing), its
 * destination's first seen and prevalence in history, and records the
 * findings as reported at `now` (inside a txn). */
vigil_status vigil__state_findings(vigil_state *s, vigil_findings *fs, double now);

#endif
