/* test_geo.c -- IP -> country / ASN (geo.c): search path, the ASN CSV parser and its bad lines,
 * the compact file, the cache, threads, enrichment, allocation failure; the installed data when
 * present (data/geo, scripts/install-geo.sh), else those tests say so and pass. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include <vigil/geo.h>
#include "fixture.h"

/* Writes text to DIR/name (DIR made when needed). */
static void write_in(const char *dir, const char *name, const char *text, size_t len)
{
    char path[1024];
    mkdir(dir, 0755);
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    CHECK(f != NULL);
    if (!f) return;
    CHECK(fwrite(text, 1, len, f) == len);
    fclose(f);
}

static void write_text(const char *dir, const char *name, const char *text)
{
    write_in(dir, name, text, strlen(text));
}

static int exists(const char *dir, const char *name)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return access(path, F_OK) == 0;
}

static void remove_in(const char *dir, const char *name)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    unlink(path);
}

/* Looks `text` up; returns the info (org copied into a static buffer). */
static vigil_geo_info look(const vigil_geo *g, const char *text)
{
    vigil_addr a = test_addr(text);
    vigil_geo_info gi;
    CHECK(vigil_geo_lookup(g, &a, &gi) == VIGIL_OK);
    CHECK(gi.org != NULL);
    return gi;
}

#define CHECK_AS(g, addr, want_asn, want_org) do { vigil_geo_info gi_ = look((g), (addr)); \
    CHECK_EQ_U(gi_.asn, (want_asn)); CHECK_STR(gi_.org, (want_org)); } while (0)

static const char asn4_clean[] =
    "1.0.0.0,1.0.0.255,13335,\"Cloudflare, Inc.\"\n"
    "2.26.200.0,2.26.215.255,201907,\"LLC \"\"SPUTNIK\"\"\"\n"
    "8.8.8.0,8.8.8.255,15169,Google LLC\n"
    "8.8.9.0,8.8.9.255,15169,Google LLC\n"         /* joins the range above */
    "10.0.0.0,10.255.255.255,64512,Private Net\n"  /* a private range: never answered */
    "45.70.144.0,45.70.147.255,267568,R. C. F. \xc2\xad TELECOM LTDA\r\n" /* CRLF, UTF-8 */
    "100.1.0.0,100.1.0.255,65001,\n"               /* no organisation */
    "223.255.255.0,223.255.255.255,4200000000,Big ASN\n";

static const char asn6_clean[] =
    "2001:4860::,2001:4860:4804:ffff:ffff:ffff:ffff:ffff,15169,Google LLC\n"
    "2001:4860:4805::,2001:4860:4805:ffff:ffff:ffff:ffff:ffff,43515,Google Ireland Limited\n"
    "2606:4700::,2606:4700:ffff:ffff:ffff:ffff:ffff:ffff,13335,\"Cloudflare, Inc.\"\n"
    "2001:db8::,2001:db8:ffff:ffff:ffff:ffff:ffff:ffff,64496,Documentation\n"
    "3ffe::,3ffe::ff,64497,Last";                   /* no final newline */

static const char *csv_dir(void)
{
    static char dir[512];
    snprintf(dir, sizeof dir, "%s/geo", test_tmpdir());
    write_text(dir, VIGIL_GEO_ASN4_FILE, asn4_clean);
    write_text(dir, VIGIL_GEO_ASN6_FILE, asn6_clean);
    return dir;
}

static void check_clean_answers(const vigil_geo *g)
{
    CHECK_AS(g, "1.0.0.0", 13335, "Cloudflare, Inc.");
    CHECK_AS(g, "1.0.0.255", 13335, "Cloudflare, Inc.");
    CHECK_AS(g, "1.0.1.0", 0, "");
    CHECK_AS(g, "0.255.255.255", 0, "");
    CHECK_AS(g, "2.26.210.1", 201907, "LLC \"SPUTNIK\"");
    CHECK_AS(g, "8.8.8.8", 15169, "Google LLC");
    CHECK_AS(g, "8.8.9.255", 15169, "Google LLC");
    CHECK_AS(g, "8.8.10.0", 0, "");
    CHECK_AS(g, "10.1.2.3", 0, "");
    CHECK_AS(g, "45.70.145.9", 267568, "R. C. F. \xc2\xad TELECOM LTDA");
    CHECK_AS(g, "100.1.0.7", 65001, "");
    CHECK_AS(g, "223.255.255.255", 4200000000u, "Big ASN");
    CHECK_AS(g, "2001:4860:1234::1", 15169, "Google LLC");
    CHECK_AS(g, "2001:4860:4805::1", 43515, "Google Ireland Limited");
    CHECK_AS(g, "2001:4860:4806::", 0, "");
    CHECK_AS(g, "2606:4700:4700::1111", 13335, "Cloudflare, Inc.");
    CHECK_AS(g, "2001:db8::1", 0, "");   /* documentation: not looked up */
    CHECK_AS(g, "3ffe::ff", 64497, "Last");
    CHECK_AS(g, "3ffe::100", 0, "");
    CHECK_AS(g, "::ffff:8.8.8.8", 15169, "Google LLC"); /* IPv4-mapped is IPv4 */
    vigil_geo_info gi = look(g, "8.8.8.8");
    CHECK_STR(gi.country, ""); /* no .mmdb here */
}

