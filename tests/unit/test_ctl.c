#include "config.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/event.h>
#include <jansson.h>

#include "src/ctl.h"

/*
 * The control socket: the request parser alone, then a real server on a
 * temporary path in this process's event loop, driven by non-blocking
 * client sockets (and the built qurectl) while the test pumps the loop.
 */

#define DEADLINE_MS 5000

/* ---- the parser ---- */

static void
parse_ok(const char *line, struct ctl_req *req)
{
	char err[256] = "";

	if (ctl_req_parse(line, strlen(line), req, err, sizeof(err)) != 0)
		fail_msg("rejected %s: %s", line, err);
}

static void
parser_accepts_each_command(void **state)
{
	struct ctl_req req;

	(void)state;
	parse_ok("{\"cmd\":\"status\"}", &req);
	assert_int_equal(req.cmd, CTL_CMD_STATUS);
	parse_ok(" {\"cmd\" : \"members\"}\r", &req);
	assert_int_equal(req.cmd, CTL_CMD_MEMBERS);
	parse_ok("{\"cmd\":\"reload\"}", &req);
	assert_int_equal(req.cmd, CTL_CMD_RELOAD);
	parse_ok("{\"cmd\":\"handover\"}", &req);
	assert_int_equal(req.cmd, CTL_CMD_HANDOVER);
	assert_false(req.has_name);
	parse_ok("{\"cmd\":\"watch\"}", &req);
	assert_int_equal(req.cmd, CTL_CMD_WATCH);
}

static void
parser_takes_a_handover_name_or_none(void **state)
{
	struct ctl_req req;

	(void)state;
	parse_ok("{\"name\":\"h2\",\"cmd\":\"handover\"}", &req);
	assert_int_equal(req.cmd, CTL_CMD_HANDOVER);
	assert_true(req.has_name);
	assert_string_equal(req.name, "h2");
	parse_ok("{\"cmd\":\"handover\",\"name\":null}", &req);
	assert_false(req.has_name);
	parse_ok("{\"cmd\":\"handover\",\"name\":\"" /* 63 bytes */
		 "abcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghij"
		 "abc\"}",
	    &req);
	assert_int_equal(strlen(req.name), CTL_NAME_MAX);
}

static void
parser_rejects_bad_requests_with_a_reason(void **state)
{
	static const struct {
		const char *line, *why;
	} bad[] = {
	    {"", "not JSON"},
	    {"status", "not JSON"},
	    {"{\"cmd\":\"status\"", "not JSON"},
	    {"{\"cmd\":\"status\"} {}", "not JSON"},
	    {"[\"status\"]", "not a JSON object"},
	    {"{}", "missing \"cmd\""},
	    {"{\"cmd\":1}", "cmd: expected a string"},
	    {"{\"cmd\":null}", "cmd: expected a string"},
	    {"{\"cmd\":\"stat\"}", "unknown cmd \"stat\""},
	    {"{\"cmd\":\"\\u00e9\\n\"}", "unknown cmd \"???\""},
	    {"{\"cmd\":\"status\",\"cmd\":\"reload\"}", "not JSON"},
	    {"{\"cmd\":\"status\",\"nmae\":\"h2\"}", "unknown field \"nmae\""},
	    {"{\"cmd\":\"status\",\"name\":\"h2\"}", "only handover"},
	    {"{\"cmd\":\"handover\",\"name\":2}", "name: expected a string"},
	    {"{\"cmd\":\"handover\",\"name\":\"\"}", "name: expected 1 to 63"},
	    {"{\"cmd\":\"handover\",\"name\":\"a\\u0001\"}", "control char"},
	    {"{\"cmd\":\"handover\",\"name\":\"a\\u0000\"}", "not JSON"},
	    {"{\"cmd\":\"handover\",\"name\":\"abcdefghijabcdefghijabcdefghij"
	     "abcdefghijabcdefghijabcdefghijabcd\"}",
		"name: expected 1 to 63"},
	    {"{\"cmd\":\"\xff\"}", "not JSON"},
	    /* config: its op, key and value */
	    {"{\"cmd\":\"config\"}", "op: expected list, get, set or unset"},
	    {"{\"cmd\":\"config\",\"op\":\"put\"}", "op: expected"},
	    {"{\"cmd\":\"config\",\"op\":1}", "op: expected"},
	    {"{\"cmd\":\"config\",\"op\":\"get\"}", "key: missing"},
	    {"{\"cmd\":\"config\",\"op\":\"set\",\"key\":\"a.b\"}",
		"value: missing"},
	    {"{\"cmd\":\"config\",\"op\":\"get\",\"key\":\"a.b\","
	     "\"value\":\"v\"}",
		"value: not for this op"},
	    {"{\"cmd\":\"config\",\"op\":\"list\",\"key\":\"a.b\"}",
		"key: not for this op"},
	    {"{\"cmd\":\"config\",\"op\":\"get\",\"key\":7}",
		"key: expected a string of at most 63 bytes"},
	    {"{\"cmd\":\"config\",\"op\":\"get\",\"key\":\"a\\u0000b\"}",
		"not JSON"},
	    {"{\"cmd\":\"status\",\"op\":\"list\"}", "only config"},
	    /* watch takes nothing */
	    {"{\"cmd\":\"watch\",\"name\":\"h2\"}", "only handover"},
	    {"{\"cmd\":\"watch\",\"op\":\"list\"}", "only config"},
	    {"{\"cmd\":\"watch\",\"json\":true}", "unknown field \"json\""},
	    {"{\"cmd\":\"Watch\"}", "unknown cmd \"Watch\""},
	    /* Found by fuzz_ctl: jansson quotes the newlines near an error. */
	    {"{\"cmd\":\"handover\",\"name\":\"a\\u00\n\n\n01\"}",
		"not JSON: invalid escape near '\"a\\u00?"},
	};
	char err[256];
	struct ctl_req req;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		if (ctl_req_parse(bad[i].line, strlen(bad[i].line), &req, err,
			sizeof(err)) != -1)
			fail_msg("accepted %s", bad[i].line);
		if (strstr(err, bad[i].why) == NULL)
			fail_msg("%s: got \"%s\", want \"%s\"", bad[i].line,
			    err, bad[i].why);
		if (strchr(err, '\n') != NULL)
			fail_msg("%s: reason is not one line", bad[i].line);
	}
}

