/*
 * netcfg/arp_defend.c — the holder's defence of the DMZ address, RFC 5227
 * section 2.4 (pure: no sockets, no clock; see netcfg_int.h).
 */
#include "config.h"

#include <string.h>

#include "netcfg/netcfg_int.h"

bool
netcfg_defend_is_conflict(const struct netcfg_arp *a, const uint8_t ip[4],
    const uint8_t mac[6], const uint8_t (*members)[6], size_t n_members)
{
	size_t i;

	/* 2.4: a conflicting ARP packet has our address as sender IP and
	 * another hardware address. A probe (sender 0.0.0.0) is not one. */
	if (memcmp(a->spa, ip, 4) != 0 || memcmp(a->sha, mac, 6) == 0)
		return false;
	for (i = 0; i < n_members; i++)
		if (memcmp(a->sha, members[i], 6) == 0)
			return false; /* a member holds it, or held it */
	return true;
}

/*
 * 2.4 (b): defend with one announcement unless we defended within
 * DEFEND_INTERVAL. Inside the interval the conflict is reported (AGAIN,
 * at most once an interval) but not answered, so that two defenders never
 * storm the link; we keep the address, 2.4 (c).
 */
enum netcfg_defend_act
netcfg_defend_on_conflict(struct netcfg_defend *d, uint64_t now_ms)
{
	if (d->defend_ms == 0 ||
	    now_ms >= d->defend_ms + NETCFG_DEFEND_INTERVAL_MS) {
		d->defend_ms = now_ms != 0 ? now_ms : 1;
		d->again_ms = 0; /* a new interval: its repeat is news */
		return NETCFG_DEFEND_ANNOUNCE;
	}
	if (d->again_ms != 0 &&
	    now_ms < d->again_ms + NETCFG_DEFEND_INTERVAL_MS)
		return NETCFG_DEFEND_QUIET;
	d->again_ms = now_ms != 0 ? now_ms : 1;
	return NETCFG_DEFEND_AGAIN;
}
