/*
 * src/state_writer.c — state_save() in a child process (state_writer.h).
 *
 * The child is a plain fork of the daemon (no exec: it only calls
 * state_save()); it closes every descriptor but its end of the
 * socketpair, takes default signal dispositions and an empty mask, and
 * loops: read a record, write it, answer. EOF (the daemon closed its end,
 * or died) ends it. SOCK_SEQPACKET keeps each record and answer whole.
 */
#include "config.h"

#include "src/state_writer.h"

#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "election/election.h"
#include "base/fds.h"
#include "base/forked.h"
#include "src/lock.h"
#include "src/state.h"

struct answer {
	int32_t ok;
	char err[256];
};

struct state_writer {
	struct event_base *base;
	char dir[4096];
	state_writer_cb *cb;
	void *arg;
	int fd; /* our end; -1: no child */
	pid_t pid;
	struct event *ev;
	bool busy;
	pid_t zombie; /* a writer that ended, not reaped yet; 0: none */
};

static void
reap_zombie(struct state_writer *w)
{
	if (w->zombie > 0 && waitpid(w->zombie, NULL, WNOHANG) != 0)
		w->zombie = 0;
}

static void __attribute__((noreturn)) child_main(int fd, const char *dir)
{
	struct elect_persist p;
	struct answer a;
	ssize_t n;

	for (;;) {
		n = recv(fd, &p, sizeof(p), 0);
		if (n == -1 && errno == EINTR)
			continue;
		if (n != (ssize_t)sizeof(p))
			_exit(0); /* EOF: the daemon is gone or done */
		memset(&a, 0, sizeof(a));
		a.ok = state_save(dir, &p, a.err, sizeof(a.err)) == 0;
		while ((n = send(fd, &a, sizeof(a), MSG_NOSIGNAL)) == -1 &&
		       errno == EINTR)
			;
		if (n != (ssize_t)sizeof(a))
			_exit(0);
	}
}

/*
 * In the child: nothing of the daemon's but fd, stderr and the state
 * dir's lock (src/lock.c): a write under way when the daemon is killed
 * holds the lock until its rename is done, so a new qured cannot load
 * and rewrite the state under it.
 */
static void
child_setup(int fd, const char *lock)
{
	int keep[2];

	forked_reset_signals();
	keep[0] = fd;
	keep[1] = lock[0] != '\0' ? fds_find_path(lock) : -1;
	fds_close_except(keep, 2);
}

/* The child is gone: its end closed. A write it had failed with it. */
static void
lost_child(struct state_writer *w)
{
	bool was_busy = w->busy;

	event_free(w->ev);
	w->ev = NULL;
	close(w->fd);
	w->fd = -1;
	w->zombie = w->pid;
	w->pid = 0;
	w->busy = false;
	reap_zombie(w);
	if (was_busy)
		w->cb(w->arg, false, "state: the writer process ended");
}

static void
answer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct state_writer *w = arg;
	struct answer a;
	ssize_t n;

	(void)what;
	n = recv(fd, &a, sizeof(a), MSG_DONTWAIT);
	if (n == -1 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n != (ssize_t)sizeof(a) || !w->busy) {
		lost_child(w);
		return;
	}
	w->busy = false;
	a.err[sizeof(a.err) - 1] = '\0';
	w->cb(w->arg, a.ok != 0, a.err);
}

static int
spawn(struct state_writer *w, char *err, size_t errlen)
{
	char lock[PATH_MAX + 16] = "", real[PATH_MAX];
	int sv[2];
	pid_t pid;

	if (realpath(w->dir, real) != NULL)
		snprintf(lock, sizeof(lock), "%s/%s", real, LOCK_FILE);
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == -1) {
		snprintf(err, errlen, "state: socketpair: %s", strerror(errno));
		return -1;
	}
	if ((pid = fork()) == -1) {
		snprintf(
		    err, errlen, "state: fork the writer: %s", strerror(errno));
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	if (pid == 0) {
		child_setup(sv[1], lock);
		child_main(sv[1], w->dir);
	}
	close(sv[1]);
	w->ev = event_new(w->base, sv[0], EV_READ | EV_PERSIST, answer_cb, w);
	if (w->ev == NULL || event_add(w->ev, NULL) == -1) {
		snprintf(err, errlen, "state: cannot watch the writer");
		if (w->ev != NULL)
			event_free(w->ev);
		w->ev = NULL;
		close(sv[0]);
		kill(pid, SIGKILL);
		w->zombie = pid;
		reap_zombie(w);
		return -1;
	}
	w->fd = sv[0];
	w->pid = pid;
	return 0;
}

struct state_writer *
state_writer_new(
    struct event_base *base, const char *dir, state_writer_cb *cb, void *arg)
{
	struct state_writer *w;

	if (strlen(dir) >= sizeof(w->dir) ||
	    (w = calloc(1, sizeof(*w))) == NULL)
		return NULL;
	w->base = base;
	snprintf(w->dir, sizeof(w->dir), "%s", dir);
	w->cb = cb;
	w->arg = arg;
	w->fd = -1;
	return w;
}

void
state_writer_free(struct state_writer *w)
{
	if (w == NULL)
		return;
	if (w->ev != NULL)
		event_free(w->ev);
	if (w->fd != -1)
		close(w->fd); /* the child sees EOF and exits */
	if (w->pid > 0 && waitpid(w->pid, NULL, WNOHANG) == 0) {
		/* Not ended yet: a write is under way (it finishes; the
		 * rename is atomic) or it has not read the EOF. Do not wait:
		 * a hung fsync must not hang the daemon's exit. */
	}
	reap_zombie(w);
	free(w);
}

int
state_writer_save(struct state_writer *w, const struct elect_persist *p,
    char *err, size_t errlen)
{
	ssize_t n;

	if (w->busy) {
		snprintf(err, errlen, "state: a write is under way");
		return -1;
	}
	reap_zombie(w);
	if (w->fd == -1 && spawn(w, err, errlen) == -1)
		return -1;
	while ((n = send(w->fd, p, sizeof(*p), MSG_NOSIGNAL)) == -1 &&
	       errno == EINTR)
		;
	if (n != (ssize_t)sizeof(*p)) {
		snprintf(err, errlen, "state: send to the writer: %s",
		    n == -1 ? strerror(errno) : "short");
		lost_child(w);
		return -1;
	}
	w->busy = true;
	return 0;
}

bool
state_writer_busy(const struct state_writer *w)
{
	return w->busy;
}
