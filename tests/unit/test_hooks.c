#include "config.h"

#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/event.h>

#include "tests/unit/child_fixture.h"
#include "src/hooks.h"

/*
 * The hooks with real scripts in a temporary directory that write what
 * they were given to files, in a libevent loop the test pumps until the
 * hooks are idle (generous deadlines, never a fixed sleep). Every test
 * ends with no child of ours left: waitpid(-1) says ECHILD.
 */

struct fx {
	struct event_base *base;
	char dir[64];
	char log[128]; /* where the scripts of hook_logger() append */
	char holder[128], standby[128];
	struct hooks *hooks;
};

static void
pump_ms(struct fx *f, unsigned ms)
{
	cf_pump_ms(f->base, ms);
}

static void
pump_until_idle(struct fx *f)
{
	uint64_t end = cf_now_ms() + DEADLINE_MS;

	while (hooks_is_busy(f->hooks) && cf_now_ms() < end)
		pump_ms(f, 10);
	if (hooks_is_busy(f->hooks))
		fail_msg("hooks still busy after %d ms", DEADLINE_MS);
}

/* on-holder and on-standby scripts that append "<name> <argv...>" to
 * f->log, after an optional extra body. */
static void
hook_logger(struct fx *f, const char *extra)
{
	char body[1024];

	snprintf(body, sizeof(body),
	    "echo \"start ${0##*/} $1 $2 $3\" >> %s\n%s\n"
	    "echo \"end ${0##*/} $1 $2 $3\" >> %s",
	    f->log, extra, f->log);
	cf_script(f->dir, "holder.sh", body, f->holder, sizeof(f->holder));
	cf_script(f->dir, "standby.sh", body, f->standby, sizeof(f->standby));
	f->hooks = hooks_new(f->base, f->holder, f->standby);
	assert_non_null(f->hooks);
}

/* Whether f->log holds exactly these lines (NULL-terminated). */
static void
assert_log(struct fx *f, const char *const want[])
{
	char line[256];
	size_t i = 0;
	FILE *fp = fopen(f->log, "r");

	if (fp == NULL) {
		assert_null(want[0]);
		return;
	}
	while (fgets(line, sizeof(line), fp) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		if (want[i] == NULL)
			fail_msg("unexpected line %zu: %s", i, line);
		if (strcmp(line, want[i]) != 0)
			fail_msg("line %zu: got \"%s\", want \"%s\"", i, line,
			    want[i]);
		i++;
	}
	fclose(fp);
	if (want[i] != NULL)
		fail_msg("missing line %zu: %s", i, want[i]);
}

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->base = event_base_new();
	assert_non_null(f->base);
	cf_tmpdir(f->dir, sizeof(f->dir), "hooks");
	snprintf(f->log, sizeof(f->log), "%s/log", f->dir);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	hooks_free(f->hooks);
	event_base_free(f->base);
	cf_cleanup(f->dir); /* and no child left */
	free(f);
	return 0;
}

