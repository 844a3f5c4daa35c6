/*
 * src/cluster.c — the election core's edge: the only code that meets the
 * sockets and the clock for it. Events in, actions applied, timer re-armed.
 */
#include "config.h"

#include "src/cluster.h"

#include <sys/random.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <nettle/sha2.h>
#include <openssl/crypto.h>

#include "base/clock.h"
#include "base/log.h"
#include "base/xmalloc.h"
#include "discovery/disc_avahi.h"
#include "dns/router.h"
#include "discovery/disc6.h"
#include "discovery/discovery.h"
#include "dns/dns_resp.h"
#include "election/election.h"
#include "netcfg/balance.h"
#include "src/redis_coord.h"
#include "netcfg/netcfg.h"
#include "netcfg/netcfg6.h"
#include "dns/dyndns.h"
#include "src/check.h"
#include "src/cloud.h"
#include "src/conf.h"
#include "src/events.h"
#include "src/hooks.h"
#include "src/keyrot.h"
#include "src/site.h"
#include "src/state.h"
#include "src/state_writer.h"
#include "src/status.h"
#include "store/share.h"

#define ANNOUNCE_COUNT 3 /* gratuitous ARPs after taking the address */
#define ANNOUNCE_GAP_MS 100
#define STALL_NOTE_MS 10 /* a gap between steps worth remembering */
#define PROBE_COUNT 2	 /* RFC 5227 style, with failover-friendly timings */
#define PROBE_GAP_MS 50
#define SITE_OUT_MAX 4 /* STATEs asked for within one step: a few */
#define PROBE_WAIT_MS 100
#define DROP_LOG_SLOTS 16
#define DROP_LOG_EVERY_MS 60000
#define NETS_EVERY_MS 1000 /* our addresses, read again at most this often */
/* A defended conflict shows in the status this long after the last
 * report (reports come at most once a NETCFG_DEFEND_INTERVAL_MS). */
#define DEFEND_SHOW_MS (2 * NETCFG_DEFEND_INTERVAL_MS)

/*
 * Hints (doc/design.md §5.6): one unicast HELLO per address per 10 s, and
 * at most 8 at once, 4 a second, whatever is published on the LAN.
 */
#define HINT_PER_ADDR_MS 10000
#define HINT_BURST 8
#define HINT_REFILL_MS 250
/* The DNS-SD fingerprint of the cluster key (cluster_fingerprint()). */
#define FINGERPRINT_LABEL "qure cluster fingerprint v1"

/* The transport carries every datagram the core encodes or accepts. */
_Static_assert(DISC_DGRAM_MAX >= ELECT_WIRE_MAX,
    "DISC_DGRAM_MAX must hold ELECT_WIRE_MAX");

/*
 * Bad input is counted always, logged at most once a minute per reason:
 * a spray from many source addresses (the election port faces the
 * internet in DMZ mode) writes one line a minute, not one per datagram.
 */
struct drop_log {
	const char *why; /* NULL: free slot */
	uint64_t last_ms;
	uint64_t suppressed; /* since the last line */
};

struct cluster {
	/* the last two steps' times and the wake-up the last one asked for
	 * (a fence lapse says which was late) */
	uint64_t step_ms, prev_wake_ms;
	/* The last long gap between steps: its length, the CPU qured ran
	 * in it, when it ended (a lapse's diagnosis, stall_note()). */
	uint64_t step_cpu_ms, gap_ms, gap_cpu_ms, gap_end_ms;
	uint64_t slow_logged_ms; /* note_slow_action() */
	struct event_base *base;
	struct conf conf;
	char ifname[NETCFG_IFNAME_MAX];
	struct keyrot *keys; /* the key and the next key (key rotation) */
	struct elect *core;
	struct elect_conf econf;
	enum elect_handover_result handover; /* of the last step */
	enum elect_rotate_result rotate;     /* of the last step */
	struct netcfg *nc;
	bool dmz4;	       /* [dmz] address is set: netcfg holds it */
	struct netcfg6 *nc6;   /* [dmz] address6, or NULL */
	struct dyndns *dyndns; /* [cloud]: the holder publishes, or NULL */
	/* A probe of both addresses: how many are still out, and the
	 * first conflict (a dual-stack claim needs both free). */
	unsigned probes_out;
	enum netcfg_probe_result probe_r;
	uint8_t probe_mac[6];
	struct disc_udp *udp;
	struct disc_udp6 *udp6;	 /* NULL: no IPv6 on this host */
	struct disc_dedup dedup; /* dual stack: a group datagram comes twice */
	bool has_v4;		 /* the interface has a usable IPv4 address */
	bool any_v4;		 /* or at least a link-local one */
	bool systemd_socket;	 /* the IPv4 socket came from qured.socket */
	uint64_t v4_checked_ms;	 /* when has_v4 was read */
	struct event *timer;
	struct netcfg_watch *watch; /* NULL: no [dmz] ports to watch */
	struct check *check;	    /* NULL: no [dmz] check */
	bool check_failing;	    /* to log a failing check once */
	struct hooks *hooks;
	/* The site settings (src/site.c), and the STATEs it asked for
	 * while a step ran: sent after it (a step within a step would
	 * clobber the step's actions and timer). */
	struct site *site;
	struct site_out {
		struct elect_addr to;
		uint8_t entries[ELECT_ENTRIES_MAX];
		size_t len;
		bool has_ranges;
		uint64_t ranges[ELECT_SITE_RANGES];
	} site_out[SITE_OUT_MAX];
	size_t n_site_out;
	unsigned stepping;  /* steps under way: 0 or 1 */
	bool site_flushing; /* site_flush() under way: its steps flush not */
	void (*step_cb)(void *); /* after every step: the daemon's */
	void *step_cb_arg;
	/* qurectl watch and the status failovers (src/events.h) */
	struct events_track track;
	cluster_event_cb *event_cb;
	void *event_cb_arg;
	void (*site_cb)(void *); /* the settings changed: the daemon's */
	bool reload_quiet;	 /* its reload: no line for no change */
	void *site_cb_arg;
	uint64_t site_out_dropped;
	char conflict[STATUS_MAC_LEN]; /* a foreign MAC on the DMZ address */
	struct elect_id id;	       /* as last persisted */
	struct state_writer *writer;   /* PERSIST, off the loop (D4) */
	struct event *persist_ev;      /* a save refused at once: its DONE */
	bool persist_ok;	       /* the last write landed */
	char persist_err[256];	       /* why the last one failed */
	struct drop_log drops[DROP_LOG_SLOTS];
	bool rejoin; /* the interface was recreated: join the group at up */
	/* The holder's defence: the last foreign MAC that sent ARP as the
	 * DMZ address, when (0: none), and whether "again" was logged. */
	char defended[STATUS_MAC_LEN];
	uint64_t defended_ms;
	bool defended_again;
	struct disc_avahi *avahi; /* NULL until open, or [discovery] off */
	struct router *router;	  /* NULL: [cloud] off (dns/router.h) */
	const char *dmz_source;	  /* status dmz.source (src/dmz_auto.h) */
	struct disc_hint hint;
	char fingerprint[DISC_TXT_CLUSTER_LEN + 1];
	/* Discovery beside the group (issue 9): the IGMP observer (NULL:
	 * unavailable), its hint limiter, our addresses on the interface
	 * (for the unicast address choice), the members already logged for
	 * advertising no usable address. */
	struct disc_igmp *igmp;
	struct disc_igmp_limit hints;
	uint64_t igmp_hints;
	struct disc_net nets[DISC_MAX_NETS];
	size_t n_nets;
	uint64_t nets_ms; /* when read; 0: never */
	struct in_addr group_src;
	struct event *disc_tick;
	/* A live member speaks IPv6 only (no IPv4 address advertised, its
	 * datagrams come over IPv6): group datagrams go on IPv6 too. */
	bool v6_members;
	struct elect_id unusable_logged[ELECT_MAX_MEMBERS]; /* a ring */
	size_t n_unusable_logged;
	/* Newcomers refused by a full membership table, logged once a
	 * minute. */
	struct drop_log refused;
	/* Probes started again for a member's MAC (probe_done_cb()). */
	unsigned probe_restarts;
	/* A conflict from a MAC not (yet) a member's, judged later. */
	struct event *probe_later;
	uint8_t later_mac[6];
	struct dns_server *dns; /* NULL: [dns] off */
	/* Load sharing ([dmz] balance, issue 11 item 4): the members the
	 * table was last computed from and their names, the table, the
	 * ruleset installed (valid while bal_installed), the client hash's
	 * seed (the cluster's), when an install failed (retried a second
	 * later). */
	struct share_member bal_in[SHARE_MAX_MEMBERS];
	char bal_names[SHARE_MAX_MEMBERS][STATUS_ID_LEN > STATUS_NAME_LEN
					      ? STATUS_ID_LEN
					      : STATUS_NAME_LEN];
	size_t bal_n;
	struct share_table bal_table;
	struct balance_conf bal_conf;
	bool bal_installed;
	uint32_t bal_seed;
	uint64_t bal_failed_ms;
};

static void cluster_run(struct cluster *, const struct elect_event *);
static void balance_sync(struct cluster *, uint64_t now);
static int open_dns(struct cluster *, char *, size_t);
static void status_dns(const struct cluster *, struct status *);

/* ---- addresses (discovery/disc_addr.c decides) ---- */

static struct disc_addr
to_disc(const struct elect_addr *a)
{
	struct disc_addr d;

	d.family = a->family;
	memcpy(d.b, a->b, sizeof(d.b));
	return d;
}

static void addr_text(const struct elect_addr *, char *, size_t);

static bool
is_usable(const struct elect_addr *a)
{
	struct disc_addr d = to_disc(a);

	return disc_addr_is_usable(&d);
}

/* Our addresses on the cluster interface, read at most once a second. */
static void
refresh_nets(struct cluster *c, uint64_t now)
{
	int n;

	if (c->nets_ms != 0 && now - c->nets_ms < NETS_EVERY_MS)
		return;
	c->nets_ms = now;
	n = disc_own_nets(c->ifname, c->nets, DISC_MAX_NETS);
	c->n_nets = n > 0 ? (size_t)n : 0;
}

static bool
unusable_logged(struct cluster *c, const struct elect_id *id)
{
	size_t i;

	for (i = 0; i < c->n_unusable_logged && i < ELECT_MAX_MEMBERS; i++)
		if (elect_id_cmp(&c->unusable_logged[i], id) == 0)
			return true;
	/* Full: the oldest goes (logged again only after 64 others). */
	c->unusable_logged[c->n_unusable_logged++ % ELECT_MAX_MEMBERS] = *id;
	return false;
}

/*
 * The address a unicast to member m goes to (its "address" in the
 * status); a member that advertised nothing usable is reached by its
 * source, and the log says so once per member.
 */
static struct elect_addr
member_address(struct cluster *c, const struct elect_member_info *m)
{
	struct disc_addr adv[ELECT_MAX_ADDRS], src = to_disc(&m->src), out;
	struct elect_addr r = m->src;
	char ip[INET6_ADDRSTRLEN], id[33];
	size_t i;

	/* Over IPv6 a member is reached where it sends from: a link-local
	 * source is scoped to the cluster interface (disc_udp6.c). */
	if (m->src.family == 6)
		return m->src;
	for (i = 0; i < m->n_addrs && i < ELECT_MAX_ADDRS; i++)
		adv[i] = to_disc(&m->addrs[i]);
	if (disc_addr_choose(c->nets, c->n_nets, adv, i, &src, &out) ==
		DISC_ADDR_SRC_UNUSABLE &&
	    !unusable_logged(c, &m->id)) {
		addr_text(&m->src, ip, sizeof(ip));
		log_warnx("discovery: member %s (%s) advertises no usable "
			  "address; reaching it at %s, where it sends from",
		    m->name[0] != '\0' ? m->name : "?",
		    elect_id_hex(&m->id, id), ip);
	}
	r.family = out.family;
	memcpy(r.b, out.b, sizeof(r.b));
	return r;
}

/*
 * The core answers a datagram at its source. A source outside our
 * subnets (a multi-homed member sending from its other network) may not
 * be reachable on the link: a member's datagrams then go to its address
 * in our subnet (disc_addr_choose()).
 */
static struct elect_addr
unicast_dest(struct cluster *c, const struct elect_addr *dest, uint64_t now)
{
	static struct elect_member_info members[ELECT_MAX_MEMBERS];
	struct disc_addr d = to_disc(dest);
	size_t i, n;

	refresh_nets(c, now);
	if (disc_addr_in_nets(&d, c->nets, c->n_nets))
		return *dest;
	n = elect_get_members(c->core, now, members, ELECT_MAX_MEMBERS);
	for (i = 0; i < n; i++)
		if (members[i].src.family == dest->family &&
		    memcmp(members[i].src.b, dest->b, sizeof(dest->b)) == 0)
			return member_address(c, &members[i]);
	return *dest;
}

/* ---- applying actions ---- */

#define V4_CHECK_MS 1000 /* how long has_v4 is believed */

/*
 * What IPv4 the cluster interface has, read at most once a second (an
 * address a DHCP client adds is used within a second): a usable address
 * (has_v4), or at least a link-local one (any_v4, 169.254/16).
 */
static bool
has_v4(struct cluster *c, uint64_t now)
{
	struct in_addr a[1];

	if (c->v4_checked_ms != 0 && now < c->v4_checked_ms + V4_CHECK_MS)
		return c->has_v4;
	c->has_v4 = c->nc == NULL || netcfg_get_addrs(c->nc, a, 1) > 0;
	c->any_v4 = c->has_v4 || disc_if_has_ipv4(c->ifname) == 1;
	c->v4_checked_ms = now ? now : 1;
	return c->has_v4;
}

static bool
any_v4(struct cluster *c, uint64_t now)
{
	(void)has_v4(c, now);
	return c->any_v4;
}

/*
 * The cluster runs over IPv4, IPv6 or both. Group datagrams go out on
 * IPv4 when the interface has any IPv4 address (a LAN of 169.254/16
 * ones may have no IPv6: tests/netns/linklocal.sh), and on IPv6 when it
 * has no usable IPv4 address or a member speaks IPv6 only (v6_members).
 * So on a dual-stack LAN each datagram goes once, not twice (background
 * traffic is what QuRe is measured by); receivers listen on both and
 * take one copy (disc_dedup_seen()). Unicast goes on the family of the
 * address the core chose.
 */
static void
apply_send(struct cluster *c, const struct elect_action *a, uint64_t now)
{
	struct sockaddr_in to = {.sin_family = AF_INET};
	struct elect_addr dest;
	struct sockaddr_in6 to6 = {.sin6_family = AF_INET6};

	if (a->dest.family == 0) {
		if (c->udp6 == NULL || any_v4(c, now))
			disc_udp_send(c->udp, NULL, a->buf, a->len);
		if (c->udp6 != NULL && (!has_v4(c, now) || c->v6_members))
			disc_udp6_send(c->udp6, NULL, a->buf, a->len);
		return;
	}
	if (a->dest.family == 6) {
		if (c->udp6 == NULL)
			return;
		memcpy(&to6.sin6_addr, a->dest.b, 16);
		to6.sin6_port = htons(c->conf.cluster.port);
		/* A link-local peer is on the cluster interface. */
		disc_udp6_send(c->udp6, &to6, a->buf, a->len);
		return;
	}
	if (a->dest.family != 4)
		return;
	dest = unicast_dest(c, &a->dest, now);
	memcpy(&to.sin_addr, dest.b, 4);
	to.sin_port = htons(c->conf.cluster.port);
	disc_udp_send(c->udp, &to, a->buf, a->len);
}

/* "192.168.1.11/24" */
static void
dmz_cidr(const struct cluster *c, char *buf, size_t len)
{
	char ip[INET6_ADDRSTRLEN];

	if (!c->dmz4) {
		inet_ntop(AF_INET6, &c->conf.dmz.address6.addr, ip, sizeof(ip));
		snprintf(buf, len, "%s/%u", ip, c->conf.dmz.address6.prefix);
		return;
	}
	inet_ntop(AF_INET, &c->conf.dmz.address.addr, ip, sizeof(ip));
	snprintf(buf, len, "%s/%u", ip, c->conf.dmz.address.prefix);
}

