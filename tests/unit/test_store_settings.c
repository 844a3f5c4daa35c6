/*
 * tests/unit/test_store_settings.c — the site settings core
 * (store/settings.h): what a key and a value may be, the order of
 * versions, that replicas seeing the same entries in any order hold the
 * same values, and the entry codec with bad input.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "store/settings.h"

#define A 0xa1 /* node ids */
#define B 0xb2

static struct settings *
fresh(void)
{
	struct settings *s = settings_new();

	assert_non_null(s);
	return s;
}

static void
set(struct settings *s, const char *key, const char *value, uint64_t origin)
{
	assert_int_equal(settings_set(s, key, value, value ? strlen(value) : 0,
			     origin, 1, NULL),
	    SETTINGS_OK);
}

static const char *
value_of(const struct settings *s, const char *key)
{
	const struct settings_entry *e = settings_find(s, key);

	return e == NULL ? NULL : e->value;
}

/* Every entry of from merged into to (a full exchange one way). */
static void
send_all(const struct settings *from, struct settings *to)
{
	size_t i;

	for (i = 0; i < settings_count(from); i++)
		(void)settings_merge(to, settings_at(from, i));
}

static void
a_set_is_found_and_an_unset_leaves_a_tombstone(void **state)
{
	struct settings *s = fresh();
	const struct settings_entry *e;

	(void)state;
	set(s, "dmz.ports", "80,443", A);
	assert_string_equal(value_of(s, "dmz.ports"), "80,443");
	set(s, "dmz.ports", NULL, A);
	e = settings_find(s, "dmz.ports");
	assert_non_null(e);
	assert_null(e->value);
	assert_int_equal(settings_count(s), 1);
	assert_null(settings_find(s, "dmz.other"));
	settings_free(s);
}

static void
keys_are_section_dot_name(void **state)
{
	static const char *bad[] = {"", "nodot", ".a", "a.", "a..b", "A.b",
	    "app.Name", "a b.c", "a.b\n", "a/b.c", "\xc3\xa9.b"};
	char longest[SETTINGS_KEY_MAX + 2];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(settings_check_key(bad[i]), SETTINGS_E_KEY);
	assert_int_equal(settings_check_key("app.max-memory"), SETTINGS_OK);
	assert_int_equal(settings_check_key("store.memory"), SETTINGS_OK);
	assert_int_equal(settings_check_key("a.b.c_d"), SETTINGS_OK);
	memset(longest, 'k', sizeof(longest));
	longest[1] = '.';
	longest[SETTINGS_KEY_MAX] = '\0';
	assert_int_equal(settings_check_key(longest), SETTINGS_OK);
	longest[SETTINGS_KEY_MAX] = 'k';
	longest[SETTINGS_KEY_MAX + 1] = '\0';
	assert_int_equal(settings_check_key(longest), SETTINGS_E_KEY);
}

static void
values_are_a_kibibyte_without_control_bytes(void **state)
{
	char v[SETTINGS_VALUE_MAX + 1];
	struct settings *s = fresh();

	(void)state;
	memset(v, 'v', sizeof(v));
	assert_int_equal(
	    settings_check_value(v, SETTINGS_VALUE_MAX), SETTINGS_OK);
	assert_int_equal(
	    settings_check_value(v, SETTINGS_VALUE_MAX + 1), SETTINGS_E_VALUE);
	assert_int_equal(settings_check_value("a\tb", 3), SETTINGS_E_VALUE);
	assert_int_equal(settings_check_value("a\x7f", 2), SETTINGS_E_VALUE);
	assert_int_equal(settings_check_value("a\0b", 3), SETTINGS_E_VALUE);
	assert_int_equal(settings_check_value("caf\xc3\xa9", 5), SETTINGS_OK);
	assert_int_equal(settings_check_value("", 0), SETTINGS_OK);
	/* Refused, nothing stored. */
	assert_int_equal(settings_set(s, "app.x", v, sizeof(v), A, 1, NULL),
	    SETTINGS_E_VALUE);
	assert_int_equal(
	    settings_set(s, "bad", "v", 1, A, 1, NULL), SETTINGS_E_KEY);
	assert_int_equal(settings_count(s), 0);
	settings_free(s);
}

