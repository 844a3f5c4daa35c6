/*
 * election/elect_fsm.c — the election state machine: its transition
 * table fsm_tbl[], the dispatcher, the caller's events and the public API.
 *
 * States (enum elect_state):
 *   STARTING   listens (dead_after + 1) heartbeats, a lease at least
 *   STANDBY    follows a holder; or, with none, waits dead_after heartbeats
 *   CANDIDATE  the holder is gone: waits rank x claim_stagger, then claims
 *   HOLDER     holds the DMZ address under a lease refreshed every heartbeat
 *   OBSERVER   priority 0: follows, never claims
 *   STOPPED    after shutdown: does nothing more
 * Events (enum elect_fsm_event): the caller's, a verified datagram by its
 * type (elect_rx.c), TIMER after every step and LATE (elect_timers.c).
 * Invariants: the epoch never decreases and is persisted before it is
 * used; a node is HOLDER only while now < lease_until; a holder that hears
 * a preferred holder (epoch, priority, id) drops the address at once.
 *
 * The handlers live by kind: elect_rx.c (datagrams), elect_timers.c,
 * elect_fast.c (fast detection), elect_send.c, and elect_trans.c (the
 * moves between states they share), all behind elect_int.h.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "election/elect_int.h"

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
    [ELECT_WHY_LINK_LOSS] = "link-loss",
    [ELECT_WHY_FENCE_LAPSED] = "fence-lapsed",
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
	conf->request_timeout_min_ms = 20;
	conf->request_timeout_auto = true;
	conf->probe_timeout_ms = 100;
	conf->probe_timeout_auto = true;
	conf->fence_ms = 50;
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

/* ---- the caller's events ---- */

/* Say HELLO now and ask everybody for theirs. */
static void
on_persist_done(
    struct elect *c, const struct elect_fsm_in *in, struct elect_out *out)
{
	if (!elect_persist_done(c, in->ev->ok))
		return;
	/*
	 * Mute until now (a first start writes its new id before it may
	 * speak, D4): nobody has heard of us, and we could verify nobody.
	 * Listen from now, as if we had just started: members started at
	 * the same time would otherwise probe and claim before they know
	 * us (20 started at once on a loaded host: most took each other's
	 * ARP probes for a foreign host's).
	 */
	if (c->state == ELECT_ST_STARTING)
		c->listen_until_ms = c->now_ms + elect_listen_ms(c);
	elect_solicit_hellos(c, out);
}

/*
 * Mute, we could not challenge a holder that spoke: it stayed
 * unverified, unheard, so a candidate listens again before it claims
 * (tried: the simulator's scenario 632, a disk refusing writes, claimed
 * beside a live holder).
 */
static void
on_persist_done_candidate(
    struct elect *c, const struct elect_fsm_in *in, struct elect_out *out)
{
	if (!elect_persist_done(c, in->ev->ok))
		return;
	if (c->holder_unverified)
		elect_listen_again(c, ELECT_WHY_RESUMED, out);
	else
		elect_solicit_hellos(c, out);
}

static void
on_shutdown(
    struct elect *c, const struct elect_fsm_in *in, struct elect_out *out)
{
	(void)in;
	elect_set_state(c, ELECT_ST_STOPPED, ELECT_WHY_SHUTDOWN, out);
	/* Peers stop ranking a stopped member at once, not after 3 HELLOs. */
	elect_send_hello(c, NULL, out);
}

/* A holder resigns first, naming the best member its successor. */
static void
on_shutdown_holder(
    struct elect *c, const struct elect_fsm_in *in, struct elect_out *out)
{
	const struct elect_member *best =
	    elect_members_best(&c->members, c->now_ms, NULL);

	elect_resign(c, best ? &best->id : NULL, ELECT_WHY_SHUTDOWN, out);
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
	elect_resign(c, &to->id, ELECT_WHY_HANDOVER, out);
	return ELECT_HANDOVER_DONE;
}

/* Not holding, elect_step() answers ELECT_HANDOVER_NOT_HOLDER. */
static void
on_handover(
    struct elect *c, const struct elect_fsm_in *in, struct elect_out *out)
{
	out->handover = handover(c, in->ev, out);
}

