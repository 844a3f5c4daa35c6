/*
 * netcfg/netcfg_guard.c — the address guard: a small child, a watchdog of
 * qured's loop. qured ticks it on every add, refresh and delete, and with
 * every new farewell, over a pipe whose only write end qured holds: a
 * fixed-size message (struct guard_msg, 512 bytes: one write is atomic,
 * at most PIPE_BUF) with the lease end (ms on the caller's clock,
 * netcfg_conf.now_ms, which the guard reads too; 0 for "not held") and the
 * holder's farewell (below). The guard deletes the DMZ address and empties the
 * nftables lease sets:
 *
 *   - when the lease end passes without a new tick (qured stopped, its
 *     loop blocked): the address does not outlive the lease by the whole
 *     seconds of the kernel lifetime. When qured runs again its core finds
 *     itself past its lease and demotes (election/: LEASE_EXPIRED). The
 *     lease is the one the peers count (netcfg_set_peer_lease_end()), not
 *     the fence: nftables silences the address at the fence already, and
 *     a loop that stalled past the fence may renew it (doc/protocol.md,
 *     "The fence"); deleting the address there made each such stall an
 *     outage of up to a kernel-lifetime renewal (250 ms) more. Without
 *     nftables the guard keeps to the fence;
 *   - the moment qured dies (kill -9 included): EOF on the pipe. Then,
 *     after the farewell, it removes load sharing's table too (netcfg.h:
 *     netcfg_balance_install()), which a stopped or blocked qured keeps
 *     until its core demotes it: nothing reaches it without the address.
 *
 * The farewell (issue 7). A silent holder costs the peers its whole lease
 * (D3: a frozen holder's kernel could still answer ARP), so a dead qured
 * says goodbye through its guard: with every datagram a holder sends, its
 * core makes a RESIGN numbered right after it (ELECT_ACT_FAREWELL), which
 * qured hands to the guard. On EOF, while the lease of the last tick runs,
 * the guard first deletes the address and empties the lease sets (both
 * synchronous: netlink and libnftables act before their calls return),
 * then sends the farewell to the cluster group on its copy of qured's
 * cluster socket (TTL 255, the cluster interface), and the peers take it
 * as any RESIGN: the address is gone, the successor it names (the best
 * standby) claims at once.
 * Why a stored, signed RESIGN opens no door to replays: it is on the wire
 * only once its holder is gone (qured dead, the address deleted before
 * it is sent), and its sequence number lies between the datagram it came
 * with and the next one, which consumes it: a farewell that arrives after
 * any later datagram of its sender, or a copy replayed later, is a replay
 * to every receiver (doc/protocol.md, "The guard's farewell").
 * The farewell at the fence (netcfg_set_guard_fence()). A qured that
 * stops running while it holds (SIGSTOP, a loop blocked) lets its fence
 * run out: its kernel falls silent for the address, but the peers only
 * learn it from a round of PROBEs, a request-timeout after the first
 * unanswered request, and wait the fence again from there (80 ms at the
 * defaults where the farewell takes a few). So the guard, when the fence
 * qured last renewed has run out unrenewed, takes the fence word over
 * (netcfg_fence_take(): from then no renewal of qured's can start),
 * deletes the address and empties the lease sets, and sends the
 * farewell; not while qured is runnable (its /proc stat says R: a
 * vCPU the host took for a moment, the guard on the other one) or ran
 * in a look of 2 ms at its CPU time (a loop busy with a flood of other
 * events: CI's igmp.sh, 1,000 IGMP reports a second, made one 52 ms
 * late): such a loop renews in a moment, and a handover would cost its
 * clients more than the fence's silence did.
 * When that qured runs again, its edge sees the word before
 * its next step and the core resigns (ELECT_EV_GUARD_RESIGNED), naming
 * the same successor; the renewal it may have been about to make fails
 * on the word and makes nothing. A renewal that passed the word before
 * the guard took it over and reaches the kernel only after (qured
 * stopped for a whole fence between the two calls, microseconds apart)
 * is the one race left; it is the fence's own (doc/protocol.md, "The
 * fence": a loop stopped between reading its sockets and renewing) and
 * finds the address deleted. Not armed with two families (one farewell
 * speaks for both addresses; the IPv6 guard would keep its own) or
 * without a fence. Unarmed, or with no farewell kept, the guard drops
 * the address of a qured that stopped ticking at the lease end and says
 * nothing: that qured may run again in the very moment the guard acts,
 * refresh the address and send a heartbeat the peers follow while one
 * of them claimed on a farewell.
 *
 * The guard holds the write end of a second pipe; qured watches its read
 * end, so a dead guard is seen at once (EOF), logged, counted and started
 * again. The kernel lifetime and the nftables element's own timeout stay
 * the backstops for what the guard cannot see (the guard frozen too: a
 * paused VM).
 */
