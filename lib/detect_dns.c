/* detect_dns.c -- flags DNS tunnelling/beaconing per (host, domain) and DGA bursts of NXDOMAIN per host.
 *
 * Input: a dns view (agg.h: queries, unique names, TXT and NXDOMAIN
 * counts, label length and entropy, query times, prevalence) or an nx view
 * (distinct NXDOMAIN names of one host, most in any 5 minutes, distinct
 * registered domains among them).  Output: at most one "dns" finding per
 * view, its score a logistic of summed log-odds, each term stated in
 * `reasons`.  Pure: reads the view; scratch on the stack, no allocation.
 * Method, thresholds and evidence: docs/detectors/dns.md. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "agg.h"

#define PRIOR (-4.5)          /* log-odds of a (host, domain) before evidence */
#define MIN_UNIQUE 10         /* fewer unique names under a domain: not a tunnel */
#define SAMPLE 1024           /* intervals sampled for periodicity */
#define DGA_BURST_MID 10.0    /* failed domains in 5 min that score 0.5 */

static double logistic(double z)
{
    return 1.0 / (1.0 + exp(-z));
}

static double clampd(double x, double lo, double hi)
{
    return x < lo ? lo : x > hi ? hi : x;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Median interval and relative spread ((p75 - p25) / median) of the query
 * times, from at most SAMPLE evenly spread gaps.  0 when too few. */
static size_t query_rhythm(const vigil__dns_view *d, double *median, double *spread)
{
    double gaps[SAMPLE];
    size_t m = 0;
    *median = *spread = 0;
    if (!d->ts || d->nts < 10) return 0;
    size_t ngaps = d->nts - 1;
    size_t step = ngaps > SAMPLE ? ngaps / SAMPLE : 1;
    for (size_t i = 0; i < ngaps && m < SAMPLE; i += step) {
        double g = d->ts[i + 1] - d->ts[i];
        if (isfinite(g) && g > 0) gaps[m++] = g;
    }
    if (m < 8) return 0;
    qsort(gaps, m, sizeof gaps[0], cmp_double);
    *median = gaps[m / 2];
    *spread = *median > 0 ? (gaps[(3 * m) / 4] - gaps[m / 4]) / *median : 0;
    return m;
}

int vigil__detect_dns_applies(const vigil__dns_view *d, const vigil__detect_cfg *cfg)
{
    (void)cfg;
    return d->unique_names >= MIN_UNIQUE && d->queries > 0;
}

vigil_status vigil__detect_dns(const vigil__dns_view *d, const vigil__detect_cfg *cfg,
                               vigil_findings *out)
{
    if (!d || !out) return VIGIL_EINVAL;
    double min_score = cfg ? cfg->min_score : 0.05;
    if (!vigil__detect_dns_applies(d, cfg)) return VIGIL_OK;

    vigil_finding f;
    memset(&f, 0, sizeof f);
    f.kind = VIGIL_FIND_DNS;
    f.src = d->src;
    if (d->domain) snprintf(f.dst_name, sizeof f.dst_name, "%s", d->domain);
    f.dport = 53;
    f.proto = VIGIL_PROTO_UDP;
    f.first_ts = d->first_ts;
    f.last_ts = d->last_ts;
    f.conns = d->queries;
    f.prevalence = d->prevalence;
    double z = PRIOR;

    double q = (double)d->queries, uniq = (double)d->unique_names;
    double span = d->last_ts - d->first_ts;
    if (!isfinite(span) || span < 0) span = 0;
    double per_h = q / fmax(span / 3600.0, 1.0);

    /* 1. Many unique names under one domain: every query carries new data. */
    z += clampd(log2(uniq / 20.0), -1.5, 2.5);
    vigil_finding_reason(&f, "%llu unique names of %llu queries (%.0f/h)",
                         (unsigned long long)d->unique_names, (unsigned long long)d->queries, per_h);

    /* 2. Long, random labels: encoded data, not words. */
    /* A DNS label is at most 63 bytes and a name 255; entropy of bytes at
     * most 8 bits: anything beyond is a broken view, clamped. */
    double len = isfinite(d->mean_label_len) ? clampd(d->mean_label_len, 0, 255) : 0;
    double ent = isfinite(d->mean_entropy) ? clampd(d->mean_entropy, 0, 8) : 0;
    double lterm = len < 10 ? -1.5 : clampd((len - 14.0) / 12.0, -0.33, 1.5);
    double eterm = clampd((ent - 3.3) * 1.5, -1.5, 1.2);
    z += lterm + eterm;
    if (lterm > 0.5 && eterm > 0.5)
        vigil_finding_reason(&f, "%.0f-char random labels (max %u, entropy %.1f bits/char): encoded data",
                             len, (unsigned)d->max_label_len, ent);
    else if (lterm < 0)
        vigil_finding_reason(&f, "short labels (%.0f chars, entropy %.1f bits/char): like CDN or service names",
                             len, ent);
    else
        vigil_finding_reason(&f, "labels %.0f chars on average (max %u), entropy %.1f bits/char",
                             len, (unsigned)d->max_label_len, ent);

    /* 3. TXT-heavy: what tunnels and DNS beacons ask for. */
    double txt = q > 0 ? (double)d->txt_queries / q : 0;
    if (txt > 1) txt = 1;
    if (txt >= 0.5) {
        z += 1.0;
        vigil_finding_reason(&f, "TXT-heavy: %.0f%% of queries (%.0f TXT/h)", 100 * txt, per_h * txt);
    } else if (txt >= 0.1) {
        z += 0.5;
        vigil_finding_reason(&f, "%.0f%% TXT queries", 100 * txt);
    }

    /* 4. A rhythm: a beacon polls its tasks on a timer. */
    double med, spread;
    if (query_rhythm(d, &med, &spread)) {
        if (spread <= 0.5) {
            z += 0.5;
            vigil_finding_reason(&f, "periodic: a query every %.0f s (spread %.0f%%)", med, 100 * spread);
        } else {
            vigil_finding_reason(&f, "irregular: median %.0f s between queries (spread %.0f%%)", med,
                                 100 * spread);
        }
    }

    /* 5. Prevalence: a telemetry or anti-virus lookup domain every host
     * queries is not one host's tunnel. */
    uint32_t prev = d->prevalence ? d->prevalence : 1;
    if (prev <= 2) {
        z += 0.5;
        vigil_finding_reason(&f, prev == 1 ? "only this host queries the domain"
                                           : "only 2 internal hosts query the domain");
    } else if (prev < 10) {
        z -= 1.0;
        vigil_finding_reason(&f, "%u internal hosts query the domain", (unsigned)prev);
    } else {
        z -= 3.0;
        vigil_finding_reason(&f, "%u internal hosts query the domain: a shared service", (unsigned)prev);
    }

    /* 6. A resolver's upstream queries relay its clients': the evidence
     * is real, but the host to act on is the client (its own finding). */
    if (d->src_is_resolver) {
        z -= 1.0;
        vigil_finding_reason(&f, "an internal resolver relaying its clients' queries: look for the client");
    }

    f.score = logistic(z);
    if (f.score < min_score) return VIGIL_OK;
    return vigil_findings_push(out, &f);
}

vigil_status vigil__detect_dga(const vigil__nx_view *x, const vigil__detect_cfg *cfg,
                               vigil_findings *out)
{
    if (!x || !out) return VIGIL_EINVAL;
    double min_score = cfg ? cfg->min_score : 0.05;
    if (x->nx_names == 0) return VIGIL_OK;

    vigil_finding f;
    memset(&f, 0, sizeof f);
    f.kind = VIGIL_FIND_DNS;
    f.src = x->src;
    if (x->example) snprintf(f.dst_name, sizeof f.dst_name, "%s", x->example);
    f.dport = 53;
    f.proto = VIGIL_PROTO_UDP;
    f.first_ts = x->first_ts;
    f.last_ts = x->last_ts;
    f.conns = x->nx_names;

    double names = (double)x->nx_names, win = (double)x->nx_max_window;
    double doms = (double)x->nx_domains;
    if (win > names) win = names;
    if (doms > names) doms = names;
    /* Distinct failing domains in the busiest 5 minutes, at most: a DGA
     * tries many registered domains; a search suffix or a lookup service
     * fails many names under one. */
    double burst = fmin(win, doms);
    double span = x->last_ts - x->first_ts;
    if (!isfinite(span) || span < 0) span = 0;

    double z = 1.6 * log2(fmax(burst, 1.0) / DGA_BURST_MID);
    vigil_finding_reason(&f, "NXDOMAIN burst: %.0f distinct failing names within 5 minutes (%.0f in all, over %.0f s)",
                         win, names, span);
    double div = doms / names;
    if (names >= 5 && div < 0.3) {
        z -= 2.0;
        vigil_finding_reason(&f, "only %.0f registered domain%s among them: a search suffix or a lookup service, not a DGA",
                             doms, doms == 1 ? "" : "s");
    } else if (names >= 5 && div >= 0.8) {
        z += 0.3;
        vigil_finding_reason(&f, "%.0f different registered domains, nearly one per name: a domain generation algorithm",
                             doms);
    } else {
        vigil_finding_reason(&f, "%.0f different registered domain%s", doms, doms == 1 ? "" : "s");
    }
    if (names >= 50) {
        z += 0.5;
        vigil_finding_reason(&f, "many failures in all: %.0f distinct names", names);
    }
    if (x->example) vigil_finding_reason(&f, "e.g. %.100s", x->example);

    f.score = logistic(z);
    if (f.score < min_score) return VIGIL_OK;
    return vigil_findings_push(out, &f);
}
