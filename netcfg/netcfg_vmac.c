/*
 * netcfg/netcfg_vmac.c — the shared MAC ([dmz] vmac, issue 9 item 5).
 *
 * The DMZ address lives on a macvlan "qv<N>-<if>" (N: the address's last
 * byte; vmac_name.c) of the cluster interface
 * whose MAC is the cluster's (the same on every member), so the router's
 * neighbour entry for the address never has to change: a router that
 * ignores gratuitous ARP sees a failover as one that honours it.
 *
 * Mode bridge: with one macvlan on the interface, bridge and private
 * behave the same towards the LAN (both hand frames for other MACs to the
 * interface, and neither lets the macvlan and the interface itself talk
 * at all); bridge also lets a second macvlan of the same interface (a
 * container's) reach the DMZ address, which private would forbid. vepa
 * would need a hairpinning switch; passthru takes the interface over.
 *
 * Every member makes the macvlan at start, down: a down macvlan neither
 * sends nor receives (the kernel takes its MAC out of the interface's
 * filter), so standbys keep it made but never up, and a claim is two
 * requests (up, then the address), with nothing to create on the way.
 * Bringing it down is one request, which the address guard sends right
 * after it deleted the address when qured dies or stops ticking; when
 * qured is gone for good the guard deletes the macvlan too and puts back
 * the interface's sysctls. The nftables lease (netcfg_nft.c) names no
 * interface and covers the macvlan as it covers the interface.
 *
 * The address goes on the macvlan without a prefix route (NOPREFIXROUTE):
 * the interface's own route stays the only one to the LAN, so what the
 * host sends (from the DMZ address too) leaves as it does without vmac.
 * Only ARP for the address comes from the macvlan, and only with the
 * cluster's MAC: the macvlan answers requests for it (its arp_ignore = 1:
 * for nothing else, never the host's other addresses), the gratuitous
 * ARPs are sent on it, and on the interface
 *
 *   arp_ignore = 1    it does not answer for the DMZ address (which is
 *                     not on it) with its own MAC;
 *   arp_announce = 2  its ARP requests (for the router, say, while a
 *                     reply from the DMZ address waits) name its own
 *                     address as sender, never the DMZ address: the
 *                     router would take the interface's MAC for it.
 *
 * These are set on the interface only (never "all"), only when lower
 * than needed, and written back on exit where they still hold what qured
 * wrote. On the macvlan (qured's own, gone with it): arp_ignore 1,
 * arp_announce 2, IPv6 off (a link-local address and its DAD and MLD
 * would send frames from the shared MAC on every member that brings it
 * up), rp_filter loose if it came strict: a client's reply route is
 * through the interface, not the macvlan, which strict mode drops. An
 * rp_filter of 1 in "all" overrides that; it is logged, not changed.
 *
 * Requests here are sent on a socket of their own and their ack read at
 * once: rtnetlink acts inside sendmsg(), so the ack is queued before it
 * returns (MSG_DONTWAIT all the same: a missing ack is a failure, never
 * a wait).
 */
#include "config.h"

#include <sys/socket.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/log.h"
#include "netcfg/netcfg_int.h"

#define VBUF 256

struct req {
	uint8_t b[VBUF];
	size_t len;
};

static void
put(struct req *r, uint16_t type, const void *data, size_t dlen)
{
	struct rtattr rta;

	if (r->len + RTA_SPACE(dlen) > sizeof(r->b))
		abort(); /* sizes are fixed: a bug, not input */
	rta.rta_len = (unsigned short)RTA_LENGTH(dlen);
	rta.rta_type = type;
	memset(r->b + r->len, 0, RTA_SPACE(dlen));
	memcpy(r->b + r->len, &rta, sizeof(rta));
	if (dlen > 0)
		memcpy(r->b + r->len + RTA_LENGTH(0), data, dlen);
	r->len += RTA_SPACE(dlen);
}

/* Opens a nested attribute; nest_end() fills in its length. */
static size_t
nest(struct req *r, uint16_t type)
{
	size_t at = r->len;

	put(r, type, NULL, 0);
	return at;
}

static void
nest_end(struct req *r, size_t at)
{
	struct rtattr rta;

	memcpy(&rta, r->b + at, sizeof(rta));
	rta.rta_len = (unsigned short)(r->len - at);
	memcpy(r->b + at, &rta, sizeof(rta));
}

