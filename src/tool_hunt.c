/* tool_hunt.c -- `vigil hunt`: ranked, explained findings (beacons, long
 * connections, exfiltration, rare destinations, DNS tunnels and DGAs). */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "tool.h"

#define DEFAULT_MIN_SCORE 0.5   /* DESIGN.md: 0.5+ means an analyst should look */
#define PROGRESS_AFTER 2.0      /* seconds before a progress line appears */

static void hunt_usage(FILE *f)
{
    fprintf(f,
            "usage: vigil hunt [options] PATH...\n"
            "       vigil hunt --state FILE [options] [PATH...]\n"
            "\n"
            "Finds remote-controlled hosts: beacons, long connections, exfiltration,\n"
            "rare destinations, DNS tunnels and DGAs; ranked, with the reasons.\n"
            "PATH: files, directories (walked recursively) or quoted globs.\n"
            "\n"
            "  -f, --format table|jsonl|csv  output format (default table)\n"
            "  -s, --min-score X        drop findings below X (0..1, default %.1f)\n"
            "  -n, --top N              only the N best findings (default all)\n"
            "      --since T            only records at or after T\n"
            "      --until T            only records before T\n"
            "                           T: epoch seconds, YYYY-MM-DD or\n"
            "                           YYYY-MM-DDTHH:MM[:SS][Z|+hh:mm] (UTC by default)\n"
            "      --tz +hh:mm          the site's local time (e.g. +09:00): reasons\n"
            "                           give local hours, and exfil weighs transfers\n"
            "                           made at night (00-06 local)\n"
            "  -o, --output FILE        write the findings to FILE, not stdout\n"
            "  -c, --config FILE        allow/ignore rules (docs/config.md)\n"
            "  -i, --internal CIDR      an internal network (repeatable; default\n"
            "                           10/8 172.16/12 192.168/16 fc00::/7);\n"
            "                           Zeek's local_orig/local_resp count too\n"
            "  -j, --threads N          threads (default: one per core)\n"
            "      --state FILE         keep history in FILE (SQLite; created when\n"
            "                           absent): files already ingested are not read\n"
            "                           again, findings cover every day kept and are\n"
            "                           marked new or ongoing (docs/state.md)\n"
            "      --history            --state at the default place: $VIGIL_STATE,\n"
            "                           else $XDG_STATE_HOME/vigil/state.db, else\n"
            "                           ~/.local/state/vigil/state.db\n"
            "      --reingest           read files again that the state has, replacing\n"
            "                           what they added\n"
            "      --keep-days N        drop per-pair detail older than N days (first\n"
            "                           seen is kept)\n"
            "      --new-only           only findings not reported by an earlier run\n"
            "      --ingest-only        store the files in the state, do not hunt (e.g.\n"
            "                           hourly from cron; hunt later with no PATH)\n"
            "      --geo-dir DIR        country/ASN data (docs/geo.md; default: the\n"
            "                           search path there; without it the fields are\n"
            "                           empty)\n"
            "  -v, --verbose            table: every reason under its row; other\n"
            "                           formats: a summary line on stderr\n"
            "  -q, --quiet              do not list ignored (non-log) files\n"
            "  -h, --help               this help\n"
            "\n"
            "exit status: 0 clean, 3 some records skipped, 1 a path unreadable,\n"
            "             2 usage error (a bad config file too)\n",
            DEFAULT_MIN_SCORE);
}

/* Days since 1970-01-01 of a civil date (proleptic Gregorian). */
static long long days_from_civil(long long y, unsigned m, unsigned d)
{
    y -= m <= 2;
    long long era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (long long)doe - 719468;
}

static int digits(const char *s, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return 0;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 1;
}

/* Epoch seconds, or an ISO-8601 date / date-time (UTC unless an offset is
 * given).  Returns 1 and sets *out on success. */
