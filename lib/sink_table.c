/* sink_table.c -- the human table of `vigil hunt`: one row per finding in
 * 120 columns, its reasons below it.
 *
 * Input: a sorted vigil_findings.  Output: text on the caller's FILE*.
 * Row: rank, score, kind, src, dst:port/proto, country, AS organisation,
 * best name, conns, period, prevalence; long values are cut with a
 * trailing '~' (a cut source or destination is then printed whole on a
 * line of its own).  Below it the first reason (verbose: every reason, then a
 * line with the other names, the AS number, first seen, history and
 * new/ongoing when known). */
#include <math.h>
#include <string.h>
#include <time.h>
#include "internal.h"
#include <vigil/finding.h>

/* Column widths (with one space between columns: 119 of 120). */
enum {
    W_RANK = 3, W_SCORE = 5, W_KIND = 9, W_SRC = 15, W_DST = 24, W_CC = 2, W_ORG = 13,
    W_NAME = 20, W_CONNS = 7, W_PERIOD = 7, W_PREV = 4,
    W_ROW = W_RANK + W_SCORE + W_KIND + W_SRC + W_DST + W_CC + W_ORG + W_NAME + W_CONNS + W_PERIOD +
            W_PREV + 10,
    W_LINE = 120 - (W_RANK + 3) /* a line below a row, after its indent and "- " */
};
_Static_assert(W_ROW <= 120, "a table row is wider than 120 columns");

/* Room fit() needs for w columns: 4 bytes a UTF-8 character, '~', NUL. */
#define FIT_BUF(w) (4 * (w) + 2)

/* s, or a copy in buf cut to `w` columns ('~' marks a cut); a UTF-8
 * character counts as one column and is never cut in half. */
static const char *fit(const char *s, size_t w, char *buf)
{
    size_t cols = 0, i = 0;
    for (; s[i]; i++) cols += ((unsigned char)s[i] & 0xc0) != 0x80;
    if (cols <= w) return s;
    size_t keep = 0;
    for (i = 0, cols = 0; s[i]; i++) {
        if (((unsigned char)s[i] & 0xc0) != 0x80 && cols++ == w - 1) break;
        keep = i + 1;
    }
    memcpy(buf, s, keep);
    buf[keep] = '~';
    buf[keep + 1] = 0;
    return buf;
}

/* Prints s left-aligned in `w` columns, counting a UTF-8 character as one
 * column and never cutting one in half ('~' marks a cut). */
