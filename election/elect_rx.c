/*
 * election/elect_rx.c — receiving. A datagram is decoded, authenticated
 * and checked fresh (the replay window, challenges), its sender noted as
 * a member; then its type is the table's event (elect_fsm_dispatch()).
 * The handlers of HELLO, HEARTBEAT/CLAIM, RESIGN and our own id.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "election/elect_int.h"

static void
note_member(struct elect *c, const struct elect_msg *m,
    const struct elect_addr *src, struct elect_out *out)
{
	bool added;
	bool holder =
	    m->type == ELECT_MSG_HEARTBEAT || m->type == ELECT_MSG_CLAIM;
	struct elect_member *mb =
	    elect_members_touch(&c->members, &m->id, c->now_ms, holder, &added);

	if (mb == NULL) {
		/* The cluster is full: not a member, not answered. Its
		 * datagram still counts (a RESIGN, a PROBE). */
		c->ctr.members_refused++;
		return;
	}
	mb->src = *src;
	elect_fence_heard(c, mb, m); /* before the boot is recorded */
	mb->boot = m->boot;
	elect_key_heard(c, mb, m);
	/* Its start in our clock, for which side of a conflict came first
	 * (the delay of the datagram aside). */
	if (m->has & ELECT_HAS_UPTIME)
		mb->start_ms =
		    c->now_ms > m->uptime_ms ? c->now_ms - m->uptime_ms : 0;
	if (m->has & ELECT_HAS_PRIORITY)
		mb->priority = m->priority;
	if (m->has & ELECT_HAS_HEARTBEAT)
		mb->heartbeat_ms = m->heartbeat_ms;
	if (m->type == ELECT_MSG_HELLO) {
		snprintf(mb->name, sizeof(mb->name), "%s", m->name);
		mb->state = m->state;
		mb->preempt = m->preempt;
		mb->unfit = (m->flags & ELECT_FLAG_UNFIT) != 0;
		if (m->has & ELECT_HAS_MAC)
			memcpy(mb->mac, m->mac, sizeof(mb->mac));
		if (m->has & ELECT_HAS_RESOURCES) {
			mb->cpus = m->cpus;
			mb->mem_mib = m->mem_mib;
		}
		memcpy(mb->addrs, m->addrs, sizeof(mb->addrs));
		mb->n_addrs = m->n_addrs;
		/* It sends ALIVEs (the short expiry), or not (an older
		 * build, or off): the long one. */
		mb->alive_ms = (m->has & ELECT_HAS_ALIVE) ? m->alive_ms : 0;
		/* A holder's HELLO (its greeting after a CLAIM, an answer to
		 * a SOLICIT) says it holds: its kernel may answer until a
		 * lease from now. Its CLAIM may be lost, or come after this
		 * HELLO and be dropped by the window (sequences only go up):
		 * the simulator's reordering LAN made a member claim beside
		 * such a holder's kernel (seed 10001, scenario 15295). */
		if (m->state == ELECT_ST_HOLDER) {
			uint64_t until = c->now_ms + c->conf.lease_ms +
					 ELECT_LEASE_MARGIN_MS;

			if (until > mb->lease_until_ms)
				mb->lease_until_ms = until;
		}
	} else if (m->type == ELECT_MSG_HEARTBEAT ||
		   m->type == ELECT_MSG_CLAIM) {
		mb->state = ELECT_ST_HOLDER;
		/* Its kernel may answer for the address until then (D3). */
		mb->lease_until_ms =
		    c->now_ms +
		    ((m->has & ELECT_HAS_LEASE) && m->lease_ms > 0
			    ? m->lease_ms
			    : c->conf.lease_ms) +
		    ELECT_LEASE_MARGIN_MS;
	} else if (m->type == ELECT_MSG_RESIGN) {
		/* A farewell its guard sent says it stopped (died). */
		mb->state =
		    (m->has & ELECT_HAS_STATE) && m->state == ELECT_ST_STOPPED
			? ELECT_ST_STOPPED
			: ELECT_ST_STANDBY;
		mb->lease_until_ms = 0; /* it dropped the address first */
	}
	elect_alive_heard(c, mb, added, out);
	/*
	 * A newcomer, or a member back from a restart or a sleep (SOLICIT),
	 * learns of us by a unicast HELLO: no group-wide burst.
	 */
	if (m->type == ELECT_MSG_HELLO &&
	    (added || (m->flags & ELECT_FLAG_SOLICIT)))
		elect_send_hello(c, src, out);
	else if (added) /* heard of it, never from it: ask for its HELLO */
		elect_send_hello_flags(c, src, ELECT_FLAG_SOLICIT, out);
}

