/* A small seeded pseudo-random generator for the models (splitmix64).
 *
 * The models draw from it instead of rand() so that the same seed gives
 * the same run on every machine and no model disturbs another's sequence:
 * each model owns its own state. */
#ifndef LOCKSTEP_SIM_MODELS_RNG_H
#define LOCKSTEP_SIM_MODELS_RNG_H

#include <stdint.h>

struct model_rng {
    uint64_t state;
};

static inline void model_rng_seed(struct model_rng *r, uint64_t seed)
{
    r->state = seed;
}

static inline uint64_t model_rng_next(struct model_rng *r)
{
    uint64_t z = (r->state += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

/* Uniform in [0, 1), from the top 53 bits so every value is exact. */
static inline double model_rng_uniform(struct model_rng *r)
{
    return (double)(model_rng_next(r) >> 11) * (1.0 / 9007199254740992.0);
}

/* Uniform in [-1, 1). */
static inline double model_rng_symmetric(struct model_rng *r)
{
    return 2.0 * model_rng_uniform(r) - 1.0;
}

#endif
