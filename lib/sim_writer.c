/* sim_writer.c -- writes simulated hours as Zeek logs (TSV or JSON), gzipped.
 *
 * Input: one hour of vigil__sim_row values in end-time order (sim_run.c).
 * Output: Zeek's archive layout, DIR/zeek/YYYY-MM-DD/conn.HH:00:00-HH:00:00
 * .log.gz and dns/ssl/http likewise (a file only when the hour has such
 * records; conn always), exactly as Zeek 2.6 writes them: the eight header
 * lines, tab-separated fields with \xHH escapes, '-' for unset and
 * "(empty)" for empty, time and interval values with six decimals, and a
 * #close line; or Zeek JSON, one object per line, unset fields left out.
 *
 * This is the generator's hot path: it must write at least 1M conn records
 * per second per core, gzip included, so a benchmark is never waiting for
 * it.  So numbers are formatted by hand (two digits per table lookup), never
 * with printf per field (printf costs more than all the rest of a record);
 * IPv4 addresses come from a per-writer table of octet texts; strings are
 * measured once, copied with memcpy and checked for bytes that need
 * escaping eight at a time; each record function is compiled twice, once
 * per format, so the TSV path carries no JSON branches; text goes into one
 * large buffer, and the buffer is compressed in big blocks with ISA-L's
 * igzip at level 1 (several times faster than zlib's fastest level).
 * Output is deterministic: #open/#close come from the simulated hour, and
 * the gzip header's mtime is 0. */
#include <stdio.h>
#include <string.h>
#include <isa-l/igzip_lib.h>
#include "sim.h"

#define TEXT_CAP (1u << 20) /* uncompressed text staged before deflate */
#define ZOUT_CAP (1u << 20) /* compressed bytes per fwrite */
#define LINE_FIXED 768      /* bytes a record needs besides its strings */
/* igzip level-1 work area.  Measured on these logs (1.7 MB hourly files):
 * the extra-large area and smaller hash windows (hist_bits) were no faster
 * than the default within the noise of a shared machine (~380-500 MB/s of
 * text either way), so the default stays and the .gz bytes stay as they
 * were. */
#define LEVEL_BUF_SIZE ISAL_DEF_LVL1_DEFAULT

/* Forced inlining: each record function is written once for both formats
 * and instantiated per format with a constant `json`, which only folds
 * away when everything down to the field helpers is inlined. */
#if defined(__GNUC__) || defined(__clang__)
#define HOT static inline __attribute__((always_inline))
#else
#define HOT static inline
#endif

struct vigil__sim_writer {
    vigil_allocator alloc;       /* owns the buffers */
    vigil__sim_out out;          /* output options (dir borrowed) */
    char *text;                  /* staged text of the current file */
    size_t text_len, text_cap;   /* bytes staged / capacity */
    unsigned char *zout;         /* compressed output buffer, ZOUT_CAP */
    unsigned char *level_buf;    /* igzip level-1 work area */
    struct isal_zstream zs;      /* compressor state of the current file */
    FILE *f;                     /* the file being written, or NULL */
    uint64_t file_bytes;         /* bytes written to it so far */
    int failed;                  /* an I/O error happened in this file */
    uint32_t *app_rows;          /* per app log, the hour's row indexes that
                                    carry such a record: 3 lists of
                                    app_cap entries (one pass, not a scan
                                    of every row per log) */
    size_t app_cap;              /* entries per list */
    char octet[256][4];          /* "0." .. "255.", the text of each IPv4
                                    octet followed by a dot */
    uint8_t octet_len[256];      /* bytes of each, dot included */
};

/* Two decimal digits per entry: "00" .. "99". */
static const char digits2[201] =
    "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
    "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
    "8081828384858687888990919293949596979899";

/* ---- number and string formatting ------------------------------------------- */

HOT char *put_u64(char *p, uint64_t v)
{
    if (v < 10) {                /* flags, small counts: most numbers */
        *p = (char)('0' + v);
        return p + 1;
    }
    char tmp[24];
    char *e = tmp + sizeof tmp, *q = e;
    while (v >= 100) {
        unsigned r = (unsigned)(v % 100);
        v /= 100;
        q -= 2;
        memcpy(q, digits2 + 2 * r, 2);
    }
    if (v >= 10) {
        q -= 2;
        memcpy(q, digits2 + 2 * v, 2);
    } else {
        *--q = (char)('0' + v);
    }
    memcpy(p, q, (size_t)(e - q));
    return p + (e - q);
}

/* Microseconds as seconds with exactly six decimals (Zeek's %.6f). */
HOT char *put_us(char *p, int64_t us)
{
    if (us < 0) {
        *p++ = '-';
        us = -us;
    }
    uint64_t s = (uint64_t)us / 1000000, f = (uint64_t)us % 1000000;
    p = put_u64(p, s);
    *p++ = '.';
    unsigned hi = (unsigned)(f / 10000), lo = (unsigned)(f % 10000);
    memcpy(p, digits2 + 2 * hi, 2);
    memcpy(p + 2, digits2 + 2 * (lo / 100), 2);
    memcpy(p + 4, digits2 + 2 * (lo % 100), 2);
    return p + 6;
}

/* The same for JSON, as Zeek's JSON writer prints doubles: trailing zeros
 * dropped, at least one decimal ("3.0", "1515370816.08123"). */
