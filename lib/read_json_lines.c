/* read_json_lines.c -- the line loop the JSON readers (Zeek JSON, EVE) share.
 *
 * Input: the reader's lines.  Output: the next line parsed into a
 * vigil__json_line table, bad lines skipped and reported (binary_data,
 * bad_json, line_too_long).  Each backend then maps the members to a
 * record (read_zeek_json.c, read_eve.c). */
#include <string.h>
#include "internal.h"

static int is_blank(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r') return 0;
    return 1;
}

/* 1 when the line holds a NUL or a control byte JSON never has raw. */
static int has_binary(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c < 0x20 && c != '\t' && c != '\r' && c != '\n') return 1;
    }
    return 0;
}

vigil_status vigil__json_next_line(vigil_reader *r, vigil__json_line *jl,
                                   void (*before_skip)(vigil_reader *r, void *user),
                                   void *user, int *got)
{
    for (;;) {
        char *line;
        size_t len;
        vigil_status rc = vigil__reader_getline(r, &line, &len);
        if (rc != VIGIL_OK) return rc;
        if (!line) {
            vigil__json_line_clear(jl);
            *got = 0;
            return VIGIL_OK;
        }
        if (r->lineno == 1 && len >= 3 && memcmp(line, "\xef\xbb\xbf", 3) == 0) {
            line += 3; /* UTF-8 byte order mark */
            len -= 3;
        }
        if (is_blank(line, len)) continue;
        int jr = vigil__json_line_parse(jl, line, len);
        if (jr == VIGIL__JSON_LINE_NOMEM) return VIGIL_ENOMEM;
        if (jr == VIGIL__JSON_LINE_OK) {
            *got = 1;
            return VIGIL_OK;
        }
        if (before_skip) before_skip(r, user);
        if (jr == VIGIL__JSON_LINE_TOO_MANY)
            vigil__reader_skip(r, VIGIL_SKIP_LINE_TOO_LONG, 0, "too many JSON members in one line");
        else if (has_binary(line, len))
            vigil__reader_skip(r, VIGIL_SKIP_BINARY, 0, "NUL or control bytes in a JSON line");
        else
            vigil__reader_skip(r, VIGIL_SKIP_BAD_JSON, 0, "not one valid JSON object");
    }
}

vigil_status vigil__json_next_record(vigil_reader *r, vigil__json_line *jl,
                                     void (*before_skip)(vigil_reader *r, void *user),
                                     int (*build)(vigil_reader *r, void *user),
                                     void *user, int *have_record, const vigil_record **rec)
{
    *have_record = 0;
    for (;;) {
        int got;
        vigil_status rc = vigil__json_next_line(r, jl, before_skip, user, &got);
        if (rc != VIGIL_OK) return rc;
        if (!got) {
            *rec = NULL;
            return VIGIL_OK;
        }
        int ok = build(r, user);
        if (ok < 0) return VIGIL_ENOMEM;
        if (ok) {
            *have_record = 1;
            *rec = &r->rec;
            return VIGIL_OK;
        }
    }
}

const char *vigil__json_line_field(const vigil__json_line *jl, const char *name, size_t *len)
{
    const vigil__json_member *m = vigil__json_line_find(jl, name, strlen(name));
    if (!m || m->v.kind == VIGIL__JSON_NULL) return NULL;
    *len = m->v.n;
    return m->v.p;
}
