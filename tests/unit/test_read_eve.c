/* test_read_eve.c -- Suricata EVE: the real file, flows, dns, tls, http, skips. */
#include "fixture.h"

TEST(eve_real_counts)
{
    char path[512];
    test_real_path("suricata-eve/test6-malicious.suricata.json", path, sizeof path);
    vigil_reader *r = NULL;
    CHECK(vigil_reader_open(&r, path, NULL) == VIGIL_OK);
    if (!r) return;
    CHECK(vigil_reader_format(r) == VIGIL_FORMAT_EVE);
    int conn = 0, dns = 0, ssl = 0, http = 0, alert = 0, anomaly = 0, fileinfo = 0, other = 0;
    int rej = 0, s2 = 0, answers = 0;
    const vigil_record *rec;
    while (vigil_reader_next(r, &rec) == VIGIL_OK && rec) {
        switch (rec->type) {
        case VIGIL_LOG_CONN:
            conn++;
            CHECK_STR(rec->path, "conn");
            CHECK(rec->u.conn.id.uid.len > 0);
            rej += rec->u.conn.conn_state == VIGIL_CS_REJ;
            s2 += rec->u.conn.conn_state == VIGIL_CS_S2;
            break;
        case VIGIL_LOG_DNS:
            dns++;
            answers += rec->u.dns.answers.len > 0;
            break;
        case VIGIL_LOG_SSL: ssl++; break;
        case VIGIL_LOG_HTTP: http++; break;
        case VIGIL_LOG_OTHER:
            alert += strcmp(rec->path, "alert") == 0;
            anomaly += strcmp(rec->path, "anomaly") == 0;
            fileinfo += strcmp(rec->path, "fileinfo") == 0;
            other++;
            break;
        default:
            CHECK(0);
        }
        /* 2021-06-06T15:57 .. 2021-06-07T16:00 (+0200), flow starts included. */
        CHECK(rec->ts > 1622987000.0 && rec->ts < 1623075000.0);
    }
    CHECK_EQ_U(conn, 3512);
    CHECK_EQ_U(dns, 680);
    CHECK_EQ_U(ssl, 1);
    CHECK_EQ_U(http, 56);
    CHECK_EQ_U(alert, 745);
    CHECK_EQ_U(anomaly, 3);
    CHECK_EQ_U(fileinfo, 3);
    CHECK_EQ_U(other, 751);
    CHECK_EQ_U(answers, 340); /* every answer event carries answers */
    CHECK_EQ_U(rej, 1937 + 2); /* SYN answered by RST-ACK (flags 02/14, c2/14) */
    CHECK(s2 > 0);
    const vigil_reader_counts *c = vigil_reader_counts_get(r);
    CHECK_EQ_U(c->records, 5000);
    CHECK_EQ_U(c->skipped, 0);
    vigil_reader_free(r);
}

TEST(eve_real_first_flow)
{
    char path[512];
    test_real_path("suricata-eve/test6-malicious.suricata.json", path, sizeof path);
    vigil_reader *r = NULL;
    CHECK(vigil_reader_open(&r, path, NULL) == VIGIL_OK);
    if (!r) return;
    const vigil_record *rec;
    while (vigil_reader_next(r, &rec) == VIGIL_OK && rec && rec->type != VIGIL_LOG_CONN) {}
    CHECK(rec != NULL);
    if (rec) {
        CHECK_EQ_U(rec->line, 90);
        /* The first flow: UDP 192.168.1.132:1900 -> 192.168.1.129:44232, 12 pkts,
         * 4056 bytes, no reply, start 2021-06-06T16:38:55.855844+0200. */
        const vigil_conn *c = &rec->u.conn;
        CHECK(rec->type == VIGIL_LOG_CONN);
        CHECK(rec->ts == 1622990335.855844);
        CHECK_VSTR(c->id.uid, "445348883402532");
        char buf[VIGIL_ADDR_STRLEN];
        CHECK_STR(vigil_addr_format(&c->id.orig_h, buf), "192.168.1.132");
        CHECK_EQ_U(c->id.orig_p, 1900);
        CHECK_EQ_U(c->id.resp_p, 44232);
        CHECK(c->proto == VIGIL_PROTO_UDP);
        CHECK(c->conn_state == VIGIL_CS_S0);
        CHECK_EQ_U(c->orig_pkts, 12);
        CHECK_EQ_U(c->orig_ip_bytes, 4056);
        CHECK_EQ_U(c->orig_bytes, 4056 - 12 * 28);
        CHECK_EQ_U(c->resp_bytes, 0);
        CHECK(c->service.p == NULL); /* app_proto "failed" */
        CHECK(c->history.p == NULL);
        CHECK(c->duration > 1.107182 && c->duration < 1.107184);
        size_t n;
        const char *v = vigil_reader_field(r, "flow.reason", &n);
        CHECK(v && n == 7 && memcmp(v, "timeout", 7) == 0);
        v = vigil_reader_field(r, "host", &n);
        CHECK(v && n == 16);
    }
    vigil_reader_free(r);
}

