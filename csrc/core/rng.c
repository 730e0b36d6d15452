/* rng.c - one seedable generator for init, dropout, shuffling and noise.
 *
 * Counter-based (a SplitMix64-style mixer of (key, counter)): any element of any
 * stream can be computed independently, so parallel kernels draw the same bits
 * whatever the thread count. The global stream only hands out keys. */
#include <math.h>

#include "pn.h"

static uint64_t global_key = 0x853c49e6748fea9bULL;
static uint64_t global_counter = 0;

void pn_rng_seed(uint64_t seed)
{
    global_key = pn_rng_mix64(seed + 0x9e3779b97f4a7c15ULL);
    global_counter = 0;
}

uint64_t pn_rng_next_u64(void) { return pn_rng_hash(global_key, global_counter++); }

uint64_t pn_rng_key(void) { return pn_rng_next_u64(); }

/* Normal stream v1 (rng_normal.c has the versions): Box-Muller on two
 * uniforms drawn from the counter pair (2c, 2c+1). */
double pn_rng_normal(uint64_t key, uint64_t counter)
{
    double u1 = pn_rng_uniform01(key, 2 * counter);
    double u2 = pn_rng_uniform01(key, 2 * counter + 1);
    if (u1 < 1e-300) u1 = 1e-300;
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}
