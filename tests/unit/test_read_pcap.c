/* test_read_pcap.c -- the pcap backend: flows, Zeek states, dns/ssl, bad input, real captures. */
#include "test.h"
#include <arpa/inet.h>
#include <stdlib.h>
#include <zlib.h>

/* ---- building captures byte by byte --------------------------------------- */

/* A capture file being written in memory. */
typedef struct capbuf {
    uint8_t b[1 << 20];  /* the file's bytes */
    size_t n;            /* bytes used */
} capbuf;

static capbuf cap;       /* the capture the current test builds */

static void put(capbuf *c, const void *p, size_t n)
{
    if (c->n + n > sizeof c->b) { fprintf(stderr, "test capture too big\n"); exit(1); }
    memcpy(c->b + c->n, p, n);
    c->n += n;
}
static void put16le(capbuf *c, uint16_t v) { uint8_t x[2] = { (uint8_t)v, (uint8_t)(v >> 8) }; put(c, x, 2); }
static void put32le(capbuf *c, uint32_t v)
{
    uint8_t x[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24) };
    put(c, x, 4);
}
static void wr16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static void wr32(uint8_t *p, uint32_t v) { wr16(p, (uint16_t)(v >> 16)); wr16(p + 2, (uint16_t)v); }

/* Classic pcap file header (microsecond, little-endian). */
static void cap_begin(uint32_t linktype)
{
    cap.n = 0;
    put32le(&cap, 0xa1b2c3d4u);
    put16le(&cap, 2);
    put16le(&cap, 4);
    put32le(&cap, 0);
    put32le(&cap, 0);
    put32le(&cap, 65535);
    put32le(&cap, linktype);
}

/* One record: header then frame. */
static void cap_packet(double ts, const uint8_t *frame, size_t len)
{
    uint32_t sec = (uint32_t)ts;
    uint32_t usec = (uint32_t)((ts - sec) * 1e6 + 0.5);
    put32le(&cap, sec);
    put32le(&cap, usec);
    put32le(&cap, (uint32_t)len);
    put32le(&cap, (uint32_t)len);
    put(&cap, frame, len);
}

/* Ethernet header with `vlans` 802.1Q tags; returns its length. */
static size_t eth(uint8_t *b, uint16_t type, int vlans)
{
    static const uint8_t macs[12] = { 2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2 };
    memcpy(b, macs, 12);
    size_t o = 12;
    for (int i = 0; i < vlans; i++) {
        wr16(b + o, 0x8100);
        wr16(b + o + 2, (uint16_t)(100 + i));
        o += 4;
    }
    wr16(b + o, type);
    return o + 2;
}

static size_t ipv4(uint8_t *b, const char *src, const char *dst, uint8_t proto, size_t payload)
{
    memset(b, 0, 20);
    b[0] = 0x45;
    wr16(b + 2, (uint16_t)(20 + payload));
    b[8] = 64;
    b[9] = proto;
    inet_pton(AF_INET, src, b + 12);
    inet_pton(AF_INET, dst, b + 16);
    return 20;
}

/* IPv6 header plus an 8-byte hop-by-hop options header before `proto`. */
static size_t ipv6_hbh(uint8_t *b, const char *src, const char *dst, uint8_t proto, size_t payload)
{
    memset(b, 0, 48);
    b[0] = 0x60;
    wr16(b + 4, (uint16_t)(8 + payload));
    b[6] = 0; /* hop-by-hop */
    b[7] = 64;
    inet_pton(AF_INET6, src, b + 8);
    inet_pton(AF_INET6, dst, b + 24);
    b[40] = proto;
    b[41] = 0; /* (0 + 1) * 8 bytes */
    return 48;
}

static size_t tcph(uint8_t *b, uint16_t sp, uint16_t dp, uint32_t seq, uint32_t ack,
                   uint8_t flags, const void *data, size_t n)
{
    memset(b, 0, 20);
    wr16(b, sp);
    wr16(b + 2, dp);
    wr32(b + 4, seq);
    wr32(b + 8, ack);
    b[12] = 5 << 4;
    b[13] = flags;
    wr16(b + 14, 65535);
    if (n) memcpy(b + 20, data, n);
    return 20 + n;
}

static size_t udph(uint8_t *b, uint16_t sp, uint16_t dp, const void *data, size_t n)
{
    wr16(b, sp);
    wr16(b + 2, dp);
    wr16(b + 4, (uint16_t)(8 + n));
    wr16(b + 6, 0);
    if (n) memcpy(b + 8, data, n);
    return 8 + n;
}

enum { FIN = 0x01, SYN = 0x02, RST = 0x04, PSH = 0x08, ACK = 0x10 };

/* An Ethernet/IPv4/TCP packet appended to `cap`. */
static void tcp4(double ts, const char *src, uint16_t sp, const char *dst, uint16_t dp,
                 uint32_t seq, uint32_t ack, uint8_t flags, const char *data)
{
    uint8_t f[1600];
    size_t n = data ? strlen(data) : 0;
    size_t o = eth(f, 0x0800, 0);
    o += ipv4(f + o, src, dst, 6, 20 + n);
    o += tcph(f + o, sp, dp, seq, ack, flags, data, n);
    cap_packet(ts, f, o);
}

static void udp4(double ts, const char *src, uint16_t sp, const char *dst, uint16_t dp,
                 const void *data, size_t n)
{
    uint8_t f[1600];
    size_t o = eth(f, 0x0800, 0);
    o += ipv4(f + o, src, dst, 17, 8 + n);
    o += udph(f + o, sp, dp, data, n);
    cap_packet(ts, f, o);
}

/* ---- reading everything back ---------------------------------------------- */

#define MAXR 64

/* What a run of the reader produced (strings copied out). */
typedef struct res {
    vigil_status open_rc;          /* vigil_reader_open* result */
    vigil_status next_rc;          /* last vigil_reader_next result */
    int n;                         /* records */
    vigil_record rec[MAXR];        /* copies; their strings are not valid */
    char s1[MAXR][128];            /* conn: history; dns: query; ssl: SNI */
    char s2[MAXR][128];            /* conn: service; dns: answers */
    char uid[MAXR][16];            /* uid text */
    char path[MAXR][16];           /* rec.path text */
    vigil_reader_counts counts;    /* final counters */
    int diags;                     /* diagnostics received */
    vigil_skip_reason why[8];      /* their reasons */
    uint64_t line[8];              /* their lines */
    uint64_t count[8];             /* their counts */
    char non_ip[16];               /* the pcap_non_ip note */
} res;

