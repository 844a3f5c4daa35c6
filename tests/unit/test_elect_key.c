/*
 * tests/unit/test_elect_key.c — key rotation in the election core (issue
 * 14): a datagram under the key or the next key is accepted, never
 * counted as an attack; the next key is sent with once every live member
 * holds it, not while one lacks it, or at once when told (FORCED, which
 * members holding the key follow); a promoted key keeps the cluster on
 * it. One core under test, peers speaking real, signed datagrams.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "election/election.h"

#define ME 0x50
#define LOG_MAX 64

static const uint8_t secret_a[ELECT_KEY_LEN] =
    "0123456789abcdef0123456789abcde";
static const uint8_t secret_b[ELECT_KEY_LEN] =
    "fedcba9876543210fedcba987654321";
static const uint8_t secret_c[ELECT_KEY_LEN] =
    "a third key, nobody's, 32 bytes";

struct fx {
	struct elect_key *a, *b, *c; /* key, next key, a stranger's */
	struct elect_conf conf;
	struct elect *e;
	uint64_t now, wake;
	struct elect_action log[LOG_MAX];
	size_t nlog;
	uint64_t chal[256]; /* the last challenge the core sent peer n */
	uint64_t seq[256];  /* peer n's last sequence */
	bool verified[256]; /* peer n answered a challenge */
	enum elect_rotate_result rotate;
};

static struct elect_addr
addr_of(int n)
{
	struct elect_addr a = {.family = 4, .b = {10, 0, 0, (uint8_t)n}};

	return a;
}

static struct elect_id
id_of(int n)
{
	struct elect_id id;

	memset(id.b, n, sizeof(id.b));
	return id;
}

/* Decodes a datagram the core sent; which key verified it. */
static bool
fx_decode(const struct fx *f, const struct elect_action *a, struct elect_msg *m,
    bool *by_next)
{
	return elect_wire_decode_either(
		   a->buf, a->len, f->a, f->b, m, by_next) == ELECT_WIRE_OK;
}

static void
fx_step(struct fx *f, const struct elect_event *ev)
{
	struct elect_event done = {.type = ELECT_EV_PERSIST_DONE, .ok = true};
	struct elect_out out;
	struct elect_msg m;
	bool persist = false, by_next;
	size_t i;

	assert_int_equal(elect_step(f->e, f->now, ev, &out), 0);
	f->wake = out.wake_ms;
	f->rotate = out.rotate;
	for (i = 0; i < out.nact; i++) {
		const struct elect_action *a = &out.act[i];

		persist = persist || a->type == ELECT_ACT_PERSIST;
		if (a->type == ELECT_ACT_SEND && a->dest.family == 4 &&
		    fx_decode(f, a, &m, &by_next) &&
		    (m.has & ELECT_HAS_CHALLENGE))
			f->chal[a->dest.b[3]] = m.challenge;
		if (f->nlog < LOG_MAX)
			f->log[f->nlog++] = *a;
	}
	if (persist)
		fx_step(f, &done);
}

static void
fx_advance(struct fx *f, uint64_t ms)
{
	struct elect_event ev = {.type = ELECT_EV_TIMER};
	uint64_t until = f->now + ms;

	while (f->wake != 0 && f->wake <= until) {
		f->now = f->wake;
		fx_step(f, &ev);
	}
	f->now = until;
}

/* Peer n's HELLO, tagged with key; keys: its KEYS TLV (NULL: none, an
 * older build), naming cur and next (NULL: none), flags. */
struct peer_keys {
	struct elect_key *cur, *next;
	uint8_t flags;
};

static void
fx_hello(
    struct fx *f, int n, struct elect_key *key, const struct peer_keys *keys)
{
	uint8_t buf[ELECT_WIRE_MAX];
	struct elect_event ev = {.type = ELECT_EV_RX, .buf = buf};
	struct elect_msg m = {.version = ELECT_PROTO_VERSION,
	    .type = ELECT_MSG_HELLO,
	    .priority = 100,
	    .state = ELECT_ST_STANDBY,
	    .boot = (uint64_t)n,
	    .uptime_ms = f->now,
	    .has = ELECT_HAS_NAME | ELECT_HAS_STATE | ELECT_HAS_PRIORITY |
		   ELECT_HAS_BOOT | ELECT_HAS_UPTIME | ELECT_HAS_DMZ |
		   ELECT_HAS_LEASE | ELECT_HAS_HEARTBEAT};

