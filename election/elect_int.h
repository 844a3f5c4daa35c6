/*
 * election/elect_int.h — private to election/: the membership table, the
 * failure detector and the watched requests, the helpers of the state
 * machine; then the state machine's own state (struct elect), the events
 * of its transition table and what its files share (elect_fsm.c names
 * them).
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
	uint16_t cpus; /* its HELLO's RESOURCES; 0 if unknown */
	uint32_t mem_mib;
	uint64_t boot;
	uint64_t last_seen_ms;
	/* Its HELLO's ALIVE_MS: it sends ALIVEs this often while it does
	 * not hold, and expires after dead_after of them (0: the long
	 * expiry). dead: declared so (ELECT_ACT_MEMBER_DEAD), not heard
	 * since. */
	uint32_t alive_ms;
	bool dead;
	uint32_t heartbeat_ms; /* its HEARTBEAT_MS, its period as holder */
	/* Its last HEARTBEAT/CLAIM + its LEASE_MS + ELECT_LEASE_MARGIN_MS:
	 * its kernel may hold the address until then; 0 after its RESIGN
	 * (a holder drops the address before it resigns). */
	uint64_t lease_until_ms;
	/* Its settings, as its last HELLO, HEARTBEAT or CLAIM gave them. */
	unsigned mismatch;	 /* enum elect_mismatch bits; 0: ours */
	unsigned mismatch_noted; /* what ELECT_ACT_CONFLICT said last */
	struct elect_addr dmz;	 /* its DMZ address */
	uint64_t start_ms;	 /* when it started, in our clock (UPTIME) */
	/* HOLDER: its PROBEs to us in held_epoch probe_epoch: the last
	 * PROBE_SEQ, and when one before it went missing (0: none). */
	uint64_t probe_epoch;
	uint32_t probe_seq;
	uint64_t probe_gap_ms;
	uint64_t probe_rx_ms;  /* when its last PROBE came */
	uint64_t probe_nonce;  /* of its last PROBE, which we acked */
	uint64_t probe_ack_ms; /* when we first acked that nonce */
	/* Its PROBEs we missed in probe_epoch (sent as MISSED in our acks),
	 * and the MISSED of its last PROBE: our acks that it missed. */
	uint32_t probes_missed;
	uint32_t acks_missed;
	/*
	 * The fence (elect_fence.c): its FENCE_MS (0: none); when it last
	 * showed that our datagrams pass its replay window (it answered a
	 * PROBE or echoed a PING of ours; 0: never, this boot of it); our
	 * first PROBE to it since we last heard it (0: none).
	 */
	uint32_t fence_ms;
	uint64_t fence_trust_ms;
	uint64_t fence_probe_ms;
	/* While we hold: its last PING, echoed in our next HEARTBEAT. */
	uint64_t echo_nonce;
	uint64_t echo_heard_ms; /* 0: nothing to echo */
	/* Its start + the least delay of its datagrams, in our clock
	 * (elect_fence.c: a datagram much slower says the LAN is slow). */
	uint64_t delay_base_ms;
	/* Key rotation (elect_key.c): the ids its last HELLO, HEARTBEAT,
	 * CLAIM or ALIVE gave (KEYS); keys_known false: it gave none. */
	bool keys_known;
	uint8_t key_cur[ELECT_KEY_ID_LEN];
	uint8_t key_next[ELECT_KEY_ID_LEN];
};

/*
 * Fixed-size table: a member stays live for expire_ms after it was last
 * heard, or, if it sends ALIVEs, for dead_after of its periods (its
 * ALIVE interval, the heartbeat while it holds) + ELECT_ALIVE_MARGIN_MS,
 * counted from silence_from_ms if that is later (our own stall or link
 * outage: its datagrams may have been lost to us), until declared dead. When
 * full, a new member takes the slot of the least recently heard one if that one
 * is no longer live; if every member is live, the newcomer is refused (the
 * cluster is full), unless it speaks as a holder (elect_members_touch()). The
 * table never grows with what the network sends.
 */
#define ELECT_MAX_PEERS (ELECT_MAX_MEMBERS - 1)
struct elect_members {
	struct elect_member m[ELECT_MAX_PEERS];
	size_t n;
	uint64_t expire_ms;
	uint32_t dead_after;   /* the short expiry: periods missed */
	uint32_t heartbeat_ms; /* a holder's period, unless it said its own */
	uint64_t silence_from_ms;
};

