#include "config.h"

#include <stdatomic.h>
#include <string.h>

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

bool
netcfg_fence_extend(_Atomic uint64_t *word, uint64_t until)
{
	uint64_t cur = atomic_load(word);

	do {
		if (cur == NETCFG_FENCE_RESIGNED)
			return false;
	} while (!atomic_compare_exchange_weak(word, &cur, until));
	return true;
}

bool
netcfg_fence_take(_Atomic uint64_t *word, uint64_t now)
{
	uint64_t cur = atomic_load(word);

	if (cur == 0 || cur == NETCFG_FENCE_RESIGNED || now < cur)
		return false;
	/* Renewed in between: the guard waits for the new end. */
	return atomic_compare_exchange_strong(
	    word, &cur, NETCFG_FENCE_RESIGNED);
}

char
netcfg_proc_state(const char *stat, size_t len)
{
	size_t i;

	/* "pid (comm) S ...": comm may hold spaces and parentheses; the
	 * state follows the last ')'. */
	for (i = len; i > 0; i--)
		if (stat[i - 1] == ')')
			break;
	if (i == 0 || i + 1 >= len || stat[i] != ' ')
		return '\0';
	return stat[i + 1];
}

uint64_t
netcfg_proc_runtime(const char *schedstat, size_t len)
{
	uint64_t ns = 0;
	size_t i;

	for (i = 0; i < len && schedstat[i] >= '0' && schedstat[i] <= '9';
	     i++) {
		if (ns > (UINT64_MAX - 9) / 10)
			return 0;
		ns = ns * 10 + (uint64_t)(schedstat[i] - '0');
	}
	return ns;
}

bool
netcfg_guard_may_speak(
    char state, uint64_t ran_before, uint64_t ran_after, bool asked)
{
	return state != 'R' && ran_after == ran_before &&
	       (asked || state == 'T');
}

bool
netcfg_guard_is_probe(const uint8_t *head, size_t len)
{
	return len >= 6 && memcmp(head, "QURE", 4) == 0 &&
	       head[5] == NETCFG_WIRE_PROBE;
}
