#include "config.h"

#include "netcfg/netcfg.h"

#include <sys/socket.h>
#include <linux/if_addr.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>

#include "base/log.h"
#include "netcfg/netcfg_int.h"

/*
 * Two rtnetlink sockets, both non-blocking in the loop. Requests are
 * built by hand into fixed buffers: the kernel applies an RTM_NEWADDR
 * inside sendmsg(), so a request never waits, and its ack (or error)
 * arrives on nl_req later. nl_watch only listens to the multicast groups.
 */

#define NL_RXBUF 16384
#define NL_WATCH_RCVBUF (1 << 20)

static void
put_attr(
    uint8_t *buf, size_t *len, uint16_t type, const void *data, size_t dlen)
{
	struct rtattr rta;

	if (*len + RTA_SPACE(dlen) > NETCFG_NLBUF)
		abort(); /* sizes are fixed: a bug, not input */
	rta.rta_len = (unsigned short)RTA_LENGTH(dlen);
	rta.rta_type = type;
	memset(buf + *len, 0, RTA_SPACE(dlen));
	memcpy(buf + *len, &rta, sizeof(rta));
	memcpy(buf + *len + RTA_LENGTH(0), data, dlen);
	*len += RTA_SPACE(dlen);
}

enum nl_what { NL_ADD, NL_DEL, NL_DEL_ANY };

/*
 * RTM_NEWADDR / RTM_DELADDR for the DMZ address. NL_DEL_ANY carries only
 * IFA_LOCAL, which the kernel matches whatever the prefix length: a stale
 * address left with another prefix goes too.
 */
static size_t
build(const struct netcfg *nc, enum nl_what what, uint8_t *buf, size_t *ci_off)
{
	struct nlmsghdr h;
	struct ifaddrmsg ifa;
	struct ifa_cacheinfo ci;
	size_t len = NLMSG_LENGTH(sizeof(ifa));
	uint32_t flags = IFA_F_NOPREFIXROUTE;

	memset(buf, 0, NETCFG_NLBUF);
	memset(&h, 0, sizeof(h));
	memset(&ifa, 0, sizeof(ifa));
	h.nlmsg_type = what == NL_ADD ? RTM_NEWADDR : RTM_DELADDR;
	h.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	if (what == NL_ADD)
		h.nlmsg_flags |= NLM_F_CREATE | NLM_F_REPLACE;
	ifa.ifa_family = AF_INET;
	ifa.ifa_prefixlen = what == NL_DEL_ANY ? 0 : nc->conf.dmz_prefix;
	ifa.ifa_scope = RT_SCOPE_UNIVERSE;
	ifa.ifa_index = (unsigned)netcfg_addr_ifindex(nc);
	memcpy(NLMSG_DATA(buf), &ifa, sizeof(ifa));
	put_attr(buf, &len, IFA_LOCAL, &nc->conf.dmz, 4);
	if (what != NL_DEL_ANY)
		put_attr(buf, &len, IFA_ADDRESS, &nc->conf.dmz, 4);
	if (what == NL_ADD && nc->label[0] != '\0')
		put_attr(
		    buf, &len, IFA_LABEL, nc->label, strlen(nc->label) + 1);
	/* On the macvlan, no route of its own to the subnet: the
	 * interface's stays the way out (netcfg_vmac.c). */
	if (what == NL_ADD && nc->vmac)
		put_attr(buf, &len, IFA_FLAGS, &flags, sizeof(flags));
	if (what == NL_ADD) {
		memset(&ci, 0, sizeof(ci));
		*ci_off = len + RTA_LENGTH(0);
		put_attr(buf, &len, IFA_CACHEINFO, &ci, sizeof(ci));
	}
	h.nlmsg_len = (uint32_t)len;
	memcpy(buf, &h, sizeof(h));
	return len;
}

size_t
netcfg_nl_build_del(const struct netcfg *nc, uint8_t buf[NETCFG_NLBUF])
{
	return build(nc, NL_DEL, buf, NULL);
}

