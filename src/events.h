#ifndef QURE_EVENTS_H
#define QURE_EVENTS_H

/*
 * src/events.h — what `qurectl watch` shows (issue 14, doc/design.md
 * §8.4): one event record, its JSON line and its text line
 * (src/events.c, pure, no election code: qurectl links it), and the
 * failover tracker (src/events_track.c, pure: no clock, no sockets) that
 * qured's edge feeds with this member's state changes, the members it
 * sees come and go and the holder it believes in after each step. The
 * tracker decides when the holder changed, why and how long the site
 * went without one, and keeps the status "failovers" section and
 * holder.since_ms.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "election/election.h"
#include "src/status.h"

enum events_type {
	EVENTS_STATE = 1,   /* "state": this member's state changed */
	EVENTS_MEMBER_UP,   /* "member_up": heard first, or again */
	EVENTS_MEMBER_DEAD, /* "member_dead": declared dead */
	EVENTS_HOLDER,	    /* "holder": a holder known where none was */
	EVENTS_FAILOVER,    /* "failover": the holder changed */
};

/* One event; only the fields of its type are meaningful ("" / 0 else). */
struct events_event {
	enum events_type type;
	uint64_t at_ms;		    /* unix ms */
	char node[STATUS_NAME_LEN]; /* the member reporting: this qured */
	/* STATE: states (elect_state_name()) and why (underscored) */
	char old[STATUS_STATE_LEN], state[STATUS_STATE_LEN];
	char reason[STATUS_REASON_LEN];
	/* MEMBER_UP, MEMBER_DEAD: who; DEAD: how long it was not heard */
	char member[STATUS_NAME_LEN], member_id[STATUS_ID_LEN];
	char address[STATUS_ADDR_LEN];
	uint64_t last_seen_ms;
	/* HOLDER, FAILOVER: from ("" in HOLDER) and to; FAILOVER: the
	 * cause and ms from the old holder's last datagram to the new
	 * holder known */
	char from[STATUS_NAME_LEN], from_id[STATUS_ID_LEN];
	char to[STATUS_NAME_LEN], to_id[STATUS_ID_LEN];
	char cause[STATUS_REASON_LEN];
	uint64_t duration_ms;
};

/* "state", "member_up", ...; "unknown" for others. */
const char *events_type_name(enum events_type);

/*
 * The event as one JSON line, without the newline: {"type": ..., "at_ms":
 * number, "node": string, then the fields of its type} (doc/design.md
 * §8.4). Returns a malloc()ed string the caller frees; aborts on
 * allocation failure.
 */
char *events_to_json(const struct events_event *);

/*
 * Reads one event back from a JSON line (len bytes, no newline needed).
 * Unknown fields are ignored (newer daemons may add some); an unknown
 * type, a missing field or one of the wrong type or too long is refused.
 * Returns 0, or -1 with a one-line reason in err.
 */
int events_from_json(const char *line, size_t len, struct events_event *out,
    char *err, size_t errlen);

/*
 * One line of text, no newline: "2026-12-06T00:31:02.123Z h1: failover
 * h3 -> h2 (holder_dead) in 240 ms". Times in UTC; bytes that are not
 * printable ASCII show as '?'. Truncated to len.
 */
void events_to_text(const struct events_event *, char *buf, size_t len);

/* elect_reason_name() with '_' for '-' ("holder_dead"): the causes and
 * reasons of events and status. Returns buf. */
const char *events_reason_name(enum elect_reason, char buf[STATUS_REASON_LEN]);

/* ---- the failover tracker (src/events_track.c) ---- */

/* When a step happened: the monotonic clock (durations) and the wall
 * clock (what events and status show). */
struct events_clock {
	uint64_t mono_ms;
	uint64_t unix_ms;
};

/* A member as the edge names it. */
struct events_peer {
	char id[STATUS_ID_LEN]; /* hex */
	char name[STATUS_NAME_LEN];
};

/*
 * The holder this member believes in after a step: none (present
 * false), this member (self), or another one, with how long ago it was
 * last heard (elect_get_members()' last_seen_ms; heard false if it is
 * not listed).
 */
struct events_holder {
	bool present;
	bool self;
	struct events_peer who;
	bool heard;
	uint64_t last_seen_ms;
};

/* The tracker; plain values, embed it and events_track_init() it. */
struct events_track {
	struct events_peer self;
	uint64_t silent_ms;	    /* a holder this silent is taken for dead */
	bool has;		    /* a holder is known */
	bool ever;		    /* one was, since the start */
	bool lost;		    /* it was lost, none known since */
	struct events_peer cur;	    /* the holder known, or the one lost */
	uint64_t cur_heard_ms;	    /* mono: its last datagram (0: unknown) */
	uint64_t since_ms;	    /* unix: it was known from then */
	enum elect_reason cause;    /* why this member left it ... */
	bool has_cause;		    /* ... if it did */
	bool stepped;		    /* a state change in this step */
	enum elect_reason last_why; /* of the last state change */
	bool cur_dead;		    /* it was declared dead */
	/* the status "failovers" section (src/status.h) */
	struct status_reason_count by_cause[STATUS_MAX_REASONS];
	size_t n_causes;
	uint64_t buckets[STATUS_FAILOVER_BUCKETS];
	uint64_t count, sum_ms;
	struct status_failover recent[STATUS_MAX_FAILOVERS]; /* a ring */
	size_t n_recent, next;
};

/*
 * Starts empty, for this member (self: its id and name). silent_ms: a
 * holder replaced while this member followed it, with no state change
 * here to say why (another member claimed first), counts as dead
 * (cause holder_dead) if it was silent this long; else the cause is
 * "holder_changed". 0: never.
 */
void events_track_init(
    struct events_track *, const struct events_peer *self, uint64_t silent_ms);

/*
 * This member's state changed (ELECT_ACT_STATE). Fills ev (a "state"
 * event) and notes why, as the cause of the change of holder that may
 * follow.
 */
void events_track_state(struct events_track *, const struct events_clock *,
    enum elect_state old, enum elect_state state, enum elect_reason why,
    struct events_event *ev);

/*
 * A member was heard first (up true) or declared dead (up false: age,
 * how long it was not heard) at address (may be ""). Fills ev.
 */
void events_track_member(struct events_track *, const struct events_clock *,
    bool up, const struct events_peer *who, const char *address,
    uint64_t age_ms, struct events_event *ev);

/*
 * After every step: the holder believed in now. Returns true with ev
 * filled when that is news: a holder known where none ever was
 * ("holder"), or another holder than the last one ("failover": counted,
 * timed, kept in the last STATUS_MAX_FAILOVERS).
 */
bool events_track_holder(struct events_track *, const struct events_clock *,
    const struct events_holder *, struct events_event *ev);

/* Copies the failovers section and holder.since_ms into out. */
void events_track_status(const struct events_track *, struct status *out);

#endif