static void
a_full_set_refuses_new_keys_only(void **state)
{
	struct settings *s = fresh();
	char key[32];
	size_t i;

	(void)state;
	for (i = 0; i < SETTINGS_MAX; i++) {
		snprintf(key, sizeof(key), "app.k%zu", i);
		set(s, key, "v", A);
	}
	assert_int_equal(settings_set(s, "app.one-more", "v", 1, A, 1, NULL),
	    SETTINGS_E_FULL);
	set(s, "app.k7", "new", A);
	assert_string_equal(value_of(s, "app.k7"), "new");
	assert_int_equal(settings_count(s), SETTINGS_MAX);
	settings_free(s);
}

/* A full set of 511 live keys and one tombstone, oldest first. */
static struct settings *
full_with_one_tombstone(void)
{
	struct settings *s = fresh();
	char key[32];
	size_t i;

	for (i = 0; i < SETTINGS_MAX; i++) {
		snprintf(key, sizeof(key), "app.k%zu", i);
		set(s, key, "v", A);
	}
	set(s, "app.k3", NULL, A);
	return s;
}

static void
a_new_key_takes_the_place_of_the_oldest_tombstone(void **state)
{
	struct settings *s = full_with_one_tombstone();

	(void)state;
	set(s, "app.new", "v", A);
	assert_null(settings_find(s, "app.k3"));
	assert_string_equal(value_of(s, "app.new"), "v");
	assert_int_equal(settings_count(s), SETTINGS_MAX);
	/* Every entry live now: the next new key is refused. */
	assert_int_equal(
	    settings_set(s, "app.newer", "v", 1, A, 1, NULL), SETTINGS_E_FULL);
	/* Two tombstones: the older goes first. */
	set(s, "app.k9", NULL, A);
	set(s, "app.k1", NULL, A);
	set(s, "app.newer", "v", A);
	assert_null(settings_find(s, "app.k9"));
	assert_non_null(settings_find(s, "app.k1"));
	settings_free(s);
}

static void
a_full_set_drops_a_tombstone_older_than_its_own(void **state)
{
	struct settings *s = full_with_one_tombstone();
	struct settings_entry old = {.key = "app.gone", .ver = {1, 1, B}};
	struct settings_entry newer = {.key = "app.gone", .ver = {1, 9999, B}};

	(void)state;
	assert_int_equal(settings_merge(s, &old), SETTINGS_E_OLDER);
	assert_null(settings_find(s, "app.gone"));
	assert_non_null(settings_find(s, "app.k3"));
	assert_int_equal(settings_merge(s, &newer), SETTINGS_OK);
	assert_null(settings_find(s, "app.k3"));
	settings_free(s);
}

/* Members that made room at different times, and hear the entries in
 * other orders, keep the same ones: their digests agree. */
static void
full_sets_converge_whatever_the_order(void **state)
{
	struct settings *m1 = full_with_one_tombstone();
	struct settings *m2 = fresh(), *m3 = fresh(), *late = fresh();
	char key[32];
	size_t i, n;
	uint64_t seen_all;

	(void)state;
	for (i = 10; i < 20; i++) {
		snprintf(key, sizeof(key), "app.k%zu", i);
		set(m1, key, NULL, A);
	}
	send_all(m1, m2); /* m2: 11 tombstones */
	send_all(
	    m1, late); /* ...and a member that hears no more till the end */
	for (i = 0; i < 6; i++) {
		snprintf(key, sizeof(key), "app.n%zu", i);
		set(m1, key, "v", A); /* m1 drops the 6 oldest */
	}
	n = settings_count(m1);
	seen_all = settings_digest(m1);
	for (i = 0; i < n; i++)
		(void)settings_merge(m2, settings_at(m1, n - 1 - i));
	send_all(m2, m3);
	send_all(m1, m3);
	send_all(m2, m1);
	send_all(m3, m1);
	send_all(m1, m2);
	send_all(late, m1);
	send_all(late, m2);
	send_all(m1, late);
	/* m1 had seen everything: older news changed nothing there. */
	assert_int_equal(settings_digest(m1), seen_all);
	assert_int_equal(settings_digest(m2), seen_all);
	assert_int_equal(settings_digest(m3), seen_all);
	assert_int_equal(settings_digest(late), seen_all);
	assert_int_equal(settings_count(m3), SETTINGS_MAX);
	settings_free(late);
	settings_free(m1);
	settings_free(m2);
	settings_free(m3);
}

