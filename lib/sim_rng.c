/* sim_rng.c -- deterministic counter-based random numbers for the simulator.
 *
 * Input: a seed and up to three words naming what is being decided (stream,
 * entity, index).  Output: hashes, uniform doubles, and a small sequential
 * generator for loops.  Every random choice of `vigil simulate` is a pure
 * function of its inputs (sim.h, "Determinism"), never of generation order,
 * so any hour can be made on any thread with the same bytes.  Hand-written
 * rather than taken from libc: rand()/random() carry hidden global state and
 * differ between C libraries, which would break same-seed-same-bytes. */
#include <math.h>
#include "sim.h"

/* The splitmix64 finaliser (Stafford's "mix13" constants): a bijection on
 * 64-bit words with full avalanche. */
static uint64_t mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

uint64_t vigil__sim_hash(uint64_t seed, uint64_t a, uint64_t b, uint64_t c)
{
    /* Each word enters after a full mix of what came before, with a
     * distinct odd offset, so (a, b) and (b, a) differ. */
    uint64_t h = mix64(seed + 0x9e3779b97f4a7c15ULL);
    h = mix64(h ^ (a + 0x632be59bd9b4e019ULL));
    h = mix64(h ^ (b + 0x85157af5b2c2f6ddULL));
    h = mix64(h ^ (c + 0xd6e8feb86659fd93ULL));
    return h;
}

double vigil__sim_unit(uint64_t h)
{
    return (double)(h >> 11) * 0x1.0p-53;
}

void vigil__sim_rng_seed(vigil__sim_rng *r, uint64_t h)
{
    /* splitmix64 sequence fills the state: never all zero in practice
     * (mix64 is a bijection and the four inputs differ). */
    for (int i = 0; i < 4; i++) {
        h += 0x9e3779b97f4a7c15ULL;
        r->s[i] = mix64(h);
    }
    if (!(r->s[0] | r->s[1] | r->s[2] | r->s[3])) r->s[0] = 1;
}

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

/* xoshiro256** (Blackman and Vigna's published recurrence). */
uint64_t vigil__sim_rng_u64(vigil__sim_rng *r)
{
    uint64_t *s = r->s;
    uint64_t out = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return out;
}

double vigil__sim_rng_unit(vigil__sim_rng *r)
{
    return vigil__sim_unit(vigil__sim_rng_u64(r));
}

double vigil__sim_rng_exp(vigil__sim_rng *r, double mean)
{
    /* 1 - u is in (0, 1]: log never sees 0. */
    return -mean * log(1.0 - vigil__sim_rng_unit(r));
}

double vigil__sim_rng_normal(vigil__sim_rng *r)
{
    /* Box-Muller, one value per call (no cached second value: the state
     * stays just the four words, so copies of a generator agree). */
    double u1 = 1.0 - vigil__sim_rng_unit(r); /* (0, 1] */
    double u2 = vigil__sim_rng_unit(r);
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

double vigil__sim_rng_lognormal(vigil__sim_rng *r, double median, double sigma)
{
    return median * exp(sigma * vigil__sim_rng_normal(r));
}

vigil_status vigil__sim_zipf_init(vigil__sim_zipf *z, size_t n, double s,
                                  const vigil_allocator *a)
{
    z->cdf = NULL;
    z->n = 0;
    if (n == 0) return VIGIL_EINVAL;
    if (!a) a = vigil_allocator_default();
    double *cdf = vigil__malloc(a, n * sizeof *cdf);
    if (!cdf) return VIGIL_ENOMEM;
    double sum = 0;
    for (size_t i = 0; i < n; i++) {
        sum += 1.0 / pow((double)(i + 1), s);
        cdf[i] = sum;
    }
    for (size_t i = 0; i < n; i++) cdf[i] /= sum;
    cdf[n - 1] = 1.0;
    z->cdf = cdf;
    z->n = n;
    return VIGIL_OK;
}

size_t vigil__sim_zipf_draw(const vigil__sim_zipf *z, double u)
{
    /* First index whose cumulative weight exceeds u (binary search). */
    size_t lo = 0, hi = z->n - 1;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (z->cdf[mid] > u) hi = mid;
        else lo = mid + 1;
    }
    return lo;
}

void vigil__sim_zipf_free(vigil__sim_zipf *z, const vigil_allocator *a)
{
    if (!z) return;
    if (!a) a = vigil_allocator_default();
    vigil__free(a, z->cdf);
    z->cdf = NULL;
    z->n = 0;
}
