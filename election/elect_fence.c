/*
 * election/elect_fence.c — the fence (doc/protocol.md, "The fence"), and
 * the round trips to the holder that the probe-timeout is learned from.
 *
 * The lease that a HEARTBEAT announces (3 heartbeats) is what a standby
 * must wait out when it knows nothing more: the holder may be frozen, its
 * kernel answering ARP until the lease ends. The fence lets it know more.
 * A holder renews its kernel's lease every fence/3 for only `fence` ms,
 * and only from its running loop, having first read and answered every
 * PROBE that arrived (the edge drains the socket before it renews). So:
 *
 *   a PROBE that the holder left unanswered, sent at p, means its loop
 *   did not run after the PROBE arrived; its last renewal came before,
 *   and its kernel stopped answering for the address by p + fence.
 *
 * Unless the PROBE or its answer was lost, or late, or the holder
 * dropped it as unverified. Hence the conditions on the gate p + fence +
 * margin: the holder showed lately that our datagrams pass its replay
 * window (it answered a PROBE, or echoed a PING, of this boot of ours);
 * round trips to it were measured, and the margin is their learned
 * timeout (a PROBE arrives within it); no sign of loss on the way from it
 * for ELECT_FENCE_QUIET_HEARTBEATS; and p is the first of a round of
 * ELECT_PROBE_TRIES tries, all unanswered. A claim that is wrong all the
 * same (every try lost on a LAN that lost nothing for seconds) meets a
 * live holder, which hears the CLAIM and yields: the two MACs of a
 * partition healing, not of a frozen kernel.
 */
#include "config.h"

#include <string.h>

#include "election/elect_int.h"

/*
 * How long one PROBE waits for its answer before the next try. Fixed
 * (and auto, until round trips were measured): half the probe-timeout,
 * two tries within it as it always meant. Learned: the round-trip
 * timeout (RFC 6298) of PROBE and PING/ECHO round trips, at least
 * ELECT_PROBE_TIMEOUT_MIN_MS and, like TCP's, not capped by a guess: a
 * retry sent before an answer could come back would only look, to the
 * holder, like a lost answer (acks_lost), and a slow LAN is slow.
 */
uint32_t
elect_probe_timeout(const struct elect *c)
{
	uint32_t fixed = c->conf.probe_timeout_ms / 2;

	if (fixed == 0)
		fixed = 1;
	if (!c->conf.probe_timeout_auto ||
	    c->probe_rto.samples < ELECT_PROBE_MIN_SAMPLES)
		return fixed;
	return elect_rto_timeout(&c->probe_rto, ELECT_PROBE_TIMEOUT_MIN_MS,
	    ELECT_PROBE_TRY_MAX_MS, ELECT_PROBE_MIN_SAMPLES);
}

static bool
is_followed(const struct elect *c, const struct elect_id *id)
{
	return c->has_holder && elect_id_cmp(&c->holder.id, id) == 0;
}

/* The holder's HEARTBEATs came further apart than one and a half: one
 * was lost on the way (or it stalled): no fence gate for a while. Timed
 * by their arrival, not by when we read them: a stall of ours (stopped,
 * starved) is no loss on the LAN. */
static void
note_heartbeat_gap(struct elect *c, const struct elect_msg *m)
{
	uint64_t hb = c->conf.heartbeat_ms;

	if (m->type != ELECT_MSG_HEARTBEAT || !is_followed(c, &m->id))
		return;
	/* Gaps within one tenure (holder and epoch): the first HEARTBEAT of
	 * a new holder follows no other of its own. */
	if (c->last_hb_ms != 0 && c->last_hb_epoch == m->epoch &&
	    elect_id_cmp(&c->last_hb_of, &m->id) == 0 &&
	    c->rx_at_ms > c->last_hb_ms + hb + hb / 2)
		c->loss_seen_ms = c->now_ms;
	c->last_hb_ms = c->rx_at_ms;
	c->last_hb_of = m->id;
	c->last_hb_epoch = m->epoch;
}

static uint64_t fence_margin(const struct elect *c);

