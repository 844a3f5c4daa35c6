/*
 * libqure/qure.c — the site cache's client (qure.h): hiredis's blocking
 * API, the slot map of CLUSTER SLOTS (slots.c), and what a Redis Cluster
 * client must do about it: follow MOVED and ASK, wait out a failover
 * (TRYAGAIN, CLUSTERDOWN, a refused connection) until the deadline, and
 * WAIT for a replica after a write.
 */
#include "config.h"

#include "libqure/qure.h"

#include <hiredis/hiredis.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "libqure/slots.h"

#define QURE_RETRY_MS 50 /* between attempts while the cluster heals */
/* A replica's confirmation takes a round trip; past this, ask whether
 * the master has one at all. */
#define QURE_WAIT_FIRST_MS 50
#define QURE_WAIT_STEP_MS 200 /* then: may it write unreplicated yet? */

struct conn {
	char host[SLOTS_HOST_MAX + 1];
	uint16_t port;
	redisContext *c;
};

struct qure {
	char host[SLOTS_HOST_MAX + 1]; /* the seed */
	uint16_t port;
	char *password;
	unsigned timeout_ms;
	long long deadline_ms; /* of the call under way */
	char err[320];
	struct slots_map *map;
	struct conn conns[SLOTS_MAX_NODES];
	size_t n_conns;
};

