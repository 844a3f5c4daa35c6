/*
 * tests/unit/test_netcfg_balance.c — the load sharing ruleset
 * (netcfg/balance.h): what the script says, for the ports, the buckets,
 * the members and the holder; its bounds. `nft -c` accepting it is
 * tests/unit/balance_nft.sh's (it needs root).
 */
#include "config.h"

#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "netcfg/balance.h"

static struct balance_conf c;
static char out[BALANCE_SCRIPT_MAX];

static void
addr(struct in_addr *a, const char *s)
{
	assert_int_equal(inet_pton(AF_INET, s, a), 1);
}

/* Three members, buckets round robin, TCP 80 and 443. */
static int
setup(void **state)
{
	char s[32];
	int b;

	(void)state;
	memset(&c, 0, sizeof(c));
	snprintf(c.table, sizeof(c.table), "qure_bal_eth0");
	addr(&c.dmz, "192.168.1.200");
	addr(&c.self, "192.168.1.11");
	c.seed = 0xabc;
	c.ports[0] = (struct balance_port){6, 80};
	c.ports[1] = (struct balance_port){6, 443};
	c.n_ports = 2;
	for (b = 0; b < BALANCE_BUCKETS; b++) {
		snprintf(s, sizeof(s), "192.168.1.%d", 11 + b % 3);
		addr(&c.bucket[b], s);
	}
	return 0;
}

static void
the_script_replaces_the_table_and_spreads_new_connections(void **state)
{
	(void)state;
	assert_true(balance_script(&c, out, sizeof(out)) > 0);
	assert_true(strncmp(out,
			"table ip qure_bal_eth0 {}\ndelete table ip "
			"qure_bal_eth0\n",
			48) == 0);
	assert_non_null(
	    strstr(out, "ip daddr 192.168.1.200 tcp dport { 80, "
			"443 } ct state new dnat to jhash ip saddr "
			"mod 256 seed 0xabc map { 0 : 192.168.1.11, "
			"1 : 192.168.1.12, 2 : 192.168.1.13, 3 :"));
	assert_non_null(strstr(out, " 255 : 192.168.1.11 }\n"));
	assert_null(strstr(out, "udp dport"));
	/* The others' answers come back through us; ours stay local. */
	assert_non_null(strstr(out, "ct status dnat ip daddr { 192.168.1.12, "
				    "192.168.1.13 } snat to 192.168.1.11 "
				    "fully-random\n"));
}

static void
the_client_port_joins_the_key_and_udp_gets_its_own_rule(void **state)
{
	(void)state;
	c.key_port = true;
	c.ports[2] = (struct balance_port){17, 53};
	c.n_ports = 3;
	assert_true(balance_script(&c, out, sizeof(out)) > 0);
	assert_non_null(strstr(out, "tcp dport { 80, 443 } ct state new dnat "
				    "to jhash ip saddr . tcp sport mod 256"));
	assert_non_null(strstr(out, "udp dport { 53 } ct state new dnat to "
				    "jhash ip saddr . udp sport mod 256"));
}

static void
a_holder_alone_keeps_every_bucket(void **state)
{
	int b;

	(void)state;
	for (b = 0; b < BALANCE_BUCKETS; b++)
		c.bucket[b] = c.self;
	assert_true(balance_script(&c, out, sizeof(out)) > 0);
	assert_non_null(strstr(out, "ip daddr { 192.168.1.11 } snat to"));
}

static void
no_port_or_too_short_a_buffer_makes_no_script(void **state)
{
	char small[100];

	(void)state;
	assert_int_equal(balance_script(&c, small, sizeof(small)), 0);
	c.n_ports = 0;
	assert_int_equal(balance_script(&c, out, sizeof(out)), 0);
	assert_true(balance_script_remove("t", small, sizeof(small)) > 0);
	assert_string_equal(small, "table ip t {}\ndelete table ip t\n");
}

static void
the_largest_script_fits_its_bound(void **state)
{
	char s[32];
	int b, i;

	(void)state;
	c.key_port = true;
	for (i = 0; i < BALANCE_MAX_PORTS; i++)
		c.ports[i] = (struct balance_port){
		    (uint8_t)(i % 2 ? 17 : 6), (uint16_t)(60000 + i)};
	c.n_ports = BALANCE_MAX_PORTS;
	for (b = 0; b < BALANCE_BUCKETS; b++) {
		snprintf(s, sizeof(s), "255.255.%d.%d", b, 255 - b % 64);
		addr(&c.bucket[b], s);
	}
	memset(c.table, 'q', sizeof(c.table) - 1);
	assert_true(balance_script(&c, out, sizeof(out)) > 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(
		the_script_replaces_the_table_and_spreads_new_connections,
		setup),
	    cmocka_unit_test_setup(
		the_client_port_joins_the_key_and_udp_gets_its_own_rule, setup),
	    cmocka_unit_test_setup(a_holder_alone_keeps_every_bucket, setup),
	    cmocka_unit_test_setup(
		no_port_or_too_short_a_buffer_makes_no_script, setup),
	    cmocka_unit_test_setup(the_largest_script_fits_its_bound, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
