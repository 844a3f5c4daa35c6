/*
 * store/rplan.c — the site cache's planner (store/rplan.h).
 *
 * A step classifies the view's nodes by member (a node is "live" when its
 * address is a live member's and its port one of the member's R + 1,
 * "dead" on a dead member, "gone" otherwise), then plans in this order,
 * each rule on the view as it is:
 *
 *  1. a dead or gone master that serves slots and has a replica on a
 *     live member: TAKEOVER on one replica (rplan_takeover()'s choice); a
 *     live member that should serve slots but has only replicas: RESET
 *     one, MEET it again. Either changes roles: nothing else this step.
 *  2. FORGET every gone node, on every live node (but its replicas,
 *     which Redis refuses: their master is taken over first).
 *  3. MEET every instance of a live member missing from the view.
 *  4. Open migrations: completed towards the importing side when both
 *     sides are live masters, else made STABLE.
 *  5. Slots: free slots to the live members' primaries short of their
 *     target (ADDSLOTSRANGE, in address order, so a new cluster gets
 *     one range per member); then MOVE_SLOT from masters over their
 *     target (extra masters first: their target is 0) to primaries
 *     under it, each donor giving its highest slots, in runs.
 *  6. Replicas: REPLICATE free instances (empty extra masters, replicas
 *     of nothing useful) to slot masters short of min(R, live - 1)
 *     replicas, from the members after the master's in address order,
 *     other members first; else a replica taken from a master that has
 *     more than enough; free instances left over go to the slot master
 *     with the fewest replicas.
 */
#include "config.h"

#include "store/rplan.h"

#include <string.h>

#include "store/store_int.h"

/* A node's place in the plan. */
enum role {
	R_SKIP, /* handshake, or no address: Redis sorts it out */
	R_LIVE, /* an instance of a live member */
	R_DEAD, /* an instance of a dead member */
	R_GONE, /* of no member: forgotten */
};

struct ctx {
	const struct rplan_in *in;
	const struct rnodes_view *v;
	struct rplan_out *out;
	size_t order[RPLAN_MEMBERS_MAX]; /* members by address */
	size_t alive;			 /* live members */
	enum role role[RNODES_MAX];
	int mem[RNODES_MAX];		/* member index, -1 when gone */
	int primary[RPLAN_MEMBERS_MAX]; /* node index, -1 when none */
	int want[RNODES_MAX];		/* slots the node should serve */
	int have[RNODES_MAX];		/* slots it serves, as planned */
	uint8_t busy[RNODES_SLOTS / 8]; /* slots with a migration open */
	size_t moves;			/* MOVE_SLOT planned */
	unsigned replicas[RNODES_MAX];	/* of a slot master, as planned */
	bool free_node[RNODES_MAX];	/* may be made a replica */
};

static bool
is_master(const struct rnode *n)
{
	return (n->flags & RNODE_MASTER) != 0;
}

static bool
is_busy(const struct ctx *c, unsigned s)
{
	return (c->busy[s / 8] >> (s % 8)) & 1;
}

static void
set_busy(struct ctx *c, unsigned s)
{
	c->busy[s / 8] |= (uint8_t)(1u << (s % 8));
}

/* A new action sent to node i (-1: to the view's own node), or NULL
 * when the list is full. */
static struct rplan_act *
emit(struct ctx *c, enum rplan_op op, int i)
{
	const struct rnode *n = &c->v->node[i < 0 ? c->v->self : i];
	struct rplan_act *a;

	if (c->out->nact == RPLAN_ACT_MAX) {
		c->out->more = true;
		return NULL;
	}
	a = &c->out->act[c->out->nact++];
	memset(a, 0, sizeof(*a));
	a->op = op;
	a->addr = n->addr;
	a->port = n->port;
	memcpy(a->node_id, n->id, sizeof(a->node_id));
	return a;
}

static void
set_peer(struct rplan_act *a, const struct rnode *p)
{
	a->peer_addr = p->addr;
	a->peer_port = p->port;
	memcpy(a->peer_id, p->id, sizeof(a->peer_id));
}

/* ---- classification ---- */

static int
member_of(const struct ctx *c, uint32_t addr)
{
	size_t i;

	for (i = 0; i < c->in->nmembers; i++)
		if (addr != 0 && c->in->members[i].addr == addr)
			return (int)i;
	return -1;
}

