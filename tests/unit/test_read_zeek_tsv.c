/* test_read_zeek_tsv.c -- Zeek TSV reader: real logs byte for byte, bad input. */
#include <stdlib.h>
#include <zlib.h>
#include "fixture.h"

#define HDR "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\tconn\n" \
    "#open\t2018-01-01-00-00-00\n" \
    "#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration\torig_bytes\tresp_bytes\tconn_state\tlocal_orig\tlocal_resp\tmissed_bytes\thistory\torig_pkts\torig_ip_bytes\tresp_pkts\tresp_ip_bytes\ttunnel_parents\n" \
    "#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tstring\tinterval\tcount\tcount\tstring\tbool\tbool\tcount\tstring\tcount\tcount\tcount\tcount\tset[string]\n"
#define LINE1 "1514764800.123456\tCabc1\t10.0.0.5\t51234\t185.10.2.33\t443\ttcp\tssl\t1.500000\t512\t4096\tSF\tT\tF\t0\tShADadFf\t8\t840\t7\t4500\t(empty)\n"

TEST(tsv_basic_conn_fields)
{
    const char *text = HDR LINE1 "#close\t2018-01-01-01-00-00\n";
    vigil_reader *r;
    CHECK(vigil_reader_open_mem(&r, "x.log", text, strlen(text), NULL) == VIGIL_OK);
    CHECK(vigil_reader_format(r) == VIGIL_FORMAT_ZEEK_TSV);
    const vigil_record *rec;
    rec = test_next_record(r);
    if (rec) {
        const vigil_conn *c = &rec->u.conn;
        char a[VIGIL_ADDR_STRLEN];
        CHECK(rec->type == VIGIL_LOG_CONN);
        CHECK_STR(rec->path, "conn");
        CHECK_EQ_U(rec->line, 9);
        CHECK(rec->ts == 1514764800.123456);
        CHECK_VSTR(c->id.uid, "Cabc1");
        CHECK_STR(vigil_addr_format(&c->id.orig_h, a), "10.0.0.5");
        CHECK_STR(vigil_addr_format(&c->id.resp_h, a), "185.10.2.33");
        CHECK_EQ_U(c->id.orig_p, 51234);
        CHECK_EQ_U(c->id.resp_p, 443);
        CHECK(c->proto == VIGIL_PROTO_TCP);
        CHECK_VSTR(c->service, "ssl");
        CHECK(c->duration == 1.5);
        CHECK_EQ_U(c->orig_bytes, 512);
        CHECK_EQ_U(c->resp_bytes, 4096);
        CHECK(c->conn_state == VIGIL_CS_SF);
        CHECK(c->local_orig == VIGIL_TRUE && c->local_resp == VIGIL_FALSE);
        CHECK_VSTR(c->history, "ShADadFf");
        CHECK_EQ_U(c->orig_pkts, 8);
        CHECK_EQ_U(c->orig_ip_bytes, 840);
        CHECK_EQ_U(c->resp_pkts, 7);
        CHECK_EQ_U(c->resp_ip_bytes, 4500);
        CHECK_EQ_U(c->present, 0xff);
        size_t len;
        const char *tp = vigil_reader_field(r, "tunnel_parents", &len);
        CHECK(tp && len == 7 && memcmp(tp, "(empty)", 7) == 0);
        CHECK(vigil_reader_field(r, "nope", &len) == NULL);
    }
    CHECK(vigil_reader_next(r, &rec) == VIGIL_OK && rec == NULL);
    CHECK_EQ_U(vigil_reader_counts_get(r)->records, 1);
    CHECK_EQ_U(vigil_reader_counts_get(r)->skipped, 0);
    vigil_reader_free(r);
}

TEST(tsv_unset_empty_ipv6_crlf)
{
    const char *text =
        "#separator \\x09\r\n#set_separator\t,\r\n#empty_field\t(empty)\r\n#unset_field\t-\r\n#path\tconn\r\n"
        "#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration\torig_bytes\tresp_bytes\tconn_state\thistory\r\n"
        "#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tstring\tinterval\tcount\tcount\tstring\tstring\r\n"
        "1.5\tC1\tfd2d:ab8c:225:0:81d3:fd3e:7f62:aec8\t56464\tfd2d:ab8c:225::1\t53\tudp\t-\t-\t-\t-\tS0\t(empty)\r\n";
    vigil_reader *r;
    CHECK(vigil_reader_open_mem(&r, "whatever", text, strlen(text), NULL) == VIGIL_OK);
    const vigil_record *rec;
    rec = test_next_record(r);
    if (rec) {
        const vigil_conn *c = &rec->u.conn;
        char a[VIGIL_ADDR_STRLEN];
        CHECK_STR(vigil_addr_format(&c->id.orig_h, a), "fd2d:ab8c:225:0:81d3:fd3e:7f62:aec8");
        CHECK_STR(vigil_addr_format(&c->id.resp_h, a), "fd2d:ab8c:225::1");
        CHECK(!vigil_addr_is_v4(&c->id.orig_h));
        CHECK(c->service.p == NULL && c->service.len == 0); /* unset */
        CHECK(c->history.p != NULL && c->history.len == 0); /* set, empty */
        CHECK_EQ_U(c->present, 0);
        CHECK(c->conn_state == VIGIL_CS_S0);
        CHECK(c->local_orig == VIGIL_UNSET);
        CHECK(rec->ts == 1.5);
    }
    CHECK(vigil_reader_next(r, &rec) == VIGIL_OK && rec == NULL);
    vigil_reader_free(r);
}

