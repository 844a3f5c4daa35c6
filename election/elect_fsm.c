/*
 * election/elect_fsm.c — the election state machine.
 *
 * States (enum elect_state):
 *   STARTING   listens (dead_after + 1) heartbeats, a lease at least
 *   STANDBY    follows a holder; or, with none, waits dead_after heartbeats
 *   CANDIDATE  the holder is gone: waits rank x claim_stagger, then claims
 *   HOLDER     holds the DMZ address under a lease refreshed every heartbeat
 *   OBSERVER   priority 0: follows, never claims
 *   STOPPED    after shutdown: does nothing more
 * Events: START, TIMER, RX (HELLO, HEARTBEAT, CLAIM, RESIGN, PROBE),
 * SHUTDOWN, HANDOVER.
 * Invariants: the epoch never decreases and is persisted before it is
 * used; a node is HOLDER only while now < lease_until; a holder that hears
 * a preferred holder (epoch, priority, id) drops the address at once.
 */
#include "config.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "election/elect_int.h"

struct elect {
	struct elect_conf conf;
	struct elect_id id;
	uint64_t boot; /* random per start: tells a clone from us */
	uint64_t rng;  /* splitmix64 state */
	uint64_t started_ms;
	uint64_t now_ms;
	uint64_t due_ms; /* the wake-up we asked for last */

	uint64_t epoch; /* highest seen; claims at most disk.epoch */
	uint64_t seq;	/* next sequence to send; below disk.seq_reserved */
	/* D4: what the disk acknowledged, what is being written, retries */
	struct elect_persist disk;
	struct elect_persist writing;
	bool persist_busy; /* a PERSIST is out, its DONE not yet in */
	bool persist_ok;   /* the last one was written */
	unsigned persist_fails;
	uint64_t persist_retry_ms; /* no new PERSIST before; 0: none */
	bool muted; /* a send was skipped: no sequence on disk for it */
	/* Mute, a holder spoke that we could not challenge, so not hear */
	bool holder_unverified;
	/* HOLDER: the guard holds a farewell numbered farewell_seq (the
	 * sequence right after the last datagram sent while it is out). */
	bool farewell_out;
	uint64_t farewell_seq;

	enum elect_state state;
	bool has_holder; /* followed holder, when not HOLDER ourselves */
	struct elect_claim holder;
	struct elect_fd fd;
	uint64_t listen_until_ms; /* STARTING */
	uint64_t claim_at_ms;	  /* CANDIDATE */
	uint64_t claim_turns_ms;  /* CANDIDATE: our turn after the lease gate */
	uint64_t held_epoch;	  /* HOLDER: the epoch we claimed */
	uint64_t lease_until_ms;  /* HOLDER */
	uint64_t next_heartbeat_ms;
	uint64_t next_hello_ms;
	bool link_down;	  /* no claims, no sends until it is back */
	bool holder_seen; /* a holder was heard since start: no probe */
	bool probing;	  /* CANDIDATE: ELECT_ACT_PROBE out, no answer yet */
	uint64_t probe_until_ms;
	uint64_t last_nudge_ms;	   /* last preempt HELLO to a lesser holder */
	uint64_t last_sync_ms;	   /* last HELLO for a membership mismatch */
	uint64_t last_announce_ms; /* HOLDER: last ANNOUNCE to win back */
	uint64_t preempt_at_ms;	   /* HOLDER: hand over to a preempter */

	/* Fast detection, STANDBY: requests the holder owes, PROBE rounds. */
	struct elect_reqs reqs;
	uint64_t probe_nonce;
	unsigned probe_tries; /* 0: no round running */
	uint64_t probe_deadline_ms;
	/*
	 * A holder whose heartbeats stop is asked (a PROBE) before it is
	 * judged dead, and while we wait out its lease: lost heartbeats are
	 * not a dead holder, and a claim beside a live one is two holders.
	 */
	uint64_t silence_nonce;
	uint64_t silence_sent_ms;  /* last PROBE to a silent holder; 0: none */
	bool lost_by_silence;	   /* CANDIDATE: the holder went silent */
	uint64_t probe_sent_ms[2]; /* the last two PROBEs, older first */
	/* HOLDER: the last service check result; no claims while held down. */
	bool check_ok;
	uint32_t check_fails;  /* failed checks in a row */
	uint32_t check_passes; /* passed checks in a row */
	uint64_t holddown_until_ms;
	uint64_t next_check_ms; /* STANDBY: our own service, now and then */

	/* Replay protection per (id, boot) (doc/protocol.md). */
	uint64_t solicit_chal; /* challenge of our last group SOLICIT */
	uint64_t solicit_ms;
	uint64_t reply_resp; /* a challenge to echo in our next unicast HELLO */
	uint64_t reply_chal; /* a challenge to send in it */
	bool reply_pending;

	struct elect_members members;
	struct elect_replay replay;
	struct elect_counters ctr;
};

/*
 * The events of the transition table (fsm_tbl[] below): the caller's
 * events, a verified datagram by its type, and the two the core makes
 * itself (TIMER after every step, LATE before one that came late).
 */
enum fsm_event {
	FSM_START,
	FSM_LATE,	/* run late by more than a heartbeat */
	FSM_TIMER,	/* after every event, ELECT_EV_TIMER or not */
	FSM_HELLO,	/* verified datagrams, by type */
	FSM_HOLDER_MSG, /* HEARTBEAT or CLAIM */
	FSM_RESIGN,
	FSM_PROBE,
	FSM_PROBE_ACK,
	FSM_OWN_ID,   /* our id from another boot: a clone */
	FSM_SHUTDOWN, /* the caller's events */
	FSM_HANDOVER,
	FSM_ADDR_LOST,
	FSM_LINK_DOWN,
	FSM_LINK_UP,
	FSM_PROBE_DONE,
	FSM_RECONF,
	FSM_REQUEST,
	FSM_ANSWER,
	FSM_CHECK,
	FSM_PERSIST_DONE,
};

/* What a handler of the table is given. */
struct fsm_in {
	const struct elect_event *ev; /* the caller's event */
	const struct elect_msg *m;    /* a datagram's events: the message */
	const struct elect_addr *src; /* and where it came from */
};

static const char *const state_names[] = {
    [ELECT_ST_STARTING] = "starting",
    [ELECT_ST_STANDBY] = "standby",
    [ELECT_ST_CANDIDATE] = "candidate",
    [ELECT_ST_HOLDER] = "holder",
    [ELECT_ST_OBSERVER] = "observer",
    [ELECT_ST_STOPPED] = "stopped",
};

static const char *const reason_names[] = {
    [ELECT_WHY_START] = "start",
    [ELECT_WHY_HOLDER_HEARD] = "holder-heard",
    [ELECT_WHY_NO_HOLDER] = "no-holder",
    [ELECT_WHY_HOLDER_DEAD] = "holder-dead",
    [ELECT_WHY_HOLDER_RESIGNED] = "holder-resigned",
    [ELECT_WHY_CLAIMED] = "claimed",
    [ELECT_WHY_BETTER_HOLDER] = "better-holder",
    [ELECT_WHY_LEASE_EXPIRED] = "lease-expired",
    [ELECT_WHY_HANDOVER] = "handover",
    [ELECT_WHY_SHUTDOWN] = "shutdown",
    [ELECT_WHY_DUPLICATE_ID] = "duplicate-id",
    [ELECT_WHY_RESUMED] = "resumed",
    [ELECT_WHY_LINK_DOWN] = "link-down",
    [ELECT_WHY_LINK_UP] = "link-up",
    [ELECT_WHY_ADDR_CONFLICT] = "address-conflict",
    [ELECT_WHY_PROBE_FAILED] = "probe-failed",
    [ELECT_WHY_SERVICE_FAILED] = "service-failed",
    [ELECT_WHY_PERSIST_FAILED] = "persist-failed",
    [ELECT_WHY_CONFIG_CONFLICT] = "config-conflict",
};

const char *
elect_state_name(enum elect_state s)
{
	if ((size_t)s >= sizeof(state_names) / sizeof(state_names[0]) ||
	    state_names[s] == NULL)
		return "unknown";
	return state_names[s];
}

const char *
elect_reason_name(enum elect_reason r)
{
	if ((size_t)r >= sizeof(reason_names) / sizeof(reason_names[0]) ||
	    reason_names[r] == NULL)
		return "unknown";
	return reason_names[r];
}

void
elect_conf_defaults(struct elect_conf *conf)
{
	memset(conf, 0, sizeof(*conf));
	conf->priority = 100;
	conf->heartbeat_ms = 200;
	conf->dead_after = 3;
	conf->claim_stagger_ms = 20;
	conf->hello_interval_ms = 10000;
	conf->probe_wait_ms = 1000;
	conf->request_timeout_ms = 150;
	conf->probe_timeout_ms = 100;
	elect_conf_derive(conf);
}

/*
 * The lease outlasts two lost refreshes' worth of a stalled loop; the
 * hold-down keeps a holder whose service failed off for long enough that
 * a peer serves before it may claim again.
 */
void
elect_conf_derive(struct elect_conf *conf)
{
	conf->lease_ms = ELECT_LEASE_HEARTBEATS * conf->heartbeat_ms;
	conf->holddown_ms = ELECT_HOLDDOWN_HEARTBEATS * conf->heartbeat_ms;
}

static void fsm_dispatch(struct elect *c, enum fsm_event ev,
    const struct fsm_in *in, struct elect_out *out);

/* ---- small helpers ---- */