/* One flow event with the given protocol, flags and packet counts. */
static vigil_conn_state flow_state(const char *proto, const char *ts, const char *tc,
                                   int opk, int rpk)
{
    char text[1024];
    char tcp[128] = "";
    if (ts) snprintf(tcp, sizeof tcp, ",\"tcp\":{\"tcp_flags_ts\":\"%s\",\"tcp_flags_tc\":\"%s\"}", ts, tc);
    snprintf(text, sizeof text,
             "{\"timestamp\":\"2021-06-06T15:57:37.272281+0200\",\"flow_id\":1,\"event_type\":\"flow\","
             "\"src_ip\":\"10.0.0.1\",\"src_port\":1,\"dest_ip\":\"10.0.0.2\",\"dest_port\":2,"
             "\"proto\":\"%s\",\"flow\":{\"pkts_toserver\":%d,\"pkts_toclient\":%d,"
             "\"bytes_toserver\":%d,\"bytes_toclient\":%d,\"start\":\"2021-06-06T16:00:00+0200\"}%s}\n",
             proto, opk, rpk, opk * 60, rpk * 60, tcp);
    vigil_reader *r = test_open_mem("eve.json", text, NULL);
    vigil_conn_state s = VIGIL_CS__COUNT;
    const vigil_record *rec;
    if (r && vigil_reader_next(r, &rec) == VIGIL_OK && rec) s = (vigil_conn_state)rec->u.conn.conn_state;
    vigil_reader_free(r);
    return s;
}

TEST(eve_conn_states)
{
    CHECK(flow_state("TCP", "02", "00", 2, 0) == VIGIL_CS_S0);   /* SYN, no reply */
    CHECK(flow_state("TCP", "02", "14", 2, 2) == VIGIL_CS_REJ);  /* RST-ACK to SYN */
    CHECK(flow_state("TCP", "1b", "1b", 8, 8) == VIGIL_CS_SF);   /* both closed */
    CHECK(flow_state("TCP", "13", "13", 5, 5) == VIGIL_CS_SF);
    CHECK(flow_state("TCP", "1a", "1a", 5, 5) == VIGIL_CS_S1);   /* open, not closed */
    CHECK(flow_state("TCP", "13", "12", 5, 5) == VIGIL_CS_S2);   /* orig FIN only */
    CHECK(flow_state("TCP", "12", "13", 5, 5) == VIGIL_CS_S3);   /* resp FIN only */
    CHECK(flow_state("TCP", "1e", "12", 5, 5) == VIGIL_CS_RSTO); /* orig RST */
    CHECK(flow_state("TCP", "12", "16", 5, 5) == VIGIL_CS_RSTR); /* resp RST */
    CHECK(flow_state("TCP", "06", "00", 2, 0) == VIGIL_CS_RSTOS0);
    CHECK(flow_state("TCP", "00", "14", 0, 1) == VIGIL_CS_RSTRH);
    CHECK(flow_state("TCP", "03", "00", 2, 0) == VIGIL_CS_SH);   /* SYN+FIN, no reply */
    CHECK(flow_state("TCP", "10", "10", 3, 3) == VIGIL_CS_OTH);  /* midstream */
    CHECK(flow_state("TCP", "00", "00", 2, 2) == VIGIL_CS_OTH);  /* no flags at all */
    CHECK(flow_state("TCP", NULL, NULL, 2, 2) == VIGIL_CS_UNSET); /* no tcp object */
    CHECK(flow_state("UDP", NULL, NULL, 2, 2) == VIGIL_CS_SF);
    CHECK(flow_state("UDP", NULL, NULL, 2, 0) == VIGIL_CS_S0);
    CHECK(flow_state("UDP", NULL, NULL, 0, 2) == VIGIL_CS_SHR);
    CHECK(flow_state("ICMP", NULL, NULL, 1, 1) == VIGIL_CS_OTH);
}