static void
sort_members(struct ctx *c)
{
	const struct rplan_member *m = c->in->members;
	size_t i, j;

	for (i = 0; i < c->in->nmembers; i++) {
		for (j = i; j > 0 && m[c->order[j - 1]].addr > m[i].addr; j--)
			c->order[j] = c->order[j - 1];
		c->order[j] = i;
	}
}

static void
classify(struct ctx *c)
{
	const struct rplan_conf *cf = &c->in->conf;
	size_t i;

	for (i = 0; i < c->v->n; i++) {
		const struct rnode *n = &c->v->node[i];
		int m = member_of(c, n->addr);

		c->mem[i] = m;
		if (n->flags & RNODE_HANDSHAKE ||
		    (n->addr == 0 && (int)i != c->v->self))
			c->role[i] = R_SKIP;
		else if (m < 0 || n->port < cf->port ||
			 n->port > cf->port + cf->replicas)
			c->role[i] = R_GONE, c->mem[i] = -1;
		else
			c->role[i] = c->in->members[m].alive ? R_LIVE : R_DEAD;
	}
}

/* The master of member m that keeps its slots: the one serving most,
 * ties to the lower port. */
static void
find_primaries(struct ctx *c)
{
	size_t i;

	for (i = 0; i < RPLAN_MEMBERS_MAX; i++)
		c->primary[i] = -1;
	for (i = 0; i < c->v->n; i++) {
		const struct rnode *n = &c->v->node[i];
		int m = c->mem[i], p;

		if (c->role[i] != R_LIVE || !is_master(n))
			continue;
		p = c->primary[m];
		if (p < 0 || n->nslots > c->v->node[p].nslots ||
		    (n->nslots == c->v->node[p].nslots &&
			n->port < c->v->node[p].port))
			c->primary[m] = (int)i;
	}
}

/* ---- 1. takeover and reset ---- */

/* Of the replicas of master x that ok() accepts, the one every survivor
 * picks: the highest hash of (x's id, replica address and port). */
static int
pick_replica(const struct rnodes_view *v, int x, bool (*ok)(const void *, int),
    const void *arg)
{
	uint64_t hx = 0, best = 0;
	int pick = -1;
	size_t i;

	for (i = 0; i < RNODES_ID_LEN; i++)
		hx = store_mix64(hx ^ (uint8_t)v->node[x].id[i]);
	for (i = 0; i < v->n; i++) {
		const struct rnode *r = &v->node[i];
		uint64_t h;

		if (r->master != x || !(r->flags & RNODE_SLAVE) ||
		    !ok(arg, (int)i))
			continue;
		h = store_mix64(hx ^ ((uint64_t)r->addr << 16 | r->port));
		if (pick < 0 || h > best)
			best = h, pick = (int)i;
	}
	return pick;
}

static bool
live_ok(const void *arg, int i)
{
	const struct ctx *c = arg;

	return c->role[i] == R_LIVE && !(c->v->node[i].flags & RNODE_FAIL);
}

static bool
plan_takeovers(struct ctx *c)
{
	bool any = false;
	size_t i;

	for (i = 0; i < c->v->n; i++) {
		const struct rnode *x = &c->v->node[i];
		struct rplan_act *a;
		int r;

		if ((c->role[i] != R_DEAD && c->role[i] != R_GONE) ||
		    !is_master(x) || x->nslots == 0)
			continue;
		if ((r = pick_replica(c->v, (int)i, live_ok, c)) < 0)
			continue;
		if ((a = emit(c, RPLAN_TAKEOVER, r)) != NULL)
			set_peer(a, x);
		any = true;
	}
	return any;
}

/* A live member with a slot target but only replicas: one of them (the
 * lowest port) becomes an empty master again, and is met anew since a
 * reset forgets every node. */
