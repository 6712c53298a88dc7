/* test_roundtrip.c -- a real Zeek TSV log rewritten as Zeek JSON reads back
 * into identical records. */
#include <stdlib.h>
#include "test.h"

/* Column names and types of a Zeek TSV file, from its header. */
typedef struct cols {
    int n;               /* number of columns */
    char name[64][64];   /* #fields */
    char type[64][64];   /* #types */
} cols;

static int read_header(const char *path, cols *c)
{
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    char line[8192];
    c->n = 0;
    while (fgets(line, sizeof line, f)) {
        int is_fields = strncmp(line, "#fields\t", 8) == 0;
        int is_types = strncmp(line, "#types\t", 7) == 0;
        if (!is_fields && !is_types) continue;
        line[strcspn(line, "\r\n")] = 0;
        int k = 0;
        for (char *tok = strtok(line + (is_fields ? 8 : 7), "\t"); tok && k < 64; tok = strtok(NULL, "\t"), k++)
            snprintf(is_fields ? c->name[k] : c->type[k], 64, "%s", tok);
        if (is_fields) c->n = k;
        if (is_types) break;
    }
    fclose(f);
    return c->n > 0;
}

/* Appends s[0..n) to buf as a JSON string. */
static void json_str(char **o, const char *s, size_t n)
{
    *(*o)++ = '"';
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch == '"' || ch == '\\') { *(*o)++ = '\\'; *(*o)++ = (char)ch; }
        else if (ch < 0x20) *o += sprintf(*o, "\\u%04x", ch);
        else *(*o)++ = (char)ch;
    }
    *(*o)++ = '"';
}

/* Rewrites one TSV log as Zeek JSON the way Zeek's JSON writer does:
 * numbers bare, strings quoted, sets/vectors as arrays, unset omitted. */
static char *to_json(const char *path, const cols *c, size_t *out_len)
{
    vigil_reader *r;
    if (vigil_reader_open(&r, path, NULL) != VIGIL_OK) return NULL;
    size_t cap = 64u << 20;
    char *buf = malloc(cap), *o = buf;
    const vigil_record *rec;
    while (vigil_reader_next(r, &rec) == VIGIL_OK && rec) {
        *o++ = '{';
        int first = 1;
        for (int i = 0; i < c->n; i++) {
            size_t len;
            const char *v = vigil_reader_field(r, c->name[i], &len);
            if (!v || (len == 1 && v[0] == '-')) continue; /* unset */
            if (!first) *o++ = ',';
            first = 0;
            json_str(&o, c->name[i], strlen(c->name[i]));
            *o++ = ':';
            const char *t = c->type[i];
            int empty = len == 7 && memcmp(v, "(empty)", 7) == 0;
            if (!strncmp(t, "set[", 4) || !strncmp(t, "vector[", 7)) {
                *o++ = '[';
                size_t s = 0;
                int quoted = strstr(t, "string") || strstr(t, "addr") || strstr(t, "enum");
                for (size_t k = 0; !empty && k <= len; k++) {
                    if (k == len || v[k] == ',') {
                        if (s) *o++ = ',';
                        if (quoted) json_str(&o, v + s, k - s);
                        else { memcpy(o, v + s, k - s); o += k - s; }
                        s = k + 1;
                    }
                }
                *o++ = ']';
            } else if (!strcmp(t, "string") || !strcmp(t, "addr") || !strcmp(t, "enum")) {
                json_str(&o, empty ? "" : v, empty ? 0 : len);
            } else if (!strcmp(t, "bool")) {
                o += sprintf(o, "%s", v[0] == 'T' ? "true" : "false");
            } else {
                memcpy(o, v, len);
                o += len;
            }
        }
        *o++ = '}';
        *o++ = '\n';
    }
    vigil_reader_free(r);
    *out_len = (size_t)(o - buf);
    return buf;
}

static int str_eq(vigil_str a, vigil_str b)
{
    if ((a.p == NULL) != (b.p == NULL)) return 0;
    return a.len == b.len && (a.len == 0 || memcmp(a.p, b.p, a.len) == 0);
}

static int id_eq(const vigil_conn_id *a, const vigil_conn_id *b)
{
    return a->ts == b->ts && str_eq(a->uid, b->uid) && !memcmp(&a->orig_h, &b->orig_h, 16) &&
           !memcmp(&a->resp_h, &b->resp_h, 16) && a->orig_p == b->orig_p && a->resp_p == b->resp_p;
}

