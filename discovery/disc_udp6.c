/*
 * discovery/disc_udp6.c — the IPv6 UDP transport of the cluster protocol.
 *
 * The IPv4 transport's twin (disc_udp.c; the same reasons for no
 * SO_REUSEADDR, the same GTSM rule): one socket bound to [::]:port,
 * IPV6_V6ONLY so it leaves the IPv4 port to disc_udp.c, joined to the
 * link-scope group (ff02::5152) on the cluster interface, which makes the
 * kernel send the MLD report. Peers are heard from their link-local
 * addresses; a link-local address means nothing without its interface,
 * so a destination without a scope id gets the cluster interface's, and
 * what arrives on another interface is dropped.
 *
 * A group send can fail right after boot or a link up: the interface's
 * link-local address is still tentative (duplicate address detection,
 * about a second) and the kernel has no source address for the group
 * (EADDRNOTAVAIL). Serf waits a whole minute for its next try; here the
 * last failed group datagram is sent again every DISC6_RETRY_MS, up to
 * DISC6_RETRY_MAX times, until one goes out or a newer group datagram
 * takes its place. Its sequence number is still fresh to every peer: it
 * never left this host.
 */
#include "config.h"

#include "discovery/disc6.h"

#include <sys/socket.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "base/clock.h"
#include "base/log.h"

#define RX_BUF_LEN 65536
#define DISC6_RETRY_MS 200
#define DISC6_RETRY_MAX 10
#define DISC6_RETRY_QUEUE 8

struct disc_udp6 {
	struct disc_udp6_conf conf;
	int fd;
	uint16_t port; /* host order, as bound */
	struct event *ev, *ev_retry;
	disc_rx6_cb *cb;
	void *arg;
	bool in_cb, dead;
	uint64_t rx_age_ms; /* the datagram in the callback: its wait */
	struct disc_udp_stats stats;
	uint64_t tx_retries;
	/* Group datagrams that failed, oldest first, sent again in order
	 * (a peer takes sequence numbers in order only). */
	uint8_t rq_buf[DISC6_RETRY_QUEUE][DISC_DGRAM_MAX];
	size_t rq_len[DISC6_RETRY_QUEUE];
	unsigned rq_n;
	unsigned retries; /* tries since the first failure */
	uint8_t rx_buf[RX_BUF_LEN];
};

static void read_cb(evutil_socket_t, short, void *);
static void retry_cb(evutil_socket_t, short, void *);

void
disc_udp6_conf_defaults(struct disc_udp6_conf *conf)
{
	memset(conf, 0, sizeof(*conf));
	inet_pton(AF_INET6, DISC_GROUP6, &conf->group);
	conf->port = DISC_PORT;
}

static int
set_int(int fd, int level, int opt, int val, const char *what, char *err,
    size_t errlen)
{
	if (setsockopt(fd, level, opt, &val, sizeof(val)) == -1) {
		snprintf(err, errlen, "discovery: setsockopt %s: %s", what,
		    strerror(errno));
		return -1;
	}
	return 0;
}

/* disc_udp.c set_options(), for IPv6: hop limit for TTL, traffic class
 * for TOS. IPV6_MULTICAST_ALL 0 needs Linux 4.20: older ones say
 * ENOPROTOOPT and deliver other groups too, which the group check in
 * read_one() does not need (the core authenticates all). */
static int
set_options(int fd, const struct disc_udp6_conf *conf, bool bound, char *err,
    size_t errlen)
{
	int loop = (conf->flags & DISC_UDP_MCAST_LOOP) ? 1 : 0;
	int all = 0;

	(void)setsockopt(
	    fd, IPPROTO_IPV6, IPV6_MULTICAST_ALL, &all, sizeof(all));
	/* A bound socket (systemd's) cannot change it: checked instead. */
	if ((!bound && set_int(fd, IPPROTO_IPV6, IPV6_V6ONLY, 1, "IPV6_V6ONLY",
			   err, errlen) == -1) ||
	    set_int(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, 1, "IPV6_RECVPKTINFO",
		err, errlen) == -1 ||
	    set_int(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, DISC_TTL,
		"IPV6_UNICAST_HOPS", err, errlen) == -1 ||
	    set_int(fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, DISC_TTL,
		"IPV6_MULTICAST_HOPS", err, errlen) == -1 ||
	    set_int(fd, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, 1, "IPV6_RECVHOPLIMIT",
		err, errlen) == -1 ||
	    set_int(fd, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, loop,
		"IPV6_MULTICAST_LOOP", err, errlen) == -1 ||
	    set_int(fd, IPPROTO_IPV6, IPV6_TCLASS, IPTOS_CLASS_CS6,
		"IPV6_TCLASS", err, errlen) == -1 ||
	    set_int(fd, SOL_SOCKET, SO_TIMESTAMPNS, 1, "SO_TIMESTAMPNS", err,
		errlen) == -1)
		return -1;
	return 0;
}

