/*
 * src/redis_coord_worker.c — the Redis side of src/redis_coord.h, in
 * forked children of qured: the worker (coord_worker_main) and the
 * takeover child (coord_takeover_main). Both talk to the redis-server
 * instances with hiredis's blocking API and short timeouts: they may
 * wait, qured's loop never does.
 *
 * The worker's loop: read the latest CONF from qured; while we hold,
 * read CLUSTER NODES of one of our own established instances (the
 * master first), gather the open migrations of every master it can
 * reach, call rplan_step(), send the actions in order (one line in the
 * log for each; a failure says what and where, and the others go on),
 * report, and step again until converged; then re-check every second or
 * at a new CONF. A CONF that changes the members or takes the holding
 * away ends the step between two actions.
 */
#include "config.h"

#include "src/redis_coord.h"

#include <sys/socket.h>
#include <arpa/inet.h>

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <hiredis/hiredis.h>

#include "base/clock.h"
#include "base/log.h"
#include "store/rnodes.h"
#include "store/rplan.h"

#define CONNECT_MS 500	     /* a dead node costs this, then is skipped */
#define CMD_MS 3000	     /* a command's answer */
#define MIGRATE_MS 2000	     /* MIGRATE's own timeout per batch: under CMD_MS */
#define UNREACHABLE_MS 1000  /* a failed connect is not tried again sooner */
#define KEYS_PER_MIGRATE 100 /* GETKEYSINSLOT's count */
#define IDLE_MS 1000	     /* converged: re-check this often */
#define SETTLE_MS 200	     /* between steps: gossip spreads the changes */
#define MAX_CONNS 160
#define ANSWER_MS 300 /* a dead member's master: does it still answer? */
#define DECLINED_LOG_MS 10000
#define FORGOTTEN_MAX 64
#define INTRO_MAX                                                              \
	32 /* introductions per step */ /* node ids counted as forgotten, the  \
					   last ones */

struct conn {
	uint32_t addr;
	uint16_t port;
	redisContext *c;
	uint64_t failed_ms;
};

#define HELD_MAX 32

struct worker {
	int fd;
	struct coord_conf conf;
	bool have_conf;
	bool changed; /* a CONF came that ends the step under way */
	struct coord_report rep;
	struct conn conns[MAX_CONNS];
	size_t nconns;
	/* Off the stack: about 50 KiB each, and the plan 100 KiB. */
	struct rnodes_view view, other, target;
	bool have_target; /* target: a move's destination's view, this step */
	uint32_t held[HELD_MAX]; /* targets whose moves wait, logged once */
	struct intro {
		uint32_t on_addr, addr;
		uint16_t on_port, port;
	} intro[INTRO_MAX]; /* MEETs sent this step */
	size_t nintro;
	char forgotten[FORGOTTEN_MAX][RNODES_ID_LEN + 1]; /* a ring */
	size_t nforgotten;
	size_t nheld;
	struct rnodes_mig mig[RNODES_MAX];
	struct rplan_out out;
};

static struct worker W;

static void
ip_text(uint32_t addr, char *buf, size_t len)
{
	struct in_addr a = {htonl(addr)};

	if (inet_ntop(AF_INET, &a, buf, (socklen_t)len) == NULL)
		snprintf(buf, len, "?");
}

/* ---- connections ---- */

static void
conn_drop(struct conn *k)
{
	if (k->c != NULL)
		redisFree(k->c);
	k->c = NULL;
}

static struct conn *
conn_slot(uint32_t addr, uint16_t port)
{
	size_t i;

	for (i = 0; i < W.nconns; i++)
		if (W.conns[i].addr == addr && W.conns[i].port == port)
			return &W.conns[i];
	if (W.nconns == MAX_CONNS) { /* the oldest goes */
		conn_drop(&W.conns[0]);
		memmove(&W.conns[0], &W.conns[1],
		    (MAX_CONNS - 1) * sizeof(W.conns[0]));
		W.nconns--;
	}
	W.conns[W.nconns] = (struct conn){addr, port, NULL, 0};
	return &W.conns[W.nconns++];
}

