/* util_num.c -- exact, allocation-free number and time parsing for readers.
 *
 * Hand-written for the hot path: strtod/strtoull need a NUL-terminated copy
 * of every field and honour the locale; these take (pointer, length) and
 * the common Zeek shapes ("1516892000.123456", "443") in a few cycles.
 * Anything unusual (exponents, > 19 digits) falls back to strtod. */
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include "internal.h"

int vigil__parse_u64_safe(const char *s, size_t n, uint64_t *out)
{
    char tmp[24] = { 0 };
    if (n == 0 || n > 20) return 0;
    memcpy(tmp, s, n);
    return vigil__parse_u64(tmp, n, out);
}

int vigil__parse_i64(const char *s, size_t n, int64_t *out)
{
    int neg = 0;
    if (n && (s[0] == '-' || s[0] == '+')) { neg = s[0] == '-'; s++; n--; }
    uint64_t v;
    if (!vigil__parse_u64(s, n, &v)) return 0;
    if (neg) {
        if (v > (uint64_t)INT64_MAX + 1) return 0;
        *out = v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v;
    } else {
        if (v > INT64_MAX) return 0;
        *out = (int64_t)v;
    }
    return 1;
}

const double vigil__pow10[23] = {
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
    1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
};

static int slow_double(const char *s, size_t n, double *out)
{
    char tmp[80];
    if (n >= sizeof tmp) return 0;
    /* strtod accepts things JSON/Zeek never write (hex, inf, nan, spaces):
     * allow only digits, sign, dot and exponent. */
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= '0' && c <= '9') || c == '.' || c == '-' || c == '+' ||
              c == 'e' || c == 'E'))
            return 0;
    }
    memcpy(tmp, s, n);
    tmp[n] = 0;
    char *end;
    double v = strtod(tmp, &end);
    if (end != tmp + n || !isfinite(v)) return 0;
    *out = v;
    return 1;
}

int vigil__parse_double(const char *s, size_t n, double *out)
{
    size_t i = 0;
    int neg = 0;
    if (n == 0) return 0;
    if (s[0] == '-') { neg = 1; i = 1; }
    if (vigil__decimal_fast(s + i, n - i, out)) {
        if (neg) *out = -*out;
        return 1;
    }
    uint64_t mant = 0;
    int digits = 0, frac = 0, seen_digit = 0;
    for (; i < n; i++) {
        unsigned d = (unsigned char)s[i] - '0';
        if (d > 9) break;
        mant = mant * 10 + d;
        seen_digit = 1;
        if (mant) digits++;
        if (digits > 19) return slow_double(s, n, out);
    }
    if (i < n && s[i] == '.') {
        i++;
        size_t fstart = i;
        for (; i < n; i++) {
            unsigned d = (unsigned char)s[i] - '0';
            if (d > 9) break;
            mant = mant * 10 + d;
            if (mant) digits++;
            frac++;
            if (digits > 19) return slow_double(s, n, out);
        }
        if (i == fstart) return 0; /* "1." */
        seen_digit = 1;
    }
    if (!seen_digit) return 0;
    if (i != n) {
        if (s[i] == 'e' || s[i] == 'E') return slow_double(s, n, out);
        return 0;
    }
    /* Clinger's fast path: an integer below 2^53 divided by an exact power
     * of ten is correctly rounded, so this equals strtod's answer. */
    if (mant < (1ULL << 53) && frac <= 22) {
        double v = (double)mant / vigil__pow10[frac];
        *out = neg ? -v : v;
        return 1;
    }
    return slow_double(s, n, out);
}

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar. */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static int digits_at(const char *s, size_t n, size_t at, size_t cnt, unsigned *out)
{
    if (at + cnt > n) return 0;
    unsigned v = 0;
    for (size_t i = 0; i < cnt; i++) {
        unsigned d = (unsigned char)s[at + i] - '0';
        if (d > 9) return 0;
        v = v * 10 + d;
    }
    *out = v;
    return 1;
}

static int parse_iso8601(const char *s, size_t n, double *out)
{
    unsigned y, mo, d, h, mi, se;
    if (!digits_at(s, n, 0, 4, &y) || s[4] != '-' || !digits_at(s, n, 5, 2, &mo) ||
        n < 10 || s[7] != '-' || !digits_at(s, n, 8, 2, &d))
        return 0;
    if (n < 19 || (s[10] != 'T' && s[10] != ' ') || !digits_at(s, n, 11, 2, &h) ||
        s[13] != ':' || !digits_at(s, n, 14, 2, &mi) || s[16] != ':' ||
        !digits_at(s, n, 17, 2, &se))
        return 0;
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60) return 0;
    size_t i = 19;
    uint64_t frac = 0;
    int fdig = 0;
    if (i < n && s[i] == '.') {
        i++;
        size_t st = i;
        while (i < n && s[i] >= '0' && s[i] <= '9') {
            if (fdig < 9) { frac = frac * 10 + (unsigned)(s[i] - '0'); fdig++; }
            i++;
        }
        if (i == st) return 0;
    }
    int64_t off = 0;
    if (i < n && (s[i] == 'Z' || s[i] == 'z')) {
        i++;
    } else if (i < n && (s[i] == '+' || s[i] == '-')) {
        int sign = s[i] == '-' ? -1 : 1;
        unsigned oh, om;
        if (!digits_at(s, n, i + 1, 2, &oh)) return 0;
        i += 3;
        if (i < n && s[i] == ':') i++;
        if (!digits_at(s, n, i, 2, &om)) return 0;
        i += 2;
        if (oh > 23 || om > 59) return 0;
        off = sign * (int64_t)(oh * 3600 + om * 60);
    }
    if (i != n) return 0;
    int64_t secs = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se - off;
    /* Same rounding as the decimal path: integer microseconds (or finer)
     * over an exact power of ten. */
    uint64_t scale = 1;
    for (int k = 0; k < fdig; k++) scale *= 10;
    int64_t whole = secs * (int64_t)scale + (int64_t)frac;
    *out = (double)whole / vigil__pow10[fdig];
    return 1;
}

int vigil__parse_time(const char *s, size_t n, double *out)
{
    if (n >= 10 && s[4] == '-') return parse_iso8601(s, n, out);
    double v;
    if (!vigil__parse_double(s, n, &v) || v < 0) return 0;
    *out = v;
    return 1;
}
