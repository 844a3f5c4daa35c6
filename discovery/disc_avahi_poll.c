/*
 * discovery/disc_avahi_poll.c — an AvahiPoll on libevent: avahi-client's
 * D-Bus socket and timers become events on qured's one event_base
 * (doc/style.md §7: one loop, no threads). Debian builds no libevent
 * adapter, and upstream's arms a NULL timeout to fire at once where the
 * API says NULL disables it; this one follows the API (avahi-common/
 * watch.h):
 *
 *  - a watch is a persistent event on its fd for the events asked;
 *    watch_get_events() says what fired last, inside the callback;
 *  - a timeout is one-shot at an absolute gettimeofday() time (converted
 *    with avahi_age() to a delay, 0 if past); NULL disables it;
 *  - callbacks may free their own watch or timeout: nothing is touched
 *    after calling one.
 */
#include "config.h"

#include "discovery/disc_avahi.h"

#include <stdlib.h>

#include <avahi-common/timeval.h>
#include <avahi-common/watch.h>
#include <event2/event.h>

#include "base/xmalloc.h"

struct disc_avahi_poll {
	AvahiPoll api; /* first: api.userdata points back here anyway */
	struct event_base *base;
	size_t live; /* watches and timeouts not freed */
};

struct AvahiWatch {
	struct disc_avahi_poll *p;
	struct event *ev;
	int fd;
	AvahiWatchEvent want;
	AvahiWatchEvent fired; /* during the callback; 0 otherwise */
	AvahiWatchCallback cb;
	void *arg;
};

struct AvahiTimeout {
	struct disc_avahi_poll *p;
	struct event *ev;
	AvahiTimeoutCallback cb;
	void *arg;
};

/* ---- watches ---- */

static void
watch_cb(evutil_socket_t fd, short what, void *arg)
{
	AvahiWatch *w = arg;
	AvahiWatchEvent ev = 0;

	if (what & EV_READ)
		ev |= AVAHI_WATCH_IN;
	if (what & EV_WRITE)
		ev |= AVAHI_WATCH_OUT;
	w->fired = ev;
	/* May free w: the last thing done. */
	w->cb(w, (int)fd, ev, w->arg);
}

/*
 * ERR and HUP need not be asked for (poll(2) reports them anyway): a
 * hung-up fd reads as readable to libevent, and D-Bus then sees EOF.
 */
static short
ev_flags(AvahiWatchEvent e)
{
	short f = EV_PERSIST;

	if (e & (AVAHI_WATCH_IN | AVAHI_WATCH_ERR | AVAHI_WATCH_HUP))
		f |= EV_READ;
	if (e & AVAHI_WATCH_OUT)
		f |= EV_WRITE;
	return f;
}

static void
watch_arm(AvahiWatch *w)
{
	short f = ev_flags(w->want);

	event_del(w->ev);
	event_assign(w->ev, w->p->base, w->fd, f, watch_cb, w);
	if (f & (EV_READ | EV_WRITE))
		event_add(w->ev, NULL);
}

static AvahiWatch *
watch_new(const AvahiPoll *api, int fd, AvahiWatchEvent event,
    AvahiWatchCallback cb, void *arg)
{
	struct disc_avahi_poll *p = api->userdata;
	AvahiWatch *w = xcalloc(1, sizeof(*w));

	w->p = p;
	w->fd = fd;
	w->want = event;
	w->cb = cb;
	w->arg = arg;
	w->ev = xcalloc(1, event_get_struct_event_size());
	event_assign(w->ev, p->base, fd, EV_PERSIST, watch_cb, w);
	watch_arm(w);
	p->live++;
	return w;
}

static void
watch_update(AvahiWatch *w, AvahiWatchEvent event)
{
	w->want = event;
	watch_arm(w);
}

static AvahiWatchEvent
watch_get_events(AvahiWatch *w)
{
	return w->fired;
}

static void
watch_free(AvahiWatch *w)
{
	event_del(w->ev);
	free(w->ev);
	w->p->live--;
	free(w);
}

/* ---- timeouts ---- */

static void
timeout_cb(evutil_socket_t fd, short what, void *arg)
{
	AvahiTimeout *t = arg;

	(void)fd;
	(void)what;
	/* One-shot: disabled now until timeout_update(); may free t. */
	t->cb(t, t->arg);
}

static void
timeout_arm(AvahiTimeout *t, const struct timeval *tv)
{
	struct timeval in = {0, 0};
	AvahiUsec us;

	evtimer_del(t->ev);
	if (tv == NULL)
		return;	     /* disabled */
	us = -avahi_age(tv); /* avahi_age(): microseconds since tv */
	if (us > 0) {
		in.tv_sec = (time_t)(us / 1000000);
		in.tv_usec = (suseconds_t)(us % 1000000);
	}
	evtimer_add(t->ev, &in);
}

static AvahiTimeout *
timeout_new(const AvahiPoll *api, const struct timeval *tv,
    AvahiTimeoutCallback cb, void *arg)
{
	struct disc_avahi_poll *p = api->userdata;
	AvahiTimeout *t = xcalloc(1, sizeof(*t));

	t->p = p;
	t->cb = cb;
	t->arg = arg;
	t->ev = evtimer_new(p->base, timeout_cb, t);
	if (t->ev == NULL)
		abort(); /* allocation, as xmalloc would */
	timeout_arm(t, tv);
	p->live++;
	return t;
}

static void
timeout_update(AvahiTimeout *t, const struct timeval *tv)
{
	timeout_arm(t, tv);
}

static void
timeout_free(AvahiTimeout *t)
{
	event_free(t->ev);
	t->p->live--;
	free(t);
}

/* ---- the poll ---- */

struct disc_avahi_poll *
disc_avahi_poll_new(struct event_base *base)
{
	struct disc_avahi_poll *p = xcalloc(1, sizeof(*p));

	p->base = base;
	p->api.userdata = p;
	p->api.watch_new = watch_new;
	p->api.watch_update = watch_update;
	p->api.watch_get_events = watch_get_events;
	p->api.watch_free = watch_free;
	p->api.timeout_new = timeout_new;
	p->api.timeout_update = timeout_update;
	p->api.timeout_free = timeout_free;
	return p;
}

const struct AvahiPoll *
disc_avahi_poll_get(struct disc_avahi_poll *p)
{
	return &p->api;
}

size_t
disc_avahi_poll_live(const struct disc_avahi_poll *p)
{
	return p->live;
}

void
disc_avahi_poll_free(struct disc_avahi_poll *p)
{
	free(p);
}
