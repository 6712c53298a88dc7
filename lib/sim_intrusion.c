/* sim_intrusion.c -- the Coincheck-shaped intrusion of `vigil simulate` and its truth.json.
 *
 * Input: the world (sim.h).  Output: a plan drawn from the seed
 * (vigil__sim_intrusion_plan), every intrusion connection that ends in a
 * given hour (vigil__sim_intrusion_hour), and DIR/truth.json
 * (vigil__sim_truth_write).  The story is DESIGN.md's: look-alike mails in
 * week 1, one implant per opened mail talking to new servers in Europe and
 * the US for weeks, a hands-on session on a wallet-operations workstation,
 * a night-time exfiltration, all C2 going quiet just before midnight Tokyo
 * time, then the heist a few minutes into the next day.
 *
 * ---- Timeline (days are the world's 0-based days; "date d" is the Tokyo
 * calendar date of UTC day d, whose local midnight is start + d*86400 -
 * tz_offset) --------------------------------------------------------------
 *   q = quiet day: 24 when days >= 26 (2018-01-25 for the default start),
 *       days - 2 when 3 <= days <= 25, days - 1 for one- and two-day worlds.
 *   Every other day below is scaled by q/24 (rounded), so a 28-day world
 *   gets exactly these numbers and shorter worlds keep the same shape:
 *   phishing mails arrive on dates 1..6 (Jan 2-7) in 2-3 waves; each
 *   recipient who opens it does so at their next office moment (after the
 *   arrival, vigil__sim_activity >= 0.5) plus 2-60 minutes, and the implant
 *   first calls home 20-180 s later; the exfiltration runs on the night
 *   (01:00-04:00 local) of one date in 15..21; the wallet-ops sessions
 *   start 13:00-21:00 local on 2-3 dates in 19..23; the C2 goes quiet at
 *   23:45-23:59 local on date q (no intrusion connection starts or ends
 *   after it; beats stop EXTENT seconds before, so last beats fall at about
 *   23:40-23:54) and the heist is 1-5 minutes after the following midnight.
 *   Where a tiny world leaves no room (infection after the window), events
 *   move to just after the infection instead.
 *
 * ---- Beats ------------------------------------------------------------
 * Implant i's beats on UTC day e form one renewal chain: it starts at the
 * infection time (infection day) or at a random phase in [0, period) (the
 * implant restarts with its host each day), and each sleep is
 * period * (1 + jitter * U(-1, 1)).  Beat k of the chain draws everything
 * from vigil__sim_hash(seed, S_C2, i << 32 | e, k + 1): its sleep, whether
 * it is missed, its sizes, ports and payload strings.  A generator for one
 * hour walks the chains of the (at most two) days whose beats can end in
 * the hour and emits the connections ending in it, so any hour is made
 * alone with the same bytes.  Gating: no beat before infection, none within
 * EXTENT seconds of the quiet time, none while the host is switched off,
 * missed beats (probability miss) dropped, and the office-hours implant
 * only while its victim is at work.  A named implant resolves its C2 name
 * through the internal resolver before the first beat of the day and
 * whenever the previous answer's TTL has run out.
 *
 * ---- truth.json (version 1) ----------------------------------------------
 * One JSON object; "events" holds one object per line, ids 1..N, where id
 * is the vigil__sim_conn.truth value of every connection the event made:
 *   {"version":1, "generator":"vigil simulate", "seed":S, "start":epoch,
 *    "days":D, "hosts":H, "tz_offset":32400, "quiet_day":q, "events":[...]}
 * Fields every event has: id, kind, expect (the finding kind a detector
 * should report for it, or null for timeline markers), also (other finding
 * kinds that are correct for it), conns (conn records written with this id;
 * from the driver's counts, else the plan's own count, which equals them).
 * Events, in id order:
 *   1..10 kind "beacon" (profile steady, jitter, missed, office_hours,
 *     burst, rotating, low_slow, http, tls, in that order) or "dns_c2" (id
 *     10, profile dns): src, src_host, owner, role, dst (C2 addresses; the
 *     resolver for dns_c2), dst_names, dst_region ("EU"/"US" per address),
 *     dport, proto, service, infected_ts, phish_id, first_ts, last_ts
 *     (first/last conn start), period_s, jitter (sleep = period * (1 +/-
 *     jitter), uniform), miss_rate, burst [min,max] conns per beat,
 *     office_hours, ttl (DNS TTL of the name, 0 when the address is
 *     hard-coded); http adds user_agent, uri_pattern; rotating adds
 *     rotation "daily-utc"; dns_c2 adds domain, qtype 16, label_len
 *     [min,max] (its dst are the two internal resolvers, dst_region is
 *     empty) and upstream (the attacker's name server the resolvers relay
 *     the queries to).  expect "beacon" ("dns" for dns_c2), also ["rare_dest"]
 *     (dns_c2: ["beacon"]).
 *   11 "long_conn": the wallet-ops host's reverse shell: src..., dst,
 *     dport 443, proto tcp, sessions [{ts, duration, dst, orig_bytes,
 *     resp_bytes}], duration_s (sum), first_ts, last_ts.
 *   12 "exfil": src..., dst, dst_names, dport 443, proto tcp, service ssl,
 *     bytes (sum of orig_bytes), first_ts, last_ts.
 *   13 "c2_lookup" (expect null): the DNS traffic around the C2: A lookups
 *     (and AAAA twins) of the C2 and exfil names by infected hosts through
 *     the internal resolvers, and the resolvers' forwarded queries to the
 *     public resolvers (src then is the resolver), including every DNS C2
 *     TXT query: names, resolvers, forwarders.
 *   14 "c2_quiet" (expect null): ts (nothing of the intrusion after it),
 *     last_beat_ts (the last intrusion conn start).
 *   15 "heist" (expect "outflow"): ts, wallet_server, wallet_server_host.
 *   16.. "phish", one per wave (expect "phish"): ts (arrival), subject,
 *     attachment, sender_display (a real colleague's display name),
 *     sender_addr (at a look-alike external domain), sender_domain,
 *     impersonates (the colleague's real address), recipients (e-mails),
 *     opened [{email, host, src, ts (opened), infected_ts, implants [ids]}].
 * Times are epoch seconds with microseconds; addresses dotted quads; src
 * is the host's address on the event's first day (victims are desk PCs
 * with fixed addresses unless a tiny world runs out of them: src_host is
 * the stable key).  A session of the long_conn event goes to the wallet
 * implant's C2 address, so that pair carries two ids (beacon, long_conn). */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "sim.h"

#define DAY 86400.0
#define EXTENT 300.0       /* every connection of a beat ends within this many
                              seconds of the beat (bursts, lookups, tasking) */
#define LOOKUP_LEAD 1.5    /* a C2 name lookup starts at most this long before
                              its beat */
#define INF_LEAD 2.0       /* first beat after the infection, seconds
                              (> LOOKUP_LEAD) */
#define OFFICE_MIN 0.1     /* activity below which the office-hours implant
                              sleeps */
#define MAX_ADDR 5         /* C2 addresses of one implant (rotating: 3-5) */
#define MAX_WAVES 3        /* phishing waves */
#define MAX_RCPT 16        /* recipients of one wave */
#define MAX_SESS 3         /* wallet-ops interactive sessions */
#define MAX_CHUNKS 6       /* exfiltration connections */

/* Stream entities for plan-level choices (beats use i << 32 | day). */
#define PLAN(x) (0xC0DE000000000000ULL | (uint64_t)(x))
enum { PL_TIME = 1, PL_VICTIM, PL_PERM, PL_WAVE, PL_OPEN, PL_IMPLANT, PL_ADDR,
       PL_NAME, PL_SESS, PL_EXFIL, PL_PHISH };

/* ---- profiles -------------------------------------------------------------- */

enum { PR_STEADY, PR_JITTER, PR_MISSED, PR_OFFICE, PR_BURST, PR_ROTATING,
       PR_LOWSLOW, PR_HTTP, PR_TLS, PR_DNS, NPROF };

/* Truth ids after the ten implants (implant i has id i + 1). */
enum { ID_LONG = NPROF + 1, ID_EXFIL, ID_LOOKUP, ID_QUIET, ID_HEIST, ID_PHISH0,
       ID_MAX = ID_PHISH0 + MAX_WAVES };

/* What a profile draws its parameters from. */
typedef struct profile_spec {
    const char *name;          /* truth.json "profile" */
    double period_lo, period_hi; /* mean sleep range, seconds */
    double step;               /* the sleep is a multiple of this (config) */
    double jitter_lo, jitter_hi; /* sleep = period * (1 + jitter * U(-1,1)) */
    double miss_lo, miss_hi;   /* probability a beat is skipped */
    uint8_t burst_lo, burst_hi; /* connections per beat */
    uint8_t app;               /* vigil__sim_app of the beacon connections */
    uint16_t dport;            /* C2 port */
    uint8_t named;             /* resolves a C2 name (else hard-coded IP) */
    uint8_t office;            /* beats only while the victim is at work */
    uint8_t naddr_lo, naddr_hi; /* C2 addresses (rotation when > 1) */
} profile_spec;