void elect_members_init(struct elect_members *, uint64_t expire_ms);
/* How long m stays live after it was last heard (see above). */
uint64_t elect_member_expire_ms(
    const struct elect_members *, const struct elect_member *);
/* When m stops being live unless heard (its death is due). */
uint64_t elect_member_dies_at(
    const struct elect_members *, const struct elect_member *);
/* For status and the MEMBER_ actions. */
void elect_member_info_fill(
    const struct elect_member *, uint64_t now_ms, struct elect_member_info *);
struct elect_member *elect_members_find(
    struct elect_members *, const struct elect_id *);
/*
 * Finds or adds id; *added says which. NULL if id is new and the table is
 * full of live members: the newcomer is refused. A holder (holder: its
 * HEARTBEAT or CLAIM) is never refused: its lease gates our claims, so it
 * takes the least recently heard member's slot.
 */
struct elect_member *elect_members_touch(struct elect_members *,
    const struct elect_id *, uint64_t now_ms, bool holder, bool *added);
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

/*
 * The latest start (in our clock) among live eligible members of a
 * higher priority than ours, started by started_by_ms and still starting
 * or candidates: they have yet to claim. 0 if none.
 */
uint64_t elect_members_last_costart(const struct elect_members *,
    uint64_t now_ms, uint8_t priority, uint64_t started_by_ms);

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
 * Heartbeat failure detector (elect_detector.c): the holder is dead once
 * dead_after heartbeats in a row were missed. The fast evidence, mirrored
 * requests and PROBEs, is elect_fast.c's.
 */
struct elect_detector {
	uint64_t last_heard_ms;
	uint64_t window_ms; /* dead_after x heartbeat */
};

void elect_detector_init(struct elect_detector *, uint32_t heartbeat_ms,
    uint32_t dead_after, uint64_t now_ms);
void elect_detector_heard(struct elect_detector *, uint64_t now_ms);
uint64_t elect_detector_deadline(const struct elect_detector *);
bool elect_detector_expired(const struct elect_detector *, uint64_t now_ms);

/*
 * Client requests to the DMZ address that the holder has not answered yet,
 * as a standby's watcher sees them, and the request timeout learned per
 * watched port from the answers (elect_reqs.c). Fixed size: when full, a
 * new request takes the place of a forgiven one, or is ignored, and the
 * oldest, the ones that matter, stay.
 */
#define ELECT_REQ_NO_PORT 0xff /* a request to a port not watched */

struct elect_req {
	uint64_t flow;
	uint64_t seen_ms;
	uint16_t port;
	uint8_t proto;
	uint8_t slot; /* its port in elect_reqs.port, or ELECT_REQ_NO_PORT */
	bool again;   /* seen twice (a retransmission): no sample (Karn) */
	/* the holder answered a PROBE since: owed no longer, but its own
	 * answer, if it comes within the ceiling, is still a sample */
	bool forgiven;
};

struct elect_port_rto {
	uint8_t proto;
	uint16_t port;
	struct elect_rto rto;
};

struct elect_reqs {
	struct elect_req r[ELECT_MAX_REQS];
	size_t n;
	struct elect_port_rto port[ELECT_MAX_WATCH_PORTS];
	size_t n_ports;
};

/* Empty, no port watched. */
void elect_reqs_init(struct elect_reqs *);
/* The watched ports (conf order): those watched before keep what was
 * learned, the others start from nothing; n is capped. */
void elect_reqs_set_ports(
    struct elect_reqs *, const struct elect_watch_port *, size_t n);
/* Forgets the requests (the learned timeouts stay). */
void elect_reqs_clear(struct elect_reqs *);
/* Every request is owed no longer (a PROBE was answered, the holder
 * changed); their answers may still teach. */
void elect_reqs_forgive(struct elect_reqs *);
void elect_reqs_request(struct elect_reqs *, uint64_t flow, uint8_t proto,
    uint16_t port, uint64_t now_ms);
/*
 * The answer to a request: the request goes; it is a sample of its
 * port's timeout unless it was retransmitted, its port is not watched, or
 * it is max_age_ms old or older. Returns whether it was a sample.
 */
