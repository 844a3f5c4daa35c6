/*
 * discovery/disc_igmp_limit.c — the rate limit on hints (pure: the caller
 * passes the time). A hint is a guess where a peer may be (an IGMP
 * report, a browsed service); each costs one unicast HELLO, so what the
 * network sends must not set our rate: at most one per source per
 * per_src_ms, at most rate_per_s overall with a bucket of burst. The
 * table is fixed (DISC_IGMP_LIMIT_SLOTS): many sources share the overall rate.
 */
#include "config.h"

#include "discovery/discovery.h"

#include <string.h>

void
disc_igmp_limit_init(struct disc_igmp_limit *l, uint32_t per_src_ms,
    uint32_t rate_per_s, uint32_t burst)
{
	memset(l, 0, sizeof(*l));
	l->per_src_ms = per_src_ms ? per_src_ms : DISC_IGMP_PER_SRC_MS;
	l->rate_per_s = rate_per_s ? rate_per_s : DISC_IGMP_RATE_PER_S;
	l->burst = burst ? burst : DISC_IGMP_BURST;
	l->tokens_milli = (uint64_t)l->burst * 1000;
}

static bool
same(const struct disc_addr *x, const struct disc_addr *y)
{
	return x->family == y->family &&
	       memcmp(x->b, y->b, x->family == 4 ? 4 : 16) == 0;
}

/*
 * The slot for src: its own, else a free one, else the least recently
 * used one that is past per_src_ms (forgetting it allows no more than a
 * new source would); NULL if every slot is recent.
 */
static size_t
slot_for(const struct disc_igmp_limit *l, const struct disc_addr *src,
    uint64_t now_ms, bool *found)
{
	size_t i, best = DISC_IGMP_LIMIT_SLOTS;

	*found = false;
	for (i = 0; i < DISC_IGMP_LIMIT_SLOTS; i++)
		if (l->slot[i].addr.family != 0 &&
		    same(&l->slot[i].addr, src)) {
			*found = true;
			return i;
		}
	for (i = 0; i < DISC_IGMP_LIMIT_SLOTS; i++) {
		if (l->slot[i].addr.family == 0)
			return i;
		if (now_ms - l->slot[i].last_ms >= l->per_src_ms &&
		    (best == DISC_IGMP_LIMIT_SLOTS ||
			l->slot[i].last_ms < l->slot[best].last_ms))
			best = i;
	}
	return best;
}

static void
refill(struct disc_igmp_limit *l, uint64_t now_ms)
{
	uint64_t cap = (uint64_t)l->burst * 1000;

	if (now_ms > l->refill_ms) {
		l->tokens_milli += (now_ms - l->refill_ms) * l->rate_per_s;
		if (l->tokens_milli > cap)
			l->tokens_milli = cap;
	}
	l->refill_ms = now_ms;
}

bool
disc_igmp_limit_allow(
    struct disc_igmp_limit *l, const struct disc_addr *src, uint64_t now_ms)
{
	bool found;
	size_t i;

	if (now_ms < l->refill_ms)
		now_ms = l->refill_ms; /* never decreasing; be safe anyway */
	refill(l, now_ms);
	i = slot_for(l, src, now_ms, &found);
	if (i == DISC_IGMP_LIMIT_SLOTS ||
	    (found && now_ms - l->slot[i].last_ms < l->per_src_ms) ||
	    l->tokens_milli < 1000) {
		l->limited++;
		return false;
	}
	l->tokens_milli -= 1000;
	l->slot[i].addr = *src;
	l->slot[i].last_ms = now_ms;
	l->allowed++;
	return true;
}