static void
parser_takes_a_config_op_key_and_value(void **state)
{
	char line[1200], big[SETTINGS_VALUE_MAX + 2];
	struct ctl_req req;
	char err[256];

	(void)state;
	parse_ok("{\"cmd\":\"config\",\"op\":\"list\"}", &req);
	assert_int_equal(req.cmd, CTL_CMD_CONFIG);
	assert_int_equal(req.op, CTL_CONFIG_LIST);
	parse_ok(
	    "{\"cmd\":\"config\",\"op\":\"unset\",\"key\":\"app.x\"}", &req);
	assert_int_equal(req.op, CTL_CONFIG_UNSET);
	assert_string_equal(req.key, "app.x");
	/* A value of 1 KiB is taken, one byte more is not. */
	memset(big, 'v', sizeof(big));
	big[SETTINGS_VALUE_MAX] = '\0';
	snprintf(line, sizeof(line),
	    "{\"cmd\":\"config\",\"op\":\"set\",\"key\":\"app.x\","
	    "\"value\":\"%s\"}",
	    big);
	parse_ok(line, &req);
	assert_int_equal(req.op, CTL_CONFIG_SET);
	assert_int_equal(strlen(req.value), SETTINGS_VALUE_MAX);
	big[SETTINGS_VALUE_MAX] = 'v';
	big[SETTINGS_VALUE_MAX + 1] = '\0';
	snprintf(line, sizeof(line),
	    "{\"cmd\":\"config\",\"op\":\"set\",\"key\":\"app.x\","
	    "\"value\":\"%s\"}",
	    big);
	assert_int_equal(
	    ctl_req_parse(line, strlen(line), &req, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "value: expected a string of at most"));
}

/* key rotate (issue 14): op rotate, force a boolean; bad input refused
 * with a one-line reason. */
static void
parser_takes_key_rotate_and_refuses_bad_input(void **state)
{
	static const struct {
		const char *line, *why;
	} bad[] = {
	    {"{\"cmd\":\"key\"}", "op: expected rotate"},
	    {"{\"cmd\":\"key\",\"op\":\"rotat\"}", "op: expected rotate"},
	    {"{\"cmd\":\"key\",\"op\":1}", "op: expected rotate"},
	    {"{\"cmd\":\"key\",\"op\":null}", "op: expected rotate"},
	    {"{\"cmd\":\"key\",\"op\":\"rotate\",\"force\":1}",
		"force: expected true or false"},
	    {"{\"cmd\":\"key\",\"op\":\"rotate\",\"force\":\"yes\"}",
		"force: expected true or false"},
	    {"{\"cmd\":\"key\",\"op\":\"rotate\",\"key\":\"a.b\"}",
		"only config"},
	    {"{\"cmd\":\"key\",\"op\":\"rotate\",\"name\":\"h2\"}",
		"only handover"},
	    {"{\"cmd\":\"key\",\"op\":\"rotate\",\"forse\":true}",
		"unknown field \"forse\""},
	    {"{\"cmd\":\"status\",\"force\":true}", "force: only key"},
	    {"{\"cmd\":\"key\",\"op\":\"rotate\",\"force\":true,"
	     "\"force\":false}",
		"not JSON"},
	};
	struct ctl_req req;
	char err[256];
	size_t i;

	(void)state;
	parse_ok("{\"cmd\":\"key\",\"op\":\"rotate\"}", &req);
	assert_int_equal(req.cmd, CTL_CMD_KEY);
	assert_false(req.force);
	parse_ok("{\"cmd\":\"key\",\"op\":\"rotate\",\"force\":true}", &req);
	assert_true(req.force);
	parse_ok("{\"cmd\":\"key\",\"op\":\"rotate\",\"force\":false}", &req);
	assert_false(req.force);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		if (ctl_req_parse(bad[i].line, strlen(bad[i].line), &req, err,
			sizeof(err)) != -1)
			fail_msg("accepted %s", bad[i].line);
		if (strstr(err, bad[i].why) == NULL)
			fail_msg("%s: got \"%s\", want \"%s\"", bad[i].line,
			    err, bad[i].why);
		if (strchr(err, '\n') != NULL)
			fail_msg("%s: reason is not one line", bad[i].line);
	}
}

static void
parser_reads_only_len_bytes(void **state)
{
	static const char buf[] = "{\"cmd\":\"status\"}garbage";
	struct ctl_req req;
	char err[256];

	(void)state;
	assert_int_equal(ctl_req_parse(buf, 16, &req, err, sizeof(err)), 0);
	assert_int_equal(req.cmd, CTL_CMD_STATUS);
	assert_int_equal(
	    ctl_req_parse("{\"cmd\"\0:1}", 10, &req, err, sizeof(err)), -1);
	/* A tiny err buffer is truncated, not overrun. */
	assert_int_equal(ctl_req_parse("{}", 2, &req, err, 4), -1);
	assert_string_equal(err, "mis");
}

/* ---- a server with fake ops ---- */

struct fx {
	char dir[32];
	char run[48];
	char path[64];
	struct event_base *base;
	struct ctl *ctl;
	int n_status, n_handover, n_reload;
	bool handover_null;
	char handover_name[CTL_NAME_MAX + 1];
	bool free_in_reload;
	struct settings *site; /* config's */
	int n_rotate, n_forced;
};

static void
fake_status(void *arg, struct status *st)
{
	struct fx *f = arg;

	f->n_status++;
	snprintf(st->node.id, sizeof(st->node.id), "%032x", 1);
	snprintf(st->node.name, sizeof(st->node.name), "h1");
	st->node.priority = 100;
	snprintf(st->node.state, sizeof(st->node.state), "holder");
	st->epoch = 12;
	st->holder.present = true;
	snprintf(st->holder.id, sizeof(st->holder.id), "%032x", 1);
	snprintf(st->holder.name, sizeof(st->holder.name), "h1");
	snprintf(st->holder.address, sizeof(st->holder.address), "10.0.0.11");
	snprintf(st->dmz.address, sizeof(st->dmz.address), "192.168.1.11/24");
	st->dmz.held = true;
	st->dmz.lease_ms = 600;
	st->n_members = 1;
	snprintf(st->members[0].id, STATUS_ID_LEN, "%032x", 2);
	snprintf(st->members[0].name, STATUS_NAME_LEN, "h2");
	snprintf(st->members[0].addrs[0], STATUS_ADDR_LEN, "10.0.0.12");
	st->members[0].n_addrs = 1;
	st->members[0].priority = 90;
	snprintf(st->members[0].state, STATUS_STATE_LEN, "standby");
	st->members[0].last_seen_ms = 140;
}

static int
fake_handover(void *arg, const char *name, char *err, size_t errlen)
{
	struct fx *f = arg;

	f->n_handover++;
	f->handover_null = name == NULL;
	snprintf(f->handover_name, sizeof(f->handover_name), "%s",
	    name != NULL ? name : "");
	if (name != NULL && strcmp(name, "nope") == 0) {
		snprintf(err, errlen, "no member named nope");
		return -1;
	}
	return 0;
}

static int
fake_reload(void *arg, char *err, size_t errlen)
{
	struct fx *f = arg;

	(void)err;
	(void)errlen;
	f->n_reload++;
	if (f->free_in_reload) {
		ctl_free(f->ctl);
		f->ctl = NULL;
	}
	return 0;
}