TEST(eve_flow_fields)
{
    const char *text =
        "{\"timestamp\":\"2021-06-06T18:00:00.000000+0200\",\"flow_id\":2232403389523415,"
        "\"event_type\":\"flow\",\"src_ip\":\"2001:db8::1\",\"src_port\":48938,"
        "\"dest_ip\":\"2001:db8::2\",\"dest_port\":443,\"proto\":\"TCP\",\"app_proto\":\"tls\","
        "\"flow\":{\"pkts_toserver\":10,\"pkts_toclient\":8,\"bytes_toserver\":1600,"
        "\"bytes_toclient\":400,\"start\":\"2021-06-06T17:34:31.140759+0200\","
        "\"end\":\"2021-06-06T17:34:33.640759+0200\",\"state\":\"closed\"},"
        "\"tcp\":{\"tcp_flags_ts\":\"1b\",\"tcp_flags_tc\":\"1b\"}}\n"
        "{\"timestamp\":\"2021-06-06T18:00:00+0200\",\"event_type\":\"flow\",\"src_ip\":\"10.0.0.1\","
        "\"dest_ip\":\"10.0.0.2\",\"proto\":\"ICMP\",\"icmp_type\":8,\"icmp_code\":0,"
        "\"flow\":{\"pkts_toserver\":1,\"pkts_toclient\":1,\"bytes_toserver\":84,\"bytes_toclient\":84,"
        "\"start\":\"2021-06-06T18:00:00+0200\"}}\n"
        "{\"timestamp\":\"2021-06-06T18:00:00+0200\",\"flow_id\":7,\"event_type\":\"flow\","
        "\"src_ip\":\"10.0.0.1\",\"src_port\":5,\"dest_ip\":\"10.0.0.2\",\"dest_port\":80,"
        "\"proto\":\"TCP\",\"flow\":{\"pkts_toserver\":2,\"pkts_toclient\":2,\"bytes_toserver\":120,"
        "\"bytes_toclient\":120,\"start\":\"2021-06-06T18:00:00+0200\"},"
        "\"tcp\":{\"tcp_flags_ts\":\"02\",\"tcp_flags_tc\":\"14\"}}\n"
        "{\"timestamp\":\"2021-06-06T18:00:00+0200\",\"event_type\":\"netflow\",\"src_ip\":\"10.0.0.1\","
        "\"src_port\":5,\"dest_ip\":\"10.0.0.2\",\"dest_port\":53,\"proto\":\"UDP\","
        "\"netflow\":{\"pkts\":3,\"bytes\":300,\"start\":\"2021-06-06T18:00:01+0200\","
        "\"end\":\"2021-06-06T18:00:03+0200\"}}\n";
    vigil_reader *r = test_open_mem("eve.json", text, NULL);
    CHECK(r != NULL);
    if (!r) return;
    const vigil_record *rec;
    rec = test_next_record(r);
    if (rec) {
        const vigil_conn *c = &rec->u.conn;
        CHECK(rec->ts == 1622993671.140759);
        CHECK(c->duration > 2.499999 && c->duration < 2.500001);
        CHECK_VSTR(c->id.uid, "2232403389523415");
        CHECK_VSTR(c->service, "ssl");
        CHECK(c->conn_state == VIGIL_CS_SF);
        CHECK_EQ_U(c->orig_bytes, 1600 - 10 * 60); /* TCP over IPv6: 60 per packet */
        CHECK_EQ_U(c->resp_bytes, 0);              /* 400 < 8 * 60: never negative */
        CHECK_EQ_U(c->present, 0xf7u);             /* all but missed_bytes */
    }
    rec = test_next_record(r);
    if (rec) {
        const vigil_conn *c = &rec->u.conn;
        CHECK(c->proto == VIGIL_PROTO_ICMP);
        CHECK_EQ_U(c->id.orig_p, 8);
        CHECK_EQ_U(c->id.resp_p, 0);
        CHECK_EQ_U(c->orig_bytes, 84 - 28);
        CHECK(c->id.uid.p == NULL);
        CHECK(!(c->present & VIGIL_CONN_HAS_DURATION));
    }
    rec = test_next_record(r);
    if (rec) {
        CHECK(rec->u.conn.conn_state == VIGIL_CS_REJ);
        CHECK_EQ_U(rec->u.conn.orig_bytes, 0); /* no payload before a handshake */
        CHECK_EQ_U(rec->u.conn.resp_bytes, 0);
        CHECK(rec->u.conn.present & VIGIL_CONN_HAS_ORIG_BYTES);
    }
    rec = test_next_record(r);
    if (rec) {
        CHECK(rec->type == VIGIL_LOG_CONN);
        CHECK(rec->ts == 1622995201.0);
        CHECK(rec->u.conn.duration == 2.0);
        CHECK_EQ_U(rec->u.conn.orig_pkts, 3);
        CHECK_EQ_U(rec->u.conn.orig_bytes, 300 - 3 * 28);
        CHECK(!(rec->u.conn.present & VIGIL_CONN_HAS_RESP_PKTS));
        CHECK(rec->u.conn.conn_state == VIGIL_CS_UNSET);
    }
    vigil_reader_free(r);
}

