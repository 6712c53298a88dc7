/* state_db.c -- the state database: opening, schema and migration, input
 * files and batches, reported findings, retention, and `vigil dest`.
 *
 * Input: a path (SQLite file).  Output: a vigil_state the hunt writes its
 * days into (state_agg.c) and reads history from.  Schema in docs/state.md.
 *
 * Safety: every change runs inside one BEGIN IMMEDIATE transaction, in
 * SQLite's rollback-journal mode, so a process killed at any point leaves
 * the file as it was before or after the run (SQLite rolls a hot journal
 * back on the next open).  A file is only written after it has been shown
 * to be a vigil state (its meta table) that passes PRAGMA quick_check. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "state_impl.h"

#define APP_ID 0x5647494c          /* "VGIL": PRAGMA application_id */
#define HEAD_BYTES 65536           /* bytes hashed to identify a file */
#define DEFAULT_BUSY_MS 10000

vigil_status vigil__state_fail(vigil_state *s, vigil_status st, const char *fmt, ...)
{
    if (s) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(s->err, sizeof s->err, fmt, ap);
        va_end(ap);
    }
    return st;
}

vigil_status vigil__state_sqlerr(vigil_state *s, int rc, const char *what)
{
    int prim = rc & 0xff;
    const char *msg = s && s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc);
    switch (prim) {
    case SQLITE_NOMEM: return vigil__state_fail(s, VIGIL_ENOMEM, "%s: out of memory", what);
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return vigil__state_fail(s, VIGIL_EBUSY,
                                 "%s: the state database is in use by another vigil run "
                                 "(try again when it has finished)", what);
    case SQLITE_FULL:
        return vigil__state_fail(s, VIGIL_ENOSPC,
                                 "%s: no space left on the device; nothing was changed", what);
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
        return vigil__state_fail(s, VIGIL_ESTATE, "%s: the state database is corrupt (%s)", what, msg);
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
    case SQLITE_READONLY:
    case SQLITE_PERM:
        return vigil__state_fail(s, VIGIL_EIO, "%s: %s", what, msg);
    default: return vigil__state_fail(s, VIGIL_EIO, "%s: %s", what, msg);
    }
}

const char *vigil_state_errmsg(const vigil_state *s) { return s ? s->err : ""; }

int vigil_state_default_path(char *buf, size_t n)
{
    const char *e = getenv("VIGIL_STATE");
    int k;
    if (e && *e) k = snprintf(buf, n, "%s", e);
    else if ((e = getenv("XDG_STATE_HOME")) && *e) k = snprintf(buf, n, "%s/vigil/state.db", e);
    else if ((e = getenv("HOME")) && *e) k = snprintf(buf, n, "%s/.local/state/vigil/state.db", e);
    else return 0;
    return k > 0 && (size_t)k < n;
}

/* ---- schema ---------------------------------------------------------------- */

/* Version 1: the first schema. */
static const char SCHEMA_V1[] =
    "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
    "CREATE TABLE batch(id INTEGER PRIMARY KEY, started REAL NOT NULL);"
    "CREATE TABLE file(path TEXT PRIMARY KEY, size INTEGER NOT NULL, mtime INTEGER NOT NULL,"
    " head INTEGER NOT NULL, batch INTEGER NOT NULL);"
    "CREATE INDEX file_content ON file(size, head);"
    "CREATE INDEX file_batch ON file(batch);"
    "CREATE TABLE addr(id INTEGER PRIMARY KEY, a BLOB NOT NULL UNIQUE);"
    "CREATE TABLE name(id INTEGER PRIMARY KEY, s TEXT NOT NULL UNIQUE);"
    "CREATE TABLE day_counts(batch INTEGER, day INTEGER, conns INTEGER, kept INTEGER,"
    " inbound INTEGER, internal_only INTEGER, external_only INTEGER, noise INTEGER,"
    " first_ts REAL, last_ts REAL, PRIMARY KEY(batch, day)) WITHOUT ROWID;"
    "CREATE TABLE addr_day(batch INTEGER, day INTEGER, addr INTEGER, flags INTEGER,"
    " dns_name INTEGER, dns_ts REAL, PRIMARY KEY(batch, day, addr)) WITHOUT ROWID;"
    "CREATE TABLE pair_day(batch INTEGER, day INTEGER, src INTEGER, dst INTEGER,"
    " dport INTEGER, proto INTEGER, n INTEGER, first_ts REAL, last_ts REAL, dur_sum REAL,"
    " dur_max REAL, open_dur REAL, bytes_out INTEGER, bytes_in INTEGER, n_rej INTEGER,"
    " n_s0 INTEGER, n_ok INTEGER, npts INTEGER, pts BLOB, big BLOB,"
    " PRIMARY KEY(batch, day, src, dst, dport, proto)) WITHOUT ROWID;"
    "CREATE TABLE hint_day(batch INTEGER, day INTEGER, src INTEGER, dst INTEGER,"
    " name INTEGER, rank INTEGER, ts REAL, PRIMARY KEY(batch, day, src, dst)) WITHOUT ROWID;"
    "CREATE TABLE dns_day(batch INTEGER, day INTEGER, src INTEGER, domain INTEGER,"
    " queries INTEGER, txt INTEGER, nx INTEGER, nsub INTEGER, sum_len REAL, sum_ent REAL,"
    " max_label INTEGER, first_ts REAL, last_ts REAL, nts INTEGER, ts BLOB, qnames BLOB,"
    " PRIMARY KEY(batch, day, src, domain)) WITHOUT ROWID;"
    "CREATE TABLE nx_day(batch INTEGER, day INTEGER, src INTEGER, example INTEGER,"
    " example_ts REAL, nev INTEGER, ev BLOB, PRIMARY KEY(batch, day, src)) WITHOUT ROWID;"
    "CREATE TABLE dest(addr INTEGER PRIMARY KEY, first_seen REAL, last_seen REAL);"
    "CREATE TABLE finding(key TEXT PRIMARY KEY, kind TEXT, first_reported REAL,"
    " last_reported REAL, score REAL);";