#include "config.h"

#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <linux/netlink.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "base/fds.h"
#include "base/log.h"
#include "netcfg/netcfg.h"
#include "netcfg/netcfg_int.h"

#define GUARD_RESTART_MS 1000 /* at most one restart a second */
/* Up to this many messages may queue while the guard alone is stopped. */
#define GUARD_PIPE_SIZE (1024 * 1024)

/* One tick: what the guard needs to know now, whole (the last one wins). */
struct guard_msg {
	uint64_t lease_end; /* ms on conf.now_ms; 0: not held */
	uint16_t len;	    /* of the farewell; 0: none */
	uint16_t flags;	    /* GUARD_STOP */
	uint32_t pad;
	uint8_t farewell[NETCFG_FAREWELL_MAX];
};
/* qured stops the guard on purpose: drop the address, say nothing. */
#define GUARD_STOP 0x0001
/* The farewell names a successor: the guard may speak at the fence. */
#define GUARD_NAMED 0x0002
/* How long the guard watches qured's CPU time before it speaks at the
 * fence (qured_stuck()). */
#define GUARD_LOOK_MS 2
/* A farewell for a qured dead within this long after its last tick. */
#define GUARD_FAREWELL_GRACE_MS 1000

_Static_assert(sizeof(struct guard_msg) == 512, "guard_msg: 512 bytes");
_Static_assert(sizeof(struct guard_msg) <= PIPE_BUF, "atomic pipe writes");

struct guard_job {
	uint8_t req[NETCFG_NLBUF]; /* RTM_DELADDR of the DMZ address */
	size_t len;
	/* [dmz] vmac: the macvlan down (with the address), then, when qured
	 * is gone, deleted and the interface's sysctls put back; len 0: no
	 * macvlan. */
	uint8_t vdown[NETCFG_NLBUF], vdel[NETCFG_NLBUF];
	size_t vdown_len, vdel_len;
	struct netcfg_sysctl vsaved[2];
	char nft_clear[160]; /* "" without nftables */
	char bal_clear[160]; /* removes load sharing's table; "": none */
	int farewell_fd;     /* qured's cluster socket; -1: no farewell */
	struct sockaddr_in farewell_to;
	uint64_t (*now_ms)(void); /* the parent's clock (a fork: the same) */
	struct netcfg_guard_page *page; /* shared with qured; or NULL */
	int stat_fd;	  /* qured's /proc/PID/stat (the guard's); or -1 */
	int schedstat_fd; /* ... and /proc/PID/schedstat; or -1 */
};

/* In the child: the address and the lease sets go, now. */
static void
guard_drop(const struct guard_job *j)
{
	struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
	int fd;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd != -1) {
		(void)sendto(fd, j->req, j->len, 0, (struct sockaddr *)&kernel,
		    sizeof(kernel));
		/* The shared MAC goes with the address, before any farewell
		 * lets a peer bring its own up. */
		if (j->vdown_len > 0)
			(void)sendto(fd, j->vdown, j->vdown_len, 0,
			    (struct sockaddr *)&kernel, sizeof(kernel));
		close(fd);
	}
	netcfg_nft_clear_in_child(j->nft_clear);
}

/* In the child, qured gone for good: what it made on the host goes. */
static void
guard_undo(const struct guard_job *j)
{
	struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
	int fd;

	if (j->vdel_len == 0)
		return;
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd != -1) {
		(void)sendto(fd, j->vdel, j->vdel_len, 0,
		    (struct sockaddr *)&kernel, sizeof(kernel));
		close(fd);
	}
	netcfg_vmac_restore(j->vsaved, 2);
}

/*
 * In the child, after guard_drop(): the farewell to the cluster group.
 * One datagram on a non-blocking socket; a full send buffer gets one
 * more chance (the peers fall back to the lease if it is lost).
 */
