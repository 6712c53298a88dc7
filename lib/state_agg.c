/* state_agg.c -- an aggregate's day as rows of the state database, and the
 * rows back as an aggregate.
 *
 * Input: an unfinished vigil__agg holding one UTC day's records (hunt.c
 * routes records by day when a state is given).  Output: rows of
 * day_counts, addr_day, pair_day, hint_day, dns_day and nx_day (schema in
 * state_db.c, docs/state.md), and the destinations' first / last seen and
 * hosts.  vigil__state_restore rebuilds one aggregate per stored (batch,
 * day) and merges them with vigil__agg_merge, the same merge the reading
 * threads use, so a hunt over the state equals a hunt over all the logs.
 *
 * Blobs (all integers little-endian base-128 varints, signed ones
 * zig-zagged; times in microseconds):
 *   pts     per point: ts delta from the previous point, orig bytes
 *           (clamped to 32 bits as in memory), resp bytes
 *   big     per clamped point: ts, exact orig bytes
 *   ts      DNS query times: deltas
 *   qnames  distinct full-name hashes: 8 bytes each
 *   ev      NXDOMAIN answers: ts delta, name hash (8 bytes), domain id
 * A row keeps at most ROW_CAP points / query times / answers: beyond, an
 * evenly spaced sample (the row's counts stay exact).  This bounds the
 * state's growth per active pair per day. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "state_impl.h"

#define ROW_CAP 32768  /* points, query times or NX answers kept per row */

/* ---- varint blobs ------------------------------------------------------------ */

typedef struct blob {
    unsigned char *p;
    size_t n, cap;
    const vigil_allocator *al;
    int oom;
} blob;

static void b_need(blob *b, size_t k)
{
    if (b->oom || b->n + k <= b->cap) return;
    if (vigil__grow(b->al, (void **)&b->p, &b->cap, b->n + k, 1) != VIGIL_OK) b->oom = 1;
}

static void b_u(blob *b, uint64_t v)
{
    b_need(b, 10);
    if (b->oom) return;
    while (v >= 0x80) {
        b->p[b->n++] = (unsigned char)(v | 0x80);
        v >>= 7;
    }
    b->p[b->n++] = (unsigned char)v;
}

static void b_s(blob *b, int64_t v) { b_u(b, ((uint64_t)v << 1) ^ (uint64_t)(v >> 63)); }

static void b_64(blob *b, uint64_t v)
{
    b_need(b, 8);
    if (b->oom) return;
    for (int i = 0; i < 8; i++) b->p[b->n++] = (unsigned char)(v >> (8 * i));
}

typedef struct cursor {
    const unsigned char *p, *end;
    int bad;
} cursor;

static uint64_t c_u(cursor *c)
{
    uint64_t v = 0;
    for (int sh = 0; sh < 64; sh += 7) {
        if (c->p >= c->end) {
            c->bad = 1;
            return 0;
        }
        unsigned char x = *c->p++;
        v |= (uint64_t)(x & 0x7f) << sh;
        if (!(x & 0x80)) return v;
    }
    c->bad = 1;
    return 0;
}

static int64_t c_s(cursor *c)
{
    uint64_t u = c_u(c);
    return (int64_t)(u >> 1) ^ -(int64_t)(u & 1);
}

static uint64_t c_64(cursor *c)
{
    if (c->end - c->p < 8) {
        c->bad = 1;
        return 0;
    }
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) v |= (uint64_t)c->p[i] << (8 * i);
    c->p += 8;
    return v;
}

static int64_t us_of(double ts) { return (int64_t)llround(ts * 1e6); }
static double ts_of(int64_t us) { return (double)us / 1e6; }

/* Which of n entries a row keeps: all when n <= ROW_CAP, else ROW_CAP
 * evenly spaced (always the first and the last). */
static size_t kept_count(size_t n) { return n <= ROW_CAP ? n : ROW_CAP; }
static size_t kept_index(size_t k, size_t n)
{
    if (n <= ROW_CAP) return k;
    return (size_t)((double)k * (double)(n - 1) / (double)(ROW_CAP - 1) + 0.5);
}

/* ---- ids: addresses and names in the state ----------------------------------- */

typedef struct writer {
    vigil_state *s;
    vigil__agg *a;
    int64_t batch, day;
    int64_t *aid;              /* agg address id -> state id (0: not yet) */
    int64_t *nid;              /* agg name id -> state id */
    sqlite3_stmt *addr_ins, *addr_get, *name_ins, *name_get;
} writer;

static vigil_status id_of(writer *w, sqlite3_stmt *ins, sqlite3_stmt *get, const void *key, int len,
                          int text, int64_t *out)
{
    for (int pass = 0; pass < 2; pass++) {
        sqlite3_stmt *st = pass ? ins : get;
        sqlite3_reset(st);
        if (text) sqlite3_bind_text(st, 1, key, len, SQLITE_STATIC);
        else sqlite3_bind_blob(st, 1, key, len, SQLITE_STATIC);
        int rc = sqlite3_step(st);
        if (!pass && rc == SQLITE_ROW) {
            *out = sqlite3_column_int64(st, 0);
            return VIGIL_OK;
        }
        if (pass && rc == SQLITE_DONE) {
            *out = sqlite3_last_insert_rowid(w->s->db);
            return VIGIL_OK;
        }
        if (rc != SQLITE_DONE && rc != SQLITE_ROW) return vigil__state_sqlerr(w->s, rc, "writing the state");
    }
    return VIGIL_OK;
}

static vigil_status addr_id(writer *w, uint32_t id, int64_t *out)
{
    if (w->aid[id]) {
        *out = w->aid[id];
        return VIGIL_OK;
    }
    vigil_status st = id_of(w, w->addr_ins, w->addr_get, w->a->addrs[id].a.b, 16, 0, &w->aid[id]);
    *out = w->aid[id];
    return st;
}

static vigil_status name_id(writer *w, uint32_t id, int64_t *out)
{
    if (id == VIGIL__NO_ID) {
        *out = 0;
        return VIGIL_OK;
    }
    if (w->nid[id]) {
        *out = w->nid[id];
        return VIGIL_OK;
    }
    vigil_status st = id_of(w, w->name_ins, w->name_get, w->a->names.s[id], (int)w->a->names.len[id], 1,
                            &w->nid[id]);
    *out = w->nid[id];
    return st;
}