/* What differs between a message's settings and ours. */
static unsigned
settings_mismatch(const struct elect *c, const struct elect_msg *m)
{
	unsigned bits = 0;

	bool has6 = (m->has & ELECT_HAS_DMZ6_ALSO) != 0;

	if (m->dmz.family != c->conf.dmz.family ||
	    memcmp(m->dmz.b, c->conf.dmz.b, sizeof(m->dmz.b)) != 0 ||
	    m->dmz_prefix != c->conf.dmz_prefix)
		bits |= ELECT_MISMATCH_DMZ;
	/* A dual stack's IPv6 address moves with the IPv4 one: a member
	 * with another one (or none) would move the site to it. */
	if (has6 != (c->conf.dmz6.family == 6) ||
	    (has6 && (memcmp(m->dmz6.b, c->conf.dmz6.b, 16) != 0 ||
			 m->dmz6_prefix != c->conf.dmz6_prefix)))
		bits |= ELECT_MISMATCH_DMZ;
	if (m->lease_ms != c->conf.lease_ms)
		bits |= ELECT_MISMATCH_LEASE;
	if (m->heartbeat_ms != c->conf.heartbeat_ms)
		bits |= ELECT_MISMATCH_HEARTBEAT;
	return bits;
}

/*
 * Records the sender's settings (HELLO, HEARTBEAT, CLAIM carry them) and
 * returns what differs from ours; other messages go by what was recorded.
 * A mismatch is noted once per peer (and again if it changes).
 */
static unsigned
note_settings(struct elect *c, const struct elect_msg *m,
    const struct elect_addr *src, struct elect_out *out)
{
	struct elect_member *mb = elect_members_find(&c->members, &m->id);
	struct elect_action *a;

	if (mb == NULL) /* refused (a full table): judged, not recorded */
		return (m->has & ELECT_HAS_HEARTBEAT) ? settings_mismatch(c, m)
						      : 0;
	if (!(m->has & ELECT_HAS_HEARTBEAT))
		return mb->mismatch;
	mb->mismatch = settings_mismatch(c, m);
	mb->dmz = m->dmz;
	if (mb->mismatch != 0 && mb->mismatch != mb->mismatch_noted) {
		a = elect_push(out, ELECT_ACT_CONFLICT);
		a->peer = m->id;
		a->src = *src;
		a->mismatch = mb->mismatch;
		memcpy(a->name, mb->name, sizeof(a->name));
	}
	mb->mismatch_noted = mb->mismatch;
	return mb->mismatch;
}

/*
 * A holder we would preempt learns it from our HELLO. Repeat it while that
 * holder stays (the first may be lost), but at most once per detection
 * window, so the handover never waits for a periodic HELLO.
 */
static void
nudge_lesser_holder(
    struct elect *c, uint8_t holder_priority, struct elect_out *out)
{
	uint64_t window = elect_detect_window(c);

	/* Nor while our disk has not acknowledged an epoch to claim on (D4):
	 * the holder would hand over to us and we could not take it. */
	if (!c->conf.preempt || c->conf.priority <= holder_priority ||
	    c->state != ELECT_ST_STANDBY || !elect_fit_to_serve(c) ||
	    !elect_may_claim(c))
		return;
	if (c->last_nudge_ms != 0 && c->now_ms < c->last_nudge_ms + window)
		return;
	c->last_nudge_ms = c->now_ms;
	elect_send_hello(c, NULL, out);
}

/*
 * Another holder, a lesser one: tell it at once so it yields now, and win
 * the neighbours back from it, at most once a heartbeat.
 */
static void
reassert(struct elect *c, struct elect_out *out)
{
	/* Our fence lapsed and the TIMER step has not decided yet: no word
	 * of holding, no announcement, until it has (elect_timers.c). */
	if (elect_fence_lapsed(c))
		return;
	elect_send_holder_msg(c, ELECT_MSG_HEARTBEAT, out);
	if (c->last_announce_ms != 0 &&
	    c->now_ms < c->last_announce_ms + c->conf.heartbeat_ms)
		return;
	c->last_announce_ms = c->now_ms;
	elect_push(out, ELECT_ACT_ANNOUNCE);
}