TEST(tsv_field_order_extra_columns_escapes)
{
    /* Columns in another order, an extra label column, an escaped tab in
     * the history field and a space separator block after it. */
    const char *text =
        "#separator \\x09\n#path\thttp\n"
        "#fields\tlabel\tid.resp_p\tid.resp_h\tuser_agent\tid.orig_p\tid.orig_h\tts\thost\n"
        "#types\tstring\tport\taddr\tstring\tport\taddr\ttime\tstring\n"
        "Malicious\t80\t1.2.3.4\tcurl\\x09x\\x5cy\t1234\t192.168.1.2\t100.25\tevil.example\n";
    vigil_reader *r;
    CHECK(vigil_reader_open_mem(&r, "h", text, strlen(text), NULL) == VIGIL_OK);
    const vigil_record *rec;
    rec = test_next_record(r);
    if (rec) {
        CHECK(rec->type == VIGIL_LOG_HTTP);
        CHECK_VSTR(rec->u.http.user_agent, "curl\tx\\y");
        CHECK_VSTR(rec->u.http.host, "evil.example");
        CHECK_EQ_U(rec->u.http.id.resp_p, 80);
        CHECK(rec->ts == 100.25);
        size_t len;
        const char *l = vigil_reader_field(r, "label", &len);
        CHECK(l && len == 9 && memcmp(l, "Malicious", 9) == 0);
    }
    vigil_reader_free(r);
}

TEST(tsv_multiple_blocks_concatenated)
{
    const char *text = HDR LINE1 "#close\t2018\n"
        "#separator \\x09\n#path\tdns\n#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tquery\tqtype_name\tanswers\n"
        "#types\ttime\tstring\taddr\tport\taddr\tport\tstring\tstring\tvector[string]\n"
        "5.0\tD1\t10.0.0.5\t5353\t10.0.0.1\t53\tevil.example\tA\t1.2.3.4,5.6.7.8\n#close\t2018\n" HDR LINE1;
    test_diags dl = { 0 };
    vigil_reader *r;
    vigil_reader_opts o = test_diag_opts(&dl);
    CHECK(vigil_reader_open_mem(&r, "mixed.log", text, strlen(text), &o) == VIGIL_OK);
    const vigil_record *rec;
    int types[4] = { 0 }, n = 0;
    while (vigil_reader_next(r, &rec) == VIGIL_OK && rec && n < 4) {
        types[n++] = rec->type;
        if (rec->type == VIGIL_LOG_DNS) {
            CHECK_VSTR(rec->u.dns.query, "evil.example");
            CHECK_VSTR(rec->u.dns.answers, "1.2.3.4,5.6.7.8");
            CHECK(rec->u.dns.set_sep == ',');
            CHECK_STR(rec->path, "dns");
        }
    }
    CHECK_EQ_U(n, 3);
    CHECK(types[0] == VIGIL_LOG_CONN && types[1] == VIGIL_LOG_DNS && types[2] == VIGIL_LOG_CONN);
    CHECK_EQ_U(dl.n, 0);
    vigil_reader_free(r);
}

TEST(tsv_bad_lines_are_skipped_counted_and_located)
{
    /* Line numbers: header is 8 lines, so data starts at line 9. */
    const char *text = HDR
        LINE1                                                        /* 9 ok */
        "1514764801.0\tC2\t10.0.0.5\t1\t1.1.1.1\n"                      /* 10 too few */
        "yesterday\tC3\t10.0.0.5\t51234\t185.10.2.33\t443\ttcp\tssl\t1.5\t512\t4096\tSF\tT\tF\t0\tS\t8\t840\t7\t4500\t(empty)\n" /* 11 ts */
        "1514764802.0\tC4\t10.0.0.999\t51234\t185.10.2.33\t443\ttcp\tssl\t1.5\t512\t4096\tSF\tT\tF\t0\tS\t8\t840\t7\t4500\t(empty)\n" /* 12 addr */
        "1514764803.0\tC5\t10.0.0.5\t70000\t185.10.2.33\t443\ttcp\tssl\t1.5\t512\t4096\tSF\tT\tF\t0\tS\t8\t840\t7\t4500\t(empty)\n" /* 13 port */
        "1514764804.0\tC6\t10.0.0.5\t5\t185.10.2.33\t443\ttcp\tssl\tlong\t512\t4096\tSF\tT\tF\t0\tS\t8\t840\t7\t4500\t(empty)\n" /* 14 number */
        LINE1                                                        /* 15 ok */
        "1514764805.0\tC7\t10.0.0.5\t5\t185.10.2.33\t443\ttcp\tssl\t1\t5\t4\tSF\tT\tF\t0\tS\t8\t840\t7\t4500\t(empty)\textra\n" /* 16 too many */
        LINE1;                                                       /* 17 ok, no final newline handled below */
    test_diags dl = { 0 };
    vigil_reader_counts c;
    unsigned long long n = test_read_mem("conn.log", text, &dl, &c);
    CHECK_EQ_U(n, 3);
    CHECK_EQ_U(c.skipped, 6);
    CHECK_EQ_U(dl.n, 6);
    vigil_skip_reason want[6] = { VIGIL_SKIP_TOO_FEW_FIELDS, VIGIL_SKIP_BAD_TIMESTAMP, VIGIL_SKIP_BAD_ADDRESS,
                                  VIGIL_SKIP_BAD_PORT, VIGIL_SKIP_BAD_NUMBER, VIGIL_SKIP_TOO_MANY_FIELDS };
    unsigned long long lines[6] = { 10, 11, 12, 13, 14, 16 };
    for (int i = 0; i < 6; i++) {
        CHECK(dl.reason[i] == want[i]);
        CHECK_EQ_U(dl.line[i], lines[i]);
    }
    CHECK_EQ_U(c.by_reason[VIGIL_SKIP_BAD_PORT], 1);
}

