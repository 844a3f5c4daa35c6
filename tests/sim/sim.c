/*
 * tests/sim/sim.c — the simulated world: event queue, network, node life
 * and the invariant checks run after every step of every core.
 *
 * The loop pops the earliest event (time, then insertion number), steps
 * that node's core, applies its actions (sends become deliveries, address
 * actions move the node's "kernel" address, PERSIST writes its "disk") and
 * checks every invariant. Nothing here reads a clock or calls rand().
 */
#include "config.h"

#include "tests/sim/sim.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum sim_ev_type {
	EV_WAKE = 1,
	EV_DELIVER,
	EV_CLIENT,    /* the next client request leaves the router */
	EV_REQ,	      /* it reaches the LAN: node = the kernel holder */
	EV_ANS,	      /* node answers it */
	EV_CHECK,     /* node's service check is done; gen = its start */
	EV_ARP,	      /* node's ARP probe is done; gen = its start */
	EV_PERSIST,   /* node's state write is done; gen = its start */
	EV_ADVERSARY, /* the adversary replays a captured datagram */
	EV_GUARD,     /* a frozen node's fence runs out; gen = guard_gen */
};

struct sim_ev {
	uint64_t at_ms;
	uint64_t ord;
	int type;
	int node;
	int pkt;
	uint32_t gen;
	uint64_t flow; /* EV_REQ, EV_ANS */
};

struct sim_pkt {
	int next_free;
	int src;  /* the sending node */
	int type; /* enum elect_msg_type, decoded once at send */
	/* HEARTBEAT/CLAIM: the sender's kernel lease end when sent (h) */
	uint64_t lease_until;
	uint64_t tenure; /* the sender's tenure then */
	size_t len;
	uint8_t buf[ELECT_WIRE_MAX];
};

static const uint8_t dmz_addr[4] = {192, 168, 1, 11};

static void *
xrealloc(void *p, size_t n, size_t size)
{
	void *q;

	if (n != 0 && size > SIZE_MAX / n)
		abort();
	q = realloc(p, n * size);
	if (q == NULL)
		abort();
	return q;
}

/* ---- failure ---- */

int
sim_fail(struct sim *s, int node, const char *fmt, ...)
{
	char what[SIM_MSG_MAX / 2];
	va_list ap;

	if (s->failed)
		return -1;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	snprintf(s->msg, sizeof(s->msg),
	    "t=%" PRIu64 " ms step %" PRIu64 " node %s: %s", s->now,
	    s->stats.steps, node >= 0 ? s->node[node].name : "-", what);
	s->failed = true;
	return -1;
}

/* ---- the event queue: a binary heap on (at_ms, ord) ---- */

static bool
ev_before(const struct sim_ev *a, const struct sim_ev *b)
{
	if (a->at_ms != b->at_ms)
		return a->at_ms < b->at_ms;
	return a->ord < b->ord;
}

static void
heap_push(struct sim *s, struct sim_ev ev)
{
	size_t i, parent;

	if (s->n_heap == s->cap_heap) {
		s->cap_heap = s->cap_heap ? 2 * s->cap_heap : 256;
		s->heap = xrealloc(s->heap, s->cap_heap, sizeof(*s->heap));
	}
	ev.ord = s->ord++;
	i = s->n_heap++;
	while (i > 0) {
		parent = (i - 1) / 2;
		if (!ev_before(&ev, &s->heap[parent]))
			break;
		s->heap[i] = s->heap[parent];
		i = parent;
	}
	s->heap[i] = ev;
}

static struct sim_ev
heap_pop(struct sim *s)
{
	struct sim_ev top = s->heap[0], last = s->heap[--s->n_heap];
	size_t i = 0, child;

	for (;;) {
		child = 2 * i + 1;
		if (child >= s->n_heap)
			break;
		if (child + 1 < s->n_heap &&
		    ev_before(&s->heap[child + 1], &s->heap[child]))
			child++;
		if (!ev_before(&s->heap[child], &last))
			break;
		s->heap[i] = s->heap[child];
		i = child;
	}
	if (s->n_heap > 0)
		s->heap[i] = last;
	return top;
}

/* ---- datagrams in flight ---- */

/*
 * (h): the lease a HEARTBEAT/CLAIM announces (LEASE_MS from now): the
 * sender's kernel holds at most that long unless it speaks again, and
 * with a fence (FENCE_MS) only as long as its loop runs.
 */
/* A datagram of a node: under the key, or the next key of a rotation. */
static enum elect_wire_err
sim_decode(
    const struct sim *s, const uint8_t *buf, size_t len, struct elect_msg *m)
{
	bool by_next;

	return elect_wire_decode_either(
	    buf, len, s->key, s->next_key, m, &by_next);
}

static uint64_t
announced_lease(struct sim *s, int i, const uint8_t *buf, size_t len)
{
	struct elect_msg m;

	if (sim_decode(s, buf, len, &m) != ELECT_WIRE_OK ||
	    !(m.has & ELECT_HAS_LEASE))
		return s->node[i].addr_until;
	return s->now + m.lease_ms;
}

static int
pkt_new(struct sim *s, int src, const uint8_t *buf, size_t len, int type)
{
	int p;

	if (s->free_pkt < 0) {
		if (s->n_pkt == s->cap_pkt) {
			s->cap_pkt = s->cap_pkt ? 2 * s->cap_pkt : 256;
			s->pkt = xrealloc(s->pkt, s->cap_pkt, sizeof(*s->pkt));
		}
		s->pkt[s->n_pkt].next_free = -1;
		s->free_pkt = (int)s->n_pkt++;
	}
	p = s->free_pkt;
	s->free_pkt = s->pkt[p].next_free;
	memcpy(s->pkt[p].buf, buf, len);
	s->pkt[p].len = len;
	s->pkt[p].type = type;
	s->pkt[p].src = src;
	s->pkt[p].lease_until = 0;
	s->pkt[p].tenure = s->node[src].tenure;
	if ((type == ELECT_MSG_HEARTBEAT || type == ELECT_MSG_CLAIM) &&
	    s->node[src].addr_held)
		s->pkt[p].lease_until = announced_lease(s, src, buf, len);
	return p;
}

static void
pkt_free(struct sim *s, int p)
{
	s->pkt[p].next_free = s->free_pkt;
	s->free_pkt = p;
}

/* ---- set-up ---- */

void
sim_init(struct sim *s, struct elect_key *key, int n_nodes, uint64_t seed)
{
	struct sim_ev *heap = s->heap;
	struct sim_pkt *pkt = s->pkt;
	size_t cap_heap = s->cap_heap, cap_pkt = s->cap_pkt;
	int i;

	/* The queues are kept across runs: a scenario allocates nothing. */
	memset(s, 0, sizeof(*s));
	s->heap = heap;
	s->cap_heap = cap_heap;
	s->pkt = pkt;
	s->cap_pkt = cap_pkt;
	s->free_pkt = -1;
	s->key = key;
	s->n_nodes = n_nodes < SIM_MAX_NODES ? n_nodes : SIM_MAX_NODES;
	s->check.holder = -1;
	s->check.joiner = -1;
	s->check.named = -1;
	s->clients.router_last = -1;
	for (i = 0; i < SIM_MAX_NODES; i++) {
		s->node[i].svc_up = true;
		s->node[i].link_up = true;
	}
	s->net.delay_min_ms = 1;
	s->net.delay_max_ms = 2;
	sim_rng_seed(&s->rng, seed);
	sim_rng_seed(&s->adv_rng, seed ^ 0x7ad7e5a4ull);
}

void
sim_cleanup(struct sim *s)
{
	int i;

	for (i = 0; i < SIM_MAX_NODES; i++) {
		elect_free(s->node[i].core);
		s->node[i].core = NULL;
	}
	free(s->heap);
	free(s->pkt);
	s->heap = NULL;
	s->pkt = NULL;
	s->n_heap = s->cap_heap = s->n_pkt = s->cap_pkt = 0;
}

void
sim_node_conf(struct sim *s, int i, const char *name)
{
	struct sim_node *n = &s->node[i];
	struct elect_conf *c = &n->conf;

	elect_conf_defaults(c);
	c->key = s->key;
	snprintf(n->name, sizeof(n->name), "%s", name);
	snprintf(c->name, sizeof(c->name), "%s", name);
	c->n_addrs = 1;
	c->addrs[0].family = 4;
	c->addrs[0].b[0] = 10;
	c->addrs[0].b[3] = (uint8_t)(i + 1);
	c->dmz.family = 4;
	memcpy(c->dmz.b, dmz_addr, sizeof(dmz_addr));
	c->dmz_prefix = 24;
	c->watch[0].proto = 6; /* the clients' service (flow_port()) */
	c->watch[0].port = 80;
	c->n_watch = 1;
}

bool
sim_is_live(const struct sim *s, int i)
{
	return s->node[i].run == SIM_UP;
}

static int
node_by_addr(const struct sim *s, const struct elect_addr *a)
{
	int i;

	if (a->family != 4 || a->b[0] != 10 || a->b[1] != 0 || a->b[2] != 0)
		return -1;
	i = a->b[3] - 1;
	return i >= 0 && i < s->n_nodes ? i : -1;
}

/* ---- trace ---- */

static const char *
act_name(enum elect_action_type t)
{
	switch (t) {
	case ELECT_ACT_SEND:
		return "send";
	case ELECT_ACT_ADDR_ADD:
		return "addr-add";
	case ELECT_ACT_ADDR_REFRESH:
		return "addr-refresh";
	case ELECT_ACT_ADDR_DEL:
		return "addr-del";
	case ELECT_ACT_STATE:
		return "state";
	case ELECT_ACT_PERSIST:
		return "persist";
	case ELECT_ACT_DROP:
		return "drop";
	case ELECT_ACT_PROBE:
		return "arp-probe";
	case ELECT_ACT_CHECK:
		return "check";
	case ELECT_ACT_ANNOUNCE:
		return "announce";
	case ELECT_ACT_CONFLICT:
		return "conflict";
	case ELECT_ACT_FAREWELL:
		return "farewell";
	case ELECT_ACT_SITE_DIFFERS:
		return "site-differs";
	case ELECT_ACT_SITE_STATE:
		return "site-state";
	case ELECT_ACT_MEMBER_DEAD:
		return "member-dead";
	case ELECT_ACT_MEMBER_UP:
		return "member-up";
	}
	return "?";
}

