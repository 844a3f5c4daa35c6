/*
 * tests/sim/sim_rng.c — splitmix64 and xoshiro256**, the simulator's only
 * randomness, so that one seed replays one scenario on every machine.
 */
#include "config.h"

#include "tests/sim/sim.h"

uint64_t
sim_splitmix64(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

void
sim_rng_seed(struct sim_rng *r, uint64_t seed)
{
	int i;

	for (i = 0; i < 4; i++)
		r->s[i] = sim_splitmix64(&seed);
}

static uint64_t
rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

uint64_t
sim_rng_next(struct sim_rng *r)
{
	uint64_t *s = r->s;
	uint64_t result = rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return result;
}

uint64_t
sim_rng_range(struct sim_rng *r, uint64_t lo, uint64_t hi)
{
	uint64_t span;

	if (hi <= lo)
		return lo;
	span = hi - lo + 1;
	if (span == 0) /* the whole 64-bit range */
		return sim_rng_next(r);
	/* The modulo bias is below 2^-40 for the spans used here. */
	return lo + sim_rng_next(r) % span;
}

bool
sim_rng_permille(struct sim_rng *r, uint32_t permille)
{
	return sim_rng_next(r) % 1000 < permille;
}
