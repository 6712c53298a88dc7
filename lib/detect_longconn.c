/* detect_longconn.c -- flags long cumulative connection time per pair (remote shells, tunnels).
 *
 * Input: one pair view (agg.h: durations, bytes, prevalence, first contact,
 * the connections' start times and sizes).  Output: at most one
 * "long_conn" finding, its score a logistic of summed log-odds, each term
 * stated in `reasons`; one term joins long sessions with the pair's
 * one-way uploads and heartbeat into a remote-control channel.  Pure:
 * reads the view, allocates nothing.
 * Method, thresholds and evidence: docs/detectors/long_conn.md. */
#include <math.h>
#include <string.h>
#include <stdio.h>
#include "agg.h"

#define HOUR 3600.0
#define DAY 86400.0
#define PRIOR (-4.0)          /* log-odds before any evidence */
#define MIN_LONGEST 600.0     /* below this no single connection is "long" */
#define MIN_TOTAL 1800.0      /* below this the pair is not reported */
#define FEW_HOSTS 5           /* fewer internal hosts: prevalence says nothing */
#define HEAVY_BYTES 1000000.0 /* a connection this large counts for the schedule */
#define PI 3.14159265358979323846
/* A remote-control channel (docs/detectors/long_conn.md, "control channel"): */
#define UPLOAD_BYTES 1000000.0 /* a one-way upload sends at least this much ... */
#define UPLOAD_BACK 0.01      /* ... and gets less than this share back */
#define HB_RUN 5              /* connections in a heartbeat run, at least */
#define HB_TOL 0.2            /* each interval within +-20% of the run's first */
#define HB_MIN_IV 1.0         /* closer connections are a burst, not beats */
#define HB_MAX_IV 900.0       /* a keep-alive beats within 15 min */
#define HB_MAX_BYTES 65536.0  /* a beat is small ... */
#define HB_SIZE_TOL 0.25      /* ... and uniform: within +-25% (or 32 B) */
#define CONTROL_TERM 4.0      /* sessions + uploads + heartbeat together */

static double logistic(double z)
{
    return 1.0 / (1.0 + exp(-z));
}

static double clampd(double x, double lo, double hi)
{
    return x < lo ? lo : x > hi ? hi : x;
}

/* "4.2 h", "35 min", "12 s" into buf. */
static const char *fmt_dur(double s, char *buf, size_t cap)
{
    if (s >= 2 * HOUR) snprintf(buf, cap, "%.1f h", s / HOUR);
    else if (s >= 120) snprintf(buf, cap, "%.0f min", s / 60);
    else snprintf(buf, cap, "%.0f s", s);
    return buf;
}

/* "1.2 GB", "340 MB", "45 KB", "12 B" into buf. */
static const char *fmt_bytes(double b, char *buf, size_t cap)
{
    if (b >= 1e9) snprintf(buf, cap, "%.1f GB", b / 1e9);
    else if (b >= 1e6) snprintf(buf, cap, "%.0f MB", b / 1e6);
    else if (b >= 1e3) snprintf(buf, cap, "%.0f KB", b / 1e3);
    else snprintf(buf, cap, "%.0f B", b);
    return buf;
}

/* What the pair's large connections say about a schedule: how many UTC
 * days have one, and how tightly their start times of day cluster. */
typedef struct schedule {
    uint32_t days;             /* distinct UTC days with a heavy connection */
    uint32_t heavy;            /* heavy connections */
    double mean_tod;           /* circular mean start time of day, s */
    double spread_h;           /* circular standard deviation, hours */
} schedule;

/* One pass over pts (sorted by ts): heavy = at least HEAVY_BYTES and a
 * tenth of the largest connection. */
static schedule find_schedule(const vigil__pair_view *p)
{
    schedule s = { 0, 0, 0, 24 };
    if (!p->pts || p->n == 0) return s;
    double maxb = 0;
    for (size_t i = 0; i < p->n; i++) {
        double b = (double)p->pts[i].orig_bytes + (double)p->pts[i].resp_bytes;
        if (b > maxb) maxb = b;
    }
    double thr = maxb / 10 > HEAVY_BYTES ? maxb / 10 : HEAVY_BYTES;
    double c = 0, sn = 0, last_day = -1;
    for (size_t i = 0; i < p->n; i++) {
        const vigil__conn_point *q = &p->pts[i];
        double b = (double)q->orig_bytes + (double)q->resp_bytes;
        if (b < thr || !isfinite(q->ts)) continue;
        double day = floor(q->ts / DAY);
        double tod = q->ts - day * DAY;
        c += cos(2 * PI * tod / DAY);
        sn += sin(2 * PI * tod / DAY);
        s.heavy++;
        if (day != last_day) s.days++;
        last_day = day;
    }
    if (s.heavy == 0) return s;
    double r = sqrt(c * c + sn * sn) / s.heavy;
    double a = atan2(sn, c);
    if (a < 0) a += 2 * PI;
    s.mean_tod = a / (2 * PI) * DAY;
    s.spread_h = r >= 1.0 ? 0 : r <= 1e-9 ? 24 : sqrt(-2 * log(r)) * 24 / (2 * PI);
    return s;
}

