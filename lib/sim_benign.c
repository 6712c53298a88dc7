/* sim_benign.c -- benign enterprise traffic: browsing, DNS, shared periodic services, pollers, long sessions.
 *
 * Input: the world (sim_world.c: hosts, calendar, activity curve).  Output:
 * a plan (vigil__sim_benign_plan: a catalogue of made-up external sites,
 * CDNs and SaaS services with their addresses and DNS answers, and each
 * host's personality), and for any hour, every benign connection that ends
 * in it (vigil__sim_benign_hour), through vigil__sim_emit.
 *
 * The world must fool a naive beacon detector, so besides ordinary
 * browsing it carries the traps real networks carry: destinations every
 * host polls on a timer (OS updates, telemetry, NTP, anti-virus, chat,
 * cloud sync), a websocket app that reconnects every few seconds all day,
 * internal pollers, names that rotate through many CDN addresses,
 * hours-long sessions (backup, VPN, SMB) and large uploads.  Each modelled
 * behaviour has a comment saying what it imitates and why it is here.
 *
 * Determinism (sim.h): every choice is a hash of (seed, stream, entity,
 * index).  Events are anchored at a time (a browsing slot, a periodic
 * beat, a local day) and every hour recomputes the anchors whose records
 * can end in it, emitting only the records that do, so any hour can be
 * generated alone.  Random draws never depend on whether a record is
 * emitted, so the look-back part of the window replays exactly. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "sim.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))
/* A sub-stream of a named stream: keeps unrelated choices independent. */
#define SUB(stream, sub) (((uint64_t)(stream) << 32) | (uint64_t)(sub))

/* ---- tunables ----------------------------------------------------------- */

#define NSITES 3000          /* web sites in the catalogue */
#define NTHIRD 90            /* third-party names pages embed */
#define NCDN 4               /* CDN providers */
#define CDN_POOL 240         /* edge addresses per CDN */
#define NHOSTING 48          /* hosting providers */
#define HOSTING_POOL 120     /* addresses per hosting provider */
#define NURI 384             /* precomputed URIs */
#define MAX_GROUPS 4         /* DNS answer groups a name rotates through */
#define NFAV 8               /* a user's favourite sites */
#define SLOT 60.0            /* browsing slot, seconds */
#define MAX_WEB_DUR 900.0    /* longest browser connection (keep-alive) */
#define MAX_VISIT_OFF 31.0   /* latest connection start after a page */
#define MAX_SESSION 240.0    /* latest page of a browsing session */
#define MAX_PAGES 6          /* most pages of one browsing session */
#define CACHE_MAX 600        /* longest client DNS cache epoch */
/* Browsing look-back: a session this long before the hour can still have
 * a connection ending in it, and a DNS cache epoch that started within it
 * decides which lookups in the hour go to the resolver (CACHE_MAX is less). */
#define BROWSE_LB (MAX_WEB_DUR + MAX_SESSION + MAX_VISIT_OFF + 30.0)
#define MAX_VISITS_SLOT 6    /* cap of browsing sessions per slot */
#define MAX_VISIT_NAMES 8    /* cap of names one page visit touches */
#define CACHE_SLOTS 16384    /* per-host DNS cache table: more than all
                                names (NFIXED + NTHIRD + 3 * NSITES), so it
                                never fills */

/* ---- the plan ------------------------------------------------------------ */

/* One DNS name in the catalogue. */
typedef struct bname {
    const char *name;                 /* the name (DNS query, SNI, Host) */
    const char *answers[MAX_GROUPS];  /* dns answers text for each group:
                                         "cname,ip,ip" or "ip,ip" */
    uint32_t addr;                    /* first address in plan->addrs;
                                         group g, member j is at
                                         addr + g * per_group + j */
    uint32_t ttl;                     /* TTL the authority gives */
    uint32_t cache;                   /* client cache epoch, seconds */
    uint16_t qlen;                    /* wire length of the question */
    uint8_t ngroups;                  /* answer groups (address rotation) */
    uint8_t per_group;                /* addresses per group */
    uint8_t http_pct;                 /* % of connections over plain HTTP */
    uint8_t miss_pct;                 /* % of lookups the internal resolver
                                         forwards upstream (cache misses) */
} bname;

/* One web site: the names a page view touches. */
typedef struct bsite {
    uint32_t main;                    /* the page's own name */
    uint32_t own[2];                  /* its static./api. names */
    uint16_t third[5];                /* indices of third-party names */
    uint8_t nown, nthird;             /* entries used in own / third */
} bsite;

/* The shared periodic services every host (or every user's host) runs. */
enum {
    SVC_UPDATE, SVC_TELEMETRY, SVC_NTP, SVC_AV, SVC_CHAT, SVC_SYNC,
    SVC_PUSH, SVC_GPO, NSVC
};
/* When a periodic service runs. */
enum {
    SCHED_POWERED,                    /* whenever the host is on */
    SCHED_PRESENT,                    /* while the user is at the desk */
    SCHED_ACTIVE                      /* while the user is actually busy */
};

/* Static description of a periodic service.  Beat k of a host is at
 * phase + k * period + uniform(-jitter, jitter); jitter stays below half
 * the period so beats never swap order. */
typedef struct svc_def {
    const char *name;                 /* DNS name (NULL: internal) */
    double period;                    /* mean interval, s */
    double jitter;                    /* half-width of uniform jitter, s */
    double dmax;                      /* longest connection, s */
    uint32_t cache;                   /* client DNS cache epoch, s */
    uint32_t ttl;                     /* TTL of its answers */
    uint8_t sched;                    /* SCHED_* */
    uint8_t users_only;               /* only people's hosts run it */
    uint8_t pct;                      /* % of eligible hosts that run it */
    uint8_t ngroups, per_group;       /* its addresses */
    uint8_t cdn;                      /* 1: served from a CDN pool */
} svc_def;

static const svc_def svc_defs[NSVC] = {
    /* Trap: an hourly OS update check from every host to one CDN name
     * whose address rotates; shared by everyone, jittered +-10%. */
    { "ctldl.fenestra-update.com", 3600, 360, 130, 300, 300, SCHED_POWERED, 0, 100, 4, 3, 1 },
    /* Trap: OS telemetry every 15 minutes, rather regular (+-20 s). */
    { "v10.events.fenestra-telemetry.com", 900, 20, 10, 300, 300, SCHED_POWERED, 0, 100, 2, 2, 0 },
    /* Trap: NTP every 1024 s with a few ms of jitter: as periodic as a
     * beacon can be, low volume, every host. */
    { "jp.pool.ntp-sync.org", 1024, 0.02, 1, 86400, 150, SCHED_POWERED, 0, 100, 4, 4, 0 },
    /* Trap: anti-virus signature check every 1-2 h (per host) over plain
     * HTTP with its own User-Agent: looks like an HTTP beacon.  (Period
     * and jitter, 1% of it, are per host: see bhost.period.) */
    { "sig.kintsugi-av.com", 5400, 0, 60, 600, 600, SCHED_POWERED, 0, 100, 2, 2, 0 },
    /* Trap: chat client keep-alive: a long TLS session re-established
     * every 5-30 min during working hours. */
    { "gw.chatterly.com", 1050, 375, 1810, 60, 60, SCHED_PRESENT, 1, 85, 3, 2, 0 },
    /* Trap: cloud file sync every 2-10 min while the user works. */
    { "sync.cloudbox-files.com", 360, 120, 60, 60, 60, SCHED_ACTIVE, 1, 60, 2, 3, 0 },
    /* Trap: a websocket/long-poll app (pusher-like) that reconnects every
     * 0-30 s all day on a few hosts: huge counts, open nearly all the time. */
    { "ws.pushwire.io", 15, 7.5, 31, 300, 300, SCHED_POWERED, 1, 2, 2, 2, 0 },
    /* Internal: group-policy refresh to the domain controller every 90 min
     * plus a random 0-30 min offset (the Windows default). */
    { NULL, 5400, 900, 5, 0, 0, SCHED_POWERED, 0, 100, 0, 0, 0 },
};

/* Other fixed names. */
enum { FN_UPLOAD = NSVC, FN_BACKUP, FN_BACKUP_API, NFIXED };

/* Per-host personality. */
typedef struct bhost {
    float rate;                       /* browsing sessions per hour at full
                                         activity */
    uint8_t flags;                    /* HF_* */
    uint8_t ua;                       /* browser User-Agent index */
    uint8_t resolver;                 /* preferred internal resolver (0/1) */
    uint8_t pad;                      /* unused */
    uint32_t fav[NFAV];               /* favourite sites */
    uint32_t home_ip;                 /* owner's home address (VPN) */
    double phase[NSVC];               /* periodic phase, s in [0, period) */
    double period[NSVC];              /* periodic interval for this host */
    double cache_phase[NSVC];         /* offset of its DNS cache epochs */
} bhost;

enum {
    HF_ALWAYS_ON = 1,                 /* desktop left on at night/weekends */
    HF_MONITORED = 2                  /* pinged by the monitoring poller */
};

/* The plan: sim.h's opaque struct vigil__sim_benign. */
struct vigil__sim_benign {
    bname *names;                     /* every external name */
    size_t nnames;
    uint32_t *addrs;                  /* addresses of names, host order */
    size_t naddrs, addrs_cap;
    bsite *sites;                     /* NSITES sites, most popular first */
    uint32_t third0;                  /* first third-party name index */
    vigil__sim_zipf site_zipf;        /* popularity of sites */
    const char *uris[NURI];           /* request paths */
    const char *uri_mime[NURI];       /* their response MIME types */
    uint32_t cdn_base[NCDN];          /* first address of each CDN pool */
    uint32_t hosting_base[NHOSTING];  /* first address of each hosting pool */
    bhost *hp;                        /* per-host personality, w->nhosts */
    uint8_t *svc_on;                  /* nhosts x NSVC: host runs service */
    const char **fqdn;                /* per host "name.domain" */
    const char *srv_answer;           /* answer of the DC SRV lookup */
    const char *srv_query;            /* the DC SRV query name */
    const char *vpn_name;             /* the VPN portal's name */
    uint32_t public_dns[3];           /* upstream public resolvers */
    uint32_t file_server;             /* host id of the file server or
                                         UINT32_MAX */
    char **chunks;                    /* string arena chunks */
    size_t nchunks, chunks_cap;       /* used / allocated chunk slots */
    size_t chunk_used, chunk_size;    /* bytes used / size of the last one */
};

/* ---- string arena (plan time only) -------------------------------------- */

#define ARENA_CHUNK 65536

static char *arena_alloc(vigil__sim_world *w, struct vigil__sim_benign *p, size_t n)
{
    if (!p->nchunks || p->chunk_used + n > p->chunk_size) {
        if (p->nchunks == p->chunks_cap) {
            size_t nc = p->chunks_cap ? p->chunks_cap * 2 : 16;
            char **c = vigil__realloc(&w->alloc, p->chunks, nc * sizeof *c);
            if (!c) return NULL;
            p->chunks = c;
            p->chunks_cap = nc;
        }
        size_t sz = n > ARENA_CHUNK ? n : ARENA_CHUNK;
        char *c = vigil__malloc(&w->alloc, sz);
        if (!c) return NULL;
        p->chunks[p->nchunks++] = c;
        p->chunk_used = 0;
        p->chunk_size = sz;
    }
    char *r = p->chunks[p->nchunks - 1] + p->chunk_used;
    p->chunk_used += n;
    return r;
}

static const char *arena_str(vigil__sim_world *w, struct vigil__sim_benign *p, const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = arena_alloc(w, p, n);
    if (d) memcpy(d, s, n);
    return d;
}

