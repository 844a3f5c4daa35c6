/*
 * tests/unit/test_disc_avahi_poll.c — the AvahiPoll adapter on libevent
 * (discovery/disc_avahi_poll.c) on its own: watches on a pipe, timeouts
 * at absolute times, NULL timeouts disabled, callbacks that free their
 * own watch or timeout. No avahi-daemon, no D-Bus.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <avahi-common/timeval.h>
#include <avahi-common/watch.h>
#include <cmocka.h>
#include <event2/event.h>

#include "discovery/disc_avahi.h"

struct fx {
	struct event_base *base;
	struct disc_avahi_poll *p;
	const AvahiPoll *api;
	int fds[2];
	int calls;
	AvahiWatchEvent got;
	AvahiWatchEvent seen_inside; /* watch_get_events() in the callback */
	bool free_self;
	AvahiWatch *w;
	AvahiTimeout *t;
};

static int
setup(void **state)
{
	struct fx *f = test_calloc(1, sizeof(*f));

	f->base = event_base_new();
	assert_non_null(f->base);
	f->p = disc_avahi_poll_new(f->base);
	f->api = disc_avahi_poll_get(f->p);
	assert_int_equal(pipe(f->fds), 0);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	assert_int_equal(disc_avahi_poll_live(f->p), 0); /* nothing leaked */
	disc_avahi_poll_free(f->p);
	event_base_free(f->base);
	close(f->fds[0]);
	close(f->fds[1]);
	test_free(f);
	return 0;
}

/* Runs the loop until nothing is pending or ms have passed. */
static void
run_for(struct fx *f, int ms)
{
	struct timeval tv = {ms / 1000, (ms % 1000) * 1000};

	event_base_loopexit(f->base, &tv);
	event_base_dispatch(f->base);
}

static void
watch_cb(AvahiWatch *w, int fd, AvahiWatchEvent ev, void *arg)
{
	struct fx *f = arg;
	char buf[16];

	f->calls++;
	f->got = ev;
	f->seen_inside = f->api->watch_get_events(w);
	if ((ev & AVAHI_WATCH_IN) && read(fd, buf, sizeof(buf)) < 0)
		fail();
	if (f->free_self) {
		f->api->watch_free(w);
		f->w = NULL;
	}
}

static void
a_watch_reports_a_readable_fd(void **state)
{
	struct fx *f = *state;

	f->w =
	    f->api->watch_new(f->api, f->fds[0], AVAHI_WATCH_IN, watch_cb, f);
	run_for(f, 20);
	assert_int_equal(f->calls, 0);
	assert_int_equal(write(f->fds[1], "x", 1), 1);
	run_for(f, 20);
	assert_int_equal(f->calls, 1);
	assert_int_equal(f->got, AVAHI_WATCH_IN);
	assert_int_equal(f->seen_inside, AVAHI_WATCH_IN);
	f->api->watch_free(f->w);
}

static void
a_watch_updated_to_no_events_stays_quiet(void **state)
{
	struct fx *f = *state;

	f->w =
	    f->api->watch_new(f->api, f->fds[0], AVAHI_WATCH_IN, watch_cb, f);
	f->api->watch_update(f->w, 0);
	assert_int_equal(write(f->fds[1], "x", 1), 1);
	run_for(f, 30);
	assert_int_equal(f->calls, 0);
	f->api->watch_update(f->w, AVAHI_WATCH_IN);
	run_for(f, 30);
	assert_int_equal(f->calls, 1);
	f->api->watch_free(f->w);
}

static void
a_watch_for_writing_fires_on_a_writable_fd(void **state)
{
	struct fx *f = *state;

	f->w =
	    f->api->watch_new(f->api, f->fds[1], AVAHI_WATCH_OUT, watch_cb, f);
	f->free_self = true; /* once is enough, and freeing inside is legal */
	run_for(f, 30);
	assert_int_equal(f->calls, 1);
	assert_int_equal(f->got, AVAHI_WATCH_OUT);
	assert_null(f->w);
}

static void
timeout_cb(AvahiTimeout *t, void *arg)
{
	struct fx *f = arg;

	f->calls++;
	if (f->free_self) {
		f->api->timeout_free(t);
		f->t = NULL;
	}
}

static void
a_timeout_fires_once_at_its_absolute_time(void **state)
{
	struct fx *f = *state;
	struct timeval tv;

	avahi_elapse_time(&tv, 50, 0); /* now + 50 ms, gettimeofday() based */
	f->t = f->api->timeout_new(f->api, &tv, timeout_cb, f);
	run_for(f, 20);
	assert_int_equal(f->calls, 0);
	run_for(f, 100);
	assert_int_equal(f->calls, 1);
	run_for(f, 100); /* one-shot */
	assert_int_equal(f->calls, 1);
	/* Re-armed in the past: fires at once. */
	avahi_elapse_time(&tv, 0, 0);
	tv.tv_sec -= 5;
	f->api->timeout_update(f->t, &tv);
	run_for(f, 20);
	assert_int_equal(f->calls, 2);
	f->api->timeout_free(f->t);
}

static void
a_null_timeout_is_disabled(void **state)
{
	struct fx *f = *state;
	struct timeval tv;

	f->t = f->api->timeout_new(f->api, NULL, timeout_cb, f);
	run_for(f, 50);
	assert_int_equal(f->calls, 0);
	avahi_elapse_time(&tv, 10, 0);
	f->api->timeout_update(f->t, &tv);
	f->api->timeout_update(f->t, NULL); /* disabled again */
	run_for(f, 50);
	assert_int_equal(f->calls, 0);
	f->free_self = true;
	f->api->timeout_update(f->t, &tv);
	run_for(f, 50);
	assert_int_equal(f->calls, 1);
	assert_null(f->t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(
		a_watch_reports_a_readable_fd, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		a_watch_updated_to_no_events_stays_quiet, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		a_watch_for_writing_fires_on_a_writable_fd, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		a_timeout_fires_once_at_its_absolute_time, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		a_null_timeout_is_disabled, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
