#include "config.h"

#include "src/ctl.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <errno.h>
#include <grp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <jansson.h>

#include "base/log.h"
#include "base/xmalloc.h"

/*
 * Replies queued for one client before we stop reading its requests: a
 * client that pipelines requests and never reads cannot grow our memory.
 */
#define CTL_OUT_MAX (256 * 1024)
#define CTL_IDLE_S 60	/* a silent client gives its slot back */
#define CTL_WRITE_S 10	/* a client that does not read is dropped */
#define CTL_ERR_LEN 256 /* one-line reasons */
#define CTL_ECHO_MAX 32 /* bytes of a bad value quoted back */
/* Event lines queued for one watcher: past this it is dropped, so a
 * watcher that stops reading costs at most this much, never a wait. */
#define CTL_WATCH_MAX (64 * 1024)

struct ctl_client {
	struct ctl *ctl;
	struct bufferevent *bev;
	struct ctl_peer peer; /* who connected (SO_PEERCRED) */
	bool closing;	      /* reply queued; free once it is written */
	bool stalled;	      /* reading paused until the output drains */
	bool watching; /* {"cmd":"watch"}: events go out, requests are not read
			*/
};

struct ctl {
	struct event_base *base;
	struct ctl_ops ops;
	void *arg;
	struct ctl_acl acl;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	int fd;
	dev_t dev;
	ino_t ino;
	struct event *ev_accept;
	struct event *ev_resume; /* accept paused after EMFILE */
	struct ctl_client *client[CTL_MAX_CLIENTS];
	size_t n_clients;
	bool warned_full; /* said "too many clients"; reset by a free slot */
	int busy;	  /* inside an ops callback */
	bool dying;	  /* ctl_free() was called from one */
	uint64_t watchers_dropped; /* for not reading their events */
};

/* ---- the request parser (pure) ---- */

/* Copies s for quoting in an error: printable ASCII only, bounded. */
static void
echo_copy(char *dst, size_t len, const char *s)
{
	size_t i;

	for (i = 0; i + 1 < len && s[i] != '\0' && i < CTL_ECHO_MAX; i++)
		dst[i] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
	dst[i] = '\0';
}

/* Makes s (of size bytes) one line of printable ASCII, in place. */
static void
echo_line(char *s, size_t size)
{
	size_t i;

	for (i = 0; i < size && s[i] != '\0'; i++)
		if (s[i] < 0x20 || s[i] >= 0x7f)
			s[i] = '?';
}

static int
parse_cmd(const json_t *v, struct ctl_req *out, char *err, size_t errlen)
{
	static const struct {
		const char *name;
		enum ctl_cmd cmd;
	} cmds[] = {
	    {"status", CTL_CMD_STATUS},
	    {"members", CTL_CMD_MEMBERS},
	    {"handover", CTL_CMD_HANDOVER},
	    {"reload", CTL_CMD_RELOAD},
	    {"config", CTL_CMD_CONFIG},
	    {"watch", CTL_CMD_WATCH},
	    {"key", CTL_CMD_KEY},
	};
	char echo[CTL_ECHO_MAX + 1];
	size_t i;

	if (v == NULL) {
		snprintf(err, errlen, "missing \"cmd\"");
		return -1;
	}
	if (!json_is_string(v)) {
		snprintf(err, errlen, "cmd: expected a string");
		return -1;
	}
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		if (strcmp(json_string_value(v), cmds[i].name) == 0) {
			out->cmd = cmds[i].cmd;
			return 0;
		}
	}
	echo_copy(echo, sizeof(echo), json_string_value(v));
	snprintf(err, errlen,
	    "unknown cmd \"%s\" (status, members, handover, reload, config, "
	    "watch, key)",
	    echo);
	return -1;
}

static int
parse_name(const json_t *v, struct ctl_req *out, char *err, size_t errlen)
{
	const char *s;
	size_t i, n;

	if (v == NULL || json_is_null(v))
		return 0;
	if (out->cmd != CTL_CMD_HANDOVER) {
		snprintf(err, errlen, "name: only handover takes a name");
		return -1;
	}
	if (!json_is_string(v)) {
		snprintf(err, errlen, "name: expected a string");
		return -1;
	}
	s = json_string_value(v);
	n = json_string_length(v);
	if (n == 0 || n > CTL_NAME_MAX) {
		snprintf(
		    err, errlen, "name: expected 1 to %d bytes", CTL_NAME_MAX);
		return -1;
	}
	for (i = 0; i < n; i++) {
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) {
			snprintf(err, errlen, "name: control character");
			return -1;
		}
	}
	memcpy(out->name, s, n);
	out->name[n] = '\0';
	out->has_name = true;
	return 0;
}

