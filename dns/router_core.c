/*
 * dns/router_core.c — the router's answers, checked and put in words
 * (dns/router_core.h). libc only.
 */
#include "config.h"

#include "dns/router_core.h"

#include <arpa/inet.h>

#include <string.h>
#include <strings.h>

bool
router_parse_external(const char *text, size_t len, struct in_addr *out)
{
	char buf[16];
	unsigned dots = 0, digits = 0;
	struct in_addr a;
	uint32_t h;
	size_t i;

	if (text == NULL || len == 0 || len > 15)
		return false;
	for (i = 0; i < len; i++) {
		char ch = text[i];

		if (ch == '.') {
			if (digits == 0)
				return false;
			dots++;
			digits = 0;
		} else if (ch >= '0' && ch <= '9') {
			/* no leading zero: "010" is octal to some readers */
			if (digits == 1 && text[i - 1] == '0')
				return false;
			if (++digits > 3)
				return false;
		} else {
			return false;
		}
	}
	if (dots != 3 || digits == 0)
		return false;
	memcpy(buf, text, len);
	buf[len] = '\0';
	if (inet_pton(AF_INET, buf, &a) != 1)
		return false;
	h = ntohl(a.s_addr);
	if (h == 0 || h == 0xffffffffu || (h >> 28) >= 0xe)
		return false; /* unspecified, broadcast, multicast, class E */
	*out = a;
	return true;
}

struct range {
	uint32_t net;
	unsigned prefix;
	const char *why;
};

static const struct range unreachable[] = {
    {0x0a000000u, 8,
	"the router's external address is private (RFC 1918): another "
	"NAT sits between it and the internet (double NAT)"},
    {0xac100000u, 12,
	"the router's external address is private (RFC 1918): another "
	"NAT sits between it and the internet (double NAT)"},
    {0xc0a80000u, 16,
	"the router's external address is private (RFC 1918): another "
	"NAT sits between it and the internet (double NAT)"},
    {0x64400000u, 10,
	"the router's external address is in the shared range of "
	"RFC 6598: the provider uses carrier-grade NAT"},
    {0x7f000000u, 8, "the router's external address is a loopback one"},
    {0xa9fe0000u, 16,
	"the router's external address is link-local: it has no "
	"address from the provider"},
    {0xc0000000u, 24,
	"the router's external address is in 192.0.0.0/24 (RFC 6890): "
	"DS-Lite or another provider NAT"},
    {0x00000000u, 8, "the router's external address is in 0.0.0.0/8"},
};

const char *
router_unreachable_reason(struct in_addr a)
{
	uint32_t h = ntohl(a.s_addr);
	size_t i;

	for (i = 0; i < sizeof(unreachable) / sizeof(unreachable[0]); i++) {
		uint32_t mask = unreachable[i].prefix == 0
				    ? 0
				    : 0xffffffffu
					  << (32 - unreachable[i].prefix);

		if ((h & mask) == unreachable[i].net)
			return unreachable[i].why;
	}
	return NULL;
}

const char *
router_upnp_error_text(int code)
{
	switch (code) {
	case 401:
		return "invalid action";
	case 402:
		return "invalid arguments";
	case 501:
		return "action failed (the router cannot forward: often a "
		       "private or carrier-grade NAT external address)";
	case 606:
		return "action not authorized";
	case 714:
		return "no such entry in the mapping table";
	case 715:
		return "the router does not accept a remote host filter";
	case 716:
		return "the router does not accept a wildcard external port";
	case 718:
		return "the port is mapped to another host already";
	case 724:
		return "the router wants the same internal and external port";
	case 725:
		return "the router accepts permanent leases only";
	case 726:
		return "the router wants a wildcard remote host";
	case 727:
		return "the router wants a wildcard external port";
	case 728:
		return "the router's mapping table is full";
	case 729:
		return "the port is in use on the router";
	default:
		return "";
	}
}