static int
send_req(struct netcfg *nc, uint8_t *buf, size_t len, const char *what)
{
	struct nlmsghdr h;

	memcpy(&h, buf, sizeof(h));
	h.nlmsg_seq = ++nc->nl_seq;
	memcpy(buf, &h, sizeof(h));
	if (nl_sendto(nc->nl_req, buf, len) < 0) {
		log_warn(
		    "netcfg: %s %s on %s", what, nc->cidr, nc->conf.ifname);
		return -1;
	}
	return 0;
}

int
netcfg_nl_add(struct netcfg *nc, uint32_t lifetime_s)
{
	struct ifa_cacheinfo ci;

	memcpy(&ci, nc->add_msg + nc->add_ci_off, sizeof(ci));
	ci.ifa_prefered = lifetime_s;
	ci.ifa_valid = lifetime_s;
	memcpy(nc->add_msg + nc->add_ci_off, &ci, sizeof(ci));
	return send_req(nc, nc->add_msg, nc->add_len, "add");
}

int
netcfg_nl_del(struct netcfg *nc, bool any)
{
	uint8_t buf[NETCFG_NLBUF];
	size_t len = build(nc, any ? NL_DEL_ANY : NL_DEL, buf, NULL);

	return send_req(nc, buf, len, "delete");
}

/*
 * The ack of one of our requests. A refused add means we do not hold the
 * address: the first refusal is logged and reported as such (netcfg.c
 * tells addr_lost if it held it). While adds keep being refused (the
 * interface went away, ...) the refusals stay quiet, so a caller that
 * re-adds on addr_lost does not spin, and the first add that works again
 * is logged. EADDRNOTAVAIL on delete is success, and so is ENODEV: the
 * address went with its interface.
 */
static void
on_ack(struct netcfg *nc, const struct nlmsgerr *e)
{
	bool add = e->msg.nlmsg_type == RTM_NEWADDR;

	if (add && e->error == 0 && nc->refused) {
		nc->refused = false;
		log_info("netcfg: add %s on %s works again", nc->cidr,
		    nc->conf.ifname);
	}
	if (e->error == 0 ||
	    (!add && (e->error == -EADDRNOTAVAIL || e->error == -ENODEV)))
		return;
	errno = -e->error;
	if (!add) {
		log_warn("netcfg: delete %s on %s", nc->cidr, nc->conf.ifname);
		return;
	}
	if (nc->refused || e->msg.nlmsg_seq != nc->nl_seq) {
		nc->nl_up.add_refused(nc->nl_up.arg, false);
		return;
	}
	log_warn("netcfg: add %s on %s", nc->cidr, nc->conf.ifname);
	nc->refused = true;
	nc->nl_up.add_refused(nc->nl_up.arg, true);
}

static void
req_cb(evutil_socket_t fd, short what, void *arg)
{
	struct netcfg *nc = arg;
	uint8_t buf[NL_RXBUF];
	struct nlmsghdr *h;
	ssize_t n;
	size_t len;
	struct nlmsgerr e;

	(void)what;
	n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
	if (n == -1) {
		if (errno != EAGAIN && errno != EINTR)
			log_warn("netcfg: netlink acks on %s", nc->conf.ifname);
		return;
	}
	len = (size_t)n;
	for (h = (struct nlmsghdr *)buf; NLMSG_OK(h, len);
	     h = NLMSG_NEXT(h, len)) {
		if (h->nlmsg_type != NLMSG_ERROR ||
		    h->nlmsg_len < NLMSG_LENGTH(sizeof(e)))
			continue;
		memcpy(&e, NLMSG_DATA(h), sizeof(e));
		on_ack(nc, &e);
	}
}

