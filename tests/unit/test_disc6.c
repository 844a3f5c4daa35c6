/*
 * tests/unit/test_disc6.c — the IPv6 UDP transport on loopback (::1,
 * ephemeral ports) and the dual-stack duplicate filter (pure). The group
 * on a real link is tests/netns/ipv6.sh's. Every wait has a deadline.
 */
#include "config.h"

#include <sys/socket.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/event.h>

#include "discovery/disc6.h"

#define DEADLINE_MS 5000

struct fx {
	struct event_base *base;
	struct event *tick;
	size_t n_rx, n_drop_ttl;
	uint8_t buf[64];
	size_t len;
	struct sockaddr_in6 src;
};

static void
on_rx(void *arg, const uint8_t *buf, size_t len, const struct sockaddr_in6 *src)
{
	struct fx *f = arg;

	f->n_rx++;
	f->len = len < sizeof(f->buf) ? len : sizeof(f->buf);
	memcpy(f->buf, buf, f->len);
	f->src = *src;
}

static void
on_drop(void *arg, enum disc_drop why, const struct sockaddr_in6 *src)
{
	struct fx *f = arg;

	(void)src;
	if (why == DISC_DROP_TTL)
		f->n_drop_ttl++;
}

static void
tick_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
}

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void
run_until(struct fx *f, size_t want_rx, size_t want_drop)
{
	uint64_t end = now_ms() + DEADLINE_MS;

	while (
	    (f->n_rx < want_rx || f->n_drop_ttl < want_drop) && now_ms() < end)
		event_base_loop(f->base, EVLOOP_ONCE);
}

static int
setup(void **state)
{
	static struct fx fx;
	struct timeval tv = {0, 20000};

	memset(&fx, 0, sizeof(fx));
	fx.base = event_base_new();
	assert_non_null(fx.base);
	fx.tick = event_new(fx.base, -1, EV_PERSIST, tick_cb, NULL);
	assert_int_equal(event_add(fx.tick, &tv), 0);
	*state = &fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	event_free(f->tick);
	event_base_free(f->base);
	return 0;
}

static struct disc_udp6 *
new_unicast(struct fx *f)
{
	struct disc_udp6_conf conf;
	char err[256] = "";
	struct disc_udp6 *d;

	disc_udp6_conf_defaults(&conf);
	conf.port = 0;
	conf.on_drop = on_drop;
	d = disc_udp6_new(f->base, &conf, on_rx, f, err, sizeof(err));
	if (d == NULL)
		skip(); /* no IPv6 on this host (disabled): nothing to test */
	return d;
}

static struct sockaddr_in6
lo6(uint16_t port)
{
	struct sockaddr_in6 s;

	memset(&s, 0, sizeof(s));
	s.sin6_family = AF_INET6;
	s.sin6_addr = in6addr_loopback;
	s.sin6_port = htons(port);
	return s;
}

static void
defaults_are_the_documented_group_and_port(void **state)
{
	struct disc_udp6_conf conf;
	char text[INET6_ADDRSTRLEN];

	(void)state;
	disc_udp6_conf_defaults(&conf);
	inet_ntop(AF_INET6, &conf.group, text, sizeof(text));
	assert_string_equal(text, "ff02::5152");
	assert_int_equal(conf.port, 5182);
}

static void
unicast_reaches_the_callback_with_its_source(void **state)
{
	struct fx *f = *state;
	struct disc_udp6 *a = new_unicast(f), *b = new_unicast(f);
	struct sockaddr_in6 to = lo6(disc_udp6_get_port(b));
	struct disc_udp_stats st;

	assert_int_equal(disc_udp6_send(a, &to, "hello", 5), 0);
	run_until(f, 1, 0);
	assert_int_equal(f->n_rx, 1);
	assert_int_equal(f->len, 5);
	assert_memory_equal(f->buf, "hello", 5);
	assert_true(IN6_IS_ADDR_LOOPBACK(&f->src.sin6_addr));
	assert_int_equal(ntohs(f->src.sin6_port), disc_udp6_get_port(a));
	disc_udp6_get_stats(a, &st);
	assert_int_equal(st.tx, 1);
	/* Unicast-only: no group to send to. */
	assert_int_equal(disc_udp6_send(a, NULL, "x", 1), -1);
	disc_udp6_free(a);
	disc_udp6_free(b);
}