HOT char *put_us_json(char *p, int64_t us)
{
    p = put_us(p, us);
    while (p[-1] == '0' && p[-2] != '.') p--;
    return p;
}

/* An address: IPv4 as four table copies of "octet." (4 bytes stored, the
 * text's length kept; the last dot is dropped), else vigil_addr_format.
 * Writes up to 3 bytes past the text (records reserve LINE_FIXED). */
HOT char *put_addr(char *p, const vigil__sim_writer *wr, const vigil_addr *a)
{
    static const uint8_t v4pre[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
    if (memcmp(a->b, v4pre, 12) == 0) {
        for (int i = 12; i < 16; i++) {
            memcpy(p, wr->octet[a->b[i]], 4);
            p += wr->octet_len[a->b[i]];
        }
        return p - 1;
    }
    char buf[VIGIL_ADDR_STRLEN];
    size_t n = strlen(vigil_addr_format(a, buf));
    memcpy(p, buf, n);
    return p + n;
}

HOT char *put_lit(char *p, const char *s, size_t n)
{
    memcpy(p, s, n);
    return p + n;
}
#define LIT(p, s) put_lit((p), (s), sizeof(s) - 1)

static const char hexd[] = "0123456789abcdef";

/* Eight bytes at a time (SWAR): nonzero when some byte of w is below 0x20,
 * at or above 0x7f, or equals `q` (repeated in each byte).  Each test is
 * exact for "some byte": a borrow or carry only ever spills above a byte
 * that matched already. */
#define ONES 0x0101010101010101ULL
#define HIGH 0x8080808080808080ULL
HOT uint64_t swar_ctl_or_high(uint64_t w)
{
    return ((w - ONES * 0x20) & ~w & HIGH) | (((w + ONES) | w) & HIGH);
}
HOT uint64_t swar_has(uint64_t w, unsigned char q)
{
    uint64_t x = w ^ (ONES * q);
    return (x - ONES) & ~x & HIGH;
}

/* 1 when none of s[0..n) needs a TSV escape: printable ASCII, no '\\'. */
HOT int tsv_plain(const char *s, size_t n)
{
    size_t i = 0;
    uint64_t bad = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, s + i, 8);
        bad |= swar_ctl_or_high(w) | swar_has(w, '\\');
    }
    for (; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        bad |= c < 0x20 || c >= 0x7f || c == '\\';
    }
    return bad == 0;
}

/* 1 when none of s[0..n) needs a JSON escape: no control byte, '"', '\\'
 * (bytes >= 0x80 pass through as they are). */
HOT int json_plain(const char *s, size_t n)
{
    size_t i = 0;
    uint64_t bad = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, s + i, 8);
        bad |= ((w - ONES * 0x20) & ~w & HIGH) | swar_has(w, '\\') | swar_has(w, '"');
    }
    for (; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        bad |= c < 0x20 || c == '"' || c == '\\';
    }
    return bad == 0;
}

/* The TSV escape of s[0..n): the separator, backslash and non-printable
 * bytes as \xHH (backslash as \\); no marker handling. */
static char *put_tsv_bytes(char *p, const char *s, size_t n)
{
    if (tsv_plain(s, n)) return put_lit(p, s, n);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c < 0x7f && c != '\\') {
            *p++ = (char)c;
        } else if (c == '\\') {
            *p++ = '\\';
            *p++ = '\\';
        } else {
            *p++ = '\\';
            *p++ = 'x';
            *p++ = hexd[c >> 4];
            *p++ = hexd[c & 15];
        }
    }
    return p;
}

/* A TSV string field: '-' when NULL, "(empty)" when "", bytes escaped as
 * put_tsv_bytes does, and a value that would read as a marker with its
 * first byte escaped.  In a set the ',' between elements is kept: callers
 * pass the joined elements. */
HOT char *put_tsv_str(char *p, const char *s)
{
    if (!s) {
        *p++ = '-';
        return p;
    }
    size_t n = strlen(s);
    if (n == 0) return LIT(p, "(empty)");
    if (n == 1 && s[0] == '-') return LIT(p, "\\x2d");
    if (n == 7 && memcmp(s, "(empty)", 7) == 0) return LIT(p, "\\x28empty)");
    return put_tsv_bytes(p, s, n);
}

/* A JSON string value with its quotes, from s[0..n). */
static char *put_json_strn(char *p, const char *s, size_t n)
{
    *p++ = '"';
    if (json_plain(s, n)) {
        p = put_lit(p, s, n);
    } else {
        for (size_t i = 0; i < n; i++) {
            unsigned char c = (unsigned char)s[i];
            if (c == '"' || c == '\\') {
                *p++ = '\\';
                *p++ = (char)c;
            } else if (c < 0x20) {
                p = LIT(p, "\\u00");
                *p++ = hexd[c >> 4];
                *p++ = hexd[c & 15];
            } else {
                *p++ = (char)c;
            }
        }
    }
    *p++ = '"';
    return p;
}

HOT char *put_json_str(char *p, const char *s)
{
    return put_json_strn(p, s, strlen(s));
}

/* Worst-case bytes a string takes once escaped. */
static size_t esc_len(const char *s)
{
    return s ? 6 * strlen(s) + 10 : 1;
}

/* ---- one record being built ------------------------------------------------------ */

/* A record under construction: TSV fields or JSON members in order.  Each
 * helper writes the separator (or key) itself, so a record is a flat list
 * of calls, the same for both formats.  `json` is always a constant at
 * the call (see HOT). */