/* An authenticated connection to addr:port, or NULL with err. */
static redisContext *
conn_get(uint32_t addr, uint16_t port, char *err, size_t errlen)
{
	struct timeval cto = {0, CONNECT_MS * 1000}, to = {CMD_MS / 1000, 0};
	struct conn *k = conn_slot(addr, port);
	uint64_t now = clock_now_ms();
	redisReply *r;
	char ip[INET_ADDRSTRLEN];

	ip_text(addr, ip, sizeof(ip));
	if (k->c != NULL && k->c->err == 0)
		return k->c;
	conn_drop(k);
	if (k->failed_ms != 0 && now - k->failed_ms < UNREACHABLE_MS) {
		snprintf(err, errlen, "%s:%u unreachable", ip, (unsigned)port);
		return NULL;
	}
	k->c = redisConnectWithTimeout(ip, port, cto);
	if (k->c == NULL || k->c->err != 0) {
		snprintf(err, errlen, "%s:%u: connect: %s", ip, (unsigned)port,
		    k->c != NULL ? k->c->errstr : "out of memory");
		conn_drop(k);
		k->failed_ms = now;
		return NULL;
	}
	redisSetTimeout(k->c, to);
	r = redisCommand(k->c, "AUTH %s", W.conf.password);
	if (r == NULL || r->type == REDIS_REPLY_ERROR) {
		snprintf(err, errlen, "%s:%u: AUTH: %s", ip, (unsigned)port,
		    r != NULL ? r->str : k->c->errstr);
		if (r != NULL)
			freeReplyObject(r);
		conn_drop(k);
		k->failed_ms = now;
		return NULL;
	}
	freeReplyObject(r);
	k->failed_ms = 0;
	return k->c;
}

/*
 * One command (argv) on addr:port: its reply (freeReplyObject() it), or
 * NULL with "what on ip:port: why" in err (an error reply, a lost
 * connection: then dropped, and connected again at the next call).
 */
static redisReply *
run_argv(uint32_t addr, uint16_t port, int argc, const char **argv, char *err,
    size_t errlen)
{
	redisContext *c = conn_get(addr, port, err, errlen);
	redisReply *r;
	char ip[INET_ADDRSTRLEN];

	if (c == NULL)
		return NULL;
	ip_text(addr, ip, sizeof(ip));
	r = redisCommandArgv(c, argc, argv, NULL);
	if (r == NULL) {
		snprintf(err, errlen, "%s %s on %s:%u: %s", argv[0],
		    argc > 1 ? argv[1] : "", ip, (unsigned)port, c->errstr);
		conn_drop(conn_slot(addr, port));
		return NULL;
	}
	if (r->type == REDIS_REPLY_ERROR) {
		snprintf(err, errlen, "%s %s on %s:%u: %s", argv[0],
		    argc > 1 ? argv[1] : "", ip, (unsigned)port, r->str);
		freeReplyObject(r);
		return NULL;
	}
	return r;
}

/* A command given as words separated by spaces (no empty word). */
static int
run(uint32_t addr, uint16_t port, char *err, size_t errlen, const char *fmt,
    ...)
{
	char line[512], *argv[16], *save = NULL, *w;
	int argc = 0;
	redisReply *r;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	for (w = strtok_r(line, " ", &save); w != NULL && argc < 16;
	     w = strtok_r(NULL, " ", &save))
		argv[argc++] = w;
	r = run_argv(addr, port, argc, (const char **)argv, err, errlen);
	if (r == NULL)
		return -1;
	freeReplyObject(r);
	return 0;
}

/*
 * Whether the Redis at addr:port answers within ANSWER_MS: any reply
 * counts, even NOAUTH. QuRe declares a member dead when its ALIVE
 * messages stop, which a loaded machine can delay while the member's
 * Redis serves on; taking over a master that serves would cut its writes
 * in flight for nothing. A dead VM's Redis never answers (the connect
 * times out), a killed one's port refuses at once, a stopped one's
 * connect or PING times out: the check costs a real death at most
 * ANSWER_MS, within the 1 s target.
 */
static bool
answers(uint32_t addr, uint16_t port)
{
	struct timeval to = {0, ANSWER_MS * 1000};
	char ip[INET_ADDRSTRLEN];
	redisContext *c;
	redisReply *r;
	bool ok;

	if (addr == 0 || port == 0)
		return false;
	ip_text(addr, ip, sizeof(ip));
	c = redisConnectWithTimeout(ip, port, to);
	if (c == NULL || c->err != 0) {
		if (c != NULL)
			redisFree(c);
		return false;
	}
	redisSetTimeout(c, to);
	r = redisCommand(c, "PING");
	ok = r != NULL;
	if (r != NULL)
		freeReplyObject(r);
	redisFree(c);
	return ok;
}

