/*
 * election/elect_trans.c — the moves between states that the handlers of
 * the table share (become a standby, a candidate, the holder; resign;
 * listen again), and the state machine's small helpers: its PRNG, the
 * actions out, the epoch and the reservations on disk (D4).
 */
#include "config.h"

#include <assert.h>
#include <string.h>

#include "election/elect_int.h"

uint64_t
elect_rng_next(struct elect *c)
{
	uint64_t z = (c->rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

void
elect_new_id(struct elect *c)
{
	uint64_t a, b;

	do {
		a = elect_rng_next(c);
		b = elect_rng_next(c);
		memcpy(c->id.b, &a, 8);
		memcpy(c->id.b + 8, &b, 8);
	} while (elect_id_is_zero(&c->id));
}

struct elect_action *
elect_push(struct elect_out *out, enum elect_action_type type)
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
void
elect_sync_persist(struct elect *c, struct elect_out *out)
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
	a = elect_push(out, ELECT_ACT_PERSIST);
	a->persist = want;
	c->writing = want;
	c->persist_busy = true;
}

/*
 * The edge's writer answered: on disk now, or retried with a backoff
 * (a heartbeat, doubling up to 16). True if we were mute for want of a
 * sequence and may speak again: what we could not say, we say now.
 */
bool
elect_persist_done(struct elect *c, bool ok)
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

/* Whether a claim now would use only what the disk acknowledged: the
 * epoch, and a sequence for the CLAIM. */
bool
elect_may_claim(const struct elect *c)
{
	return c->epoch < c->disk.epoch && c->seq < c->disk.seq_reserved;
}

/* The epoch only grows; epochs above ELECT_EPOCH_MAX never come in. */
void
elect_see_epoch(struct elect *c, uint64_t epoch)
{
	if (epoch > c->epoch && epoch <= ELECT_EPOCH_MAX)
		c->epoch = epoch;
}

void
elect_set_state(struct elect *c, enum elect_state st, enum elect_reason why,
    struct elect_out *out)
{
	struct elect_action *a;

	if (st == c->state)
		return;
	a = elect_push(out, ELECT_ACT_STATE);
	a->old = c->state;
	a->state = st;
	a->reason = why;
	c->state = st;
	if (st != ELECT_ST_CANDIDATE)
		c->lost_by_silence = false;
}

bool
elect_is_me(const struct elect *c, const struct elect_id *id)
{
	return elect_id_cmp(&c->id, id) == 0;
}

struct elect_claim
elect_my_claim(const struct elect *c)
{
	struct elect_claim me = {c->held_epoch, c->conf.priority, c->id};

	return me;
}

/* dead-after x heartbeat: how long silence means death. */
uint64_t
elect_detect_window(const struct elect *c)
{
	return (uint64_t)c->conf.dead_after * c->conf.heartbeat_ms;
}

/*
 * How long a node that starts (or comes back) listens for a holder:
 * dead-after + 1 heartbeats, and at least a lease + margin, so that a
 * holder frozen just before we started has lost the address (D3).
 */
uint64_t
elect_listen_ms(const struct elect *c)
{
	uint64_t ms = (uint64_t)(c->conf.dead_after + 1) * c->conf.heartbeat_ms;
	uint64_t lease = (uint64_t)c->conf.lease_ms + ELECT_LEASE_MARGIN_MS;

	return ms > lease ? ms : lease;
}

/*
 * Whether our own service passes its check and no failed check holds us
 * off: an unfit node neither preempts nor claims ahead of fit ones.
 */
bool
elect_fit_to_serve(const struct elect *c)
{
	return c->check_ok && c->now_ms >= c->holddown_until_ms;
}

/*
 * Members on our DMZ address with other settings outnumber ours: we are
 * the odd one out and stay off the site's address (fault 5 of issue 7).
 */
enum elect_side
elect_conflict_side(const struct elect *c)
{
	struct elect_self me = {
	    c->conf.dmz, c->conf.priority, c->id, c->started_ms};

	return elect_members_conflict_side(&c->members, c->now_ms, &me);
}

/* No claim unless our side wins (while theirs may still hold the
 * address, the lease gate holds every claim off: D3). */
bool
elect_conflict_forbids_claim(const struct elect *c)
{
	return elect_conflict_side(c) != ELECT_SIDE_OURS;
}

void
elect_start_probe(struct elect *c, struct elect_out *out)
{
	c->probing = true;
	c->probe_until_ms = c->now_ms + c->conf.probe_wait_ms;
	elect_push(out, ELECT_ACT_PROBE);
}

/* Leaves HOLDER (or never was): the address goes, we listen again. */
void
elect_become_standby(
    struct elect *c, enum elect_reason why, struct elect_out *out)
{
	if (c->state == ELECT_ST_HOLDER) {
		elect_withdraw_farewell(
		    c, out); /* the guard speaks for holders */
		elect_push(out, ELECT_ACT_ADDR_DEL);
		c->lease_until_ms = 0;
		c->fence_until_ms = 0;
	}
	elect_fast_reset(c);
	c->has_holder = false;
	elect_detector_heard(&c->detector, c->now_ms);
	elect_set_state(c,
	    c->conf.priority ? ELECT_ST_STANDBY : ELECT_ST_OBSERVER, why, out);
	/*
	 * A holder that yields says so (a HELLO "on change"): peers that
	 * declared it dead meanwhile rank it again, and may name it
	 * successor. A RESIGN says it already; a late node solicits.
	 */
	if (why == ELECT_WHY_BETTER_HOLDER)
		elect_send_hello(c, NULL, out);
}

void
elect_follow(
    struct elect *c, const struct elect_claim *h, struct elect_out *out)
{
	bool other = !c->has_holder || elect_id_cmp(&c->holder.id, &h->id) != 0;
	bool greeted = elect_id_cmp(&h->id, &c->greeted) == 0 &&
		       h->epoch == c->greeted_epoch;

	if (other) {
		elect_fast_reset(c);
		c->n_holder_pub = 0; /* until its first HEARTBEAT */
	}
	c->has_holder = true;
	c->holder_seen = true;
	c->holder = *h;
	elect_detector_heard(&c->detector, c->now_ms);
	if (c->state == ELECT_ST_STARTING || c->state == ELECT_ST_CANDIDATE)
		elect_set_state(
		    c, ELECT_ST_STANDBY, ELECT_WHY_HOLDER_HEARD, out);
	elect_fence_greet(c, h, other && !greeted, out);
	if (other && !greeted)
		c->loss_seen_before_ms = c->loss_seen_ms;
	if (other) {
		c->greeted = h->id;
		c->greeted_epoch = h->epoch;
	}
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
uint64_t
elect_turns_ms(const struct elect *c, unsigned turns)
{
	uint64_t stagger = c->conf.claim_stagger_ms;

	if (turns == 0)
		return 0; /* the first in line claims at once */
	return turns * stagger + (255u - c->conf.priority) * stagger / 256;
}

/* A member with another DMZ address holds that one, not ours. */
static bool
other_address(const struct elect *c, const struct elect_member *m)
{
	return (m->mismatch & ELECT_MISMATCH_DMZ) &&
	       (m->dmz.family != c->conf.dmz.family ||
		   memcmp(m->dmz.b, c->conf.dmz.b, sizeof(m->dmz.b)) != 0);
}

/*
 * When every holder heard can have lost the address to its kernel lease
 * (D3): its last HEARTBEAT/CLAIM + its lease + a margin; a holder that
 * resigned dropped it first. (A holder frozen just before we started:
 * STARTING listens at least a lease, elect_listen_ms().)
 */
uint64_t
elect_lease_gate(const struct elect *c)
{
	uint64_t gate = 0;
	size_t i;

	for (i = 0; i < c->members.n; i++) {
		uint64_t g = elect_member_gate(c, &c->members.m[i]);

		if (g > gate && !other_address(c, &c->members.m[i]))
			gate = g;
	}
	return gate;
}

/* The gate the leases alone would set: a claim before it was let in by
 * a fence (counted). */
static uint64_t
lease_only_gate(const struct elect *c)
{
	uint64_t gate = 0;
	size_t i;

	for (i = 0; i < c->members.n; i++)
		if (c->members.m[i].lease_until_ms > gate &&
		    !other_address(c, &c->members.m[i]))
			gate = c->members.m[i].lease_until_ms;
	return gate;
}

/*
 * A cold start (no holder heard since we started): a member of a higher
 * priority that started while we listened claims once its own listening
 * and probe are over. Without this gate the first node up held whatever
 * the priorities said (CI, diskro.sh: h2 started 200 ms before h1, at
 * priority 100 to h1's 200, and held). Its latest claim: its listening
 * may start over once (a first start listens again once its new id is
 * written), then it probes. One started after we listened is a late
 * joiner: we do not wait for it, so no chain of starts delays us. Nor
 * for an equal priority: the id order between them is no one's wish,
 * and 20 instances of one priority agreed up to 0.5 s later waiting for
 * the lowest id's slow start (tests/bench/scale).
 */
static uint64_t
costart_gate(const struct elect *c)
{
	uint64_t last;

	if (c->holder_seen)
		return 0;
	last = elect_members_last_costart(
	    &c->members, c->now_ms, c->conf.priority, c->listen_until_ms);
	if (last == 0)
		return 0;
	return last + 2 * elect_listen_ms(c) +
	       (c->conf.probe_first ? c->conf.probe_wait_ms : 0);
}

/* Before this, no claim: a lease it could meet, or a better co-starter's
 * turn. */
uint64_t
elect_claim_gate(const struct elect *c)
{
	uint64_t lease = elect_lease_gate(c), costart = costart_gate(c);

	return lease > costart ? lease : costart;
}

/* CANDIDATE: our turn counts from the claim gate, so the order of the
 * claims is kept and no claim comes before a lease it could meet. */
void
elect_wait_turn(struct elect *c, uint64_t turns, enum elect_reason why,
    struct elect_out *out)
{
	uint64_t gate = elect_claim_gate(c);

	c->claim_turns_ms = turns;
	c->claim_at_ms = (gate > c->now_ms ? gate : c->now_ms) + turns;
	c->probing = false;
	c->lost_by_silence = false;
	elect_set_state(c, ELECT_ST_CANDIDATE, why, out);
}

/* Waits our turn: rank x stagger, plus extra turns (a named successor)
 * and extra_ms (the named successor's chance). */
/*
 * The holder went silent: the successor its last HEARTBEAT named goes
 * first; everybody else at least one turn later, so that it is heard
 * claiming (a stagger) before anybody who thinks itself first does.
 */
static unsigned
silent_holder_rank(const struct elect *c, unsigned rank)
{
	if (elect_id_cmp(&c->successor, &c->id) == 0)
		return 0;
	return rank > 0 ? rank : 1;
}

void
elect_become_candidate(struct elect *c, const struct elect_id *gone,
    unsigned extra_turns, uint64_t extra_ms, enum elect_reason why,
    struct elect_out *out)
{
	unsigned rank;

	c->has_holder = false;
	elect_fast_reset(c);
	if (gone != NULL && why != ELECT_WHY_HOLDER_RESIGNED)
		mark_dead(c, gone);
	if (c->conf.priority == 0 || c->now_ms < c->holddown_until_ms ||
	    elect_conflict_forbids_claim(c)) {
		/* Our own service failed a moment ago: let others serve. */
		elect_detector_heard(&c->detector, c->now_ms);
		if (c->state == ELECT_ST_STARTING ||
		    c->state == ELECT_ST_CANDIDATE)
			elect_set_state(c, ELECT_ST_STANDBY, why, out);
		return;
	}
	rank = elect_members_rank(
	    &c->members, c->now_ms, c->conf.priority, &c->id, gone);
	if (gone != NULL && why != ELECT_WHY_HOLDER_RESIGNED &&
	    !elect_id_is_zero(&c->successor))
		rank = silent_holder_rank(c, rank);
	/* A failing service goes last: any fit member claims first. */
	if (!c->check_ok)
		extra_turns += (unsigned)c->members.n + 1;
	/* So does a link that lost datagrams lately (we handed over for
	 * it): what we missed may be our successor's CLAIM (a chaos run: the
	 * lossy ex-holder went candidate, claimed the successor's epoch, won
	 * on rank and took the address back onto its lossy link). */
	if (c->own_loss_handover_ms != 0 &&
	    c->now_ms <
		c->own_loss_handover_ms +
		    (uint64_t)ELECT_LOSS_DAMP_HEARTBEATS * c->conf.heartbeat_ms)
		extra_turns += (unsigned)c->members.n + 1;
	elect_wait_turn(
	    c, elect_turns_ms(c, rank + extra_turns) + extra_ms, why, out);
	c->lost_by_silence = gone != NULL && (why == ELECT_WHY_HOLDER_DEAD ||
						 why == ELECT_WHY_PROBE_FAILED);
	/*
	 * An address no member was heard holding may be a foreign host's:
	 * probe first, then wait our turn. A probe outlasts many staggers,
	 * so turns counted from its end keep the claims apart.
	 */
	if (c->conf.probe_first && !c->holder_seen)
		elect_start_probe(c, out);
}

/*
 * The lease the peers count from our HEARTBEAT or CLAIM; the kernel gets
 * the fence of it (elect_fence.c), renewed every fence/3 in between.
 */
void
elect_refresh_lease(
    struct elect *c, enum elect_action_type type, struct elect_out *out)
{
	struct elect_action *a = elect_push(out, type);
	uint32_t kernel =
	    c->conf.fence_ms != 0 ? c->conf.fence_ms : c->conf.lease_ms;

	a->lease_ms = kernel;
	c->lease_until_ms = c->now_ms + c->conf.lease_ms;
	c->fence_until_ms = c->now_ms + kernel;
	c->next_fence_ms =
	    c->conf.fence_ms != 0 ? c->now_ms + c->conf.fence_ms / 3 : 0;
	c->next_heartbeat_ms = c->now_ms + c->conf.heartbeat_ms;
	c->fence_renewed_ms = c->now_ms;
	c->stall_ms = 0;
}

void
elect_claim_now(struct elect *c, struct elect_out *out)
{
	assert(elect_may_claim(c));
	if (c->now_ms < lease_only_gate(c))
		c->ctr.fence_claims++;
	elect_see_epoch(c, c->epoch + 1);
	c->held_epoch = c->epoch;
	c->has_holder = false;
	c->preempt_at_ms = 0;
	elect_fast_reset(c);
	/*
	 * The CLAIM goes first: the address takes an nftables transaction
	 * and a netlink round trip, tens of ms on a loaded host, and a claim
	 * stagger is 20 ms; a member whose turn came meanwhile claimed too
	 * (two MACs for 39 ms in a chaos run). Safe: the edge gives the
	 * kernel only what is left of the lease counted from this step, so
	 * the peers, counting from the CLAIM's arrival, never count short.
	 */
	elect_send_holder_msg(c, ELECT_MSG_CLAIM, out);
	elect_refresh_lease(c, ELECT_ACT_ADDR_ADD, out);
	elect_set_state(c, ELECT_ST_HOLDER, ELECT_WHY_CLAIMED, out);
	c->ctr.failovers++;
}

/*
 * Orderly exit from HOLDER: drop the address first, then RESIGN: a
 * RESIGN tells the peers our kernel no longer answers for the address,
 * so the successor may claim at once, before our lease would end (D3).
 */
void
elect_resign(struct elect *c, const struct elect_id *successor,
    enum elect_reason why, struct elect_out *out)
{
	elect_become_standby(c, why, out);
	elect_send_resign(c, successor, why, out);
}

void
elect_listen_again(
    struct elect *c, enum elect_reason why, struct elect_out *out)
{
	c->holder_unverified = false;
	c->has_holder = false;
	elect_detector_heard(&c->detector, c->now_ms);
	c->listen_until_ms = c->now_ms + elect_listen_ms(c);
	if (c->conf.priority > 0)
		elect_set_state(c, ELECT_ST_STARTING, why, out);
	elect_solicit_hellos(c, out);
}