/* An RTM_*LINK header for index (0: by name). */
static void
link_req(struct req *r, uint16_t type, uint16_t flags, int index,
    unsigned change, unsigned ifflags)
{
	struct nlmsghdr h;
	struct ifinfomsg ifi;

	memset(r, 0, sizeof(*r));
	memset(&h, 0, sizeof(h));
	memset(&ifi, 0, sizeof(ifi));
	h.nlmsg_type = type;
	h.nlmsg_flags = (uint16_t)(NLM_F_REQUEST | NLM_F_ACK | flags);
	ifi.ifi_family = AF_UNSPEC;
	ifi.ifi_index = index;
	ifi.ifi_change = change;
	ifi.ifi_flags = ifflags;
	memcpy(r->b, &h, sizeof(h));
	memcpy(NLMSG_DATA(r->b), &ifi, sizeof(ifi));
	r->len = NLMSG_LENGTH(sizeof(ifi));
}

static void
req_done(struct req *r)
{
	struct nlmsghdr h;

	memcpy(&h, r->b, sizeof(h));
	h.nlmsg_len = (uint32_t)r->len;
	memcpy(r->b, &h, sizeof(h));
}

/*
 * Sends r and reads the answer into reply (if not NULL): 0, or -1 with
 * errno (the kernel's refusal, or EAGAIN: no answer queued).
 */
static int
talk(struct req *r, uint8_t *reply, size_t rlen)
{
	struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
	uint8_t buf[8192];
	struct nlmsghdr h;
	struct nlmsgerr e;
	ssize_t n;
	int fd, err = 0;

	req_done(r);
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd == -1)
		return -1;
	if (sendto(fd, r->b, r->len, 0, (struct sockaddr *)&kernel,
		sizeof(kernel)) != (ssize_t)r->len) {
		err = errno;
		goto out;
	}
	n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
	if (n < (ssize_t)NLMSG_LENGTH(sizeof(e))) {
		err = n == -1 ? errno : EPROTO;
		goto out;
	}
	memcpy(&h, buf, sizeof(h));
	if (h.nlmsg_type == NLMSG_ERROR) {
		memcpy(&e, NLMSG_DATA(buf), sizeof(e));
		err = -e.error;
	} else if (reply != NULL)
		memcpy(reply, buf, (size_t)n < rlen ? (size_t)n : rlen);
out:
	close(fd);
	errno = err;
	return err == 0 ? 0 : -1;
}

/* ---- sysctls */

int
netcfg_sysctl_read(const char *path)
{
	char buf[16];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd == -1)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	return atoi(buf);
}

int
netcfg_sysctl_write(const char *path, int v)
{
	char buf[16];
	int n = snprintf(buf, sizeof(buf), "%d\n", v);
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	int r = -1;

	if (fd == -1)
		return -1;
	if (write(fd, buf, (size_t)n) == n)
		r = 0;
	close(fd);
	return r;
}

static void
conf_path(
    char *buf, size_t len, const char *fam, const char *ifname, const char *key)
{
	snprintf(buf, len, "/proc/sys/net/%s/conf/%s/%s", fam, ifname, key);
}

/* The interface's key raised to at least want; saved for the restore. */
static void
raise_parent(
    struct netcfg *nc, struct netcfg_sysctl *s, const char *key, int want)
{
	conf_path(s->path, sizeof(s->path), "ipv4", nc->conf.ifname, key);
	s->was = netcfg_sysctl_read(s->path);
	if (s->was >= want) {
		s->path[0] = '\0'; /* nothing changed, nothing to restore */
		return;
	}
	if (netcfg_sysctl_write(s->path, want) == -1) {
		log_warn("netcfg: set %s to %d", s->path, want);
		s->path[0] = '\0';
		return;
	}
	s->set = want;
	log_info("netcfg: %s: %d (was %d), for the shared MAC", s->path, want,
	    s->was);
}

void
netcfg_vmac_restore(const struct netcfg_sysctl *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i].path[0] != '\0' &&
		    netcfg_sysctl_read(s[i].path) == s[i].set)
			(void)netcfg_sysctl_write(s[i].path, s[i].was);
}

/* The macvlan's own: it is ours, and goes with it. */
static void
set_own(const struct netcfg *nc)
{
	char p[96];
	int rp;

	conf_path(p, sizeof(p), "ipv4", nc->vname, "arp_ignore");
	if (netcfg_sysctl_write(p, 1) == -1)
		log_warn("netcfg: set %s", p);
	conf_path(p, sizeof(p), "ipv4", nc->vname, "arp_announce");
	if (netcfg_sysctl_write(p, 2) == -1)
		log_warn("netcfg: set %s", p);
	conf_path(p, sizeof(p), "ipv4", nc->vname, "rp_filter");
	rp = netcfg_sysctl_read(p);
	if (rp == 1 && netcfg_sysctl_write(p, 2) == -1)
		log_warn("netcfg: set %s", p);
	/* No IPv6 on it: nothing to send from the shared MAC. Without IPv6
	 * in the kernel the file is missing, and there is nothing to do. */
	conf_path(p, sizeof(p), "ipv6", nc->vname, "disable_ipv6");
	if (netcfg_sysctl_write(p, 1) == -1 && errno != ENOENT)
		log_warn("netcfg: set %s", p);
	if (netcfg_sysctl_read("/proc/sys/net/ipv4/conf/all/rp_filter") == 1)
		log_warnx("netcfg: net.ipv4.conf.all.rp_filter is 1 (strict): "
			  "replies to clients leave by %s, not %s, and strict "
			  "mode drops their requests; set it to 2 (loose)",
		    nc->conf.ifname, nc->vname);
}

