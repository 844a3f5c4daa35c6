/*
 * discovery/disc_systemd.c — the sockets qured.socket holds across
 * restarts (sd_listen_fds(3), without libsystemd): one IPv4 UDP socket on
 * 0.0.0.0:port and, optionally, one IPv6 UDP socket on [::]:port, passed
 * as fds 3 and 4 while LISTEN_PID is ours. They are read once, at the
 * first transport that asks: the variables are unset then (hooks and
 * checks must not inherit them), each socket moves off its fd,
 * close-on-exec and non-blocking, and waits here for the transport of
 * its family (disc_udp.c, disc_udp6.c).
 */
#include "config.h"

#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "discovery/discovery.h"

static int waiting4 = -1, waiting6 = -1; /* taken, not claimed yet */

static void
close_waiting(void)
{
	if (waiting4 != -1)
		close(waiting4);
	if (waiting6 != -1)
		close(waiting6);
	waiting4 = waiting6 = -1;
}

/* Moves passed fd `at` off its number; its family in *family. */
static int
adopt(int at, int first_free, int *family, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	int fd;

	memset(&ss, 0, sizeof(ss));
	if (getsockname(at, (struct sockaddr *)&ss, &len) == -1) {
		snprintf(err, errlen,
		    "discovery: socket %d from systemd (qured.socket): %s", at,
		    strerror(errno));
		return -1;
	}
	*family = ss.ss_family;
	fd = fcntl(at, F_DUPFD_CLOEXEC, first_free);
	if (fd == -1 || fcntl(fd, F_SETFL, O_NONBLOCK) == -1) {
		snprintf(err, errlen, "discovery: the socket from systemd: %s",
		    strerror(errno));
		if (fd != -1)
			close(fd);
		return -1;
	}
	close(at);
	return fd;
}

/* Reads LISTEN_PID/LISTEN_FDS if they are ours: 0, or -1 with err. */
static int
take(char *err, size_t errlen)
{
	const char *pid = getenv("LISTEN_PID"), *fds = getenv("LISTEN_FDS");
	bool ours = pid != NULL && fds != NULL && atol(pid) == (long)getpid();
	int n = ours ? atoi(fds) : 0, i, fd, family;

	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	if (!ours)
		return 0;
	close_waiting();
	if (n != 1 && n != 2) {
		snprintf(err, errlen,
		    "discovery: systemd passed %s sockets, expected one or two "
		    "(qured.socket: ListenDatagram=0.0.0.0:PORT and, for "
		    "IPv6, [::]:PORT)",
		    fds);
		return -1;
	}
	for (i = 0; i < n; i++) {
		fd = adopt(3 + i, 3 + n, &family, err, errlen);
		if (fd == -1)
			goto fail;
		if ((family == AF_INET && waiting4 == -1) ||
		    (family == AF_INET6 && waiting6 == -1)) {
			*(family == AF_INET ? &waiting4 : &waiting6) = fd;
			continue;
		}
		close(fd);
		i++; /* adopted: its first number is closed already */
		snprintf(err, errlen,
		    "discovery: systemd passed %s (qured.socket): expected "
		    "one IPv4 socket and at most one IPv6 socket",
		    family == AF_INET || family == AF_INET6
			? "two sockets of one family"
			: "a socket that is not IPv4 or IPv6");
		goto fail;
	}
	return 0;
fail:
	for (; i < n; i++) /* what was not adopted yet */
		close(3 + i);
	close_waiting();
	return -1;
}

int
disc_systemd_fd(int family, char *err, size_t errlen)
{
	int fd;

	if (take(err, errlen) == -1)
		return -2;
	if (family == AF_INET) {
		fd = waiting4;
		waiting4 = -1;
	} else {
		fd = waiting6;
		waiting6 = -1;
	}
	return fd;
}

void
disc_systemd_close_unclaimed(void)
{
	close_waiting();
}