TEST(eve_dns_events)
{
    const char *text =
        "{\"timestamp\":\"2021-06-06T16:26:27.431769+0200\",\"flow_id\":15,\"event_type\":\"dns\","
        "\"src_ip\":\"192.168.1.129\",\"src_port\":35790,\"dest_ip\":\"192.168.1.1\",\"dest_port\":53,"
        "\"proto\":\"UDP\",\"dns\":{\"type\":\"query\",\"id\":2,\"rrname\":\"www.google.com\","
        "\"rrtype\":\"AAAA\",\"tx_id\":0}}\n"
        "{\"timestamp\":\"2021-06-06T16:15:30.868948+0200\",\"flow_id\":14,\"event_type\":\"dns\","
        "\"src_ip\":\"192.168.1.129\",\"src_port\":39422,\"dest_ip\":\"192.168.1.1\",\"dest_port\":53,"
        "\"proto\":\"UDP\",\"dns\":{\"version\":2,\"type\":\"answer\",\"id\":2,\"flags\":\"8180\","
        "\"rrname\":\"www.myedimax.com\",\"rrtype\":\"A\",\"rcode\":\"NOERROR\",\"answers\":["
        "{\"rrname\":\"www.myedimax.com\",\"rrtype\":\"CNAME\",\"ttl\":580,\"rdata\":\"ddns.myedimax.com\"},"
        "{\"rrname\":\"x\",\"rrtype\":\"SOA\",\"ttl\":5,\"soa\":{\"mname\":\"m\"}},"
        "{\"rrname\":\"ns.myedimax.com\",\"rrtype\":\"A\",\"ttl\":580,\"rdata\":\"122.248.252.67\"}],"
        "\"grouped\":{\"A\":[\"122.248.252.67\"]}}}\n"
        "{\"timestamp\":\"2021-06-06T16:15:30Z\",\"event_type\":\"dns\",\"src_ip\":\"10.0.0.1\","
        "\"dest_ip\":\"10.0.0.2\",\"proto\":\"UDP\",\"dns\":{\"type\":\"answer\",\"id\":9,"
        "\"rrname\":\"gone.example\",\"rrtype\":\"A\",\"rcode\":\"NXDOMAIN\"}}\n"
        "{\"timestamp\":\"2021-06-06T16:15:30Z\",\"event_type\":\"dns\",\"src_ip\":\"10.0.0.1\","
        "\"dest_ip\":\"10.0.0.2\",\"proto\":\"UDP\",\"dns\":{\"type\":\"answer\",\"id\":9,"
        "\"rrname\":\"v1.example\",\"rrtype\":\"A\",\"rcode\":\"NOERROR\",\"ttl\":60,\"rdata\":\"1.2.3.4\"}}\n"
        "{\"timestamp\":\"2021-06-06T16:15:30Z\",\"event_type\":\"dns\",\"src_ip\":\"10.0.0.1\","
        "\"dest_ip\":\"10.0.0.2\",\"proto\":\"UDP\",\"dns\":{\"version\":3,\"type\":\"response\",\"id\":4,"
        "\"queries\":[{\"rrname\":\"v3.example\",\"rrtype\":\"TXT\"}],\"rcode\":\"NOERROR\","
        "\"answers\":[{\"rrname\":\"v3.example\",\"rrtype\":\"TXT\",\"ttl\":1,\"rdata\":\"a\\\"b\"}]}}\n";
    vigil_reader *r = test_open_mem("eve.json", text, NULL);
    CHECK(r != NULL);
    if (!r) return;
    const vigil_record *rec;
    rec = test_next_record(r);
    if (rec) {
        const vigil_dns *d = &rec->u.dns;
        CHECK(rec->type == VIGIL_LOG_DNS);
        CHECK_STR(rec->path, "dns");
        CHECK(d->proto == VIGIL_PROTO_UDP);
        CHECK_VSTR(d->query, "www.google.com");
        CHECK_VSTR(d->qtype_name, "AAAA");
        CHECK_EQ_U(d->qtype, 28);
        CHECK(d->trans_id == 2);
        CHECK(d->rcode == -1 && d->rcode_name.p == NULL);
        CHECK(d->answers.p == NULL && d->ttls.p == NULL);
        CHECK_VSTR(d->id.uid, "15");
    }
    rec = test_next_record(r);
    if (rec) {
        const vigil_dns *d = &rec->u.dns;
        CHECK_VSTR(d->query, "www.myedimax.com");
        CHECK_EQ_U(d->qtype, 1);
        CHECK(d->rcode == 0);
        CHECK_VSTR(d->rcode_name, "NOERROR");
        CHECK_VSTR(d->answers, "ddns.myedimax.com,122.248.252.67");
        CHECK_VSTR(d->ttls, "580.000000,580.000000");
    }
    rec = test_next_record(r);
    if (rec) {
        CHECK(rec->u.dns.rcode == 3);
        CHECK_VSTR(rec->u.dns.rcode_name, "NXDOMAIN");
        CHECK(rec->u.dns.answers.p == NULL);
        CHECK(rec->ts == 1622996130.0);
    }
    rec = test_next_record(r);
    if (rec) {
        CHECK_VSTR(rec->u.dns.answers, "1.2.3.4");
        CHECK_VSTR(rec->u.dns.ttls, "60.000000");
    }
    rec = test_next_record(r);
    if (rec) {
        CHECK_VSTR(rec->u.dns.query, "v3.example");
        CHECK_VSTR(rec->u.dns.qtype_name, "TXT");
        CHECK_EQ_U(rec->u.dns.qtype, 16);
        CHECK_VSTR(rec->u.dns.answers, "a\"b");
        CHECK_VSTR(rec->u.dns.ttls, "1.000000");
    }
    CHECK(vigil_reader_next(r, &rec) == VIGIL_OK && rec == NULL);
    vigil_reader_free(r);
}