static int parse_when(const char *s, double *out)
{
    size_t n = strlen(s);
    if (n == 0) return 0;
    if (n < 10 || s[4] != '-') {
        char *end;
        errno = 0;
        double v = strtod(s, &end);
        if (*end || errno || !isfinite(v) || v < 0) return 0;
        *out = v;
        return 1;
    }
    int y, mo, d, h = 0, mi = 0, sec = 0;
    if (!digits(s, 4, &y) || s[4] != '-' || !digits(s + 5, 2, &mo) || s[7] != '-' ||
        !digits(s + 8, 2, &d))
        return 0;
    static const int mdays[12] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1]) return 0;
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (mo == 2 && d == 29 && !leap) return 0;
    const char *p = s + 10;
    double frac = 0, offset = 0;
    if (*p == 'T' || *p == ' ') {
        if (!digits(p + 1, 2, &h) || p[3] != ':' || !digits(p + 4, 2, &mi)) return 0;
        p += 6;
        if (*p == ':') {
            if (!digits(p + 1, 2, &sec)) return 0;
            p += 3;
            if (*p == '.') {
                double scale = 0.1;
                p++;
                if (*p < '0' || *p > '9') return 0;
                while (*p >= '0' && *p <= '9') {
                    frac += (*p - '0') * scale;
                    scale /= 10;
                    p++;
                }
            }
        }
        if (h > 23 || mi > 59 || sec > 60) return 0;
        if (*p == 'Z') {
            p++;
        } else if (*p == '+' || *p == '-') {
            int oh, om = 0;
            int sign = *p == '-' ? -1 : 1;
            if (!digits(p + 1, 2, &oh)) return 0;
            p += 3;
            if (*p == ':') p++;
            if (*p) {
                if (!digits(p, 2, &om)) return 0;
                p += 2;
            }
            if (oh > 23 || om > 59) return 0;
            offset = sign * (oh * 3600.0 + om * 60.0);
        }
    }
    if (*p) return 0;
    double t = (double)days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400.0 + h * 3600.0 +
               mi * 60.0 + sec + frac - offset;
    if (t < 0) return 0;
    *out = t;
    return 1;
}

/* What the progress callback needs. */
typedef struct tool_progress {
    FILE *err;        /* stderr */
    int shown;        /* a progress line is on the screen */
} tool_progress;

static void human_count(double v, char *buf, size_t cap)
{
    if (v >= 1e9) snprintf(buf, cap, "%.1fG", v / 1e9);
    else if (v >= 1e6) snprintf(buf, cap, "%.1fM", v / 1e6);
    else if (v >= 1e3) snprintf(buf, cap, "%.1fk", v / 1e3);
    else snprintf(buf, cap, "%.0f", v);
}

static void on_progress(void *user, const vigil_hunt_progress *p)
{
    tool_progress *tp = user;
    if (p->done) {
        if (tp->shown) fputs("\r\033[K", tp->err);
        tp->shown = 0;
        fflush(tp->err);
        return;
    }
    if (p->elapsed < PROGRESS_AFTER) return;
    char recs[32], rate[32], left[48] = "";
    human_count((double)p->records, recs, sizeof recs);
    human_count(p->elapsed > 0 ? (double)p->records / p->elapsed : 0, rate, sizeof rate);
    if (p->bytes_done > 0 && p->bytes_total >= p->bytes_done) {
        double rest = p->elapsed * (double)(p->bytes_total - p->bytes_done) / (double)p->bytes_done;
        if (rest >= 90) snprintf(left, sizeof left, ", ~%.0f min left", rest / 60);
        else snprintf(left, sizeof left, ", ~%.0f s left", rest);
    }
    fprintf(tp->err, "\r\033[Kvigil hunt: %zu/%zu files, %s records, %s/s%s", p->files_done,
            p->files_total, recs, rate, left);
    fflush(tp->err);
    tp->shown = 1;
}