/*
 * The holder counts n live members, itself included. Counting fewer, we
 * missed some (HELLOs lost, a partition): ask them all. Counting more,
 * the holder may have missed us: say HELLO. Views that diverged meet
 * again within a heartbeat; at most once per three detection windows.
 */
static void
sync_members(struct elect *c, unsigned n, struct elect_out *out)
{
	unsigned mine =
	    (unsigned)elect_members_count_live(&c->members, c->now_ms) + 1;

	if (mine == n ||
	    (c->last_sync_ms != 0 &&
		c->now_ms < c->last_sync_ms + 3 * elect_detect_window(c)))
		return;
	c->last_sync_ms = c->now_ms;
	if (mine < n)
		elect_solicit_hellos(c, out);
	else
		elect_send_hello(c, NULL, out);
}

/* A holder speaks: follow it, unless we follow a preferred one. */
void
elect_on_holder_msg(
    struct elect *c, const struct elect_fsm_in *in, struct elect_out *out)
{
	const struct elect_msg *m = in->m;
	struct elect_claim them = {m->epoch, m->priority, m->id};

	if (c->has_holder && elect_id_cmp(&c->holder.id, &m->id) != 0 &&
	    !elect_claim_better(&them, &c->holder))
		return;
	elect_follow(c, &them, out);
	memset(&c->successor, 0, sizeof(c->successor));
	if (m->type == ELECT_MSG_HEARTBEAT && (m->has & ELECT_HAS_HOLDER))
		c->successor = m->holder;
	if (m->type == ELECT_MSG_HEARTBEAT)
		elect_fence_measure_successor(c, out);
	nudge_lesser_holder(c, m->priority, out);
	if (m->type == ELECT_MSG_HEARTBEAT && (m->has & ELECT_HAS_MEMBERS))
		sync_members(c, m->n_members, out);
}

/* Another holder, while we hold: the preferred one stays. */
void
elect_on_rival_holder(
    struct elect *c, const struct elect_fsm_in *in, struct elect_out *out)
{
	struct elect_claim them = {in->m->epoch, in->m->priority, in->m->id};
	struct elect_claim me = elect_my_claim(c);

	if (!elect_claim_better(&them, &me)) {
		reassert(c, out);
		return;
	}
	elect_become_standby(c, ELECT_WHY_BETTER_HOLDER, out);
	elect_on_holder_msg(c, in, out);
}

/*
 * Whether the named successor lets us go first: we would preempt it, and
 * it knows, for it defers only to preempting members heard within a
 * detection window (elect_members_best_preempter()): we spoke up (a
 * nudge) within one. A silent preempting standby lets the named member
 * claim, and preempts it afterwards.
 */
static bool
defers_to_us(const struct elect *c, const struct elect_id *succ)
{
	const struct elect_member *s =
	    elect_members_find((struct elect_members *)&c->members, succ);

	return c->conf.preempt && elect_fit_to_serve(c) && s != NULL &&
	       c->conf.priority > s->priority && c->last_nudge_ms != 0 &&
	       c->now_ms < c->last_nudge_ms + elect_detect_window(c);
}

/*
 * Whether this loss RESIGN's handover was noted already: a holder leaving
 * a lossy link sends two copies, and a member that no longer follows it
 * after the first (a candidate now) hears the second too. Noted twice,
 * one handover damped the next for 10 s (two chaos runs: a lossy holder
 * 5.4 s after another kept the address through its 2.3 s of loss).
 */
static bool
loss_resign_heard(struct elect *c, const struct elect_msg *m)
{
	if (elect_id_cmp(&c->loss_resign_id, &m->id) == 0 &&
	    c->loss_resign_epoch == m->epoch)
		return true;
	c->loss_resign_id = m->id;
	c->loss_resign_epoch = m->epoch;
	return false;
}

void
elect_on_resign(
    struct elect *c, const struct elect_fsm_in *in, struct elect_out *out)
{
	const struct elect_msg *m = in->m;
	const struct elect_id *succ = &m->holder;
	bool named = !elect_id_is_zero(succ);