bool elect_reqs_answer(struct elect_reqs *, uint64_t flow, uint8_t proto,
    uint16_t port, uint64_t now_ms, uint64_t max_age_ms);
/* When the oldest request still owed was seen; 0 if none. */
uint64_t elect_reqs_oldest(const struct elect_reqs *);
/* A watched port's request timeout (slot < n_ports) under conf. */
uint32_t elect_reqs_timeout(
    const struct elect_reqs *, size_t slot, const struct elect_conf *);
/* The earliest deadline of a request still owed, each by its own port's
 * timeout (an unwatched port's: the ceiling); 0 if none. */
uint64_t elect_reqs_due(const struct elect_reqs *, const struct elect_conf *);

/* ---- the state machine (elect_fsm.c and the files it names) ---- */

/* HELLOs within a hello-interval (heard, or our own periodic ones) from
 * which on a periodic HELLO waits (elect_timers.c): the cluster's share
 * is one per hello-interval / 5, and one more is the slack. */
#define ELECT_HELLO_BUDGET 6

struct elect {
	struct elect_conf conf;
	/* Key rotation (elect_key.c): the ids of conf.key and conf.next_key
	 * (zero: none); we tag with the next key (sending_next); told to
	 * (forced); since when we have it; a SOLICIT due for it. */
	uint8_t key_cur_id[ELECT_KEY_ID_LEN];
	uint8_t key_next_id[ELECT_KEY_ID_LEN];
	bool key_sending_next;
	bool key_forced;
	bool key_solicit;
	uint64_t key_next_since_ms;
	struct elect_id id;
	uint64_t boot; /* random per start: tells a clone from us */
	uint64_t rng;  /* splitmix64 state */
	uint64_t started_ms;
	uint64_t now_ms;
	uint64_t prev_now_ms; /* the step before this one */
	/* RX: when the datagram of this step arrived (now less its wait in
	 * our socket): the loss signs of the fence time the LAN, not us. */
	uint64_t rx_at_ms;
	bool timer_step; /* this step is ELECT_EV_TIMER's */
	/* HOLDER, the fence (elect_timers.c): the last renewal, the longest
	 * gap between steps since, and the last PROBE received. */
	uint64_t fence_renewed_ms;
	uint64_t stall_ms;
	uint64_t probe_rx_ms;
	uint64_t due_ms; /* the wake-up we asked for last */

	uint64_t epoch; /* highest seen; claims at most disk.epoch */
	uint64_t seq;	/* next sequence to send; below disk.seq_reserved */
	/* D4: what the disk acknowledged, what is being written, retries */
	struct elect_persist disk;
	struct elect_persist writing;
	bool persist_busy; /* a PERSIST is out, its DONE not yet in */
	bool persist_ok;   /* the last one was written */
	unsigned persist_fails;
	uint64_t persist_retry_ms; /* no new PERSIST before; 0: none */
	bool muted; /* a send was skipped: no sequence on disk for it */
	/* Mute, a holder spoke that we could not challenge, so not hear */
	bool holder_unverified;
	/* HOLDER: the guard holds a farewell numbered farewell_seq (the
	 * sequence right after the last datagram sent while it is out). */
	bool farewell_out;
	uint64_t farewell_seq;
	struct elect_id farewell_successor; /* it names; zero: none */