/*
 * The address vanished under us: within our lease it goes back for what
 * is left of it (the kernel must not hold it past the lease this core
 * gave, D3); past it, the lease decided already.
 */
static void
on_addr_lost(
    struct elect *c, const struct elect_fsm_in *in, struct elect_out *out)
{
	struct elect_action *a;

	(void)in;
	if (c->now_ms >= c->fence_until_ms) {
		elect_become_standby(c, ELECT_WHY_LEASE_EXPIRED, out);
		return;
	}
	a = elect_push(out, ELECT_ACT_ADDR_ADD);
	a->lease_ms = (uint32_t)(c->fence_until_ms - c->now_ms);
}

static void
on_start(struct elect *c, const struct elect_fsm_in *in, struct elect_out *out)
{
	(void)in;
	if (elect_id_is_zero(&c->id))
		elect_new_id(c); /* persisted at the end of this step */
	c->state = ELECT_ST_STARTING;
	elect_set_state(c,
	    c->conf.priority ? ELECT_ST_STARTING : ELECT_ST_OBSERVER,
	    ELECT_WHY_START, out);
	c->listen_until_ms = c->now_ms + elect_listen_ms(c);
	elect_solicit_hellos(c, out);
	c->next_hello_ms = c->now_ms + c->conf.hello_interval_ms;
}

/*
 * Link down: we cannot serve nor resign (nothing would reach the peers),
 * so the address goes at once and a peer takes over by missed heartbeats.
 */
static void
on_link_down(
    struct elect *c, const struct elect_fsm_in *in, struct elect_out *out)
{
	(void)in;
	if (c->link_down)
		return;
	c->link_down = true;
	/* The heartbeats we miss now are our link's loss, not the way from
	 * the holder's: no gap is measured across it (elect_fence.c). */
	c->last_hb_ms = 0;
	elect_become_standby(c, ELECT_WHY_LINK_DOWN, out);
}

static void
on_link_up(
    struct elect *c, const struct elect_fsm_in *in, struct elect_out *out)
{
	(void)in;
	if (!c->link_down)
		return;
	c->link_down = false;
	elect_alive_silence_from_now(c); /* we heard nothing while down */
	elect_listen_again(c, ELECT_WHY_LINK_UP, out);
}

/*
 * Discovery saw where a member may be: a unicast HELLO with SOLICIT goes
 * there, so a peer whose group HELLOs we missed (or that missed ours)
 * answers with its own, challenged as any newcomer is. Nothing is
 * recorded: only an authenticated answer makes a member.
 */
static void
on_hint(struct elect *c, const struct elect_fsm_in *in, struct elect_out *out)
{
	if (c->link_down ||
	    (in->ev->src.family != 4 && in->ev->src.family != 6))
		return;
	elect_send_hello_flags(c, &in->ev->src, ELECT_FLAG_SOLICIT, out);
}

