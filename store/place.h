/*
 * store/place.h — where a key goes among the members: weighted
 * rendezvous hashing (highest random weight; Thaler and Ravishankar,
 * 1998; the logarithmic method for weights, Schindelhauer and Schomaker,
 * 2005). A pure core: no I/O, no clock, no allocation.
 *
 * Every member scores every key; the best score owns it. When a member
 * joins, it takes only the keys it now scores best; when one leaves,
 * only its keys move, each to its own second best: about 1/N of them
 * for N members of equal weight, and no key moves between two members
 * that stayed (issue 11: load sharing's buckets, the store's slots).
 * Any two instances given the same members compute the same places.
 */
#ifndef QURE_STORE_PLACE_H
#define QURE_STORE_PLACE_H

#include <stddef.h>
#include <stdint.h>

#define PLACE_BUCKETS 256 /* load sharing: buckets of the client hash */

struct place_member {
	uint64_t id;	 /* the member's node id */
	uint32_t weight; /* 0: takes nothing (unfit, draining) */
};

/* The index in m[] of key's owner, or -1 when no member has a weight. */
int place_owner(const struct place_member *m, size_t n, uint64_t key);

/*
 * The up to r members of key by preference, owner first (for replicas:
 * the second is where the owner's keys go when it leaves), as indexes in
 * m[], into out[]; returns how many (members of weight 0 left out).
 */
size_t place_rank(const struct place_member *m, size_t n, uint64_t key,
    size_t *out, size_t r);

/* table[b] = place_owner(m, n, b) for every bucket b. */
void place_buckets(
    const struct place_member *m, size_t n, int table[PLACE_BUCKETS]);

/*
 * Of the buckets of two tables, how many name another member id:
 * a join or leave's cost (the property test's measure).
 */
size_t place_moved(const struct place_member *ma, const int *a,
    const struct place_member *mb, const int *b, size_t nbuckets);

#endif
