/*
 * tests/sim/sim.h — a deterministic simulator of many election cores.
 *
 * One seed drives everything: a virtual clock in ms, a binary heap of
 * deliveries and wake-ups ordered by (time, insertion number), a network
 * that delays, loses, duplicates, reorders and partitions datagrams, and
 * nodes that crash (keeping only what they persisted), restart, pause (a
 * suspended VM) or freeze (qured alone stopped, its guard running), shut
 * down orderly and hand over; since issue 4 also a service per node
 * (checked by the holder), clients whose requests and
 * answers the standbys watch, ARP probes, link cuts, a foreign host on the
 * DMZ address and live reconfiguration. Every step of every core is
 * followed by the invariant checks (README.md); the first broken one stops
 * the run with a message naming the time, node and step.
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
#define SIM_ARP_MIN_MS 140	/* an ARP probe's result comes after */
#define SIM_ARP_MAX_MS 160	/* two probes 50 ms apart and a wait */
#define SIM_CHECK_MAX_MS 10	/* a service check answers within */
#define SIM_PERSIST_MAX_MS 20	/* a state write (fsync) lands within */
#define SIM_CAPTURES 64		/* datagrams an adversary keeps to replay */

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
	uint64_t queue_at[SIM_PAUSE_QUEUE]; /* when each arrived */
	size_t n_queue;
	uint64_t rx_age; /* the datagram being delivered waited this long */
	bool addr_held;	 /* the node's kernel holds the DMZ address */
	uint64_t addr_until;
	uint64_t max_epoch; /* highest elect_get_epoch() of this slot */
	struct elect_counters counters;
	uint64_t starts;
	/* issue 4: the node's service, link, checks and probes */
	bool svc_up;	/* its service answers clients */
	bool link_up;	/* its cluster link (the LAN) */
	bool link_due;	/* the link changed while paused: tell at resume */
	int checks_due; /* check results that came while paused */
	bool arp_due;	/* an ARP probe result that came while paused */
	bool arp_out;	/* ELECT_ACT_PROBE asked, no result yet */
	bool conflict;	/* (g): its probe saw a foreign answer since */
	uint64_t svc_fail_ms; /* last step-down for a failed check; 0 */
	uint64_t probe_at[ELECT_PROBE_RING]; /* (f): its last PROBE sends */
	/* issue 7 */
	struct elect_id id; /* (k): from its first start, for good */
	bool has_id;
	bool mismatched;	   /* (l): started with other settings */
	struct elect_persist snap; /* a VM snapshot of its state dir */
	bool has_snap;
	uint64_t started_ms;	 /* (j): its last start */
	uint64_t sends_since_ms; /* (a): its disk took a write again then */
	/* (h): the lease end of node j's kernel as carried by the last
	 * HEARTBEAT/CLAIM of j delivered to this node (this start). */
	uint64_t heard_lease[SIM_MAX_NODES];
	uint64_t heard_tenure[SIM_MAX_NODES]; /* ... and of which tenure */
	/* (h): datagrams between it and node j that the network lost (or
	 * a cut link, a partition kept) since it last heard j. */
	uint32_t lost_since_heard[SIM_MAX_NODES];
	/* ... or delivered to j later than this node's fence margin: to a
	 * timeout, lost (elect_get_fence_margin()). */
	uint32_t late_since_heard[SIM_MAX_NODES];
	uint64_t fence_claims_seen; /* its core's counter, last read */
	uint64_t
	    lease_announced; /* (c): its last HEARTBEAT/CLAIM's lease end */
	uint64_t tenure;     /* times its kernel took the address, unheld */
	/* (i): the epoch of its last CLAIM/HEARTBEAT sent */
	uint64_t held_epoch;
	/* D4: the state disk. A write lands SIM_PERSIST_MAX_MS at most
	 * after PERSIST (if the disk takes writes and the process that
	 * asked still lives), then PERSIST_DONE answers. */
	bool disk_broken; /* writes fail (read-only, full) */
	bool persist_out; /* a PERSIST not answered yet */
	bool persist_due; /* its answer came while paused */
	bool persist_res; /* ... and said */
	struct elect_persist writing;
	uint64_t used_epoch; /* (b): highest epoch it sent a CLAIM/HB with */
	/* Its guard's farewell (the last ELECT_ACT_FAREWELL); len 0: none */
	uint8_t farewell[ELECT_WIRE_MAX];
	size_t farewell_len;
	/* Paused as qured alone (SIGSTOP, a blocked loop): its guard runs
	 * and, at the fence of its last renewal, drops the address and
	 * sends the farewell (guard_resigned); told at resume. */
	bool frozen;
	bool guard_resigned;
	uint32_t guard_gen; /* supersedes an older guard deadline */
};