/* "fd00::11/64", or "" without [dmz] address6. */
static void
dmz6_cidr(const struct cluster *c, char *buf, size_t len)
{
	char ip[INET6_ADDRSTRLEN];

	buf[0] = '\0';
	if (c->nc6 == NULL)
		return;
	inet_ntop(AF_INET6, &c->conf.dmz.address6.addr, ip, sizeof(ip));
	snprintf(buf, len, "%s/%u", ip, c->conf.dmz.address6.prefix);
}

/*
 * The holder alone maps [dmz] ports to the DMZ address and asks for the
 * external address at once; a resign stops the renewals and leaves the
 * mappings (they point at the DMZ address: the next holder renews them).
 */
static void
router_holder(struct cluster *c, bool holder)
{
	struct router_port p[ROUTER_MAX_PORTS];
	size_t i, n = c->conf.dmz.ports.n;

	if (c->router == NULL)
		return;
	if (!holder) {
		router_unmap(c->router);
		return;
	}
	if (n > ROUTER_MAX_PORTS)
		n = ROUTER_MAX_PORTS;
	for (i = 0; i < n; i++) {
		p[i].proto = c->conf.dmz.ports.p[i].proto;
		p[i].port = c->conf.dmz.ports.p[i].port;
	}
	router_get_public(c->router, NULL, NULL);
	if (n > 0 && c->conf.dmz.address.prefix != 0)
		router_map(c->router, c->conf.dmz.address.addr, p, n);
}

/*
 * A silent holder is claimed from its fence (tens of ms) or, when the
 * fence does not serve, its lease (600 ms at the defaults): an operator
 * reading why a failover was slow finds the reason here.
 */
static void
log_round_fence(struct cluster *c)
{
	uint64_t age;
	enum elect_fence_why why = elect_get_round_fence(c->core, &age);

	if (why == ELECT_FENCE_SERVES)
		return;
	if (why == ELECT_FENCE_LOSS)
		log_info("cluster: the holder's fence does not serve (a sign "
			 "of loss or delay on the way from it %llu ms ago): "
			 "its lease is waited out",
		    (unsigned long long)age);
	else
		log_info("cluster: the holder's fence does not serve (%s): "
			 "its lease is waited out",
		    elect_fence_why_name(why));
}

/*
 * Why the loop missed its fence: its last long gap between steps, and
 * whether qured ran in it (busy with its own work: a defect to find) or
 * not (stopped, blocked in the kernel, or not scheduled by a busy or
 * paused host: the fence doing its job).
 */
static const char *
stall_why(uint64_t gap_ms, uint64_t cpu_ms)
{
	return 2 * cpu_ms >= gap_ms
		   ? "busy with its own work"
		   : "not running: stopped, blocked or not scheduled";
}

static void
log_fence_lapse(struct cluster *c)
{
	log_warnx("cluster: the fence lapsed: the loop went %llu ms without a "
		  "step and ran %llu ms of them (%s), ending %llu ms ago; "
		  "its wake-up was due %lld ms before this step",
	    (unsigned long long)c->gap_ms, (unsigned long long)c->gap_cpu_ms,
	    stall_why(c->gap_ms, c->gap_cpu_ms),
	    (unsigned long long)(c->step_ms - c->gap_end_ms),
	    (long long)c->step_ms - (long long)c->prev_wake_ms);
}

/* ---- events (qurectl watch, status failovers; src/events.h) ---- */

static void
emit(struct cluster *c, const struct events_event *ev)
{
	if (c->event_cb != NULL)
		c->event_cb(c->event_cb_arg, ev);
}

static void
events_clock(struct events_clock *clk, uint64_t now)
{
	clk->mono_ms = now;
	clk->unix_ms = clock_wall_ms();
}

static void
events_state(struct cluster *c, const struct elect_action *a)
{
	struct events_clock clk;
	struct events_event ev;

	events_clock(&clk, c->step_ms);
	events_track_state(&c->track, &clk, a->old, a->state, a->reason, &ev);
	emit(c, &ev);
}

static void
events_member(struct cluster *c, const struct elect_action *a, uint64_t now)
{
	struct events_clock clk;
	struct events_event ev;
	struct events_peer who;
	char ip[INET6_ADDRSTRLEN] = "";

	events_clock(&clk, now);
	elect_id_hex(&a->member.id, who.id);
	snprintf(who.name, sizeof(who.name), "%s", a->member.name);
	if (a->src.family != 0)
		addr_text(&a->src, ip, sizeof(ip));
	events_track_member(&c->track, &clk, a->type == ELECT_ACT_MEMBER_UP,
	    &who, ip, a->member.last_seen_ms, &ev);
	emit(c, &ev);
}

/* After a step: the holder believed in now, with the age the member
 * listing gives it (the failover's start, src/events_track.c). */
static void
events_holder(struct cluster *c, uint64_t now)
{
	static struct elect_member_info m[ELECT_MAX_MEMBERS];
	struct events_holder h = {0};
	struct events_clock clk;
	struct events_event ev;
	struct elect_id id, me;
	size_t i, n;

	elect_get_id(c->core, &me);
	elect_id_hex(&me, c->track.self.id); /* a clone's new id too */
	if (elect_get_holder(c->core, &id)) {
		h.present = true;
		h.self = elect_id_cmp(&id, &me) == 0;
		elect_id_hex(&id, h.who.id);
	}
	if (h.self)
		snprintf(h.who.name, sizeof(h.who.name), "%s", c->econf.name);
	n = h.present && !h.self
		? elect_get_members(c->core, now, m, ELECT_MAX_MEMBERS)
		: 0;
	for (i = 0; i < n; i++) {
		if (elect_id_cmp(&m[i].id, &id) != 0)
			continue;
		snprintf(h.who.name, sizeof(h.who.name), "%s", m[i].name);
		h.heard = true;
		h.last_seen_ms = m[i].last_seen_ms;
	}
	events_clock(&clk, now);
	if (events_track_holder(&c->track, &clk, &h, &ev))
		emit(c, &ev);
}

static void
events_init(struct cluster *c)
{
	struct events_peer self;
	struct elect_id me;

	elect_get_id(c->core, &me);
	elect_id_hex(&me, self.id);
	snprintf(self.name, sizeof(self.name), "%s", c->econf.name);
	/* A holder silent past its next heartbeat (and a quarter) when
	 * another member claimed was dead: that member found it so. */
	events_track_init(&c->track, &self,
	    c->econf.heartbeat_ms + c->econf.heartbeat_ms / 4);
}

void
cluster_on_event(struct cluster *c, cluster_event_cb *cb, void *arg)
{
	c->event_cb = cb;
	c->event_cb_arg = arg;
}

static void
apply_state(struct cluster *c, const struct elect_action *a)
{
	char cidr[INET6_ADDRSTRLEN + 5];

	events_state(c, a);
	log_info("cluster: %s -> %s (%s), epoch %llu", elect_state_name(a->old),
	    elect_state_name(a->state), elect_reason_name(a->reason),
	    (unsigned long long)elect_get_epoch(c->core));
	/* Why the loop missed its fence: a stall (how long), or a late
	 * wake-up of the timer (when it was due). */
	if (a->reason == ELECT_WHY_FENCE_LAPSED)
		log_fence_lapse(c);
	if (a->reason == ELECT_WHY_PROBE_FAILED)
		log_round_fence(c);
	dmz_cidr(c, cidr, sizeof(cidr));
	hooks_run(c->hooks, elect_state_name(a->state),
	    elect_state_name(a->old), elect_reason_name(a->reason),
	    elect_get_epoch(c->core), cidr);
	if (a->state == ELECT_ST_HOLDER || a->reason == ELECT_WHY_HOLDER_HEARD)
		c->conflict[0] = '\0'; /* the cluster owns the address now */
	router_holder(c, a->state == ELECT_ST_HOLDER);
	/* Only a standby watches the holder's clients: not the holder. */
	if (c->watch != NULL)
		netcfg_watch_set_enabled(
		    c->watch, a->state == ELECT_ST_STANDBY);
	dyndns_set_holder(c->dyndns, a->state == ELECT_ST_HOLDER);
}

/* A write's outcome: logged once per failing streak, kept for status. */
static void
persist_result(struct cluster *c, bool ok, const char *err)
{
	if (!ok && c->persist_ok)
		log_warnx("%s; no claim above the epoch on disk until it "
			  "is written (retrying)",
		    err);
	else if (ok && !c->persist_ok)
		log_info("state: written to %s again", c->conf.node.state_dir);
	if (!ok)
		snprintf(c->persist_err, sizeof(c->persist_err), "%s", err);
	c->persist_ok = ok;
}

/* The writer child answered: feed it to the core. */
static void
persist_written_cb(void *arg, bool ok, const char *err)
{
	struct cluster *c = arg;
	struct elect_event ev = {.type = ELECT_EV_PERSIST_DONE, .ok = ok};

	persist_result(c, ok, err);
	cluster_run(c, &ev);
}

static void
apply_persist(struct cluster *c, const struct elect_action *a)
{
	char err[256], hex[33];
	struct elect_id was;

	/* Off the loop; the answer comes as its own event, never inside
	 * this step. Refused at once (fork failed): a failed DONE. */
	if (state_writer_save(c->writer, &a->persist, err, sizeof(err)) == -1) {
		persist_result(c, false, err);
		event_active(c->persist_ev, EV_TIMEOUT, 0);
	}
	was = c->id;
	c->id = a->persist.id;
	if (!elect_id_is_zero(&was) && elect_id_cmp(&was, &c->id) != 0)
		log_warnx(
		    "cluster: an older node has our id (a cloned image?); "
		    "this node is now %s",
		    elect_id_hex(&c->id, hex));
}

static struct drop_log *
drop_slot(struct cluster *c, const char *why)
{
	struct drop_log *slot = &c->drops[0];
	size_t i;

	for (i = 0; i < DROP_LOG_SLOTS; i++) {
		if (c->drops[i].why != NULL &&
		    strcmp(c->drops[i].why, why) == 0)
			return &c->drops[i];
		if (c->drops[i].last_ms < slot->last_ms)
			slot = &c->drops[i];
	}
	memset(slot, 0, sizeof(*slot));
	slot->why = why;
	return slot;
}

/* ip: the sender as text; why: a static string naming the reason. */
static void
log_drop(struct cluster *c, const char *ip, const char *why, uint64_t now)
{
	struct drop_log *slot = drop_slot(c, why);

	if (slot->last_ms != 0 && now < slot->last_ms + DROP_LOG_EVERY_MS) {
		slot->suppressed++;
		return;
	}
	if (slot->suppressed > 0)
		log_warnx("cluster: dropped a datagram from %s: %s (and %llu "
			  "more since the last line; counted; logged once a "
			  "minute per reason)",
		    ip, why, (unsigned long long)slot->suppressed);
	else
		log_warnx("cluster: dropped a datagram from %s: %s (counted; "
			  "logged once a minute per reason)",
		    ip, why);
	slot->last_ms = now ? now : 1;
	slot->suppressed = 0;
}

static void
apply_drop(struct cluster *c, const struct elect_action *a, uint64_t now)
{
	char ip[INET6_ADDRSTRLEN] = "?";

	if (a->src.family == 4)
		inet_ntop(AF_INET, a->src.b, ip, sizeof(ip));
	else if (a->src.family == 6)
		inet_ntop(AF_INET6, a->src.b, ip, sizeof(ip));
	log_drop(c, ip, elect_wire_err_name(a->err), now);
}

/* "other dmz address, heartbeat": what a mismatch bit set says. */
static void
mismatch_text(unsigned bits, char *buf, size_t len)
{
	snprintf(buf, len, "other%s%s%s",
	    bits & ELECT_MISMATCH_DMZ ? " dmz address" : "",
	    bits & ELECT_MISMATCH_LEASE
		? (bits & ELECT_MISMATCH_DMZ ? ", lease" : " lease")
		: "",
	    bits & ELECT_MISMATCH_HEARTBEAT
		? (bits & (ELECT_MISMATCH_DMZ | ELECT_MISMATCH_LEASE)
			  ? ", heartbeat"
			  : " heartbeat")
		: "");
}

static void addr_text(const struct elect_addr *, char *, size_t);

/* The core says it once per peer: a member we will not elect with. */
static void
apply_conflict(const struct elect_action *a)
{
	char id[33], ip[INET6_ADDRSTRLEN], what[64];

	addr_text(&a->src, ip, sizeof(ip));
	mismatch_text(a->mismatch, what, sizeof(what));
	log_warnx("cluster: member %s (%s) at %s: %s than ours; it takes "
		  "no part in the election (check its qured.conf)",
	    a->name[0] != '\0' ? a->name : "?", elect_id_hex(&a->peer, id), ip,
	    what);
}

/* On dual stack both addresses are added, refreshed and deleted in the
 * same step: whoever holds one holds the other. */
/* Before each add and refresh: the guard drops the address of a stalled
 * loop at the end of the lease the peers count, not at the fence. */
static void
set_peer_lease_end(struct cluster *c)
{
	uint64_t until = elect_get_peer_lease_until(c->core);

	if (c->dmz4)
		netcfg_set_peer_lease_end(c->nc, until);
	if (c->nc6 != NULL)
		netcfg6_set_peer_lease_end(c->nc6, until);
}

static void
apply_addr_add(struct cluster *c, uint32_t lease_ms)
{
	set_peer_lease_end(c);
	if (c->dmz4 && netcfg_addr_add(c->nc, lease_ms) == 0)
		netcfg_announce(c->nc, ANNOUNCE_COUNT, ANNOUNCE_GAP_MS);
	if (c->nc6 != NULL && netcfg6_addr_add(c->nc6, lease_ms) == 0)
		netcfg6_announce(c->nc6, ANNOUNCE_COUNT, ANNOUNCE_GAP_MS);
}

static void
addr_refresh(struct cluster *c, uint32_t lease_ms)
{
	set_peer_lease_end(c);
	if (c->dmz4)
		netcfg_addr_refresh(c->nc, lease_ms);
	if (c->nc6 != NULL)
		netcfg6_addr_add(c->nc6, lease_ms);
}

static void
addr_del(struct cluster *c)
{
	if (c->dmz4)
		netcfg_addr_del(c->nc);
	if (c->nc6 != NULL)
		netcfg6_addr_del(c->nc6);
}

/* Whether we hold the DMZ address(es): either counts. */
static bool
is_held(const struct cluster *c)
{
	return (c->dmz4 && netcfg_is_held(c->nc)) ||
	       (c->nc6 != NULL && netcfg6_is_held(c->nc6));
}

/* Members answering for the address are no conflict: they hold it, or
 * held it (a probe, the holder's defence). */
static void
set_member_macs(struct cluster *c, uint64_t now)
{
	static struct elect_member_info members[ELECT_MAX_MEMBERS];
	uint8_t macs[ELECT_MAX_MEMBERS][6];
	size_t i, n, nmacs = 0;

	n = elect_get_members(c->core, now, members, ELECT_MAX_MEMBERS);
	for (i = 0; i < n && nmacs < NETCFG_MAX_MEMBER_MACS; i++)
		if (memcmp(members[i].mac, (uint8_t[6]){0}, 6) != 0)
			memcpy(macs[nmacs++], members[i].mac, 6);
	netcfg_set_member_macs(c->nc, (const uint8_t(*)[6])macs, nmacs);
	if (c->nc6 != NULL)
		netcfg6_set_member_macs(
		    c->nc6, (const uint8_t(*)[6])macs, nmacs);
}

static void probe_done_cb(void *, enum netcfg_probe_result, const uint8_t *);

/*
 * ARP probe of the IPv4 address, NS probe of the IPv6 one, at the same
 * time: the core hears one PROBE_DONE, when both ended, free only if
 * both were (probe_done_cb). A probe that cannot start counts as failed,
 * which the core takes as it takes a conflict.
 */
static void
start_probe(struct cluster *c, uint64_t now)
{
	set_member_macs(c, now);
	c->probes_out = 0;
	c->probe_r = NETCFG_PROBE_FREE;
	if (c->dmz4 && netcfg_probe(c->nc, PROBE_COUNT, PROBE_GAP_MS,
			   PROBE_WAIT_MS) == -1) {
		log_warnx(
		    "netcfg: cannot probe the DMZ address on %s", c->ifname);
		c->probe_r = NETCFG_PROBE_FAILED;
	} else if (c->dmz4) {
		c->probes_out++;
	}
	if (c->nc6 != NULL && netcfg6_probe(c->nc6, PROBE_COUNT, PROBE_GAP_MS,
				  PROBE_WAIT_MS) == -1) {
		log_warnx("netcfg: cannot probe the IPv6 DMZ address on %s",
		    c->ifname);
		c->probe_r = NETCFG_PROBE_FAILED;
	} else if (c->nc6 != NULL) {
		c->probes_out++;
	}
	/* Nothing out: no PROBE_DONE, as netcfg_probe() -1 always meant. */
}

