/*
 * tests/unit/test_dmz_auto.c — src/dmz_auto_core.c, the pure half of
 * [dmz] address = auto: the state dir's `dmz` file (good, hand-edited,
 * hostile), /proc/net/route lines, what members say (on and off our LAN,
 * holder beats HELLO), and the order of the choice: members, router,
 * file, a free address.
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

#include "election/election.h"
#include "src/dmz_auto.h"

static struct in_addr
ip(const char *s)
{
	struct in_addr a;

	assert_int_equal(inet_pton(AF_INET, s, &a), 1);
	return a;
}

static const char *
str(struct in_addr a)
{
	static char buf[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &a, buf, sizeof(buf));
	return buf;
}

static int
parse(const char *text, struct dmz_choice *c, char *err, size_t errlen)
{
	return dmz_file_parse(text, strlen(text), c, err, errlen);
}

static void
test_file_round_trip(void **state)
{
	struct dmz_choice c = {ip("192.168.1.254"), 24, DMZ_SRC_ROUTER}, back;
	char buf[256], err[160];
	size_t n;

	(void)state;
	n = dmz_file_format(&c, buf, sizeof(buf));
	assert_true(n > 0);
	assert_int_equal(dmz_file_parse(buf, n, &back, err, sizeof(err)), 0);
	assert_string_equal(str(back.addr), "192.168.1.254");
	assert_int_equal(back.prefix, 24);
	assert_int_equal(back.source, DMZ_SRC_ROUTER);
	c.source = DMZ_SRC_CHOSEN;
	n = dmz_file_format(&c, buf, sizeof(buf));
	assert_int_equal(dmz_file_parse(buf, n, &back, err, sizeof(err)), 0);
	assert_int_equal(back.source, DMZ_SRC_CHOSEN);
	/* Too small a buffer: nothing, not a cut file. */
	assert_int_equal(dmz_file_format(&c, buf, 20), 0);
	/* Hand-edited: CRLF, comments, blank lines, any order. */
	assert_int_equal(parse("\r\n# x\nsource=chosen\r\n\naddress=10.0.0.9/8",
			     &back, err, sizeof(err)),
	    0);
	assert_string_equal(str(back.addr), "10.0.0.9");
	assert_int_equal(back.prefix, 8);
}

static void
test_file_bad(void **state)
{
	static const char *const bad[] = {
	    "",
	    "address=192.168.1.254/24\n",
	    "source=router\n",
	    "address=192.168.1.254/24\nsource=config\n",
	    "address=192.168.1.254/24\nsource=Router\n",
	    "address=192.168.1.254/24\nsource=router\nsource=router\n",
	    "address=192.168.1.254/24\naddress=192.168.1.253/24\n"
	    "source=router\n",
	    "address=192.168.1.254\nsource=router\n",
	    "address=192.168.1.254/31\nsource=router\n",
	    "address=192.168.1.254/0\nsource=router\n",
	    "address=192.168.1.254/024\nsource=router\n",
	    "address=192.168.1.254/24x\nsource=router\n",
	    "address=192.168.1.255/24\nsource=router\n",
	    "address=192.168.1.0/24\nsource=router\n",
	    "address=0.0.0.0/24\nsource=router\n",
	    "address=224.0.0.1/24\nsource=router\n",
	    "address=192.168.001.254/24\nsource=router\n",
	    "address= 192.168.1.254/24\nsource=router\n",
	    "address=fd00::1/64\nsource=router\n",
	    "address=192.168.1.254/24\nsource=router\nport=80\n",
	    "address 192.168.1.254/24\nsource=router\n",
	    "address=192.168.1.254/24192.168.1.254/24192.168.1.254/24\n"
	    "source=router\n",
	};
	struct dmz_choice c = {ip("10.1.1.1"), 16, DMZ_SRC_CHOSEN};
	char err[160];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		assert_int_equal(parse(bad[i], &c, err, sizeof(err)), -1);
		assert_true(err[0] != '\0');
		assert_null(strchr(err, '\n'));
		/* out untouched on refusal */
		assert_string_equal(str(c.addr), "10.1.1.1");
		assert_int_equal(c.prefix, 16);
	}
	/* A NUL inside the text. */
	assert_int_equal(dmz_file_parse("address=1\0.2.3.4/8\nsource=router\n",
			     33, &c, err, sizeof(err)),
	    -1);
}

