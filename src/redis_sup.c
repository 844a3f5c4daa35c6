/*
 * src/redis_sup.c — the edge of src/redis_sup.h: this member's
 * redis-server instances of the site cache, started, restarted with a
 * backoff, watched with PING over hiredis on the loop, and stopped.
 *
 * An instance is in one of three states: waiting (no process; a timer
 * starts it), running (a process, maybe not answering yet) and up
 * (running, and its last PING with the password had PONG within
 * PING_STALE_MS). Events: the LAN address known (all start), the
 * restart timer (start), the process's exit (waiting, backoff), a PONG
 * (up), no answer in time or a lost connection (running). Nothing here
 * blocks the loop but the stop at exit.
 */
#include "config.h"

#include "src/redis_sup.h"

#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <hiredis/adapters/libevent.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <openssl/crypto.h>

#include "base/clock.h"
#include "base/log.h"
#include "base/xmalloc.h"
#include "src/child.h"
#include "src/conf.h"
#include "src/status.h"

#define MAX_INST (1 + CONF_STORE_MAX_REPLICAS)
#define ADDR_RETRY_MS 1000 /* no LAN address yet: ask again */
#define PING_WAIT_MS 100   /* until it first answers */
#define PING_EVERY_MS 1000 /* once it has */
#define PING_STALE_MS 3000 /* no PONG for this long: not up */
#define STOP_GRACE_MS 5000 /* SIGTERM, then SIGKILL */
/* state-dir + "/store", + "/PORT", + "/redis.conf" or "/password" */
#define STORE_LEN (CONF_PATH_MAX + 8)
#define DIR_LEN (STORE_LEN + 8)
#define FILE_LEN (DIR_LEN + 16)

struct redis_sup;

struct inst {
	struct redis_sup *sup;
	uint16_t port;
	char dir[DIR_LEN];	  /* state-dir/store/PORT */
	char conf_path[FILE_LEN]; /* dir/redis.conf */
	pid_t pid;		  /* 0: not running */
	uint64_t started_ms;
	uint32_t backoff_ms; /* the last wait before a start; 0: none */
	uint64_t restarts;
	char last_exit[64]; /* child_status_str(); "": none yet */
	bool up;
	uint64_t pong_ms; /* the last PONG */
	struct event *start_ev;
	struct event *ping_ev;
	redisAsyncContext *rc; /* NULL: not connected */
	bool ping_pending;
	bool auth_logged; /* a refused password is said once per run */
};

struct redis_sup {
	struct event_base *base;
	char server[CONF_PATH_MAX + 1];
	char store_dir[STORE_LEN];
	char password_file[FILE_LEN];
	char password[REDIS_SUP_PASSWORD_LEN + 1];
	uint64_t memory_bytes;
	redis_sup_addr_fn *addr_fn;
	void *addr_arg;
	struct in_addr addr;
	bool have_addr;
	struct event *addr_ev;
	struct inst inst[MAX_INST];
	size_t n;
	bool child_ref;
	char error[STATUS_ERR_LEN]; /* why nothing runs; "": none */
};

static void inst_start(struct inst *);

static void
arm(struct event *ev, uint64_t ms)
{
	struct timeval tv = {
	    (time_t)(ms / 1000), (suseconds_t)(ms % 1000) * 1000};

	evtimer_add(ev, &tv);
}

/* ---- files ---- */

static int
make_dir(const char *path, char *err, size_t errlen)
{
	struct stat st;

	if (mkdir(path, 0700) == -1 && errno != EEXIST) {
		snprintf(err, errlen, "store: cannot make %s: %s", path,
		    strerror(errno));
		return -1;
	}
	if (stat(path, &st) == -1 || !S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "store: %s is not a directory", path);
		return -1;
	}
	return 0;
}

/* Mode 0600 from its creation (it holds the password), through a
 * temporary file and a rename: a reader never sees half of it. */
