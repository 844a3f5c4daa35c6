/*
 * tests/unit/test_netcfg_nd.c — the neighbour discovery codec
 * (netcfg/nd_frame.c): frames we send decode back; what a foreign host
 * sends is a conflict, what we or members send is not; bad input is
 * refused with its reason and never read past its end.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "netcfg/nd.h"

static const uint8_t dmz[16] = {
    0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x11};
static const uint8_t mine[6] = {2, 0, 0, 0, 1, 1};
static const uint8_t theirs[6] = {2, 0, 0, 0, 9, 9};

/* The ICMPv6 checksum of a frame, set again after a test changed it. */
static void
fix_sum(uint8_t *f, size_t len)
{
	uint8_t *ip = f + 14, *m = ip + 40;
	size_t plen = (size_t)(ip[4] << 8 | ip[5]), i;
	uint32_t sum = 0;

	(void)len;
	m[2] = m[3] = 0;
	for (i = 8; i < 40; i += 2)
		sum += (uint32_t)(ip[i] << 8 | ip[i + 1]);
	sum += (uint32_t)plen + 58;
	for (i = 0; i + 1 < plen; i += 2)
		sum += (uint32_t)(m[i] << 8 | m[i + 1]);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	sum = ~sum & 0xffff;
	m[2] = (uint8_t)(sum >> 8);
	m[3] = (uint8_t)sum;
}

static void
a_probe_is_a_dad_ns_to_the_solicited_node_group(void **state)
{
	uint8_t f[NETCFG_ND_FRAME_MAX];
	struct netcfg_nd nd;
	static const uint8_t sn[16] = {
	    0xff, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xff, 0, 0, 0x11};
	size_t len;

	(void)state;
	len = netcfg_nd_encode_probe(mine, dmz, f, sizeof(f));
	assert_int_equal(len, 78);
	assert_int_equal(netcfg_nd_decode(f, len, &nd), NETCFG_ND_OK);
	assert_int_equal(nd.type, NETCFG_ND_NS);
	assert_memory_equal(nd.target, dmz, 16);
	assert_memory_equal(nd.dst, sn, 16);
	assert_memory_equal(f, "\x33\x33\xff\x00\x00\x11", 6);
	assert_false(nd.has_lla); /* RFC 4862: none from :: */
	/* Ours is no conflict; the same from another host is (a DAD race). */
	assert_false(netcfg_nd_is_conflict(&nd, dmz, mine, NULL, 0));
	assert_true(netcfg_nd_is_conflict(&nd, dmz, theirs, NULL, 0));
	assert_int_equal(netcfg_nd_encode_probe(mine, dmz, f, 10), 0);
}

static void
an_announce_is_an_override_na_to_all_nodes(void **state)
{
	uint8_t f[NETCFG_ND_FRAME_MAX];
	struct netcfg_nd nd;
	size_t len;

	(void)state;
	len = netcfg_nd_encode_announce(mine, dmz, f, sizeof(f));
	assert_int_equal(len, NETCFG_ND_FRAME_MAX);
	assert_int_equal(netcfg_nd_decode(f, len, &nd), NETCFG_ND_OK);
	assert_int_equal(nd.type, NETCFG_ND_NA);
	assert_int_equal(nd.flags, NETCFG_ND_OVERRIDE);
	assert_true(nd.has_lla);
	assert_memory_equal(nd.lla, mine, 6);
	assert_memory_equal(nd.src, dmz, 16);
	/* An NA for the address from a foreign host: the probe's conflict,
	 * named by its target link-layer option. */
	assert_false(netcfg_nd_is_conflict(&nd, dmz, mine, NULL, 0));
	assert_true(netcfg_nd_is_conflict(&nd, dmz, theirs, NULL, 0));
	assert_memory_equal(netcfg_nd_sender(&nd), mine, 6);
	/* A member answering (the old holder) is none. */
	assert_false(netcfg_nd_is_conflict(
	    &nd, dmz, theirs, (const uint8_t(*)[6])mine, 1));
	/* Another address: none. */
	f[14 + 40 + 8 + 15] ^= 1;
	fix_sum(f, len);
	assert_int_equal(netcfg_nd_decode(f, len, &nd), NETCFG_ND_OK);
	assert_false(netcfg_nd_is_conflict(&nd, dmz, theirs, NULL, 0));
}

static void
a_neighbour_asking_is_no_conflict(void **state)
{
	uint8_t f[NETCFG_ND_FRAME_MAX];
	struct netcfg_nd nd;
	size_t len;

	(void)state;
	len = netcfg_nd_encode_probe(theirs, dmz, f, sizeof(f));
	assert_int_equal(netcfg_nd_decode(f, len, &nd), NETCFG_ND_OK);
	nd.src[0] = 0xfe; /* an NS from a real address: resolution */
	nd.src[1] = 0x80;
	assert_false(netcfg_nd_is_conflict(&nd, dmz, mine, NULL, 0));
}

static void
bad_frames_are_refused_with_their_reason(void **state)
{
	uint8_t f[NETCFG_ND_FRAME_MAX + 8], g[NETCFG_ND_FRAME_MAX + 8];
	struct netcfg_nd nd;
	size_t len, i;

	(void)state;
	len = netcfg_nd_encode_announce(mine, dmz, f, sizeof(f));
	/* Every cut short is truncated (or not IPv6 before the header). */
	for (i = 0; i < len; i++)
		assert_int_not_equal(netcfg_nd_decode(f, i, &nd), NETCFG_ND_OK);
	/* Padding after the payload is fine. */
	memset(f + len, 0, 8);
	assert_int_equal(netcfg_nd_decode(f, len + 8, &nd), NETCFG_ND_OK);
	memcpy(g, f, len);
	g[12] = 0x08; /* IPv4 */
	g[13] = 0x00;
	assert_int_equal(netcfg_nd_decode(g, len, &nd), NETCFG_ND_NOT_IPV6);
	memcpy(g, f, len);
	g[20] = 17; /* UDP */
	assert_int_equal(netcfg_nd_decode(g, len, &nd), NETCFG_ND_NOT_ICMP);
	memcpy(g, f, len);
	g[21] = 64; /* routed */
	assert_int_equal(netcfg_nd_decode(g, len, &nd), NETCFG_ND_HOPLIMIT);
	memcpy(g, f, len);
	g[54] = 128; /* echo request */
	assert_int_equal(netcfg_nd_decode(g, len, &nd), NETCFG_ND_TYPE);
	memcpy(g, f, len);
	g[60] ^= 0x40; /* a flag bit: the sum is wrong */
	assert_int_equal(netcfg_nd_decode(g, len, &nd), NETCFG_ND_CHECKSUM);
	memcpy(g, f, len);
	g[78 + 1] = 0; /* option length 0 would loop forever */
	fix_sum(g, len);
	assert_int_equal(netcfg_nd_decode(g, len, &nd), NETCFG_ND_OPTION);
	memcpy(g, f, len);
	g[78 + 1] = 2; /* an option past the end */
	fix_sum(g, len);
	assert_int_equal(netcfg_nd_decode(g, len, &nd), NETCFG_ND_OPTION);
	memcpy(g, f, len);
	g[19] = 200; /* payload longer than the frame */
	assert_int_equal(netcfg_nd_decode(g, len, &nd), NETCFG_ND_TRUNCATED);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(a_probe_is_a_dad_ns_to_the_solicited_node_group),
	    cmocka_unit_test(an_announce_is_an_override_na_to_all_nodes),
	    cmocka_unit_test(a_neighbour_asking_is_no_conflict),
	    cmocka_unit_test(bad_frames_are_refused_with_their_reason),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