static void
guard_farewell(const struct guard_job *j, const struct guard_msg *m)
{
	struct pollfd p = {.fd = j->farewell_fd, .events = POLLOUT};

	if (j->farewell_fd == -1 || m->len == 0 || m->len > sizeof(m->farewell))
		return;
	if (sendto(j->farewell_fd, m->farewell, m->len, 0,
		(const struct sockaddr *)&j->farewell_to,
		sizeof(j->farewell_to)) == -1 &&
	    (errno == EAGAIN || errno == EWOULDBLOCK) && poll(&p, 1, 50) == 1)
		(void)sendto(j->farewell_fd, m->farewell, m->len, 0,
		    (const struct sockaddr *)&j->farewell_to,
		    sizeof(j->farewell_to));
}

/* Milliseconds to wait for the next tick: -1 (none due) or >= 0. */
static int
wait_ms(const struct guard_job *j, uint64_t deadline)
{
	uint64_t now;

	if (deadline == 0)
		return -1;
	now = j->now_ms();
	if (now >= deadline)
		return 0;
	return deadline - now > 60000 ? 60000 : (int)(deadline - now);
}

/* The end of the fence qured renewed, if the guard may speak there: 0
 * when not armed, without a farewell naming a successor (a lone holder's
 * stall is better waited out: nobody would take over), or after the
 * guard spoke. */
static uint64_t
fence_deadline(const struct guard_job *j, const struct guard_msg *last)
{
	uint64_t end;

	if (j->page == NULL || !atomic_load(&j->page->armed) ||
	    last->lease_end == 0 || last->len == 0 ||
	    !(last->flags & GUARD_NAMED))
		return 0;
	end = atomic_load(&j->page->fence_end);
	return end == NETCFG_FENCE_RESIGNED ? 0 : end;
}

static uint64_t
earliest(uint64_t a, uint64_t b)
{
	if (a == 0)
		return b;
	return b != 0 && b < a ? b : a;
}

/* qured's state now (its parent's /proc/PID/stat), '\0' if unknown. */
static char
qured_state(const struct guard_job *j)
{
	char buf[512];
	ssize_t n;

	if (j->stat_fd == -1)
		return '\0';
	n = pread(j->stat_fd, buf, sizeof(buf), 0);
	return n > 0 ? netcfg_proc_state(buf, (size_t)n) : '\0';
}

/* qured's CPU time so far (ns; /proc/PID/schedstat), 0 if unknown. */
static uint64_t
qured_runtime(const struct guard_job *j)
{
	char buf[128];
	ssize_t n;

	if (j->schedstat_fd == -1)
		return 0;
	n = pread(j->schedstat_fd, buf, sizeof(buf), 0);
	return n > 0 ? netcfg_proc_runtime(buf, (size_t)n) : 0;
}

/* At most this many datagrams are looked at in qured's queue: far more
 * than a stall of a fence's length gathers on a LAN, and a bound on the
 * guard's work under a flood (the kernel's receive buffer bounds it too). */
#define GUARD_PEEK_MAX 256

/* A PROBE waits unread in qured's cluster socket (the one it shares with
 * us for the farewell): a peer asks whether the holder lives. The whole
 * queue is looked at, not only its head: HELLOs, challenges and a
 * standby's pings arrive too and may stand first (CI's frozen.sh: a
 * HELLO ahead of the PROBEs, and the guard kept silent). SO_PEEK_OFF
 * (Linux >= 4.11) makes each MSG_PEEK start where the last one ended;
 * whole datagrams are read (a 64 KiB buffer: no UDP datagram is longer),
 * so each peek starts at a header. qured never peeks, and its own reads
 * ignore the offset; it is switched off again before returning. */
static bool
qured_asked(const struct guard_job *j)
{
	static uint8_t dgram[65536];
	int off = 0, none = -1;
	bool asked = false;
	ssize_t n;
	int i;

	if (j->farewell_fd == -1 || setsockopt(j->farewell_fd, SOL_SOCKET,
					SO_PEEK_OFF, &off, sizeof(off)) == -1)
		return false;
	for (i = 0; i < GUARD_PEEK_MAX && !asked; i++) {
		n = recv(j->farewell_fd, dgram, sizeof(dgram),
		    MSG_PEEK | MSG_DONTWAIT);
		if (n == 0 || (n == -1 && errno == EINTR))
			continue; /* an empty datagram is stepped over too */
		if (n == -1)
			break; /* EAGAIN: the queue's end */
		asked = netcfg_guard_is_probe(dgram, (size_t)n);
	}
	(void)setsockopt(
	    j->farewell_fd, SOL_SOCKET, SO_PEEK_OFF, &none, sizeof(none));
	return asked;
}

/* The fence ran out unrenewed: is qured stopped or blocked, not merely
 * late, and asked (netcfg_guard_may_speak())? A look of GUARD_LOOK_MS at
 * its CPU time: a loop that runs at all runs within it. */
