/*
 * netcfg/netcfg6.c — the IPv6 DMZ address (netcfg6.h): the I/O edge.
 *
 * Apart from netcfg.c on purpose: the IPv4 half holds the link state for
 * the cluster; this one holds only the second address. Sockets:
 *   - one rtnetlink socket: requests (acked) and RTNLGRP_IPV6_IFADDR, to
 *     see the address go (deleted by someone, or expired);
 *   - a send-only AF_PACKET socket for the NS probes and NA announcements,
 *     whole frames from nd_frame.c (a DAD probe comes from ::, which no
 *     IPv6 socket sends; an announcement goes out even while the nftables
 *     lease would drop what the kernel sends from the address);
 *   - an AF_PACKET receiver, open only while probing or holding, filtered
 *     in the kernel to ICMPv6 NS and NA: the probe's conflicts, and the
 *     holder's defence (RFC 5227 2.4 done the IPv6 way: a foreign NA for
 *     the address is answered with one override NA at most every
 *     NETCFG_DEFEND_INTERVAL_MS, and reported; the address is kept).
 * The lease: an nftables table "inet qure6_<if>_<hash>" drops IPv6 to and
 * from the address unless its set holds an element with the lease as
 * timeout, and the kernel lifetimes (whole seconds) are the backstop.
 * The guard: a child that deletes the address and empties the set when
 * the lease end passes without a tick, and the moment qured dies.
 */
#include "config.h"

#include "netcfg/netcfg6.h"

#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <arpa/inet.h>
#include <linux/filter.h>
#include <linux/if_addr.h>
#include <linux/if_packet.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <linux/netfilter.h>

#include "base/fds.h"
#include "base/log.h"
#include "netcfg/nd.h"
#include "netcfg/netcfg_int.h"
#include "netcfg/nft_batch.h"

#define NL_BUF 256
#define NL_RXBUF 16384

struct netcfg6 {
	struct event_base *base;
	struct netcfg6_conf conf;
	struct netcfg6_cb cb;
	void *arg;
	int ifindex;
	uint8_t mac[6];
	char cidr[INET6_ADDRSTRLEN + 5];
	bool held;
	bool refused; /* the last add was refused (said once) */
	uint32_t lease_ms;
	uint64_t lease_end_ms;
	uint64_t peer_lease_end_ms; /* netcfg6_set_peer_lease_end(); or 0 */

	int nl;		  /* rtnetlink: requests, acks, IPv6 address events */
	uint32_t nl_seq;  /* of the last request */
	uint32_t add_seq; /* of the last add */
	struct event *ev_nl;

	int tx; /* AF_PACKET, send only */
	int rx; /* AF_PACKET, NS and NA, while probing or held; else -1 */
	struct netcfg_defend defend;
	struct event *ev_rx, *ev_probe, *ev_announce;
	unsigned probe_count, probe_gap, probe_wait, probe_sent;
	bool probing;
	enum netcfg_probe_result probe_result;
	uint8_t probe_mac[6];
	unsigned announce_left, announce_gap;
	uint8_t member[NETCFG_MAX_MEMBER_MACS][6];
	size_t n_member;

	bool nft_on;		   /* the table is made (once) */
	struct mnl_socket *nft_nl; /* the renewals (nft_batch.c) */
	uint32_t nft_seq;
	bool nft_failing;
	char nft_table[48];
	char nft_clear[96];

	int guard_fd; /* write end of the guard's pipe; -1: none */
	pid_t guard_pid;
	int farewell_fd; /* the cluster's IPv6 socket; -1: no farewell */
	struct sockaddr_in6 farewell_to;
	uint8_t farewell[NETCFG_FAREWELL_MAX];
	size_t farewell_len;
};

static void set_err(char *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void rx_update(struct netcfg6 *);

static void
set_err(char *err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, NETCFG_ERR_MAX, fmt, ap);
	va_end(ap);
}

/* ---- netlink ---- */

static void
put_attr(uint8_t *buf, size_t *len, uint16_t type, const void *d, size_t n)
{
	struct rtattr rta;

	if (*len + RTA_SPACE(n) > NL_BUF)
		abort(); /* fixed sizes: a bug, not input */
	rta.rta_len = (unsigned short)RTA_LENGTH(n);
	rta.rta_type = type;
	memset(buf + *len, 0, RTA_SPACE(n));
	memcpy(buf + *len, &rta, sizeof(rta));
	memcpy(buf + *len + RTA_LENGTH(0), d, n);
	*len += RTA_SPACE(n);
}

