/* internal.h -- libvigil internals shared by lib/ files (never installed). */
#ifndef VIGIL_INTERNAL_H
#define VIGIL_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <vigil/vigil.h>

/* ---- allocation (util_alloc.c) ------------------------------------------ */
/* Copy the caller's allocator (or the default one when NULL) into *dst. */
void vigil__alloc_init(vigil_allocator *dst, const vigil_allocator *src);
void *vigil__malloc(const vigil_allocator *a, size_t n);
void *vigil__calloc(const vigil_allocator *a, size_t n, size_t size);
void *vigil__realloc(const vigil_allocator *a, void *p, size_t n);
void vigil__free(const vigil_allocator *a, void *p);
char *vigil__strdup(const vigil_allocator *a, const char *s);
char *vigil__strndup(const vigil_allocator *a, const char *s, size_t n);

/* ---- number parsing (util_num.c) ---------------------------------------- */
/* All parse exactly n bytes (no NUL needed) and return 1 on success.
 * vigil__parse_u64 is inline: it runs for a dozen fields of every record. */
static inline int vigil__parse_u64(const char *s, size_t n, uint64_t *out)
{
    if (n == 0 || n > 20) return 0;
    uint64_t v = 0;
    if (n < 20) {
        /* Up to 19 digits cannot overflow: no per-digit overflow test. */
        for (size_t i = 0; i < n; i++) {
            unsigned d = (unsigned)(unsigned char)s[i] - '0';
            if (d > 9) return 0;
            v = v * 10 + d;
        }
        *out = v;
        return 1;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned d = (unsigned)(unsigned char)s[i] - '0';
        if (d > 9) return 0;
        if (v > (UINT64_MAX - d) / 10) return 0;
        v = v * 10 + d;
    }
    *out = v;
    return 1;
}
int vigil__parse_i64(const char *s, size_t n, int64_t *out);
/* Decimal with optional fraction and exponent ("1.5", "-2", "3e-1"). */
int vigil__parse_double(const char *s, size_t n, double *out);
/* A timestamp: decimal seconds, or ISO-8601 "2018-01-01T00:00:00.123456Z"
 * (with Z or +hh:mm / +hhmm offset). */
int vigil__parse_time(const char *s, size_t n, double *out);

/* ---- byte sources (read_source.c) --------------------------------------- */
/* A stream of (decompressed) bytes from a file or memory. */
typedef struct vigil__src vigil__src;
/* Results of vigil__src_read beyond VIGIL_OK. */
enum { VIGIL__SRC_TRUNCATED = 1 }; /* set in *flags: gzip ended early/corrupt */

/* ---- the reader (read_reader.c) ------------------------------------------ */
struct vigil_reader;

/* A format backend.  init() runs once the format is known and the line
 * buffer is ready; next() produces records; field() answers
 * vigil_reader_field; fini() frees the backend state. */
typedef struct vigil__backend {
    vigil_format format;
    vigil_status (*init)(struct vigil_reader *r);
    vigil_status (*next)(struct vigil_reader *r, const vigil_record **rec);
    const char *(*field)(const struct vigil_reader *r, const char *name,
                         size_t *len);
    void (*fini)(struct vigil_reader *r);
} vigil__backend;

extern const vigil__backend vigil__backend_zeek_tsv;  /* read_zeek_tsv.c */
extern const vigil__backend vigil__backend_zeek_json; /* read_zeek_json.c */
extern const vigil__backend vigil__backend_eve;       /* read_eve.c */
extern const vigil__backend vigil__backend_pcap;      /* read_pcap.c */

struct vigil_reader {
    vigil_allocator alloc;        /* what everything below is allocated with */
    vigil_diag_fn diag;           /* caller's sink (may be NULL) */
    void *diag_user;
    char *file;                   /* path or name, owned */
    const char *base;             /* file name part of `file` */
    vigil_format format;          /* detected format */
    const vigil__backend *be;     /* its backend */
    void *be_state;               /* backend's own state, owned by it */
    vigil_reader_counts counts;   /* returned by vigil_reader_counts_get */
    vigil_record rec;             /* the record handed out by next() */
    char log_name[32];            /* current log name (rec.path points here) */
    vigil_log_type name_type;     /* type told by the file name, if any */

