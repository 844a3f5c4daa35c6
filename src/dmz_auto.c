/*
 * src/dmz_auto.c — [dmz] address = auto, the edge: the cluster group
 * listened to, the router asked, candidates ARP-probed, the state dir's
 * `dmz` file read and written. See src/dmz_auto.h.
 *
 * It runs before the cluster exists (main.c's start()), on qured's own
 * event_base, and closes everything it opened before it returns: the
 * cluster then opens netcfg, the election core and the router with the
 * address found, as with a configured one.
 */
#include "config.h"

#include "src/dmz_auto.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <openssl/crypto.h>

#include "base/clock.h"
#include "base/log.h"
#include "discovery/discovery.h"
#include "dns/router.h"
#include "election/election.h"
#include "netcfg/netcfg.h"
#include "src/conf.h"

struct resolver {
	struct event_base *base;
	struct dmz_facts f;
	struct elect_key *key;
	struct elect_key *next; /* [cluster] next-key-file; NULL: none */
	struct event *timer;	/* wait_ms() */
	uint64_t listen_ms;	/* how long members are listened for */
	bool listen_done, router_done, probe_done;
	enum netcfg_probe_result probe;
	/* the members' MACs (HELLO): their ARP is not a foreign host's */
	uint8_t f_macs[NETCFG_MAX_MEMBER_MACS][6];
	size_t n_macs;
};

static void
ntoa(struct in_addr a, char *buf, size_t len)
{
	if (inet_ntop(AF_INET, &a, buf, (socklen_t)len) == NULL)
		snprintf(buf, len, "?");
}

static bool
is_dmz_label(const char *name)
{
	size_t n = strlen(name);

	return n >= 4 && strcmp(name + n - 4, ":dmz") == 0;
}

/* Our address on ifname (the first one that has a host part: not
 * link-local), its prefix; every IPv4 address of ifname excluded. */
static int
lan_of(const char *ifname, struct dmz_facts *f, char *err, size_t errlen)
{
	struct ifaddrs *ifa, *i;
	struct in_addr a, lan = {0};
	unsigned prefix = 0, p;
	uint32_t m;

	if (getifaddrs(&ifa) == -1) {
		snprintf(err, errlen, "dmz: address = auto: getifaddrs: %s",
		    strerror(errno));
		return -1;
	}
	for (i = ifa; i != NULL; i = i->ifa_next) {
		if (i->ifa_addr == NULL || i->ifa_addr->sa_family != AF_INET ||
		    i->ifa_netmask == NULL || strcmp(i->ifa_name, ifname) != 0)
			continue;
		a = ((struct sockaddr_in *)(void *)i->ifa_addr)->sin_addr;
		m = ntohl(((struct sockaddr_in *)(void *)i->ifa_netmask)
			      ->sin_addr.s_addr);
		for (p = 0; p < 32 && (m & (0x80000000u >> p)); p++)
			;
		if (prefix == 0 && (ntohl(a.s_addr) >> 16) != 0xa9fe &&
		    dmz_on_lan(a, a, p)) {
			lan = a;
			prefix = p;
		}
	}
	freeifaddrs(ifa);
	if (prefix == 0) {
		snprintf(err, errlen,
		    "dmz: address = auto: %s has no IPv4 address on a subnet "
		    "(/30 or larger) to find the DMZ address in; set [dmz] "
		    "address or [cluster] interface",
		    ifname);
		return -1;
	}
	dmz_facts_init(f, lan, prefix);
	/* Every address of ours is excluded, not only the first; not a DMZ
	 * address a crash left behind (label "<if>:dmz", netcfg's), which
	 * the router's table or the file may well name. */
	if (getifaddrs(&ifa) == 0) {
		for (i = ifa; i != NULL; i = i->ifa_next)
			if (i->ifa_addr != NULL &&
			    i->ifa_addr->sa_family == AF_INET &&
			    !is_dmz_label(i->ifa_name))
				dmz_facts_exclude(f,
				    ((struct sockaddr_in *)(void *)i->ifa_addr)
					->sin_addr);
		freeifaddrs(ifa);
	}
	return 0;
}

static void
exclude_gateway(struct dmz_facts *f, const char *ifname)
{
	char line[256];
	struct in_addr gw;
	FILE *fp = fopen("/proc/net/route", "re");

	if (fp == NULL)
		return;
	while (fgets(line, sizeof(line), fp) != NULL)
		if (dmz_route_gateway(line, ifname, &gw))
			dmz_facts_exclude(f, gw);
	fclose(fp);
}

