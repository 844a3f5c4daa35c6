/*
 * discovery/disc_int.h — private to discovery/: the DNS-SD engine
 * (disc_avahi.c) that the helper process (disc_avahi_helper.c) runs.
 */
#ifndef QURE_DISC_INT_H
#define QURE_DISC_INT_H

#include "discovery/disc_avahi.h"

struct event_base;
struct disc_engine;

/*
 * Starts the engine on base (avahi-client through disc_avahi_poll): as
 * disc_avahi_new() describes, in the calling process. conf is copied;
 * base, cb and arg are kept.
 */
struct disc_engine *disc_engine_new(struct event_base *base,
    const struct disc_avahi_conf *conf, disc_avahi_peer_cb *cb, void *arg);
void disc_engine_free(struct disc_engine *);
void disc_engine_set_txt(struct disc_engine *, const struct disc_txt *);
void disc_engine_set_ifindex(struct disc_engine *, int ifindex);
enum disc_avahi_state disc_engine_get_state(const struct disc_engine *);
void disc_engine_get_stats(
    const struct disc_engine *, struct disc_avahi_stats *);

#endif
