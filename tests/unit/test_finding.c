/* test_finding.c -- the finding list and its sinks (finding.c, sink_jsonl.c,
 * sink_csv.c, sink_table.c), golden outputs included. */
#include <stdlib.h>
#include "test.h"
#include "agg.h"

static vigil_addr A(const char *s)
{
    vigil_addr a;
    memset(&a, 0, sizeof a);
    vigil_addr_parse(s, strlen(s), &a);
    return a;
}

static vigil_finding sample(void)
{
    vigil_finding f;
    memset(&f, 0, sizeof f);
    f.kind = VIGIL_FIND_BEACON;
    f.score = 0.94;
    f.src = A("10.10.3.7");
    f.dst = A("185.10.2.33");
    snprintf(f.dst_name, sizeof f.dst_name, "c2.example.net");
    f.dst_count = 1;
    f.dport = 443;
    f.proto = VIGIL_PROTO_TCP;
    f.first_ts = 1515400000.0;
    f.last_ts = 1516892000.5;
    f.conns = 24190;
    f.period_s = 60.2;
    f.jitter = 0.19;
    f.bytes_out = 1234;
    f.bytes_in = 5678;
    f.duration_s = 12.5;
    f.prevalence = 1;
    f.days_present = 17;
    vigil_finding_reason(&f, "regular interval (%d s, jitter %d%%)", 60, 19);
    vigil_finding_reason(&f, "only this host talks to it");
    return f;
}

/* Runs a sink into a memory buffer; returns the text (static). */
static const char *capture(int which, const vigil_finding *f)
{
    static char buf[8192];
    FILE *m = fmemopen(buf, sizeof buf - 1, "w");
    if (!m) return "";
    if (which == 0) vigil_finding_write_jsonl(m, f);
    else if (which == 1) vigil_finding_write_csv(m, f);
    else vigil_finding_write_csv_header(m);
    long n = ftell(m);
    fclose(m);
    buf[n > 0 ? n : 0] = 0;
    return buf;
}

TEST(find_kind_names_and_reasons)
{
    CHECK_STR(vigil_finding_kind_name(VIGIL_FIND_BEACON), "beacon");
    CHECK_STR(vigil_finding_kind_name(VIGIL_FIND_LONG_CONN), "long_conn");
    CHECK_STR(vigil_finding_kind_name(VIGIL_FIND_EXFIL), "exfil");
    CHECK_STR(vigil_finding_kind_name(VIGIL_FIND_RARE_DEST), "rare_dest");
    CHECK_STR(vigil_finding_kind_name(VIGIL_FIND_DNS), "dns");
    CHECK_STR(vigil_finding_kind_name(VIGIL_FIND_STROBE), "strobe");
    CHECK_STR(vigil_finding_kind_name((vigil_finding_kind)99), "unknown");
    vigil_finding f;
    memset(&f, 0, sizeof f);
    for (int i = 0; i < 12; i++) vigil_finding_reason(&f, "reason %d", i);
    CHECK_EQ_U(f.nreasons, VIGIL_FINDING_REASONS);
    CHECK_STR(f.reasons[7], "reason 7");
    char longr[400];
    memset(longr, 'x', sizeof longr - 1);
    longr[sizeof longr - 1] = 0;
    memset(&f, 0, sizeof f);
    vigil_finding_reason(&f, "%s", longr);
    CHECK_EQ_U(strlen(f.reasons[0]), VIGIL_FINDING_REASON_LEN - 1);
}

TEST(find_push_sort_free)
{
    vigil_findings fs = { 0 };
    vigil_finding f = sample();
    double scores[] = { 0.2, 0.9, 0.5, 0.9, 0.7 };
    for (int i = 0; i < 5; i++) {
        f.score = scores[i];
        f.kind = i == 3 ? VIGIL_FIND_STROBE : VIGIL_FIND_BEACON;
        CHECK(vigil_findings_push(&fs, &f) == VIGIL_OK);
    }
    CHECK(vigil_findings_push(NULL, &f) == VIGIL_EINVAL);
    vigil_findings_sort(&fs);
    CHECK_EQ_U(fs.n, 5);
    CHECK(fs.v[0].score == 0.9 && fs.v[0].kind == VIGIL_FIND_BEACON);
    CHECK(fs.v[1].score == 0.9 && fs.v[1].kind == VIGIL_FIND_STROBE);
    for (size_t i = 1; i < fs.n; i++) CHECK(fs.v[i - 1].score >= fs.v[i].score);
    vigil_findings_free(&fs);
    CHECK(fs.v == NULL && fs.n == 0);
    vigil_findings_free(&fs);
    vigil_findings_free(NULL);
}