static uint64_t
rng_next(struct elect *c)
{
	uint64_t z = (c->rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static void
new_id(struct elect *c)
{
	uint64_t a, b;

	do {
		a = rng_next(c);
		b = rng_next(c);
		memcpy(c->id.b, &a, 8);
		memcpy(c->id.b + 8, &b, 8);
	} while (elect_id_is_zero(&c->id));
}

static struct elect_action *
push(struct elect_out *out, enum elect_action_type type)
{
	struct elect_action *a;

	/* Every path of one step emits a bounded number of actions. */
	assert(out->nact < ELECT_MAX_ACTIONS);
	a = &out->act[out->nact++];
	memset(a, 0, sizeof(*a));
	a->type = type;
	return a;
}

/*
 * D4: the disk holds an epoch ceiling and a sequence reservation, both
 * ahead of use, so a claim or a send normally never waits for a write.
 * One write at a time; when the margin left falls below half a block, a
 * new one goes out (after the backoff of a failed one). Nothing is used
 * above what the disk acknowledged: after a crash the node restarts from
 * the ceiling and the reservation, above anything it used.
 */
static void
sync_persist(struct elect *c, struct elect_out *out)
{
	struct elect_persist want = c->disk;
	struct elect_action *a;

	if (c->persist_busy || c->now_ms < c->persist_retry_ms)
		return;
	want.id = c->id;
	if (c->epoch + ELECT_EPOCH_BLOCK / 2 > c->disk.epoch &&
	    c->disk.epoch < ELECT_EPOCH_MAX)
		want.epoch = c->epoch + ELECT_EPOCH_BLOCK < ELECT_EPOCH_MAX
				 ? c->epoch + ELECT_EPOCH_BLOCK
				 : ELECT_EPOCH_MAX;
	if (c->seq + ELECT_SEQ_BLOCK / 2 > c->disk.seq_reserved)
		want.seq_reserved = c->seq + ELECT_SEQ_BLOCK;
	if (elect_id_cmp(&want.id, &c->disk.id) == 0 &&
	    want.epoch == c->disk.epoch &&
	    want.seq_reserved == c->disk.seq_reserved)
		return;
	a = push(out, ELECT_ACT_PERSIST);
	a->persist = want;
	c->writing = want;
	c->persist_busy = true;
}

static void solicit_hellos(struct elect *c, struct elect_out *out);
static void listen_again(
    struct elect *c, enum elect_reason why, struct elect_out *out);

/*
 * The edge's writer answered: on disk now, or retried with a backoff
 * (a heartbeat, doubling up to 16). True if we were mute for want of a
 * sequence and may speak again: what we could not say, we say now.
 */
static bool
persist_done(struct elect *c, bool ok)
{
	unsigned shift;

	if (!c->persist_busy)
		return false; /* nothing asked: a stray answer */
	c->persist_busy = false;
	if (!ok) {
		c->persist_ok = false;
		c->persist_fails++;
		shift = c->persist_fails - 1 < 4 ? c->persist_fails - 1 : 4;
		c->persist_retry_ms =
		    c->now_ms + ((uint64_t)c->conf.heartbeat_ms << shift);
		return false;
	}
	c->persist_ok = true;
	c->persist_fails = 0;
	c->persist_retry_ms = 0;
	c->disk = c->writing;
	if (!c->muted || c->link_down)
		return false;
	c->muted = false;
	return true;
}

/* Say HELLO now and ask everybody for theirs. */
static void
on_persist_done(struct elect *c, const struct fsm_in *in, struct elect_out *out)
{
	if (persist_done(c, in->ev->ok))
		solicit_hellos(c, out);
}

/*
 * Mute, we could not challenge a holder that spoke: it stayed
 * unverified, unheard, so a candidate listens again before it claims
 * (tried: the simulator's scenario 632, a disk refusing writes, claimed
 * beside a live holder).
 */
static void
on_persist_done_candidate(
    struct elect *c, const struct fsm_in *in, struct elect_out *out)
{
	if (!persist_done(c, in->ev->ok))
		return;
	if (c->holder_unverified)
		listen_again(c, ELECT_WHY_RESUMED, out);
	else
		solicit_hellos(c, out);
}

/* Whether a claim now would use only what the disk acknowledged: the
 * epoch, and a sequence for the CLAIM. */
static bool
may_claim(const struct elect *c)
{
	return c->epoch < c->disk.epoch && c->seq < c->disk.seq_reserved;
}

/* The epoch only grows; epochs above ELECT_EPOCH_MAX never come in. */
static void
see_epoch(struct elect *c, uint64_t epoch)
{
	if (epoch > c->epoch && epoch <= ELECT_EPOCH_MAX)
		c->epoch = epoch;
}

static void
set_state(struct elect *c, enum elect_state st, enum elect_reason why,
    struct elect_out *out)
{
	struct elect_action *a;

	if (st == c->state)
		return;
	a = push(out, ELECT_ACT_STATE);
	a->old = c->state;
	a->state = st;
	a->reason = why;
	c->state = st;
	if (st != ELECT_ST_CANDIDATE)
		c->lost_by_silence = false;
}

static bool
is_me(const struct elect *c, const struct elect_id *id)
{
	return elect_id_cmp(&c->id, id) == 0;
}

static struct elect_claim
my_claim(const struct elect *c)
{
	struct elect_claim me = {c->held_epoch, c->conf.priority, c->id};

	return me;
}

/* ---- sending ---- */

/* Sequences survive restarts: only those reserved on disk are used. */
static bool
next_seq(struct elect *c, uint64_t *seq)
{
	if (c->seq >= c->disk.seq_reserved) {
		c->muted = true; /* sync_persist() asks for more */
		return false;
	}
	*seq = c->seq++;
	return true;
}

static void
msg_init(struct elect *c, struct elect_msg *m, enum elect_msg_type type)
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
	}
}

static void
send_msg(struct elect *c, struct elect_msg *m, const struct elect_addr *dest,
    struct elect_out *out)
{
	struct elect_action *a;

	if (!next_seq(c, &m->seq))
		return; /* the disk has not acknowledged one: say nothing */
	a = push(out, ELECT_ACT_SEND);
	if (dest != NULL)
		a->dest = *dest;
	a->len = elect_wire_encode(m, c->conf.key, a->buf, sizeof(a->buf));
	/* Our own messages are bounded by construction. */
	assert(a->len > 0);
	c->ctr.tx++;
}

/*
 * Whether our own service passes its check and no failed check holds us
 * off: an unfit node neither preempts nor claims ahead of fit ones.
 */
/* dead-after x heartbeat: how long silence means death. */
static uint64_t
detect_window(const struct elect *c)
{
	return (uint64_t)c->conf.dead_after * c->conf.heartbeat_ms;
}

/*
 * How long a node that starts (or comes back) listens for a holder:
 * dead-after + 1 heartbeats, and at least a lease + margin, so that a
 * holder frozen just before we started has lost the address (D3).
 */
static uint64_t
listen_ms(const struct elect *c)
{
	uint64_t ms = (uint64_t)(c->conf.dead_after + 1) * c->conf.heartbeat_ms;
	uint64_t lease = (uint64_t)c->conf.lease_ms + ELECT_LEASE_MARGIN_MS;

	return ms > lease ? ms : lease;
}

static bool
fit_to_serve(const struct elect *c)
{
	return c->check_ok && c->now_ms >= c->holddown_until_ms;
}

static uint64_t
new_challenge(struct elect *c)
{
	uint64_t v;

	/* Fresh, never 0 (no challenge). Unpredictable is not needed:
	 * only a live key holder can echo it (doc/protocol.md). */
	while ((v = rng_next(c)) == 0)
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
		c->solicit_chal = new_challenge(c);
		c->solicit_ms = c->now_ms;
		m->challenge = c->solicit_chal;
		m->has |= ELECT_HAS_CHALLENGE;
		c->ctr.challenges++;
	}
}

/*
 * Members on our DMZ address with other settings outnumber ours: we are
 * the odd one out and stay off the site's address (fault 5 of issue 7).
 */
static enum elect_side
conflict_side(const struct elect *c)
{
	struct elect_self me = {
	    c->conf.dmz, c->conf.priority, c->id, c->started_ms};

	return elect_members_conflict_side(&c->members, c->now_ms, &me);
}

/* No claim unless our side wins (while theirs may still hold the
 * address, the lease gate holds every claim off: D3). */
static bool
conflict_forbids_claim(const struct elect *c)
{
	return conflict_side(c) != ELECT_SIDE_OURS;
}

static void
send_hello_flags(struct elect *c, const struct elect_addr *dest, uint16_t flags,
    struct elect_out *out)
{
	struct elect_msg m;
	struct elect_id holder;

	msg_init(c, &m, ELECT_MSG_HELLO);
	m.flags = flags;
	if (c->conf.check_enabled && !fit_to_serve(c))
		m.flags |= ELECT_FLAG_UNFIT;
	m.has |= ELECT_HAS_NAME | ELECT_HAS_STATE | ELECT_HAS_PREEMPT;
	snprintf(m.name, sizeof(m.name), "%s", c->conf.name);
	m.state = (uint8_t)c->state;
	m.preempt = c->conf.preempt && fit_to_serve(c);
	if (memcmp(c->conf.mac, (uint8_t[6]){0}, 6) != 0) {
		memcpy(m.mac, c->conf.mac, sizeof(m.mac));
		m.has |= ELECT_HAS_MAC;
	}
	memcpy(m.addrs, c->conf.addrs, sizeof(m.addrs));
	m.n_addrs = c->conf.n_addrs;
	if (elect_get_holder(c, &holder)) {
		m.holder = holder;
		m.has |= ELECT_HAS_HOLDER;
	}
	add_challenges(c, &m, dest);
	send_msg(c, &m, dest, out);
}

static void
send_hello(
    struct elect *c, const struct elect_addr *dest, struct elect_out *out)
{
	send_hello_flags(c, dest, 0, out);
}

