/* sink_csv.c -- writes findings as CSV rows (RFC 4180 quoting).
 *
 * Input: one vigil_finding.  Output: one row; a field holding a comma, a
 * quote, CR or LF is quoted with its quotes doubled.  Rows end in LF (not
 * RFC 4180's CRLF: Unix tools read LF).  Reasons are joined with "; ",
 * dst_names with ";".  The columns of issue 6 (dst_country ... status)
 * come after `reasons`: the first 19 columns keep their order. */
#include <math.h>
#include <string.h>
#include "internal.h"
#include <vigil/finding.h>

/* Writes s (at most max bytes) as one CSV field. */
static void csv_field(FILE *out, const char *s, size_t max)
{
    size_t n = strnlen(s, max);
    size_t plain = 0;
    while (plain < n && s[plain] != ',' && s[plain] != '"' && s[plain] != '\r' && s[plain] != '\n')
        plain++;
    if (plain == n) {
        fwrite(s, 1, n, out);
        return;
    }
    fputc('"', out);
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '"') fputc('"', out);
        fputc(s[i], out);
    }
    fputc('"', out);
}

static void csv_num(FILE *out, double v, int prec)
{
    if (isfinite(v)) fprintf(out, "%.*f", prec, v);
}

static void csv_addr(FILE *out, const vigil_addr *a)
{
    static const uint8_t zero[16] = { 0 };
    char buf[VIGIL_ADDR_STRLEN];
    if (memcmp(a->b, zero, 16) != 0) fputs(vigil_addr_format(a, buf), out);
}

vigil_status vigil_finding_write_csv_header(FILE *out)
{
    if (!out) return VIGIL_EINVAL;
    fputs("kind,score,src,dst,dport,proto,dst_name,dst_count,first_ts,last_ts,conns,period_s,"
          "jitter,bytes_out,bytes_in,duration_s,prevalence,days_present,reasons,"
          "dst_country,dst_asn,dst_org,dst_names,prevalence_hist,first_seen,status\n", out);
    return ferror(out) ? VIGIL_EIO : VIGIL_OK;
}

vigil_status vigil_finding_write_csv(FILE *out, const vigil_finding *f)
{
    if (!out || !f) return VIGIL_EINVAL;
    fprintf(out, "%s,", vigil_finding_kind_name(f->kind));
    csv_num(out, f->score, 3);
    fputc(',', out);
    csv_addr(out, &f->src);
    fputc(',', out);
    csv_addr(out, &f->dst);
    fprintf(out, ",%u,%s,", (unsigned)f->dport, vigil_proto_name((vigil_proto)f->proto));
    csv_field(out, f->dst_name, VIGIL_FINDING_NAME_LEN);
    fprintf(out, ",%u,", (unsigned)f->dst_count);
    csv_num(out, f->first_ts, 6);
    fputc(',', out);
    csv_num(out, f->last_ts, 6);
    fprintf(out, ",%llu,", (unsigned long long)f->conns);
    csv_num(out, f->period_s, 3);
    fputc(',', out);
    csv_num(out, f->jitter, 3);
    fprintf(out, ",%llu,%llu,", (unsigned long long)f->bytes_out, (unsigned long long)f->bytes_in);
    csv_num(out, f->duration_s, 3);
    fprintf(out, ",%u,%u,", (unsigned)f->prevalence, (unsigned)f->days_present);
    /* The joined reasons, quoted as one field. */
    char joined[VIGIL_FINDING_REASONS * (VIGIL_FINDING_REASON_LEN + 2)];
    size_t len = 0;
    uint32_t nr = f->nreasons < VIGIL_FINDING_REASONS ? f->nreasons : VIGIL_FINDING_REASONS;
    for (uint32_t i = 0; i < nr; i++) {
        size_t rl = strnlen(f->reasons[i], VIGIL_FINDING_REASON_LEN);
        if (i) { memcpy(joined + len, "; ", 2); len += 2; }
        memcpy(joined + len, f->reasons[i], rl);
        len += rl;
    }
    joined[len] = 0;
    csv_field(out, joined, sizeof joined);
    /* Destination intelligence (issue 6), after the original columns (their
     * order is an interface); empty when unknown, names joined with ';'. */
    fputc(',', out);
    csv_field(out, f->dst_country, sizeof f->dst_country - 1);
    fputc(',', out);
    if (f->dst_asn) fprintf(out, "%u", (unsigned)f->dst_asn);
    fputc(',', out);
    csv_field(out, f->dst_org, VIGIL_FINDING_ORG_LEN);
    fputc(',', out);
    char names[VIGIL_FINDING_NAMES * VIGIL_FINDING_NAME_LEN];
    size_t nl = 0;
    uint32_t nn = f->ndst_names < VIGIL_FINDING_NAMES ? f->ndst_names : VIGIL_FINDING_NAMES;
    for (uint32_t i = 0; i < nn; i++) {
        size_t l = strnlen(f->dst_names[i], VIGIL_FINDING_NAME_LEN - 1);
        if (!l) continue;
        if (nl) names[nl++] = ';';
        memcpy(names + nl, f->dst_names[i], l);
        nl += l;
    }
    names[nl] = 0;
    csv_field(out, names, sizeof names);
    fputc(',', out);
    if (f->prevalence_hist) fprintf(out, "%u", (unsigned)f->prevalence_hist);
    fputc(',', out);
    if (f->dst_first_seen > 0) csv_num(out, f->dst_first_seen, 6);
    fputc(',', out);
    const char *st = vigil_finding_status_name(f->status);
    if (st) fputs(st, out);
    fputc('\n', out);
    return ferror(out) ? VIGIL_EIO : VIGIL_OK;
}