/* A config string field into out (size bytes): present iff wanted. */
static int
parse_config_str(const json_t *v, const char *field, bool wanted, char *out,
    size_t size, char *err, size_t errlen)
{
	if (v == NULL || json_is_null(v)) {
		if (!wanted)
			return 0;
		snprintf(err, errlen, "%s: missing", field);
		return -1;
	}
	if (!wanted) {
		snprintf(err, errlen, "%s: not for this op", field);
		return -1;
	}
	if (!json_is_string(v) || json_string_length(v) >= size ||
	    memchr(json_string_value(v), '\0', json_string_length(v))) {
		snprintf(err, errlen,
		    "%s: expected a string of at most %zu bytes", field,
		    size - 1);
		return -1;
	}
	memcpy(out, json_string_value(v), json_string_length(v) + 1);
	return 0;
}

/* key: op "rotate" (the only one), force a boolean if present. */
static int
ctl_key_parse(const json_t *obj, bool *force, char *err, size_t errlen)
{
	const json_t *op = json_object_get(obj, "op");
	const json_t *f = json_object_get(obj, "force");

	if (json_object_get(obj, "key") != NULL ||
	    json_object_get(obj, "value") != NULL) {
		snprintf(err, errlen, "key, value: only config takes them");
		return -1;
	}
	if (op == NULL || !json_is_string(op) ||
	    strcmp(json_string_value(op), "rotate") != 0) {
		snprintf(err, errlen, "op: expected rotate");
		return -1;
	}
	if (f != NULL && !json_is_boolean(f)) {
		snprintf(err, errlen, "force: expected true or false");
		return -1;
	}
	*force = f != NULL && json_is_true(f);
	return 0;
}

/* op, key and value of config: key with get, set, unset; value with set.
 * What a key and value may be is the settings' to say (store/). */
static int
parse_config(const json_t *obj, struct ctl_req *out, char *err, size_t errlen)
{
	static const char *ops[] = {"list", "get", "set", "unset"};
	const json_t *op = json_object_get(obj, "op");
	size_t i;

	if (out->cmd == CTL_CMD_KEY)
		return ctl_key_parse(obj, &out->force, err, errlen);
	if (out->cmd != CTL_CMD_CONFIG) {
		if (json_object_get(obj, "force") != NULL) {
			snprintf(err, errlen, "force: only key takes it");
			return -1;
		}
		if (op != NULL || json_object_get(obj, "key") != NULL ||
		    json_object_get(obj, "value") != NULL) {
			snprintf(err, errlen,
			    "op, key, value: only config takes them");
			return -1;
		}
		return 0;
	}
	for (i = 0; op != NULL && json_is_string(op) &&
		    i < sizeof(ops) / sizeof(ops[0]);
	     i++)
		if (strcmp(json_string_value(op), ops[i]) == 0)
			break;
	if (op == NULL || !json_is_string(op) ||
	    i == sizeof(ops) / sizeof(ops[0])) {
		snprintf(err, errlen, "op: expected list, get, set or unset");
		return -1;
	}
	out->op = (enum ctl_config_op)i;
	if (parse_config_str(json_object_get(obj, "key"), "key",
		out->op != CTL_CONFIG_LIST, out->key, sizeof(out->key), err,
		errlen) == -1)
		return -1;
	return parse_config_str(json_object_get(obj, "value"), "value",
	    out->op == CTL_CONFIG_SET, out->value, sizeof(out->value), err,
	    errlen);
}

static int
check_fields(const json_t *obj, char *err, size_t errlen)
{
	char echo[CTL_ECHO_MAX + 1];
	const char *key;
	const json_t *v;

	json_object_foreach((json_t *)obj, key, v)
	{
		if (strcmp(key, "cmd") == 0 || strcmp(key, "name") == 0 ||
		    strcmp(key, "op") == 0 || strcmp(key, "key") == 0 ||
		    strcmp(key, "value") == 0 || strcmp(key, "force") == 0)
			continue;
		echo_copy(echo, sizeof(echo), key);
		snprintf(err, errlen, "unknown field \"%s\"", echo);
		return -1;
	}
	return 0;
}

int
ctl_req_parse(
    const char *line, size_t len, struct ctl_req *out, char *err, size_t errlen)
{
	json_error_t jerr;
	json_t *obj;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	/* Duplicate keys would make {"cmd":"status","cmd":"reload"} mean
	 * whichever one jansson keeps: refuse them. */
	obj = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
	if (obj == NULL) {
		/* jansson quotes the bytes near the error, newlines too. */
		echo_line(jerr.text, sizeof(jerr.text));
		snprintf(err, errlen, "not JSON: %s", jerr.text);
		return -1;
	}
	if (!json_is_object(obj)) {
		snprintf(err, errlen, "not a JSON object");
		goto out;
	}
	if (check_fields(obj, err, errlen) == -1 ||
	    parse_cmd(json_object_get(obj, "cmd"), out, err, errlen) == -1 ||
	    parse_name(json_object_get(obj, "name"), out, err, errlen) == -1 ||
	    parse_config(obj, out, err, errlen) == -1)
		goto out;
	rc = 0;
out:
	json_decref(obj);
	return rc;
}

