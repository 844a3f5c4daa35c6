/*
 * election/election.h — the pure cluster core of QuRe.
 *
 * Wire codec (HMAC-SHA256 authenticated datagrams), per-sender replay
 * window, membership table, failure detector and election state machine.
 * Time and events go in, actions come out: no sockets, no clock reads, no
 * logging, no randomness but the seed it is given (doc/style.md §1).
 */
#ifndef QURE_ELECTION_H
#define QURE_ELECTION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ELECT_PROTO_VERSION 2
#define ELECT_WIRE_HDR_LEN 42 /* magic..body_len, see elect_wire.c */
#define ELECT_WIRE_TAG_LEN 32 /* HMAC-SHA256 */
/* The largest datagram sent or accepted: a STATE carrying a site
 * setting (a value of up to 1 KiB, store/settings.h) within an
 * Ethernet MTU; every other type is at most ELECT_WIRE_CTRL_MAX. */
#define ELECT_WIRE_MAX 1400
#define ELECT_WIRE_CTRL_MAX 512
#define ELECT_ENTRIES_MAX 1120 /* STATE: settings entries, bytes */
#define ELECT_SITE_RANGES 16   /* STATE: range digests of a pull */
#define ELECT_KEY_LEN 32
#define ELECT_KEY_ID_LEN 8 /* a key's public id (elect_key_id()) */
/* KEYS flag: the sender was told to send with its next key at once
 * (qurectl key rotate): members holding that key follow. */
#define ELECT_KEYS_FORCED 0x01
/* A next key is sent with once every live member holds it, and no
 * earlier than this many heartbeats after it came (elect_key.c): the
 * members' answers to our SOLICIT say which keys they hold. */
#define ELECT_KEY_SETTLE_HEARTBEATS 10
#define ELECT_NAME_MAX 63 /* bytes, without the terminating NUL */
#define ELECT_MAX_ADDRS 4 /* advertised addresses per member */
/* Members of a cluster, self included: the table holds the others
 * (ELECT_MAX_MEMBERS - 1); a newcomer beyond is refused (elect_member.c). */
#define ELECT_MAX_MEMBERS 64
#define ELECT_REPLAY_SLOTS 128 /* senders remembered by the replay window */
#define ELECT_MAX_ACTIONS 28   /* per elect_step() */
#define ELECT_SEQ_BLOCK 1024   /* sequence numbers reserved per persist */
/* A standby claims no earlier than the last HEARTBEAT/CLAIM heard from a
 * holder + its LEASE_MS + this: the holder's kernel lease (nftables, ms
 * precise) has run out by then, whatever its process does (D3). */
#define ELECT_LEASE_MARGIN_MS 20
/*
 * The fence (doc/protocol.md, "The fence"): a holder renews its kernel
 * lease every fence/3 for fence ms, only while its loop runs, and answers
 * every PROBE before it renews again. A PROBE it left unanswered, sent at
 * p, therefore proves its kernel silent by p + FENCE_MS + this margin,
 * unless the PROBE or its answer was lost (a standby that saw loss lately
 * does not use the fence: ELECT_FENCE_QUIET_HEARTBEATS).
 */
#define ELECT_FENCE_MARGIN_MS 5
#define ELECT_FENCE_MIN_MS 10
/* No fence gate for this many heartbeats after a sign of loss on the way
 * from the holder (a heartbeat missed, a PROBE answered only on a retry). */
#define ELECT_FENCE_QUIET_HEARTBEATS 25
/* PROBE tries of a round, each after the (learned) probe-timeout. */
#define ELECT_PROBE_TRIES 3
/* PROBEs within a request-timeout at most: two rounds' worth. */
#define ELECT_PROBE_RING (2 * ELECT_PROBE_TRIES)
/* The floor of a learned probe-timeout, and the answers it needs. */
#define ELECT_PROBE_TIMEOUT_MIN_MS 10
#define ELECT_PROBE_MIN_SAMPLES 2
/* A PROBE asked again this long after our ack at the least is a lost ack
 * (a sooner one may be a slow LAN delaying it past a short try). */
#define ELECT_ACK_LOST_MIN_MS 50
#define ELECT_PROBE_TRY_MAX_MS 1000 /* a learned try waits at most this */
/* PING/ECHO (HELLO/HEARTBEAT): echoes a holder keeps for its next
 * HEARTBEAT, and how long a ping waits for one. */
#define ELECT_MAX_ECHOES 4
/* HEARTBEAT: the site's public addresses, one IPv4 and one IPv6 at most */
#define ELECT_MAX_PUBLIC 2
/* Epochs reserved ahead on disk (D4): a claim normally never waits for a
 * write. Epochs above ELECT_EPOCH_MAX are refused (counted malformed) and
 * never reached by a claim, so epoch + 1 never wraps to 0. */
#define ELECT_EPOCH_BLOCK 16
#define ELECT_EPOCH_MAX (UINT64_MAX / 2)
/* Header flags. HELLO with SOLICIT: every member answers with its own
 * HELLO (a node that restarted or slept may have missed joins). */
#define ELECT_FLAG_SOLICIT 0x0001
/* HELLO with UNFIT: the sender's own service check fails (or it is held
 * off after one failed): rank it after members whose check passes. */
#define ELECT_FLAG_UNFIT 0x0002
#define ELECT_MAX_REQS 256 /* outstanding client requests watched */
/* Watched service ports ([dmz] ports): one learned request timeout each. */
#define ELECT_MAX_WATCH_PORTS 16
/* probe-timeout = auto stays within these (D2). */
#define ELECT_PROBE_TIMEOUT_AUTO_MAX_MS 100
/*
 * Answers a port's request timeout is learned from before it leaves the
 * ceiling. RFC 6298's SRTT has a gain of 1/8: after 8 answers the first
 * one weighs a third of the estimate, so one odd answer (the first SYN
 * after the service started, a forged one) no longer decides it, and a
 * client every 10 ms gives 8 in under a tenth of a second.
 */
#define ELECT_RTO_MIN_SAMPLES 8
/*
 * Fast member liveness (doc/protocol.md, "ALIVE"): a member that does not
 * hold sends an ALIVE to the group every alive_interval_ms (its HELLO
 * says so, ALIVE_MS); receivers declare it dead once dead_after of its
 * intervals (heartbeats while it holds) went by unheard, plus this margin
 * for its loop's and the LAN's jitter.
 */
