/* read_reader.c -- opens any input, sniffs its format, hands out lines.
 *
 * Input: a path (plain or gzip) or a memory buffer.  Output: a vigil_reader
 * whose format backend (read_zeek_tsv.c, read_zeek_json.c, read_eve.c,
 * read_pcap.c) turns lines or packets into records.  gzip goes through
 * ISA-L's igzip inflate (about 2.5x zlib's speed on this machine); lines are
 * split with memchr over a large buffer, one copy-free pass. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <isa-l/igzip_lib.h>
#include "internal.h"

#define CHUNK (1u << 20)            /* bytes read or inflated per refill */
#define DEFAULT_MAX_LINE (64u << 20)

struct vigil__src {
    int fd;                          /* -1 for memory input */
    const unsigned char *mem;        /* memory input */
    size_t mem_len, mem_pos;
    int gzip;                        /* inflate the stream */
    struct inflate_state inf;        /* ISA-L state */
    unsigned char *in;               /* compressed input buffer (file) */
    size_t in_cap;
    int in_eof;                      /* no more compressed bytes */
    int member_done;                 /* a gzip member just ended */
    int failed;                      /* corrupt or truncated stream */
    int io_error;                    /* read(2) failed */
};

/* ---- byte source ---------------------------------------------------------- */

static long raw_read(vigil__src *s, unsigned char *dst, size_t n)
{
    if (s->fd < 0) {
        size_t left = s->mem_len - s->mem_pos;
        if (n > left) n = left;
        memcpy(dst, s->mem + s->mem_pos, n);
        s->mem_pos += n;
        return (long)n;
    }
    for (;;) {
        ssize_t got = read(s->fd, dst, n);
        if (got >= 0) return (long)got;
        if (errno == EINTR) continue;
        s->io_error = 1;
        return -1;
    }
}

/* Reads up to n decompressed bytes.  0 means end (check failed/io_error). */
static long src_read(vigil__src *s, unsigned char *dst, size_t n)
{
    if (!s->gzip) return raw_read(s, dst, n);
    if (s->failed) return 0;
    s->inf.next_out = dst;
    s->inf.avail_out = (uint32_t)(n > UINT32_MAX ? UINT32_MAX : n);
    while (s->inf.avail_out == n) {
        if (s->inf.avail_in == 0 && !s->in_eof) {
            long got;
            if (s->fd < 0) {
                /* Memory input: point at it directly, no copy. */
                size_t left = s->mem_len - s->mem_pos;
                if (left > UINT32_MAX) left = UINT32_MAX;
                s->inf.next_in = (uint8_t *)(uintptr_t)(s->mem + s->mem_pos);
                s->mem_pos += left;
                got = (long)left;
            } else {
                got = raw_read(s, s->in, s->in_cap);
                s->inf.next_in = s->in;
            }
            if (got < 0) return -1;
            if (got == 0) s->in_eof = 1;
            s->inf.avail_in = (uint32_t)got;
        }
        if (s->member_done) {
            /* Concatenated gzip members (as `cat a.gz b.gz` makes) go on;
             * trailing zero padding ends the stream. */
            while (s->inf.avail_in && *s->inf.next_in == 0) { s->inf.next_in++; s->inf.avail_in--; }
            if (s->inf.avail_in == 0) {
                if (s->in_eof) return 0;
                continue;
            }
            isal_inflate_reset(&s->inf);
            s->inf.crc_flag = ISAL_GZIP;
            s->member_done = 0;
        }
        if (s->inf.avail_in == 0 && s->in_eof) {
            /* Input ended inside a member. */
            s->failed = 1;
            break;
        }
        int rc = isal_inflate(&s->inf);
        if (rc < 0) {
            s->failed = 1;
            break;
        }
        if (s->inf.block_state == ISAL_BLOCK_FINISH) s->member_done = 1;
    }
    return (long)(n - s->inf.avail_out);
}

