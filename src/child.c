#include "config.h"

#include "src/child.h"

#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "base/fds.h"
#include "base/log.h"
#include "base/xmalloc.h"

struct child_ent {
	pid_t pid;
	child_exit_cb *cb; /* NULL: forgotten */
	void *arg;
	bool killed;
};

/*
 * The one dispatcher of the process (see child.h for why it is global).
 * dispatching defers the evsignal's free when the last reference goes
 * from inside one of its own callbacks.
 */
static struct {
	struct event_base *base;
	struct event *ev;
	unsigned refs;
	bool dispatching;
	struct child_ent *ent;
	size_t n, cap;
} disp;

/* child_set_user(): whom child_spawn()'s children become; not set: stay. */
static struct {
	bool set;
	uid_t uid;
	gid_t gid;
} as_user;

void
child_set_user(uid_t uid, gid_t gid)
{
	as_user.set = true;
	as_user.uid = uid;
	as_user.gid = gid;
}

static void
ent_del(size_t i)
{
	disp.ent[i] = disp.ent[--disp.n];
}

static ssize_t
ent_find(pid_t pid)
{
	size_t i;

	for (i = 0; i < disp.n; i++)
		if (disp.ent[i].pid == pid)
			return (ssize_t)i;
	return -1;
}

/* Reaps one finished child of ours, if any, and runs its callback.
 * Returns whether it reaped one. */
static bool
reap_one(void)
{
	struct child_ent e;
	int status;
	size_t i;
	pid_t r;

	for (i = 0; i < disp.n; i++) {
		r = waitpid(disp.ent[i].pid, &status, WNOHANG);
		if (r == 0 || (r == -1 && errno == EINTR))
			continue;
		e = disp.ent[i];
		ent_del(i);
		if (r == -1) {
			/* Someone else reaped it: its status is lost. */
			log_warn("child: waitpid %ld", (long)e.pid);
			status = CHILD_STATUS_LOST;
		}
		if (e.cb != NULL)
			e.cb(e.arg, e.pid, status);
		return true;
	}
	return false;
}

static void
sigchld_cb(evutil_socket_t sig, short what, void *arg)
{
	(void)sig;
	(void)what;
	(void)arg;
	/* Signals coalesce: one SIGCHLD may stand for many exits. */
	disp.dispatching = true;
	while (reap_one())
		;
	disp.dispatching = false;
	if (disp.refs == 0 && disp.ev != NULL) {
		event_free(disp.ev);
		disp.ev = NULL;
		disp.base = NULL;
	}
}

int
child_ref(struct event_base *base)
{
	if (disp.refs > 0 || disp.ev != NULL) {
		if (disp.base != base) {
			errno = EBUSY;
			return -1;
		}
		disp.refs++;
		return 0;
	}
	disp.ev = evsignal_new(base, SIGCHLD, sigchld_cb, NULL);
	if (disp.ev == NULL || evsignal_add(disp.ev, NULL) == -1) {
		if (disp.ev != NULL)
			event_free(disp.ev);
		disp.ev = NULL;
		errno = EBUSY;
		return -1;
	}
	disp.base = base;
	disp.refs = 1;
	return 0;
}

void
child_unref(void)
{
	size_t i;

	assert(disp.refs > 0);
	if (--disp.refs > 0)
		return;
	/* SIGKILL cannot be caught: these are gone in a moment. */
	for (i = 0; i < disp.n; i++)
		if (disp.ent[i].killed)
			while (waitpid(disp.ent[i].pid, NULL, 0) == -1 &&
			       errno == EINTR)
				;
	disp.n = 0;
	free(disp.ent);
	disp.ent = NULL;
	disp.cap = 0;
	if (disp.dispatching)
		return; /* sigchld_cb frees the event on its way out */
	event_free(disp.ev);
	disp.ev = NULL;
	disp.base = NULL;
}