/* ---- who may do what (pure) ---- */

/*
 * One row per command (and config op): does it change anything? A
 * command missing here needs write, so a new one is closed until it is
 * listed (kv and key commands: add their rows).
 */
static const struct {
	enum ctl_cmd cmd;
	int op; /* enum ctl_config_op for CTL_CMD_CONFIG; -1: any */
	const char *name;
	bool write;
} access_table[] = {
    {CTL_CMD_STATUS, -1, "status", false},
    {CTL_CMD_MEMBERS, -1, "members", false},
    {CTL_CMD_WATCH, -1, "watch", false},
    {CTL_CMD_HANDOVER, -1, "handover", true},
    {CTL_CMD_RELOAD, -1, "reload", true},
    {CTL_CMD_CONFIG, CTL_CONFIG_LIST, "config list", false},
    {CTL_CMD_CONFIG, CTL_CONFIG_GET, "config get", false},
    {CTL_CMD_CONFIG, CTL_CONFIG_SET, "config set", true},
    {CTL_CMD_CONFIG, CTL_CONFIG_UNSET, "config unset", true},
    {CTL_CMD_KEY, -1, "key rotate", true},
};

#define N_ACCESS (sizeof(access_table) / sizeof(access_table[0]))

static ssize_t
access_row(const struct ctl_req *req)
{
	size_t i;

	for (i = 0; i < N_ACCESS; i++)
		if (access_table[i].cmd == req->cmd &&
		    (access_table[i].op == -1 ||
			access_table[i].op == (int)req->op))
			return (ssize_t)i;
	return -1;
}

bool
ctl_req_needs_write(const struct ctl_req *req)
{
	ssize_t i = access_row(req);

	return i == -1 || access_table[i].write;
}

static bool
peer_in_group(const struct ctl_peer *peer, gid_t gid)
{
	size_t i;

	if (peer->gid == gid)
		return true;
	for (i = 0; i < peer->n_groups && i < CTL_PEER_GROUPS; i++)
		if (peer->groups[i] == gid)
			return true;
	return false;
}

bool
ctl_access_ok(const struct ctl_acl *acl, const struct ctl_peer *peer,
    const struct ctl_req *req, char *err, size_t errlen)
{
	ssize_t i = access_row(req);
	const char *name = i == -1 ? "this command" : access_table[i].name;
	bool write = ctl_req_needs_write(req);

	if (peer->uid == (uid_t)-1) {
		snprintf(err, errlen,
		    "refused: %s: the peer's credentials are unknown", name);
		return false;
	}
	if (peer->uid == 0 || peer->uid == acl->self_uid ||
	    peer_in_group(peer, acl->admin_gid))
		return true;
	if (!write && acl->has_status_gid &&
	    peer_in_group(peer, acl->status_gid))
		return true;
	if (write)
		snprintf(err, errlen,
		    "refused: %s changes the cluster: only root, qured's user "
		    "(uid %u) or the group %s may (uid %u is none of them)",
		    name, (unsigned)acl->self_uid, acl->admin_group,
		    (unsigned)peer->uid);
	else
		snprintf(err, errlen,
		    "refused: %s: only root, qured's user (uid %u), the group "
		    "%s%s%s may read (uid %u is none of them)",
		    name, (unsigned)acl->self_uid, acl->admin_group,
		    acl->has_status_gid ? " or the status group " : "",
		    acl->has_status_gid ? acl->status_group : "",
		    (unsigned)peer->uid);
	return false;
}

/* ---- replies ---- */

static void
client_send(struct ctl_client *cl, json_t *obj)
{
	struct evbuffer *out = bufferevent_get_output(cl->bev);
	char *s = json_dumps(obj, JSON_COMPACT);

	if (s == NULL)
		abort();
	if (evbuffer_add(out, s, strlen(s)) == -1 ||
	    evbuffer_add(out, "\n", 1) == -1)
		abort();
	free(s);
	json_decref(obj);
}

/*
 * {"error": msg}. Reasons may quote bytes a client sent or that jansson
 * echoed from them; only printable ASCII goes out, so the reply is always
 * valid JSON in one line.
 */
static void
client_send_error(struct ctl_client *cl, const char *msg)
{
	char clean[CTL_ERR_LEN];
	json_t *o = json_object();
	size_t i;

	for (i = 0; i + 1 < sizeof(clean) && msg[i] != '\0'; i++)
		clean[i] = (msg[i] >= 0x20 && msg[i] < 0x7f) ? msg[i] : '?';
	clean[i] = '\0';
	if (o == NULL || json_object_set_new(o, "error", json_string(clean)))
		abort();
	client_send(cl, o);
}

