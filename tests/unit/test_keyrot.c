/*
 * tests/unit/test_keyrot.c — the key files of a running qured
 * (src/keyrot.c, issue 14): a next key is taken on reload, a key file
 * holding it promotes it (the old key kept as previous until the next
 * reload), a key file holding a stranger's key and a next key file
 * holding the key are refused, an unreadable next key file keeps what
 * runs.
 */
#include "config.h"

#include <sys/stat.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "election/election.h"
#include "src/conf.h"
#include "src/keyrot.h"

/* Three keys, base64 of 32 bytes each (qurectl keygen's format). */
static const char *const b64[3] = {
    "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
    "ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8=",
    "QEFCQ0RFRkdISUpLTE1OT1BRUlNUVVZXWFlaW1xdXl8=",
};

struct fx {
	char dir[64];
	char key[96], next[96], other[96];
	struct keyrot *r;
};

static void
write_key(const char *path, int which)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fprintf(f, "%s\n", b64[which]);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(chmod(path, 0600), 0);
}

/* The id (16 hex digits) of key `which`. */
static void
id_of(int which, char out[KEYROT_ID_HEX])
{
	uint8_t raw[ELECT_KEY_LEN];
	struct elect_key *k;
	char err[256], path[96];

	snprintf(path, sizeof(path), "/tmp/qure-keyrot-id-%d-%d", (int)getpid(),
	    which);
	write_key(path, which);
	assert_int_equal(conf_read_key(path, raw, err, sizeof(err)), 0);
	unlink(path);
	k = elect_key_new(raw);
	keyrot_id_hex(k, out);
	elect_key_free(k);
}

static void
id_is(struct elect_key *k, int which)
{
	char got[KEYROT_ID_HEX], want[KEYROT_ID_HEX];

	assert_non_null(k);
	keyrot_id_hex(k, got);
	id_of(which, want);
	assert_string_equal(got, want);
}

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	uint8_t raw[ELECT_KEY_LEN];
	char err[256];

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/qure-keyrot-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->key, sizeof(f->key), "%s/cluster.key", f->dir);
	snprintf(f->next, sizeof(f->next), "%s/next.key", f->dir);
	snprintf(f->other, sizeof(f->other), "%s/other.key", f->dir);
	write_key(f->key, 0);
	assert_int_equal(conf_read_key(f->key, raw, err, sizeof(err)), 0);
	f->r = keyrot_new(raw, "", err, sizeof(err));
	assert_non_null(f->r);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	keyrot_free(f->r);
	unlink(f->key);
	unlink(f->next);
	unlink(f->other);
	rmdir(f->dir);
	free(f);
	return 0;
}

static void
a_next_key_comes_with_a_reload_and_goes_without_it(void **state)
{
	struct fx *f = *state;

	assert_null(keyrot_next(f->r));
	assert_false(keyrot_reload(f->r, f->key, "")); /* nothing new */
	write_key(f->next, 1);
	assert_true(keyrot_reload(f->r, f->key, f->next));
	keyrot_release(f->r);
	id_is(keyrot_key(f->r), 0);
	id_is(keyrot_next(f->r), 1);
	assert_false(keyrot_reload(f->r, f->key, f->next)); /* the same */
	assert_true(keyrot_reload(f->r, f->key, ""));
	keyrot_release(f->r);
	assert_null(keyrot_next(f->r));
}

static void
a_key_file_holding_the_next_key_promotes_it_keeping_the_old_one_once(
    void **state)
{
	struct fx *f = *state;

	write_key(f->next, 1);
	assert_true(keyrot_reload(f->r, f->key, f->next));
	keyrot_release(f->r);
	/* mv next.key cluster.key, next-key-file removed, reload */
	write_key(f->key, 1);
	assert_true(keyrot_reload(f->r, f->key, ""));
	keyrot_release(f->r);
	id_is(keyrot_key(f->r), 1);
	assert_null(keyrot_next(f->r));
	id_is(keyrot_prev(f->r), 0);
	/* The next reload drops the old key. */
	assert_true(keyrot_reload(f->r, f->key, ""));
	keyrot_release(f->r);
	assert_null(keyrot_prev(f->r));
	id_is(keyrot_key(f->r), 1);
}

static void
a_next_key_file_still_naming_the_promoted_key_changes_nothing(void **state)
{
	struct fx *f = *state;

	write_key(f->next, 1);
	assert_true(keyrot_reload(f->r, f->key, f->next));
	keyrot_release(f->r);
	write_key(f->key, 1); /* copied, not moved */
	assert_true(keyrot_reload(f->r, f->key, f->next));
	keyrot_release(f->r);
	id_is(keyrot_key(f->r), 1);
	assert_null(keyrot_next(f->r));
}

static void
a_strangers_key_in_the_key_file_is_refused(void **state)
{
	struct fx *f = *state;

	write_key(f->key, 2); /* neither ours nor our next */
	assert_false(keyrot_reload(f->r, f->key, ""));
	id_is(keyrot_key(f->r), 0);
	write_key(f->next, 1);
	write_key(f->key, 2);
	assert_true(keyrot_reload(f->r, f->key, f->next)); /* next only */
	keyrot_release(f->r);
	id_is(keyrot_key(f->r), 0);
	id_is(keyrot_next(f->r), 1);
}

static void
a_bad_next_key_file_keeps_what_runs(void **state)
{
	struct fx *f = *state;

	write_key(f->next, 1);
	assert_true(keyrot_reload(f->r, f->key, f->next));
	keyrot_release(f->r);
	assert_int_equal(chmod(f->next, 0644), 0); /* others may read it */
	write_key(f->other, 2);
	assert_int_equal(chmod(f->other, 0644), 0);
	assert_false(keyrot_reload(f->r, f->key, f->other));
	id_is(keyrot_next(f->r), 1);
	assert_false(keyrot_reload(f->r, f->key, "/nonexistent/next.key"));
	id_is(keyrot_next(f->r), 1);
}

static void
a_next_key_that_is_the_key_is_refused_at_start(void **state)
{
	struct fx *f = *state;
	uint8_t raw[ELECT_KEY_LEN];
	struct keyrot *r;
	char err[256] = "";

	assert_int_equal(conf_read_key(f->key, raw, err, sizeof(err)), 0);
	r = keyrot_new(raw, f->key, err, sizeof(err));
	assert_null(r);
	assert_non_null(strstr(err, "holds the cluster key itself"));
	assert_null(strchr(err, '\n'));
	r = keyrot_new(raw, "/nonexistent/next.key", err, sizeof(err));
	assert_null(r);
	assert_non_null(strstr(err, "/nonexistent/next.key"));
	write_key(f->next, 1);
	r = keyrot_new(raw, f->next, err, sizeof(err));
	assert_non_null(r);
	id_is(keyrot_next(r), 1);
	keyrot_free(r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(
		a_next_key_comes_with_a_reload_and_goes_without_it, setup,
		teardown),
	    cmocka_unit_test_setup_teardown(
		a_key_file_holding_the_next_key_promotes_it_keeping_the_old_one_once,
		setup, teardown),
	    cmocka_unit_test_setup_teardown(
		a_next_key_file_still_naming_the_promoted_key_changes_nothing,
		setup, teardown),
	    cmocka_unit_test_setup_teardown(
		a_strangers_key_in_the_key_file_is_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		a_bad_next_key_file_keeps_what_runs, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		a_next_key_that_is_the_key_is_refused_at_start, setup,
		teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
