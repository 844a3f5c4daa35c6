/*
 * dns/router.h — the home router, asked without blocking qured's loop:
 * its external ("public") address by UPnP IGD GetExternalIPAddress, then
 * NAT-PMP; and the holder's port mappings of [dmz] ports to the DMZ
 * address (lease ROUTER_LEASE_S, renewed at half-life).
 *
 * libminiupnpc and libnatpmp block (SSDP waits, HTTP/SOAP round trips,
 * NAT-PMP retries), so they run in a helper process, a fork of qured
 * driven from the loop as discovery/disc_avahi_helper.c does. One request
 * is in flight at a time; a helper silent past ROUTER_DEADLINE_MS is
 * killed ("the router does not answer") and started again for the next
 * request. What the router says is checked here, in qured, by
 * dns/router_core.h: a non-address as the external address, a mapping
 * entry for a non-LAN address are rejected and logged.
 */
#ifndef QURE_DNS_ROUTER_H
#define QURE_DNS_ROUTER_H

#include <net/if.h>
#include <netinet/in.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dns/router_core.h"

#define ROUTER_DEADLINE_MS 20000 /* one request, helper side, at most */
#define ROUTER_MAX_PORTS 16

struct event_base;
struct router;

struct router_conf {
	struct in_addr lan; /* our own LAN address (SSDP goes out there) */
	unsigned prefix;    /* of the LAN: mapping entries must lie inside */
	char ifname[IF_NAMESIZE]; /* the LAN interface; "": any */
};

struct router_port {
	uint8_t proto; /* IPPROTO_TCP or IPPROTO_UDP */
	uint16_t port; /* host byte order */
};

/* The answer to router_get_public. */
struct router_public {
	bool ok;
	struct in_addr addr;	   /* ok: checked (router_parse_external) */
	enum router_method source; /* ok: who told */
	/* ok: router_unreachable_reason, or NULL; !ok: why the router has
	 * no public address to give (carrier-grade or double NAT), or NULL
	 * when that is not known */
	const char *unreachable;
	char error[160]; /* !ok: why, in words */
};

typedef void router_public_cb(void *arg, const struct router_public *res);

struct router_status {
	const char *igd; /* "searching", "upnp", "natpmp", "none" */
	char external[INET_ADDRSTRLEN]; /* "": not known */
	bool reachable;			/* external known and not private */
	const char *reason;		/* !reachable: why; NULL if unknown */
	unsigned mapped;		/* ports the router accepted */
	unsigned refused;		/* ports it refused (last answer) */
	char last_error[160];		/* "": none */
};

struct router *router_new(
    struct event_base *base, const struct router_conf *conf);
void router_free(struct router *r);

/*
 * Asks for the external address: UPnP first, then NAT-PMP. cb runs once,
 * later, from the loop (never inside this call). A call while one is
 * pending replaces the callback (the old one is not called); cb NULL
 * (just refresh the status) keeps a pending caller's callback.
 */
void router_get_public(struct router *r, router_public_cb *cb, void *arg);

/*
 * The holder's mappings: each port to dmz (external port = internal
 * port), asked now and renewed at half-life; a refusal is logged once
 * per cause and asked again with a backoff. router_unmap stops renewing
 * and leaves the mappings in place (the next holder renews them: they
 * point at the DMZ address, not at us).
 */
void router_map(struct router *r, struct in_addr dmz,
    const struct router_port *ports, size_t n);
void router_unmap(struct router *r);

void router_get_status(const struct router *r, struct router_status *out);

/*
 * [dmz] address = auto, (a): does the router's UPnP mapping table
 * (GetGenericPortMappingEntry, the first ROUTER_SCAN_MAX rows) already
 * forward one of ports to a LAN address? cb runs once, later, from the
 * loop, with the first such row that passes router_entry_check (rows for
 * a non-LAN address are rejected, counted and logged once). UPnP only:
 * NAT-PMP lists nothing. A call while one is pending replaces it.
 */
#define ROUTER_SCAN_MAX 128 /* rows read */
#define ROUTER_SCAN_ROWS 8  /* rows of ours sent back */

struct router_found {
	bool ok;		 /* a LAN address forwards one of the ports */
	struct in_addr addr;	 /* ok: that address */
	struct router_port port; /* ok: the port that matched */
	unsigned rejected;	 /* rows of our ports for a non-LAN address */
	char error[160];	 /* !ok: no IGD, no such row, ... */
};

typedef void router_found_cb(void *arg, const struct router_found *res);

void router_find_dmz(struct router *r, const struct router_port *ports,
    size_t n, router_found_cb *cb, void *arg);

#endif
