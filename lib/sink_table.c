/* sink_table.c -- the human table of `vigil hunt`: one row per finding in
 * 120 columns, reasons below each row on request.
 *
 * Input: a sorted vigil_findings.  Output: text on the caller's FILE*.
 * Columns: rank, score, kind, src, dst:port/proto, name, conns, period,
 * prevalence, first reason; long values are cut with a trailing '~'. */
#include <math.h>
#include <string.h>
#include "internal.h"
#include <vigil/finding.h>

/* Column widths (with one space between columns: 120 in all). */
enum {
    W_RANK = 3, W_SCORE = 5, W_KIND = 9, W_SRC = 15, W_DST = 24, W_NAME = 18,
    W_CONNS = 7, W_PERIOD = 7, W_PREV = 4,
    W_REASON = 120 - (W_RANK + W_SCORE + W_KIND + W_SRC + W_DST + W_NAME + W_CONNS + W_PERIOD +
                      W_PREV + 9)
};

/* Copies s into buf cut to `w` columns ('~' marks a cut). */
static const char *fit(const char *s, size_t w, char *buf)
{
    size_t n = strlen(s);
    if (n <= w) return s;
    memcpy(buf, s, w - 1);
    buf[w - 1] = '~';
    buf[w] = 0;
    return buf;
}

static int addr_set(const vigil_addr *a)
{
    static const uint8_t zero[16] = { 0 };
    return memcmp(a->b, zero, 16) != 0;
}

static void fmt_period(double s, char *buf, size_t cap)
{
    if (!isfinite(s) || s <= 0) snprintf(buf, cap, "-");
    else if (s < 100) snprintf(buf, cap, "%.1fs", s);
    else if (s < 6000) snprintf(buf, cap, "%.1fm", s / 60);
    else if (s < 360000) snprintf(buf, cap, "%.1fh", s / 3600);
    else snprintf(buf, cap, "%.1fd", s / 86400);
}

static void fmt_count(uint64_t v, char *buf, size_t cap)
{
    if (v < 10000000ULL) snprintf(buf, cap, "%llu", (unsigned long long)v);
    else if (v < 10000000000ULL) snprintf(buf, cap, "%.1fM", (double)v / 1e6);
    else snprintf(buf, cap, "%.1fG", (double)v / 1e9);
}

vigil_status vigil_findings_write_table(FILE *out, const vigil_findings *fs, size_t top,
                                        int verbose)
{
    if (!out || !fs) return VIGIL_EINVAL;
    fprintf(out, "%*s %*s %-*s %-*s %-*s %-*s %*s %*s %*s %s\n", W_RANK, "#", W_SCORE, "score",
            W_KIND, "kind", W_SRC, "src", W_DST, "destination", W_NAME, "name", W_CONNS, "conns",
            W_PERIOD, "period", W_PREV, "prev", "reason");
    size_t n = top && top < fs->n ? top : fs->n;
    for (size_t i = 0; i < n; i++) {
        const vigil_finding *f = &fs->v[i];
        char src[VIGIL_ADDR_STRLEN], a[VIGIL_ADDR_STRLEN], dst[VIGIL_ADDR_STRLEN + 48];
        char c1[64], c2[64], c3[64], c4[64], c5[VIGIL_FINDING_REASON_LEN + 1];
        char name[VIGIL_FINDING_NAME_LEN + 1], conns[32], period[32], reason[VIGIL_FINDING_REASON_LEN + 1];
        if (addr_set(&f->src)) vigil_addr_format(&f->src, src);
        else snprintf(src, sizeof src, "-");
        if (addr_set(&f->dst)) {
            vigil_addr_format(&f->dst, a);
            int v6 = !vigil_addr_is_v4(&f->dst);
            char more[16] = "";
            if (f->dst_count > 1) snprintf(more, sizeof more, "(+%u)", (unsigned)(f->dst_count - 1));
            snprintf(dst, sizeof dst, "%s%s%s%s:%u/%s", v6 ? "[" : "", a, v6 ? "]" : "", more,
                     (unsigned)f->dport, vigil_proto_name((vigil_proto)f->proto));
        } else {
            snprintf(dst, sizeof dst, "-");
        }
        snprintf(name, sizeof name, "%.*s", VIGIL_FINDING_NAME_LEN - 1, f->dst_name[0] ? f->dst_name : "-");
        fmt_count(f->conns, conns, sizeof conns);
        fmt_period(f->period_s, period, sizeof period);
        snprintf(reason, sizeof reason, "%.*s", VIGIL_FINDING_REASON_LEN - 1,
                 f->nreasons ? f->reasons[0] : "");
        double score = isfinite(f->score) ? f->score : 0;
        fprintf(out, "%*zu %*.3f %-*s %-*s %-*s %-*s %*s %*s %*u %s\n", W_RANK, i + 1, W_SCORE, score,
                W_KIND, fit(vigil_finding_kind_name(f->kind), W_KIND, c1), W_SRC, fit(src, W_SRC, c2),
                W_DST, fit(dst, W_DST, c3), W_NAME, fit(name, W_NAME, c4), W_CONNS, conns,
                W_PERIOD, period, W_PREV, (unsigned)f->prevalence,
                fit(reason, W_REASON, c5));
        if (verbose) {
            uint32_t nr = f->nreasons < VIGIL_FINDING_REASONS ? f->nreasons : VIGIL_FINDING_REASONS;
            for (uint32_t r = 0; r < nr; r++)
                fprintf(out, "%*s- %.*s\n", W_RANK + 1, "", VIGIL_FINDING_REASON_LEN, f->reasons[r]);
        }
    }
    return ferror(out) ? VIGIL_EIO : VIGIL_OK;
}