#define ELECT_ALIVE_MARGIN_MS 50
#define ELECT_ALIVE_MIN_MS 10 /* the shortest interval a conf may set */
/* MEMBER_DEAD actions per step at most; the others come at once after
 * (a wake-up at now): a step's actions stay bounded. */
#define ELECT_DEATHS_PER_STEP 4

/* Message types on the wire (doc/protocol.md). */
enum elect_msg_type {
	ELECT_MSG_HELLO = 1,
	ELECT_MSG_HEARTBEAT = 2,
	ELECT_MSG_CLAIM = 3,
	ELECT_MSG_RESIGN = 4,
	ELECT_MSG_PROBE = 5,
	ELECT_MSG_PROBE_ACK = 6,
	ELECT_MSG_STATE = 7,
	ELECT_MSG_ALIVE = 8, /* a member that does not hold: still here */
};

/* Why a datagram was rejected; the caller counts each (doc/design.md §8.3). */
enum elect_wire_err {
	ELECT_WIRE_OK = 0,
	ELECT_WIRE_MALFORMED, /* short, long, bad magic, bad TLV, bad type */
	ELECT_WIRE_VERSION,   /* a version this build does not speak */
	ELECT_WIRE_AUTH,      /* tag does not verify with the cluster key */
	ELECT_WIRE_REPLAY,    /* sequence not above the last one accepted */
	/* (id, boot) not verified live yet: a challenge goes out instead */
	ELECT_WIRE_UNVERIFIED,
};

enum elect_state {
	ELECT_ST_STARTING = 0, /* listening for a holder before claiming */
	ELECT_ST_STANDBY,      /* following a holder, or waiting for one */
	ELECT_ST_CANDIDATE,    /* holder lost; waiting rank x stagger */
	ELECT_ST_HOLDER,       /* holds the DMZ address under a lease */
	ELECT_ST_OBSERVER,     /* priority 0: never holds the address */
	ELECT_ST_STOPPED,      /* after ELECT_EV_SHUTDOWN */
};

/* Why the state changed; the edge renders text, tests assert on these. */
enum elect_reason {
	ELECT_WHY_START = 0,
	ELECT_WHY_HOLDER_HEARD,	   /* a heartbeat or claim names a holder */
	ELECT_WHY_NO_HOLDER,	   /* listened at start, heard no holder */
	ELECT_WHY_HOLDER_DEAD,	   /* dead-after heartbeats missed */
	ELECT_WHY_HOLDER_RESIGNED, /* RESIGN from the holder */
	ELECT_WHY_CLAIMED,	   /* waited our turn and claimed */
	ELECT_WHY_BETTER_HOLDER,   /* two holders: the other is preferred */
	ELECT_WHY_LEASE_EXPIRED, /* we were not run before the lease ran out */
	ELECT_WHY_HANDOVER,	 /* asked to hand over, or preempted */
	ELECT_WHY_SHUTDOWN,
	ELECT_WHY_DUPLICATE_ID, /* a clone with our id is older: new id */
	ELECT_WHY_RESUMED,   /* not run for a while (paused VM): listen again */
	ELECT_WHY_LINK_DOWN, /* the cluster link went down */
	ELECT_WHY_LINK_UP,   /* back: listen before judging */
	ELECT_WHY_ADDR_CONFLICT,  /* a foreign host answers for the address */
	ELECT_WHY_PROBE_FAILED,	  /* requests unanswered, PROBEs too */
	ELECT_WHY_SERVICE_FAILED, /* the holder's service check fails */
	ELECT_WHY_PERSIST_FAILED, /* out of sequence numbers on disk */
	/* members with other settings on our address outnumber us */
	ELECT_WHY_CONFIG_CONFLICT,
	/* HOLDER: PROBEs from two members went missing on our link */
	ELECT_WHY_LINK_LOSS,
	/* HOLDER: our loop did not run for the fence: the kernel dropped
	 * the address, and a standby may have claimed */
	ELECT_WHY_FENCE_LAPSED,
};

/* What differs in a member's settings (ELECT_ACT_CONFLICT, bits). */
enum elect_mismatch {
	ELECT_MISMATCH_DMZ = 1u << 0, /* DMZ address or prefix */
	ELECT_MISMATCH_LEASE = 1u << 1,
	ELECT_MISMATCH_HEARTBEAT = 1u << 2,
};

/* 128-bit node id. All zero means "none". */
struct elect_id {
	uint8_t b[16];
};

/* An IPv4 or IPv6 address, network byte order. family: 4, 6 or 0. */
struct elect_addr {
	uint8_t family;
	uint8_t b[16];
};

/*
 * The cluster key with its keyed HMAC context. Made by elect_key_new()
 * from 32 secret bytes; the bytes are wiped from the caller's copy by
 * nothing: the caller cleanses its own buffer.
 */
struct elect_key;

struct elect_key *elect_key_new(const uint8_t secret[ELECT_KEY_LEN]);
void elect_key_free(struct elect_key *);
/* The key's public id: HMAC-SHA256(key, "QuRe key id v1"), truncated.
 * Tells keys apart (KEYS TLV, status), gives nothing of them away. */
void elect_key_id(struct elect_key *, uint8_t id[ELECT_KEY_ID_LEN]);

/*
 * A decoded message: the header, and body fields flagged in `has`.
 * Fixed-size: decoding allocates nothing.
 */
