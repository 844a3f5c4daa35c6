#include "config.h"

#include <sys/random.h>
#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "base/clock.h"
#include "base/ctl_client.h"
#include "src/metrics.h"
#include "src/qurectl_kv.h"
#include "src/qurectl_watch.h"
#include "src/status.h"
#include "store/settings.h"

/*
 * qurectl: asks a running qured over its control socket (src/ctl.h), one
 * JSON request line, one JSON reply line. Exit 0 on success, 1 with one
 * line on stderr (doc/design.md §8.1).
 */

#define QURECTL_SOCKET "/run/qured/qured.sock"
#define QURECTL_TIMEOUT_MS 5000
#define QURECTL_REPLY_MAX (1024 * 1024) /* far above 64 members */
#define QURECTL_KEY_LEN 32		/* ELECT_KEY_LEN */

struct reply {
	char *line; /* NUL-terminated, without its newline */
	size_t len;
	json_t *obj;
};

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2)))
__attribute__((noreturn));

static void
die(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("qurectl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: qurectl [-s SOCKET] [-H HOST[:PORT]] [-P FILE] COMMAND\n"
	    "\n"
	    "  status [--json]   who holds the DMZ address, this node, "
	    "counters\n"
	    "  members [--json]  the members this node knows, as a table\n"
	    "  metrics           the status in the Prometheus text format\n"
	    "  handover [NAME]   the holder hands the address over (to NAME)\n"
	    "  reload            qured reloads its config file\n"
	    "  watch [--json]    events as they happen (state changes,\n"
	    "                    members, failovers) until interrupted; exit\n"
	    "                    3 when qured closes the stream\n"
	    "  key rotate [--force]\n"
	    "                    send with the next key now (refused while\n"
	    "                    a member lacks it, unless --force)\n"
	    "  config list [--json]\n"
	    "                    the site settings, shared by every member\n"
	    "  config get KEY [--json]\n"
	    "                    one setting's value (exit 2: no such key)\n"
	    "  config set KEY VALUE|-\n"
	    "                    sets KEY (section.name) on every member; -:\n"
	    "                    the value from standard input\n"
	    "  config unset KEY  removes KEY on every member\n"
	    "  kv set|append KEY VALUE|-   store, append (- : standard input)\n"
	    "  kv get|del KEY    (exit 2: no such key)\n"
	    "  kv list [PATTERN] the keys (a glob)\n"
	    "  kv init [--strategy uniform|cpu|memory] ID...\n"
	    "                    creates empty ids spread over the members\n"
	    "  kv node-id|node-ids KEY\n"
	    "                    the member that processes KEY / holds it\n"
	    "                    (kv: each with --json; -H HOST[:PORT] any\n"
	    "                    member, -P FILE the site cache's password)\n"
	    "  vms [--json]      with -s HOSTD_SOCKET: qure-hostd's VMs, "
	    "their\n"
	    "                    state, restarts and last reason\n"
	    "  keygen [-f] [-o FILE]\n"
	    "                    a new cluster key (base64 of 32 bytes), "
	    "printed\n"
	    "                    or written to FILE, mode 0600 (-f: replace)\n"
	    "\n"
	    "  -s SOCKET         control socket (default %s)\n"
	    "  -h, --help        this text\n",
	    QURECTL_SOCKET);
}

/*
 * Sends req (consumed) and reads the reply object; returns its "error"
 * (NULL: none), which lives as long as r.
 */
static const char *
request_may_fail(
    const char *path, const char *what, json_t *req, struct reply *r)
{
	char err[512];
	json_error_t jerr;
	const json_t *e;
	char *s;

	s = json_dumps(req, JSON_COMPACT);
	json_decref(req);
	if (s == NULL)
		die("out of memory");
	if (ctl_client_call(path, s, QURECTL_TIMEOUT_MS, QURECTL_REPLY_MAX,
		&r->line, &r->len, err, sizeof(err)) == -1)
		die("%s", err);
	free(s);
	r->obj = json_loadb(r->line, r->len, 0, &jerr);
	if (r->obj == NULL || !json_is_object(r->obj))
		die("%s: reply from %s is not a JSON object", what, path);
	e = json_object_get(r->obj, "error");
	if (e == NULL)
		return NULL;
	return json_is_string(e) ? json_string_value(e) : "failed";
}