/* Version 2: the hosts of each destination, kept through retention (the
 * prevalence in history), every DNS answer with the host that asked, and
 * indexes for `vigil dest`.  Filled from the
 * per-pair rows a version-1 file has. */
static const char MIGRATE_V2[] =
    "CREATE TABLE dest_host(dst INTEGER, src INTEGER, first_seen REAL, last_seen REAL,"
    " PRIMARY KEY(dst, src)) WITHOUT ROWID;"
    "INSERT INTO dest_host SELECT dst, src, min(first_ts), max(last_ts) FROM pair_day"
    " GROUP BY dst, src;"
    "CREATE INDEX pair_day_dst ON pair_day(dst, day);"
    "CREATE INDEX hint_day_name ON hint_day(name);"
    "CREATE INDEX addr_day_name ON addr_day(dns_name);"
    "CREATE TABLE answer_day(batch INTEGER, day INTEGER, addr INTEGER, name INTEGER, host INTEGER,"
    " n INTEGER, first_ts REAL, last_ts REAL, PRIMARY KEY(batch, day, addr, name, host)) WITHOUT ROWID;"
    "CREATE INDEX answer_day_name ON answer_day(name);";

static const char *const MIGRATIONS[] = { NULL, SCHEMA_V1, MIGRATE_V2 };

static vigil_status exec(vigil_state *s, const char *sql, const char *what)
{
    int rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL);
    return rc == SQLITE_OK ? VIGIL_OK : vigil__state_sqlerr(s, rc, what);
}

/* The single integer a query returns (*out = dflt when no row). */
static vigil_status query_int(vigil_state *s, const char *sql, int64_t dflt, int64_t *out)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
    if (rc != SQLITE_OK) return vigil__state_sqlerr(s, rc, "reading the state");
    rc = sqlite3_step(st);
    *out = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : dflt;
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return vigil__state_sqlerr(s, rc, "reading the state");
    return VIGIL_OK;
}

vigil_status vigil__state_begin(vigil_state *s)
{
    if (s->flags & VIGIL_STATE_READONLY)
        return vigil__state_fail(s, VIGIL_EINVAL, "the state database is open read-only");
    vigil_status st = exec(s, "BEGIN IMMEDIATE", "locking the state database");
    if (st == VIGIL_OK) s->in_txn = 1;
    return st;
}

vigil_status vigil__state_commit(vigil_state *s)
{
    vigil_status st = exec(s, "COMMIT", "saving the state database");
    if (st != VIGIL_OK) vigil__state_rollback(s);
    s->in_txn = 0;
    return st;
}

void vigil__state_rollback(vigil_state *s)
{
    if (sqlite3_get_autocommit(s->db) == 0) sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    s->in_txn = 0;
}

