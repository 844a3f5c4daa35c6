#include "config.h"

#include "netcfg/netcfg_int.h"

#include <string.h>

/* RFC 826 fields for Ethernet (htype 1) carrying IPv4 (ptype 0x0800). */
#define ARP_HTYPE_ETHER 1
#define ARP_PTYPE_IPV4 0x0800

static uint16_t
get_be16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

static void
put_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

enum netcfg_arp_err
netcfg_arp_decode(const uint8_t *buf, size_t len, struct netcfg_arp *out)
{
	uint16_t op;

	if (buf == NULL || len < NETCFG_ARP_LEN)
		return NETCFG_ARP_TRUNCATED;
	if (get_be16(buf) != ARP_HTYPE_ETHER)
		return NETCFG_ARP_HTYPE;
	if (get_be16(buf + 2) != ARP_PTYPE_IPV4)
		return NETCFG_ARP_PTYPE;
	if (buf[4] != 6)
		return NETCFG_ARP_HLEN;
	if (buf[5] != 4)
		return NETCFG_ARP_PLEN;
	op = get_be16(buf + 6);
	if (op != NETCFG_ARP_REQUEST && op != NETCFG_ARP_REPLY)
		return NETCFG_ARP_OP;
	out->op = op;
	memcpy(out->sha, buf + 8, 6);
	memcpy(out->spa, buf + 14, 4);
	memcpy(out->tha, buf + 18, 6);
	memcpy(out->tpa, buf + 24, 4);
	return NETCFG_ARP_OK;
}

size_t
netcfg_arp_encode(const struct netcfg_arp *a, uint8_t *buf, size_t len)
{
	if (len < NETCFG_ARP_LEN)
		return 0;
	put_be16(buf, ARP_HTYPE_ETHER);
	put_be16(buf + 2, ARP_PTYPE_IPV4);
	buf[4] = 6;
	buf[5] = 4;
	put_be16(buf + 6, a->op);
	memcpy(buf + 8, a->sha, 6);
	memcpy(buf + 14, a->spa, 4);
	memcpy(buf + 18, a->tha, 6);
	memcpy(buf + 24, a->tpa, 4);
	return NETCFG_ARP_LEN;
}
