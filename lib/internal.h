/* internal.h -- libvigil internals shared by lib/ files (never installed). */
#ifndef VIGIL_INTERNAL_H
#define VIGIL_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <vigil/vigil.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/* ---- allocation (util_alloc.c) ------------------------------------------ */
/* Copy the caller's allocator (or the default one when NULL) into *dst. */
void vigil__alloc_init(vigil_allocator *dst, const vigil_allocator *src);
void *vigil__malloc(const vigil_allocator *a, size_t n);
void *vigil__calloc(const vigil_allocator *a, size_t n, size_t size);
void *vigil__realloc(const vigil_allocator *a, void *p, size_t n);
void vigil__free(const vigil_allocator *a, void *p);
/* Makes the pages of p[0..n) resident, writable, with one call
 * (MADV_POPULATE_WRITE) rather than one page fault each, for memory about
 * to be written whole: in this project's VM a 4 KB page's first touch
 * costs ~11 us by fault and ~5 us after the call (docs/hunt.md, session
 * 9).  Only from VIGIL__POPULATE_MIN bytes; a no-op where the call is not
 * known (kernels before 5.14) or refused. */
#define VIGIL__POPULATE_MIN ((size_t)64 << 10)
void vigil__populate(void *p, size_t n);
/* The same whatever the size, for a caller that chose its ranges (the
 * deferred buckets' 32 KB windows). */
void vigil__populate_pages(void *p, size_t n);
/* vigil__malloc for an array the caller writes whole right away. */
void *vigil__malloc_full(const vigil_allocator *a, size_t n);
/* For an array appended one element at a time (n used of cap, elements
 * of `size` bytes): when n reaches *mark, the next VIGIL__POPULATE_MIN
 * bytes of it are made resident and *mark moves past them.  Set *mark to
 * 0 whenever the array moves. */
static inline void vigil__populate_ahead(void *base, size_t n, size_t cap, size_t size, size_t *mark)
{
    if (n < *mark || n >= cap) return;
    size_t upto = n + VIGIL__POPULATE_MIN / size + 1;
    if (upto > cap) upto = cap;
    vigil__populate((char *)base + n * size, (upto - n) * size);
    *mark = upto;
}
char *vigil__strdup(const vigil_allocator *a, const char *s);
char *vigil__strndup(const vigil_allocator *a, const char *s, size_t n);

/* ---- number parsing (util_num.c) ---------------------------------------- */
/* Hot-path helpers must be inlined into the TSV loop: gcc's heuristics
 * otherwise keep them as calls (measured ~15% of the parse time). */
#if defined(__GNUC__)
#define VIGIL__HOT static inline __attribute__((always_inline))
#else
#define VIGIL__HOT static inline
#endif
/* 1 to 8 ASCII digits at p (len bytes, 1 <= len <= 8) -> *out, 8 bytes at a time with
 * integer lanes (SWAR) instead of a loop whose exit mispredicts on every
 * variable-length field.  Reads 8 bytes from p: callers guarantee that much
 * readable memory (the line buffer has VIGIL__BUF_PAD spare bytes).
 * Written for this project; little-endian only, else a plain loop. */
VIGIL__HOT int vigil__digits8(const char *p, size_t len, uint64_t *out)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    uint64_t v;
    __builtin_memcpy(&v, p, 8);
    uint64_t keep = ~0ULL >> (64 - 8 * len); /* len is 1..8 */
    v &= keep;
    /* XOR with '0' turns a digit byte into 0..9; a byte is bad when its
     * high nibble is set or when adding 6 reaches 16.  Carries between
     * bytes only happen once a byte is already bad. */
    v ^= 0x3030303030303030ULL & keep;
    if ((v | (v + 0x0606060606060606ULL)) & 0xF0F0F0F0F0F0F0F0ULL) return 0;
    v <<= 8 * (8 - len);  /* first digit to the top: leading zeros below */
    /* Combine neighbours: bytes -> 2-digit 16-bit lanes -> 4-digit 32-bit
     * lanes -> the number.  Byte 0 holds the most significant digit. */
    v = (v * 10 + (v >> 8)) & 0x00FF00FF00FF00FFULL;
    v = (v * 100 + (v >> 16)) & 0x0000FFFF0000FFFFULL;
    v = (v * 10000 + (v >> 32)) & 0xFFFFFFFFULL;
    *out = v;
    return 1;
