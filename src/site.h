/*
 * src/site.h — the site settings in qured (issue 11 item 1): the pure
 * core store/settings.h, kept in the state dir (DIR/site) and in step
 * with the members over the cluster protocol's STATE messages
 * (doc/protocol.md, "Site settings"):
 *
 *  - a set here goes to the group at once, in a STATE of its own;
 *  - a member whose HELLO or HEARTBEAT says another digest is pulled (a
 *    STATE with our digest per range), at most once a heartbeat;
 *  - a pull is answered with the entries of the ranges that differ (one
 *    STATE, a cursor per member for the rest) and, when it carried no
 *    entries, a pull back, so that both sides end with the same set.
 *
 * The election carries the datagrams (its key, replay window and
 * membership); this file decides what they say. Writes of DIR/site run
 * in a short-lived child (doc/style.md §7: nothing blocks the loop).
 */
#ifndef QURE_SITE_H
#define QURE_SITE_H

#include <stddef.h>
#include <stdint.h>

#include "store/settings.h"

struct event_base;
struct elect_addr;
struct elect_id;
struct site;

/* Send a STATE to `to` (family 0: the group): entries (len may be 0)
 * and, when ranges is not NULL, a pull. */
typedef void site_send_cb(void *arg, const struct elect_addr *to,
    const uint8_t *entries, size_t len, const uint64_t *ranges);
/* The settings changed (here or from a member): digest and count for
 * the HELLOs, and whatever the daemon applies live. */
typedef void site_changed_cb(void *arg, uint64_t digest, uint16_t count);

/*
 * Loads DIR/site (missing: none yet; entries that do not parse are
 * logged once and left out). NULL with one line in err when the file
 * cannot be read. origin: this node's id (its first 8 bytes make the
 * versions' origin).
 */
struct site *site_new(struct event_base *, const char *dir,
    const struct elect_id *origin, site_send_cb *, site_changed_cb *, void *arg,
    char *err, size_t errlen);
void site_free(struct site *);

/* DIR/site's settings alone (settings_free() them), for the config at
 * start, before the cluster runs; NULL when it cannot be read. */
struct settings *site_peek(const char *dir);

const struct settings *site_settings(const struct site *);

/* Sets (value != NULL) or unsets key in cluster epoch, sends it to the
 * group, writes DIR/site. */
enum settings_err site_set(
    struct site *, const char *key, const char *value, uint64_t epoch);

/* ELECT_ACT_SITE_DIFFERS: peer at src says another digest. */
void site_on_differs(struct site *, const struct elect_id *peer,
    const struct elect_addr *src, uint64_t now_ms);

/* ELECT_ACT_SITE_STATE: peer at src sent entries (len may be 0) and,
 * when ranges is not NULL, a pull. */
void site_on_state(struct site *, const struct elect_id *peer,
    const struct elect_addr *src, const uint8_t *entries, size_t len,
    const uint64_t *ranges, uint64_t now_ms);

/* Counters for status: entries refused from members, writes failed. */
struct site_counters {
	uint64_t rx_bad;
	uint64_t write_failed;
};
void site_get_counters(const struct site *, struct site_counters *);

#endif
