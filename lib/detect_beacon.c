/* detect_beacon.c -- flags periodic connections (C2). */
/*
 * Input: one vigil__pair_view -- the connections of one internal host to one
 * destination (address, or a name joining rotating addresses), with counts,
 * durations, prevalence and the input's span.
 * Output: at most one VIGIL_FIND_BEACON finding appended to `out`, whose
 * score in [0,1] says how much the pair looks like C2 beaconing (periodic,
 * persistent, low-volume, rare) and whose reasons state every component.
 * Method, formulas, thresholds and why each trap is discounted:
 * docs/detectors/beacon.md.
 *
 * Outline (all O(n) passes plus selection, O(n log n) only when the input
 * was not sorted; one scratch allocation of 3n doubles per call):
 *   1. copy the finite timestamps, sort if needed;
 *   2. for a ladder of burst gaps, collapse connections closer than the gap
 *      into beats and keep the gap whose beat intervals are most regular
 *      (a gap must stay under a quarter of the period it produces);
 *   3. intervals over 6x the median are sleep (nights, weekends, a week
 *      away): regularity is judged on the active intervals only;
 *   4. regularity three ways, the best wins: spread of the intervals
 *      (MAD/median: bounded jitter), a comb fit allowing k*T (missed beats),
 *      and sums of 2-3 consecutive intervals (several connections per
 *      cycle at fixed offsets); each weighted by its statistical
 *      significance against random (Poisson-like) traffic;
 *   5. persistence (days present, or the share of the time covered, since
 *      first contact), the daily schedule, request sizes, prevalence and
 *      first-seen;
 *   6. trap discounts: popular destinations, long-poll/websocket sessions
 *      that cover the time between beats, refused-connection retry storms.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "agg.h"

#define DAY 86400.0
#define HOUR 3600.0
#define MIN_PERIOD 0.2        /* s: shorter "periods" are parallel connections */
#define SLEEP_FACTOR 6.0      /* intervals > 6 x median are sleep */
#define BURST_MAX_FRAC 0.25   /* a burst gap stays under period / 4 */
#define MIN_BEATS 4           /* fewest beats (3 intervals) judged */
#define MOAT_FACTOR 4.0       /* bursts: no intervals in [gap, 4 x gap) ... */
#define MOAT_SHARE 0.05       /* ... beyond 5% of the beat intervals */
#define MAX_SLEEP_SHARE 0.4   /* more sleep gaps than this: not a cadence */
#define MAX_TS 1e11           /* |ts| beyond (year 5138) is garbage */

/* The burst gaps tried (seconds; 0: no collapsing).  Bursts are seconds
 * apart; longer gaps would start to merge real beats of short periods. */
static const double burst_gaps[] = { 0, 0.05, 0.1, 0.2, 0.5, 1, 2, 3, 5, 10, 20, 30, 60, 120 };

/* The beat intervals of one burst gap, as judged by their spread. */
typedef struct cadence {
    double gap;                /* connections closer than this are one beat */
    size_t beats;              /* beats after collapsing */
    size_t nint;               /* intervals between beats (beats - 1) */
    size_t nact;               /* active intervals (not sleep) */
    double sleep_at;           /* intervals above this are sleep gaps */
    double period;             /* median active interval */
    double spread;             /* half the interquartile range / median of
                                  the active intervals */
    double active_time;        /* summed active intervals (s) */
} cadence;

/* The regularity verdict, whichever method explained the beats best. */
typedef struct regularity {
    int method;                /* METHOD_SPREAD, METHOD_COMB, METHOD_CYCLE */
    double period;             /* seconds between beats (or cycles) */
    double jitter;             /* relative spread of the chosen method */
    double level;              /* how regular, [0,1] */
    double signif;             /* how sure (vs random traffic), [0,1] */
    double missed;             /* beats missed inside active stretches (comb) */
    int per_cycle;             /* connections per cycle (cycle method) */
    size_t samples;            /* intervals (or cycles) the verdict rests on */
} regularity;

enum { METHOD_SPREAD = 0, METHOD_COMB = 1, METHOD_CYCLE = 2 };

/* Null model: for Poisson-like (exponential) intervals the relative spread
 * (rel_spread) is about 1.0 and the comb residual about 0.25; the standard errors of both shrink
 * as 1/sqrt(n).  Significance is how many standard errors below random. */
