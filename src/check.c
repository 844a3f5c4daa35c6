#include "config.h"

#include "src/check.h"

#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "base/log.h"
#include "base/xmalloc.h"
#include "src/child.h"
#include "src/conf.h"

#define CHECK_WHY_MAX 256

/*
 * One check at a time: idle -> running (fd or pid set, timer armed) ->
 * idle, done called on the way back. A connect that ends inside
 * check_run() (loopback refuses at once) is reported through a zero
 * timeout of the same timer, so done never runs inside check_run().
 */
struct check {
	struct event_base *base;
	struct conf_check cc;
	check_done_cb *done;
	void *arg;

	bool running;
	uint32_t timeout_ms;
	struct event *timer; /* timeout, or the deferred result */
	/* TCP */
	int fd;
	struct event *ev_io;
	bool have_result; /* the deferred result: errno value in err */
	int err;
	/* results since check_new() (check_get_stats()) */
	uint64_t passed, failed;
	bool last_ok;
	/* EXEC */
	pid_t pid;
	bool timed_out;
	struct conf_check run_cc; /* what the running check runs */
	/* check_schedule(): the next start, and one due while running */
	struct event *tick;
	uint32_t interval_ms; /* 0: no schedule */
	uint32_t sched_timeout_ms;
	bool due;
};

static const char *
check_name(const struct conf_check *cc, char *buf, size_t len)
{
	char a[INET_ADDRSTRLEN];

	if (cc->type == CONF_CHECK_TCP) {
		inet_ntop(AF_INET, &cc->addr, a, sizeof(a));
		snprintf(buf, len, "tcp %s:%u", a, (unsigned)cc->port);
	} else {
		snprintf(buf, len, "exec %s", cc->path);
	}
	return buf;
}

/* Back to idle, then done: the last thing that touches c (done may free
 * it). */
static void
finish(struct check *c, bool ok, const char *what)
{
	char name[CONF_PATH_MAX + 8], why[CHECK_WHY_MAX];

	snprintf(why, sizeof(why), "%s: %s",
	    check_name(&c->run_cc, name, sizeof(name)), what);
	evtimer_del(c->timer);
	if (c->ev_io != NULL) {
		event_free(c->ev_io);
		c->ev_io = NULL;
	}
	if (c->fd != -1) {
		close(c->fd);
		c->fd = -1;
	}
	c->pid = 0;
	c->running = false;
	if (c->due && c->interval_ms != 0) {
		struct timeval now = {0, 0};

		evtimer_add(c->tick, &now); /* the run it delayed */
	}
	c->due = false;
	if (ok)
		c->passed++;
	else
		c->failed++;
	c->last_ok = ok;
	c->done(c->arg, ok, why);
}

static void
finish_errno(struct check *c, int err)
{
	finish(c, err == 0, err == 0 ? "connected" : strerror(err));
}

static void
arm(struct check *c, uint32_t ms)
{
	struct timeval tv = {ms / 1000, (ms % 1000) * 1000};

	evtimer_add(c->timer, &tv);
}

static void
io_cb(evutil_socket_t fd, short what, void *arg)
{
	struct check *c = arg;
	socklen_t len = sizeof(int);
	int err = 0;

	(void)what;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == -1)
		err = errno;
	finish_errno(c, err);
}

static void
timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct check *c = arg;
	char msg[64];

	(void)fd;
	(void)what;
	if (c->have_result) {
		c->have_result = false;
		finish_errno(c, c->err);
		return;
	}
	if (c->run_cc.type == CONF_CHECK_EXEC) {
		/* done comes from exit_cb, once the child is reaped. */
		c->timed_out = true;
		child_kill(c->pid);
		return;
	}
	snprintf(
	    msg, sizeof(msg), "timed out after %u ms", (unsigned)c->timeout_ms);
	finish(c, false, msg);
}

static void
defer_result(struct check *c, int err)
{
	c->have_result = true;
	c->err = err;
	arm(c, 0);
}

