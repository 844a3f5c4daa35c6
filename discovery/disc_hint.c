/*
 * discovery/disc_hint.c — the rate limit of hints (doc/design.md §5.6):
 * whatever discovery sees (DNS-SD instances anyone may publish, IGMP
 * reports anyone may send), the unicast HELLOs it draws stay bounded per
 * address and overall. Pure: the time comes in.
 */
#include "config.h"

#include "discovery/disc_avahi.h"

#include <string.h>

void
disc_hint_init(struct disc_hint *h, uint64_t per_addr_ms, uint32_t burst,
    uint64_t refill_ms)
{
	memset(h, 0, sizeof(*h));
	h->per_addr_ms = per_addr_ms;
	h->burst = burst;
	h->tokens = burst;
	h->refill_ms = refill_ms > 0 ? refill_ms : 1;
}

static void
refill(struct disc_hint *h, uint64_t now_ms)
{
	uint64_t n;

	if (h->refilled_ms == 0 || now_ms < h->refilled_ms) {
		h->refilled_ms = now_ms;
		return;
	}
	n = (now_ms - h->refilled_ms) / h->refill_ms;
	if (n == 0)
		return;
	h->refilled_ms += n * h->refill_ms;
	if (n >= h->burst || h->tokens + n >= h->burst)
		h->tokens = h->burst;
	else
		h->tokens += (uint32_t)n;
}

/* The slot of addr, else the free or least recently used one. */
static size_t
slot_of(const struct disc_hint *h, const uint8_t key[16], bool *found)
{
	size_t i, lru = 0;

	*found = false;
	for (i = 0; i < DISC_HINT_SLOTS; i++) {
		if (h->slot[i].last_ms != 0 &&
		    memcmp(h->slot[i].addr, key, 16) == 0) {
			*found = true;
			return i;
		}
		if (h->slot[i].last_ms < h->slot[lru].last_ms)
			lru = i;
	}
	return lru;
}

bool
disc_hint_allow(
    struct disc_hint *h, const uint8_t *addr, size_t alen, uint64_t now_ms)
{
	uint8_t key[16] = {0};
	bool found;
	size_t i;

	if (addr == NULL || (alen != 4 && alen != 16)) {
		h->refused++;
		return false;
	}
	memcpy(key, addr, alen);
	refill(h, now_ms);
	i = slot_of(h, key, &found);
	if ((found && now_ms < h->slot[i].last_ms + h->per_addr_ms) ||
	    h->tokens == 0) {
		h->refused++;
		return false;
	}
	h->tokens--;
	memcpy(h->slot[i].addr, key, 16);
	h->slot[i].last_ms = now_ms > 0 ? now_ms : 1;
	h->allowed++;
	return true;
}
