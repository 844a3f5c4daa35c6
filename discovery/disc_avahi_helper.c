/*
 * discovery/disc_avahi_helper.c — DNS-SD in a helper process: the public
 * disc_avahi_* API of discovery/disc_avahi.h.
 *
 * avahi-client's calls (a client, an entry group, a TXT update, a
 * resolver) are synchronous D-Bus round trips, with libdbus's default
 * timeout of 25 s: a stopped avahi-daemon that keeps its bus name would
 * hold qured's loop that long at the next TXT update, which comes right
 * after a claim (tried: a handover to a node whose avahi-daemon was
 * SIGSTOPped left qurectl without an answer for 5 s and more). So the
 * engine (disc_avahi.c, on its own event_base through the AvahiPoll of
 * disc_avahi_poll.c) runs in a dedicated child, as doc/style.md §7 wants
 * of what can block: a fork of qured that keeps nothing of it but a
 * SOCK_SEQPACKET socketpair and stderr, and dies with it
 * (PR_SET_PDEATHSIG).
 *
 * qured -> helper: the TXT to publish, the interface index (whole fixed-
 * size messages, the latest wins; never blocking: a message the socket
 * refuses is sent again at the next tick). helper -> qured: its state and
 * counters every STATUS_EVERY_MS, and each resolved peer of our cluster.
 * A helper that sends no status for SILENT_MS hangs in a D-Bus call: the
 * status says "failed" (logged once) until it speaks again. A helper that
 * ends is started again, a second later, doubling to a minute.
 */
#include "config.h"

#include "discovery/disc_avahi.h"

#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <linux/capability.h>

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <event2/event.h>

#include "base/clock.h"
#include "base/fds.h"
#include "base/forked.h"
#include "base/log.h"
#include "base/xmalloc.h"
#include "discovery/disc_int.h"

#define STATUS_EVERY_MS 200
#define SILENT_MS 3000 /* no status this long: a D-Bus call hangs */
#define TICK_MS 500
#define RX_BURST 64

enum msg_type {
	M_TXT = 1, /* qured -> helper: txt */
	M_IFINDEX, /* qured -> helper: ifindex */
	M_STATUS,  /* helper -> qured: state, stats */
	M_PEER,	   /* helper -> qured: txt, addr */
};

/* One message, whole: both ends are this binary (a fork). */
struct msg {
	uint32_t type;
	int32_t ifindex;
	uint32_t state; /* enum disc_avahi_state */
	struct disc_avahi_stats stats;
	struct disc_txt txt;
	union {
		struct sockaddr sa;
		struct sockaddr_in in;
		struct sockaddr_in6 in6;
	} addr; /* M_PEER: AF_INET or AF_INET6 */
};

struct disc_avahi {
	struct event_base *base;
	struct disc_avahi_conf conf; /* txt and ifindex: the latest */
	disc_avahi_peer_cb *cb;
	void *arg;
	int fd; /* -1: no helper */
	pid_t pid;
	struct event *ev;   /* fd readable */
	struct event *tick; /* resends, silence, restarts */
	uint64_t heard_ms;  /* the last status */
	uint64_t spawn_at_ms, retry_ms;
	bool txt_dirty, ifindex_dirty; /* to send again */
	bool hung;		       /* silent past SILENT_MS, said once */
	enum disc_avahi_state state;
	struct disc_avahi_stats stats;
};

/* ---- the helper (child) ---- */

struct helper {
	int fd;
	struct disc_engine *e;
};

/* Best effort: a status comes again, a lost peer is browsed again. */
static void
helper_send(const struct helper *h, const struct msg *m)
{
	(void)send(h->fd, m, sizeof(*m), MSG_DONTWAIT | MSG_NOSIGNAL);
}

static void
helper_peer_cb(
    void *arg, const struct disc_txt *txt, const struct sockaddr *addr)
{
	struct helper *h = arg;
	struct msg m;

	memset(&m, 0, sizeof(m));
	m.type = M_PEER;
	m.txt = *txt;
	if (addr->sa_family == AF_INET)
		memcpy(&m.addr.in, addr, sizeof(m.addr.in));
	else if (addr->sa_family == AF_INET6)
		memcpy(&m.addr.in6, addr, sizeof(m.addr.in6));
	else
		return;
	helper_send(h, &m);
}

static void
helper_status_cb(evutil_socket_t fd, short what, void *arg)
{
	struct helper *h = arg;
	struct msg m;

	(void)fd;
	(void)what;
	memset(&m, 0, sizeof(m));
	m.type = M_STATUS;
	m.state = (uint32_t)disc_engine_get_state(h->e);
	disc_engine_get_stats(h->e, &m.stats);
	helper_send(h, &m);
}

