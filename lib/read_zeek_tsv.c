/* read_zeek_tsv.c -- Zeek ASCII (TSV) logs: headers, then records, fast.
 *
 * Input: lines from read_reader.c (any number of #separator ... #close
 * blocks, fields in any order, extra columns kept for vigil_reader_field).
 * Output: vigil_record values (read_fields.c fills them).  This is the hot
 * path of every hunt: a line is split with SSE2 compares that find every
 * separator (and backslash) 16 bytes at a time, instead of one memchr call
 * per field, which costs more than the field on short Zeek fields
 * (measured: see bench/).  Method and field list: docs/readers.md. */
#include <stddef.h>
#include <string.h>
#include "internal.h"
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#define MAX_MARK 32 /* longest #unset_field / #empty_field text kept */

typedef struct tsv_state {
    char sep;                 /* field separator (#separator, default TAB) */
    char set_sep;             /* separator inside sets (#set_separator) */
    char unset[MAX_MARK];     /* #unset_field text ("-") */
    size_t unset_len;
    char empty[MAX_MARK];     /* #empty_field text ("(empty)") */
    size_t empty_len;
    int have_fields;          /* a #fields line was seen in this block */
    int bad_block;            /* this block's header is unusable */
    char bad_why[96];         /* why, for the per-record diagnostics */
    vigil_log_type type;      /* family of the current block */
    size_t ncols;             /* columns in #fields */
    size_t cap;               /* capacity of the arrays below */
    uint8_t *col;             /* vigil__col id per column */
    vigil__fast_col *fast;    /* per column: how the hot loop stores it */
    char **names;             /* column names (owned) */
    uint32_t *active;         /* the columns read (col != IGNORE), in order */
    size_t nactive;
    const char **fpos;        /* current record: start of each field */
    size_t *flen;             /* current record: length of each field */
    size_t *seps;             /* scratch: separator offsets in the line */
    size_t names_n;           /* names[] entries allocated */
    int canon_conn;           /* columns 0..19 are Zeek's own conn order with
                                 the default markers: straight-line parse */
    uint32_t canon_want;      /* bit i: canonical column i is read (the
                                 caller's projection; all ones without) */
    int fields_valid;         /* fpos/flen describe the current record; else
                                 fields are found from `line` and `seps` */
    const char *line;         /* the current record's line (for field()) */
} tsv_state;

static void free_names(vigil_reader *r, tsv_state *st)
{
    for (size_t i = 0; i < st->names_n; i++) vigil__free(&r->alloc, st->names[i]);
    st->names_n = 0;
}

static void block_reset(tsv_state *st)
{
    st->sep = '\t';
    st->set_sep = ',';
    memcpy(st->unset, "-", 2);
    st->unset_len = 1;
    memcpy(st->empty, "(empty)", 8);
    st->empty_len = 7;
    st->have_fields = 0;
    st->bad_block = 0;
    st->bad_why[0] = 0;
}

static vigil_status init(vigil_reader *r)
{
    tsv_state *st = vigil__calloc(&r->alloc, 1, sizeof *st);
    if (!st) return VIGIL_ENOMEM;
    block_reset(st);
    st->type = r->name_type;
    r->be_state = st;
    return VIGIL_OK;
}

static void fini(vigil_reader *r)
{
    tsv_state *st = r->be_state;
    if (!st) return;
    free_names(r, st);
    vigil__free(&r->alloc, st->col);
    vigil__free(&r->alloc, st->fast);
    vigil__free(&r->alloc, st->names);
    vigil__free(&r->alloc, st->active);
    vigil__free(&r->alloc, st->fpos);
    vigil__free(&r->alloc, st->flen);
    vigil__free(&r->alloc, st->seps);
    vigil__free(&r->alloc, st);
    r->be_state = NULL;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Decodes Zeek's escapes (\xHH, and \\ for a backslash) in place; returns
 * the new length. */
static size_t unescape(char *p, size_t n)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (p[i] == '\\' && i + 3 < n && p[i + 1] == 'x' && hexval(p[i + 2]) >= 0 &&
            hexval(p[i + 3]) >= 0) {
            p[o++] = (char)(hexval(p[i + 2]) * 16 + hexval(p[i + 3]));
            i += 3;
        } else if (p[i] == '\\' && i + 1 < n && p[i + 1] == '\\') {
            p[o++] = '\\';
            i += 1;
        } else {
            p[o++] = p[i];
        }
    }
    return o;
}