static void
hook_gets_the_change_in_argv_and_a_fixed_environment(void **state)
{
	struct fx *f = *state;
	static const char *const want_env[] = {
	    "PATH=/usr/sbin:/usr/bin:/sbin:/bin",
	    "QURE_DMZ=192.168.1.11/24",
	    "QURE_EPOCH=18446744073709551615",
	    "QURE_OLD_STATE=standby",
	    "QURE_REASON=holder dead",
	    "QURE_STATE=holder",
	};
	char body[1024], path[160], line[256], want[256];
	size_t i = 0;
	FILE *fp;

	snprintf(body, sizeof(body),
	    "for a in \"$0\" \"$@\"; do echo \"$a\"; done > %1$s/argv\n"
	    "env | sort > %1$s/env",
	    f->dir);
	cf_script(f->dir, "holder.sh", body, f->holder, sizeof(f->holder));
	f->hooks = hooks_new(f->base, f->holder, NULL);
	assert_non_null(f->hooks);
	assert_int_equal(setenv("QURE_TEST_LEAK", "1", 1), 0);
	hooks_run(f->hooks, "holder", "standby", "holder dead", UINT64_MAX,
	    "192.168.1.11/24");
	unsetenv("QURE_TEST_LEAK");
	pump_until_idle(f);

	snprintf(path, sizeof(path), "%s/argv", f->dir);
	fp = fopen(path, "r");
	assert_non_null(fp);
	snprintf(want, sizeof(want), "%s\nholder\nstandby\nholder dead\n",
	    f->holder);
	memset(line, 0, sizeof(line));
	assert_true(fread(line, 1, sizeof(line) - 1, fp) > 0);
	assert_string_equal(line, want);
	fclose(fp);

	snprintf(path, sizeof(path), "%s/env", f->dir);
	fp = fopen(path, "r");
	assert_non_null(fp);
	while (fgets(line, sizeof(line), fp) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		if (strncmp(line, "PWD=", 4) == 0) /* the shell's own */
			continue;
		if (i == sizeof(want_env) / sizeof(want_env[0]))
			fail_msg("unexpected environment: %s", line);
		assert_string_equal(line, want_env[i]);
		i++;
	}
	fclose(fp);
	assert_int_equal(i, sizeof(want_env) / sizeof(want_env[0]));
}

static void
each_change_runs_the_hook_it_calls_for(void **state)
{
	struct fx *f = *state;
	static const struct {
		const char *state, *old;
	} step[] = {
	    {"standby", "starting"},  /* to standby: on-standby */
	    {"candidate", "standby"}, /* neither */
	    {"holder", "candidate"},  /* to holder: on-holder */
	    {"holder", "holder"},     /* no change */
	    {"candidate", "holder"},  /* from holder: on-standby */
	    {"observer", "starting"}, /* to observer: on-standby */
	    {"standby", "candidate"}, /* to standby: on-standby */
	};
	static const char *const want[] = {
	    "start standby.sh standby starting r",
	    "end standby.sh standby starting r",
	    "start holder.sh holder candidate r",
	    "end holder.sh holder candidate r",
	    "start standby.sh candidate holder r",
	    "end standby.sh candidate holder r",
	    "start standby.sh observer starting r",
	    "end standby.sh observer starting r",
	    "start standby.sh standby candidate r",
	    "end standby.sh standby candidate r",
	    NULL,
	};
	size_t i;

	hook_logger(f, "");
	for (i = 0; i < sizeof(step) / sizeof(step[0]); i++) {
		hooks_run(f->hooks, step[i].state, step[i].old, "r", 1,
		    "10.0.0.1/24");
		pump_until_idle(f);
	}
	assert_log(f, want);
}

static void
one_hook_at_a_time_and_the_latest_waiting_change_wins(void **state)
{
	struct fx *f = *state;
	static const char *const want[] = {
	    "start holder.sh holder standby r1",
	    "end holder.sh holder standby r1",
	    "start holder.sh holder standby r4",
	    "end holder.sh holder standby r4",
	    NULL,
	};

	hook_logger(f, "sleep 0.3");
	hooks_run(f->hooks, "holder", "standby", "r1", 1, "10.0.0.1/24");
	/* While r1 runs: r2 waits, r3 replaces it, r4 replaces r3. */
	hooks_run(f->hooks, "standby", "holder", "r2", 1, "10.0.0.1/24");
	hooks_run(f->hooks, "holder", "standby", "r3", 2, "10.0.0.1/24");
	hooks_run(f->hooks, "holder", "standby", "r4", 3, "10.0.0.1/24");
	assert_true(hooks_is_busy(f->hooks));
	pump_until_idle(f);
	assert_log(f, want);
}

