/*
 * election/elect_alive.c — fast member liveness (doc/protocol.md,
 * "ALIVE"). With conf.alive_interval_ms on, a member that does not hold
 * sends a small ALIVE to the group every interval (a holder's HEARTBEATs
 * do as much), and its HELLO says so (ALIVE_MS); every receiver then
 * declares it dead dead_after intervals + ELECT_ALIVE_MARGIN_MS after
 * its last datagram instead of three hello periods. A death is said once
 * (ELECT_ACT_MEMBER_DEAD), a return too (ELECT_ACT_MEMBER_UP). Nothing
 * of the election's rules changes: the members' table only empties
 * sooner.
 */
#include "config.h"

#include "election/elect_int.h"

/* Any group datagram of ours says what an ALIVE would: the next waits. */
void
elect_alive_sent_group(struct elect *c)
{
	if (c->conf.alive_interval_ms != 0)
		c->next_alive_ms = c->now_ms + c->conf.alive_interval_ms;
}

static bool
sends_alive(const struct elect *c)
{
	return c->conf.alive_interval_ms != 0 && c->state != ELECT_ST_HOLDER &&
	       c->state != ELECT_ST_STOPPED && !c->link_down;
}

/* BOOT and UPTIME_MS alone: the replay window's needs, nothing else. */
static void
send_alive(struct elect *c, struct elect_out *out)
{
	struct elect_msg m;

	/* Due again an interval on, sent or not (muted: no sequence on
	 * disk), so a mute core does not wake at once for good. */
	c->next_alive_ms = c->now_ms + c->conf.alive_interval_ms;
	elect_msg_init(c, &m, ELECT_MSG_ALIVE);
	m.has = ELECT_HAS_BOOT | ELECT_HAS_UPTIME;
	elect_send_msg(c, &m, NULL, out);
}

static void
push_member(struct elect *c, enum elect_action_type type,
    const struct elect_member *mb, struct elect_out *out)
{
	struct elect_action *a = elect_push(out, type);

	a->peer = mb->id;
	a->src = mb->src;
	elect_member_info_fill(mb, c->now_ms, &a->member);
}

/* A member heard (note_member(), its fields recorded): new, or back
 * after we declared it dead, the edge learns it. */
void
elect_alive_heard(
    struct elect *c, struct elect_member *mb, bool added, struct elect_out *out)
{
	if (!added && !mb->dead)
		return;
	mb->dead = false;
	push_member(c, ELECT_ACT_MEMBER_UP, mb, out);
}

/* Our stall or link outage: what members sent meanwhile may be lost to
 * us, so their silence counts from now (elect_member_dies_at()). */
void
elect_alive_silence_from_now(struct elect *c)
{
	c->members.silence_from_ms = c->now_ms;
}

/*
 * Members whose expiry passed are declared dead, a few per step (the
 * others at the wake-up elect_alive_wake() asks for: now). Only on a
 * TIMER step: the edge takes it after reading every datagram that
 * arrived, so a member whose datagram waits in our socket is not judged
 * silent.
 */
static void
declare_deaths(struct elect *c, struct elect_out *out)
{
	unsigned said = 0;
	size_t i;

	for (i = 0; i < c->members.n; i++) {
		struct elect_member *mb = &c->members.m[i];

		if (mb->dead ||
		    c->now_ms < elect_member_dies_at(&c->members, mb))
			continue;
		if (said == ELECT_DEATHS_PER_STEP ||
		    out->nact + ELECT_DEATHS_PER_STEP >= ELECT_MAX_ACTIONS)
			return;
		mb->dead = true;
		push_member(c, ELECT_ACT_MEMBER_DEAD, mb, out);
		said++;
	}
}

void
elect_run_alive(struct elect *c, struct elect_out *out)
{
	if (sends_alive(c) && c->now_ms >= c->next_alive_ms)
		send_alive(c, out);
	if (c->timer_step)
		declare_deaths(c, out);
}

/*
 * The next ALIVE to send, or the next death to declare; 0: none. A death
 * already due (an RX step passed it, or the election marked a holder
 * dead and so shortened its expiry) is asked for now, never in the past:
 * a wake-up asked for in the past looks like a late step (LATE).
 */
uint64_t
elect_alive_wake(const struct elect *c)
{
	uint64_t w = sends_alive(c) ? c->next_alive_ms : 0;
	size_t i;

	for (i = 0; i < c->members.n; i++) {
		const struct elect_member *mb = &c->members.m[i];
		uint64_t at;

		if (mb->dead)
			continue;
		at = elect_member_dies_at(&c->members, mb);
		if (at < c->now_ms)
			at = c->now_ms;
		if (w == 0 || at < w)
			w = at;
	}
	return w;
}
