#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "netcfg/netcfg_int.h"

static void
a_short_interface_name_gets_qv_and_the_name(void **state)
{
	char out[NETCFG_IFNAME_MAX];

	(void)state;
	netcfg_vmac_name("eth0", out);
	assert_string_equal(out, "qv-eth0");
	netcfg_vmac_name("enp0s31f6abc", out); /* 12 bytes: still fits */
	assert_string_equal(out, "qv-enp0s31f6abc");
}

static void
a_long_name_is_cut_and_hashed_and_fits_ifnamsiz(void **state)
{
	char a[NETCFG_IFNAME_MAX], b[NETCFG_IFNAME_MAX];

	(void)state;
	netcfg_vmac_name("enx00e04c680001", a); /* 15 bytes, the most */
	netcfg_vmac_name("enx00e04c680002", b);
	assert_int_equal(strlen(a), 15);
	assert_int_equal(strncmp(a, "qv-enx00e0", 10), 0);
	/* Same beginning, two names: two macvlans. */
	assert_string_not_equal(a, b);
	netcfg_vmac_name("enx00e04c680001", b);
	assert_string_equal(a, b); /* found again after a restart */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(a_short_interface_name_gets_qv_and_the_name),
	    cmocka_unit_test(a_long_name_is_cut_and_hashed_and_fits_ifnamsiz),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