typedef struct rec {
    char *p;                     /* write position */
    int first;                   /* no field written yet */
    const vigil__sim_writer *wr; /* octet table */
} rec;

HOT void key(rec *r, int json, const char *k, size_t kn)
{
    if (json) {
        *r->p++ = r->first ? '{' : ',';
        *r->p++ = '"';
        r->p = put_lit(r->p, k, kn);
        *r->p++ = '"';
        *r->p++ = ':';
    } else if (!r->first) {
        *r->p++ = '\t';
    }
    r->first = 0;
}
#define K(r, k) key((r), json, (k), sizeof(k) - 1)

/* Unset: '-' in TSV, left out in JSON. */
HOT void f_unset(rec *r, int json, const char *k, size_t kn)
{
    if (json) return;
    key(r, json, k, kn);
    *r->p++ = '-';
}
#define F_UNSET(r, k) f_unset((r), json, (k), sizeof(k) - 1)

HOT void f_str(rec *r, int json, const char *k, size_t kn, const char *s)
{
    if (!s) {
        f_unset(r, json, k, kn);
        return;
    }
    key(r, json, k, kn);
    r->p = json ? put_json_str(r->p, s) : put_tsv_str(r->p, s);
}
#define F_STR(r, k, s) f_str((r), json, (k), sizeof(k) - 1, (s))

/* A string known to need no escape and not to be a marker (uids, names
 * from fixed tables), of length n. */
HOT void f_clean(rec *r, int json, const char *k, size_t kn, const char *s, size_t n)
{
    key(r, json, k, kn);
    if (json) *r->p++ = '"';
    r->p = put_lit(r->p, s, n);
    if (json) *r->p++ = '"';
}
#define F_CLEAN(r, k, s, n) f_clean((r), json, (k), sizeof(k) - 1, (s), (n))
#define F_CLIT(r, k, s) f_clean((r), json, (k), sizeof(k) - 1, (s), sizeof(s) - 1)

HOT void f_u64(rec *r, int json, const char *k, size_t kn, uint64_t v)
{
    key(r, json, k, kn);
    r->p = put_u64(r->p, v);
}
#define F_U64(r, k, v) f_u64((r), json, (k), sizeof(k) - 1, (v))

HOT void f_time(rec *r, int json, const char *k, size_t kn, int64_t us)
{
    key(r, json, k, kn);
    r->p = json ? put_us_json(r->p, us) : put_us(r->p, us);
}
#define F_TIME(r, k, us) f_time((r), json, (k), sizeof(k) - 1, (us))

HOT void f_bool(rec *r, int json, const char *k, size_t kn, int b)
{
    key(r, json, k, kn);
    if (json) r->p = b ? LIT(r->p, "true") : LIT(r->p, "false");
    else *r->p++ = b ? 'T' : 'F';
}
#define F_BOOL(r, k, b) f_bool((r), json, (k), sizeof(k) - 1, (b))

HOT void f_addr(rec *r, int json, const char *k, size_t kn, const vigil_addr *a)
{
    key(r, json, k, kn);
    if (json) *r->p++ = '"';
    r->p = put_addr(r->p, r->wr, a);
    if (json) *r->p++ = '"';
}
#define F_ADDR(r, k, a) f_addr((r), json, (k), sizeof(k) - 1, (a))

/* A JSON array of the comma-separated elements of `joined` (each element
 * at most 511 bytes, as Zeek's own limit for these values). */
static char *put_json_list(char *p, const char *joined)
{
    *p++ = '[';
    const char *s = joined;
    for (;;) {
        const char *e = strchr(s, ',');
        size_t n = e ? (size_t)(e - s) : strlen(s);
        p = put_json_strn(p, s, n < 511 ? n : 511);
        if (!e) break;
        *p++ = ',';
        s = e + 1;
    }
    *p++ = ']';
    return p;
}

/* A set/vector of strings given as one comma-joined C string; "" or NULL
 * with `empty_if_null` is the empty container ("(empty)" / []). */
HOT void f_list(rec *r, int json, const char *k, size_t kn, const char *joined,
                int empty_if_null)
{
    if (!joined && !empty_if_null) {
        f_unset(r, json, k, kn);
        return;
    }
    key(r, json, k, kn);
    if (!joined || !*joined) {
        r->p = json ? LIT(r->p, "[]") : LIT(r->p, "(empty)");
        return;
    }
    /* TSV: elements are escaped like strings; the ',' between them stays. */
    r->p = json ? put_json_list(r->p, joined) : put_tsv_bytes(r->p, joined, strlen(joined));
}
#define F_LIST(r, k, s, e) f_list((r), json, (k), sizeof(k) - 1, (s), (e))

HOT void rec_end(rec *r, int json)
{
    if (json) *r->p++ = '}';
    *r->p++ = '\n';
}

/* ---- files --------------------------------------------------------------------------- */

