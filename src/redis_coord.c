/*
 * src/redis_coord.c — the loop's side of src/redis_coord.h: the member
 * tracker fed from the election, the worker child (started, fed, heard,
 * started again a second after it ends) and one takeover child per
 * death event. Nothing here waits on Redis: the children do.
 *
 * The children are plain forks (no exec: they run the code of
 * src/redis_coord_worker.c): every descriptor closed but their end of a
 * SOCK_SEQPACKET socketpair and stderr, default signal dispositions, an
 * empty mask, the normal scheduler (qured may run SCHED_RR), and
 * SIGKILL when qured dies. We reap them ourselves with waitpid(pid),
 * never waitpid(-1) (src/child.h reaps only its own).
 */
#include "config.h"

#include "src/redis_coord.h"

#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <arpa/inet.h>

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <event2/event.h>
#include <openssl/crypto.h>

#include "base/clock.h"
#include "base/fds.h"
#include "base/forked.h"
#include "base/log.h"
#include "src/status.h"

#define TICK_MS 1000	       /* the input asked, CONF sent, children reaped */
#define RESEND_MS 1000	       /* a CONF at least this often */
#define RESPAWN_MS 1000	       /* a worker that ended starts again */
#define MAX_TAKEOVERS 8	       /* takeover children at once */
#define MAX_ZOMBIES 16	       /* ended children not reaped yet */
#define TAKEOVER_KILL_MS 30000 /* a takeover child this old is killed */

struct takeover {
	pid_t pid; /* 0: free */
	int fd;
	struct event *ev;
	uint64_t started_ms;
};

struct redis_coord {
	struct event_base *base;
	redis_coord_input_fn *input;
	void *arg;
	struct coord_conf conf; /* port, replicas, password; then the rest */
	uint64_t forget_ms;
	struct coord_track track;
	int fd; /* the worker's socket; -1: none */
	pid_t pid;
	struct event *ev;
	uint64_t respawn_at_ms;
	struct event *tick;
	uint8_t sent[COORD_MSG_MAX];
	int sent_len;
	uint64_t sent_ms;
	struct coord_report rep;
	struct takeover to[MAX_TAKEOVERS];
	uint64_t takeovers; /* done by the takeover children */
	uint64_t declined;  /* not done by them: the master answered */
	pid_t zombie[MAX_ZOMBIES];
};

static void
reap(struct redis_coord *rc)
{
	size_t i;

	for (i = 0; i < MAX_ZOMBIES; i++)
		if (rc->zombie[i] > 0 &&
		    waitpid(rc->zombie[i], NULL, WNOHANG) != 0)
			rc->zombie[i] = 0;
}

static void
bury(struct redis_coord *rc, pid_t pid)
{
	size_t i;

	for (i = 0; i < MAX_ZOMBIES; i++)
		if (rc->zombie[i] == 0) {
			rc->zombie[i] = pid;
			reap(rc);
			return;
		}
	/* Full (never, with a few children a minute): wait for this one. */
	(void)waitpid(pid, NULL, 0);
}

/* In a child, before its work. */
static void
child_setup(int fd, pid_t parent, const char *name)
{
	struct sched_param normal = {0};

	forked_reset_signals();
	forked_tie(parent, name);
	(void)sched_setscheduler(0, SCHED_OTHER, &normal);
	closelog(); /* its socket goes below; syslog() opens a new one */
	fds_close_except(&fd, 1);
}

/* A child on one end of a new socketpair: its pid, our end in *fd;
 * -1 if it could not be started (logged). */
static pid_t
fork_child(const char *name, int *fd)
{
	pid_t parent = getpid(), pid;
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == -1) {
		log_warn("store: socketpair for the %s", name);
		return -1;
	}
	if ((pid = fork()) == -1) {
		log_warn("store: fork the %s", name);
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	if (pid == 0) {
		child_setup(sv[1], parent, name);
		*fd = sv[1];
		return 0;
	}
	close(sv[1]);
	*fd = sv[0];
	return pid;
}

/* ---- the worker ---- */

static void
worker_lost(struct redis_coord *rc, const char *why)
{
	log_warnx("store: the coordinator process (pid %ld) ended (%s); "
		  "started again in %d ms",
	    (long)rc->pid, why, RESPAWN_MS);
	event_free(rc->ev);
	rc->ev = NULL;
	close(rc->fd);
	rc->fd = -1;
	kill(rc->pid, SIGKILL);
	bury(rc, rc->pid);
	rc->pid = 0;
	rc->sent_len = 0;
	rc->respawn_at_ms = clock_now_ms() + RESPAWN_MS;
	rc->rep.coordinating = false;
}

