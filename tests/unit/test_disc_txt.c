/*
 * tests/unit/test_disc_txt.c — the `_qure._udp` TXT record (discovery/
 * disc_txt.c) with good and hostile records, and the rate limit of hints
 * (discovery/disc_hint.c).
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "discovery/disc_avahi.h"

/* rdata from NUL-separated strings ("a\0b\0"), each prefixed by length. */
static size_t
rdata(uint8_t *buf, size_t cap, const char *const *items, size_t n)
{
	size_t off = 0, i, len;

	for (i = 0; i < n; i++) {
		len = strlen(items[i]);
		assert_true(len <= 255 && off + 1 + len <= cap);
		buf[off++] = (uint8_t)len;
		memcpy(buf + off, items[i], len);
		off += len;
	}
	return off;
}

#define ID "00112233445566778899aabbccddeeff"

static enum disc_txt_err
parse_items(const char *const *items, size_t n, struct disc_txt *out)
{
	uint8_t buf[DISC_TXT_RDATA_MAX];

	return disc_txt_parse(buf, rdata(buf, sizeof(buf), items, n), out);
}

static const char *const good[] = {
    "id=" ID, "cluster=1a2b3c4d", "prio=100", "state=holder", "ver=2"};

static void
a_published_record_parses_back(void **state)
{
	struct disc_txt t, back;
	uint8_t buf[256];
	size_t len;

	(void)state;
	memset(&t, 0, sizeof(t));
	memset(t.id, 0xab, sizeof(t.id));
	snprintf(t.cluster, sizeof(t.cluster), "0f1e2d3c");
	t.prio = 254;
	snprintf(t.state, sizeof(t.state), "standby");
	t.ver = 2;
	len = disc_txt_encode(&t, buf, sizeof(buf));
	assert_true(len > 0);
	assert_int_equal(disc_txt_parse(buf, len, &back), DISC_TXT_OK);
	assert_memory_equal(back.id, t.id, sizeof(t.id));
	assert_string_equal(back.cluster, "0f1e2d3c");
	assert_int_equal(back.prio, 254);
	assert_string_equal(back.state, "standby");
	assert_int_equal(back.ver, 2);
	/* Too small a buffer: nothing, never a cut record. */
	assert_int_equal(disc_txt_encode(&t, buf, len - 1), 0);
}

static void
an_invalid_record_is_not_encoded(void **state)
{
	struct disc_txt t;
	uint8_t buf[256];

	(void)state;
	memset(&t, 0, sizeof(t));
	snprintf(t.cluster, sizeof(t.cluster), "0f1e2d3c");
	snprintf(t.state, sizeof(t.state), "standby");
	t.ver = 0; /* not a version */
	assert_int_equal(disc_txt_encode(&t, buf, sizeof(buf)), 0);
	t.ver = 2;
	t.prio = 255; /* not a priority */
	assert_int_equal(disc_txt_encode(&t, buf, sizeof(buf)), 0);
	t.prio = 1;
	snprintf(t.state, sizeof(t.state), "Holder!");
	assert_int_equal(disc_txt_encode(&t, buf, sizeof(buf)), 0);
}

static void
keys_are_case_insensitive_and_unknown_ones_skipped(void **state)
{
	const char *const items[] = {"foo=bar", "novalue", "", "=x", "ID=" ID,
	    "Cluster=1A2B3C4D", "PRIO=0", "state=observer", "Ver=255"};
	struct disc_txt t;

	(void)state;
	assert_int_equal(parse_items(items, 9, &t), DISC_TXT_OK);
	assert_int_equal(t.id[0], 0x00);
	assert_int_equal(t.id[15], 0xff);
	assert_string_equal(t.cluster, "1a2b3c4d"); /* lower-cased */
	assert_int_equal(t.prio, 0);
	assert_int_equal(t.ver, 255);
}

static void
the_first_of_a_repeated_key_counts(void **state)
{
	const char *const items[] = {"prio=7", "id=" ID, "cluster=1a2b3c4d",
	    "prio=8", "state=holder", "ver=2", "prio=oops"};
	struct disc_txt t;

	(void)state;
	assert_int_equal(parse_items(items, 7, &t), DISC_TXT_OK);
	assert_int_equal(t.prio, 7);
}

