/* read_eve.c -- Suricata EVE JSON (one event per line) -> records.
 *
 * Input: lines from read_reader.c, each one EVE event.  Output:
 *   flow, netflow -> VIGIL_LOG_CONN, path "conn": ts = flow.start,
 *     duration = flow.end - flow.start, src/dest -> orig/resp (ICMP:
 *     icmp_type/icmp_code as the ports, as Zeek does), proto, flow_id ->
 *     uid (decimal text), app_proto -> service ("tls" -> "ssl", "failed"
 *     -> unset), pkts/bytes toserver/toclient -> orig/resp pkts and
 *     ip_bytes, payload bytes estimated (below), conn_state derived from
 *     the TCP flags (below).  history stays unset: EVE keeps only the union
 *     of each side's flags, not their order, so a Zeek history string
 *     would be invented.  netflow events describe one direction only: they
 *     fill the orig side and leave conn_state unset.
 *   dns -> VIGIL_LOG_DNS, path "dns".  Suricata logs a query and its answer
 *     as two events; vigil returns each as its own record rather than
 *     pairing them (pairing needs state across lines and would drop
 *     unanswered queries).  Both give query (rrname), qtype_name/qtype
 *     (rrtype), trans_id (id), proto; answer events add rcode_name/rcode
 *     and answers/TTLs from the "answers" array (v2: rdata of each answer
 *     that has one, TTLs in Zeek's "%.6f" form) or from "rdata"/"ttl" (v1:
 *     one event per answer).  Suricata 8's "queries" array is read too.
 *     So a query record has rcode -1 and no answers; an answer record is a
 *     complete transaction.
 *   tls -> VIGIL_LOG_SSL, path "ssl": sni, version (as Zeek names it,
 *     "TLS 1.2" -> "TLSv12"), subject, issuerdn, ja3.hash, ja3s.hash,
 *     session_resumed.
 *   http -> VIGIL_LOG_HTTP, path "http": hostname, url, http_user_agent,
 *     http_method, status, length (response_body_len), http_refer.
 *   anything else (alert, anomaly, fileinfo, stats...) -> VIGIL_LOG_OTHER
 *     with path = event_type, ts = timestamp and the id fields when given.
 * Every member stays reachable by its flattened key ("flow.bytes_toserver")
 * through vigil_reader_field.
 *
 * Payload estimate: Zeek's orig_bytes/resp_bytes count payload; EVE gives
 * only per-direction bytes, counted per packet by Suricata (note: it is the
 * captured packet length, so on Ethernet it includes the link header).
 * vigil subtracts packets x (IP + transport header): 40 TCP/IPv4, 60
 * TCP/IPv6, 28 UDP or ICMP/IPv4, 48 UDP or ICMPv6/IPv6, 20/40 otherwise;
 * never below 0, and 0 for TCP flows whose handshake never completed (S0,
 * REJ, RSTOS0), which cannot carry payload.
 *
 * conn_state: each side's endpoint state is told from its flags (RST ->
 * reset, FIN -> closed, no packets -> inactive, no SYN -> partial, SYN and
 * a completed handshake -> established, else SYN sent / SYN-ACK sent), and
 * the pair is mapped with Zeek's own rules: REJ, RSTO, RSTR, RSTOS0,
 * RSTRH, SF, SH, S2, SHR, S3, S0, S1, else OTH.  UDP: both sides sent ->
 * SF, only orig -> S0, only resp -> SHR; ICMP -> OTH.  TCP flows without
 * flags leave conn_state unset. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include "internal.h"

/* TCP flag bits as EVE writes them in tcp_flags_ts / tcp_flags_tc. */
enum { F_FIN = 0x01, F_SYN = 0x02, F_RST = 0x04, F_PSH = 0x08, F_ACK = 0x10 };

/* One side's TCP state, as Zeek's endpoint states. */
typedef enum { EP_INACTIVE, EP_PARTIAL, EP_SYN_SENT, EP_SYN_ACK_SENT,
               EP_ESTABLISHED, EP_CLOSED, EP_RESET } endpoint;