static void
run_tcp(struct check *c)
{
	struct sockaddr_in sin;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr = c->run_cc.addr;
	sin.sin_port = htons(c->run_cc.port);
	c->fd = socket(
	    AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
	if (c->fd == -1) {
		defer_result(c, errno);
		return;
	}
	if (connect(c->fd, (struct sockaddr *)&sin, sizeof(sin)) == 0) {
		defer_result(c, 0);
		return;
	}
	if (errno != EINPROGRESS) {
		defer_result(c, errno);
		return;
	}
	c->ev_io = event_new(c->base, c->fd, EV_WRITE, io_cb, c);
	if (c->ev_io == NULL || event_add(c->ev_io, NULL) == -1) {
		defer_result(c, ENOMEM);
		return;
	}
	arm(c, c->timeout_ms);
}

static void
exit_cb(void *arg, pid_t pid, int status)
{
	struct check *c = arg;
	char msg[64];
	size_t n;

	(void)pid;
	if (c->timed_out) {
		snprintf(msg, sizeof(msg), "timed out after %u ms, killed",
		    (unsigned)c->timeout_ms);
		finish(c, false, msg);
		return;
	}
	child_status_str(status, msg, sizeof(msg));
	n = strlen(msg);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
		snprintf(msg + n, sizeof(msg) - n, " (not executable?)");
	finish(c, WIFEXITED(status) && WEXITSTATUS(status) == 0, msg);
}

static void
run_exec(struct check *c)
{
	static char path_env[] = "PATH=/usr/sbin:/usr/bin:/sbin:/bin";
	char *envp[] = {path_env, NULL};
	char *argv[] = {c->run_cc.path, NULL};

	c->timed_out = false;
	c->pid = child_spawn(c->run_cc.path, argv, envp, exit_cb, c);
	if (c->pid == -1) {
		c->pid = 0;
		defer_result(c, errno);
		return;
	}
	arm(c, c->timeout_ms);
}

/* A scheduled start: now, or as soon as the running check ends. */
static void
tick_cb(evutil_socket_t fd, short what, void *arg)
{
	struct check *c = arg;
	struct timeval tv;

	(void)fd;
	(void)what;
	if (c->interval_ms == 0)
		return;
	if (c->running) {
		c->due = true;
		return;
	}
	tv.tv_sec = c->interval_ms / 1000;
	tv.tv_usec = (suseconds_t)(c->interval_ms % 1000) * 1000;
	evtimer_add(c->tick, &tv);
	check_run(c, c->sched_timeout_ms);
}

struct check *
check_new(struct event_base *base, const struct conf_check *cc,
    check_done_cb *done, void *arg)
{
	struct check *c;

	if (cc->type == CONF_CHECK_NONE || child_ref(base) == -1)
		return NULL;
	c = xcalloc(1, sizeof(*c));
	c->base = base;
	c->cc = *cc;
	c->done = done;
	c->arg = arg;
	c->fd = -1;
	c->timer = evtimer_new(base, timer_cb, c);
	c->tick = evtimer_new(base, tick_cb, c);
	if (c->timer == NULL || c->tick == NULL)
		fatalx("check: cannot make a timer");
	return c;
}

void
check_run(struct check *c, uint32_t timeout_ms)
{
	if (c->running)
		return;
	c->running = true;
	c->timeout_ms = timeout_ms > 0 ? timeout_ms : 1;
	c->run_cc = c->cc;
	if (c->run_cc.type == CONF_CHECK_TCP)
		run_tcp(c);
	else
		run_exec(c);
}

void
check_schedule(struct check *c, uint32_t interval_ms, uint32_t timeout_ms)
{
	struct timeval now = {0, 0};

	c->interval_ms = interval_ms;
	c->sched_timeout_ms = timeout_ms;
	if (interval_ms == 0) {
		evtimer_del(c->tick);
		c->due = false;
		return;
	}
	if (!evtimer_pending(c->tick, NULL))
		evtimer_add(c->tick, &now);
}

bool
check_is_running(const struct check *c)
{
	return c->running;
}

void
check_set(struct check *c, const struct conf_check *cc)
{
	assert(cc->type != CONF_CHECK_NONE);
	c->cc = *cc;
}

void
check_free(struct check *c)
{
	if (c == NULL)
		return;
	if (c->pid > 0)
		child_forget(c->pid, CHILD_KILL);
	if (c->ev_io != NULL)
		event_free(c->ev_io);
	if (c->fd != -1)
		close(c->fd);
	event_free(c->timer);
	event_free(c->tick);
	free(c);
	child_unref();
}

void
check_get_stats(const struct check *c, struct check_stats *out)
{
	out->passed = c->passed;
	out->failed = c->failed;
	out->last_ok = c->last_ok;
}
