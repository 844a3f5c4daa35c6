/*
 * tests/unit/test_store_rplan.c — the planner's rules one at a time
 * (store/rplan.h), on small CLUSTER NODES texts: the targets by weight,
 * a first formation, a join, the takeover decision, forgetting, a
 * half-done migration. The whole life of a cluster is
 * tests/unit/test_store_rmodel.c.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "store/rnodes.h"
#include "store/rplan.h"

#define A1 0x0a000001u /* 10.0.0.1 */
#define A2 0x0a000002u
#define A3 0x0a000003u

#define IDA "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define IDB "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define IDC "cccccccccccccccccccccccccccccccccccccccc"
#define IDD "dddddddddddddddddddddddddddddddddddddddd"
#define IDE "eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee"
#define IDF "ffffffffffffffffffffffffffffffffffffffff"

static struct rnodes_view v;
static struct rplan_out out;

static void
plan(const char *text, const struct rplan_member *m, size_t n, unsigned r)
{
	struct rplan_in in = {{6379, r}, m, n, &v, v.mig, 0};

	assert_int_equal(rnodes_parse(text, strlen(text), &v), RNODES_OK);
	in.mig = v.mig;
	in.nmig = v.nmig;
	assert_int_equal(rplan_step(&in, &out), 0);
}

static size_t
count(enum rplan_op op)
{
	size_t i, k = 0;

	for (i = 0; i < out.nact; i++)
		k += out.act[i].op == op;
	return k;
}

static void
targets_follow_weights_by_largest_remainder(void **state)
{
	struct rplan_member m[3] = {
	    {A3, 1, true}, {A1, 1, true}, {A2, 1, true}};
	uint16_t t[3];

	(void)state;
	rplan_targets(m, 3, t);
	/* 16384 = 3 x 5461 + 1: the one more to the lowest address. */
	assert_int_equal(t[0], 5461);
	assert_int_equal(t[1], 5462);
	assert_int_equal(t[2], 5461);
	m[0].weight = 2;
	m[2].weight = 0;
	rplan_targets(m, 3, t);
	assert_int_equal(t[0] + t[1], 16384);
	assert_int_equal(t[0], 10923);
	assert_int_equal(t[2], 0);
	/* The dead count for nothing; no weight at all: equal shares. */
	m[0].alive = false;
	m[1].weight = 0;
	rplan_targets(m, 3, t);
	assert_int_equal(t[0], 0);
	assert_int_equal(t[1], 8192);
	assert_int_equal(t[2], 8192);
}

static void
a_fresh_node_meets_everyone_before_taking_slots(void **state)
{
	static const struct rplan_member m[2] = {{A1, 1, true}, {A2, 1, true}};

	(void)state;
	plan(IDA " 10.0.0.1:6379@16379 myself,master - 0 0 0 connected\n", m, 2,
	    1);
	assert_int_equal(count(RPLAN_MEET), 3);
	assert_int_equal(count(RPLAN_ADDSLOTS), 0);
	assert_int_equal(out.act[0].addr, A1);
	assert_int_equal(out.act[0].peer_addr, A1);
	assert_int_equal(out.act[0].peer_port, 6380);
	assert_false(out.status.converged);
	assert_true(out.status.unreplicated);
}

static const char two_empty[] =
    IDA " 10.0.0.1:6379@16379 myself,master - 0 0 0 connected\n" IDB
	" 10.0.0.1:6380@16380 master - 0 0 0 connected\n" IDC
	" 10.0.0.2:6379@16379 master - 0 0 0 connected\n" IDD
	" 10.0.0.2:6380@16380 master - 0 0 0 connected\n";

static void
a_whole_view_gets_one_range_per_member_and_replicas(void **state)
{
	static const struct rplan_member m[2] = {{A2, 1, true}, {A1, 1, true}};
	size_t i;

	(void)state;
	plan(two_empty, m, 2, 1);
	assert_int_equal(count(RPLAN_ADDSLOTS), 2);
	assert_int_equal(count(RPLAN_REPLICATE), 2);
	assert_int_equal(out.act[0].op, RPLAN_ADDSLOTS);
	assert_string_equal(out.act[0].node_id, IDA);
	assert_int_equal(out.act[0].slot, 0);
	assert_int_equal(out.act[0].slot_hi, 8191);
	assert_string_equal(out.act[1].node_id, IDC);
	assert_int_equal(out.act[1].slot, 8192);
	assert_int_equal(out.act[1].slot_hi, 16383);
	/* Each member's second instance replicates the other's master. */
	for (i = 2; i < 4; i++) {
		assert_int_equal(out.act[i].op, RPLAN_REPLICATE);
		assert_int_not_equal(out.act[i].addr, out.act[i].peer_addr);
	}
	assert_int_equal(out.status.slots_free, 16384);
}

