#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>

#include <cmocka.h>

#include "src/http.h"

static void
the_three_paths_route_to_their_answers(void **state)
{
	(void)state;
	assert_int_equal(http_route(true, "/metrics"), HTTP_ROUTE_METRICS);
	assert_int_equal(
	    http_route(true, "/status.json"), HTTP_ROUTE_STATUS_JSON);
	assert_int_equal(http_route(true, "/"), HTTP_ROUTE_PAGE);
	assert_int_equal(http_route(true, "/index.html"), HTTP_ROUTE_PAGE);
}

static void
a_query_string_is_ignored(void **state)
{
	(void)state;
	assert_int_equal(http_route(true, "/metrics?x=1"), HTTP_ROUTE_METRICS);
	assert_int_equal(http_route(true, "/?t=123"), HTTP_ROUTE_PAGE);
	assert_int_equal(
	    http_route(true, "/status.json#a"), HTTP_ROUTE_STATUS_JSON);
}

static void
anything_else_is_not_found(void **state)
{
	(void)state;
	assert_int_equal(http_route(true, NULL), HTTP_ROUTE_NOT_FOUND);
	assert_int_equal(http_route(true, ""), HTTP_ROUTE_NOT_FOUND);
	assert_int_equal(http_route(true, "/metricsx"), HTTP_ROUTE_NOT_FOUND);
	assert_int_equal(http_route(true, "/metrics/"), HTTP_ROUTE_NOT_FOUND);
	assert_int_equal(http_route(true, "//"), HTTP_ROUTE_NOT_FOUND);
	assert_int_equal(
	    http_route(true, "/../etc/passwd"), HTTP_ROUTE_NOT_FOUND);
	assert_int_equal(http_route(true, "*"), HTTP_ROUTE_NOT_FOUND);
	assert_int_equal(
	    http_route(true, "http://x/metrics"), HTTP_ROUTE_NOT_FOUND);
	assert_int_equal(http_route(false, "/nothing"), HTTP_ROUTE_NOT_FOUND);
}

static void
another_method_on_a_known_path_is_405(void **state)
{
	(void)state;
	assert_int_equal(http_route(false, "/metrics"), HTTP_ROUTE_BAD_METHOD);
	assert_int_equal(http_route(false, "/"), HTTP_ROUTE_BAD_METHOD);
	assert_int_equal(
	    http_route(false, "/status.json"), HTTP_ROUTE_BAD_METHOD);
}

static void
the_rate_lets_a_burst_through_then_refuses(void **state)
{
	struct http_rate r;
	int i, n = 0;

	(void)state;
	http_rate_init(&r, 100, 50, 1000);
	for (i = 0; i < 200; i++)
		n += http_rate_take(&r, 1000);
	assert_int_equal(n, 50);
	assert_false(http_rate_take(&r, 1000));
}

static void
the_rate_refills_per_second_and_caps_at_the_burst(void **state)
{
	struct http_rate r;
	int i, n = 0;

	(void)state;
	http_rate_init(&r, 100, 50, 0);
	for (i = 0; i < 50; i++)
		assert_true(http_rate_take(&r, 0));
	/* 100 a second: one every 10 ms. */
	assert_false(http_rate_take(&r, 9));
	assert_true(http_rate_take(&r, 10));
	assert_false(http_rate_take(&r, 10));
	/* 1000 requests a second for 5 s: 100 a second get through. */
	for (i = 0; i < 5000; i++)
		n += http_rate_take(&r, 10 + (uint64_t)i);
	assert_in_range(n, 495, 505);
	/* An hour of quiet fills the bucket, no more. */
	for (n = 0, i = 0; i < 100; i++)
		n += http_rate_take(&r, 3600000);
	assert_int_equal(n, 50);
}

static void
a_clock_going_back_refills_nothing(void **state)
{
	struct http_rate r;

	(void)state;
	http_rate_init(&r, 100, 1, 5000);
	assert_true(http_rate_take(&r, 5000));
	assert_false(http_rate_take(&r, 1000));
	assert_false(http_rate_take(&r, 5000));
	assert_true(http_rate_take(&r, 5010));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(the_three_paths_route_to_their_answers),
	    cmocka_unit_test(a_query_string_is_ignored),
	    cmocka_unit_test(anything_else_is_not_found),
	    cmocka_unit_test(another_method_on_a_known_path_is_405),
	    cmocka_unit_test(the_rate_lets_a_burst_through_then_refuses),
	    cmocka_unit_test(the_rate_refills_per_second_and_caps_at_the_burst),
	    cmocka_unit_test(a_clock_going_back_refills_nothing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