static vigil_status ensure_cols(vigil_reader *r, tsv_state *st, size_t n)
{
    if (n <= st->cap) return VIGIL_OK;
    size_t nc = st->cap ? st->cap : 32;
    while (nc < n) nc *= 2;
    uint8_t *col = vigil__realloc(&r->alloc, st->col, nc * sizeof *col);
    if (!col) return VIGIL_ENOMEM;
    st->col = col;
    vigil__fast_col *fast = vigil__realloc(&r->alloc, st->fast, nc * sizeof *fast);
    if (!fast) return VIGIL_ENOMEM;
    st->fast = fast;
    char **names = vigil__realloc(&r->alloc, st->names, nc * sizeof *names);
    if (!names) return VIGIL_ENOMEM;
    st->names = names;
    const char **fpos = vigil__realloc(&r->alloc, st->fpos, nc * sizeof *fpos);
    if (!fpos) return VIGIL_ENOMEM;
    st->fpos = fpos;
    size_t *flen = vigil__realloc(&r->alloc, st->flen, nc * sizeof *flen);
    if (!flen) return VIGIL_ENOMEM;
    st->flen = flen;
    uint32_t *active = vigil__realloc(&r->alloc, st->active, nc * sizeof *active);
    if (!active) return VIGIL_ENOMEM;
    st->active = active;
    /* +17: find_seps checks the limit once per 16-byte block, so one block
     * may store up to 16 offsets past it. */
    size_t *seps = vigil__realloc(&r->alloc, st->seps, (nc + 17) * sizeof *seps);
    if (!seps) return VIGIL_ENOMEM;
    st->seps = seps;
    st->cap = nc;
    return VIGIL_OK;
}

static void mark_bad(tsv_state *st, const char *why)
{
    if (!st->bad_block) {
        st->bad_block = 1;
        snprintf(st->bad_why, sizeof st->bad_why, "%s", why);
    }
}

/* The type a block's records have: #path, else the file name. */
static void decide_type(vigil_reader *r, tsv_state *st, const char *path, size_t plen)
{
    if (plen) {
        st->type = vigil__reader_set_log(r, path, plen);
    } else if (r->name_type != VIGIL_LOG_UNKNOWN) {
        char tmp[32];
        vigil__log_type_from_filename(r->base, tmp, sizeof tmp);
        st->type = vigil__reader_set_log(r, tmp, strlen(tmp));
    } else {
        st->type = VIGIL_LOG_UNKNOWN;
        r->log_name[0] = 0;
    }
}

/* 1 when `name` is in the caller's NULL-terminated list. */
static int field_listed(const char *const *list, const char *name)
{
    for (; *list; list++)
        if (strcmp(*list, name) == 0) return 1;
    return 0;
}

/* #fields: column names -> ids.  Validates that the family's key fields are
 * there. */