/* A growable text buffer reused across lines. */
typedef struct textbuf {
    char *p;       /* the text */
    size_t len;    /* bytes used */
    size_t cap;    /* bytes allocated */
} textbuf;

/* The backend state, hung off r->be_state. */
typedef struct eve {
    vigil__json_line *jl;   /* members of the current line */
    int have_record;        /* jl holds the record last returned */
    textbuf answers;        /* DNS answers of the current record */
    textbuf ttls;           /* DNS TTLs of the current record */
    int oom;                /* a textbuf could not grow */
    char uid[24];           /* flow_id when it had to be re-formatted */
    char detail[160];       /* text of the last skip diagnostic */
} eve;

static vigil_status init(vigil_reader *r)
{
    eve *st = vigil__calloc(&r->alloc, 1, sizeof *st);
    if (!st) return VIGIL_ENOMEM;
    if (vigil__json_line_new(&st->jl, &r->alloc) != VIGIL_OK) {
        vigil__free(&r->alloc, st);
        return VIGIL_ENOMEM;
    }
    r->be_state = st;
    return VIGIL_OK;
}

static void fini(vigil_reader *r)
{
    eve *st = r->be_state;
    if (!st) return;
    vigil__json_line_free(st->jl);
    vigil__free(&r->alloc, st->answers.p);
    vigil__free(&r->alloc, st->ttls.p);
    vigil__free(&r->alloc, st);
    r->be_state = NULL;
}

/* Appends n bytes to b, growing it with r's allocator.  Sets st->oom and
 * returns -1 when that fails. */
static int tb_add(vigil_reader *r, eve *st, textbuf *b, const char *p, size_t n)
{
    if (b->cap - b->len < n) {
        size_t nc = b->cap ? b->cap : 256;
        while (nc - b->len < n) nc *= 2;
        char *nb = vigil__realloc(&r->alloc, b->p, nc);
        if (!nb) {
            st->oom = 1;
            return -1;
        }
        b->p = nb;
        b->cap = nc;
    }
    memcpy(b->p + b->len, p, n);
    b->len += n;
    return 0;
}

static int eq(const char *p, size_t n, const char *lit)
{
    return strlen(lit) == n && memcmp(p, lit, n) == 0;
}

/* The member `key` of the current line, or NULL (also for JSON null). */
static const vigil__json_member *get(const eve *st, const char *key)
{
    const vigil__json_member *m = vigil__json_line_find(st->jl, key, strlen(key));
    return m && m->v.kind != VIGIL__JSON_NULL ? m : NULL;
}

/* Stores member `key` into column `c` when present.  Returns the skip
 * reason vigil__record_set gives (NONE when the member is absent). */
static vigil_skip_reason set_col(vigil_reader *r, const eve *st, vigil__col c,
                                 const char *key, const char **bad_key)
{
    const vigil__json_member *m = get(st, key);
    if (!m) return VIGIL_SKIP_NONE;
    vigil_skip_reason why = vigil__record_set(&r->rec, c, m->v.p, m->v.n, 0,
                                              m->v.kind == VIGIL__JSON_STRING && m->v.n == 0);
    if (why != VIGIL_SKIP_NONE) *bad_key = key;
    return why;
}

/* A TCP side's endpoint state from its flags and packet count. */
static endpoint side_state(unsigned flags, uint64_t pkts, int is_orig,
                           unsigned other_flags, unsigned orig_flags)
{
    if (flags & F_RST) return EP_RESET;
    if (flags & F_FIN) return EP_CLOSED;
    if (pkts == 0 && flags == 0) return EP_INACTIVE;
    if (!(flags & F_SYN)) return EP_PARTIAL;
    /* The handshake completed when the originator ACKed a responder SYN. */
    int done = (orig_flags & F_ACK) && (is_orig ? (other_flags & F_SYN) : 1);
    if (done) return EP_ESTABLISHED;
    return is_orig ? EP_SYN_SENT : EP_SYN_ACK_SENT;
}