/* CLUSTER NODES of addr:port parsed into *v; 0, or -1 with err. */
static int
read_view(uint32_t addr, uint16_t port, struct rnodes_view *v, char *err,
    size_t errlen)
{
	static const char *argv[] = {"CLUSTER", "NODES"};
	redisReply *r = run_argv(addr, port, 2, argv, err, errlen);
	enum rnodes_err e;
	char why[160], ip[INET_ADDRSTRLEN];

	if (r == NULL)
		return -1;
	if (r->type != REDIS_REPLY_STRING && r->type != REDIS_REPLY_STATUS) {
		freeReplyObject(r);
		snprintf(err, errlen, "CLUSTER NODES: not a string");
		return -1;
	}
	e = rnodes_parse(r->str, r->len, v);
	freeReplyObject(r);
	if (e != RNODES_OK) {
		ip_text(addr, ip, sizeof(ip));
		snprintf(err, errlen, "CLUSTER NODES of %s:%u refused: %s", ip,
		    (unsigned)port, rnodes_explain(v, e, why, sizeof(why)));
		return -1;
	}
	/* A fresh node does not know its own address: we know whom we
	 * asked (the planner needs it). */
	if (v->node[v->self].addr == 0)
		v->node[v->self].addr = addr;
	if (v->node[v->self].port == 0)
		v->node[v->self].port = port;
	return 0;
}

/* ---- messages from qured ---- */

static void
send_report(void)
{
	uint8_t buf[COORD_MSG_MAX];
	int n = coord_report_encode(&W.rep, buf, sizeof(buf));

	if (n > 0)
		(void)send(W.fd, buf, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT);
}

/* Reads what qured sent, waiting up to wait_ms for the first message.
 * Exits when qured is gone. */
static void
read_conf(int wait_ms)
{
	struct pollfd p = {W.fd, POLLIN, 0};
	uint8_t buf[COORD_MSG_MAX];
	struct coord_conf c;
	ssize_t n;

	if (poll(&p, 1, wait_ms) <= 0)
		return;
	for (;;) {
		n = recv(W.fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN)
			return;
		if (n <= 0)
			_exit(0); /* qured closed its end, or died */
		if (coord_conf_decode(buf, (size_t)n, &c) == -1) {
			log_warnx("store: coordinator: a malformed message "
				  "from qured (%zd bytes) dropped",
			    n);
			continue;
		}
		if (!W.have_conf || c.holding != W.conf.holding ||
		    c.self != W.conf.self || c.n != W.conf.n ||
		    memcmp(c.m, W.conf.m, c.n * sizeof(c.m[0])) != 0)
			W.changed = true;
		W.conf = c;
		W.have_conf = true;
	}
}

/* Between two actions: a new CONF that matters ends the step. */
static bool
interrupted(void)
{
	read_conf(0);
	return W.changed;
}

/* ---- the actions ---- */

static void
fail(const char *what, const char *err)
{
	W.rep.failures++;
	snprintf(W.rep.last_error, sizeof(W.rep.last_error), "%.80s: %.110s",
	    what, err);
	log_warnx("store: %s failed: %s", what, err);
}

/* The open migrations of every master of the view we can reach, the
 * view's own included. */
static size_t
gather_migs(void)
{
	const struct rnodes_view *v = &W.view;
	char err[256];
	size_t i, j, n = 0;

	for (i = 0; i < v->n; i++) {
		const struct rnode *nd = &v->node[i];
		const struct rnodes_view *src = v;

		if (!(nd->flags & RNODE_MASTER) || nd->addr == 0 ||
		    (nd->flags & (RNODE_FAIL | RNODE_HANDSHAKE)))
			continue;
		if ((int)i != v->self) {
			if (read_view(nd->addr, nd->port, &W.other, err,
				sizeof(err)) == -1)
				continue;
			src = &W.other;
		}
		for (j = 0; j < src->nmig && n < RNODES_MAX; j++)
			W.mig[n++] = src->mig[j];
	}
	return n;
}

/* The slot's keys from src to dst, MIGRATE by batches. */
static int
migrate_keys(
    const struct rplan_act *a, const char *dst_ip, char *err, size_t errlen)
{
	char slot[8], count[8], port[8], to[16];
	const char *argv[8 + KEYS_PER_MIGRATE];
	redisReply *keys, *r;
	size_t i;
	int argc;

	snprintf(slot, sizeof(slot), "%u", (unsigned)a->slot);
	snprintf(count, sizeof(count), "%u", KEYS_PER_MIGRATE);
	snprintf(port, sizeof(port), "%u", (unsigned)a->peer_port);
	snprintf(to, sizeof(to), "%u", MIGRATE_MS);
	for (;;) {
		const char *get[] = {"CLUSTER", "GETKEYSINSLOT", slot, count};

		keys = run_argv(a->addr, a->port, 4, get, err, errlen);
		if (keys == NULL)
			return -1;
		if (keys->type != REDIS_REPLY_ARRAY || keys->elements == 0) {
			freeReplyObject(keys);
			return 0;
		}
		argc = 0;
		argv[argc++] = "MIGRATE";
		argv[argc++] = dst_ip;
		argv[argc++] = port;
		argv[argc++] = "";
		argv[argc++] = "0";
		argv[argc++] = to;
		argv[argc++] = "AUTH";
		argv[argc++] = W.conf.password;
		argv[argc++] = "KEYS";
		for (i = 0; i < keys->elements && i < KEYS_PER_MIGRATE; i++)
			argv[argc++] = keys->element[i]->str;
		/* MIGRATE waits for the target: the command waits longer. */
		r = run_argv(a->addr, a->port, argc, argv, err, errlen);
		freeReplyObject(keys);
		if (r == NULL)
			return -1;
		freeReplyObject(r);
	}
}

