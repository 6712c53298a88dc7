/* test_read_zeek_json.c -- Zeek JSON logs: fields, types, skips, field(). */
#include "fixture.h"

TEST(zjson_basic)
{
    const char *text =
        "{\"ts\":1516892000.123456,\"uid\":\"CAbc1\",\"id.orig_h\":\"10.0.0.5\",\"id.orig_p\":49152,"
        "\"id.resp_h\":\"2001:db8::1\",\"id.resp_p\":443,\"proto\":\"tcp\",\"service\":\"ssl\","
        "\"duration\":1.5,\"orig_bytes\":100,\"resp_bytes\":2000,\"conn_state\":\"SF\","
        "\"local_orig\":true,\"local_resp\":false,\"missed_bytes\":0,\"history\":\"ShADadFf\","
        "\"orig_pkts\":10,\"orig_ip_bytes\":600,\"resp_pkts\":12,\"resp_ip_bytes\":2600,"
        "\"tunnel_parents\":[],\"label\":\"Benign\"}\n";
    vigil_reader *r = test_open_mem("conn.json", text, NULL);
    CHECK(r != NULL);
    if (!r) return;
    CHECK(vigil_reader_format(r) == VIGIL_FORMAT_ZEEK_JSON);
    const vigil_record *rec;
    rec = test_next_record(r);
    if (rec) {
        CHECK(rec->type == VIGIL_LOG_CONN);
        CHECK_STR(rec->path, "conn");
        CHECK_EQ_U(rec->line, 1);
        CHECK(rec->ts == 1516892000.123456);
        const vigil_conn *c = &rec->u.conn;
        CHECK_VSTR(c->id.uid, "CAbc1");
        char buf[VIGIL_ADDR_STRLEN];
        CHECK_STR(vigil_addr_format(&c->id.orig_h, buf), "10.0.0.5");
        CHECK_STR(vigil_addr_format(&c->id.resp_h, buf), "2001:db8::1");
        CHECK_EQ_U(c->id.orig_p, 49152);
        CHECK_EQ_U(c->id.resp_p, 443);
        CHECK(c->proto == VIGIL_PROTO_TCP);
        CHECK_VSTR(c->service, "ssl");
        CHECK(c->duration == 1.5);
        CHECK_EQ_U(c->orig_bytes, 100);
        CHECK_EQ_U(c->resp_bytes, 2000);
        CHECK_EQ_U(c->resp_ip_bytes, 2600);
        CHECK(c->conn_state == VIGIL_CS_SF);
        CHECK(c->local_orig == VIGIL_TRUE && c->local_resp == VIGIL_FALSE);
        CHECK_VSTR(c->history, "ShADadFf");
        CHECK_EQ_U(c->present, 0xffu);
        size_t n = 0;
        const char *v = vigil_reader_field(r, "label", &n);
        CHECK(v && n == 6 && memcmp(v, "Benign", 6) == 0);
        v = vigil_reader_field(r, "tunnel_parents", &n);
        CHECK(v && n == 0);
        CHECK(vigil_reader_field(r, "nope", &n) == NULL);
    }
    CHECK(vigil_reader_next(r, &rec) == VIGIL_OK && rec == NULL);
    CHECK(vigil_reader_field(r, "label", NULL) == NULL);
    CHECK_EQ_U(vigil_reader_counts_get(r)->records, 1);
    CHECK_EQ_U(vigil_reader_counts_get(r)->skipped, 0);
    vigil_reader_free(r);
}