/* Creates the schema in an empty database, or checks and migrates it. */
static vigil_status schema_ready(vigil_state *s, const char *path)
{
    int64_t tables = 0, appid = 0, version = 0;
    vigil_status st = query_int(s, "PRAGMA application_id", 0, &appid);
    if (st == VIGIL_OK) st = query_int(s, "SELECT count(*) FROM sqlite_schema", 0, &tables);
    if (st != VIGIL_OK) {
        if (st == VIGIL_ESTATE || st == VIGIL_EIO)
            return vigil__state_fail(s, VIGIL_ESTATE, "%s is not a vigil state database (%s)", path,
                                     s->err);
        return st;
    }
    if (tables > 0 || appid != 0) {
        if (appid != APP_ID)
            return vigil__state_fail(s, VIGIL_ESTATE,
                                     "%s is an SQLite database but not a vigil state database; "
                                     "it was not changed", path);
        st = query_int(s, "SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'schema'", 0, &version);
        if (st != VIGIL_OK || version < 1)
            return vigil__state_fail(s, VIGIL_ESTATE, "%s: a vigil state without a schema version "
                                     "(damaged?); it was not changed", path);
        if (version > VIGIL_STATE_SCHEMA)
            return vigil__state_fail(s, VIGIL_ESTATE,
                                     "%s has schema version %lld, newer than this vigil's (%d): "
                                     "use a newer vigil", path, (long long)version, VIGIL_STATE_SCHEMA);
        int64_t ok = 0;
        sqlite3_stmt *q = NULL;
        int rc = sqlite3_prepare_v2(s->db, "PRAGMA quick_check(1)", -1, &q, NULL);
        if (rc == SQLITE_OK && sqlite3_step(q) == SQLITE_ROW) {
            const unsigned char *t = sqlite3_column_text(q, 0);
            ok = t && strcmp((const char *)t, "ok") == 0;
        }
        sqlite3_finalize(q);
        if (!ok)
            return vigil__state_fail(s, VIGIL_ESTATE,
                                     "%s fails SQLite's integrity check: the state is corrupt; it "
                                     "was not changed (move it away to start a new one)", path);
    }
    if (version == VIGIL_STATE_SCHEMA) return VIGIL_OK;
    if (s->flags & VIGIL_STATE_READONLY) {
        if (version == 0) return vigil__state_fail(s, VIGIL_ESTATE, "%s: an empty state", path);
        return vigil__state_fail(s, VIGIL_ESTATE,
                                 "%s has schema version %lld: open it once read-write to migrate",
                                 path, (long long)version);
    }
    st = vigil__state_begin(s);
    if (st != VIGIL_OK) return st;
    /* Re-read inside the lock: another run may have migrated it. */
    if (version > 0) st = query_int(s, "SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'schema'", 0, &version);
    for (int64_t v = version + 1; st == VIGIL_OK && v <= VIGIL_STATE_SCHEMA; v++)
        st = exec(s, MIGRATIONS[v], "upgrading the state schema");
    if (st == VIGIL_OK) {
        char sql[256];
        snprintf(sql, sizeof sql,
                 "PRAGMA application_id = %d;"
                 "INSERT INTO meta VALUES('schema', '%d') ON CONFLICT(key) DO UPDATE SET value = excluded.value;"
                 "INSERT OR IGNORE INTO meta VALUES('created', strftime('%%Y-%%m-%%dT%%H:%%M:%%SZ', 'now'));",
                 APP_ID, VIGIL_STATE_SCHEMA);
        st = exec(s, sql, "upgrading the state schema");
    }
    if (st != VIGIL_OK) {
        vigil__state_rollback(s);
        return st;
    }
    return vigil__state_commit(s);
}

