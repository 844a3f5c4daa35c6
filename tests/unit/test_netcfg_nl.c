/*
 * The netlink half of netcfg/ alone (netcfg_nl.c), without netcfg.c: it
 * is opened on a bare struct netcfg with its own up-calls, as netcfg.c
 * opens it. Requests go to the kernel for an interface index that does
 * not exist, so whoever runs it (root or not) the kernel refuses them and
 * changes nothing on the host; the test checks what the half reports.
 */
#include "config.h"

#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <event2/event.h>

#include "base/clock.h"
#include "netcfg/netcfg_int.h"

#define NO_SUCH_IFINDEX 0x7ffffff0

struct seen {
	int refused_first, refused_again, other;
};

static void
on_addr_deleted(void *arg)
{
	((struct seen *)arg)->other++;
}

static void
on_add_refused(void *arg, bool first)
{
	struct seen *s = arg;

	if (first)
		s->refused_first++;
	else
		s->refused_again++;
}

static void
on_link_gone(void *arg)
{
	((struct seen *)arg)->other++;
}

static void
on_link_new(void *arg, int ifindex)
{
	(void)ifindex;
	((struct seen *)arg)->other++;
}

static void
on_link_state(void *arg, bool up, const uint8_t *mac)
{
	(void)up;
	(void)mac;
	((struct seen *)arg)->other++;
}

static void
on_overrun(void *arg)
{
	((struct seen *)arg)->other++;
}

struct fixture {
	struct event_base *base;
	struct netcfg *nc;
	struct seen seen;
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct netcfg_nl_up up = {.arg = &f->seen,
	    .addr_deleted = on_addr_deleted,
	    .add_refused = on_add_refused,
	    .link_gone = on_link_gone,
	    .link_new = on_link_new,
	    .link_state = on_link_state,
	    .overrun = on_overrun};
	char err[NETCFG_ERR_MAX] = "";

	assert_non_null(f);
	f->base = event_base_new();
	f->nc = calloc(1, sizeof(*f->nc));
	assert_non_null(f->base);
	assert_non_null(f->nc);
	f->nc->base = f->base;
	strcpy(f->nc->conf.ifname, "qure-none0");
	assert_int_equal(inet_pton(AF_INET, "192.0.2.10", &f->nc->conf.dmz), 1);
	f->nc->conf.dmz_prefix = 24;
	f->nc->conf.now_ms = clock_now_ms;
	f->nc->ifindex = NO_SUCH_IFINDEX;
	strcpy(f->nc->cidr, "192.0.2.10/24");
	if (netcfg_nl_open(f->nc, &up, err, sizeof(err)) == -1)
		fail_msg("%s", err);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	netcfg_nl_close(f->nc);
	free(f->nc);
	event_base_free(f->base);
	free(f);
	return 0;
}

/* Runs the loop until cond() holds or ms pass. */
static void
run_until(struct fixture *f, bool (*cond)(const struct seen *), unsigned ms)
{
	uint64_t end = clock_now_ms() + ms;
	struct timeval tick = {0, 10000};

	while ((cond == NULL || !cond(&f->seen)) && clock_now_ms() < end) {
		event_base_loopexit(f->base, &tick);
		event_base_dispatch(f->base);
	}
}

static bool
refused_once(const struct seen *s)
{
	return s->refused_first > 0;
}

static bool
refused_twice(const struct seen *s)
{
	return s->refused_again > 0;
}

static void
a_refused_add_is_reported_first_then_quietly(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(netcfg_nl_add(f->nc, 2), 0);
	run_until(f, refused_once, 2000);
	assert_int_equal(f->seen.refused_first, 1);
	assert_int_equal(f->seen.refused_again, 0);
	/* The next refusal is a quiet repeat: addr_lost is not told twice. */
	assert_int_equal(netcfg_nl_add(f->nc, 2), 0);
	run_until(f, refused_twice, 2000);
	assert_int_equal(f->seen.refused_first, 1);
	assert_int_equal(f->seen.refused_again, 1);
	assert_int_equal(f->seen.other, 0);
}

static void
a_delete_reports_nothing(void **state)
{
	struct fixture *f = *state;

	/* Refused or not (ENODEV is success), a delete is no loss. */
	assert_int_equal(netcfg_nl_del(f->nc, false), 0);
	assert_int_equal(netcfg_nl_del(f->nc, true), 0);
	run_until(f, NULL, 200);
	assert_int_equal(f->seen.refused_first, 0);
	assert_int_equal(f->seen.refused_again, 0);
	assert_int_equal(f->seen.other, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(
		a_refused_add_is_reported_first_then_quietly, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		a_delete_reports_nothing, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