TEST(zjson_nested_id_and_iso_ts)
{
    const char *text =
        "{\"ts\":\"2018-01-25T15:33:20.250000+09:00\",\"uid\":\"C1\","
        "\"id\":{\"orig_h\":\"192.168.1.2\",\"orig_p\":5353,\"resp_h\":\"8.8.8.8\",\"resp_p\":53},"
        "\"proto\":\"udp\",\"duration\":null,\"orig_bytes\":null}\n"
        "{\"ts\":\"2018-01-25T06:33:20Z\",\"id\":{\"orig_h\":\"192.168.1.2\",\"resp_h\":\"8.8.8.8\"}}\n";
    vigil_reader *r = test_open_mem("conn.04:00:00-05:00:00.log", text, NULL);
    CHECK(r != NULL);
    if (!r) return;
    const vigil_record *rec;
    rec = test_next_record(r);
    if (rec) {
        /* 15:33:20.25 at +09:00 is 06:33:20.25 UTC. */
        CHECK(rec->ts == 1516862000.25);
        CHECK_EQ_U(rec->u.conn.id.orig_p, 5353);
        CHECK_EQ_U(rec->u.conn.id.resp_p, 53);
        CHECK(rec->u.conn.proto == VIGIL_PROTO_UDP);
        CHECK_EQ_U(rec->u.conn.present, 0); /* null = unset */
        size_t n;
        const char *v = vigil_reader_field(r, "id.resp_h", &n);
        CHECK(v && n == 7 && memcmp(v, "8.8.8.8", 7) == 0);
        CHECK(vigil_reader_field(r, "duration", &n) == NULL);
    }
    rec = test_next_record(r);
    if (rec) CHECK(rec->ts == 1516862000.0);
    vigil_reader_free(r);
}

TEST(zjson_path_dns_lists)
{
    const char *text =
        "{\"_path\":\"dns\",\"ts\":1596790164.509987,\"uid\":\"Cr01\",\"id.orig_h\":\"10.8.0.61\","
        "\"id.orig_p\":35740,\"id.resp_h\":\"8.8.8.8\",\"id.resp_p\":53,\"proto\":\"udp\","
        "\"trans_id\":1242,\"rtt\":0.017912,\"query\":\"a.example\\u002ecom\",\"qtype\":1,"
        "\"qtype_name\":\"A\",\"rcode\":0,\"rcode_name\":\"NOERROR\",\"AA\":false,"
        "\"answers\":[\"172.217.23.202\",\"b,c\"],\"TTLs\":[299.0,60],\"rejected\":false}\n"
        "{\"_path\":\"dns\",\"ts\":1.0,\"id.orig_h\":\"10.8.0.61\",\"id.resp_h\":\"8.8.8.8\","
        "\"query\":\"\",\"answers\":[],\"rcode\":null}\n";
    vigil_reader *r = test_open_mem("mem", text, NULL);
    CHECK(r != NULL);
    if (!r) return;
    const vigil_record *rec;
    rec = test_next_record(r);
    if (rec) {
        CHECK(rec->type == VIGIL_LOG_DNS);
        CHECK_STR(rec->path, "dns");
        const vigil_dns *d = &rec->u.dns;
        CHECK(d->proto == VIGIL_PROTO_UDP);
        CHECK(d->trans_id == 1242);
        CHECK(d->rtt == 0.017912);
        CHECK_VSTR(d->query, "a.example.com");
        CHECK_EQ_U(d->qtype, 1);
        CHECK_VSTR(d->qtype_name, "A");
        CHECK(d->rcode == 0);
        CHECK_VSTR(d->rcode_name, "NOERROR");
        CHECK_VSTR(d->answers, "172.217.23.202,b,c");
        CHECK_VSTR(d->ttls, "299.000000,60.000000"); /* as Zeek's TSV writes */
        CHECK(d->rejected == VIGIL_FALSE);
        CHECK(d->set_sep == ',');
    }
    rec = test_next_record(r);
    if (rec) {
        const vigil_dns *d = &rec->u.dns;
        CHECK(d->query.p != NULL && d->query.len == 0);     /* "" = set, empty */
        CHECK(d->answers.p != NULL && d->answers.len == 0); /* [] = set, empty */
        CHECK(d->ttls.p == NULL);                           /* absent = unset */
        CHECK(d->rcode == -1 && d->trans_id == -1 && d->rtt == -1);
    }
    vigil_reader_free(r);
}