/* RTM_NEWADDR (lifetime_s > 0) or RTM_DELADDR (0) for the address. */
static size_t
build(const struct netcfg6 *nc, uint32_t lifetime_s, uint32_t seq,
    uint8_t buf[NL_BUF])
{
	struct nlmsghdr h;
	struct ifaddrmsg ifa;
	struct ifa_cacheinfo ci;
	uint32_t flags = IFA_F_NODAD;
	size_t len = NLMSG_LENGTH(sizeof(ifa));

	memset(buf, 0, NL_BUF);
	memset(&h, 0, sizeof(h));
	memset(&ifa, 0, sizeof(ifa));
	h.nlmsg_type = lifetime_s > 0 ? RTM_NEWADDR : RTM_DELADDR;
	h.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	if (lifetime_s > 0)
		h.nlmsg_flags |= NLM_F_CREATE | NLM_F_REPLACE;
	h.nlmsg_seq = seq;
	ifa.ifa_family = AF_INET6;
	ifa.ifa_prefixlen = nc->conf.dmz_prefix;
	ifa.ifa_flags = lifetime_s > 0 ? IFA_F_NODAD : 0;
	ifa.ifa_scope = RT_SCOPE_UNIVERSE;
	ifa.ifa_index = (unsigned)nc->ifindex;
	memcpy(NLMSG_DATA(buf), &ifa, sizeof(ifa));
	put_attr(buf, &len, IFA_LOCAL, &nc->conf.dmz, 16);
	if (lifetime_s > 0) {
		/* No DAD: our own probe ran; the kernel's would keep the
		 * address tentative (unusable) for a second. */
		put_attr(buf, &len, IFA_FLAGS, &flags, sizeof(flags));
		memset(&ci, 0, sizeof(ci));
		ci.ifa_prefered = lifetime_s;
		ci.ifa_valid = lifetime_s;
		put_attr(buf, &len, IFA_CACHEINFO, &ci, sizeof(ci));
	}
	h.nlmsg_len = (uint32_t)len;
	memcpy(buf, &h, sizeof(h));
	return len;
}

static int
nl_send(struct netcfg6 *nc, uint32_t lifetime_s, const char *what)
{
	struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
	uint8_t buf[NL_BUF];
	size_t len;

	nc->nl_seq++;
	len = build(nc, lifetime_s, nc->nl_seq, buf);
	if (sendto(nc->nl, buf, len, 0, (struct sockaddr *)&kernel,
		sizeof(kernel)) == -1) {
		log_warn("netcfg: %s %s", what, nc->cidr);
		return -1;
	}
	return 0;
}

static bool
is_our_addr(const struct netcfg6 *nc, const struct nlmsghdr *h)
{
	const struct ifaddrmsg *ifa = NLMSG_DATA(h);
	const struct rtattr *rta;
	int len;

	if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*ifa)) ||
	    ifa->ifa_family != AF_INET6 || (int)ifa->ifa_index != nc->ifindex)
		return false;
	len = (int)IFA_PAYLOAD(h);
	for (rta = IFA_RTA(ifa); RTA_OK(rta, len); rta = RTA_NEXT(rta, len))
		if ((rta->rta_type == IFA_ADDRESS ||
			rta->rta_type == IFA_LOCAL) &&
		    RTA_PAYLOAD(rta) == 16 &&
		    memcmp(RTA_DATA(rta), &nc->conf.dmz, 16) == 0)
			return true;
	return false;
}

static void
lost(struct netcfg6 *nc)
{
	if (!nc->held)
		return;
	nc->held = false;
	rx_update(nc);
	log_warnx("netcfg: %s left %s", nc->cidr, nc->conf.ifname);
	if (nc->cb.addr_lost != NULL)
		nc->cb.addr_lost(nc->arg);
}

static void
nl_cb(evutil_socket_t fd, short what, void *arg)
{
	struct netcfg6 *nc = arg;
	static uint8_t buf[NL_RXBUF];
	struct nlmsghdr *h;
	ssize_t n;
	int len, i;

	(void)what;
	for (i = 0; i < 16; i++) {
		n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n <= 0) {
			if (n == -1 && errno == ENOBUFS && nc->held) {
				/* Events lost: ask whether it is still there
				 * by adding it again (a refresh). */
				(void)netcfg6_addr_add(nc, nc->lease_ms);
				continue;
			}
			return;
		}
		len = (int)n;
		for (h = (struct nlmsghdr *)buf; NLMSG_OK(h, (unsigned)len);
		     h = NLMSG_NEXT(h, len)) {
			if (h->nlmsg_type == NLMSG_ERROR &&
			    h->nlmsg_len >=
				NLMSG_LENGTH(sizeof(struct nlmsgerr))) {
				const struct nlmsgerr *e = NLMSG_DATA(h);

				if (e->error == 0 ||
				    h->nlmsg_seq != nc->add_seq)
					continue;
				if (!nc->refused)
					log_warnx("netcfg: the kernel refused "
						  "%s on %s: %s",
					    nc->cidr, nc->conf.ifname,
					    strerror(-e->error));
				nc->refused = true;
				lost(nc);
			} else if (h->nlmsg_type == RTM_DELADDR &&
				   is_our_addr(nc, h)) {
				lost(nc);
			}
		}
	}
}

