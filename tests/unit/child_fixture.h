/*
 * tests/unit/child_fixture.h — what the tests that run real children
 * (test_check.c, test_hooks.c) share: a monotonic clock, a loop pump, a
 * temporary directory of scripts, and the check that no child is left.
 * Included by the test files only, after <cmocka.h>.
 */
#ifndef QURE_TEST_CHILD_FIXTURE_H
#define QURE_TEST_CHILD_FIXTURE_H

#include <sys/stat.h>
#include <sys/wait.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#define DEADLINE_MS 10000 /* generous: results come in milliseconds */

static inline uint64_t
cf_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Runs the loop for ms milliseconds. */
static inline void
cf_pump_ms(struct event_base *base, unsigned ms)
{
	struct timeval tv = {ms / 1000, (ms % 1000) * 1000};

	event_base_loopexit(base, &tv);
	event_base_dispatch(base);
}

/* A fresh directory /tmp/qure-TAG-XXXXXX into dir (len bytes). */
static inline void
cf_tmpdir(char *dir, size_t len, const char *tag)
{
	snprintf(dir, len, "/tmp/qure-%s-XXXXXX", tag);
	assert_non_null(mkdtemp(dir));
}

/* Removes dir, then asserts no child of ours is left, zombie or not. */
static inline void
cf_cleanup(const char *dir)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	errno = 0;
	assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);
	assert_int_equal(errno, ECHILD);
}

/* Writes an executable sh script dir/name with body; its path to path. */
static inline void
cf_script(
    const char *dir, const char *name, const char *body, char *path, size_t len)
{
	FILE *fp;

	snprintf(path, len, "%s/%s", dir, name);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fprintf(fp, "#!/bin/sh\n%s\n", body);
	assert_int_equal(fclose(fp), 0);
	assert_int_equal(chmod(path, 0755), 0);
}

#endif