/* Zeek's conn_state rules over the two endpoint states. */
static vigil_conn_state tcp_state(unsigned ts, unsigned tc, uint64_t opk, uint64_t rpk)
{
    endpoint os = side_state(ts, opk, 1, tc, ts);
    endpoint rs = side_state(tc, rpk, 0, ts, ts);
    int o_inactive = os == EP_INACTIVE || os == EP_PARTIAL;
    int r_inactive = rs == EP_INACTIVE || rs == EP_PARTIAL;
    if (rs == EP_RESET) {
        /* Sizes are unknown; "no PSH either way" stands for "no payload". */
        if (os == EP_SYN_SENT || os == EP_SYN_ACK_SENT ||
            (os == EP_RESET && !((ts | tc) & F_PSH) && !(ts & F_ACK)))
            return VIGIL_CS_REJ;
        return o_inactive ? VIGIL_CS_RSTRH : VIGIL_CS_RSTR;
    }
    if (os == EP_RESET) {
        if (r_inactive)
            return (ts & F_SYN) && !(ts & F_ACK) ? VIGIL_CS_RSTOS0 : VIGIL_CS_OTH;
        return VIGIL_CS_RSTO;
    }
    if (os == EP_CLOSED && rs == EP_CLOSED) return VIGIL_CS_SF;
    if (os == EP_CLOSED) return r_inactive ? VIGIL_CS_SH : VIGIL_CS_S2;
    if (rs == EP_CLOSED) return o_inactive ? VIGIL_CS_SHR : VIGIL_CS_S3;
    if (os == EP_SYN_SENT && rs == EP_INACTIVE) return VIGIL_CS_S0;
    if (os == EP_ESTABLISHED && rs == EP_ESTABLISHED) return VIGIL_CS_S1;
    return VIGIL_CS_OTH;
}

/* Parses a hex flag string ("1b"); 1 on success. */
static int get_flags(const eve *st, const char *key, unsigned *out)
{
    const vigil__json_member *m = get(st, key);
    if (!m || m->v.kind != VIGIL__JSON_STRING || m->v.n == 0 || m->v.n > 4) return 0;
    unsigned v = 0;
    for (size_t i = 0; i < m->v.n; i++) {
        char c = m->v.p[i];
        unsigned d;
        if (c >= '0' && c <= '9') d = (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f') d = (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F') d = (unsigned)(c - 'A' + 10);
        else return 0;
        v = v * 16 + d;
    }
    *out = v;
    return 1;
}