/*
 * The core heard a holder and waits for no probe result: the probe ends
 * now. Left running, a member's answer restarts it, and a standby's NSs
 * made a foreign host that took the address answer to all nodes, a
 * second claim within the holder's defend interval, which it does not
 * answer (defend6.sh, loaded: the router moved to the foreign MAC).
 */
static void
probe_drop_unwanted(struct cluster *c)
{
	bool later =
	    c->probe_later != NULL && evtimer_pending(c->probe_later, NULL);

	if (elect_is_probing(c->core) || (c->probes_out == 0 && !later))
		return;
	netcfg_probe_stop(c->nc);
	if (c->nc6 != NULL)
		netcfg6_probe_stop(c->nc6);
	if (later)
		evtimer_del(c->probe_later);
	c->probes_out = 0;
}

static void
apply_probe(struct cluster *c, uint64_t now)
{
	c->probe_restarts = 0;
	if (c->probe_later != NULL)
		evtimer_del(c->probe_later);
	start_probe(c, now);
}

/* Whether mac is a live member's, as its HELLO gave it. */
static bool
is_member_mac(struct cluster *c, const uint8_t *mac)
{
	static struct elect_member_info members[ELECT_MAX_MEMBERS];
	size_t i, n;

	n = elect_get_members(
	    c->core, clock_now_ms(), members, ELECT_MAX_MEMBERS);
	for (i = 0; i < n; i++)
		if (memcmp(members[i].mac, mac, 6) == 0)
			return true;
	return false;
}

/*
 * Stopped (SIGSTOP, a frozen VM) between the core's step and these
 * actions, past the lease that step gave: the guard may have dropped the
 * address already, and adding it back would extend a lease the peers no
 * longer count on. Skip it; the next step demotes (the clock read is
 * fresh on purpose: `now` is from before the stop).
 */
static bool
lease_ran_out(struct cluster *c)
{
	return clock_now_ms() >= elect_get_lease_until(c->core);
}

/*
 * The kernel gets what is left of the lease the core's step gave, not a
 * fresh one from now: actions before it (a CLAIM sent first, an nftables
 * transaction slow on a loaded host) must not push the kernel's lease end
 * past the one the peers count from our datagram (D3).
 */
static uint32_t
lease_left_ms(struct cluster *c)
{
	uint64_t until = elect_get_lease_until(c->core), now = clock_now_ms();

	return until > now ? (uint32_t)(until - now) : 0;
}

/*
 * The core declared a member dead (nothing heard of it for its expiry:
 * a few hundred ms with ALIVEs on) or heard it again. Logged; the parts
 * that act on members (the site cache, load sharing) read the listing
 * after the step.
 */
static void
apply_member(struct cluster *c, const struct elect_action *a, uint64_t now)
{
	char ip[INET6_ADDRSTRLEN] = "?";

	events_member(c, a, now);
	addr_text(&a->src, ip, sizeof(ip));
	if (a->type == ELECT_ACT_MEMBER_DEAD)
		log_info("cluster: member %s (%s) declared dead: not heard "
			 "for %llu ms",
		    a->member.name[0] ? a->member.name : "?", ip,
		    (unsigned long long)a->member.last_seen_ms);
	else
		log_info("cluster: member %s (%s) up",
		    a->member.name[0] ? a->member.name : "?", ip);
}

static void
apply(struct cluster *c, const struct elect_action *a, uint64_t now)
{
	switch (a->type) {
	case ELECT_ACT_SEND:
		apply_send(c, a, now);
		break;
	case ELECT_ACT_ADDR_ADD:
		if (lease_ran_out(c))
			break;
		set_member_macs(c, now); /* for the holder's defence */
		apply_addr_add(c, lease_left_ms(c));
		break;
	case ELECT_ACT_ADDR_REFRESH:
		if (!lease_ran_out(c))
			addr_refresh(c, lease_left_ms(c));
		break;
	case ELECT_ACT_ADDR_DEL:
		addr_del(c);
		break;
	case ELECT_ACT_STATE:
		apply_state(c, a);
		break;
	case ELECT_ACT_PERSIST:
		apply_persist(c, a);
		break;
	case ELECT_ACT_DROP:
		apply_drop(c, a, now);
		break;
	case ELECT_ACT_PROBE:
		apply_probe(c, now);
		break;
	case ELECT_ACT_ANNOUNCE:
		if (c->dmz4)
			netcfg_announce(c->nc, ANNOUNCE_COUNT, ANNOUNCE_GAP_MS);
		if (c->nc6 != NULL)
			netcfg6_announce(
			    c->nc6, ANNOUNCE_COUNT, ANNOUNCE_GAP_MS);
		break;
	case ELECT_ACT_CONFLICT:
		apply_conflict(a);
		break;
	case ELECT_ACT_FAREWELL:
		/* The guard sends it if we die holding (netcfg_guard.c);
		 * without an IPv4 address, the IPv6 one's (netcfg6.c). */
		if (c->dmz4)
			(void)netcfg_guard_farewell(
			    c->nc, a->buf, a->len, !elect_id_is_zero(&a->peer));
		else if (c->nc6 != NULL)
			(void)netcfg6_guard_farewell(c->nc6, a->buf, a->len);
		break;
	case ELECT_ACT_CHECK:
		/*
		 * The check runs every [dmz] check-interval on its own
		 * schedule (check_schedule()), whose results answer this.
		 */
		break;
	case ELECT_ACT_SITE_DIFFERS:
		if (c->site != NULL)
			site_on_differs(c->site, &a->peer, &a->src, now);
		break;
	case ELECT_ACT_SITE_STATE:
		if (c->site != NULL)
			site_on_state(c->site, &a->peer, &a->src, a->buf,
			    a->len, a->has_ranges ? a->ranges : NULL, now);
		break;
	case ELECT_ACT_MEMBER_DEAD:
	case ELECT_ACT_MEMBER_UP:
		apply_member(c, a, now);
		break;
	}
}

static void
arm_timer(struct cluster *c, uint64_t wake_ms, uint64_t now)
{
	struct timeval tv = {0, 0};
	uint64_t in_ms;

	if (wake_ms == 0) {
		evtimer_del(c->timer);
		return;
	}
	in_ms = wake_ms > now ? wake_ms - now : 0;
	tv.tv_sec = (time_t)(in_ms / 1000);
	tv.tv_usec = (suseconds_t)(in_ms % 1000) * 1000;
	evtimer_add(c->timer, &tv);
}

/* What we publish by DNS-SD (doc/design.md §5.6). */
static void
txt_from(const struct cluster *c, struct disc_txt *t)
{
	struct elect_id id;

	memset(t, 0, sizeof(*t));
	elect_get_id(c->core, &id);
	memcpy(t->id, id.b, sizeof(t->id));
	memcpy(t->cluster, c->fingerprint, sizeof(t->cluster));
	t->prio = c->econf.priority;
	snprintf(t->state, sizeof(t->state), "%s",
	    elect_state_name(elect_get_state(c->core)));
	t->ver = ELECT_PROTO_VERSION;
}

/* The published TXT follows our id, state and priority (a no-op when
 * they did not change). */
static void
avahi_sync(struct cluster *c)
{
	struct disc_txt t;

	if (c->avahi == NULL)
		return;
	txt_from(c, &t);
	disc_avahi_set_txt(c->avahi, &t);
}

/*
 * An action that held the loop for 10 ms or more: a holder must step
 * within its fence (50 ms), so such a one is worth a line (once a
 * minute at most): which action, how long.
 */
static void
note_slow_action(struct cluster *c, const struct elect_action *a, uint64_t t)
{
	uint64_t took = clock_now_ms() - t;

	if (took < 10 || (c->slow_logged_ms != 0 &&
			     clock_now_ms() < c->slow_logged_ms + 60000))
		return;
	c->slow_logged_ms = clock_now_ms();
	log_warnx("cluster: applying action %d took %llu ms (a holder must "
		  "step within its fence; logged once a minute)",
	    (int)a->type, (unsigned long long)took);
}

/*
 * The public address(es) this member knows by itself: learnt by its
 * public-address part (as holder), or static ([cloud] public-address =
 * static:, known everywhere). At most one per family; returns how many.
 */
static size_t
own_public(const struct cluster *c, struct elect_addr pub[ELECT_MAX_PUBLIC])
{
	const struct conf_pubaddr *pa = &c->conf.cloud.public_address;
	struct in_addr a;
	struct in6_addr a6;
	size_t n = 0;

	memset(pub, 0, ELECT_MAX_PUBLIC * sizeof(*pub));
	if (c->dyndns != NULL && dyndns_public_v4(c->dyndns, &a) == 0) {
		pub[n].family = 4;
		memcpy(pub[n++].b, &a, 4);
	} else if (c->conf.cloud.enabled && pa->mode == CONF_PUBADDR_STATIC) {
		pub[n].family = 4;
		memcpy(pub[n++].b, &pa->addr, 4);
	}
	if (c->dyndns != NULL && dyndns_public_v6(c->dyndns, &a6) == 0) {
		pub[n].family = 6;
		memcpy(pub[n++].b, &a6, 16);
	}
	return n;
}

/* What the core announces as holder: our own public address(es). */
static void
public_to_core(struct cluster *c)
{
	struct elect_addr pub[ELECT_MAX_PUBLIC];

	elect_set_public(c->core, pub, own_public(c, pub));
}

static int step_core(struct cluster *, const struct elect_event *);

/*
 * The address guard resigned for us (netcfg_guard.c): our loop let the
 * fence run out unrenewed (stopped, blocked), so the guard deleted the
 * address and sent our farewell; a standby may hold already. The core
 * learns it before any other event of ours, so it says nothing more as
 * holder. A core that let the address go meanwhile (its lease ran out
 * during a longer stop) has nothing to resign: the word is acked.
 */
static void
guard_spoke(struct cluster *c)
{
	struct elect_event ev = {.type = ELECT_EV_GUARD_RESIGNED};

	if (!c->dmz4 || !netcfg_guard_resigned(c->nc))
		return;
	uint64_t gap = clock_now_ms() - c->step_ms;
	uint64_t cpu = clock_cpu_ms() - c->step_cpu_ms;

	log_warnx("cluster: the address guard resigned for this process: "
		  "its loop went %llu ms without a step and ran %llu ms of "
		  "them (%s); the address is gone and a standby takes it",
	    (unsigned long long)gap, (unsigned long long)cpu,
	    stall_why(gap, cpu));
	if (elect_get_state(c->core) != ELECT_ST_HOLDER ||
	    step_core(c, &ev) == -1 || netcfg_guard_resigned(c->nc))
		netcfg_addr_del(c->nc);
}

static int
step(struct cluster *c, const struct elect_event *ev)
{
	guard_spoke(c);
	return step_core(c, ev);
}

/* A gap of STALL_NOTE_MS or more between steps is remembered, with the
 * CPU qured ran in it, for log_fence_lapse(). */
static void
stall_note(struct cluster *c, uint64_t now)
{
	uint64_t cpu = clock_cpu_ms();

	if (c->step_ms != 0 && now >= c->step_ms + STALL_NOTE_MS) {
		c->gap_ms = now - c->step_ms;
		c->gap_cpu_ms =
		    cpu >= c->step_cpu_ms ? cpu - c->step_cpu_ms : 0;
		c->gap_end_ms = now;
	}
	c->step_cpu_ms = cpu;
}

static void site_flush(struct cluster *c);

static int
step_core(struct cluster *c, const struct elect_event *ev)
{
	static struct elect_out out; /* 40 KiB: off the stack, one loop */
	uint64_t now = clock_now_ms();
	size_t i;

	stall_note(c, now);
	c->step_ms = now;
	public_to_core(c);
	if (elect_step(c->core, now, ev, &out) == -1)
		return -1;
	c->stepping++;
	for (i = 0; i < out.nact; i++) {
		uint64_t t = clock_now_ms();

		apply(c, &out.act[i], now);
		note_slow_action(c, &out.act[i], t);
	}
	probe_drop_unwanted(c);
	events_holder(c, now);
	arm_timer(c, out.wake_ms, now);
	c->prev_wake_ms = out.wake_ms;
	c->handover = out.handover;
	c->rotate = out.rotate;
	keyrot_watch(c->keys, c->core, now);
	avahi_sync(c);
	balance_sync(c, now);
	c->stepping--;
	site_flush(c);
	if (c->step_cb != NULL)
		c->step_cb(c->step_cb_arg);
	return 0;
}

static void
cluster_run(struct cluster *c, const struct elect_event *ev)
{
	if (step(c, ev) == -1)
		fatalx("cluster: election core rejected its own event %d",
		    (int)ev->type);
}

/* ---- load sharing ([dmz] balance, issue 11 item 4) ---- */

#define BALANCE_RETRY_MS 1000 /* a failed install is tried again */

static uint32_t
dmz_mask(const struct cluster *c)
{
	uint8_t p = c->conf.dmz.address.prefix;

	return htonl(p == 0 ? 0 : p >= 32 ? 0xffffffffu : ~(0xffffffffu >> p));
}

/* Our LAN address (one in the DMZ subnet first), never the DMZ
 * address; 0 if none: where our own buckets go. From the addresses
 * the unicast choice reads (at most once a second), not a dump per step. */
static uint32_t
own_lan_addr(struct cluster *c, uint64_t now)
{
	uint32_t m = dmz_mask(c), dmz = c->conf.dmz.address.addr.s_addr;
	uint32_t v, first = 0;
	size_t i;

	refresh_nets(c, now);
	for (i = 0; i < c->n_nets; i++) {
		if (c->nets[i].addr.family != 4)
			continue;
		memcpy(&v, c->nets[i].addr.b, 4);
		if (v == dmz || v == 0)
			continue;
		if ((v & m) == (dmz & m))
			return v;
		if (first == 0)
			first = v;
	}
	return first;
}

/* A member's IPv4 LAN address: where our unicasts go, else the first
 * IPv4 address it advertised (a member heard over IPv6); 0 if none. */
static uint32_t
member_lan_addr(struct cluster *c, const struct elect_member_info *m)
{
	struct elect_addr a = member_address(c, m);
	uint32_t v, dmz = c->conf.dmz.address.addr.s_addr;
	size_t i;

	if (a.family == 4) {
		memcpy(&v, a.b, 4);
		if (v != dmz && v != 0)
			return v;
	}
	for (i = 0; i < m->n_addrs && i < ELECT_MAX_ADDRS; i++) {
		if (m->addrs[i].family != 4)
			continue;
		memcpy(&v, m->addrs[i].b, 4);
		if (v != dmz && v != 0)
			return v;
	}
	return 0;
}

/* Us first (the holder: fit, or it would have handed over), then every
 * live member as the core knows it; names for the status and the log. */
static size_t
balance_members(struct cluster *c, uint64_t now, struct share_member *in,
    char (*names)[sizeof(c->bal_names[0])])
{
	static struct elect_member_info members[ELECT_MAX_MEMBERS];
	struct elect_id me;
	size_t i, n, k;

	memset(in, 0, SHARE_MAX_MEMBERS * sizeof(*in));
	memset(names, 0, SHARE_MAX_MEMBERS * sizeof(names[0]));
	elect_get_id(c->core, &me);
	memcpy(in[0].id, me.b, sizeof(in[0].id));
	in[0].addr = own_lan_addr(c, now);
	snprintf(names[0], sizeof(names[0]), "%s", c->econf.name);
	n = elect_get_members(c->core, now, members, ELECT_MAX_MEMBERS);
	for (i = 0, k = 1; i < n && k < SHARE_MAX_MEMBERS; i++, k++) {
		const struct elect_member_info *m = &members[i];

		memcpy(in[k].id, m->id.b, sizeof(in[k].id));
		in[k].addr = member_lan_addr(c, m);
		in[k].unfit = m->unfit;
		in[k].stopped = m->state == ELECT_ST_STOPPED;
		in[k].foreign = m->mismatch != 0;
		if (m->name[0] != '\0')
			snprintf(names[k], sizeof(names[k]), "%s", m->name);
		else
			elect_id_hex(&m->id, names[k]);
	}
	return k;
}

