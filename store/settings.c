/*
 * store/settings.c — the site settings (store/settings.h).
 */
#include "config.h"

#include "store/settings.h"

#include <stdlib.h>
#include <string.h>

#include "store/store_int.h"

struct settings {
	/* By key, ascending; grown as keys come (most sites have a few: a
	 * full array would be 52 KiB of every qured's memory). */
	struct settings_entry *e;
	size_t cap;
	size_t n;
	uint64_t max_counter; /* the highest counter seen: the Lamport clock */
};

struct settings *
settings_new(void)
{
	return calloc(1, sizeof(struct settings));
}

void
settings_free(struct settings *s)
{
	size_t i;

	if (s == NULL)
		return;
	for (i = 0; i < s->n; i++)
		free((char *)s->e[i].value);
	free(s->e);
	free(s);
}

const char *
settings_strerror(enum settings_err err)
{
	switch (err) {
	case SETTINGS_OK:
		return "ok";
	case SETTINGS_E_KEY:
		return "a key is section.name: up to 63 bytes of a-z, 0-9, "
		       "'_' and '-' in dot-separated parts";
	case SETTINGS_E_VALUE:
		return "a value is up to 1024 bytes without control "
		       "characters";
	case SETTINGS_E_FULL:
		return "the site settings are full (512 keys, unset ones "
		       "included)";
	case SETTINGS_E_OLDER:
		return "an older version than the one held";
	case SETTINGS_E_WIRE:
		return "a malformed settings entry";
	case SETTINGS_E_SPENT:
		return "the settings' version counter is spent";
	}
	return "unknown settings error";
}

static bool
key_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
	       c == '-';
}

enum settings_err
settings_check_key(const char *key)
{
	size_t i, part = 0, dots = 0;

	for (i = 0; key[i] != '\0'; i++) {
		if (i >= SETTINGS_KEY_MAX)
			return SETTINGS_E_KEY;
		if (key[i] == '.') {
			if (part == 0)
				return SETTINGS_E_KEY;
			dots++;
			part = 0;
		} else if (key_char(key[i]))
			part++;
		else
			return SETTINGS_E_KEY;
	}
	return dots > 0 && part > 0 ? SETTINGS_OK : SETTINGS_E_KEY;
}

enum settings_err
settings_check_value(const char *value, size_t len)
{
	size_t i;

	if (len > SETTINGS_VALUE_MAX)
		return SETTINGS_E_VALUE;
	for (i = 0; i < len; i++)
		if ((unsigned char)value[i] < 0x20 ||
		    (unsigned char)value[i] == 0x7f)
			return SETTINGS_E_VALUE;
	return SETTINGS_OK;
}

int
settings_version_cmp(
    const struct settings_version *a, const struct settings_version *b)
{
	if (a->epoch != b->epoch)
		return a->epoch < b->epoch ? -1 : 1;
	if (a->counter != b->counter)
		return a->counter < b->counter ? -1 : 1;
	if (a->origin != b->origin)
		return a->origin < b->origin ? -1 : 1;
	return 0;
}

