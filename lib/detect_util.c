/* detect_util.c -- small numeric helpers shared by the detectors.
 *
 * Input: plain numbers and caller-owned scratch arrays; output: numbers.
 * Nothing here allocates.  Robust statistics (median, quantiles, median
 * absolute deviation) are computed by selection, O(n) on average, because
 * detectors run on every pair and a pair may hold millions of connections.
 * Declared in agg.h ("Shared helpers"); used by every detect_ file. */
#include <math.h>
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

double vigil__quantile(double *scratch, size_t n, double q)
{
    if (!scratch || n == 0) return 0;
    size_t k = quantile_at(n, q);
    select_kth(scratch, n, k);
    return scratch[k];
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