/* ---- nftables ---- */

static int
nft_run(struct netcfg6 *nc, const char *cmd, const char *what)
{
	char e[256];

	if (netcfg_nft_run(cmd, e, sizeof(e)) == 0) {
		nc->nft_failing = false;
		return 0;
	}
	if (!nc->nft_failing)
		log_warnx("netcfg: nft %s for %s: %s", what, nc->cidr, e);
	nc->nft_failing = true;
	return -1;
}

static int
nft_install(struct netcfg6 *nc)
{
	char cmd[1024], ip[INET6_ADDRSTRLEN];
	const char *t = nc->nft_table;

	inet_ntop(AF_INET6, &nc->conf.dmz, ip, sizeof(ip));
	snprintf(cmd, sizeof(cmd),
	    "table inet %s {}\n"
	    "delete table inet %s\n"
	    "table inet %s {\n"
	    " set lease { type ipv6_addr; flags timeout; }\n"
	    " chain in { type filter hook input priority 0; policy accept;\n"
	    "  ip6 daddr %s ip6 daddr != @lease drop\n }\n"
	    " chain out { type filter hook output priority 0; policy accept;\n"
	    "  ip6 saddr %s ip6 saddr != @lease drop\n }\n"
	    "}\n",
	    t, t, t, ip, ip);
	return nft_run(nc, cmd, "tables");
}

static void
nft_open(struct netcfg6 *nc)
{
	uint32_t h = 2166136261u;
	char tag[NETCFG_IFNAME_MAX];
	size_t i;

	for (i = 0; i < 16; i++)
		h = (h ^ nc->conf.dmz.s6_addr[i]) * 16777619u;
	for (i = 0; nc->conf.ifname[i] != '\0' && i + 1 < sizeof(tag); i++) {
		char ch = nc->conf.ifname[i];

		tag[i] =
		    ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
			(ch >= '0' && ch <= '9'))
			? ch
			: '_';
	}
	tag[i] = '\0';
	snprintf(nc->nft_table, sizeof(nc->nft_table), "qure6_%s_%08x", tag,
	    (unsigned)h);
	snprintf(nc->nft_clear, sizeof(nc->nft_clear),
	    "flush set inet %s lease\n", nc->nft_table);
	nc->nft_nl = nft_batch_open();
	if (nc->nft_nl != NULL && nft_install(nc) == 0) {
		nc->nft_on = true;
		return;
	}
	nft_batch_close(nc->nft_nl);
	nc->nft_nl = NULL;
	log_warnx("netcfg: no nftables lease for %s; the kernel lifetime "
		  "(whole seconds) is the only lease",
	    nc->cidr);
}

/* Replaces the lease element (timeout_ms 0: empties the set). */
static int
nft_renew(struct netcfg6 *nc, uint32_t timeout_ms)
{
	struct nft_batch_lease l = {
	    .table = nc->nft_table,
	    .families = {NFPROTO_INET},
	    .n_families = 1,
	    .key = nc->conf.dmz.s6_addr,
	    .key_len = sizeof(nc->conf.dmz.s6_addr),
	};

	return nft_batch_renew(nc->nft_nl, &nc->nft_seq, &l, timeout_ms);
}

/* nft_renew(), or the table again and once more: ours was gone (a flush
 * ruleset). A failure is logged once. */
static int
nft_lease(struct netcfg6 *nc, uint32_t timeout_ms, const char *what)
{
	if (!nc->nft_on)
		return 0;
	if (nft_renew(nc, timeout_ms) == 0) {
		nc->nft_failing = false;
		return 0;
	}
	if (nft_install(nc) == 0 && nft_renew(nc, timeout_ms) == 0) {
		nc->nft_failing = false;
		log_warnx("netcfg: nftables table %s was gone; made it again",
		    nc->nft_table);
		return 0;
	}
	if (!nc->nft_failing)
		log_warnx("netcfg: nft %s for %s: %s", what, nc->cidr,
		    strerror(errno));
	nc->nft_failing = true;
	return -1;
}

/* ---- the guard ---- */

