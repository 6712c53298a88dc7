/* sim_world.c -- the simulated enterprise: staff, hosts, servers, calendar.
 *
 * Input: seed, start day, number of days and hosts.  Output: the immutable
 * vigil__sim_world every generator reads (sim.h), and DIR/assets.csv and
 * DIR/people.csv.  The company is a made-up Tokyo crypto exchange,
 * CoinVault (coinvault.co.jp): office hours in Japan time (UTC+9) with a
 * personal spread, a lunch dip, weekends and Japanese holidays; departments
 * on their own VLANs in 10.0.0.0/8, laptops on a DHCP pool in 172.16.0.0/12
 * that hands them a different address each day, a few hosts that join
 * mid-run and one switched off for a week.  Every choice is a pure function
 * of the seed (sim_rng.c). */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "sim.h"

/* Internal servers: kind, hostname, fixed address 10.0.s3.s4. */
typedef struct server_def {
    uint8_t kind;            /* vigil__sim_server */
    const char *name;        /* hostname */
    uint8_t net, last;       /* address 10.0.net.last */
    const char *role;        /* role column of assets.csv */
} server_def;

static const server_def servers[] = {
    { VIGIL__SIM_SRV_DNS, "dns1", 1, 10, "dns-resolver" },
    { VIGIL__SIM_SRV_DNS, "dns2", 1, 11, "dns-resolver" },
    { VIGIL__SIM_SRV_DC, "dc1", 1, 20, "domain-controller" },
    { VIGIL__SIM_SRV_MONITOR, "mon1", 1, 30, "monitoring-poller" },
    { VIGIL__SIM_SRV_BACKUP, "backup1", 1, 40, "backup-server" },
    { VIGIL__SIM_SRV_VPN, "vpn1", 1, 50, "vpn-concentrator" },
    { VIGIL__SIM_SRV_FILE, "files1", 1, 60, "file-server" },
    { VIGIL__SIM_SRV_WALLET, "hotwallet1", 99, 10, "hot-wallet-signer" },
};
#define NSERVERS (sizeof servers / sizeof servers[0])

/* Departments: name, hostname code, share of staff in percent, share of
 * laptops in percent. */
typedef struct dept_def {
    const char *name;        /* department name */
    const char *code;        /* short code in hostnames */
    unsigned share;          /* percent of staff */
    unsigned laptops;        /* percent of its hosts that are laptops */
} dept_def;

enum { D_ENG, D_FIN, D_SALES, D_HR, D_SUPPORT, D_IT, D_WALLET, D_EXEC, NDEPTS };
static const dept_def depts[NDEPTS] = {
    { "engineering", "eng", 28, 30 }, { "finance", "fin", 8, 20 },
    { "sales", "sal", 14, 60 },       { "hr", "hr", 5, 20 },
    { "support", "sup", 22, 10 },     { "it", "it", 8, 40 },
    { "wallet-ops", "wal", 6, 0 },    { "executives", "exe", 4, 70 },
};