static bool
plan_resets(struct ctx *c)
{
	bool any = false;
	size_t k;

	for (k = 0; k < c->in->nmembers; k++) {
		size_t m = c->order[k], i;
		int r = -1;
		struct rplan_act *a;

		if (!c->in->members[m].alive || c->out->target[m] == 0 ||
		    c->primary[m] >= 0)
			continue;
		for (i = 0; i < c->v->n; i++)
			if (c->role[i] == R_LIVE && c->mem[i] == (int)m &&
			    (r < 0 || c->v->node[i].port < c->v->node[r].port))
				r = (int)i;
		if (r < 0)
			continue;
		(void)emit(c, RPLAN_RESET, r);
		/* Reset, the view's own node knows nobody: its next view
		 * meets them all. */
		if (r != c->v->self && (a = emit(c, RPLAN_MEET, -1)) != NULL)
			set_peer(a, &c->v->node[r]);
		any = true;
	}
	return any;
}

/* ---- 2. forget, 3. meet ---- */

static void
plan_forgets(struct ctx *c)
{
	size_t g, i;

	for (g = 0; g < c->v->n; g++) {
		if (c->role[g] != R_GONE)
			continue;
		for (i = 0; i < c->v->n; i++) {
			struct rplan_act *a;

			if (c->role[i] != R_LIVE ||
			    c->v->node[i].master == (int)g)
				continue;
			if ((a = emit(c, RPLAN_FORGET, (int)i)) != NULL)
				set_peer(a, &c->v->node[g]);
		}
	}
}

static bool
in_view(const struct ctx *c, uint32_t addr, uint16_t port)
{
	size_t i;

	for (i = 0; i < c->v->n; i++)
		if (c->v->node[i].addr == addr && c->v->node[i].port == port)
			return true;
	return false;
}

/* Whether any instance of a live member is missing from the view. */
static bool
plan_meets(struct ctx *c)
{
	const struct rplan_conf *cf = &c->in->conf;
	size_t k;
	unsigned p;
	bool any = false;

	for (k = 0; k < c->in->nmembers; k++) {
		const struct rplan_member *m = &c->in->members[c->order[k]];

		if (!m->alive)
			continue;
		for (p = cf->port; p <= (unsigned)cf->port + cf->replicas;
		     p++) {
			struct rplan_act *a;

			if (in_view(c, m->addr, (uint16_t)p))
				continue;
			any = true;
			if ((a = emit(c, RPLAN_MEET, -1)) == NULL)
				return any;
			a->peer_addr = m->addr;
			a->peer_port = (uint16_t)p;
		}
	}
	return any;
}

/* Whether a node of the view is still in its handshake. */
static bool
handshakes(const struct ctx *c)
{
	size_t i;

	for (i = 0; i < c->v->n; i++)
		if (c->role[i] == R_SKIP && (int)i != c->v->self)
			return true;
	return false;
}

/* ---- 4. open migrations ---- */

static void
move_slot(struct ctx *c, unsigned s, int from, int to)
{
	struct rplan_act *a;

	if (c->moves == RPLAN_MOVES_MAX) {
		c->out->more = true;
		return;
	}
	if ((a = emit(c, RPLAN_MOVE_SLOT, from)) == NULL)
		return;
	set_peer(a, &c->v->node[to]);
	a->slot = a->slot_hi = (uint16_t)s;
	c->moves++;
	c->have[from]--;
	c->have[to]++;
}

static void
stable(struct ctx *c, unsigned s, int i)
{
	struct rplan_act *a = emit(c, RPLAN_STABLE, i);

	if (a != NULL)
		a->slot = a->slot_hi = (uint16_t)s;
}

static bool
live_master(const struct ctx *c, int i)
{
	return i >= 0 && c->role[i] == R_LIVE && is_master(&c->v->node[i]);
}

/* Migrating on n to peer p: finished towards p (or the master that
 * took p over) when it can be, else closed. */
static void
fix_migrating(struct ctx *c, unsigned s, int n, int p)
{
	if (p >= 0 && (c->v->node[p].flags & RNODE_SLAVE))
		p = c->v->node[p].master;
	if (c->v->owner[s] == n && live_master(c, p) && p != n)
		move_slot(c, s, n, p);
	else
		stable(c, s, n);
}

/* Importing on n: the owner's remaining keys come over; with no owner
 * (forgotten), closed; with a dead owner, left until it is taken over. */
