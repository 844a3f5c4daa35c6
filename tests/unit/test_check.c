#include "config.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
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
#include "src/check.h"
#include "src/conf.h"

/*
 * The service check against real sockets on 127.0.0.1 and real scripts in
 * a temporary directory, each in its own libevent loop that the test pumps
 * until done is called (generous deadlines, never a fixed sleep). Every
 * test ends with no child of ours left: waitpid(-1) says ECHILD.
 */

struct fx {
	struct event_base *base;
	char dir[64];
	struct conf_check cc;
	struct check *check;
	int ndone;
	bool ok;
	char why[256];
};

static void
done_cb(void *arg, bool ok, const char *why)
{
	struct fx *f = arg;

	f->ndone++;
	f->ok = ok;
	snprintf(f->why, sizeof(f->why), "%s", why);
}

/* Runs the loop until ndone reaches n or the deadline passes. */
static void
pump_until_done(struct fx *f, int n)
{
	uint64_t end = cf_now_ms() + DEADLINE_MS;
	struct timeval tv = {0, 10000};

	while (f->ndone < n && cf_now_ms() < end) {
		event_base_loopexit(f->base, &tv);
		event_base_dispatch(f->base);
	}
	if (f->ndone < n)
		fail_msg("no result within %d ms", DEADLINE_MS);
}

static void
pump_ms(struct fx *f, unsigned ms)
{
	cf_pump_ms(f->base, ms);
}

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->base = event_base_new();
	assert_non_null(f->base);
	cf_tmpdir(f->dir, sizeof(f->dir), "check");
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	check_free(f->check);
	event_base_free(f->base);
	cf_cleanup(f->dir); /* and no child left */
	free(f);
	return 0;
}

static void
use_exec(struct fx *f, const char *body)
{
	f->cc.type = CONF_CHECK_EXEC;
	cf_script(f->dir, "check.sh", body, f->cc.path, sizeof(f->cc.path));
	f->check = check_new(f->base, &f->cc, done_cb, f);
	assert_non_null(f->check);
}

static void
use_tcp(struct fx *f, uint16_t port)
{
	f->cc.type = CONF_CHECK_TCP;
	f->cc.addr.s_addr = htonl(INADDR_LOOPBACK);
	f->cc.port = port;
	f->check = check_new(f->base, &f->cc, done_cb, f);
	assert_non_null(f->check);
}

/* A TCP socket bound to 127.0.0.1 on a free port (in *port). */
static int
bound_socket(uint16_t *port)
{
	struct sockaddr_in sin = {.sin_family = AF_INET};
	socklen_t len = sizeof(sin);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	*port = ntohs(sin.sin_port);
	return fd;
}

static int
count_lines(const char *path)
{
	FILE *fp = fopen(path, "r");
	int c, n = 0;

	if (fp == NULL)
		return 0;
	while ((c = fgetc(fp)) != EOF)
		n += c == '\n';
	fclose(fp);
	return n;
}

/* ---- TCP ---- */

static void
tcp_check_passes_against_a_listening_socket(void **state)
{
	struct fx *f = *state;
	char want[64];
	uint16_t port;
	int fd = bound_socket(&port);

	assert_int_equal(listen(fd, 8), 0);
	use_tcp(f, port);
	check_run(f->check, 2000);
	assert_int_equal(f->ndone, 0); /* never from inside check_run */
	pump_until_done(f, 1);
	snprintf(want, sizeof(want), "tcp 127.0.0.1:%u: connected", port);
	assert_true(f->ok);
	assert_string_equal(f->why, want);
	assert_false(check_is_running(f->check));
	{
		struct check_stats cs;

		check_get_stats(f->check, &cs);
		assert_int_equal(cs.passed, 1);
		assert_int_equal(cs.failed, 0);
		assert_true(cs.last_ok);
	}
	close(fd);
}

static void
tcp_check_fails_on_a_closed_port(void **state)
{
	struct fx *f = *state;
	char want[64];
	uint16_t port;
	int fd = bound_socket(&port); /* bound, not listening: refused */

	use_tcp(f, port);
	check_run(f->check, 2000);
	assert_int_equal(f->ndone, 0);
	pump_until_done(f, 1);
	snprintf(
	    want, sizeof(want), "tcp 127.0.0.1:%u: Connection refused", port);
	assert_false(f->ok);
	assert_string_equal(f->why, want);
	/* Counted for the status (issue 14). */
	{
		struct check_stats cs;

		check_get_stats(f->check, &cs);
		assert_int_equal(cs.passed, 0);
		assert_int_equal(cs.failed, 1);
		assert_false(cs.last_ok);
	}
	close(fd);
}