TEST(geo_missing_data_is_one_note)
{
    test_diags z = { 0 };
    vigil_geo *g = NULL;
    char dir[512];
    snprintf(dir, sizeof dir, "%s/nothing-here", test_tmpdir());
    CHECK(vigil_geo_open(&g, dir, NULL, test_diags_record, &z) == VIGIL_OK);
    CHECK(g != NULL);
    CHECK_EQ_U(z.n, 1);
    CHECK_EQ_U(z.notes, 1);
    CHECK(strstr(z.detail[0], "geo/ASN data not found (searched ") == z.detail[0]);
    CHECK(strstr(z.detail[0], dir) != NULL);
    CHECK_EQ_U(vigil_geo_loaded(g), 0);
    CHECK(vigil_geo_dir(g) == NULL);
    vigil_geo_info gi = look(g, "8.8.8.8");
    CHECK_STR(gi.country, "");
    CHECK_EQ_U(gi.asn, 0);
    CHECK_STR(gi.org, "");
    /* Enrichment leaves the fields unknown. */
    vigil_findings fs = { 0 };
    vigil_finding f;
    memset(&f, 0, sizeof f);
    f.dst = test_addr("8.8.8.8");
    CHECK(vigil_findings_push(&fs, &f) == VIGIL_OK);
    CHECK(vigil_geo_enrich(g, &fs) == VIGIL_OK);
    CHECK_STR(fs.v[0].dst_country, "");
    CHECK_EQ_U(fs.v[0].dst_asn, 0);
    CHECK_STR(fs.v[0].dst_org, "");
    vigil_findings_free(&fs);
    CHECK_EQ_U(z.n, 1); /* nothing more said */
    vigil_geo_free(g);
    /* Bad arguments. */
    CHECK(vigil_geo_open(NULL, dir, NULL, NULL, NULL) == VIGIL_EINVAL);
    vigil_addr a = test_addr("8.8.8.8");
    CHECK(vigil_geo_lookup(NULL, &a, &gi) == VIGIL_EINVAL);
    CHECK_STR(gi.org, "");
    CHECK(vigil_geo_enrich(NULL, &fs) == VIGIL_EINVAL);
    vigil_geo_free(NULL);
    CHECK_EQ_U(vigil_geo_loaded(NULL), 0);
}

TEST(geo_csv_ranges)
{
    const char *dir = csv_dir();
    test_diags z = { 0 };
    vigil_geo *g = NULL;
    CHECK(vigil_geo_open(&g, dir, NULL, test_diags_record, &z) == VIGIL_OK);
    CHECK_EQ_U(vigil_geo_loaded(g), VIGIL_GEO_ASN);
    CHECK_STR(vigil_geo_dir(g), dir);
    /* One note: the country file is missing. */
    CHECK_EQ_U(z.n, 1);
    CHECK(strstr(z.detail[0], "lacks " VIGIL_GEO_COUNTRY_FILE) != NULL);
    check_clean_answers(g);
    vigil_geo_free(g);
}