static void
read_file(struct dmz_facts *f, const char *dir)
{
	char path[CONF_PATH_MAX + 16], buf[DMZ_FILE_MAX], err[160];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, DMZ_FILE);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd == -1) {
		if (errno != ENOENT)
			log_warnx("dmz: cannot read %s: %s; ignored", path,
			    strerror(errno));
		return;
	}
	n = read(fd, buf, sizeof(buf));
	close(fd);
	if (n < 0 || (size_t)n == sizeof(buf)) {
		log_warnx("dmz: %s: %s; ignored", path,
		    n < 0 ? strerror(errno) : "too long");
		return;
	}
	if (dmz_file_parse(buf, (size_t)n, &f->file, err, sizeof(err)) == -1) {
		log_warnx(
		    "dmz: %s: %s; ignored (it is written again)", path, err);
		return;
	}
	f->saved = true;
}

/* DIR/dmz, atomically: a temp file, fsync, rename. */
static int
write_file(const char *dir, const struct dmz_choice *c)
{
	char path[CONF_PATH_MAX + 16], tmp[CONF_PATH_MAX + 24], text[256];
	size_t len = dmz_file_format(c, text, sizeof(text));
	int fd, e;

	snprintf(path, sizeof(path), "%s/%s", dir, DMZ_FILE);
	snprintf(tmp, sizeof(tmp), "%s/.%s.tmp", dir, DMZ_FILE);
	fd = open(
	    tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd == -1)
		goto fail;
	if (len == 0 || write(fd, text, len) != (ssize_t)len ||
	    fsync(fd) == -1) {
		e = errno;
		close(fd);
		unlink(tmp);
		errno = e;
		goto fail;
	}
	close(fd);
	if (rename(tmp, path) == -1) {
		e = errno;
		unlink(tmp);
		errno = e;
		goto fail;
	}
	return 0;
fail:
	log_warnx("dmz: cannot write %s: %s; a restart finds the address "
		  "again",
	    path, strerror(errno));
	return -1;
}

static bool
known_mac(const struct resolver *r, const uint8_t *mac)
{
	size_t i;

	for (i = 0; i < r->n_macs; i++)
		if (memcmp(r->f_macs[i], mac, 6) == 0)
			return true;
	return false;
}

static void
rx_cb(void *arg, const uint8_t *buf, size_t len, const struct sockaddr_in *src)
{
	struct resolver *r = arg;
	struct elect_msg m;
	char a[INET_ADDRSTRLEN], from[INET_ADDRSTRLEN];
	bool by_next;

	/* Under a key rotation the members may send with the next key. */
	if (elect_wire_decode_either(buf, len, r->key, r->next, &m, &by_next) !=
	    ELECT_WIRE_OK)
		return; /* not ours, or not authentic: not a member's word */
	if (src != NULL)
		dmz_facts_exclude(&r->f, src->sin_addr);
	if ((m.has & ELECT_HAS_MAC) && r->n_macs < NETCFG_MAX_MEMBER_MACS &&
	    !known_mac(r, m.mac))
		memcpy(r->f_macs[r->n_macs++], m.mac, 6);
	if (!dmz_facts_hear(&r->f, &m))
		return;
	ntoa(r->f.peer_addr, a, sizeof(a));
	ntoa(src != NULL ? src->sin_addr : (struct in_addr){0}, from,
	    sizeof(from));
	log_info("dmz: address = auto: %s (%s) at %s uses %s/%u",
	    m.name[0] != '\0' ? m.name : "a member",
	    elect_msg_type_name(m.type), from, a, r->f.peer_prefix);
}

/*
 * qured.socket: systemd holds the cluster port and passes its IPv4 socket
 * as fd 3 or 4 while LISTEN_PID is ours (disc_systemd.c takes them later,
 * so they are read here, not taken: the variables stay). -1 when there
 * is none.
 */
static int
systemd_sock(void)
{
	const char *pid = getenv("LISTEN_PID"), *fds = getenv("LISTEN_FDS");
	struct sockaddr_storage ss;
	socklen_t len;
	int n, fd;

	if (pid == NULL || fds == NULL || atol(pid) != (long)getpid())
		return -1;
	n = atoi(fds);
	for (fd = 3; n >= 1 && n <= 2 && fd < 3 + n; fd++) {
		len = sizeof(ss);
		memset(&ss, 0, sizeof(ss));
		if (getsockname(fd, (struct sockaddr *)&ss, &len) == 0 &&
		    ss.ss_family == AF_INET)
			return fd;
	}
	return -1;
}

