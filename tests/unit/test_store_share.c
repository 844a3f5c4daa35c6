/*
 * tests/unit/test_store_share.c — load sharing's table (store/share.h):
 * every bucket goes to a fit member's address, about a third each of
 * three; an unfit, stopped, foreign or addressless member gets none and
 * the others keep theirs; the members' order does not matter; nobody
 * fit, no table.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "store/share.h"

static void
members(struct share_member *m, size_t n)
{
	size_t i;

	memset(m, 0, n * sizeof(*m));
	for (i = 0; i < n; i++) {
		m[i].id[0] = (uint8_t)(0x31 + 17 * i);
		m[i].id[5] = (uint8_t)(0xa0 ^ i);
		m[i].addr = 0x0a000000u | (uint32_t)(11 + i); /* any order */
	}
}

static void
three_fit_members_share_every_bucket(void **state)
{
	struct share_member m[3];
	struct share_table t;
	size_t i, b, sum = 0;

	(void)state;
	members(m, 3);
	assert_int_equal(share_compute(m, 3, &t), 3);
	for (b = 0; b < PLACE_BUCKETS; b++) {
		assert_in_range(t.owner[b], 0, 2);
		assert_int_equal(t.addr[b], m[t.owner[b]].addr);
	}
	for (i = 0; i < 3; i++) {
		/* 85 of 256 expected; rendezvous gives a binomial spread */
		assert_in_range(t.count[i], 55, 115);
		sum += t.count[i];
	}
	assert_int_equal(sum, PLACE_BUCKETS);
}

/* Each way of not being fit takes a member's buckets away, and only
 * its own move: the others' buckets stay where they were. */
static void
an_unfit_member_loses_its_buckets_and_only_those_move(void **state)
{
	struct share_member m[3];
	struct share_table before, after;
	size_t way, b, moved;

	(void)state;
	for (way = 0; way < 4; way++) {
		members(m, 3);
		share_compute(m, 3, &before);
		if (way == 0)
			m[1].unfit = true;
		else if (way == 1)
			m[1].stopped = true;
		else if (way == 2)
			m[1].foreign = true;
		else
			m[1].addr = 0;
		assert_false(share_is_fit(&m[1]));
		assert_int_equal(share_compute(m, 3, &after), 2);
		assert_int_equal(after.count[1], 0);
		assert_false(share_same(&before, &after));
		moved = 0;
		for (b = 0; b < PLACE_BUCKETS; b++) {
			assert_int_not_equal(after.owner[b], 1);
			if (before.owner[b] != 1)
				assert_int_equal(
				    after.owner[b], before.owner[b]);
			moved += before.owner[b] != after.owner[b];
		}
		assert_int_equal(moved, before.count[1]);
	}
}

/* A new holder lists the members in its own order: the same table. */
static void
the_order_of_the_members_does_not_matter(void **state)
{
	struct share_member m[4], r[4];
	struct share_table a, b;
	size_t i;

	(void)state;
	members(m, 4);
	m[2].unfit = true;
	for (i = 0; i < 4; i++)
		r[i] = m[3 - i];
	share_compute(m, 4, &a);
	share_compute(r, 4, &b);
	assert_true(share_same(&a, &b));
	for (i = 0; i < 4; i++)
		assert_int_equal(a.count[i], b.count[3 - i]);
}

static void
nobody_fit_is_no_table(void **state)
{
	struct share_member m[2];
	struct share_table t;
	size_t b;

	(void)state;
	members(m, 2);
	m[0].unfit = true;
	m[1].stopped = true;
	assert_int_equal(share_compute(m, 2, &t), 0);
	assert_int_equal(share_compute(m, 0, &t), 0);
	for (b = 0; b < PLACE_BUCKETS; b++) {
		assert_int_equal(t.owner[b], -1);
		assert_int_equal(t.addr[b], 0);
	}
}

/* One member alone takes every bucket; too many are cut, not overrun. */
static void
one_member_takes_all_and_too_many_are_cut(void **state)
{
	static struct share_member m[SHARE_MAX_MEMBERS + 3];
	struct share_table t;
	size_t i;

	(void)state;
	members(m, 1);
	assert_int_equal(share_compute(m, 1, &t), 1);
	assert_int_equal(t.count[0], PLACE_BUCKETS);
	for (i = 0; i < SHARE_MAX_MEMBERS + 3; i++) {
		memset(&m[i], 0, sizeof(m[i]));
		m[i].id[0] = (uint8_t)i;
		m[i].id[1] = (uint8_t)(i >> 8);
		m[i].addr = 0x0a000100u + (uint32_t)i;
	}
	m[SHARE_MAX_MEMBERS].addr = 0; /* past the cut: never looked at */
	assert_in_range(
	    share_compute(m, SHARE_MAX_MEMBERS + 3, &t), 2, SHARE_MAX_MEMBERS);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(three_fit_members_share_every_bucket),
	    cmocka_unit_test(
		an_unfit_member_loses_its_buckets_and_only_those_move),
	    cmocka_unit_test(the_order_of_the_members_does_not_matter),
	    cmocka_unit_test(nobody_fit_is_no_table),
	    cmocka_unit_test(one_member_takes_all_and_too_many_are_cut),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