TEST(eve_tls_http_other)
{
    const char *text =
        "{\"timestamp\":\"2021-06-06T16:54:00.074627+0200\",\"flow_id\":26,\"event_type\":\"tls\","
        "\"src_ip\":\"192.168.1.129\",\"src_port\":60316,\"dest_ip\":\"122.248.252.67\","
        "\"dest_port\":55443,\"proto\":\"TCP\",\"tls\":{\"subject\":\"CN=www.myedimax.com\","
        "\"issuerdn\":\"C=BE, O=GlobalSign nv-sa\",\"sni\":\"www.myedimax.com\",\"version\":\"TLS 1.2\","
        "\"ja3\":{\"hash\":\"b720\",\"string\":\"770,51\"},\"ja3s\":{\"hash\":\"ad90\"}}}\n"
        "{\"timestamp\":\"2021-06-07T09:25:25.523057+0200\",\"flow_id\":48,\"event_type\":\"http\","
        "\"src_ip\":\"162.142.125.53\",\"src_port\":51230,\"dest_ip\":\"192.168.1.129\",\"dest_port\":554,"
        "\"proto\":\"TCP\",\"tx_id\":0,\"http\":{\"hostname\":\"147.32.82.197\",\"url\":\"/a\\/b\","
        "\"http_user_agent\":\"Mozilla/5.0\",\"http_method\":\"GET\",\"http_refer\":\"http://r/\","
        "\"protocol\":\"HTTP/1.1\",\"status\":404,\"length\":47}}\n"
        "{\"timestamp\":\"2021-06-06T15:59:46.457984+0200\",\"flow_id\":13,\"event_type\":\"alert\","
        "\"src_ip\":\"78.36.196.213\",\"src_port\":51698,\"dest_ip\":\"192.168.1.129\",\"dest_port\":445,"
        "\"proto\":\"TCP\",\"alert\":{\"signature_id\":2403388,\"signature\":\"ET CINS Poor Reputation\","
        "\"metadata\":{\"tag\":[\"CINS\",\"x\"]}},\"flow\":{\"start\":\"2020-01-01T00:00:00Z\"}}\n"
        "{\"timestamp\":\"2021-06-06T15:59:46+0200\",\"event_type\":\"stats\",\"stats\":{\"uptime\":5}}\n"
        "{\"timestamp\":\"2021-06-06T15:59:46+0200\",\"event_type\":\"conn\",\"src_ip\":\"10.0.0.1\"}\n";
    vigil_reader *r = test_open_mem("eve.json", text, NULL);
    CHECK(r != NULL);
    if (!r) return;
    const vigil_record *rec;
    rec = test_next_record(r);
    if (rec) {
        const vigil_ssl *s = &rec->u.ssl;
        CHECK(rec->type == VIGIL_LOG_SSL);
        CHECK_STR(rec->path, "ssl");
        CHECK_VSTR(s->server_name, "www.myedimax.com");
        CHECK_VSTR(s->version, "TLSv12");
        CHECK_VSTR(s->subject, "CN=www.myedimax.com");
        CHECK_VSTR(s->issuer, "C=BE, O=GlobalSign nv-sa");
        CHECK_VSTR(s->ja3, "b720");
        CHECK_VSTR(s->ja3s, "ad90");
        CHECK(rec->ts == 1622991240.074627);
    }
    rec = test_next_record(r);
    if (rec) {
        const vigil_http *h = &rec->u.http;
        CHECK(rec->type == VIGIL_LOG_HTTP);
        CHECK_VSTR(h->host, "147.32.82.197");
        CHECK_VSTR(h->uri, "/a/b");
        CHECK_VSTR(h->user_agent, "Mozilla/5.0");
        CHECK_VSTR(h->method, "GET");
        CHECK_VSTR(h->referrer, "http://r/");
        CHECK(h->status_code == 404);
        CHECK_EQ_U(h->response_body_len, 47);
    }
    rec = test_next_record(r);
    if (rec) {
        CHECK(rec->type == VIGIL_LOG_OTHER);
        CHECK_STR(rec->path, "alert");
        CHECK(rec->ts == 1622987986.457984); /* timestamp, not flow.start */
        CHECK_EQ_U(rec->u.conn.id.resp_p, 445);
        CHECK_VSTR(rec->u.conn.id.uid, "13");
        size_t n;
        const char *v = vigil_reader_field(r, "alert.signature", &n);
        CHECK(v && n == 23 && memcmp(v, "ET CINS Poor Reputation", 23) == 0);
        v = vigil_reader_field(r, "alert.metadata.tag", &n);
        CHECK(v && n == 6 && memcmp(v, "CINS,x", 6) == 0);
        v = vigil_reader_field(r, "alert.signature_id", &n);
        CHECK(v && n == 7 && memcmp(v, "2403388", 7) == 0);
    }
    rec = test_next_record(r);
    if (rec) {
        CHECK(rec->type == VIGIL_LOG_OTHER);
        CHECK_STR(rec->path, "stats");
    }
    rec = test_next_record(r);
    if (rec) {
        CHECK(rec->type == VIGIL_LOG_OTHER); /* not Zeek's conn family */
        CHECK_STR(rec->path, "conn");
    }
    CHECK(vigil_reader_next(r, &rec) == VIGIL_OK && rec == NULL);
    CHECK_EQ_U(vigil_reader_counts_get(r)->skipped, 0);
    vigil_reader_free(r);
}

