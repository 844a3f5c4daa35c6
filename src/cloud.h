/*
 * src/cloud.h — the wiring of [cloud] to dns/dyndns.h: the config
 * translated, the status filled (issue 10 items 1 and 2). Kept out of
 * cluster.c, which calls these three.
 */
#ifndef QURE_SRC_CLOUD_H
#define QURE_SRC_CLOUD_H

#include <stddef.h>

struct conf;
struct dyndns;
struct event_base;
struct status;

/* NULL without [cloud] (err ""), or NULL with err when the settings
 * (the TSIG secret file) refuse a start. */
struct dyndns *cloud_open(
    struct event_base *base, const struct conf *conf, char *err, size_t errlen);

/* After a reload: a new dyndns when a [cloud] key changed (the old one
 * freed, its holding carried over; the caller sets its router seam,
 * dyndns_set_router, again); the old one if the new fails. */
struct dyndns *cloud_reload(struct dyndns *d, struct event_base *base,
    const struct conf *old, const struct conf *conf, int holding);

void cloud_status(const struct dyndns *d, struct status *out);

#endif
