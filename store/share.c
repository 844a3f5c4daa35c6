/*
 * store/share.c — load sharing's table (store/share.h).
 */
#include "config.h"

#include "store/share.h"

#include <string.h>

/* placement's id: the node id's first 8 bytes, big-endian (random). */
static uint64_t
place_id(const uint8_t id[16])
{
	uint64_t v = 0;
	size_t i;

	for (i = 0; i < 8; i++)
		v = v << 8 | id[i];
	return v;
}

bool
share_is_fit(const struct share_member *m)
{
	return m->addr != 0 && !m->unfit && !m->stopped && !m->foreign;
}

size_t
share_compute(const struct share_member *m, size_t n, struct share_table *t)
{
	struct place_member pm[SHARE_MAX_MEMBERS];
	size_t i, b;

	if (n > SHARE_MAX_MEMBERS)
		n = SHARE_MAX_MEMBERS;
	memset(t, 0, sizeof(*t));
	for (i = 0; i < n; i++) {
		pm[i].id = place_id(m[i].id);
		pm[i].weight = share_is_fit(&m[i]) ? 1 : 0;
	}
	place_buckets(pm, n, t->owner);
	for (b = 0; b < PLACE_BUCKETS; b++) {
		if (t->owner[b] < 0)
			continue;
		t->addr[b] = m[t->owner[b]].addr;
		if (t->count[t->owner[b]]++ == 0)
			t->n_owners++;
	}
	return t->n_owners;
}

bool
share_same(const struct share_table *a, const struct share_table *b)
{
	return memcmp(a->addr, b->addr, sizeof(a->addr)) == 0;
}
