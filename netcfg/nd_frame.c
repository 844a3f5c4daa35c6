/*
 * netcfg/nd_frame.c — the neighbour discovery codec (nd.h): pure, no
 * sockets. Offsets are the fixed IPv6 header's: a frame with extension
 * headers is not an NS or NA we act on (RFC 4861 frames have none).
 */
#include "config.h"

#include "netcfg/nd.h"

#include <string.h>

#define ETH_LEN 14
#define IP6_LEN 40
#define ND_LEN 24 /* type, code, checksum, flags/reserved, target */
#define OPT_SLLA 1
#define OPT_TLLA 2

static uint16_t
rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t
rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

/* The ICMPv6 checksum (RFC 4443 2.3) over the pseudo-header and msg. */
static uint16_t
checksum(const uint8_t src[16], const uint8_t dst[16], const uint8_t *msg,
    size_t len)
{
	uint32_t sum = 0;
	size_t i;

	for (i = 0; i < 16; i += 2)
		sum += rd16(src + i) + rd16(dst + i);
	sum += (uint32_t)len; /* upper-layer length (< 65536 here) */
	sum += 58;	      /* next header */
	for (i = 0; i + 1 < len; i += 2)
		sum += rd16(msg + i);
	if (len & 1)
		sum += (uint32_t)msg[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

enum netcfg_nd_err
netcfg_nd_decode(const uint8_t *f, size_t len, struct netcfg_nd *out)
{
	const uint8_t *ip = f + ETH_LEN, *m = ip + IP6_LEN, *o;
	size_t plen, olen;

	if (len < ETH_LEN + IP6_LEN)
		return NETCFG_ND_TRUNCATED;
	if (rd16(f + 12) != 0x86dd || (ip[0] >> 4) != 6)
		return NETCFG_ND_NOT_IPV6;
	if (ip[6] != 58)
		return NETCFG_ND_NOT_ICMP;
	plen = rd16(ip + 4);
	if (plen > len - ETH_LEN - IP6_LEN)
		return NETCFG_ND_TRUNCATED;
	if (plen < ND_LEN)
		return plen >= 1 && m[0] != NETCFG_ND_NS && m[0] != NETCFG_ND_NA
			   ? NETCFG_ND_TYPE
			   : NETCFG_ND_TRUNCATED;
	if ((m[0] != NETCFG_ND_NS && m[0] != NETCFG_ND_NA) || m[1] != 0)
		return NETCFG_ND_TYPE;
	if (ip[7] != 255)
		return NETCFG_ND_HOPLIMIT;
	if (checksum(ip + 8, ip + 24, m, plen) != 0)
		return NETCFG_ND_CHECKSUM;
	memset(out, 0, sizeof(*out));
	out->type = m[0];
	memcpy(out->eth_src, f + 6, 6);
	memcpy(out->src, ip + 8, 16);
	memcpy(out->dst, ip + 24, 16);
	memcpy(out->target, m + 8, 16);
	if (out->type == NETCFG_ND_NA)
		out->flags =
		    rd32(m + 4) & (NETCFG_ND_ROUTER | NETCFG_ND_SOLICITED |
				      NETCFG_ND_OVERRIDE);
	for (o = m + ND_LEN, olen = plen - ND_LEN; olen > 0;) {
		size_t n;

		if (olen < 2 || o[1] == 0 || (size_t)o[1] * 8 > olen)
			return NETCFG_ND_OPTION;
		n = (size_t)o[1] * 8;
		if (n >= 8 &&
		    ((out->type == NETCFG_ND_NS && o[0] == OPT_SLLA) ||
			(out->type == NETCFG_ND_NA && o[0] == OPT_TLLA))) {
			out->has_lla = true;
			memcpy(out->lla, o + 2, 6);
		}
		o += n;
		olen -= n;
	}
	return NETCFG_ND_OK;
}

/* The frame around an NS/NA message m of mlen bytes; returns its length. */
static size_t
frame(uint8_t *buf, const uint8_t mac[6], const uint8_t src[16],
    const uint8_t dst[16], size_t mlen)
{
	uint8_t *ip = buf + ETH_LEN, *m = ip + IP6_LEN;
	uint16_t sum;

	/* Ethernet: to the IPv6 multicast MAC 33:33 + the last 32 bits. */
	buf[0] = 0x33;
	buf[1] = 0x33;
	memcpy(buf + 2, dst + 12, 4);
	memcpy(buf + 6, mac, 6);
	buf[12] = 0x86;
	buf[13] = 0xdd;
	memset(ip, 0, IP6_LEN);
	ip[0] = 0x60;
	ip[4] = (uint8_t)(mlen >> 8);
	ip[5] = (uint8_t)mlen;
	ip[6] = 58;
	ip[7] = 255;
	memcpy(ip + 8, src, 16);
	memcpy(ip + 24, dst, 16);
	m[2] = m[3] = 0;
	sum = checksum(src, dst, m, mlen);
	m[2] = (uint8_t)(sum >> 8);
	m[3] = (uint8_t)sum;
	return ETH_LEN + IP6_LEN + mlen;
}

size_t
netcfg_nd_encode_probe(
    const uint8_t mac[6], const uint8_t target[16], uint8_t *buf, size_t len)
{
	static const uint8_t any[16] = {0};
	uint8_t dst[16] = {0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xff};
	uint8_t *m = buf + ETH_LEN + IP6_LEN;

	if (len < NETCFG_ND_FRAME_MAX)
		return 0;
	memcpy(dst + 13, target + 13, 3); /* ff02::1:ffXX:XXXX */
	memset(m, 0, ND_LEN);
	m[0] = NETCFG_ND_NS;
	memcpy(m + 8, target, 16);
	return frame(buf, mac, any, dst, ND_LEN);
}

size_t
netcfg_nd_encode_announce(
    const uint8_t mac[6], const uint8_t target[16], uint8_t *buf, size_t len)
{
	static const uint8_t all[16] = {
	    0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
	uint8_t *m = buf + ETH_LEN + IP6_LEN;

	if (len < NETCFG_ND_FRAME_MAX)
		return 0;
	memset(m, 0, ND_LEN + 8);
	m[0] = NETCFG_ND_NA;
	m[4] = NETCFG_ND_OVERRIDE >> 24;
	memcpy(m + 8, target, 16);
	m[ND_LEN] = OPT_TLLA;
	m[ND_LEN + 1] = 1;
	memcpy(m + ND_LEN + 2, mac, 6);
	return frame(buf, mac, target, all, ND_LEN + 8);
}

const uint8_t *
netcfg_nd_sender(const struct netcfg_nd *nd)
{
	return nd->has_lla ? nd->lla : nd->eth_src;
}

bool
netcfg_nd_is_conflict(const struct netcfg_nd *nd, const uint8_t target[16],
    const uint8_t mac[6], const uint8_t (*members)[6], size_t n_members)
{
	static const uint8_t any[16] = {0};
	const uint8_t *who = netcfg_nd_sender(nd);
	size_t i;

	if (memcmp(nd->target, target, 16) != 0)
		return false;
	if (nd->type == NETCFG_ND_NS && memcmp(nd->src, any, 16) != 0)
		return false; /* a neighbour asking, not claiming */
	if (memcmp(who, mac, 6) == 0 || memcmp(nd->eth_src, mac, 6) == 0)
		return false;
	for (i = 0; i < n_members; i++)
		if (memcmp(who, members[i], 6) == 0)
			return false;
	return true;
}