TEST(eve_skip_reasons)
{
    const char *ok = "{\"timestamp\":\"2021-06-06T15:59:46+0200\",\"event_type\":\"alert\"}";
    char text[4096];
    int n = snprintf(text, sizeof text,
        "%s\n"                                                                  /* 1 ok */
        "{\"timestamp\":\"2021-06-06T15:59:46+0200\",\"event_type\":\"alert\"\n" /* 2 truncated */
        "\n"                                                                    /* 3 blank */
        "{\"timestamp\":\"2021-06-06T15:59:46+0200\"}\n"                        /* 4 no type */
        "{\"timestamp\":\"2021-06-06T15:59:46+0200\",\"event_type\":\"a b\"}\n"  /* 5 bad type */
        "{\"event_type\":\"alert\"}\n"                                          /* 6 no time */
        "{\"timestamp\":\"2021-13-06T15:59:46+0200\",\"event_type\":\"alert\"}\n" /* 7 bad time */
        "{\"timestamp\":null,\"event_type\":\"alert\"}\n"                       /* 8 null time */
        "{\"timestamp\":\"2021-06-06T15:59:46+0200\",\"event_type\":\"flow\",\"dest_ip\":\"1.2.3.4\"}\n"
        "{\"timestamp\":\"2021-06-06T15:59:46+0200\",\"event_type\":\"dns\",\"src_ip\":\"1.2.3\","
        "\"dest_ip\":\"1.2.3.4\"}\n"                                            /* 10 bad addr */
        "{\"timestamp\":\"2021-06-06T15:59:46+0200\",\"event_type\":\"http\",\"src_ip\":\"1.2.3.5\","
        "\"dest_ip\":\"1.2.3.4\",\"src_port\":99999}\n"                          /* 11 bad port */
        "{\"timestamp\":\"2021-06-06T15:59:46+0200\",\"event_type\":\"http\",\"src_ip\":\"1.2.3.5\","
        "\"dest_ip\":\"1.2.3.4\",\"http\":{\"status\":\"x\"}}\n"                 /* 12 bad number */
        "{\"timestamp\":\"2021-06-06T15:59:46+0200\",\"event_type\":\"alert\",\"x\":\"\\uD800\"}\n"
        "%s\n",                                                                 /* 14 ok */
        ok, ok);
    memcpy(text + n, "{\"event_type\":\0}\n", 17); /* 15 binary */
    n += 17;
    text[n] = 0;
    test_diags z;
    vigil_reader_opts o = test_diag_opts(&z);
    vigil_reader *r = NULL;
    CHECK(vigil_reader_open_mem(&r, "eve.json", text, (size_t)n, &o) == VIGIL_OK);
    if (!r) return;
    CHECK_EQ_U(test_read_all(r), 2);
    static const test_skip want[] = {
        { VIGIL_SKIP_BAD_JSON, 2 }, { VIGIL_SKIP_UNKNOWN_LOG_TYPE, 4 },
        { VIGIL_SKIP_UNKNOWN_LOG_TYPE, 5 }, { VIGIL_SKIP_MISSING_FIELD, 6 },
        { VIGIL_SKIP_BAD_TIMESTAMP, 7 }, { VIGIL_SKIP_BAD_TIMESTAMP, 8 },
        { VIGIL_SKIP_MISSING_FIELD, 9 }, { VIGIL_SKIP_BAD_ADDRESS, 10 },
        { VIGIL_SKIP_BAD_PORT, 11 }, { VIGIL_SKIP_BAD_NUMBER, 12 },
        { VIGIL_SKIP_BAD_JSON, 13 }, { VIGIL_SKIP_BINARY, 15 },
    };
    size_t nw = sizeof want / sizeof want[0];
    test_diags_expect(&z, want, nw);
    CHECK_EQ_U(vigil_reader_counts_get(r)->skipped, nw);
    vigil_reader_free(r);
}
