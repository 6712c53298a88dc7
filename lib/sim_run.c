/* sim_run.c -- the simulator's driver: hour buffers, hours on threads, uids.
 *
 * Input: vigil_sim_opts (include/vigil/simulate.h).  Output: a world on disk
 * (Zeek logs through sim_writer.c, assets/people CSV through sim_world.c,
 * truth.json through sim_intrusion.c, manifest.json here) and a report.
 * Hours are independent (sim.h, "Determinism"), so worker threads take
 * single hours from a shared counter (day-major, so a thread's files stay
 * near each other on disk) -- a one-day world keeps every core busy too.
 * Each hour is generated into the thread's reused buffer, sorted by end
 * time, given uids and written by that same thread, so memory is one hour
 * per thread whatever the size of the world, and the bytes of every file
 * are a function of the seed alone, not of the thread count. */
#include <assert.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <vigil/simulate.h>
#include "sim.h"

/* ---- the hour buffer ------------------------------------------------------ */

#define CHUNK_MIN 65536 /* smallest string-arena chunk */

struct vigil__sim_hour {
    const vigil__sim_world *w;   /* the world (borrowed) */
    vigil_allocator alloc;       /* owns everything below */
    unsigned day, hour;          /* which hour this is */
    double t0;                   /* its start, epoch seconds */
    vigil__sim_conn *conns;      /* emitted connections, emission order */
    size_t n, cap;               /* used / allocated entries of conns */
    char **chunks;               /* string arena: chunks kept across resets */
    size_t *chunk_cap;           /* capacity of each chunk */
    size_t nchunks, chunks_cap;  /* chunks allocated / slots in the arrays */
    size_t cur, used;            /* chunk being filled, bytes used in it */
};

vigil_status vigil__sim_hour_new(vigil__sim_hour **out, const vigil__sim_world *w,
                                 unsigned day, unsigned hour)
{
    *out = NULL;
    vigil__sim_hour *h = vigil__calloc(&w->alloc, 1, sizeof *h);
    if (!h) return VIGIL_ENOMEM;
    h->w = w;
    h->alloc = w->alloc;
    vigil__sim_hour_reset(h, day, hour);
    *out = h;
    return VIGIL_OK;
}

void vigil__sim_hour_free(vigil__sim_hour *h)
{
    if (!h) return;
    for (size_t i = 0; i < h->nchunks; i++) vigil__free(&h->alloc, h->chunks[i]);
    vigil__free(&h->alloc, h->chunks);
    vigil__free(&h->alloc, h->chunk_cap);
    vigil__free(&h->alloc, h->conns);
    vigil__free(&h->alloc, h);
}

const vigil__sim_conn *vigil__sim_hour_conns(const vigil__sim_hour *h, size_t *n)
{
    *n = h->n;
    return h->conns;
}

void vigil__sim_hour_reset(vigil__sim_hour *h, unsigned day, unsigned hour)
{
    h->day = day;
    h->hour = hour;
    h->t0 = (double)(h->w->start + (int64_t)day * 86400 + (int64_t)hour * 3600);
    h->n = 0;
    h->cur = 0;
    h->used = 0;
}

double vigil__sim_hour_t0(const vigil__sim_hour *h) { return h->t0; }
unsigned vigil__sim_hour_day(const vigil__sim_hour *h) { return h->day; }
unsigned vigil__sim_hour_index(const vigil__sim_hour *h) { return h->hour; }

vigil_status vigil__sim_emit(vigil__sim_hour *h, const vigil__sim_conn *c)
{
    assert(c->duration >= 0 && c->ts + c->duration >= h->t0 &&
           c->ts + c->duration < h->t0 + 3600.0);
    if (h->n == h->cap) {
        size_t nc = h->cap ? h->cap * 2 : 1024;
        vigil__sim_conn *p = vigil__realloc(&h->alloc, h->conns, nc * sizeof *p);
        if (!p) return VIGIL_ENOMEM;
        h->conns = p;
        h->cap = nc;
    }
    h->conns[h->n++] = *c;
    return VIGIL_OK;
}

