/* detect_util.c -- small numeric helpers shared by the detectors.
 *
 * Input: plain numbers and caller-owned scratch arrays; output: numbers.
 * Nothing here allocates.  Robust statistics (median, quantiles, median
 * absolute deviation) are computed by selection, O(n) on average, because
 * detectors run on every pair and a pair may hold millions of connections.
 * Declared in agg.h ("Shared helpers"); used by every detect_ file.
 *
 * The selection is hand-written, twice, because it is a hot path: the
 * beacon detector takes medians and quantiles of millions of intervals.
 * A quickselect (small arrays, and any array holding a negative value or
 * a NaN) and, from 64 values on, a histogram search over the values' bit
 * patterns ("selection by histogram" below).  Measured by replaying the
 * arrays `vigil hunt` selects from over a simulated month (65M values in
 * 52,660 calls, most arrays of 30k-500k values): the quickselect took
 * ~14 ns a value, moving every value several times behind branches that
 * mispredict; the histogram ~2.7 ns, 5x less: its range, count and
 * gather passes do not branch on the values. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "agg.h"

double vigil__squash(double x, double mid, double scale)
{
    if (isnan(x)) return 0;
    if (!(scale > 0)) return x >= mid ? 1 : 0;
    double z = (x - mid) / scale;
    if (z > 40) return 1;
    if (z < -40) return 0;
    double s = 1 / (1 + exp(-z));
    return s < 0 ? 0 : s > 1 ? 1 : s;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Puts the k-th smallest of a[0..n) at a[k], smaller-or-equal values before
 * it and greater-or-equal after (Hoare partition around a median of three;
 * equal keys split evenly, so runs of identical values stay fast).  After a
 * number of rounds that only adversarial input reaches, the rest is sorted,
 * so the worst case is O(n log n). */
static void select_kth(double *a, size_t n, size_t k)
{
    if (n < 2 || k >= n) return;
    ptrdiff_t lo = 0, hi = (ptrdiff_t)n - 1, want = (ptrdiff_t)k;
    int budget = 16;
    for (size_t m = n; m > 1; m >>= 1) budget += 2;
    while (hi > lo) {
        if (hi - lo < 16) {
            /* Insertion sort: qsort's call per comparison dominated the
             * many small selections the detectors make. */
            for (ptrdiff_t x = lo + 1; x <= hi; x++) {
                double v = a[x];
                ptrdiff_t y = x;
                for (; y > lo && a[y - 1] > v; y--) a[y] = a[y - 1];
                a[y] = v;
            }
            return;
        }
        if (--budget < 0) {
            qsort(a + lo, (size_t)(hi - lo + 1), sizeof *a, cmp_double);
            return;
        }
        ptrdiff_t mid = lo + (hi - lo) / 2;
        double t;
        if (a[mid] < a[lo]) { t = a[mid]; a[mid] = a[lo]; a[lo] = t; }
        if (a[hi] < a[lo]) { t = a[hi]; a[hi] = a[lo]; a[lo] = t; }
        if (a[hi] < a[mid]) { t = a[hi]; a[hi] = a[mid]; a[mid] = t; }
        double pivot = a[mid];
        ptrdiff_t i = lo, j = hi;
        while (i <= j) {
            while (a[i] < pivot) i++;
            while (a[j] > pivot) j--;
            if (i <= j) {
                t = a[i]; a[i] = a[j]; a[j] = t;
                i++;
                j--;
            }
        }
        /* Now a[lo..j] <= pivot <= a[i..hi], and a[j+1..i-1] == pivot. */
        if (want <= j) hi = j;
        else if (want >= i) lo = i;
        else return;
    }
}

/* The position of the q-quantile (nearest rank) of n >= 1 values. */
static size_t quantile_at(size_t n, double q)
{
    if (!(q > 0)) q = 0;
    if (q > 1) q = 1;
    size_t k = (size_t)floor(q * (double)(n - 1) + 0.5);
    return k >= n ? n - 1 : k;
}

/* Puts the order statistics at the ascending positions ks[0..m) (relative
 * to `base`, where a[0] sits) in place: the middle one over all of a, then
 * the others only on their side of it, so m statistics cost about two
 * selections instead of m. */