static void src_free(const vigil_allocator *a, vigil__src *s)
{
    if (!s) return;
    if (s->fd >= 0) close(s->fd);
    vigil__free(a, s->in);
    vigil__free(a, s);
}

/* ---- reader --------------------------------------------------------------- */

void vigil__reader_skip_n(vigil_reader *r, vigil_skip_reason why, uint64_t line,
                          uint64_t count, const char *detail)
{
    if (count == 0) return;
    r->counts.skipped += count;
    r->counts.by_reason[why] += count;
    if (r->diag) {
        vigil_diag d = {
            .kind = VIGIL_DIAG_SKIPPED, .reason = why, .file = r->file,
            .line = line ? line : r->lineno, .count = count,
            .log = r->log_name[0] ? r->log_name : NULL, .detail = detail,
        };
        r->diag(r->diag_user, &d);
    }
}

void vigil__reader_skip(vigil_reader *r, vigil_skip_reason why, uint64_t line,
                        const char *detail)
{
    vigil__reader_skip_n(r, why, line, 1, detail);
}

vigil_log_type vigil__log_type_from_name(const char *name, size_t len)
{
    if (len == 4 && memcmp(name, "conn", 4) == 0) return VIGIL_LOG_CONN;
    if (len == 4 && memcmp(name, "flow", 4) == 0) return VIGIL_LOG_CONN;
    if (len == 3 && memcmp(name, "dns", 3) == 0) return VIGIL_LOG_DNS;
    if (len == 3 && memcmp(name, "ssl", 3) == 0) return VIGIL_LOG_SSL;
    if (len == 3 && memcmp(name, "tls", 3) == 0) return VIGIL_LOG_SSL;
    if (len == 4 && memcmp(name, "http", 4) == 0) return VIGIL_LOG_HTTP;
    return VIGIL_LOG_OTHER;
}

static int is_ident(const char *s, size_t n)
{
    if (n == 0 || n > 31) return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '_' || c == '-'))
            return 0;
    }
    return 1;
}

vigil_log_type vigil__reader_set_log(vigil_reader *r, const char *name, size_t len)
{
    if (!is_ident(name, len)) {
        r->log_name[0] = 0;
        r->rec.path = r->log_name;
        r->rec.type = VIGIL_LOG_UNKNOWN;
        return VIGIL_LOG_UNKNOWN;
    }
    memcpy(r->log_name, name, len);
    r->log_name[len] = 0;
    r->rec.path = r->log_name;
    r->rec.type = vigil__log_type_from_name(name, len);
    return r->rec.type;
}

vigil_log_type vigil__log_type_from_filename(const char *base, char *name_out, size_t cap)
{
    /* Zeek names: conn.log, conn.log.gz, conn.00:00:00-01:00:00.log.gz,
     * conn_20180101.log, ssl.log.labeled, conn.json ... the type is the
     * leading identifier. */
    size_t n = 0;
    while (base[n] && ((base[n] >= 'a' && base[n] <= 'z') || base[n] == '_' ||
                       (base[n] >= '0' && base[n] <= '9')))
        n++;
    if (cap) name_out[0] = 0;
    if (n == 0 || (base[n] != '.' && base[n] != '_' && base[n] != '-') ) return VIGIL_LOG_UNKNOWN;
    /* conn_20180101 -> conn */
    size_t k = 0;
    while (k < n && base[k] != '_') k++;
    if (k == 0) return VIGIL_LOG_UNKNOWN;
    if (!strstr(base, ".log") && !strstr(base, ".json") && !strstr(base, ".labeled"))
        return VIGIL_LOG_UNKNOWN;
    if (k + 1 > cap) return VIGIL_LOG_UNKNOWN;
    memcpy(name_out, base, k);
    name_out[k] = 0;
    vigil_log_type t = vigil__log_type_from_name(base, k);
    return t;
}

/* Makes room and reads more bytes into the line buffer.  Returns 1 when
 * bytes were added, 0 at end of input, -1 on I/O error. */
