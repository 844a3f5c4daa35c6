/*
 * dns/router_stub.c — router.h without a router client: every query
 * answers "not available" on the next loop turn (never from inside the
 * call, as the real clients will not either).
 */
#include "config.h"

#include "dns/router.h"

#include <event2/event.h>
#include <stdlib.h>

struct router_query {
	struct event *ev;
	enum router_proto proto;
	router_addr_cb *cb;
	void *arg;
};

static void
answer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct router_query *q = arg;

	(void)fd;
	(void)what;
	q->cb(-1, NULL,
	    q->proto == ROUTER_UPNP ? "UPnP IGD is not available in this build"
				    : "NAT-PMP is not available in this build",
	    q->arg);
	event_free(q->ev);
	free(q);
}

struct router_query *
router_external_addr(struct event_base *base, enum router_proto proto,
    router_addr_cb *cb, void *arg)
{
	struct router_query *q = calloc(1, sizeof(*q));
	struct timeval now = {0, 0};

	if (q == NULL)
		return NULL;
	q->proto = proto;
	q->cb = cb;
	q->arg = arg;
	if ((q->ev = evtimer_new(base, answer_cb, q)) == NULL) {
		free(q);
		return NULL;
	}
	evtimer_add(q->ev, &now);
	return q;
}

void
router_query_cancel(struct router_query *q)
{
	if (q == NULL)
		return;
	event_free(q->ev);
	free(q);
}