enum elect_has {
	ELECT_HAS_NAME = 1u << 0,
	ELECT_HAS_PRIORITY = 1u << 1,
	ELECT_HAS_STATE = 1u << 2,
	ELECT_HAS_HOLDER = 1u << 3, /* holder it believes in / successor */
	ELECT_HAS_DMZ = 1u << 4,
	ELECT_HAS_LEASE = 1u << 5,
	ELECT_HAS_NONCE = 1u << 6,
	ELECT_HAS_CHECK = 1u << 7,
	ELECT_HAS_BOOT = 1u << 8,
	ELECT_HAS_UPTIME = 1u << 9,
	ELECT_HAS_PREEMPT = 1u << 10,
	ELECT_HAS_MAC = 1u << 11,     /* HELLO: the sender's cluster link MAC */
	ELECT_HAS_MEMBERS = 1u << 12, /* HEARTBEAT: members the holder knows */
	ELECT_HAS_CHALLENGE = 1u << 13, /* HELLO: prove your boot is live */
	ELECT_HAS_RESPONSE = 1u << 14,	/* HELLO: a challenge echoed */
	ELECT_HAS_HEARTBEAT = 1u << 15, /* the sender's heartbeat_ms */
	ELECT_HAS_PROBE_SEQ = 1u << 16, /* PROBE: how many to this holder */
	ELECT_HAS_REASON = 1u << 17, /* RESIGN: why (enum elect_resign_why) */
	ELECT_HAS_DMZ6_ALSO = 1u << 18, /* a dual stack's IPv6 DMZ address */
	ELECT_HAS_FENCE = 1u << 19,	/* HEARTBEAT, CLAIM: the kernel fence */
	ELECT_HAS_PING = 1u << 20,	/* HELLO: echo this in a HEARTBEAT */
	ELECT_HAS_ECHO = 1u << 21,	/* HEARTBEAT: pings heard (1..4) */
	ELECT_HAS_PUBLIC = 1u << 22,	/* HEARTBEAT: the public address(es) */
	ELECT_HAS_MISSED = 1u << 23,	/* PROBE, PROBE_ACK: yours it missed */
	ELECT_HAS_SITE = 1u << 24,	/* HELLO, HEARTBEAT: site digest */
	ELECT_HAS_ENTRIES = 1u << 25,	/* STATE: site settings entries */
	ELECT_HAS_RANGES = 1u << 26,	/* STATE: a pull (range digests) */
	ELECT_HAS_RESOURCES = 1u << 27, /* HELLO: the sender's CPUs, memory */
	ELECT_HAS_ALIVE = 1u << 28,	/* HELLO: it sends ALIVEs, how often */
	ELECT_HAS_KEYS = 1u << 29, /* the sender's key ids (key rotation) */
};

/* RESIGN's REASON TLV: why the holder leaves. Unknown values are kept
 * and mean nothing (a later revision may add some). */
enum elect_resign_why {
	ELECT_RESIGN_UNSPECIFIED = 0,
	ELECT_RESIGN_SHUTDOWN = 1,
	ELECT_RESIGN_HANDOVER = 2,  /* asked to, or preempted */
	ELECT_RESIGN_LINK_LOSS = 3, /* its link loses datagrams */
};

struct elect_msg {
	uint8_t version;
	uint8_t type; /* enum elect_msg_type */
	uint16_t flags;
	struct elect_id id;
	uint64_t epoch;
	uint64_t seq;
	uint32_t has; /* enum elect_has bits */
	char name[ELECT_NAME_MAX + 1];
	uint8_t priority;
	uint8_t state;		/* enum elect_state of the sender */
	struct elect_id holder; /* HELLO: believed holder; RESIGN: successor */
	struct elect_addr addrs[ELECT_MAX_ADDRS];
	size_t n_addrs;
	struct elect_addr dmz;
	uint8_t dmz_prefix;
	uint32_t lease_ms;
	uint64_t nonce;
	/* PROBE_ACK: 1 if the holder's service check passes */
	uint8_t check_ok;
	uint8_t preempt; /* HELLO: the sender wants to preempt */
	uint8_t mac[6];	 /* HELLO: so probes ignore members' answers */
	uint8_t
	    n_members; /* HEARTBEAT: live members the holder counts, it too */
	uint64_t boot; /* random per start: tells clones apart */
	uint64_t uptime_ms;
	uint64_t challenge;    /* HELLO: answer with it as RESPONSE */
	uint64_t response;     /* HELLO: a challenge we were sent */
	uint32_t heartbeat_ms; /* HELLO, HEARTBEAT, CLAIM: sender's timing */
	/* PROBE: the sender's count of PROBEs sent to the holder it follows,
	 * this one included: a gap is a PROBE lost on the way (FIFO).
	 * PROBE_ACK: the PROBE_SEQ of the PROBE it answers. */
	uint32_t probe_seq;
	/* MISSED: how many of the receiver's datagrams the sender knows went
	 * missing. PROBE_ACK: the PROBEs of the receiver's that the holder
	 * missed in its epoch, before the one answered (PROBE_SEQ gaps).
	 * PROBE: the holder's acks to the sender that went missing, all
	 * told (elect_fast.c: note_ack()). */
	uint32_t missed;
	uint8_t reason; /* RESIGN: enum elect_resign_why */
	/* HELLO, HEARTBEAT, CLAIM of a dual-stack site: its IPv6 DMZ
	 * address beside the IPv4 one in dmz (DMZ6_ALSO). */
	struct elect_addr dmz6;
	uint8_t dmz6_prefix;
	/* HEARTBEAT, CLAIM: the holder's kernel answers for the address no
	 * longer than this after its loop last ran (0: no fence). */
	uint32_t fence_ms;
	uint64_t ping; /* HELLO: a nonce the holder echoes */
	/* HEARTBEAT: pings it heard, each with how long it kept it. */
	struct elect_echo {
		uint64_t nonce;
		uint16_t held_ms;
	} echoes[ELECT_MAX_ECHOES];
	size_t n_echoes;
	/* HEARTBEAT: the site's public address(es) as the holder learnt
	 * them (PUBLIC4, PUBLIC6: at most one of each), for the members'
	 * DNS responders; nothing of the election. */
	struct elect_addr pub[ELECT_MAX_PUBLIC];
	size_t n_pub;
	/* HELLO, HEARTBEAT: the sender's site settings, their digest and
	 * how many (store/settings.h); nothing of the election. */
	uint64_t site_digest;
	uint16_t site_count;
	/* STATE: settings entries back to back (ENTRY TLVs, joined in
	 * order), and a pull: the sender's digest of each range. */
	uint8_t entries[ELECT_ENTRIES_MAX];
	size_t entries_len;
	uint64_t ranges[ELECT_SITE_RANGES];
	/* HELLO: the sender's online CPUs and memory (MiB), for the site
	 * cache's weights ([store] strategy); nothing of the election. */
	uint16_t cpus;
	uint32_t mem_mib;
	/* HELLO: the sender sends an ALIVE every alive_ms while it does
	 * not hold (ALIVE_MS); hold it to the short expiry. */
	uint32_t alive_ms;
	/* HELLO, HEARTBEAT, CLAIM (KEYS): the ids of the sender's
	 * key and next key (all zero: none), ELECT_KEYS_* flags. */
	uint8_t key_cur[ELECT_KEY_ID_LEN];
	uint8_t key_next[ELECT_KEY_ID_LEN];
	uint8_t key_flags;
};