struct sim_stats {
	uint64_t steps, events, sends, deliveries, lost, failovers;
	uint64_t crashes, restarts, pauses, partitions, shutdowns, handovers;
	uint64_t replays;
	uint64_t requests, answered, probes, checks, checks_failed;
	uint64_t arp_probes, conflicts, link_cuts, reconfs, svc_downs;
	uint64_t key_reloads, key_rotations; /* --rotate */
	uint64_t contended;	 /* (d): a second claim in a failover window */
	uint64_t settled;	 /* (d): a handover in a failover window */
	uint64_t frozen;	 /* (h): a holder stopped in the stable phase */
	uint64_t frozen_daemons; /* qured stopped, not its guard */
	uint64_t guard_resigns;	 /* ... and its guard resigned for it */
	uint64_t disk_faults, persist_failed;
	uint64_t named_handovers; /* (m): stable-phase handovers to a name */
	uint64_t reverts, replayed, mismatch_notes;
	uint64_t farewells; /* a killed holder's guard said goodbye for it */
	uint64_t loss_handovers; /* a holder on a lossy link stepped aside */
	/* (h): claims beside a kernel holding the address, after the LAN lost
	 * datagrams between the two (the fence on a lossy LAN) */
	uint64_t lossy_claims;
	/* ... after a datagram to it took longer than the claimant's fence
	 * margin (a slow LAN whose delay jumped) */
	uint64_t late_claims;
	uint64_t fence_claims;	/* claims the fence let in before a lease */
	uint64_t fence_resumes; /* holders that renewed a lapsed fence */
	/* --alive (sim_alive.c): MEMBER_DEAD and MEMBER_UP actions, deaths
	 * of silent members held to (n), the longest of them from the
	 * member's last datagram, false deaths exempted by (o) */
	uint64_t alive_deaths, alive_ups, alive_checked, alive_max_ms;
	uint64_t alive_exempt;
};

/*
 * Fast member liveness (--alive): every node sends ALIVEs every
 * heartbeat / 2; (n) and (o) in README.md. Node statuses are sampled
 * after every step: a change is seen at the next step, never earlier.
 */
struct sim_alive {
	bool on;
	/* [j][x]: when a datagram of x was last delivered to j */
	uint64_t heard[SIM_MAX_NODES][SIM_MAX_NODES];
	/* [j][x]: 0 watching, 1 j declared x dead, 2 j holds x to the long
	 * expiry (no ALIVE_MS heard); back to 0 at x's next delivery */
	uint8_t judged[SIM_MAX_NODES][SIM_MAX_NODES];
	uint64_t floor[SIM_MAX_NODES];	 /* j judges (again) since */
	uint64_t changed[SIM_MAX_NODES]; /* its status last changed */
	int status[SIM_MAX_NODES];	 /* sampled: sends, judges, group */
	uint64_t clean_since;		 /* no loss, no reordering since */
	struct sim_net net_seen;
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
	/* (d) after a service failure: no (a) until then, the holder may
	 * change while its service is down. */
	uint64_t quiet_until;
	uint64_t quiet_ms; /* how long (a) waits after such a change */
	bool vacated;	   /* the holder stepped down for its service */
	bool svc_rule;	   /* (e): checked at every step */
	uint64_t e_bound_ms;
	uint64_t e_since; /* a holder's service has been down since; 0 */
	/* (m): a named handover under way: only this node may claim; -1 */
	int named;
};

/* Client traffic to the DMZ address: a request every min..max ms. */
struct sim_clients {
	bool on;
	uint32_t every_min_ms, every_max_ms;
	uint32_t answer_max_ms; /* the service's own delay */
	uint64_t next_flow;
	int router_last; /* the node whose ADD/ANNOUNCE the router heard */
};

/* A datagram captured off the LAN, for an adversary to replay later. */
struct sim_capture {
	int src; /* the node that sent it */
	int type;
	uint64_t tenure, lease_until; /* (h): its sender's, when sent */
	size_t len;
	uint8_t buf[ELECT_WIRE_MAX];
};

struct sim_ev;
struct sim_pkt;

struct sim {
	struct sim_rng rng;
	struct elect_key *key; /* borrowed */
	/* --rotate: a key rotation's next key (borrowed; NULL: none) */
	struct elect_key *next_key;
	uint64_t now;
	uint64_t ord;
	uint64_t steps_now; /* steps at this same ms: a livelock guard */
	struct sim_node node[SIM_MAX_NODES];
	int n_nodes;
	struct sim_net net;
	uint64_t last_at[SIM_MAX_NODES][SIM_MAX_NODES]; /* for net.fifo */
	struct sim_check check;
	struct sim_clients clients;
	bool foreign; /* a foreign host answers ARP for the DMZ address */
	/* issue 7: an adversary with captured datagrams but no key */
	struct sim_rng adv_rng; /* its own stream: captures change no draw */
	struct sim_capture cap[SIM_CAPTURES];
	size_t n_cap;
	uint32_t adv_every_ms; /* replays in the background; 0: off */
	struct sim_stats stats;
	struct sim_alive alive;
	enum sim_verbosity verbosity;
	bool failed;
	char msg[SIM_MSG_MAX];
	/* the event queue and the datagrams in flight */
	struct sim_ev *heap;
	size_t n_heap, cap_heap;
	struct sim_pkt *pkt;
	size_t n_pkt, cap_pkt;
	int free_pkt;
	struct elect_out out;	      /* scratch for elect_step() */
	const struct sim_pkt *rx_pkt; /* the datagram of the next step */
};