static void select_many(double *a, size_t n, const size_t *ks, size_t m, size_t base)
{
    while (m && n > 1) {
        size_t j = m / 2, k = ks[j] - base;
        select_kth(a, n, k);
        size_t l = j, r = j + 1;
        while (l > 0 && ks[l - 1] == ks[j]) l--;
        while (r < m && ks[r] == ks[j]) r++;
        select_many(a, k, ks, l, base); /* a[0..k) <= a[k] */
        a += k + 1;                     /* a[k] <= a[k+1..n) */
        n -= k + 1;
        base += k + 1;
        ks += r;
        m -= r;
    }
}

/* ---- selection by histogram ---------------------------------------------
 *
 * From HIST_MIN_N values on, the statistics are found by counting instead:
 * a pass finds the range, a pass counts the values into up to HIST_BINS
 * bins by their IEEE bit pattern (for values >= +0.0 the pattern, read as
 * an integer, orders as the value does, and distinct values have distinct
 * patterns), and a pass gathers the values of the bins that hold a wanted
 * rank to the front; only those are searched further, the same way.  A
 * bin is 2^shift consecutive patterns, so bins are narrow in relative
 * terms at every scale: beacon intervals cluster around a period with
 * sleeps many times longer, and bins of equal width from min to max
 * would put the whole cluster into one.  All the ranks wanted share the
 * passes.
 *
 * Only arrays whose values are all >= +0.0 (none negative, no -0.0, whose
 * pattern sorts apart from +0.0's though the two compare equal) and not
 * NaN take this path; the others go to the quickselect as before.  The
 * statistics are unique values, so either way the results are the ones
 * the quickselect alone gave, bit for bit. */

enum {
    HIST_LOG2 = 11,
    HIST_BINS = 1 << HIST_LOG2, /* 8 KB of counts: stays in L1 */
    HIST_FEW_BINS = 64,         /* the fewest a round counts into */
    HIST_MIN_N = 64,            /* below, the quickselect is faster */
    MAX_RANKS = VIGIL__MAX_QUANTILES + 2
};

/* In the counts of a bin whose values are gathered: the bin's group. */
#define HIST_MARK 0x80000000u

static uint64_t bits_of(double v)
{
    uint64_t u;
    memcpy(&u, &v, sizeof u);
    return u;
}

static double double_of(uint64_t u)
{
    double v;
    memcpy(&v, &u, sizeof v);
    return v;
}

/* Selection by the quickselect, for a few values: out[r] = the rk[r]-th
 * smallest of a[0..n), rk ascending. */
static void select_small(double *a, size_t n, size_t *rk, size_t m, double *out)
{
    select_many(a, n, rk, m, 0);
    for (size_t r = 0; r < m; r++) out[r] = a[rk[r]];
}

/* out[r] = the rk[r]-th smallest of a[0..n) (rk ascending, rewritten),
 * where every value's pattern lies in [lo, hi].  cnt is the histogram
 * (HIST_BINS counts), shared with the groups this recurses into.  Each
 * round narrows the range to one bin, at least HIST_FEW_BINS times
 * narrower, so a search ends within 11 rounds (at a bin of one pattern) whatever the
 * values; the recursion is no deeper. */
