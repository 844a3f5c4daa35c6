#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "netcfg/netcfg.h"

static void
a_zero_lease_still_gets_one_second(void **state)
{
	(void)state;
	assert_int_equal(netcfg_lease_secs(0), 1);
	assert_int_equal(netcfg_lease_secs(1), 1);
}

static void
leases_round_up_to_whole_seconds(void **state)
{
	(void)state;
	assert_int_equal(netcfg_lease_secs(600), 1);
	assert_int_equal(netcfg_lease_secs(999), 1);
	assert_int_equal(netcfg_lease_secs(1000), 1);
	assert_int_equal(netcfg_lease_secs(1001), 2);
	assert_int_equal(netcfg_lease_secs(2000), 2);
	assert_int_equal(netcfg_lease_secs(2001), 3);
}

static void
the_largest_lease_does_not_overflow(void **state)
{
	(void)state;
	assert_int_equal(netcfg_lease_secs(UINT32_MAX), 4294968u);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(a_zero_lease_still_gets_one_second),
	    cmocka_unit_test(leases_round_up_to_whole_seconds),
	    cmocka_unit_test(the_largest_lease_does_not_overflow),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