static void
client_send_ok(struct ctl_client *cl)
{
	json_t *o = json_object();

	if (o == NULL || json_object_set_new(o, "ok", json_true()) == -1)
		abort();
	client_send(cl, o);
}

/* ---- dispatch ---- */

/* After an ops callback: returns -1 if ctl_free() ran in it. */
static int ctl_leave(struct ctl *ctl);
static void watcher_drop(
    struct ctl *ctl, struct ctl_client *cl, size_t pending);

/*
 * After an ops callback that changes something (ctl->busy raised before
 * it): -1 if ctl_free() ran in it; else ok, or its error (rc -1), sent.
 */
static int
reply_after(struct ctl_client *cl, int rc, const char *err)
{
	if (ctl_leave(cl->ctl) == -1)
		return -1;
	if (rc == 0)
		client_send_ok(cl);
	else
		client_send_error(cl, err[0] != '\0' ? err : "failed");
	return 0;
}

static int
do_status(struct ctl_client *cl, enum ctl_cmd cmd)
{
	struct ctl *ctl = cl->ctl;
	struct status *st = xcalloc(1, sizeof(*st));

	if (ctl->ops.status != NULL) {
		ctl->busy++;
		ctl->ops.status(ctl->arg, st);
		if (ctl_leave(ctl) == -1) {
			free(st);
			return -1;
		}
	}
	if (cmd == CTL_CMD_STATUS)
		client_send(cl, status_to_json(st));
	else
		client_send(cl, status_members_to_json(st));
	free(st);
	return 0;
}

static int
do_action(struct ctl_client *cl, const struct ctl_req *req)
{
	struct ctl *ctl = cl->ctl;
	char err[CTL_ERR_LEN] = "";
	const char *what = req->cmd == CTL_CMD_HANDOVER ? "handover" : "reload";
	int rc;

	if ((req->cmd == CTL_CMD_HANDOVER && ctl->ops.handover == NULL) ||
	    (req->cmd == CTL_CMD_RELOAD && ctl->ops.reload == NULL)) {
		snprintf(err, sizeof(err), "%s: not supported", what);
		client_send_error(cl, err);
		return 0;
	}
	log_info("ctl: %s requested%s%s", what, req->has_name ? " to " : "",
	    req->has_name ? req->name : "");
	ctl->busy++;
	if (req->cmd == CTL_CMD_HANDOVER)
		rc = ctl->ops.handover(ctl->arg,
		    req->has_name ? req->name : NULL, err, sizeof(err));
	else
		rc = ctl->ops.reload(ctl->arg, err, sizeof(err));
	return reply_after(cl, rc, err);
}

/* key rotate: the one-line refusal names the members lacking the key. */
static int
do_key(struct ctl_client *cl, const struct ctl_req *req)
{
	struct ctl *ctl = cl->ctl;
	char err[CTL_ERR_LEN] = "";
	int rc;

	if (ctl->ops.key_rotate == NULL) {
		client_send_error(cl, "key: not supported");
		return 0;
	}
	log_info("ctl: key rotate requested%s", req->force ? " (force)" : "");
	ctl->busy++;
	rc = ctl->ops.key_rotate(ctl->arg, req->force, err, sizeof(err));
	return reply_after(cl, rc, err);
}

/* One entry as JSON: key, value (null: unset), its version, and where
 * this host's value comes from. */
static json_t *
entry_to_json(const struct settings_entry *e, const char *source)
{
	json_t *o =
	    json_pack("{s:s, s:o, s:I, s:I, s:s}", "key", e->key, "value",
		e->value != NULL ? json_stringn(e->value, e->value_len)
				 : json_null(),
		"epoch", (json_int_t)e->ver.epoch, "counter",
		(json_int_t)e->ver.counter, "source", source);

	if (o == NULL)
		abort();
	return o;
}

static const char *
source_of(struct ctl *ctl, const char *key)
{
	return ctl->ops.config_source != NULL
		   ? ctl->ops.config_source(ctl->arg, key)
		   : "site";
}