	m.id = id_of(n);
	m.seq = ++f->seq[n];
	snprintf(m.name, sizeof(m.name), "h%d", n);
	m.dmz = f->conf.dmz;
	m.dmz_prefix = f->conf.dmz_prefix;
	m.lease_ms = f->conf.lease_ms;
	m.heartbeat_ms = f->conf.heartbeat_ms;
	if (keys != NULL) {
		m.has |= ELECT_HAS_KEYS;
		if (keys->cur != NULL)
			elect_key_id(keys->cur, m.key_cur);
		if (keys->next != NULL)
			elect_key_id(keys->next, m.key_next);
		m.key_flags = keys->flags;
	}
	if (f->chal[n] != 0) {
		m.has |= ELECT_HAS_RESPONSE;
		m.response = f->chal[n];
		f->chal[n] = 0;
	}
	ev.len = elect_wire_encode(&m, key, buf, sizeof(buf));
	assert_true(ev.len > 0);
	ev.src = addr_of(n);
	fx_step(f, &ev);
}

/* Peer n joins (two HELLOs: the second answers the challenge). */
static void
fx_join(
    struct fx *f, int n, struct elect_key *key, const struct peer_keys *keys)
{
	fx_hello(f, n, key, keys);
	if (!f->verified[n]) {
		assert_true(f->chal[n] != 0);
		fx_hello(f, n, key, keys);
		f->verified[n] = true;
	}
}

static uint64_t
fx_auth_drops(const struct fx *f)
{
	struct elect_counters ctr;

	elect_get_counters(f->e, &ctr);
	return ctr.rx_dropped_auth;
}

/* Whether the core's last datagram to the group was tagged with the
 * next key (it must verify with one of ours). */
static bool
fx_last_group_by_next(struct fx *f)
{
	struct elect_msg m;
	bool by_next = false, seen = false;
	size_t i;

	for (i = 0; i < f->nlog; i++) {
		if (f->log[i].type != ELECT_ACT_SEND)
			continue;
		assert_true(fx_decode(f, &f->log[i], &m, &by_next));
		seen = true;
	}
	assert_true(seen);
	return by_next;
}

static void
fx_reconf(struct fx *f, struct elect_key *key, struct elect_key *next)
{
	struct elect_event ev = {.type = ELECT_EV_RECONF, .conf = &f->conf};

	f->conf.key = key;
	f->conf.next_key = next;
	fx_step(f, &ev);
}

static void
fx_rotate(struct fx *f, bool force)
{
	struct elect_event ev = {.type = ELECT_EV_KEY_ROTATE, .force = force};

	fx_step(f, &ev);
}

static uint64_t
settle_ms(const struct fx *f)
{
	return (uint64_t)ELECT_KEY_SETTLE_HEARTBEATS * f->conf.heartbeat_ms;
}

static int
setup(void **state)
{
	struct elect_event start = {.type = ELECT_EV_START};
	struct elect_persist p = {.id = id_of(ME)};
	struct fx *f = test_calloc(1, sizeof(*f));

	f->a = elect_key_new(secret_a);
	f->b = elect_key_new(secret_b);
	f->c = elect_key_new(secret_c);
	elect_conf_defaults(&f->conf);
	f->conf.key = f->a;
	snprintf(f->conf.name, sizeof(f->conf.name), "me");
	f->conf.addrs[0] = addr_of(ME);
	f->conf.n_addrs = 1;
	f->conf.dmz = addr_of(11);
	f->conf.dmz_prefix = 24;
	f->now = 1000;
	f->e = elect_new(&f->conf, &p, f->now, 42);
	assert_non_null(f->e);
	fx_step(f, &start);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	elect_free(f->e);
	elect_key_free(f->a);
	elect_key_free(f->b);
	elect_key_free(f->c);
	test_free(f);
	return 0;
}

/* ---- tests ---- */

static void
key_ids_tell_keys_apart_and_do_not_change(void **state)
{
	struct fx *f = *state;
	uint8_t a1[ELECT_KEY_ID_LEN], a2[ELECT_KEY_ID_LEN], b[ELECT_KEY_ID_LEN];
	static const uint8_t zero[ELECT_KEY_ID_LEN];

	elect_key_id(f->a, a1);
	elect_key_id(f->a, a2);
	elect_key_id(f->b, b);
	assert_memory_equal(a1, a2, sizeof(a1));
	assert_memory_not_equal(a1, b, sizeof(a1));
	assert_memory_not_equal(a1, zero, sizeof(a1));
}

