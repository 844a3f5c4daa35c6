/*
 * tests/unit/test_router_core.c — dns/router_core.c: the router's answers
 * checked (good and hostile), the causes logged once, the renewal times.
 */
#include "config.h"

#include <arpa/inet.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "dns/router_core.h"

static bool
ext(const char *s, const char *want)
{
	struct in_addr a;
	char buf[INET_ADDRSTRLEN];

	if (!router_parse_external(s, strlen(s), &a))
		return false;
	inet_ntop(AF_INET, &a, buf, sizeof(buf));
	assert_string_equal(buf, want);
	return true;
}

static void
test_external_good(void **state)
{
	(void)state;
	assert_true(ext("203.0.113.5", "203.0.113.5"));
	assert_true(ext("100.64.0.1", "100.64.0.1"));
	assert_true(ext("1.2.3.4", "1.2.3.4"));
	assert_true(ext("255.255.255.254", "255.255.255.254") == false);
}

static void
test_external_bad(void **state)
{
	static const char *const bad[] = {"", "0.0.0.0", "255.255.255.255",
	    "224.0.0.1", "240.0.0.1", "1.2.3", "1.2.3.4.5", "1.2.3.256",
	    "01.2.3.4", "1.2.3.4 ", " 1.2.3.4", "1..3.4", "1.2.3.", ".1.2.3",
	    "a.b.c.d", "<html>", "1.2.3.4\n", "::1", "0x1.2.3.4", "1234.2.3.4",
	    "1.2.3.4/24", "999999999999999999999"};
	struct in_addr a = {0x5a5a5a5a};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_false(router_parse_external(bad[i], strlen(bad[i]), &a));
		assert_int_equal(a.s_addr, 0x5a5a5a5a);
	}
	/* an embedded NUL, a NULL, a long text */
	assert_false(router_parse_external("1.2.3.4\0x", 9, &a));
	assert_false(router_parse_external(NULL, 4, &a));
	assert_false(router_parse_external("1.2.3.4", 0, &a));
	assert_false(router_parse_external("111.111.111.1111", 16, &a));
}

static const char *
why(const char *s)
{
	struct in_addr a;

	assert_int_equal(inet_pton(AF_INET, s, &a), 1);
	return router_unreachable_reason(a);
}

static void
test_unreachable(void **state)
{
	(void)state;
	assert_non_null(why("10.1.2.3"));
	assert_non_null(why("172.16.0.1"));
	assert_non_null(why("172.31.255.254"));
	assert_non_null(why("192.168.1.1"));
	assert_non_null(strstr(why("100.64.0.1"), "carrier-grade"));
	assert_non_null(why("100.127.255.254"));
	assert_non_null(why("169.254.1.1"));
	assert_non_null(why("127.0.0.1"));
	assert_non_null(why("192.0.0.9"));
	assert_null(why("172.32.0.1"));
	assert_null(why("100.128.0.1"));
	assert_null(why("203.0.113.5")); /* documentation: the test beds */
	assert_null(why("8.8.8.8"));
}

static void
test_texts(void **state)
{
	(void)state;
	assert_non_null(strstr(router_upnp_error_text(501), "failed"));
	assert_non_null(strstr(router_upnp_error_text(718), "another host"));
	assert_string_equal(router_upnp_error_text(12345), "");
	assert_string_equal(router_upnp_error_text(-1), "");
	assert_non_null(strstr(router_natpmp_result_text(3), "network"));
	assert_non_null(strstr(router_natpmp_result_text(2), "authorized"));
	assert_string_equal(
	    router_natpmp_result_text(99), "unknown result code");
}

static void
test_entry(void **state)
{
	struct in_addr lan, c = {0};
	uint16_t port = 0;
	uint8_t proto = 0;

	(void)state;
	inet_pton(AF_INET, "10.88.0.11", &lan);
	assert_true(router_entry_check(
	    "10.88.0.250", "8443", "tcp", lan, 24, &c, &port, &proto));
	assert_int_equal(port, 8443);
	assert_int_equal(proto, IPPROTO_TCP);
	assert_int_equal(ntohl(c.s_addr), 0x0a5800fa);
	assert_true(router_entry_check(
	    "10.88.0.1", "53", "UDP", lan, 24, &c, &port, &proto));
	assert_int_equal(proto, IPPROTO_UDP);
	/* not on the LAN, the network, the broadcast, junk */
	assert_false(router_entry_check(
	    "8.8.8.8", "80", "TCP", lan, 24, &c, &port, &proto));
	assert_false(router_entry_check(
	    "10.88.1.5", "80", "TCP", lan, 24, &c, &port, &proto));
	assert_false(router_entry_check(
	    "10.88.0.0", "80", "TCP", lan, 24, &c, &port, &proto));
	assert_false(router_entry_check(
	    "10.88.0.255", "80", "TCP", lan, 24, &c, &port, &proto));
	assert_false(router_entry_check(
	    "10.88.0.9", "0", "TCP", lan, 24, &c, &port, &proto));
	assert_false(router_entry_check(
	    "10.88.0.9", "65536", "TCP", lan, 24, &c, &port, &proto));
	assert_false(router_entry_check(
	    "10.88.0.9", "8o", "TCP", lan, 24, &c, &port, &proto));
	assert_false(router_entry_check(
	    "10.88.0.9", "80", "SCTP", lan, 24, &c, &port, &proto));
	assert_false(router_entry_check(
	    "host", "80", "TCP", lan, 24, &c, &port, &proto));
	assert_false(
	    router_entry_check(NULL, "80", "TCP", lan, 24, &c, &port, &proto));
	assert_false(router_entry_check(
	    "10.88.0.9", "80", "TCP", lan, 0, &c, &port, &proto));
}

