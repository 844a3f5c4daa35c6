/*
 * election/elect_fast.c — fast detection. A standby watches client
 * requests to the DMZ address: one the holder leaves unanswered for
 * request-timeout starts a PROBE round (two tries); a holder whose
 * heartbeats stop is PROBEd too, before it is judged dead and while its
 * lease is waited out. The holder answers PROBEs.
 */
#include "config.h"

#include "election/elect_int.h"

/* What we watched was owed by the old holder, or the holder just
 * answered a PROBE: owed no longer (late answers still teach). */
void
elect_fast_reset(struct elect *c)
{
	elect_reqs_forgive(&c->reqs);
	c->probe_tries = 0;
}

/*
 * A member's MISSED, while we hold: our acks to it that it knows went
 * missing (note_ack()). More than it said before, in our epoch: our link
 * lost one. Its older peers send none: a PROBE again with the nonce we
 * acked said so, unless it came soon after our ack (a slow LAN delays
 * acks past a short learned try timeout: the simulator's slow members
 * made a sound holder hand over for "lost" acks).
 */
static void
note_acks_missed(struct elect *c, struct elect_member *mb,
    const struct elect_msg *m, bool same_epoch, bool recent)
{
	if (m->has & ELECT_HAS_MISSED) {
		if (same_epoch && m->missed > mb->acks_missed) {
			c->ctr.acks_lost += m->missed - mb->acks_missed;
			if (recent)
				mb->probe_gap_ms = c->now_ms;
		}
		mb->acks_missed = m->missed;
		return;
	}
	if (same_epoch && m->nonce == mb->probe_nonce &&
	    m->probe_seq == mb->probe_seq + 1 &&
	    c->now_ms >= mb->probe_ack_ms + ELECT_ACK_LOST_MIN_MS) {
		c->ctr.acks_lost++;
		mb->probe_gap_ms = c->now_ms;
	}
}

/*
 * A member's PROBE_SEQ, while we hold: a PROBE of it that never came
 * went missing on the way, since datagrams from one sender arrive in
 * order (a late one comes before the next, not instead of it). Counts
 * only within our epoch; a count that goes back (a restart) starts over.
 * The member, or NULL.
 */
static struct elect_member *
note_probe_seq(struct elect *c, const struct elect_msg *m)
{
	struct elect_member *mb = elect_members_find(&c->members, &m->id);
	uint64_t window =
	    (uint64_t)ELECT_LOSS_WINDOW_HEARTBEATS * c->conf.heartbeat_ms;
	bool same_epoch, recent;

	if (mb == NULL || !(m->has & ELECT_HAS_PROBE_SEQ))
		return NULL;
	same_epoch = mb->probe_epoch == c->held_epoch;
	/* A gap after a long pause may be old news: the PROBEs went missing
	 * some time since the last one came (the simulator: ones lost in a
	 * lossy spell, counted at the first PROBE after the LAN healed, made
	 * a sound holder hand over). Our link's loss now shows in PROBEs
	 * that come close together (a round's tries). */
	recent = mb->probe_rx_ms != 0 && c->now_ms <= mb->probe_rx_ms + window;
	mb->probe_rx_ms = c->now_ms;
	if (same_epoch && m->probe_seq > mb->probe_seq &&
	    m->probe_seq - mb->probe_seq > 1) {
		c->ctr.probes_lost += m->probe_seq - mb->probe_seq - 1;
		mb->probes_missed += m->probe_seq - mb->probe_seq - 1;
		if (recent)
			mb->probe_gap_ms = c->now_ms;
	}
	note_acks_missed(c, mb, m, same_epoch, recent);
	if (!same_epoch) {
		mb->probe_gap_ms = 0;
		mb->probes_missed = 0;
	}
	mb->probe_epoch = c->held_epoch;
	mb->probe_seq = m->probe_seq;
	if (mb->probe_nonce != m->nonce)
		mb->probe_ack_ms = c->now_ms; /* acked below, first time */
	mb->probe_nonce = m->nonce;
	return mb;
}