static void
a_set_made_after_seeing_a_value_replaces_it(void **state)
{
	struct settings *a = fresh(), *b = fresh();

	(void)state;
	set(b, "app.unrelated", "1", B); /* b's clock is ahead... */
	set(b, "app.more", "2", B);
	set(b, "cloud.name", "from-b", B);
	send_all(b, a);
	set(a, "cloud.name", "from-a", A); /* ...a has seen it: a wins */
	send_all(a, b);
	assert_string_equal(value_of(a, "cloud.name"), "from-a");
	assert_string_equal(value_of(b, "cloud.name"), "from-a");
	/* Though a's id is the lower. */
	assert_true(A < B);
	settings_free(a);
	settings_free(b);
}

static void
two_sets_at_once_end_with_one_value_everywhere(void **state)
{
	struct settings *a = fresh(), *b = fresh();

	(void)state;
	set(a, "dmz.ports", "80", A);
	set(b, "dmz.ports", "443", B);
	send_all(a, b);
	send_all(b, a);
	assert_string_equal(value_of(a, "dmz.ports"), value_of(b, "dmz.ports"));
	assert_string_equal(value_of(a, "dmz.ports"), "443"); /* higher id */
	assert_int_equal(settings_digest(a), settings_digest(b));
	settings_free(a);
	settings_free(b);
}

static void
an_older_or_equal_version_is_not_taken(void **state)
{
	struct settings *s = fresh();
	struct settings_entry e = {
	    .key = "app.k", .value = "old", .value_len = 3, .ver = {1, 5, A}};

	(void)state;
	assert_int_equal(settings_merge(s, &e), SETTINGS_OK);
	e.value = "same";
	e.value_len = 4;
	assert_int_equal(settings_merge(s, &e), SETTINGS_E_OLDER);
	e.ver.counter = 4;
	e.ver.epoch = 1;
	assert_int_equal(settings_merge(s, &e), SETTINGS_E_OLDER);
	assert_string_equal(value_of(s, "app.k"), "old");
	/* A higher epoch beats a higher counter. */
	e.ver.epoch = 2;
	e.ver.counter = 1;
	assert_int_equal(settings_merge(s, &e), SETTINGS_OK);
	assert_string_equal(value_of(s, "app.k"), "same");
	/* A set on a lower epoch (a member restarted on an old state) still
	 * wins over what it has seen. */
	assert_int_equal(
	    settings_set(s, "app.k", "mine", 4, A, 1, NULL), SETTINGS_OK);
	assert_string_equal(value_of(s, "app.k"), "mine");
	settings_free(s);
}