/* Binds a blob (NULL when empty). */
static void bind_blob(sqlite3_stmt *st, int col, const blob *b)
{
    if (b->n) sqlite3_bind_blob(st, col, b->p, (int)b->n, SQLITE_TRANSIENT);
    else sqlite3_bind_null(st, col);
}

static vigil_status step_done(writer *w, sqlite3_stmt *st)
{
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? VIGIL_OK : vigil__state_sqlerr(w->s, rc, "writing the state");
}

static int cmp_double(const void *x, const void *y)
{
    double a = *(const double *)x, b = *(const double *)y;
    return a < b ? -1 : a > b;
}

static int cmp_u64(const void *x, const void *y)
{
    uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
    return a < b ? -1 : a > b;
}

static int cmp_qname(const void *x, const void *y)
{
    const vigil__ag_qname *a = x, *b = y;
    if (a->entry != b->entry) return a->entry < b->entry ? -1 : 1;
    return a->h < b->h ? -1 : a->h > b->h;
}

static int cmp_nxev(const void *x, const void *y)
{
    const vigil__ag_nxev *a = x, *b = y;
    return a->ts < b->ts ? -1 : a->ts > b->ts;
}

/* A row to insert, with its key in state ids: rows go in in key order, so
 * the B-trees grow at their right edge instead of splitting pages all over
 * (3x faster ingest on a 10,000-host day). */
typedef struct keyed {
    int64_t k1, k2;            /* state ids (src, dst / domain) */
    uint32_t k3;               /* dport << 8 | proto, or 0 */
    uint32_t idx;              /* the aggregate's entry */
} keyed;

static int cmp_keyed(const void *x, const void *y)
{
    const keyed *a = x, *b = y;
    if (a->k1 != b->k1) return a->k1 < b->k1 ? -1 : 1;
    if (a->k2 != b->k2) return a->k2 < b->k2 ? -1 : 1;
    if (a->k3 != b->k3) return a->k3 < b->k3 ? -1 : 1;
    return a->idx < b->idx ? -1 : a->idx > b->idx;
}

/* The pairs with points, keyed by state ids, in key order. */
static vigil_status pair_keys(writer *w, keyed **out, size_t *n)
{
    vigil__agg *a = w->a;
    *n = 0;
    *out = a->npairs ? vigil__malloc(&w->s->alloc, a->npairs * sizeof **out) : NULL;
    if (a->npairs && !*out) return VIGIL_ENOMEM;
    for (size_t i = 0; i < a->npairs; i++) {
        const vigil__ag_pair *p = &a->pairs[i];
        if (p->n == 0) continue;
        keyed *k = &(*out)[(*n)++];
        vigil_status vs = addr_id(w, p->src, &k->k1);
        if (vs == VIGIL_OK) vs = addr_id(w, p->dst, &k->k2);
        if (vs != VIGIL_OK) return vs;
        k->k3 = (uint32_t)p->dport << 8 | p->proto;
        k->idx = (uint32_t)i;
    }
    if (*n > 1) qsort(*out, *n, sizeof **out, cmp_keyed);
    return VIGIL_OK;
}

static int cmp_big(const void *x, const void *y)
{
    const vigil__ag_big *a = x, *b = y;
    if (a->pair != b->pair) return a->pair < b->pair ? -1 : 1;
    return a->ts < b->ts ? -1 : a->ts > b->ts;
}

