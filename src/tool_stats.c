/* tool_stats.c -- `vigil stats`: what is in these logs, and what was skipped. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "tool.h"

static void stats_usage(FILE *f)
{
    fprintf(f,
            "usage: vigil stats [options] PATH...\n"
            "\n"
            "PATH: files, directories (walked recursively) or quoted globs.\n"
            "Zeek TSV and JSON, Suricata EVE JSON, pcap/pcapng; gzip read directly.\n"
            "\n"
            "  -f, --format table|json   output format (default table)\n"
            "  -j, --threads N           reader threads (default: one per core)\n"
            "  -i, --internal CIDR       an internal network (repeatable; default\n"
            "                            10/8 172.16/12 192.168/16 fc00::/7);\n"
            "                            Zeek's local_orig/local_resp count too\n"
            "  -q, --quiet               do not list ignored (non-log) files\n"
            "  -h, --help                this help\n");
}

static void print_table(const vigil_stats *s, const tool_diag *d)
{
    size_t n = vigil_stats_log_count(s);
    printf("%-10s %12s %9s  %-19s  %-19s  %9s %9s\n", "log", "records", "skipped",
           "first (UTC)", "last (UTC)", "internal", "external");
    for (size_t i = 0; i < n; i++) {
        vigil_log_summary l;
        if (vigil_stats_log(s, i, &l) != VIGIL_OK) continue;
        char a[32], b[32];
        tool_fmt_time(l.records ? l.first_ts : -1, a, sizeof a);
        tool_fmt_time(l.records ? l.last_ts : -1, b, sizeof b);
        printf("%-10s %12llu %9llu  %-19s  %-19s  %9llu %9llu\n", l.name,
               (unsigned long long)l.records, (unsigned long long)l.skipped, a, b,
               (unsigned long long)l.internal_addrs, (unsigned long long)l.external_addrs);
    }
    printf("\nfiles read: %llu", (unsigned long long)vigil_stats_files(s));
    if (d->ignored) printf(", ignored (not logs): %llu", d->ignored);
    if (d->unreadable) printf(", unreadable: %llu", d->unreadable);
    printf("\ndistinct addresses: %llu internal, %llu external\n",
           (unsigned long long)vigil_stats_internal_addrs(s),
           (unsigned long long)vigil_stats_external_addrs(s));
    int any = 0;
    for (int r = 1; r < VIGIL_SKIP__COUNT; r++) {
        uint64_t c = vigil_stats_skipped_by(s, (vigil_skip_reason)r);
        if (!c) continue;
        printf("%s %llu %s", any ? "," : "skipped:", (unsigned long long)c,
               vigil_skip_reason_name((vigil_skip_reason)r));
        any = 1;
    }
    printf("%s", any ? "\n" : "skipped: none\n");
}

static void json_num(double v)
{
    if (v < 0) printf("null");
    else printf("%.6f", v);
}

static void print_json(const vigil_stats *s, const tool_diag *d)
{
    size_t n = vigil_stats_log_count(s);
    uint64_t recs = 0, skipped = 0;
    printf("{\"logs\":{");
    for (size_t i = 0; i < n; i++) {
        vigil_log_summary l;
        if (vigil_stats_log(s, i, &l) != VIGIL_OK) continue;
        recs += l.records;
        skipped += l.skipped;
        /* Log names are plain identifiers (read_reader.c checks), so they
         * need no JSON escaping. */
        printf("%s\"%s\":{\"type\":\"%s\",\"records\":%llu,\"skipped\":%llu,\"first_ts\":",
               i ? "," : "", l.name, vigil_log_type_name(l.type),
               (unsigned long long)l.records, (unsigned long long)l.skipped);
        json_num(l.records ? l.first_ts : -1);
        printf(",\"last_ts\":");
        json_num(l.records ? l.last_ts : -1);
        printf(",\"internal_addrs\":%llu,\"external_addrs\":%llu}",
               (unsigned long long)l.internal_addrs, (unsigned long long)l.external_addrs);
    }
    printf("},\"skipped_by_reason\":{");
    int first = 1;
    for (int r = 1; r < VIGIL_SKIP__COUNT; r++) {
        uint64_t c = vigil_stats_skipped_by(s, (vigil_skip_reason)r);
        if (!c) continue;
        printf("%s\"%s\":%llu", first ? "" : ",", vigil_skip_reason_name((vigil_skip_reason)r),
               (unsigned long long)c);
        first = 0;
    }
    printf("},\"files\":%llu,\"ignored_files\":%llu,\"unreadable\":%llu,"
           "\"records\":%llu,\"skipped\":%llu,\"internal_addrs\":%llu,\"external_addrs\":%llu}\n",
           (unsigned long long)vigil_stats_files(s), d->ignored, d->unreadable,
           (unsigned long long)recs, (unsigned long long)skipped,
           (unsigned long long)vigil_stats_internal_addrs(s),
           (unsigned long long)vigil_stats_external_addrs(s));
}