static const char *
ev_name(enum elect_event_type t)
{
	switch (t) {
	case ELECT_EV_START:
		return "start";
	case ELECT_EV_TIMER:
		return "timer";
	case ELECT_EV_RX:
		return "rx";
	case ELECT_EV_SHUTDOWN:
		return "shutdown";
	case ELECT_EV_HANDOVER:
		return "handover";
	case ELECT_EV_LINK:
		return "link";
	case ELECT_EV_PROBE_DONE:
		return "arp-done";
	case ELECT_EV_RECONF:
		return "reconf";
	case ELECT_EV_REQUEST:
		return "request";
	case ELECT_EV_ANSWER:
		return "answer";
	case ELECT_EV_CHECK:
		return "check-done";
	case ELECT_EV_PERSIST_DONE:
		return "persist-done";
	case ELECT_EV_ADDR_LOST:
		return "addr-lost";
	case ELECT_EV_HINT:
		return "hint";
	case ELECT_EV_GUARD_RESIGNED:
		return "guard-resigned";
	case ELECT_EV_SITE_SEND:
		return "site-send";
	case ELECT_EV_KEY_ROTATE:
		return "key-rotate";
	}
	return "?";
}

/* One line per step: time, node, event, then each action. */
static void
trace_step(
    struct sim *s, int i, const struct elect_event *ev, int rx_type, int rx_src)
{
	const struct elect_out *out = &s->out;
	const struct elect_action *a;
	struct elect_msg m;
	size_t k;

	printf(
	    "%8" PRIu64 " %-4s %s", s->now, s->node[i].name, ev_name(ev->type));
	if (ev->type == ELECT_EV_RX)
		printf(" %s<%s", elect_msg_type_name(rx_type),
		    rx_src >= 0 ? s->node[rx_src].name : "?");
	else if (ev->type == ELECT_EV_REQUEST || ev->type == ELECT_EV_ANSWER)
		printf(" flow %" PRIu64 " port %u", ev->flow, ev->port);
	else if (ev->type == ELECT_EV_LINK)
		printf(" %s", ev->up ? "up" : "down");
	else if (ev->type == ELECT_EV_PROBE_DONE)
		printf(" %s", ev->conflict ? "conflict" : "free");
	else if (ev->type == ELECT_EV_CHECK)
		printf(" %s", ev->ok ? "ok" : "failed");
	else if (ev->type == ELECT_EV_RECONF)
		printf(" priority %u preempt %s", ev->conf->priority,
		    ev->conf->preempt ? "on" : "off");
	for (k = 0; k < out->nact; k++) {
		a = &out->act[k];
		printf(" | %s", act_name(a->type));
		if (a->type == ELECT_ACT_SEND) {
			if (sim_decode(s, a->buf, a->len, &m) == ELECT_WIRE_OK)
				printf(" %s e%" PRIu64,
				    elect_msg_type_name(m.type), m.epoch);
			printf(" >%s", a->dest.family == 0 ? "group" : "uni");
		} else if (a->type == ELECT_ACT_STATE) {
			printf(" %s>%s (%s)", elect_state_name(a->old),
			    elect_state_name(a->state),
			    elect_reason_name(a->reason));
		} else if (a->type == ELECT_ACT_ADDR_ADD ||
			   a->type == ELECT_ACT_ADDR_REFRESH) {
			printf(" %" PRIu32 "ms", a->lease_ms);
		} else if (a->type == ELECT_ACT_PERSIST) {
			printf(" e%" PRIu64, a->persist.epoch);
		} else if (a->type == ELECT_ACT_DROP) {
			printf(" %s", elect_wire_err_name(a->err));
		}
	}
	printf(" | wake %" PRIu64 "\n", out->wake_ms);
}

/* The readable timeline: state and address changes only. */
static void
timeline_act(struct sim *s, int i, const struct elect_action *a)
{
	const char *name = s->node[i].name;
	uint64_t t = s->now;

	switch (a->type) {
	case ELECT_ACT_STATE:
		printf("%7" PRIu64 " ms  %-3s %s -> %s (%s)\n", t, name,
		    elect_state_name(a->old), elect_state_name(a->state),
		    elect_reason_name(a->reason));
		break;
	case ELECT_ACT_ADDR_ADD:
		printf("%7" PRIu64 " ms  %-3s adds the DMZ address "
		       "192.168.1.11/24, lease %" PRIu32 " ms\n",
		    t, name, a->lease_ms);
		break;
	case ELECT_ACT_ADDR_DEL:
		printf(
		    "%7" PRIu64 " ms  %-3s drops the DMZ address\n", t, name);
		break;
	default:
		break;
	}
}

/* ---- the network ---- */

/* (h): what a lossy LAN, a cut link or a partition kept between two
 * nodes: a claim beside a live holder may follow (the fence's price). */
static void
note_lost(struct sim *s, int a, int b)
{
	if (a < 0 || b < 0 || a == b)
		return;
	s->node[a].lost_since_heard[b]++;
	s->node[b].lost_since_heard[a]++;
}

/*
 * (h): a datagram from a to b that takes longer than a's fence margin.
 * The fence claims a PROBE round + the fence + that margin after its
 * first PROBE; one that reaches a live holder later (the LAN's delay
 * jumped from 0 to 30 ms just then: scenario 7956 of seed 1) lets it
 * renew after the claimant's gate, as a lost PROBE would, and it yields
 * to the CLAIM.
 */
static void
note_late(struct sim *s, int a, int b, uint64_t delay)
{
	if (a < 0 || b < 0 || a == b || s->node[a].core == NULL)
		return;
	if (delay > elect_get_fence_margin(s->node[a].core))
		s->node[a].late_since_heard[b]++;
}

static void
deliver_one(
    struct sim *s, int from, int to, const uint8_t *buf, size_t len, int type)
{
	const struct sim_net *net = &s->net;
	struct sim_ev ev = {0};
	int copies = 1, c;
	uint64_t delay;

	if (sim_rng_permille(&s->rng, net->loss_pm)) {
		s->stats.lost++;
		note_lost(s, from, to);
		return;
	}
	if (!s->node[to].link_up) {
		note_lost(s, from, to);
		return;
	}
	if (sim_rng_permille(&s->rng, net->dup_pm))
		copies = 2;
	for (c = 0; c < copies; c++) {
		delay = sim_rng_range(
		    &s->rng, net->delay_min_ms, net->delay_max_ms);
		ev.at_ms = s->now + delay;
		if (sim_rng_permille(&s->rng, net->reorder_pm))
			ev.at_ms +=
			    sim_rng_range(&s->rng, 1, net->reorder_max_ms);
		else if (net->fifo && c == 0) {
			/* Jitter alone does not reorder one path's frames. */
			if (ev.at_ms < s->last_at[from][to])
				ev.at_ms = s->last_at[from][to];
			s->last_at[from][to] = ev.at_ms;
		}
		note_late(s, from, to, ev.at_ms - s->now);
		ev.type = EV_DELIVER;
		ev.node = to;
		ev.pkt = pkt_new(s, from, buf, len, type);
		heap_push(s, ev);
		s->stats.deliveries++;
	}
}

/* The adversary keeps some of what it sees, old datagrams as well as new
 * ones (a slot is overwritten now and then, at random). */
static void
capture(struct sim *s, int i, const struct elect_action *a, int type)
{
	struct sim_capture *c;

	if (s->n_cap < SIM_CAPTURES)
		c = &s->cap[s->n_cap++];
	else if (sim_rng_permille(&s->adv_rng, 250))
		c = &s->cap[sim_rng_range(&s->adv_rng, 0, SIM_CAPTURES - 1)];
	else
		return;
	c->src = i;
	c->type = type;
	c->len = a->len;
	memcpy(c->buf, a->buf, a->len);
	/* (h): what it says of its sender's lease is what was true then. */
	c->tenure = s->node[i].tenure;
	c->lease_until = 0;
	if ((type == ELECT_MSG_HEARTBEAT || type == ELECT_MSG_CLAIM) &&
	    s->node[i].addr_held)
		c->lease_until = announced_lease(s, i, a->buf, a->len);
}

static int
route_send(struct sim *s, int i, const struct elect_action *a)
{
	struct elect_msg m;
	enum elect_wire_err err;
	int j;

	err = sim_decode(s, a->buf, a->len, &m);
	if (err != ELECT_WIRE_OK)
		return sim_fail(s, i,
		    "sanity: the core sent a datagram its "
		    "own decoder rejects (%s)",
		    elect_wire_err_name(err));
	s->stats.sends++;
	/* (b): only what the disk took is used: sequences below the
	 * reservation, epochs at most the ceiling. */
	if (m.seq >= s->node[i].disk.seq_reserved)
		return sim_fail(s, i,
		    "invariant (b): sends sequence %" PRIu64
		    " not below the reservation on disk %" PRIu64,
		    m.seq, s->node[i].disk.seq_reserved);
	if (m.type == ELECT_MSG_CLAIM || m.type == ELECT_MSG_HEARTBEAT) {
		if (m.epoch > s->node[i].disk.epoch)
			return sim_fail(s, i,
			    "invariant (b): %s at epoch %" PRIu64
			    " above the ceiling on disk %" PRIu64,
			    elect_msg_type_name(m.type), m.epoch,
			    s->node[i].disk.epoch);
		s->node[i].held_epoch = m.epoch;
		if (m.epoch > s->node[i].used_epoch)
			s->node[i].used_epoch = m.epoch;
		if (m.has & ELECT_HAS_LEASE)
			s->node[i].lease_announced = s->now + m.lease_ms;
	}
	/* (h): a RESIGN lets the successor claim at once: the holder must
	 * have dropped the address before it says so. */
	if (m.type == ELECT_MSG_RESIGN && s->node[i].addr_held)
		return sim_fail(s, i,
		    "invariant (h): sends RESIGN while its kernel "
		    "still holds the address (until %" PRIu64 " ms)",
		    s->node[i].addr_until);
	if (!s->node[i].link_up) {
		for (j = 0; j < s->n_nodes; j++)
			note_lost(s, i, j);
		return m.type; /* a cut link sends nothing */
	}
	capture(s, i, a, m.type);
	if (a->dest.family == 0) {
		for (j = 0; j < s->n_nodes; j++)
			if (j != i && s->node[j].group == s->node[i].group)
				deliver_one(s, i, j, a->buf, a->len, m.type);
			else
				note_lost(s, i, j);
		return m.type;
	}
	j = node_by_addr(s, &a->dest);
	if (j >= 0 && j != i && s->node[j].group == s->node[i].group)
		deliver_one(s, i, j, a->buf, a->len, m.type);
	else
		note_lost(s, i, j);
	return m.type;
}

/* ---- applying one step's actions ---- */

struct step_ctx {
	enum elect_state state; /* followed through the STATE actions */
	bool was_holder;
	bool heartbeat;
	bool heartbeat_unleased; /* one was sent with no lease current */
	bool refreshed;
	bool held_before;	       /* (i): HOLDER when the step began */
	uint64_t held_epoch;	       /* (i): its claim's epoch then */
	enum elect_reason held_reason; /* (i): why it left HOLDER */
};