/* Name lists (romanised Japanese and international), written for vigil. */
static const char *const jp_given[] = {
    "Haruto", "Yuto", "Sota", "Yuki", "Hayato", "Riku", "Kaito", "Ren",
    "Daiki", "Takumi", "Kenta", "Shota", "Naoki", "Takeshi", "Hiroshi",
    "Kazuki", "Ryo", "Satoshi", "Kenji", "Makoto", "Yui", "Aoi", "Hina",
    "Sakura", "Yuna", "Mei", "Rin", "Misaki", "Haruka", "Nanami", "Ayaka",
    "Mai", "Emi", "Yoko", "Keiko", "Tomoko", "Naomi", "Asuka", "Chihiro",
    "Kana", "Miyu", "Saki", "Akira", "Jun", "Hikaru", "Minori",
};
static const char *const jp_family[] = {
    "Sato", "Suzuki", "Takahashi", "Tanaka", "Watanabe", "Ito", "Yamamoto",
    "Nakamura", "Kobayashi", "Kato", "Yoshida", "Yamada", "Sasaki",
    "Yamaguchi", "Matsumoto", "Inoue", "Kimura", "Hayashi", "Shimizu",
    "Yamazaki", "Mori", "Abe", "Ikeda", "Hashimoto", "Yamashita",
    "Ishikawa", "Nakajima", "Maeda", "Fujita", "Ogawa", "Goto", "Okada",
    "Hasegawa", "Murakami", "Kondo", "Ishii", "Saito", "Sakamoto", "Endo",
    "Aoki", "Fujii", "Nishimura", "Fukuda", "Ota", "Miura", "Okamoto",
};
static const char *const intl_given[] = {
    "James", "Olivia", "Liam", "Emma", "Noah", "Sophia", "Lucas", "Mia",
    "Daniel", "Chloe", "Arjun", "Priya", "Wei", "Mei-Ling", "Min-jun",
    "Ji-woo", "Carlos", "Lucia", "Mateo", "Ana", "Pierre", "Camille",
    "Lukas", "Hannah", "Ivan", "Elena", "Omar", "Layla", "Tom", "Grace",
    "Nguyen", "Linh", "Rahul", "Sara",
};
static const char *const intl_family[] = {
    "Smith", "Johnson", "Brown", "Miller", "Wilson", "Taylor", "Anderson",
    "Thomas", "Moore", "Martin", "Lee", "Kim", "Park", "Chen", "Wang",
    "Li", "Zhang", "Patel", "Sharma", "Singh", "Garcia", "Rodriguez",
    "Lopez", "Dubois", "Lefebvre", "Muller", "Schmidt", "Rossi", "Ivanov",
    "Novak", "Tran", "Pham", "Haddad", "OConnor",
};
#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

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

/* ---- calendar ------------------------------------------------------------ */

/* Civil date from days since 1970-01-01 (proleptic Gregorian; the
 * era-based method: 400-year eras of 146097 days). */
static void civil(int64_t z, int *y, int *m, int *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t yy = yoe + era * 400;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int64_t dd = doy - (153 * mp + 2) / 5 + 1;
    int64_t mm = mp < 10 ? mp + 3 : mp - 9;
    *y = (int)(yy + (mm <= 2));
    *m = (int)mm;
    *d = (int)dd;
}

/* Day of week of days-since-epoch z: 0 Sunday .. 6 Saturday. */
static int weekday(int64_t z)
{
    int64_t w = (z + 4) % 7; /* 1970-01-01 was a Thursday */
    return (int)(w < 0 ? w + 7 : w);
}

/* A Japanese national holiday.  Equinox days by the usual 1980-2099
 * approximation. */
static int is_national_holiday(int y, int m, int d, int wd)
{
    int nth = (d - 1) / 7 + 1; /* which weekday-of-month this is */
    int k = y - 1980;
    int vernal = (int)floor(20.8431 + 0.242194 * k) - k / 4;
    int autumn = (int)floor(23.2488 + 0.242194 * k) - k / 4;
    switch (m) {
    case 1: return d == 1 || (wd == 1 && nth == 2);   /* new year, Coming of Age */
    case 2: return d == 11 || (y >= 2020 && d == 23); /* foundation, emperor */
    case 3: return d == vernal;
    case 4: return d == 29;                           /* Showa day */
    case 5: return d >= 3 && d <= 5;                  /* Golden Week */
    case 7: return wd == 1 && nth == 3;               /* Marine day */
    case 8: return d == 11;                           /* Mountain day */
    case 9: return (wd == 1 && nth == 3) || d == autumn;
    case 10: return wd == 1 && nth == 2;              /* Sports day */
    case 11: return d == 3 || d == 23;
    case 12: return y <= 2018 && d == 23;             /* emperor (Heisei) */
    default: return 0;
    }
}

/* 1 when days-since-epoch z (a Tokyo calendar date) is a day off: weekend,
 * national holiday, its substitute, or the company's year-end closure
 * (Dec 29 - Jan 3). */
static int day_off_z(int64_t z)
{
    int wd = weekday(z);
    if (wd == 0 || wd == 6) return 1;
    int y, m, d;
    civil(z, &y, &m, &d);
    if ((m == 12 && d >= 29) || (m == 1 && d <= 3)) return 1;
    if (is_national_holiday(y, m, d, wd)) return 1;
    /* Substitute holiday: the first non-holiday after a national holiday
     * that fell on a Sunday (walk back over the holidays just before). */
    for (int64_t p = z - 1; p > z - 7; p--) {
        int pw = weekday(p);
        civil(p, &y, &m, &d);
        if (!is_national_holiday(y, m, d, pw)) return 0;
        if (pw == 0) return 1;
    }
    return 0;
}

