/*
 * dns/dns_resp.h — the authoritative DNS responder (issue 10 item 3): a
 * pure core (query bytes + a snapshot of the site's view -> answer bytes,
 * every message parsed and built with ldns), the response rate limiter
 * (per client /24, /56 for IPv6), and the libevent edge that answers on
 * UDP and TCP (doc/style.md §1: the core has no clock, sockets, logging).
 */
#ifndef QURE_DNS_RESP_H
#define QURE_DNS_RESP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DNS_NAME_MAX 253    /* a DNS name in text, no final dot */
#define DNS_LABEL_MAX 63    /* a member's name: one label */
#define DNS_VIEW_MEMBERS 65 /* ELECT_MAX_MEMBERS and ourselves */
#define DNS_VIEW_ADDRS 4    /* a member's LAN addresses */
#define DNS_EDNS_SIZE 1232  /* what we advertise, and our UDP cap */
#define DNS_UDP_PLAIN 512   /* a UDP answer without EDNS */
#define DNS_MSG_MAX 65535   /* over TCP */

struct dns_addr {
	uint8_t family; /* 4 or 6 */
	uint8_t b[16];
};

struct dns_view_member {
	char name[DNS_LABEL_MAX + 1];
	struct dns_addr addrs[DNS_VIEW_ADDRS];
	size_t n_addrs;
};

/*
 * The site as the daemon sees it at the moment of the query: a failover
 * shows in the next answer because the edge takes a new snapshot for
 * each one.
 */
struct dns_view {
	char zone[DNS_NAME_MAX + 1];	   /* [dns] zone, no final dot */
	char cloud_name[DNS_NAME_MAX + 1]; /* [cloud] name; "": none */
	struct dns_addr pub[2];		   /* the public address(es) */
	size_t n_pub;
	char holder[DNS_LABEL_MAX + 1]; /* the holder's name; "": none */
	uint32_t serial;		/* SOA serial */
	uint32_t ttl;			/* of every record, and SOA minimum */
	uint16_t srv_port;		/* the cluster port, for the SRV */
	struct dns_view_member members[DNS_VIEW_MEMBERS]; /* live, and us */
	size_t n_members;
};

/* How the answer was judged, for the counters and the tests. */
struct dns_resp_info {
	int rcode;	/* -1: no answer (dropped) */
	bool in_zone;	/* the question is inside the zone */
	bool truncated; /* TC set */
	bool edns;	/* the answer has an OPT record */
};

enum dns_resp_flags {
	DNS_RESP_TCP = 1u << 0,	 /* no size limit but DNS_MSG_MAX */
	DNS_RESP_SLIP = 1u << 1, /* rate-limited: a TC answer, no records */
};

/*
 * Answers query (qlen bytes) from view into out (outcap bytes, at least
 * DNS_MSG_MAX for TCP). Returns the answer's length, or 0 when the query
 * gets nothing (too short to answer, a response, or an answer that would
 * not fit outcap). Never reads past qlen. info may be NULL.
 */
size_t dns_resp_answer(const struct dns_view *view, const uint8_t *query,
    size_t qlen, unsigned flags, uint8_t *out, size_t outcap,
    struct dns_resp_info *info);

/* ---- response rate limiting (RRL), per client prefix ---- */

#define DNS_RRL_SLOTS 1024
#define DNS_RRL_SLIP 2 /* every 2nd limited answer goes out as TC */

enum dns_rrl_verdict {
	DNS_RRL_PASS,
	DNS_RRL_DROP,
	DNS_RRL_SLIP_TC,
};

struct dns_rrl_slot {
	uint8_t key[8]; /* family, then the /24 or /56 */
	bool used;
	uint64_t last_ms;
	uint64_t credit; /* milli-answers */
	uint32_t limited;
};

struct dns_rrl {
	uint32_t rate; /* answers per second per prefix; 0: off */
	struct dns_rrl_slot slot[DNS_RRL_SLOTS];
	uint64_t dropped, slipped;
};

void dns_rrl_init(struct dns_rrl *, uint32_t rate);
enum dns_rrl_verdict dns_rrl_check(
    struct dns_rrl *, const struct dns_addr *client, uint64_t now_ms);

/* ---- the edge: UDP and TCP on one libevent loop ---- */

struct event_base;
struct dns_server;

#define DNS_LISTEN_MAX 8

struct dns_server_conf {
	/* Where to answer; none: every address, IPv4 and IPv6. A given
	 * address need not be held yet (the DMZ address): IP_FREEBIND. */
	struct dns_addr addrs[DNS_LISTEN_MAX];
	size_t n_addrs;
	uint16_t port;
	uint32_t rrl; /* answers per second per client prefix; 0: off */
};

/* Fills out with the site's current view. */
typedef void (*dns_view_fn)(void *arg, struct dns_view *out);

struct dns_stats {
	uint64_t queries_udp, queries_tcp;
	uint64_t answers, noerror, nxdomain, refused, formerr, notimp;
	uint64_t dropped; /* got nothing: garbage, responses */
	uint64_t truncated;
	uint64_t rrl_dropped, rrl_slipped;
	uint64_t tcp_rejected; /* connections over the limit */
};

/* NULL with a one-line reason in err (the port taken, ...). */
struct dns_server *dns_server_new(struct event_base *,
    const struct dns_server_conf *, dns_view_fn, void *arg, char *err,
    size_t errlen);
void dns_server_free(struct dns_server *);
void dns_server_set_rrl(struct dns_server *, uint32_t rate);
void dns_server_get_stats(const struct dns_server *, struct dns_stats *);

#endif
