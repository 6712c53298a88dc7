/* agg.h -- aggregates (what one pass over the logs keeps) and the detectors
 * that turn them into findings.
 *
 * Data flows one way (DESIGN.md):
 *
 *   records --> vigil__agg_add (agg_pairs.c: per thread, hot path)
 *           --> vigil__agg_merge / vigil__agg_finish (sort, group, count)
 *           --> views (the plain structs below)
 *           --> detect_*.c (pure functions: view -> findings)
 *
 * Detectors never see the aggregator: they get VIEWS, plain structs of
 * arrays, so a test can build any edge case by hand (two connections,
 * identical timestamps, a month with a week's gap) without reading logs.
 * Each detector file documents its method in docs/detectors/<name>.md. */
#ifndef VIGIL_AGG_H
#define VIGIL_AGG_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <vigil/finding.h>
#include "internal.h"

/* ---- views: what detectors read -------------------------------------------- */

/* One connection as views give it to detectors (the aggregator keeps it
 * encoded in ~8 bytes: agg_impl.h). */
typedef struct vigil__conn_point {
    double ts;                 /* start time */
    uint32_t orig_bytes;       /* originator payload bytes (clamped) */
    uint32_t resp_bytes;       /* responder payload bytes (clamped) */
} vigil__conn_point;

/* The connections between one internal source and one destination group:
 * a (src, dst address, dport, proto) pair, or a (src, name, dport, proto)
 * name group that joins the addresses behind one name (rotating C2). */
typedef struct vigil__pair_view {
    vigil_addr src;            /* internal host */
    vigil_addr dst;            /* the destination address (for a name group:
                                  the one with the most connections) */
    const char *name;          /* SNI / HTTP Host / DNS name, or NULL */
    uint32_t dst_count;        /* distinct addresses (1 for a plain pair) */
    uint16_t dport;            /* destination port */
    uint8_t proto;             /* vigil_proto */
    uint8_t is_group;          /* 1 for a name group */
    const vigil__conn_point *pts; /* connections, sorted by ts */
    size_t n;                  /* number of connections */
    double first_ts, last_ts;  /* span */
    double dur_sum;            /* summed durations (s), closed connections */
    double dur_max;            /* longest single connection (s) */
    double open_dur;           /* seconds of connections still open at the
                                  end of the input (Zeek's partial records /
                                  long sessions), counted in dur_sum too */
    uint64_t bytes_out;        /* summed originator bytes (unclamped) */
    uint64_t bytes_in;         /* summed responder bytes (unclamped) */
    uint32_t n_rej;            /* connections refused (REJ, RSTR/RSTOS0 w/o
                                  data) */
    uint32_t n_s0;             /* connection attempts never answered (S0) */
    uint32_t n_ok;             /* established with data (SF, S1, RSTO...) */
    uint32_t prevalence;       /* distinct internal hosts that talked to dst
                                  (for a group: to the name) */
    uint32_t internal_hosts;   /* internal hosts seen in the whole input (the
                                  denominator of prevalence) */
    double dst_first_seen;     /* first contact of ANY internal host with dst */
    uint32_t days_present;     /* distinct UTC days with a connection */
    uint32_t hours_present;    /* distinct hours with a connection */
    double input_first_ts;     /* span of the whole input (to judge
                                  persistence: present 23 of 24 days) */
    double input_last_ts;
} vigil__pair_view;

/* Outbound volume of one internal host, per UTC day, for exfil. */
typedef struct vigil__host_view {
    vigil_addr host;           /* internal host */
    const uint64_t *bytes_out_by_day; /* index: day since input_first_day */
    size_t ndays;              /* entries */
    double input_first_day;    /* epoch of day 0 (UTC midnight) */
    /* The host's largest single-destination day: where it went. */
    vigil_addr top_dst;        /* destination of the largest transfer */
    const char *top_name;      /* its name, or NULL */
    uint16_t top_dport;
    uint64_t top_bytes;        /* bytes of that (day, destination) */
    double top_day;            /* epoch of that day */
    double top_first_ts, top_last_ts; /* when, within that day */
    uint32_t top_dst_prevalence; /* internal hosts that talk to top_dst */
} vigil__host_view;

/* Peer statistics for exfil: the distribution of per-host-day outbound
 * volume across all internal hosts (medians are robust to the attacker). */
