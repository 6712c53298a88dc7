/* agg_hosts.c -- the hunt aggregator's per-host part: outbound bytes per
 * (internal host, UTC day), each host's largest (day, destination), and the
 * peer distribution of host-day volumes (for exfil).
 *
 * Built at finish from the sorted pair points (no extra work per record):
 * a point's originator bytes count on the UTC day its connection started.
 * Points keep bytes clamped to 32 bits; the few connections above 4 GiB
 * have their exact count in a side list (vigil__ag_big) used here. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "agg_impl.h"

#define HOSTS_AHEAD 8 /* pairs prefetched ahead in pair order */
#define MAX_DAYS 4000 /* days kept per host (a stray 1970 record must not
                         make every host's array decades long) */

static int cmp_u64(const void *x, const void *y)
{
    uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
    return a < b ? -1 : a > b;
}

static int cmp_double(const void *x, const void *y)
{
    double a = *(const double *)x, b = *(const double *)y;
    return a < b ? -1 : a > b;
}

/* Value at quantile q of sorted v[0..n) (nearest rank). */
static double quantile(const uint64_t *v, size_t n, double q)
{
    if (!n) return 0;
    size_t k = (size_t)ceil(q * (double)n);
    if (k == 0) k = 1;
    if (k > n) k = n;
    return (double)v[k - 1];
}

static double median_u64(const uint64_t *v, size_t n)
{
    if (!n) return 0;
    return n % 2 ? (double)v[n / 2] : ((double)v[n / 2 - 1] + (double)v[n / 2]) / 2;
}

/* Per-day scratch for one (host, destination) run of pairs. */
typedef struct day_acc {
    uint64_t *bytes;       /* bytes to the destination that day */
    uint64_t *port_bytes;  /* the largest single pair's share */
    uint16_t *port;        /* that pair's port */
    uint32_t *name;        /* that pair's name id */
    double *first, *last;  /* contact span that day */
    uint32_t *touched;     /* days with bytes, in order of first touch */
    size_t ntouched;
} day_acc;

static void acc_free(const vigil_allocator *al, day_acc *d)
{
    vigil__free(al, d->bytes);
    vigil__free(al, d->port_bytes);
    vigil__free(al, d->port);
    vigil__free(al, d->name);
    vigil__free(al, d->first);
    vigil__free(al, d->last);
    vigil__free(al, d->touched);
}

static int acc_new(const vigil_allocator *al, day_acc *d, size_t ndays)
{
    memset(d, 0, sizeof *d);
    d->bytes = vigil__calloc(al, ndays, sizeof *d->bytes);
    d->port_bytes = vigil__calloc(al, ndays, sizeof *d->port_bytes);
    d->port = vigil__calloc(al, ndays, sizeof *d->port);
    d->name = vigil__calloc(al, ndays, sizeof *d->name);
    d->first = vigil__calloc(al, ndays, sizeof *d->first);
    d->last = vigil__calloc(al, ndays, sizeof *d->last);
    d->touched = vigil__calloc(al, ndays, sizeof *d->touched);
    return d->bytes && d->port_bytes && d->port && d->name && d->first && d->last && d->touched;
}

static int cmp_big(const void *x, const void *y)
{
    const vigil__ag_big *a = x, *b = y;
    if (a->pair != b->pair) return a->pair < b->pair ? -1 : 1;
    return a->ts < b->ts ? -1 : a->ts > b->ts;
}

/* The exact bytes of pair pi's point at ts when it was clamped. */
static uint64_t point_bytes(const vigil__agg *a, uint32_t pi, const vigil__conn_point *pt)
{
    if (pt->orig_bytes != UINT32_MAX || !a->nbig) return pt->orig_bytes;
    size_t lo = 0, hi = a->nbig;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const vigil__ag_big *b = &a->big[mid];
        if (b->pair < pi || (b->pair == pi && b->ts < pt->ts)) lo = mid + 1;
        else hi = mid;
    }
    if (lo < a->nbig && a->big[lo].pair == pi && a->big[lo].ts == pt->ts) return a->big[lo].bytes;
    return pt->orig_bytes;
}

/* Adds one pair's points to the host's days and to the run's scratch (the
 * points are decoded into the aggregate's view buffer). */