static void
either_key_verifies_a_datagram_and_a_strangers_does_not(void **state)
{
	struct fx *f = *state;
	struct elect_msg m = {.version = ELECT_PROTO_VERSION,
	    .type = ELECT_MSG_ALIVE,
	    .has = ELECT_HAS_BOOT | ELECT_HAS_UPTIME};
	uint8_t buf[ELECT_WIRE_MAX];
	struct elect_msg out;
	bool by_next = true;
	size_t len;

	len = elect_wire_encode(&m, f->a, buf, sizeof(buf));
	assert_int_equal(
	    elect_wire_decode_either(buf, len, f->a, f->b, &out, &by_next),
	    ELECT_WIRE_OK);
	assert_false(by_next);
	len = elect_wire_encode(&m, f->b, buf, sizeof(buf));
	assert_int_equal(
	    elect_wire_decode_either(buf, len, f->a, f->b, &out, &by_next),
	    ELECT_WIRE_OK);
	assert_true(by_next);
	/* Without a next key, the next key's datagram is an attack. */
	assert_int_equal(
	    elect_wire_decode_either(buf, len, f->a, NULL, &out, &by_next),
	    ELECT_WIRE_AUTH);
	assert_false(by_next);
	len = elect_wire_encode(&m, f->c, buf, sizeof(buf));
	assert_int_equal(
	    elect_wire_decode_either(buf, len, f->a, f->b, &out, &by_next),
	    ELECT_WIRE_AUTH);
	assert_false(by_next);
	/* Malformed stays malformed whatever the keys. */
	assert_int_equal(
	    elect_wire_decode_either(buf, 10, f->a, f->b, &out, &by_next),
	    ELECT_WIRE_MALFORMED);
}

static void
keys_tlv_round_trips_with_unknown_flags_kept(void **state)
{
	struct fx *f = *state;
	struct elect_msg m = {.version = ELECT_PROTO_VERSION,
	    .type = ELECT_MSG_ALIVE,
	    .has = ELECT_HAS_BOOT | ELECT_HAS_UPTIME | ELECT_HAS_KEYS,
	    .key_flags = ELECT_KEYS_FORCED | 0x80};
	uint8_t buf[ELECT_WIRE_MAX];
	struct elect_msg out;
	size_t len;

	elect_key_id(f->a, m.key_cur);
	elect_key_id(f->b, m.key_next);
	len = elect_wire_encode(&m, f->a, buf, sizeof(buf));
	assert_true(len > 0);
	assert_int_equal(
	    elect_wire_decode(buf, len, f->a, &out), ELECT_WIRE_OK);
	assert_true(out.has & ELECT_HAS_KEYS);
	assert_memory_equal(out.key_cur, m.key_cur, ELECT_KEY_ID_LEN);
	assert_memory_equal(out.key_next, m.key_next, ELECT_KEY_ID_LEN);
	assert_int_equal(out.key_flags, m.key_flags); /* unknown bits kept */
}

static void
a_datagram_under_the_next_key_is_accepted_never_counted_an_attack(void **state)
{
	struct fx *f = *state;
	struct peer_keys both = {f->a, f->b, 0};

	fx_reconf(f, f->a, f->b);
	fx_join(f, 0x10, f->b, &both);
	fx_join(f, 0x20, f->a, &both);
	fx_hello(f, 0x10, f->a, &both);
	fx_hello(f, 0x20, f->b, &both);
	assert_int_equal(fx_auth_drops(f), 0);
	/* The stranger's key still is. */
	fx_hello(f, 0x30, f->c, NULL);
	assert_int_equal(fx_auth_drops(f), 1);
}

static void
an_older_member_without_keys_is_heard_and_holds_the_sends_back(void **state)
{
	struct fx *f = *state;
	struct elect_key_info ki;
	struct elect_member_info mi[4];

	fx_reconf(f, f->a, f->b);
	fx_join(f, 0x10, f->a, NULL); /* no KEYS: an older build */
	fx_advance(f, 2 * settle_ms(f));
	elect_get_key(f->e, f->now, &ki);
	assert_true(ki.has_next);
	assert_false(ki.sending_next);
	assert_int_equal(ki.n_lacking, 1);
	assert_int_equal(elect_get_members(f->e, f->now, mi, 4), 1);
	assert_false(mi[0].has_next_key);
	f->nlog = 0;
	fx_advance(f, f->conf.hello_interval_ms + 1);
	assert_false(fx_last_group_by_next(f));
	assert_int_equal(fx_auth_drops(f), 0);
}