typedef struct vigil__peer_view {
    double median_day_out;     /* median bytes out per active host-day */
    double p99_day_out;        /* 99th percentile */
    double mad_day_out;        /* median absolute deviation */
    uint32_t hosts;            /* internal hosts */
} vigil__peer_view;

/* DNS activity of one internal host under one domain (the registered
 * domain: the label before the public suffix; a heuristic until libpsl). */
typedef struct vigil__dns_view {
    vigil_addr src;            /* the querying host (the resolver is not
                                  blamed: queries seen from a resolver to the
                                  outside are attributed to the resolver) */
    const char *domain;        /* "evil.biz" */
    uint64_t queries;          /* queries under the domain */
    uint64_t unique_names;     /* distinct full names queried */
    uint64_t txt_queries;      /* qtype TXT */
    uint64_t nxdomain;         /* answered NXDOMAIN */
    double mean_label_len;     /* mean length of the leftmost label(s) below
                                  the domain */
    uint32_t max_label_len;    /* longest label */
    double mean_entropy;       /* mean Shannon entropy (bits/char) of those
                                  labels */
    const double *ts;          /* query times, sorted */
    size_t nts;
    uint32_t prevalence;       /* internal hosts querying the domain
                                  (resolvers not counted) */
    uint8_t src_is_resolver;   /* src answers other internal hosts' DNS:
                                  its queries relay theirs */
    double first_ts, last_ts;
} vigil__dns_view;

/* NXDOMAIN burst evidence of one host (DGA): distinct failed names. */
typedef struct vigil__nx_view {
    vigil_addr src;            /* host */
    uint64_t nx_names;         /* distinct NXDOMAIN names overall */
    uint64_t nx_max_window;    /* most distinct NXDOMAIN names in any
                                  5-minute window */
    uint64_t nx_domains;       /* distinct registered domains among them */
    double first_ts, last_ts;
    const char *example;       /* one of the names */
} vigil__nx_view;

/* ---- detectors: pure functions view(s) -> findings ------------------------ */

/* Each appends zero or more findings to `out` (scores in [0,1], reasons in
 * plain words) and returns VIGIL_OK or VIGIL_ENOMEM.  `cfg` may be NULL
 * (defaults). */
typedef struct vigil__detect_cfg {
    double min_score;          /* findings below are not emitted (0.05) */
    uint32_t min_conns;        /* fewest connections a beacon needs (default 4) */
    int has_tz;                /* tz_offset is known (else times are UTC) */
    int tz_offset;             /* seconds east of UTC of the site's local time:
                                  office hours and "at night" are judged in it */
} vigil__detect_cfg;

vigil_status vigil__detect_beacon(const vigil__pair_view *p, const vigil__detect_cfg *cfg,
                                  vigil_findings *out);
vigil_status vigil__detect_longconn(const vigil__pair_view *p, const vigil__detect_cfg *cfg,
                                    vigil_findings *out);
vigil_status vigil__detect_strobe(const vigil__pair_view *p, const vigil__detect_cfg *cfg,
                                  vigil_findings *out);
vigil_status vigil__detect_rare(const vigil__pair_view *p, const vigil__detect_cfg *cfg,
                                vigil_findings *out);
/* Whether the detector could emit anything for the view, judged on the
 * view's head alone (vigil__agg_pair_head: no points): 0 means it would
 * not, so the points need not be decoded.  Each detector starts with the
 * same test. */
int vigil__detect_beacon_applies(const vigil__pair_view *p, const vigil__detect_cfg *cfg);
int vigil__detect_longconn_applies(const vigil__pair_view *p, const vigil__detect_cfg *cfg);
int vigil__detect_strobe_applies(const vigil__pair_view *p, const vigil__detect_cfg *cfg);
int vigil__detect_rare_applies(const vigil__pair_view *p, const vigil__detect_cfg *cfg);
int vigil__detect_dns_applies(const vigil__dns_view *d, const vigil__detect_cfg *cfg);
vigil_status vigil__detect_exfil(const vigil__host_view *h, const vigil__peer_view *peers,
                                 const vigil__detect_cfg *cfg, vigil_findings *out);
vigil_status vigil__detect_dns(const vigil__dns_view *d, const vigil__detect_cfg *cfg,
                               vigil_findings *out);
vigil_status vigil__detect_dga(const vigil__nx_view *x, const vigil__detect_cfg *cfg,
                               vigil_findings *out);

