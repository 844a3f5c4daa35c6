/*
 * election/elect_timers.c — the TIMER and LATE rows of the table, the
 * timers every state runs after them, and when to call the core next.
 */
#include "config.h"

#include "election/elect_int.h"

/* The gathering is over: the best preempting member heard in it takes. */
static void
run_preempt_timer(struct elect *c, struct elect_out *out)
{
	const struct elect_member *to;
	uint64_t since = c->preempt_at_ms - c->conf.heartbeat_ms / 2 - 1;

	if (c->preempt_at_ms == 0 || c->now_ms < c->preempt_at_ms)
		return;
	c->preempt_at_ms = 0;
	to = elect_members_best_preempter(
	    &c->members, c->now_ms, c->conf.priority, since);
	if (to != NULL)
		elect_resign(c, &to->id, ELECT_WHY_HANDOVER, out);
}

/*
 * Run late by more than a heartbeat (a paused VM, a starved process): what
 * we last heard is stale, so listen again before judging the holder. A
 * holder past its lease has lost the address to the kernel already.
 */
static void
late(struct elect *c, struct elect_out *out)
{
	/* Requests seen before the sleep were answered or not long ago:
	 * either way they say nothing of the holder now. */
	elect_fast_reset(c);
	/* What members sent while we slept may be lost to us: their
	 * silence counts from now (the short expiry, elect_alive.c). */
	elect_alive_silence_from_now(c);
	/* Members may have joined, or declared us dead, while we slept. */
	if (!c->link_down)
		elect_solicit_hellos(c, out);
}

void
elect_on_late_holder(
    struct elect *c, const struct elect_fsm_in *in, struct elect_out *out)
{
	(void)in;
	if (c->now_ms >= c->lease_until_ms)
		elect_become_standby(c, ELECT_WHY_LEASE_EXPIRED, out);
	late(c, out);
}

void
elect_on_late_candidate(
    struct elect *c, const struct elect_fsm_in *in, struct elect_out *out)
{
	(void)in;
	elect_become_standby(c, ELECT_WHY_RESUMED, out);
	late(c, out);
}

void
elect_on_late_starting(
    struct elect *c, const struct elect_fsm_in *in, struct elect_out *out)
{
	(void)in;
	elect_detector_heard(&c->detector, c->now_ms);
	c->listen_until_ms = c->now_ms + elect_listen_ms(c);
	late(c, out);
}

/* STANDBY, OBSERVER: the holder's silence counts from now. */
void
elect_on_late_listening(
    struct elect *c, const struct elect_fsm_in *in, struct elect_out *out)
{
	(void)in;
	elect_detector_heard(&c->detector, c->now_ms);
	late(c, out);
}

/*
 * Our loop did not renew the fence in time (a stall, a busy host, a
 * paused VM): the kernel let the address go for a moment. A standby may
 * claim only once a PROBE of its went unanswered for fence + margin. The
 * decision waits for the TIMER step, which the edge takes only after it
 * read every datagram that arrived (timer_cb: drain): by then every PROBE
 * that came during the stall was answered and noted. The loop never went
 * a whole fence without a step, or no PROBE came since the renewal: no
 * standby can be claiming on the fence: renew. Otherwise one may be, and
 * renewing could make two holders: hand over, as a SIGTERM does (the
 * address is gone; RESIGN says so).
 */
static void
fence_lapsed(struct elect *c, struct elect_out *out)
{
	const struct elect_member *best;

	c->ctr.fence_lapses++;
	if (c->stall_ms < c->conf.fence_ms ||
	    c->probe_rx_ms < c->fence_renewed_ms) {
		elect_fence_renew(c, out);
		return;
	}
	best = elect_members_best(&c->members, c->now_ms, NULL);
	elect_resign(c, best ? &best->id : NULL, ELECT_WHY_FENCE_LAPSED, out);
}