static int
fake_config_set(
    void *arg, const char *key, const char *value, char *err, size_t errlen)
{
	struct fx *f = arg;
	enum settings_err e;

	e = settings_set(
	    f->site, key, value, value ? strlen(value) : 0, 1, 1, NULL);
	if (e != SETTINGS_OK) {
		snprintf(err, errlen, "%s: %s", key, settings_strerror(e));
		return -1;
	}
	return 0;
}

static const struct settings *
fake_config_settings(void *arg)
{
	return ((struct fx *)arg)->site;
}

static const char *
fake_config_source(void *arg, const char *key)
{
	(void)arg;
	return strncmp(key, "app.", 4) == 0 ? "app" : "site";
}

/* key rotate: refused unless forced, naming the member that lacks it. */
static int
fake_key_rotate(void *arg, bool force, char *err, size_t errlen)
{
	struct fx *f = arg;

	f->n_rotate++;
	if (!force) {
		snprintf(err, errlen, "key rotate: h3 lacks the next key");
		return -1;
	}
	f->n_forced++;
	return 0;
}

static const struct ctl_ops fake_ops = {.status = fake_status,
    .key_rotate = fake_key_rotate,
    .handover = fake_handover,
    .reload = fake_reload,
    .config_set = fake_config_set,
    .config_settings = fake_config_settings,
    .config_source = fake_config_source};

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	char err[256];

	assert_non_null(f);
	f->site = settings_new();
	snprintf(f->dir, sizeof(f->dir), "/tmp/qure-ctl-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	/* A missing directory: ctl_new() makes it. */
	snprintf(f->run, sizeof(f->run), "%s/run", f->dir);
	snprintf(f->path, sizeof(f->path), "%s/qured.sock", f->run);
	f->base = event_base_new();
	assert_non_null(f->base);
	f->ctl = ctl_new(f->base, f->path, &fake_ops, f, err, sizeof(err));
	if (f->ctl == NULL)
		fail_msg("ctl_new: %s", err);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	ctl_free(f->ctl);
	unlink(f->path);
	rmdir(f->run);
	rmdir(f->dir);
	event_base_free(f->base);
	settings_free(f->site);
	free(f);
	return 0;
}

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Runs the server's pending callbacks, then waits a little on fd. */
static void
pump(struct fx *f, int fd, short events)
{
	struct pollfd pfd = {.fd = fd, .events = events};

	event_base_loop(f->base, EVLOOP_NONBLOCK);
	if (fd >= 0)
		poll(&pfd, 1, 5);
	event_base_loop(f->base, EVLOOP_NONBLOCK);
}

static int
cl_connect(struct fx *f)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	int fd;

	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", f->path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
	assert_true(fd >= 0);
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1)
		fail_msg("connect %s: %s", f->path, strerror(errno));
	return fd;
}

static void
cl_send(struct fx *f, int fd, const char *buf, size_t len)
{
	long long deadline = now_ms() + DEADLINE_MS;
	ssize_t n;

	while (len > 0) {
		assert_true(now_ms() < deadline);
		n = send(fd, buf, len, MSG_NOSIGNAL);
		if (n > 0) {
			buf += n;
			len -= (size_t)n;
			continue;
		}
		assert_true(n == -1 && errno == EAGAIN);
		pump(f, fd, POLLOUT);
	}
}

static void
cl_sends(struct fx *f, int fd, const char *s)
{
	cl_send(f, fd, s, strlen(s));
}

/*
 * Reads one line (without its newline) into buf. Returns its length, or
 * -1 at end of stream.
 */
static ssize_t
cl_line(struct fx *f, int fd, char *buf, size_t size)
{
	long long deadline = now_ms() + DEADLINE_MS;
	size_t len = 0;
	ssize_t n;

	/* One byte at a time: the next line stays in the socket. */
	while (len + 1 < size) {
		if (now_ms() > deadline)
			fail_msg("no reply line within %d ms", DEADLINE_MS);
		n = recv(fd, buf + len, 1, 0);
		if (n == 1 && buf[len] == '\n') {
			buf[len] = '\0';
			return (ssize_t)len;
		}
		if (n == 1) {
			len++;
			continue;
		}
		if (n == 0 || (n == -1 && errno == ECONNRESET))
			return -1;
		assert_true(errno == EAGAIN);
		pump(f, fd, POLLIN);
	}
	fail_msg("reply line longer than %zu bytes", size);
	return -1;
}

static json_t *
cl_reply(struct fx *f, int fd)
{
	char buf[16384];
	json_error_t jerr;
	json_t *o;

	assert_true(cl_line(f, fd, buf, sizeof(buf)) >= 0);
	o = json_loads(buf, 0, &jerr);
	if (o == NULL)
		fail_msg("reply is not JSON: %s: %s", jerr.text, buf);
	return o;
}

static json_t *
roundtrip(struct fx *f, int fd, const char *req)
{
	cl_sends(f, fd, req);
	return cl_reply(f, fd);
}

static void
assert_error(json_t *o, const char *why)
{
	const char *e = json_string_value(json_object_get(o, "error"));

	if (e == NULL || strstr(e, why) == NULL)
		fail_msg("want an error with \"%s\", got \"%s\"", why,
		    e != NULL ? e : "(none)");
	json_decref(o);
}

static void
assert_status(json_t *o)
{
	json_t *node = json_object_get(o, "node");

	assert_non_null(node);
	assert_string_equal(
	    json_string_value(json_object_get(node, "name")), "h1");
	assert_int_equal(json_integer_value(json_object_get(o, "epoch")), 12);
	assert_true(json_is_object(json_object_get(o, "holder")));
	assert_true(json_is_array(json_object_get(o, "members")));
	json_decref(o);
}

static void
assert_eof(struct fx *f, int fd)
{
	char buf[64];

	assert_int_equal(cl_line(f, fd, buf, sizeof(buf)), -1);
}

static void
server_answers_status_with_the_design_object(void **state)
{
	struct fx *f = *state;
	int fd = cl_connect(f);

	assert_status(roundtrip(f, fd, "{\"cmd\":\"status\"}\n"));
	assert_int_equal(f->n_status, 1);
	close(fd);
}

static void
members_reply_lists_the_members(void **state)
{
	struct fx *f = *state;
	int fd = cl_connect(f);
	json_t *o = roundtrip(f, fd, "{\"cmd\":\"members\"}\n");
	json_t *m = json_object_get(o, "members");

	assert_true(json_is_true(json_object_get(o, "ok")));
	assert_int_equal(json_array_size(m), 1);
	assert_string_equal(
	    json_string_value(json_object_get(json_array_get(m, 0), "name")),
	    "h2");
	json_decref(o);
	close(fd);
}