	enum elect_state state;
	bool has_holder; /* followed holder, when not HOLDER ourselves */
	struct elect_claim holder;
	/* The site's public address(es): ours to announce as holder (the
	 * edge's), and what the followed holder announced. */
	struct elect_addr pub[ELECT_MAX_PUBLIC];
	size_t n_pub;
	struct elect_addr holder_pub[ELECT_MAX_PUBLIC];
	size_t n_holder_pub;
	/* The site settings' digest and count (elect_site.c): sent once
	 * the edge has set them. */
	bool site_on;
	uint64_t site_digest;
	uint16_t site_count;
	struct elect_detector detector;
	uint64_t listen_until_ms; /* STARTING */
	uint64_t claim_at_ms;	  /* CANDIDATE */
	uint64_t claim_turns_ms;  /* CANDIDATE: our turn after the lease gate */
	uint64_t held_epoch;	  /* HOLDER: the epoch we claimed */
	uint64_t lease_until_ms;  /* HOLDER */
	uint64_t next_heartbeat_ms;
	uint64_t next_hello_ms;
	/* conf.alive_interval_ms on, not holding: the next ALIVE (any
	 * group datagram puts it off: it says as much). */
	uint64_t next_alive_ms;
	/* Members (self included) the periodic HELLO was last drawn for:
	 * the cluster grew past it, the next one is drawn again. */
	uint64_t hello_n;
	/* The last ELECT_HELLO_BUDGET HELLOs heard or sent (a ring):
	 * a periodic HELLO waits while they all fall within a
	 * hello-interval. */
	uint64_t hellos_ms[ELECT_HELLO_BUDGET];
	unsigned hellos_at;
	bool link_down;	  /* no claims, no sends until it is back */
	bool holder_seen; /* a holder was heard since start: no probe */
	bool probing;	  /* CANDIDATE: ELECT_ACT_PROBE out, no answer yet */
	uint64_t probe_until_ms;
	uint64_t last_nudge_ms;	   /* last preempt HELLO to a lesser holder */
	uint64_t last_sync_ms;	   /* last HELLO for a membership mismatch */
	uint64_t last_announce_ms; /* HOLDER: last ANNOUNCE to win back */
	uint64_t preempt_at_ms;	   /* HOLDER: hand over to a preempter */

	/* Fast detection, STANDBY: requests the holder owes, PROBE rounds. */
	struct elect_reqs reqs;
	uint64_t probe_nonce;
	unsigned probe_tries; /* 0: no round running */
	uint64_t probe_deadline_ms;
	uint32_t round_gap_ms;	 /* after a false alarm (elect_fast.c) */
	uint64_t round_start_ms; /* the running round's first PROBE */
	uint64_t answer_ms;	 /* the watcher saw the holder answer */
	uint64_t last_alarm_ms;	 /* the last one */
	/*
	 * A holder whose heartbeats stop is asked (a PROBE) before it is
	 * judged dead, and while we wait out its lease: lost heartbeats are
	 * not a dead holder, and a claim beside a live one is two holders.
	 */
	uint64_t silence_nonce;
	uint64_t silence_sent_ms; /* last PROBE to a silent holder; 0: none */
	bool lost_by_silence;	  /* CANDIDATE: the holder went silent */
	/* The successor the followed holder's last HEARTBEAT named: first
	 * in line if it goes silent, whatever our own views of the members
	 * say (they differ after a restart); zero: none named. */
	struct elect_id successor;
	/* The last ELECT_PROBE_RING PROBEs, oldest first: no more than
	 * that many within a request-timeout (ceiling). */
	uint64_t probe_sent_ms[ELECT_PROBE_RING];
	/* HOLDER: the kernel's lease end (the fence, or the lease if
	 * shorter) and when to renew it. */
	uint64_t fence_until_ms;
	uint64_t next_fence_ms;
	/* Round trips to the holder we follow (rto_of): PROBE -> ack, and
	 * PING (HELLO) -> ECHO (HEARTBEAT) less the time it held it. */
	struct elect_rto probe_rto;
	/* The last tenure (holder, epoch) we said HELLO to: one greeting per
	 * tenure, not per holder (we may have held in between). */
	struct elect_id greeted;
	uint64_t greeted_epoch;
	uint64_t rtt_nonce, rtt_sent_ms;   /* a PROBE sent once: a sample */
	uint64_t ping_nonce, ping_sent_ms; /* our last PING; 0: none */
	/* STANDBY: a sign of loss on the way from the holder (a heartbeat
	 * missed, a PROBE answered only on a retry): no fence gate for a
	 * while (ELECT_FENCE_QUIET_HEARTBEATS). */
	uint64_t loss_seen_ms;
	/* loss_seen_ms when we began to follow this holder tenure: what a
	 * RESIGN for its link loss brings back (elect_rx.c). */
	uint64_t loss_seen_before_ms;
	/* The last failed round: why its holder's fence did not serve,
	 * and how old the sign of loss was (elect_get_round_fence()). */
	enum elect_fence_why round_fence_why;
	uint64_t round_loss_age_ms;
	uint64_t last_hb_ms;	    /* the followed holder's last HEARTBEAT */
	struct elect_id last_hb_of; /* ... its id and epoch */
	uint64_t last_hb_epoch;
	unsigned silence_tries;
	uint64_t silence_round_ms; /* its first try */
	/* PROBE_SEQ: PROBEs sent to probe_seq_to, counted from 1 again for
	 * another holder (numbers we sent one are no gap in another's count),
	 * not when we follow the same one again after a failed round: those
	 * rounds are the very losses its count must show. */
	uint32_t probe_seq_out;
	struct elect_id probe_seq_to;
	/* Its acks to them (note_ack()): in the epoch of the last one, the
	 * highest PROBE_SEQ acked and how many below it went unacked, less
	 * those it said it missed (its acks lost, as of that ack); and all
	 * its acks we missed, sent as MISSED. */
	uint64_t ack_epoch;
	uint32_t ack_seq; /* 0: none yet */
	uint32_t ack_missed_base;
	uint32_t ack_unacked;
	uint32_t ack_lost_in_epoch;
	uint32_t acks_missed;
	/* The last two handovers for a lossy link (heard or ours), latest
	 * first: a third within the damping window waits (elect_fast.c). */
	uint64_t loss_handover_ms[2];
	/* The holder (id, epoch) of the last loss RESIGN heard: its second
	 * copy is the same handover, not another one. */
	struct elect_id loss_resign_id;
	uint64_t loss_resign_epoch;
	/* When we last handed over for our own link's loss (0: never): we
	 * claim last for a while (elect_become_candidate()). */
	uint64_t own_loss_handover_ms;
	/* Our last RESIGN, said again once to each member that PROBEs us
	 * while it may still follow us (it lost the first): when (0: none),
	 * the successor named, why, and the members told (bit per slot). */
	uint64_t resign_ms;
	uint64_t resign_epoch; /* held_epoch then: a claim since ends it */
	struct elect_id resign_successor;
	enum elect_reason resign_why;
	uint64_t resign_told;
	/* HOLDER: the last service check result; no claims while held down. */
	bool check_ok;
	uint32_t check_fails;  /* failed checks in a row */
	uint32_t check_passes; /* passed checks in a row */
	uint64_t holddown_until_ms;
	uint64_t next_check_ms; /* STANDBY: our own service, now and then */

