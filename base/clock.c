/*
 * base/clock.c — clock_now_ms(), on CLOCK_BOOTTIME.
 *
 * Why not CLOCK_MONOTONIC: it stops while the system is suspended. A VM
 * (or laptop) suspended as holder would resume believing almost no time
 * had passed and its lease still ran, and would keep acting as holder next
 * to the peer that took over while it slept. Its kernel would not help:
 * IPv4 address lifetimes are checked on jiffies, which also stop during
 * suspend, so the kernel lease has not run out either. CLOCK_BOOTTIME is
 * CLOCK_MONOTONIC plus the time spent suspended: on resume now_ms jumps by
 * the time asleep, the core sees its lease expired and drops the address
 * at once (ELECT_WHY_LEASE_EXPIRED), and the "two holders" rule settles
 * the rest. Everything else is the same: NTP slews both alike, neither is
 * moved by settimeofday().
 *
 * libevent's own timers run on CLOCK_MONOTONIC. The edge arms them with a
 * delay (wake_ms - now), never an absolute time, so the two clocks never
 * meet: after a resume the pending timer fires at most its remaining delay
 * late, and the first clock_now_ms() then sees the jump.
 *
 * A hypervisor pause that the guest kernel does not see (no guest suspend)
 * moves both clocks alike or neither, depending on the clocksource; the
 * heartbeats of the peers and the two-holder rule cover that case.
 */
#include "config.h"

#include "base/clock.h"

#include <assert.h>
#include <time.h>

uint64_t
clock_now_ms(void)
{
	struct timespec ts;
	int rc;

	/* Linux >= 2.6.39 has it; the daemon is Linux only (netlink). */
	rc = clock_gettime(CLOCK_BOOTTIME, &ts);
	/* Cannot fail with a valid clock id and pointer. */
	assert(rc == 0);
	(void)rc;
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

uint64_t
clock_wall_ms(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_REALTIME, &ts) == -1)
		return 0;
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

uint64_t
clock_cpu_ms(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts) == -1)
		return 0;
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}