TEST(zjson_ssl_http_other)
{
    const char *text =
        "{\"_path\":\"ssl\",\"ts\":2,\"id.orig_h\":\"10.0.0.1\",\"id.resp_h\":\"1.2.3.4\","
        "\"version\":\"TLSv12\",\"server_name\":\"evil.example\",\"established\":true,"
        "\"ja3\":\"abc\"}\n"
        "{\"_path\":\"http\",\"ts\":3,\"id.orig_h\":\"10.0.0.1\",\"id.resp_h\":\"1.2.3.4\","
        "\"method\":\"GET\",\"host\":\"h\",\"uri\":\"/a?b\",\"status_code\":200,"
        "\"response_body_len\":47,\"resp_mime_types\":[\"text/html\",\"image/png\"],"
        "\"user_agent\":\"curl/8\"}\n"
        "{\"_path\":\"dhcp\",\"ts\":4,\"uids\":[\"C1\",\"C2\"],\"id.orig_h\":\"10.0.0.9\","
        "\"mac\":\"00:11:22:33:44:55\"}\n"
        "{\"_path\":\"notice\",\"ts\":5,\"note\":\"Scan::Port_Scan\"}\n";
    vigil_reader *r = test_open_mem("mixed.log", text, NULL);
    CHECK(r != NULL);
    if (!r) return;
    const vigil_record *rec;
    rec = test_next_record(r);
    if (rec) {
        CHECK(rec->type == VIGIL_LOG_SSL);
        CHECK_VSTR(rec->u.ssl.version, "TLSv12");
        CHECK_VSTR(rec->u.ssl.server_name, "evil.example");
        CHECK(rec->u.ssl.established == VIGIL_TRUE);
        CHECK(rec->u.ssl.resumed == VIGIL_UNSET);
        CHECK_VSTR(rec->u.ssl.ja3, "abc");
    }
    rec = test_next_record(r);
    if (rec) {
        CHECK(rec->type == VIGIL_LOG_HTTP);
        CHECK_VSTR(rec->u.http.method, "GET");
        CHECK_VSTR(rec->u.http.uri, "/a?b");
        CHECK(rec->u.http.status_code == 200);
        CHECK_EQ_U(rec->u.http.response_body_len, 47);
        CHECK_VSTR(rec->u.http.resp_mime_types, "text/html,image/png");
        CHECK_VSTR(rec->u.http.user_agent, "curl/8");
    }
    rec = test_next_record(r);
    if (rec) {
        CHECK(rec->type == VIGIL_LOG_OTHER);
        CHECK_STR(rec->path, "dhcp");
        CHECK(rec->ts == 4);
        char buf[VIGIL_ADDR_STRLEN];
        CHECK_STR(vigil_addr_format(&rec->u.conn.id.orig_h, buf), "10.0.0.9");
        size_t n;
        const char *v = vigil_reader_field(r, "uids", &n);
        CHECK(v && n == 5 && memcmp(v, "C1,C2", 5) == 0);
        v = vigil_reader_field(r, "mac", &n);
        CHECK(v && n == 17);
    }
    rec = test_next_record(r);
    if (rec) {
        CHECK(rec->type == VIGIL_LOG_OTHER);
        CHECK_STR(rec->path, "notice");
    }
    CHECK(vigil_reader_next(r, &rec) == VIGIL_OK && rec == NULL);
    CHECK_EQ_U(vigil_reader_counts_get(r)->skipped, 0);
    vigil_reader_free(r);
}

