/* finding.c -- the finding list: kind names, reasons, push, sort, free.
 *
 * Input: findings from the detectors (detect_*.c).  Output: a sorted list
 * for the sinks (sink_jsonl.c, sink_csv.c, sink_table.c).  The JSON Lines
 * form is the stable interface of DESIGN.md "Findings". */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"
#include <vigil/finding.h>

const char *vigil_finding_kind_name(vigil_finding_kind k)
{
    switch (k) {
    case VIGIL_FIND_BEACON: return "beacon";
    case VIGIL_FIND_LONG_CONN: return "long_conn";
    case VIGIL_FIND_EXFIL: return "exfil";
    case VIGIL_FIND_RARE_DEST: return "rare_dest";
    case VIGIL_FIND_DNS: return "dns";
    case VIGIL_FIND_STROBE: return "strobe";
    default: return "unknown";
    }
}

const char *vigil_finding_status_name(vigil_finding_status s)
{
    switch (s) {
    case VIGIL_FINDING_NEW: return "new";
    case VIGIL_FINDING_ONGOING: return "ongoing";
    default: return NULL;
    }
}

void vigil_finding_reason(vigil_finding *f, const char *fmt, ...)
{
    if (!f || !fmt || f->nreasons >= VIGIL_FINDING_REASONS) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(f->reasons[f->nreasons], VIGIL_FINDING_REASON_LEN, fmt, ap);
    va_end(ap);
    f->nreasons++;
}

vigil_status vigil_findings_push(vigil_findings *fs, const vigil_finding *f)
{
    if (!fs || !f) return VIGIL_EINVAL;
    if (fs->n == fs->cap) {
        size_t nc = fs->cap ? fs->cap * 2 : 16;
        if (nc > SIZE_MAX / sizeof *fs->v) return VIGIL_ENOMEM;
        vigil_finding *nv = realloc(fs->v, nc * sizeof *nv);
        if (!nv) return VIGIL_ENOMEM;
        fs->v = nv;
        fs->cap = nc;
    }
    fs->v[fs->n++] = *f;
    return VIGIL_OK;
}

/* Highest score first; ties in a fixed order of the other fields, so the
 * result never depends on the order findings were pushed in. */
static int cmp_finding(const void *x, const void *y)
{
    const vigil_finding *a = x, *b = y;
    if (a->score != b->score) return a->score > b->score ? -1 : 1;
    if (a->kind != b->kind) return a->kind < b->kind ? -1 : 1;
    int c = memcmp(a->src.b, b->src.b, 16);
    if (c) return c;
    c = memcmp(a->dst.b, b->dst.b, 16);
    if (c) return c;
    if (a->dport != b->dport) return a->dport < b->dport ? -1 : 1;
    if (a->proto != b->proto) return a->proto < b->proto ? -1 : 1;
    c = strcmp(a->dst_name, b->dst_name);
    if (c) return c;
    if (a->dst_count != b->dst_count) return a->dst_count < b->dst_count ? -1 : 1;
    if (a->first_ts != b->first_ts) return a->first_ts < b->first_ts ? -1 : 1;
    if (a->conns != b->conns) return a->conns < b->conns ? -1 : 1;
    return 0;
}

void vigil_findings_sort(vigil_findings *fs)
{
    if (fs && fs->n > 1) qsort(fs->v, fs->n, sizeof *fs->v, cmp_finding);
}

void vigil_findings_free(vigil_findings *fs)
{
    if (!fs) return;
    free(fs->v);
    fs->v = NULL;
    fs->n = fs->cap = 0;
}
