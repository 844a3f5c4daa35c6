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
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct event_base;

#define DISC_GROUP "239.255.81.82"
#define DISC_PORT 5182
#define DISC_DGRAM_MAX 1400 /* = ELECT_WIRE_MAX: largest datagram sent */
#define DISC_RX_BURST 64    /* datagrams read per read event at most */
#define DISC_TTL 255	    /* sent, and required on receipt (RFC 5082) */

enum disc_udp_flags {
	/* Tests only: receive our own group datagrams (IP_MULTICAST_LOOP). */
	DISC_UDP_MCAST_LOOP = 1u << 0,
	/*
	 * Take the socket systemd passes (qured.socket; sd_listen_fds(3):
	 * LISTEN_PID is ours, LISTEN_FDS=1 or 2, fds 3 and 4; see
	 * disc_systemd_fd()) instead of binding: it is held across
	 * restarts, so nobody can take the port meanwhile. It must be UDP
	 * on 0.0.0.0:port (disc_udp) or [::]:port, IPv6 only (disc_udp6).
	 * Without LISTEN_*, or no socket of the family, binds as usual.
	 */
	DISC_UDP_SYSTEMD = 1u << 1,
};

/*
 * The socket of family (AF_INET or AF_INET6) that systemd passed, once:
 * the first call reads and unsets LISTEN_PID/LISTEN_FDS (when LISTEN_PID
 * is ours) and keeps every passed socket, close-on-exec and non-blocking,
 * for the call of its family. Returns the fd, -1 when there is none, -2
 * when systemd passed something else than one IPv4 and at most one IPv6
 * socket (err says what).
 */
int disc_systemd_fd(int family, char *err, size_t errlen);
/* Closes what systemd passed and no transport claimed (no IPv6). */
void disc_systemd_close_unclaimed(void);

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

/*
 * The source address of group datagrams (IP_MULTICAST_IF's address):
 * one of ours in the subnet the peers share, so a multi-homed host whose
 * primary address is on another network is still answered on this one;
 * 0: the kernel's choice (the interface's primary). Reset to 0 by
 * disc_udp_set_ifindex(). Does nothing on a unicast-only transport.
 * Returns 0, or -1 with errno (EADDRNOTAVAIL: not ours).
 */
int disc_udp_set_group_src(struct disc_udp *, struct in_addr src);

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
/* Reads what is queued now, as the read event would (the fence renews
 * only after every PROBE that arrived was answered). True if d was
 * freed by a callback meanwhile. */
bool disc_udp_drain(struct disc_udp *);
/*
 * How long the datagram being handed to the callback waited in the socket
 * before we read it, in ms (0 if unknown): from the kernel's arrival stamp
 * (SO_TIMESTAMPNS). Only meaningful inside the callback.
 */
uint64_t disc_udp_rx_age_ms(const struct disc_udp *);

/*
 * The wait of a received datagram (discovery/disc_stamp.c; pure): wall
 * clock now (ms since the epoch) less the SCM_TIMESTAMPNS stamp in msg's
 * control data; 0 without a stamp, with one from the future, or older
 * than a minute (the date was set meanwhile).
 */
struct msghdr;
uint64_t disc_rx_age_ms(struct msghdr *msg, uint64_t wall_now_ms);
/* The read event's priority (src/main.c: 0 is the first). */
void disc_udp_set_priority(struct disc_udp *, int prio);

/* The bound port, host order (the ephemeral one if conf->port was 0). */
uint16_t disc_udp_get_port(const struct disc_udp *);
void disc_udp_get_stats(const struct disc_udp *, struct disc_udp_stats *);

/*
 * ---- Addresses (discovery/disc_addr.c; pure: no sockets, no clock)
 *
 * What a member advertises (doc/protocol.md, ADDR4/ADDR6) and which of
 * its addresses a unicast goes to. IPv4 and IPv6 alike (family 4 or 6),
 * so the IPv6 transport reuses them.
 */

/* An address, network byte order; family 4 (b[0..3]), 6, or 0: none. */
struct disc_addr {
	uint8_t family;
	uint8_t b[16];
};

/* One of our own addresses on the cluster interface, with its prefix. */
struct disc_net {
	struct disc_addr addr;
	uint8_t prefix; /* 0..32 (IPv4), 0..128 (IPv6) */
};

