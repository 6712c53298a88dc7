/* finding.h -- the one struct every detector emits, and how it prints. */
#ifndef VIGIL_FINDING_H
#define VIGIL_FINDING_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <vigil/addr.h>
#include <vigil/error.h>

/* What was found.  Append-only; the names (vigil_finding_kind_name) are the
 * stable "kind" values of the JSON Lines interface (DESIGN.md "Findings"). */
typedef enum vigil_finding_kind {
    VIGIL_FIND_BEACON = 1,     /* "beacon": periodic, persistent C2 */
    VIGIL_FIND_LONG_CONN = 2,  /* "long_conn": long cumulative connection time */
    VIGIL_FIND_EXFIL = 3,      /* "exfil": unusually large outbound volume */
    VIGIL_FIND_RARE_DEST = 4,  /* "rare_dest": new, low-prevalence destination
                                  with sustained contact */
    VIGIL_FIND_DNS = 5,        /* "dns": DNS beaconing / tunnelling / DGA */
    VIGIL_FIND_STROBE = 6,     /* "strobe": excessive connections per pair
                                  (incl. refused-connection retry storms) */
    VIGIL_FIND__COUNT
} vigil_finding_kind;

/* "beacon", "long_conn", "exfil", "rare_dest", "dns", "strobe". */
const char *vigil_finding_kind_name(vigil_finding_kind k);

#define VIGIL_FINDING_REASONS 8   /* reasons kept per finding */
#define VIGIL_FINDING_REASON_LEN 160
#define VIGIL_FINDING_NAME_LEN 256
#define VIGIL_FINDING_NAMES 4     /* dst_names kept per finding */
#define VIGIL_FINDING_ORG_LEN 96

/* Whether a finding was reported before (needs the state database). */
typedef enum vigil_finding_status {
    VIGIL_FINDING_UNKNOWN = 0, /* no state: nothing to compare with */
    VIGIL_FINDING_NEW = 1,     /* first reported by this run */
    VIGIL_FINDING_ONGOING = 2  /* reported by an earlier run */
} vigil_finding_status;

/* "new", "ongoing", or NULL for VIGIL_FINDING_UNKNOWN. */
const char *vigil_finding_status_name(vigil_finding_status s);

/* One finding.  Plain data (no pointers): copy it freely. */
typedef struct vigil_finding {
    vigil_finding_kind kind;   /* what */
    double score;              /* [0, 1]; >= 0.5: an analyst should look */
    vigil_addr src;            /* internal host */
    vigil_addr dst;            /* external address (the most used one when
                                  the finding covers a group); all-zero for
                                  findings about a host or a domain */
    char dst_name[VIGIL_FINDING_NAME_LEN]; /* name behind dst (SNI, HTTP
                                  Host, DNS answer) or the domain of a dns
                                  finding; "" when unknown */
    uint32_t dst_count;        /* distinct destination addresses covered
                                  (> 1 for a rotating C2 group) */
    uint16_t dport;            /* destination port (0: several) */
    uint8_t proto;             /* vigil_proto */
    double first_ts, last_ts;  /* evidence span */
    uint64_t conns;            /* connections (or queries) in the evidence */
    double period_s;           /* beacon: the period found; else 0 */
    double jitter;             /* beacon: relative jitter of intervals */
    uint64_t bytes_out;        /* originator bytes in the evidence */
    uint64_t bytes_in;         /* responder bytes in the evidence */
    double duration_s;         /* long_conn: cumulative seconds */
    uint32_t prevalence;       /* internal hosts that talk to dst */
    uint32_t days_present;     /* days with contact */
    /* Destination intelligence (issue 6), filled after detection: */
    char dst_country[3];       /* ISO 3166-1 alpha-2 of dst, "" unknown */
    uint32_t dst_asn;          /* autonomous system number of dst, 0 unknown */
    char dst_org[VIGIL_FINDING_ORG_LEN]; /* the AS's organisation, "" */
    uint32_t ndst_names;       /* dst_names[] entries used */
    char dst_names[VIGIL_FINDING_NAMES][VIGIL_FINDING_NAME_LEN];
                               /* names seen behind dst (SNI, HTTP Host, DNS
                                  answers), most used first */
    double dst_first_seen;     /* first contact of any internal host with dst
                                  (with --state: in all history); 0 unknown */
    uint32_t prevalence_hist;  /* internal hosts that talked to dst in the
                                  state's history (0: no state) */
    vigil_finding_status status; /* new / ongoing (with --state) */
    uint32_t nreasons;         /* reasons[] entries used */
    char reasons[VIGIL_FINDING_REASONS][VIGIL_FINDING_REASON_LEN];
                               /* plain-words evidence for each score
                                  component, e.g. "regular interval (60 s,
                                  jitter 19%)" */
} vigil_finding;

/* Adds a reason (printf-style); silently ignored past the limit. */
void vigil_finding_reason(vigil_finding *f, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* A growable list of findings, owned by the caller once returned. */
typedef struct vigil_findings {
    vigil_finding *v;          /* the findings */
    size_t n;                  /* how many */
    size_t cap;                /* allocated */
} vigil_findings;

/* Appends a copy of f; VIGIL_ENOMEM on failure. */
vigil_status vigil_findings_push(vigil_findings *fs, const vigil_finding *f);
/* Sorts by score, highest first (ties: kind, src, dst, dport: stable). */
void vigil_findings_sort(vigil_findings *fs);
/* Frees the array (the struct itself is the caller's); NULL is a no-op. */
void vigil_findings_free(vigil_findings *fs);

/* Writes s (NUL-terminated, at most `max` bytes) as a JSON string: quotes,
 * backslashes and control characters escaped; bytes >= 0x80 that do not
 * form valid UTF-8 become U+FFFD, so the output is always valid JSON.  The
 * JSON Lines sink's string writer, for other JSON the CLI prints. */
void vigil_json_write_str(FILE *out, const char *s, size_t max);

/* Sinks: they print, never compute.  One finding per line / row. */
vigil_status vigil_finding_write_jsonl(FILE *out, const vigil_finding *f);
vigil_status vigil_finding_write_csv_header(FILE *out);
vigil_status vigil_finding_write_csv(FILE *out, const vigil_finding *f);
/* The human table (sink_table.c): rank, score, kind, src, dst:port/proto,
 * country, AS organisation, best name, conns, period and prevalence in 120
 * columns, the first reason on a line below; with `verbose`, every reason,
 * then a line with the other names, AS number, first seen, history and
 * new/ongoing when known.  Writes the first `top` findings of fs (0: all),
 * in the order they are in. */
vigil_status vigil_findings_write_table(FILE *out, const vigil_findings *fs, size_t top,
                                        int verbose);

#endif