/* Field-by-field equality of two records of the same family. */
static int rec_eq(const vigil_record *a, const vigil_record *b)
{
    if (a->type != b->type || a->ts != b->ts || strcmp(a->path, b->path)) return 0;
    switch (a->type) {
    case VIGIL_LOG_CONN: {
        const vigil_conn *x = &a->u.conn, *y = &b->u.conn;
        return id_eq(&x->id, &y->id) && x->proto == y->proto && x->conn_state == y->conn_state &&
               x->local_orig == y->local_orig && x->local_resp == y->local_resp &&
               x->present == y->present && x->duration == y->duration &&
               x->orig_bytes == y->orig_bytes && x->resp_bytes == y->resp_bytes &&
               x->missed_bytes == y->missed_bytes && x->orig_pkts == y->orig_pkts &&
               x->orig_ip_bytes == y->orig_ip_bytes && x->resp_pkts == y->resp_pkts &&
               x->resp_ip_bytes == y->resp_ip_bytes && str_eq(x->service, y->service) &&
               str_eq(x->history, y->history);
    }
    case VIGIL_LOG_DNS: {
        const vigil_dns *x = &a->u.dns, *y = &b->u.dns;
        return id_eq(&x->id, &y->id) && x->proto == y->proto && x->rejected == y->rejected &&
               x->qtype == y->qtype && x->rcode == y->rcode && x->trans_id == y->trans_id &&
               x->rtt == y->rtt && str_eq(x->query, y->query) && str_eq(x->qtype_name, y->qtype_name) &&
               str_eq(x->rcode_name, y->rcode_name) && str_eq(x->answers, y->answers) &&
               str_eq(x->ttls, y->ttls);
    }
    case VIGIL_LOG_SSL: {
        const vigil_ssl *x = &a->u.ssl, *y = &b->u.ssl;
        return id_eq(&x->id, &y->id) && x->established == y->established && x->resumed == y->resumed &&
               str_eq(x->version, y->version) && str_eq(x->cipher, y->cipher) &&
               str_eq(x->server_name, y->server_name) && str_eq(x->subject, y->subject) &&
               str_eq(x->issuer, y->issuer) && str_eq(x->ja3, y->ja3) && str_eq(x->ja3s, y->ja3s);
    }
    case VIGIL_LOG_HTTP: {
        const vigil_http *x = &a->u.http, *y = &b->u.http;
        return id_eq(&x->id, &y->id) && x->status_code == y->status_code &&
               x->request_body_len == y->request_body_len && x->response_body_len == y->response_body_len &&
               str_eq(x->method, y->method) && str_eq(x->host, y->host) && str_eq(x->uri, y->uri) &&
               str_eq(x->referrer, y->referrer) && str_eq(x->user_agent, y->user_agent) &&
               str_eq(x->resp_mime_types, y->resp_mime_types);
    }
    default:
        return id_eq(&a->u.conn.id, &b->u.conn.id);
    }
}

/* Reads TSV and its JSON twin side by side; returns mismatching records
 * (or a large number when the counts differ). */
static unsigned long long roundtrip(const char *rel, const char *json_name, unsigned long long *n_out)
{
    char path[512];
    test_real_path(rel, path, sizeof path);
    cols c;
    if (!read_header(path, &c)) return 1000000;
    size_t jl;
    char *json = to_json(path, &c, &jl);
    if (!json) return 1000000;
    vigil_reader *t, *j;
    unsigned long long bad = 0, n = 0;
    if (vigil_reader_open(&t, path, NULL) != VIGIL_OK) { free(json); return 1000000; }
    if (vigil_reader_open_mem(&j, json_name, json, jl, NULL) != VIGIL_OK) {
        vigil_reader_free(t);
        free(json);
        return 1000000;
    }
    CHECK(vigil_reader_format(j) == VIGIL_FORMAT_ZEEK_JSON);
    for (;;) {
        const vigil_record *a, *b;
        if (vigil_reader_next(t, &a) != VIGIL_OK || vigil_reader_next(j, &b) != VIGIL_OK) { bad++; break; }
        if (!a || !b) { if (a || b) bad += 1000; break; }
        n++;
        if (!rec_eq(a, b)) {
            if (bad < 3) fprintf(stderr, "  %s: record %llu differs (line %llu)\n", rel, n, (unsigned long long)a->line);
            bad++;
        }
    }
    CHECK_EQ_U(vigil_reader_counts_get(j)->skipped, 0);
    vigil_reader_free(t);
    vigil_reader_free(j);
    free(json);
    *n_out = n;
    return bad;
}