/* Where a command went: the node that gave its reply. */
struct target {
	char host[SLOTS_HOST_MAX + 1];
	uint16_t port;
	bool asking;   /* an ASK redirection: send ASKING first */
	bool replicas; /* the slot's master has replicas (map) */
};

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
sleep_ms(long long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

static int set_err(struct qure *q, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
set_err(struct qure *q, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(q->err, sizeof(q->err), fmt, ap);
	va_end(ap);
	return QURE_ERR;
}

const char *
qure_error(const struct qure *q)
{
	return q->err;
}

unsigned
qure_slot(const char *key, size_t len)
{
	return slots_of_key(key, len);
}

static long long
remaining_ms(const struct qure *q)
{
	long long left = q->deadline_ms - now_ms();

	return left > 0 ? left : 0;
}

static struct timeval
tv_of(long long ms)
{
	return (struct timeval){ms / 1000, (ms % 1000) * 1000};
}

static void
conn_drop(struct conn *k)
{
	if (k->c != NULL)
		redisFree(k->c);
	k->c = NULL;
}

/* AUTH on a new connection; 0, or -1 with q->err set. */
static int
conn_auth(struct qure *q, struct conn *k)
{
	redisReply *r;
	int rc = 0;

	if (q->password == NULL)
		return 0;
	r = redisCommand(k->c, "AUTH %s", q->password);
	if (r == NULL || r->type == REDIS_REPLY_ERROR) {
		set_err(q,
		    "%s:%u: AUTH refused: %s (the site cache's password: "
		    "[store] password file)",
		    k->host, k->port, r != NULL ? r->str : k->c->errstr);
		rc = -1;
	}
	if (r != NULL)
		freeReplyObject(r);
	return rc;
}

/* A live connection to host:port, made if needed; NULL with q->err. */
static redisContext *
conn_get(struct qure *q, const char *host, uint16_t port)
{
	struct conn *k = NULL;
	long long left = remaining_ms(q);
	size_t i;

	for (i = 0; i < q->n_conns; i++)
		if (q->conns[i].port == port &&
		    strcmp(q->conns[i].host, host) == 0)
			k = &q->conns[i];
	if (k != NULL && k->c != NULL)
		return k->c;
	if (k == NULL) {
		if (q->n_conns == SLOTS_MAX_NODES) {
			set_err(q, "%s:%u: more than %d nodes", host, port,
			    SLOTS_MAX_NODES);
			return NULL;
		}
		k = &q->conns[q->n_conns++];
		snprintf(k->host, sizeof(k->host), "%s", host);
		k->port = port;
	}
	k->c = redisConnectWithTimeout(host, port, tv_of(left ? left : 1));
	if (k->c == NULL || k->c->err) {
		set_err(q, "%s:%u: cannot connect: %s", host, port,
		    k->c != NULL ? k->c->errstr : "out of memory");
		conn_drop(k);
		return NULL;
	}
	redisSetTimeout(k->c, tv_of(q->timeout_ms));
	if (conn_auth(q, k) < 0) {
		conn_drop(k);
		return NULL;
	}
	return k->c;
}

static void
conn_forget(struct qure *q, redisContext *c)
{
	size_t i;

	for (i = 0; i < q->n_conns; i++)
		if (q->conns[i].c == c)
			conn_drop(&q->conns[i]);
}

/* The slot map from host:port; 0, or -1 with q->err. */
static int
refresh_from(struct qure *q, const char *host, uint16_t port)
{
	redisContext *c = conn_get(q, host, port);
	redisReply *r;
	char why[200];
	int rc;

	if (c == NULL)
		return -1;
	r = redisCommand(c, "CLUSTER SLOTS");
	if (r == NULL) {
		set_err(q, "%s:%u: CLUSTER SLOTS: %s", host, port, c->errstr);
		conn_forget(q, c);
		return -1;
	}
	if (r->type == REDIS_REPLY_ERROR) {
		set_err(q,
		    "%s:%u: CLUSTER SLOTS: %s (is it a member's site "
		    "cache, in cluster mode?)",
		    host, port, r->str);
		freeReplyObject(r);
		return -1;
	}
	rc = slots_map_read(q->map, r, host, why, sizeof(why));
	if (rc < 0)
		set_err(q, "%s:%u: %s", host, port, why);
	freeReplyObject(r);
	return rc;
}

/* The map again, from any node we know that answers, the seed last. */
static int
refresh(struct qure *q)
{
	struct slots_node known[SLOTS_MAX_NODES];
	size_t i, n = q->map->n_nodes;

	memcpy(known, q->map->nodes, n * sizeof(known[0]));
	for (i = 0; i < n; i++)
		if (refresh_from(q, known[i].host, known[i].port) == 0 &&
		    q->map->n_ranges > 0)
			return 0;
	return refresh_from(q, q->host, q->port);
}

/* "MOVED 3999 10.0.0.12:6379" / "ASK ...": the node, into t. */
static bool
parse_redirect(const char *msg, const char *verb, struct target *t)
{
	const char *addr, *colon;
	size_t vlen = strlen(verb), hlen;
	char *end;
	long port;

	if (strncmp(msg, verb, vlen) != 0 || msg[vlen] != ' ')
		return false;
	addr = strchr(msg + vlen + 1, ' ');
	if (addr == NULL || (colon = strrchr(++addr, ':')) == NULL)
		return false;
	hlen = (size_t)(colon - addr);
	port = strtol(colon + 1, &end, 10);
	if (hlen == 0 || hlen > SLOTS_HOST_MAX || port <= 0 || port > 65535)
		return false;
	memcpy(t->host, addr, hlen);
	t->host[hlen] = '\0';
	t->port = (uint16_t)port;
	return true;
}

/* Errors that a healing cluster gives: try again after a pause. */
static bool
is_transient(const char *msg)
{
	static const char *const prefixes[] = {
	    "TRYAGAIN", "CLUSTERDOWN", "LOADING", "MASTERDOWN"};
	size_t i;

	for (i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
		if (strncmp(msg, prefixes[i], strlen(prefixes[i])) == 0)
			return true;
	return false;
}

/* The master of key's slot into t, the map read again if it has none. */
static int
route(struct qure *q, const char *key, size_t klen, struct target *t)
{
	uint16_t slot = slots_of_key(key, klen);
	const struct slots_range *r = slots_map_find(q->map, slot);
	const struct slots_node *n;

	if (r == NULL && refresh(q) == 0)
		r = slots_map_find(q->map, slot);
	if (r == NULL || r->n_copies == 0) {
		if (q->err[0] == '\0')
			set_err(q, "slot %u has no master now", slot);
		return -1;
	}
	n = &q->map->nodes[r->node[0]];
	snprintf(t->host, sizeof(t->host), "%s", n->host);
	t->port = n->port;
	t->asking = false;
	t->replicas = r->n_copies > 1;
	return 0;
}

/*
 * Sends argv to t (ASKING first for an ASK redirection). NULL: an I/O
 * error, the connection is dropped, *sent says whether the command may
 * have reached the server.
 */
static redisReply *
send_to(struct qure *q, struct target *t, int argc, const char **argv,
    const size_t *lens, bool *sent)
{
	redisContext *c = conn_get(q, t->host, t->port);
	redisReply *r;

	*sent = false;
	if (c == NULL)
		return NULL;
	if (t->asking) {
		r = redisCommand(c, "ASKING");
		if (r == NULL) {
			set_err(q, "%s:%u: %s", t->host, t->port, c->errstr);
			conn_forget(q, c);
			return NULL;
		}
		freeReplyObject(r);
	}
	*sent = true;
	r = redisCommandArgv(c, argc, argv, lens);
	if (r == NULL) {
		set_err(q, "%s:%u: %s", t->host, t->port, c->errstr);
		conn_forget(q, c);
	}
	return r;
}

/*
 * Runs argv on the master of key, through redirections and failovers,
 * until the deadline. idempotent: may it be sent again after an I/O
 * error once it may have reached a server (SET may, APPEND may not).
 * The reply (not an error reply), or NULL with q->err.
 */
static redisReply *
exec_key(struct qure *q, const char *key, size_t klen, int argc,
    const char **argv, const size_t *lens, bool idempotent, struct target *t)
{
	bool redirected = false, sent;
	redisReply *r;

	for (;;) {
		q->err[0] = '\0';
		if (!redirected && route(q, key, klen, t) < 0)
			goto retry;
		redirected = false;
		r = send_to(q, t, argc, argv, lens, &sent);
		if (r == NULL) {
			if (sent && !idempotent)
				return NULL; /* applied or not: the caller says
					      */
			goto retry;
		}
		if (r->type != REDIS_REPLY_ERROR)
			return r;
		if (parse_redirect(r->str, "ASK", t)) {
			t->asking = redirected = true;
			freeReplyObject(r);
			continue;
		}
		if (parse_redirect(r->str, "MOVED", t)) {
			(void)refresh(q); /* for the next keys */
			t->asking = false;
			redirected = true;
			freeReplyObject(r);
			continue;
		}
		if (!is_transient(r->str)) {
			set_err(q, "%s:%u: %s", t->host, t->port, r->str);
			freeReplyObject(r);
			return NULL;
		}
		set_err(q, "%s:%u: %s", t->host, t->port, r->str);
		freeReplyObject(r);
	retry:
		if (remaining_ms(q) <= QURE_RETRY_MS) {
			char why[sizeof(q->err)];

			snprintf(why, sizeof(why), "%s", q->err);
			set_err(q, "no answer within %u ms: %s", q->timeout_ms,
			    why[0] ? why : "the cluster has no master for it");
			return NULL;
		}
		sleep_ms(QURE_RETRY_MS);
		(void)refresh(q);
	}
}

static void
start_call(struct qure *q)
{
	q->deadline_ms = now_ms() + q->timeout_ms;
	q->err[0] = '\0';
}

/* WAIT 1 ms on c: the replicas that confirmed, or -1 (I/O error). */
static long long
wait_for(redisContext *c, long long ms)
{
	redisReply *r = redisCommand(c, "WAIT 1 %lld", ms > 0 ? ms : 1);
	long long n = -1;

	if (r != NULL && r->type == REDIS_REPLY_INTEGER)
		n = r->integer;
	if (r != NULL)
		freeReplyObject(r);
	return n;
}

/* How many replicas are connected to the master c now (ROLE), -1 if
 * it cannot say. */
static long long
replicas_connected(redisContext *c)
{
	redisReply *r = redisCommand(c, "ROLE");
	long long n = -1;

	if (r != NULL && r->type == REDIS_REPLY_ARRAY && r->elements >= 3 &&
	    r->element[2]->type == REDIS_REPLY_ARRAY)
		n = (long long)r->element[2]->elements;
	if (r != NULL)
		freeReplyObject(r);
	return n;
}

/* Whether a line of CLUSTER REPLICAS (CLUSTER NODES's format) has the
 * flag "fail": Redis's cluster agreed the node failed ("fail?" is one
 * node's suspicion). */
static bool
line_flagged_fail(const redisReply *e)
{
	char line[512], flags[128], *f, *save = NULL;

	if (e->type != REDIS_REPLY_STRING || e->len >= sizeof(line))
		return false;
	memcpy(line, e->str, e->len);
	line[e->len] = '\0';
	if (sscanf(line, "%*s %*s %127s", flags) != 1)
		return false;
	for (f = strtok_r(flags, ",", &save); f != NULL;
	     f = strtok_r(NULL, ",", &save))
		if (strcmp(f, "fail") == 0)
			return true;
	return false;
}

/* Whether every replica the master c lists (CLUSTER REPLICAS of its
 * own id) is flagged fail; true when it lists none. */
static bool
replicas_all_failed(redisContext *c)
{
	redisReply *id = redisCommand(c, "CLUSTER MYID"), *r = NULL;
	bool all = false;
	size_t i;

	if (id != NULL && id->type == REDIS_REPLY_STRING)
		r = redisCommand(c, "CLUSTER REPLICAS %b", id->str, id->len);
	if (r != NULL && r->type == REDIS_REPLY_ARRAY)
		for (all = true, i = 0; i < r->elements && all; i++)
			all = line_flagged_fail(r->element[i]);
	if (id != NULL)
		freeReplyObject(id);
	if (r != NULL)
		freeReplyObject(r);
	return all;
}

/* Whether the master c may acknowledge a write unreplicated: no replica
 * is connected (ROLE), and every replica its own view lists has failed
 * by Redis's agreement. A replica that merely is not connected may be
 * the master's heir: a master paused (a suspended VM) while its replica
 * took over, back before it learns it was demoted, has no replica
 * connected, and a write it acknowledged would be lost when it follows
 * its heir. */
static bool
may_write_unreplicated(redisContext *c)
{
	return replicas_connected(c) == 0 && replicas_all_failed(c);
}

/*
 * After a write to t: a replica has it too (WAIT), when the master has
 * one. A master whose replicas all died (Redis flagged them fail, and
 * the cluster has not yet given it another) writes unreplicated, as a
 * cluster of one or two members does: waiting for a replica that is not
 * there would fail every write to it until then. So a short WAIT first,
 * then, until the deadline, whether the master may write unreplicated
 * (may_write_unreplicated()) between WAITs of QURE_WAIT_STEP_MS.
 */
static int
wait_replica(struct qure *q, const struct target *t)
{
	redisContext *c;
	long long n, left;

	if (!t->replicas)
		return QURE_OK; /* unreplicated: qurectl status says so */
	if ((c = conn_get(q, t->host, t->port)) == NULL)
		return QURE_ERR;
	n = wait_for(c, QURE_WAIT_FIRST_MS);
	while (n == 0) {
		if (may_write_unreplicated(c))
			return QURE_OK;
		if ((left = remaining_ms(q)) == 0)
			break;
		n = wait_for(
		    c, left < QURE_WAIT_STEP_MS ? left : QURE_WAIT_STEP_MS);
	}
	if (n >= 1)
		return QURE_OK;
	if (n < 0)
		conn_forget(q, c);
	return set_err(q,
	    "%s:%u: written on the master, but no replica confirmed it within "
	    "%u ms: it may be lost if that master dies",
	    t->host, t->port, q->timeout_ms);
}

static int
write_cmd(struct qure *q, const char *verb, const char *key, const void *value,
    size_t len, const char *flag, bool idempotent)
{
	const char *argv[4] = {verb, key, value, flag};
	size_t lens[4] = {
	    strlen(verb), strlen(key), len, flag ? strlen(flag) : 0};
	struct target t;
	redisReply *r;

	start_call(q);
	r = exec_key(q, key, lens[1], flag ? 4 : 3, argv, lens, idempotent, &t);
	if (r == NULL) {
		if (!idempotent && q->err[0] != '\0') {
			char why[sizeof(q->err)];

			snprintf(why, sizeof(why), "%s", q->err);
			set_err(q,
			    "%s: the connection failed after sending: "
			    "it may or may not be applied",
			    why);
		}
		return QURE_ERR;
	}
	freeReplyObject(r);
	return wait_replica(q, &t);
}

int
qure_set(struct qure *q, const char *key, const void *value, size_t len)
{
	return write_cmd(q, "SET", key, value, len, NULL, true);
}

int
qure_append(struct qure *q, const char *key, const void *value, size_t len)
{
	return write_cmd(q, "APPEND", key, value, len, NULL, false);
}

int
qure_init(struct qure *q, const char *const *ids, size_t n)
{
	size_t i;
	int rc;

	for (i = 0; i < n; i++)
		if ((rc = write_cmd(q, "SET", ids[i], "", 0, "NX", true)) !=
		    QURE_OK)
			return rc;
	return QURE_OK;
}

int
qure_get(struct qure *q, const char *key, char **value, size_t *len)
{
	const char *argv[2] = {"GET", key};
	size_t lens[2] = {3, strlen(key)};
	struct target t;
	redisReply *r;

	start_call(q);
	r = exec_key(q, key, lens[1], 2, argv, lens, true, &t);
	if (r == NULL)
		return QURE_ERR;
	if (r->type == REDIS_REPLY_NIL) {
		freeReplyObject(r);
		set_err(q, "%s: no such key", key);
		return QURE_NO_KEY;
	}
	if (r->type != REDIS_REPLY_STRING) {
		freeReplyObject(r);
		return set_err(
		    q, "%s: GET gave no string (another type?)", key);
	}
	if ((*value = malloc(r->len + 1)) == NULL) {
		freeReplyObject(r);
		return set_err(q, "%s: out of memory", key);
	}
	memcpy(*value, r->str, r->len);
	(*value)[r->len] = '\0';
	*len = r->len;
	freeReplyObject(r);
	return QURE_OK;
}

int
qure_del(struct qure *q, const char *key)
{
	const char *argv[2] = {"DEL", key};
	size_t lens[2] = {3, strlen(key)};
	struct target t;
	redisReply *r;
	int rc;

	start_call(q);
	r = exec_key(q, key, lens[1], 2, argv, lens, true, &t);
	if (r == NULL)
		return QURE_ERR;
	rc = r->type == REDIS_REPLY_INTEGER && r->integer == 0 ? QURE_NO_KEY
							       : QURE_OK;
	freeReplyObject(r);
	if (rc == QURE_NO_KEY) {
		set_err(q, "%s: no such key", key);
		return QURE_NO_KEY;
	}
	return wait_replica(q, &t);
}

/* SCAN one master to the end; QURE_OK, QURE_ERR, or cb's stop (-1). */
static int
scan_node(struct qure *q, const struct slots_node *n, const char *pattern,
    qure_key_cb *cb, void *arg)
{
	redisContext *c = conn_get(q, n->host, n->port);
	char cursor[32] = "0";
	redisReply *r;
	size_t i;

	if (c == NULL)
		return QURE_ERR;
	do {
		r = redisCommand(c, "SCAN %s MATCH %s COUNT 1000", cursor,
		    pattern != NULL ? pattern : "*");
		if (r == NULL || r->type != REDIS_REPLY_ARRAY ||
		    r->elements != 2 ||
		    r->element[0]->type != REDIS_REPLY_STRING ||
		    r->element[0]->len >= sizeof(cursor) ||
		    r->element[1]->type != REDIS_REPLY_ARRAY) {
			set_err(q, "%s:%u: SCAN: %s", n->host, n->port,
			    r == NULL ? c->errstr
			    : r->type == REDIS_REPLY_ERROR
				? r->str
				: "a malformed reply");
			if (r == NULL)
				conn_forget(q, c);
			else
				freeReplyObject(r);
			return QURE_ERR;
		}
		memcpy(cursor, r->element[0]->str, r->element[0]->len);
		cursor[r->element[0]->len] = '\0';
		for (i = 0; i < r->element[1]->elements; i++) {
			const redisReply *k = r->element[1]->element[i];

			if (k->type == REDIS_REPLY_STRING &&
			    cb(arg, k->str, k->len) != 0) {
				freeReplyObject(r);
				return -1;
			}
		}
		freeReplyObject(r);
	} while (strcmp(cursor, "0") != 0);
	return QURE_OK;
}

int
qure_list(struct qure *q, const char *pattern, qure_key_cb *cb, void *arg)
{
	bool seen[SLOTS_MAX_NODES] = {false};
	size_t i;
	int rc;

	start_call(q);
	if (refresh(q) < 0)
		return QURE_ERR;
	for (i = 0; i < q->map->n_ranges; i++) {
		uint16_t m = q->map->ranges[i].node[0];

		if (q->map->ranges[i].n_copies == 0 || seen[m])
			continue;
		seen[m] = true;
		rc = scan_node(q, &q->map->nodes[m], pattern, cb, arg);
		if (rc == -1)
			return QURE_OK;
		if (rc != QURE_OK)
			return rc;
	}
	return QURE_OK;
}

static void
addr_of(const struct slots_node *n, char out[QURE_ADDR_MAX])
{
	if (strchr(n->host, ':') != NULL)
		snprintf(out, QURE_ADDR_MAX, "[%s]:%u", n->host, n->port);
	else
		snprintf(out, QURE_ADDR_MAX, "%s:%u", n->host, n->port);
}

int
qure_node_ids(struct qure *q, const char *key, char (*addrs)[QURE_ADDR_MAX],
    size_t max, size_t *n)
{
	uint16_t slot = slots_of_key(key, strlen(key));
	const struct slots_range *r;
	size_t i;

	start_call(q);
	*n = 0;
	if (refresh(q) < 0)
		return QURE_ERR;
	r = slots_map_find(q->map, slot);
	if (r == NULL || r->n_copies == 0)
		return set_err(q, "%s: slot %u has no master now", key, slot);
	for (i = 0; i < r->n_copies && i < max; i++)
		addr_of(&q->map->nodes[r->node[i]], addrs[i]);
	*n = i;
	return QURE_OK;
}

int
qure_node_id(struct qure *q, const char *key, char addr[QURE_ADDR_MAX])
{
	size_t n;

	return qure_node_ids(q, key, (char(*)[QURE_ADDR_MAX])addr, 1, &n);
}

struct qure *
qure_open(const struct qure_opts *opts, char *err, size_t errlen)
{
	struct qure *q;

	if (opts == NULL || opts->host == NULL ||
	    strlen(opts->host) > SLOTS_HOST_MAX) {
		snprintf(err, errlen,
		    "qure_open: no host, or a host over %d "
		    "bytes",
		    SLOTS_HOST_MAX);
		return NULL;
	}
	if ((q = calloc(1, sizeof(*q))) == NULL ||
	    (q->map = calloc(1, sizeof(*q->map))) == NULL ||
	    (opts->password != NULL &&
		(q->password = strdup(opts->password)) == NULL)) {
		snprintf(err, errlen, "qure_open: out of memory");
		qure_close(q);
		return NULL;
	}
	snprintf(q->host, sizeof(q->host), "%s", opts->host);
	q->port = opts->port ? opts->port : QURE_DEFAULT_PORT;
	q->timeout_ms =
	    opts->timeout_ms ? opts->timeout_ms : QURE_DEFAULT_TIMEOUT_MS;
	start_call(q);
	if (refresh_from(q, q->host, q->port) < 0) {
		snprintf(err, errlen, "%s", q->err);
		qure_close(q);
		return NULL;
	}
	return q;
}

void
qure_close(struct qure *q)
{
	size_t i;

	if (q == NULL)
		return;
	for (i = 0; i < q->n_conns; i++)
		conn_drop(&q->conns[i]);
	if (q->password != NULL)
		memset(q->password, 0, strlen(q->password));
	free(q->password);
	free(q->map);
	free(q);
}
