#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "src/events.h"

/* ---- the tracker: a member "h1" on a virtual clock ---- */

#define T0_UNIX 1796510000000ull /* 2026-12-05 */
#define SILENT_MS 250		 /* a heartbeat of 200 ms and a quarter */

struct fx {
	struct events_track t;
	struct events_clock clk;
	struct events_event ev;
};

static const struct events_peer SELF = {
    "11111111111111111111111111111111", "h1"};
static const struct events_peer H2 = {"22222222222222222222222222222222", "h2"};
static const struct events_peer H3 = {"33333333333333333333333333333333", "h3"};

static int
fx_setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	events_track_init(&f->t, &SELF, SILENT_MS);
	f->clk.mono_ms = 1000;
	f->clk.unix_ms = T0_UNIX;
	*state = f;
	return 0;
}

static int
fx_teardown(void **state)
{
	free(*state);
	return 0;
}

static void
fx_advance(struct fx *f, uint64_t ms)
{
	f->clk.mono_ms += ms;
	f->clk.unix_ms += ms;
}

static void
fx_state(struct fx *f, enum elect_state old, enum elect_state st,
    enum elect_reason why)
{
	events_track_state(&f->t, &f->clk, old, st, why, &f->ev);
}

#define UNLISTED UINT64_MAX /* not in the member listing (dead) */

/* The end of a step: holder who (NULL: none), heard age ms ago. */
static bool
fx_holder(struct fx *f, const struct events_peer *who, uint64_t age)
{
	struct events_holder h = {0};

	if (who != NULL) {
		h.present = true;
		h.self = who == &SELF;
		h.who = *who;
		h.heard = age != UNLISTED;
		h.last_seen_ms = age != UNLISTED ? age : 0;
	}
	return events_track_holder(&f->t, &f->clk, &h, &f->ev);
}

static void
fx_dead(struct fx *f, const struct events_peer *who, uint64_t age)
{
	events_track_member(
	    &f->t, &f->clk, false, who, "10.0.0.9", age, &f->ev);
}

static void
fx_status(struct fx *f, struct status *st)
{
	memset(st, 0, sizeof(*st));
	events_track_status(&f->t, st);
}

/* h1 a standby following h3 since the start. */
static void
fx_follow_h3(struct fx *f)
{
	fx_state(
	    f, ELECT_ST_STARTING, ELECT_ST_STANDBY, ELECT_WHY_HOLDER_HEARD);
	assert_true(fx_holder(f, &H3, 0));
	fx_advance(f, 500);
	assert_false(fx_holder(f, &H3, 0));
}

static void
first_holder_is_news_but_not_a_failover(void **state)
{
	struct fx *f = *state;
	struct status st;

	fx_state(
	    f, ELECT_ST_STARTING, ELECT_ST_STANDBY, ELECT_WHY_HOLDER_HEARD);
	assert_true(fx_holder(f, &H3, 0));
	assert_int_equal(f->ev.type, EVENTS_HOLDER);
	assert_string_equal(f->ev.from, "");
	assert_string_equal(f->ev.to, "h3");
	assert_string_equal(f->ev.to_id, H3.id);
	assert_string_equal(f->ev.cause, "holder_heard");
	assert_string_equal(f->ev.node, "h1");
	fx_status(f, &st);
	assert_int_equal(st.failovers.count, 0);
	assert_int_equal(st.failovers.n_recent, 0);
	assert_int_equal(st.holder.since_ms, T0_UNIX);
}