/* ---- the link */

static size_t
down_req(const struct netcfg *nc, struct req *r)
{
	if (!nc->vmac || nc->vifindex == 0)
		return 0;
	link_req(r, RTM_NEWLINK, 0, nc->vifindex, IFF_UP, 0);
	req_done(r);
	return r->len;
}

static size_t
del_req(const struct netcfg *nc, struct req *r)
{
	if (!nc->vmac || nc->vifindex == 0)
		return 0;
	link_req(r, RTM_DELLINK, 0, nc->vifindex, 0, 0);
	req_done(r);
	return r->len;
}

static size_t
copy_out(const struct req *r, size_t n, uint8_t *buf, size_t len)
{
	if (n == 0 || n > len)
		return 0;
	memcpy(buf, r->b, n);
	return n;
}

size_t
netcfg_vmac_build_down(const struct netcfg *nc, uint8_t *buf, size_t len)
{
	struct req r;

	return copy_out(&r, down_req(nc, &r), buf, len);
}

size_t
netcfg_vmac_build_del(const struct netcfg *nc, uint8_t *buf, size_t len)
{
	struct req r;

	return copy_out(&r, del_req(nc, &r), buf, len);
}

/*
 * What a link of our macvlan's name is: 1 a macvlan of our interface
 * (a crashed qured's: ours to replace), 0 something else, -1 unknown.
 */
static int
is_ours(const struct netcfg *nc)
{
	static uint8_t reply[8192];
	struct req r;
	struct nlmsghdr h;
	const struct ifinfomsg *ifi;
	const struct rtattr *a, *b;
	size_t len, blen;
	uint32_t link = 0;
	bool macvlan = false;

	link_req(&r, RTM_GETLINK, 0, 0, 0, 0);
	put(&r, IFLA_IFNAME, nc->vname, strlen(nc->vname) + 1);
	memset(reply, 0, sizeof(reply));
	if (talk(&r, reply, sizeof(reply)) == -1)
		return -1;
	memcpy(&h, reply, sizeof(h));
	if (h.nlmsg_type != RTM_NEWLINK || h.nlmsg_len > sizeof(reply) ||
	    h.nlmsg_len < NLMSG_LENGTH(sizeof(*ifi)))
		return -1;
	ifi = NLMSG_DATA((struct nlmsghdr *)reply);
	len = h.nlmsg_len - NLMSG_LENGTH(sizeof(*ifi));
	for (a = IFLA_RTA(ifi); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
		if (a->rta_type == IFLA_LINK && RTA_PAYLOAD(a) == 4)
			memcpy(&link, RTA_DATA(a), 4);
		if (a->rta_type != IFLA_LINKINFO)
			continue;
		blen = RTA_PAYLOAD(a);
		for (b = RTA_DATA(a); RTA_OK(b, blen); b = RTA_NEXT(b, blen))
			if (b->rta_type == IFLA_INFO_KIND &&
			    strncmp(RTA_DATA(b), "macvlan", RTA_PAYLOAD(b)) ==
				0 &&
			    RTA_PAYLOAD(b) >= 7)
				macvlan = true;
	}
	return macvlan && (int)link == nc->ifindex ? 1 : 0;
}

/* Makes the macvlan, down, with the shared MAC; sets its sysctls. */
static int
create(struct netcfg *nc, char *err, size_t err_len)
{
	struct req r;
	uint32_t parent = (uint32_t)nc->ifindex, mode = MACVLAN_MODE_BRIDGE;
	size_t info, data;

	link_req(&r, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, 0, 0, 0);
	put(&r, IFLA_IFNAME, nc->vname, strlen(nc->vname) + 1);
	put(&r, IFLA_LINK, &parent, 4);
	put(&r, IFLA_ADDRESS, nc->conf.vmac, 6);
	info = nest(&r, IFLA_LINKINFO);
	put(&r, IFLA_INFO_KIND, "macvlan", 8);
	data = nest(&r, IFLA_INFO_DATA);
	put(&r, IFLA_MACVLAN_MODE, &mode, 4);
	nest_end(&r, data);
	nest_end(&r, info);
	if (talk(&r, NULL, 0) == -1) {
		snprintf(err, err_len, "netcfg: make macvlan %s on %s: %s",
		    nc->vname, nc->conf.ifname, strerror(errno));
		return -1;
	}
	nc->vifindex = (int)if_nametoindex(nc->vname);
	if (nc->vifindex == 0) {
		snprintf(
		    err, err_len, "netcfg: macvlan %s vanished", nc->vname);
		return -1;
	}
	set_own(nc);
	return 0;
}

