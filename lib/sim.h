/* sim.h -- internals of `vigil simulate`: world, timeline, record emitters.
 *
 * The simulator is a set of modules driven by one timeline:
 *
 *   sim_world.c     the enterprise: hosts, people, internal servers, DHCP,
 *                   joins and absences; writes assets.csv and people.csv
 *   sim_benign.c    benign traffic: browsing, DNS, shared periodic services,
 *                   internal pollers, long-lived sessions, uploads
 *   sim_intrusion.c the Coincheck-shaped intrusion and its truth events
 *   sim_writer.c    Zeek TSV / JSON writers, hourly archive layout, gzip
 *   sim_run.c       the driver: hours on threads (any order), sorting by
 *                   end time, uids; vigil_simulate() itself
 *   sim_rng.c       deterministic counter-based random numbers
 *
 * Determinism and parallelism come from one rule: every random choice is a
 * pure function of (seed, stream, entity, index) through vigil__sim_rand*,
 * never of the order in which things were generated.  So any hour of any
 * day can be generated on any thread, alone, and the bytes are the same.
 *
 * A generator's job for one hour: emit every connection that ENDS inside
 * [hour->t0, hour->t0 + 3600) (Zeek logs a connection when it ends), as
 * vigil__sim_conn values.  The driver sorts them by end time, gives them
 * uids, and writes conn.log plus the dns/ssl/http record each carries.
 * Long connections are emitted by the hour of their end, with their true
 * start, so they also look right across day boundaries. */
#ifndef VIGIL_SIM_H
#define VIGIL_SIM_H

#include <stddef.h>
#include <stdint.h>
#include "internal.h"

/* ---- random numbers (sim_rng.c) ----------------------------------------- */

/* A 64-bit hash of up to four words (a strong mixer: splitmix64 rounds).
 * The basis of every random choice. */
uint64_t vigil__sim_hash(uint64_t seed, uint64_t a, uint64_t b, uint64_t c);
/* Uniform double in [0, 1) from a hash value. */
double vigil__sim_unit(uint64_t h);
/* Named streams keep unrelated choices independent. */
enum {
    VIGIL__SIM_S_WORLD = 1, VIGIL__SIM_S_HOST, VIGIL__SIM_S_BROWSE,
    VIGIL__SIM_S_DNS, VIGIL__SIM_S_PERIODIC, VIGIL__SIM_S_INTERNAL,
    VIGIL__SIM_S_LONG, VIGIL__SIM_S_UPLOAD, VIGIL__SIM_S_C2,
    VIGIL__SIM_S_EXFIL, VIGIL__SIM_S_UID, VIGIL__SIM_S_PORT
};

/* A small sequential generator for loops inside one (entity, hour): seed it
 * from vigil__sim_hash, then draw.  xoshiro-style state, 4 words. */
typedef struct vigil__sim_rng {
    uint64_t s[4];                /* generator state */
} vigil__sim_rng;

void vigil__sim_rng_seed(vigil__sim_rng *r, uint64_t h);
uint64_t vigil__sim_rng_u64(vigil__sim_rng *r);
double vigil__sim_rng_unit(vigil__sim_rng *r);          /* [0, 1) */
double vigil__sim_rng_exp(vigil__sim_rng *r, double mean); /* exponential */
double vigil__sim_rng_normal(vigil__sim_rng *r);        /* N(0, 1) */
/* Log-normal with the given median and sigma (of the log): sizes, durations. */
double vigil__sim_rng_lognormal(vigil__sim_rng *r, double median, double sigma);
/* Index in [0, n) drawn from a Zipf(s) law (rank 0 most likely); uses a
 * table the caller keeps (vigil__sim_zipf_init). */
typedef struct vigil__sim_zipf {
    double *cdf;                  /* cumulative weights, n entries */
    size_t n;                     /* support size */
} vigil__sim_zipf;
vigil_status vigil__sim_zipf_init(vigil__sim_zipf *z, size_t n, double s,
                                  const vigil_allocator *a);
size_t vigil__sim_zipf_draw(const vigil__sim_zipf *z, double u);
void vigil__sim_zipf_free(vigil__sim_zipf *z, const vigil_allocator *a);

/* ---- the world (sim_world.c) --------------------------------------------- */