static int
do_config(struct ctl_client *cl, const struct ctl_req *req)
{
	struct ctl *ctl = cl->ctl;
	const struct settings_entry *e;
	const struct settings *set;
	char err[CTL_ERR_LEN] = "";
	json_t *o, *list;
	size_t i;
	int rc;

	if (ctl->ops.config_set == NULL || ctl->ops.config_settings == NULL) {
		client_send_error(cl, "config: not supported");
		return 0;
	}
	if (req->op == CTL_CONFIG_SET || req->op == CTL_CONFIG_UNSET) {
		log_info("ctl: config %s %s",
		    req->op == CTL_CONFIG_SET ? "set" : "unset", req->key);
		ctl->busy++;
		rc = ctl->ops.config_set(ctl->arg, req->key,
		    req->op == CTL_CONFIG_SET ? req->value : NULL, err,
		    sizeof(err));
		return reply_after(cl, rc, err);
	}
	set = ctl->ops.config_settings(ctl->arg);
	if (req->op == CTL_CONFIG_GET) {
		e = set != NULL ? settings_find(set, req->key) : NULL;
		if (e == NULL || e->value == NULL) {
			snprintf(err, sizeof(err), "%s: no such key", req->key);
			client_send_error(cl, err);
			return 0;
		}
		client_send(cl, entry_to_json(e, source_of(ctl, e->key)));
		return 0;
	}
	if ((list = json_array()) == NULL)
		abort();
	for (i = 0; set != NULL && i < settings_count(set); i++)
		if (settings_at(set, i)->value != NULL &&
		    json_array_append_new(list,
			entry_to_json(settings_at(set, i),
			    source_of(ctl, settings_at(set, i)->key))) == -1)
			abort();
	if ((o = json_pack("{s:o}", "settings", list)) == NULL)
		abort();
	client_send(cl, o);
	return 0;
}

/*
 * The connection becomes a stream of events (ctl_event()): {"ok":true},
 * then one line per event. A watcher only reads: what it sends later is
 * discarded, and it has no idle timeout; the write timeout stays (a
 * watcher whose output does not move for CTL_WRITE_S is dropped).
 */
static void
do_watch(struct ctl_client *cl)
{
	struct timeval wtv = {CTL_WRITE_S, 0};

	client_send_ok(cl);
	cl->watching = true;
	bufferevent_set_timeouts(cl->bev, NULL, &wtv);
	bufferevent_setwatermark(cl->bev, EV_READ, 0, 0);
	log_debug("ctl: a client watches events");
}

/* One request line. Returns -1 if the ctl is gone (freed by an op). */
static int
client_request(struct ctl_client *cl, const char *line, size_t len)
{
	char err[CTL_ERR_LEN];
	struct ctl_req req;

	if (ctl_req_parse(line, len, &req, err, sizeof(err)) == -1) {
		log_debug("ctl: bad request: %s", err);
		client_send_error(cl, err);
		return 0;
	}
	if (!ctl_access_ok(&cl->ctl->acl, &cl->peer, &req, err, sizeof(err))) {
		log_warnx("ctl: %s", err);
		client_send_error(cl, err);
		return 0;
	}
	switch (req.cmd) {
	case CTL_CMD_STATUS:
	case CTL_CMD_MEMBERS:
		return do_status(cl, req.cmd);
	case CTL_CMD_HANDOVER:
	case CTL_CMD_RELOAD:
		return do_action(cl, &req);
	case CTL_CMD_CONFIG:
		return do_config(cl, &req);
	case CTL_CMD_WATCH:
		do_watch(cl);
		return 0;
	case CTL_CMD_KEY:
		return do_key(cl, &req);
	}
	return 0;
}

/* ---- clients ---- */

static void
client_free(struct ctl_client *cl)
{
	struct ctl *ctl = cl->ctl;
	size_t i;

	for (i = 0; i < ctl->n_clients; i++) {
		if (ctl->client[i] == cl) {
			ctl->client[i] = ctl->client[--ctl->n_clients];
			ctl->warned_full = false;
			break;
		}
	}
	bufferevent_free(cl->bev);
	free(cl);
}

/* Stops reading; the client is freed once its output is written. */
static void
client_close_after_flush(struct ctl_client *cl)
{
	cl->closing = true;
	bufferevent_disable(cl->bev, EV_READ);
	if (evbuffer_get_length(bufferevent_get_output(cl->bev)) == 0)
		client_free(cl);
}

static void
client_too_long(struct ctl_client *cl)
{
	client_send_error(cl, "request too long (over 4096 bytes)");
	client_close_after_flush(cl);
}

/*
 * Handles every complete line in the input. Returns -1 if cl (or the whole
 * ctl) is gone.
 */
static int
client_drain(struct ctl_client *cl)
{
	struct evbuffer *in = bufferevent_get_input(cl->bev);
	struct evbuffer *out = bufferevent_get_output(cl->bev);
	struct evbuffer_ptr eol;
	size_t eol_len, len;
	char *line;

	while (!cl->closing) {
		if (cl->watching) {
			evbuffer_drain(in, evbuffer_get_length(in));
			return 0;
		}
		if (evbuffer_get_length(out) > CTL_OUT_MAX) {
			cl->stalled = true;
			bufferevent_disable(cl->bev, EV_READ);
			return 0;
		}
		eol = evbuffer_search_eol(in, NULL, &eol_len, EVBUFFER_EOL_LF);
		if (eol.pos < 0) {
			if (evbuffer_get_length(in) <= CTL_LINE_MAX)
				return 0;
			client_too_long(cl);
			return -1;
		}
		len = (size_t)eol.pos;
		if (len > CTL_LINE_MAX) {
			client_too_long(cl);
			return -1;
		}
		line = (char *)evbuffer_pullup(in, (ev_ssize_t)(len + eol_len));
		if (client_request(cl, line, len) == -1)
			return -1;
		evbuffer_drain(in, len + eol_len);
	}
	return 0;
}

