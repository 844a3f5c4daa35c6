/*
 * tests/unit/test_redis_coord.c — the pure half of the site cache's
 * coordinator (src/redis_coord_core.c): weights by strategy, the member
 * tracker (deaths declared once, the forget delay, returns), the codec
 * of the worker's messages with bad input, and the slot moves' gate.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "src/redis_coord.h"

#define PW "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static void
weights_follow_the_strategy_unknown_weighs_one(void **state)
{
	(void)state;
	assert_int_equal(coord_weight(CONF_STORE_UNIFORM, 8, 4096), 1);
	assert_int_equal(coord_weight(CONF_STORE_CPU, 8, 4096), 8);
	assert_int_equal(coord_weight(CONF_STORE_MEMORY, 8, 4096), 4096);
	assert_int_equal(coord_weight(CONF_STORE_CPU, 0, 4096), 1);
	assert_int_equal(coord_weight(CONF_STORE_MEMORY, 8, 0), 1);
}

static const struct coord_tracked *
find(const struct coord_track *t, uint32_t addr)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		if (t->e[i].m.addr == addr)
			return &t->e[i];
	return NULL;
}

/* A member that leaves the listing is declared dead once, stays listed
 * dead for the forget delay, then is dropped. */
static void
a_death_is_declared_once_then_forgotten_after_the_delay(void **state)
{
	struct coord_seen three[] = {
	    {1, 1, false}, {2, 1, false}, {3, 1, false}};
	struct coord_track t = {0};
	uint32_t dead[4];

	(void)state;
	assert_int_equal(
	    coord_track_update(&t, three, 3, 1000, 60000, dead, 4), 0);
	assert_int_equal(t.n, 3);
	assert_int_equal(
	    coord_track_update(&t, three, 2, 2000, 60000, dead, 4), 1);
	assert_int_equal(dead[0], 3);
	assert_false(find(&t, 3)->m.alive);
	assert_true(find(&t, 2)->m.alive);
	/* Not declared again while it stays away. */
	assert_int_equal(
	    coord_track_update(&t, three, 2, 30000, 60000, dead, 4), 0);
	assert_non_null(find(&t, 3));
	assert_int_equal(
	    coord_track_update(&t, three, 2, 61999, 60000, dead, 4), 0);
	assert_non_null(find(&t, 3));
	assert_int_equal(
	    coord_track_update(&t, three, 2, 62000, 60000, dead, 4), 0);
	assert_null(find(&t, 3));
	assert_int_equal(t.n, 2);
}

/* Stopped (leaving) counts as dead; a return before the delay makes it
 * alive again, with its new weight. */
static void
stopped_is_dead_and_a_return_is_alive(void **state)
{
	struct coord_seen s[] = {{1, 1, false}, {2, 1, false}};
	struct coord_track t = {0};
	uint32_t dead[4];

	(void)state;
	coord_track_update(&t, s, 2, 0, 5000, dead, 4);
	s[1].stopped = true;
	assert_int_equal(coord_track_update(&t, s, 2, 100, 5000, dead, 4), 1);
	assert_int_equal(dead[0], 2);
	assert_false(find(&t, 2)->m.alive);
	s[1].stopped = false;
	s[1].weight = 7;
	assert_int_equal(coord_track_update(&t, s, 2, 200, 5000, dead, 4), 0);
	assert_true(find(&t, 2)->m.alive);
	assert_int_equal(find(&t, 2)->m.weight, 7);
	/* Dies again: declared again. */
	assert_int_equal(coord_track_update(&t, s, 1, 300, 5000, dead, 4), 1);
}

/* A stopped member never seen alive, or one without an address, is not
 * a member; a full table leaves newcomers out. */
static void
stopped_unknown_and_addressless_are_not_added(void **state)
{
	struct coord_seen s[COORD_MEMBERS_MAX + 3];
	struct coord_track t = {0};
	uint32_t dead[4];
	size_t i;

	(void)state;
	s[0] = (struct coord_seen){5, 1, true};
	s[1] = (struct coord_seen){0, 1, false};
	assert_int_equal(coord_track_update(&t, s, 2, 0, 1000, dead, 4), 0);
	assert_int_equal(t.n, 0);
	for (i = 0; i < COORD_MEMBERS_MAX + 3; i++)
		s[i] = (struct coord_seen){(uint32_t)i + 1, 1, false};
	coord_track_update(&t, s, COORD_MEMBERS_MAX + 3, 0, 1000, dead, 4);
	assert_int_equal(t.n, COORD_MEMBERS_MAX);
	/* More deaths than room in dead[]: the count is capped. */
	assert_int_equal(coord_track_update(&t, s, 0, 10, 1000, dead, 4), 4);
}