/* ---- addresses ------------------------------------------------------------ */

/* First octets of public unicast space the catalogue draws from (no RFC
 * 1918, loopback, CGN, multicast, documentation or reserved ranges). */
static const uint8_t public_octets[] = {
    13, 18, 23, 31, 34, 35, 37, 45, 46, 52, 54, 64, 66, 69, 74, 77, 78, 80,
    81, 85, 87, 91, 93, 94, 95, 103, 104, 107, 108, 117, 119, 121, 122, 128,
    130, 133, 136, 138, 139, 140, 141, 143, 144, 146, 147, 149, 150, 151,
    153, 157, 158, 159, 160, 161, 162, 163, 164, 166, 167, 168, 173, 176,
    178, 180, 183, 184, 185, 188, 190, 191, 193, 194, 195, 199, 202, 204,
    205, 206, 207, 208, 209, 210, 211, 212, 213, 216, 217,
};
/* First octets of Japanese consumer ISP space (home addresses of staff who
 * connect through the VPN). */
static const uint8_t home_octets[] = {
    27, 36, 49, 58, 60, 61, 106, 110, 111, 112, 113, 114, 115, 116, 118,
    124, 125, 126, 175, 182, 218, 219, 220, 221, 222,
};

/* A /16-aligned block base from a hash, on one of the octets. */
static uint32_t block_base(uint64_t h, const uint8_t *octets, size_t n)
{
    uint32_t a = octets[h % n];
    uint32_t b = (uint32_t)(h >> 16) & 0xff;
    uint32_t c = (uint32_t)(h >> 24) & 0xc0;
    return a << 24 | b << 16 | c << 8;
}

/* Address k of a pool starting at base: 200 usable addresses per /24
 * (.10 .. .209), so no .0/.255. */
static uint32_t pool_addr(uint32_t base, uint32_t k)
{
    return base + (k / 200) * 256 + 10 + k % 200;
}

static vigil_addr v4(uint32_t ip)
{
    vigil_addr a;
    memset(a.b, 0, 10);
    a.b[10] = 0xff;
    a.b[11] = 0xff;
    a.b[12] = (uint8_t)(ip >> 24);
    a.b[13] = (uint8_t)(ip >> 16);
    a.b[14] = (uint8_t)(ip >> 8);
    a.b[15] = (uint8_t)ip;
    return a;
}

/* ---- names ------------------------------------------------------------------ */

/* Pieces of made-up domain labels (written for vigil). */
static const char *const syl[] = {
    "ka", "ki", "ku", "ko", "sa", "shi", "su", "ta", "chi", "tsu", "na",
    "ni", "mi", "mo", "ra", "ri", "ru", "yo", "ha", "hi", "fu", "ma", "ne",
    "to", "ya", "wa", "no", "ga", "ze", "bo", "ken", "ran", "sen", "don",
};
static const char *const words[] = {
    "blue", "leaf", "stone", "river", "bright", "cloud", "north", "pixel",
    "maple", "harbor", "quick", "green", "silver", "cedar", "lumen", "atlas",
    "orbit", "nova", "vertex", "prime", "metro", "daily", "urban", "summit",
    "zen", "kite", "echo", "bay", "peak", "field", "fox", "lotus", "tide",
    "spark", "craft", "market", "news", "shop", "travel", "food", "tech",
    "media", "works", "hub", "lab", "base", "line", "point", "store",
    "book", "mart", "go", "now", "life", "coin", "trade", "chart", "auto",
    "home", "style", "camera", "anime", "game", "golf", "bank", "rail",
};
static const char *const tlds[] = {
    ".com", ".com", ".com", ".com", ".com", ".com", ".com", ".com", ".com",
    ".jp", ".jp", ".jp", ".co.jp", ".co.jp", ".net", ".net", ".io",
    ".org", ".ne.jp", ".info",
};
static const char *const page_prefix[] = {
    "www.", "www.", "www.", "www.", "www.", "www.", "www.", "", "news.",
    "shop.", "blog.", "m.",
};
static const char *const own_prefix[] = { "static.", "cdn.", "api.", "img.", "assets." };
/* Made-up CDN providers: CDN-served names answer with a CNAME into them. */
static const char *const cdn_names[NCDN] = {
    "nimbusedge.net", "swiftcache.net", "edgecastle.net", "fastlane-cdn.com",
};
/* The top of the popularity list: portals and SaaS every office uses. */
static const char *const top_sites[] = {
    "www.findora.com", "mail.workhive.com", "docs.workhive.com",
    "www.tsunagu-portal.jp", "www.videoflux.com", "www.kuchikomi-news.jp",
    "calendar.workhive.com", "www.mapsly.com", "www.coinchart-now.com",
    "www.yomiyasu-shinbun.co.jp", "www.shopamori.jp", "login.workhive.com",
};
/* Third-party name shapes: prefix, word, suffix, tld. */
static const char *const third_prefix[] = {
    "cdn.", "fonts.", "ads.", "pixel.", "tag.", "connect.", "static.",
    "stats.", "js.", "maps.", "",
};
static const char *const third_suffix[] = {
    "js", "static", "serve", "track", "metrics", "social", "analytics",
    "-ads", "cdn", "api", "apis",
};

/* Browser User-Agents of early 2018. */
static const char *const user_agents[] = {
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/63.0.3239.132 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/64.0.3282.119 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:57.0) Gecko/20100101 Firefox/57.0",
    "Mozilla/5.0 (Windows NT 6.1; WOW64; Trident/7.0; rv:11.0) like Gecko",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/58.0.3029.110 Safari/537.36 Edge/16.16299",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_13_2) AppleWebKit/604.4.7 (KHTML, like Gecko) Version/11.0.2 Safari/604.4.7",
    "Mozilla/5.0 (Windows NT 6.1; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/63.0.3239.84 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; WOW64; rv:52.0) Gecko/20100101 Firefox/52.0",
};
static const char av_user_agent[] = "KintsugiAV/11.2.0415 (Windows NT 10.0; Win64; x64)";
static const char *const ciphers12[] = {
    "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
    "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
};

/* Builds a page/label from syllables or words into buf. */
static void make_label(vigil__sim_rng *r, char *buf, size_t cap)
{
    buf[0] = 0;
    double u = vigil__sim_rng_unit(r);
    size_t o = 0;
    if (u < 0.4) {
        int n = 2 + (int)(vigil__sim_rng_unit(r) * 3);
        for (int i = 0; i < n; i++)
            o += (size_t)snprintf(buf + o, cap - o, "%s", syl[vigil__sim_rng_u64(r) % COUNT(syl)]);
        if (vigil__sim_rng_unit(r) < 0.3)
            o += (size_t)snprintf(buf + o, cap - o, "-%s", words[vigil__sim_rng_u64(r) % COUNT(words)]);
    } else {
        o += (size_t)snprintf(buf + o, cap - o, "%s", words[vigil__sim_rng_u64(r) % COUNT(words)]);
        const char *sep = vigil__sim_rng_unit(r) < 0.15 ? "-" : "";
        o += (size_t)snprintf(buf + o, cap - o, "%s%s", sep, words[vigil__sim_rng_u64(r) % COUNT(words)]);
        if (vigil__sim_rng_unit(r) < 0.1)
            snprintf(buf + o, cap - o, "%u", (unsigned)(vigil__sim_rng_u64(r) % 100));
    }
}

/* Formats address ip into buf (dotted quad), returns length. */
static int fmt_ip(char *buf, size_t cap, uint32_t ip)
{
    return snprintf(buf, cap, "%u.%u.%u.%u", ip >> 24, (ip >> 16) & 0xff,
                    (ip >> 8) & 0xff, ip & 0xff);
}

/* Adds a name with `ngroups` x `per` addresses (from a CDN pool when cdn
 * >= 0, else from hosting provider `hosting`, else from a private block
 * when both are negative).  Returns VIGIL_OK. */
static vigil_status add_name(vigil__sim_world *w, struct vigil__sim_benign *p,
                             const char *name, int cdn, int hosting,
                             unsigned ngroups, unsigned per, uint32_t ttl,
                             unsigned http_pct, unsigned miss_pct, vigil__sim_rng *r)
{
    bname *n = &p->names[p->nnames];
    memset(n, 0, sizeof *n);
    n->name = arena_str(w, p, name);
    if (!n->name) return VIGIL_ENOMEM;
    size_t need = p->naddrs + ngroups * per;
    if (need > p->addrs_cap) {
        size_t nc = p->addrs_cap ? p->addrs_cap * 2 : 16384;
        while (nc < need) nc *= 2;
        uint32_t *a = vigil__realloc(&w->alloc, p->addrs, nc * sizeof *a);
        if (!a) return VIGIL_ENOMEM;
        p->addrs = a;
        p->addrs_cap = nc;
    }
    n->addr = (uint32_t)p->naddrs;
    n->ngroups = (uint8_t)ngroups;
    n->per_group = (uint8_t)per;
    n->ttl = ttl;
    n->cache = ttl < 30 ? 30 : ttl > CACHE_MAX ? CACHE_MAX : ttl;
    n->http_pct = (uint8_t)http_pct;
    n->miss_pct = (uint8_t)miss_pct;
    n->qlen = (uint16_t)(strlen(name) + 2 + 4);
    /* An own block for names on neither a CDN nor a hosting provider. */
    uint32_t own = block_base(vigil__sim_rng_u64(r), public_octets, COUNT(public_octets));
    for (unsigned i = 0; i < ngroups * per; i++) {
        uint32_t ip;
        if (cdn >= 0) ip = pool_addr(p->cdn_base[cdn], (uint32_t)(vigil__sim_rng_u64(r) % CDN_POOL));
        else if (hosting >= 0) ip = pool_addr(p->hosting_base[hosting], (uint32_t)(vigil__sim_rng_u64(r) % HOSTING_POOL));
        else ip = pool_addr(own, i * 7 + 3);
        p->addrs[p->naddrs++] = ip;
    }
    /* Precomputed answers: CDN names answer through a CNAME chain, as
     * Zeek logs it ("e1234.a.nimbusedge.net,23.4.5.6,23.4.5.7"). */
    char buf[512];
    unsigned edge = (unsigned)(vigil__sim_rng_u64(r) % 9000) + 1000;
    for (unsigned g = 0; g < ngroups; g++) {
        int o = 0;
        if (cdn >= 0)
            o += snprintf(buf + o, sizeof buf - (size_t)o, "e%u.%c.%s,", edge,
                          'a' + (int)g, cdn_names[cdn]);
        for (unsigned j = 0; j < per; j++) {
            o += fmt_ip(buf + o, sizeof buf - (size_t)o, p->addrs[n->addr + g * per + j]);
            if (j + 1 < per) buf[o++] = ',';
        }
        buf[o] = 0;
        n->answers[g] = arena_str(w, p, buf);
        if (!n->answers[g]) return VIGIL_ENOMEM;
    }
    p->nnames++;
    return VIGIL_OK;
}