static void
socket_is_0660_in_a_0755_directory(void **state)
{
	struct fx *f = *state;
	struct stat sb;

	assert_int_equal(stat(f->path, &sb), 0);
	assert_true(S_ISSOCK(sb.st_mode));
	assert_int_equal(sb.st_mode & 07777, 0660);
	assert_int_equal(stat(f->run, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0755);
}

static void
malformed_request_gets_an_error_and_the_connection_stays_usable(void **state)
{
	struct fx *f = *state;
	int fd = cl_connect(f);

	assert_error(roundtrip(f, fd, "hello\n"), "not JSON");
	assert_error(roundtrip(f, fd, "[1]\n"), "not a JSON object");
	assert_error(roundtrip(f, fd, "{\"cmd\":\"dance\"}\n"), "unknown cmd");
	assert_error(roundtrip(f, fd, "{\"cmd\":[]}\n"), "expected a string");
	assert_error(roundtrip(f, fd, "\n"), "not JSON");
	assert_error(roundtrip(f, fd, "\xff\xfe\x01\n"), "not JSON");
	assert_status(roundtrip(f, fd, "{\"cmd\":\"status\"}\n"));
	close(fd);
}

static void
pipelined_requests_get_one_reply_each_in_order(void **state)
{
	struct fx *f = *state;
	int fd = cl_connect(f);
	json_t *o;

	cl_sends(f, fd,
	    "{\"cmd\":\"status\"}\nbad\n{\"cmd\":\"reload\"}\n"
	    "{\"cmd\":\"status\"}\r\n");
	assert_status(cl_reply(f, fd));
	assert_error(cl_reply(f, fd), "not JSON");
	o = cl_reply(f, fd);
	assert_true(json_is_true(json_object_get(o, "ok")));
	json_decref(o);
	assert_status(cl_reply(f, fd));
	assert_int_equal(f->n_reload, 1);
	close(fd);
}

static void
half_written_request_then_disconnect_leaves_the_server_serving(void **state)
{
	struct fx *f = *state;
	int fd, i;

	for (i = 0; i < 3 * CTL_MAX_CLIENTS; i++) {
		fd = cl_connect(f);
		cl_sends(f, fd, "{\"cmd\":\"sta");
		pump(f, -1, 0);
		close(fd);
		pump(f, -1, 0);
	}
	/* Every slot was given back, or this one would be refused. */
	fd = cl_connect(f);
	assert_status(roundtrip(f, fd, "{\"cmd\":\"status\"}\n"));
	close(fd);
	/* A request sent whole, then the client leaves before the reply. */
	fd = cl_connect(f);
	cl_sends(f, fd, "{\"cmd\":\"status\"}\n");
	close(fd);
	pump(f, -1, 0);
	fd = cl_connect(f);
	assert_status(roundtrip(f, fd, "{\"cmd\":\"status\"}\n"));
	close(fd);
}

static void
a_last_request_without_newline_before_shutdown_is_answered(void **state)
{
	struct fx *f = *state;
	int fd = cl_connect(f);

	cl_sends(f, fd, "{\"cmd\":\"status\"}");
	assert_int_equal(shutdown(fd, SHUT_WR), 0);
	assert_status(cl_reply(f, fd));
	assert_eof(f, fd);
	close(fd);
}

static void
oversized_line_gets_an_error_and_is_closed(void **state)
{
	struct fx *f = *state;
	size_t len = 3 * CTL_LINE_MAX;
	char *big = malloc(len);
	int fd = cl_connect(f);

	memset(big, ' ', len);
	cl_send(f, fd, big, len);
	assert_error(cl_reply(f, fd), "request too long");
	assert_eof(f, fd);
	close(fd);
	/* One byte over the limit, with its newline. */
	fd = cl_connect(f);
	memset(big, ' ', CTL_LINE_MAX + 1);
	big[CTL_LINE_MAX + 1] = '\n';
	cl_send(f, fd, big, CTL_LINE_MAX + 2);
	assert_error(cl_reply(f, fd), "request too long");
	assert_eof(f, fd);
	close(fd);
	free(big);
}

static void
a_line_of_exactly_the_limit_is_served(void **state)
{
	static const char req[] = "{\"cmd\":\"status\"}";
	struct fx *f = *state;
	char *line = malloc(CTL_LINE_MAX + 1);
	int fd = cl_connect(f);

	memset(line, ' ', CTL_LINE_MAX);
	memcpy(line, req, sizeof(req) - 1);
	line[CTL_LINE_MAX] = '\n';
	cl_send(f, fd, line, CTL_LINE_MAX + 1);
	assert_status(cl_reply(f, fd));
	assert_status(roundtrip(f, fd, "{\"cmd\":\"status\"}\n"));
	close(fd);
	free(line);
}

static void
a_client_that_does_not_read_is_throttled_not_buffered(void **state)
{
	enum { N = 1500 };
	struct fx *f = *state;
	char buf[16384];
	char *reqs;
	size_t one = strlen("{\"cmd\":\"status\"}\n");
	int fd = cl_connect(f), i;

	reqs = malloc(N * one + 1);
	for (i = 0; i < N; i++)
		memcpy(reqs + (size_t)i * one, "{\"cmd\":\"status\"}\n", one);
	/* ~1 MB of replies: more than the server queues per client. */
	cl_send(f, fd, reqs, N * one);
	for (i = 0; i < N; i++)
		assert_true(cl_line(f, fd, buf, sizeof(buf)) > 0);
	assert_int_equal(f->n_status, N);
	free(reqs);
	close(fd);
}

static void
config_sets_gets_lists_and_unsets_through_the_ops(void **state)
{
	struct fx *f = *state;
	int fd = cl_connect(f);
	json_t *o, *list;

	o = roundtrip(f, fd,
	    "{\"cmd\":\"config\",\"op\":\"set\",\"key\":\"app.a\","
	    "\"value\":\"1\"}\n");
	assert_true(json_is_true(json_object_get(o, "ok")));
	json_decref(o);
	o = roundtrip(
	    f, fd, "{\"cmd\":\"config\",\"op\":\"get\",\"key\":\"app.a\"}\n");
	assert_string_equal(
	    json_string_value(json_object_get(o, "value")), "1");
	assert_string_equal(
	    json_string_value(json_object_get(o, "source")), "app");
	json_decref(o);
	assert_error(roundtrip(f, fd,
			 "{\"cmd\":\"config\",\"op\":\"set\",\"key\":"
			 "\"Bad\",\"value\":\"1\"}\n"),
	    "Bad: a key is section.name");
	assert_error(roundtrip(f, fd,
			 "{\"cmd\":\"config\",\"op\":\"get\",\"key\":"
			 "\"app.none\"}\n"),
	    "app.none: no such key");
	o = roundtrip(f, fd,
	    "{\"cmd\":\"config\",\"op\":\"set\",\"key\":\"dmz.ports\","
	    "\"value\":\"tcp:80\"}\n");
	json_decref(o);
	o = roundtrip(f, fd, "{\"cmd\":\"config\",\"op\":\"list\"}\n");
	list = json_object_get(o, "settings");
	assert_int_equal(json_array_size(list), 2);
	assert_string_equal(
	    json_string_value(json_object_get(json_array_get(list, 1), "key")),
	    "dmz.ports");
	json_decref(o);
	/* An unset key is not listed, and get says there is none. */
	o = roundtrip(
	    f, fd, "{\"cmd\":\"config\",\"op\":\"unset\",\"key\":\"app.a\"}\n");
	json_decref(o);
	o = roundtrip(f, fd, "{\"cmd\":\"config\",\"op\":\"list\"}\n");
	assert_int_equal(json_array_size(json_object_get(o, "settings")), 1);
	json_decref(o);
	assert_error(roundtrip(f, fd,
			 "{\"cmd\":\"config\",\"op\":\"get\",\"key\":"
			 "\"app.a\"}\n"),
	    "no such key");
	close(fd);
}

static void
handover_and_reload_reach_the_ops(void **state)
{
	struct fx *f = *state;
	int fd = cl_connect(f);
	json_t *o;

	o = roundtrip(f, fd, "{\"cmd\":\"handover\",\"name\":\"h2\"}\n");
	assert_true(json_is_true(json_object_get(o, "ok")));
	json_decref(o);
	assert_string_equal(f->handover_name, "h2");
	assert_false(f->handover_null);
	o = roundtrip(f, fd, "{\"cmd\":\"handover\"}\n");
	assert_true(json_is_true(json_object_get(o, "ok")));
	json_decref(o);
	assert_true(f->handover_null);
	assert_error(
	    roundtrip(f, fd, "{\"cmd\":\"handover\",\"name\":\"nope\"}\n"),
	    "no member named nope");
	o = roundtrip(f, fd, "{\"cmd\":\"reload\"}\n");
	assert_true(json_is_true(json_object_get(o, "ok")));
	json_decref(o);
	assert_int_equal(f->n_handover, 3);
	assert_int_equal(f->n_reload, 1);
	close(fd);
}

static void
key_rotate_reaches_the_op_and_its_refusal_the_client(void **state)
{
	struct fx *f = *state;
	int fd = cl_connect(f);
	json_t *o;

	assert_error(roundtrip(f, fd, "{\"cmd\":\"key\",\"op\":\"rotate\"}\n"),
	    "h3 lacks the next key");
	o = roundtrip(
	    f, fd, "{\"cmd\":\"key\",\"op\":\"rotate\",\"force\":true}\n");
	assert_true(json_is_true(json_object_get(o, "ok")));
	json_decref(o);
	assert_int_equal(f->n_rotate, 2);
	assert_int_equal(f->n_forced, 1);
	close(fd);
}

static void
the_client_past_the_limit_is_told_too_many_clients(void **state)
{
	struct fx *f = *state;
	int fd[CTL_MAX_CLIENTS], extra, i;

	for (i = 0; i < CTL_MAX_CLIENTS; i++) {
		fd[i] = cl_connect(f);
		pump(f, -1, 0);
	}
	extra = cl_connect(f);
	assert_error(cl_reply(f, extra), "too many clients");
	assert_eof(f, extra);
	close(extra);
	/* The admitted ones are served. */
	assert_status(roundtrip(f, fd[0], "{\"cmd\":\"status\"}\n"));
	assert_status(
	    roundtrip(f, fd[CTL_MAX_CLIENTS - 1], "{\"cmd\":\"status\"}\n"));
	for (i = 0; i < CTL_MAX_CLIENTS; i++)
		close(fd[i]);
}

static void
a_second_server_on_a_live_socket_is_refused(void **state)
{
	struct fx *f = *state;
	struct ctl *c2;
	char err[256];
	int fd;

	c2 = ctl_new(f->base, f->path, &fake_ops, f, err, sizeof(err));
	assert_null(c2);
	assert_non_null(strstr(err, "is in use"));
	assert_non_null(strstr(err, f->path));
	/* The first one still owns and serves it. */
	fd = cl_connect(f);
	assert_status(roundtrip(f, fd, "{\"cmd\":\"status\"}\n"));
	close(fd);
}

static void
a_stale_socket_file_is_replaced(void **state)
{
	struct fx *f = *state;
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	char err[256];
	int s, fd;

	/* A socket file that nobody listens on: a qured killed with -9. */
	ctl_free(f->ctl);
	f->ctl = NULL;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", f->path);
	s = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_int_equal(bind(s, (struct sockaddr *)&sun, sizeof(sun)), 0);
	close(s);
	f->ctl = ctl_new(f->base, f->path, &fake_ops, f, err, sizeof(err));
	if (f->ctl == NULL)
		fail_msg("ctl_new: %s", err);
	fd = cl_connect(f);
	assert_status(roundtrip(f, fd, "{\"cmd\":\"status\"}\n"));
	close(fd);
}

static void
a_path_that_is_not_a_socket_is_refused_and_kept(void **state)
{
	struct fx *f = *state;
	char path[160], err[256];
	struct stat sb;
	FILE *fp;

	snprintf(path, sizeof(path), "%s/file", f->dir);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fclose(fp);
	assert_null(ctl_new(f->base, path, &fake_ops, f, err, sizeof(err)));
	assert_non_null(strstr(err, "not a socket"));
	assert_int_equal(stat(path, &sb), 0);
	assert_true(S_ISREG(sb.st_mode));
	unlink(path);
	memset(path, 'x', sizeof(path) - 1);
	path[0] = '/';
	path[sizeof(path) - 1] = '\0';
	assert_null(ctl_new(f->base, path, &fake_ops, f, err, sizeof(err)));
	assert_non_null(strstr(err, "too long"));
}

static void
ctl_free_removes_the_socket_file(void **state)
{
	struct fx *f = *state;
	struct stat sb;

	ctl_free(f->ctl);
	f->ctl = NULL;
	assert_int_equal(stat(f->path, &sb), -1);
	assert_int_equal(errno, ENOENT);
}

static void
ctl_free_from_inside_an_op_is_safe(void **state)
{
	struct fx *f = *state;
	int fd = cl_connect(f), other = cl_connect(f);
	struct stat sb;

	pump(f, -1, 0);
	f->free_in_reload = true;
	cl_sends(f, fd, "{\"cmd\":\"reload\"}\n{\"cmd\":\"status\"}\n");
	/* The server is gone: the connection ends without a reply. */
	assert_eof(f, fd);
	assert_eof(f, other);
	assert_null(f->ctl);
	assert_int_equal(f->n_reload, 1);
	assert_int_equal(f->n_status, 0);
	assert_int_equal(stat(f->path, &sb), -1);
	close(fd);
	close(other);
}

/* ---- watchers ({"cmd":"watch"}) ---- */

#define EV_LINE                                                                \
	"{\"type\":\"failover\",\"at_ms\":1796510000123,\"node\":\"h1\","      \
	"\"from\":\"h3\",\"from_id\":\"33333333333333333333333333333333\","    \
	"\"to\":\"h2\",\"to_id\":\"22222222222222222222222222222222\","        \
	"\"cause\":\"holder_dead\",\"duration_ms\":240}"

/* A watcher: connected, {"cmd":"watch"} sent and {"ok":true} read. */
static int
cl_watch(struct fx *f)
{
	int fd = cl_connect(f);
	json_t *o = roundtrip(f, fd, "{\"cmd\":\"watch\"}\n");

	assert_true(json_is_true(json_object_get(o, "ok")));
	json_decref(o);
	return fd;
}

static void
a_watcher_gets_each_event_line_and_others_do_not(void **state)
{
	struct fx *f = *state;
	int w = cl_watch(f), other = cl_connect(f);
	char buf[1024];
	json_t *o;

	ctl_event(f->ctl, EV_LINE);
	ctl_event(f->ctl, "{\"type\":\"state\"}");
	assert_true(cl_line(f, w, buf, sizeof(buf)) > 0);
	assert_string_equal(buf, EV_LINE);
	assert_true(cl_line(f, w, buf, sizeof(buf)) > 0);
	assert_string_equal(buf, "{\"type\":\"state\"}");
	/* What a watcher sends later is not read as requests. */
	cl_sends(f, w, "{\"cmd\":\"status\"}\n");
	pump(f, w, POLLIN);
	assert_int_equal(f->n_status, 0);
	/* A client that did not ask gets replies, never events. */
	assert_status(roundtrip(f, other, "{\"cmd\":\"status\"}\n"));
	o = roundtrip(f, other, "{\"cmd\":\"members\"}\n");
	assert_non_null(json_object_get(o, "members"));
	json_decref(o);
	/* A watcher that hangs up is freed at once. */
	close(w);
	pump(f, -1, 0);
	ctl_event(f->ctl, EV_LINE);
	close(other);
}

static void
a_watcher_that_does_not_read_is_dropped_without_blocking(void **state)
{
	enum { N = 1500, LEN = 1000 }; /* 1.5 MB: past the socket buffers */
	struct fx *f = *state;
	int slow = cl_watch(f), fast = cl_watch(f), rcv = 4096;
	char line[LEN + 1], buf[LEN + 2];
	long long t0, worst = 0;
	int i, got = 0, slow_lines = 0;

	setsockopt(slow, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));
	memset(line, 'x', LEN);
	memcpy(line, "{\"type\":\"state\",\"x\":\"", 21);
	memcpy(line + LEN - 2, "\"}", 2);
	line[LEN] = '\0';
	for (i = 0; i < N; i++) {
		t0 = now_ms();
		ctl_event(f->ctl, line);
		if (now_ms() - t0 > worst)
			worst = now_ms() - t0;
		/* The loop runs between events; the fast one reads them. */
		event_base_loop(f->base, EVLOOP_NONBLOCK);
		while (recv(fast, buf, 1, MSG_PEEK | MSG_DONTWAIT) == 1 &&
		       cl_line(f, fast, buf, sizeof(buf)) == LEN)
			got++;
	}
	/* Never a wait on the watcher (generous: the machine is busy). */
	assert_true(worst < 1000);
	assert_int_equal(ctl_watchers_dropped(f->ctl), 1);
	while (got < N && cl_line(f, fast, buf, sizeof(buf)) == LEN)
		got++;
	assert_int_equal(got, N);
	/* The slow one gets what was queued before, then the end. */
	while (cl_line(f, slow, buf, sizeof(buf)) >= 0)
		slow_lines++;
	assert_true(slow_lines < N);
	close(slow);
	close(fast);
	/* The server serves on. */
	slow = cl_connect(f);
	assert_status(roundtrip(f, slow, "{\"cmd\":\"status\"}\n"));
	close(slow);
}