#define RANDOM_SPREAD 1.0
#define RANDOM_SPREAD_SE 1.3
#define RANDOM_COMB 0.25
#define RANDOM_COMB_SE 0.3

static double clamp01(double x) { return x < 0 ? 0 : x > 1 ? 1 : x; }

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Collapses ts[0..m) into beats with `gap` and writes the m' - 1 beat
 * intervals to iv; returns the number of beats. */
static size_t collapse(const double *ts, size_t m, double gap, double *iv)
{
    size_t beats = 0;
    double last = 0;
    for (size_t i = 0; i < m; i++) {
        if (i > 0 && ts[i] - ts[i - 1] < gap) continue;
        if (beats) iv[beats - 1] = ts[i] - last;
        last = ts[i];
        beats++;
    }
    return beats;
}

/* The relative spread of n values around their median, the larger of
 * half the interquartile range and a quarter of the 5-95% range, over the
 * median.  Uniform jitter of +/-J gives about J/2 on both; heavy tails
 * (log-normal, exponential: random traffic, ~1.0) raise the second.
 * Unlike the MAD it does not vanish when the values split into two equal
 * camps (9 s and 14 s alternating).  From the median and the 5, 25, 75
 * and 95% quantiles. */
static double rel_spread(double median, double q05, double q1, double q3, double q95)
{
    if (!(median > 0)) return 0;
    double iqr = (q3 - q1) / 2, tails = (q95 - q05) / 4;
    return (iqr > tails ? iqr : tails) / median;
}

/* The median of v[0..n) and their relative spread around it, from one
 * selection pass (this detector's hot spot: every burst gap tried judges
 * one).  Reorders v. */
static void median_spread(double *v, size_t n, double *median, double *spread)
{
    static const double qs[4] = { 0.05, 0.25, 0.75, 0.95 };
    double q[4];
    vigil__median_quantiles(v, n, qs, 4, median, q);
    *spread = rel_spread(*median, q[0], q[1], q[2], q[3]);
}

/* Judges the cadence of burst gap `gap`: 0 when it is not usable (too few
 * beats, no period, or a gap too wide for the period it yields). */
static int judge_cadence(const double *ts, size_t m, double gap, double *iv, double *tmp,
                         cadence *c)
{
    memset(c, 0, sizeof *c);
    c->gap = gap;
    c->beats = collapse(ts, m, gap, iv);
    if (c->beats < MIN_BEATS) return 0;
    c->nint = c->beats - 1;
    memcpy(tmp, iv, c->nint * sizeof *tmp);
    double med = vigil__median(tmp, c->nint);
    if (!(med >= MIN_PERIOD)) return 0;
    if (gap > BURST_MAX_FRAC * med) return 0;
    c->sleep_at = SLEEP_FACTOR * med;
    size_t k = 0;
    for (size_t i = 0; i < c->nint; i++)
        if (iv[i] <= c->sleep_at) {
            tmp[k++] = iv[i];
            c->active_time += iv[i];
        }
    c->nact = k;
    if (k < MIN_BEATS - 1) return 0;
    /* If "sleep" is common the median is an intra-burst spacing, not the
     * beat: e.g. a handshake 0.3 s before each session. */
    if ((double)(c->nint - k) > MAX_SLEEP_SHARE * (double)c->nint) return 0;
    median_spread(tmp, k, &c->period, &c->spread);
    if (!(c->period >= MIN_PERIOD)) return 0;
    return 1;
}

/* Level of regularity from a relative spread of intervals (bounded jitter
 * up to ~+/-80% still scores high; random traffic is near 1.0). */
static double spread_level(double s) { return 1 - vigil__squash(s, 0.56, 0.045); }
/* Level from a comb residual (random traffic: 0.25). */
static double comb_level(double r) { return 1 - vigil__squash(r, 0.14, 0.025); }
/* Significance from "standard errors below random". */
static double signif_of(double z) { return vigil__squash(z, 2.0, 0.5); }

/* Regularity of the chosen cadence: spread, comb, cycles; the best
 * level x significance wins.  iv holds the cadence's intervals. */