/* Request paths with the MIME type of their response. */
static vigil_status make_uris(vigil__sim_world *w, struct vigil__sim_benign *p, vigil__sim_rng *r)
{
    static const char *const mimes[] = {
        "text/html", "application/javascript", "text/css", "image/jpeg",
        "application/json", "image/png", "image/x-icon", "text/html",
    };
    char buf[160];
    for (unsigned i = 0; i < NURI; i++) {
        unsigned kind = i < 8 ? i : (unsigned)(vigil__sim_rng_u64(r) % 8);
        const char *wd = words[vigil__sim_rng_u64(r) % COUNT(words)];
        unsigned a = (unsigned)(vigil__sim_rng_u64(r) % 100000);
        unsigned b = (unsigned)(vigil__sim_rng_u64(r) & 0xffffffffu);
        switch (kind) {
        case 0: snprintf(buf, sizeof buf, i == 0 ? "/" : "/news/2017/%02u/%u.html", 1 + a % 12, a); break;
        case 1: snprintf(buf, sizeof buf, "/static/js/app.%08x.js", b); break;
        case 2: snprintf(buf, sizeof buf, "/static/css/main.%08x.css", b); break;
        case 3: snprintf(buf, sizeof buf, "/images/%s_%u.jpg", wd, a); break;
        case 4: snprintf(buf, sizeof buf, "/api/v%u/%s?id=%u", 1 + a % 3, wd, a); break;
        case 5: snprintf(buf, sizeof buf, "/wp-content/uploads/2017/%02u/%s-%u.png", 1 + a % 12, wd, a % 1000); break;
        case 6: snprintf(buf, sizeof buf, "/favicon.ico"); break;
        default: snprintf(buf, sizeof buf, "/%s/%s-%u", wd, words[b % COUNT(words)], a % 5000); break;
        }
        p->uris[i] = arena_str(w, p, buf);
        if (!p->uris[i]) return VIGIL_ENOMEM;
        p->uri_mime[i] = mimes[kind];
    }
    return VIGIL_OK;
}

/* Small open-addressing set of name hashes, to keep names unique. */
static int seen_add(uint64_t *set, size_t cap, uint64_t h)
{
    if (!h) h = 1;
    for (size_t i = h & (cap - 1);; i = (i + 1) & (cap - 1)) {
        if (set[i] == h) return 0;
        if (!set[i]) { set[i] = h; return 1; }
    }
}