TEST(tsv_last_line_without_newline)
{
    char text[4096];
    snprintf(text, sizeof text, "%s%s", HDR, LINE1);
    text[strlen(text) - 1] = 0; /* drop the final newline */
    test_diags dl = { 0 };
    CHECK_EQ_U(test_read_mem("conn.log", text, &dl, NULL), 1);
    CHECK_EQ_U(dl.n, 0);
}

TEST(tsv_unknown_types_skip_the_block_only)
{
    const char *text =
        "#separator \\x09\n#path\tconn\n#fields\tts\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\n"
        "#types\ttime\tflubber\tport\taddr\tport\n"
        "1.0\t10.0.0.1\t1\t10.0.0.2\t2\n"
        "2.0\t10.0.0.1\t1\t10.0.0.2\t2\n" HDR LINE1;
    test_diags dl = { 0 };
    vigil_reader_counts c;
    CHECK_EQ_U(test_read_mem("conn.log", text, &dl, &c), 1);
    CHECK_EQ_U(c.by_reason[VIGIL_SKIP_BAD_HEADER], 2);
    CHECK_EQ_U(dl.line[0], 5);
    CHECK_EQ_U(dl.line[1], 6);
}

TEST(tsv_wrong_type_for_a_known_column)
{
    const char *text =
        "#separator \\x09\n#path\tconn\n#fields\tts\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\n"
        "#types\tstring\taddr\tport\taddr\tport\n"
        "1.0\t10.0.0.1\t1\t10.0.0.2\t2\n";
    test_diags dl = { 0 };
    vigil_reader_counts c;
    CHECK_EQ_U(test_read_mem("conn.log", text, &dl, &c), 0);
    CHECK_EQ_U(c.by_reason[VIGIL_SKIP_BAD_HEADER], 1);
}

TEST(tsv_no_header_and_unknown_log_type)
{
    test_diags dl = { 0 };
    vigil_reader_counts c;
    /* Data before #fields. */
    CHECK_EQ_U(test_read_mem("conn.log", "#separator \\x09\n1.0\t2\n", &dl, &c), 0);
    CHECK_EQ_U(c.by_reason[VIGIL_SKIP_NO_HEADER], 1);
    CHECK_EQ_U(dl.line[0], 2);
    /* No #path and a file name that names nothing. */
    test_diags d2 = { 0 };
    CHECK_EQ_U(test_read_mem("data.txt", "#separator \\x09\n#fields\tts\ta\n#types\ttime\tstring\n1.0\tx\n2.0\ty\n", &d2, &c), 0);
    CHECK_EQ_U(c.by_reason[VIGIL_SKIP_UNKNOWN_LOG_TYPE], 2);
    /* The same without #path but named conn.log reads as conn. */
    test_diags d3 = { 0 };
    CHECK_EQ_U(test_read_mem("conn.04:00:00-05:00:00.log", "#separator \\x09\n#fields\tts\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\n1.0\t10.0.0.1\t1\t10.0.0.2\t2\n", &d3, &c), 1);
    CHECK_EQ_U(d3.n, 0);
}

TEST(tsv_other_log_types_are_records_not_skips)
{
    const char *text =
        "#separator \\x09\n#path\tdhcp\n#fields\tts\tuids\tclient_addr\tmac\n"
        "#types\ttime\tset[string]\taddr\tstring\n"
        "1677024250.120199\tC1,C2\t192.168.1.107\t08:00:27:5e:9a:a6\n";
    vigil_reader *r;
    CHECK(vigil_reader_open_mem(&r, "dhcp.log.labeled", text, strlen(text), NULL) == VIGIL_OK);
    const vigil_record *rec;
    rec = test_next_record(r);
    if (rec) {
        CHECK(rec->type == VIGIL_LOG_OTHER);
        CHECK_STR(rec->path, "dhcp");
        CHECK(rec->ts == 1677024250.120199);
        size_t len;
        const char *mac = vigil_reader_field(r, "mac", &len);
        CHECK(mac && len == 17);
    }
    vigil_reader_free(r);
}

TEST(tsv_binary_garbage_lines)
{
    char text[4096];
    size_t n = (size_t)snprintf(text, sizeof text, "%s%s", HDR, LINE1);
    memcpy(text + n, "\x01\x02\x03\x7f\x00\xff\xfe\n", 8);
    n += 8;
    n += (size_t)snprintf(text + n, sizeof text - n, "%s", LINE1);
    test_diags dl = { 0 };
    vigil_reader *r;
    vigil_reader_opts o = test_diag_opts(&dl);
    CHECK(vigil_reader_open_mem(&r, "conn.log", text, n, &o) == VIGIL_OK);
    CHECK_EQ_U(test_read_all(r), 2);
    CHECK_EQ_U(dl.n, 1);
    CHECK(dl.reason[0] == VIGIL_SKIP_BINARY);
    CHECK_EQ_U(dl.line[0], 10);
    vigil_reader_free(r);
    /* A wholly binary file is not a log at all. */
    unsigned char bin[512];
    for (size_t i = 0; i < sizeof bin; i++) bin[i] = (unsigned char)(i * 37);
    CHECK(vigil_reader_open_mem(&r, "conn.log", bin, sizeof bin, NULL) == VIGIL_EFORMAT);
}

