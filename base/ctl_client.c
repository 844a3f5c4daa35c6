/*
 * base/ctl_client.c — a control socket's client (base/ctl_client.h).
 */
#include "config.h"

#include "base/ctl_client.h"

#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/clock.h"

int
ctl_client_connect(const char *path, int flags, char *err, size_t errlen)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	int fd, saved;

	if (strlen(path) >= sizeof(sun.sun_path)) {
		snprintf(err, errlen, "control socket path too long: %s", path);
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | flags, 0);
	if (fd == -1) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	/* A UNIX connect completes at once or fails; EAGAIN: full backlog. */
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		saved = errno;
		snprintf(err, errlen,
		    "cannot connect to %s: %s (is qured running?)", path,
		    strerror(saved));
		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

struct call {
	const char *path;
	int fd;
	uint64_t deadline;
	int timeout_ms;
	char *err;
	size_t errlen;
};

/* Waits until fd is ready for events or the deadline; false with err. */
static bool
wait_ready(struct call *c, short events)
{
	struct pollfd pfd = {.fd = c->fd, .events = events};
	uint64_t now;
	int n;

	for (;;) {
		now = clock_now_ms();
		if (now >= c->deadline) {
			if (c->timeout_ms % 1000 == 0)
				snprintf(c->err, c->errlen,
				    "no reply from %s within %d s (is qured "
				    "stuck?)",
				    c->path, c->timeout_ms / 1000);
			else
				snprintf(c->err, c->errlen,
				    "no reply from %s within %d ms (is qured "
				    "stuck?)",
				    c->path, c->timeout_ms);
			return false;
		}
		n = poll(&pfd, 1, (int)(c->deadline - now));
		if (n > 0)
			return true;
		if (n == -1 && errno != EINTR) {
			snprintf(
			    c->err, c->errlen, "poll: %s", strerror(errno));
			return false;
		}
	}
}

static bool
send_all(struct call *c, const char *buf, size_t len)
{
	ssize_t n;

	while (len > 0) {
		n = send(c->fd, buf, len, MSG_NOSIGNAL);
		if (n > 0) {
			buf += n;
			len -= (size_t)n;
		} else if (n == -1 && (errno == EAGAIN || errno == EINTR)) {
			if (!wait_ready(c, POLLOUT))
				return false;
		} else {
			snprintf(c->err, c->errlen, "cannot send to %s: %s",
			    c->path, strerror(errno));
			return false;
		}
	}
	return true;
}

/* Reads up to the first newline into a growing buffer; NULL with err. */
static char *
recv_line(struct call *c, size_t max, size_t *len)
{
	size_t cap = 4096, have = 0;
	char *buf = malloc(cap), *nl, *bigger;
	ssize_t n;

	for (;;) {
		if (buf == NULL) {
			snprintf(c->err, c->errlen, "out of memory");
			return NULL;
		}
		if (have + 1 == cap) {
			if (cap >= max) {
				snprintf(c->err, c->errlen,
				    "reply from %s over %zu bytes", c->path,
				    max);
				break;
			}
			cap = cap * 2 > max ? max : cap * 2;
			if ((bigger = realloc(buf, cap)) == NULL) {
				snprintf(c->err, c->errlen, "out of memory");
				break;
			}
			buf = bigger;
			continue;
		}
		n = recv(c->fd, buf + have, cap - 1 - have, 0);
		if (n == 0) {
			snprintf(c->err, c->errlen,
			    "%s closed the connection without a reply",
			    c->path);
			break;
		}
		if (n == -1 && (errno == EAGAIN || errno == EINTR)) {
			if (!wait_ready(c, POLLIN))
				break;
			continue;
		}
		if (n == -1) {
			snprintf(c->err, c->errlen, "cannot read from %s: %s",
			    c->path, strerror(errno));
			break;
		}
		have += (size_t)n;
		buf[have] = '\0';
		if ((nl = memchr(buf, '\n', have)) != NULL) {
			*nl = '\0';
			*len = (size_t)(nl - buf);
			return buf;
		}
	}
	free(buf);
	return NULL;
}

int
ctl_client_call(const char *path, const char *line, int timeout_ms, size_t max,
    char **reply, size_t *len, char *err, size_t errlen)
{
	struct call c = {path, -1, clock_now_ms() + (uint64_t)timeout_ms,
	    timeout_ms, err, errlen};

	*reply = NULL;
	*len = 0;
	if ((c.fd = ctl_client_connect(path, SOCK_NONBLOCK, err, errlen)) == -1)
		return -1;
	if (send_all(&c, line, strlen(line)) && send_all(&c, "\n", 1))
		*reply = recv_line(&c, max < 4096 ? 4096 : max, len);
	close(c.fd);
	return *reply != NULL ? 0 : -1;
}
