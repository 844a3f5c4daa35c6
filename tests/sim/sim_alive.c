/*
 * tests/sim/sim_alive.c — fast member liveness in the simulator
 * (--alive; README.md, invariants (n) and (o)). Every node sends ALIVEs;
 * this file keeps, per pair of nodes, when the one last had a datagram
 * of the other delivered, and judges the MEMBER_DEAD actions against
 * what the world did: a silent member is declared dead by every node
 * that runs and hears the LAN within its expiry (n), and a member that
 * sends on a clean LAN is never declared dead (o). The expiry is
 * written again here from doc/protocol.md, not taken from the core.
 */
#include "config.h"

#include <inttypes.h>
#include <string.h>

#include "tests/sim/sim.h"

enum {
	ST_SENDS = 1,  /* up, running, linked, not stopped: it speaks */
	ST_JUDGES = 2, /* ... the same: it hears and judges */
	ST_MUTE = 4,   /* its disk refuses writes: it may fall silent */
};

static int
node_status(const struct sim *s, int i)
{
	const struct sim_node *n = &s->node[i];
	int st = 0;

	if (n->core != NULL && n->run == SIM_UP && !n->frozen && n->link_up &&
	    elect_get_state(n->core) != ELECT_ST_STOPPED)
		st = ST_SENDS | ST_JUDGES;
	if (n->disk_broken)
		st |= ST_MUTE;
	return st | n->group << 3;
}

static int
node_of(const struct sim *s, const struct elect_id *id)
{
	int i;

	for (i = 0; i < s->n_nodes; i++)
		if (s->node[i].has_id && elect_id_cmp(&s->node[i].id, id) == 0)
			return i;
	return -1;
}

void
sim_alive_heard(struct sim *s, int j, int x)
{
	if (!s->alive.on || x < 0 || x >= s->n_nodes)
		return;
	s->alive.heard[j][x] = s->now;
	s->alive.judged[j][x] = 0;
}

/* How long j lets x be silent (doc/protocol.md, "ALIVE"): dead-after
 * of its periods + 50 ms; 0: the long expiry (not checked here). */
static uint64_t
expiry_ms(const struct sim *s, int j, const struct elect_member_info *x)
{
	const struct sim_node *nj = &s->node[j];
	uint64_t period = x->alive_ms;
	int xi = node_of(s, &x->id);
	uint32_t hb =
	    xi >= 0 ? s->node[xi].conf.heartbeat_ms : nj->conf.heartbeat_ms;

	if (x->alive_ms == 0)
		return 0;
	if (x->state == ELECT_ST_HOLDER && hb > period)
		period = hb;
	return nj->conf.dead_after * period + ELECT_ALIVE_MARGIN_MS;
}

static bool
lists(const struct sim *s, int j, int x, struct elect_member_info *out)
{
	struct elect_member_info info[SIM_MAX_NODES];
	size_t k, n;

	n = elect_get_members(s->node[j].core, s->now, info, SIM_MAX_NODES);
	for (k = 0; k < n; k++)
		if (elect_id_cmp(&info[k].id, &s->node[x].id) == 0) {
			*out = info[k];
			return true;
		}
	return false;
}

/*
 * (o): x sends, j judges, on the same side, and neither they nor the
 * LAN changed for longer than x's expiry + a heartbeat + the LAN's
 * delay: j must not declare x dead.
 */
static int
check_false_death(struct sim *s, int j, int x, uint64_t silent_ms)
{
	const struct sim_alive *a = &s->alive;
	uint64_t since = a->clean_since, window;
	int sj = node_status(s, j), sx = node_status(s, x);

	if (!(sx & ST_SENDS) || (sx & ST_MUTE) || !(sj & ST_JUDGES) ||
	    (sx >> 3) != (sj >> 3) || s->net.loss_pm != 0 ||
	    s->net.reorder_pm != 0)
		return 0;
	since = a->changed[x] > since ? a->changed[x] : since;
	since = a->changed[j] > since ? a->changed[j] : since;
	since = a->floor[j] > since ? a->floor[j] : since;
	window =
	    (uint64_t)s->node[j].conf.dead_after *
		(s->node[x].conf.heartbeat_ms + s->node[j].conf.heartbeat_ms) +
	    ELECT_ALIVE_MARGIN_MS + s->net.delay_max_ms + 5;
	if (s->now < since + window) {
		s->stats.alive_exempt++;
		return 0;
	}
	return sim_fail(s, j,
	    "invariant (o): declared %s dead (silent %" PRIu64
	    " ms by its count) though it sends on a clean LAN since %" PRIu64,
	    s->node[x].name, silent_ms, since);
}