static void
client_read_cb(struct bufferevent *bev, void *arg)
{
	(void)bev;
	client_drain(arg);
}

static void
client_write_cb(struct bufferevent *bev, void *arg)
{
	struct ctl_client *cl = arg;

	if (cl->closing) {
		client_free(cl);
		return;
	}
	if (cl->stalled) {
		cl->stalled = false;
		if (client_drain(cl) == -1 || cl->stalled)
			return;
		bufferevent_enable(bev, EV_READ);
	}
}

/*
 * End of input: a last request without its newline (a client that wrote
 * it and shut down its side) is still answered; then the replies are
 * flushed and the client freed. Errors and timeouts free it at once.
 */
static void
client_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct ctl_client *cl = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	size_t len = evbuffer_get_length(in);

	if (!(what & BEV_EVENT_EOF) || cl->closing) {
		if (cl->watching && (what & BEV_EVENT_TIMEOUT))
			watcher_drop(cl->ctl, cl,
			    evbuffer_get_length(bufferevent_get_output(bev)));
		else
			client_free(cl);
		return;
	}
	if (len > CTL_LINE_MAX) {
		client_too_long(cl);
		return;
	}
	if (len > 0 && !cl->stalled &&
	    client_request(cl, (char *)evbuffer_pullup(in, -1), len) == -1)
		return;
	client_close_after_flush(cl);
}

static void
client_refuse(int fd)
{
	static const char msg[] = "{\"error\":\"too many clients\"}\n";

	/* Best effort: the new socket's buffer is empty, so this fits. */
	if (send(fd, msg, sizeof(msg) - 1, MSG_DONTWAIT | MSG_NOSIGNAL) == -1)
		log_debug("ctl: refusing a client: %s", strerror(errno));
	close(fd);
}

/* SO_PEERCRED (uid, gid) and SO_PEERGROUPS (Linux 4.13: the
 * supplementary groups); unknown: uid (uid_t)-1, refused everything. */
static void
peer_get(int fd, struct ctl_peer *peer)
{
	struct ucred uc;
	socklen_t len = sizeof(uc);

	memset(peer, 0, sizeof(*peer));
	peer->uid = (uid_t)-1;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &uc, &len) == -1) {
		log_warn("ctl: SO_PEERCRED");
		return;
	}
	peer->uid = uc.uid;
	peer->gid = uc.gid;
	len = sizeof(peer->groups);
	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, peer->groups, &len) == 0)
		peer->n_groups = len / sizeof(peer->groups[0]);
	/* More groups than we look at (ERANGE): the first ones only. */
}

static void
client_new(struct ctl *ctl, int fd)
{
	struct timeval rtv = {CTL_IDLE_S, 0}, wtv = {CTL_WRITE_S, 0};
	struct ctl_client *cl;

	if (ctl->n_clients == CTL_MAX_CLIENTS) {
		/* Once per episode: a flood of connections is not a flood of
		 * log lines. */
		if (!ctl->warned_full)
			log_warnx("ctl: too many clients on %s (max %d)",
			    ctl->path, CTL_MAX_CLIENTS);
		ctl->warned_full = true;
		client_refuse(fd);
		return;
	}
	cl = xcalloc(1, sizeof(*cl));
	cl->ctl = ctl;
	peer_get(fd, &cl->peer);
	cl->bev = bufferevent_socket_new(ctl->base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (cl->bev == NULL) {
		log_warnx("ctl: cannot set up a client");
		close(fd);
		free(cl);
		return;
	}
	/* The input never holds more than one line and its newline. */
	bufferevent_setwatermark(cl->bev, EV_READ, 0, CTL_LINE_MAX + 1);
	bufferevent_set_timeouts(cl->bev, &rtv, &wtv);
	bufferevent_setcb(
	    cl->bev, client_read_cb, client_write_cb, client_event_cb, cl);
	bufferevent_enable(cl->bev, EV_READ | EV_WRITE);
	ctl->client[ctl->n_clients++] = cl;
}

static void
ctl_resume_cb(evutil_socket_t fd, short what, void *arg)
{
	struct ctl *ctl = arg;

	(void)fd;
	(void)what;
	event_add(ctl->ev_accept, NULL);
}

static void
ctl_accept_cb(evutil_socket_t lfd, short what, void *arg)
{
	struct timeval one_s = {1, 0};
	struct ctl *ctl = arg;
	int fd;

	(void)what;
	fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd != -1) {
		client_new(ctl, fd);
		return;
	}
	if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ||
	    errno == ECONNABORTED)
		return;
	/* Out of descriptors: the pending connection keeps the socket
	 * readable, so pause instead of spinning. */
	log_warn("ctl: accept on %s", ctl->path);
	event_del(ctl->ev_accept);
	evtimer_add(ctl->ev_resume, &one_s);
}

