/* gen_pcap.c -- writes a deterministic synthetic pcap (Ethernet, IPv4/IPv6, TCP/UDP/ICMP flows interleaved) of a given size, for the benchmarks. */
/*
 * Usage: gen_pcap [--seed N] SIZE_MB OUT      (OUT "-" is stdout)
 * Classic pcap (microsecond timestamps, LINKTYPE_ETHERNET, full packets).
 * 2,000 flows are open at any time and their packets interleave, so a
 * reader's flow table works as on a real link: TCP with proper handshakes,
 * sequence/ack numbers, data both ways and FIN/RST teardown (also refused
 * and unanswered SYNs), DNS over UDP, ICMP echo; ~2% of TCP over IPv6.
 * IPv4, TCP and UDP checksums are correct.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t rng_state;

static uint64_t rnd(void)
{
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static uint32_t below(uint32_t n)
{
    return (uint32_t)(((rnd() >> 32) * (uint64_t)n) >> 32);
}

enum { KIND_TCP, KIND_TCP_S0, KIND_TCP_REJ, KIND_DNS, KIND_ICMP };
enum { F_FIN = 1, F_SYN = 2, F_RST = 4, F_PSH = 8, F_ACK = 16 };

/* One open flow and where it is in its script. */
typedef struct flow {
    int kind;
    int v6;
    uint8_t c_ip[16], s_ip[16];  /* client/server addresses (v4 in [0..3]) */
    uint16_t c_port, s_port;
    uint32_t c_seq, s_seq;       /* next sequence number of each side */
    int step;                    /* script position */
    int exchanges;               /* request/response rounds left */
    uint32_t resp_left;          /* response bytes still to send this round */
    int since_ack;               /* server segments since the client's ACK */
} flow;

#define N_FLOWS 2000
#define N_EXTERNAL 50000u

static uint8_t pkt[2048];
static uint8_t obuf[1 << 20];
static size_t olen;
static FILE *out;
static uint64_t written, now_us, packets;

static void flush_out(void)
{
    if (olen && fwrite(obuf, 1, olen, out) != olen) { perror("gen_pcap: write"); exit(1); }
    written += olen;
    olen = 0;
}