vigil_status vigil_state_open(vigil_state **out, const char *path, const vigil_state_opts *opts,
                              char *err, size_t errlen)
{
    if (err && errlen) err[0] = 0;
    if (!out || !path) return VIGIL_EINVAL;
    *out = NULL;
    vigil_state_opts o = { 0 };
    if (opts) o = *opts;
    vigil_allocator al;
    vigil__alloc_init(&al, o.alloc);
    vigil_state *s = vigil__calloc(&al, 1, sizeof *s);
    if (!s) return VIGIL_ENOMEM;
    s->alloc = al;
    s->flags = o.flags;
    vigil_status st = VIGIL_OK;
    int ro = (o.flags & VIGIL_STATE_READONLY) != 0;
    int memory = strcmp(path, ":memory:") == 0;
    struct stat sb;
    if (!memory && stat(path, &sb) == 0 && !S_ISREG(sb.st_mode)) {
        st = vigil__state_fail(s, VIGIL_ESTATE, "%s is not a regular file", path);
        goto fail;
    }
    if (!memory && ro && access(path, R_OK) != 0) {
        st = vigil__state_fail(s, VIGIL_ENOENT, "%s: %s", path, strerror(errno));
        goto fail;
    }
    /* A run killed mid-write leaves a hot journal that only a writer can
     * roll back: a read-only open of a file we may write does that first. */
    if (!memory && ro && access(path, W_OK) == 0) {
        char journal[4200];
        if ((size_t)snprintf(journal, sizeof journal, "%s-journal", path) < sizeof journal &&
            access(journal, F_OK) == 0) {
            sqlite3 *w = NULL;
            if (sqlite3_open_v2(path, &w, SQLITE_OPEN_READWRITE, NULL) == SQLITE_OK) {
                sqlite3_busy_timeout(w, o.busy_timeout_ms > 0 ? o.busy_timeout_ms : DEFAULT_BUSY_MS);
                sqlite3_exec(w, "SELECT count(*) FROM sqlite_schema", NULL, NULL, NULL);
            }
            sqlite3_close(w);
        }
    }
    int rc = sqlite3_open_v2(path, &s->db,
                             ro ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
    if (rc != SQLITE_OK) {
        st = vigil__state_fail(s, VIGIL_ENOENT, "%s: %s", path,
                               s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
        goto fail;
    }
    sqlite3_extended_result_codes(s->db, 1);
    sqlite3_busy_timeout(s->db, o.busy_timeout_ms == 0 ? DEFAULT_BUSY_MS
                                : o.busy_timeout_ms < 0 ? 0 : o.busy_timeout_ms);
    /* Rollback journal (one file beside it while a run writes); foreign
     * keys are not used (rows are dropped per batch by hand). */
    if (!ro && !memory) {
        st = exec(s, "PRAGMA journal_mode = DELETE", "opening the state database");
        if (st != VIGIL_OK) {
            if (st == VIGIL_ESTATE || st == VIGIL_EIO)
                st = vigil__state_fail(s, VIGIL_ESTATE, "%s is not a vigil state database (%s); it "
                                       "was not changed", path, s->err);
            goto fail;
        }
    }
    /* A page cache of up to 256 MiB: ingest and restore touch every page
     * of the day's tables; SQLite's 2 MiB default makes them re-read. */
    st = exec(s, "PRAGMA cache_size = -262144", "opening the state database");
    if (st == VIGIL_OK) st = schema_ready(s, path);
    if (st != VIGIL_OK) goto fail;
    *out = s;
    return VIGIL_OK;
fail:
    if (err && errlen) snprintf(err, errlen, "%s", s->err[0] ? s->err : vigil_strerror(st));
    vigil_state_close(s);
    return st;
}

void vigil_state_close(vigil_state *s)
{
    if (!s) return;
    if (s->db) {
        if (s->in_txn) vigil__state_rollback(s);
        sqlite3_close_v2(s->db);
    }
    vigil_allocator al = s->alloc;
    vigil__free(&al, s);
}

vigil_status vigil_state_info_get(vigil_state *s, vigil_state_info *out)
{
    if (!s || !out) return VIGIL_EINVAL;
    memset(out, 0, sizeof *out);
    int64_t v[8];
    static const char *const q[8] = {
        "SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'schema'",
        "SELECT count(*) FROM batch",
        "SELECT count(*) FROM file",
        "SELECT count(DISTINCT day) FROM day_counts",
        "SELECT min(day) FROM day_counts",
        "SELECT max(day) FROM day_counts",
        "SELECT count(*) FROM pair_day",
        "SELECT count(*) FROM dest",
    };
    for (int i = 0; i < 8; i++) {
        vigil_status st = query_int(s, q[i], 0, &v[i]);
        if (st != VIGIL_OK) return st;
    }
    int64_t nf = 0;
    vigil_status st = query_int(s, "SELECT count(*) FROM finding", 0, &nf);
    if (st != VIGIL_OK) return st;
    out->schema = (int)v[0];
    out->batches = (uint64_t)v[1];
    out->files = (uint64_t)v[2];
    out->days = (uint64_t)v[3];
    out->first_day = v[4];
    out->last_day = v[5];
    out->pair_days = (uint64_t)v[6];
    out->destinations = (uint64_t)v[7];
    out->findings = (uint64_t)nf;
    return VIGIL_OK;
}

/* ---- files and batches ----------------------------------------------------- */

vigil_status vigil__state_file_id(const char *path, vigil__file_id *id)
{
    memset(id, 0, sizeof *id);
    id->path = path;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return VIGIL_ENOENT;
    struct stat sb;
    if (fstat(fd, &sb) != 0) {
        close(fd);
        return VIGIL_ENOENT;
    }
    id->size = (int64_t)sb.st_size;
    id->mtime = (int64_t)sb.st_mtime;
    unsigned char buf[4096];
    uint64_t h = 0xcbf29ce484222325ULL; /* FNV-1a 64 */
    size_t left = HEAD_BYTES;
    while (left > 0) {
        ssize_t k = read(fd, buf, left < sizeof buf ? left : sizeof buf);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) break;
        for (ssize_t i = 0; i < k; i++) h = (h ^ buf[i]) * 0x100000001b3ULL;
        left -= (size_t)k;
    }
    close(fd);
    id->head = (int64_t)h;
    return VIGIL_OK;
}

vigil_status vigil__state_file_batch(vigil_state *s, const vigil__file_id *id, int64_t *batch,
                                     int *changed)
{
    *batch = 0;
    *changed = 0;
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(s->db, "SELECT batch FROM file WHERE size = ?1 AND head = ?2 LIMIT 1",
                                -1, &st, NULL);
    if (rc != SQLITE_OK) return vigil__state_sqlerr(s, rc, "reading the ingested files");
    sqlite3_bind_int64(st, 1, id->size);
    sqlite3_bind_int64(st, 2, id->head);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) *batch = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return vigil__state_sqlerr(s, rc, "reading the ingested files");
    if (*batch) return VIGIL_OK;
    rc = sqlite3_prepare_v2(s->db, "SELECT batch FROM file WHERE path = ?1", -1, &st, NULL);
    if (rc != SQLITE_OK) return vigil__state_sqlerr(s, rc, "reading the ingested files");
    sqlite3_bind_text(st, 1, id->path, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *batch = sqlite3_column_int64(st, 0);
        *changed = 1;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return vigil__state_sqlerr(s, rc, "reading the ingested files");
    return VIGIL_OK;
}

vigil_status vigil__state_batch_paths(vigil_state *s, int64_t batch, char ***paths, size_t *n)
{
    *paths = NULL;
    *n = 0;
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(s->db, "SELECT path FROM file WHERE batch = ?1 ORDER BY path", -1, &st, NULL);
    if (rc != SQLITE_OK) return vigil__state_sqlerr(s, rc, "reading the ingested files");
    sqlite3_bind_int64(st, 1, batch);
    size_t cap = 0;
    vigil_status vs = VIGIL_OK;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *p = (const char *)sqlite3_column_text(st, 0);
        if (!p) continue;
        vs = vigil__grow(&s->alloc, (void **)paths, &cap, *n + 1, sizeof **paths);
        char *c = vs == VIGIL_OK ? vigil__malloc(&s->alloc, strlen(p) + 1) : NULL;
        if (!c) {
            vs = VIGIL_ENOMEM;
            break;
        }
        strcpy(c, p);
        (*paths)[(*n)++] = c;
    }
    sqlite3_finalize(st);
    if (vs == VIGIL_OK && rc != SQLITE_DONE) vs = vigil__state_sqlerr(s, rc, "reading the ingested files");
    return vs;
}

