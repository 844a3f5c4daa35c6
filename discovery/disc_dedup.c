/*
 * discovery/disc_dedup.c — the dual-stack duplicate filter (disc6.h):
 * pure, no clock of its own, no allocation.
 */
#include "config.h"

#include "discovery/disc6.h"

#include <string.h>

/* FNV-1a, 64 bits: the datagrams are authenticated, so the hash only
 * has to tell copies apart from other datagrams, not resist anyone; a
 * forged copy fails authentication whichever of the two is dropped. */
static uint64_t
hash(const uint8_t *buf, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ull;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= buf[i];
		h *= 0x100000001b3ull;
	}
	return h ^ (uint64_t)len;
}

void
disc_dedup_init(struct disc_dedup *d)
{
	memset(d, 0, sizeof(*d));
}

bool
disc_dedup_seen(struct disc_dedup *d, uint8_t family, const uint8_t *buf,
    size_t len, uint64_t now_ms)
{
	uint64_t h = hash(buf, len);
	size_t i;

	for (i = 0; i < DISC_DEDUP_SLOTS; i++) {
		if (d->slot[i].family == 0 || d->slot[i].hash != h ||
		    now_ms < d->slot[i].ms ||
		    now_ms - d->slot[i].ms >= DISC_DEDUP_MS)
			continue;
		if (d->slot[i].family != family) {
			d->slot[i].family = 0; /* one copy each way */
			return true;
		}
	}
	d->slot[d->next].hash = h;
	d->slot[d->next].ms = now_ms;
	d->slot[d->next].family = family;
	d->next = (d->next + 1) % DISC_DEDUP_SLOTS;
	return false;
}
