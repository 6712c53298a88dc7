/* hunt.h -- `vigil hunt`: read logs, aggregate, run every detector, rank. */
#ifndef VIGIL_HUNT_H
#define VIGIL_HUNT_H

#include <stddef.h>
#include <stdint.h>
#include <vigil/addr.h>
#include <vigil/alloc.h>
#include <vigil/config.h>
#include <vigil/diag.h>
#include <vigil/error.h>
#include <vigil/finding.h>
#include <vigil/geo.h>
#include <vigil/state.h>

/* Where a hunt is (passed to the progress callback). */
typedef struct vigil_hunt_progress {
    size_t files_done;      /* files read to their end (or given up) */
    size_t files_total;     /* files given */
    uint64_t records;       /* records read so far */
    uint64_t bytes_done;    /* on-disk bytes of the files done */
    uint64_t bytes_total;   /* on-disk bytes of all files */
    double elapsed;         /* seconds since the hunt started */
    int done;               /* 1 on the last call (reading finished) */
} vigil_hunt_progress;

/* Called from the reading threads, serialised, at most once per
 * progress_interval seconds, and once more with done = 1. */
typedef void (*vigil_hunt_progress_fn)(void *user, const vigil_hunt_progress *p);

/* Options.  Zero-initialise, then set what you need. */
typedef struct vigil_hunt_opts {
    const vigil_allocator *alloc;  /* NULL: libc; must be thread-safe when
                                      threads != 1 */
    vigil_diag_fn diag;            /* skipped records, unreadable files
                                      (calls serialised across threads) */
    void *diag_user;               /* passed back to diag */
    int threads;                   /* reader/detector threads; 0: one per core */
    const vigil_netset *internal;  /* internal networks (borrowed); NULL:
                                      RFC 1918 + RFC 4193.  Zeek's
                                      local_orig/local_resp = T count too */
    int has_since, has_until;      /* the time filter is set */
    double since, until;           /* records with since <= ts < until are
                                      aggregated; the others only counted */
    double min_score;              /* findings below are dropped; detectors
                                      never emit below 0.05 */
    const vigil_config *config;    /* allow/ignore rules (borrowed), or NULL */
    int has_tz;                    /* tz_offset is set */
    int tz_offset;                 /* the site's local time, seconds east of
                                      UTC: reasons give local hours and exfil
                                      weighs transfers at night */
    vigil_hunt_progress_fn progress; /* optional */
    void *progress_user;           /* passed back to progress */
    double progress_interval;      /* seconds between progress calls; 0: 0.25 */
    vigil_state *state;            /* history (borrowed), or NULL.  The files
                                      not ingested yet are read and stored
                                      per UTC day; findings come from all
                                      the days the state keeps, and are
                                      marked new or ongoing.  The whole run
                                      is one transaction. */
    int reingest;                  /* state: files already ingested are read
                                      again, replacing their batch (with
                                      the batch's other files) */
    int keep_days;                 /* state: > 0 drops per-pair detail of
                                      days older than the last N (first
                                      seen is kept) */
    int ingest_only;               /* state: store, do not detect */
    vigil_geo *geo;                /* country / ASN of each finding's
                                      destination (borrowed), or NULL */
} vigil_hunt_opts;

/* What a hunt did. */
typedef struct vigil_hunt_summary {
    uint64_t records;              /* records read (every family) */
    uint64_t conn_records;         /* conn records aggregated */
    uint64_t out_of_range;         /* records outside since/until */
    uint64_t skipped;              /* records skipped by the readers */
    uint64_t skipped_by[VIGIL_SKIP__COUNT]; /* per reason */
    size_t files;                  /* files given */
    size_t files_read;             /* files opened as logs */
    size_t unreadable;             /* files that could not be read */
    uint64_t pairs;                /* (src, dst, dport, proto) pairs */
    uint64_t groups;               /* name groups (rotating addresses) */
    uint64_t hosts;                /* internal hosts with outbound pairs */
    uint64_t dns_domains;          /* (host, domain) DNS entries */
    uint64_t conns_kept;           /* connections kept as pair points */
    uint64_t inbound;              /* external -> internal connections */
    uint64_t internal_only;        /* internal -> internal connections */
    uint64_t external_only;        /* external -> external connections */
    uint64_t noise;                /* loopback/multicast/broadcast/... */
    uint64_t findings_detected;    /* findings the detectors emitted */
    uint64_t findings_allowed;     /* dropped by the config */
    uint64_t findings_merged;      /* dropped as duplicates */
    double first_ts, last_ts;      /* span of the aggregated records */
    double read_s;                 /* seconds reading + aggregating + merging */
    double merge_s;                /* of which merging the threads' aggregates */
    double detect_s;               /* seconds finishing + detecting */
    double finish_s;               /* of which finishing the aggregate */
    double elapsed;                /* seconds in all */
    size_t files_known;            /* state: given files already ingested
                                      (not read again) */
    size_t files_redone;           /* state: files of replaced batches read
                                      again */
    size_t files_ingested;         /* state: files stored by this run */
    double state_s;                /* state: seconds reading history back */
    double enrich_s;               /* seconds adding names, country, ASN and
                                      history to the findings */
} vigil_hunt_summary;

/* Reads the `n` files (the caller expands directories: paths.h) on
 * opts->threads threads, aggregates them, runs every detector over every
 * pair, name group, host and DNS domain, drops findings below min_score and
 * those the config allows or ignores, merges duplicates, and sorts the rest
 * (vigil_findings_sort) into *findings, which the caller frees with
 * vigil_findings_free.  Duplicates: a name group's finding and its member
 * pairs' findings of the same kind keep the higher score (ties: the
 * group); a pair with both a beacon and a strobe finding whose strobe
 * scores >= 0.5 keeps only the strobe (a retry storm is periodic by
 * construction: the strobe is the explanation).  Bad records and
 * unreadable files are reported through opts->diag and counted in
 * *summary (may be NULL); they are not errors.  VIGIL_ENOMEM,
 * VIGIL_ETHREAD, VIGIL_EINVAL stop the hunt (*findings is then empty). */
vigil_status vigil_hunt(const char *const *files, size_t n, const vigil_hunt_opts *opts,
                        vigil_findings *findings, vigil_hunt_summary *summary);

#endif