int vigil__sim_is_day_off(const vigil__sim_world *w, unsigned day)
{
    /* UTC day `day` starts at 09:00 Tokyo time on the same date. */
    int64_t local = w->start + (int64_t)day * 86400 + w->tz_offset;
    int64_t z = local >= 0 ? local / 86400 : (local - 86399) / 86400;
    return day_off_z(z);
}

/* ---- hosts ----------------------------------------------------------------- */

int vigil__sim_host_active(const vigil__sim_world *w, const vigil__sim_host *h, unsigned day)
{
    (void)w;
    if (day < h->join_day) return 0;
    if (h->off_from >= 0 && (int)day >= h->off_from && (int)day < h->off_to) return 0;
    return 1;
}

/* Size mask of the DHCP pool: a power of two at least twice the hosts. */
static uint32_t dhcp_mask(const vigil__sim_world *w)
{
    uint32_t n = 4096;
    while (n < 2 * w->nhosts) n <<= 1;
    return n - 1;
}

/* A laptop's address on `day`: the host id sent through a per-day
 * bijection of the pool (odd multiplier and offset modulo a power of two),
 * so no two laptops share an address on the same day. */
static vigil_addr dhcp_addr(const vigil__sim_world *w, uint32_t id, unsigned day)
{
    uint32_t mask = dhcp_mask(w);
    uint64_t k = vigil__sim_hash(w->seed, VIGIL__SIM_S_HOST, 0xd4c9, day);
    uint32_t mul = (uint32_t)(k >> 32) | 1, add = (uint32_t)k;
    uint32_t slot = (id * mul + add) & mask;
    uint32_t group = slot / 250; /* 250 addresses per /24: .2 .. .251 */
    return v4(172, 16 + group / 256, group % 256, 2 + slot % 250);
}

vigil_addr vigil__sim_host_addr(const vigil__sim_world *w, const vigil__sim_host *h, unsigned day)
{
    if (h->role == VIGIL__SIM_LAPTOP && h->dhcp_moves) return dhcp_addr(w, h->id, day);
    return h->addr;
}

/* Smooth 0 -> 1 over [0, 1]. */
static double smooth(double x)
{
    if (x <= 0) return 0;
    if (x >= 1) return 1;
    return x * x * (3 - 2 * x);
}

double vigil__sim_activity(const vigil__sim_world *w, const vigil__sim_host *h, double t)
{
    if (h->role == VIGIL__SIM_SERVER) return 1.0;
    double rel = t - (double)w->start;
    if (rel < 0) return 0;
    unsigned day = (unsigned)(rel / 86400.0);
    if (!vigil__sim_host_active(w, h, day)) return 0;
    double local = t + w->tz_offset;
    double zd = floor(local / 86400.0);
    if (day_off_z((int64_t)zd)) return 0;
    double x = (local - zd * 86400.0) / 3600.0; /* local hour, 0..24 */
    /* early_bird 0..255 -> a personal shift of about -1..+1 hours: early
     * birds arrive ~8:00 and leave ~17:20, late risers ~10:00 and ~19:00. */
    double shift = ((double)h->early_bird - 127.5) / 127.5;
    double begin = 9.0 + 0.9 * shift;
    double end = 18.2 + 0.8 * shift;
    if (x < begin - 0.75 || x > end + 3.0) return 0;
    double a = smooth((x - (begin - 0.75)) / 0.75);
    if (x > end) a *= 0.9 * exp(-(x - end) / 0.7); /* overtime tail */
    /* Lunch dip centred on 12:30, an hour wide, down to ~35%. */
    double dl = (x - 12.5) / 0.5;
    if (dl > -1 && dl < 1) a *= 1.0 - 0.65 * 0.5 * (1 + cos(3.141592653589793 * dl));
    return a;
}

/* ---- building the world ------------------------------------------------------ */

/* Lower-cases ASCII letters and drops anything but [a-z0-9.-]. */
static void mail_part(char *dst, size_t cap, const char *src)
{
    size_t o = 0;
    for (; *src && o + 1 < cap; src++) {
        char c = *src;
        if (c >= 'A' && c <= 'Z') c = (char)(c - 'A' + 'a');
        if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-')
            dst[o++] = c;
    }
    dst[o] = 0;
}