static void
test_route_gateway(void **state)
{
	struct in_addr gw;
	char line[160];
	uint32_t raw;

	(void)state;
	raw = ip("192.168.1.1").s_addr; /* printed as the kernel does */
	snprintf(line, sizeof(line),
	    "eth0\t00000000\t%08X\t0003\t0\t0\t0\t00000000\t0\t0\t0\n", raw);
	assert_true(dmz_route_gateway(line, "eth0", &gw));
	assert_string_equal(str(gw), "192.168.1.1");
	assert_false(dmz_route_gateway(line, "eth1", &gw));
	assert_false(dmz_route_gateway(line, "eth", &gw));
	assert_false(dmz_route_gateway("Iface\tDestination\tGateway \tFlags\t"
				       "RefCnt\tUse\tMetric\tMask\n",
	    "Iface", &gw));
	/* a subnet route (no gateway, flags 1) */
	assert_false(dmz_route_gateway(
	    "eth0\t0001A8C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\n", "eth0",
	    &gw));
	/* default, but not up */
	snprintf(line, sizeof(line), "eth0\t00000000\t%08X\t0002\t0\n", raw);
	assert_false(dmz_route_gateway(line, "eth0", &gw));
	assert_false(
	    dmz_route_gateway("eth0\t00000000\t0101A8C\t0003\n", "eth0", &gw));
	assert_false(
	    dmz_route_gateway("eth0\t00000000\t0101A8CG\t0003\n", "eth0", &gw));
	assert_false(dmz_route_gateway("eth0\t00000000", "eth0", &gw));
	assert_false(dmz_route_gateway("", "eth0", &gw));
	assert_false(
	    dmz_route_gateway("eth0\t00000000\t0101A8C0\t\n", "eth0", &gw));
}

static void
test_on_lan(void **state)
{
	(void)state;
	assert_true(dmz_on_lan(ip("192.168.1.254"), ip("192.168.1.10"), 24));
	assert_false(dmz_on_lan(ip("192.168.2.254"), ip("192.168.1.10"), 24));
	assert_false(dmz_on_lan(ip("192.168.1.255"), ip("192.168.1.10"), 24));
	assert_false(dmz_on_lan(ip("192.168.1.0"), ip("192.168.1.10"), 24));
	assert_false(dmz_on_lan(ip("192.168.1.1"), ip("192.168.1.2"), 31));
	assert_false(dmz_on_lan(ip("192.168.1.1"), ip("192.168.1.2"), 0));
	assert_true(dmz_on_lan(ip("10.200.0.1"), ip("10.0.0.1"), 8));
}

static struct elect_msg
msg(int type, const char *dmz, unsigned prefix, uint64_t epoch)
{
	struct elect_msg m;

	memset(&m, 0, sizeof(m));
	m.type = (uint8_t)type;
	m.epoch = epoch;
	if (dmz != NULL) {
		struct in_addr a = ip(dmz);

		m.has |= ELECT_HAS_DMZ;
		m.dmz.family = 4;
		memcpy(m.dmz.b, &a, 4);
		m.dmz_prefix = (uint8_t)prefix;
	}
	return m;
}

