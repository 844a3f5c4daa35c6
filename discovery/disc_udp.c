/*
 * discovery/disc_udp.c — the IPv4 UDP transport of the cluster protocol.
 *
 * One socket per instance, bound to 0.0.0.0:port so it hears both the
 * group and unicast (probes and replies). It sets neither SO_REUSEADDR nor
 * SO_REUSEPORT, on purpose:
 * - instances in different network namespaces (the test bed, containers)
 *   have separate port tables, so they never collide;
 * - UDP has no TIME_WAIT, so a restarted qured binds the port at once;
 * - on Linux SO_REUSEADDR lets several UDP sockets that all set it bind the
 *   same address and port: a second qured on the same host would start
 *   "fine", hear every group datagram and steal the unicast ones from the
 *   first (they go to the last socket bound). SO_REUSEPORT would spread
 *   unicast between them by hash. Both turn an operator error into a quiet
 *   split brain; without them the second instance fails with EADDRINUSE
 *   and says so.
 */
#include "config.h"

#include "discovery/discovery.h"

#include <sys/socket.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "base/clock.h"

/*
 * The receive buffer holds the largest IPv4 datagram, so one longer than
 * DISC_DGRAM_MAX arrives whole and is handed up with its real length and
 * real bytes for the receiver to count as malformed; MSG_TRUNC is still
 * checked, in case a kernel ever delivers more.
 */
#define RX_BUF_LEN 65536

struct disc_udp {
	struct disc_udp_conf conf;
	int fd;
	uint16_t port; /* host order, as bound */
	struct event *ev;
	disc_rx_cb *cb;
	void *arg;
	bool inherited;	    /* the socket came from systemd (qured.socket) */
	bool in_cb;	    /* the read callback is running */
	uint64_t rx_age_ms; /* the datagram in the callback: its wait */
	bool dead; /* disc_udp_free() was called from it: free on return */
	struct in_addr group_src; /* source of group datagrams; 0: kernel's */
	struct disc_udp_stats stats;
	uint8_t rx_buf[RX_BUF_LEN];
};

static void read_cb(evutil_socket_t, short, void *);

void
disc_udp_conf_defaults(struct disc_udp_conf *conf)
{
	memset(conf, 0, sizeof(*conf));
	inet_pton(AF_INET, DISC_GROUP, &conf->group);
	conf->port = DISC_PORT;
}

