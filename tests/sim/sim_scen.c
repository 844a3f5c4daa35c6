/*
 * tests/sim/sim_scen.c — one random scenario: a cluster of 3..20 nodes,
 * a chaos phase of random faults, a heal, then a stable phase in which
 * nothing is injected but, maybe, one node joining (a preempt candidate).
 *
 * Timeline of the checks (W = 3 x dead_after x heartbeat):
 *   0 .. H          chaos: (b), (c) and the sanity checks only
 *   H               heal: no loss, no partition, paused nodes resumed,
 *                   down nodes restarted or left dead
 *   H+W .. E        (a) converged and (d) steady, checked at every step;
 *                   a join at J suspends (a) until J+W, and (d) then
 *                   allows one handover, to the joiner only.
 */
#include "config.h"

#include "tests/sim/sim.h"

#include <inttypes.h>
#include <stdio.h>

struct scen {
	struct sim *s;
	struct sim_rng *r;
	uint32_t hb_ms, dead_after;
	int joiner; /* slot kept down until the stable phase, or -1 */
	bool partitioned;
};

enum fault {
	F_NET,
	F_PARTITION,
	F_HEAL_PARTITION,
	F_CRASH,
	F_RESTART,
	F_PAUSE,
	F_RESUME,
	F_SHUTDOWN,
	F_HANDOVER,
	F_NONE,
	N_FAULTS
};

/* Relative weights of the faults of the chaos phase. */
static const uint32_t fault_weight[N_FAULTS] = {
    [F_NET] = 14,
    [F_PARTITION] = 8,
    [F_HEAL_PARTITION] = 8,
    [F_CRASH] = 10,
    [F_RESTART] = 12,
    [F_PAUSE] = 7,
    [F_RESUME] = 8,
    [F_SHUTDOWN] = 5,
    [F_HANDOVER] = 6,
    [F_NONE] = 10,
};

static uint8_t
pick_priority(struct sim_rng *r)
{
	/* Few distinct values, so that ties (broken by id) are common. */
	if (sim_rng_permille(r, 150))
		return 0;
	return (uint8_t)(50 * sim_rng_range(r, 1, 5));
}

static void
conf_cluster(struct scen *c, int n_nodes)
{
	struct sim *s = c->s;
	struct sim_rng *r = c->r;
	uint32_t stagger, stagger_max, hello;
	int i, preempt_mode = (int)sim_rng_range(r, 0, 3);
	char name[16];

	c->hb_ms = (uint32_t)sim_rng_range(r, 50, 500);
	c->dead_after = (uint32_t)sim_rng_range(r, 2, 5);
	stagger = (uint32_t)sim_rng_range(r, 5, 50);
	/* The last of N candidates must claim within one detection time,
	 * or convergence can legitimately take longer than (a) allows. */
	stagger_max = c->hb_ms * c->dead_after / (uint32_t)n_nodes;
	if (stagger > stagger_max)
		stagger = stagger_max > 0 ? stagger_max : 1;
	hello = (uint32_t)sim_rng_range(r, 1000, 10000);
	for (i = 0; i < n_nodes; i++) {
		snprintf(name, sizeof(name), "n%d", i + 1);
		sim_node_conf(s, i, name);
		s->node[i].conf.heartbeat_ms = c->hb_ms;
		s->node[i].conf.dead_after = c->dead_after;
		s->node[i].conf.claim_stagger_ms = stagger;
		s->node[i].conf.lease_ms = 3 * c->hb_ms;
		s->node[i].conf.hello_interval_ms = hello;
		s->node[i].conf.priority = pick_priority(r);
		s->node[i].conf.preempt = preempt_mode == 3
					      ? sim_rng_permille(r, 500)
					      : preempt_mode == 2;
	}
	if (s->verbosity >= SIM_TIMELINE)
		printf("# %d nodes, heartbeat %" PRIu32
		       " ms, dead-after %" PRIu32 ", stagger %" PRIu32
		       " ms, hello %" PRIu32 " ms\n",
		    n_nodes, c->hb_ms, c->dead_after, stagger, hello);
}

static void
random_net(struct scen *c)
{
	struct sim_net *net = &c->s->net;
	struct sim_rng *r = c->r;

	net->delay_min_ms = (uint32_t)sim_rng_range(r, 0, c->hb_ms / 8);
	net->delay_max_ms =
	    (uint32_t)sim_rng_range(r, net->delay_min_ms, c->hb_ms / 2);
	net->loss_pm =
	    sim_rng_permille(r, 300) ? 0 : (uint32_t)sim_rng_range(r, 0, 300);
	net->dup_pm = (uint32_t)sim_rng_range(r, 0, 100);
	net->reorder_pm = (uint32_t)sim_rng_range(r, 0, 200);
	net->reorder_max_ms = (uint32_t)sim_rng_range(r, 1, c->hb_ms);
	net->pause_queue = sim_rng_permille(r, 500);
	net->fifo = sim_rng_permille(r, 500);
	if (c->s->verbosity >= SIM_TIMELINE)
		printf("%7" PRIu64 " ms  net: delay %" PRIu32 "..%" PRIu32
		       " ms, loss %" PRIu32 "%%o, dup %" PRIu32
		       "%%o, reorder %" PRIu32 "%%o\n",
		    c->s->now, net->delay_min_ms, net->delay_max_ms,
		    net->loss_pm, net->dup_pm, net->reorder_pm);
}