const char *vigil__sim_hour_strdup(vigil__sim_hour *h, const char *s)
{
    size_t len = strlen(s) + 1;
    while (h->cur < h->nchunks && h->chunk_cap[h->cur] - h->used < len) {
        h->cur++;
        h->used = 0;
    }
    if (h->cur == h->nchunks) {
        if (h->nchunks == h->chunks_cap) {
            size_t nc = h->chunks_cap ? h->chunks_cap * 2 : 8;
            char **ch = vigil__realloc(&h->alloc, h->chunks, nc * sizeof *ch);
            if (!ch) return NULL;
            h->chunks = ch;
            size_t *cc = vigil__realloc(&h->alloc, h->chunk_cap, nc * sizeof *cc);
            if (!cc) return NULL;
            h->chunk_cap = cc;
            h->chunks_cap = nc;
        }
        size_t cap = len > CHUNK_MIN ? len : CHUNK_MIN;
        char *chunk = vigil__malloc(&h->alloc, cap);
        if (!chunk) return NULL;
        h->chunks[h->nchunks] = chunk;
        h->chunk_cap[h->nchunks] = cap;
        h->nchunks++;
        h->used = 0;
    }
    char *d = h->chunks[h->cur] + h->used;
    memcpy(d, s, len);
    h->used += len;
    return d;
}

/* ---- helpers for generators ------------------------------------------------ */

/* Data segments for `bytes` of payload (MSS 1448 with TCP timestamps). */
static uint32_t segments(uint64_t bytes)
{
    return (uint32_t)((bytes + 1447) / 1448);
}

static const char *service_for(const vigil__sim_conn *c)
{
    if (c->service) return c->service;
    switch (c->app) {
    case VIGIL__SIM_APP_DNS: return "dns";
    case VIGIL__SIM_APP_SSL: return "ssl";
    case VIGIL__SIM_APP_HTTP: return "http";
    default: return NULL;
    }
}

void vigil__sim_tcp_ok(vigil__sim_conn *c, uint64_t orig_bytes, uint64_t resp_bytes)
{
    c->proto = VIGIL_PROTO_TCP;
    c->conn_state = VIGIL_CS_SF;
    c->orig_bytes = orig_bytes;
    c->resp_bytes = resp_bytes;
    uint32_t so = segments(orig_bytes), sr = segments(resp_bytes);
    /* SYN, ACK, data, an ACK per two segments received, FIN (and the
     * responder's mirror image). */
    c->orig_pkts = 3 + so + sr / 2;
    c->resp_pkts = 2 + sr + so / 2;
    c->history = orig_bytes && resp_bytes ? "ShADadFf"
               : orig_bytes ? "ShADaFf" : resp_bytes ? "ShAdFf" : "ShAFf";
    c->service = service_for(c);
}

void vigil__sim_tcp_rej(vigil__sim_conn *c)
{
    c->proto = VIGIL_PROTO_TCP;
    c->conn_state = VIGIL_CS_REJ;
    c->orig_bytes = c->resp_bytes = 0;
    c->orig_pkts = 1;
    c->resp_pkts = 1;
    c->history = "Sr";
    c->service = NULL;
}

void vigil__sim_tcp_s0(vigil__sim_conn *c)
{
    c->proto = VIGIL_PROTO_TCP;
    c->conn_state = VIGIL_CS_S0;
    c->orig_bytes = c->resp_bytes = 0;
    c->orig_pkts = c->duration > 0 ? 2 + (c->duration > 3) : 1; /* SYN retries */
    c->resp_pkts = 0;
    c->history = "S";
    c->service = NULL;
}

void vigil__sim_udp(vigil__sim_conn *c, uint64_t orig_bytes, uint64_t resp_bytes)
{
    c->proto = VIGIL_PROTO_UDP;
    c->orig_bytes = orig_bytes;
    c->resp_bytes = resp_bytes;
    c->orig_pkts = orig_bytes ? (uint32_t)((orig_bytes + 1471) / 1472) : 1;
    c->resp_pkts = resp_bytes ? (uint32_t)((resp_bytes + 1471) / 1472) : 0;
    if (resp_bytes) {
        c->conn_state = VIGIL_CS_SF;
        c->history = "Dd";
    } else {
        c->conn_state = VIGIL_CS_S0;
        c->history = "D";
    }
    c->service = service_for(c);
}

/* ---- the driver -------------------------------------------------------------- */