static void
fill_conf(struct coord_conf *c)
{
	memset(c, 0, sizeof(*c));
	c->holding = true;
	c->self = 0x0a00000b;
	c->port = 6379;
	c->replicas = 1;
	memcpy(c->password, PW, sizeof(PW));
	c->n = 3;
	c->m[0] = (struct rplan_member){0x0a00000b, 1, true};
	c->m[1] = (struct rplan_member){0x0a00000c, 4, true};
	c->m[2] = (struct rplan_member){0x0a00000d, 1, false};
}

static void
conf_round_trips(void **state)
{
	struct coord_conf c, back;
	uint8_t buf[COORD_MSG_MAX];
	int n;

	(void)state;
	fill_conf(&c);
	n = coord_conf_encode(&c, buf, sizeof(buf));
	assert_int_equal(n, 75 + 3 * 9);
	assert_int_equal(coord_conf_decode(buf, (size_t)n, &back), 0);
	assert_memory_equal(&c, &back, sizeof(c));
	assert_int_equal(coord_conf_encode(&c, buf, (size_t)n - 1), -1);
}

/* Every malformed CONF is refused whole. */
static void
bad_conf_is_refused(void **state)
{
	struct coord_conf c, back;
	uint8_t buf[COORD_MSG_MAX], bad[COORD_MSG_MAX];
	size_t i;
	int n;

	(void)state;
	fill_conf(&c);
	n = coord_conf_encode(&c, buf, sizeof(buf));
	for (i = 0; i < (size_t)n; i++) /* every truncation */
		assert_int_equal(coord_conf_decode(buf, i, &back), -1);
	assert_int_equal(coord_conf_decode(buf, (size_t)n + 1, &back), -1);
#define MUTATE(off, val)                                                       \
	do {                                                                   \
		memcpy(bad, buf, (size_t)n);                                   \
		bad[off] = (val);                                              \
		assert_int_equal(                                              \
		    coord_conf_decode(bad, (size_t)n, &back), -1);             \
	} while (0)
	MUTATE(0, 'R');		     /* type */
	MUTATE(1, 2);		     /* version */
	MUTATE(2, 3);		     /* an unknown flag */
	MUTATE(3, 9);		     /* replicas over the planner's bound */
	memcpy(bad, buf, (size_t)n); /* port 0 */
	bad[4] = bad[5] = 0;
	assert_int_equal(coord_conf_decode(bad, (size_t)n, &back), -1);
	MUTATE(10, 'G');   /* a password byte not hex */
	MUTATE(41, 0);	   /* a NUL in the password */
	MUTATE(74, 4);	   /* a count the length does not match */
	MUTATE(74, 200);   /* over COORD_MEMBERS_MAX */
	MUTATE(75 + 8, 2); /* alive neither 0 nor 1 */
	/* An address 0, an address twice. */
	memcpy(bad, buf, (size_t)n);
	memset(bad + 75, 0, 4);
	assert_int_equal(coord_conf_decode(bad, (size_t)n, &back), -1);
	memcpy(bad, buf, (size_t)n);
	memcpy(bad + 75 + 9, bad + 75, 4);
	assert_int_equal(coord_conf_decode(bad, (size_t)n, &back), -1);
	/* The encoder refuses what the decoder would. */
	c.password[3] = 'Z';
	assert_int_equal(coord_conf_encode(&c, buf, sizeof(buf)), -1);
#undef MUTATE
}

static void
report_round_trips_and_refuses_bad_input(void **state)
{
	struct coord_report r, back;
	uint8_t buf[COORD_MSG_MAX], bad[COORD_MSG_MAX];
	size_t i;
	int n;

	(void)state;
	memset(&r, 0, sizeof(r));
	r.coordinating = r.unreplicated = true;
	r.alive = 2;
	r.slots_live = 16384;
	r.want_replicas = 1;
	r.moves = 1ull << 40;
	r.takeovers = 3;
	r.introduced = 4;
	r.forgotten = 5;
	r.declined = 6;
	strcpy(r.last_error, "MEET 10.0.0.2:6380 on 10.0.0.1:6379: refused");
	n = coord_report_encode(&r, buf, sizeof(buf));
	assert_true(n > 0);
	assert_int_equal(coord_report_decode(buf, (size_t)n, &back), 0);
	assert_memory_equal(&r, &back, sizeof(r));
	for (i = 0; i < (size_t)n; i++)
		assert_int_equal(coord_report_decode(buf, i, &back), -1);
	memcpy(bad, buf, (size_t)n);
	bad[2] = 8; /* an unknown flag */
	assert_int_equal(coord_report_decode(bad, (size_t)n, &back), -1);
	memcpy(bad, buf, (size_t)n);
	bad[100] = '\n'; /* a control byte in the error text */
	assert_int_equal(coord_report_decode(bad, (size_t)n, &back), -1);
	memcpy(bad, buf, (size_t)n);
	bad[99] = 255; /* an error length over the bound */
	assert_int_equal(coord_report_decode(bad, (size_t)n, &back), -1);
	r.last_error[0] = '\t';
	assert_int_equal(coord_report_encode(&r, buf, sizeof(buf)), -1);
}