static uint64_t str_hash(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

/* A unique name: retries with a digit appended on collision. */
static void unique_name(uint64_t *set, size_t cap, char *buf, size_t bufcap)
{
    size_t len = strlen(buf);
    for (unsigned k = 2; !seen_add(set, cap, str_hash(buf)); k++) {
        /* A digit appended to the name is still a valid name. */
        snprintf(buf + len, bufcap - len, "%u", k);
    }
}

static int is_user_host(const vigil__sim_host *h)
{
    return h->role != VIGIL__SIM_SERVER;
}

vigil_status vigil__sim_benign_plan(vigil__sim_world *w)
{
    struct vigil__sim_benign *p = vigil__calloc(&w->alloc, 1, sizeof *p);
    if (!p) return VIGIL_ENOMEM;
    w->benign = p;
    vigil_status rc = VIGIL_OK;
    vigil__sim_rng r;
    vigil__sim_rng_seed(&r, vigil__sim_hash(w->seed, SUB(VIGIL__SIM_S_WORLD, 0xbe01), 0, 0));
    const size_t set_cap = 16384;
    uint64_t *seen = vigil__calloc(&w->alloc, set_cap, sizeof *seen);
    size_t max_names = NFIXED + NTHIRD + NSITES * 3;
    p->names = vigil__calloc(&w->alloc, max_names, sizeof *p->names);
    p->sites = vigil__calloc(&w->alloc, NSITES, sizeof *p->sites);
    p->hp = vigil__calloc(&w->alloc, w->nhosts, sizeof *p->hp);
    p->svc_on = vigil__calloc(&w->alloc, w->nhosts * NSVC, 1);
    p->fqdn = vigil__calloc(&w->alloc, w->nhosts, sizeof *p->fqdn);
    if (!seen || !p->names || !p->sites || !p->hp || !p->svc_on || !p->fqdn) {
        rc = VIGIL_ENOMEM;
        goto out;
    }
    for (unsigned i = 0; i < NCDN; i++)
        p->cdn_base[i] = block_base(vigil__sim_rng_u64(&r), public_octets, COUNT(public_octets));
    for (unsigned i = 0; i < NHOSTING; i++)
        p->hosting_base[i] = block_base(vigil__sim_rng_u64(&r), public_octets, COUNT(public_octets));
    /* Upstream public resolvers the internal resolvers forward to. */
    p->public_dns[0] = 8u << 24 | 8u << 16 | 8u << 8 | 8u;
    p->public_dns[1] = 8u << 24 | 8u << 16 | 4u << 8 | 4u;
    p->public_dns[2] = 1u << 24 | 1u << 16 | 1u << 8 | 1u;

    /* Fixed names: the periodic services, then the upload and backup
     * destinations. */
    for (unsigned s = 0; s < NSVC; s++) {
        const svc_def *d = &svc_defs[s];
        const char *nm = d->name ? d->name : "unused.invalid";
        unsigned ng = d->ngroups ? d->ngroups : 1, pg = d->per_group ? d->per_group : 1;
        rc = add_name(w, p, nm, d->cdn ? 0 : -1, -1, ng, pg, d->ttl ? d->ttl : 60,
                      s == SVC_AV ? 100 : 0, 5, &r);
        if (rc) goto out;
        seen_add(seen, set_cap, str_hash(nm));
    }
    rc = add_name(w, p, "upload.cloudbox-files.com", -1, -1, 2, 2, 60, 0, 20, &r);
    if (rc) goto out;
    rc = add_name(w, p, "backup-apne1.vaultstream-cloud.com", -1, -1, 1, 2, 300, 0, 100, &r);
    if (rc) goto out;
    rc = add_name(w, p, "api.vaultstream-cloud.com", 1, -1, 2, 2, 60, 0, 100, &r);
    if (rc) goto out;

    /* Third parties: script CDNs, fonts, analytics, ads.  Half on CDNs. */
    p->third0 = (uint32_t)p->nnames;
    char buf[256];
    for (unsigned i = 0; i < NTHIRD; i++) {
        /* Last argument's draw first: see the group-policy beat below. */
        uint64_t d3 = vigil__sim_rng_u64(&r), d2 = vigil__sim_rng_u64(&r), d1 = vigil__sim_rng_u64(&r);
        snprintf(buf, sizeof buf, "%s%s%s%s", third_prefix[d1 % COUNT(third_prefix)], words[d2 % COUNT(words)],
                 third_suffix[d3 % COUNT(third_suffix)], i % 3 ? ".com" : ".net");
        unique_name(seen, set_cap, buf, sizeof buf);
        int cdn = vigil__sim_rng_unit(&r) < 0.5 ? (int)(vigil__sim_rng_u64(&r) % NCDN) : -1;
        rc = add_name(w, p, buf, cdn, -1, cdn >= 0 ? 3 : 1, cdn >= 0 ? 2 : 2,
                      cdn >= 0 ? 60 : 300, i % 9 == 0 ? 60 : 3, 10, &r);
        if (rc) goto out;
    }
    /* Sites: the top ones fixed, the rest made up; popular sites are more
     * often on a CDN; a fifth of the long tail is plain HTTP. */
    for (unsigned i = 0; i < NSITES; i++) {
        bsite *st = &p->sites[i];
        char label[96];
        const char *tld;
        if (i < COUNT(top_sites)) {
            snprintf(buf, sizeof buf, "%s", top_sites[i]);
            seen_add(seen, set_cap, str_hash(buf));
            label[0] = 0;
            tld = NULL;
        } else {
            make_label(&r, label, sizeof label);
            tld = tlds[vigil__sim_rng_u64(&r) % COUNT(tlds)];
            snprintf(buf, sizeof buf, "%s%s%s",
                     page_prefix[vigil__sim_rng_u64(&r) % COUNT(page_prefix)], label, tld);
            unique_name(seen, set_cap, buf, sizeof buf);
        }
        double pc = i < 200 ? 0.7 : 0.25;
        int cdn = vigil__sim_rng_unit(&r) < pc ? (int)(vigil__sim_rng_u64(&r) % NCDN) : -1;
        int hosting = (int)(vigil__sim_rng_u64(&r) % NHOSTING);
        unsigned http = i < 200 ? 2 : (vigil__sim_rng_unit(&r) < 0.2 ? 90 : 8);
        unsigned miss = i < 50 ? 10 : i < 500 ? 40 : 75;
        static const uint32_t ttls[] = { 60, 300, 300, 600, 3600, 3600, 86400 };
        uint32_t ttl = cdn >= 0 ? 20 + (uint32_t)(vigil__sim_rng_u64(&r) % 3) * 40
                                : ttls[vigil__sim_rng_u64(&r) % COUNT(ttls)];
        st->main = (uint32_t)p->nnames;
        rc = add_name(w, p, buf, cdn, hosting, cdn >= 0 ? 2 + (unsigned)(vigil__sim_rng_u64(&r) % 3) : 1,
                      cdn >= 0 ? 2 : 1 + (vigil__sim_rng_unit(&r) < 0.3), ttl, http, miss, &r);
        if (rc) goto out;
        /* Own subdomains (static./api.) for the top sites. */
        st->nown = 0;
        unsigned nown = i < 12 ? 0 : i < 400 ? 1 + (unsigned)(vigil__sim_rng_u64(&r) % 2)
                      : (vigil__sim_rng_unit(&r) < 0.3);
        for (unsigned k = 0; k < nown && tld; k++) {
            snprintf(buf, sizeof buf, "%s%s%s", own_prefix[vigil__sim_rng_u64(&r) % COUNT(own_prefix)],
                     label, tld);
            unique_name(seen, set_cap, buf, sizeof buf);
            int ocdn = vigil__sim_rng_unit(&r) < 0.6 ? (int)(vigil__sim_rng_u64(&r) % NCDN) : -1;
            st->own[st->nown++] = (uint32_t)p->nnames;
            rc = add_name(w, p, buf, ocdn, hosting, ocdn >= 0 ? 2 : 1, ocdn >= 0 ? 2 : 1,
                          ocdn >= 0 ? 60 : 300, http > 50 ? 90 : 2, miss, &r);
            if (rc) goto out;
        }
        /* Embedded third parties, themselves Zipf-popular. */
        st->nthird = (uint8_t)(vigil__sim_rng_u64(&r) % 6);
        for (unsigned k = 0; k < st->nthird; k++)
            st->third[k] = (uint16_t)((vigil__sim_rng_u64(&r) % 4 == 0)
                                      ? vigil__sim_rng_u64(&r) % NTHIRD
                                      : k * 3 + vigil__sim_rng_u64(&r) % 4);
    }
    rc = vigil__sim_zipf_init(&p->site_zipf, NSITES, 1.0, &w->alloc);
    if (rc) goto out;
    rc = make_uris(w, p, &r);
    if (rc) goto out;

    /* Internal names. */
    snprintf(buf, sizeof buf, "_ldap._tcp.dc._msdcs.%s", w->domain);
    p->srv_query = arena_str(w, p, buf);
    snprintf(buf, sizeof buf, "%s.%s", w->hosts[w->dc].name, w->domain);
    p->srv_answer = arena_str(w, p, buf);
    snprintf(buf, sizeof buf, "vpn.%s", w->domain);
    p->vpn_name = arena_str(w, p, buf);
    if (!p->srv_query || !p->srv_answer || !p->vpn_name) { rc = VIGIL_ENOMEM; goto out; }
    p->file_server = UINT32_MAX;

    /* Host personalities. */
    size_t first_user = SIZE_MAX;
    uint64_t best_push = UINT64_MAX;
    int npush = 0;
    for (size_t i = 0; i < w->nhosts; i++) {
        const vigil__sim_host *h = &w->hosts[i];
        bhost *b = &p->hp[i];
        snprintf(buf, sizeof buf, "%s.%s", h->name, w->domain);
        p->fqdn[i] = arena_str(w, p, buf);
        if (!p->fqdn[i]) { rc = VIGIL_ENOMEM; goto out; }
        if (h->role == VIGIL__SIM_SERVER && h->server == VIGIL__SIM_SRV_FILE &&
            p->file_server == UINT32_MAX)
            p->file_server = (uint32_t)i;
        vigil__sim_rng hr;
        vigil__sim_rng_seed(&hr, vigil__sim_hash(w->seed, SUB(VIGIL__SIM_S_HOST, 0xbe02), i, 0));
        int user = is_user_host(h);
        /* Some people browse a lot, some hardly: log-normal visit rates. */
        double rate = vigil__sim_rng_lognormal(&hr, 7.0, 0.55);
        b->rate = user ? (float)(rate < 1 ? 1 : rate > 30 ? 30 : rate) : 0;
        b->ua = (uint8_t)(vigil__sim_rng_u64(&hr) % COUNT(user_agents));
        b->resolver = (uint8_t)(vigil__sim_rng_unit(&hr) < 0.8 ? 0 : 1);
        /* Desktops left on overnight keep their background traffic going
         * at night; the others (and laptops) are off outside office hours. */
        if (!user || (h->role != VIGIL__SIM_LAPTOP && vigil__sim_rng_unit(&hr) < 0.6))
            b->flags |= HF_ALWAYS_ON;
        if (!user || ((b->flags & HF_ALWAYS_ON) && vigil__sim_rng_unit(&hr) < 0.4))
            b->flags |= HF_MONITORED;
        /* Favourite sites: a personal long tail visited again and again. */
        for (unsigned k = 0; k < NFAV; k++)
            b->fav[k] = (uint32_t)(vigil__sim_rng_u64(&hr) % NSITES);
        uint64_t hh = vigil__sim_rng_u64(&hr), hb = vigil__sim_rng_u64(&hr); /* last argument first */
        b->home_ip = pool_addr(block_base(hb, home_octets, COUNT(home_octets)), (uint32_t)(hh % 800));
        for (unsigned s = 0; s < NSVC; s++) {
            const svc_def *d = &svc_defs[s];
            double per = d->period;
            if (s == SVC_AV) per = 3600 + 3600 * vigil__sim_rng_unit(&hr);
            b->period[s] = per;
            b->phase[s] = per * vigil__sim_rng_unit(&hr);
            b->cache_phase[s] = (d->cache ? d->cache : 1) * vigil__sim_rng_unit(&hr);
            double u = vigil__sim_rng_unit(&hr);
            int on = (!d->users_only || user) && u * 100 < d->pct;
            /* The websocket app runs on desktops left on: all day. */
            int always = (b->flags & HF_ALWAYS_ON) != 0;
            if (s == SVC_PUSH) on = on && always;
            if (s == SVC_PUSH && user && always) {
                if (on) npush++;
                uint64_t k = vigil__sim_rng_u64(&hr);
                if (k < best_push) { best_push = k; first_user = i; }
            }
            p->svc_on[i * NSVC + s] = (uint8_t)on;
        }
    }
    /* At least one host runs the websocket app (the trap must exist in
     * small worlds too). */
    if (!npush && first_user != SIZE_MAX) p->svc_on[first_user * NSVC + SVC_PUSH] = 1;

out:
    vigil__free(&w->alloc, seen);
    return rc;
}

void vigil__sim_benign_free(vigil__sim_world *w)
{
    if (!w || !w->benign) return;
    struct vigil__sim_benign *p = w->benign;
    for (size_t i = 0; i < p->nchunks; i++) vigil__free(&w->alloc, p->chunks[i]);
    vigil__free(&w->alloc, p->chunks);
    vigil__sim_zipf_free(&p->site_zipf, &w->alloc);
    vigil__free(&w->alloc, p->names);
    vigil__free(&w->alloc, p->addrs);
    vigil__free(&w->alloc, p->sites);
    vigil__free(&w->alloc, p->hp);
    vigil__free(&w->alloc, p->svc_on);
    vigil__free(&w->alloc, p->fqdn);
    vigil__free(&w->alloc, p);
    w->benign = NULL;
}

/* ---- one hour ---------------------------------------------------------------- */

/* A host's day, in epoch seconds (local calendar day L). */
typedef struct dayplan {
    double on, off;              /* powered on the network during [on, off) */
    double arrive, leave;        /* user at the desk during [arrive, leave);
                                    equal when not in the office */
    double r_arrive, r_leave;    /* working from home over the VPN; equal
                                    when not */
    double floor;                /* browsing floor outside the activity curve */
} dayplan;

/* A page view waiting to run (browse queues a host's window of them). */
typedef struct page_ev {
    double t;                    /* when the page is opened */
    uint32_t site;               /* which site */
    uint8_t later;               /* not the session's first page */
    uint64_t x;                  /* seeds the page's own draws */
} page_ev;

/* Pages one host's browsing window can queue: slots x sessions x pages. */
#define NSLOTS_WINDOW ((size_t)((3600.0 + BROWSE_LB + 2 * SLOT) / SLOT) + 2)
#define PAGE_CAP (NSLOTS_WINDOW * MAX_VISITS_SLOT * MAX_PAGES)

/* Per-hour generation state. */
typedef struct gen {
    const vigil__sim_world *w;   /* the world */
    const struct vigil__sim_benign *p; /* the plan */
    vigil__sim_hour *h;          /* the output buffer */
    double t0, t1;               /* the hour [t0, t1) */
    double start;                /* the simulated period's start */
    unsigned day;                /* UTC day of the hour */
    struct cache_ent *cache;     /* per-host DNS cache table */
    const struct hctx *cur;      /* host whose records are being made, or
                                    NULL (servers' global passes) */
    page_ev *pages;              /* queued pages of the current host */
    size_t npages;               /* entries used in pages */
    uint32_t stamp;              /* current host's cache generation */
    vigil_status rc;             /* first emission failure */
} gen;

/* One entry of the per-host DNS cache: name -> last cache epoch queried. */
typedef struct cache_ent {
    uint32_t key;                /* name index */
    uint32_t stamp;              /* generation (host) that wrote it */
    int64_t epoch;               /* epoch of its last lookup */
} cache_ent;

/* The host being generated. */
struct hctx {
    uint32_t id;                 /* host id */
    const vigil__sim_host *host; /* the host */
    const bhost *bp;             /* its personality */
    int user;                    /* a person's host */
    int64_t d0;                  /* UTC day of act[0] / addr[0] */
    uint8_t act[3];              /* active on days d0 .. d0 + 2 */
    vigil_addr addr[3];          /* address on days d0 .. d0 + 2 */
    int64_t L0;                  /* local day of dp[0] */
    dayplan dp[3];               /* local days L0 .. L0 + 2 */
};
typedef struct hctx hctx;

/* One splitmix64 finalisation: a cheap hash for choices made for every
 * name of every page (the full vigil__sim_hash is four of these). */
static uint64_t mix1(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* Log-normal with a cheap normal (Irwin-Hall: four uniforms, tails cut at
 * 3.5 sigma), for sizes and durations drawn per connection. */
static double fast_lognormal(vigil__sim_rng *r, double median, double sigma)
{
    uint64_t x = vigil__sim_rng_u64(r);
    double sum = (double)(x & 0xffff) + (double)((x >> 16) & 0xffff) +
                 (double)((x >> 32) & 0xffff) + (double)(x >> 48);
    double z = (sum / 65536.0 - 2.0) * 1.7320508075688772;
    return median * exp(sigma * z);
}

static double round_us(double x)
{
    return floor(x * 1e6 + 0.5) * 1e-6;
}

static int active_at(const gen *g, const hctx *hc, double t);

/* Emits c when it ends inside the hour (times rounded to microseconds as
 * written).  Returns 1 when emitted. */
static int out(gen *g, vigil__sim_conn *c)
{
    c->ts = round_us(c->ts);
    c->duration = round_us(c->duration);
    if (c->duration < 0) c->duration = 0;
    double end = c->ts + c->duration;
    if (end < g->t0 || end >= g->t1 || c->ts < g->start) return 0;
    /* A host switched off (or gone) by the end of a connection it started
     * the day before does not finish it. */
    if (g->cur && !active_at(g, g->cur, end)) return 0;
    if (g->rc == VIGIL_OK) g->rc = vigil__sim_emit(g->h, c);
    return 1;
}

/* Whether a record with this start and duration would be emitted: lets
 * callers skip building records of the look-back window. */
static int ends_in(const gen *g, double ts, double dur)
{
    double e = round_us(ts) + round_us(dur);
    return e >= g->t0 && e < g->t1 && ts >= g->start;
}

static int64_t utc_day(const gen *g, double t)
{
    return (int64_t)floor((t - g->start) / 86400.0);
}

static int64_t local_day(const gen *g, double t)
{
    return (int64_t)floor((t - g->start + g->w->tz_offset) / 86400.0);
}

static int active_at(const gen *g, const hctx *hc, double t)
{
    int64_t d = utc_day(g, t);
    if (d < 0 || d >= (int64_t)g->w->days) return 0;
    int64_t i = d - hc->d0;
    if (i >= 0 && i < 3) return hc->act[i];
    return vigil__sim_host_active(g->w, hc->host, (unsigned)d);
}

static vigil_addr addr_at(const gen *g, const hctx *hc, double t)
{
    int64_t d = utc_day(g, t);
    if (d < 0) d = 0;
    if (d >= (int64_t)g->w->days) d = g->w->days - 1;
    int64_t i = d - hc->d0;
    if (i >= 0 && i < 3) return hc->addr[i];
    return vigil__sim_host_addr(g->w, hc->host, (unsigned)d);
}

/* A user's day: arrival and departure around the world's activity curve
 * (sim_world.c: begin 9:00 +- 0.9 h, end 18:12 +- 0.8 h by early_bird),
 * absences, remote days for laptop owners, rare weekend visits. */
static void day_plan(const gen *g, const hctx *hc, int64_t L, dayplan *d)
{
    const vigil__sim_world *w = g->w;
    memset(d, 0, sizeof *d);
    if (!hc->user) {
        d->on = -1e300;
        d->off = 1e300;
        return;
    }
    double mid = (double)w->start - w->tz_offset + (double)L * 86400.0;
    vigil__sim_rng r;
    vigil__sim_rng_seed(&r, vigil__sim_hash(w->seed, SUB(VIGIL__SIM_S_HOST, 0xbe10), hc->id, (uint64_t)L));
    double u = vigil__sim_rng_unit(&r), ua = vigil__sim_rng_unit(&r), ul = vigil__sim_rng_unit(&r);
    int off = L < 0 || vigil__sim_is_day_off(w, (unsigned)L);
    double shift = ((double)hc->host->early_bird - 127.5) / 127.5;
    double arrive = mid + 3600.0 * (8.1 + 0.9 * shift + 0.5 * (ua - 0.5));
    double leave = mid + 3600.0 * (18.2 + 0.8 * shift + 2.5 * ul * ul);
    d->floor = 0.04;
    if (!off) {
        if (hc->host->role == VIGIL__SIM_LAPTOP && u < 0.10) {
            /* Working from home: the laptop is not on the office network;
             * its owner connects through the VPN instead. */
            d->r_arrive = arrive + 900;
            d->r_leave = leave - 1800;
        } else if (u < 0.14) {
            /* Leave, sick day or business trip. */
        } else {
            d->arrive = arrive;
            d->leave = leave;
        }
    } else if (u < 0.03) {
        /* A weekend or holiday visit: a few hours of light work. */
        d->arrive = mid + 3600.0 * (10.0 + 3.0 * ua);
        d->leave = d->arrive + 3600.0 * (2.0 + 3.0 * ul);
        d->floor = 0.3;
    }
    if (hc->bp->flags & HF_ALWAYS_ON) {
        d->on = -1e300;
        d->off = 1e300;
    } else if (d->arrive < d->leave) {
        /* Desktops boot a few minutes before the user sits down; laptops
         * appear when plugged in. */
        int laptop = hc->host->role == VIGIL__SIM_LAPTOP;
        d->on = d->arrive - (laptop ? 0 : 240);
        d->off = d->leave + (laptop ? 0 : 90);
    }
}

static const dayplan *plan_at(const gen *g, const hctx *hc, double t, dayplan *tmp)
{
    int64_t L = local_day(g, t);
    int64_t i = L - hc->L0;
    if (i >= 0 && i < 3) return &hc->dp[i];
    day_plan(g, hc, L, tmp);
    return tmp;
}

static int powered(const gen *g, const hctx *hc, double t)
{
    if (t < g->start || !active_at(g, hc, t)) return 0;
    dayplan tmp;
    const dayplan *d = plan_at(g, hc, t, &tmp);
    return t >= d->on && t < d->off;
}

static int present(const gen *g, const hctx *hc, double t)
{
    if (t < g->start || !active_at(g, hc, t)) return 0;
    dayplan tmp;
    const dayplan *d = plan_at(g, hc, t, &tmp);
    return t >= d->arrive && t < d->leave;
}

/* A fresh connection record between two addresses. */
static void conn_init(vigil__sim_conn *c, double ts, double dur, vigil_addr o, uint16_t op,
                      vigil_addr r, uint16_t rp, int lo, int lr)
{
    memset(c, 0, sizeof *c);
    c->ts = ts;
    c->duration = dur;
    c->orig_h = o;
    c->resp_h = r;
    c->orig_p = op;
    c->resp_p = rp;
    c->local_orig = (uint8_t)lo;
    c->local_resp = (uint8_t)lr;
}

/* An ephemeral source port (Windows range). */
static uint16_t eph(uint64_t x)
{
    return (uint16_t)(49152 + (x % 16384));
}

/* The address of name n for a host in a cache epoch: the group the resolver
 * answered with for that epoch, one member picked by `pick`. */
static uint32_t name_group(const gen *g, uint32_t n, uint32_t host, int64_t epoch)
{
    const bname *b = &g->p->names[n];
    if (b->ngroups <= 1) return 0;
    uint64_t k = mix1(g->w->seed ^ ((uint64_t)n << 32 | host) * 0x9e3779b97f4a7c15ULL);
    return (uint32_t)(mix1(k ^ (uint64_t)epoch) % b->ngroups);
}

static uint32_t name_addr(const gen *g, uint32_t n, uint32_t grp, uint64_t pick)
{
    const bname *b = &g->p->names[n];
    return g->p->addrs[b->addr + grp * b->per_group + (uint32_t)(pick % b->per_group)];
}

/* A DNS lookup of name n by the host, through its internal resolver, at
 * time tl (the lookup completes just before tl).  Imitates a stub resolver:
 * A query (and often AAAA, which has no answer here: an IPv4-only world);
 * the internal resolver forwards cache misses to a public resolver, which
 * the border sensor also sees.  `x` supplies the randomness. */
static void dns_lookup(gen *g, const hctx *hc, uint32_t n, uint32_t grp, double tl, uint64_t x)
{
    const bname *b = &g->p->names[n];
    vigil__sim_rng r;
    vigil__sim_rng_seed(&r, x);
    double u_res = vigil__sim_rng_unit(&r), u_miss = vigil__sim_rng_unit(&r);
    double u_aaaa = vigil__sim_rng_unit(&r);
    double up_rtt = fast_lognormal(&r, 0.018, 0.6);
    double lan_rtt = 0.0002 + 0.001 * vigil__sim_rng_unit(&r);
    uint64_t ports = vigil__sim_rng_u64(&r);
    double ttl_left = vigil__sim_rng_unit(&r);
    if (up_rtt > 0.5) up_rtt = 0.5;
    int miss = u_miss * 100 < b->miss_pct;
    double rtt = miss ? up_rtt + lan_rtt : lan_rtt;
    double ts = tl - rtt - 0.0015;
    /* Cheap exit for lookups outside the hour (all three end by tl). */
    if (tl + 1.0 < g->t0 || ts - 1.0 >= g->t1) return;
    int ri = u_res < 0.95 ? hc->bp->resolver : 1 - hc->bp->resolver;
    const vigil__sim_host *res = &g->w->hosts[g->w->resolver[ri]];
    vigil_addr ra = vigil__sim_host_addr(g->w, res, g->day);
    vigil_addr ha = addr_at(g, hc, ts);
    int nans = b->per_group + (b->answers[grp][0] == 'e');
    vigil__sim_conn c;
    conn_init(&c, ts, rtt, ha, eph(ports), ra, 53, 1, 1);
    c.app = VIGIL__SIM_APP_DNS;
    c.a.dns.query = b->name;
    c.a.dns.qtype = 1;
    c.a.dns.rcode = 0;
    c.a.dns.answers = b->answers[grp];
    c.a.dns.ttl = miss ? b->ttl : (uint32_t)(1 + (b->ttl - 1) * ttl_left);
    c.a.dns.rtt = rtt;
    vigil__sim_udp(&c, b->qlen + 12, b->qlen + 12 + 16u * (unsigned)nans);
    out(g, &c);
    if (miss) {
        /* The resolver's forwarded query (random source port, as resolvers
         * randomise them). */
        vigil__sim_conn u;
        conn_init(&u, ts + 0.0004, up_rtt, ra, (uint16_t)(1024 + (ports >> 20) % 64000),
                  v4(g->p->public_dns[(ports >> 40) % 3]), 53, 1, 0);
        u.app = VIGIL__SIM_APP_DNS;
        u.a.dns = c.a.dns;
        u.a.dns.ttl = b->ttl;
        u.a.dns.rtt = up_rtt;
        vigil__sim_udp(&u, b->qlen + 23, b->qlen + 23 + 16u * (unsigned)nans);
        out(g, &u);
    }
    if (u_aaaa < 0.25) {
        /* The AAAA twin: answered from the resolver, no records. */
        vigil__sim_conn a6;
        conn_init(&a6, ts + 0.0002, lan_rtt, ha, eph(ports >> 16), ra, 53, 1, 1);
        a6.app = VIGIL__SIM_APP_DNS;
        a6.a.dns.query = b->name;
        a6.a.dns.qtype = 28;
        a6.a.dns.rtt = lan_rtt;
        vigil__sim_udp(&a6, b->qlen + 12, b->qlen + 12 + 60);
        out(g, &a6);
    }
}

/* Returns 1 when this lookup (name n, epoch e) is the host's first in the
 * epoch, i.e. not answered from its cache. */
static int cache_first(gen *g, uint32_t n, int64_t e)
{
    cache_ent *t = g->cache;
    uint32_t i = (n * 2654435761u) & (CACHE_SLOTS - 1);
    for (unsigned probes = 0; probes < CACHE_SLOTS; probes++, i = (i + 1) & (CACHE_SLOTS - 1)) {
        if (t[i].stamp != g->stamp) {
            t[i].stamp = g->stamp;
            t[i].key = n;
            t[i].epoch = e;
            return 1;
        }
        if (t[i].key == n) {
            if (t[i].epoch == e) return 0;
            t[i].epoch = e;
            return 1;
        }
    }
    return 1;
}

static int64_t cache_epoch(const gen *g, uint32_t n, uint32_t host, double t)
{
    const bname *b = &g->p->names[n];
    uint64_t k = mix1(~g->w->seed ^ ((uint64_t)host << 32 | n) * 0xd6e8feb86659fd93ULL);
    double ph = (double)(k % b->cache);
    return (int64_t)floor((t - g->start + ph) / b->cache);
}

/* One HTTPS or HTTP connection of a page view to name n (group grp),
 * starting at ts.  Browsers keep connections alive for a while, so
 * durations mix short fetches and idle keep-alives. */
static void web_conn(gen *g, const hctx *hc, uint32_t n, uint32_t grp, double ts, uint64_t x)
{
    vigil__sim_rng r;
    vigil__sim_rng_seed(&r, x);
    double u = vigil__sim_rng_unit(&r);
    double dur = u < 0.65 ? fast_lognormal(&r, 1.5, 1.1) : fast_lognormal(&r, 65.0, 0.6);
    if (dur > MAX_WEB_DUR) dur = MAX_WEB_DUR;
    if (!ends_in(g, ts, dur)) return;
    const bname *b = &g->p->names[n];
    const struct vigil__sim_benign *p = g->p;
    uint64_t y = vigil__sim_rng_u64(&r);
    int http = (y % 100) < b->http_pct;
    double ob = fast_lognormal(&r, http ? 600 : 1100, 0.6);
    double rb = fast_lognormal(&r, 12000, 1.6);
    if (rb > 3e7) rb = 3e7;
    vigil__sim_conn c;
    conn_init(&c, ts, dur, addr_at(g, hc, ts), eph(y >> 8),
              v4(name_addr(g, n, grp, y >> 24)), http ? 80 : 443, 1, 0);
    double noise = vigil__sim_rng_unit(&r);
    if (noise < 0.004) {
        /* Noise: a blackholed edge (S0, SYN retries) or a refused port. */
        c.duration = noise < 0.002 ? 9.0 * noise / 0.002 : 0.0003;
        if (noise < 0.002) vigil__sim_tcp_s0(&c);
        else vigil__sim_tcp_rej(&c);
        out(g, &c);
        return;
    }
    if (http) {
        unsigned ui = (unsigned)(vigil__sim_rng_u64(&r) % NURI);
        double us = vigil__sim_rng_unit(&r);
        c.app = VIGIL__SIM_APP_HTTP;
        c.a.http.method = us < 0.05 ? "POST" : "GET";
        c.a.http.host = b->name;
        c.a.http.uri = p->uris[ui];
        c.a.http.user_agent = user_agents[hc->bp->ua];
        c.a.http.status = us < 0.80 ? 200 : us < 0.92 ? 304 : us < 0.95 ? 404 : 302;
        c.a.http.request_body_len = us < 0.05 ? (uint64_t)(ob * 0.5) : 0;
        c.a.http.response_body_len = c.a.http.status == 200 ? (uint64_t)(rb * 0.95)
                                   : c.a.http.status == 404 ? 1245 : 0;
        c.a.http.mime = c.a.http.status == 200 ? p->uri_mime[ui]
                      : c.a.http.status == 404 ? "text/html" : NULL;
    } else {
        uint64_t v = vigil__sim_rng_u64(&r);
        c.app = VIGIL__SIM_APP_SSL;
        c.a.ssl.server_name = b->name;
        c.a.ssl.version = (v % 100) < 6 ? "TLSv13" : "TLSv12";
        c.a.ssl.cipher = (v % 100) < 6 ? "TLS_AES_128_GCM_SHA256" : ciphers12[(v >> 8) % COUNT(ciphers12)];
        c.a.ssl.resumed = (uint8_t)(((v >> 16) % 100) < 35);
    }
    vigil__sim_tcp_ok(&c, (uint64_t)ob, (uint64_t)rb);
    out(g, &c);
}

/* One page of a site at tv: the site's name, its own static/api names and
 * the third parties it embeds; each name looked up (unless cached) then
 * fetched over one or more connections.  Later pages of a session reuse
 * cached scripts and kept-alive connections, so they open fewer. */
static void page_view(gen *g, const hctx *hc, const bsite *st, double tv, int later,
                      vigil__sim_rng *r)
{
    const struct vigil__sim_benign *p = g->p;
    uint32_t names[MAX_VISIT_NAMES];
    unsigned nn = 0;
    names[nn++] = st->main;
    double p_own = later ? 0.4 : 0.7, p_third = later ? 0.4 : 0.75;
    for (unsigned k = 0; k < st->nown; k++)
        if (vigil__sim_rng_unit(r) < p_own) names[nn++] = st->own[k];
    for (unsigned k = 0; k < st->nthird && nn < MAX_VISIT_NAMES; k++)
        if (vigil__sim_rng_unit(r) < p_third) names[nn++] = p->third0 + st->third[k];
    for (unsigned j = 0; j < nn; j++) {
        uint32_t n = names[j];
        double tl = tv + 0.003 * j;
        uint64_t xd = vigil__sim_rng_u64(r);   /* always drawn: see top */
        int64_t e = cache_epoch(g, n, hc->id, tl);
        uint32_t grp = name_group(g, n, hc->id, e);
        if (cache_first(g, n, e)) dns_lookup(g, hc, n, grp, tl, xd);
        unsigned nc = 1;
        if (j == 0) {
            double u1 = vigil__sim_rng_unit(r), u2 = vigil__sim_rng_unit(r);
            nc = later ? (u1 < 0.7) : 1 + (u1 < 0.7) + (u2 < 0.4);
        } else if (vigil__sim_rng_unit(r) < 0.3) {
            nc = 2;
        }
        for (unsigned k = 0; k < nc; k++) {
            double off = k == 0 ? 0.01 : vigil__sim_rng_exp(r, 4.0);
            if (off > MAX_VISIT_OFF - 1) off = MAX_VISIT_OFF - 1;
            web_conn(g, hc, n, grp, tl + 0.002 + off, vigil__sim_rng_u64(r));
        }
    }
}

/* A browsing session starting at tv: a site (a personal favourite or a
 * Zipf-popular one) and a few pages read on it, tens of seconds apart.
 * The pages are queued (gen.pages) and run in time order afterwards, so
 * the DNS cache sees lookups in the order they happen even when sessions
 * overlap. */
static void visit(gen *g, const hctx *hc, double tv, vigil__sim_rng *r)
{
    const struct vigil__sim_benign *p = g->p;
    const bhost *bp = hc->bp;
    double u = vigil__sim_rng_unit(r);
    uint32_t si = u < 0.25 ? bp->fav[vigil__sim_rng_u64(r) % NFAV]
                           : (uint32_t)vigil__sim_zipf_draw(&p->site_zipf, vigil__sim_rng_unit(r));
    unsigned pages = 1;
    while (pages < MAX_PAGES && vigil__sim_rng_unit(r) < 0.55) pages++;
    double t = tv;
    for (unsigned pg = 0; pg < pages; pg++) {
        if (pg) {
            t += 3.0 + vigil__sim_rng_exp(r, 35.0);
            if (t - tv > MAX_SESSION) break;
        }
        uint64_t x = vigil__sim_rng_u64(r);
        if (g->npages == PAGE_CAP) continue; /* cannot happen: see PAGE_CAP */
        page_ev *e = &g->pages[g->npages++];
        e->t = t;
        e->site = si;
        e->later = (uint8_t)(pg > 0);
        e->x = x;
    }
}

/* Runs the queued pages in time order (insertion sort: the queue is
 * nearly sorted already, slots being in order). */
static void run_pages(gen *g, const hctx *hc)
{
    page_ev *q = g->pages;
    for (size_t i = 1; i < g->npages; i++) {
        page_ev e = q[i];
        size_t j = i;
        while (j > 0 && q[j - 1].t > e.t) { q[j] = q[j - 1]; j--; }
        q[j] = e;
    }
    for (size_t i = 0; i < g->npages; i++) {
        vigil__sim_rng r;
        vigil__sim_rng_seed(&r, q[i].x);
        page_view(g, hc, &g->p->sites[q[i].site], q[i].t, q[i].later, &r);
    }
    g->npages = 0;
}

/* Poisson count with a small mean, by inversion. */
static unsigned poisson(vigil__sim_rng *r, double lam)
{
    double u = vigil__sim_rng_unit(r), p = exp(-lam), c = p;
    unsigned k = 0;
    while (u > c && k < MAX_VISITS_SLOT) {
        k++;
        p *= lam / k;
        c += p;
    }
    return k;
}

/* Working-hours browsing: page views as a Poisson process whose rate
 * follows the user's activity curve (plus a small floor while present),
 * decided per one-minute slot from the slot's hash alone. */
static void browse(gen *g, hctx *hc)
{
    if (!hc->user || hc->bp->rate <= 0) return;
    int64_t s0 = (int64_t)floor((g->t0 - BROWSE_LB) / SLOT);
    int64_t s1 = (int64_t)ceil((g->t1 + SLOT) / SLOT);
    g->stamp++;
    if (g->stamp == 0) {
        memset(g->cache, 0, CACHE_SLOTS * sizeof *g->cache);
        g->stamp = 1;
    }
    /* Only the slots whose middle falls while the user is at the desk:
     * each day plan's [arrive, leave) lies inside its own local day, so the
     * three plans give disjoint slot ranges, in time order. */
    for (int k = 0; k < 3; k++) {
        const dayplan *d = &hc->dp[k];
        if (d->arrive >= d->leave) continue;
        int64_t a = (int64_t)ceil((d->arrive - SLOT / 2) / SLOT);
        int64_t b = (int64_t)ceil((d->leave - SLOT / 2) / SLOT);
        if (a < s0) a = s0;
        if (b > s1) b = s1;
        int64_t bucket = INT64_MIN;
        double act = 0;
        for (int64_t s = a; s < b; s++) {
            double ts = (double)s * SLOT;
            double mid = ts + SLOT / 2;
            if (mid < g->start || !active_at(g, hc, mid)) continue;
            /* The activity curve, sampled every 5 minutes (it is smooth). */
            if (s / 5 != bucket) {
                bucket = s / 5;
                act = vigil__sim_activity(g->w, hc->host, (double)bucket * 5 * SLOT + 2.5 * SLOT);
            }
            double lam = hc->bp->rate * (act + d->floor) * (SLOT / 3600.0);
            vigil__sim_rng r;
            vigil__sim_rng_seed(&r, vigil__sim_hash(g->w->seed, SUB(VIGIL__SIM_S_BROWSE, 0), hc->id, (uint64_t)s));
            unsigned nv = poisson(&r, lam);
            if (!nv) continue;
            double tv[MAX_VISITS_SLOT];
            for (unsigned i = 0; i < nv; i++) {
                double t = ts + SLOT * vigil__sim_rng_unit(&r);
                unsigned j = i;
                while (j > 0 && tv[j - 1] > t) { tv[j] = tv[j - 1]; j--; }
                tv[j] = t;
            }
            for (unsigned i = 0; i < nv; i++)
                if (present(g, hc, tv[i])) visit(g, hc, tv[i], &r);
        }
    }
    run_pages(g, hc);
}

/* ---- periodic services ---------------------------------------------------------- */

static double beat_time(const gen *g, const hctx *hc, unsigned s, int64_t k)
{
    const bhost *b = hc->bp;
    uint64_t x = vigil__sim_hash(g->w->seed, SUB(VIGIL__SIM_S_PERIODIC, s), hc->id, (uint64_t)k);
    double j = svc_defs[s].jitter;
    if (s == SVC_AV) j = b->period[s] * 0.01;
    return g->start + b->phase[s] + (double)k * b->period[s] + j * (2.0 * vigil__sim_unit(x) - 1.0);
}

static int sched_ok(const gen *g, const hctx *hc, unsigned s, double t)
{
    switch (svc_defs[s].sched) {
    case SCHED_POWERED: return powered(g, hc, t);
    case SCHED_PRESENT: return present(g, hc, t);
    default: return present(g, hc, t) && vigil__sim_activity(g->w, hc->host, t) > 0.05;
    }
}

/* A TLS connection to a fixed service name. */
static void svc_tls(gen *g, const hctx *hc, uint32_t n, uint32_t grp, double ts, double dur,
                    uint64_t ob, uint64_t rb, uint64_t x)
{
    if (!ends_in(g, ts, dur)) return;
    const bname *b = &g->p->names[n];
    vigil__sim_conn c;
    conn_init(&c, ts, dur, addr_at(g, hc, ts), eph(x), v4(name_addr(g, n, grp, x >> 16)), 443, 1, 0);
    c.app = VIGIL__SIM_APP_SSL;
    c.a.ssl.server_name = b->name;
    c.a.ssl.version = "TLSv12";
    c.a.ssl.cipher = ciphers12[(x >> 40) % COUNT(ciphers12)];
    c.a.ssl.resumed = (uint8_t)((x >> 48) % 4 != 0);
    vigil__sim_tcp_ok(&c, ob, rb);
    out(g, &c);
}

/* Internal TCP exchange (kerberos, ldap, smb, https to an internal name). */
static void internal_tcp(gen *g, vigil_addr o, vigil_addr r, uint16_t rp, double ts, double dur,
                         uint64_t ob, uint64_t rb, uint64_t x)
{
    if (!ends_in(g, ts, dur)) return;
    vigil__sim_conn c;
    conn_init(&c, ts, dur, o, eph(x), r, rp, 1, 1);
    vigil__sim_tcp_ok(&c, ob, rb);
    c.service = rp == 88 ? "krb_tcp" : rp == 445 ? "smb" : rp == 389 ? "ldap" : c.service;
    out(g, &c);
}

/* One beat k of service s. */
static void svc_beat(gen *g, const hctx *hc, unsigned s, int64_t k, double tk)
{
    const struct vigil__sim_benign *p = g->p;
    const bhost *b = hc->bp;
    uint32_t n = (uint32_t)s; /* fixed names come first, in service order */
    vigil__sim_rng r;
    vigil__sim_rng_seed(&r, vigil__sim_hash(g->w->seed, SUB(VIGIL__SIM_S_PERIODIC, 0x100 + s), hc->id, (uint64_t)k));
    uint64_t xd = vigil__sim_rng_u64(&r), xc = vigil__sim_rng_u64(&r);
    vigil__sim_conn c;

    if (s == SVC_GPO) {
        /* Group-policy refresh: ldap query, sysvol over smb, a kerberos
         * service ticket, all to the domain controller. */
        const vigil__sim_host *dc = &g->w->hosts[g->w->dc];
        vigil_addr da = vigil__sim_host_addr(g->w, dc, g->day), ha = addr_at(g, hc, tk);
        internal_tcp(g, ha, da, 88, tk, 0.004 + 0.01 * vigil__sim_rng_unit(&r), 1400, 1350, xc);
        /* Draws that were call arguments are made first, last argument
         * first: C leaves the order of arguments open (clang and gcc
         * differed, so the same seed gave two worlds); this is the order
         * gcc used, so worlds keep their bytes. */
        double l3 = vigil__sim_rng_unit(&r), l2 = vigil__sim_rng_unit(&r), l1 = vigil__sim_rng_unit(&r);
        internal_tcp(g, ha, da, 389, tk + 0.05, 0.05 + 0.4 * l1, 1200 + (uint64_t)(2000 * l2),
                     3000 + (uint64_t)(15000 * l3), xc >> 8);
        double s3 = vigil__sim_rng_unit(&r), s2 = vigil__sim_rng_unit(&r), s1 = vigil__sim_rng_unit(&r);
        internal_tcp(g, ha, da, 445, tk + 0.6, 0.2 + 1.5 * s1, 2500 + (uint64_t)(4000 * s2),
                     6000 + (uint64_t)(30000 * s3), xc >> 16);
        return;
    }

    /* The name's address for this beat; DNS when the previous beat fell
     * in an earlier cache epoch (or did not happen). */
    double cache = svc_defs[s].cache;
    int64_t e = (int64_t)floor((tk - g->start + b->cache_phase[s]) / cache);
    uint32_t grp = name_group(g, n, hc->id, e);
    double tprev = beat_time(g, hc, s, k - 1);
    int64_t eprev = (int64_t)floor((tprev - g->start + b->cache_phase[s]) / cache);
    if (k == 0 || eprev != e || !sched_ok(g, hc, s, tprev))
        dns_lookup(g, hc, n, grp, tk, xd);

    switch (s) {
    case SVC_UPDATE: {
        /* Mostly "nothing new"; about every two days a real download. */
        double u = vigil__sim_rng_unit(&r);
        if (u < 0.02) {
            double mb = 5e6 + 6e7 * vigil__sim_rng_unit(&r);
            double dur = mb / (1e6 + 4e6 * vigil__sim_rng_unit(&r));
            svc_tls(g, hc, n, grp, tk, dur > 125 ? 125 : dur, 3000, (uint64_t)mb, xc);
        } else {
            double u3 = vigil__sim_rng_unit(&r), u2 = vigil__sim_rng_unit(&r), u1 = vigil__sim_rng_unit(&r);
            svc_tls(g, hc, n, grp, tk, 0.3 + 2.5 * u1, 1500 + (uint64_t)(1500 * u2),
                    4000 + (uint64_t)(26000 * u3), xc);
        }
        break;
    }
    case SVC_TELEMETRY: {
        double u3 = vigil__sim_rng_unit(&r), u2 = vigil__sim_rng_unit(&r), u1 = vigil__sim_rng_unit(&r);
        svc_tls(g, hc, n, grp, tk, 0.2 + 1.3 * u1, 2000 + (uint64_t)(10000 * u2),
                300 + (uint64_t)(300 * u3), xc);
        break;
    }
    case SVC_NTP: {
        /* One 48-byte request, one reply, from port 123 to port 123. */
        double dur = 0.008 + 0.06 * vigil__sim_rng_unit(&r);
        if (!ends_in(g, tk, dur)) break;
        conn_init(&c, tk, dur, addr_at(g, hc, tk), 123, v4(name_addr(g, n, grp, xc)), 123, 1, 0);
        vigil__sim_udp(&c, 48, 48);
        out(g, &c);
        break;
    }
    case SVC_AV: {
        /* "Any new signatures?" over HTTP: 304 mostly, a download now
         * and then. */
        double u = vigil__sim_rng_unit(&r);
        int fresh = u < 0.1;
        uint64_t body = fresh ? 200000 + (uint64_t)(1800000 * vigil__sim_rng_unit(&r)) : 0;
        double dur = fresh ? 1.0 + body / 4e5 : 0.05 + 0.3 * vigil__sim_rng_unit(&r);
        if (!ends_in(g, tk, dur)) break;
        conn_init(&c, tk, dur, addr_at(g, hc, tk), eph(xc), v4(name_addr(g, n, grp, xc >> 16)), 80, 1, 0);
        c.app = VIGIL__SIM_APP_HTTP;
        c.a.http.method = "GET";
        c.a.http.host = p->names[n].name;
        c.a.http.uri = "/sigs/v3/daily.ver";
        c.a.http.user_agent = av_user_agent;
        c.a.http.status = fresh ? 200 : 304;
        c.a.http.response_body_len = body;
        c.a.http.mime = fresh ? "application/octet-stream" : NULL;
        vigil__sim_tcp_ok(&c, 260, body + 280);
        out(g, &c);
        break;
    }
    case SVC_CHAT: {
        /* The session lasts until the client re-establishes it at the
         * next beat; at the end of the day it just closes. */
        double tn = beat_time(g, hc, s, k + 1);
        double gap = 0.5 + 2.5 * vigil__sim_rng_unit(&r);
        double dur = sched_ok(g, hc, s, tn) ? tn - tk - gap : 60 + 600 * vigil__sim_rng_unit(&r);
        if (dur < 1) dur = 1;
        svc_tls(g, hc, n, grp, tk, dur, 2000 + (uint64_t)(dur * 9), 3500 + (uint64_t)(dur * 25), xc);
        break;
    }
    case SVC_SYNC: {
        /* Usually a quick "anything changed?"; sometimes a file goes up. */
        double u = vigil__sim_rng_unit(&r);
        if (u < 0.05) {
            double sz = 5e4 + 5e6 * vigil__sim_rng_unit(&r);
            svc_tls(g, hc, n, grp, tk, 1 + sz / 1e6, (uint64_t)sz, 4000, xc);
        } else {
            double u3 = vigil__sim_rng_unit(&r), u2 = vigil__sim_rng_unit(&r), u1 = vigil__sim_rng_unit(&r);
            svc_tls(g, hc, n, grp, tk, 0.3 + 2.7 * u1, 1000 + (uint64_t)(3000 * u2),
                    1000 + (uint64_t)(5000 * u3), xc);
        }
        break;
    }
    case SVC_PUSH: {
        /* Long-poll: the connection stays open until the next reconnect. */
        double tn = beat_time(g, hc, s, k + 1);
        double dur = sched_ok(g, hc, s, tn) ? tn - tk - 0.15 : 1 + 29 * vigil__sim_rng_unit(&r);
        if (dur < 0.05) dur = 0.05;
        double u2 = vigil__sim_rng_unit(&r), u1 = vigil__sim_rng_unit(&r);
        svc_tls(g, hc, n, grp, tk, dur, 600 + (uint64_t)(300 * u1), 1500 + (uint64_t)(2500 * u2), xc);
        break;
    }
    default: break;
    }
}

static void periodic(gen *g, const hctx *hc)
{
    for (unsigned s = 0; s < NSVC; s++) {
        if (!g->p->svc_on[(size_t)hc->id * NSVC + s]) continue;
        const svc_def *d = &svc_defs[s];
        double P = hc->bp->period[s];
        double J = s == SVC_AV ? P * 0.01 : d->jitter;
        double base = g->start + hc->bp->phase[s];
        int64_t k0 = (int64_t)floor((g->t0 - d->dmax - J - 2.0 - base) / P);
        int64_t k1 = (int64_t)floor((g->t1 + J + 1.0 - base) / P); /* + its DNS */
        if (k0 < 0) k0 = 0;
        for (int64_t k = k0; k <= k1; k++) {
            double tk = beat_time(g, hc, s, k);
            if (tk < g->start || !sched_ok(g, hc, s, tk)) continue;
            svc_beat(g, hc, s, k, tk);
        }
    }
}

/* ---- once-a-day events of a host ---------------------------------------------- */

/* Logon at the start of the day: DC locator SRV lookup, kerberos AS/TGS,
 * ldap, sysvol (smb) -- every Windows logon looks like this. */
static void logon(gen *g, const hctx *hc, double t, vigil__sim_rng *r)
{
    const vigil__sim_world *w = g->w;
    uint64_t x1 = vigil__sim_rng_u64(r), x2 = vigil__sim_rng_u64(r), x3 = vigil__sim_rng_u64(r);
    uint64_t x4 = vigil__sim_rng_u64(r), x5 = vigil__sim_rng_u64(r);
    if (t + 5 < g->t0 || t - 5 >= g->t1) return;
    vigil_addr ha = addr_at(g, hc, t);
    vigil_addr da = vigil__sim_host_addr(w, &w->hosts[w->dc], g->day);
    vigil_addr ra = vigil__sim_host_addr(w, &w->hosts[w->resolver[hc->bp->resolver]], g->day);
    vigil__sim_conn c;
    conn_init(&c, t - 0.01, 0.0008, ha, eph(x1), ra, 53, 1, 1);
    c.app = VIGIL__SIM_APP_DNS;
    c.a.dns.query = g->p->srv_query;
    c.a.dns.qtype = 33;
    c.a.dns.answers = g->p->srv_answer;
    c.a.dns.ttl = 600;
    c.a.dns.rtt = 0.0008;
    vigil__sim_udp(&c, 70, 160);
    out(g, &c);
    internal_tcp(g, ha, da, 88, t, 0.006, 1500, 1600, x2);
    internal_tcp(g, ha, da, 88, t + 0.02, 0.005, 1700, 1500, x3);
    internal_tcp(g, ha, da, 389, t + 0.05, 0.3, 2500, 12000, x4);
    internal_tcp(g, ha, da, 445, t + 0.4, 1.2, 6000, 40000, x5);
}

/* The events of local day L for the host: logon, the day-long SMB session
 * to the file server, an occasional large upload, and remote work over the
 * VPN.  Each is emitted in the hour it ends. */
static void day_events(gen *g, const hctx *hc, int64_t L, const dayplan *d)
{
    const vigil__sim_world *w = g->w;
    const struct vigil__sim_benign *p = g->p;
    if (!hc->user || L < 0) return;
    vigil__sim_rng r;
    vigil__sim_rng_seed(&r, vigil__sim_hash(w->seed, SUB(VIGIL__SIM_S_LONG, 0xbe20), hc->id, (uint64_t)L));
    uint64_t xs = vigil__sim_rng_u64(&r), xu = vigil__sim_rng_u64(&r), xv = vigil__sim_rng_u64(&r);
    double u_up = vigil__sim_rng_unit(&r), u_eve = vigil__sim_rng_unit(&r);

    if (d->arrive < d->leave) {
        if (present(g, hc, d->arrive)) logon(g, hc, d->arrive, &r);
        /* A mapped drive: one SMB session to the file server all day
         * (long-lived, internal, legitimate). */
        double ts = d->arrive + 45, te = d->leave - 20;
        if (p->file_server != UINT32_MAX && te > ts && ends_in(g, ts, te - ts) &&
            present(g, hc, ts) && active_at(g, hc, te)) {
            vigil__sim_rng sr;
            vigil__sim_rng_seed(&sr, xs);
            const vigil__sim_host *fs = &w->hosts[p->file_server];
            double ob = vigil__sim_rng_lognormal(&sr, 4e6, 1.0), rb = vigil__sim_rng_lognormal(&sr, 3e7, 1.0);
            internal_tcp(g, addr_at(g, hc, ts), vigil__sim_host_addr(w, fs, g->day), 445, ts, te - ts,
                         (uint64_t)ob, (uint64_t)rb, xs);
        }
        /* A large legitimate upload: someone shares a big file to cloud
         * storage during office hours (an exfiltration look-alike). */
        if (u_up < 0.04) {
            vigil__sim_rng ur;
            vigil__sim_rng_seed(&ur, xu);
            double t = d->arrive + 1800 + (d->leave - d->arrive - 3600) * vigil__sim_rng_unit(&ur);
            double size = vigil__sim_rng_lognormal(&ur, 2e8, 0.6);
            if (size > 2e9) size = 2e9;
            double dur = size / (3e6 + 1.2e7 * vigil__sim_rng_unit(&ur));
            uint64_t x = vigil__sim_rng_u64(&ur);
            if (present(g, hc, t)) {
                uint32_t n = FN_UPLOAD;
                int64_t e = (int64_t)floor((t - g->start) / p->names[n].cache);
                uint32_t grp = name_group(g, n, hc->id, e);
                dns_lookup(g, hc, n, grp, t, x);
                svc_tls(g, hc, n, grp, t + 0.01, dur, (uint64_t)size, 20000 + (uint64_t)(size / 300), x >> 3);
            }
        }
    }
    /* Remote work: a VPN session from the owner's home address to the VPN
     * concentrator lasting the working day (inbound, hours long). */
    double vs = 0, ve = 0;
    if (d->r_arrive < d->r_leave) {
        vs = d->r_arrive;
        ve = d->r_leave;
    } else if (u_eve < 0.04) {
        /* An evening check of mail from home. */
        double mid = (double)w->start - w->tz_offset + (double)L * 86400.0;
        vigil__sim_rng er;
        vigil__sim_rng_seed(&er, xv ^ 0x5a5a);
        vs = mid + 3600.0 * (20.0 + 3.0 * vigil__sim_rng_unit(&er));
        ve = vs + 1200 + 9000 * vigil__sim_rng_unit(&er);
    }
    if (ve > vs && ends_in(g, vs, ve - vs) && active_at(g, hc, vs) && active_at(g, hc, ve)) {
        vigil__sim_rng vr;
        vigil__sim_rng_seed(&vr, xv);
        double dur = ve - vs;
        const vigil__sim_host *vpn = &w->hosts[w->vpn];
        vigil__sim_conn c;
        conn_init(&c, vs, dur, v4(hc->bp->home_ip), eph(xv >> 5),
                  vigil__sim_host_addr(w, vpn, g->day), 443, 0, 1);
        c.app = VIGIL__SIM_APP_SSL;
        c.a.ssl.server_name = p->vpn_name;
        c.a.ssl.version = "TLSv12";
        c.a.ssl.cipher = ciphers12[0];
        double v2 = vigil__sim_rng_unit(&vr), v1 = vigil__sim_rng_unit(&vr);
        vigil__sim_tcp_ok(&c, (uint64_t)(dur * (3e3 + 2e4 * v1)), (uint64_t)(dur * (1e4 + 8e4 * v2)));
        out(g, &c);
    }
}

/* ---- servers ---------------------------------------------------------------------- */

/* The monitoring poller: ICMP every 60 s to servers (300 s to monitored
 * desktops), SNMP every 300 s and HTTPS health checks every 60 s to
 * servers.  Internal and machine-regular: the internal-periodic trap. */
static void monitor(gen *g)
{
    const vigil__sim_world *w = g->w;
    const vigil__sim_host *mon = &w->hosts[w->monitor];
    if (!vigil__sim_host_active(w, mon, g->day)) return;
    vigil_addr ma = vigil__sim_host_addr(w, mon, g->day);
    for (size_t i = 0; i < w->nhosts; i++) {
        const vigil__sim_host *h = &w->hosts[i];
        const bhost *b = &g->p->hp[i];
        if (i == w->monitor || !(b->flags & HF_MONITORED)) continue;
        if (!vigil__sim_host_active(w, h, g->day)) continue;
        int srv = h->role == VIGIL__SIM_SERVER;
        vigil_addr ta = vigil__sim_host_addr(w, h, g->day);
        int https = srv && (h->server == VIGIL__SIM_SRV_FILE || h->server == VIGIL__SIM_SRV_WALLET ||
                            h->server == VIGIL__SIM_SRV_VPN || h->server == VIGIL__SIM_SRV_BACKUP);
        for (int kind = 0; kind < 3; kind++) {
            if (kind > 0 && !srv) break;
            if (kind == 2 && !https) break;
            double P = kind == 1 ? 300 : (srv ? 60 : 300);
            double ph = P * vigil__sim_unit(vigil__sim_hash(w->seed, SUB(VIGIL__SIM_S_INTERNAL, 1), i, (uint64_t)kind));
            double base = g->start + ph;
            int64_t k0 = (int64_t)floor((g->t0 - 3 - base) / P), k1 = (int64_t)floor((g->t1 + 1 - base) / P);
            if (k0 < 0) k0 = 0;
            for (int64_t k = k0; k <= k1; k++) {
                uint64_t x = vigil__sim_hash(w->seed, SUB(VIGIL__SIM_S_INTERNAL, 2 + kind), i, (uint64_t)k);
                double t = base + (double)k * P + 0.2 * (vigil__sim_unit(x) - 0.5);
                double dur = kind == 2 ? 0.01 + 0.02 * vigil__sim_unit(x >> 7)
                                       : 0.0003 + 0.0015 * vigil__sim_unit(x >> 7);
                if (!ends_in(g, t, dur) || utc_day(g, t) != (int64_t)g->day) continue;
                vigil__sim_conn c;
                if (kind == 0) {
                    /* ICMP echo: Zeek logs type 8 as orig_p, code 0 as resp_p. */
                    conn_init(&c, t, dur, ma, 8, ta, 0, 1, 1);
                    c.proto = VIGIL_PROTO_ICMP;
                    c.conn_state = VIGIL_CS_OTH;
                    c.orig_bytes = c.resp_bytes = 32;
                    c.orig_pkts = c.resp_pkts = 1;
                    c.history = NULL;
                } else if (kind == 1) {
                    conn_init(&c, t, dur, ma, eph(x >> 20), ta, 161, 1, 1);
                    vigil__sim_udp(&c, 90 + x % 40, 180 + (x >> 8) % 200);
                    c.service = "snmp";
                } else {
                    conn_init(&c, t, dur, ma, eph(x >> 20), ta, 443, 1, 1);
                    c.app = VIGIL__SIM_APP_SSL;
                    c.a.ssl.server_name = g->p->fqdn[i];
                    c.a.ssl.version = "TLSv12";
                    c.a.ssl.cipher = ciphers12[0];
                    c.a.ssl.resumed = 1;
                    vigil__sim_tcp_ok(&c, 520, 1800 + (x >> 8) % 300);
                }
                out(g, &c);
            }
        }
    }
}

/* Nightly backup: the backup server opens 2-4 parallel streams to a cloud
 * backup provider around 01:00 local and uploads for hours (Saturday: the
 * weekly full backup, much longer).  The long-lived large-upload trap. */
static void backup(gen *g)
{
    const vigil__sim_world *w = g->w;
    const struct vigil__sim_benign *p = g->p;
    const vigil__sim_host *bk = &w->hosts[w->backup];
    int64_t La = local_day(g, g->t0) - 1, Lb = local_day(g, g->t1);
    for (int64_t L = La; L <= Lb; L++) {
        if (L < 0) continue;
        double mid = (double)w->start - w->tz_offset + (double)L * 86400.0;
        vigil__sim_rng r;
        vigil__sim_rng_seed(&r, vigil__sim_hash(w->seed, SUB(VIGIL__SIM_S_LONG, 0xbe30), 0, (uint64_t)L));
        double t = mid + 3600 + 1800 * vigil__sim_rng_unit(&r);
        int64_t zd = (int64_t)floor((mid + w->tz_offset) / 86400.0); /* local date */
        int saturday = (((zd + 4) % 7) + 7) % 7 == 6;
        unsigned ns = saturday ? 4 : 2 + (unsigned)(vigil__sim_rng_u64(&r) % 3);
        uint64_t xa = vigil__sim_rng_u64(&r);
        int64_t du = utc_day(g, t);
        if (t < g->start || du < 0 || du >= (int64_t)w->days ||
            !vigil__sim_host_active(w, bk, (unsigned)du))
            continue;
        vigil_addr ba = vigil__sim_host_addr(w, bk, (unsigned)du);
        /* Control call to the provider's API first (name looked up). */
        hctx hc;
        memset(&hc, 0, sizeof hc);
        hc.id = w->backup;
        hc.host = bk;
        hc.bp = &p->hp[w->backup];
        hc.d0 = du;
        hc.act[0] = 1;
        hc.addr[0] = ba;
        hc.L0 = L;
        hc.dp[0].on = -1e300;
        hc.dp[0].off = 1e300;
        uint32_t ga = name_group(g, FN_BACKUP_API, w->backup, L);
        dns_lookup(g, &hc, FN_BACKUP_API, ga, t - 30, xa);
        svc_tls(g, &hc, FN_BACKUP_API, ga, t - 29, 0.8, 4000, 9000, xa >> 4);
        dns_lookup(g, &hc, FN_BACKUP, 0, t, xa >> 9);
        for (unsigned s = 0; s < ns; s++) {
            double ts = t + 0.2 + 90 * vigil__sim_rng_unit(&r);
            double dur = vigil__sim_rng_lognormal(&r, saturday ? 6.5 * 3600 : 2.5 * 3600, 0.3);
            if (dur > 12 * 3600) dur = 12 * 3600;
            double rate = 1.5e6 + 4e6 * vigil__sim_rng_unit(&r);
            uint64_t x = vigil__sim_rng_u64(&r);
            svc_tls(g, &hc, FN_BACKUP, 0, ts, dur, (uint64_t)(dur * rate),
                    (uint64_t)(dur * rate / 150), x);
        }
    }
}

/* ---- the hour ------------------------------------------------------------------------ */

vigil_status vigil__sim_benign_hour(const vigil__sim_world *w, vigil__sim_hour *h)
{
    if (!w->benign) return VIGIL_OK;
    gen g;
    memset(&g, 0, sizeof g);
    g.w = w;
    g.p = w->benign;
    g.h = h;
    g.t0 = vigil__sim_hour_t0(h);
    g.t1 = g.t0 + 3600.0;
    g.start = (double)w->start;
    g.day = vigil__sim_hour_day(h);
    g.cache = vigil__calloc(&w->alloc, CACHE_SLOTS, sizeof *g.cache);
    g.pages = vigil__malloc(&w->alloc, PAGE_CAP * sizeof *g.pages);
    if (!g.cache || !g.pages) {
        vigil__free(&w->alloc, g.cache);
        vigil__free(&w->alloc, g.pages);
        return VIGIL_ENOMEM;
    }
    g.stamp = 0;

    int64_t Lh = local_day(&g, g.t0);
    for (size_t i = 0; i < w->nhosts && g.rc == VIGIL_OK; i++) {
        hctx hc;
        hc.id = (uint32_t)i;
        hc.host = &w->hosts[i];
        hc.bp = &g.p->hp[i];
        hc.user = is_user_host(hc.host);
        hc.d0 = (int64_t)g.day - 1;
        int any = 0;
        for (int k = 0; k < 3; k++) {
            int64_t d = hc.d0 + k;
            int ok = d >= 0 && d < (int64_t)w->days;
            hc.act[k] = (uint8_t)(ok && vigil__sim_host_active(w, hc.host, (unsigned)d));
            hc.addr[k] = vigil__sim_host_addr(w, hc.host, ok ? (unsigned)d : g.day);
            any |= hc.act[k];
        }
        if (!any) continue;
        hc.L0 = Lh - 1;
        for (int k = 0; k < 3; k++) day_plan(&g, &hc, hc.L0 + k, &hc.dp[k]);
        g.cur = &hc;
        browse(&g, &hc);
        periodic(&g, &hc);
        for (int k = 0; k < 3; k++) day_events(&g, &hc, hc.L0 + k, &hc.dp[k]);
        g.cur = NULL;
    }
    if (g.rc == VIGIL_OK) monitor(&g);
    if (g.rc == VIGIL_OK) backup(&g);
    vigil__free(&w->alloc, g.cache);
    vigil__free(&w->alloc, g.pages);
    return g.rc;
}
