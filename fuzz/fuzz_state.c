/* fuzz_state.c -- libFuzzer target: the state database's blobs
 * (lib/state_agg.c), read back by a hunt over the state.  The input is cut
 * into the fields of one day's rows: a pair's point count and points blob,
 * a DNS entry's query times and name hashes, a host's NXDOMAIN answers.
 * Damage must be reported as VIGIL_ESTATE ("damaged"), never read past. */
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <vigil/vigil.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The next piece: a 1-byte length (capped by what is left), then bytes. */
static const uint8_t *piece(const uint8_t **p, size_t *left, size_t *len)
{
    if (*left == 0) {
        *len = 0;
        return *p;
    }
    size_t n = **p;
    (*p)++;
    (*left)--;
    if (n > *left) n = *left;
    const uint8_t *r = *p;
    *p += n;
    *left -= n;
    *len = n;
    return r;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 3) return 0;
    vigil_state *st = NULL;
    char file[] = "/tmp/vigil-fuzz-state-XXXXXX";
    int fd = mkstemp(file);
    if (fd < 0) return 0;
    fclose(fdopen(fd, "w"));
    remove(file); /* vigil creates it */
    if (vigil_state_open(&st, file, NULL, NULL, 0) != VIGIL_OK) return 0;
    sqlite3 *db = NULL;
    if (sqlite3_open(file, &db) != SQLITE_OK) goto out;
    int npts = data[0] % 8, nts = data[1] % 8, nev = data[2] % 4;
    const uint8_t *p = data + 3;
    size_t left = size - 3, lp, lt, lq, le;
    const uint8_t *pts = piece(&p, &left, &lp), *ts = piece(&p, &left, &lt), *qn = piece(&p, &left, &lq);
    const uint8_t *ev = piece(&p, &left, &le);
    sqlite3_exec(db,
                 "INSERT INTO addr VALUES(1, x'00000000000000000000ffff0a000001'),"
                 " (2, x'00000000000000000000ffff08080808');"
                 "INSERT INTO name VALUES(1, 'example.com');"
                 "INSERT INTO batch VALUES(1, 0);"
                 "INSERT INTO day_counts VALUES(1, 17500, 1, 1, 0, 0, 0, 0, 1512000000, 1512000100);",
                 NULL, NULL, NULL);
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(db, "INSERT INTO pair_day VALUES(1,17500,1,2,443,1,?1,1512000000,1512000100,"
                               "1,1,0,100,100,0,0,1,?1,?2,NULL)", -1, &s, NULL) == SQLITE_OK) {
        sqlite3_bind_int(s, 1, npts);
        sqlite3_bind_blob(s, 2, pts, (int)lp, SQLITE_STATIC);
        sqlite3_step(s);
    }
    sqlite3_finalize(s);
    if (sqlite3_prepare_v2(db, "INSERT INTO dns_day VALUES(1,17500,1,1,?1,0,0,0,0,0,0,1512000000,"
                               "1512000100,?1,?2,?3)", -1, &s, NULL) == SQLITE_OK) {
        sqlite3_bind_int(s, 1, nts);
        sqlite3_bind_blob(s, 2, ts, (int)lt, SQLITE_STATIC);
        sqlite3_bind_blob(s, 3, qn, (int)lq, SQLITE_STATIC);
        sqlite3_step(s);
    }
    sqlite3_finalize(s);
    if (sqlite3_prepare_v2(db, "INSERT INTO nx_day VALUES(1,17500,1,1,1512000000,?1,?2)", -1, &s, NULL) ==
        SQLITE_OK) {
        sqlite3_bind_int(s, 1, nev);
        sqlite3_bind_blob(s, 2, ev, (int)le, SQLITE_STATIC);
        sqlite3_step(s);
    }
    sqlite3_finalize(s);
    sqlite3_close(db);
    db = NULL;
    vigil_hunt_opts o;
    memset(&o, 0, sizeof o);
    o.state = st;
    o.threads = 1;
    vigil_findings fs = { 0 };
    vigil_status rc = vigil_hunt(NULL, 0, &o, &fs, NULL);
    if (rc != VIGIL_OK && rc != VIGIL_ESTATE && rc != VIGIL_ENOMEM) abort();
    if (rc == VIGIL_ESTATE && !strstr(vigil_state_errmsg(st), "damaged")) abort();
    vigil_findings_free(&fs);
out:
    sqlite3_close(db);
    vigil_state_close(st);
    remove(file);
    return 0;
}