/* Updates dest and dest_host from the pairs (keys sorted by (dst, src)). */
static vigil_status put_dests(writer *w, keyed *keys, size_t n)
{
    vigil__agg *a = w->a;
    sqlite3_stmt *dest = NULL, *dh = NULL;
    int rc = sqlite3_prepare_v2(w->s->db,
                                "INSERT INTO dest VALUES(?1, ?2, ?3) ON CONFLICT(addr) DO UPDATE SET"
                                " first_seen = min(first_seen, excluded.first_seen),"
                                " last_seen = max(last_seen, excluded.last_seen)",
                                -1, &dest, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v2(w->s->db,
                                "INSERT INTO dest_host VALUES(?1, ?2, ?3, ?4) ON CONFLICT(dst, src) DO UPDATE"
                                " SET first_seen = min(first_seen, excluded.first_seen),"
                                " last_seen = max(last_seen, excluded.last_seen)",
                                -1, &dh, NULL);
    vigil_status vs = rc == SQLITE_OK ? VIGIL_OK : vigil__state_sqlerr(w->s, rc, "writing the state");
    for (size_t i = 0; i < n; i++) { /* (dst, src) order */
        int64_t t = keys[i].k1;
        keys[i].k1 = keys[i].k2;
        keys[i].k2 = t;
    }
    if (n > 1) qsort(keys, n, sizeof *keys, cmp_keyed);
    size_t i = 0;
    while (i < n && vs == VIGIL_OK) {
        int64_t dst = keys[i].k1;
        double df = 0, dl = 0;
        int dany = 0;
        while (i < n && keys[i].k1 == dst && vs == VIGIL_OK) {
            int64_t src = keys[i].k2;
            double f = 0, l = 0;
            int any = 0;
            for (; i < n && keys[i].k1 == dst && keys[i].k2 == src; i++) {
                double pf, pl;
                vigil__pair_span(&a->pairs[keys[i].idx], &pf, &pl);
                if (!any || pf < f) f = pf;
                if (!any || pl > l) l = pl;
                any = 1;
            }
            sqlite3_bind_int64(dh, 1, dst);
            sqlite3_bind_int64(dh, 2, src);
            sqlite3_bind_double(dh, 3, f);
            sqlite3_bind_double(dh, 4, l);
            vs = step_done(w, dh);
            if (!dany || f < df) df = f;
            if (!dany || l > dl) dl = l;
            dany = 1;
        }
        if (vs != VIGIL_OK) break;
        sqlite3_bind_int64(dest, 1, dst);
        sqlite3_bind_double(dest, 2, df);
        sqlite3_bind_double(dest, 3, dl);
        vs = step_done(w, dest);
    }
    sqlite3_finalize(dest);
    sqlite3_finalize(dh);
    return vs;
}

static vigil_status put_pairs(writer *w, blob *b, blob *b2)
{
    vigil__agg *a = w->a;
    sqlite3_stmt *st = NULL;
    keyed *keys = NULL;
    size_t nk = 0;
    int rc = sqlite3_prepare_v2(w->s->db,
                                "INSERT INTO pair_day VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,"
                                "?14,?15,?16,?17,?18,?19,?20)",
                                -1, &st, NULL);
    vigil_status vs = rc == SQLITE_OK ? VIGIL_OK : vigil__state_sqlerr(w->s, rc, "writing the state");
    if (vs == VIGIL_OK) vs = pair_keys(w, &keys, &nk);
    /* The points are kept encoded (agg_impl.h): decoded pair by pair. */
    size_t maxp = vigil__agg_max_pair_points(a);
    vigil__conn_point *pts = maxp ? vigil__malloc(&w->s->alloc, maxp * sizeof *pts) : NULL;
    if (vs == VIGIL_OK && maxp && !pts) vs = VIGIL_ENOMEM;
    /* Clamped points' exact bytes, grouped by pair. */
    if (a->nbig > 1) qsort(a->big, a->nbig, sizeof *a->big, cmp_big);
    for (size_t i = 0; i < nk && vs == VIGIL_OK; i++) {
        uint32_t pi = keys[i].idx;
        const vigil__ag_pair *p = &a->pairs[pi];
        int64_t src = keys[i].k1, dst = keys[i].k2;
        b->n = b2->n = 0;
        size_t keep = kept_count(p->n);
        int64_t prev = 0;
        vigil__pair_decode(p, pts);
        for (size_t k = 0; k < keep; k++) {
            const vigil__conn_point *pt = &pts[kept_index(k, p->n)];
            int64_t us = us_of(pt->ts);
            b_s(b, us - prev);
            prev = us;
            b_u(b, pt->orig_bytes);
            b_u(b, pt->resp_bytes);
        }
        size_t lo = 0, hi = a->nbig; /* the first big of pair pi */
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if (a->big[mid].pair < pi) lo = mid + 1;
            else hi = mid;
        }
        for (size_t k = lo; k < a->nbig && a->big[k].pair == pi; k++) {
            b_s(b2, us_of(a->big[k].ts));
            b_u(b2, a->big[k].bytes);
        }
        if (b->oom || b2->oom) {
            vs = VIGIL_ENOMEM;
            break;
        }
        sqlite3_bind_int64(st, 1, w->batch);
        sqlite3_bind_int64(st, 2, w->day);
        sqlite3_bind_int64(st, 3, src);
        sqlite3_bind_int64(st, 4, dst);
        sqlite3_bind_int(st, 5, p->dport);
        sqlite3_bind_int(st, 6, p->proto);
        sqlite3_bind_int64(st, 7, p->n);
        sqlite3_bind_double(st, 8, pts[0].ts); /* sorted (put_day) */
        sqlite3_bind_double(st, 9, pts[p->n - 1].ts);
        sqlite3_bind_double(st, 10, p->dur_sum);
        sqlite3_bind_double(st, 11, p->dur_max);
        sqlite3_bind_double(st, 12, p->open_dur);
        sqlite3_bind_int64(st, 13, (int64_t)p->bytes_out);
        sqlite3_bind_int64(st, 14, (int64_t)p->bytes_in);
        sqlite3_bind_int64(st, 15, p->n_rej);
        sqlite3_bind_int64(st, 16, p->n_s0);
        sqlite3_bind_int64(st, 17, p->n_ok);
        sqlite3_bind_int64(st, 18, (int64_t)keep);
        bind_blob(st, 19, b);
        bind_blob(st, 20, b2);
        vs = step_done(w, st);
    }
    if (vs == VIGIL_OK) vs = put_dests(w, keys, nk);
    vigil__free(&w->s->alloc, pts);
    vigil__free(&w->s->alloc, keys);
    sqlite3_finalize(st);
    return vs;
}