/* "h1 85, h2 86, h3 85" (the members with buckets). */
static void
balance_text(const struct cluster *c, char *buf, size_t len)
{
	size_t i, used = 0;
	int w;

	buf[0] = '\0';
	for (i = 0; i < c->bal_n && used < len; i++) {
		if (c->bal_table.count[i] == 0)
			continue;
		w = snprintf(buf + used, len - used, "%s%s %u",
		    used ? ", " : "", c->bal_names[i],
		    (unsigned)c->bal_table.count[i]);
		if (w < 0)
			break;
		used += (size_t)w;
	}
}

static void
balance_off(struct cluster *c, const char *why)
{
	c->bal_n = 0;
	c->bal_failed_ms = 0;
	if (!c->bal_installed)
		return;
	c->bal_installed = false;
	if (netcfg_balance_remove(c->nc) == 0)
		log_info("balance: table removed (%s)", why);
}

/* The ruleset's settings but the buckets: from the config. */
static void
balance_conf_from(
    const struct cluster *c, uint32_t self, struct balance_conf *bc)
{
	size_t i;

	memset(bc, 0, sizeof(*bc));
	memcpy(bc->table, c->bal_conf.table, sizeof(bc->table));
	bc->dmz = c->conf.dmz.address.addr;
	bc->self.s_addr = self;
	bc->key_port = c->conf.dmz.balance_key == CONF_BALANCE_ADDR_PORT;
	bc->seed = c->bal_seed;
	for (i = 0; i < c->conf.dmz.ports.n && i < BALANCE_MAX_PORTS; i++) {
		bc->ports[i].proto = c->conf.dmz.ports.p[i].proto;
		bc->ports[i].port = c->conf.dmz.ports.p[i].port;
	}
	bc->n_ports = i;
}

/*
 * After every step: while we hold the address with [dmz] balance on,
 * the table from the members as they are now, installed when it changed
 * (a member joined, left, became unfit or fit again; the config
 * changed); otherwise none. The table is computed again only when the
 * members' listing changed.
 */
static void
balance_sync(struct cluster *c, uint64_t now)
{
	static struct share_member in[SHARE_MAX_MEMBERS];
	static char names[SHARE_MAX_MEMBERS][sizeof(c->bal_names[0])];
	static struct balance_conf bc;
	char text[512];
	size_t n, b;

	if (!c->dmz4 || !c->conf.dmz.balance || c->conf.dmz.ports.n == 0) {
		balance_off(c, "balance off");
		return;
	}
	if (elect_get_state(c->core) != ELECT_ST_HOLDER ||
	    !netcfg_is_held(c->nc)) {
		balance_off(c, "not holding");
		return;
	}
	n = balance_members(c, now, in, names);
	if (n != c->bal_n || memcmp(in, c->bal_in, n * sizeof(in[0])) != 0 ||
	    memcmp(names, c->bal_names, n * sizeof(names[0])) != 0) {
		share_compute(in, n, &c->bal_table);
		memcpy(c->bal_in, in, n * sizeof(in[0]));
		memcpy(c->bal_names, names, n * sizeof(names[0]));
		c->bal_n = n;
	}
	if (c->bal_table.n_owners == 0) {
		balance_off(c, "no address of ours on the LAN");
		return;
	}
	balance_conf_from(c, in[0].addr, &bc);
	for (b = 0; b < BALANCE_BUCKETS; b++)
		bc.bucket[b].s_addr = c->bal_table.addr[b];
	if (c->bal_installed && memcmp(&bc, &c->bal_conf, sizeof(bc)) == 0)
		return;
	if (c->bal_failed_ms != 0 && now < c->bal_failed_ms + BALANCE_RETRY_MS)
		return;
	if (netcfg_balance_install(c->nc, &bc) == -1) {
		c->bal_failed_ms = now;
		return;
	}
	c->bal_failed_ms = 0;
	c->bal_conf = bc;
	c->bal_installed = true;
	balance_text(c, text, sizeof(text));
	log_info("balance: table %s installed, buckets: %s", bc.table, text);
}

/* ---- the site cache's membership (src/redis_coord.h) ---- */

static void host_resources(uint16_t *cpus, uint32_t *mem_mib);

size_t
cluster_store_input(struct cluster *c, enum conf_store_strategy strategy,
    bool *holding, struct coord_seen *seen, size_t max)
{
	static struct elect_member_info members[ELECT_MAX_MEMBERS];
	uint64_t now = clock_now_ms();
	struct in_addr self = {0};
	uint16_t cpus;
	uint32_t mem;
	size_t i, n, k = 0;

	*holding = elect_get_state(c->core) == ELECT_ST_HOLDER &&
		   netcfg_is_held(c->nc);
	if (max == 0)
		return 0;
	host_resources(&cpus, &mem);
	(void)cluster_lan_addr(c, &self);
	seen[k].addr = ntohl(self.s_addr);
	seen[k].weight = coord_weight(strategy, cpus, mem);
	seen[k++].stopped = false;
	n = elect_get_members(c->core, now, members, ELECT_MAX_MEMBERS);
	for (i = 0; i < n && k < max; i++) {
		const struct elect_member_info *m = &members[i];

		seen[k].addr = ntohl(member_lan_addr(c, m));
		seen[k].weight = coord_weight(strategy, m->cpus, m->mem_mib);
		seen[k++].stopped = m->state == ELECT_ST_STOPPED;
	}
	return k;
}

void
cluster_on_step(struct cluster *c, void (*cb)(void *), void *arg)
{
	c->step_cb = cb;
	c->step_cb_arg = arg;
}

static void
status_balance(const struct cluster *c, struct status *out)
{
	size_t i;

	out->balance.enabled = c->conf.dmz.balance;
	snprintf(out->balance.key, sizeof(out->balance.key), "%s",
	    c->conf.dmz.balance_key == CONF_BALANCE_ADDR_PORT ? "addr-port"
							      : "addr");
	out->balance.installed = c->bal_installed;
	for (i = 0; i < c->bal_n && i < STATUS_MAX_MEMBERS + 1; i++) {
		snprintf(out->balance.m[i].name, sizeof(out->balance.m[i].name),
		    "%s", c->bal_names[i]);
		out->balance.m[i].buckets = c->bal_table.count[i];
	}
	out->balance.n = i;
}

/* ---- the site settings ---- */

/* The STATEs asked for, each a step of its own. */
static void
site_flush(struct cluster *c)
{
	struct elect_event ev = {.type = ELECT_EV_SITE_SEND};
	struct site_out o;

	if (c->site_flushing)
		return;
	c->site_flushing = true;
	while (c->stepping == 0 && c->n_site_out > 0) {
		o = c->site_out[0];
		memmove(&c->site_out[0], &c->site_out[1],
		    --c->n_site_out * sizeof(c->site_out[0]));
		ev.src = o.to;
		ev.buf = o.entries;
		ev.len = o.len;
		ev.ranges = o.has_ranges ? o.ranges : NULL;
		cluster_run(c, &ev);
	}
	c->site_flushing = false;
}

static void
site_send(void *arg, const struct elect_addr *to, const uint8_t *entries,
    size_t len, const uint64_t *ranges)
{
	struct cluster *c = arg;
	struct site_out *o;

	if (c->n_site_out == SITE_OUT_MAX || len > ELECT_ENTRIES_MAX) {
		c->site_out_dropped++; /* the digests bring it back */
		return;
	}
	o = &c->site_out[c->n_site_out++];
	o->to = *to;
	if (len > 0)
		memcpy(o->entries, entries, len);
	o->len = len;
	o->has_ranges = ranges != NULL;
	if (ranges != NULL)
		memcpy(o->ranges, ranges, sizeof(o->ranges));
	site_flush(c);
}

static void
site_changed(void *arg, uint64_t digest, uint16_t count)
{
	struct cluster *c = arg;

	elect_set_site(c->core, digest, count);
	if (c->site_cb != NULL) {
		c->reload_quiet = true;
		c->site_cb(c->site_cb_arg);
		c->reload_quiet = false;
	}
}

void
cluster_on_site_change(struct cluster *c, void (*cb)(void *), void *arg)
{
	c->site_cb = cb;
	c->site_cb_arg = arg;
}

/* After START: the node id is made then on a first start. */
static int
open_site(struct cluster *c, char *err, size_t errlen)
{
	const struct settings *set;
	struct elect_id me;

	elect_get_id(c->core, &me);
	c->site = site_new(c->base, c->conf.node.state_dir, &me, site_send,
	    site_changed, c, err, errlen);
	if (c->site == NULL)
		return -1;
	set = site_settings(c->site);
	elect_set_site(
	    c->core, settings_digest(set), (uint16_t)settings_count(set));
	return 0;
}

static void
status_site(const struct cluster *c, struct status *out)
{
	const struct settings *set;
	struct site_counters ctr;

	if (c->site == NULL)
		return;
	set = site_settings(c->site);
	site_get_counters(c->site, &ctr);
	out->site.settings = settings_count(set);
	snprintf(out->site.digest, sizeof(out->site.digest), "%016llx",
	    (unsigned long long)settings_digest(set));
	out->site.rx_bad = ctr.rx_bad;
	out->site.write_failed = ctr.write_failed;
}

int
cluster_site_set(struct cluster *c, const char *key, const char *value,
    char *err, size_t errlen)
{
	enum settings_err e;

	e = site_set(c->site, key, value, elect_get_epoch(c->core));
	if (e != SETTINGS_OK) {
		snprintf(err, errlen, "%s: %s", key, settings_strerror(e));
		return -1;
	}
	return 0;
}

const struct settings *
cluster_site(const struct cluster *c)
{
	return c->site != NULL ? site_settings(c->site) : NULL;
}

/* ---- callbacks ---- */

static void
persist_done_cb(evutil_socket_t fd, short what, void *arg)
{
	struct cluster *c = arg;
	struct elect_event ev = {.type = ELECT_EV_PERSIST_DONE, .ok = false};

	(void)fd;
	(void)what;
	cluster_run(c, &ev);
}

/*
 * A holder reads what arrived before it steps: a PROBE that came before
 * this step's fence renewal is answered before it (doc/protocol.md, "The
 * fence": an unanswered PROBE must mean a loop that stopped before it).
 * Our callbacks never free the sockets, so the drains return false.
 */
static void
timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct cluster *c = arg;
	struct elect_event ev = {.type = ELECT_EV_TIMER};

	(void)fd;
	(void)what;
	if (elect_get_state(c->core) == ELECT_ST_HOLDER) {
		(void)disc_udp_drain(c->udp);
		if (c->udp6 != NULL)
			(void)disc_udp6_drain(c->udp6);
	}
	cluster_run(c, &ev);
}

/*
 * The cluster is full (ELECT_MAX_MEMBERS, this node included): the core
 * refused a newcomer's datagram as a member (it still heeds a holder's).
 * Once a minute, whoever sends them.
 */
static void
log_refused(struct cluster *c, const struct in_addr *src, uint64_t n)
{
	struct drop_log *l = &c->refused;
	uint64_t now = clock_now_ms();
	char ip[INET_ADDRSTRLEN] = "?";

	if (l->last_ms != 0 && now < l->last_ms + DROP_LOG_EVERY_MS) {
		l->suppressed += n;
		return;
	}
	inet_ntop(AF_INET, src, ip, sizeof(ip));
	log_warnx(
	    "cluster: full (%d members): %s is not taken in as a member "
	    "(%llu datagrams refused since the last such line; logged once a "
	    "minute)",
	    ELECT_MAX_MEMBERS, ip, (unsigned long long)(l->suppressed + n));
	l->last_ms = now ? now : 1;
	l->suppressed = 0;
}

static void
rx_cb(void *arg, const uint8_t *buf, size_t len, const struct sockaddr_in *src)
{
	struct cluster *c = arg;
	struct elect_event ev = {.type = ELECT_EV_RX, .buf = buf, .len = len};
	uint64_t now_ms = clock_now_ms();
	struct elect_counters was, now;

	/* Without an IPv4 address we cannot answer over IPv4: a member
	 * that sends on both families is heard on IPv6 instead. */
	if (c->udp6 != NULL && !any_v4(c, now_ms))
		return;
	if (c->udp6 != NULL && disc_dedup_seen(&c->dedup, 4, buf, len, now_ms))
		return; /* heard on IPv6 already */
	ev.src.family = 4;
	memcpy(ev.src.b, &src->sin_addr, 4);
	ev.rx_age_ms = disc_udp_rx_age_ms(c->udp);
	elect_get_counters(c->core, &was);
	cluster_run(c, &ev);
	elect_get_counters(c->core, &now);
	if (now.members_refused > was.members_refused)
		log_refused(c, &src->sin_addr,
		    now.members_refused - was.members_refused);
}

/* The source's scope is the cluster interface: the transport drops what
 * arrives on another, and sends link-local unicast out of it. */
static void
rx6_cb(
    void *arg, const uint8_t *buf, size_t len, const struct sockaddr_in6 *src)
{
	struct cluster *c = arg;
	struct elect_event ev = {.type = ELECT_EV_RX, .buf = buf, .len = len};

	if (disc_dedup_seen(&c->dedup, 6, buf, len, clock_now_ms()))
		return; /* heard on IPv4 already */
	ev.src.family = 6;
	memcpy(ev.src.b, &src->sin6_addr, 16);
	ev.rx_age_ms = disc_udp6_rx_age_ms(c->udp6);
	cluster_run(c, &ev);
}

static void
udp6_drop_cb(void *arg, enum disc_drop why, const struct sockaddr_in6 *src)
{
	char ip[INET6_ADDRSTRLEN] = "?";

	inet_ntop(AF_INET6, &src->sin6_addr, ip, sizeof(ip));
	if (why == DISC_DROP_TTL)
		log_drop(arg, ip,
		    "hop limit below 255: routed, not from the link",
		    clock_now_ms());
}

static void
udp_drop_cb(void *arg, enum disc_drop why, const struct sockaddr_in *src)
{
	char ip[INET_ADDRSTRLEN] = "?";

	inet_ntop(AF_INET, &src->sin_addr, ip, sizeof(ip));
	if (why == DISC_DROP_TTL)
		log_drop(arg, ip, "TTL below 255: routed, not from the link",
		    clock_now_ms());
}

/* Whether a live member has this id (then it needs no hint). */
static bool
is_member(struct cluster *c, const uint8_t id[16], uint64_t now)
{
	static struct elect_member_info members[ELECT_MAX_MEMBERS];
	size_t i, n;

	n = elect_get_members(c->core, now, members, ELECT_MAX_MEMBERS);
	for (i = 0; i < n; i++)
		if (memcmp(members[i].id.b, id, 16) == 0)
			return true;
	return false;
}

/* Whether a is ours or a member's (its source or an advertised one). */
static bool
is_known(struct cluster *c, const struct elect_addr *a, uint64_t now)
{
	static struct elect_member_info members[ELECT_MAX_MEMBERS];
	struct disc_addr d = to_disc(a), adv[ELECT_MAX_ADDRS + 1];
	size_t i, j, n;

	refresh_nets(c, now);
	for (i = 0; i < c->n_nets; i++)
		if (disc_addr_in_list(&d, &c->nets[i].addr, 1))
			return true;
	n = elect_get_members(c->core, now, members, ELECT_MAX_MEMBERS);
	for (i = 0; i < n; i++) {
		for (j = 0; j < members[i].n_addrs && j < ELECT_MAX_ADDRS; j++)
			adv[j] = to_disc(&members[i].addrs[j]);
		adv[j] = to_disc(&members[i].src);
		if (disc_addr_in_list(&d, adv, j + 1))
			return true;
	}
	return false;
}

/* A resolved DNS-SD address as the core's, with its port (host order). */
static bool
hint_of_sockaddr(
    const struct sockaddr *sa, struct elect_addr *out, uint16_t *port)
{
	const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
	const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;

	memset(out, 0, sizeof(*out));
	if (sa->sa_family == AF_INET) {
		out->family = 4;
		memcpy(out->b, &in->sin_addr, 4);
		*port = ntohs(in->sin_port);
		return true;
	}
	if (sa->sa_family != AF_INET6)
		return false;
	out->family = 6;
	memcpy(out->b, &in6->sin6_addr, 16);
	*port = ntohs(in6->sin6_port);
	return true;
}

/*
 * A browsed instance of our cluster (its TXT says our fingerprint, which
 * anyone may copy): a hint, rate-limited; only an authenticated answer to
 * the HELLO it draws makes a member (doc/design.md §5.6).
 */