/*
 * The socket from systemd must be what bind_port() would have made: UDP,
 * IPv6 only, on [::]:port. What queued on it while no qured read it is
 * stale (old heartbeats, answered challenges): dropped.
 */
static int
check_inherited(struct disc_udp6 *d, char *err, size_t errlen)
{
	struct sockaddr_in6 sin6;
	socklen_t slen = sizeof(sin6), ilen = sizeof(int);
	int type = 0, v6only = 0, i;
	uint8_t junk[1];

	memset(&sin6, 0, sizeof(sin6));
	if (getsockopt(d->fd, SOL_SOCKET, SO_TYPE, &type, &ilen) == -1 ||
	    getsockopt(d->fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, &ilen) ==
		-1 ||
	    getsockname(d->fd, (struct sockaddr *)&sin6, &slen) == -1 ||
	    type != SOCK_DGRAM || !v6only ||
	    !IN6_IS_ADDR_UNSPECIFIED(&sin6.sin6_addr) ||
	    (d->conf.port != 0 && ntohs(sin6.sin6_port) != d->conf.port)) {
		snprintf(err, errlen,
		    "discovery: the IPv6 socket from systemd (qured.socket) is "
		    "not UDP on [::]:%u, IPv6 only; set "
		    "ListenDatagram=[::]:%u and BindIPv6Only=ipv6-only",
		    (unsigned)d->conf.port, (unsigned)d->conf.port);
		return -1;
	}
	d->port = ntohs(sin6.sin6_port);
	for (i = 0; i < 4 * DISC_RX_BURST; i++)
		if (recv(d->fd, junk, sizeof(junk), MSG_DONTWAIT | MSG_TRUNC) <
		    0)
			break;
	return 0;
}

static int
bind_port(struct disc_udp6 *d, char *err, size_t errlen)
{
	struct sockaddr_in6 sin6;
	socklen_t slen = sizeof(sin6);

	memset(&sin6, 0, sizeof(sin6));
	sin6.sin6_family = AF_INET6;
	sin6.sin6_addr = in6addr_any;
	sin6.sin6_port = htons(d->conf.port);
	if (bind(d->fd, (struct sockaddr *)&sin6, sizeof(sin6)) == -1) {
		snprintf(err, errlen, "discovery: bind [::]:%u: %s",
		    (unsigned)d->conf.port, strerror(errno));
		return -1;
	}
	if (getsockname(d->fd, (struct sockaddr *)&sin6, &slen) == -1) {
		snprintf(
		    err, errlen, "discovery: getsockname: %s", strerror(errno));
		return -1;
	}
	d->port = ntohs(sin6.sin6_port);
	return 0;
}

/* Joins the group on the cluster interface (MLD report) and sends group
 * datagrams out of it. */
static int
join_group(struct disc_udp6 *d, char *err, size_t errlen)
{
	struct ipv6_mreq mr;
	char group[INET6_ADDRSTRLEN], ifname[IF_NAMESIZE] = "?";
	const char *what = "join";
	unsigned int idx = d->conf.ifindex;
	int e;

	memset(&mr, 0, sizeof(mr));
	mr.ipv6mr_multiaddr = d->conf.group;
	mr.ipv6mr_interface = idx;
	if (setsockopt(d->fd, IPPROTO_IPV6, IPV6_ADD_MEMBERSHIP, &mr,
		sizeof(mr)) == -1 &&
	    errno != EADDRINUSE)
		goto fail;
	what = "send to";
	if (setsockopt(d->fd, IPPROTO_IPV6, IPV6_MULTICAST_IF, &idx,
		sizeof(idx)) == -1)
		goto fail;
	return 0;
fail:
	e = errno;
	inet_ntop(AF_INET6, &d->conf.group, group, sizeof(group));
	if (if_indextoname(idx, ifname) == NULL)
		snprintf(ifname, sizeof(ifname), "ifindex %u", idx);
	snprintf(err, errlen, "discovery: %s %s on %s: %s", what, group, ifname,
	    strerror(e));
	return -1;
}