/* What each imitates and what it should leave for a detector:
 * steady   -- a RAT with a fixed short sleep and no jitter (njRAT-style
 *             keep-alive, a default Meterpreter sleep) on raw TCP/443 to a
 *             hard-coded address: near-constant intervals, constant sizes,
 *             one rare destination, every hour of every day.
 * jitter   -- a Cobalt Strike-like HTTPS beacon with 50-80% jitter: wide
 *             interval spread, still a clear mean period and regular sizes.
 * missed   -- an implant whose check-ins fail or are skipped 30-45% of the
 *             time, raw TCP/8080 to a hard-coded address: a periodic comb
 *             with missing teeth (spectral / gcd evidence, not mean gaps).
 * office_hours -- an APT implant with a working-hours sleep schedule (or a
 *             PC shut down at night): beats only when the victim is at
 *             work, silent at night, weekends and holidays; persistent over
 *             days, periodic inside each day.
 * burst    -- a RAT opening several channels per check-in (get task, post
 *             result, heartbeat; PlugX-style), 3-6 connections seconds
 *             apart: periodic after collapsing bursts.
 * rotating -- fast-flux-like C2: one name whose A record moves daily among
 *             3-5 addresses in different networks: per-address evidence is
 *             a day long, the name (DNS answers, SNI) ties them together.
 * low_slow -- a long-sleep implant calling every 2-4 hours: few
 *             connections a day, but on every day, to one rare address.
 * http     -- plain-HTTP C2 with a stale browser User-Agent and a fixed
 *             URI pattern (GET tasks, POST results, PE downloads): the same
 *             UA/URI shape over and over to one new Host.
 * tls      -- Meterpreter reverse_https-like TLS C2 with SNI of a
 *             newly-registered look-plausible domain: a rare SNI, regular.
 * dns      -- dnscat2 / Cobalt Strike DNS beacon: TXT queries for long
 *             random labels under one attacker domain through the internal
 *             resolver (and its upstream queries): high-entropy names, many
 *             unique names under one domain, TXT-heavy, periodic. */
static const profile_spec specs[NPROF] = {
    { "steady", 45, 120, 5, 0.0, 0.05, 0, 0, 1, 1, VIGIL__SIM_APP_NONE, 443, 0, 0, 1, 1 },
    { "jitter", 60, 240, 10, 0.5, 0.8, 0, 0, 1, 1, VIGIL__SIM_APP_SSL, 443, 1, 0, 1, 1 },
    { "missed", 60, 180, 10, 0.03, 0.08, 0.3, 0.45, 1, 1, VIGIL__SIM_APP_NONE, 8080, 0, 0, 1, 1 },
    { "office_hours", 120, 420, 30, 0.1, 0.2, 0, 0.05, 1, 1, VIGIL__SIM_APP_SSL, 443, 1, 1, 1, 1 },
    { "burst", 300, 900, 60, 0.05, 0.15, 0, 0, 3, 6, VIGIL__SIM_APP_NONE, 443, 1, 0, 1, 1 },
    { "rotating", 120, 300, 30, 0.1, 0.2, 0, 0, 1, 1, VIGIL__SIM_APP_SSL, 443, 1, 0, 3, 5 },
    { "low_slow", 7200, 14400, 600, 0.15, 0.3, 0, 0, 1, 1, VIGIL__SIM_APP_SSL, 443, 1, 0, 1, 1 },
    { "http", 60, 180, 10, 0.1, 0.25, 0, 0.05, 1, 1, VIGIL__SIM_APP_HTTP, 80, 1, 0, 1, 1 },
    { "tls", 180, 600, 30, 0.05, 0.2, 0, 0, 1, 1, VIGIL__SIM_APP_SSL, 443, 1, 0, 1, 1 },
    { "dns", 20, 60, 5, 0.2, 0.4, 0, 0, 1, 1, VIGIL__SIM_APP_DNS, 53, 0, 0, 1, 1 },
};

/* ---- hosting ranges for attacker servers ------------------------------------ */

/* Public blocks of hosting providers, RIPE (Europe) and ARIN (US) space, so
 * geo-IP says EU/US.  Addresses are drawn inside, one /24 per server. */
typedef struct block {
    uint8_t a, b, c;           /* first address a.b.c.0 */
    uint8_t bits;              /* prefix length, 14..18 */
    const char *region;        /* "EU" or "US" */
} block;

static const block eu_blocks[] = {
    { 88, 198, 0, 16, "EU" },  { 78, 46, 0, 15, "EU" },   { 144, 76, 0, 16, "EU" },
    { 136, 243, 0, 16, "EU" }, { 148, 251, 0, 16, "EU" }, { 176, 9, 0, 16, "EU" },
    { 188, 165, 0, 16, "EU" }, { 37, 187, 0, 16, "EU" },  { 5, 196, 0, 16, "EU" },
    { 46, 105, 0, 16, "EU" },  { 176, 31, 0, 16, "EU" },  { 95, 211, 0, 16, "EU" },
    { 85, 17, 0, 16, "EU" },   { 62, 210, 0, 16, "EU" },  { 163, 172, 0, 16, "EU" },
    { 188, 166, 0, 16, "EU" },
};
static const block us_blocks[] = {
    { 45, 32, 0, 16, "US" },   { 45, 76, 0, 16, "US" },   { 108, 61, 0, 16, "US" },
    { 104, 236, 0, 16, "US" }, { 162, 243, 0, 16, "US" }, { 45, 55, 0, 16, "US" },
    { 45, 33, 0, 17, "US" },   { 173, 255, 192, 18, "US" }, { 107, 172, 0, 14, "US" },
    { 23, 94, 0, 15, "US" },   { 192, 3, 0, 16, "US" },
};
#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* ---- names ------------------------------------------------------------------- */

static const char *const words1[] = {
    "cloud", "sync", "secure", "update", "cdn", "static", "office", "mail",
    "login", "data", "edge", "web", "portal", "docs", "drive", "share",
    "service", "meta", "link", "host", "node", "stat", "media", "app",
};
static const char *const words2[] = {
    "box", "hub", "zone", "point", "base", "flow", "line", "gate", "track",
    "check", "lab", "desk", "port", "view", "cast", "ware", "soft", "stream",
    "cache", "store", "vault", "pro", "sys", "net",
};
static const char *const tlds[] = {
    "com", "net", "org", "info", "biz", "io", "xyz", "top", "online", "site",
};
static const char *const subs[] = {
    "api", "cdn", "www", "update", "static", "img", "s3", "m", "srv", "news",
};
static const char *const http_uas[] = {
    "Mozilla/4.0 (compatible; MSIE 7.0; Windows NT 6.1; Trident/7.0; SLCC2; .NET CLR 2.0.50727; .NET4.0C)",
    "Mozilla/4.0 (compatible; MSIE 8.0; Windows NT 5.1; Trident/4.0; .NET CLR 1.1.4322)",
    "Mozilla/5.0 (Windows NT 6.1; rv:24.0) Gecko/20100101 Firefox/24.0",
};
static const char *const uri_patterns[] = {
    "/wp-includes/js/jquery/ui.php?id=<8 hex>&n=<seq>",
    "/api/v2/sync?sid=<8 hex>&seq=<seq>",
    "/images/logo_<8 hex>.gif?t=<seq>",
    "/news/article.php?p=<8 hex><seq>",
};
static const char *const subjects[][2] = {
    { "Re: Updated wallet procedures for January", "Wallet_procedures_Jan2018.doc" },
    { "Invoice #2017-1224 (revised)", "Invoice_2017-1224.xls" },
    { "Meeting minutes - new year planning", "Minutes_2018-01.doc" },
    { "FW: Security audit schedule", "Audit_schedule.doc" },
    { "Re: The document you requested", "Documents.zip" },
    { "Q4 results - please review before Friday", "Q4_results.xls" },
};
static const char *const ciphers[] = {
    "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
};

/* ---- the plan ----------------------------------------------------------------- */

/* One C2 implant on one victim host. */
typedef struct implant {
    uint8_t profile;           /* PR_* (== index: truth id is profile + 1) */
    uint32_t host;             /* victim host id */
    int wave;                  /* phishing wave that infected it */
    double t_open;             /* the victim opened the mail */
    double t_inf;              /* first beat (infection) */
    double period;             /* mean sleep, seconds */
    double jitter;             /* sleep = period * (1 + jitter * U(-1, 1)) */
    double miss;               /* probability a beat is skipped */
    uint8_t burst_lo, burst_hi; /* connections per beat */
    uint8_t office;            /* beats only while the victim is at work */
    uint8_t app;               /* vigil__sim_app of the beacon connections */
    uint8_t named;             /* resolves `name` before connecting */
    uint8_t naddr;             /* addresses in addr (rotation when > 1) */
    uint8_t rot_off;           /* rotation offset: day d uses (d + rot_off) % naddr */
    uint8_t ua, uri;           /* http: index in http_uas / uri_patterns */
    uint8_t cipher;            /* tls: index in ciphers */
    uint16_t dport;            /* C2 port */
    uint32_t ttl;              /* TTL of the name's A record */
    uint32_t tag;              /* per-victim id the implant puts in URIs */
    uint32_t out_med, in_med;  /* typical payload bytes out / in per beat */
    uint32_t cert_bytes;       /* tls: server certificate chain bytes */
    double rtt;                /* round trip to the C2, seconds */
    vigil_addr addr[MAX_ADDR]; /* C2 addresses (dns: the name server) */
    const char *region[MAX_ADDR]; /* "EU"/"US" of each address */
    char name[64];             /* C2 host name (SNI, Host, DNS query) */
    char domain[48];           /* its registered domain (dns: the C2 zone) */
    char ip[MAX_ADDR][16];     /* dotted text of addr (DNS answers) */
} implant;

/* One phishing wave: the same mail to several people. */
typedef struct wave {
    double ts;                 /* arrival */
    int32_t sender;            /* person impersonated, -1 none */
    uint8_t subject;           /* index in subjects */
    char sender_addr[96];      /* look-alike From address */
    int32_t rcpt[MAX_RCPT];    /* people indices of the recipients */
    size_t nrcpt;              /* entries used in rcpt */
} wave;

/* One wallet-ops interactive session (reverse shell). */
typedef struct session {
    double ts, duration;       /* start, seconds */
    vigil_addr dst;            /* the C2 address it goes to */
    uint16_t orig_p;           /* source port */
    uint64_t out, in;          /* payload bytes host -> C2, C2 -> host */
} session;

/* One exfiltration connection. */
typedef struct chunk {
    double ts, duration;       /* start, seconds */
    uint16_t orig_p;           /* source port */
    uint64_t out, in;          /* payload bytes */
} chunk;

