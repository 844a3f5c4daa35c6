#include "config.h"

#include "src/events.h"

#include <stdio.h>
#include <string.h>

/*
 * The failover tracker. Its input, per step of the election core: the
 * state changes of this member (events_track_state()), the members
 * declared dead or heard (events_track_member()), then the holder
 * believed in after the step (events_track_holder()).
 *
 * States: no holder ever known; a holder known (has); the holder lost
 * and none known since (lost). A failover is a holder known that is
 * not the last one known: from has or lost. Its cause is why this
 * member left the old holder: the reason of its last state change away
 * from it (a standby's holder_dead, an old holder's handover, a new
 * holder's own candidacy before its claim, holder_resigned for the
 * successor a resigning holder named); without one (a standby that
 * hears another member's claim before it finds the holder dead itself),
 * holder_dead if the old holder was declared dead or silent for
 * silent_ms, else "holder_changed". Its
 * duration runs from the old holder's last datagram (the age the
 * member listing gave last, or this member's own step while it held)
 * to the step that knows the new one.
 */

#define CHANGED_CAUSE "holder_changed" /* no state change explains it */

const char *
events_reason_name(enum elect_reason r, char buf[STATUS_REASON_LEN])
{
	size_t i;

	snprintf(buf, STATUS_REASON_LEN, "%s", elect_reason_name(r));
	for (i = 0; buf[i] != '\0'; i++)
		if (buf[i] == '-')
			buf[i] = '_';
	return buf;
}

void
events_track_init(
    struct events_track *t, const struct events_peer *self, uint64_t silent_ms)
{
	memset(t, 0, sizeof(*t));
	t->self = *self;
	t->silent_ms = silent_ms;
}

/* Reasons that find a holder (or start looking) rather than leave one. */
static bool
is_leave_reason(enum elect_reason why)
{
	switch (why) {
	case ELECT_WHY_START:
	case ELECT_WHY_HOLDER_HEARD:
	case ELECT_WHY_NO_HOLDER:
	case ELECT_WHY_CLAIMED:
	case ELECT_WHY_LINK_UP:
		return false;
	default:
		return true;
	}
}

static void
ev_start(const struct events_track *t, const struct events_clock *clk,
    enum events_type type, struct events_event *ev)
{
	memset(ev, 0, sizeof(*ev));
	ev->type = type;
	ev->at_ms = clk->unix_ms;
	snprintf(ev->node, sizeof(ev->node), "%s", t->self.name);
}

void
events_track_state(struct events_track *t, const struct events_clock *clk,
    enum elect_state old, enum elect_state state, enum elect_reason why,
    struct events_event *ev)
{
	ev_start(t, clk, EVENTS_STATE, ev);
	snprintf(ev->old, sizeof(ev->old), "%s", elect_state_name(old));
	snprintf(ev->state, sizeof(ev->state), "%s", elect_state_name(state));
	events_reason_name(why, ev->reason);
	t->stepped = true;
	t->last_why = why;
	if (is_leave_reason(why)) {
		t->cause = why;
		t->has_cause = true;
	} else if (old == ELECT_ST_STANDBY && state == ELECT_ST_HOLDER) {
		/* Straight from standby to holder: only the successor that a
		 * resigning holder named claims so (elect_on_resign()); the
		 * others go through candidate, with holder_resigned. */
		t->cause = ELECT_WHY_HOLDER_RESIGNED;
		t->has_cause = true;
	}
	/* We held: our own last datagram is about now. */
	if (old == ELECT_ST_HOLDER && state != ELECT_ST_HOLDER && t->has &&
	    strcmp(t->cur.id, t->self.id) == 0)
		t->cur_heard_ms = clk->mono_ms;
}

void
events_track_member(struct events_track *t, const struct events_clock *clk,
    bool up, const struct events_peer *who, const char *address,
    uint64_t age_ms, struct events_event *ev)
{
	ev_start(t, clk, up ? EVENTS_MEMBER_UP : EVENTS_MEMBER_DEAD, ev);
	snprintf(ev->member, sizeof(ev->member), "%s", who->name);
	snprintf(ev->member_id, sizeof(ev->member_id), "%s", who->id);
	snprintf(ev->address, sizeof(ev->address), "%s", address);
	if (!up)
		ev->last_seen_ms = age_ms;
	if (!t->ever || strcmp(who->id, t->cur.id) != 0)
		return;
	/* The holder (or the one lost): dead, or alive after all. */
	t->cur_dead = !up;
	if (!up)
		t->cur_heard_ms =
		    clk->mono_ms > age_ms ? clk->mono_ms - age_ms : 0;
}

/* The histogram bucket of d ms: the first bound at or above it. */
static size_t
bucket_of(uint64_t d)
{
	static const uint64_t bounds[] = STATUS_FAILOVER_BOUNDS_MS;
	size_t i;

	for (i = 0; i < sizeof(bounds) / sizeof(bounds[0]); i++)
		if (d <= bounds[i])
			return i;
	return STATUS_FAILOVER_BUCKETS - 1;
}

static void
count_cause(struct events_track *t, const char *cause)
{
	size_t i;

	for (i = 0; i < t->n_causes; i++) {
		if (strcmp(t->by_cause[i].reason, cause) == 0) {
			t->by_cause[i].n++;
			return;
		}
	}
	if (t->n_causes == STATUS_MAX_REASONS)
		return; /* more causes than reasons exist: cannot happen */
	snprintf(
	    t->by_cause[i].reason, sizeof(t->by_cause[i].reason), "%s", cause);
	t->by_cause[i].n = 1;
	t->n_causes++;
}

/* Counts the failover in ev and keeps it in the ring. */
static void
record(struct events_track *t, const struct events_event *ev)
{
	struct status_failover *f = &t->recent[t->next];

