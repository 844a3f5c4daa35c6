/*
 * election/elect_reqs.c — the outstanding-request table of the fast
 * failure detector. A flow is the client side of a request (address,
 * port, protocol) as the watcher keys it.
 */
#include "config.h"

#include <string.h>

#include "election/elect_int.h"

void
elect_reqs_clear(struct elect_reqs *t)
{
	t->n = 0;
}

static struct elect_req *
find(struct elect_reqs *t, uint64_t flow)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		if (t->r[i].flow == flow)
			return &t->r[i];
	return NULL;
}

void
elect_reqs_request(struct elect_reqs *t, uint64_t flow, uint64_t now_ms)
{
	/* A retransmitted SYN keeps the age of the first one. */
	if (find(t, flow) != NULL || t->n == ELECT_MAX_REQS)
		return;
	t->r[t->n].flow = flow;
	t->r[t->n].seen_ms = now_ms;
	t->n++;
}

void
elect_reqs_answer(struct elect_reqs *t, uint64_t flow)
{
	struct elect_req *r = find(t, flow);

	if (r == NULL)
		return; /* an answer without a request: nothing to learn */
	*r = t->r[--t->n];
}

uint64_t
elect_reqs_oldest(const struct elect_reqs *t)
{
	uint64_t oldest = 0;
	size_t i;

	for (i = 0; i < t->n; i++)
		if (oldest == 0 || t->r[i].seen_ms < oldest)
			oldest = t->r[i].seen_ms;
	return oldest;
}
