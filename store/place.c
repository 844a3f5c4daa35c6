/*
 * store/place.c — weighted rendezvous hashing (store/place.h).
 */
#include "config.h"

#include "store/place.h"

#include <stdint.h>
#include <string.h>

#include "store/store_int.h"

#define LN2 0.69314718055994530942

/*
 * ln(x) for x in (0, 1], without libm: libm's pages cost every qured
 * 300 KiB of resident memory for this one call (doc/benchmark.md). x =
 * m * 2^e with m in [sqrt(2)/2, sqrt(2)) from the IEEE 754 fields;
 * ln(m) = 2 atanh(s), |s| = |m - 1| / (m + 1) < 0.18, whose odd series
 * has converged to the last bit after 20 terms. The same operations in the same
 * order on every member: every member places alike.
 */
double
store_ln_unit(double x)
{
	uint64_t bits;
	double m, s, s2, term, sum;
	int e, k;

	memcpy(&bits, &x, sizeof(bits));
	e = (int)((bits >> 52) & 0x7ff) - 1023;
	bits = (bits & ((UINT64_C(1) << 52) - 1)) | (UINT64_C(1023) << 52);
	memcpy(&m, &bits, sizeof(m));
	if (m > 1.4142135623730951) { /* m in [sqrt(2)/2, sqrt(2)): near 1, */
		m /= 2.0;	      /* no cancellation of ln(m) with e ln 2 */
		e++;
	}
	s = (m - 1.0) / (m + 1.0);
	s2 = s * s;
	term = s;
	sum = 0.0;
	for (k = 1; k < 40; k += 2) {
		sum += term / k;
		term *= s2;
	}
	return 2.0 * sum + e * LN2;
}

/*
 * Member m's score for key: weight / -ln(u), u uniform in (0, 1) drawn
 * from the pair. With weights w_i, member i wins a share w_i / sum(w)
 * of the keys (the minimum of exponentials of rates w_i). The 53 bits
 * of u keep it off 0 and 1, so the logarithm is finite and negative,
 * and u is a normal number (store_ln_unit() reads its fields).
 */
static double
score(const struct place_member *m, uint64_t key)
{
	/* Two rounds: one xor of two mixes alone would give the pairs a
	 * structure (key ^ M(a) == key' ^ M(b) swaps a and b's scores). */
	uint64_t h = store_mix64(store_mix64(m->id) ^ key);
	h = store_mix64(h + store_mix64(key ^ 0x5152u));
	double u = ((double)(h >> 11) + 0.5) / 9007199254740992.0;

	return (double)m->weight / -store_ln_unit(u);
}

/* Whether a beats b: the higher score, ties (never seen in practice)
 * to the higher id, so every instance decides alike. */
static int
beats(double sa, uint64_t ida, double sb, uint64_t idb)
{
	return sa > sb || (sa == sb && ida > idb);
}

int
place_owner(const struct place_member *m, size_t n, uint64_t key)
{
	size_t out;

	return place_rank(m, n, key, &out, 1) == 1 ? (int)out : -1;
}

size_t
place_rank(
    const struct place_member *m, size_t n, uint64_t key, size_t *out, size_t r)
{
	double best[16];
	size_t k = 0, i, j;

	if (r > sizeof(best) / sizeof(best[0]))
		r = sizeof(best) / sizeof(best[0]);
	for (i = 0; i < n; i++) {
		double s;

		if (m[i].weight == 0)
			continue;
		s = score(&m[i], key);
		/* Insertion into the r best so far, best first. */
		for (j = k;
		     j > 0 && beats(s, m[i].id, best[j - 1], m[out[j - 1]].id);
		     j--) {
			if (j < r) {
				best[j] = best[j - 1];
				out[j] = out[j - 1];
			}
		}
		if (j < r) {
			best[j] = s;
			out[j] = i;
			if (k < r)
				k++;
		}
	}
	return k;
}

void
place_buckets(const struct place_member *m, size_t n, int table[PLACE_BUCKETS])
{
	size_t b;

	for (b = 0; b < PLACE_BUCKETS; b++)
		table[b] = place_owner(m, n, b);
}

size_t
place_moved(const struct place_member *ma, const int *a,
    const struct place_member *mb, const int *b, size_t nbuckets)
{
	size_t i, moved = 0;

	for (i = 0; i < nbuckets; i++) {
		int ha = a[i] >= 0, hb = b[i] >= 0;

		if (ha != hb || (ha && ma[a[i]].id != mb[b[i]].id))
			moved++;
	}
	return moved;
}