/*
 * Encodes msg (header fields and the body fields flagged in msg->has),
 * tags it with key, into buf. Returns the length, or 0 if it does not fit
 * in len bytes or msg is invalid (unknown type, too many addresses).
 */
size_t elect_wire_encode(const struct elect_msg *msg, struct elect_key *key,
    uint8_t *buf, size_t len);

/*
 * Decodes and authenticates buf into out. Never reads past buf + len and
 * allocates nothing. Returns ELECT_WIRE_OK or why it rejected the datagram;
 * out is unspecified on rejection. Replays are the replay window's business.
 */
enum elect_wire_err elect_wire_decode(const uint8_t *buf, size_t len,
    struct elect_key *key, struct elect_msg *out);

/*
 * Key rotation: decodes with key, and if its tag does not verify and
 * next is not NULL, with next. *by_next: next verified it.
 */
enum elect_wire_err elect_wire_decode_either(const uint8_t *buf, size_t len,
    struct elect_key *key, struct elect_key *next, struct elect_msg *out,
    bool *by_next);

/* Names for logs: "hello", "malformed", "holder", "holder-dead", ... */
const char *elect_msg_type_name(int type);
const char *elect_wire_err_name(enum elect_wire_err);
const char *elect_state_name(enum elect_state);
const char *elect_reason_name(enum elect_reason);

/* Lower-case hex of an id into buf (33 bytes); returns buf. */
char *elect_id_hex(const struct elect_id *, char buf[33]);
/* Parses 32 hex digits; returns 0, or -1 if s is not such a string. */
int elect_id_parse(const char *s, struct elect_id *out);
bool elect_id_is_zero(const struct elect_id *);
int elect_id_cmp(const struct elect_id *, const struct elect_id *);

/*
 * Per-sender replay window, per (node id, boot) (doc/protocol.md): a
 * datagram is accepted only from the boot verified live for its id by a
 * challenge, and only with a sequence above the last one accepted from it.
 * One slot per id, ELECT_REPLAY_SLOTS of them: when full, a new id takes
 * the least recently heard slot, an unverified one first. A slot also
 * holds the challenge outstanding for its id.
 */
struct elect_replay_slot {
	struct elect_id id;
	uint64_t boot; /* the verified boot, if verified */
	uint64_t last_seq;
	uint64_t heard_ms;
	uint64_t chal;		   /* outstanding challenge; 0: none */
	uint64_t chal_ms;	   /* when it was sent */
	struct elect_addr chal_to; /* where it was sent */
	uint64_t chal_boot;	   /* the boot that drew it */
	bool chal_echoed;  /* a challenge of the peer's went out with it */
	uint64_t start_ms; /* the boot's start in our clock (UPTIME_MS) */
	bool verified;
};

struct elect_replay {
	struct elect_replay_slot slot[ELECT_REPLAY_SLOTS];
	size_t n;
	uint64_t challenge_every_ms; /* rate limit per id; 200 by default */
	uint64_t stale_ms; /* how late a datagram may be; 600 by default */
};

void elect_replay_init(struct elect_replay *);
/*
 * Returns ELECT_WIRE_OK and records seq if (id, boot) is verified and seq
 * is above the last one; ELECT_WIRE_REPLAY if it is not above;
 * ELECT_WIRE_UNVERIFIED if boot is not the verified one of id (or id is
 * unknown). Only OK refreshes the slot.
 */
enum elect_wire_err elect_replay_check(struct elect_replay *,
    const struct elect_id *, uint64_t boot, uint64_t seq, uint64_t now_ms);
/*
 * Records challenge value (not 0), sent to `to`, as outstanding for id,
 * drawn by a datagram of boot; unless one to the same address, drawn by
 * the same boot, went out less than challenge_every_ms ago and is still
 * unanswered (a restart's new boot is challenged at once, even while a
 * replay of an old one holds the old boot's challenges off). Returns true
 * if the caller sends it.
 */
bool elect_replay_challenge(struct elect_replay *, const struct elect_id *,
    uint64_t boot, const struct elect_addr *to, uint64_t value,
    uint64_t now_ms);
/*
 * While elect_replay_challenge() holds a new challenge off, the peer's own
 * challenge may still be answered: two nodes that challenge each other at
 * once (crossed first HELLOs) would otherwise each wait for the other's
 * answer for good. Returns the outstanding challenge to `to` from boot, to
 * be sent again along with the answer, once per outstanding challenge (so
 * the limit still bounds what the network makes us send); 0 when none.
 */
uint64_t elect_replay_echo(struct elect_replay *, const struct elect_id *,
    uint64_t boot, const struct elect_addr *to);
/*
 * Whether response answers the challenge outstanding for id, sent at most
 * max_age_ms ago. A match is used up: it never matches again.
 */
bool elect_replay_answered(struct elect_replay *, const struct elect_id *,
    uint64_t response, uint64_t now_ms, uint64_t max_age_ms);
/*
 * (id, boot) is live: its window starts above seq (the datagram that
 * proved it, accepted now). Another boot of id is forgotten.
 */
void elect_replay_verify(struct elect_replay *, const struct elect_id *,
    uint64_t boot, uint64_t seq, uint64_t now_ms);
/*
 * Whether a datagram of id's verified boot, saying it was sent uptime_ms
 * after that boot's start, comes too late to be fresh: sent more than
 * stale_ms before now (a datagram captured earlier, never delivered here,
 * replayed now). Its start is known from the verifying datagram on, kept
 * at the earliest seen since (network delay only makes a start look
 * later). Unverified ids are not stale: they are unverified.
 */