static int
write_secret(const char *path, const char *text, char *err, size_t errlen)
{
	char tmp[FILE_LEN + 8];
	size_t len = strlen(text), done = 0;
	ssize_t w;
	int fd;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	(void)unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd == -1)
		goto fail;
	while (done < len) {
		w = write(fd, text + done, len - done);
		if (w == -1 && errno == EINTR)
			continue;
		if (w == -1) {
			close(fd);
			goto fail;
		}
		done += (size_t)w;
	}
	if (fsync(fd) == -1 || close(fd) == -1 || rename(tmp, path) == -1)
		goto fail;
	return 0;
fail:
	snprintf(
	    err, errlen, "store: cannot write %s: %s", path, strerror(errno));
	(void)unlink(tmp);
	return -1;
}

static int
write_inst_conf(struct inst *in, char *err, size_t errlen)
{
	struct redis_sup *s = in->sup;
	struct redis_sup_inst ic = {
	    s->addr, in->port, s->memory_bytes, in->dir, s->password};
	char text[4096];
	int rc;

	if (make_dir(in->dir, err, errlen) == -1)
		return -1;
	if (redis_sup_conf_text(&ic, text, sizeof(text)) == -1) {
		snprintf(err, errlen,
		    "store: %s: the path cannot go into a redis.conf", in->dir);
		return -1;
	}
	rc = write_secret(in->conf_path, text, err, errlen);
	OPENSSL_cleanse(text, sizeof(text));
	return rc;
}

/* ---- readiness: PING with the password ---- */

static void
drop_conn(struct inst *in)
{
	in->rc = NULL;
	in->ping_pending = false;
}

static void
connect_cb(const redisAsyncContext *rc, int status)
{
	struct inst *in = rc->data;

	/* A failed connect frees the context after this returns. */
	if (status != REDIS_OK && in != NULL)
		drop_conn(in);
}

static void
disconnect_cb(const redisAsyncContext *rc, int status)
{
	struct inst *in = rc->data;

	(void)status;
	if (in != NULL)
		drop_conn(in);
}

static void
auth_cb(redisAsyncContext *rc, void *r, void *arg)
{
	redisReply *reply = r;
	struct inst *in = arg;

	(void)rc;
	if (reply == NULL || reply->type != REDIS_REPLY_ERROR ||
	    in->auth_logged)
		return;
	in->auth_logged = true;
	log_warnx("store: redis-server on port %u refuses the password: %.80s "
		  "(another program on the port?)",
	    in->port, reply->str);
}

static void
ping_cb(redisAsyncContext *rc, void *r, void *arg)
{
	redisReply *reply = r;
	struct inst *in = arg;
	char ip[INET_ADDRSTRLEN];

	(void)rc;
	in->ping_pending = false;
	if (reply == NULL || reply->type != REDIS_REPLY_STATUS ||
	    strcmp(reply->str, "PONG") != 0)
		return;
	in->pong_ms = clock_now_ms();
	if (!in->up) {
		inet_ntop(AF_INET, &in->sup->addr, ip, sizeof(ip));
		log_info("store: redis-server on %s:%u (pid %ld) is up", ip,
		    in->port, (long)in->pid);
	}
	in->up = true;
}

static void
connect_inst(struct inst *in)
{
	char ip[INET_ADDRSTRLEN];
	redisAsyncContext *rc;

	inet_ntop(AF_INET, &in->sup->addr, ip, sizeof(ip));
	rc = redisAsyncConnect(ip, in->port);
	if (rc == NULL)
		return;
	if (rc->err != 0 ||
	    redisLibeventAttach(rc, in->sup->base) != REDIS_OK) {
		redisAsyncFree(rc);
		return;
	}
	rc->data = in;
	redisAsyncSetConnectCallback(rc, connect_cb);
	redisAsyncSetDisconnectCallback(rc, disconnect_cb);
	in->rc = rc;
	in->auth_logged = false;
	/* Both go once the connection is made, in order. */
	(void)redisAsyncCommand(rc, auth_cb, in, "AUTH %s", in->sup->password);
}