static void
on_addr(struct netcfg *nc, const struct nlmsghdr *h)
{
	const struct ifaddrmsg *ifa = NLMSG_DATA(h);
	const struct rtattr *rta;
	size_t len;
	uint32_t local = 0;

	if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*ifa)) ||
	    ifa->ifa_family != AF_INET ||
	    (int)ifa->ifa_index != netcfg_addr_ifindex(nc))
		return;
	len = h->nlmsg_len - NLMSG_LENGTH(sizeof(*ifa));
	for (rta = IFA_RTA(ifa); RTA_OK(rta, len); rta = RTA_NEXT(rta, len))
		if (rta->rta_type == IFA_LOCAL && RTA_PAYLOAD(rta) == 4)
			memcpy(&local, RTA_DATA(rta), 4);
	if (h->nlmsg_type == RTM_DELADDR && local == nc->conf.dmz.s_addr)
		nc->nl_up.addr_deleted(nc->nl_up.arg);
}

/* What an RTM_NEWLINK/DELLINK says; name "" if absent. */
struct link_msg {
	int index;
	bool del, up;
	bool admin_up; /* IFF_UP alone */
	char name[NETCFG_IFNAME_MAX];
	uint8_t mac[6];
	bool has_mac;
};

static int
parse_link(const struct nlmsghdr *h, struct link_msg *m)
{
	const struct ifinfomsg *ifi = NLMSG_DATA(h);
	const struct rtattr *rta;
	size_t len, n;

	if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*ifi)))
		return -1;
	memset(m, 0, sizeof(*m));
	m->index = ifi->ifi_index;
	m->del = h->nlmsg_type == RTM_DELLINK;
	/* IFF_RUNNING in ifi_flags is the kernel's netif_oper_up(). */
	m->up = !m->del && (ifi->ifi_flags & IFF_UP) &&
		(ifi->ifi_flags & IFF_RUNNING);
	m->admin_up = !m->del && (ifi->ifi_flags & IFF_UP);
	len = h->nlmsg_len - NLMSG_LENGTH(sizeof(*ifi));
	for (rta = IFLA_RTA(ifi); RTA_OK(rta, len); rta = RTA_NEXT(rta, len)) {
		if (rta->rta_type == IFLA_ADDRESS && RTA_PAYLOAD(rta) == 6) {
			memcpy(m->mac, RTA_DATA(rta), 6);
			m->has_mac = true;
		}
		if (rta->rta_type != IFLA_IFNAME)
			continue;
		n = strnlen(RTA_DATA(rta), RTA_PAYLOAD(rta));
		if (n < sizeof(m->name)) {
			memcpy(m->name, RTA_DATA(rta), n);
			m->name[n] = '\0';
		}
	}
	return 0;
}

/*
 * The interface is followed by name (issue 7 fault 4): networkd rebuilding
 * a bridge, bond or VLAN, or a NIC hot-plug, makes a new one with a new
 * index. Ours deleted (or renamed away) is a link down; a link of our name
 * with another index is ours from now on.
 */
static void
on_link(struct netcfg *nc, const struct nlmsghdr *h)
{
	struct link_msg m;
	bool named;

	if (parse_link(h, &m) == -1)
		return;
	/* [dmz] vmac: our macvlan taken down or deleted under a holder
	 * (while we hold it, only someone else does that). A lost carrier
	 * is the interface's, and told by it. */
	if (nc->vmac && nc->vifindex != 0 && m.index == nc->vifindex) {
		if (m.del || !m.admin_up)
			nc->nl_up.vlink_down(nc->nl_up.arg, m.del);
		return;
	}
	named = strcmp(m.name, nc->conf.ifname) == 0;
	if (m.index == nc->ifindex && (m.del || (m.name[0] && !named))) {
		log_warnx("netcfg: %s (index %d) is gone; waiting for a link "
			  "of that name",
		    nc->conf.ifname, nc->ifindex);
		nc->nl_up.link_gone(nc->nl_up.arg);
		return;
	}
	/* The parent follows it: nc->ifindex is m.index on return. */
	if (!m.del && named && m.index != nc->ifindex)
		nc->nl_up.link_new(nc->nl_up.arg, m.index);
	if (m.index != nc->ifindex || nc->ifindex == 0)
		return;
	nc->nl_up.link_state(nc->nl_up.arg, m.up, m.has_mac ? m.mac : NULL);
}