static void
avahi_peer_cb(
    void *arg, const struct disc_txt *txt, const struct sockaddr *addr)
{
	struct cluster *c = arg;
	struct elect_event ev = {.type = ELECT_EV_HINT};
	uint64_t now = clock_now_ms();
	char ip[INET6_ADDRSTRLEN];
	uint16_t port;

	if (!hint_of_sockaddr(addr, &ev.src, &port) ||
	    (ev.src.family == 6 && c->udp6 == NULL))
		return; /* no IPv6 socket: nowhere to send the HELLO */
	inet_ntop(
	    ev.src.family == 4 ? AF_INET : AF_INET6, ev.src.b, ip, sizeof(ip));
	if (port != c->conf.cluster.port) {
		log_debug("discovery: browsed a member at %s on port %u, not "
			  "ours (%u); no hint",
		    ip, port, c->conf.cluster.port);
		return;
	}
	if (is_member(c, txt->id, now) || !disc_hint_allow(&c->hint, ev.src.b,
					      ev.src.family == 4 ? 4 : 16, now))
		return;
	log_debug("discovery: browsed a member at %s (%s): HELLO there", ip,
	    txt->state);
	cluster_run(c, &ev);
}

/*
 * A host joined the cluster group (an IGMP report): if it is no member
 * yet and is on one of our subnets, it may be a newcomer whose first
 * HELLO is still on its way or lost. A hint: one unicast HELLO to it,
 * rate-limited per source and overall (disc_igmp_limit_allow()), so a
 * flood of reports sets no rate of ours.
 */
static void
igmp_cb(void *arg, const struct disc_igmp_report *r)
{
	struct cluster *c = arg;
	struct elect_event ev = {.type = ELECT_EV_HINT};
	struct disc_addr d;
	char ip[INET_ADDRSTRLEN];
	uint64_t now = clock_now_ms();

	ev.src.family = 4;
	memcpy(ev.src.b, &r->src, 4);
	d = to_disc(&ev.src);
	refresh_nets(c, now);
	/* A source outside our subnets is answered through the router, if
	 * at all (a multi-homed host reports from its primary address): it
	 * meets us by its HELLOs, sent from its address on our LAN. */
	if (!disc_addr_is_usable(&d) ||
	    (c->n_nets > 0 && !disc_addr_in_nets(&d, c->nets, c->n_nets)) ||
	    is_known(c, &ev.src, now) ||
	    !disc_igmp_limit_allow(&c->hints, &d, now))
		return;
	c->igmp_hints++;
	inet_ntop(AF_INET, &r->src, ip, sizeof(ip));
	log_debug("discovery: %s joined the group (IGMPv%u): saying HELLO", ip,
	    r->version);
	cluster_run(c, &ev);
}

static void probe_result(
    struct cluster *, enum netcfg_probe_result, const uint8_t *);

/* A detection window after a conflict from a MAC that was no member's. */
static void
probe_later_cb(evutil_socket_t fd, short what, void *arg)
{
	struct cluster *c = arg;

	(void)fd;
	(void)what;
	probe_result(c, NETCFG_PROBE_CONFLICT, c->later_mac);
}

/*
 * Instances started together probe in step, each before it has verified
 * all the others (the challenges of a join take a while on a loaded
 * host): a member's probe then looks like a foreign host's. Members'
 * frames are no conflict (the election settles who holds among them), so
 * a conflict from a member's MAC probes again, knowing it; one from an
 * unknown MAC is judged a detection window later, when that member would
 * be known; a foreign host's stays a conflict.
 */
static void
probe_done_cb(void *arg, enum netcfg_probe_result r, const uint8_t *mac)
{
	struct cluster *c = arg;
	struct timeval tv;
	uint64_t ms = (uint64_t)c->econf.dead_after * c->econf.heartbeat_ms;

	if (r != NETCFG_PROBE_CONFLICT || c->probe_later == NULL ||
	    is_member_mac(c, mac) || c->probe_restarts >= ELECT_MAX_MEMBERS) {
		probe_result(c, r, mac);
		return;
	}
	memcpy(c->later_mac, mac, 6);
	tv.tv_sec = (time_t)(ms / 1000);
	tv.tv_usec = (suseconds_t)(ms % 1000) * 1000;
	evtimer_add(c->probe_later, &tv);
}

static void
probe_result(struct cluster *c, enum netcfg_probe_result r, const uint8_t *mac)
{
	struct elect_event ev = {.type = ELECT_EV_PROBE_DONE};

	/* Both probes: the first that is not free decides, once both end. */
	if (c->probe_r == NETCFG_PROBE_FREE && r != NETCFG_PROBE_FREE) {
		c->probe_r = r;
		memcpy(c->probe_mac, mac, 6);
	}
	if (c->probes_out > 1) {
		c->probes_out--;
		return;
	}
	c->probes_out = 0;
	r = c->probe_r;
	mac = c->probe_mac;
	if (r == NETCFG_PROBE_CONFLICT && is_member_mac(c, mac) &&
	    c->probe_restarts++ < ELECT_MAX_MEMBERS) {
		start_probe(c, clock_now_ms());
		return;
	}
	ev.conflict = r != NETCFG_PROBE_FREE;
	if (r == NETCFG_PROBE_CONFLICT) {
		char was[STATUS_MAC_LEN];

		memcpy(was, c->conflict, sizeof(was));
		snprintf(c->conflict, sizeof(c->conflict),
		    "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2],
		    mac[3], mac[4], mac[5]);
		/* Probes repeat while the conflict lasts: say it once. */
		if (strcmp(was, c->conflict) != 0)
			log_warnx("netcfg: address conflict: %s answers for "
				  "the DMZ address on %s; not claiming it",
			    c->conflict, c->ifname);
	}
	cluster_run(c, &ev);
}

/*
 * Someone removed our address (ip addr flush, a DHCP renew), or the
 * guard took it past our lease: the core decides whether it goes back.
 */
static void
addr_lost_cb(void *arg)
{
	struct cluster *c = arg;
	struct elect_event ev = {.type = ELECT_EV_ADDR_LOST};

	if (elect_get_state(c->core) != ELECT_ST_HOLDER)
		return;
	log_warnx("netcfg: the DMZ address vanished from %s", c->ifname);
	cluster_run(c, &ev);
}

static void
watch_seen_cb(void *arg, const struct netcfg_watch_seen *seen)
{
	struct elect_event ev = {
	    .flow = seen->flow, .port = seen->port, .proto = seen->proto};

	ev.type = seen->kind == NETCFG_WATCH_REQUEST ? ELECT_EV_REQUEST
						     : ELECT_EV_ANSWER;
	cluster_run(arg, &ev);
}

static void
service_checked_cb(void *arg, bool ok, const char *why)
{
	struct cluster *c = arg;
	struct elect_event ev = {.type = ELECT_EV_CHECK, .ok = ok};

	if (!ok && !c->check_failing)
		log_warnx("check: %s; %u failure(s) in a row make the holder "
			  "hand over",
		    why, (unsigned)c->conf.dmz.check_fall);
	else if (ok && c->check_failing)
		log_info("check: passes again");
	c->check_failing = !ok;
	cluster_run(c, &ev);
}

/*
 * A foreign host sent ARP as the DMZ address, or an NA for the IPv6 one,
 * while we hold it (RFC 5227 2.4): netcfg defended it once (a gratuitous
 * ARP or an override NA, at most once per DEFEND_INTERVAL). We keep the
 * address, 2.4 (c): it is the site's, and giving it up would hand the
 * site to the foreign host; the operator sees the conflict in the log
 * and the status.
 */
static void
conflict(struct cluster *c, const uint8_t *mac, bool again, const char *how)
{
	uint64_t now = clock_now_ms();
	char text[STATUS_MAC_LEN];

	snprintf(text, sizeof(text), "%02x:%02x:%02x:%02x:%02x:%02x", mac[0],
	    mac[1], mac[2], mac[3], mac[4], mac[5]);
	set_member_macs(c, now); /* a member that joined since: ignored */
	if (netcfg_is_member_mac(c->nc, mac))
		return;
	if (c->defended_ms == 0 || now >= c->defended_ms + DEFEND_SHOW_MS ||
	    strcmp(text, c->defended) != 0) {
		log_warnx("netcfg: address conflict: %s %s the DMZ address on "
			  "%s; defended it, keeping the address",
		    text, how, c->ifname);
		c->defended_again = false;
	} else if (again && !c->defended_again) {
		log_warnx("netcfg: %s keeps claiming the DMZ address; keeping "
			  "it, defending at most once every %d s",
		    text, NETCFG_DEFEND_INTERVAL_MS / 1000);
		c->defended_again = true;
	}
	memcpy(c->defended, text, sizeof(text));
	c->defended_ms = now;
}

static void
conflict4_cb(void *arg, const uint8_t *mac, bool again)
{
	conflict(arg, mac, again, "sent ARP as");
}

static void
conflict6_cb(void *arg, const uint8_t *mac, bool again)
{
	conflict(arg, mac, again, "advertised (NA)");
}

/* The group membership, once the recreated interface is up. */
static void
rejoin(struct cluster *c)
{
	char err[256];

	if (disc_udp_set_ifindex(c->udp, (unsigned)netcfg_get_ifindex(c->nc),
		err, sizeof(err)) == -1 ||
	    (c->udp6 != NULL && disc_udp6_set_ifindex(c->udp6,
				    (unsigned)netcfg_get_ifindex(c->nc), err,
				    sizeof(err)) == -1)) {
		log_warnx("%s; again when the link is up", err);
		return;
	}
	c->rejoin = false;
	log_info("discovery: joined the group on %s again", c->ifname);
	if (c->igmp != NULL &&
	    disc_igmp_set_ifindex(c->igmp, (unsigned)netcfg_get_ifindex(c->nc),
		err, sizeof(err)) == -1)
		log_warnx("%s; IGMP hints are off on the new link", err);
	c->group_src.s_addr = 0; /* the new index has none set */
}

static void elect_conf_from(
    struct cluster *, const struct conf *, struct elect_conf *);

static void
link_change_cb(void *arg, bool up)
{
	struct cluster *c = arg;
	struct elect_event ev = {.type = ELECT_EV_LINK, .up = up};
	struct elect_event reconf = {.type = ELECT_EV_RECONF};

	log_info("netcfg: link %s", up ? "up" : "down");
	if (up && c->rejoin) {
		rejoin(c);
		/* A new interface, a new MAC (and maybe addresses): the
		 * HELLOs say so, or members' ARP would look foreign. */
		elect_conf_from(c, &c->conf, &c->econf);
		reconf.conf = &c->econf;
		cluster_run(c, &reconf);
	}
	cluster_run(c, &ev);
}

/*
 * The cluster interface was recreated (issue 7 fault 4): netcfg follows
 * it; the group membership and the watcher's socket are bound to the old
 * index. The core hears of it as a link down (the old one went) and a
 * link up.
 */
static void
link_new_cb(void *arg, int ifindex)
{
	struct cluster *c = arg;

	if (c->nc6 != NULL)
		netcfg6_relink(c->nc6, ifindex);
	c->rejoin = true;
	rejoin(c);
	if (c->avahi != NULL)
		disc_avahi_set_ifindex(c->avahi, ifindex);
	if (c->watch != NULL && netcfg_watch_is_enabled(c->watch)) {
		netcfg_watch_set_enabled(c->watch, false);
		netcfg_watch_set_enabled(c->watch, true);
	}
}

/* ---- set-up ---- */

/*
 * [cluster] fence must be shorter than the lease (3 heartbeats) to be of
 * use, and at least ELECT_FENCE_MIN_MS; a short heartbeat makes the
 * default too long: then half the lease, said once.
 */
static uint32_t
fence_for(uint32_t want, uint32_t lease_ms)
{
	static uint32_t said;
	uint32_t fence = want;

	if (want == 0 || want < lease_ms)
		return want < ELECT_FENCE_MIN_MS && want != 0
			   ? ELECT_FENCE_MIN_MS
			   : want;
	fence = lease_ms / 2 >= ELECT_FENCE_MIN_MS ? lease_ms / 2 : 0;
	if (said != want)
		log_warnx("config: [cluster] fence %ums is not shorter than "
			  "the lease (3 x heartbeat = %ums): using %ums; set "
			  "fence below the lease, or 0 to turn it off",
		    (unsigned)want, (unsigned)lease_ms, (unsigned)fence);
	said = want;
	return fence;
}

/*
 * The fence is the nftables element's timeout: a standby claims on it
 * trusting that the kernel went silent. Without nftables (or with it
 * failing when we start) nothing silences a frozen holder's kernel before
 * the address's own lifetime: the fence is off, said once.
 */
static bool
fence_enforced(const struct cluster *c)
{
	static bool said;
	bool ok = (c->nc == NULL || netcfg_lease_enforced(c->nc)) &&
		  (c->nc6 == NULL || netcfg6_lease_enforced(c->nc6));

	if (!ok && !said)
		log_warnx("cluster: [cluster] fence is off: without the "
			  "nftables lease (see above) a silent holder is "
			  "claimed from at the end of its lease; install "
			  "nftables to fail over faster");
	said = said || !ok;
	return ok;
}

/*
 * The guard may resign for a stopped loop at the fence (netcfg_guard.c)
 * where a fence is in force and its farewell speaks for every address
 * held: IPv4 alone (with an IPv6 address too, its own guard would keep
 * it to the lease end).
 */
static void
arm_guard_fence(struct cluster *c)
{
	if (c->nc != NULL)
		netcfg_set_guard_fence(
		    c->nc, c->dmz4 && c->nc6 == NULL && c->econf.fence_ms != 0);
}

/* This host's online CPUs and memory in MiB, told in HELLO for the site
 * cache's weights ([store] strategy); 0 where sysconf cannot say. */
static void
host_resources(uint16_t *cpus, uint32_t *mem_mib)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
	uint64_t mib = 0;

	if (pages > 0 && page > 0)
		mib = (uint64_t)pages * (uint64_t)page >> 20;
	*cpus = n > 0 ? (n > UINT16_MAX ? UINT16_MAX : (uint16_t)n) : 0;
	*mem_mib = mib > UINT32_MAX ? UINT32_MAX : (uint32_t)mib;
}

/*
 * Fast member liveness (doc/design.md §5.8): ALIVEs every 100 ms, so the
 * others declare a dead member in dead-after x 100 + 50 = 350 ms at the
 * defaults, for the parts that must know within a second (the site
 * cache's failover, load sharing). auto is on with them. A duration is
 * kept within what the core takes (10 ms to the hello-interval).
 */
#define ALIVE_AUTO_MS 100
static uint32_t
alive_interval_for(const struct conf *conf)
{
	uint32_t ms = conf->cluster.alive_interval.ms;
	bool needed = conf->store.enable || conf->dmz.balance;

	if (conf->cluster.alive_interval.is_auto)
		return needed ? ALIVE_AUTO_MS : 0;
	if (ms == 0)
		return 0;
	if (ms < ELECT_ALIVE_MIN_MS)
		ms = ELECT_ALIVE_MIN_MS;
	return ms > conf->cluster.hello_interval_ms
		   ? conf->cluster.hello_interval_ms
		   : ms;
}

static void
elect_conf_from(
    struct cluster *c, const struct conf *conf, struct elect_conf *e)
{
	struct in_addr addrs[ELECT_MAX_ADDRS + 1];
	size_t w;
	int i, n;

