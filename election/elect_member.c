/*
 * election/elect_member.c — the membership table and the order of
 * preference. Fixed size: nothing a peer sends makes it grow.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "election/elect_int.h"

void
elect_members_init(struct elect_members *t, uint64_t expire_ms)
{
	memset(t, 0, sizeof(*t));
	t->expire_ms = expire_ms;
}

struct elect_member *
elect_members_find(struct elect_members *t, const struct elect_id *id)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		if (elect_id_cmp(&t->m[i].id, id) == 0)
			return &t->m[i];
	return NULL;
}

static struct elect_member *
least_recently_heard(struct elect_members *t)
{
	struct elect_member *old = &t->m[0];
	size_t i;

	for (i = 1; i < t->n; i++)
		if (t->m[i].last_seen_ms < old->last_seen_ms)
			old = &t->m[i];
	return old;
}

struct elect_member *
elect_members_touch(struct elect_members *t, const struct elect_id *id,
    uint64_t now_ms, bool holder, bool *added)
{
	struct elect_member *m = elect_members_find(t, id);

	*added = m == NULL;
	if (m == NULL && t->n < ELECT_MAX_PEERS) {
		m = &t->m[t->n++];
		memset(m, 0, sizeof(*m));
		m->id = *id;
	} else if (m == NULL) {
		/* Full: a member gone quiet makes room, a live one only
		 * for a holder; else the cluster is full. */
		m = least_recently_heard(t);
		if (!holder && elect_member_is_live(t, m, now_ms)) {
			*added = false;
			return NULL;
		}
		memset(m, 0, sizeof(*m));
		m->id = *id;
	}
	m->last_seen_ms = now_ms;
	return m;
}

/*
 * A member that sends ALIVEs misses dead_after of its periods before it
 * is dead; a holder sends HEARTBEATs instead, every heartbeat. Never
 * longer than the long expiry: an odd ALIVE_MS cannot keep it longer.
 */
uint64_t
elect_member_expire_ms(
    const struct elect_members *t, const struct elect_member *m)
{
	uint64_t period = m->alive_ms, short_ms;
	uint32_t hb = m->heartbeat_ms != 0 ? m->heartbeat_ms : t->heartbeat_ms;

	if (m->alive_ms == 0)
		return t->expire_ms;
	if (m->state == ELECT_ST_HOLDER && hb > period)
		period = hb; /* its own: a member with other settings too */
	short_ms = (uint64_t)t->dead_after * period + ELECT_ALIVE_MARGIN_MS;
	return short_ms < t->expire_ms ? short_ms : t->expire_ms;
}

/* Our own stall or link outage gives a short-expiry member a fresh
 * window: what it sent then may never have reached us. The long expiry
 * (minutes) is left as it always was. */
uint64_t
elect_member_dies_at(
    const struct elect_members *t, const struct elect_member *m)
{
	uint64_t from = m->last_seen_ms;

	if (m->alive_ms != 0 && t->silence_from_ms > from)
		from = t->silence_from_ms;
	return from + elect_member_expire_ms(t, m);
}

bool
elect_member_is_live(const struct elect_members *t,
    const struct elect_member *m, uint64_t now_ms)
{
	return !m->dead && now_ms < elect_member_dies_at(t, m);
}

void
elect_member_info_fill(const struct elect_member *m, uint64_t now_ms,
    struct elect_member_info *info)
{
	memset(info, 0, sizeof(*info));
	info->id = m->id;
	memcpy(info->name, m->name, sizeof(info->name));
	info->priority = m->priority;
	info->state = (enum elect_state)m->state;
	memcpy(info->addrs, m->addrs, sizeof(info->addrs));
	info->n_addrs = m->n_addrs;
	info->src = m->src;
	memcpy(info->mac, m->mac, sizeof(info->mac));
	info->cpus = m->cpus;
	info->mem_mib = m->mem_mib;
	info->alive_ms = m->alive_ms;
	info->unfit = m->unfit;
	info->mismatch = m->mismatch;
	info->last_seen_ms = now_ms - m->last_seen_ms;
}

static bool
is_candidate(const struct elect_members *t, const struct elect_member *m,
    uint64_t now_ms, const struct elect_id *skip)
{
	if (m->priority == 0 || m->state == ELECT_ST_STOPPED ||
	    m->mismatch != 0)
		return false;
	if (skip != NULL && elect_id_cmp(&m->id, skip) == 0)
		return false;
	return elect_member_is_live(t, m, now_ms);
}

/* Candidates rank by priority desc, then id asc (doc/design.md §5.2). */
static bool
ranks_before(
    uint8_t pa, const struct elect_id *a, uint8_t pb, const struct elect_id *b)
{
	if (pa != pb)
		return pa > pb;
	return elect_id_cmp(a, b) < 0;
}

/* A member whose check passes before one whose check fails, then rank. */
static bool
fitter(const struct elect_member *a, const struct elect_member *b)
{
	if (a->unfit != b->unfit)
		return !a->unfit;
	return ranks_before(a->priority, &a->id, b->priority, &b->id);
}