/* ---- the qurectl binary against the server ---- */

struct run {
	int status;
	char out[16384];
	char err[1024];
};

/* $QURECTL, else the build tree's (make check exports top_builddir). */
static const char *
qurectl_path(void)
{
	static char buf[4096];
	const char *p = getenv("QURECTL"), *top = getenv("top_builddir");

	if (p == NULL) {
		snprintf(buf, sizeof(buf), "%s/src/qurectl",
		    top != NULL ? top : ".");
		p = buf;
	}
	return access(p, X_OK) == 0 ? p : NULL;
}

static void
drain_pipe(int *fd, char *buf, size_t size, size_t *len)
{
	ssize_t n;

	if (*fd == -1)
		return;
	n = read(*fd, buf + *len, size - 1 - *len);
	if (n > 0) {
		*len += (size_t)n;
		buf[*len] = '\0';
	} else if (n == 0 || errno != EAGAIN) {
		close(*fd);
		*fd = -1;
	}
}

/* Runs qurectl with args, pumping the server until it exits. */
static void
run_qurectl(struct fx *f, struct run *r, const char *const *args)
{
	const char *bin = qurectl_path();
	char *argv[8];
	int out[2], err[2], st = 0;
	size_t lo = 0, le = 0, i;
	long long deadline = now_ms() + 2 * DEADLINE_MS;
	pid_t pid, done = 0;

	argv[0] = (char *)bin;
	for (i = 0; args[i] != NULL && i < 6; i++)
		argv[i + 1] = (char *)args[i];
	argv[i + 1] = NULL;
	memset(r, 0, sizeof(*r));
	assert_int_equal(pipe2(out, O_CLOEXEC), 0);
	assert_int_equal(pipe2(err, O_CLOEXEC), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(out[1], 1);
		dup2(err[1], 2);
		execv(bin, argv);
		_exit(127);
	}
	close(out[1]);
	close(err[1]);
	fcntl(out[0], F_SETFL, O_NONBLOCK);
	fcntl(err[0], F_SETFL, O_NONBLOCK);
	while (done == 0 || out[0] != -1 || err[0] != -1) {
		if (now_ms() > deadline) {
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
			fail_msg("qurectl %s did not finish", args[0]);
		}
		pump(f, out[0], POLLIN);
		drain_pipe(&out[0], r->out, sizeof(r->out), &lo);
		drain_pipe(&err[0], r->err, sizeof(r->err), &le);
		if (done == 0)
			done = waitpid(pid, &st, WNOHANG);
	}
	assert_true(WIFEXITED(st));
	r->status = WEXITSTATUS(st);
}