static vigil_status parse_fields(vigil_reader *r, tsv_state *st, char *v, size_t n)
{
    size_t count = 1;
    for (size_t i = 0; i < n; i++) count += v[i] == st->sep;
    vigil_status rc = ensure_cols(r, st, count);
    if (rc != VIGIL_OK) return rc;
    free_names(r, st);
    int seen_ts = 0, seen_o = 0, seen_r = 0;
    uint64_t seen_mask[2] = { 0, 0 };
    size_t k = 0, start = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i < n && v[i] != st->sep) continue;
        const char *name = v + start;
        size_t len = i - start;
        st->names[k] = vigil__strndup(&r->alloc, name, len);
        if (!st->names[k]) return VIGIL_ENOMEM;
        st->names_n = k + 1;
        vigil__col c = vigil__col_lookup(st->type, name, len);
        if (c != VIGIL__COL_IGNORE) {
            /* A column named twice: keep the first, ignore the second. */
            if (seen_mask[c / 64] & (1ULL << (c % 64))) c = VIGIL__COL_IGNORE;
            else seen_mask[c / 64] |= 1ULL << (c % 64);
        }
        st->col[k] = (uint8_t)c;
        vigil__col_fast(st->type, c, &st->fast[k]);
        seen_ts |= c == VIGIL__COL_TS;
        seen_o |= c == VIGIL__COL_ORIG_H;
        seen_r |= c == VIGIL__COL_RESP_H;
        if (len == 0) mark_bad(st, "#fields has an empty column name");
        k++;
        start = i + 1;
    }
    st->ncols = k;
    st->have_fields = 1;
    static const vigil__col canon[20] = {
        VIGIL__COL_TS, VIGIL__COL_UID, VIGIL__COL_ORIG_H, VIGIL__COL_ORIG_P,
        VIGIL__COL_RESP_H, VIGIL__COL_RESP_P, VIGIL__COL_PROTO, VIGIL__COL_SERVICE,
        VIGIL__COL_DURATION, VIGIL__COL_ORIG_BYTES, VIGIL__COL_RESP_BYTES,
        VIGIL__COL_CONN_STATE, VIGIL__COL_LOCAL_ORIG, VIGIL__COL_LOCAL_RESP,
        VIGIL__COL_MISSED_BYTES, VIGIL__COL_HISTORY, VIGIL__COL_ORIG_PKTS,
        VIGIL__COL_ORIG_IP_BYTES, VIGIL__COL_RESP_PKTS, VIGIL__COL_RESP_IP_BYTES,
    };
    st->canon_conn = st->type == VIGIL_LOG_CONN && k >= 20 && st->unset_len == 1 &&
                     st->unset[0] == '-' && st->empty_len == 7 &&
                     memcmp(st->empty, "(empty)", 7) == 0;
    for (size_t i = 0; i < k; i++)
        if ((i < 20 && st->col[i] != canon[i]) || (i >= 20 && st->col[i] != VIGIL__COL_IGNORE))
            st->canon_conn = 0;
    /* The caller's projection (vigil_reader_opts.fields): a column it does
     * not read is ignored -- neither converted nor checked -- in both
     * parses.  Done after the canonical check, which is about the file's
     * shape; the key columns are always read. */
    st->canon_want = ~0u;
    for (size_t i = 0; r->fields && i < k; i++) {
        vigil__col c = (vigil__col)st->col[i];
        if (c == VIGIL__COL_IGNORE || c == VIGIL__COL_TS || c == VIGIL__COL_ORIG_H ||
            c == VIGIL__COL_RESP_H || field_listed(r->fields, st->names[i]))
            continue;
        st->col[i] = VIGIL__COL_IGNORE;
        vigil__col_fast(st->type, VIGIL__COL_IGNORE, &st->fast[i]);
        if (i < 20) st->canon_want &= ~(1u << i);
    }
    st->nactive = 0;
    for (size_t i = 0; i < k; i++)
        if (st->col[i] != VIGIL__COL_IGNORE) st->active[st->nactive++] = (uint32_t)i;
    if (st->type != VIGIL_LOG_OTHER && st->type != VIGIL_LOG_UNKNOWN) {
        if (!seen_ts) mark_bad(st, "#fields has no ts column");
        else if (!seen_o || !seen_r) mark_bad(st, "#fields lacks id.orig_h/id.resp_h");
    }
    return VIGIL_OK;
}

static void parse_types(tsv_state *st, char *v, size_t n)
{
    size_t k = 0, start = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i < n && v[i] != st->sep) continue;
        const char *t = v + start;
        size_t len = i - start;
        if (st->have_fields && k < st->ncols) {
            if (!vigil__zeek_type_known(t, len)) {
                char why[96];
                snprintf(why, sizeof why, "#types: unknown type \"%.*s\" for %s",
                         (int)(len > 30 ? 30 : len), t, st->names[k]);
                mark_bad(st, why);
            } else if (!vigil__col_type_ok((vigil__col)st->col[k], t, len)) {
                char why[96];
                snprintf(why, sizeof why, "#types: %s is \"%.*s\"", st->names[k],
                         (int)(len > 30 ? 30 : len), t);
                mark_bad(st, why);
            }
        }
        k++;
        start = i + 1;
    }
    if (st->have_fields && k != st->ncols) mark_bad(st, "#types and #fields differ in length");
}