bool elect_replay_is_stale(const struct elect_replay *, const struct elect_id *,
    uint64_t uptime_ms, uint64_t now_ms);
/* Records the start a fresh datagram of id's verified boot implies. */
void elect_replay_seen_start(struct elect_replay *, const struct elect_id *,
    uint64_t uptime_ms, uint64_t now_ms);

/* Whether some boot of id is verified. */
bool elect_replay_is_known(
    const struct elect_replay *, const struct elect_id *);

/*
 * A learned timeout (elect_rto.c): RFC 6298's smoothed round-trip time
 * and variance over answered requests (client requests to the DMZ
 * address, PROBEs to the holder). Fixed size whatever it is fed.
 */
struct elect_rto {
	uint32_t srtt8;	  /* smoothed RTT, 1/8 ms */
	uint32_t rttvar8; /* its mean deviation, 1/8 ms */
	uint32_t samples;
};

void elect_rto_init(struct elect_rto *);
/* One answer, rtt_ms after its request (capped at a minute). */
void elect_rto_sample(struct elect_rto *, uint64_t rtt_ms);
/*
 * SRTT + max(1 ms, 4 RTTVAR), within [min_ms, max_ms]; max_ms (the
 * ceiling) while fewer than min_samples answers were measured.
 */
uint32_t elect_rto_timeout(const struct elect_rto *, uint32_t min_ms,
    uint32_t max_ms, uint32_t min_samples);

/* ---- the election core ---- */

struct elect_conf {
	struct elect_key *key; /* borrowed; outlives the core */
	/* Key rotation (doc/protocol.md, "Key rotation"): the next key,
	 * accepted beside key and sent with once every live member holds
	 * it (or on ELECT_EV_KEY_ROTATE); NULL: none. Borrowed. */
	struct elect_key *next_key;
	/* The key before a promoted next key (the last step of a rotation):
	 * still accepted, never sent with, never said; NULL: none. A member
	 * restarted meanwhile with the old key as its key is still heard.
	 * Borrowed. */
	struct elect_key *prev_key;
	char name[ELECT_NAME_MAX + 1];
	uint8_t priority; /* 0: observer, 1..254 */
	bool preempt;
	uint32_t heartbeat_ms;	    /* default 200 */
	uint32_t dead_after;	    /* missed heartbeats, default 3 */
	uint32_t claim_stagger_ms;  /* default 20 */
	uint32_t hello_interval_ms; /* default 10000 */
	uint32_t lease_ms;	    /* default 3 x heartbeat */
	struct elect_addr addrs[ELECT_MAX_ADDRS]; /* advertised, in HELLO */
	size_t n_addrs;
	struct elect_addr dmz;
	uint8_t dmz_prefix;
	/* A dual-stack site's IPv6 DMZ address, held with dmz (family 0:
	 * none): part of the settings that members must share. */
	struct elect_addr dmz6;
	uint8_t dmz6_prefix;
	/*
	 * Probe (ELECT_ACT_PROBE) before claiming an address that no member
	 * was heard holding since start; off in the simulator.
	 */
	bool probe_first;
	uint32_t probe_wait_ms; /* give up waiting for the result; 1000 */
	uint8_t mac[6];		/* of the cluster link, in HELLO; 0: none */
	uint16_t cpus;		/* in HELLO (RESOURCES) unless both are 0 */
	uint32_t mem_mib;
	/*
	 * Fast detection (doc/design.md §6). A request unanswered for its
	 * port's request timeout starts a PROBE round. With
	 * request_timeout_auto (the default) that timeout is learned per
	 * watched port from the answers' times (RFC 6298), within
	 * [request_timeout_min_ms, request_timeout_ms], and is the ceiling
	 * until ELECT_RTO_MIN_SAMPLES answers were measured; without it,
	 * request_timeout_ms is the timeout. probe_timeout_ms is likewise the
	 * fixed PROBE timeout, or auto's ceiling (floor
	 * ELECT_PROBE_TIMEOUT_MIN_MS).
	 */
	uint32_t request_timeout_ms;	 /* fixed, or auto's ceiling; 150 */
	uint32_t request_timeout_min_ms; /* auto's floor; 20 */
	bool request_timeout_auto;	 /* default true */
	uint32_t probe_timeout_ms;	 /* a round's (three tries); 100 */
	bool probe_timeout_auto;	 /* learned from round trips; true */
	/* The kernel fence (ELECT_FENCE_MARGIN_MS); 0: off. Default 50. */
	uint32_t fence_ms;
	/* The ports the watcher reports (requests to others: the ceiling). */
	struct elect_watch_port {
		uint8_t proto; /* 6 (TCP) or 17 (UDP) */
		uint16_t port;
	} watch[ELECT_MAX_WATCH_PORTS];
	size_t n_watch;
	bool check_enabled;   /* the holder runs a service check */
	uint32_t holddown_ms; /* no claim after our check failed; 10 x hb */
	/*
	 * keepalived's fall and rise: the service counts as failed after
	 * check_fall failed checks in a row and as passing again after
	 * check_rise passed ones in a row (0 counts as 1). Default 1 and 1;
	 * qured passes [dmz] check-fall and check-rise (2 and 2).
	 */
	uint32_t check_fall;
	uint32_t check_rise;
	/*
	 * Fast member liveness: while not holding, send an ALIVE to the
	 * group every this many ms (and say so in HELLO), so that the
	 * others declare us dead dead_after intervals + ELECT_ALIVE_MARGIN_MS
	 * after our last datagram, not 3 hello-intervals. 0: off (the
	 * default); else ELECT_ALIVE_MIN_MS..hello_interval_ms.
	 */
	uint32_t alive_interval_ms;
};

/* Fills conf with defaults (key and addresses left empty): those of
 * qured.conf(5), but check_fall and check_rise (1, above) and
 * probe_first (off: the edge turns it on when it can ARP-probe). */
void elect_conf_defaults(struct elect_conf *);

/* The timings derived from the heartbeat, in heartbeats: the one place
 * they are decided (the wiring sets the heartbeat, then derives). */
