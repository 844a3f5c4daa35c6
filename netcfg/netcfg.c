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
#include <time.h>
#include <unistd.h>

#include "netcfg/netcfg_int.h"
#include "src/log.h"

uint64_t
netcfg_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void set_err(char *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

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
is_our_ifa(const struct netcfg *nc, const struct ifaddrs *ifa)
{
	size_t n = strlen(nc->conf.ifname);

	if (ifa->ifa_addr == NULL || ifa->ifa_addr->sa_family != AF_INET)
		return false;
	if (strncmp(ifa->ifa_name, nc->conf.ifname, n) != 0)
		return false;
	return ifa->ifa_name[n] == '\0' || ifa->ifa_name[n] == ':';
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

void
netcfg_resync(struct netcfg *nc)
{
	bool was_up = nc->link_up;
	int idx = (int)if_nametoindex(nc->conf.ifname);

	/* The events of a recreated interface may be among those lost. */
	if (idx != 0 && idx != nc->ifindex)
		netcfg_relink(nc, idx);
	if (read_link(nc, nc->arp_tx, false) == -1)
		nc->link_up = false; /* the interface went away */
	if (nc->held && netcfg_has_dmz(nc) == 0) {
		nc->held = false;
		log_warnx("netcfg: %s left %s", nc->cidr, nc->conf.ifname);
		if (nc->cb.addr_lost != NULL)
			nc->cb.addr_lost(nc->arg);
	}
	if (nc->link_up != was_up && nc->cb.link_change != NULL)
		nc->cb.link_change(nc->arg, nc->link_up);
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
	if (conf->dmz_prefix < 1 || conf->dmz_prefix > 32) {
		set_err(err, "netcfg: bad DMZ prefix length");
		return -1;
	}
	return 0;
}

static void
fill_names(struct netcfg *nc)
{
	char ip[INET_ADDRSTRLEN];
	int n;

	inet_ntop(AF_INET, &nc->conf.dmz, ip, sizeof(ip));
	snprintf(nc->cidr, sizeof(nc->cidr), "%s/%u", ip,
	    (unsigned)nc->conf.dmz_prefix);
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
	nc->arp_tx = nc->arp_rx = nc->arp_def = -1;
	nc->guard_fd = nc->guard_alive_fd = -1;
	nc->farewell_fd = -1;
	fill_names(nc);
	nc->ifindex = (int)if_nametoindex(conf->ifname);
	if (nc->ifindex == 0) {
		set_err(err, "netcfg: interface %s not found", conf->ifname);
		goto fail;
	}
	if (netcfg_arp_open(nc, err, NETCFG_ERR_MAX) == -1)
		goto fail;
	if (read_link(nc, nc->arp_tx, true) == -1) {
		set_err(
		    err, "netcfg: link %s: %s", conf->ifname, strerror(errno));
		goto fail;
	}
	if (check_subnet(nc, err) == -1)
		goto fail;
	if (netcfg_nl_open(nc, err, NETCFG_ERR_MAX) == -1)
		goto fail;
	promote_secondaries(nc);
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
	netcfg_nft_close(nc);
	netcfg_arp_close(nc);
	netcfg_nl_close(nc);
	free(nc);
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
	return nc->nft != NULL && !nc->nft_failing
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

void
netcfg_relink(struct netcfg *nc, int ifindex)
{
	bool up = nc->link_up, guard = nc->guard_pid != 0;

	log_info("netcfg: %s is back as index %d (was %d); following it",
	    nc->conf.ifname, ifindex, nc->ifindex);
	nc->ifindex = ifindex;
	nc->held = false;
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