/*
 * As netcfg_guard.c, smaller: one fixed-size message per tick (512
 * bytes, one atomic write), the lease end and the holder's farewell; the
 * last one wins. The farewell (a RESIGN, election/) goes to the IPv6
 * group on the cluster's IPv6 socket when qured dies holding the address
 * under a lease not yet over; never when the ticks stop (a frozen qured
 * may run again) or qured stops the guard itself (GUARD6_STOP).
 */
struct guard6_msg {
	uint64_t lease_end; /* ms on conf.now_ms; 0: not held */
	uint16_t len;	    /* of the farewell; 0: none */
	uint16_t flags;
	uint32_t pad;
	uint8_t farewell[NETCFG_FAREWELL_MAX];
};
#define GUARD6_STOP 0x0001

_Static_assert(sizeof(struct guard6_msg) == 512, "guard6_msg: 512 bytes");
_Static_assert(sizeof(struct guard6_msg) <= PIPE_BUF, "atomic pipe writes");

struct guard6_job {
	uint8_t req[NL_BUF];
	size_t len;
	char nft_clear[96];
	int farewell_fd;
	struct sockaddr_in6 farewell_to;
	uint64_t (*now_ms)(void);
};

static ssize_t
guard_write(struct netcfg6 *nc, uint16_t flags)
{
	struct guard6_msg m;

	memset(&m, 0, sizeof(m));
	m.lease_end = nc->held
			  ? netcfg_guard_deadline(netcfg6_lease_enforced(nc),
				nc->lease_end_ms, nc->peer_lease_end_ms)
			  : 0;
	m.flags = flags;
	if (nc->held && !(flags & GUARD6_STOP) && nc->farewell_len > 0) {
		m.len = (uint16_t)nc->farewell_len;
		memcpy(m.farewell, nc->farewell, nc->farewell_len);
	}
	return write(nc->guard_fd, &m, sizeof(m));
}

static void
guard_tick(struct netcfg6 *nc)
{
	/* EAGAIN (a stopped guard, its pipe full) or EPIPE (it died):
	 * nothing to do here; the kernel lifetime still covers. */
	if (nc->guard_fd != -1)
		(void)!guard_write(nc, 0);
}

/* In the child: the address and the lease go, now. */
static void
guard_drop(const struct guard6_job *j)
{
	struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
	int fd;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd != -1) {
		(void)sendto(fd, j->req, j->len, 0, (struct sockaddr *)&kernel,
		    sizeof(kernel));
		close(fd);
	}
	netcfg_nft_clear_in_child(j->nft_clear);
}

