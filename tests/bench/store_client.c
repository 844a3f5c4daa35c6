/*
 * tests/bench/store_client.c — the clients of the site cache benchmark
 * (tests/bench/store, issue 11 item 6): per-call latency of libqure
 * beside plain hiredis, and the time from a member's death to the first
 * acknowledged write to its slots.
 *
 *   store_client lat HOST PORT N
 *	N calls of each kind, 1 KiB values, one after the other on one
 *	thread, over 100 keys (bench:lat:0..99) spread over the masters:
 *	  qure_set   qure_set() (SET, then WAIT 1 for a replica)
 *	  qure_get   qure_get()
 *	  hi_setwait redisCommand SET to the key's master, then WAIT 1 50
 *		     (what qure_set sends: like for like)
 *	  hi_get     redisCommand GET to the key's master
 *	  hi_set     redisCommand SET alone (no replica waited for)
 *	hiredis finds each key's master once, before the timed calls
 *	(CLUSTER SLOTS, CLUSTER KEYSLOT), and keeps one connection per
 *	master, as libqure does. The kinds take turns in rounds of N/5
 *	calls (after 200 calls of each to warm up), so a drift of the
 *	machine touches them alike (each command's deadline: 5 s). Prints
 *	one line per kind:
 *	  LAT kind=K n=N mean_us=M p50_us=P p99_us=Q
 *   store_client failover HOST PORT VICTIM_IP PID...
 *	Reads the slot map from HOST:PORT, picks a key of a slot served by
 *	the master at VICTIM_IP and checks one SET on it; then, at t0,
 *	kills every PID (SIGKILL: the victim's namespace, all at once) and
 *	sends SET on the key every 10 ms, as a cluster client would: to
 *	that slot's replica, following a MOVED once per attempt, each
 *	command with a 100 ms deadline. Prints, at the first SET answered
 *	OK:
 *	  FAILOVER ms=T attempts=A via=ADDR
 *	(T: ms from t0 to that answer); ms=timeout after 30 s (exit 1).
 *
 * The password comes from the environment (REDISCLI_AUTH, as for
 * redis-cli), not argv, where ps would show it. Test tool, not product
 * code: exits 1 with one line on stderr when it cannot do its job.
 */
#include "config.h"

#include <hiredis/hiredis.h>
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>

#include "libqure/qure.h"

#define NKEYS 100
#define VALUE_LEN 1024
#define WARMUP 200
#define ROUNDS 5
#define MAX_MASTERS 16
#define POLL_MS 10
#define CMD_TIMEOUT_MS 100
#define LAT_TIMEOUT_MS 5000
#define FAILOVER_LIMIT_MS 30000

static const char *password;

