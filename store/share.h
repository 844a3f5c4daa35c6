/*
 * store/share.h — load sharing's table (issue 11 item 4): the member
 * each of the 256 buckets of the client hash goes to, by weighted
 * rendezvous hashing (store/place.h) of the node ids, weight 1 for a fit
 * member and 0 for the others. A pure core: the holder's edge
 * (src/cluster.c) lists the members it knows and installs the result
 * (netcfg/balance.h); any member that becomes holder, given the same
 * members, computes the same table.
 */
#ifndef QURE_STORE_SHARE_H
#define QURE_STORE_SHARE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/place.h"

#define SHARE_MAX_MEMBERS 64 /* ELECT_MAX_MEMBERS: the holder included */

/* A member as the holder knows it (the holder lists itself too). */
struct share_member {
	uint8_t id[16]; /* its node id */
	uint32_t addr;	/* its LAN IPv4 address, network order; 0: none */
	bool unfit;	/* its HELLO says its service check fails */
	bool stopped;	/* it said it stopped (or its guard did for it) */
	bool foreign;	/* other settings: not of this site (§5.4) */
};

struct share_table {
	uint32_t addr[PLACE_BUCKETS]; /* bucket -> its member's address */
	int owner[PLACE_BUCKETS];     /* bucket -> index of its member, -1 */
	uint16_t count[SHARE_MAX_MEMBERS]; /* buckets of each member */
	size_t n_owners;		   /* members with a bucket */
};

/* Whether m takes buckets: an address, a passing check, our settings,
 * not stopped. */
bool share_is_fit(const struct share_member *m);

/*
 * Fills t from the n members (past SHARE_MAX_MEMBERS left out): each
 * bucket to the fit member that scores it best. Returns how many members
 * own buckets; 0 when none is fit (every addr 0, every owner -1).
 */
size_t share_compute(
    const struct share_member *m, size_t n, struct share_table *t);

/* Whether a and b send every bucket to the same address. */
bool share_same(const struct share_table *a, const struct share_table *b);

#endif
