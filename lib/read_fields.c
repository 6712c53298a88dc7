/* read_fields.c -- Zeek field names -> record fields, shared by TSV and JSON.
 *
 * Input: one field's text (already unescaped) and its column id.  Output:
 * the value stored in the vigil_record, or the reason the record is bad.
 * The field names are Zeek's own (conn.log, dns.log, ssl.log, http.log);
 * docs/readers.md lists them. */
#include <stddef.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#include "internal.h"

typedef struct col_name {
    const char *name;
    vigil__col col;
} col_name;

/* Fields every family shares. */
static const col_name common_cols[] = {
    { "ts", VIGIL__COL_TS }, { "uid", VIGIL__COL_UID },
    { "id.orig_h", VIGIL__COL_ORIG_H }, { "id.orig_p", VIGIL__COL_ORIG_P },
    { "id.resp_h", VIGIL__COL_RESP_H }, { "id.resp_p", VIGIL__COL_RESP_P },
    { NULL, 0 },
};

static const col_name conn_cols[] = {
    { "proto", VIGIL__COL_PROTO }, { "service", VIGIL__COL_SERVICE },
    { "duration", VIGIL__COL_DURATION }, { "orig_bytes", VIGIL__COL_ORIG_BYTES },
    { "resp_bytes", VIGIL__COL_RESP_BYTES }, { "conn_state", VIGIL__COL_CONN_STATE },
    { "local_orig", VIGIL__COL_LOCAL_ORIG }, { "local_resp", VIGIL__COL_LOCAL_RESP },
    { "missed_bytes", VIGIL__COL_MISSED_BYTES }, { "history", VIGIL__COL_HISTORY },
    { "orig_pkts", VIGIL__COL_ORIG_PKTS }, { "orig_ip_bytes", VIGIL__COL_ORIG_IP_BYTES },
    { "resp_pkts", VIGIL__COL_RESP_PKTS }, { "resp_ip_bytes", VIGIL__COL_RESP_IP_BYTES },
    { NULL, 0 },
};

static const col_name dns_cols[] = {
    { "proto", VIGIL__COL_PROTO }, { "trans_id", VIGIL__COL_TRANS_ID },
    { "rtt", VIGIL__COL_RTT }, { "query", VIGIL__COL_QUERY },
    { "qtype", VIGIL__COL_QTYPE }, { "qtype_name", VIGIL__COL_QTYPE_NAME },
    { "rcode", VIGIL__COL_RCODE }, { "rcode_name", VIGIL__COL_RCODE_NAME },
    { "answers", VIGIL__COL_ANSWERS }, { "TTLs", VIGIL__COL_TTLS },
    { "rejected", VIGIL__COL_REJECTED },
    { NULL, 0 },
};

static const col_name ssl_cols[] = {
    { "version", VIGIL__COL_VERSION }, { "cipher", VIGIL__COL_CIPHER },
    { "server_name", VIGIL__COL_SERVER_NAME }, { "established", VIGIL__COL_ESTABLISHED },
    { "resumed", VIGIL__COL_RESUMED }, { "subject", VIGIL__COL_SUBJECT },
    { "issuer", VIGIL__COL_ISSUER }, { "ja3", VIGIL__COL_JA3 }, { "ja3s", VIGIL__COL_JA3S },
    { NULL, 0 },
};

static const col_name http_cols[] = {
    { "method", VIGIL__COL_METHOD }, { "host", VIGIL__COL_HOST },
    { "uri", VIGIL__COL_URI }, { "referrer", VIGIL__COL_REFERRER },
    { "user_agent", VIGIL__COL_USER_AGENT }, { "status_code", VIGIL__COL_STATUS_CODE },
    { "request_body_len", VIGIL__COL_REQUEST_BODY_LEN },
    { "response_body_len", VIGIL__COL_RESPONSE_BODY_LEN },
    { "resp_mime_types", VIGIL__COL_RESP_MIME_TYPES },
    { NULL, 0 },
};

static vigil__col find(const col_name *t, const char *name, size_t len)
{
    for (; t->name; t++)
        if (strlen(t->name) == len && memcmp(t->name, name, len) == 0) return t->col;
    return VIGIL__COL_IGNORE;
}

