/*
 * tests/unit/test_elect_rto.c — the learned timeout (RFC 6298).
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "election/election.h"

/* Until min_samples answers were measured, the ceiling. */
static void
test_ceiling_until_enough_samples(void **state)
{
	struct elect_rto r;

	(void)state;
	elect_rto_init(&r);
	assert_int_equal(elect_rto_timeout(&r, 20, 150, 8), 150);
	for (int i = 0; i < 7; i++)
		elect_rto_sample(&r, 1);
	assert_int_equal(elect_rto_timeout(&r, 20, 150, 8), 150);
	elect_rto_sample(&r, 1);
	assert_int_equal(elect_rto_timeout(&r, 20, 150, 8), 20);
}

/* RFC 6298 §2.2: the first sample R gives SRTT R, RTTVAR R/2, so an
 * RTO of 3R. */
static void
test_first_sample_is_three_times(void **state)
{
	struct elect_rto r;

	(void)state;
	elect_rto_init(&r);
	elect_rto_sample(&r, 40);
	assert_int_equal(r.srtt8, 40 * 8);
	assert_int_equal(r.rttvar8, 20 * 8);
	assert_int_equal(elect_rto_timeout(&r, 1, 1000, 1), 120);
}

/* A steady service that answers after 50 ms: the timeout settles just
 * above 50 ms, not at the floor and not at the ceiling. */
static void
test_steady_service_settles_above_its_time(void **state)
{
	struct elect_rto r;
	uint32_t t;

	(void)state;
	elect_rto_init(&r);
	for (int i = 0; i < 200; i++)
		elect_rto_sample(&r, 50);
	t = elect_rto_timeout(&r, 20, 150, 8);
	assert_in_range(t, 51, 56);
}

/* A LAN that answers in well under a ms: the floor, never 0. */
static void
test_fast_lan_gets_the_floor(void **state)
{
	struct elect_rto r;

	(void)state;
	elect_rto_init(&r);
	for (int i = 0; i < 100; i++)
		elect_rto_sample(&r, 0);
	assert_int_equal(elect_rto_timeout(&r, 20, 150, 8), 20);
	assert_int_equal(elect_rto_timeout(&r, 0, 150, 8), 1);
}

/* Variance widens it: 1 answer in 20 after 120 ms, the others at once. */
static void
test_variance_widens(void **state)
{
	struct elect_rto r;
	uint32_t t;

	(void)state;
	elect_rto_init(&r);
	for (int i = 0; i < 400; i++)
		elect_rto_sample(&r, i % 20 == 19 ? 120 : 1);
	t = elect_rto_timeout(&r, 20, 150, 8);
	assert_in_range(t, 21, 150);
}

/* Bad input: huge samples are capped (no overflow), the result stays in
 * [min, max], and a flood of zero samples cannot go below the floor. */
static void
test_bad_samples_stay_bounded(void **state)
{
	struct elect_rto r;

	(void)state;
	elect_rto_init(&r);
	for (int i = 0; i < 1000; i++)
		elect_rto_sample(&r, UINT64_MAX);
	assert_int_equal(elect_rto_timeout(&r, 20, 150, 8), 150);
	assert_true(r.srtt8 <= 60000u * 8);
	for (int i = 0; i < 100000; i++)
		elect_rto_sample(&r, 0);
	assert_int_equal(elect_rto_timeout(&r, 20, 150, 8), 20);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_ceiling_until_enough_samples),
	    cmocka_unit_test(test_first_sample_is_three_times),
	    cmocka_unit_test(test_steady_service_settles_above_its_time),
	    cmocka_unit_test(test_fast_lan_gets_the_floor),
	    cmocka_unit_test(test_variance_widens),
	    cmocka_unit_test(test_bad_samples_stay_bounded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
