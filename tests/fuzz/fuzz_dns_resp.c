/*
 * tests/fuzz/fuzz_dns_resp.c — libFuzzer target of the responder's query
 * path (dns/dns_resp.c): the bytes a UDP datagram or a TCP message brings,
 * answered over UDP, over TCP and as a rate-limited slip. Whatever comes
 * in, the answer fits its limit, is a response to the same id, and for a
 * name outside the zone is no larger than the query.
 */
#include "config.h"

#include <arpa/inet.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dns/dns_resp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
view_init(struct dns_view *v)
{
	static const char *names[] = {"h1", "h2", "h3"};
	size_t i;

	memset(v, 0, sizeof(*v));
	strcpy(v->zone, "cloud.example.org");
	strcpy(v->cloud_name, "site1.cloud.example.org");
	v->pub[0].family = 4;
	inet_pton(AF_INET, "203.0.113.5", v->pub[0].b);
	v->pub[1].family = 6;
	inet_pton(AF_INET6, "2001:db8::5", v->pub[1].b);
	v->n_pub = 2;
	strcpy(v->holder, "h1");
	v->serial = 7;
	v->ttl = 60;
	v->srv_port = 5182;
	for (i = 0; i < 3; i++) {
		struct dns_view_member *m = &v->members[i];
		strcpy(m->name, names[i]);
		m->addrs[0].family = 4;
		m->addrs[0].b[0] = 10;
		m->addrs[0].b[3] = (uint8_t)(11 + i);
		m->addrs[1].family = 6;
		m->addrs[1].b[0] = 0xfd;
		m->addrs[1].b[15] = (uint8_t)(11 + i);
		m->n_addrs = 2;
	}
	v->n_members = 3;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct dns_view v;
	static uint8_t out[DNS_MSG_MAX];
	static const unsigned modes[] = {0, DNS_RESP_TCP, DNS_RESP_SLIP};
	struct dns_resp_info info;
	size_t i, n;

	if (v.zone[0] == '\0')
		view_init(&v);
	for (i = 0; i < 3; i++) {
		n = dns_resp_answer(
		    &v, data, size, modes[i], out, sizeof(out), &info);
		if (n == 0) {
			if (info.rcode != -1)
				abort();
			continue;
		}
		if (n < 12 || (out[2] & 0x80) == 0 || size < 12 ||
		    memcmp(out, data, 2) != 0 || info.rcode < 0)
			abort();
		if (modes[i] != DNS_RESP_TCP && n > DNS_EDNS_SIZE)
			abort();
		if (modes[i] != DNS_RESP_TCP && !info.edns && n > DNS_UDP_PLAIN)
			abort();
		if (!info.in_zone && n > size)
			abort();
	}
	return 0;
}
