#include "config.h"

#include "netcfg/netcfg.h"

#include <sys/socket.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "base/log.h"
#include "netcfg/netcfg_int.h"

#define DEFEND_REPEAT_MS 200 /* the defence's second announcement */

/*
 * ARP over AF_PACKET/SOCK_DGRAM: the kernel adds the Ethernet header with
 * the interface's MAC as source. Sending uses a socket of protocol 0,
 * which receives nothing; a receiving socket exists only while a probe
 * runs, so no ARP traffic queues up in between.
 */

static const uint8_t zero_mac[6];

static int
packet_socket(int proto)
{
	return socket(AF_PACKET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    htons((uint16_t)proto));
}

static int
send_arp(struct netcfg *nc, int ifindex, const struct netcfg_arp *a,
    const char *what)
{
	struct sockaddr_ll to;
	uint8_t buf[NETCFG_ARP_LEN];
	size_t len;

	len = netcfg_arp_encode(a, buf, sizeof(buf));
	memset(&to, 0, sizeof(to));
	to.sll_family = AF_PACKET;
	to.sll_protocol = htons(ETH_P_ARP);
	to.sll_ifindex = ifindex;
	to.sll_halen = 6;
	memset(to.sll_addr, 0xff, 6);
	if (sendto(nc->arp_tx, buf, len, 0, (struct sockaddr *)&to,
		sizeof(to)) != (ssize_t)len) {
		log_warn("netcfg: arp %s for %s on %s", what, nc->cidr,
		    nc->conf.ifname);
		return -1;
	}
	return 0;
}

static int
send_frame(
    struct netcfg *nc, const struct netcfg_seq *s, enum netcfg_seq_send kind)
{
	struct netcfg_arp a;

	netcfg_seq_frame(s, kind, &a);
	/* Announcements come from where the address lives: with [dmz] vmac
	 * the macvlan, whose frames carry the shared MAC (seq_conf()). A
	 * probe claims nothing: from the interface, with its own MAC. */
	if (kind == NETCFG_SEND_PROBE)
		return send_arp(nc, nc->ifindex, &a, "probe");
	return send_arp(nc, netcfg_addr_ifindex(nc), &a, "announce");
}

static void
arm(struct event *ev, uint64_t wake_ms, uint64_t now_ms)
{
	struct timeval tv;
	uint64_t d = wake_ms > now_ms ? wake_ms - now_ms : 0;

	if (wake_ms == 0) {
		evtimer_del(ev);
		return;
	}
	tv.tv_sec = (time_t)(d / 1000);
	tv.tv_usec = (suseconds_t)(d % 1000 * 1000);
	evtimer_add(ev, &tv);
}

/* The probe's receiver, for good (a relink, the end). */
static void
rx_free(struct netcfg *nc)
{
	if (nc->ev_arp_rx != NULL)
		event_free(nc->ev_arp_rx);
	if (nc->arp_rx != -1)
		close(nc->arp_rx);
	nc->ev_arp_rx = NULL;
	nc->arp_rx = -1;
	nc->arp_rx_paused = false;
}

/* Between probes the receiver is paused, not closed (packet_pause.c: a
 * close stalls the loop for an RCU grace period, 17 ms seen, right
 * before a claim). */
static void
rx_close(struct netcfg *nc)
{
	if (nc->arp_rx == -1 || nc->arp_rx_paused)
		return;
	event_del(nc->ev_arp_rx);
	if (netcfg_packet_pause(nc->arp_rx) == -1) {
		rx_free(nc);
		return;
	}
	nc->arp_rx_paused = true;
}

/* Ends the probe; the callback comes last: it may start another one. */
static void
probe_end(struct netcfg *nc, enum netcfg_probe_result r, const uint8_t *mac)
{
	rx_close(nc);
	evtimer_del(nc->ev_probe);
	netcfg_seq_stop(&nc->probe);
	if (r == NETCFG_PROBE_CONFLICT)
		log_warnx("netcfg: %s is in use by "
			  "%02x:%02x:%02x:%02x:%02x:%02x",
		    nc->cidr, mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
	nc->arp_up.probe_done(nc->arp_up.arg, r, mac);
}

/* Applies a probe step; returns -1 if a probe could not be sent. */
static int
probe_apply(
    struct netcfg *nc, const struct netcfg_seq_out *out, uint64_t now_ms)
{
	if (out->send != NETCFG_SEND_NONE &&
	    send_frame(nc, &nc->probe, out->send) == -1)
		return -1;
	if (out->done)
		probe_end(nc, out->result, out->mac);
	else
		arm(nc->ev_probe, out->wake_ms, now_ms);
	return 0;
}

static void
probe_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct netcfg *nc = arg;
	struct netcfg_seq_out out;
	uint64_t now = nc->conf.now_ms();

	(void)fd;
	(void)what;
	netcfg_seq_on_timer(&nc->probe, now, &out);
	if (probe_apply(nc, &out, now) == -1)
		probe_end(nc, NETCFG_PROBE_FAILED, zero_mac);
}

