#ifndef QURE_SDNOTIFY_H
#define QURE_SDNOTIFY_H

/*
 * src/sdnotify.h — systemd's Type=notify for qured (sd_notify(3)).
 *
 * READY=1 once qured runs (the cluster started, or unconfigured in
 * [cluster] key-wait), STATUS= whenever the one-line summary changes
 * ("holder of 192.168.1.11/24, epoch 12, 3 members"), WATCHDOG=1 from a
 * timer on the loop every half of WATCHDOG_USEC (so a stuck loop is what
 * systemd sees), STOPPING=1 on the way out. Without NOTIFY_SOCKET every
 * call does nothing.
 */

#include <stddef.h>

struct event_base;
struct status;

/* Fills out (zeroed by the callee's caller) with a snapshot. */
typedef void sdnotify_status_fn(void *arg, struct status *out);

struct sdnotify;

/*
 * Says READY=1 with the first STATUS=, then looks at the status every
 * 500 ms and pets the watchdog if systemd asked for one. fn and arg are
 * kept; base is borrowed. Returns NULL when there is no NOTIFY_SOCKET
 * (nothing to do) or the timers cannot be made (logged).
 */
struct sdnotify *sdnotify_new(
    struct event_base *base, sdnotify_status_fn *fn, void *arg);

/* STOPPING=1 (a signal came: qured resigns and leaves); no STATUS=
 * after it. The watchdog is still petted. NULL does nothing. */
void sdnotify_stopping(struct sdnotify *);

/* The timers go. NULL does nothing. */
void sdnotify_free(struct sdnotify *);

/*
 * The one-line summary of st into buf (len bytes): "holder of
 * 192.168.1.11/24, epoch 12, 3 members", "standby, holder h1, epoch 12,
 * 3 members", "unconfigured: REASON". Pure.
 */
void sdnotify_status_line(const struct status *st, char *buf, size_t len);

#endif
