/*
 * store/store_int.h — what the store's cores share, private to store/.
 */
#ifndef QURE_STORE_INT_H
#define QURE_STORE_INT_H

#include <stdint.h>

/* splitmix64's finaliser: a bijection that mixes every input bit into
 * every output bit (placement, digests). */
static inline uint64_t
store_mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x;
}

/* ln(x) for a normal x in (0, 1], without libm (store/place.c). */
double store_ln_unit(double x);

#endif