	if (c->has_holder && elect_id_cmp(&c->holder.id, &m->id) != 0)
		return; /* not the holder we follow: nothing changes */
	/*
	 * Its own link lost datagrams (two members' PROBEs went missing):
	 * the signs of loss we saw while we followed it are its link's, and
	 * end with its tenure. Those from before stay. A LAN that loses
	 * everywhere shows them again on the way from its successor.
	 */
	if ((m->has & ELECT_HAS_REASON) &&
	    m->reason == ELECT_RESIGN_LINK_LOSS && !loss_resign_heard(c, m)) {
		elect_note_loss_handover(c);
		c->loss_seen_ms = c->loss_seen_before_ms;
	}
	/*
	 * Named, we claim at once (the holder dropped the address before
	 * it resigned); unless a member that would preempt us is known:
	 * then it goes first, and the address moves only once.
	 */
	if (named && elect_is_me(c, succ) && c->conf.priority > 0 &&
	    elect_fit_to_serve(c) && !elect_conflict_forbids_claim(c) &&
	    elect_members_best_preempter(&c->members, c->now_ms,
		c->conf.priority, c->now_ms - elect_detect_window(c)) == NULL) {
		c->has_holder = false;
		elect_fast_reset(c);
		if (c->now_ms >= elect_lease_gate(c) && elect_may_claim(c))
			elect_claim_now(c, out);
		else /* another holder's lease first, or the disk's answer */
			elect_wait_turn(c, 0, ELECT_WHY_HOLDER_RESIGNED, out);
		return;
	}
	if (named && !elect_is_me(c, succ) && !defers_to_us(c, succ)) {
		/*
		 * Another member was named: it has a detection window to
		 * claim (a slow VM may take more than a stagger), then the
		 * election runs as if the holder had died (fault 8).
		 */
		elect_become_candidate(c, &m->id, 0, elect_detect_window(c),
		    ELECT_WHY_HOLDER_RESIGNED, out);
		return;
	}
	elect_become_candidate(
	    c, &m->id, named ? 1 : 0, 0, ELECT_WHY_HOLDER_RESIGNED, out);
}

/* A member's HELLO, while we hold: one that would preempt us? */
void
elect_on_hello(
    struct elect *c, const struct elect_fsm_in *in, struct elect_out *out)
{
	const struct elect_msg *m = in->m;

	(void)out;
	if (!m->preempt || m->priority == 0 ||
	    m->priority <= c->conf.priority || c->preempt_at_ms != 0)
		return;
	/*
	 * Every preempting member speaks up at the same heartbeat: gather
	 * them for half a heartbeat, then hand over once, to the best, not
	 * to whichever spoke first (it would be preempted again in turn).
	 */
	c->preempt_at_ms = c->now_ms + c->conf.heartbeat_ms / 2 + 1;
}

/*
 * A clone of our VM image speaks with our id. The younger of the two
 * (shorter uptime, then lower boot cookie) takes a new id. Only fresh
 * evidence counts: m comes from an (our id, other boot) verified live by
 * a challenge, so a replay of our own old datagrams changes nothing.
 */
static bool
we_are_older(const struct elect *c, const struct elect_msg *m)
{
	uint64_t mine = c->now_ms - c->started_ms;

	return mine > m->uptime_ms ||
	       (mine == m->uptime_ms && c->boot > m->boot);
}

static void
renew_id(struct elect *c, struct elect_out *out)
{
	elect_new_id(c);
	elect_send_hello(
	    c, NULL, out); /* the new id is persisted at step end */
}

void
elect_on_own_id(
    struct elect *c, const struct elect_fsm_in *in, struct elect_out *out)
{
	if (!we_are_older(c, in->m)) /* older: the clone renews */
		renew_id(c, out);
}

/* A clone of ours while we hold: the younger one stops holding. */
void
elect_on_own_id_holder(
    struct elect *c, const struct elect_fsm_in *in, struct elect_out *out)
{
	if (we_are_older(c, in->m))
		return;
	elect_become_standby(c, ELECT_WHY_DUPLICATE_ID, out);
	renew_id(c, out);
}

static void
count_drop(struct elect *c, enum elect_wire_err err,
    const struct elect_addr *src, struct elect_out *out)
{
	struct elect_action *a = elect_push(out, ELECT_ACT_DROP);

	a->err = err;
	a->src = *src;
	if (err == ELECT_WIRE_AUTH)
		c->ctr.rx_dropped_auth++;
	else if (err == ELECT_WIRE_REPLAY)
		c->ctr.rx_dropped_replay++;
	else if (err == ELECT_WIRE_VERSION)
		c->ctr.rx_dropped_version++;
	else
		c->ctr.rx_dropped_malformed++;
}

