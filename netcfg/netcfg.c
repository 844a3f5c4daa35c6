#include "config.h"

#include "netcfg/netcfg.h"

#include <sys/ioctl.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <net/route.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/log.h"
#include "netcfg/netcfg_int.h"

static void set_err(char *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void netcfg_relink(struct netcfg *, int ifindex);

static void
set_err(char *err, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(err, NETCFG_ERR_MAX, fmt, ap);
	va_end(ap);
}

/*
 * getifaddrs() names an IPv4 address by its label, so "eth0:dmz" is an
 * address of eth0 too (the kernel does not enforce the prefix, but every
 * tool that writes labels uses it).
 */
static bool
is_named(const char *label, const char *ifname)
{
	size_t n = strlen(ifname);

	if (n == 0 || strncmp(label, ifname, n) != 0)
		return false;
	return label[n] == '\0' || label[n] == ':';
}

/* An IPv4 address of the interface, or of its macvlan ([dmz] vmac). */
static bool
is_our_ifa(const struct netcfg *nc, const struct ifaddrs *ifa)
{
	if (ifa->ifa_addr == NULL || ifa->ifa_addr->sa_family != AF_INET)
		return false;
	return is_named(ifa->ifa_name, nc->conf.ifname) ||
	       (nc->vmac && is_named(ifa->ifa_name, nc->vname));
}

static struct in_addr
ifa_in(const struct sockaddr *sa)
{
	struct sockaddr_in sin;

	memcpy(&sin, sa, sizeof(sin));
	return sin.sin_addr;
}

/* 1: dmz is inside a subnet of another address of the interface. */
static int
dmz_in_subnet(const struct netcfg *nc)
{
	struct ifaddrs *all, *ifa;
	uint32_t dmz = nc->conf.dmz.s_addr, a, m;
	int found = 0;

	if (getifaddrs(&all) == -1)
		return -1;
	for (ifa = all; ifa != NULL; ifa = ifa->ifa_next) {
		if (!is_our_ifa(nc, ifa) || ifa->ifa_netmask == NULL)
			continue;
		a = ifa_in(ifa->ifa_addr).s_addr;
		m = ifa_in(ifa->ifa_netmask).s_addr;
		if (a != dmz && (a & m) == (dmz & m))
			found = 1;
	}
	freeifaddrs(all);
	return found;
}

int
netcfg_has_dmz(const struct netcfg *nc)
{
	struct ifaddrs *all, *ifa;
	int found = 0;

	if (getifaddrs(&all) == -1)
		return -1;
	for (ifa = all; ifa != NULL; ifa = ifa->ifa_next)
		if (is_our_ifa(nc, ifa) &&
		    ifa_in(ifa->ifa_addr).s_addr == nc->conf.dmz.s_addr)
			found = 1;
	freeifaddrs(all);
	return found;
}

int
netcfg_get_addrs(const struct netcfg *nc, struct in_addr *out, size_t max)
{
	struct ifaddrs *all, *ifa;
	struct in_addr in;
	uint32_t h;
	size_t n = 0;

	if (getifaddrs(&all) == -1) {
		log_warn("netcfg: addresses of %s", nc->conf.ifname);
		return -1;
	}
	for (ifa = all; ifa != NULL && n < max; ifa = ifa->ifa_next) {
		if (!is_our_ifa(nc, ifa))
			continue;
		in = ifa_in(ifa->ifa_addr);
		h = ntohl(in.s_addr);
		/* doc/design.md §5.5: never loopback or unscoped link-local. */
		if (in.s_addr == nc->conf.dmz.s_addr || (h >> 24) == 127 ||
		    (h >> 16) == 0xa9fe)
			continue;
		out[n++] = in;
	}
	freeifaddrs(all);
	return (int)n;
}

/* Flags and MAC through the send socket; 0, or -1 with errno. */
static int
read_link(struct netcfg *nc, int fd, bool want_mac)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", nc->conf.ifname);
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) == -1)
		return -1;
	nc->link_up = (ifr.ifr_flags & IFF_UP) && (ifr.ifr_flags & IFF_RUNNING);
	if (!want_mac)
		return 0;
	if (ioctl(fd, SIOCGIFHWADDR, &ifr) == -1)
		return -1;
	if (ifr.ifr_hwaddr.sa_family != ARPHRD_ETHER) {
		errno = EAFNOSUPPORT;
		return -1;
	}
	memcpy(nc->mac, ifr.ifr_hwaddr.sa_data, 6);
	return 0;
}