unsigned
elect_members_rank(const struct elect_members *t, uint64_t now_ms,
    uint8_t priority, const struct elect_id *id, const struct elect_id *skip)
{
	unsigned rank = 0;
	size_t i;

	for (i = 0; i < t->n; i++) {
		const struct elect_member *m = &t->m[i];

		if (is_candidate(t, m, now_ms, skip) && !m->unfit &&
		    ranks_before(m->priority, &m->id, priority, id))
			rank++;
	}
	return rank;
}

uint64_t
elect_members_last_costart(const struct elect_members *t, uint64_t now_ms,
    uint8_t priority, uint64_t started_by_ms)
{
	uint64_t last = 0;
	size_t i;

	for (i = 0; i < t->n; i++) {
		const struct elect_member *m = &t->m[i];

		if ((m->state == ELECT_ST_STARTING ||
			m->state == ELECT_ST_CANDIDATE) &&
		    m->start_ms <= started_by_ms && m->start_ms > last &&
		    is_candidate(t, m, now_ms, NULL) && !m->unfit &&
		    m->priority > priority)
			last = m->start_ms;
	}
	return last;
}

const struct elect_member *
elect_members_best(
    const struct elect_members *t, uint64_t now_ms, const struct elect_id *skip)
{
	const struct elect_member *best = NULL;
	size_t i;

	for (i = 0; i < t->n; i++) {
		const struct elect_member *m = &t->m[i];

		if (!is_candidate(t, m, now_ms, skip))
			continue;
		if (best == NULL || fitter(m, best))
			best = m;
	}
	return best;
}

bool
elect_claim_better(const struct elect_claim *a, const struct elect_claim *b)
{
	if (a->epoch != b->epoch)
		return a->epoch > b->epoch;
	if (a->priority != b->priority)
		return a->priority > b->priority;
	return elect_id_cmp(&a->id, &b->id) < 0;
}

const struct elect_member *
elect_members_best_preempter(const struct elect_members *t, uint64_t now_ms,
    uint8_t above_priority, uint64_t heard_since_ms)
{
	const struct elect_member *best = NULL;
	size_t i;

	for (i = 0; i < t->n; i++) {
		const struct elect_member *m = &t->m[i];

		if (!m->preempt || m->priority <= above_priority ||
		    m->last_seen_ms < heard_since_ms ||
		    !is_candidate(t, m, now_ms, NULL))
			continue;
		if (best == NULL || ranks_before(m->priority, &m->id,
					best->priority, &best->id))
			best = m;
	}
	return best;
}

size_t
elect_members_count_live(const struct elect_members *t, uint64_t now_ms)
{
	size_t i, n = 0;

	/* Members of our election only: the holder counts them alike. */
	for (i = 0; i < t->n; i++)
		n += elect_member_is_live(t, &t->m[i], now_ms) &&
		     t->m[i].mismatch == 0;
	return n;
}

static bool
same_addr(const struct elect_addr *a, const struct elect_addr *b)
{
	return a->family == b->family &&
	       memcmp(a->b, b->b, a->family == 4 ? 4 : 16) == 0;
}

/* Tallies of one side: how many, its best (priority, id), its start. */
struct side {
	unsigned n;
	uint8_t priority;
	struct elect_id id;
	uint64_t start_ms; /* the earliest */
};

static void
side_add(struct side *s, uint8_t priority, const struct elect_id *id,
    uint64_t start_ms)
{
	if (s->n == 0 || start_ms < s->start_ms)
		s->start_ms = start_ms;
	if (s->n++ == 0 || ranks_before(priority, id, s->priority, &s->id)) {
		s->priority = priority;
		s->id = *id;
	}
}

enum elect_side
elect_members_conflict_side(const struct elect_members *t, uint64_t now_ms,
    const struct elect_self *self)
{
	struct side ours = {0}, theirs = {0};
	size_t i;

	side_add(&ours, self->priority, &self->id, self->start_ms);
	for (i = 0; i < t->n; i++) {
		const struct elect_member *m = &t->m[i];

		if (!elect_member_is_live(t, m, now_ms) || m->priority == 0 ||
		    m->state == ELECT_ST_STOPPED)
			continue;
		if (m->mismatch == 0) {
			side_add(&ours, m->priority, &m->id, m->start_ms);
			continue;
		}
		if (!same_addr(&m->dmz, &self->dmz))
			continue; /* another address: no fight over ours */
		side_add(&theirs, m->priority, &m->id, m->start_ms);
	}
	if (theirs.n == 0 || theirs.n < ours.n)
		return ELECT_SIDE_OURS;
	if (theirs.n > ours.n)
		return ELECT_SIDE_THEIRS;
	if (theirs.start_ms != ours.start_ms)
		return theirs.start_ms < ours.start_ms ? ELECT_SIDE_TIE_THEIRS
						       : ELECT_SIDE_OURS;
	return ranks_before(
		   theirs.priority, &theirs.id, ours.priority, &ours.id)
		   ? ELECT_SIDE_TIE_THEIRS
		   : ELECT_SIDE_OURS;
}