static void
the_next_key_sends_once_every_live_member_holds_it(void **state)
{
	struct fx *f = *state;
	struct peer_keys both = {f->a, f->b, 0}, old = {f->a, NULL, 0};
	struct elect_key_info ki;

	fx_join(f, 0x10, f->a, &old);
	fx_join(f, 0x20, f->a, &old);
	f->nlog = 0;
	fx_reconf(f, f->a, f->b);
	/* A new next key asks every member for its HELLO (its KEYS). */
	assert_true(f->nlog > 0 && f->log[0].type == ELECT_ACT_SEND);
	fx_hello(f, 0x10, f->a, &both);
	fx_advance(f, 2 * settle_ms(f));
	elect_get_key(f->e, f->now, &ki);
	assert_false(ki.sending_next); /* 0x20 lacks it */
	assert_int_equal(ki.n_lacking, 1);
	fx_hello(f, 0x20, f->a, &both);
	fx_advance(f, f->conf.heartbeat_ms);
	elect_get_key(f->e, f->now, &ki);
	assert_true(ki.sending_next);
	assert_false(ki.forced);
	assert_int_equal(ki.n_lacking, 0);
	f->nlog = 0;
	fx_advance(f, f->conf.hello_interval_ms + 1);
	assert_true(fx_last_group_by_next(f));
	/* One restarts without it: the sends come back to the key. */
	fx_hello(f, 0x20, f->a, &old);
	fx_advance(f, f->conf.heartbeat_ms);
	elect_get_key(f->e, f->now, &ki);
	assert_false(ki.sending_next);
	assert_int_equal(fx_auth_drops(f), 0);
}

static void
no_switch_before_the_members_could_answer(void **state)
{
	struct fx *f = *state;
	struct elect_key_info ki;

	fx_reconf(f, f->a, f->b); /* alone: every member has it, vacuously */
	fx_advance(f, settle_ms(f) / 2);
	elect_get_key(f->e, f->now, &ki);
	assert_false(ki.sending_next);
	fx_advance(f, settle_ms(f));
	elect_get_key(f->e, f->now, &ki);
	assert_true(ki.sending_next);
}

static void
rotate_is_refused_while_a_member_lacks_it_unless_forced(void **state)
{
	struct fx *f = *state;
	struct peer_keys old = {f->a, NULL, 0};
	struct elect_key_info ki;
	struct elect_msg m;
	bool by_next;
	size_t i;

	fx_rotate(f, false);
	assert_int_equal(f->rotate, ELECT_ROTATE_NO_NEXT);
	fx_reconf(f, f->a, f->b);
	fx_join(f, 0x10, f->a, &old);
	fx_rotate(f, false);
	assert_int_equal(f->rotate, ELECT_ROTATE_LACKING);
	elect_get_key(f->e, f->now, &ki);
	assert_false(ki.sending_next);
	f->nlog = 0;
	fx_rotate(f, true);
	assert_int_equal(f->rotate, ELECT_ROTATE_DONE);
	elect_get_key(f->e, f->now, &ki);
	assert_true(ki.sending_next && ki.forced);
	/* At once, a HELLO under the next key that says FORCED. */
	for (i = 0; i < f->nlog; i++)
		if (f->log[i].type == ELECT_ACT_SEND)
			break;
	assert_true(i < f->nlog);
	assert_true(fx_decode(f, &f->log[i], &m, &by_next));
	assert_true(by_next);
	assert_int_equal(m.type, ELECT_MSG_HELLO);
	assert_true(m.key_flags & ELECT_KEYS_FORCED);
	/* The lacking member stays lacking: it never brings us back. */
	fx_advance(f, 2 * settle_ms(f));
	elect_get_key(f->e, f->now, &ki);
	assert_true(ki.sending_next);
	assert_int_equal(ki.n_lacking, 1);
}

static void
a_forced_member_brings_those_holding_the_same_key_along(void **state)
{
	struct fx *f = *state;
	struct peer_keys forced_b = {f->a, f->b, ELECT_KEYS_FORCED};
	struct peer_keys forced_c = {f->a, f->c, ELECT_KEYS_FORCED};
	struct peer_keys old = {f->a, NULL, 0};
	struct elect_key_info ki;

	fx_reconf(f, f->a, f->b);
	fx_join(f, 0x20, f->a, &old);	   /* lacks it: no automatic switch */
	fx_join(f, 0x10, f->a, &forced_c); /* forced, another next key */
	elect_get_key(f->e, f->now, &ki);
	assert_false(ki.sending_next);
	fx_hello(f, 0x10, f->b, &forced_b);
	elect_get_key(f->e, f->now, &ki);
	assert_true(ki.sending_next && ki.forced);
	/* Another next key from the operator: decided again. */
	fx_reconf(f, f->a, f->c);
	elect_get_key(f->e, f->now, &ki);
	assert_false(ki.sending_next || ki.forced);
}