TEST(geo_csv_bad_lines_counted_once)
{
    char dir[512];
    snprintf(dir, sizeof dir, "%s/bad", test_tmpdir());
    static const char text[] =
        "ip_range_start,ip_range_end,autonomous_system_number,autonomous_system_organization\n" /* 1: header */
        "1.0.0.0,1.0.0.255,13335,\"Cloudflare, Inc.\"\n"   /* 2: good */
        "garbage\n"                                          /* 3: bad */
        "1.0.2.0,1.0.1.0,1,Backwards\n"                      /* 4: bad */
        "1.0.3.0,2001::1,1,Mixed\n"                          /* 5: bad */
        "1.0.4.0,1.0.4.255,AS12,Letters\n"                   /* 6: bad */
        "1.0.5.0,1.0.5.255,4294967296,Too big\n"             /* 7: bad */
        "1.0.6.0,1.0.6.255,7,\"Never closed\n"               /* 8: bad */
        "1.0.7.0,1.0.7.255,7,\"Closed\" then more\n"         /* 9: bad */
        "1.0.8.0,1.0.8.255,7,Four,Five\n"                    /* 10: bad */
        "1.0.9.0,1.0.9.255,7,Stray \"quote\n"                /* 11: bad */
        "\n"                                                 /* 12: empty, skipped */
        "1.0.10.0,1.0.10.255,0,Not routed\n"                 /* 13: AS 0, skipped */
        "1.0.11.0,1.0.11.255,,Empty ASN\n"                   /* 14: bad */
        "1.0.12.0,1.0.12.255,7,Fine\n";                      /* 15: good */
    write_text(dir, VIGIL_GEO_ASN4_FILE, text);
    test_diags z = { 0 };
    vigil_geo *g = NULL;
    CHECK(vigil_geo_open(&g, dir, NULL, test_diags_record, &z) == VIGIL_OK);
    /* A note for the bad lines (10, first line 3), one for the files
     * that are not there. */
    CHECK_EQ_U(z.n, 2);
    int i = test_diags_find(&z, "(null)") == 0 ? 1 : 0;
    CHECK(strstr(z.file[i], VIGIL_GEO_ASN4_FILE) != NULL);
    CHECK_EQ_U(z.line[i], 3);
    CHECK(strstr(z.detail[i], "10 malformed lines skipped (first: line 3") != NULL);
    CHECK(strstr(z.detail[1 - i], "lacks") != NULL);
    CHECK(z.kind[i] == VIGIL_DIAG_NOTE);
    CHECK_AS(g, "1.0.0.9", 13335, "Cloudflare, Inc.");
    CHECK_AS(g, "1.0.12.1", 7, "Fine");
    CHECK_AS(g, "1.0.10.1", 0, "");
    CHECK_AS(g, "1.0.1.5", 0, "");
    vigil_geo_free(g);
    /* A file with bad lines is not turned into the compact file: the note
     * comes again on every open. */
    CHECK(!exists(dir, VIGIL_GEO_ASN_COMPACT_FILE));
    memset(&z, 0, sizeof z);
    CHECK(vigil_geo_open(&g, dir, NULL, test_diags_record, &z) == VIGIL_OK);
    CHECK_EQ_U(z.n, 2);
    vigil_geo_free(g);
}

TEST(geo_csv_long_line_and_binary)
{
    char dir[512];
    snprintf(dir, sizeof dir, "%s/long", test_tmpdir());
    size_t cap = 200000;
    char *text = malloc(cap);
    CHECK(text != NULL);
    if (!text) return;
    size_t n = (size_t)snprintf(text, cap, "1.0.0.0,1.0.0.255,1,One\n1.0.1.0,1.0.1.255,2,\"");
    memset(text + n, 'x', 100000); /* a 100 kB organisation: longer than the buffer */
    n += 100000;
    n += (size_t)snprintf(text + n, cap - n, "\"\n1.0.2.0,1.0.2.255,3,Th");
    text[n++] = 0; /* a NUL inside a line */
    n += (size_t)snprintf(text + n, cap - n, "ree\n1.0.3.0,1.0.3.255,4,Four\n");
    write_in(dir, VIGIL_GEO_ASN4_FILE, text, n);
    free(text);
    test_diags z = { 0 };
    vigil_geo *g = NULL;
    CHECK(vigil_geo_open(&g, dir, NULL, test_diags_record, &z) == VIGIL_OK);
    int i = test_diags_find(&z, "(null)") == 0 ? 1 : 0;
    CHECK(strstr(z.detail[i], "2 malformed lines skipped (first: line 2, a line longer than 64 KiB)") != NULL);
    CHECK_AS(g, "1.0.0.1", 1, "One");
    CHECK_AS(g, "1.0.1.1", 0, "");
    CHECK_AS(g, "1.0.2.1", 0, "");
    CHECK_AS(g, "1.0.3.1", 4, "Four");
    vigil_geo_free(g);
}