/* To the group, asking every member for its HELLO back. */
static void
solicit_hellos(struct elect *c, struct elect_out *out)
{
	send_hello_flags(c, NULL, ELECT_FLAG_SOLICIT, out);
}

static void
send_holder_msg(
    struct elect *c, enum elect_msg_type type, struct elect_out *out)
{
	struct elect_msg m;

	msg_init(c, &m, type);
	m.epoch = c->held_epoch;
	if (type == ELECT_MSG_HEARTBEAT) {
		m.has |= ELECT_HAS_DMZ | ELECT_HAS_LEASE | ELECT_HAS_MEMBERS;
		m.n_members =
		    (uint8_t)(elect_members_count_live(&c->members, c->now_ms) +
			      1);
		m.dmz = c->conf.dmz;
		m.dmz_prefix = c->conf.dmz_prefix;
		m.lease_ms = c->conf.lease_ms;
	} else if (type == ELECT_MSG_CLAIM) {
		m.has |= ELECT_HAS_LEASE; /* how long peers must wait (D3) */
		m.lease_ms = c->conf.lease_ms;
	}
	send_msg(c, &m, NULL, out);
}

static void
send_resign(
    struct elect *c, const struct elect_id *successor, struct elect_out *out)
{
	struct elect_msg m;

	msg_init(c, &m, ELECT_MSG_RESIGN);
	m.has |= ELECT_HAS_HOLDER;
	if (successor != NULL)
		m.holder = *successor;
	send_msg(c, &m, NULL, out);
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
static void
withdraw_farewell(struct elect *c, struct elect_out *out)
{
	if (!c->farewell_out)
		return;
	c->farewell_out = false;
	push(out, ELECT_ACT_FAREWELL); /* len 0: none */
}

static void
sync_farewell(struct elect *c, struct elect_out *out)
{
	const struct elect_member *best;
	struct elect_action *a;
	struct elect_msg m;

	if (c->state != ELECT_ST_HOLDER) {
		withdraw_farewell(c, out);
		return;
	}
	if (c->farewell_out && c->seq == c->farewell_seq + 1)
		return; /* nothing sent since: still the next sequence */
	if (c->seq >= c->disk.seq_reserved) {
		/* No sequence on disk for it (not muted: the holder steps
		 * down at its next heartbeat); the old one is stale. */
		withdraw_farewell(c, out);
		return;
	}
	msg_init(c, &m, ELECT_MSG_RESIGN);
	m.has |= ELECT_HAS_HOLDER | ELECT_HAS_STATE;
	m.state = ELECT_ST_STOPPED;
	best = elect_members_best(&c->members, c->now_ms, NULL);
	if (best != NULL)
		m.holder = best->id;
	m.seq = c->farewell_seq = c->seq++;
	a = push(out, ELECT_ACT_FAREWELL);
	a->len = elect_wire_encode(&m, c->conf.key, a->buf, sizeof(a->buf));
	assert(a->len > 0);
	c->farewell_out = true;
}

/* ---- transitions ---- */

static void
start_probe(struct elect *c, struct elect_out *out)
{
	c->probing = true;
	c->probe_until_ms = c->now_ms + c->conf.probe_wait_ms;
	push(out, ELECT_ACT_PROBE);
}

/* What we watched was owed by the old holder: forget it. */
static void
fast_reset(struct elect *c)
{
	elect_reqs_clear(&c->reqs);
	c->probe_tries = 0;
}

/* Leaves HOLDER (or never was): the address goes, we listen again. */
static void
become_standby(struct elect *c, enum elect_reason why, struct elect_out *out)
{
	if (c->state == ELECT_ST_HOLDER) {
		withdraw_farewell(c, out); /* the guard speaks for holders */
		push(out, ELECT_ACT_ADDR_DEL);
		c->lease_until_ms = 0;
	}
	fast_reset(c);
	c->has_holder = false;
	elect_fd_heard(&c->fd, c->now_ms);
	set_state(c, c->conf.priority ? ELECT_ST_STANDBY : ELECT_ST_OBSERVER,
	    why, out);
	/*
	 * A holder that yields says so (a HELLO "on change"): peers that
	 * declared it dead meanwhile rank it again, and may name it
	 * successor. A RESIGN says it already; a late node solicits.
	 */
	if (why == ELECT_WHY_BETTER_HOLDER)
		send_hello(c, NULL, out);
}

static void
follow(struct elect *c, const struct elect_claim *h, struct elect_out *out)
{
	if (!c->has_holder || elect_id_cmp(&c->holder.id, &h->id) != 0)
		fast_reset(c);
	c->has_holder = true;
	c->holder_seen = true;
	c->holder = *h;
	elect_fd_heard(&c->fd, c->now_ms);
	if (c->state == ELECT_ST_STARTING || c->state == ELECT_ST_CANDIDATE)
		set_state(c, ELECT_ST_STANDBY, ELECT_WHY_HOLDER_HEARD, out);
}

/*
 * A holder we declared dead ranks nowhere, nor is named successor, until
 * it speaks again (a HELLO or heartbeat brings its state back).
 */
static void
mark_dead(struct elect *c, const struct elect_id *id)
{
	struct elect_member *m = elect_members_find(&c->members, id);

	if (m != NULL)
		m->state = ELECT_ST_STOPPED;
}

/*
 * How long `turns` turns of claim-stagger last for us. Views of the
 * membership may differ (a lost HELLO, a member one node thinks dead), so
 * two candidates may count the same turn: within it, the higher priority
 * goes first, by up to a stagger, and the lesser one hears its claim. The
 * first in line does not wait: failover time is what we sell.
 */
static uint64_t
turns_ms(const struct elect *c, unsigned turns)
{
	uint64_t stagger = c->conf.claim_stagger_ms;

	if (turns == 0)
		return 0; /* the first in line claims at once */
	return turns * stagger + (255u - c->conf.priority) * stagger / 256;
}

/*
 * When every holder heard can have lost the address to its kernel lease
 * (D3): its last HEARTBEAT/CLAIM + its lease + a margin; a holder that
 * resigned dropped it first. (A holder frozen just before we started:
 * STARTING listens at least a lease, listen_ms().)
 */
/* A member with another DMZ address holds that one, not ours. */
static bool
other_address(const struct elect *c, const struct elect_member *m)
{
	return (m->mismatch & ELECT_MISMATCH_DMZ) &&
	       (m->dmz.family != c->conf.dmz.family ||
		   memcmp(m->dmz.b, c->conf.dmz.b, sizeof(m->dmz.b)) != 0);
}

static uint64_t
lease_gate(const struct elect *c)
{
	uint64_t gate = 0;
	size_t i;

	for (i = 0; i < c->members.n; i++)
		if (c->members.m[i].lease_until_ms > gate &&
		    !other_address(c, &c->members.m[i]))
			gate = c->members.m[i].lease_until_ms;
	return gate;
}

/* CANDIDATE: our turn counts from the lease gate, so the order of the
 * claims is kept and no claim comes before a lease it could meet. */
static void
wait_turn(struct elect *c, uint64_t turns, enum elect_reason why,
    struct elect_out *out)
{
	uint64_t gate = lease_gate(c);

	c->claim_turns_ms = turns;
	c->claim_at_ms = (gate > c->now_ms ? gate : c->now_ms) + turns;
	c->probing = false;
	c->lost_by_silence = false;
	set_state(c, ELECT_ST_CANDIDATE, why, out);
}

/* Waits our turn: rank x stagger, plus extra turns (a named successor)
 * and extra_ms (the named successor's chance). */
static void
become_candidate(struct elect *c, const struct elect_id *gone,
    unsigned extra_turns, uint64_t extra_ms, enum elect_reason why,
    struct elect_out *out)
{
	unsigned rank;

	c->has_holder = false;
	fast_reset(c);
	if (gone != NULL && why != ELECT_WHY_HOLDER_RESIGNED)
		mark_dead(c, gone);
	if (c->conf.priority == 0 || c->now_ms < c->holddown_until_ms ||
	    conflict_forbids_claim(c)) {
		/* Our own service failed a moment ago: let others serve. */
		elect_fd_heard(&c->fd, c->now_ms);
		if (c->state == ELECT_ST_STARTING ||
		    c->state == ELECT_ST_CANDIDATE)
			set_state(c, ELECT_ST_STANDBY, why, out);
		return;
	}
	rank = elect_members_rank(
	    &c->members, c->now_ms, c->conf.priority, &c->id, gone);
	/* A failing service goes last: any fit member claims first. */
	if (!c->check_ok)
		extra_turns += (unsigned)c->members.n + 1;
	wait_turn(c, turns_ms(c, rank + extra_turns) + extra_ms, why, out);
	c->lost_by_silence = gone != NULL && (why == ELECT_WHY_HOLDER_DEAD ||
						 why == ELECT_WHY_PROBE_FAILED);
	/*
	 * An address no member was heard holding may be a foreign host's:
	 * probe first, then wait our turn. A probe outlasts many staggers,
	 * so turns counted from its end keep the claims apart.
	 */
	if (c->conf.probe_first && !c->holder_seen)
		start_probe(c, out);
}

static void
refresh_lease(
    struct elect *c, enum elect_action_type type, struct elect_out *out)
{
	struct elect_action *a = push(out, type);

