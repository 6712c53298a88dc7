/* record.h -- the records readers produce: conn, dns, ssl, http, other. */
#ifndef VIGIL_RECORD_H
#define VIGIL_RECORD_H

#include <stddef.h>
#include <stdint.h>
#include <vigil/addr.h>

/* A string borrowed from the reader's buffer: valid until the next
 * vigil_reader_next() call on the same reader.  Not NUL-terminated.  Zeek
 * escapes (\x09) and JSON escapes are already decoded.  len == 0 with
 * p == NULL means unset ('-' or absent); len == 0 with p != NULL means set
 * and empty ('(empty)' or ""). */
typedef struct vigil_str {
    const char *p;
    size_t len;
} vigil_str;

/* Which record family a record belongs to.  Append-only. */
typedef enum vigil_log_type {
    VIGIL_LOG_UNKNOWN = 0, /* the type could not be told */
    VIGIL_LOG_CONN = 1,    /* Zeek conn.log, Suricata flow, pcap flows */
    VIGIL_LOG_DNS = 2,     /* Zeek dns.log, Suricata dns */
    VIGIL_LOG_SSL = 3,     /* Zeek ssl.log, Suricata tls */
    VIGIL_LOG_HTTP = 4,    /* Zeek http.log, Suricata http */
    VIGIL_LOG_OTHER = 5    /* a well-formed log vigil does not model (dhcp,
                              notice, weird, EVE alert...): counted, timed,
                              its fields reachable by name, not interpreted */
} vigil_log_type;

/* "conn", "dns", "ssl", "http", "other", "unknown". */
const char *vigil_log_type_name(vigil_log_type t);

/* Transport protocol, as Zeek's `proto` enum. */
typedef enum vigil_proto {
    VIGIL_PROTO_UNKNOWN = 0,
    VIGIL_PROTO_TCP = 1,
    VIGIL_PROTO_UDP = 2,
    VIGIL_PROTO_ICMP = 3
} vigil_proto;

/* "tcp", "udp", "icmp", "unknown_transport". */
const char *vigil_proto_name(vigil_proto p);

/* Zeek's conn_state values.  Append-only. */
typedef enum vigil_conn_state {
    VIGIL_CS_UNSET = 0,
    VIGIL_CS_S0, VIGIL_CS_S1, VIGIL_CS_SF, VIGIL_CS_REJ, VIGIL_CS_S2,
    VIGIL_CS_S3, VIGIL_CS_RSTO, VIGIL_CS_RSTR, VIGIL_CS_RSTOS0,
    VIGIL_CS_RSTRH, VIGIL_CS_SH, VIGIL_CS_SHR, VIGIL_CS_OTH,
    VIGIL_CS__COUNT
} vigil_conn_state;

/* "S0", "SF", ... ("-" for VIGIL_CS_UNSET). */
const char *vigil_conn_state_name(vigil_conn_state s);

/* A Zeek boolean that may be unset. */
typedef enum vigil_tribool {
    VIGIL_UNSET = -1,
    VIGIL_FALSE = 0,
    VIGIL_TRUE = 1
} vigil_tribool;

/* Bits of vigil_conn.present: which optional numeric fields were set. */
enum {
    VIGIL_CONN_HAS_DURATION = 1u << 0,
    VIGIL_CONN_HAS_ORIG_BYTES = 1u << 1,
    VIGIL_CONN_HAS_RESP_BYTES = 1u << 2,
    VIGIL_CONN_HAS_MISSED_BYTES = 1u << 3,
    VIGIL_CONN_HAS_ORIG_PKTS = 1u << 4,
    VIGIL_CONN_HAS_ORIG_IP_BYTES = 1u << 5,
    VIGIL_CONN_HAS_RESP_PKTS = 1u << 6,
    VIGIL_CONN_HAS_RESP_IP_BYTES = 1u << 7
};