#else
    uint64_t v = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned d = (unsigned)(unsigned char)p[i] - '0';
        if (d > 9) return 0;
        v = v * 10 + d;
    }
    *out = v;
    return 1;
#endif
}

/* All parse exactly n bytes (no NUL needed) and return 1 on success.
 * vigil__parse_u64 is inline: it runs for a dozen fields of every record.
 * It may read up to 8 bytes past s + n (see vigil__digits8); callers pass
 * text inside a padded buffer, or use vigil__parse_u64_safe. */
VIGIL__HOT int vigil__parse_u64(const char *s, size_t n, uint64_t *out)
{
    if (n == 0 || n > 20) return 0;
    if (n <= 8) return vigil__digits8(s, n, out);
    if (n <= 16) {
        uint64_t hi, lo;
        if (!vigil__digits8(s, n - 8, &hi) || !vigil__digits8(s + n - 8, 8, &lo)) return 0;
        *out = hi * 100000000ULL + lo;
        return 1;
    }
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned d = (unsigned)(unsigned char)s[i] - '0';
        if (d > 9) return 0;
        if (v > (UINT64_MAX - d) / 10) return 0;
        v = v * 10 + d;
    }
    *out = v;
    return 1;
}
/* Exact powers of ten 1e0..1e22 (util_num.c). */
extern const double vigil__pow10[23];

/* Offset of the first `ch` in s[0..n) (n <= 16), or n.  Reads 16 bytes
 * from s (padded buffers, as vigil__digits8). */
VIGIL__HOT size_t vigil__find16(const char *s, size_t n, char ch)
{
#if defined(__SSE2__)
    __m128i x = _mm_loadu_si128((const __m128i *)(const void *)s);
    unsigned m = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(x, _mm_set1_epi8(ch)));
    m &= (1u << n) - 1;
    return m ? (size_t)__builtin_ctz(m) : n;
#else
    for (size_t i = 0; i < n; i++)
        if (s[i] == ch) return i;
    return n;
#endif
}

/* Fast path for unsigned decimals as Zeek writes them ("1516892000.123456",
 * "0.136721", "443"): integer and fraction parsed 8 digits at a time, then
 * one division by an exact power of ten, which is correctly rounded while
 * the mantissa stays below 2^53 (Clinger), i.e. equal to strtod.  Returns
 * 0 when the text is not of that simple shape (the caller then uses
 * vigil__parse_double).  Reads up to 16 bytes from s. */
VIGIL__HOT int vigil__decimal_fast(const char *s, size_t n, double *out)
{
    if (n == 0 || n > 24) return 0;
    size_t il = vigil__find16(s, n < 16 ? n : 16, '.');
    if (il == (n < 16 ? n : 16)) il = n; /* no dot in the first 16 */
    if (il > 16) return 0;
    size_t fl = il < n ? n - il - 1 : 0;
    uint64_t ip = 0, fp = 0;
    if ((il < n && fl == 0) || fl > 8 || (il == 0 && fl == 0)) return 0;
    if (il && !vigil__parse_u64(s, il, &ip)) return 0;
    if (fl && !vigil__digits8(s + il + 1, fl, &fp)) return 0;
    uint64_t mant = ip * (uint64_t)vigil__pow10[fl] + fp;
    if (il + fl > 15 && mant >= (1ULL << 53)) return 0;
    *out = (double)mant / vigil__pow10[fl];
    return 1;
}

/* 1 to 3 digits at p (len bytes) -> *out, branch-free (IPv4 octets):
 * one 4-byte load, the digit check of vigil__digits8, then b0*100 + b1*10
 * + b2 after shifting the digits to the top.  Reads 4 bytes from p. */
VIGIL__HOT int vigil__digits3(const char *p, size_t len, unsigned *out)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    uint32_t v;
    __builtin_memcpy(&v, p, 4);
    uint32_t keep = ~0u >> (32 - 8 * len); /* len is 1..3 */
    v = (v & keep) ^ (0x30303030u & keep);
    if ((v | (v + 0x06060606u)) & 0xF0F0F0F0u) return 0;
    v <<= 8 * (3 - len);
    *out = (v & 0xFF) * 100 + ((v >> 8) & 0xFF) * 10 + ((v >> 16) & 0xFF);
    return 1;