TEST(find_jsonl_golden)
{
    vigil_finding f = sample();
    CHECK_STR(capture(0, &f),
              "{\"kind\":\"beacon\",\"src\":\"10.10.3.7\",\"dst\":\"185.10.2.33\",\"dport\":443,"
              "\"proto\":\"tcp\",\"score\":0.940,\"first_ts\":1515400000.000000,"
              "\"last_ts\":1516892000.500000,\"conns\":24190,\"period_s\":60.200,"
              "\"reasons\":[\"regular interval (60 s, jitter 19%)\",\"only this host talks to it\"],"
              "\"dst_name\":\"c2.example.net\",\"dst_count\":1,\"jitter\":0.190,\"bytes_out\":1234,"
              "\"bytes_in\":5678,\"duration_s\":12.500,\"prevalence\":1,\"days_present\":17,"
              "\"dst_country\":null,\"dst_asn\":null,\"dst_org\":null,\"dst_names\":[],"
              "\"prevalence_hist\":null,\"first_seen\":null,\"status\":null}\n");
    /* A host finding: no dst, no name; non-finite numbers are null. */
    vigil_finding h;
    memset(&h, 0, sizeof h);
    h.kind = VIGIL_FIND_EXFIL;
    h.src = A("fd00::1");
    h.score = 0.5;
    h.period_s = 1.0 / 0.0;
    CHECK_STR(capture(0, &h),
              "{\"kind\":\"exfil\",\"src\":\"fd00::1\",\"dst\":null,\"dport\":0,\"proto\":\"unknown_transport\","
              "\"score\":0.500,\"first_ts\":0.000000,\"last_ts\":0.000000,\"conns\":0,\"period_s\":null,"
              "\"reasons\":[],\"dst_name\":null,\"dst_count\":0,\"jitter\":0.000,\"bytes_out\":0,"
              "\"bytes_in\":0,\"duration_s\":0.000,\"prevalence\":0,\"days_present\":0,"
              "\"dst_country\":null,\"dst_asn\":null,\"dst_org\":null,\"dst_names\":[],"
              "\"prevalence_hist\":null,\"first_seen\":null,\"status\":null}\n");
}

TEST(find_jsonl_escaping)
{
    vigil_finding f;
    memset(&f, 0, sizeof f);
    f.kind = VIGIL_FIND_DNS;
    /* Quotes, backslash, control bytes, valid UTF-8, an invalid byte, an
     * overlong sequence. */
    snprintf(f.dst_name, sizeof f.dst_name, "a\"b\\c\td\ne\x01" "f\xc3\xa9g\xffh\xc0\xafi");
    vigil_finding_reason(&f, "say \"%s\"", "hi\\");
    const char *j = capture(0, &f);
    CHECK(strstr(j, "\"dst_name\":\"a\\\"b\\\\c\\td\\ne\\u0001f\xc3\xa9g\\ufffdh\\ufffd\\ufffdi\"") != NULL);
    CHECK(strstr(j, "\"reasons\":[\"say \\\"hi\\\\\\\"\"]") != NULL);
    /* One line, ending in a newline. */
    CHECK(strchr(j, '\n') == j + strlen(j) - 1);
}

TEST(find_csv_golden_and_quoting)
{
    CHECK_STR(capture(2, NULL),
              "kind,score,src,dst,dport,proto,dst_name,dst_count,first_ts,last_ts,conns,period_s,"
              "jitter,bytes_out,bytes_in,duration_s,prevalence,days_present,reasons,"
              "dst_country,dst_asn,dst_org,dst_names,prevalence_hist,first_seen,status\n");
    vigil_finding f = sample();
    CHECK_STR(capture(1, &f),
              "beacon,0.940,10.10.3.7,185.10.2.33,443,tcp,c2.example.net,1,1515400000.000000,"
              "1516892000.500000,24190,60.200,0.190,1234,5678,12.500,1,17,"
              "\"regular interval (60 s, jitter 19%); only this host talks to it\",,,,,,,\n");
    vigil_finding g;
    memset(&g, 0, sizeof g);
    g.kind = VIGIL_FIND_STROBE;
    snprintf(g.dst_name, sizeof g.dst_name, "say \"x\"");
    vigil_finding_reason(&g, "plain");
    vigil_finding_reason(&g, "two\nlines");
    CHECK_STR(capture(1, &g),
              "strobe,0.000,,,0,unknown_transport,\"say \"\"x\"\"\",0,0.000000,0.000000,0,0.000,0.000,"
              "0,0,0.000,0,0,\"plain; two\nlines\",,,,,,,\n");
    vigil_finding h;
    memset(&h, 0, sizeof h);
    vigil_finding_reason(&h, "no special characters");
    const char *c = capture(1, &h);
    CHECK(strstr(c, ",no special characters,,,,,,,\n") != NULL);
}