/* The smallest prime in a fixed list that does not divide n: a multiplier
 * that makes i -> (i * p + c) mod n a permutation. */
static uint64_t coprime_to(uint64_t n)
{
    static const uint64_t primes[] = { 7919, 7927, 7933, 7937, 7949, 7951 };
    for (size_t i = 0; i < COUNT(primes); i++)
        if (n % primes[i]) return primes[i];
    return 1;
}

/* Names person `ord` of a pool (given x family pairs, visited in a
 * seed-dependent permutation; past the end, a number is appended to the
 * address so e-mails stay unique). */
static void name_person(const vigil__sim_world *w, vigil__sim_person *p, int intl, uint64_t ord)
{
    const char *const *given = intl ? intl_given : jp_given;
    const char *const *family = intl ? intl_family : jp_family;
    uint64_t ng = intl ? COUNT(intl_given) : COUNT(jp_given);
    uint64_t nf = intl ? COUNT(intl_family) : COUNT(jp_family);
    uint64_t n = ng * nf;
    uint64_t off = vigil__sim_hash(w->seed, VIGIL__SIM_S_WORLD, 0x6e616d65, (uint64_t)intl) % n;
    uint64_t pair = ((ord % n) * coprime_to(n) + off) % n;
    uint64_t cycle = ord / n;
    const char *g = given[pair % ng], *f = family[pair / ng];
    char lg[24], lf[24];
    mail_part(lg, sizeof lg, g);
    mail_part(lf, sizeof lf, f);
    snprintf(p->display, sizeof p->display, "%s %s", g, f);
    if (cycle)
        snprintf(p->email, sizeof p->email, "%s.%s%u@%s", lg, lf, (unsigned)cycle + 1, w->domain);
    else
        snprintf(p->email, sizeof p->email, "%s.%s@%s", lg, lf, w->domain);
}

/* Fills depts, people and hosts.  Returns VIGIL_ENOMEM on failure (the
 * caller frees the partial world). */