/* ---- the listening socket ---- */

static int
mkdir_parents(const char *path, char *err, size_t errlen)
{
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char *p, c;

	snprintf(dir, sizeof(dir), "%s", path);
	if ((p = strrchr(dir, '/')) == NULL || p == dir)
		return 0;
	*p = '\0';
	/* mkdir -p: each prefix ending before a '/', then the whole dir. */
	for (p = dir + 1;; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		c = *p;
		*p = '\0';
		if (mkdir(dir, 0755) == -1 && errno != EEXIST) {
			snprintf(err, errlen, "control socket %s: mkdir %s: %s",
			    path, dir, strerror(errno));
			return -1;
		}
		*p = c;
		if (c == '\0')
			return 0;
	}
}

/* 1: a live process answers on path; 0: nobody does; -1: cannot tell. */
static int
someone_listens(const struct sockaddr_un *sun)
{
	int fd, rc;

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return -1;
	if (connect(fd, (const struct sockaddr *)sun, sizeof(*sun)) == 0)
		rc = 1;
	else if (errno == EAGAIN || errno == EINPROGRESS)
		rc = 1; /* listening, with a full backlog */
	else if (errno == ECONNREFUSED)
		rc = 0;
	else
		rc = -1;
	close(fd);
	return rc;
}

static int
bind_0660(int fd, const struct sockaddr_un *sun)
{
	mode_t old = umask(0117);
	int rc, saved;

	rc = bind(fd, (const struct sockaddr *)sun, sizeof(*sun));
	saved = errno;
	umask(old);
	errno = saved;
	return rc;
}

/* Binds fd to sun, replacing a stale socket file (nobody answers on it). */
static int
bind_or_replace(int fd, const struct sockaddr_un *sun, char *err, size_t errlen)
{
	const char *path = sun->sun_path;
	struct stat sb;

	if (bind_0660(fd, sun) == 0)
		return 0;
	if (errno != EADDRINUSE)
		goto fail;
	if (lstat(path, &sb) == -1)
		goto fail;
	if (!S_ISSOCK(sb.st_mode)) {
		snprintf(err, errlen,
		    "control socket %s: exists and is not a socket", path);
		return -1;
	}
	switch (someone_listens(sun)) {
	case 1:
		snprintf(err, errlen,
		    "control socket %s is in use (is another qured running?)",
		    path);
		return -1;
	case 0:
		break;
	default:
		goto fail;
	}
	if (unlink(path) == -1 && errno != ENOENT)
		goto fail;
	if (bind_0660(fd, sun) == 0)
		return 0;
fail:
	snprintf(
	    err, errlen, "control socket %s: bind: %s", path, strerror(errno));
	return -1;
}

static int
ctl_listen(struct ctl *ctl, char *err, size_t errlen)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	struct stat sb;

	memcpy(sun.sun_path, ctl->path, sizeof(sun.sun_path));
	if (mkdir_parents(ctl->path, err, errlen) == -1)
		return -1;
	ctl->fd =
	    socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (ctl->fd == -1) {
		snprintf(err, errlen, "control socket %s: socket: %s",
		    ctl->path, strerror(errno));
		return -1;
	}
	if (bind_or_replace(ctl->fd, &sun, err, errlen) == -1)
		return -1;
	if (chmod(ctl->path, 0660) == -1 || listen(ctl->fd, 16) == -1 ||
	    stat(ctl->path, &sb) == -1) {
		snprintf(err, errlen, "control socket %s: %s", ctl->path,
		    strerror(errno));
		unlink(ctl->path);
		return -1;
	}
	ctl->dev = sb.st_dev;
	ctl->ino = sb.st_ino;
	return 0;
}

/*
 * A client that disconnects before its reply would raise SIGPIPE in the
 * write; a daemon never wants that signal's default action.
 */
static void
ignore_sigpipe(void)
{
	struct sigaction sa;

	if (sigaction(SIGPIPE, NULL, &sa) == 0 && sa.sa_handler == SIG_DFL) {
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = SIG_IGN;
		sigemptyset(&sa.sa_mask);
		sigaction(SIGPIPE, &sa, NULL);
	}
}