	/* Replay protection per (id, boot) (doc/protocol.md). */
	uint64_t solicit_chal; /* challenge of our last group SOLICIT */
	uint64_t solicit_ms;
	uint64_t reply_resp; /* a challenge to echo in our next unicast HELLO */
	uint64_t reply_chal; /* a challenge to send in it */
	bool reply_pending;

	struct elect_members members;
	struct elect_replay replay;
	struct elect_counters ctr;
};

/*
 * The events of the transition table (fsm_tbl[] in elect_fsm.c): the caller's
 * events, a verified datagram by its type, and the two the core makes
 * itself (TIMER after every step, LATE before one that came late).
 */
enum elect_fsm_event {
	ELECT_FSM_START,
	ELECT_FSM_LATE,	      /* run late by more than a heartbeat */
	ELECT_FSM_TIMER,      /* after every event, ELECT_EV_TIMER or not */
	ELECT_FSM_HELLO,      /* verified datagrams, by type */
	ELECT_FSM_HOLDER_MSG, /* HEARTBEAT or CLAIM */
	ELECT_FSM_RESIGN,
	ELECT_FSM_PROBE,
	ELECT_FSM_PROBE_ACK,
	ELECT_FSM_OWN_ID,   /* our id from another boot: a clone */
	ELECT_FSM_SHUTDOWN, /* the caller's events */
	ELECT_FSM_HANDOVER,
	ELECT_FSM_ADDR_LOST,
	ELECT_FSM_LINK_DOWN,
	ELECT_FSM_LINK_UP,
	ELECT_FSM_PROBE_DONE,
	ELECT_FSM_RECONF,
	ELECT_FSM_REQUEST,
	ELECT_FSM_ANSWER,
	ELECT_FSM_CHECK,
	ELECT_FSM_PERSIST_DONE,
	ELECT_FSM_HINT,
	ELECT_FSM_GUARD_RESIGNED,
};