	elect_conf_defaults(e);
	e->key = keyrot_key(c->keys);
	e->next_key = keyrot_next(c->keys);
	e->prev_key = keyrot_prev(c->keys);
	snprintf(e->name, sizeof(e->name), "%s", conf->node.name);
	e->priority = conf->node.priority;
	e->preempt = conf->node.preempt;
	e->heartbeat_ms = conf->cluster.heartbeat_ms;
	e->dead_after = conf->cluster.dead_after;
	e->claim_stagger_ms = conf->cluster.claim_stagger_ms;
	e->hello_interval_ms = conf->cluster.hello_interval_ms;
	e->alive_interval_ms = alive_interval_for(conf);
	/* The core knows one DMZ address, the cluster's identity on the
	 * wire: the IPv4 one, or the IPv6 one on an IPv6-only LAN. The
	 * IPv6 one of a dual stack moves with it (apply_addr_add()). */
	if (conf->dmz.address.prefix != 0) {
		e->dmz.family = 4;
		memcpy(e->dmz.b, &conf->dmz.address.addr, 4);
		e->dmz_prefix = conf->dmz.address.prefix;
		if (conf->dmz.address6.prefix != 0) { /* dual stack */
			e->dmz6.family = 6;
			memcpy(e->dmz6.b, &conf->dmz.address6.addr, 16);
			e->dmz6_prefix = conf->dmz.address6.prefix;
		}
	} else {
		e->dmz.family = 6;
		memcpy(e->dmz.b, &conf->dmz.address6.addr, 16);
		e->dmz_prefix = conf->dmz.address6.prefix;
	}
	e->probe_first = true; /* we can ARP-probe: a foreign host may own it */
	/* D2: the fixed value, or auto's ceiling. */
	e->request_timeout_auto = conf->dmz.request_timeout.is_auto;
	e->request_timeout_ms = conf->dmz.request_timeout.is_auto
				    ? conf->dmz.request_timeout_max_ms
				    : conf->dmz.request_timeout.ms;
	e->request_timeout_min_ms = conf->dmz.request_timeout_min_ms;
	e->probe_timeout_auto = conf->dmz.probe_timeout.is_auto;
	e->probe_timeout_ms = conf->dmz.probe_timeout.is_auto
				  ? ELECT_PROBE_TIMEOUT_AUTO_MAX_MS
				  : conf->dmz.probe_timeout.ms;
	for (w = 0; w < conf->dmz.ports.n && w < ELECT_MAX_WATCH_PORTS; w++) {
		e->watch[w].proto = conf->dmz.ports.p[w].proto;
		e->watch[w].port = conf->dmz.ports.p[w].port;
	}
	e->n_watch = w;
	e->check_enabled = conf->dmz.check.type != CONF_CHECK_NONE;
	e->check_fall = conf->dmz.check_fall;
	e->check_rise = conf->dmz.check_rise;
	elect_conf_derive(e); /* lease, hold-down: the core's rule */
	e->fence_ms = fence_for(conf->cluster.fence_ms, e->lease_ms);
	if (e->fence_ms != 0 && !fence_enforced(c))
		e->fence_ms = 0;
	if (c->nc == NULL)
		return;
	netcfg_get_mac(c->nc, e->mac);
	host_resources(&e->cpus, &e->mem_mib);
	n = netcfg_get_addrs(c->nc, addrs, ELECT_MAX_ADDRS + 1);
	for (i = 0; i < n && e->n_addrs < ELECT_MAX_ADDRS; i++) {
		if (addrs[i].s_addr == conf->dmz.address.addr.s_addr)
			continue; /* the shared address says nothing of us */
		e->addrs[e->n_addrs].family = 4;
		memcpy(e->addrs[e->n_addrs].b, &addrs[i], 4);
		/* What a receiver could not send to (disc_addr_choose()). */
		if (is_usable(&e->addrs[e->n_addrs]))
			e->n_addrs++;
	}
}

/* [dmz] address6: the IPv6 DMZ address, beside or instead of IPv4. */
static int
open_netcfg6(struct cluster *c, char *err, size_t errlen)
{
	static const struct netcfg6_cb cb = {
	    probe_done_cb, addr_lost_cb, conflict6_cb};
	struct netcfg6_conf conf;
	char nerr[NETCFG_ERR_MAX];

	if (c->conf.dmz.address6.prefix == 0)
		return 0;
	memset(&conf, 0, sizeof(conf));
	snprintf(conf.ifname, sizeof(conf.ifname), "%s", c->ifname);
	conf.dmz = c->conf.dmz.address6.addr;
	conf.dmz_prefix = c->conf.dmz.address6.prefix;
	conf.now_ms = clock_now_ms;
	c->nc6 = netcfg6_new(c->base, &conf, &cb, c, nerr);
	if (c->nc6 == NULL) {
		snprintf(err, errlen, "%s", nerr);
		return -1;
	}
	netcfg6_addr_remove_stale(c->nc6);
	return 0;
}

static int
open_netcfg(struct cluster *c, const uint8_t *key, char *err, size_t errlen)
{
	static const struct netcfg_cb cb = {probe_done_cb, addr_lost_cb,
	    link_change_cb, link_new_cb, conflict4_cb};
	struct netcfg_conf nconf;
	char nerr[NETCFG_ERR_MAX];

	/* Unset: the LAN the peers share is the DMZ address's, whatever
	 * interface holds the default route (a multi-homed host). */
	if (c->conf.cluster.interface[0] != '\0')
		snprintf(c->ifname, sizeof(c->ifname), "%s",
		    c->conf.cluster.interface);
	else if (disc_ifname_on_net(c->conf.dmz.address.addr, c->ifname,
		     sizeof(c->ifname)) == 0)
		log_info("cluster: %s is on the DMZ address's subnet: the "
			 "cluster interface",
		    c->ifname);
	else if (netcfg_default_ifname(c->ifname, nerr) == -1) {
		snprintf(err, errlen, "%s (set [cluster] interface)", nerr);
		return -1;
	}
	memset(&nconf, 0, sizeof(nconf));
	snprintf(nconf.ifname, sizeof(nconf.ifname), "%s", c->ifname);
	nconf.dmz = c->conf.dmz.address.addr;
	nconf.dmz_prefix = c->conf.dmz.address.prefix;
	nconf.now_ms = clock_now_ms;
	c->dmz4 = nconf.dmz_prefix != 0;
	/* [dmz] vmac: one MAC for the cluster, the same on every member. */
	if (c->conf.dmz.vmac.mode == CONF_VMAC_KEY)
		conf_vmac_derive(key, nconf.vmac);
	else if (c->conf.dmz.vmac.mode == CONF_VMAC_GIVEN)
		memcpy(nconf.vmac, c->conf.dmz.vmac.mac, 6);
	c->nc = netcfg_new(c->base, &nconf, &cb, c, nerr);
	if (c->nc == NULL) {
		snprintf(err, errlen, "%s", nerr);
		return -1;
	}
	/* A crash may have left our address behind: nobody elected us. */
	if (c->dmz4)
		netcfg_addr_remove_stale(c->nc);
	return open_netcfg6(c, err, errlen);
}

static int
open_udp(struct cluster *c, char *err, size_t errlen)
{
	struct disc_udp_conf dconf;

	disc_udp_conf_defaults(&dconf);
	dconf.group = c->conf.cluster.group;
	dconf.port = c->conf.cluster.port;
	dconf.ifindex = if_nametoindex(c->ifname);
	dconf.on_drop = udp_drop_cb;
	dconf.flags = DISC_UDP_SYSTEMD; /* qured.socket, when systemd runs us */
	c->systemd_socket = getenv("LISTEN_PID") != NULL &&
			    atol(getenv("LISTEN_PID")) == (long)getpid();
	c->udp = disc_udp_new(c->base, &dconf, rx_cb, c, err, errlen);
	if (c->udp == NULL)
		return -1;
	disc_udp_set_priority(c->udp, 0); /* PROBEs answered first */
	return 0;
}

/*
 * The fingerprint published as cluster= (doc/design.md §5.6): the first
 * DISC_TXT_CLUSTER_LEN hex digits of SHA-256(label || key). Not secret,
 * and it gives nothing of the key away: the key is 256 uniformly random
 * bits and SHA-256 is preimage resistant, so 32 bits of its output leave
 * 224 unknown and no way to them but a search of 2^224; the label keeps
 * the value apart from every other use of the key (the HMAC tags are
 * SHA-256 over key ^ pads, never over this label). It only lets anyone
 * tell our instances from another cluster's, which the TXT is for, and a
 * forged copy earns a rate-limited HELLO, never a membership.
 */