/* Between fork and execve: async-signal-safe calls only. */
static void
exec_child(const char *path, char *const argv[], char *const envp[],
    int null_in, int null_out, int deathsig, pid_t parent)
{
	const gid_t gid = as_user.gid;
	struct sched_param normal = {.sched_priority = 0};
	struct sigaction sa;
	sigset_t none;
	int sig;

	(void)setpgid(0, 0);
	/* A tied child goes with qured; if qured went before this line, the
	 * signal would never come: go now. */
	if (deathsig != 0 &&
	    (prctl(PR_SET_PDEATHSIG, deathsig) == -1 || getppid() != parent))
		_exit(127);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	/* Ignored dispositions (SIGPIPE in qured) survive execve. */
	for (sig = 1; sig < NSIG; sig++)
		(void)sigaction(sig, &sa, NULL);
	sigemptyset(&none);
	(void)sigprocmask(SIG_SETMASK, &none, NULL);
	/* qured's real-time priority (src/main.c) is not a hook's. */
	(void)sched_setscheduler(0, SCHED_OTHER, &normal);
	if (dup2(null_in, STDIN_FILENO) == -1 ||
	    dup2(null_out, STDOUT_FILENO) == -1)
		_exit(127);
	/* dup2 onto itself keeps close-on-exec: clear it by hand. */
	if (null_in == STDIN_FILENO)
		(void)fcntl(STDIN_FILENO, F_SETFD, 0);
	if (null_out == STDOUT_FILENO)
		(void)fcntl(STDOUT_FILENO, F_SETFD, 0);
	/* Close-on-exec is the rule, this is the backstop for any
	 * descriptor that some library opened without it. */
	fds_close_except(NULL, 0);
	if (chdir("/") == -1)
		_exit(127);
	/* [hooks] user: group first, while we may still change it; a
	 * setuid() away from root also clears every capability. Not to
	 * be run as root by mistake: a failure is exit status 126. */
	if (deathsig == 0 && as_user.set &&
	    (setgroups(1, &gid) == -1 || setresgid(gid, gid, gid) == -1 ||
		setresuid(as_user.uid, as_user.uid, as_user.uid) == -1))
		_exit(126);
	execve(path, argv, envp);
	_exit(127);
}

static pid_t
spawn(const char *path, char *const argv[], char *const envp[],
    child_exit_cb *cb, void *arg, int deathsig)
{
	sigset_t all, old;
	int null_in, null_out, saved;
	pid_t pid, parent = getpid();

	assert(disp.refs > 0);
	null_in = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (null_in == -1)
		return -1;
	null_out = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (null_out == -1) {
		saved = errno;
		close(null_in);
		errno = saved;
		return -1;
	}
	if (disp.n == disp.cap) {
		disp.cap = disp.cap ? 2 * disp.cap : 4;
		disp.ent = xreallocarray(disp.ent, disp.cap, sizeof(*disp.ent));
	}
	/* No handler of ours may run in the child before execve (libevent's
	 * would write to the parent's signal socket). */
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, &old);
	pid = fork();
	if (pid == 0)
		exec_child(
		    path, argv, envp, null_in, null_out, deathsig, parent);
	saved = errno;
	sigprocmask(SIG_SETMASK, &old, NULL);
	close(null_in);
	close(null_out);
	if (pid == -1) {
		errno = saved;
		return -1;
	}
	/* Also here: child_kill() may come before the child runs. */
	(void)setpgid(pid, pid);
	disp.ent[disp.n++] = (struct child_ent){pid, cb, arg, false};
	return pid;
}

pid_t
child_spawn(const char *path, char *const argv[], char *const envp[],
    child_exit_cb *cb, void *arg)
{
	return spawn(path, argv, envp, cb, arg, 0);
}

pid_t
child_spawn_tied(const char *path, char *const argv[], char *const envp[],
    child_exit_cb *cb, void *arg, int deathsig)
{
	return spawn(path, argv, envp, cb, arg, deathsig);
}

void
child_kill(pid_t pid)
{
	ssize_t i = ent_find(pid);

	if (i == -1)
		return; /* reaped: its pid may be someone else's by now */
	disp.ent[i].killed = true;
	if (kill(-pid, SIGKILL) == -1 && kill(pid, SIGKILL) == -1)
		log_warn("child: kill %ld", (long)pid);
}

void
child_forget(pid_t pid, enum child_forget_how how)
{
	ssize_t i = ent_find(pid);

	if (i == -1)
		return;
	if (how == CHILD_KILL)
		child_kill(pid);
	disp.ent[i].cb = NULL;
	disp.ent[i].arg = NULL;
}

void
child_status_str(int status, char *buf, size_t len)
{
	if (status == CHILD_STATUS_LOST)
		snprintf(buf, len, "exit status lost (reaped elsewhere)");
	else if (WIFEXITED(status))
		snprintf(buf, len, "exit status %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, len, "killed by signal %d", WTERMSIG(status));
	else
		snprintf(buf, len, "wait status %#x", (unsigned)status);
}