static vigil_status put_names(writer *w)
{
    vigil__agg *a = w->a;
    sqlite3_stmt *ad = NULL, *hd = NULL;
    int rc = sqlite3_prepare_v2(w->s->db, "INSERT INTO addr_day VALUES(?1,?2,?3,?4,?5,?6)", -1, &ad, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v2(w->s->db, "INSERT INTO hint_day VALUES(?1,?2,?3,?4,?5,?6,?7)", -1, &hd, NULL);
    vigil_status vs = rc == SQLITE_OK ? VIGIL_OK : vigil__state_sqlerr(w->s, rc, "writing the state");
    for (size_t i = 0; i < a->naddrs && vs == VIGIL_OK; i++) {
        const vigil__ag_addr *e = &a->addrs[i];
        int resolver = (e->flags & VIGIL__ADDR_RESOLVER) != 0;
        if (!resolver && e->dns_name == VIGIL__NO_ID) continue;
        int64_t id, nm;
        vs = addr_id(w, (uint32_t)i, &id);
        if (vs == VIGIL_OK) vs = name_id(w, e->dns_name, &nm);
        if (vs != VIGIL_OK) break;
        sqlite3_bind_int64(ad, 1, w->batch);
        sqlite3_bind_int64(ad, 2, w->day);
        sqlite3_bind_int64(ad, 3, id);
        sqlite3_bind_int(ad, 4, resolver ? VIGIL__ADDR_RESOLVER : 0);
        if (nm) {
            sqlite3_bind_int64(ad, 5, nm);
            sqlite3_bind_double(ad, 6, e->dns_ts);
        } else {
            sqlite3_bind_null(ad, 5);
            sqlite3_bind_null(ad, 6);
        }
        vs = step_done(w, ad);
    }
    keyed *keys = a->nhints ? vigil__malloc(&w->s->alloc, a->nhints * sizeof *keys) : NULL;
    if (a->nhints && !keys) vs = VIGIL_ENOMEM;
    for (size_t i = 0; i < a->nhints && vs == VIGIL_OK; i++) {
        vs = addr_id(w, a->hints[i].src, &keys[i].k1);
        if (vs == VIGIL_OK) vs = addr_id(w, a->hints[i].dst, &keys[i].k2);
        keys[i].k3 = 0;
        keys[i].idx = (uint32_t)i;
    }
    if (vs == VIGIL_OK && a->nhints > 1) qsort(keys, a->nhints, sizeof *keys, cmp_keyed);
    for (size_t i = 0; i < a->nhints && vs == VIGIL_OK; i++) {
        const vigil__ag_hint *h = &a->hints[keys[i].idx];
        int64_t src = keys[i].k1, dst = keys[i].k2, nm;
        vs = name_id(w, h->name, &nm);
        if (vs != VIGIL_OK) break;
        sqlite3_bind_int64(hd, 1, w->batch);
        sqlite3_bind_int64(hd, 2, w->day);
        sqlite3_bind_int64(hd, 3, src);
        sqlite3_bind_int64(hd, 4, dst);
        sqlite3_bind_int64(hd, 5, nm);
        sqlite3_bind_int(hd, 6, (int)h->rank);
        sqlite3_bind_double(hd, 7, h->ts);
        vs = step_done(w, hd);
    }
    vigil__free(&w->s->alloc, keys);
    sqlite3_finalize(ad);
    sqlite3_finalize(hd);
    return vs;
}

static vigil_status put_dns(writer *w, blob *b, blob *b2)
{
    vigil__agg *a = w->a;
    sqlite3_stmt *st = NULL, *nx = NULL;
    int rc = sqlite3_prepare_v2(w->s->db,
                                "INSERT INTO dns_day VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,"
                                "?14,?15,?16)",
                                -1, &st, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v2(w->s->db, "INSERT INTO nx_day VALUES(?1,?2,?3,?4,?5,?6,?7)", -1, &nx, NULL);
    vigil_status vs = rc == SQLITE_OK ? VIGIL_OK : vigil__state_sqlerr(w->s, rc, "writing the state");
    /* The distinct-name set, grouped by entry (a sorted copy: the set's
     * hash index refers to its order). */
    vigil__ag_qname *qs = NULL;
    if (a->nqnames) {
        qs = vigil__malloc(&w->s->alloc, a->nqnames * sizeof *qs);
        if (!qs) vs = VIGIL_ENOMEM;
        else {
            memcpy(qs, a->qnames, a->nqnames * sizeof *qs);
            qsort(qs, a->nqnames, sizeof *qs, cmp_qname);
        }
    }
    /* Where each entry's names start in qs. */
    size_t *qstart = a->ndns ? vigil__malloc(&w->s->alloc, (a->ndns + 1) * sizeof *qstart) : NULL;
    keyed *keys = a->ndns ? vigil__malloc(&w->s->alloc, a->ndns * sizeof *keys) : NULL;
    if (a->ndns && (!qstart || !keys)) vs = VIGIL_ENOMEM;
    if (vs == VIGIL_OK && a->ndns) {
        size_t q = 0;
        for (size_t i = 0; i <= a->ndns; i++) {
            while (q < a->nqnames && qs[q].entry < i) q++;
            qstart[i] = q;
        }
    }
    for (size_t i = 0; i < a->ndns && vs == VIGIL_OK; i++) {
        vs = addr_id(w, a->dns[i].src, &keys[i].k1);
        if (vs == VIGIL_OK) vs = name_id(w, a->dns[i].domain, &keys[i].k2);
        keys[i].k3 = 0;
        keys[i].idx = (uint32_t)i;
    }
    if (vs == VIGIL_OK && a->ndns > 1) qsort(keys, a->ndns, sizeof *keys, cmp_keyed);
    size_t maxts = vigil__agg_dns_max_ts(a);
    double *tv = maxts ? vigil__malloc(&w->s->alloc, maxts * sizeof *tv) : NULL;
    if (vs == VIGIL_OK && maxts && !tv) vs = VIGIL_ENOMEM;
    for (size_t j = 0; j < a->ndns && vs == VIGIL_OK; j++) {
        size_t i = keys[j].idx;
        vigil__ag_dns *e = &a->dns[i];
        int64_t src = keys[j].k1, dom = keys[j].k2;
        b->n = b2->n = 0;
        vigil__dns_decode_ts(e, tv); /* kept compact (agg_impl.h) */
        if (e->nts > 1) qsort(tv, e->nts, sizeof *tv, cmp_double);
        size_t keep = kept_count(e->nts);
        int64_t prev = 0;
        for (size_t k = 0; k < keep; k++) {
            int64_t us = us_of(tv[kept_index(k, e->nts)]);
            b_s(b, us - prev);
            prev = us;
        }
        for (size_t q = qstart[i]; q < qstart[i + 1]; q++) b_64(b2, qs[q].h);
        uint64_t inl[VIGIL__DNS_INLINE];
        size_t ninl = vigil__agg_qnames_of(a, (uint32_t)i, inl);
        if (ninl > 1) qsort(inl, ninl, sizeof *inl, cmp_u64);
        for (size_t q = 0; q < ninl; q++) b_64(b2, inl[q]);
        if (b->oom || b2->oom) {
            vs = VIGIL_ENOMEM;
            break;
        }
        sqlite3_bind_int64(st, 1, w->batch);
        sqlite3_bind_int64(st, 2, w->day);
        sqlite3_bind_int64(st, 3, src);
        sqlite3_bind_int64(st, 4, dom);
        sqlite3_bind_int64(st, 5, (int64_t)e->queries);
        sqlite3_bind_int64(st, 6, (int64_t)e->txt);
        sqlite3_bind_int64(st, 7, (int64_t)e->nx);
        sqlite3_bind_int64(st, 8, (int64_t)e->nsub);
        sqlite3_bind_double(st, 9, e->sum_len);
        sqlite3_bind_double(st, 10, e->sum_ent);
        sqlite3_bind_int64(st, 11, e->max_label);
        sqlite3_bind_double(st, 12, e->first_ts);
        sqlite3_bind_double(st, 13, e->last_ts);
        sqlite3_bind_int64(st, 14, (int64_t)keep);
        bind_blob(st, 15, b);
        bind_blob(st, 16, b2);
        vs = step_done(w, st);
    }
    for (size_t i = 0; i < a->nnx && vs == VIGIL_OK; i++) {
        vigil__ag_nx *x = &a->nx[i];
        if (x->n == 0) continue;
        int64_t src, ex;
        vs = addr_id(w, x->src, &src);
        if (vs == VIGIL_OK) vs = name_id(w, x->example, &ex);
        if (vs != VIGIL_OK) break;
        qsort(x->ev, x->n, sizeof *x->ev, cmp_nxev);
        b->n = 0;
        size_t keep = kept_count(x->n);
        int64_t prev = 0;
        for (size_t k = 0; k < keep && vs == VIGIL_OK; k++) {
            const vigil__ag_nxev *ev = &x->ev[kept_index(k, x->n)];
            int64_t us = us_of(ev->ts), dom;
            vs = name_id(w, ev->domain, &dom);
            b_s(b, us - prev);
            prev = us;
            b_64(b, ev->h);
            b_u(b, (uint64_t)dom);
        }
        if (vs != VIGIL_OK) break;
        if (b->oom) {
            vs = VIGIL_ENOMEM;
            break;
        }
        sqlite3_bind_int64(nx, 1, w->batch);
        sqlite3_bind_int64(nx, 2, w->day);
        sqlite3_bind_int64(nx, 3, src);
        if (ex) sqlite3_bind_int64(nx, 4, ex);
        else sqlite3_bind_null(nx, 4);
        sqlite3_bind_double(nx, 5, x->example_ts);
        sqlite3_bind_int64(nx, 6, (int64_t)keep);
        bind_blob(nx, 7, b);
        vs = step_done(w, nx);
    }
    vigil__free(&w->s->alloc, tv);
    vigil__free(&w->s->alloc, qs);
    vigil__free(&w->s->alloc, qstart);
    vigil__free(&w->s->alloc, keys);
    sqlite3_finalize(st);
    sqlite3_finalize(nx);
    return vs;
}

static vigil_status put_answers(writer *w)
{
    vigil__agg *a = w->a;
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(w->s->db, "INSERT INTO answer_day VALUES(?1,?2,?3,?4,?5,?6,?7,?8)", -1, &st, NULL);
    vigil_status vs = rc == SQLITE_OK ? VIGIL_OK : vigil__state_sqlerr(w->s, rc, "writing the state");
    keyed *keys = a->nanswers ? vigil__malloc(&w->s->alloc, a->nanswers * sizeof *keys) : NULL;
    if (a->nanswers && !keys) vs = VIGIL_ENOMEM;
    for (size_t i = 0; i < a->nanswers && vs == VIGIL_OK; i++) {
        int64_t host = 0;
        vs = addr_id(w, a->answers[i].addr, &keys[i].k1);
        if (vs == VIGIL_OK) vs = name_id(w, a->answers[i].name, &keys[i].k2);
        if (vs == VIGIL_OK) vs = addr_id(w, a->answers[i].host, &host);
        keys[i].k3 = (uint32_t)host;
        keys[i].idx = (uint32_t)i;
    }
    if (vs == VIGIL_OK && a->nanswers > 1) qsort(keys, a->nanswers, sizeof *keys, cmp_keyed);
    for (size_t i = 0; i < a->nanswers && vs == VIGIL_OK; i++) {
        const vigil__ag_answer *x = &a->answers[keys[i].idx];
        sqlite3_bind_int64(st, 1, w->batch);
        sqlite3_bind_int64(st, 2, w->day);
        sqlite3_bind_int64(st, 3, keys[i].k1);
        sqlite3_bind_int64(st, 4, keys[i].k2);
        sqlite3_bind_int64(st, 5, keys[i].k3);
        sqlite3_bind_int64(st, 6, x->n);
        sqlite3_bind_double(st, 7, x->first_ts);
        sqlite3_bind_double(st, 8, x->last_ts);
        vs = step_done(w, st);
    }
    vigil__free(&w->s->alloc, keys);
    sqlite3_finalize(st);
    return vs;
}

vigil_status vigil__state_put_day(vigil_state *s, int64_t batch, int64_t day, vigil__agg *a)
{
    vigil_status vs = vigil__agg_flush(a);
    if (vs != VIGIL_OK) return vs;
    writer w = { .s = s, .a = a, .batch = batch, .day = day };
    w.aid = a->naddrs ? vigil__calloc(&s->alloc, a->naddrs, sizeof *w.aid) : NULL;
    w.nid = a->names.n ? vigil__calloc(&s->alloc, a->names.n, sizeof *w.nid) : NULL;
    blob b = { .al = &s->alloc }, b2 = { .al = &s->alloc };
    if ((a->naddrs && !w.aid) || (a->names.n && !w.nid)) {
        vs = VIGIL_ENOMEM;
        goto out;
    }
    int rc = sqlite3_prepare_v2(s->db, "INSERT INTO addr(a) VALUES(?1)", -1, &w.addr_ins, NULL);
    if (rc == SQLITE_OK) rc = sqlite3_prepare_v2(s->db, "SELECT id FROM addr WHERE a = ?1", -1, &w.addr_get, NULL);
    if (rc == SQLITE_OK) rc = sqlite3_prepare_v2(s->db, "INSERT INTO name(s) VALUES(?1)", -1, &w.name_ins, NULL);
    if (rc == SQLITE_OK) rc = sqlite3_prepare_v2(s->db, "SELECT id FROM name WHERE s = ?1", -1, &w.name_get, NULL);
    if (rc != SQLITE_OK) {
        vs = vigil__state_sqlerr(s, rc, "writing the state");
        goto out;
    }
    vs = vigil__agg_sort(a);
    if (vs == VIGIL_OK) vs = put_pairs(&w, &b, &b2);
    if (vs == VIGIL_OK) vs = put_names(&w);
    if (vs == VIGIL_OK) vs = put_dns(&w, &b, &b2);
    if (vs == VIGIL_OK) vs = put_answers(&w);
    if (vs == VIGIL_OK) {
        sqlite3_stmt *st = NULL;
        rc = sqlite3_prepare_v2(s->db, "INSERT INTO day_counts VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10)", -1,
                                &st, NULL);
        if (rc == SQLITE_OK) {
            sqlite3_bind_int64(st, 1, batch);
            sqlite3_bind_int64(st, 2, day);
            sqlite3_bind_int64(st, 3, (int64_t)a->conns);
            sqlite3_bind_int64(st, 4, (int64_t)a->kept);
            sqlite3_bind_int64(st, 5, (int64_t)a->inbound);
            sqlite3_bind_int64(st, 6, (int64_t)a->internal_only);
            sqlite3_bind_int64(st, 7, (int64_t)a->external_only);
            sqlite3_bind_int64(st, 8, (int64_t)a->noise);
            if (a->any_ts) {
                sqlite3_bind_double(st, 9, a->in_first);
                sqlite3_bind_double(st, 10, a->in_last);
            }
            rc = sqlite3_step(st);
        }
        sqlite3_finalize(st);
        if (rc != SQLITE_DONE) vs = vigil__state_sqlerr(s, rc, "writing the state");
    }
out:
    sqlite3_finalize(w.addr_ins);
    sqlite3_finalize(w.addr_get);
    sqlite3_finalize(w.name_ins);
    sqlite3_finalize(w.name_get);
    vigil__free(&s->alloc, w.aid);
    vigil__free(&s->alloc, w.nid);
    vigil__free(&s->alloc, b.p);
    vigil__free(&s->alloc, b2.p);
    return vs;
}

/* ---- restore ------------------------------------------------------------------- */

/* The state's addresses and names, loaded once; per-day maps to the day
 * aggregate's ids (stamped with the day's generation, so no clearing). */
typedef struct reader {
    vigil_state *s;
    vigil__agg *day;           /* the aggregate being filled */
    vigil_addr *addr;          /* state id -> address */
    size_t naddr;
    char **name;               /* state id -> name (one allocation each) */
    size_t nname;
    uint32_t *amap, *agen;     /* state addr id -> day id, its generation */
    uint32_t *nmap, *ngen;
    uint32_t gen;
} reader;

static vigil_status load_ids(reader *r)
{
    vigil_state *s = r->s;
    int64_t maxa = 0, maxn = 0;
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(s->db, "SELECT (SELECT max(id) FROM addr), (SELECT max(id) FROM name)", -1, &st,
                                NULL);
    if (rc == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW) {
        maxa = sqlite3_column_int64(st, 0);
        maxn = sqlite3_column_int64(st, 1);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_OK) return vigil__state_sqlerr(s, rc, "reading the state");
    r->naddr = (size_t)maxa + 1;
    r->nname = (size_t)maxn + 1;
    r->addr = vigil__calloc(&s->alloc, r->naddr, sizeof *r->addr);
    r->amap = vigil__calloc(&s->alloc, r->naddr, sizeof *r->amap);
    r->agen = vigil__calloc(&s->alloc, r->naddr, sizeof *r->agen);
    r->name = vigil__calloc(&s->alloc, r->nname, sizeof *r->name);
    r->nmap = vigil__calloc(&s->alloc, r->nname, sizeof *r->nmap);
    r->ngen = vigil__calloc(&s->alloc, r->nname, sizeof *r->ngen);
    if (!r->addr || !r->amap || !r->agen || !r->name || !r->nmap || !r->ngen) return VIGIL_ENOMEM;
    rc = sqlite3_prepare_v2(s->db, "SELECT id, a FROM addr", -1, &st, NULL);
    if (rc != SQLITE_OK) return vigil__state_sqlerr(s, rc, "reading the state");
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t id = sqlite3_column_int64(st, 0);
        if (id > 0 && (size_t)id < r->naddr && sqlite3_column_bytes(st, 1) == 16)
            memcpy(r->addr[id].b, sqlite3_column_blob(st, 1), 16);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) return vigil__state_sqlerr(s, rc, "reading the state");
    rc = sqlite3_prepare_v2(s->db, "SELECT id, s FROM name", -1, &st, NULL);
    if (rc != SQLITE_OK) return vigil__state_sqlerr(s, rc, "reading the state");
    vigil_status vs = VIGIL_OK;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t id = sqlite3_column_int64(st, 0);
        const char *t = (const char *)sqlite3_column_text(st, 1);
        if (id <= 0 || (size_t)id >= r->nname || !t) continue;
        size_t len = (size_t)sqlite3_column_bytes(st, 1);
        r->name[id] = vigil__malloc(&s->alloc, len + 1);
        if (!r->name[id]) {
            vs = VIGIL_ENOMEM;
            break;
        }
        memcpy(r->name[id], t, len + 1);
    }
    sqlite3_finalize(st);
    if (vs == VIGIL_OK && rc != SQLITE_DONE) vs = vigil__state_sqlerr(s, rc, "reading the state");
    return vs;
}

