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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <openssl/crypto.h>

#include "base/clock.h"
#include "base/log.h"
#include "base/xmalloc.h"
#include "discovery/discovery.h"
#include "election/election.h"
#include "netcfg/netcfg.h"
#include "src/check.h"
#include "src/conf.h"
#include "src/hooks.h"
#include "src/state.h"
#include "src/state_writer.h"
#include "src/status.h"

#define ANNOUNCE_COUNT 3 /* gratuitous ARPs after taking the address */
#define ANNOUNCE_GAP_MS 100
#define PROBE_COUNT 2 /* RFC 5227 style, with failover-friendly timings */
#define PROBE_GAP_MS 50
#define PROBE_WAIT_MS 100
#define DROP_LOG_SLOTS 16
#define DROP_LOG_EVERY_MS 60000
/* A defended conflict shows in the status this long after the last
 * report (reports come at most once a NETCFG_DEFEND_INTERVAL_MS). */
#define DEFEND_SHOW_MS (2 * NETCFG_DEFEND_INTERVAL_MS)

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
	struct event_base *base;
	struct conf conf;
	char ifname[NETCFG_IFNAME_MAX];
	struct elect_key *key;
	struct elect *core;
	struct elect_conf econf;
	enum elect_handover_result handover; /* of the last step */
	struct netcfg *nc;
	struct disc_udp *udp;
	struct event *timer;
	struct netcfg_watch *watch; /* NULL: no [dmz] ports to watch */
	struct check *check;	    /* NULL: no [dmz] check */
	bool check_failing;	    /* to log a failing check once */
	struct hooks *hooks;
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
	/* Newcomers refused by a full membership table, logged once a
	 * minute. */
	struct drop_log refused;
	/* Probes started again for a member's MAC (probe_done_cb()). */
	unsigned probe_restarts;
	/* A conflict from a MAC not (yet) a member's, judged later. */
	struct event *probe_later;
	uint8_t probe_mac[6];
};

static void cluster_run(struct cluster *, const struct elect_event *);

/* ---- applying actions ---- */

static void
apply_send(struct cluster *c, const struct elect_action *a)
{
	struct sockaddr_in to = {.sin_family = AF_INET};

	if (a->dest.family == 0) {
		disc_udp_send(c->udp, NULL, a->buf, a->len);
		return;
	}
	if (a->dest.family != 4)
		return; /* IPv6 transport: a later issue */
	memcpy(&to.sin_addr, a->dest.b, 4);
	to.sin_port = htons(c->conf.cluster.port);
	disc_udp_send(c->udp, &to, a->buf, a->len);
}

/* "192.168.1.11/24" */
static void
dmz_cidr(const struct cluster *c, char *buf, size_t len)
{
	char ip[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &c->conf.dmz.address.addr, ip, sizeof(ip));
	snprintf(buf, len, "%s/%u", ip, c->conf.dmz.address.prefix);
}