static void
worker_cb(evutil_socket_t fd, short what, void *arg)
{
	struct redis_coord *rc = arg;
	uint8_t buf[COORD_MSG_MAX];
	struct coord_report r;
	ssize_t n;

	(void)what;
	n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
	if (n == -1 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) {
		worker_lost(rc, n == 0 ? "EOF" : strerror(errno));
		return;
	}
	if (coord_report_decode(buf, (size_t)n, &r) == -1) {
		log_warnx("store: a malformed report from the coordinator "
			  "process (%zd bytes) dropped",
		    n);
		return;
	}
	rc->rep = r;
}

static void
worker_spawn(struct redis_coord *rc)
{
	pid_t pid;
	int fd = -1;

	rc->respawn_at_ms = clock_now_ms() + RESPAWN_MS;
	if ((pid = fork_child("qured-store", &fd)) == -1)
		return;
	if (pid == 0)
		coord_worker_main(fd);
	rc->ev = event_new(rc->base, fd, EV_READ | EV_PERSIST, worker_cb, rc);
	if (rc->ev == NULL || event_add(rc->ev, NULL) == -1)
		abort(); /* allocation, as xmalloc would */
	rc->fd = fd;
	rc->pid = pid;
	rc->sent_len = 0;
}

/* ---- takeover children ---- */

static void
takeover_end(struct redis_coord *rc, struct takeover *t)
{
	event_free(t->ev);
	close(t->fd);
	kill(t->pid, SIGKILL); /* it is done or overdue */
	bury(rc, t->pid);
	memset(t, 0, sizeof(*t));
}

/* Its answer: how many of our replicas took over, and how many did not
 * because their master still answered; then it ends. */
static void
takeover_cb(evutil_socket_t fd, short what, void *arg)
{
	struct redis_coord *rc = arg;
	struct takeover *t = NULL;
	uint8_t answer[2] = {0, 0}; /* done, declined */
	ssize_t n;
	size_t i;

	(void)what;
	for (i = 0; i < MAX_TAKEOVERS; i++)
		if (rc->to[i].pid != 0 && rc->to[i].fd == fd)
			t = &rc->to[i];
	if (t == NULL)
		return;
	n = recv(fd, answer, sizeof(answer), MSG_DONTWAIT);
	if (n == -1 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n == 2) {
		rc->takeovers += answer[0];
		rc->declined += answer[1];
	}
	takeover_end(rc, t);
}

static void
takeover_spawn(
    struct redis_coord *rc, const uint32_t *dead, size_t ndead, uint64_t now)
{
	struct takeover *t = NULL;
	char ip[INET_ADDRSTRLEN];
	struct in_addr a;
	size_t i;
	pid_t pid;
	int fd = -1;

	for (i = 0; i < ndead; i++) {
		a.s_addr = htonl(dead[i]);
		inet_ntop(AF_INET, &a, ip, sizeof(ip));
		log_info("store: member %s declared dead: asking our replicas "
			 "to take over its masters",
		    ip);
	}
	if (rc->conf.self == 0)
		return;
	for (i = 0; i < MAX_TAKEOVERS && t == NULL; i++)
		if (rc->to[i].pid == 0)
			t = &rc->to[i];
	if (t == NULL) {
		log_warnx("store: %d takeovers under way: this one is left "
			  "to the coordinator",
		    MAX_TAKEOVERS);
		return;
	}
	if ((pid = fork_child("qured-takeover", &fd)) == -1)
		return;
	if (pid == 0)
		coord_takeover_main(fd, &rc->conf, dead, ndead, now);
	t->pid = pid;
	t->fd = fd;
	t->started_ms = now;
	t->ev = event_new(rc->base, fd, EV_READ | EV_PERSIST, takeover_cb, rc);
	if (t->ev == NULL || event_add(t->ev, NULL) == -1)
		abort();
}

/* ---- the input ---- */

/* Takeover children past their time are killed. */
static void
takeover_expire(struct redis_coord *rc, uint64_t now)
{
	size_t i;

	for (i = 0; i < MAX_TAKEOVERS; i++)
		if (rc->to[i].pid != 0 &&
		    now - rc->to[i].started_ms > TAKEOVER_KILL_MS) {
			log_warnx("store: the takeover process (pid %ld) "
				  "took over %d s: killed",
			    (long)rc->to[i].pid, TAKEOVER_KILL_MS / 1000);
			takeover_end(rc, &rc->to[i]);
		}
}