static void free_ids(reader *r)
{
    const vigil_allocator *al = &r->s->alloc;
    if (r->name)
        for (size_t i = 0; i < r->nname; i++) vigil__free(al, r->name[i]);
    vigil__free(al, r->name);
    vigil__free(al, r->addr);
    vigil__free(al, r->amap);
    vigil__free(al, r->agen);
    vigil__free(al, r->nmap);
    vigil__free(al, r->ngen);
}

/* The day aggregate's id of state address / name `id`; VIGIL_ESTATE for
 * an id the tables do not have. */
static vigil_status day_addr(reader *r, int64_t id, uint32_t *out)
{
    if (id <= 0 || (size_t)id >= r->naddr)
        return vigil__state_fail(r->s, VIGIL_ESTATE, "the state database is damaged (address %lld)",
                                 (long long)id);
    if (r->agen[id] == r->gen) {
        *out = r->amap[id];
        return VIGIL_OK;
    }
    vigil_status vs = vigil__agg_addr_id(r->day, &r->addr[id], out);
    if (vs == VIGIL_OK) {
        r->amap[id] = *out;
        r->agen[id] = r->gen;
    }
    return vs;
}

static vigil_status day_name(reader *r, int64_t id, uint32_t *out)
{
    if (id <= 0 || (size_t)id >= r->nname || !r->name[id])
        return vigil__state_fail(r->s, VIGIL_ESTATE, "the state database is damaged (name %lld)",
                                 (long long)id);
    if (r->ngen[id] == r->gen) {
        *out = r->nmap[id];
        return VIGIL_OK;
    }
    vigil_status vs = vigil__str_intern(&r->day->alloc, &r->day->names, r->name[id], strlen(r->name[id]), out);
    if (vs == VIGIL_OK) {
        r->nmap[id] = *out;
        r->ngen[id] = r->gen;
    }
    return vs;
}