/* Fields every network record has (Zeek's ts, uid and id.*). */
typedef struct vigil_conn_id {
    double ts;            /* seconds since the epoch (or since capture start) */
    vigil_str uid;        /* Zeek uid / Suricata flow_id text; may be unset */
    vigil_addr orig_h;    /* originator (client) address */
    vigil_addr resp_h;    /* responder (server) address */
    uint16_t orig_p;      /* originator port (ICMP: type) */
    uint16_t resp_p;      /* responder port (ICMP: code) */
} vigil_conn_id;

/* One connection summary (Zeek conn.log line). */
typedef struct vigil_conn {
    vigil_conn_id id;         /* ts, uid, addresses, ports */
    uint8_t proto;            /* vigil_proto */
    uint8_t conn_state;       /* vigil_conn_state */
    int8_t local_orig;        /* vigil_tribool */
    int8_t local_resp;        /* vigil_tribool */
    uint32_t present;         /* VIGIL_CONN_HAS_* bits of the fields below */
    double duration;          /* seconds; 0 when unset */
    uint64_t orig_bytes;      /* payload bytes from originator */
    uint64_t resp_bytes;      /* payload bytes from responder */
    uint64_t missed_bytes;    /* bytes Zeek missed (gaps) */
    uint64_t orig_pkts;       /* packets from originator */
    uint64_t orig_ip_bytes;   /* IP-level bytes from originator */
    uint64_t resp_pkts;       /* packets from responder */
    uint64_t resp_ip_bytes;   /* IP-level bytes from responder */
    vigil_str service;        /* detected application protocol(s), e.g. "ssl" */
    vigil_str history;        /* Zeek history letters, e.g. "ShADadFf" */
} vigil_conn;

/* One DNS transaction (Zeek dns.log line). */
typedef struct vigil_dns {
    vigil_conn_id id;
    uint8_t proto;            /* vigil_proto */
    int8_t rejected;          /* vigil_tribool */
    uint16_t qtype;           /* query type number; 0 when unset */
    int32_t rcode;            /* response code; -1 when unset (no answer) */
    int32_t trans_id;         /* transaction id; -1 when unset */
    double rtt;               /* seconds; -1 when unset */
    vigil_str query;          /* queried name */
    vigil_str qtype_name;     /* "A", "TXT", ... */
    vigil_str rcode_name;     /* "NOERROR", "NXDOMAIN", ... */
    vigil_str answers;        /* answers joined by `set_sep` */
    vigil_str ttls;           /* TTLs joined by `set_sep` */
    char set_sep;             /* separator inside answers/ttls (',') */
} vigil_dns;

/* One TLS handshake (Zeek ssl.log line). */
typedef struct vigil_ssl {
    vigil_conn_id id;
    int8_t established;       /* vigil_tribool */
    int8_t resumed;           /* vigil_tribool */
    vigil_str version;        /* "TLSv12", ... */
    vigil_str cipher;
    vigil_str server_name;    /* SNI */
    vigil_str subject;        /* leaf certificate subject, when logged */
    vigil_str issuer;
    vigil_str ja3;            /* JA3 client fingerprint, when logged */
    vigil_str ja3s;
} vigil_ssl;

/* One HTTP request/response (Zeek http.log line). */
typedef struct vigil_http {
    vigil_conn_id id;
    int32_t status_code;      /* -1 when unset */
    uint64_t request_body_len;
    uint64_t response_body_len;
    vigil_str method;
    vigil_str host;           /* Host header */
    vigil_str uri;
    vigil_str referrer;
    vigil_str user_agent;
    vigil_str resp_mime_types;
} vigil_http;

/* A record of any family.  Borrowed from the reader: valid until the next
 * vigil_reader_next() on the same reader; copy or intern what you keep. */
typedef struct vigil_record {
    vigil_log_type type;      /* selects the union member */
    const char *path;         /* the log's own name: "conn", "dhcp",
                                 "flow" (EVE), ... (NUL-terminated) */
    const char *file;         /* file it came from (NUL-terminated) */
    uint64_t line;            /* 1-based line (packet number for pcap) */
    double ts;                /* the record's time (same as id.ts) */
    union {
        vigil_conn conn;
        vigil_dns dns;
        vigil_ssl ssl;
        vigil_http http;
    } u;
} vigil_record;

#endif
