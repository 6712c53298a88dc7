/* fixture.h -- helpers the unit tests share: seeded numbers, addresses, diagnostics, failing allocators, readers, views and findings. */
#ifndef VIGIL_TEST_FIXTURE_H
#define VIGIL_TEST_FIXTURE_H

#include "test.h"
#include "agg.h"

/* ---- numbers and addresses ---------------------------------------------- */

/* splitmix64: the tests' seeded generator; advances *state. */
uint64_t test_rng_next(uint64_t *state);
/* Uniform in [0, 1) from test_rng_next (53 bits). */
double test_rng_unit(uint64_t *state);
/* The address written in `text` (all zero when it does not parse). */
vigil_addr test_addr(const char *text);
/* Shannon entropy of s[0..n) in bits per character. */
double test_entropy(const char *s, size_t n);

/* ---- diagnostics --------------------------------------------------------- */

#define TEST_DIAGS_MAX 64

/* Diagnostics a test received, copied out of the borrowed vigil_diag by
 * test_diags_record.  Zero it before use ({ 0 }). */
typedef struct test_diags {
    int n;                                      /* diagnostics received */
    vigil_diag_kind kind[TEST_DIAGS_MAX];       /* kind of the first MAX */
    vigil_skip_reason reason[TEST_DIAGS_MAX];   /* their reasons */
    uint64_t line[TEST_DIAGS_MAX];              /* their lines */
    char log[TEST_DIAGS_MAX][32];               /* their log names ("" for none) */
    char file[TEST_DIAGS_MAX][512];             /* their files ("(null)" for none) */
    char detail[TEST_DIAGS_MAX][128];           /* their details ("" for none) */
    unsigned long long count;                   /* records covered, summed over all */
    int skipped;                                /* VIGIL_DIAG_SKIPPED calls */
    int unreadable;                             /* VIGIL_DIAG_UNREADABLE calls */
    int notes;                                  /* VIGIL_DIAG_NOTE calls */
    uint64_t note_count;                        /* records the notes covered */
    int skipped_by[VIGIL_SKIP__COUNT];          /* VIGIL_DIAG_SKIPPED calls per reason */
    char last_unreadable[512];                  /* file of the last UNREADABLE */
} test_diags;

/* A vigil_diag_fn: records *d into the test_diags at `user`. */
void test_diags_record(void *user, const vigil_diag *d);
/* Index of the first diagnostic about `file`, or -1. */
int test_diags_find(const test_diags *l, const char *file);

/* One skip a test expects: its reason and line. */
typedef struct test_skip {
    vigil_skip_reason why;  /* the reason */
    uint64_t line;          /* the line */
} test_skip;

/* Checks that z holds exactly want[0..n), in order. */
void test_diags_expect(const test_diags *z, const test_skip *want, size_t n);

/* ---- readers ------------------------------------------------------------- */

/* Reader options that record diagnostics into z (zeroed here). */
vigil_reader_opts test_diag_opts(test_diags *z);

/* Opens `text` in memory as file `name`, recording diagnostics into z
 * (zeroed here; may be NULL); NULL when the open fails. */
vigil_reader *test_open_mem(const char *name, const char *text, test_diags *z);
/* Reads r to its end; returns the records read. */
unsigned long long test_read_all(vigil_reader *r);
/* Reads a whole in-memory log, recording diagnostics into z (not zeroed);
 * returns its records (~0 when it does not open) and fills *counts when
 * given. */
unsigned long long test_read_mem(const char *name, const char *text, test_diags *z,
                                 vigil_reader_counts *counts);
/* Checks that r yields a record and returns it (NULL when it does not). */
const vigil_record *test_next_record(vigil_reader *r);

/* ---- allocation failure -------------------------------------------------- */

/* An allocator that fails its Nth allocation (1-based; 0 = never) and
 * counts the calls and the blocks still live. */
typedef struct test_fail_alloc {
    long fail_at;  /* which allocation fails */
    long calls;    /* allocations so far */
    long live;     /* blocks allocated and not freed */
} test_fail_alloc;

/* A vigil_allocator over f (which it borrows); sets f to fail the
 * `fail_at`th allocation and zeroes its counts. */
vigil_allocator test_fail_allocator(test_fail_alloc *f, long fail_at);

/* ---- views and findings -------------------------------------------------- */

/* A TCP pair view from `src` to the one address `dst` on `dport`, in an
 * input of `internal_hosts` hosts; every other field zero. */
vigil__pair_view test_pair_view(const char *src, const char *dst, uint16_t dport,
                                uint32_t internal_hosts);
/* Points p at pts[0..n) (borrowed) and sets n, first/last, days and hours
 * present from them. */
void test_pair_fill(vigil__pair_view *p, const vigil__conn_point *pts, size_t n);
/* Frees *fs and leaves it empty, ready for a detector. */
void test_findings_reset(vigil_findings *fs);
/* Checks what a detector run at threshold 0 left in fs (at most one
 * finding, of `kind`, score in [0, 1], at least `min_reasons` reasons);
 * prints it under VIGIL_TEST_SCORES as `name`; returns its score or -1. */
double test_one_finding(const vigil_findings *fs, const char *name, vigil_finding_kind kind,
                        uint32_t min_reasons);
/* 1 when one of f's reasons contains `words`. */
int test_has_reason(const vigil_finding *f, const char *words);

#endif
