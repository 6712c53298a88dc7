/* tool_dest.c -- `vigil dest ADDRESS|NAME [PATH...]`: everything known
 * about one destination: country, ASN, names, first / last seen, which
 * internal hosts talked to it, when (per day) and how much; from the state
 * database (--state / --history) and / or the logs given. */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "tool.h"

static void dest_usage(FILE *f)
{
    fprintf(f,
            "usage: vigil dest [options] ADDRESS|NAME [PATH...]\n"
            "\n"
            "Everything known about one destination: country and ASN, the names\n"
            "behind it (DNS answers, TLS SNI, HTTP Host), first and last seen, and\n"
            "per day which internal hosts talked to it and how much.  A NAME\n"
            "(evil.example) covers every address tied to it or to a name under it.\n"
            "Sources: the state database (--state / --history, read only) and the\n"
            "logs given as PATHs (files, directories, quoted globs); both may be given.\n"
            "\n"
            "  -f, --format table|json  output (default table; json: one object per\n"
            "                           address and source, one per line)\n"
            "      --state FILE         the state database `vigil hunt --state` keeps\n"
            "      --history            the state at its default place (vigil hunt --help)\n"
            "      --geo-dir DIR        geo/ASN data (docs/geo.md; default search path)\n"
            "  -i, --internal CIDR      an internal network, for the logs (repeatable)\n"
            "  -q, --quiet              do not list ignored (non-log) files\n"
            "  -h, --help               this help\n"
            "\n"
            "exit status: 0 found, 4 nothing known about it, 3 some records\n"
            "             skipped, 1 a path or the state unreadable, 2 usage error\n");
}

/* "-" for an unknown (0) time, else tool_fmt_time. */
static void fmt_time(double ts, char *buf, size_t cap)
{
    if (ts <= 0) snprintf(buf, cap, "-");
    else tool_fmt_time(ts, buf, cap);
}

static void fmt_day(int64_t day, char *buf, size_t cap)
{
    time_t t = (time_t)(day * 86400);
    struct tm tm;
    if (!gmtime_r(&t, &tm)) snprintf(buf, cap, "%lld", (long long)day);
    else strftime(buf, cap, "%Y-%m-%d", &tm);
}

static void fmt_bytes(uint64_t b, char *buf, size_t cap)
{
    static const char *const unit[] = { "B", "kB", "MB", "GB", "TB" };
    double v = (double)b;
    int u = 0;
    while (v >= 1000 && u < 4) {
        v /= 1000;
        u++;
    }
    if (u == 0) snprintf(buf, cap, "%llu B", (unsigned long long)b);
    else snprintf(buf, cap, "%.1f %s", v, unit[u]);
}

static void print_table(FILE *o, const vigil_dest_report *r, const vigil_geo_info *g, const char *source)
{
    char a[VIGIL_ADDR_STRLEN], t1[32], t2[32];
    vigil_addr_format(&r->addr, a);
    fprintf(o, "%s", a);
    if (g->country[0]) fprintf(o, "  %s", g->country);
    if (g->asn) fprintf(o, "  AS%u %s", g->asn, g->org ? g->org : "");
    fprintf(o, "  (%s)\n", source);
    fmt_time(r->first_seen, t1, sizeof t1);
    fmt_time(r->last_seen, t2, sizeof t2);
    fprintf(o, "  first seen %s UTC, last seen %s UTC; %u internal host%s\n", t1, t2, r->hosts,
            r->hosts == 1 ? "" : "s");
    if (r->nnames) {
        fprintf(o, "  names:\n");
        for (size_t i = 0; i < r->nnames; i++) {
            const vigil_dest_name *n = &r->names[i];
            char h[VIGIL_ADDR_STRLEN];
            static const vigil_addr zero;
            fmt_time(n->last_ts, t1, sizeof t1);
            fprintf(o, "    %-40s %-4s", n->name, n->source);
            if (memcmp(&n->host, &zero, sizeof zero) != 0) fprintf(o, " by %-15s", vigil_addr_format(&n->host, h));
            else fprintf(o, " %-18s", "");
            fprintf(o, " last %s\n", t1);
        }
    }
    if (r->ndays) {
        fprintf(o, "  %-10s  %-15s  %-11s %8s %10s %10s  %s\n", "day", "host", "port", "conns", "out", "in",
                "span (UTC)");
        for (size_t i = 0; i < r->ndays; i++) {
            const vigil_dest_day *d = &r->days[i];
            char day[16], h[VIGIL_ADDR_STRLEN], port[32], bo[16], bi[16], s1[32], s2[32];
            fmt_day(d->day, day, sizeof day);
            snprintf(port, sizeof port, "%u/%s%s", d->dport, vigil_proto_name((vigil_proto)d->proto),
                     d->ports > 1 ? "+" : "");
            fmt_bytes(d->bytes_out, bo, sizeof bo);
            fmt_bytes(d->bytes_in, bi, sizeof bi);
            fmt_time(d->first_ts, s1, sizeof s1);
            fmt_time(d->last_ts, s2, sizeof s2);
            fprintf(o, "  %-10s  %-15s  %-11s %8llu %10s %10s  %.5s-%.5s\n", day,
                    vigil_addr_format(&d->host, h), port, (unsigned long long)d->conns, bo, bi,
                    strlen(s1) > 11 ? s1 + 11 : "-", strlen(s2) > 11 ? s2 + 11 : "-");
        }
    }
    fputc('\n', o);
}