static void
ifname_of(unsigned int ifindex, char *buf, size_t len)
{
	char name[IF_NAMESIZE];

	if (if_indextoname(ifindex, name) != NULL)
		snprintf(buf, len, "%s", name);
	else
		snprintf(buf, len, "ifindex %u", ifindex);
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

/*
 * Options that make the socket one member of a link-local group:
 * - IP_MULTICAST_ALL 0: by default Linux delivers to a socket bound to
 *   INADDR_ANY the datagrams of every group any socket on the host joined;
 *   we want only the groups this socket joined.
 * - IP_PKTINFO: the arrival interface, to drop what came from elsewhere.
 * - TTL 255 (unicast and multicast) and IP_RECVTTL: RFC 5082 (GTSM). A
 *   datagram from the link arrives with the TTL it was sent with; one that
 *   crossed a router (in DMZ mode the router forwards every port of the
 *   DMZ address to the holder) arrives with less, whatever its sender
 *   chose. So we send with 255 and drop anything received with less: the
 *   election port answers the link only. TTL 1 would say nothing: a
 *   forwarded datagram can arrive with TTL 1 just as well.
 * - LOOP 0: our own group datagrams are not ours to hear; with a clone
 *   detector in the core, hearing ourselves would look like a clone.
 * - TOS CS6 (network control), as VRRP uses: WiFi (WMM) and switches
 *   queue heartbeats ahead of bulk traffic.
 * - SO_TIMESTAMPNS: when each datagram arrived, so a stall of ours is not
 *   taken for the LAN's delay (disc_stamp.c).
 */
static int
set_options(int fd, const struct disc_udp_conf *conf, char *err, size_t errlen)
{
	int loop = (conf->flags & DISC_UDP_MCAST_LOOP) ? 1 : 0;

	if (set_int(fd, IPPROTO_IP, IP_MULTICAST_ALL, 0, "IP_MULTICAST_ALL",
		err, errlen) == -1 ||
	    set_int(fd, IPPROTO_IP, IP_PKTINFO, 1, "IP_PKTINFO", err, errlen) ==
		-1 ||
	    set_int(fd, IPPROTO_IP, IP_TTL, DISC_TTL, "IP_TTL", err, errlen) ==
		-1 ||
	    set_int(fd, IPPROTO_IP, IP_MULTICAST_TTL, DISC_TTL,
		"IP_MULTICAST_TTL", err, errlen) == -1 ||
	    set_int(fd, IPPROTO_IP, IP_RECVTTL, 1, "IP_RECVTTL", err, errlen) ==
		-1 ||
	    set_int(fd, IPPROTO_IP, IP_MULTICAST_LOOP, loop,
		"IP_MULTICAST_LOOP", err, errlen) == -1 ||
	    set_int(fd, IPPROTO_IP, IP_TOS, IPTOS_CLASS_CS6, "IP_TOS", err,
		errlen) == -1 ||
	    set_int(fd, SOL_SOCKET, SO_TIMESTAMPNS, 1, "SO_TIMESTAMPNS", err,
		errlen) == -1)
		return -1;
	return 0;
}

/*
 * Who holds a UDP port of this network namespace, for the one line that
 * says why we cannot start: the socket's uid from /proc/net/udp, and the
 * process from the /proc/PID/fd link to its inode (readable for our own
 * user's processes, or with CAP_DAC_READ_SEARCH; else the uid alone).
 */
static int
port_holder_inode(uint16_t port, unsigned long *inode, unsigned *uid)
{
	/* A dual-stack [::]:port socket holds the IPv4 port too. */
	static const char *const tables[] = {"/proc/net/udp", "/proc/net/udp6"};
	char line[512];
	unsigned p;
	size_t i;
	FILE *fp;
	int found = -1;

	for (i = 0; i < 2 && found == -1; i++) {
		if ((fp = fopen(tables[i], "re")) == NULL)
			continue;
		while (found == -1 && fgets(line, sizeof(line), fp) != NULL) {
			if (sscanf(line,
				" %*u: %*x:%x %*x:%*x %*x %*x:%*x %*x:%*x %*x "
				"%u %*d %lu",
				&p, uid, inode) == 3 &&
			    p == port)
				found = 0;
		}
		fclose(fp);
	}
	return found;
}

static pid_t
inode_pid(unsigned long inode, char *comm, size_t len)
{
	char path[600], link[64], want[64];
	struct dirent *pe, *fe;
	DIR *proc, *fds;
	pid_t pid = -1;
	ssize_t n;
	FILE *fp;

	snprintf(want, sizeof(want), "socket:[%lu]", inode);
	if ((proc = opendir("/proc")) == NULL)
		return -1;
	while (pid == -1 && (pe = readdir(proc)) != NULL) {
		if (pe->d_name[0] < '1' || pe->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/fd", pe->d_name);
		if ((fds = opendir(path)) == NULL)
			continue;
		while (pid == -1 && (fe = readdir(fds)) != NULL) {
			snprintf(path, sizeof(path), "/proc/%s/fd/%s",
			    pe->d_name, fe->d_name);
			n = readlink(path, link, sizeof(link) - 1);
			if (n > 0 && (link[n] = '\0', strcmp(link, want) == 0))
				pid = (pid_t)atoi(pe->d_name);
		}
		closedir(fds);
	}
	closedir(proc);
	snprintf(comm, len, "?");
	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	if (pid != -1 && (fp = fopen(path, "re")) != NULL) {
		if (fgets(comm, (int)len, fp) != NULL)
			comm[strcspn(comm, "\n")] = '\0';
		fclose(fp);
	}
	return pid;
}

/* ": held by pid 123 (nc), uid 1000", or less when /proc says less. */
static void
port_holder(uint16_t port, char *buf, size_t len)
{
	unsigned long inode;
	unsigned uid;
	char comm[32];
	pid_t pid;

	if (port_holder_inode(port, &inode, &uid) == -1) {
		snprintf(buf, len, ": held by a socket not in /proc/net/udp*");
		return;
	}
	/* Another user's descriptors are hidden from a qured that kept
	 * only its three capabilities (no CAP_SYS_PTRACE): ss, as root,
	 * names the process. */
	pid = inode_pid(inode, comm, sizeof(comm));
	if (pid == -1)
		snprintf(buf, len,
		    ": held by uid %u (process not visible to qured; as root, "
		    "ss -ulpn 'sport = :%u' names it)",
		    uid, (unsigned)port);
	else
		snprintf(buf, len, ": held by pid %d (%s), uid %u", (int)pid,
		    comm, uid);
}

static int
bind_port(struct disc_udp *d, char *err, size_t errlen)
{
	struct sockaddr_in sin;
	socklen_t slen = sizeof(sin);

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_ANY);
	sin.sin_port = htons(d->conf.port);
	if (bind(d->fd, (struct sockaddr *)&sin, sizeof(sin)) == -1) {
		int e = errno;
		char holder[128] = "";

		if (e == EADDRINUSE)
			port_holder(d->conf.port, holder, sizeof(holder));
		snprintf(err, errlen, "discovery: bind 0.0.0.0:%u: %s%s",
		    (unsigned)d->conf.port, strerror(e), holder);
		return -1;
	}
	if (getsockname(d->fd, (struct sockaddr *)&sin, &slen) == -1) {
		snprintf(
		    err, errlen, "discovery: getsockname: %s", strerror(errno));
		return -1;
	}
	d->port = ntohs(sin.sin_port);
	return 0;
}

/* The socket from systemd must be what bind_port() would have made. */
static int
check_inherited(struct disc_udp *d, char *err, size_t errlen)
{
	struct sockaddr_in sin;
	socklen_t slen = sizeof(sin);
	int type = 0;
	socklen_t tlen = sizeof(type);
	char ip[INET_ADDRSTRLEN] = "?";

	memset(&sin, 0, sizeof(sin));
	if (getsockopt(d->fd, SOL_SOCKET, SO_TYPE, &type, &tlen) == -1 ||
	    getsockname(d->fd, (struct sockaddr *)&sin, &slen) == -1 ||
	    sin.sin_family != AF_INET || type != SOCK_DGRAM) {
		snprintf(err, errlen,
		    "discovery: the socket from systemd (qured.socket) is not "
		    "IPv4 UDP; set ListenDatagram=0.0.0.0:%u",
		    (unsigned)d->conf.port);
		return -1;
	}
	inet_ntop(AF_INET, &sin.sin_addr, ip, sizeof(ip));
	if (sin.sin_addr.s_addr != htonl(INADDR_ANY) ||
	    (d->conf.port != 0 && ntohs(sin.sin_port) != d->conf.port)) {
		snprintf(err, errlen,
		    "discovery: the socket from systemd (qured.socket) is "
		    "bound to %s:%u, not 0.0.0.0:%u ([cluster] port); make "
		    "ListenDatagram= agree",
		    ip, (unsigned)ntohs(sin.sin_port), (unsigned)d->conf.port);
		return -1;
	}
	d->port = ntohs(sin.sin_port);
	return 0;
}

/*
 * What queued on the held socket while no qured read it is stale (old
 * heartbeats, answered challenges): dropped before the loop starts.
 */
static void
drain(struct disc_udp *d)
{
	int i;

	for (i = 0; i < 100000; i++)
		if (recv(d->fd, d->rx_buf, sizeof(d->rx_buf), MSG_DONTWAIT) ==
		    -1)
			break;
}

/*
 * Joins the group on the cluster interface and sends group datagrams out
 * of it. The join is what makes the kernel send the IGMP membership report
 * (an arrival hint for an IGMP observer, not built); ip_mreqn names the
 * interface by index, not by one of its addresses, which may change or be
 * absent.
 */
static int
join_group(struct disc_udp *d, char *err, size_t errlen)
{
	struct ip_mreqn mr;
	char group[INET_ADDRSTRLEN], ifname[IF_NAMESIZE + 16];
	const char *what = "join";
	int e;

	memset(&mr, 0, sizeof(mr));
	mr.imr_multiaddr = d->conf.group;
	mr.imr_ifindex = (int)d->conf.ifindex;
	mr.imr_address = d->group_src; /* IP_MULTICAST_IF: our source */
	/* Join first: a missing interface then reads ENODEV, not EINVAL. */
	/* EADDRINUSE: a socket held across restarts is still a member. */
	if (setsockopt(d->fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mr, sizeof(mr)) ==
		-1 &&
	    !(d->inherited && errno == EADDRINUSE))
		goto fail;
	what = "send to";
	if (setsockopt(d->fd, IPPROTO_IP, IP_MULTICAST_IF, &mr, sizeof(mr)) ==
	    -1)
		goto fail;
	return 0;
fail:
	e = errno;
	inet_ntop(AF_INET, &d->conf.group, group, sizeof(group));
	ifname_of(d->conf.ifindex, ifname, sizeof(ifname));
	snprintf(err, errlen, "discovery: %s %s on %s: %s", what, group, ifname,
	    strerror(e));
	return -1;
}

int
disc_udp_set_ifindex(
    struct disc_udp *d, unsigned int ifindex, char *err, size_t errlen)
{
	struct ip_mreqn mr;

	if (d->conf.ifindex == 0 || ifindex == 0)
		return 0; /* unicast only: no group to move */
	/* The old interface may be gone with its membership: ENODEV and
	 * EADDRNOTAVAIL are no failure here. */
	memset(&mr, 0, sizeof(mr));
	mr.imr_multiaddr = d->conf.group;
	mr.imr_ifindex = (int)d->conf.ifindex;
	(void)setsockopt(
	    d->fd, IPPROTO_IP, IP_DROP_MEMBERSHIP, &mr, sizeof(mr));
	d->conf.ifindex = ifindex;
	d->group_src.s_addr = 0; /* of the old link: the caller sets it anew */
	return join_group(d, err, errlen);
}

int
disc_udp_set_group_src(struct disc_udp *d, struct in_addr src)
{
	struct ip_mreqn mr;

	if (d->conf.ifindex == 0)
		return 0;
	memset(&mr, 0, sizeof(mr));
	mr.imr_ifindex = (int)d->conf.ifindex;
	mr.imr_address = src;
	if (setsockopt(d->fd, IPPROTO_IP, IP_MULTICAST_IF, &mr, sizeof(mr)) ==
	    -1)
		return -1;
	d->group_src = src;
	return 0;
}

struct disc_udp *
disc_udp_new(struct event_base *base, const struct disc_udp_conf *conf,
    disc_rx_cb *cb, void *arg, char *err, size_t errlen)
{
	struct disc_udp *d;

	if (conf->ifindex != 0 && !IN_MULTICAST(ntohl(conf->group.s_addr))) {
		char group[INET_ADDRSTRLEN];

		inet_ntop(AF_INET, &conf->group, group, sizeof(group));
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
		d->fd = disc_systemd_fd(AF_INET, err, errlen);
		if (d->fd == -2) {
			d->fd = -1;
			goto fail;
		}
		d->inherited = d->fd != -1;
	}
	if (!d->inherited)
		d->fd = socket(
		    AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (d->fd == -1) {
		snprintf(err, errlen, "discovery: socket: %s", strerror(errno));
		goto fail;
	}
	if (d->inherited && check_inherited(d, err, errlen) == -1)
		goto fail;
	if (set_options(d->fd, conf, err, errlen) == -1 ||
	    (!d->inherited && bind_port(d, err, errlen) == -1))
		goto fail;
	if (d->inherited)
		drain(d);
	if (conf->ifindex != 0 && join_group(d, err, errlen) == -1)
		goto fail;
	d->ev = event_new(base, d->fd, EV_READ | EV_PERSIST, read_cb, d);
	if (d->ev == NULL || event_add(d->ev, NULL) == -1) {
		snprintf(err, errlen,
		    "discovery: cannot add the socket to the loop");
		goto fail;
	}
	return d;
fail:
	if (d->ev != NULL)
		event_free(d->ev);
	if (d->fd != -1)
		close(d->fd);
	free(d);
	return NULL;
}

static void
destroy(struct disc_udp *d)
{
	event_free(d->ev);
	/* Closing leaves the group: the kernel sends the IGMP leave. */
	close(d->fd);
	free(d);
}

void
disc_udp_free(struct disc_udp *d)
{
	if (d == NULL)
		return;
	if (d->in_cb) {
		/* Called from our own callback: read_cb frees on return. */
		d->dead = true;
		event_del(d->ev);
		return;
	}
	destroy(d);
}

/*
 * The interface a datagram arrived on, from IP_PKTINFO (0 if unknown),
 * and its TTL, from IP_RECVTTL (-1 if unknown: dropped like a low one).
 */
static unsigned int
arrival(struct msghdr *msg, int *ttl)
{
	struct cmsghdr *c;
	struct in_pktinfo pi;
	unsigned int ifindex = 0;

	*ttl = -1;
	for (c = CMSG_FIRSTHDR(msg); c != NULL; c = CMSG_NXTHDR(msg, c)) {
		if (c->cmsg_level != IPPROTO_IP)
			continue;
		if (c->cmsg_type == IP_PKTINFO) {
			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			ifindex = (unsigned int)pi.ipi_ifindex;
		} else if (c->cmsg_type == IP_TTL) {
			memcpy(ttl, CMSG_DATA(c), sizeof(*ttl));
		}
	}
	return ifindex;
}

/*
 * Reads one datagram. Returns 1 if one was handed up or dropped, 0 when
 * the socket is empty, -1 on an error (counted).
 */
static int
read_one(struct disc_udp *d)
{
	struct sockaddr_in src;
	struct iovec iov = {
	    .iov_base = d->rx_buf, .iov_len = sizeof(d->rx_buf)};
	union {
		struct cmsghdr align;
		uint8_t b[CMSG_SPACE(sizeof(struct in_pktinfo)) +
			  CMSG_SPACE(sizeof(int)) +
			  CMSG_SPACE(sizeof(struct timespec))];
	} cbuf;
	struct msghdr msg;
	ssize_t n;
	size_t len;
	unsigned int ifindex;
	int ttl;

	memset(&msg, 0, sizeof(msg));
	msg.msg_name = &src;
	msg.msg_namelen = sizeof(src);
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = cbuf.b;
	msg.msg_controllen = sizeof(cbuf.b);
	/* MSG_TRUNC: return the real length even if it did not fit. */
	n = recvmsg(d->fd, &msg, MSG_TRUNC);
	if (n == -1) {
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
			return 0;
		d->stats.rx_errors++;
		d->stats.last_rx_errno = errno;
		return -1;
	}
	ifindex = arrival(&msg, &ttl);
	if (d->conf.ifindex != 0 && ifindex != 0 &&
	    ifindex != d->conf.ifindex) {
		d->stats.rx_other_if++;
		return 1;
	}
	if (msg.msg_namelen < sizeof(src) || src.sin_family != AF_INET)
		return 1;
	if (ttl != DISC_TTL) { /* RFC 5082: routed here, not from the link */
		d->stats.rx_dropped_ttl++;
		if (d->conf.on_drop != NULL)
			d->conf.on_drop(d->arg, DISC_DROP_TTL, &src);
		return 1;
	}
	len = (size_t)n;
	if (len > sizeof(d->rx_buf)) /* MSG_TRUNC: hand up what we hold */
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

/*
 * Drains the socket, at most DISC_RX_BURST datagrams per call so a flood
 * cannot starve the timers; the event is level-triggered, so what is left
 * comes back on the next loop iteration.
 */
static void
read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct disc_udp *d = arg;
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

/*
 * Reads now what is queued (a burst at most), as the read event would
 * later. The fence's holder calls this before it renews its kernel lease
 * (doc/protocol.md, "The fence"): a PROBE that arrived before the
 * renewal is answered before it. True if d was freed meanwhile (by a
 * callback): the caller must not use it again.
 */
/* The loop's first priority, with the core's timer (src/main.c). */
void
disc_udp_set_priority(struct disc_udp *d, int prio)
{
	if (event_base_get_npriorities(event_get_base(d->ev)) > prio)
		(void)event_priority_set(d->ev, prio);
}

uint64_t
disc_udp_rx_age_ms(const struct disc_udp *d)
{
	return d->rx_age_ms;
}

bool
disc_udp_drain(struct disc_udp *d)
{
	int i;

	if (d->in_cb)
		return false; /* inside our own callback: reading already */
	for (i = 0; i < DISC_RX_BURST; i++)
		if (read_one(d) <= 0 || d->dead)
			break;
	if (!d->dead)
		return false;
	destroy(d);
	return true;
}

int
disc_udp_send(struct disc_udp *d, const struct sockaddr_in *dest,
    const void *buf, size_t len)
{
	struct sockaddr_in group;

	if (len > DISC_DGRAM_MAX) {
		errno = EMSGSIZE;
		goto fail;
	}
	if (dest == NULL) {
		if (d->conf.ifindex == 0) {
			errno = EDESTADDRREQ;
			goto fail;
		}
		memset(&group, 0, sizeof(group));
		group.sin_family = AF_INET;
		group.sin_addr = d->conf.group;
		group.sin_port = htons(d->port);
		dest = &group;
	}
	if (sendto(d->fd, buf, len, 0, (const struct sockaddr *)dest,
		sizeof(*dest)) == -1)
		goto fail;
	d->stats.tx++;
	return 0;
fail:
	d->stats.tx_errors++;
	return -1;
}

int
disc_udp_get_fd(const struct disc_udp *d)
{
	return d->fd;
}

uint16_t
disc_udp_get_port(const struct disc_udp *d)
{
	return d->port;
}

void
disc_udp_get_stats(const struct disc_udp *d, struct disc_udp_stats *out)
{
	*out = d->stats;
}
