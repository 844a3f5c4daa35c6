#ifndef QURE_QURECTL_WATCH_H
#define QURE_QURECTL_WATCH_H

/*
 * src/qurectl_watch.h — `qurectl watch [--json]` (issue 14): the events
 * of a running qured (src/events.h) as text lines, or the JSON lines as
 * qured sends them, until interrupted or qured closes the stream.
 */

#include <stdbool.h>

/* Exit statuses (qurectl(8)). */
#define QURECTL_WATCH_INTERRUPTED 0 /* SIGINT/SIGTERM, or stdout closed */
#define QURECTL_WATCH_FAILED 1	    /* no connection, refused, bad reply */
#define QURECTL_WATCH_CLOSED 3	    /* qured closed the stream */

/* Watches the qured at the control socket path; returns the exit
 * status. Sets SIGINT and SIGTERM to end the watch, ignores SIGPIPE. */
int qurectl_watch(const char *path, bool json);

#endif
