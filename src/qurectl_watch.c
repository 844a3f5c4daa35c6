#include "config.h"

#include "src/qurectl_watch.h"

#include <sys/socket.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "base/clock.h"
#include "base/ctl_client.h"
#include "src/events.h"

/*
 * qurectl watch (issue 14): {"cmd":"watch"} on the control socket, then
 * one event per line (src/events.h) until qured closes or we are
 * interrupted. Events print as they come: stdout is line-buffered.
 */

#define WATCH_LINE_MAX (64 * 1024) /* far above any event line */
#define WATCH_OK_MS 5000	   /* for qured's {"ok":true} */

static volatile sig_atomic_t stop_signal;

static void
on_signal(int sig)
{
	stop_signal = sig;
}

/* SIGINT, SIGTERM end the watch (poll() returns EINTR: no restart);
 * a closed stdout is an error of write(), not a signal. */
static void
catch_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
}

static int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* "qurectl: watch: ..." on stderr; returns QURECTL_WATCH_FAILED. */
static int
fail(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("qurectl: watch: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return QURECTL_WATCH_FAILED;
}

/* Connected and asked to watch; -1 with err. */
static int
watch_connect(const char *path, char *err, size_t errlen)
{
	static const char req[] = "{\"cmd\":\"watch\"}\n";
	int fd = ctl_client_connect(path, 0, err, errlen);

	/* The request fits any socket buffer: one send. */
	if (fd != -1 && send(fd, req, sizeof(req) - 1, MSG_NOSIGNAL) !=
			    (ssize_t)sizeof(req) - 1) {
		snprintf(err, errlen, "cannot send to %s: %s", path,
		    strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* The first line: {"ok":true} or {"error":...}. */
static int
first_line(const char *path, const char *line, size_t len)
{
	json_t *o = json_loadb(line, len, 0, NULL);
	const json_t *e = json_object_get(o, "error");
	char msg[256];
	int rc = 0;

	if (o == NULL || !json_is_object(o)) {
		rc = fail("reply from %s is not a JSON object", path);
	} else if (e != NULL) {
		snprintf(msg, sizeof(msg), "%s",
		    json_is_string(e) ? json_string_value(e) : "failed");
		rc = fail("%s: %s", path, msg);
	} else if (!json_is_true(json_object_get(o, "ok"))) {
		rc = fail("reply from %s is not {\"ok\":true}", path);
	}
	json_decref(o);
	return rc;
}

/* One event line out: as is (json), or as text; a line this qurectl
 * cannot read (a newer qured's event) goes out as it came. */
static int
print_event(const char *line, size_t len, bool json)
{
	struct events_event ev;
	char text[512], err[128];

	if (json || events_from_json(line, len, &ev, err, sizeof(err)) == -1)
		printf("%.*s\n", (int)len, line);
	else {
		events_to_text(&ev, text, sizeof(text));
		printf("%s\n", text);
	}
	if (fflush(stdout) == EOF)
		return -1;
	return 0;
}

/* Handles every complete line in buf[0..*used); keeps the rest. */
static int
lines(const char *path, char *buf, size_t *used, bool json, bool *got_ok)
{
	char *start = buf, *nl;
	int rc;

	while ((nl = memchr(start, '\n', *used - (size_t)(start - buf)))) {
		if (!*got_ok) {
			if ((rc = first_line(
				 path, start, (size_t)(nl - start))) != 0)
				return rc;
			*got_ok = true;
		} else if (print_event(start, (size_t)(nl - start), json) ==
			   -1) {
			/* A reader that went away (| head): done. */
			return errno == EPIPE
				   ? QURECTL_WATCH_INTERRUPTED
				   : fail("cannot write to standard output: %s",
					 strerror(errno));
		}
		start = nl + 1;
	}
	*used -= (size_t)(start - buf);
	memmove(buf, start, *used);
	if (*used == WATCH_LINE_MAX)
		return fail("a line from %s is over 64 KiB", path);
	return -1; /* more to read */
}

static int
watch_loop(const char *path, int fd, bool json, char *buf)
{
	long long ok_by = (long long)clock_now_ms() + WATCH_OK_MS;
	struct pollfd pfd = {.fd = fd, .events = POLLIN};
	bool got_ok = false;
	size_t used = 0;
	ssize_t n;
	int rc, wait;

	for (;;) {
		if (stop_signal != 0)
			return QURECTL_WATCH_INTERRUPTED;
		wait = got_ok ? -1 : (int)(ok_by - (long long)clock_now_ms());
		if (!got_ok && wait <= 0)
			return fail("no reply from %s within 5 s", path);
		if (poll(&pfd, 1, wait) == -1) {
			if (errno == EINTR)
				continue;
			return fail("poll: %s", strerror(errno));
		}
		n = read(fd, buf + used, WATCH_LINE_MAX - used);
		if (n == -1 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n == -1)
			return fail(
			    "cannot read from %s: %s", path, strerror(errno));
		if (n == 0) {
			if (!got_ok)
				return fail("%s closed the connection without "
					    "a reply",
				    path);
			fail("%s closed the stream (qured stopped, or "
			     "dropped this watcher for not reading)",
			    path);
			return QURECTL_WATCH_CLOSED;
		}
		used += (size_t)n;
		if ((rc = lines(path, buf, &used, json, &got_ok)) != -1)
			return rc;
	}
}

int
qurectl_watch(const char *path, bool json)
{
	char *buf = malloc(WATCH_LINE_MAX), err[512];
	int fd, rc;

	if (buf == NULL)
		return fail("out of memory");
	catch_signals();
	setvbuf(stdout, NULL, _IOLBF, 0);
	fd = watch_connect(path, err, sizeof(err));
	if (fd == -1) {
		rc = fail("%s", err);
	} else {
		rc = watch_loop(path, fd, json, buf);
		close(fd);
	}
	free(buf);
	return rc;
}
