/* read_pcap.c -- turns pcap/pcapng captures into conn, dns and ssl records.
 *
 * Input: the reader's raw (already decompressed) byte stream, handed to
 * libpcap through a fopencookie(3) FILE, so plain, gzip'd and in-memory
 * captures, pcap and pcapng, all go through pcap_fopen_offline.  libpcap
 * frames the packets; vigil decodes the link, IP and transport headers
 * itself (libpcap has no header decoder) and keeps its own flow table.
 *
 * Output, on the one reader, interleaved:
 *   - VIGIL_LOG_CONN ("conn"): one per flow when it ends: after an idle
 *     timeout noticed at a later packet's time, shortly after a TCP close
 *     (both FINs, or an RST), or at the end of the capture (remaining flows
 *     in start order).  So conn records come in the order flows END, as
 *     Zeek writes conn.log, not in start order.
 *   - VIGIL_LOG_DNS ("dns"): one per DNS response over UDP port 53, right
 *     after the packet that carries it (paired with its query by transaction
 *     id and flow: ts is the query's time, rtt set).  Queries that never get
 *     an answer produce no dns record (their conn record still appears).
 *   - VIGIL_LOG_SSL ("ssl"): one per TLS ClientHello seen as the first
 *     originator payload of a TCP flow (any port), with its SNI.
 *   Within one packet, conn records of flows that timed out before it come
 *   first, then that packet's dns/ssl record.
 *
 * Method: the conn fields follow Zeek's definitions (docs of
 * base/protocols/conn/main.zeek: conn_state, history; Zeek's TCP endpoint
 * state machine: INACTIVE, SYN_SENT, SYN_ACK_SENT, PARTIAL, ESTABLISHED,
 * CLOSED, RESET), re-written here from those definitions.  Timeouts are
 * Zeek's defaults: tcp_inactivity_timeout 300 s, udp/icmp 60 s,
 * tcp_attempt_delay 5 s (an unanswered SYN ends 5 s after it),
 * tcp_close_delay / tcp_reset_delay 5 s, tcp_partial_close_delay 3 s;
 * a nonzero opts->pcap_idle_timeout replaces the inactivity timeouts and
 * caps the others.
 *
 * Packets that are not flows (ARP, LLDP, other IP protocols, non-first
 * fragments) are counted in notes readable with vigil_reader_field():
 * "pcap_non_ip", "pcap_other_ip", "pcap_fragments", "pcap_dns_unparsed",
 * "pcap_link_type".  A malformed IP/TCP/UDP header is VIGIL_SKIP_BAD_PACKET
 * at its packet number; a capture cut inside a packet is reported once as
 * VIGIL_SKIP_TRUNCATED_CAPTURE (or VIGIL_SKIP_TRUNCATED_GZIP when the .gz
 * itself is cut); every flow seen before the cut is still emitted. */
#define _GNU_SOURCE /* fopencookie(3) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pcap/pcap.h>
#include "internal.h"

/* ---- constants ------------------------------------------------------------ */

#define NIL UINT32_MAX           /* "no flow" in indices and links */
#define INITIAL_FLOWS 1024u      /* flow slots allocated at start */

/* Zeek's default timers (seconds). */
#define TCP_INACTIVITY 300.0     /* tcp_inactivity_timeout */
#define UDP_INACTIVITY 60.0      /* udp_inactivity_timeout */
#define ICMP_INACTIVITY 60.0     /* icmp_inactivity_timeout */
#define TCP_ATTEMPT 5.0          /* tcp_attempt_delay: unanswered SYN */
#define TCP_CLOSE 5.0            /* tcp_close_delay and tcp_reset_delay */
#define TCP_PARTIAL_CLOSE 3.0    /* tcp_partial_close_delay: one side closed */

#define SEQ_JUMP (1u << 30)      /* a sequence advance this large is not data */
#define DNS_PENDING 256u         /* DNS queries waiting for their response */

/* Timeout classes: each live flow is on exactly one list, ordered by the
 * time its timer started, so expiry only looks at list heads. */
enum {
    CL_TCP,        /* TCP, inactivity timeout, from the last packet */
    CL_UDP,        /* UDP, inactivity timeout, from the last packet */
    CL_ICMP,       /* ICMP, inactivity timeout, from the last packet */
    CL_ATTEMPT,    /* TCP SYN without answer yet, from the first packet */
    CL_HALF,       /* TCP, one side closed, from the last packet */
    CL_CLOSED,     /* TCP, closed or reset, from the last packet */
    CL__COUNT,
    CL_NONE = 255  /* not on a list (ended, or free) */
};

/* Zeek's TCP endpoint states. */
enum { EP_INACTIVE, EP_SYN_SENT, EP_SYN_ACK_SENT, EP_PARTIAL, EP_ESTABLISHED,
       EP_CLOSED, EP_RESET };

/* Detected application protocols (conn.service). */
enum { SVC_NONE, SVC_DNS, SVC_SSL, SVC_HTTP };
static const char *const svc_names[] = { NULL, "dns", "ssl", "http" };

/* TCP flag bits. */
enum { TH_FIN = 0x01, TH_SYN = 0x02, TH_RST = 0x04, TH_PSH = 0x08,
       TH_ACK = 0x10 };

/* History letters, one bit each per direction (uppercase form). */
static const char hist_letters[] = "SHADFRTQIW";

/* ---- state ---------------------------------------------------------------- */

/* What one side of a flow sent. */
typedef struct pdir {
    uint64_t pkts;        /* packets */
    uint64_t ip_bytes;    /* sum of IP total lengths */
    uint64_t payload;     /* sum of transport payload lengths (retransmissions
                             included) */
    uint64_t seq_span;    /* TCP: highest sequence end minus the initial
                             sequence number (64-bit, survives wraps) */
    uint32_t seq_last;    /* TCP: highest sequence end seen, as on the wire */
    uint8_t seq_init;     /* TCP: seq_last/seq_span are set */
    uint8_t seq_bad;      /* TCP: a wild jump was seen: span not trusted */
    uint8_t fin;          /* TCP: this side sent a FIN */
    uint8_t state;        /* TCP: EP_* endpoint state */
    uint8_t prev_state;   /* TCP: state before the last change */
    uint8_t did_close;    /* TCP: this side's close (FIN/RST) was seen */
    uint16_t hist;        /* history letters already written (bits of
                             hist_letters) */
} pdir;

/* One flow (a would-be conn.log line). */
typedef struct flow {
    vigil_addr addr[2];   /* [0] originator, [1] responder */
    uint16_t port[2];     /* ports in the same order (ICMP: type, and the
                             counterpart type or the code) */
    uint8_t ipproto;      /* IP protocol: 6, 17, 1 or 58 */
    uint8_t cls;          /* CL_* list it is on */
    uint8_t service;      /* SVC_* */
    uint8_t app_checked;  /* first originator payload already inspected */
    uint8_t hist_len;     /* letters in history */
    char history[23];     /* Zeek history so far (not NUL-terminated) */
    uint32_t hash;        /* hash of the 5-tuple (direction-independent) */
    uint32_t prev, next;  /* neighbours on its class list; next also links
                             the free list */
    double first, last;   /* times of the first and last packet */
    uint64_t serial;      /* creation number: uid "P<serial>", tie-break */
    uint64_t first_pkt;   /* packet number of its first packet */
    pdir d[2];            /* [0] sent by the originator, [1] by responder */
} flow;

/* A DNS query waiting for its response. */
typedef struct dns_query {
    uint64_t serial;      /* flow serial; 0 = entry unused */
    double ts;            /* time of the query */
    uint16_t trans_id;    /* DNS transaction id */
} dns_query;

