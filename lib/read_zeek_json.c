/* read_zeek_json.c -- Zeek JSON logs (one object per line) -> records.
 *
 * Input: lines from read_reader.c, each one JSON object whose keys are Zeek
 * field names ("ts", "uid", "id.orig_h", ...; a nested "id":{"orig_h":..}
 * is flattened to the same keys).  Output: the same vigil_record values the
 * TSV reader gives for the same log, because every field goes through
 * vigil__record_set (read_fields.c), with JSON's forms mapped onto Zeek's:
 * null or absent = unset, "" or [] = empty, arrays joined with ',' (TTLs
 * written "%.6f" as Zeek's TSV writer does), true/false for T/F, ts as a
 * number or an ISO-8601 string.
 *
 * The log type comes from a "_path" member when present, else from the
 * file name (conn.json, dns.log...).  Skips: NUL or control bytes ->
 * binary; not one valid JSON object -> bad_json; no type -> unknown log
 * type; no ts -> missing_field (null or unparsable ts -> bad_timestamp);
 * conn/dns/ssl/http without id.orig_h/id.resp_h -> missing_field; a bad
 * field value -> the reason vigil__record_set gives.  Blank lines are not
 * records.  docs/readers.md lists the fields. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include "internal.h"

#define CACHE_SLOTS 128   /* key -> column cache entries (one per position) */
#define CACHE_KEY 48      /* longest key the cache holds */

/* One cached key -> column mapping, for the member at the same position. */
typedef struct col_cache {
    char key[CACHE_KEY];   /* the key text */
    uint8_t len;           /* its length; 0 = empty slot */
    uint8_t type;          /* the vigil_log_type it was looked up for */
    uint8_t col;           /* the vigil__col found */
} col_cache;

/* The backend state, hung off r->be_state. */
typedef struct zjson {
    vigil__json_line *jl;           /* members of the current line */
    int have_record;                /* jl holds the record last returned */
    char file_log[32];              /* log name told by the file name */
    vigil_log_type file_type;       /* its type (UNKNOWN: none) */
    char *scratch;                  /* TTLs re-formatted (grows, reused) */
    size_t scratch_cap;
    char detail[160];               /* text of the last skip diagnostic */
    col_cache cache[CACHE_SLOTS];   /* column of the key at each position */
} zjson;

static vigil_status init(vigil_reader *r)
{
    zjson *st = vigil__calloc(&r->alloc, 1, sizeof *st);
    if (!st) return VIGIL_ENOMEM;
    if (vigil__json_line_new(&st->jl, &r->alloc) != VIGIL_OK) {
        vigil__free(&r->alloc, st);
        return VIGIL_ENOMEM;
    }
    /* read_reader.c put the file name's log name in r->log_name. */
    st->file_type = r->name_type;
    memcpy(st->file_log, r->log_name, sizeof st->file_log);
    st->file_log[sizeof st->file_log - 1] = 0;
    r->be_state = st;
    return VIGIL_OK;
}

static void fini(vigil_reader *r)
{
    zjson *st = r->be_state;
    if (!st) return;
    vigil__json_line_free(st->jl);
    vigil__free(&r->alloc, st->scratch);
    vigil__free(&r->alloc, st);
    r->be_state = NULL;
}

/* Makes the file name's log the current one (for diagnostics of lines
 * whose own _path is unknown). */
static vigil_log_type use_file_log(vigil_reader *r, const zjson *st)
{
    if (st->file_type == VIGIL_LOG_UNKNOWN) {
        r->log_name[0] = 0;
        r->rec.path = r->log_name;
        r->rec.type = VIGIL_LOG_UNKNOWN;
        return VIGIL_LOG_UNKNOWN;
    }
    return vigil__reader_set_log(r, st->file_log, strlen(st->file_log));
}

/* The column of member i, through the per-position cache. */
static vigil__col column_of(zjson *st, vigil_log_type t, size_t i,
                            const vigil__json_member *m)
{
    if (i >= CACHE_SLOTS || m->keylen >= CACHE_KEY || m->keylen == 0)
        return vigil__col_lookup(t, m->key, m->keylen);
    col_cache *c = &st->cache[i];
    if (c->len == m->keylen && c->type == (uint8_t)t && memcmp(c->key, m->key, m->keylen) == 0)
        return (vigil__col)c->col;
    vigil__col col = vigil__col_lookup(t, m->key, m->keylen);
    memcpy(c->key, m->key, m->keylen);
    c->len = (uint8_t)m->keylen;
    c->type = (uint8_t)t;
    c->col = (uint8_t)col;
    return col;
}

/* Rewrites a joined TTL list ("91.0,580") as Zeek's TSV writer prints
 * intervals ("91.000000,580.000000") into st->scratch.  Items that are not
 * numbers are kept as they are.  Returns 0, or -1 when out of memory. */