	a->lease_ms = c->conf.lease_ms;
	c->lease_until_ms = c->now_ms + c->conf.lease_ms;
	c->next_heartbeat_ms = c->now_ms + c->conf.heartbeat_ms;
}

static void
claim(struct elect *c, struct elect_out *out)
{
	assert(may_claim(c));
	see_epoch(c, c->epoch + 1);
	c->held_epoch = c->epoch;
	c->has_holder = false;
	c->preempt_at_ms = 0;
	fast_reset(c);
	refresh_lease(c, ELECT_ACT_ADDR_ADD, out);
	set_state(c, ELECT_ST_HOLDER, ELECT_WHY_CLAIMED, out);
	send_holder_msg(c, ELECT_MSG_CLAIM, out);
	c->ctr.failovers++;
}

/*
 * Orderly exit from HOLDER: drop the address first, then RESIGN: a
 * RESIGN tells the peers our kernel no longer answers for the address,
 * so the successor may claim at once, before our lease would end (D3).
 */
static void
resign(struct elect *c, const struct elect_id *successor, enum elect_reason why,
    struct elect_out *out)
{
	become_standby(c, why, out);
	send_resign(c, successor, out);
}

/* ---- receiving ---- */

static void
note_member(struct elect *c, const struct elect_msg *m,
    const struct elect_addr *src, struct elect_out *out)
{
	bool added;
	struct elect_member *mb =
	    elect_members_touch(&c->members, &m->id, c->now_ms, &added);

	mb->src = *src;
	mb->boot = m->boot;
	/* Its start in our clock, for which side of a conflict came first
	 * (the delay of the datagram aside). */
	if (m->has & ELECT_HAS_UPTIME)
		mb->start_ms =
		    c->now_ms > m->uptime_ms ? c->now_ms - m->uptime_ms : 0;
	if (m->has & ELECT_HAS_PRIORITY)
		mb->priority = m->priority;
	if (m->type == ELECT_MSG_HELLO) {
		snprintf(mb->name, sizeof(mb->name), "%s", m->name);
		mb->state = m->state;
		mb->preempt = m->preempt;
		mb->unfit = (m->flags & ELECT_FLAG_UNFIT) != 0;
		if (m->has & ELECT_HAS_MAC)
			memcpy(mb->mac, m->mac, sizeof(mb->mac));
		memcpy(mb->addrs, m->addrs, sizeof(mb->addrs));
		mb->n_addrs = m->n_addrs;
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
	/*
	 * A newcomer, or a member back from a restart or a sleep (SOLICIT),
	 * learns of us by a unicast HELLO: no group-wide burst.
	 */
	if (m->type == ELECT_MSG_HELLO &&
	    (added || (m->flags & ELECT_FLAG_SOLICIT)))
		send_hello(c, src, out);
	else if (added) /* heard of it, never from it: ask for its HELLO */
		send_hello_flags(c, src, ELECT_FLAG_SOLICIT, out);
}

/* What differs between a message's settings and ours. */
static unsigned
settings_mismatch(const struct elect *c, const struct elect_msg *m)
{
	unsigned bits = 0;

	if (m->dmz.family != c->conf.dmz.family ||
	    memcmp(m->dmz.b, c->conf.dmz.b, sizeof(m->dmz.b)) != 0 ||
	    m->dmz_prefix != c->conf.dmz_prefix)
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

	if (mb == NULL)
		return 0;
	if (!(m->has & ELECT_HAS_HEARTBEAT))
		return mb->mismatch;
	mb->mismatch = settings_mismatch(c, m);
	mb->dmz = m->dmz;
	if (mb->mismatch != 0 && mb->mismatch != mb->mismatch_noted) {
		a = push(out, ELECT_ACT_CONFLICT);
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
	uint64_t window = detect_window(c);

	/* Nor while our disk has not acknowledged an epoch to claim on (D4):
	 * the holder would hand over to us and we could not take it. */
	if (!c->conf.preempt || c->conf.priority <= holder_priority ||
	    c->state != ELECT_ST_STANDBY || !fit_to_serve(c) || !may_claim(c))
		return;
	if (c->last_nudge_ms != 0 && c->now_ms < c->last_nudge_ms + window)
		return;
	c->last_nudge_ms = c->now_ms;
	send_hello(c, NULL, out);
}

/*
 * Another holder, a lesser one: tell it at once so it yields now, and win
 * the neighbours back from it, at most once a heartbeat.
 */
static void
reassert(struct elect *c, struct elect_out *out)
{
	send_holder_msg(c, ELECT_MSG_HEARTBEAT, out);
	if (c->last_announce_ms != 0 &&
	    c->now_ms < c->last_announce_ms + c->conf.heartbeat_ms)
		return;
	c->last_announce_ms = c->now_ms;
	push(out, ELECT_ACT_ANNOUNCE);
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
		c->now_ms < c->last_sync_ms + 3 * detect_window(c)))
		return;
	c->last_sync_ms = c->now_ms;
	if (mine < n)
		solicit_hellos(c, out);
	else
		send_hello(c, NULL, out);
}

/* A holder speaks: follow it, unless we follow a preferred one. */
static void
on_holder_msg(struct elect *c, const struct fsm_in *in, struct elect_out *out)
{
	const struct elect_msg *m = in->m;
	struct elect_claim them = {m->epoch, m->priority, m->id};

	if (c->has_holder && elect_id_cmp(&c->holder.id, &m->id) != 0 &&
	    !elect_claim_better(&them, &c->holder))
		return;
	follow(c, &them, out);
	nudge_lesser_holder(c, m->priority, out);
	if (m->type == ELECT_MSG_HEARTBEAT && (m->has & ELECT_HAS_MEMBERS))
		sync_members(c, m->n_members, out);
}

/* Another holder, while we hold: the preferred one stays. */
static void
on_rival_holder(struct elect *c, const struct fsm_in *in, struct elect_out *out)
{
	struct elect_claim them = {in->m->epoch, in->m->priority, in->m->id};
	struct elect_claim me = my_claim(c);

	if (!elect_claim_better(&them, &me)) {
		reassert(c, out);
		return;
	}
	become_standby(c, ELECT_WHY_BETTER_HOLDER, out);
	on_holder_msg(c, in, out);
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

	return c->conf.preempt && fit_to_serve(c) && s != NULL &&
	       c->conf.priority > s->priority && c->last_nudge_ms != 0 &&
	       c->now_ms < c->last_nudge_ms + detect_window(c);
}

static void
on_resign(struct elect *c, const struct fsm_in *in, struct elect_out *out)
{
	const struct elect_msg *m = in->m;
	const struct elect_id *succ = &m->holder;
	bool named = !elect_id_is_zero(succ);

	if (c->has_holder && elect_id_cmp(&c->holder.id, &m->id) != 0)
		return; /* not the holder we follow: nothing changes */
	/*
	 * Named, we claim at once (the holder dropped the address before
	 * it resigned); unless a member that would preempt us is known:
	 * then it goes first, and the address moves only once.
	 */
	if (named && is_me(c, succ) && c->conf.priority > 0 &&
	    fit_to_serve(c) && !conflict_forbids_claim(c) &&
	    elect_members_best_preempter(&c->members, c->now_ms,
		c->conf.priority, c->now_ms - detect_window(c)) == NULL) {
		c->has_holder = false;
		fast_reset(c);
		if (c->now_ms >= lease_gate(c) && may_claim(c))
			claim(c, out);
		else /* another holder's lease first, or the disk's answer */
			wait_turn(c, 0, ELECT_WHY_HOLDER_RESIGNED, out);
		return;
	}
	if (named && !is_me(c, succ) && !defers_to_us(c, succ)) {
		/*
		 * Another member was named: it has a detection window to
		 * claim (a slow VM may take more than a stagger), then the
		 * election runs as if the holder had died (fault 8).
		 */
		become_candidate(c, &m->id, 0, detect_window(c),
		    ELECT_WHY_HOLDER_RESIGNED, out);
		return;
	}
	become_candidate(
	    c, &m->id, named ? 1 : 0, 0, ELECT_WHY_HOLDER_RESIGNED, out);
}

/* A member's HELLO, while we hold: one that would preempt us? */
static void
on_hello(struct elect *c, const struct fsm_in *in, struct elect_out *out)
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
		resign(c, &to->id, ELECT_WHY_HANDOVER, out);
}

/* A standby asks whether we are alive and serving. */
static void
on_probe(struct elect *c, const struct fsm_in *in, struct elect_out *out)
{
	struct elect_msg ack;

	msg_init(c, &ack, ELECT_MSG_PROBE_ACK);
	ack.has |= ELECT_HAS_NONCE | ELECT_HAS_CHECK;
	ack.nonce = in->m->nonce;
	/* The last result answers now; a fresh check follows the probe. */
	ack.check_ok = c->check_ok;
	send_msg(c, &ack, in->src, out);
	if (c->conf.check_enabled)
		push(out, ELECT_ACT_CHECK);
}

/*
 * A PROBE_ACK from the holder we follow (or followed), to one of our
 * PROBEs: a fast round's (*fast, may be NULL) or a silence probe's.
 */
static bool
acks_our_probe(const struct elect *c, const struct elect_msg *m, bool *fast)
{
	bool round = c->probe_tries > 0 && m->nonce == c->probe_nonce;
	bool silence = c->silence_sent_ms != 0 && m->nonce == c->silence_nonce;

	if (fast != NULL)
		*fast = round;
	return (round || silence) && elect_id_cmp(&c->holder.id, &m->id) == 0;
}

/*
 * The silent holder we are waiting out answered: it is alive and holds,
 * its heartbeats were lost. Follow it again rather than claim beside it.
 */
static void
on_silent_holder_ack(
    struct elect *c, const struct fsm_in *in, struct elect_out *out)
{
	struct elect_claim h = c->holder;
	struct elect_member *mb;