static void add_pair(vigil__agg *a, uint32_t pi, uint64_t *hdays, day_acc *acc,
                     vigil__conn_point *pts)
{
    const vigil__ag_pair *p = &a->pairs[pi];
    vigil__pair_decode(p, pts); /* pts: scratch of max_pts points */
    size_t i = 0;
    while (i < p->n) {
        double dd = floor(pts[i].ts / 86400.0) * 86400.0 - a->day0;
        size_t day = dd <= 0 ? 0 : (size_t)(dd / 86400.0 + 0.5);
        if (day >= a->ndays) day = a->ndays - 1;
        double first = pts[i].ts, last = first;
        uint64_t b = 0;
        size_t j = i;
        double end = a->day0 + (double)(day + 1) * 86400.0;
        while (j < p->n && (pts[j].ts < end || day == a->ndays - 1)) {
            b += point_bytes(a, pi, &pts[j]);
            last = pts[j].ts;
            j++;
        }
        if (j == i) j = i + 1; /* a point before day0 (cannot happen): move on */
        i = j;
        if (!b) continue;
        hdays[day] += b;
        if (acc->bytes[day] == 0) {
            acc->touched[acc->ntouched++] = (uint32_t)day;
            acc->first[day] = first;
            acc->last[day] = last;
        } else {
            if (first < acc->first[day]) acc->first[day] = first;
            if (last > acc->last[day]) acc->last[day] = last;
        }
        acc->bytes[day] += b;
        if (b > acc->port_bytes[day]) {
            acc->port_bytes[day] = b;
            acc->port[day] = p->dport;
            acc->name[day] = a->pair_name[pi];
        }
    }
}

/* Moves the run's best day into the host's top transfer and clears it. */
static void flush_run(vigil__agg *a, vigil__ag_host *h, uint32_t dst, uint32_t run_name,
                      day_acc *acc)
{
    for (size_t t = 0; t < acc->ntouched; t++) {
        uint32_t d = acc->touched[t];
        uint64_t b = acc->bytes[d];
        double day_epoch = a->day0 + (double)d * 86400.0;
        if (b > h->top_bytes || (b == h->top_bytes && h->top_dst != VIGIL__NO_ID && day_epoch < h->top_day)) {
            h->top_bytes = b;
            h->top_dst = dst;
            h->top_name = acc->name[d] != VIGIL__NO_ID ? acc->name[d] : run_name;
            h->top_dport = acc->port[d];
            h->top_day = day_epoch;
            h->top_first_ts = acc->first[d];
            h->top_last_ts = acc->last[d];
        }
        acc->bytes[d] = acc->port_bytes[d] = 0;
    }
    acc->ntouched = 0;
}

vigil_status vigil__agg_finish_hosts_begin(vigil__agg *a, double first_ts, double last_ts)
{
    vigil__agg_free_hosts(a);
    size_t nh = 0;
    for (size_t i = 0; i < a->naddrs; i++) {
        a->addrs[i].host = VIGIL__NO_ID;
        if (a->addrs[i].flags & VIGIL__ADDR_SRC) nh++;
    }
    if (!nh) return VIGIL_OK;
    a->day0 = floor(first_ts / 86400.0) * 86400.0;
    double span = floor(last_ts / 86400.0) - floor(first_ts / 86400.0) + 1;
    a->ndays = span < 1 ? 1 : span > MAX_DAYS ? MAX_DAYS : (size_t)span;
    a->hosts = vigil__calloc(&a->alloc, nh, sizeof *a->hosts);
    a->host_days = nh <= SIZE_MAX / a->ndays ? vigil__calloc(&a->alloc, nh * a->ndays, sizeof *a->host_days) : NULL;
    if (!a->hosts || !a->host_days) {
        vigil__agg_free_hosts(a);
        return VIGIL_ENOMEM;
    }
    a->nhosts = nh;
    if (a->nbig) qsort(a->big, a->nbig, sizeof *a->big, cmp_big);
    return VIGIL_OK;
}

