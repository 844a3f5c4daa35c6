/*
 * tests/unit/test_store_place.c — weighted rendezvous hashing
 * (store/place.h), by its properties: each member's share follows its
 * weight; a leave moves exactly the leaver's buckets and a join exactly
 * the newcomer's, about 1/N of them; the order of the members does not
 * matter; the rank is the owner, then who owns it without the owner.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <math.h>

#include "store/place.h"
#include "store/store_int.h"

#define KEYS 100000

static void
members(struct place_member *m, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		m[i].id = 0x1000 + 7919 * (uint64_t)i;
		m[i].weight = 1;
	}
}

/* share[i]: how many of KEYS keys member i owns. */
static void
shares(const struct place_member *m, size_t n, size_t *share)
{
	uint64_t k;
	int o;

	memset(share, 0, n * sizeof(*share));
	for (k = 0; k < KEYS; k++) {
		o = place_owner(m, n, k * 0x9e3779b97f4a7c15ULL);
		assert_true(o >= 0 && (size_t)o < n);
		share[o]++;
	}
}

static void
equal_weights_share_evenly(void **state)
{
	static const size_t sizes[] = {1, 2, 3, 5, 8, 20};
	struct place_member m[20];
	size_t share[20], s, n, i;

	(void)state;
	for (s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		n = sizes[s];
		members(m, n);
		shares(m, n, share);
		for (i = 0; i < n; i++) {
			/* 5 % of the fair share: over 13 standard deviations
			 * at 20 members, a property, not a draw. */
			assert_in_range(share[i], KEYS / n - KEYS / n / 20,
			    KEYS / n + KEYS / n / 20);
		}
	}
}

static void
shares_follow_the_weights(void **state)
{
	struct place_member m[3];
	size_t share[3], i;

	(void)state;
	members(m, 3);
	for (i = 0; i < 3; i++)
		m[i].weight = (uint32_t)(i + 1) * 100;
	shares(m, 3, share);
	for (i = 0; i < 3; i++) {
		size_t fair = KEYS * (i + 1) / 6;

		assert_in_range(share[i], fair - fair / 20, fair + fair / 20);
	}
}

static void
weight_zero_takes_nothing(void **state)
{
	struct place_member m[4];
	size_t share[4];

	(void)state;
	members(m, 4);
	m[2].weight = 0;
	shares(m, 4, share);
	assert_int_equal(share[2], 0);
	m[0].weight = m[1].weight = m[3].weight = 0;
	assert_int_equal(place_owner(m, 4, 42), -1);
	assert_int_equal(place_owner(m, 0, 42), -1);
}

/* Removing member j of n: exactly j's buckets move, about 1/n. */
static void
a_leave_moves_only_the_leavers_buckets(void **state)
{
	struct place_member m[12], less[12];
	int before[PLACE_BUCKETS], after[PLACE_BUCKETS];
	size_t n = 12, j, b, owned, moved;

	(void)state;
	members(m, n);
	place_buckets(m, n, before);
	for (j = 0; j < n; j++) {
		memcpy(less, m, j * sizeof(m[0]));
		memcpy(less + j, m + j + 1, (n - j - 1) * sizeof(m[0]));
		place_buckets(less, n - 1, after);
		moved = place_moved(m, before, less, after, PLACE_BUCKETS);
		for (owned = 0, b = 0; b < PLACE_BUCKETS; b++)
			owned += before[b] == (int)j;
		assert_int_equal(moved, owned);
		/* 256 / 12 = 21.3: a binomial's wide margin. */
		assert_in_range(moved, 5, 45);
	}
}

/* Adding a member: exactly the buckets it now owns move. */
static void
a_join_moves_only_to_the_newcomer(void **state)
{
	struct place_member m[13];
	int before[PLACE_BUCKETS], after[PLACE_BUCKETS];
	size_t b, gained = 0, moved;

	(void)state;
	members(m, 13);
	place_buckets(m, 12, before);
	place_buckets(m, 13, after);
	moved = place_moved(m, before, m, after, PLACE_BUCKETS);
	for (b = 0; b < PLACE_BUCKETS; b++)
		gained += after[b] == 12;
	assert_int_equal(moved, gained);
	assert_in_range(moved, 5, 45);
}

static void
the_order_of_the_members_does_not_matter(void **state)
{
	struct place_member m[9], rev[9];
	size_t i;
	uint64_t k;

	(void)state;
	members(m, 9);
	for (i = 0; i < 9; i++)
		rev[i] = m[8 - i];
	for (k = 0; k < 5000; k++)
		assert_int_equal(
		    m[place_owner(m, 9, k)].id, rev[place_owner(rev, 9, k)].id);
}

static void
the_rank_is_the_owner_then_the_owner_without_it(void **state)
{
	struct place_member m[7], less[7];
	size_t out[3], got, i, j;
	uint64_t k;

	(void)state;
	members(m, 7);
	m[4].weight = 0;
	for (k = 0; k < 2000; k++) {
		got = place_rank(m, 7, k, out, 3);
		assert_int_equal(got, 3);
		assert_int_equal((int)out[0], place_owner(m, 7, k));
		for (i = 0; i < 3; i++) {
			assert_int_not_equal(out[i], 4);
			for (j = 0; j < i; j++)
				assert_int_not_equal(out[i], out[j]);
		}
		memcpy(less, m, sizeof(m));
		less[out[0]].weight = 0;
		assert_int_equal((int)out[1], place_owner(less, 7, k));
	}
	/* Fewer members than asked: all that have a weight. */
	assert_int_equal(place_rank(m, 2, 1, out, 3), 2);
	assert_int_equal(place_rank(m, 7, 1, out, 0), 0);
}

/* The logarithm placement computes without libm agrees with libm's to
 * within a few units in the last place over (0, 1]. */
static void
the_logarithm_is_libms_to_the_last_bits(void **state)
{
	static const double fixed[] = {1.0, 0.5, 0.25, 0.75, 1e-16,
	    1.0 / 9007199254740992.0, 0.9999999999999999, 0.1, 0.3333333333};
	uint64_t x = 12345;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		assert_true(fabs(store_ln_unit(fixed[i]) - log(fixed[i])) <=
			    4e-16 * fabs(log(fixed[i])) + 1e-300);
	for (i = 0; i < 100000; i++) {
		double u;

		x = x * 6364136223846793005ULL + 1442695040888963407ULL;
		u = ((double)(x >> 11) + 0.5) / 9007199254740992.0;
		assert_true(fabs(store_ln_unit(u) - log(u)) <=
			    4e-16 * fabs(log(u)) + 4e-16);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(equal_weights_share_evenly),
	    cmocka_unit_test(the_logarithm_is_libms_to_the_last_bits),
	    cmocka_unit_test(shares_follow_the_weights),
	    cmocka_unit_test(weight_zero_takes_nothing),
	    cmocka_unit_test(a_leave_moves_only_the_leavers_buckets),
	    cmocka_unit_test(a_join_moves_only_to_the_newcomer),
	    cmocka_unit_test(the_order_of_the_members_does_not_matter),
	    cmocka_unit_test(the_rank_is_the_owner_then_the_owner_without_it),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