static res R;

static void on_diag(void *user, const vigil_diag *d)
{
    res *r = user;
    if (r->diags < 8) {
        r->why[r->diags] = d->reason;
        r->line[r->diags] = d->line;
        r->count[r->diags] = d->count;
    }
    r->diags++;
}

static void vcopy(char *dst, size_t cap_, vigil_str s)
{
    size_t n = s.p ? (s.len < cap_ - 1 ? s.len : cap_ - 1) : 0;
    if (n) memcpy(dst, s.p, n);
    dst[n] = 0;
    if (!s.p) strcpy(dst, "-");
}

static void drain(vigil_reader *rd, res *r)
{
    const vigil_record *rec;
    while ((r->next_rc = vigil_reader_next(rd, &rec)) == VIGIL_OK && rec) {
        if (r->n >= MAXR) { r->n++; continue; }
        int i = r->n++;
        r->rec[i] = *rec;
        snprintf(r->path[i], sizeof r->path[i], "%s", rec->path);
        switch (rec->type) {
        case VIGIL_LOG_CONN:
            vcopy(r->s1[i], 128, rec->u.conn.history);
            vcopy(r->s2[i], 128, rec->u.conn.service);
            vcopy(r->uid[i], 16, rec->u.conn.id.uid);
            break;
        case VIGIL_LOG_DNS:
            vcopy(r->s1[i], 128, rec->u.dns.query);
            vcopy(r->s2[i], 128, rec->u.dns.answers);
            vcopy(r->uid[i], 16, rec->u.dns.id.uid);
            break;
        case VIGIL_LOG_SSL:
            vcopy(r->s1[i], 128, rec->u.ssl.server_name);
            vcopy(r->uid[i], 16, rec->u.ssl.id.uid);
            break;
        default:
            break;
        }
    }
    r->counts = *vigil_reader_counts_get(rd);
    size_t l = 0;
    const char *v = vigil_reader_field(rd, "pcap_non_ip", &l);
    snprintf(r->non_ip, sizeof r->non_ip, "%.*s", v ? (int)l : 1, v ? v : "?");
}

/* Reads the in-memory capture `cap` (idle timeout `idle`, 0 = Zeek's). */
static res *run_idle(double idle)
{
    memset(&R, 0, sizeof R);
    vigil_reader_opts o;
    memset(&o, 0, sizeof o);
    o.diag = on_diag;
    o.diag_user = &R;
    o.pcap_idle_timeout = idle;
    vigil_reader *rd = NULL;
    R.open_rc = vigil_reader_open_mem(&rd, "test.pcap", cap.b, cap.n, &o);
    if (R.open_rc != VIGIL_OK) return &R;
    CHECK(vigil_reader_format(rd) == VIGIL_FORMAT_PCAP);
    drain(rd, &R);
    vigil_reader_free(rd);
    return &R;
}

static res *run(void) { return run_idle(0); }

static char *fmt(const vigil_addr *a)
{
    static char buf[4][VIGIL_ADDR_STRLEN];
    static int k;
    k = (k + 1) & 3;
    return vigil_addr_format(a, buf[k]);
}

/* The SF session of several tests: handshake, request, response, FINs. */
static void sf_session(void)
{
    const char *c = "10.0.0.1", *s = "192.0.2.7";
    tcp4(100.0, c, 40000, s, 80, 1000, 0, SYN, NULL);
    tcp4(100.1, s, 80, c, 40000, 5000, 1001, SYN | ACK, NULL);
    tcp4(100.2, c, 40000, s, 80, 1001, 5001, ACK, NULL);
    tcp4(100.3, c, 40000, s, 80, 1001, 5001, PSH | ACK, "GET / HTTP/1.0\r\n\r\n"); /* 18 */
    tcp4(100.4, s, 80, c, 40000, 5001, 1019, ACK, NULL);
    tcp4(100.5, s, 80, c, 40000, 5001, 1019, PSH | ACK, "HTTP/1.0 200 OK\r\n\r\nhi"); /* 21 */
    tcp4(100.6, c, 40000, s, 80, 1019, 5022, FIN | ACK, NULL);
    tcp4(100.7, s, 80, c, 40000, 5022, 1020, FIN | ACK, NULL);
    tcp4(100.8, c, 40000, s, 80, 1020, 5023, ACK, NULL);
}

static void check_sf(const res *r)
{
    CHECK_EQ_U(r->n, 1);
    CHECK_EQ_U(r->counts.skipped, 0);
    CHECK_EQ_U(r->counts.lines, 9);
    if (r->n < 1) return;
    const vigil_record *rec = &r->rec[0];
    const vigil_conn *c = &rec->u.conn;
    CHECK(rec->type == VIGIL_LOG_CONN);
    CHECK_STR(r->path[0], "conn");
    CHECK_STR(vigil_conn_state_name(c->conn_state), "SF");
    CHECK_STR(r->s1[0], "ShADadFf");
    CHECK_STR(r->s2[0], "http");
    CHECK_STR(r->uid[0], "P1");
    CHECK_STR(fmt(&c->id.orig_h), "10.0.0.1");
    CHECK_STR(fmt(&c->id.resp_h), "192.0.2.7");
    CHECK_EQ_U(c->id.orig_p, 40000);
    CHECK_EQ_U(c->id.resp_p, 80);
    CHECK(c->proto == VIGIL_PROTO_TCP);
    CHECK(c->id.ts > 99.999 && c->id.ts < 100.001);
    CHECK(c->duration > 0.7999 && c->duration < 0.8001);
    CHECK(c->present & VIGIL_CONN_HAS_ORIG_BYTES);
    CHECK_EQ_U(c->orig_bytes, 18);
    CHECK_EQ_U(c->resp_bytes, 21);
    CHECK_EQ_U(c->orig_pkts, 5);
    CHECK_EQ_U(c->resp_pkts, 4);
    CHECK_EQ_U(c->orig_ip_bytes, 4 * 40 + 58);
    CHECK_EQ_U(c->resp_ip_bytes, 3 * 40 + 61);
    CHECK(c->local_orig == VIGIL_UNSET && c->local_resp == VIGIL_UNSET);
    CHECK_EQ_U(rec->line, 1);
}

