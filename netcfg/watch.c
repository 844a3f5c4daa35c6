#include "config.h"

#include "netcfg/netcfg.h"

#include <sys/ioctl.h>
#include <sys/socket.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <assert.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "base/log.h"
#include "netcfg/netcfg_int.h"
#include "netcfg/watch.h"

/*
 * The mirrored-request watcher's edge: one AF_PACKET socket, read in
 * batches with recvmmsg(2) from the loop.
 *
 * Cost under a SYN flood (issue 4: 10,000 frames/s, qured under 20 %
 * CPU): the kernel filter (watch_frame.c) drops everything but connection
 * starts, their answers and UDP on the watched ports, and copies only
 * NETCFG_WATCH_SNAP bytes of those; each wake-up then reads up to
 * WATCH_BATCH frames per system call and classifies each in O(ports).
 * A wake-up reads at most WATCH_ROUNDS batches, so a flood cannot starve
 * the rest of the loop; the socket stays readable and the loop comes back.
 * A short batch means the queue is empty: no extra call to learn EAGAIN.
 */

#define WATCH_BATCH 64
#define WATCH_ROUNDS 4
#define WATCH_RCVBUF (1 << 20) /* asked for; the kernel caps it */

struct netcfg_watch {
	struct event_base *base;
	struct netcfg_watch_conf conf; /* mac: the interface's own */
	void (*seen)(void *, const struct netcfg_watch_seen *);
	void *arg;
	int ifindex;
	int fd;	     /* -1 while disabled */
	bool paused; /* deaf while holding: netcfg_watch_set_enabled() */
	struct event *ev;
	unsigned gen;	/* bumped by every close: a callback closed us */
	int last_errno; /* of the last failed read, logged once */
	struct netcfg_watch_stats stats;
	struct sock_filter prog[NETCFG_WATCH_BPF_MAX];
	size_t prog_len;
	struct mmsghdr msg[WATCH_BATCH];
	struct iovec iov[WATCH_BATCH];
	struct sockaddr_ll from[WATCH_BATCH];
	uint8_t buf[WATCH_BATCH][NETCFG_WATCH_SNAP];
};