	if (!acks_our_probe(c, in->m, NULL) || !c->lost_by_silence)
		return;
	mb = elect_members_find(&c->members, &h.id);
	/* Heartbeats we lost renewed its lease: it may run until now + a
	 * lease, and our turn counts from there if it goes silent again. */
	if (mb != NULL) {
		mb->state = ELECT_ST_HOLDER;
		mb->lease_until_ms =
		    c->now_ms + c->conf.lease_ms + ELECT_LEASE_MARGIN_MS;
	}
	c->silence_sent_ms = 0;
	follow(c, &h, out);
}

/* A standby's PROBE answered: alive and serving, or not serving. */
static void
on_probe_ack(struct elect *c, const struct fsm_in *in, struct elect_out *out)
{
	const struct elect_msg *m = in->m;
	bool fast;

	if (!acks_our_probe(c, m, &fast) || !c->has_holder)
		return;
	if (!fast) { /* alive: its next heartbeat may come through */
		c->silence_sent_ms = 0;
		elect_fd_heard(&c->fd, c->now_ms);
		return;
	}
	if (!m->check_ok) {
		become_candidate(
		    c, &m->id, 0, 0, ELECT_WHY_SERVICE_FAILED, out);
		return;
	}
	fast_reset(c); /* lost requests, not a lost holder */
	elect_fd_heard(&c->fd, c->now_ms);
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
	new_id(c);
	send_hello(c, NULL, out); /* the new id is persisted at step end */
}

static void
on_own_id(struct elect *c, const struct fsm_in *in, struct elect_out *out)
{
	if (!we_are_older(c, in->m)) /* older: the clone renews */
		renew_id(c, out);
}

/* A clone of ours while we hold: the younger one stops holding. */
static void
on_own_id_holder(
    struct elect *c, const struct fsm_in *in, struct elect_out *out)
{
	if (we_are_older(c, in->m))
		return;
	become_standby(c, ELECT_WHY_DUPLICATE_ID, out);
	renew_id(c, out);
}

static void
count_drop(struct elect *c, enum elect_wire_err err,
    const struct elect_addr *src, struct elect_out *out)
{
	struct elect_action *a = push(out, ELECT_ACT_DROP);

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
msg_event(const struct elect_msg *m, enum fsm_event *ev)
{
	switch (m->type) {
	case ELECT_MSG_HELLO:
		*ev = FSM_HELLO;
		return true;
	case ELECT_MSG_HEARTBEAT:
	case ELECT_MSG_CLAIM:
		*ev = FSM_HOLDER_MSG;
		return true;
	case ELECT_MSG_RESIGN:
		*ev = FSM_RESIGN;
		return true;
	case ELECT_MSG_PROBE:
		*ev = FSM_PROBE;
		return true;
	case ELECT_MSG_PROBE_ACK:
		*ev = FSM_PROBE_ACK;
		return true;
	default:
		return false;
	}
}

/* How long a challenge may wait for its answer. */
static uint64_t
challenge_age_ms(const struct elect *c)
{
	return 2 * detect_window(c);
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
	uint64_t chal = new_challenge(c);

	c->ctr.rx_unverified++;
	if (c->state == ELECT_ST_STOPPED || c->link_down)
		return;
	if (elect_replay_challenge(
		&c->replay, &m->id, m->boot, src, chal, c->now_ms)) {
		queue_reply(c, m, chal);
		send_hello(c, src, out);
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

	if (is_me(c, &m->id) && m->boot == c->boot)
		return false;
	/* Sent long ago (captured, replayed now): as good as unverified. */
	if (elect_replay_is_stale(&c->replay, &m->id, m->uptime_ms, c->now_ms))
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
		    &c->replay, &m->id, m->uptime_ms, c->now_ms);
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
	elect_replay_seen_start(&c->replay, &m->id, m->uptime_ms, c->now_ms);
	return true;
}

/*
 * Counts, decodes, authenticates and checks a datagram for freshness
 * (challenging an unverified sender). True: m may be acted on.
 */
static bool
rx_verify(struct elect *c, const struct elect_event *ev, struct elect_msg *m,
    struct elect_out *out)
{
	enum elect_wire_err err;

	c->ctr.rx++;
	c->reply_pending = false;
	err = elect_wire_decode(ev->buf, ev->len, c->conf.key, m);
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

/*
 * A datagram: verified, its sender noted as a member, then its type is
 * the table's event. Our own id from another boot is a clone (OWN_ID);
 * a member with other settings is noted, but not of our election.
 */
static void
on_rx(struct elect *c, const struct elect_event *ev, struct elect_out *out)
{
	struct elect_msg m;
	struct fsm_in in = {ev, &m, &ev->src};
	enum fsm_event fev;

	if (!rx_verify(c, ev, &m, out))
		return;
	queue_reply(c, &m, 0);
	if (is_me(c, &m.id)) {
		fsm_dispatch(c, FSM_OWN_ID, &in, out);
	} else {
		note_member(c, &m, &ev->src, out);
		if (note_settings(c, &m, &ev->src, out) == 0) {
			see_epoch(c, m.epoch);
			if (msg_event(&m, &fev))
				fsm_dispatch(c, fev, &in, out);
		}
	}
	/* A challenge not answered by a HELLO above is answered now. */
	if (c->reply_pending)
		send_hello(c, &ev->src, out);
}

/* ---- operator events ---- */

static void
on_shutdown(struct elect *c, const struct fsm_in *in, struct elect_out *out)
{
	(void)in;
	set_state(c, ELECT_ST_STOPPED, ELECT_WHY_SHUTDOWN, out);
	/* Peers stop ranking a stopped member at once, not after 3 HELLOs. */
	send_hello(c, NULL, out);
}

/* A holder resigns first, naming the best member its successor. */
static void
on_shutdown_holder(
    struct elect *c, const struct fsm_in *in, struct elect_out *out)
{
	const struct elect_member *best =
	    elect_members_best(&c->members, c->now_ms, NULL);

	resign(c, best ? &best->id : NULL, ELECT_WHY_SHUTDOWN, out);
	on_shutdown(c, in, out);
}

/* The live member of that name, or NULL. */
static const struct elect_member *
live_member_named(const struct elect *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->members.n; i++)
		if (strcmp(c->members.m[i].name, name) == 0 &&
		    elect_member_is_live(
			&c->members, &c->members.m[i], c->now_ms))
			return &c->members.m[i];
	return NULL;
}

/* The operator's handover: to the member named, or to the best one. */
static enum elect_handover_result
handover(struct elect *c, const struct elect_event *ev, struct elect_out *out)
{
	const struct elect_member *to;

	if (ev->target_name == NULL && elect_id_is_zero(&ev->target)) {
		to = elect_members_best(&c->members, c->now_ms, NULL);
		if (to == NULL)
			return ELECT_HANDOVER_NOBODY;
	} else {
		to = ev->target_name != NULL
			 ? live_member_named(c, ev->target_name)
			 : elect_members_find(&c->members, &ev->target);
		if (to == NULL ||
		    !elect_member_is_live(&c->members, to, c->now_ms))
			return ELECT_HANDOVER_NO_MEMBER;
		if (to->priority == 0)
			return ELECT_HANDOVER_NEVER_HOLDS;
		if (to->mismatch != 0)
			return ELECT_HANDOVER_NOT_ELIGIBLE;
	}
	resign(c, &to->id, ELECT_WHY_HANDOVER, out);
	return ELECT_HANDOVER_DONE;
}

/* Not holding, elect_step() answers ELECT_HANDOVER_NOT_HOLDER. */
static void
on_handover(struct elect *c, const struct fsm_in *in, struct elect_out *out)
{
	out->handover = handover(c, in->ev, out);
}

/*
 * The address vanished under us: within our lease it goes back for what
 * is left of it (the kernel must not hold it past the lease this core
 * gave, D3); past it, the lease decided already.
 */
static void
on_addr_lost(struct elect *c, const struct fsm_in *in, struct elect_out *out)
{
	struct elect_action *a;

	(void)in;
	if (c->now_ms >= c->lease_until_ms) {
		become_standby(c, ELECT_WHY_LEASE_EXPIRED, out);
		return;
	}
	a = push(out, ELECT_ACT_ADDR_ADD);
	a->lease_ms = (uint32_t)(c->lease_until_ms - c->now_ms);
}

static void
on_start(struct elect *c, const struct fsm_in *in, struct elect_out *out)
{
	(void)in;
	if (elect_id_is_zero(&c->id))
		new_id(c); /* persisted at the end of this step */
	c->state = ELECT_ST_STARTING;
	set_state(c, c->conf.priority ? ELECT_ST_STARTING : ELECT_ST_OBSERVER,
	    ELECT_WHY_START, out);
	c->listen_until_ms = c->now_ms + listen_ms(c);
	solicit_hellos(c, out);
	c->next_hello_ms = c->now_ms + c->conf.hello_interval_ms;
}

static void
listen_again(struct elect *c, enum elect_reason why, struct elect_out *out)
{
	c->holder_unverified = false;
	c->has_holder = false;
	elect_fd_heard(&c->fd, c->now_ms);
	c->listen_until_ms = c->now_ms + listen_ms(c);
	if (c->conf.priority > 0)
		set_state(c, ELECT_ST_STARTING, why, out);
	solicit_hellos(c, out);
}

/*
 * Link down: we cannot serve nor resign (nothing would reach the peers),
 * so the address goes at once and a peer takes over by missed heartbeats.
 */
static void
on_link_down(struct elect *c, const struct fsm_in *in, struct elect_out *out)
{
	(void)in;
	if (c->link_down)
		return;
	c->link_down = true;
	become_standby(c, ELECT_WHY_LINK_DOWN, out);
}

static void
on_link_up(struct elect *c, const struct fsm_in *in, struct elect_out *out)
{
	(void)in;
	if (!c->link_down)
		return;
	c->link_down = false;
	listen_again(c, ELECT_WHY_LINK_UP, out);
}

static void
on_probe_done(struct elect *c, const struct fsm_in *in, struct elect_out *out)
{
	if (!c->probing)
		return; /* a late answer: a holder was heard meanwhile */
	c->probing = false;
	if (in->ev->conflict) {
		become_standby(c, ELECT_WHY_ADDR_CONFLICT, out);
		return;
	}
	wait_turn(c,
	    turns_ms(c, elect_members_rank(&c->members, c->now_ms,
			    c->conf.priority, &c->id, NULL)),
	    ELECT_WHY_NO_HOLDER, out);
}

/*
 * keepalived's fall/rise: one slow run on a loaded VM is not a dead
 * service. The service fails after check_fall failures in a row and
 * passes again after check_rise passes in a row; anything between keeps
 * the last verdict.
 */
static void
count_check(struct elect *c, bool ok)
{
	uint32_t fall = c->conf.check_fall ? c->conf.check_fall : 1;
	uint32_t rise = c->conf.check_rise ? c->conf.check_rise : 1;

	if (ok) {
		c->check_fails = 0;
		if (c->check_passes < rise)
			c->check_passes++;
	} else {
		c->check_passes = 0;
		if (c->check_fails < fall)
			c->check_fails++;
	}
	if (c->check_ok && c->check_fails >= fall)
		c->check_ok = false;
	else if (!c->check_ok && c->check_passes >= rise)
		c->check_ok = true;
}

/* Our own service's check, not holding: said when fitness changes. */
static void
on_check(struct elect *c, const struct fsm_in *in, struct elect_out *out)
{
	bool was_fit = fit_to_serve(c);

	count_check(c, in->ev->ok);
	/* A HELLO "on change": members rank an unfit node last. */
	if (was_fit != fit_to_serve(c))
		send_hello(c, NULL, out);
}

/* The holder's own service check: failing, it hands over and holds off. */
static void
on_check_holder(struct elect *c, const struct fsm_in *in, struct elect_out *out)
{
	const struct elect_member *best;
	bool was_fit = fit_to_serve(c);
	bool ok = in->ev->ok;

	count_check(c, ok);
	/* A pass short of rise keeps an unfit holder: it is no failure. */
	if (!ok && !c->check_ok) {
		c->holddown_until_ms = c->now_ms + c->conf.holddown_ms;
		best = elect_members_best(&c->members, c->now_ms, NULL);
		resign(
		    c, best ? &best->id : NULL, ELECT_WHY_SERVICE_FAILED, out);
		send_hello(c, NULL, out); /* UNFIT: rank us last */
		return;
	}
	if (was_fit != fit_to_serve(c))
		send_hello(c, NULL, out);
}

static bool
conf_is_valid(const struct elect_conf *conf)
{
	/* HELLO must carry a name, HEARTBEAT the DMZ address: the encoder
	 * refuses what the decoder would, and our sends must never fail. */
	return conf->key != NULL && conf->name[0] != '\0' &&
	       ((conf->dmz.family == 4 && conf->dmz_prefix <= 32) ||
		   (conf->dmz.family == 6 && conf->dmz_prefix <= 128)) &&
	       conf->heartbeat_ms > 0 && conf->dead_after > 0 &&
	       conf->lease_ms > conf->heartbeat_ms &&
	       conf->hello_interval_ms > 0 && conf->request_timeout_ms > 0 &&
	       conf->probe_timeout_ms > 0 && conf->n_addrs <= ELECT_MAX_ADDRS &&
	       conf->priority != 255;
}

/* SIGHUP: new timings and priority apply from now on (conf is valid:
 * elect_step() checked it). */
static void
reconf(struct elect *c, const struct elect_conf *conf)
{
	struct elect_conf next = *conf;

	/* The link's MAC and addresses may change (a recreated interface,
	 * a DHCP renewal); the key and the DMZ address never do. */
	next.key = c->conf.key;
	next.dmz = c->conf.dmz;
	next.dmz_prefix = c->conf.dmz_prefix;
	c->conf = next;
	elect_fd_init(
	    &c->fd, next.heartbeat_ms, next.dead_after, c->fd.last_heard_ms);
	c->replay.challenge_every_ms = next.heartbeat_ms;
	c->replay.stale_ms = detect_window(c);
	/* The periodic HELLO goes now: peers learn the new priority, and
	 * the new period and member expiry count from here. */
	c->next_hello_ms = c->now_ms;
}

/* Priority 0 makes an observer of us. */
static void
on_reconf(struct elect *c, const struct fsm_in *in, struct elect_out *out)
{
	reconf(c, in->ev->conf);
	if (c->conf.priority == 0)
		become_standby(c, ELECT_WHY_START, out);
}

/* Priority 0: a holder hands over to whoever claims first. */
static void
on_reconf_holder(
    struct elect *c, const struct fsm_in *in, struct elect_out *out)
{
	reconf(c, in->ev->conf);
	if (c->conf.priority != 0)
		return;
	resign(c, NULL, ELECT_WHY_HANDOVER, out);
	become_standby(c, ELECT_WHY_START, out);
}

/* A priority above 0: an observer listens, then may claim. */
static void
on_reconf_observer(
    struct elect *c, const struct fsm_in *in, struct elect_out *out)
{
	reconf(c, in->ev->conf);
	if (c->conf.priority > 0)
		listen_again(c, ELECT_WHY_START, out);
}

static void
on_request(struct elect *c, const struct fsm_in *in, struct elect_out *out)
{
	(void)out;
	if (c->has_holder)
		elect_reqs_request(&c->reqs, in->ev->flow, c->now_ms);
}

static void
on_answer(struct elect *c, const struct fsm_in *in, struct elect_out *out)
{
	(void)out;
	elect_reqs_answer(&c->reqs, in->ev->flow);
}

/* ---- timers ---- */

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
	fast_reset(c);
	/* Members may have joined, or declared us dead, while we slept. */
	if (!c->link_down)
		solicit_hellos(c, out);
}