static void
fix_importing(struct ctx *c, unsigned s, int n)
{
	int o = c->v->owner[s];

	if (o == n || o < 0)
		stable(c, s, n);
	else if (live_master(c, o) && is_master(&c->v->node[n]))
		move_slot(c, s, o, n);
	else if (c->role[o] == R_LIVE)
		stable(c, s, n);
}

static void
plan_migrations(struct ctx *c)
{
	size_t k;

	for (k = 0; k < c->in->nmig; k++) {
		const struct rnodes_mig *m = &c->in->mig[k];
		int n = rnodes_find(c->v, m->node_id);

		if (m->slot >= RNODES_SLOTS || n < 0 || c->role[n] != R_LIVE)
			continue;
		c->out->status.open_migs++;
		if (is_busy(c, m->slot))
			continue;
		set_busy(c, m->slot);
		if (m->importing)
			fix_importing(c, m->slot, n);
		else
			fix_migrating(
			    c, m->slot, n, rnodes_find(c->v, m->peer_id));
	}
}

/* ---- 5. slots ---- */

static void
count_slots(struct ctx *c)
{
	struct rplan_status *st = &c->out->status;
	size_t i, k;

	for (i = 0; i < c->v->n; i++) {
		c->have[i] = c->v->node[i].nslots;
		c->want[i] = 0;
		if (c->role[i] == R_LIVE)
			st->slots_live += c->v->node[i].nslots;
		else
			st->slots_stuck += c->v->node[i].nslots;
	}
	st->slots_free = RNODES_SLOTS - st->slots_live - st->slots_stuck;
	for (k = 0; k < c->in->nmembers; k++)
		if (c->primary[k] >= 0)
			c->want[c->primary[k]] = c->out->target[k];
	for (i = 0; i < c->v->n; i++)
		if (c->role[i] == R_LIVE && c->have[i] > c->want[i])
			st->slots_off += (unsigned)(c->have[i] - c->want[i]);
}

/* Free slots, in runs, to the primaries short of their target, members
 * in address order. */
static void
plan_addslots(struct ctx *c)
{
	unsigned s = 0;
	size_t k;

	for (k = 0; k < c->in->nmembers && s < RNODES_SLOTS; k++) {
		int p = c->primary[c->order[k]];

		while (p >= 0 && c->have[p] < c->want[p] && s < RNODES_SLOTS) {
			struct rplan_act *a;
			unsigned lo;

			while (s < RNODES_SLOTS &&
			       (c->v->owner[s] >= 0 || is_busy(c, s)))
				s++;
			if (s == RNODES_SLOTS)
				break;
			lo = s;
			while (s < RNODES_SLOTS && c->v->owner[s] < 0 &&
			       !is_busy(c, s) && c->have[p] < c->want[p])
				s++, c->have[p]++;
			if ((a = emit(c, RPLAN_ADDSLOTS, p)) == NULL)
				return;
			a->slot = (uint16_t)lo;
			a->slot_hi = (uint16_t)(s - 1);
		}
	}
}

/* The next donor: a live master over its target, extra masters (target
 * 0) first, then the largest surplus, ties to the lower address and
 * port; -1 when none. */
static int
next_donor(const struct ctx *c)
{
	int best = -1;
	size_t i;

	for (i = 0; i < c->v->n; i++) {
		const struct rnode *n = &c->v->node[i], *b;
		int sur = c->have[i] - c->want[i], bsur;

		if (!live_master(c, (int)i) || sur <= 0)
			continue;
		if (best < 0) {
			best = (int)i;
			continue;
		}
		b = &c->v->node[best];
		bsur = c->have[best] - c->want[best];
		if ((c->want[i] == 0) != (c->want[best] == 0)) {
			if (c->want[i] == 0)
				best = (int)i;
		} else if (sur > bsur ||
			   (sur == bsur &&
			       (n->addr < b->addr ||
				   (n->addr == b->addr && n->port < b->port))))
			best = (int)i;
	}
	return best;
}

/* The primary most under its target, ties to the lower address. */
static int
next_taker(const struct ctx *c)
{
	int best = -1, bdef = 0;
	size_t k;

	for (k = 0; k < c->in->nmembers; k++) {
		int p = c->primary[c->order[k]];

		if (p >= 0 && c->want[p] - c->have[p] > bdef)
			best = p, bdef = c->want[p] - c->have[p];
	}
	return best;
}