/* Three replicas take the same entries in three orders: one state. */
static void
replicas_agree_whatever_the_order(void **state)
{
	struct settings *src[3], *dst[3];
	uint64_t d[SETTINGS_RANGES], x = 0;
	size_t i, k;
	char key[16], val[16];

	(void)state;
	for (i = 0; i < 3; i++) {
		src[i] = fresh();
		dst[i] = fresh();
		for (k = 0; k < 40; k++) {
			snprintf(
			    key, sizeof(key), "app.k%zu", (k * 7 + i) % 50);
			snprintf(val, sizeof(val), "%zu-%zu", i, k);
			set(src[i], key, k % 9 == 0 ? NULL : val, A + i);
		}
	}
	for (i = 0; i < 3; i++)
		for (k = 0; k < 3; k++)
			send_all(src[(i + k) % 3], dst[i]);
	for (i = 1; i < 3; i++) {
		assert_int_equal(
		    settings_count(dst[i]), settings_count(dst[0]));
		assert_int_equal(
		    settings_digest(dst[i]), settings_digest(dst[0]));
		for (k = 0; k < settings_count(dst[0]); k++) {
			const struct settings_entry *e0 =
							settings_at(dst[0], k),
						    *ei =
							settings_at(dst[i], k);

			assert_string_equal(e0->key, ei->key);
			assert_true((e0->value == NULL) == (ei->value == NULL));
			if (e0->value != NULL)
				assert_string_equal(e0->value, ei->value);
		}
	}
	/* The ranges' digests make up the whole one. */
	settings_range_digests(dst[0], d);
	for (k = 0; k < SETTINGS_RANGES; k++)
		x ^= d[k];
	assert_int_equal(x, settings_digest(dst[0]));
	for (i = 0; i < 3; i++) {
		settings_free(src[i]);
		settings_free(dst[i]);
	}
}

static void
a_change_moves_the_digest_of_its_range_only(void **state)
{
	struct settings *s = fresh();
	uint64_t before[SETTINGS_RANGES], after[SETTINGS_RANGES];
	size_t r, k;

	(void)state;
	set(s, "app.a", "1", A);
	set(s, "app.b", "2", A);
	set(s, "app.c", "3", A);
	settings_range_digests(s, before);
	set(s, "app.b", "22", A);
	settings_range_digests(s, after);
	r = settings_range_of("app.b");
	for (k = 0; k < SETTINGS_RANGES; k++)
		if (k == r)
			assert_int_not_equal(before[k], after[k]);
		else
			assert_int_equal(before[k], after[k]);
	settings_free(s);
}

static void
an_entry_survives_the_wire(void **state)
{
	struct settings_entry e = {.key = "cloud.name",
				  .value = "home",
				  .value_len = 4,
				  .ver = {7, 0x0102030405060708ULL, B}},
			      t = {.key = "dmz.ports", .ver = {1, 2, A}}, out;
	uint8_t buf[SETTINGS_WIRE_MAX];
	size_t len, used;

	(void)state;
	len = settings_entry_encode(&e, buf, sizeof(buf));
	assert_int_equal(len, 1 + 10 + 24 + 3 + 4);
	assert_int_equal(
	    settings_entry_decode(buf, len, &out, &used), SETTINGS_OK);
	assert_int_equal(used, len);
	assert_string_equal(out.key, "cloud.name");
	assert_int_equal(out.value_len, 4);
	assert_memory_equal(out.value, "home", 4);
	assert_int_equal(settings_version_cmp(&out.ver, &e.ver), 0);
	/* A tombstone. */
	len = settings_entry_encode(&t, buf, sizeof(buf));
	assert_int_equal(
	    settings_entry_decode(buf, len, &out, &used), SETTINGS_OK);
	assert_null(out.value);
	/* Too short a buffer to encode into. */
	assert_int_equal(settings_entry_encode(&e, buf, 10), 0);
}