/* A random node in run state `run`, never the joiner; -1 if none. */
static int
pick_node(struct scen *c, enum sim_run run)
{
	int cand[SIM_MAX_NODES], n = 0, i;

	for (i = 0; i < c->s->n_nodes; i++)
		if (i != c->joiner && c->s->node[i].run == run)
			cand[n++] = i;
	if (n == 0)
		return -1;
	return cand[sim_rng_range(c->r, 0, (uint64_t)n - 1)];
}

static void
partition(struct scen *c)
{
	struct sim *s = c->s;
	int i, groups = (int)sim_rng_range(c->r, 2, 3);

	for (i = 0; i < s->n_nodes; i++)
		sim_set_group(
		    s, i, (int)sim_rng_range(c->r, 0, (uint64_t)groups - 1));
	c->partitioned = true;
	if (s->verbosity >= SIM_TIMELINE) {
		printf("%7" PRIu64 " ms  partition:", s->now);
		for (i = 0; i < s->n_nodes; i++)
			printf(" %s/%d", s->node[i].name, s->node[i].group);
		printf("\n");
	}
}

static void
heal_partition(struct scen *c)
{
	int i;

	for (i = 0; i < c->s->n_nodes; i++)
		sim_set_group(c->s, i, 0);
	c->partitioned = false;
	if (c->s->verbosity >= SIM_TIMELINE)
		printf("%7" PRIu64 " ms  partition healed\n", c->s->now);
}

static enum fault
pick_fault(struct sim_rng *r)
{
	uint32_t total = 0, x;
	int f;

	for (f = 0; f < N_FAULTS; f++)
		total += fault_weight[f];
	x = (uint32_t)sim_rng_range(r, 0, total - 1);
	for (f = 0; f < N_FAULTS - 1; f++) {
		if (x < fault_weight[f])
			break;
		x -= fault_weight[f];
	}
	return (enum fault)f;
}

static int
inject(struct scen *c)
{
	struct sim *s = c->s;
	int i, t;

	switch (pick_fault(c->r)) {
	case F_NET:
		random_net(c);
		return 0;
	case F_PARTITION:
		partition(c);
		return 0;
	case F_HEAL_PARTITION:
		heal_partition(c);
		return 0;
	case F_CRASH:
		i = pick_node(c, SIM_UP);
		return i < 0 ? 0 : sim_crash(s, i);
	case F_RESTART:
		i = pick_node(c, SIM_DOWN);
		return i < 0 ? 0 : sim_start(s, i);
	case F_PAUSE:
		i = pick_node(c, SIM_UP);
		return i < 0 ? 0 : sim_pause(s, i);
	case F_RESUME:
		i = pick_node(c, SIM_PAUSED);
		return i < 0 ? 0 : sim_resume(s, i);
	case F_SHUTDOWN:
		i = pick_node(c, SIM_UP);
		return i < 0 ? 0 : sim_shutdown(s, i);
	case F_HANDOVER:
		i = sim_holder(s);
		t = sim_rng_permille(c->r, 500) ? pick_node(c, SIM_UP) : -1;
		return i < 0 || t == i ? 0 : sim_handover(s, i, t);
	case F_NONE:
	case N_FAULTS:
		break;
	}
	return 0;
}

static int
chaos(struct scen *c, uint64_t until)
{
	struct sim *s = c->s;
	uint64_t t = s->now;
	int i;

	/* Nodes boot at slightly different times, as machines do. */
	for (i = 0; i < s->n_nodes; i++) {
		if (i == c->joiner)
			continue;
		if (sim_run_until(s, s->now + sim_rng_range(c->r, 0, 50)) ||
		    sim_start(s, i))
			return -1;
	}
	random_net(c);
	for (;;) {
		t += sim_rng_range(c->r, 20, 600);
		if (t >= until)
			break;
		if (sim_run_until(s, t) != 0 || inject(c) != 0)
			return -1;
	}
	return sim_run_until(s, until);
}