#define DISC_MAX_NETS 8 /* own addresses considered on the interface */

/*
 * Whether a can be advertised and sent to: not the wildcard, loopback,
 * link-local (IPv4 169.254/16 and IPv6 fe80::/10 carry no scope on the
 * wire), multicast, broadcast or (IPv4) 0/8 and 240/4; not an IPv6
 * IPv4-mapped address.
 */
bool disc_addr_is_usable(const struct disc_addr *a);

/* Whether a lies in one of the n nets (same family, same prefix bits). */
bool disc_addr_in_nets(
    const struct disc_addr *a, const struct disc_net *nets, size_t n);

/* Whether a equals one of the n addresses. */
bool disc_addr_in_list(
    const struct disc_addr *a, const struct disc_addr *list, size_t n);

/* Why disc_addr_choose() picked its address. */
enum disc_addr_why {
	/* The source of its datagrams is in one of our subnets: on-link. */
	DISC_ADDR_SRC_ON_LINK = 1,
	/* Its source is not, but an address it advertised is (the first, in
	 * its order): a multi-homed peer whose datagrams leave with an
	 * address of another network. */
	DISC_ADDR_ADVERTISED,
	/* Nothing in our subnets: its source (TTL 255 says it is on the
	 * link, doc/protocol.md "Transport"). */
	DISC_ADDR_SRC,
	/* It advertised no usable address (none, or only wildcard, loopback,
	 * link-local...): its source. Worth one log line per member. */
	DISC_ADDR_SRC_UNUSABLE,
};

/*
 * The address to send a member unicast datagrams to: own (n_own) are our
 * addresses on the cluster interface with their prefixes, adv (n_adv)
 * what the member advertised, src where its last authenticated datagram
 * came from. Writes it to out and says why.
 */
enum disc_addr_why disc_addr_choose(const struct disc_net *own, size_t n_own,
    const struct disc_addr *adv, size_t n_adv, const struct disc_addr *src,
    struct disc_addr *out);

/*
 * Our usable IPv4 addresses on ifname, with prefixes, in the kernel's
 * order (getifaddrs(3)); an edge helper, not pure. Returns how many (at
 * most max), or -1 with errno.
 */
int disc_own_nets(const char *ifname, struct disc_net *out, size_t max);

/*
 * Whether ifname has any IPv4 address, a link-local one (169.254/16)
 * included: group datagrams can leave from it. 1, 0, or -1 with errno.
 */
int disc_if_has_ipv4(const char *ifname);

/*
 * The interface with an IPv4 subnet that holds a (the DMZ address: the
 * LAN the peers share), into ifname (IF_NAMESIZE bytes); not loopback.
 * Returns 0, or -1 if none has (then the default route's is the guess).
 */
int disc_ifname_on_net(struct in_addr a, char *ifname, size_t len);

/*
 * ---- IGMP (discovery/disc_igmp.c: the pure parser)
 *
 * A newcomer joining the cluster group sends an IGMP membership report
 * before its first HELLO; seen by a member, it is a hint (a prompt HELLO
 * to it) so the newcomer is known even if its own HELLO is lost. The
 * parser takes what a raw IPPROTO_IGMP socket reads: the IPv4 header
 * (with options, e.g. Router Alert) and the IGMP message. IGMPv1 and v2
 * reports (RFC 1112, RFC 2236) name one group; IGMPv3 reports (RFC 3376
 * §4.2) carry group records.
 *
 * MLD (IPv6, RFC 2710/3810) is the seam for the IPv6 transport: a
 * disc_mld_parse() on ICMPv6 types 131/143 would fill the same report
 * (src as a struct disc_addr) and feed the same hint limiter.
 */

enum disc_igmp_result {
	/* A report that src is, or becomes, a member of the group: v1/v2
	 * report of it; v3 record IS_EX or TO_EX (any source), or IS_IN,
	 * TO_IN or ALLOW with sources. */
	DISC_IGMP_JOIN = 1,
	/* src leaves the group: v2 leave, v3 TO_IN with no source. */
	DISC_IGMP_LEAVE,
	/* Well-formed, nothing about the group from a host (a query, a
	 * report of other groups, source 0.0.0.0, v3 BLOCK). */
	DISC_IGMP_OTHER,
	/* Not IPv4 IGMP, truncated, lengths that disagree, bad checksum,
	 * unknown type, records past the end. */
	DISC_IGMP_MALFORMED,
};