/* One frame from the receiving socket: 1 if one was read, 0 if none. */
static int
rx_one(struct netcfg *nc, uint64_t now_ms)
{
	uint8_t buf[128];
	struct sockaddr_ll from;
	socklen_t fromlen = sizeof(from);
	struct netcfg_arp a;
	struct netcfg_seq_out out;
	ssize_t n;

	n = recvfrom(nc->arp_rx, buf, sizeof(buf), 0, (struct sockaddr *)&from,
	    &fromlen);
	if (n == -1)
		return 0;
	/* Our own frames come back as PACKET_OUTGOING. */
	if (from.sll_ifindex != nc->ifindex ||
	    from.sll_pkttype == PACKET_OUTGOING ||
	    netcfg_arp_decode(buf, (size_t)n, &a) != NETCFG_ARP_OK)
		return 1;
	netcfg_seq_on_frame(&nc->probe, now_ms, &a, &out);
	if (out.done) {
		probe_end(nc, out.result, out.mac);
		return 0; /* nc->arp_rx may be another socket now */
	}
	return 1;
}

static void
rx_cb(evutil_socket_t fd, short what, void *arg)
{
	struct netcfg *nc = arg;
	uint64_t now = nc->conf.now_ms();
	int i;

	(void)fd;
	(void)what;
	/* Bounded: a flood of ARP must not starve the loop. */
	for (i = 0; i < 64; i++)
		if (rx_one(nc, now) == 0)
			break;
}

/* An ARP socket bound to the interface, in the loop; NULL on failure. */
static struct event *
rx_socket(struct netcfg *nc, int *fd, event_callback_fn fn)
{
	struct sockaddr_ll sll;
	struct event *ev;

	/* Protocol 0, then bound with ARP: a socket made with a protocol
	 * is hooked on every interface, and its bind to one waits for an
	 * RCU grace period to unhook it (12 ms seen; packet_pause.c). */
	*fd = packet_socket(0);
	if (*fd == -1)
		goto fail;
	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_protocol = htons(ETH_P_ARP);
	sll.sll_ifindex = nc->ifindex;
	if (bind(*fd, (struct sockaddr *)&sll, sizeof(sll)) == -1)
		goto fail;
	ev = event_new(nc->base, *fd, EV_READ | EV_PERSIST, fn, nc);
	if (ev == NULL || event_add(ev, NULL) == -1)
		abort();
	return ev;
fail:
	log_warn("netcfg: arp receiver on %s", nc->conf.ifname);
	if (*fd != -1)
		close(*fd);
	*fd = -1;
	return NULL;
}

static int
rx_open(struct netcfg *nc)
{
	if (nc->arp_rx != -1 && nc->arp_rx_paused) {
		if (netcfg_packet_resume(nc->arp_rx, NULL) == 0 &&
		    event_add(nc->ev_arp_rx, NULL) == 0) {
			nc->arp_rx_paused = false;
			return 0;
		}
		rx_free(nc);
	}
	if (nc->arp_rx != -1)
		return 0;
	nc->ev_arp_rx = rx_socket(nc, &nc->arp_rx, rx_cb);
	nc->arp_rx_paused = false;
	return nc->ev_arp_rx == NULL ? -1 : 0;
}

/* ---- the holder's defence (RFC 5227 2.4) */

/* Closes the defence's socket for good (a relink, the end). */
static void
arp_defend_free(struct netcfg *nc)
{
	if (nc->ev_arp_def != NULL)
		event_free(nc->ev_arp_def);
	if (nc->arp_def != -1)
		close(nc->arp_def);
	nc->ev_arp_def = NULL;
	nc->arp_def = -1;
	nc->arp_def_paused = false;
}

bool
netcfg_is_member_mac(const struct netcfg *nc, const uint8_t mac[6])
{
	size_t i;

	for (i = 0; i < nc->probe.n_member; i++)
		if (memcmp(nc->probe.member[i], mac, 6) == 0)
			return true;
	return false;
}