const char *
router_natpmp_result_text(int result)
{
	switch (result) {
	case 0:
		return "success";
	case 1:
		return "unsupported version";
	case 2:
		return "not authorized (the router refuses mappings)";
	case 3:
		return "network failure (the router has no usable external "
		       "address: often a private or carrier-grade NAT one)";
	case 4:
		return "out of resources";
	case 5:
		return "unsupported opcode";
	default:
		return "unknown result code";
	}
}

static bool
parse_port(const char *s, uint16_t *out)
{
	unsigned long v = 0;
	size_t i, n = strlen(s);

	if (n == 0 || n > 5)
		return false;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (v == 0 || v > 65535)
		return false;
	*out = (uint16_t)v;
	return true;
}

bool
router_entry_check(const char *client, const char *port, const char *proto,
    struct in_addr lan, unsigned prefix, struct in_addr *client_out,
    uint16_t *port_out, uint8_t *proto_out)
{
	struct in_addr a;
	uint32_t mask, h;
	uint16_t p;
	uint8_t pr;

	if (client == NULL || port == NULL || proto == NULL || prefix == 0 ||
	    prefix > 30)
		return false;
	if (!router_parse_external(client, strnlen(client, 16), &a))
		return false;
	if (!parse_port(port, &p))
		return false;
	if (strcasecmp(proto, "TCP") == 0)
		pr = IPPROTO_TCP;
	else if (strcasecmp(proto, "UDP") == 0)
		pr = IPPROTO_UDP;
	else
		return false;
	mask = 0xffffffffu << (32 - prefix);
	h = ntohl(a.s_addr);
	if ((h & mask) != (ntohl(lan.s_addr) & mask))
		return false; /* not on our LAN */
	if ((h & ~mask) == 0 || (h & ~mask) == ~mask)
		return false; /* the network or its broadcast */
	*client_out = a;
	*port_out = p;
	*proto_out = pr;
	return true;
}

bool
router_cause_new(struct router_causes *c, enum router_method m, int code)
{
	uint32_t key = ((uint32_t)m << 24) ^ (uint32_t)code;
	size_t i;

	for (i = 0; i < c->n; i++)
		if (c->key[i] == key)
			return false;
	c->key[c->next] = key;
	c->next = (c->next + 1) % ROUTER_CAUSES_MAX;
	if (c->n < ROUTER_CAUSES_MAX)
		c->n++;
	return true;
}

uint64_t
router_renew_after_ms(bool ok, uint32_t granted_s, unsigned fails)
{
	uint64_t ms;

	if (ok) {
		if (granted_s == 0 || granted_s > ROUTER_LEASE_S)
			granted_s = ROUTER_LEASE_S;
		ms = (uint64_t)granted_s * 1000 / 2;
		return ms < 1000 ? 1000 : ms;
	}
	ms = ROUTER_RETRY_MIN_MS;
	while (fails > 1 && ms < ROUTER_RETRY_MAX_MS) {
		ms *= 2;
		fails--;
	}
	return ms > ROUTER_RETRY_MAX_MS ? ROUTER_RETRY_MAX_MS : ms;
}

bool
router_pick_free(struct in_addr lan, unsigned prefix,
    const struct in_addr *exclude, size_t n_exclude, unsigned skip,
    struct in_addr *out)
{
	uint32_t mask, net, host, h;
	size_t i;

	if (prefix == 0 || prefix > 30)
		return false;
	mask = 0xffffffffu << (32 - prefix);
	net = ntohl(lan.s_addr) & mask;
	for (host = ~mask - 1; host >= 1; host--) {
		h = net | host;
		for (i = 0; i < n_exclude; i++)
			if (ntohl(exclude[i].s_addr) == h)
				break;
		if (i < n_exclude)
			continue;
		if (skip-- > 0)
			continue;
		out->s_addr = htonl(h);
		return true;
	}
	return false;
}