static void print_json(FILE *o, const vigil_dest_report *r, const vigil_geo_info *g, const char *source)
{
    char a[VIGIL_ADDR_STRLEN];
    fprintf(o, "{\"addr\":\"%s\",\"source\":\"%s\",\"country\":", vigil_addr_format(&r->addr, a), source);
    if (g->country[0]) vigil_json_write_str(o, g->country, SIZE_MAX);
    else fputs("null", o);
    if (g->asn) {
        fprintf(o, ",\"asn\":%u,\"org\":", g->asn);
        vigil_json_write_str(o, g->org ? g->org : "", SIZE_MAX);
    } else {
        fputs(",\"asn\":null,\"org\":null", o);
    }
    fprintf(o, ",\"first_seen\":%.6f,\"last_seen\":%.6f,\"hosts\":%u,\"names\":[", r->first_seen, r->last_seen,
            r->hosts);
    static const vigil_addr zero;
    for (size_t i = 0; i < r->nnames; i++) {
        const vigil_dest_name *n = &r->names[i];
        fputs(i ? ",{\"name\":" : "{\"name\":", o);
        vigil_json_write_str(o, n->name, SIZE_MAX);
        fprintf(o, ",\"source\":\"%s\",\"host\":", n->source);
        if (memcmp(&n->host, &zero, sizeof zero) != 0) fprintf(o, "\"%s\"", vigil_addr_format(&n->host, a));
        else fputs("null", o);
        fprintf(o, ",\"last_ts\":%.6f}", n->last_ts);
    }
    fputs("],\"days\":[", o);
    for (size_t i = 0; i < r->ndays; i++) {
        const vigil_dest_day *d = &r->days[i];
        char day[16];
        fmt_day(d->day, day, sizeof day);
        fprintf(o, "%s{\"day\":\"%s\",\"host\":\"%s\",\"dport\":%u,\"proto\":\"%s\",\"ports\":%u,"
                   "\"conns\":%llu,\"bytes_out\":%llu,\"bytes_in\":%llu,\"first_ts\":%.6f,\"last_ts\":%.6f}",
                i ? "," : "", day, vigil_addr_format(&d->host, a), d->dport,
                vigil_proto_name((vigil_proto)d->proto), d->ports, (unsigned long long)d->conns,
                (unsigned long long)d->bytes_out, (unsigned long long)d->bytes_in, d->first_ts, d->last_ts);
    }
    fputs("]}\n", o);
}

/* Queries one state and prints what it knows; returns reports printed,
 * or -1 on error. */
static long report(vigil_state *st, const char *q, vigil_geo *geo, int json, const char *source)
{
    vigil_dest_report *r = NULL;
    size_t n = 0;
    vigil_status rc = vigil_state_dest(st, q, &r, &n);
    if (rc != VIGIL_OK) {
        const char *m = vigil_state_errmsg(st);
        fprintf(stderr, "vigil dest: %s\n", m[0] ? m : vigil_strerror(rc));
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        vigil_geo_info g = { .country = "", .asn = 0, .org = "" };
        if (geo) vigil_geo_lookup(geo, &r[i].addr, &g);
        if (json) print_json(stdout, &r[i], &g, source);
        else print_table(stdout, &r[i], &g, source);
    }
    vigil_dest_reports_free(st, r, n);
    return (long)n;
}