/* A verified datagram's table event; false: none (STATE, a later issue). */
static bool
msg_event(const struct elect_msg *m, enum elect_fsm_event *ev)
{
	switch (m->type) {
	case ELECT_MSG_HELLO:
		*ev = ELECT_FSM_HELLO;
		return true;
	case ELECT_MSG_HEARTBEAT:
	case ELECT_MSG_CLAIM:
		*ev = ELECT_FSM_HOLDER_MSG;
		return true;
	case ELECT_MSG_RESIGN:
		*ev = ELECT_FSM_RESIGN;
		return true;
	case ELECT_MSG_PROBE:
		*ev = ELECT_FSM_PROBE;
		return true;
	case ELECT_MSG_PROBE_ACK:
		*ev = ELECT_FSM_PROBE_ACK;
		return true;
	default:
		return false;
	}
}

/* How long a challenge may wait for its answer. */
static uint64_t
challenge_age_ms(const struct elect *c)
{
	return 2 * elect_detect_window(c);
}

/*
 * A HELLO that echoes a challenge of ours, sent to its id alone or to the
 * group in our last SOLICIT (that one only for an id not verified with
 * another boot: a per-id challenge is used up, a group one is not).
 */
static bool
answers_challenge(struct elect *c, const struct elect_msg *m)
{
	if (m->type != ELECT_MSG_HELLO || !(m->has & ELECT_HAS_RESPONSE))
		return false;
	if (elect_replay_answered(&c->replay, &m->id, m->response, c->now_ms,
		challenge_age_ms(c)))
		return true;
	return m->response == c->solicit_chal && c->solicit_chal != 0 &&
	       c->now_ms <= c->solicit_ms + challenge_age_ms(c) &&
	       !elect_replay_is_known(&c->replay, &m->id);
}

/* A HELLO's challenge is echoed in the unicast HELLO we send back. */
static void
queue_reply(struct elect *c, const struct elect_msg *m, uint64_t chal)
{
	c->reply_resp =
	    (m->type == ELECT_MSG_HELLO && (m->has & ELECT_HAS_CHALLENGE))
		? m->challenge
		: 0;
	c->reply_chal = chal;
	c->reply_pending = c->reply_resp != 0 || chal != 0;
}

/*
 * An (id, boot) not verified live: its datagram is not acted on, but its
 * sender is asked to prove it is live now (at most once per heartbeat per
 * id, whatever a replaying attacker sends), and its own challenge is
 * answered along.
 */
static void
challenge_sender(struct elect *c, const struct elect_msg *m,
    const struct elect_addr *src, struct elect_out *out)
{
	uint64_t chal = elect_new_challenge(c);

	c->ctr.rx_unverified++;
	if (c->state == ELECT_ST_STOPPED || c->link_down)
		return;
	if (elect_replay_challenge(
		&c->replay, &m->id, m->boot, src, chal, c->now_ms)) {
		queue_reply(c, m, chal);
		elect_send_hello(c, src, out);
	} else if (m->type == ELECT_MSG_HELLO &&
		   (m->has & ELECT_HAS_CHALLENGE) &&
		   (chal = elect_replay_echo(
			&c->replay, &m->id, m->boot, src)) != 0) {
		queue_reply(c, m, chal); /* crossed challenges */
		elect_send_hello(c, src, out);
	}
	if (c->muted &&
	    (m->type == ELECT_MSG_HEARTBEAT || m->type == ELECT_MSG_CLAIM))
		c->holder_unverified = true;
}

/*
 * Authenticated, then fresh: from the verified boot of its id with a
 * sequence above the last one, or a HELLO answering our challenge (which
 * verifies its (id, boot) from that sequence on). Our own looped-back
 * datagrams stop here; another boot with our id is a clone once verified.
 */