static void
watch_cb(evutil_socket_t fd, short what, void *arg)
{
	struct netcfg *nc = arg;
	uint8_t buf[NL_RXBUF];
	struct nlmsghdr *h;
	ssize_t n;
	size_t len;

	(void)what;
	n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
	if (n == -1 && errno == ENOBUFS) {
		/* Events were dropped: whatever they said, re-read it. */
		log_warnx("netcfg: netlink watch on %s overran, resyncing",
		    nc->conf.ifname);
		nc->nl_up.overrun(nc->nl_up.arg);
		return;
	}
	if (n == -1) {
		if (errno != EAGAIN && errno != EINTR)
			log_warn(
			    "netcfg: netlink watch on %s", nc->conf.ifname);
		return;
	}
	len = (size_t)n;
	for (h = (struct nlmsghdr *)buf; NLMSG_OK(h, len);
	     h = NLMSG_NEXT(h, len)) {
		if (h->nlmsg_type == RTM_NEWADDR ||
		    h->nlmsg_type == RTM_DELADDR)
			on_addr(nc, h);
		else if (h->nlmsg_type == RTM_NEWLINK ||
			 h->nlmsg_type == RTM_DELLINK)
			on_link(nc, h);
	}
}

static struct nl_sock *
nl_open(char *err, size_t err_len)
{
	struct nl_sock *sk = nl_socket_alloc();
	int r;

	if (sk == NULL)
		abort();
	nl_socket_disable_seq_check(sk);
	r = nl_connect(sk, NETLINK_ROUTE);
	if (r == 0)
		r = nl_socket_set_nonblocking(sk);
	if (r < 0) {
		snprintf(
		    err, err_len, "netcfg: netlink socket: %s", nl_geterror(r));
		nl_socket_free(sk);
		return NULL;
	}
	return sk;
}

static struct event *
watch_fd(struct netcfg *nc, struct nl_sock *sk, event_callback_fn fn)
{
	struct event *ev;

	ev = event_new(
	    nc->base, nl_socket_get_fd(sk), EV_READ | EV_PERSIST, fn, nc);
	if (ev == NULL || event_add(ev, NULL) == -1)
		abort();
	return ev;
}

void
netcfg_nl_rebuild(struct netcfg *nc)
{
	nc->add_len = build(nc, NL_ADD, nc->add_msg, &nc->add_ci_off);
}

int
netcfg_nl_open(
    struct netcfg *nc, const struct netcfg_nl_up *up, char *err, size_t err_len)
{
	int r;

	nc->nl_up = *up;
	nc->add_len = build(nc, NL_ADD, nc->add_msg, &nc->add_ci_off);
	nc->nl_req = nl_open(err, err_len);
	if (nc->nl_req == NULL)
		return -1;
	nc->nl_watch = nl_open(err, err_len);
	if (nc->nl_watch == NULL)
		return -1;
	r = nl_socket_add_memberships(
	    nc->nl_watch, RTNLGRP_IPV4_IFADDR, RTNLGRP_LINK, 0);
	if (r < 0) {
		snprintf(
		    err, err_len, "netcfg: netlink groups: %s", nl_geterror(r));
		return -1;
	}
	/* A flush of many addresses must not overrun the watch. */
	if (nl_socket_set_buffer_size(nc->nl_watch, NL_WATCH_RCVBUF, 0) < 0)
		log_warnx("netcfg: netlink watch buffer size not set");
	nc->ev_req = watch_fd(nc, nc->nl_req, req_cb);
	nc->ev_watch = watch_fd(nc, nc->nl_watch, watch_cb);
	return 0;
}

void
netcfg_nl_close(struct netcfg *nc)
{
	if (nc->ev_req != NULL)
		event_free(nc->ev_req);
	if (nc->ev_watch != NULL)
		event_free(nc->ev_watch);
	if (nc->nl_req != NULL)
		nl_socket_free(nc->nl_req);
	if (nc->nl_watch != NULL)
		nl_socket_free(nc->nl_watch);
	nc->ev_req = nc->ev_watch = NULL;
	nc->nl_req = nc->nl_watch = NULL;
}