/*
 * SETSLOT and REPLICATE name a node by id, which the node they run on
 * must know. One that was reset or joined a moment ago learns the others
 * by gossip only, which among many nodes takes minutes (3,585 failed
 * moves in one 20-member run), and a node forgotten there stays unknown
 * for 60 s (FORGET bans it): a MEET introduces it at once (Redis lets a
 * MEET through the ban). The action that failed is tried again next step,
 * when the handshake is done.
 */
static bool
unknown_node(const char *err)
{
	return strstr(err, "Unknown node") != NULL ||
	       strstr(err, "I don't know about node") != NULL;
}

static void
introduce(uint32_t on_addr, uint16_t on_port, uint32_t addr, uint16_t port,
    char *err, size_t errlen)
{
	char ip[INET_ADDRSTRLEN], ignored[256];
	size_t i, len = strlen(err);

	if (addr == 0 || port == 0)
		return;
	ip_text(addr, ip, sizeof(ip));
	/* A step's later moves between the same pair fail alike: one MEET. */
	for (i = 0; i < W.nintro; i++)
		if (W.intro[i].on_addr == on_addr &&
		    W.intro[i].on_port == on_port && W.intro[i].addr == addr &&
		    W.intro[i].port == port)
			break;
	if (i == W.nintro && W.nintro < INTRO_MAX &&
	    run(on_addr, on_port, ignored, sizeof(ignored),
		"CLUSTER MEET %s %u", ip, (unsigned)port) == 0) {
		W.intro[W.nintro++] =
		    (struct intro){on_addr, addr, on_port, port};
		W.rep.introduced++;
	}
	if (len < errlen)
		snprintf(err + len, errlen - len, " (MEET %s:%u sent there)",
		    ip, (unsigned)port);
}

/* CLUSTER SETSLOT slot how id on addr:port; the node id (at id_addr:
 * id_port) introduced there when it is unknown. */
static int
setslot(uint32_t addr, uint16_t port, unsigned slot, const char *how,
    const char *id, uint32_t id_addr, uint16_t id_port, char *err,
    size_t errlen)
{
	if (run(addr, port, err, errlen, "CLUSTER SETSLOT %u %s %s", slot, how,
		id) == 0)
		return 0;
	if (unknown_node(err))
		introduce(addr, port, id_addr, id_port, err, errlen);
	return -1;
}

/*
 * The target must know that the source serves the slot. A node that
 * joined a moment ago may not know yet, and once the slot is IMPORTING
 * there, gossip never tells it (Redis leaves importing slots alone):
 * then MIGRATE and every ASKING client get "CLUSTERDOWN Hash slot not
 * served". So the target's view is read once a step, and a slot it
 * does not see on the source is bound to the source first (the source
 * introduced first if the target does not know it at all).
 */
static int
bind_owner(const struct rplan_act *a, char *err, size_t errlen)
{
	struct rnodes_view *t = &W.target;
	int o;

	if (!W.have_target || t->node[t->self].addr != a->peer_addr ||
	    t->node[t->self].port != a->peer_port) {
		W.have_target = false;
		if (read_view(a->peer_addr, a->peer_port, t, err, errlen) == -1)
			return -1;
		W.have_target = true;
	}
	o = t->owner[a->slot];
	if (o >= 0 && strcmp(t->node[o].id, a->node_id) == 0)
		return 0;
	return setslot(a->peer_addr, a->peer_port, a->slot, "NODE", a->node_id,
	    a->addr, a->port, err, errlen);
}

/*
 * The online move of one slot (Redis Cluster's resharding protocol):
 * IMPORTING on the target, MIGRATING on the source, the keys, then
 * SETSLOT NODE on the target, the source and the other masters.
 */