int tool_dest(int argc, char **argv)
{
    enum { OPT_STATE = 1000, OPT_HISTORY, OPT_GEO };
    static const struct option longopts[] = {
        { "format", required_argument, NULL, 'f' },
        { "state", required_argument, NULL, OPT_STATE },
        { "history", no_argument, NULL, OPT_HISTORY },
        { "geo-dir", required_argument, NULL, OPT_GEO },
        { "internal", required_argument, NULL, 'i' },
        { "quiet", no_argument, NULL, 'q' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    int status = TOOL_EXIT_OK, json = 0, custom_nets = 0, quiet = 0, c;
    const char *state_path = NULL, *geo_dir = NULL;
    char state_buf[4096];
    vigil_netset *internal = NULL;
    vigil_state *st = NULL, *mem = NULL;
    vigil_geo *geo = NULL;
    vigil_pathlist paths = { 0 };
    tool_diag diag;
    tool_diag_init(&diag, "vigil");
    if (vigil_netset_new(&internal, NULL) != VIGIL_OK) {
        fprintf(stderr, "vigil dest: out of memory\n");
        return TOOL_EXIT_UNREADABLE;
    }
    optind = 1;
    while ((c = getopt_long(argc, argv, "f:i:qh", longopts, NULL)) != -1) {
        switch (c) {
        case 'f':
            if (strcmp(optarg, "table") == 0) json = 0;
            else if (strcmp(optarg, "json") == 0) json = 1;
            else {
                fprintf(stderr, "vigil dest: unknown format '%s' (table, json)\n", optarg);
                status = TOOL_EXIT_USAGE;
                goto out;
            }
            break;
        case OPT_STATE: state_path = optarg; break;
        case OPT_HISTORY:
            if (!vigil_state_default_path(state_buf, sizeof state_buf)) {
                fprintf(stderr, "vigil dest: no default state location (set VIGIL_STATE or HOME)\n");
                status = TOOL_EXIT_USAGE;
                goto out;
            }
            state_path = state_buf;
            break;
        case OPT_GEO: geo_dir = optarg; break;
        case 'i':
            if (vigil_netset_add(internal, optarg) != VIGIL_OK) {
                fprintf(stderr, "vigil dest: bad network '%s'\n", optarg);
                status = TOOL_EXIT_USAGE;
                goto out;
            }
            custom_nets = 1;
            break;
        case 'q': quiet = 1; break;
        case 'h': dest_usage(stdout); goto out;
        default: dest_usage(stderr); status = TOOL_EXIT_USAGE; goto out;
        }
    }
    if (optind >= argc) {
        fprintf(stderr, "vigil dest: no ADDRESS or NAME given\n");
        dest_usage(stderr);
        status = TOOL_EXIT_USAGE;
        goto out;
    }
    const char *q = argv[optind++];
    if (!state_path && optind >= argc) {
        fprintf(stderr, "vigil dest: nothing to look in: give PATHs of logs, --state FILE or --history\n");
        status = TOOL_EXIT_USAGE;
        goto out;
    }
    if (!custom_nets && vigil_netset_add_private(internal) != VIGIL_OK) {
        status = TOOL_EXIT_UNREADABLE;
        goto out;
    }
    geo = tool_geo_open(geo_dir, tool_diag_cb, &diag);
    long shown = 0;
    if (state_path) {
        char err[600];
        vigil_state_opts so = { .flags = VIGIL_STATE_READONLY };
        vigil_status rc = vigil_state_open(&st, state_path, &so, err, sizeof err);
        if (rc != VIGIL_OK) {
            fprintf(stderr, "vigil dest: %s\n", err);
            status = TOOL_EXIT_UNREADABLE;
            goto out;
        }
        long k = report(st, q, geo, json, "state");
        if (k < 0) {
            status = TOOL_EXIT_UNREADABLE;
            goto out;
        }
        shown += k;
    }
    if (optind < argc) {
        /* The logs: aggregated into a state in memory, asked the same way. */
        diag.quiet_ignored = quiet;
        vigil_status rc = vigil_paths_expand(&paths, (const char *const *)argv + optind, (size_t)(argc - optind),
                                             NULL, tool_diag_cb, &diag);
        char err[600];
        if (rc == VIGIL_OK) rc = vigil_state_open(&mem, ":memory:", NULL, err, sizeof err);
        vigil_hunt_opts ho;
        memset(&ho, 0, sizeof ho);
        ho.internal = internal;
        ho.diag = tool_diag_cb;
        ho.diag_user = &diag;
        ho.state = mem;
        ho.ingest_only = 1;
        vigil_findings none = { 0 };
        vigil_hunt_summary sum;
        memset(&sum, 0, sizeof sum);
        if (rc == VIGIL_OK) rc = vigil_hunt((const char *const *)paths.files, paths.count, &ho, &none, &sum);
        vigil_findings_free(&none);
        if (rc != VIGIL_OK) {
            const char *m = mem ? vigil_state_errmsg(mem) : "";
            fprintf(stderr, "vigil dest: %s\n", m[0] ? m : vigil_strerror(rc));
            status = tool_exit_for(rc);
            goto out;
        }
        long k = report(mem, q, geo, json, "logs");
        if (k < 0) {
            status = TOOL_EXIT_UNREADABLE;
            goto out;
        }
        shown += k;
        tool_diag_summary(&diag);
        if (paths.unreadable || sum.unreadable) status = TOOL_EXIT_UNREADABLE;
        else if (tool_diag_skipped(&diag)) status = TOOL_EXIT_SKIPPED;
    }
    if (shown == 0) {
        fprintf(stderr, "vigil dest: nothing known about %s\n", q);
        if (status == TOOL_EXIT_OK) status = TOOL_EXIT_NOTHING;
    }
    if (fflush(stdout) != 0) status = TOOL_EXIT_UNREADABLE;
out:
    vigil_pathlist_free(&paths);
    vigil_state_close(st);
    vigil_state_close(mem);
    vigil_geo_free(geo);
    vigil_netset_free(internal);
    return status;
}