/* The DMZ address left the interface while we held it. */
static void
addr_left(struct netcfg *nc)
{
	if (!nc->held)
		return;
	nc->held = false;
	log_warnx("netcfg: %s left %s", nc->cidr,
	    nc->vmac ? nc->vname : nc->conf.ifname);
	if (nc->cb.addr_lost != NULL)
		nc->cb.addr_lost(nc->arg);
}

/* After a lost netlink event: re-reads link and address state. */
static void
netcfg_resync(struct netcfg *nc)
{
	bool was_up = nc->link_up;
	int idx = (int)if_nametoindex(nc->conf.ifname);

	/* The events of a recreated interface may be among those lost. */
	if (idx != 0 && idx != nc->ifindex)
		netcfg_relink(nc, idx);
	if (read_link(nc, nc->arp_tx, false) == -1)
		nc->link_up = false; /* the interface went away */
	if (nc->held && netcfg_has_dmz(nc) == 0)
		addr_left(nc);
	if (nc->link_up != was_up && nc->cb.link_change != NULL)
		nc->cb.link_change(nc->arg, nc->link_up);
}

static void
set_link_up(struct netcfg *nc, bool up)
{
	if (up == nc->link_up)
		return;
	nc->link_up = up;
	log_info("netcfg: link %s is %s", nc->conf.ifname, up ? "up" : "down");
	if (nc->cb.link_change != NULL)
		nc->cb.link_change(nc->arg, up);
}

/* ---- What the halves report (netcfg_int.h: netcfg_nl_up, _arp_up) */

static void
nl_addr_deleted(void *arg)
{
	addr_left(arg);
}

static void
nl_add_refused(void *arg, bool first)
{
	struct netcfg *nc = arg;
	bool was_held = nc->held;

	nc->held = false;
	/* Reported once: quiet repeats keep a re-adding caller from spinning
	 * (netcfg.h, netcfg_addr_add). */
	if (first && was_held && nc->cb.addr_lost != NULL)
		nc->cb.addr_lost(nc->arg);
}

static void
nl_link_gone(void *arg)
{
	struct netcfg *nc = arg;

	nc->ifindex = 0;
	nc->held = false; /* it went with the interface */
	set_link_up(nc, false);
}

static void
nl_link_new(void *arg, int ifindex)
{
	netcfg_relink(arg, ifindex);
}

static void
nl_link_state(void *arg, bool up, const uint8_t *mac)
{
	struct netcfg *nc = arg;

	if (mac != NULL)
		memcpy(nc->mac, mac, 6);
	set_link_up(nc, up);
}

static void
nl_overrun(void *arg)
{
	netcfg_resync(arg);
}

/* The macvlan went down or away under a holder: the address with it. */
static void
nl_vlink_down(void *arg, bool gone)
{
	struct netcfg *nc = arg;
	struct ifreq ifr;

	if (gone) {
		nc->vifindex = 0;
		addr_left(nc);
		return;
	}
	/* The event may be an old one: our own down before a drop, read
	 * only after we brought it up again for a new claim. */
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", nc->vname);
	if (ioctl(nc->arp_tx, SIOCGIFFLAGS, &ifr) == 0 &&
	    (ifr.ifr_flags & IFF_UP))
		return;
	addr_left(nc);
}

static void
arp_probe_done(void *arg, enum netcfg_probe_result r, const uint8_t *mac)
{
	struct netcfg *nc = arg;

	if (nc->cb.probe_done != NULL)
		nc->cb.probe_done(nc->arg, r, mac);
}

static void
arp_conflict(void *arg, const uint8_t *mac, bool again)
{
	struct netcfg *nc = arg;

	if (nc->cb.conflict != NULL)
		nc->cb.conflict(nc->arg, mac, again);
}

/*
 * Without promote_secondaries, deleting the primary address (a DHCP client
 * renewing to a new one) silently deletes every secondary of its subnet,
 * the DMZ address among them.
 */
static void
promote_secondaries(const struct netcfg *nc)
{
	char path[128];
	int fd;

	snprintf(path, sizeof(path),
	    "/proc/sys/net/ipv4/conf/%s/promote_secondaries", nc->conf.ifname);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd == -1 || write(fd, "1\n", 2) != 2)
		log_warn("netcfg: set %s", path);
	if (fd != -1)
		close(fd);
}

