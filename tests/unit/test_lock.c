/*
 * tests/unit/test_lock.c — the state dir lock (src/lock.h): a second
 * qured on the same state dir must stop before it touches the network
 * (issue 7, fault 8: it deleted the live address as a stale one).
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

#include "src/lock.h"

static char dir[64];

static int
setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/qure-test-lock.XXXXXX");
	assert_non_null(mkdtemp(dir));
	return 0;
}

static int
teardown(void **state)
{
	char path[128];

	(void)state;
	snprintf(path, sizeof(path), "%s/%s", dir, LOCK_FILE);
	unlink(path);
	return rmdir(dir);
}

static void
a_second_instance_finds_the_lock_taken_and_says_by_whom(void **state)
{
	char err[512] = "", want[512];
	int a, b;

	(void)state;
	a = lock_state_dir(dir, err, sizeof(err));
	if (a == -1)
		fail_msg("%s", err);
	/* Another open file description: what a second qured would have. */
	b = lock_state_dir(dir, err, sizeof(err));
	assert_int_equal(b, -1);
	snprintf(want, sizeof(want),
	    "another qured (pid %d) holds the lock %s/%s; not starting",
	    (int)getpid(), dir, LOCK_FILE);
	assert_string_equal(err, want);
	/* Gone with its holder: a restart after a crash takes it at once. */
	close(a);
	b = lock_state_dir(dir, err, sizeof(err));
	if (b == -1)
		fail_msg("%s", err);
	close(b);
}

static void
the_lock_file_is_private_and_made_in_a_missing_dir(void **state)
{
	char sub[128], path[160], err[512] = "";
	struct stat st;
	int fd;

	(void)state;
	snprintf(sub, sizeof(sub), "%s/sub", dir);
	fd = lock_state_dir(sub, err, sizeof(err));
	if (fd == -1)
		fail_msg("%s", err);
	snprintf(path, sizeof(path), "%s/%s", sub, LOCK_FILE);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(stat(sub, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	close(fd);
	unlink(path);
	rmdir(sub);
}

static void
a_lock_that_cannot_be_made_says_where_and_why(void **state)
{
	char err[512] = "";

	(void)state;
	assert_int_equal(
	    lock_state_dir("/nonexistent-qure/a/b", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "/nonexistent-qure/a/b"));
	assert_null(strchr(err, '\n'));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(
		a_second_instance_finds_the_lock_taken_and_says_by_whom, setup,
		teardown),
	    cmocka_unit_test_setup_teardown(
		the_lock_file_is_private_and_made_in_a_missing_dir, setup,
		teardown),
	    cmocka_unit_test_setup_teardown(
		a_lock_that_cannot_be_made_says_where_and_why, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