static int format_ttls(vigil_reader *r, zjson *st, const char *p, size_t n,
                       const char **out, size_t *outn)
{
    /* Each item grows by at most 7 bytes ('.' and six zeros) unless it is
     * written with an exponent; room for 40 per item covers every case. */
    size_t items = 1;
    for (size_t i = 0; i < n; i++) items += p[i] == ',';
    size_t need = n + items * 40 + 1;
    if (st->scratch_cap < need) {
        char *nb = vigil__realloc(&r->alloc, st->scratch, need);
        if (!nb) return -1;
        st->scratch = nb;
        st->scratch_cap = need;
    }
    char *w = st->scratch;
    size_t i = 0;
    int first = 1;
    while (i <= n) {
        size_t j = i;
        while (j < n && p[j] != ',') j++;
        double d;
        if (!first) *w++ = ',';
        first = 0;
        if (vigil__parse_double(p + i, j - i, &d) && d >= 0 && d < 1e15) {
            w += snprintf(w, 40, "%.6f", d);
        } else {
            memcpy(w, p + i, j - i);
            w += j - i;
        }
        i = j + 1;
    }
    *out = st->scratch;
    *outn = (size_t)(w - st->scratch);
    return 0;
}

/* Reports the line as skipped for `why`, with a detail naming `key`. */
static void skip_field(vigil_reader *r, zjson *st, vigil_skip_reason why,
                       const char *key, size_t keylen, const char *what)
{
    snprintf(st->detail, sizeof st->detail, "%.*s: %s",
             (int)(keylen > 64 ? 64 : keylen), key, what);
    vigil__reader_skip(r, why, 0, st->detail);
}

/* Builds r->rec from the parsed members.  Returns 1 when the record is
 * good, 0 when it was skipped (and reported), -1 when out of memory. */
static int build_record(vigil_reader *r, void *user)
{
    zjson *st = user;
    const vigil__json_member *m = vigil__json_line_members(st->jl);
    size_t count = vigil__json_line_count(st->jl);
    const vigil__json_member *pm = vigil__json_line_find(st->jl, "_path", 5);
    vigil_log_type t;
    if (pm && pm->v.kind == VIGIL__JSON_STRING) {
        t = vigil__reader_set_log(r, pm->v.p, pm->v.n);
        if (t == VIGIL_LOG_UNKNOWN) {
            vigil__reader_skip(r, VIGIL_SKIP_UNKNOWN_LOG_TYPE, 0,
                               "_path is not a log name");
            return 0;
        }
    } else {
        t = use_file_log(r, st);
        if (t == VIGIL_LOG_UNKNOWN) {
            vigil__reader_skip(r, VIGIL_SKIP_UNKNOWN_LOG_TYPE, 0,
                               "no _path member and the file name tells no log type");
            return 0;
        }
    }
    vigil__record_reset(&r->rec, t);
    r->rec.line = r->lineno;
    int seen_ts = 0, seen_orig = 0, seen_resp = 0;
    for (size_t i = 0; i < count; i++) {
        vigil__col col = column_of(st, t, i, &m[i]);
        if (col == VIGIL__COL_IGNORE) continue;
        const vigil__json_val *v = &m[i].v;
        const char *p = v->p;
        size_t n = v->n;
        int unset = 0, empty = 0;
        switch (v->kind) {
        case VIGIL__JSON_NULL:
            unset = 1;
            p = NULL;
            n = 0;
            break;
        case VIGIL__JSON_STRING:
            empty = n == 0;
            break;
        case VIGIL__JSON_ARRAY:
            empty = !m[i].raw && n == 0;
            if (col == VIGIL__COL_TTLS && !m[i].raw && n > 0 &&
                format_ttls(r, st, v->p, v->n, &p, &n))
                return -1;
            break;
        default:
            break;
        }
        if (col == VIGIL__COL_TS) seen_ts = 1;
        else if (col == VIGIL__COL_ORIG_H) seen_orig = 1;
        else if (col == VIGIL__COL_RESP_H) seen_resp = 1;
        vigil_skip_reason why = vigil__record_set(&r->rec, col, p, n, unset, empty);
        if (why != VIGIL_SKIP_NONE) {
            skip_field(r, st, why, m[i].key, m[i].keylen,
                       unset ? "unset" : "bad value");
            return 0;
        }
    }
    if (!seen_ts) {
        vigil__reader_skip(r, VIGIL_SKIP_MISSING_FIELD, 0, "no ts");
        return 0;
    }
    if (t != VIGIL_LOG_OTHER && (!seen_orig || !seen_resp)) {
        vigil__reader_skip(r, VIGIL_SKIP_MISSING_FIELD, 0,
                           !seen_orig ? "no id.orig_h" : "no id.resp_h");
        return 0;
    }
    const char *why_text = NULL;
    vigil_skip_reason why = vigil__record_finish(&r->rec, &why_text);
    if (why != VIGIL_SKIP_NONE) {
        vigil__reader_skip(r, why, 0, why_text);
        return 0;
    }
    return 1;
}

/* Bad lines are counted under the file name's log (there is no _path). */
static void zjson_before_skip(vigil_reader *r, void *user)
{
    use_file_log(r, user);
}

static vigil_status next(vigil_reader *r, const vigil_record **out)
{
    zjson *st = r->be_state;
    return vigil__json_next_record(r, st->jl, zjson_before_skip, build_record, st, &st->have_record, out);
}

/* vigil_reader_field: any member of the current record, by its (flattened)
 * key.  Strings come decoded, arrays joined with ','; null is "no value". */
static const char *field(const vigil_reader *r, const char *name, size_t *len)
{
    const zjson *st = r->be_state;
    if (!st || !st->have_record) return NULL;
    return vigil__json_line_field(st->jl, name, len);
}

const vigil__backend vigil__backend_zeek_json = {
    VIGIL_FORMAT_ZEEK_JSON, init, next, field, fini,
};