static void
a_bad_entry_is_refused_at_every_length(void **state)
{
	struct settings_entry e = {.key = "cloud.name",
				  .value = "home",
				  .value_len = 4,
				  .ver = {7, 8, B}},
			      out;
	uint8_t buf[SETTINGS_WIRE_MAX], bad[SETTINGS_WIRE_MAX];
	size_t len, cut, used;

	(void)state;
	len = settings_entry_encode(&e, buf, sizeof(buf));
	for (cut = 0; cut < len; cut++)
		assert_int_equal(settings_entry_decode(buf, cut, &out, &used),
		    SETTINGS_E_WIRE);
	memcpy(bad, buf, len);
	bad[1 + 10 + 24] = 2; /* flags */
	assert_int_equal(
	    settings_entry_decode(bad, len, &out, &used), SETTINGS_E_WIRE);
	memcpy(bad, buf, len);
	bad[1 + 10 + 24] = 1; /* a tombstone with a value */
	assert_int_equal(
	    settings_entry_decode(bad, len, &out, &used), SETTINGS_E_WIRE);
	memcpy(bad, buf, len);
	bad[3] = '\0'; /* a NUL in the key */
	assert_int_equal(
	    settings_entry_decode(bad, len, &out, &used), SETTINGS_E_WIRE);
	memcpy(bad, buf, len);
	bad[3] = 'U'; /* not a key */
	assert_int_equal(
	    settings_entry_decode(bad, len, &out, &used), SETTINGS_E_WIRE);
	memcpy(bad, buf, len);
	bad[len - 1] = '\n'; /* a control byte in the value */
	assert_int_equal(
	    settings_entry_decode(bad, len, &out, &used), SETTINGS_E_WIRE);
	bad[0] = 0; /* no key */
	assert_int_equal(
	    settings_entry_decode(bad, len, &out, &used), SETTINGS_E_WIRE);
	bad[0] = 200; /* longer than a key may be */
	assert_int_equal(
	    settings_entry_decode(bad, len, &out, &used), SETTINGS_E_WIRE);
}

static void
a_counter_at_the_end_of_its_range_is_refused(void **state)
{
	struct settings *s = fresh();
	struct settings_entry e = {.key = "app.k",
	    .value = "v",
	    .value_len = 1,
	    .ver = {1, UINT64_MAX, A}};

	(void)state;
	/* Taken, the next set could not be newer. */
	assert_int_equal(settings_merge(s, &e), SETTINGS_E_WIRE);
	e.ver.counter = SETTINGS_COUNTER_MAX;
	assert_int_equal(settings_merge(s, &e), SETTINGS_OK);
	assert_int_equal(
	    settings_set(s, "app.k", "w", 1, A, 1, NULL), SETTINGS_E_SPENT);
	assert_string_equal(value_of(s, "app.k"), "v");
	settings_free(s);
}

/* One answer to a pull: from packs for to (to's ranges), to merges;
 * false when nothing was packed. */
static bool
answer_pull(const struct settings *from, struct settings *to,
    struct settings_cursor *cur)
{
	uint64_t theirs[SETTINGS_RANGES];
	uint8_t buf[1120];
	size_t n, bad;

	settings_range_digests(to, theirs);
	n = settings_pack(from, theirs, cur, buf, sizeof(buf));
	if (n > 0) {
		(void)settings_unpack(to, buf, n, &bad);
		assert_int_equal(bad, 0);
	}
	return n > 0;
}

/* A and B pull from each other round after round, as the edge does (a
 * pull carries the puller's ranges, the answer at most one STATE, and
 * pulls back): the rounds end with both holding the same. */
static size_t
pull_until_equal(struct settings *a, struct settings *b, size_t cap)
{
	struct settings_cursor ca = {""}, cb = {""};
	size_t rounds = 0;
	bool more;

	do {
		more = answer_pull(a, b, &ca);
		more = answer_pull(b, a, &cb) || more;
		rounds += more;
		assert_true(rounds <= cap);
	} while (more);
	assert_int_equal(settings_digest(a), settings_digest(b));
	return rounds;
}