/*
 * The address guard resigned for us (netcfg/netcfg_guard.c): our loop
 * went a whole fence without renewing it while the guard ran (qured
 * stopped, its loop blocked), so the guard deleted the address and sent
 * our farewell, and a standby may hold already. The peers took us for a
 * standby then; we follow, and send the same RESIGN again for a member
 * that lost the farewell: naming the farewell's successor, as another
 * one would claim at once beside it.
 */
void
elect_on_guard_resigned(
    struct elect *c, const struct elect_fsm_in *in, struct elect_out *out)
{
	(void)in;
	c->ctr.fence_lapses++;
	elect_resign(c,
	    elect_id_is_zero(&c->farewell_successor) ? NULL
						     : &c->farewell_successor,
	    ELECT_WHY_FENCE_LAPSED, out);
}

void
elect_on_timer_holder(
    struct elect *c, const struct elect_fsm_in *in, struct elect_out *out)
{
	(void)in;
	if (c->now_ms >= c->lease_until_ms) {
		elect_become_standby(c, ELECT_WHY_LEASE_EXPIRED, out);
		return;
	}
	if (elect_fence_lapsed(c)) {
		if (!c->timer_step)
			return; /* a datagram's step: the TIMER step decides */
		fence_lapsed(c, out);
		if (c->state != ELECT_ST_HOLDER)
			return;
	}
	if (elect_conflict_side(c) != ELECT_SIDE_OURS) {
		elect_become_standby(c, ELECT_WHY_CONFIG_CONFLICT, out);
		elect_send_hello(c, NULL, out); /* no longer holding: say so */
		return;
	}
	run_preempt_timer(c, out);
	if (c->state != ELECT_ST_HOLDER)
		return;
	if (c->now_ms >= c->next_heartbeat_ms) {
		if (c->seq >= c->disk.seq_reserved) {
			/* The disk refuses our sequences: we cannot tell the
			 * peers our lease, so we must not extend it. */
			elect_become_standby(c, ELECT_WHY_PERSIST_FAILED, out);
			return;
		}
		/*
		 * The HEARTBEAT first, then the kernel's lease: stopped
		 * between the two (a paused VM), the kernel keeps the lease
		 * the peers already count, never one they never heard of
		 * (frozen.sh, with busy cores: the lease renewed, the
		 * HEARTBEAT not sent, a peer claimed by the older one while
		 * the frozen kernel answered ARP for 160 ms). The edge gives
		 * the kernel what is left of the lease counted from this
		 * step, which ends before the one counted from the arrival.
		 */
		elect_send_holder_msg(c, ELECT_MSG_HEARTBEAT, out);
		elect_refresh_lease(c, ELECT_ACT_ADDR_REFRESH, out);
		if (c->conf.check_enabled)
			elect_push(out, ELECT_ACT_CHECK);
	} else if (c->next_fence_ms != 0 && c->now_ms >= c->next_fence_ms) {
		elect_fence_renew(c, out);
	}
}

/*
 * Claims, after an ARP probe when no member was ever heard holding the
 * address: a foreign host may own it (issue 3). Failover skips the probe.
 * Claims when our turn comes; a lost probe result is asked again.
 */
static void
run_candidate_timers(struct elect *c, struct elect_out *out)
{
	if (c->probing) {
		if (c->now_ms >= c->probe_until_ms)
			elect_start_probe(c, out);
		return;
	}
	if (c->now_ms < c->claim_at_ms)
		return;
	if (c->now_ms < elect_claim_gate(c)) {
		/* A holder was heard meanwhile (and lost): its lease first.
		 * Or a better member that started with us: its claim. */
		c->claim_at_ms = elect_claim_gate(c) + c->claim_turns_ms;
		return;
	}
	if (elect_conflict_forbids_claim(c)) {
		elect_detector_heard(&c->detector, c->now_ms);
		elect_set_state(
		    c, ELECT_ST_STANDBY, ELECT_WHY_CONFIG_CONFLICT, out);
		return;
	}
	if (!elect_may_claim(c))
		return; /* PERSIST_DONE (or the retry) wakes us */
	elect_claim_now(c, out);
}