static void
helper_cmd_cb(evutil_socket_t fd, short what, void *arg)
{
	struct helper *h = arg;
	struct msg m;
	ssize_t n;

	(void)what;
	n = recv(fd, &m, sizeof(m), MSG_DONTWAIT);
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n != (ssize_t)sizeof(m))
		_exit(0); /* qured is gone (or closed us): so are we */
	if (m.type == M_TXT)
		disc_engine_set_txt(h->e, &m.txt);
	else if (m.type == M_IFINDEX)
		disc_engine_set_ifindex(h->e, m.ifindex);
}

/*
 * Nothing of qured's but fd and stderr: its sockets, its lock and the
 * guard's pipe stay qured's alone. No capability either (it talks D-Bus
 * only; what avahi-daemon relays from the LAN is parsed here), and none
 * to gain. Dies with qured.
 */
static void
drop_caps(void)
{
	struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct data[2];

	memset(data, 0, sizeof(data));
	if (syscall(SYS_capset, &hdr, data) == -1)
		log_warn("discovery: the DNS-SD helper keeps its capabilities");
	(void)prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
}

static void
helper_setup(int fd, pid_t parent)
{
	forked_reset_signals();
	forked_tie(parent, "qured-avahi");
	drop_caps();
	closelog(); /* its socket goes below; syslog() opens a new one */
	fds_close_except(&fd, 1);
}

static void
helper_main(int fd, const struct disc_avahi_conf *conf)
{
	static struct helper h;
	struct timeval every = {0, STATUS_EVERY_MS * 1000};
	struct event_base *base = event_base_new();
	struct event *cmd, *status;

	if (base == NULL)
		_exit(1);
	h.fd = fd;
	h.e = disc_engine_new(base, conf, helper_peer_cb, &h);
	cmd = event_new(base, fd, EV_READ | EV_PERSIST, helper_cmd_cb, &h);
	status = event_new(base, -1, EV_PERSIST, helper_status_cb, &h);
	if (cmd == NULL || status == NULL || event_add(cmd, NULL) == -1 ||
	    event_add(status, &every) == -1)
		_exit(1);
	event_base_dispatch(base);
	_exit(0);
}

/* ---- qured's side ---- */

static void
send_msg(struct disc_avahi *d, struct msg *m, bool *dirty)
{
	*dirty = d->fd == -1 ||
		 send(d->fd, m, sizeof(*m), MSG_DONTWAIT | MSG_NOSIGNAL) !=
		     (ssize_t)sizeof(*m);
}

static void
send_txt(struct disc_avahi *d)
{
	struct msg m;

	memset(&m, 0, sizeof(m));
	m.type = M_TXT;
	m.txt = d->conf.txt;
	send_msg(d, &m, &d->txt_dirty);
}

static void
send_ifindex(struct disc_avahi *d)
{
	struct msg m;

	memset(&m, 0, sizeof(m));
	m.type = M_IFINDEX;
	m.ifindex = d->conf.ifindex;
	send_msg(d, &m, &d->ifindex_dirty);
}

/* The helper is gone, or made to go: its fd closed, its pid reaped. */
static void
stop_helper(struct disc_avahi *d)
{
	if (d->ev != NULL)
		event_free(d->ev);
	d->ev = NULL;
	if (d->fd != -1)
		close(d->fd);
	d->fd = -1;
	if (d->pid > 0) {
		/* SIGKILL: it may hang in a D-Bus call. avahi-daemon sees
		 * the client go and withdraws its records (goodbyes). */
		kill(d->pid, SIGKILL);
		while (waitpid(d->pid, NULL, 0) == -1 && errno == EINTR)
			;
	}
	d->pid = 0;
	memset(&d->stats, 0, sizeof(d->stats));
}

static void
lost_helper(struct disc_avahi *d)
{
	uint64_t now = clock_now_ms();

	stop_helper(d);
	log_warnx("discovery: the DNS-SD helper ended; starting it again in "
		  "%llu s",
	    (unsigned long long)(d->retry_ms / 1000));
	d->state = DISC_AVAHI_FAILED;
	d->spawn_at_ms = now + d->retry_ms;
	d->retry_ms *= 2;
	if (d->retry_ms > DISC_AVAHI_RETRY_MAX_MS)
		d->retry_ms = DISC_AVAHI_RETRY_MAX_MS;
}

static void
on_msg(struct disc_avahi *d, const struct msg *m, uint64_t now)
{
	if (m->type == M_STATUS) {
		if (d->hung)
			log_info("discovery: the DNS-SD helper answers again");
		d->hung = false;
		d->heard_ms = now;
		d->state = (enum disc_avahi_state)m->state;
		d->stats = m->stats;
		if (d->state == DISC_AVAHI_RUNNING)
			d->retry_ms = DISC_AVAHI_RETRY_MIN_MS;
	} else if (m->type == M_PEER && (m->addr.sa.sa_family == AF_INET ||
					    m->addr.sa.sa_family == AF_INET6)) {
		d->cb(d->arg, &m->txt, &m->addr.sa);
	}
}

