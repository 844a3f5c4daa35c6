/*
 * base/forked.h — the start of a child that qured forks to do some work
 * without exec (the state writer, the DNS-SD and router helpers, the
 * site settings' writer, the site cache's coordinator): it must not run
 * the daemon's signal handlers, and a helper must not outlive qured.
 * (base/fds.h closes what it must not keep.)
 */
#ifndef QURE_FORKED_H
#define QURE_FORKED_H

#include <sys/types.h>

/* Every signal to its default disposition, and none blocked. */
void forked_reset_signals(void);

/*
 * Tied to parent: SIGKILL when it dies (PR_SET_PDEATHSIG); if it died
 * already, exits at once (0). name: the thread's name in ps and top
 * (PR_SET_NAME, 15 bytes).
 */
void forked_tie(pid_t parent, const char *name);

#endif
