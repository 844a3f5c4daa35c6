#ifndef QURE_CHILD_H
#define QURE_CHILD_H

/*
 * src/child.h — short-lived children (the service check, the hooks) and
 * the one SIGCHLD handler that reaps them (doc/style.md §7).
 *
 * SIGCHLD is a property of the process, not of a module, and libevent
 * lets one event_base at a time watch signals: so there is one dispatcher
 * per process, shared by reference (child_ref/child_unref). Its evsignal
 * reaps, with waitpid(pid, WNOHANG), only the children it spawned, so it
 * never steals the status of a child that other code waits for.
 *
 * A child runs path by execve (never through a shell) in its own process
 * group, from "/", with stdin and stdout on /dev/null, stderr inherited,
 * every other descriptor closed, default signal dispositions and an empty
 * signal mask: what it sees depends on argv and envp alone.
 */

#include <sys/types.h>

#include <stddef.h>

struct event_base;

#define CHILD_STATUS_LOST 0x7f /* not a status waitpid() reports */

/* Called from the loop once the child pid has been reaped; status is
 * waitpid()'s, or CHILD_STATUS_LOST if other code reaped it first (neither
 * WIFEXITED nor WIFSIGNALED). The entry is gone by then: the callback may
 * spawn, forget or unref. */
typedef void child_exit_cb(void *arg, pid_t pid, int status);

/*
 * Takes a reference on the process's dispatcher, creating its SIGCHLD
 * evsignal on base at the first. Returns 0, or -1 (errno EBUSY) if the
 * dispatcher lives on another base, or if libevent refuses the signal.
 */
int child_ref(struct event_base *base);

/*
 * Drops a reference. At the last one the evsignal goes, children killed
 * by child_forget(CHILD_KILL) are reaped (they are dying: this cannot
 * wait long), and any other child left is no longer watched.
 */
void child_unref(void);

/*
 * Starts path with argv (NULL-terminated, argv[0] conventionally path)
 * and envp (NULL-terminated; the whole environment). cb(arg, ...) runs
 * from the loop when it exits. Needs a reference (child_ref). Returns the
 * pid, which is also its process group id, or -1 with errno set (fork or
 * /dev/null failed). An execve failure is the child's exit status 127.
 */
pid_t child_spawn(const char *path, char *const argv[], char *const envp[],
    child_exit_cb *cb, void *arg);

/*
 * The same, for a child that must not outlive qured: the kernel sends it
 * deathsig when qured dies, however it dies (PR_SET_PDEATHSIG; the
 * site cache's redis-server instances: orphans would hold the ports of
 * the next qured's instances).
 */
pid_t child_spawn_tied(const char *path, char *const argv[], char *const envp[],
    child_exit_cb *cb, void *arg, int deathsig);

/*
 * Children of child_spawn() (hooks and checks; not the tied ones) will
 * setgroups/setgid/setuid to uid and gid before execve, exiting 126 if
 * that fails ([hooks] user while qured runs as root; it then needs
 * CAP_SETUID, CAP_SETGID and CAP_KILL, src/priv.h). Process-wide, like
 * the dispatcher.
 */
void child_set_user(uid_t uid, gid_t gid);

/* SIGKILLs the child's whole process group (a hook's own children too).
 * Its callback still comes, once it is reaped. */
void child_kill(pid_t pid);

enum child_forget_how {
	CHILD_LEAVE, /* let it run; reaped if it ends while watched */
	CHILD_KILL   /* child_kill() it first */
};

/* Its callback will not run. The dispatcher still reaps it. */
void child_forget(pid_t pid, enum child_forget_how how);

/* "exit status 3", "killed by signal 9" (waitpid's status) into buf. */
void child_status_str(int status, char *buf, size_t len);

#endif