/*
 * qurectl watch [--json] until its output holds want: events go out
 * every 20 ms (the first ones may come before it watches); then the
 * watch is ended: SIGINT, or the server closes (ctl_free()).
 */
static void
run_watch(
    struct fx *f, struct run *r, bool json, const char *want, bool by_sigint)
{
	const char *bin = qurectl_path();
	char *argv[] = {(char *)bin, (char *)"-s", f->path, (char *)"watch",
	    json ? (char *)"--json" : NULL, NULL};
	int out[2], err[2], st = 0;
	size_t lo = 0, le = 0;
	long long deadline = now_ms() + 2 * DEADLINE_MS, next = 0;
	pid_t pid, done = 0;
	bool ended = false;

	memset(r, 0, sizeof(*r));
	assert_int_equal(pipe2(out, O_CLOEXEC), 0);
	assert_int_equal(pipe2(err, O_CLOEXEC), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(out[1], 1);
		dup2(err[1], 2);
		execv(bin, argv);
		_exit(127);
	}
	close(out[1]);
	close(err[1]);
	fcntl(out[0], F_SETFL, O_NONBLOCK);
	fcntl(err[0], F_SETFL, O_NONBLOCK);
	while (done == 0 || out[0] != -1 || err[0] != -1) {
		if (now_ms() > deadline) {
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
			fail_msg("qurectl watch did not finish: %s", r->out);
		}
		if (!ended && now_ms() >= next) {
			ctl_event(f->ctl, EV_LINE);
			next = now_ms() + 20;
		}
		if (!ended && strstr(r->out, want) != NULL) {
			ended = true;
			if (by_sigint)
				kill(pid, SIGINT);
			else {
				ctl_free(f->ctl);
				f->ctl = NULL;
			}
		}
		pump(f, out[0], POLLIN);
		drain_pipe(&out[0], r->out, sizeof(r->out), &lo);
		drain_pipe(&err[0], r->err, sizeof(r->err), &le);
		if (done == 0)
			done = waitpid(pid, &st, WNOHANG);
	}
	assert_true(WIFEXITED(st));
	r->status = WEXITSTATUS(st);
}

