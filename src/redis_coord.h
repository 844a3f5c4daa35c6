#ifndef QURE_REDIS_COORD_H
#define QURE_REDIS_COORD_H

/*
 * src/redis_coord.h — the site cache's coordinator (issue 11 item 2):
 * the edge between QuRe's membership and the redis-server instances
 * (src/redis_sup.h) that forms, grows, shrinks and heals the Redis
 * Cluster with the planner (store/rplan.h). doc/design.md §9.2.
 *
 * Redis calls block and may take long (a slot's keys in MIGRATE, a dead
 * node's connect timeout), so none is made on qured's loop:
 *
 *  - the worker, a forked process, talks to Redis with hiredis's
 *    blocking API; qured sends it, on every change and at least every
 *    second, a CONF message (whether we hold the DMZ address, our LAN
 *    address, the members with weights and alive flags, port, replicas,
 *    password); while we hold, it steps the planner until converged,
 *    then re-checks every second; it answers with REPORT messages (the
 *    status's store.cluster);
 *  - at each death QuRe declares (a member that was live left the live
 *    listing, or its state turned stopped), a short-lived forked child
 *    asks our own instances' view and sends CLUSTER FAILOVER TAKEOVER to
 *    those of our replicas that rplan_takeover() chooses, on every
 *    survivor, never behind the worker's MIGRATE.
 *
 * A member declared dead stays listed with alive = false for [store]
 * forget-after, then is dropped: the planner forgets its nodes and
 * restores the replica count on the survivors.
 *
 * Two halves (doc/style.md §1): the pure one (src/redis_coord_core.c:
 * weights, the member tracker, the messages' codec) and the edge
 * (src/redis_coord.c: the worker, the takeover children, the wiring).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "src/conf.h"
#include "store/rplan.h"

#define COORD_MEMBERS_MAX RPLAN_MEMBERS_MAX
#define COORD_PASSWORD_LEN 64 /* REDIS_SUP_PASSWORD_LEN */
#define COORD_ERR_LEN 200     /* a report's last error, with its NUL */
#define COORD_MSG_MAX 512     /* bytes of the longest message */

/* ---- pure (src/redis_coord_core.c) ---- */

/*
 * A member's weight by [store] strategy: uniform 1, cpu its CPUs, memory
 * its MiB; a resource it did not tell (0: an older qured) weighs 1.
 */
uint32_t coord_weight(
    enum conf_store_strategy, uint16_t cpus, uint32_t mem_mib);

/* A member in QuRe's live listing now (ourselves included). */
struct coord_seen {
	uint32_t addr; /* LAN IPv4, host order; 0: unknown (skipped) */
	uint32_t weight;
	bool stopped; /* its state is stopped: leaving */
};

/* The members the planner places on, with when each was declared dead. */
struct coord_track {
	size_t n;
	struct coord_tracked {
		struct rplan_member m;
		uint64_t dead_ms; /* when declared dead; valid if !m.alive */
	} e[COORD_MEMBERS_MAX];
};

/*
 * Brings t up to date with the live listing seen[0..n) at now_ms: a
 * listed member (not stopped) is alive, with its weight; a member alive
 * in t that is missing or stopped is declared dead now (its address goes
 * to dead[], at most max_dead); a dead one is dropped forget_ms after
 * its death, and alive again if listed again. A stopped member never
 * seen alive is not added. Members past COORD_MEMBERS_MAX are left out.
 * Returns how many were declared dead by this call.
 */
size_t coord_track_update(struct coord_track *t, const struct coord_seen *seen,
    size_t n, uint64_t now_ms, uint64_t forget_ms, uint32_t *dead,
    size_t max_dead);

/*
 * Whether a replica may be coming for the master at addr:port: one of
 * its replicas (not failing) is in the view v, or the plan out still
 * places replicas (a REPLICATE). Slot moves to a master wait for its
 * replica to sync only then: with neither, no instance may be free
 * until the moves' source has drained (a master that took over, whose
 * old master came back as its replica), and the wait would never end.
 */
bool coord_replica_coming(const struct rnodes_view *v,
    const struct rplan_out *out, uint32_t addr, uint16_t port);

/* What qured tells the worker (a CONF message). */
struct coord_conf {
	bool holding;  /* we hold the DMZ address: we coordinate */
	uint32_t self; /* our LAN address; 0: none yet */
	uint16_t port;
	uint8_t replicas;
	char password[COORD_PASSWORD_LEN + 1];
	size_t n;
	struct rplan_member m[COORD_MEMBERS_MAX];
};

/* What the worker tells qured (a REPORT message): the status's
 * store.cluster. */
struct coord_report {
	bool coordinating; /* we hold and the worker steps */
	bool converged;	   /* the last step found nothing to do */
	bool unreplicated; /* a loss would lose data (rplan_status) */
	uint32_t alive, slots_live, slots_stuck, slots_free, slots_off;
	uint32_t masters_short, want_replicas, open_migs;
	uint64_t steps, actions, failures, moves, takeovers;
	/* MEETs of a node that one named by id did not know (SETSLOT,
	 * REPLICATE); distinct nodes of no member forgotten (another
	 * cluster's, or a member's past [store] forget-after); TAKEOVERs
	 * not done because the dead member's master still answered. */
	uint64_t introduced, forgotten, declined;
	char last_error[COORD_ERR_LEN]; /* "": none */
};

/*
 * Encoders: the message into buf, returning its length, or -1 if buf is
 * too short or the struct holds what the decoder refuses. Decoders:
 * 0, or -1 for anything but exactly one well-formed message (wrong type,
 * version or length, a flag or count out of range, a password not 64
 * hex digits, an address 0 or twice, an error text with a control byte).
 */
int coord_conf_encode(const struct coord_conf *, uint8_t *buf, size_t len);
int coord_conf_decode(const uint8_t *buf, size_t len, struct coord_conf *);
int coord_report_encode(const struct coord_report *, uint8_t *buf, size_t len);
int coord_report_decode(const uint8_t *buf, size_t len, struct coord_report *);

/* ---- the edge (src/redis_coord.c) ---- */

struct event_base;
struct status;
struct redis_coord;

/* What qured knows now: whether we hold, and the live listing (us
 * first). Returns how many went to seen (at most max). */
typedef size_t redis_coord_input_fn(
    void *arg, bool *holding, struct coord_seen *seen, size_t max);

/*
 * Starts the worker (forked now) for conf's [store] (enable = yes: the
 * caller checks) with the instances' password (borrowed for the call).
 * input_fn is asked every second and at each redis_coord_poke(). NULL,
 * with err, if the loop cannot watch it.
 */
struct redis_coord *redis_coord_new(struct event_base *, const struct conf *,
    const char *password, redis_coord_input_fn *input, void *arg, char *err,
    size_t errlen);

/* Something changed (after an election step): asks input_fn now. Cheap
 * when nothing changed. */
void redis_coord_poke(struct redis_coord *);

/* Ends the worker and the takeover children (SIGKILL) and frees. NULL:
 * no-op. */
void redis_coord_free(struct redis_coord *);

/* The status's store.cluster (src/status.h). */
void redis_coord_status(const struct redis_coord *, struct status *out);

/* The worker's and takeover's entry points, for the edge's children
 * (src/redis_coord_worker.c). */
_Noreturn void coord_worker_main(int fd);
_Noreturn void coord_takeover_main(int fd, const struct coord_conf *,
    const uint32_t *dead, size_t ndead, uint64_t declared_ms);

#endif