/* Donors give their highest slots first: the ranges a donor keeps stay
 * whole, and what a newcomer takes from each is one run. */
static void
plan_moves(struct ctx *c)
{
	int d, t;
	unsigned s = RNODES_SLOTS;

	while ((d = next_donor(c)) >= 0 && (t = next_taker(c)) >= 0) {
		for (s = RNODES_SLOTS; s-- > 0;)
			if (c->v->owner[s] == d && !is_busy(c, s))
				break;
		if (s >= RNODES_SLOTS || c->moves == RPLAN_MOVES_MAX ||
		    c->out->nact == RPLAN_ACT_MAX) {
			c->out->more = c->out->more || s < RNODES_SLOTS;
			return;
		}
		set_busy(c, s);
		move_slot(c, s, d, t);
	}
}

/* ---- 6. replicas ---- */

/* Whether node i serves or will serve slots (a slot master). */
static bool
slot_master(const struct ctx *c, int i)
{
	return live_master(c, i) &&
	       (c->want[i] > 0 || c->v->node[i].nslots > 0);
}

/* Valid replicas are kept; the rest, and empty extra masters, are free. */
static void
count_replicas(struct ctx *c)
{
	size_t i;

	memset(c->replicas, 0, sizeof(c->replicas));
	memset(c->free_node, 0, sizeof(c->free_node));
	for (i = 0; i < c->v->n; i++) {
		const struct rnode *n = &c->v->node[i];
		int m = n->master;

		if (c->role[i] != R_LIVE)
			continue;
		if (n->flags & RNODE_SLAVE) {
			if (m >= 0 && slot_master(c, m) &&
			    c->mem[m] != c->mem[i])
				c->replicas[m]++;
			else
				c->free_node[i] = true;
		} else if (is_master(n) && n->nslots == 0 && c->want[i] == 0 &&
			   c->primary[c->mem[i]] != (int)i)
			c->free_node[i] = true;
	}
}

/* Whether member m already holds a replica of master x. */
static bool
hosts_replica(const struct ctx *c, int m, int x)
{
	size_t i;

	for (i = 0; i < c->v->n; i++)
		if (c->mem[i] == m && c->role[i] == R_LIVE &&
		    c->v->node[i].master == x && !c->free_node[i])
			return true;
	return false;
}

/* Of the nodes pick() accepts for master x, the first from the members
 * after x's in address order, lowest port first; on another member
 * than x's, on a member without a replica of x when distinct. */
static int
find_for(const struct ctx *c, int x, bool distinct,
    bool (*pick)(const struct ctx *, int, int))
{
	size_t n = c->in->nmembers, k0 = 0, k, i;
	int best;

	for (k = 0; k < n; k++)
		if ((int)c->order[k] == c->mem[x])
			k0 = k;
	for (k = 1; k < n; k++) {
		int m = (int)c->order[(k0 + k) % n];

		if (distinct && hosts_replica(c, m, x))
			continue;
		best = -1;
		for (i = 0; i < c->v->n; i++)
			if (c->mem[i] == m && pick(c, (int)i, x) &&
			    (best < 0 ||
				c->v->node[i].port < c->v->node[best].port))
				best = (int)i;
		if (best >= 0)
			return best;
	}
	return -1;
}

static bool
pick_free(const struct ctx *c, int i, int x)
{
	(void)x;
	return c->free_node[i];
}

/* A replica of a master with more than it needs. */
static bool
pick_spare(const struct ctx *c, int i, int x)
{
	int m = c->v->node[i].master;

	return !c->free_node[i] && c->role[i] == R_LIVE && m >= 0 && m != x &&
	       (c->v->node[i].flags & RNODE_SLAVE) &&
	       c->replicas[m] > c->out->status.want_replicas &&
	       slot_master(c, m) && c->mem[m] != c->mem[i];
}

static void
replicate(struct ctx *c, int r, int x)
{
	struct rplan_act *a = emit(c, RPLAN_REPLICATE, r);
	int old = c->v->node[r].master;

	if (a == NULL)
		return;
	set_peer(a, &c->v->node[x]);
	if (!c->free_node[r] && old >= 0)
		c->replicas[old]--;
	c->free_node[r] = false;
	c->replicas[x]++;
}