static void
a_hop_limit_below_255_is_dropped(void **state)
{
	struct fx *f = *state;
	struct disc_udp6 *b = new_unicast(f);
	struct sockaddr_in6 to = lo6(disc_udp6_get_port(b));
	struct disc_udp_stats st;
	int fd = socket(AF_INET6, SOCK_DGRAM, 0), hops = 64;

	assert_true(fd >= 0);
	assert_int_equal(setsockopt(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &hops,
			     sizeof(hops)),
	    0);
	assert_int_equal(
	    sendto(fd, "routed", 6, 0, (struct sockaddr *)&to, sizeof(to)), 6);
	run_until(f, 1, 1);
	assert_int_equal(f->n_rx, 0);
	assert_int_equal(f->n_drop_ttl, 1);
	disc_udp6_get_stats(b, &st);
	assert_int_equal(st.rx_dropped_ttl, 1);
	hops = 255;
	assert_int_equal(setsockopt(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &hops,
			     sizeof(hops)),
	    0);
	assert_int_equal(
	    sendto(fd, "link", 4, 0, (struct sockaddr *)&to, sizeof(to)), 4);
	run_until(f, 1, 1);
	assert_int_equal(f->n_rx, 1);
	close(fd);
	disc_udp6_free(b);
}

static void
an_oversized_datagram_is_refused(void **state)
{
	struct fx *f = *state;
	struct disc_udp6 *a = new_unicast(f);
	struct sockaddr_in6 to = lo6(9);
	static uint8_t big[DISC_DGRAM_MAX + 1];

	assert_int_equal(disc_udp6_send(a, &to, big, sizeof(big)), -1);
	disc_udp6_free(a);
}

static void
dedup_drops_the_copy_from_the_other_family_only(void **state)
{
	static struct disc_dedup d;
	const uint8_t one[] = "datagram one", two[] = "datagram two";

	(void)state;
	disc_dedup_init(&d);
	assert_false(disc_dedup_seen(&d, 4, one, sizeof(one), 1000));
	assert_true(disc_dedup_seen(&d, 6, one, sizeof(one), 1010));
	/* One copy each way: a third one is the core's (a replay). */
	assert_false(disc_dedup_seen(&d, 6, one, sizeof(one), 1020));
	/* The same family twice is not a dual-stack copy. */
	assert_false(disc_dedup_seen(&d, 4, two, sizeof(two), 1030));
	assert_false(disc_dedup_seen(&d, 4, two, sizeof(two), 1040));
	/* Other bytes are other datagrams. */
	assert_false(disc_dedup_seen(&d, 6, one, sizeof(one) - 1, 1050));
	/* Too late: not a copy any more. */
	assert_false(disc_dedup_seen(&d, 4, two, sizeof(two), 1060));
	assert_false(
	    disc_dedup_seen(&d, 6, two, sizeof(two), 1060 + DISC_DEDUP_MS));
}

static void
dedup_forgets_after_its_slots_fill(void **state)
{
	static struct disc_dedup d;
	uint8_t buf[8] = {0};
	unsigned i;

	(void)state;
	disc_dedup_init(&d);
	assert_false(disc_dedup_seen(&d, 4, buf, sizeof(buf), 5));
	for (i = 1; i <= DISC_DEDUP_SLOTS; i++) {
		buf[0] = (uint8_t)i;
		buf[1] = (uint8_t)(i >> 8);
		assert_false(disc_dedup_seen(&d, 4, buf, sizeof(buf), 5));
	}
	memset(buf, 0, sizeof(buf));
	assert_false(disc_dedup_seen(&d, 6, buf, sizeof(buf), 6));
	/* Empty datagrams and far clocks are just data. */
	assert_false(disc_dedup_seen(&d, 4, NULL, 0, UINT64_MAX));
	assert_true(disc_dedup_seen(&d, 6, NULL, 0, UINT64_MAX));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(defaults_are_the_documented_group_and_port),
	    cmocka_unit_test_setup_teardown(
		unicast_reaches_the_callback_with_its_source, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		a_hop_limit_below_255_is_dropped, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		an_oversized_datagram_is_refused, setup, teardown),
	    cmocka_unit_test(dedup_drops_the_copy_from_the_other_family_only),
	    cmocka_unit_test(dedup_forgets_after_its_slots_fill),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