#else
    uint64_t w;
    if (!vigil__digits8(p, len, &w)) return 0;
    *out = (unsigned)w;
    return 1;
#endif
}

/* Dotted-quad IPv4 -> IPv4-mapped vigil_addr, without a per-character
 * loop: the three dots come from one vector compare, each octet from
 * vigil__digits3.  Returns 0 for anything else (IPv6, junk).  Reads up to
 * 16 bytes from s. */
VIGIL__HOT int vigil__addr_v4_fast(const char *s, size_t n, vigil_addr *out)
{
    if (n < 7 || n > 15) return 0;
#if defined(__SSE2__)
    __m128i x = _mm_loadu_si128((const __m128i *)(const void *)s);
    unsigned m = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(x, _mm_set1_epi8('.')));
    m &= (1u << n) - 1;
    /* Exactly three dots (no popcount: without -mpopcnt it is a call). */
    unsigned m2 = m & (m - 1), m3 = m2 & (m2 - 1);
    if (!m || !m2 || !m3 || (m3 & (m3 - 1))) return 0;
    size_t d1 = (size_t)__builtin_ctz(m);
    size_t d2 = (size_t)__builtin_ctz(m2);
    size_t d3 = (size_t)__builtin_ctz(m3);
#else
    size_t d1 = vigil__find16(s, n, '.');
    if (d1 >= n) return 0;
    size_t d2 = d1 + 1 + vigil__find16(s + d1 + 1, n - d1 - 1, '.');
    if (d2 >= n) return 0;
    size_t d3 = d2 + 1 + vigil__find16(s + d2 + 1, n - d2 - 1, '.');
    if (d3 >= n || vigil__find16(s + d3 + 1, n - d3 - 1, '.') != n - d3 - 1) return 0;
#endif
    size_t l0 = d1, l1 = d2 - d1 - 1, l2 = d3 - d2 - 1, l3 = n - d3 - 1;
    if (l0 - 1 > 2 || l1 - 1 > 2 || l2 - 1 > 2 || l3 - 1 > 2) return 0; /* 1..3 each */
    unsigned a, b, c, d;
    if (!vigil__digits3(s, l0, &a) || !vigil__digits3(s + d1 + 1, l1, &b) ||
        !vigil__digits3(s + d2 + 1, l2, &c) || !vigil__digits3(s + d3 + 1, l3, &d))
        return 0;
    if ((a | b | c | d) > 255) return 0;
    /* Leading zeros ("01") are not addresses (inet_pton agrees). */
    if ((l0 > 1 && s[0] == '0') || (l1 > 1 && s[d1 + 1] == '0') ||
        (l2 > 1 && s[d2 + 1] == '0') || (l3 > 1 && s[d3 + 1] == '0'))
        return 0;
    static const uint8_t prefix[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
    __builtin_memcpy(out->b, prefix, 12);
    out->b[12] = (uint8_t)a;
    out->b[13] = (uint8_t)b;
    out->b[14] = (uint8_t)c;
    out->b[15] = (uint8_t)d;
    return 1;
}

/* Same without reading past s + n (for text outside reader buffers). */
int vigil__parse_u64_safe(const char *s, size_t n, uint64_t *out);
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
    const char *const *fields;    /* from the options: the caller's
                                     projection, or NULL (borrowed) */
    int (*conn_early)(void *, const vigil_record *); /* from the options */
    void *conn_early_user;
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
/* How the TSV hot loop stores a column without going through
 * vigil__record_set: the kind of value and where it lives in the record. */
typedef enum vigil__fast_kind {
    VIGIL__FAST_GENERIC = 0, /* call vigil__record_set */
    VIGIL__FAST_STR,         /* a vigil_str at `offset` */
    VIGIL__FAST_COUNT,       /* a conn uint64_t at `offset`, `bit` in present */
    VIGIL__FAST_PORT,        /* a uint16_t at `offset` */
    VIGIL__FAST_ADDR,        /* a vigil_addr at `offset` (unset: see set) */
    VIGIL__FAST_TS,          /* the record's ts (and id.ts) */
    VIGIL__FAST_INTERVAL     /* a conn double at `offset`, `bit` in present */
} vigil__fast_kind;