/*
 * The kernel refuses a TCP connect to the broadcast address inside
 * connect() itself, before any packet: the result still comes from the
 * loop, never from inside check_run().
 */
static void
tcp_check_reports_a_failure_inside_connect_from_the_loop(void **state)
{
	struct fx *f = *state;

	f->cc.type = CONF_CHECK_TCP;
	f->cc.addr.s_addr = htonl(INADDR_BROADCAST);
	f->cc.port = 80;
	f->check = check_new(f->base, &f->cc, done_cb, f);
	assert_non_null(f->check);
	check_run(f->check, 2000);
	assert_int_equal(f->ndone, 0);
	assert_true(check_is_running(f->check));
	pump_until_done(f, 1);
	assert_false(f->ok);
	assert_string_equal(
	    f->why, "tcp 255.255.255.255:80: Network is unreachable");
}

/*
 * A listener with backlog 0 holds one connection in its accept queue;
 * Linux drops the SYNs that come while it is full, which makes a connect
 * on loopback hang like one to a black hole.
 */
static void
tcp_check_times_out_on_a_black_holed_connect(void **state)
{
	struct fx *f = *state;
	struct sockaddr_in sin = {.sin_family = AF_INET};
	struct pollfd pfd;
	char want[80];
	uint16_t port;
	uint64_t t0, dt;
	int lfd = bound_socket(&port), cfd;

	assert_int_equal(listen(lfd, 0), 0);
	cfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons(port);
	(void)connect(cfd, (struct sockaddr *)&sin, sizeof(sin));
	pfd = (struct pollfd){.fd = cfd, .events = POLLOUT};
	assert_int_equal(poll(&pfd, 1, DEADLINE_MS), 1); /* queue full now */

	use_tcp(f, port);
	t0 = cf_now_ms();
	check_run(f->check, 300);
	pump_until_done(f, 1);
	dt = cf_now_ms() - t0;
	snprintf(want, sizeof(want), "tcp 127.0.0.1:%u: timed out after 300 ms",
	    port);
	assert_false(f->ok);
	assert_string_equal(f->why, want);
	assert_true(dt >= 290);
	close(cfd);
	close(lfd);
}

/* ---- exec ---- */

static void
exec_check_passes_on_exit_0(void **state)
{
	struct fx *f = *state;
	char want[200];

	use_exec(f, "exit 0");
	check_run(f->check, 5000);
	pump_until_done(f, 1);
	snprintf(want, sizeof(want), "exec %s: exit status 0", f->cc.path);
	assert_true(f->ok);
	assert_string_equal(f->why, want);
}

static void
exec_check_fails_naming_the_exit_status(void **state)
{
	struct fx *f = *state;
	char want[200];

	use_exec(f, "exit 3");
	check_run(f->check, 5000);
	pump_until_done(f, 1);
	snprintf(want, sizeof(want), "exec %s: exit status 3", f->cc.path);
	assert_false(f->ok);
	assert_string_equal(f->why, want);
}

static void
exec_check_of_a_missing_program_fails(void **state)
{
	struct fx *f = *state;

	f->cc.type = CONF_CHECK_EXEC;
	snprintf(f->cc.path, sizeof(f->cc.path), "%s/nonexistent", f->dir);
	f->check = check_new(f->base, &f->cc, done_cb, f);
	assert_non_null(f->check);
	check_run(f->check, 5000);
	pump_until_done(f, 1);
	assert_false(f->ok);
	assert_non_null(strstr(f->why, ": exit status 127"));
}

/* Whether pid is gone or a zombie (of whoever reaps it now). */
static bool
is_dead(long pid)
{
	char path[64], buf[256], *p;
	FILE *fp;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	fp = fopen(path, "r");
	if (fp == NULL)
		return true;
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	fclose(fp);
	buf[n] = '\0';
	p = strrchr(buf, ')');
	return p == NULL || p[1] == '\0' || p[2] == 'Z' || p[2] == 'X';
}

static void
exec_check_past_its_timeout_is_killed_with_its_children(void **state)
{
	struct fx *f = *state;
	char body[1024], pidfile[128], want[200];
	uint64_t t0, dt, end;
	long pid = 0;
	FILE *fp;

	/* The shell's own child must die too: the process group goes. */
	snprintf(pidfile, sizeof(pidfile), "%s/sleep.pid", f->dir);
	snprintf(body, sizeof(body), "sleep 30 &\necho $! > %s\nwait", pidfile);
	use_exec(f, body);
	t0 = cf_now_ms();
	check_run(f->check, 500);
	pump_until_done(f, 1);
	dt = cf_now_ms() - t0;
	snprintf(want, sizeof(want), "exec %s: timed out after 500 ms, killed",
	    f->cc.path);
	assert_false(f->ok);
	assert_string_equal(f->why, want);
	assert_true(dt >= 490 && dt < 5000);
	fp = fopen(pidfile, "r");
	assert_non_null(fp);
	assert_int_equal(fscanf(fp, "%ld", &pid), 1);
	fclose(fp);
	end = cf_now_ms() + DEADLINE_MS;
	while (!is_dead(pid) && cf_now_ms() < end)
		usleep(10000);
	assert_true(is_dead(pid));
}

