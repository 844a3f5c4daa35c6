#ifndef QURE_LOG_H
#define QURE_LOG_H

/*
 * The daemons' one logging API (doc/style.md §5). Before log_init() and in
 * the foreground, lines go to stderr as "qured: ..." (after it, the ident's
 * name: "qure-hostd: ..."); else to syslog with LOG_DAEMON. Lines are lower
 * case, no period, no trailing newline.
 */

#include <stdnoreturn.h>

/*
 * Chooses the destination: foreground != 0 logs to stderr with a
 * "qured: " prefix, else openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON).
 * verbose != 0 lets log_debug() through. ident is kept (pass a literal or
 * a string that lives as long as the process); NULL means "qured".
 * May be called again (e.g. after daemonising).
 */
void log_init(int foreground, int verbose, const char *ident);

/* Appends ": strerror(errno)" (errno as on entry). LOG_WARNING. */
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Like log_warn without the errno text. */
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* State changes an operator cares about. LOG_INFO. */
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Per-packet detail; dropped unless verbose. LOG_DEBUG. */
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Logs at LOG_CRIT (fatal adds strerror(errno)) and exits 1. */
noreturn void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
noreturn void fatalx(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

#endif