vigil_status vigil__agg_hosts_split(const vigil__agg *a, const uint32_t *arank, const uint64_t *work,
                                    size_t n, size_t *k, size_t *first_host, size_t *got)
{
    /* Pairs are in source-rank order: a chunk ends at the first source
     * whose lower-ranked sources hold the chunk's share of the work (one
     * walk over the addresses in rank order), at that source's first pair
     * in the order (a binary search). */
    *got = 0;
    k[0] = 0;
    if (!n || !a->npairs) return VIGIL_OK;
    if (!work || n == 1) { /* no weights (one thread): one chunk */
        k[1] = a->npairs;
        first_host[0] = 0;
        *got = 1;
        return VIGIL_OK;
    }
    uint32_t *byrank = vigil__malloc(&a->alloc, (a->naddrs ? a->naddrs : 1) * sizeof *byrank);
    if (!byrank) return VIGIL_ENOMEM;
    uint64_t total = 0, below = 0;
    for (size_t i = 0; i < a->naddrs; i++) {
        byrank[arank[i]] = (uint32_t)i;
        if (a->addrs[i].flags & VIGIL__ADDR_SRC) total += work[i];
    }
    size_t r = 0, hosts = 0, c = 0;
    first_host[0] = 0;
    for (size_t t = 1; t < n; t++) {
        /* The sources below rank r hold at least t / n of the work. */
        uint64_t want = (uint64_t)((double)total * (double)t / (double)n);
        for (; r < a->naddrs && below < want; r++) {
            uint32_t id = byrank[r];
            if (!(a->addrs[id].flags & VIGIL__ADDR_SRC)) continue;
            below += work[id];
            hosts++;
        }
        if (r >= a->naddrs) break;
        size_t k0 = k[c], k1 = a->npairs;
        while (k0 < k1) {
            size_t mid = k0 + (k1 - k0) / 2;
            if (arank[a->pairs[a->order[mid]].src] < r) k0 = mid + 1;
            else k1 = mid;
        }
        if (k0 >= a->npairs) break;
        if (k0 > k[c]) { /* a chunk of its own */
            k[++c] = k0;
            first_host[c] = hosts;
        }
    }
    k[++c] = a->npairs;
    *got = c;
    vigil__free(&a->alloc, byrank);
    return VIGIL_OK;
}

vigil_status vigil__agg_finish_hosts_range(vigil__agg *a, size_t k0, size_t k1, size_t first_host,
                                           vigil__conn_point *pts)
{
    if (!a->nhosts || k0 >= k1) return VIGIL_OK;
    day_acc acc;
    if (!acc_new(&a->alloc, &acc, a->ndays)) {
        acc_free(&a->alloc, &acc);
        return VIGIL_ENOMEM;
    }
    /* Hosts in address order: the pair order is by source address first. */
    size_t hi_ = first_host;
    for (size_t k = k0; k < k1;) {
        const vigil__ag_pair *p = &a->pairs[a->order[k]];
        uint32_t src = p->src;
        vigil__ag_host *h = &a->hosts[hi_];
        h->addr = src;
        h->top_dst = VIGIL__NO_ID;
        h->top_name = VIGIL__NO_ID;
        a->addrs[src].host = (uint32_t)hi_;
        uint64_t *hdays = a->host_days + hi_ * a->ndays;
        while (k < k1 && a->pairs[a->order[k]].src == src) {
            uint32_t dst = a->pairs[a->order[k]].dst, run_name = VIGIL__NO_ID;
            while (k < k1 && a->pairs[a->order[k]].src == src && a->pairs[a->order[k]].dst == dst) {
                /* Pairs in this order are scattered in memory, their
                 * points more so: both prefetched ahead -- the pair's 80
                 * bytes (both lines, when it straddles two) and its name,
                 * each a miss in arrays of ~160 and ~8 MB that the pass
                 * stalled on (perf annotate). */
                if (k + 2 * HOSTS_AHEAD < k1) {
                    uint32_t o2 = a->order[k + 2 * HOSTS_AHEAD];
                    __builtin_prefetch(&a->pairs[o2]);
                    __builtin_prefetch((const char *)&a->pairs[o2] + sizeof *a->pairs - 1);
                    __builtin_prefetch(&a->pair_name[o2]);
                }
                if (k + HOSTS_AHEAD < k1) {
                    const vigil__ag_pair *q = &a->pairs[a->order[k + HOSTS_AHEAD]];
                    if (q->enc) __builtin_prefetch(q->enc);
                }
                if (run_name == VIGIL__NO_ID) run_name = a->pair_name[a->order[k]];
                add_pair(a, a->order[k], hdays, &acc, pts);
                k++;
            }
            flush_run(a, h, dst, run_name, &acc);
        }
        hi_++;
    }
    acc_free(&a->alloc, &acc);
    return VIGIL_OK;
}