static void
standby_times_a_dead_holder_from_its_last_datagram(void **state)
{
	struct fx *f = *state;
	struct status st;

	fx_follow_h3(f);
	/* h3 was last heard at mono 1500; it is declared dead 900 ms on,
	 * h1 goes candidate, h2 claims 300 ms later. */
	fx_advance(f, 900);
	fx_dead(f, &H3, 900);
	fx_state(
	    f, ELECT_ST_STANDBY, ELECT_ST_CANDIDATE, ELECT_WHY_HOLDER_DEAD);
	assert_false(fx_holder(f, NULL, 0));
	fx_status(f, &st);
	assert_int_equal(st.holder.since_ms, 0);
	fx_advance(f, 300);
	fx_state(
	    f, ELECT_ST_CANDIDATE, ELECT_ST_STANDBY, ELECT_WHY_HOLDER_HEARD);
	assert_true(fx_holder(f, &H2, 0));
	assert_int_equal(f->ev.type, EVENTS_FAILOVER);
	assert_string_equal(f->ev.from, "h3");
	assert_string_equal(f->ev.to, "h2");
	assert_string_equal(f->ev.cause, "holder_dead");
	assert_int_equal(f->ev.duration_ms, 1200);
	fx_status(f, &st);
	assert_int_equal(st.failovers.count, 1);
	assert_int_equal(st.failovers.sum_ms, 1200);
	assert_int_equal(st.failovers.buckets[7], 1); /* <= 2000 ms */
	assert_int_equal(st.failovers.n_causes, 1);
	assert_string_equal(st.failovers.by_cause[0].reason, "holder_dead");
	assert_int_equal(st.failovers.by_cause[0].n, 1);
	assert_int_equal(st.failovers.n_recent, 1);
	assert_string_equal(st.failovers.recent[0].from, "h3");
	assert_string_equal(st.failovers.recent[0].to, "h2");
	assert_int_equal(st.failovers.recent[0].at_ms, f->clk.unix_ms);
	assert_int_equal(st.holder.since_ms, f->clk.unix_ms);
}

static void
new_holder_gives_the_reason_of_its_own_candidacy(void **state)
{
	struct fx *f = *state;
	struct status st;

	fx_follow_h3(f);
	fx_advance(f, 400);
	fx_state(
	    f, ELECT_ST_STANDBY, ELECT_ST_CANDIDATE, ELECT_WHY_PROBE_FAILED);
	assert_false(fx_holder(f, NULL, 0));
	fx_advance(f, 100);
	fx_state(f, ELECT_ST_CANDIDATE, ELECT_ST_HOLDER, ELECT_WHY_CLAIMED);
	assert_true(fx_holder(f, &SELF, 0));
	assert_int_equal(f->ev.type, EVENTS_FAILOVER);
	assert_string_equal(f->ev.from, "h3");
	assert_string_equal(f->ev.to, "h1");
	assert_string_equal(f->ev.cause, "probe_failed");
	assert_int_equal(f->ev.duration_ms, 500);
	fx_status(f, &st);
	assert_int_equal(st.failovers.buckets[4], 1); /* <= 500 ms */
}

static void
old_holder_gives_handover_and_times_from_its_leaving(void **state)
{
	struct fx *f = *state;

	fx_state(f, ELECT_ST_CANDIDATE, ELECT_ST_HOLDER, ELECT_WHY_NO_HOLDER);
	assert_true(fx_holder(f, &SELF, 0));
	assert_int_equal(f->ev.type, EVENTS_HOLDER);
	fx_advance(f, 10000);
	assert_false(fx_holder(f, &SELF, 0));
	fx_advance(f, 20);
	fx_state(f, ELECT_ST_HOLDER, ELECT_ST_STANDBY, ELECT_WHY_HANDOVER);
	assert_false(fx_holder(f, NULL, 0));
	fx_advance(f, 80);
	fx_state(f, ELECT_ST_STANDBY, ELECT_ST_STANDBY, ELECT_WHY_HOLDER_HEARD);
	assert_true(fx_holder(f, &H2, 0));
	assert_int_equal(f->ev.type, EVENTS_FAILOVER);
	assert_string_equal(f->ev.from, "h1");
	assert_string_equal(f->ev.cause, "handover");
	assert_int_equal(f->ev.duration_ms, 80);
}

/* h3 resigns (SIGTERM, or qurectl handover) naming h1: h1 claims at
 * once, from standby; its cause is h3's resignation, as the other
 * standbys' (they went candidate with holder_resigned). */