#define ELECT_LEASE_HEARTBEATS 3
#define ELECT_HOLDDOWN_HEARTBEATS 10
/*
 * A holder whose link loses datagrams hands over (doc/protocol.md, "A
 * lossy holder steps aside"): when PROBEs from at least
 * ELECT_LOSS_WITNESSES members went missing on the way to it within
 * ELECT_LOSS_WINDOW_HEARTBEATS. After two such handovers within
 * ELECT_LOSS_DAMP_HEARTBEATS no member hands over for loss until the
 * older is that old (a whole LAN that loses packets must not move the
 * address round and round; one bad link after another is still left).
 */
#define ELECT_LOSS_WITNESSES 2
#define ELECT_LOSS_WINDOW_HEARTBEATS 5
#define ELECT_LOSS_DAMP_HEARTBEATS 50
/* Sets lease_ms and holddown_ms from heartbeat_ms. */
void elect_conf_derive(struct elect_conf *);

/* What survives a restart: written by the edge on ELECT_ACT_PERSIST. */
struct elect_persist {
	struct elect_id id;    /* zero: make one */
	uint64_t epoch;	       /* every epoch used so far is at most this */
	uint64_t seq_reserved; /* every sequence sent so far is below this */
};

enum elect_event_type {
	ELECT_EV_START = 1,  /* first call after elect_new() */
	ELECT_EV_TIMER,	     /* wake_ms has come */
	ELECT_EV_RX,	     /* a datagram arrived */
	ELECT_EV_SHUTDOWN,   /* SIGTERM: resign if holder, drop address */
	ELECT_EV_HANDOVER,   /* operator: holder hands over to target */
	ELECT_EV_LINK,	     /* the cluster link went up or down: up */
	ELECT_EV_PROBE_DONE, /* result of ELECT_ACT_PROBE: conflict */
	/*
	 * SIGHUP: conf applies live (priority, preempt, timings, name, the
	 * link's MAC and addresses, the key and next key: key rotation);
	 * the DMZ address stays that of elect_new(). An
	 * invalid conf makes elect_step() return -1 and changes nothing.
	 */
	ELECT_EV_RECONF,
	ELECT_EV_REQUEST, /* watcher: a client request to the DMZ address */
	ELECT_EV_ANSWER,  /* watcher: the answer to it (same flow, port) */
	ELECT_EV_CHECK,	  /* result of ELECT_ACT_CHECK: ok */
	/* Result of the last ELECT_ACT_PERSIST: ok if written and synced. */
	ELECT_EV_PERSIST_DONE,
	/*
	 * Someone removed the DMZ address (ip addr flush, a DHCP renewal):
	 * a holder within its lease adds it back for what is left of the
	 * lease; past it, it steps down.
	 */
	ELECT_EV_ADDR_LOST,
	/*
	 * A hint (doc/design.md §5.6): src may be a member's address, seen
	 * by discovery (a DNS-SD browse, an IGMP report). The core sends one
	 * unicast HELLO with SOLICIT there; only an authenticated answer
	 * makes a member. The caller rate-limits hints.
	 */
	ELECT_EV_HINT,
	/*
	 * The address guard resigned for us (netcfg/netcfg_guard.c): our
	 * loop missed its fence while the guard ran, so the guard deleted
	 * the address and sent the farewell. A holder steps down and sends
	 * the same RESIGN again (the farewell's successor); otherwise
	 * nothing. A stop longer than a heartbeat runs the LATE row first
	 * (elect_step()): past its lease a holder has demoted there
	 * (lease-expired), and this finds it a standby.
	 */
	ELECT_EV_GUARD_RESIGNED,
	/*
	 * The site settings (store/settings.h; nothing of the election):
	 * send a STATE to src (family 0: the group) carrying the entries
	 * buf, len (borrowed; 0 to ELECT_ENTRIES_MAX bytes) and, when
	 * ranges is not NULL, a pull: our digest of each range. Not while
	 * stopped; nothing when the disk has not acknowledged a sequence.
	 */
	ELECT_EV_SITE_SEND,
	/*
	 * Operator (qurectl key rotate): send with the next key from now
	 * on, and say so (KEYS, FORCED): members holding it follow. Unless
	 * force, refused while a live member lacks it (out.rotate).
	 */
	ELECT_EV_KEY_ROTATE,
};

/* What ELECT_EV_KEY_ROTATE did (elect_out.rotate). */
enum elect_rotate_result {
	ELECT_ROTATE_DONE = 0,
	ELECT_ROTATE_NO_NEXT, /* no next key configured */
	ELECT_ROTATE_LACKING, /* live members lack it (without force) */
};

/* What ELECT_EV_HANDOVER did (elect_out.handover). */
enum elect_handover_result {
	ELECT_HANDOVER_DONE = 0,     /* resigned, naming the target */
	ELECT_HANDOVER_NOT_HOLDER,   /* only the holder hands over */
	ELECT_HANDOVER_NO_MEMBER,    /* no live member of that name */
	ELECT_HANDOVER_NEVER_HOLDS,  /* the member has priority 0 */
	ELECT_HANDOVER_NOT_ELIGIBLE, /* its settings differ from ours */
	ELECT_HANDOVER_NOBODY,	     /* no eligible standby at all */
};

struct elect_event {
	enum elect_event_type type;
	const uint8_t *buf; /* RX: borrowed for the call */
	size_t len;
	struct elect_addr src; /* RX: source address; HINT: where to */
	/* RX: how long it waited in our socket (the kernel's arrival stamp;
	 * 0 if unknown): a stall of ours is not the LAN's delay. */
	uint64_t rx_age_ms;
	/* HANDOVER: to the live member of that name (borrowed), else to
	 * target, else (NULL and zero) to the best standby */
	const char *target_name;
	struct elect_id target;
	bool up;		       /* LINK */
	bool conflict;		       /* PROBE_DONE: someone else answers */
	const struct elect_conf *conf; /* RECONF: borrowed for the call */
	uint64_t flow;		       /* REQUEST/ANSWER: the client side */
	uint16_t port;		       /* REQUEST/ANSWER: the watched port */
	uint8_t proto;		       /* REQUEST/ANSWER: 6 (TCP), 17 (UDP) */
	bool ok;		       /* CHECK, PERSIST_DONE */
	const uint64_t *ranges;	       /* SITE_SEND: ELECT_SITE_RANGES */
	bool force;		       /* KEY_ROTATE: even if some lack it */
};