/* Writes fs as a table into a static buffer. */
static const char *table(const vigil_findings *fs, size_t top, int verbose)
{
    static char buf[16384];
    FILE *m = fmemopen(buf, sizeof buf - 1, "w");
    CHECK(m != NULL);
    if (!m) return "";
    CHECK(vigil_findings_write_table(m, fs, top, verbose) == VIGIL_OK);
    long n = ftell(m);
    fclose(m);
    buf[n > 0 ? n : 0] = 0;
    return buf;
}

/* Lines in s; checks that none is wider than 120 columns (a UTF-8
 * character is one column). */
static int lines_within_120(const char *s)
{
    int lines = 0;
    for (const char *p = s, *e; *p; p = e + 1) {
        e = strchr(p, '\n');
        if (!e) break;
        size_t cols = 0;
        for (const char *q = p; q < e; q++) cols += ((unsigned char)*q & 0xc0) != 0x80;
        if (cols > 120) fprintf(stderr, "  %zu columns: %.*s\n", cols, (int)(e - p), p);
        CHECK(cols <= 120);
        lines++;
    }
    return lines;
}

/* sample() with everything issue 6 adds. */
static vigil_finding sample_intel(void)
{
    vigil_finding f = sample();
    snprintf(f.dst_country, sizeof f.dst_country, "US");
    f.dst_asn = 15169;
    snprintf(f.dst_org, sizeof f.dst_org, "Google, \"LLC\" \xc3\xa9");
    f.ndst_names = 3;
    snprintf(f.dst_names[0], sizeof f.dst_names[0], "c2.example.net");
    snprintf(f.dst_names[1], sizeof f.dst_names[1], "cdn.example.net");
    snprintf(f.dst_names[2], sizeof f.dst_names[2], "x\"y");
    f.prevalence_hist = 12;
    f.dst_first_seen = 1515300000.25;
    f.status = VIGIL_FINDING_ONGOING;
    return f;
}

TEST(find_table_fits_120)
{
    vigil_findings fs = { 0 };
    vigil_finding f = sample();
    vigil_finding_reason(&f, "a third reason that is rather long, longer than the column it gets in the table");
    CHECK(vigil_findings_push(&fs, &f) == VIGIL_OK);
    f.dst = A("2001:db8:1234:5678:9abc:def0:1234:5678");
    f.src = A("fd00:1234:5678:9abc:def0:1234:5678:9abc");
    f.dst_count = 7;
    f.period_s = 7200;
    f.conns = 123456789012ULL;
    snprintf(f.dst_name, sizeof f.dst_name, "a-very-long-host-name.under.a-long-domain.example.com");
    CHECK(vigil_findings_push(&fs, &f) == VIGIL_OK);
    vigil_finding h;
    memset(&h, 0, sizeof h);
    h.kind = VIGIL_FIND_EXFIL;
    h.src = A("10.0.0.1");
    CHECK(vigil_findings_push(&fs, &h) == VIGIL_OK);
    const char *buf = table(&fs, 0, 1);
    /* header, rows, reasons (3 + 3 + 0), the cut addresses in full (2);
     * nothing else known: no details line */
    CHECK_EQ_U(lines_within_120(buf), 1 + 3 + 3 + 3 + 2);
    CHECK(strstr(buf, "\n      full src: fd00:1234:5678:9abc:def0:1234:5678:9abc\n") != NULL);
    CHECK(strstr(buf, "\n      full destination: [2001:db8:1234:5678:9abc:def0:1234:5678](+6):443/tcp\n") != NULL);
    /* Addresses that fit get no such line. */
    CHECK(strstr(buf, "full src: 10.") == NULL && strstr(buf, "full destination: 185.") == NULL);
    CHECK(strstr(buf, "  # score kind      src             destination              cc AS org        name"
                      "                   conns  period prev\n") == buf);
    CHECK(strstr(buf, "\n  1 0.940 beacon    10.10.3.7       185.10.2.33:443/tcp      -  -             "
                      "c2.example.net         24190   60.2s    1\n") != NULL);
    CHECK(strstr(buf, " [2001:db8:1234:5678:9ab~ -  -             a-very-long-host-na~  123.5G    2.0h    1\n") != NULL);
    CHECK(strstr(buf, "    - only this host talks to it\n") != NULL);
    CHECK(strstr(buf, "    - a third reason that is rather long, longer than the column it gets in the table\n") != NULL);
    /* Not verbose: the first reason only; top: the first rows only. */
    buf = table(&fs, 1, 0);
    CHECK_EQ_U(lines_within_120(buf), 3);
    CHECK(strstr(buf, "    - regular interval (60 s, jitter 19%)\n") != NULL);
    buf = table(&fs, 0, 0);
    CHECK_EQ_U(lines_within_120(buf), 1 + 2 + 2 + 1 + 2);
    vigil_findings_free(&fs);
}

