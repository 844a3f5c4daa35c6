/*
 * election/elect_send.c — what the state machine sends: HELLO (with the
 * challenges due), HEARTBEAT, CLAIM, RESIGN, and the guard's farewell.
 * Every datagram takes a sequence the disk acknowledged, or is not sent.
 */
#include "config.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

#include "election/elect_int.h"

/* Sequences survive restarts: only those reserved on disk are used. */
static bool
next_seq(struct elect *c, uint64_t *seq)
{
	if (c->seq >= c->disk.seq_reserved) {
		c->muted = true; /* elect_sync_persist() asks for more */
		return false;
	}
	*seq = c->seq++;
	return true;
}

void
elect_msg_init(struct elect *c, struct elect_msg *m, enum elect_msg_type type)
{
	memset(m, 0, sizeof(*m));
	m->version = ELECT_PROTO_VERSION;
	m->type = (uint8_t)type;
	m->id = c->id;
	m->epoch = c->epoch;
	m->priority = c->conf.priority;
	m->boot = c->boot;
	m->uptime_ms = c->now_ms - c->started_ms;
	m->has = ELECT_HAS_PRIORITY | ELECT_HAS_BOOT | ELECT_HAS_UPTIME;
	/* Members whose settings differ must not elect each other: every
	 * message that takes part in the election says ours. */
	if (type == ELECT_MSG_HELLO || type == ELECT_MSG_HEARTBEAT ||
	    type == ELECT_MSG_CLAIM) {
		m->has |= ELECT_HAS_DMZ | ELECT_HAS_LEASE | ELECT_HAS_HEARTBEAT;
		m->dmz = c->conf.dmz;
		m->dmz_prefix = c->conf.dmz_prefix;
		m->lease_ms = c->conf.lease_ms;
		m->heartbeat_ms = c->conf.heartbeat_ms;
		if (c->conf.dmz6.family == 6) {
			m->has |= ELECT_HAS_DMZ6_ALSO;
			m->dmz6 = c->conf.dmz6;
			m->dmz6_prefix = c->conf.dmz6_prefix;
		}
	}
	elect_site_add(c, m);
	elect_key_add(c, m);
}

void
elect_send_msg(struct elect *c, struct elect_msg *m,
    const struct elect_addr *dest, struct elect_out *out)
{
	struct elect_action *a;

	if (!next_seq(c, &m->seq))
		return; /* the disk has not acknowledged one: say nothing */
	a = elect_push(out, ELECT_ACT_SEND);
	if (dest != NULL)
		a->dest = *dest;
	else
		elect_alive_sent_group(c);
	a->len =
	    elect_wire_encode(m, elect_key_sending(c), a->buf, sizeof(a->buf));
	/* Our own messages are bounded by construction. */
	assert(a->len > 0);
	c->ctr.tx++;
}

uint64_t
elect_new_challenge(struct elect *c)
{
	uint64_t v;

	/* Fresh, never 0 (no challenge). Unpredictable is not needed:
	 * only a live key holder can echo it (doc/protocol.md). */
	while ((v = elect_rng_next(c)) == 0)
		;
	return v;
}

/*
 * A unicast HELLO carries the challenge we echo and the one we ask for,
 * if any are due to its peer; a group SOLICIT a fresh challenge for every
 * member that answers, so they are verified in one round trip.
 */
static void
add_challenges(
    struct elect *c, struct elect_msg *m, const struct elect_addr *dest)
{
	if (dest != NULL && c->reply_pending) {
		c->reply_pending = false;
		if (c->reply_resp != 0) {
			m->response = c->reply_resp;
			m->has |= ELECT_HAS_RESPONSE;
		}
		if (c->reply_chal != 0) {
			m->challenge = c->reply_chal;
			m->has |= ELECT_HAS_CHALLENGE;
			c->ctr.challenges++;
		}
	} else if (dest == NULL && (m->flags & ELECT_FLAG_SOLICIT)) {
		c->solicit_chal = elect_new_challenge(c);
		c->solicit_ms = c->now_ms;
		m->challenge = c->solicit_chal;
		m->has |= ELECT_HAS_CHALLENGE;
		c->ctr.challenges++;
	}
}

/* Whether dest is where the holder we follow speaks from. */
static bool
to_holder(struct elect *c, const struct elect_addr *dest)
{
	const struct elect_member *h;

	if (!c->has_holder)
		return false;
	h = elect_members_find(&c->members, &c->holder.id);
	return h != NULL && h->src.family == dest->family &&
	       memcmp(h->src.b, dest->b, sizeof(dest->b)) == 0;
}