static void judge_regularity(const cadence *c, const double *iv, double *tmp, regularity *out)
{
    regularity best;
    memset(&best, 0, sizeof best);
    best.method = METHOD_SPREAD;
    best.period = c->period;
    best.jitter = c->spread;
    best.level = spread_level(c->spread);
    best.signif = signif_of((RANDOM_SPREAD - c->spread) / (RANDOM_SPREAD_SE / sqrt((double)c->nact)));
    best.per_cycle = 1;
    best.samples = c->nact;

    /* Comb: the base period may be the median or a fraction of it (missed
     * beats make intervals of 2T, 3T...).  Residuals are measured against
     * the candidate period, so a too-small candidate pays for it. */
    /* Near-perfect spread leaves nothing for the comb or cycles to add
     * (and skipping them keeps a million-point pair cheap). */
    int settled = best.level * best.signif >= 0.98 && c->spread < 0.08;
    for (int k = 1; k <= 4 && !settled; k++) {
        double p = c->period / k;
        if (p < MIN_PERIOD) break;
        size_t n = 0, k1 = 0;
        for (size_t i = 0; i < c->nint; i++) {
            if (iv[i] > c->sleep_at) continue;
            double q = floor(iv[i] / p + 0.5);
            if (q < 1) q = 1;
            if (q == 1) k1++;
            tmp[n++] = fabs(iv[i] - q * p) / p;
        }
        if (n < MIN_BEATS - 1 || (double)k1 < 0.15 * (double)n) continue;
        double r = vigil__median(tmp, n);
        regularity g = best;
        g.method = METHOD_COMB;
        g.jitter = r;
        g.level = comb_level(r);
        g.signif = signif_of((RANDOM_COMB - r) / (RANDOM_COMB_SE / sqrt((double)n)));
        g.samples = n;
        if (g.level * g.signif <= best.level * best.signif + 1e-9) continue;
        g.period = p;
        g.per_cycle = 1;
        best = g;
    }
    /* With little jitter, each active interval is a whole number of periods:
     * refine the period from the intervals that fit, and count the beats
     * that were missed in between. */
    if (best.method != METHOD_CYCLE && best.jitter < 0.15) {
        double p = best.period, missed = 0;
        size_t nf = 0;
        for (size_t i = 0; i < c->nint; i++) {
            if (iv[i] > c->sleep_at) continue;
            double q = floor(iv[i] / p + 0.5);
            if (q < 1) q = 1;
            missed += q - 1;
            if (q <= 16 && fabs(iv[i] - q * p) <= 0.25 * p) tmp[nf++] = iv[i] / q;
        }
        if (nf) best.period = vigil__median(tmp, nf);
        best.missed = missed;
    }

    /* Cycles: m connections per cycle at fixed offsets (a check-in and a
     * retry 9 s later, every 23 s) make single intervals look irregular
     * while sums of m consecutive ones are constant.  Sums of a jittered
     * single beat only shrink as 1/sqrt(m), so the spread is scaled back by
     * sqrt(m) and must beat the single-interval spread by half. */
    for (int m = 2; m <= 3 && !settled; m++) {
        size_t n = 0, run = 0;
        double sum = 0;
        double win[3] = { 0, 0, 0 };
        for (size_t i = 0; i < c->nint; i++) {
            if (iv[i] > c->sleep_at) { run = 0; sum = 0; continue; }
            sum += iv[i];
            if (run >= (size_t)m) sum -= win[run % (size_t)m];
            win[run % (size_t)m] = iv[i];
            run++;
            if (run >= (size_t)m) tmp[n++] = sum;
        }
        if (n < MIN_BEATS - 1) continue;
        double med, rel;
        median_spread(tmp, n, &med, &rel);
        if (!(med >= MIN_PERIOD)) continue;
        double eff = rel * sqrt((double)m);
        if (eff >= 0.5 * c->spread) continue;
        size_t cycles = n / (size_t)m;
        if (cycles < MIN_BEATS - 1) continue;
        regularity g;
        memset(&g, 0, sizeof g);
        g.method = METHOD_CYCLE;
        g.period = med;
        g.jitter = rel;
        g.level = spread_level(eff);
        g.signif = signif_of((RANDOM_SPREAD - eff) / (RANDOM_SPREAD_SE / sqrt((double)cycles)));
        g.per_cycle = m;
        g.samples = cycles;
        if (g.level * g.signif > best.level * best.signif + 1e-9) best = g;
    }
    *out = best;
}

/* "60 s", "2.5 min", "3.0 h", "2.1 days". */
static const char *fmt_dur(char *buf, size_t cap, double s)
{
    if (s < 10) snprintf(buf, cap, "%.1f s", s);
    else if (s < 120) snprintf(buf, cap, "%.0f s", s);
    else if (s < 2 * HOUR) snprintf(buf, cap, "%.1f min", s / 60);
    else if (s < 2 * DAY) snprintf(buf, cap, "%.1f h", s / HOUR);
    else snprintf(buf, cap, "%.1f days", s / DAY);
    return buf;
}