vigil__col vigil__col_lookup(vigil_log_type t, const char *name, size_t len)
{
    vigil__col c = find(common_cols, name, len);
    if (c != VIGIL__COL_IGNORE) return c;
    switch (t) {
    case VIGIL_LOG_CONN: return find(conn_cols, name, len);
    case VIGIL_LOG_DNS: return find(dns_cols, name, len);
    case VIGIL_LOG_SSL: return find(ssl_cols, name, len);
    case VIGIL_LOG_HTTP: return find(http_cols, name, len);
    default: return VIGIL__COL_IGNORE;
    }
}

/* What kind of value a column holds, for #types checking. */
typedef enum { K_FREE, K_TIME, K_ADDR, K_PORT, K_COUNT, K_INTERVAL, K_BOOL, K_TEXT, K_LIST } kind;

static kind col_kind(vigil__col c)
{
    switch (c) {
    case VIGIL__COL_TS: return K_TIME;
    case VIGIL__COL_ORIG_H: case VIGIL__COL_RESP_H: return K_ADDR;
    case VIGIL__COL_ORIG_P: case VIGIL__COL_RESP_P: return K_PORT;
    case VIGIL__COL_ORIG_BYTES: case VIGIL__COL_RESP_BYTES: case VIGIL__COL_MISSED_BYTES:
    case VIGIL__COL_ORIG_PKTS: case VIGIL__COL_ORIG_IP_BYTES: case VIGIL__COL_RESP_PKTS:
    case VIGIL__COL_RESP_IP_BYTES: case VIGIL__COL_TRANS_ID: case VIGIL__COL_QTYPE:
    case VIGIL__COL_RCODE: case VIGIL__COL_STATUS_CODE: case VIGIL__COL_REQUEST_BODY_LEN:
    case VIGIL__COL_RESPONSE_BODY_LEN:
        return K_COUNT;
    case VIGIL__COL_DURATION: case VIGIL__COL_RTT: return K_INTERVAL;
    case VIGIL__COL_LOCAL_ORIG: case VIGIL__COL_LOCAL_RESP: case VIGIL__COL_REJECTED:
    case VIGIL__COL_ESTABLISHED: case VIGIL__COL_RESUMED:
        return K_BOOL;
    case VIGIL__COL_ANSWERS: case VIGIL__COL_TTLS: case VIGIL__COL_RESP_MIME_TYPES:
        return K_LIST;
    case VIGIL__COL_IGNORE: return K_FREE;
    default: return K_TEXT;
    }
}

static int eq(const char *s, size_t n, const char *lit)
{
    return strlen(lit) == n && memcmp(s, lit, n) == 0;
}

int vigil__zeek_type_known(const char *t, size_t n)
{
    static const char *const atoms[] = {
        "bool", "count", "int", "double", "time", "interval", "string",
        "pattern", "port", "addr", "subnet", "enum", "any", "file", "func",
        "opaque", "record", NULL,
    };
    for (size_t i = 0; atoms[i]; i++)
        if (eq(t, n, atoms[i])) return 1;
    /* Containers: set[T], vector[T], table[T] with a known element type. */
    const char *ob = memchr(t, '[', n);
    if (ob && n >= 2 && t[n - 1] == ']') {
        size_t head = (size_t)(ob - t);
        if (eq(t, head, "set") || eq(t, head, "vector") || eq(t, head, "table"))
            return vigil__zeek_type_known(ob + 1, n - head - 2);
    }
    return 0;
}

int vigil__col_type_ok(vigil__col c, const char *t, size_t n)
{
    switch (col_kind(c)) {
    case K_FREE: return 1;
    case K_TIME: return eq(t, n, "time") || eq(t, n, "double");
    case K_ADDR: return eq(t, n, "addr");
    case K_PORT: return eq(t, n, "port") || eq(t, n, "count");
    case K_COUNT: return eq(t, n, "count") || eq(t, n, "int");
    case K_INTERVAL: return eq(t, n, "interval") || eq(t, n, "double");
    case K_BOOL: return eq(t, n, "bool");
    case K_TEXT: return eq(t, n, "string") || eq(t, n, "enum");
    case K_LIST:
        return (n > 4 && (memcmp(t, "set[", 4) == 0 || memcmp(t, "vector[", 7) == 0)) ||
               eq(t, n, "string");
    }
    return 0;
}

