#include "config.h"

#include "netcfg/netcfg.h"

/*
 * The kernel counts address lifetimes in whole seconds and expires them on
 * its own timer, so the kernel lease is a backstop: never shorter than the
 * core's lease, and never 0 (which would not mean "one instant" but be
 * refused or, for preferred_lft, mark the address deprecated).
 */
/*
 * When the guard drops the address of a qured that stopped ticking: at the
 * end of the lease its peers count, where nftables silences the address
 * at the fence already (a stall the core renews after costs no deletion);
 * at the fence (lease_end) itself where nothing else would.
 */
uint64_t
netcfg_guard_deadline(bool nft_enforced, uint64_t lease_end, uint64_t peer_end)
{
	return nft_enforced && peer_end > lease_end ? peer_end : lease_end;
}

uint32_t
netcfg_lease_secs(uint32_t lease_ms)
{
	uint32_t s = lease_ms / 1000 + (lease_ms % 1000 != 0);

	return s == 0 ? 1 : s;
}