TEST(geo_unsorted_overlapping_ranges)
{
    char dir[512];
    snprintf(dir, sizeof dir, "%s/overlap", test_tmpdir());
    write_text(dir, VIGIL_GEO_ASN4_FILE,
               "5.0.0.0,5.0.0.255,5,Five\n"
               "1.0.0.0,1.0.255.255,1,Wide\n"       /* out of order */
               "1.0.16.0,1.0.16.255,2,Inside\n"     /* inside the wide one: it loses */
               "1.0.255.0,1.1.0.255,3,Straddles\n"  /* overlaps the end: keeps the rest */
               "255.255.255.0,255.255.255.255,9,Top\n");
    write_text(dir, VIGIL_GEO_ASN6_FILE,
               "2400::,2400::ffff,7,B\n"
               "2300::,2300::ffff,6,A\n"
               "2300::8000,2300::1:0,8,Over\n"
               "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ff00,ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff,9,Top6\n");
    vigil_geo *g = NULL;
    CHECK(vigil_geo_open(&g, dir, NULL, NULL, NULL) == VIGIL_OK);
    CHECK_AS(g, "1.0.16.1", 1, "Wide");
    CHECK_AS(g, "1.0.255.255", 1, "Wide");
    CHECK_AS(g, "1.1.0.0", 3, "Straddles");
    CHECK_AS(g, "1.1.1.0", 0, "");
    CHECK_AS(g, "5.0.0.9", 5, "Five");
    CHECK_AS(g, "2300::ffff", 6, "A");
    CHECK_AS(g, "2300::1:0", 8, "Over");
    CHECK_AS(g, "2400::1", 7, "B");
    CHECK_AS(g, "23ff::", 0, "");
    vigil_geo_free(g);
    /* The same from the compact file this open wrote. */
    CHECK(exists(dir, VIGIL_GEO_ASN_COMPACT_FILE));
    CHECK(vigil_geo_open(&g, dir, NULL, NULL, NULL) == VIGIL_OK);
    CHECK_AS(g, "1.1.0.0", 3, "Straddles");
    CHECK_AS(g, "2300::1:0", 8, "Over");
    vigil_geo_free(g);
}

TEST(geo_compact_file)
{
    const char *dir = csv_dir();
    vigil_geo *g = NULL;
    CHECK(!exists(dir, VIGIL_GEO_ASN_COMPACT_FILE));
    CHECK(vigil_geo_open(&g, dir, NULL, NULL, NULL) == VIGIL_OK);
    vigil_geo_free(g);
    CHECK(exists(dir, VIGIL_GEO_ASN_COMPACT_FILE));
    /* Read back: the same answers. */
    test_diags z = { 0 };
    CHECK(vigil_geo_open(&g, dir, NULL, test_diags_record, &z) == VIGIL_OK);
    CHECK_EQ_U(z.n, 1); /* only the missing .mmdb */
    check_clean_answers(g);
    vigil_geo_free(g);
    /* The CSV changes: the compact file is stale and rebuilt. */
    write_text(dir, VIGIL_GEO_ASN4_FILE, "8.8.8.0,8.8.8.255,99,Changed\n");
    CHECK(vigil_geo_open(&g, dir, NULL, NULL, NULL) == VIGIL_OK);
    CHECK_AS(g, "8.8.8.8", 99, "Changed");
    CHECK_AS(g, "1.0.0.1", 0, "");
    vigil_geo_free(g);
    /* The compact file alone (CSVs gone) is enough, without a word about
     * the CSVs. */
    remove_in(dir, VIGIL_GEO_ASN4_FILE);
    remove_in(dir, VIGIL_GEO_ASN6_FILE);
    memset(&z, 0, sizeof z);
    CHECK(vigil_geo_open(&g, dir, NULL, test_diags_record, &z) == VIGIL_OK);
    CHECK_AS(g, "8.8.8.8", 99, "Changed");
    CHECK_AS(g, "2606:4700::1", 13335, "Cloudflare, Inc.");
    CHECK_EQ_U(z.n, 1);
    CHECK(strstr(z.detail[0], VIGIL_GEO_ASN4_FILE) == NULL);
    vigil_geo_free(g);
    /* A damaged compact file is never trusted: one flipped byte, or a cut. */
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, VIGIL_GEO_ASN_COMPACT_FILE);
    FILE *f = fopen(path, "r+b");
    CHECK(f != NULL);
    if (!f) return;
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, size - 3, SEEK_SET);
    int c = fgetc(f);
    fseek(f, size - 3, SEEK_SET);
    fputc(c ^ 0x20, f);
    fclose(f);
    CHECK(vigil_geo_open(&g, dir, NULL, NULL, NULL) == VIGIL_OK);
    CHECK_EQ_U(vigil_geo_loaded(g), 0);
    CHECK_AS(g, "8.8.8.8", 0, "");
    vigil_geo_free(g);
    CHECK(truncate(path, size / 2) == 0);
    CHECK(vigil_geo_open(&g, dir, NULL, NULL, NULL) == VIGIL_OK);
    CHECK_EQ_U(vigil_geo_loaded(g), 0);
    vigil_geo_free(g);
    /* Not one of vigil's files at all. */
    write_text(dir, VIGIL_GEO_ASN_COMPACT_FILE, "hello");
    CHECK(vigil_geo_open(&g, dir, NULL, NULL, NULL) == VIGIL_OK);
    CHECK_EQ_U(vigil_geo_loaded(g), 0);
    vigil_geo_free(g);
    /* With the CSV back, the damaged file is replaced. */
    write_text(dir, VIGIL_GEO_ASN4_FILE, asn4_clean);
    CHECK(vigil_geo_open(&g, dir, NULL, NULL, NULL) == VIGIL_OK);
    CHECK_AS(g, "8.8.8.8", 15169, "Google LLC");
    vigil_geo_free(g);
    remove_in(dir, VIGIL_GEO_ASN4_FILE);
    CHECK(vigil_geo_open(&g, dir, NULL, NULL, NULL) == VIGIL_OK);
    CHECK_AS(g, "8.8.8.8", 15169, "Google LLC");
    vigil_geo_free(g);
}