/* The same; a reply with "error" ends the program: "qurectl: <what>:
 * <error>". */
static void
request(const char *path, const char *what, json_t *req, struct reply *r)
{
	const char *e = request_may_fail(path, what, req, r);

	if (e != NULL)
		die("%s: %s", what, e);
}

static void
reply_free(struct reply *r)
{
	json_decref(r->obj);
	free(r->line);
}

static json_t *
req_new(const char *cmd)
{
	json_t *o = json_object();

	if (o == NULL || json_object_set_new(o, "cmd", json_string(cmd)) == -1)
		die("out of memory");
	return o;
}

static void
cmd_status(const char *path, int json)
{
	struct status *st;
	struct reply r;
	char err[256];

	request(path, "status", req_new("status"), &r);
	if (json) {
		/* Exactly what qured sent (fields: doc/design.md §8.3). */
		printf("%s\n", r.line);
		reply_free(&r);
		return;
	}
	if ((st = calloc(1, sizeof(*st))) == NULL)
		die("out of memory");
	if (status_from_json(r.obj, st, err, sizeof(err)) == -1)
		die("%s", err);
	status_print(st, stdout);
	free(st);
	reply_free(&r);
}

/* What GET /metrics of [http] listen answers (src/metrics.h), from the
 * status object read back: the same struct, the same text. */
static void
cmd_metrics(const char *path)
{
	struct status *st;
	struct reply r;
	char err[256];

	request(path, "status", req_new("status"), &r);
	if ((st = calloc(1, sizeof(*st))) == NULL)
		die("out of memory");
	if (status_from_json(r.obj, st, err, sizeof(err)) == -1)
		die("%s", err);
	if (metrics_write(st, stdout) == -1 || fflush(stdout) == EOF)
		die("metrics: cannot write: %s", strerror(errno));
	free(st);
	reply_free(&r);
}

static void
cmd_members(const char *path, int json)
{
	struct status *st;
	struct reply r;
	char err[256];

	request(path, "members", req_new("members"), &r);
	if (json) {
		/* Exactly what qured sent: node and members, as in status. */
		printf("%s\n", r.line);
		reply_free(&r);
		return;
	}
	if ((st = calloc(1, sizeof(*st))) == NULL)
		die("out of memory");
	if (status_from_json(r.obj, st, err, sizeof(err)) == -1)
		die("%s", err);
	status_print_members(st, stdout);
	free(st);
	reply_free(&r);
}

static void
cmd_simple(const char *path, const char *cmd, const char *name)
{
	json_t *req = req_new(cmd);
	struct reply r;

	if (name != NULL &&
	    json_object_set_new(req, "name", json_string(name)) == -1)
		die("handover: name is not valid UTF-8: %s", name);
	request(path, cmd, req, &r);
	reply_free(&r);
}

/* key rotate [--force]: {"cmd":"key","op":"rotate"[,"force":true]}. */
static void
cmd_key(const char *path, int argc, char **argv)
{
	json_t *req;
	struct reply r;
	bool force = argc == 3 && strcmp(argv[2], "--force") == 0;

	if (argc < 2 || strcmp(argv[1], "rotate") != 0 ||
	    (argc == 3 && !force) || argc > 3)
		die("key: expected key rotate [--force] (see qurectl -h)");
	req = req_new("key");
	if (json_object_set_new(req, "op", json_string("rotate")) == -1 ||
	    (force && json_object_set_new(req, "force", json_true()) == -1))
		die("key: out of memory");
	request(path, "key rotate", req, &r);
	reply_free(&r);
	printf("key: sending with the next key%s\n", force ? " (forced)" : "");
}

static void
base64(const unsigned char *in, size_t len, char *out)
{
	static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				  "abcdefghijklmnopqrstuvwxyz0123456789+/";
	unsigned long v;
	size_t i;

	for (i = 0; i + 2 < len; i += 3, out += 4) {
		v = (unsigned long)in[i] << 16 | in[i + 1] << 8 | in[i + 2];
		out[0] = tab[v >> 18 & 63];
		out[1] = tab[v >> 12 & 63];
		out[2] = tab[v >> 6 & 63];
		out[3] = tab[v & 63];
	}
	if (i < len) {
		v = (unsigned long)in[i] << 16;
		if (i + 1 < len)
			v |= (unsigned long)in[i + 1] << 8;
		out[0] = tab[v >> 18 & 63];
		out[1] = tab[v >> 12 & 63];
		out[2] = i + 1 < len ? tab[v >> 6 & 63] : '=';
		out[3] = '=';
		out += 4;
	}
	*out = '\0';
}