TEST(zjson_skip_reasons)
{
    const char *good = "{\"ts\":1,\"id.orig_h\":\"10.0.0.1\",\"id.resp_h\":\"10.0.0.2\"}";
    char text[2048];
    int n = snprintf(text, sizeof text,
        "%s\n"                                                            /* 1 ok */
        "{\"ts\":1,\"id.orig_h\":\"10.0.0.1\"\n"                          /* 2 bad json */
        "{\"ts\":1,\"x\":\"a\xff\"}\n"                                   /* 3 bad utf-8 */
        "{\"ts\":1,\"id.orig_h\":\"10.0.0.1\",\"id.resp_h\":\"10.0.0.2\"} x\n" /* 4 trailing */
        "\n   \r\n"                                                       /* 5, 6 blank */
        "{\"id.orig_h\":\"10.0.0.1\",\"id.resp_h\":\"10.0.0.2\"}\n"       /* 7 no ts */
        "{\"ts\":\"yesterday\",\"id.orig_h\":\"10.0.0.1\",\"id.resp_h\":\"10.0.0.2\"}\n" /* 8 */
        "{\"ts\":null,\"id.orig_h\":\"10.0.0.1\",\"id.resp_h\":\"10.0.0.2\"}\n"        /* 9 */
        "{\"ts\":1,\"id.resp_h\":\"10.0.0.2\"}\n"                          /* 10 no orig */
        "{\"ts\":1,\"id.orig_h\":\"10.0.0.1\",\"id.resp_h\":null}\n"       /* 11 null resp */
        "{\"ts\":1,\"id.orig_h\":\"10.0.0.999\",\"id.resp_h\":\"10.0.0.2\"}\n" /* 12 */
        "{\"ts\":1,\"id.orig_h\":\"10.0.0.1\",\"id.resp_h\":\"10.0.0.2\",\"id.orig_p\":70000}\n"
        "{\"ts\":1,\"id.orig_h\":\"10.0.0.1\",\"id.resp_h\":\"10.0.0.2\",\"orig_bytes\":\"x\"}\n"
        "{\"_path\":\"a b\",\"ts\":1}\n"                                   /* 15 bad _path */
        "%s\n",                                                           /* 16 ok */
        good, good);
    /* Line 17: NUL bytes inside an otherwise good line. */
    memcpy(text + n, "{\"ts\":1,\0\"a\":1}\n", 16);
    n += 16;
    text[n] = 0;
    test_diags z;
    vigil_reader_opts o = test_diag_opts(&z);
    vigil_reader *r = NULL;
    CHECK(vigil_reader_open_mem(&r, "conn.log", text, (size_t)n, &o) == VIGIL_OK);
    if (!r) return;
    const vigil_record *rec;
    int records = 0;
    uint64_t lines[4];
    while (vigil_reader_next(r, &rec) == VIGIL_OK && rec) lines[records++ & 3] = rec->line;
    CHECK_EQ_U(records, 2);
    CHECK_EQ_U(lines[0], 1);
    CHECK_EQ_U(lines[1], 16);
    static const test_skip want[] = {
        { VIGIL_SKIP_BAD_JSON, 2 }, { VIGIL_SKIP_BAD_JSON, 3 }, { VIGIL_SKIP_BAD_JSON, 4 },
        { VIGIL_SKIP_MISSING_FIELD, 7 }, { VIGIL_SKIP_BAD_TIMESTAMP, 8 },
        { VIGIL_SKIP_BAD_TIMESTAMP, 9 }, { VIGIL_SKIP_MISSING_FIELD, 10 },
        { VIGIL_SKIP_MISSING_FIELD, 11 }, { VIGIL_SKIP_BAD_ADDRESS, 12 },
        { VIGIL_SKIP_BAD_PORT, 13 }, { VIGIL_SKIP_BAD_NUMBER, 14 },
        { VIGIL_SKIP_UNKNOWN_LOG_TYPE, 15 }, { VIGIL_SKIP_BINARY, 17 },
    };
    size_t nw = sizeof want / sizeof want[0];
    test_diags_expect(&z, want, nw);
    CHECK_STR(z.log[0], "conn"); /* from the file name */
    const vigil_reader_counts *c = vigil_reader_counts_get(r);
    CHECK_EQ_U(c->skipped, nw);
    CHECK_EQ_U(c->by_reason[VIGIL_SKIP_BAD_JSON], 3);
    CHECK_EQ_U(c->by_reason[VIGIL_SKIP_MISSING_FIELD], 3);
    CHECK_EQ_U(c->records, 2);
    vigil_reader_free(r);
}

TEST(zjson_unknown_log_type)
{
    test_diags z;
    vigil_reader *r = test_open_mem("mem", "{\"ts\":1,\"a\":1}\n\n{\"ts\":2}\n{\"_path\":\"conn\",\"ts\":1,"
                                "\"id.orig_h\":\"1.1.1.1\",\"id.resp_h\":\"2.2.2.2\"}\n", &z);
    CHECK(r != NULL);
    if (!r) return;
    const vigil_record *rec;
    rec = test_next_record(r);
    if (rec) {
        CHECK_EQ_U(rec->line, 4);
        CHECK(rec->type == VIGIL_LOG_CONN);
    }
    CHECK(vigil_reader_next(r, &rec) == VIGIL_OK && rec == NULL);
    CHECK_EQ_U(z.n, 2);
    CHECK(z.reason[0] == VIGIL_SKIP_UNKNOWN_LOG_TYPE && z.line[0] == 1);
    CHECK(z.reason[1] == VIGIL_SKIP_UNKNOWN_LOG_TYPE && z.line[1] == 3);
    CHECK_STR(z.log[0], "");
    vigil_reader_free(r);
}