int tool_stats(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "format", required_argument, NULL, 'f' },
        { "threads", required_argument, NULL, 'j' },
        { "internal", required_argument, NULL, 'i' },
        { "quiet", no_argument, NULL, 'q' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    int json = 0, threads = 0, quiet = 0, status = TOOL_EXIT_OK;
    vigil_netset *internal = NULL;
    vigil_stats *stats = NULL;
    vigil_pathlist paths = { 0 };
    tool_diag diag;
    tool_diag_init(&diag, "vigil");
    if (vigil_netset_new(&internal, NULL) != VIGIL_OK) return TOOL_EXIT_UNREADABLE;
    int custom_nets = 0, c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "f:j:i:qh", longopts, NULL)) != -1) {
        switch (c) {
        case 'f':
            if (strcmp(optarg, "json") == 0) json = 1;
            else if (strcmp(optarg, "table") == 0) json = 0;
            else { fprintf(stderr, "vigil stats: unknown format '%s' (table, json)\n", optarg); status = TOOL_EXIT_USAGE; goto out; }
            break;
        case 'j': {
            char *end;
            long v = strtol(optarg, &end, 10);
            if (*end || v < 1 || v > 256) { fprintf(stderr, "vigil stats: bad thread count '%s'\n", optarg); status = TOOL_EXIT_USAGE; goto out; }
            threads = (int)v;
            break;
        }
        case 'i':
            if (vigil_netset_add(internal, optarg) != VIGIL_OK) { fprintf(stderr, "vigil stats: bad network '%s'\n", optarg); status = TOOL_EXIT_USAGE; goto out; }
            custom_nets = 1;
            break;
        case 'q': quiet = 1; break;
        case 'h': stats_usage(stdout); goto out;
        default: stats_usage(stderr); status = TOOL_EXIT_USAGE; goto out;
        }
    }
    if (optind >= argc) {
        fprintf(stderr, "vigil stats: no PATH given\n");
        stats_usage(stderr);
        status = TOOL_EXIT_USAGE;
        goto out;
    }
    if (!custom_nets && vigil_netset_add_private(internal) != VIGIL_OK) { status = TOOL_EXIT_UNREADABLE; goto out; }
    diag.quiet_ignored = quiet;
    vigil_status rc = vigil_paths_expand(&paths, (const char *const *)argv + optind,
                                         (size_t)(argc - optind), NULL, tool_diag_cb, &diag);
    if (rc == VIGIL_OK) rc = vigil_stats_new(&stats, internal, NULL);
    if (rc != VIGIL_OK) {
        fprintf(stderr, "vigil stats: %s\n", vigil_strerror(rc));
        status = tool_exit_for(rc);
        goto out;
    }
    vigil_reader_opts ro = { .diag = tool_diag_cb, .diag_user = &diag };
    size_t unreadable = 0;
    rc = vigil_stats_scan(stats, (const char *const *)paths.files, paths.count, threads, &ro, &unreadable);
    if (rc != VIGIL_OK) {
        fprintf(stderr, "vigil stats: %s\n", vigil_strerror(rc));
        status = tool_exit_for(rc);
        goto out;
    }
    if (json) print_json(stats, &diag);
    else print_table(stats, &diag);
    tool_diag_summary(&diag);
    if (paths.unreadable || unreadable) status = TOOL_EXIT_UNREADABLE;
    else if (tool_diag_skipped(&diag)) status = TOOL_EXIT_SKIPPED;
out:
    vigil_pathlist_free(&paths);
    vigil_stats_free(stats);
    vigil_netset_free(internal);
    return status;
}