TEST(tsv_very_long_lines)
{
    /* A 3 MB user agent is read; a line over the limit is skipped and the
     * next one survives. */
    size_t big = 3u << 20;
    const char *head = "#separator \\x09\n#path\thttp\n#fields\tts\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tuser_agent\n"
                       "#types\ttime\taddr\tport\taddr\tport\tstring\n";
    const char *row = "1.0\t10.0.0.1\t1\t10.0.0.2\t80\t";
    size_t cap = strlen(head) + 2 * (strlen(row) + big + 2) + 100;
    char *text = malloc(cap);
    size_t n = 0;
    n += (size_t)sprintf(text + n, "%s%s", head, row);
    memset(text + n, 'A', big); n += big; text[n++] = '\n';
    n += (size_t)sprintf(text + n, "%sshort\n", row);
    text[n] = 0;
    vigil_reader *r;
    test_diags dl = { 0 };
    vigil_reader_opts o = test_diag_opts(&dl);
    CHECK(vigil_reader_open_mem(&r, "http.log", text, n, &o) == VIGIL_OK);
    const vigil_record *rec;
    CHECK(vigil_reader_next(r, &rec) == VIGIL_OK && rec && rec->u.http.user_agent.len == big);
    CHECK(vigil_reader_next(r, &rec) == VIGIL_OK && rec && rec->u.http.user_agent.len == 5);
    vigil_reader_free(r);
    o.max_line = 1u << 20;
    CHECK(vigil_reader_open_mem(&r, "http.log", text, n, &o) == VIGIL_OK);
    CHECK(vigil_reader_next(r, &rec) == VIGIL_OK && rec && rec->u.http.user_agent.len == 5);
    CHECK(vigil_reader_next(r, &rec) == VIGIL_OK && rec == NULL);
    CHECK_EQ_U(dl.n, 1);
    CHECK(dl.reason[0] == VIGIL_SKIP_LINE_TOO_LONG);
    CHECK_EQ_U(dl.line[0], 5);
    vigil_reader_free(r);
    free(text);
}

/* gzip-compresses text into a malloc'd buffer. */
static unsigned char *gz(const char *text, size_t n, size_t *out_len)
{
    z_stream z = { 0 };
    deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
    size_t cap = deflateBound(&z, n) + 64;
    unsigned char *o = malloc(cap);
    z.next_in = (unsigned char *)(uintptr_t)text;
    z.avail_in = (unsigned)n;
    z.next_out = o;
    z.avail_out = (unsigned)cap;
    deflate(&z, Z_FINISH);
    *out_len = z.total_out;
    deflateEnd(&z);
    return o;
}

TEST(tsv_gzip_whole_multimember_and_truncated)
{
    /* 2000 records, compressed, read from a file. */
    size_t cap = 2000 * strlen(LINE1) + strlen(HDR) + 1;
    char *text = malloc(cap);
    size_t n = (size_t)sprintf(text, "%s", HDR);
    for (int i = 0; i < 2000; i++) n += (size_t)sprintf(text + n, "%s", LINE1);
    size_t zl;
    unsigned char *z = gz(text, n, &zl);
    const char *path = test_write_file("conn.00:00:00-01:00:00.log.gz", z, zl);
    vigil_reader *r;
    test_diags dl = { 0 };
    vigil_reader_opts o = test_diag_opts(&dl);
    CHECK(vigil_reader_open(&r, path, &o) == VIGIL_OK);
    CHECK_EQ_U(test_read_all(r), 2000);
    CHECK_EQ_U(dl.n, 0);
    vigil_reader_free(r);

    /* Two members concatenated (cat a.gz b.gz). */
    unsigned char *two = malloc(2 * zl);
    memcpy(two, z, zl);
    memcpy(two + zl, z, zl);
    CHECK(vigil_reader_open_mem(&r, "conn.log.gz", two, 2 * zl, &o) == VIGIL_OK);
    CHECK_EQ_U(test_read_all(r), 4000);
    CHECK_EQ_U(dl.n, 0);
    vigil_reader_free(r);

    /* Cut at 60%: every complete line before the cut is kept, the cut is
     * reported once as truncated_gzip. */
    size_t cut = zl * 6 / 10;
    CHECK(vigil_reader_open_mem(&r, "conn.log.gz", z, cut, &o) == VIGIL_OK);
    unsigned long long recs = test_read_all(r);
    CHECK(recs > 0 && recs < 2000);
    CHECK_EQ_U(dl.n, 1);
    CHECK(dl.reason[0] == VIGIL_SKIP_TRUNCATED_GZIP);
    CHECK_EQ_U(vigil_reader_counts_get(r)->by_reason[VIGIL_SKIP_TRUNCATED_GZIP], 1);
    vigil_reader_free(r);
    free(two);
    free(z);
    free(text);
}

/* Expected counts, derived with: grep -vc '^#' FILE (every non-header line
 * is a record) -- Zeek writes nothing else. */