static cursor blob_cursor(sqlite3_stmt *st, int col)
{
    cursor c;
    c.p = sqlite3_column_blob(st, col);
    c.end = c.p ? c.p + sqlite3_column_bytes(st, col) : c.p;
    c.bad = 0;
    return c;
}

static vigil_status damaged(reader *r, const char *what)
{
    return vigil__state_fail(r->s, VIGIL_ESTATE, "the state database is damaged (a %s row)", what);
}

/* One table read in (batch, day) order alongside the others. */
typedef struct table_cursor {
    sqlite3_stmt *st;
    int rc;                    /* last step: SQLITE_ROW while rows remain */
} table_cursor;

static int at(const table_cursor *t, int64_t batch, int64_t day)
{
    return t->rc == SQLITE_ROW && sqlite3_column_int64(t->st, 0) == batch &&
           sqlite3_column_int64(t->st, 1) == day;
}

static vigil_status step(reader *r, table_cursor *t)
{
    t->rc = sqlite3_step(t->st);
    if (t->rc != SQLITE_ROW && t->rc != SQLITE_DONE) return vigil__state_sqlerr(r->s, t->rc, "reading the state");
    return VIGIL_OK;
}

static vigil_status read_pair(reader *r, sqlite3_stmt *st)
{
    vigil__agg *a = r->day;
    uint32_t src, dst, pi;
    vigil_status vs = day_addr(r, sqlite3_column_int64(st, 2), &src);
    if (vs == VIGIL_OK) vs = day_addr(r, sqlite3_column_int64(st, 3), &dst);
    if (vs == VIGIL_OK)
        vs = vigil__agg_pair_get(a, src, dst, (uint16_t)sqlite3_column_int(st, 4),
                                 (uint8_t)sqlite3_column_int(st, 5), &pi);
    int64_t npts = sqlite3_column_int64(st, 17);
    if (vs == VIGIL_OK && (npts < 0 || npts > ROW_CAP)) return damaged(r, "pair_day");
    if (vs != VIGIL_OK) return vs;
    cursor c = blob_cursor(st, 18);
    int64_t us = 0;
    for (int64_t k = 0; k < npts && vs == VIGIL_OK && !c.bad; k++) {
        us = (int64_t)((uint64_t)us + (uint64_t)c_s(&c)); /* wraps, never UB, on junk */
        vigil__conn_point pt;
        pt.ts = ts_of(us);
        uint64_t ob = c_u(&c), rb = c_u(&c);
        pt.orig_bytes = ob > UINT32_MAX ? UINT32_MAX : (uint32_t)ob;
        pt.resp_bytes = rb > UINT32_MAX ? UINT32_MAX : (uint32_t)rb;
        vs = vigil__agg_pair_push(a, pi, &pt); /* marks the pair unsorted as needed */
    }
    if (vs != VIGIL_OK) return vs;
    if (c.bad || c.p != c.end) return damaged(r, "pair_day");
    vigil__ag_pair *p = &a->pairs[pi];
    /* Columns 7 and 8 (first / last seen) are its points' first and last
     * (a sampled row keeps both): the pair takes them from its points. */
    p->dur_sum += sqlite3_column_double(st, 9);
    double dm = sqlite3_column_double(st, 10);
    if (dm > p->dur_max) p->dur_max = dm;
    p->open_dur += sqlite3_column_double(st, 11);
    p->bytes_out += (uint64_t)sqlite3_column_int64(st, 12);
    p->bytes_in += (uint64_t)sqlite3_column_int64(st, 13);
    p->n_rej += (uint32_t)sqlite3_column_int64(st, 14);
    p->n_s0 += (uint32_t)sqlite3_column_int64(st, 15);
    p->n_ok += (uint32_t)sqlite3_column_int64(st, 16);
    c = blob_cursor(st, 19);
    while (c.p && c.p < c.end && !c.bad && vs == VIGIL_OK) {
        double ts = ts_of(c_s(&c));
        uint64_t bytes = c_u(&c);
        if (!c.bad) vs = vigil__agg_big_add(a, pi, ts, bytes);
    }
    if (vs == VIGIL_OK && c.bad) return damaged(r, "pair_day");
    return vs;
}