/* ---- Zeek states ------------------------------------------------------------ */

TEST(pcap_tcp_sf)
{
    cap_begin(1);
    sf_session();
    check_sf(run());
    CHECK(R.open_rc == VIGIL_OK && R.next_rc == VIGIL_OK);
    CHECK_EQ_U(R.diags, 0);
    CHECK_STR(R.non_ip, "0");
}

TEST(pcap_gzip_capture)
{
    /* The same session, gzip-compressed on disk. */
    cap_begin(1);
    sf_session();
    char path[512];
    snprintf(path, sizeof path, "%s/sf.pcap.gz", test_tmpdir());
    gzFile gz = gzopen(path, "wb");
    CHECK(gz != NULL);
    if (!gz) return;
    CHECK(gzwrite(gz, cap.b, (unsigned)cap.n) == (int)cap.n);
    gzclose(gz);
    memset(&R, 0, sizeof R);
    vigil_reader *rd = NULL;
    CHECK(vigil_reader_open(&rd, path, NULL) == VIGIL_OK);
    if (!rd) return;
    CHECK(vigil_reader_format(rd) == VIGIL_FORMAT_PCAP);
    drain(rd, &R);
    vigil_reader_free(rd);
    check_sf(&R);
}

TEST(pcap_gzip_cut_short)
{
    /* A .gz cut in the middle: reported once as a truncated gzip stream,
     * and the flows before the cut still come out. */
    cap_begin(1);
    sf_session();
    for (int i = 0; i < 200; i++)
        udp4(300.0 + i, "10.0.0.1", (uint16_t)(3000 + i), "10.0.0.2", 9, "0123456789abcdef", 16);
    char path[512];
    snprintf(path, sizeof path, "%s/cut.pcap.gz", test_tmpdir());
    gzFile gz = gzopen(path, "wb1");
    CHECK(gz != NULL);
    if (!gz) return;
    gzwrite(gz, cap.b, (unsigned)cap.n);
    gzclose(gz);
    static uint8_t z[1 << 16];
    FILE *fp = fopen(path, "rb");
    size_t zn = fp ? fread(z, 1, sizeof z, fp) : 0;
    if (fp) fclose(fp);
    CHECK(zn > 200);
    memset(&R, 0, sizeof R);
    vigil_reader_opts o;
    memset(&o, 0, sizeof o);
    o.diag = on_diag;
    o.diag_user = &R;
    vigil_reader *rd = NULL;
    CHECK(vigil_reader_open_mem(&rd, "cut.pcap.gz", z, zn * 2 / 3, &o) == VIGIL_OK);
    if (!rd) return;
    drain(rd, &R);
    vigil_reader_free(rd);
    CHECK_EQ_U(R.diags, 1);
    CHECK(R.why[0] == VIGIL_SKIP_TRUNCATED_GZIP);
    CHECK_EQ_U(R.counts.skipped, 1);
    CHECK(R.n >= 2);
    CHECK_EQ_U((uint64_t)R.n, R.counts.lines - 8); /* the TCP flow had 9 packets */
    CHECK_STR(R.s1[0], "ShADadFf");
}

TEST(pcap_tcp_s0)
{
    cap_begin(1);
    tcp4(10.0, "10.0.0.1", 40001, "10.9.9.9", 22, 7, 0, SYN, NULL);
    tcp4(11.0, "10.0.0.1", 40001, "10.9.9.9", 22, 7, 0, SYN, NULL); /* retransmit */
    /* Zeek's tcp_attempt_delay (5 s) ends the attempt: a SYN 9 s later is
     * a second S0 connection. */
    tcp4(19.0, "10.0.0.1", 40001, "10.9.9.9", 22, 7, 0, SYN, NULL);
    res *r = run();
    CHECK_EQ_U(r->n, 2);
    CHECK_EQ_U(r->counts.skipped, 0);
    CHECK_STR(vigil_conn_state_name(r->rec[0].u.conn.conn_state), "S0");
    CHECK_STR(r->s1[0], "S");
    CHECK_EQ_U(r->rec[0].u.conn.orig_pkts, 2);
    CHECK_EQ_U(r->rec[0].u.conn.resp_pkts, 0);
    CHECK_EQ_U(r->rec[0].u.conn.orig_bytes, 0);
    CHECK_STR(vigil_conn_state_name(r->rec[1].u.conn.conn_state), "S0");
    CHECK_EQ_U(r->rec[1].u.conn.orig_pkts, 1);
    /* One packet: zero duration, so (like Zeek) no duration or byte counts. */
    CHECK(!(r->rec[1].u.conn.present & VIGIL_CONN_HAS_DURATION));
    CHECK_STR(r->uid[1], "P2");
}

TEST(pcap_tcp_rej)
{
    cap_begin(1);
    tcp4(10.0, "10.0.0.1", 40002, "10.9.9.9", 23, 7, 0, SYN, NULL);
    tcp4(10.01, "10.9.9.9", 23, "10.0.0.1", 40002, 0, 8, RST | ACK, NULL);
    res *r = run();
    CHECK_EQ_U(r->n, 1);
    CHECK_STR(vigil_conn_state_name(r->rec[0].u.conn.conn_state), "REJ");
    CHECK_STR(r->s1[0], "Sr");
    CHECK_EQ_U(r->rec[0].u.conn.orig_bytes, 0);
    CHECK_EQ_U(r->rec[0].u.conn.resp_bytes, 0);
}

TEST(pcap_tcp_rsto_and_reuse)
{
    const char *c = "10.0.0.1", *s = "10.9.9.9";
    cap_begin(1);
    tcp4(10.0, c, 40003, s, 443, 100, 0, SYN, NULL);
    tcp4(10.1, s, 443, c, 40003, 900, 101, SYN | ACK, NULL);
    tcp4(10.2, c, 40003, s, 443, 101, 901, ACK, NULL);
    tcp4(10.3, c, 40003, s, 443, 101, 901, RST | ACK, NULL);
    /* The same port again a second later: a new connection (port reuse). */
    tcp4(11.3, c, 40003, s, 443, 5000, 0, SYN, NULL);
    res *r = run();
    CHECK_EQ_U(r->n, 2);
    CHECK_STR(vigil_conn_state_name(r->rec[0].u.conn.conn_state), "RSTO");
    CHECK_STR(r->s1[0], "ShAR");
    CHECK_STR(vigil_conn_state_name(r->rec[1].u.conn.conn_state), "S0");
}

