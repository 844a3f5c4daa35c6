/*
 * dns/router_core.h — the pure half of the router part (doc/style.md §1):
 * what the home router answered, checked and put in words. libc only: no
 * clock, no socket, no logging. dns/router.c (the helper process and its
 * edge on qured's loop) uses it; unit tests and the fuzz target link it
 * alone.
 */
#ifndef QURE_DNS_ROUTER_CORE_H
#define QURE_DNS_ROUTER_CORE_H

#include <netinet/in.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ROUTER_LEASE_S 3600 /* a mapping's lease asked of the router */
#define ROUTER_RETRY_MIN_MS 10000
#define ROUTER_RETRY_MAX_MS 600000 /* a refused mapping, asked again */
#define ROUTER_CAUSES_MAX 16	   /* distinct refusals logged once each */

/* How the router was asked. */
enum router_method {
	ROUTER_UPNP = 1,
	ROUTER_NATPMP = 2,
};

/*
 * An address the router gave as its external one (UPnP
 * NewExternalIPAddress, or NAT-PMP's four bytes written as text): a
 * dotted quad and nothing else (at most 15 characters, no spaces, no
 * leading zeros), neither 0.0.0.0, broadcast, multicast nor class E.
 * Returns false (out untouched) for anything else.
 */
bool router_parse_external(const char *text, size_t len, struct in_addr *out);

/*
 * Why an external address cannot be reached from the internet through
 * port forwarding (RFC 1918 private, RFC 6598 shared = carrier-grade NAT,
 * loopback, link-local, RFC 6890 special): a sentence, or NULL when the
 * address may be public. Documentation ranges (RFC 5737) are not flagged:
 * the test beds use them as the "internet".
 */
const char *router_unreachable_reason(struct in_addr a);

/* A UPnP error code (UPnP IGD WANIPConnection:1/2, 402 ... 729) in
 * words; "" for an unknown code. Never NULL. */
const char *router_upnp_error_text(int code);

/* A NAT-PMP result code (RFC 6886 §3.5, 1 ... 5) in words. Never NULL. */
const char *router_natpmp_result_text(int result);

/*
 * A mapping entry the router listed (GetGenericPortMappingEntry):
 * internal client as text, internal port as text, protocol as text.
 * True when the client is a well-formed address inside lan/prefix (not
 * the network nor the broadcast address), the port 1..65535 and the
 * protocol TCP or UDP (any case); the parsed values go out.
 */
bool router_entry_check(const char *client, const char *port, const char *proto,
    struct in_addr lan, unsigned prefix, struct in_addr *client_out,
    uint16_t *port_out, uint8_t *proto_out);

/*
 * The refusals seen, so that each cause is logged once: a cause is the
 * method with its code, not the port: a router that refuses every port
 * with 501 is said once however many ports). router_cause_new
 * is true the first time a cause is seen (it is then remembered; past
 * ROUTER_CAUSES_MAX the oldest goes).
 */
struct router_causes {
	uint32_t key[ROUTER_CAUSES_MAX];
	size_t n, next;
};
bool router_cause_new(struct router_causes *c, enum router_method m, int code);

/*
 * When to ask again for a mapping: at half its granted lease after a
 * success (granted 0 = unlimited: at half ROUTER_LEASE_S), after a
 * failure ROUTER_RETRY_MIN_MS doubling with each failure in a row (fails
 * counts them, from 1) up to ROUTER_RETRY_MAX_MS. Milliseconds from now.
 */
uint64_t router_renew_after_ms(bool ok, uint32_t granted_s, unsigned fails);

/*
 * [dmz] address = auto, (b): the n-th free address from the top of the
 * LAN lan/prefix (the broadcast address's neighbour first, downwards),
 * skipping the excluded ones (the router's, the members' own) and the
 * `skip` free ones before it (those an ARP probe found taken). False when
 * the subnet has no such address (prefix > 30, all excluded).
 */
bool router_pick_free(struct in_addr lan, unsigned prefix,
    const struct in_addr *exclude, size_t n_exclude, unsigned skip,
    struct in_addr *out);

#endif
