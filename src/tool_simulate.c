/* tool_simulate.c -- `vigil simulate`: write a simulated enterprise's logs. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "tool.h"

static void simulate_usage(FILE *f)
{
    fprintf(f,
            "usage: vigil simulate --out DIR [options]\n"
            "\n"
            "Generates a simulated enterprise (a Tokyo crypto exchange) with a\n"
            "Coincheck-like intrusion hidden in its traffic: Zeek logs in Zeek's\n"
            "archive layout (DIR/zeek/YYYY-MM-DD/conn.HH:00:00-HH:00:00.log.gz, dns,\n"
            "ssl, http), assets.csv, people.csv, truth.json and manifest.json.\n"
            "The same options always give the same bytes.\n"
            "\n"
            "  -o, --out DIR          where to write (created if missing)\n"
            "  -n, --hosts N          internal hosts, servers included (default %d;\n"
            "                         20..100000)\n"
            "  -d, --days N           days to simulate (default %d)\n"
            "  -s, --start YYYY-MM-DD first day, UTC (default 2018-01-01)\n"
            "  -S, --seed S           random seed (default 1)\n"
            "  -f, --format tsv|json  Zeek TSV (default) or Zeek JSON\n"
            "      --no-gzip          plain .log files\n"
            "  -j, --threads N        worker threads (default %d)\n"
            "  -q, --quiet            no progress on stderr\n"
            "  -h, --help             this help\n"
            "\n"
            "exit status: 0 written, 1 I/O failure, 2 usage error\n",
            VIGIL_SIM_DEFAULT_HOSTS, VIGIL_SIM_DEFAULT_DAYS, VIGIL_SIM_DEFAULT_THREADS);
}

/* Parses a decimal in [lo, hi]; 0 on failure. */
static int parse_uint(const char *s, unsigned long long lo, unsigned long long hi,
                      unsigned long long *out)
{
    char *end;
    if (!*s || *s == '-' || *s == '+') return 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (*end || v < lo || v > hi) return 0;
    *out = v;
    return 1;
}