TEST(pcap_tcp_synack_first_flips)
{
    /* The SYN was missed: the SYN-ACK's receiver is the originator. */
    cap_begin(1);
    tcp4(10.0, "10.9.9.9", 443, "10.0.0.1", 40004, 900, 101, SYN | ACK, NULL);
    tcp4(10.1, "10.0.0.1", 40004, "10.9.9.9", 443, 101, 901, ACK, NULL);
    res *r = run();
    CHECK_EQ_U(r->n, 1);
    const vigil_conn *c = &r->rec[0].u.conn;
    CHECK_STR(fmt(&c->id.orig_h), "10.0.0.1");
    CHECK_EQ_U(c->id.orig_p, 40004);
    CHECK_EQ_U(c->id.resp_p, 443);
    CHECK_STR(r->s1[0], "^hA");
    CHECK_EQ_U(c->orig_pkts, 1);
    CHECK_EQ_U(c->resp_pkts, 1);
}

/* ---- UDP, DNS, TLS ---------------------------------------------------------- */

/* A DNS query for example.com (type A), or its response with a CNAME and
 * two A answers. */
static size_t dns_msg(uint8_t *m, int response)
{
    static const uint8_t qname[] = { 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0 };
    size_t o = 0;
    wr16(m, 0x1234);
    wr16(m + 2, response ? 0x8180 : 0x0100);
    wr16(m + 4, 1);
    wr16(m + 6, response ? 3 : 0);
    wr16(m + 8, 0);
    wr16(m + 10, 0);
    o = 12;
    memcpy(m + o, qname, sizeof qname);
    o += sizeof qname;
    wr16(m + o, 1);
    wr16(m + o + 2, 1);
    o += 4;
    if (!response) return o;
    /* example.com CNAME www.example.com (pointer to the question name) */
    m[o] = 0xc0; m[o + 1] = 12;
    wr16(m + o + 2, 5); wr16(m + o + 4, 1); wr32(m + o + 6, 300);
    wr16(m + o + 10, 6);
    static const uint8_t www[] = { 3, 'w', 'w', 'w', 0xc0, 12 };
    memcpy(m + o + 12, www, sizeof www);
    size_t cname_at = o + 12;
    o += 12 + sizeof www;
    for (int i = 0; i < 2; i++) {
        m[o] = 0xc0; m[o + 1] = (uint8_t)cname_at;
        wr16(m + o + 2, 1); wr16(m + o + 4, 1); wr32(m + o + 6, 60);
        wr16(m + o + 10, 4);
        uint8_t a[4] = { 93, 184, 216, (uint8_t)(34 + i) };
        memcpy(m + o + 12, a, 4);
        o += 16;
    }
    return o;
}

TEST(pcap_udp_dns_pair)
{
    uint8_t m[512];
    cap_begin(1);
    size_t n = dns_msg(m, 0);
    udp4(50.0, "10.0.0.1", 53001, "10.0.0.53", 53, m, n);
    n = dns_msg(m, 1);
    udp4(50.02, "10.0.0.53", 53, "10.0.0.1", 53001, m, n);
    res *r = run();
    CHECK_EQ_U(r->n, 2);
    CHECK_EQ_U(r->counts.skipped, 0);
    if (r->n < 2) return;
    /* The dns record comes with the response; the conn at the end. */
    const vigil_record *d = &r->rec[0];
    CHECK(d->type == VIGIL_LOG_DNS);
    CHECK_STR(r->path[0], "dns");
    CHECK_STR(r->s1[0], "example.com");
    CHECK_STR(r->s2[0], "www.example.com,93.184.216.34,93.184.216.35");
    CHECK_EQ_U(d->u.dns.qtype, 1);
    CHECK_EQ_U(d->u.dns.rcode, 0);
    CHECK_EQ_U(d->u.dns.trans_id, 0x1234);
    CHECK(d->u.dns.rtt > 0.0199 && d->u.dns.rtt < 0.0201);
    CHECK(d->u.dns.id.ts > 49.999 && d->u.dns.id.ts < 50.001);
    CHECK_STR(r->uid[0], "P1");
    CHECK_STR(fmt(&d->u.dns.id.orig_h), "10.0.0.1");
    CHECK_EQ_U(d->line, 2);
    const vigil_conn *c = &r->rec[1].u.conn;
    CHECK(r->rec[1].type == VIGIL_LOG_CONN);
    CHECK(c->proto == VIGIL_PROTO_UDP);
    CHECK_STR(vigil_conn_state_name(c->conn_state), "SF");
    CHECK_STR(r->s1[1], "Dd");
    CHECK_STR(r->s2[1], "dns");
    CHECK_EQ_U(c->orig_pkts, 1);
    CHECK_EQ_U(c->resp_pkts, 1);
    CHECK_EQ_U(c->orig_bytes, dns_msg(m, 0));
    CHECK_EQ_U(c->resp_bytes, dns_msg(m, 1));
    CHECK_EQ_U(c->orig_ip_bytes, 28 + dns_msg(m, 0));
}

TEST(pcap_udp_idle_timeout_splits)
{
    cap_begin(1);
    udp4(0.0, "10.0.0.1", 5000, "10.0.0.2", 6000, "a", 1);
    udp4(10.0, "10.0.0.2", 6000, "10.0.0.1", 5000, "b", 1);
    udp4(100.0, "10.0.0.1", 5000, "10.0.0.2", 6000, "c", 1); /* > 60 s later */
    res *r = run();
    CHECK_EQ_U(r->n, 2);
    CHECK_EQ_U(r->rec[0].u.conn.orig_pkts, 1);
    CHECK_EQ_U(r->rec[0].u.conn.resp_pkts, 1);
    CHECK_STR(vigil_conn_state_name(r->rec[0].u.conn.conn_state), "SF");
    CHECK_EQ_U(r->rec[1].u.conn.orig_pkts, 1);
    CHECK_STR(vigil_conn_state_name(r->rec[1].u.conn.conn_state), "S0");
    CHECK_STR(r->uid[1], "P2");
    CHECK_EQ_U(r->rec[1].line, 3);
    /* The caller's timeout (5 s) splits all three. */
    r = run_idle(5.0);
    CHECK_EQ_U(r->n, 3);
}