static void
die(const char *fmt, ...)
{
	va_list ap;

	fputs("store_client: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static int64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Each command's deadline: short while polling a failover, long for
 * the latency calls (a loaded machine must not fail them). */
static long timeout_ms = CMD_TIMEOUT_MS;

/* A connection to host:port, authenticated; NULL (why in err) if not. */
static redisContext *
connect_to(const char *host, int port, char *err, size_t errlen)
{
	struct timeval tv = {timeout_ms / 1000, (timeout_ms % 1000) * 1000};
	redisContext *c = redisConnectWithTimeout(host, port, tv);
	redisReply *r;

	if (c == NULL || c->err) {
		snprintf(err, errlen, "%s:%d: %s", host, port,
		    c ? c->errstr : "out of memory");
		redisFree(c);
		return NULL;
	}
	redisSetTimeout(c, tv);
	if (password == NULL)
		return c;
	r = redisCommand(c, "AUTH %s", password);
	if (r == NULL || r->type == REDIS_REPLY_ERROR) {
		snprintf(err, errlen, "%s:%d: AUTH: %s", host, port,
		    r ? r->str : c->errstr);
		if (r != NULL)
			freeReplyObject(r);
		redisFree(c);
		return NULL;
	}
	freeReplyObject(r);
	return c;
}

static redisContext *
must_connect(const char *host, int port)
{
	char err[256];
	redisContext *c = connect_to(host, port, err, sizeof(err));

	if (c == NULL)
		die("cannot connect: %s", err);
	return c;
}

/* One range of CLUSTER SLOTS: its slots and master; its first replica,
 * filled in by find_replica (CLUSTER SLOTS leaves out a replica whose
 * offset is still 0: one that has copied nothing yet). */
struct range {
	long long lo, hi;
	char master[64], replica[64];
	char id[64];
	int mport, rport;
};

static void
node_addr(const redisReply *n, char *host, size_t len, int *port)
{
	if (n->type != REDIS_REPLY_ARRAY || n->elements < 2 ||
	    n->element[0]->type != REDIS_REPLY_STRING ||
	    n->element[1]->type != REDIS_REPLY_INTEGER)
		die("CLUSTER SLOTS: a node entry is not [host, port, ...]");
	snprintf(host, len, "%s", n->element[0]->str);
	*port = (int)n->element[1]->integer;
}

/* The slot map of c: up to max ranges, their count. */
static size_t
read_slots(redisContext *c, struct range *rs, size_t max)
{
	redisReply *r = redisCommand(c, "CLUSTER SLOTS");
	size_t i, n = 0;

	if (r == NULL || r->type != REDIS_REPLY_ARRAY)
		die("CLUSTER SLOTS: %s", r ? r->str : c->errstr);
	for (i = 0; i < r->elements && n < max; i++) {
		const redisReply *e = r->element[i];
		struct range *g = &rs[n++];

		if (e->type != REDIS_REPLY_ARRAY || e->elements < 3)
			die("CLUSTER SLOTS: entry %zu is not a range", i);
		g->lo = e->element[0]->integer;
		g->hi = e->element[1]->integer;
		node_addr(
		    e->element[2], g->master, sizeof(g->master), &g->mport);
		g->id[0] = '\0';
		if (e->element[2]->elements >= 3 &&
		    e->element[2]->element[2]->type == REDIS_REPLY_STRING)
			snprintf(g->id, sizeof(g->id), "%s",
			    e->element[2]->element[2]->str);
		g->replica[0] = '\0';
		g->rport = 0;
	}
	freeReplyObject(r);
	return n;
}

/* ---- lat ------------------------------------------------------------------
 */

enum kind { Q_SET, Q_GET, H_SETWAIT, H_GET, H_SET, NKINDS };
static const char *const kind_name[NKINDS] = {
    "qure_set", "qure_get", "hi_setwait", "hi_get", "hi_set"};

struct lat {
	struct qure *q;
	redisContext *masters[MAX_MASTERS];
	char mhost[MAX_MASTERS][64];
	int mport[MAX_MASTERS];
	size_t n_masters;
	redisContext *of_key[NKEYS]; /* the key's master */
	char keys[NKEYS][32];
	char value[VALUE_LEN];
	unsigned short_waits; /* hiredis WAITs that saw no replica */
};

static void
expect(redisReply *r, int type, const redisContext *c, const char *what)
{
	if (r == NULL || r->type != type)
		die("%s: %s", what,
		    r == NULL
			? c->errstr
			: (r->type == REDIS_REPLY_ERROR ? r->str
							: "unexpected reply"));
	freeReplyObject(r);
}

/* One call of kind k on key i. */
static void
call(struct lat *l, enum kind k, unsigned i)
{
	const char *key = l->keys[i % NKEYS];
	redisContext *c = l->of_key[i % NKEYS];
	redisReply *r;
	char *v;
	size_t len;

	switch (k) {
	case Q_SET:
		if (qure_set(l->q, key, l->value, VALUE_LEN) != QURE_OK)
			die("qure_set %s: %s", key, qure_error(l->q));
		break;
	case Q_GET:
		if (qure_get(l->q, key, &v, &len) != QURE_OK ||
		    len != VALUE_LEN)
			die("qure_get %s: %s", key, qure_error(l->q));
		free(v);
		break;
	case H_SETWAIT:
	case H_SET:
		r = redisCommand(
		    c, "SET %s %b", key, l->value, (size_t)VALUE_LEN);
		expect(r, REDIS_REPLY_STATUS, c, "SET");
		if (k == H_SET)
			break;
		r = redisCommand(c, "WAIT 1 50");
		if (r == NULL || r->type != REDIS_REPLY_INTEGER)
			die("WAIT: %s", r ? r->str : c->errstr);
		if (r->integer < 1)
			l->short_waits++;
		freeReplyObject(r);
		break;
	case H_GET:
		r = redisCommand(c, "GET %s", key);
		if (r == NULL || r->type != REDIS_REPLY_STRING ||
		    r->len != VALUE_LEN)
			die("GET %s: %s", key,
			    r && r->type == REDIS_REPLY_ERROR ? r->str
							      : "not 1 KiB");
		freeReplyObject(r);
		break;
	default:
		break;
	}
}

/* The connection to host:port among l's masters, made on first use. */
static redisContext *
master_conn(struct lat *l, const struct range *g)
{
	size_t i;

	for (i = 0; i < l->n_masters; i++)
		if (strcmp(l->mhost[i], g->master) == 0 &&
		    l->mport[i] == g->mport)
			return l->masters[i];
	if (i == MAX_MASTERS)
		die("more than %d masters", MAX_MASTERS);
	snprintf(l->mhost[i], sizeof(l->mhost[i]), "%s", g->master);
	l->mport[i] = g->mport;
	l->n_masters++;
	return l->masters[i] = must_connect(g->master, g->mport);
}

/* Each key's master, found once: CLUSTER KEYSLOT, then the map. */
static void
lat_route(struct lat *l, const char *host, int port)
{
	struct range rs[MAX_MASTERS * 4];
	redisContext *seed = must_connect(host, port);
	size_t n = read_slots(seed, rs, sizeof(rs) / sizeof(rs[0]));
	size_t i, j;

	for (i = 0; i < NKEYS; i++) {
		redisReply *r;
		long long slot;

		snprintf(l->keys[i], sizeof(l->keys[i]), "bench:lat:%zu", i);
		r = redisCommand(seed, "CLUSTER KEYSLOT %s", l->keys[i]);
		if (r == NULL || r->type != REDIS_REPLY_INTEGER)
			die("CLUSTER KEYSLOT: %s", r ? r->str : seed->errstr);
		slot = r->integer;
		freeReplyObject(r);
		for (j = 0; j < n; j++)
			if (slot >= rs[j].lo && slot <= rs[j].hi)
				break;
		if (j == n)
			die("slot %lld of %s is served by no master", slot,
			    l->keys[i]);
		l->of_key[i] = master_conn(l, &rs[j]);
	}
	redisFree(seed);
}

static int
cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

static void
report(enum kind k, int64_t *ns, size_t n)
{
	int64_t sum = 0;
	size_t i;

	for (i = 0; i < n; i++)
		sum += ns[i];
	qsort(ns, n, sizeof(*ns), cmp_i64);
	printf("LAT kind=%s n=%zu mean_us=%.1f p50_us=%.1f p99_us=%.1f\n",
	    kind_name[k], n, (double)sum / (double)n / 1e3,
	    (double)ns[(n - 1) * 50 / 100] / 1e3,
	    (double)ns[(n - 1) * 99 / 100] / 1e3);
}

static int
cmd_lat(const char *host, int port, unsigned n)
{
	static struct lat l;
	struct qure_opts o = {
	    .host = host, .port = (uint16_t)port, .password = password};
	int64_t *ns[NKINDS];
	size_t done[NKINDS] = {0};
	unsigned i, per = n / ROUNDS, round;
	char err[256];
	int k;

	if (per == 0)
		die("lat: N must be at least %d", ROUNDS);
	timeout_ms = LAT_TIMEOUT_MS;
	memset(l.value, 'v', sizeof(l.value));
	if ((l.q = qure_open(&o, err, sizeof(err))) == NULL)
		die("qure_open %s:%d: %s", host, port, err);
	lat_route(&l, host, port);
	for (k = 0; k < NKINDS; k++) {
		if ((ns[k] = calloc((size_t)per * ROUNDS, sizeof(int64_t))) ==
		    NULL)
			die("out of memory");
		for (i = 0; i < WARMUP; i++)
			call(&l, k, i);
	}
	l.short_waits = 0;
	for (round = 0; round < ROUNDS; round++)
		for (k = 0; k < NKINDS; k++)
			for (i = 0; i < per; i++) {
				int64_t t = now_ns();

				call(&l, k, i);
				ns[k][done[k]++] = now_ns() - t;
			}
	for (k = 0; k < NKINDS; k++)
		report(k, ns[k], done[k]);
	if (l.short_waits > 0)
		printf("LAT note: %u hiredis WAITs saw no replica within 50 "
		       "ms\n",
		    l.short_waits);
	qure_close(l.q);
	return 0;
}

/* ---- failover -------------------------------------------------------------
 */

/* A key whose slot is in [lo, hi]. */
static void
key_in(long long lo, long long hi, char *key, size_t len)
{
	unsigned i;

	for (i = 0; i < 10000000; i++) {
		unsigned s;

		snprintf(key, len, "bench:fo:%u", i);
		s = qure_slot(key, strlen(key));
		if (s >= lo && s <= hi)
			return;
	}
	die("no key found for slots %lld-%lld", lo, hi);
}

/* SET key on c: 1 when answered OK; else 0, and a MOVED's target in
 * moved (empty when none); -1 on an I/O error (c is then useless). */
static int
try_set(redisContext *c, const char *key, char *moved, size_t mlen)
{
	redisReply *r = redisCommand(c, "SET %s after", key);
	int ok;

	moved[0] = '\0';
	if (r == NULL)
		return -1;
	ok = r->type == REDIS_REPLY_STATUS;
	if (r->type == REDIS_REPLY_ERROR && strncmp(r->str, "MOVED ", 6) == 0) {
		const char *a = strchr(r->str + 6, ' ');

		if (a != NULL)
			snprintf(moved, mlen, "%s", a + 1);
	}
	freeReplyObject(r);
	return ok;
}

/* "host:port" -> host, port. */
static int
split_addr(const char *a, char *host, size_t len, int *port)
{
	const char *colon = strrchr(a, ':');

	if (colon == NULL || (size_t)(colon - a) >= len)
		return -1;
	memcpy(host, a, (size_t)(colon - a));
	host[colon - a] = '\0';
	*port = atoi(colon + 1);
	return 0;
}

/* g's first live replica, from CLUSTER REPLICAS (lines of CLUSTER
 * NODES: "id ip:port@bus flags ..."). */
static void
find_replica(redisContext *c, struct range *g)
{
	redisReply *r = redisCommand(c, "CLUSTER REPLICAS %s", g->id);
	size_t i;

	if (r == NULL || r->type != REDIS_REPLY_ARRAY)
		die("CLUSTER REPLICAS %s: %s", g->id, r ? r->str : c->errstr);
	for (i = 0; i < r->elements && g->rport == 0; i++) {
		char addr[96], flags[96];

		if (r->element[i]->type != REDIS_REPLY_STRING ||
		    sscanf(r->element[i]->str, "%*s %95s %95s", addr, flags) !=
			2 ||
		    strstr(flags, "fail") != NULL)
			continue;
		addr[strcspn(addr, "@")] = '\0';
		if (split_addr(
			addr, g->replica, sizeof(g->replica), &g->rport) == -1)
			g->rport = 0;
	}
	freeReplyObject(r);
	if (g->rport == 0)
		die("the master %s:%d has no live replica", g->master,
		    g->mport);
}

/* One attempt: SET on the replica (reconnected if need be), then on a
 * MOVED's target. 1 and the node that said OK in via, or 0. */
static int
attempt(redisContext **rc, const struct range *g, const char *key, char *via,
    size_t vlen)
{
	char moved[96], host[64], err[256];
	redisContext *m;
	int port, ok;

	if (*rc == NULL &&
	    (*rc = connect_to(g->replica, g->rport, err, sizeof(err))) == NULL)
		return 0;
	ok = try_set(*rc, key, moved, sizeof(moved));
	if (ok == 1) {
		snprintf(via, vlen, "%s:%d", g->replica, g->rport);
		return 1;
	}
	if (ok == -1) {
		redisFree(*rc);
		*rc = NULL;
		return 0;
	}
	if (moved[0] == '\0' ||
	    split_addr(moved, host, sizeof(host), &port) == -1 ||
	    (m = connect_to(host, port, err, sizeof(err))) == NULL)
		return 0;
	ok = try_set(m, key, err, sizeof(err));
	redisFree(m);
	if (ok == 1)
		snprintf(via, vlen, "%s", moved);
	return ok == 1;
}

static int
cmd_failover(
    const char *host, int port, const char *victim, char **pids, int npids)
{
	struct range rs[64];
	struct range *g = NULL;
	redisContext *seed = must_connect(host, port), *m, *rc;
	size_t n = read_slots(seed, rs, 64), i;
	char key[32], moved[96], via[96] = "";
	int64_t t0, next;
	int attempts = 0, j;

	for (i = 0; i < n && g == NULL; i++)
		if (strcmp(rs[i].master, victim) == 0)
			g = &rs[i];
	if (g == NULL)
		die("no slots have their master at %s", victim);
	find_replica(seed, g);
	redisFree(seed);
	key_in(g->lo, g->hi, key, sizeof(key));
	m = must_connect(g->master, g->mport);
	if (try_set(m, key, moved, sizeof(moved)) != 1)
		die("SET %s on its master %s:%d failed before the kill", key,
		    g->master, g->mport);
	redisFree(m);
	rc = must_connect(g->replica, g->rport);
	fprintf(stderr,
	    "store_client: key %s (slots %lld-%lld), master %s:%d, "
	    "replica %s:%d; killing %d processes\n",
	    key, g->lo, g->hi, g->master, g->mport, g->replica, g->rport,
	    npids);
	t0 = now_ns();
	for (j = 0; j < npids; j++)
		if (kill((pid_t)atol(pids[j]), SIGKILL) == -1)
			fprintf(stderr, "store_client: kill %s: %s\n", pids[j],
			    strerror(errno));
	for (next = t0;; next += POLL_MS * 1000000LL) {
		struct timespec ts = {0, 0};
		int64_t wait = next - now_ns();

		if (wait > 0) {
			ts.tv_nsec = wait;
			nanosleep(&ts, NULL);
		}
		attempts++;
		if (attempt(&rc, g, key, via, sizeof(via)))
			break;
		if (now_ns() - t0 > FAILOVER_LIMIT_MS * 1000000LL) {
			printf("FAILOVER ms=timeout attempts=%d\n", attempts);
			return 1;
		}
	}
	printf("FAILOVER ms=%lld attempts=%d via=%s\n",
	    (long long)((now_ns() - t0) / 1000000), attempts, via);
	redisFree(rc);
	return 0;
}

int
main(int argc, char **argv)
{
	password = getenv("REDISCLI_AUTH");
	if (argc == 5 && strcmp(argv[1], "lat") == 0)
		return cmd_lat(argv[2], atoi(argv[3]),
		    (unsigned)strtoul(argv[4], NULL, 10));
	if (argc >= 6 && strcmp(argv[1], "failover") == 0)
		return cmd_failover(
		    argv[2], atoi(argv[3]), argv[4], argv + 5, argc - 5);
	fprintf(stderr, "usage: store_client lat HOST PORT N\n"
			"       store_client failover HOST PORT VICTIM_IP "
			"PID...\n");
	return 2;
}