/* One-way uploads of the pair: connections that send at least
 * UPLOAD_BYTES and get less than UPLOAD_BACK of it back. */
typedef struct uploads {
    uint32_t n;                /* such connections */
    double out, back;          /* their bytes out, and back */
} uploads;

static uploads find_uploads(const vigil__pair_view *p)
{
    uploads u = { 0, 0, 0 };
    if (!p->pts) return u;
    for (size_t i = 0; i < p->n; i++) {
        double o = p->pts[i].orig_bytes, r = p->pts[i].resp_bytes;
        if (o >= UPLOAD_BYTES && r < UPLOAD_BACK * o) {
            u.n++;
            u.out += o;
            u.back += r;
        }
    }
    return u;
}

/* A heartbeat: runs of at least HB_RUN consecutive connections (pts in
 * time order) whose intervals stay within HB_TOL of the run's first
 * interval (HB_MIN_IV..HB_MAX_IV) and whose requests are small and the
 * same size.  Random traffic rarely forms such a run; a keep-alive is
 * one.  O(n * HB_RUN): a run shorter than HB_RUN restarts one connection
 * later, a longer one is taken whole and the scan goes on after it. */
typedef struct heartbeat {
    uint32_t conns;            /* connections in runs */
    uint32_t best;             /* connections of the longest run */
    double period;             /* its mean interval, s */
    double bytes;              /* its first request's size */
} heartbeat;

static int same_size(double a, double ref)
{
    return a > 0 && a <= HB_MAX_BYTES && fabs(a - ref) <= fmax(HB_SIZE_TOL * ref, 32.0);
}

static heartbeat find_heartbeat(const vigil__pair_view *p)
{
    heartbeat h = { 0, 0, 0, 0 };
    if (!p->pts || p->n < HB_RUN) return h;
    size_t i = 0;
    while (i + 1 < p->n) {
        const vigil__conn_point *a = &p->pts[i];
        double ref = p->pts[i + 1].ts - a->ts, b0 = a->orig_bytes;
        if (!(ref >= HB_MIN_IV && ref <= HB_MAX_IV) || !same_size(b0, b0)) {
            i++;
            continue;
        }
        size_t j = i + 1; /* the run is pts[i..j) */
        while (j < p->n) {
            double iv = p->pts[j].ts - p->pts[j - 1].ts;
            if (!(fabs(iv - ref) <= HB_TOL * ref) || !same_size(p->pts[j].orig_bytes, b0)) break;
            j++;
        }
        size_t len = j - i;
        if (len < HB_RUN) {
            i++;
            continue;
        }
        h.conns += (uint32_t)len;
        if (len > h.best) {
            h.best = (uint32_t)len;
            h.period = (p->pts[j - 1].ts - a->ts) / (double)(len - 1);
            h.bytes = b0;
        }
        i = j;
    }
    return h;
}

/* The pair's summed, longest and still-open connection time, cleaned:
 * non-finite or negative counts as 0, the longest is part of the total,
 * and beyond a century a duration is a broken clock, not evidence. */
static void durations(const vigil__pair_view *p, double *total, double *longest, double *open)
{
    double t = isfinite(p->dur_sum) && p->dur_sum > 0 ? p->dur_sum : 0;
    double l = isfinite(p->dur_max) && p->dur_max > 0 ? p->dur_max : 0;
    double o = isfinite(p->open_dur) && p->open_dur > 0 ? p->open_dur : 0;
    if (l > t) t = l;
    t = fmin(t, 3.2e9);
    *total = t;
    *longest = fmin(l, t);
    *open = fmin(o, t);
}

/* The score's head terms (1-4 below: durations, bytes, prevalence,
 * newness), which need no points; with `f`, each term's reason too.
 * *one_way: the bytes are a one-way bulk transfer (term 6 needs it). */