static int
move_slot(const struct rplan_act *a, char *err, size_t errlen)
{
	const struct rnodes_view *v = &W.view;
	char dst_ip[INET_ADDRSTRLEN], ignored[256];
	unsigned s = a->slot;
	size_t i;

	ip_text(a->peer_addr, dst_ip, sizeof(dst_ip));
	if (bind_owner(a, err, errlen) == -1)
		return -1;
	if (setslot(a->peer_addr, a->peer_port, s, "IMPORTING", a->node_id,
		a->addr, a->port, err, errlen) == -1 ||
	    setslot(a->addr, a->port, s, "MIGRATING", a->peer_id, a->peer_addr,
		a->peer_port, err, errlen) == -1 ||
	    migrate_keys(a, dst_ip, err, errlen) == -1 ||
	    run(a->peer_addr, a->peer_port, err, errlen,
		"CLUSTER SETSLOT %u NODE %s", s, a->peer_id) == -1 ||
	    setslot(a->addr, a->port, s, "NODE", a->peer_id, a->peer_addr,
		a->peer_port, err, errlen) == -1)
		return -1;
	/* The others learn it by gossip too: this is only quicker. */
	for (i = 0; i < v->n; i++) {
		const struct rnode *nd = &v->node[i];

		if (!(nd->flags & RNODE_MASTER) || nd->addr == 0 ||
		    (nd->flags & (RNODE_FAIL | RNODE_PFAIL)) ||
		    strcmp(nd->id, a->node_id) == 0 ||
		    strcmp(nd->id, a->peer_id) == 0)
			continue;
		(void)run(nd->addr, nd->port, ignored, sizeof(ignored),
		    "CLUSTER SETSLOT %u NODE %s", s, a->peer_id);
	}
	return 0;
}

/* "MEET 10.0.0.2:6380 on 10.0.0.1:6379" */
static void
describe(const struct rplan_act *a, char *buf, size_t len)
{
	char ip[INET_ADDRSTRLEN], peer[INET_ADDRSTRLEN];

	ip_text(a->addr, ip, sizeof(ip));
	ip_text(a->peer_addr, peer, sizeof(peer));
	switch (a->op) {
	case RPLAN_MEET:
		snprintf(buf, len, "MEET %s:%u on %s:%u", peer,
		    (unsigned)a->peer_port, ip, (unsigned)a->port);
		break;
	case RPLAN_ADDSLOTS:
		snprintf(buf, len, "ADDSLOTSRANGE %u-%u on %s:%u",
		    (unsigned)a->slot, (unsigned)a->slot_hi, ip,
		    (unsigned)a->port);
		break;
	case RPLAN_MOVE_SLOT:
		snprintf(buf, len, "MOVE_SLOT %u from %s:%u to %s:%u",
		    (unsigned)a->slot, ip, (unsigned)a->port, peer,
		    (unsigned)a->peer_port);
		break;
	case RPLAN_STABLE:
		snprintf(buf, len, "SETSLOT %u STABLE on %s:%u",
		    (unsigned)a->slot, ip, (unsigned)a->port);
		break;
	case RPLAN_REPLICATE:
	case RPLAN_FORGET:
		snprintf(buf, len, "%s %.8s (%s:%u) on %s:%u",
		    rplan_op_name(a->op), a->peer_id, peer,
		    (unsigned)a->peer_port, ip, (unsigned)a->port);
		break;
	default:
		snprintf(buf, len, "%s on %s:%u", rplan_op_name(a->op), ip,
		    (unsigned)a->port);
	}
}

static int
execute(const struct rplan_act *a, char *err, size_t errlen)
{
	char peer[INET_ADDRSTRLEN];

	ip_text(a->peer_addr, peer, sizeof(peer));
	switch (a->op) {
	case RPLAN_TAKEOVER:
		return run(
		    a->addr, a->port, err, errlen, "CLUSTER FAILOVER TAKEOVER");
	case RPLAN_RESET:
		return run(a->addr, a->port, err, errlen, "CLUSTER RESET SOFT");
	case RPLAN_FORGET:
		return run(a->addr, a->port, err, errlen, "CLUSTER FORGET %s",
		    a->peer_id);
	case RPLAN_MEET:
		return run(a->addr, a->port, err, errlen, "CLUSTER MEET %s %u",
		    peer, (unsigned)a->peer_port);
	case RPLAN_STABLE:
		return run(a->addr, a->port, err, errlen,
		    "CLUSTER SETSLOT %u STABLE", (unsigned)a->slot);
	case RPLAN_ADDSLOTS:
		return run(a->addr, a->port, err, errlen,
		    "CLUSTER ADDSLOTSRANGE %u %u", (unsigned)a->slot,
		    (unsigned)a->slot_hi);
	case RPLAN_MOVE_SLOT:
		return move_slot(a, err, errlen);
	case RPLAN_REPLICATE:
		if (run(a->addr, a->port, err, errlen, "CLUSTER REPLICATE %s",
			a->peer_id) == 0)
			return 0;
		if (unknown_node(err))
			introduce(a->addr, a->port, a->peer_addr, a->peer_port,
			    err, errlen);
		return -1;
	}
	snprintf(err, errlen, "unknown action %d", (int)a->op);
	return -1;
}

