/*
 * tests/fuzz/fuzz_disc_txt.c — libFuzzer target of the `_qure._udp` TXT
 * parser (discovery/disc_txt.c), which reads what anyone on the LAN may
 * publish. A record that parses must encode, and parse back the same.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "discovery/disc_avahi.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct disc_txt t, back;
	uint8_t buf[256];
	size_t len;

	if (disc_txt_parse(data, size, &t) != DISC_TXT_OK)
		return 0;
	len = disc_txt_encode(&t, buf, sizeof(buf));
	if (len == 0 || disc_txt_parse(buf, len, &back) != DISC_TXT_OK)
		abort();
	if (memcmp(back.id, t.id, sizeof(t.id)) != 0 ||
	    strcmp(back.cluster, t.cluster) != 0 || back.prio != t.prio ||
	    strcmp(back.state, t.state) != 0 || back.ver != t.ver)
		abort();
	return 0;
}