/* What the hours and truth.json count per event. */
typedef struct ev_stat {
    uint64_t conns;            /* conn records in the world */
    double first, last;        /* first / last conn start, 0 when none */
} ev_stat;

struct vigil__sim_intrusion {
    size_t nevents;            /* truth ids 1..nevents */
    int quiet_day;             /* q (file header) */
    double t_quiet;            /* nothing of the intrusion after this */
    double t_heist;            /* the hot-wallet key is used */
    implant imp[NPROF];        /* the implants, profile order */
    int wallet_imp;            /* implant whose host the sessions run on */
    wave waves[MAX_WAVES];     /* phishing waves */
    size_t nwaves;
    char lookalike[64];        /* the attacker's look-alike mail domain */
    session sess[MAX_SESS];    /* wallet-ops sessions */
    size_t nsess;
    int exfil_imp;             /* implant whose host exfiltrates */
    vigil_addr exfil_addr;     /* where the data goes */
    const char *exfil_region;  /* "EU"/"US" */
    char exfil_name[64];       /* its name (SNI, DNS) */
    char exfil_ip[16];         /* dotted text of exfil_addr */
    double exfil_lookup_ts;    /* the A lookup before the first chunk */
    uint16_t exfil_lookup_p;   /* its source port */
    chunk chunks[MAX_CHUNKS];  /* the transfer */
    size_t nchunks;
    ev_stat stats[ID_MAX];     /* per truth id (index = id) */
};
typedef struct vigil__sim_intrusion plan;

/* ---- small helpers ------------------------------------------------------------- */

static uint64_t hp(const vigil__sim_world *w, uint64_t what, uint64_t x, uint64_t i)
{
    return vigil__sim_hash(w->seed, VIGIL__SIM_S_C2, PLAN(what) ^ (x << 24), i);
}

static double up(const vigil__sim_world *w, uint64_t what, uint64_t x, uint64_t i)
{
    return vigil__sim_unit(hp(w, what, x, i));
}

/* Zeek's precision: microseconds (so the end the driver computes from the
 * written values is the one checked here). */
static double usec(double t) { return floor(t * 1e6 + 0.5) / 1e6; }

static vigil_addr v4(unsigned a, unsigned b, unsigned c, unsigned d)
{
    vigil_addr x;
    memset(x.b, 0, 10);
    x.b[10] = 0xff;
    x.b[11] = 0xff;
    x.b[12] = (uint8_t)a;
    x.b[13] = (uint8_t)b;
    x.b[14] = (uint8_t)c;
    x.b[15] = (uint8_t)d;
    return x;
}

/* Local midnight of date d (the Tokyo date of UTC day d). */
static double local_midnight(const vigil__sim_world *w, int d)
{
    return (double)w->start + d * DAY - w->tz_offset;
}

/* The Tokyo date index of time t (date of UTC day d is d). */
static int local_date(const vigil__sim_world *w, double t)
{
    return (int)floor((t - local_midnight(w, 0)) / DAY);
}

static int scaled(int d, int q) { return (int)floor(d * q / 24.0 + 0.5); }

static uint16_t ephemeral(uint64_t h) { return (uint16_t)(49152 + h % 16384); }

/* The internal resolver a lookup goes to: the first one 95% of the time,
 * the second otherwise (most hosts prefer the first, as in sim_benign.c). */
static const vigil_addr *resolver_addr(const vigil__sim_world *w, uint64_t h)
{
    return &w->hosts[w->resolver[vigil__sim_unit(h) < 0.95 ? 0 : 1]].addr;
}

/* The public resolvers the internal resolvers forward cache misses to
 * (the world's forwarders; the same three sim_benign.c uses). */
static vigil_addr forwarder(uint64_t h)
{
    switch (h % 3) {
    case 0: return v4(8, 8, 8, 8);
    case 1: return v4(8, 8, 4, 4);
    default: return v4(1, 1, 1, 1);
    }
}

/* ---- output: hour mode and count mode ------------------------------------------ */

/* Where connections go: into an hour buffer (those ending in [t0, t1)), or
 * into per-event counts (count mode, the whole world). */
typedef struct out {
    const vigil__sim_world *w; /* the world */
    const plan *p;             /* the plan */
    vigil__sim_hour *hour;     /* hour mode: emit here; NULL in count mode */
    ev_stat *stats;            /* count mode: per truth id */
    double t0, t1;             /* connections ending in [t0, t1) are wanted */
    double lo, hi;             /* beats in [lo, hi] are built in detail */
    vigil_status rc;           /* first failure */
} out;

/* Takes one connection: counts it, or emits it when it ends in the hour
 * (strings that live on the caller's stack are copied into the hour). */
static void put(out *o, vigil__sim_conn *c)
{
    double end = c->ts + c->duration;
    if (end < o->t0 || end >= o->t1 || o->rc != VIGIL_OK) return;
    if (o->stats) {
        ev_stat *s = &o->stats[c->truth];
        if (!s->conns || c->ts < s->first) s->first = c->ts;
        if (!s->conns || c->ts > s->last) s->last = c->ts;
        s->conns++;
        return;
    }
    if (c->app == VIGIL__SIM_APP_DNS) {
        const char *ans = c->a.dns.answers;
        c->a.dns.query = vigil__sim_hour_strdup(o->hour, c->a.dns.query);
        if (ans) c->a.dns.answers = vigil__sim_hour_strdup(o->hour, ans);
        if (!c->a.dns.query || (ans && !c->a.dns.answers)) {
            o->rc = VIGIL_ENOMEM;
            return;
        }
    } else if (c->app == VIGIL__SIM_APP_HTTP) {
        c->a.http.uri = vigil__sim_hour_strdup(o->hour, c->a.http.uri);
        if (!c->a.http.uri) {
            o->rc = VIGIL_ENOMEM;
            return;
        }
    }
    o->rc = vigil__sim_emit(o->hour, c);
}

/* A fresh connection from an internal host. */
static void conn_init(vigil__sim_conn *c, double ts, double duration, vigil_addr src,
                      uint16_t sport, vigil_addr dst, uint16_t dport, int truth)
{
    memset(c, 0, sizeof *c);
    c->ts = usec(ts);
    c->duration = usec(duration);
    if (c->duration < 1e-6) c->duration = 1e-6;
    c->orig_h = src;
    c->resp_h = dst;
    c->orig_p = sport;
    c->resp_p = dport;
    c->local_orig = 1;
    c->truth = (uint16_t)truth;
}

/* A DNS A lookup of `name` by src through the internal resolver that
 * completes just before time tl, answered with ip.  The name is asked only
 * when the host's cached answer has expired, so the resolver's copy has
 * too: the resolver forwards the query to a public resolver (a second
 * connection, src = resolver), which recurses to the attacker's name
 * server in Europe or the US.  A quarter of the lookups have the stub
 * resolver's AAAA twin, answered by the resolver with no records (as
 * sim_benign.c does for every name). */
static void lookup(out *o, double tl, vigil_addr src, const char *name, const char *ip,
                   uint32_t ttl, uint64_t h)
{
    vigil__sim_rng r;
    vigil__sim_rng_seed(&r, h);
    double up_rtt = 0.12 + 0.2 * vigil__sim_rng_unit(&r);
    double lan_rtt = 0.0002 + 0.001 * vigil__sim_rng_unit(&r);
    uint64_t ports = vigil__sim_rng_u64(&r);
    uint64_t hres = vigil__sim_rng_u64(&r);
    int aaaa = vigil__sim_rng_unit(&r) < 0.25;
    double rtt = up_rtt + lan_rtt;
    double ts = tl - rtt - 0.0015;
    const vigil_addr *res = resolver_addr(o->w, hres);
    uint64_t q = strlen(name) + 2 + 4 + 12; /* header, name, type/class */
    vigil__sim_conn c;
    conn_init(&c, ts, rtt, src, ephemeral(ports), *res, 53, ID_LOOKUP);
    c.local_resp = 1;
    c.app = VIGIL__SIM_APP_DNS;
    vigil__sim_udp(&c, q, q + 16);
    c.a.dns.query = name;
    c.a.dns.qtype = 1;
    c.a.dns.rcode = 0;
    c.a.dns.answers = ip;
    c.a.dns.ttl = ttl;
    c.a.dns.rtt = c.duration;
    put(o, &c);

    vigil__sim_conn u;
    conn_init(&u, ts + 0.0004, up_rtt, *res, (uint16_t)(1024 + (ports >> 20) % 64000),
              forwarder(ports >> 40), 53, ID_LOOKUP);
    u.app = VIGIL__SIM_APP_DNS;
    vigil__sim_udp(&u, q + 11, q + 11 + 16); /* the resolver adds EDNS */
    u.a.dns = c.a.dns;
    u.a.dns.rtt = u.duration;
    put(o, &u);

    if (aaaa) {
        vigil__sim_conn a6;
        conn_init(&a6, ts + 0.0002, lan_rtt, src, ephemeral(ports >> 16), *res, 53, ID_LOOKUP);
        a6.local_resp = 1;
        a6.app = VIGIL__SIM_APP_DNS;
        vigil__sim_udp(&a6, q, q + 60); /* the SOA of the negative answer */
        a6.a.dns.query = name;
        a6.a.dns.qtype = 28;
        a6.a.dns.rcode = 0;
        a6.a.dns.rtt = a6.duration;
        put(o, &a6);
    }
}

/* ---- beats ------------------------------------------------------------------------ */

/* Payload sizes of one beacon connection: regular, with occasional tasking
 * (a larger download) or results (a larger upload). */