static double head_terms(const vigil__pair_view *p, vigil_finding *f, int *one_way)
{
    double total, longest, open;
    durations(p, &total, &longest, &open);
    char b1[32], b2[32], b3[32];
    double z = PRIOR;

    /* 1. Duration: grows with the total, capped (a month-long VPN is not
     * "more suspicious" than an evening-long shell), and only counts in
     * full when single connections are long (many short reconnects are a
     * poller, the beacon detector's business). */
    double hours = total / HOUR;
    double g = clampd(log(longest / MIN_LONGEST) / log(6.0), 0, 1);
    double dterm = fmin(3.0, 1.5 * log2(1 + hours / 1.5)) * g;
    z += dterm;
    if (f && open > 0)
        vigil_finding_reason(f, "connected %s in total over %llu connection%s, the longest %s (%s still open at the end)",
                             fmt_dur(total, b1, sizeof b1), (unsigned long long)p->n,
                             p->n == 1 ? "" : "s", fmt_dur(longest, b2, sizeof b2),
                             fmt_dur(open, b3, sizeof b3));
    else if (f)
        vigil_finding_reason(f, "connected %s in total over %llu connection%s, the longest %s",
                             fmt_dur(total, b1, sizeof b1), (unsigned long long)p->n,
                             p->n == 1 ? "" : "s", fmt_dur(longest, b2, sizeof b2));

    /* 2. What flows: an idle keep-alive, an interactive two-way session,
     * or a one-way bulk transfer. */
    double out_b = (double)p->bytes_out, in_b = (double)p->bytes_in;
    double tot_b = out_b + in_b;
    double rate = tot_b / total;
    double minor = tot_b > 0 ? fmin(out_b, in_b) / tot_b : 0;
    *one_way = minor < 0.01 && rate >= 50e3;
    if (rate < 20) {
        z -= 1.5;
        if (f)
            vigil_finding_reason(f, "idle: %.1f bytes/s on average, a keep-alive or push channel, not a session",
                                 rate);
    } else if (rate >= 100 && minor >= 0.02) {
        z += 0.75;
        if (f)
            vigil_finding_reason(f, "two-way traffic (%s out, %s in, %s/s): interactive, like a remote shell",
                                 fmt_bytes(out_b, b1, sizeof b1), fmt_bytes(in_b, b2, sizeof b2),
                                 fmt_bytes(rate, b3, sizeof b3));
    } else if (*one_way) {
        z -= 1.0;
        if (f)
            vigil_finding_reason(f, "one-way bulk transfer (%s/s, %.1f%% back): a transfer, not a session",
                                 fmt_bytes(rate, b1, sizeof b1), 100 * minor);
    } else if (f) {
        vigil_finding_reason(f, "%s out, %s in (%s/s)", fmt_bytes(out_b, b1, sizeof b1),
                             fmt_bytes(in_b, b2, sizeof b2), fmt_bytes(rate, b3, sizeof b3));
    }

    /* 3. Prevalence: sessions many hosts keep open (VPN, chat, sync) are
     * normal; one host alone is not. */
    uint32_t hosts = p->internal_hosts, prev = p->prevalence;
    if (hosts < FEW_HOSTS) {
        if (f)
            vigil_finding_reason(f, "only %u internal host%s in the input: prevalence is no evidence",
                                 hosts, hosts == 1 ? "" : "s");
    } else if (prev <= 1) {
        z += 1.5;
        if (f) vigil_finding_reason(f, "only this host talks to it (of %u internal hosts)", hosts);
    } else if (prev == 2) {
        z += 1.0;
        if (f) vigil_finding_reason(f, "only 2 of %u internal hosts talk to it", hosts);
    } else if ((double)prev >= 0.2 * hosts || prev >= 25) {
        z -= 3.0;
        if (f) vigil_finding_reason(f, "%u of %u internal hosts talk to it: a shared service", prev, hosts);
    } else if (f) {
        vigil_finding_reason(f, "%u of %u internal hosts talk to it", prev, hosts);
    }

    /* 4. Newness: first contact by any host well after the input starts. */
    double span = p->input_last_ts - p->input_first_ts;
    double age = p->dst_first_seen - p->input_first_ts;
    if (!isfinite(span) || span < 1.5 * DAY) {
        if (f) vigil_finding_reason(f, "input too short to tell whether the destination is new");
    } else if (isfinite(age) && age >= fmax(DAY, 0.05 * span)) {
        z += 1.0;
        if (f)
            vigil_finding_reason(f, "new: first contacted %.1f days into the %.1f-day input",
                                 age / DAY, span / DAY);
    } else if (f) {
        vigil_finding_reason(f, "contacted since the start of the input");
    }
    return z;
}