void vigil__record_reset(vigil_record *rec, vigil_log_type t)
{
#if defined(__SSE2__)
    /* Once per dns, ssl and http line.  Written out as 16-byte stores:
     * for a memset (or a loop) of this constant size gcc emits `rep
     * stosq`, whose start-up cost made this function 1.3-1.9% of hunt's
     * and stats' samples (perf annotate: all of it on the instruction
     * after the rep). */
    _Static_assert(sizeof rec->u >= 16 && sizeof rec->u <= 256, "record_reset: 16-byte stores");
    unsigned char *u = (unsigned char *)&rec->u;
    const __m128i z = _mm_setzero_si128();
#define Z16(k) \
    if (16 * (k) + 16 <= sizeof rec->u) _mm_storeu_si128((__m128i *)(void *)(u + 16 * (k)), z)
    Z16(0); Z16(1); Z16(2); Z16(3); Z16(4); Z16(5); Z16(6); Z16(7);
    Z16(8); Z16(9); Z16(10); Z16(11); Z16(12); Z16(13); Z16(14); Z16(15);
#undef Z16
    /* The tail: one more store, overlapping the last whole one. */
    if (sizeof rec->u % 16) _mm_storeu_si128((__m128i *)(void *)(u + sizeof rec->u - 16), z);
#else
    memset(&rec->u, 0, sizeof rec->u);
#endif
    rec->ts = 0;
    switch (t) {
    case VIGIL_LOG_CONN:
        rec->u.conn.local_orig = VIGIL_UNSET;
        rec->u.conn.local_resp = VIGIL_UNSET;
        break;
    case VIGIL_LOG_DNS:
        rec->u.dns.rejected = VIGIL_UNSET;
        rec->u.dns.rcode = -1;
        rec->u.dns.trans_id = -1;
        rec->u.dns.rtt = -1;
        rec->u.dns.set_sep = ',';
        break;
    case VIGIL_LOG_SSL:
        rec->u.ssl.established = VIGIL_UNSET;
        rec->u.ssl.resumed = VIGIL_UNSET;
        break;
    case VIGIL_LOG_HTTP:
        rec->u.http.status_code = -1;
        break;
    default:
        break;
    }
}

static int parse_bool(const char *p, size_t n, int8_t *out)
{
    if (n == 1 && (p[0] == 'T' || p[0] == 't')) { *out = VIGIL_TRUE; return 1; }
    if (n == 1 && (p[0] == 'F' || p[0] == 'f')) { *out = VIGIL_FALSE; return 1; }
    if (eq(p, n, "true")) { *out = VIGIL_TRUE; return 1; }
    if (eq(p, n, "false")) { *out = VIGIL_FALSE; return 1; }
    return 0;
}

static uint8_t parse_proto(const char *p, size_t n)
{
    if (n == 3) {
        char a = (char)(p[0] | 0x20), b = (char)(p[1] | 0x20), c = (char)(p[2] | 0x20);
        if (a == 't' && b == 'c' && c == 'p') return VIGIL_PROTO_TCP;
        if (a == 'u' && b == 'd' && c == 'p') return VIGIL_PROTO_UDP;
    }
    if (eq(p, n, "icmp") || eq(p, n, "ICMP") || eq(p, n, "IPv6-ICMP") || eq(p, n, "icmp6"))
        return VIGIL_PROTO_ICMP;
    return VIGIL_PROTO_UNKNOWN;
}

static uint8_t parse_conn_state(const char *p, size_t n)
{
    /* The common states first, without a table walk (hot path). */
    if (n == 2) {
        if (p[0] == 'S' && p[1] == 'F') return VIGIL_CS_SF;
        if (p[0] == 'S' && p[1] == '0') return VIGIL_CS_S0;
        if (p[0] == 'S' && p[1] == '1') return VIGIL_CS_S1;
    } else if (n == 3 && p[0] == 'R' && p[1] == 'E' && p[2] == 'J') {
        return VIGIL_CS_REJ;
    } else if (n == 3 && p[0] == 'O' && p[1] == 'T' && p[2] == 'H') {
        return VIGIL_CS_OTH;
    }
    for (int s = 1; s < VIGIL_CS__COUNT; s++)
        if (eq(p, n, vigil_conn_state_name((vigil_conn_state)s))) return (uint8_t)s;
    return VIGIL_CS_UNSET;
}

/* Parses a count, storing it and setting `bit` in conn.present. */
#define COUNT_FIELD(field, bit) do { \
    if (unset) return VIGIL_SKIP_NONE; \
    if (!vigil__parse_u64(p, n, &rec->u.conn.field)) { \
        double d_; /* Zeek JSON may write counts as 12.0 */ \
        if (!vigil__parse_double(p, n, &d_) || d_ < 0 || d_ > 1.8e19) return VIGIL_SKIP_BAD_NUMBER; \
        rec->u.conn.field = (uint64_t)d_; } \
    rec->u.conn.present |= (bit); return VIGIL_SKIP_NONE; } while (0)