static void
a_promoted_key_keeps_the_cluster_on_it(void **state)
{
	struct fx *f = *state;
	struct peer_keys both = {f->a, f->b, 0}, promoted = {f->b, NULL, 0};
	struct elect_key_info ki;
	uint8_t id_b[ELECT_KEY_ID_LEN];

	fx_reconf(f, f->a, f->b);
	fx_join(f, 0x10, f->a, &both);
	fx_advance(f, 2 * settle_ms(f));
	elect_get_key(f->e, f->now, &ki);
	assert_true(ki.sending_next);
	/* The member moved the next key into its key file: its key is
	 * our next key, so it holds it. */
	fx_hello(f, 0x10, f->b, &promoted);
	fx_advance(f, f->conf.heartbeat_ms);
	elect_get_key(f->e, f->now, &ki);
	assert_true(ki.sending_next);
	assert_int_equal(ki.n_lacking, 0);
	/* Ours too: the next key is the key, sent with, no next. */
	fx_reconf(f, f->b, NULL);
	elect_get_key(f->e, f->now, &ki);
	elect_key_id(f->b, id_b);
	assert_memory_equal(ki.cur, id_b, sizeof(id_b));
	assert_false(ki.has_next || ki.sending_next);
	f->nlog = 0;
	fx_advance(f, f->conf.hello_interval_ms + 1);
	{
		struct elect_msg m;
		bool by_next;
		size_t i;

		for (i = 0; i < f->nlog; i++)
			if (f->log[i].type == ELECT_ACT_SEND)
				assert_int_equal(
				    elect_wire_decode_either(f->log[i].buf,
					f->log[i].len, f->b, NULL, &m,
					&by_next),
				    ELECT_WIRE_OK);
	}
	/* The old key is no longer ours. */
	fx_hello(f, 0x10, f->a, &both);
	assert_int_equal(fx_auth_drops(f), 1);
}

static void
the_key_before_a_promotion_is_still_heard_until_dropped(void **state)
{
	struct fx *f = *state;
	struct peer_keys both = {f->a, f->b, 0}, promoted = {f->b, NULL, 0};
	struct elect_key_info ki;
	uint8_t id_b[ELECT_KEY_ID_LEN];

	fx_reconf(f, f->a, f->b);
	fx_join(f, 0x10, f->b, &both);
	/* Promoted, the old key kept as the previous one: a member not
	 * promoted yet (or restarted with it) is heard, never an attack. */
	f->conf.prev_key = f->a;
	fx_reconf(f, f->b, NULL);
	fx_hello(f, 0x10, f->a, &both);
	fx_hello(f, 0x10, f->b, &promoted);
	assert_int_equal(fx_auth_drops(f), 0);
	/* It is never sent with nor said. */
	elect_get_key(f->e, f->now, &ki);
	elect_key_id(f->b, id_b);
	assert_memory_equal(ki.cur, id_b, sizeof(id_b));
	assert_false(ki.has_next);
	/* Dropped (the next reload): now it is. */
	f->conf.prev_key = NULL;
	fx_reconf(f, f->b, NULL);
	fx_hello(f, 0x10, f->a, &both);
	assert_int_equal(fx_auth_drops(f), 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(
		key_ids_tell_keys_apart_and_do_not_change, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		either_key_verifies_a_datagram_and_a_strangers_does_not, setup,
		teardown),
	    cmocka_unit_test_setup_teardown(
		keys_tlv_round_trips_with_unknown_flags_kept, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		a_datagram_under_the_next_key_is_accepted_never_counted_an_attack,
		setup, teardown),
	    cmocka_unit_test_setup_teardown(
		an_older_member_without_keys_is_heard_and_holds_the_sends_back,
		setup, teardown),
	    cmocka_unit_test_setup_teardown(
		the_next_key_sends_once_every_live_member_holds_it, setup,
		teardown),
	    cmocka_unit_test_setup_teardown(
		no_switch_before_the_members_could_answer, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		rotate_is_refused_while_a_member_lacks_it_unless_forced, setup,
		teardown),
	    cmocka_unit_test_setup_teardown(
		a_forced_member_brings_those_holding_the_same_key_along, setup,
		teardown),
	    cmocka_unit_test_setup_teardown(
		a_promoted_key_keeps_the_cluster_on_it, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		the_key_before_a_promotion_is_still_heard_until_dropped, setup,
		teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