/* A bound on the score from the head alone: the head terms, plus the
 * remote-control term when the head allows it (term 5 only subtracts).
 * Floating-point sums are monotonic, so the score never exceeds it. */
int vigil__detect_longconn_applies(const vigil__pair_view *p, const vigil__detect_cfg *cfg)
{
    if (p->is_group && p->dst_count <= 1) return 0; /* the plain pair again */
    double total, longest, open;
    durations(p, &total, &longest, &open);
    if (!(longest >= MIN_LONGEST && total >= MIN_TOTAL)) return 0;
    double min_score = cfg ? cfg->min_score : 0.05;
    int one_way;
    double z = head_terms(p, NULL, &one_way);
    /* Term 6 needs an upload (a point of UPLOAD_BYTES out) and a
     * heartbeat run (HB_RUN points), and no one-way bulk transfer. */
    if (!one_way && (double)p->bytes_out >= UPLOAD_BYTES && p->n >= HB_RUN) z += CONTROL_TERM;
    return logistic(z) >= min_score;
}

vigil_status vigil__detect_longconn(const vigil__pair_view *p, const vigil__detect_cfg *cfg,
                                    vigil_findings *out)
{
    if (!p || !out) return VIGIL_EINVAL;
    double min_score = cfg ? cfg->min_score : 0.05;
    if (!vigil__detect_longconn_applies(p, cfg)) return VIGIL_OK;
    double total, longest, open;
    durations(p, &total, &longest, &open);

    vigil_finding f;
    vigil__finding_from_pair(&f, VIGIL_FIND_LONG_CONN, p);
    f.duration_s = total;
    char b1[32], b2[32];
    int one_way;
    double z = head_terms(p, &f, &one_way);
    double out_b = (double)p->bytes_out, in_b = (double)p->bytes_in;
    double tot_b = out_b + in_b;
    double minor = tot_b > 0 ? fmin(out_b, in_b) / tot_b : 0;
    double span = p->input_last_ts - p->input_first_ts;

    /* 5. A schedule: large one-way transfers starting at the same time
     * every day are a backup job, not an intruder's session. */
    schedule s = find_schedule(p);
    double input_days = isfinite(span) ? ceil(span / DAY) : 0;
    if (minor < 0.05 && s.days >= 3 && input_days >= 3 && s.days >= 0.6 * input_days &&
        s.spread_h <= 2.0) {
        z -= 3.0;
        int hh = (int)(s.mean_tod / HOUR), mm = (int)fmod(s.mean_tod / 60, 60);
        vigil_finding_reason(&f, "a daily schedule: large transfers start near %02d:%02d UTC (+-%.1f h) on %u days, %.0f%% outbound: a backup job",
                             hh, mm, s.spread_h, s.days, out_b >= in_b ? 100 * (1 - minor) : 100 * minor);
    }

    /* 6. A remote-control channel: besides its long sessions the pair
     * carries one-way uploads (files pushed out, almost nothing back) and
     * a heartbeat (small, same-size connections at a steady interval
     * between the sessions).  Each alone is everyday traffic -- sync
     * clients upload, push channels keep alive -- and weighs nothing; all
     * three on one destination are what a RAT does: operator sessions,
     * file theft, keep-alive.  Not when the connected time is itself bulk
     * transfer (a backup stream with status polls). */
    uploads u = find_uploads(p);
    heartbeat h = find_heartbeat(p);
    int beats = h.best >= HB_RUN && 3 * (uint64_t)h.conns >= p->n;
    if (u.n > 0)
        vigil_finding_reason(&f, "one-way upload%s: %s out in %u connection%s, %s back",
                             u.n == 1 ? "" : "s", fmt_bytes(u.out, b1, sizeof b1), u.n,
                             u.n == 1 ? "" : "s", fmt_bytes(u.back, b2, sizeof b2));
    if (beats)
        vigil_finding_reason(&f, "a heartbeat: %u connections %.0f s apart of %s each (%u of %llu connections in such runs)",
                             h.best, h.period, fmt_bytes(h.bytes, b1, sizeof b1), h.conns,
                             (unsigned long long)p->n);
    if (u.n > 0 && beats && !one_way) {
        z += CONTROL_TERM;
        vigil_finding_reason(&f, "long sessions, one-way uploads and a heartbeat to one destination: a remote-control channel (operator sessions, files taken, keep-alive)");
    }

    f.score = logistic(z);
    if (f.score < min_score) return VIGIL_OK;
    return vigil_findings_push(out, &f);
}