TEST(roundtrip_tsv_json_real_logs)
{
    static const struct { const char *rel, *json_name; unsigned long long n; } logs[] = {
        { "njrat/conn.log.labeled", "conn.json", 992 },
        { "ctu-normal-43-day1/conn.log.labeled", "conn.json", 9048 },
        { "simda/dns.log", "dns.json", 992 },
        { "simda/http.log", "http.json", 992 },
        { "ctu-normal-43-day1/ssl.log.labeled", "ssl.json", 2820 },
        { "remcos/dhcp.log.labeled", "dhcp.json", 1 },
    };
    for (size_t i = 0; i < sizeof logs / sizeof logs[0]; i++) {
        unsigned long long n = 0;
        unsigned long long bad = roundtrip(logs[i].rel, logs[i].json_name, &n);
        if (bad || n != logs[i].n) {
            fprintf(stderr, "  %s: %llu records, %llu differ\n", logs[i].rel, n, bad);
            vigil_test_failures++;
        }
    }
}

/* Hunt reads Zeek TSV with a projection (only vigil__agg_fields) and Zeek
 * JSON whole.  The simda capture (DGA NXDOMAIN bursts, HTTP hosts) hunted
 * from its TSV logs and from their JSON twins must give the same findings
 * byte for byte: this fails when the add path reads a field the list lacks
 * (rcode, say).  The generated world's twin is in test_hunt.c. */
TEST(roundtrip_hunt_simda_tsv_projection_equals_json)
{
    static const char *const logs[3] = { "simda/conn.log", "simda/dns.log", "simda/http.log" };
    static const char *const names[3] = { "conn.json", "dns.json", "http.json" };
    char tsv[3][512], json[3][512];
    for (int i = 0; i < 3; i++) {
        test_real_path(logs[i], tsv[i], sizeof tsv[i]);
        snprintf(json[i], sizeof json[i], "%s/%s", test_tmpdir(), names[i]);
        cols c;
        size_t jl = 0;
        char *text = read_header(tsv[i], &c) ? to_json(tsv[i], &c, &jl) : NULL;
        FILE *f = text ? fopen(json[i], "w") : NULL;
        CHECK(f && fwrite(text, 1, jl, f) == jl);
        if (f) fclose(f);
        free(text);
    }
    const char *const tp[3] = { tsv[0], tsv[1], tsv[2] }, *const jp[3] = { json[0], json[1], json[2] };
    vigil_findings f[2] = { { 0 }, { 0 } };
    vigil_hunt_summary s[2];
    vigil_hunt_opts o;
    memset(&o, 0, sizeof o);
    CHECK(vigil_hunt(tp, 3, &o, &f[0], &s[0]) == VIGIL_OK);
    CHECK(vigil_hunt(jp, 3, &o, &f[1], &s[1]) == VIGIL_OK);
    CHECK_EQ_U(s[0].skipped + s[1].skipped, 0);
    CHECK_EQ_U(s[0].records, s[1].records);
    CHECK(f[0].n > 0 && f[0].n == f[1].n);
    int dns = 0;
    for (size_t i = 0; i < f[0].n && i < f[1].n; i++) {
        dns |= f[0].v[i].kind == VIGIL_FIND_DNS;
        char *b0 = NULL, *b1 = NULL;
        size_t l0 = 0, l1 = 0;
        FILE *m0 = open_memstream(&b0, &l0), *m1 = open_memstream(&b1, &l1);
        if (m0 && m1) {
            vigil_finding_write_jsonl(m0, &f[0].v[i]);
            vigil_finding_write_jsonl(m1, &f[1].v[i]);
        }
        if (m0) fclose(m0);
        if (m1) fclose(m1);
        CHECK(b0 && b1 && strcmp(b0, b1) == 0);
        free(b0);
        free(b1);
    }
    CHECK(dns); /* the NXDOMAIN bursts are found */
    vigil_findings_free(&f[0]);
    vigil_findings_free(&f[1]);
}