enum elect_action_type {
	ELECT_ACT_SEND = 1,	/* datagram to dest (group if family 0) */
	ELECT_ACT_ADDR_ADD,	/* add the DMZ address, lease_ms lifetime */
	ELECT_ACT_ADDR_REFRESH, /* extend its lifetime to lease_ms */
	ELECT_ACT_ADDR_DEL,	/* remove it */
	ELECT_ACT_STATE,	/* old, state, reason: log and hooks */
	/*
	 * Write persist (off the loop), then answer ELECT_EV_PERSIST_DONE.
	 * One at a time: no new PERSIST until the last one is answered.
	 * persist.epoch is a ceiling: no epoch above it was used.
	 */
	ELECT_ACT_PERSIST,
	ELECT_ACT_DROP,	 /* a datagram was rejected: err, src */
	ELECT_ACT_PROBE, /* ARP-probe the DMZ address, then PROBE_DONE */
	ELECT_ACT_CHECK, /* run the service check, then ELECT_EV_CHECK */
	/* Announce the held address again (gratuitous ARP): a lesser holder
	 * may have pulled the neighbours' caches to itself. */
	ELECT_ACT_ANNOUNCE,
	/*
	 * A member (peer, src) speaks with other settings (mismatch bits):
	 * it takes no part in our election. Once per peer and mismatch: the
	 * edge logs it naming the peer.
	 */
	ELECT_ACT_CONFLICT,
	/*
	 * The holder's farewell (buf, len): a RESIGN, numbered right after
	 * the last datagram sent, that the address guard sends for us once
	 * it has dropped the address, if this process dies. A new one after
	 * every datagram a holder sends; len 0 withdraws it (before the
	 * ADDR_DEL of leaving HOLDER). Never sent by the edge itself.
	 */
	ELECT_ACT_FAREWELL,
	/*
	 * The site settings: a member (peer, src) of our election says its
	 * digest (site_digest) differs from ours, in a HELLO or a HEARTBEAT;
	 * each time it is heard. The edge pulls, as often as it sees fit.
	 */
	ELECT_ACT_SITE_DIFFERS,
	/*
	 * A member (peer, src) sent a STATE: entries (buf, len; may be 0)
	 * and, when has_ranges, a pull (ranges: its digest per range).
	 */
	ELECT_ACT_SITE_STATE,
	/*
	 * A member was declared dead now (member: who, its addresses, and
	 * in last_seen_ms how long ago it was last heard): nothing heard of
	 * it for its expiry (ALIVE: dead_after of its intervals +
	 * ELECT_ALIVE_MARGIN_MS; otherwise 3 hello periods + a heartbeat).
	 * Once per death, and never while our link is down or across a
	 * stall of ours (LATE: silence counts from the resume); only on
	 * ELECT_EV_TIMER steps, which the edge takes after reading every
	 * datagram that arrived. It no longer shows in elect_get_members().
	 */
	ELECT_ACT_MEMBER_DEAD,
	/*
	 * A member is heard for the first time, or again after its
	 * MEMBER_DEAD (a death declared by mistake, a restart): member.
	 */
	ELECT_ACT_MEMBER_UP,
};

/* A member as the core knows it, for status output. */
struct elect_member_info {
	struct elect_id id;
	char name[ELECT_NAME_MAX + 1];
	uint8_t priority;
	enum elect_state state;
	struct elect_addr addrs[ELECT_MAX_ADDRS];
	size_t n_addrs;
	struct elect_addr src; /* where its last datagram came from */
	uint8_t mac[6];	       /* from its HELLO; all zero if unknown */
	uint64_t last_seen_ms; /* age: ms since it was last heard */
	uint16_t cpus;	       /* from its HELLO; 0 if unknown */
	uint32_t mem_mib;
	/* from its HELLO: it sends an ALIVE this often while it does not
	 * hold, and is held to the short expiry; 0: the long one */
	uint32_t alive_ms;
	bool unfit;	   /* its last HELLO: its service check fails */
	unsigned mismatch; /* enum elect_mismatch bits; 0: our settings */
	/* Key rotation: it said (KEYS) that it holds our next key, as its
	 * key or its next; false when we have none */
	bool has_next_key;
};

struct elect_action {
	enum elect_action_type type;
	struct elect_addr dest; /* SEND: family 0 = the multicast group */
	uint8_t buf[ELECT_WIRE_MAX];
	size_t len;
	uint32_t lease_ms;
	enum elect_state old, state;
	enum elect_reason reason;
	struct elect_persist persist;
	enum elect_wire_err err;
	struct elect_addr src;
	struct elect_id peer;	       /* CONFLICT; FAREWELL: its successor */
	unsigned mismatch;	       /* CONFLICT: enum elect_mismatch bits */
	char name[ELECT_NAME_MAX + 1]; /* CONFLICT: the peer's; may be "" */
	uint64_t site_digest;	       /* SITE_DIFFERS */
	bool has_ranges;	       /* SITE_STATE: a pull */
	uint64_t ranges[ELECT_SITE_RANGES];
	struct elect_member_info member; /* MEMBER_DEAD, MEMBER_UP */
};

struct elect_out {
	struct elect_action act[ELECT_MAX_ACTIONS];
	size_t nact;
	uint64_t wake_ms; /* call again with ELECT_EV_TIMER at this time */
	enum elect_handover_result handover; /* after ELECT_EV_HANDOVER */
	enum elect_rotate_result rotate;     /* after ELECT_EV_KEY_ROTATE */
};

struct elect_counters {
	uint64_t rx, tx;
	uint64_t rx_dropped_auth, rx_dropped_malformed, rx_dropped_replay;
	uint64_t rx_dropped_version;
	uint64_t rx_unverified; /* from an (id, boot) not verified yet */
	uint64_t challenges;	/* CHALLENGEs sent */
	uint64_t failovers;	/* times this node became holder */
	uint64_t probes;	/* PROBEs sent to a silent holder */
	uint64_t probes_lost;	/* HOLDER: PROBEs to us that went missing */
	uint64_t acks_lost; /* HOLDER: a PROBE asked again: our ack was lost */
	uint64_t loss_handovers; /* times we handed over for a lossy link */
	/* datagrams of a newcomer refused: the membership table was full */
	uint64_t members_refused;
	uint64_t fence_claims; /* claims the fence let in before the lease */
	uint64_t fence_lapses; /* HOLDER: our loop missed the fence */
};

