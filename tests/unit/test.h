/* test.h -- the tiny unit-test harness: TEST(name) { CHECK(...); } */
#ifndef VIGIL_TEST_H
#define VIGIL_TEST_H

#include <stdio.h>
#include <string.h>
#include <stdint.h>
#include <vigil/vigil.h>

/* Failures recorded by the running test (runner.c). */
extern int vigil_test_failures;

#define TEST(name) void test_##name(void); void test_##name(void)

#define CHECK(cond) do { if (!(cond)) { \
    fprintf(stderr, "  %s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #cond); \
    vigil_test_failures++; } } while (0)

#define CHECK_EQ_U(a, b) do { unsigned long long a_ = (unsigned long long)(a), \
    b_ = (unsigned long long)(b); if (a_ != b_) { \
    fprintf(stderr, "  %s:%d: %s == %llu, expected %s == %llu\n", __FILE__, \
            __LINE__, #a, a_, #b, b_); vigil_test_failures++; } } while (0)

#define CHECK_STR(a, b) do { const char *a_ = (a), *b_ = (b); \
    if (!a_ || !b_ || strcmp(a_, b_) != 0) { \
    fprintf(stderr, "  %s:%d: %s == \"%s\", expected \"%s\"\n", __FILE__, \
            __LINE__, #a, a_ ? a_ : "(null)", b_ ? b_ : "(null)"); \
    vigil_test_failures++; } } while (0)

/* Compares a borrowed vigil_str with a C string. */
#define CHECK_VSTR(v, s) do { vigil_str v_ = (v); const char *s_ = (s); \
    if (!v_.p || v_.len != strlen(s_) || memcmp(v_.p, s_, v_.len) != 0) { \
    fprintf(stderr, "  %s:%d: %s == \"%.*s\", expected \"%s\"\n", __FILE__, \
            __LINE__, #v, (int)v_.len, v_.p ? v_.p : "(unset)", s_); \
    vigil_test_failures++; } } while (0)

/* Path of the shared real captures, from the VIGIL_REAL_DATA environment
 * variable or ../shared/data/real. */
const char *test_real_path(const char *rel, char *buf, size_t cap);
/* A fresh temporary directory for this test (removed by the runner). */
const char *test_tmpdir(void);
/* Writes `len` bytes to tmpdir/name and returns the full path (static). */
const char *test_write_file(const char *name, const void *data, size_t len);

#endif