/* "320 B", "2.1 kB", "4.2 MB". */
static const char *fmt_bytes(char *buf, size_t cap, double b)
{
    if (b < 10000) snprintf(buf, cap, "%.0f B", b);
    else if (b < 1e7) snprintf(buf, cap, "%.1f kB", b / 1e3);
    else snprintf(buf, cap, "%.1f MB", b / 1e6);
    return buf;
}

/* A UTC hour of day as the site's local hour (UTC without a time zone). */
static int local_hour(int utc_hour, const vigil__detect_cfg *cfg)
{
    int off = cfg && cfg->has_tz ? cfg->tz_offset / 3600 : 0;
    return ((utc_hour + off) % 24 + 24) % 24;
}

/* Day of the week of a UTC day index (0 = Sunday; day 0 was a Thursday). */
static int weekday_of(double day)
{
    double w = fmod(day + 4, 7);
    if (w < 0) w += 7;
    int d = (int)w;
    return d < 0 ? 0 : d > 6 ? 6 : d;
}

/* Weekdays (Mon-Fri) among the UTC days d0..d1 inclusive. */
static double weekdays_between(double d0, double d1)
{
    if (d1 < d0) return 0;
    double days = d1 - d0 + 1;
    double weeks = floor(days / 7);
    double n = weeks * 5;
    for (double d = d0 + weeks * 7; d <= d1; d++) {
        int w = weekday_of(d);
        if (w != 0 && w != 6) n++;
    }
    return n;
}

/* When the beats happen: days present, the daily schedule. */
typedef struct schedule {
    double days_present;       /* distinct UTC days with a beat */
    double by_hour[24];        /* beats per hour of day (UTC) */
    double by_weekday[7];      /* beats per weekday (0 = Sunday) */
    int daily;                 /* 1: active in a daily window, asleep outside */
    int window_start, window_len; /* that window (UTC hours) */
    int weekends_off;          /* 1: no beats on Saturdays and Sundays */
    size_t sleeps;             /* sleep gaps between active stretches */
    double longest_sleep;      /* the longest of them (s) */
} schedule;

static void judge_schedule(const double *ts, size_t m, const cadence *c, const double *iv,
                           schedule *s)
{
    memset(s, 0, sizeof *s);
    double last_day = -HUGE_VAL;
    for (size_t i = 0; i < m; i++) {
        if (i > 0 && ts[i] - ts[i - 1] < c->gap) continue;
        double day = floor(ts[i] / DAY);
        if (day != last_day) s->days_present++;
        last_day = day;
        double h = fmod(ts[i], DAY);
        if (h < 0) h += DAY;
        int hi = (int)(h / HOUR);
        s->by_hour[hi < 0 ? 0 : hi > 23 ? 23 : hi]++;
        s->by_weekday[weekday_of(day)]++;
    }
    for (size_t i = 0; i < c->nint; i++)
        if (iv[i] > c->sleep_at) {
            s->sleeps++;
            if (iv[i] > s->longest_sleep) s->longest_sleep = iv[i];
        }
    double span = ts[m - 1] - ts[0];
    if (s->sleeps >= 2 && span >= 2 * DAY) {
        /* The shortest circular window of hours holding 97% of the beats. */
        double total = 0;
        for (int h = 0; h < 24; h++) total += s->by_hour[h];
        for (int len = 1; len <= 24 && !s->daily; len++)
            for (int h0 = 0; h0 < 24; h0++) {
                double in = 0;
                for (int k = 0; k < len; k++) in += s->by_hour[(h0 + k) % 24];
                if (in >= 0.97 * total) {
                    if (len <= 16) {
                        s->daily = 1;
                        s->window_start = h0;
                        s->window_len = len;
                    }
                    len = 25;
                    break;
                }
            }
        if (span >= 7 * DAY && s->by_weekday[0] + s->by_weekday[6] == 0) s->weekends_off = 1;
    }
}

/* Rarity: prevalence among internal hosts, and first contact.  It is the
 * evidence that separates C2 from vendor telemetry, and its weight grows
 * with the population: "1 of 480" says much, "1 of 12" little, "1 of 1"
 * nothing.  From the view's head alone. */