static void
on_conflict(struct netcfg *nc, const uint8_t *mac, uint64_t now_ms)
{
	switch (netcfg_defend_on_conflict(&nc->defend, now_ms)) {
	case NETCFG_DEFEND_QUIET:
		return;
	case NETCFG_DEFEND_ANNOUNCE:
		/*
		 * RFC 5227 2.4 (b) sends one announcement; we send it twice,
		 * DEFEND_REPEAT_MS apart: a neighbour that handled ours
		 * before the foreign one (frames of two hosts reach it by
		 * different queues) would otherwise keep the foreign MAC
		 * until the next conflict.
		 */
		if (netcfg_announce(nc, 2, DEFEND_REPEAT_MS) == -1)
			log_warn("netcfg: defend the DMZ address on %s",
			    nc->conf.ifname);
		nc->arp_up.conflict(nc->arp_up.arg, mac, false);
		return;
	case NETCFG_DEFEND_AGAIN:
		nc->arp_up.conflict(nc->arp_up.arg, mac, true);
		return;
	}
}

static void
def_cb(evutil_socket_t fd, short what, void *arg)
{
	struct netcfg *nc = arg;
	uint8_t buf[128];
	struct sockaddr_ll from;
	socklen_t fromlen;
	struct netcfg_arp a;
	ssize_t n;
	int i;

	(void)what;
	/* Bounded: a flood of ARP must not starve the loop. */
	for (i = 0; i < 64 && nc->arp_def == fd; i++) {
		fromlen = sizeof(from);
		n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from,
		    &fromlen);
		if (n == -1)
			return;
		if (from.sll_pkttype == PACKET_OUTGOING || !nc->held ||
		    netcfg_arp_decode(buf, (size_t)n, &a) != NETCFG_ARP_OK ||
		    !netcfg_defend_is_conflict(&a,
			(const uint8_t *)&nc->conf.dmz.s_addr, nc->mac,
			(const uint8_t(*)[6])nc->probe.member,
			nc->probe.n_member))
			continue;
		on_conflict(nc, a.sha, nc->conf.now_ms());
	}
}

/* The defence's socket stays bound once made: a holder that leaves
 * pauses it (packet_pause.c: a close would stall the loop before the
 * RESIGN), the next holding resumes it. */
void
netcfg_arp_defend_open(struct netcfg *nc)
{
	if (nc->ifindex == 0)
		return;
	if (nc->arp_def != -1 && nc->arp_def_paused) {
		if (netcfg_packet_resume(nc->arp_def, NULL) == 0 &&
		    event_add(nc->ev_arp_def, NULL) == 0) {
			nc->arp_def_paused = false;
			return;
		}
		arp_defend_free(nc); /* could not: make it again */
	}
	if (nc->arp_def != -1)
		return;
	nc->ev_arp_def = rx_socket(nc, &nc->arp_def, def_cb);
	nc->arp_def_paused = false;
}

void
netcfg_arp_defend_close(struct netcfg *nc)
{
	if (nc->arp_def == -1 || nc->arp_def_paused)
		return;
	event_del(nc->ev_arp_def);
	if (netcfg_packet_pause(nc->arp_def) == -1) {
		arp_defend_free(nc);
		return;
	}
	nc->arp_def_paused = true;
}

/* A recreated interface: the socket is bound to the old index. */
void
netcfg_arp_relink(struct netcfg *nc)
{
	arp_defend_free(nc);
	rx_free(nc);
}

static void
seq_conf(const struct netcfg *nc, enum netcfg_seq_kind kind, unsigned count,
    unsigned gap_ms, struct netcfg_seq_conf *c)
{
	memset(c, 0, sizeof(*c));
	c->kind = kind;
	c->count = count;
	c->gap_ms = gap_ms;
	memcpy(c->ip, &nc->conf.dmz.s_addr, 4);
	memcpy(c->mac,
	    kind == NETCFG_SEQ_ANNOUNCE && nc->vmac ? nc->conf.vmac : nc->mac,
	    6);
}

/* Stops a running probe without a callback. */
static void
probe_cancel(struct netcfg *nc)
{
	rx_close(nc);
	evtimer_del(nc->ev_probe);
	netcfg_seq_stop(&nc->probe);
}

void
netcfg_probe_stop(struct netcfg *nc)
{
	probe_cancel(nc);
}

