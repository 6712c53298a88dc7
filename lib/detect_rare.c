/* detect_rare.c -- flags new, low-prevalence external destinations with sustained contact.
 *
 * Input: one pair view (agg.h: prevalence, first contact by any host,
 * hours and days present, span).  Output: at most one "rare_dest" finding,
 * its score a logistic of summed log-odds, each term stated in `reasons`.
 * A destination no one else talks to, first contacted during the input and
 * then contacted hour after hour, is what an implant's server looks like;
 * a one-off visit or a popular site is not reported.  Pure: reads the
 * view, no allocation.  Method, thresholds and evidence:
 * docs/detectors/rare_dest.md. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "agg.h"

#define HOUR 3600.0
#define DAY 86400.0
#define PRIOR (-3.5)          /* log-odds before any evidence */
#define MIN_CONNS 4           /* fewer connections: a one-off visit */
#define MIN_HOURS 2           /* fewer distinct hours: a one-off visit */
#define FEW_HOSTS 5           /* fewer internal hosts: prevalence says nothing */
#define RARE_FRAC 0.01        /* at most this share of hosts (or 2) is rare:
                                 a site 1 in 100 colleagues visits is a
                                 niche, not a secret */

static double logistic(double z)
{
    return 1.0 / (1.0 + exp(-z));
}

static double clampd(double x, double lo, double hi)
{
    return x < lo ? lo : x > hi ? hi : x;
}

int vigil__detect_rare_applies(const vigil__pair_view *p, const vigil__detect_cfg *cfg)
{
    (void)cfg;
    if (p->is_group && p->dst_count <= 1) return 0; /* the plain pair again */
    if (p->n < MIN_CONNS) return 0;
    uint32_t hosts = p->internal_hosts, prev = p->prevalence ? p->prevalence : 1;
    int few = hosts < FEW_HOSTS;
    /* Popular destinations are not rare: no finding at all. */
    return few || prev <= 2 || (double)prev <= RARE_FRAC * hosts;
}

vigil_status vigil__detect_rare(const vigil__pair_view *p, const vigil__detect_cfg *cfg,
                                vigil_findings *out)
{
    if (!p || !out) return VIGIL_EINVAL;
    double min_score = cfg ? cfg->min_score : 0.05;
    if (!vigil__detect_rare_applies(p, cfg) || p->hours_present < MIN_HOURS) return VIGIL_OK;
    uint32_t hosts = p->internal_hosts, prev = p->prevalence ? p->prevalence : 1;
    int few = hosts < FEW_HOSTS;

    vigil_finding f;
    vigil__finding_from_pair(&f, VIGIL_FIND_RARE_DEST, p);
    f.duration_s = p->dur_sum;
    double z = PRIOR;

    /* 1. Rarity. */
    if (few) {
        vigil_finding_reason(&f, "only %u internal host%s in the input: prevalence is no evidence",
                             (unsigned)hosts, hosts == 1 ? "" : "s");
    } else if (prev <= 1) {
        z += 1.5;
        vigil_finding_reason(&f, "only this host talks to it (of %u internal hosts)", (unsigned)hosts);
    } else if (prev == 2) {
        z += 1.0;
        vigil_finding_reason(&f, "only 2 of %u internal hosts talk to it", (unsigned)hosts);
    } else {
        z += 0.3;
        vigil_finding_reason(&f, "only %u of %u internal hosts talk to it", (unsigned)prev,
                             (unsigned)hosts);
    }

    /* 2. Newness: no internal host talked to it before, well into the
     * input. */
    double span = p->input_last_ts - p->input_first_ts;
    double age = p->dst_first_seen - p->input_first_ts;
    if (!isfinite(span) || span < 1.5 * DAY) {
        vigil_finding_reason(&f, "input too short to tell whether the destination is new");
    } else if (isfinite(age) && age >= fmax(DAY, 0.05 * span)) {
        z += 1.0;
        vigil_finding_reason(&f, "first seen %.1f days into the %.1f-day input, no host talked to it before",
                             age / DAY, span / DAY);
    } else {
        /* Not first-seen: hosts talked to it from the start of the data,
         * so it is an established destination, rare or not. */
        z -= 1.5;
        vigil_finding_reason(&f, "contacted since the start of the input: not a new destination");
    }

    /* 3. Sustained contact: distinct hours, and days. */
    double hp = (double)p->hours_present;
    z += clampd(log2(hp / 3.0), -1.5, 2.0);
    double pspan = p->last_ts - p->first_ts;
    if (!isfinite(pspan) || pspan < 0) pspan = 0;
    vigil_finding_reason(&f, "%llu connections in %u distinct hours over %u day%s",
                         (unsigned long long)p->n, (unsigned)p->hours_present,
                         (unsigned)p->days_present, p->days_present == 1 ? "" : "s");
    if (p->days_present >= 3) z += 0.5;
    /* Sustained means it goes on: judged over the days from first contact
     * to the end of the input, so a burst of visits on one day (a person
     * reading a site they will never visit again) is not sustained. */
    double after = p->input_last_ts - p->first_ts;
    if (isfinite(after) && after >= 2 * DAY && p->days_present > 0) {
        double days_after = ceil(after / DAY);
        double dcov = (double)p->days_present / days_after;
        if (p->days_present == 1) {
            z -= 2.0;
            vigil_finding_reason(&f, "contact on a single day, none in the %.0f days after", days_after - 1);
        } else if (dcov < 0.25) {
            z -= 1.0;
            vigil_finding_reason(&f, "present on only %u of the %.0f days since first contact",
                                 (unsigned)p->days_present, days_after);
        }
    }

    /* 4. Coverage: an implant calls in nearly every hour (or every working
     * hour); a person revisiting a favourite site is sporadic. */
    double span_h = floor(pspan / HOUR) + 1;
    if (pspan >= 6 * HOUR) {
        double cov = hp / span_h;
        if (cov > 1) cov = 1;
        if (cov >= 0.5) {
            z += 1.0;
            vigil_finding_reason(&f, "steady: present in %.0f%% of the hours since first contact", 100 * cov);
        } else if (cov >= 0.2) {
            z += 0.5;
            vigil_finding_reason(&f, "present in %.0f%% of the hours since first contact (a working-hours schedule or a long sleep)",
                                 100 * cov);
        } else if (cov < 0.1) {
            z -= 1.5;
            vigil_finding_reason(&f, "sporadic: present in %.0f%% of the hours since first contact, like a person's visits",
                                 100 * cov);
        } else {
            vigil_finding_reason(&f, "present in %.0f%% of the hours since first contact", 100 * cov);
        }
    }

    f.score = logistic(z);
    if (f.score < min_score) return VIGIL_OK;
    return vigil_findings_push(out, &f);
}