static void
qurectl_watch_prints_events_until_interrupted_or_closed(void **state)
{
	struct fx *f = *state;
	struct run r;

	if (qurectl_path() == NULL)
		skip();
	/* Text, ended by SIGINT: exit 0. */
	run_watch(f, &r, false,
	    "h1: failover h3 -> h2 (holder_dead) in 240 ms\n", true);
	assert_int_equal(r.status, 0);
	assert_string_equal(r.err, "");
	assert_non_null(strstr(r.out, "2026-12-05T22:33:20.123Z h1: "));
	/* JSON as it came, until qured closes: exit 3, one line why. */
	run_watch(f, &r, true, EV_LINE "\n", false);
	assert_int_equal(r.status, 3);
	assert_null(strstr(r.out, "{\"ok\""));
	assert_non_null(strstr(r.err, "closed the stream"));
	assert_string_equal(strchr(r.err, '\n'), "\n"); /* one line */
}

static void
qurectl_talks_to_the_server(void **state)
{
	struct fx *f = *state;
	struct run r;
	json_t *o;

	if (qurectl_path() == NULL)
		skip();
	run_qurectl(
	    f, &r, (const char *[]){"-s", f->path, "status", "--json", NULL});
	assert_int_equal(r.status, 0);
	assert_string_equal(r.err, "");
	o = json_loads(r.out, 0, NULL);
	assert_non_null(o);
	assert_status(o);
	run_qurectl(f, &r, (const char *[]){"-s", f->path, "status", NULL});
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "holder:   h1"));
	run_qurectl(f, &r, (const char *[]){"-s", f->path, "members", NULL});
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "\nh2 "));
	run_qurectl(
	    f, &r, (const char *[]){"-s", f->path, "handover", "h2", NULL});
	assert_int_equal(r.status, 0);
	assert_string_equal(f->handover_name, "h2");
	run_qurectl(f, &r, (const char *[]){"-s", f->path, "reload", NULL});
	assert_int_equal(r.status, 0);
	assert_int_equal(f->n_reload,
	    1); /* The Prometheus text of the same status (src/metrics.h). */
	run_qurectl(f, &r, (const char *[]){"-s", f->path, "metrics", NULL});
	assert_int_equal(r.status, 0);
	assert_string_equal(r.err, "");
	assert_non_null(strstr(r.out, "# TYPE qure_node_state gauge\n"));
	assert_non_null(strstr(r.out, "\nqure_holder_info{name=\"h1\""));
	run_qurectl(
	    f, &r, (const char *[]){"-s", f->path, "metrics", "x", NULL});
	assert_int_equal(r.status, 1);
	assert_non_null(strstr(r.err, "metrics: wrong arguments"));
}

static void
qurectl_reports_errors_in_one_line_and_exits_1(void **state)
{
	struct fx *f = *state;
	char missing[160], want[256];
	struct run r;

	if (qurectl_path() == NULL)
		skip();
	run_qurectl(
	    f, &r, (const char *[]){"-s", f->path, "handover", "nope", NULL});
	assert_int_equal(r.status, 1);
	assert_string_equal(r.err, "qurectl: handover: no member named nope\n");
	snprintf(missing, sizeof(missing), "%s/none.sock", f->dir);
	run_qurectl(f, &r, (const char *[]){"-s", missing, "status", NULL});
	assert_int_equal(r.status, 1);
	snprintf(want, sizeof(want),
	    "qurectl: cannot connect to %s: No such file or directory "
	    "(is qured running?)\n",
	    missing);
	assert_string_equal(r.err, want);
	assert_string_equal(r.out, "");
	run_qurectl(f, &r, (const char *[]){"frobnicate", NULL});
	assert_int_equal(r.status, 1);
	assert_non_null(strstr(r.err, "unknown command"));
	/* One line: it ends with the only newline. */
	assert_ptr_equal(strchr(r.err, '\n'), r.err + strlen(r.err) - 1);
}

static void
qurectl_keygen_prints_32_random_bytes_in_base64(void **state)
{
	struct fx *f = *state;
	char first[64];
	struct run r;

	if (qurectl_path() == NULL)
		skip();
	run_qurectl(f, &r, (const char *[]){"keygen", NULL});
	assert_int_equal(r.status, 0);
	/* 32 bytes: 43 characters and one '=' of padding, one line. */
	assert_int_equal(strlen(r.out), 45);
	assert_int_equal(r.out[43], '=');
	assert_int_equal(r.out[44], '\n');
	assert_int_equal(
	    strspn(r.out, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
			  "0123456789+/"),
	    43);
	memcpy(first, r.out, 46);
	run_qurectl(f, &r, (const char *[]){"keygen", NULL});
	assert_string_not_equal(first, r.out);
}

/* ---- who may do what (SO_PEERCRED, issue 14) ---- */

static struct ctl_acl
acl_fixture(bool status_group)
{
	struct ctl_acl acl = {.self_uid = 998, .admin_gid = 998};

	snprintf(acl.admin_group, sizeof(acl.admin_group), "qured");
	if (status_group) {
		acl.has_status_gid = true;
		acl.status_gid = 4;
		snprintf(acl.status_group, sizeof(acl.status_group), "adm");
	}
	return acl;
}

static struct ctl_req
req_of(const char *line)
{
	struct ctl_req req;

	parse_ok(line, &req);
	return req;
}

static bool
may(const struct ctl_acl *acl, uid_t uid, gid_t gid, gid_t extra,
    const char *line, char *err, size_t errlen)
{
	struct ctl_peer peer = {.uid = uid, .gid = gid};
	struct ctl_req req = req_of(line);

	if (extra != 0) {
		peer.groups[0] = extra;
		peer.n_groups = 1;
	}
	err[0] = '\0';
	return ctl_access_ok(acl, &peer, &req, err, errlen);
}

