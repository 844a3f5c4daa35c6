/*
 * tests/sim/sim.h — a deterministic simulator of many election cores.
 *
 * One seed drives everything: a virtual clock in ms, a binary heap of
 * deliveries and wake-ups ordered by (time, insertion number), a network
 * that delays, loses, duplicates, reorders and partitions datagrams, and
 * nodes that crash (keeping only what they persisted), restart, pause (a
 * suspended VM), shut down orderly and hand over. Every step of every core
 * is followed by the invariant checks of issue 2, item 5; the first broken
 * one stops the run with a message naming the time, node and step.
 */
#ifndef QURE_SIM_H
#define QURE_SIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "election/election.h"

#define SIM_MAX_NODES 24
#define SIM_PAUSE_QUEUE 64	/* datagrams kept for a paused node */
#define SIM_MSG_MAX 512		/* failure message */
#define SIM_STEPS_PER_MS 100000 /* more at one ms is a livelock */

/* xoshiro256** seeded through splitmix64: no rand(), same on every host. */
struct sim_rng {
	uint64_t s[4];
};

uint64_t sim_splitmix64(uint64_t *state);
void sim_rng_seed(struct sim_rng *, uint64_t seed);
uint64_t sim_rng_next(struct sim_rng *);
/* Uniform in lo..hi, both included; lo if hi < lo. */
uint64_t sim_rng_range(struct sim_rng *, uint64_t lo, uint64_t hi);
/* True with probability permille / 1000. */
bool sim_rng_permille(struct sim_rng *, uint32_t permille);

/* Network behaviour; changed at will by a scenario. */
struct sim_net {
	uint32_t delay_min_ms, delay_max_ms;
	uint32_t loss_pm;    /* per delivery, per mille */
	uint32_t dup_pm;     /* a second copy, its own delay */
	uint32_t reorder_pm; /* extra random delay up to reorder_max_ms */
	uint32_t reorder_max_ms;
	bool fifo; /* keep each sender-receiver pair in order, as a LAN does */
	bool pause_queue; /* a paused node gets its datagrams at resume */
};

enum sim_run {
	SIM_DOWN = 0, /* never started, crashed or shut down */
	SIM_UP,
	SIM_PAUSED,
};

struct sim_node {
	char name[16];
	struct elect_conf conf;
	struct elect *core;	   /* NULL while down */
	struct elect_persist disk; /* what survives a crash */
	enum sim_run run;
	enum elect_state state; /* as told by STATE actions */
	int group;		/* partition side */
	uint64_t wake_ms;	/* pending wake-up, 0: none */
	uint32_t wake_gen;	/* supersedes older wake-ups */
	bool wake_due;		/* fired while paused */
	int queue[SIM_PAUSE_QUEUE];
	size_t n_queue;
	bool addr_held; /* the node's kernel holds the DMZ address */
	uint64_t addr_until;
	uint64_t max_epoch; /* highest elect_get_epoch() of this slot */
	struct elect_counters counters;
	uint64_t starts;
};

struct sim_stats {
	uint64_t steps, events, sends, deliveries, lost, failovers;
	uint64_t crashes, restarts, pauses, partitions, shutdowns, handovers;
	uint64_t replays;
};

enum sim_verbosity {
	SIM_QUIET = 0,
	SIM_TIMELINE, /* faults, state changes, address changes */
	SIM_TRACE,    /* a line per event */
};

/* What the stable phase asserts; set by the scenario as it goes. */
struct sim_check {
	bool converged; /* (a): exactly one holder, everybody agrees */
	bool steady;	/* (d): the holder does not change */
	int holder;	/* (d): the holder, -1: none */
	int joiner;	/* (d): the one node it may hand over to, or -1 */
	bool joined;	/* (d): ... once it has started */
	bool handed_over;
};

struct sim_ev;
struct sim_pkt;

struct sim {
	struct sim_rng rng;
	struct elect_key *key; /* borrowed */
	uint64_t now;
	uint64_t ord;
	uint64_t steps_now; /* steps at this same ms: a livelock guard */
	struct sim_node node[SIM_MAX_NODES];
	int n_nodes;
	struct sim_net net;
	uint64_t last_at[SIM_MAX_NODES][SIM_MAX_NODES]; /* for net.fifo */
	struct sim_check check;
	struct sim_stats stats;
	enum sim_verbosity verbosity;
	bool failed;
	char msg[SIM_MSG_MAX];
	/* the event queue and the datagrams in flight */
	struct sim_ev *heap;
	size_t n_heap, cap_heap;
	struct sim_pkt *pkt;
	size_t n_pkt, cap_pkt;
	int free_pkt;
	struct elect_out out; /* scratch for elect_step() */
};

/* Makes an empty world for n nodes; conf of each node left to the caller. */
void sim_init(struct sim *, struct elect_key *, int n_nodes, uint64_t seed);
/* Frees the cores and the queues; the struct may be sim_init()ed again. */
void sim_cleanup(struct sim *);

/* Fills node i's conf from elect_conf_defaults(): key, name, address. */
void sim_node_conf(struct sim *, int i, const char *name);

/* Node life: start (or restart from its disk), crash (kill -9), pause,
 * resume, orderly shutdown (SIGTERM), operator handover. Each returns -1
 * if the run has failed. */
int sim_start(struct sim *, int i);
int sim_crash(struct sim *, int i);
int sim_pause(struct sim *, int i);
int sim_resume(struct sim *, int i);
int sim_shutdown(struct sim *, int i);
int sim_handover(struct sim *, int i, int target);

/* Moves node i to partition side g; 0 everywhere means healed. */
void sim_set_group(struct sim *, int i, int g);

/* Runs every event due up to t, then sets the clock to t. */
int sim_run_until(struct sim *, uint64_t t);
/* Runs the next event; 0 if done, 1 if none before t, -1 if failed. */
int sim_run_one(struct sim *, uint64_t t);
/* Checks every invariant now; -1 if one is broken. */
int sim_check_all(struct sim *);
/* The only live node in ELECT_ST_HOLDER, or -1 (none or several). */
int sim_holder(const struct sim *);
bool sim_is_live(const struct sim *, int i);

/* Records the failure (first one wins) and returns -1. */
int sim_fail(struct sim *, int node, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* One random scenario of issue 2 item 5; 0 if every invariant held. */
int sim_scenario_run(
    struct sim *, struct elect_key *, uint64_t seed, enum sim_verbosity);
/* The fixed three-node demo; prints its timeline. */
int sim_demo_run(struct elect_key *);

#endif
