/*
 * tests/unit/test_site.c — the site settings' edge (src/site.c) between
 * two or three members wired in-process: what the election would carry
 * is delivered (or lost) by the test, which also plays the core's part
 * (a STATE with RANGES says the puller's digest: ELECT_ACT_SITE_DIFFERS
 * first when it differs). A set spreads by its push; a lost push is
 * caught up by the pull that the next digest sets off; a member that
 * holds what the other lacks is pulled in turn; DIR/site keeps the set
 * across a restart; a damaged file is not fatal.
 */
#include "config.h"

#include <sys/stat.h>
#include <sys/wait.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/event.h>

#include "election/election.h"
#include "src/site.h"
#include "src/state.h"

#define N 3

struct member {
	struct site *site;
	char dir[64];
	struct elect_id id;
	uint64_t digest; /* what its HELLOs would say */
	int changes;
};

static struct event_base *base;
static struct member m[N];
static bool lose_all; /* the LAN drops everything */
static uint64_t now_ms = 1000;

static int
index_of(void *arg)
{
	return (int)((struct member *)arg - m);
}

/* The election's part: deliver a STATE from member `from` to `to`. */
static void
deliver(int from, int to, const uint8_t *entries, size_t len,
    const uint64_t *ranges)
{
	struct elect_addr src = {.family = 4, .b = {10, 0, 0, (uint8_t)from}};

	if (lose_all || m[to].site == NULL)
		return;
	if (ranges != NULL && m[from].digest != m[to].digest)
		site_on_differs(m[to].site, &m[from].id, &src, now_ms);
	site_on_state(
	    m[to].site, &m[from].id, &src, entries, len, ranges, now_ms);
}

static void
send_cb(void *arg, const struct elect_addr *to, const uint8_t *entries,
    size_t len, const uint64_t *ranges)
{
	int from = index_of(arg), k;

	if (to->family == 0) {
		for (k = 0; k < N; k++)
			if (k != from)
				deliver(from, k, entries, len, ranges);
		return;
	}
	deliver(from, to->b[3], entries, len, ranges);
}

static void
changed_cb(void *arg, uint64_t digest, uint16_t count)
{
	struct member *x = arg;

	(void)count;
	x->digest = digest;
	x->changes++;
}

static void
open_member(int i)
{
	char err[256] = "";

	m[i].site = site_new(base, m[i].dir, &m[i].id, send_cb, changed_cb,
	    &m[i], err, sizeof(err));
	assert_non_null(m[i].site);
	m[i].digest = settings_digest(site_settings(m[i].site));
}

/* Every member's HELLO: whoever hears another digest pulls. */
static void
hellos(void)
{
	struct elect_addr src = {.family = 4};
	int i, k;

	now_ms += 1000;
	for (i = 0; i < N; i++)
		for (k = 0; k < N; k++)
			if (i != k && m[i].site != NULL && m[k].site != NULL &&
			    m[i].digest != m[k].digest) {
				src.b[3] = (uint8_t)i;
				site_on_differs(
				    m[k].site, &m[i].id, &src, now_ms);
			}
}

static const char *
value_of(int i, const char *key)
{
	const struct settings_entry *e =
	    settings_find(site_settings(m[i].site), key);

	return e == NULL ? NULL : e->value;
}

/* Runs the loop until every member's writer has answered. */
static void
settle_writes(void)
{
	int i;

	for (i = 0; i < 200; i++)
		event_base_loop(base, EVLOOP_NONBLOCK);
	for (i = 0; i < N; i++)
		if (m[i].site != NULL) {
			site_free(m[i].site); /* waits for its writer */
			open_member(i);
		}
}

static int
setup(void **state)
{
	int i;

	(void)state;
	base = event_base_new();
	assert_non_null(base);
	lose_all = false;
	for (i = 0; i < N; i++) {
		memset(&m[i], 0, sizeof(m[i]));
		snprintf(
		    m[i].dir, sizeof(m[i].dir), "/tmp/qure-test-site.XXXXXX");
		assert_non_null(mkdtemp(m[i].dir));
		memset(m[i].id.b, 0x10 * (i + 1), sizeof(m[i].id.b));
		open_member(i);
	}
	return 0;
}

static int
teardown(void **state)
{
	char path[128];
	int i;

	(void)state;
	for (i = 0; i < N; i++) {
		site_free(m[i].site);
		snprintf(path, sizeof(path), "%s/site", m[i].dir);
		unlink(path);
		rmdir(m[i].dir);
	}
	event_base_free(base);
	return 0;
}