/*
 * Whether our own link loses datagrams: PROBEs of at least
 * ELECT_LOSS_WITNESSES live members went missing within the window.
 * One member's loss is its own link's; two at once share only ours.
 */
static bool
link_is_lossy(const struct elect *c)
{
	uint64_t window =
	    (uint64_t)ELECT_LOSS_WINDOW_HEARTBEATS * c->conf.heartbeat_ms;
	unsigned witnesses = 0;

	for (size_t i = 0; i < c->members.n; i++) {
		const struct elect_member *mb = &c->members.m[i];

		if (mb->probe_epoch == c->held_epoch && mb->probe_gap_ms != 0 &&
		    mb->probe_gap_ms + window > c->now_ms &&
		    elect_member_is_live(&c->members, mb, c->now_ms))
			witnesses++;
	}
	return witnesses >= ELECT_LOSS_WITNESSES;
}

/* A handover for link loss, heard (a RESIGN saying so) or ours. */
void
elect_note_loss_handover(struct elect *c)
{
	c->loss_handover_ms[1] = c->loss_handover_ms[0];
	c->loss_handover_ms[0] = c->now_ms;
}

/*
 * Two handovers for loss within the damping window: a LAN that loses
 * packets everywhere (every holder sees it), not one bad link. One is
 * not enough to say so: a second host's bad link soon after the first's
 * (the chaos run's `loss` faults, 2.6 s apart) kept the address on a
 * lossy link for 2.8 s while a handover per host would have cost tens
 * of ms. So the address moves for loss at most twice per window.
 */
static bool
loss_handovers_damped(const struct elect *c)
{
	uint64_t window =
	    (uint64_t)ELECT_LOSS_DAMP_HEARTBEATS * c->conf.heartbeat_ms;

	return c->loss_handover_ms[1] != 0 &&
	       c->now_ms < c->loss_handover_ms[1] + window;
}

/*
 * A lossy holder steps aside (doc/protocol.md): the clients lose what
 * its link loses, and a member on a sound link serves them all. A
 * handover, not a failover: the address goes first, the named successor
 * claims at once. Not after two such handovers lately: on a LAN that
 * loses packets everywhere, the address would go round.
 */
static void
hand_over_if_lossy(struct elect *c, struct elect_out *out)
{
	const struct elect_member *best;

	if (loss_handovers_damped(c) || !link_is_lossy(c))
		return;
	best = elect_members_best(&c->members, c->now_ms, NULL);
	if (best == NULL || best->unfit)
		return;
	c->ctr.loss_handovers++;
	elect_note_loss_handover(c);
	c->own_loss_handover_ms = c->now_ms;
	/* Our link loses datagrams: as a standby, a silent holder may be
	 * only our loss. No fence until our link has been quiet a while. */
	c->loss_seen_ms = c->now_ms;
	elect_resign(c, &best->id, ELECT_WHY_LINK_LOSS, out);
}

/* A standby asks whether we are alive and serving. */
void
elect_on_probe(
    struct elect *c, const struct elect_fsm_in *in, struct elect_out *out)
{
	struct elect_member *mb = note_probe_seq(c, in->m);
	struct elect_msg ack;

	c->probe_rx_ms = c->now_ms; /* the fence: elect_timers.c */
	elect_msg_init(c, &ack, ELECT_MSG_PROBE_ACK);
	ack.has |= ELECT_HAS_NONCE | ELECT_HAS_CHECK;
	ack.nonce = in->m->nonce;
	/* The last result answers now; a fresh check follows the probe. */
	ack.check_ok = c->check_ok;
	/* Which PROBE this answers, and how many of its PROBEs before it
	 * we missed: it tells our lost acks from its lost PROBEs. */
	if (mb != NULL) {
		ack.has |= ELECT_HAS_PROBE_SEQ | ELECT_HAS_MISSED;
		ack.probe_seq = in->m->probe_seq;
		ack.missed = mb->probes_missed;
	}
	elect_send_msg(c, &ack, in->src, out);
	if (c->conf.check_enabled)
		elect_push(out, ELECT_ACT_CHECK);
	hand_over_if_lossy(c, out);
}