static const struct { const char *path; unsigned long long records; const char *log; } real_logs[] = {
    { "android-rat/conn.log", 361, "conn" },
    { "android-rat/dns.log", 1, "dns" },
    { "ctu-normal-42-day2/conn.log.labeled", 5347, "conn" },
    { "ctu-normal-42-day2/dns.log.labeled", 8, "dns" },
    { "ctu-normal-42-day2/http.log.labeled", 5, "http" },
    { "ctu-normal-42-day2/notice.log.labeled", 2, "notice" },
    { "ctu-normal-42-day2/ssl.log.labeled", 1039, "ssl" },
    { "ctu-normal-42-day2/weird.log.labeled", 298, "weird" },
    { "ctu-normal-43-day1/conn.log.labeled", 9048, "conn" },
    { "ctu-normal-43-day1/dns.log.labeled", 4, "dns" },
    { "ctu-normal-43-day1/http.log.labeled", 25, "http" },
    { "ctu-normal-43-day1/notice.log.labeled", 2, "notice" },
    { "ctu-normal-43-day1/ssl.log.labeled", 2820, "ssl" },
    { "ctu-normal-43-day1/weird.log.labeled", 43, "weird" },
    { "ctu-normal-day/conn.log.labeled", 5663, "conn" },
    { "ctu-normal-day/http.log.labeled", 342, "http" },
    { "ctu-normal-day/ssl.log.labeled", 545, "ssl" },
    { "njrat/conn.log.labeled", 992, "conn" },
    { "remcos/conn.log.labeled", 766, "conn" },
    { "remcos/dhcp.log.labeled", 1, "dhcp" },
    { "remcos/dns.log.labeled", 22, "dns" },
    { "remcos/notice.log.labeled", 2, "notice" },
    { "remcos/quic.log.labeled", 2, "quic" },
    { "remcos/ssl.log.labeled", 2, "ssl" },
    { "simda/conn.log", 992, "conn" },
    { "simda/dns.log", 992, "dns" },
    { "simda/http.log", 992, "http" },
};

TEST(tsv_real_logs_read_exactly)
{
    for (size_t i = 0; i < sizeof real_logs / sizeof real_logs[0]; i++) {
        char path[512];
        test_real_path(real_logs[i].path, path, sizeof path);
        vigil_reader *r;
        test_diags dl = { 0 };
        vigil_reader_opts o = test_diag_opts(&dl);
        if (vigil_reader_open(&r, path, &o) != VIGIL_OK) {
            fprintf(stderr, "  cannot open %s\n", path);
            vigil_test_failures++;
            continue;
        }
        const vigil_record *rec;
        unsigned long long n = 0, wrong_log = 0;
        while (vigil_reader_next(r, &rec) == VIGIL_OK && rec) {
            n++;
            if (strcmp(rec->path, real_logs[i].log) != 0) wrong_log++;
        }
        if (n != real_logs[i].records || dl.n != 0 || wrong_log) {
            fprintf(stderr, "  %s: %llu records (want %llu), %d diagnostics, %llu of wrong log\n",
                    real_logs[i].path, n, real_logs[i].records, dl.n, wrong_log);
            vigil_test_failures++;
        }
        vigil_reader_free(r);
    }
}

TEST(tsv_real_njrat_labels_and_c2_pair)
{
    /* Expected numbers from awk over the label column / the 4-tuple:
     * Background 739, Malicious 244, Benign 9 (= 992 records); the C2 pair 192.168.1.115 -> 41.108.179.197:1177 has 237 rows; 661
     * rows have an IPv6 originator. */
    char path[512];
    vigil_reader *r;
    CHECK(vigil_reader_open(&r, test_real_path("njrat/conn.log.labeled", path, sizeof path), NULL) == VIGIL_OK);
    if (!r) return;
    vigil_addr host, c2;
    vigil_addr_parse("192.168.1.115", 13, &host);
    vigil_addr_parse("41.108.179.197", 14, &c2);
    const vigil_record *rec;
    unsigned long long bg = 0, mal = 0, ben = 0, unk = 0, pair = 0, v6 = 0;
    while (vigil_reader_next(r, &rec) == VIGIL_OK && rec) {
        size_t len;
        const char *l = vigil_reader_field(r, "label", &len);
        if (!l) continue;
        if (len == 10 && !memcmp(l, "Background", 10)) bg++;
        else if (len == 9 && !memcmp(l, "Malicious", 9)) mal++;
        else if (len == 6 && !memcmp(l, "Benign", 6)) ben++;
        else if (len == 7 && !memcmp(l, "Unknown", 7)) unk++;
        const vigil_conn *c = &rec->u.conn;
        if (!memcmp(&c->id.orig_h, &host, 16) && !memcmp(&c->id.resp_h, &c2, 16) && c->id.resp_p == 1177) pair++;
        if (!vigil_addr_is_v4(&c->id.orig_h)) v6++;
    }
    CHECK_EQ_U(bg, 739);
    CHECK_EQ_U(mal, 244);
    CHECK_EQ_U(ben, 9);
    CHECK_EQ_U(unk, 0);
    CHECK_EQ_U(pair, 237);
    CHECK_EQ_U(v6, 661);
    vigil_reader_free(r);
}

TEST(tsv_every_allocation_failure_is_clean)
{
    /* Two blocks so both header paths allocate; gzip so the inflate
     * buffers allocate too. */
    char text[8192];
    snprintf(text, sizeof text, "%s%s%s#close\t1\n%s%s", HDR, LINE1, LINE1, HDR, LINE1);
    size_t zl;
    unsigned char *z = gz(text, strlen(text), &zl);
    int saw_success = 0, saw_enomem = 0;
    for (int gzip = 0; gzip < 2; gzip++) {
        for (int n = 1; n < 200; n++) {
            test_fail_alloc fa;
            vigil_allocator a = test_fail_allocator(&fa, n);
            vigil_reader_opts o = { .alloc = &a };
            vigil_reader *r = NULL;
            vigil_status st = gzip ? vigil_reader_open_mem(&r, "conn.log.gz", z, zl, &o)
                                   : vigil_reader_open_mem(&r, "conn.log", text, strlen(text), &o);
            if (st == VIGIL_ENOMEM) { saw_enomem = 1; CHECK(r == NULL); continue; }
            CHECK(st == VIGIL_OK);
            const vigil_record *rec;
            int recs = 0;
            while ((st = vigil_reader_next(r, &rec)) == VIGIL_OK && rec) recs++;
            CHECK(st == VIGIL_OK || st == VIGIL_ENOMEM);
            if (st == VIGIL_ENOMEM) saw_enomem = 1;
            vigil_reader_free(r);
            if (st == VIGIL_OK && fa.calls < n) {
                CHECK_EQ_U(recs, 3); /* no failure was injected: all read */
                saw_success = 1;
                break;
            }
        }
    }
    CHECK(saw_success && saw_enomem);
    free(z);
}