static void
on_late_holder(struct elect *c, const struct fsm_in *in, struct elect_out *out)
{
	(void)in;
	if (c->now_ms >= c->lease_until_ms)
		become_standby(c, ELECT_WHY_LEASE_EXPIRED, out);
	late(c, out);
}

static void
on_late_candidate(
    struct elect *c, const struct fsm_in *in, struct elect_out *out)
{
	(void)in;
	become_standby(c, ELECT_WHY_RESUMED, out);
	late(c, out);
}

static void
on_late_starting(
    struct elect *c, const struct fsm_in *in, struct elect_out *out)
{
	(void)in;
	elect_fd_heard(&c->fd, c->now_ms);
	c->listen_until_ms = c->now_ms + listen_ms(c);
	late(c, out);
}

/* STANDBY, OBSERVER: the holder's silence counts from now. */
static void
on_late_listening(
    struct elect *c, const struct fsm_in *in, struct elect_out *out)
{
	(void)in;
	elect_fd_heard(&c->fd, c->now_ms);
	late(c, out);
}

/* PROBEs are counted, and their rate kept (at most two a request-timeout,
 * whatever asks: a flood of requests, a silent holder). */
static void
note_probe_sent(struct elect *c)
{
	c->ctr.probes++;
	c->probe_sent_ms[0] = c->probe_sent_ms[1];
	c->probe_sent_ms[1] = c->now_ms;
}

static void
send_probe(struct elect *c, struct elect_out *out)
{
	const struct elect_member *h =
	    elect_members_find(&c->members, &c->holder.id);
	struct elect_msg m;

	/* Two tries within probe-timeout: a LAN answers in a millisecond,
	 * and a holder silent for that long is dead. */
	c->probe_tries++;
	c->probe_deadline_ms = c->now_ms + c->conf.probe_timeout_ms / 2;
	if (h == NULL || h->src.family == 0)
		return; /* no address to ask: the try times out */
	msg_init(c, &m, ELECT_MSG_PROBE);
	m.has |= ELECT_HAS_NONCE;
	m.nonce = c->probe_nonce;
	send_msg(c, &m, &h->src, out);
	note_probe_sent(c);
}

/*
 * When the oldest unanswered request may start a PROBE round; 0: never.
 * A round ends in an ack that clears every request, or in a failover, so
 * rounds come at most once per request-timeout whatever a flood sends.
 */
static uint64_t
probe_due(const struct elect *c)
{
	uint64_t oldest = elect_reqs_oldest(&c->reqs);

	return oldest == 0 ? 0 : oldest + c->conf.request_timeout_ms;
}

/*
 * A request left unanswered for request-timeout: PROBE the holder, two
 * tries within probe-timeout; silence declares it dead at once.
 */
static void
run_fast_timers(struct elect *c, struct elect_out *out)
{
	uint64_t due;

	if (!c->has_holder)
		return;
	if (c->probe_tries > 0) {
		if (c->now_ms < c->probe_deadline_ms)
			return;
		if (c->probe_tries >= 2) {
			become_candidate(c, &c->holder.id, 0, 0,
			    ELECT_WHY_PROBE_FAILED, out);
			return;
		}
		send_probe(c, out);
		return;
	}
	due = probe_due(c);
	if (due == 0 || c->now_ms < due)
		return;
	c->probe_nonce = rng_next(c);
	send_probe(c, out);
}

/*
 * The holder's heartbeat is half a heartbeat overdue: ask it, every half
 * heartbeat, until it is heard again or we claim. Two tries fit before a
 * standby declares it dead at the defaults, and two more in its lease.
 */