/*
 * A PROBE_ACK of the holder we PROBE (any of our PROBEs, answered in
 * order): the PROBEs below it that got no ack, less those it says it
 * missed, are its acks that went missing, on its link or ours. Counted
 * from the first ack of its epoch we get (its MISSED then is the base),
 * and sent in our next PROBE as MISSED, all told: the holder learns
 * from it that its own link loses datagrams (hand_over_if_lossy()).
 * Exact where a try's timing is not: a slow ack is late, not missing.
 */
void
elect_fast_note_ack(struct elect *c, const struct elect_msg *m)
{
	uint32_t unacked, missed, lost;

	if (m->type != ELECT_MSG_PROBE_ACK ||
	    (m->has & (ELECT_HAS_PROBE_SEQ | ELECT_HAS_MISSED)) !=
		(ELECT_HAS_PROBE_SEQ | ELECT_HAS_MISSED) ||
	    elect_id_cmp(&m->id, &c->probe_seq_to) != 0 || m->probe_seq == 0 ||
	    m->probe_seq > c->probe_seq_out)
		return;
	if (c->ack_seq == 0 || m->epoch != c->ack_epoch ||
	    m->missed < c->ack_missed_base) {
		c->ack_epoch = m->epoch;
		c->ack_seq = m->probe_seq;
		c->ack_missed_base = m->missed;
		c->ack_unacked = 0;
		c->ack_lost_in_epoch = 0;
		return;
	}
	if (m->probe_seq <= c->ack_seq)
		return; /* a copy, or out of order: nothing new */
	c->ack_unacked += m->probe_seq - c->ack_seq - 1;
	c->ack_seq = m->probe_seq;
	missed = m->missed - c->ack_missed_base;
	unacked = c->ack_unacked;
	lost = unacked > missed ? unacked - missed : 0;
	if (lost > c->ack_lost_in_epoch) {
		c->acks_missed += lost - c->ack_lost_in_epoch;
		c->ack_lost_in_epoch = lost;
	}
}

/*
 * A PROBE_ACK from the holder we follow (or followed), to one of our
 * PROBEs: a fast round's (*fast, may be NULL) or a silence probe's.
 */
static bool
acks_our_probe(const struct elect *c, const struct elect_msg *m, bool *fast)
{
	/* A round's nonce stays ours after the round: an answer that comes
	 * after it failed still says the holder lives (the fence, above all,
	 * must not claim beside it). */
	bool round = c->probe_nonce != 0 && m->nonce == c->probe_nonce;
	bool silence = c->silence_sent_ms != 0 && m->nonce == c->silence_nonce;

	if (fast != NULL)
		*fast = round;
	return (round || silence) && elect_id_cmp(&c->holder.id, &m->id) == 0;
}

/*
 * The silent holder we are waiting out answered: it is alive and holds,
 * its heartbeats were lost. Follow it again rather than claim beside it.
 */
void
elect_on_silent_holder_ack(
    struct elect *c, const struct elect_fsm_in *in, struct elect_out *out)
{
	struct elect_claim h = c->holder;
	struct elect_member *mb;

	if (!acks_our_probe(c, in->m, NULL) || !c->lost_by_silence)
		return;
	elect_fence_ack(c, in->m, true); /* late: a try or an answer lost */
	mb = elect_members_find(&c->members, &h.id);
	/* Heartbeats we lost renewed its lease: it may run until now + a
	 * lease, and our turn counts from there if it goes silent again. */
	if (mb != NULL) {
		mb->state = ELECT_ST_HOLDER;
		mb->lease_until_ms =
		    c->now_ms + c->conf.lease_ms + ELECT_LEASE_MARGIN_MS;
	}
	c->silence_sent_ms = 0;
	elect_follow(c, &h, out);
}

