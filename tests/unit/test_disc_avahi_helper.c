/*
 * tests/unit/test_disc_avahi_helper.c — the DNS-SD helper process
 * (discovery/disc_avahi_helper.c) without an avahi-daemon: the bus
 * address points at an abstract socket nobody listens on, so the helper
 * reports "absent" over its socketpair; freeing reaps it; mode no forks
 * nothing. Needs no root and touches no bus.
 */
#include "config.h"

#include <sys/wait.h>

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/event.h>

#include "discovery/disc_avahi.h"

static int peers;

static void
peer_cb(void *arg, const struct disc_txt *txt, const struct sockaddr *a)
{
	(void)arg;
	(void)txt;
	(void)a;
	peers++;
}

static void
conf_of(struct disc_avahi_conf *c, enum disc_avahi_mode mode)
{
	memset(c, 0, sizeof(*c));
	c->mode = mode;
	snprintf(c->name, sizeof(c->name), "t");
	c->port = 5182;
	memset(c->txt.id, 0x42, sizeof(c->txt.id));
	snprintf(c->txt.cluster, sizeof(c->txt.cluster), "0f1e2d3c");
	snprintf(c->txt.state, sizeof(c->txt.state), "starting");
	c->txt.ver = 2;
}

static void
run_ms(struct event_base *base, int ms)
{
	struct timeval tv = {ms / 1000, (ms % 1000) * 1000};

	event_base_loopexit(base, &tv);
	event_base_dispatch(base);
}

static void
without_a_daemon_the_helper_says_absent_and_is_reaped(void **state)
{
	struct event_base *base = event_base_new();
	struct disc_avahi_conf c;
	struct disc_avahi *d;
	struct disc_txt t;
	char bus[96];
	int i;

	(void)state;
	snprintf(bus, sizeof(bus), "unix:abstract=/qure-test-no-bus-%ld",
	    (long)getpid());
	setenv("DBUS_SYSTEM_BUS_ADDRESS", bus, 1);
	conf_of(&c, DISC_AVAHI_AUTO);
	d = disc_avahi_new(base, &c, peer_cb, NULL);
	assert_int_equal(disc_avahi_get_state(d), DISC_AVAHI_CONNECTING);
	for (i = 0; i < 20 && disc_avahi_get_state(d) != DISC_AVAHI_ABSENT; i++)
		run_ms(base, 100);
	assert_int_equal(disc_avahi_get_state(d), DISC_AVAHI_ABSENT);
	t = c.txt;
	snprintf(t.state, sizeof(t.state), "holder");
	disc_avahi_set_txt(d, &t); /* never blocks, whatever the helper does */
	run_ms(base, 300);
	assert_int_equal(disc_avahi_get_state(d), DISC_AVAHI_ABSENT);
	assert_int_equal(peers, 0);
	disc_avahi_free(d);
	/* Reaped: no child of ours is left, not even a zombie. */
	assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);
	assert_int_equal(errno, ECHILD);
	event_base_free(base);
}

static void
mode_no_is_disabled_and_forks_nothing(void **state)
{
	struct event_base *base = event_base_new();
	struct disc_avahi_conf c;
	struct disc_avahi *d;
	struct disc_avahi_stats st;

	(void)state;
	conf_of(&c, DISC_AVAHI_NO);
	d = disc_avahi_new(base, &c, peer_cb, NULL);
	assert_int_equal(disc_avahi_get_state(d), DISC_AVAHI_DISABLED);
	assert_string_equal(
	    disc_avahi_state_name(disc_avahi_get_state(d)), "disabled");
	assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);
	assert_int_equal(errno, ECHILD);
	disc_avahi_set_txt(d, &c.txt);
	disc_avahi_set_ifindex(d, 7);
	disc_avahi_get_stats(d, &st);
	assert_int_equal(st.peers_browsed, 0);
	disc_avahi_free(d);
	disc_avahi_free(NULL);
	event_base_free(base);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(
		without_a_daemon_the_helper_says_absent_and_is_reaped),
	    cmocka_unit_test(mode_no_is_disabled_and_forks_nothing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