static void beat_sizes(const implant *im, vigil__sim_rng *r, uint64_t *out_b, uint64_t *in_b,
                       int *task, int *result)
{
    double jo = 1 + 0.08 * vigil__sim_rng_normal(r);
    double ji = 1 + 0.12 * vigil__sim_rng_normal(r);
    if (jo < 0.7) jo = 0.7;
    if (ji < 0.6) ji = 0.6;
    double u = vigil__sim_rng_unit(r);
    double big = vigil__sim_rng_lognormal(r, u < 0.02 ? 150e3 : 60e3, 1.0);
    if (big > 4e6) big = 4e6;
    *task = u < 0.02;
    *result = !*task && u < 0.035;
    *out_b = (uint64_t)(im->out_med * jo) + (*result ? (uint64_t)big : 0);
    *in_b = (uint64_t)(im->in_med * ji) + (*task ? (uint64_t)big : 0);
}

/* One TCP beacon connection (raw, TLS or HTTP) of beat `seq`. */
static double beacon_conn(out *o, const implant *im, vigil__sim_rng *r, double t,
                          vigil_addr src, vigil_addr dst, uint32_t seq, int resumed)
{
    uint64_t ob, ib;
    int task, result;
    beat_sizes(im, r, &ob, &ib, &task, &result);
    uint16_t sport = ephemeral(vigil__sim_rng_u64(r));
    double rate = 1e6 + 3e6 * vigil__sim_rng_unit(r); /* bytes/s */
    double rtts = 2.5 + 0.5 * vigil__sim_rng_unit(r);
    char uri[160];
    vigil__sim_conn c;
    conn_init(&c, t, 0, src, sport, dst, im->dport, im->profile + 1);
    c.app = im->app;
    if (im->app == VIGIL__SIM_APP_SSL) {
        if (resumed) {
            ob += 220;
            ib += 140;
        } else {
            ob += 517 + 126;
            ib += im->cert_bytes;
            rtts += 1;
        }
        c.a.ssl.server_name = im->name;
        c.a.ssl.version = "TLSv12";
        c.a.ssl.cipher = ciphers[im->cipher];
        c.a.ssl.resumed = (uint8_t)resumed;
    } else if (im->app == VIGIL__SIM_APP_HTTP) {
        switch (im->uri) {
        case 0: snprintf(uri, sizeof uri, "/wp-includes/js/jquery/ui.php?id=%08x&n=%u", im->tag, seq); break;
        case 1: snprintf(uri, sizeof uri, "/api/v2/sync?sid=%08x&seq=%u", im->tag, seq); break;
        case 2: snprintf(uri, sizeof uri, "/images/logo_%08x.gif?t=%u", im->tag, seq); break;
        default: snprintf(uri, sizeof uri, "/news/article.php?p=%08x%u", im->tag, seq); break;
        }
        uint64_t req_body = result ? ob - im->out_med : 0;
        uint64_t resp_body = ib > 180 ? ib - 180 : 0;
        uint64_t hdr = 120 + strlen(uri) + strlen(http_uas[im->ua]) + strlen(im->name);
        ob = hdr + req_body;
        ib = 180 + resp_body;
        c.a.http.method = result ? "POST" : "GET";
        c.a.http.host = im->name;
        c.a.http.uri = uri;
        c.a.http.user_agent = http_uas[im->ua];
        c.a.http.status = 200;
        c.a.http.request_body_len = req_body;
        c.a.http.response_body_len = resp_body;
        c.a.http.mime = task ? "application/x-dosexec" : NULL;
    }
    double dur = rtts * im->rtt + (double)(ob + ib) / rate;
    if (dur > 60) dur = 60;
    c.duration = usec(dur);
    vigil__sim_tcp_ok(&c, ob, ib);
    put(o, &c);
    return c.duration;
}

/* One DNS C2 exchange: a TXT query for a long random label under the C2
 * zone, from the victim to its resolver, and the resolver's forwarded query
 * to a public resolver (which recurses to the zone's name server). */