static void
check_run_while_running_does_not_start_a_second(void **state)
{
	struct fx *f = *state;
	char body[1024], runs[128];

	snprintf(runs, sizeof(runs), "%s/runs", f->dir);
	snprintf(body, sizeof(body), "echo run >> %s\nsleep 0.3", runs);
	use_exec(f, body);
	check_run(f->check, 5000);
	check_run(f->check, 5000);
	assert_true(check_is_running(f->check));
	pump_ms(f, 100);
	check_run(f->check, 5000);
	pump_until_done(f, 1);
	pump_ms(f, 400); /* a second would have been seen by now */
	assert_int_equal(f->ndone, 1);
	assert_int_equal(count_lines(runs), 1);
	/* And once it is over, the next one runs. */
	check_run(f->check, 5000);
	pump_until_done(f, 2);
	assert_true(f->ok);
	assert_int_equal(count_lines(runs), 2);
}

static void
exec_check_runs_with_a_fixed_environment_and_no_inherited_fds(void **state)
{
	struct fx *f = *state;
	char body[1024], path[160], line[256];
	bool has_path = false;
	int leak, fd;
	FILE *fp;

	/* A descriptor someone opened without close-on-exec. */
	leak = open("/dev/null", O_RDONLY);
	assert_true(leak >= 3 && leak < 10);
	assert_int_equal(setenv("QURE_TEST_LEAK", "1", 1), 0);
	/* dash keeps its own descriptors at 10 and up. */
	snprintf(body, sizeof(body),
	    "env > %1$s/env\n"
	    "ls /proc/$$/fd > %1$s/fds\n"
	    "readlink /proc/$$/fd/0 /proc/$$/fd/1 | cat > %1$s/std\n"
	    "pwd > %1$s/cwd",
	    f->dir);
	use_exec(f, body);
	check_run(f->check, 5000);
	pump_until_done(f, 1);
	assert_true(f->ok);
	close(leak);
	unsetenv("QURE_TEST_LEAK");

	snprintf(path, sizeof(path), "%s/env", f->dir);
	fp = fopen(path, "r");
	assert_non_null(fp);
	while (fgets(line, sizeof(line), fp) != NULL) {
		if (strcmp(line, "PATH=/usr/sbin:/usr/bin:/sbin:/bin\n") == 0)
			has_path = true;
		else if (strncmp(line, "PWD=", 4) != 0) /* the shell's own */
			fail_msg("unexpected environment: %s", line);
	}
	fclose(fp);
	assert_true(has_path);

	snprintf(path, sizeof(path), "%s/fds", f->dir);
	fp = fopen(path, "r");
	assert_non_null(fp);
	while (fscanf(fp, "%d", &fd) == 1)
		if (fd >= 3 && fd < 10)
			fail_msg("descriptor %d leaked into the check", fd);
	fclose(fp);

	snprintf(path, sizeof(path), "%s/std", f->dir);
	fp = fopen(path, "r");
	assert_non_null(fp);
	assert_non_null(fgets(line, sizeof(line), fp));
	assert_string_equal(line, "/dev/null\n");
	assert_non_null(fgets(line, sizeof(line), fp));
	assert_string_equal(line, "/dev/null\n");
	fclose(fp);

	snprintf(path, sizeof(path), "%s/cwd", f->dir);
	fp = fopen(path, "r");
	assert_non_null(fp);
	assert_non_null(fgets(line, sizeof(line), fp));
	assert_string_equal(line, "/\n");
	fclose(fp);
}

/* The dispatcher reaps its own children only: another module's child
 * keeps its exit status for whoever waits for it. */
static void
dispatcher_leaves_other_children_alone(void **state)
{
	struct fx *f = *state;
	int status;
	pid_t other;

	use_exec(f, "sleep 0.2");
	other = fork();
	assert_true(other >= 0);
	if (other == 0)
		_exit(7);
	check_run(f->check, 5000);
	pump_until_done(f, 1);
	assert_true(f->ok);
	assert_int_equal(waitpid(other, &status, 0), other);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 7);
}

