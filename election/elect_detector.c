/*
 * election/elect_detector.c — the heartbeat failure detector.
 */
#include "config.h"

#include "election/elect_int.h"

void
elect_detector_init(struct elect_detector *d, uint32_t heartbeat_ms,
    uint32_t dead_after, uint64_t now_ms)
{
	d->window_ms = (uint64_t)heartbeat_ms * dead_after;
	d->last_heard_ms = now_ms;
}

void
elect_detector_heard(struct elect_detector *d, uint64_t now_ms)
{
	if (now_ms > d->last_heard_ms)
		d->last_heard_ms = now_ms;
}

uint64_t
elect_detector_deadline(const struct elect_detector *d)
{
	return d->last_heard_ms + d->window_ms;
}

bool
elect_detector_expired(const struct elect_detector *d, uint64_t now_ms)
{
	return now_ms >= elect_detector_deadline(d);
}