/* Slot moves are many: one line per run of slots moved between one pair
 * (and one per failure), not one per slot. */
struct move_run {
	const struct rplan_act *first;
	unsigned lo, hi, n;
};

static void
move_run_flush(struct move_run *m)
{
	char what[160];

	if (m->n == 0)
		return;
	describe(m->first, what, sizeof(what));
	log_info("store: moved %u slot%s (%u..%u) as %s: OK", m->n,
	    m->n == 1 ? "" : "s", m->lo, m->hi, what);
	m->n = 0;
}

static void
move_run_add(struct move_run *m, const struct rplan_act *a)
{
	if (m->n != 0 &&
	    (a->addr != m->first->addr || a->port != m->first->port ||
		a->peer_addr != m->first->peer_addr ||
		a->peer_port != m->first->peer_port))
		move_run_flush(m);
	if (m->n == 0) {
		m->first = a;
		m->lo = m->hi = a->slot;
	}
	m->lo = a->slot < m->lo ? a->slot : m->lo;
	m->hi = a->slot > m->hi ? a->slot : m->hi;
	m->n++;
}

/*
 * Whether addr:port (a master) has a replica in sync ("state=online" in
 * INFO replication). Slots moved to a master before its replica syncs
 * make every acknowledged write (WAIT 1) there time out: the moves wait
 * a step or two for the REPLICATE the same plan sends.
 */
static bool
replica_online(uint32_t addr, uint16_t port)
{
	static const char *argv[] = {"INFO", "replication"};
	char err[256];
	redisReply *r = run_argv(addr, port, 2, argv, err, sizeof(err));
	bool ok;

	if (r == NULL)
		return false;
	ok = r->type == REDIS_REPLY_STRING &&
	     strstr(r->str, "state=online") != NULL;
	freeReplyObject(r);
	return ok;
}

/* A move's gate, decided once a step for each source and target. */
struct gate {
	uint32_t src_addr, dst_addr;
	uint16_t src_port, dst_port;
	bool wait;
};
#define GATES_MAX 256

/*
 * Whether the move a waits for its target's replica: a source with a
 * replica in sync and a target without one, while one is coming for it
 * (coord_replica_coming(): else the wait would never end). A source
 * without one (a master that took over) loses nothing by moving: the
 * target may get its replica only afterwards. Logged once per target
 * while it waits (the moves of one step alternate between targets).
 */
static bool
gate_waits(const struct rplan_out *out, const struct rplan_act *a,
    struct gate *g, size_t *ng)
{
	char what[160];
	bool wait;
	size_t i;

	for (i = 0; i < *ng; i++)
		if (g[i].src_addr == a->addr && g[i].src_port == a->port &&
		    g[i].dst_addr == a->peer_addr &&
		    g[i].dst_port == a->peer_port)
			return g[i].wait;
	wait = coord_replica_coming(&W.view, out, a->peer_addr, a->peer_port) &&
	       !replica_online(a->peer_addr, a->peer_port) &&
	       replica_online(a->addr, a->port);
	if (*ng < GATES_MAX)
		g[(*ng)++] = (struct gate){
		    a->addr, a->peer_addr, a->port, a->peer_port, wait};
	for (i = 0; wait && i < W.nheld && W.held[i] != a->peer_addr; i++)
		;
	if (wait && i == W.nheld && W.nheld < HELD_MAX) {
		W.held[W.nheld++] = a->peer_addr;
		describe(a, what, sizeof(what));
		log_info("store: moves like %s wait for the target's replica "
			 "to sync",
		    what);
	}
	return wait;
}

/* A TAKEOVER not done: the master answers. Logged at most every
 * DECLINED_LOG_MS (a member whose qured hangs while its Redis serves is
 * planned a TAKEOVER every step). */
static void
decline(const struct rplan_act *a)
{
	static uint64_t logged_ms;
	uint64_t now = clock_now_ms();
	char what[160];

	W.rep.declined++;
	if (logged_ms != 0 && now - logged_ms < DECLINED_LOG_MS)
		return;
	logged_ms = now;
	describe(a, what, sizeof(what));
	log_info("store: %s: not done, the master %.8s still answers (its "
		 "member's death is QuRe's, not Redis's; %llu declined)",
	    what, a->peer_id, (unsigned long long)W.rep.declined);
}

