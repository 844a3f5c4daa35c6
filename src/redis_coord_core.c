/*
 * src/redis_coord_core.c — the pure half of src/redis_coord.h: the
 * members' weights, the slot moves' gate, the tracker that declares deaths and
 * forgets the dead after a delay, and the codec of the worker's messages (bytes
 * from a socketpair: checked as any outside input). No I/O, no clock.
 */
#include "config.h"

#include "src/redis_coord.h"

#include <string.h>

#define CONF_TYPE 'C'
#define REPORT_TYPE 'R'
#define MSG_VERSION 1
#define CONF_HEAD 75 /* type .. n */
#define CONF_MEMBER 9
#define REPORT_HEAD 100 /* type .. errlen */
#define REPORT_WIDE 8	/* the 64-bit counters */

uint32_t
coord_weight(enum conf_store_strategy s, uint16_t cpus, uint32_t mem_mib)
{
	switch (s) {
	case CONF_STORE_CPU:
		return cpus != 0 ? cpus : 1;
	case CONF_STORE_MEMORY:
		return mem_mib != 0 ? mem_mib : 1;
	case CONF_STORE_UNIFORM:
	default:
		return 1;
	}
}

/* ---- the slot moves' gate ---- */

bool
coord_replica_coming(const struct rnodes_view *v, const struct rplan_out *out,
    uint32_t addr, uint16_t port)
{
	int m = -1;
	size_t i;

	for (i = 0; i < v->n && m < 0; i++)
		if (v->node[i].addr == addr && v->node[i].port == port)
			m = (int)i;
	for (i = 0; m >= 0 && i < v->n; i++)
		if (v->node[i].master == m &&
		    !(v->node[i].flags & (RNODE_FAIL | RNODE_PFAIL)))
			return true;
	/* Replicas still being placed may end with one for it (a join:
	 * the new member's other instance replicates some master first,
	 * whose spare replica goes to the new one a step later). */
	for (i = 0; i < out->nact; i++)
		if (out->act[i].op == RPLAN_REPLICATE)
			return true;
	return false;
}

/* ---- the tracker ---- */

static struct coord_tracked *
track_find(struct coord_track *t, uint32_t addr)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		if (t->e[i].m.addr == addr)
			return &t->e[i];
	return NULL;
}

static const struct coord_seen *
seen_find(const struct coord_seen *seen, size_t n, uint32_t addr)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (seen[i].addr == addr)
			return &seen[i];
	return NULL;
}

size_t
coord_track_update(struct coord_track *t, const struct coord_seen *seen,
    size_t n, uint64_t now_ms, uint64_t forget_ms, uint32_t *dead,
    size_t max_dead)
{
	struct coord_tracked *e;
	const struct coord_seen *s;
	size_t i, k, ndead = 0;

	/* Deaths and the forgotten first: they free room for newcomers. */
	for (i = 0, k = 0; i < t->n; i++) {
		e = &t->e[i];
		s = seen_find(seen, n, e->m.addr);
		if (e->m.alive && (s == NULL || s->stopped)) {
			e->m.alive = false;
			e->dead_ms = now_ms;
			if (ndead < max_dead)
				dead[ndead] = e->m.addr;
			ndead++;
		}
		if (!e->m.alive && (s == NULL || s->stopped) &&
		    now_ms - e->dead_ms >= forget_ms)
			continue; /* gone for good */
		t->e[k++] = *e;
	}
	t->n = k;
	for (i = 0; i < n; i++) {
		s = &seen[i];
		if (s->addr == 0 || s->stopped)
			continue;
		if ((e = track_find(t, s->addr)) == NULL) {
			if (t->n == COORD_MEMBERS_MAX)
				continue;
			e = &t->e[t->n++];
			e->m.addr = s->addr;
		}
		e->m.alive = true;
		e->m.weight = s->weight;
		e->dead_ms = 0;
	}
	return ndead < max_dead ? ndead : max_dead;
}

/* ---- the codec ---- */

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void
put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

static void
put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)(v >> 32));
	put32(p + 4, (uint32_t)v);
}

static uint16_t
get16(const uint8_t *p)
{
	return (uint16_t)((unsigned)p[0] << 8 | p[1]);
}

static uint32_t
get32(const uint8_t *p)
{
	return (uint32_t)get16(p) << 16 | get16(p + 2);
}

static uint64_t
get64(const uint8_t *p)
{
	return (uint64_t)get32(p) << 32 | get32(p + 4);
}

static bool
is_hex_password(const char *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (!((p[i] >= '0' && p[i] <= '9') ||
			(p[i] >= 'a' && p[i] <= 'f')))
			return false;
	return true;
}

static bool
conf_valid(const struct coord_conf *c)
{
	size_t i, j;

	if (c->port == 0 || c->replicas > RPLAN_REPLICAS_MAX ||
	    c->n > COORD_MEMBERS_MAX ||
	    strnlen(c->password, sizeof(c->password)) != COORD_PASSWORD_LEN ||
	    !is_hex_password(c->password, COORD_PASSWORD_LEN))
		return false;
	for (i = 0; i < c->n; i++) {
		if (c->m[i].addr == 0)
			return false;
		for (j = 0; j < i; j++)
			if (c->m[j].addr == c->m[i].addr)
				return false;
	}
	return true;
}