static void dns_query(out *o, const implant *im, vigil__sim_rng *r, double t, vigil_addr src,
                      int big)
{
    static const char b32[] = "abcdefghijklmnopqrstuvwxyz234567";
    static const char b64[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char query[128], ans[300];
    size_t len = 44 + vigil__sim_rng_u64(r) % 19; /* 44..62 */
    for (size_t i = 0; i < len; i++) query[i] = b32[vigil__sim_rng_u64(r) & 31];
    snprintf(query + len, sizeof query - len, ".%s", im->domain);
    size_t dlen = big ? 200 + vigil__sim_rng_u64(r) % 50 : 24 + vigil__sim_rng_u64(r) % 120;
    int n = snprintf(ans, sizeof ans, "TXT %u ", (unsigned)dlen);
    for (size_t i = 0; i < dlen; i++) ans[n + (int)i] = b64[vigil__sim_rng_u64(r) & 63];
    ans[n + (int)dlen] = 0;
    double up_rtt = im->rtt * (1 + 0.2 * vigil__sim_rng_unit(r));
    uint16_t sport = ephemeral(vigil__sim_rng_u64(r));
    uint64_t ports = vigil__sim_rng_u64(r);
    const vigil_addr *res = resolver_addr(o->w, vigil__sim_rng_u64(r));
    size_t q = strlen(query) + 2 + 4 + 12;
    size_t a = q + 12 + dlen + 1; /* the TXT record: name pointer, type,
                                     class, ttl, length, one string */

    vigil__sim_conn c;
    conn_init(&c, t, up_rtt + 0.002, src, sport, *res, 53, im->profile + 1);
    c.local_resp = 1;
    c.app = VIGIL__SIM_APP_DNS;
    vigil__sim_udp(&c, q, a);
    c.a.dns.query = query;
    c.a.dns.qtype = 16;
    c.a.dns.rcode = 0;
    c.a.dns.answers = ans;
    c.a.dns.ttl = 1;
    c.a.dns.rtt = c.duration;
    put(o, &c);

    /* Every tunnel name is new, so always a cache miss: forwarded. */
    vigil__sim_conn u;
    conn_init(&u, t + 0.0005, up_rtt, *res, (uint16_t)(1024 + ports % 64000),
              forwarder(ports >> 20), 53, ID_LOOKUP);
    u.app = VIGIL__SIM_APP_DNS;
    vigil__sim_udp(&u, q + 11, a + 11);
    u.a.dns.query = query;
    u.a.dns.qtype = 16;
    u.a.dns.rcode = 0;
    u.a.dns.answers = ans;
    u.a.dns.ttl = 1;
    u.a.dns.rtt = u.duration;
    put(o, &u);
}

/* Everything of one beat made at time t on UTC day `day`: the name lookup
 * when due, then the beat's connection(s).  r continues the beat's own
 * generator. */
static void beat(out *o, const implant *im, unsigned day, uint64_t k, double t,
                 vigil__sim_rng *r, int need_lookup, double gap)
{
    const vigil__sim_world *w = o->w;
    const vigil__sim_host *host = &w->hosts[im->host];
    vigil_addr src = vigil__sim_host_addr(w, host, day);
    unsigned slot = im->naddr > 1 ? (day + im->rot_off) % im->naddr : 0;
    vigil_addr dst = im->addr[slot];
    uint64_t hl = vigil__sim_rng_u64(r);
    if (need_lookup) /* done 0-50 ms before the connection, < LOOKUP_LEAD */
        lookup(o, t - 0.05 * vigil__sim_unit(hl), src, im->name, im->ip[slot], im->ttl, hl);
    if (im->profile == PR_DNS) {
        int big = vigil__sim_rng_unit(r) < 0.05;
        unsigned n = big ? 3 + (unsigned)(vigil__sim_rng_u64(r) % 10) : 1;
        double tq = t;
        for (unsigned j = 0; j < n; j++) {
            dns_query(o, im, r, tq, src, big);
            tq += 0.2 + 1.8 * vigil__sim_rng_unit(r);
        }
        return;
    }
    unsigned n = im->burst_lo;
    if (im->burst_hi > im->burst_lo)
        n += (unsigned)(vigil__sim_rng_u64(r) % (uint64_t)(im->burst_hi - im->burst_lo + 1));
    int resumed = im->app == VIGIL__SIM_APP_SSL && gap < 3600 && vigil__sim_rng_unit(r) < 0.7;
    double tj = t;
    for (unsigned j = 0; j < n; j++) {
        uint32_t seq = (uint32_t)(day * 100000u + k * 8u + j);
        beacon_conn(o, im, r, tj, src, dst, seq, resumed || j > 0);
        tj += 1 + 7 * vigil__sim_rng_unit(r);
    }
}

/* Walks implant im's beat chain on UTC day `day` (file header, "Beats"),
 * building the beats that fall in [o->lo, o->hi]. */
static void walk_day(out *o, const implant *im, unsigned day)
{
    const vigil__sim_world *w = o->w;
    const plan *p = o->p;
    const vigil__sim_host *host = &w->hosts[im->host];
    double e0 = (double)w->start + day * DAY;
    double hi = p->t_quiet - EXTENT;
    if (e0 + DAY < hi) hi = e0 + DAY;
    if (im->t_inf >= e0 + DAY || im->t_inf + INF_LEAD >= hi || e0 >= hi) return;
    if (!vigil__sim_host_active(w, host, day)) return;
    uint64_t ent = ((uint64_t)im->profile << 32) | day;
    /* On the infection day the first beat comes INF_LEAD after the
     * infection, so its name lookup does too. */
    double t = im->t_inf >= e0
             ? im->t_inf + INF_LEAD
             : e0 + im->period * vigil__sim_unit(vigil__sim_hash(w->seed, VIGIL__SIM_S_C2, ent, 0));
    double last_made = -1, last_lookup = -1;
    for (uint64_t k = 0; t < hi && k < 2000000; k++) {
        vigil__sim_rng r;
        vigil__sim_rng_seed(&r, vigil__sim_hash(w->seed, VIGIL__SIM_S_C2, ent, k + 1));
        double u_sleep = vigil__sim_rng_unit(&r), u_miss = vigil__sim_rng_unit(&r);
        double next = t + im->period * (1 + im->jitter * (2 * u_sleep - 1));
        int made = u_miss >= im->miss;
        if (made && im->office) made = vigil__sim_activity(w, host, t) >= OFFICE_MIN;
        if (made) {
            int need = im->named && (last_lookup < 0 || t - last_lookup >= im->ttl);
            if (need) last_lookup = t;
            double gap = last_made < 0 ? 1e9 : t - last_made;
            last_made = t;
            if (t >= o->lo && t <= o->hi) beat(o, im, day, k, t, &r, need, gap);
        }
        t = next;
    }
}

/* The wallet-ops sessions and the exfiltration (precomputed in the plan). */
static void extras(out *o)
{
    const vigil__sim_world *w = o->w;
    const plan *p = o->p;
    vigil__sim_conn c;
    if (p->wallet_imp >= 0) {
        const vigil__sim_host *host = &w->hosts[p->imp[p->wallet_imp].host];
        for (size_t i = 0; i < p->nsess; i++) {
            const session *s = &p->sess[i];
            unsigned day = (unsigned)((s->ts - (double)w->start) / DAY);
            conn_init(&c, s->ts, s->duration, vigil__sim_host_addr(w, host, day), s->orig_p,
                      s->dst, 443, ID_LONG);
            vigil__sim_tcp_ok(&c, s->out, s->in);
            put(o, &c);
        }
    }
    if (p->exfil_imp >= 0 && p->nchunks) {
        const implant *im = &p->imp[p->exfil_imp];
        const vigil__sim_host *host = &w->hosts[im->host];
        unsigned day = (unsigned)((p->chunks[0].ts - (double)w->start) / DAY);
        vigil_addr src = vigil__sim_host_addr(w, host, day);
        lookup(o, p->exfil_lookup_ts, src, p->exfil_name, p->exfil_ip, 600, hp(w, PL_EXFIL, 99, 0));
        for (size_t i = 0; i < p->nchunks; i++) {
            const chunk *ch = &p->chunks[i];
            conn_init(&c, ch->ts, ch->duration, src, ch->orig_p, p->exfil_addr, 443, ID_EXFIL);
            c.app = VIGIL__SIM_APP_SSL;
            c.a.ssl.server_name = p->exfil_name;
            c.a.ssl.version = "TLSv12";
            c.a.ssl.cipher = ciphers[0];
            vigil__sim_tcp_ok(&c, ch->out, ch->in);
            put(o, &c);
        }
    }
}

/* ---- planning ------------------------------------------------------------------ */

/* A public address in a hosting block of the region, its /24 distinct from
 * every address in taken[0..ntaken). */
static vigil_addr draw_addr(const vigil__sim_world *w, int eu, uint64_t x,
                            const vigil_addr *taken, size_t ntaken, const char **region)
{
    const block *tab = eu ? eu_blocks : us_blocks;
    size_t n = eu ? COUNT(eu_blocks) : COUNT(us_blocks);
    for (uint64_t tr = 0;; tr++) {
        uint64_t h = hp(w, PL_ADDR, x, tr);
        const block *b = &tab[h % n];
        uint32_t span = 1u << (24 - b->bits); /* /24s in the block */
        uint32_t net = ((uint32_t)b->a << 16 | (uint32_t)b->b << 8 | b->c) + (uint32_t)((h >> 16) % span);
        vigil_addr a = v4(net >> 16, (net >> 8) & 255, net & 255, 2 + (unsigned)((h >> 40) % 249));
        int clash = 0;
        for (size_t i = 0; i < ntaken; i++)
            if (memcmp(taken[i].b, a.b, 15) == 0) clash = 1;
        if (!clash || tr > 64) {
            *region = b->region;
            return a;
        }
    }
}

/* A registered domain not equal to any in taken[0..ntaken). */
static void draw_domain(const vigil__sim_world *w, uint64_t x, char *dst, size_t cap,
                        char taken[][48], size_t ntaken)
{
    for (uint64_t tr = 0;; tr++) {
        uint64_t h = hp(w, PL_NAME, x, tr);
        snprintf(dst, cap, "%s%s%s.%s", words1[h % COUNT(words1)], (h >> 20) & 1 ? "-" : "",
                 words2[(h >> 8) % COUNT(words2)], tlds[(h >> 32) % COUNT(tlds)]);
        int clash = 0;
        for (size_t i = 0; i < ntaken; i++)
            if (strcmp(taken[i], dst) == 0) clash = 1;
        if (!clash || tr > 64) return;
    }
}

/* The attacker's look-alike of the company's mail domain. */
static void draw_lookalike(const vigil__sim_world *w, char *dst, size_t cap)
{
    char base[48];
    const char *dot = strchr(w->domain, '.');
    size_t bl = dot ? (size_t)(dot - w->domain) : strlen(w->domain);
    if (bl >= sizeof base) bl = sizeof base - 1;
    memcpy(base, w->domain, bl);
    base[bl] = 0;
    uint64_t h = hp(w, PL_PHISH, 0, 0);
    switch (h % 5) {
    case 0: snprintf(dst, cap, "%s-jp.com", base); break;
    case 1: snprintf(dst, cap, "%s.co", base); break;
    case 2: snprintf(dst, cap, "%ss.com", base); break;
    case 3: snprintf(dst, cap, "%s-mail.com", base); break;
    default: {
        /* a homoglyph: the first l -> 1, else o -> 0, else i -> l */
        char *c = strchr(base, 'l');
        if (c) *c = '1';
        else if ((c = strchr(base, 'o'))) *c = '0';
        else if ((c = strchr(base, 'i'))) *c = 'l';
        snprintf(dst, cap, "%s.com", base);
        break;
    }
    }
    if (strcmp(dst, w->domain) == 0) snprintf(dst, cap, "%s-jp.com", base);
}

/* Rank key of host h for victim choice: lower is better (tier, then hash). */
static uint64_t victim_key(const vigil__sim_world *w, const vigil__sim_host *h)
{
    uint64_t tier;
    int stable = h->join_day == 0 && h->off_from < 0;
    if (h->role == VIGIL__SIM_SERVER) tier = 3;
    else if (h->role == VIGIL__SIM_WORKSTATION && stable) tier = 0;
    else if (stable) tier = 1;
    else tier = 2;
    return tier << 60 | (hp(w, PL_VICTIM, h->id, 0) >> 4);
}

/* The first office moment of host h at or after t (activity >= 0.5),
 * looking up to 14 days ahead; -1 when none. */
static double next_office(const vigil__sim_world *w, const vigil__sim_host *h, double t)
{
    for (double x = t; x < t + 14 * DAY; x += 300)
        if (vigil__sim_activity(w, h, x) >= 0.5) return x;
    return -1;
}

/* Chooses victims, waves, infection times and the look-alike sender. */
static void plan_victims(const vigil__sim_world *w, uint32_t *hosts, size_t *nh)
{
    /* The wallet-ops host first (the heist needs it), then the best ranked. */
    size_t n = 0;
    uint64_t best = UINT64_MAX;
    for (size_t i = 0; i < w->nhosts; i++) {
        const vigil__sim_host *h = &w->hosts[i];
        if (h->role != VIGIL__SIM_WALLET_OPS || h->join_day || h->off_from >= 0) continue;
        uint64_t k = hp(w, PL_VICTIM, h->id, 1);
        if (k < best) {
            best = k;
            hosts[0] = h->id;
            n = 1;
        }
    }
    while (n < NPROF) {
        uint64_t bk = UINT64_MAX;
        size_t bi = SIZE_MAX;
        for (size_t i = 0; i < w->nhosts; i++) {
            const vigil__sim_host *h = &w->hosts[i];
            int used = 0;
            for (size_t j = 0; j < n; j++)
                if (hosts[j] == h->id) used = 1;
            if (used || h->role == VIGIL__SIM_SERVER) continue;
            uint64_t k = victim_key(w, h);
            if (k < bk) {
                bk = k;
                bi = i;
            }
        }
        if (bi == SIZE_MAX || (bk >> 60) >= 2) break; /* no more stable users */
        hosts[n++] = (uint32_t)bi;
    }
    *nh = n;
}

vigil_status vigil__sim_intrusion_plan(vigil__sim_world *w)
{
    plan *p = vigil__calloc(&w->alloc, 1, sizeof *p);
    if (!p) return VIGIL_ENOMEM;
    w->intrusion = p;
    p->wallet_imp = p->exfil_imp = -1;
    int days = (int)w->days;

    /* The quiet time and the heist. */
    int q = days >= 26 ? 24 : days >= 3 ? days - 2 : days - 1;
    p->quiet_day = q;
    double midnight = local_midnight(w, q + 1);
    p->t_quiet = usec(midnight - 60 - 840 * up(w, PL_TIME, 0, 0));
    p->t_heist = usec(midnight + 60 + 240 * up(w, PL_TIME, 0, 1));
    double wstart = (double)w->start;

    /* Victims (distinct hosts), waves, infection. */
    uint32_t hosts[NPROF];
    size_t nh = 0;
    plan_victims(w, hosts, &nh);
    if (nh == 0) { /* no user hosts at all: nothing to plant */
        p->nevents = 0;
        return VIGIL_OK;
    }
    size_t nwaves = nh >= 3 ? 2 + (size_t)(hp(w, PL_WAVE, 0, 0) & 1) : 1;
    p->nwaves = nwaves;
    draw_lookalike(w, p->lookalike, sizeof p->lookalike);
    int lo = scaled(1, q), hi = scaled(6, q);
    if (hi < lo) hi = lo;
    double t_open[NPROF], t_inf[NPROF];
    int host_wave[NPROF];
    for (size_t wv = 0; wv < nwaves; wv++) {
        wave *wa = &p->waves[wv];
        int span = hi - lo + 1;
        int d = lo + (int)floor((wv + up(w, PL_WAVE, wv, 1)) * span / (double)nwaves);
        double ts = local_midnight(w, d) + DAY * up(w, PL_WAVE, wv, 2);
        if (ts < wstart + 60) ts = wstart + 60 + 3600 * up(w, PL_WAVE, wv, 3);
        if (ts > p->t_quiet - 8 * 3600) ts = wstart + 60 + 600 * wv;
        wa->ts = usec(ts);
        wa->subject = (uint8_t)(hp(w, PL_WAVE, wv, 4) % COUNT(subjects));
        wa->sender = -1;
    }
    for (size_t j = 0; j < nh; j++) {
        /* Hosts go to waves in a seeded order. */
        host_wave[j] = (int)((j + hp(w, PL_WAVE, 0, 5)) % nwaves);
        const vigil__sim_host *h = &w->hosts[hosts[j]];
        double arrival = p->waves[host_wave[j]].ts;
        double seen = next_office(w, h, arrival);
        double open = seen >= 0 ? seen + 120 + 3480 * up(w, PL_OPEN, j, 0) : arrival + 600;
        double inf = open + 20 + 160 * up(w, PL_OPEN, j, 1);
        if (inf > p->t_quiet - 6 * 3600) { /* tiny world: no time to wait */
            open = arrival + 300;
            inf = open + 60;
        }
        t_open[j] = usec(open);
        t_inf[j] = usec(inf);
        wave *wa = &p->waves[host_wave[j]];
        if (h->owner >= 0 && wa->nrcpt < MAX_RCPT) wa->rcpt[wa->nrcpt++] = h->owner;
    }
    /* Decoys who got the mail but did not open it, and the impersonated
     * colleague (same department as the first recipient when possible). */
    for (size_t wv = 0; wv < nwaves && w->npeople; wv++) {
        wave *wa = &p->waves[wv];
        size_t ndecoy = 1 + hp(w, PL_WAVE, wv, 6) % 3;
        for (uint64_t tr = 0; ndecoy && tr < 64 && wa->nrcpt < MAX_RCPT; tr++) {
            int32_t who = (int32_t)(hp(w, PL_WAVE, wv, 100 + tr) % w->npeople);
            int dup = 0;
            for (size_t v = 0; v < nwaves; v++)
                for (size_t i = 0; i < p->waves[v].nrcpt; i++)
                    if (p->waves[v].rcpt[i] == who) dup = 1;
            for (size_t j = 0; j < nh; j++)
                if (w->hosts[hosts[j]].owner == who) dup = 1;
            if (dup) continue;
            wa->rcpt[wa->nrcpt++] = who;
            ndecoy--;
        }
        int dept = wa->nrcpt ? w->people[wa->rcpt[0]].dept : -1;
        for (uint64_t tr = 0; tr < 256 && wa->sender < 0; tr++) {
            int32_t who = (int32_t)(hp(w, PL_WAVE, wv, 1000 + tr) % w->npeople);
            int bad = tr < 192 && dept >= 0 && w->people[who].dept != dept;
            for (size_t i = 0; i < wa->nrcpt; i++)
                if (wa->rcpt[i] == who) bad = 1;
            if (!bad || tr == 255) wa->sender = who;
        }
        const char *email = w->people[wa->sender].email;
        const char *at = strchr(email, '@');
        int local = at ? (int)(at - email) : (int)strlen(email);
        snprintf(wa->sender_addr, sizeof wa->sender_addr, "%.*s@%s", local, email, p->lookalike);
    }

    /* Profiles to hosts: a seeded permutation of slots; slot j is host
     * j % nh; the wallet-ops host (slot 0) never gets the DNS or
     * office-hours profile (its session needs an address and the nights). */
    unsigned perm[NPROF];
    for (unsigned i = 0; i < NPROF; i++) perm[i] = i;
    for (unsigned i = NPROF - 1; i > 0; i--) {
        unsigned j = (unsigned)(hp(w, PL_PERM, i, 0) % (i + 1));
        unsigned t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
    }
    for (unsigned i = 0; i < NPROF; i++) {
        if (perm[i] != 0 || (i != PR_DNS && i != PR_OFFICE)) continue;
        for (unsigned j = 0; j < NPROF; j++) {
            unsigned jj = (j + (unsigned)hp(w, PL_PERM, 99, 0)) % NPROF;
            if (jj != PR_DNS && jj != PR_OFFICE) {
                perm[i] = perm[jj];
                perm[jj] = 0;
                break;
            }
        }
        break;
    }

    /* The implants. */
    vigil_addr taken[NPROF * MAX_ADDR + 2];
    size_t ntaken = 0;
    char domains[NPROF + 2][48];
    size_t ndomains = 0;
    unsigned on_host[NPROF] = { 0 };
    for (unsigned i = 0; i < NPROF; i++) {
        const profile_spec *s = &specs[i];
        implant *im = &p->imp[i];
        unsigned slot = perm[i] % (unsigned)nh;
        vigil__sim_rng r;
        vigil__sim_rng_seed(&r, hp(w, PL_IMPLANT, i, 0));
        im->profile = (uint8_t)i;
        im->host = hosts[slot];
        im->wave = host_wave[slot];
        im->t_open = t_open[slot];
        /* A second implant on the same host (tiny worlds) starts later. */
        im->t_inf = usec(t_inf[slot] + 45.0 * on_host[slot]++);
        double per = s->period_lo + (s->period_hi - s->period_lo) * vigil__sim_rng_unit(&r);
        im->period = floor(per / s->step + 0.5) * s->step;
        im->jitter = s->jitter_lo + (s->jitter_hi - s->jitter_lo) * vigil__sim_rng_unit(&r);
        im->miss = s->miss_lo + (s->miss_hi - s->miss_lo) * vigil__sim_rng_unit(&r);
        im->jitter = floor(im->jitter * 1000 + 0.5) / 1000;
        im->miss = floor(im->miss * 1000 + 0.5) / 1000;
        im->burst_lo = s->burst_lo;
        im->burst_hi = s->burst_hi;
        im->office = s->office;
        im->app = s->app;
        im->named = s->named;
        im->dport = s->dport;
        im->naddr = (uint8_t)(s->naddr_lo + vigil__sim_rng_u64(&r) % (uint64_t)(s->naddr_hi - s->naddr_lo + 1));
        im->rot_off = (uint8_t)(vigil__sim_rng_u64(&r) % im->naddr);
        im->ua = (uint8_t)(vigil__sim_rng_u64(&r) % COUNT(http_uas));
        im->uri = (uint8_t)(vigil__sim_rng_u64(&r) % COUNT(uri_patterns));
        im->cipher = (uint8_t)(vigil__sim_rng_u64(&r) % COUNT(ciphers));
        static const uint32_t ttls[] = { 300, 600, 1800, 3600 };
        im->ttl = i == PR_ROTATING ? 300 : ttls[vigil__sim_rng_u64(&r) % COUNT(ttls)];
        if (!im->named) im->ttl = 0;
        im->tag = (uint32_t)vigil__sim_rng_u64(&r);
        im->out_med = 180 + (uint32_t)(420 * vigil__sim_rng_unit(&r));
        im->in_med = 250 + (uint32_t)(2250 * vigil__sim_rng_unit(&r));
        im->cert_bytes = 2600 + (uint32_t)(1800 * vigil__sim_rng_unit(&r));
        /* Europe and the US both: implant 0 in Europe, 1 in the US, the
         * rest drawn; a rotating set spans both. */
        int eu = i == 0 ? 1 : i == 1 ? 0 : vigil__sim_rng_unit(&r) < 0.55;
        for (unsigned a = 0; a < im->naddr; a++) {
            int reu = im->naddr > 1 ? (int)((a + (unsigned)eu) & 1) : eu;
            im->addr[a] = draw_addr(w, reu, i * MAX_ADDR + a, taken, ntaken, &im->region[a]);
            taken[ntaken++] = im->addr[a];
            vigil_addr_format(&im->addr[a], im->ip[a]);
        }
        im->rtt = strcmp(im->region[0], "EU") == 0 ? 0.22 + 0.06 * vigil__sim_rng_unit(&r)
                                                   : 0.10 + 0.07 * vigil__sim_rng_unit(&r);
        draw_domain(w, i, im->domain, sizeof im->domain, domains, ndomains);
        memcpy(domains[ndomains++], im->domain, sizeof im->domain);
        if (i == PR_DNS || vigil__sim_rng_unit(&r) < 0.3)
            snprintf(im->name, sizeof im->name, "%s", im->domain);
        else
            snprintf(im->name, sizeof im->name, "%s.%s", subs[vigil__sim_rng_u64(&r) % COUNT(subs)],
                     im->domain);
        if (slot == 0 && p->wallet_imp < 0 && i != PR_DNS && i != PR_OFFICE &&
            w->hosts[im->host].role == VIGIL__SIM_WALLET_OPS)
            p->wallet_imp = (int)i;
    }
    if (p->wallet_imp < 0) p->wallet_imp = PR_TLS; /* no wallet-ops host: any shell */

    /* Wallet-ops sessions: 2-3 dates in 19..23 after the infection. */
    {
        const implant *im = &p->imp[p->wallet_imp];
        int first = local_date(w, im->t_inf) + 1;
        int slo = scaled(19, q), shi = scaled(23, q);
        if (slo < first) slo = first;
        if (shi > q) shi = q;
        size_t want = 2 + (size_t)(hp(w, PL_SESS, 0, 0) & 1);
        int used[64] = { 0 };
        for (uint64_t tr = 0; p->nsess < want && shi >= slo && tr < 64; tr++) {
            int d = slo + (int)(hp(w, PL_SESS, 1, tr) % (uint64_t)(shi - slo + 1));
            if (used[d & 63]) continue;
            used[d & 63] = 1;
            session *s = &p->sess[p->nsess];
            s->ts = local_midnight(w, d) + 3600 * (13 + 8 * up(w, PL_SESS, 2, tr));
            s->duration = 3600 * (2 + 3 * up(w, PL_SESS, 3, tr));
            if (s->ts + s->duration > p->t_quiet - EXTENT) s->duration = p->t_quiet - EXTENT - s->ts;
            if (s->duration < 1800) continue;
            p->nsess++;
        }
        if (p->nsess == 0) { /* tiny world: one session right after infection */
            session *s = &p->sess[0];
            s->ts = im->t_inf + 3600;
            s->duration = (p->t_quiet - EXTENT - s->ts) / 2;
            if (s->duration > 3 * 3600) s->duration = 3 * 3600;
            if (s->duration > 60) p->nsess = 1;
        }
        /* sort by start */
        for (size_t i = 1; i < p->nsess; i++)
            for (size_t j = i; j > 0 && p->sess[j].ts < p->sess[j - 1].ts; j--) {
                session t = p->sess[j];
                p->sess[j] = p->sess[j - 1];
                p->sess[j - 1] = t;
            }
        for (size_t i = 0; i < p->nsess; i++) {
            session *s = &p->sess[i];
            s->ts = usec(s->ts);
            s->duration = usec(s->duration);
            unsigned day = (unsigned)((s->ts - wstart) / DAY);
            s->dst = im->addr[im->naddr > 1 ? (day + im->rot_off) % im->naddr : 0];
            s->orig_p = ephemeral(hp(w, PL_SESS, 4, i));
            s->out = (uint64_t)(2e6 + 23e6 * up(w, PL_SESS, 5, i));
            s->in = (uint64_t)(5e5 + 75e5 * up(w, PL_SESS, 6, i));
        }
    }

    /* The exfiltration: an infected host other than the wallet-ops one and
     * not the office-hours victim, one night of dates 15..21. */
    {
        int cand[NPROF], nc = 0;
        for (int i = 0; i < NPROF; i++)
            if (i != PR_OFFICE && p->imp[i].host != p->imp[p->wallet_imp].host) cand[nc++] = i;
        if (nc == 0) cand[nc++] = p->wallet_imp;
        p->exfil_imp = cand[hp(w, PL_EXFIL, 0, 0) % (uint64_t)nc];
        const implant *im = &p->imp[p->exfil_imp];
        int first = local_date(w, im->t_inf) + 1;
        int elo = scaled(15, q), ehi = scaled(21, q);
        if (elo < first) elo = first;
        if (ehi > q) ehi = q;
        if (ehi < elo) ehi = elo;
        double t;
        if (elo <= q) {
            int d = elo + (int)(hp(w, PL_EXFIL, 1, 0) % (uint64_t)(ehi - elo + 1));
            t = local_midnight(w, d) + 3600 + 5400 * up(w, PL_EXFIL, 2, 0);
        } else {
            t = im->t_inf + 1800;
        }
        p->exfil_region = NULL;
        p->exfil_addr = draw_addr(w, up(w, PL_EXFIL, 3, 0) < 0.5, 1000, taken, ntaken,
                                  &p->exfil_region);
        taken[ntaken++] = p->exfil_addr;
        vigil_addr_format(&p->exfil_addr, p->exfil_ip);
        char dom[48];
        draw_domain(w, 1000, dom, sizeof dom, domains, ndomains);
        static const char *const fsubs[] = { "files", "backup", "dl", "upload", "store" };
        snprintf(p->exfil_name, sizeof p->exfil_name, "%s.%s",
                 fsubs[hp(w, PL_EXFIL, 4, 0) % COUNT(fsubs)], dom);
        p->exfil_lookup_ts = usec(t - 0.5);
        p->nchunks = 3 + (size_t)(hp(w, PL_EXFIL, 5, 0) % 4);
        double total = 3e8 + 5e8 * up(w, PL_EXFIL, 6, 0), wsum = 0, wt[MAX_CHUNKS];
        for (size_t i = 0; i < p->nchunks; i++) wsum += wt[i] = 0.5 + up(w, PL_EXFIL, 7, i);
        for (size_t i = 0; i < p->nchunks; i++) {
            chunk *ch = &p->chunks[i];
            ch->out = (uint64_t)(total * wt[i] / wsum);
            ch->in = (uint64_t)(ch->out / 200 + 4000);
            ch->ts = usec(t);
            ch->duration = usec((double)ch->out / (4e6 + 6e6 * up(w, PL_EXFIL, 8, i)));
            ch->orig_p = ephemeral(hp(w, PL_EXFIL, 9, i));
            t = ch->ts + ch->duration + 5 + 85 * up(w, PL_EXFIL, 10, i);
        }
    }
    p->nevents = ID_PHISH0 - 1 + p->nwaves;

    /* Count mode over the whole world: conns, first and last per event. */
    out o;
    memset(&o, 0, sizeof o);
    o.w = w;
    o.p = p;
    o.stats = p->stats;
    o.t0 = wstart;
    o.t1 = wstart + days * DAY;
    o.lo = -1e300;
    o.hi = 1e300;
    for (unsigned i = 0; i < NPROF; i++)
        for (unsigned d = 0; d < w->days; d++) walk_day(&o, &p->imp[i], d);
    extras(&o);
    return o.rc;
}

void vigil__sim_intrusion_free(vigil__sim_world *w)
{
    if (!w || !w->intrusion) return;
    vigil__free(&w->alloc, w->intrusion);
    w->intrusion = NULL;
}

vigil_status vigil__sim_intrusion_hour(const vigil__sim_world *w, vigil__sim_hour *h)
{
    const plan *p = w->intrusion;
    if (!p || p->nevents == 0) return VIGIL_OK;
    out o;
    memset(&o, 0, sizeof o);
    o.w = w;
    o.p = p;
    o.hour = h;
    o.t0 = vigil__sim_hour_t0(h);
    o.t1 = o.t0 + 3600;
    o.lo = o.t0 - EXTENT - 1;
    o.hi = o.t1 + LOOKUP_LEAD + 1;
    double wstart = (double)w->start;
    double dlo = floor((o.lo - wstart) / DAY), dhi = floor((o.hi - wstart) / DAY);
    if (dlo < 0) dlo = 0;
    if (dhi > w->days - 1.0) dhi = w->days - 1.0;
    for (unsigned i = 0; i < NPROF; i++)
        for (double d = dlo; d <= dhi; d++) walk_day(&o, &p->imp[i], (unsigned)d);
    extras(&o);
    return o.rc;
}

/* ---- truth.json ------------------------------------------------------------------ */

size_t vigil__sim_truth_count(const vigil__sim_world *w)
{
    return w->intrusion ? w->intrusion->nevents : 0;
}

/* A JSON string (escaped). */
static void jstr(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') fprintf(f, "\\%c", c);
        else if (c < 0x20) fprintf(f, "\\u%04x", c);
        else fputc(c, f);
    }
    fputc('"', f);
}