TEST(tsv_escaped_marker_is_a_value_not_unset)
{
    /* Zeek writes a real "-" or "(empty)" value escaped, so it cannot be
     * mistaken for the markers: \x2d is the string "-". */
    const char *text = "#separator \\x09\n#path\thttp\n"
        "#fields\tts\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\turi\tuser_agent\treferrer\n"
        "#types\ttime\taddr\tport\taddr\tport\tstring\tstring\tstring\n"
        "1.0\t10.0.0.1\t1\t10.0.0.2\t80\t\\x2d\t-\t\\x28empty)\n";
    vigil_reader *r;
    CHECK(vigil_reader_open_mem(&r, "http.log", text, strlen(text), NULL) == VIGIL_OK);
    const vigil_record *rec;
    rec = test_next_record(r);
    if (rec) {
        CHECK_VSTR(rec->u.http.uri, "-");
        CHECK(rec->u.http.user_agent.p == NULL);
        CHECK_VSTR(rec->u.http.referrer, "(empty)");
    }
    vigil_reader_free(r);
}

TEST(tsv_json_documents_are_not_logs_in_walks)
{
    const char *manifest = "{\"version\":1,\"seed\":1}\n";
    const char *zeek = "{\"ts\":1.0,\"id.orig_h\":\"10.0.0.1\"}\n";
    CHECK(!vigil_looks_like_log("x/manifest.json", manifest, strlen(manifest)));
    CHECK(vigil_looks_like_log("x/conn.json", zeek, strlen(zeek)));
    CHECK(!vigil_looks_like_log("README.md", "# vigil\n#fields are great\n", 26));
    CHECK(vigil_looks_like_log("conn.log", "#separator \\x09\n", 16));
}

/* The caller's projection (vigil_reader_opts.fields): listed fields and the
 * keys are read as without it; the others are left unset, on both the
 * canonical conn path and the generic one (a backslash in the line takes
 * the generic path), and vigil_reader_field still gives their raw text. */
TEST(tsv_projection_leaves_unlisted_fields_unset)
{
    static const char *const want[] = { "id.resp_p", "duration", "resp_bytes", NULL };
    const char *lines[2] = {
        LINE1,
        "1514764800.123456\tC\\x41b\t10.0.0.5\t51234\t185.10.2.33\t443\ttcp\tssl\t1.500000\t512\t4096\tSF\tT\tF\t0\tShADadFf\t8\t840\t7\t4500\t(empty)\n",
    };
    for (int k = 0; k < 2; k++) {
        char text[2048];
        snprintf(text, sizeof text, "%s%s", HDR, lines[k]);
        vigil_reader_opts o = { .fields = want };
        vigil_reader *r;
        CHECK(vigil_reader_open_mem(&r, "x.log", text, strlen(text), &o) == VIGIL_OK);
        const vigil_record *rec = test_next_record(r);
        if (rec) {
            const vigil_conn *c = &rec->u.conn;
            char a[VIGIL_ADDR_STRLEN];
            CHECK(rec->ts == 1514764800.123456);
            CHECK_STR(vigil_addr_format(&c->id.orig_h, a), "10.0.0.5");
            CHECK_STR(vigil_addr_format(&c->id.resp_h, a), "185.10.2.33");
            CHECK_EQ_U(c->id.resp_p, 443);
            CHECK(c->duration == 1.5);
            CHECK_EQ_U(c->resp_bytes, 4096);
            CHECK_EQ_U(c->present, VIGIL_CONN_HAS_DURATION | VIGIL_CONN_HAS_RESP_BYTES);
            /* Not listed: unset. */
            CHECK(c->id.uid.p == NULL && c->service.p == NULL && c->history.p == NULL);
            CHECK_EQ_U(c->id.orig_p, 0);
            CHECK(c->proto == VIGIL_PROTO_UNKNOWN);
            CHECK_EQ_U(c->orig_bytes, 0);
            CHECK_EQ_U(c->orig_pkts + c->orig_ip_bytes + c->resp_pkts + c->resp_ip_bytes, 0);
            CHECK(c->conn_state == VIGIL_CS_UNSET);
            CHECK(c->local_orig == VIGIL_UNSET && c->local_resp == VIGIL_UNSET);
            size_t len;
            const char *uid = vigil_reader_field(r, "uid", &len);
            CHECK(uid && len == (k ? 3u : 5u) && memcmp(uid, k ? "CAb" : "Cabc1", len) == 0);
        }
        vigil_reader_free(r);
    }
}

/* A bad value in a column the caller does not read costs no record; in a
 * listed column or a key it still does.  Without a projection every one of
 * these lines is skipped. */