static void set_mark(char *dst, size_t *dlen, const char *v, size_t n)
{
    if (n >= MAX_MARK) n = MAX_MARK - 1;
    memcpy(dst, v, n);
    dst[n] = 0;
    *dlen = n;
}

/* One '#' line. */
static vigil_status header_line(vigil_reader *r, tsv_state *st, char *line, size_t n)
{
    if (n >= 11 && memcmp(line, "#separator", 10) == 0 && (line[10] == ' ' || line[10] == '\t')) {
        /* A new block starts: "#separator \x09". */
        block_reset(st);
        r->log_name[0] = 0;
        st->type = VIGIL_LOG_UNKNOWN;
        char *v = line + 11;
        size_t vn = unescape(v, n - 11);
        if (vn != 1) {
            mark_bad(st, "#separator is not one character");
            return VIGIL_OK;
        }
        st->sep = v[0];
        return VIGIL_OK;
    }
    /* Other header lines: "#key<sep>value". */
    size_t k = 1;
    while (k < n && line[k] != st->sep) k++;
    const char *key = line + 1;
    size_t klen = k - 1;
    char *v = k < n ? line + k + 1 : line + n;
    size_t vn = k < n ? n - k - 1 : 0;
#define KEY(lit) (klen == sizeof(lit) - 1 && memcmp(key, lit, klen) == 0)
    if (KEY("set_separator")) {
        vn = unescape(v, vn);
        if (vn == 1) st->set_sep = v[0];
    } else if (KEY("empty_field")) {
        set_mark(st->empty, &st->empty_len, v, vn);
    } else if (KEY("unset_field")) {
        set_mark(st->unset, &st->unset_len, v, vn);
    } else if (KEY("path")) {
        if (st->have_fields) {
            /* #path after #fields: a new block without #separator. */
            st->have_fields = 0;
            st->bad_block = 0;
        }
        decide_type(r, st, v, vn);
        if (st->type == VIGIL_LOG_UNKNOWN) mark_bad(st, "#path is not a log name");
        st->have_fields = 0;
        return VIGIL_OK;
    } else if (KEY("fields")) {
        /* No #path in this block: the file name tells the type. */
        if (!r->log_name[0]) decide_type(r, st, NULL, 0);
        if (st->have_fields) st->bad_block = 0; /* a second #fields starts afresh */
        return parse_fields(r, st, v, vn);
    } else if (KEY("types")) {
        parse_types(st, v, vn);
    }
    /* #open, #close and unknown '#' lines carry nothing we need. */
#undef KEY
    return VIGIL_OK;
}

static int has_binary(const char *p, size_t n, size_t reported_len)
{
    if (reported_len != n) return 1; /* a NUL inside the line */
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c < 0x20 && c != '\t') return 1;
    }
    return 0;
}

/* Finds every separator of the line: st->seps[0..k) get their offsets and
 * *bs is set when the line holds a backslash.  Stops in the 16-byte block
 * where more than max_seps were found (k may then exceed max_seps + 1 by up
 * to 15: the array has room). */
static size_t find_seps(const char *p, size_t n, char sep, size_t *seps, size_t max_seps, int *bs)
{
    size_t k = 0;
    int any_bs = 0;
#if defined(__SSE2__)
    const __m128i vs = _mm_set1_epi8(sep), vb = _mm_set1_epi8('\\');
    unsigned mball = 0;
    for (size_t i = 0; i < n; i += 16) {
        __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(p + i));
        unsigned ms = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(x, vs));
        unsigned mb = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(x, vb));
        if (n - i < 16) {
            unsigned keep = (1u << (n - i)) - 1;
            ms &= keep;
            mb &= keep;
        }
        mball |= mb;
        while (ms) {
            seps[k++] = i + (size_t)__builtin_ctz(ms);
            ms &= ms - 1;
        }
        if (k > max_seps) break; /* too many fields: the caller says so */
    }
    any_bs = mball != 0;
