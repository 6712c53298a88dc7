/* geo.h -- where an address is: IP -> country and IP -> autonomous system (number, organisation). */
#ifndef VIGIL_GEO_H
#define VIGIL_GEO_H

#include <stdint.h>
#include <vigil/addr.h>
#include <vigil/alloc.h>
#include <vigil/diag.h>
#include <vigil/error.h>
#include <vigil/finding.h>

/* The data (installed by scripts/install-geo.sh; versions, licences and the
 * search path in docs/geo.md) is files in one directory:
 *   geo-whois-asn-country.mmdb   IPv4 + IPv6 -> ISO country (libmaxminddb)
 *   asn-ipv4.csv, asn-ipv6.csv   first,last,asn,"organisation" ranges
 *   asn.vgeo                     the two CSVs' tables in vigil's compact
 *                                form, written by the first open that parses
 *                                them (when the directory is writable) and
 *                                read instead while the CSVs are unchanged
 * The directory is `dir` when given, else $VIGIL_GEO_DIR when set and not
 * empty, else the first of $XDG_DATA_HOME/vigil/geo (~/.local/share/vigil/geo
 * when XDG_DATA_HOME is unset), /usr/local/share/vigil/geo,
 * /usr/share/vigil/geo and ./data/geo (relative to the current directory)
 * that holds any of these files. */
#define VIGIL_GEO_COUNTRY_FILE "geo-whois-asn-country.mmdb"
#define VIGIL_GEO_ASN4_FILE "asn-ipv4.csv"
#define VIGIL_GEO_ASN6_FILE "asn-ipv6.csv"
#define VIGIL_GEO_ASN_COMPACT_FILE "asn.vgeo"

/* What vigil_geo_loaded reports. */
#define VIGIL_GEO_COUNTRY 1u /* the country database is open */
#define VIGIL_GEO_ASN 2u     /* ASN ranges were loaded */

/* The data, loaded once, and a cache of answers per distinct address.
 * Thread safety: after vigil_geo_open the data is read-only; the cache is
 * guarded by one mutex held only to probe or fill it (never during a
 * database look-up), so any number of threads may call vigil_geo_lookup
 * and vigil_geo_enrich (on different finding lists) at once. */
typedef struct vigil_geo vigil_geo;

/* One answer.  `org` is owned by the vigil_geo and valid until
 * vigil_geo_free; never NULL. */
typedef struct vigil_geo_info {
    char country[3];  /* ISO 3166-1 alpha-2 ("US"); "" unknown */
    uint32_t asn;     /* autonomous system number; 0 unknown */
    const char *org;  /* the AS's organisation (UTF-8); "" unknown */
} vigil_geo_info;

/* Finds and loads the data (see above).  `al` may be NULL (libc); `diag`
 * (may be NULL) receives VIGIL_DIAG_NOTEs: exactly one when no directory
 * holds any data ("geo/ASN data not found (searched ...): country and ASN
 * are off"), else one per missing or unreadable file and one per ASN file
 * with malformed lines (skipped and counted, first line given).  Missing or
 * bad data is never an error: *out is then a usable object that answers
 * "unknown".  Returns VIGIL_ENOMEM (with *out NULL) when memory runs out,
 * VIGIL_EINVAL for a NULL `out`.  Free with vigil_geo_free. */
vigil_status vigil_geo_open(vigil_geo **out, const char *dir, const vigil_allocator *al,
                            vigil_diag_fn diag, void *user);
/* Frees g and its data (every org string it handed out); NULL is a no-op. */
void vigil_geo_free(vigil_geo *g);

/* VIGIL_GEO_COUNTRY | VIGIL_GEO_ASN for what was loaded (0: nothing). */
unsigned vigil_geo_loaded(const vigil_geo *g);
/* The directory the data came from (owned by g), or NULL when none. */
const char *vigil_geo_dir(const vigil_geo *g);

/* Country, ASN and organisation of `a`.  Private, loopback, link-local,
 * multicast, documentation and other non-global addresses (and the all-zero
 * "unset" address) are unknown without a look-up.  Answers are cached per
 * address.  VIGIL_EINVAL for NULL arguments (out then zeroed when given). */
vigil_status vigil_geo_lookup(const vigil_geo *g, const vigil_addr *a, vigil_geo_info *out);

/* Fills dst_country, dst_asn and dst_org of every finding of fs whose dst
 * is set (non-zero); unknown values are left "" / 0.  The org is cut to
 * VIGIL_FINDING_ORG_LEN - 1 bytes at a UTF-8 character boundary. */
vigil_status vigil_geo_enrich(vigil_geo *g, vigil_findings *fs);

/* Cache hits and misses since vigil_geo_open (look-ups of non-global
 * addresses count as neither).  Either pointer may be NULL. */
void vigil_geo_cache_stats(const vigil_geo *g, uint64_t *hits, uint64_t *misses);

#endif
