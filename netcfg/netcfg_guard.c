/*
 * netcfg/netcfg_guard.c — the address guard: a small child, a watchdog of
 * qured's loop. qured ticks it with the lease end (a monotonic time in
 * ms, 8 bytes, 0 for "not held") on every add, refresh and delete, over a
 * pipe whose only write end qured holds. The guard deletes the DMZ
 * address and empties the nftables lease sets:
 *
 *   - when the lease end passes without a new tick (qured stopped, its
 *     loop blocked): the address does not outlive the lease by the whole
 *     seconds of the kernel lifetime. When qured runs again its core finds
 *     itself past its lease and demotes (election/: LEASE_EXPIRED);
 *   - the moment qured dies (kill -9 included): EOF on the pipe.
 *
 * The guard holds the write end of a second pipe; qured watches its read
 * end, so a dead guard is seen at once (EOF), logged, counted and started
 * again. The kernel lifetime and the nftables element's own timeout stay
 * the backstops for what the guard cannot see (the guard frozen too: a
 * paused VM).
 */
#include "config.h"

#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <linux/netlink.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "netcfg/netcfg.h"
#include "netcfg/netcfg_int.h"
#include "src/log.h"

#define GUARD_RESTART_MS 1000 /* at most one restart a second */

struct guard_job {
	uint8_t req[NETCFG_NLBUF]; /* RTM_DELADDR of the DMZ address */
	size_t len;
	char nft_clear[160]; /* "" without nftables */
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
		close(fd);
	}
	netcfg_nft_clear_in_child(j->nft_clear);
}

/* The last whole tick in what was read (8-byte writes are atomic). */
static uint64_t
last_tick(const uint8_t *buf, size_t n)
{
	uint64_t t;

	memcpy(&t, buf + (n / 8 - 1) * 8, 8);
	return t;
}

/* Milliseconds to wait for the next tick: -1 (none due) or >= 0. */
static int
wait_ms(uint64_t deadline)
{
	uint64_t now;

	if (deadline == 0)
		return -1;
	now = netcfg_now_ms();
	if (now >= deadline)
		return 0;
	return deadline - now > 60000 ? 60000 : (int)(deadline - now);
}

/* In the child: poll(), read(), the drop, and _exit(). */
static void
guard_main(int rd, const struct guard_job *j)
{
	struct pollfd p = {.fd = rd, .events = POLLIN};
	uint8_t buf[8 * 64];
	uint64_t deadline = 0;
	ssize_t n;
	int r;

	/* Signals for the group (^C, SIGTERM to all) are qured's to act on:
	 * the guard acts when qured is gone or stuck, whatever the cause. */
	signal(SIGINT, SIG_IGN);
	signal(SIGTERM, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	prctl(PR_SET_NAME, "qured-guard", 0, 0, 0);
	for (;;) {
		r = poll(&p, 1, wait_ms(deadline));
		if (r == 0) {
			if (netcfg_now_ms() < deadline)
				continue;
			guard_drop(j); /* no tick within the lease */
			deadline = 0;
			continue;
		}
		if (r == -1 && errno == EINTR)
			continue;
		n = r == -1 ? -1 : read(rd, buf, sizeof(buf));
		if (n == -1 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0)
			break; /* qured is gone */
		if (n >= 8)
			deadline = last_tick(buf, (size_t)n);
	}
	guard_drop(j);
	_exit(0);
}

/* Closes every descriptor but two: the guard holds nothing of qured's. */
static void
close_all_but(int keep1, int keep2)
{
	int fd, max = (int)sysconf(_SC_OPEN_MAX);

	for (fd = 3; fd < max && fd < 65536; fd++)
		if (fd != keep1 && fd != keep2)
			close(fd);
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
	if (nc->nft != NULL)
		memcpy(j.nft_clear, nc->nft_clear, sizeof(j.nft_clear));
	if (pipe2(tick, O_CLOEXEC) == -1)
		return -1;
	if (pipe2(alive, O_CLOEXEC) == -1) {
		close(tick[0]);
		close(tick[1]);
		return -1;
	}
	pid = fork();
	if (pid == 0) {
		close_all_but(tick[0], alive[1]);
		guard_main(tick[0], &j);
	}
	close(tick[0]);
	close(alive[1]);
	if (pid == -1) {
		close(tick[1]);
		close(alive[0]);
		return -1;
	}
	/* A stuck guard must never block qured: ticks are dropped then. */
	(void)fcntl(tick[1], F_SETFL, O_NONBLOCK);
	nc->guard_fd = tick[1];
	nc->guard_alive_fd = alive[0];
	nc->guard_pid = pid;
	nc->guard_started_ms = netcfg_now_ms();
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
	uint64_t now = netcfg_now_ms();
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

void
netcfg_guard_tick(struct netcfg *nc)
{
	uint64_t t = nc->held ? nc->lease_end_ms : 0;
	ssize_t n;

	if (nc->guard_fd == -1)
		return;
	/* EPIPE: it died; guard_alive_cb restarts it, and the new one
	 * learns the lease from its first tick. XXX (issue 7) EAGAIN: the
	 * guard alone was stopped for half an hour (8192 ticks queued);
	 * resumed, it reads a stale lease end and deletes the address once,
	 * which addr_lost puts back. A shared page would avoid it. */
	n = write(nc->guard_fd, &t, sizeof(t));
	(void)n;
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
	/* EOF: the guard deletes the address (gone already) and exits. */
	guard_close(nc);
	if (pid > 0)
		(void)waitpid(pid, NULL, 0);
	nc->guard_pid = 0;
}

uint64_t
netcfg_guard_restarts(const struct netcfg *nc)
{
	return nc->guard_restarts;
}