typedef struct rarity {
    int prev_known;            /* prevalence says something */
    double pop_w;              /* weight of the population size */
    double prev_frac;          /* prevalence / internal hosts */
    double rar;                /* how rare, [0,1] */
    double m_prev;             /* popular-destination discount */
    int is_new;                /* first contacted a day or more in */
    double new_after;          /* seconds into the data of first contact */
    double m_rare;             /* rarity factor */
} rarity;

static void judge_rarity(const vigil__pair_view *p, rarity *r)
{
    memset(r, 0, sizeof *r);
    r->m_prev = 1;
    r->prev_known = p->internal_hosts > 1 && p->prevalence > 0;
    if (r->prev_known) {
        r->pop_w = vigil__squash(log10((double)p->internal_hosts), log10(30.0), 0.15);
        r->prev_frac = (double)p->prevalence / (double)p->internal_hosts;
        double eff = p->prevalence <= 3 ? 0 : r->prev_frac;
        r->rar = p->prevalence == 1 ? 1 : 1 - vigil__squash(eff, 0.03, 0.01);
        r->m_prev = 1 - 0.65 * r->pop_w * vigil__squash(eff, 0.08, 0.025);
    }
    if (p->input_last_ts - p->input_first_ts >= 2 * DAY && p->dst_first_seen > 0) {
        r->new_after = p->dst_first_seen - p->input_first_ts;
        r->is_new = r->new_after >= DAY;
    }
    r->m_rare = 0.65 + 0.35 * clamp01(r->pop_w * r->rar + (r->is_new ? 0.15 : 0));
}

/* The most core (level x significance) any method can reach on m
 * timestamps: level <= 1, and significance grows with the z of the method
 * (spread, comb or cycles), largest at zero spread on all m - 1
 * intervals.  With a slack for rounding. */
static double core_bound(size_t m)
{
    if (m < 2) return 0;
    double z_max = sqrt((double)(m - 1)) *
                   fmax(RANDOM_SPREAD / RANDOM_SPREAD_SE, RANDOM_COMB / RANDOM_COMB_SE);
    return signif_of(z_max * (1 + 1e-9) + 1e-9);
}

/* Branch and bound, step one: the score is core x persistence x sizes x
 * rarity x traps, every factor but core and rarity at most 1.  When even
 * core_bound(n) x rarity is below min_score nothing can be reported (most
 * pairs: few connections, or a destination many hosts use), and neither
 * the points nor the burst-gap ladder are needed. */
static int may_report(const vigil__pair_view *p, const vigil__detect_cfg *cfg, const rarity *r)
{
    double min_score = cfg ? cfg->min_score : 0.05;
    size_t min_conns = cfg && cfg->min_conns > MIN_BEATS ? cfg->min_conns : MIN_BEATS;
    if (p->n < min_conns) return 0;
    return core_bound(p->n) * r->m_rare * r->m_prev >= min_score * (1 - 1e-9);
}

int vigil__detect_beacon_applies(const vigil__pair_view *p, const vigil__detect_cfg *cfg)
{
    rarity r;
    judge_rarity(p, &r);
    return may_report(p, cfg, &r);
}

