/* simulate.h -- generate a simulated enterprise's logs with a hidden intrusion. */
#ifndef VIGIL_SIMULATE_H
#define VIGIL_SIMULATE_H

#include <stddef.h>
#include <stdint.h>
#include <vigil/alloc.h>
#include <vigil/error.h>

/* Version of the generator's output.  Bumped whenever the same options
 * would produce different bytes, so a saved world (manifest.json) can be
 * told stale. */
#define VIGIL_SIM_VERSION 2

/* Defaults used when an option is 0. */
#define VIGIL_SIM_DEFAULT_HOSTS 500
#define VIGIL_SIM_DEFAULT_DAYS 28
#define VIGIL_SIM_DEFAULT_START 1514764800 /* 2018-01-01 00:00:00 UTC */
#define VIGIL_SIM_DEFAULT_THREADS 2

/* Called after each finished day, from the worker thread that finished it
 * (calls are serialised).  days_done counts finished days. */
typedef void (*vigil_sim_progress_fn)(void *user, unsigned days_done,
                                      unsigned days_total);

/* Options for vigil_simulate.  Zero-initialise, then set what you need. */
typedef struct vigil_sim_opts {
    const char *out_dir;          /* where the world goes (created if
                                     missing; existing files are replaced) */
    unsigned hosts;               /* internal hosts, servers included;
                                     0: 500; 20..100000 */
    unsigned days;                /* days simulated; 0: 28 */
    int64_t start;                /* epoch seconds of day 0 at 00:00 UTC;
                                     0: 2018-01-01; must be a UTC midnight */
    uint64_t seed;                /* every random choice derives from it;
                                     used as given (0 is a seed too) */
    int json;                     /* nonzero: Zeek JSON logs instead of TSV */
    int no_gzip;                  /* nonzero: plain .log files, not .log.gz */
    unsigned threads;             /* worker threads; 0: 2 */
    vigil_sim_progress_fn progress; /* optional */
    void *progress_user;          /* passed back to progress */
    const vigil_allocator *alloc; /* NULL: libc */
} vigil_sim_opts;

/* What vigil_simulate wrote. */
typedef struct vigil_sim_report {
    uint64_t conn;                /* conn.log records */
    uint64_t dns;                 /* dns.log records */
    uint64_t ssl;                 /* ssl.log records */
    uint64_t http;                /* http.log records */
    uint64_t bytes;               /* bytes of log files written (compressed
                                     when gzip is on) */
    uint64_t files;               /* log files written */
    size_t truth_events;          /* planted events listed in truth.json */
    unsigned hosts, days;         /* the world's size, defaults applied */
    double seconds;               /* wall-clock time of the whole run */
    double records_per_s;         /* all records written per second */
    double conn_per_s;            /* conn records written per second */
} vigil_sim_report;

/* Generates the world described by `opts` into opts->out_dir:
 *   zeek/YYYY-MM-DD/{conn,dns,ssl,http}.HH:00:00-HH:00:00.log.gz  (Zeek's
 *       archive layout, TSV as Zeek 2.6 writes it, or Zeek JSON)
 *   assets.csv, people.csv, truth.json, manifest.json
 * The same options (threads aside) always give the same bytes.  `report`
 * may be NULL.  VIGIL_EINVAL for bad options, VIGIL_EIO when a file cannot
 * be created or written, VIGIL_ENOMEM, VIGIL_ETHREAD. */
vigil_status vigil_simulate(const vigil_sim_opts *opts, vigil_sim_report *report);

#endif
