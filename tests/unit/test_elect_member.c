/*
 * tests/unit/test_elect_member.c — the membership table, the rank and the
 * order of preference, and the heartbeat failure detector.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "election/elect_int.h"

static struct elect_id
id_of(int n)
{
	struct elect_id id;

	memset(id.b, 0, sizeof(id.b));
	id.b[0] = (uint8_t)(n >> 8);
	id.b[15] = (uint8_t)n;
	return id;
}

static struct elect_member *
add(struct elect_members *t, int n, uint8_t prio, uint64_t now)
{
	bool added;
	struct elect_id id = id_of(n);
	struct elect_member *m =
	    elect_members_touch(t, &id, now, false, &added);

	assert_non_null(m);
	m->priority = prio;
	m->state = ELECT_ST_STANDBY;
	return m;
}

static void
touch_adds_once_and_finds_again(void **state)
{
	struct elect_members t;
	struct elect_id id = id_of(7);
	bool added;

	(void)state;
	elect_members_init(&t, 1000);
	assert_non_null(elect_members_touch(&t, &id, 5, false, &added));
	assert_true(added);
	assert_non_null(elect_members_touch(&t, &id, 6, false, &added));
	assert_false(added);
	assert_int_equal(t.n, 1);
	assert_int_equal(elect_members_find(&t, &id)->last_seen_ms, 6);
}

/* A cluster of ELECT_MAX_MEMBERS, self included: the others fill it. */
static void
fill(struct elect_members *t)
{
	int i;

	for (i = 0; i < ELECT_MAX_PEERS; i++)
		add(t, i, 100, 10 + (uint64_t)i);
	assert_int_equal(t->n, ELECT_MAX_PEERS);
}

static void
full_table_refuses_a_newcomer_while_every_member_is_live(void **state)
{
	struct elect_members t;
	struct elect_id fresh = id_of(5000), first = id_of(0);
	bool added = true;
	int i;

	(void)state;
	assert_int_equal(ELECT_MAX_PEERS, ELECT_MAX_MEMBERS - 1);
	assert_true(ELECT_MAX_MEMBERS >= 64);
	elect_members_init(&t, 1000);
	fill(&t);
	assert_null(elect_members_touch(&t, &fresh, 500, false, &added));
	assert_false(added);
	assert_int_equal(t.n, ELECT_MAX_PEERS);
	assert_null(elect_members_find(&t, &fresh));
	for (i = 0; i < ELECT_MAX_PEERS; i++) {
		struct elect_id id = id_of(i);

		assert_non_null(elect_members_find(&t, &id));
	}
	/* Members already in are heard as before. */
	assert_non_null(elect_members_touch(&t, &first, 501, false, &added));
	assert_false(added);
}

static void
full_table_gives_a_quiet_members_slot_to_a_newcomer(void **state)
{
	struct elect_members t;
	struct elect_id fresh = id_of(5000), first = id_of(0);
	bool added;

	(void)state;
	elect_members_init(&t, 1000);
	fill(&t);
	/* Member 0, last heard at 10, is no longer live at 1010. */
	assert_non_null(elect_members_touch(&t, &fresh, 1010, false, &added));
	assert_true(added);
	assert_int_equal(t.n, ELECT_MAX_PEERS);
	assert_null(elect_members_find(&t, &first));
	assert_non_null(elect_members_find(&t, &fresh));
}

static void
full_table_never_refuses_a_holder(void **state)
{
	struct elect_members t;
	struct elect_id holder = id_of(5000), first = id_of(0);
	bool added;

	(void)state;
	elect_members_init(&t, 1000);
	fill(&t);
	/* Its lease gates our claims: the least recently heard goes. */
	assert_non_null(elect_members_touch(&t, &holder, 500, true, &added));
	assert_true(added);
	assert_int_equal(t.n, ELECT_MAX_PEERS);
	assert_null(elect_members_find(&t, &first));
	assert_non_null(elect_members_find(&t, &holder));
}

static void
member_is_live_until_it_expires(void **state)
{
	struct elect_members t;
	struct elect_member *m;

	(void)state;
	elect_members_init(&t, 100);
	m = add(&t, 1, 100, 1000);
	assert_true(elect_member_is_live(&t, m, 1099));
	assert_false(elect_member_is_live(&t, m, 1100));
}

static void
rank_counts_better_priorities_and_lower_ids_only(void **state)
{
	struct elect_members t;
	struct elect_id me = id_of(50), dead = id_of(10);

	(void)state;
	elect_members_init(&t, 1000);
	add(&t, 10, 200, 0); /* better, but skipped (the dead holder) */
	add(&t, 20, 100, 0); /* same priority, lower id: before me */
	add(&t, 60, 100, 0); /* same priority, higher id: after me */
	add(&t, 70, 150, 0); /* better priority: before me */
	add(&t, 80, 0, 0);   /* observer: never counts */
	add(&t, 90, 254, 0)->state = ELECT_ST_STOPPED; /* gone */
	assert_int_equal(elect_members_rank(&t, 1, 100, &me, &dead), 2);
	assert_int_equal(elect_members_rank(&t, 1, 100, &me, NULL), 3);
	/* Expired members do not count either. */
	assert_int_equal(elect_members_rank(&t, 1000, 100, &me, NULL), 0);
}