/*
 * A round for unanswered requests that the holder answered: the
 * requests were slow, not the holder. The next round waits longer after
 * this one, doubling from a quarter of request-timeout (the ceiling) up
 * to it: a flood of unanswered SYNs soon gets a round per
 * request-timeout, while a LAN whose answers are all prompt starts its
 * round for a real failure at the first request's learned timeout.
 * Quiet for four ceilings, the wait is forgotten.
 */
static void
false_alarm(struct elect *c)
{
	uint32_t ceiling = c->conf.request_timeout_ms;
	uint64_t quiet = 4 * (uint64_t)ceiling;
	uint32_t gap = c->round_gap_ms * 2;

	if (c->last_alarm_ms == 0 || c->now_ms >= c->last_alarm_ms + quiet)
		gap = 0;
	if (gap < ceiling / 4)
		gap = ceiling / 4;
	c->round_gap_ms = gap < ceiling ? gap : ceiling;
	c->last_alarm_ms = c->now_ms;
}

/* A standby's PROBE answered: alive and serving, or not serving. */
void
elect_on_probe_ack(
    struct elect *c, const struct elect_fsm_in *in, struct elect_out *out)
{
	const struct elect_msg *m = in->m;
	bool fast;

	if (!acks_our_probe(c, m, &fast) || !c->has_holder)
		return;
	elect_fence_ack(
	    c, m, fast ? c->probe_tries != 1 : c->silence_tries > 1);
	if (!fast) { /* alive: its next heartbeat may come through */
		c->silence_sent_ms = 0;
		elect_detector_heard(&c->detector, c->now_ms);
		return;
	}
	if (!m->check_ok) {
		elect_become_candidate(
		    c, &m->id, 0, 0, ELECT_WHY_SERVICE_FAILED, out);
		return;
	}
	elect_fast_reset(c); /* lost requests, not a lost holder */
	elect_detector_heard(&c->detector, c->now_ms);
	false_alarm(c);
}

void
elect_on_request(
    struct elect *c, const struct elect_fsm_in *in, struct elect_out *out)
{
	(void)out;
	if (c->has_holder)
		elect_reqs_request(&c->reqs, in->ev->flow, in->ev->proto,
		    in->ev->port, c->now_ms);
}

void
elect_on_answer(
    struct elect *c, const struct elect_fsm_in *in, struct elect_out *out)
{
	(void)out;
	elect_reqs_answer(&c->reqs, in->ev->flow, in->ev->proto, in->ev->port,
	    c->now_ms, c->conf.request_timeout_ms);
	c->answer_ms = c->now_ms; /* the holder serves: round_failed() */
}

/* PROBEs are counted, and their rate kept (at most ELECT_PROBE_TRIES a
 * request-timeout, whatever asks: a flood of requests, a silent holder). */
static void
note_probe_sent(struct elect *c)
{
	c->ctr.probes++;
	for (size_t i = 0; i + 1 < ELECT_PROBE_RING; i++)
		c->probe_sent_ms[i] = c->probe_sent_ms[i + 1];
	c->probe_sent_ms[ELECT_PROBE_RING - 1] = c->now_ms;
}

/*
 * When a round (or a lone silence PROBE) may start at the earliest (0:
 * now): once at most ELECT_PROBE_TRIES PROBEs were sent within the last
 * request-timeout, so that with its own tries no more than
 * ELECT_PROBE_RING go within one, whatever a flood of requests sends.
 */
static uint64_t
probe_rate_due(const struct elect *c)
{
	uint64_t fourth =
	    c->probe_sent_ms[ELECT_PROBE_RING - 1 - ELECT_PROBE_TRIES];

	return fourth == 0 ? 0 : fourth + c->conf.request_timeout_ms;
}

/* A PROBE to the holder we follow (or lost); none without its address:
 * the caller's deadline, or the lease, decides then. */