static void jaddr(FILE *f, const vigil_addr *a)
{
    char buf[VIGIL_ADDR_STRLEN];
    jstr(f, vigil_addr_format(a, buf));
}

/* ,"key":<time> with microseconds, or null when t is 0 (nothing made). */
static void jtime(FILE *f, const char *key, double t)
{
    if (t > 0) fprintf(f, ",\"%s\":%.6f", key, t);
    else fprintf(f, ",\"%s\":null", key);
}

/* The common head of an event: id, kind, expect, also, conns. */
static void jhead(FILE *f, int id, const char *kind, const char *expect, const char *also,
                  uint64_t conns)
{
    fprintf(f, "{\"id\":%d,\"kind\":", id);
    jstr(f, kind);
    fputs(",\"expect\":", f);
    if (expect) jstr(f, expect);
    else fputs("null", f);
    fprintf(f, ",\"also\":[%s],\"conns\":%llu", also, (unsigned long long)conns);
}

/* ,"src":..,"src_host":..,"owner":..,"role":.. of an implant's host on the
 * day of time t. */
static void jsrc(FILE *f, const vigil__sim_world *w, uint32_t host, double t)
{
    const vigil__sim_host *h = &w->hosts[host];
    double rel = (t - (double)w->start) / DAY;
    unsigned day = rel < 0 ? 0 : (unsigned)rel;
    vigil_addr a = vigil__sim_host_addr(w, h, day);
    fputs(",\"src\":", f);
    jaddr(f, &a);
    fputs(",\"src_host\":", f);
    jstr(f, h->name);
    fputs(",\"owner\":", f);
    if (h->owner >= 0) jstr(f, w->people[h->owner].email);
    else fputs("null", f);
    static const char *const roles[] = { "workstation", "laptop", "server", "wallet-ops" };
    fputs(",\"role\":", f);
    jstr(f, roles[h->role & 3]);
}