vigil_status vigil__agg_finish_hosts_end(vigil__agg *a)
{
    size_t nh = a->nhosts;
    if (!nh) return VIGIL_OK;
    vigil_status rc = VIGIL_ENOMEM;
    uint64_t *vals = NULL;
    /* The population: most hosts active on any one day. */
    a->daily_hosts = 0;
    for (size_t d = 0; d < a->ndays; d++) {
        uint32_t active = 0;
        for (size_t h = 0; h < nh; h++) active += a->host_days[h * a->ndays + d] != 0;
        if (active > a->daily_hosts) a->daily_hosts = active;
    }
    /* Peers: active host-days. */
    size_t nv = 0;
    for (size_t i = 0; i < nh * a->ndays; i++)
        if (a->host_days[i]) nv++;
    memset(&a->peers, 0, sizeof a->peers);
    a->peers.hosts = (uint32_t)nh;
    if (nv) {
        vals = vigil__malloc(&a->alloc, nv * sizeof *vals);
        double *dev = vals ? vigil__malloc(&a->alloc, nv * sizeof *dev) : NULL;
        if (!dev) goto out;
        size_t k = 0;
        for (size_t i = 0; i < nh * a->ndays; i++)
            if (a->host_days[i]) vals[k++] = a->host_days[i];
        qsort(vals, nv, sizeof *vals, cmp_u64);
        double med = median_u64(vals, nv);
        a->peers.median_day_out = med;
        a->peers.p99_day_out = quantile(vals, nv, 0.99);
        for (size_t i = 0; i < nv; i++) dev[i] = fabs((double)vals[i] - med);
        qsort(dev, nv, sizeof *dev, cmp_double);
        a->peers.mad_day_out = nv % 2 ? dev[nv / 2] : (dev[nv / 2 - 1] + dev[nv / 2]) / 2;
        vigil__free(&a->alloc, dev);
    }
    rc = VIGIL_OK;
out:
    if (rc != VIGIL_OK) vigil__agg_free_hosts(a);
    vigil__free(&a->alloc, vals);
    return rc;
}

void vigil__agg_free_hosts(vigil__agg *a)
{
    vigil__free(&a->alloc, a->hosts);
    vigil__free(&a->alloc, a->host_days);
    a->hosts = NULL;
    a->host_days = NULL;
    a->nhosts = 0;
    a->daily_hosts = 0;
}

/* ---- views ------------------------------------------------------------------- */

size_t vigil__agg_host_count(const vigil__agg *a) { return a && a->finished ? a->nhosts : 0; }

vigil_status vigil__agg_host(const vigil__agg *a, size_t i, vigil__host_view *out)
{
    if (!a || !out || !a->finished || i >= a->nhosts) return VIGIL_EINVAL;
    const vigil__ag_host *h = &a->hosts[i];
    memset(out, 0, sizeof *out);
    out->host = a->addrs[h->addr].a;
    out->bytes_out_by_day = a->host_days + i * a->ndays;
    out->ndays = a->ndays;
    out->input_first_day = a->day0;
    if (h->top_dst != VIGIL__NO_ID) {
        out->top_dst = a->addrs[h->top_dst].a;
        out->top_name = vigil__agg_name(a, h->top_name);
        out->top_dport = h->top_dport;
        out->top_bytes = h->top_bytes;
        out->top_day = h->top_day;
        out->top_first_ts = h->top_first_ts;
        out->top_last_ts = h->top_last_ts;
        out->top_dst_prevalence = a->addrs[h->top_dst].prevalence;
    }
    return VIGIL_OK;
}

void vigil__agg_peers(const vigil__agg *a, vigil__peer_view *out)
{
    if (!out) return;
    memset(out, 0, sizeof *out);
    if (a && a->finished) *out = a->peers;
}
