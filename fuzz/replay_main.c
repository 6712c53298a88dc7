/* replay_main.c -- a main() for fuzz targets: runs LLVMFuzzerTestOneInput on every corpus file given, for `make test`. */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Reads a whole file into an exact-size heap block (so a read one past the
 * input's end is caught by ASan as it would be under libFuzzer).  Returns 0
 * on success; the caller frees *out. */
static int read_file(const char *path, uint8_t **out, size_t *len)
{
    FILE *f = fopen(path, "rb");
    uint8_t *buf = NULL;
    size_t n = 0, cap = 0;
    if (!f) return -1;
    for (;;) {
        if (n == cap) {
            size_t ncap = cap ? cap * 2 : 65536;
            uint8_t *nb = realloc(buf, ncap);
            if (!nb) { free(buf); fclose(f); return -1; }
            buf = nb;
            cap = ncap;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0) break;
    }
    if (ferror(f)) { free(buf); fclose(f); return -1; }
    fclose(f);
    /* Shrink to the exact size: the redzone starts right after the input. */
    uint8_t *exact = malloc(n ? n : 1);
    if (!exact) { free(buf); return -1; }
    if (n) memcpy(exact, buf, n);
    free(buf);
    *out = exact;
    *len = n;
    return 0;
}

/* Runs one file; returns 1 when it ran, 0 when it could not be read. */
static int run_file(const char *path)
{
    uint8_t *data = NULL;
    size_t len = 0;
    if (read_file(path, &data, &len) != 0) {
        fprintf(stderr, "replay: cannot read %s: %s\n", path, strerror(errno));
        return 0;
    }
    LLVMFuzzerTestOneInput(data, len);
    free(data);
    return 1;
}

static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Runs every regular file directly in `dir`, in name order (dotfiles are
 * skipped).  Adds to *ran and *bad. */
static void run_dir(const char *dir, long *ran, long *bad)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char **names = NULL;
    size_t n = 0, cap = 0;
    if (!d) {
        fprintf(stderr, "replay: cannot open %s: %s\n", dir, strerror(errno));
        (*bad)++;
        return;
    }
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            char **nn = realloc(names, cap * sizeof *names);
            if (!nn) break;
            names = nn;
        }
        size_t need = strlen(dir) + strlen(e->d_name) + 2;
        names[n] = malloc(need);
        if (!names[n]) break;
        snprintf(names[n], need, "%s/%s", dir, e->d_name);
        n++;
    }
    closedir(d);
    if (n) qsort(names, n, sizeof *names, name_cmp);
    for (size_t i = 0; i < n; i++) {
        struct stat sb;
        if (stat(names[i], &sb) == 0 && S_ISREG(sb.st_mode)) {
            if (run_file(names[i])) (*ran)++;
            else (*bad)++;
        }
        free(names[i]);
    }
    free(names);
}

int main(int argc, char **argv)
{
    long ran = 0, bad = 0;
    if (argc < 2) {
        fprintf(stderr, "usage: %s CORPUS_DIR_OR_FILE...\n", argv[0]);
        return 2;
    }
    for (int i = 1; i < argc; i++) {
        struct stat sb;
        if (stat(argv[i], &sb) != 0) {
            fprintf(stderr, "replay: %s: %s\n", argv[i], strerror(errno));
            bad++;
        } else if (S_ISDIR(sb.st_mode)) {
            run_dir(argv[i], &ran, &bad);
        } else if (run_file(argv[i])) {
            ran++;
        } else {
            bad++;
        }
    }
    /* An input that crashes kills the process before this line. */
    printf("%ld passed, %ld failed\n", ran, bad);
    return bad ? 1 : 0;
}