/* The systemd socket, joined to the group on ifindex (the cluster's
 * transport finds it joined: EADDRINUSE, which it accepts). */
static int
systemd_join(int fd, const struct conf *conf, unsigned ifindex)
{
	struct ip_mreqn mr;

	memset(&mr, 0, sizeof(mr));
	mr.imr_multiaddr = conf->cluster.group;
	mr.imr_ifindex = (int)ifindex;
	if (setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mr, sizeof(mr)) ==
		-1 &&
	    errno != EADDRINUSE)
		return -1;
	return 0;
}

static void rx_cb(
    void *arg, const uint8_t *buf, size_t len, const struct sockaddr_in *src);

static void
systemd_read_cb(evutil_socket_t fd, short what, void *arg)
{
	uint8_t buf[DISC_DGRAM_MAX];
	struct sockaddr_in src;
	socklen_t slen;
	ssize_t n;
	int i;

	(void)what;
	for (i = 0; i < DISC_RX_BURST; i++) {
		slen = sizeof(src);
		n = recvfrom(fd, buf, sizeof(buf), MSG_DONTWAIT,
		    (struct sockaddr *)&src, &slen);
		if (n < 0)
			return;
		rx_cb(arg, buf, (size_t)n, &src);
	}
}

static void
listen_cb(evutil_socket_t fd, short what, void *arg)
{
	struct resolver *r = arg;

	(void)fd;
	(void)what;
	r->listen_done = true;
}

static void
found_cb(void *arg, const struct router_found *res)
{
	struct resolver *r = arg;
	char a[INET_ADDRSTRLEN];

	r->router_done = true;
	if (!res->ok) {
		log_info("dmz: address = auto: the router's mapping table "
			 "gives no address (%s)",
		    res->error[0] ? res->error : "no row for our ports");
		return;
	}
	r->f.router = true;
	r->f.router_addr = res->addr;
	ntoa(res->addr, a, sizeof(a));
	log_info("dmz: address = auto: the router forwards %s port %u to %s",
	    res->port.proto == IPPROTO_TCP ? "TCP" : "UDP", res->port.port, a);
}

static void
probe_cb(void *arg, enum netcfg_probe_result res, const uint8_t *mac)
{
	struct resolver *r = arg;

	(void)mac;
	r->probe = res;
	r->probe_done = true;
}

/* Runs the loop until *done. */
static void
run_until(struct resolver *r, const bool *done)
{
	while (!*done)
		if (event_base_loop(r->base, EVLOOP_ONCE) != 0)
			break; /* an error, or nothing left to wait for */
}

/* Runs the loop for ms (and whatever else is due meanwhile). */
static void
wait_ms(struct resolver *r, uint64_t ms)
{
	struct timeval tv = {
	    (time_t)(ms / 1000), (suseconds_t)(ms % 1000) * 1000};

	r->listen_done = false;
	if (evtimer_add(r->timer, &tv) == -1)
		abort();
	run_until(r, &r->listen_done);
}

static uint64_t
jitter_ms(void)
{
	uint32_t v = 0;

	if (getrandom(&v, sizeof(v), 0) != (ssize_t)sizeof(v))
		v = (uint32_t)getpid() * 2654435761u;
	return v % DMZ_JITTER_MS;
}