vigil_status vigil__sim_writer_new(vigil__sim_writer **out, const vigil__sim_out *o,
                                   const vigil_allocator *alloc)
{
    *out = NULL;
    vigil_allocator a;
    vigil__alloc_init(&a, alloc);
    vigil__sim_writer *wr = vigil__calloc(&a, 1, sizeof *wr);
    if (!wr) return VIGIL_ENOMEM;
    wr->alloc = a;
    wr->out = *o;
    wr->text_cap = TEXT_CAP;
    wr->text = vigil__malloc(&a, wr->text_cap);
    wr->zout = vigil__malloc(&a, ZOUT_CAP);
    wr->level_buf = vigil__malloc(&a, LEVEL_BUF_SIZE);
    if (!wr->text || !wr->zout || !wr->level_buf) {
        vigil__sim_writer_free(wr);
        return VIGIL_ENOMEM;
    }
    for (unsigned v = 0; v < 256; v++) {
        char *q = wr->octet[v];
        if (v >= 100) *q++ = (char)('0' + v / 100);
        if (v >= 10) *q++ = (char)('0' + v / 10 % 10);
        *q++ = (char)('0' + v % 10);
        *q++ = '.';
        wr->octet_len[v] = (uint8_t)(q - wr->octet[v]);
    }
    *out = wr;
    return VIGIL_OK;
}

void vigil__sim_writer_free(vigil__sim_writer *wr)
{
    if (!wr) return;
    if (wr->f) fclose(wr->f);
    vigil__free(&wr->alloc, wr->text);
    vigil__free(&wr->alloc, wr->zout);
    vigil__free(&wr->alloc, wr->level_buf);
    vigil__free(&wr->alloc, wr->app_rows);
    vigil__free(&wr->alloc, wr);
}

/* Hands the staged text to the file (through the compressor when gzip is
 * on); `end` finishes the gzip stream. */
static void drain(vigil__sim_writer *wr, int end)
{
    if (wr->failed) {
        wr->text_len = 0;
        return;
    }
    if (!wr->out.gzip) {
        if (wr->text_len && fwrite(wr->text, 1, wr->text_len, wr->f) != wr->text_len)
            wr->failed = 1;
        wr->file_bytes += wr->text_len;
        wr->text_len = 0;
        return;
    }
    struct isal_zstream *zs = &wr->zs;
    zs->next_in = (uint8_t *)wr->text;
    zs->avail_in = (uint32_t)wr->text_len;
    zs->end_of_stream = (uint16_t)(end != 0);
    zs->flush = NO_FLUSH;
    for (;;) {
        zs->next_out = wr->zout;
        zs->avail_out = ZOUT_CAP;
        if (isal_deflate(zs) != COMP_OK) {
            wr->failed = 1;
            break;
        }
        size_t got = ZOUT_CAP - zs->avail_out;
        if (got && fwrite(wr->zout, 1, got, wr->f) != got) {
            wr->failed = 1;
            break;
        }
        wr->file_bytes += got;
        if (zs->avail_in == 0 && zs->avail_out != 0 &&
            (!end || zs->internal_state.state == ZSTATE_END))
            break;
    }
    wr->text_len = 0;
}

/* Room for `n` more bytes of text. */
static char *reserve(vigil__sim_writer *wr, size_t n)
{
    if (wr->text_cap - wr->text_len < n) {
        drain(wr, 0);
        if (wr->text_cap < n) {
            char *t = vigil__realloc(&wr->alloc, wr->text, n);
            if (!t) {
                wr->failed = 1; /* reported as ENOMEM by close_log */
                return NULL;
            }
            wr->text = t;
            wr->text_cap = n;
        }
    }
    return wr->text + wr->text_len;
}

/* "YYYY-MM-DD" (sep '-') and time parts of epoch t, in UTC. */
static void civil_utc(int64_t t, int *y, int *mo, int *d, int *h, int *mi, int *s)
{
    int64_t z = t >= 0 ? t / 86400 : (t - 86399) / 86400;
    int64_t sec = t - z * 86400;
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *mo = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)(yoe + era * 400 + (*mo <= 2));
    *h = (int)(sec / 3600);
    *mi = (int)(sec / 60 % 60);
    *s = (int)(sec % 60);
}

/* Zeek's header time format: 2018-01-01-00-00-00. */
static void zeek_stamp(int64_t t, char *buf, size_t cap)
{
    int y, mo, d, h, mi, s;
    civil_utc(t, &y, &mo, &d, &h, &mi, &s);
    snprintf(buf, cap, "%04d-%02d-%02d-%02d-%02d-%02d", y, mo, d, h, mi, s);
}

/* The eight header lines of each log, as Zeek 2.6 writes them. */
typedef struct log_def {
    const char *path;            /* #path and file name prefix */
    const char *fields;          /* #fields, tab-separated */
    const char *types;           /* #types, tab-separated */
} log_def;