/* Fills the conn-specific fields of a flow/netflow event. */
static vigil_skip_reason fill_flow(vigil_reader *r, eve *st, int netflow, const char **bad)
{
    vigil_conn *c = &r->rec.u.conn;
    const char *pre = netflow ? "netflow." : "flow.";
    char key[40];
    vigil_skip_reason why;
#define KEY(s) (snprintf(key, sizeof key, "%s%s", pre, (s)), key)
    /* Duration from start and end. */
    const vigil__json_member *ms = get(st, KEY("start"));
    const vigil__json_member *me = get(st, KEY("end"));
    double t0, t1;
    if (ms && me && vigil__parse_time(ms->v.p, ms->v.n, &t0) &&
        vigil__parse_time(me->v.p, me->v.n, &t1) && t1 >= t0) {
        c->duration = t1 - t0;
        c->present |= VIGIL_CONN_HAS_DURATION;
    }
    if (netflow) {
        if ((why = set_col(r, st, VIGIL__COL_ORIG_PKTS, "netflow.pkts", bad))) return why;
        if ((why = set_col(r, st, VIGIL__COL_ORIG_IP_BYTES, "netflow.bytes", bad))) return why;
    } else {
        if ((why = set_col(r, st, VIGIL__COL_ORIG_PKTS, "flow.pkts_toserver", bad))) return why;
        if ((why = set_col(r, st, VIGIL__COL_RESP_PKTS, "flow.pkts_toclient", bad))) return why;
        if ((why = set_col(r, st, VIGIL__COL_ORIG_IP_BYTES, "flow.bytes_toserver", bad))) return why;
        if ((why = set_col(r, st, VIGIL__COL_RESP_IP_BYTES, "flow.bytes_toclient", bad))) return why;
    }
#undef KEY
    /* Service: Suricata's app_proto, with Zeek's name for TLS. */
    const vigil__json_member *ap = get(st, "app_proto");
    if (ap && ap->v.kind == VIGIL__JSON_STRING && ap->v.n && !eq(ap->v.p, ap->v.n, "failed")) {
        c->service.p = eq(ap->v.p, ap->v.n, "tls") ? "ssl" : ap->v.p;
        c->service.len = eq(ap->v.p, ap->v.n, "tls") ? 3 : ap->v.n;
    }
    /* conn_state. */
    uint64_t opk = c->orig_pkts, rpk = c->resp_pkts;
    if (netflow) {
        /* One direction only: no state can be told. */
    } else if (c->proto == VIGIL_PROTO_TCP) {
        unsigned ts, tc;
        if (get_flags(st, "tcp.tcp_flags_ts", &ts) && get_flags(st, "tcp.tcp_flags_tc", &tc))
            c->conn_state = (uint8_t)tcp_state(ts, tc, opk, rpk);
    } else if (c->proto == VIGIL_PROTO_UDP) {
        c->conn_state = (uint8_t)(opk && rpk ? VIGIL_CS_SF : opk ? VIGIL_CS_S0
                                  : rpk ? VIGIL_CS_SHR : VIGIL_CS_OTH);
    } else if (c->proto == VIGIL_PROTO_ICMP) {
        c->conn_state = VIGIL_CS_OTH;
    }
    /* Payload estimate (see the file comment). */
    int v4 = vigil_addr_is_v4(&c->id.orig_h);
    uint64_t hdr = c->proto == VIGIL_PROTO_TCP ? (v4 ? 40 : 60)
                 : (c->proto == VIGIL_PROTO_UDP || c->proto == VIGIL_PROTO_ICMP) ? (v4 ? 28 : 48)
                 : (v4 ? 20 : 40);
    int no_payload = c->proto == VIGIL_PROTO_TCP &&
                     (c->conn_state == VIGIL_CS_S0 || c->conn_state == VIGIL_CS_REJ ||
                      c->conn_state == VIGIL_CS_RSTOS0);
    if (c->present & VIGIL_CONN_HAS_ORIG_IP_BYTES) {
        uint64_t h = opk * hdr;
        c->orig_bytes = no_payload || c->orig_ip_bytes < h ? 0 : c->orig_ip_bytes - h;
        c->present |= VIGIL_CONN_HAS_ORIG_BYTES;
    }
    if (c->present & VIGIL_CONN_HAS_RESP_IP_BYTES) {
        uint64_t h = rpk * hdr;
        c->resp_bytes = no_payload || c->resp_ip_bytes < h ? 0 : c->resp_ip_bytes - h;
        c->present |= VIGIL_CONN_HAS_RESP_BYTES;
    }
    return VIGIL_SKIP_NONE;
}

/* DNS type and rcode numbers for the names Suricata writes. */
static const struct { const char *name; uint16_t num; } rrtypes[] = {
    { "A", 1 }, { "NS", 2 }, { "CNAME", 5 }, { "SOA", 6 }, { "NULL", 10 },
    { "PTR", 12 }, { "HINFO", 13 }, { "MX", 15 }, { "TXT", 16 }, { "AAAA", 28 },
    { "SRV", 33 }, { "NAPTR", 35 }, { "OPT", 41 }, { "DS", 43 }, { "RRSIG", 46 },
    { "NSEC", 47 }, { "DNSKEY", 48 }, { "SVCB", 64 }, { "HTTPS", 65 },
    { "SPF", 99 }, { "AXFR", 252 }, { "ANY", 255 }, { "CAA", 257 }, { NULL, 0 },
};
static const char *const rcodes[] = {
    "NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED",
    "YXDOMAIN", "YXRRSET", "NXRRSET", "NOTAUTH", "NOTZONE", NULL,
};