static void
named_successor_gives_holder_resigned(void **state)
{
	struct fx *f = *state;

	fx_follow_h3(f);
	fx_advance(f, 30);
	fx_state(f, ELECT_ST_STANDBY, ELECT_ST_HOLDER, ELECT_WHY_CLAIMED);
	assert_true(fx_holder(f, &SELF, 0));
	assert_int_equal(f->ev.type, EVENTS_FAILOVER);
	assert_string_equal(f->ev.from, "h3");
	assert_string_equal(f->ev.to, "h1");
	assert_string_equal(f->ev.cause, "holder_resigned");
	assert_int_equal(f->ev.duration_ms, 30);
}

static void
holder_replaced_without_a_state_change_is_holder_changed(void **state)
{
	struct fx *f = *state;

	fx_follow_h3(f);
	fx_advance(f, 40);
	assert_true(fx_holder(f, &H2, 0));
	assert_int_equal(f->ev.type, EVENTS_FAILOVER);
	assert_string_equal(f->ev.cause, "holder_changed");
	assert_int_equal(f->ev.duration_ms, 40);
}

static void
holder_silent_when_another_claimed_is_holder_dead(void **state)
{
	struct fx *f = *state;

	/* h3 goes silent; h2 finds it dead and claims; we hear the claim
	 * before we find h3 dead ourselves. */
	fx_follow_h3(f);
	fx_advance(f, SILENT_MS - 1);
	assert_true(fx_holder(f, &H2, 0));
	assert_string_equal(f->ev.cause, "holder_changed");
	fx_advance(f, SILENT_MS);
	assert_true(fx_holder(f, &H3, 0));
	assert_string_equal(f->ev.cause, "holder_dead");
	assert_int_equal(f->ev.duration_ms, SILENT_MS);
}

static void
holder_declared_dead_then_replaced_is_holder_dead(void **state)
{
	struct fx *f = *state;

	fx_follow_h3(f);
	fx_advance(f, 700);
	fx_dead(f, &H3, 700);
	assert_false(fx_holder(f, &H3, UNLISTED));
	fx_advance(f, 10);
	assert_true(fx_holder(f, &H2, 0));
	assert_string_equal(f->ev.cause, "holder_dead");
	assert_int_equal(f->ev.duration_ms, 710);
}

static void
a_reason_from_a_step_that_kept_the_holder_explains_nothing_later(void **state)
{
	struct fx *f = *state;

	fx_follow_h3(f);
	/* A link flap: starting, then back to the same holder. */
	fx_state(f, ELECT_ST_STANDBY, ELECT_ST_STARTING, ELECT_WHY_LINK_DOWN);
	assert_false(fx_holder(f, NULL, 0));
	fx_advance(f, 100);
	fx_state(
	    f, ELECT_ST_STARTING, ELECT_ST_STANDBY, ELECT_WHY_HOLDER_HEARD);
	assert_true(fx_holder(f, &H3, 0));
	assert_int_equal(f->ev.type, EVENTS_HOLDER);
	assert_string_equal(f->ev.from, "h3");
	assert_string_equal(f->ev.to, "h3");
	fx_advance(f, 100);
	assert_false(fx_holder(f, &H3, 0));
	/* Later h2 takes over unexplained: not "link_down". */
	fx_advance(f, 100);
	assert_true(fx_holder(f, &H2, 0));
	assert_string_equal(f->ev.cause, "holder_changed");
	assert_int_equal(f->t.count, 1);
}

static void
same_holder_regained_is_not_a_failover(void **state)
{
	struct fx *f = *state;
	struct status st;

	fx_follow_h3(f);
	fx_state(
	    f, ELECT_ST_STANDBY, ELECT_ST_CANDIDATE, ELECT_WHY_HOLDER_RESIGNED);
	assert_false(fx_holder(f, NULL, 0));
	fx_advance(f, 100);
	fx_state(
	    f, ELECT_ST_CANDIDATE, ELECT_ST_STANDBY, ELECT_WHY_HOLDER_HEARD);
	assert_true(fx_holder(f, &H3, 0));
	assert_int_equal(f->ev.type, EVENTS_HOLDER);
	fx_status(f, &st);
	assert_int_equal(st.failovers.count, 0);
	assert_int_equal(st.holder.since_ms, f->clk.unix_ms);
}