static void
test_hear(void **state)
{
	struct dmz_facts f;
	struct elect_msg m;
	struct in_addr a2 = ip("192.168.1.20");

	(void)state;
	dmz_facts_init(&f, ip("192.168.1.10"), 24);
	assert_int_equal(f.n_exclude, 1); /* ourselves */
	/* A HELLO: its word, its addresses excluded. */
	m = msg(ELECT_MSG_HELLO, "192.168.1.250", 24, 3);
	m.addrs[0].family = 4;
	memcpy(m.addrs[0].b, &a2, 4);
	m.n_addrs = 1;
	assert_true(dmz_facts_hear(&f, &m));
	assert_true(f.peer);
	assert_string_equal(str(f.peer_addr), "192.168.1.250");
	assert_int_equal(f.n_exclude, 2);
	assert_string_equal(str(f.exclude[1]), "192.168.1.20");
	/* The same again: no change, the exclusion kept once. */
	assert_false(dmz_facts_hear(&f, &m));
	assert_int_equal(f.n_exclude, 2);
	/* The holder's HEARTBEAT beats a HELLO, even of a later epoch. */
	m = msg(ELECT_MSG_HEARTBEAT, "192.168.1.251", 24, 2);
	assert_true(dmz_facts_hear(&f, &m));
	assert_string_equal(str(f.peer_addr), "192.168.1.251");
	m = msg(ELECT_MSG_HELLO, "192.168.1.250", 24, 9);
	assert_false(dmz_facts_hear(&f, &m));
	assert_string_equal(str(f.peer_addr), "192.168.1.251");
	/* A CLAIM of a later epoch beats an earlier HEARTBEAT, not so an
	 * earlier one. */
	m = msg(ELECT_MSG_CLAIM, "192.168.1.252", 24, 1);
	assert_false(dmz_facts_hear(&f, &m));
	m = msg(ELECT_MSG_CLAIM, "192.168.1.252", 24, 4);
	assert_true(dmz_facts_hear(&f, &m));
	assert_string_equal(str(f.peer_addr), "192.168.1.252");
	/* Off our LAN, the broadcast, an IPv6 DMZ, no DMZ, other types:
	 * nothing taken; the off-LAN ones counted. */
	m = msg(ELECT_MSG_HEARTBEAT, "10.9.9.9", 24, 7);
	assert_false(dmz_facts_hear(&f, &m));
	m = msg(ELECT_MSG_HEARTBEAT, "192.168.1.255", 24, 7);
	assert_false(dmz_facts_hear(&f, &m));
	m = msg(ELECT_MSG_HEARTBEAT, "192.168.1.200", 31, 7);
	assert_false(dmz_facts_hear(&f, &m));
	assert_int_equal(f.rejected, 3);
	m = msg(ELECT_MSG_HEARTBEAT, "192.168.1.200", 24, 7);
	m.dmz.family = 6;
	assert_false(dmz_facts_hear(&f, &m));
	m = msg(ELECT_MSG_HEARTBEAT, NULL, 0, 7);
	assert_false(dmz_facts_hear(&f, &m));
	m = msg(ELECT_MSG_PROBE, "192.168.1.200", 24, 7);
	assert_false(dmz_facts_hear(&f, &m));
	m = msg(ELECT_MSG_RESIGN, "192.168.1.200", 24, 7);
	assert_false(dmz_facts_hear(&f, &m));
	assert_string_equal(str(f.peer_addr), "192.168.1.252");
}

static void
test_exclude_bounded(void **state)
{
	struct dmz_facts f;
	struct in_addr a;
	uint32_t i;

	(void)state;
	dmz_facts_init(&f, ip("10.0.0.1"), 16);
	for (i = 0; i < 2 * DMZ_EXCLUDE_MAX; i++) {
		a.s_addr = htonl(0x0a000100u + i);
		dmz_facts_exclude(&f, a);
	}
	assert_int_equal(f.n_exclude, DMZ_EXCLUDE_MAX);
}

