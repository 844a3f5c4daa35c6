/*
 * tests/fuzz/fuzz_router.c — libFuzzer target of what the home router
 * says (dns/router_core.c): NewExternalIPAddress (any bytes, as the
 * router may send them) and a GetGenericPortMappingEntry row (client,
 * port, protocol: the input split at NUL bytes). An accepted address
 * reads back as the very text given; an accepted row lies on the LAN.
 */
#include "config.h"

#include <arpa/inet.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dns/router_core.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char buf[256], back[INET_ADDRSTRLEN];
	const char *f[3] = {"", "", ""};
	struct in_addr a, lan, c;
	uint16_t port;
	uint8_t proto;
	size_t i, k = 0;

	if (router_parse_external((const char *)data, size, &a)) {
		inet_ntop(AF_INET, &a, back, sizeof(back));
		if (strlen(back) != size || memcmp(back, data, size) != 0)
			abort();
		(void)router_unreachable_reason(a);
	}
	if (size >= sizeof(buf))
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	f[0] = buf;
	for (i = 0; i < size && k < 2; i++)
		if (buf[i] == '\0')
			f[++k] = buf + i + 1;
	lan.s_addr = htonl(0x0a580000u); /* 10.88.0.0/24 */
	if (router_entry_check(f[0], f[1], f[2], lan, 24, &c, &port, &proto)) {
		uint32_t h = ntohl(c.s_addr);

		if ((h & 0xffffff00u) != 0x0a580000u || (h & 0xff) == 0 ||
		    (h & 0xff) == 0xff || port == 0 ||
		    (proto != IPPROTO_TCP && proto != IPPROTO_UDP))
			abort();
	}
	(void)router_upnp_error_text((int)size - 100);
	(void)router_natpmp_result_text((int)size);
	return 0;
}
