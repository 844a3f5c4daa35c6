/*
 * dns/router.h — the seam between the public address (dns/dyndns.c) and
 * the router's own protocols, UPnP IGD GetExternalIPAddress and NAT-PMP
 * (issue 10 item 4, the router helper's part). Asynchronous: the call
 * returns at once and the callback runs later on the loop, exactly once,
 * unless the query is cancelled first. The query is freed after its
 * callback returns.
 *
 * dns/router_stub.c stands in until the real clients are merged: it
 * answers every query with "not available".
 */
#ifndef QURE_DNS_ROUTER_H
#define QURE_DNS_ROUTER_H

#include <netinet/in.h>

struct event_base;

enum router_proto {
	ROUTER_UPNP,   /* UPnP IGD: GetExternalIPAddress */
	ROUTER_NATPMP, /* NAT-PMP: opcode 0, the external address */
};

/* ok: 0 with *addr the router's external address; -1 with why (plain
 * words, "no UPnP IGD answered", ...) and addr NULL. */
typedef void router_addr_cb(
    int ok, const struct in_addr *addr, const char *why, void *arg);

struct router_query;

struct router_query *router_external_addr(struct event_base *base,
    enum router_proto proto, router_addr_cb *cb, void *arg);
void router_query_cancel(struct router_query *q);

#endif