static uint64_t
silence_probe_due(const struct elect *c)
{
	uint64_t hb = c->conf.heartbeat_ms;
	uint64_t due = c->fd.last_heard_ms + hb + hb / 2;

	uint64_t rate = c->probe_sent_ms[0] + c->conf.request_timeout_ms;

	if (!((c->state == ELECT_ST_STANDBY && c->has_holder) ||
		(c->state == ELECT_ST_CANDIDATE && c->lost_by_silence)))
		return 0;
	/* A round for unanswered requests is asking it already. */
	if (c->probe_tries > 0 || elect_reqs_oldest(&c->reqs) != 0)
		return 0;
	if (c->silence_sent_ms != 0 && c->silence_sent_ms + hb / 2 > due)
		due = c->silence_sent_ms + hb / 2;
	if (c->probe_sent_ms[0] != 0 && rate > due)
		due = rate;
	return due;
}

static void
run_silence_probe(struct elect *c, struct elect_out *out)
{
	const struct elect_member *h;
	uint64_t due = silence_probe_due(c);
	struct elect_msg m;

	if (due == 0 || c->now_ms < due)
		return;
	if (c->silence_sent_ms == 0)
		c->silence_nonce = rng_next(c);
	c->silence_sent_ms = c->now_ms;
	h = elect_members_find(&c->members, &c->holder.id);
	if (h == NULL || h->src.family == 0)
		return; /* no address to ask: its lease decides */
	msg_init(c, &m, ELECT_MSG_PROBE);
	m.has |= ELECT_HAS_NONCE;
	m.nonce = c->silence_nonce;
	send_msg(c, &m, &h->src, out);
	note_probe_sent(c);
}

static uint64_t
fast_wake(const struct elect *c)
{
	if (c->state != ELECT_ST_STANDBY || !c->has_holder)
		return 0;
	if (c->probe_tries > 0)
		return c->probe_deadline_ms;
	return probe_due(c);
}

static void
on_timer_holder(struct elect *c, const struct fsm_in *in, struct elect_out *out)
{
	(void)in;
	if (c->now_ms >= c->lease_until_ms) {
		become_standby(c, ELECT_WHY_LEASE_EXPIRED, out);
		return;
	}
	if (conflict_side(c) != ELECT_SIDE_OURS) {
		become_standby(c, ELECT_WHY_CONFIG_CONFLICT, out);
		send_hello(c, NULL, out); /* no longer holding: say so */
		return;
	}
	run_preempt_timer(c, out);
	if (c->state != ELECT_ST_HOLDER)
		return;
	if (c->now_ms >= c->next_heartbeat_ms) {
		if (c->seq >= c->disk.seq_reserved) {
			/* The disk refuses our sequences: we cannot tell the
			 * peers our lease, so we must not extend it. */
			become_standby(c, ELECT_WHY_PERSIST_FAILED, out);
			return;
		}
		refresh_lease(c, ELECT_ACT_ADDR_REFRESH, out);
		send_holder_msg(c, ELECT_MSG_HEARTBEAT, out);
		if (c->conf.check_enabled)
			push(out, ELECT_ACT_CHECK);
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
			start_probe(c, out);
		return;
	}
	if (c->now_ms < c->claim_at_ms)
		return;
	if (c->now_ms < lease_gate(c)) {
		/* A holder was heard meanwhile (and lost): its lease first. */
		c->claim_at_ms = lease_gate(c) + c->claim_turns_ms;
		return;
	}
	if (conflict_forbids_claim(c)) {
		elect_fd_heard(&c->fd, c->now_ms);
		set_state(c, ELECT_ST_STANDBY, ELECT_WHY_CONFIG_CONFLICT, out);
		return;
	}
	if (!may_claim(c))
		return; /* PERSIST_DONE (or the retry) wakes us */
	claim(c, out);
}

/*
 * The periodic HELLO: every hello-interval, or less often in a large
 * cluster, so that all of them together send one every hello-interval/5
 * at most: background traffic stays O(1) in the cluster's size. Members
 * expire after three of the longest periods.
 */
static void
periodic_hello(struct elect *c, struct elect_out *out)
{
	uint64_t every = c->conf.hello_interval_ms;
	uint64_t n = elect_members_count_live(&c->members, c->now_ms) + 1;

	if (n * every / 5 > every)
		every = n * every / 5;
	c->members.expire_ms = 3 * every + c->conf.heartbeat_ms;
	/* Jitter (+-5 %) keeps members that started together out of step. */
	c->next_hello_ms =
	    c->now_ms + every - every / 20 + rng_next(c) % (every / 10 + 1);
	send_hello(c, NULL, out);
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
	push(out, ELECT_ACT_CHECK);
}

/* Listened long enough: no holder, our turn to claim comes. */
static void
on_timer_starting(
    struct elect *c, const struct fsm_in *in, struct elect_out *out)
{
	(void)in;
	if (c->now_ms >= c->listen_until_ms)
		become_candidate(c, NULL, 0, 0, ELECT_WHY_NO_HOLDER, out);
}

/* The holder (or, with none, anybody) silent for dead_after heartbeats. */
static void
holder_silence(struct elect *c, struct elect_out *out)
{
	if (elect_fd_expired(&c->fd, c->now_ms))
		become_candidate(c, c->has_holder ? &c->holder.id : NULL, 0, 0,
		    c->has_holder ? ELECT_WHY_HOLDER_DEAD : ELECT_WHY_NO_HOLDER,
		    out);
}

/* Fast detection first: a failed PROBE round is a dead holder at once. */
static void
on_timer_standby(
    struct elect *c, const struct fsm_in *in, struct elect_out *out)
{
	(void)in;
	run_fast_timers(c, out);
	run_silence_probe(c, out);
	if (c->state != ELECT_ST_CANDIDATE)
		holder_silence(c, out);
}

/* An observer never claims: a dead holder is only forgotten. */
static void
on_timer_observer(
    struct elect *c, const struct fsm_in *in, struct elect_out *out)
{
	(void)in;
	holder_silence(c, out);
}

static void
on_timer_candidate(
    struct elect *c, const struct fsm_in *in, struct elect_out *out)
{
	(void)in;
	run_candidate_timers(c, out);
	if (c->state == ELECT_ST_CANDIDATE)
		run_silence_probe(c, out);
}

/*
 * After every event: the current state's TIMER row, again if it made us
 * a candidate (a candidate whose turn is now claims in the same step),
 * then what every state does.
 */