/*
 * A datagram of the holder that took longer than its fastest ones by
 * more than the margin the fence adds (a loaded host's network stack, a
 * LAN whose delay jumped): our PROBEs may be as slow, and the fence's
 * promise counts from their arrival. Every datagram carries the sender's
 * uptime: now - uptime is its start plus this datagram's delay; the
 * smallest seen is the start plus the least delay. It creeps up a ms a
 * datagram, so clocks drifting apart (ppm) never look like a delay.
 * Timed by its arrival (the kernel's stamp), as above.
 */
static void
note_delay(struct elect *c, struct elect_member *mb, const struct elect_msg *m)
{
	/* Offset: a peer up longer than our clock has run gives a start
	 * before our zero (2^40 ms: 34 years of uptime). */
	uint64_t obs = c->rx_at_ms + (1ull << 40) - m->uptime_ms;

	/* A RESIGN ends the tenure a sign would guard; and the guard's
	 * farewell carries the uptime of the datagram before it, by design
	 * (elect_send.c): stale, not slow. Every kill -9 of a holder made
	 * every standby distrust the next holder's fence for seconds. */
	if (m->uptime_ms > (1ull << 40) || m->type == ELECT_MSG_RESIGN)
		return;
	if (mb->boot != m->boot || mb->delay_base_ms == 0 ||
	    obs < mb->delay_base_ms + 1) {
		mb->delay_base_ms = obs;
		return;
	}
	mb->delay_base_ms++;
	if (is_followed(c, &m->id) && obs > mb->delay_base_ms + fence_margin(c))
		c->loss_seen_ms = c->now_ms;
}

/* A HEARTBEAT echoing our last PING: it verified us; a round trip. */
static void
take_echoes(struct elect *c, struct elect_member *mb, const struct elect_msg *m)
{
	size_t i;
	uint64_t took;

	for (i = 0; i < m->n_echoes; i++) {
		if (c->ping_nonce == 0 || m->echoes[i].nonce != c->ping_nonce)
			continue;
		mb->fence_trust_ms = c->now_ms;
		took = c->now_ms - c->ping_sent_ms;
		if (took >= m->echoes[i].held_ms) {
			/* Round trips to whichever member held: one LAN, one
			 * estimate. */
			elect_rto_sample(
			    &c->probe_rto, took - m->echoes[i].held_ms);
		}
		c->ping_nonce = 0;
	}
}

/*
 * A fresh start has one round trip, from its greeting
 * (elect_fence_greet()), and the fence wants ELECT_PROBE_MIN_SAMPLES.
 * Named successor, we ask again at once (a HELLO with a PING), not at our
 * next periodic HELLO: until then, named, we would wait out the whole
 * lease when the holder goes silent, and every other member a turn more
 * (chaos runs: 110-120 ms failovers after a restart, 80 ms otherwise).
 * Only the named one asks: the others claim a turn later anyway, and 19
 * standbys asking at once after a cold start (the holder echoes four
 * PINGs a heartbeat) kept the LAN above 6 datagrams/s for a second more
 * (issue 9). Called on each HEARTBEAT of the holder we follow.
 */
void
elect_fence_measure_successor(struct elect *c, struct elect_out *out)
{
	const struct elect_member *mb;

	if (c->state == ELECT_ST_HOLDER || !c->has_holder || c->link_down ||
	    c->ping_nonce != 0 ||
	    c->probe_rto.samples >= ELECT_PROBE_MIN_SAMPLES ||
	    !elect_is_me(c, &c->successor))
		return;
	mb = elect_members_find(&c->members, &c->holder.id);
	if (mb == NULL || mb->src.family == 0 || mb->fence_ms == 0)
		return;
	elect_send_hello(c, &mb->src, out);
}

/*
 * Every verified datagram of mb (before its boot is recorded): hearing
 * it ends our PROBE's count; a HEARTBEAT/CLAIM gives its fence; a
 * HEARTBEAT may echo our PING; a HELLO's PING is echoed while we hold.
 */
