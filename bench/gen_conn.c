/* gen_conn.c -- writes a deterministic, realistic Zeek conn.log (TSV or JSON) of a given size, for the benchmarks. */
/*
 * Usage: gen_conn [--json] [--seed N] [--start EPOCH] SIZE_MB OUT
 *   OUT "-" is stdout.  The same seed gives the same bytes.
 * The TSV has Zeek's full header (#separator ... #types, #open) and #close,
 * with the default conn fields plus orig_l2_addr/resp_l2_addr (Zeek's
 * mac-logging policy, common on enterprise sensors); lines average ~170
 * bytes.  The traffic: ~2,000 internal hosts in 10/8
 * talking to 50,000 external IPv4 servers and a few internal servers, ~2%
 * IPv6, tcp/udp/icmp with Zeek's services, conn_states and history letters,
 * some unset ('-') fields, timestamps rising over about a day.
 * Hand-written number formatting keeps generation near disk speed.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* splitmix64: small, fast, good enough for synthetic traffic. */
static uint64_t rng_state;

static uint64_t rnd(void)
{
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* Uniform in [0, n). */
static uint32_t below(uint32_t n)
{
    return (uint32_t)(((rnd() >> 32) * (uint64_t)n) >> 32);
}

/* Heavy-tailed byte counts: mostly small, sometimes megabytes. */
static uint64_t heavy(uint32_t base)
{
    uint32_t shift = below(100) < 90 ? below(4) : 4 + below(10);
    return (uint64_t)below(base) << shift;
}

/* The output buffer; flushed when nearly full. */
static char obuf[1 << 20];
static size_t olen;
static FILE *out;
static uint64_t written;

static void flush_out(void)
{
    if (olen && fwrite(obuf, 1, olen, out) != olen) {
        perror("gen_conn: write");
        exit(1);
    }
    written += olen;
    olen = 0;
}

static void put(const char *s, size_t n)
{
    memcpy(obuf + olen, s, n);
    olen += n;
}

static void puts_(const char *s) { put(s, strlen(s)); }

static void putu(uint64_t v)
{
    char tmp[24];
    int i = 24;
    do { tmp[--i] = (char)('0' + v % 10); v /= 10; } while (v);
    put(tmp + i, (size_t)(24 - i));
}

/* A fixed-point decimal with `digits` fraction digits, e.g. 1515400000.123456. */
static void putfix(uint64_t micros, int digits)
{
    uint64_t scale = 1;
    char tmp[8];
    for (int i = 0; i < digits; i++) scale *= 10;
    putu(micros / scale);
    obuf[olen++] = '.';
    uint64_t frac = micros % scale;
    for (int i = digits - 1; i >= 0; i--) { tmp[i] = (char)('0' + frac % 10); frac /= 10; }
    put(tmp, (size_t)digits);
}

static void put_v4(uint32_t a)
{
    putu(a >> 24); obuf[olen++] = '.';
    putu((a >> 16) & 255); obuf[olen++] = '.';
    putu((a >> 8) & 255); obuf[olen++] = '.';
    putu(a & 255);
}

static void put_hex16(unsigned v)
{
    static const char hx[] = "0123456789abcdef";
    int started = 0;
    for (int s = 12; s >= 0; s -= 4) {
        unsigned d = (v >> s) & 15;
        if (d || started || s == 0) { obuf[olen++] = hx[d]; started = 1; }
    }
}

/* One generated connection, formatted by put_tsv or put_json. */
typedef struct conn {
    uint64_t ts_us;         /* microseconds since the epoch */
    char uid[19];           /* 'C' + 17 base62 characters */
    int v6;                 /* addresses are IPv6 */
    uint32_t orig4, resp4;  /* IPv4 addresses */
    unsigned orig6, resp6;  /* last group of the IPv6 addresses */
    unsigned orig_p, resp_p;
    const char *proto;      /* "tcp" "udp" "icmp" */
    const char *service;    /* NULL: unset */
    int has_duration;       /* duration and byte counts set */
    uint64_t dur_us;
    uint64_t orig_bytes, resp_bytes;
    const char *state;
    int local_orig, local_resp;
    uint64_t missed;
    const char *history;
    uint64_t orig_pkts, orig_ip, resp_pkts, resp_ip;
    uint64_t orig_mac, resp_mac; /* 48-bit link-layer addresses */
} conn;

#define N_INTERNAL 2000u
#define N_EXTERNAL 50000u

static uint32_t external_addr(uint32_t i)
{
    /* A scattered but fixed public IPv4 address per index (avoids 10/8,
     * 127/8, 0/8 and multicast by construction of the first octet). */
    uint64_t h = (uint64_t)(i + 1) * 0x9E3779B97F4A7C15ull;
    uint32_t first = 11 + (uint32_t)((h >> 56) % 212); /* 11..222 */
    if (first == 127 || first == 172 || first == 192) first++;
    return (first << 24) | (uint32_t)((h >> 24) & 0xFFFFFF);
}

static void make_conn(conn *c, uint64_t *clock_us)
{
    static const char b62[] =
        "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    uint32_t roll;

    *clock_us += 1 + below(30000);    /* ~15 ms apart on average */
    c->ts_us = *clock_us;
    c->uid[0] = 'C';
    for (int i = 1; i < 18; i++) c->uid[i] = b62[below(62)];
    c->uid[18] = 0;

    c->v6 = below(100) < 2;
    c->orig4 = (10u << 24) | (below(8) << 16) | (below(N_INTERNAL / 8) + 1);
    c->orig6 = 0x100 + below(N_INTERNAL);
    c->orig_p = 49152 + below(16384);
    c->local_orig = 1;

    roll = below(100);
    if (roll < 70) {
        c->proto = "tcp";
        uint32_t r = below(100);
        if (r < 55) { c->resp_p = 443; c->service = "ssl"; }
        else if (r < 75) { c->resp_p = 80; c->service = "http"; }
        else if (r < 80) { c->resp_p = 22; c->service = "ssh"; }
        else if (r < 85) { c->resp_p = 445; c->service = NULL; }
        else { c->resp_p = 1024 + below(60000); c->service = NULL; }
    } else if (roll < 98) {
        c->proto = "udp";
        uint32_t r = below(100);
        if (r < 80) { c->resp_p = 53; c->service = "dns"; }
        else if (r < 88) { c->resp_p = 123; c->service = "ntp"; }
        else if (r < 92) { c->resp_p = 443; c->service = NULL; }
        else { c->resp_p = 1024 + below(60000); c->service = NULL; }
    } else {
        c->proto = "icmp";
        c->orig_p = 8;
        c->resp_p = 0;
        c->service = NULL;
    }

    /* DNS mostly to the internal resolvers; the rest mostly external. */
    if (c->resp_p == 53 && below(100) < 90) {
        c->resp4 = (10u << 24) | (2 + below(2));
        c->resp6 = 0x53;
        c->local_resp = 1;
    } else if (below(100) < 15) {
        c->resp4 = (10u << 24) | (below(8) << 16) | (below(N_INTERNAL / 8) + 1);
        c->resp6 = 0x100 + below(N_INTERNAL);
        c->local_resp = 1;
    } else {
        /* A few popular servers and a long tail. */
        uint32_t idx = below(100) < 50 ? below(200) : below(N_EXTERNAL);
        c->resp4 = external_addr(idx);
        c->resp6 = 0x1000 + idx % 0xE000;
        c->local_resp = 0;
    }

    c->missed = below(1000) == 0 ? below(100000) : 0;
    c->has_duration = 1;
    if (c->proto[0] == 't') {
        uint32_t r = below(100);
        if (r < 72) {
            c->state = "SF"; c->history = below(4) ? "ShADadFf" : "ShADadfF";
        } else if (r < 82) {
            c->state = "S0"; c->history = "S"; c->has_duration = 0;
        } else if (r < 87) {
            c->state = "REJ"; c->history = "Sr";
        } else if (r < 92) {
            c->state = "RSTO"; c->history = "ShADadR";
        } else if (r < 95) {
            c->state = "RSTR"; c->history = "ShADadr";
        } else if (r < 97) {
            c->state = "SH"; c->history = "ShAF";
        } else if (r < 98) {
            c->state = "S1"; c->history = "ShAD";
        } else {
            c->state = "OTH"; c->history = "Cc";
        }
    } else if (c->proto[0] == 'u') {
        if (below(100) < 85) { c->state = "SF"; c->history = "Dd"; }
        else { c->state = "S0"; c->history = "D"; }
    } else {
        c->state = "OTH"; c->history = "-";
    }

    if (c->has_duration) {
        c->dur_us = below(100) < 80 ? below(2000000) : (uint64_t)below(600000) * 1000;
        c->orig_bytes = c->resp_p == 53 ? 20 + below(40) : heavy(1200);
        c->resp_bytes = c->state[0] == 'R' && c->state[1] == 'E' ? 0
                      : c->resp_p == 53 ? 40 + below(200) : heavy(9000);
    } else {
        c->dur_us = 0;
        c->orig_bytes = c->resp_bytes = 0;
    }
    c->orig_pkts = 1 + c->orig_bytes / 1200 + below(6);
    c->resp_pkts = c->resp_bytes ? 1 + c->resp_bytes / 1400 + below(6) : 0;
    /* The originator's own NIC; everything else arrives via the gateway. */
    c->orig_mac = 0x000c29000000ull | (c->orig4 & 0xFFFFFF);
    c->resp_mac = c->local_resp ? 0x000c29000000ull | (c->resp4 & 0xFFFFFF) : 0x00005e0001feull;
    c->orig_ip = c->orig_bytes + c->orig_pkts * (c->v6 ? 60u : 40u);
    c->resp_ip = c->resp_bytes + c->resp_pkts * (c->v6 ? 60u : 40u);
}

static void put_addr(const conn *c, int orig)
{
    if (c->v6) {
        puts_("2001:db8:");
        puts_(orig ? "a:" : (c->local_resp ? "a:" : "ffff:"));
        puts_(":");
        put_hex16(orig ? c->orig6 : c->resp6);
    } else {
        put_v4(orig ? c->orig4 : c->resp4);
    }
}

static void put_mac(uint64_t m)
{
    static const char hx[] = "0123456789abcdef";
    for (int s = 40; s >= 0; s -= 8) {
        obuf[olen++] = hx[(m >> (s + 4)) & 15];
        obuf[olen++] = hx[(m >> s) & 15];
        if (s) obuf[olen++] = ':';
    }
}

static void put_tsv(const conn *c)
{
    putfix(c->ts_us, 6); obuf[olen++] = '\t';
    put(c->uid, 18); obuf[olen++] = '\t';
    put_addr(c, 1); obuf[olen++] = '\t';
    putu(c->orig_p); obuf[olen++] = '\t';
    put_addr(c, 0); obuf[olen++] = '\t';
    putu(c->resp_p); obuf[olen++] = '\t';
    puts_(c->proto); obuf[olen++] = '\t';
    puts_(c->service ? c->service : "-"); obuf[olen++] = '\t';
    if (c->has_duration) {
        putfix(c->dur_us, 6); obuf[olen++] = '\t';
        putu(c->orig_bytes); obuf[olen++] = '\t';
        putu(c->resp_bytes); obuf[olen++] = '\t';
    } else {
        puts_("-\t-\t-\t");
    }
    puts_(c->state); obuf[olen++] = '\t';
    puts_(c->local_orig ? "T\t" : "F\t");
    puts_(c->local_resp ? "T\t" : "F\t");
    putu(c->missed); obuf[olen++] = '\t';
    puts_(c->history); obuf[olen++] = '\t';
    putu(c->orig_pkts); obuf[olen++] = '\t';
    putu(c->orig_ip); obuf[olen++] = '\t';
    putu(c->resp_pkts); obuf[olen++] = '\t';
    putu(c->resp_ip); obuf[olen++] = '\t';
    puts_("(empty)\t");
    put_mac(c->orig_mac); obuf[olen++] = '\t';
    put_mac(c->resp_mac); obuf[olen++] = '\n';
}

static void put_json(const conn *c)
{
    puts_("{\"ts\":"); putfix(c->ts_us, 6);
    puts_(",\"uid\":\""); put(c->uid, 18);
    puts_("\",\"id.orig_h\":\""); put_addr(c, 1);
    puts_("\",\"id.orig_p\":"); putu(c->orig_p);
    puts_(",\"id.resp_h\":\""); put_addr(c, 0);
    puts_("\",\"id.resp_p\":"); putu(c->resp_p);
    puts_(",\"proto\":\""); puts_(c->proto); puts_("\"");
    if (c->service) { puts_(",\"service\":\""); puts_(c->service); puts_("\""); }
    if (c->has_duration) {
        puts_(",\"duration\":"); putfix(c->dur_us, 6);
        puts_(",\"orig_bytes\":"); putu(c->orig_bytes);
        puts_(",\"resp_bytes\":"); putu(c->resp_bytes);
    }
    puts_(",\"conn_state\":\""); puts_(c->state);
    puts_(c->local_orig ? "\",\"local_orig\":true" : "\",\"local_orig\":false");
    puts_(c->local_resp ? ",\"local_resp\":true" : ",\"local_resp\":false");
    puts_(",\"missed_bytes\":"); putu(c->missed);
    if (c->history[0] != '-') { puts_(",\"history\":\""); puts_(c->history); puts_("\""); }
    puts_(",\"orig_pkts\":"); putu(c->orig_pkts);
    puts_(",\"orig_ip_bytes\":"); putu(c->orig_ip);
    puts_(",\"resp_pkts\":"); putu(c->resp_pkts);
    puts_(",\"resp_ip_bytes\":"); putu(c->resp_ip);
    puts_(",\"orig_l2_addr\":\""); put_mac(c->orig_mac);
    puts_("\",\"resp_l2_addr\":\""); put_mac(c->resp_mac);
    puts_("\"}\n");
}

static void put_date(const char *fmt, uint64_t us)
{
    char tmp[64];
    time_t t = (time_t)(us / 1000000);
    struct tm tm;
    gmtime_r(&t, &tm);
    put(tmp, strftime(tmp, sizeof tmp, fmt, &tm));
}

int main(int argc, char **argv)
{
    int json = 0;
    uint64_t seed = 1, start = 1515369600; /* 2018-01-08 00:00:00 UTC */
    const char *size_arg = NULL, *path = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0) json = 1;
        else if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc) seed = strtoull(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--start") == 0 && i + 1 < argc) start = strtoull(argv[++i], NULL, 10);
        else if (!size_arg) size_arg = argv[i];
        else if (!path) path = argv[i];
        else path = NULL, size_arg = NULL, i = argc;
    }
    if (!size_arg || !path) {
        fprintf(stderr, "usage: gen_conn [--json] [--seed N] [--start EPOCH] SIZE_MB OUT\n");
        return 2;
    }
    uint64_t target = (uint64_t)(strtod(size_arg, NULL) * 1048576.0);
    out = strcmp(path, "-") == 0 ? stdout : fopen(path, "wb");
    if (!out) { perror(path); return 1; }
    rng_state = seed * 0x2545F4914F6CDD1Dull + 1;

    uint64_t clock_us = start * 1000000;
    if (!json) {
        puts_("#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n"
              "#unset_field\t-\n#path\tconn\n#open\t");
        put_date("%Y-%m-%d-%H-%M-%S", clock_us);
        puts_("\n#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\t"
              "proto\tservice\tduration\torig_bytes\tresp_bytes\tconn_state\t"
              "local_orig\tlocal_resp\tmissed_bytes\thistory\torig_pkts\t"
              "orig_ip_bytes\tresp_pkts\tresp_ip_bytes\ttunnel_parents\t"
              "orig_l2_addr\tresp_l2_addr\n"
              "#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tstring\t"
              "interval\tcount\tcount\tstring\tbool\tbool\tcount\tstring\t"
              "count\tcount\tcount\tcount\tset[string]\tstring\tstring\n");
    }
    conn c;
    uint64_t records = 0;
    while (written + olen < target) {
        make_conn(&c, &clock_us);
        if (json) put_json(&c);
        else put_tsv(&c);
        records++;
        if (olen > sizeof obuf - 4096) flush_out();
    }
    if (!json) {
        puts_("#close\t");
        put_date("%Y-%m-%d-%H-%M-%S", clock_us);
        puts_("\n");
    }
    flush_out();
    if (out != stdout && fclose(out) != 0) { perror(path); return 1; }
    fprintf(stderr, "gen_conn: %llu records, %llu bytes\n",
            (unsigned long long)records, (unsigned long long)written);
    return 0;
}