/* A holder whose service is down may be replaced: (a) waits W again. */
static void
svc_change(struct sim *s, int holder)
{
	s->check.holder = holder;
	s->check.vacated = holder < 0;
	s->check.quiet_until = s->now + s->check.quiet_ms;
}

/* (d): the holder of the steady phase changes only by the one allowed
 * handover to a better node that joined with preempt on, or because its
 * service is down: then anybody may claim until the quiet window ends
 * (two claimants resolve as two holders do: the lesser yields), and the
 * new holder may hand over to a better preempting member within it: a
 * view of the members that the chaos left stale (a lost HELLO, a new
 * priority not heard) may make a lesser node claim first; counted as
 * "settled". Outside the window no holder hands over. */
static int
check_steady_change(struct sim *s, int i, const struct elect_action *a)
{
	struct sim_check *c = &s->check;
	bool quiet = s->now < c->quiet_until;

	if (!c->steady || s->node[i].mismatched)
		return 0;
	if (a->state == ELECT_ST_HOLDER && i != c->holder) {
		if (i == c->joiner && c->joined && !c->handed_over) {
			c->handed_over = true;
			c->holder = i;
			return 0;
		}
		if (c->vacated || quiet ||
		    (c->holder >= 0 && !s->node[c->holder].svc_up)) {
			if (!c->vacated && c->holder >= 0 &&
			    s->node[c->holder].svc_up)
				s->stats.contended++;
			svc_change(s, i);
			return 0;
		}
		return sim_fail(s, i,
		    "invariant (d): became holder (%s) "
		    "while %s held the address on a "
		    "healthy network",
		    elect_reason_name(a->reason),
		    c->holder >= 0 ? s->node[c->holder].name : "nobody");
	}
	if (a->old != ELECT_ST_HOLDER || i != c->holder)
		return 0;
	if (!s->node[i].svc_up ||
	    (quiet && a->reason == ELECT_WHY_BETTER_HOLDER)) {
		svc_change(s, -1);
		return 0;
	}
	if (quiet && a->reason == ELECT_WHY_HANDOVER) {
		s->stats.settled++;
		c->vacated = true; /* the successor claims next */
		return 0;
	}
	if (!(a->reason == ELECT_WHY_HANDOVER && c->joiner >= 0 && c->joined &&
		!c->handed_over))
		return sim_fail(s, i,
		    "invariant (d): the holder stepped "
		    "down (%s) on a healthy network",
		    elect_reason_name(a->reason));
	return 0;
}

static bool kernel_has(const struct sim *s, int j);
static bool site_dmz(const struct sim_node *);
static int check_mismatched_claim(struct sim *, int);

/* Whether the claim being made was let in by a fence (its core counted
 * one more than we saw): only a fence claims on a margin. */
static bool
claims_by_fence(const struct sim_node *n)
{
	struct elect_counters ctr;

	elect_get_counters(n->core, &ctr);
	return ctr.fence_claims > n->fence_claims_seen;
}

/*
 * (h): a node never becomes holder while another node's kernel still
 * answers for the address under a lease this node heard of: the lease end
 * carried (as the sender's kernel had it) by the last HEARTBEAT/CLAIM of
 * that node accepted by this one since its start, in the same tenure (the
 * sender has not dropped the address and taken it again since). A frozen
 * (paused) or killed holder keeps the address until then. What a partition or a
 * cut link kept from it, it could not know.
 */
static int
check_frozen_lease(struct sim *s, int i)
{
	const struct sim_node *n = &s->node[i];
	int j;

	if (!site_dmz(n))
		return 0; /* (l): another address, not the site's */
	for (j = 0; j < s->n_nodes; j++) {
		if (j == i || !kernel_has(s, j) ||
		    n->heard_tenure[j] != s->node[j].tenure)
			continue;
		/*
		 * The fence (doc/protocol.md): within the lease it heard, a
		 * node may claim once the holder left a round of PROBEs
		 * unanswered — its loop stopped, so its kernel lets the
		 * address go within the fence. Beside a live holder that
		 * happens only when the LAN lost what was between them: a
		 * live holder then hears the CLAIM and yields ((a) says how
		 * soon). Beside a frozen or killed one, never.
		 */
		if (n->lost_since_heard[j] > 0) {
			s->stats.lossy_claims++;
			continue;
		}
		if (n->late_since_heard[j] > 0 && claims_by_fence(n)) {
			s->stats.late_claims++;
			continue;
		}
		if (s->node[j].run == SIM_UP && s->now > n->heard_lease[j])
			continue;
		return sim_fail(s, i,
		    "invariant (h): becomes holder while %s's kernel "
		    "holds the address under a lease it heard of "
		    "(until %" PRIu64 " ms; %s %s)",
		    s->node[j].name, n->heard_lease[j], s->node[j].name,
		    s->node[j].frozen		   ? "frozen"
		    : s->node[j].run == SIM_PAUSED ? "paused"
		    : s->node[j].run == SIM_DOWN   ? "killed"
						   : "running");
	}
	return 0;
}

static int
apply_state(
    struct sim *s, int i, struct step_ctx *x, const struct elect_action *a)
{
	struct sim_node *n = &s->node[i];

	if (a->old != x->state)
		return sim_fail(s, i,
		    "sanity: STATE says it leaves %s but "
		    "it was %s",
		    elect_state_name(a->old), elect_state_name(x->state));
	if (a->state == ELECT_ST_HOLDER && n->conf.priority == 0)
		return sim_fail(s, i, "sanity: an observer became holder");
	if (a->state == ELECT_ST_HOLDER && a->old != ELECT_ST_HOLDER &&
	    n->conflict)
		return sim_fail(s, i,
		    "invariant (g): claims while its ARP probe saw "
		    "another host answer, no holder heard since");
	if (a->state == ELECT_ST_HOLDER && a->old != ELECT_ST_HOLDER &&
	    check_frozen_lease(s, i) != 0)
		return -1;
	if (a->state == ELECT_ST_HOLDER && a->old != ELECT_ST_HOLDER &&
	    s->check.named >= 0 && i != s->check.named && !n->mismatched)
		return sim_fail(s, i,
		    "invariant (m): claims (%s) while the handover named %s",
		    elect_reason_name(a->reason), s->node[s->check.named].name);
	if (a->old == ELECT_ST_HOLDER && a->reason == ELECT_WHY_SERVICE_FAILED)
		n->svc_fail_ms = s->now;
	if (a->state == ELECT_ST_HOLDER && a->old != ELECT_ST_HOLDER) {
		struct elect_counters ctr;

		elect_get_counters(n->core, &ctr);
		if (ctr.fence_claims > n->fence_claims_seen)
			s->stats.fence_claims +=
			    ctr.fence_claims - n->fence_claims_seen;
		n->fence_claims_seen = ctr.fence_claims;
		s->stats.failovers++;
		if (check_mismatched_claim(s, i) != 0)
			return -1;
	}
	if (a->old == ELECT_ST_HOLDER && a->reason == ELECT_WHY_LINK_LOSS)
		s->stats.loss_handovers++;
	if (a->old == ELECT_ST_HOLDER)
		x->held_reason = a->reason;
	x->state = a->state;
	if (a->state == ELECT_ST_HOLDER)
		x->was_holder = true;
	return check_steady_change(s, i, a);
}

static int
apply_addr(
    struct sim *s, int i, struct step_ctx *x, const struct elect_action *a)
{
	struct sim_node *n = &s->node[i];

	if (a->type == ELECT_ACT_ADDR_DEL) {
		n->addr_held = false;
		return 0;
	}
	if (n->conf.priority == 0)
		return sim_fail(s, i,
		    "sanity: an observer touches the "
		    "DMZ address");
	if (a->type == ELECT_ACT_ADDR_REFRESH) {
		x->refreshed = true;
		if (x->state != ELECT_ST_HOLDER)
			return sim_fail(s, i,
			    "invariant (c): %s refreshes "
			    "the lease",
			    elect_state_name(x->state));
		/* A holder whose fence lapsed while no PROBE came renews
		 * (elect_timers.c): the same tenure, resumed; (h) still
		 * holds every other node's claim against it. */
		if (!n->addr_held || s->now > n->addr_until)
			s->stats.fence_resumes++;
	} else if (!kernel_has(s, i)) {
		n->tenure++; /* (h): a new tenure of the address */
	}
	n->addr_held = true;
	n->addr_until = s->now + a->lease_ms;
	/* Gratuitous ARP after an add moves the router's neighbour entry. */
	if (a->type == ELECT_ACT_ADDR_ADD && n->link_up)
		s->clients.router_last = i;
	return 0;
}

/* (f): at most ELECT_PROBE_RING (two rounds') PROBEs per
 * request-timeout, whatever clients send. */
static int
note_probe(struct sim *s, int i)
{
	struct sim_node *n = &s->node[i];
	/* The fixed timeout, or a learned one's ceiling: learned, the
	 * first round comes early, the rounds of a flood no more often. */
	uint64_t rt = n->conf.request_timeout_ms;
	size_t k;

	s->stats.probes++;
	if (n->probe_at[0] != 0 && s->now < n->probe_at[0] + rt)
		return sim_fail(s, i,
		    "invariant (f): PROBE %d within %" PRIu64
		    " ms (request-timeout) of the one at %" PRIu64,
		    ELECT_PROBE_RING + 1, rt, n->probe_at[0]);
	for (k = 0; k + 1 < ELECT_PROBE_RING; k++)
		n->probe_at[k] = n->probe_at[k + 1];
	n->probe_at[ELECT_PROBE_RING - 1] = s->now;
	return 0;
}

static void
schedule_node_ev(struct sim *s, int i, int type, uint64_t at_ms)
{
	struct sim_ev ev = {0};

	ev.at_ms = at_ms;
	ev.type = type;
	ev.node = i;
	ev.gen = (uint32_t)s->node[i].starts;
	heap_push(s, ev);
}

static int
apply_arp_probe(struct sim *s, int i)
{
	struct sim_node *n = &s->node[i];

	if (n->conf.priority == 0 || !n->conf.probe_first)
		return sim_fail(s, i,
		    "sanity: ARP probe from a node that may not "
		    "(priority %u, probe_first %d)",
		    n->conf.priority, (int)n->conf.probe_first);
	n->arp_out = true;
	s->stats.arp_probes++;
	schedule_node_ev(s, i, EV_ARP,
	    s->now + sim_rng_range(&s->rng, SIM_ARP_MIN_MS, SIM_ARP_MAX_MS));
	return 0;
}