/* One ARP probe of c: FREE, CONFLICT or FAILED. */
static enum netcfg_probe_result
probe(struct resolver *r, const char *ifname, const struct dmz_choice *c,
    char *err, size_t errlen)
{
	static const struct netcfg_cb cb = {.probe_done = probe_cb};
	struct netcfg_conf nc;
	struct netcfg *n;
	char nerr[NETCFG_ERR_MAX];

	memset(&nc, 0, sizeof(nc));
	snprintf(nc.ifname, sizeof(nc.ifname), "%s", ifname);
	nc.dmz = c->addr;
	nc.dmz_prefix = c->prefix;
	nc.now_ms = clock_now_ms;
	n = netcfg_new(r->base, &nc, &cb, r, nerr);
	if (n == NULL) {
		snprintf(err, errlen, "dmz: address = auto: %s", nerr);
		return NETCFG_PROBE_FAILED;
	}
	netcfg_set_member_macs(n, (const uint8_t(*)[6])r->f_macs, r->n_macs);
	r->probe_done = false;
	if (netcfg_probe(n, DMZ_PROBE_COUNT, DMZ_PROBE_GAP_MS,
		DMZ_PROBE_WAIT_MS) == -1) {
		r->probe_done = true;
		r->probe = NETCFG_PROBE_FAILED;
	}
	run_until(r, &r->probe_done);
	netcfg_free(n);
	if (r->probe == NETCFG_PROBE_FAILED)
		snprintf(err, errlen,
		    "dmz: address = auto: cannot ARP-probe on %s (link "
		    "down?)",
		    ifname);
	return r->probe;
}

/*
 * 4: the first candidate nobody answers ARP for. Each probe waits a
 * random while first, so that members started together seldom probe at
 * once. A conflict (an answer, or a probe at the same time: perhaps
 * another member starting) sends us back to listening, so a member that
 * took the address meanwhile is heard and followed (step 1); a candidate
 * is given up only after DMZ_PROBE_ROUNDS conflicts with no member heard.
 */
static int
pick(struct resolver *r, const char *ifname, struct dmz_choice *out, char *err,
    size_t errlen)
{
	char a[INET_ADDRSTRLEN];
	unsigned skip, round;

	for (skip = 0; skip < DMZ_PICK_TRIES; skip++) {
		if (!dmz_pick(&r->f, skip, out)) {
			snprintf(err, errlen,
			    "dmz: address = auto: no free address left on "
			    "the LAN; set [dmz] address");
			return -1;
		}
		ntoa(out->addr, a, sizeof(a));
		for (round = 0; round < DMZ_PROBE_ROUNDS; round++) {
			wait_ms(r, jitter_ms());
			if (dmz_decide(&r->f, out))
				return 0; /* a member spoke meanwhile */
			switch (probe(r, ifname, out, err, errlen)) {
			case NETCFG_PROBE_FREE:
				if (dmz_decide(&r->f, out))
					return 0;
				log_info("dmz: address = auto: %s is free "
					 "(ARP probe): chosen",
				    a);
				return 0;
			case NETCFG_PROBE_FAILED:
				return -1;
			case NETCFG_PROBE_CONFLICT:
			default:
				break;
			}
			log_info("dmz: address = auto: a host answers or "
				 "probes ARP for %s; listening for members",
			    a);
			wait_ms(r, 2 * r->listen_ms);
			if (dmz_decide(&r->f, out))
				return 0;
		}
		log_info("dmz: address = auto: %s is taken: the next one", a);
	}
	snprintf(err, errlen,
	    "dmz: address = auto: %u addresses at the top of the LAN are "
	    "taken; set [dmz] address",
	    DMZ_PICK_TRIES);
	return -1;
}

/* The next key, if any and readable (the cluster refuses a bad one
 * right after, with the reason). */
static struct elect_key *
read_next_key(const struct conf *conf)
{
	uint8_t raw[CONF_KEY_LEN];
	struct elect_key *k;
	char err[256];

	if (conf->cluster.next_key_file[0] == '\0' ||
	    conf_read_key(conf->cluster.next_key_file, raw, err, sizeof(err)) ==
		-1)
		return NULL;
	k = elect_key_new(raw);
	OPENSSL_cleanse(raw, sizeof(raw));
	return k;
}