/* The backend's state (r->be_state). */
typedef struct pcap_state {
    vigil_reader *r;      /* the owning reader */
    pcap_t *pcap;         /* libpcap handle (owns the cookie FILE) */
    int dlt;              /* link type of the capture */
    int link_ok;          /* 1 when vigil decodes that link type */
    int done;             /* all packets read and all flows queued */
    int io_error;         /* the byte source failed */
    uint64_t pktno;       /* packets read so far (number of the current) */
    double now;           /* time of the current packet */
    double timeout[CL__COUNT]; /* seconds per class */

    flow *flows;          /* flow slots */
    uint32_t flows_cap;   /* slots allocated */
    uint32_t flows_used;  /* slots ever handed out (high-water mark) */
    uint32_t free_head;   /* first recycled slot, NIL when none */
    uint32_t live;        /* flows in the hash table */
    uint64_t serial;      /* last serial handed out */
    uint32_t *slots;      /* open-addressing index: flow number or NIL */
    uint32_t slots_mask;  /* slot count - 1 (a power of two) */
    uint32_t head[CL__COUNT], tail[CL__COUNT]; /* class lists */

    uint32_t *endq;       /* ended flows waiting to be emitted */
    uint32_t endq_n;      /* entries in endq */
    uint32_t endq_pos;    /* next entry to emit */
    uint32_t to_free;     /* flow emitted last call, recycled on the next */

    int app_ready;        /* `app` holds a dns/ssl record to return */
    vigil_log_type app_type; /* its family */
    uint64_t app_line;    /* its packet number */
    vigil_record app;     /* the record (only u and ts are used) */
    dns_query dnsq[DNS_PENDING]; /* pending queries (a ring) */
    uint32_t dnsq_next;   /* next ring slot to overwrite */

    /* Notes (not skips). */
    uint64_t non_ip;      /* link frames that carry no IP (ARP, LLDP...) */
    uint64_t other_ip;    /* IP packets of other protocols (GRE, ESP...) */
    uint64_t fragments;   /* non-first IP fragments (no ports) */
    uint64_t dns_unparsed;/* port-53 payloads that were not DNS */

    /* Buffers the handed-out strings point into. */
    char uid[24];         /* conn record uid */
    char app_uid[24];     /* dns/ssl record uid */
    char qname[256];      /* DNS query name */
    char answers[2048];   /* DNS answers joined by ',' */
    char ttls[1024];      /* DNS TTLs joined by ',' */
    char sni[256];        /* TLS server name */
    char qtype_text[8];   /* DNS qtype when not in the name table */
    char field_buf[32];   /* vigil_reader_field answers */
} pcap_state;

/* A decoded packet (pointers into libpcap's buffer). */
typedef struct pkt {
    vigil_addr src, dst;  /* IP addresses */
    uint16_t sport, dport;/* ports (ICMP: type and counterpart/code) */
    uint8_t ipproto;      /* 6, 17, 1, 58 */
    uint8_t tcp_flags;    /* TCP flags */
    uint32_t seq;         /* TCP sequence number */
    uint32_t ip_len;      /* IP total length */
    uint32_t pay_len;     /* transport payload length (from headers) */
    const uint8_t *pay;   /* captured payload */
    uint32_t pay_cap;     /* captured payload bytes (<= pay_len) */
} pkt;

/* ---- small helpers -------------------------------------------------------- */

static uint16_t be16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void addr_v4(vigil_addr *a, const uint8_t *p)
{
    memset(a->b, 0, 10);
    a->b[10] = a->b[11] = 0xff;
    memcpy(a->b + 12, p, 4);
}

/* The libpcap FILE reads the reader's raw stream through this. */
static ssize_t cookie_read(void *cookie, char *buf, size_t n)
{
    pcap_state *st = cookie;
    long got = vigil__reader_read_raw(st->r, buf, n);
    if (got < 0) {
        st->io_error = 1;
        return -1;
    }
    return (ssize_t)got;
}

/* ---- flow table ------------------------------------------------------------
 * Hand-written open addressing (linear probing, backward-shift deletion):
 * no libpcap or libc facility keeps flows, and a generic map would cost a
 * malloc per flow.  Slots hold flow numbers; flows live in one growable
 * array and are recycled through a free list. */

static uint64_t mix64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return x;
}

static uint64_t end_hash(const vigil_addr *a, uint16_t port)
{
    uint64_t lo, hi;
    memcpy(&lo, a->b, 8);
    memcpy(&hi, a->b + 8, 8);
    return mix64(lo ^ mix64(hi ^ ((uint64_t)port << 1 | 1)));
}

/* The same for both directions: the two ends' hashes are added. */
static uint32_t tuple_hash(const pkt *p)
{
    uint64_t h = end_hash(&p->src, p->sport) + end_hash(&p->dst, p->dport);
    return (uint32_t)mix64(h ^ p->ipproto);
}

/* Finds the flow of packet p; *dir receives 0 when p comes from its
 * originator, 1 from its responder.  NIL when there is none. */
static uint32_t flow_find(const pcap_state *st, const pkt *p, uint32_t h, int *dir)
{
    for (uint32_t i = h & st->slots_mask;; i = (i + 1) & st->slots_mask) {
        uint32_t fi = st->slots[i];
        if (fi == NIL) return NIL;
        const flow *f = &st->flows[fi];
        if (f->hash != h || f->ipproto != p->ipproto) continue;
        if (f->port[0] == p->sport && f->port[1] == p->dport &&
            memcmp(&f->addr[0], &p->src, sizeof p->src) == 0 &&
            memcmp(&f->addr[1], &p->dst, sizeof p->dst) == 0) {
            *dir = 0;
            return fi;
        }
        if (f->port[0] == p->dport && f->port[1] == p->sport &&
            memcmp(&f->addr[0], &p->dst, sizeof p->dst) == 0 &&
            memcmp(&f->addr[1], &p->src, sizeof p->src) == 0) {
            *dir = 1;
            return fi;
        }
    }
}

static void slot_insert(pcap_state *st, uint32_t fi)
{
    uint32_t i = st->flows[fi].hash & st->slots_mask;
    while (st->slots[i] != NIL) i = (i + 1) & st->slots_mask;
    st->slots[i] = fi;
}

static void slot_remove(pcap_state *st, uint32_t fi)
{
    uint32_t mask = st->slots_mask;
    uint32_t i = st->flows[fi].hash & mask;
    while (st->slots[i] != fi) i = (i + 1) & mask;
    st->slots[i] = NIL;
    /* Shift back later entries whose probe sequence crosses the hole. */
    for (uint32_t j = (i + 1) & mask; st->slots[j] != NIL; j = (j + 1) & mask) {
        uint32_t k = st->flows[st->slots[j]].hash & mask;
        int stays = (j > i) ? (k > i && k <= j) : (k > i || k <= j);
        if (stays) continue;
        st->slots[i] = st->slots[j];
        st->slots[j] = NIL;
        i = j;
    }
}

/* Doubles the index and re-inserts every live flow. */
static vigil_status slots_grow(pcap_state *st)
{
    uint32_t ncap = (st->slots_mask + 1) * 2;
    uint32_t *ns = vigil__malloc(&st->r->alloc, (size_t)ncap * sizeof *ns);
    if (!ns) return VIGIL_ENOMEM;
    memset(ns, 0xff, (size_t)ncap * sizeof *ns);
    uint32_t *old = st->slots;
    uint32_t ocap = st->slots_mask + 1;
    st->slots = ns;
    st->slots_mask = ncap - 1;
    for (uint32_t i = 0; i < ocap; i++)
        if (old[i] != NIL) slot_insert(st, old[i]);
    vigil__free(&st->r->alloc, old);
    return VIGIL_OK;
}