struct elect;

/*
 * Makes a core. conf and persist are copied (conf->key is borrowed).
 * seed feeds the core's PRNG (new node ids, boot cookie). Returns NULL if
 * conf is invalid (no key, no name, no DMZ address, heartbeat 0,
 * dead_after 0, lease <= heartbeat).
 */
struct elect *elect_new(const struct elect_conf *, const struct elect_persist *,
    uint64_t now_ms, uint64_t seed);
void elect_free(struct elect *);

/*
 * Feeds one event at now_ms (monotonic, never decreasing). Fills out with
 * the actions to apply in order. Returns 0, or -1 if the event is invalid
 * (now_ms went backwards, unknown type); input from the network is never
 * invalid, only rejected and counted.
 */
int elect_step(struct elect *, uint64_t now_ms, const struct elect_event *,
    struct elect_out *);

enum elect_state elect_get_state(const struct elect *);
/* The core waits for a PROBE_DONE: the edge's probe is still wanted. */
bool elect_is_probing(const struct elect *);
uint64_t elect_get_epoch(const struct elect *);
void elect_get_id(const struct elect *, struct elect_id *);
/* The holder this node believes in; false if none. */
bool elect_get_holder(const struct elect *, struct elect_id *);
/*
 * The site's public address(es) as the edge learnt them (dyndns): sent
 * in our HEARTBEATs while we hold, so that every member's DNS responder
 * answers alike. At most one per family (4 or 6; others are ignored);
 * n 0: none. Nothing of the election depends on it.
 */
void elect_set_public(struct elect *, const struct elect_addr *pub, size_t n);
/*
 * The site settings' digest and count (store/settings.h), sent in our
 * HELLOs and HEARTBEATs from the first call on; members whose digest
 * differs are reported (ELECT_ACT_SITE_DIFFERS). Nothing of the
 * election depends on it.
 */
void elect_set_site(struct elect *, uint64_t digest, uint16_t count);
/* What the holder we follow announced; 0 when nothing (or we hold). */
size_t elect_get_holder_public(
    const struct elect *, struct elect_addr *out, size_t max);
/* Lease end (ms) while holder; 0 otherwise. */
uint64_t elect_get_lease_until(const struct elect *);
/* While holder, the end of the lease the peers count from our last
 * HEARTBEAT (never before the fence's end); 0 otherwise. */
uint64_t elect_get_peer_lease_until(const struct elect *);
void elect_get_counters(const struct elect *, struct elect_counters *);
/* Whether the last PERSIST was written (true until one fails). */
bool elect_get_persist_ok(const struct elect *);
/* One PROBE try's timeout in use (learned or fixed: a round is
 * ELECT_PROBE_TRIES of them) and the round trips it was learned from (to
 * the holder followed now). */
uint32_t elect_get_probe_timeout(const struct elect *, uint32_t *samples);
/* Whether the fence of the holder we follow would serve now (it hears
 * us, round trips measured, no loss lately): a silent holder is then
 * claimed from a PROBE round + its fence after, not a lease. */
bool elect_get_fence_trusted(const struct elect *);
/* How late our first PROBE may reach a silent holder for the fence's
 * gate to hold (the learned round-trip timeout, at least
 * ELECT_FENCE_MARGIN_MS): the fence counts a datagram to it that took
 * longer as lost, as every timeout does (tests/sim: invariant (h)). */
uint32_t elect_get_fence_margin(const struct elect *);

/* Why a holder's fence would not serve (or ELECT_FENCE_SERVES). */
enum elect_fence_why {
	ELECT_FENCE_SERVES = 0,
	ELECT_FENCE_OFF,	/* the holder announces no fence */
	ELECT_FENCE_UNHEARD,	/* it has not shown lately that it hears us */
	ELECT_FENCE_UNMEASURED, /* too few round trips measured */
	ELECT_FENCE_LOSS,	/* a sign of loss or delay lately */
};
const char *elect_fence_why_name(enum elect_fence_why);
/*
 * For the log of a failover: whether the fence of the holder whose last
 * PROBE round failed served, and if not why; with LOSS, how long before
 * the failed round the last sign of loss came (*loss_age_ms, else 0).
 * ELECT_FENCE_SERVES before any round failed.
 */
enum elect_fence_why elect_get_round_fence(
    const struct elect *, uint64_t *loss_age_ms);

/* A watched port's request timeout, for status. */
struct elect_watch_info {
	uint8_t proto; /* 6 (TCP) or 17 (UDP) */
	uint16_t port;
	uint32_t timeout_ms; /* the deadline a request to it has now */
	uint32_t samples;    /* answers measured (auto or not) */
};

/* Copies up to max watched ports, in conf order; returns how many. */
size_t elect_get_watch(
    const struct elect *, struct elect_watch_info *, size_t max);

/* A live member whose settings differ from ours, for status. */
struct elect_conflict {
	struct elect_id id;
	char name[ELECT_NAME_MAX + 1]; /* empty until its HELLO */
	struct elect_addr src;
	unsigned mismatch; /* enum elect_mismatch bits */
};

/* The first live member with other settings; false if none. */
bool elect_get_conflict(
    const struct elect *, uint64_t now_ms, struct elect_conflict *);

/* Key rotation, for status (elect_key.c). */
struct elect_key_info {
	uint8_t cur[ELECT_KEY_ID_LEN];
	uint8_t next[ELECT_KEY_ID_LEN]; /* all zero: no next key */
	bool has_next;
	bool sending_next; /* our datagrams are tagged with the next key */
	bool forced;	   /* by ELECT_EV_KEY_ROTATE, ours or a member's */
	size_t n_lacking;  /* live members that do not hold it */
};
void elect_get_key(
    const struct elect *, uint64_t now_ms, struct elect_key_info *);

/* Copies up to max live members (self excluded); returns how many. */
size_t elect_get_members(const struct elect *, uint64_t now_ms,
    struct elect_member_info *, size_t max);

#endif
