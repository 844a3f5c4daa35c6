#ifndef QURE_METRICS_H
#define QURE_METRICS_H

/*
 * src/metrics.h — the status snapshot (src/status.h) in the Prometheus
 * text exposition format, version 0.0.4 (issue 14 item 1): what
 * `qurectl metrics` prints and GET /metrics of the [http] listener
 * (src/http.h) answers, the same bytes from the same struct. Pure: no
 * clock, no sockets, no allocation beyond what fp does.
 *
 * Every family has its HELP and TYPE lines and the qure_ prefix;
 * durations are in seconds, counters end in _total, label values are
 * escaped (backslash, double quote, newline) and made valid UTF-8.
 * Families of a part that is off ([dns], [cloud], [dmz] check, [store])
 * are left out.
 */

#include <stdio.h>

struct status;

/* The content type of what metrics_write() writes. */
#define METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/*
 * Writes the exposition of st to fp. Returns 0, or -1 if a write to fp
 * failed (errno set by stdio).
 */
int metrics_write(const struct status *st, FILE *fp);

/*
 * Writes s as a label value between double quotes: '\\', '"' and
 * newline escaped, any byte sequence that is not UTF-8 as '?'.
 */
void metrics_write_label(FILE *fp, const char *s);

#endif