int
disc_udp6_set_ifindex(
    struct disc_udp6 *d, unsigned int ifindex, char *err, size_t errlen)
{
	struct ipv6_mreq mr;

	if (d->conf.ifindex == 0 || ifindex == 0)
		return 0;
	memset(&mr, 0, sizeof(mr));
	mr.ipv6mr_multiaddr = d->conf.group;
	mr.ipv6mr_interface = d->conf.ifindex;
	(void)setsockopt(
	    d->fd, IPPROTO_IPV6, IPV6_DROP_MEMBERSHIP, &mr, sizeof(mr));
	d->conf.ifindex = ifindex;
	return join_group(d, err, errlen);
}

struct disc_udp6 *
disc_udp6_new(struct event_base *base, const struct disc_udp6_conf *conf,
    disc_rx6_cb *cb, void *arg, char *err, size_t errlen)
{
	struct disc_udp6 *d;
	bool inherited;

	if (conf->ifindex != 0 && !IN6_IS_ADDR_MULTICAST(&conf->group)) {
		char group[INET6_ADDRSTRLEN];

		inet_ntop(AF_INET6, &conf->group, group, sizeof(group));
		snprintf(
		    err, errlen, "discovery: group %s is not multicast", group);
		return NULL;
	}
	if ((d = calloc(1, sizeof(*d))) == NULL) {
		snprintf(err, errlen, "discovery: %s", strerror(errno));
		return NULL;
	}
	d->conf = *conf;
	d->cb = cb;
	d->arg = arg;
	d->fd = -1;
	if (conf->flags & DISC_UDP_SYSTEMD) {
		d->fd = disc_systemd_fd(AF_INET6, err, errlen);
		if (d->fd == -2) {
			d->fd = -1;
			goto fail;
		}
	}
	inherited = d->fd != -1;
	if (!inherited)
		d->fd = socket(
		    AF_INET6, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (d->fd == -1) {
		snprintf(err, errlen, "discovery: socket (IPv6): %s",
		    strerror(errno));
		goto fail;
	}
	if ((inherited && check_inherited(d, err, errlen) == -1) ||
	    set_options(d->fd, conf, inherited, err, errlen) == -1 ||
	    (!inherited && bind_port(d, err, errlen) == -1))
		goto fail;
	if (conf->ifindex != 0 && join_group(d, err, errlen) == -1)
		goto fail;
	d->ev = event_new(base, d->fd, EV_READ | EV_PERSIST, read_cb, d);
	d->ev_retry = evtimer_new(base, retry_cb, d);
	if (d->ev == NULL || d->ev_retry == NULL ||
	    event_add(d->ev, NULL) == -1) {
		snprintf(err, errlen,
		    "discovery: cannot add the socket to the loop");
		goto fail;
	}
	return d;
fail:
	if (d->ev != NULL)
		event_free(d->ev);
	if (d->ev_retry != NULL)
		event_free(d->ev_retry);
	if (d->fd != -1)
		close(d->fd);
	free(d);
	return NULL;
}

static void
destroy(struct disc_udp6 *d)
{
	event_free(d->ev);
	event_free(d->ev_retry);
	close(d->fd); /* leaves the group: the kernel sends the MLD done */
	free(d);
}

void
disc_udp6_free(struct disc_udp6 *d)
{
	if (d == NULL)
		return;
	if (d->in_cb) {
		d->dead = true;
		event_del(d->ev);
		event_del(d->ev_retry);
		return;
	}
	destroy(d);
}

/* The arrival interface (IPV6_PKTINFO) and the hop limit (-1: none). */
static unsigned int
arrival(struct msghdr *msg, int *hops)
{
	struct cmsghdr *c;
	struct in6_pktinfo pi;
	unsigned int ifindex = 0;

	*hops = -1;
	for (c = CMSG_FIRSTHDR(msg); c != NULL; c = CMSG_NXTHDR(msg, c)) {
		if (c->cmsg_level != IPPROTO_IPV6)
			continue;
		if (c->cmsg_type == IPV6_PKTINFO) {
			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			ifindex = pi.ipi6_ifindex;
		} else if (c->cmsg_type == IPV6_HOPLIMIT) {
			memcpy(hops, CMSG_DATA(c), sizeof(*hops));
		}
	}
	return ifindex;
}

static int
read_one(struct disc_udp6 *d)
{
	struct sockaddr_in6 src;
	struct iovec iov = {
	    .iov_base = d->rx_buf, .iov_len = sizeof(d->rx_buf)};
	union {
		struct cmsghdr align;
		uint8_t b[CMSG_SPACE(sizeof(struct in6_pktinfo)) +
			  CMSG_SPACE(sizeof(int)) +
			  CMSG_SPACE(sizeof(struct timespec))];
	} cbuf;
	struct msghdr msg;
	unsigned int ifindex;
	ssize_t n;
	size_t len;
	int hops;

	memset(&msg, 0, sizeof(msg));
	msg.msg_name = &src;
	msg.msg_namelen = sizeof(src);
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = cbuf.b;
	msg.msg_controllen = sizeof(cbuf.b);
	n = recvmsg(d->fd, &msg, MSG_TRUNC);
	if (n == -1) {
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
			return 0;
		d->stats.rx_errors++;
		d->stats.last_rx_errno = errno;
		return -1;
	}
	ifindex = arrival(&msg, &hops);
	if (d->conf.ifindex != 0 && ifindex != 0 &&
	    ifindex != d->conf.ifindex) {
		d->stats.rx_other_if++;
		return 1;
	}
	if (msg.msg_namelen < sizeof(src) || src.sin6_family != AF_INET6)
		return 1;
	/* A link-local source is only an address with its interface. */
	if (IN6_IS_ADDR_LINKLOCAL(&src.sin6_addr) && src.sin6_scope_id == 0)
		src.sin6_scope_id = ifindex != 0 ? ifindex : d->conf.ifindex;
	if (hops != DISC_TTL) { /* RFC 5082: routed here */
		d->stats.rx_dropped_ttl++;
		if (d->conf.on_drop != NULL)
			d->conf.on_drop(d->arg, DISC_DROP_TTL, &src);
		return 1;
	}
	len = (size_t)n;
	if (len > sizeof(d->rx_buf))
		len = sizeof(d->rx_buf);
	if ((size_t)n > DISC_DGRAM_MAX)
		d->stats.rx_oversize++;
	d->stats.rx++;
	d->rx_age_ms = disc_rx_age_ms(&msg, clock_wall_ms());
	d->in_cb = true;
	d->cb(d->arg, d->rx_buf, len, &src);
	d->in_cb = false;
	return 1;
}

static void
read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct disc_udp6 *d = arg;
	int i;

	(void)fd;
	(void)what;
	for (i = 0; i < DISC_RX_BURST; i++) {
		if (read_one(d) <= 0 || d->dead)
			break;
	}
	if (d->dead)
		destroy(d);
}