static int
apply_check(struct sim *s, int i, const struct step_ctx *x)
{
	struct sim_node *n = &s->node[i];

	/* The holder checks every heartbeat, the others now and then (so
	 * an unfit node neither preempts nor claims first). */
	if (!n->conf.check_enabled || x->state == ELECT_ST_STOPPED)
		return sim_fail(s, i,
		    "sanity: service check asked by a %s with "
		    "checks %s",
		    elect_state_name(x->state),
		    n->conf.check_enabled ? "on" : "off");
	s->stats.checks++;
	schedule_node_ev(s, i, EV_CHECK,
	    s->now + sim_rng_range(&s->rng, 1, SIM_CHECK_MAX_MS));
	return 0;
}

/* D4: a write goes out; it lands (or fails) later, off the loop. */
static int
apply_persist(struct sim *s, int i, const struct elect_action *a)
{
	struct sim_node *n = &s->node[i];

	if (n->persist_out)
		return sim_fail(s, i,
		    "sanity: a second PERSIST before the "
		    "first was answered");
	if (a->persist.epoch < n->disk.epoch)
		return sim_fail(s, i,
		    "invariant (b): persists epoch %" PRIu64 " over %" PRIu64,
		    a->persist.epoch, n->disk.epoch);
	if (a->persist.seq_reserved < n->disk.seq_reserved)
		return sim_fail(s, i,
		    "sanity: persisted sequence block "
		    "goes back");
	n->persist_out = true;
	n->writing = a->persist;
	schedule_node_ev(s, i, EV_PERSIST,
	    s->now + sim_rng_range(&s->rng, 1, SIM_PERSIST_MAX_MS));
	return 0;
}

/* Only a node given other settings (--mismatch) may be noted. */
static int
apply_conflict(struct sim *s, int i, const struct elect_action *a)
{
	int j;

	for (j = 0; j < s->n_nodes; j++)
		if (s->node[j].has_id &&
		    elect_id_cmp(&s->node[j].id, &a->peer) == 0)
			break;
	if (!s->node[i].mismatched &&
	    (j == s->n_nodes || !s->node[j].mismatched))
		return sim_fail(s, i,
		    "sanity: conflict noted with a member of "
		    "the same settings");
	s->stats.mismatch_notes++;
	return 0;
}

/*
 * The holder's farewell, kept for its guard (sim_crash): only a holder
 * gives one; it is a RESIGN of its own, numbered below the reservation
 * on disk (b) and above everything it sent (it is sent after them).
 */
static int
apply_farewell(
    struct sim *s, int i, struct step_ctx *x, const struct elect_action *a)
{
	struct sim_node *n = &s->node[i];
	struct elect_msg m;
	struct elect_id me;

	n->farewell_len = 0;
	if (a->len == 0)
		return 0;
	if (x->state != ELECT_ST_HOLDER)
		return sim_fail(s, i,
		    "sanity: a farewell from a %s (only a holder's guard "
		    "may resign for it)",
		    elect_state_name(x->state));
	elect_get_id(n->core, &me);
	if (sim_decode(s, a->buf, a->len, &m) != ELECT_WIRE_OK ||
	    m.type != ELECT_MSG_RESIGN || elect_id_cmp(&m.id, &me) != 0)
		return sim_fail(s, i,
		    "sanity: a farewell that is not a "
		    "RESIGN of its own");
	if (m.seq >= n->disk.seq_reserved)
		return sim_fail(s, i,
		    "invariant (b): a farewell with sequence %" PRIu64
		    " not below the reservation on disk %" PRIu64,
		    m.seq, n->disk.seq_reserved);
	memcpy(n->farewell, a->buf, a->len);
	n->farewell_len = a->len;
	return 0;
}

static int
apply_action(
    struct sim *s, int i, struct step_ctx *x, const struct elect_action *a)
{
	int type;

	switch (a->type) {
	case ELECT_ACT_SEND:
		type = route_send(s, i, a);
		if (type == ELECT_MSG_HEARTBEAT) {
			x->heartbeat = true;
			/* Judged when sent: a handover may follow in the step.
			 */
			if (!s->node[i].addr_held ||
			    s->now > s->node[i].addr_until)
				x->heartbeat_unleased = true;
		}
		if (type == ELECT_MSG_PROBE)
			return note_probe(s, i);
		return type < 0 ? -1 : 0;
	case ELECT_ACT_ADDR_ADD:
	case ELECT_ACT_ADDR_REFRESH:
	case ELECT_ACT_ADDR_DEL:
		return apply_addr(s, i, x, a);
	case ELECT_ACT_STATE:
		return apply_state(s, i, x, a);
	case ELECT_ACT_PERSIST:
		return apply_persist(s, i, a);
	case ELECT_ACT_DROP:
		if (a->err == ELECT_WIRE_REPLAY) {
			s->stats.replays++;
			return 0;
		}
		/* Every node shares the key and the build: only a replayed
		 * (duplicated, reordered) datagram may be rejected. */
		return sim_fail(s, i,
		    "sanity: rejected a peer's datagram "
		    "(%s)",
		    elect_wire_err_name(a->err));
	case ELECT_ACT_ANNOUNCE:
		/* Gratuitous ARP: only a node holding the address may. */
		if (x->state != ELECT_ST_HOLDER || !s->node[i].addr_held)
			return sim_fail(
			    s, i, "sanity: announce while not holder");
		if (s->node[i].link_up)
			s->clients.router_last = i;
		return 0;
	case ELECT_ACT_PROBE:
		return apply_arp_probe(s, i);
	case ELECT_ACT_CHECK:
		return apply_check(s, i, x);
	case ELECT_ACT_CONFLICT:
		return apply_conflict(s, i, a);
	case ELECT_ACT_FAREWELL:
		return apply_farewell(s, i, x, a);
	case ELECT_ACT_SITE_DIFFERS:
	case ELECT_ACT_SITE_STATE:
		/* The simulated nodes set no site settings (elect_set_site). */
		break;
	case ELECT_ACT_MEMBER_DEAD:
	case ELECT_ACT_MEMBER_UP:
		return sim_alive_member(s, i, a);
	}
	return sim_fail(s, i, "sanity: unexpected action %d", (int)a->type);
}

static int
check_counters(struct sim *s, int i)
{
	struct sim_node *n = &s->node[i];
	struct elect_counters c;

	elect_get_counters(n->core, &c);
	if (c.rx < n->counters.rx || c.tx < n->counters.tx ||
	    c.rx_dropped_auth < n->counters.rx_dropped_auth ||
	    c.rx_dropped_malformed < n->counters.rx_dropped_malformed ||
	    c.rx_dropped_replay < n->counters.rx_dropped_replay ||
	    c.rx_dropped_version < n->counters.rx_dropped_version ||
	    c.failovers < n->counters.failovers)
		return sim_fail(s, i, "sanity: a counter went down");
	n->counters = c;
	return 0;
}

/* (k): no clones in this world, so a node's id is its own for good: a
 * replay of its own datagrams must not make it take a new one. */
static int
check_id(struct sim *s, int i)
{
	struct sim_node *n = &s->node[i];
	struct elect_id id;

	elect_get_id(n->core, &id);
	if (elect_id_is_zero(&id))
		return 0;
	if (!n->has_id) {
		n->id = id;
		n->has_id = true;
		return 0;
	}
	if (elect_id_cmp(&id, &n->id) != 0)
		return sim_fail(s, i,
		    "invariant (k): took a new node id, with no clone of "
		    "it on the LAN");
	return 0;
}

/* Checks after the step of node i, on that node only. */
static int
check_stepped(struct sim *s, int i, const struct step_ctx *x)
{
	struct sim_node *n = &s->node[i];
	enum elect_state st = elect_get_state(n->core);
	uint64_t epoch = elect_get_epoch(n->core);

	if (st != x->state)
		return sim_fail(s, i,
		    "sanity: elect_get_state() says %s, "
		    "its STATE actions %s",
		    elect_state_name(st), elect_state_name(x->state));
	if (epoch < n->max_epoch)
		return sim_fail(s, i,
		    "invariant (b): epoch %" PRIu64 " after %" PRIu64, epoch,
		    n->max_epoch);
	n->max_epoch = epoch;
	if (check_id(s, i) != 0)
		return -1;
	if ((x->heartbeat || x->refreshed) && !x->was_holder)
		return sim_fail(s, i,
		    "invariant (c): %s sends a heartbeat "
		    "or refreshes without being holder",
		    elect_state_name(st));
	if (x->heartbeat_unleased)
		return sim_fail(s, i,
		    "invariant (c): heartbeat past its "
		    "lease end %" PRIu64 " ms",
		    n->addr_until);
	return check_counters(s, i);
}

static void
arm_wake(struct sim *s, int i, uint64_t wake_ms)
{
	struct sim_node *n = &s->node[i];
	struct sim_ev ev = {0};

	if (wake_ms == 0) {
		n->wake_gen++;
		n->wake_ms = 0;
		return;
	}
	if (wake_ms < s->now)
		wake_ms = s->now;
	if (wake_ms == n->wake_ms)
		return; /* that wake-up is already queued */
	n->wake_ms = wake_ms;
	ev.at_ms = wake_ms;
	ev.type = EV_WAKE;
	ev.node = i;
	ev.gen = ++n->wake_gen;
	heap_push(s, ev);
}

/* (g): a holder heard (its datagram not dropped) ends a probe's conflict:
 * the address is the cluster's, not a foreign host's; and the answer to a
 * probe sent before it is stale. */
static void
heard_holder(struct sim *s, int i, uint64_t unverified_before)
{
	struct elect_counters c;
	size_t k;

	for (k = 0; k < s->out.nact; k++)
		if (s->out.act[k].type == ELECT_ACT_DROP)
			return;
	/* Not verified yet (version 2): not acted on either. */
	elect_get_counters(s->node[i].core, &c);
	if (c.rx_unverified != unverified_before)
		return;
	s->node[i].conflict = false;
	s->node[i].arp_out = false;
}

/* The step's datagram was rejected (a replay), or not verified yet
 * (version 2: counted unverified, challenged): the core judged nothing. */
static bool
dropped(const struct sim *s, int i, uint64_t unverified_before)
{
	struct elect_counters c;
	size_t k;

	for (k = 0; k < s->out.nact; k++)
		if (s->out.act[k].type == ELECT_ACT_DROP)
			return true;
	elect_get_counters(s->node[i].core, &c);
	return c.rx_unverified != unverified_before;
}

/* The order of preference (doc/design.md §5.2), written again here: higher
 * epoch, then higher priority, then lower node id. */
static bool
claim_better(uint64_t ea, uint8_t pa, const struct elect_id *a, uint64_t eb,
    uint8_t pb, const struct elect_id *b)
{
	if (ea != eb)
		return ea > eb;
	if (pa != pb)
		return pa > pb;
	return elect_id_cmp(a, b) < 0;
}

/*
 * (i): whoever wins a contested election is the member the order of
 * preference names among those that took part. A holder that hears
 * another holder's HEARTBEAT/CLAIM (not dropped) yields if and only if
 * that claim is preferred to its own: it never yields to a lesser one,
 * never stays against a better one.
 */
