/*
 * tests/unit/test_fds.c — a child's inherited descriptors (base/fds.h):
 * those kept stay open, every other one from 3 up is closed, whatever
 * the order of the list, and a descriptor is found by its path.
 */
#include "config.h"

#include <sys/wait.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "base/fds.h"

static bool
is_open(int fd)
{
	return fcntl(fd, F_GETFD) != -1;
}

/* A descriptor at number want (dup2 of /dev/null), or fails the test. */
static int
open_at(int want)
{
	int fd = open("/dev/null", O_RDONLY);

	assert_true(fd >= 0);
	if (fd != want) {
		assert_int_equal(dup2(fd, want), want);
		close(fd);
	}
	return want;
}

/* Runs fds_close_except(keep, n) in a child that has open[] open and
 * returns a bit per entry of open[]: still open in the child. */
static unsigned
survivors(const int *open_fds, size_t nopen, const int *keep, size_t n)
{
	unsigned bits = 0;
	int status;
	size_t i;
	pid_t pid;

	for (i = 0; i < nopen; i++)
		open_at(open_fds[i]);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		fds_close_except(keep, n);
		for (i = 0; i < nopen; i++)
			if (is_open(open_fds[i]))
				bits |= 1u << i;
		_exit((int)bits);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	for (i = 0; i < nopen; i++)
		close(open_fds[i]);
	return (unsigned)WEXITSTATUS(status);
}

static void
only_the_kept_descriptors_survive(void **state)
{
	int fds[] = {5, 9, 10, 40, 300};
	int keep[] = {40, 9, -1, 2, 9};

	(void)state;
	assert_int_equal(survivors(fds, 5, keep, 5), (1u << 1) | (1u << 3));
}

static void
with_nothing_kept_all_from_three_up_close(void **state)
{
	int fds[] = {3, 4, 1000};

	(void)state;
	assert_int_equal(survivors(fds, 3, NULL, 0), 0);
}

static void
a_kept_descriptor_at_the_edges_survives(void **state)
{
	int fds[] = {3, 4, 700};
	int keep[] = {3, 700};

	(void)state;
	assert_int_equal(survivors(fds, 3, keep, 2), (1u << 0) | (1u << 2));
}

static void
a_descriptor_is_found_by_its_path(void **state)
{
	char dir[] = "/tmp/qure-test-fds.XXXXXX", path[PATH_MAX];
	int fd;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/lock", dir);
	fd = open(path, O_CREAT | O_RDWR | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(fds_find_path(path), fd);
	close(fd);
	assert_int_equal(fds_find_path(path), -1);
	unlink(path);
	rmdir(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(only_the_kept_descriptors_survive),
	    cmocka_unit_test(with_nothing_kept_all_from_three_up_close),
	    cmocka_unit_test(a_kept_descriptor_at_the_edges_survives),
	    cmocka_unit_test(a_descriptor_is_found_by_its_path),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