static void err_set(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
err_set(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	if (vsnprintf(err, errlen, fmt, ap) >= (int)errlen && errlen > 4)
		memcpy(err + errlen - 4, "...", 4); /* still one line */
	va_end(ap);
}

/* The kernel's drop counter is cleared by each read: add it up. */
static void
read_drops(struct netcfg_watch *w)
{
	struct tpacket_stats st;
	socklen_t len = sizeof(st);

	if (w->fd != -1 &&
	    getsockopt(w->fd, SOL_PACKET, PACKET_STATISTICS, &st, &len) == 0)
		w->stats.drops += st.tp_drops;
}

static void
on_frame(struct netcfg_watch *w, size_t i)
{
	struct netcfg_watch_seen s;
	size_t len = w->msg[i].msg_len;

	w->stats.frames++;
	if (len > NETCFG_WATCH_SNAP)
		len = NETCFG_WATCH_SNAP;
	/* Our own frames (the filter drops them too, unless it could not
	 * read the packet type). */
	if (w->from[i].sll_pkttype == PACKET_OUTGOING ||
	    netcfg_watch_classify(w->buf[i], len, &w->conf, &s) ==
		NETCFG_WATCH_IGNORE) {
		w->stats.ignored++;
		return;
	}
	if (s.kind == NETCFG_WATCH_REQUEST)
		w->stats.requests++;
	else
		w->stats.answers++;
	w->seen(w->arg, &s);
}

/* One recvmmsg; how many frames it read (0: none or an error). */
static int
read_batch(struct netcfg_watch *w)
{
	int i, n;

	for (i = 0; i < WATCH_BATCH; i++) {
		w->msg[i].msg_hdr.msg_namelen = sizeof(w->from[i]);
		w->msg[i].msg_len = 0;
	}
	n = recvmmsg(w->fd, w->msg, WATCH_BATCH, MSG_DONTWAIT, NULL);
	if (n >= 0) {
		w->last_errno = 0;
		return n;
	}
	/* ENETDOWN: the link went down; the socket works again when it
	 * comes back. Logged once per kind of error, not per wake-up. */
	if (errno != EAGAIN && errno != EINTR && errno != w->last_errno) {
		log_warn("netcfg: watch: read on %s", w->conf.ifname);
		w->last_errno = errno;
	}
	return 0;
}

static void
rx_cb(evutil_socket_t fd, short what, void *arg)
{
	struct netcfg_watch *w = arg;
	unsigned gen = w->gen;
	int round, i, n;

	(void)fd;
	(void)what;
	for (round = 0; round < WATCH_ROUNDS; round++) {
		n = read_batch(w);
		for (i = 0; i < n; i++) {
			on_frame(w, (size_t)i);
			if (w->gen != gen)
				return; /* the callback disabled us */
		}
		if (n < WATCH_BATCH)
			return;
	}
}

static void
watch_close(struct netcfg_watch *w)
{
	if (w->fd == -1)
		return;
	read_drops(w);
	event_free(w->ev);
	w->ev = NULL;
	close(w->fd); /* leaves promiscuous mode with it */
	w->fd = -1;
	w->paused = false;
	w->gen++;
}

/*
 * A hub-like bridge or a mirror port delivers frames for the holder's
 * MAC: without promiscuous mode the NIC drops them. op: add or drop (a
 * paused watcher leaves it, as a closed one did).
 */
static int
promisc(struct netcfg_watch *w, int fd, int op)
{
	struct packet_mreq mr;

	memset(&mr, 0, sizeof(mr));
	mr.mr_ifindex = w->ifindex;
	mr.mr_type = PACKET_MR_PROMISC;
	return setsockopt(fd, SOL_PACKET, op, &mr, sizeof(mr));
}

/*
 * The filter goes on before the bind: a socket of protocol 0 receives
 * nothing, so no unfiltered frame is ever queued.
 */
static int
socket_setup(struct netcfg_watch *w, int fd)
{
	struct sock_fprog fp = {(unsigned short)w->prog_len, w->prog};
	struct sockaddr_ll sll;
	int one = 1, rcvbuf = WATCH_RCVBUF;

	if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &fp, sizeof(fp)) == -1)
		return -1;
	/* Optional: fewer copies and a deeper queue; the filter and the
	 * default buffer do without them. */
	(void)setsockopt(
	    fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof(one));
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	/* With an IPv6 DMZ address, IPv6 too: the filter picks. */
	sll.sll_protocol = htons(
	    IN6_IS_ADDR_UNSPECIFIED(&w->conf.dmz6) ? ETH_P_IP : ETH_P_ALL);
	sll.sll_ifindex = w->ifindex;
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)) == -1)
		return -1;
	return promisc(w, fd, PACKET_ADD_MEMBERSHIP);
}

static int
watch_open(struct netcfg_watch *w, char *err, size_t errlen)
{
	int fd;

	/* By name each time: the interface may have been made again. */
	w->ifindex = (int)if_nametoindex(w->conf.ifname);
	if (w->ifindex == 0) {
		err_set(err, errlen, "netcfg: watch: interface %s not found",
		    w->conf.ifname);
		return -1;
	}
	fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1 || socket_setup(w, fd) == -1) {
		err_set(err, errlen, "netcfg: watch: capture on %s: %s",
		    w->conf.ifname, strerror(errno));
		if (fd != -1)
			close(fd);
		return -1;
	}
	w->fd = fd;
	w->ev = event_new(w->base, fd, EV_READ | EV_PERSIST, rx_cb, w);
	if (w->ev == NULL || event_add(w->ev, NULL) == -1)
		abort();
	return 0;
}

static int
read_mac(struct netcfg_watch *w, char *err, size_t errlen)
{
	struct ifreq ifr;
	int fd, r;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd == -1) {
		err_set(
		    err, errlen, "netcfg: watch: socket: %s", strerror(errno));
		return -1;
	}
	memset(&ifr, 0, sizeof(ifr));
	memcpy(ifr.ifr_name, w->conf.ifname, sizeof(w->conf.ifname));
	r = ioctl(fd, SIOCGIFHWADDR, &ifr);
	close(fd);
	if (r == -1) {
		err_set(err, errlen, "netcfg: watch: mac of %s: %s",
		    w->conf.ifname, strerror(errno));
		return -1;
	}
	memcpy(w->conf.mac, ifr.ifr_hwaddr.sa_data, 6);
	return 0;
}

