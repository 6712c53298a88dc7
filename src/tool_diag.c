/* tool_diag.c -- prints the library's diagnostics: first few in full, then counts. */
#include <string.h>
#include "tool.h"

int tool_exit_for(vigil_status st)
{
    switch (st) {
    case VIGIL_OK: return TOOL_EXIT_OK;
    case VIGIL_EINVAL: return TOOL_EXIT_USAGE;
    default: return TOOL_EXIT_UNREADABLE;
    }
}

void tool_diag_init(tool_diag *d, const char *prog)
{
    memset(d, 0, sizeof *d);
    d->err = stderr;
    d->prog = prog;
    d->full_per_reason = 3;
}

void tool_diag_cb(void *user, const vigil_diag *g)
{
    tool_diag *d = user;
    switch (g->kind) {
    case VIGIL_DIAG_IGNORED:
        d->ignored++;
        if (!d->quiet_ignored)
            fprintf(d->err, "%s: ignored %s (%s)\n", d->prog, g->file, g->detail ? g->detail : "not a log");
        return;
    case VIGIL_DIAG_UNREADABLE:
        d->unreadable++;
        fprintf(d->err, "%s: cannot read %s: %s\n", d->prog, g->file, g->detail ? g->detail : "unreadable");
        return;
    case VIGIL_DIAG_NOTE:
        fprintf(d->err, "%s: note: %s%s%s\n", d->prog, g->file ? g->file : "",
                g->file ? ": " : "", g->detail ? g->detail : "");
        return;
    case VIGIL_DIAG_SKIPPED:
        break;
    }
    unsigned r = (unsigned)g->reason < VIGIL_SKIP__COUNT ? (unsigned)g->reason : 0;
    d->skipped[r] += g->count;
    if (d->shown[r] < d->full_per_reason) {
        d->shown[r]++;
        if (g->line)
            fprintf(d->err, "%s: %s:%llu: skipped", d->prog, g->file, (unsigned long long)g->line);
        else
            fprintf(d->err, "%s: %s: skipped", d->prog, g->file);
        if (g->count > 1) fprintf(d->err, " %llu records", (unsigned long long)g->count);
        fprintf(d->err, " (%s)", vigil_skip_reason_name(g->reason));
        if (g->detail) fprintf(d->err, ": %s", g->detail);
        fputc('\n', d->err);
        if (d->shown[r] == d->full_per_reason)
            fprintf(d->err, "%s: (further %s skips are only counted)\n", d->prog,
                    vigil_skip_reason_name(g->reason));
    }
}

unsigned long long tool_diag_skipped(const tool_diag *d)
{
    unsigned long long t = 0;
    for (int i = 0; i < VIGIL_SKIP__COUNT; i++) t += d->skipped[i];
    return t;
}

void tool_diag_summary(tool_diag *d)
{
    unsigned long long t = tool_diag_skipped(d);
    if (!t) return;
    fprintf(d->err, "%s: %llu record%s skipped:", d->prog, t, t == 1 ? "" : "s");
    const char *sep = " ";
    for (int i = 0; i < VIGIL_SKIP__COUNT; i++) {
        if (!d->skipped[i]) continue;
        fprintf(d->err, "%s%llu %s", sep, d->skipped[i], vigil_skip_reason_name((vigil_skip_reason)i));
        sep = ", ";
    }
    fputc('\n', d->err);
}