static void
a_hook_past_its_timeout_is_killed_and_the_next_one_runs(void **state)
{
	struct fx *f = *state;
	static const char *const want[] = {
	    "start holder.sh holder standby slow",
	    "start standby.sh standby holder next",
	    "end standby.sh standby holder next",
	    NULL,
	};
	char body[1024];
	uint64_t t0, dt;

	/* "slow" sleeps past the timeout in a child of its own: the whole
	 * process group goes, so the sleep cannot write "end". */
	snprintf(body, sizeof(body), "if [ \"$3\" = slow ]; then sleep 30; fi");
	hook_logger(f, body);
	hooks_set_timeout(f->hooks, 300);
	t0 = cf_now_ms();
	hooks_run(f->hooks, "holder", "standby", "slow", 1, "10.0.0.1/24");
	hooks_run(f->hooks, "standby", "holder", "next", 1, "10.0.0.1/24");
	pump_until_idle(f);
	dt = cf_now_ms() - t0;
	assert_true(dt >= 290 && dt < 5000);
	assert_log(f, want);
	/* Counted for the status (issue 14): two ran, one was killed. */
	{
		struct hooks_stats hs;

		hooks_get_stats(f->hooks, &hs);
		assert_int_equal(hs.runs, 2);
		assert_int_equal(hs.failures, 1);
		assert_int_equal(hs.timeouts, 1);
	}
}

static void
a_failing_or_missing_hook_does_not_stop_the_next(void **state)
{
	struct fx *f = *state;
	static const char *const want[] = {
	    "start standby.sh standby holder r2",
	    "end standby.sh standby holder r2",
	    NULL,
	};
	char missing[160];

	hook_logger(f, "[ \"$3\" = r2 ] || exit 3");
	hooks_run(f->hooks, "holder", "standby", "r1", 1, "10.0.0.1/24");
	hooks_run(f->hooks, "standby", "holder", "r2", 1, "10.0.0.1/24");
	pump_until_idle(f);
	/* The first one exited 3 before it wrote "end". */
	unlink(f->log);
	snprintf(missing, sizeof(missing), "%s/missing", f->dir);
	hooks_set(f->hooks, missing, f->standby);
	hooks_run(f->hooks, "holder", "standby", "r1", 1, "10.0.0.1/24");
	hooks_run(f->hooks, "standby", "holder", "r2", 1, "10.0.0.1/24");
	pump_until_idle(f);
	assert_log(f, want);
	/* Counted: 4 started, exit 3 and the missing one (127) failed. */
	{
		struct hooks_stats hs;

		hooks_get_stats(f->hooks, &hs);
		assert_int_equal(hs.runs, 4);
		assert_int_equal(hs.failures, 2);
		assert_int_equal(hs.timeouts, 0);
	}
}

static void
hooks_set_changes_the_paths_and_an_empty_one_runs_nothing(void **state)
{
	struct fx *f = *state;
	static const char *const want[] = {
	    "start holder.sh standby holder r2",
	    "end holder.sh standby holder r2",
	    NULL,
	};

	hook_logger(f, "");
	hooks_set(f->hooks, "", f->holder); /* on-standby runs holder.sh */
	hooks_run(f->hooks, "holder", "standby", "r1", 1, "10.0.0.1/24");
	assert_false(hooks_is_busy(f->hooks));
	hooks_run(f->hooks, "standby", "holder", "r2", 1, "10.0.0.1/24");
	pump_until_idle(f);
	assert_log(f, want);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(
		hook_gets_the_change_in_argv_and_a_fixed_environment, setup,
		teardown),
	    cmocka_unit_test_setup_teardown(
		each_change_runs_the_hook_it_calls_for, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		one_hook_at_a_time_and_the_latest_waiting_change_wins, setup,
		teardown),
	    cmocka_unit_test_setup_teardown(
		a_hook_past_its_timeout_is_killed_and_the_next_one_runs, setup,
		teardown),
	    cmocka_unit_test_setup_teardown(
		a_failing_or_missing_hook_does_not_stop_the_next, setup,
		teardown),
	    cmocka_unit_test_setup_teardown(
		hooks_set_changes_the_paths_and_an_empty_one_runs_nothing,
		setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