/* Writes all of buf to fd, then syncs it; 0, or -1 with errno. */
static int
write_all_sync(int fd, const char *buf, size_t len)
{
	ssize_t n;

	while (len > 0) {
		n = write(fd, buf, len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return fsync(fd);
}

/*
 * The key file is 0600 from its first byte: `keygen > file && chmod`
 * leaves it readable by all for a moment. Without force, O_EXCL refuses
 * an existing file or a planted symlink; with force, a new 0600 file
 * in the same directory is renamed over the old one, so the path never
 * names a file that is half written or readable by others.
 */
static void
keygen_to_file(const char *path, const char *line, int force)
{
	char tmp[4096];
	int fd, n;

	if (!force) {
		fd = open(path,
		    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd == -1 && errno == EEXIST)
			die("keygen: %s exists; give -f to replace it", path);
		if (fd == -1)
			die("keygen: %s: %s", path, strerror(errno));
		if (fchmod(fd, 0600) == -1 ||
		    write_all_sync(fd, line, strlen(line)) == -1 ||
		    close(fd) == -1) {
			unlink(path);
			die("keygen: %s: %s", path, strerror(errno));
		}
		return;
	}
	n = snprintf(tmp, sizeof(tmp), "%s.tmpXXXXXX", path);
	if (n < 0 || (size_t)n >= sizeof(tmp))
		die("keygen: %s: path too long", path);
	if ((fd = mkstemp(tmp)) == -1) /* mode 0600 */
		die("keygen: %s: %s", path, strerror(errno));
	if (fchmod(fd, 0600) == -1 ||
	    write_all_sync(fd, line, strlen(line)) == -1 || close(fd) == -1 ||
	    rename(tmp, path) == -1) {
		int e = errno;

		unlink(tmp);
		die("keygen: %s: %s", path, strerror(e));
	}
}

/* path NULL: standard output. */
static void
cmd_keygen(const char *path, int force)
{
	unsigned char key[QURECTL_KEY_LEN];
	char b64[(QURECTL_KEY_LEN + 2) / 3 * 4 + 2];
	size_t got = 0;
	ssize_t n;

	while (got < sizeof(key)) {
		n = getrandom(key + got, sizeof(key) - got, 0);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			die("keygen: getrandom: %s", strerror(errno));
		got += (size_t)n;
	}
	base64(key, sizeof(key), b64);
	explicit_bzero(key, sizeof(key));
	if (path == NULL) {
		printf("%s\n", b64);
	} else {
		b64[sizeof(b64) - 2] = '\n';
		b64[sizeof(b64) - 1] = '\0';
		keygen_to_file(path, b64, force);
	}
	explicit_bzero(b64, sizeof(b64));
}

/* keygen [-f] [-o FILE], in any order; dies on anything else. */
static void
keygen_args(int argc, char **argv)
{
	const char *path = NULL;
	int i, force = 0;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-f") == 0)
			force = 1;
		else if (strcmp(argv[i], "-o") == 0 && i + 1 < argc)
			path = argv[++i];
		else
			die("keygen: wrong arguments (see qurectl -h)");
	}
	if (force && path == NULL)
		die("keygen: -f needs -o FILE (see qurectl -h)");
	cmd_keygen(path, force);
}

/* A config request: op, and key and value when given. */
static json_t *
config_req(const char *op, const char *key, const char *value)
{
	json_t *o = req_new("config");

	if (json_object_set_new(o, "op", json_string(op)) == -1 ||
	    (key != NULL &&
		json_object_set_new(o, "key", json_string(key)) == -1) ||
	    (value != NULL &&
		json_object_set_new(o, "value", json_string(value)) == -1))
		die("config: the key or value is not valid UTF-8");
	return o;
}

/* VALUE, or with "-" standard input (one trailing newline dropped). */
static char *
config_value(const char *arg)
{
	char *v;
	size_t n;

	if (strcmp(arg, "-") != 0) {
		if ((v = strdup(arg)) == NULL)
			die("out of memory");
		return v;
	}
	if ((v = calloc(1, SETTINGS_VALUE_MAX + 2)) == NULL)
		die("out of memory");
	n = fread(v, 1, SETTINGS_VALUE_MAX + 1, stdin);
	if (ferror(stdin))
		die("config set: cannot read standard input");
	if (n > 0 && v[n - 1] == '\n')
		v[--n] = '\0';
	if (n > SETTINGS_VALUE_MAX)
		die("config set: the value on standard input is over %d bytes",
		    SETTINGS_VALUE_MAX);
	return v;
}

/* qurectl config list|get|set|unset: exit 2 when get finds no key. */
static void
cmd_config(const char *path, int argc, char **argv)
{
	const char *op = argc > 1 ? argv[1] : "", *e;
	bool json = argc > 2 && strcmp(argv[argc - 1], "--json") == 0;
	const json_t *list, *v;
	struct reply r;
	char *value;
	size_t i;

	if (strcmp(op, "list") == 0 && (argc == 2 || (argc == 3 && json))) {
		request(
		    path, "config list", config_req("list", NULL, NULL), &r);
		if (json) {
			printf("%s\n", r.line);
		} else {
			list = json_object_get(r.obj, "settings");
			json_array_foreach(list, i, v) printf("%s = %s%s\n",
			    json_string_value(json_object_get(v, "key")),
			    json_string_value(json_object_get(v, "value")),
			    json_is_string(json_object_get(v, "source")) &&
				    strcmp(json_string_value(
					       json_object_get(v, "source")),
					"file") == 0
				? "  (here the local file's value applies)"
				: "");
		}
	} else if (strcmp(op, "get") == 0 &&
		   (argc == 3 || (argc == 4 && json))) {
		e = request_may_fail(
		    path, "config get", config_req("get", argv[2], NULL), &r);
		if (e != NULL && strstr(e, "no such key") != NULL) {
			fprintf(stderr, "qurectl: config get: %s\n", e);
			exit(2);
		}
		if (e != NULL)
			die("config get: %s", e);
		if (json)
			printf("%s\n", r.line);
		else
			printf("%s\n",
			    json_string_value(json_object_get(r.obj, "value")));
	} else if (strcmp(op, "set") == 0 && argc == 4) {
		value = config_value(argv[3]);
		request(
		    path, "config set", config_req("set", argv[2], value), &r);
		free(value);
	} else if (strcmp(op, "unset") == 0 && argc == 3) {
		request(path, "config unset",
		    config_req("unset", argv[2], NULL), &r);
	} else {
		die("config: wrong arguments (see qurectl -h)");
	}
	reply_free(&r);
}

/* -H and -P: which member's site cache qurectl kv asks, and how. */
static const char *kv_host_opt, *kv_password_opt;

#define QURECTL_STORE_PASSWORD "/var/lib/qured/store/password"

/* Whether a qured listens on path (connect without dying). */
static bool
socket_answers(const char *path)
{
	char err[256];
	int fd = ctl_client_connect(path, 0, err, sizeof(err));

	if (fd == -1)
		return false;
	close(fd);
	return true;
}

/* HOST, HOST:PORT, IPV6 or [IPV6]:PORT into host (len bytes), *port
 * (0: none given). */
static void
parse_host_opt(const char *arg, char *host, size_t len, uint16_t *port)
{
	const char *h = arg, *hend, *ps = NULL, *colon;
	char *stop;
	long p;

	*port = 0;
	if (arg[0] == '[') {
		const char *close = strchr(arg, ']');

		if (close == NULL || (close[1] != '\0' && close[1] != ':'))
			die("-H %s: not [IPV6]:PORT", arg);
		h = arg + 1;
		hend = close;
		ps = close[1] == ':' ? close + 2 : NULL;
	} else if ((colon = strchr(arg, ':')) != NULL &&
		   strchr(colon + 1, ':') == NULL) {
		hend = colon;
		ps = colon + 1;
	} else {
		hend = arg + strlen(arg); /* no port, or a bare IPv6 address */
	}
	if (ps != NULL) {
		p = strtol(ps, &stop, 10);
		if (*ps == '\0' || *stop != '\0' || p <= 0 || p > 65535)
			die("-H %s: the port is not 1..65535", arg);
		*port = (uint16_t)p;
	}
	if (hend == h || (size_t)(hend - h) >= len)
		die("-H %s: no host, or one too long", arg);
	memcpy(host, h, (size_t)(hend - h));
	host[hend - h] = '\0';
}

/* init --strategy S: the site's [store] strategy, set first. */
static int
kv_strategy(const char *path, int *argc, char **argv)
{
	struct reply r;
	int i;

	for (i = 1; i + 1 < *argc; i++) {
		if (strcmp(argv[i], "--strategy") != 0)
			continue;
		if (strcmp(argv[i + 1], "uniform") != 0 &&
		    strcmp(argv[i + 1], "cpu") != 0 &&
		    strcmp(argv[i + 1], "memory") != 0)
			die("kv init: --strategy is uniform, cpu or memory");
		request(path, "kv init --strategy",
		    config_req("set", "store.strategy", argv[i + 1]), &r);
		reply_free(&r);
		memmove(&argv[i], &argv[i + 2],
		    (size_t)(*argc - i - 2) * sizeof(argv[0]));
		*argc -= 2;
		return 1;
	}
	return 0;
}

/* qurectl kv: the member and the password from -H/-P, else from the
 * local qured's status; exits with kv_main()'s status. */
static void
cmd_kv(const char *path, int argc, char **argv)
{
	struct kv_opts o = {.host = kv_host_opt};
	struct status *st = calloc(1, sizeof(*st));
	char host[STATUS_ADDR_LEN + 2], err[256];
	bool local = false;
	struct reply r;

	if (st == NULL)
		die("out of memory");
	if (argc > 1 && strcmp(argv[1], "init") == 0)
		kv_strategy(path, &argc, argv);
	if ((kv_host_opt == NULL || kv_password_opt == NULL) &&
	    (kv_host_opt == NULL || socket_answers(path))) {
		request(path, "kv", req_new("status"), &r);
		if (status_from_json(r.obj, st, err, sizeof(err)) == -1)
			die("kv: %s", err);
		reply_free(&r);
		local = true;
	}
	if (kv_host_opt != NULL) {
		parse_host_opt(kv_host_opt, host, sizeof(host), &o.port);
		o.host = host;
	} else if (!st->store.enabled || st->store.address[0] == '\0' ||
		   st->store.n_instances == 0) {
		die("kv: this member runs no site cache%s%s (set [store] "
		    "enable = yes, or ask another member with -H HOST)",
		    st->store.error[0] ? ": " : "", st->store.error);
	} else {
		o.host = st->store.address;
		o.port = (uint16_t)st->store.instances[0].port;
	}
	o.password_file = kv_password_opt != NULL ? kv_password_opt
			  : local && st->store.password_file[0] != '\0'
			      ? st->store.password_file
			      : QURECTL_STORE_PASSWORD;
	o.st = local ? st : NULL;
	if (fflush(stdout) == EOF)
		die("cannot write to standard output");
	exit(kv_main(&o, argc - 1, argv + 1));
}

/* A JSON value as a table cell: strings bare, null "-". */
static void
cell(const json_t *v, char *buf, size_t len)
{
	if (json_is_string(v))
		snprintf(buf, len, "%s", json_string_value(v));
	else if (json_is_integer(v))
		snprintf(buf, len, "%lld", (long long)json_integer_value(v));
	else if (json_is_boolean(v))
		snprintf(buf, len, "%s", json_is_true(v) ? "yes" : "no");
	else
		snprintf(buf, len, "-");
}

/* qure-hostd's VMs (qure-hostd(8)): a table, or its JSON as sent. */
static void
cmd_vms(const char *path, int json)
{
	static const char *const cols[] = {"name", "driver", "state", "running",
	    "restarts", "heard_ms_ago", "reason"};
	const json_t *list, *v;
	char c[sizeof(cols) / sizeof(cols[0])][200];
	struct reply r;
	size_t i, k;

	request(path, "vms", req_new("vms"), &r);
	if (json) {
		printf("%s\n", r.line);
		reply_free(&r);
		return;
	}
	list = json_object_get(r.obj, "vms");
	if (!json_is_array(list))
		die("vms: the reply from %s has no vms (is it qure-hostd's "
		    "socket?)",
		    path);
	if (!json_is_true(json_object_get(r.obj, "cluster_heard")))
		printf("(the local qured does not answer: no VM is "
		       "judged)\n");
	printf("%-16s  %-7s  %-7s  %-7s  %8s  %8s  %s\n", "NAME", "DRIVER",
	    "STATE", "RUNNING", "RESTARTS", "HEARD_MS", "LAST REASON");
	json_array_foreach(list, i, v)
	{
		for (k = 0; k < sizeof(cols) / sizeof(cols[0]); k++)
			cell(json_object_get(v, cols[k]), c[k], sizeof(c[k]));
		printf("%-16s  %-7s  %-7s  %-7s  %8s  %8s  %s\n", c[0], c[1],
		    c[2], c[3], c[4], c[5], c[6]);
	}
	reply_free(&r);
}

/* Runs argv[0] (a command) with its arguments; dies on a usage error. */
static void
run(const char *path, int argc, char **argv)
{
	const char *cmd = argv[0];

	if (strcmp(cmd, "status") == 0 && argc == 1)
		cmd_status(path, 0);
	else if (strcmp(cmd, "status") == 0 && argc == 2 &&
		 strcmp(argv[1], "--json") == 0)
		cmd_status(path, 1);
	else if (strcmp(cmd, "members") == 0 && argc == 1)
		cmd_members(path, 0);
	else if (strcmp(cmd, "members") == 0 && argc == 2 &&
		 strcmp(argv[1], "--json") == 0)
		cmd_members(path, 1);
	else if (strcmp(cmd, "metrics") == 0 && argc == 1)
		cmd_metrics(path);
	else if (strcmp(cmd, "handover") == 0 && argc <= 2)
		cmd_simple(path, "handover", argc == 2 ? argv[1] : NULL);
	else if (strcmp(cmd, "reload") == 0 && argc == 1)
		cmd_simple(path, "reload", NULL);
	else if (strcmp(cmd, "watch") == 0 &&
		 (argc == 1 || (argc == 2 && strcmp(argv[1], "--json") == 0)))
		exit(qurectl_watch(path, argc == 2));
	else if (strcmp(cmd, "keygen") == 0)
		keygen_args(argc, argv);
	else if (strcmp(cmd, "config") == 0)
		cmd_config(path, argc, argv);
	else if (strcmp(cmd, "key") == 0)
		cmd_key(path, argc, argv);
	else if (strcmp(cmd, "kv") == 0)
		cmd_kv(path, argc, argv);
	else if (strcmp(cmd, "vms") == 0 &&
		 (argc == 1 || (argc == 2 && strcmp(argv[1], "--json") == 0)))
		cmd_vms(path, argc == 2);
	else if (strcmp(cmd, "status") == 0 || strcmp(cmd, "members") == 0 ||
		 strcmp(cmd, "handover") == 0 || strcmp(cmd, "reload") == 0 ||
		 strcmp(cmd, "keygen") == 0 || strcmp(cmd, "vms") == 0 ||
		 strcmp(cmd, "watch") == 0 || strcmp(cmd, "metrics") == 0)
		die("%s: wrong arguments (see qurectl -h)", cmd);
	else
		die("unknown command \"%s\" (see qurectl -h)", cmd);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *path = QURECTL_SOCKET;
	int c;

	/* '+': options end at the command, so "status --json" reaches it. */
	opterr = 0;
	while (
	    (c = getopt_long(argc, argv, "+:hs:H:P:", longopts, NULL)) != -1) {
		switch (c) {
		case 'h':
			usage(stdout);
			return 0;
		case 's':
			path = optarg;
			break;
		case 'H':
			kv_host_opt = optarg;
			break;
		case 'P':
			kv_password_opt = optarg;
			break;
		case ':':
			die("option -%c needs an argument (see qurectl -h)",
			    optopt);
		default:
			die("bad option %s (see qurectl -h)", argv[optind - 1]);
		}
	}
	if (optind == argc)
		die("no command (see qurectl -h)");
	run(path, argc - optind, argv + optind);
	if (fflush(stdout) == EOF || ferror(stdout))
		die("cannot write to standard output: %s", strerror(errno));
	return 0;
}