/* What a host is for. */
typedef enum vigil__sim_role {
    VIGIL__SIM_WORKSTATION = 0,  /* desk PC, fixed address */
    VIGIL__SIM_LAPTOP,           /* moves between DHCP addresses */
    VIGIL__SIM_SERVER,           /* internal server (see server kind) */
    VIGIL__SIM_WALLET_OPS        /* hot-wallet operations workstation */
} vigil__sim_role;

/* Internal server kinds (vigil__sim_host.server). */
typedef enum vigil__sim_server {
    VIGIL__SIM_SRV_NONE = 0,
    VIGIL__SIM_SRV_DNS,          /* internal resolver: every host's DNS */
    VIGIL__SIM_SRV_DC,           /* domain controller (kerberos, ldap) */
    VIGIL__SIM_SRV_MONITOR,      /* monitoring poller (snmp/icmp/https) */
    VIGIL__SIM_SRV_BACKUP,       /* backup server: long-lived sessions */
    VIGIL__SIM_SRV_VPN,          /* VPN concentrator: long-lived sessions */
    VIGIL__SIM_SRV_FILE,         /* file server (smb) */
    VIGIL__SIM_SRV_WALLET        /* hot-wallet signing server */
} vigil__sim_server;

/* One internal host. */
typedef struct vigil__sim_host {
    uint32_t id;                 /* index in world->hosts */
    uint8_t role;                /* vigil__sim_role */
    uint8_t server;              /* vigil__sim_server for SERVER hosts */
    uint16_t dept;               /* index in world->depts */
    int32_t owner;               /* index in world->people, -1 for servers */
    char name[32];               /* hostname, e.g. "ws-fin-0042" */
    vigil_addr addr;             /* address on days without DHCP moves */
    uint16_t join_day;           /* first day the host exists (0-based) */
    int16_t off_from, off_to;    /* days [from, to) switched off; -1 none */
    uint8_t dhcp_moves;          /* laptop: changes address between days */
    uint8_t early_bird;          /* working-hours personality, 0..255 */
} vigil__sim_host;

/* One person in the staff directory. */
typedef struct vigil__sim_person {
    char display[48];            /* "Hanako Sato" */
    char email[64];              /* "hanako.sato@example-corp.jp" */
    uint16_t dept;               /* index in world->depts */
} vigil__sim_person;

/* The world every generator reads (immutable after vigil__sim_world_new). */
typedef struct vigil__sim_world {
    vigil_allocator alloc;       /* owns everything below */
    uint64_t seed;               /* the run's seed */
    int64_t start;               /* epoch seconds of day 0, 00:00 UTC */
    unsigned days;               /* days simulated */
    int tz_offset;               /* seconds east of UTC for office hours
                                    (Tokyo: +32400) */
    const char *domain;          /* the company's mail/DNS domain */
    char **depts;                /* department names */
    size_t ndepts;
    vigil__sim_person *people;   /* staff directory */
    size_t npeople;
    vigil__sim_host *hosts;      /* internal hosts (servers included) */
    size_t nhosts;
    uint32_t resolver[2];        /* host ids of the internal DNS resolvers */
    uint32_t dc;                 /* host id of the domain controller */
    uint32_t monitor;            /* host id of the monitoring poller */
    uint32_t backup;             /* host id of the backup server */
    uint32_t vpn;                /* host id of the VPN concentrator */
    uint32_t wallet_server;      /* host id of the hot-wallet server */
    struct vigil__sim_benign *benign;       /* sim_benign.c's plan (opaque) */
    struct vigil__sim_intrusion *intrusion; /* sim_intrusion.c's plan (opaque) */
} vigil__sim_world;

/* 1 when host h exists and is switched on during `day`. */
int vigil__sim_host_active(const vigil__sim_world *w, const vigil__sim_host *h, unsigned day);
/* The host's address on `day` (laptops may move between days). */
vigil_addr vigil__sim_host_addr(const vigil__sim_world *w, const vigil__sim_host *h, unsigned day);
/* Office activity of host h at epoch time t, in [0, 1]: 0 outside working
 * hours, weekends and holidays; a diurnal curve inside them (lunch dip).
 * Servers return 1. */
double vigil__sim_activity(const vigil__sim_world *w, const vigil__sim_host *h, double t);
/* 1 when `day` is a weekend day or a holiday in the world's calendar. */
int vigil__sim_is_day_off(const vigil__sim_world *w, unsigned day);

