/*
 * netcfg/vmac_name.c — the macvlan's name for [dmz] vmac (pure).
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "netcfg/netcfg_int.h"

/*
 * "qv-" + the cluster interface's name: found again by a restarted qured
 * (a macvlan left by a crash is ours to replace) and telling in `ip link`.
 * A name too long for IFNAMSIZ keeps its first 7 bytes and adds 5 hex
 * digits of an FNV-1a hash of the whole name, so two long names that
 * share a beginning still get two macvlans.
 */
void
netcfg_vmac_name(const char *ifname, char out[NETCFG_IFNAME_MAX])
{
	uint32_t h = 2166136261u;
	size_t n = strnlen(ifname, NETCFG_IFNAME_MAX);
	size_t i;

	if (3 + n < NETCFG_IFNAME_MAX) {
		snprintf(out, NETCFG_IFNAME_MAX, "qv-%.*s", (int)n, ifname);
		return;
	}
	for (i = 0; i < n; i++)
		h = (h ^ (uint8_t)ifname[i]) * 16777619u;
	snprintf(out, NETCFG_IFNAME_MAX, "qv-%.7s%05x", ifname,
	    (unsigned)(h & 0xfffff));
}