static int
check_winner(
    struct sim *s, int i, const struct step_ctx *x, const struct sim_pkt *p)
{
	const struct sim_node *n = &s->node[i];
	struct elect_msg m;
	struct elect_id me;
	bool better, yielded;

	if (!x->held_before ||
	    (p->type != ELECT_MSG_HEARTBEAT && p->type != ELECT_MSG_CLAIM))
		return 0;
	/* (l): a member with other settings is not of our election; and
	 * its own datagram (replayed) is no other holder's claim. */
	if (n->mismatched != s->node[p->src].mismatched || p->src == i)
		return 0;
	if (x->held_reason != ELECT_WHY_BETTER_HOLDER &&
	    x->state != ELECT_ST_HOLDER)
		return 0; /* left for another reason (lease, link) */
	if (sim_decode(s, p->buf, p->len, &m) != ELECT_WIRE_OK)
		return 0; /* route_send() checked it already */
	elect_get_id(n->core, &me);
	better = claim_better(
	    m.epoch, m.priority, &m.id, x->held_epoch, n->conf.priority, &me);
	yielded = x->state != ELECT_ST_HOLDER;
	if (better == yielded)
		return 0;
	return sim_fail(s, i,
	    "invariant (i): holder (epoch %" PRIu64 ", priority %u) %s "
	    "%s's claim (epoch %" PRIu64 ", priority %u)",
	    x->held_epoch, n->conf.priority,
	    yielded ? "yields to the lesser" : "stays against the better",
	    s->node[p->src].name, m.epoch, m.priority);
}

/* Steps node i with ev, applies the actions, checks every invariant. */
static int
step(
    struct sim *s, int i, const struct elect_event *ev, int rx_type, int rx_src)
{
	/* A copy: the step's sends may grow (move) the datagram array. */
	struct sim_pkt rx_copy;
	const struct sim_pkt *rx_pkt = NULL;
	struct sim_node *n = &s->node[i];
	struct step_ctx x = {0};
	uint64_t unverified = n->counters.rx_unverified;
	size_t k;

	if (s->rx_pkt != NULL) {
		rx_copy = *s->rx_pkt;
		rx_pkt = &rx_copy;
	}
	s->rx_pkt = NULL;
	x.state = n->state;
	x.was_holder = n->state == ELECT_ST_HOLDER;
	x.held_before = x.was_holder;
	x.held_epoch = n->held_epoch;
	s->out.nact = 0;
	s->out.wake_ms = 0;
	s->stats.steps++;
	if (elect_step(n->core, s->now, ev, &s->out) != 0)
		return sim_fail(s, i,
		    "sanity: elect_step() refused a %s "
		    "event",
		    ev_name(ev->type));
	if (s->out.nact > ELECT_MAX_ACTIONS)
		return sim_fail(s, i, "sanity: %zu actions", s->out.nact);
	if (s->verbosity >= SIM_TRACE)
		trace_step(s, i, ev, rx_type, rx_src);
	if (rx_type == ELECT_MSG_HEARTBEAT || rx_type == ELECT_MSG_CLAIM ||
	    rx_type == ELECT_MSG_RESIGN)
		heard_holder(s, i, unverified);
	if (rx_pkt != NULL)
		sim_alive_heard(s, i, rx_pkt->src);
	for (k = 0; k < s->out.nact; k++) {
		if (s->verbosity == SIM_TIMELINE)
			timeline_act(s, i, &s->out.act[k]);
		if (apply_action(s, i, &x, &s->out.act[k]) != 0)
			return -1;
	}
	n->state = x.state;
	if (rx_pkt != NULL && !dropped(s, i, unverified)) {
		n->lost_since_heard[rx_pkt->src] = 0;
		n->late_since_heard[rx_pkt->src] = 0;
		/* (h): what this node now knows of the sender's lease (a
		 * datagram the replay window dropped told it nothing). */
		if (rx_pkt->tenure != n->heard_tenure[rx_pkt->src] ||
		    rx_pkt->lease_until > n->heard_lease[rx_pkt->src]) {
			n->heard_tenure[rx_pkt->src] = rx_pkt->tenure;
			n->heard_lease[rx_pkt->src] = rx_pkt->lease_until;
		}
		if (check_winner(s, i, &x, rx_pkt) != 0)
			return -1;
	}
	if (n->wake_ms <= s->now)
		n->wake_ms = 0; /* it fired or was late: not pending */
	arm_wake(s, i, s->out.wake_ms);
	if (check_stepped(s, i, &x) != 0)
		return -1;
	return sim_check_all(s);
}

/* ---- the checks on the whole world ---- */

int
sim_holder(const struct sim *s)
{
	int i, h = -1;

	for (i = 0; i < s->n_nodes; i++) {
		if (!sim_is_live(s, i) || s->node[i].state != ELECT_ST_HOLDER ||
		    s->node[i].mismatched)
			continue;
		if (h >= 0)
			return -1;
		h = i;
	}
	return h;
}

/*
 * (c) on every live node: nobody is holder past its lease end: the
 * kernel's (the last ADDR_ADD/ADDR_REFRESH), or, while its fence has
 * lapsed and its TIMER step has not yet decided (elect_timers.c), the
 * lease its last HEARTBEAT/CLAIM announced.
 */
static int
check_leases(struct sim *s)
{
	const struct sim_node *n;
	uint64_t end;
	int i;

	for (i = 0; i < s->n_nodes; i++) {
		n = &s->node[i];
		if (n->run != SIM_UP || n->state != ELECT_ST_HOLDER)
			continue;
		end = n->addr_held ? n->addr_until : 0;
		if (n->conf.fence_ms != 0 && n->lease_announced > end)
			end = n->lease_announced;
		if (end == 0 || s->now > end)
			return sim_fail(s, i,
			    "invariant (c): holder past its "
			    "lease end %" PRIu64 " ms",
			    end);
	}
	return 0;
}

static bool
in_election(const struct sim *s, int i)
{
	const struct sim_node *n = &s->node[i];

	return sim_is_live(s, i) && !n->mismatched &&
	       elect_get_persist_ok(n->core) &&
	       s->now >= n->sends_since_ms + (uint64_t)n->conf.heartbeat_ms *
						 n->conf.dead_after;
}

/* (a): exactly one live eligible holder, and every live node names it. */
static int
check_converged(struct sim *s)
{
	struct elect_id hid, id;
	int i, h = -1, holders = 0, eligible = 0;

	/* A member with other settings is not of this election: (l). Nor,
	 * for now, one whose last write failed (D4): it may not send, so it
	 * cannot verify anyone, until its backed-off retry lands (up to 16
	 * heartbeats after the heal gave its disk back). */
	for (i = 0; i < s->n_nodes; i++) {
		if (!sim_is_live(s, i) || s->node[i].mismatched)
			continue;
		if (s->node[i].conf.priority > 0 && in_election(s, i))
			eligible++;
		if (s->node[i].state == ELECT_ST_HOLDER) {
			holders++;
			h = i;
		}
	}
	if (holders > 1 || (eligible > 0 && holders == 0))
		return sim_fail(s, -1,
		    "invariant (a): %d holders among %d "
		    "live eligible nodes after the heal",
		    holders, eligible);
	if (h >= 0)
		elect_get_id(s->node[h].core, &hid);
	for (i = 0; i < s->n_nodes; i++) {
		if (!in_election(s, i))
			continue;
		if (!elect_get_holder(s->node[i].core, &id)) {
			if (h < 0)
				continue;
			return sim_fail(s, i,
			    "invariant (a): knows no "
			    "holder; %s holds",
			    s->node[h].name);
		}
		if (h < 0)
			return sim_fail(s, i,
			    "invariant (a): names a holder "
			    "while no eligible node lives");
		if (elect_id_cmp(&id, &hid) != 0)
			return sim_fail(s, i,
			    "invariant (a): names another "
			    "holder than %s",
			    s->node[h].name);
	}
	return 0;
}

/* A node that could serve instead: live, linked, eligible, its service
 * up and its own last check failure (holddown) over. */
bool
sim_could_serve(const struct sim *s, int j)
{
	const struct sim_node *n = &s->node[j];

	return sim_is_live(s, j) && n->link_up && n->conf.priority > 0 &&
	       n->svc_up && !n->mismatched &&
	       (n->svc_fail_ms == 0 ||
		   s->now >= n->svc_fail_ms + n->conf.holddown_ms);
}

/* (e): a holder whose checked service is down is replaced in time. */
static int
check_service(struct sim *s)
{
	struct sim_check *c = &s->check;
	int h = sim_holder(s), j;
	bool other = false;

	if (h >= 0 && !s->node[h].svc_up && s->node[h].conf.check_enabled)
		for (j = 0; j < s->n_nodes && !other; j++)
			other = j != h && sim_could_serve(s, j);
	if (!other) {
		c->e_since = 0;
		return 0;
	}
	if (c->e_since == 0)
		c->e_since = s->now;
	if (s->now > c->e_since + c->e_bound_ms)
		return sim_fail(s, h,
		    "invariant (e): holds with its service down since "
		    "%" PRIu64 " ms (more than %" PRIu64
		    " ms) while another node could serve",
		    c->e_since, c->e_bound_ms);
	return 0;
}

static bool
site_dmz(const struct sim_node *n)
{
	return memcmp(n->conf.dmz.b, dmz_addr, sizeof(dmz_addr)) == 0;
}

/* (l): a member with other settings never takes the site's address
 * while a member of the site's election that could hold it is live (up,
 * linked, on its side of a partition): it could hear that one. (One that
 * was paused when it looked, it could not: it gives the address up when
 * that one speaks, the site having started first.) */
static int
check_mismatched_claim(struct sim *s, int i)
{
	int j;

	if (!s->node[i].mismatched || !site_dmz(&s->node[i]))
		return 0;
	for (j = 0; j < s->n_nodes; j++)
		if (j != i && sim_is_live(s, j) && !s->node[j].mismatched &&
		    s->node[j].conf.priority > 0 && s->node[j].link_up &&
		    s->node[j].group == s->node[i].group)
			return sim_fail(s, i,
			    "invariant (l): takes the site's address with "
			    "other settings while %s lives",
			    s->node[j].name);
	return 0;
}

int
sim_check_all(struct sim *s)
{
	if (s->failed)
		return -1;
	if (check_leases(s) != 0)
		return -1;
	if (s->check.quiet_until != 0 && s->now >= s->check.quiet_until) {
		/* The failover window is over: whoever holds now stays. */
		s->check.quiet_until = 0;
		s->check.holder = sim_holder(s);
		s->check.vacated = false;
	}
	if (s->check.converged && s->now >= s->check.quiet_until &&
	    check_converged(s) != 0)
		return -1;
	if (s->check.svc_rule && check_service(s) != 0)
		return -1;
	if (s->alive.on && sim_alive_check(s) != 0)
		return -1;
	return 0;
}