/* Makes an empty world for n nodes; conf of each node left to the caller. */
void sim_init(struct sim *, struct elect_key *, int n_nodes, uint64_t seed);
/* Frees the cores and the queues; the struct may be sim_init()ed again. */
void sim_cleanup(struct sim *);

/* Fills node i's conf from elect_conf_defaults(): key, name, address. */
void sim_node_conf(struct sim *, int i, const char *name);

/* Node life: start (or restart from its disk), crash (kill -9), pause,
 * freeze, resume, orderly shutdown (SIGTERM), operator handover. Each
 * returns -1 if the run has failed. A crash with guard: the address guard
 * outlives the daemon (a running or frozen node; a paused VM's guard
 * sleeps): the address goes at once, then the holder's last farewell
 * (ELECT_ACT_FAREWELL) goes out as a datagram of the node; without: the
 * guard died too, the kernel keeps the address until its lease end.
 * A pause suspends the whole VM, guard included; a freeze stops qured
 * alone (SIGSTOP): with a fence on, its guard drops the address at the
 * fence of its last renewal and sends the farewell, and the resume tells
 * the core first (ELECT_EV_GUARD_RESIGNED, if it is still HOLDER). */
int sim_start(struct sim *, int i);
int sim_crash(struct sim *, int i, bool guard);
int sim_pause(struct sim *, int i);
int sim_freeze(struct sim *, int i);
int sim_resume(struct sim *, int i);
int sim_shutdown(struct sim *, int i);
int sim_handover(struct sim *, int i, int target);
/* issue 4 faults: the node's service dies or comes back, its link goes
 * down or up, it reloads conf (priority, preempt) as with SIGHUP. */
int sim_svc(struct sim *, int i, bool up);
int sim_link(struct sim *, int i, bool up);
int sim_reconf(struct sim *, int i, uint8_t priority, bool preempt);
/*
 * Key rotation (--rotate): node i gets s->next_key as its next key, or
 * makes it its key (the old one kept as previous); a reload if it runs,
 * else its next start reads it.
 */
int sim_key_next(struct sim *, int i);
int sim_key_promote(struct sim *, int i);
/* D4: node i's state disk refuses writes (broken) or takes them again. */
int sim_disk(struct sim *, int i, bool broken);
/* Starts the clients (c->on) with their first request at now + 1. */
void sim_clients_start(struct sim *);
/* Node j is live, linked, eligible, its service up, its holddown over. */
bool sim_could_serve(const struct sim *, int j);
/* The node whose kernel holds the DMZ address for the router; -1. */
int sim_kernel_holder(const struct sim *);

/* issue 7: a VM snapshot of node i's state dir; node i crashed and
 * restarted on it (or on an empty one, id kept, if none was taken: every
 * epoch and sequence it used is then above what it starts with). */
void sim_snapshot(struct sim *, int i);
int sim_revert(struct sim *, int i);
/* Replays a captured datagram to node `to` (-1: to its own sender),
 * from the address of its sender. */
int sim_replay(struct sim *, int to);
/* Starts the adversary's background replays (s->adv_every_ms). */
void sim_adversary_start(struct sim *);
/* (j): every live peer has heard node i since `since`. */
int sim_check_heard(struct sim *, int i, uint64_t since);

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

/* One random scenario (README.md); 0 if every invariant held. */
int sim_scenario_run(
    struct sim *, struct elect_key *, uint64_t seed, enum sim_verbosity);
/* --alive: the scenarios that follow run with ALIVEs (sim_scen.c). */
void sim_scenario_alive(bool on);
/*
 * --rotate: every node gets a next key once all booted (the switch then
 * happens amid the chaos: nodes come and go, the decision with them);
 * after the stable phase each makes it its key; every node that runs
 * must then have it as its key, and no datagram may have been rejected
 * on the way (the sanity check: only replays are).
 */
void sim_scenario_rotate(bool on);

/* sim_alive.c: a datagram of x delivered to j; j's MEMBER_ action; the
 * world's checks after every step ((n): deadlines of silent members). */
void sim_alive_heard(struct sim *, int j, int x);
int sim_alive_member(struct sim *, int j, const struct elect_action *);
int sim_alive_check(struct sim *);

/* The fixed three-node demo; prints its timeline. */
int sim_demo_run(struct elect_key *);

#endif