static void
a_missing_key_is_named(void **state)
{
	static const enum disc_txt_err want[5] = {DISC_TXT_NO_ID,
	    DISC_TXT_NO_CLUSTER, DISC_TXT_NO_PRIO, DISC_TXT_NO_STATE,
	    DISC_TXT_NO_VER};
	const char *items[5];
	struct disc_txt t;
	size_t skip, i, n;

	(void)state;
	for (skip = 0; skip < 5; skip++) {
		for (i = 0, n = 0; i < 5; i++)
			if (i != skip)
				items[n++] = good[i];
		assert_int_equal(parse_items(items, n, &t), want[skip]);
	}
	assert_int_equal(parse_items(good, 0, &t), DISC_TXT_NO_ID);
	assert_int_equal(disc_txt_parse(NULL, 0, &t), DISC_TXT_NO_ID);
}

/* One bad value for key k in an otherwise good record. */
static enum disc_txt_err
with_value(size_t k, const char *item)
{
	const char *items[5];
	struct disc_txt t;

	memcpy(items, good, sizeof(items));
	items[k] = item;
	return parse_items(items, 5, &t);
}

static void
values_of_the_wrong_type_are_refused(void **state)
{
	(void)state;
	assert_int_equal(with_value(0, "id"), DISC_TXT_BAD_ID);
	assert_int_equal(with_value(0, "id="), DISC_TXT_BAD_ID);
	assert_int_equal(with_value(0, "id=0011"), DISC_TXT_BAD_ID);
	assert_int_equal(with_value(0, "id=" ID "00"), DISC_TXT_BAD_ID);
	assert_int_equal(with_value(0, "id=0011223344556677889 aabbccddeeff"),
	    DISC_TXT_BAD_ID);
	assert_int_equal(with_value(0, "id=g0112233445566778899aabbccddeeff"),
	    DISC_TXT_BAD_ID);
	assert_int_equal(
	    with_value(1, "cluster=1a2b3c4"), DISC_TXT_BAD_CLUSTER);
	assert_int_equal(
	    with_value(1, "cluster=1a2b3c4d5"), DISC_TXT_BAD_CLUSTER);
	assert_int_equal(
	    with_value(1, "cluster=1a2b3c4z"), DISC_TXT_BAD_CLUSTER);
	assert_int_equal(with_value(2, "prio=255"), DISC_TXT_BAD_PRIO);
	assert_int_equal(with_value(2, "prio=-1"), DISC_TXT_BAD_PRIO);
	assert_int_equal(with_value(2, "prio=010"), DISC_TXT_BAD_PRIO);
	assert_int_equal(with_value(2, "prio=99999999999"), DISC_TXT_BAD_PRIO);
	assert_int_equal(with_value(2, "prio= 1"), DISC_TXT_BAD_PRIO);
	assert_int_equal(with_value(2, "prio="), DISC_TXT_BAD_PRIO);
	assert_int_equal(with_value(3, "state="), DISC_TXT_BAD_STATE);
	assert_int_equal(with_value(3, "state=HOLDER"), DISC_TXT_BAD_STATE);
	assert_int_equal(
	    with_value(3, "state=abcdefghijklmnop"), DISC_TXT_BAD_STATE);
	assert_int_equal(with_value(4, "ver=0"), DISC_TXT_BAD_VER);
	assert_int_equal(with_value(4, "ver=256"), DISC_TXT_BAD_VER);
	assert_int_equal(with_value(4, "ver=2x"), DISC_TXT_BAD_VER);
}

static void
a_255_byte_value_is_refused_for_a_key_and_skipped_for_another(void **state)
{
	char big[256];
	const char *items[6];
	struct disc_txt t;

	(void)state;
	memcpy(big, "id=", 3);
	memset(big + 3, 'a', sizeof(big) - 4);
	big[255] = '\0';
	assert_int_equal(with_value(0, big), DISC_TXT_BAD_ID);
	memcpy(big, "st=", 3); /* unknown key: skipped */
	memcpy(items, good, 5 * sizeof(items[0]));
	items[5] = big;
	assert_int_equal(parse_items(items, 6, &t), DISC_TXT_OK);
}

static void
a_string_running_past_the_end_is_malformed(void **state)
{
	uint8_t buf[64];
	struct disc_txt t;
	size_t len;

	(void)state;
	len = rdata(buf, sizeof(buf), good, 1);
	buf[0]++; /* one byte longer than what is there */
	assert_int_equal(disc_txt_parse(buf, len, &t), DISC_TXT_MALFORMED);
	buf[0] = 255;
	assert_int_equal(disc_txt_parse(buf, 1, &t), DISC_TXT_MALFORMED);
}