TEST(geo_cache_same_answers)
{
    const char *dir = csv_dir();
    vigil_geo *g = NULL;
    CHECK(vigil_geo_open(&g, dir, NULL, NULL, NULL) == VIGIL_OK);
    uint64_t hits, misses;
    vigil_geo_cache_stats(g, &hits, &misses);
    CHECK(hits == 0 && misses == 0);
    CHECK_AS(g, "8.8.8.8", 15169, "Google LLC");
    CHECK_AS(g, "8.8.8.8", 15169, "Google LLC");
    CHECK_AS(g, "1.0.1.0", 0, "");   /* unknown answers are cached too */
    CHECK_AS(g, "1.0.1.0", 0, "");
    CHECK_AS(g, "10.0.0.1", 0, "");  /* not global: neither hit nor miss */
    vigil_geo_cache_stats(g, &hits, &misses);
    CHECK_EQ_U(hits, 2);
    CHECK_EQ_U(misses, 2);
    /* Many addresses: the table grows, then (past its limit) starts over;
     * answers never change. */
    for (int pass = 0; pass < 2; pass++)
        for (unsigned i = 0; i < 3000; i++) {
            char a[64];
            snprintf(a, sizeof a, "8.8.%u.%u", 8 + (i >> 8) % 2, i & 255);
            CHECK_AS(g, a, 15169, "Google LLC");
            snprintf(a, sizeof a, "2001:4860:%x::%x", i % 0x4805, i);
            vigil_geo_info gi = look(g, a);
            if (gi.asn != 15169) {
                CHECK_EQ_U(gi.asn, 15169);
                break;
            }
        }
    vigil_geo_cache_stats(g, &hits, NULL);
    CHECK(hits >= 6000);
    /* Past the table's limit (2^18 slots, emptied when half full): 140,000
     * more distinct addresses, and the answers stay right. */
    for (unsigned i = 0; i < 140000; i++) {
        vigil_addr a = test_addr("1.2.0.0");
        a.b[14] = (uint8_t)(i >> 8);
        a.b[15] = (uint8_t)i;
        a.b[13] = (uint8_t)(2 + (i >> 16));
        vigil_geo_info gi;
        vigil_geo_lookup(g, &a, &gi);
        if (gi.asn != 0 || (i % 10000 == 0 && look(g, "8.8.8.8").asn != 15169)) {
            CHECK(!"wrong answer past the cache limit");
            break;
        }
    }
    CHECK_AS(g, "8.8.9.1", 15169, "Google LLC");
    vigil_geo_free(g);
}

TEST(geo_non_global_addresses_unknown)
{
    char dir[512];
    snprintf(dir, sizeof dir, "%s/everything", test_tmpdir());
    /* One AS that covers everything: only global addresses get it. */
    write_text(dir, VIGIL_GEO_ASN4_FILE, "0.0.0.0,255.255.255.255,1,All\n");
    write_text(dir, VIGIL_GEO_ASN6_FILE, "::,ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff,1,All\n");
    vigil_geo *g = NULL;
    CHECK(vigil_geo_open(&g, dir, NULL, NULL, NULL) == VIGIL_OK);
    static const char *const no[] = {
        "0.1.2.3", "10.1.1.1", "100.64.0.1", "127.0.0.1", "169.254.1.1", "172.16.0.1", "172.31.255.255",
        "192.0.0.8", "192.0.2.1", "192.168.1.1", "198.18.0.1", "198.19.255.255", "198.51.100.1",
        "203.0.113.9", "224.0.0.251", "239.255.255.250", "240.0.0.1", "255.255.255.255",
        "::", "::1", "fe80::1", "fc00::1", "fd12:3456::1", "ff02::1", "2001:db8::1", "2001:2::1",
        "3fff::1", "::1.2.3.4", "100::1",
    };
    for (size_t i = 0; i < sizeof no / sizeof no[0]; i++) {
        vigil_geo_info gi = look(g, no[i]);
        if (gi.asn) fprintf(stderr, "  %s answered\n", no[i]);
        CHECK_EQ_U(gi.asn, 0);
    }
    static const char *const yes[] = { "1.1.1.1", "100.128.0.1", "172.32.0.1", "192.0.3.1", "198.20.0.1",
                                       "223.1.1.1", "2001:4860::1", "2a00::1", "3ffe::1", "2001:3::1" };
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
        vigil_geo_info gi = look(g, yes[i]);
        if (gi.asn != 1) fprintf(stderr, "  %s not answered\n", yes[i]);
        CHECK_EQ_U(gi.asn, 1);
    }
    vigil_addr zero;
    memset(&zero, 0, sizeof zero);
    vigil_geo_info gi;
    CHECK(vigil_geo_lookup(g, &zero, &gi) == VIGIL_OK);
    CHECK_EQ_U(gi.asn, 0);
    vigil_geo_free(g);
}

