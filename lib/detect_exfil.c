/* detect_exfil.c -- flags unusually large outbound volume per host-day (exfiltration).
 *
 * Input: one host view (agg.h: bytes out per UTC day, the largest
 * single-destination transfer of any day and where it went) and the peer
 * view (median, p99 and MAD of host-day volume over all internal hosts).
 * Output: at most one "exfil" finding for the host's largest day, its
 * score a logistic of summed log-odds, each term stated in `reasons`: how
 * large, against the host's own other days, against its peers, and how
 * rare the destination is.  A host whose every night is large (a backup
 * server) is normal by its own history.  Pure: reads the views; scratch
 * space on the stack, no allocation.  Method, thresholds and evidence:
 * docs/detectors/exfil.md. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "agg.h"

#define DAY 86400.0
#define MB 1e6
#define PRIOR (-3.5)          /* log-odds before any evidence */
#define MIN_BYTES (20 * MB)   /* a smaller day is never reported */
#define HISTORY_MAX 1024      /* other days compared (the nearest ones) */
#define MIN_HISTORY 3         /* fewer active other days: no history */
#define FEW_PEERS 3           /* fewer hosts: no peer comparison */

static double logistic(double z)
{
    return 1.0 / (1.0 + exp(-z));
}

static double clampd(double x, double lo, double hi)
{
    return x < lo ? lo : x > hi ? hi : x;
}

