/*
 * discovery/disc_stamp.c — how long a datagram waited in our socket, from
 * the arrival stamp the kernel put on it (SO_TIMESTAMPNS). Pure: the
 * caller reads the clock.
 *
 * Why: a datagram that arrived on time but was read late (our own loop
 * stalled: a stopped process, a paused VM, a starved CPU) must not look
 * delayed on the LAN. The fence (doc/protocol.md) takes a late or missed
 * HEARTBEAT as a sign of loss on the way from the holder and stops
 * trusting its fence for 25 heartbeats: a standby that was itself stopped
 * for a second took its own stall for the LAN's.
 */
#include "config.h"

#include "discovery/discovery.h"

#include <sys/socket.h>
#include <string.h>
#include <time.h>

/* Beyond this the wall clock was set meanwhile: the age means nothing. */
#define STAMP_AGE_MAX_MS 60000

uint64_t
disc_rx_age_ms(struct msghdr *msg, uint64_t wall_now_ms)
{
	struct cmsghdr *c;
	struct timespec ts;
	uint64_t stamp_ms;

	for (c = CMSG_FIRSTHDR(msg); c != NULL; c = CMSG_NXTHDR(msg, c)) {
		if (c->cmsg_level != SOL_SOCKET ||
		    c->cmsg_type != SCM_TIMESTAMPNS ||
		    c->cmsg_len < CMSG_LEN(sizeof(ts)))
			continue;
		memcpy(&ts, CMSG_DATA(c), sizeof(ts));
		if (ts.tv_sec < 0 || ts.tv_nsec < 0)
			return 0;
		stamp_ms =
		    (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
		if (stamp_ms > wall_now_ms ||
		    wall_now_ms - stamp_ms > STAMP_AGE_MAX_MS)
			return 0;
		return wall_now_ms - stamp_ms;
	}
	return 0;
}