static int
check_conf(const struct netcfg_conf *conf, char *err)
{
	size_t n = strnlen(conf->ifname, NETCFG_IFNAME_MAX);

	if (n == 0 || n >= NETCFG_IFNAME_MAX) {
		set_err(err, "netcfg: bad interface name");
		return -1;
	}
	/* 0: no IPv4 DMZ address (an IPv6-only cluster, netcfg6.h): the
	 * link, its MAC and addresses only; the caller adds nothing. */
	if (conf->dmz_prefix > 32) {
		set_err(err, "netcfg: bad DMZ prefix length");
		return -1;
	}
	if (conf->now_ms == NULL) {
		set_err(err, "netcfg: no clock");
		return -1;
	}
	if (conf->vmac[0] & 0x01) {
		set_err(err, "netcfg: the shared MAC is a multicast MAC");
		return -1;
	}
	return 0;
}

static void
fill_names(struct netcfg *nc)
{
	static const uint8_t zero[6];
	char ip[INET_ADDRSTRLEN];
	int n;

	inet_ntop(AF_INET, &nc->conf.dmz, ip, sizeof(ip));
	snprintf(nc->cidr, sizeof(nc->cidr), "%s/%u", ip,
	    (unsigned)nc->conf.dmz_prefix);
	nc->vmac = memcmp(nc->conf.vmac, zero, 6) != 0;
	if (nc->vmac) {
		/* On the macvlan the address is its only one: no label. */
		netcfg_vmac_name(nc->conf.ifname,
		    (const uint8_t *)&nc->conf.dmz.s_addr, nc->vname);
		nc->label[0] = '\0';
		return;
	}
	/* Labels are at most IFNAMSIZ - 1 bytes; without one the kernel
	 * shows the interface name, which is only cosmetic. */
	n = snprintf(nc->label, sizeof(nc->label), "%s:dmz", nc->conf.ifname);
	if (n < 0 || (size_t)n >= sizeof(nc->label))
		nc->label[0] = '\0';
}

static int
check_subnet(struct netcfg *nc, char *err)
{
	char ip[INET_ADDRSTRLEN];
	int r = dmz_in_subnet(nc);

	inet_ntop(AF_INET, &nc->conf.dmz, ip, sizeof(ip));
	if (r == -1) {
		set_err(err, "netcfg: addresses of %s: %s", nc->conf.ifname,
		    strerror(errno));
		return -1;
	}
	if (r == 0) {
		set_err(err, "netcfg: %s is not inside any subnet of %s", ip,
		    nc->conf.ifname);
		return -1;
	}
	return 0;
}

struct netcfg *
netcfg_new(struct event_base *base, const struct netcfg_conf *conf,
    const struct netcfg_cb *cb, void *arg, char err[NETCFG_ERR_MAX])
{
	struct netcfg *nc;
	struct netcfg_nl_up nl_up = {.addr_deleted = nl_addr_deleted,
	    .add_refused = nl_add_refused,
	    .link_gone = nl_link_gone,
	    .link_new = nl_link_new,
	    .link_state = nl_link_state,
	    .overrun = nl_overrun,
	    .vlink_down = nl_vlink_down};
	struct netcfg_arp_up arp_up = {
	    .probe_done = arp_probe_done, .conflict = arp_conflict};
	char ignored[NETCFG_ERR_MAX];

	if (err == NULL)
		err = ignored;
	if (check_conf(conf, err) == -1)
		return NULL;
	nc = calloc(1, sizeof(*nc));
	if (nc == NULL)
		abort();
	nc->base = base;
	nc->conf = *conf;
	if (cb != NULL)
		nc->cb = *cb;
	nc->arg = arg;
	nl_up.arg = arp_up.arg = nc;
	nc->arp_tx = nc->arp_rx = nc->arp_def = -1;
	nc->guard_fd = nc->guard_alive_fd = -1;
	nc->farewell_fd = -1;
	netcfg_guard_page_open(nc);
	fill_names(nc);
	nc->ifindex = (int)if_nametoindex(conf->ifname);
	if (nc->ifindex == 0) {
		set_err(err, "netcfg: interface %s not found", conf->ifname);
		goto fail;
	}
	if (netcfg_arp_open(nc, &arp_up, err, NETCFG_ERR_MAX) == -1)
		goto fail;
	netcfg_set_member_macs(nc, NULL, 0); /* the shared MAC, if any */
	if (read_link(nc, nc->arp_tx, true) == -1) {
		set_err(
		    err, "netcfg: link %s: %s", conf->ifname, strerror(errno));
		goto fail;
	}
	if (conf->dmz_prefix != 0 && check_subnet(nc, err) == -1)
		goto fail;
	/* Before the netlink half builds its requests on the index. */
	if (netcfg_vmac_open(nc, err, NETCFG_ERR_MAX) == -1)
		goto fail;
	if (netcfg_nl_open(nc, &nl_up, err, NETCFG_ERR_MAX) == -1)
		goto fail;
	if (conf->dmz_prefix == 0)
		return nc;
	promote_secondaries(nc);
	netcfg_balance_open(nc);
	if (netcfg_nft_open(nc) == -1)
		log_warnx("netcfg: no nftables lease for %s; the kernel "
			  "lifetime (whole seconds) is the only lease",
		    nc->cidr);
	return nc;
fail:
	netcfg_free(nc);
	return NULL;
}

