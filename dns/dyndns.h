/*
 * dns/dyndns.h — the site's public address and its RFC 2136 update
 * (issue 10 items 1 and 2): the edge on the daemon's libevent loop.
 *
 * Every instance makes one; only the holder publishes
 * (dyndns_set_holder). Nothing here blocks the loop: the HTTP check goes
 * through libevent's evhttp client, UPnP/NAT-PMP through the router seam
 * below (the caller asks its router, which answers later), the update
 * over a non-blocking UDP socket (TCP after a truncated answer), every
 * step with a timeout. The pure half is dns/dd_core.h.
 */
#ifndef QURE_DNS_DYNDNS_H
#define QURE_DNS_DYNDNS_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct event_base;

enum dyndns_source {
	DYNDNS_SRC_AUTO = 0, /* UPnP, then NAT-PMP, then check_url if set */
	DYNDNS_SRC_UPNP,
	DYNDNS_SRC_NATPMP,
	DYNDNS_SRC_HTTP,
	DYNDNS_SRC_STATIC,
};

#define DYNDNS_NAME_MAX 254
#define DYNDNS_URL_MAX 256
#define DYNDNS_PATH_MAX 256

struct dyndns_conf {
	char name[DYNDNS_NAME_MAX];	   /* [cloud] name */
	int server_family;		   /* AF_INET6: server6; else server */
	char server_name[DYNDNS_NAME_MAX]; /* not "": resolve this instead */
	struct in_addr server;		   /* [cloud] server */
	struct in6_addr server6;
	uint16_t port;
	char tsig_name[DYNDNS_NAME_MAX]; /* [cloud] tsig-name */
	char tsig_secret_file[DYNDNS_PATH_MAX];
	enum dyndns_source source; /* [cloud] public-address */
	struct in_addr static_addr;
	char url[DYNDNS_URL_MAX];	/* DYNDNS_SRC_HTTP */
	char check_url[DYNDNS_URL_MAX]; /* auto's last resort; "": none */
	bool allow_private;
	uint32_t refresh_ms;
	uint32_t ttl; /* seconds */
};

struct dyndns_status {
	char public_address[96]; /* "": none known yet */
	char source[16];	 /* upnp, natpmp, http, static; "": none */
	char last_update[32];	 /* ISO 8601 UTC; "": never */
	char status[32]; /* standby, checking, updating, ok, error, unpublished
			  */
	char last_error[192]; /* "": none */
	bool reachable_known; /* false until an address is known */
	bool reachable;
	char reason[192]; /* why not reachable; "" */
	uint64_t updates; /* accepted by the server, since dyndns_new() */
	uint64_t errors;  /* cycles that failed, since dyndns_new() */
};

struct dyndns;

/*
 * Reads the TSIG secret (a file that group or others can read is
 * refused, the fix in err) and checks the names. NULL with err on
 * failure; the caller refuses to start.
 */
struct dyndns *dyndns_new(struct event_base *base,
    const struct dyndns_conf *conf, char *err, size_t errlen);
void dyndns_free(struct dyndns *d);

/* On becoming holder the address is looked up and published at once;
 * on leaving it everything in flight stops. */
void dyndns_set_holder(struct dyndns *d, bool holder);

void dyndns_get_status(const struct dyndns *d, struct dyndns_status *out);

/*
 * The public address known here (the holder learns it; a static one is
 * known everywhere from the start): 0 with *out, -1 if none (the DNS
 * responder answers [cloud] name with it).
 */
int dyndns_public_v4(const struct dyndns *d, struct in_addr *out);
/* The same for an IPv6 public address (the check URL's answer). */
int dyndns_public_v6(const struct dyndns *d, struct in6_addr *out);

/*
 * The router seam (UPnP IGD GetExternalIPAddress, then NAT-PMP): ask(arg)
 * starts a query and returns at once; its answer comes back later, from
 * the loop, through dyndns_router_answer() on the caller's current dyndns
 * (so a dyndns replaced by a reload meanwhile is never touched: pass
 * something that outlives it as arg). An answer nobody waits for is
 * ignored. Without a router set, upnp and natpmp fail with "no router
 * client", and auto goes on to the check URL.
 */
typedef void dyndns_router_ask(void *arg);

struct dyndns_router_answer {
	bool ok;
	struct in_addr addr; /* ok */
	const char *source;  /* ok: "upnp" or "natpmp" */
	const char *error;   /* !ok: why, in words */
	/* !ok: the router has no public address at all (carrier-grade or
	 * double NAT): why, in words; NULL when not known */
	const char *unreachable;
};

void dyndns_set_router(struct dyndns *d, dyndns_router_ask *ask, void *arg);
void dyndns_router_answer(
    struct dyndns *d, const struct dyndns_router_answer *a);

#endif
