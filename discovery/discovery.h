/*
 * discovery/discovery.h — how qured instances reach each other.
 *
 * Now: the IPv4 UDP transport of doc/protocol.md "Transport" — one
 * non-blocking socket bound to 0.0.0.0:port on the caller's event_base,
 * joined to the multicast group on the cluster interface (IGMP report),
 * TTL 255 out and required in (RFC 5082, GTSM: nothing routed is heard),
 * no loopback of our own datagrams. Later: IPv6 (ff02::5152, MLD).
 * The transport moves bytes; it does not parse them. DNS-SD through
 * Avahi: discovery/disc_avahi.h.
 */
#ifndef QURE_DISCOVERY_H
#define QURE_DISCOVERY_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

struct event_base;

#define DISC_GROUP "239.255.81.82"
#define DISC_PORT 5182
#define DISC_DGRAM_MAX 512 /* = ELECT_WIRE_MAX: largest datagram sent */
#define DISC_RX_BURST 64   /* datagrams read per read event at most */
#define DISC_TTL 255	   /* sent, and required on receipt (RFC 5082) */

enum disc_udp_flags {
	/* Tests only: receive our own group datagrams (IP_MULTICAST_LOOP). */
	DISC_UDP_MCAST_LOOP = 1u << 0,
	/*
	 * Take the socket systemd passes (qured.socket; sd_listen_fds(3):
	 * LISTEN_PID is ours, LISTEN_FDS=1, fd 3) instead of binding: it is
	 * held across restarts, so nobody can take the port meanwhile. It
	 * must be UDP on 0.0.0.0:port. Without LISTEN_*, binds as usual.
	 */
	DISC_UDP_SYSTEMD = 1u << 1,
};

/* Why the transport dropped a datagram before handing it up. */
enum disc_drop {
	/* RFC 5082 (GTSM): received with an IP TTL below 255, so it was
	 * routed here (from the internet, through the DMZ port forward). */
	DISC_DROP_TTL = 1,
};

/* Called for each datagram dropped for why (with the rx arg); src is
 * borrowed for the call. For logs: the stats count every drop anyway. */
typedef void disc_drop_cb(
    void *arg, enum disc_drop why, const struct sockaddr_in *src);

struct disc_udp_conf {
	struct in_addr group; /* network order; disc_udp_conf_defaults() */
	uint16_t port;	      /* host order; 0: an ephemeral port (tests) */
	/*
	 * The cluster interface. Not 0: join the group on it, send group
	 * datagrams out of it, and drop datagrams that arrive on another
	 * interface. 0: unicast only (no group, any interface).
	 */
	unsigned int ifindex;
	unsigned int flags;    /* enum disc_udp_flags */
	disc_drop_cb *on_drop; /* NULL: none */
};

/* Counters of what the transport itself dropped or failed to do. */
struct disc_udp_stats {
	uint64_t rx;		 /* datagrams handed to the callback */
	uint64_t rx_oversize;	 /* of those, longer than DISC_DGRAM_MAX */
	uint64_t rx_other_if;	 /* dropped: arrived on another interface */
	uint64_t rx_dropped_ttl; /* dropped: TTL below 255 (RFC 5082) */
	uint64_t rx_errors;	 /* recvmsg() failed (not EAGAIN) */
	uint64_t tx;		 /* datagrams sent */
	uint64_t tx_errors;	 /* disc_udp_send() returned -1 */
	int last_rx_errno;	 /* errno of the last rx error, 0 if none */
};

/*
 * Called for every datagram read. buf and src are borrowed for the call.
 * len is the datagram's real length: one longer than DISC_DGRAM_MAX is
 * handed up whole (the receiver counts it malformed). The callback may call
 * disc_udp_send() and disc_udp_free() on the transport.
 */
typedef void disc_rx_cb(
    void *arg, const uint8_t *buf, size_t len, const struct sockaddr_in *src);

struct disc_udp;

/* Fills conf with qured.conf(5) defaults: group 239.255.81.82, port 5182. */
void disc_udp_conf_defaults(struct disc_udp_conf *conf);

/*
 * Opens the socket, joins the group and adds a persistent read event to
 * base. conf is copied; base, cb and arg are kept. Returns NULL with one
 * line in err (errlen bytes) on failure, e.g. "discovery: bind
 * 0.0.0.0:5182: Address already in use: held by pid 812 (qured), uid 0".
 */
struct disc_udp *disc_udp_new(struct event_base *base,
    const struct disc_udp_conf *conf, disc_rx_cb *cb, void *arg, char *err,
    size_t errlen);

/*
 * The cluster interface was recreated with a new index: leaves the group
 * on the old one (if it still exists), joins it on ifindex and sends group
 * datagrams out of it; datagrams are accepted from ifindex from now on.
 * Does nothing on a unicast-only transport. Returns 0, or -1 with one
 * line in err (the join can fail while the new link is not up yet: call
 * again then).
 */
int disc_udp_set_ifindex(
    struct disc_udp *, unsigned int ifindex, char *err, size_t errlen);

/* Leaves the group, closes the socket. NULL does nothing. */
void disc_udp_free(struct disc_udp *);

/*
 * Sends one datagram (len <= DISC_DGRAM_MAX) to dest, or to the group and
 * port when dest is NULL. Never blocks. Returns 0, or -1 with errno set
 * (EAGAIN: socket buffer full, EMSGSIZE: too long, EDESTADDRREQ: NULL dest
 * on a unicast-only transport); the caller counts and logs.
 */
int disc_udp_send(struct disc_udp *, const struct sockaddr_in *dest,
    const void *buf, size_t len);

/*
 * The socket itself, for a child that sends on it after this process is
 * gone (the address guard's farewell): same TTL 255, same multicast
 * interface (followed by disc_udp_set_ifindex()). Not to be read from.
 */
int disc_udp_get_fd(const struct disc_udp *);

/* The bound port, host order (the ephemeral one if conf->port was 0). */
uint16_t disc_udp_get_port(const struct disc_udp *);
void disc_udp_get_stats(const struct disc_udp *, struct disc_udp_stats *);

#endif