TEST(find_table_destination_intel)
{
    vigil_findings fs = { 0 };
    vigil_finding f = sample_intel();
    f.dst_name[0] = 0; /* the best name is then the most used one seen */
    CHECK(vigil_findings_push(&fs, &f) == VIGIL_OK);
    fs.v[0].ndst_names = 2;
    f = fs.v[0];
    f.prevalence_hist = 1234567;
    snprintf(f.dst_org, sizeof f.dst_org, "%s", "Org \xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
             "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
             "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9");
    CHECK(vigil_findings_push(&fs, &f) == VIGIL_OK); /* a details line cut inside UTF-8 text */
    /* An organisation cut inside UTF-8 text: by characters, never bytes. */
    f = sample_intel();
    snprintf(f.dst_org, sizeof f.dst_org, "T\xc3\xa9l\xc3\xa9" "com Alg\xc3\xa9rie SA");
    snprintf(f.dst_country, sizeof f.dst_country, "DZ");
    f.status = VIGIL_FINDING_NEW;
    f.ndst_names = 0;
    f.prevalence_hist = 0;
    f.dst_first_seen = 0;
    CHECK(vigil_findings_push(&fs, &f) == VIGIL_OK);
    /* An AS number without an organisation. */
    f = sample();
    f.dst_asn = 64500;
    CHECK(vigil_findings_push(&fs, &f) == VIGIL_OK);
    const char *buf = table(&fs, 0, 1);
    CHECK_EQ_U(lines_within_120(buf), 1 + 4 * 3 + 4);
    CHECK(strstr(buf, "185.10.2.33:443/tcp      US Google, \"LLC~ c2.example.net         24190   60.2s    1\n") != NULL);
    CHECK(strstr(buf, "\n      also named cdn.example.net; AS15169 Google, \"LLC\" \xc3\xa9; "
                      "first seen 2018-01-07 04:40 UTC; 12 hosts in history; ongoing\n") != NULL);
    CHECK(strstr(buf, "\xc3\xa9\xc3\xa9; first seen 2018-01-07 04:40 UTC; 123456~\n") != NULL);
    CHECK(strstr(buf, " DZ T\xc3\xa9l\xc3\xa9" "com Alg\xc3\xa9~ c2.example.net ") != NULL);
    CHECK(strstr(buf, "\n      AS15169 T\xc3\xa9l\xc3\xa9" "com Alg\xc3\xa9rie SA; new\n") != NULL);
    CHECK(strstr(buf, " -  AS64500       c2.example.net ") != NULL);
    CHECK(strstr(buf, "\n      AS64500\n") != NULL);
    /* Not verbose: no details line. */
    buf = table(&fs, 0, 0);
    CHECK_EQ_U(lines_within_120(buf), 1 + 4 * 2);
    CHECK(strstr(buf, "also named") == NULL);
    vigil_findings_free(&fs);
}

TEST(find_jsonl_destination_intel)
{
    vigil_finding f = sample_intel();
    const char *j = capture(0, &f);
    CHECK(strstr(j, ",\"prevalence\":1,\"days_present\":17,\"dst_country\":\"US\",\"dst_asn\":15169,"
                    "\"dst_org\":\"Google, \\\"LLC\\\" \xc3\xa9\","
                    "\"dst_names\":[\"c2.example.net\",\"cdn.example.net\",\"x\\\"y\"],"
                    "\"prevalence_hist\":12,\"first_seen\":1515300000.250000,\"status\":\"ongoing\"}\n") != NULL);
    f.status = VIGIL_FINDING_NEW;
    f.ndst_names = 1;
    j = capture(0, &f);
    CHECK(strstr(j, "\"dst_names\":[\"c2.example.net\"],") != NULL);
    CHECK(strstr(j, "\"status\":\"new\"}\n") != NULL);
    /* A count past the array is clamped; non-finite first_seen is null. */
    f.ndst_names = 99;
    f.dst_first_seen = 1.0 / 0.0;
    j = capture(0, &f);
    CHECK(strstr(j, "\"dst_names\":[\"c2.example.net\",\"cdn.example.net\",\"x\\\"y\"],") != NULL);
    CHECK(strstr(j, "\"first_seen\":null,") != NULL);
}