enum { LOG_CONN, LOG_DNS, LOG_SSL, LOG_HTTP, NLOGS };
static const log_def logs[NLOGS] = {
    { "conn",
      "ts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration\t"
      "orig_bytes\tresp_bytes\tconn_state\tlocal_orig\tlocal_resp\tmissed_bytes\thistory\t"
      "orig_pkts\torig_ip_bytes\tresp_pkts\tresp_ip_bytes\ttunnel_parents",
      "time\tstring\taddr\tport\taddr\tport\tenum\tstring\tinterval\tcount\tcount\tstring\t"
      "bool\tbool\tcount\tstring\tcount\tcount\tcount\tcount\tset[string]" },
    { "dns",
      "ts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\ttrans_id\trtt\tquery\t"
      "qclass\tqclass_name\tqtype\tqtype_name\trcode\trcode_name\tAA\tTC\tRD\tRA\tZ\t"
      "answers\tTTLs\trejected",
      "time\tstring\taddr\tport\taddr\tport\tenum\tcount\tinterval\tstring\tcount\tstring\t"
      "count\tstring\tcount\tstring\tbool\tbool\tbool\tbool\tcount\tvector[string]\t"
      "vector[interval]\tbool" },
    { "ssl",
      "ts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tversion\tcipher\tcurve\t"
      "server_name\tresumed\tlast_alert\tnext_protocol\testablished\tcert_chain_fuids\t"
      "client_cert_chain_fuids\tsubject\tissuer\tclient_subject\tclient_issuer\t"
      "validation_status",
      "time\tstring\taddr\tport\taddr\tport\tstring\tstring\tstring\tstring\tbool\tstring\t"
      "string\tbool\tvector[string]\tvector[string]\tstring\tstring\tstring\tstring\tstring" },
    { "http",
      "ts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\ttrans_depth\tmethod\thost\turi\t"
      "referrer\tversion\tuser_agent\trequest_body_len\tresponse_body_len\tstatus_code\t"
      "status_msg\tinfo_code\tinfo_msg\ttags\tusername\tpassword\tproxied\torig_fuids\t"
      "orig_filenames\torig_mime_types\tresp_fuids\tresp_filenames\tresp_mime_types",
      "time\tstring\taddr\tport\taddr\tport\tcount\tstring\tstring\tstring\tstring\tstring\t"
      "string\tcount\tcount\tcount\tstring\tcount\tstring\tset[enum]\tstring\tstring\t"
      "set[string]\tvector[string]\tvector[string]\tvector[string]\tvector[string]\t"
      "vector[string]\tvector[string]" },
};

/* Opens DIR/zeek/YYYY-MM-DD/<log>.HH:00:00-HH:00:00.log[.gz] and writes
 * the TSV header. */
static vigil_status open_log(vigil__sim_writer *wr, int log, int64_t t0)
{
    int y, mo, d, h, mi, s;
    civil_utc(t0, &y, &mo, &d, &h, &mi, &s);
    char path[4096];
    int n = snprintf(path, sizeof path, "%s/zeek/%04d-%02d-%02d/%s.%02d:00:00-%02d:00:00.log%s",
                     wr->out.dir, y, mo, d, logs[log].path, h, (h + 1) % 24,
                     wr->out.gzip ? ".gz" : "");
    if (n < 0 || (size_t)n >= sizeof path) return VIGIL_EINVAL;
    wr->f = fopen(path, "wb");
    if (!wr->f) return VIGIL_EIO;
    wr->failed = 0;
    wr->file_bytes = 0;
    wr->text_len = 0;
    if (wr->out.gzip) {
        isal_deflate_init(&wr->zs);
        wr->zs.level = 1;
        wr->zs.level_buf = wr->level_buf;
        wr->zs.level_buf_size = LEVEL_BUF_SIZE;
        wr->zs.gzip_flag = IGZIP_GZIP; /* generic header: mtime 0 */
    }
    if (wr->out.json) return VIGIL_OK; /* Zeek JSON logs have no header */
    char open_ts[32];
    zeek_stamp(t0, open_ts, sizeof open_ts);
    char *p = reserve(wr, 4096);
    if (!p) return VIGIL_ENOMEM;
    n = snprintf(p, 4096,
                 "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n"
                 "#unset_field\t-\n#path\t%s\n#open\t%s\n#fields\t%s\n#types\t%s\n",
                 logs[log].path, open_ts, logs[log].fields, logs[log].types);
    wr->text_len += (size_t)n;
    return VIGIL_OK;
}

static vigil_status close_log(vigil__sim_writer *wr, int64_t t0, vigil__sim_counts *counts)
{
    vigil_status rc = VIGIL_OK;
    if (!wr->out.json) {
        char close_ts[32];
        zeek_stamp(t0 + 3600, close_ts, sizeof close_ts);
        char *p = reserve(wr, 64);
        if (p) wr->text_len += (size_t)snprintf(p, 64, "#close\t%s\n", close_ts);
        else rc = VIGIL_ENOMEM;
    }
    drain(wr, 1);
    if (fclose(wr->f) != 0) wr->failed = 1;
    wr->f = NULL;
    if (wr->failed && rc == VIGIL_OK) rc = VIGIL_EIO;
    counts->bytes += wr->file_bytes;
    counts->files++;
    return rc;
}

/* ---- records --------------------------------------------------------------------------- */

