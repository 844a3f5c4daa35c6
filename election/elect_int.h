/*
 * election/elect_int.h — private to election/: the membership table and
 * the failure detector, the two helpers of the state machine.
 */
#ifndef QURE_ELECT_INT_H
#define QURE_ELECT_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "election/election.h"

/* A peer as heard on the wire. */
struct elect_member {
	struct elect_id id;
	char name[ELECT_NAME_MAX + 1];
	uint8_t priority;
	uint8_t state; /* enum elect_state, as last heard */
	bool preempt;
	bool unfit; /* its HELLO said its service check fails */
	struct elect_addr addrs[ELECT_MAX_ADDRS];
	size_t n_addrs;
	struct elect_addr src;
	uint8_t mac[6];
	uint64_t boot;
	uint64_t last_seen_ms;
	/* Its last HEARTBEAT/CLAIM + its LEASE_MS + ELECT_LEASE_MARGIN_MS:
	 * its kernel may hold the address until then; 0 after its RESIGN
	 * (a holder drops the address before it resigns). */
	uint64_t lease_until_ms;
	/* Its settings, as its last HELLO, HEARTBEAT or CLAIM gave them. */
	unsigned mismatch;	 /* enum elect_mismatch bits; 0: ours */
	unsigned mismatch_noted; /* what ELECT_ACT_CONFLICT said last */
	struct elect_addr dmz;	 /* its DMZ address */
	uint64_t start_ms;	 /* when it started, in our clock (UPTIME) */
};

/*
 * Fixed-size table: a member stays live for expire_ms after it was last
 * heard. When full, a new member replaces the least recently heard one, so
 * the table never grows with what the network sends.
 */
struct elect_members {
	struct elect_member m[ELECT_MAX_MEMBERS];
	size_t n;
	uint64_t expire_ms;
};

void elect_members_init(struct elect_members *, uint64_t expire_ms);
struct elect_member *elect_members_find(
    struct elect_members *, const struct elect_id *);
/* Finds or adds id; *added says which. Never fails. */
struct elect_member *elect_members_touch(struct elect_members *,
    const struct elect_id *, uint64_t now_ms, bool *added);
/* Members heard within expire_ms. */
size_t elect_members_count_live(const struct elect_members *, uint64_t now_ms);
bool elect_member_is_live(
    const struct elect_members *, const struct elect_member *, uint64_t now_ms);

/*
 * How many live eligible members, other than those in skip (may be NULL),
 * a node of (priority, id) must let claim before it: those with a higher
 * priority, or the same priority and a lower id, whose service check
 * passes (an unfit one waits behind every fit one anyway).
 */
unsigned elect_members_rank(const struct elect_members *, uint64_t now_ms,
    uint8_t priority, const struct elect_id *id, const struct elect_id *skip);

/* The best live eligible member other than skip, a fit one if any; NULL
 * if none. */
const struct elect_member *elect_members_best(
    const struct elect_members *, uint64_t now_ms, const struct elect_id *skip);

/*
 * The best live member heard since heard_since_ms that wants to preempt a
 * holder of above_priority (preempt on, a higher priority); NULL if none.
 * Preempting members speak up whenever a lesser holder appears, so one
 * not heard lately may be long gone: its entry outlives it by minutes.
 */
const struct elect_member *elect_members_best_preempter(
    const struct elect_members *, uint64_t now_ms, uint8_t above_priority,
    uint64_t heard_since_ms);

/*
 * Members with other settings (mismatch) take no part in the election:
 * they are never ranked, named or counted. On our DMZ address they must
 * not fight us for it: the smaller side stays off it. For a node of
 * self's DMZ address: OURS if the live members with other settings on
 * that address are fewer than those with ours (self included), or none;
 * THEIRS if they are more; TIE_THEIRS if as many and their side started
 * first (the site was there before a mistyped newcomer), or at the same
 * ms and the best of them ranks before the best of ours. On either, a
 * holder gives the address up and nobody claims it.
 */
enum elect_side {
	ELECT_SIDE_OURS = 0,
	ELECT_SIDE_TIE_THEIRS,
	ELECT_SIDE_THEIRS,
};

struct elect_self {
	struct elect_addr dmz;
	uint8_t priority;
	struct elect_id id;
	uint64_t start_ms;
};

enum elect_side elect_members_conflict_side(
    const struct elect_members *, uint64_t now_ms, const struct elect_self *);

/*
 * The order of preference between two holders (doc/design.md §5.2): higher
 * epoch, then higher priority, then lower node id. True if a is preferred to b.
 */
struct elect_claim {
	uint64_t epoch;
	uint8_t priority;
	struct elect_id id;
};

bool elect_claim_better(
    const struct elect_claim *a, const struct elect_claim *b);

/*
 * Heartbeat failure detector: the holder is dead once dead_after
 * heartbeats in a row were missed. Fast evidence (mirrored requests,
 * probes) joins here in a later issue.
 */
struct elect_fd {
	uint64_t last_heard_ms;
	uint64_t window_ms; /* dead_after x heartbeat */
};

void elect_fd_init(struct elect_fd *, uint32_t heartbeat_ms,
    uint32_t dead_after, uint64_t now_ms);
void elect_fd_heard(struct elect_fd *, uint64_t now_ms);
uint64_t elect_fd_deadline(const struct elect_fd *);
bool elect_fd_expired(const struct elect_fd *, uint64_t now_ms);

/*
 * Client requests to the DMZ address that the holder has not answered yet,
 * as a standby's watcher sees them. Fixed size: when full, new requests
 * are ignored and the oldest, the ones that matter, stay.
 */
struct elect_req {
	uint64_t flow;
	uint64_t seen_ms;
};

struct elect_reqs {
	struct elect_req r[ELECT_MAX_REQS];
	size_t n;
};

void elect_reqs_clear(struct elect_reqs *);
void elect_reqs_request(struct elect_reqs *, uint64_t flow, uint64_t now_ms);
void elect_reqs_answer(struct elect_reqs *, uint64_t flow);
/* When the oldest outstanding request was seen; 0 if none. */
uint64_t elect_reqs_oldest(const struct elect_reqs *);

#endif
