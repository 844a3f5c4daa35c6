/*
 * src/cluster.h — the edge of the election core: wires the core to the
 * UDP transport, netcfg (the address lease, ARP) and the clock, on one
 * libevent loop (doc/style.md §1).
 */
#ifndef QURE_CLUSTER_H
#define QURE_CLUSTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "src/conf.h"

struct conf;
struct event_base;
struct in_addr;
struct status;
struct coord_seen;

struct cluster;
struct events_event;
struct settings;

/*
 * Starts the cluster part of qured: state dir, interface, address, UDP,
 * election core. conf is copied; key is 32 bytes, copied and wiped by
 * the caller. NULL with a one-line reason in err.
 */
struct cluster *cluster_new(struct event_base *, const struct conf *,
    const uint8_t *key, char *err, size_t errlen);
void cluster_free(struct cluster *);

/*
 * Once the process is what it will stay (after daemon()): starts the
 * guard that drops the DMZ address the moment this process dies.
 */
void cluster_guard(struct cluster *);

/* SIGTERM: resign if holder, drop the address; then the loop may end. */
void cluster_shutdown(struct cluster *);

/* SIGHUP: applies what can change live, logs what needs a restart. */
void cluster_reload(struct cluster *, const struct conf *);

/*
 * This member's LAN address: its own IPv4 address on the cluster
 * interface in the DMZ address's subnet (the one its group datagrams
 * come from), never the DMZ address itself; without an IPv4 DMZ
 * address, its first. For the site cache's instances (src/redis_sup.h).
 * 0, or -1 if the interface has none now.
 */
int cluster_lan_addr(struct cluster *, struct in_addr *out);

/*
 * The site cache's membership (src/redis_coord.h): whether we hold the
 * DMZ address, and us (first) and the live members, each with its LAN
 * address (host order; 0 if unknown), its weight by strategy and
 * whether it is stopped. Returns how many went to seen (at most max).
 */
size_t cluster_store_input(struct cluster *, enum conf_store_strategy,
    bool *holding, struct coord_seen *seen, size_t max);

/* cb(arg) after every step of the election (the membership may have
 * changed). */
void cluster_on_step(struct cluster *, void (*cb)(void *), void *arg);

/*
 * cb(arg, ev) for every event of `qurectl watch` (src/events.h): this
 * member's state changes, members up and dead, the holder known and its
 * changes. ev is borrowed for the call; cb runs inside a step of the
 * election and must not call back into the cluster.
 */
typedef void cluster_event_cb(void *arg, const struct events_event *ev);
void cluster_on_event(struct cluster *, cluster_event_cb *cb, void *arg);

/* A snapshot for the control socket. */
void cluster_status(struct cluster *, struct status *out);
/* qurectl key rotate: send with the next key now (force: even while
 * members lack it). 0, or -1 with a one-line reason in err. */
int cluster_key_rotate(struct cluster *, bool force, char *err, size_t errlen);
/* status dmz.source: "config" (the default), "router" or "chosen"
 * ([dmz] address = auto, src/dmz_auto.h); a static string. */
void cluster_set_dmz_source(struct cluster *, const char *source);

/* qurectl config set|unset: value NULL unsets. 0, or -1 with err. */
int cluster_site_set(struct cluster *, const char *key, const char *value,
    char *err, size_t errlen);
/* The site settings (store/settings.h), for config get|list. */
const struct settings *cluster_site(const struct cluster *);
/* cb(arg) after the site settings changed (here or from a member). */
void cluster_on_site_change(struct cluster *, void (*cb)(void *), void *arg);

/* qurectl handover [NAME]; NULL: the best standby. 0, or -1 with err. */
int cluster_handover(
    struct cluster *, const char *name, char *err, size_t errlen);

#endif