/* Node ids of the gate's view. */
#define ID_X "1111111111111111111111111111111111111111"
#define ID_OLD "2222222222222222222222222222222222222222"
#define ID_T "3333333333333333333333333333333333333333"
#define ID_P "4444444444444444444444444444444444444444"
#define ID_R "5555555555555555555555555555555555555555"
#define ADDR(d) (0x0a000000u | (d)) /* 10.0.0.d */

/*
 * After a takeover whose dead member came back (a false death): X, on
 * .16, took over and serves slots; the old master came back as X's
 * replica and was reset to an empty primary T on .14 (its other
 * instance is X's replica now). T gets X's slots, but no replica can
 * come for it until X has drained and is free, and the plan places none:
 * the gate must not wait (it waited for ever, seen in
 * tests/netns/store_chaos.sh). P has one.
 */
static const char gate_view[] =
    ID_P " 10.0.0.16:6379@16379 myself,master - 0 0 1 connected 0-8000\n" ID_X
	 " 10.0.0.16:6380@16380 master - 0 0 5 connected 8001-16383\n" ID_OLD
	 " 10.0.0.14:6380@16380 slave " ID_X " 0 0 5 connected\n" ID_T
	 " 10.0.0.14:6379@16379 master - 0 0 0 connected\n" ID_R
	 " 10.0.0.17:6380@16380 slave " ID_P " 0 0 1 connected\n";

static void
moves_wait_for_a_replica_only_when_one_is_coming(void **state)
{
	static struct rnodes_view v;
	static struct rplan_out out;

	(void)state;
	memset(&out, 0, sizeof(out));
	assert_int_equal(
	    rnodes_parse(gate_view, strlen(gate_view), &v), RNODES_OK);
	assert_false(coord_replica_coming(&v, &out, ADDR(14), 6379));
	assert_true(coord_replica_coming(&v, &out, ADDR(16), 6380));
	assert_true(coord_replica_coming(&v, &out, ADDR(16), 6379));
	assert_false(coord_replica_coming(&v, &out, ADDR(99), 6379));
	/* The plan still places replicas (a join's first step gives the
	 * new member's other instance to some master, whose spare one goes
	 * to the new primary a step later): worth the wait. */
	out.nact = 2;
	out.act[0].op = RPLAN_MOVE_SLOT;
	out.act[0].addr = ADDR(16);
	out.act[0].port = 6380;
	out.act[0].peer_addr = ADDR(14);
	out.act[0].peer_port = 6379;
	out.act[1].op = RPLAN_REPLICATE;
	out.act[1].addr = ADDR(17);
	out.act[1].port = 6380;
	out.act[1].peer_addr = ADDR(16);
	out.act[1].peer_port = 6379;
	assert_true(coord_replica_coming(&v, &out, ADDR(14), 6379));
	out.act[1].op = RPLAN_MEET; /* no replica placed */
	assert_false(coord_replica_coming(&v, &out, ADDR(14), 6379));
	/* A failing replica is not coming. */
	v.node[rnodes_find(&v, ID_R)].flags |= RNODE_FAIL;
	assert_false(coord_replica_coming(&v, &out, ADDR(16), 6379));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(weights_follow_the_strategy_unknown_weighs_one),
	    cmocka_unit_test(
		a_death_is_declared_once_then_forgotten_after_the_delay),
	    cmocka_unit_test(stopped_is_dead_and_a_return_is_alive),
	    cmocka_unit_test(stopped_unknown_and_addressless_are_not_added),
	    cmocka_unit_test(conf_round_trips),
	    cmocka_unit_test(bad_conf_is_refused),
	    cmocka_unit_test(report_round_trips_and_refuses_bad_input),
	    cmocka_unit_test(moves_wait_for_a_replica_only_when_one_is_coming),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