static void
holder_heard_late_is_timed_from_its_listed_age(void **state)
{
	struct fx *f = *state;

	fx_follow_h3(f);
	/* Its last datagram 250 ms before this step: that is when. */
	fx_advance(f, 1000);
	assert_false(fx_holder(f, &H3, 250));
	fx_state(
	    f, ELECT_ST_STANDBY, ELECT_ST_CANDIDATE, ELECT_WHY_HOLDER_DEAD);
	assert_false(fx_holder(f, NULL, 0));
	fx_advance(f, 50);
	assert_true(fx_holder(f, &H2, 0));
	assert_int_equal(f->ev.duration_ms, 300);
}

/* n failovers of d ms each between h2 and h3. */
static void
fx_failovers(struct fx *f, size_t n, uint64_t d)
{
	size_t i;

	for (i = 0; i < n; i++) {
		const struct events_peer *to =
		    f->t.has && strcmp(f->t.cur.id, H2.id) == 0 ? &H3 : &H2;

		fx_state(f, ELECT_ST_STANDBY, ELECT_ST_CANDIDATE,
		    ELECT_WHY_HOLDER_DEAD);
		assert_false(fx_holder(f, NULL, 0));
		fx_advance(f, d);
		fx_state(f, ELECT_ST_CANDIDATE, ELECT_ST_STANDBY,
		    ELECT_WHY_HOLDER_HEARD);
		assert_true(fx_holder(f, to, 0));
		assert_int_equal(f->ev.type, EVENTS_FAILOVER);
		fx_advance(f, 1000);
		assert_false(fx_holder(f, to, 0));
	}
}

static void
durations_land_in_the_bucket_of_their_upper_bound(void **state)
{
	static const struct {
		uint64_t d;
		size_t bucket;
	} cases[] = {
	    {0, 0},
	    {50, 0},
	    {51, 1},
	    {100, 1},
	    {101, 2},
	    {300, 3},
	    {750, 5},
	    {999, 6},
	    {2000, 7},
	    {5000, 8},
	    {5001, 9},
	    {3600000, 9},
	};
	struct fx *f = *state;
	struct status st;
	uint64_t sum = 0;
	size_t i, j;

	fx_follow_h3(f);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		fx_failovers(f, 1, cases[i].d);
		sum += cases[i].d;
		fx_status(f, &st);
		assert_int_equal(st.failovers.count, i + 1);
		assert_int_equal(st.failovers.sum_ms, sum);
		assert_int_equal(
		    st.failovers.recent[st.failovers.n_recent - 1].duration_ms,
		    cases[i].d);
		for (j = 0; j < STATUS_FAILOVER_BUCKETS; j++) {
			size_t want = 0, k;

			for (k = 0; k <= i; k++)
				want += cases[k].bucket == j;
			assert_int_equal(st.failovers.buckets[j], want);
		}
	}
}

static void
recent_keeps_the_last_sixteen_oldest_first(void **state)
{
	struct fx *f = *state;
	struct status st;
	size_t i;

	fx_follow_h3(f);
	for (i = 0; i < 20; i++)
		fx_failovers(f, 1, 100 + i); /* the i-th lasts 100 + i ms */
	fx_status(f, &st);
	assert_int_equal(st.failovers.count, 20);
	assert_int_equal(st.failovers.n_recent, STATUS_MAX_FAILOVERS);
	for (i = 0; i < STATUS_MAX_FAILOVERS; i++) {
		assert_int_equal(st.failovers.recent[i].duration_ms, 104 + i);
		if (i > 0)
			assert_true(st.failovers.recent[i].at_ms >
				    st.failovers.recent[i - 1].at_ms);
	}
	assert_string_equal(st.failovers.recent[15].to, "h3"); /* 20th */
	assert_int_equal(st.failovers.n_causes, 1);
	assert_int_equal(st.failovers.by_cause[0].n, 20);
}