void
elect_fence_heard(
    struct elect *c, struct elect_member *mb, const struct elect_msg *m)
{
	if (mb->boot != m->boot)
		mb->fence_trust_ms = 0; /* a new start knows nothing of us */
	mb->fence_probe_ms = 0;
	note_delay(c, mb, m);
	if (m->type == ELECT_MSG_HEARTBEAT || m->type == ELECT_MSG_CLAIM)
		mb->fence_ms = (m->has & ELECT_HAS_FENCE) ? m->fence_ms : 0;
	if (m->type == ELECT_MSG_HEARTBEAT) {
		note_heartbeat_gap(c, m);
		take_echoes(c, mb, m);
	}
	if (m->type == ELECT_MSG_HELLO && (m->has & ELECT_HAS_PING) &&
	    c->state == ELECT_ST_HOLDER) {
		mb->echo_nonce = m->ping;
		mb->echo_heard_ms = c->now_ms;
	}
}

/*
 * A PROBE goes to the holder h: the first since we last heard it starts
 * the fence's count. One sent once is timed; a retry of the same nonce
 * is not (Karn: which try did the answer answer?).
 */
void
elect_fence_probe_sent(
    struct elect *c, struct elect_member *h, uint64_t nonce, bool retry)
{
	if (h->fence_probe_ms == 0)
		h->fence_probe_ms = c->now_ms;
	if (retry) {
		c->rtt_nonce = 0;
		return;
	}
	c->rtt_nonce = nonce;
	c->rtt_sent_ms = c->now_ms;
}

/* Our PROBE answered (retried: only after a second try, or late): the
 * holder hears us; a retry is a sign of loss. */
void
elect_fence_ack(struct elect *c, const struct elect_msg *m, bool retried)
{
	struct elect_member *mb = elect_members_find(&c->members, &m->id);

	if (mb != NULL)
		mb->fence_trust_ms = c->now_ms;
	if (retried)
		c->loss_seen_ms = c->now_ms;
	if (c->rtt_nonce != 0 && m->nonce == c->rtt_nonce) {
		elect_rto_sample(&c->probe_rto, c->now_ms - c->rtt_sent_ms);
		c->rtt_nonce = 0;
	}
}

/* Whether m has a fence we may rely on: it showed lately that it hears
 * us, and nothing was lost on the way from it for a while. */
enum elect_fence_why
elect_fence_why(const struct elect *c, const struct elect_member *m)
{
	uint64_t quiet =
	    (uint64_t)ELECT_FENCE_QUIET_HEARTBEATS * c->conf.heartbeat_ms;

	if (m->fence_ms < ELECT_FENCE_MIN_MS)
		return ELECT_FENCE_OFF;
	if (m->fence_trust_ms == 0 ||
	    c->now_ms > m->fence_trust_ms + c->members.expire_ms)
		return ELECT_FENCE_UNHEARD;
	if (c->probe_rto.samples < ELECT_PROBE_MIN_SAMPLES)
		return ELECT_FENCE_UNMEASURED;
	if (c->loss_seen_ms != 0 && c->now_ms < c->loss_seen_ms + quiet)
		return ELECT_FENCE_LOSS;
	return ELECT_FENCE_SERVES;
}

bool
elect_fence_trusted(const struct elect *c, const struct elect_member *m)
{
	return elect_fence_why(c, m) == ELECT_FENCE_SERVES;
}

const char *
elect_fence_why_name(enum elect_fence_why why)
{
	switch (why) {
	case ELECT_FENCE_SERVES:
		return "it serves";
	case ELECT_FENCE_OFF:
		return "the holder has no fence";
	case ELECT_FENCE_UNHEARD:
		return "the holder has not shown lately that it hears us";
	case ELECT_FENCE_UNMEASURED:
		return "too few round trips to it measured";
	case ELECT_FENCE_LOSS:
		return "a sign of loss or delay on the way from it lately";
	}
	return "?";
}

/* Whether m's fence opens our gate now: trusted, and PROBEd unanswered. */
bool
elect_fence_usable(const struct elect *c, const struct elect_member *m)
{
	return m->fence_probe_ms != 0 && elect_fence_trusted(c, m);
}

/*
 * How late our PROBE may reach the holder: the learned round-trip
 * timeout (RFC 6298, unclamped above), at least ELECT_FENCE_MARGIN_MS.
 * A holder that renewed its fence after our PROBE was sent but before
 * it arrived keeps the address that much longer (a slow LAN, a loaded
 * host's network stack).
 */