vigil_status vigil__sim_truth_write(const vigil__sim_world *w, const char *dir,
                                    const uint64_t *conn_counts, size_t n)
{
    const plan *p = w->intrusion;
    char path[4096];
    if (snprintf(path, sizeof path, "%s/truth.json", dir) >= (int)sizeof path) return VIGIL_EINVAL;
    FILE *f = fopen(path, "w");
    if (!f) return VIGIL_EIO;
    size_t nev = p ? p->nevents : 0;
    uint64_t counts[ID_MAX];
    for (size_t id = 1; id < ID_MAX; id++)
        counts[id] = conn_counts && id <= n ? conn_counts[id - 1] : p ? p->stats[id].conns : 0;

    fprintf(f, "{\"version\":1,\"generator\":\"vigil simulate\",\"seed\":%llu,\"start\":%lld,"
               "\"days\":%u,\"hosts\":%zu,\"tz_offset\":%d,\"quiet_day\":%d,\"events\":[",
            (unsigned long long)w->seed, (long long)w->start, w->days, w->nhosts, w->tz_offset,
            p ? p->quiet_day : -1);
    double last_beat = 0;
    for (size_t id = 1; p && id <= nev; id++) {
        fputs(id == 1 ? "\n" : ",\n", f);
        const ev_stat *st = &p->stats[id];
        if (id <= NPROF) {
            const implant *im = &p->imp[id - 1];
            int dns = im->profile == PR_DNS;
            jhead(f, (int)id, dns ? "dns_c2" : "beacon", dns ? "dns" : "beacon",
                  dns ? "\"beacon\"" : "\"rare_dest\"", counts[id]);
            fputs(",\"profile\":", f);
            jstr(f, specs[im->profile].name);
            jsrc(f, w, im->host, im->t_inf);
            fputs(",\"dst\":[", f);
            if (dns) {
                jaddr(f, &w->hosts[w->resolver[0]].addr);
                fputc(',', f);
                jaddr(f, &w->hosts[w->resolver[1]].addr);
            }
            for (unsigned a = 0; !dns && a < im->naddr; a++) {
                if (a) fputc(',', f);
                jaddr(f, &im->addr[a]);
            }
            fputs("],\"dst_names\":[", f);
            if (im->named || dns) jstr(f, dns ? im->domain : im->name);
            fputs("],\"dst_region\":[", f);
            for (unsigned a = 0; !dns && a < im->naddr; a++) {
                if (a) fputc(',', f);
                jstr(f, im->region[a]);
            }
            if (dns) {
                /* The attacker's name server: the internal resolvers relay
                 * the TXT queries to it, so its traffic is C2 traffic too. */
                fputs("],\"upstream\":[", f);
                for (unsigned a = 0; a < im->naddr; a++) {
                    if (a) fputc(',', f);
                    jaddr(f, &im->addr[a]);
                }
            }
            const char *svc = im->app == VIGIL__SIM_APP_SSL ? "\"ssl\""
                            : im->app == VIGIL__SIM_APP_HTTP ? "\"http\""
                            : im->app == VIGIL__SIM_APP_DNS ? "\"dns\"" : "null";
            fprintf(f, "],\"dport\":%u,\"proto\":\"%s\",\"service\":%s", im->dport,
                    dns ? "udp" : "tcp", svc);
            jtime(f, "infected_ts", im->t_inf);
            fprintf(f, ",\"phish_id\":%d", ID_PHISH0 + im->wave);
            jtime(f, "first_ts", st->first);
            jtime(f, "last_ts", st->last);
            fprintf(f, ",\"period_s\":%.0f,\"jitter\":%.3f,\"miss_rate\":%.3f,\"burst\":[%u,%u],"
                       "\"office_hours\":%s,\"ttl\":%u",
                    im->period, im->jitter, im->miss, im->burst_lo, im->burst_hi,
                    im->office ? "true" : "false", im->ttl);
            if (im->app == VIGIL__SIM_APP_HTTP) {
                fputs(",\"user_agent\":", f);
                jstr(f, http_uas[im->ua]);
                fputs(",\"uri_pattern\":", f);
                jstr(f, uri_patterns[im->uri]);
            }
            if (im->naddr > 1) fputs(",\"rotation\":\"daily-utc\"", f);
            if (dns) {
                fputs(",\"domain\":", f);
                jstr(f, im->domain);
                fputs(",\"qtype\":16,\"label_len\":[44,62]", f);
            }
            if (st->last > last_beat) last_beat = st->last;
        } else if (id == ID_LONG) {
            const implant *im = &p->imp[p->wallet_imp];
            jhead(f, (int)id, "long_conn", "long_conn", "\"rare_dest\"", counts[id]);
            jsrc(f, w, im->host, p->nsess ? p->sess[0].ts : im->t_inf);
            fputs(",\"dst\":[", f);
            double total = 0;
            for (size_t i = 0, k = 0; i < p->nsess; i++) {
                int seen = 0;
                for (size_t j = 0; j < i; j++)
                    if (memcmp(&p->sess[j].dst, &p->sess[i].dst, sizeof(vigil_addr)) == 0) seen = 1;
                if (seen) continue;
                if (k++) fputc(',', f);
                jaddr(f, &p->sess[i].dst);
            }
            fputs("],\"dst_names\":[", f);
            if (im->named) jstr(f, im->name);
            fputs("],\"dport\":443,\"proto\":\"tcp\",\"service\":null,\"sessions\":[", f);
            for (size_t i = 0; i < p->nsess; i++) {
                const session *s = &p->sess[i];
                fprintf(f, "%s{\"ts\":%.6f,\"duration\":%.6f,\"dst\":", i ? "," : "", s->ts,
                        s->duration);
                jaddr(f, &s->dst);
                fprintf(f, ",\"orig_bytes\":%llu,\"resp_bytes\":%llu}",
                        (unsigned long long)s->out, (unsigned long long)s->in);
                total += s->duration;
            }
            fprintf(f, "],\"duration_s\":%.6f", total);
            jtime(f, "first_ts", st->first);
            jtime(f, "last_ts", st->last);
            if (st->last > last_beat) last_beat = st->last;
        } else if (id == ID_EXFIL) {
            const implant *im = &p->imp[p->exfil_imp];
            jhead(f, (int)id, "exfil", "exfil", "\"rare_dest\"", counts[id]);
            jsrc(f, w, im->host, p->chunks[0].ts);
            fputs(",\"dst\":[", f);
            jaddr(f, &p->exfil_addr);
            fputs("],\"dst_names\":[", f);
            jstr(f, p->exfil_name);
            fputs("],\"dst_region\":[", f);
            jstr(f, p->exfil_region);
            uint64_t bytes = 0;
            for (size_t i = 0; i < p->nchunks; i++) bytes += p->chunks[i].out;
            fprintf(f, "],\"dport\":443,\"proto\":\"tcp\",\"service\":\"ssl\",\"bytes\":%llu",
                    (unsigned long long)bytes);
            jtime(f, "first_ts", st->first);
            jtime(f, "last_ts", st->last);
            if (st->last > last_beat) last_beat = st->last;
        } else if (id == ID_LOOKUP) {
            jhead(f, (int)id, "c2_lookup", NULL, "", counts[id]);
            fputs(",\"names\":[", f);
            int k = 0;
            for (unsigned i = 0; i < NPROF; i++) {
                if (!p->imp[i].named) continue;
                if (k++) fputc(',', f);
                jstr(f, p->imp[i].name);
            }
            fputc(',', f);
            jstr(f, p->exfil_name);
            fputs("],\"resolvers\":[", f);
            jaddr(f, &w->hosts[w->resolver[0]].addr);
            fputc(',', f);
            jaddr(f, &w->hosts[w->resolver[1]].addr);
            fputs("],\"forwarders\":[", f);
            for (uint64_t fk = 0; fk < 3; fk++) {
                vigil_addr fa = forwarder(fk);
                if (fk) fputc(',', f);
                jaddr(f, &fa);
            }
            fputc(']', f);
            jtime(f, "first_ts", st->first);
            jtime(f, "last_ts", st->last);
            if (st->last > last_beat) last_beat = st->last;
        } else if (id == ID_QUIET) {
            jhead(f, (int)id, "c2_quiet", NULL, "", counts[id]);
            jtime(f, "ts", p->t_quiet);
            jtime(f, "last_beat_ts", last_beat);
        } else if (id == ID_HEIST) {
            jhead(f, (int)id, "heist", "outflow", "", counts[id]);
            jtime(f, "ts", p->t_heist);
            const vigil__sim_host *ws = &w->hosts[w->wallet_server];
            fputs(",\"wallet_server\":", f);
            jaddr(f, &ws->addr);
            fputs(",\"wallet_server_host\":", f);
            jstr(f, ws->name);
        } else {
            size_t wv = id - ID_PHISH0;
            const wave *wa = &p->waves[wv];
            jhead(f, (int)id, "phish", "phish", "", counts[id]);
            jtime(f, "ts", wa->ts);
            fputs(",\"subject\":", f);
            jstr(f, subjects[wa->subject][0]);
            fputs(",\"attachment\":", f);
            jstr(f, subjects[wa->subject][1]);
            fputs(",\"sender_display\":", f);
            jstr(f, wa->sender >= 0 ? w->people[wa->sender].display : "IT Helpdesk");
            fputs(",\"sender_addr\":", f);
            jstr(f, wa->sender_addr);
            fputs(",\"sender_domain\":", f);
            jstr(f, p->lookalike);
            fputs(",\"impersonates\":", f);
            if (wa->sender >= 0) jstr(f, w->people[wa->sender].email);
            else fputs("null", f);
            fputs(",\"recipients\":[", f);
            for (size_t i = 0; i < wa->nrcpt; i++) {
                if (i) fputc(',', f);
                jstr(f, w->people[wa->rcpt[i]].email);
            }
            fputs("],\"opened\":[", f);
            /* One entry per victim host of this wave, with its implants. */
            int k = 0;
            for (unsigned i = 0; i < NPROF; i++) {
                const implant *im = &p->imp[i];
                if (im->wave != (int)wv) continue;
                int dup = 0;
                for (unsigned j = 0; j < i; j++)
                    if (p->imp[j].host == im->host) dup = 1;
                if (dup) continue;
                const vigil__sim_host *h = &w->hosts[im->host];
                fputs(k++ ? ",{\"email\":" : "{\"email\":", f);
                if (h->owner >= 0) jstr(f, w->people[h->owner].email);
                else fputs("null", f);
                fputs(",\"host\":", f);
                jstr(f, h->name);
                fputs(",\"src\":", f);
                vigil_addr a = vigil__sim_host_addr(w, h, (unsigned)((im->t_inf - (double)w->start) / DAY));
                jaddr(f, &a);
                jtime(f, "ts", im->t_open);
                jtime(f, "infected_ts", im->t_inf);
                fputs(",\"implants\":[", f);
                int m = 0;
                for (unsigned j = 0; j < NPROF; j++)
                    if (p->imp[j].host == im->host) fprintf(f, "%s%u", m++ ? "," : "", j + 1);
                fputs("]}", f);
            }
            fputc(']', f);
        }
        fputc('}', f);
    }
    fputs("\n]}\n", f);
    int bad = ferror(f);
    if (fclose(f) != 0) bad = 1;
    return bad ? VIGIL_EIO : VIGIL_OK;
}