/* "YYYY-MM-DD" -> epoch seconds of its UTC midnight; 0 on failure. */
static int parse_date(const char *s, long long *out)
{
    int y, m, d;
    char extra;
    if (strlen(s) != 10 || sscanf(s, "%4d-%2d-%2d%c", &y, &m, &d, &extra) != 3) return 0;
    if (y < 1971 || y > 2200 || m < 1 || m > 12 || d < 1) return 0;
    static const int mdays[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (d > mdays[m - 1] + (m == 2 && leap)) return 0;
    /* Days since 1970-01-01 (era-based civil-to-days conversion). */
    int yy = y - (m <= 2);
    int era = yy / 400;
    int yoe = yy - era * 400;
    int doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    long long days = (long long)era * 146097 + doe - 719468;
    *out = days * 86400;
    return 1;
}

/* Progress on a terminal's stderr: one line rewritten per finished day. */
static void progress(void *user, unsigned done, unsigned total)
{
    (void)user;
    fprintf(stderr, "\rvigil simulate: day %u/%u", done, total);
    if (done == total) fputc('\n', stderr);
    fflush(stderr);
}

int tool_simulate(int argc, char **argv)
{
    enum { OPT_NO_GZIP = 256 };
    static const struct option longopts[] = {
        { "out", required_argument, NULL, 'o' },
        { "hosts", required_argument, NULL, 'n' },
        { "days", required_argument, NULL, 'd' },
        { "start", required_argument, NULL, 's' },
        { "seed", required_argument, NULL, 'S' },
        { "format", required_argument, NULL, 'f' },
        { "no-gzip", no_argument, NULL, OPT_NO_GZIP },
        { "threads", required_argument, NULL, 'j' },
        { "quiet", no_argument, NULL, 'q' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    vigil_sim_opts o;
    memset(&o, 0, sizeof o);
    o.seed = 1;
    int quiet = 0, c;
    unsigned long long v;
    long long start;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:n:d:s:S:f:j:qh", longopts, NULL)) != -1) {
        switch (c) {
        case 'o': o.out_dir = optarg; break;
        case 'n':
            if (!parse_uint(optarg, 20, 100000, &v)) {
                fprintf(stderr, "vigil simulate: bad host count '%s' (20..100000)\n", optarg);
                return TOOL_EXIT_USAGE;
            }
            o.hosts = (unsigned)v;
            break;
        case 'd':
            if (!parse_uint(optarg, 1, 3660, &v)) {
                fprintf(stderr, "vigil simulate: bad day count '%s' (1..3660)\n", optarg);
                return TOOL_EXIT_USAGE;
            }
            o.days = (unsigned)v;
            break;
        case 's':
            if (!parse_date(optarg, &start)) {
                fprintf(stderr, "vigil simulate: bad start date '%s' (YYYY-MM-DD)\n", optarg);
                return TOOL_EXIT_USAGE;
            }
            o.start = start;
            break;
        case 'S':
            if (!parse_uint(optarg, 0, UINT64_MAX, &v)) {
                fprintf(stderr, "vigil simulate: bad seed '%s'\n", optarg);
                return TOOL_EXIT_USAGE;
            }
            o.seed = v;
            break;
        case 'f':
            if (strcmp(optarg, "json") == 0) o.json = 1;
            else if (strcmp(optarg, "tsv") == 0) o.json = 0;
            else {
                fprintf(stderr, "vigil simulate: unknown format '%s' (tsv, json)\n", optarg);
                return TOOL_EXIT_USAGE;
            }
            break;
        case OPT_NO_GZIP: o.no_gzip = 1; break;
        case 'j':
            if (!parse_uint(optarg, 1, 256, &v)) {
                fprintf(stderr, "vigil simulate: bad thread count '%s'\n", optarg);
                return TOOL_EXIT_USAGE;
            }
            o.threads = (unsigned)v;
            break;
        case 'q': quiet = 1; break;
        case 'h': simulate_usage(stdout); return TOOL_EXIT_OK;
        default: simulate_usage(stderr); return TOOL_EXIT_USAGE;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "vigil simulate: unexpected argument '%s'\n", argv[optind]);
        simulate_usage(stderr);
        return TOOL_EXIT_USAGE;
    }
    if (!o.out_dir || !*o.out_dir) {
        fprintf(stderr, "vigil simulate: --out DIR is required\n");
        simulate_usage(stderr);
        return TOOL_EXIT_USAGE;
    }
    if (!quiet && isatty(STDERR_FILENO)) o.progress = progress;
    vigil_sim_report rep;
    vigil_status rc = vigil_simulate(&o, &rep);
    if (rc != VIGIL_OK) {
        if (o.progress) fputc('\n', stderr);
        fprintf(stderr, "vigil simulate: %s: %s\n", o.out_dir, vigil_strerror(rc));
        /* Options were checked above: EINVAL here is about the world. */
        return rc == VIGIL_EINVAL ? TOOL_EXIT_USAGE : TOOL_EXIT_UNREADABLE;
    }
    printf("wrote %s: %u hosts, %u days, %llu files, %.1f MB\n", o.out_dir, rep.hosts, rep.days,
           (unsigned long long)rep.files, (double)rep.bytes / 1e6);
    printf("  conn %llu  dns %llu  ssl %llu  http %llu records\n",
           (unsigned long long)rep.conn, (unsigned long long)rep.dns,
           (unsigned long long)rep.ssl, (unsigned long long)rep.http);
    printf("  planted events: %zu (see %s/truth.json)\n", rep.truth_events, o.out_dir);
    printf("  %.2f s, %.0f records/s (%.0f conn records/s)\n", rep.seconds, rep.records_per_s,
           rep.conn_per_s);
    return TOOL_EXIT_OK;
}
