/* fuzz_geo.c -- libFuzzer target: the geo/ASN data files (lib/geo.c).
 * The first byte picks the file the rest becomes: 0 asn-ipv4.csv, 1
 * asn-ipv6.csv, 2 asn.vgeo (the compact form, read without the CSVs), in a
 * fresh directory that vigil_geo_open then loads; a few look-ups follow.
 * Bad lines must be counted, a bad compact file ignored: never a crash. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <vigil/vigil.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static volatile unsigned fuzz_sink;

static void fuzz_touch_cstr(const char *s)
{
    unsigned acc = 0;
    for (; s && *s; s++) acc += (unsigned char)*s;
    fuzz_sink += acc;
}

static void quiet(void *user, const vigil_diag *d)
{
    (void)user;
    fuzz_touch_cstr(d->file);
    fuzz_touch_cstr(d->detail);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    static const char *const names[] = { "asn-ipv4.csv", "asn-ipv6.csv", "asn.vgeo" };
    const char *name = names[data[0] % 3];
    char dir[] = "/tmp/vigil-fuzz-geo-XXXXXX";
    if (!mkdtemp(dir)) return 0;
    char path[128], other[128];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (f) {
        fwrite(data + 1, 1, size - 1, f);
        fclose(f);
        vigil_geo *g = NULL;
        if (vigil_geo_open(&g, dir, NULL, quiet, NULL) == VIGIL_OK && g) {
            static const char *const probe[] = { "8.8.8.8", "1.0.0.1", "255.255.255.254", "2001:4860::8888",
                                                 "2c0f:ffff::1", "41.108.179.197" };
            for (size_t i = 0; i < sizeof probe / sizeof *probe; i++) {
                vigil_addr a;
                vigil_geo_info gi;
                if (vigil_addr_parse(probe[i], strlen(probe[i]), &a) && vigil_geo_lookup(g, &a, &gi) == VIGIL_OK) {
                    fuzz_touch_cstr(gi.country);
                    fuzz_touch_cstr(gi.org);
                    fuzz_sink += gi.asn;
                }
            }
            vigil_geo_free(g);
        }
    }
    /* Whatever the open wrote beside it (a compact file built from CSVs). */
    for (size_t i = 0; i < 3; i++) {
        snprintf(other, sizeof other, "%s/%s", dir, names[i]);
        unlink(other);
    }
    snprintf(other, sizeof other, "%s/asn.vgeo.tmp", dir);
    unlink(other);
    rmdir(dir);
    return 0;
}