int
sim_alive_member(struct sim *s, int j, const struct elect_action *act)
{
	int x = node_of(s, &act->peer);

	if (act->type == ELECT_ACT_MEMBER_UP) {
		s->stats.alive_ups++;
		return 0;
	}
	s->stats.alive_deaths++;
	if (!s->alive.on || x < 0)
		return 0;
	s->alive.judged[j][x] = 1;
	if (!(node_status(s, x) & ST_SENDS) && s->alive.heard[j][x] != 0 &&
	    act->member.alive_ms != 0) {
		uint64_t from = s->alive.heard[j][x];
		uint64_t took;

		if (s->alive.floor[j] > from)
			from = s->alive.floor[j]; /* (n) counts from there */
		took = s->now - from;

		s->stats.alive_checked++;
		if (took > s->stats.alive_max_ms)
			s->stats.alive_max_ms = took;
	}
	return check_false_death(s, j, x, act->member.last_seen_ms);
}

/* Statuses sampled now: what changed since the last step is dated now. */
static void
sample(struct sim *s)
{
	struct sim_alive *a = &s->alive;
	int i, st;

	if (a->net_seen.loss_pm != s->net.loss_pm ||
	    a->net_seen.reorder_pm != s->net.reorder_pm ||
	    a->net_seen.delay_max_ms != s->net.delay_max_ms ||
	    s->net.loss_pm != 0 || s->net.reorder_pm != 0) {
		a->net_seen = s->net;
		a->clean_since = s->now;
	}
	for (i = 0; i < s->n_nodes; i++) {
		st = node_status(s, i);
		if (st == a->status[i] &&
		    s->node[i].started_ms <= a->changed[i])
			continue;
		if ((st & ST_JUDGES) && !(a->status[i] & ST_JUDGES))
			a->floor[i] = s->now; /* it hears again from now */
		a->status[i] = st;
		a->changed[i] = s->now;
	}
}

/*
 * (n): x sends nothing (down, paused, frozen, its link cut, stopped);
 * j judges and has since x's last datagram reached it: j must have
 * declared x dead by then + x's expiry in j's view + 1 ms.
 */
static int
check_deadline(struct sim *s, int j, int x)
{
	struct sim_alive *a = &s->alive;
	struct elect_member_info info;
	uint64_t base = a->heard[j][x], e;

	if (a->judged[j][x] != 0 || base == 0)
		return 0;
	if (a->floor[j] > base)
		base = a->floor[j];
	if (s->now <= base +
			  (uint64_t)s->node[j].conf.dead_after *
			      s->node[x].conf.alive_interval_ms +
			  ELECT_ALIVE_MARGIN_MS)
		return 0; /* sooner than any expiry: no need to look */
	if (!lists(s, j, x, &info)) {
		a->judged[j][x] = 1;
		return 0;
	}
	if ((e = expiry_ms(s, j, &info)) == 0) {
		a->judged[j][x] = 2;
		return 0;
	}
	if (s->now <= base + e + 1)
		return 0;
	return sim_fail(s, j,
	    "invariant (n): %s (age %" PRIu64 ", state %d) silent since "
	    "it was last heard at %" PRIu64
	    " ms (or we judge again since), still listed %" PRIu64
	    " ms past its expiry of %" PRIu64 " ms",
	    s->node[x].name, info.last_seen_ms, (int)info.state, base,
	    s->now - base - e, e);
}

int
sim_alive_check(struct sim *s)
{
	int j, x;

	sample(s);
	for (x = 0; x < s->n_nodes; x++) {
		if (s->alive.status[x] & ST_SENDS || !s->node[x].has_id)
			continue;
		for (j = 0; j < s->n_nodes; j++)
			if (j != x && (s->alive.status[j] & ST_JUDGES) &&
			    check_deadline(s, j, x) != 0)
				return -1;
	}
	return 0;
}