static void hist_select(double *a, size_t n, uint64_t lo, uint64_t hi, size_t *rk, size_t m,
                        double *out, uint32_t *cnt)
{
    for (;;) {
        if (n < HIST_MIN_N) {
            select_small(a, n, rk, m, out);
            return;
        }
        if (lo == hi) { /* all equal */
            for (size_t r = 0; r < m; r++) out[r] = double_of(lo);
            return;
        }
        /* Fewer bins for fewer values: clearing and scanning them would
         * cost more than the values. */
        size_t bins = HIST_BINS;
        while (bins > HIST_FEW_BINS && bins / 2 >= n) bins /= 2;
        unsigned shift = 0;
        while (((hi - lo) >> shift) >= bins) shift++;
        size_t nb = (size_t)((hi - lo) >> shift) + 1;
        memset(cnt, 0, nb * sizeof *cnt);
        uint64_t mn = hi, mx = lo;
        for (size_t i = 0; i < n; i++) {
            uint64_t u = bits_of(a[i]);
            cnt[(u - lo) >> shift]++;
            mn = u < mn ? u : mn;
            mx = u > mx ? u : mx;
        }
        /* Everything in one bin: nothing to gather; the exact range is
         * narrower than a bin, so the next count spreads it. */
        if ((mn - lo) >> shift == (mx - lo) >> shift) {
            lo = mn;
            hi = mx;
            continue;
        }

        /* The bin of each rank, the rank made relative to its bin, and
         * the distinct bins (groups) in ascending order. */
        size_t gbin[MAX_RANKS], gsize[MAX_RANKS], grank[MAX_RANKS + 1], ng = 0;
        size_t below = 0, b = 0;
        for (size_t r = 0; r < m; r++) {
            while (rk[r] >= below + cnt[b]) below += cnt[b++];
            rk[r] -= below;
            if (!ng || gbin[ng - 1] != b) {
                gbin[ng] = b;
                gsize[ng] = cnt[b];
                grank[ng++] = r;
            }
        }
        grank[ng] = m;
        if (shift == 0) { /* a bin is one pattern */
            for (size_t g = 0; g < ng; g++)
                for (size_t r = grank[g]; r < grank[g + 1]; r++) out[r] = double_of(lo + gbin[g]);
            return;
        }

        /* Gather the groups' values to the front: a swap per value and
         * no branch, whatever share of them is wanted. */
        for (size_t g = 0; g < ng; g++) cnt[gbin[g]] = HIST_MARK | (uint32_t)g;
        size_t got = 0;
        for (size_t i = 0; i < n; i++) {
            double v = a[i];
            size_t take = cnt[(bits_of(v) - lo) >> shift] >> 31;
            a[i] = a[got];
            a[got] = v;
            got += take;
        }

        if (ng == 1) { /* narrow to the bin and go on */
            n = got;
            lo += (uint64_t)gbin[0] << shift;
            uint64_t top = lo + (((uint64_t)1 << shift) - 1);
            hi = top < hi ? top : hi;
            continue;
        }
        if (got < HIST_MIN_N) {
            /* Few: one quickselect over the groups together, each rank
             * counted from the start of the first group. */
            size_t before = 0;
            for (size_t g = 0; g < ng; g++) {
                for (size_t r = grank[g]; r < grank[g + 1]; r++) rk[r] += before;
                before += gsize[g];
            }
            select_small(a, got, rk, m, out);
            return;
        }

        /* Put each group in its own run, in order (one American flag
         * pass over the gathered values), then search each apart. */
        size_t head[MAX_RANKS], end[MAX_RANKS], at = 0;
        for (size_t g = 0; g < ng; g++) {
            head[g] = at;
            at += gsize[g];
            end[g] = at;
        }
        for (size_t g = 0; g + 1 < ng; g++)
            while (head[g] < end[g]) {
                double v = a[head[g]];
                size_t to = cnt[(bits_of(v) - lo) >> shift] & ~HIST_MARK;
                if (to == g) {
                    head[g]++;
                    continue;
                }
                a[head[g]] = a[head[to]];
                a[head[to]++] = v;
            }
        for (size_t g = 0, start = 0; g < ng; start += gsize[g++]) {
            uint64_t glo = lo + ((uint64_t)gbin[g] << shift);
            uint64_t ghi = glo + (((uint64_t)1 << shift) - 1);
            hist_select(a + start, gsize[g], glo, ghi < hi ? ghi : hi, rk + grank[g],
                        grank[g + 1] - grank[g], out + grank[g], cnt);
        }
        return;
    }
}

/* out[r] = the ks[r]-th smallest of a[0..n) for ks ascending (m at most
 * MAX_RANKS), by histogram; reorders a.  0, with a untouched, when the
 * quickselect must do it instead: n small, or a value below +0.0 or NaN. */
static int hist_ranks(double *a, size_t n, const size_t *ks, size_t m, double *out)
{
    if (n < HIST_MIN_N || n > 0x7fffffffu || m > MAX_RANKS) return 0;
    /* Two running minima and maxima: one pair would make each value wait
     * on the previous comparison. */
    uint64_t mn = UINT64_MAX, mx = 0, mn2 = UINT64_MAX, mx2 = 0;
    size_t i = 0;
    for (; i + 2 <= n; i += 2) {
        uint64_t u = bits_of(a[i]), w = bits_of(a[i + 1]);
        mn = u < mn ? u : mn;
        mx = u > mx ? u : mx;
        mn2 = w < mn2 ? w : mn2;
        mx2 = w > mx2 ? w : mx2;
    }
    if (i < n) {
        uint64_t u = bits_of(a[i]);
        mn = u < mn ? u : mn;
        mx = u > mx ? u : mx;
    }
    mn = mn2 < mn ? mn2 : mn;
    mx = mx2 > mx ? mx2 : mx;
    /* Above +inf's pattern: a NaN, or a sign bit (a negative or -0.0). */
    if (mx > 0x7ff0000000000000u) return 0;
    uint32_t cnt[HIST_BINS];
    size_t rk[MAX_RANKS];
    memcpy(rk, ks, m * sizeof *rk);
    hist_select(a, n, mn, mx, rk, m, out, cnt);
    return 1;
}

