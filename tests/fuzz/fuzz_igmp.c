/*
 * tests/fuzz/fuzz_igmp.c — libFuzzer target of the IGMP report parser
 * (discovery/disc_igmp.c), the bytes a raw socket reads from the link. A
 * JOIN or LEAVE names a source that is in the datagram; whatever the
 * parser says, the hint limiter it feeds stays within its bounds.
 */
#include "config.h"

#include <arpa/inet.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "discovery/discovery.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct disc_igmp_limit lim;
	static uint64_t now_ms;
	struct disc_igmp_report r;
	struct disc_addr a = {.family = 4};
	struct in_addr group;
	enum disc_igmp_result res;

	if (now_ms == 0)
		disc_igmp_limit_init(&lim, 0, 0, 0);
	now_ms += 7;
	inet_pton(AF_INET, "239.255.81.82", &group);
	res = disc_igmp_parse(data, size, group, &r);
	if (res != DISC_IGMP_JOIN && res != DISC_IGMP_LEAVE &&
	    res != DISC_IGMP_OTHER && res != DISC_IGMP_MALFORMED)
		abort();
	if (res == DISC_IGMP_JOIN || res == DISC_IGMP_LEAVE) {
		if (size < 20 || memcmp(&r.src, data + 12, 4) != 0 ||
		    r.src.s_addr == 0 || r.version < 1 || r.version > 3)
			abort();
		memcpy(a.b, &r.src, 4);
		(void)disc_igmp_limit_allow(&lim, &a, now_ms);
	}
	/* Over the whole run: no more than the bucket and the rate allow. */
	if (lim.allowed >
	    DISC_IGMP_BURST + now_ms * DISC_IGMP_RATE_PER_S / 1000)
		abort();
	return 0;
}
