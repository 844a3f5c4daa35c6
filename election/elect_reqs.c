/*
 * election/elect_reqs.c — the outstanding-request table of the fast
 * failure detector, and the request timeout it learns per watched port
 * (issue 13). A flow is the client side of a request (address, port,
 * protocol) as the watcher keys it; a request is (flow, watched port).
 *
 * What teaches the estimator (elect_rto.c) is only the time from a
 * request seen to its own answer: an answer without a request, an answer
 * to a retransmitted request (Karn's rule: which try does it answer?) or
 * to one older than the ceiling (it was PROBEd about) teaches nothing. A
 * forged or flooded answer can only pull a timeout down to its floor, and
 * a timeout only decides when to PROBE: the PROBE decides the failover.
 */
#include "config.h"

#include <string.h>

#include "election/elect_int.h"

void
elect_reqs_init(struct elect_reqs *t)
{
	memset(t, 0, sizeof(*t));
}

static size_t
port_find(const struct elect_reqs *t, uint8_t proto, uint16_t port)
{
	size_t i;

	for (i = 0; i < t->n_ports; i++)
		if (t->port[i].proto == proto && t->port[i].port == port)
			return i;
	return ELECT_REQ_NO_PORT;
}

void
elect_reqs_set_ports(
    struct elect_reqs *t, const struct elect_watch_port *ports, size_t n)
{
	struct elect_port_rto next[ELECT_MAX_WATCH_PORTS];
	uint8_t map[ELECT_MAX_WATCH_PORTS]; /* old slot -> new slot */
	size_t i, j;

	if (n > ELECT_MAX_WATCH_PORTS)
		n = ELECT_MAX_WATCH_PORTS;
	memset(map, ELECT_REQ_NO_PORT, sizeof(map));
	for (i = 0; i < n; i++) {
		next[i].proto = ports[i].proto;
		next[i].port = ports[i].port;
		elect_rto_init(&next[i].rto);
		j = port_find(t, ports[i].proto, ports[i].port);
		if (j != ELECT_REQ_NO_PORT && map[j] == ELECT_REQ_NO_PORT) {
			next[i].rto = t->port[j].rto;
			map[j] = (uint8_t)i;
		}
	}
	for (i = 0; i < t->n; i++)
		if (t->r[i].slot != ELECT_REQ_NO_PORT)
			t->r[i].slot = map[t->r[i].slot];
	memcpy(t->port, next, n * sizeof(next[0]));
	t->n_ports = n;
}

void
elect_reqs_clear(struct elect_reqs *t)
{
	t->n = 0;
}

void
elect_reqs_forgive(struct elect_reqs *t)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		t->r[i].forgiven = true;
}

static struct elect_req *
find(struct elect_reqs *t, uint64_t flow, uint8_t proto, uint16_t port)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		if (t->r[i].flow == flow && t->r[i].port == port &&
		    t->r[i].proto == proto)
			return &t->r[i];
	return NULL;
}

/* The slot a new request takes: a free one, else the oldest forgiven
 * one (it can only teach), else none: the owed ones stay. */
static struct elect_req *
slot_for_new(struct elect_reqs *t)
{
	struct elect_req *old = NULL;
	size_t i;

	if (t->n < ELECT_MAX_REQS)
		return &t->r[t->n++];
	for (i = 0; i < t->n; i++)
		if (t->r[i].forgiven &&
		    (old == NULL || t->r[i].seen_ms < old->seen_ms))
			old = &t->r[i];
	return old;
}

void
elect_reqs_request(struct elect_reqs *t, uint64_t flow, uint8_t proto,
    uint16_t port, uint64_t now_ms)
{
	struct elect_req *r = find(t, flow, proto, port);

	if (r != NULL) {
		/* A retransmitted SYN keeps the age of the first one, and
		 * its answer, whichever try it answers, is no sample. One
		 * seen again after a PROBE was answered is owed again. */
		r->again = true;
		if (r->forgiven) {
			r->forgiven = false;
			r->seen_ms = now_ms;
		}
		return;
	}
	r = slot_for_new(t);
	if (r == NULL)
		return;
	r->flow = flow;
	r->seen_ms = now_ms;
	r->port = port;
	r->proto = proto;
	r->slot = (uint8_t)port_find(t, proto, port);
	r->again = false;
	r->forgiven = false;
}

bool
elect_reqs_answer(struct elect_reqs *t, uint64_t flow, uint8_t proto,
    uint16_t port, uint64_t now_ms, uint64_t max_age_ms)
{
	struct elect_req *r = find(t, flow, proto, port);
	uint64_t age;
	bool sample;

	if (r == NULL)
		return false; /* an answer without a request: nothing to learn
			       */
	age = now_ms - r->seen_ms;
	sample = !r->again && r->slot != ELECT_REQ_NO_PORT && age < max_age_ms;
	if (sample)
		elect_rto_sample(&t->port[r->slot].rto, age);
	*r = t->r[--t->n];
	return sample;
}

uint64_t
elect_reqs_oldest(const struct elect_reqs *t)
{
	uint64_t oldest = 0;
	size_t i;

	for (i = 0; i < t->n; i++)
		if (!t->r[i].forgiven &&
		    (oldest == 0 || t->r[i].seen_ms < oldest))
			oldest = t->r[i].seen_ms;
	return oldest;
}

uint32_t
elect_reqs_timeout(
    const struct elect_reqs *t, size_t slot, const struct elect_conf *conf)
{
	uint32_t max = conf->request_timeout_ms;
	uint32_t min = conf->request_timeout_min_ms < max
			   ? conf->request_timeout_min_ms
			   : max;

	if (!conf->request_timeout_auto || slot >= t->n_ports)
		return max;
	return elect_rto_timeout(
	    &t->port[slot].rto, min, max, ELECT_RTO_MIN_SAMPLES);
}

uint64_t
elect_reqs_due(const struct elect_reqs *t, const struct elect_conf *conf)
{
	uint32_t timeout[ELECT_MAX_WATCH_PORTS];
	uint64_t due = 0, d;
	size_t i;

	for (i = 0; i < t->n_ports; i++)
		timeout[i] = elect_reqs_timeout(t, i, conf);
	for (i = 0; i < t->n; i++) {
		if (t->r[i].forgiven)
			continue;
		d = t->r[i].seen_ms + (t->r[i].slot < t->n_ports
					      ? timeout[t->r[i].slot]
					      : conf->request_timeout_ms);
		if (due == 0 || d < due)
			due = d;
	}
	return due;
}

size_t
elect_get_watch(const struct elect *c, struct elect_watch_info *out, size_t max)
{
	const struct elect_reqs *t = &c->reqs;
	size_t i;

	for (i = 0; i < t->n_ports && i < max; i++) {
		out[i].proto = t->port[i].proto;
		out[i].port = t->port[i].port;
		out[i].timeout_ms = elect_reqs_timeout(t, i, &c->conf);
		out[i].samples = t->port[i].rto.samples;
	}
	return i;
}
