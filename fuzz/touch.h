/* touch.h -- shared by the fuzz targets: reads every byte a reader hands out, so sanitizers see bad pointers. */
#ifndef VIGIL_FUZZ_TOUCH_H
#define VIGIL_FUZZ_TOUCH_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <vigil/vigil.h>

/* The libFuzzer entry point every target defines (and replay_main.c calls). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Sums bytes into a volatile so the compiler cannot drop the reads. */
static volatile unsigned fuzz_sink;

static void fuzz_touch_bytes(const char *p, size_t len)
{
    unsigned acc = 0;
    for (size_t i = 0; i < len; i++) acc += (unsigned char)p[i];
    fuzz_sink += acc;
}

static void fuzz_touch_cstr(const char *s)
{
    if (s) fuzz_touch_bytes(s, strlen(s));
}

/* A vigil_str: unset must have len 0; otherwise every byte is readable. */
static void fuzz_touch_str(vigil_str s)
{
    if (!s.p && s.len != 0) abort();
    if (s.p) fuzz_touch_bytes(s.p, s.len);
}

static void fuzz_touch_addr(const vigil_addr *a)
{
    char buf[VIGIL_ADDR_STRLEN];
    vigil_addr_format(a, buf);
    if (strlen(buf) >= sizeof buf) abort();
    fuzz_sink += (unsigned)vigil_addr_is_v4(a);
}

static void fuzz_touch_id(const vigil_conn_id *id)
{
    fuzz_sink += (unsigned)(id->ts != id->ts); /* NaN is worth noticing */
    fuzz_touch_str(id->uid);
    fuzz_touch_addr(&id->orig_h);
    fuzz_touch_addr(&id->resp_h);
    fuzz_sink += id->orig_p + id->resp_p;
}

/* Every field of a record, by family, plus the named-field lookup. */
static void fuzz_touch_record(const vigil_reader *r, const vigil_record *rec)
{
    size_t len = 0;
    const char *label;

    fuzz_touch_cstr(rec->path);
    fuzz_touch_cstr(rec->file);
    fuzz_touch_cstr(vigil_log_type_name(rec->type));
    fuzz_sink += (unsigned)rec->line;
    switch (rec->type) {
    case VIGIL_LOG_CONN: {
        const vigil_conn *c = &rec->u.conn;
        fuzz_touch_id(&c->id);
        fuzz_touch_cstr(vigil_proto_name((vigil_proto)c->proto));
        fuzz_touch_cstr(vigil_conn_state_name((vigil_conn_state)c->conn_state));
        fuzz_sink += (unsigned)(c->local_orig + c->local_resp) + c->present;
        fuzz_sink += (unsigned)(c->duration > 0) + (unsigned)c->orig_bytes +
                     (unsigned)c->resp_bytes + (unsigned)c->missed_bytes +
                     (unsigned)c->orig_pkts + (unsigned)c->orig_ip_bytes +
                     (unsigned)c->resp_pkts + (unsigned)c->resp_ip_bytes;
        fuzz_touch_str(c->service);
        fuzz_touch_str(c->history);
        break;
    }
    case VIGIL_LOG_DNS: {
        const vigil_dns *d = &rec->u.dns;
        fuzz_touch_id(&d->id);
        fuzz_sink += (unsigned)(d->proto + d->rejected + d->qtype) +
                     (unsigned)d->rcode + (unsigned)d->trans_id +
                     (unsigned)(d->rtt > 0) + (unsigned)d->set_sep;
        fuzz_touch_str(d->query);
        fuzz_touch_str(d->qtype_name);
        fuzz_touch_str(d->rcode_name);
        fuzz_touch_str(d->answers);
        fuzz_touch_str(d->ttls);
        break;
    }
    case VIGIL_LOG_SSL: {
        const vigil_ssl *s = &rec->u.ssl;
        fuzz_touch_id(&s->id);
        fuzz_sink += (unsigned)(s->established + s->resumed);
        fuzz_touch_str(s->version);
        fuzz_touch_str(s->cipher);
        fuzz_touch_str(s->server_name);
        fuzz_touch_str(s->subject);
        fuzz_touch_str(s->issuer);
        fuzz_touch_str(s->ja3);
        fuzz_touch_str(s->ja3s);
        break;
    }
    case VIGIL_LOG_HTTP: {
        const vigil_http *h = &rec->u.http;
        fuzz_touch_id(&h->id);
        fuzz_sink += (unsigned)h->status_code + (unsigned)h->request_body_len +
                     (unsigned)h->response_body_len;
        fuzz_touch_str(h->method);
        fuzz_touch_str(h->host);
        fuzz_touch_str(h->uri);
        fuzz_touch_str(h->referrer);
        fuzz_touch_str(h->user_agent);
        fuzz_touch_str(h->resp_mime_types);
        break;
    }
    case VIGIL_LOG_UNKNOWN:
    case VIGIL_LOG_OTHER:
    default:
        break;
    }
    label = vigil_reader_field(r, "label", &len);
    if (label) fuzz_touch_bytes(label, len);
    label = vigil_reader_field(r, "ts", &len);
    if (label) fuzz_touch_bytes(label, len);
}