/* A TLS 1.2-style ClientHello with an SNI extension for `name`. */
static size_t client_hello(uint8_t *p, const char *name)
{
    size_t nl = strlen(name), o = 0;
    uint8_t body[512];
    size_t b = 0;
    body[b++] = 3; body[b++] = 3;            /* client version */
    memset(body + b, 0x11, 32); b += 32;     /* random */
    body[b++] = 0;                           /* session id */
    wr16(body + b, 2); b += 2; wr16(body + b, 0x1301); b += 2; /* suites */
    body[b++] = 1; body[b++] = 0;            /* compression */
    size_t ext_len_at = b; b += 2;
    wr16(body + b, 0x000a); wr16(body + b + 2, 2); wr16(body + b + 4, 0); b += 6; /* other ext */
    wr16(body + b, 0); wr16(body + b + 2, (uint16_t)(nl + 5)); b += 4; /* server_name */
    wr16(body + b, (uint16_t)(nl + 3)); body[b + 2] = 0; wr16(body + b + 3, (uint16_t)nl); b += 5;
    memcpy(body + b, name, nl); b += nl;
    wr16(body + ext_len_at, (uint16_t)(b - ext_len_at - 2));
    p[o++] = 0x16; p[o++] = 3; p[o++] = 1;
    wr16(p + o, (uint16_t)(b + 4)); o += 2;
    p[o++] = 1;
    p[o++] = 0; wr16(p + o, (uint16_t)b); o += 2;
    memcpy(p + o, body, b);
    return o + b;
}

TEST(pcap_tls_sni)
{
    const char *c = "10.0.0.1", *s = "10.9.9.9";
    uint8_t hello[600];
    size_t hn = client_hello(hello, "c2.example.net");
    hello[hn] = 0;
    cap_begin(1);
    tcp4(10.0, c, 40010, s, 8443, 100, 0, SYN, NULL);
    tcp4(10.1, s, 8443, c, 40010, 900, 101, SYN | ACK, NULL);
    tcp4(10.2, c, 40010, s, 8443, 101, 901, ACK, NULL);
    /* The hello has NUL bytes: build the packet by hand. */
    uint8_t f[1600];
    size_t o = eth(f, 0x0800, 0);
    o += ipv4(f + o, c, s, 6, 20 + hn);
    o += tcph(f + o, 40010, 8443, 101, 901, PSH | ACK, hello, hn);
    cap_packet(10.3, f, o);
    res *r = run();
    CHECK_EQ_U(r->n, 2);
    if (r->n < 2) return;
    CHECK(r->rec[0].type == VIGIL_LOG_SSL);
    CHECK_STR(r->path[0], "ssl");
    CHECK_STR(r->s1[0], "c2.example.net");
    CHECK_STR(r->uid[0], "P1");
    CHECK_EQ_U(r->rec[0].u.ssl.id.resp_p, 8443);
    CHECK_EQ_U(r->rec[0].line, 4);
    CHECK(r->rec[1].type == VIGIL_LOG_CONN);
    CHECK_STR(r->s2[1], "ssl");
    CHECK_STR(vigil_conn_state_name(r->rec[1].u.conn.conn_state), "S1");
    CHECK_EQ_U(r->rec[1].u.conn.orig_bytes, hn);
}

/* ---- link layers and IPv6 ----------------------------------------------- */

TEST(pcap_vlan_tags)
{
    uint8_t f[200];
    cap_begin(1);
    for (int vlans = 1; vlans <= 2; vlans++) {
        size_t o = eth(f, 0x0800, vlans);
        o += ipv4(f + o, "10.1.1.1", "10.2.2.2", 6, 20);
        o += tcph(f + o, (uint16_t)(1000 + vlans), 80, 1, 0, SYN, NULL, 0);
        cap_packet(1.0 + vlans, f, o);
    }
    res *r = run();
    CHECK_EQ_U(r->n, 2);
    CHECK_EQ_U(r->counts.skipped, 0);
    CHECK_STR(fmt(&r->rec[0].u.conn.id.orig_h), "10.1.1.1");
    CHECK_STR(fmt(&r->rec[1].u.conn.id.resp_h), "10.2.2.2");
    CHECK_EQ_U(r->rec[1].u.conn.id.orig_p, 1002);
}

TEST(pcap_ipv6_ext_header)
{
    uint8_t f[200];
    const char *a = "2001:db8::1", *b = "2001:db8::2";
    cap_begin(1);
    size_t o = eth(f, 0x86dd, 0);
    o += ipv6_hbh(f + o, a, b, 6, 20);
    o += tcph(f + o, 50000, 443, 1, 0, SYN, NULL, 0);
    cap_packet(1.0, f, o);
    o = eth(f, 0x86dd, 0);
    o += ipv6_hbh(f + o, b, a, 6, 20);
    o += tcph(f + o, 443, 50000, 77, 2, SYN | ACK, NULL, 0);
    cap_packet(1.1, f, o);
    res *r = run();
    CHECK_EQ_U(r->n, 1);
    CHECK_EQ_U(r->counts.skipped, 0);
    const vigil_conn *c = &r->rec[0].u.conn;
    CHECK_STR(fmt(&c->id.orig_h), "2001:db8::1");
    CHECK_STR(fmt(&c->id.resp_h), "2001:db8::2");
    CHECK_EQ_U(c->orig_ip_bytes, 40 + 8 + 20);
    CHECK_STR(r->s1[0], "Sh");
    CHECK_STR(vigil_conn_state_name(c->conn_state), "S1");
}

