/* detect_strobe.c -- flags excessive connection counts per pair, and refused-connection retry storms.
 *
 * Input: one pair view (agg.h: counts of refused / unanswered /
 * established connections, start times, prevalence).  Output: at most one
 * "strobe" finding per pair (never one per connection), its score a
 * logistic of summed log-odds, each term stated in `reasons`.  Two shapes:
 * a retry storm (most attempts refused or unanswered, retried within
 * seconds: a RAT whose server is down or not yet listening) and a volume
 * strobe (more connections per day than a person or a normal program
 * makes, RITA's > 86400 a day).  Pure: reads the view, no allocation.
 * Method, thresholds and evidence: docs/detectors/strobe.md. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "agg.h"

#define DAY 86400.0
#define MIN_CONNS 20          /* fewer connections are never a strobe */
#define STORM_FAIL_FRAC 0.6   /* refused + unanswered share of a storm */
#define VOLUME_MIN_CONNS 1000 /* fewest connections of a volume strobe */
#define STROBE_PER_DAY 86400.0 /* RITA's threshold: one a second, all day */
#define FEW_HOSTS 5           /* fewer internal hosts: prevalence says nothing */
#define SAMPLE 1024           /* intervals sampled for their quantiles */

static double logistic(double z)
{
    return 1.0 / (1.0 + exp(-z));
}

static double clampd(double x, double lo, double hi)
{
    return x < lo ? lo : x > hi ? hi : x;
}