/* Where key is, or would go: *found says which. */
static size_t
slot_of(const struct settings *s, const char *key, bool *found)
{
	size_t lo = 0, hi = s->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(s->e[mid].key, key);

		if (c == 0) {
			*found = true;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = false;
	return lo;
}

const struct settings_entry *
settings_find(const struct settings *s, const char *key)
{
	bool found;
	size_t i = slot_of(s, key, &found);

	return found ? &s->e[i] : NULL;
}

size_t
settings_count(const struct settings *s)
{
	return s->n;
}

const struct settings_entry *
settings_at(const struct settings *s, size_t i)
{
	return i < s->n ? &s->e[i] : NULL;
}

/* A copy of value, terminated (for the edge's printing), or NULL. */
static char *
copy_value(const char *value, size_t len)
{
	char *v;

	if (value == NULL)
		return NULL;
	v = malloc(len + 1);
	if (v == NULL)
		abort(); /* doc/style.md §4: allocation failure aborts */
	memcpy(v, value, len);
	v[len] = '\0';
	return v;
}

/* The index of the oldest tombstone, or s->n when there is none. */
static size_t
oldest_tombstone(const struct settings *s)
{
	size_t i, oldest = s->n;

	for (i = 0; i < s->n; i++) {
		if (s->e[i].value != NULL)
			continue;
		if (oldest == s->n ||
		    settings_version_cmp(&s->e[i].ver, &s->e[oldest].ver) < 0)
			oldest = i;
	}
	return oldest;
}

/*
 * A full set takes a new key e by dropping its oldest tombstone; live
 * entries are never dropped. Every member keeps the same entries of a
 * full set, whatever order it heard them in: the live ones and the
 * newest tombstones, so digests still converge. A tombstone older than
 * all we keep is itself the one dropped (SETTINGS_E_OLDER: not an error
 * of the peer's).
 */
static enum settings_err
make_room(struct settings *s, const struct settings_entry *e)
{
	size_t t = oldest_tombstone(s);

	if (t == s->n)
		return SETTINGS_E_FULL;
	if (e->value == NULL &&
	    settings_version_cmp(&e->ver, &s->e[t].ver) <= 0)
		return SETTINGS_E_OLDER;
	free((char *)s->e[t].value);
	memmove(&s->e[t], &s->e[t + 1], (s->n - t - 1) * sizeof(s->e[0]));
	s->n--;
	return SETTINGS_OK;
}

/* Room for one more entry (n < SETTINGS_MAX: the caller made sure). */
static void
grow(struct settings *s)
{
	size_t cap;
	struct settings_entry *e;

	if (s->n < s->cap)
		return;
	cap = s->cap ? 2 * s->cap : 8;
	if (cap > SETTINGS_MAX)
		cap = SETTINGS_MAX;
	e = realloc(s->e, cap * sizeof(*e));
	if (e == NULL)
		abort(); /* doc/style.md §4: allocation failure aborts */
	s->e = e;
	s->cap = cap;
}

/* Stores e (already checked) over the slot of its key, or in a new one. */
static enum settings_err
store(struct settings *s, const struct settings_entry *e)
{
	bool found;
	size_t i = slot_of(s, e->key, &found);
	struct settings_entry *d;

	if (found && settings_version_cmp(&e->ver, &s->e[i].ver) <= 0)
		return SETTINGS_E_OLDER;
	if (!found && s->n == SETTINGS_MAX) {
		enum settings_err err = make_room(s, e);

		if (err != SETTINGS_OK)
			return err;
		i = slot_of(s, e->key, &found);
	}
	if (!found) {
		grow(s);
		memmove(&s->e[i + 1], &s->e[i], (s->n - i) * sizeof(s->e[0]));
		s->n++;
		memset(&s->e[i], 0, sizeof(s->e[i]));
	}
	d = &s->e[i];
	free((char *)d->value);
	memcpy(d->key, e->key, sizeof(d->key));
	d->value = copy_value(e->value, e->value_len);
	d->value_len = e->value == NULL ? 0 : e->value_len;
	d->ver = e->ver;
	if (e->ver.counter > s->max_counter)
		s->max_counter = e->ver.counter;
	return SETTINGS_OK;
}

static enum settings_err
check_entry(const struct settings_entry *e)
{
	if (e->ver.counter > SETTINGS_COUNTER_MAX)
		return SETTINGS_E_WIRE;
	if (memchr(e->key, '\0', sizeof(e->key)) == NULL ||
	    settings_check_key(e->key) != SETTINGS_OK)
		return SETTINGS_E_KEY;
	if (e->value != NULL &&
	    settings_check_value(e->value, e->value_len) != SETTINGS_OK)
		return SETTINGS_E_VALUE;
	return SETTINGS_OK;
}

enum settings_err
settings_set(struct settings *s, const char *key, const char *value, size_t len,
    uint64_t origin, uint64_t epoch, struct settings_version *ver)
{
	struct settings_entry e = {.value = value, .value_len = len};
	const struct settings_entry *old;
	enum settings_err err;

	if (strlen(key) > SETTINGS_KEY_MAX)
		return SETTINGS_E_KEY;
	memcpy(e.key, key, strlen(key) + 1);
	if ((err = check_entry(&e)) != SETTINGS_OK)
		return err;
	/* Above every version seen, this key's included (its epoch may be
	 * higher than ours: a member that restarted on an old state). */
	e.ver.epoch = epoch;
	old = settings_find(s, key);
	if (old != NULL && old->ver.epoch > epoch)
		e.ver.epoch = old->ver.epoch;
	if (s->max_counter >= SETTINGS_COUNTER_MAX)
		return SETTINGS_E_SPENT;
	e.ver.counter = s->max_counter + 1;
	e.ver.origin = origin;
	if ((err = store(s, &e)) == SETTINGS_OK && ver != NULL)
		*ver = e.ver;
	return err;
}

enum settings_err
settings_merge(struct settings *s, const struct settings_entry *e)
{
	enum settings_err err = check_entry(e);

	return err != SETTINGS_OK ? err : store(s, e);
}

/* FNV-1a of the key, mixed. */
static uint64_t
key_hash(const char *key)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (; *key != '\0'; key++)
		h = (h ^ (unsigned char)*key) * 0x100000001b3ULL;
	return store_mix64(h);
}

size_t
settings_range_of(const char *key)
{
	return (size_t)(key_hash(key) % SETTINGS_RANGES);
}

/* One entry's share of a digest: its key and version (the value is
 * fixed by them: one origin makes one value per counter). */
static uint64_t
entry_digest(const struct settings_entry *e)
{
	uint64_t h = key_hash(e->key);

	h = store_mix64(h ^ e->ver.epoch);
	h = store_mix64(h ^ e->ver.counter);
	return store_mix64(h ^ e->ver.origin);
}