static void
each_command_is_read_or_write_by_the_table(void **state)
{
	static const struct {
		const char *line;
		bool write;
	} rows[] = {
	    {"{\"cmd\":\"status\"}", false},
	    {"{\"cmd\":\"members\"}", false},
	    {"{\"cmd\":\"handover\"}", true},
	    {"{\"cmd\":\"reload\"}", true},
	    {"{\"cmd\":\"config\",\"op\":\"list\"}", false},
	    {"{\"cmd\":\"config\",\"op\":\"get\",\"key\":\"k\"}", false},
	    {"{\"cmd\":\"config\",\"op\":\"set\",\"key\":\"k\",\"value\":"
	     "\"v\"}",
		true},
	    {"{\"cmd\":\"config\",\"op\":\"unset\",\"key\":\"k\"}", true},
	};
	struct ctl_req req;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		req = req_of(rows[i].line);
		assert_int_equal(ctl_req_needs_write(&req), rows[i].write);
	}
	/* A command the table does not list needs write. */
	memset(&req, 0, sizeof(req));
	req.cmd = (enum ctl_cmd)999;
	assert_true(ctl_req_needs_write(&req));
}

static void
root_qureds_user_and_its_group_may_change_anything(void **state)
{
	struct ctl_acl acl = acl_fixture(false);
	char err[256];

	(void)state;
	assert_true(may(&acl, 0, 0, 0, "{\"cmd\":\"handover\"}", err, 256));
	assert_true(may(&acl, 998, 998, 0, "{\"cmd\":\"reload\"}", err, 256));
	/* the group as primary or as a supplementary group */
	assert_true(
	    may(&acl, 1000, 998, 0, "{\"cmd\":\"handover\"}", err, 256));
	assert_true(
	    may(&acl, 1000, 1000, 998, "{\"cmd\":\"handover\"}", err, 256));
	assert_true(may(&acl, 1000, 1000, 998,
	    "{\"cmd\":\"config\",\"op\":\"unset\",\"key\":\"k\"}", err, 256));
}

static void
a_stranger_is_refused_a_change_with_the_rule_in_one_line(void **state)
{
	struct ctl_acl acl = acl_fixture(true);
	char err[256];

	(void)state;
	assert_false(
	    may(&acl, 1000, 1000, 0, "{\"cmd\":\"handover\"}", err, 256));
	assert_non_null(strstr(err, "refused: handover changes the cluster"));
	assert_non_null(strstr(err, "the group qured"));
	assert_non_null(strstr(err, "uid 1000"));
	assert_null(strchr(err, '\n'));
	/* the status group reads, never writes */
	assert_false(may(&acl, 1000, 1000, 4,
	    "{\"cmd\":\"config\",\"op\":\"set\",\"key\":\"k\",\"value\":\"v\"}",
	    err, 256));
	assert_non_null(strstr(err, "refused: config set"));
	assert_false(may(&acl, 1000, 4, 0, "{\"cmd\":\"reload\"}", err, 256));
}

static void
status_is_open_to_the_status_group_only(void **state)
{
	struct ctl_acl with = acl_fixture(true), without = acl_fixture(false);
	char err[256];

	(void)state;
	assert_true(
	    may(&with, 1000, 1000, 4, "{\"cmd\":\"status\"}", err, 256));
	assert_true(may(&with, 1000, 4, 0, "{\"cmd\":\"members\"}", err, 256));
	assert_true(may(&with, 1000, 1000, 4,
	    "{\"cmd\":\"config\",\"op\":\"get\",\"key\":\"k\"}", err, 256));
	assert_false(
	    may(&with, 1000, 1000, 0, "{\"cmd\":\"status\"}", err, 256));
	assert_non_null(strstr(err, "refused: status"));
	assert_non_null(strstr(err, "the status group adm"));
	assert_false(
	    may(&without, 1000, 1000, 4, "{\"cmd\":\"status\"}", err, 256));
	assert_null(strstr(err, "status group"));
}

static void
a_peer_of_unknown_credentials_is_refused_everything(void **state)
{
	struct ctl_acl acl = acl_fixture(true);
	char err[256];

	(void)state;
	assert_false(may(
	    &acl, (uid_t)-1, (gid_t)-1, 0, "{\"cmd\":\"status\"}", err, 256));
	assert_non_null(strstr(err, "credentials are unknown"));
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(parser_accepts_each_command),
	    cmocka_unit_test(parser_takes_a_handover_name_or_none),
	    cmocka_unit_test(parser_rejects_bad_requests_with_a_reason),
	    cmocka_unit_test(parser_takes_a_config_op_key_and_value),
	    cmocka_unit_test(parser_takes_key_rotate_and_refuses_bad_input),
	    cmocka_unit_test(parser_reads_only_len_bytes),
	    cmocka_unit_test(each_command_is_read_or_write_by_the_table),
	    cmocka_unit_test(
		root_qureds_user_and_its_group_may_change_anything),
	    cmocka_unit_test(
		a_stranger_is_refused_a_change_with_the_rule_in_one_line),
	    cmocka_unit_test(status_is_open_to_the_status_group_only),
	    cmocka_unit_test(
		a_peer_of_unknown_credentials_is_refused_everything),
	    T(server_answers_status_with_the_design_object),
	    T(members_reply_lists_the_members),
	    T(socket_is_0660_in_a_0755_directory),
	    T(malformed_request_gets_an_error_and_the_connection_stays_usable),
	    T(pipelined_requests_get_one_reply_each_in_order),
	    T(half_written_request_then_disconnect_leaves_the_server_serving),
	    T(a_last_request_without_newline_before_shutdown_is_answered),
	    T(oversized_line_gets_an_error_and_is_closed),
	    T(a_line_of_exactly_the_limit_is_served),
	    T(a_client_that_does_not_read_is_throttled_not_buffered),
	    T(a_watcher_gets_each_event_line_and_others_do_not),
	    T(a_watcher_that_does_not_read_is_dropped_without_blocking),
	    T(config_sets_gets_lists_and_unsets_through_the_ops),
	    T(handover_and_reload_reach_the_ops),
	    T(key_rotate_reaches_the_op_and_its_refusal_the_client),
	    T(the_client_past_the_limit_is_told_too_many_clients),
	    T(a_second_server_on_a_live_socket_is_refused),
	    T(a_stale_socket_file_is_replaced),
	    T(a_path_that_is_not_a_socket_is_refused_and_kept),
	    T(ctl_free_removes_the_socket_file),
	    T(ctl_free_from_inside_an_op_is_safe),
	    T(qurectl_talks_to_the_server),
	    T(qurectl_watch_prints_events_until_interrupted_or_closed),
	    T(qurectl_reports_errors_in_one_line_and_exits_1),
	    T(qurectl_keygen_prints_32_random_bytes_in_base64),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
