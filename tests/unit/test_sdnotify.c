#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "src/sdnotify.h"
#include "src/status.h"

/* The one-line STATUS= that systemctl status shows (src/sdnotify.h). */

static struct status *
st_new(const char *state)
{
	struct status *st = calloc(1, sizeof(*st));

	assert_non_null(st);
	snprintf(st->node.state, sizeof(st->node.state), "%s", state);
	snprintf(st->dmz.address, sizeof(st->dmz.address), "192.168.1.11/24");
	st->epoch = 12;
	st->n_members = 2;
	return st;
}

static void
a_holder_names_its_address_epoch_and_members(void **state)
{
	struct status *st = st_new("holder");
	char line[256];

	(void)state;
	sdnotify_status_line(st, line, sizeof(line));
	assert_string_equal(
	    line, "holder of 192.168.1.11/24, epoch 12, 3 members");
	free(st);
}

static void
a_standby_names_the_holder(void **state)
{
	struct status *st = st_new("standby");
	char line[256];

	(void)state;
	st->holder.present = true;
	snprintf(st->holder.name, sizeof(st->holder.name), "h1");
	sdnotify_status_line(st, line, sizeof(line));
	assert_string_equal(line, "standby, holder h1, epoch 12, 3 members");
	st->holder.present = false;
	st->n_members = 0;
	sdnotify_status_line(st, line, sizeof(line));
	assert_string_equal(line, "standby, no holder, epoch 12, 1 member");
	free(st);
}

static void
an_ipv6_only_holder_names_its_ipv6_address(void **state)
{
	struct status *st = st_new("holder");
	char line[256];

	(void)state;
	st->dmz.address[0] = '\0';
	snprintf(st->dmz.address6, sizeof(st->dmz.address6), "fd00::11/64");
	sdnotify_status_line(st, line, sizeof(line));
	assert_string_equal(line, "holder of fd00::11/64, epoch 12, 3 members");
	free(st);
}

static void
unconfigured_says_why_and_a_long_reason_is_cut_not_overrun(void **state)
{
	struct status *st = st_new("unconfigured");
	char line[256], small[16];

	(void)state;
	snprintf(st->unconfigured, sizeof(st->unconfigured),
	    "/etc/qured/cluster.key: missing");
	sdnotify_status_line(st, line, sizeof(line));
	assert_string_equal(
	    line, "unconfigured: /etc/qured/cluster.key: missing");
	sdnotify_status_line(st, small, sizeof(small));
	assert_int_equal(strlen(small), sizeof(small) - 1);
	free(st);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(a_holder_names_its_address_epoch_and_members),
	    cmocka_unit_test(a_standby_names_the_holder),
	    cmocka_unit_test(an_ipv6_only_holder_names_its_ipv6_address),
	    cmocka_unit_test(
		unconfigured_says_why_and_a_long_reason_is_cut_not_overrun),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
