/*
 * base/forked.c — the start of a forked child (base/forked.h).
 */
#include "config.h"

#include "base/forked.h"

#include <sys/prctl.h>

#include <signal.h>
#include <unistd.h>

void
forked_reset_signals(void)
{
	sigset_t none;
	int sig;

	for (sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			signal(sig, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

void
forked_tie(pid_t parent, const char *name)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	if (getppid() != parent)
		_exit(0);
	prctl(PR_SET_NAME, name, 0, 0, 0);
}