/* "F" + 17 base62 characters, from a hash (file ids in ssl/http). */
static void make_fuid(char out[19], uint64_t h1)
{
    static const char b62[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    uint64_t h2 = h1 * 0x9e3779b97f4a7c15ULL + 0x632be59bd9b4e019ULL;
    h2 ^= h2 >> 29;
    out[0] = 'F';
    for (int i = 1; i < 18; i++) {
        uint64_t *hp = i < 10 ? &h1 : &h2;
        out[i] = b62[*hp % 62];
        *hp /= 62;
    }
    out[18] = 0;
}

/* The common id fields every log starts with. */
HOT void put_id(rec *r, int json, const vigil__sim_row *row)
{
    const vigil__sim_conn *c = row->c;
    F_TIME(r, "ts", row->ts_us);
    F_CLEAN(r, "uid", row->uid, 18);
    F_ADDR(r, "id.orig_h", &c->orig_h);
    F_U64(r, "id.orig_p", c->orig_p);
    F_ADDR(r, "id.resp_h", &c->resp_h);
    F_U64(r, "id.resp_p", c->resp_p);
}

/* The proto field's text (clean names from a fixed table). */
HOT void f_proto(rec *r, int json, uint8_t proto)
{
    switch (proto) {
    case VIGIL_PROTO_TCP: F_CLIT(r, "proto", "tcp"); break;
    case VIGIL_PROTO_UDP: F_CLIT(r, "proto", "udp"); break;
    default: {
        const char *name = vigil_proto_name((vigil_proto)proto);
        F_CLEAN(r, "proto", name, strlen(name));
    }
    }
}

HOT void conn_record(rec *r, int json, const vigil__sim_row *row)
{
    const vigil__sim_conn *c = row->c;
    put_id(r, json, row);
    f_proto(r, json, c->proto);
    F_STR(r, "service", c->service);
    /* A single packet has no duration and no byte counts in Zeek. */
    int one_packet = row->dur_us == 0 && c->orig_pkts + c->resp_pkts <= 1;
    if (one_packet) {
        F_UNSET(r, "duration");
        F_UNSET(r, "orig_bytes");
        F_UNSET(r, "resp_bytes");
    } else {
        F_TIME(r, "duration", row->dur_us);
        F_U64(r, "orig_bytes", c->orig_bytes);
        F_U64(r, "resp_bytes", c->resp_bytes);
    }
    const char *state = vigil_conn_state_name((vigil_conn_state)c->conn_state);
    F_CLEAN(r, "conn_state", state, strlen(state));
    F_BOOL(r, "local_orig", c->local_orig);
    F_BOOL(r, "local_resp", c->local_resp);
    F_U64(r, "missed_bytes", 0);
    F_STR(r, "history", c->history);
    /* IP bytes: payload plus headers (TCP with timestamps 52 bytes, a bare
     * SYN 60 with its options, an RST 40; UDP 28). */
    uint64_t oh, rh;
    if (c->proto == VIGIL_PROTO_UDP) oh = rh = 28;
    else if (c->proto == VIGIL_PROTO_TCP && c->conn_state == VIGIL_CS_S0) oh = 60, rh = 52;
    else if (c->proto == VIGIL_PROTO_TCP && c->conn_state == VIGIL_CS_REJ) oh = 60, rh = 40;
    else if (c->proto == VIGIL_PROTO_TCP) oh = rh = 52;
    else oh = rh = 28;
    F_U64(r, "orig_pkts", c->orig_pkts);
    F_U64(r, "orig_ip_bytes", c->orig_bytes + (uint64_t)c->orig_pkts * oh);
    F_U64(r, "resp_pkts", c->resp_pkts);
    F_U64(r, "resp_ip_bytes", c->resp_bytes + (uint64_t)c->resp_pkts * rh);
    F_UNSET(r, "tunnel_parents");
    rec_end(r, json);
}

static const char *rcode_name(unsigned rc)
{
    switch (rc) {
    case 0: return "NOERROR";
    case 1: return "FORMERR";
    case 2: return "SERVFAIL";
    case 3: return "NXDOMAIN";
    case 4: return "NOTIMP";
    case 5: return "REFUSED";
    default: return NULL;
    }
}

static const char *qtype_name(unsigned t)
{
    switch (t) {
    case 1: return "A";
    case 2: return "NS";
    case 5: return "CNAME";
    case 6: return "SOA";
    case 12: return "PTR";
    case 15: return "MX";
    case 16: return "TXT";
    case 28: return "AAAA";
    case 33: return "SRV";
    case 65: return "HTTPS";
    default: return NULL;
    }
}

HOT void dns_record(rec *r, int json, const vigil__sim_row *row, uint64_t h)
{
    const vigil__sim_conn *c = row->c;
    int answered = c->resp_pkts > 0 || c->resp_bytes > 0;
    put_id(r, json, row);
    f_proto(r, json, c->proto);
    F_U64(r, "trans_id", h & 0xffff);
    if (answered) {
        double rtt = c->a.dns.rtt;
        int64_t us = (int64_t)(rtt * 1e6 + 0.5);
        if (us < 1) us = 1;
        F_TIME(r, "rtt", us);
    } else {
        F_UNSET(r, "rtt");
    }
    F_STR(r, "query", c->a.dns.query);
    F_U64(r, "qclass", 1);
    F_CLIT(r, "qclass_name", "C_INTERNET");
    F_U64(r, "qtype", c->a.dns.qtype);
    const char *qn = qtype_name(c->a.dns.qtype);
    char qbuf[16];
    if (!qn) {
        char *e = put_u64(LIT(qbuf, "TYPE"), c->a.dns.qtype);
        *e = 0;
        qn = qbuf;
    }
    F_STR(r, "qtype_name", qn);
    if (answered) {
        F_U64(r, "rcode", c->a.dns.rcode);
        F_STR(r, "rcode_name", rcode_name(c->a.dns.rcode));
    } else {
        F_UNSET(r, "rcode");
        F_UNSET(r, "rcode_name");
    }
    F_BOOL(r, "AA", 0);
    F_BOOL(r, "TC", 0);
    F_BOOL(r, "RD", 1);
    F_BOOL(r, "RA", answered);
    F_U64(r, "Z", 0);
    const char *ans = answered && c->a.dns.answers && *c->a.dns.answers ? c->a.dns.answers : NULL;
    F_LIST(r, "answers", ans, 0);
    if (ans) {
        K(r, "TTLs");
        /* Every answer has the same TTL: format it once, copy it. */
        char ttl[32];
        char *te = json ? put_us_json(ttl, (int64_t)c->a.dns.ttl * 1000000)
                        : put_us(ttl, (int64_t)c->a.dns.ttl * 1000000);
        size_t tn = (size_t)(te - ttl);
        if (json) *r->p++ = '[';
        for (const char *s = ans;; s++) {
            r->p = put_lit(r->p, ttl, tn);
            s = strchr(s, ',');
            if (!s) break;
            *r->p++ = ',';
        }
        if (json) *r->p++ = ']';
    } else {
        F_UNSET(r, "TTLs");
    }
    F_BOOL(r, "rejected", 0);
    rec_end(r, json);
}

static const char *const issuers[] = {
    "CN=DigiCert SHA2 Secure Server CA,O=DigiCert Inc,C=US",
    "CN=Let's Encrypt Authority X3,O=Let's Encrypt,C=US",
    "CN=GlobalSign Organization Validation CA - SHA256 - G2,O=GlobalSign nv-sa,C=BE",
    "CN=Google Internet Authority G3,O=Google Trust Services,C=US",
    "CN=Amazon,OU=Server CA 1B,O=Amazon,C=US",
    "CN=COMODO RSA Domain Validation Secure Server CA,O=COMODO CA Limited,L=Salford,ST=Greater Manchester,C=GB",
};

static uint64_t str_hash(const char *s)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (; s && *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

HOT void ssl_record(rec *r, int json, const vigil__sim_row *row, uint64_t h)
{
    const vigil__sim_conn *c = row->c;
    const char *ver = c->a.ssl.version;
    int tls13 = ver && ver[0] == 'T' && strcmp(ver, "TLSv13") == 0;
    int has_cert = !c->a.ssl.resumed && !tls13;
    put_id(r, json, row);
    F_STR(r, "version", ver);
    F_STR(r, "cipher", c->a.ssl.cipher);
    if (tls13 || (h >> 20) % 3) F_CLIT(r, "curve", "x25519");
    else F_CLIT(r, "curve", "secp256r1");
    F_STR(r, "server_name", c->a.ssl.server_name);
    F_BOOL(r, "resumed", c->a.ssl.resumed);
    F_UNSET(r, "last_alert");
    F_UNSET(r, "next_protocol");
    F_BOOL(r, "established", 1);
    char fuid[19];
    if (has_cert) make_fuid(fuid, h);
    F_LIST(r, "cert_chain_fuids", has_cert ? fuid : NULL, 1);
    F_LIST(r, "client_cert_chain_fuids", NULL, 1);
    if (has_cert && c->a.ssl.server_name) {
        /* "CN=<server name>", without printf on the hot path. */
        char subj[300];
        size_t sl = strlen(c->a.ssl.server_name);
        if (sl > sizeof subj - 4) sl = sizeof subj - 4;
        memcpy(subj, "CN=", 3);
        memcpy(subj + 3, c->a.ssl.server_name, sl);
        subj[3 + sl] = 0;
        F_STR(r, "subject", subj);
        F_STR(r, "issuer", issuers[str_hash(c->a.ssl.server_name) % (sizeof issuers / sizeof issuers[0])]);
    } else {
        F_UNSET(r, "subject");
        F_UNSET(r, "issuer");
    }
    F_UNSET(r, "client_subject");
    F_UNSET(r, "client_issuer");
    F_UNSET(r, "validation_status");
    rec_end(r, json);
}

static const char *status_msg(unsigned code)
{
    switch (code) {
    case 200: return "OK";
    case 204: return "No Content";
    case 206: return "Partial Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 304: return "Not Modified";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 500: return "Internal Server Error";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    default: return NULL;
    }
}

HOT void http_record(rec *r, int json, const vigil__sim_row *row, uint64_t h)
{
    const vigil__sim_conn *c = row->c;
    put_id(r, json, row);
    F_U64(r, "trans_depth", 1);
    F_STR(r, "method", c->a.http.method);
    F_STR(r, "host", c->a.http.host);
    F_STR(r, "uri", c->a.http.uri);
    F_UNSET(r, "referrer");
    F_CLIT(r, "version", "1.1");
    F_STR(r, "user_agent", c->a.http.user_agent);
    F_U64(r, "request_body_len", c->a.http.request_body_len);
    F_U64(r, "response_body_len", c->a.http.response_body_len);
    if (c->a.http.status) {
        F_U64(r, "status_code", c->a.http.status);
        F_STR(r, "status_msg", status_msg(c->a.http.status));
    } else {
        F_UNSET(r, "status_code");
        F_UNSET(r, "status_msg");
    }
    F_UNSET(r, "info_code");
    F_UNSET(r, "info_msg");
    F_LIST(r, "tags", NULL, 1);
    F_UNSET(r, "username");
    F_UNSET(r, "password");
    F_UNSET(r, "proxied");
    char ofuid[19], rfuid[19];
    make_fuid(ofuid, h ^ 0x5555);
    make_fuid(rfuid, h);
    F_LIST(r, "orig_fuids", c->a.http.request_body_len ? ofuid : NULL, 0);
    F_UNSET(r, "orig_filenames");
    F_LIST(r, "orig_mime_types", c->a.http.request_body_len ? "text/plain" : NULL, 0);
    F_LIST(r, "resp_fuids", c->a.http.response_body_len ? rfuid : NULL, 0);
    F_UNSET(r, "resp_filenames");
    F_LIST(r, "resp_mime_types", c->a.http.response_body_len ? c->a.http.mime : NULL, 0);
    rec_end(r, json);
}

/* Worst case of one record's text. */
static size_t record_room(int log, const vigil__sim_conn *c)
{
    size_t n = LINE_FIXED;
    switch (log) {
    case LOG_CONN: n += esc_len(c->service) + esc_len(c->history); break;
    case LOG_DNS: n += 2 * esc_len(c->a.dns.query) + 3 * esc_len(c->a.dns.answers); break;
    case LOG_SSL:
        n += 3 * esc_len(c->a.ssl.server_name) + esc_len(c->a.ssl.version) +
             esc_len(c->a.ssl.cipher);
        break;
    case LOG_HTTP:
        n += esc_len(c->a.http.method) + esc_len(c->a.http.host) + esc_len(c->a.http.uri) +
             esc_len(c->a.http.user_agent) + esc_len(c->a.http.mime);
        break;
    }
    return n;
}

/* One record of `log` at p, in the writer's format; returns its end.
 * Each record function is inlined here once per format. */
static char *emit_record(const vigil__sim_writer *wr, int log, char *p,
                         const vigil__sim_row *row, uint64_t h)
{
    rec r = { p, 1, wr };
    if (wr->out.json) {
        switch (log) {
        case LOG_CONN: conn_record(&r, 1, row); break;
        case LOG_DNS: dns_record(&r, 1, row, h); break;
        case LOG_SSL: ssl_record(&r, 1, row, h); break;
        default: http_record(&r, 1, row, h); break;
        }
    } else {
        switch (log) {
        case LOG_CONN: conn_record(&r, 0, row); break;
        case LOG_DNS: dns_record(&r, 0, row, h); break;
        case LOG_SSL: ssl_record(&r, 0, row, h); break;
        default: http_record(&r, 0, row, h); break;
        }
    }
    return r.p;
}

/* Writes one log of the hour: every row for conn, else the rows listed in
 * `idx` (m of them, ascending). */
static vigil_status write_log(vigil__sim_writer *wr, const vigil__sim_world *w, int log,
                              int64_t t0, const vigil__sim_row *rows, size_t n,
                              const uint32_t *idx, size_t m, vigil__sim_counts *counts)
{
    if (log != LOG_CONN && m == 0) return VIGIL_OK; /* Zeek writes no file for no records */
    vigil_status rc = open_log(wr, log, t0);
    if (rc != VIGIL_OK) return rc;
    uint64_t written = 0;
    uint64_t hour_index = (uint64_t)((t0 - w->start) / 3600);
    size_t count = log == LOG_CONN ? n : m;
    for (size_t k = 0; k < count; k++) {
        size_t i = log == LOG_CONN ? k : idx[k];
        char *p = reserve(wr, record_room(log, rows[i].c));
        if (!p) {
            rc = VIGIL_ENOMEM;
            break;
        }
        uint64_t h = log == LOG_CONN ? 0 : vigil__sim_hash(w->seed, VIGIL__SIM_S_UID, hour_index, i + ((uint64_t)log << 40));
        p = emit_record(wr, log, p, &rows[i], h);
        wr->text_len = (size_t)(p - wr->text);
        written++;
    }
    vigil_status crc = close_log(wr, t0, counts);
    if (rc == VIGIL_OK) rc = crc;
    switch (log) {
    case LOG_CONN: counts->conn += written; break;
    case LOG_DNS: counts->dns += written; break;
    case LOG_SSL: counts->ssl += written; break;
    default: counts->http += written; break;
    }
    return rc;
}

vigil_status vigil__sim_writer_hour(vigil__sim_writer *wr, const vigil__sim_world *w,
                                    int64_t t0, const vigil__sim_row *rows, size_t n,
                                    vigil__sim_counts *counts)
{
    if (n > wr->app_cap) {
        size_t nc = wr->app_cap ? wr->app_cap : 4096;
        while (nc < n) nc *= 2;
        uint32_t *a = vigil__realloc(&wr->alloc, wr->app_rows, 3 * nc * sizeof *a);
        if (!a) return VIGIL_ENOMEM;
        wr->app_rows = a;
        wr->app_cap = nc;
    }
    /* One pass sorts the rows' app records into their logs' lists. */
    size_t m[3] = { 0, 0, 0 };
    for (size_t i = 0; i < n; i++) {
        unsigned app = rows[i].c->app;
        if (app >= VIGIL__SIM_APP_DNS && app <= VIGIL__SIM_APP_HTTP) {
            unsigned l = app - VIGIL__SIM_APP_DNS;
            wr->app_rows[l * wr->app_cap + m[l]++] = (uint32_t)i;
        }
    }
    vigil_status rc = write_log(wr, w, LOG_CONN, t0, rows, n, NULL, 0, counts);
    static const int log_of[3] = { LOG_DNS, LOG_SSL, LOG_HTTP };
    for (unsigned l = 0; l < 3 && rc == VIGIL_OK; l++)
        rc = write_log(wr, w, log_of[l], t0, rows, n, wr->app_rows + l * wr->app_cap, m[l],
                       counts);
    return rc;
}