TEST(zjson_file_crlf_bom)
{
    const char text[] = "\xef\xbb\xbf{\"ts\":1,\"id.orig_h\":\"10.0.0.1\",\"id.resp_h\":\"10.0.0.2\"}\r\n"
                        "{\"ts\":2,\"id.orig_h\":\"10.0.0.1\",\"id.resp_h\":\"10.0.0.2\"}";
    const char *path = test_write_file("conn.json", text, sizeof text - 1);
    vigil_reader *r = NULL;
    CHECK(vigil_reader_open(&r, path, NULL) == VIGIL_OK);
    if (!r) return;
    CHECK(vigil_reader_format(r) == VIGIL_FORMAT_ZEEK_JSON);
    const vigil_record *rec;
    int n = 0;
    while (vigil_reader_next(r, &rec) == VIGIL_OK && rec) {
        n++;
        CHECK(rec->ts == n);
    }
    CHECK_EQ_U(n, 2);
    CHECK_EQ_U(vigil_reader_counts_get(r)->skipped, 0);
    vigil_reader_free(r);
}

/* Reads the first record of a TSV and a JSON log and compares them. */
TEST(zjson_matches_tsv)
{
    const char *tsv =
        "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\tdns\n"
        "#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\ttrans_id\trtt\t"
        "query\tqtype\tqtype_name\trcode\trcode_name\tanswers\tTTLs\trejected\n"
        "#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tcount\tinterval\tstring\tcount\t"
        "string\tcount\tstring\tvector[string]\tvector[interval]\tbool\n"
        "1596790164.509987\tCr01\t10.8.0.61\t35740\t8.8.8.8\t53\tudp\t1242\t0.017912\t"
        "x.example\t1\tA\t0\tNOERROR\t172.217.23.202,1.2.3.4\t299.000000,60.000000\tF\n";
    const char *json =
        "{\"ts\":1596790164.509987,\"uid\":\"Cr01\",\"id.orig_h\":\"10.8.0.61\",\"id.orig_p\":35740,"
        "\"id.resp_h\":\"8.8.8.8\",\"id.resp_p\":53,\"proto\":\"udp\",\"trans_id\":1242,"
        "\"rtt\":0.017912,\"query\":\"x.example\",\"qtype\":1,\"qtype_name\":\"A\",\"rcode\":0,"
        "\"rcode_name\":\"NOERROR\",\"answers\":[\"172.217.23.202\",\"1.2.3.4\"],"
        "\"TTLs\":[299.0,60.0],\"rejected\":false}\n";
    vigil_reader *rt = test_open_mem("dns.log", tsv, NULL);
    vigil_reader *rj = test_open_mem("dns.json", json, NULL);
    CHECK(rt && rj);
    if (rt && rj) {
        const vigil_record *a = NULL, *b = NULL;
        CHECK(vigil_reader_next(rt, &a) == VIGIL_OK && a);
        CHECK(vigil_reader_next(rj, &b) == VIGIL_OK && b);
        if (a && b) {
            const vigil_dns *x = &a->u.dns, *y = &b->u.dns;
            CHECK(a->type == b->type && a->ts == b->ts);
            CHECK(memcmp(&x->id.orig_h, &y->id.orig_h, 16) == 0);
            CHECK(x->id.orig_p == y->id.orig_p && x->id.resp_p == y->id.resp_p);
            CHECK(x->proto == y->proto && x->trans_id == y->trans_id && x->rtt == y->rtt);
            CHECK(x->qtype == y->qtype && x->rcode == y->rcode && x->rejected == y->rejected);
            CHECK(x->answers.len == y->answers.len &&
                  memcmp(x->answers.p, y->answers.p, x->answers.len) == 0);
            CHECK(x->ttls.len == y->ttls.len && memcmp(x->ttls.p, y->ttls.p, x->ttls.len) == 0);
            CHECK(x->query.len == y->query.len);
        }
    }
    vigil_reader_free(rt);
    vigil_reader_free(rj);
}