static void
guard_main(int rd, const struct guard6_job *j)
{
	struct pollfd p = {.fd = rd, .events = POLLIN};
	static struct guard6_msg buf[16], last;
	uint64_t now;
	ssize_t n;
	int r, wait;

	signal(SIGINT, SIG_IGN);
	signal(SIGTERM, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	prctl(PR_SET_NAME, "qured-guard6", 0, 0, 0);
	memset(&last, 0, sizeof(last));
	for (;;) {
		now = j->now_ms();
		wait = last.lease_end == 0     ? -1
		       : now >= last.lease_end ? 0
		       : last.lease_end - now > 60000
			   ? 60000
			   : (int)(last.lease_end - now);
		r = poll(&p, 1, wait);
		if (r == 0) {
			if (j->now_ms() < last.lease_end)
				continue;
			/* Stuck, not gone: no farewell. */
			guard_drop(j);
			memset(&last, 0, sizeof(last));
			continue;
		}
		if (r == -1 && errno == EINTR)
			continue;
		n = r == -1 ? -1 : read(rd, buf, sizeof(buf));
		if (n == -1 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0)
			break; /* qured is gone */
		if ((size_t)n >= sizeof(last))
			last = buf[(size_t)n / sizeof(last) - 1];
		if (last.flags & GUARD6_STOP)
			break;
	}
	guard_drop(j);
	/* Dead within a second of its last tick (netcfg_guard.c). */
	if (!(last.flags & GUARD6_STOP) && last.lease_end != 0 &&
	    j->now_ms() < last.lease_end + 1000 && j->farewell_fd != -1 &&
	    last.len > 0 && last.len <= sizeof(last.farewell))
		(void)sendto(j->farewell_fd, last.farewell, last.len, 0,
		    (const struct sockaddr *)&j->farewell_to,
		    sizeof(j->farewell_to));
	_exit(0);
}

void
netcfg6_guard_set_farewell_to(
    struct netcfg6 *nc, int fd, const struct sockaddr_in6 *to)
{
	nc->farewell_fd = fd;
	if (to != NULL)
		nc->farewell_to = *to;
}

int
netcfg6_guard_farewell(struct netcfg6 *nc, const uint8_t *buf, size_t len)
{
	int r = 0;

	if (len > sizeof(nc->farewell)) {
		log_warnx("netcfg: a farewell of %zu bytes does not fit the "
			  "IPv6 guard's %zu; none kept",
		    len, sizeof(nc->farewell));
		len = 0;
		r = -1;
	}
	if (len > 0)
		memcpy(nc->farewell, buf, len);
	nc->farewell_len = len;
	guard_tick(nc);
	return r;
}

int
netcfg6_guard_start(struct netcfg6 *nc)
{
	struct guard6_job j;
	int p[2];
	pid_t pid;

	if (nc->guard_fd != -1)
		return 0;
	memset(&j, 0, sizeof(j));
	j.len = build(nc, 0, 0, j.req);
	if (nc->nft_on)
		snprintf(j.nft_clear, sizeof(j.nft_clear), "%s", nc->nft_clear);
	j.farewell_fd = nc->farewell_fd;
	j.farewell_to = nc->farewell_to;
	j.now_ms = nc->conf.now_ms;
	if (pipe2(p, O_CLOEXEC) == -1) {
		log_warn("netcfg: address guard (IPv6)");
		return -1;
	}
	pid = fork();
	if (pid == 0) {
		int keep[2] = {p[0], j.farewell_fd};

		fds_close_except(keep, 2);
		guard_main(p[0], &j);
	}
	close(p[0]);
	if (pid == -1) {
		close(p[1]);
		log_warn("netcfg: address guard (IPv6)");
		return -1;
	}
	(void)fcntl(p[1], F_SETFL, O_NONBLOCK);
	(void)fcntl(p[1], F_SETPIPE_SZ, 1024 * 1024);
	nc->guard_fd = p[1];
	nc->guard_pid = pid;
	guard_tick(nc);
	return 0;
}

static void
guard_stop(struct netcfg6 *nc)
{
	if (nc->guard_fd == -1)
		return;
	/* STOP: no farewell, we are alive. If it cannot be written (the
	 * guard alone stopped, its pipe full), it must not speak later. */
	if (guard_write(nc, GUARD6_STOP) != (ssize_t)sizeof(struct guard6_msg))
		(void)kill(nc->guard_pid, SIGKILL);
	close(nc->guard_fd); /* EOF: it deletes the address and exits */
	nc->guard_fd = -1;
	(void)waitpid(nc->guard_pid, NULL, 0);
	nc->guard_pid = 0;
}

/* ---- neighbour discovery ---- */

static int
send_frame(struct netcfg6 *nc, const uint8_t *f, size_t len)
{
	struct sockaddr_ll ll;

	memset(&ll, 0, sizeof(ll));
	ll.sll_family = AF_PACKET;
	ll.sll_protocol = htons(ETH_P_IPV6);
	ll.sll_ifindex = nc->ifindex;
	ll.sll_halen = 6;
	memcpy(ll.sll_addr, f, 6);
	return sendto(nc->tx, f, len, 0, (struct sockaddr *)&ll, sizeof(ll)) ==
		       -1
		   ? -1
		   : 0;
}

static int
send_announce(struct netcfg6 *nc)
{
	uint8_t f[NETCFG_ND_FRAME_MAX];
	size_t len = netcfg_nd_encode_announce(
	    nc->mac, nc->conf.dmz.s6_addr, f, sizeof(f));

	return send_frame(nc, f, len);
}

static int
send_probe(struct netcfg6 *nc)
{
	uint8_t f[NETCFG_ND_FRAME_MAX];
	size_t len =
	    netcfg_nd_encode_probe(nc->mac, nc->conf.dmz.s6_addr, f, sizeof(f));

	return send_frame(nc, f, len);
}

static void
after(struct event *ev, unsigned ms)
{
	struct timeval tv = {
	    (time_t)(ms / 1000), (suseconds_t)(ms % 1000) * 1000};

	evtimer_add(ev, &tv);
}

static void
announce_cb(evutil_socket_t fd, short what, void *arg)
{
	struct netcfg6 *nc = arg;

	(void)fd;
	(void)what;
	if (nc->announce_left == 0 || !nc->held)
		return;
	if (send_announce(nc) == -1)
		log_warn("netcfg: announce %s", nc->cidr);
	if (--nc->announce_left > 0)
		after(nc->ev_announce, nc->announce_gap);
}

int
netcfg6_announce(struct netcfg6 *nc, unsigned count, unsigned gap_ms)
{
	evtimer_del(nc->ev_announce);
	nc->announce_left = 0;
	if (count == 0)
		return 0;
	if (send_announce(nc) == -1) {
		log_warn("netcfg: announce %s", nc->cidr);
		return -1;
	}
	nc->announce_left = count - 1;
	nc->announce_gap = gap_ms;
	if (nc->announce_left > 0)
		after(nc->ev_announce, gap_ms);
	return 0;
}

static void
rx_close(struct netcfg6 *nc)
{
	if (nc->ev_rx != NULL)
		event_free(nc->ev_rx);
	nc->ev_rx = NULL;
	if (nc->rx != -1)
		close(nc->rx);
	nc->rx = -1;
}

static int rx_open(struct netcfg6 *);

/* The receiver is open while probing or holding, closed otherwise. */
static void
rx_update(struct netcfg6 *nc)
{
	if (!nc->probing && !nc->held)
		rx_close(nc);
	else if (nc->rx == -1 && rx_open(nc) == -1)
		log_warn("netcfg: listen for neighbour advertisements on %s",
		    nc->conf.ifname);
}

/* The probe's decision, reported from the loop (a timer or a frame). */
static void
probe_end(struct netcfg6 *nc, enum netcfg_probe_result r, const uint8_t *mac)
{
	uint8_t zero[6] = {0};

	nc->probing = false;
	evtimer_del(nc->ev_probe);
	rx_update(nc);
	if (nc->cb.probe_done != NULL)
		nc->cb.probe_done(nc->arg, r, mac != NULL ? mac : zero);
}

static int send_announce(struct netcfg6 *);

/* The holder's defence: one override NA per interval, then reports. */
static void
defend(struct netcfg6 *nc, const uint8_t *mac)
{
	uint8_t who[6];

	memcpy(who, mac, 6); /* mac points into the receive buffer */
	switch (netcfg_defend_on_conflict(&nc->defend, nc->conf.now_ms())) {
	case NETCFG_DEFEND_ANNOUNCE:
		if (send_announce(nc) == -1)
			log_warn("netcfg: defend %s", nc->cidr);
		if (nc->cb.conflict != NULL)
			nc->cb.conflict(nc->arg, who, false);
		break;
	case NETCFG_DEFEND_AGAIN:
		if (nc->cb.conflict != NULL)
			nc->cb.conflict(nc->arg, who, true);
		break;
	case NETCFG_DEFEND_QUIET:
		break;
	}
}

static void
rx_cb(evutil_socket_t fd, short what, void *arg)
{
	struct netcfg6 *nc = arg;
	uint8_t f[256];
	struct netcfg_nd nd;
	ssize_t n;
	int i;

	(void)what;
	for (i = 0; i < 64 && (nc->probing || nc->held); i++) {
		n = recv(fd, f, sizeof(f), MSG_DONTWAIT);
		if (n <= 0)
			return;
		if (netcfg_nd_decode(f, (size_t)n, &nd) != NETCFG_ND_OK ||
		    !netcfg_nd_is_conflict(&nd, nc->conf.dmz.s6_addr, nc->mac,
			(const uint8_t(*)[6])nc->member, nc->n_member))
			continue;
		if (nc->probing) {
			probe_end(
			    nc, NETCFG_PROBE_CONFLICT, netcfg_nd_sender(&nd));
			return;
		}
		/* Holding, only a claim is one (an NA, as RFC 5227 2.4
		 * counts only ARP with the address as sender): a probe of
		 * it is answered by the kernel itself, the address being
		 * ours, and a member probing is not yet in the list. */
		if (nd.type == NETCFG_ND_NA)
			defend(nc, netcfg_nd_sender(&nd));
	}
}

/* ICMPv6 NS or NA, no extension headers: the only frames we read. */
static int
rx_open(struct netcfg6 *nc)
{
	static const struct sock_filter code[] = {
	    BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 12),
	    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0x86dd, 0, 5),
	    BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 20),
	    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 58, 0, 3),
	    BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 54),
	    BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, NETCFG_ND_NS, 0, 1),
	    BPF_JUMP(BPF_JMP | BPF_JGT | BPF_K, NETCFG_ND_NA, 0, 1),
	    BPF_STMT(BPF_RET | BPF_K, 0),
	    BPF_STMT(BPF_RET | BPF_K, 256),
	};
	struct sock_fprog prog = {
	    sizeof(code) / sizeof(code[0]), (struct sock_filter *)code};
	struct sockaddr_ll ll;

	if (nc->rx != -1)
		return 0;
	nc->rx = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    htons(ETH_P_IPV6));
	if (nc->rx == -1)
		return -1;
	memset(&ll, 0, sizeof(ll));
	ll.sll_family = AF_PACKET;
	ll.sll_protocol = htons(ETH_P_IPV6);
	ll.sll_ifindex = nc->ifindex;
	if (setsockopt(nc->rx, SOL_SOCKET, SO_ATTACH_FILTER, &prog,
		sizeof(prog)) == -1 ||
	    bind(nc->rx, (struct sockaddr *)&ll, sizeof(ll)) == -1) {
		rx_close(nc);
		return -1;
	}
	nc->ev_rx =
	    event_new(nc->base, nc->rx, EV_READ | EV_PERSIST, rx_cb, nc);
	if (nc->ev_rx == NULL || event_add(nc->ev_rx, NULL) == -1) {
		rx_close(nc);
		return -1;
	}
	return 0;
}