/* "1.2 GB", "340 MB", "45 KB", "12 B". */
static const char *fmt_bytes(double b, char *buf, size_t cap)
{
    if (b >= 1e9) snprintf(buf, cap, "%.1f GB", b / 1e9);
    else if (b >= 1e6) snprintf(buf, cap, "%.0f MB", b / 1e6);
    else if (b >= 1e3) snprintf(buf, cap, "%.0f KB", b / 1e3);
    else snprintf(buf, cap, "%.0f B", b);
    return buf;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* "HH:MM" UTC of an epoch time. */
static const char *fmt_tod(double t, char *buf, size_t cap)
{
    if (!isfinite(t)) {
        snprintf(buf, cap, "?");
        return buf;
    }
    double tod = t - floor(t / DAY) * DAY;
    int m = (int)(tod / 60);
    snprintf(buf, cap, "%02d:%02d", (m / 60) % 24, m % 60);
    return buf;
}

vigil_status vigil__detect_exfil(const vigil__host_view *h, const vigil__peer_view *peers,
                                 const vigil__detect_cfg *cfg, vigil_findings *out)
{
    if (!h || !out) return VIGIL_EINVAL;
    double min_score = cfg ? cfg->min_score : 0.05;
    if (h->ndays == 0 || !h->bytes_out_by_day) return VIGIL_OK;

    /* The day of the largest single-destination transfer; if it does not
     * fall in the array, the largest day. */
    size_t day = SIZE_MAX;
    double rel = (h->top_day - h->input_first_day) / DAY;
    if (isfinite(rel) && rel >= 0 && rel < (double)h->ndays) day = (size_t)(rel + 1e-9);
    if (day >= h->ndays) {
        day = 0;
        for (size_t i = 1; i < h->ndays; i++)
            if (h->bytes_out_by_day[i] > h->bytes_out_by_day[day]) day = i;
    }
    double v = (double)h->bytes_out_by_day[day];
    double top = (double)h->top_bytes;
    if (top > v) v = top;
    if (v < MIN_BYTES) return VIGIL_OK;

    vigil_finding f;
    memset(&f, 0, sizeof f);
    f.kind = VIGIL_FIND_EXFIL;
    f.src = h->host;
    f.dst = h->top_dst;
    if (h->top_name) snprintf(f.dst_name, sizeof f.dst_name, "%s", h->top_name);
    f.dst_count = 1;
    f.dport = h->top_dport;
    f.proto = VIGIL_PROTO_UNKNOWN; /* the host view does not say */
    f.first_ts = h->top_first_ts;
    f.last_ts = h->top_last_ts;
    f.bytes_out = h->top_bytes;
    f.prevalence = h->top_dst_prevalence;
    char b1[32], b2[32], t1[16], t2[16];
    double z = PRIOR;

    /* 1. Size of the transfer to one destination. */
    z += clampd(1.2 * log2(fmax(top, 1.0) / (40 * MB)), -3.0, 3.0);
    double tz = cfg && cfg->has_tz ? cfg->tz_offset : 0;
    vigil_finding_reason(&f, "%s out to one destination in %s-%s %s (%s out that day)",
                         fmt_bytes(top, b1, sizeof b1), fmt_tod(h->top_first_ts + tz, t1, sizeof t1),
                         fmt_tod(h->top_last_ts + tz, t2, sizeof t2),
                         cfg && cfg->has_tz ? "local time" : "UTC", fmt_bytes(v, b2, sizeof b2));
    /* 2. The host's own history: its other active days, the nearest
     * HISTORY_MAX of them. */
    double hist[HISTORY_MAX];
    size_t k = 0;
    double max_other = 0;
    size_t lo = day > HISTORY_MAX / 2 ? day - HISTORY_MAX / 2 : 0;
    for (size_t i = lo; i < h->ndays && k < HISTORY_MAX; i++) {
        if (i == day || h->bytes_out_by_day[i] == 0) continue;
        double d = (double)h->bytes_out_by_day[i];
        hist[k++] = d;
        if (d > max_other) max_other = d;
    }
    uint32_t active = 0;
    int normal_for_host = 0; /* its other days are as large: its routine */
    for (size_t i = 0; i < h->ndays; i++) active += h->bytes_out_by_day[i] != 0;
    f.days_present = active;
    if (k >= MIN_HISTORY) {
        qsort(hist, k, sizeof hist[0], cmp_double);
        double med = hist[k / 2];
        double r = v / fmax(med, 1 * MB);
        double t = clampd(1.2 * log2(r / 5.0), -2.5, 2.0);
        if (v <= 1.5 * max_other) {
            normal_for_host = 1;
            t = fmin(t, -2.0);
            vigil_finding_reason(&f, "normal for this host: it sent up to %s on its other days (median %s)",
                                 fmt_bytes(max_other, b1, sizeof b1), fmt_bytes(med, b2, sizeof b2));
        } else {
            vigil_finding_reason(&f, "%.0fx this host's median day (%s over %zu other days, at most %s)",
                                 r, fmt_bytes(med, b1, sizeof b1), k, fmt_bytes(max_other, b2, sizeof b2));
        }
        z += t;
    } else {
        if (k == 0)
            vigil_finding_reason(&f, "no other active day: no history of this host to compare");
        else
            vigil_finding_reason(&f, "only %zu other active day%s: too little history of this host to compare",
                                 k, k == 1 ? "" : "s");
    }

    /* 2b. When: with the site's time zone known, a transfer that starts
     * between 00:00 and 06:00 local time happens while nobody works --
     * unless this host moves that much every day (a nightly backup). */
    if (cfg && cfg->has_tz && isfinite(h->top_first_ts) && !normal_for_host) {
        double tod = fmod(h->top_first_ts + tz, DAY);
        if (tod < 0) tod += DAY;
        if (tod < 6 * 3600.0) {
            z += 0.75;
            vigil_finding_reason(&f, "at night: starts %s local time, outside anyone's working hours",
                                 fmt_tod(h->top_first_ts + tz, t1, sizeof t1));
        }
    }

    /* 3. Peers: every internal host's days. */
    if (peers && peers->hosts >= FEW_PEERS && peers->p99_day_out > 0) {
        double med = peers->median_day_out > 0 ? peers->median_day_out : 0;
        if (v > peers->p99_day_out) {
            z += 0.75;
            vigil_finding_reason(&f, "above 99%% of all hosts' days (median %s, p99 %s)",
                                 fmt_bytes(med, b1, sizeof b1),
                                 fmt_bytes(peers->p99_day_out, b2, sizeof b2));
        } else {
            z -= 0.5;
            vigil_finding_reason(&f, "within the range of all hosts' days (median %s, p99 %s)",
                                 fmt_bytes(med, b1, sizeof b1),
                                 fmt_bytes(peers->p99_day_out, b2, sizeof b2));
        }
    } else {
        vigil_finding_reason(&f, "too few hosts to compare with peers");
    }

    /* 4. The destination: a new place only this host sends to, or a cloud
     * service many hosts use. */
    uint32_t prev = h->top_dst_prevalence, hosts = peers ? peers->hosts : 0;
    if (prev <= 1) {
        z += 1.0;
        vigil_finding_reason(&f, "only this host talks to the destination");
    } else if (prev == 2) {
        z += 0.5;
        vigil_finding_reason(&f, "only 2 internal hosts talk to the destination");
    } else if ((hosts && (double)prev >= 0.1 * hosts) || prev >= 20) {
        /* Many colleagues upload there: a sanctioned service.  A big
         * upload to it is worth a line, not an alarm. */
        z -= 3.0;
        if (hosts)
            vigil_finding_reason(&f, "a popular destination: %u of %u internal hosts use it",
                                 (unsigned)prev, (unsigned)hosts);
        else
            vigil_finding_reason(&f, "a popular destination: %u internal hosts use it", (unsigned)prev);
    } else {
        vigil_finding_reason(&f, "%u internal hosts talk to the destination", (unsigned)prev);
    }

    f.score = logistic(z);
    if (f.score < min_score) return VIGIL_OK;
    return vigil_findings_push(out, &f);
}