static void
apply_state(struct cluster *c, const struct elect_action *a)
{
	char cidr[INET_ADDRSTRLEN + 4];

	log_info("cluster: %s -> %s (%s), epoch %llu", elect_state_name(a->old),
	    elect_state_name(a->state), elect_reason_name(a->reason),
	    (unsigned long long)elect_get_epoch(c->core));
	dmz_cidr(c, cidr, sizeof(cidr));
	hooks_run(c->hooks, elect_state_name(a->state),
	    elect_state_name(a->old), elect_reason_name(a->reason),
	    elect_get_epoch(c->core), cidr);
	if (a->state == ELECT_ST_HOLDER || a->reason == ELECT_WHY_HOLDER_HEARD)
		c->conflict[0] = '\0'; /* the cluster owns the address now */
	/* Only a standby watches the holder's clients: not the holder. */
	if (c->watch != NULL)
		netcfg_watch_set_enabled(
		    c->watch, a->state == ELECT_ST_STANDBY);
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
	char ip[INET_ADDRSTRLEN] = "?";

	if (a->src.family == 4)
		inet_ntop(AF_INET, a->src.b, ip, sizeof(ip));
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

static void
apply_addr_add(struct cluster *c, uint32_t lease_ms)
{
	if (netcfg_addr_add(c->nc, lease_ms) == 0)
		netcfg_announce(c->nc, ANNOUNCE_COUNT, ANNOUNCE_GAP_MS);
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
}

static void
start_probe(struct cluster *c, uint64_t now)
{
	set_member_macs(c, now);
	if (netcfg_probe(c->nc, PROBE_COUNT, PROBE_GAP_MS, PROBE_WAIT_MS) == -1)
		log_warnx(
		    "netcfg: cannot probe the DMZ address on %s", c->ifname);
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

static void
apply(struct cluster *c, const struct elect_action *a, uint64_t now)
{
	switch (a->type) {
	case ELECT_ACT_SEND:
		apply_send(c, a);
		break;
	case ELECT_ACT_ADDR_ADD:
		if (lease_ran_out(c))
			break;
		set_member_macs(c, now); /* for the holder's defence */
		apply_addr_add(c, a->lease_ms);
		break;
	case ELECT_ACT_ADDR_REFRESH:
		if (!lease_ran_out(c))
			netcfg_addr_refresh(c->nc, a->lease_ms);
		break;
	case ELECT_ACT_ADDR_DEL:
		netcfg_addr_del(c->nc);
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
		netcfg_announce(c->nc, ANNOUNCE_COUNT, ANNOUNCE_GAP_MS);
		break;
	case ELECT_ACT_CONFLICT:
		apply_conflict(a);
		break;
	case ELECT_ACT_FAREWELL:
		/* The guard sends it if we die holding (netcfg_guard.c). */
		(void)netcfg_guard_farewell(c->nc, a->buf, a->len);
		break;
	case ELECT_ACT_CHECK:
		/*
		 * The check runs every [dmz] check-interval on its own
		 * schedule (check_schedule()), whose results answer this.
		 */
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

static int
step(struct cluster *c, const struct elect_event *ev)
{
	static struct elect_out out; /* 13 KiB: off the stack, one loop */
	uint64_t now = clock_now_ms();
	size_t i;

	if (elect_step(c->core, now, ev, &out) == -1)
		return -1;
	for (i = 0; i < out.nact; i++)
		apply(c, &out.act[i], now);
	arm_timer(c, out.wake_ms, now);
	c->handover = out.handover;
	return 0;
}

static void
cluster_run(struct cluster *c, const struct elect_event *ev)
{
	if (step(c, ev) == -1)
		fatalx("cluster: election core rejected its own event %d",
		    (int)ev->type);
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

static void
timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct elect_event ev = {.type = ELECT_EV_TIMER};

	(void)fd;
	(void)what;
	cluster_run(arg, &ev);
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
	struct elect_counters was, now;

	ev.src.family = 4;
	memcpy(ev.src.b, &src->sin_addr, 4);
	elect_get_counters(c->core, &was);
	cluster_run(c, &ev);
	elect_get_counters(c->core, &now);
	if (now.members_refused > was.members_refused)
		log_refused(c, &src->sin_addr,
		    now.members_refused - was.members_refused);
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

static void probe_result(
    struct cluster *, enum netcfg_probe_result, const uint8_t *);

/* A detection window after a conflict from a MAC that was no member's. */
static void
probe_later_cb(evutil_socket_t fd, short what, void *arg)
{
	struct cluster *c = arg;

	(void)fd;
	(void)what;
	probe_result(c, NETCFG_PROBE_CONFLICT, c->probe_mac);
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
	memcpy(c->probe_mac, mac, 6);
	tv.tv_sec = (time_t)(ms / 1000);
	tv.tv_usec = (suseconds_t)(ms % 1000) * 1000;
	evtimer_add(c->probe_later, &tv);
}

static void
probe_result(struct cluster *c, enum netcfg_probe_result r, const uint8_t *mac)
{
	struct elect_event ev = {.type = ELECT_EV_PROBE_DONE};

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
	struct elect_event ev = {.flow = seen->flow};

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
 * A foreign host sent ARP as the DMZ address while we hold it (RFC 5227
 * 2.4): netcfg defended it once (a gratuitous ARP, at most once per
 * DEFEND_INTERVAL). We keep the address, 2.4 (c): it is the site's, and
 * giving it up would hand the site to the foreign host; the operator
 * sees the conflict in the log and the status.
 */
static void
conflict_cb(void *arg, const uint8_t *mac, bool again)
{
	struct cluster *c = arg;
	uint64_t now = clock_now_ms();
	char text[STATUS_MAC_LEN];

	snprintf(text, sizeof(text), "%02x:%02x:%02x:%02x:%02x:%02x", mac[0],
	    mac[1], mac[2], mac[3], mac[4], mac[5]);
	set_member_macs(c, now); /* a member that joined since: ignored */
	if (netcfg_is_member_mac(c->nc, mac))
		return;
	if (c->defended_ms == 0 || now >= c->defended_ms + DEFEND_SHOW_MS ||
	    strcmp(text, c->defended) != 0) {
		log_warnx("netcfg: address conflict: %s sent ARP as the DMZ "
			  "address on %s; defended it, keeping the address",
		    text, c->ifname);
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

/* The group membership, once the recreated interface is up. */
static void
rejoin(struct cluster *c)
{
	char err[256];

	if (disc_udp_set_ifindex(c->udp, (unsigned)netcfg_get_ifindex(c->nc),
		err, sizeof(err)) == -1) {
		log_warnx("%s; again when the link is up", err);
		return;
	}
	c->rejoin = false;
	log_info("discovery: joined the group on %s again", c->ifname);
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

	(void)ifindex;
	c->rejoin = true;
	rejoin(c);
	if (c->watch != NULL && netcfg_watch_is_enabled(c->watch)) {
		netcfg_watch_set_enabled(c->watch, false);
		netcfg_watch_set_enabled(c->watch, true);
	}
}

/* ---- set-up ---- */

static void
elect_conf_from(
    struct cluster *c, const struct conf *conf, struct elect_conf *e)
{
	struct in_addr addrs[ELECT_MAX_ADDRS + 1];
	int i, n;

	elect_conf_defaults(e);
	e->key = c->key;
	snprintf(e->name, sizeof(e->name), "%s", conf->node.name);
	e->priority = conf->node.priority;
	e->preempt = conf->node.preempt;
	e->heartbeat_ms = conf->cluster.heartbeat_ms;
	e->dead_after = conf->cluster.dead_after;
	e->claim_stagger_ms = conf->cluster.claim_stagger_ms;
	e->hello_interval_ms = conf->cluster.hello_interval_ms;
	e->dmz.family = 4;
	memcpy(e->dmz.b, &conf->dmz.address.addr, 4);
	e->dmz_prefix = conf->dmz.address.prefix;
	e->probe_first = true; /* we can ARP-probe: a foreign host may own it */
	e->request_timeout_ms = conf->dmz.request_timeout_ms;
	e->probe_timeout_ms = conf->dmz.probe_timeout_ms;
	e->check_enabled = conf->dmz.check.type != CONF_CHECK_NONE;
	e->check_fall = conf->dmz.check_fall;
	e->check_rise = conf->dmz.check_rise;
	elect_conf_derive(e); /* lease, hold-down: the core's rule */
	if (c->nc == NULL)
		return;
	netcfg_get_mac(c->nc, e->mac);
	n = netcfg_get_addrs(c->nc, addrs, ELECT_MAX_ADDRS + 1);
	for (i = 0; i < n && e->n_addrs < ELECT_MAX_ADDRS; i++) {
		if (addrs[i].s_addr == conf->dmz.address.addr.s_addr)
			continue; /* the shared address says nothing of us */
		e->addrs[e->n_addrs].family = 4;
		memcpy(e->addrs[e->n_addrs++].b, &addrs[i], 4);
	}
}

static int
open_netcfg(struct cluster *c, char *err, size_t errlen)
{
	static const struct netcfg_cb cb = {probe_done_cb, addr_lost_cb,
	    link_change_cb, link_new_cb, conflict_cb};
	struct netcfg_conf nconf;
	char nerr[NETCFG_ERR_MAX];

	if (c->conf.cluster.interface[0] != '\0')
		snprintf(c->ifname, sizeof(c->ifname), "%s",
		    c->conf.cluster.interface);
	else if (netcfg_default_ifname(c->ifname, nerr) == -1) {
		snprintf(err, errlen, "%s (set [cluster] interface)", nerr);
		return -1;
	}
	memset(&nconf, 0, sizeof(nconf));
	snprintf(nconf.ifname, sizeof(nconf.ifname), "%s", c->ifname);
	nconf.dmz = c->conf.dmz.address.addr;
	nconf.dmz_prefix = c->conf.dmz.address.prefix;
	nconf.now_ms = clock_now_ms;
	c->nc = netcfg_new(c->base, &nconf, &cb, c, nerr);
	if (c->nc == NULL) {
		snprintf(err, errlen, "%s", nerr);
		return -1;
	}
	/* A crash may have left our address behind: nobody elected us. */
	netcfg_addr_remove_stale(c->nc);
	return 0;
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
	c->udp = disc_udp_new(c->base, &dconf, rx_cb, c, err, errlen);
	return c->udp == NULL ? -1 : 0;
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
	return 0;
}

struct cluster *
cluster_new(struct event_base *base, const struct conf *conf,
    const uint8_t *key, char *err, size_t errlen)
{
	struct cluster *c = xcalloc(1, sizeof(*c));
	struct elect_event start = {.type = ELECT_EV_START};
	char cidr[INET_ADDRSTRLEN + 4];

	c->base = base;
	c->conf = *conf;
	c->key = elect_key_new(key);
	c->timer = evtimer_new(base, timer_cb, c);
	c->persist_ev = evtimer_new(base, persist_done_cb, c);
	c->probe_later = evtimer_new(base, probe_later_cb, c);
	c->writer =
	    state_writer_new(base, conf->node.state_dir, persist_written_cb, c);
	c->persist_ok = true;
	if (c->key == NULL || c->timer == NULL || c->persist_ev == NULL ||
	    c->writer == NULL) {
		snprintf(err, errlen, "cluster: out of resources for the key");
		goto fail;
	}
	if (open_netcfg(c, err, errlen) == -1 ||
	    open_udp(c, err, errlen) == -1 || open_core(c, err, errlen) == -1)
		goto fail;
	open_watch(c);
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
	dmz_cidr(c, cidr, sizeof(cidr));
	log_info("cluster: %s on %s, priority %u, DMZ %s", c->econf.name,
	    c->ifname, c->econf.priority, cidr);
	cluster_run(c, &start);
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
	if (c->timer != NULL)
		event_free(c->timer);
	if (c->persist_ev != NULL)
		event_free(c->persist_ev);
	if (c->probe_later != NULL)
		event_free(c->probe_later);
	state_writer_free(c->writer);
	check_free(c->check);
	hooks_free(c->hooks);
	netcfg_watch_free(c->watch);
	elect_free(c->core);
	disc_udp_free(c->udp);
	netcfg_free(c->nc);
	elect_key_free(c->key);
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
	if (netcfg_guard_start(c->nc) == -1)
		log_warnx("netcfg: no address guard; a crash leaves the "
			  "address to the kernel lease");
}

void
cluster_shutdown(struct cluster *c)
{
	struct elect_event ev = {.type = ELECT_EV_SHUTDOWN};

	cluster_run(c, &ev);
	/* Whatever the core believed, nothing of ours may outlive us. */
	if (netcfg_is_held(c->nc))
		netcfg_addr_del(c->nc);
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
	elect_conf_from(c, &live, &next);
	ev.conf = &next;
	if (step(c, &ev) == -1) {
		log_warnx("reload: the new election settings are invalid; "
			  "keeping the old ones");
		return;
	}
	c->econf = next;
	ports_changed =
	    c->conf.dmz.ports.n != live.dmz.ports.n ||
	    memcmp(c->conf.dmz.ports.p, live.dmz.ports.p,
		live.dmz.ports.n * sizeof(live.dmz.ports.p[0])) != 0;
	c->conf = live;
	hooks_set(c->hooks, live.hooks.on_holder, live.hooks.on_standby);
	reload_check(c, &live);
	if (ports_changed)
		reload_watch(c);
	log_info("reload: %zu change(s) seen, live ones applied", diff.n);
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
status_member_from(const struct elect_member_info *m, struct status_member *s)
{
	size_t i;

	elect_id_hex(&m->id, s->id);
	snprintf(s->name, sizeof(s->name), "%s", m->name);
	s->priority = m->priority;
	snprintf(s->state, sizeof(s->state), "%s", elect_state_name(m->state));
	s->last_seen_ms = m->last_seen_ms;
	for (i = 0; i < m->n_addrs && i < STATUS_MAX_ADDRS; i++)
		addr_text(&m->addrs[i], s->addrs[i], sizeof(s->addrs[i]));
	s->n_addrs = i;
	if (s->n_addrs == 0 && m->src.family != 0)
		addr_text(&m->src, s->addrs[s->n_addrs++], sizeof(s->addrs[0]));
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
		if (c->econf.n_addrs > 0)
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
		    out->members[i].addrs[0]);
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
	out->dmz.held = netcfg_is_held(c->nc);
	out->dmz.lease_ms = netcfg_enforced_lease_ms(c->nc);
	out->dmz.kernel_lifetime_s = netcfg_kernel_lifetime_s(c->nc);
	out->dmz.guard_restarts = netcfg_guard_restarts(c->nc);
	n = elect_get_members(c->core, now, members, STATUS_MAX_MEMBERS);
	for (i = 0; i < n; i++)
		status_member_from(&members[i], &out->members[i]);
	out->n_members = n;
	status_holder(c, out, members, n);
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
	out->counters.failovers = ctr.failovers;
	out->counters.probes = ctr.probes;
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