/* A free flow slot (recycled, or from the array, grown geometrically). */
static vigil_status flow_alloc(pcap_state *st, uint32_t *out)
{
    if (st->free_head != NIL) {
        *out = st->free_head;
        st->free_head = st->flows[*out].next;
        return VIGIL_OK;
    }
    if (st->flows_used == st->flows_cap) {
        if (st->flows_cap >= UINT32_MAX / 4) return VIGIL_ENOMEM;
        uint32_t ncap = st->flows_cap * 2;
        flow *nf = vigil__realloc(&st->r->alloc, st->flows, (size_t)ncap * sizeof *nf);
        if (!nf) return VIGIL_ENOMEM;
        st->flows = nf;
        uint32_t *nq = vigil__realloc(&st->r->alloc, st->endq, (size_t)ncap * sizeof *nq);
        if (!nq) return VIGIL_ENOMEM;
        st->endq = nq;
        st->flows_cap = ncap;
    }
    *out = st->flows_used++;
    return VIGIL_OK;
}

static void flow_release(pcap_state *st, uint32_t fi)
{
    st->flows[fi].cls = CL_NONE;
    st->flows[fi].next = st->free_head;
    st->free_head = fi;
}

static void list_unlink(pcap_state *st, uint32_t fi)
{
    flow *f = &st->flows[fi];
    if (f->cls == CL_NONE) return;
    if (f->prev != NIL) st->flows[f->prev].next = f->next;
    else st->head[f->cls] = f->next;
    if (f->next != NIL) st->flows[f->next].prev = f->prev;
    else st->tail[f->cls] = f->prev;
    f->cls = CL_NONE;
}

static void list_append(pcap_state *st, uint32_t fi, uint8_t cls)
{
    flow *f = &st->flows[fi];
    f->cls = cls;
    f->next = NIL;
    f->prev = st->tail[cls];
    if (f->prev != NIL) st->flows[f->prev].next = fi;
    else st->head[cls] = fi;
    st->tail[cls] = fi;
}

/* Takes a flow out of the table and queues its conn record. */
static void flow_end(pcap_state *st, uint32_t fi)
{
    list_unlink(st, fi);
    slot_remove(st, fi);
    st->live--;
    st->endq[st->endq_n++] = fi;
}

/* Ends every flow whose timer ran out by time `now`. */
static void expire(pcap_state *st, double now)
{
    for (int c = 0; c < CL__COUNT; c++) {
        while (st->head[c] != NIL) {
            const flow *f = &st->flows[st->head[c]];
            double since = c == CL_ATTEMPT ? f->first : f->last;
            if (now - since <= st->timeout[c]) break;
            flow_end(st, st->head[c]);
        }
    }
}

/* ---- Zeek semantics ------------------------------------------------------- */

/* Adds history letter `up` (uppercase form) for direction dir, once. */
static void hist_add(flow *f, int dir, char up)
{
    const char *w = strchr(hist_letters, up);
    uint16_t bit = (uint16_t)(1u << (w - hist_letters));
    if (f->d[dir].hist & bit) return;
    f->d[dir].hist |= bit;
    if (f->hist_len < sizeof f->history)
        f->history[f->hist_len++] = dir ? (char)(up | 0x20) : up;
}

static void ep_set(pdir *e, uint8_t s)
{
    e->prev_state = e->state;
    e->state = s;
}

/* Zeek's update_history: one letter per packet kind. */
static void tcp_history(flow *f, int dir, uint8_t fl, uint32_t len, int rxmit)
{
    int bits = !!(fl & TH_SYN) + !!(fl & TH_FIN) + !!(fl & TH_RST);
    if (bits > 1) {
        hist_add(f, dir, (fl & TH_FIN) && (fl & TH_RST) ? 'I' : 'Q');
    } else if (fl & TH_SYN) {
        hist_add(f, dir, (fl & TH_ACK) ? 'H' : 'S');
    } else if (fl & TH_FIN) {
        hist_add(f, dir, 'F');
    } else if (fl & TH_RST) {
        hist_add(f, dir, 'R');
    } else if (len) {
        hist_add(f, dir, 'D');
    } else if (fl & TH_ACK) {
        hist_add(f, dir, 'A');
    }
    if (rxmit) hist_add(f, dir, 'T');
}

/* Tracks the highest sequence end (Zeek's update_last_seq); returns 1 when
 * the packet carries data at or below what was already seen (a
 * retransmission). */
static int tcp_seq(pdir *e, uint8_t fl, uint32_t seq, uint32_t len)
{
    uint32_t end = seq + len + !!(fl & TH_SYN) + !!(fl & TH_FIN);
    if (!e->seq_init) {
        /* Number as if a SYN came just before, so the data counts whole. */
        e->seq_init = 1;
        e->seq_last = (fl & TH_SYN) ? seq : seq - 1;
        e->seq_span = 0;
    }
    int32_t delta = (int32_t)(end - e->seq_last);
    if ((fl & (TH_SYN | TH_RST)) && (delta > (int32_t)SEQ_JUMP || delta < -(int32_t)SEQ_JUMP))
        return 0; /* a SYN/RST with an odd number: not trusted */
    if (e->state == EP_RESET) return 0;
    if (delta > 0) {
        if ((uint32_t)delta >= SEQ_JUMP) {
            e->seq_bad = 1;
            return 0;
        }
        e->seq_span += (uint32_t)delta;
        e->seq_last = end;
        return 0;
    }
    return len > 0;
}

/* Zeek's endpoint state machine, one packet from side `dir`. */
static void tcp_state(flow *f, int dir, uint8_t fl, uint32_t len)
{
    pdir *e = &f->d[dir], *peer = &f->d[!dir];
    switch (e->state) {
    case EP_INACTIVE:
        if (fl & TH_SYN) {
            if (dir == 0) {
                ep_set(e, (fl & TH_ACK) ? EP_SYN_ACK_SENT : EP_SYN_SENT);
            } else {
                if (peer->state == EP_SYN_SENT) ep_set(peer, EP_ESTABLISHED);
                ep_set(e, EP_ESTABLISHED);
            }
        }
        if (fl & TH_FIN) ep_set(e, EP_CLOSED);
        if (fl & TH_RST) ep_set(e, EP_RESET);
        if (e->state == EP_INACTIVE) {
            if (dir == 1 && len == 0 && f->d[0].state == EP_SYN_SENT)
                ; /* an ACK before the SYN-ACK: not a partial connection */
            else if ((fl & TH_ACK) && peer->state == EP_ESTABLISHED)
                ep_set(e, EP_ESTABLISHED); /* missed our SYN, saw theirs */
            else
                ep_set(e, EP_PARTIAL);
        }
        break;
    case EP_SYN_SENT:
    case EP_SYN_ACK_SENT:
        if (fl & TH_FIN) ep_set(e, EP_CLOSED);
        if (fl & TH_RST) ep_set(e, EP_RESET);
        break;
    case EP_ESTABLISHED:
    case EP_PARTIAL:
        if ((fl & TH_SYN) && !(fl & TH_ACK) && e->state == EP_PARTIAL &&
            peer->state == EP_INACTIVE)
            ep_set(e, EP_SYN_SENT);
        if ((fl & TH_FIN) && !(fl & TH_RST)) {
            ep_set(e, EP_CLOSED);
            if (peer->state == EP_RESET && peer->prev_state == EP_CLOSED)
                ep_set(peer, EP_CLOSED); /* FIN then RST was a normal close */
        }
        if (fl & TH_RST) ep_set(e, EP_RESET);
        break;
    case EP_CLOSED:
        if ((fl & TH_RST) && peer->state != EP_CLOSED) ep_set(e, EP_RESET);
        break;
    default:
        break;
    }
}