static vigil_status read_addr(reader *r, sqlite3_stmt *st)
{
    uint32_t id, nm;
    vigil_status vs = day_addr(r, sqlite3_column_int64(st, 2), &id);
    if (vs != VIGIL_OK) return vs;
    vigil__ag_addr *e = &r->day->addrs[id];
    if (sqlite3_column_int(st, 3) & VIGIL__ADDR_RESOLVER) e->flags |= VIGIL__ADDR_RESOLVER;
    if (sqlite3_column_type(st, 4) != SQLITE_NULL) {
        vs = day_name(r, sqlite3_column_int64(st, 4), &nm);
        if (vs != VIGIL_OK) return vs;
        e = &r->day->addrs[id];
        e->dns_name = nm;
        e->dns_ts = sqlite3_column_double(st, 5);
    }
    return VIGIL_OK;
}

static vigil_status read_hint(reader *r, sqlite3_stmt *st)
{
    uint32_t src, dst, nm;
    vigil_status vs = day_addr(r, sqlite3_column_int64(st, 2), &src);
    if (vs == VIGIL_OK) vs = day_addr(r, sqlite3_column_int64(st, 3), &dst);
    if (vs == VIGIL_OK) vs = day_name(r, sqlite3_column_int64(st, 4), &nm);
    if (vs == VIGIL_OK)
        vs = vigil__agg_hint_put(r->day, src, dst, nm, (uint32_t)sqlite3_column_int(st, 5),
                                 sqlite3_column_double(st, 6));
    return vs;
}

static vigil_status read_dns(reader *r, sqlite3_stmt *st)
{
    vigil__agg *a = r->day;
    uint32_t src, dom, ei;
    vigil_status vs = day_addr(r, sqlite3_column_int64(st, 2), &src);
    if (vs == VIGIL_OK) vs = day_name(r, sqlite3_column_int64(st, 3), &dom);
    if (vs == VIGIL_OK) vs = vigil__agg_dns_get(a, src, dom, &ei);
    if (vs != VIGIL_OK) return vs;
    int64_t nts = sqlite3_column_int64(st, 13);
    if (nts < 0 || nts > ROW_CAP) return damaged(r, "dns_day");
    cursor c = blob_cursor(st, 14);
    int64_t us = 0;
    for (int64_t k = 0; k < nts && vs == VIGIL_OK && !c.bad; k++) {
        us = (int64_t)((uint64_t)us + (uint64_t)c_s(&c)); /* wraps, never UB, on junk */
        vs = vigil__agg_dns_push_ts(a, ei, ts_of(us));
    }
    if (vs != VIGIL_OK) return vs;
    if (c.bad || c.p != c.end) return damaged(r, "dns_day");
    vigil__ag_dns *e = &a->dns[ei];
    uint64_t q = (uint64_t)sqlite3_column_int64(st, 4);
    double f = sqlite3_column_double(st, 11), l = sqlite3_column_double(st, 12);
    if (q) {
        if (e->queries == 0 || f < e->first_ts) e->first_ts = f;
        if (e->queries == 0 || l > e->last_ts) e->last_ts = l;
    }
    e->queries += q;
    e->txt += (uint64_t)sqlite3_column_int64(st, 5);
    e->nx += (uint64_t)sqlite3_column_int64(st, 6);
    e->nsub += (uint64_t)sqlite3_column_int64(st, 7);
    e->sum_len += sqlite3_column_double(st, 8);
    e->sum_ent += sqlite3_column_double(st, 9);
    uint32_t ml = (uint32_t)sqlite3_column_int64(st, 10);
    if (ml > e->max_label) e->max_label = ml;
    c = blob_cursor(st, 15);
    if ((c.end - c.p) % 8) return damaged(r, "dns_day");
    while (c.p && c.p < c.end && vs == VIGIL_OK) vs = vigil__agg_qname_add(a, ei, c_64(&c));
    return vs;
}

