/*
 * tests/fuzz/fuzz_nd.c — libFuzzer target of the neighbour discovery
 * decoder (netcfg/nd_frame.c), which reads frames from the link while the
 * IPv6 DMZ address is probed. A decoded frame must name a sender, and the
 * conflict check must hold: never a conflict for our own MAC.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "netcfg/nd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct netcfg_nd nd;
	uint8_t mine[6];
	const uint8_t *who;

	if (netcfg_nd_decode(data, size, &nd) != NETCFG_ND_OK)
		return 0;
	if (nd.type != NETCFG_ND_NS && nd.type != NETCFG_ND_NA)
		abort();
	who = netcfg_nd_sender(&nd);
	memcpy(mine, who, 6);
	if (netcfg_nd_is_conflict(&nd, nd.target, mine, NULL, 0))
		abort();
	(void)netcfg_nd_is_conflict(&nd, nd.target, mine, &mine, 1);
	return 0;
}