static void
on_probe_done(
    struct elect *c, const struct elect_fsm_in *in, struct elect_out *out)
{
	if (!c->probing)
		return; /* a late answer: a holder was heard meanwhile */
	c->probing = false;
	if (in->ev->conflict) {
		elect_become_standby(c, ELECT_WHY_ADDR_CONFLICT, out);
		return;
	}
	elect_wait_turn(c,
	    elect_turns_ms(c, elect_members_rank(&c->members, c->now_ms,
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
on_check(struct elect *c, const struct elect_fsm_in *in, struct elect_out *out)
{
	bool was_fit = elect_fit_to_serve(c);

	count_check(c, in->ev->ok);
	/* A HELLO "on change": members rank an unfit node last. */
	if (was_fit != elect_fit_to_serve(c))
		elect_send_hello(c, NULL, out);
}

/* The holder's own service check: failing, it hands over and holds off. */
static void
on_check_holder(
    struct elect *c, const struct elect_fsm_in *in, struct elect_out *out)
{
	const struct elect_member *best;
	bool was_fit = elect_fit_to_serve(c);
	bool ok = in->ev->ok;

	count_check(c, ok);
	/* A pass short of rise keeps an unfit holder: it is no failure. */
	if (!ok && !c->check_ok) {
		c->holddown_until_ms = c->now_ms + c->conf.holddown_ms;
		best = elect_members_best(&c->members, c->now_ms, NULL);
		elect_resign(
		    c, best ? &best->id : NULL, ELECT_WHY_SERVICE_FAILED, out);
		elect_send_hello(c, NULL, out); /* UNFIT: rank us last */
		return;
	}
	if (was_fit != elect_fit_to_serve(c))
		elect_send_hello(c, NULL, out);
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
	       (!conf->request_timeout_auto ||
		   (conf->request_timeout_min_ms > 0 &&
		       conf->request_timeout_min_ms <=
			   conf->request_timeout_ms)) &&
	       conf->n_watch <= ELECT_MAX_WATCH_PORTS &&
	       conf->priority != 255 &&
	       (conf->alive_interval_ms == 0 ||
		   (conf->alive_interval_ms >= ELECT_ALIVE_MIN_MS &&
		       conf->alive_interval_ms <= conf->hello_interval_ms)) &&
	       (conf->fence_ms == 0 || (conf->fence_ms >= ELECT_FENCE_MIN_MS &&
					   conf->fence_ms < conf->lease_ms));
}

/* SIGHUP: new timings and priority apply from now on (conf is valid:
 * elect_step() checked it). */
static void
reconf(struct elect *c, const struct elect_conf *conf)
{
	struct elect_conf next = *conf;

	/* The link's MAC and addresses may change (a recreated interface,
	 * a DHCP renewal), the keys too (key rotation); the DMZ address
	 * never does. */
	next.dmz = c->conf.dmz;
	next.dmz_prefix = c->conf.dmz_prefix;
	next.dmz6 = c->conf.dmz6;
	next.dmz6_prefix = c->conf.dmz6_prefix;
	c->conf = next;
	elect_key_reconf(c);
	elect_reqs_set_ports(&c->reqs, next.watch, next.n_watch);
	elect_detector_init(&c->detector, next.heartbeat_ms, next.dead_after,
	    c->detector.last_heard_ms);
	c->members.dead_after = next.dead_after;
	c->members.heartbeat_ms = next.heartbeat_ms;
	c->replay.challenge_every_ms = next.heartbeat_ms;
	c->replay.stale_ms = elect_detect_window(c);
	/* The periodic HELLO goes now: peers learn the new priority, and
	 * the new period and member expiry count from here. */
	c->next_hello_ms = c->now_ms;
}

/* Priority 0 makes an observer of us. */
static void
on_reconf(struct elect *c, const struct elect_fsm_in *in, struct elect_out *out)
{
	reconf(c, in->ev->conf);
	if (c->conf.priority == 0)
		elect_become_standby(c, ELECT_WHY_START, out);
}

/* Priority 0: a holder hands over to whoever claims first. */
static void
on_reconf_holder(
    struct elect *c, const struct elect_fsm_in *in, struct elect_out *out)
{
	reconf(c, in->ev->conf);
	if (c->conf.priority != 0)
		return;
	elect_resign(c, NULL, ELECT_WHY_HANDOVER, out);
	elect_become_standby(c, ELECT_WHY_START, out);
}

/* A priority above 0: an observer listens, then may claim. */
static void
on_reconf_observer(
    struct elect *c, const struct elect_fsm_in *in, struct elect_out *out)
{
	reconf(c, in->ev->conf);
	if (c->conf.priority > 0)
		elect_listen_again(c, ELECT_WHY_START, out);
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
	c->boot = elect_rng_next(c);
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
	elect_detector_init(
	    &c->detector, conf->heartbeat_ms, conf->dead_after, now_ms);
	/* A member that missed three HELLOs is gone; a heartbeat refreshes. */
	elect_members_init(&c->members,
	    3 * (uint64_t)conf->hello_interval_ms + conf->heartbeat_ms);
	c->members.dead_after = conf->dead_after;
	c->members.heartbeat_ms = conf->heartbeat_ms;
	elect_replay_init(&c->replay);
	c->replay.challenge_every_ms = conf->heartbeat_ms;
	c->replay.stale_ms = elect_detect_window(c);
	elect_reqs_init(&c->reqs);
	elect_reqs_set_ports(&c->reqs, conf->watch, conf->n_watch);
	elect_key_init(c);
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

/*
 * Every transition of the election, as OpenBSD's ospfd keeps its
 * nbr_fsm_tbl[]: for a state (a mask of states), an event, the handler
 * that acts, and the states it may leave us in ("=": the same; where two
 * are named, the handler picks by what it sees). elect_fsm_dispatch() runs the
 * first row that matches. A (state, event) pair not in the table is
 * ignored: the event changes nothing in that state. STOPPED has no row:
 * elect_step() still verifies and counts its datagrams, nothing more.
 * doc/design.md §5.3 is this table in prose; keep the two alike.
 */
static const struct {
	unsigned states;
	enum elect_fsm_event event;
	elect_fsm_handler *handler;
	const char *next;
} fsm_tbl[] = {
    /* state(s)		event		handler			next */
    {ST_LIVE, ELECT_FSM_START, on_start, "starting|observer"},
    {ST(STARTING), ELECT_FSM_LATE, elect_on_late_starting, "="},
    {ST(STANDBY) | ST(OBSERVER), ELECT_FSM_LATE, elect_on_late_listening, "="},
    {ST(CANDIDATE), ELECT_FSM_LATE, elect_on_late_candidate, "standby"},
    {ST(HOLDER), ELECT_FSM_LATE, elect_on_late_holder, "=|standby"},
    {ST(STARTING), ELECT_FSM_TIMER, elect_on_timer_starting,
	"=|candidate|standby"},
    {ST(STANDBY), ELECT_FSM_TIMER, elect_on_timer_standby, "=|candidate"},
    {ST(OBSERVER), ELECT_FSM_TIMER, elect_on_timer_observer, "="},
    {ST(CANDIDATE), ELECT_FSM_TIMER, elect_on_timer_candidate,
	"=|holder|standby"},
    {ST(HOLDER), ELECT_FSM_TIMER, elect_on_timer_holder, "=|standby"},
    {ST(HOLDER), ELECT_FSM_HELLO, elect_on_hello, "= (hands over later)"},
    {ST_NOT_HOLDER, ELECT_FSM_HOLDER_MSG, elect_on_holder_msg, "=|standby"},
    {ST(HOLDER), ELECT_FSM_HOLDER_MSG, elect_on_rival_holder, "=|standby"},
    {ST_NOT_HOLDER, ELECT_FSM_RESIGN, elect_on_resign,
	"=|candidate|holder|standby"},
    {ST(HOLDER), ELECT_FSM_PROBE, elect_on_probe, "=|standby"},
    {ST_NOT_HOLDER, ELECT_FSM_PROBE, elect_on_probe_resigned, "="},
    {ST(STANDBY), ELECT_FSM_PROBE_ACK, elect_on_probe_ack, "=|candidate"},
    {ST(CANDIDATE), ELECT_FSM_PROBE_ACK, elect_on_silent_holder_ack,
	"=|standby"},
    {ST_NOT_HOLDER, ELECT_FSM_OWN_ID, elect_on_own_id, "="},
    {ST(HOLDER), ELECT_FSM_OWN_ID, elect_on_own_id_holder, "=|standby"},
    {ST_NOT_HOLDER, ELECT_FSM_SHUTDOWN, on_shutdown, "stopped"},
    {ST(HOLDER), ELECT_FSM_SHUTDOWN, on_shutdown_holder, "stopped"},
    {ST(HOLDER), ELECT_FSM_HANDOVER, on_handover, "=|standby"},
    {ST(HOLDER), ELECT_FSM_ADDR_LOST, on_addr_lost, "=|standby"},
    {ST_LIVE, ELECT_FSM_LINK_DOWN, on_link_down, "standby|observer"},
    {ST_LIVE, ELECT_FSM_LINK_UP, on_link_up, "starting|observer"},
    {ST(CANDIDATE), ELECT_FSM_PROBE_DONE, on_probe_done, "=|standby"},
    {ST(STARTING) | ST(STANDBY) | ST(CANDIDATE), ELECT_FSM_RECONF, on_reconf,
	"=|observer"},
    {ST(HOLDER), ELECT_FSM_RECONF, on_reconf_holder, "=|observer"},
    {ST(OBSERVER), ELECT_FSM_RECONF, on_reconf_observer, "=|starting"},
    {ST(STANDBY), ELECT_FSM_REQUEST, elect_on_request, "="},
    {ST_LIVE, ELECT_FSM_ANSWER, elect_on_answer, "="},
    {ST_NOT_HOLDER, ELECT_FSM_CHECK, on_check, "="},
    {ST(HOLDER), ELECT_FSM_CHECK, on_check_holder, "=|standby"},
    {ST_LIVE & ~ST(CANDIDATE), ELECT_FSM_PERSIST_DONE, on_persist_done, "="},
    {ST(CANDIDATE), ELECT_FSM_PERSIST_DONE, on_persist_done_candidate,
	"=|starting"},
    {ST_LIVE, ELECT_FSM_HINT, on_hint, "="},
    {ST(HOLDER), ELECT_FSM_GUARD_RESIGNED, elect_on_guard_resigned, "standby"},
};

void
elect_fsm_dispatch(struct elect *c, enum elect_fsm_event ev,
    const struct elect_fsm_in *in, struct elect_out *out)
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
static enum elect_fsm_event
caller_event(const struct elect_event *ev)
{
	switch (ev->type) {
	case ELECT_EV_START:
		return ELECT_FSM_START;
	case ELECT_EV_SHUTDOWN:
		return ELECT_FSM_SHUTDOWN;
	case ELECT_EV_HANDOVER:
		return ELECT_FSM_HANDOVER;
	case ELECT_EV_ADDR_LOST:
		return ELECT_FSM_ADDR_LOST;
	case ELECT_EV_LINK:
		return ev->up ? ELECT_FSM_LINK_UP : ELECT_FSM_LINK_DOWN;
	case ELECT_EV_PROBE_DONE:
		return ELECT_FSM_PROBE_DONE;
	case ELECT_EV_RECONF:
		return ELECT_FSM_RECONF;
	case ELECT_EV_REQUEST:
		return ELECT_FSM_REQUEST;
	case ELECT_EV_ANSWER:
		return ELECT_FSM_ANSWER;
	case ELECT_EV_CHECK:
		return ELECT_FSM_CHECK;
	case ELECT_EV_PERSIST_DONE:
		return ELECT_FSM_PERSIST_DONE;
	case ELECT_EV_HINT:
		return ELECT_FSM_HINT;
	case ELECT_EV_GUARD_RESIGNED:
		return ELECT_FSM_GUARD_RESIGNED;
	case ELECT_EV_RX:
	case ELECT_EV_TIMER:
	case ELECT_EV_SITE_SEND:
	case ELECT_EV_KEY_ROTATE:
		break;
	}
	return ELECT_FSM_TIMER; /* not reached: elect_step() handles those */
}

static bool
event_is_valid(const struct elect_event *ev)
{
	if (ev == NULL || ev->type < ELECT_EV_START ||
	    ev->type > ELECT_EV_KEY_ROTATE)
		return false;
	if (ev->type == ELECT_EV_SITE_SEND)
		return ev->len <= ELECT_ENTRIES_MAX &&
		       (ev->buf != NULL || ev->len == 0) &&
		       (ev->src.family == 0 || ev->src.family == 4 ||
			   ev->src.family == 6);
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
	struct elect_fsm_in in = {ev, NULL, NULL};
	struct elect_msg m;

	out->nact = 0;
	out->wake_ms = 0;
	out->handover = ELECT_HANDOVER_NOT_HOLDER;
	out->rotate = ELECT_ROTATE_NO_NEXT;
	if (now_ms < c->now_ms || !event_is_valid(ev))
		return -1;
	c->prev_now_ms = c->now_ms;
	c->now_ms = now_ms;
	/* The fence: the longest the loop went without a step since the
	 * kernel's lease was last renewed (elect_timers.c). */
	if (now_ms - c->prev_now_ms > c->stall_ms)
		c->stall_ms = now_ms - c->prev_now_ms;
	c->timer_step = ev->type == ELECT_EV_TIMER;
	c->rx_at_ms = now_ms - (ev->rx_age_ms < now_ms ? ev->rx_age_ms : 0);
	if (c->state == ELECT_ST_STOPPED) {
		/* No row: a datagram is still verified and counted. */
		if (ev->type == ELECT_EV_RX)
			(void)elect_rx_verify(c, ev, &m, out);
		return 0;
	}
	if (c->due_ms != 0 && now_ms > c->due_ms + c->conf.heartbeat_ms)
		elect_fsm_dispatch(c, ELECT_FSM_LATE, &in, out);
	if (ev->type == ELECT_EV_RX)
		elect_on_rx(c, ev, out);
	else if (ev->type == ELECT_EV_SITE_SEND)
		elect_site_send(c, ev, out);
	else if (ev->type == ELECT_EV_KEY_ROTATE)
		elect_key_rotate(c, ev, out);
	else if (ev->type != ELECT_EV_TIMER) /* timers run after any event */
		elect_fsm_dispatch(c, caller_event(ev), &in, out);
	if (c->state != ELECT_ST_STOPPED)
		elect_run_timers(c, out);
	elect_key_step(c, out);
	elect_sync_farewell(c, out); /* a sequence it takes is reserved below */
	elect_sync_persist(c, out);
	out->wake_ms = c->due_ms = elect_next_wake(c);
	return 0;
}

enum elect_state
elect_get_state(const struct elect *c)
{
	return c->state;
}

bool
elect_is_probing(const struct elect *c)
{
	/* A candidate that heard a holder left with the flag still up. */
	return c->state == ELECT_ST_CANDIDATE && c->probing;
}

void
elect_set_public(struct elect *c, const struct elect_addr *pub, size_t n)
{
	bool has4 = false, has6 = false;
	size_t i;

	c->n_pub = 0;
	for (i = 0; i < n && c->n_pub < ELECT_MAX_PUBLIC; i++) {
		if ((pub[i].family == 4 && !has4) ||
		    (pub[i].family == 6 && !has6)) {
			has4 = has4 || pub[i].family == 4;
			has6 = has6 || pub[i].family == 6;
			c->pub[c->n_pub++] = pub[i];
		}
	}
}

size_t
elect_get_holder_public(
    const struct elect *c, struct elect_addr *out, size_t max)
{
	size_t n;

	if (c->state == ELECT_ST_HOLDER || !c->has_holder)
		return 0;
	n = c->n_holder_pub < max ? c->n_holder_pub : max;
	memcpy(out, c->holder_pub, n * sizeof(*out));
	return n;
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
	/* The kernel's lease end: the fence's, or the lease's without. */
	return c->state == ELECT_ST_HOLDER ? c->fence_until_ms : 0;
}

uint64_t
elect_get_peer_lease_until(const struct elect *c)
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

bool
elect_get_fence_trusted(const struct elect *c)
{
	const struct elect_member *h;

	if (!c->has_holder)
		return false;
	h = elect_members_find(
	    (struct elect_members *)&c->members, &c->holder.id);
	return h != NULL && elect_fence_trusted(c, h);
}

enum elect_fence_why
elect_get_round_fence(const struct elect *c, uint64_t *loss_age_ms)
{
	if (loss_age_ms != NULL)
		*loss_age_ms = c->round_loss_age_ms;
	return c->round_fence_why;
}

uint32_t
elect_get_probe_timeout(const struct elect *c, uint32_t *samples)
{
	if (samples != NULL)
		*samples = c->probe_rto.samples;
	return elect_probe_timeout(c);
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
		elect_member_info_fill(m, now_ms, &info[n]);
		info[n++].has_next_key = elect_key_member_has_next(c, m);
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