static bool
qured_stuck(const struct guard_job *j)
{
	struct timespec look = {0, GUARD_LOOK_MS * 1000000L};
	uint64_t before = qured_runtime(j), after;

	while (nanosleep(&look, &look) == -1 && errno == EINTR)
		;
	after = qured_runtime(j);
	return netcfg_guard_may_speak(
	    qured_state(j), before, after, qured_asked(j));
}

/*
 * No tick came in time (poll timed out: nothing queued). At the fence's
 * end, if qured renewed nothing since, the guard speaks for it (see
 * above); at the lease end it drops the address and says nothing. True
 * when it acted: what it knew is spent.
 */
static bool
guard_timeout(const struct guard_job *j, const struct guard_msg *last)
{
	uint64_t now = j->now_ms();

	if (fence_deadline(j, last) != 0 && qured_stuck(j) &&
	    netcfg_fence_take(&j->page->fence_end, now)) {
		guard_drop(j);
		guard_farewell(j, last);
		return true;
	}
	if (now < last->lease_end)
		return false;
	guard_drop(j);
	return true;
}

/* In the child: poll(), read(), the drop, the farewell, and _exit(). */
static void
guard_main(int rd, const struct guard_job *j)
{
	struct pollfd p = {.fd = rd, .events = POLLIN};
	static struct guard_msg buf[16], last; /* whole messages only */
	ssize_t n;
	int r;

	/* Signals for the group (^C, SIGTERM to all) are qured's to act on:
	 * the guard acts when qured is gone or stuck, whatever the cause. */
	signal(SIGINT, SIG_IGN);
	signal(SIGTERM, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	prctl(PR_SET_NAME, "qured-guard", 0, 0, 0);
	memset(&last, 0, sizeof(last));
	for (;;) {
		r = poll(&p, 1,
		    wait_ms(
			j, earliest(last.lease_end, fence_deadline(j, &last))));
		if (r == 0) {
			if (guard_timeout(j, &last))
				memset(&last, 0, sizeof(last));
			continue;
		}
		if (r == -1 && errno == EINTR)
			continue;
		n = r == -1 ? -1 : read(rd, buf, sizeof(buf));
		if (n == -1 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0)
			break; /* qured is gone */
		/* Writes are whole messages and atomic, and buf holds whole
		 * ones: a read returns whole messages. */
		if ((size_t)n >= sizeof(last))
			last = buf[(size_t)n / sizeof(last) - 1];
		if (last.flags & GUARD_STOP)
			break;
	}
	guard_drop(j);
	/* qured died holding the address (its last tick less than a second
	 * ago, under a lease that may still run at its peers: its kernel's,
	 * the fence, is 50 ms, and a dying qured closes its packet sockets,
	 * an RCU grace period each, before its pipe to us): the address is
	 * gone now; say so for it. A qured stuck past its fence or lease was
	 * handled above (last cleared: no second farewell). */
	if (!(last.flags & GUARD_STOP) && last.lease_end != 0 &&
	    j->now_ms() < last.lease_end + GUARD_FAREWELL_GRACE_MS)
		guard_farewell(j, &last);
	/* Load sharing's table goes too, after the farewell (nothing of
	 * the failover waits for it): the DMZ address is gone, and a table
	 * left would forward to members from a host that no longer holds.
	 * Stopped on purpose, qured removed it itself. */
	if (!(last.flags & GUARD_STOP))
		netcfg_nft_clear_in_child(j->bal_clear);
	/* Stopped on purpose, qured undoes it itself (netcfg_free), or
	 * starts another guard for a new index (a relink). */
	if (!(last.flags & GUARD_STOP))
		guard_undo(j);
	_exit(0);
}

/* In the child: qured's stat, to tell a stopped loop from one whose CPU
 * was taken for a moment (netcfg_guard_may_speak()). */
static int
open_parent_proc(const char *what)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%ld/%s", (long)getppid(), what);
	return open(path, O_RDONLY | O_CLOEXEC);
}

static void guard_alive_cb(evutil_socket_t, short, void *);