typedef struct vigil__fast_col {
    uint8_t kind;            /* vigil__fast_kind */
    uint8_t bit;             /* VIGIL_CONN_HAS_* bit index for COUNT */
    uint16_t offset;         /* byte offset in vigil_record */
} vigil__fast_col;

/* Fills *out for column `c` of family `t`. */
void vigil__col_fast(vigil_log_type t, vigil__col c, vigil__fast_col *out);

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
/* Calls fn(user, NULL, 0, value) for each element of the JSON array at
 * [p, p+n): strings decoded in place, arrays/objects as raw text (validated).
 * Returns 0, -1 when the text is not one valid array, or fn's nonzero. */
int vigil__json_array_each(char *p, size_t n, vigil__json_fn fn, void *user);

/* One member of a parsed line (vigil__json_line).  Keys are flattened
 * ("flow.start"); arrays of scalars are joined with ',' in place (kind stays
 * ARRAY, p/n is the joined text); `raw` is 1 when v is still raw JSON text
 * (an array holding objects or arrays). */
typedef struct vigil__json_member {
    const char *key;      /* not NUL-terminated */
    size_t keylen;
    vigil__json_val v;    /* borrowed from the line */
    int raw;              /* v is unparsed JSON text */
} vigil__json_member;

/* A reusable table of one line's members, shared by the Zeek JSON and EVE
 * readers: memory grows with the widest line seen, never per line. */
typedef struct vigil__json_line vigil__json_line;
enum {
    VIGIL__JSON_LINE_OK = 0,
    VIGIL__JSON_LINE_BAD = -1,      /* not one valid JSON object */
    VIGIL__JSON_LINE_TOO_MANY = -2, /* more members than the table allows */
    VIGIL__JSON_LINE_NOMEM = -3     /* the table could not grow */
};
vigil_status vigil__json_line_new(vigil__json_line **out, const vigil_allocator *a);
void vigil__json_line_free(vigil__json_line *jl); /* NULL is a no-op */
/* Parses the line [s, s+n) (modified in place) into the table; the members
 * borrow from the line and stay valid until the next parse.  Returns a
 * VIGIL__JSON_LINE_* code; on failure the table is empty. */
int vigil__json_line_parse(vigil__json_line *jl, char *s, size_t n);
void vigil__json_line_clear(vigil__json_line *jl); /* empties the table */
size_t vigil__json_line_count(const vigil__json_line *jl);
const vigil__json_member *vigil__json_line_members(const vigil__json_line *jl);
/* The first member named [key, key+len), or NULL. */
const vigil__json_member *vigil__json_line_find(const vigil__json_line *jl,
                                                const char *key, size_t len);

/* read_json_lines.c: the next line of r parsed into jl (*got = 1), or the
 * end of input (*got = 0).  Blank lines are passed over; bad lines are
 * skipped and reported, after `before_skip(r, user)` (may be NULL) lets the
 * backend choose the log name the skip is counted under. */
vigil_status vigil__json_next_line(struct vigil_reader *r, vigil__json_line *jl,
                                   void (*before_skip)(struct vigil_reader *r, void *user),
                                   void *user, int *got);
/* read_json_lines.c: the whole next() of a JSON backend.  Reads lines into
 * jl until build(r, user) turns one into r->rec (returns 1; 0 = the line
 * was skipped and reported; -1 = out of memory).  *have_record says
 * whether r->rec is current (for field()); *rec is NULL at the end. */
vigil_status vigil__json_next_record(struct vigil_reader *r, vigil__json_line *jl,
                                     void (*before_skip)(struct vigil_reader *r, void *user),
                                     int (*build)(struct vigil_reader *r, void *user),
                                     void *user, int *have_record, const vigil_record **rec);
/* The raw text of member `name` of jl (NULL when absent or null). */
const char *vigil__json_line_field(const vigil__json_line *jl, const char *name, size_t *len);

#endif