#else
    for (size_t i = 0; i < n; i++) {
        if (p[i] == sep) {
            if (k > max_seps) break;
            seps[k++] = i;
        } else if (p[i] == '\\') {
            any_bs = 1;
        }
    }
#endif
    *bs = any_bs;
    return k;
}

/* Zeek's own conn.log column order, parsed in straight-line code: no
 * per-field dispatch, so no indirect-jump mispredictions (the dispatch was
 * the largest single cost left in the generic loop, by perf).  Columns
 * outside the caller's projection (st->canon_want) are left unset, not
 * looked at.  Returns 0 when any field read has an unusual shape; the
 * caller then parses the line with the generic loop, which also finds the
 * skip reason.  Returns 2 when the caller's conn_early took the record
 * after its keys (ts, addresses, local_orig/local_resp: read first). */
static int parse_conn_canon(const vigil_reader *r, const tsv_state *st, vigil_record *rec, const char *line)
{
    const size_t *s = st->seps;
#define F(i) (line + ((i) ? s[(i) - 1] + 1 : 0))
#define L(i) (s[i] - ((i) ? s[(i) - 1] + 1 : 0))
#define UNSET(i) (L(i) == 1 && F(i)[0] == '-')
#define W(i) (want & (1u << (i)))
    vigil_conn *c = &rec->u.conn;
    const uint32_t want = st->canon_want;
    uint32_t present = 0;
    uint64_t v;
    if (!vigil__decimal_fast(F(0), L(0), &c->id.ts)) return 0;
    rec->ts = c->id.ts;
    c->id.uid.p = UNSET(1) || !W(1) ? NULL : F(1);
    c->id.uid.len = UNSET(1) || !W(1) ? 0 : L(1);
    if (!vigil__addr_v4_fast(F(2), L(2), &c->id.orig_h)) return 0;
    c->id.orig_p = 0;
    if (W(3)) {
        if (L(3) > 5 || !vigil__parse_u64(F(3), L(3), &v) || v > 65535) return 0;
        c->id.orig_p = (uint16_t)v;
    }
    if (!vigil__addr_v4_fast(F(4), L(4), &c->id.resp_h)) return 0;
    for (int i = 12; i <= 13; i++) {
        int8_t b = VIGIL_UNSET;
        if (!W(i)) {
            if (i == 12) c->local_orig = b; else c->local_resp = b;
            continue;
        }
        if (L(i) != 1) return 0;
        char ch = F(i)[0];
        if (ch == 'T') b = VIGIL_TRUE;
        else if (ch == 'F') b = VIGIL_FALSE;
        else if (ch == '-') b = VIGIL_UNSET;
        else return 0;
        if (i == 12) c->local_orig = b; else c->local_resp = b;
    }
    /* The caller may be done with the record now (conn_early): then the
     * other columns are left alone. */
    if (r->conn_early && r->conn_early(r->conn_early_user, rec) == 0) return 2;
    c->id.resp_p = 0;
    if (W(5)) {
        if (L(5) > 5 || !vigil__parse_u64(F(5), L(5), &v) || v > 65535) return 0;
        c->id.resp_p = (uint16_t)v;
    }
    const char *p = F(6);
    c->proto = VIGIL_PROTO_UNKNOWN;
    if (W(6)) {
        if (L(6) != 3) return 0;
        if (p[0] == 't' && p[1] == 'c' && p[2] == 'p') c->proto = VIGIL_PROTO_TCP;
        else if (p[0] == 'u' && p[1] == 'd' && p[2] == 'p') c->proto = VIGIL_PROTO_UDP;
        else return 0;
    }
    c->service.p = UNSET(7) || !W(7) ? NULL : F(7);
    c->service.len = UNSET(7) || !W(7) || (L(7) == 7 && F(7)[0] == '(') ? 0 : L(7);
    c->duration = 0;
    if (!UNSET(8) && W(8)) {
        if (!vigil__decimal_fast(F(8), L(8), &c->duration)) return 0;
        present |= VIGIL_CONN_HAS_DURATION;
    }
    static const struct { uint8_t col; uint8_t bit; uint16_t off; } counts[8] = {
        { 9, 1, (uint16_t)offsetof(vigil_conn, orig_bytes) },
        { 10, 2, (uint16_t)offsetof(vigil_conn, resp_bytes) },
        { 14, 3, (uint16_t)offsetof(vigil_conn, missed_bytes) },
        { 16, 4, (uint16_t)offsetof(vigil_conn, orig_pkts) },
        { 17, 5, (uint16_t)offsetof(vigil_conn, orig_ip_bytes) },
        { 18, 6, (uint16_t)offsetof(vigil_conn, resp_pkts) },
        { 19, 7, (uint16_t)offsetof(vigil_conn, resp_ip_bytes) },
        { 0, 0, 0 },
    };
    for (int k = 0; k < 7; k++) {
        unsigned i = counts[k].col;
        uint64_t x = 0;
        if (!UNSET(i) && W(i)) {
            if (L(i) > 16 || !vigil__parse_u64(F(i), L(i), &x)) return 0;
            present |= 1u << counts[k].bit;
        }
        memcpy((char *)c + counts[k].off, &x, sizeof x);
    }
    p = F(11);
    size_t n = L(11);
    if (!W(11)) c->conn_state = VIGIL_CS_UNSET;
    else if (n == 2 && p[0] == 'S' && p[1] == 'F') c->conn_state = VIGIL_CS_SF;
    else if (n == 2 && p[0] == 'S' && p[1] == '0') c->conn_state = VIGIL_CS_S0;
    else if (n == 3 && p[0] == 'R' && p[1] == 'E' && p[2] == 'J') c->conn_state = VIGIL_CS_REJ;
    else if (n == 2 && p[0] == 'S' && p[1] == '1') c->conn_state = VIGIL_CS_S1;
    else if (n == 3 && p[0] == 'O' && p[1] == 'T' && p[2] == 'H') c->conn_state = VIGIL_CS_OTH;
    else return 0; /* rarer states: the generic path */
    c->history.p = UNSET(15) || !W(15) ? NULL : F(15);
    c->history.len = UNSET(15) || !W(15) || (L(15) == 7 && F(15)[0] == '(' &&
                                             memcmp(F(15), "(empty)", 7) == 0) ? 0 : L(15);
    if (W(7) && L(7) == 7 && F(7)[0] == '(' && memcmp(F(7), "(empty)", 7) != 0)
        c->service.len = 7;
    c->present = present;
#undef W
#undef F
#undef L
#undef UNSET
    return 1;
}