static void
probe_cb(evutil_socket_t fd, short what, void *arg)
{
	struct netcfg6 *nc = arg;

	(void)fd;
	(void)what;
	if (!nc->probing)
		return;
	if (nc->probe_sent >= nc->probe_count) {
		probe_end(nc, NETCFG_PROBE_FREE, NULL);
		return;
	}
	if (send_probe(nc) == -1) {
		probe_end(nc, NETCFG_PROBE_FAILED, NULL);
		return;
	}
	nc->probe_sent++;
	after(nc->ev_probe,
	    nc->probe_sent < nc->probe_count ? nc->probe_gap : nc->probe_wait);
}

void
netcfg6_probe_stop(struct netcfg6 *nc)
{
	evtimer_del(nc->ev_probe);
	nc->probing = false;
	rx_update(nc);
}

int
netcfg6_probe(
    struct netcfg6 *nc, unsigned count, unsigned gap_ms, unsigned wait_ms)
{
	evtimer_del(nc->ev_probe);
	nc->probing = false;
	if (count == 0)
		count = 1;
	if (rx_open(nc) == -1) {
		log_warn("netcfg: listen for neighbour advertisements on %s",
		    nc->conf.ifname);
		return -1;
	}
	if (send_probe(nc) == -1) {
		log_warn("netcfg: probe %s", nc->cidr);
		rx_close(nc);
		return -1;
	}
	nc->probing = true;
	nc->probe_count = count;
	nc->probe_gap = gap_ms;
	nc->probe_wait = wait_ms;
	nc->probe_sent = 1;
	after(nc->ev_probe, count > 1 ? gap_ms : wait_ms);
	return 0;
}