static int
guard_spawn(struct netcfg *nc)
{
	struct guard_job j;
	int tick[2], alive[2];
	pid_t pid;

	memset(&j, 0, sizeof(j));
	j.len = netcfg_nl_build_del(nc, j.req);
	j.vdown_len = netcfg_vmac_build_down(nc, j.vdown, sizeof(j.vdown));
	j.vdel_len = netcfg_vmac_build_del(nc, j.vdel, sizeof(j.vdel));
	memcpy(j.vsaved, nc->vsaved, sizeof(j.vsaved));
	if (nc->nft_on)
		memcpy(j.nft_clear, nc->nft_clear, sizeof(j.nft_clear));
	memcpy(j.bal_clear, nc->bal_clear, sizeof(j.bal_clear));
	j.farewell_fd = nc->farewell_fd;
	j.farewell_to = nc->farewell_to;
	j.now_ms = nc->conf.now_ms;
	j.page = nc->gpage;
	if (pipe2(tick, O_CLOEXEC) == -1)
		return -1;
	if (pipe2(alive, O_CLOEXEC) == -1) {
		close(tick[0]);
		close(tick[1]);
		return -1;
	}
	pid = fork();
	if (pid == 0) {
		int keep[3] = {tick[0], alive[1], j.farewell_fd};

		/* The guard holds nothing of qured's but its pipes and the
		 * cluster socket (for the farewell; never read). */
		fds_close_except(keep, 3);
		j.stat_fd = open_parent_proc("stat");
		j.schedstat_fd = open_parent_proc("schedstat");
		guard_main(tick[0], &j);
	}
	close(tick[0]);
	close(alive[1]);
	if (pid == -1) {
		close(tick[1]);
		close(alive[0]);
		return -1;
	}
	/* A stuck guard must never block qured: ticks are dropped then.
	 * Room for minutes of ticks first (best effort: 64 KiB otherwise,
	 * 128 of them). */
	(void)fcntl(tick[1], F_SETFL, O_NONBLOCK);
	(void)fcntl(tick[1], F_SETPIPE_SZ, GUARD_PIPE_SIZE);
	nc->guard_fd = tick[1];
	nc->guard_alive_fd = alive[0];
	nc->guard_pid = pid;
	nc->guard_started_ms = nc->conf.now_ms();
	nc->ev_guard_alive = event_new(
	    nc->base, alive[0], EV_READ | EV_PERSIST, guard_alive_cb, nc);
	if (nc->ev_guard_alive == NULL ||
	    event_add(nc->ev_guard_alive, NULL) == -1)
		abort();
	netcfg_guard_tick(nc); /* a restarted guard learns the lease */
	return 0;
}

/* Closes our ends; the guard, if alive, drops the address and exits. */
static void
guard_close(struct netcfg *nc)
{
	if (nc->ev_guard_alive != NULL)
		event_free(nc->ev_guard_alive);
	nc->ev_guard_alive = NULL;
	if (nc->guard_alive_fd != -1)
		close(nc->guard_alive_fd);
	nc->guard_alive_fd = -1;
	if (nc->guard_fd != -1)
		close(nc->guard_fd);
	nc->guard_fd = -1;
}

static void
guard_restart_cb(evutil_socket_t fd, short what, void *arg)
{
	struct netcfg *nc = arg;

	(void)fd;
	(void)what;
	if (guard_spawn(nc) == -1)
		log_warn("netcfg: restart the address guard");
	else
		log_info("netcfg: address guard restarted (pid %ld)",
		    (long)nc->guard_pid);
}