/* A node of no member forgotten: counted once, though every live node
 * is told (FORGET is sent to each) and a step may repeat it. */
static void
count_forgotten(const char *id)
{
	size_t i,
	    n = W.nforgotten < FORGOTTEN_MAX ? W.nforgotten : FORGOTTEN_MAX;

	for (i = 0; i < n; i++)
		if (strcmp(W.forgotten[i], id) == 0)
			return;
	snprintf(W.forgotten[W.nforgotten % FORGOTTEN_MAX],
	    sizeof(W.forgotten[0]), "%s", id);
	W.nforgotten++;
	W.rep.forgotten++;
}

/* The actions of one plan, in order, until a CONF interrupts. */
static void
execute_all(const struct rplan_out *out)
{
	static struct gate gates[GATES_MAX];
	struct move_run run_log = {NULL, 0, 0, 0};
	char err[256], what[160];
	size_t i, ngates = 0, waited = 0;

	for (i = 0; i < out->nact; i++) {
		const struct rplan_act *a = &out->act[i];

		if (interrupted())
			break;
		if (a->op == RPLAN_MOVE_SLOT && out->status.want_replicas > 0 &&
		    gate_waits(out, a, gates, &ngates)) {
			waited++;
			continue;
		}
		if (a->op == RPLAN_TAKEOVER &&
		    answers(a->peer_addr, a->peer_port)) {
			decline(a);
			continue;
		}
		W.rep.actions++;
		if (execute(a, err, sizeof(err)) == -1) {
			move_run_flush(&run_log);
			describe(a, what, sizeof(what));
			fail(what, err);
			continue;
		}
		if (a->op == RPLAN_MOVE_SLOT) {
			W.rep.moves++;
			move_run_add(&run_log, a);
			continue;
		}
		move_run_flush(&run_log);
		if (a->op == RPLAN_TAKEOVER)
			W.rep.takeovers++;
		if (a->op == RPLAN_FORGET)
			count_forgotten(a->peer_id);
		describe(a, what, sizeof(what));
		log_info("store: %s: OK", what);
	}
	move_run_flush(&run_log);
	if (waited == 0)
		W.nheld = 0; /* a target that waits again is logged again */
}

/*
 * The view of our own established instance: our master serving slots
 * first, else one that knows other nodes, else any that answers. 0, or
 * -1 with err (none answers).
 */
static int
own_view(struct rnodes_view *v, char *err, size_t errlen)
{
	int best = -1, score, best_score = -1;
	unsigned i;

	for (i = 0; i <= W.conf.replicas; i++) {
		uint16_t port = (uint16_t)(W.conf.port + i);

		if (read_view(W.conf.self, port, v, err, errlen) == -1)
			continue;
		score = (v->node[v->self].flags & RNODE_MASTER) &&
				v->node[v->self].nslots > 0
			    ? 2
			    : v->n > 1;
		if (score > best_score) {
			best_score = score;
			best = (int)i;
		}
		if (score == 2)
			return 0;
	}
	if (best == -1)
		return -1;
	return read_view(
	    W.conf.self, (uint16_t)(W.conf.port + best), v, err, errlen);
}

static void
report_status(const struct rplan_status *s)
{
	W.rep.converged = s->converged;
	W.rep.unreplicated = s->unreplicated;
	W.rep.alive = s->alive;
	W.rep.slots_live = s->slots_live;
	W.rep.slots_stuck = s->slots_stuck;
	W.rep.slots_free = s->slots_free;
	W.rep.slots_off = s->slots_off;
	W.rep.masters_short = s->masters_short;
	W.rep.want_replicas = s->want_replicas;
	W.rep.open_migs = s->open_migs;
}

/* One step: 1 when it sent actions (step again), 0 when converged, -1
 * when it could not plan. */
static int
step(void)
{
	struct rplan_in in;
	char err[256];

	W.rep.steps++;
	W.have_target = false;
	W.nintro = 0;
	if (own_view(&W.view, err, sizeof(err)) == -1) {
		fail("reading our instance's CLUSTER NODES", err);
		return -1;
	}
	memset(&in, 0, sizeof(in));
	in.conf.port = W.conf.port;
	in.conf.replicas = W.conf.replicas;
	in.members = W.conf.m;
	in.nmembers = W.conf.n;
	in.view = &W.view;
	in.mig = W.mig;
	in.nmig = gather_migs();
	if (rplan_step(&in, &W.out) == -1) {
		fail("planning", "the planner refused its input (too many "
				 "members, or ours not alive)");
		return -1;
	}
	if (W.out.status.converged && !W.rep.converged)
		log_info("store: the cluster is converged: %u members, %u "
			 "slots live%s",
		    W.out.status.alive, W.out.status.slots_live,
		    W.out.status.unreplicated ? ", unreplicated" : "");
	report_status(&W.out.status);
	if (W.out.nact == 0)
		return W.out.status.converged ? 0 : -1;
	execute_all(&W.out);
	W.rep.converged = false;
	return 1;
}