static void
ctl_destroy(struct ctl *ctl)
{
	struct stat sb;

	while (ctl->n_clients > 0)
		client_free(ctl->client[0]);
	if (ctl->ev_accept != NULL)
		event_free(ctl->ev_accept);
	if (ctl->ev_resume != NULL)
		event_free(ctl->ev_resume);
	if (ctl->fd != -1) {
		close(ctl->fd);
		/* Another qured may have replaced the file since. */
		if (stat(ctl->path, &sb) == 0 && sb.st_dev == ctl->dev &&
		    sb.st_ino == ctl->ino)
			unlink(ctl->path);
	}
	free(ctl);
}

static int
ctl_leave(struct ctl *ctl)
{
	ctl->busy--;
	if (ctl->dying && ctl->busy == 0) {
		ctl_destroy(ctl);
		return -1;
	}
	return ctl->dying ? -1 : 0;
}

static void
group_name(gid_t gid, char name[CTL_GROUP_NAME])
{
	struct group *gr = getgrgid(gid);

	if (gr != NULL && strlen(gr->gr_name) < CTL_GROUP_NAME)
		snprintf(name, CTL_GROUP_NAME, "%s", gr->gr_name);
	else
		snprintf(name, CTL_GROUP_NAME, "gid %u", (unsigned)gid);
}

int
ctl_set_acl(
    struct ctl *ctl, const struct ctl_acl *acl, char *err, size_t errlen)
{
	ctl->acl = *acl;
	if (chmod(ctl->path, acl->has_status_gid ? 0666 : 0660) == -1) {
		snprintf(err, errlen, "control socket %s: chmod: %s", ctl->path,
		    strerror(errno));
		return -1;
	}
	return 0;
}

struct ctl *
ctl_new(struct event_base *base, const char *path, const struct ctl_ops *ops,
    void *arg, char *err, size_t errlen)
{
	struct ctl *ctl;
	size_t len = strlen(path);

	if (len == 0 || len >= sizeof(ctl->path)) {
		snprintf(err, errlen, "control socket %s: path %s", path,
		    len == 0 ? "empty" : "too long");
		return NULL;
	}
	ctl = xcalloc(1, sizeof(*ctl));
	ctl->base = base;
	ctl->ops = *ops;
	ctl->arg = arg;
	ctl->fd = -1;
	ctl->acl.self_uid = geteuid();
	ctl->acl.admin_gid = getegid();
	group_name(ctl->acl.admin_gid, ctl->acl.admin_group);
	memcpy(ctl->path, path, len + 1);
	if (ctl_listen(ctl, err, errlen) == -1)
		goto fail;
	ctl->ev_accept =
	    event_new(base, ctl->fd, EV_READ | EV_PERSIST, ctl_accept_cb, ctl);
	ctl->ev_resume = evtimer_new(base, ctl_resume_cb, ctl);
	if (ctl->ev_accept == NULL || ctl->ev_resume == NULL ||
	    event_add(ctl->ev_accept, NULL) == -1) {
		snprintf(
		    err, errlen, "control socket %s: cannot add events", path);
		goto fail;
	}
	ignore_sigpipe();
	return ctl;
fail:
	ctl_destroy(ctl);
	return NULL;
}

/* Drops a watcher whose queue is full: logged and counted. */
static void
watcher_drop(struct ctl *ctl, struct ctl_client *cl, size_t pending)
{
	ctl->watchers_dropped++;
	log_warnx("ctl: dropped a watcher on %s: %zu bytes of events "
		  "unread (it does not read; %llu dropped so far)",
	    ctl->path, pending, (unsigned long long)ctl->watchers_dropped);
	client_free(cl);
}

void
ctl_event(struct ctl *ctl, const char *line)
{
	size_t i = 0, len = strlen(line), pending;
	struct ctl_client *cl;
	struct evbuffer *out;

	if (ctl == NULL || ctl->dying)
		return;
	while (i < ctl->n_clients) {
		cl = ctl->client[i];
		if (!cl->watching || cl->closing) {
			i++;
			continue;
		}
		out = bufferevent_get_output(cl->bev);
		pending = evbuffer_get_length(out);
		if (pending + len + 1 > CTL_WATCH_MAX) {
			watcher_drop(
			    ctl, cl, pending); /* moves the last here */
			continue;
		}
		if (evbuffer_add(out, line, len) == -1 ||
		    evbuffer_add(out, "\n", 1) == -1)
			abort();
		i++;
	}
}

uint64_t
ctl_watchers_dropped(const struct ctl *ctl)
{
	return ctl != NULL ? ctl->watchers_dropped : 0;
}

void
ctl_free(struct ctl *ctl)
{
	if (ctl == NULL)
		return;
	if (ctl->busy > 0) {
		ctl->dying = true;
		return;
	}
	ctl_destroy(ctl);
}