/* Runs `fmt` (one %lld: the batch) when deleting a batch. */
static vigil_status exec_fmt_batch(vigil_state *s, const char *fmt, int64_t batch)
{
    char sql[96];
    snprintf(sql, sizeof sql, fmt, (long long)batch);
    return exec(s, sql, "replacing an ingested batch");
}

/* The tables with one row per (batch, day, ...): what a batch adds and
 * what retention prunes (one list, so a new table cannot be missed by
 * either). */
static const char *const DAY_TABLES[] = { "day_counts", "addr_day", "pair_day", "hint_day",
                                          "dns_day", "nx_day", "answer_day" };
#define NDAY_TABLES (sizeof DAY_TABLES / sizeof *DAY_TABLES)

/* DELETE FROM each per-day table WHERE `cond`. */
static vigil_status delete_days(vigil_state *s, const char *cond, const char *what)
{
    for (size_t i = 0; i < NDAY_TABLES; i++) {
        char sql[128];
        snprintf(sql, sizeof sql, "DELETE FROM %s WHERE %s", DAY_TABLES[i], cond);
        vigil_status st = exec(s, sql, what);
        if (st != VIGIL_OK) return st;
    }
    return VIGIL_OK;
}

vigil_status vigil__state_drop_batch(vigil_state *s, int64_t batch)
{
    char cond[64];
    snprintf(cond, sizeof cond, "batch = %lld", (long long)batch);
    vigil_status st = exec_fmt_batch(s, "DELETE FROM file WHERE batch = %lld", batch);
    if (st == VIGIL_OK) st = delete_days(s, cond, "replacing an ingested batch");
    if (st == VIGIL_OK) st = exec_fmt_batch(s, "DELETE FROM batch WHERE id = %lld", batch);
    return st;
}

vigil_status vigil__state_new_batch(vigil_state *s, double started, int64_t *batch)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(s->db, "INSERT INTO batch(started) VALUES(?1)", -1, &st, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_bind_double(st, 1, started);
        rc = sqlite3_step(st);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) return vigil__state_sqlerr(s, rc, "starting a batch");
    *batch = sqlite3_last_insert_rowid(s->db);
    return VIGIL_OK;
}

vigil_status vigil__state_add_file(vigil_state *s, int64_t batch, const vigil__file_id *id)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(s->db,
                                "INSERT INTO file(path, size, mtime, head, batch) VALUES(?1,?2,?3,?4,?5)"
                                " ON CONFLICT(path) DO UPDATE SET size = excluded.size,"
                                " mtime = excluded.mtime, head = excluded.head, batch = excluded.batch",
                                -1, &st, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_bind_text(st, 1, id->path, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, id->size);
        sqlite3_bind_int64(st, 3, id->mtime);
        sqlite3_bind_int64(st, 4, id->head);
        sqlite3_bind_int64(st, 5, batch);
        rc = sqlite3_step(st);
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? VIGIL_OK : vigil__state_sqlerr(s, rc, "recording an input file");
}

/* ---- retention ------------------------------------------------------------- */

vigil_status vigil__state_prune(vigil_state *s, int keep_days)
{
    if (keep_days <= 0) return VIGIL_OK;
    int64_t last = 0;
    vigil_status st = query_int(s, "SELECT max(day) FROM day_counts", INT64_MIN, &last);
    if (st != VIGIL_OK || last == INT64_MIN) return st;
    char cond[64];
    snprintf(cond, sizeof cond, "day < %lld", (long long)(last - keep_days + 1));
    return delete_days(s, cond, "pruning old days");
}

/* ---- findings: new or ongoing ------------------------------------------------ */