/* Shared helpers for detectors (detect_util.c): a logistic squash of x
 * around `mid` with `scale`, clamped to [0,1]; the median of n doubles
 * (lo/2 + hi/2 of the two middle ones for an even n).  The order
 * statistics below take the values in a scratch array the caller owns and
 * reorder it: it keeps the same n values (vigil__mad after vigil__median
 * relies on that), in no promised order.  O(n) on average; no allocation. */
double vigil__squash(double x, double mid, double scale);
/* Zeroes *f and fills what a pair view says (kind, src, dst, name, count,
 * port, proto, span, conns, bytes, prevalence, days present); the detector
 * adds its score, reasons and own fields. */
void vigil__finding_from_pair(vigil_finding *f, vigil_finding_kind kind,
                              const vigil__pair_view *p);
double vigil__median(double *scratch, size_t n);
/* Sorts v[0..n) ascending (agg_pairs.c): a stable merge sort, close to
 * linear on nearly sorted input (no qsort callback per comparison); tmp is
 * scratch of n entries. */
void vigil__sort_doubles(double *v, double *tmp, size_t n);
/* The q-quantile (0..1, nearest rank) of n doubles: reorders scratch.
 * No NaNs (with one, the result is some value of the array). */
double vigil__quantile(double *scratch, size_t n, double q);
/* The median (as vigil__median) and the quantiles qs[0..nq) (as
 * vigil__quantile, at most VIGIL__MAX_QUANTILES) of n doubles in one
 * selection pass: reorders scratch. */
#define VIGIL__MAX_QUANTILES 8
void vigil__median_quantiles(double *scratch, size_t n, const double *qs, size_t nq, double *median,
                             double *out);
/* The median absolute deviation of n doubles around `center`: overwrites
 * scratch with |x - center| and reorders it. */
double vigil__mad(double *scratch, size_t n, double center);

/* The registered domain of a lowercase name s[0..n) (agg_dns.c): the offset
 * where it starts ("a.b.example.co.jp" -> "example.co.jp"), by the Public
 * Suffix List (libpsl's built-in list), private-section suffixes included
 * ("x.y.github.io" -> "y.github.io").  0 (the whole name) when the name is
 * itself a public suffix ("co.jp", "github.io"), a single label, or empty.
 * Thread-safe; answers for names up to 62 bytes are memoised per thread. */
size_t vigil__registered_domain(const char *s, size_t n);

/* ---- the aggregator (agg_pairs.c, agg_defer.c, agg_dns.c, agg_hosts.c) ----- */

typedef struct vigil__agg vigil__agg;

/* `internal` decides which side is internal (also Zeek's local_orig);
 * loopback, link-local and multicast destinations are dropped as noise. */
vigil_status vigil__agg_new(vigil__agg **out, const vigil_netset *internal,
                            const vigil_allocator *alloc);
void vigil__agg_free(vigil__agg *a);
/* Makes `a` a partial aggregate (before any record): its kept connections
 * and DNS queries are only queued (ids resolved, figures computed), and
 * aggregated into pairs and DNS entries by vigil__agg_merge into another
 * aggregate.  hunt.c's reading threads use it: the shared aggregate's
 * look-ups are then done once per record, not once in the partial and
 * once more when merging. */
void vigil__agg_set_partial(vigil__agg *a, int on);
/* Makes `a` defer its kept connections (before any record): added or
 * merged in, they wait in hash buckets, and its pairs are built from them
 * in one go by vigil__agg_settle_threads (or the sort, or finish).  For an
 * aggregate that takes many files' records (hunt.c's shared one): no pair
 * look-up and no growing array per connection, each pair's points sorted
 * and stored once (agg_defer.c). */
vigil_status vigil__agg_set_deferred(vigil__agg *a);
/* Builds the pairs of every deferred connection, on up to `threads`
 * threads (buckets from a shared cursor); the pairs come out sorted.  The
 * result is the same whatever the count. */
vigil_status vigil__agg_settle_threads(vigil__agg *a, int threads);
/* Each bucket's room before its records go on in chunks of their own
 * (default 32 MB; read when an aggregate is made deferred).  A test hook:
 * tests lower it to reach those chunks. */
extern size_t vigil__defer_slot_bytes;
/* Records in a bucket above which its settle decodes it twice rather
 * than keep a decoded copy (default 1,048,576).  A test hook too. */
