/* fixture.c -- helpers the unit tests share (see fixture.h); no TEST() here. */
#include "fixture.h"
#include <math.h>
#include <stdlib.h>

/* ---- numbers and addresses ---------------------------------------------- */

uint64_t test_rng_next(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

double test_rng_unit(uint64_t *state)
{
    return (double)(test_rng_next(state) >> 11) / 9007199254740992.0;
}

vigil_addr test_addr(const char *text)
{
    vigil_addr a;
    memset(&a, 0, sizeof a);
    vigil_addr_parse(text, strlen(text), &a);
    return a;
}

double test_entropy(const char *s, size_t n)
{
    unsigned cnt[256] = { 0 };
    for (size_t i = 0; i < n; i++) cnt[(unsigned char)s[i]]++;
    double h = 0;
    for (int c = 0; c < 256; c++)
        if (cnt[c]) {
            double p = (double)cnt[c] / (double)n;
            h -= p * log2(p);
        }
    return h;
}

/* ---- diagnostics --------------------------------------------------------- */

void test_diags_record(void *user, const vigil_diag *d)
{
    test_diags *z = user;
    if (z->n < TEST_DIAGS_MAX) {
        int i = z->n;
        z->kind[i] = d->kind;
        z->reason[i] = d->reason;
        z->line[i] = d->line;
        snprintf(z->log[i], sizeof z->log[0], "%s", d->log ? d->log : "");
        snprintf(z->file[i], sizeof z->file[0], "%s", d->file ? d->file : "(null)");
        snprintf(z->detail[i], sizeof z->detail[0], "%s", d->detail ? d->detail : "");
    }
    z->n++;
    z->count += d->count;
    if (d->kind == VIGIL_DIAG_SKIPPED) {
        z->skipped++;
        if ((unsigned)d->reason < VIGIL_SKIP__COUNT) z->skipped_by[d->reason]++;
    } else if (d->kind == VIGIL_DIAG_UNREADABLE) {
        z->unreadable++;
        snprintf(z->last_unreadable, sizeof z->last_unreadable, "%s", d->file ? d->file : "");
    } else if (d->kind == VIGIL_DIAG_NOTE) {
        z->notes++;
        z->note_count += d->count;
    }
}

int test_diags_find(const test_diags *l, const char *file)
{
    for (int i = 0; i < l->n && i < TEST_DIAGS_MAX; i++)
        if (strcmp(l->file[i], file) == 0) return i;
    return -1;
}

void test_diags_expect(const test_diags *z, const test_skip *want, size_t n)
{
    CHECK_EQ_U(z->n, n);
    for (size_t i = 0; i < n && i < (size_t)z->n; i++) {
        if (z->reason[i] != want[i].why || z->line[i] != want[i].line)
            fprintf(stderr, "  diag %zu: reason %d line %llu, expected %d line %llu\n", i,
                    (int)z->reason[i], (unsigned long long)z->line[i], (int)want[i].why,
                    (unsigned long long)want[i].line);
        CHECK(z->reason[i] == want[i].why);
        CHECK_EQ_U(z->line[i], want[i].line);
    }
}

/* ---- readers ------------------------------------------------------------- */

vigil_reader_opts test_diag_opts(test_diags *z)
{
    vigil_reader_opts o;
    memset(&o, 0, sizeof o);
    memset(z, 0, sizeof *z);
    o.diag = test_diags_record;
    o.diag_user = z;
    return o;
}

vigil_reader *test_open_mem(const char *name, const char *text, test_diags *z)
{
    vigil_reader_opts o;
    if (z) {
        o = test_diag_opts(z);
    } else {
        memset(&o, 0, sizeof o);
    }
    vigil_reader *r = NULL;
    if (vigil_reader_open_mem(&r, name, text, strlen(text), &o) != VIGIL_OK) return NULL;
    return r;
}

unsigned long long test_read_all(vigil_reader *r)
{
    const vigil_record *rec;
    unsigned long long n = 0;
    while (vigil_reader_next(r, &rec) == VIGIL_OK && rec) n++;
    return n;
}

unsigned long long test_read_mem(const char *name, const char *text, test_diags *z,
                                 vigil_reader_counts *counts)
{
    vigil_reader *r;
    vigil_reader_opts o = { .diag = test_diags_record, .diag_user = z };
    if (vigil_reader_open_mem(&r, name, text, strlen(text), &o) != VIGIL_OK) return ~0ULL;
    unsigned long long n = test_read_all(r);
    if (counts) *counts = *vigil_reader_counts_get(r);
    vigil_reader_free(r);
    return n;
}

const vigil_record *test_next_record(vigil_reader *r)
{
    const vigil_record *rec = NULL;
    vigil_status rc = vigil_reader_next(r, &rec);
    CHECK(rc == VIGIL_OK && rec);
    return rc == VIGIL_OK ? rec : NULL;
}

/* ---- allocation failure -------------------------------------------------- */

static void *fail_malloc(void *u, size_t n)
{
    test_fail_alloc *f = u;
    if (++f->calls == f->fail_at) return NULL;
    void *p = malloc(n ? n : 1);
    if (p) f->live++;
    return p;
}

static void *fail_realloc(void *u, void *p, size_t n)
{
    test_fail_alloc *f = u;
    if (++f->calls == f->fail_at) return NULL;
    void *q = realloc(p, n ? n : 1);
    if (q && !p) f->live++;
    return q;
}

static void fail_free(void *u, void *p)
{
    test_fail_alloc *f = u;
    if (p) f->live--;
    free(p);
}

vigil_allocator test_fail_allocator(test_fail_alloc *f, long fail_at)
{
    f->fail_at = fail_at;
    f->calls = 0;
    f->live = 0;
    vigil_allocator a = { fail_malloc, fail_realloc, fail_free, f };
    return a;
}

/* ---- views and findings -------------------------------------------------- */

vigil__pair_view test_pair_view(const char *src, const char *dst, uint16_t dport,
                                uint32_t internal_hosts)
{
    vigil__pair_view p;
    memset(&p, 0, sizeof p);
    p.src = test_addr(src);
    p.dst = test_addr(dst);
    p.dst_count = 1;
    p.dport = dport;
    p.proto = VIGIL_PROTO_TCP;
    p.internal_hosts = internal_hosts;
    return p;
}

void test_pair_fill(vigil__pair_view *p, const vigil__conn_point *pts, size_t n)
{
    double lh = -1, ld = -1;
    p->pts = pts;
    p->n = n;
    p->hours_present = p->days_present = 0;
    for (size_t i = 0; i < n; i++) {
        double h = floor(pts[i].ts / 3600), d = floor(pts[i].ts / 86400.0);
        if (h != lh) p->hours_present++;
        if (d != ld) p->days_present++;
        lh = h;
        ld = d;
    }
    if (n) {
        p->first_ts = pts[0].ts;
        p->last_ts = pts[n - 1].ts;
    }
}

void test_findings_reset(vigil_findings *fs)
{
    vigil_findings_free(fs);
    memset(fs, 0, sizeof *fs);
}

double test_one_finding(const vigil_findings *fs, const char *name, vigil_finding_kind kind,
                        uint32_t min_reasons)
{
    CHECK(fs->n <= 1); /* once per subject, never per connection */
    if (fs->n == 0) {
        if (getenv("VIGIL_TEST_SCORES")) printf("    %s: no finding\n", name);
        return -1;
    }
    const vigil_finding *f = &fs->v[0];
    CHECK(f->kind == kind);
    CHECK(f->score >= 0 && f->score <= 1);
    CHECK(f->nreasons >= min_reasons);
    if (getenv("VIGIL_TEST_SCORES")) {
        printf("    %s score %.3f\n", name, f->score);
        for (uint32_t i = 0; i < f->nreasons; i++) printf("      - %s\n", f->reasons[i]);
    }
    return f->score;
}

int test_has_reason(const vigil_finding *f, const char *words)
{
    for (uint32_t i = 0; i < f->nreasons; i++)
        if (strstr(f->reasons[i], words)) return 1;
    return 0;
}