/* Context of the DNS answers walk. */
typedef struct answers_walk {
    vigil_reader *r;      /* the reader (allocator) */
    eve *st;              /* the buffers */
    int count;            /* answers added */
    const char *rdata;    /* the current answer's rdata (decoded) */
    size_t rdata_n;
    const char *ttl;      /* its ttl text */
    size_t ttl_n;
    const char *rrname;   /* first query name (Suricata 8 "queries") */
    size_t rrname_n;
    const char *rrtype;   /* first query type */
    size_t rrtype_n;
} answers_walk;

/* Appends a TTL ("91") as Zeek writes intervals ("91.000000"). */
static void add_ttl(answers_walk *w, const char *p, size_t n)
{
    char tmp[48];
    double d;
    if (w->st->ttls.len) tb_add(w->r, w->st, &w->st->ttls, ",", 1);
    if (p && vigil__parse_double(p, n, &d) && d >= 0 && d < 1e15) {
        int k = snprintf(tmp, sizeof tmp, "%.6f", d);
        tb_add(w->r, w->st, &w->st->ttls, tmp, (size_t)k);
    } else {
        tb_add(w->r, w->st, &w->st->ttls, "-", 1);
    }
}

/* Member callback inside one answer / query object. */
static int answer_member(void *user, const char *key, size_t keylen, vigil__json_val *v)
{
    answers_walk *w = user;
    if (eq(key, keylen, "rdata") && v->kind == VIGIL__JSON_STRING) {
        w->rdata = v->p;
        w->rdata_n = v->n;
    } else if (eq(key, keylen, "ttl") && v->kind == VIGIL__JSON_NUMBER) {
        w->ttl = v->p;
        w->ttl_n = v->n;
    } else if (eq(key, keylen, "rrname") && v->kind == VIGIL__JSON_STRING) {
        w->rrname = v->p;
        w->rrname_n = v->n;
    } else if (eq(key, keylen, "rrtype") && v->kind == VIGIL__JSON_STRING) {
        w->rrtype = v->p;
        w->rrtype_n = v->n;
    }
    return 0;
}

/* Array callback over "dns.answers": one object per answer. */
static int answer_item(void *user, const char *key, size_t keylen, vigil__json_val *v)
{
    answers_walk *w = user;
    (void)key;
    (void)keylen;
    if (v->kind != VIGIL__JSON_OBJECT) return 0;
    w->rdata = w->ttl = NULL;
    if (vigil__json_each(v->p, v->n, 0, answer_member, w) != 0) return 0;
    if (!w->rdata) return 0; /* SOA and friends: no rdata text */
    if (w->st->answers.len) tb_add(w->r, w->st, &w->st->answers, ",", 1);
    tb_add(w->r, w->st, &w->st->answers, w->rdata, w->rdata_n);
    add_ttl(w, w->ttl, w->ttl_n);
    w->count++;
    return 0;
}

/* Array callback over Suricata 8's "dns.queries": keeps the first. */
static int query_item(void *user, const char *key, size_t keylen, vigil__json_val *v)
{
    answers_walk *w = user;
    (void)key;
    (void)keylen;
    if (v->kind != VIGIL__JSON_OBJECT || w->rrname) return 0;
    vigil__json_each(v->p, v->n, 0, answer_member, w);
    return 0;
}