TEST(tsv_projection_bad_value_outside_costs_no_record)
{
    const char *conn = HDR
        "1.0\tC1\t10.0.0.5\t70000\t185.10.2.33\t443\ttcp\tssl\t1.5\t512\t4096\tSF\tT\tF\t0\tS\tlots\t840\t7\t4500\t(empty)\n" /* orig_p, orig_pkts */
        "2.0\tC2\t10.0.0.5\t5\t185.10.2.33\t443\tsctp?\tssl\t1.5\t512\t4096\tSF\tT\tF\tx\tS\t8\t840\t7\t4500\t(empty)\n" /* proto, missed */
        "3.0\tC3\t10.0.0.5\t5\t185.10.2.33\t443\ttcp\tssl\tlong\t512\t4096\tSF\tT\tF\t0\tS\t8\t840\t7\t4500\t(empty)\n" /* duration: listed */
        "4.0\tC4\t10.0.0.999\t5\t185.10.2.33\t443\ttcp\tssl\t1\t512\t4096\tSF\tT\tF\t0\tS\t8\t840\t7\t4500\t(empty)\n"; /* key */
    const char *dns =
        "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\tdns\n"
        "#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\ttrans_id\trtt\tquery\tqclass\tqclass_name\tqtype\tqtype_name\trcode\trcode_name\tAA\tTC\tRD\tRA\tZ\tanswers\tTTLs\trejected\n"
        "#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tcount\tinterval\tstring\tcount\tstring\tcount\tstring\tcount\tstring\tbool\tbool\tbool\tbool\tcount\tvector[string]\tvector[interval]\tbool\n"
        "1.0\tD1\t10.0.0.1\t5353\t10.0.0.53\t53\tudp\t1\tsoon\texample.com\t1\tC_INTERNET\t1\tA\t0\tNOERROR\tF\tF\tT\tT\t0\t93.184.216.34\tforever\tmaybe\n" /* rtt, TTLs, rejected */
        "2.0\tD2\t10.0.0.1\t5353\t10.0.0.53\t53\tudp\t1\t0.1\texample.com\t1\tC_INTERNET\tA\tA\t0\tNOERROR\tF\tF\tT\tT\t0\t93.184.216.34\t60.0\tF\n"; /* qtype: listed */
    static const char *const want[] = { "duration", "query", "qtype", "rcode", "answers", NULL };
    struct { const char *name, *text; const char *const *fields; unsigned long long n, skipped; } cases[] = {
        { "conn.log", conn, want, 2, 2 },
        { "conn.log", conn, NULL, 0, 4 },
        { "dns.log", dns, want, 1, 1 },
        { "dns.log", dns, NULL, 0, 2 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        test_diags dl = { 0 };
        vigil_reader_opts o = test_diag_opts(&dl);
        o.fields = cases[i].fields;
        vigil_reader *r;
        CHECK(vigil_reader_open_mem(&r, cases[i].name, cases[i].text, strlen(cases[i].text), &o) == VIGIL_OK);
        const vigil_record *rec;
        unsigned long long n = 0;
        while (vigil_reader_next(r, &rec) == VIGIL_OK && rec) {
            n++;
            if (rec->type == VIGIL_LOG_DNS) {
                CHECK_VSTR(rec->u.dns.query, "example.com");
                CHECK(rec->u.dns.qtype == 1 && rec->u.dns.rcode == 0);
                CHECK(rec->u.dns.rtt == -1 && rec->u.dns.ttls.p == NULL);
            }
        }
        if (n != cases[i].n || vigil_reader_counts_get(r)->skipped != cases[i].skipped) {
            fprintf(stderr, "  case %zu: %llu records, %llu skipped\n", i, n,
                    (unsigned long long)vigil_reader_counts_get(r)->skipped);
            vigil_test_failures++;
        }
        CHECK_EQ_U((unsigned long long)dl.n, cases[i].skipped);
        vigil_reader_free(r);
    }
}

/* conn_early: called on the canonical conn path once ts, the addresses
 * and local_orig/local_resp are read; a record it takes (0) is counted but
 * not returned, and the columns after its keys are not checked; a record
 * it passes on is read whole as before.  A line whose keys are bad, or in
 * another column order, is read as without it (no call). */
typedef struct early_log {
    int calls;
    double ts[8];
    int8_t lo[8];
} early_log;

static int take_from_10_0_0_6(void *user, const vigil_record *rec)
{
    early_log *x = user;
    char a[VIGIL_ADDR_STRLEN];
    if (x->calls < 8) {
        x->ts[x->calls] = rec->ts;
        x->lo[x->calls] = rec->u.conn.local_orig;
    }
    x->calls++;
    return strcmp(vigil_addr_format(&rec->u.conn.id.orig_h, a), "10.0.0.6") != 0;
}

TEST(tsv_conn_early_takes_records_after_their_keys)
{
    const char *conn = HDR
        "1.0\tC1\t10.0.0.5\t5\t185.10.2.33\t443\ttcp\tssl\t1.5\t512\t4096\tSF\tT\tF\t0\tS\t8\t840\t7\t4500\t(empty)\n"  /* passed on */
        "2.0\tC2\t10.0.0.6\t5\t10.0.0.7\t445\ttcp\t-\t1.5\t512\t4096\tSF\tF\tT\t0\tS\t8\t840\t7\t4500\t(empty)\n"      /* taken */
        "3.0\tC3\t10.0.0.6\t5\t10.0.0.7\t445\ttcp\t-\tlong\t512\t4096\tSF\t-\tT\t0\tS\t8\t840\t7\t4500\t(empty)\n"     /* taken: duration unread */
        "4.0\tC4\t10.0.0.5\t5\t185.10.2.33\t443\ttcp\tssl\tlong\t512\t4096\tSF\tT\tF\t0\tS\t8\t840\t7\t4500\t(empty)\n" /* passed on: bad duration */
        "5.0\tC5\t10.0.0.6\t5\t10.0.0.7\t445\ttcp\t-\t1.5\t512\t4096\tSF\tX\tT\t0\tS\t8\t840\t7\t4500\t(empty)\n"      /* bad key: no call */
        "6.0\tC6\t10.0.0.6\t5\t10.0.0.7\t445\ttcp\t-\t1.5\t512\t4096\tRSTO\tF\tT\t0\tS\t8\t840\t7\t4500\t(empty)\n";  /* taken before its state */
    static const char *const want[] = { "duration", "conn_state", "local_orig", "local_resp", NULL };
    test_diags dl = { 0 };
    early_log x = { 0 };
    vigil_reader_opts o = test_diag_opts(&dl);
    o.fields = want;
    o.conn_early = take_from_10_0_0_6;
    o.conn_early_user = &x;
    vigil_reader *r;
    CHECK(vigil_reader_open_mem(&r, "conn.log", conn, strlen(conn), &o) == VIGIL_OK);
    const vigil_record *rec;
    double got[8];
    int n = 0;
    while (vigil_reader_next(r, &rec) == VIGIL_OK && rec) {
        if (n < 8) got[n] = rec->ts;
        n++;
        CHECK(rec->u.conn.duration == 1.5 && rec->u.conn.conn_state == VIGIL_CS_SF);
    }
    /* Returned: line 1; taken: 2, 3, 6; skipped: 4 (duration) and 5 (local_orig). */
    CHECK_EQ_U(n, 1);
    CHECK(n >= 1 && got[0] == 1.0);
    CHECK_EQ_U(vigil_reader_counts_get(r)->records, 4);
    CHECK_EQ_U(vigil_reader_counts_get(r)->skipped, 2);
    CHECK_EQ_U((unsigned long long)dl.n, 2);
    /* Called for 1, 2, 3, 4 and 6 (line 6's state, rare, would have sent
     * it to the generic parse: it was taken first), with the keys set. */
    CHECK_EQ_U(x.calls, 5);
    CHECK(x.ts[0] == 1.0 && x.ts[1] == 2.0 && x.ts[2] == 3.0 && x.ts[3] == 4.0 && x.ts[4] == 6.0);
    CHECK(x.lo[0] == VIGIL_TRUE && x.lo[1] == VIGIL_FALSE && x.lo[2] == VIGIL_UNSET);
    vigil_reader_free(r);

    /* Columns in another order (the generic parse): no call, every record
     * returned. */
    const char *other =
        "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\tconn\n"
        "#fields\tid.orig_h\tts\tid.resp_h\tduration\n#types\taddr\ttime\taddr\tinterval\n"
        "10.0.0.6\t1.0\t10.0.0.7\t1.5\n10.0.0.6\t2.0\t10.0.0.7\tlong\n";
    early_log y = { 0 };
    o.conn_early_user = &y;
    CHECK(vigil_reader_open_mem(&r, "conn.log", other, strlen(other), &o) == VIGIL_OK);
    n = 0;
    while (vigil_reader_next(r, &rec) == VIGIL_OK && rec) n++;
    CHECK_EQ_U(n, 1);
    CHECK_EQ_U(y.calls, 0);
    CHECK_EQ_U(vigil_reader_counts_get(r)->skipped, 1);
    vigil_reader_free(r);
}

/* A skipped line's detail names the bad column and quotes its text (as
 * decoded when the line holds escapes), on the path that visits only the
 * columns read and on the one that decodes every column. */
TEST(tsv_bad_field_named_in_detail)
{
    const char *dns =
        "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\tdns\n"
        "#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\ttrans_id\trtt\tquery\tqclass\tqclass_name\tqtype\tqtype_name\trcode\trcode_name\tAA\tTC\tRD\tRA\tZ\tanswers\tTTLs\trejected\n"
        "#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tcount\tinterval\tstring\tcount\tstring\tcount\tstring\tcount\tstring\tbool\tbool\tbool\tbool\tcount\tvector[string]\tvector[interval]\tbool\n"
        "1.0\tD1\t10.0.0.1\t5353\t10.0.0.53\t53\tudp\t1\tsoon\texample.com\t1\tC_INTERNET\t1\tA\t0\tNOERROR\tF\tF\tT\tT\t0\t-\t-\tF\n"
        "2.0\tD2\t10.0.0.1\t5353\t10.0.0.53\t53\tudp\t1\tso\\x6fn\texample.com\t1\tC_INTERNET\t1\tA\t0\tNOERROR\tF\tF\tT\tT\t0\t-\t-\tF\n"
        "3.0\tD3\t10.0.0.1\t5353\t10.0.0.53\t53\tudp\t1\t0.5\tex\\x61mple.com\t1\tC_INTERNET\t1\tA\t0\tNOERROR\tF\tF\tT\tT\t0\t-\t-\tF\n";
    test_diags dl = { 0 };
    vigil_reader_opts o = test_diag_opts(&dl);
    vigil_reader *r;
    CHECK(vigil_reader_open_mem(&r, "dns.log", dns, strlen(dns), &o) == VIGIL_OK);
    const vigil_record *rec = test_next_record(r);
    if (rec) {
        CHECK_VSTR(rec->u.dns.query, "example.com");
        CHECK(rec->u.dns.rtt == 0.5);
        size_t len;
        const char *uid = vigil_reader_field(r, "uid", &len);
        CHECK(uid && len == 2 && memcmp(uid, "D3", 2) == 0);
    }
    CHECK(vigil_reader_next(r, &rec) == VIGIL_OK && rec == NULL);
    CHECK_EQ_U((unsigned long long)dl.n, 2);
    CHECK(dl.reason[0] == VIGIL_SKIP_BAD_NUMBER && dl.reason[1] == VIGIL_SKIP_BAD_NUMBER);
    CHECK_STR(dl.detail[0], "field rtt: \"soon\"");
    CHECK_STR(dl.detail[1], "field rtt: \"soon\"");
    vigil_reader_free(r);
}