static void
test_causes(void **state)
{
	struct router_causes c;
	int i;

	(void)state;
	memset(&c, 0, sizeof(c));
	assert_true(router_cause_new(&c, ROUTER_UPNP, 501));
	assert_false(router_cause_new(&c, ROUTER_UPNP, 501));
	assert_true(router_cause_new(&c, ROUTER_NATPMP, 501));
	assert_true(router_cause_new(&c, ROUTER_UPNP, 718));
	assert_false(router_cause_new(&c, ROUTER_NATPMP, 501));
	/* a flood of causes stays bounded; the oldest goes */
	for (i = 0; i < 100; i++)
		router_cause_new(&c, ROUTER_NATPMP, 2000 + i);
	assert_int_equal(c.n, ROUTER_CAUSES_MAX);
	assert_true(router_cause_new(&c, ROUTER_UPNP, 501));
}

static void
test_renew(void **state)
{
	(void)state;
	assert_int_equal(router_renew_after_ms(true, 3600, 0), 1800000);
	assert_int_equal(router_renew_after_ms(true, 0, 0), 1800000);
	assert_int_equal(router_renew_after_ms(true, 100000, 0), 1800000);
	assert_int_equal(router_renew_after_ms(true, 120, 0), 60000);
	assert_int_equal(router_renew_after_ms(true, 1, 0), 1000);
	assert_int_equal(
	    router_renew_after_ms(false, 0, 1), ROUTER_RETRY_MIN_MS);
	assert_int_equal(
	    router_renew_after_ms(false, 0, 2), 2 * ROUTER_RETRY_MIN_MS);
	assert_int_equal(
	    router_renew_after_ms(false, 0, 1000), ROUTER_RETRY_MAX_MS);
}

static const char *
pick(const char *lan, unsigned prefix, const char *const *ex, size_t n,
    unsigned skip)
{
	static char buf[INET_ADDRSTRLEN];
	struct in_addr l, e[8], out;
	size_t i;

	inet_pton(AF_INET, lan, &l);
	for (i = 0; i < n; i++)
		inet_pton(AF_INET, ex[i], &e[i]);
	if (!router_pick_free(l, prefix, e, n, skip, &out))
		return "none";
	inet_ntop(AF_INET, &out, buf, sizeof(buf));
	return buf;
}

static void
test_pick_free(void **state)
{
	static const char *const ex[] = {
	    "10.88.0.254", "10.88.0.252", "10.88.0.1"};
	static const char *const all[] = {"192.168.7.1", "192.168.7.2"};

	(void)state;
	assert_string_equal(pick("10.88.0.11", 24, NULL, 0, 0), "10.88.0.254");
	assert_string_equal(pick("10.88.0.11", 24, ex, 3, 0), "10.88.0.253");
	assert_string_equal(pick("10.88.0.11", 24, ex, 3, 1), "10.88.0.251");
	assert_string_equal(pick("10.88.0.11", 23, NULL, 0, 0), "10.88.1.254");
	assert_string_equal(pick("192.168.7.1", 30, all, 2, 0), "none");
	assert_string_equal(pick("192.168.7.1", 30, all, 1, 0), "192.168.7.2");
	assert_string_equal(pick("192.168.7.1", 31, NULL, 0, 0), "none");
	assert_string_equal(pick("192.168.7.1", 0, NULL, 0, 0), "none");
	assert_string_equal(pick("10.88.0.11", 24, NULL, 0, 254), "none");
	assert_string_equal(pick("10.88.0.11", 24, NULL, 0, 253), "10.88.0.1");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_external_good),
	    cmocka_unit_test(test_external_bad),
	    cmocka_unit_test(test_unreachable),
	    cmocka_unit_test(test_texts),
	    cmocka_unit_test(test_entry),
	    cmocka_unit_test(test_causes),
	    cmocka_unit_test(test_renew),
	    cmocka_unit_test(test_pick_free),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