void
netcfg_free(struct netcfg *nc)
{
	if (nc == NULL)
		return;
	netcfg_guard_stop(nc);
	netcfg_guard_page_close(nc);
	netcfg_vmac_close(nc);
	if (nc->bal_on)
		(void)netcfg_balance_remove(nc);
	netcfg_nft_close(nc);
	netcfg_arp_close(nc);
	netcfg_nl_close(nc);
	free(nc);
}

static int
add(struct netcfg *nc, uint32_t lease_ms, bool refresh)
{
	/* The guard resigned for a loop that missed its fence: the address
	 * is gone and not ours to renew; the core learns it before its next
	 * step (netcfg_guard_resigned()). Before the nftables renewal: from
	 * here the guard waits for this fence's end. */
	if (nc->gpage != NULL && !netcfg_fence_extend(&nc->gpage->fence_end,
				     nc->conf.now_ms() + lease_ms))
		return -1;
	/* The lease first: the address is never there without it. A failed
	 * nft request is logged; the kernel lifetime still covers. */
	(void)netcfg_nft_lease(nc, lease_ms);
	/* [dmz] vmac: the macvlan up first, once per holding (it goes down
	 * only with the address, or under us: then addr_lost said so). */
	if (!nc->held && netcfg_vmac_up(nc) == -1)
		return -1;
	/* The kernel's lifetime (whole seconds, a backstop) needs no
	 * renewal at every fence renewal (every 16 ms at the defaults). */
	if (!refresh || !nc->held ||
	    nc->conf.now_ms() >= nc->nl_renewed_ms + 250) {
		if (netcfg_nl_add(nc, netcfg_lease_secs(lease_ms)) == -1)
			return -1;
		nc->nl_renewed_ms = nc->conf.now_ms();
	}
	nc->held = true;
	netcfg_arp_defend_open(nc);
	nc->lease_ms = lease_ms;
	nc->lease_end_ms = nc->conf.now_ms() + lease_ms;
	netcfg_guard_tick(nc);
	return 0;
}

int
netcfg_addr_add(struct netcfg *nc, uint32_t lease_ms)
{
	return add(nc, lease_ms, false);
}

int
netcfg_addr_refresh(struct netcfg *nc, uint32_t lease_ms)
{
	return add(nc, lease_ms, true);
}

static int
del(struct netcfg *nc, bool any)
{
	int r;

	/* Not ours from now on: its RTM_DELADDR is no loss; nor is the
	 * fence the guard's to run out (a resignation of its is acked). */
	nc->held = false;
	if (nc->gpage != NULL)
		atomic_store(&nc->gpage->fence_end, 0);
	nc->lease_end_ms = 0;
	netcfg_arp_announce_stop(nc);
	netcfg_arp_defend_close(nc);
	r = netcfg_nl_del(nc, any);
	/* A standby never has the shared MAC up. */
	if (netcfg_vmac_down(nc) == -1)
		r = -1;
	(void)netcfg_nft_clear(nc);
	netcfg_guard_tick(nc);
	return r;
}

int
netcfg_addr_del(struct netcfg *nc)
{
	return del(nc, false);
}

int
netcfg_addr_remove_stale(struct netcfg *nc)
{
	return del(nc, true);
}