static void
a_join_takes_the_highest_slots_of_each_member(void **state)
{
	static const char text[] = IDA
	    " 10.0.0.1:6379@16379 myself,master - 0 0 1 connected 0-8191\n" IDC
	    " 10.0.0.2:6379@16379 master - 0 0 2 connected 8192-16383\n" IDE
	    " 10.0.0.3:6379@16379 master - 0 0 0 connected\n";
	static const struct rplan_member m[3] = {
	    {A1, 1, true}, {A2, 1, true}, {A3, 1, true}};
	size_t i, from_a = 0, from_c = 0;

	(void)state;
	plan(text, m, 3, 0);
	assert_int_equal(count(RPLAN_MOVE_SLOT), RPLAN_MOVES_MAX);
	assert_true(out.more);
	for (i = 0; i < out.nact; i++) {
		assert_string_equal(out.act[i].peer_id, IDE);
		if (strcmp(out.act[i].node_id, IDA) == 0)
			assert_int_equal(out.act[i].slot, 8191 - from_a++);
		else
			assert_int_equal(out.act[i].slot, 16383 - from_c++);
	}
	/* Taken alternately from the larger surplus: half from each. */
	assert_int_equal(from_a, RPLAN_MOVES_MAX / 2);
	assert_int_equal(out.status.slots_off, 2 * (8192 - 5461) - 1);
}

static const char a_died[] =
    IDA " 10.0.0.1:6379@16379 master,fail - 0 0 1 disconnected 0-5461\n" IDB
	" 10.0.0.1:6380@16380 slave,fail " IDC " 0 0 1 disconnected\n" IDC
	" 10.0.0.2:6379@16379 myself,master - 0 0 2 connected 5462-10922\n" IDD
	" 10.0.0.2:6380@16380 slave " IDA " 0 0 1 connected\n" IDE
	" 10.0.0.3:6379@16379 master - 0 0 3 connected 10923-16383\n" IDF
	" 10.0.0.3:6380@16380 slave " IDA " 0 0 1 connected\n";

static void
one_survivor_takes_over_a_dead_master(void **state)
{
	static const uint32_t dead = A1;
	int r2[4], r3[4];
	size_t n2, n3;

	(void)state;
	assert_int_equal(
	    rnodes_parse(a_died, sizeof(a_died) - 1, &v), RNODES_OK);
	n2 = rplan_takeover(&v, &dead, 1, A2, r2, 4);
	n3 = rplan_takeover(&v, &dead, 1, A3, r3, 4);
	/* Exactly one of the two replicas of IDA, whoever asks. */
	assert_int_equal(n2 + n3, 1);
	if (n2 == 1)
		assert_string_equal(v.node[r2[0]].id, IDD);
	else
		assert_string_equal(v.node[r3[0]].id, IDF);
	/* Nobody else dead: nothing to do. */
	assert_int_equal(rplan_takeover(&v, &dead, 0, A2, r2, 4), 0);
}

static void
the_planner_takes_over_alike_and_alone(void **state)
{
	static const struct rplan_member m[3] = {
	    {A1, 1, false}, {A2, 1, true}, {A3, 1, true}};
	static const uint32_t dead = A1;
	int r[4];

	(void)state;
	plan(a_died, m, 3, 1);
	assert_int_equal(out.nact, 1);
	assert_int_equal(out.act[0].op, RPLAN_TAKEOVER);
	assert_string_equal(out.act[0].peer_id, IDA);
	if (rplan_takeover(&v, &dead, 1, A2, r, 4) == 0)
		assert_true(rplan_takeover(&v, &dead, 1, A3, r, 4) == 1);
	assert_string_equal(out.act[0].node_id, v.node[r[0]].id);
	assert_int_equal(out.status.slots_stuck, 5462);
	assert_false(out.status.converged);
}