static void
probe_holder(struct elect *c, uint64_t nonce, bool retry, struct elect_out *out)
{
	struct elect_member *h = elect_members_find(&c->members, &c->holder.id);
	struct elect_msg m;

	if (h == NULL || h->src.family == 0)
		return;
	if (elect_id_cmp(&c->probe_seq_to, &h->id) != 0) {
		c->probe_seq_to = h->id;
		c->probe_seq_out = 0;
		c->ack_seq = 0;
		c->acks_missed = 0;
	}
	elect_msg_init(c, &m, ELECT_MSG_PROBE);
	m.has |= ELECT_HAS_NONCE | ELECT_HAS_PROBE_SEQ | ELECT_HAS_MISSED;
	m.nonce = nonce;
	m.probe_seq = ++c->probe_seq_out;
	m.missed = c->acks_missed;
	elect_send_msg(c, &m, &h->src, out);
	note_probe_sent(c);
	elect_fence_probe_sent(c, h, nonce, retry);
}

static void
send_probe(struct elect *c, struct elect_out *out)
{
	/* ELECT_PROBE_TRIES tries, each waiting a probe-timeout: a LAN
	 * answers in a millisecond, and a holder silent for that long,
	 * three times, is dead (or fenced: elect_fence.c). */
	c->probe_tries++;
	c->probe_deadline_ms = c->now_ms + elect_probe_timeout(c);
	probe_holder(c, c->probe_nonce, c->probe_tries > 1, out);
}

/*
 * When the first unanswered request, by its own port's timeout (learned,
 * at least request-timeout-min), may start a PROBE round; 0: never. A
 * round ends in an ack that forgives every request, or in a failover.
 * After a false alarm, a round waits (false_alarm()); and at most
 * ELECT_PROBE_TRIES PROBEs go per request-timeout (the ceiling) whatever
 * a flood sends: a learned timeout makes the first round early, never
 * the rounds of a flood more frequent.
 */
static uint64_t
probe_due(const struct elect *c)
{
	uint64_t due = elect_reqs_due(&c->reqs, &c->conf);
	uint64_t last = c->probe_sent_ms[ELECT_PROBE_RING - 1];
	uint64_t quiet = 4 * (uint64_t)c->conf.request_timeout_ms;
	uint64_t gap = c->round_gap_ms;

	if (due == 0)
		return 0;
	if (c->last_alarm_ms == 0 || c->now_ms >= c->last_alarm_ms + quiet)
		gap = 0; /* false_alarm(): forgotten */
	if (last != 0 && last + gap > due)
		due = last + gap;
	/* And never more than a round's PROBEs per request-timeout. */
	if (probe_rate_due(c) > due)
		due = probe_rate_due(c);
	return due;
}

/*
 * Every try of a round went unanswered. But if the holder answered a
 * client meanwhile (the watcher saw it), it lives and serves: the LAN
 * lost our PROBEs or their answers, or delayed them (a loss starting on
 * the holder's link made a standby claim on the fence beside it:
 * lossy.sh in CI). A sign of loss, so no fence for a while, and a false
 * alarm. Otherwise the holder is dead, or fenced (elect_fence.c).
 */
/* For the failover's log line: did the holder's fence serve, and why not. */
static void
note_round_fence(struct elect *c)
{
	const struct elect_member *h =
	    elect_members_find(&c->members, &c->holder.id);

	c->round_fence_why =
	    h != NULL ? elect_fence_why(c, h) : ELECT_FENCE_OFF;
	c->round_loss_age_ms = c->round_fence_why == ELECT_FENCE_LOSS
				   ? c->now_ms - c->loss_seen_ms
				   : 0;
}

static void
round_failed(struct elect *c, struct elect_out *out)
{
	if (c->answer_ms != 0 && c->answer_ms >= c->round_start_ms) {
		c->loss_seen_ms = c->now_ms;
		elect_fast_reset(c);
		false_alarm(c);
		return;
	}
	note_round_fence(c);
	elect_become_candidate(
	    c, &c->holder.id, 0, 0, ELECT_WHY_PROBE_FAILED, out);
}

/*
 * A request left unanswered for request-timeout: PROBE the holder,
 * ELECT_PROBE_TRIES tries a probe-timeout apart; silence declares it
 * dead at once (its lease or its fence decides when we may claim).
 */
