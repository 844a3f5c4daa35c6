/*
 * tests/fuzz/fuzz_store_settings.c — libFuzzer target of the site
 * settings' entry codec and merge (store/settings.c): a peer's STATE
 * message carries entries one after another. Each that decodes is
 * merged; every entry held must encode and decode back the same, the
 * set stay in key order and within SETTINGS_MAX, and the range digests
 * make up the whole digest.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "store/settings.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_held(const struct settings *s)
{
	uint64_t d[SETTINGS_RANGES], x = 0;
	uint8_t buf[SETTINGS_WIRE_MAX];
	struct settings_entry back;
	size_t i, len, used;

	if (settings_count(s) > SETTINGS_MAX)
		abort();
	for (i = 0; i < settings_count(s); i++) {
		const struct settings_entry *e = settings_at(s, i);

		if (i > 0 && strcmp(settings_at(s, i - 1)->key, e->key) >= 0)
			abort();
		len = settings_entry_encode(e, buf, sizeof(buf));
		if (len == 0 ||
		    settings_entry_decode(buf, len, &back, &used) !=
			SETTINGS_OK ||
		    used != len || strcmp(back.key, e->key) != 0 ||
		    settings_version_cmp(&back.ver, &e->ver) != 0 ||
		    (back.value == NULL) != (e->value == NULL) ||
		    back.value_len != e->value_len ||
		    (e->value != NULL &&
			memcmp(back.value, e->value, e->value_len) != 0))
			abort();
	}
	settings_range_digests(s, d);
	for (i = 0; i < SETTINGS_RANGES; i++)
		x ^= d[i];
	if (x != settings_digest(s))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct settings *s = settings_new();
	struct settings_entry e;
	size_t off = 0, used;

	if (s == NULL)
		abort();
	while (off < size && settings_entry_decode(data + off, size - off, &e,
				 &used) == SETTINGS_OK) {
		(void)settings_merge(s, &e);
		off += used;
	}
	check_held(s);
	/* A set here must be newer than anything taken in. */
	if (settings_set(s, "app.fuzz", "x", 1, 1, 0, NULL) == SETTINGS_OK &&
	    strcmp(settings_find(s, "app.fuzz")->value, "x") != 0)
		abort();
	settings_free(s);
	return 0;
}