/* Slot masters short of replicas, in member address order. */
static void
fill_short(struct ctx *c)
{
	unsigned want = c->out->status.want_replicas;
	size_t i;
	int r;

	for (i = 0; i < c->v->n; i++) {
		if (!slot_master(c, (int)i))
			continue;
		while (c->replicas[i] < want) {
			if ((r = find_for(c, (int)i, true, pick_free)) < 0 &&
			    (r = find_for(c, (int)i, false, pick_free)) < 0 &&
			    (r = find_for(c, (int)i, true, pick_spare)) < 0 &&
			    (r = find_for(c, (int)i, false, pick_spare)) < 0)
				break;
			replicate(c, r, (int)i);
		}
	}
}

/* A replica of no live master (of a gone, dead or forgotten node): it
 * must be moved even where it protects nothing, or its master can never
 * be forgotten (Redis refuses to forget a replica's master). */
static bool
is_stray(const struct ctx *c, int i)
{
	const struct rnode *n = &c->v->node[i];

	return (n->flags & RNODE_SLAVE) && !live_master(c, n->master);
}

/* Free instances left: each to the slot master with fewest replicas on
 * another member (ties to the first in view order); a stray one with
 * none there, to a live master of its own member. */
static void
place_leftovers(struct ctx *c)
{
	size_t i, j;

	for (i = 0; i < c->v->n; i++) {
		int x = -1, own = -1;

		if (!c->free_node[i])
			continue;
		for (j = 0; j < c->v->n; j++) {
			if (c->mem[j] == c->mem[i]) {
				if (own < 0 && live_master(c, (int)j))
					own = (int)j;
			} else if (slot_master(c, (int)j) &&
				   (x < 0 || c->replicas[j] < c->replicas[x]))
				x = (int)j;
		}
		if (x < 0 && is_stray(c, (int)i))
			x = own;
		if (x >= 0)
			replicate(c, (int)i, x);
	}
}

/* The status counts what the view holds, before this step's changes. */
static void
plan_replicas(struct ctx *c)
{
	struct rplan_status *st = &c->out->status;
	size_t i;

	count_replicas(c);
	for (i = 0; i < c->v->n; i++) {
		if (!slot_master(c, (int)i))
			continue;
		if (c->replicas[i] < st->want_replicas)
			st->masters_short++;
		if (c->replicas[i] == 0)
			st->unreplicated = true;
	}
	fill_short(c);
	place_leftovers(c);
}

/* ---- the takeover decision ---- */

struct takeover_arg {
	const struct rnodes_view *v;
	const uint32_t *dead;
	size_t ndead;
};

static bool
is_dead(const struct takeover_arg *t, uint32_t addr)
{
	size_t i;

	for (i = 0; i < t->ndead; i++)
		if (t->dead[i] == addr)
			return true;
	return false;
}

/* ---- the step ---- */

void
rplan_targets(const struct rplan_member *m, size_t n, uint16_t *out)
{
	uint64_t total = 0, rem[RPLAN_MEMBERS_MAX], given = 0;
	bool equal;
	size_t i;

	for (i = 0; i < n; i++)
		total += m[i].alive ? m[i].weight : 0;
	equal = total == 0;
	for (i = 0; i < n && equal; i++)
		total += m[i].alive;
	for (i = 0; i < n && i < RPLAN_MEMBERS_MAX; i++) {
		uint64_t w = !m[i].alive ? 0 : equal ? 1 : m[i].weight;

		out[i] = total ? (uint16_t)(w * RNODES_SLOTS / total) : 0;
		rem[i] = total ? w * RNODES_SLOTS % total : 0;
		given += out[i];
	}
	/* The largest remainders get one more; ties to the lower address. */
	while (total && given < RNODES_SLOTS) {
		size_t best = n;

		for (i = 0; i < n && i < RPLAN_MEMBERS_MAX; i++)
			if (rem[i] > 0 && (best == n || rem[i] > rem[best] ||
					      (rem[i] == rem[best] &&
						  m[i].addr < m[best].addr)))
				best = i;
		if (best == n)
			break;
		out[best]++;
		rem[best] = 0;
		given++;
	}
}