/* What a handler of the table is given. */
struct elect_fsm_in {
	const struct elect_event *ev; /* the caller's event */
	const struct elect_msg *m;    /* a datagram's events: the message */
	const struct elect_addr *src; /* and where it came from */
};

/*
 * A handler of the table: the state is one its row names. in->ev is the
 * caller's event (for LATE, the one that came late; NULL for TIMER);
 * in->m and in->src the datagram, for a datagram's events.
 */
typedef void elect_fsm_handler(
    struct elect *, const struct elect_fsm_in *, struct elect_out *);

/* elect_fsm.c */
void elect_fsm_dispatch(struct elect *c, enum elect_fsm_event ev,
    const struct elect_fsm_in *in, struct elect_out *out);

/* elect_trans.c */
uint64_t elect_rng_next(struct elect *c);
void elect_new_id(struct elect *c);
struct elect_action *elect_push(
    struct elect_out *out, enum elect_action_type type);
void elect_sync_persist(struct elect *c, struct elect_out *out);
bool elect_persist_done(struct elect *c, bool ok);
bool elect_may_claim(const struct elect *c);
void elect_see_epoch(struct elect *c, uint64_t epoch);
void elect_set_state(struct elect *c, enum elect_state st,
    enum elect_reason why, struct elect_out *out);
bool elect_is_me(const struct elect *c, const struct elect_id *id);
struct elect_claim elect_my_claim(const struct elect *c);
uint64_t elect_detect_window(const struct elect *c);
uint64_t elect_listen_ms(const struct elect *c);
bool elect_fit_to_serve(const struct elect *c);
enum elect_side elect_conflict_side(const struct elect *c);
bool elect_conflict_forbids_claim(const struct elect *c);
void elect_start_probe(struct elect *c, struct elect_out *out);
void elect_become_standby(
    struct elect *c, enum elect_reason why, struct elect_out *out);
void elect_follow(
    struct elect *c, const struct elect_claim *h, struct elect_out *out);
uint64_t elect_turns_ms(const struct elect *c, unsigned turns);
uint64_t elect_lease_gate(const struct elect *c);
uint64_t elect_claim_gate(const struct elect *c);
void elect_wait_turn(struct elect *c, uint64_t turns, enum elect_reason why,
    struct elect_out *out);
void elect_become_candidate(struct elect *c, const struct elect_id *gone,
    unsigned extra_turns, uint64_t extra_ms, enum elect_reason why,
    struct elect_out *out);
void elect_refresh_lease(
    struct elect *c, enum elect_action_type type, struct elect_out *out);
void elect_claim_now(struct elect *c, struct elect_out *out);
void elect_resign(struct elect *c, const struct elect_id *successor,
    enum elect_reason why, struct elect_out *out);
void elect_listen_again(
    struct elect *c, enum elect_reason why, struct elect_out *out);

/* elect_send.c */
void elect_msg_init(
    struct elect *c, struct elect_msg *m, enum elect_msg_type type);
void elect_send_msg(struct elect *c, struct elect_msg *m,
    const struct elect_addr *dest, struct elect_out *out);
uint64_t elect_new_challenge(struct elect *c);
void elect_send_hello_flags(struct elect *c, const struct elect_addr *dest,
    uint16_t flags, struct elect_out *out);
void elect_send_hello(
    struct elect *c, const struct elect_addr *dest, struct elect_out *out);
void elect_solicit_hellos(struct elect *c, struct elect_out *out);
void elect_send_holder_msg(
    struct elect *c, enum elect_msg_type type, struct elect_out *out);
void elect_send_resign(struct elect *c, const struct elect_id *successor,
    enum elect_reason why, struct elect_out *out);
void elect_withdraw_farewell(struct elect *c, struct elect_out *out);
void elect_sync_farewell(struct elect *c, struct elect_out *out);

/* elect_key.c: key rotation */
void elect_key_init(struct elect *c);
void elect_key_reconf(struct elect *c);
struct elect_key *elect_key_sending(const struct elect *c);
void elect_key_add(const struct elect *c, struct elect_msg *m);
void elect_key_heard(
    struct elect *c, struct elect_member *mb, const struct elect_msg *m);
bool elect_key_member_has_next(
    const struct elect *c, const struct elect_member *mb);