static void
sync_input(struct redis_coord *rc, bool force)
{
	static struct coord_seen seen[COORD_MEMBERS_MAX + 1];
	uint32_t dead[COORD_MEMBERS_MAX];
	uint8_t buf[COORD_MSG_MAX];
	uint64_t now = clock_now_ms();
	bool holding = false;
	size_t n, ndead, i;
	int len;

	n = rc->input(rc->arg, &holding, seen, COORD_MEMBERS_MAX + 1);
	rc->conf.self = n > 0 ? seen[0].addr : 0;
	ndead = coord_track_update(
	    &rc->track, seen, n, now, rc->forget_ms, dead, COORD_MEMBERS_MAX);
	rc->conf.holding = holding;
	rc->conf.n = rc->track.n;
	for (i = 0; i < rc->track.n; i++)
		rc->conf.m[i] = rc->track.e[i].m;
	if (ndead > 0)
		takeover_spawn(rc, dead, ndead, now);
	if (rc->fd == -1) {
		if (now >= rc->respawn_at_ms)
			worker_spawn(rc);
		if (rc->fd == -1)
			return;
	}
	len = coord_conf_encode(&rc->conf, buf, sizeof(buf));
	if (len <= 0)
		return;
	if (!force && len == rc->sent_len &&
	    memcmp(buf, rc->sent, (size_t)len) == 0 &&
	    now - rc->sent_ms < RESEND_MS)
		return;
	/* Full socket: the worker is busy; the next CONF goes soon. */
	if (send(rc->fd, buf, (size_t)len, MSG_NOSIGNAL | MSG_DONTWAIT) != len)
		return;
	memcpy(rc->sent, buf, (size_t)len);
	rc->sent_len = len;
	rc->sent_ms = now;
}

static void
tick_cb(evutil_socket_t fd, short what, void *arg)
{
	struct redis_coord *rc = arg;

	(void)fd;
	(void)what;
	reap(rc);
	takeover_expire(rc, clock_now_ms());
	sync_input(rc, false);
}

void
redis_coord_poke(struct redis_coord *rc)
{
	if (rc != NULL)
		sync_input(rc, false);
}

struct redis_coord *
redis_coord_new(struct event_base *base, const struct conf *conf,
    const char *password, redis_coord_input_fn *input, void *arg, char *err,
    size_t errlen)
{
	struct timeval every = {TICK_MS / 1000, (TICK_MS % 1000) * 1000};
	struct redis_coord *rc;

	if (strlen(password) != COORD_PASSWORD_LEN ||
	    (rc = calloc(1, sizeof(*rc))) == NULL) {
		snprintf(err, errlen,
		    "store: coordinator: no password or "
		    "memory");
		return NULL;
	}
	rc->base = base;
	rc->input = input;
	rc->arg = arg;
	rc->fd = -1;
	rc->conf.port = conf->store.port;
	rc->conf.replicas = conf->store.replicas;
	memcpy(rc->conf.password, password, COORD_PASSWORD_LEN + 1);
	rc->forget_ms = conf->store.forget_after_ms;
	rc->tick = event_new(base, -1, EV_PERSIST, tick_cb, rc);
	if (rc->tick == NULL || event_add(rc->tick, &every) == -1) {
		snprintf(err, errlen, "store: coordinator: cannot arm a timer");
		if (rc->tick != NULL)
			event_free(rc->tick);
		free(rc);
		return NULL;
	}
	worker_spawn(rc);
	return rc;
}

void
redis_coord_free(struct redis_coord *rc)
{
	size_t i;

	if (rc == NULL)
		return;
	for (i = 0; i < MAX_TAKEOVERS; i++)
		if (rc->to[i].pid != 0)
			takeover_end(rc, &rc->to[i]);
	if (rc->fd != -1) {
		event_free(rc->ev);
		close(rc->fd);
		kill(rc->pid, SIGKILL);
		(void)waitpid(rc->pid, NULL, 0);
	}
	for (i = 0; i < MAX_ZOMBIES; i++)
		if (rc->zombie[i] > 0)
			(void)waitpid(rc->zombie[i], NULL, 0);
	event_free(rc->tick);
	OPENSSL_cleanse(rc->conf.password, sizeof(rc->conf.password));
	free(rc);
}

void
redis_coord_status(const struct redis_coord *rc, struct status *out)
{
	struct status_store_cluster *c = &out->store.cluster;
	const struct coord_report *r = &rc->rep;

	memset(c, 0, sizeof(*c));
	c->present = true;
	c->coordinating = r->coordinating && rc->conf.holding;
	c->converged = r->converged;
	c->unreplicated = r->unreplicated;
	c->members_alive = r->alive;
	c->want_replicas = r->want_replicas;
	c->slots_assigned = r->slots_live;
	c->slots_stuck = r->slots_stuck;
	c->slots_free = r->slots_free;
	c->slots_off_target = r->slots_off;
	c->masters_short = r->masters_short;
	c->open_migrations = r->open_migs;
	c->steps = r->steps;
	c->actions = r->actions;
	c->failures = r->failures;
	c->moves = r->moves;
	c->takeovers = r->takeovers + rc->takeovers;
	c->takeovers_declined = r->declined + rc->declined;
	c->introduced = r->introduced;
	c->nodes_forgotten = r->forgotten;
	c->forget_after_ms = rc->forget_ms;
	snprintf(c->last_error, sizeof(c->last_error), "%s", r->last_error);
}