/* The guard's end of the alive pipe closed: it died. */
static void
guard_alive_cb(evutil_socket_t fd, short what, void *arg)
{
	struct netcfg *nc = arg;
	struct timeval tv = {0, 0};
	uint64_t now = nc->conf.now_ms();
	int status = 0;
	char byte;

	(void)what;
	if (read(fd, &byte, 1) != 0)
		return; /* the guard writes nothing: not EOF, ignore */
	(void)waitpid(nc->guard_pid, &status, 0);
	log_warnx("netcfg: the address guard (pid %ld) died (%s %d); "
		  "starting it again",
	    (long)nc->guard_pid, WIFSIGNALED(status) ? "signal" : "exit",
	    WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
	guard_close(nc);
	nc->guard_pid = 0;
	nc->guard_restarts++;
	if (nc->ev_guard_restart == NULL)
		nc->ev_guard_restart =
		    evtimer_new(nc->base, guard_restart_cb, nc);
	if (nc->ev_guard_restart == NULL)
		abort();
	/* A guard that dies at once must not make qured fork in a loop. */
	if (now < nc->guard_started_ms + GUARD_RESTART_MS)
		tv.tv_usec = (suseconds_t)(nc->guard_started_ms +
					   GUARD_RESTART_MS - now) *
			     1000;
	evtimer_add(nc->ev_guard_restart, &tv);
}

static ssize_t
guard_write(struct netcfg *nc, uint16_t flags)
{
	struct guard_msg m;

	memset(&m, 0, sizeof(m));
	m.lease_end = nc->held
			  ? netcfg_guard_deadline(netcfg_lease_enforced(nc),
				nc->lease_end_ms, nc->peer_lease_end_ms)
			  : 0;
	m.flags = flags;
	/* A farewell only for a holder: a standby has nothing to resign. */
	if (nc->held && !(flags & GUARD_STOP) && nc->farewell_len > 0) {
		m.len = (uint16_t)nc->farewell_len;
		memcpy(m.farewell, nc->farewell, nc->farewell_len);
		if (nc->farewell_named)
			m.flags |= GUARD_NAMED;
	}
	/* EPIPE: it died; guard_alive_cb restarts it, and the new one
	 * learns the lease from its first tick. XXX (issue 7) EAGAIN: the
	 * guard alone was stopped for minutes (GUARD_PIPE_SIZE of ticks
	 * queued); resumed, it reads a stale lease end and deletes the
	 * address once, which addr_lost puts back. A shared page would
	 * avoid it. */
	return write(nc->guard_fd, &m, sizeof(m));
}

void
netcfg_guard_tick(struct netcfg *nc)
{
	if (nc->guard_fd == -1)
		return;
	(void)guard_write(nc, 0);
}

void
netcfg_guard_set_farewell_to(
    struct netcfg *nc, int fd, const struct sockaddr_in *to)
{
	nc->farewell_fd = fd;
	if (to != NULL)
		nc->farewell_to = *to;
}

int
netcfg_guard_farewell(
    struct netcfg *nc, const uint8_t *buf, size_t len, bool named)
{
	int r = 0;

	nc->farewell_named = named;
	if (len > sizeof(nc->farewell)) {
		log_warnx("netcfg: a farewell of %zu bytes does not fit the "
			  "guard's %zu; none kept",
		    len, sizeof(nc->farewell));
		len = 0;
		r = -1;
	}
	if (len > 0)
		memcpy(nc->farewell, buf, len);
	nc->farewell_len = len;
	netcfg_guard_tick(nc);
	return r;
}

int
netcfg_guard_start(struct netcfg *nc)
{
	if (nc->guard_fd != -1)
		return 0;
	if (guard_spawn(nc) == -1) {
		log_warn("netcfg: address guard");
		return -1;
	}
	return 0;
}

void
netcfg_guard_stop(struct netcfg *nc)
{
	pid_t pid = nc->guard_pid;

	if (nc->ev_guard_restart != NULL)
		event_free(nc->ev_guard_restart);
	nc->ev_guard_restart = NULL;
	if (nc->guard_fd == -1)
		return;
	/* STOP, then EOF: the guard deletes the address (gone already, or
	 * on an interface that went) and exits, without a farewell: we are
	 * alive and speak for ourselves. If STOP cannot be written (the
	 * guard alone stopped, its pipe full), it must not speak later. */
	if (guard_write(nc, GUARD_STOP) != (ssize_t)sizeof(struct guard_msg) &&
	    pid > 0)
		(void)kill(pid, SIGKILL);
	guard_close(nc);
	if (pid > 0)
		(void)waitpid(pid, NULL, 0);
	nc->guard_pid = 0;
}

void
netcfg_guard_page_open(struct netcfg *nc)
{
	void *p = mmap(NULL, sizeof(*nc->gpage), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	/* Without it the guard keeps to the lease end and to qured's death,
	 * as before: slower, as safe. */
	if (p == MAP_FAILED) {
		log_warn("netcfg: the guard's shared page");
		return;
	}
	nc->gpage = p;
	atomic_init(&nc->gpage->fence_end, 0);
	atomic_init(&nc->gpage->armed, false);
}

void
netcfg_guard_page_close(struct netcfg *nc)
{
	if (nc->gpage != NULL)
		(void)munmap(nc->gpage, sizeof(*nc->gpage));
	nc->gpage = NULL;
}

void
netcfg_set_guard_fence(struct netcfg *nc, bool on)
{
	if (nc->gpage != NULL)
		atomic_store(&nc->gpage->armed, on);
}

bool
netcfg_guard_resigned(const struct netcfg *nc)
{
	return nc->gpage != NULL &&
	       atomic_load(&nc->gpage->fence_end) == NETCFG_FENCE_RESIGNED;
}

uint64_t
netcfg_guard_restarts(const struct netcfg *nc)
{
	return nc->guard_restarts;
}