static vigil_status read_nx(reader *r, sqlite3_stmt *st)
{
    vigil__agg *a = r->day;
    uint32_t src, xi;
    vigil_status vs = day_addr(r, sqlite3_column_int64(st, 2), &src);
    if (vs == VIGIL_OK) vs = vigil__agg_nx_get(a, src, &xi);
    if (vs != VIGIL_OK) return vs;
    if (sqlite3_column_type(st, 3) != SQLITE_NULL) {
        uint32_t ex;
        vs = day_name(r, sqlite3_column_int64(st, 3), &ex);
        if (vs != VIGIL_OK) return vs;
        double ets = sqlite3_column_double(st, 4);
        vigil__ag_nx *x = &a->nx[xi];
        if (x->example == VIGIL__NO_ID || ets < x->example_ts ||
            (ets == x->example_ts && strcmp(a->names.s[ex], a->names.s[x->example]) < 0)) {
            x->example = ex;
            x->example_ts = ets;
        }
    }
    int64_t nev = sqlite3_column_int64(st, 5);
    if (nev < 0 || nev > ROW_CAP) return damaged(r, "nx_day");
    vigil__ag_nx *x = &a->nx[xi];
    vs = vigil__grow(&a->alloc, (void **)&x->ev, &x->cap, x->n + (size_t)nev, sizeof *x->ev);
    if (vs != VIGIL_OK) return vs;
    cursor c = blob_cursor(st, 6);
    int64_t us = 0;
    for (int64_t k = 0; k < nev && vs == VIGIL_OK; k++) {
        us = (int64_t)((uint64_t)us + (uint64_t)c_s(&c)); /* wraps, never UB, on junk */
        uint64_t h = c_64(&c);
        int64_t dom = (int64_t)c_u(&c);
        if (c.bad) break;
        uint32_t d;
        vs = day_name(r, dom, &d);
        x = &a->nx[xi];
        if (vs == VIGIL_OK) x->ev[x->n++] = (vigil__ag_nxev){ ts_of(us), h, d };
    }
    if (vs == VIGIL_OK && (c.bad || c.p != c.end)) return damaged(r, "nx_day");
    return vs;
}

typedef vigil_status (*row_fn)(reader *r, sqlite3_stmt *st);

vigil_status vigil__state_restore(vigil_state *s, vigil__agg *total)
{
    static const char *const sql[] = {
        "SELECT * FROM day_counts ORDER BY batch, day",
        "SELECT * FROM addr_day ORDER BY batch, day",
        "SELECT * FROM pair_day ORDER BY batch, day",
        "SELECT * FROM hint_day ORDER BY batch, day",
        "SELECT * FROM dns_day ORDER BY batch, day",
        "SELECT * FROM nx_day ORDER BY batch, day",
    };
    static const row_fn fn[] = { NULL, read_addr, read_pair, read_hint, read_dns, read_nx };
    enum { NT = sizeof sql / sizeof *sql };
    reader r = { .s = s };
    table_cursor t[NT];
    memset(t, 0, sizeof t);
    vigil_status vs = load_ids(&r);
    for (int i = 0; i < NT && vs == VIGIL_OK; i++) {
        int rc = sqlite3_prepare_v2(s->db, sql[i], -1, &t[i].st, NULL);
        if (rc != SQLITE_OK) vs = vigil__state_sqlerr(s, rc, "reading the state");
        else vs = step(&r, &t[i]);
    }
    if (vs == VIGIL_OK) vs = vigil__agg_new(&r.day, total->internal, &total->alloc);
    /* day_counts has one row per (batch, day) that any table has. */
    while (vs == VIGIL_OK && t[0].rc == SQLITE_ROW) {
        int64_t batch = sqlite3_column_int64(t[0].st, 0), day = sqlite3_column_int64(t[0].st, 1);
        r.gen++;
        vigil__agg *a = r.day;
        a->conns = (uint64_t)sqlite3_column_int64(t[0].st, 2);
        a->kept = (uint64_t)sqlite3_column_int64(t[0].st, 3);
        a->inbound = (uint64_t)sqlite3_column_int64(t[0].st, 4);
        a->internal_only = (uint64_t)sqlite3_column_int64(t[0].st, 5);
        a->external_only = (uint64_t)sqlite3_column_int64(t[0].st, 6);
        a->noise = (uint64_t)sqlite3_column_int64(t[0].st, 7);
        if (sqlite3_column_type(t[0].st, 8) != SQLITE_NULL) {
            vigil__agg_note_ts(a, sqlite3_column_double(t[0].st, 8));
            vigil__agg_note_ts(a, sqlite3_column_double(t[0].st, 9));
        }
        for (int i = 1; i < NT && vs == VIGIL_OK; i++) {
            /* Rows of a (batch, day) day_counts lacks would be orphans. */
            while (vs == VIGIL_OK && t[i].rc == SQLITE_ROW &&
                   (sqlite3_column_int64(t[i].st, 0) < batch ||
                    (sqlite3_column_int64(t[i].st, 0) == batch && sqlite3_column_int64(t[i].st, 1) < day)))
                vs = step(&r, &t[i]);
            while (vs == VIGIL_OK && at(&t[i], batch, day)) {
                vs = fn[i](&r, t[i].st);
                if (vs == VIGIL_OK) vs = step(&r, &t[i]);
            }
        }
        if (vs == VIGIL_OK) vs = vigil__agg_merge(total, r.day);
        if (vs == VIGIL_OK) vs = step(&r, &t[0]);
    }
    for (int i = 0; i < NT; i++) sqlite3_finalize(t[i].st);
    vigil__agg_free(r.day);
    free_ids(&r);
    return vs;
}