void
netcfg_set_peer_lease_end(struct netcfg *nc, uint64_t until_ms)
{
	nc->peer_lease_end_ms = until_ms;
}

bool
netcfg_lease_enforced(const struct netcfg *nc)
{
	return nc->nft_on && !nc->nft_failing;
}

bool
netcfg_is_held(const struct netcfg *nc)
{
	return nc->held;
}

uint32_t
netcfg_enforced_lease_ms(const struct netcfg *nc)
{
	if (!nc->held)
		return 0;
	/* Without the nftables element the kernel lifetime is the lease. */
	return netcfg_lease_enforced(nc)
		   ? nc->lease_ms
		   : netcfg_lease_secs(nc->lease_ms) * 1000;
}

uint32_t
netcfg_kernel_lifetime_s(const struct netcfg *nc)
{
	return nc->held ? netcfg_lease_secs(nc->lease_ms) : 0;
}

bool
netcfg_is_link_up(const struct netcfg *nc)
{
	return nc->link_up;
}

int
netcfg_get_ifindex(const struct netcfg *nc)
{
	return nc->ifindex;
}

/* A link of our name with another index: follow it. */
static void
netcfg_relink(struct netcfg *nc, int ifindex)
{
	bool up = nc->link_up, guard = nc->guard_pid != 0;

	log_info("netcfg: %s is back as index %d (was %d); following it",
	    nc->conf.ifname, ifindex, nc->ifindex);
	nc->ifindex = ifindex;
	nc->held = false;
	/* The old interface took its macvlan along. */
	netcfg_vmac_relink(nc);
	netcfg_nl_rebuild(nc);
	/* Flags are told by link_change from the events; the MAC now. */
	if (read_link(nc, nc->arp_tx, true) == -1)
		log_warn("netcfg: link %s", nc->conf.ifname);
	nc->link_up = up;
	promote_secondaries(nc);
	/* Sockets bound to the old index: a running probe ends unanswered
	 * (FAILED, as on a link down); the defence listens again. */
	netcfg_arp_relink(nc);
	/* The guard's delete request names the old index. */
	if (guard) {
		netcfg_guard_stop(nc);
		(void)netcfg_guard_start(nc);
	}
	if (nc->cb.link_new != NULL)
		nc->cb.link_new(nc->arg, ifindex);
}

void
netcfg_get_mac(const struct netcfg *nc, uint8_t mac[6])
{
	memcpy(mac, nc->mac, 6);
}

const char *
netcfg_get_vmac_ifname(const struct netcfg *nc)
{
	return nc->vmac ? nc->vname : "";
}

void
netcfg_get_vmac(const struct netcfg *nc, char *buf, size_t len)
{
	const uint8_t *m = nc->conf.vmac;

	if (!nc->vmac) {
		snprintf(buf, len, "%s", "");
		return;
	}
	snprintf(buf, len, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2],
	    m[3], m[4], m[5]);
}

int
netcfg_addr_ifindex(const struct netcfg *nc)
{
	return nc->vmac ? nc->vifindex : nc->ifindex;
}

/* /proc/net/route: hex fields, destination and mask 0 is a default. */
int
netcfg_default_ifname(char ifname[NETCFG_IFNAME_MAX], char err[NETCFG_ERR_MAX])
{
	char line[256], name[NETCFG_IFNAME_MAX], best[NETCFG_IFNAME_MAX] = "";
	unsigned long dst, gw, mask, best_metric = (unsigned long)-1;
	unsigned flags, refcnt, use, metric;
	FILE *f = fopen("/proc/net/route", "re");

	if (f == NULL) {
		set_err(
		    err, "netcfg: open /proc/net/route: %s", strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		if (sscanf(line, "%15s %lx %lx %x %u %u %u %lx", name, &dst,
			&gw, &flags, &refcnt, &use, &metric, &mask) != 8)
			continue;
		if (dst != 0 || mask != 0 || !(flags & RTF_UP) ||
		    metric >= best_metric)
			continue;
		best_metric = metric;
		snprintf(best, sizeof(best), "%s", name);
	}
	fclose(f);
	if (best[0] == '\0') {
		set_err(err, "netcfg: no IPv4 default route");
		return -1;
	}
	snprintf(ifname, NETCFG_IFNAME_MAX, "%s", best);
	return 0;
}