static void
finish_status(struct ctx *c, bool changed_roles)
{
	struct rplan_status *st = &c->out->status;
	size_t i;

	st->unreplicated =
	    st->unreplicated || st->alive < 3 || c->in->conf.replicas == 0;
	st->converged = c->out->nact == 0 && !c->out->more &&
			st->slots_stuck == 0 && st->slots_free == 0 &&
			st->slots_off == 0 && st->masters_short == 0 &&
			st->open_migs == 0 && !changed_roles;
	for (i = 0; i < c->v->n && st->converged; i++)
		if (c->role[i] == R_SKIP && (int)i != c->v->self)
			st->converged = false;
}

static int
check_in(const struct rplan_in *in)
{
	const struct rnodes_view *v = in->view;
	size_t i;

	if (in->nmembers > RPLAN_MEMBERS_MAX ||
	    in->conf.replicas > RPLAN_REPLICAS_MAX || v == NULL ||
	    v->self < 0 || (size_t)v->self >= v->n ||
	    (uint32_t)in->conf.port + in->conf.replicas > 65535)
		return -1;
	for (i = 0; i < in->nmembers; i++)
		if (in->members[i].addr == v->node[v->self].addr &&
		    in->members[i].alive)
			return 0;
	return -1;
}

int
rplan_step(const struct rplan_in *in, struct rplan_out *out)
{
	struct ctx c; /* 5 KiB */
	size_t i;
	bool roles, meeting;

	memset(&out->status, 0, sizeof(out->status));
	memset(out->target, 0, sizeof(out->target));
	out->nact = 0;
	out->more = false;
	if (check_in(in) == -1)
		return -1;
	memset(&c, 0, sizeof(c));
	c.in = in;
	c.v = in->view;
	c.out = out;
	sort_members(&c);
	for (i = 0; i < in->nmembers; i++)
		c.alive += in->members[i].alive;
	out->status.alive = (unsigned)c.alive;
	out->status.want_replicas =
	    c.alive == 0 ? 0
			 : (unsigned)(c.alive - 1 < in->conf.replicas
					  ? c.alive - 1
					  : in->conf.replicas);
	rplan_targets(in->members, in->nmembers, out->target);
	classify(&c);
	find_primaries(&c);
	count_slots(&c);
	roles = plan_takeovers(&c);
	roles = plan_resets(&c) || roles;
	if (!roles) {
		plan_forgets(&c);
		meeting = plan_meets(&c) || handshakes(&c);
		plan_migrations(&c);
		/* A view that lacks instances may lack what they serve: free
		 * slots are only given on a whole view (a new node's own view
		 * says every slot is free). */
		if (!meeting)
			plan_addslots(&c);
		plan_moves(&c);
		plan_replicas(&c);
	}
	finish_status(&c, roles);
	return 0;
}

static bool
dead_ok(const void *arg, int i)
{
	const struct takeover_arg *t = arg;
	const struct rnode *r = &t->v->node[i];

	return !is_dead(t, r->addr) && !(r->flags & RNODE_FAIL);
}

size_t
rplan_takeover(const struct rnodes_view *v, const uint32_t *dead, size_t ndead,
    uint32_t my_addr, int *out, size_t max)
{
	struct takeover_arg t = {v, dead, ndead};
	size_t i, k = 0;
	int r;

	for (i = 0; i < v->n && k < max; i++) {
		const struct rnode *x = &v->node[i];

		if (!is_master(x) || x->nslots == 0 || !is_dead(&t, x->addr))
			continue;
		r = pick_replica(v, (int)i, dead_ok, &t);
		if (r >= 0 && v->node[r].addr == my_addr)
			out[k++] = r;
	}
	return k;
}

const char *
rplan_op_name(enum rplan_op op)
{
	switch (op) {
	case RPLAN_TAKEOVER:
		return "TAKEOVER";
	case RPLAN_RESET:
		return "RESET";
	case RPLAN_FORGET:
		return "FORGET";
	case RPLAN_MEET:
		return "MEET";
	case RPLAN_STABLE:
		return "STABLE";
	case RPLAN_ADDSLOTS:
		return "ADDSLOTS";
	case RPLAN_MOVE_SLOT:
		return "MOVE_SLOT";
	case RPLAN_REPLICATE:
		return "REPLICATE";
	}
	return "?";
}