static bool
rx_is_fresh(struct elect *c, const struct elect_msg *m,
    const struct elect_addr *src, struct elect_out *out)
{
	enum elect_wire_err err;

	if (elect_is_me(c, &m->id) && m->boot == c->boot)
		return false;
	/* Sent long before it arrived (captured, replayed now): as good as
	 * unverified. Arrived, not read: what waited in our socket while we
	 * were stopped came on time (the kernel's stamp, elect_step). */
	if (elect_replay_is_stale(
		&c->replay, &m->id, m->uptime_ms, c->rx_at_ms))
		err = ELECT_WIRE_UNVERIFIED;
	else
		err = elect_replay_check(
		    &c->replay, &m->id, m->boot, m->seq, c->now_ms);
	/* A verified boot's answer (to a challenge drawn by a replay of an
	 * older one) ends that challenge too. */
	if (err == ELECT_WIRE_OK && m->type == ELECT_MSG_HELLO &&
	    (m->has & ELECT_HAS_RESPONSE))
		(void)elect_replay_answered(&c->replay, &m->id, m->response,
		    c->now_ms, challenge_age_ms(c));
	if (err == ELECT_WIRE_UNVERIFIED && answers_challenge(c, m)) {
		elect_replay_verify(
		    &c->replay, &m->id, m->boot, m->seq, c->now_ms);
		elect_replay_seen_start(
		    &c->replay, &m->id, m->uptime_ms, c->rx_at_ms);
		return true;
	}
	if (err == ELECT_WIRE_UNVERIFIED) {
		challenge_sender(c, m, src, out);
		return false;
	}
	if (err != ELECT_WIRE_OK) {
		count_drop(c, err, src, out);
		return false;
	}
	elect_replay_seen_start(&c->replay, &m->id, m->uptime_ms, c->rx_at_ms);
	return true;
}

/*
 * Counts, decodes, authenticates and checks a datagram for freshness
 * (challenging an unverified sender). True: m may be acted on.
 */
bool
elect_rx_verify(struct elect *c, const struct elect_event *ev,
    struct elect_msg *m, struct elect_out *out)
{
	enum elect_wire_err err;
	bool by_next; /* nothing hangs on which key: KEYS says who holds it */

	c->ctr.rx++;
	c->reply_pending = false;
	/* Key rotation: the next key verifies too (elect_key.c). */
	err = elect_wire_decode_either(
	    ev->buf, ev->len, c->conf.key, c->conf.next_key, m, &by_next);
	if (err == ELECT_WIRE_AUTH && c->conf.prev_key != NULL)
		err = elect_wire_decode(ev->buf, ev->len, c->conf.prev_key, m);
	if (err != ELECT_WIRE_OK) {
		count_drop(c, err, &ev->src, out);
		return false;
	}
	if (m->epoch > ELECT_EPOCH_MAX) {
		/* No cluster counts that far: epoch + 1 would wrap. */
		count_drop(c, ELECT_WIRE_MALFORMED, &ev->src, out);
		return false;
	}
	return rx_is_fresh(c, m, &ev->src, out);
}

/* The public address(es) the holder we follow announces (or none). */
static void
note_holder_public(struct elect *c, const struct elect_msg *m)
{
	if (m->type != ELECT_MSG_HEARTBEAT || !c->has_holder ||
	    elect_id_cmp(&c->holder.id, &m->id) != 0)
		return;
	memcpy(c->holder_pub, m->pub, sizeof(c->holder_pub));
	c->n_holder_pub = m->n_pub;
}

/*
 * A datagram: verified, its sender noted as a member, then its type is
 * the table's event. Our own id from another boot is a clone (OWN_ID);
 * a member with other settings is noted, but not of our election.
 */
void
elect_on_rx(
    struct elect *c, const struct elect_event *ev, struct elect_out *out)
{
	struct elect_msg m;
	struct elect_fsm_in in = {ev, &m, &ev->src};
	enum elect_fsm_event fev;

	if (!elect_rx_verify(c, ev, &m, out))
		return;
	queue_reply(c, &m, 0);
	if (elect_is_me(c, &m.id)) {
		elect_fsm_dispatch(c, ELECT_FSM_OWN_ID, &in, out);
	} else {
		if (m.type == ELECT_MSG_HELLO)
			elect_hello_heard(c); /* the periodic HELLOs' budget */
		note_member(c, &m, &ev->src, out);
		if (note_settings(c, &m, &ev->src, out) == 0) {
			elect_see_epoch(c, m.epoch);
			elect_fast_note_ack(c, &m); /* in any state */
			if (msg_event(&m, &fev))
				elect_fsm_dispatch(c, fev, &in, out);
			note_holder_public(c, &m);
			elect_site_heard(c, &m, &ev->src, out);
		}
	}
	/* A challenge not answered by a HELLO above is answered now. */
	if (c->reply_pending)
		elect_send_hello(c, &ev->src, out);
}
