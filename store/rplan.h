/*
 * store/rplan.h — the site cache's planner (issue 11 item 2): from the
 * members QuRe knows and one Redis node's view of the cluster
 * (store/rnodes.h), the next commands that bring the Redis Cluster
 * towards its steady state. A pure core: no I/O, no clock, no
 * allocation; same input, same plan, on any member.
 *
 * Layout: member M (an IPv4 address) runs 1 + R redis-server instances
 * at M:P, M:P+1, ..., M:P+R (P = [store] port, R = [store] replicas).
 * Steady state: on each live member one instance is a master (its
 * "primary") holding its share of the 16384 slots, by weight (largest
 * remainder; weight 0 holds none); every master that holds slots has
 * min(R, members - 1) replicas, each on another member than the master
 * (distinct members when the replicas can be spread so); the other
 * instances are replicas too, or empty masters when nothing needs them.
 *
 * The step rule: the caller (one coordinator at a time) parses CLUSTER
 * NODES of one of its instances, gathers the open migrations of the
 * instances it can ask, calls rplan_step(), sends the actions in order
 * (a failed one is logged and the rest go on), reads the view again and
 * steps again until the plan says converged. Each action is valid on
 * the view it was planned from; an action that a previous one of the
 * same step would invalidate is left for the next step. doc/design.md,
 * "The site cache on Redis Cluster: the planner", has the rules.
 */
#ifndef QURE_STORE_RPLAN_H
#define QURE_STORE_RPLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/rnodes.h"

#define RPLAN_MEMBERS_MAX 32 /* members the planner places on */
#define RPLAN_REPLICAS_MAX 4 /* [store] replicas */
#define RPLAN_ACT_MAX 1024   /* actions in one step */
/* Slot moves in one step: each is a few round trips and the keys of a
 * slot; the next step goes on. */
#define RPLAN_MOVES_MAX 512

struct rplan_member {
	uint32_t addr;	 /* IPv4, host order: the member's LAN address */
	uint32_t weight; /* share of the slots; 0: none */
	bool alive;	 /* false: declared dead (its nodes stay known) */
};

struct rplan_conf {
	uint16_t port;	   /* P: the first instance's port */
	unsigned replicas; /* R: instances per member beyond the first */
};

/*
 * The input of a step. Members missing from members[] are gone for good:
 * their nodes are forgotten. mig[] lists the open migrations of any
 * instances the caller asked (rnodes_view.mig of each; the view's own
 * are not taken unless passed). The view's own node must carry its
 * address: a fresh node's line has none, and the caller, who knows whom
 * it asked, sets view->node[view->self].addr.
 */
struct rplan_in {
	struct rplan_conf conf;
	const struct rplan_member *members;
	size_t nmembers;
	const struct rnodes_view *view;
	const struct rnodes_mig *mig;
	size_t nmig;
};

enum rplan_op {
	RPLAN_TAKEOVER, /* CLUSTER FAILOVER TAKEOVER */
	RPLAN_RESET,	/* CLUSTER RESET SOFT: a replica back to master */
	RPLAN_FORGET,	/* CLUSTER FORGET node */
	RPLAN_MEET,	/* CLUSTER MEET peer_addr peer_port */
	RPLAN_STABLE,	/* CLUSTER SETSLOT slot STABLE */
	RPLAN_ADDSLOTS, /* CLUSTER ADDSLOTSRANGE slot slot_hi */
	/* The online move of one slot from node to peer: SETSLOT IMPORTING
	 * on peer, MIGRATING on node, MIGRATE the keys, SETSLOT NODE on
	 * both (the edge's protocol); sent to node. */
	RPLAN_MOVE_SLOT,
	RPLAN_REPLICATE, /* CLUSTER REPLICATE peer */
};

struct rplan_act {
	enum rplan_op op;
	uint32_t addr; /* the instance it is sent to */
	uint16_t port;
	char node_id[RNODES_ID_LEN + 1]; /* that instance's id; "" if new */
	/* MEET: whom; MOVE_SLOT: where to; REPLICATE: the master;
	 * FORGET: the node forgotten (peer_addr 0 when unknown). */
	uint32_t peer_addr;
	uint16_t peer_port;
	char peer_id[RNODES_ID_LEN + 1];
	uint16_t slot, slot_hi; /* ADDSLOTS: a range; MOVE_SLOT, STABLE */
};

/* Where the cluster stands, from the view the step was planned on. */
struct rplan_status {
	unsigned alive;		/* live members */
	unsigned slots_live;	/* slots served by masters of live members */
	unsigned slots_stuck;	/* served by nodes of dead members */
	unsigned slots_free;	/* served by nobody */
	unsigned slots_off;	/* on a live member other than their target */
	unsigned masters_short; /* slot masters without enough replicas */
	unsigned want_replicas; /* min(R, live members - 1) */
	unsigned open_migs;	/* open migrations seen */
	bool unreplicated;	/* fewer than 3 live members, R = 0, or a slot
				 * master with no replica: a loss loses data */
	bool converged;		/* steady state: nothing to do */
};

struct rplan_out {
	size_t nact;
	struct rplan_act act[RPLAN_ACT_MAX];
	bool more; /* actions left out (full): step again after these */
	struct rplan_status status;
	/* target[i]: slots that members[i] should serve. */
	uint16_t target[RPLAN_MEMBERS_MAX];
};

/*
 * Plans the next step. Returns 0, or -1 when the input cannot be planned
 * on (too many members, R over RPLAN_REPLICAS_MAX, the view's own node
 * not on a live member), with *out emptied.
 */
int rplan_step(const struct rplan_in *in, struct rplan_out *out);

/*
 * Slot targets by weight: out[i] for members[i], largest remainder,
 * remainders tied to the lower address; only live members count, and
 * when none has a weight every live member weighs 1. Sums to 16384 if
 * any member is alive.
 */
void rplan_targets(const struct rplan_member *members, size_t n, uint16_t *out);

/*
 * The takeover decision, at the moment QuRe declares members dead: of
 * the replicas in view (one of our instances' view) whose master is on
 * a dead address (dead[], ndead), one per dead master is chosen, alike
 * on every survivor (the highest hash of master id and replica address,
 * port; replicas on dead addresses or flagged fail left out). Those of
 * the chosen that are on my_addr go to out[] (indexes in view->node,
 * at most max): they run CLUSTER FAILOVER TAKEOVER. Returns how many.
 */
size_t rplan_takeover(const struct rnodes_view *view, const uint32_t *dead,
    size_t ndead, uint32_t my_addr, int *out, size_t max);

/* The command's name, for logs ("MOVE_SLOT"). */
const char *rplan_op_name(enum rplan_op);

#endif