uint64_t
settings_digest(const struct settings *s)
{
	uint64_t d = 0;
	size_t i;

	for (i = 0; i < s->n; i++)
		d ^= entry_digest(&s->e[i]);
	return d;
}

void
settings_range_digests(const struct settings *s, uint64_t out[SETTINGS_RANGES])
{
	size_t i;

	memset(out, 0, SETTINGS_RANGES * sizeof(out[0]));
	for (i = 0; i < s->n; i++)
		out[settings_range_of(s->e[i].key)] ^= entry_digest(&s->e[i]);
}

static void
put64(uint8_t *p, uint64_t v)
{
	int i;

	for (i = 7; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

static uint64_t
get64(const uint8_t *p)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

size_t
settings_entry_encode(const struct settings_entry *e, uint8_t *buf, size_t len)
{
	size_t klen = strlen(e->key), vlen = e->value ? e->value_len : 0;
	size_t need = 1 + klen + 24 + 1 + 2 + vlen;
	uint8_t *p = buf;

	if (need > len || klen > SETTINGS_KEY_MAX || vlen > SETTINGS_VALUE_MAX)
		return 0;
	*p++ = (uint8_t)klen;
	memcpy(p, e->key, klen);
	p += klen;
	put64(p, e->ver.epoch);
	put64(p + 8, e->ver.counter);
	put64(p + 16, e->ver.origin);
	p += 24;
	*p++ = e->value == NULL ? 1 : 0;
	*p++ = (uint8_t)(vlen >> 8);
	*p++ = (uint8_t)vlen;
	if (vlen > 0)
		memcpy(p, e->value, vlen);
	return need;
}

enum settings_err
settings_entry_decode(
    const uint8_t *buf, size_t len, struct settings_entry *out, size_t *used)
{
	size_t klen, vlen, off;
	uint8_t flags;

	memset(out, 0, sizeof(*out));
	if (len < 1 || (klen = buf[0]) == 0 || klen > SETTINGS_KEY_MAX ||
	    len < 1 + klen + 24 + 3)
		return SETTINGS_E_WIRE;
	memcpy(out->key, buf + 1, klen);
	if (memchr(out->key, '\0', klen) != NULL)
		return SETTINGS_E_WIRE;
	off = 1 + klen;
	out->ver.epoch = get64(buf + off);
	out->ver.counter = get64(buf + off + 8);
	out->ver.origin = get64(buf + off + 16);
	off += 24;
	flags = buf[off++];
	vlen = (size_t)buf[off] << 8 | buf[off + 1];
	off += 2;
	if (flags > 1 || (flags == 1 && vlen != 0) || vlen > len - off)
		return SETTINGS_E_WIRE;
	out->value = flags == 1 ? NULL : (const char *)buf + off;
	out->value_len = vlen;
	if (check_entry(out) != SETTINGS_OK)
		return SETTINGS_E_WIRE;
	*used = off + vlen;
	return SETTINGS_OK;
}

size_t
settings_pack(const struct settings *s, const uint64_t theirs[SETTINGS_RANGES],
    struct settings_cursor *cur, uint8_t *buf, size_t len)
{
	uint64_t ours[SETTINGS_RANGES];
	size_t i, start = 0, used = 0, n;
	bool found;

	settings_range_digests(s, ours);
	if (cur->after[0] != '\0') {
		start = slot_of(s, cur->after, &found);
		start += found; /* after it */
	}
	for (i = start; i < s->n || (used == 0 && start > 0); i++) {
		if (i == s->n) { /* nothing after the cursor: wrap once */
			i = 0;
			start = 0;
		}
		if (ours[settings_range_of(s->e[i].key)] ==
		    theirs[settings_range_of(s->e[i].key)])
			continue;
		n = settings_entry_encode(&s->e[i], buf + used, len - used);
		if (n == 0) { /* full: the next call goes on from here */
			if (i > 0)
				memcpy(cur->after, s->e[i - 1].key,
				    sizeof(cur->after));
			else
				cur->after[0] = '\0';
			return used;
		}
		used += n;
	}
	cur->after[0] = '\0'; /* the end: the next call starts over */
	return used;
}

size_t
settings_unpack(struct settings *s, const uint8_t *buf, size_t len, size_t *bad)
{
	struct settings_entry e;
	size_t off = 0, used, kept = 0;
	enum settings_err err;

	*bad = 0;
	while (off < len) {
		if (settings_entry_decode(buf + off, len - off, &e, &used) !=
		    SETTINGS_OK) {
			(*bad)++;
			break;
		}
		off += used;
		err = settings_merge(s, &e);
		if (err == SETTINGS_OK)
			kept++;
		else if (err != SETTINGS_E_OLDER)
			(*bad)++;
	}
	return kept;
}