/* What every worker shares. */
typedef struct job {
    const vigil__sim_world *w;   /* the world (immutable) */
    vigil__sim_out out;          /* output options */
    size_t ntruth;               /* planted truth events */
    pthread_mutex_t mu;          /* guards the fields below */
    unsigned next_unit;          /* next hour (day * 24 + hour) nobody took */
    unsigned units;              /* hours in the world (days * 24) */
    uint8_t *hours_done;         /* per day: hours finished (0..24) */
    unsigned days_done;          /* days whose 24 hours are finished */
    vigil_status err;            /* first failure, stops everyone */
    vigil_sim_progress_fn progress; /* optional, called under mu */
    void *progress_user;
} job;

/* One worker thread's reusable state: memory is one hour, whatever the
 * world's size. */
typedef struct worker {
    job *j;                      /* shared job */
    pthread_t th;                /* the thread */
    int started;                 /* th is running (must be joined) */
    vigil__sim_hour *hour;       /* the hour buffer */
    vigil__sim_writer *wr;       /* its writer */
    uint64_t *keys, *tmp;        /* sort keys and radix scratch */
    vigil__sim_row *rows;        /* connections in write order */
    vigil__sim_conn *sorted;     /* the hour's connections copied in write
                                    order: the writer then reads them
                                    sequentially (reading them through the
                                    sort permutation cost a cache miss per
                                    record and per log, measured ~8% of the
                                    run) */
    size_t cap;                  /* entries of keys/tmp/rows/sorted */
    uint64_t *truth;             /* conn records per truth id (ntruth) */
    vigil__sim_counts counts;    /* records and bytes written */
    vigil_status rc;             /* this worker's own result */
} worker;

static vigil_status grow_rows(worker *wk, size_t n)
{
    if (n <= wk->cap) return VIGIL_OK;
    const vigil_allocator *a = &wk->j->w->alloc;
    size_t nc = wk->cap ? wk->cap : 4096;
    while (nc < n) nc *= 2;
    uint64_t *k = vigil__realloc(a, wk->keys, nc * sizeof *k);
    if (!k) return VIGIL_ENOMEM;
    wk->keys = k;
    uint64_t *t = vigil__realloc(a, wk->tmp, nc * sizeof *t);
    if (!t) return VIGIL_ENOMEM;
    wk->tmp = t;
    vigil__sim_row *r = vigil__realloc(a, wk->rows, nc * sizeof *r);
    if (!r) return VIGIL_ENOMEM;
    wk->rows = r;
    vigil__sim_conn *c = vigil__realloc(a, wk->sorted, nc * sizeof *c);
    if (!c) return VIGIL_ENOMEM;
    wk->sorted = c;
    wk->cap = nc;
    return VIGIL_OK;
}

/* Sorts keys (end offset in the high 32 bits, emission index in the low
 * 32) by LSD radix sort on the four high bytes only: keys start in
 * emission order and each pass is stable, so ties on end time stay in
 * emission order -- a total order that is itself a pure function of the
 * seed.  Linear time: qsort's comparisons cost more than generating. */
static void sort_keys(uint64_t *keys, uint64_t *tmp, size_t n)
{
    size_t count[4][256];
    memset(count, 0, sizeof count);
    for (size_t i = 0; i < n; i++)
        for (int b = 0; b < 4; b++) count[b][(keys[i] >> (32 + 8 * b)) & 255]++;
    uint64_t *src = keys, *dst = tmp;
    for (int b = 0; b < 4; b++) {
        if (count[b][(keys[0] >> (32 + 8 * b)) & 255] == n) continue; /* one bucket */
        size_t pos = 0;
        for (int v = 0; v < 256; v++) {
            size_t c = count[b][v];
            count[b][v] = pos;
            pos += c;
        }
        for (size_t i = 0; i < n; i++) dst[count[b][(src[i] >> (32 + 8 * b)) & 255]++] = src[i];
        uint64_t *t = src;
        src = dst;
        dst = t;
    }
    if (src != keys) memcpy(keys, src, n * sizeof *keys);
}

/* Ten base62 digits of v, least significant first (digit i is
 * v / 62^i % 62).  Split at 62^5 into two 32-bit halves whose digit chains
 * run side by side: the same characters as dividing v by 62 ten times, in
 * about half the time (the serial 64-bit divisions were ~3% of a run). */