/* Whether f[0..fl) is the block's unset or empty marker (raw text). */
VIGIL__HOT void markers(const tsv_state *st, const char *f, size_t fl, int *unset, int *empty)
{
    *unset = fl == st->unset_len && f[0] == st->unset[0] && memcmp(f, st->unset, fl) == 0;
    *empty = !*unset && fl == st->empty_len && f[0] == st->empty[0] && memcmp(f, st->empty, fl) == 0;
}

/* Stores column value f[0..fl) (unescaped) of kind fc into rec.  The
 * common shapes are stored here without a call; anything else (unset
 * markers, odd text) goes to the generic vigil__record_set, which also
 * gives the skip reason. */
VIGIL__HOT vigil_skip_reason set_value(vigil_record *rec, vigil__col c, vigil__fast_col fc, const char *f,
                                          size_t fl, int unset, int empty)
{
    char *dst = (char *)rec + fc.offset;
    switch ((vigil__fast_kind)fc.kind) {
    case VIGIL__FAST_TS:
        if (vigil__decimal_fast(f, fl, &rec->ts)) {
            rec->u.conn.id.ts = rec->ts;
            return VIGIL_SKIP_NONE;
        }
        break;
    case VIGIL__FAST_ADDR:
        if (vigil__addr_v4_fast(f, fl, (vigil_addr *)(void *)dst)) return VIGIL_SKIP_NONE;
        break;
    case VIGIL__FAST_COUNT: {
        uint64_t v;
        if (fl <= 16 && vigil__parse_u64(f, fl, &v)) {
            memcpy(dst, &v, sizeof v);
            rec->u.conn.present |= 1u << fc.bit;
            return VIGIL_SKIP_NONE;
        }
        break;
    }
    case VIGIL__FAST_PORT: {
        uint64_t v;
        if (fl <= 5 && vigil__parse_u64(f, fl, &v) && v <= 65535) {
            uint16_t p16 = (uint16_t)v;
            memcpy(dst, &p16, sizeof p16);
            return VIGIL_SKIP_NONE;
        }
        break;
    }
    case VIGIL__FAST_INTERVAL: {
        double d;
        if (vigil__decimal_fast(f, fl, &d)) {
            memcpy(dst, &d, sizeof d);
            rec->u.conn.present |= 1u << fc.bit;
            return VIGIL_SKIP_NONE;
        }
        break;
    }
    case VIGIL__FAST_STR: {
        vigil_str sv = { f, fl };
        if (unset) {
            sv.p = NULL;
            sv.len = 0;
        } else if (empty) {
            sv.len = 0;
        }
        memcpy(dst, &sv, sizeof sv);
        return VIGIL_SKIP_NONE;
    }
    case VIGIL__FAST_GENERIC:
        break;
    }
    return vigil__record_set(rec, c, f, fl, unset, empty);
}

