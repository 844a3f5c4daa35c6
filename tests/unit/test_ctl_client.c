/*
 * tests/unit/test_ctl_client.c — base/ctl_client.c against a forked
 * server on a UNIX socket that answers, answers in pieces, stays silent,
 * hangs up or floods: the reply line, or the one-line error naming the
 * socket.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "base/ctl_client.h"

enum serve {
	SERVE_ECHO,    /* replies "got:" and the request line */
	SERVE_PIECES,  /* the reply in three sends, 20 ms apart */
	SERVE_SILENT,  /* reads, never replies (until killed) */
	SERVE_HANG_UP, /* reads, closes */
	SERVE_FLOOD,   /* 64 KiB without a newline */
};

struct fx {
	char dir[64];
	char path[108];
	pid_t server;
};

static int
fx_setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/qure-ctlcl.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/s.sock", f->dir);
	*state = f;
	return 0;
}

static int
fx_teardown(void **state)
{
	struct fx *f = *state;

	if (f->server > 0) {
		kill(f->server, SIGKILL);
		waitpid(f->server, NULL, 0);
	}
	unlink(f->path);
	rmdir(f->dir);
	free(f);
	return 0;
}

/* Reads the request line into buf; its length, or -1. */
static ssize_t
read_request(int fd, char *buf, size_t len)
{
	size_t have = 0;
	ssize_t n;

	while (have < len - 1 && memchr(buf, '\n', have) == NULL) {
		if ((n = read(fd, buf + have, len - 1 - have)) <= 0)
			return -1;
		have += (size_t)n;
	}
	buf[have] = '\0';
	return (ssize_t)have;
}

static void
serve_one(int lfd, enum serve how)
{
	static char big[64 * 1024];
	char req[256], out[300];
	int fd = accept(lfd, NULL, NULL);

	if (fd == -1 || read_request(fd, req, sizeof(req)) == -1)
		_exit(1);
	switch (how) {
	case SERVE_ECHO:
		snprintf(out, sizeof(out), "got:%s", req);
		(void)!write(fd, out, strlen(out));
		break;
	case SERVE_PIECES:
		(void)!write(fd, "{\"ok\":", 6);
		usleep(20000);
		(void)!write(fd, "tr", 2);
		usleep(20000);
		(void)!write(fd, "ue}\nextra", 9);
		break;
	case SERVE_SILENT:
		pause();
		break;
	case SERVE_HANG_UP:
		break;
	case SERVE_FLOOD:
		memset(big, 'x', sizeof(big));
		(void)!write(fd, big, sizeof(big));
		break;
	}
	close(fd);
	_exit(0);
}

/* Listens at f->path (before the fork: no race) and serves one. */
static void
fx_serve(struct fx *f, enum serve how)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	int lfd = socket(AF_UNIX, SOCK_STREAM, 0);

	assert_true(lfd >= 0);
	memcpy(sun.sun_path, f->path, strlen(f->path) + 1);
	assert_int_equal(bind(lfd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	assert_int_equal(listen(lfd, 1), 0);
	f->server = fork();
	assert_true(f->server >= 0);
	if (f->server == 0)
		serve_one(lfd, how);
	close(lfd);
}

static void
a_reply_line_comes_back_without_its_newline(void **state)
{
	struct fx *f = *state;
	char err[256], *reply;
	size_t len;

	fx_serve(f, SERVE_ECHO);
	assert_int_equal(ctl_client_call(f->path, "{\"cmd\":\"status\"}", 5000,
			     4096, &reply, &len, err, sizeof(err)),
	    0);
	assert_string_equal(reply, "got:{\"cmd\":\"status\"}");
	assert_int_equal(len, strlen(reply));
	free(reply);
}

static void
a_reply_in_pieces_is_put_together_up_to_its_newline(void **state)
{
	struct fx *f = *state;
	char err[256], *reply;
	size_t len;

	fx_serve(f, SERVE_PIECES);
	assert_int_equal(ctl_client_call(f->path, "{}", 5000, 4096, &reply,
			     &len, err, sizeof(err)),
	    0);
	assert_string_equal(reply, "{\"ok\":true}");
	assert_int_equal(len, 11);
	free(reply);
}

/* The call fails with before PATH after as its error, and no reply. */
static void
assert_fails(struct fx *f, int timeout_ms, size_t max, const char *before,
    const char *after)
{
	char err[256], want[256], *reply = (char *)"x";
	size_t len;

	assert_int_equal(ctl_client_call(f->path, "{}", timeout_ms, max, &reply,
			     &len, err, sizeof(err)),
	    -1);
	assert_null(reply);
	snprintf(want, sizeof(want), "%s%s%s", before, f->path, after);
	assert_string_equal(err, want);
}

static void
no_socket_says_so_and_asks_whether_qured_runs(void **state)
{
	assert_fails(*state, 1000, 4096, "cannot connect to ",
	    ": No such file or directory (is qured running?)");
}

static void
a_path_too_long_is_refused(void **state)
{
	char path[200], err[300], *reply;
	size_t len;

	(void)state;
	memset(path, 'a', sizeof(path) - 1);
	path[sizeof(path) - 1] = '\0';
	assert_int_equal(ctl_client_call(path, "{}", 1000, 4096, &reply, &len,
			     err, sizeof(err)),
	    -1);
	assert_non_null(strstr(err, "control socket path too long: aaa"));
}

static void
silence_ends_at_the_deadline(void **state)
{
	fx_serve(*state, SERVE_SILENT);
	assert_fails(*state, 300, 4096, "no reply from ",
	    " within 300 ms (is qured stuck?)");
}

static void
a_hang_up_without_a_reply_says_so(void **state)
{
	fx_serve(*state, SERVE_HANG_UP);
	assert_fails(
	    *state, 5000, 4096, "", " closed the connection without a reply");
}

static void
a_reply_over_the_cap_is_refused(void **state)
{
	fx_serve(*state, SERVE_FLOOD);
	assert_fails(*state, 5000, 16384, "reply from ", " over 16384 bytes");
}

#define FX(t) cmocka_unit_test_setup_teardown(t, fx_setup, fx_teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    FX(a_reply_line_comes_back_without_its_newline),
	    FX(a_reply_in_pieces_is_put_together_up_to_its_newline),
	    FX(no_socket_says_so_and_asks_whether_qured_runs),
	    cmocka_unit_test(a_path_too_long_is_refused),
	    FX(silence_ends_at_the_deadline),
	    FX(a_hang_up_without_a_reply_says_so),
	    FX(a_reply_over_the_cap_is_refused),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
