/*
 * discovery/disc6.h — the cluster protocol over IPv6 (doc/protocol.md
 * "Transport"): the IPv6 UDP transport (disc_udp6.c), the twin of the
 * IPv4 one in discovery.h, and the pure duplicate filter (disc_dedup.c)
 * for a dual-stack LAN, where every group datagram comes twice.
 */
#ifndef QURE_DISC6_H
#define QURE_DISC6_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "discovery/discovery.h"

#define DISC_GROUP6 "ff02::5152"

/* Called for each datagram dropped for why; src is borrowed. */
typedef void disc_drop6_cb(
    void *arg, enum disc_drop why, const struct sockaddr_in6 *src);

struct disc_udp6_conf {
	struct in6_addr group; /* disc_udp6_conf_defaults(): ff02::5152 */
	uint16_t port;	       /* host order; 0: an ephemeral port (tests) */
	/* The cluster interface, as in struct disc_udp_conf; also the
	 * scope of link-local peers. 0: unicast only. */
	unsigned int ifindex;
	unsigned int flags; /* DISC_UDP_MCAST_LOOP, DISC_UDP_SYSTEMD */
	disc_drop6_cb *on_drop;
};

/*
 * Called for every datagram read; as disc_rx_cb. A link-local src has
 * its sin6_scope_id set (the arrival interface).
 */
typedef void disc_rx6_cb(
    void *arg, const uint8_t *buf, size_t len, const struct sockaddr_in6 *src);

struct disc_udp6;

void disc_udp6_conf_defaults(struct disc_udp6_conf *conf);
/*
 * Opens [::]:port (IPV6_V6ONLY), joins the group on conf->ifindex (MLD),
 * hop limit 255 out, and drops in what arrived with less (RFC 5082).
 * NULL with one line in err on failure.
 */
struct disc_udp6 *disc_udp6_new(struct event_base *,
    const struct disc_udp6_conf *conf, disc_rx6_cb *cb, void *arg, char *err,
    size_t errlen);
int disc_udp6_set_ifindex(
    struct disc_udp6 *, unsigned int ifindex, char *err, size_t errlen);
void disc_udp6_free(struct disc_udp6 *);
/*
 * As disc_udp_send(). dest NULL: the group on the cluster interface; a
 * link-local dest without a scope id is sent on the cluster interface.
 * A group send that fails while the link is not ready (its link-local
 * address still tentative: EADDRNOTAVAIL) is queued (the last eight) and
 * sent again, in order, every 200 ms up to ten times, or before the next
 * group send; the call still returns -1.
 */
int disc_udp6_send(struct disc_udp6 *, const struct sockaddr_in6 *dest,
    const void *buf, size_t len);
int disc_udp6_get_fd(const struct disc_udp6 *);
bool disc_udp6_drain(struct disc_udp6 *); /* as disc_udp_drain() */
uint64_t disc_udp6_rx_age_ms(const struct disc_udp6 *); /* as disc_udp_... */
void disc_udp6_set_priority(struct disc_udp6 *, int prio);
uint16_t disc_udp6_get_port(const struct disc_udp6 *);
void disc_udp6_get_stats(const struct disc_udp6 *, struct disc_udp_stats *);
/* Group sends retried after a failure (see disc_udp6_send()). */
uint64_t disc_udp6_get_retries(const struct disc_udp6 *);

/*
 * ---- The dual-stack duplicate filter (pure)
 *
 * A sender on a dual-stack LAN sends each group datagram on IPv4 and on
 * IPv6; receivers hear it twice. The second copy would be a replay to the
 * election core (counted and logged as one). disc_dedup_seen() remembers
 * the last DISC_DEDUP_SLOTS datagrams (a 64-bit hash of their bytes and
 * the family they came on) and says whether the same bytes came on the
 * other family within DISC_DEDUP_MS: that copy is dropped quietly. A copy
 * on the same family is left to the core (a replay is a replay).
 */
#define DISC_DEDUP_SLOTS 64
#define DISC_DEDUP_MS 2000

struct disc_dedup {
	struct {
		uint64_t hash;
		uint64_t ms;
		uint8_t family; /* 4 or 6; 0: free */
	} slot[DISC_DEDUP_SLOTS];
	unsigned next;
};

void disc_dedup_init(struct disc_dedup *);
/* true: a copy of a datagram seen on the other family (drop it). */
bool disc_dedup_seen(struct disc_dedup *, uint8_t family, const uint8_t *buf,
    size_t len, uint64_t now_ms);

#endif
