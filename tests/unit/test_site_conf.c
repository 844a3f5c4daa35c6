/*
 * tests/unit/test_site_conf.c — qured's own keys among the site settings
 * (src/site_conf.h): which keys the site may set, the file's values
 * before the site's, the site's before the defaults, a site value that
 * does not parse left out, and where a value comes from.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "src/conf.h"
#include "src/site_conf.h"

#define FILE_TEXT "[dmz]\naddress = 192.168.1.11/24\n"
#define PATH "/etc/qured.conf"

static struct conf c;

static struct settings *
site_of(const char *key, const char *value)
{
	struct settings *s = settings_new();

	assert_non_null(s);
	assert_int_equal(settings_set(s, key, value, strlen(value), 1, 1, NULL),
	    SETTINGS_OK);
	return s;
}

static void
only_shared_keys_of_qured_or_the_apps_may_be_set(void **state)
{
	char err[256];

	(void)state;
	assert_int_equal(site_conf_check_key("app.max-memory", err, 256), 0);
	assert_int_equal(site_conf_check_key("dmz.ports", err, 256), 0);
	assert_int_equal(site_conf_check_key("dmz.balance", err, 256), 0);
	assert_int_equal(site_conf_check_key("dmz.balance-key", err, 256), 0);
	assert_int_equal(site_conf_check_key("node.name", err, 256), -1);
	assert_non_null(strstr(err, "each host's own"));
	assert_int_equal(
	    site_conf_check_key("cluster.interface", err, 256), -1);
	/* An address of one host: the others would not start. */
	assert_int_equal(site_conf_check_key("http.listen", err, 256), -1);
	assert_non_null(strstr(err, "each host's own"));
	assert_int_equal(site_conf_check_key("dmz.bogus", err, 256), -1);
	assert_non_null(strstr(err, "not a key of qured.conf(5)"));
	assert_int_equal(site_conf_check_key("nodot", err, 256), -1);
}

static void
the_site_fills_what_the_file_leaves_unset(void **state)
{
	struct settings *s = site_of("dmz.ports", "tcp:80,tcp:443");
	char err[256];

	(void)state;
	assert_int_equal(
	    site_conf_load(FILE_TEXT, PATH, s, &c, NULL, err, sizeof(err)), 0);
	assert_int_equal(c.dmz.ports.n, 2);
	assert_string_equal(
	    site_conf_source(FILE_TEXT, PATH, "dmz.ports"), "site");
	settings_free(s);
}

static void
the_file_wins_over_the_site(void **state)
{
	struct settings *s = site_of("dmz.ports", "tcp:80,tcp:443");
	const char *text = FILE_TEXT "ports = tcp:22\n";
	char err[256];

	(void)state;
	assert_int_equal(
	    site_conf_load(text, PATH, s, &c, NULL, err, sizeof(err)), 0);
	assert_int_equal(c.dmz.ports.n, 1);
	assert_string_equal(site_conf_source(text, PATH, "dmz.ports"), "file");
	assert_string_equal(site_conf_source(text, PATH, "app.x"), "app");
	settings_free(s);
}

static void
a_site_value_that_does_not_parse_is_left_out(void **state)
{
	struct settings *s = site_of("dmz.ports", "eighty");
	bool left[SETTINGS_MAX];
	char err[256];

	(void)state;
	assert_int_equal(
	    settings_set(s, "dmz.check-interval", "500ms", 5, 1, 1, NULL),
	    SETTINGS_OK);
	assert_int_equal(
	    site_conf_load(FILE_TEXT, PATH, s, &c, left, err, sizeof(err)), 0);
	/* Entries in key order: check-interval, then ports. */
	assert_false(left[0]);
	assert_true(left[1]);
	assert_int_equal(c.dmz.ports.n, 0);
	assert_int_equal(c.dmz.check_interval_ms, 500);
	assert_int_equal(site_conf_check_value(FILE_TEXT, PATH, "dmz.ports",
			     "eighty", err, sizeof(err)),
	    -1);
	assert_true(strncmp(err, "[dmz] ports:", 12) == 0);
	assert_int_equal(site_conf_check_value(FILE_TEXT, PATH, "dmz.ports",
			     "tcp:80", err, sizeof(err)),
	    0);
	settings_free(s);
}

static void
a_file_that_does_not_load_is_an_error(void **state)
{
	struct settings *s = site_of("app.x", "1");
	char err[256] = "";

	(void)state;
	assert_int_equal(site_conf_load("[dmz]\nnonsense = 1\n", PATH, s, &c,
			     NULL, err, sizeof(err)),
	    -1);
	assert_non_null(strstr(err, PATH));
	settings_free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(only_shared_keys_of_qured_or_the_apps_may_be_set),
	    cmocka_unit_test(the_site_fills_what_the_file_leaves_unset),
	    cmocka_unit_test(the_file_wins_over_the_site),
	    cmocka_unit_test(a_site_value_that_does_not_parse_is_left_out),
	    cmocka_unit_test(a_file_that_does_not_load_is_an_error),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