static void
a_gone_node_is_forgotten_by_all_but_its_replicas(void **state)
{
	static const char text[] = IDA
	    " 10.0.0.1:6379@16379 master,fail - 0 0 1 disconnected\n" IDC
	    " 10.0.0.2:6379@16379 myself,master - 0 0 2 connected 0-8191\n" IDD
	    " 10.0.0.2:6380@16380 slave " IDA " 0 0 1 connected\n" IDE
	    " 10.0.0.3:6379@16379 master - 0 0 3 connected 8192-16383\n" IDF
	    " 10.0.0.3:6380@16380 slave " IDC " 0 0 1 connected\n";
	static const struct rplan_member m[2] = {{A2, 1, true}, {A3, 1, true}};
	size_t i;

	(void)state;
	plan(text, m, 2, 1);
	assert_int_equal(count(RPLAN_FORGET), 3);
	for (i = 0; i < out.nact; i++)
		if (out.act[i].op == RPLAN_FORGET) {
			assert_string_equal(out.act[i].peer_id, IDA);
			assert_string_not_equal(out.act[i].node_id, IDD);
		}
	/* IDD, a stray replica, goes to the master the other member has. */
	assert_int_equal(count(RPLAN_REPLICATE), 1);
	assert_string_equal(out.act[out.nact - 1].node_id, IDD);
	assert_string_equal(out.act[out.nact - 1].peer_id, IDE);
}

static void
a_half_done_migration_is_finished(void **state)
{
	static const char text[] =
	    IDA " 10.0.0.1:6379@16379 myself,master - 0 0 1 connected 0-8191 "
		"[100->-" IDC "]\n" IDC
		" 10.0.0.2:6379@16379 master - 0 0 2 connected 8192-16383\n";
	static const struct rplan_member m[2] = {{A1, 1, true}, {A2, 1, true}};

	(void)state;
	plan(text, m, 2, 0);
	assert_int_equal(out.nact, 2);
	assert_int_equal(out.act[0].op, RPLAN_MOVE_SLOT);
	assert_int_equal(out.act[0].slot, 100);
	assert_string_equal(out.act[0].peer_id, IDC);
	/* That leaves IDC one over its target: its highest slot comes back. */
	assert_int_equal(out.act[1].op, RPLAN_MOVE_SLOT);
	assert_string_equal(out.act[1].node_id, IDC);
	assert_int_equal(out.act[1].slot, 16383);
	assert_int_equal(out.status.open_migs, 1);
	assert_false(out.status.converged);
}

static void
a_converged_cluster_gets_no_action(void **state)
{
	static const char text[] = IDA
	    " 10.0.0.1:6379@16379 myself,master - 0 0 1 connected 0-8191\n" IDB
	    " 10.0.0.1:6380@16380 slave " IDC " 0 0 1 connected\n" IDC
	    " 10.0.0.2:6379@16379 master - 0 0 2 connected 8192-16383\n" IDD
	    " 10.0.0.2:6380@16380 slave " IDA " 0 0 1 connected\n";
	static const struct rplan_member m[2] = {{A1, 1, true}, {A2, 1, true}};
	struct rplan_in bad = {{6379, 9}, m, 2, &v, NULL, 0};

	(void)state;
	plan(text, m, 2, 1);
	assert_int_equal(out.nact, 0);
	assert_true(out.status.converged);
	/* Two members: replicated, but a loss is not survived for sure. */
	assert_true(out.status.unreplicated);
	assert_int_equal(out.status.want_replicas, 1);
	assert_int_equal(rplan_step(&bad, &out), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(targets_follow_weights_by_largest_remainder),
	    cmocka_unit_test(a_fresh_node_meets_everyone_before_taking_slots),
	    cmocka_unit_test(
		a_whole_view_gets_one_range_per_member_and_replicas),
	    cmocka_unit_test(a_join_takes_the_highest_slots_of_each_member),
	    cmocka_unit_test(one_survivor_takes_over_a_dead_master),
	    cmocka_unit_test(the_planner_takes_over_alike_and_alone),
	    cmocka_unit_test(a_gone_node_is_forgotten_by_all_but_its_replicas),
	    cmocka_unit_test(a_half_done_migration_is_finished),
	    cmocka_unit_test(a_converged_cluster_gets_no_action),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
