/* tool.h -- what the vigil CLI's command files share. */
#ifndef VIGIL_TOOL_H
#define VIGIL_TOOL_H

#include <stdio.h>
#include <vigil/vigil.h>

/* Exit statuses, one table for every command (README "Exit status"). */
enum {
    TOOL_EXIT_OK = 0,         /* clean */
    TOOL_EXIT_UNREADABLE = 1, /* a path could not be read at all, or I/O failed */
    TOOL_EXIT_USAGE = 2,      /* bad command line */
    TOOL_EXIT_SKIPPED = 3,    /* input read, but some records were skipped */
    TOOL_EXIT_NOTHING = 4     /* vigil dest: nothing known about it */
};

/* Maps a library status to an exit status. */
int tool_exit_for(vigil_status st);
/* Creates the directories above `path` (mkdir -p of its dirname); 1 on
 * success or when they exist. */
int tool_mkdir_parent(const char *path);
/* Opens the geo/ASN data: DIR (--geo-dir) or $VIGIL_GEO_DIR when given;
 * else the library's search path, then data/geo beside the binary's
 * checkout; one note through diag when none has it. */
vigil_geo *tool_geo_open(const char *dir, vigil_diag_fn diag, void *user);
/* "YYYY-MM-DD HH:MM:SS" (UTC) of epoch seconds ts; "-" when negative. */
void tool_fmt_time(double ts, char *buf, size_t cap);

/* How diagnostics are shown on stderr: the first `full_per_reason` skips of
 * each reason in full (file:line: reason: detail), the rest only counted
 * and summarised by tool_diag_summary. */
typedef struct tool_diag {
    FILE *err;                                 /* where to write (stderr) */
    const char *prog;                          /* "vigil" */
    unsigned full_per_reason;                  /* skips shown in full per reason */
    unsigned long long shown[VIGIL_SKIP__COUNT];   /* skips printed so far */
    unsigned long long skipped[VIGIL_SKIP__COUNT]; /* records skipped per reason */
    unsigned long long ignored;                /* files ignored in walks */
    unsigned long long unreadable;             /* paths that could not be read */
    int quiet_ignored;                         /* do not list ignored files */
} tool_diag;

void tool_diag_init(tool_diag *d, const char *prog);
/* The vigil_diag_fn for the library; `user` is a tool_diag. */
void tool_diag_cb(void *user, const vigil_diag *diag);
/* Prints "N records skipped: 3 too_few_fields, ..." when anything was. */
void tool_diag_summary(tool_diag *d);
/* Total records skipped. */
unsigned long long tool_diag_skipped(const tool_diag *d);

int tool_stats(int argc, char **argv);
int tool_simulate(int argc, char **argv);
int tool_hunt(int argc, char **argv);
int tool_dest(int argc, char **argv);

#endif