static int
cluster_fingerprint(const uint8_t *key, char *out, size_t outlen)
{
	uint8_t md[SHA256_DIGEST_SIZE];
	struct sha256_ctx ctx;
	size_t i;

	if (outlen < DISC_TXT_CLUSTER_LEN + 1)
		return -1;
	sha256_init(&ctx);
	sha256_update(&ctx, strlen(FINGERPRINT_LABEL),
	    (const uint8_t *)FINGERPRINT_LABEL);
	sha256_update(&ctx, ELECT_KEY_LEN, key);
	sha256_digest(&ctx, sizeof(md), md);
	for (i = 0; i < DISC_TXT_CLUSTER_LEN / 2; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	OPENSSL_cleanse(md, sizeof(md));
	OPENSSL_cleanse(&ctx, sizeof(ctx));
	return 0;
}

/* DNS-SD is an extra: nothing here can fail the start. */
static void
open_avahi(struct cluster *c)
{
	struct disc_avahi_conf a;
	size_t i;

	memset(&a, 0, sizeof(a));
	a.mode = c->conf.discovery.avahi == CONF_AVAHI_NO    ? DISC_AVAHI_NO
		 : c->conf.discovery.avahi == CONF_AVAHI_YES ? DISC_AVAHI_YES
							     : DISC_AVAHI_AUTO;
	snprintf(a.name, sizeof(a.name), "%s", c->econf.name);
	a.port = c->conf.cluster.port;
	a.ifindex = netcfg_get_ifindex(c->nc);
	/* What our HELLO advertises first: never the DMZ address. */
	for (i = 0; i < c->econf.n_addrs && i < ELECT_MAX_ADDRS; i++) {
		if (c->econf.addrs[i].family == 4 && a.addr.s_addr == 0)
			memcpy(&a.addr, c->econf.addrs[i].b, 4);
		if (c->econf.addrs[i].family == 6 &&
		    IN6_IS_ADDR_UNSPECIFIED(&a.addr6))
			memcpy(&a.addr6, c->econf.addrs[i].b, 16);
	}
	txt_from(c, &a.txt);
	disc_hint_init(&c->hint, HINT_PER_ADDR_MS, HINT_BURST, HINT_REFILL_MS);
	c->avahi = disc_avahi_new(c->base, &a, avahi_peer_cb, c);
}

/* The router's word on the public address, to the dyndns of now (a
 * reload may have replaced the one that asked). */
static void
router_public_done(void *arg, const struct router_public *res)
{
	struct cluster *c = arg;
	struct dyndns_router_answer a = {.ok = res->ok};

	if (c->dyndns == NULL)
		return;
	if (res->ok) {
		a.addr = res->addr;
		a.source = res->source == ROUTER_NATPMP ? "natpmp" : "upnp";
	} else {
		a.error = res->error;
		a.unreachable = res->unreachable;
	}
	dyndns_router_answer(c->dyndns, &a);
}

/* [cloud] public-address = upnp | natpmp | auto asks the router. */
static void
router_ask_public(void *arg)
{
	struct cluster *c = arg;

	if (c->router != NULL)
		router_get_public(c->router, router_public_done, c);
}

static void
connect_cloud_router(struct cluster *c)
{
	if (c->dyndns != NULL && c->router != NULL)
		dyndns_set_router(c->dyndns, router_ask_public, c);
}

/* The home router ([cloud] on, an IPv4 DMZ address): an extra too. */
static void
open_router(struct cluster *c)
{
	struct router_conf rc;

	/* [dmz] address = auto: the holder has the router forward the
	 * ports to the address, so it is asked even without [cloud]. */
	if ((!c->conf.cloud.enabled && !c->conf.dmz.address.automatic) ||
	    c->conf.dmz.address.prefix == 0)
		return;
	memset(&rc, 0, sizeof(rc));
	rc.lan = c->conf.dmz.address.addr;
	rc.prefix = c->conf.dmz.address.prefix;
	snprintf(rc.ifname, sizeof(rc.ifname), "%s", c->ifname);
	c->router = router_new(c->base, &rc);
	connect_cloud_router(c);
}

/*
 * The IGMP observer is a hint, like the watcher an optimisation: without
 * CAP_NET_RAW the cluster still meets on the group's HELLOs.
 */
static void
open_igmp(struct cluster *c)
{
	char err[256];

	disc_igmp_limit_init(&c->hints, 0, 0, 0);
	c->igmp = disc_igmp_new(c->base, if_nametoindex(c->ifname),
	    c->conf.cluster.group, igmp_cb, c, err, sizeof(err));
	if (c->igmp == NULL)
		log_warnx("%s; IGMP hints are off", err);
}

/*
 * Our source for group datagrams: our address in the DMZ address's subnet
 * (the LAN the peers share), so a host whose primary address is on
 * another network is answered on this one; none there: the kernel's.
 */
static void
set_group_src(struct cluster *c)
{
	struct disc_net dmz = {.addr = {.family = 4}};
	struct in_addr src = {0};
	char ip[INET_ADDRSTRLEN];
	size_t i;

	memcpy(dmz.addr.b, &c->conf.dmz.address.addr, 4);
	dmz.prefix = c->conf.dmz.address.prefix;
	for (i = 0; i < c->n_nets && src.s_addr == 0; i++)
		if (memcmp(c->nets[i].addr.b, dmz.addr.b, 4) != 0 &&
		    disc_addr_in_nets(&c->nets[i].addr, &dmz, 1))
			memcpy(&src, c->nets[i].addr.b, 4);
	if (src.s_addr == c->group_src.s_addr)
		return;
	if (disc_udp_set_group_src(c->udp, src) == -1) {
		/* The kernel's choice stays; tried again in a second. */
		inet_ntop(AF_INET, &src, ip, sizeof(ip));
		log_debug("discovery: group datagrams from %s: %s", ip,
		    strerror(errno));
		return;
	}
	c->group_src = src;
}

int
cluster_lan_addr(struct cluster *c, struct in_addr *out)
{
	struct disc_net dmz = {.addr = {.family = 4}};
	size_t i;

	refresh_nets(c, clock_now_ms());
	memcpy(dmz.addr.b, &c->conf.dmz.address.addr, 4);
	dmz.prefix = c->conf.dmz.address.prefix;
	for (i = 0; i < c->n_nets; i++) {
		if (c->nets[i].addr.family != 4 ||
		    memcmp(c->nets[i].addr.b, dmz.addr.b, 4) == 0)
			continue;
		if (dmz.prefix == 0 ||
		    disc_addr_in_nets(&c->nets[i].addr, &dmz, 1)) {
			memcpy(out, c->nets[i].addr.b, 4);
			return 0;
		}
	}
	return -1;
}

static bool
advertises_v4(const struct elect_member_info *m)
{
	size_t i;

	for (i = 0; i < m->n_addrs && i < ELECT_MAX_ADDRS; i++)
		if (m->addrs[i].family == 4)
			return true;
	return false;
}

/* Once a second: our addresses (they change under DHCP), the source of
 * group datagrams, and the one log line per member that advertises no
 * usable address. */
static void
disc_tick_cb(evutil_socket_t fd, short what, void *arg)
{
	static struct elect_member_info members[ELECT_MAX_MEMBERS];
	struct cluster *c = arg;
	uint64_t now = clock_now_ms();
	size_t i, n;

	(void)fd;
	(void)what;
	c->nets_ms = 0;
	refresh_nets(c, now);
	set_group_src(c);
	n = elect_get_members(c->core, now, members, ELECT_MAX_MEMBERS);
	c->v6_members = false;
	for (i = 0; i < n; i++) {
		(void)member_address(c, &members[i]);
		if (members[i].src.family == 6 && !advertises_v4(&members[i]))
			c->v6_members = true;
	}
}

static int
open_disc_tick(struct cluster *c)
{
	struct timeval tv = {NETS_EVERY_MS / 1000, 0};

	c->disc_tick = event_new(c->base, -1, EV_PERSIST, disc_tick_cb, c);
	if (c->disc_tick == NULL || event_add(c->disc_tick, &tv) == -1)
		return -1;
	refresh_nets(c, clock_now_ms());
	set_group_src(c);
	return 0;
}

/*
 * The IPv6 transport beside the IPv4 one, always: the cluster runs over
 * whatever the interface has. A host without IPv6 (disabled) runs on
 * IPv4 alone, and says so; the port held by another program is fatal,
 * as for IPv4.
 */
static int
open_udp6(struct cluster *c, char *err, size_t errlen)
{
	struct disc_udp6_conf dconf;
	char e6[256];

	disc_dedup_init(&c->dedup);
	disc_udp6_conf_defaults(&dconf);
	dconf.group = c->conf.cluster.group6;
	dconf.port = disc_udp_get_port(c->udp);
	dconf.ifindex = if_nametoindex(c->ifname);
	dconf.on_drop = udp6_drop_cb;
	dconf.flags = DISC_UDP_SYSTEMD; /* qured.socket's [::]:port, if any */
	c->udp6 = disc_udp6_new(c->base, &dconf, rx6_cb, c, e6, sizeof(e6));
	disc_systemd_close_unclaimed();
	if (c->udp6 != NULL) {
		disc_udp6_set_priority(c->udp6, 0);
		return 0;
	}
	/* Taken by another program: fatal, as for IPv4 (a second qured on
	 * this host) -- unless systemd holds our IPv4 port (a qured.socket
	 * without the IPv6 line): then whoever took the IPv6 one cannot
	 * keep us from starting. */
	if (strstr(e6, "Address already in use") != NULL &&
	    !c->systemd_socket) {
		snprintf(err, errlen, "%s", e6);
		return -1;
	}
	log_warnx("%s; the cluster runs on IPv4 only", e6);
	return 0;
}

/*
 * The watcher is an optimisation: without CAP_NET_RAW or a port list the
 * cluster still fails over on missed heartbeats, so its failure is a
 * warning.
 */
static void
open_watch(struct cluster *c)
{
	struct netcfg_watch_conf w;
	char err[256];
	size_t i;

	if (c->conf.dmz.ports.n == 0)
		return;
	memset(&w, 0, sizeof(w));
	snprintf(w.ifname, sizeof(w.ifname), "%s", c->ifname);
	w.dmz = c->conf.dmz.address.addr;
	w.dmz6 = c->conf.dmz.address6.addr; /* all zero: none */
	for (i = 0; i < c->conf.dmz.ports.n && i < NETCFG_WATCH_MAX_PORTS;
	     i++) {
		w.ports[i].proto = c->conf.dmz.ports.p[i].proto;
		w.ports[i].port = c->conf.dmz.ports.p[i].port;
	}
	w.n_ports = i;
	c->watch =
	    netcfg_watch_new(c->base, &w, watch_seen_cb, c, err, sizeof(err));
	if (c->watch == NULL) {
		log_warnx("%s; fast failure detection is off", err);
		return;
	}
	netcfg_watch_set_enabled(c->watch, false);
}

static int
open_core(struct cluster *c, char *err, size_t errlen)
{
	struct elect_persist persist;
	uint64_t seed;

	if (state_load(c->conf.node.state_dir, &persist, err, errlen) == -1)
		return -1;
	if (getrandom(&seed, sizeof(seed), 0) != sizeof(seed)) {
		snprintf(err, errlen, "cluster: getrandom failed");
		return -1;
	}
	elect_conf_from(c, &c->conf, &c->econf);
	c->core = elect_new(&c->econf, &persist, clock_now_ms(), seed);
	if (c->core == NULL) {
		snprintf(err, errlen,
		    "cluster: invalid election settings "
		    "(heartbeat, dead-after, priority)");
		return -1;
	}
	events_init(c);
	return 0;
}

struct cluster *
cluster_new(struct event_base *base, const struct conf *conf,
    const uint8_t *key, char *err, size_t errlen)
{
	struct cluster *c = xcalloc(1, sizeof(*c));
	struct elect_event start = {.type = ELECT_EV_START};
	char cidr[INET6_ADDRSTRLEN + 5], cidr6[INET6_ADDRSTRLEN + 5],
	    id_hex[33];
	struct elect_id me;

	c->base = base;
	c->conf = *conf;
	c->keys = keyrot_new(key, conf->cluster.next_key_file, err, errlen);
	if (c->keys == NULL)
		goto fail;
	c->bal_seed = conf_balance_seed(key);
	c->timer = evtimer_new(base, timer_cb, c);
	/* First in its loop iteration (main.c): the fence's renewals. */
	if (c->timer != NULL && event_base_get_npriorities(base) > 1)
		(void)event_priority_set(c->timer, 0);
	c->persist_ev = evtimer_new(base, persist_done_cb, c);
	c->probe_later = evtimer_new(base, probe_later_cb, c);
	c->writer =
	    state_writer_new(base, conf->node.state_dir, persist_written_cb, c);
	c->persist_ok = true;
	if (c->timer == NULL || c->persist_ev == NULL || c->writer == NULL) {
		snprintf(err, errlen, "cluster: out of resources for timers");
		goto fail;
	}
	if (cluster_fingerprint(key, c->fingerprint, sizeof(c->fingerprint)) ==
	    -1) {
		snprintf(err, errlen, "cluster: cannot hash the key");
		goto fail;
	}
	if (open_netcfg(c, key, err, errlen) == -1 ||
	    open_udp(c, err, errlen) == -1 || open_udp6(c, err, errlen) == -1 ||
	    open_core(c, err, errlen) == -1)
		goto fail;
	if (open_disc_tick(c) == -1) {
		snprintf(err, errlen, "cluster: out of resources for a timer");
		goto fail;
	}
	open_igmp(c);
	open_watch(c);
	if (open_dns(c, err, errlen) == -1)
		goto fail;
	if (conf->dmz.check.type != CONF_CHECK_NONE)
		c->check =
		    check_new(base, &conf->dmz.check, service_checked_cb, c);
	if (c->check != NULL)
		check_schedule(c->check, conf->dmz.check_interval_ms,
		    conf->dmz.check_timeout_ms);
	c->hooks =
	    hooks_new(base, conf->hooks.on_holder, conf->hooks.on_standby);
	if ((conf->dmz.check.type != CONF_CHECK_NONE && c->check == NULL) ||
	    c->hooks == NULL) {
		snprintf(
		    err, errlen, "cluster: cannot set up the check or hooks");
		goto fail;
	}
	c->dyndns = cloud_open(base, conf, err, errlen);
	if (c->dyndns == NULL && err[0] != '\0')
		goto fail;
	dmz_cidr(c, cidr, sizeof(cidr));
	dmz6_cidr(c, cidr6, sizeof(cidr6));
	cluster_run(c, &start);
	/* The node id after START, which makes it on a first start: a clone
	 * check compares it (vm/README.md). */
	elect_get_id(c->core, &me);
	elect_id_hex(&me, id_hex);
	log_info("cluster: %s (node id %s) on %s, priority %u, DMZ %s%s%s",
	    c->econf.name, id_hex, c->ifname, c->econf.priority, cidr,
	    c->dmz4 && cidr6[0] != '\0' ? " and " : "", c->dmz4 ? cidr6 : "");
	if (open_site(c, err, errlen) == -1)
		goto fail;
	/* After START: the TXT has our id (made then on a first start). */
	open_avahi(c);
	open_router(c);
	/* netcfg reports changes only: a link down from the start is told. */
	if (!netcfg_is_link_up(c->nc)) {
		struct elect_event down = {.type = ELECT_EV_LINK, .up = false};

		log_warnx("netcfg: %s is down; waiting for it", c->ifname);
		cluster_run(c, &down);
	}
	return c;
fail:
	cluster_free(c);
	return NULL;
}

void
cluster_free(struct cluster *c)
{
	if (c == NULL)
		return;
	disc_avahi_free(c->avahi); /* withdraws our service */
	dyndns_free(c->dyndns);
	router_free(c->router); /* the mappings stay on the router */
	if (c->timer != NULL)
		event_free(c->timer);
	if (c->persist_ev != NULL)
		event_free(c->persist_ev);
	if (c->probe_later != NULL)
		event_free(c->probe_later);
	state_writer_free(c->writer);
	check_free(c->check);
	hooks_free(c->hooks);
	site_free(c->site);
	netcfg_watch_free(c->watch);
	if (c->disc_tick != NULL)
		event_free(c->disc_tick);
	disc_igmp_free(c->igmp);
	dns_server_free(c->dns); /* before the core its view reads */
	elect_free(c->core);
	disc_udp_free(c->udp);
	disc_udp6_free(c->udp6);
	netcfg6_free(c->nc6);
	netcfg_free(c->nc);
	keyrot_free(c->keys);
	free(c);
}

void
cluster_guard(struct cluster *c)
{
	struct sockaddr_in group = {.sin_family = AF_INET};

	/* The holder's farewell goes to the group on our cluster socket
	 * (TTL 255, the cluster interface), which the guard keeps. */
	group.sin_addr = c->conf.cluster.group;
	group.sin_port = htons(c->conf.cluster.port);
	netcfg_guard_set_farewell_to(c->nc, disc_udp_get_fd(c->udp), &group);
	arm_guard_fence(c);
	if (c->dmz4 && netcfg_guard_start(c->nc) == -1)
		log_warnx("netcfg: no address guard; a crash leaves the "
			  "address to the kernel lease");
	if (c->nc6 != NULL && !c->dmz4 && c->udp6 != NULL) {
		struct sockaddr_in6 group6 = {.sin6_family = AF_INET6};

		group6.sin6_addr = c->conf.cluster.group6;
		group6.sin6_port = htons(c->conf.cluster.port);
		/* No scope id: the socket's IPV6_MULTICAST_IF picks the
		 * cluster interface, and follows it if it is recreated. */
		netcfg6_guard_set_farewell_to(
		    c->nc6, disc_udp6_get_fd(c->udp6), &group6);
	}
	if (c->nc6 != NULL && netcfg6_guard_start(c->nc6) == -1)
		log_warnx("netcfg: no address guard for the IPv6 address; a "
			  "crash leaves it to the kernel lease");
}

void
cluster_shutdown(struct cluster *c)
{
	struct elect_event ev = {.type = ELECT_EV_SHUTDOWN};

	cluster_run(c, &ev);
	/* Whatever the core believed, nothing of ours may outlive us. */
	if (is_held(c))
		addr_del(c);
}

static void
reload_check(struct cluster *c, const struct conf *conf)
{
	const struct conf_check *cc = &conf->dmz.check;

	if (c->check != NULL && cc->type != CONF_CHECK_NONE) {
		check_set(c->check, cc);
	} else {
		check_free(c->check);
		c->check = NULL;
		if (cc->type != CONF_CHECK_NONE)
			c->check =
			    check_new(c->base, cc, service_checked_cb, c);
	}
	if (c->check != NULL)
		check_schedule(c->check, conf->dmz.check_interval_ms,
		    conf->dmz.check_timeout_ms);
}

/* [dmz] ports changed: a new watcher; only a standby's is enabled. */
static void
reload_watch(struct cluster *c)
{
	netcfg_watch_free(c->watch);
	c->watch = NULL;
	open_watch(c);
	if (c->watch != NULL)
		netcfg_watch_set_enabled(
		    c->watch, elect_get_state(c->core) == ELECT_ST_STANDBY);
}

void
cluster_reload(struct cluster *c, const struct conf *conf)
{
	static struct conf live; /* large: off the stack, one loop */
	struct conf_diff diff;
	struct elect_event ev = {.type = ELECT_EV_RECONF};
	struct elect_conf next;
	bool ports_changed;
	size_t i;

	conf_diff(&c->conf, conf, &diff);
	for (i = 0; i < diff.n; i++)
		if (!diff.change[i].live)
			log_warnx("reload: [%s] %s changed: restart qured to "
				  "apply it",
			    diff.change[i].section, diff.change[i].key);
	/* The keys the table marks live, and only those, from one list. */
	live = c->conf;
	conf_apply_live(&live, conf);
	/* Key rotation: the key file (its path needs a restart) and the
	 * next key file read again. */
	(void)keyrot_reload(
	    c->keys, c->conf.cluster.key_file, live.cluster.next_key_file);
	elect_conf_from(c, &live, &next);
	ev.conf = &next;
	if (step(c, &ev) == -1) {
		log_warnx("reload: the new election settings are invalid; "
			  "keeping the old ones");
		return;
	}
	keyrot_release(c->keys); /* the core borrows the new ones now */
	c->econf = next;
	arm_guard_fence(c);
	c->dyndns = cloud_reload(c->dyndns, c->base, &c->conf, &live,
	    elect_get_state(c->core) == ELECT_ST_HOLDER);
	connect_cloud_router(c);
	ports_changed =
	    c->conf.dmz.ports.n != live.dmz.ports.n ||
	    memcmp(c->conf.dmz.ports.p, live.dmz.ports.p,
		live.dmz.ports.n * sizeof(live.dmz.ports.p[0])) != 0;
	c->conf = live;
	hooks_set(c->hooks, live.hooks.on_holder, live.hooks.on_standby);
	reload_check(c, &live);
	if (c->dns != NULL)
		dns_server_set_rrl(c->dns, live.dns.rrl);
	if (ports_changed)
		reload_watch(c);
	if (ports_changed && elect_get_state(c->core) == ELECT_ST_HOLDER)
		router_holder(c, true); /* the new list, asked now */
	/* A site settings change of the application's keys changes nothing
	 * of qured's: said only when something did. */
	if (diff.n > 0 || !c->reload_quiet)
		log_info(
		    "reload: %zu change(s) seen, live ones applied", diff.n);
	balance_sync(c, clock_now_ms()); /* [dmz] balance, ports, key */
}

/* ---- the DNS responder ([dns], issue 10 item 3) ---- */

static void
dns_addr_from(const struct elect_addr *a, struct dns_addr *d)
{
	d->family = a->family;
	memcpy(d->b, a->b, sizeof(d->b));
}

/*
 * The zone's public address(es) from the view of this member: the holder's
 * in its HEARTBEAT (it learnt them), else what our own public-address part
 * learnt (dyndns_public_v4/v6(): we hold, or the address is static, which
 * every member knows). An IPv6 one is the zone's AAAA.
 */
static void
dns_public(const struct cluster *c, struct dns_view *v)
{
	struct elect_addr pub[ELECT_MAX_PUBLIC];
	size_t i, n;

	_Static_assert(sizeof(v->pub) / sizeof(v->pub[0]) >= ELECT_MAX_PUBLIC,
	    "the view holds what a HEARTBEAT carries");
	n = elect_get_holder_public(c->core, pub, ELECT_MAX_PUBLIC);
	if (n == 0)
		n = own_public(c, pub);
	for (i = 0; i < n; i++) {
		v->pub[i].family = pub[i].family;
		memcpy(v->pub[i].b, pub[i].b, sizeof(v->pub[i].b));
	}
	v->n_pub = n;
}

/* A snapshot for one query: who is live, who holds, what is public. */
static void
dns_view_cb(void *arg, struct dns_view *v)
{
	static struct elect_member_info members[ELECT_MAX_MEMBERS];
	struct cluster *c = arg;
	struct elect_id holder, me;
	bool has_holder;
	size_t i, j, n;

	snprintf(v->zone, sizeof(v->zone), "%s", c->conf.dns.zone);
	snprintf(v->cloud_name, sizeof(v->cloud_name), "%s",
	    c->conf.cloud.enabled ? c->conf.cloud.name : "");
	dns_public(c, v);
	v->serial = (uint32_t)elect_get_epoch(c->core);
	v->ttl = c->conf.cloud.enabled ? c->conf.cloud.ttl : 60;
	v->srv_port = c->conf.cluster.port;
	v->holder[0] = '\0';
	has_holder = elect_get_holder(c->core, &holder);
	elect_get_id(c->core, &me);

	/* Ourselves first, with the addresses we advertise. */
	snprintf(v->members[0].name, sizeof(v->members[0].name), "%s",
	    c->econf.name);
	for (j = 0; j < c->econf.n_addrs && j < DNS_VIEW_ADDRS; j++)
		dns_addr_from(&c->econf.addrs[j], &v->members[0].addrs[j]);
	v->members[0].n_addrs = j;
	if (has_holder && elect_id_cmp(&holder, &me) == 0)
		snprintf(v->holder, sizeof(v->holder), "%s", c->econf.name);
	n = elect_get_members(
	    c->core, clock_now_ms(), members, ELECT_MAX_MEMBERS);
	for (i = 0; i < n && i + 1 < DNS_VIEW_MEMBERS; i++) {
		struct dns_view_member *m = &v->members[i + 1];

		snprintf(m->name, sizeof(m->name), "%s", members[i].name);
		for (j = 0; j < members[i].n_addrs && j < DNS_VIEW_ADDRS; j++)
			dns_addr_from(&members[i].addrs[j], &m->addrs[j]);
		m->n_addrs = j;
		if (has_holder && elect_id_cmp(&holder, &members[i].id) == 0)
			snprintf(v->holder, sizeof(v->holder), "%s",
			    members[i].name);
	}
	v->n_members = i + 1;
}

static void
dns_listen_text(const struct conf_listen *l, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	if (l->family == 4)
		snprintf(buf, len, "%s:%u",
		    inet_ntop(AF_INET, l->addr, a, sizeof(a)), l->port);
	else if (l->family == 6)
		snprintf(buf, len, "[%s]:%u",
		    inet_ntop(AF_INET6, l->addr, a, sizeof(a)), l->port);
	else
		snprintf(buf, len, "%u", l->port);
}

/*
 * Port 53 of every address is taken when a local resolver holds it on one
 * (systemd-resolved on 127.0.0.53): then the DMZ address (bound before it
 * is held) and our LAN addresses, each alone.
 */
static size_t
dns_own_addrs(const struct cluster *c, struct dns_server_conf *dc)
{
	size_t i, n = 0;

	if (c->dmz4) {
		dc->addrs[n].family = 4;
		memcpy(dc->addrs[n++].b, &c->conf.dmz.address.addr, 4);
	}
	if (c->conf.dmz.address6.prefix != 0) {
		dc->addrs[n].family = 6;
		memcpy(dc->addrs[n++].b, &c->conf.dmz.address6.addr, 16);
	}
	for (i = 0; i < c->econf.n_addrs && n < DNS_LISTEN_MAX; i++) {
		const struct elect_addr *a = &c->econf.addrs[i];

		/* A link-local address needs its scope: not bound alone. */
		if (a->family == 6 && a->b[0] == 0xfe &&
		    (a->b[1] & 0xc0) == 0x80)
			continue;
		if (a->family != 4 && a->family != 6)
			continue;
		dns_addr_from(a, &dc->addrs[n++]);
	}
	return n;
}

static int
open_dns(struct cluster *c, char *err, size_t errlen)
{
	struct dns_server_conf dc = {
	    .port = c->conf.dns.listen.port, .rrl = c->conf.dns.rrl};
	char where[STATUS_ADDR_LEN + 8], why[256], why2[256];

	if (!c->conf.dns.enabled)
		return 0;
	if (c->conf.dns.listen.family != 0) {
		dc.addrs[0].family = c->conf.dns.listen.family;
		memcpy(dc.addrs[0].b, c->conf.dns.listen.addr,
		    sizeof(dc.addrs[0].b));
		dc.n_addrs = 1;
	}
	dns_listen_text(&c->conf.dns.listen, where, sizeof(where));
	c->dns = dns_server_new(c->base, &dc, dns_view_cb, c, why, sizeof(why));
	if (c->dns == NULL && dc.n_addrs == 0 &&
	    (dc.n_addrs = dns_own_addrs(c, &dc)) > 0) {
		c->dns = dns_server_new(
		    c->base, &dc, dns_view_cb, c, why2, sizeof(why2));
		if (c->dns != NULL)
			log_warnx("dns: %s; answering on the DMZ and LAN "
				  "addresses alone",
			    why);
		else
			snprintf(why, sizeof(why), "%s", why2);
	}
	if (c->dns == NULL) {
		snprintf(err, errlen,
		    "[dns] listen = %s: %s (another DNS server there? set "
		    "listen = ADDRESS:PORT)",
		    where, why);
		return -1;
	}
	log_info("dns: answering for %s on %s, rate limit %u/s",
	    c->conf.dns.zone, where, c->conf.dns.rrl);
	return 0;
}

static void
status_dns(const struct cluster *c, struct status *out)
{
	struct dns_stats st;

	if (c->dns == NULL)
		return;
	dns_server_get_stats(c->dns, &st);
	out->dns.present = true;
	dns_listen_text(
	    &c->conf.dns.listen, out->dns.listen, sizeof(out->dns.listen));
	out->dns.queries_udp = st.queries_udp;
	out->dns.queries_tcp = st.queries_tcp;
	out->dns.answers = st.answers;
	out->dns.nxdomain = st.nxdomain;
	out->dns.refused = st.refused;
	out->dns.formerr = st.formerr;
	out->dns.notimp = st.notimp;
	out->dns.dropped = st.dropped;
	out->dns.truncated = st.truncated;
	out->dns.rrl_dropped = st.rrl_dropped;
	out->dns.rrl_slipped = st.rrl_slipped;
	out->dns.tcp_rejected = st.tcp_rejected;
}

/* ---- status and handover ---- */

static void
addr_text(const struct elect_addr *a, char *buf, size_t len)
{
	buf[0] = '\0';
	if (a->family == 4)
		inet_ntop(AF_INET, a->b, buf, (socklen_t)len);
	else if (a->family == 6)
		inet_ntop(AF_INET6, a->b, buf, (socklen_t)len);
}

static void
status_member_from(struct cluster *c, const struct elect_member_info *m,
    struct status_member *s)
{
	struct elect_addr to = member_address(c, m);
	size_t i;

	elect_id_hex(&m->id, s->id);
	snprintf(s->name, sizeof(s->name), "%s", m->name);
	s->priority = m->priority;
	snprintf(s->state, sizeof(s->state), "%s", elect_state_name(m->state));
	s->last_seen_ms = m->last_seen_ms;
	s->cpus = m->cpus;
	s->memory_mib = m->mem_mib;
	s->alive_interval_ms = m->alive_ms;
	for (i = 0; i < m->n_addrs && i < STATUS_MAX_ADDRS; i++)
		addr_text(&m->addrs[i], s->addrs[i], sizeof(s->addrs[i]));
	s->n_addrs = i; /* what it advertised: none is none */
	addr_text(&to, s->address, sizeof(s->address));
}

static void
status_holder(struct cluster *c, struct status *out,
    const struct elect_member_info *members, size_t n)
{
	struct elect_id holder, me;
	size_t i;

	if (!elect_get_holder(c->core, &holder))
		return;
	out->holder.present = true;
	elect_id_hex(&holder, out->holder.id);
	elect_get_id(c->core, &me);
	if (elect_id_cmp(&holder, &me) == 0) {
		snprintf(out->holder.name, sizeof(out->holder.name), "%s",
		    c->econf.name);
		/* Ours on the LAN the members share, if we know it. */
		if (c->group_src.s_addr != 0)
			inet_ntop(AF_INET, &c->group_src, out->holder.address,
			    sizeof(out->holder.address));
		else if (c->econf.n_addrs > 0)
			addr_text(&c->econf.addrs[0], out->holder.address,
			    sizeof(out->holder.address));
		return;
	}
	for (i = 0; i < n; i++) {
		if (elect_id_cmp(&members[i].id, &holder) != 0)
			continue;
		snprintf(out->holder.name, sizeof(out->holder.name), "%s",
		    members[i].name);
		snprintf(out->holder.address, sizeof(out->holder.address), "%s",
		    out->members[i].address);
	}
}

/* A member with other settings, for "conflict" (doc/design.md §8.3). */
static void
status_member_conflict(
    const struct cluster *c, uint64_t now, struct status *out)
{
	struct elect_conflict cf;
	char id[33], ip[INET6_ADDRSTRLEN], what[64];

	if (!elect_get_conflict(c->core, now, &cf))
		return;
	addr_text(&cf.src, ip, sizeof(ip));
	mismatch_text(cf.mismatch, what, sizeof(what));
	snprintf(out->conflict, sizeof(out->conflict),
	    "member %s (%s) at %s: %s", cf.name[0] != '\0' ? cf.name : "?",
	    elect_id_hex(&cf.id, id), ip, what);
}

static void
status_router(const struct cluster *c, struct status *out)
{
	struct router_status rs;

	if (c->router == NULL)
		return;
	router_get_status(c->router, &rs);
	out->router.present = true;
	snprintf(out->router.igd, sizeof(out->router.igd), "%s", rs.igd);
	snprintf(out->router.external_address,
	    sizeof(out->router.external_address), "%s", rs.external);
	out->router.reachable = rs.reachable;
	snprintf(out->router.reason, sizeof(out->router.reason), "%s",
	    rs.reason != NULL ? rs.reason : "");
	out->router.mapped = rs.mapped;
	out->router.refused = rs.refused;
	snprintf(out->router.last_error, sizeof(out->router.last_error), "%s",
	    rs.last_error);
}

static void
status_discovery(const struct cluster *c, struct status *out)
{
	struct disc_avahi_stats st;
	size_t i;
	struct disc_igmp_stats is;

	snprintf(out->discovery.igmp, sizeof(out->discovery.igmp), "%s",
	    c->igmp != NULL ? "running" : "unavailable");
	if (c->igmp != NULL) {
		disc_igmp_get_stats(c->igmp, &is);
		out->discovery.igmp_reports = is.joins;
	}
	out->discovery.igmp_hints = c->igmp_hints;
	out->discovery.igmp_hints_limited = c->hints.limited;

	snprintf(out->discovery.avahi, sizeof(out->discovery.avahi), "%s",
	    disc_avahi_state_name(c->avahi != NULL
				      ? disc_avahi_get_state(c->avahi)
				      : DISC_AVAHI_DISABLED));
	if (c->avahi == NULL)
		return;
	disc_avahi_get_stats(c->avahi, &st);
	out->discovery.peers_browsed = st.peers_browsed;
	for (i = 0; i < DISC_TXT_NERR; i++)
		out->discovery.txt_rejected += st.txt_rejected[i];
	out->discovery.over_limit = st.ignored;
}

/* The request timeout per watched port (issue 13). */
static void
status_watch(const struct cluster *c, struct status *out)
{
	struct elect_watch_info w[STATUS_MAX_WATCH];
	size_t i, n = elect_get_watch(c->core, w, STATUS_MAX_WATCH);

	out->watch.is_auto = c->econf.request_timeout_auto;
	for (i = 0; i < n; i++) {
		out->watch.ports[i].port = w[i].port;
		snprintf(out->watch.ports[i].proto,
		    sizeof(out->watch.ports[i].proto), "%s",
		    w[i].proto == CONF_PROTO_UDP ? "udp" : "tcp");
		out->watch.ports[i].timeout_ms = w[i].timeout_ms;
		out->watch.ports[i].samples = w[i].samples;
	}
	out->watch.n_ports = n;
}

void
cluster_set_dmz_source(struct cluster *c, const char *source)
{
	c->dmz_source = source;
}

/* The hooks' and the service check's counts (issue 14 item 1). */
static void
status_hooks_check(const struct cluster *c, struct status *out)
{
	struct hooks_stats hs;
	struct check_stats cs;

	hooks_get_stats(c->hooks, &hs);
	out->hooks.runs = hs.runs;
	out->hooks.failures = hs.failures;
	out->hooks.timeouts = hs.timeouts;
	if (c->check == NULL)
		return;
	check_get_stats(c->check, &cs);
	out->check.present = true;
	out->check.passed = cs.passed;
	out->check.failed = cs.failed;
	out->check.ok = cs.last_ok;
}

void
cluster_status(struct cluster *c, struct status *out)
{
	static struct elect_member_info members[STATUS_MAX_MEMBERS];
	struct elect_counters ctr;
	struct disc_udp_stats ustats;
	struct elect_id me;
	uint64_t now = clock_now_ms();
	size_t i, n;

	elect_get_id(c->core, &me);
	elect_id_hex(&me, out->node.id);
	snprintf(out->node.name, sizeof(out->node.name), "%s", c->econf.name);
	out->node.priority = c->econf.priority;
	snprintf(out->node.state, sizeof(out->node.state), "%s",
	    elect_state_name(elect_get_state(c->core)));
	out->epoch = elect_get_epoch(c->core);
	dmz_cidr(c, out->dmz.address, sizeof(out->dmz.address));
	out->dmz.held = is_held(c);
	out->dmz.lease_ms = c->dmz4 ? netcfg_enforced_lease_ms(c->nc)
				    : netcfg6_enforced_lease_ms(c->nc6);
	out->dmz.kernel_lifetime_s = c->dmz4
					 ? netcfg_kernel_lifetime_s(c->nc)
					 : netcfg6_kernel_lifetime_s(c->nc6);
	dmz6_cidr(c, out->dmz.address6, sizeof(out->dmz.address6));
	out->dmz.held6 = c->nc6 != NULL && netcfg6_is_held(c->nc6);
	out->dmz.guard_restarts = netcfg_guard_restarts(c->nc);
	out->dmz.fence_ms = c->econf.fence_ms;
	out->dmz.fence_trusted = elect_get_fence_trusted(c->core);
	{
		uint32_t samples;

		out->dmz.probe_timeout_ms =
		    elect_get_probe_timeout(c->core, &samples);
		out->dmz.probe_samples = samples;
	}
	if (c->conf.dmz.vmac.mode != CONF_VMAC_NO)
		netcfg_get_vmac(c->nc, out->dmz.vmac, sizeof(out->dmz.vmac));
	snprintf(out->dmz.source, sizeof(out->dmz.source), "%s",
	    c->dmz_source != NULL ? c->dmz_source : "config");
	n = elect_get_members(c->core, now, members, STATUS_MAX_MEMBERS);
	for (i = 0; i < n; i++)
		status_member_from(c, &members[i], &out->members[i]);
	out->n_members = n;
	status_holder(c, out, members, n);
	events_track_status(&c->track, out);
	elect_get_counters(c->core, &ctr);
	out->counters.rx = ctr.rx;
	out->counters.tx = ctr.tx;
	out->counters.rx_dropped_auth = ctr.rx_dropped_auth;
	out->counters.rx_dropped_malformed = ctr.rx_dropped_malformed;
	out->counters.rx_dropped_replay = ctr.rx_dropped_replay;
	out->counters.rx_dropped_version = ctr.rx_dropped_version;
	out->counters.rx_unverified = ctr.rx_unverified;
	out->counters.challenges = ctr.challenges;
	disc_udp_get_stats(c->udp, &ustats);
	out->counters.rx_dropped_ttl = ustats.rx_dropped_ttl;
	if (c->udp6 != NULL) {
		disc_udp6_get_stats(c->udp6, &ustats);
		out->counters.rx_dropped_ttl += ustats.rx_dropped_ttl;
	}
	out->counters.failovers = ctr.failovers;
	out->counters.probes = ctr.probes;
	out->counters.probes_lost = ctr.probes_lost;
	out->counters.acks_lost = ctr.acks_lost;
	out->counters.loss_handovers = ctr.loss_handovers;
	out->counters.fence_claims = ctr.fence_claims;
	out->counters.fence_lapses = ctr.fence_lapses;
	status_watch(c, out);
	status_discovery(c, out);
	status_site(c, out);
	status_balance(c, out);
	cloud_status(c->dyndns, out);
	status_router(c, out);
	out->persist.ok = c->persist_ok;
	if (!c->persist_ok)
		snprintf(out->persist.error, sizeof(out->persist.error), "%s",
		    c->persist_err);
	/* A conflict seen while racing a member's claim is not one. */
	if (!out->holder.present && c->conflict[0] != '\0')
		snprintf(
		    out->conflict, sizeof(out->conflict), "%s", c->conflict);
	else if (out->dmz.held && c->defended_ms != 0 &&
		 now < c->defended_ms + DEFEND_SHOW_MS)
		snprintf(
		    out->conflict, sizeof(out->conflict), "%s", c->defended);
	else
		status_member_conflict(c, now, out);
	status_dns(c, out);
	status_hooks_check(c, out);
	keyrot_status(c->keys, c->core, now, out);
}

int
cluster_key_rotate(struct cluster *c, bool force, char *err, size_t errlen)
{
	struct elect_event ev = {.type = ELECT_EV_KEY_ROTATE, .force = force};

	/* The core decides; we only say why not, naming who lacks it. */
	cluster_run(c, &ev);
	return keyrot_rotate_said(
	    c->core, clock_now_ms(), (int)c->rotate, err, errlen);
}

int
cluster_handover(struct cluster *c, const char *name, char *err, size_t errlen)
{
	struct elect_event ev = {
	    .type = ELECT_EV_HANDOVER, .target_name = name};

	/* The core decides who may take over; we only say why not. */
	cluster_run(c, &ev);
	switch (c->handover) {
	case ELECT_HANDOVER_DONE:
		return 0;
	case ELECT_HANDOVER_NOT_HOLDER:
		snprintf(err, errlen,
		    "this node does not hold the address; "
		    "run handover on the holder");
		break;
	case ELECT_HANDOVER_NO_MEMBER:
		snprintf(err, errlen, "no live member named %s", name);
		break;
	case ELECT_HANDOVER_NEVER_HOLDS:
		snprintf(
		    err, errlen, "%s has priority 0 and never holds", name);
		break;
	case ELECT_HANDOVER_NOT_ELIGIBLE:
		snprintf(err, errlen,
		    "%s has other settings than ours (see \"conflict\" in "
		    "qurectl status on it)",
		    name);
		break;
	case ELECT_HANDOVER_NOBODY:
		snprintf(err, errlen, "no eligible standby to hand over to");
		break;
	}
	return -1;
}