static void
thousands_of_strings_are_refused_after_the_limit(void **state)
{
	static uint8_t buf[3000];
	struct disc_txt t;
	size_t len;

	(void)state;
	/* 3,000 empty strings: within the length bound, over the count. */
	memset(buf, 0, sizeof(buf));
	assert_int_equal(
	    disc_txt_parse(buf, DISC_TXT_RDATA_MAX, &t), DISC_TXT_TOO_MANY);
	assert_int_equal(
	    disc_txt_parse(buf, sizeof(buf), &t), DISC_TXT_TOO_LONG);
	len = rdata(buf, sizeof(buf), good, 5);
	memset(buf + len, 0, DISC_TXT_ITEMS_MAX - 5); /* exactly the limit */
	assert_int_equal(
	    disc_txt_parse(buf, len + DISC_TXT_ITEMS_MAX - 5, &t), DISC_TXT_OK);
	assert_int_equal(disc_txt_parse(buf, len + DISC_TXT_ITEMS_MAX - 4, &t),
	    DISC_TXT_TOO_MANY);
}

static void
every_reason_has_a_name(void **state)
{
	int e;

	(void)state;
	for (e = 0; e < DISC_TXT_NERR; e++)
		assert_string_not_equal(
		    disc_txt_err_name((enum disc_txt_err)e), "unknown");
	assert_string_equal(disc_txt_err_name(DISC_TXT_NERR), "unknown");
}

/* ---- hints ---- */

static const uint8_t a1[4] = {10, 0, 0, 1}, a2[4] = {10, 0, 0, 2};

static void
a_hint_per_address_per_interval(void **state)
{
	struct disc_hint h;

	(void)state;
	disc_hint_init(&h, 5000, 10, 100);
	assert_true(disc_hint_allow(&h, a1, 4, 1000));
	assert_false(disc_hint_allow(&h, a1, 4, 1001));
	assert_false(disc_hint_allow(&h, a1, 4, 5999));
	assert_true(disc_hint_allow(&h, a2, 4, 5999));
	assert_true(disc_hint_allow(&h, a1, 4, 6000));
	assert_false(disc_hint_allow(&h, a1, 3, 90000));
	assert_int_equal(h.allowed, 3);
	assert_int_equal(h.refused, 3);
}

static void
hints_overall_stay_within_the_burst_and_refill(void **state)
{
	struct disc_hint h;
	uint8_t a[4] = {10, 1, 0, 0};
	unsigned i, ok = 0;

	(void)state;
	disc_hint_init(&h, 5000, 4, 250);
	/* 1,000 addresses in one millisecond: the burst, no more. */
	for (i = 0; i < 1000; i++) {
		a[2] = (uint8_t)(i >> 8);
		a[3] = (uint8_t)i;
		ok += disc_hint_allow(&h, a, 4, 1000);
	}
	assert_int_equal(ok, 4);
	/* Ten seconds of a flood, one new address a millisecond: one per
	 * refill interval. */
	ok = 0;
	for (i = 0; i < 10000; i++) {
		a[1] = 2 + (uint8_t)(i >> 16);
		a[2] = (uint8_t)(i >> 8);
		a[3] = (uint8_t)i;
		ok += disc_hint_allow(&h, a, 4, 1001 + i);
	}
	assert_in_range(ok, 39, 41);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(a_published_record_parses_back),
	    cmocka_unit_test(an_invalid_record_is_not_encoded),
	    cmocka_unit_test(
		keys_are_case_insensitive_and_unknown_ones_skipped),
	    cmocka_unit_test(the_first_of_a_repeated_key_counts),
	    cmocka_unit_test(a_missing_key_is_named),
	    cmocka_unit_test(values_of_the_wrong_type_are_refused),
	    cmocka_unit_test(
		a_255_byte_value_is_refused_for_a_key_and_skipped_for_another),
	    cmocka_unit_test(a_string_running_past_the_end_is_malformed),
	    cmocka_unit_test(thousands_of_strings_are_refused_after_the_limit),
	    cmocka_unit_test(every_reason_has_a_name),
	    cmocka_unit_test(a_hint_per_address_per_interval),
	    cmocka_unit_test(hints_overall_stay_within_the_burst_and_refill),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