static int
heal(struct scen *c)
{
	struct sim *s = c->s;
	struct sim_net *net = &s->net;
	int i;

	if (s->verbosity >= SIM_TIMELINE)
		printf(
		    "%7" PRIu64 " ms  heal: no loss, no partition\n", s->now);
	heal_partition(c);
	/* A LAN: well under the claim stagger (5 ms at least), so that a
	 * named successor's claim is heard before the next turn comes. */
	net->delay_min_ms = 0;
	net->delay_max_ms = 1;
	net->fifo = true;
	net->loss_pm = net->dup_pm = net->reorder_pm = 0;
	for (i = 0; i < s->n_nodes; i++) {
		if (i == c->joiner)
			continue;
		if (s->node[i].run == SIM_PAUSED && sim_resume(s, i) != 0)
			return -1;
		if (s->node[i].run == SIM_DOWN && sim_rng_permille(c->r, 600) &&
		    sim_start(s, i) != 0)
			return -1;
	}
	return 0;
}

/* From now on: (a) at every step, (d) on every state change. */
static int
settle(struct scen *c)
{
	struct sim *s = c->s;
	struct sim_check *k = &s->check;
	const struct elect_conf *jc;
	int h;

	k->converged = true;
	if (sim_check_all(s) != 0)
		return -1;
	h = sim_holder(s);
	k->steady = true;
	k->holder = h;
	k->joiner = -1;
	if (c->joiner < 0)
		return 0;
	jc = &s->node[c->joiner].conf;
	/* Preempt lets a better joiner take over, once; with no holder the
	 * joiner is simply the first to be elected. */
	if (h < 0 || (jc->preempt && jc->priority >= s->node[h].conf.priority))
		k->joiner = c->joiner;
	return 0;
}

static int
join(struct scen *c, uint64_t w)
{
	struct sim *s = c->s;

	s->check.converged = false;
	s->check.joined = true;
	if (sim_start(s, c->joiner) != 0)
		return -1;
	if (sim_run_until(s, s->now + w) != 0)
		return -1;
	s->check.converged = true;
	return sim_check_all(s);
}

/* At the end: a better preempting joiner must hold the address. */
static int
final_check(struct scen *c)
{
	struct sim *s = c->s;
	const struct sim_check *k = &s->check;
	const struct elect_conf *jc;
	int h0;

	if (sim_check_all(s) != 0 || c->joiner < 0 || k->joiner < 0)
		return s->failed ? -1 : 0;
	jc = &s->node[c->joiner].conf;
	h0 = k->handed_over ? -1 : k->holder;
	if (jc->priority == 0)
		return 0;
	if (h0 < 0 || jc->priority > s->node[h0].conf.priority) {
		if (sim_holder(s) != c->joiner)
			return sim_fail(s, c->joiner,
			    "invariant (d): a "
			    "better node joined "
			    "with preempt on and "
			    "was not handed the "
			    "address");
	}
	return 0;
}

static int
stable(struct scen *c)
{
	struct sim *s = c->s;
	uint64_t w = 3ull * c->dead_after * c->hb_ms;
	uint64_t margin = w > 1000 ? w : 1000;

	if (sim_run_until(s, s->now + w) != 0 || settle(c) != 0)
		return -1;
	if (c->joiner >= 0) {
		if (sim_run_until(s, s->now + sim_rng_range(c->r, 0, w / 2)))
			return -1;
		if (join(c, w) != 0)
			return -1;
	}
	if (sim_run_until(s, s->now + margin) != 0)
		return -1;
	return final_check(c);
}

static void
pick_joiner(struct scen *c, int n_nodes)
{
	struct sim_node *j;

	c->joiner = -1;
	if (!sim_rng_permille(c->r, 300))
		return;
	c->joiner = (int)sim_rng_range(c->r, 0, (uint64_t)n_nodes - 1);
	j = &c->s->node[c->joiner];
	if (sim_rng_permille(c->r, 600)) {
		j->conf.priority = 254; /* better than anybody */
		j->conf.preempt = true;
	}
	if (c->s->verbosity >= SIM_TIMELINE)
		printf("# %s joins in the stable phase (priority %u, preempt "
		       "%s)\n",
		    j->name, j->conf.priority, j->conf.preempt ? "on" : "off");
}

int
sim_scenario_run(struct sim *s, struct elect_key *key, uint64_t seed,
    enum sim_verbosity verbosity)
{
	struct scen c = {0};
	int n_nodes, i;

	sim_init(s, key, 3, seed);
	s->verbosity = verbosity;
	c.s = s;
	c.r = &s->rng;
	n_nodes = (int)sim_rng_range(c.r, 3, 20);
	s->n_nodes = n_nodes;
	conf_cluster(&c, n_nodes);
	pick_joiner(&c, n_nodes);
	if (verbosity >= SIM_TIMELINE)
		for (i = 0; i < n_nodes; i++)
			printf("# %s priority %u preempt %s\n", s->node[i].name,
			    s->node[i].conf.priority,
			    s->node[i].conf.preempt ? "on" : "off");
	if (chaos(&c, sim_rng_range(c.r, 2000, 6000)) != 0 || heal(&c) != 0 ||
	    stable(&c) != 0)
		return -1;
	return 0;
}