void
elect_send_hello_flags(struct elect *c, const struct elect_addr *dest,
    uint16_t flags, struct elect_out *out)
{
	struct elect_msg m;
	struct elect_id holder;

	elect_msg_init(c, &m, ELECT_MSG_HELLO);
	m.flags = flags;
	if (c->conf.check_enabled && !elect_fit_to_serve(c))
		m.flags |= ELECT_FLAG_UNFIT;
	m.has |= ELECT_HAS_NAME | ELECT_HAS_STATE | ELECT_HAS_PREEMPT;
	snprintf(m.name, sizeof(m.name), "%s", c->conf.name);
	m.state = (uint8_t)c->state;
	m.preempt = c->conf.preempt && elect_fit_to_serve(c);
	if (memcmp(c->conf.mac, (uint8_t[6]){0}, 6) != 0) {
		memcpy(m.mac, c->conf.mac, sizeof(m.mac));
		m.has |= ELECT_HAS_MAC;
	}
	if (c->conf.cpus != 0 || c->conf.mem_mib != 0) {
		m.cpus = c->conf.cpus;
		m.mem_mib = c->conf.mem_mib;
		m.has |= ELECT_HAS_RESOURCES;
	}
	if (c->conf.alive_interval_ms != 0) {
		m.alive_ms = c->conf.alive_interval_ms;
		m.has |= ELECT_HAS_ALIVE;
	}
	memcpy(m.addrs, c->conf.addrs, sizeof(m.addrs));
	m.n_addrs = c->conf.n_addrs;
	if (elect_get_holder(c, &holder)) {
		m.holder = holder;
		m.has |= ELECT_HAS_HOLDER;
	}
	add_challenges(c, &m, dest);
	if (dest == NULL || to_holder(c, dest))
		elect_fence_ping(c, &m);
	elect_send_msg(c, &m, dest, out);
}

void
elect_send_hello(
    struct elect *c, const struct elect_addr *dest, struct elect_out *out)
{
	elect_send_hello_flags(c, dest, 0, out);
}

/* To the group, asking every member for its HELLO back. */
void
elect_solicit_hellos(struct elect *c, struct elect_out *out)
{
	elect_send_hello_flags(c, NULL, ELECT_FLAG_SOLICIT, out);
}

/*
 * A HEARTBEAT names the member that would succeed us (the one a RESIGN
 * would name): standbys that saw members come and go differently (one
 * restarted and never heard of a member that died meanwhile) would each
 * count themselves first in line and claim together; the holder's word
 * is the same for all who heard it.
 */
static void
name_successor(const struct elect *c, struct elect_msg *m)
{
	const struct elect_member *best =
	    elect_members_best(&c->members, c->now_ms, NULL);

	if (best == NULL)
		return;
	m->has |= ELECT_HAS_HOLDER;
	m->holder = best->id;
}

void
elect_send_holder_msg(
    struct elect *c, enum elect_msg_type type, struct elect_out *out)
{
	struct elect_msg m;

	elect_msg_init(c, &m, type);
	m.epoch = c->held_epoch;
	if (type == ELECT_MSG_HEARTBEAT) {
		m.has |= ELECT_HAS_DMZ | ELECT_HAS_LEASE | ELECT_HAS_MEMBERS;
		m.n_members =
		    (uint8_t)(elect_members_count_live(&c->members, c->now_ms) +
			      1);
		m.dmz = c->conf.dmz;
		m.dmz_prefix = c->conf.dmz_prefix;
		m.lease_ms = c->conf.lease_ms;
		name_successor(c, &m);
		elect_fence_echoes(c, &m);
		if (c->n_pub > 0) {
			m.has |= ELECT_HAS_PUBLIC;
			memcpy(m.pub, c->pub, sizeof(m.pub));
			m.n_pub = c->n_pub;
		}
	} else if (type == ELECT_MSG_CLAIM) {
		m.has |= ELECT_HAS_LEASE; /* how long peers must wait (D3) */
		m.lease_ms = c->conf.lease_ms;
	}
	if (c->conf.fence_ms != 0) {
		m.has |= ELECT_HAS_FENCE;
		m.fence_ms = c->conf.fence_ms;
	}
	elect_send_msg(c, &m, NULL, out);
}

/* What a RESIGN tells of why we leave; receivers act on LINK_LOSS. */
static uint8_t
resign_why(enum elect_reason why)
{
	switch (why) {
	case ELECT_WHY_SHUTDOWN:
		return ELECT_RESIGN_SHUTDOWN;
	case ELECT_WHY_HANDOVER:
		return ELECT_RESIGN_HANDOVER;
	case ELECT_WHY_LINK_LOSS:
		return ELECT_RESIGN_LINK_LOSS;
	default:
		return ELECT_RESIGN_UNSPECIFIED;
	}
}

/*
 * A RESIGN naming successor (NULL: none). Off a lossy link it goes
 * twice: a successor that misses it waits a whole lease instead of
 * claiming at once, and a second copy costs nothing to the others (they
 * follow nobody once the first one came, the successor is holder).
 */