int
coord_conf_encode(const struct coord_conf *c, uint8_t *buf, size_t len)
{
	size_t i, need = CONF_HEAD + CONF_MEMBER * c->n;
	uint8_t *p;

	if (c->n > COORD_MEMBERS_MAX || len < need || !conf_valid(c))
		return -1;
	buf[0] = CONF_TYPE;
	buf[1] = MSG_VERSION;
	buf[2] = c->holding ? 1 : 0;
	buf[3] = c->replicas;
	put16(buf + 4, c->port);
	put32(buf + 6, c->self);
	memcpy(buf + 10, c->password, COORD_PASSWORD_LEN);
	buf[74] = (uint8_t)c->n;
	for (i = 0, p = buf + CONF_HEAD; i < c->n; i++, p += CONF_MEMBER) {
		put32(p, c->m[i].addr);
		put32(p + 4, c->m[i].weight);
		p[8] = c->m[i].alive ? 1 : 0;
	}
	return (int)need;
}

int
coord_conf_decode(const uint8_t *buf, size_t len, struct coord_conf *c)
{
	const uint8_t *p;
	size_t i;

	memset(c, 0, sizeof(*c));
	if (len < CONF_HEAD || buf[0] != CONF_TYPE || buf[1] != MSG_VERSION ||
	    (buf[2] & ~1u) != 0 || buf[74] > COORD_MEMBERS_MAX ||
	    len != CONF_HEAD + (size_t)CONF_MEMBER * buf[74])
		return -1;
	c->holding = buf[2] != 0;
	c->replicas = buf[3];
	c->port = get16(buf + 4);
	c->self = get32(buf + 6);
	memcpy(c->password, buf + 10, COORD_PASSWORD_LEN);
	c->n = buf[74];
	for (i = 0, p = buf + CONF_HEAD; i < c->n; i++, p += CONF_MEMBER) {
		if (p[8] > 1)
			return -1;
		c->m[i].addr = get32(p);
		c->m[i].weight = get32(p + 4);
		c->m[i].alive = p[8] != 0;
	}
	return conf_valid(c) ? 0 : -1;
}

static bool
text_clean(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return false;
	return true;
}

int
coord_report_encode(const struct coord_report *r, uint8_t *buf, size_t len)
{
	size_t elen = strnlen(r->last_error, sizeof(r->last_error));
	const uint32_t u[8] = {r->alive, r->slots_live, r->slots_stuck,
	    r->slots_free, r->slots_off, r->masters_short, r->want_replicas,
	    r->open_migs};
	const uint64_t w[REPORT_WIDE] = {r->steps, r->actions, r->failures,
	    r->moves, r->takeovers, r->introduced, r->forgotten, r->declined};
	size_t i;

	if (elen == sizeof(r->last_error) || len < REPORT_HEAD + elen ||
	    !text_clean(r->last_error, elen))
		return -1;
	buf[0] = REPORT_TYPE;
	buf[1] = MSG_VERSION;
	buf[2] = (uint8_t)((r->coordinating ? 1 : 0) | (r->converged ? 2 : 0) |
			   (r->unreplicated ? 4 : 0));
	for (i = 0; i < 8; i++)
		put32(buf + 3 + 4 * i, u[i]);
	for (i = 0; i < REPORT_WIDE; i++)
		put64(buf + 35 + 8 * i, w[i]);
	buf[REPORT_HEAD - 1] = (uint8_t)elen;
	memcpy(buf + REPORT_HEAD, r->last_error, elen);
	return (int)(REPORT_HEAD + elen);
}

int
coord_report_decode(const uint8_t *buf, size_t len, struct coord_report *r)
{
	uint32_t *u[8];
	uint64_t *w[REPORT_WIDE];
	size_t i, elen;

	memset(r, 0, sizeof(*r));
	if (len < REPORT_HEAD || buf[0] != REPORT_TYPE ||
	    buf[1] != MSG_VERSION || (buf[2] & ~7u) != 0)
		return -1;
	elen = buf[REPORT_HEAD - 1];
	if (elen >= sizeof(r->last_error) || len != REPORT_HEAD + elen ||
	    !text_clean((const char *)buf + REPORT_HEAD, elen))
		return -1;
	r->coordinating = (buf[2] & 1) != 0;
	r->converged = (buf[2] & 2) != 0;
	r->unreplicated = (buf[2] & 4) != 0;
	u[0] = &r->alive;
	u[1] = &r->slots_live;
	u[2] = &r->slots_stuck;
	u[3] = &r->slots_free;
	u[4] = &r->slots_off;
	u[5] = &r->masters_short;
	u[6] = &r->want_replicas;
	u[7] = &r->open_migs;
	w[0] = &r->steps;
	w[1] = &r->actions;
	w[2] = &r->failures;
	w[3] = &r->moves;
	w[4] = &r->takeovers;
	w[5] = &r->introduced;
	w[6] = &r->forgotten;
	w[7] = &r->declined;
	for (i = 0; i < 8; i++)
		*u[i] = get32(buf + 3 + 4 * i);
	for (i = 0; i < REPORT_WIDE; i++)
		*w[i] = get64(buf + 35 + 8 * i);
	memcpy(r->last_error, buf + REPORT_HEAD, elen);
	r->last_error[elen] = '\0';
	return 0;
}