void
elect_run_fast_timers(struct elect *c, struct elect_out *out)
{
	uint64_t due;

	if (!c->has_holder)
		return;
	if (c->probe_tries > 0) {
		if (c->now_ms < c->probe_deadline_ms)
			return;
		if (c->probe_tries >= ELECT_PROBE_TRIES) {
			round_failed(c, out);
			return;
		}
		send_probe(c, out);
		return;
	}
	due = probe_due(c);
	if (due == 0 || c->now_ms < due)
		return;
	c->probe_nonce = elect_rng_next(c) | 1; /* never 0: "none" */
	c->round_start_ms = c->now_ms;
	send_probe(c, out);
}

/*
 * Whether the silence PROBEs to the holder we follow make a round (tries
 * a probe-timeout apart, then it is dead): only where its fence can
 * shorten the wait (elect_fence.c); otherwise its lease must be waited
 * out anyway, and the detector judges it after dead-after heartbeats.
 */
static bool
silence_is_round(const struct elect *c)
{
	const struct elect_member *h;

	if (c->state != ELECT_ST_STANDBY || !c->has_holder)
		return false;
	h = elect_members_find(
	    (struct elect_members *)&c->members, &c->holder.id);
	return h != NULL && elect_fence_trusted(c, h);
}

/*
 * The holder's heartbeat is half a heartbeat overdue: ask it, every half
 * heartbeat, until it is heard again or we claim (with a fence: a round
 * of tries a probe-timeout apart, above). Two tries fit before a standby
 * declares it dead at the defaults, and two more in its lease.
 */
uint64_t
elect_silence_probe_due(const struct elect *c)
{
	uint64_t hb = c->conf.heartbeat_ms;
	uint64_t due = c->detector.last_heard_ms + hb + hb / 2;
	uint64_t gap = silence_is_round(c) ? elect_probe_timeout(c) : hb / 2;

	if (!((c->state == ELECT_ST_STANDBY && c->has_holder) ||
		(c->state == ELECT_ST_CANDIDATE && c->lost_by_silence)))
		return 0;
	/* A round for unanswered requests is asking it already. */
	if (c->probe_tries > 0 || elect_reqs_oldest(&c->reqs) != 0)
		return 0;
	if (c->silence_sent_ms > c->detector.last_heard_ms &&
	    c->silence_sent_ms + gap > due)
		due = c->silence_sent_ms + gap;
	if (probe_rate_due(c) > due)
		due = probe_rate_due(c);
	return due;
}

void
elect_run_silence_probe(struct elect *c, struct elect_out *out)
{
	uint64_t due = elect_silence_probe_due(c);

	if (due == 0 || c->now_ms < due)
		return;
	/* Tries count since the holder was last heard. */
	if (c->silence_sent_ms <= c->detector.last_heard_ms)
		c->silence_tries = 0;
	if (silence_is_round(c) && c->silence_tries >= ELECT_PROBE_TRIES) {
		/* It answered a client since the round began: alive (a
		 * frozen holder's kernel fell silent a fence after its
		 * last heartbeat was due, before this round), and what
		 * went missing was lost on the way to us (as
		 * round_failed()). No round while the sign lasts: the
		 * detector and the lease judge it. */
		if (c->answer_ms != 0 && c->answer_ms >= c->silence_round_ms) {
			c->loss_seen_ms = c->now_ms;
			return;
		}
		elect_become_candidate(
		    c, &c->holder.id, 0, 0, ELECT_WHY_HOLDER_DEAD, out);
		return;
	}
	if (c->silence_sent_ms == 0)
		c->silence_nonce = elect_rng_next(c) | 1;
	if (c->silence_tries == 0)
		c->silence_round_ms = c->now_ms;
	c->silence_sent_ms = c->now_ms;
	c->silence_tries++;
	probe_holder(c, c->silence_nonce, c->silence_tries > 1, out);
}

uint64_t
elect_fast_wake(const struct elect *c)
{
	if (c->state != ELECT_ST_STANDBY || !c->has_holder)
		return 0;
	if (c->probe_tries > 0)
		return c->probe_deadline_ms;
	return probe_due(c);
}