static void
read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct disc_avahi *d = arg;
	uint64_t now = clock_now_ms();
	struct msg m;
	ssize_t n;
	int i;

	(void)what;
	for (i = 0; i < RX_BURST; i++) {
		n = recv(fd, &m, sizeof(m), MSG_DONTWAIT);
		if (n == -1 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n != (ssize_t)sizeof(m)) {
			lost_helper(d);
			return;
		}
		/* The callback may feed the core, which may call us. */
		on_msg(d, &m, now);
		if (d->fd == -1)
			return;
	}
}

static void
spawn(struct disc_avahi *d)
{
	pid_t parent = getpid(), pid;
	int sv[2];

	/* A failure waits for the retry, as a helper that ended does. */
	d->spawn_at_ms = clock_now_ms() + d->retry_ms;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == -1) {
		log_warn("discovery: socketpair for the DNS-SD helper");
		return;
	}
	if ((pid = fork()) == -1) {
		log_warn("discovery: fork the DNS-SD helper");
		close(sv[0]);
		close(sv[1]);
		return;
	}
	if (pid == 0) {
		helper_setup(sv[1], parent);
		helper_main(sv[1], &d->conf);
	}
	close(sv[1]);
	d->fd = sv[0];
	d->pid = pid;
	d->heard_ms = clock_now_ms();
	d->hung = false;
	d->txt_dirty = d->ifindex_dirty = false; /* it starts with both */
	d->ev = event_new(d->base, d->fd, EV_READ | EV_PERSIST, read_cb, d);
	if (d->ev == NULL || event_add(d->ev, NULL) == -1)
		abort(); /* allocation, as xmalloc would */
}

static void
tick_cb(evutil_socket_t fd, short what, void *arg)
{
	struct disc_avahi *d = arg;
	uint64_t now = clock_now_ms();

	(void)fd;
	(void)what;
	if (d->fd == -1) {
		if (now >= d->spawn_at_ms)
			spawn(d);
		return;
	}
	if (d->txt_dirty)
		send_txt(d);
	if (d->ifindex_dirty)
		send_ifindex(d);
	if (!d->hung && now >= d->heard_ms + SILENT_MS) {
		log_warnx("discovery: avahi-daemon does not answer (a D-Bus "
			  "call hangs in the DNS-SD helper); the cluster is "
			  "not affected");
		d->hung = true;
	}
	if (d->hung)
		d->state = DISC_AVAHI_FAILED;
}

struct disc_avahi *
disc_avahi_new(struct event_base *base, const struct disc_avahi_conf *conf,
    disc_avahi_peer_cb *cb, void *arg)
{
	struct disc_avahi *d = xcalloc(1, sizeof(*d));
	struct timeval every = {0, TICK_MS * 1000};

	d->base = base;
	d->conf = *conf;
	d->cb = cb;
	d->arg = arg;
	d->fd = -1;
	d->state = DISC_AVAHI_DISABLED;
	if (conf->mode == DISC_AVAHI_NO)
		return d;
	d->state = DISC_AVAHI_CONNECTING;
	d->retry_ms = DISC_AVAHI_RETRY_MIN_MS;
	d->tick = event_new(base, -1, EV_PERSIST, tick_cb, d);
	if (d->tick == NULL || event_add(d->tick, &every) == -1)
		abort(); /* allocation, as xmalloc would */
	spawn(d);
	return d;
}

void
disc_avahi_free(struct disc_avahi *d)
{
	if (d == NULL)
		return;
	stop_helper(d);
	if (d->tick != NULL)
		event_free(d->tick);
	free(d);
}

void
disc_avahi_set_txt(struct disc_avahi *d, const struct disc_txt *txt)
{
	if (memcmp(d->conf.txt.id, txt->id, sizeof(txt->id)) == 0 &&
	    strcmp(d->conf.txt.cluster, txt->cluster) == 0 &&
	    d->conf.txt.prio == txt->prio &&
	    strcmp(d->conf.txt.state, txt->state) == 0 &&
	    d->conf.txt.ver == txt->ver)
		return;
	d->conf.txt = *txt;
	if (d->conf.mode != DISC_AVAHI_NO)
		send_txt(d);
}

void
disc_avahi_set_ifindex(struct disc_avahi *d, int ifindex)
{
	if (d->conf.ifindex == ifindex)
		return;
	d->conf.ifindex = ifindex;
	if (d->conf.mode != DISC_AVAHI_NO)
		send_ifindex(d);
}

enum disc_avahi_state
disc_avahi_get_state(const struct disc_avahi *d)
{
	return d->state;
}

void
disc_avahi_get_stats(const struct disc_avahi *d, struct disc_avahi_stats *out)
{
	*out = d->stats;
}