vigil_skip_reason vigil__record_set(vigil_record *rec, vigil__col c, const char *p,
                                    size_t n, int unset, int empty)
{
    vigil_conn_id *id = &rec->u.conn.id; /* every family starts with the id */
    vigil_str s = { unset ? NULL : (p ? p : ""), unset ? 0 : (empty ? 0 : n) };
    uint64_t u;
    switch (c) {
    case VIGIL__COL_IGNORE:
        return VIGIL_SKIP_NONE;
    case VIGIL__COL_TS:
        if (unset || empty || !vigil__parse_time(p, n, &id->ts)) return VIGIL_SKIP_BAD_TIMESTAMP;
        rec->ts = id->ts;
        return VIGIL_SKIP_NONE;
    case VIGIL__COL_UID: id->uid = s; return VIGIL_SKIP_NONE;
    case VIGIL__COL_ORIG_H:
    case VIGIL__COL_RESP_H: {
        vigil_addr *a = c == VIGIL__COL_ORIG_H ? &id->orig_h : &id->resp_h;
        if (unset || empty) {
            if (rec->type == VIGIL_LOG_OTHER) return VIGIL_SKIP_NONE;
            return VIGIL_SKIP_MISSING_FIELD;
        }
        return vigil_addr_parse(p, n, a) ? VIGIL_SKIP_NONE : VIGIL_SKIP_BAD_ADDRESS;
    }
    case VIGIL__COL_ORIG_P:
    case VIGIL__COL_RESP_P:
        if (unset || empty) return VIGIL_SKIP_NONE;
        if (!vigil__parse_u64(p, n, &u) || u > 65535) return VIGIL_SKIP_BAD_PORT;
        if (c == VIGIL__COL_ORIG_P) id->orig_p = (uint16_t)u; else id->resp_p = (uint16_t)u;
        return VIGIL_SKIP_NONE;
    case VIGIL__COL_PROTO:
        if (unset) return VIGIL_SKIP_NONE;
        if (rec->type == VIGIL_LOG_CONN) rec->u.conn.proto = parse_proto(p, n);
        else if (rec->type == VIGIL_LOG_DNS) rec->u.dns.proto = parse_proto(p, n);
        return VIGIL_SKIP_NONE;
    /* conn */
    case VIGIL__COL_SERVICE: rec->u.conn.service = s; return VIGIL_SKIP_NONE;
    case VIGIL__COL_HISTORY: rec->u.conn.history = s; return VIGIL_SKIP_NONE;
    case VIGIL__COL_DURATION:
        if (unset) return VIGIL_SKIP_NONE;
        if (!vigil__parse_double(p, n, &rec->u.conn.duration) || rec->u.conn.duration < 0)
            return VIGIL_SKIP_BAD_NUMBER;
        rec->u.conn.present |= VIGIL_CONN_HAS_DURATION;
        return VIGIL_SKIP_NONE;
    case VIGIL__COL_ORIG_BYTES: COUNT_FIELD(orig_bytes, VIGIL_CONN_HAS_ORIG_BYTES);
    case VIGIL__COL_RESP_BYTES: COUNT_FIELD(resp_bytes, VIGIL_CONN_HAS_RESP_BYTES);
    case VIGIL__COL_MISSED_BYTES: COUNT_FIELD(missed_bytes, VIGIL_CONN_HAS_MISSED_BYTES);
    case VIGIL__COL_ORIG_PKTS: COUNT_FIELD(orig_pkts, VIGIL_CONN_HAS_ORIG_PKTS);
    case VIGIL__COL_ORIG_IP_BYTES: COUNT_FIELD(orig_ip_bytes, VIGIL_CONN_HAS_ORIG_IP_BYTES);
    case VIGIL__COL_RESP_PKTS: COUNT_FIELD(resp_pkts, VIGIL_CONN_HAS_RESP_PKTS);
    case VIGIL__COL_RESP_IP_BYTES: COUNT_FIELD(resp_ip_bytes, VIGIL_CONN_HAS_RESP_IP_BYTES);
    case VIGIL__COL_CONN_STATE:
        if (!unset) rec->u.conn.conn_state = parse_conn_state(p, n);
        return VIGIL_SKIP_NONE;
    case VIGIL__COL_LOCAL_ORIG:
    case VIGIL__COL_LOCAL_RESP: {
        int8_t *b = c == VIGIL__COL_LOCAL_ORIG ? &rec->u.conn.local_orig : &rec->u.conn.local_resp;
        if (unset) return VIGIL_SKIP_NONE;
        return parse_bool(p, n, b) ? VIGIL_SKIP_NONE : VIGIL_SKIP_BAD_NUMBER;
    }
    /* dns */
    case VIGIL__COL_TRANS_ID:
        if (unset) return VIGIL_SKIP_NONE;
        if (!vigil__parse_u64(p, n, &u) || u > INT32_MAX) return VIGIL_SKIP_BAD_NUMBER;
        rec->u.dns.trans_id = (int32_t)u;
        return VIGIL_SKIP_NONE;
    case VIGIL__COL_RTT:
        if (unset) return VIGIL_SKIP_NONE;
        return vigil__parse_double(p, n, &rec->u.dns.rtt) ? VIGIL_SKIP_NONE : VIGIL_SKIP_BAD_NUMBER;
    case VIGIL__COL_QUERY: rec->u.dns.query = s; return VIGIL_SKIP_NONE;
    case VIGIL__COL_QTYPE:
        if (unset) return VIGIL_SKIP_NONE;
        if (!vigil__parse_u64(p, n, &u) || u > 65535) return VIGIL_SKIP_BAD_NUMBER;
        rec->u.dns.qtype = (uint16_t)u;
        return VIGIL_SKIP_NONE;
    case VIGIL__COL_QTYPE_NAME: rec->u.dns.qtype_name = s; return VIGIL_SKIP_NONE;
    case VIGIL__COL_RCODE:
        if (unset) return VIGIL_SKIP_NONE;
        if (!vigil__parse_u64(p, n, &u) || u > 65535) return VIGIL_SKIP_BAD_NUMBER;
        rec->u.dns.rcode = (int32_t)u;
        return VIGIL_SKIP_NONE;
    case VIGIL__COL_RCODE_NAME: rec->u.dns.rcode_name = s; return VIGIL_SKIP_NONE;
    case VIGIL__COL_ANSWERS: rec->u.dns.answers = s; return VIGIL_SKIP_NONE;
    case VIGIL__COL_TTLS: rec->u.dns.ttls = s; return VIGIL_SKIP_NONE;
    case VIGIL__COL_REJECTED:
        if (unset) return VIGIL_SKIP_NONE;
        return parse_bool(p, n, &rec->u.dns.rejected) ? VIGIL_SKIP_NONE : VIGIL_SKIP_BAD_NUMBER;
    /* ssl */
    case VIGIL__COL_VERSION: rec->u.ssl.version = s; return VIGIL_SKIP_NONE;
    case VIGIL__COL_CIPHER: rec->u.ssl.cipher = s; return VIGIL_SKIP_NONE;
    case VIGIL__COL_SERVER_NAME: rec->u.ssl.server_name = s; return VIGIL_SKIP_NONE;
    case VIGIL__COL_SUBJECT: rec->u.ssl.subject = s; return VIGIL_SKIP_NONE;
    case VIGIL__COL_ISSUER: rec->u.ssl.issuer = s; return VIGIL_SKIP_NONE;
    case VIGIL__COL_JA3: rec->u.ssl.ja3 = s; return VIGIL_SKIP_NONE;
    case VIGIL__COL_JA3S: rec->u.ssl.ja3s = s; return VIGIL_SKIP_NONE;
    case VIGIL__COL_ESTABLISHED:
    case VIGIL__COL_RESUMED: {
        int8_t *b = c == VIGIL__COL_ESTABLISHED ? &rec->u.ssl.established : &rec->u.ssl.resumed;
        if (unset) return VIGIL_SKIP_NONE;
        return parse_bool(p, n, b) ? VIGIL_SKIP_NONE : VIGIL_SKIP_BAD_NUMBER;
    }
    /* http */
    case VIGIL__COL_METHOD: rec->u.http.method = s; return VIGIL_SKIP_NONE;
    case VIGIL__COL_HOST: rec->u.http.host = s; return VIGIL_SKIP_NONE;
    case VIGIL__COL_URI: rec->u.http.uri = s; return VIGIL_SKIP_NONE;
    case VIGIL__COL_REFERRER: rec->u.http.referrer = s; return VIGIL_SKIP_NONE;
    case VIGIL__COL_USER_AGENT: rec->u.http.user_agent = s; return VIGIL_SKIP_NONE;
    case VIGIL__COL_RESP_MIME_TYPES: rec->u.http.resp_mime_types = s; return VIGIL_SKIP_NONE;
    case VIGIL__COL_STATUS_CODE:
        if (unset) return VIGIL_SKIP_NONE;
        if (!vigil__parse_u64(p, n, &u) || u > 999) return VIGIL_SKIP_BAD_NUMBER;
        rec->u.http.status_code = (int32_t)u;
        return VIGIL_SKIP_NONE;
    case VIGIL__COL_REQUEST_BODY_LEN:
    case VIGIL__COL_RESPONSE_BODY_LEN: {
        uint64_t *d = c == VIGIL__COL_REQUEST_BODY_LEN ? &rec->u.http.request_body_len
                                                      : &rec->u.http.response_body_len;
        if (unset) return VIGIL_SKIP_NONE;
        return vigil__parse_u64(p, n, d) ? VIGIL_SKIP_NONE : VIGIL_SKIP_BAD_NUMBER;
    }
    case VIGIL__COL__COUNT:
        break;
    }
    return VIGIL_SKIP_NONE;
}

