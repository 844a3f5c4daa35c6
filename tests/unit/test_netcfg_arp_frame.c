#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "netcfg/netcfg_int.h"

/* A reply: 10.0.0.11 is at 02:00:00:00:00:0b, to 02..0c / 10.0.0.12. */
static const uint8_t REPLY[NETCFG_ARP_LEN] = {0x00, 0x01, 0x08, 0x00, 6, 4,
    0x00, 0x02, 0x02, 0, 0, 0, 0, 0x0b, 10, 0, 0, 11, 0x02, 0, 0, 0, 0, 0x0c,
    10, 0, 0, 12};

static void
a_reply_decodes_into_its_fields(void **state)
{
	struct netcfg_arp a;
	const uint8_t sha[6] = {0x02, 0, 0, 0, 0, 0x0b};
	const uint8_t spa[4] = {10, 0, 0, 11};

	(void)state;
	assert_int_equal(
	    netcfg_arp_decode(REPLY, sizeof(REPLY), &a), NETCFG_ARP_OK);
	assert_int_equal(a.op, NETCFG_ARP_REPLY);
	assert_memory_equal(a.sha, sha, 6);
	assert_memory_equal(a.spa, spa, 4);
	assert_int_equal(a.tha[5], 0x0c);
	assert_int_equal(a.tpa[3], 12);
}

static void
encode_then_decode_gives_the_same_frame(void **state)
{
	struct netcfg_arp a, b;
	uint8_t buf[64];

	(void)state;
	assert_int_equal(
	    netcfg_arp_decode(REPLY, sizeof(REPLY), &a), NETCFG_ARP_OK);
	assert_int_equal(
	    netcfg_arp_encode(&a, buf, sizeof(buf)), NETCFG_ARP_LEN);
	assert_memory_equal(buf, REPLY, NETCFG_ARP_LEN);
	assert_int_equal(
	    netcfg_arp_decode(buf, NETCFG_ARP_LEN, &b), NETCFG_ARP_OK);
	assert_memory_equal(&a, &b, sizeof(a));
}

static void
encode_refuses_a_short_buffer(void **state)
{
	struct netcfg_arp a;
	uint8_t buf[NETCFG_ARP_LEN - 1];

	(void)state;
	memset(&a, 0, sizeof(a));
	a.op = NETCFG_ARP_REQUEST;
	assert_int_equal(netcfg_arp_encode(&a, buf, sizeof(buf)), 0);
}

static void
every_truncation_is_rejected(void **state)
{
	struct netcfg_arp a;
	size_t len;

	(void)state;
	for (len = 0; len < NETCFG_ARP_LEN; len++)
		assert_int_equal(
		    netcfg_arp_decode(REPLY, len, &a), NETCFG_ARP_TRUNCATED);
	assert_int_equal(netcfg_arp_decode(NULL, 0, &a), NETCFG_ARP_TRUNCATED);
}

static void
ethernet_padding_after_the_frame_is_accepted(void **state)
{
	uint8_t buf[46] = {0};
	struct netcfg_arp a;

	(void)state;
	memcpy(buf, REPLY, sizeof(REPLY));
	assert_int_equal(
	    netcfg_arp_decode(buf, sizeof(buf), &a), NETCFG_ARP_OK);
}

/* Decodes REPLY with byte i set to v. */
static enum netcfg_arp_err
decode_with(size_t i, uint8_t v)
{
	uint8_t buf[NETCFG_ARP_LEN];
	struct netcfg_arp a;

	memcpy(buf, REPLY, sizeof(buf));
	buf[i] = v;
	return netcfg_arp_decode(buf, sizeof(buf), &a);
}

static void
wrong_header_fields_are_rejected_each_with_its_reason(void **state)
{
	(void)state;
	assert_int_equal(decode_with(1, 6), NETCFG_ARP_HTYPE); /* IEEE802 */
	assert_int_equal(decode_with(0, 1), NETCFG_ARP_HTYPE);
	assert_int_equal(decode_with(2, 0x86), NETCFG_ARP_PTYPE); /* 86dd */
	assert_int_equal(decode_with(3, 0x06), NETCFG_ARP_PTYPE);
	assert_int_equal(decode_with(4, 8), NETCFG_ARP_HLEN);
	assert_int_equal(decode_with(4, 0), NETCFG_ARP_HLEN);
	assert_int_equal(decode_with(5, 16), NETCFG_ARP_PLEN);
	assert_int_equal(decode_with(7, 0), NETCFG_ARP_OP);
	assert_int_equal(decode_with(7, 3), NETCFG_ARP_OP); /* RARP */
	assert_int_equal(decode_with(6, 1), NETCFG_ARP_OP);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(a_reply_decodes_into_its_fields),
	    cmocka_unit_test(encode_then_decode_gives_the_same_frame),
	    cmocka_unit_test(encode_refuses_a_short_buffer),
	    cmocka_unit_test(every_truncation_is_rejected),
	    cmocka_unit_test(ethernet_padding_after_the_frame_is_accepted),
	    cmocka_unit_test(
		wrong_header_fields_are_rejected_each_with_its_reason),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