/* Fills the DNS fields of a dns event. */
static vigil_skip_reason fill_dns(vigil_reader *r, eve *st, const char **bad)
{
    vigil_dns *d = &r->rec.u.dns;
    vigil_skip_reason why;
    answers_walk w;
    memset(&w, 0, sizeof w);
    w.r = r;
    w.st = st;
    st->answers.len = st->ttls.len = 0;
    if ((why = set_col(r, st, VIGIL__COL_TRANS_ID, "dns.id", bad))) return why;
    if ((why = set_col(r, st, VIGIL__COL_RCODE_NAME, "dns.rcode", bad))) return why;
    const vigil__json_member *q = get(st, "dns.rrname");
    const vigil__json_member *t = get(st, "dns.rrtype");
    if (q && q->v.kind == VIGIL__JSON_STRING) {
        d->query.p = q->v.p;
        d->query.len = q->v.n;
    }
    if (t && t->v.kind == VIGIL__JSON_STRING) {
        d->qtype_name.p = t->v.p;
        d->qtype_name.len = t->v.n;
    }
    const vigil__json_member *qs = get(st, "dns.queries");
    if (!q && qs && qs->raw) {
        vigil__json_array_each((char *)qs->v.p, qs->v.n, query_item, &w);
        if (w.rrname) {
            d->query.p = w.rrname;
            d->query.len = w.rrname_n;
        }
        if (w.rrtype) {
            d->qtype_name.p = w.rrtype;
            d->qtype_name.len = w.rrtype_n;
        }
    }
    for (size_t i = 0; d->qtype_name.p && rrtypes[i].name; i++)
        if (eq(d->qtype_name.p, d->qtype_name.len, rrtypes[i].name)) d->qtype = rrtypes[i].num;
    for (int i = 0; d->rcode_name.p && rcodes[i]; i++)
        if (eq(d->rcode_name.p, d->rcode_name.len, rcodes[i])) d->rcode = i;
    /* Answers: v2/v3 array, or v1's one answer per event. */
    const vigil__json_member *as = get(st, "dns.answers");
    const vigil__json_member *rd = get(st, "dns.rdata");
    if (as && as->raw) {
        vigil__json_array_each((char *)as->v.p, as->v.n, answer_item, &w);
    } else if (rd && rd->v.kind == VIGIL__JSON_STRING) {
        const vigil__json_member *ttl = get(st, "dns.ttl");
        tb_add(r, st, &st->answers, rd->v.p, rd->v.n);
        add_ttl(&w, ttl ? ttl->v.p : NULL, ttl ? ttl->v.n : 0);
    }
    if (st->answers.len) {
        d->answers.p = st->answers.p;
        d->answers.len = st->answers.len;
        d->ttls.p = st->ttls.p;
        d->ttls.len = st->ttls.len;
    }
    return VIGIL_SKIP_NONE;
}

/* Zeek's name for a Suricata TLS version string, or NULL to keep it. */
static const char *tls_version(const char *p, size_t n)
{
    static const char *const map[][2] = {
        { "TLS 1.0", "TLSv10" }, { "TLS 1.1", "TLSv11" }, { "TLS 1.2", "TLSv12" },
        { "TLS 1.3", "TLSv13" }, { "SSLv3", "SSLv3" }, { "SSLv2", "SSLv2" },
        { NULL, NULL },
    };
    for (size_t i = 0; map[i][0]; i++)
        if (eq(p, n, map[i][0])) return map[i][1];
    return NULL;
}

/* Fills the TLS fields of a tls event. */
static vigil_skip_reason fill_tls(vigil_reader *r, eve *st, const char **bad)
{
    vigil_skip_reason why;
    if ((why = set_col(r, st, VIGIL__COL_SERVER_NAME, "tls.sni", bad))) return why;
    if ((why = set_col(r, st, VIGIL__COL_SUBJECT, "tls.subject", bad))) return why;
    if ((why = set_col(r, st, VIGIL__COL_ISSUER, "tls.issuerdn", bad))) return why;
    if ((why = set_col(r, st, VIGIL__COL_JA3, "tls.ja3.hash", bad))) return why;
    if ((why = set_col(r, st, VIGIL__COL_JA3S, "tls.ja3s.hash", bad))) return why;
    if ((why = set_col(r, st, VIGIL__COL_RESUMED, "tls.session_resumed", bad))) return why;
    const vigil__json_member *v = get(st, "tls.version");
    if (v && v->v.kind == VIGIL__JSON_STRING) {
        const char *z = tls_version(v->v.p, v->v.n);
        r->rec.u.ssl.version.p = z ? z : v->v.p;
        r->rec.u.ssl.version.len = z ? strlen(z) : v->v.n;
    }
    return VIGIL_SKIP_NONE;
}

