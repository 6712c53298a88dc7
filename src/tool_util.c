/* tool_util.c -- small helpers of the CLI. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <time.h>
#include "tool.h"

int tool_mkdir_parent(const char *path)
{
    char buf[4096];
    size_t n = strlen(path);
    if (n >= sizeof buf) return 0;
    memcpy(buf, path, n + 1);
    char *slash = strrchr(buf, '/');
    if (!slash || slash == buf) return 1;
    *slash = 0;
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/') continue;
        *p = 0;
        if (mkdir(buf, 0700) != 0 && errno != EEXIST) return 0;
        *p = '/';
    }
    return mkdir(buf, 0700) == 0 || errno == EEXIST;
}

static void no_diag(void *user, const vigil_diag *d)
{
    (void)user;
    (void)d;
}

vigil_geo *tool_geo_open(const char *dir, vigil_diag_fn diag, void *user)
{
    vigil_geo *g = NULL;
    const char *env = getenv("VIGIL_GEO_DIR");
    if (dir || (env && *env)) {
        vigil_geo_open(&g, dir, NULL, diag, user);
        return g;
    }
    /* The documented search path first; then data/geo beside the binary's
     * checkout (build/vigil -> ../data/geo), so a vigil run from another
     * directory still finds what scripts/install-geo.sh installed. */
    vigil_geo_open(&g, NULL, NULL, no_diag, NULL);
    if (g && vigil_geo_loaded(g)) return g;
    vigil_geo_free(g);
    g = NULL;
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 32);
    if (n > 0) {
        exe[n] = 0;
        char *slash = strrchr(exe, '/');
        if (slash) {
            strcpy(slash, "/../data/geo");
            struct stat sb;
            if (stat(exe, &sb) == 0 && S_ISDIR(sb.st_mode)) {
                vigil_geo_open(&g, exe, NULL, no_diag, NULL);
                if (g && vigil_geo_loaded(g)) return g;
                vigil_geo_free(g);
                g = NULL;
            }
        }
    }
    vigil_geo_open(&g, NULL, NULL, diag, user); /* says once that it is off */
    return g;
}

void tool_fmt_time(double ts, char *buf, size_t cap)
{
    if (ts < 0) { snprintf(buf, cap, "-"); return; }
    time_t t = (time_t)ts;
    struct tm tm;
    if (!gmtime_r(&t, &tm)) { snprintf(buf, cap, "%.6f", ts); return; }
    strftime(buf, cap, "%Y-%m-%d %H:%M:%S", &tm);
}