static void put_utf8(FILE *out, const char *s, size_t w)
{
    size_t cols = 0, i = 0, n = strlen(s), total = 0;
    for (size_t k = 0; k < n; k++) total += ((unsigned char)s[k] & 0xc0) != 0x80;
    size_t keep = total <= w ? total : w - 1;
    while (i < n && cols < keep) {
        size_t j = i + 1;
        while (j < n && ((unsigned char)s[j] & 0xc0) == 0x80) j++;
        fwrite(s + i, 1, j - i, out);
        i = j;
        cols++;
    }
    if (total > w) {
        fputc('~', out);
        cols++;
    }
    for (; cols < w; cols++) fputc(' ', out);
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

/* The name a row shows: the detector's, else the most used one seen. */
static const char *best_name(const vigil_finding *f)
{
    if (f->dst_name[0]) return f->dst_name;
    if (f->ndst_names && f->dst_names[0][0]) return f->dst_names[0];
    return "-";
}

/* The verbose line under the reasons: the names not in the row, the AS,
 * first seen, history and status; nothing when none is known. */
static void write_details(FILE *out, const vigil_finding *f)
{
    char line[1024];
    size_t n = 0;
#define ADD(...) do { if (n < sizeof line) n += (size_t)snprintf(line + n, sizeof line - n, __VA_ARGS__); } while (0)
    const char *best = best_name(f);
    uint32_t nn = f->ndst_names < VIGIL_FINDING_NAMES ? f->ndst_names : VIGIL_FINDING_NAMES;
    int first = 1;
    for (uint32_t i = 0; i < nn; i++) {
        const char *nm = f->dst_names[i];
        if (!nm[0] || strcmp(nm, best) == 0) continue;
        ADD("%s%.*s", first ? "also named " : ", ", VIGIL_FINDING_NAME_LEN, nm);
        first = 0;
    }
    if (f->dst_asn) {
        ADD("%sAS%u", n ? "; " : "", (unsigned)f->dst_asn);
        if (f->dst_org[0]) ADD(" %.*s", VIGIL_FINDING_ORG_LEN, f->dst_org);
    }
    if (f->dst_first_seen > 0 && isfinite(f->dst_first_seen) && f->dst_first_seen < 253402300800.0) {
        time_t t = (time_t)f->dst_first_seen;
        struct tm tm;
        char when[32];
        if (gmtime_r(&t, &tm) && strftime(when, sizeof when, "%Y-%m-%d %H:%M", &tm))
            ADD("%sfirst seen %s UTC", n ? "; " : "", when);
    }
    if (f->prevalence_hist)
        ADD("%s%u host%s in history", n ? "; " : "", (unsigned)f->prevalence_hist,
            f->prevalence_hist == 1 ? "" : "s");
    const char *st = vigil_finding_status_name(f->status);
    if (st) ADD("%s%s", n ? "; " : "", st);
#undef ADD
    if (!n) return;
    char cut[FIT_BUF(W_LINE)];
    fprintf(out, "%*s  %s\n", W_RANK + 1, "", fit(line, W_LINE, cut));
}

vigil_status vigil_findings_write_table(FILE *out, const vigil_findings *fs, size_t top,
                                        int verbose)
{
    if (!out || !fs) return VIGIL_EINVAL;
    fprintf(out, "%*s %*s %-*s %-*s %-*s %-*s %-*s %-*s %*s %*s %*s\n", W_RANK, "#", W_SCORE, "score",
            W_KIND, "kind", W_SRC, "src", W_DST, "destination", W_CC, "cc", W_ORG, "AS org", W_NAME,
            "name", W_CONNS, "conns", W_PERIOD, "period", W_PREV, "prev");
    size_t n = top && top < fs->n ? top : fs->n;
    for (size_t i = 0; i < n; i++) {
        const vigil_finding *f = &fs->v[i];
        char src[VIGIL_ADDR_STRLEN], a[VIGIL_ADDR_STRLEN], dst[VIGIL_ADDR_STRLEN + 48];
        char c1[FIT_BUF(W_KIND)], c2[FIT_BUF(W_SRC)], c3[FIT_BUF(W_DST)], c4[FIT_BUF(W_NAME)];
        char name[VIGIL_FINDING_NAME_LEN + 1], conns[32], period[32], org[VIGIL_FINDING_ORG_LEN + 16];
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
        snprintf(name, sizeof name, "%.*s", VIGIL_FINDING_NAME_LEN - 1, best_name(f));
        if (f->dst_org[0]) snprintf(org, sizeof org, "%.*s", VIGIL_FINDING_ORG_LEN - 1, f->dst_org);
        else if (f->dst_asn) snprintf(org, sizeof org, "AS%u", (unsigned)f->dst_asn);
        else snprintf(org, sizeof org, "-");
        char cc[3] = "-";
        if (f->dst_country[0] && f->dst_country[1]) {
            cc[0] = f->dst_country[0];
            cc[1] = f->dst_country[1];
            cc[2] = 0;
        }
        fmt_count(f->conns, conns, sizeof conns);
        fmt_period(f->period_s, period, sizeof period);
        double score = isfinite(f->score) ? f->score : 0;
        const char *src_cell = fit(src, W_SRC, c2), *dst_cell = fit(dst, W_DST, c3);
        fprintf(out, "%*zu %*.3f %-*s %-*s %-*s %-*s ", W_RANK, i + 1, W_SCORE, score, W_KIND,
                fit(vigil_finding_kind_name(f->kind), W_KIND, c1), W_SRC, src_cell, W_DST, dst_cell,
                W_CC, cc);
        put_utf8(out, org, W_ORG);
        fprintf(out, " %-*s %*s %*s %*u\n", W_NAME, fit(name, W_NAME, c4), W_CONNS, conns, W_PERIOD,
                period, W_PREV, (unsigned)f->prevalence);
        /* A cut address cannot be searched for: the whole of it below
         * (IPv6 mostly; each fits the line). */
        if (src_cell != src) fprintf(out, "%*s  full src: %s\n", W_RANK + 1, "", src);
        if (dst_cell != dst) fprintf(out, "%*s  full destination: %s\n", W_RANK + 1, "", dst);
        uint32_t nr = f->nreasons < VIGIL_FINDING_REASONS ? f->nreasons : VIGIL_FINDING_REASONS;
        if (!verbose && nr > 1) nr = 1;
        for (uint32_t r = 0; r < nr; r++) {
            /* In full with -v; else cut to the 120 columns. */
            char reason[VIGIL_FINDING_REASON_LEN + 1], c5[FIT_BUF(W_LINE)];
            snprintf(reason, sizeof reason, "%.*s", VIGIL_FINDING_REASON_LEN - 1, f->reasons[r]);
            fprintf(out, "%*s- %s\n", W_RANK + 1, "", verbose ? reason : fit(reason, W_LINE, c5));
        }
        if (verbose) write_details(out, f);
    }
    return ferror(out) ? VIGIL_EIO : VIGIL_OK;
}