static uint64_t
fence_margin(const struct elect *c)
{
	return elect_rto_timeout(&c->probe_rto, ELECT_FENCE_MARGIN_MS,
	    UINT32_MAX / 2, ELECT_PROBE_MIN_SAMPLES);
}

uint32_t
elect_get_fence_margin(const struct elect *c)
{
	uint64_t m = fence_margin(c);

	return m > UINT32_MAX ? UINT32_MAX : (uint32_t)m;
}

/* When m's kernel has let the address go, as far as we can know: its
 * lease's end, or sooner its fence's (above). */
uint64_t
elect_member_gate(const struct elect *c, const struct elect_member *m)
{
	uint64_t gate = m->lease_until_ms, fence;

	if (gate == 0 || !elect_fence_usable(c, m))
		return gate;
	fence = m->fence_probe_ms + m->fence_ms + fence_margin(c);
	return fence < gate ? fence : gate;
}

/*
 * A holder we did not follow before hears a HELLO from us at once, with
 * a PING: its echo in its next HEARTBEAT shows that it hears us, and the
 * fence can serve within a heartbeat of a failover, not at our next
 * periodic HELLO (one datagram per new holder, none per period).
 */
void
elect_fence_greet(struct elect *c, const struct elect_claim *h, bool new_holder,
    struct elect_out *out)
{
	const struct elect_member *mb;

	if (!new_holder || c->state == ELECT_ST_HOLDER || c->link_down)
		return;
	mb = elect_members_find(&c->members, &h->id);
	if (mb == NULL || mb->src.family == 0 || mb->fence_ms == 0)
		return;
	elect_send_hello(c, &mb->src, out);
}

/* A HELLO of ours that reaches the holder we follow asks for an echo. */
void
elect_fence_ping(struct elect *c, struct elect_msg *m)
{
	if (!c->has_holder || c->state == ELECT_ST_HOLDER)
		return;
	c->ping_nonce = elect_rng_next(c) | 1; /* never 0: "none" */
	c->ping_sent_ms = c->now_ms;
	m->ping = c->ping_nonce;
	m->has |= ELECT_HAS_PING;
}

/* Our HEARTBEAT echoes the PINGs heard since the last one (a few). */
void
elect_fence_echoes(struct elect *c, struct elect_msg *m)
{
	size_t i;
	uint64_t held;

	m->n_echoes = 0;
	for (i = 0; i < c->members.n && m->n_echoes < ELECT_MAX_ECHOES; i++) {
		struct elect_member *mb = &c->members.m[i];

		if (mb->echo_heard_ms == 0)
			continue;
		held = c->now_ms - mb->echo_heard_ms;
		m->echoes[m->n_echoes].nonce = mb->echo_nonce;
		m->echoes[m->n_echoes].held_ms =
		    (uint16_t)(held > UINT16_MAX ? UINT16_MAX : held);
		m->n_echoes++;
		mb->echo_heard_ms = 0;
	}
	if (m->n_echoes > 0)
		m->has |= ELECT_HAS_ECHO;
}

/*
 * HOLDER: the kernel gets the fence, never past the lease the peers
 * count from our last HEARTBEAT (elect_refresh_lease() sets that one).
 */
void
elect_fence_renew(struct elect *c, struct elect_out *out)
{
	struct elect_action *a;
	uint64_t until = c->lease_until_ms;

	if (c->conf.fence_ms != 0 && c->now_ms + c->conf.fence_ms < until)
		until = c->now_ms + c->conf.fence_ms;
	if (until <= c->now_ms)
		return;
	a = elect_push(out, ELECT_ACT_ADDR_REFRESH);
	a->lease_ms = (uint32_t)(until - c->now_ms);
	c->fence_until_ms = until;
	c->fence_renewed_ms = c->now_ms;
	c->stall_ms = 0;
	c->next_fence_ms = c->now_ms + (c->conf.fence_ms ? c->conf.fence_ms / 3
							 : c->conf.lease_ms);
}

/* HOLDER: our loop did not run while the fence ran out: the kernel let
 * the address go, and a standby may have claimed on it. */
bool
elect_fence_lapsed(const struct elect *c)
{
	return c->conf.fence_ms != 0 && c->fence_until_ms != 0 &&
	       c->now_ms >= c->fence_until_ms;
}