static void
send_last_resign(
    struct elect *c, const struct elect_addr *to, struct elect_out *out)
{
	struct elect_msg m;

	elect_msg_init(c, &m, ELECT_MSG_RESIGN);
	m.has |= ELECT_HAS_HOLDER | ELECT_HAS_REASON;
	m.reason = resign_why(c->resign_why);
	m.holder = c->resign_successor; /* all zero: none */
	elect_send_msg(c, &m, to, out);
}

void
elect_send_resign(struct elect *c, const struct elect_id *successor,
    enum elect_reason why, struct elect_out *out)
{
	unsigned copies = why == ELECT_WHY_LINK_LOSS ? 2 : 1;

	c->resign_ms = c->now_ms;
	c->resign_epoch = c->held_epoch;
	c->resign_why = why;
	c->resign_told = 0;
	memset(&c->resign_successor, 0, sizeof(c->resign_successor));
	if (successor != NULL)
		c->resign_successor = *successor;
	for (unsigned i = 0; i < copies; i++)
		send_last_resign(c, NULL, out);
}

/*
 * A PROBE after we resigned: its sender still follows us, so it lost our
 * RESIGN (both copies, off a lossy link: every standby then found us
 * silent, distrusted our fence for the loss it had seen, and waited out
 * the lease: 450 ms of outage in a chaos run). Said again, to it alone,
 * once per member, while a member may still follow us (the lease after
 * the RESIGN) and if we did not claim since. The RESIGN is true: the
 * address went before the first copy.
 */
void
elect_on_probe_resigned(
    struct elect *c, const struct elect_fsm_in *in, struct elect_out *out)
{
	const struct elect_member *mb =
	    elect_members_find(&c->members, &in->m->id);
	uint64_t bit;

	if (c->resign_ms == 0 || mb == NULL ||
	    c->resign_epoch != c->held_epoch ||
	    c->now_ms > c->resign_ms + c->conf.lease_ms + ELECT_LEASE_MARGIN_MS)
		return;
	bit = 1ull << (size_t)(mb - c->members.m);
	if (c->resign_told & bit)
		return;
	c->resign_told |= bit;
	send_last_resign(c, in->src, out);
}

/*
 * The guard's farewell (issue 7): a RESIGN that the address guard sends
 * for us after it dropped the address, if this process dies (kill -9, a
 * crash), so the peers claim at once instead of a lease after our last
 * heartbeat. It takes the sequence right after our last datagram, and
 * our next datagram takes the one after it: on the wire before our next
 * datagram, it is accepted; after it, it is a replay. So a farewell is
 * renewed after every datagram a holder sends (kept only while nothing
 * was sent since), withdrawn when we stop holding, and only ever sent
 * by the guard once the address is gone (netcfg/netcfg_guard.c). It
 * names the best standby as successor, as a SIGTERM does: it claims at
 * once and the others give it a detection window first. Unnamed, every
 * standby counts its claim turn from the same datagram, and a first in
 * line slow to get its CLAIM out (its nftables transaction on a loaded
 * host) met the second one's claim: two holders for tens of ms (seen in
 * chaos runs). STATE stopped: peers rank the dead node nowhere.
 */
void
elect_withdraw_farewell(struct elect *c, struct elect_out *out)
{
	if (!c->farewell_out)
		return;
	c->farewell_out = false;
	elect_push(out, ELECT_ACT_FAREWELL); /* len 0: none */
}

void
elect_sync_farewell(struct elect *c, struct elect_out *out)
{
	const struct elect_member *best;
	struct elect_action *a;
	struct elect_msg m;

	if (c->state != ELECT_ST_HOLDER) {
		elect_withdraw_farewell(c, out);
		return;
	}
	if (c->farewell_out && c->seq == c->farewell_seq + 1)
		return; /* nothing sent since: still the next sequence */
	if (c->seq >= c->disk.seq_reserved) {
		/* No sequence on disk for it (not muted: the holder steps
		 * down at its next heartbeat); the old one is stale. */
		elect_withdraw_farewell(c, out);
		return;
	}
	elect_msg_init(c, &m, ELECT_MSG_RESIGN);
	m.has |= ELECT_HAS_HOLDER | ELECT_HAS_STATE;
	m.state = ELECT_ST_STOPPED;
	best = elect_members_best(&c->members, c->now_ms, NULL);
	if (best != NULL)
		m.holder = best->id;
	c->farewell_successor = m.holder;
	m.seq = c->farewell_seq = c->seq++;
	a = elect_push(out, ELECT_ACT_FAREWELL);
	a->peer = m.holder;
	a->len =
	    elect_wire_encode(&m, elect_key_sending(c), a->buf, sizeof(a->buf));
	assert(a->len > 0);
	c->farewell_out = true;
}