TEST(find_csv_destination_intel)
{
    vigil_finding f = sample_intel();
    const char *c = capture(1, &f);
    CHECK(strstr(c, "\"regular interval (60 s, jitter 19%); only this host talks to it\","
                    "US,15169,\"Google, \"\"LLC\"\" \xc3\xa9\",\"c2.example.net;cdn.example.net;x\"\"y\","
                    "12,1515300000.250000,ongoing\n") != NULL);
    f.ndst_names = 2;
    f.status = VIGIL_FINDING_NEW;
    snprintf(f.dst_org, sizeof f.dst_org, "Plain Org");
    c = capture(1, &f);
    CHECK(strstr(c, ",US,15169,Plain Org,c2.example.net;cdn.example.net,12,1515300000.250000,new\n") != NULL);
    /* The header has as many columns as a row. */
    const char *hd = capture(2, NULL);
    int hc = 0, rc = 0;
    for (const char *p = hd; *p; p++) hc += *p == ',';
    vigil_finding g = sample();
    c = capture(1, &g);
    for (const char *p = c; *p; p++) rc += *p == ',';
    CHECK_EQ_U(hc, 25);
    CHECK_EQ_U(rc, 25 + 1); /* the reasons field holds a comma */
}

/* Builds a finding for the de-duplication tests. */
static vigil_finding mk(vigil_finding_kind k, double score, const char *dst, unsigned count, const char *name)
{
    vigil_finding f;
    memset(&f, 0, sizeof f);
    f.kind = k;
    f.score = score;
    f.src = A("10.0.0.5");
    f.dst = A(dst);
    f.dport = 443;
    f.proto = VIGIL_PROTO_TCP;
    f.dst_count = count;
    snprintf(f.dst_name, sizeof f.dst_name, "%s", name);
    return f;
}

TEST(find_dedup_rules)
{
    vigil_findings fs = { 0 };
    /* 0-2: a group (0.8) and two members (0.6, 0.7): keep the group. */
    vigil_finding a[] = {
        mk(VIGIL_FIND_BEACON, 0.8, "203.0.113.1", 3, "c2.example.net"),
        mk(VIGIL_FIND_BEACON, 0.6, "203.0.113.1", 1, "c2.example.net"),
        mk(VIGIL_FIND_BEACON, 0.7, "203.0.113.2", 1, "c2.example.net"),
        /* 3-4: a group weaker than a member: keep the member. */
        mk(VIGIL_FIND_RARE_DEST, 0.5, "203.0.113.1", 3, "c2.example.net"),
        mk(VIGIL_FIND_RARE_DEST, 0.9, "203.0.113.2", 1, "c2.example.net"),
        /* 5-6: beacon + strong strobe on one pair: keep the strobe. */
        mk(VIGIL_FIND_BEACON, 0.9, "66.63.168.35", 1, ""),
        mk(VIGIL_FIND_STROBE, 0.6, "66.63.168.35", 1, ""),
        /* 7-8: beacon + weak strobe: keep both. */
        mk(VIGIL_FIND_BEACON, 0.9, "66.63.168.36", 1, ""),
        mk(VIGIL_FIND_STROBE, 0.3, "66.63.168.36", 1, ""),
        /* 9: a member of another kind than the group: kept. */
        mk(VIGIL_FIND_LONG_CONN, 0.7, "203.0.113.2", 1, "c2.example.net"),
    };
    for (size_t i = 0; i < sizeof a / sizeof a[0]; i++) CHECK(vigil_findings_push(&fs, &a[i]) == VIGIL_OK);
    unsigned char drop[10] = { 0 };
    CHECK(vigil__findings_dedup(&fs, drop, vigil_allocator_default()) == VIGIL_OK);
    unsigned char want[10] = { 0, 1, 1, 1, 0, 1, 0, 0, 0, 0 };
    for (int i = 0; i < 10; i++) {
        if (drop[i] != want[i]) {
            fprintf(stderr, "  finding %d: drop %d, expected %d\n", i, drop[i], want[i]);
            vigil_test_failures++;
        }
    }
    vigil_findings_free(&fs);
}