/* "8 min", "2.1 h", "45 s". */
static const char *fmt_dur(double s, char *buf, size_t cap)
{
    if (s >= 7200) snprintf(buf, cap, "%.1f h", s / 3600);
    else if (s >= 120) snprintf(buf, cap, "%.0f min", s / 60);
    else snprintf(buf, cap, "%.0f s", s);
    return buf;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Quantiles of the gaps between consecutive starts (at most SAMPLE gaps,
 * evenly spread over the pair).  Returns the number of gaps used. */
static size_t gap_quantiles(const vigil__pair_view *p, double *q10, double *q50, double *q90)
{
    double gaps[SAMPLE];
    size_t m = 0;
    *q10 = *q50 = *q90 = 0;
    if (!p->pts || p->n < 3) return 0;
    size_t ngaps = p->n - 1;
    size_t step = ngaps > SAMPLE ? ngaps / SAMPLE : 1;
    for (size_t i = 0; i < ngaps && m < SAMPLE; i += step) {
        double d = p->pts[i + 1].ts - p->pts[i].ts;
        if (!isfinite(d)) continue;
        gaps[m++] = d < 0 ? 0 : d;
    }
    if (m == 0) return 0;
    qsort(gaps, m, sizeof gaps[0], cmp_double);
    *q10 = gaps[m / 10];
    *q50 = gaps[m / 2];
    *q90 = gaps[(m * 9) / 10];
    return m;
}

/* Log-odds from prevalence: strong against a popular destination, mild
 * for a rare one (a storm is evidence on its own).  Its reason goes to f
 * (none when f is NULL). */
static double prevalence_term(const vigil__pair_view *p, vigil_finding *f, int storm)
{
    uint32_t hosts = p->internal_hosts, prev = p->prevalence;
    if (hosts < FEW_HOSTS) {
        if (f)
            vigil_finding_reason(f, "only %u internal host%s in the input: prevalence is no evidence",
                                 (unsigned)hosts, hosts == 1 ? "" : "s");
        return 0;
    }
    if (prev <= 1) {
        if (f) vigil_finding_reason(f, "only this host talks to it (of %u internal hosts)", (unsigned)hosts);
        return 0.5;
    }
    if (prev == 2) {
        if (f) vigil_finding_reason(f, "only 2 of %u internal hosts talk to it", (unsigned)hosts);
        return 0.5;
    }
    if ((double)prev >= 0.2 * hosts || prev >= 25) {
        if (f)
            vigil_finding_reason(f, storm ? "%u of %u internal hosts talk to it: an outage or a blocked service, not one infected host"
                                          : "%u of %u internal hosts talk to it: a busy shared service (CDN, API)",
                                 (unsigned)prev, (unsigned)hosts);
        return -3.0;
    }
    if (f) vigil_finding_reason(f, "%u of %u internal hosts talk to it", (unsigned)prev, (unsigned)hosts);
    return 0;
}

/* The two shapes a strobe can have (the storm wins when both fit). */
enum { SHAPE_NONE, SHAPE_STORM, SHAPE_VOLUME };

static int shape_of(const vigil__pair_view *p)
{
    if (p->is_group && p->dst_count <= 1) return SHAPE_NONE; /* the plain pair again */
    if (p->n < MIN_CONNS) return SHAPE_NONE;
    double n = (double)p->n;
    double fail = (double)p->n_rej + (double)p->n_s0;
    if (fail > n) fail = n;
    if (fail / n >= STORM_FAIL_FRAC && fail >= MIN_CONNS && (double)p->n_ok <= 0.2 * n) return SHAPE_STORM;
    return p->n >= VOLUME_MIN_CONNS ? SHAPE_VOLUME : SHAPE_NONE;
}

/* The log-odds of a strobe of `shape` over `span` seconds; its reasons go
 * to f (none when f is NULL; q10, q50, q90 are the gap quantiles of ngaps
 * gaps, used only in reasons).  Everything but the span comes from the
 * view's head. */
static double judge(const vigil__pair_view *p, int shape, double span, vigil_finding *f, size_t ngaps,
                    double q10, double q50, double q90)
{
    char b1[32], b2[32];
    double n = (double)p->n;
    double fail = (double)p->n_rej + (double)p->n_s0;
    if (fail > n) fail = n;
    double frac = fail / n;
    double z;
    if (shape == SHAPE_STORM) {
        /* A retry storm: attempts that fail, again and again, quickly. */
        double per_min = n / fmax(span, 60.0) * 60.0;
        const char *what = p->n_rej >= p->n_s0 ? "refused" : "unanswered";
        z = -3.0;
        z += clampd(log2(fail / 50.0), -1.5, 2.0);
        z += clampd(0.6 * log2(per_min), -1.0, 2.0);
        if (f)
            vigil_finding_reason(f, "%.0f %s connections in %s (%.1f a minute): a retry storm, not a beacon",
                                 fail, what, fmt_dur(span, b1, sizeof b1), per_min);
        if (frac >= 0.9) z += 1.0;
        if (f)
            vigil_finding_reason(f, "%.0f%% of %llu attempts failed (%u refused, %u unanswered, %u established)",
                                 100 * frac, (unsigned long long)p->n, (unsigned)p->n_rej,
                                 (unsigned)p->n_s0, (unsigned)p->n_ok);
        if (f && ngaps) vigil_finding_reason(f, "retried every %.1f-%.1f s (median %.1f s)", q10, q90, q50);
        if (span >= 600) {
            z += 0.5;
            if (f) vigil_finding_reason(f, "kept retrying for %s", fmt_dur(span, b2, sizeof b2));
        }
        return z + prevalence_term(p, f, 1);
    }
    /* A volume strobe: the rate over at least an hour, so a short burst
     * does not extrapolate to millions a day. */
    double per_day = n * DAY / fmax(span, 3600.0);
    z = 2.0 * log2(per_day / STROBE_PER_DAY);
    z = clampd(z, -6, 4);
    if (f && per_day >= STROBE_PER_DAY)
        vigil_finding_reason(f, "%llu connections in %s, %.0f a day: a strobe (over %.0f a day, more than a person or a normal program makes)",
                             (unsigned long long)p->n, fmt_dur(span, b1, sizeof b1), per_day,
                             STROBE_PER_DAY);
    else if (f)
        vigil_finding_reason(f, "%llu connections in %s, %.0f a day (a strobe is over %.0f a day)",
                             (unsigned long long)p->n, fmt_dur(span, b1, sizeof b1), per_day,
                             STROBE_PER_DAY);
    if (f && ngaps) vigil_finding_reason(f, "connections every %.2f s (median)", q50);
    return z + prevalence_term(p, f, 0);
}

/* An upper bound of the log-odds over every span: the rate terms only
 * fall as the span grows (span 0 gives their largest value), and a storm
 * gains at most 0.5 for lasting ten minutes.  Floating-point sums and
 * quotients are monotonic; the slack covers the bonus being added in a
 * different order than judge() adds it. */
static double z_bound(const vigil__pair_view *p, int shape)
{
    return judge(p, shape, 0, NULL, 0, 0, 0, 0) + (shape == SHAPE_STORM ? 0.5 : 0) + 1e-9;
}

int vigil__detect_strobe_applies(const vigil__pair_view *p, const vigil__detect_cfg *cfg)
{
    double min_score = cfg ? cfg->min_score : 0.05;
    int shape = shape_of(p);
    return shape != SHAPE_NONE && logistic(z_bound(p, shape)) >= min_score;
}

vigil_status vigil__detect_strobe(const vigil__pair_view *p, const vigil__detect_cfg *cfg,
                                  vigil_findings *out)
{
    if (!p || !out) return VIGIL_EINVAL;
    double min_score = cfg ? cfg->min_score : 0.05;
    if (!vigil__detect_strobe_applies(p, cfg)) return VIGIL_OK;
    int shape = shape_of(p);
    double span = p->last_ts - p->first_ts;
    if (!isfinite(span) || span < 0) span = 0;
    /* The score first; the gaps (a sort) and the words only for a finding. */
    if (logistic(judge(p, shape, span, NULL, 0, 0, 0, 0)) < min_score) return VIGIL_OK;

    vigil_finding f;
    vigil__finding_from_pair(&f, VIGIL_FIND_STROBE, p);
    double q10, q50, q90;
    size_t ngaps = gap_quantiles(p, &q10, &q50, &q90);
    double z = judge(p, shape, span, &f, ngaps, q10, q50, q90);
    f.score = logistic(z);
    if (f.score < min_score) return VIGIL_OK;
    return vigil_findings_push(out, &f);
}