TEST(pcap_raw_and_null_links)
{
    uint8_t f[200];
    /* LINKTYPE_RAW (101): the frame is the IP packet. */
    cap_begin(101);
    size_t o = ipv4(f, "10.0.0.1", "10.0.0.2", 17, 8 + 1);
    o += udph(f + o, 1111, 2222, "x", 1);
    cap_packet(1.0, f, o);
    res *r = run();
    CHECK_EQ_U(r->n, 1);
    CHECK_EQ_U(r->rec[0].u.conn.id.resp_p, 2222);
    /* DLT_NULL (0): a 4-byte host-order family, AF_INET = 2. */
    cap_begin(0);
    f[0] = 2; f[1] = 0; f[2] = 0; f[3] = 0;
    o = 4 + ipv4(f + 4, "10.0.0.1", "10.0.0.2", 17, 8 + 1);
    o += udph(f + o, 1111, 2222, "x", 1);
    cap_packet(1.0, f, o);
    r = run();
    CHECK_EQ_U(r->n, 1);
    CHECK_EQ_U(r->counts.skipped, 0);
    /* Linux cooked capture (113): 16-byte header, protocol at 14. */
    cap_begin(113);
    memset(f, 0, 16);
    wr16(f + 14, 0x0800);
    o = 16 + ipv4(f + 16, "10.0.0.1", "10.0.0.2", 1, 8);
    f[o] = 8; /* ICMP echo request */
    memset(f + o + 1, 0, 7);
    o += 8;
    cap_packet(1.0, f, o);
    f[16 + 20] = 0; /* the echo reply */
    uint8_t g[200];
    memcpy(g, f, 16);
    ipv4(g + 16, "10.0.0.2", "10.0.0.1", 1, 8);
    memcpy(g + 36, f + 36, 8);
    cap_packet(1.5, g, o);
    r = run();
    CHECK_EQ_U(r->n, 1);
    CHECK(r->rec[0].u.conn.proto == VIGIL_PROTO_ICMP);
    CHECK_EQ_U(r->rec[0].u.conn.id.orig_p, 8);
    CHECK_EQ_U(r->rec[0].u.conn.id.resp_p, 0);
    CHECK_EQ_U(r->rec[0].u.conn.resp_pkts, 1);
    CHECK_STR(vigil_conn_state_name(r->rec[0].u.conn.conn_state), "OTH");
}

TEST(pcap_pcapng)
{
    /* Section header, interface description (Ethernet), two enhanced
     * packet blocks: the SYN and the SYN-ACK. */
    cap.n = 0;
    put32le(&cap, 0x0a0d0d0a); put32le(&cap, 28); put32le(&cap, 0x1a2b3c4d);
    put16le(&cap, 1); put16le(&cap, 0); put32le(&cap, 0xffffffff); put32le(&cap, 0xffffffff);
    put32le(&cap, 28);
    put32le(&cap, 1); put32le(&cap, 20); put16le(&cap, 1); put16le(&cap, 0);
    put32le(&cap, 65535); put32le(&cap, 20);
    for (int i = 0; i < 2; i++) {
        uint8_t f[200];
        size_t o = eth(f, 0x0800, 0);
        o += ipv4(f + o, i ? "10.0.0.2" : "10.0.0.1", i ? "10.0.0.1" : "10.0.0.2", 6, 20);
        o += tcph(f + o, i ? 80 : 3333, i ? 3333 : 80, 1, 2, i ? SYN | ACK : SYN, NULL, 0);
        size_t pad = (4 - o % 4) % 4;
        uint64_t us = 1700000000ull * 1000000ull + (uint64_t)i * 250000;
        uint32_t blen = (uint32_t)(32 + o + pad);
        put32le(&cap, 6); put32le(&cap, blen); put32le(&cap, 0);
        put32le(&cap, (uint32_t)(us >> 32)); put32le(&cap, (uint32_t)us);
        put32le(&cap, (uint32_t)o); put32le(&cap, (uint32_t)o);
        put(&cap, f, o);
        uint8_t zero[4] = { 0 };
        put(&cap, zero, pad);
        put32le(&cap, blen);
    }
    res *r = run();
    CHECK(r->open_rc == VIGIL_OK);
    CHECK_EQ_U(r->n, 1);
    CHECK_EQ_U(r->counts.lines, 2);
    if (r->n < 1) return;
    CHECK_STR(r->s1[0], "Sh");
    CHECK(r->rec[0].ts > 1699999999.9 && r->rec[0].ts < 1700000000.1);
    CHECK(r->rec[0].u.conn.duration > 0.2499 && r->rec[0].u.conn.duration < 0.2501);
}

/* ---- bad input -------------------------------------------------------------- */

TEST(pcap_non_ip_is_a_note)
{
    uint8_t f[64];
    cap_begin(1);
    size_t o = eth(f, 0x0806, 0); /* ARP */
    memset(f + o, 0, 28);
    cap_packet(1.0, f, o + 28);
    udp4(2.0, "10.0.0.1", 1, "10.0.0.2", 2, "z", 1);
    res *r = run();
    CHECK_EQ_U(r->n, 1);
    CHECK_EQ_U(r->counts.skipped, 0);
    CHECK_EQ_U(r->counts.lines, 2);
    CHECK_STR(r->non_ip, "1");
}

TEST(pcap_bad_ip_header)
{
    uint8_t f[200];
    cap_begin(1);
    udp4(1.0, "10.0.0.1", 1000, "10.0.0.2", 2000, "a", 1);
    size_t o = eth(f, 0x0800, 0);
    size_t ip = o;
    o += ipv4(f + o, "10.0.0.1", "10.0.0.2", 17, 9);
    o += udph(f + o, 1000, 2000, "b", 1);
    f[ip] = 0x43; /* header length 12 bytes: malformed */
    cap_packet(2.0, f, o);
    o = eth(f, 0x0800, 0);
    o += ipv4(f + o, "10.0.0.1", "10.0.0.2", 6, 20);
    cap_packet(2.5, f, o + 7); /* TCP header cut at 7 bytes */
    udp4(3.0, "10.0.0.2", 2000, "10.0.0.1", 1000, "c", 1);
    res *r = run();
    CHECK_EQ_U(r->n, 1);
    CHECK_EQ_U(r->counts.skipped, 2);
    CHECK_EQ_U(r->counts.by_reason[VIGIL_SKIP_BAD_PACKET], 2);
    CHECK_EQ_U(r->diags, 2);
    CHECK(r->why[0] == VIGIL_SKIP_BAD_PACKET);
    CHECK_EQ_U(r->line[0], 2);
    CHECK_EQ_U(r->line[1], 3);
    CHECK_EQ_U(r->counts.lines, 4);
    CHECK_EQ_U(r->rec[0].u.conn.orig_pkts, 1);
    CHECK_EQ_U(r->rec[0].u.conn.resp_pkts, 1);
}