/* ---- what generators emit ------------------------------------------------- */

/* Application record attached to a connection (same uid when written). */
typedef enum vigil__sim_app {
    VIGIL__SIM_APP_NONE = 0,
    VIGIL__SIM_APP_DNS,          /* a dns.log record */
    VIGIL__SIM_APP_SSL,          /* an ssl.log record */
    VIGIL__SIM_APP_HTTP          /* an http.log record */
} vigil__sim_app;

/* One connection to be written.  Strings must stay valid until the hour is
 * written: use world/plan tables or vigil__sim_hour_strdup. */
typedef struct vigil__sim_conn {
    double ts;                   /* start (epoch seconds) */
    double duration;             /* seconds; end = ts + duration */
    vigil_addr orig_h, resp_h;   /* originator / responder */
    uint16_t orig_p, resp_p;     /* ports */
    uint8_t proto;               /* vigil_proto */
    uint8_t conn_state;          /* vigil_conn_state */
    uint8_t app;                 /* vigil__sim_app */
    uint8_t local_orig;          /* 1 when orig_h is internal */
    uint8_t local_resp;          /* 1 when resp_h is internal */
    uint16_t truth;              /* 0: benign; else 1 + index of the planted
                                    truth event it belongs to (the driver
                                    counts records per event for truth.json) */
    uint64_t orig_bytes;         /* payload bytes from originator */
    uint64_t resp_bytes;         /* payload bytes from responder */
    uint32_t orig_pkts, resp_pkts; /* packets (ip_bytes derive from these) */
    const char *service;         /* "ssl", "dns", "http" or NULL */
    const char *history;         /* Zeek history letters, consistent with
                                    conn_state (e.g. "ShADadFf" for SF) */
    union {
        struct {
            const char *query;   /* queried name */
            uint16_t qtype;      /* 1 A, 16 TXT, 28 AAAA ... */
            uint8_t rcode;       /* 0 NOERROR, 3 NXDOMAIN */
            const char *answers; /* comma-separated answers, or NULL */
            uint32_t ttl;        /* TTL of the answers */
            double rtt;          /* seconds */
        } dns;
        struct {
            const char *server_name; /* SNI */
            const char *version;     /* "TLSv12", "TLSv13" */
            const char *cipher;
            uint8_t resumed;
        } ssl;
        struct {
            const char *method;  /* "GET", "POST" */
            const char *host;    /* Host header */
            const char *uri;
            const char *user_agent;
            uint16_t status;     /* 200 ... */
            uint64_t request_body_len, response_body_len;
            const char *mime;    /* response MIME type or NULL */
        } http;
    } a;
} vigil__sim_conn;

/* One hour being generated: the generators' output buffer. */
typedef struct vigil__sim_hour vigil__sim_hour;

/* An hour buffer on its own, for tests and for the driver (sim_run.c):
 * generators are called with one, then its connections are sorted and
 * written.  Free with vigil__sim_hour_free. */
vigil_status vigil__sim_hour_new(vigil__sim_hour **out, const vigil__sim_world *w,
                                 unsigned day, unsigned hour);
void vigil__sim_hour_free(vigil__sim_hour *h);
/* The connections emitted so far (borrowed; emission order). */
const vigil__sim_conn *vigil__sim_hour_conns(const vigil__sim_hour *h, size_t *n);
/* Empties the buffer and moves it to another (day, hour), keeping memory. */
void vigil__sim_hour_reset(vigil__sim_hour *h, unsigned day, unsigned hour);

/* The hour's window. */
double vigil__sim_hour_t0(const vigil__sim_hour *h);   /* start, epoch */
unsigned vigil__sim_hour_day(const vigil__sim_hour *h); /* 0-based day */
unsigned vigil__sim_hour_index(const vigil__sim_hour *h); /* 0..23 */
/* Adds one connection (copied).  VIGIL_ENOMEM on failure; a connection that
 * does not end inside the hour is a generator bug (asserted). */
vigil_status vigil__sim_emit(vigil__sim_hour *h, const vigil__sim_conn *c);
/* Copies a string into the hour's arena (freed after the hour is written);
 * NULL on allocation failure. */
const char *vigil__sim_hour_strdup(vigil__sim_hour *h, const char *s);