/* Fills the HTTP fields of an http event. */
static vigil_skip_reason fill_http(vigil_reader *r, eve *st, const char **bad)
{
    vigil_skip_reason why;
    if ((why = set_col(r, st, VIGIL__COL_HOST, "http.hostname", bad))) return why;
    if ((why = set_col(r, st, VIGIL__COL_URI, "http.url", bad))) return why;
    if ((why = set_col(r, st, VIGIL__COL_USER_AGENT, "http.http_user_agent", bad))) return why;
    if ((why = set_col(r, st, VIGIL__COL_METHOD, "http.http_method", bad))) return why;
    if ((why = set_col(r, st, VIGIL__COL_REFERRER, "http.http_refer", bad))) return why;
    if ((why = set_col(r, st, VIGIL__COL_STATUS_CODE, "http.status", bad))) return why;
    if ((why = set_col(r, st, VIGIL__COL_RESPONSE_BODY_LEN, "http.length", bad))) return why;
    return VIGIL_SKIP_NONE;
}

/* Reports the current line as skipped. */
static void skip(vigil_reader *r, eve *st, vigil_skip_reason why, const char *key,
                 const char *what)
{
    if (key) {
        snprintf(st->detail, sizeof st->detail, "%s: %s", key, what);
        vigil__reader_skip(r, why, 0, st->detail);
    } else {
        vigil__reader_skip(r, why, 0, what);
    }
}

/* Builds r->rec from the parsed event.  Returns 1 when the record is good,
 * 0 when it was skipped (and reported), -1 when out of memory. */