vigil_skip_reason vigil__record_finish(vigil_record *rec, const char **why)
{
    (void)rec;
    *why = NULL;
    return VIGIL_SKIP_NONE;
}

#define OFF(member) ((uint16_t)offsetof(vigil_record, member))

void vigil__col_fast(vigil_log_type t, vigil__col c, vigil__fast_col *out)
{
    out->kind = VIGIL__FAST_GENERIC;
    out->bit = 0;
    out->offset = 0;
    /* The id fields sit at the same offsets in every family's struct. */
    switch (c) {
    case VIGIL__COL_TS: out->kind = VIGIL__FAST_TS; return;
    case VIGIL__COL_UID: out->kind = VIGIL__FAST_STR; out->offset = OFF(u.conn.id.uid); return;
    case VIGIL__COL_ORIG_P: out->kind = VIGIL__FAST_PORT; out->offset = OFF(u.conn.id.orig_p); return;
    case VIGIL__COL_RESP_P: out->kind = VIGIL__FAST_PORT; out->offset = OFF(u.conn.id.resp_p); return;
    case VIGIL__COL_ORIG_H:
    case VIGIL__COL_RESP_H:
        if (t == VIGIL_LOG_OTHER) return; /* unset allowed: generic path */
        out->kind = VIGIL__FAST_ADDR;
        out->offset = c == VIGIL__COL_ORIG_H ? OFF(u.conn.id.orig_h) : OFF(u.conn.id.resp_h);
        return;
    default:
        break;
    }
    if (t != VIGIL_LOG_CONN) return;
    switch (c) {
    case VIGIL__COL_DURATION:
        out->kind = VIGIL__FAST_INTERVAL;
        out->offset = OFF(u.conn.duration);
        out->bit = (uint8_t)__builtin_ctz(VIGIL_CONN_HAS_DURATION);
        return;
    case VIGIL__COL_SERVICE: out->kind = VIGIL__FAST_STR; out->offset = OFF(u.conn.service); return;
    case VIGIL__COL_HISTORY: out->kind = VIGIL__FAST_STR; out->offset = OFF(u.conn.history); return;
#define CNT(col, member, b) case col: out->kind = VIGIL__FAST_COUNT; out->offset = OFF(u.conn.member); \
        out->bit = (uint8_t)__builtin_ctz(b); return;
    CNT(VIGIL__COL_ORIG_BYTES, orig_bytes, VIGIL_CONN_HAS_ORIG_BYTES)
    CNT(VIGIL__COL_RESP_BYTES, resp_bytes, VIGIL_CONN_HAS_RESP_BYTES)
    CNT(VIGIL__COL_MISSED_BYTES, missed_bytes, VIGIL_CONN_HAS_MISSED_BYTES)
    CNT(VIGIL__COL_ORIG_PKTS, orig_pkts, VIGIL_CONN_HAS_ORIG_PKTS)
    CNT(VIGIL__COL_ORIG_IP_BYTES, orig_ip_bytes, VIGIL_CONN_HAS_ORIG_IP_BYTES)
    CNT(VIGIL__COL_RESP_PKTS, resp_pkts, VIGIL_CONN_HAS_RESP_PKTS)
    CNT(VIGIL__COL_RESP_IP_BYTES, resp_ip_bytes, VIGIL_CONN_HAS_RESP_IP_BYTES)
#undef CNT
    default:
        return;
    }
}
