/*
 * src/sdnotify.c — Type=notify: READY, STATUS, WATCHDOG and STOPPING
 * (src/sdnotify.h).
 */
#include "config.h"

#include "src/sdnotify.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <systemd/sd-daemon.h>

#include "base/log.h"
#include "base/xmalloc.h"
#include "src/status.h"

/* How often the summary is looked at: a change reaches `systemctl
 * status` within this, and a snapshot costs next to nothing. */
#define SDNOTIFY_POLL_MS 500
#define SDNOTIFY_LINE 256

struct sdnotify {
	sdnotify_status_fn *fn;
	void *arg;
	struct event *ev_poll;
	struct event *ev_dog; /* NULL: no watchdog */
	char last[SDNOTIFY_LINE];
};

void
sdnotify_status_line(const struct status *st, char *buf, size_t len)
{
	size_t n = st->n_members + 1; /* the list leaves this member out */
	const char *unit = n == 1 ? "member" : "members";

	if (strcmp(st->node.state, "unconfigured") == 0)
		snprintf(buf, len, "unconfigured: %s", st->unconfigured);
	else if (strcmp(st->node.state, "holder") == 0)
		snprintf(buf, len, "holder of %s, epoch %llu, %zu %s",
		    st->dmz.address[0] != '\0' ? st->dmz.address
					       : st->dmz.address6,
		    (unsigned long long)st->epoch, n, unit);
	else if (st->holder.present)
		snprintf(buf, len, "%s, holder %s, epoch %llu, %zu %s",
		    st->node.state, st->holder.name,
		    (unsigned long long)st->epoch, n, unit);
	else
		snprintf(buf, len, "%s, no holder, epoch %llu, %zu %s",
		    st->node.state, (unsigned long long)st->epoch, n, unit);
}

/* "STATUS=..." when the summary changed; first: READY=1 with it. */
static void
say_status(struct sdnotify *sn, bool ready)
{
	struct status *st = xcalloc(1, sizeof(*st));
	char line[SDNOTIFY_LINE], msg[SDNOTIFY_LINE + 32];

	sn->fn(sn->arg, st);
	sdnotify_status_line(st, line, sizeof(line));
	free(st);
	if (!ready && strcmp(line, sn->last) == 0)
		return;
	snprintf(sn->last, sizeof(sn->last), "%s", line);
	snprintf(
	    msg, sizeof(msg), "%sSTATUS=%s", ready ? "READY=1\n" : "", line);
	if (sd_notify(0, msg) < 0)
		log_debug("sdnotify: cannot send %s", msg);
}

static void
poll_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	say_status(arg, false);
}

static void
dog_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	(void)sd_notify(0, "WATCHDOG=1");
}

static struct event *
every(struct event_base *base, uint64_t usec, event_callback_fn cb, void *arg)
{
	struct timeval tv = {
	    (time_t)(usec / 1000000), (suseconds_t)(usec % 1000000)};
	struct event *ev = event_new(base, -1, EV_PERSIST, cb, arg);

	if (ev != NULL && event_add(ev, &tv) == -1) {
		event_free(ev);
		return NULL;
	}
	return ev;
}

struct sdnotify *
sdnotify_new(struct event_base *base, sdnotify_status_fn *fn, void *arg)
{
	struct sdnotify *sn;
	uint64_t usec = 0;
	const char *sock = getenv("NOTIFY_SOCKET");

	if (sock == NULL || sock[0] == '\0')
		return NULL;
	sn = xcalloc(1, sizeof(*sn));
	sn->fn = fn;
	sn->arg = arg;
	sn->ev_poll = every(base, SDNOTIFY_POLL_MS * 1000, poll_cb, sn);
	/* Half the timeout, as sd_watchdog_enabled(3) advises: one late
	 * pet is not yet a kill. */
	if (sd_watchdog_enabled(0, &usec) > 0 && usec > 0) {
		sn->ev_dog = every(base, usec / 2, dog_cb, sn);
		if (sn->ev_dog == NULL)
			log_warnx("sdnotify: cannot arm the watchdog timer");
		else
			log_info("sdnotify: petting the watchdog every %llu ms",
			    (unsigned long long)(usec / 2000));
	}
	if (sn->ev_poll == NULL)
		log_warnx("sdnotify: cannot arm the status timer");
	say_status(sn, true);
	if (sn->ev_dog != NULL)
		(void)sd_notify(0, "WATCHDOG=1");
	return sn;
}

void
sdnotify_stopping(struct sdnotify *sn)
{
	if (sn == NULL)
		return;
	(void)sd_notify(0, "STOPPING=1\nSTATUS=stopping");
	if (sn->ev_poll != NULL)
		event_free(sn->ev_poll);
	sn->ev_poll = NULL;
}

void
sdnotify_free(struct sdnotify *sn)
{
	if (sn == NULL)
		return;
	if (sn->ev_poll != NULL)
		event_free(sn->ev_poll);
	if (sn->ev_dog != NULL)
		event_free(sn->ev_dog);
	free(sn);
}
