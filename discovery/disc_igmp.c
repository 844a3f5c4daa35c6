/*
 * discovery/disc_igmp.c — the IGMP membership report parser (pure: no
 * sockets, no clock). Input is what a raw IPPROTO_IGMP socket reads: the
 * IPv4 header, then the IGMP message (RFC 1112, RFC 2236, RFC 3376).
 * Bytes from the network: read at checked offsets only, big-endian by
 * hand, never cast to a struct.
 */
#include "config.h"

#include "discovery/discovery.h"

#include <string.h>

#define IGMP_QUERY 0x11
#define IGMP_V1_REPORT 0x12
#define IGMP_V2_REPORT 0x16
#define IGMP_V2_LEAVE 0x17
#define IGMP_V3_REPORT 0x22

/* RFC 3376 §4.2.12 */
#define REC_IS_IN 1
#define REC_IS_EX 2
#define REC_TO_IN 3
#define REC_TO_EX 4
#define REC_ALLOW 5
#define REC_BLOCK 6

static uint16_t
get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* The Internet checksum (RFC 1071) over len bytes: 0 when it verifies. */
static uint16_t
inet_csum(const uint8_t *p, size_t len)
{
	uint32_t sum = 0;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += get16(p + i);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* What one v3 group record says of the group: JOIN, LEAVE or OTHER. */
static enum disc_igmp_result
record_says(uint8_t type, uint16_t n_src)
{
	switch (type) {
	case REC_IS_EX:
	case REC_TO_EX:
		return DISC_IGMP_JOIN;
	case REC_IS_IN:
	case REC_ALLOW:
		return n_src > 0 ? DISC_IGMP_JOIN : DISC_IGMP_OTHER;
	case REC_TO_IN:
		return n_src > 0 ? DISC_IGMP_JOIN : DISC_IGMP_LEAVE;
	case REC_BLOCK:
		return DISC_IGMP_OTHER;
	}
	return DISC_IGMP_MALFORMED;
}

/*
 * An IGMPv3 report (RFC 3376 §4.2): 8 bytes of header, then n group
 * records of 8 bytes + 4 per source + 4 per aux word. Every record is
 * checked, also after one for the group, so a report is malformed or not
 * whatever it names first.
 */
static enum disc_igmp_result
parse_v3(const uint8_t *p, size_t len, struct in_addr group)
{
	enum disc_igmp_result r = DISC_IGMP_OTHER, says;
	size_t off = 8, need, i, n_rec;
	uint16_t n_src;

	if (len < 8)
		return DISC_IGMP_MALFORMED;
	n_rec = get16(p + 6);
	for (i = 0; i < n_rec; i++) {
		if (len - off < 8)
			return DISC_IGMP_MALFORMED;
		n_src = get16(p + off + 2);
		need = 8 + 4 * (size_t)n_src + 4 * (size_t)p[off + 1];
		if (len - off < need)
			return DISC_IGMP_MALFORMED;
		says = record_says(p[off], n_src);
		if (says == DISC_IGMP_MALFORMED)
			return says;
		if (memcmp(p + off + 4, &group, 4) == 0 &&
		    r != DISC_IGMP_JOIN && says != DISC_IGMP_OTHER)
			r = says;
		off += need;
	}
	return r;
}

static enum disc_igmp_result
parse_igmp(const uint8_t *p, size_t len, struct in_addr group, uint8_t *ver)
{
	bool ours = len >= 8 && memcmp(p + 4, &group, 4) == 0;

	if (len < 8 || inet_csum(p, len) != 0)
		return DISC_IGMP_MALFORMED;
	switch (p[0]) {
	case IGMP_QUERY:
		return DISC_IGMP_OTHER;
	case IGMP_V1_REPORT:
	case IGMP_V2_REPORT:
		*ver = p[0] == IGMP_V1_REPORT ? 1 : 2;
		return ours ? DISC_IGMP_JOIN : DISC_IGMP_OTHER;
	case IGMP_V2_LEAVE:
		*ver = 2;
		return ours ? DISC_IGMP_LEAVE : DISC_IGMP_OTHER;
	case IGMP_V3_REPORT:
		*ver = 3;
		return parse_v3(p, len, group);
	}
	return DISC_IGMP_MALFORMED;
}

enum disc_igmp_result
disc_igmp_parse(const uint8_t *buf, size_t len, struct in_addr group,
    struct disc_igmp_report *out)
{
	enum disc_igmp_result r;
	size_t ihl, total;
	uint8_t ver = 0;

	memset(out, 0, sizeof(*out));
	if (len < 20 || (buf[0] >> 4) != 4 || buf[9] != 2 /* IPPROTO_IGMP */)
		return DISC_IGMP_MALFORMED;
	ihl = (size_t)(buf[0] & 0x0f) * 4;
	total = get16(buf + 2);
	/* Raw sockets hand up the datagram whole: a total length that
	 * disagrees is a forged or truncated one. A fragment (MF or an
	 * offset) would not be a whole IGMP message either. */
	if (ihl < 20 || total < ihl || total > len || (get16(buf + 6) & 0x3fff))
		return DISC_IGMP_MALFORMED;
	r = parse_igmp(buf + ihl, total - ihl, group, &ver);
	if (r != DISC_IGMP_JOIN && r != DISC_IGMP_LEAVE)
		return r;
	memcpy(&out->src, buf + 12, 4);
	if (out->src.s_addr == 0) /* RFC 3376 §4.2.13: no address yet */
		return DISC_IGMP_OTHER;
	out->version = ver;
	return r;
}