extern size_t vigil__defer_two_pass;
/* Bits a packed pair-order key may take (default 64: (src rank, dst
 * rank, port, proto) in 2 x address bits + 24, so up to 2^20 addresses);
 * above, finish orders the pairs with a comparison sort.  A test hook:
 * tests set it to 0 to reach that sort without a million addresses. */
extern unsigned vigil__pair_order_key_bits;
/* Accounts one record (conn, dns, ssl, http; others are ignored). */
vigil_status vigil__agg_add(vigil__agg *a, const vigil_record *rec);
/* A reader's conn_early (vigil_reader_opts), its user the vigil__agg: a
 * conn record with only ts, its addresses and local_orig/local_resp read.
 * Returns 0 when the aggregate has accounted it whole (a connection that
 * is not internal -> external: counted, nothing kept; one more in
 * vigil__agg_conn_early_taken), so the rest need not be read; else 1, and
 * the record must then reach vigil__agg_add (it is counted there: its
 * sides are remembered for that call).  Call vigil__agg_conn_early_clear
 * before each file, as the record a remembered line belonged to may have
 * been skipped. */
int vigil__agg_conn_early(void *agg, const vigil_record *rec);
void vigil__agg_conn_early_clear(vigil__agg *a);
/* Records vigil__agg_conn_early accounted since the last call (and
 * resets the count). */
uint64_t vigil__agg_conn_early_taken(vigil__agg *a);
/* The Zeek fields vigil__agg_add reads beyond ts and the two addresses,
 * NULL-terminated: hunt's readers convert and check only these
 * (vigil_reader_opts.fields).  A field newly read by the add path must be
 * listed, or it arrives unset from Zeek TSV logs. */
extern const char *const vigil__agg_fields[];
/* Moves everything of src into dst (per-thread aggregators); src is left
 * empty (a partial keeps its arrays and tables, for its next records). */
vigil_status vigil__agg_merge(vigil__agg *dst, vigil__agg *src);
/* Sorts every pair's points by ts now (optional: lets each reading thread
 * do its share before the merge, which then merges sorted runs). */
vigil_status vigil__agg_sort(vigil__agg *a);
/* The same for the chunks of pairs this thread takes from *next (shared
 * by every thread sorting a, starting at 0), so that threads can share
 * the work; no record may be queued (after a merge or a sort). */
vigil_status vigil__agg_sort_part(vigil__agg *a, atomic_size_t *next);
/* After the last record: sorts, builds name groups, prevalence, per-host
 * days.  No vigil__agg_add after this. */
vigil_status vigil__agg_finish(vigil__agg *a);
/* The same on up to `threads` threads (2 are used: DNS beside the pair
 * order and groups, then the hosts in two halves); the result is the same
 * whatever the count. */
vigil_status vigil__agg_finish_threads(vigil__agg *a, int threads);

/* What the aggregator was given (any time). */
typedef struct vigil__agg_counts {
    uint64_t conns;            /* conn records accounted */
    uint64_t kept;             /* kept as pair points (internal -> external) */
    uint64_t inbound;          /* external -> internal (not pairs) */
    uint64_t internal_only;    /* internal -> internal (dropped) */
    uint64_t external_only;    /* external -> external (dropped) */
    uint64_t noise;            /* to/from loopback, link-local, multicast,
                                  broadcast, unspecified (dropped) */
    double first_ts, last_ts;  /* span of the records accounted (0 if none) */
} vigil__agg_counts;
void vigil__agg_counts_get(const vigil__agg *a, vigil__agg_counts *out);

/* Iteration over the finished aggregate (views borrowed until free). */
size_t vigil__agg_pair_count(const vigil__agg *a);
/* Pair views decode their points (kept compact) into a buffer:
 * vigil__agg_pair uses one the aggregate owns, so its pts are valid only
 * until the next vigil__agg_pair call (one thread); vigil__agg_pair_buf
 * uses the caller's buffer of vigil__agg_pair_max_points(a) entries. */
vigil_status vigil__agg_pair(const vigil__agg *a, size_t i, vigil__pair_view *out);
size_t vigil__agg_pair_max_points(const vigil__agg *a);
vigil_status vigil__agg_pair_buf(const vigil__agg *a, size_t i, vigil__pair_view *out,
                                 vigil__conn_point *buf);