/* ---- running events ---- */

static int
on_wake(struct sim *s, const struct sim_ev *ev)
{
	struct sim_node *n = &s->node[ev->node];
	struct elect_event e = {.type = ELECT_EV_TIMER};

	if (ev->gen != n->wake_gen || n->run == SIM_DOWN)
		return 0;
	if (n->run == SIM_PAUSED) {
		n->wake_due = true; /* fires late, at resume */
		return 0;
	}
	return step(s, ev->node, &e, 0, -1);
}

static int
on_deliver(struct sim *s, const struct sim_ev *ev)
{
	struct sim_node *n = &s->node[ev->node];
	struct sim_pkt *p = &s->pkt[ev->pkt];
	struct sim_pkt rx;
	struct elect_event e = {.type = ELECT_EV_RX};
	int rc;

	if (n->run == SIM_PAUSED && s->net.pause_queue &&
	    n->n_queue < SIM_PAUSE_QUEUE) {
		/* Handed over at resume, with the kernel's arrival stamp. */
		n->queue_at[n->n_queue] = s->now;
		n->queue[n->n_queue++] = ev->pkt;
		return 0;
	}
	if (n->run != SIM_UP || !n->link_up) {
		/* (h): a paused VM whose queue overflowed lost it. */
		if (n->run == SIM_PAUSED)
			note_lost(s, p->src, ev->node);
		pkt_free(s, ev->pkt);
		return 0;
	}
	e.buf = p->buf;
	e.len = p->len;
	e.src = s->node[p->src].conf.addrs[0];
	e.rx_age_ms = n->rx_age;
	/* A copy: the step's own sends may move s->pkt (realloc). */
	rx = *p;
	e.buf = rx.buf;
	s->rx_pkt = &rx;
	rc = step(s, ev->node, &e, rx.type, rx.src);
	pkt_free(s, ev->pkt);
	return rc;
}

/* ---- the LAN around the cores: clients, checks, ARP ---- */

/* Node j's kernel holds the site's DMZ address. */
static bool
kernel_has(const struct sim *s, int j)
{
	const struct sim_node *n = &s->node[j];

	return n->addr_held && s->now <= n->addr_until && site_dmz(n);
}

int
sim_kernel_holder(const struct sim *s)
{
	int j, last = s->clients.router_last;

	/* Two hosts with the address: the router's neighbour entry points
	 * at the one it last heard an announcement from. */
	if (last >= 0 && kernel_has(s, last) && s->node[last].link_up)
		return last;
	for (j = 0; j < s->n_nodes; j++)
		if (kernel_has(s, j) && s->node[j].link_up)
			return j;
	return -1;
}

static uint64_t
lan_delay(struct sim *s)
{
	return sim_rng_range(&s->rng, s->net.delay_min_ms, s->net.delay_max_ms);
}

static void
schedule_flow(struct sim *s, int type, int node, uint64_t flow, uint64_t at)
{
	struct sim_ev ev = {0};

	ev.at_ms = at;
	ev.type = type;
	ev.node = node;
	ev.flow = flow;
	heap_push(s, ev);
}

static int
on_client(struct sim *s)
{
	const struct sim_clients *cl = &s->clients;
	int h = sim_kernel_holder(s);
	uint64_t flow = s->clients.next_flow++;

	schedule_flow(s, EV_CLIENT, -1, 0,
	    s->now +
		sim_rng_range(&s->rng, cl->every_min_ms, cl->every_max_ms));
	if (h < 0)
		return 0; /* nobody answers ARP: the router sends nothing */
	s->stats.requests++;
	schedule_flow(s, EV_REQ, h, flow, s->now + lan_delay(s));
	return 0;
}

/* A hub-like LAN: every node on the holder's side sees the frame. */
/* The service port of a flow: the watched tcp:80 (sim_node_conf()),
 * and one flow in 8 to tcp:8080, which nobody watches (its requests get
 * the ceiling, its answers teach nothing). */
static uint16_t
flow_port(uint64_t flow)
{
	return flow % 8 == 0 ? 8080 : 80;
}

static int
watchers_see(struct sim *s, int h, enum elect_event_type type, uint64_t flow)
{
	struct elect_event e = {
	    .type = type, .flow = flow, .proto = 6, .port = flow_port(flow)};
	int j;

	for (j = 0; j < s->n_nodes; j++) {
		if (j == h || !sim_is_live(s, j) || !s->node[j].link_up ||
		    s->node[j].group != s->node[h].group)
			continue;
		if (sim_rng_permille(&s->rng, s->net.loss_pm))
			continue;
		if (step(s, j, &e, 0, -1) != 0)
			return -1;
	}
	return 0;
}

static bool
answers(const struct sim *s, int h)
{
	const struct sim_node *n = &s->node[h];

	return sim_is_live(s, h) && n->svc_up && n->link_up && kernel_has(s, h);
}

static int
on_request(struct sim *s, const struct sim_ev *ev)
{
	if (watchers_see(s, ev->node, ELECT_EV_REQUEST, ev->flow) != 0)
		return -1;
	if (answers(s, ev->node))
		schedule_flow(s, EV_ANS, ev->node, ev->flow,
		    s->now +
			sim_rng_range(&s->rng, 0, s->clients.answer_max_ms));
	return 0;
}

static int
on_answer(struct sim *s, const struct sim_ev *ev)
{
	if (!answers(s, ev->node))
		return 0; /* stopped, paused or cut meanwhile */
	s->stats.answered++;
	return watchers_see(s, ev->node, ELECT_EV_ANSWER, ev->flow);
}

/* What an ARP probe from node i hears: a foreign host, or another node
 * whose kernel holds the address (a paused VM answers nothing; a host
 * whose daemon was killed or is frozen still does). */
static bool
arp_conflict(const struct sim *s, int i)
{
	int j;

	if (!s->node[i].link_up)
		return false;
	if (s->foreign)
		return true;
	for (j = 0; j < s->n_nodes; j++)
		if (j != i && kernel_has(s, j) && s->node[j].link_up &&
		    (s->node[j].run != SIM_PAUSED || s->node[j].frozen) &&
		    s->node[j].group == s->node[i].group)
			return true;
	return false;
}

static int
arp_done(struct sim *s, int i)
{
	struct sim_node *n = &s->node[i];
	struct elect_event e = {.type = ELECT_EV_PROBE_DONE};

	e.conflict = arp_conflict(s, i);
	/* Only the answer to the probe it is waiting for counts for (g). */
	if (n->arp_out && n->state == ELECT_ST_CANDIDATE)
		n->conflict = e.conflict;
	n->arp_out = false;
	if (e.conflict)
		s->stats.conflicts++;
	return step(s, i, &e, 0, -1);
}

static int
check_done(struct sim *s, int i)
{
	struct elect_event e = {.type = ELECT_EV_CHECK};

	e.ok = s->node[i].svc_up;
	if (!e.ok)
		s->stats.checks_failed++;
	return step(s, i, &e, 0, -1);
}

/* The write lands (the writer runs on while the VM is paused; its answer
 * waits for the resume), or fails: the disk refuses it. */
static int
persist_landed(struct sim *s, int i)
{
	struct sim_node *n = &s->node[i];
	struct elect_event e = {.type = ELECT_EV_PERSIST_DONE};

	n->persist_out = false;
	e.ok = !n->disk_broken;
	if (e.ok) {
		if (n->writing.epoch < n->disk.epoch)
			return sim_fail(
			    s, i, "invariant (b): the disk's epoch goes back");
		n->disk = n->writing;
	} else {
		s->stats.persist_failed++;
	}
	if (n->run == SIM_PAUSED) {
		n->persist_due = true;
		n->persist_res = e.ok;
		return 0;
	}
	/* (a): a node that may send again needs a round trip or two to
	 * verify its peers before it can name the holder. */
	if (e.ok && !elect_get_persist_ok(n->core))
		n->sends_since_ms = s->now;
	return step(s, i, &e, 0, -1);
}

/* A check or probe result for this very start of the node. */
static int
on_node_result(struct sim *s, const struct sim_ev *ev)
{
	struct sim_node *n = &s->node[ev->node];

	if (n->run == SIM_DOWN || ev->gen != (uint32_t)n->starts)
		return 0; /* the process that asked is gone */
	if (ev->type == EV_PERSIST)
		return persist_landed(s, ev->node);
	if (n->run == SIM_PAUSED) {
		if (ev->type == EV_CHECK)
			n->checks_due++;
		else
			n->arp_due = true;
		return 0;
	}
	if (ev->type == EV_CHECK)
		return check_done(s, ev->node);
	return arp_done(s, ev->node);
}

/* ---- issue 7: snapshots, reverts, an adversary that replays ---- */

static void node_down(struct sim *, int);
static int on_guard(struct sim *, const struct sim_ev *);

void
sim_snapshot(struct sim *s, int i)
{
	struct sim_node *n = &s->node[i];

	if (elect_id_is_zero(&n->disk.id))
		return; /* never started: nothing to snapshot */
	n->snap = n->disk;
	n->has_snap = true;
	if (s->verbosity >= SIM_TIMELINE)
		printf("%7" PRIu64
		       " ms  %-3s state dir snapshot (epoch %" PRIu64
		       ", sequences below %" PRIu64 ")\n",
		    s->now, n->name, n->snap.epoch, n->snap.seq_reserved);
}

int
sim_revert(struct sim *s, int i)
{
	struct sim_node *n = &s->node[i];
	struct elect_persist old = {.id = n->disk.id};

	if (s->failed)
		return -1;
	if (n->has_snap)
		old = n->snap;
	if (n->run != SIM_DOWN) {
		node_down(s, i);
		s->stats.crashes++;
	}
	if (s->verbosity >= SIM_TIMELINE)
		printf("%7" PRIu64 " ms  %-3s restarts on an older state dir "
		       "(epoch %" PRIu64 " -> %" PRIu64 ", sequences %" PRIu64
		       " -> %" PRIu64 ")\n",
		    s->now, n->name, n->disk.epoch, old.epoch,
		    n->disk.seq_reserved, old.seq_reserved);
	/* (b) counts from what the reverted disk says: going back is the
	 * fault, not the core's doing. */
	n->disk = old;
	n->max_epoch = n->used_epoch = old.epoch;
	s->stats.reverts++;
	return sim_start(s, i);
}