static void
run_timers(struct elect *c, struct elect_out *out)
{
	struct fsm_in in = {NULL, NULL, NULL};
	enum elect_state was = c->state;

	if (c->link_down)
		return; /* nothing to say, nobody to hear it */
	fsm_dispatch(c, FSM_TIMER, &in, out);
	if (c->state == ELECT_ST_CANDIDATE && was != ELECT_ST_CANDIDATE)
		fsm_dispatch(c, FSM_TIMER, &in, out);
	run_own_check(c, out);
	if (c->state != ELECT_ST_STOPPED && c->now_ms >= c->next_hello_ms)
		periodic_hello(c, out);
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

static uint64_t
next_wake(const struct elect *c)
{
	uint64_t w = 0;

	switch (c->state) {
	case ELECT_ST_STARTING:
		w = c->listen_until_ms;
		break;
	case ELECT_ST_STANDBY:
	case ELECT_ST_OBSERVER:
		w = min_nonzero(elect_fd_deadline(&c->fd), fast_wake(c));
		w = min_nonzero(w, silence_probe_due(c));
		break;
	case ELECT_ST_CANDIDATE:
		w = c->probing ? c->probe_until_ms : c->claim_at_ms;
		if (!c->probing && w <= c->now_ms && !may_claim(c))
			w = 0; /* PERSIST_DONE or the retry wakes us */
		w = min_nonzero(w, silence_probe_due(c));
		break;
	case ELECT_ST_HOLDER:
		w = min_nonzero(c->next_heartbeat_ms, c->lease_until_ms);
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
	return min_nonzero(w, c->next_hello_ms);
}

/* ---- public ---- */

struct elect *
elect_new(const struct elect_conf *conf, const struct elect_persist *p,
    uint64_t now_ms, uint64_t seed)
{
	struct elect *c;

	if (!conf_is_valid(conf))
		return NULL;
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return NULL;
	c->conf = *conf;
	c->rng = seed;
	c->boot = rng_next(c);
	c->id = p->id;
	c->disk = *p;
	if (c->disk.epoch > ELECT_EPOCH_MAX)
		c->disk.epoch = ELECT_EPOCH_MAX;
	/* We may have used every epoch up to the ceiling, and every
	 * sequence below the reservation: start above them. */
	c->epoch = c->disk.epoch;
	c->seq = c->disk.seq_reserved;
	c->persist_ok = true;
	c->now_ms = c->started_ms = now_ms;
	c->state = ELECT_ST_STARTING;
	c->check_ok = true; /* until a check says otherwise */
	elect_fd_init(&c->fd, conf->heartbeat_ms, conf->dead_after, now_ms);
	/* A member that missed three HELLOs is gone; a heartbeat refreshes. */
	elect_members_init(&c->members,
	    3 * (uint64_t)conf->hello_interval_ms + conf->heartbeat_ms);
	elect_replay_init(&c->replay);
	c->replay.challenge_every_ms = conf->heartbeat_ms;
	c->replay.stale_ms = detect_window(c);
	return c;
}

void
elect_free(struct elect *c)
{
	free(c);
}

/* ---- the transition table ---- */

#define ST(s) (1u << ELECT_ST_##s)
#define ST_LIVE                                                                \
	(ST(STARTING) | ST(STANDBY) | ST(CANDIDATE) | ST(HOLDER) | ST(OBSERVER))
#define ST_NOT_HOLDER (ST_LIVE & ~ST(HOLDER))

typedef void fsm_handler(
    struct elect *, const struct fsm_in *, struct elect_out *);

/*
 * Every transition of the election, as OpenBSD's ospfd keeps its
 * nbr_fsm_tbl[]: for a state (a mask of states), an event, the handler
 * that acts, and the states it may leave us in ("=": the same; where two
 * are named, the handler picks by what it sees). fsm_dispatch() runs the
 * first row that matches. A (state, event) pair not in the table is
 * ignored: the event changes nothing in that state. STOPPED has no row:
 * elect_step() still verifies and counts its datagrams, nothing more.
 * doc/design.md §5.3 is this table in prose; keep the two alike.
 */
static const struct {
	unsigned states;
	enum fsm_event event;
	fsm_handler *handler;
	const char *next;
} fsm_tbl[] = {
    /* state(s)		event		handler			next */
    {ST_LIVE, FSM_START, on_start, "starting|observer"},
    {ST(STARTING), FSM_LATE, on_late_starting, "="},
    {ST(STANDBY) | ST(OBSERVER), FSM_LATE, on_late_listening, "="},
    {ST(CANDIDATE), FSM_LATE, on_late_candidate, "standby"},
    {ST(HOLDER), FSM_LATE, on_late_holder, "=|standby"},
    {ST(STARTING), FSM_TIMER, on_timer_starting, "=|candidate|standby"},
    {ST(STANDBY), FSM_TIMER, on_timer_standby, "=|candidate"},
    {ST(OBSERVER), FSM_TIMER, on_timer_observer, "="},
    {ST(CANDIDATE), FSM_TIMER, on_timer_candidate, "=|holder|standby"},
    {ST(HOLDER), FSM_TIMER, on_timer_holder, "=|standby"},
    {ST(HOLDER), FSM_HELLO, on_hello, "= (hands over later)"},
    {ST_NOT_HOLDER, FSM_HOLDER_MSG, on_holder_msg, "=|standby"},
    {ST(HOLDER), FSM_HOLDER_MSG, on_rival_holder, "=|standby"},
    {ST_NOT_HOLDER, FSM_RESIGN, on_resign, "=|candidate|holder|standby"},
    {ST(HOLDER), FSM_PROBE, on_probe, "="},
    {ST(STANDBY), FSM_PROBE_ACK, on_probe_ack, "=|candidate"},
    {ST(CANDIDATE), FSM_PROBE_ACK, on_silent_holder_ack, "=|standby"},
    {ST_NOT_HOLDER, FSM_OWN_ID, on_own_id, "="},
    {ST(HOLDER), FSM_OWN_ID, on_own_id_holder, "=|standby"},
    {ST_NOT_HOLDER, FSM_SHUTDOWN, on_shutdown, "stopped"},
    {ST(HOLDER), FSM_SHUTDOWN, on_shutdown_holder, "stopped"},
    {ST(HOLDER), FSM_HANDOVER, on_handover, "=|standby"},
    {ST(HOLDER), FSM_ADDR_LOST, on_addr_lost, "=|standby"},
    {ST_LIVE, FSM_LINK_DOWN, on_link_down, "standby|observer"},
    {ST_LIVE, FSM_LINK_UP, on_link_up, "starting|observer"},
    {ST(CANDIDATE), FSM_PROBE_DONE, on_probe_done, "=|standby"},
    {ST(STARTING) | ST(STANDBY) | ST(CANDIDATE), FSM_RECONF, on_reconf,
	"=|observer"},
    {ST(HOLDER), FSM_RECONF, on_reconf_holder, "=|observer"},
    {ST(OBSERVER), FSM_RECONF, on_reconf_observer, "=|starting"},
    {ST(STANDBY), FSM_REQUEST, on_request, "="},
    {ST_LIVE, FSM_ANSWER, on_answer, "="},
    {ST_NOT_HOLDER, FSM_CHECK, on_check, "="},
    {ST(HOLDER), FSM_CHECK, on_check_holder, "=|standby"},
    {ST_LIVE & ~ST(CANDIDATE), FSM_PERSIST_DONE, on_persist_done, "="},
    {ST(CANDIDATE), FSM_PERSIST_DONE, on_persist_done_candidate, "=|starting"},
};

static void
fsm_dispatch(struct elect *c, enum fsm_event ev, const struct fsm_in *in,
    struct elect_out *out)
{
	size_t i;

	for (i = 0; i < sizeof(fsm_tbl) / sizeof(fsm_tbl[0]); i++)
		if (fsm_tbl[i].event == ev &&
		    (fsm_tbl[i].states & (1u << c->state))) {
			fsm_tbl[i].handler(c, in, out);
			return;
		}
}

/* The table's event for a caller's event (not RX, not TIMER). */
static enum fsm_event
caller_event(const struct elect_event *ev)
{
	switch (ev->type) {
	case ELECT_EV_START:
		return FSM_START;
	case ELECT_EV_SHUTDOWN:
		return FSM_SHUTDOWN;
	case ELECT_EV_HANDOVER:
		return FSM_HANDOVER;
	case ELECT_EV_ADDR_LOST:
		return FSM_ADDR_LOST;
	case ELECT_EV_LINK:
		return ev->up ? FSM_LINK_UP : FSM_LINK_DOWN;
	case ELECT_EV_PROBE_DONE:
		return FSM_PROBE_DONE;
	case ELECT_EV_RECONF:
		return FSM_RECONF;
	case ELECT_EV_REQUEST:
		return FSM_REQUEST;
	case ELECT_EV_ANSWER:
		return FSM_ANSWER;
	case ELECT_EV_CHECK:
		return FSM_CHECK;
	case ELECT_EV_PERSIST_DONE:
		return FSM_PERSIST_DONE;
	case ELECT_EV_RX:
	case ELECT_EV_TIMER:
		break;
	}
	return FSM_TIMER; /* not reached: elect_step() handles those */
}

static bool
event_is_valid(const struct elect_event *ev)
{
	if (ev == NULL || ev->type < ELECT_EV_START ||
	    ev->type > ELECT_EV_ADDR_LOST)
		return false;
	if (ev->type == ELECT_EV_RX && ev->buf == NULL && ev->len > 0)
		return false;
	if (ev->type == ELECT_EV_RECONF)
		return ev->conf != NULL && conf_is_valid(ev->conf);
	return true;
}

int
elect_step(struct elect *c, uint64_t now_ms, const struct elect_event *ev,
    struct elect_out *out)
{
	struct fsm_in in = {ev, NULL, NULL};
	struct elect_msg m;

	out->nact = 0;
	out->wake_ms = 0;
	out->handover = ELECT_HANDOVER_NOT_HOLDER;
	if (now_ms < c->now_ms || !event_is_valid(ev))
		return -1;
	c->now_ms = now_ms;
	if (c->state == ELECT_ST_STOPPED) {
		/* No row: a datagram is still verified and counted. */
		if (ev->type == ELECT_EV_RX)
			(void)rx_verify(c, ev, &m, out);
		return 0;
	}
	if (c->due_ms != 0 && now_ms > c->due_ms + c->conf.heartbeat_ms)
		fsm_dispatch(c, FSM_LATE, &in, out);
	if (ev->type == ELECT_EV_RX)
		on_rx(c, ev, out);
	else if (ev->type != ELECT_EV_TIMER) /* timers run after any event */
		fsm_dispatch(c, caller_event(ev), &in, out);
	if (c->state != ELECT_ST_STOPPED)
		run_timers(c, out);
	sync_farewell(c, out); /* a sequence it takes is reserved below */
	sync_persist(c, out);
	out->wake_ms = c->due_ms = next_wake(c);
	return 0;
}

enum elect_state
elect_get_state(const struct elect *c)
{
	return c->state;
}

uint64_t
elect_get_epoch(const struct elect *c)
{
	return c->epoch;
}

void
elect_get_id(const struct elect *c, struct elect_id *out)
{
	*out = c->id;
}

bool
elect_get_holder(const struct elect *c, struct elect_id *out)
{
	if (c->state == ELECT_ST_HOLDER) {
		*out = c->id;
		return true;
	}
	if (!c->has_holder)
		return false;
	*out = c->holder.id;
	return true;
}

uint64_t
elect_get_lease_until(const struct elect *c)
{
	return c->state == ELECT_ST_HOLDER ? c->lease_until_ms : 0;
}

void
elect_get_counters(const struct elect *c, struct elect_counters *out)
{
	*out = c->ctr;
}

bool
elect_get_persist_ok(const struct elect *c)
{
	return c->persist_ok;
}

size_t
elect_get_members(const struct elect *c, uint64_t now_ms,
    struct elect_member_info *info, size_t max)
{
	size_t i, n = 0;

	for (i = 0; i < c->members.n && n < max; i++) {
		const struct elect_member *m = &c->members.m[i];

		if (!elect_member_is_live(&c->members, m, now_ms))
			continue;
		info[n].id = m->id;
		memcpy(info[n].name, m->name, sizeof(info[n].name));
		info[n].priority = m->priority;
		info[n].state = (enum elect_state)m->state;
		memcpy(info[n].addrs, m->addrs, sizeof(info[n].addrs));
		info[n].n_addrs = m->n_addrs;
		info[n].src = m->src;
		memcpy(info[n].mac, m->mac, sizeof(info[n].mac));
		info[n].last_seen_ms = now_ms - m->last_seen_ms;
		n++;
	}
	return n;
}

bool
elect_get_conflict(
    const struct elect *c, uint64_t now_ms, struct elect_conflict *out)
{
	size_t i;

	for (i = 0; i < c->members.n; i++) {
		const struct elect_member *m = &c->members.m[i];

		if (m->mismatch == 0 ||
		    !elect_member_is_live(&c->members, m, now_ms))
			continue;
		out->id = m->id;
		memcpy(out->name, m->name, sizeof(out->name));
		out->src = m->src;
		out->mismatch = m->mismatch;
		return true;
	}
	return false;
}