static void
a_set_spreads_by_its_push(void **state)
{
	(void)state;
	assert_int_equal(
	    site_set(m[0].site, "app.max-memory", "64M", 1), SETTINGS_OK);
	assert_string_equal(value_of(1, "app.max-memory"), "64M");
	assert_string_equal(value_of(2, "app.max-memory"), "64M");
	assert_int_equal(m[1].digest, m[0].digest);
	assert_int_equal(m[2].digest, m[0].digest);
}

static void
a_lost_push_comes_with_the_next_digest(void **state)
{
	(void)state;
	lose_all = true;
	assert_int_equal(
	    site_set(m[1].site, "dmz.ports", "80,443", 1), SETTINGS_OK);
	lose_all = false;
	assert_null(value_of(0, "dmz.ports"));
	hellos();
	assert_string_equal(value_of(0, "dmz.ports"), "80,443");
	assert_string_equal(value_of(2, "dmz.ports"), "80,443");
}

/* Each holds a key the other lacks: one pull brings both. */
static void
both_sides_of_a_difference_are_caught_up(void **state)
{
	(void)state;
	lose_all = true;
	assert_int_equal(site_set(m[0].site, "app.a", "1", 1), SETTINGS_OK);
	assert_int_equal(site_set(m[2].site, "app.c", "3", 1), SETTINGS_OK);
	lose_all = false;
	hellos();
	hellos();
	assert_string_equal(value_of(0, "app.c"), "3");
	assert_string_equal(value_of(2, "app.a"), "1");
	assert_string_equal(value_of(1, "app.a"), "1");
	assert_string_equal(value_of(1, "app.c"), "3");
	assert_int_equal(m[0].digest, m[2].digest);
}

static void
the_state_dir_keeps_the_settings(void **state)
{
	(void)state;
	assert_int_equal(
	    site_set(m[0].site, "cloud.name", "home", 1), SETTINGS_OK);
	assert_int_equal(site_set(m[0].site, "app.gone", "x", 1), SETTINGS_OK);
	assert_int_equal(site_set(m[0].site, "app.gone", NULL, 1), SETTINGS_OK);
	settle_writes();
	assert_string_equal(value_of(0, "cloud.name"), "home");
	assert_string_equal(value_of(2, "cloud.name"), "home");
	assert_non_null(settings_find(site_settings(m[0].site), "app.gone"));
	assert_null(value_of(0, "app.gone")); /* the unset is kept too */
}

static void
a_damaged_file_is_not_fatal_and_one_too_big_is(void **state)
{
	char path[128], err[256] = "";
	FILE *fp;

	(void)state;
	site_free(m[0].site);
	m[0].site = NULL;
	snprintf(path, sizeof(path), "%s/site", m[0].dir);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs("QURESITE1\n\x05"
	      "app.k garbage",
	    fp);
	fclose(fp);
	open_member(0); /* logged, and empty */
	assert_int_equal(settings_count(site_settings(m[0].site)), 0);
	site_free(m[0].site);
	m[0].site = NULL;
	fp = fopen(path, "w");
	assert_non_null(fp);
	assert_int_equal(ftruncate(fileno(fp), 2 * 1024 * 1024), 0);
	fclose(fp);
	assert_null(site_new(base, m[0].dir, &m[0].id, send_cb, changed_cb,
	    &m[0], err, sizeof(err)));
	assert_non_null(strstr(err, "move it away"));
	unlink(path);
	open_member(0);
}

static void
a_bad_key_is_refused_and_nothing_sent(void **state)
{
	(void)state;
	assert_int_equal(site_set(m[0].site, "NoDot", "v", 1), SETTINGS_E_KEY);
	assert_int_equal(m[1].changes, 0);
	assert_int_equal(settings_count(site_settings(m[1].site)), 0);
}

static void
unsetting_what_is_not_set_changes_nothing(void **state)
{
	(void)state;
	assert_int_equal(site_set(m[0].site, "app.none", NULL, 1), SETTINGS_OK);
	assert_int_equal(settings_count(site_settings(m[0].site)), 0);
	assert_int_equal(m[0].changes, 0);
	assert_int_equal(m[1].changes, 0);
	assert_int_equal(site_set(m[0].site, "NoDot", NULL, 1), SETTINGS_E_KEY);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(
		a_set_spreads_by_its_push, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		a_lost_push_comes_with_the_next_digest, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		both_sides_of_a_difference_are_caught_up, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		the_state_dir_keeps_the_settings, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		a_damaged_file_is_not_fatal_and_one_too_big_is, setup,
		teardown),
	    cmocka_unit_test_setup_teardown(
		a_bad_key_is_refused_and_nothing_sent, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		unsetting_what_is_not_set_changes_nothing, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