    /* Byte source (plain file, gzip stream or memory). */
    vigil__src *src;
    const unsigned char *mem;     /* memory input (borrowed), else NULL */
    size_t mem_len;
    int is_gzip;                  /* input is gzip-compressed */

    /* Line buffer: bytes [beg, end) of buf are read but not yet consumed. */
    char *buf;
    size_t cap, beg, end;
    int eof;                      /* the source has no more bytes */
    int truncated;                /* the source reported truncation */
    size_t max_line;              /* longest accepted line */
    uint64_t lineno;              /* number of the line last returned */
    double pcap_idle_timeout;     /* from the options */
};

/* Bytes allocated past r->cap in the line buffer, so a parser may load a
 * whole 16/32-byte vector at a line's end without reading outside the
 * allocation (bits past the line are masked off). */
#define VIGIL__BUF_PAD 64

/* Next line of the input, without its LF or CRLF, NUL-terminated and
 * writable in place (parsers may unescape into it).  Sets *line NULL at end
 * of input.  Over-long lines are skipped and reported here
 * (VIGIL_SKIP_LINE_TOO_LONG); a gzip stream cut short is reported here
 * (VIGIL_SKIP_TRUNCATED_GZIP) once, at the line where it stopped. */
vigil_status vigil__reader_getline(struct vigil_reader *r, char **line,
                                   size_t *len);

/* Raw (decompressed) bytes: first what is buffered and not yet consumed,
 * then more from the source.  For backends that do their own framing
 * (pcap).  Returns bytes copied (0 at end) or -1 on a read error. */
long vigil__reader_read_raw(struct vigil_reader *r, void *buf, size_t n);

/* Counts and reports one skipped record.  `line` 0 = the current line.
 * `detail` may be NULL.  `log` is the log name or NULL. */
void vigil__reader_skip(struct vigil_reader *r, vigil_skip_reason why,
                        uint64_t line, const char *detail);
/* Same for `count` records at once (e.g. a whole bad block). */
void vigil__reader_skip_n(struct vigil_reader *r, vigil_skip_reason why,
                          uint64_t line, uint64_t count, const char *detail);

/* Sets r->log_name / r->rec.path / r->rec.type from a Zeek #path or EVE
 * event_type ("conn" -> VIGIL_LOG_CONN, "dhcp" -> VIGIL_LOG_OTHER).  Names
 * that are not plain identifiers give VIGIL_LOG_UNKNOWN. */
vigil_log_type vigil__reader_set_log(struct vigil_reader *r, const char *name,
                                     size_t len);
/* The log type a file name suggests ("conn.04:00:00-05:00:00.log.gz" ->
 * conn; "ssl.log.labeled" -> ssl); VIGIL_LOG_UNKNOWN and name "" when none.
 * Writes the name (up to 31 chars) into name_out. */
vigil_log_type vigil__log_type_from_filename(const char *base, char *name_out,
                                             size_t name_cap);
/* Maps a log name to its family: conn/dns/ssl/http, or OTHER. */
vigil_log_type vigil__log_type_from_name(const char *name, size_t len);

/* ---- fields shared by the Zeek TSV and JSON readers (read_fields.c) ------ */
/* Column ids of the fields vigil interprets; every other column is kept only
 * for vigil_reader_field. */