	t->count++;
	t->sum_ms += ev->duration_ms;
	t->buckets[bucket_of(ev->duration_ms)]++;
	count_cause(t, ev->cause);
	memset(f, 0, sizeof(*f));
	f->at_ms = ev->at_ms;
	/* By name; the id where it has none (its HELLO not heard yet). */
	snprintf(f->from, sizeof(f->from), "%s",
	    ev->from[0] != '\0' ? ev->from : ev->from_id);
	snprintf(
	    f->to, sizeof(f->to), "%s", ev->to[0] != '\0' ? ev->to : ev->to_id);
	snprintf(f->cause, sizeof(f->cause), "%s", ev->cause);
	f->duration_ms = ev->duration_ms;
	t->next = (t->next + 1) % STATUS_MAX_FAILOVERS;
	if (t->n_recent < STATUS_MAX_FAILOVERS)
		t->n_recent++;
}

/* ev's cause: why we left the old holder (see the top); gap: how long
 * it was silent. */
static void
cause_of(const struct events_track *t, uint64_t gap, struct events_event *ev)
{
	if (t->has_cause)
		events_reason_name(t->cause, ev->cause);
	else if (t->cur_dead || (t->silent_ms > 0 && gap >= t->silent_ms))
		events_reason_name(ELECT_WHY_HOLDER_DEAD, ev->cause);
	else
		snprintf(ev->cause, sizeof(ev->cause), CHANGED_CAUSE);
}

/* The holder h is now the one known, from the step at clk. */
static void
adopt(struct events_track *t, const struct events_clock *clk,
    const struct events_holder *h, uint64_t heard)
{
	/* Its name may not be known yet; the one lost and back had one. */
	if (h->who.name[0] != '\0' || strcmp(h->who.id, t->cur.id) != 0)
		t->cur = h->who;
	t->cur_heard_ms = heard;
	t->since_ms = clk->unix_ms;
	t->has = true;
	t->ever = true;
	t->lost = false;
	t->has_cause = false;
	t->cur_dead = false;
}

/* The old holder's last datagram to now; 0 if it is not known. */
static uint64_t
gap_ms(const struct events_track *t, const struct events_clock *clk)
{
	if (t->cur_heard_ms == 0 || clk->mono_ms < t->cur_heard_ms)
		return 0;
	return clk->mono_ms - t->cur_heard_ms;
}

static bool
on_new_holder(struct events_track *t, const struct events_clock *clk,
    const struct events_holder *h, uint64_t heard, struct events_event *ev)
{
	bool same = t->ever && strcmp(h->who.id, t->cur.id) == 0;

	/* The first holder, or the one lost known again: news, not a
	 * failover (a link that flapped under a standby moved nothing). */
	if (!t->ever || same) {
		ev_start(t, clk, EVENTS_HOLDER, ev);
		if (same) {
			snprintf(ev->from, sizeof(ev->from), "%s", t->cur.name);
			snprintf(
			    ev->from_id, sizeof(ev->from_id), "%s", t->cur.id);
		}
		events_reason_name(t->last_why, ev->cause);
	} else {
		ev_start(t, clk, EVENTS_FAILOVER, ev);
		snprintf(ev->from, sizeof(ev->from), "%s", t->cur.name);
		snprintf(ev->from_id, sizeof(ev->from_id), "%s", t->cur.id);
		ev->duration_ms = gap_ms(t, clk);
		cause_of(t, ev->duration_ms, ev);
	}
	snprintf(ev->to, sizeof(ev->to), "%s", h->who.name);
	snprintf(ev->to_id, sizeof(ev->to_id), "%s", h->who.id);
	if (ev->type == EVENTS_FAILOVER)
		record(t, ev);
	adopt(t, clk, h, heard);
	return true;
}

bool
events_track_holder(struct events_track *t, const struct events_clock *clk,
    const struct events_holder *h, struct events_event *ev)
{
	bool stepped = t->stepped;
	uint64_t heard = 0;

	t->stepped = false;
	if (!h->present) {
		if (t->has) {
			t->has = false;
			t->lost = true;
			t->since_ms = 0;
		}
		return false;
	}
	if (h->self)
		heard = clk->mono_ms;
	else if (h->heard)
		heard = clk->mono_ms > h->last_seen_ms
			    ? clk->mono_ms - h->last_seen_ms
			    : 0;
	if (!t->has || strcmp(h->who.id, t->cur.id) != 0)
		return on_new_holder(t, clk, h, heard, ev);
	/* The same holder: heard again; its name may have come since. */
	if (heard != 0)
		t->cur_heard_ms = heard;
	if (h->who.name[0] != '\0')
		t->cur = h->who;
	/* A reason from a step that kept the holder explains nothing
	 * that comes later. */
	if (!stepped)
		t->has_cause = false;
	return false;
}

void
events_track_status(const struct events_track *t, struct status *out)
{
	size_t i, first;

	out->holder.since_ms = t->has ? t->since_ms : 0;
	memcpy(out->failovers.by_cause, t->by_cause, sizeof(t->by_cause));
	out->failovers.n_causes = t->n_causes;
	memcpy(out->failovers.buckets, t->buckets, sizeof(t->buckets));
	out->failovers.count = t->count;
	out->failovers.sum_ms = t->sum_ms;
	/* Oldest first: the ring starts at next once it is full. */
	first = t->n_recent < STATUS_MAX_FAILOVERS ? 0 : t->next;
	for (i = 0; i < t->n_recent; i++)
		out->failovers.recent[i] =
		    t->recent[(first + i) % STATUS_MAX_FAILOVERS];
	out->failovers.n_recent = t->n_recent;
}