struct disc_igmp_report {
	struct in_addr src; /* the IP source, network order */
	uint8_t version;    /* 1, 2 or 3: of the report; 0 if not one */
};

/*
 * Parses one datagram of len bytes for what it says of group (network
 * order). Fills out (src and version) for JOIN and LEAVE. Reads only
 * within buf, allocates nothing.
 */
enum disc_igmp_result disc_igmp_parse(const uint8_t *buf, size_t len,
    struct in_addr group, struct disc_igmp_report *out);

/*
 * ---- The hint limiter (discovery/disc_igmp_limit.c; pure)
 *
 * Hints (doc/design.md, N3 of issue 9: a membership report, a browsed
 * service) lead to one unicast HELLO each, at most one per source per
 * per_src_ms and at most rate_per_s overall (a bucket of burst), so a
 * flood of reports, spoofed or not, keeps our HELLO rate bounded.
 */
#define DISC_IGMP_LIMIT_SLOTS 32
#define DISC_IGMP_PER_SRC_MS 1000
#define DISC_IGMP_RATE_PER_S 10
#define DISC_IGMP_BURST 10

struct disc_igmp_limit {
	struct {
		struct disc_addr addr; /* family 0: free */
		uint64_t last_ms;
	} slot[DISC_IGMP_LIMIT_SLOTS];
	uint32_t per_src_ms, rate_per_s, burst;
	uint64_t tokens_milli; /* 1000 a hint */
	uint64_t refill_ms;    /* when tokens were last topped up */
	uint64_t allowed, limited;
};

/* Empty limiter; 0 for any of the three takes the DISC_IGMP_ default. */
void disc_igmp_limit_init(struct disc_igmp_limit *, uint32_t per_src_ms,
    uint32_t rate_per_s, uint32_t burst);

/*
 * Whether a hint from src at now_ms (never decreasing) may lead to a
 * HELLO; counts it (allowed or limited). A source whose slot is taken
 * less than per_src_ms ago, or with all slots that recent, is limited.
 */
bool disc_igmp_limit_allow(
    struct disc_igmp_limit *, const struct disc_addr *src, uint64_t now_ms);

/*
 * ---- The IGMP observer (discovery/disc_igmp_watch.c; the edge)
 *
 * A raw IPPROTO_IGMP socket on the caller's event_base (needs
 * CAP_NET_RAW), joined to 224.0.0.22 on the cluster interface, where
 * IGMPv3 reports go; IGMPv2 reports go to the group itself, which the
 * transport has joined on the interface (membership is the interface's,
 * so the raw socket hears them). Reports from other interfaces are
 * dropped. With a querier on a snooping bridge, IGMPv2 reports reach
 * only the multicast-router ports: they are then not seen, and the
 * hint is only lost, never wrong (doc/design.md).
 */
struct disc_igmp_stats {
	uint64_t rx;	    /* datagrams read */
	uint64_t joins;	    /* DISC_IGMP_JOIN for the group */
	uint64_t malformed; /* DISC_IGMP_MALFORMED */
	uint64_t other_if;  /* dropped: arrived on another interface */
};

/* Called for each JOIN of the group; r is borrowed for the call. */
typedef void disc_igmp_cb(void *arg, const struct disc_igmp_report *r);

struct disc_igmp;

/*
 * Opens the observer for group on ifindex. cb and arg are kept. NULL with
 * one line in err on failure ("discovery: igmp socket: Operation not
 * permitted").
 */
struct disc_igmp *disc_igmp_new(struct event_base *base, unsigned int ifindex,
    struct in_addr group, disc_igmp_cb *cb, void *arg, char *err,
    size_t errlen);

/* The interface was recreated: join 224.0.0.22 on the new index. 0 or -1
 * with err. */
int disc_igmp_set_ifindex(
    struct disc_igmp *, unsigned int ifindex, char *err, size_t errlen);

void disc_igmp_get_stats(const struct disc_igmp *, struct disc_igmp_stats *);

/* Closes the socket. NULL does nothing. */
void disc_igmp_free(struct disc_igmp *);

#endif