TEST(pcap_truncated_capture)
{
    cap_begin(1);
    sf_session();                        /* 9 packets, one flow */
    udp4(200.0, "10.0.0.1", 7, "10.0.0.2", 7, "abc", 3);
    udp4(201.0, "10.0.0.3", 7, "10.0.0.4", 7, "abcdef", 6);
    cap.n -= 10;                         /* the 11th packet is cut */
    res *r = run();
    CHECK_EQ_U(r->n, 2);                 /* the TCP flow and the first UDP one */
    CHECK_EQ_U(r->counts.lines, 10);
    CHECK_EQ_U(r->diags, 1);
    CHECK_EQ_U(r->counts.skipped, 1);
    CHECK(r->why[0] == VIGIL_SKIP_TRUNCATED_CAPTURE);
    CHECK_EQ_U(r->line[0], 11);
    CHECK_STR(r->s1[0], "ShADadFf");
    /* Cut inside a record header: the same, once. */
    cap_begin(1);
    udp4(1.0, "10.0.0.1", 7, "10.0.0.2", 7, "abc", 3);
    put32le(&cap, 2);
    r = run();
    CHECK_EQ_U(r->n, 1);
    CHECK_EQ_U(r->diags, 1);
    CHECK(r->why[0] == VIGIL_SKIP_TRUNCATED_CAPTURE);
    CHECK_EQ_U(r->line[0], 2);
}

TEST(pcap_unknown_link_type)
{
    uint8_t f[32] = { 0 };
    cap_begin(147); /* LINKTYPE_USER0 */
    cap_packet(1.0, f, sizeof f);
    cap_packet(2.0, f, sizeof f);
    res *r = run();
    CHECK(r->open_rc == VIGIL_OK);
    CHECK_EQ_U(r->n, 0);
    CHECK_EQ_U(r->counts.lines, 2);
    CHECK_EQ_U(r->counts.by_reason[VIGIL_SKIP_BAD_PACKET], 2);
    CHECK_EQ_U(r->diags, 1);
    CHECK_EQ_U(r->count[0], 2);
}

TEST(pcap_header_only_and_garbage)
{
    cap_begin(1);
    res *r = run();
    CHECK(r->open_rc == VIGIL_OK);
    CHECK_EQ_U(r->n, 0);
    CHECK_EQ_U(r->diags, 0);
    /* pcap magic followed by a cut file header: not a capture. */
    cap.n = 10;
    r = run();
    CHECK(r->open_rc == VIGIL_EFORMAT);
}

/* Many flows: the table grows, slots are recycled after timeouts, and
 * deletions keep every flow findable. */
TEST(pcap_many_flows)
{
    cap_begin(1);
    for (int i = 0; i < 3000; i++) {
        double t = i * 0.1;
        uint16_t port = (uint16_t)(10000 + i);
        udp4(t, "10.0.0.1", port, "10.0.0.2", 9, "q", 1);
        udp4(t + 0.01, "10.0.0.2", 9, "10.0.0.1", port, "r", 1);
        /* A late packet on a flow 40 s old: still the same flow. */
        if (i >= 400) udp4(t + 0.02, "10.0.0.2", 9, "10.0.0.1", (uint16_t)(port - 400), "s", 1);
    }
    memset(&R, 0, sizeof R);
    vigil_reader *rd = NULL;
    CHECK(vigil_reader_open_mem(&rd, "many.pcap", cap.b, cap.n, NULL) == VIGIL_OK);
    if (!rd) return;
    const vigil_record *rec;
    uint64_t n = 0, pkts = 0, bad = 0;
    while (vigil_reader_next(rd, &rec) == VIGIL_OK && rec) {
        n++;
        pkts += rec->u.conn.orig_pkts + rec->u.conn.resp_pkts;
        uint16_t p = rec->u.conn.id.orig_p;
        uint64_t want = (p < 10000 + 2600) ? 3 : 2;
        if (rec->u.conn.orig_pkts + rec->u.conn.resp_pkts != want) bad++;
    }
    CHECK_EQ_U(n, 3000);
    CHECK_EQ_U(bad, 0);
    CHECK_EQ_U(pkts, vigil_reader_counts_get(rd)->lines);
    vigil_reader_free(rd);
}

/* ---- allocation failure ------------------------------------------------------- */

/* Fails every allocation from number `fail_at` on. */
typedef struct failing { int count, fail_at; } failing;
static void *f_malloc(void *u, size_t n) { failing *f = u; return f->count++ >= f->fail_at ? NULL : malloc(n); }
static void *f_realloc(void *u, void *p, size_t n) { failing *f = u; return f->count++ >= f->fail_at ? NULL : realloc(p, n); }
static void f_free(void *u, void *p) { (void)u; free(p); }

TEST(pcap_alloc_failure)
{
    cap_begin(1);
    for (int i = 0; i < 1500; i++) /* enough flows to grow the table */
        udp4(i * 0.001, "10.0.0.1", (uint16_t)(20000 + i), "10.0.0.2", 9, "q", 1);
    int ok = 0, mid_fail = 0;
    for (int k = 0; k < 40 && !ok; k++) {
        failing fl = { 0, k };
        vigil_allocator a = { f_malloc, f_realloc, f_free, &fl };
        vigil_reader_opts o;
        memset(&o, 0, sizeof o);
        o.alloc = &a;
        vigil_reader *rd = NULL;
        vigil_status rc = vigil_reader_open_mem(&rd, "a.pcap", cap.b, cap.n, &o);
        if (rc != VIGIL_OK) {
            CHECK(rc == VIGIL_ENOMEM);
            continue;
        }
        const vigil_record *rec;
        uint64_t n = 0;
        while ((rc = vigil_reader_next(rd, &rec)) == VIGIL_OK && rec) n++;
        CHECK(rc == VIGIL_OK || rc == VIGIL_ENOMEM);
        if (rc == VIGIL_ENOMEM) mid_fail++;
        if (rc == VIGIL_OK) {
            CHECK_EQ_U(n, 1500);
            ok = 1;
        }
        vigil_reader_free(rd);
    }
    CHECK(ok);
    CHECK(mid_fail > 0); /* some runs failed while reading, not only at open */
}