/*
 * The periodic HELLO: every hello-interval, or less often in a large
 * cluster, so that all of them together send one every hello-interval/5
 * at most: background traffic stays O(1) in the cluster's size. Members
 * expire after three of the longest periods.
 */
static uint64_t
hello_period(struct elect *c, uint64_t n)
{
	uint64_t every = c->conf.hello_interval_ms;

	if (n * every / 5 > every)
		every = n * every / 5;
	c->members.expire_ms = 3 * every + c->conf.heartbeat_ms;
	return every;
}

void
elect_hello_heard(struct elect *c)
{
	c->hellos_ms[c->hellos_at] = c->now_ms;
	c->hellos_at = (c->hellos_at + 1) % ELECT_HELLO_BUDGET;
}

/*
 * The budget: ELECT_HELLO_BUDGET HELLOs within the last hello-interval
 * (the ring's oldest is that recent) and a periodic one waits until the
 * oldest is older, plus a random part of a fifth of the interval, so
 * that those waiting do not all go at once. Every member hears the same
 * group HELLOs: together they stay within the budget.
 */
static bool
hello_budget_spent(struct elect *c)
{
	uint64_t oldest = c->hellos_ms[c->hellos_at];
	uint64_t every = c->conf.hello_interval_ms;

	if (oldest == 0 || c->now_ms >= oldest + every)
		return false;
	c->next_hello_ms =
	    oldest + every + 1 + elect_rng_next(c) % (every / 5 + 1);
	return true;
}

static void
periodic_hello(struct elect *c, struct elect_out *out)
{
	uint64_t n = elect_members_count_live(&c->members, c->now_ms) + 1;
	uint64_t every = hello_period(c, n);

	c->hello_n = n;
	if (hello_budget_spent(c))
		return;
	/* Jitter (+-5 %) keeps members that started together out of step. */
	c->next_hello_ms = c->now_ms + every - every / 20 +
			   elect_rng_next(c) % (every / 10 + 1);
	elect_hello_heard(c);
	elect_send_hello(c, NULL, out);
}

/*
 * The cluster grew since the next periodic HELLO was drawn (members that
 * start together learn of each other within a heartbeat): it is drawn
 * again, anywhere in the new period from now, so that they do not all
 * send their first periodic HELLO one hello-interval after their start.
 */
static void
spread_hello(struct elect *c)
{
	uint64_t n = elect_members_count_live(&c->members, c->now_ms) + 1;

	if (n <= c->hello_n)
		return;
	c->hello_n = n;
	c->next_hello_ms =
	    c->now_ms + 1 + elect_rng_next(c) % hello_period(c, n);
}

static bool
checks_own_service(const struct elect *c)
{
	return c->conf.check_enabled && c->conf.priority > 0 &&
	       c->state != ELECT_ST_HOLDER && c->state != ELECT_ST_STOPPED;
}

/*
 * A node that does not hold checks its own service now and then (the
 * holder does every heartbeat): it must know whether it is fit to preempt,
 * to claim as a named successor, or to claim ahead of others.
 */
static void
run_own_check(struct elect *c, struct elect_out *out)
{
	if (!checks_own_service(c) || c->now_ms < c->next_check_ms)
		return;
	c->next_check_ms = c->now_ms + 5 * (uint64_t)c->conf.heartbeat_ms;
	elect_push(out, ELECT_ACT_CHECK);
}

/* Listened long enough: no holder, our turn to claim comes. */
void
elect_on_timer_starting(
    struct elect *c, const struct elect_fsm_in *in, struct elect_out *out)
{
	(void)in;
	if (c->now_ms >= c->listen_until_ms)
		elect_become_candidate(c, NULL, 0, 0, ELECT_WHY_NO_HOLDER, out);
}