static void
a_holder_known_by_id_alone_is_kept_by_id(void **state)
{
	struct fx *f = *state;
	struct events_peer anon = H2;
	struct status st;

	anon.name[0] = '\0';
	fx_follow_h3(f);
	fx_state(
	    f, ELECT_ST_STANDBY, ELECT_ST_CANDIDATE, ELECT_WHY_HOLDER_DEAD);
	assert_false(fx_holder(f, NULL, 0));
	assert_true(fx_holder(f, &anon, 0));
	fx_status(f, &st);
	assert_string_equal(st.failovers.recent[0].to, H2.id);
	/* Its name comes with its HELLO: kept for the next change. */
	assert_false(fx_holder(f, &H2, 0));
	assert_string_equal(f->t.cur.name, "h2");
}

static void
member_events_name_the_member(void **state)
{
	struct fx *f = *state;

	events_track_member(&f->t, &f->clk, true, &H2, "10.0.0.2", 0, &f->ev);
	assert_int_equal(f->ev.type, EVENTS_MEMBER_UP);
	assert_string_equal(f->ev.member, "h2");
	assert_string_equal(f->ev.member_id, H2.id);
	assert_string_equal(f->ev.address, "10.0.0.2");
	assert_string_equal(f->ev.node, "h1");
	fx_dead(f, &H2, 1234);
	assert_int_equal(f->ev.type, EVENTS_MEMBER_DEAD);
	assert_int_equal(f->ev.last_seen_ms, 1234);
	fx_state(
	    f, ELECT_ST_STANDBY, ELECT_ST_CANDIDATE, ELECT_WHY_SERVICE_FAILED);
	assert_int_equal(f->ev.type, EVENTS_STATE);
	assert_string_equal(f->ev.old, "standby");
	assert_string_equal(f->ev.state, "candidate");
	assert_string_equal(f->ev.reason, "service_failed");
}

/* ---- the record: JSON and text ---- */

static struct events_event
sample(enum events_type type)
{
	struct events_event ev = {.type = type, .at_ms = 1796510000123ull};

	snprintf(ev.node, sizeof(ev.node), "h1");
	switch (type) {
	case EVENTS_STATE:
		snprintf(ev.old, sizeof(ev.old), "standby");
		snprintf(ev.state, sizeof(ev.state), "candidate");
		snprintf(ev.reason, sizeof(ev.reason), "holder_dead");
		break;
	case EVENTS_MEMBER_UP:
	case EVENTS_MEMBER_DEAD:
		snprintf(ev.member, sizeof(ev.member), "h3");
		snprintf(ev.member_id, sizeof(ev.member_id), "%s", H3.id);
		snprintf(ev.address, sizeof(ev.address), "10.0.0.3");
		if (type == EVENTS_MEMBER_DEAD)
			ev.last_seen_ms = 812;
		break;
	case EVENTS_HOLDER:
	case EVENTS_FAILOVER:
		if (type == EVENTS_FAILOVER) {
			snprintf(ev.from, sizeof(ev.from), "h3");
			snprintf(ev.from_id, sizeof(ev.from_id), "%s", H3.id);
			ev.duration_ms = 240;
		}
		snprintf(ev.to, sizeof(ev.to), "h2");
		snprintf(ev.to_id, sizeof(ev.to_id), "%s", H2.id);
		snprintf(ev.cause, sizeof(ev.cause), "holder_dead");
		break;
	}
	return ev;
}

static void
json_round_trips_every_type(void **state)
{
	enum events_type t;
	struct events_event in, out;
	char err[128];
	char *s;

	(void)state;
	for (t = EVENTS_STATE; t <= EVENTS_FAILOVER; t++) {
		in = sample(t);
		s = events_to_json(&in);
		assert_null(strchr(s, '\n'));
		assert_int_equal(
		    events_from_json(s, strlen(s), &out, err, sizeof(err)), 0);
		assert_memory_equal(&in, &out, sizeof(in));
		free(s);
	}
}