double vigil__quantile(double *scratch, size_t n, double q)
{
    if (!scratch || n == 0) return 0;
    size_t k = quantile_at(n, q);
    double v;
    if (hist_ranks(scratch, n, &k, 1, &v)) return v;
    select_kth(scratch, n, k);
    return scratch[k];
}

/* The value found for rank k: v[j] for the j with ks[j] == k. */
static double rank_value(const size_t *ks, const double *v, size_t k)
{
    size_t j = 0;
    while (ks[j] != k) j++;
    return v[j];
}

void vigil__median_quantiles(double *scratch, size_t n, const double *qs, size_t nq, double *median,
                             double *out)
{
    *median = 0;
    for (size_t i = 0; i < nq; i++) out[i] = 0;
    if (!scratch || n == 0) return;
    size_t ks[VIGIL__MAX_QUANTILES + 2], m = 0;
    if (nq > VIGIL__MAX_QUANTILES) nq = VIGIL__MAX_QUANTILES;
    ks[m++] = n / 2;
    if (n % 2 == 0) ks[m++] = n / 2 - 1;
    for (size_t i = 0; i < nq; i++) ks[m++] = quantile_at(n, qs[i]);
    for (size_t i = 1; i < m; i++) /* ascending */
        for (size_t j = i; j > 0 && ks[j - 1] > ks[j]; j--) {
            size_t t = ks[j];
            ks[j] = ks[j - 1];
            ks[j - 1] = t;
        }
    double v[MAX_RANKS];
    if (hist_ranks(scratch, n, ks, m, v)) {
        double hi = rank_value(ks, v, n / 2);
        *median = n % 2 ? hi : rank_value(ks, v, n / 2 - 1) / 2 + hi / 2;
        for (size_t i = 0; i < nq; i++) out[i] = rank_value(ks, v, quantile_at(n, qs[i]));
        return;
    }
    select_many(scratch, n, ks, m, 0);
    double hi = scratch[n / 2];
    /* As vigil__median: even counts average the two middle values. */
    *median = n % 2 ? hi : scratch[n / 2 - 1] / 2 + hi / 2;
    for (size_t i = 0; i < nq; i++) out[i] = scratch[quantile_at(n, qs[i])];
}

double vigil__median(double *scratch, size_t n)
{
    if (!scratch || n == 0) return 0;
    size_t k = n / 2;
    size_t ks[2] = { k - (n % 2 == 0), k }; /* the middle one twice for an odd n */
    double v[2];
    if (hist_ranks(scratch, n, ks, 2, v)) return n % 2 ? v[1] : v[0] / 2 + v[1] / 2;
    select_kth(scratch, n, k);
    double hi = scratch[k];
    if (n % 2) return hi;
    /* Even count: the lower middle is the largest value left of k. */
    double lo = scratch[0];
    for (size_t i = 1; i < k; i++)
        if (scratch[i] > lo) lo = scratch[i];
    return lo / 2 + hi / 2;
}

double vigil__mad(double *scratch, size_t n, double center)
{
    if (!scratch || n == 0) return 0;
    for (size_t i = 0; i < n; i++) scratch[i] = fabs(scratch[i] - center);
    return vigil__median(scratch, n);
}

void vigil__finding_from_pair(vigil_finding *f, vigil_finding_kind kind,
                              const vigil__pair_view *p)
{
    memset(f, 0, sizeof *f);
    f->kind = kind;
    f->src = p->src;
    f->dst = p->dst;
    if (p->name) snprintf(f->dst_name, sizeof f->dst_name, "%s", p->name);
    f->dst_count = p->dst_count;
    f->dport = p->dport;
    f->proto = p->proto;
    f->first_ts = p->first_ts;
    f->last_ts = p->last_ts;
    f->conns = p->n;
    f->bytes_out = p->bytes_out;
    f->bytes_in = p->bytes_in;
    f->prevalence = p->prevalence;
    f->days_present = p->days_present;
}