typedef enum vigil__col {
    VIGIL__COL_IGNORE = 0,
    VIGIL__COL_TS, VIGIL__COL_UID, VIGIL__COL_ORIG_H, VIGIL__COL_ORIG_P,
    VIGIL__COL_RESP_H, VIGIL__COL_RESP_P, VIGIL__COL_PROTO,
    /* conn */
    VIGIL__COL_SERVICE, VIGIL__COL_DURATION, VIGIL__COL_ORIG_BYTES,
    VIGIL__COL_RESP_BYTES, VIGIL__COL_CONN_STATE, VIGIL__COL_LOCAL_ORIG,
    VIGIL__COL_LOCAL_RESP, VIGIL__COL_MISSED_BYTES, VIGIL__COL_HISTORY,
    VIGIL__COL_ORIG_PKTS, VIGIL__COL_ORIG_IP_BYTES, VIGIL__COL_RESP_PKTS,
    VIGIL__COL_RESP_IP_BYTES,
    /* dns */
    VIGIL__COL_TRANS_ID, VIGIL__COL_RTT, VIGIL__COL_QUERY, VIGIL__COL_QTYPE,
    VIGIL__COL_QTYPE_NAME, VIGIL__COL_RCODE, VIGIL__COL_RCODE_NAME,
    VIGIL__COL_ANSWERS, VIGIL__COL_TTLS, VIGIL__COL_REJECTED,
    /* ssl */
    VIGIL__COL_VERSION, VIGIL__COL_CIPHER, VIGIL__COL_SERVER_NAME,
    VIGIL__COL_ESTABLISHED, VIGIL__COL_RESUMED, VIGIL__COL_SUBJECT,
    VIGIL__COL_ISSUER, VIGIL__COL_JA3, VIGIL__COL_JA3S,
    /* http */
    VIGIL__COL_METHOD, VIGIL__COL_HOST, VIGIL__COL_URI, VIGIL__COL_REFERRER,
    VIGIL__COL_USER_AGENT, VIGIL__COL_STATUS_CODE,
    VIGIL__COL_REQUEST_BODY_LEN, VIGIL__COL_RESPONSE_BODY_LEN,
    VIGIL__COL_RESP_MIME_TYPES,
    VIGIL__COL__COUNT
} vigil__col;

/* The column id of Zeek field `name` in a log of family `t`. */
vigil__col vigil__col_lookup(vigil_log_type t, const char *name, size_t len);
/* 1 when a #types entry `type` fits column `c` (ts must be time or
 * double, addresses addr, counts count/int, ...). */
int vigil__col_type_ok(vigil__col c, const char *type, size_t len);
/* 1 when `type` is a type name Zeek writes in #types. */
int vigil__zeek_type_known(const char *type, size_t len);
/* Clears the record's union for family `t` (all fields unset). */
void vigil__record_reset(vigil_record *rec, vigil_log_type t);
/* Stores the value of column `c` (text [p, p+n), already unescaped) into
 * the record.  `unset` is 1 for Zeek's unset marker / JSON null; `empty` for
 * the empty marker.  Returns VIGIL_SKIP_NONE or why the record is bad. */
vigil_skip_reason vigil__record_set(vigil_record *rec, vigil__col c,
                                    const char *p, size_t n, int unset,
                                    int empty);
/* After all fields: checks the record has what its family needs (ts). */
vigil_skip_reason vigil__record_finish(vigil_record *rec, const char **why);

/* ---- JSON scanning (util_json.c) ------------------------------------------ */
/* A zero-allocation JSON scanner over one line.  Hand-written because the
 * Debian JSON libraries (jansson, json-c) build a heap tree per object: one
 * malloc per value on the hot path, which DESIGN.md rules out. */
typedef enum vigil__json_kind {
    VIGIL__JSON_NULL, VIGIL__JSON_BOOL, VIGIL__JSON_NUMBER,
    VIGIL__JSON_STRING, VIGIL__JSON_ARRAY, VIGIL__JSON_OBJECT
} vigil__json_kind;

typedef struct vigil__json_val {
    vigil__json_kind kind;
    char *p;          /* STRING: decoded text (in place); NUMBER/BOOL: raw
                         text; ARRAY/OBJECT: the raw text incl. brackets */
    size_t n;
} vigil__json_val;

/* Calls fn(user, key, keylen, value) for each member of the object in
 * [s, s+n), in order; nested objects are visited with keys joined by '.'
 * when `flatten` is nonzero (e.g. "flow.bytes_toserver"), else passed as
 * OBJECT values.  Strings are decoded in place (the buffer is modified).
 * Returns 0 on success, -1 when the text is not one valid JSON object.  fn
 * may return nonzero to stop early (vigil__json_each then returns that). */
typedef int (*vigil__json_fn)(void *user, const char *key, size_t keylen,
                              vigil__json_val *v);
int vigil__json_each(char *s, size_t n, int flatten, vigil__json_fn fn,
                     void *user);
/* Joins a JSON array of strings/numbers at [p, p+n) in place (the text is
 * rewritten from p on), items separated by `sep`, strings decoded; returns
 * the joined length or -1 when the text is not such an array. */
long vigil__json_join_array(char *p, size_t n, char sep);

#endif