static vigil_status build(vigil__sim_world *w, unsigned nhosts)
{
    const vigil_allocator *a = &w->alloc;
    w->depts = vigil__calloc(a, NDEPTS, sizeof *w->depts);
    if (!w->depts) return VIGIL_ENOMEM;
    for (size_t d = 0; d < NDEPTS; d++) {
        w->depts[d] = vigil__strdup(a, depts[d].name);
        if (!w->depts[d]) return VIGIL_ENOMEM;
        w->ndepts = d + 1;
    }
    size_t npeople = nhosts - NSERVERS;
    w->people = vigil__calloc(a, npeople, sizeof *w->people);
    if (!w->people) return VIGIL_ENOMEM;
    w->hosts = vigil__calloc(a, nhosts, sizeof *w->hosts);
    if (!w->hosts) return VIGIL_ENOMEM;
    w->npeople = npeople;
    w->nhosts = nhosts;

    /* Department sizes: shares of the staff, at least 3 wallet operators
     * and 2 executives; engineering takes the rest. */
    size_t count[NDEPTS], others = 0;
    for (size_t d = 0; d < NDEPTS; d++) {
        count[d] = npeople * depts[d].share / 100;
        if (d == D_WALLET && count[d] < 3) count[d] = 3;
        if (d == D_EXEC && count[d] < 2) count[d] = 2;
        if (d != D_ENG) others += count[d];
    }
    count[D_ENG] = npeople - others;

    /* Servers first: ids 0..NSERVERS-1. */
    unsigned ndns = 0;
    for (uint32_t i = 0; i < NSERVERS; i++) {
        vigil__sim_host *h = &w->hosts[i];
        h->id = i;
        h->role = VIGIL__SIM_SERVER;
        h->server = servers[i].kind;
        h->dept = servers[i].kind == VIGIL__SIM_SRV_WALLET ? D_WALLET : D_IT;
        h->owner = -1;
        snprintf(h->name, sizeof h->name, "%s", servers[i].name);
        h->addr = v4(10, 0, servers[i].net, servers[i].last);
        h->off_from = h->off_to = -1;
        h->early_bird = 128;
        switch (servers[i].kind) {
        case VIGIL__SIM_SRV_DNS: w->resolver[ndns++] = i; break;
        case VIGIL__SIM_SRV_DC: w->dc = i; break;
        case VIGIL__SIM_SRV_MONITOR: w->monitor = i; break;
        case VIGIL__SIM_SRV_BACKUP: w->backup = i; break;
        case VIGIL__SIM_SRV_VPN: w->vpn = i; break;
        case VIGIL__SIM_SRV_WALLET: w->wallet_server = i; break;
        default: break;
        }
    }

    /* People, each with one host, department by department. */
    uint64_t ord[2] = { 0, 0 };
    size_t p = 0;
    for (size_t d = 0; d < NDEPTS; d++) {
        unsigned seq = 0;
        for (size_t k = 0; k < count[d]; k++, p++) {
            vigil__sim_person *person = &w->people[p];
            uint64_t hp = vigil__sim_hash(w->seed, VIGIL__SIM_S_WORLD, 1, p);
            int intl = vigil__sim_unit(hp) < 0.25;
            name_person(w, person, intl, ord[intl]++);
            person->dept = (uint16_t)d;

            uint32_t id = (uint32_t)(NSERVERS + p);
            vigil__sim_host *h = &w->hosts[id];
            uint64_t hh = vigil__sim_hash(w->seed, VIGIL__SIM_S_HOST, id, 0);
            h->id = id;
            h->dept = (uint16_t)d;
            h->owner = (int32_t)p;
            h->off_from = h->off_to = -1;
            h->early_bird = (uint8_t)(hh >> 56);
            seq++;
            if (d == D_WALLET) {
                h->role = VIGIL__SIM_WALLET_OPS;
            } else if ((hh & 0xffff) * 100 < (uint64_t)depts[d].laptops * 0x10000) {
                h->role = VIGIL__SIM_LAPTOP;
                h->dhcp_moves = 1;
            } else {
                h->role = VIGIL__SIM_WORKSTATION;
            }
            const char *kind = h->role == VIGIL__SIM_LAPTOP ? "lt"
                             : h->role == VIGIL__SIM_WALLET_OPS ? "wo" : "ws";
            snprintf(h->name, sizeof h->name, "%s-%s-%04u", kind, depts[d].code, seq);
            if (h->role == VIGIL__SIM_LAPTOP) {
                h->addr = dhcp_addr(w, id, 0);
            } else {
                /* Department VLAN 10.(10+d).0.0/16, 250 hosts per /24. */
                unsigned i = seq - 1;
                h->addr = v4(10, 10 + (unsigned)d, i / 250, 10 + i % 250);
            }
        }
    }

    /* A few hosts join mid-run (about 1%, at least 2), and one is off for
     * a week; never a wallet operator's (the intrusion may need them). */
    size_t users = npeople;
    if (w->days >= 4 && users >= 8) {
        size_t joiners = users / 100 < 2 ? 2 : users / 100;
        for (size_t j = 0; j < joiners; j++) {
            uint64_t r = vigil__sim_hash(w->seed, VIGIL__SIM_S_HOST, 0x6a6f696e, j);
            vigil__sim_host *h = &w->hosts[NSERVERS + r % users];
            if (h->role == VIGIL__SIM_WALLET_OPS || h->join_day) continue;
            unsigned span = w->days / 4 ? w->days / 4 : 1;
            h->join_day = (uint16_t)(w->days / 3 + (unsigned)((r >> 32) % span));
        }
    }
    if (w->days >= 3 && users >= 4) {
        for (uint64_t k = 0; k < 64; k++) {
            uint64_t r = vigil__sim_hash(w->seed, VIGIL__SIM_S_HOST, 0x6f6666, k);
            vigil__sim_host *h = &w->hosts[NSERVERS + r % users];
            if (h->role == VIGIL__SIM_WALLET_OPS || h->join_day) continue;
            h->off_from = (int16_t)(w->days / 3);
            h->off_to = (int16_t)(h->off_from + 7 < (int)w->days ? h->off_from + 7 : (int)w->days);
            break;
        }
    }
    return VIGIL_OK;
}