static int
send_to_group(struct disc_udp6 *d, const void *buf, size_t len)
{
	struct sockaddr_in6 group;

	memset(&group, 0, sizeof(group));
	group.sin6_family = AF_INET6;
	group.sin6_addr = d->conf.group;
	group.sin6_port = htons(d->port);
	group.sin6_scope_id = d->conf.ifindex;
	return (int)sendto(
	    d->fd, buf, len, 0, (const struct sockaddr *)&group, sizeof(group));
}

/* Errors of a link that is not ready yet, which a retry may outlive. */
static bool
transient(int e)
{
	return e == EADDRNOTAVAIL || e == ENETUNREACH || e == ENETDOWN ||
	       e == EHOSTUNREACH || e == EAGAIN || e == ENOBUFS || e == EINVAL;
}

static void
arm_retry(struct disc_udp6 *d)
{
	struct timeval tv = {0, DISC6_RETRY_MS * 1000};

	evtimer_add(d->ev_retry, &tv);
}

static void
queue(struct disc_udp6 *d, const void *buf, size_t len)
{
	if (d->rq_n == DISC6_RETRY_QUEUE) { /* full: the oldest goes */
		memmove(d->rq_buf[0], d->rq_buf[1],
		    sizeof(d->rq_buf[0]) * (DISC6_RETRY_QUEUE - 1));
		memmove(d->rq_len, d->rq_len + 1,
		    sizeof(d->rq_len[0]) * (DISC6_RETRY_QUEUE - 1));
		d->rq_n--;
	}
	if (d->rq_n == 0) {
		d->retries = 0;
		arm_retry(d);
	}
	memcpy(d->rq_buf[d->rq_n], buf, len);
	d->rq_len[d->rq_n++] = len;
}