int
dmz_auto_resolve(struct event_base *base, const struct conf *conf,
    const uint8_t *key, struct dmz_choice *out, char *err, size_t errlen)
{
	struct resolver r;
	struct disc_udp_conf uc;
	struct disc_udp *udp = NULL;
	struct router *rt = NULL;
	struct router_conf rc;
	struct router_port ports[ROUTER_MAX_PORTS];
	char ifname[NETCFG_IFNAME_MAX], nerr[NETCFG_ERR_MAX],
	    a[INET_ADDRSTRLEN], uerr[256];
	struct event *sd_ev = NULL;
	size_t i;
	int rc_ = -1, sd;

	memset(&r, 0, sizeof(r));
	r.base = base;
	if (conf->cluster.interface[0] != '\0')
		snprintf(ifname, sizeof(ifname), "%s", conf->cluster.interface);
	else if (netcfg_default_ifname(ifname, nerr) == -1) {
		snprintf(err, errlen,
		    "dmz: address = auto: %s (set [cluster] interface)", nerr);
		return -1;
	}
	if (lan_of(ifname, &r.f, err, errlen) == -1)
		return -1;
	exclude_gateway(&r.f, ifname);
	read_file(&r.f, conf->node.state_dir);
	r.key = elect_key_new(key);
	r.next = read_next_key(conf);
	r.timer = evtimer_new(base, listen_cb, &r);
	if (r.key == NULL || r.timer == NULL)
		abort();

	/* 1: the members, for dead-after heartbeats and more; the socket
	 * stays open while candidates are probed. */
	disc_udp_conf_defaults(&uc);
	uc.group = conf->cluster.group;
	uc.port = conf->cluster.port;
	uc.ifindex = if_nametoindex(ifname);
	if ((sd = systemd_sock()) != -1) {
		if (systemd_join(sd, conf, uc.ifindex) == -1)
			log_warnx("dmz: address = auto: cannot join the "
				  "group on the socket from systemd: %s",
			    strerror(errno));
		sd_ev = event_new(
		    base, sd, EV_READ | EV_PERSIST, systemd_read_cb, &r);
		if (sd_ev == NULL || event_add(sd_ev, NULL) == -1)
			abort();
	} else if ((udp = disc_udp_new(
			base, &uc, rx_cb, &r, uerr, sizeof(uerr))) == NULL)
		log_warnx("dmz: address = auto: cannot listen for members "
			  "(%s); deciding without them",
		    uerr);
	r.listen_ms = (uint64_t)(conf->cluster.dead_after + 2) *
		      conf->cluster.heartbeat_ms;
	if (r.listen_ms < DMZ_LISTEN_MIN_MS)
		r.listen_ms = DMZ_LISTEN_MIN_MS;

	/* 2: the router's mapping table, meanwhile (UPnP, in its helper). */
	if (conf->dmz.ports.n > 0) {
		memset(&rc, 0, sizeof(rc));
		rc.lan = r.f.lan;
		rc.prefix = r.f.prefix;
		snprintf(rc.ifname, sizeof(rc.ifname), "%s", ifname);
		rt = router_new(base, &rc);
		for (i = 0; i < conf->dmz.ports.n && i < ROUTER_MAX_PORTS;
		     i++) {
			ports[i].proto = conf->dmz.ports.p[i].proto;
			ports[i].port = conf->dmz.ports.p[i].port;
		}
		router_find_dmz(rt, ports, i, found_cb, &r);
	} else {
		r.router_done = true;
		log_info("dmz: address = auto: no [dmz] ports, so no "
			 "router mapping to find the address by");
	}
	ntoa(r.f.lan, a, sizeof(a));
	log_info("dmz: address = auto: listening %" PRIu64
		 " ms for members on %s (%s/%u%s)%s",
	    r.listen_ms, ifname, a, r.f.prefix,
	    sd_ev != NULL ? ", the socket from systemd" : "",
	    rt != NULL ? ", asking the router" : "");
	wait_ms(&r, r.listen_ms);
	run_until(&r, &r.router_done);
	router_free(rt); /* the cluster opens its own */

	if (dmz_decide(&r.f, out))
		rc_ = 0;
	else
		rc_ = pick(&r, ifname, out, err, errlen);
	disc_udp_free(udp);
	if (sd_ev != NULL)
		event_free(sd_ev); /* the socket stays, for the cluster */
	if (r.f.rejected > 0)
		log_warnx("dmz: address = auto: %u datagram(s) of members "
			  "named a DMZ address off our LAN: ignored",
		    r.f.rejected);
	if (rc_ == 0) {
		ntoa(out->addr, a, sizeof(a));
		log_info("dmz: address = auto: %s/%u, source %s (%s)", a,
		    out->prefix, dmz_source_name(out->source),
		    r.f.peer ? "as the members say"
		    : out->source == DMZ_SRC_ROUTER && r.f.router
			? "the router's mapping"
		    : r.f.saved && r.f.file.addr.s_addr == out->addr.s_addr
			? "kept in the state dir"
			: "free; the holder has the router forward [dmz] "
			  "ports to it");
		write_file(conf->node.state_dir, out);
	}
	event_free(r.timer);
	elect_key_free(r.key);
	elect_key_free(r.next);
	return rc_;
}