TEST(geo_enrich_findings)
{
    char dir[512];
    snprintf(dir, sizeof dir, "%s/enrich", test_tmpdir());
    /* An organisation of 120 bytes whose 95th byte is inside a 2-byte
     * character: cut before it. */
    char org[200] = "\"";
    size_t n = 1;
    memset(org + n, 'a', 94);
    n += 94;
    memcpy(org + n, "\xc3\xa9", 2); /* bytes 95-96 of the organisation */
    n += 2;
    memset(org + n, 'b', 24);
    n += 24;
    memcpy(org + n, "\"", 2);
    char text[400];
    snprintf(text, sizeof text, "203.0.112.0,203.0.112.255,64500,%s\n8.8.8.0,8.8.8.255,15169,Google LLC\n", org);
    write_text(dir, VIGIL_GEO_ASN4_FILE, text);
    vigil_geo *g = NULL;
    CHECK(vigil_geo_open(&g, dir, NULL, NULL, NULL) == VIGIL_OK);
    vigil_findings fs = { 0 };
    vigil_finding f;
    memset(&f, 0, sizeof f);
    f.src = test_addr("10.0.0.1");
    f.dst = test_addr("203.0.112.7");
    CHECK(vigil_findings_push(&fs, &f) == VIGIL_OK);
    f.dst = test_addr("8.8.8.8");
    CHECK(vigil_findings_push(&fs, &f) == VIGIL_OK);
    memset(&f.dst, 0, sizeof f.dst); /* a host finding: left alone */
    snprintf(f.dst_org, sizeof f.dst_org, "untouched");
    CHECK(vigil_findings_push(&fs, &f) == VIGIL_OK);
    f.dst = test_addr("9.9.9.9"); /* no range: unknown, and cleared */
    f.dst_asn = 5;
    CHECK(vigil_findings_push(&fs, &f) == VIGIL_OK);
    CHECK(vigil_geo_enrich(g, &fs) == VIGIL_OK);
    CHECK_EQ_U(fs.v[0].dst_asn, 64500);
    CHECK_EQ_U(strlen(fs.v[0].dst_org), 94);
    CHECK(fs.v[0].dst_org[93] == 'a');
    CHECK_EQ_U(fs.v[1].dst_asn, 15169);
    CHECK_STR(fs.v[1].dst_org, "Google LLC");
    CHECK_STR(fs.v[1].dst_country, "");
    CHECK_STR(fs.v[2].dst_org, "untouched");
    CHECK_EQ_U(fs.v[3].dst_asn, 0);
    CHECK_STR(fs.v[3].dst_org, "");
    vigil_findings_free(&fs);
    vigil_geo_free(g);
}