/* Not the holder: the plan's status alone, for qurectl status (the
 * holder acts on it). */
static void
observe(void)
{
	struct rplan_in in;
	char err[256];

	if (!W.have_conf || W.conf.self == 0 ||
	    own_view(&W.view, err, sizeof(err)) == -1)
		return;
	memset(&in, 0, sizeof(in));
	in.conf.port = W.conf.port;
	in.conf.replicas = W.conf.replicas;
	in.members = W.conf.m;
	in.nmembers = W.conf.n;
	in.view = &W.view;
	in.mig = W.view.mig;
	in.nmig = W.view.nmig;
	if (rplan_step(&in, &W.out) == 0)
		report_status(&W.out.status);
}

/* ---- the children's mains ---- */

void
coord_worker_main(int fd)
{
	int rc, wait_ms = IDLE_MS;

	W.fd = fd;
	for (;;) {
		read_conf(wait_ms);
		W.changed = false;
		if (!W.have_conf || !W.conf.holding || W.conf.self == 0) {
			if (W.rep.coordinating) {
				W.rep.coordinating = false;
				log_info("store: not coordinating (not the "
					 "holder)");
			}
			observe();
			send_report();
			wait_ms = IDLE_MS;
			continue;
		}
		if (!W.rep.coordinating)
			log_info("store: coordinating the site cache");
		W.rep.coordinating = true;
		rc = step();
		send_report();
		wait_ms = rc == 1 ? SETTLE_MS : IDLE_MS;
	}
}

void
coord_takeover_main(int fd, const struct coord_conf *conf, const uint32_t *dead,
    size_t ndead, uint64_t declared_ms)
{
	int chosen[RPLAN_MEMBERS_MAX * (RPLAN_REPLICAS_MAX + 1)];
	char err[256], what[160], ip[INET_ADDRSTRLEN];
	size_t i, n;
	unsigned done = 0, declined = 0, p;
	uint8_t answer[2];

	W.conf = *conf;
	for (p = 0; p <= conf->replicas; p++)
		if (read_view(conf->self, (uint16_t)(conf->port + p), &W.view,
			err, sizeof(err)) == 0)
			break;
	if (p > conf->replicas) {
		log_warnx("store: takeover: no view of our instances: %s", err);
		_exit(0);
	}
	n = rplan_takeover(&W.view, dead, ndead, conf->self, chosen,
	    sizeof(chosen) / sizeof(chosen[0]));
	for (i = 0; i < n; i++) {
		const struct rnode *r = &W.view.node[chosen[i]];
		const struct rnode *m =
		    r->master >= 0 ? &W.view.node[r->master] : NULL;

		ip_text(m != NULL ? m->addr : 0, ip, sizeof(ip));
		snprintf(what, sizeof(what),
		    "TAKEOVER on %s:%u (replica of %.8s at %s:%u)", r->ip,
		    (unsigned)r->port, r->master_id, ip,
		    m != NULL ? (unsigned)m->port : 0u);
		if (m != NULL && answers(m->addr, m->port)) {
			declined++;
			log_info(
			    "store: %s: not done, the master still answers "
			    "(its member's death is QuRe's, not Redis's)",
			    what);
			continue;
		}
		if (run(r->addr, r->port, err, sizeof(err),
			"CLUSTER FAILOVER TAKEOVER") == -1) {
			/* The holder's coordinator plans the same TAKEOVER
			 * (rplan_step) and may come first. */
			if (strstr(err, "send CLUSTER FAILOVER to a replica"))
				log_info("store: %s: already a master (the "
					 "coordinator's TAKEOVER came first)",
				    what);
			else
				log_warnx("store: %s failed: %s", what, err);
			continue;
		}
		done++;
		log_info("store: %s: OK %llu ms after the death was declared",
		    what, (unsigned long long)(clock_now_ms() - declared_ms));
	}
	if (n == 0)
		log_info("store: takeover: none of our replicas serves a dead "
			 "member's master");
	answer[0] = (uint8_t)(done > 255 ? 255 : done);
	answer[1] = (uint8_t)(declined > 255 ? 255 : declined);
	(void)send(fd, answer, sizeof(answer), MSG_NOSIGNAL);
	_exit(0);
}
