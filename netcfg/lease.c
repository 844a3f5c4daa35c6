#include "config.h"

#include "netcfg/netcfg.h"

/*
 * The kernel counts address lifetimes in whole seconds and expires them on
 * its own timer, so the kernel lease is a backstop: never shorter than the
 * core's lease, and never 0 (which would not mean "one instant" but be
 * refused or, for preferred_lft, mark the address deprecated).
 */
uint32_t
netcfg_lease_secs(uint32_t lease_ms)
{
	uint32_t s = lease_ms / 1000 + (lease_ms % 1000 != 0);

	return s == 0 ? 1 : s;
}