vigil_status vigil__sim_world_new(vigil__sim_world **out, uint64_t seed, int64_t start,
                                  unsigned days, unsigned nhosts,
                                  const vigil_allocator *alloc)
{
    *out = NULL;
    if (days == 0 || days > 3660 || nhosts < 20 || nhosts > 100000) return VIGIL_EINVAL;
    vigil_allocator a;
    vigil__alloc_init(&a, alloc);
    vigil__sim_world *w = vigil__calloc(&a, 1, sizeof *w);
    if (!w) return VIGIL_ENOMEM;
    w->alloc = a;
    w->seed = seed;
    w->start = start;
    w->days = days;
    w->tz_offset = 9 * 3600;
    w->domain = "coinvault.co.jp";
    vigil_status rc = build(w, nhosts);
    if (rc == VIGIL_OK) rc = vigil__sim_benign_plan(w);
    if (rc == VIGIL_OK) rc = vigil__sim_intrusion_plan(w);
    if (rc != VIGIL_OK) {
        vigil__sim_world_free(w);
        return rc;
    }
    *out = w;
    return VIGIL_OK;
}

void vigil__sim_world_free(vigil__sim_world *w)
{
    if (!w) return;
    vigil__sim_intrusion_free(w);
    vigil__sim_benign_free(w);
    vigil_allocator a = w->alloc;
    if (w->depts)
        for (size_t d = 0; d < w->ndepts; d++) vigil__free(&a, w->depts[d]);
    vigil__free(&a, w->depts);
    vigil__free(&a, w->people);
    vigil__free(&a, w->hosts);
    vigil__free(&a, w);
}

/* ---- CSV files ------------------------------------------------------------------ */

/* Writes one CSV field, quoted when it holds a comma, quote or newline. */
static void csv_field(FILE *f, const char *s, int last)
{
    if (strpbrk(s, ",\"\r\n")) {
        fputc('"', f);
        for (; *s; s++) {
            if (*s == '"') fputc('"', f);
            fputc(*s, f);
        }
        fputc('"', f);
    } else {
        fputs(s, f);
    }
    fputc(last ? '\n' : ',', f);
}

static const char *role_name(const vigil__sim_host *h)
{
    switch (h->role) {
    case VIGIL__SIM_WORKSTATION: return "workstation";
    case VIGIL__SIM_LAPTOP: return "laptop";
    case VIGIL__SIM_WALLET_OPS: return "wallet-ops-workstation";
    default: break;
    }
    for (size_t i = 0; i < NSERVERS; i++)
        if (servers[i].kind == h->server) return servers[i].role;
    return "server";
}

static vigil_status close_file(FILE *f, int ok)
{
    if (fclose(f) != 0) ok = 0;
    return ok ? VIGIL_OK : VIGIL_EIO;
}

vigil_status vigil__sim_world_write_csv(const vigil__sim_world *w, const char *dir)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/assets.csv", dir);
    FILE *f = fopen(path, "w");
    if (!f) return VIGIL_EIO;
    /* The address is the host's fixed one; for laptops (dhcp=yes) it is the
     * day-0 lease and changes from day to day. */
    fputs("ip,hostname,owner_email,department,role,dhcp\n", f);
    for (size_t i = 0; i < w->nhosts; i++) {
        const vigil__sim_host *h = &w->hosts[i];
        char ip[VIGIL_ADDR_STRLEN];
        vigil_addr_format(&h->addr, ip);
        csv_field(f, ip, 0);
        csv_field(f, h->name, 0);
        csv_field(f, h->owner >= 0 ? w->people[h->owner].email : "", 0);
        csv_field(f, w->depts[h->dept], 0);
        csv_field(f, role_name(h), 0);
        csv_field(f, h->role == VIGIL__SIM_LAPTOP && h->dhcp_moves ? "yes" : "no", 1);
    }
    vigil_status rc = close_file(f, !ferror(f));
    if (rc != VIGIL_OK) return rc;
    snprintf(path, sizeof path, "%s/people.csv", dir);
    f = fopen(path, "w");
    if (!f) return VIGIL_EIO;
    fputs("display_name,email,department\n", f);
    for (size_t i = 0; i < w->npeople; i++) {
        const vigil__sim_person *p = &w->people[i];
        csv_field(f, p->display, 0);
        csv_field(f, p->email, 0);
        csv_field(f, w->depts[p->dept], 1);
    }
    return close_file(f, !ferror(f));
}