static int
conf_check(const struct netcfg_watch_conf *conf, char *err, size_t errlen)
{
	size_t i;

	if (memchr(conf->ifname, '\0', sizeof(conf->ifname)) == NULL ||
	    conf->ifname[0] == '\0') {
		err_set(err, errlen, "netcfg: watch: no interface name");
		return -1;
	}
	if (conf->n_ports == 0 || conf->n_ports > NETCFG_WATCH_MAX_PORTS) {
		err_set(err, errlen, "netcfg: watch: %zu ports (1..%d)",
		    conf->n_ports, NETCFG_WATCH_MAX_PORTS);
		return -1;
	}
	for (i = 0; i < conf->n_ports; i++)
		if ((conf->ports[i].proto != IPPROTO_TCP &&
			conf->ports[i].proto != IPPROTO_UDP) ||
		    conf->ports[i].port == 0) {
			err_set(err, errlen, "netcfg: watch: bad port %zu", i);
			return -1;
		}
	return 0;
}

struct netcfg_watch *
netcfg_watch_new(struct event_base *base, const struct netcfg_watch_conf *conf,
    void (*seen)(void *arg, const struct netcfg_watch_seen *), void *arg,
    char *err, size_t errlen)
{
	struct netcfg_watch *w;
	size_t i;

	assert(seen != NULL);
	if (conf_check(conf, err, errlen) == -1)
		return NULL;
	w = calloc(1, sizeof(*w));
	if (w == NULL)
		abort();
	w->base = base;
	w->conf = *conf;
	w->seen = seen;
	w->arg = arg;
	w->fd = -1;
	if (if_nametoindex(conf->ifname) == 0) {
		err_set(err, errlen, "netcfg: watch: interface %s not found",
		    conf->ifname);
		goto fail;
	}
	if (read_mac(w, err, errlen) == -1)
		goto fail;
	w->prog_len = netcfg_watch_bpf(&w->conf, w->prog, NETCFG_WATCH_BPF_MAX);
	assert(w->prog_len > 0); /* sized for NETCFG_WATCH_MAX_PORTS */
	for (i = 0; i < WATCH_BATCH; i++) {
		w->iov[i].iov_base = w->buf[i];
		w->iov[i].iov_len = sizeof(w->buf[i]);
		w->msg[i].msg_hdr.msg_iov = &w->iov[i];
		w->msg[i].msg_hdr.msg_iovlen = 1;
		w->msg[i].msg_hdr.msg_name = &w->from[i];
	}
	if (watch_open(w, err, errlen) == -1)
		goto fail;
	return w;
fail:
	free(w);
	return NULL;
}

void
netcfg_watch_free(struct netcfg_watch *w)
{
	if (w == NULL)
		return;
	watch_close(w);
	free(w);
}

/*
 * A standby that starts holding makes the watcher deaf rather than
 * closing it (packet_pause.c: a close would stall the new holder's loop
 * past its fence); the next standby time resumes it, unless the
 * interface was made again meanwhile (a new index: a new socket).
 */
static int
watch_pause(struct netcfg_watch *w)
{
	read_drops(w);
	event_del(w->ev);
	if (netcfg_packet_pause(w->fd) == -1 ||
	    promisc(w, w->fd, PACKET_DROP_MEMBERSHIP) == -1)
		return -1;
	w->paused = true;
	w->gen++;
	return 0;
}

static int
watch_resume(struct netcfg_watch *w)
{
	struct sock_fprog fp = {(unsigned short)w->prog_len, w->prog};

	if ((int)if_nametoindex(w->conf.ifname) != w->ifindex ||
	    promisc(w, w->fd, PACKET_ADD_MEMBERSHIP) == -1 ||
	    netcfg_packet_resume(w->fd, &fp) == -1 ||
	    event_add(w->ev, NULL) == -1)
		return -1;
	w->paused = false;
	return 0;
}

int
netcfg_watch_set_enabled(struct netcfg_watch *w, bool enabled)
{
	char err[160];

	if (!enabled) {
		if (w->fd != -1 && !w->paused && watch_pause(w) == -1)
			watch_close(w);
		return 0;
	}
	if (w->fd != -1 && w->paused && watch_resume(w) == -1)
		watch_close(w);
	if (w->fd != -1)
		return 0;
	if (watch_open(w, err, sizeof(err)) == -1) {
		log_warnx("%s", err);
		return -1;
	}
	return 0;
}

bool
netcfg_watch_is_enabled(const struct netcfg_watch *w)
{
	return w->fd != -1 && !w->paused;
}

void
netcfg_watch_get_stats(struct netcfg_watch *w, struct netcfg_watch_stats *out)
{
	read_drops(w);
	*out = w->stats;
}