static void
a_pull_brings_every_entry_even_when_ranges_are_large(void **state)
{
	struct settings *a = fresh(), *b = fresh();
	char key[32], big[SETTINGS_VALUE_MAX + 1];
	size_t i, rounds;

	(void)state;
	memset(big, 'x', SETTINGS_VALUE_MAX);
	big[SETTINGS_VALUE_MAX] = '\0';
	for (i = 0; i < 100; i++) { /* one entry per STATE: 100 rounds */
		snprintf(key, sizeof(key), "app.big%zu", i);
		set(a, key, big, A);
	}
	/* b's unset made before it saw a's 100 sets is older than a's set
	 * (counter 1 against 8); b's other key is its own. */
	set(b, "app.big7", NULL, B);
	set(b, "app.mine", "b", B);
	rounds = pull_until_equal(a, b, 110);
	assert_true(rounds >= 99);
	assert_non_null(value_of(b, "app.big7"));
	assert_int_equal(settings_count(b), 101);
	assert_string_equal(value_of(a, "app.mine"), "b");
	settings_free(a);
	settings_free(b);
}

static void
small_entries_come_many_to_a_state(void **state)
{
	struct settings *a = fresh(), *b = fresh();
	char key[32];
	size_t i;

	(void)state;
	for (i = 0; i < SETTINGS_MAX; i++) {
		snprintf(key, sizeof(key), "app.k%zu", i);
		set(a, key, "80,443", A);
	}
	/* 512 entries of about 40 bytes: some 20 STATEs. */
	assert_true(pull_until_equal(a, b, 30) <= 25);
	settings_free(a);
	settings_free(b);
}

static void
nothing_is_packed_when_the_ranges_agree(void **state)
{
	struct settings *a = fresh();
	struct settings_cursor cur = {""};
	uint64_t theirs[SETTINGS_RANGES];
	uint8_t buf[1120];

	(void)state;
	set(a, "app.k", "v", A);
	settings_range_digests(a, theirs);
	assert_int_equal(settings_pack(a, theirs, &cur, buf, sizeof(buf)), 0);
	settings_free(a);
}

static void
an_unpack_stops_at_the_first_bad_entry(void **state)
{
	struct settings_entry e = {
	    .key = "app.k", .value = "v", .value_len = 1, .ver = {1, 1, A}};
	struct settings *s = fresh();
	uint8_t buf[256];
	size_t n, bad;

	(void)state;
	n = settings_entry_encode(&e, buf, sizeof(buf));
	buf[n] = 0; /* no key: malformed */
	memset(buf + n + 1, 0xff, 20);
	assert_int_equal(settings_unpack(s, buf, n + 21, &bad), 1);
	assert_int_equal(bad, 1);
	assert_string_equal(value_of(s, "app.k"), "v");
	/* The same again: older, not bad. */
	assert_int_equal(settings_unpack(s, buf, n, &bad), 0);
	assert_int_equal(bad, 0);
	settings_free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(a_set_is_found_and_an_unset_leaves_a_tombstone),
	    cmocka_unit_test(keys_are_section_dot_name),
	    cmocka_unit_test(values_are_a_kibibyte_without_control_bytes),
	    cmocka_unit_test(a_full_set_refuses_new_keys_only),
	    cmocka_unit_test(a_new_key_takes_the_place_of_the_oldest_tombstone),
	    cmocka_unit_test(a_full_set_drops_a_tombstone_older_than_its_own),
	    cmocka_unit_test(full_sets_converge_whatever_the_order),
	    cmocka_unit_test(a_set_made_after_seeing_a_value_replaces_it),
	    cmocka_unit_test(two_sets_at_once_end_with_one_value_everywhere),
	    cmocka_unit_test(an_older_or_equal_version_is_not_taken),
	    cmocka_unit_test(replicas_agree_whatever_the_order),
	    cmocka_unit_test(a_change_moves_the_digest_of_its_range_only),
	    cmocka_unit_test(an_entry_survives_the_wire),
	    cmocka_unit_test(a_bad_entry_is_refused_at_every_length),
	    cmocka_unit_test(a_counter_at_the_end_of_its_range_is_refused),
	    cmocka_unit_test(
		a_pull_brings_every_entry_even_when_ranges_are_large),
	    cmocka_unit_test(small_entries_come_many_to_a_state),
	    cmocka_unit_test(nothing_is_packed_when_the_ranges_agree),
	    cmocka_unit_test(an_unpack_stops_at_the_first_bad_entry),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