/* ---- real captures ------------------------------------------------------------ */

/* Counts what a real capture gives. */
typedef struct real_counts {
    uint64_t records, conn, dns, ssl;
    uint64_t to_testing_443[2];   /* conns 147.32.80.37 -> 141.193.213.20/.21:443 */
    uint64_t sf_https;            /* those in state SF with service ssl */
    uint64_t dns_testing;         /* dns records with query testing.com */
    uint64_t sni_testing;         /* ssl records with SNI testing.com */
    uint64_t conn_pkts;           /* packets over all conn records */
    vigil_reader_counts c;        /* reader counters */
} real_counts;

static int read_real(const char *rel, real_counts *rc)
{
    char path[512];
    memset(rc, 0, sizeof *rc);
    vigil_reader *rd = NULL;
    if (vigil_reader_open(&rd, test_real_path(rel, path, sizeof path), NULL) != VIGIL_OK) return 0;
    vigil_addr client, srv[2];
    vigil_addr_parse("147.32.80.37", 12, &client);
    vigil_addr_parse("141.193.213.20", 14, &srv[0]);
    vigil_addr_parse("141.193.213.21", 14, &srv[1]);
    const vigil_record *rec;
    while (vigil_reader_next(rd, &rec) == VIGIL_OK && rec) {
        rc->records++;
        if (rec->type == VIGIL_LOG_CONN) {
            const vigil_conn *c = &rec->u.conn;
            rc->conn++;
            rc->conn_pkts += c->orig_pkts + c->resp_pkts;
            for (int i = 0; i < 2; i++)
                if (memcmp(&c->id.orig_h, &client, sizeof client) == 0 &&
                    memcmp(&c->id.resp_h, &srv[i], sizeof client) == 0 && c->id.resp_p == 443) {
                    rc->to_testing_443[i]++;
                    if (c->conn_state == VIGIL_CS_SF && c->service.len == 3 &&
                        memcmp(c->service.p, "ssl", 3) == 0)
                        rc->sf_https++;
                }
        } else if (rec->type == VIGIL_LOG_DNS) {
            rc->dns++;
            if (rec->u.dns.query.len == 11 && memcmp(rec->u.dns.query.p, "testing.com", 11) == 0)
                rc->dns_testing++;
        } else if (rec->type == VIGIL_LOG_SSL) {
            rc->ssl++;
            if (rec->u.ssl.server_name.len == 11 &&
                memcmp(rec->u.ssl.server_name.p, "testing.com", 11) == 0)
                rc->sni_testing++;
        }
    }
    rc->c = *vigil_reader_counts_get(rd);
    vigil_reader_free(rd);
    return 1;
}

/* Expected numbers, established with tshark 4.x (not a test dependency):
 *   packets      `capinfos` / `tshark -r F | wc -l`
 *   TCP conns    `tshark -Y 'tcp.flags.syn==1 && tcp.flags.ack==0'` (one
 *                pure SYN per connection; `-T fields -e tcp.stream | sort -u`
 *                gives the same count), split by ip.dst
 *   UDP conns    `tshark -q -z conv,udp` conversations (all DNS, none idle
 *                longer than 60 s, so one flow each)
 *   DNS          `tshark -Y 'dns.flags.response==1'` (responses; one dns
 *                record each) and `-Y 'dns.qry.name=="testing.com"'`
 *   SNI          `tshark -Y 'tls.handshake.type==1 &&
 *                tls.handshake.extensions_server_name=="testing.com"'`
 *   every TCP stream has a FIN from both sides (`-Y tcp.flags.fin==1`). */
TEST(pcap_real_capture_1)
{
    real_counts rc;
    CHECK(read_real("pcap/test-cc-capture-1.pcap", &rc));
    CHECK_EQ_U(rc.c.skipped, 0);
    CHECK_EQ_U(rc.c.lines, 7931);          /* packets */
    CHECK_EQ_U(rc.conn_pkts, 7931);        /* every packet is in a flow */
    CHECK_EQ_U(rc.conn, 299);              /* 299 pure SYNs, no UDP */
    CHECK_EQ_U(rc.to_testing_443[0], 2);   /* SYNs to 141.193.213.20 */
    CHECK_EQ_U(rc.to_testing_443[1], 297); /* SYNs to 141.193.213.21 */
    CHECK_EQ_U(rc.sf_https, 299);          /* both FINs in every stream */
    CHECK_EQ_U(rc.dns, 0);                 /* the capture filter kept no DNS */
    CHECK_EQ_U(rc.ssl, 299);
    CHECK_EQ_U(rc.sni_testing, 299);       /* ClientHellos with that SNI */
    CHECK_EQ_U(rc.records, 299 + 299);
}

TEST(pcap_real_capture_2)
{
    real_counts rc;
    CHECK(read_real("pcap/test-cc-capture-2.pcap", &rc));
    CHECK_EQ_U(rc.c.skipped, 0);
    CHECK_EQ_U(rc.c.lines, 1084);          /* packets */
    CHECK_EQ_U(rc.conn_pkts, 1084);
    CHECK_EQ_U(rc.conn, 22 + 239);         /* 22 pure SYNs + 239 UDP conversations */
    CHECK_EQ_U(rc.to_testing_443[0], 22);  /* all SYNs go to 141.193.213.20 */
    CHECK_EQ_U(rc.to_testing_443[1], 0);
    CHECK_EQ_U(rc.sf_https, 22);
    CHECK_EQ_U(rc.dns, 248);               /* DNS responses */
    CHECK_EQ_U(rc.dns_testing, 23);        /* 23 AAAA query/response pairs */
    CHECK_EQ_U(rc.ssl, 22);
    CHECK_EQ_U(rc.sni_testing, 22);
    CHECK_EQ_U(rc.records, 261 + 248 + 22);
}