/* set_value for a column without escapes. */
VIGIL__HOT vigil_skip_reason set_col(const tsv_state *st, vigil_record *rec, vigil__col c, vigil__fast_col fc,
                                        const char *f, size_t fl)
{
    int unset, empty;
    markers(st, f, fl, &unset, &empty);
    return set_value(rec, c, fc, f, fl, unset, empty);
}

/* Column i's text in the current record. */
static const char *col_text(const tsv_state *st, size_t i, size_t *len)
{
    if (st->fields_valid) {
        *len = st->flen[i];
        return st->fpos[i];
    }
    size_t start = i ? st->seps[i - 1] + 1 : 0;
    *len = st->seps[i] - start;
    return st->line + start;
}

static vigil_status next(vigil_reader *r, const vigil_record **out)
{
    tsv_state *st = r->be_state;
    char *line;
    size_t n;
    for (;;) {
        vigil_status rc = vigil__reader_getline(r, &line, &n);
        if (rc != VIGIL_OK) return rc;
        if (!line) { *out = NULL; return VIGIL_OK; }
        if (n == 0) continue; /* blank line: nothing */
        if (line[0] == '#') {
            rc = header_line(r, st, line, n);
            if (rc != VIGIL_OK) return rc;
            continue;
        }
        if (!st->have_fields) {
            if (has_binary(line, strlen(line), n))
                vigil__reader_skip(r, VIGIL_SKIP_BINARY, 0, "binary bytes in a text log");
            else
                vigil__reader_skip(r, VIGIL_SKIP_NO_HEADER, 0, "data line before any #fields header");
            continue;
        }
        if (st->bad_block) {
            vigil__reader_skip(r, VIGIL_SKIP_BAD_HEADER, 0, st->bad_why);
            continue;
        }
        if (st->type == VIGIL_LOG_UNKNOWN) {
            vigil__reader_skip(r, VIGIL_SKIP_UNKNOWN_LOG_TYPE, 0,
                               "no #path and the file name does not name a log type");
            continue;
        }
        int bs;
        size_t nsep = find_seps(line, n, st->sep, st->seps, st->ncols - 1, &bs);
        if (nsep != st->ncols - 1) {
            char why[64];
            if (nsep >= st->ncols)
                snprintf(why, sizeof why, "more than %zu fields", st->ncols);
            else
                snprintf(why, sizeof why, "%zu fields, %zu expected", nsep + 1, st->ncols);
            if (has_binary(line, strlen(line), n))
                vigil__reader_skip(r, VIGIL_SKIP_BINARY, 0, "binary bytes in a text log");
            else if (nsep < st->ncols - 1)
                vigil__reader_skip(r, VIGIL_SKIP_TOO_FEW_FIELDS, 0, why);
            else
                vigil__reader_skip(r, VIGIL_SKIP_TOO_MANY_FIELDS, 0, why);
            continue;
        }
        st->seps[nsep] = n;
        vigil_record *rec = &r->rec;
        rec->type = st->type;
        rec->line = r->lineno;
        st->line = line;
        int canon = st->canon_conn && !bs ? parse_conn_canon(r, st, rec, line) : 0;
        if (canon == 2) { /* the caller is done with it */
            st->fields_valid = 0;
            r->counts.records++;
            continue;
        }
        if (canon) {
            st->fields_valid = 0;
            *out = rec;
            return VIGIL_OK;
        }
        vigil__record_reset(rec, st->type);
        rec->ts = -1;
        if (st->type == VIGIL_LOG_DNS) rec->u.dns.set_sep = st->set_sep;
        vigil_skip_reason bad = VIGIL_SKIP_NONE;
        size_t bad_col = 0;
        /* Locals, not st->...: the stores through the record may alias
         * anything, and would force a reload of every array pointer. */
        const size_t *const seps = st->seps;
        const uint8_t *const cols = st->col;
        const vigil__fast_col *const fast = st->fast;
        if (!bs) {
            /* No escapes: only the columns read are visited (with a
             * projection, 8 of a dns line's 24, 5 of an http line's 29);
             * vigil_reader_field finds the others from the separators. */
            st->fields_valid = 0;
            const uint32_t *const act = st->active;
            for (size_t k = 0, na = st->nactive; k < na; k++) {
                size_t i = act[k], b = i ? seps[i - 1] + 1 : 0;
                vigil_skip_reason why = set_col(st, rec, (vigil__col)cols[i], fast[i], line + b, seps[i] - b);
                if (why != VIGIL_SKIP_NONE) {
                    bad = why;
                    bad_col = i;
                    break;
                }
            }
        } else {
            /* Escapes are decoded in place, every column's (for
             * vigil_reader_field), before its value is read. */
            st->fields_valid = 1;
            const char **const fpos = st->fpos;
            size_t *const flen = st->flen;
            for (size_t i = 0, start = 0, nc = st->ncols; i < nc; i++) {
                char *f = line + start;
                size_t fl = seps[i] - start;
                start = seps[i] + 1;
                vigil__col c = (vigil__col)cols[i];
                /* Markers are recognised on the raw text: Zeek writes a
                 * real "-" value escaped (\x2d), which must not read as
                 * unset. */
                int unset = 0, empty = 0;
                if (c != VIGIL__COL_IGNORE && !bad) markers(st, f, fl, &unset, &empty);
                if (memchr(f, '\\', fl)) fl = unescape(f, fl);
                fpos[i] = f;
                flen[i] = fl;
                if (c == VIGIL__COL_IGNORE || bad) continue;
                vigil_skip_reason why = set_value(rec, c, fast[i], f, fl, unset, empty);
                if (why != VIGIL_SKIP_NONE) { bad = why; bad_col = i; }
            }
        }
        if (bad) {
            char why[96];
            size_t bl;
            const char *bt = col_text(st, bad_col, &bl);
            snprintf(why, sizeof why, "field %s: \"%.*s\"", st->names[bad_col], (int)(bl > 40 ? 40 : bl), bt);
            if (has_binary(line, strlen(line), n))
                vigil__reader_skip(r, VIGIL_SKIP_BINARY, 0, "binary bytes in a text log");
            else
                vigil__reader_skip(r, bad, 0, why);
            continue;
        }
        *out = rec;
        return VIGIL_OK;
    }
}

static const char *field(const vigil_reader *r, const char *name, size_t *len)
{
    const tsv_state *st = r->be_state;
    if (!st || !st->have_fields) return NULL;
    size_t nl = strlen(name);
    for (size_t i = 0; i < st->ncols && i < st->names_n; i++) {
        if (strlen(st->names[i]) == nl && memcmp(st->names[i], name, nl) == 0)
            return col_text(st, i, len);
    }
    return NULL;
}

const vigil__backend vigil__backend_zeek_tsv = { VIGIL_FORMAT_ZEEK_TSV, init, next, field, fini };