static void
check_free_while_running_kills_and_reaps_the_child(void **state)
{
	struct fx *f = *state;
	char body[1024], pidfile[128];
	uint64_t end;
	long pid = 0;
	FILE *fp;

	snprintf(pidfile, sizeof(pidfile), "%s/pid", f->dir);
	snprintf(body, sizeof(body),
	    "echo $$ > %s.tmp\nmv %s.tmp %s\n"
	    "exec sleep 30",
	    pidfile, pidfile, pidfile);
	use_exec(f, body);
	check_run(f->check, 30000);
	end = cf_now_ms() + DEADLINE_MS;
	while ((fp = fopen(pidfile, "r")) == NULL && cf_now_ms() < end)
		pump_ms(f, 10);
	assert_non_null(fp);
	assert_int_equal(fscanf(fp, "%ld", &pid), 1);
	fclose(fp);
	check_free(f->check); /* the last reference: reaps at once */
	f->check = NULL;
	assert_int_equal(f->ndone, 0);
	assert_true(is_dead(pid));
	/* teardown: waitpid(-1) finds no child left */
}

static void
none_makes_no_check(void **state)
{
	struct fx *f = *state;

	f->cc.type = CONF_CHECK_NONE;
	assert_null(check_new(f->base, &f->cc, done_cb, f));
}

/* check-interval: a run every interval, start to start, from the loop. */
static void
scheduled_check_runs_every_interval(void **state)
{
	struct fx *f = *state;
	uint16_t port;
	int fd = bound_socket(&port); /* refused at once */

	use_tcp(f, port);
	check_schedule(f->check, 50, 1000);
	assert_int_equal(f->ndone, 0); /* never from inside the call */
	pump_ms(f, 520);
	/* 11 starts at 0, 50, ..., 500; a loaded machine may lose some. */
	assert_true(f->ndone >= 5);
	assert_true(f->ndone <= 11);
	check_schedule(f->check, 0, 0);
	pump_ms(f, 100); /* a run under way still reports */
	f->ndone = 0;
	pump_ms(f, 200);
	assert_int_equal(f->ndone, 0);
	close(fd);
}

/* A run that outlasts the interval delays the next: they never pile up. */
static void
scheduled_runs_slower_than_the_interval_do_not_pile_up(void **state)
{
	struct fx *f = *state;
	char body[1024], runs[128];

	snprintf(runs, sizeof(runs), "%s/runs", f->dir);
	snprintf(body, sizeof(body), "echo run >> %s\nsleep 0.2", runs);
	use_exec(f, body);
	check_schedule(f->check, 20, 5000);
	pump_until_done(f, 2);
	assert_true(f->ok);
	/* Two ended, the next started as the second ended: none more. */
	assert_true(count_lines(runs) <= 3);
	check_schedule(f->check, 0, 0);
	pump_until_done(f, 3);
	pump_ms(f, 300);
	assert_true(f->ndone <= 3);
	assert_int_equal(count_lines(runs), f->ndone);
}

/* check-timeout: a scheduled run past it fails, naming the timeout. */
static void
scheduled_run_past_the_timeout_fails(void **state)
{
	struct fx *f = *state;

	use_exec(f, "sleep 5");
	check_schedule(f->check, 1000, 100);
	pump_until_done(f, 1);
	assert_false(f->ok);
	assert_non_null(strstr(f->why, "timed out after 100 ms"));
	check_schedule(f->check, 0, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(
		tcp_check_passes_against_a_listening_socket, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		tcp_check_fails_on_a_closed_port, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		tcp_check_reports_a_failure_inside_connect_from_the_loop, setup,
		teardown),
	    cmocka_unit_test_setup_teardown(
		tcp_check_times_out_on_a_black_holed_connect, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		exec_check_passes_on_exit_0, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		exec_check_fails_naming_the_exit_status, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		exec_check_of_a_missing_program_fails, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		exec_check_past_its_timeout_is_killed_with_its_children, setup,
		teardown),
	    cmocka_unit_test_setup_teardown(
		check_run_while_running_does_not_start_a_second, setup,
		teardown),
	    cmocka_unit_test_setup_teardown(
		exec_check_runs_with_a_fixed_environment_and_no_inherited_fds,
		setup, teardown),
	    cmocka_unit_test_setup_teardown(
		dispatcher_leaves_other_children_alone, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		check_free_while_running_kills_and_reaps_the_child, setup,
		teardown),
	    cmocka_unit_test_setup_teardown(
		none_makes_no_check, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		scheduled_check_runs_every_interval, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		scheduled_runs_slower_than_the_interval_do_not_pile_up, setup,
		teardown),
	    cmocka_unit_test_setup_teardown(
		scheduled_run_past_the_timeout_fails, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