static void
ping_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct inst *in = arg;
	uint64_t now = clock_now_ms();

	(void)fd;
	(void)what;
	if (in->pid == 0)
		return; /* the next start arms it again */
	if (in->up && now - in->pong_ms > PING_STALE_MS) {
		log_warnx("store: redis-server on port %u (pid %ld) has not "
			  "answered PING for %u ms",
		    in->port, (long)in->pid, PING_STALE_MS);
		in->up = false;
	}
	if (in->rc == NULL)
		connect_inst(in);
	if (in->rc != NULL && !in->ping_pending &&
	    redisAsyncCommand(in->rc, ping_cb, in, "PING") == REDIS_OK)
		in->ping_pending = true;
	arm(in->ping_ev, in->up ? PING_EVERY_MS : PING_WAIT_MS);
}

static void
close_conn(struct inst *in)
{
	redisAsyncContext *rc = in->rc;

	if (rc == NULL)
		return;
	/* Its callbacks run from the free with no reply: they only clear
	 * in's connection state. */
	drop_conn(in);
	redisAsyncFree(rc);
}

/* ---- processes ---- */

static void
exit_cb(void *arg, pid_t pid, int status)
{
	struct inst *in = arg;
	uint64_t now = clock_now_ms(), ran = now - in->started_ms;

	child_status_str(status, in->last_exit, sizeof(in->last_exit));
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
		snprintf(in->last_exit, sizeof(in->last_exit),
		    "exit status 127 (cannot run %.32s?)", in->sup->server);
	in->pid = 0;
	in->up = false;
	close_conn(in);
	in->backoff_ms = redis_sup_backoff_ms(in->backoff_ms, ran);
	log_warnx("store: redis-server on port %u (pid %ld) exited: %s, "
		  "after %llu ms; starting it again in %u ms",
	    in->port, (long)pid, in->last_exit, (unsigned long long)ran,
	    in->backoff_ms);
	arm(in->start_ev, in->backoff_ms);
}

static void
start_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct inst *in = arg;

	(void)fd;
	(void)what;
	in->restarts++;
	inst_start(in);
}

/*
 * Every start is a new, empty node. Without persistence an instance comes
 * back with no data; under its old identity (nodes.conf) it would claim
 * its slots again, empty, and its replica would copy the emptiness: the
 * data loss the Redis Cluster tutorial warns of for masters restarted
 * without persistence. With nodes.conf gone the old identity never
 * returns: its replica takes over, and the old node is forgotten.
 * Nor may it come back with old data: Redis loads dump.rdb at start
 * whatever `save` says, and a replica's full sync left one there before
 * repl-diskless-load (a store_chaos run saw a restarted member serve,
 * and append to, values many writes old, in slots moving to it).
 */
static void
forget_past(const struct inst *in)
{
	static const char *const files[] = {"nodes.conf", "dump.rdb"};
	char path[FILE_LEN];
	size_t i;
	int n;

	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		n = snprintf(path, sizeof(path), "%s/%s", in->dir, files[i]);
		if (n < 0 || (size_t)n >= sizeof(path))
			return; /* write_inst_conf() refused such a dir */
		if (unlink(path) == -1 && errno != ENOENT)
			log_warn("store: cannot remove %s (port %u would "
				 "start with its past; remove it by hand)",
			    path, in->port);
	}
}