static void
best_is_the_highest_priority_then_lowest_id(void **state)
{
	struct elect_members t;
	struct elect_id skip = id_of(30);

	(void)state;
	elect_members_init(&t, 1000);
	assert_null(elect_members_best(&t, 0, NULL));
	add(&t, 40, 100, 0);
	add(&t, 20, 100, 0);
	add(&t, 30, 200, 0);
	assert_int_equal(elect_members_best(&t, 1, NULL)->id.b[15], 30);
	assert_int_equal(elect_members_best(&t, 1, &skip)->id.b[15], 20);
}

static void
preference_is_epoch_then_priority_then_lower_id(void **state)
{
	struct elect_claim a = {5, 1, id_of(9)}, b = {4, 254, id_of(1)};

	(void)state;
	assert_true(elect_claim_better(&a, &b));
	assert_false(elect_claim_better(&b, &a));
	b.epoch = 5;
	assert_true(elect_claim_better(&b, &a));
	b.priority = 1;
	assert_true(elect_claim_better(&b, &a));  /* lower id */
	assert_false(elect_claim_better(&a, &a)); /* strict */
}

static void
detector_expires_after_dead_after_heartbeats(void **state)
{
	struct elect_detector fd;

	(void)state;
	elect_detector_init(&fd, 200, 3, 1000);
	assert_int_equal(elect_detector_deadline(&fd), 1600);
	assert_false(elect_detector_expired(&fd, 1599));
	assert_true(elect_detector_expired(&fd, 1600));
	elect_detector_heard(&fd, 1500);
	assert_false(elect_detector_expired(&fd, 2099));
	elect_detector_heard(&fd, 1400); /* late news never moves it back */
	assert_int_equal(elect_detector_deadline(&fd), 2100);
}

static void
request_table_keeps_first_sighting_and_oldest_when_full(void **state)
{
	struct elect_reqs t;
	uint64_t i;

	(void)state;
	elect_reqs_init(&t);
	assert_int_equal(elect_reqs_oldest(&t), 0);
	elect_reqs_request(&t, 1, 6, 80, 100);
	elect_reqs_request(&t, 1, 6, 80, 150); /* a retransmitted SYN */
	assert_int_equal(t.n, 1);
	assert_int_equal(elect_reqs_oldest(&t), 100);
	for (i = 2; i <= ELECT_MAX_REQS + 10; i++)
		elect_reqs_request(&t, i, 6, 80, 200 + i);
	assert_int_equal(t.n, ELECT_MAX_REQS);
	assert_int_equal(elect_reqs_oldest(&t), 100);
}

static void
answer_removes_only_its_request(void **state)
{
	struct elect_reqs t;

	(void)state;
	elect_reqs_init(&t);
	elect_reqs_request(&t, 1, 6, 80, 100);
	elect_reqs_request(&t, 2, 6, 80, 200);
	elect_reqs_answer(
	    &t, 9, 6, 80, 300, 150); /* an answer without a request */
	assert_int_equal(t.n, 2);
	elect_reqs_answer(&t, 1, 6, 80, 300, 150);
	assert_int_equal(t.n, 1);
	assert_int_equal(elect_reqs_oldest(&t), 200);
	elect_reqs_answer(&t, 2, 6, 80, 300, 150);
	assert_int_equal(elect_reqs_oldest(&t), 0);
}

static void
fit_members_go_before_unfit_ones(void **state)
{
	struct elect_members t;
	struct elect_id me = id_of(50);

	(void)state;
	elect_members_init(&t, 1000);
	add(&t, 10, 250, 0)->unfit = true; /* best, but its service fails */
	add(&t, 20, 150, 0);
	assert_int_equal(elect_members_best(&t, 1, NULL)->id.b[15], 20);
	/* A fit node of priority 100 lets only the fit 150 go first. */
	assert_int_equal(elect_members_rank(&t, 1, 100, &me, NULL), 1);
	t.m[1].unfit = true; /* all unfit: the best of them */
	assert_int_equal(elect_members_best(&t, 1, NULL)->id.b[15], 10);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(touch_adds_once_and_finds_again),
	    cmocka_unit_test(
		full_table_refuses_a_newcomer_while_every_member_is_live),
	    cmocka_unit_test(
		full_table_gives_a_quiet_members_slot_to_a_newcomer),
	    cmocka_unit_test(full_table_never_refuses_a_holder),
	    cmocka_unit_test(member_is_live_until_it_expires),
	    cmocka_unit_test(rank_counts_better_priorities_and_lower_ids_only),
	    cmocka_unit_test(best_is_the_highest_priority_then_lowest_id),
	    cmocka_unit_test(preference_is_epoch_then_priority_then_lower_id),
	    cmocka_unit_test(detector_expires_after_dead_after_heartbeats),
	    cmocka_unit_test(
		request_table_keeps_first_sighting_and_oldest_when_full),
	    cmocka_unit_test(answer_removes_only_its_request),
	    cmocka_unit_test(fit_members_go_before_unfit_ones),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