/* The holder (or, with none, anybody) silent for dead_after heartbeats. */
static void
holder_silence(struct elect *c, struct elect_out *out)
{
	if (elect_detector_expired(&c->detector, c->now_ms))
		elect_become_candidate(c, c->has_holder ? &c->holder.id : NULL,
		    0, 0,
		    c->has_holder ? ELECT_WHY_HOLDER_DEAD : ELECT_WHY_NO_HOLDER,
		    out);
}

/* Fast detection first: a failed PROBE round is a dead holder at once. */
void
elect_on_timer_standby(
    struct elect *c, const struct elect_fsm_in *in, struct elect_out *out)
{
	(void)in;
	elect_run_fast_timers(c, out);
	elect_run_silence_probe(c, out);
	if (c->state != ELECT_ST_CANDIDATE)
		holder_silence(c, out);
}

/* An observer never claims: a dead holder is only forgotten. */
void
elect_on_timer_observer(
    struct elect *c, const struct elect_fsm_in *in, struct elect_out *out)
{
	(void)in;
	holder_silence(c, out);
}

void
elect_on_timer_candidate(
    struct elect *c, const struct elect_fsm_in *in, struct elect_out *out)
{
	(void)in;
	run_candidate_timers(c, out);
	if (c->state == ELECT_ST_CANDIDATE)
		elect_run_silence_probe(c, out);
}

/*
 * After every event: the current state's TIMER row, again if it made us
 * a candidate (a candidate whose turn is now claims in the same step),
 * then what every state does.
 */
void
elect_run_timers(struct elect *c, struct elect_out *out)
{
	struct elect_fsm_in in = {NULL, NULL, NULL};
	enum elect_state was = c->state;

	if (c->link_down)
		return; /* nothing to say, nobody to hear it */
	elect_fsm_dispatch(c, ELECT_FSM_TIMER, &in, out);
	if (c->state == ELECT_ST_CANDIDATE && was != ELECT_ST_CANDIDATE)
		elect_fsm_dispatch(c, ELECT_FSM_TIMER, &in, out);
	run_own_check(c, out);
	if (c->state == ELECT_ST_STOPPED)
		return;
	if (c->now_ms >= c->next_hello_ms)
		periodic_hello(c, out);
	else
		spread_hello(c);
	elect_run_alive(c, out);
}

static uint64_t
min_nonzero(uint64_t a, uint64_t b)
{
	if (a == 0)
		return b;
	if (b == 0)
		return a;
	return a < b ? a : b;
}

uint64_t
elect_next_wake(const struct elect *c)
{
	uint64_t w = 0;

	switch (c->state) {
	case ELECT_ST_STARTING:
		w = c->listen_until_ms;
		break;
	case ELECT_ST_STANDBY:
	case ELECT_ST_OBSERVER:
		w = min_nonzero(
		    elect_detector_deadline(&c->detector), elect_fast_wake(c));
		w = min_nonzero(w, elect_silence_probe_due(c));
		break;
	case ELECT_ST_CANDIDATE:
		w = c->probing ? c->probe_until_ms : c->claim_at_ms;
		if (!c->probing && w <= c->now_ms && !elect_may_claim(c))
			w = 0; /* PERSIST_DONE or the retry wakes us */
		w = min_nonzero(w, elect_silence_probe_due(c));
		break;
	case ELECT_ST_HOLDER:
		w = min_nonzero(c->next_heartbeat_ms, c->lease_until_ms);
		w = min_nonzero(w, c->next_fence_ms);
		w = min_nonzero(w, c->fence_until_ms);
		w = min_nonzero(w, c->preempt_at_ms);
		break;
	case ELECT_ST_STOPPED:
		return 0;
	}
	if (c->link_down)
		return 0; /* ELECT_EV_LINK wakes us */
	if (checks_own_service(c))
		w = min_nonzero(w, c->next_check_ms);
	if (!c->persist_busy && c->persist_retry_ms > c->now_ms)
		w = min_nonzero(w, c->persist_retry_ms);
	w = min_nonzero(w, elect_alive_wake(c));
	return min_nonzero(w, c->next_hello_ms);
}
