/* The holder's defence of the DMZ address (netcfg/arp_defend.c). */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "netcfg/netcfg_int.h"

static const uint8_t ip[4] = {192, 168, 1, 200};
static const uint8_t ours[6] = {2, 0, 0, 0, 1, 1};
static const uint8_t members[2][6] = {{2, 0, 0, 0, 1, 2}, {2, 0, 0, 0, 1, 3}};
static const uint8_t foreign[6] = {2, 0, 0, 0, 9, 9};

static struct netcfg_arp
frame(const uint8_t *sha, const uint8_t *spa)
{
	struct netcfg_arp a;

	memset(&a, 0, sizeof(a));
	a.op = NETCFG_ARP_REQUEST;
	memcpy(a.sha, sha, 6);
	memcpy(a.spa, spa, 4);
	memcpy(a.tpa, ip, 4);
	return a;
}

static bool
conflict(const struct netcfg_arp *a)
{
	return netcfg_defend_is_conflict(a, ip, ours, members, 2);
}

static void
a_foreign_host_sending_as_our_address_is_a_conflict(void **state)
{
	struct netcfg_arp a = frame(foreign, ip);

	(void)state;
	assert_true(conflict(&a));
	a.op = NETCFG_ARP_REPLY;
	assert_true(conflict(&a));
}

static void
our_own_frames_and_members_frames_are_not(void **state)
{
	struct netcfg_arp a = frame(ours, ip);

	(void)state;
	assert_false(conflict(&a));
	a = frame(members[0], ip);
	assert_false(conflict(&a));
	a = frame(members[1], ip);
	assert_false(conflict(&a));
}

static void
a_probe_or_another_sender_address_is_not(void **state)
{
	static const uint8_t zero[4], other[4] = {192, 168, 1, 7};
	struct netcfg_arp a = frame(foreign, zero);

	(void)state;
	assert_false(conflict(&a));
	a = frame(foreign, other);
	assert_false(conflict(&a));
}

static void
the_first_conflict_is_defended_at_once(void **state)
{
	struct netcfg_defend d = {0, 0};

	(void)state;
	assert_int_equal(
	    netcfg_defend_on_conflict(&d, 5000), NETCFG_DEFEND_ANNOUNCE);
}

static void
a_repeat_inside_the_interval_is_reported_once_not_answered(void **state)
{
	struct netcfg_defend d = {0, 0};

	(void)state;
	netcfg_defend_on_conflict(&d, 5000);
	assert_int_equal(
	    netcfg_defend_on_conflict(&d, 5100), NETCFG_DEFEND_AGAIN);
	assert_int_equal(
	    netcfg_defend_on_conflict(&d, 5200), NETCFG_DEFEND_QUIET);
	assert_int_equal(
	    netcfg_defend_on_conflict(&d, 14999), NETCFG_DEFEND_QUIET);
}

static void
after_the_interval_it_defends_again(void **state)
{
	struct netcfg_defend d = {0, 0};

	(void)state;
	netcfg_defend_on_conflict(&d, 5000);
	netcfg_defend_on_conflict(&d, 5100);
	assert_int_equal(
	    netcfg_defend_on_conflict(&d, 15000), NETCFG_DEFEND_ANNOUNCE);
	assert_int_equal(
	    netcfg_defend_on_conflict(&d, 15001), NETCFG_DEFEND_AGAIN);
}

static void
a_conflict_at_time_zero_still_counts(void **state)
{
	struct netcfg_defend d = {0, 0};

	(void)state;
	assert_int_equal(
	    netcfg_defend_on_conflict(&d, 0), NETCFG_DEFEND_ANNOUNCE);
	assert_int_equal(netcfg_defend_on_conflict(&d, 1), NETCFG_DEFEND_AGAIN);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(
		a_foreign_host_sending_as_our_address_is_a_conflict),
	    cmocka_unit_test(our_own_frames_and_members_frames_are_not),
	    cmocka_unit_test(a_probe_or_another_sender_address_is_not),
	    cmocka_unit_test(the_first_conflict_is_defended_at_once),
	    cmocka_unit_test(
		a_repeat_inside_the_interval_is_reported_once_not_answered),
	    cmocka_unit_test(after_the_interval_it_defends_again),
	    cmocka_unit_test(a_conflict_at_time_zero_still_counts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