/* Convenience: fills history/conn_state/packets/service consistently for a
 * normal TCP session (SF, "ShADadFf"), a refused one (REJ, "Sr"), an
 * unanswered one (S0, "S"), or a UDP exchange (SF, "Dd"). */
void vigil__sim_tcp_ok(vigil__sim_conn *c, uint64_t orig_bytes, uint64_t resp_bytes);
void vigil__sim_tcp_rej(vigil__sim_conn *c);
void vigil__sim_tcp_s0(vigil__sim_conn *c);
void vigil__sim_udp(vigil__sim_conn *c, uint64_t orig_bytes, uint64_t resp_bytes);

/* ---- module entry points --------------------------------------------------- */

/* sim_world.c: builds hosts, people, servers, then calls the plans below. */
vigil_status vigil__sim_world_new(vigil__sim_world **out, uint64_t seed, int64_t start,
                                  unsigned days, unsigned nhosts,
                                  const vigil_allocator *alloc);
void vigil__sim_world_free(vigil__sim_world *w);
/* Writes DIR/assets.csv and DIR/people.csv. */
vigil_status vigil__sim_world_write_csv(const vigil__sim_world *w, const char *dir);

/* sim_benign.c: the catalogue of external sites and shared services, and
 * everything benign for one hour. */
vigil_status vigil__sim_benign_plan(vigil__sim_world *w);
void vigil__sim_benign_free(vigil__sim_world *w);
vigil_status vigil__sim_benign_hour(const vigil__sim_world *w, vigil__sim_hour *h);

/* sim_intrusion.c: the intrusion plan (drawn from the seed), its hourly
 * traffic, and truth.json. */
vigil_status vigil__sim_intrusion_plan(vigil__sim_world *w);
void vigil__sim_intrusion_free(vigil__sim_world *w);
vigil_status vigil__sim_intrusion_hour(const vigil__sim_world *w, vigil__sim_hour *h);
/* Number of planted truth events (truth ids are 1..count). */
size_t vigil__sim_truth_count(const vigil__sim_world *w);
/* Writes DIR/truth.json (every planted event: times, hosts, addresses,
 * names, the kind a detector should report); conn_counts[i] is the number
 * of conn records the driver wrote for truth id i + 1 (n entries). */
vigil_status vigil__sim_truth_write(const vigil__sim_world *w, const char *dir,
                                    const uint64_t *conn_counts, size_t n);

/* ---- writers (sim_writer.c) ----------------------------------------------- */

/* Output options. */
typedef struct vigil__sim_out {
    const char *dir;             /* DIR/zeek/YYYY-MM-DD/... */
    int json;                    /* Zeek JSON instead of TSV */
    int gzip;                    /* .log.gz (default) or plain .log */
} vigil__sim_out;

/* Counts of records written. */
typedef struct vigil__sim_counts {
    uint64_t conn, dns, ssl, http; /* records per log */
    uint64_t bytes;                /* bytes written (compressed) */
    uint64_t files;                /* files written */
} vigil__sim_counts;

/* One connection ready to be written (sim_run.c fills these, in end-time
 * order): times in whole microseconds, quantised so that start + duration
 * stays inside the hour, and the Zeek uid. */
typedef struct vigil__sim_row {
    const vigil__sim_conn *c;    /* the connection (borrowed from the hour) */
    int64_t ts_us;               /* start, microseconds since the epoch */
    int64_t dur_us;              /* duration, microseconds (>= 0) */
    char uid[20];                /* "C" + 17 base62 characters, NUL */
} vigil__sim_row;

/* A writer: per-thread buffers and compressor state, reused hour after
 * hour.  `o` is copied (o->dir is borrowed and must outlive the writer). */
typedef struct vigil__sim_writer vigil__sim_writer;
vigil_status vigil__sim_writer_new(vigil__sim_writer **out, const vigil__sim_out *o,
                                   const vigil_allocator *alloc);
void vigil__sim_writer_free(vigil__sim_writer *wr);
/* Writes the hour starting at epoch t0 (a whole hour): conn.log always,
 * dns/ssl/http when any row carries such a record, into
 * o->dir/zeek/YYYY-MM-DD/ (which must exist).  Adds to *counts. */
vigil_status vigil__sim_writer_hour(vigil__sim_writer *wr, const vigil__sim_world *w,
                                    int64_t t0, const vigil__sim_row *rows, size_t n,
                                    vigil__sim_counts *counts);

#endif
