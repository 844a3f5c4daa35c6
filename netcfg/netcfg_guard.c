/*
 * netcfg/netcfg_guard.c — the address guard: a small child that outlives
 * qured by a moment. It waits on a pipe whose only write end qured holds;
 * when qured dies for any reason (kill -9 included) the kernel closes that
 * end, the guard wakes and deletes the DMZ address at once. The kernel
 * lease stays the backstop for what the guard cannot see (the guard
 * killed too, a frozen VM): it expires only in whole seconds, long after
 * a peer has taken over.
 */
#include "config.h"

#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <linux/netlink.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "netcfg/netcfg.h"
#include "netcfg/netcfg_int.h"
#include "src/log.h"

/* In the child: nothing but read(), socket(), sendto() and _exit(). */
static void
guard_main(int rd, const uint8_t *req, size_t len)
{
	struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
	char byte;
	ssize_t n;
	int fd;

	/* Signals for the group (^C, SIGTERM to all) are qured's to act on:
	 * the guard acts when qured is gone, whatever killed it. */
	signal(SIGINT, SIG_IGN);
	signal(SIGTERM, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	prctl(PR_SET_NAME, "qured-guard", 0, 0, 0);
	do
		n = read(rd, &byte, 1);
	while (n == -1 && errno == EINTR);
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd != -1)
		(void)sendto(fd, req, len, 0, (struct sockaddr *)&kernel,
		    sizeof(kernel));
	_exit(0);
}

/* Closes every descriptor but keep: the guard holds nothing of qured's. */
static void
close_all_but(int keep)
{
	int fd, max = (int)sysconf(_SC_OPEN_MAX);

	for (fd = 3; fd < max && fd < 65536; fd++)
		if (fd != keep)
			close(fd);
}

int
netcfg_guard_start(struct netcfg *nc)
{
	uint8_t req[NETCFG_NLBUF];
	size_t len = netcfg_nl_build_del(nc, req);
	int p[2];
	pid_t pid;

	if (nc->guard_fd != -1)
		return 0;
	if (pipe2(p, O_CLOEXEC) == -1) {
		log_warn("netcfg: guard pipe");
		return -1;
	}
	pid = fork();
	if (pid == -1) {
		log_warn("netcfg: guard fork");
		close(p[0]);
		close(p[1]);
		return -1;
	}
	if (pid == 0) {
		close_all_but(p[0]);
		guard_main(p[0], req, len);
	}
	close(p[0]);
	nc->guard_fd = p[1];
	nc->guard_pid = pid;
	return 0;
}

void
netcfg_guard_stop(struct netcfg *nc)
{
	if (nc->guard_fd == -1)
		return;
	/* EOF: the guard deletes the address (gone already) and exits. */
	close(nc->guard_fd);
	nc->guard_fd = -1;
	(void)waitpid(nc->guard_pid, NULL, 0);
	nc->guard_pid = 0;
}