vigil_status vigil__detect_beacon(const vigil__pair_view *p, const vigil__detect_cfg *cfg,
                                  vigil_findings *out)
{
    if (!p || !out) return VIGIL_EINVAL;
    double min_score = cfg ? cfg->min_score : 0.05;
    rarity rr; /* 5c below; first for the bound */
    judge_rarity(p, &rr);
    if (!p->pts || !may_report(p, cfg, &rr)) return VIGIL_OK;
    if (p->n > SIZE_MAX / (3 * sizeof(double))) return VIGIL_ENOMEM;

    const vigil_allocator *al = vigil_allocator_default();
    double *scratch = vigil__malloc(al, 3 * p->n * sizeof(double));
    if (!scratch) return VIGIL_ENOMEM;
    double *ts = scratch, *iv = scratch + p->n, *tmp = scratch + 2 * p->n;
    vigil_status rc = VIGIL_OK;

    /* 1. Finite timestamps, sorted (views are sorted by contract; a
     * backwards step costs one sort, never undefined behaviour). */
    size_t m = 0;
    int sorted = 1;
    for (size_t i = 0; i < p->n; i++) {
        double t = p->pts[i].ts;
        if (!isfinite(t) || fabs(t) > MAX_TS) continue;
        if (m && t < ts[m - 1]) sorted = 0;
        ts[m++] = t;
    }
    if (m < MIN_BEATS) goto out;
    if (!sorted) qsort(ts, m, sizeof *ts, cmp_double);

    /* 5b. Request sizes (originator payload per connection). */
    for (size_t i = 0; i < p->n; i++) tmp[i] = (double)p->pts[i].orig_bytes;
    double size_med = vigil__median(tmp, p->n);
    double size_mad = vigil__mad(tmp, p->n, size_med);
    double size_rel = size_med > 0 ? size_mad / size_med : (size_mad > 0 ? 1 : 0);
    int no_payload = size_med == 0 && size_mad == 0;
    double size_reg = 1 - vigil__squash(size_rel, 0.35, 0.08);
    double size_small = 1 - vigil__squash(log10(size_med + 1), log10(20000.0), 0.3);
    double size_score = no_payload ? 0.5 : 0.6 * size_reg + 0.4 * size_small;
    double f_size = 0.8 + 0.2 * size_score;

    /* 5c. Rarity (judged above). */
    double rar = rr.rar, m_prev = rr.m_prev, pop_w = rr.pop_w, new_after = rr.new_after;
    double m_rare = rr.m_rare;
    int prev_known = rr.prev_known, is_new = rr.is_new;

    /* 6c. Bulk transfers: C2 calls home with small requests; a periodic
     * job that moves megabytes each time (backups, sync) is data
     * movement, the exfil and long_conn detectors' business. */
    double m_bulk = 1 - 0.7 * vigil__squash(log10(size_med + 1), log10(5e6), 0.25);

    /* Branch and bound, step two: with the request sizes known as well
     * (the cadence cannot change them), the pair may still be hopeless;
     * then the burst-gap ladder, most of this detector's cost, is skipped.
     * Floating-point products are monotonic, so the bound never falls
     * below the score it stands for. */
    if (core_bound(m) * f_size * m_rare * m_prev * m_bulk < min_score) goto out;

    /* 2-3. The burst gap whose beats are most regular.  A wider gap must
     * improve the spread clearly to win; a gap that merges no more
     * connections than the previous one gives the same beats: skipped. */
    cadence best, c;
    memset(&best, 0, sizeof best);
    int have = 0;
    size_t prev_merged = (size_t)-1;
    for (size_t g = 0; g < sizeof burst_gaps / sizeof burst_gaps[0]; g++) {
        double gap = burst_gaps[g];
        size_t merged = 0, moat = 0;
        for (size_t i = 1; i < m; i++) {
            double d = ts[i] - ts[i - 1];
            if (d < gap) merged++;
            else if (d < MOAT_FACTOR * gap) moat++;
        }
        if (merged == prev_merged) continue;
        prev_merged = merged;
        /* Real bursts stand apart from the beats: (almost) no interval just
         * above the gap.  Cutting through a continuous spread of intervals
         * (Poisson-like traffic) would only fake regularity. */
        if (gap > 0 && (double)moat > MOAT_SHARE * (double)(m - 1 - merged)) continue;
        if (!judge_cadence(ts, m, gap, iv, tmp, &c)) continue;
        if (!have || c.spread < best.spread - 0.03) {
            best = c;
            have = 1;
        }
    }
    if (!have) goto out;
    judge_cadence(ts, m, best.gap, iv, tmp, &c); /* iv <- its intervals */

    /* 4. Regularity. */
    regularity reg;
    judge_regularity(&best, iv, tmp, &reg);
    double period = reg.period;

    /* 5a. Schedule and persistence. */
    schedule sch;
    judge_schedule(ts, m, &best, iv, &sch);
    double first = ts[0], last = ts[m - 1];
    double to = last;
    if (p->input_last_ts > p->input_first_ts && p->input_last_ts > to) to = p->input_last_ts;
    double span = to - first;
    double pers_frac, expected = 0, present = 0;
    int pers_unit; /* 0: days, 1: hours, 2: share of the capture */
    if (span >= 2 * DAY) {
        pers_unit = 0;
        double d0 = floor(first / DAY), d1 = floor((to - 1e-6 * DAY) / DAY);
        if (d1 < d0) d1 = d0;
        expected = sch.weekends_off ? weekdays_between(d0, d1) : d1 - d0 + 1;
        if (period > DAY) expected *= DAY / period;
        present = sch.days_present;
    } else if (span >= 3 * HOUR) {
        /* Within a day or two, days say nothing: the share of the time
         * since first contact that the beats cover (apps that poll while
         * their user works cover part of the day; an implant all of it). */
        pers_unit = 1;
        expected = span;
        present = best.active_time + period;
    } else {
        pers_unit = 2;
        expected = span > 0 ? span : 1;
        present = span > 0 ? last - first : 1;
    }
    if (present > expected) present = expected;
    pers_frac = expected > 0 ? clamp01(present / expected) : 1;
    double pers = vigil__squash(pers_frac, 0.5, 0.1);

    /* 6a. Long-poll / websocket: the sessions cover the time between beats
     * (each beat is a reconnect after the previous session closed). */
    double cover = best.active_time + period > 0 ? p->dur_sum / (best.active_time + period) : 0;
    double per_beat = period > 0 ? p->dur_sum / ((double)best.beats * period) : 0;
    double longpoll = vigil__squash(cover, 0.4, 0.08) * (1 - vigil__squash(per_beat, 3, 0.5));
    double m_lp = 1 - 0.7 * longpoll;

    /* 6b. Refused-connection retry storm: the strobe detector's case. */
    double refused = (double)p->n_rej / (double)p->n;
    double failed = (double)(p->n_rej + p->n_s0) / (double)p->n;
    int storm = (refused >= 0.5 && period < 10) || (failed >= 0.8 && period < 5);

    /* 6d. Once a day: the rhythm of scheduled jobs (backups, licence and
     * update checks).  Implants that call home less often than every few
     * hours exist, but one beat a day is weak evidence on its own. */
    double m_daily = period >= 20 * HOUR ? 0.5 : 1;

    /* Score. */
    double core = reg.level * reg.signif;
    double f_pers = 0.4 + 0.6 * pers;
    double score = core * f_pers * f_size * m_rare * m_prev * m_lp * m_bulk * m_daily;
    if (storm && score > 0.15) score = 0.15;
    score = clamp01(score);
    if (score < min_score) goto out;

    vigil_finding f;
    vigil__finding_from_pair(&f, VIGIL_FIND_BEACON, p);
    f.score = score;
    if (!f.dst_count) f.dst_count = 1;
    f.first_ts = first; /* the span of the view's finite timestamps */
    f.last_ts = last;
    f.period_s = period;
    f.jitter = reg.jitter;
    f.days_present = (uint32_t)sch.days_present;

    char b1[32], b2[32];
    /* Trap reasons first: they explain a low score. */
    if (storm)
        vigil_finding_reason(&f, "refused-connection retry storm (%u refused, %u unanswered of "
                   "%zu, every %s): a reconnect loop for the strobe detector, not a beacon",
                   p->n_rej, p->n_s0, p->n, fmt_dur(b1, sizeof b1, period));
    else if (failed >= 0.8)
        vigil_finding_reason(&f, "%u of %zu attempts unanswered or refused: still calling a dead or "
                   "blocked server", p->n_rej + p->n_s0, p->n);
    if (longpoll >= 0.3 && reg.level >= 0.5)
        vigil_finding_reason(&f, "long-poll/websocket, not call-home: sessions open %.0f%% of "
                   "the time, each beat a reconnect (%s of session per %s beat)",
                   100 * clamp01(cover),
                   fmt_dur(b1, sizeof b1, p->dur_sum / (double)best.beats),
                   fmt_dur(b2, sizeof b2, period));
    if (prev_known && m_prev < 0.8)
        vigil_finding_reason(&f, "common destination: %u of %u internal hosts talk to it (updates or "
                   "telemetry, not C2)", p->prevalence, p->internal_hosts);

    /* Periodicity. */
    const char *sure = reg.signif < 0.5 ? " (few intervals: weak evidence)" : "";
    if (reg.level < 0.5)
        vigil_finding_reason(&f, "irregular intervals (median %s, spread %.0f%%)",
                   fmt_dur(b1, sizeof b1, best.period), 100 * best.spread);
    else if (reg.method == METHOD_CYCLE)
        vigil_finding_reason(&f, "pattern repeats every %s (%d connections per cycle, jitter %.0f%%)%s",
                   fmt_dur(b1, sizeof b1, period), reg.per_cycle, 100 * reg.jitter, sure);
    else if (reg.missed >= 0.05 * (double)best.nact && reg.missed >= 2)
        vigil_finding_reason(&f, "regular interval (%s, jitter %.0f%%) that holds across %.0f missed "
                   "beats%s", fmt_dur(b1, sizeof b1, period), 100 * reg.jitter, reg.missed, sure);
    else if (reg.jitter < 0.15)
        vigil_finding_reason(&f, "regular interval (%s, jitter %.0f%%)%s", fmt_dur(b1, sizeof b1, period),
                   100 * reg.jitter, sure);
    else
        vigil_finding_reason(&f, "interval ~%s with heavy but bounded jitter (%.0f%%, random traffic "
                   "~100%%)%s", fmt_dur(b1, sizeof b1, period), 100 * reg.jitter, sure);
    if (best.gap > 0 && best.beats < m)
        vigil_finding_reason(&f, "bursts of ~%.1f connections per beat (closer than %s), counted as "
                   "one beat", (double)m / (double)best.beats, fmt_dur(b1, sizeof b1, best.gap));

    /* Persistence and schedule. */
    if (pers_unit == 0)
        vigil_finding_reason(&f, "%zu beats; present on %.0f of %.0f %sdays since first contact",
                   best.beats, present, ceil(expected - 1e-9), sch.weekends_off ? "week" : "");
    else if (pers_unit == 1)
        vigil_finding_reason(&f, "%zu beats covering %.0f%% of the %s since first contact",
                             best.beats, 100 * pers_frac, fmt_dur(b1, sizeof b1, span));
    else
        vigil_finding_reason(&f, "%zu beats over %.0f%% of the capture since first contact", best.beats,
                   100 * pers_frac);
    if (sch.daily)
        vigil_finding_reason(&f, "active only %02d-%02d %s, sleeps outside it%s (%zu sleep gaps)",
                   local_hour(sch.window_start, cfg), local_hour(sch.window_start + sch.window_len, cfg),
                   cfg && cfg->has_tz ? "local time" : "UTC",
                   sch.weekends_off ? " and at weekends" : "", sch.sleeps);
    else if (sch.sleeps > 0 && sch.longest_sleep >= DAY)
        vigil_finding_reason(&f, "silent for %s once, regular before and after",
                   fmt_dur(b1, sizeof b1, sch.longest_sleep));

    /* Sizes. */
    if (no_payload)
        vigil_finding_reason(&f, "no payload sent (bare connection attempts or empty sessions)");
    else if (size_reg >= 0.7)
        vigil_finding_reason(&f, "%s, uniform requests (%s +/- %.0f%%)", size_small >= 0.7 ? "small" : "large",
                   fmt_bytes(b1, sizeof b1, size_med), 100 * size_rel);
    else
        vigil_finding_reason(&f, "varied request sizes (median %s +/- %.0f%%)",
                   fmt_bytes(b1, sizeof b1, size_med), 100 * size_rel);

    /* Rarity. */
    char news[64] = "";
    if (is_new)
        snprintf(news, sizeof news, "; new: first contacted %s into the data",
                 fmt_dur(b2, sizeof b2, new_after));
    if (!prev_known)
        vigil_finding_reason(&f, "prevalence unknown (%u internal hosts): periodicity alone "
                             "cannot tell C2 from vendor telemetry%s", p->internal_hosts, news);
    else if (m_prev < 0.8)
        ; /* said first, as a trap */
    else if (p->prevalence == 1)
        vigil_finding_reason(&f, "only this host talks to it (prevalence 1 of %u%s)%s",
                             p->internal_hosts, pop_w < 0.5 ? ": few hosts to compare" : "",
                             news);
    else
        vigil_finding_reason(&f, "%s destination (prevalence %u of %u%s)%s",
                             rar >= 0.5 ? "rare" : "shared", p->prevalence, p->internal_hosts,
                             pop_w < 0.5 ? ": few hosts to compare" : "", news);
    if (p->is_group && p->dst_count > 1)
        vigil_finding_reason(&f, "one C2 name over %u rotating addresses, beating as one", p->dst_count);
    if (m_bulk < 0.8)
        vigil_finding_reason(&f, "bulk transfers (%s per connection): data movement, not a call-home",
                             fmt_bytes(b1, sizeof b1, size_med));
    if (m_daily < 1)
        vigil_finding_reason(&f, "one beat a day: the rhythm of scheduled jobs more than of C2");

    rc = vigil_findings_push(out, &f);
out:
    vigil__free(al, scratch);
    return rc;
}