/* Zeek's RSTOS0 test: history matches ^?S[^HAFGIQ]*R.* */
static int hist_rstos0(const flow *f)
{
    size_t i = 0, n = f->hist_len;
    if (i < n && f->history[i] == '^') i++;
    if (i >= n || f->history[i] != 'S') return 0;
    for (i++; i < n; i++) {
        char c = f->history[i];
        if (c == 'R') return 1;
        if (strchr("HAFGIQ", c)) return 0;
    }
    return 0;
}

static uint64_t tcp_size(const pdir *e)
{
    if (!e->seq_init || e->seq_bad) return e->payload;
    uint64_t s = e->seq_span;
    if (s > 0) s--;                 /* the SYN octet (real or assumed) */
    if (e->fin && s > 0) s--;       /* the FIN octet */
    return s;
}

/* conn_state from Zeek's base/protocols/conn/main.zeek. */
static vigil_conn_state conn_state(const flow *f)
{
    if (f->ipproto == 17) {
        if (f->d[0].pkts) return f->d[1].pkts ? VIGIL_CS_SF : VIGIL_CS_S0;
        return f->d[1].pkts ? VIGIL_CS_SHR : VIGIL_CS_OTH;
    }
    if (f->ipproto != 6) return VIGIL_CS_OTH;
    uint8_t os = f->d[0].state, rs = f->d[1].state;
    int o_inactive = os == EP_INACTIVE || os == EP_PARTIAL;
    int r_inactive = rs == EP_INACTIVE || rs == EP_PARTIAL;
    if (rs == EP_RESET) {
        if (os == EP_SYN_SENT || os == EP_SYN_ACK_SENT ||
            (os == EP_RESET && tcp_size(&f->d[0]) == 0 && tcp_size(&f->d[1]) == 0))
            return VIGIL_CS_REJ;
        return o_inactive ? VIGIL_CS_RSTRH : VIGIL_CS_RSTR;
    }
    if (os == EP_RESET) {
        if (r_inactive) return hist_rstos0(f) ? VIGIL_CS_RSTOS0 : VIGIL_CS_OTH;
        return VIGIL_CS_RSTO;
    }
    if (rs == EP_CLOSED && os == EP_CLOSED) return VIGIL_CS_SF;
    if (os == EP_CLOSED) return r_inactive ? VIGIL_CS_SH : VIGIL_CS_S2;
    if (rs == EP_CLOSED) return o_inactive ? VIGIL_CS_SHR : VIGIL_CS_S3;
    if (os == EP_SYN_SENT && rs == EP_INACTIVE) return VIGIL_CS_S0;
    if (os == EP_ESTABLISHED && rs == EP_ESTABLISHED) return VIGIL_CS_S1;
    return VIGIL_CS_OTH;
}

/* The timeout class a TCP flow belongs on after a packet. */
static uint8_t tcp_class(flow *f)
{
    pdir *o = &f->d[0], *p = &f->d[1];
    for (int i = 0; i < 2; i++) {
        pdir *e = &f->d[i];
        if (!e->did_close && (e->state == EP_CLOSED || e->state == EP_RESET))
            e->did_close = 1;
    }
    if (o->state == EP_RESET || p->state == EP_RESET || (o->did_close && p->did_close))
        return CL_CLOSED;
    if (o->did_close || p->did_close) {
        /* Half-open attempts that were closed are complete at once. */
        if ((o->did_close && p->state == EP_INACTIVE) ||
            (p->did_close && o->state == EP_INACTIVE))
            return CL_CLOSED;
        return CL_HALF;
    }
    if ((o->state == EP_SYN_SENT || o->state == EP_SYN_ACK_SENT) && p->state == EP_INACTIVE)
        return CL_ATTEMPT;
    return CL_TCP;
}

/* ---- application sniffing (hand-written: libpcap does no parsing) --------- */

/* Decodes the DNS name at `off` in message m[0..n) into out (dotted, at
 * most cap-1 bytes kept), following compression pointers.  Returns the
 * offset just after the name where it started, or 0 when malformed. */
static size_t dns_name(const uint8_t *m, size_t n, size_t off, char *out,
                       size_t cap, size_t *outlen)
{
    size_t pos = off, after = 0, o = 0;
    int hops = 0;
    for (;;) {
        if (pos >= n) return 0;
        uint8_t l = m[pos];
        if (l == 0) {
            if (!after) after = pos + 1;
            break;
        }
        if ((l & 0xc0) == 0xc0) {
            if (pos + 1 >= n || ++hops > 32) return 0;
            if (!after) after = pos + 2;
            pos = (size_t)(l & 0x3f) << 8 | m[pos + 1];
            continue;
        }
        if (l & 0xc0) return 0;
        if (pos + 1 + l > n) return 0;
        if (o && o + 1 < cap) out[o++] = '.';
        for (size_t k = 0; k < l; k++)
            if (o + 1 < cap) out[o++] = (char)m[pos + 1 + k];
        pos += 1 + (size_t)l;
    }
    if (outlen) *outlen = o;
    return after;
}

static const char *qtype_name(uint16_t t)
{
    switch (t) {
    case 1: return "A";       case 2: return "NS";     case 5: return "CNAME";
    case 6: return "SOA";     case 12: return "PTR";   case 15: return "MX";
    case 16: return "TXT";    case 28: return "AAAA";  case 33: return "SRV";
    case 35: return "NAPTR";  case 41: return "OPT";   case 43: return "DS";
    case 46: return "RRSIG";  case 47: return "NSEC";  case 48: return "DNSKEY";
    case 64: return "SVCB";   case 65: return "HTTPS"; case 252: return "AXFR";
    case 255: return "*";
    default: return NULL;
    }
}

static const char *const rcode_names[] = {
    "NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED",
    "YXDOMAIN", "YXRRSET", "NXRRSET", "NOTAUTH", "NOTZONE",
};

static vigil_str str_of(const char *p, size_t n) { vigil_str s = { p, n }; return s; }

/* Appends text to a ','-joined list in buf (cap bytes, *len used); an
 * item that does not fit is left out. */
static void list_add(char *buf, size_t cap, size_t *len, const char *s, size_t n)
{
    size_t need = n + (*len ? 1 : 0);
    if (*len + need > cap) return;
    if (*len) buf[(*len)++] = ',';
    memcpy(buf + *len, s, n);
    *len += n;
}

static void set_id(vigil_conn_id *id, const flow *f, char *uidbuf, size_t cap)
{
    int n = snprintf(uidbuf, cap, "P%llu", (unsigned long long)f->serial);
    id->ts = f->first;
    id->uid = str_of(uidbuf, (size_t)n);
    id->orig_h = f->addr[0];
    id->resp_h = f->addr[1];
    id->orig_p = f->port[0];
    id->resp_p = f->port[1];
}

/* A DNS message on UDP port 53 of flow f.  A query is
 * remembered; a response becomes a dns record.  Returns 1 when it parsed. */