static void
inst_start(struct inst *in)
{
	static char path_env[] = "PATH=/usr/sbin:/usr/bin:/sbin:/bin";
	char *const envp[] = {path_env, NULL};
	char *argv[3], err[STATUS_ERR_LEN];

	if (write_inst_conf(in, err, sizeof(err)) == -1) {
		log_warnx(
		    "%s; trying again in %u ms", err, REDIS_SUP_BACKOFF_MAX_MS);
		arm(in->start_ev, REDIS_SUP_BACKOFF_MAX_MS);
		return;
	}
	forget_past(in);
	redis_sup_argv(in->sup->server, in->conf_path, argv);
	in->started_ms = clock_now_ms();
	in->pid =
	    child_spawn_tied(in->sup->server, argv, envp, exit_cb, in, SIGTERM);
	if (in->pid == -1) {
		in->pid = 0;
		in->backoff_ms = redis_sup_backoff_ms(in->backoff_ms, 0);
		log_warn("store: cannot start %s for port %u; trying again in "
			 "%u ms",
		    in->sup->server, in->port, in->backoff_ms);
		arm(in->start_ev, in->backoff_ms);
		return;
	}
	log_info("store: started %s %s (pid %ld, port %u, start %llu)",
	    in->sup->server, in->conf_path, (long)in->pid, in->port,
	    (unsigned long long)in->restarts + 1);
	arm(in->ping_ev, PING_WAIT_MS);
}

/* The LAN address, asked until it is there; then every instance starts. */
static void
addr_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct redis_sup *s = arg;
	char ip[INET_ADDRSTRLEN];
	size_t i;

	(void)fd;
	(void)what;
	if (s->addr_fn(s->addr_arg, &s->addr) == -1) {
		arm(s->addr_ev, ADDR_RETRY_MS);
		return;
	}
	s->have_addr = true;
	inet_ntop(AF_INET, &s->addr, ip, sizeof(ip));
	log_info("store: %zu redis-server instance(s) on %s, ports %u to %u",
	    s->n, ip, s->inst[0].port, s->inst[s->n - 1].port);
	for (i = 0; i < s->n; i++)
		inst_start(&s->inst[i]);
}

/* ---- life ---- */

static int
init_files(struct redis_sup *s, const struct conf *c, char *err, size_t errlen)
{
	snprintf(
	    s->store_dir, sizeof(s->store_dir), "%s/store", c->node.state_dir);
	snprintf(s->password_file, sizeof(s->password_file), "%s/password",
	    s->store_dir);
	if (make_dir(s->store_dir, err, errlen) == -1)
		return -1;
	return write_secret(s->password_file, s->password, err, errlen);
}

static void
init_inst(struct redis_sup *s, const struct conf *c)
{
	struct inst *in;
	size_t i;

	s->n = 1 + (size_t)c->store.replicas;
	for (i = 0; i < s->n; i++) {
		in = &s->inst[i];
		in->sup = s;
		in->port = (uint16_t)(c->store.port + i);
		snprintf(
		    in->dir, sizeof(in->dir), "%s/%u", s->store_dir, in->port);
		snprintf(in->conf_path, sizeof(in->conf_path), "%s/redis.conf",
		    in->dir);
		in->start_ev = evtimer_new(s->base, start_timer_cb, in);
		in->ping_ev = evtimer_new(s->base, ping_timer_cb, in);
		if (in->start_ev == NULL || in->ping_ev == NULL)
			fatalx("store: cannot make timers");
	}
}

struct redis_sup *
redis_sup_new(struct event_base *base, const struct conf *c, const uint8_t *key,
    redis_sup_addr_fn *addr_fn, void *arg, char *err, size_t errlen)
{
	struct redis_sup *s = xcalloc(1, sizeof(*s));

	s->base = base;
	s->addr_fn = addr_fn;
	s->addr_arg = arg;
	s->memory_bytes = c->store.memory;
	snprintf(s->server, sizeof(s->server), "%s", c->store.redis_server);
	if (redis_sup_password(key, s->password) == -1) {
		snprintf(err, errlen,
		    "store: cannot derive the password "
		    "(OpenSSL HKDF)");
		goto fail;
	}
	if (init_files(s, c, err, errlen) == -1)
		goto fail;
	init_inst(s, c);
	if (access(s->server, X_OK) == -1) {
		snprintf(s->error, sizeof(s->error),
		    "%s: %s: apt-get install redis-server (or set [store] "
		    "redis-server); running without the store",
		    s->server, strerror(errno));
		log_warnx("store: %s", s->error);
		return s;
	}
	if (child_ref(base) == -1) {
		snprintf(err, errlen, "store: cannot watch children: %s",
		    strerror(errno));
		goto fail;
	}
	s->child_ref = true;
	s->addr_ev = evtimer_new(base, addr_timer_cb, s);
	if (s->addr_ev == NULL)
		fatalx("store: cannot make a timer");
	arm(s->addr_ev, 0);
	return s;
fail:
	redis_sup_free(s);
	return NULL;
}

