/*
 * store/settings.h — the site settings (issue 11 item 1): a small set of
 * "section.key = value" entries that every member holds in full,
 * versioned so that any two members that have seen the same entries hold
 * the same values, whatever the order they saw them in. A pure core: no
 * I/O, no clock; it allocates (a value at a time) and nothing else.
 *
 * A version is (epoch, counter, origin), compared in that order; the
 * highest wins. The counter is a Lamport clock: a set takes one more
 * than the highest counter this member has seen, so a set made after
 * seeing a value always replaces it; two sets of one key made at once on
 * two members are ordered by their origins (node ids). An unset is an
 * entry too (a tombstone, kept), so that it spreads like a set. When
 * the set is full, a new key takes the place of the oldest tombstone:
 * a member that missed that unset and comes back after the set filled
 * may bring the old value back (the price of a bounded set).
 */
#ifndef QURE_STORE_SETTINGS_H
#define QURE_STORE_SETTINGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SETTINGS_MAX 512	/* entries, tombstones included */
#define SETTINGS_KEY_MAX 63	/* bytes, "section.key" */
#define SETTINGS_VALUE_MAX 1024 /* bytes */
#define SETTINGS_RANGES 16	/* digest ranges of the pull */
/* No counter above: a peer's entry beyond it is malformed (2^62 sets
 * are never made), so a set always has a higher one to take. */
#define SETTINGS_COUNTER_MAX (UINT64_C(1) << 62)

struct settings; /* opaque */

struct settings_version {
	uint64_t epoch;
	uint64_t counter;
	uint64_t origin; /* the node id that made it */
};

struct settings_entry {
	char key[SETTINGS_KEY_MAX + 1];
	const char *value; /* NULL: unset (a tombstone) */
	size_t value_len;
	struct settings_version ver;
};

enum settings_err {
	SETTINGS_OK = 0,
	SETTINGS_E_KEY,	  /* not section.key of [a-z0-9_-] segments */
	SETTINGS_E_VALUE, /* over 1 KiB, or a control byte */
	SETTINGS_E_FULL,  /* a new key beyond SETTINGS_MAX live ones */
	SETTINGS_E_OLDER, /* a merge no newer than what we hold */
	SETTINGS_E_WIRE,  /* an encoded entry that does not parse */
	SETTINGS_E_SPENT, /* the counter is at SETTINGS_COUNTER_MAX */
};

struct settings *settings_new(void);
void settings_free(struct settings *);

/* What an error means, for a log line or a reply ("key: ..."). */
const char *settings_strerror(enum settings_err);

/* Whether key / value (len bytes) may be stored. */
enum settings_err settings_check_key(const char *key);
enum settings_err settings_check_value(const char *value, size_t len);

/*
 * Sets (value != NULL) or unsets key here, as node origin in cluster
 * epoch: a new version above every one seen. The version made goes to
 * *ver when ver != NULL.
 */
enum settings_err settings_set(struct settings *, const char *key,
    const char *value, size_t len, uint64_t origin, uint64_t epoch,
    struct settings_version *ver);

/* Takes in an entry heard from a peer or read back from disk: kept when
 * newer than ours (SETTINGS_OK), else SETTINGS_E_OLDER. */
enum settings_err settings_merge(
    struct settings *, const struct settings_entry *);

/* The entry of key, tombstones included, or NULL. */
const struct settings_entry *settings_find(
    const struct settings *, const char *key);

/* Entries, in key order: i < settings_count(). */
size_t settings_count(const struct settings *);
const struct settings_entry *settings_at(const struct settings *, size_t i);

/* Order of versions: < 0, 0, > 0. */
int settings_version_cmp(
    const struct settings_version *, const struct settings_version *);

/*
 * Digests: equal sets give equal digests whatever the order of their
 * making. The whole set's goes in each HELLO; when a peer's differs, the
 * range digests tell which entries to send (settings_range_of()).
 */
uint64_t settings_digest(const struct settings *);
void settings_range_digests(
    const struct settings *, uint64_t out[SETTINGS_RANGES]);
size_t settings_range_of(const char *key);

/*
 * An entry on the wire (in a STATE message) and on disk: key length,
 * key, epoch, counter, origin, flags (1: unset), value length, value;
 * integers big-endian. encode returns the length, or 0 if buf is short;
 * decode checks the key and value as a set would; out->value then
 * points into buf (not terminated: value_len bytes).
 */
#define SETTINGS_WIRE_MAX                                                      \
	(1 + SETTINGS_KEY_MAX + 24 + 1 + 2 + SETTINGS_VALUE_MAX)
size_t settings_entry_encode(
    const struct settings_entry *, uint8_t *buf, size_t len);
enum settings_err settings_entry_decode(
    const uint8_t *buf, size_t len, struct settings_entry *out, size_t *used);

/*
 * The pull's answer: entries of the ranges whose digest differs from
 * theirs, packed back to back into buf (up to len bytes, whole entries
 * only), in key order from the cursor on. The cursor (zeroed at first)
 * remembers where a full buffer stopped, so that the next call goes on
 * from there and every entry gets its turn however many a range holds;
 * it wraps to the first key after the last. Returns the bytes packed; 0:
 * no entry of ours is in a range that differs. len must hold the
 * largest entry (SETTINGS_WIRE_MAX).
 */
struct settings_cursor {
	char after[SETTINGS_KEY_MAX + 1]; /* "": from the first key */
};
size_t settings_pack(const struct settings *,
    const uint64_t theirs[SETTINGS_RANGES], struct settings_cursor *,
    uint8_t *buf, size_t len);

/*
 * Merges every entry of buf (len bytes, as packed). Returns how many
 * were newer and kept; *bad counts those that did not parse (the rest
 * of buf is then skipped) or were refused (full).
 */
size_t settings_unpack(
    struct settings *, const uint8_t *buf, size_t len, size_t *bad);

#endif