/* The diagnostics sink: every string it is given must be readable. */
static void fuzz_diag(void *user, const vigil_diag *d)
{
    (void)user;
    if (d->reason >= VIGIL_SKIP__COUNT) abort();
    fuzz_touch_cstr(d->file);
    fuzz_touch_cstr(d->log);
    fuzz_touch_cstr(d->detail);
    fuzz_touch_cstr(vigil_skip_reason_name(d->reason));
    fuzz_sink += (unsigned)d->line + (unsigned)d->count;
}

/* A conn_early call: takes the records on odd lines (what the reader has
 * set by then must be readable), counting them in *user. */
static int fuzz_early(void *user, const vigil_record *rec)
{
    if (rec->type != VIGIL_LOG_CONN) abort();
    fuzz_touch_id(&rec->u.conn.id);
    fuzz_sink += (unsigned)rec->u.conn.local_orig + (unsigned)rec->u.conn.local_resp;
    if (!(rec->line & 1)) return 1;
    ++*(uint64_t *)user;
    return 0;
}

/* Opens `len` bytes as file `name` (reading only `fields`, or every field
 * when NULL; with `taken`, a conn_early call takes the records on odd lines
 * and counts them there), reads every record and checks the counters;
 * returns the number of records returned.  A reader must consume at least
 * one byte per record, so more records than bytes means it is looping. */
static uint64_t fuzz_read_early(const char *name, const uint8_t *data, size_t len,
                                size_t max_line, const char *const *fields, uint64_t *taken)
{
    vigil_reader_opts opts;
    vigil_reader *r = NULL;
    const vigil_record *rec = NULL;
    const vigil_reader_counts *counts;
    uint64_t n = 0, skipped = 0, took = 0;
    vigil_status st;

    memset(&opts, 0, sizeof opts);
    opts.diag = fuzz_diag;
    opts.max_line = max_line;
    opts.fields = fields;
    if (taken) {
        opts.conn_early = fuzz_early;
        opts.conn_early_user = &took;
    }
    st = vigil_reader_open_mem(&r, name, data, len, &opts);
    if (st != VIGIL_OK) {
        fuzz_touch_cstr(vigil_strerror(st));
        return 0;
    }
    fuzz_touch_cstr(vigil_format_name(vigil_reader_format(r)));
    for (;;) {
        st = vigil_reader_next(r, &rec);
        if (st != VIGIL_OK || !rec) break;
        fuzz_touch_record(r, rec);
        if (++n > (uint64_t)len + 1) abort();
    }
    counts = vigil_reader_counts_get(r);
    if (counts) {
        for (int i = 0; i < VIGIL_SKIP__COUNT; i++) skipped += counts->by_reason[i];
        /* every record returned or taken is counted */
        if (counts->records != n + took) abort();
        if (counts->skipped != skipped) abort(); /* the total is the sum of reasons */
    }
    vigil_reader_free(r);
    if (taken) *taken = took;
    return n;
}

static uint64_t fuzz_read_fields(const char *name, const uint8_t *data, size_t len,
                                 size_t max_line, const char *const *fields)
{
    return fuzz_read_early(name, data, len, max_line, fields, NULL);
}

static inline void fuzz_read_all(const char *name, const uint8_t *data, size_t len,
                                 size_t max_line)
{
    (void)fuzz_read_fields(name, data, len, max_line, NULL);
}

#endif