void elect_key_step(struct elect *c, struct elect_out *out);
void elect_key_rotate(
    struct elect *c, const struct elect_event *ev, struct elect_out *out);

/* elect_rx.c */
/* elect_site.c: the site settings' part of messages (nothing of the
 * election): in what we send, what a member sent, a STATE to send. */
void elect_site_add(const struct elect *c, struct elect_msg *m);
void elect_site_heard(const struct elect *c, const struct elect_msg *m,
    const struct elect_addr *src, struct elect_out *out);
void elect_site_send(
    struct elect *c, const struct elect_event *ev, struct elect_out *out);

bool elect_rx_verify(struct elect *c, const struct elect_event *ev,
    struct elect_msg *m, struct elect_out *out);
void elect_on_rx(
    struct elect *c, const struct elect_event *ev, struct elect_out *out);
/* handlers of the table */
elect_fsm_handler elect_on_holder_msg;
elect_fsm_handler elect_on_rival_holder;
elect_fsm_handler elect_on_resign;
elect_fsm_handler elect_on_hello;
elect_fsm_handler elect_on_own_id;
elect_fsm_handler elect_on_own_id_holder;

/* elect_fast.c */
void elect_fast_reset(struct elect *c);
void elect_fast_note_ack(struct elect *c, const struct elect_msg *m);
void elect_note_loss_handover(struct elect *c);
void elect_run_fast_timers(struct elect *c, struct elect_out *out);
uint64_t elect_silence_probe_due(const struct elect *c);
void elect_run_silence_probe(struct elect *c, struct elect_out *out);
uint64_t elect_fast_wake(const struct elect *c);
/* handlers of the table */
elect_fsm_handler elect_on_probe;
elect_fsm_handler elect_on_silent_holder_ack;
elect_fsm_handler elect_on_probe_ack;
elect_fsm_handler elect_on_request;
elect_fsm_handler elect_on_answer;
elect_fsm_handler elect_on_probe_resigned; /* elect_send.c */

/* elect_fence.c */
uint32_t elect_probe_timeout(const struct elect *c);
void elect_fence_heard(
    struct elect *c, struct elect_member *mb, const struct elect_msg *m);
void elect_fence_probe_sent(
    struct elect *c, struct elect_member *h, uint64_t nonce, bool retry);
void elect_fence_ack(struct elect *c, const struct elect_msg *m, bool retried);
uint64_t elect_member_gate(const struct elect *c, const struct elect_member *m);
bool elect_fence_trusted(const struct elect *c, const struct elect_member *m);
enum elect_fence_why elect_fence_why(
    const struct elect *c, const struct elect_member *m);
bool elect_fence_usable(const struct elect *c, const struct elect_member *m);
void elect_fence_ping(struct elect *c, struct elect_msg *m);
void elect_fence_measure_successor(struct elect *c, struct elect_out *out);
void elect_fence_greet(struct elect *c, const struct elect_claim *h,
    bool new_holder, struct elect_out *out);
void elect_fence_echoes(struct elect *c, struct elect_msg *m);
void elect_fence_renew(struct elect *c, struct elect_out *out);
bool elect_fence_lapsed(const struct elect *c);

/* elect_alive.c: fast member liveness */
void elect_alive_sent_group(struct elect *c);
void elect_alive_heard(struct elect *c, struct elect_member *mb, bool added,
    struct elect_out *out);
void elect_alive_silence_from_now(struct elect *c);
void elect_run_alive(struct elect *c, struct elect_out *out);
uint64_t elect_alive_wake(const struct elect *c);

/* elect_timers.c */
void elect_hello_heard(struct elect *c);
void elect_run_timers(struct elect *c, struct elect_out *out);
uint64_t elect_next_wake(const struct elect *c);
/* handlers of the table */
elect_fsm_handler elect_on_late_holder;
elect_fsm_handler elect_on_guard_resigned;
elect_fsm_handler elect_on_late_candidate;
elect_fsm_handler elect_on_late_starting;
elect_fsm_handler elect_on_late_listening;
elect_fsm_handler elect_on_timer_holder;
elect_fsm_handler elect_on_timer_starting;
elect_fsm_handler elect_on_timer_standby;
elect_fsm_handler elect_on_timer_observer;
elect_fsm_handler elect_on_timer_candidate;

#endif
