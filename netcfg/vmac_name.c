/*
 * netcfg/vmac_name.c — the macvlan's name for [dmz] vmac (pure).
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "netcfg/netcfg_int.h"

/*
 * "qv<last byte of the DMZ address>-<interface>", e.g. qv200-eth0: found
 * again by a restarted qured (a macvlan left by a crash is ours to
 * replace), telling in `ip link`, and apart from the macvlan of a second
 * qured on the same interface for another DMZ address (as its nftables
 * tables are, netcfg_nft.c). A name too long for IFNAMSIZ becomes "qv"
 * and 8 hex digits of an FNV-1a hash of the interface's name and the
 * address.
 */
void
netcfg_vmac_name(
    const char *ifname, const uint8_t dmz[4], char out[NETCFG_IFNAME_MAX])
{
	uint32_t h = 2166136261u;
	size_t n = strnlen(ifname, NETCFG_IFNAME_MAX), i;
	int len;

	len = snprintf(out, NETCFG_IFNAME_MAX, "qv%u-%.*s", (unsigned)dmz[3],
	    (int)n, ifname);
	if (len > 0 && len < NETCFG_IFNAME_MAX)
		return;
	for (i = 0; i < n; i++)
		h = (h ^ (uint8_t)ifname[i]) * 16777619u;
	for (i = 0; i < 4; i++)
		h = (h ^ dmz[i]) * 16777619u;
	snprintf(out, NETCFG_IFNAME_MAX, "qv%08x", (unsigned)h);
}
