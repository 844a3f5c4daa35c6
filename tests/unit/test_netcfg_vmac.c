#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "netcfg/netcfg_int.h"

static const uint8_t dmz[4] = {192, 168, 1, 200};

static void
a_short_interface_name_gets_qv_the_dmz_byte_and_the_name(void **state)
{
	static const uint8_t dmz2[4] = {10, 0, 0, 7};
	char out[NETCFG_IFNAME_MAX];

	(void)state;
	netcfg_vmac_name("eth0", dmz, out);
	assert_string_equal(out, "qv200-eth0");
	netcfg_vmac_name("eth0", dmz2, out); /* another site, same if */
	assert_string_equal(out, "qv7-eth0");
	netcfg_vmac_name("enp0s31f6", dmz, out); /* 15 bytes: still fits */
	assert_string_equal(out, "qv200-enp0s31f6");
}

static void
a_long_name_is_hashed_and_fits_ifnamsiz(void **state)
{
	char a[NETCFG_IFNAME_MAX], b[NETCFG_IFNAME_MAX];

	(void)state;
	netcfg_vmac_name("enx00e04c680001", dmz, a); /* 15 bytes, the most */
	netcfg_vmac_name("enx00e04c680002", dmz, b);
	assert_int_equal(strlen(a), 10);
	assert_int_equal(strncmp(a, "qv", 2), 0);
	/* Same beginning, two names: two macvlans. */
	assert_string_not_equal(a, b);
	netcfg_vmac_name("enx00e04c680001", dmz, b);
	assert_string_equal(a, b); /* found again after a restart */
	netcfg_vmac_name("enp0s31f6a", dmz, a); /* one byte too many */
	assert_int_equal(strlen(a), 10);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(
		a_short_interface_name_gets_qv_the_dmz_byte_and_the_name),
	    cmocka_unit_test(a_long_name_is_hashed_and_fits_ifnamsiz),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