/* Sends what is queued, in order; 0 when all went, -1 (errno) if not. */
static int
flush(struct disc_udp6 *d)
{
	unsigned i, sent = 0;
	int r = 0;

	for (i = 0; i < d->rq_n; i++) {
		if (send_to_group(d, d->rq_buf[i], d->rq_len[i]) == -1) {
			r = -1;
			break;
		}
		d->stats.tx++;
		sent++;
	}
	if (sent > 0) {
		memmove(d->rq_buf[0], d->rq_buf[sent],
		    sizeof(d->rq_buf[0]) * (d->rq_n - sent));
		memmove(d->rq_len, d->rq_len + sent,
		    sizeof(d->rq_len[0]) * (d->rq_n - sent));
		d->rq_n -= sent;
	}
	if (r == 0 && sent > 0) {
		log_info("discovery: %u group datagram(s) went out on IPv6 "
			 "at try %u (the link had no usable IPv6 address "
			 "before)",
		    sent, d->retries + 1);
		evtimer_del(d->ev_retry);
	}
	return r;
}

static void
retry_cb(evutil_socket_t fd, short what, void *arg)
{
	struct disc_udp6 *d = arg;

	(void)fd;
	(void)what;
	if (d->rq_n == 0)
		return;
	d->retries++;
	d->tx_retries++;
	if (flush(d) == 0)
		return;
	if (d->retries >= DISC6_RETRY_MAX || !transient(errno)) {
		d->rq_n = 0;
		return;
	}
	arm_retry(d);
}

void
disc_udp6_set_priority(struct disc_udp6 *d, int prio)
{
	if (event_base_get_npriorities(event_get_base(d->ev)) > prio)
		(void)event_priority_set(d->ev, prio);
}

/* As disc_udp_drain(): what is queued now, before a fence renewal. */
uint64_t
disc_udp6_rx_age_ms(const struct disc_udp6 *d)
{
	return d->rx_age_ms;
}

bool
disc_udp6_drain(struct disc_udp6 *d)
{
	int i;

	if (d->in_cb)
		return false;
	for (i = 0; i < DISC_RX_BURST; i++)
		if (read_one(d) <= 0 || d->dead)
			break;
	if (!d->dead)
		return false;
	destroy(d);
	return true;
}

int
disc_udp6_send(struct disc_udp6 *d, const struct sockaddr_in6 *dest,
    const void *buf, size_t len)
{
	struct sockaddr_in6 to;
	int e;

	if (len > DISC_DGRAM_MAX) {
		errno = EMSGSIZE;
		goto fail;
	}
	if (dest == NULL) {
		if (d->conf.ifindex == 0) {
			errno = EDESTADDRREQ;
			goto fail;
		}
		/* What failed before goes first, or peers would take the
		 * older ones as replays. */
		if ((d->rq_n == 0 || flush(d) == 0) &&
		    send_to_group(d, buf, len) != -1) {
			d->stats.tx++;
			return 0;
		}
		e = errno;
		if (transient(e))
			queue(d, buf, len);
		errno = e;
		goto fail;
	}
	to = *dest;
	if (IN6_IS_ADDR_LINKLOCAL(&to.sin6_addr) && to.sin6_scope_id == 0)
		to.sin6_scope_id = d->conf.ifindex;
	if (sendto(d->fd, buf, len, 0, (const struct sockaddr *)&to,
		sizeof(to)) == -1)
		goto fail;
	d->stats.tx++;
	return 0;
fail:
	d->stats.tx_errors++;
	return -1;
}

int
disc_udp6_get_fd(const struct disc_udp6 *d)
{
	return d->fd;
}

uint16_t
disc_udp6_get_port(const struct disc_udp6 *d)
{
	return d->port;
}

void
disc_udp6_get_stats(const struct disc_udp6 *d, struct disc_udp_stats *out)
{
	*out = d->stats;
}

uint64_t
disc_udp6_get_retries(const struct disc_udp6 *d)
{
	return d->tx_retries;
}