static int refill(vigil_reader *r)
{
    if (r->eof) return 0;
    if (r->beg > 0) {
        memmove(r->buf, r->buf + r->beg, r->end - r->beg);
        r->end -= r->beg;
        r->beg = 0;
    }
    /* Grow only when a partial line fills most of the buffer: small
     * (in-memory) inputs keep a small buffer, files read CHUNK at a time. */
    if (r->cap - r->end < r->cap / 4) {
        size_t nc = r->cap * 2;
        char *nb = vigil__realloc(&r->alloc, r->buf, nc + VIGIL__BUF_PAD);
        if (!nb) return -2;
        r->buf = nb;
        r->cap = nc;
    }
    long got = src_read(r->src, (unsigned char *)r->buf + r->end, r->cap - r->end);
    if (got < 0) return -1;
    if (got == 0) {
        r->eof = 1;
        if (r->src->failed) r->truncated = 1;
        return 0;
    }
    r->end += (size_t)got;
    r->counts.bytes += (uint64_t)got;
    return 1;
}

long vigil__reader_read_raw(vigil_reader *r, void *buf, size_t n)
{
    size_t have = r->end - r->beg;
    if (have) {
        if (n > have) n = have;
        memcpy(buf, r->buf + r->beg, n);
        r->beg += n;
        return (long)n;
    }
    if (r->eof) return 0;
    long got = src_read(r->src, buf, n);
    if (got < 0) return -1;
    if (got == 0) {
        r->eof = 1;
        if (r->src->failed) r->truncated = 1;
    }
    r->counts.bytes += (uint64_t)got;
    return got;
}

vigil_status vigil__reader_getline(vigil_reader *r, char **line, size_t *len)
{
    size_t scanned = r->beg; /* bytes before this offset hold no newline */
    for (;;) {
        char *nl = memchr(r->buf + scanned, '\n', r->end - scanned);
        if (nl) {
            char *p = r->buf + r->beg;
            size_t n = (size_t)(nl - p);
            r->beg = (size_t)(nl - r->buf) + 1;
            r->lineno++;
            r->counts.lines++;
            if (n > r->max_line) {
                vigil__reader_skip(r, VIGIL_SKIP_LINE_TOO_LONG, 0, "line longer than the limit");
                scanned = r->beg;
                continue;
            }
            if (n && p[n - 1] == '\r') n--;
            p[n] = 0;
            *line = p;
            *len = n;
            return VIGIL_OK;
        }
        if (r->end - r->beg > r->max_line) {
            /* Over-long line: drop what we have, keep looking for its end. */
            size_t keep_line = r->lineno + 1;
            r->beg = r->end;
            int rc;
            while ((rc = refill(r)) > 0) {
                nl = memchr(r->buf + r->beg, '\n', r->end - r->beg);
                if (nl) { r->beg = (size_t)(nl - r->buf) + 1; break; }
                r->beg = r->end;
            }
            if (rc == -2) return VIGIL_ENOMEM;
            if (rc == -1) return VIGIL_EIO;
            r->lineno++;
            r->counts.lines++;
            vigil__reader_skip(r, VIGIL_SKIP_LINE_TOO_LONG, keep_line, "line longer than the limit");
            scanned = r->beg;
            continue;
        }
        scanned = r->end - r->beg; /* relative: refill moves data to 0 */
        int rc = refill(r);
        if (rc == -2) return VIGIL_ENOMEM;
        if (rc == -1) return VIGIL_EIO;
        scanned += r->beg;
        if (rc == 0) {
            if (r->beg < r->end) {
                /* A last line without newline. */
                char *p = r->buf + r->beg;
                size_t n = r->end - r->beg;
                r->beg = r->end;
                r->lineno++;
                r->counts.lines++;
                if (r->truncated) {
                    /* Cut off mid-line by a truncated stream: not a record. */
                    vigil__reader_skip(r, VIGIL_SKIP_TRUNCATED_GZIP, 0,
                                       "compressed stream ends early (partial last line dropped)");
                    r->truncated = 2;
                    *line = NULL;
                    *len = 0;
                    return VIGIL_OK;
                }
                if (n && p[n - 1] == '\r') n--;
                p[n] = 0;
                *line = p;
                *len = n;
                return VIGIL_OK;
            }
            if (r->truncated == 1) {
                r->truncated = 2;
                vigil__reader_skip_n(r, VIGIL_SKIP_TRUNCATED_GZIP, r->lineno + 1, 1,
                                     "compressed stream ends early or is corrupt");
            }
            *line = NULL;
            *len = 0;
            return VIGIL_OK;
        }
    }
}