static void base62_10(char *out, uint64_t v)
{
    static const char b62[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    const uint64_t p5 = 916132832; /* 62^5 */
    uint32_t lo = (uint32_t)(v % p5), hi = (uint32_t)(v / p5 % p5);
    for (int i = 0; i < 5; i++) {
        out[i] = b62[lo % 62];
        out[i + 5] = b62[hi % 62];
        lo /= 62;
        hi /= 62;
    }
}

/* Zeek-style uid: "C" and 17 base62 characters: ten from one hash, seven
 * from a second one. */
static void make_uid(char out[20], uint64_t h1)
{
    uint64_t h2 = vigil__sim_hash(h1, 0, 0, 0);
    char tail[10];
    out[0] = 'C';
    base62_10(out + 1, h1);
    base62_10(tail, h2);
    memcpy(out + 11, tail, 7);
    out[18] = 0;
}

/* Generates, sorts and writes one hour. */
static vigil_status run_hour(worker *wk, unsigned day, unsigned hr)
{
    const vigil__sim_world *w = wk->j->w;
    vigil__sim_hour_reset(wk->hour, day, hr);
    vigil_status rc = vigil__sim_benign_hour(w, wk->hour);
    if (rc == VIGIL_OK) rc = vigil__sim_intrusion_hour(w, wk->hour);
    if (rc != VIGIL_OK) return rc;
    size_t n;
    const vigil__sim_conn *conns = vigil__sim_hour_conns(wk->hour, &n);
    if (n > 0xffffffffu) return VIGIL_ELIMIT;
    rc = grow_rows(wk, n ? n : 1);
    if (rc != VIGIL_OK) return rc;
    int64_t t0 = w->start + (int64_t)day * 86400 + (int64_t)hr * 3600;
    int64_t t0_us = t0 * 1000000;
    for (size_t i = 0; i < n; i++) {
        int64_t end = llround((conns[i].ts + conns[i].duration) * 1e6) - t0_us;
        if (end < 0) end = 0;
        if (end > 3599999999LL) end = 3599999999LL;
        wk->keys[i] = (uint64_t)end << 32 | (uint64_t)i;
    }
    if (n) sort_keys(wk->keys, wk->tmp, n);
    uint64_t hour_id = (uint64_t)day * 24 + hr;
    for (size_t k = 0; k < n; k++) {
        vigil__sim_conn *c = &wk->sorted[k];
#if defined(__GNUC__) || defined(__clang__)
        /* The gather below misses the cache on nearly every record (the
         * hour is several MB); asking for the record 8 ahead hides most of
         * that (measured: the copy went from ~3% of the run to ~1%). */
        if (k + 8 < n) {
            const char *ahead = (const char *)&conns[wk->keys[k + 8] & 0xffffffffu];
            __builtin_prefetch(ahead);
            __builtin_prefetch(ahead + 64);
            __builtin_prefetch(ahead + sizeof *conns - 1);
        }
#endif
        *c = conns[wk->keys[k] & 0xffffffffu];
        vigil__sim_row *row = &wk->rows[k];
        int64_t end = t0_us + (int64_t)(wk->keys[k] >> 32);
        int64_t ts = llround(c->ts * 1e6);
        if (ts > end) ts = end;
        row->c = c;
        row->ts_us = ts;
        row->dur_us = end - ts;
        make_uid(row->uid, vigil__sim_hash(w->seed, VIGIL__SIM_S_UID, hour_id, k));
        if (c->truth && c->truth <= wk->j->ntruth) wk->truth[c->truth - 1]++;
    }
    return vigil__sim_writer_hour(wk->wr, w, t0, wk->rows, n, &wk->counts);
}

static void *worker_main(void *arg)
{
    worker *wk = arg;
    job *j = wk->j;
    for (;;) {
        pthread_mutex_lock(&j->mu);
        unsigned unit = j->next_unit;
        int stop = j->err != VIGIL_OK || unit >= j->units;
        if (!stop) j->next_unit++;
        pthread_mutex_unlock(&j->mu);
        if (stop) break;
        unsigned day = unit / 24;
        vigil_status rc = run_hour(wk, day, unit % 24);
        pthread_mutex_lock(&j->mu);
        if (rc != VIGIL_OK && j->err == VIGIL_OK) j->err = rc;
        if (rc == VIGIL_OK && ++j->hours_done[day] == 24) {
            j->days_done++;
            if (j->progress) j->progress(j->progress_user, j->days_done, j->w->days);
        }
        pthread_mutex_unlock(&j->mu);
        if (rc != VIGIL_OK) {
            wk->rc = rc;
            break;
        }
    }
    return NULL;
}

/* mkdir that accepts an existing directory. */
static int make_dir(const char *path)
{
    if (mkdir(path, 0777) == 0 || errno == EEXIST) {
        struct stat st;
        return stat(path, &st) == 0 && S_ISDIR(st.st_mode) ? 0 : -1;
    }
    return -1;
}

/* mkdir -p */
static int make_dirs(const char *path)
{
    char buf[4096];
    size_t n = strlen(path);
    if (n == 0 || n >= sizeof buf) return -1;
    memcpy(buf, path, n + 1);
    for (size_t i = 1; i < n; i++) {
        if (buf[i] != '/') continue;
        buf[i] = 0;
        if (make_dir(buf) != 0) return -1;
        buf[i] = '/';
    }
    return make_dir(buf);
}

static void ymd(int64_t t, char *buf, size_t cap)
{
    time_t tt = (time_t)t;
    struct tm tm;
    if (!gmtime_r(&tt, &tm)) {
        snprintf(buf, cap, "0000-00-00");
        return;
    }
    snprintf(buf, cap, "%04d-%02d-%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
}

static vigil_status write_manifest(const vigil_sim_opts *o, const vigil__sim_world *w,
                                   const char *dir)
{
    char path[4096], day0[32];
    snprintf(path, sizeof path, "%s/manifest.json", dir);
    ymd(w->start, day0, sizeof day0);
    FILE *f = fopen(path, "w");
    if (!f) return VIGIL_EIO;
    fprintf(f,
            "{\"vigil\":\"%s\",\"simulator\":%d,\"seed\":%llu,\"hosts\":%zu,\"days\":%u,"
            "\"start\":\"%s\",\"start_epoch\":%lld,\"format\":\"%s\",\"gzip\":%s,"
            "\"domain\":\"%s\",\"tz_offset\":%d}\n",
            VIGIL_VERSION, VIGIL_SIM_VERSION, (unsigned long long)w->seed, w->nhosts, w->days,
            day0, (long long)w->start, o->json ? "json" : "tsv", o->no_gzip ? "false" : "true",
            w->domain, w->tz_offset);
    int bad = ferror(f);
    if (fclose(f) != 0) bad = 1;
    return bad ? VIGIL_EIO : VIGIL_OK;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

vigil_status vigil_simulate(const vigil_sim_opts *opts, vigil_sim_report *report)
{
    if (report) memset(report, 0, sizeof *report);
    if (!opts || !opts->out_dir || !*opts->out_dir) return VIGIL_EINVAL;
    double t_begin = now_s();
    unsigned hosts = opts->hosts ? opts->hosts : VIGIL_SIM_DEFAULT_HOSTS;
    unsigned days = opts->days ? opts->days : VIGIL_SIM_DEFAULT_DAYS;
    int64_t start = opts->start ? opts->start : VIGIL_SIM_DEFAULT_START;
    unsigned threads = opts->threads ? opts->threads : VIGIL_SIM_DEFAULT_THREADS;
    if (start % 86400 != 0 || threads > 256 || days > 0xffffffffu / 24) return VIGIL_EINVAL;
    if (threads > days * 24) threads = days * 24;
    const char *dir = opts->out_dir;

    vigil__sim_world *w = NULL;
    worker *wks = NULL;
    uint64_t *truth = NULL;
    int mu_ok = 0;
    job j;
    memset(&j, 0, sizeof j);
    vigil_status rc = vigil__sim_world_new(&w, opts->seed, start, days, hosts, opts->alloc);
    if (rc != VIGIL_OK) goto out;

    /* Directories first (workers only create files), and the old manifest
     * goes: a world is complete only once the new one is written. */
    char path[4096];
    snprintf(path, sizeof path, "%s/zeek", dir);
    if (make_dirs(path) != 0) { rc = VIGIL_EIO; goto out; }
    snprintf(path, sizeof path, "%s/manifest.json", dir);
    if (remove(path) != 0 && errno != ENOENT) { rc = VIGIL_EIO; goto out; }
    for (unsigned d = 0; d < days; d++) {
        char day[32];
        ymd(start + (int64_t)d * 86400, day, sizeof day);
        snprintf(path, sizeof path, "%s/zeek/%s", dir, day);
        if (make_dir(path) != 0) { rc = VIGIL_EIO; goto out; }
    }

    j.w = w;
    j.out.dir = dir;
    j.out.json = opts->json != 0;
    j.out.gzip = !opts->no_gzip;
    j.ntruth = vigil__sim_truth_count(w);
    j.units = days * 24;
    j.progress = opts->progress;
    j.progress_user = opts->progress_user;
    if (pthread_mutex_init(&j.mu, NULL) != 0) { rc = VIGIL_ETHREAD; goto out; }
    mu_ok = 1;
    wks = vigil__calloc(&w->alloc, threads, sizeof *wks);
    truth = vigil__calloc(&w->alloc, j.ntruth ? j.ntruth : 1, sizeof *truth);
    j.hours_done = vigil__calloc(&w->alloc, days, sizeof *j.hours_done);
    if (!wks || !truth || !j.hours_done) { rc = VIGIL_ENOMEM; goto out; }
    for (unsigned t = 0; t < threads; t++) {
        worker *wk = &wks[t];
        wk->j = &j;
        wk->truth = vigil__calloc(&w->alloc, j.ntruth ? j.ntruth : 1, sizeof *wk->truth);
        if (!wk->truth) { rc = VIGIL_ENOMEM; goto out; }
        rc = vigil__sim_hour_new(&wk->hour, w, 0, 0);
        if (rc == VIGIL_OK) rc = vigil__sim_writer_new(&wk->wr, &j.out, &w->alloc);
        if (rc != VIGIL_OK) goto out;
    }
    for (unsigned t = 0; t < threads; t++) {
        if (pthread_create(&wks[t].th, NULL, worker_main, &wks[t]) != 0) {
            pthread_mutex_lock(&j.mu);
            if (j.err == VIGIL_OK) j.err = VIGIL_ETHREAD;
            pthread_mutex_unlock(&j.mu);
            break;
        }
        wks[t].started = 1;
    }
    vigil__sim_counts total;
    memset(&total, 0, sizeof total);
    for (unsigned t = 0; t < threads; t++) {
        if (wks[t].started) pthread_join(wks[t].th, NULL);
        wks[t].started = 0;
        total.conn += wks[t].counts.conn;
        total.dns += wks[t].counts.dns;
        total.ssl += wks[t].counts.ssl;
        total.http += wks[t].counts.http;
        total.bytes += wks[t].counts.bytes;
        total.files += wks[t].counts.files;
        for (size_t i = 0; i < j.ntruth; i++) truth[i] += wks[t].truth[i];
    }
    rc = j.err;
    if (rc != VIGIL_OK) goto out;
    rc = vigil__sim_world_write_csv(w, dir);
    if (rc == VIGIL_OK) rc = vigil__sim_truth_write(w, dir, truth, j.ntruth);
    if (rc == VIGIL_OK) rc = write_manifest(opts, w, dir);
    if (rc != VIGIL_OK) goto out;
    if (report) {
        report->conn = total.conn;
        report->dns = total.dns;
        report->ssl = total.ssl;
        report->http = total.http;
        report->bytes = total.bytes;
        report->files = total.files;
        report->truth_events = j.ntruth;
        report->hosts = (unsigned)w->nhosts;
        report->days = days;
        report->seconds = now_s() - t_begin;
        double s = report->seconds > 1e-9 ? report->seconds : 1e-9;
        report->records_per_s = (double)(total.conn + total.dns + total.ssl + total.http) / s;
        report->conn_per_s = (double)total.conn / s;
    }
out:
    if (wks) {
        for (unsigned t = 0; t < threads; t++) {
            worker *wk = &wks[t];
            if (wk->started) pthread_join(wk->th, NULL);
            vigil__sim_hour_free(wk->hour);
            vigil__sim_writer_free(wk->wr);
            vigil__free(&w->alloc, wk->keys);
            vigil__free(&w->alloc, wk->tmp);
            vigil__free(&w->alloc, wk->rows);
            vigil__free(&w->alloc, wk->sorted);
            vigil__free(&w->alloc, wk->truth);
        }
        vigil__free(&w->alloc, wks);
    }
    if (w) {
        vigil__free(&w->alloc, truth);
        vigil__free(&w->alloc, j.hours_done);
    }
    if (mu_ok) pthread_mutex_destroy(&j.mu);
    vigil__sim_world_free(w);
    return rc;
}