/* Waits up to ms for pid; true once it is reaped. */
static bool
reap_within(pid_t pid, uint64_t ms)
{
	struct timespec tick = {0, 10 * 1000 * 1000};
	uint64_t waited = 0;
	pid_t r;

	for (;;) {
		r = waitpid(pid, NULL, WNOHANG);
		if (r == pid || (r == -1 && errno != EINTR))
			return true;
		if (waited >= ms)
			return false;
		nanosleep(&tick, NULL);
		waited += 10;
	}
}

/*
 * qured is exiting: the loop has stopped, so the dispatcher will reap
 * nothing more; forgotten, the instances are waited for here.
 */
static void
stop_all(struct redis_sup *s)
{
	uint64_t t0 = clock_now_ms(), left;
	size_t i, n = 0;

	for (i = 0; i < s->n; i++)
		if (s->inst[i].pid > 0) {
			child_forget(s->inst[i].pid, CHILD_LEAVE);
			(void)kill(s->inst[i].pid, SIGTERM);
			n++;
		}
	for (i = 0; i < s->n; i++) {
		if (s->inst[i].pid <= 0)
			continue;
		left = clock_now_ms() - t0;
		left = left < STOP_GRACE_MS ? STOP_GRACE_MS - left : 0;
		if (!reap_within(s->inst[i].pid, left)) {
			log_warnx("store: redis-server on port %u (pid %ld) "
				  "ignored SIGTERM for %u ms; SIGKILL",
			    s->inst[i].port, (long)s->inst[i].pid,
			    STOP_GRACE_MS);
			(void)kill(s->inst[i].pid, SIGKILL);
			(void)reap_within(s->inst[i].pid, STOP_GRACE_MS);
		}
		s->inst[i].pid = 0;
	}
	if (n > 0)
		log_info("store: stopped %zu redis-server instance(s) in %llu "
			 "ms",
		    n, (unsigned long long)(clock_now_ms() - t0));
}

void
redis_sup_free(struct redis_sup *s)
{
	size_t i;

	if (s == NULL)
		return;
	for (i = 0; i < s->n; i++) {
		close_conn(&s->inst[i]);
		if (s->inst[i].start_ev != NULL)
			event_free(s->inst[i].start_ev);
		if (s->inst[i].ping_ev != NULL)
			event_free(s->inst[i].ping_ev);
	}
	stop_all(s);
	if (s->addr_ev != NULL)
		event_free(s->addr_ev);
	if (s->child_ref)
		child_unref();
	OPENSSL_cleanse(s->password, sizeof(s->password));
	free(s);
}

void
redis_sup_status(const struct redis_sup *s, struct status *out)
{
	struct status_store_inst *o;
	size_t i;

	out->store.enabled = true;
	if (s->have_addr)
		inet_ntop(AF_INET, &s->addr, out->store.address,
		    sizeof(out->store.address));
	snprintf(out->store.password_file, sizeof(out->store.password_file),
	    "%s", s->password_file);
	snprintf(out->store.error, sizeof(out->store.error), "%s", s->error);
	out->store.n_instances = s->error[0] != '\0' ? 0 : s->n;
	for (i = 0; i < out->store.n_instances; i++) {
		o = &out->store.instances[i];
		o->port = s->inst[i].port;
		o->pid = s->inst[i].pid;
		o->up = s->inst[i].up;
		o->restarts = s->inst[i].restarts;
		snprintf(o->last_exit, sizeof(o->last_exit), "%s",
		    s->inst[i].last_exit);
	}
}