void
netcfg6_set_member_macs(struct netcfg6 *nc, const uint8_t (*macs)[6], size_t n)
{
	if (n > NETCFG_MAX_MEMBER_MACS)
		n = NETCFG_MAX_MEMBER_MACS;
	if (n > 0)
		memcpy(nc->member, macs, n * 6);
	nc->n_member = n;
}

/* ---- the address ---- */

int
netcfg6_addr_add(struct netcfg6 *nc, uint32_t lease_ms)
{
	(void)nft_lease(nc, lease_ms > 0 ? lease_ms : 1, "lease");
	nc->add_seq = nc->nl_seq + 1;
	if (nl_send(nc, netcfg_lease_secs(lease_ms), "add") == -1)
		return -1;
	nc->held = true;
	nc->refused = false;
	rx_update(nc);
	nc->lease_ms = lease_ms;
	nc->lease_end_ms = nc->conf.now_ms() + lease_ms;
	guard_tick(nc);
	return 0;
}

static int
del(struct netcfg6 *nc)
{
	nc->held = false;
	rx_update(nc);
	nc->lease_end_ms = 0;
	nc->announce_left = 0;
	evtimer_del(nc->ev_announce);
	(void)nft_lease(nc, 0, "clear lease");
	guard_tick(nc);
	return nl_send(nc, 0, "delete");
}

int
netcfg6_addr_del(struct netcfg6 *nc)
{
	return del(nc);
}

int
netcfg6_addr_remove_stale(struct netcfg6 *nc)
{
	return del(nc);
}

bool
netcfg6_is_held(const struct netcfg6 *nc)
{
	return nc->held;
}

void
netcfg6_set_peer_lease_end(struct netcfg6 *nc, uint64_t until_ms)
{
	nc->peer_lease_end_ms = until_ms;
}

bool
netcfg6_lease_enforced(const struct netcfg6 *nc)
{
	return nc->nft_on && !nc->nft_failing;
}

uint32_t
netcfg6_enforced_lease_ms(const struct netcfg6 *nc)
{
	if (!nc->held)
		return 0;
	return netcfg6_lease_enforced(nc)
		   ? nc->lease_ms
		   : netcfg_lease_secs(nc->lease_ms) * 1000;
}