/* The identity of a finding across runs: what it is about, not its score. */
static void finding_key(const vigil_finding *f, char *buf, size_t n)
{
    char src[VIGIL_ADDR_STRLEN], dst[VIGIL_ADDR_STRLEN];
    vigil_addr_format(&f->src, src);
    vigil_addr_format(&f->dst, dst);
    const char *kind = vigil_finding_kind_name(f->kind);
    if (f->kind == VIGIL_FIND_DNS)
        snprintf(buf, n, "%s|%s|%s", kind, src, f->dst_name);
    else if (f->dst_count > 1) /* a name group: its top address may change */
        snprintf(buf, n, "%s|%s|%s|%u/%u", kind, src, f->dst_name, f->dport, f->proto);
    else
        snprintf(buf, n, "%s|%s|%s|%u/%u", kind, src, dst, f->dport, f->proto);
}

static vigil_status addr_lookup(vigil_state *s, sqlite3_stmt *st, const vigil_addr *a, int64_t *id);

vigil_status vigil__state_findings(vigil_state *s, vigil_findings *fs, double now)
{
    sqlite3_stmt *get = NULL, *put = NULL, *dest = NULL, *hosts = NULL, *aid = NULL;
    int rc = sqlite3_prepare_v2(s->db, "SELECT first_reported FROM finding WHERE key = ?1", -1, &get, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v2(s->db,
                                "INSERT INTO finding VALUES(?1, ?2, ?3, ?3, ?4) ON CONFLICT(key) DO UPDATE"
                                " SET last_reported = excluded.last_reported, score = excluded.score",
                                -1, &put, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v2(s->db, "SELECT first_seen FROM dest WHERE addr = ?1", -1, &dest, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v2(s->db, "SELECT count(*) FROM dest_host WHERE dst = ?1", -1, &hosts, NULL);
    if (rc == SQLITE_OK) rc = sqlite3_prepare_v2(s->db, "SELECT id FROM addr WHERE a = ?1", -1, &aid, NULL);
    vigil_status vs = rc == SQLITE_OK ? VIGIL_OK : vigil__state_sqlerr(s, rc, "recording findings");
    static const vigil_addr zero;
    for (size_t i = 0; i < fs->n && vs == VIGIL_OK; i++) {
        vigil_finding *f = &fs->v[i];
        char key[VIGIL_FINDING_NAME_LEN + 128];
        finding_key(f, key, sizeof key);
        sqlite3_reset(get);
        sqlite3_bind_text(get, 1, key, -1, SQLITE_TRANSIENT);
        rc = sqlite3_step(get);
        f->status = rc == SQLITE_ROW ? VIGIL_FINDING_ONGOING : VIGIL_FINDING_NEW;
        if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
            vs = vigil__state_sqlerr(s, rc, "recording findings");
            break;
        }
        if (memcmp(&f->dst, &zero, sizeof zero) != 0) {
            int64_t id = 0;
            vs = addr_lookup(s, aid, &f->dst, &id);
            if (vs != VIGIL_OK) break;
            if (id) {
                sqlite3_reset(dest);
                sqlite3_bind_int64(dest, 1, id);
                if (sqlite3_step(dest) == SQLITE_ROW) {
                    double fsn = sqlite3_column_double(dest, 0);
                    if (fsn > 0 && (f->dst_first_seen == 0 || fsn < f->dst_first_seen)) f->dst_first_seen = fsn;
                }
                sqlite3_reset(hosts);
                sqlite3_bind_int64(hosts, 1, id);
                if (sqlite3_step(hosts) == SQLITE_ROW)
                    f->prevalence_hist = (uint32_t)sqlite3_column_int64(hosts, 0);
            }
        }
        if (s->flags & VIGIL_STATE_READONLY) continue;
        sqlite3_reset(put);
        sqlite3_bind_text(put, 1, key, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(put, 2, vigil_finding_kind_name(f->kind), -1, SQLITE_STATIC);
        sqlite3_bind_double(put, 3, now);
        sqlite3_bind_double(put, 4, f->score);
        rc = sqlite3_step(put);
        if (rc != SQLITE_DONE) vs = vigil__state_sqlerr(s, rc, "recording findings");
    }
    sqlite3_finalize(get);
    sqlite3_finalize(put);
    sqlite3_finalize(dest);
    sqlite3_finalize(hosts);
    sqlite3_finalize(aid);
    return vs;
}

/* ---- `vigil dest` ---------------------------------------------------------------- */


static vigil_status addr_lookup(vigil_state *s, sqlite3_stmt *st, const vigil_addr *a, int64_t *id)
{
    sqlite3_reset(st);
    sqlite3_bind_blob(st, 1, a->b, 16, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    *id = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return vigil__state_sqlerr(s, rc, "reading addresses");
    return VIGIL_OK;
}

/* An address as stored: its 16 bytes (IPv4 mapped). */
static void blob_addr(const void *p, int n, vigil_addr *a)
{
    memset(a, 0, sizeof *a);
    if (n == 16 && p) memcpy(a->b, p, 16);
}

/* The address ids a query names: one address, or the addresses behind a
 * name (SNI / Host hints and DNS answers of the name or names under it). */
static vigil_status dest_ids(vigil_state *s, const char *q, int64_t **ids, size_t *n)
{
    *ids = NULL;
    *n = 0;
    size_t cap = 0;
    vigil_addr a;
    sqlite3_stmt *st = NULL;
    int rc;
    if (vigil_addr_parse(q, strlen(q), &a)) {
        rc = sqlite3_prepare_v2(s->db, "SELECT id FROM addr WHERE a = ?1", -1, &st, NULL);
        if (rc != SQLITE_OK) return vigil__state_sqlerr(s, rc, "looking up the address");
        int64_t id = 0;
        vigil_status vs = addr_lookup(s, st, &a, &id);
        sqlite3_finalize(st);
        if (vs != VIGIL_OK || !id) return vs;
        vs = vigil__grow(&s->alloc, (void **)ids, &cap, 1, sizeof **ids);
        if (vs == VIGIL_OK) (*ids)[(*n)++] = id;
        return vs;
    }
    char low[256];
    size_t k = 0;
    for (; q[k] && k + 1 < sizeof low; k++) low[k] = (char)(q[k] >= 'A' && q[k] <= 'Z' ? q[k] + 32 : q[k]);
    low[k] = 0;
    while (k && low[k - 1] == '.') low[--k] = 0;
    rc = sqlite3_prepare_v2(s->db,
                            "WITH n(id) AS (SELECT id FROM name WHERE s = ?1 OR s LIKE '%.' || ?2 ESCAPE '\\')"
                            " SELECT dst FROM hint_day WHERE name IN (SELECT id FROM n)"
                            " UNION SELECT addr FROM addr_day WHERE dns_name IN (SELECT id FROM n)"
                            " UNION SELECT addr FROM answer_day WHERE name IN (SELECT id FROM n)"
                            " ORDER BY 1",
                            -1, &st, NULL);
    if (rc != SQLITE_OK) return vigil__state_sqlerr(s, rc, "looking up the name");
    /* LIKE's wildcards in the query are taken literally. */
    char esc[520];
    size_t e = 0;
    for (size_t i = 0; low[i] && e + 2 < sizeof esc; i++) {
        if (low[i] == '%' || low[i] == '_' || low[i] == '\\') esc[e++] = '\\';
        esc[e++] = low[i];
    }
    esc[e] = 0;
    sqlite3_bind_text(st, 1, low, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, esc, -1, SQLITE_TRANSIENT);
    vigil_status vs = VIGIL_OK;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        vs = vigil__grow(&s->alloc, (void **)ids, &cap, *n + 1, sizeof **ids);
        if (vs != VIGIL_OK) break;
        (*ids)[(*n)++] = sqlite3_column_int64(st, 0);
    }
    sqlite3_finalize(st);
    if (vs == VIGIL_OK && rc != SQLITE_DONE) vs = vigil__state_sqlerr(s, rc, "looking up the name");
    return vs;
}

static vigil_status dest_one(vigil_state *s, int64_t id, vigil_dest_report *r)
{
    memset(r, 0, sizeof *r);
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(s->db,
                                "SELECT a.a, d.first_seen, d.last_seen,"
                                " (SELECT count(*) FROM dest_host h WHERE h.dst = a.id)"
                                " FROM addr a LEFT JOIN dest d ON d.addr = a.id WHERE a.id = ?1",
                                -1, &st, NULL);
    if (rc != SQLITE_OK) return vigil__state_sqlerr(s, rc, "reading a destination");
    sqlite3_bind_int64(st, 1, id);
    if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        blob_addr(sqlite3_column_blob(st, 0), sqlite3_column_bytes(st, 0), &r->addr);
        r->first_seen = sqlite3_column_double(st, 1);
        r->last_seen = sqlite3_column_double(st, 2);
        r->hosts = (uint32_t)sqlite3_column_int64(st, 3);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return vigil__state_sqlerr(s, rc, "reading a destination");

    /* Names: SNI / Host per internal host, and the DNS answers. */
    rc = sqlite3_prepare_v2(s->db,
                            "SELECT n.s, h.rank, sa.a, max(h.ts) FROM hint_day h JOIN name n ON n.id = h.name"
                            " JOIN addr sa ON sa.id = h.src WHERE h.dst = ?1 GROUP BY n.s, h.rank, sa.a"
                            " UNION ALL"
                            " SELECT n.s, 0, ha.a, max(d.last_ts) FROM answer_day d JOIN name n ON n.id = d.name"
                            " JOIN addr ha ON ha.id = d.host WHERE d.addr = ?1 GROUP BY n.s, ha.a"
                            " UNION ALL"
                            " SELECT n.s, 0, NULL, max(d.dns_ts) FROM addr_day d JOIN name n ON n.id = d.dns_name"
                            " WHERE d.addr = ?1 AND NOT EXISTS (SELECT 1 FROM answer_day x WHERE x.addr = d.addr"
                            " AND x.name = d.dns_name) GROUP BY n.s"
                            " ORDER BY 4 DESC, 1 LIMIT 64",
                            -1, &st, NULL);
    if (rc != SQLITE_OK) return vigil__state_sqlerr(s, rc, "reading names");
    sqlite3_bind_int64(st, 1, id);
    size_t cap = 0;
    vigil_status vs = VIGIL_OK;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        vs = vigil__grow(&s->alloc, (void **)&r->names, &cap, r->nnames + 1, sizeof *r->names);
        if (vs != VIGIL_OK) break;
        vigil_dest_name *nm = &r->names[r->nnames++];
        memset(nm, 0, sizeof *nm);
        const char *t = (const char *)sqlite3_column_text(st, 0);
        snprintf(nm->name, sizeof nm->name, "%s", t ? t : "");
        int rank = sqlite3_column_int(st, 1);
        nm->source = rank == VIGIL__NAME_SNI ? "sni" : rank == VIGIL__NAME_HTTP ? "http" : "dns";
        blob_addr(sqlite3_column_blob(st, 2), sqlite3_column_bytes(st, 2), &nm->host);
        nm->last_ts = sqlite3_column_double(st, 3);
    }
    sqlite3_finalize(st);
    if (vs == VIGIL_OK && rc != SQLITE_DONE) vs = vigil__state_sqlerr(s, rc, "reading names");
    if (vs != VIGIL_OK) return vs;

    /* Per day and host: connections, bytes, the busiest port. */
    rc = sqlite3_prepare_v2(s->db,
                            "SELECT p.day, sa.a, sum(p.n), sum(p.bytes_out), sum(p.bytes_in),"
                            " min(p.first_ts), max(p.last_ts), count(DISTINCT p.dport * 256 + p.proto),"
                            " (SELECT q.dport * 256 + q.proto FROM pair_day q WHERE q.dst = p.dst AND"
                            "  q.src = p.src AND q.day = p.day GROUP BY q.dport, q.proto"
                            "  ORDER BY sum(q.n) DESC, q.dport LIMIT 1)"
                            " FROM pair_day p JOIN addr sa ON sa.id = p.src WHERE p.dst = ?1"
                            " GROUP BY p.day, p.src ORDER BY p.day, sa.a",
                            -1, &st, NULL);
    if (rc != SQLITE_OK) return vigil__state_sqlerr(s, rc, "reading contacts");
    sqlite3_bind_int64(st, 1, id);
    cap = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        vs = vigil__grow(&s->alloc, (void **)&r->days, &cap, r->ndays + 1, sizeof *r->days);
        if (vs != VIGIL_OK) break;
        vigil_dest_day *d = &r->days[r->ndays++];
        memset(d, 0, sizeof *d);
        d->day = sqlite3_column_int64(st, 0);
        blob_addr(sqlite3_column_blob(st, 1), sqlite3_column_bytes(st, 1), &d->host);
        d->conns = (uint64_t)sqlite3_column_int64(st, 2);
        d->bytes_out = (uint64_t)sqlite3_column_int64(st, 3);
        d->bytes_in = (uint64_t)sqlite3_column_int64(st, 4);
        d->first_ts = sqlite3_column_double(st, 5);
        d->last_ts = sqlite3_column_double(st, 6);
        d->ports = (uint32_t)sqlite3_column_int64(st, 7);
        int64_t pp = sqlite3_column_int64(st, 8);
        d->dport = (uint16_t)(pp >> 8);
        d->proto = (uint8_t)(pp & 0xff);
    }
    sqlite3_finalize(st);
    if (vs == VIGIL_OK && rc != SQLITE_DONE) vs = vigil__state_sqlerr(s, rc, "reading contacts");
    return vs;
}

vigil_status vigil_state_dest(vigil_state *s, const char *q, vigil_dest_report **out, size_t *n)
{
    if (!s || !q || !out || !n) return VIGIL_EINVAL;
    *out = NULL;
    *n = 0;
    int64_t *ids = NULL;
    size_t nids = 0;
    vigil_status vs = dest_ids(s, q, &ids, &nids);
    if (vs == VIGIL_OK && nids) {
        *out = vigil__calloc(&s->alloc, nids, sizeof **out);
        if (!*out) vs = VIGIL_ENOMEM;
    }
    for (size_t i = 0; i < nids && vs == VIGIL_OK; i++) {
        vs = dest_one(s, ids[i], &(*out)[i]);
        *n = i + 1;
    }
    vigil__free(&s->alloc, ids);
    if (vs != VIGIL_OK) {
        vigil_dest_reports_free(s, *out, *n);
        *out = NULL;
        *n = 0;
    }
    return vs;
}

void vigil_dest_reports_free(vigil_state *s, vigil_dest_report *r, size_t n)
{
    if (!s || !r) return;
    for (size_t i = 0; i < n; i++) {
        vigil__free(&s->alloc, r[i].names);
        vigil__free(&s->alloc, r[i].days);
    }
    vigil__free(&s->alloc, r);
}