int
sim_replay(struct sim *s, int to)
{
	struct sim_capture *c;
	struct sim_ev ev = {0};

	if (s->failed)
		return -1;
	if (s->n_cap == 0)
		return 0;
	c = &s->cap[sim_rng_range(&s->adv_rng, 0, s->n_cap - 1)];
	if (to < 0)
		to = c->src;
	if (s->node[to].run == SIM_DOWN)
		return 0;
	if (s->verbosity >= SIM_TIMELINE)
		printf("%7" PRIu64 " ms  adversary replays a %s of %s to %s\n",
		    s->now, elect_msg_type_name(c->type), s->node[c->src].name,
		    s->node[to].name);
	ev.at_ms = s->now + sim_rng_range(&s->adv_rng, 0, 2);
	ev.type = EV_DELIVER;
	ev.node = to;
	ev.pkt = pkt_new(s, c->src, c->buf, c->len, c->type);
	s->pkt[ev.pkt].tenure = c->tenure;
	s->pkt[ev.pkt].lease_until = c->lease_until;
	heap_push(s, ev);
	s->stats.replayed++;
	return 0;
}

static void
schedule_adversary(struct sim *s)
{
	struct sim_ev ev = {0};

	ev.at_ms = s->now + sim_rng_range(&s->adv_rng, s->adv_every_ms / 2,
				s->adv_every_ms * 3 / 2);
	ev.type = EV_ADVERSARY;
	heap_push(s, ev);
}

void
sim_adversary_start(struct sim *s)
{
	if (s->adv_every_ms > 0)
		schedule_adversary(s);
}

/* A captured datagram to a random node, or back to its own sender (its
 * own id: a clone, were it believed). */
static int
on_adversary(struct sim *s)
{
	int to = -1;

	if (s->adv_every_ms == 0)
		return 0;
	schedule_adversary(s);
	if (!sim_rng_permille(&s->adv_rng, 300))
		to = (int)sim_rng_range(
		    &s->adv_rng, 0, (uint64_t)s->n_nodes - 1);
	return sim_replay(s, to);
}

int
sim_check_heard(struct sim *s, int i, uint64_t since)
{
	struct elect_member_info m[ELECT_MAX_MEMBERS];
	size_t n, k;
	int j;

	if (!s->node[i].has_id || !sim_is_live(s, i))
		return 0;
	for (j = 0; j < s->n_nodes; j++) {
		/* A node whose disk refuses writes sends nothing (D4), so
		 * it cannot challenge the restarted boot: it hears it once
		 * its disk takes a write again. */
		if (j == i || !sim_is_live(s, j) ||
		    s->node[j].state == ELECT_ST_STOPPED ||
		    !elect_get_persist_ok(s->node[j].core))
			continue;
		n = elect_get_members(
		    s->node[j].core, s->now, m, ELECT_MAX_MEMBERS);
		for (k = 0; k < n; k++)
			if (elect_id_cmp(&m[k].id, &s->node[i].id) == 0)
				break;
		if (k == n || s->now - m[k].last_seen_ms < since)
			return sim_fail(s, j,
			    "invariant (j): has not heard %s since it "
			    "restarted at %" PRIu64 " ms",
			    s->node[i].name, since);
	}
	return 0;
}

static int
run_ev(struct sim *s, const struct sim_ev *ev)
{
	switch (ev->type) {
	case EV_WAKE:
		return on_wake(s, ev);
	case EV_DELIVER:
		return on_deliver(s, ev);
	case EV_CLIENT:
		return on_client(s);
	case EV_REQ:
		return on_request(s, ev);
	case EV_ANS:
		return on_answer(s, ev);
	case EV_ADVERSARY:
		return on_adversary(s);
	case EV_GUARD:
		return on_guard(s, ev);
	default:
		return on_node_result(s, ev);
	}
}

void
sim_clients_start(struct sim *s)
{
	if (s->clients.on)
		schedule_flow(s, EV_CLIENT, -1, 0, s->now + 1);
}

int
sim_run_one(struct sim *s, uint64_t t)
{
	struct sim_ev ev;

	if (s->failed)
		return -1;
	if (s->n_heap == 0 || s->heap[0].at_ms > t)
		return 1;
	ev = heap_pop(s);
	if (ev.at_ms != s->now)
		s->steps_now = 0;
	else if (++s->steps_now > SIM_STEPS_PER_MS)
		return sim_fail(s, ev.node,
		    "liveness: %d events at one ms "
		    "(a wake-up that never advances?)",
		    SIM_STEPS_PER_MS);
	s->now = ev.at_ms;
	s->stats.events++;
	return run_ev(s, &ev) == 0 ? 0 : -1;
}

int
sim_run_until(struct sim *s, uint64_t t)
{
	int rc;

	while ((rc = sim_run_one(s, t)) == 0)
		;
	if (rc < 0)
		return -1;
	if (t > s->now)
		s->now = t;
	return 0;
}

/* ---- node life ---- */

int
sim_start(struct sim *s, int i)
{
	struct sim_node *n = &s->node[i];
	struct elect_event e = {.type = ELECT_EV_START};
	uint64_t seed = sim_rng_next(&s->rng);

	if (s->failed)
		return -1;
	if (n->run != SIM_DOWN)
		return 0;
	n->core = elect_new(&n->conf, &n->disk, s->now, seed);
	if (n->core == NULL)
		return sim_fail(s, i, "sanity: elect_new() refused its conf");
	n->run = SIM_UP;
	n->state = ELECT_ST_STARTING;
	n->started_ms = s->now;
	n->wake_ms = 0;
	n->wake_gen++;
	/* The edge removes a DMZ address it finds at start-up. */
	n->addr_held = false;
	n->farewell_len = 0;
	n->frozen = n->guard_resigned = false;
	memset(&n->counters, 0, sizeof(n->counters));
	n->link_due = n->arp_due = n->arp_out = n->conflict = false;
	n->checks_due = 0;
	n->svc_fail_ms = 0;
	/* The writer of the last start died with it (its cgroup). */
	n->persist_out = n->persist_due = false;
	/* (k): an id that never reached the disk (its write failed, or the
	 * node died first) is no id of this slot's: a new one is made. */
	if (elect_id_is_zero(&n->disk.id))
		n->has_id = false;
	/* (b): the new start begins above every epoch used before. */
	n->max_epoch = n->used_epoch;
	/* (h): a new process knows no lease of anybody. */
	memset(n->heard_lease, 0, sizeof(n->heard_lease));
	n->lease_announced = 0;
	memset(n->probe_at, 0, sizeof(n->probe_at));
	if (n->starts++ > 0)
		s->stats.restarts++;
	if (s->verbosity >= SIM_TIMELINE)
		printf("%7" PRIu64
		       " ms  %-3s starts (priority %u, epoch %" PRIu64
		       " on disk)\n",
		    s->now, n->name, n->conf.priority, n->disk.epoch);
	n->state = elect_get_state(n->core);
	if (step(s, i, &e, 0, -1) != 0)
		return -1;
	/* The edge tells the core of a link that is down at start. */
	if (!n->link_up) {
		e.type = ELECT_EV_LINK;
		e.up = false;
		return step(s, i, &e, 0, -1);
	}
	return 0;
}

static void
node_down(struct sim *s, int i)
{
	struct sim_node *n = &s->node[i];
	size_t k;

	elect_free(n->core);
	n->core = NULL;
	n->run = SIM_DOWN;
	n->wake_ms = 0;
	n->wake_gen++;
	n->wake_due = false;
	n->frozen = n->guard_resigned = false;
	n->guard_gen++;
	for (k = 0; k < n->n_queue; k++)
		pkt_free(s, n->queue[k]);
	n->n_queue = 0;
}

/*
 * The guard of a killed daemon (netcfg/netcfg_guard.c): the address goes
 * at once; then, if the lease of its last tick still runs, the holder's
 * farewell goes to the group like any datagram of the node (route_send:
 * (b), (h) — no RESIGN while the kernel holds — loss, partitions).
 */
static int
guard_says_goodbye(struct sim *s, int i)
{
	struct sim_node *n = &s->node[i];
	struct elect_action a = {.type = ELECT_ACT_SEND};
	bool leased = kernel_has(s, i);

	n->addr_held = false;
	if (!leased || n->farewell_len == 0)
		return 0;
	memcpy(a.buf, n->farewell, n->farewell_len);
	a.len = n->farewell_len;
	s->stats.farewells++;
	return route_send(s, i, &a) < 0 ? -1 : 0;
}

int
sim_crash(struct sim *s, int i, bool guard)
{
	struct sim_node *n = &s->node[i];

	if (s->failed)
		return -1;
	if (n->run == SIM_DOWN)
		return 0;
	/* A paused VM's guard sleeps; a frozen qured's runs. */
	guard = guard && (n->run == SIM_UP || n->frozen);
	if (s->verbosity >= SIM_TIMELINE)
		printf("%7" PRIu64 " ms  %-3s is killed (kill -9)%s\n", s->now,
		    n->name,
		    !n->addr_held ? ""
		    : guard	  ? "; its guard drops the address and "
				    "says goodbye"
				  : "; its kernel keeps the address "
				    "until the lease ends");
	node_down(s, i);
	if (guard && guard_says_goodbye(s, i) != 0)
		return -1;
	n->farewell_len = 0;
	s->stats.crashes++;
	return sim_check_all(s);
}

int
sim_pause(struct sim *s, int i)
{
	struct sim_node *n = &s->node[i];

	if (s->failed)
		return -1;
	if (n->run != SIM_UP)
		return 0;
	if (s->verbosity >= SIM_TIMELINE)
		printf("%7" PRIu64 " ms  %-3s is paused\n", s->now, n->name);
	n->run = SIM_PAUSED;
	s->stats.pauses++;
	return sim_check_all(s);
}

/*
 * qured alone is frozen (SIGSTOP, its loop blocked): not stepped, like a
 * paused VM, but its host runs: the kernel answers ARP for the address
 * until the fence, and the guard (netcfg/netcfg_guard.c) watches that
 * fence. With a fence on, its deadline is the fence of the last renewal
 * (addr_until): on_guard().
 */
int
sim_freeze(struct sim *s, int i)
{
	struct sim_node *n = &s->node[i];
	struct sim_ev ev = {0};

	if (s->failed)
		return -1;
	if (n->run != SIM_UP)
		return 0;
	if (s->verbosity >= SIM_TIMELINE)
		printf("%7" PRIu64 " ms  %-3s qured is frozen (SIGSTOP; its "
		       "guard runs)\n",
		    s->now, n->name);
	n->run = SIM_PAUSED;
	n->frozen = true;
	n->guard_resigned = false;
	n->guard_gen++;
	s->stats.frozen_daemons++;
	/* (Its own address: a member with other settings has a guard too.) */
	if (n->conf.fence_ms != 0 && n->addr_held && s->now <= n->addr_until) {
		ev.at_ms = n->addr_until;
		ev.type = EV_GUARD;
		ev.node = i;
		ev.gen = n->guard_gen;
		heap_push(s, ev);
	}
	return sim_check_all(s);
}