uint32_t
netcfg6_kernel_lifetime_s(const struct netcfg6 *nc)
{
	return nc->held ? netcfg_lease_secs(nc->lease_ms) : 0;
}

static int
read_mac(struct netcfg6 *nc)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", nc->conf.ifname);
	if (ioctl(nc->tx, SIOCGIFHWADDR, &ifr) == -1)
		return -1;
	if (ifr.ifr_hwaddr.sa_family != ARPHRD_ETHER) {
		errno = EAFNOSUPPORT;
		return -1;
	}
	memcpy(nc->mac, ifr.ifr_hwaddr.sa_data, 6);
	return 0;
}

void
netcfg6_relink(struct netcfg6 *nc, int ifindex)
{
	bool guard = nc->guard_fd != -1;

	nc->ifindex = ifindex;
	nc->held = false;
	if (nc->probing)
		probe_end(nc, NETCFG_PROBE_FAILED, NULL);
	rx_close(nc); /* bound to the old index */
	if (read_mac(nc) == -1)
		log_warn("netcfg: link %s", nc->conf.ifname);
	/* The guard's delete request names the old index. */
	if (guard) {
		guard_stop(nc);
		(void)netcfg6_guard_start(nc);
	}
}

struct netcfg6 *
netcfg6_new(struct event_base *base, const struct netcfg6_conf *conf,
    const struct netcfg6_cb *cb, void *arg, char err[NETCFG_ERR_MAX])
{
	struct sockaddr_nl local = {.nl_family = AF_NETLINK};
	struct netcfg6 *nc;
	char ip[INET6_ADDRSTRLEN];
	int rcv = 1 << 20;

	if (conf->now_ms == NULL || conf->dmz_prefix < 1 ||
	    conf->dmz_prefix > 128) {
		set_err(err, "netcfg: bad IPv6 DMZ settings");
		return NULL;
	}
	if ((nc = calloc(1, sizeof(*nc))) == NULL)
		abort();
	nc->base = base;
	nc->conf = *conf;
	if (cb != NULL)
		nc->cb = *cb;
	nc->arg = arg;
	nc->nl = nc->tx = nc->rx = nc->guard_fd = nc->farewell_fd = -1;
	inet_ntop(AF_INET6, &conf->dmz, ip, sizeof(ip));
	snprintf(nc->cidr, sizeof(nc->cidr), "%s/%u", ip,
	    (unsigned)conf->dmz_prefix);
	nc->ifindex = (int)if_nametoindex(conf->ifname);
	if (nc->ifindex == 0) {
		set_err(err, "netcfg: interface %s not found", conf->ifname);
		goto fail;
	}
	nc->tx = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (nc->tx == -1 || read_mac(nc) == -1) {
		set_err(err, "netcfg: packet socket on %s: %s", conf->ifname,
		    strerror(errno));
		goto fail;
	}
	nc->nl = socket(
	    AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_ROUTE);
	local.nl_groups = RTMGRP_IPV6_IFADDR;
	if (nc->nl == -1 ||
	    bind(nc->nl, (struct sockaddr *)&local, sizeof(local)) == -1) {
		set_err(err, "netcfg: netlink: %s", strerror(errno));
		goto fail;
	}
	(void)setsockopt(nc->nl, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));
	nc->ev_nl = event_new(base, nc->nl, EV_READ | EV_PERSIST, nl_cb, nc);
	nc->ev_probe = evtimer_new(base, probe_cb, nc);
	nc->ev_announce = evtimer_new(base, announce_cb, nc);
	if (nc->ev_nl == NULL || nc->ev_probe == NULL ||
	    nc->ev_announce == NULL || event_add(nc->ev_nl, NULL) == -1) {
		set_err(err, "netcfg: cannot add IPv6 events to the loop");
		goto fail;
	}
	nft_open(nc);
	return nc;
fail:
	netcfg6_free(nc);
	return NULL;
}

void
netcfg6_free(struct netcfg6 *nc)
{
	char cmd[96];

	if (nc == NULL)
		return;
	guard_stop(nc);
	rx_close(nc);
	if (nc->ev_nl != NULL)
		event_free(nc->ev_nl);
	if (nc->ev_probe != NULL)
		event_free(nc->ev_probe);
	if (nc->ev_announce != NULL)
		event_free(nc->ev_announce);
	if (nc->nft_on) {
		snprintf(
		    cmd, sizeof(cmd), "delete table inet %s\n", nc->nft_table);
		(void)nft_run(nc, cmd, "delete table");
	}
	nft_batch_close(nc->nft_nl);
	if (nc->nl != -1)
		close(nc->nl);
	if (nc->tx != -1)
		close(nc->tx);
	free(nc);
}