TEST(geo_search_path)
{
    char env_dir[512], xdg[512], xdg_geo[600];
    snprintf(env_dir, sizeof env_dir, "%s/from-env", test_tmpdir());
    snprintf(xdg, sizeof xdg, "%s/xdg", test_tmpdir());
    snprintf(xdg_geo, sizeof xdg_geo, "%s/vigil/geo", xdg);
    write_text(env_dir, VIGIL_GEO_ASN4_FILE, "8.8.8.0,8.8.8.255,1,Env\n");
    mkdir(xdg, 0755);
    char vdir[600];
    snprintf(vdir, sizeof vdir, "%s/vigil", xdg);
    mkdir(vdir, 0755);
    write_text(xdg_geo, VIGIL_GEO_ASN4_FILE, "8.8.8.0,8.8.8.255,2,Xdg\n");
    const char *old_env = getenv("VIGIL_GEO_DIR"), *old_xdg = getenv("XDG_DATA_HOME");
    char *save_env = old_env ? strdup(old_env) : NULL, *save_xdg = old_xdg ? strdup(old_xdg) : NULL;

    vigil_geo *g = NULL;
    setenv("VIGIL_GEO_DIR", env_dir, 1);
    setenv("XDG_DATA_HOME", xdg, 1);
    CHECK(vigil_geo_open(&g, NULL, NULL, NULL, NULL) == VIGIL_OK);
    CHECK_STR(vigil_geo_dir(g), env_dir);
    CHECK_AS(g, "8.8.8.8", 1, "Env");
    vigil_geo_free(g);
    /* The explicit directory wins over the environment. */
    CHECK(vigil_geo_open(&g, xdg_geo, NULL, NULL, NULL) == VIGIL_OK);
    CHECK_AS(g, "8.8.8.8", 2, "Xdg");
    vigil_geo_free(g);
    /* $VIGIL_GEO_DIR is the only place looked at when set. */
    char none[600];
    snprintf(none, sizeof none, "%s/none", test_tmpdir());
    setenv("VIGIL_GEO_DIR", none, 1);
    test_diags z = { 0 };
    CHECK(vigil_geo_open(&g, NULL, NULL, test_diags_record, &z) == VIGIL_OK);
    CHECK_EQ_U(vigil_geo_loaded(g), 0);
    CHECK_EQ_U(z.n, 1);
    CHECK(strstr(z.detail[0], none) != NULL);
    vigil_geo_free(g);
    /* Unset (or empty): the default list, $XDG_DATA_HOME/vigil/geo first. */
    setenv("VIGIL_GEO_DIR", "", 1);
    CHECK(vigil_geo_open(&g, NULL, NULL, NULL, NULL) == VIGIL_OK);
    CHECK_STR(vigil_geo_dir(g), xdg_geo);
    vigil_geo_free(g);

    if (save_env) setenv("VIGIL_GEO_DIR", save_env, 1);
    else unsetenv("VIGIL_GEO_DIR");
    if (save_xdg) setenv("XDG_DATA_HOME", save_xdg, 1);
    else unsetenv("XDG_DATA_HOME");
    free(save_env);
    free(save_xdg);
}

typedef struct geo_job {
    const vigil_geo *g;
    int id;
    long bad;
} geo_job;

static void *geo_thread(void *arg)
{
    geo_job *j = arg;
    for (int round = 0; round < 3; round++)
        for (unsigned i = 0; i < 4000; i++) {
            char a[64];
            vigil_addr x;
            vigil_geo_info gi;
            uint32_t want;
            if ((i + (unsigned)j->id) % 2) {
                snprintf(a, sizeof a, "8.8.%u.%u", 8 + i % 2, (i * 7) & 255);
                want = 15169;
            } else {
                snprintf(a, sizeof a, "1.0.%u.%u", i % 3, i & 255);
                want = i % 3 == 0 ? 13335 : 0;
            }
            x = test_addr(a);
            if (vigil_geo_lookup(j->g, &x, &gi) != VIGIL_OK || gi.asn != want) j->bad++;
        }
    return NULL;
}

TEST(geo_two_threads)
{
    const char *dir = csv_dir();
    vigil_geo *g = NULL;
    CHECK(vigil_geo_open(&g, dir, NULL, NULL, NULL) == VIGIL_OK);
    geo_job jobs[2] = { { g, 0, 0 }, { g, 1, 0 } };
    pthread_t t[2];
    for (int i = 0; i < 2; i++) CHECK(pthread_create(&t[i], NULL, geo_thread, &jobs[i]) == 0);
    for (int i = 0; i < 2; i++) pthread_join(t[i], NULL);
    CHECK_EQ_U(jobs[0].bad, 0);
    CHECK_EQ_U(jobs[1].bad, 0);
    vigil_geo_free(g);
}

/* Opens dir with a failing allocator for every failure point in turn:
 * each open returns VIGIL_OK or VIGIL_ENOMEM, and nothing leaks. */