/* The farewell kept for the guard names a successor (GUARD_NAMED in
 * netcfg_guard.c: only then does the guard speak at the fence; a lone
 * holder's stall is waited out, nobody would take over). */
static bool
farewell_named(const struct sim *s, const struct sim_node *n)
{
	struct elect_msg m;

	return n->farewell_len > 0 &&
	       sim_decode(s, n->farewell, n->farewell_len, &m) ==
		   ELECT_WIRE_OK &&
	       (m.has & ELECT_HAS_HOLDER) && !elect_id_is_zero(&m.holder);
}

/*
 * The fence of a frozen node's last renewal runs out: if its guard holds
 * a farewell naming a successor (only a holder's core hands one over),
 * it drops the address and sends the farewell, as for a killed qured
 * (guard_says_goodbye()), and remembers it did, for the resume. Without
 * one it does nothing: the address expires at its lease end
 * (kernel_has()). Nothing either if the node resumed (or died) first, or
 * its fence moved.
 */
static int
on_guard(struct sim *s, const struct sim_ev *ev)
{
	struct sim_node *n = &s->node[ev->node];
	struct elect_action a = {.type = ELECT_ACT_SEND};

	if (ev->gen != n->guard_gen || !n->frozen || n->run != SIM_PAUSED ||
	    !n->addr_held || n->addr_until != ev->at_ms ||
	    !farewell_named(s, n))
		return 0;
	if (s->verbosity >= SIM_TIMELINE)
		printf("%7" PRIu64 " ms  %-3s its guard drops the address and "
		       "says goodbye for it\n",
		    s->now, n->name);
	/* (h): the address goes first; route_send() fails a RESIGN sent
	 * while the kernel holds it. */
	n->addr_held = false;
	memcpy(a.buf, n->farewell, n->farewell_len);
	a.len = n->farewell_len;
	n->farewell_len = 0; /* said once; the guard forgets it */
	n->guard_resigned = true;
	s->stats.guard_resigns++;
	if (route_send(s, ev->node, &a) < 0)
		return -1;
	return sim_check_all(s);
}

/* What the edge got while the VM was suspended: the link state, check
 * and ARP probe results, in that order. */
static int
resume_results(struct sim *s, int i)
{
	struct sim_node *n = &s->node[i];
	struct elect_event e = {.type = ELECT_EV_LINK};

	if (n->link_due) {
		n->link_due = false;
		e.up = n->link_up;
		if (step(s, i, &e, 0, -1) != 0)
			return -1;
	}
	for (; n->checks_due > 0; n->checks_due--)
		if (check_done(s, i) != 0)
			return -1;
	if (n->arp_due) {
		n->arp_due = false;
		if (arp_done(s, i) != 0)
			return -1;
	}
	if (n->persist_due) {
		e.type = ELECT_EV_PERSIST_DONE;
		e.ok = n->persist_res;
		n->persist_due = false;
		if (step(s, i, &e, 0, -1) != 0)
			return -1;
	}
	return sim_check_all(s);
}

int
sim_resume(struct sim *s, int i)
{
	struct sim_node *n = &s->node[i];
	struct elect_event e = {.type = ELECT_EV_TIMER};
	struct sim_ev ev = {0};
	size_t k;

	if (s->failed)
		return -1;
	if (n->run != SIM_PAUSED)
		return 0;
	if (s->verbosity >= SIM_TIMELINE)
		printf("%7" PRIu64 " ms  %-3s resumes%s\n", s->now, n->name,
		    !n->frozen		? ""
		    : n->guard_resigned ? " (qured runs again; its guard "
					  "resigned for it)"
					: " (qured runs again)");
	n->run = SIM_UP;
	n->frozen = false;
	n->guard_gen++; /* a guard deadline still queued: void */
	/* A suspended VM's address expired on its own at the lease end. */
	if (n->addr_held && n->addr_until < s->now)
		n->addr_held = false;
	/* Its guard resigned for it: the edge says so before anything
	 * else (the datagrams queued meanwhile, the late timer), if the core
	 * still holds; it resigns too and steps down. */
	if (n->guard_resigned) {
		n->guard_resigned = false;
		if (elect_get_state(n->core) == ELECT_ST_HOLDER) {
			e.type = ELECT_EV_GUARD_RESIGNED;
			if (step(s, i, &e, 0, -1) != 0)
				return -1;
			if (n->state == ELECT_ST_HOLDER)
				return sim_fail(s, i,
				    "sanity: still HOLDER after its guard "
				    "resigned for it");
			e.type = ELECT_EV_TIMER;
		}
	}
	ev.at_ms = s->now;
	ev.node = i;
	ev.type = EV_DELIVER;
	/* What its socket queued is read first, as qured's timer callback
	 * reads its socket before the core's TIMER step (the fence: a
	 * holder decides on a lapse knowing every PROBE that came). A
	 * holder whose lease ran out meanwhile demotes in the first of
	 * these steps (its TIMER row runs after every event). */
	for (k = 0; k < n->n_queue; k++) {
		ev.pkt = n->queue[k];
		n->rx_age = s->now - n->queue_at[k];
		if (on_deliver(s, &ev) != 0)
			return -1;
	}
	n->rx_age = 0;
	n->n_queue = 0;
	/* Its timer fires late, now. */
	if (n->wake_due) {
		n->wake_due = false;
		if (step(s, i, &e, 0, -1) != 0)
			return -1;
	}
	return resume_results(s, i);
}

int
sim_shutdown(struct sim *s, int i)
{
	struct sim_node *n = &s->node[i];
	struct elect_event e = {.type = ELECT_EV_SHUTDOWN};

	if (s->failed)
		return -1;
	if (n->run != SIM_UP)
		return 0;
	if (s->verbosity >= SIM_TIMELINE)
		printf("%7" PRIu64 " ms  %-3s is stopped orderly (SIGTERM)\n",
		    s->now, n->name);
	if (step(s, i, &e, 0, -1) != 0)
		return -1;
	if (n->state != ELECT_ST_STOPPED)
		return sim_fail(s, i, "sanity: %s after SHUTDOWN",
		    elect_state_name(n->state));
	if (n->addr_held)
		return sim_fail(s, i,
		    "sanity: kept the address after "
		    "SHUTDOWN");
	node_down(s, i);
	s->stats.shutdowns++;
	return sim_check_all(s);
}

int
sim_handover(struct sim *s, int i, int target)
{
	struct sim_node *n = &s->node[i];
	struct elect_event e = {.type = ELECT_EV_HANDOVER};

	if (s->failed)
		return -1;
	if (n->run != SIM_UP)
		return 0;
	if (target >= 0 && s->node[target].core != NULL)
		elect_get_id(s->node[target].core, &e.target);
	if (s->verbosity >= SIM_TIMELINE)
		printf("%7" PRIu64 " ms  %-3s is asked to hand over to %s\n",
		    s->now, n->name,
		    target >= 0 ? s->node[target].name : "the best standby");
	s->stats.handovers++;
	return step(s, i, &e, 0, -1);
}

void
sim_set_group(struct sim *s, int i, int g)
{
	s->node[i].group = g;
}

int
sim_svc(struct sim *s, int i, bool up)
{
	struct sim_node *n = &s->node[i];

	if (s->failed)
		return -1;
	if (n->svc_up == up)
		return 0;
	if (s->verbosity >= SIM_TIMELINE)
		printf("%7" PRIu64 " ms  %-3s service %s\n", s->now, n->name,
		    up ? "comes back (svcup)" : "dies (svcdown)");
	n->svc_up = up;
	if (!up)
		s->stats.svc_downs++;
	return sim_check_all(s);
}

int
sim_link(struct sim *s, int i, bool up)
{
	struct sim_node *n = &s->node[i];
	struct elect_event e = {.type = ELECT_EV_LINK};

	if (s->failed)
		return -1;
	if (n->link_up == up)
		return 0;
	if (s->verbosity >= SIM_TIMELINE)
		printf("%7" PRIu64 " ms  %-3s link %s\n", s->now, n->name,
		    up ? "up" : "down");
	n->link_up = up;
	if (!up)
		s->stats.link_cuts++;
	if (n->run == SIM_PAUSED) {
		n->link_due = true;
		return sim_check_all(s);
	}
	if (n->run == SIM_DOWN)
		return sim_check_all(s);
	e.up = up;
	return step(s, i, &e, 0, -1);
}

int
sim_reconf(struct sim *s, int i, uint8_t priority, bool preempt)
{
	struct sim_node *n = &s->node[i];
	struct elect_event e = {.type = ELECT_EV_RECONF};

	if (s->failed)
		return -1;
	if (n->run != SIM_UP)
		return 0;
	if (s->verbosity >= SIM_TIMELINE)
		printf("%7" PRIu64 " ms  %-3s reloads: priority %u -> %u, "
		       "preempt %s\n",
		    s->now, n->name, n->conf.priority, priority,
		    preempt ? "on" : "off");
	/* The file changed: a later restart reads it too. */
	n->conf.priority = priority;
	n->conf.preempt = preempt;
	e.conf = &n->conf;
	s->stats.reconfs++;
	return step(s, i, &e, 0, -1);
}

/* Key rotation: node i reads its key files again (see sim.h). */
static int
key_reconf(struct sim *s, int i, const char *what)
{
	struct sim_node *n = &s->node[i];
	struct elect_event e = {.type = ELECT_EV_RECONF, .conf = &n->conf};

	if (s->failed)
		return -1;
	if (n->run != SIM_UP)
		return 0; /* a restart reads the files */
	if (s->verbosity >= SIM_TIMELINE)
		printf("%7" PRIu64 " ms  %-3s reloads: %s\n", s->now, n->name,
		    what);
	s->stats.key_reloads++;
	return step(s, i, &e, 0, -1);
}

int
sim_key_next(struct sim *s, int i)
{
	s->node[i].conf.next_key = s->next_key;
	return key_reconf(s, i, "a next key");
}

int
sim_key_promote(struct sim *s, int i)
{
	struct elect_conf *c = &s->node[i].conf;

	c->prev_key = c->key;
	c->key = s->next_key;
	c->next_key = NULL;
	return key_reconf(s, i, "the next key is its key");
}

int
sim_disk(struct sim *s, int i, bool broken)
{
	struct sim_node *n = &s->node[i];

	if (s->failed)
		return -1;
	if (n->disk_broken == broken)
		return 0;
	if (s->verbosity >= SIM_TIMELINE)
		printf("%7" PRIu64 " ms  %-3s state disk %s\n", s->now, n->name,
		    broken ? "refuses writes" : "takes writes again");
	n->disk_broken = broken;
	if (broken)
		s->stats.disk_faults++;
	return sim_check_all(s);
}
