/*
 * libqure/slots.c — key slots and the cluster's slot map (slots.h).
 */
#include "config.h"

#include "libqure/slots.h"

#include <hiredis/hiredis.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* CRC16-CCITT, polynomial 0x1021, initial value 0 (XMODEM), bit by bit:
 * keys are short, and a table would be 512 bytes for nothing. */
static uint16_t
crc16(const char *buf, size_t len)
{
	uint16_t crc = 0;
	size_t i;
	int b;

	for (i = 0; i < len; i++) {
		crc ^= (uint16_t)((uint8_t)buf[i] << 8);
		for (b = 0; b < 8; b++)
			crc = (crc & 0x8000) ? (uint16_t)(crc << 1 ^ 0x1021)
					     : (uint16_t)(crc << 1);
	}
	return crc;
}

uint16_t
slots_of_key(const char *key, size_t len)
{
	const char *open = memchr(key, '{', len);
	const char *close;

	if (open != NULL) {
		size_t rest = len - (size_t)(open - key) - 1;

		close = memchr(open + 1, '}', rest);
		if (close != NULL && close > open + 1)
			return crc16(open + 1, (size_t)(close - open - 1)) %
			       SLOTS_COUNT;
	}
	return crc16(key, len) % SLOTS_COUNT;
}

/* "CLUSTER SLOTS: range N <what>" into err; m left empty; -1. */
static int
fail(struct slots_map *m, char *err, size_t errlen, size_t range,
    const char *what)
{
	m->n_nodes = 0;
	m->n_ranges = 0;
	snprintf(err, errlen, "CLUSTER SLOTS: range %zu %s", range, what);
	return -1;
}

/* The index of host:port in m->nodes, added if new; -1 when full. */
static int
node_index(struct slots_map *m, const char *host, uint16_t port)
{
	size_t i;

	for (i = 0; i < m->n_nodes; i++)
		if (m->nodes[i].port == port &&
		    strcmp(m->nodes[i].host, host) == 0)
			return (int)i;
	if (m->n_nodes == SLOTS_MAX_NODES)
		return -1;
	snprintf(
	    m->nodes[m->n_nodes].host, sizeof(m->nodes[0].host), "%s", host);
	m->nodes[m->n_nodes].port = port;
	return (int)m->n_nodes++;
}

/* One [host, port, id, ...] of a range: its index, or -1. */
static int
read_node(struct slots_map *m, const redisReply *n, const char *seed_host)
{
	const char *host;

	if (n->type != REDIS_REPLY_ARRAY || n->elements < 2 ||
	    n->element[0]->type != REDIS_REPLY_STRING ||
	    n->element[1]->type != REDIS_REPLY_INTEGER ||
	    n->element[1]->integer <= 0 || n->element[1]->integer > 65535 ||
	    n->element[0]->len > SLOTS_HOST_MAX ||
	    memchr(n->element[0]->str, '\0', n->element[0]->len) != NULL)
		return -1;
	host = n->element[0]->len > 0 ? n->element[0]->str : seed_host;
	return node_index(m, host, (uint16_t)n->element[1]->integer);
}

static bool
is_slot(const redisReply *r)
{
	return r->type == REDIS_REPLY_INTEGER && r->integer >= 0 &&
	       r->integer < SLOTS_COUNT;
}

static int
read_range(struct slots_map *m, const redisReply *r, const char *seed_host,
    struct slots_range *out)
{
	size_t k;
	int idx;

	if (r->type != REDIS_REPLY_ARRAY || r->elements < 3 ||
	    !is_slot(r->element[0]) || !is_slot(r->element[1]) ||
	    r->element[0]->integer > r->element[1]->integer)
		return -1;
	out->first = (uint16_t)r->element[0]->integer;
	out->last = (uint16_t)r->element[1]->integer;
	out->n_copies = 0;
	for (k = 2; k < r->elements && out->n_copies < SLOTS_MAX_COPIES; k++) {
		if ((idx = read_node(m, r->element[k], seed_host)) < 0)
			return -1;
		out->node[out->n_copies++] = (uint16_t)idx;
	}
	return 0;
}

static int
by_first(const void *a, const void *b)
{
	const struct slots_range *x = a, *y = b;

	return (int)x->first - (int)y->first;
}

int
slots_map_read(struct slots_map *m, const redisReply *r, const char *seed_host,
    char *err, size_t errlen)
{
	size_t i;

	m->n_nodes = 0;
	m->n_ranges = 0;
	if (r == NULL || r->type != REDIS_REPLY_ARRAY ||
	    r->elements > SLOTS_COUNT) {
		snprintf(err, errlen,
		    "CLUSTER SLOTS: not an array of at most %d ranges",
		    SLOTS_COUNT);
		return -1;
	}
	for (i = 0; i < r->elements; i++)
		if (read_range(m, r->element[i], seed_host, &m->ranges[i]) < 0)
			return fail(m, err, errlen, i + 1,
			    "is not [first, last, [host, port, ...], ...]");
	m->n_ranges = r->elements;
	qsort(m->ranges, m->n_ranges, sizeof(m->ranges[0]), by_first);
	for (i = 1; i < m->n_ranges; i++)
		if (m->ranges[i].first <= m->ranges[i - 1].last) {
			return fail(m, err, errlen, i + 1,
			    "(by first slot) overlaps the one before");
		}
	return 0;
}

const struct slots_range *
slots_map_find(const struct slots_map *m, uint16_t slot)
{
	size_t lo = 0, hi = m->n_ranges;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (slot < m->ranges[mid].first)
			hi = mid;
		else if (slot > m->ranges[mid].last)
			lo = mid + 1;
		else
			return &m->ranges[mid];
	}
	return NULL;
}
