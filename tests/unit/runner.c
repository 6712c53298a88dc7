/* runner.c -- runs every TEST() (or those named on the command line). */
#define _XOPEN_SOURCE 700
#include "test.h"
#include <stdlib.h>
#include <unistd.h>
#include <sys/stat.h>
#include <ftw.h>

int vigil_test_failures;

#define X(name) void test_##name(void);
#include "list.h"
#undef X

static const struct { const char *name; void (*fn)(void); } all_tests[] = {
#define X(name) { #name, test_##name },
#include "list.h"
#undef X
};

static char tmpdir[256];

const char *test_real_path(const char *rel, char *buf, size_t cap)
{
    const char *root = getenv("VIGIL_REAL_DATA");
    snprintf(buf, cap, "%s/%s", root ? root : "../shared/data/real", rel);
    return buf;
}

const char *test_tmpdir(void)
{
    if (!tmpdir[0]) {
        snprintf(tmpdir, sizeof tmpdir, "/tmp/vigil-test-XXXXXX");
        if (!mkdtemp(tmpdir)) { perror("mkdtemp"); exit(1); }
    }
    return tmpdir;
}

const char *test_write_file(const char *name, const void *data, size_t len)
{
    static char path[512];
    snprintf(path, sizeof path, "%s/%s", test_tmpdir(), name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(data, 1, len, f) != len) { perror(path); exit(1); }
    fclose(f);
    return path;
}

static int rm_entry(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb; (void)flag; (void)ftw;
    return remove(p);
}

static void cleanup_tmp(void)
{
    if (tmpdir[0]) nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    tmpdir[0] = 0;
}

int main(int argc, char **argv)
{
    size_t n = sizeof all_tests / sizeof all_tests[0];
    int passed = 0, failed = 0;
    for (size_t i = 0; i < n; i++) {
        if (argc > 1) {
            int want = 0;
            /* A name runs that test; a name ending in '_' runs every test
             * it prefixes ("beacon_"). */
            for (int a = 1; a < argc; a++) {
                size_t al = strlen(argv[a]);
                if (strcmp(argv[a], all_tests[i].name) == 0 ||
                    (al && argv[a][al - 1] == '_' && strncmp(argv[a], all_tests[i].name, al) == 0))
                    want = 1;
            }
            if (!want) continue;
        }
        vigil_test_failures = 0;
        all_tests[i].fn();
        cleanup_tmp();
        if (vigil_test_failures) {
            printf("FAIL %s\n", all_tests[i].name);
            failed++;
        } else {
            printf("ok   %s\n", all_tests[i].name);
            passed++;
        }
        fflush(stdout);
    }
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