static void
test_decide_order(void **state)
{
	struct dmz_facts f;
	struct dmz_choice c;
	struct elect_msg m;

	(void)state;
	dmz_facts_init(&f, ip("192.168.1.10"), 24);
	/* Nothing known: pick. */
	assert_false(dmz_decide(&f, &c));
	/* The file alone. */
	f.saved = true;
	f.file = (struct dmz_choice){ip("192.168.1.240"), 24, DMZ_SRC_CHOSEN};
	assert_true(dmz_decide(&f, &c));
	assert_string_equal(str(c.addr), "192.168.1.240");
	assert_int_equal(c.source, DMZ_SRC_CHOSEN);
	/* The router beats the file. */
	f.router = true;
	f.router_addr = ip("192.168.1.77");
	assert_true(dmz_decide(&f, &c));
	assert_string_equal(str(c.addr), "192.168.1.77");
	assert_int_equal(c.prefix, 24);
	assert_int_equal(c.source, DMZ_SRC_ROUTER);
	/* A member beats both; its source is the router's when the router
	 * names the same address, the file's when the file does, else
	 * chosen. */
	m = msg(ELECT_MSG_HEARTBEAT, "192.168.1.240", 24, 5);
	assert_true(dmz_facts_hear(&f, &m));
	assert_true(dmz_decide(&f, &c));
	assert_string_equal(str(c.addr), "192.168.1.240");
	assert_int_equal(c.source, DMZ_SRC_CHOSEN);
	f.file.source = DMZ_SRC_ROUTER;
	assert_true(dmz_decide(&f, &c));
	assert_int_equal(c.source, DMZ_SRC_ROUTER);
	m = msg(ELECT_MSG_HEARTBEAT, "192.168.1.77", 24, 6);
	assert_true(dmz_facts_hear(&f, &m));
	assert_true(dmz_decide(&f, &c));
	assert_string_equal(str(c.addr), "192.168.1.77");
	assert_int_equal(c.source, DMZ_SRC_ROUTER);
	f.router = false;
	f.saved = false;
	assert_true(dmz_decide(&f, &c));
	assert_int_equal(c.source, DMZ_SRC_CHOSEN);
}

static void
test_decide_refuses_foreign(void **state)
{
	struct dmz_facts f;
	struct dmz_choice c;

	(void)state;
	dmz_facts_init(&f, ip("192.168.1.10"), 24);
	/* A router row for a host's own address (here ours, then a
	 * member's), or off the LAN, is not the DMZ address. */
	f.router = true;
	f.router_addr = ip("192.168.1.10");
	assert_false(dmz_decide(&f, &c));
	f.router_addr = ip("192.168.1.20");
	dmz_facts_exclude(&f, ip("192.168.1.20"));
	assert_false(dmz_decide(&f, &c));
	f.router_addr = ip("10.0.0.5");
	assert_false(dmz_decide(&f, &c));
	/* A file from another LAN (the host moved) is not used either. */
	f.saved = true;
	f.file = (struct dmz_choice){ip("10.0.0.254"), 24, DMZ_SRC_ROUTER};
	assert_false(dmz_decide(&f, &c));
	/* The file's prefix follows the LAN's. */
	f.file = (struct dmz_choice){ip("192.168.1.254"), 16, DMZ_SRC_ROUTER};
	assert_true(dmz_decide(&f, &c));
	assert_int_equal(c.prefix, 24);
}

static void
test_pick(void **state)
{
	struct dmz_facts f;
	struct dmz_choice c;

	(void)state;
	dmz_facts_init(&f, ip("192.168.1.10"), 24);
	dmz_facts_exclude(&f, ip("192.168.1.254")); /* the gateway */
	assert_true(dmz_pick(&f, 0, &c));
	assert_string_equal(str(c.addr), "192.168.1.253");
	assert_int_equal(c.prefix, 24);
	assert_int_equal(c.source, DMZ_SRC_CHOSEN);
	assert_true(dmz_pick(&f, 1, &c)); /* .253 answered ARP */
	assert_string_equal(str(c.addr), "192.168.1.252");
	/* A /30 with us and the gateway on it: nothing left. */
	dmz_facts_init(&f, ip("192.168.7.1"), 30);
	dmz_facts_exclude(&f, ip("192.168.7.2"));
	assert_false(dmz_pick(&f, 0, &c));
	assert_string_equal(dmz_source_name(DMZ_SRC_CONFIG), "config");
	assert_string_equal(dmz_source_name(DMZ_SRC_ROUTER), "router");
	assert_string_equal(dmz_source_name(DMZ_SRC_CHOSEN), "chosen");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_file_round_trip),
	    cmocka_unit_test(test_file_bad),
	    cmocka_unit_test(test_route_gateway),
	    cmocka_unit_test(test_on_lan),
	    cmocka_unit_test(test_hear),
	    cmocka_unit_test(test_exclude_bounded),
	    cmocka_unit_test(test_decide_order),
	    cmocka_unit_test(test_decide_refuses_foreign),
	    cmocka_unit_test(test_pick),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
