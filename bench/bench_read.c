/* bench_read.c -- reads log files through libvigil's public reader API and reports records/s and MB/s, on one or more threads. */
/*
 * Usage: bench_read [--threads N] FILE...
 * Each thread takes files round-robin (thread t reads files t, t+N, ...)
 * with one reader per file, and pulls every record with vigil_reader_next.
 * Prints one line:
 *   records=R skipped=S file_bytes=F data_bytes=D seconds=T threads=N maxrss_kb=M
 * file_bytes is the size on disk, data_bytes what the readers consumed after
 * decompression.  Exit status 1 when a file cannot be opened or read.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <vigil/vigil.h>

typedef struct job {
    char **files;
    int nfiles;
    int first, step;         /* this thread's files: first, first+step, ... */
    uint64_t records, skipped, data_bytes;
    int failed;
} job;

static void *run_job(void *arg)
{
    job *j = arg;
    for (int i = j->first; i < j->nfiles; i += j->step) {
        vigil_reader_opts opts;
        vigil_reader *r = NULL;
        const vigil_record *rec = NULL;
        vigil_status st;
        uint64_t n = 0;
        memset(&opts, 0, sizeof opts);
        st = vigil_reader_open(&r, j->files[i], &opts);
        if (st != VIGIL_OK) {
            fprintf(stderr, "bench_read: %s: %s\n", j->files[i], vigil_strerror(st));
            j->failed = 1;
            continue;
        }
        while ((st = vigil_reader_next(r, &rec)) == VIGIL_OK && rec) n++;
        if (st != VIGIL_OK) {
            fprintf(stderr, "bench_read: %s: %s\n", j->files[i], vigil_strerror(st));
            j->failed = 1;
        }
        const vigil_reader_counts *c = vigil_reader_counts_get(r);
        j->records += n;
        if (c) {
            j->skipped += c->skipped;
            j->data_bytes += c->bytes;
        }
        vigil_reader_free(r);
    }
    return NULL;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    int threads = 1, first_file = 1;
    if (argc > 2 && strcmp(argv[1], "--threads") == 0) {
        threads = atoi(argv[2]);
        first_file = 3;
    }
    int nfiles = argc - first_file;
    if (threads < 1 || nfiles < 1) {
        fprintf(stderr, "usage: bench_read [--threads N] FILE...\n");
        return 2;
    }
    if (threads > nfiles) threads = nfiles;

    uint64_t file_bytes = 0;
    for (int i = first_file; i < argc; i++) {
        struct stat sb;
        if (stat(argv[i], &sb) == 0) file_bytes += (uint64_t)sb.st_size;
    }

    job *jobs = calloc((size_t)threads, sizeof *jobs);
    pthread_t *tids = calloc((size_t)threads, sizeof *tids);
    if (!jobs || !tids) { fprintf(stderr, "bench_read: out of memory\n"); return 1; }
    double t0 = now();
    for (int t = 0; t < threads; t++) {
        jobs[t].files = argv + first_file;
        jobs[t].nfiles = nfiles;
        jobs[t].first = t;
        jobs[t].step = threads;
        if (threads == 1) run_job(&jobs[t]);
        else if (pthread_create(&tids[t], NULL, run_job, &jobs[t]) != 0) {
            fprintf(stderr, "bench_read: cannot start a thread\n");
            return 1;
        }
    }
    if (threads > 1)
        for (int t = 0; t < threads; t++) pthread_join(tids[t], NULL);
    double secs = now() - t0;

    uint64_t records = 0, skipped = 0, data_bytes = 0;
    int failed = 0;
    for (int t = 0; t < threads; t++) {
        records += jobs[t].records;
        skipped += jobs[t].skipped;
        data_bytes += jobs[t].data_bytes;
        failed |= jobs[t].failed;
    }
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("records=%llu skipped=%llu file_bytes=%llu data_bytes=%llu seconds=%.6f "
           "threads=%d maxrss_kb=%ld\n",
           (unsigned long long)records, (unsigned long long)skipped,
           (unsigned long long)file_bytes, (unsigned long long)data_bytes, secs,
           threads, ru.ru_maxrss);
    free(jobs);
    free(tids);
    return failed ? 1 : 0;
}