static void open_under_failures(const char *dir, int remove_compact)
{
    long n;
    int done = 0;
    for (n = 1; n < 100000 && !done; n++) {
        if (remove_compact) remove_in(dir, VIGIL_GEO_ASN_COMPACT_FILE);
        test_fail_alloc f;
        vigil_allocator a = test_fail_allocator(&f, n);
        vigil_geo *g = NULL;
        vigil_status rc = vigil_geo_open(&g, dir, &a, NULL, NULL);
        if (rc == VIGIL_OK) {
            /* Look-ups still answer when the cache cannot grow. */
            vigil_geo_info gi = look(g, "8.8.8.8");
            CHECK(gi.asn == 15169 || gi.asn == 0);
            for (unsigned i = 0; i < 700; i++) {
                char t[32];
                snprintf(t, sizeof t, "8.8.8.%u", i & 255);
                look(g, t);
                snprintf(t, sizeof t, "1.0.0.%u", i & 255);
                look(g, t);
            }
            vigil_geo_free(g);
        } else {
            CHECK_EQ_U(rc, VIGIL_ENOMEM);
            CHECK(g == NULL);
        }
        if (f.live) {
            fprintf(stderr, "  failing allocation %ld leaked %ld blocks\n", n, f.live);
            CHECK(f.live == 0);
            return;
        }
        if (f.calls < n) done = 1; /* no allocation failed: all were tried */
    }
    CHECK(done);
    CHECK(n > 10);
}

TEST(geo_allocation_failure)
{
    const char *dir = csv_dir();
    open_under_failures(dir, 1); /* parsing the CSVs */
    vigil_geo *g = NULL;
    CHECK(vigil_geo_open(&g, dir, NULL, NULL, NULL) == VIGIL_OK);
    vigil_geo_free(g);
    CHECK(exists(dir, VIGIL_GEO_ASN_COMPACT_FILE));
    open_under_failures(dir, 0); /* reading the compact file */
}

/* ---- the installed data ------------------------------------------------------ */

/* The installed data directory (data/geo under the repo root, where the
 * tests run), or NULL with a note when it is not there. */
static vigil_geo *installed(const char *test)
{
    char p[512];
    snprintf(p, sizeof p, "data/geo/%s", VIGIL_GEO_COUNTRY_FILE);
    char q[512];
    snprintf(q, sizeof q, "data/geo/%s", VIGIL_GEO_ASN4_FILE);
    if (access(p, R_OK) != 0 || access(q, R_OK) != 0) {
        fprintf(stderr, "  %s: data/geo not installed (sh scripts/install-geo.sh): skipped\n", test);
        return NULL;
    }
    vigil_geo *g = NULL;
    test_diags z = { 0 };
    CHECK(vigil_geo_open(&g, "data/geo", NULL, test_diags_record, &z) == VIGIL_OK);
    if (z.n) fprintf(stderr, "  note: %s\n", z.detail[0]);
    CHECK_EQ_U(z.n, 0);
    if (g) CHECK_EQ_U(vigil_geo_loaded(g), VIGIL_GEO_COUNTRY | VIGIL_GEO_ASN);
    return g;
}

TEST(geo_installed_data_known_addresses)
{
    vigil_geo *g = installed("geo_installed_data_known_addresses");
    if (!g) return;
    /* Checked against the pinned packages (docs/geo.md). */
    vigil_geo_info gi = look(g, "8.8.8.8");
    CHECK_STR(gi.country, "US");
    CHECK_EQ_U(gi.asn, 15169);
    CHECK_STR(gi.org, "Google LLC");
    gi = look(g, "1.1.1.1");
    CHECK_EQ_U(gi.asn, 13335);
    CHECK_STR(gi.org, "Cloudflare, Inc.");
    gi = look(g, "147.32.83.234");
    CHECK_STR(gi.country, "CZ");
    CHECK_EQ_U(gi.asn, 2852);
    CHECK(strstr(gi.org, "CESNET") != NULL);
    gi = look(g, "41.108.179.197");
    CHECK_STR(gi.country, "DZ");
    gi = look(g, "2001:4860:4860::8888");
    CHECK_STR(gi.country, "US");
    CHECK_EQ_U(gi.asn, 15169);
    gi = look(g, "2606:4700:4700::1111");
    CHECK_EQ_U(gi.asn, 13335);
    gi = look(g, "192.168.1.1");
    CHECK_STR(gi.country, "");
    CHECK_EQ_U(gi.asn, 0);
    vigil_geo_free(g);
}

TEST(geo_installed_data_real_capture)
{
    /* The CTU captures' university network is CESNET in Czechia. */
    vigil_geo *g = installed("geo_installed_data_real_capture");
    if (!g) return;
    vigil_findings fs = { 0 };
    vigil_finding f;
    memset(&f, 0, sizeof f);
    f.dst = test_addr("147.32.80.9");
    CHECK(vigil_findings_push(&fs, &f) == VIGIL_OK);
    CHECK(vigil_geo_enrich(g, &fs) == VIGIL_OK);
    CHECK_STR(fs.v[0].dst_country, "CZ");
    CHECK_EQ_U(fs.v[0].dst_asn, 2852);
    vigil_findings_free(&fs);
    vigil_geo_free(g);
}