static void
json_has_the_documented_keys(void **state)
{
	struct events_event ev = sample(EVENTS_FAILOVER);
	char *s = events_to_json(&ev);

	(void)state;
	assert_string_equal(s,
	    "{\"type\":\"failover\",\"at_ms\":1796510000123,\"node\":\"h1\","
	    "\"from\":\"h3\",\"from_id\":\"33333333333333333333333333333333\","
	    "\"to\":\"h2\",\"to_id\":\"22222222222222222222222222222222\","
	    "\"cause\":\"holder_dead\",\"duration_ms\":240}");
	free(s);
	ev = sample(EVENTS_HOLDER);
	s = events_to_json(&ev);
	assert_non_null(strstr(s, "\"from\":null,\"from_id\":null"));
	free(s);
}

static void
json_of_a_name_that_is_not_utf8_is_still_json(void **state)
{
	struct events_event ev = sample(EVENTS_MEMBER_UP), out;
	char err[128];
	char *s;

	(void)state;
	snprintf(ev.member, sizeof(ev.member), "h\xff\xfe");
	s = events_to_json(&ev);
	assert_int_equal(
	    events_from_json(s, strlen(s), &out, err, sizeof(err)), 0);
	assert_string_equal(out.member, "h??");
	free(s);
}

static void
text_lines_say_what_happened(void **state)
{
	struct events_event ev;
	char buf[256];

	(void)state;
	ev = sample(EVENTS_STATE);
	events_to_text(&ev, buf, sizeof(buf));
	assert_string_equal(buf, "2026-12-05T22:33:20.123Z h1: standby -> "
				 "candidate (holder_dead)");
	ev = sample(EVENTS_MEMBER_DEAD);
	events_to_text(&ev, buf, sizeof(buf));
	assert_string_equal(buf, "2026-12-05T22:33:20.123Z h1: member h3 "
				 "(10.0.0.3, 33333333) dead: not heard for "
				 "812 ms");
	ev = sample(EVENTS_MEMBER_UP);
	events_to_text(&ev, buf, sizeof(buf));
	assert_non_null(strstr(buf, "member h3 (10.0.0.3, 33333333) up"));
	ev = sample(EVENTS_HOLDER);
	events_to_text(&ev, buf, sizeof(buf));
	assert_non_null(strstr(buf, "h1: holder h2 (holder_dead)"));
	ev = sample(EVENTS_FAILOVER);
	events_to_text(&ev, buf, sizeof(buf));
	assert_non_null(
	    strstr(buf, "h1: failover h3 -> h2 (holder_dead) in 240 ms"));
	/* Control bytes from the wire never reach the terminal. */
	snprintf(ev.to, sizeof(ev.to), "h\x1b[2J");
	events_to_text(&ev, buf, sizeof(buf));
	assert_non_null(strstr(buf, "-> h?[2J ("));
	/* Truncated, still terminated. */
	events_to_text(&ev, buf, 10);
	assert_int_equal(strlen(buf), 9);
}

