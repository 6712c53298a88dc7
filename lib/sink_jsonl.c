/* sink_jsonl.c -- writes findings as JSON Lines, one object per line.
 *
 * Input: one vigil_finding.  Output: the stable JSON object of DESIGN.md
 * "Findings" (kind, src, dst, dport, proto, score, first_ts, last_ts,
 * conns, period_s, reasons, then the other fields, then the destination
 * intelligence of issue 6: dst_country, dst_asn, dst_org, dst_names,
 * prevalence_hist, first_seen, status -- null when unknown, dst_names []
 * when none).  A sink never computes: every value is printed as the
 * detector (and the geo and state enrichment) left it. */
#include <math.h>
#include <string.h>
#include "internal.h"
#include <vigil/finding.h>

void vigil_json_write_str(FILE *out, const char *s, size_t max)
{
    fputc('"', out);
    size_t n = strnlen(s, max);
    for (size_t i = 0; i < n;) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') {
            fputc('\\', out);
            fputc(c, out);
            i++;
        } else if (c < 0x20 || c == 0x7f) {
            switch (c) {
            case '\n': fputs("\\n", out); break;
            case '\r': fputs("\\r", out); break;
            case '\t': fputs("\\t", out); break;
            case '\b': fputs("\\b", out); break;
            case '\f': fputs("\\f", out); break;
            default: fprintf(out, "\\u%04x", c); break;
            }
            i++;
        } else if (c < 0x80) {
            fputc(c, out);
            i++;
        } else {
            /* Validate one UTF-8 sequence (no overlongs, no surrogates). */
            size_t len = c >= 0xf0 && c <= 0xf4 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 && c < 0xe0 ? 2 : 0;
            int ok = len && i + len <= n;
            for (size_t k = 1; ok && k < len; k++)
                if (((unsigned char)s[i + k] & 0xc0) != 0x80) ok = 0;
            if (ok && len == 3) {
                unsigned c1 = (unsigned char)s[i + 1];
                if ((c == 0xe0 && c1 < 0xa0) || (c == 0xed && c1 >= 0xa0)) ok = 0;
            }
            if (ok && len == 4) {
                unsigned c1 = (unsigned char)s[i + 1];
                if ((c == 0xf0 && c1 < 0x90) || (c == 0xf4 && c1 >= 0x90)) ok = 0;
            }
            if (ok) {
                fwrite(s + i, 1, len, out);
                i += len;
            } else {
                fputs("\\ufffd", out);
                i++;
            }
        }
    }
    fputc('"', out);
}

/* A finite number with `prec` decimals, or null. */
static void json_num(FILE *out, double v, int prec)
{
    if (isfinite(v)) fprintf(out, "%.*f", prec, v);
    else fputs("null", out);
}

static void json_addr(FILE *out, const vigil_addr *a)
{
    static const uint8_t zero[16] = { 0 };
    if (memcmp(a->b, zero, 16) == 0) {
        fputs("null", out);
        return;
    }
    char buf[VIGIL_ADDR_STRLEN];
    fprintf(out, "\"%s\"", vigil_addr_format(a, buf));
}

vigil_status vigil_finding_write_jsonl(FILE *out, const vigil_finding *f)
{
    if (!out || !f) return VIGIL_EINVAL;
    fprintf(out, "{\"kind\":\"%s\",\"src\":", vigil_finding_kind_name(f->kind));
    json_addr(out, &f->src);
    fputs(",\"dst\":", out);
    json_addr(out, &f->dst);
    fprintf(out, ",\"dport\":%u,\"proto\":\"%s\",\"score\":", (unsigned)f->dport,
            vigil_proto_name((vigil_proto)f->proto));
    json_num(out, f->score, 3);
    fputs(",\"first_ts\":", out);
    json_num(out, f->first_ts, 6);
    fputs(",\"last_ts\":", out);
    json_num(out, f->last_ts, 6);
    fprintf(out, ",\"conns\":%llu,\"period_s\":", (unsigned long long)f->conns);
    json_num(out, f->period_s, 3);
    fputs(",\"reasons\":[", out);
    uint32_t nr = f->nreasons < VIGIL_FINDING_REASONS ? f->nreasons : VIGIL_FINDING_REASONS;
    for (uint32_t i = 0; i < nr; i++) {
        if (i) fputc(',', out);
        vigil_json_write_str(out, f->reasons[i], VIGIL_FINDING_REASON_LEN);
    }
    fputs("],\"dst_name\":", out);
    if (f->dst_name[0]) vigil_json_write_str(out, f->dst_name, VIGIL_FINDING_NAME_LEN);
    else fputs("null", out);
    fprintf(out, ",\"dst_count\":%u,\"jitter\":", (unsigned)f->dst_count);
    json_num(out, f->jitter, 3);
    fprintf(out, ",\"bytes_out\":%llu,\"bytes_in\":%llu,\"duration_s\":",
            (unsigned long long)f->bytes_out, (unsigned long long)f->bytes_in);
    json_num(out, f->duration_s, 3);
    fprintf(out, ",\"prevalence\":%u,\"days_present\":%u", (unsigned)f->prevalence,
            (unsigned)f->days_present);
    /* Destination intelligence (issue 6): null when unknown. */
    fputs(",\"dst_country\":", out);
    if (f->dst_country[0]) vigil_json_write_str(out, f->dst_country, sizeof f->dst_country - 1);
    else fputs("null", out);
    if (f->dst_asn) fprintf(out, ",\"dst_asn\":%u", (unsigned)f->dst_asn);
    else fputs(",\"dst_asn\":null", out);
    fputs(",\"dst_org\":", out);
    if (f->dst_org[0]) vigil_json_write_str(out, f->dst_org, VIGIL_FINDING_ORG_LEN);
    else fputs("null", out);
    fputs(",\"dst_names\":[", out);
    uint32_t nn = f->ndst_names < VIGIL_FINDING_NAMES ? f->ndst_names : VIGIL_FINDING_NAMES;
    for (uint32_t i = 0, k = 0; i < nn; i++) {
        if (!f->dst_names[i][0]) continue;
        if (k++) fputc(',', out);
        vigil_json_write_str(out, f->dst_names[i], VIGIL_FINDING_NAME_LEN);
    }
    fputc(']', out);
    if (f->prevalence_hist) fprintf(out, ",\"prevalence_hist\":%u", (unsigned)f->prevalence_hist);
    else fputs(",\"prevalence_hist\":null", out);
    /* Epoch seconds like first_ts and last_ts. */
    fputs(",\"first_seen\":", out);
    if (f->dst_first_seen > 0) json_num(out, f->dst_first_seen, 6);
    else fputs("null", out);
    const char *st = vigil_finding_status_name(f->status);
    fputs(",\"status\":", out);
    if (st) fprintf(out, "\"%s\"", st);
    else fputs("null", out);
    fputs("}\n", out);
    return ferror(out) ? VIGIL_EIO : VIGIL_OK;
}