static int build_record(vigil_reader *r, void *user)
{
    eve *st = user;
    st->oom = 0;
    const vigil__json_member *et = get(st, "event_type");
    r->log_name[0] = 0;
    if (!et || et->v.kind != VIGIL__JSON_STRING) {
        skip(r, st, VIGIL_SKIP_UNKNOWN_LOG_TYPE, NULL, "no event_type");
        return 0;
    }
    const char *e = et->v.p;
    size_t en = et->v.n;
    int flow = eq(e, en, "flow"), netflow = eq(e, en, "netflow");
    vigil_log_type t;
    if (flow || netflow) t = vigil__reader_set_log(r, "conn", 4);
    else if (eq(e, en, "dns")) t = vigil__reader_set_log(r, "dns", 3);
    else if (eq(e, en, "tls")) t = vigil__reader_set_log(r, "ssl", 3);
    else if (eq(e, en, "http")) t = vigil__reader_set_log(r, "http", 4);
    else {
        t = vigil__reader_set_log(r, e, en);
        if (t == VIGIL_LOG_UNKNOWN) {
            skip(r, st, VIGIL_SKIP_UNKNOWN_LOG_TYPE, NULL, "event_type is not a log name");
            return 0;
        }
        t = VIGIL_LOG_OTHER; /* even if the name is one of ours ("conn") */
        r->rec.type = t;
    }
    vigil__record_reset(&r->rec, t);
    r->rec.line = r->lineno;
    const char *bad = NULL;
    vigil_skip_reason why;

    /* Time: the flow's start for flows, else the event's timestamp. */
    const char *tkey = flow ? "flow.start" : netflow ? "netflow.start" : "timestamp";
    if (!get(st, tkey)) tkey = "timestamp";
    if (!get(st, tkey)) {
        skip(r, st, vigil__json_line_find(st->jl, tkey, strlen(tkey)) ? VIGIL_SKIP_BAD_TIMESTAMP
                                                                       : VIGIL_SKIP_MISSING_FIELD,
             tkey, "no time");
        return 0;
    }
    if ((why = set_col(r, st, VIGIL__COL_TS, tkey, &bad))) goto bad_field;

    /* The connection id. */
    const vigil__json_member *fid = get(st, "flow_id");
    if (fid && fid->v.kind == VIGIL__JSON_NUMBER) {
        uint64_t u;
        if (vigil__parse_u64(fid->v.p, fid->v.n, &u)) {
            r->rec.u.conn.id.uid.p = fid->v.p;
            r->rec.u.conn.id.uid.len = fid->v.n;
        } else {
            /* Written as a float: keep its decimal integer form. */
            double dv;
            if (vigil__parse_double(fid->v.p, fid->v.n, &dv) && dv >= 0 && dv < 1.8e19) {
                int k = snprintf(st->uid, sizeof st->uid, "%" PRIu64, (uint64_t)dv);
                r->rec.u.conn.id.uid.p = st->uid;
                r->rec.u.conn.id.uid.len = (size_t)k;
            }
        }
    } else if (fid && fid->v.kind == VIGIL__JSON_STRING) {
        r->rec.u.conn.id.uid.p = fid->v.p;
        r->rec.u.conn.id.uid.len = fid->v.n;
    }
    if (t != VIGIL_LOG_OTHER) {
        if (!get(st, "src_ip") || !get(st, "dest_ip")) {
            skip(r, st, VIGIL_SKIP_MISSING_FIELD, get(st, "src_ip") ? "dest_ip" : "src_ip",
                 "absent");
            return 0;
        }
    }
    if ((why = set_col(r, st, VIGIL__COL_ORIG_H, "src_ip", &bad))) goto bad_field;
    if ((why = set_col(r, st, VIGIL__COL_RESP_H, "dest_ip", &bad))) goto bad_field;
    if (get(st, "src_port") || get(st, "dest_port")) {
        if ((why = set_col(r, st, VIGIL__COL_ORIG_P, "src_port", &bad))) goto bad_field;
        if ((why = set_col(r, st, VIGIL__COL_RESP_P, "dest_port", &bad))) goto bad_field;
    } else {
        if ((why = set_col(r, st, VIGIL__COL_ORIG_P, "icmp_type", &bad))) goto bad_field;
        if ((why = set_col(r, st, VIGIL__COL_RESP_P, "icmp_code", &bad))) goto bad_field;
    }
    if ((why = set_col(r, st, VIGIL__COL_PROTO, "proto", &bad))) goto bad_field;

    switch (t) {
    case VIGIL_LOG_CONN: why = fill_flow(r, st, netflow, &bad); break;
    case VIGIL_LOG_DNS: why = fill_dns(r, st, &bad); break;
    case VIGIL_LOG_SSL: why = fill_tls(r, st, &bad); break;
    case VIGIL_LOG_HTTP: why = fill_http(r, st, &bad); break;
    default: why = VIGIL_SKIP_NONE; break;
    }
    if (st->oom) return -1;
    if (why) goto bad_field;
    return 1;
bad_field:
    skip(r, st, why, bad, "bad value");
    return 0;
}

/* A bad line has no event_type: its skip is counted under no log. */
static void eve_before_skip(vigil_reader *r, void *user)
{
    (void)user;
    r->log_name[0] = 0;
}

static vigil_status next(vigil_reader *r, const vigil_record **out)
{
    eve *st = r->be_state;
    return vigil__json_next_record(r, st->jl, eve_before_skip, build_record, st, &st->have_record, out);
}

/* vigil_reader_field: any member of the current event by its flattened key
 * ("flow.bytes_toserver", "alert.signature"); arrays of scalars joined with
 * ','; null is "no value". */
static const char *field(const vigil_reader *r, const char *name, size_t *len)
{
    const eve *st = r->be_state;
    if (!st || !st->have_record) return NULL;
    return vigil__json_line_field(st->jl, name, len);
}

const vigil__backend vigil__backend_eve = {
    VIGIL_FORMAT_EVE, init, next, field, fini,
};