static int dns_packet(pcap_state *st, flow *f, const uint8_t *m, size_t n)
{
    if (n < 12) return 0;
    uint16_t id = be16(m), flags = be16(m + 2);
    uint16_t qd = be16(m + 4), an = be16(m + 6);
    int is_resp = (flags & 0x8000) != 0;
    size_t pos = 12, qlen = 0;
    uint16_t qtype = 0;
    if (qd) {
        pos = dns_name(m, n, pos, st->qname, sizeof st->qname, &qlen);
        if (!pos || pos + 4 > n) return 0;
        qtype = be16(m + pos);
        pos += 4;
        for (uint16_t i = 1; i < qd; i++) { /* rare: skip further questions */
            pos = dns_name(m, n, pos, NULL, 0, NULL);
            if (!pos || pos + 4 > n) return 0;
            pos += 4;
        }
    }
    if (!is_resp) {
        dns_query *q = &st->dnsq[st->dnsq_next];
        st->dnsq_next = (st->dnsq_next + 1) % DNS_PENDING;
        q->serial = f->serial;
        q->ts = st->now;
        q->trans_id = id;
        return 1;
    }
    vigil_dns *d = &st->app.u.dns;
    vigil__record_reset(&st->app, VIGIL_LOG_DNS);
    set_id(&d->id, f, st->app_uid, sizeof st->app_uid);
    d->id.ts = st->now;
    d->proto = VIGIL_PROTO_UDP;
    d->trans_id = id;
    d->rcode = flags & 0x0f;
    if (d->rcode < (int32_t)(sizeof rcode_names / sizeof rcode_names[0]))
        d->rcode_name = str_of(rcode_names[d->rcode], strlen(rcode_names[d->rcode]));
    d->rejected = (d->rcode != 0 && qd == 0) ? VIGIL_TRUE : VIGIL_FALSE;
    for (uint32_t i = 0; i < DNS_PENDING; i++) {
        dns_query *q = &st->dnsq[i];
        if (q->serial == f->serial && q->trans_id == id) {
            d->id.ts = q->ts;
            d->rtt = st->now - q->ts;
            q->serial = 0;
            break;
        }
    }
    if (qd) {
        d->query = str_of(st->qname, qlen);
        d->qtype = qtype;
        const char *tn = qtype_name(qtype);
        if (!tn) {
            snprintf(st->qtype_text, sizeof st->qtype_text, "%u", (unsigned)qtype);
            tn = st->qtype_text;
        }
        d->qtype_name = str_of(tn, strlen(tn));
    }
    size_t alen = 0, tlen = 0;
    for (uint16_t i = 0; i < an; i++) {
        pos = dns_name(m, n, pos, NULL, 0, NULL);
        if (!pos || pos + 10 > n) break;
        uint16_t type = be16(m + pos);
        uint32_t ttl = be32(m + pos + 4);
        uint16_t rdlen = be16(m + pos + 8);
        size_t rd = pos + 10;
        if (rd + rdlen > n) break;
        pos = rd + rdlen;
        char text[256];
        size_t tn = 0;
        if (type == 1 && rdlen == 4) {
            vigil_addr a;
            addr_v4(&a, m + rd);
            vigil_addr_format(&a, text);
            tn = strlen(text);
        } else if (type == 28 && rdlen == 16) {
            vigil_addr a;
            memcpy(a.b, m + rd, 16);
            vigil_addr_format(&a, text);
            tn = strlen(text);
        } else if (type == 5 || type == 12 || type == 2) {
            if (!dns_name(m, n, rd, text, sizeof text, &tn)) continue;
        } else {
            continue;
        }
        size_t before = alen;
        list_add(st->answers, sizeof st->answers, &alen, text, tn);
        if (alen != before) {
            char tt[16];
            int k = snprintf(tt, sizeof tt, "%u", (unsigned)ttl);
            list_add(st->ttls, sizeof st->ttls, &tlen, tt, (size_t)k);
        }
    }
    if (alen) {
        d->answers = str_of(st->answers, alen);
        d->ttls = str_of(st->ttls, tlen);
    }
    st->app.ts = d->id.ts;
    st->app_type = VIGIL_LOG_DNS;
    st->app_line = st->pktno;
    st->app_ready = 1;
    return 1;
}

/* Finds the SNI in a TLS ClientHello at p[0..n).  Returns 1 when p starts
 * a ClientHello (with *name NULL when it has no SNI within the bytes). */
static int tls_client_hello(const uint8_t *p, size_t n, const uint8_t **name, size_t *nlen)
{
    *name = NULL;
    *nlen = 0;
    if (n < 11 || p[0] != 0x16 || p[1] != 3 || p[5] != 1) return 0;
    size_t end = 5 + (size_t)be16(p + 3);
    if (end > n) end = n;   /* the hello may continue in the next segment */
    size_t pos = 9 + 2 + 32; /* handshake header, client version, random */
    if (pos + 1 > end) return 1;
    pos += 1 + (size_t)p[pos];               /* session id */
    if (pos + 2 > end) return 1;
    pos += 2 + (size_t)be16(p + pos);        /* cipher suites */
    if (pos + 1 > end) return 1;
    pos += 1 + (size_t)p[pos];               /* compression methods */
    if (pos + 2 > end) return 1;
    size_t ext_end = pos + 2 + (size_t)be16(p + pos);
    pos += 2;
    if (ext_end > end) ext_end = end;
    while (pos + 4 <= ext_end) {
        uint16_t type = be16(p + pos), len = be16(p + pos + 2);
        pos += 4;
        if (type == 0 && pos + len <= ext_end && len >= 5) {
            /* server_name_list: length, then (type 0 = host_name, length, name) */
            size_t q = pos + 2;
            if (p[q] == 0) {
                size_t hl = be16(p + q + 1);
                if (q + 3 + hl <= pos + len && hl > 0) {
                    *name = p + q + 3;
                    *nlen = hl;
                }
            }
            return 1;
        }
        pos += len;
    }
    return 1;
}

static int is_http_request(const uint8_t *p, size_t n)
{
    static const char *const methods[] = { "GET ", "POST ", "HEAD ", "PUT ",
        "DELETE ", "OPTIONS ", "CONNECT ", "PATCH ", "TRACE " };
    for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++) {
        size_t l = strlen(methods[i]);
        if (n >= l && memcmp(p, methods[i], l) == 0) return 1;
    }
    return 0;
}

/* Looks at the first payload the originator sends on a TCP flow. */
static void tcp_app(pcap_state *st, flow *f, const pkt *p)
{
    const uint8_t *name;
    size_t nlen;
    f->app_checked = 1;
    if (tls_client_hello(p->pay, p->pay_cap, &name, &nlen)) {
        f->service = SVC_SSL;
        vigil_ssl *s = &st->app.u.ssl;
        vigil__record_reset(&st->app, VIGIL_LOG_SSL);
        set_id(&s->id, f, st->app_uid, sizeof st->app_uid);
        s->id.ts = st->now;
        if (name) {
            if (nlen > sizeof st->sni) nlen = sizeof st->sni;
            memcpy(st->sni, name, nlen);
            s->server_name = str_of(st->sni, nlen);
        }
        st->app.ts = st->now;
        st->app_type = VIGIL_LOG_SSL;
        st->app_line = st->pktno;
        st->app_ready = 1;
    } else if (is_http_request(p->pay, p->pay_cap)) {
        f->service = SVC_HTTP;
    }
}

/* ---- packet decoding (hand-written: libpcap frames packets but does not
 * decode headers) ------------------------------------------------------- */

enum { DEC_OK, DEC_NOT_IP, DEC_OTHER_IP, DEC_FRAGMENT, DEC_BAD };

/* Finds the IP header behind the link header.  Returns DEC_OK with *off
 * set, DEC_NOT_IP, or DEC_BAD (with *why) for a cut link header. */