static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); } /* host order, as pcap */
static void be16(uint8_t *p, unsigned v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static void be32(uint8_t *p, uint32_t v) { be16(p, v >> 16); be16(p + 2, v & 0xFFFF); }

static uint32_t sum16(const uint8_t *p, size_t n, uint32_t acc)
{
    for (size_t i = 0; i + 1 < n; i += 2) acc += (uint32_t)(p[i] << 8 | p[i + 1]);
    if (n & 1) acc += (uint32_t)p[n - 1] << 8;
    return acc;
}

static unsigned fold(uint32_t acc)
{
    while (acc >> 16) acc = (acc & 0xFFFF) + (acc >> 16);
    return ~acc & 0xFFFF;
}

/* Emits one packet of flow f: from the client when `from_client`, with
 * `proto` (6 tcp, 17 udp, 1/58 icmp), TCP `flags`, and `len` payload bytes. */
static void emit(const flow *f, int from_client, int proto, int flags, uint32_t len)
{
    const uint8_t *src = from_client ? f->c_ip : f->s_ip;
    const uint8_t *dst = from_client ? f->s_ip : f->c_ip;
    unsigned sp = from_client ? f->c_port : f->s_port;
    unsigned dp = from_client ? f->s_port : f->c_port;
    size_t l3 = f->v6 ? 40 : 20;
    size_t l4 = proto == 6 ? 20 : 8;
    size_t n = 14 + l3 + l4 + len;
    uint8_t *ip = pkt + 14, *tp = pkt + 14 + l3;
    uint32_t acc;

    /* Ethernet: the client's NIC and the gateway. */
    static const uint8_t gw[6] = {0x00, 0x00, 0x5e, 0x00, 0x01, 0xfe};
    uint8_t host[6] = {0x00, 0x0c, 0x29, f->c_ip[1], f->c_ip[2], f->c_ip[3]};
    memcpy(pkt, from_client ? gw : host, 6);
    memcpy(pkt + 6, from_client ? host : gw, 6);
    be16(pkt + 12, f->v6 ? 0x86DD : 0x0800);

    memset(tp + l4, 'x', len);
    if (proto == 17 && len >= 12) {           /* a DNS message for port 53 */
        static const uint8_t q[] = {3, 'w', 'w', 'w', 7, 'e', 'x', 'a', 'm', 'p',
                                    'l', 'e', 3, 'c', 'o', 'm', 0, 0, 1, 0, 1};
        static const uint8_t a[] = {0xc0, 12, 0, 1, 0, 1, 0, 0, 0x0e, 0x10, 0, 4,
                                    93, 184, 216, 34};
        uint8_t *d = tp + l4;
        be16(d, f->c_port ^ 0x5a5a);
        be16(d + 2, from_client ? 0x0100 : 0x8180);
        be16(d + 4, 1); be16(d + 6, from_client ? 0 : 1); be16(d + 8, 0); be16(d + 10, 0);
        len = 12;
        memcpy(d + len, q, sizeof q); len += sizeof q;
        if (!from_client) { memcpy(d + len, a, sizeof a); len += sizeof a; }
        n = 14 + l3 + l4 + len;
    }
    if (proto == 6) {
        be16(tp, sp); be16(tp + 2, dp);
        be32(tp + 4, from_client ? f->c_seq : f->s_seq);
        be32(tp + 8, (flags & F_ACK) ? (from_client ? f->s_seq : f->c_seq) : 0);
        tp[12] = 5 << 4; tp[13] = (uint8_t)flags;
        be16(tp + 14, 64240); be16(tp + 16, 0); be16(tp + 18, 0);
    } else if (proto == 17) {
        be16(tp, sp); be16(tp + 2, dp); be16(tp + 4, (unsigned)(8 + len)); be16(tp + 6, 0);
    } else {
        tp[0] = from_client ? 8 : 0; tp[1] = 0; be16(tp + 2, 0);
        be16(tp + 4, f->c_port); be16(tp + 6, f->step);
    }
    if (f->v6) {
        ip[0] = 0x60; ip[1] = 0; ip[2] = 0; ip[3] = 0;
        be16(ip + 4, (unsigned)(l4 + len)); ip[6] = (uint8_t)proto; ip[7] = 64;
        memcpy(ip + 8, src, 16); memcpy(ip + 24, dst, 16);
        acc = sum16(ip + 8, 32, 0) + proto + (uint32_t)(l4 + len);
    } else {
        ip[0] = 0x45; ip[1] = 0; be16(ip + 2, (unsigned)(20 + l4 + len));
        be16(ip + 4, (unsigned)(packets & 0xFFFF)); be16(ip + 6, 0x4000);
        ip[8] = 64; ip[9] = (uint8_t)proto; be16(ip + 10, 0);
        memcpy(ip + 12, src, 4); memcpy(ip + 16, dst, 4);
        be16(ip + 10, fold(sum16(ip, 20, 0)));
        acc = sum16(ip + 12, 8, 0) + proto + (uint32_t)(l4 + len);
    }
    if (proto == 1) acc = 0; /* ICMPv4 has no pseudo-header */
    unsigned ck = fold(sum16(tp, l4 + len, acc));
    if (proto == 17 && ck == 0) ck = 0xFFFF;
    be16(tp + (proto == 6 ? 16 : (proto == 17 ? 6 : 2)), ck);

    now_us += 1 + below(2000);             /* ~1 ms apart: ~1,000 packets/s */
    if (olen + 16 + n > sizeof obuf) flush_out();
    put32(obuf + olen, (uint32_t)(now_us / 1000000));
    put32(obuf + olen + 4, (uint32_t)(now_us % 1000000));
    put32(obuf + olen + 8, (uint32_t)n);
    put32(obuf + olen + 12, (uint32_t)n);
    memcpy(obuf + olen + 16, pkt, n);
    olen += 16 + n;
    packets++;
}

static void external_ip(uint8_t *ip, uint32_t i)
{
    uint64_t h = (uint64_t)(i + 1) * 0x9E3779B97F4A7C15ull;
    uint32_t first = 11 + (uint32_t)((h >> 56) % 212);
    if (first == 127 || first == 172 || first == 192) first++;
    ip[0] = (uint8_t)first; ip[1] = (uint8_t)(h >> 40); ip[2] = (uint8_t)(h >> 32); ip[3] = (uint8_t)(h >> 24);
}

static void new_flow(flow *f)
{
    uint32_t r = below(100);
    memset(f, 0, sizeof *f);
    f->kind = r < 70 ? KIND_TCP : r < 76 ? KIND_TCP_S0 : r < 80 ? KIND_TCP_REJ
            : r < 95 ? KIND_DNS : KIND_ICMP;
    f->v6 = f->kind == KIND_TCP && below(100) < 2;
    f->c_port = (uint16_t)(49152 + below(16384));
    f->c_seq = (uint32_t)rnd();
    f->s_seq = (uint32_t)rnd();
    f->exchanges = 1 + (int)below(4);
    if (f->v6) {
        static const uint8_t pre[8] = {0x20, 0x01, 0x0d, 0xb8, 0, 0x0a, 0, 0};
        memcpy(f->c_ip, pre, 8);
        f->c_ip[14] = (uint8_t)below(8); f->c_ip[15] = (uint8_t)below(250);
        memcpy(f->s_ip, pre, 8);
        f->s_ip[5] = 0xff; f->s_ip[13] = (uint8_t)below(200); f->s_ip[15] = 1;
    } else {
        f->c_ip[0] = 10; f->c_ip[1] = (uint8_t)below(8); f->c_ip[2] = 0; f->c_ip[3] = (uint8_t)(1 + below(250));
        if (f->kind == KIND_DNS) { f->s_ip[0] = 10; f->s_ip[3] = (uint8_t)(2 + below(2)); }
        else external_ip(f->s_ip, below(100) < 50 ? below(200) : below(N_EXTERNAL));
    }
    f->s_port = f->kind == KIND_DNS ? 53 : below(100) < 70 ? 443 : below(100) < 70 ? 80 : (uint16_t)(1024 + below(60000));
}

/* Emits flow f's next packet; returns 0 when the flow is over. */
static int step(flow *f)
{
    int s = f->step++;
    switch (f->kind) {
    case KIND_DNS:
        if (s == 0) { emit(f, 1, 17, 0, 30 + below(30)); return 1; }
        emit(f, 0, 17, 0, 60 + below(200));
        return 0;
    case KIND_ICMP:
        emit(f, s % 2 == 0, 1, 0, 56);
        return s < 7;
    case KIND_TCP_S0:                  /* SYN, retransmitted, never answered */
        emit(f, 1, 6, F_SYN, 0);
        return s < 2;
    case KIND_TCP_REJ:
        if (s == 0) { emit(f, 1, 6, F_SYN, 0); f->c_seq++; return 1; }
        emit(f, 0, 6, F_RST | F_ACK, 0);
        return 0;
    default:
        break;
    }
    /* A full TCP connection. */
    if (s == 0) { emit(f, 1, 6, F_SYN, 0); f->c_seq++; return 1; }
    if (s == 1) { emit(f, 0, 6, F_SYN | F_ACK, 0); f->s_seq++; return 1; }
    if (s == 2) { emit(f, 1, 6, F_ACK, 0); return 1; }
    if (f->exchanges > 0) {
        if (f->resp_left == 0) {                /* a request */
            uint32_t len = 100 + below(600);
            emit(f, 1, 6, F_PSH | F_ACK, len);
            f->c_seq += len;
            f->resp_left = below(100) < 80 ? 200 + below(4000) : below(200000);
            if (f->resp_left == 0) f->resp_left = 1;
            return 1;
        }
        if (f->since_ack >= 2) {               /* the client acknowledges */
            emit(f, 1, 6, F_ACK, 0);
            f->since_ack = 0;
            return 1;
        }
        uint32_t len = f->resp_left > 1448 ? 1448 : f->resp_left;
        emit(f, 0, 6, F_ACK | (len == f->resp_left ? F_PSH : 0), len);
        f->s_seq += len;
        f->resp_left -= len;
        f->since_ack++;
        if (f->resp_left == 0) { f->exchanges--; f->since_ack = 2; }
        return 1;
    }
    /* Teardown: FIN, FIN-ACK, ACK (or a client reset now and then). */
    if (f->since_ack >= 0) {
        f->since_ack = -1;
        if (below(100) < 8) { emit(f, 1, 6, F_RST | F_ACK, 0); return 0; }
        emit(f, 1, 6, F_FIN | F_ACK, 0); f->c_seq++;
        return 1;
    }
    if (f->since_ack == -1) {
        f->since_ack = -2;
        emit(f, 0, 6, F_FIN | F_ACK, 0); f->s_seq++;
        return 1;
    }
    emit(f, 1, 6, F_ACK, 0);
    return 0;
}

int main(int argc, char **argv)
{
    uint64_t seed = 1;
    const char *size_arg = NULL, *path = NULL;
    static flow flows[N_FLOWS];
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc) seed = strtoull(argv[++i], NULL, 10);
        else if (!size_arg) size_arg = argv[i];
        else if (!path) path = argv[i];
        else { path = NULL; break; }
    }
    if (!size_arg || !path) {
        fprintf(stderr, "usage: gen_pcap [--seed N] SIZE_MB OUT\n");
        return 2;
    }
    uint64_t target = (uint64_t)(strtod(size_arg, NULL) * 1048576.0);
    out = strcmp(path, "-") == 0 ? stdout : fopen(path, "wb");
    if (!out) { perror(path); return 1; }
    rng_state = seed * 0x2545F4914F6CDD1Dull + 7;
    now_us = 1515369600ull * 1000000;

    /* Global header: magic, v2.4, tz 0, sigfigs 0, snaplen, Ethernet. */
    uint32_t gh[6] = {0xa1b2c3d4u, 2u | (4u << 16), 0, 0, 65535, 1};
    memcpy(obuf, gh, sizeof gh);
    olen = sizeof gh;

    for (int i = 0; i < N_FLOWS; i++) new_flow(&flows[i]);
    uint64_t nflows = N_FLOWS;
    while (written + olen < target) {
        flow *f = &flows[below(N_FLOWS)];
        if (!step(f)) { new_flow(f); nflows++; }
    }
    flush_out();
    if (out != stdout && fclose(out) != 0) { perror(path); return 1; }
    fprintf(stderr, "gen_pcap: %llu packets, %llu flows started, %llu bytes\n",
            (unsigned long long)packets, (unsigned long long)nflows, (unsigned long long)written);
    return 0;
}
