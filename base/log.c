#include "config.h"

#include "base/log.h"

#include "base/clock.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

/*
 * Logging state is process-wide by nature (one stderr, one syslog
 * connection); these are the only globals of base/log.c.
 */
static int log_foreground = 1;
static int log_verbose;
static int log_stamp; /* QURE_LOG_STAMP=1: epoch ms before each line */
static const char *log_ident = "qured"; /* the stderr prefix too */

void
log_init(int foreground, int verbose, const char *ident)
{
	log_foreground = foreground;
	log_verbose = verbose;
	if (ident != NULL)
		log_ident = ident;
	/* Test beds line the daemons' logs up with their fault schedules
	 * (tests/chaos); journald and syslog stamp lines themselves. */
	log_stamp = foreground && getenv("QURE_LOG_STAMP") != NULL &&
		    strcmp(getenv("QURE_LOG_STAMP"), "1") == 0;
	if (!foreground)
		openlog(log_ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

/* Renders one line and sends it; errnum != 0 appends its text. */
static void log_vemit(int pri, int errnum, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

static void
log_vemit(int pri, int errnum, const char *fmt, va_list ap)
{
	char line[1024];
	int n;

	n = vsnprintf(line, sizeof(line), fmt, ap);
	if (n < 0)
		snprintf(line, sizeof(line), "(unformattable log line)");
	if (errnum != 0) {
		size_t used = strlen(line);

		snprintf(
		    line + used, sizeof(line) - used, ": %s", strerror(errnum));
	}
	if (log_foreground && log_stamp) {
		fprintf(stderr, "%llu %s: %s\n",
		    (unsigned long long)clock_wall_ms(), log_ident, line);
		fflush(stderr);
	} else if (log_foreground) {
		fprintf(stderr, "%s: %s\n", log_ident, line);
		fflush(stderr);
	} else
		syslog(pri, "%s", line);
}

void
log_warn(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	log_vemit(LOG_WARNING, saved, fmt, ap);
	va_end(ap);
	errno = saved;
}

void
log_warnx(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	log_vemit(LOG_WARNING, 0, fmt, ap);
	va_end(ap);
	errno = saved;
}

void
log_info(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	log_vemit(LOG_INFO, 0, fmt, ap);
	va_end(ap);
	errno = saved;
}

void
log_debug(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	if (!log_verbose)
		return;
	va_start(ap, fmt);
	log_vemit(LOG_DEBUG, 0, fmt, ap);
	va_end(ap);
	errno = saved;
}

void
fatal(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	log_vemit(LOG_CRIT, saved, fmt, ap);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vemit(LOG_CRIT, 0, fmt, ap);
	va_end(ap);
	exit(1);
}