/* Group views merge their members' points into a buffer: vigil__agg_group
 * uses one the aggregate owns, so its pts are valid only until the next
 * vigil__agg_group call (one thread); vigil__agg_group_buf uses the
 * caller's two buffers of vigil__agg_group_max_points(a) entries each (pts
 * points into buf), for detection on several threads. */
size_t vigil__agg_group_count(const vigil__agg *a);
/* The same views without points (pts NULL, n the point count; first_ts,
 * last_ts, days and hours present 0: each would cost a cache miss or a
 * decoding pass): what a detector may decide on before any decoding
 * (vigil__detect_*_applies). */
vigil_status vigil__agg_pair_head(const vigil__agg *a, size_t i, vigil__pair_view *out);
/* The same views over the pairs as they are stored (k from 0 to
 * vigil__agg_pair_count): each pair once, in an order that depends on
 * how the threads settled them, but sequential in memory, their points
 * mostly too -- for a caller that visits every pair and sorts what it
 * finds (detection: ~0.1 s less than in address order on the month). */
vigil_status vigil__agg_stored_pair_head(const vigil__agg *a, size_t k, vigil__pair_view *out);
vigil_status vigil__agg_stored_pair(const vigil__agg *a, size_t k, vigil__pair_view *out);
vigil_status vigil__agg_stored_pair_buf(const vigil__agg *a, size_t k, vigil__pair_view *out,
                                        vigil__conn_point *buf);
vigil_status vigil__agg_group_head(const vigil__agg *a, size_t i, vigil__pair_view *out);
vigil_status vigil__agg_group(const vigil__agg *a, size_t i, vigil__pair_view *out);
size_t vigil__agg_group_max_points(const vigil__agg *a);
vigil_status vigil__agg_group_buf(const vigil__agg *a, size_t i, vigil__pair_view *out,
                                  vigil__conn_point *buf, vigil__conn_point *tmp);
size_t vigil__agg_host_count(const vigil__agg *a);
vigil_status vigil__agg_host(const vigil__agg *a, size_t i, vigil__host_view *out);
void vigil__agg_peers(const vigil__agg *a, vigil__peer_view *out);
size_t vigil__agg_dns_count(const vigil__agg *a);
/* DNS views decode their query times (kept compact) into a buffer, as
 * pair views do: vigil__agg_dns's is the aggregate's (valid until the next
 * call), vigil__agg_dns_buf's the caller's, of vigil__agg_dns_max_points(a)
 * entries (twice the most times of one entry: the view sorts them there). */
vigil_status vigil__agg_dns(const vigil__agg *a, size_t i, vigil__dns_view *out);
size_t vigil__agg_dns_max_points(const vigil__agg *a);
vigil_status vigil__agg_dns_buf(const vigil__agg *a, size_t i, vigil__dns_view *out, double *buf);
/* Without the times (ts NULL, nts their count): for vigil__detect_dns_applies. */
vigil_status vigil__agg_dns_head(const vigil__agg *a, size_t i, vigil__dns_view *out);
size_t vigil__agg_nx_count(const vigil__agg *a);
vigil_status vigil__agg_nx(const vigil__agg *a, size_t i, vigil__nx_view *out);

/* Fills each finding's dst_names (the names seen behind f->dst: its own,
 * SNI and Host names any host used, the DNS answer) and dst_first_seen
 * from a finished aggregate. */
vigil_status vigil__agg_describe_dsts(const vigil__agg *a, vigil_findings *fs);

/* ---- hunt internals (hunt.c) ------------------------------------------------ */

/* Marks in drop[i] (1) the findings of fs that duplicate others: a name
 * group's finding and its member pairs' findings of the same kind keep the
 * higher score (ties: the group); a beacon on a pair that also has a strobe
 * scoring >= 0.5 is dropped.  Entries already marked are left out. */
vigil_status vigil__findings_dedup(const vigil_findings *fs, unsigned char *drop,
                                   const vigil_allocator *al);

/* The order hunt reads files in (lib/hunt.c): order[0..n) gets the indices
 * of sizes[0..n) (bytes), the files above 1/16 of one of nthreads threads'
 * share of all the bytes first, largest first (ties by index), then the
 * rest in index order. */
vigil_status vigil__hunt_order(const uint64_t *sizes, size_t n, size_t nthreads, size_t *order,
                               const vigil_allocator *al);

#endif
