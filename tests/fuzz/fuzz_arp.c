/*
 * tests/fuzz/fuzz_arp.c — libFuzzer target of the ARP frame decoder, the
 * one parser of netcfg/ that reads bytes from the link. A frame that
 * decodes must re-encode to its first 28 bytes and must not upset a
 * running probe.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "netcfg/netcfg_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t dmz[4] = {10, 88, 0, 200};
	static const uint8_t mac[6] = {0x02, 0x88, 0, 0, 0, 0x11};
	struct netcfg_seq_conf c;
	struct netcfg_seq seq;
	struct netcfg_seq_out out;
	struct netcfg_arp a;
	uint8_t buf[NETCFG_ARP_LEN];

	if (netcfg_arp_decode(data, size, &a) != NETCFG_ARP_OK)
		return 0;
	if (netcfg_arp_encode(&a, buf, sizeof(buf)) != NETCFG_ARP_LEN ||
	    memcmp(buf, data, NETCFG_ARP_LEN) != 0)
		abort();
	memset(&c, 0, sizeof(c));
	c.kind = NETCFG_SEQ_PROBE;
	c.count = 3;
	c.gap_ms = 100;
	c.wait_ms = 200;
	memcpy(c.ip, dmz, 4);
	memcpy(c.mac, mac, 6);
	netcfg_seq_init(&seq);
	netcfg_seq_start(&seq, &c, 1, &out);
	netcfg_seq_on_frame(&seq, 2, &a, &out);
	if (out.done && (out.result != NETCFG_PROBE_CONFLICT ||
			    memcmp(out.mac, a.sha, 6) != 0))
		abort();
	return 0;
}