static int has_binary(const unsigned char *p, size_t n)
{
    size_t bad = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = p[i];
        if (c == 0) return 1;
        if (c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f') bad++;
    }
    return bad * 20 > n; /* more than 5% control bytes */
}

static int is_pcap_magic(const unsigned char *p, size_t n)
{
    if (n < 4) return 0;
    uint32_t m = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
    return m == 0xa1b2c3d4u || m == 0xd4c3b2a1u || m == 0xa1b23c4du ||
           m == 0x4d3cb2a1u || m == 0x0a0d0d0au;
}

/* Picks the backend from the first buffered bytes. */
static vigil_format sniff(const char *p, size_t n, int *binary)
{
    *binary = 0;
    if (is_pcap_magic((const unsigned char *)p, n)) return VIGIL_FORMAT_PCAP;
    size_t i = 0;
    if (n >= 3 && (unsigned char)p[0] == 0xef && (unsigned char)p[1] == 0xbb &&
        (unsigned char)p[2] == 0xbf)
        i = 3; /* UTF-8 BOM */
    while (i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' || p[i] == '\n')) i++;
    /* The first byte decides; binary junk further down is the line
     * parsers' business (skipped and reported per line). */
    if (i < n && p[i] == '#') return VIGIL_FORMAT_ZEEK_TSV;
    if (i < n && p[i] == '{') {
        const char *nl = memchr(p + i, '\n', n - i);
        size_t ln = nl ? (size_t)(nl - (p + i)) : n - i;
        const char *q = p + i;
        /* EVE lines carry "event_type"; Zeek JSON never does. */
        for (size_t k = 0; k + 12 <= ln; k++)
            if (q[k] == '"' && memcmp(q + k, "\"event_type\"", 12) == 0) return VIGIL_FORMAT_EVE;
        return VIGIL_FORMAT_ZEEK_JSON;
    }
    size_t head = n - i < 65536 ? n - i : 65536;
    *binary = has_binary((const unsigned char *)p + i, head);
    return VIGIL_FORMAT_UNKNOWN;
}

static const vigil__backend *backend_for(vigil_format f)
{
    switch (f) {
    case VIGIL_FORMAT_ZEEK_TSV: return &vigil__backend_zeek_tsv;
    case VIGIL_FORMAT_ZEEK_JSON: return &vigil__backend_zeek_json;
    case VIGIL_FORMAT_EVE: return &vigil__backend_eve;
    case VIGIL_FORMAT_PCAP: return &vigil__backend_pcap;
    case VIGIL_FORMAT_UNKNOWN: break;
    }
    return NULL;
}

static vigil_status open_common(vigil_reader **out, const char *name, int fd,
                                const void *data, size_t len,
                                const vigil_reader_opts *opts)
{
    vigil_allocator a;
    vigil__alloc_init(&a, opts ? opts->alloc : NULL);
    vigil_status rc = VIGIL_ENOMEM;
    vigil_reader *r = vigil__calloc(&a, 1, sizeof *r);
    if (!r) { if (fd >= 0) close(fd); return VIGIL_ENOMEM; }
    r->alloc = a;
    if (opts) {
        r->diag = opts->diag;
        r->diag_user = opts->diag_user;
        r->max_line = opts->max_line;
        r->pcap_idle_timeout = opts->pcap_idle_timeout;
        r->fields = opts->fields;
        r->conn_early = opts->conn_early;
        r->conn_early_user = opts->conn_early_user;
    }
    if (!r->max_line) r->max_line = DEFAULT_MAX_LINE;
    r->file = vigil__strdup(&a, name);
    r->src = vigil__calloc(&a, 1, sizeof *r->src);
    if (!r->file || !r->src) { if (fd >= 0) close(fd); goto out; }
    r->src->fd = fd;
    r->src->mem = data;
    r->src->mem_len = len;
    const char *slash = strrchr(r->file, '/');
    r->base = slash ? slash + 1 : r->file;
    r->rec.file = r->file;
    r->rec.path = r->log_name;
    /* A file reads CHUNK at a time; a small memory input (tests, fuzzing)
     * gets a buffer of about its own size, so opening one stays cheap. */
    r->cap = CHUNK;
    if (fd < 0) {
        size_t want = 4096;
        while (want < len && want < CHUNK) want *= 2;
        r->cap = want;
    }
    r->buf = vigil__malloc(&a, r->cap + VIGIL__BUF_PAD);
    if (r->buf) memset(r->buf + r->cap, 0, VIGIL__BUF_PAD);
    if (!r->buf) goto out;

    /* gzip magic decides whether to inflate. */
    unsigned char magic[2];
    long got;
    if (fd >= 0) {
        got = raw_read(r->src, magic, 2);
        if (got < 0) { rc = VIGIL_EIO; goto out; }
        if (lseek(fd, 0, SEEK_SET) != 0) {
            /* Not seekable (a pipe): keep the two bytes in the buffer. */
            memcpy(r->buf, magic, (size_t)got);
            r->end = (size_t)got;
            if (got == 2 && magic[0] == 0x1f && magic[1] == 0x8b) {
                rc = VIGIL_EUNSUPPORTED; /* gzip from a pipe: not yet */
                goto out;
            }
        }
    } else {
        got = len < 2 ? (long)len : 2;
        memcpy(magic, data, (size_t)got);
    }
    if (got == 2 && magic[0] == 0x1f && magic[1] == 0x8b) {
        r->is_gzip = 1;
        r->src->gzip = 1;
        isal_inflate_init(&r->src->inf);
        r->src->inf.crc_flag = ISAL_GZIP;
        if (fd >= 0) {
            r->src->in_cap = CHUNK;
            r->src->in = vigil__malloc(&a, CHUNK);
            if (!r->src->in) goto out;
        }
    }
    int rr = refill(r);
    if (rr == -2) goto out;
    if (rr == -1) { rc = VIGIL_EIO; goto out; }
    r->name_type = vigil__log_type_from_filename(r->base, r->log_name, sizeof r->log_name);
    int binary;
    r->format = sniff(r->buf + r->beg, r->end - r->beg, &binary);
    if (r->format == VIGIL_FORMAT_UNKNOWN) {
        if (r->end == r->beg && !r->truncated) {
            /* An empty file is a clean, empty log (Zeek writes those). */
            r->format = VIGIL_FORMAT_ZEEK_TSV;
        } else {
            rc = VIGIL_EFORMAT;
            goto out;
        }
    }
    r->be = backend_for(r->format);
    rc = r->be->init ? r->be->init(r) : VIGIL_OK;
    if (rc != VIGIL_OK) { r->be = NULL; goto out; }
    *out = r;
    return VIGIL_OK;
out:
    vigil_reader_free(r);
    return rc;
}

vigil_status vigil_reader_open(vigil_reader **out, const char *path,
                               const vigil_reader_opts *opts)
{
    if (!out || !path) return VIGIL_EINVAL;
    *out = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return VIGIL_ENOENT;
#ifdef POSIX_FADV_SEQUENTIAL
    (void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
#endif
    return open_common(out, path, fd, NULL, 0, opts);
}

vigil_status vigil_reader_open_mem(vigil_reader **out, const char *name,
                                   const void *data, size_t len,
                                   const vigil_reader_opts *opts)
{
    if (!out || !name || (!data && len)) return VIGIL_EINVAL;
    *out = NULL;
    return open_common(out, name, -1, data ? data : "", len, opts);
}

vigil_status vigil_reader_next(vigil_reader *r, const vigil_record **rec)
{
    if (!r || !rec) return VIGIL_EINVAL;
    vigil_status rc = r->be->next(r, rec);
    if (rc == VIGIL_OK && *rec) r->counts.records++;
    if (rc == VIGIL_OK && !*rec && r->src->io_error) rc = VIGIL_EIO;
    return rc;
}

const char *vigil_reader_field(const vigil_reader *r, const char *name, size_t *len)
{
    if (!r || !name || !r->be || !r->be->field) return NULL;
    size_t dummy;
    return r->be->field(r, name, len ? len : &dummy);
}

vigil_format vigil_reader_format(const vigil_reader *r) { return r ? r->format : VIGIL_FORMAT_UNKNOWN; }

const vigil_reader_counts *vigil_reader_counts_get(const vigil_reader *r) { return r ? &r->counts : NULL; }

void vigil_reader_free(vigil_reader *r)
{
    if (!r) return;
    vigil_allocator a = r->alloc;
    if (r->be && r->be->fini) r->be->fini(r);
    src_free(&a, r->src);
    vigil__free(&a, r->buf);
    vigil__free(&a, r->file);
    vigil__free(&a, r);
}

int vigil_looks_like_log(const char *name, const void *head, size_t len)
{
    const char *slash = strrchr(name, '/');
    const char *base = slash ? slash + 1 : name;
    const unsigned char *h = head;
    if (len >= 2 && h[0] == 0x1f && h[1] == 0x8b) {
        /* Compressed: trust the name (a .gz log or capture). */
        return strstr(base, ".log") != NULL || strstr(base, ".json") != NULL ||
               strstr(base, ".pcap") != NULL || strstr(base, "eve") != NULL;
    }
    int binary;
    vigil_format f = sniff(head, len, &binary);
    if (f == VIGIL_FORMAT_PCAP) return 1;
    if (f == VIGIL_FORMAT_ZEEK_TSV) {
        /* '#' alone is also a comment in configs and a heading in
         * Markdown: a Zeek log's first line is #separator (or #fields /
         * #path in logs other tools wrote). */
        const char *p = head;
        size_t i = 0;
        while (i < len && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' || p[i] == '\n')) i++;
        static const char *const starts[] = { "#separator", "#fields\t", "#path\t" };
        for (size_t k = 0; k < 3; k++) {
            size_t sl = strlen(starts[k]);
            if (len - i >= sl && memcmp(p + i, starts[k], sl) == 0) return 1;
        }
        return 0;
    }
    if (f == VIGIL_FORMAT_EVE) return 1;
    if (f == VIGIL_FORMAT_ZEEK_JSON) {
        /* Any JSON file starts with '{': a Zeek JSON log's first line is a
         * record with a "ts" (or "_path") member; a manifest, a config or
         * a pretty-printed document is not a log. */
        const char *p = head;
        const char *nl = memchr(p, '\n', len);
        size_t ln = nl ? (size_t)(nl - p) : len;
        for (size_t k = 0; k + 5 <= ln; k++)
            if (p[k] == '"' && (memcmp(p + k, "\"ts\":", 5) == 0 ||
                                (k + 8 <= ln && memcmp(p + k, "\"_path\":", 8) == 0)))
                return 1;
        return 0;
    }
    /* Empty or unknown content: a name like conn.log still counts as a log
     * (an empty hourly file, or a broken one that must be reported). */
    char tmp[32];
    return vigil__log_type_from_filename(base, tmp, sizeof tmp) != VIGIL_LOG_UNKNOWN &&
           (strstr(base, ".log") != NULL);
}