/* "+09:00", "-0500", "+9", "UTC", "Z" -> seconds east of UTC.  1 on success. */
static int parse_tz(const char *s, int *out)
{
    if (strcmp(s, "UTC") == 0 || strcmp(s, "Z") == 0 || strcmp(s, "utc") == 0) {
        *out = 0;
        return 1;
    }
    int sign = s[0] == '-' ? -1 : s[0] == '+' ? 1 : 0;
    if (!sign) return 0;
    const char *p = s + 1;
    int h = 0, m = 0, nd = 0;
    while (*p >= '0' && *p <= '9' && nd < 2) { h = h * 10 + (*p++ - '0'); nd++; }
    if (!nd) return 0;
    if (*p == ':') p++;
    if (*p) {
        if (!(p[0] >= '0' && p[0] <= '5' && p[1] >= '0' && p[1] <= '9' && !p[2])) return 0;
        m = (p[0] - '0') * 10 + (p[1] - '0');
    }
    if (h > 14) return 0;
    *out = sign * (h * 3600 + m * 60);
    return 1;
}

int tool_hunt(int argc, char **argv)
{
    enum { OPT_SINCE = 1000, OPT_UNTIL, OPT_TZ, OPT_STATE, OPT_HISTORY, OPT_REINGEST, OPT_KEEP,
           OPT_NEW_ONLY, OPT_GEO, OPT_INGEST };
    static const struct option longopts[] = {
        { "format", required_argument, NULL, 'f' },
        { "min-score", required_argument, NULL, 's' },
        { "top", required_argument, NULL, 'n' },
        { "since", required_argument, NULL, OPT_SINCE },
        { "until", required_argument, NULL, OPT_UNTIL },
        { "tz", required_argument, NULL, OPT_TZ },
        { "output", required_argument, NULL, 'o' },
        { "config", required_argument, NULL, 'c' },
        { "internal", required_argument, NULL, 'i' },
        { "threads", required_argument, NULL, 'j' },
        { "state", required_argument, NULL, OPT_STATE },
        { "history", no_argument, NULL, OPT_HISTORY },
        { "reingest", no_argument, NULL, OPT_REINGEST },
        { "keep-days", required_argument, NULL, OPT_KEEP },
        { "new-only", no_argument, NULL, OPT_NEW_ONLY },
        { "geo-dir", required_argument, NULL, OPT_GEO },
        { "ingest-only", no_argument, NULL, OPT_INGEST },
        { "verbose", no_argument, NULL, 'v' },
        { "quiet", no_argument, NULL, 'q' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    enum { FMT_TABLE, FMT_JSONL, FMT_CSV } format = FMT_TABLE;
    int status = TOOL_EXIT_OK, verbose = 0, quiet = 0, custom_nets = 0, c;
    const char *output = NULL, *config_path = NULL, *state_path = NULL, *geo_dir = NULL;
    vigil_geo *geo = NULL;
    char state_buf[4096];
    int new_only = 0;
    vigil_state *state = NULL;
    size_t top = 0;
    vigil_hunt_opts ho;
    memset(&ho, 0, sizeof ho);
    ho.min_score = DEFAULT_MIN_SCORE;
    vigil_netset *internal = NULL;
    vigil_config *config = NULL;
    vigil_pathlist paths = { 0 };
    vigil_findings found = { 0 };
    FILE *out = NULL;
    tool_diag diag;
    tool_diag_init(&diag, "vigil");
    if (vigil_netset_new(&internal, NULL) != VIGIL_OK || vigil_config_new(&config, NULL) != VIGIL_OK) {
        fprintf(stderr, "vigil hunt: out of memory\n");
        status = TOOL_EXIT_UNREADABLE;
        goto out;
    }
    optind = 1;
    while ((c = getopt_long(argc, argv, "f:s:n:o:c:i:j:vqh", longopts, NULL)) != -1) {
        char *end;
        switch (c) {
        case 'f':
            if (strcmp(optarg, "table") == 0) format = FMT_TABLE;
            else if (strcmp(optarg, "jsonl") == 0) format = FMT_JSONL;
            else if (strcmp(optarg, "csv") == 0) format = FMT_CSV;
            else {
                fprintf(stderr, "vigil hunt: unknown format '%s' (table, jsonl, csv)\n", optarg);
                status = TOOL_EXIT_USAGE;
                goto out;
            }
            break;
        case 's': {
            errno = 0;
            double v = strtod(optarg, &end);
            if (*optarg == 0 || *end || errno || !(v >= 0 && v <= 1)) {
                fprintf(stderr, "vigil hunt: bad --min-score '%s' (a number from 0 to 1)\n", optarg);
                status = TOOL_EXIT_USAGE;
                goto out;
            }
            ho.min_score = v;
            break;
        }
        case 'n': {
            errno = 0;
            long long v = strtoll(optarg, &end, 10);
            if (*optarg == 0 || *end || errno || v < 0) {
                fprintf(stderr, "vigil hunt: bad --top '%s'\n", optarg);
                status = TOOL_EXIT_USAGE;
                goto out;
            }
            top = (size_t)v;
            break;
        }
        case OPT_SINCE:
        case OPT_UNTIL: {
            double t;
            if (!parse_when(optarg, &t)) {
                fprintf(stderr, "vigil hunt: bad time '%s' (epoch seconds or ISO-8601, e.g. "
                        "2018-01-25 or 2018-01-25T23:00:00Z)\n", optarg);
                status = TOOL_EXIT_USAGE;
                goto out;
            }
            if (c == OPT_SINCE) { ho.has_since = 1; ho.since = t; }
            else { ho.has_until = 1; ho.until = t; }
            break;
        }
        case OPT_TZ:
            if (!parse_tz(optarg, &ho.tz_offset)) {
                fprintf(stderr, "vigil hunt: bad time zone '%s' (e.g. +09:00, -0500, UTC)\n", optarg);
                status = TOOL_EXIT_USAGE;
                goto out;
            }
            ho.has_tz = 1;
            break;
        case 'o': output = optarg; break;
        case 'c': config_path = optarg; break;
        case 'i':
            if (vigil_netset_add(internal, optarg) != VIGIL_OK) {
                fprintf(stderr, "vigil hunt: bad network '%s'\n", optarg);
                status = TOOL_EXIT_USAGE;
                goto out;
            }
            custom_nets = 1;
            break;
        case 'j': {
            long v = strtol(optarg, &end, 10);
            if (*optarg == 0 || *end || v < 1 || v > 256) {
                fprintf(stderr, "vigil hunt: bad thread count '%s'\n", optarg);
                status = TOOL_EXIT_USAGE;
                goto out;
            }
            ho.threads = (int)v;
            break;
        }
        case OPT_STATE: state_path = optarg; break;
        case OPT_HISTORY:
            if (!vigil_state_default_path(state_buf, sizeof state_buf) || !tool_mkdir_parent(state_buf)) {
                fprintf(stderr, "vigil hunt: no default state location (set VIGIL_STATE or HOME)\n");
                status = TOOL_EXIT_USAGE;
                goto out;
            }
            state_path = state_buf;
            break;
        case OPT_REINGEST: ho.reingest = 1; break;
        case OPT_KEEP: {
            long v = strtol(optarg, &end, 10);
            if (*optarg == 0 || *end || v < 1 || v > 100000) {
                fprintf(stderr, "vigil hunt: bad --keep-days '%s' (days, 1 or more)\n", optarg);
                status = TOOL_EXIT_USAGE;
                goto out;
            }
            ho.keep_days = (int)v;
            break;
        }
        case OPT_NEW_ONLY: new_only = 1; break;
        case OPT_GEO: geo_dir = optarg; break;
        case OPT_INGEST: ho.ingest_only = 1; break;
        case 'v': verbose = 1; break;
        case 'q': quiet = 1; break;
        case 'h': hunt_usage(stdout); goto out;
        default: hunt_usage(stderr); status = TOOL_EXIT_USAGE; goto out;
        }
    }
    if (optind >= argc && !state_path) {
        fprintf(stderr, "vigil hunt: no PATH given\n");
        hunt_usage(stderr);
        status = TOOL_EXIT_USAGE;
        goto out;
    }
    if (!state_path && (ho.reingest || ho.keep_days || new_only || ho.ingest_only)) {
        fprintf(stderr, "vigil hunt: --reingest, --keep-days, --new-only and --ingest-only need --state "
                "FILE or --history\n");
        status = TOOL_EXIT_USAGE;
        goto out;
    }
    if (ho.has_since && ho.has_until && ho.until <= ho.since) {
        fprintf(stderr, "vigil hunt: --until must be after --since\n");
        status = TOOL_EXIT_USAGE;
        goto out;
    }
    if (config_path) {
        char err[512];
        vigil_status rc = vigil_config_load(config, config_path, err, sizeof err);
        if (rc != VIGIL_OK) {
            fprintf(stderr, "vigil hunt: bad config: %s\n", err[0] ? err : vigil_strerror(rc));
            status = TOOL_EXIT_USAGE;
            goto out;
        }
        long k = vigil_config_add_internal(config, internal);
        if (k < 0) {
            fprintf(stderr, "vigil hunt: out of memory\n");
            status = TOOL_EXIT_UNREADABLE;
            goto out;
        }
        if (k > 0) custom_nets = 1;
    }
    if (!custom_nets && vigil_netset_add_private(internal) != VIGIL_OK) {
        status = TOOL_EXIT_UNREADABLE;
        goto out;
    }
    if (output) {
        out = fopen(output, "w");
        if (!out) {
            fprintf(stderr, "vigil hunt: cannot write %s: %s\n", output, strerror(errno));
            status = TOOL_EXIT_UNREADABLE;
            goto out;
        }
    }
    diag.quiet_ignored = quiet;
    vigil_status rc = vigil_paths_expand(&paths, (const char *const *)argv + optind,
                                         (size_t)(argc - optind), NULL, tool_diag_cb, &diag);
    if (rc != VIGIL_OK) {
        fprintf(stderr, "vigil hunt: %s\n", vigil_strerror(rc));
        status = tool_exit_for(rc);
        goto out;
    }
    if (state_path) {
        char err[600];
        rc = vigil_state_open(&state, state_path, NULL, err, sizeof err);
        if (rc != VIGIL_OK) {
            fprintf(stderr, "vigil hunt: %s\n", err);
            status = rc == VIGIL_ENOMEM ? TOOL_EXIT_UNREADABLE : TOOL_EXIT_UNREADABLE;
            goto out;
        }
        ho.state = state;
    }
    geo = tool_geo_open(geo_dir, tool_diag_cb, &diag);
    ho.geo = geo;
    tool_progress tp = { stderr, 0 };
    ho.internal = internal;
    ho.config = config;
    ho.diag = tool_diag_cb;
    ho.diag_user = &diag;
    if (isatty(STDERR_FILENO)) {
        ho.progress = on_progress;
        ho.progress_user = &tp;
    }
    vigil_hunt_summary sum;
    rc = vigil_hunt((const char *const *)paths.files, paths.count, &ho, &found, &sum);
    if (rc != VIGIL_OK) {
        const char *m = state ? vigil_state_errmsg(state) : "";
        fprintf(stderr, "vigil hunt: %s\n", m[0] ? m : vigil_strerror(rc));
        status = tool_exit_for(rc);
        goto out;
    }
    if (new_only) {
        size_t k = 0;
        for (size_t i = 0; i < found.n; i++)
            if (found.v[i].status != VIGIL_FINDING_ONGOING) found.v[k++] = found.v[i];
        found.n = k;
    }
    if (state && !ho.ingest_only && (verbose || sum.files_known))
        fprintf(stderr, "vigil hunt: state %s: %zu file%s ingested, %zu already there%s\n", state_path,
                sum.files_ingested, sum.files_ingested == 1 ? "" : "s", sum.files_known,
                sum.files_redone ? " (some re-read to replace their batch)" : "");
    if (ho.ingest_only) {
        fprintf(stderr, "vigil hunt: state %s: %zu file%s ingested (%llu records), %zu already there\n",
                state_path, sum.files_ingested, sum.files_ingested == 1 ? "" : "s",
                (unsigned long long)sum.records, sum.files_known);
        if (verbose)
            fprintf(stderr, "vigil hunt: %.1f s (reading %.1f s, merging the threads' days and writing "
                    "them %.1f s)\n", sum.elapsed, sum.read_s - sum.merge_s, sum.merge_s);
        tool_diag_summary(&diag);
        if (paths.unreadable || sum.unreadable) status = TOOL_EXIT_UNREADABLE;
        else if (tool_diag_skipped(&diag)) status = TOOL_EXIT_SKIPPED;
        goto out;
    }
    FILE *o = out ? out : stdout;
    size_t shown = top && top < found.n ? top : found.n;
    if (format == FMT_TABLE) {
        if (found.n) rc = vigil_findings_write_table(o, &found, top, verbose);
        fprintf(o, "%s%zu finding%s at score >= %.2f", found.n ? "\n" : "", found.n,
                found.n == 1 ? "" : "s", ho.min_score);
        if (shown < found.n) fprintf(o, " (top %zu shown)", shown);
        fprintf(o, "; %llu records, %llu pairs, %llu internal hosts, %zu files, %.1f s",
                (unsigned long long)sum.records, (unsigned long long)sum.pairs,
                (unsigned long long)sum.hosts, sum.files_read, sum.elapsed);
        vigil_state_info si;
        if (state && vigil_state_info_get(state, &si) == VIGIL_OK) {
            size_t nnew = 0;
            for (size_t i = 0; i < found.n; i++) nnew += found.v[i].status == VIGIL_FINDING_NEW;
            fprintf(o, "; history: %llu day%s in the state, %zu finding%s new", (unsigned long long)si.days,
                    si.days == 1 ? "" : "s", nnew, nnew == 1 ? "" : "s");
        }
        fputc('\n', o);
    } else {
        if (format == FMT_CSV) rc = vigil_finding_write_csv_header(o);
        for (size_t i = 0; i < shown && rc == VIGIL_OK; i++)
            rc = format == FMT_JSONL ? vigil_finding_write_jsonl(o, &found.v[i])
                                     : vigil_finding_write_csv(o, &found.v[i]);
        if (verbose)
            fprintf(stderr, "vigil hunt: %llu conn records, %llu kept as internal->external "
                    "connections (%llu inbound, %llu internal, %llu external, %llu noise)\n",
                    (unsigned long long)sum.conn_records, (unsigned long long)sum.conns_kept,
                    (unsigned long long)sum.inbound, (unsigned long long)sum.internal_only,
                    (unsigned long long)sum.external_only, (unsigned long long)sum.noise);
        if (verbose)
            fprintf(stderr, "vigil hunt: %zu findings (%zu written), %llu records, %llu pairs, "
                    "%llu internal hosts, %zu files, %.1f s (reading %.1f s incl. merging %.1f s, "
                    "finishing %.1f s, detecting %.1f s)\n",
                    found.n, shown, (unsigned long long)sum.records, (unsigned long long)sum.pairs,
                    (unsigned long long)sum.hosts, sum.files_read, sum.elapsed, sum.read_s,
                    sum.merge_s, sum.finish_s, sum.detect_s - sum.finish_s);
    }
    if (fflush(o) != 0 || rc != VIGIL_OK || ferror(o)) {
        fprintf(stderr, "vigil hunt: cannot write %s\n", output ? output : "the output");
        status = TOOL_EXIT_UNREADABLE;
        goto out;
    }
    /* Connections were read but none had an internal side: the capture is
     * of hosts with public addresses (a lab, a university, a cloud VM).
     * Say what to do instead of printing an empty table in silence. */
    if (sum.conn_records > 0 && sum.conns_kept == 0 && sum.external_only > 0)
        fprintf(stderr, "vigil hunt: none of the %llu connections has an internal side "
                "(no address in the internal networks, no Zeek local_orig); name your "
                "hosts with --internal CIDR or an `internal` line in --config\n",
                (unsigned long long)sum.conn_records);
    tool_diag_summary(&diag);
    if (paths.unreadable || sum.unreadable) status = TOOL_EXIT_UNREADABLE;
    else if (tool_diag_skipped(&diag)) status = TOOL_EXIT_SKIPPED;
out:
    if (out && fclose(out) != 0 && status == TOOL_EXIT_OK) {
        fprintf(stderr, "vigil hunt: cannot write %s\n", output);
        status = TOOL_EXIT_UNREADABLE;
    }
    vigil_findings_free(&found);
    vigil_state_close(state);
    vigil_geo_free(geo);
    vigil_pathlist_free(&paths);
    vigil_config_free(config);
    vigil_netset_free(internal);
    return status;
}