/* A link of our name: a crashed qured's macvlan goes; anything else is
 * not ours to touch. */
static int
clear_stale(struct netcfg *nc, char *err, size_t err_len)
{
	struct req r;
	int idx = (int)if_nametoindex(nc->vname);

	if (idx == 0)
		return 0;
	if (is_ours(nc) != 1) {
		snprintf(err, err_len,
		    "netcfg: %s exists and is not a macvlan of %s; remove or "
		    "rename it ([dmz] vmac)",
		    nc->vname, nc->conf.ifname);
		return -1;
	}
	link_req(&r, RTM_DELLINK, 0, idx, 0, 0);
	if (talk(&r, NULL, 0) == -1 && errno != ENODEV) {
		snprintf(err, err_len, "netcfg: delete stale %s: %s", nc->vname,
		    strerror(errno));
		return -1;
	}
	log_info("netcfg: removed %s left by an earlier qured", nc->vname);
	return 0;
}

int
netcfg_vmac_open(struct netcfg *nc, char *err, size_t err_len)
{
	if (!nc->vmac)
		return 0;
	if (clear_stale(nc, err, err_len) == -1 ||
	    create(nc, err, err_len) == -1)
		return -1;
	raise_parent(nc, &nc->vsaved[0], "arp_ignore", 1);
	raise_parent(nc, &nc->vsaved[1], "arp_announce", 2);
	log_info("netcfg: macvlan %s on %s, MAC "
		 "%02x:%02x:%02x:%02x:%02x:%02x, down until held",
	    nc->vname, nc->conf.ifname, nc->conf.vmac[0], nc->conf.vmac[1],
	    nc->conf.vmac[2], nc->conf.vmac[3], nc->conf.vmac[4],
	    nc->conf.vmac[5]);
	return 0;
}

static void
after_new_index(struct netcfg *nc)
{
	bool guard = nc->guard_pid != 0;

	netcfg_nl_rebuild(nc);
	/* The guard's requests name the old index. */
	if (guard) {
		netcfg_guard_stop(nc);
		(void)netcfg_guard_start(nc);
	}
}

int
netcfg_vmac_up(struct netcfg *nc)
{
	char err[NETCFG_ERR_MAX];
	struct req r;

	if (!nc->vmac)
		return 0;
	/* Deleted under us (by hand, or with a recreated interface). */
	if (nc->vifindex == 0 ||
	    (int)if_nametoindex(nc->vname) != nc->vifindex) {
		nc->vifindex = 0;
		if (clear_stale(nc, err, sizeof(err)) == -1 ||
		    create(nc, err, sizeof(err)) == -1) {
			log_warnx("%s", err);
			return -1;
		}
		log_warnx("netcfg: %s was gone; made it again", nc->vname);
		after_new_index(nc);
	}
	link_req(&r, RTM_NEWLINK, 0, nc->vifindex, IFF_UP, IFF_UP);
	if (talk(&r, NULL, 0) == -1) {
		log_warn("netcfg: bring %s up", nc->vname);
		return -1;
	}
	return 0;
}

int
netcfg_vmac_down(struct netcfg *nc)
{
	struct req r;

	if (down_req(nc, &r) == 0)
		return 0;
	if (talk(&r, NULL, 0) == -1 && errno != ENODEV) {
		log_warn("netcfg: bring %s down", nc->vname);
		return -1;
	}
	return 0;
}

void
netcfg_vmac_close(struct netcfg *nc)
{
	struct req r;

	if (!nc->vmac)
		return;
	if (del_req(nc, &r) != 0 && talk(&r, NULL, 0) == -1 && errno != ENODEV)
		log_warn("netcfg: delete %s", nc->vname);
	nc->vifindex = 0;
	netcfg_vmac_restore(nc->vsaved, 2);
}

void
netcfg_vmac_relink(struct netcfg *nc)
{
	char err[NETCFG_ERR_MAX];

	if (!nc->vmac)
		return;
	/* The old interface took its macvlan along; its sysctls were the
	 * old one's, so there is nothing to restore there. */
	nc->vifindex = 0;
	memset(nc->vsaved, 0, sizeof(nc->vsaved));
	if (clear_stale(nc, err, sizeof(err)) == -1 ||
	    create(nc, err, sizeof(err)) == -1) {
		log_warnx("%s; made again at the next claim", err);
		return;
	}
	raise_parent(nc, &nc->vsaved[0], "arp_ignore", 1);
	raise_parent(nc, &nc->vsaved[1], "arp_announce", 2);
}