static void
reading_refuses_bad_lines_with_a_reason(void **state)
{
	static const struct {
		const char *line, *want;
	} cases[] = {
	    {"", "not JSON"},
	    {"{\"type\":", "not JSON"},
	    {"[1]", "not a JSON object"},
	    /* Found by fuzz_ctl: jansson quotes the newlines near an error. */
	    {"{\"type\":\"a\\u00\n\n01\"}", "not JSON: invalid escape"},
	    {"{}", "type: missing"},
	    {"{\"type\":3}", "type: expected a string"},
	    {"{\"type\":\"nope\",\"at_ms\":1,\"node\":\"a\"}", "type: unknown"},
	    {"{\"type\":\"state\",\"node\":\"a\"}", "at_ms"},
	    {"{\"type\":\"state\",\"at_ms\":-1,\"node\":\"a\"}", "at_ms"},
	    {"{\"type\":\"state\",\"at_ms\":1.5,\"node\":\"a\"}", "at_ms"},
	    {"{\"type\":\"state\",\"at_ms\":1,\"node\":\"a\",\"old\":\"x\","
	     "\"state\":\"y\"}",
		"reason: missing"},
	    {"{\"type\":\"state\",\"at_ms\":1,\"node\":\"a\",\"old\":\"x\","
	     "\"state\":\"this state name is far too long\",\"reason\":\"r\"}",
		"state: expected a string"},
	    {"{\"type\":\"member_up\",\"at_ms\":1,\"node\":\"a\",\"member\":"
	     "\"b\",\"id\":\"c\",\"address\":\"d\",\"x\":1,\"x\":2}",
		"not JSON"},
	    {"{\"type\":\"member_dead\",\"at_ms\":1,\"node\":\"a\",\"member\":"
	     "\"b\",\"id\":\"c\",\"address\":\"d\"}",
		"last_seen_ms"},
	    {"{\"type\":\"failover\",\"at_ms\":1,\"node\":\"a\",\"from\":null,"
	     "\"from_id\":null,\"to\":\"b\",\"to_id\":\"c\",\"cause\":null,"
	     "\"duration_ms\":1}",
		"cause: expected a string"},
	    {"{\"type\":\"state\",\"at_ms\":1,\"node\":\"a\\u0000b\",\"old\":"
	     "\"x\",\"state\":\"y\",\"reason\":\"r\"}",
		"not JSON"},
	};
	struct events_event ev;
	char err[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		err[0] = '\0';
		assert_int_equal(
		    events_from_json(cases[i].line, strlen(cases[i].line), &ev,
			err, sizeof(err)),
		    -1);
		if (strstr(err, cases[i].want) == NULL)
			fail_msg("%s: got \"%s\", want \"%s\"", cases[i].line,
			    err, cases[i].want);
		assert_null(strchr(err, '\n'));
	}
}

static void
reading_ignores_fields_it_does_not_know(void **state)
{
	static const char line[] =
	    "{\"type\":\"member_up\",\"at_ms\":5,\"node\":\"a\",\"member\":"
	    "null,\"id\":\"c\",\"address\":null,\"new_field\":[1,2]}";
	struct events_event ev;
	char err[128];

	(void)state;
	assert_int_equal(
	    events_from_json(line, strlen(line), &ev, err, sizeof(err)), 0);
	assert_int_equal(ev.type, EVENTS_MEMBER_UP);
	assert_string_equal(ev.member, "");
	assert_string_equal(ev.address, "");
}

#define FX(t) cmocka_unit_test_setup_teardown(t, fx_setup, fx_teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    FX(first_holder_is_news_but_not_a_failover),
	    FX(standby_times_a_dead_holder_from_its_last_datagram),
	    FX(new_holder_gives_the_reason_of_its_own_candidacy),
	    FX(old_holder_gives_handover_and_times_from_its_leaving),
	    FX(named_successor_gives_holder_resigned),
	    FX(holder_replaced_without_a_state_change_is_holder_changed),
	    FX(holder_silent_when_another_claimed_is_holder_dead),
	    FX(holder_declared_dead_then_replaced_is_holder_dead),
	    FX(a_reason_from_a_step_that_kept_the_holder_explains_nothing_later),
	    FX(same_holder_regained_is_not_a_failover),
	    FX(holder_heard_late_is_timed_from_its_listed_age),
	    FX(durations_land_in_the_bucket_of_their_upper_bound),
	    FX(recent_keeps_the_last_sixteen_oldest_first),
	    FX(a_holder_known_by_id_alone_is_kept_by_id),
	    FX(member_events_name_the_member),
	    cmocka_unit_test(json_round_trips_every_type),
	    cmocka_unit_test(json_has_the_documented_keys),
	    cmocka_unit_test(json_of_a_name_that_is_not_utf8_is_still_json),
	    cmocka_unit_test(text_lines_say_what_happened),
	    cmocka_unit_test(reading_refuses_bad_lines_with_a_reason),
	    cmocka_unit_test(reading_ignores_fields_it_does_not_know),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
