/*
 * tests/fuzz/fuzz_qure_slots.c — libFuzzer target of libqure's slot map
 * (libqure/slots.c): a node's CLUSTER SLOTS reply, as RESP bytes through
 * hiredis's own reader, then slots_map_read(). A map read must have its
 * ranges in order without overlap, every node index in range, and
 * slots_map_find() must agree with the ranges; any key's slot is below
 * 16384.
 */
#include "config.h"

#include <hiredis/hiredis.h>
#include <stdint.h>
#include <stdlib.h>

#include "libqure/slots.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct slots_map map;

static void
check_map(const struct slots_map *m)
{
	size_t i, k;

	for (i = 0; i < m->n_ranges; i++) {
		const struct slots_range *r = &m->ranges[i];

		if (r->first > r->last || r->last >= SLOTS_COUNT ||
		    (i > 0 && r->first <= m->ranges[i - 1].last) ||
		    r->n_copies > SLOTS_MAX_COPIES ||
		    slots_map_find(m, r->first) != r ||
		    slots_map_find(m, r->last) != r)
			abort();
		for (k = 0; k < r->n_copies; k++)
			if (r->node[k] >= m->n_nodes)
				abort();
	}
}

/*
 * Whether an aggregate ("*N") asks for more elements than the input
 * could hold: hiredis 0.14's reader allocates N pointers before reading
 * them (it has no maxelements yet), so "*666666664" is an out-of-memory
 * in hiredis, not in slots.c. Such inputs are skipped; libqure(3) says
 * that a fake server can make the client allocate.
 */
static int
asks_too_much(const uint8_t *data, size_t size)
{
	size_t i;

	for (i = 0; i + 1 < size; i++) {
		unsigned long long n = 0;
		size_t k = i + 1;

		if (data[i] != '*' && data[i] != '%' && data[i] != '~')
			continue;
		while (
		    k < size && data[k] >= '0' && data[k] <= '9' && n <= size)
			n = n * 10 + (data[k++] - '0');
		if (n > size)
			return 1;
	}
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	redisReader *rd = redisReaderCreate();
	void *reply = NULL;
	char err[256];

	if (rd == NULL)
		abort();
	if (asks_too_much(data, size)) {
		redisReaderFree(rd);
		return 0;
	}
	if (slots_of_key((const char *)data, size) >= SLOTS_COUNT)
		abort();
	if (redisReaderFeed(rd, (const char *)data, size) == REDIS_OK &&
	    redisReaderGetReply(rd, &reply) == REDIS_OK && reply != NULL) {
		if (slots_map_read(&map, reply, "seed", err, sizeof(err)) == 0)
			check_map(&map);
		else if (map.n_ranges != 0 || map.n_nodes != 0 ||
			 err[0] == '\0')
			abort();
		freeReplyObject(reply);
	}
	redisReaderFree(rd);
	return 0;
}