int
netcfg_probe(
    struct netcfg *nc, unsigned count, unsigned gap_ms, unsigned wait_ms)
{
	struct netcfg_seq_conf c;
	struct netcfg_seq_out out;
	uint64_t now = nc->conf.now_ms();

	probe_cancel(nc);
	if (rx_open(nc) == -1)
		return -1;
	seq_conf(nc, NETCFG_SEQ_PROBE, count, gap_ms, &c);
	c.wait_ms = wait_ms;
	netcfg_seq_start(&nc->probe, &c, now, &out);
	if (probe_apply(nc, &out, now) == -1) {
		probe_cancel(nc);
		return -1;
	}
	return 0;
}

/*
 * With [dmz] vmac the shared MAC is a member's too: the holder's answer to
 * a probe, and its gratuitous ARP, come from it. It goes first; a full
 * list loses its last member's MAC for it.
 */
void
netcfg_set_member_macs(struct netcfg *nc, const uint8_t (*macs)[6], size_t n)
{
	uint8_t all[NETCFG_MAX_MEMBER_MACS][6];
	size_t i, k = 0;

	if (!nc->vmac) {
		netcfg_seq_set_members(&nc->probe, macs, n);
		return;
	}
	memcpy(all[k++], nc->conf.vmac, 6);
	for (i = 0; i < n && k < NETCFG_MAX_MEMBER_MACS; i++)
		memcpy(all[k++], macs[i], 6);
	netcfg_seq_set_members(&nc->probe, (const uint8_t(*)[6])all, k);
}

static void
announce_step(
    struct netcfg *nc, const struct netcfg_seq_out *out, uint64_t now_ms)
{
	/* A lost announcement is logged; the next one may get through. */
	if (out->send != NETCFG_SEND_NONE)
		(void)send_frame(nc, &nc->announce, out->send);
	if (!out->done)
		arm(nc->ev_announce, out->wake_ms, now_ms);
}

static void
announce_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct netcfg *nc = arg;
	struct netcfg_seq_out out;
	uint64_t now = nc->conf.now_ms();

	(void)fd;
	(void)what;
	netcfg_seq_on_timer(&nc->announce, now, &out);
	announce_step(nc, &out, now);
}

int
netcfg_announce(struct netcfg *nc, unsigned count, unsigned gap_ms)
{
	struct netcfg_seq_conf c;
	struct netcfg_seq_out out;
	uint64_t now = nc->conf.now_ms();

	evtimer_del(nc->ev_announce);
	seq_conf(nc, NETCFG_SEQ_ANNOUNCE, count, gap_ms, &c);
	netcfg_seq_start(&nc->announce, &c, now, &out);
	if (out.send != NETCFG_SEND_NONE &&
	    send_frame(nc, &nc->announce, out.send) == -1) {
		netcfg_seq_stop(&nc->announce);
		return -1;
	}
	arm(nc->ev_announce, out.wake_ms, now);
	return 0;
}

/* The address is no longer ours: a late announcement would steal it back. */
void
netcfg_arp_announce_stop(struct netcfg *nc)
{
	if (nc->ev_announce != NULL)
		evtimer_del(nc->ev_announce);
	netcfg_seq_stop(&nc->announce);
}

int
netcfg_arp_open(struct netcfg *nc, const struct netcfg_arp_up *up, char *err,
    size_t err_len)
{
	nc->arp_up = *up;
	netcfg_seq_init(&nc->probe);
	netcfg_seq_init(&nc->announce);
	nc->arp_tx = packet_socket(0);
	if (nc->arp_tx == -1) {
		snprintf(err, err_len, "netcfg: packet socket for %s: %s",
		    nc->conf.ifname, strerror(errno));
		return -1;
	}
	nc->ev_probe = evtimer_new(nc->base, probe_timer_cb, nc);
	nc->ev_announce = evtimer_new(nc->base, announce_timer_cb, nc);
	if (nc->ev_probe == NULL || nc->ev_announce == NULL)
		abort();
	return 0;
}

void
netcfg_arp_close(struct netcfg *nc)
{
	rx_free(nc);
	arp_defend_free(nc);
	if (nc->ev_probe != NULL)
		event_free(nc->ev_probe);
	if (nc->ev_announce != NULL)
		event_free(nc->ev_announce);
	if (nc->arp_tx != -1)
		close(nc->arp_tx);
	nc->ev_probe = nc->ev_announce = NULL;
	nc->arp_tx = -1;
}