static int decode_link(int dlt, const uint8_t *b, size_t n, size_t *off, const char **why)
{
    uint16_t et;
    switch (dlt) {
    case DLT_EN10MB: {
        if (n < 14) { *why = "truncated Ethernet header"; return DEC_BAD; }
        size_t o = 12;
        et = be16(b + o);
        while (et == 0x8100 || et == 0x88a8 || et == 0x9100) { /* VLAN tags */
            o += 4;
            if (o + 2 > n) { *why = "truncated VLAN tag"; return DEC_BAD; }
            et = be16(b + o);
        }
        *off = o + 2;
        break;
    }
    case DLT_LINUX_SLL:
        if (n < 16) { *why = "truncated Linux cooked header"; return DEC_BAD; }
        et = be16(b + 14);
        *off = 16;
        break;
#ifdef DLT_LINUX_SLL2
    case DLT_LINUX_SLL2:
        if (n < 20) { *why = "truncated Linux cooked v2 header"; return DEC_BAD; }
        et = be16(b);
        *off = 20;
        break;
#endif
    case DLT_NULL:
    case DLT_LOOP: {
        if (n < 4) { *why = "truncated loopback header"; return DEC_BAD; }
        /* The family is in the capturing host's byte order (NULL) or in
         * network order (LOOP): accept either. */
        uint32_t be = be32(b), le = (uint32_t)b[0] | (uint32_t)b[1] << 8 |
                                    (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
        uint32_t fam = (dlt == DLT_LOOP || be < 256) ? be : le;
        *off = 4;
        if (fam == 2) return DEC_OK;
        if (fam == 10 || fam == 24 || fam == 28 || fam == 30) return DEC_OK;
        return DEC_NOT_IP;
    }
    default: /* DLT_RAW, DLT_IPV4, DLT_IPV6 (checked in init) */
        *off = 0;
        return DEC_OK;
    }
    return (et == 0x0800 || et == 0x86dd) ? DEC_OK : DEC_NOT_IP;
}

/* Decodes IP and transport headers at b[0..n) (n captured, `snapped` when
 * the capture kept less than the wire length). */
static int decode_ip(const uint8_t *b, size_t n, int snapped, pkt *p, const char **why)
{
    size_t hl, tot;
    uint8_t proto;
    if (n < 1) { *why = "truncated IP header"; return DEC_BAD; }
    int ver = b[0] >> 4;
    if (ver == 4) {
        if (n < 20) { *why = "truncated IPv4 header"; return DEC_BAD; }
        hl = (size_t)(b[0] & 0x0f) * 4;
        tot = be16(b + 2);
        if (hl < 20) { *why = "IPv4 header length below 20"; return DEC_BAD; }
        if (hl > n) { *why = "truncated IPv4 options"; return DEC_BAD; }
        if (tot == 0) tot = n; /* TSO capture: the NIC fills the length in */
        if (tot < hl) { *why = "IPv4 total length below header length"; return DEC_BAD; }
        if (tot > n && !snapped) { *why = "IPv4 total length beyond the frame"; return DEC_BAD; }
        if (be16(b + 6) & 0x1fff) return DEC_FRAGMENT;
        proto = b[9];
        addr_v4(&p->src, b + 12);
        addr_v4(&p->dst, b + 16);
    } else if (ver == 6) {
        if (n < 40) { *why = "truncated IPv6 header"; return DEC_BAD; }
        size_t plen = be16(b + 4);
        tot = plen ? 40 + plen : n; /* 0: a jumbogram */
        if (tot > n && !snapped) { *why = "IPv6 payload length beyond the frame"; return DEC_BAD; }
        memcpy(p->src.b, b + 8, 16);
        memcpy(p->dst.b, b + 24, 16);
        proto = b[6];
        hl = 40;
        for (int guard = 0; guard < 16; guard++) { /* extension headers */
            if (proto == 0 || proto == 43 || proto == 60 || proto == 135 ||
                proto == 139 || proto == 140) {
                if (hl + 8 > n) { *why = "truncated IPv6 extension header"; return DEC_BAD; }
                proto = b[hl];
                hl += ((size_t)b[hl + 1] + 1) * 8;
            } else if (proto == 44) {
                if (hl + 8 > n) { *why = "truncated IPv6 fragment header"; return DEC_BAD; }
                if (be16(b + hl + 2) & 0xfff8) return DEC_FRAGMENT;
                proto = b[hl];
                hl += 8;
            } else if (proto == 51) {
                if (hl + 8 > n) { *why = "truncated IPv6 AH header"; return DEC_BAD; }
                proto = b[hl];
                hl += ((size_t)b[hl + 1] + 2) * 4;
            } else {
                break;
            }
        }
        if (hl > tot) { *why = "IPv6 extension headers beyond the payload"; return DEC_BAD; }
    } else {
        *why = "IP version neither 4 nor 6";
        return DEC_BAD;
    }
    p->ip_len = (uint32_t)tot;
    p->ipproto = proto;
    size_t cap = (tot < n ? tot : n);      /* captured bytes of this packet */
    const uint8_t *t = b + hl;
    size_t tcap = cap > hl ? cap - hl : 0;  /* captured transport bytes */
    size_t tlen = tot - hl;                 /* transport bytes on the wire */
    size_t th;
    switch (proto) {
    case 6:
        if (tcap < 20) { *why = "truncated TCP header"; return DEC_BAD; }
        th = (size_t)(t[12] >> 4) * 4;
        if (th < 20) { *why = "TCP data offset below 20"; return DEC_BAD; }
        if (th > tlen || th > tcap) { *why = "TCP header beyond the packet"; return DEC_BAD; }
        p->sport = be16(t);
        p->dport = be16(t + 2);
        p->seq = be32(t + 4);
        p->tcp_flags = t[13];
        break;
    case 17: {
        if (tcap < 8) { *why = "truncated UDP header"; return DEC_BAD; }
        size_t ul = be16(t + 4);
        if (ul < 8) { *why = "UDP length below 8"; return DEC_BAD; }
        p->sport = be16(t);
        p->dport = be16(t + 2);
        th = 8;
        if (ul < tlen) tlen = ul;
        break;
    }
    case 1:
    case 58: {
        if (tcap < 4) { *why = "truncated ICMP header"; return DEC_BAD; }
        /* Zeek's ICMP "ports": type, and the counterpart type of a
         * request/reply pair (so both map to one flow), else the code. */
        static const uint8_t pair4[][2] = { {8, 0}, {13, 14}, {15, 16}, {17, 18}, {10, 9} };
        static const uint8_t pair6[][2] = { {128, 129}, {133, 134}, {135, 136}, {130, 131} };
        uint8_t type = t[0];
        uint16_t other = t[1];
        size_t np = proto == 1 ? 5 : 4;
        for (size_t i = 0; i < np; i++) {
            const uint8_t *pr = proto == 1 ? pair4[i] : pair6[i];
            if (type == pr[0]) other = pr[1];
            else if (type == pr[1]) other = pr[0];
        }
        p->sport = type;
        p->dport = other;
        th = tlen < 8 ? tlen : 8;
        break;
    }
    default:
        return DEC_OTHER_IP;
    }
    p->pay_len = (uint32_t)(tlen > th ? tlen - th : 0);
    p->pay = t + th;
    p->pay_cap = (uint32_t)(tcap > th ? tcap - th : 0);
    if (p->pay_cap > p->pay_len) p->pay_cap = p->pay_len; /* Ethernet padding */
    return DEC_OK;
}

/* ---- per packet ----------------------------------------------------------- */

static int well_known_udp(uint16_t port)
{
    return port == 53 || port == 123 || port == 67 || port == 137 ||
           port == 138 || port == 161 || port == 5353 || port == 1900;
}

/* Creates the flow of packet p; *dir receives p's side. */
static vigil_status flow_new(pcap_state *st, const pkt *p, uint32_t h, uint32_t *out, int *dir)
{
    uint32_t fi;
    vigil_status rc = flow_alloc(st, &fi);
    if (rc != VIGIL_OK) return rc;
    if ((st->live + 1) * 2 > st->slots_mask + 1) {
        rc = slots_grow(st);
        if (rc != VIGIL_OK) {
            flow_release(st, fi);
            return rc;
        }
    }
    flow *f = &st->flows[fi];
    memset(f, 0, sizeof *f);
    /* The originator sent the first packet, except a SYN-ACK seen first
     * (its SYN was missed) or a UDP reply from a well-known port: Zeek
     * flips those, and marks the history with '^'. */
    int flip = 0;
    if (p->ipproto == 6)
        flip = (p->tcp_flags & (TH_SYN | TH_ACK)) == (TH_SYN | TH_ACK);
    else if (p->ipproto == 17)
        flip = well_known_udp(p->sport) && !well_known_udp(p->dport);
    f->addr[flip] = p->src;
    f->port[flip] = p->sport;
    f->addr[!flip] = p->dst;
    f->port[!flip] = p->dport;
    if (flip) f->history[f->hist_len++] = '^';
    f->ipproto = p->ipproto;
    f->hash = h;
    f->cls = CL_NONE;
    f->first = f->last = st->now;
    f->serial = ++st->serial;
    f->first_pkt = st->pktno;
    slot_insert(st, fi);
    st->live++;
    *out = fi;
    *dir = flip;
    return VIGIL_OK;
}

static vigil_status packet(pcap_state *st, const struct pcap_pkthdr *h, const uint8_t *data)
{
    vigil_reader *r = st->r;
    size_t off;
    const char *why = NULL;
    pkt p;
    memset(&p, 0, sizeof p);
    int dec = decode_link(st->dlt, data, h->caplen, &off, &why);
    if (dec == DEC_OK)
        dec = decode_ip(data + off, h->caplen - off, h->caplen < h->len, &p, &why);
    switch (dec) {
    case DEC_NOT_IP: st->non_ip++; return VIGIL_OK;
    case DEC_OTHER_IP: st->other_ip++; return VIGIL_OK;
    case DEC_FRAGMENT: st->fragments++; return VIGIL_OK;
    case DEC_BAD:
        vigil__reader_skip(r, VIGIL_SKIP_BAD_PACKET, st->pktno, why);
        return VIGIL_OK;
    default: break;
    }

    uint32_t hash = tuple_hash(&p);
    int dir = 0;
    uint32_t fi = flow_find(st, &p, hash, &dir);
    /* A new SYN on a closed connection is a new connection (port reuse). */
    if (fi != NIL && p.ipproto == 6 && (p.tcp_flags & (TH_SYN | TH_ACK)) == TH_SYN &&
        st->flows[fi].cls == CL_CLOSED) {
        flow_end(st, fi);
        fi = NIL;
    }
    if (fi == NIL) {
        vigil_status rc = flow_new(st, &p, hash, &fi, &dir);
        if (rc != VIGIL_OK) return rc;
    }
    flow *f = &st->flows[fi];
    pdir *e = &f->d[dir];
    e->pkts++;
    e->ip_bytes += p.ip_len;
    e->payload += p.pay_len;
    f->last = st->now;
    uint8_t cls;
    if (p.ipproto == 6) {
        uint8_t fl = p.tcp_flags;
        int rxmit = tcp_seq(e, fl, p.seq, p.pay_len);
        if (fl & TH_FIN) e->fin = 1;
        tcp_history(f, dir, fl, p.pay_len, rxmit && e->pkts > 1);
        tcp_state(f, dir, fl, p.pay_len);
        cls = tcp_class(f);
        if (dir == 0 && !f->app_checked && p.pay_cap > 0 && !(fl & TH_RST))
            tcp_app(st, f, &p);
    } else if (p.ipproto == 17) {
        hist_add(f, dir, 'D');
        cls = CL_UDP;
        if ((p.sport == 53 || p.dport == 53) && p.pay_cap > 0) {
            if (dns_packet(st, f, p.pay, p.pay_cap)) f->service = SVC_DNS;
            else st->dns_unparsed++;
        }
    } else {
        cls = CL_ICMP;
    }
    /* Keep list order = timer start order: the attempt timer runs from the
     * first packet, so a flow stays where it is on that list. */
    if (!(cls == CL_ATTEMPT && f->cls == CL_ATTEMPT)) {
        list_unlink(st, fi);
        list_append(st, fi, cls);
    }
    return VIGIL_OK;
}

/* ---- records -------------------------------------------------------------- */

static void build_conn(pcap_state *st, const flow *f)
{
    vigil_reader *r = st->r;
    vigil__reader_set_log(r, "conn", 4);
    vigil__record_reset(&r->rec, VIGIL_LOG_CONN);
    vigil_conn *c = &r->rec.u.conn;
    set_id(&c->id, f, st->uid, sizeof st->uid);
    r->rec.ts = f->first;
    r->rec.line = f->first_pkt;
    c->proto = f->ipproto == 6 ? VIGIL_PROTO_TCP : f->ipproto == 17 ? VIGIL_PROTO_UDP
                                                                    : VIGIL_PROTO_ICMP;
    c->conn_state = (uint8_t)conn_state(f);
    c->duration = f->last - f->first;
    if (c->duration > 0) {
        /* Zeek logs duration and sizes only when the duration is positive. */
        c->present |= VIGIL_CONN_HAS_DURATION | VIGIL_CONN_HAS_ORIG_BYTES |
                      VIGIL_CONN_HAS_RESP_BYTES;
        if (f->ipproto == 6) {
            c->orig_bytes = tcp_size(&f->d[0]);
            c->resp_bytes = tcp_size(&f->d[1]);
        } else {
            c->orig_bytes = f->d[0].payload;
            c->resp_bytes = f->d[1].payload;
        }
    } else {
        c->duration = 0;
    }
    c->present |= VIGIL_CONN_HAS_ORIG_PKTS | VIGIL_CONN_HAS_ORIG_IP_BYTES |
                  VIGIL_CONN_HAS_RESP_PKTS | VIGIL_CONN_HAS_RESP_IP_BYTES;
    c->orig_pkts = f->d[0].pkts;
    c->orig_ip_bytes = f->d[0].ip_bytes;
    c->resp_pkts = f->d[1].pkts;
    c->resp_ip_bytes = f->d[1].ip_bytes;
    if (f->service) c->service = str_of(svc_names[f->service], strlen(svc_names[f->service]));
    if (f->hist_len) c->history = str_of(f->history, f->hist_len);
}

typedef struct start_key {
    double first;        /* flow start time */
    uint64_t serial;     /* creation order, for ties */
    uint32_t idx;        /* flow number */
} start_key;

static int cmp_start(const void *a, const void *b)
{
    const start_key *x = a, *y = b;
    if (x->first != y->first) return x->first < y->first ? -1 : 1;
    return x->serial < y->serial ? -1 : x->serial > y->serial;
}

/* End of capture: queues every remaining flow, in start order. */
static vigil_status flush_all(pcap_state *st)
{
    uint32_t n = st->live;
    if (n == 0) return VIGIL_OK;
    start_key *k = vigil__malloc(&st->r->alloc, (size_t)n * sizeof *k);
    if (!k) return VIGIL_ENOMEM;
    uint32_t m = 0;
    for (int c = 0; c < CL__COUNT; c++)
        for (uint32_t i = st->head[c]; i != NIL; i = st->flows[i].next)
            k[m++] = (start_key){ st->flows[i].first, st->flows[i].serial, i };
    qsort(k, m, sizeof *k, cmp_start);
    for (uint32_t i = 0; i < m; i++) flow_end(st, k[i].idx);
    vigil__free(&st->r->alloc, k);
    return VIGIL_OK;
}

/* Reports the end of the packets: a cut capture or gzip stream. */
static void report_end(pcap_state *st, int pcap_failed)
{
    vigil_reader *r = st->r;
    if (st->io_error) return; /* vigil_reader_next returns VIGIL_EIO */
    if (!st->link_ok && st->pktno) {
        char msg[96];
        snprintf(msg, sizeof msg, "link type %d (%s) is not decoded", st->dlt,
                 pcap_datalink_val_to_name(st->dlt) ? pcap_datalink_val_to_name(st->dlt) : "?");
        vigil__reader_skip_n(r, VIGIL_SKIP_BAD_PACKET, 1, st->pktno, msg);
    }
    if (r->truncated == 1) {
        r->truncated = 2;
        vigil__reader_skip(r, VIGIL_SKIP_TRUNCATED_GZIP, st->pktno + 1,
                           "compressed capture ends early or is corrupt");
    } else if (pcap_failed) {
        vigil__reader_skip(r, VIGIL_SKIP_TRUNCATED_CAPTURE, st->pktno + 1,
                           pcap_geterr(st->pcap));
    }
}

static vigil_status next(vigil_reader *r, const vigil_record **rec)
{
    pcap_state *st = r->be_state;
    *rec = NULL;
    if (st->to_free != NIL) {
        flow_release(st, st->to_free);
        st->to_free = NIL;
    }
    for (;;) {
        if (st->endq_pos < st->endq_n) {
            uint32_t fi = st->endq[st->endq_pos++];
            build_conn(st, &st->flows[fi]);
            st->to_free = fi;
            *rec = &r->rec;
            return VIGIL_OK;
        }
        st->endq_pos = st->endq_n = 0;
        if (st->app_ready) {
            st->app_ready = 0;
            vigil__reader_set_log(r, st->app_type == VIGIL_LOG_DNS ? "dns" : "ssl", 3);
            r->rec.u = st->app.u;
            r->rec.ts = st->app.ts;
            r->rec.line = st->app_line;
            *rec = &r->rec;
            return VIGIL_OK;
        }
        if (st->done) return VIGIL_OK;

        struct pcap_pkthdr *h;
        const u_char *data;
        int rc = pcap_next_ex(st->pcap, &h, &data);
        if (rc == 1) {
            st->pktno++;
            r->lineno = st->pktno;
            r->counts.lines++;
            st->now = (double)h->ts.tv_sec + (double)h->ts.tv_usec * 1e-9;
            if (!st->link_ok) continue;
            expire(st, st->now);
            vigil_status s = packet(st, h, data);
            if (s != VIGIL_OK) return s;
            continue;
        }
        if (rc == 0) continue; /* live-capture timeout: not for files */
        report_end(st, rc == PCAP_ERROR);
        vigil_status s = flush_all(st);
        if (s != VIGIL_OK) return s;
        st->done = 1;
    }
}

static const char *field(const vigil_reader *r, const char *name, size_t *len)
{
    pcap_state *st = r->be_state;
    long long v;
    if (strcmp(name, "pcap_non_ip") == 0) v = (long long)st->non_ip;
    else if (strcmp(name, "pcap_other_ip") == 0) v = (long long)st->other_ip;
    else if (strcmp(name, "pcap_fragments") == 0) v = (long long)st->fragments;
    else if (strcmp(name, "pcap_dns_unparsed") == 0) v = (long long)st->dns_unparsed;
    else if (strcmp(name, "pcap_link_type") == 0) v = st->dlt;
    else return NULL;
    *len = (size_t)snprintf(st->field_buf, sizeof st->field_buf, "%lld", v);
    return st->field_buf;
}

/* ---- setup ---------------------------------------------------------------- */

static void fini(vigil_reader *r)
{
    pcap_state *st = r->be_state;
    if (!st) return;
    if (st->pcap) pcap_close(st->pcap); /* also closes the cookie FILE */
    vigil__free(&r->alloc, st->flows);
    vigil__free(&r->alloc, st->slots);
    vigil__free(&r->alloc, st->endq);
    vigil__free(&r->alloc, st);
    r->be_state = NULL;
}

static vigil_status init(vigil_reader *r)
{
    vigil_status rc = VIGIL_ENOMEM;
    pcap_state *st = vigil__calloc(&r->alloc, 1, sizeof *st);
    if (!st) return VIGIL_ENOMEM;
    r->be_state = st;
    st->r = r;
    st->to_free = NIL;
    st->free_head = NIL;
    for (int c = 0; c < CL__COUNT; c++) st->head[c] = st->tail[c] = NIL;
    st->flows_cap = INITIAL_FLOWS;
    st->flows = vigil__malloc(&r->alloc, INITIAL_FLOWS * sizeof *st->flows);
    st->endq = vigil__malloc(&r->alloc, INITIAL_FLOWS * sizeof *st->endq);
    st->slots = vigil__malloc(&r->alloc, 2 * INITIAL_FLOWS * sizeof *st->slots);
    if (!st->flows || !st->endq || !st->slots) goto out;
    memset(st->slots, 0xff, 2 * INITIAL_FLOWS * sizeof *st->slots);
    st->slots_mask = 2 * INITIAL_FLOWS - 1;

    double idle = r->pcap_idle_timeout;
    double base[CL__COUNT];
    base[CL_TCP] = TCP_INACTIVITY;
    base[CL_UDP] = UDP_INACTIVITY;
    base[CL_ICMP] = ICMP_INACTIVITY;
    base[CL_ATTEMPT] = TCP_ATTEMPT;
    base[CL_HALF] = TCP_PARTIAL_CLOSE;
    base[CL_CLOSED] = TCP_CLOSE;
    for (int c = 0; c < CL__COUNT; c++) {
        st->timeout[c] = base[c];
        if (idle > 0 && (c <= CL_ICMP || idle < base[c])) st->timeout[c] = idle;
    }

    cookie_io_functions_t io = { .read = cookie_read, .write = NULL, .seek = NULL, .close = NULL };
    FILE *fp = fopencookie(st, "r", io);
    if (!fp) goto out;
    char errbuf[PCAP_ERRBUF_SIZE];
    errbuf[0] = 0;
    st->pcap = pcap_fopen_offline_with_tstamp_precision(fp, PCAP_TSTAMP_PRECISION_NANO, errbuf);
    if (!st->pcap) {
        fclose(fp); /* libpcap leaves the FILE to us when it fails */
        rc = st->io_error ? VIGIL_EIO : VIGIL_EFORMAT;
        goto out;
    }
    st->dlt = pcap_datalink(st->pcap);
    switch (st->dlt) {
    case DLT_EN10MB: case DLT_RAW: case DLT_LINUX_SLL: case DLT_NULL: case DLT_LOOP:
#ifdef DLT_IPV4
    case DLT_IPV4: case DLT_IPV6:
#endif
#ifdef DLT_LINUX_SLL2
    case DLT_LINUX_SLL2:
#endif
        st->link_ok = 1;
        break;
    default:
        st->link_ok = 0;
        break;
    }
    r->rec.type = VIGIL_LOG_CONN;
    return VIGIL_OK;
out:
    fini(r);
    return rc;
}

const vigil__backend vigil__backend_pcap = { VIGIL_FORMAT_PCAP, init, next, field, fini };
