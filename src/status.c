#include "config.h"

#include "src/status.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

/* jansson has no unsigned integers: clamp rather than go negative. */
static json_t *
jint(uint64_t v)
{
	return json_integer(v > INT64_MAX ? INT64_MAX : (json_int_t)v);
}

/*
 * json_object_set_new() on a fresh object only fails when out of memory;
 * doc/style.md §4 says allocation failure aborts.
 */
static void
jset(json_t *obj, const char *key, json_t *val)
{
	if (val == NULL || json_object_set_new(obj, key, val) == -1)
		abort();
}

/*
 * Member names come off the wire (authenticated, but bytes all the same)
 * and jansson refuses strings that are not UTF-8: such a string goes out
 * with every byte outside printable ASCII as '?', never as a failure.
 */
static json_t *
jstr(const char *s)
{
	char clean[STATUS_TEXT_LEN + STATUS_NAME_LEN];
	json_t *v = json_string(s);
	size_t i;

	if (v != NULL)
		return v;
	for (i = 0; i + 1 < sizeof(clean) && s[i] != '\0'; i++)
		clean[i] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
	clean[i] = '\0';
	return json_string(clean);
}

static json_t *
jobj(void)
{
	json_t *o = json_object();

	if (o == NULL)
		abort();
	return o;
}

static json_t *
jarr(void)
{
	json_t *a = json_array();

	if (a == NULL)
		abort();
	return a;
}

static void
jappend(json_t *arr, json_t *val)
{
	if (val == NULL || json_array_append_new(arr, val) == -1)
		abort();
}

static json_t *
node_to_json(const struct status *st)
{
	json_t *o = jobj();

	jset(o, "id", jstr(st->node.id));
	jset(o, "name", jstr(st->node.name));
	jset(o, "priority", jint(st->node.priority));
	jset(o, "state", jstr(st->node.state));
	return o;
}

static json_t *
holder_to_json(const struct status *st)
{
	json_t *o;

	if (!st->holder.present)
		return json_null();
	o = jobj();
	jset(o, "id", jstr(st->holder.id));
	jset(o, "name", jstr(st->holder.name));
	jset(o, "address", jstr(st->holder.address));
	jset(o, "since_ms",
	    st->holder.since_ms != 0 ? jint(st->holder.since_ms) : json_null());
	return o;
}

static json_t *
dmz_to_json(const struct status *st)
{
	json_t *o = jobj();

	jset(o, "address", jstr(st->dmz.address));
	jset(o, "held", json_boolean(st->dmz.held));
	jset(o, "lease_ms", jint(st->dmz.lease_ms));
	jset(o, "kernel_lifetime_s", jint(st->dmz.kernel_lifetime_s));
	jset(o, "guard_restarts", jint(st->dmz.guard_restarts));
	jset(o, "vmac",
	    st->dmz.vmac[0] != '\0' ? jstr(st->dmz.vmac) : json_null());
	/* [dmz] address6: null without one. */
	jset(o, "address6",
	    st->dmz.address6[0] != '\0' ? jstr(st->dmz.address6) : json_null());
	jset(o, "held6", json_boolean(st->dmz.held6));
	jset(o, "fence_ms", jint(st->dmz.fence_ms));
	jset(o, "fence_trusted", json_boolean(st->dmz.fence_trusted));
	jset(o, "probe_timeout_ms", jint(st->dmz.probe_timeout_ms));
	jset(o, "probe_samples", jint(st->dmz.probe_samples));
	/* config, or with [dmz] address = auto router or chosen */
	jset(o, "source",
	    jstr(st->dmz.source[0] != '\0' ? st->dmz.source : "config"));
	return o;
}

static json_t *
member_to_json(const struct status_member *m)
{
	json_t *o = jobj(), *addrs = jarr();
	size_t i, n = m->n_addrs;

	if (n > STATUS_MAX_ADDRS)
		n = STATUS_MAX_ADDRS;
	for (i = 0; i < n; i++)
		jappend(addrs, jstr(m->addrs[i]));
	jset(o, "id", jstr(m->id));
	jset(o, "name", jstr(m->name));
	jset(o, "addresses", addrs);
	jset(o, "address",
	    m->address[0] != '\0' ? jstr(m->address) : json_null());
	jset(o, "priority", jint(m->priority));
	jset(o, "state", jstr(m->state));
	jset(o, "last_seen_ms", jint(m->last_seen_ms));
	jset(o, "cpus", jint(m->cpus));
	jset(o, "memory_mib", jint(m->memory_mib));
	jset(o, "alive_interval_ms", jint(m->alive_interval_ms));
	return o;
}

static json_t *
members_to_json(const struct status *st)
{
	json_t *a = jarr();
	size_t i, n = st->n_members;

	if (n > STATUS_MAX_MEMBERS)
		n = STATUS_MAX_MEMBERS;
	for (i = 0; i < n; i++)
		jappend(a, member_to_json(&st->members[i]));
	return a;
}

static json_t *
counters_to_json(const struct status_counters *c)
{
	json_t *o = jobj();

	jset(o, "rx", jint(c->rx));
	jset(o, "tx", jint(c->tx));
	jset(o, "rx_dropped_auth", jint(c->rx_dropped_auth));
	jset(o, "rx_dropped_malformed", jint(c->rx_dropped_malformed));
	jset(o, "rx_dropped_replay", jint(c->rx_dropped_replay));
	jset(o, "rx_dropped_version", jint(c->rx_dropped_version));
	jset(o, "rx_unverified", jint(c->rx_unverified));
	jset(o, "challenges", jint(c->challenges));
	jset(o, "rx_dropped_ttl", jint(c->rx_dropped_ttl));
	jset(o, "failovers", jint(c->failovers));
	jset(o, "probes", jint(c->probes));
	jset(o, "probes_lost", jint(c->probes_lost));
	jset(o, "acks_lost", jint(c->acks_lost));
	jset(o, "loss_handovers", jint(c->loss_handovers));
	jset(o, "fence_claims", jint(c->fence_claims));
	jset(o, "fence_lapses", jint(c->fence_lapses));
	jset(o, "watchers_dropped", jint(c->watchers_dropped));
	return o;
}

static json_t *
cloud_to_json(const struct status *st)
{
	json_t *o;

	if (!st->cloud.present)
		return json_null();
	o = jobj();
	jset(o, "public_address", jstr(st->cloud.public_address));
	jset(o, "last_update", jstr(st->cloud.last_update));
	jset(o, "status", jstr(st->cloud.status));
	jset(o, "source",
	    st->cloud.source[0] != '\0' ? jstr(st->cloud.source) : json_null());
	jset(o, "last_error",
	    st->cloud.last_error[0] != '\0' ? jstr(st->cloud.last_error)
					    : json_null());
	jset(o, "reachable",
	    st->cloud.reachable_known ? json_boolean(st->cloud.reachable)
				      : json_null());
	jset(o, "reason",
	    st->cloud.reason[0] != '\0' ? jstr(st->cloud.reason) : json_null());
	jset(o, "updates", jint(st->cloud.updates));
	jset(o, "errors", jint(st->cloud.errors));
	return o;
}

/* {"igd": "upnp", "external_address": "100.64.0.2", "reachable": false,
 *  "reason": "...", "mapped": 0, "refused": 2, "last_error": "..."} */
static json_t *
router_to_json(const struct status *st)
{
	json_t *o;

	if (!st->router.present)
		return json_null();
	o = jobj();
	jset(o, "igd", jstr(st->router.igd));
	jset(o, "external_address",
	    st->router.external_address[0] ? jstr(st->router.external_address)
					   : json_null());
	jset(o, "reachable",
	    st->router.external_address[0] == '\0' && !st->router.reason[0]
		? json_null()
	    : st->router.reachable ? json_true()
				   : json_false());
	jset(o, "reason",
	    st->router.reason[0] ? jstr(st->router.reason) : json_null());
	jset(o, "mapped", jint(st->router.mapped));
	jset(o, "refused", jint(st->router.refused));
	jset(o, "last_error",
	    st->router.last_error[0] ? jstr(st->router.last_error)
				     : json_null());
	return o;
}

/* {"ok": true, "error": null}, or ok false and why the write failed. */
static json_t *
persist_to_json(const struct status *st)
{
	json_t *o = jobj();

	jset(o, "ok", st->persist.ok ? json_true() : json_false());
	jset(
	    o, "error", st->persist.ok ? json_null() : jstr(st->persist.error));
	return o;
}

/* {"avahi": "running", "peers_browsed": 2, "txt_rejected": 0, ...} */
static json_t *
discovery_to_json(const struct status *st)
{
	json_t *o = jobj();

	jset(o, "avahi",
	    jstr(st->discovery.avahi[0] != '\0' ? st->discovery.avahi
						: "disabled"));
	jset(o, "peers_browsed", jint(st->discovery.peers_browsed));
	jset(o, "txt_rejected", jint(st->discovery.txt_rejected));
	jset(o, "over_limit", jint(st->discovery.over_limit));
	jset(o, "igmp", jstr(st->discovery.igmp));
	jset(o, "igmp_reports", jint(st->discovery.igmp_reports));
	jset(o, "igmp_hints", jint(st->discovery.igmp_hints));
	jset(o, "igmp_hints_limited", jint(st->discovery.igmp_hints_limited));
	return o;
}

/* {"settings": 3, "digest": "0123456789abcdef", "rx_bad": 0, ...} */
static json_t *
site_to_json(const struct status *st)
{
	json_t *o = jobj();

	jset(o, "settings", jint(st->site.settings));
	jset(o, "digest", jstr(st->site.digest));
	jset(o, "rx_bad", jint(st->site.rx_bad));
	jset(o, "write_failed", jint(st->site.write_failed));
	return o;
}

/* {"enabled": true, "key": "addr", "installed": true,
 *  "buckets": {"h1": 85, "h2": 86, "h3": 85}} */
static json_t *
balance_to_json(const struct status *st)
{
	json_t *o = jobj(), *b = jobj();
	size_t i;

	jset(o, "enabled", json_boolean(st->balance.enabled));
	jset(o, "key", jstr(st->balance.key));
	jset(o, "installed", json_boolean(st->balance.installed));
	for (i = 0; i < st->balance.n && i < STATUS_MAX_MEMBERS + 1; i++)
		jset(b, st->balance.m[i].name, jint(st->balance.m[i].buckets));
	jset(o, "buckets", b);
	return o;
}

static json_t *
str_or_null(const char *s)
{
	return s[0] != '\0' ? jstr(s) : json_null();
}

/* The coordinator's view (src/redis_coord.h), or null. */
static json_t *
store_cluster_to_json(const struct status *st)
{
	const struct status_store_cluster *c = &st->store.cluster;
	json_t *o;

	if (!c->present)
		return json_null();
	o = jobj();
	jset(o, "coordinating", json_boolean(c->coordinating));
	jset(o, "converged", json_boolean(c->converged));
	jset(o, "unreplicated", json_boolean(c->unreplicated));
	jset(o, "members_alive", jint(c->members_alive));
	jset(o, "want_replicas", jint(c->want_replicas));
	jset(o, "slots_assigned", jint(c->slots_assigned));
	jset(o, "slots_stuck", jint(c->slots_stuck));
	jset(o, "slots_free", jint(c->slots_free));
	jset(o, "slots_off_target", jint(c->slots_off_target));
	jset(o, "masters_short", jint(c->masters_short));
	jset(o, "open_migrations", jint(c->open_migrations));
	jset(o, "steps", jint(c->steps));
	jset(o, "actions", jint(c->actions));
	jset(o, "failures", jint(c->failures));
	jset(o, "moves", jint(c->moves));
	jset(o, "takeovers", jint(c->takeovers));
	jset(o, "takeovers_declined", jint(c->takeovers_declined));
	jset(o, "introduced", jint(c->introduced));
	jset(o, "nodes_forgotten", jint(c->nodes_forgotten));
	jset(o, "forget_after_ms", jint(c->forget_after_ms));
	jset(o, "last_error", str_or_null(c->last_error));
	return o;
}

/* {"enabled": true, "address": "10.0.0.11", "instances": [{"port": 6379,
 *  "pid": 812, "up": true, "restarts": 0, "last_exit": null}], ...} */
static json_t *
store_to_json(const struct status *st)
{
	const struct status_store_inst *in;
	json_t *o = jobj(), *a = jarr(), *p;
	size_t i, n = st->store.n_instances;

	if (n > STATUS_MAX_STORE)
		n = STATUS_MAX_STORE;
	for (i = 0; i < n; i++) {
		in = &st->store.instances[i];
		p = jobj();
		jset(p, "port", jint(in->port));
		jset(p, "pid", in->pid != 0 ? jint(in->pid) : json_null());
		jset(p, "up", json_boolean(in->up));
		jset(p, "restarts", jint(in->restarts));
		jset(p, "last_exit", str_or_null(in->last_exit));
		jappend(a, p);
	}
	jset(o, "enabled", json_boolean(st->store.enabled));
	jset(o, "address", str_or_null(st->store.address));
	jset(o, "instances", a);
	jset(o, "password_file", str_or_null(st->store.password_file));
	jset(o, "error", str_or_null(st->store.error));
	jset(o, "cluster", store_cluster_to_json(st));
	return o;
}

/* {"listen": "53", "queries_udp": 10, ...}, or null ([dns] off). */
static json_t *
dns_to_json(const struct status *st)
{
	json_t *o;

	if (!st->dns.present)
		return json_null();
	o = jobj();
	jset(o, "listen", jstr(st->dns.listen));
	jset(o, "queries_udp", jint(st->dns.queries_udp));
	jset(o, "queries_tcp", jint(st->dns.queries_tcp));
	jset(o, "answers", jint(st->dns.answers));
	jset(o, "nxdomain", jint(st->dns.nxdomain));
	jset(o, "refused", jint(st->dns.refused));
	jset(o, "formerr", jint(st->dns.formerr));
	jset(o, "notimp", jint(st->dns.notimp));
	jset(o, "dropped", jint(st->dns.dropped));
	jset(o, "truncated", jint(st->dns.truncated));
	jset(o, "rrl_dropped", jint(st->dns.rrl_dropped));
	jset(o, "rrl_slipped", jint(st->dns.rrl_slipped));
	jset(o, "tcp_rejected", jint(st->dns.tcp_rejected));
	return o;
}

/* {"auto": true, "ports": [{"port": 80, "proto": "tcp", "timeout_ms": 20,
 *  "samples": 143}]} */
static json_t *
watch_to_json(const struct status *st)
{
	json_t *o = jobj(), *a = jarr(), *p;
	size_t i, n = st->watch.n_ports;

	if (n > STATUS_MAX_WATCH)
		n = STATUS_MAX_WATCH;
	for (i = 0; i < n; i++) {
		p = jobj();
		jset(p, "port", jint(st->watch.ports[i].port));
		jset(p, "proto", jstr(st->watch.ports[i].proto));
		jset(p, "timeout_ms", jint(st->watch.ports[i].timeout_ms));
		jset(p, "samples", jint(st->watch.ports[i].samples));
		jappend(a, p);
	}
	jset(o, "auto", json_boolean(st->watch.is_auto));
	jset(o, "ports", a);
	return o;
}

static json_t *
failover_to_json(const struct status_failover *f)
{
	json_t *o = jobj();

	jset(o, "at_ms", jint(f->at_ms));
	jset(o, "from", f->from[0] != '\0' ? jstr(f->from) : json_null());
	jset(o, "to", f->to[0] != '\0' ? jstr(f->to) : json_null());
	jset(o, "cause", jstr(f->cause));
	jset(o, "duration_ms", jint(f->duration_ms));
	return o;
}

static json_t *
failovers_to_json(const struct status *st)
{
	static const uint64_t bounds[] = STATUS_FAILOVER_BOUNDS_MS;
	json_t *o = jobj(), *causes = jobj(), *buckets = jarr(),
	       *recent = jarr();
	json_t *b;
	size_t i;

	for (i = 0; i < st->failovers.n_causes && i < STATUS_MAX_REASONS; i++)
		jset(causes, st->failovers.by_cause[i].reason,
		    jint(st->failovers.by_cause[i].n));
	for (i = 0; i < STATUS_FAILOVER_BUCKETS; i++) {
		b = jobj();
		jset(b, "le_ms",
		    i < STATUS_FAILOVER_BUCKETS - 1 ? jint(bounds[i])
						    : json_null());
		jset(b, "count", jint(st->failovers.buckets[i]));
		jappend(buckets, b);
	}
	for (i = 0; i < st->failovers.n_recent && i < STATUS_MAX_FAILOVERS; i++)
		jappend(recent, failover_to_json(&st->failovers.recent[i]));
	jset(o, "count", jint(st->failovers.count));
	jset(o, "sum_ms", jint(st->failovers.sum_ms));
	jset(o, "by_cause", causes);
	jset(o, "buckets", buckets);
	jset(o, "recent", recent);
	return o;
}

/* Key rotation (issue 14); null while unconfigured. */
static json_t *
key_to_json(const struct status *st)
{
	json_t *o, *without;
	size_t i;

	if (!st->key.present)
		return json_null();
	o = jobj();
	without = json_array();
	if (without == NULL)
		abort();
	jset(o, "current", jstr(st->key.current));
	jset(o, "next",
	    st->key.next[0] != '\0' ? jstr(st->key.next) : json_null());
	jset(o, "previous",
	    st->key.previous[0] != '\0' ? jstr(st->key.previous) : json_null());
	jset(o, "sending", jstr(st->key.sending_next ? "next" : "current"));
	jset(o, "forced", json_boolean(st->key.forced));
	for (i = 0; i < st->key.n_without_next && i < STATUS_MAX_MEMBERS; i++)
		jappend(without, jstr(st->key.without_next[i]));
	jset(o, "members_without_next", without);
	return o;
}

/* {"runs": 2, "failures": 0, "timeouts": 0} */
static json_t *
hooks_to_json(const struct status *st)
{
	json_t *o = jobj();

	jset(o, "runs", jint(st->hooks.runs));
	jset(o, "failures", jint(st->hooks.failures));
	jset(o, "timeouts", jint(st->hooks.timeouts));
	return o;
}

/* {"passed": 40, "failed": 1, "ok": true}, or null (no [dmz] check). */
static json_t *
check_to_json(const struct status *st)
{
	json_t *o;

	if (!st->check.present)
		return json_null();
	o = jobj();
	jset(o, "passed", jint(st->check.passed));
	jset(o, "failed", jint(st->check.failed));
	jset(o, "ok", json_boolean(st->check.ok));
	return o;
}

/* {"ok": 12, "not_found": 0, "bad_method": 0, "limited": 0}, or null. */
static json_t *
http_to_json(const struct status *st)
{
	json_t *o;

	if (!st->http.present)
		return json_null();
	o = jobj();
	jset(o, "ok", jint(st->http.ok));
	jset(o, "not_found", jint(st->http.not_found));
	jset(o, "bad_method", jint(st->http.bad_method));
	jset(o, "limited", jint(st->http.limited));
	return o;
}

json_t *
status_to_json(const struct status *st)
{
	json_t *o = jobj();

	jset(o, "node", node_to_json(st));
	jset(o, "epoch", jint(st->epoch));
	jset(o, "holder", holder_to_json(st));
	jset(o, "dmz", dmz_to_json(st));
	jset(o, "members", members_to_json(st));
	jset(o, "counters", counters_to_json(&st->counters));
	jset(o, "cloud", cloud_to_json(st));
	jset(o, "router", router_to_json(st));
	jset(o, "conflict",
	    st->conflict[0] != '\0' ? jstr(st->conflict) : json_null());
	jset(o, "persist", persist_to_json(st));
	jset(o, "unconfigured",
	    st->unconfigured[0] != '\0' ? jstr(st->unconfigured) : json_null());
	jset(o, "discovery", discovery_to_json(st));
	jset(o, "dns", dns_to_json(st));
	jset(o, "watch", watch_to_json(st));
	jset(o, "site", site_to_json(st));
	jset(o, "balance", balance_to_json(st));
	jset(o, "store", store_to_json(st));
	jset(o, "failovers", failovers_to_json(st));
	jset(o, "key", key_to_json(st));
	jset(o, "hooks", hooks_to_json(st));
	jset(o, "check", check_to_json(st));
	jset(o, "http", http_to_json(st));
	return o;
}

json_t *
status_members_to_json(const struct status *st)
{
	json_t *o = jobj();

	jset(o, "ok", json_true());
	jset(o, "node", node_to_json(st));
	jset(o, "members", members_to_json(st));
	return o;
}

/* ---- reading a status object back (qurectl) ---- */

struct rd {
	char *err;
	size_t errlen;
	int failed;
};

static void
rd_fail(struct rd *rd, const char *key, const char *what)
{
	if (!rd->failed)
		snprintf(
		    rd->err, rd->errlen, "status: \"%s\" is not %s", key, what);
	rd->failed = 1;
}

/* A missing or null field keeps its zero value. */
static void
rd_str(struct rd *rd, const json_t *o, const char *key, char *buf, size_t len)
{
	const json_t *v = json_object_get(o, key);

	if (v == NULL || json_is_null(v))
		return;
	if (!json_is_string(v)) {
		rd_fail(rd, key, "a string");
		return;
	}
	/* Truncation is accepted: the arrays are sized for what qured sends. */
	snprintf(buf, len, "%s", json_string_value(v));
}

static void
rd_u64(struct rd *rd, const json_t *o, const char *key, uint64_t *out)
{
	const json_t *v = json_object_get(o, key);

	if (v == NULL || json_is_null(v))
		return;
	if (!json_is_integer(v) || json_integer_value(v) < 0) {
		rd_fail(rd, key, "a non-negative integer");
		return;
	}
	*out = (uint64_t)json_integer_value(v);
}

static void
rd_uint(struct rd *rd, const json_t *o, const char *key, unsigned *out)
{
	uint64_t v = 0;

	rd_u64(rd, o, key, &v);
	*out = v > UINT32_MAX ? UINT32_MAX : (unsigned)v;
}

static void
rd_bool(struct rd *rd, const json_t *o, const char *key, bool *out)
{
	const json_t *v = json_object_get(o, key);

	if (v == NULL || json_is_null(v))
		return;
	if (!json_is_boolean(v)) {
		rd_fail(rd, key, "a boolean");
		return;
	}
	*out = json_is_true(v);
}

/* Returns the object at key, NULL if missing or null. */
static const json_t *
rd_obj(struct rd *rd, const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);

	if (v == NULL || json_is_null(v))
		return NULL;
	if (!json_is_object(v)) {
		rd_fail(rd, key, "an object");
		return NULL;
	}
	return v;
}

static void
rd_member(struct rd *rd, const json_t *o, struct status_member *m)
{
	const json_t *addrs, *a;
	size_t i;

	if (!json_is_object(o)) {
		rd_fail(rd, "members[]", "an object");
		return;
	}
	rd_str(rd, o, "id", m->id, sizeof(m->id));
	rd_str(rd, o, "name", m->name, sizeof(m->name));
	rd_uint(rd, o, "priority", &m->priority);
	rd_str(rd, o, "state", m->state, sizeof(m->state));
	rd_u64(rd, o, "last_seen_ms", &m->last_seen_ms);
	rd_uint(rd, o, "cpus", &m->cpus);
	rd_u64(rd, o, "memory_mib", &m->memory_mib);
	rd_u64(rd, o, "alive_interval_ms", &m->alive_interval_ms);
	rd_str(rd, o, "address", m->address, sizeof(m->address));
	addrs = json_object_get(o, "addresses");
	if (addrs == NULL || json_is_null(addrs))
		return;
	if (!json_is_array(addrs)) {
		rd_fail(rd, "addresses", "an array");
		return;
	}
	json_array_foreach(addrs, i, a)
	{
		if (!json_is_string(a)) {
			rd_fail(rd, "addresses[]", "a string");
			return;
		}
		if (m->n_addrs == STATUS_MAX_ADDRS)
			continue;
		snprintf(m->addrs[m->n_addrs++], STATUS_ADDR_LEN, "%s",
		    json_string_value(a));
	}
}

static void
rd_members(struct rd *rd, const json_t *o, struct status *st)
{
	const json_t *arr = json_object_get(o, "members"), *m;
	size_t i;

	if (arr == NULL || json_is_null(arr))
		return;
	if (!json_is_array(arr)) {
		rd_fail(rd, "members", "an array");
		return;
	}
	json_array_foreach(arr, i, m)
	{
		if (st->n_members == STATUS_MAX_MEMBERS)
			break;
		rd_member(rd, m, &st->members[st->n_members++]);
	}
}

static void
rd_counters(struct rd *rd, const json_t *o, struct status_counters *c)
{
	if (o == NULL)
		return;
	rd_u64(rd, o, "rx", &c->rx);
	rd_u64(rd, o, "tx", &c->tx);
	rd_u64(rd, o, "rx_dropped_auth", &c->rx_dropped_auth);
	rd_u64(rd, o, "rx_dropped_malformed", &c->rx_dropped_malformed);
	rd_u64(rd, o, "rx_dropped_replay", &c->rx_dropped_replay);
	rd_u64(rd, o, "rx_dropped_version", &c->rx_dropped_version);
	rd_u64(rd, o, "rx_unverified", &c->rx_unverified);
	rd_u64(rd, o, "challenges", &c->challenges);
	rd_u64(rd, o, "rx_dropped_ttl", &c->rx_dropped_ttl);
	rd_u64(rd, o, "failovers", &c->failovers);
	rd_u64(rd, o, "probes", &c->probes);
	rd_u64(rd, o, "probes_lost", &c->probes_lost);
	rd_u64(rd, o, "acks_lost", &c->acks_lost);
	rd_u64(rd, o, "loss_handovers", &c->loss_handovers);
	rd_u64(rd, o, "fence_claims", &c->fence_claims);
	rd_u64(rd, o, "fence_lapses", &c->fence_lapses);
	rd_u64(rd, o, "watchers_dropped", &c->watchers_dropped);
}

static void
rd_watch(struct rd *rd, const json_t *o, struct status *st)
{
	const json_t *arr, *p;
	struct status_watch_port *w;
	size_t i;

	if (o == NULL)
		return;
	rd_bool(rd, o, "auto", &st->watch.is_auto);
	arr = json_object_get(o, "ports");
	if (arr == NULL || json_is_null(arr))
		return;
	if (!json_is_array(arr)) {
		rd_fail(rd, "ports", "an array");
		return;
	}
	json_array_foreach(arr, i, p)
	{
		if (!json_is_object(p)) {
			rd_fail(rd, "ports[]", "an object");
			return;
		}
		if (st->watch.n_ports == STATUS_MAX_WATCH)
			break;
		w = &st->watch.ports[st->watch.n_ports++];
		rd_uint(rd, p, "port", &w->port);
		rd_str(rd, p, "proto", w->proto, sizeof(w->proto));
		rd_u64(rd, p, "timeout_ms", &w->timeout_ms);
		rd_u64(rd, p, "samples", &w->samples);
	}
}

static void
rd_balance(struct rd *rd, const json_t *o, struct status *st)
{
	const json_t *b, *v;
	const char *name;
	size_t n = 0;

	rd_bool(rd, o, "enabled", &st->balance.enabled);
	rd_str(rd, o, "key", st->balance.key, sizeof(st->balance.key));
	rd_bool(rd, o, "installed", &st->balance.installed);
	if ((b = rd_obj(rd, o, "buckets")) == NULL)
		return;
	json_object_foreach((json_t *)b, name, v)
	{
		struct status_bucket_count *m = &st->balance.m[n];

		if (n == STATUS_MAX_MEMBERS + 1)
			break;
		if (!json_is_integer(v) || json_integer_value(v) < 0) {
			rd_fail(rd, "balance.buckets", "non-negative integers");
			return;
		}
		snprintf(m->name, sizeof(m->name), "%s", name);
		m->buckets = (uint64_t)json_integer_value(v);
		n++;
	}
	st->balance.n = n;
}

/* An array field: NULL if missing or null, and a failure if no array. */
static const json_t *
rd_arr(struct rd *rd, const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);

	if (v == NULL || json_is_null(v))
		return NULL;
	if (!json_is_array(v)) {
		rd_fail(rd, key, "an array");
		return NULL;
	}
	return v;
}

static void
rd_failover_causes(struct rd *rd, const json_t *o, struct status *st)
{
	const char *k;
	const json_t *v;
	struct status_reason_count *c;

	json_object_foreach((json_t *)o, k, v)
	{
		if (st->failovers.n_causes == STATUS_MAX_REASONS)
			break;
		if (!json_is_integer(v) || json_integer_value(v) < 0) {
			rd_fail(rd, "by_cause", "an object of counts");
			return;
		}
		c = &st->failovers.by_cause[st->failovers.n_causes++];
		snprintf(c->reason, sizeof(c->reason), "%s", k);
		c->n = (uint64_t)json_integer_value(v);
	}
}

static void
rd_failovers(struct rd *rd, const json_t *o, struct status *st)
{
	const json_t *arr, *v;
	struct status_failover *f;
	size_t i;

	if (o == NULL)
		return;
	rd_u64(rd, o, "count", &st->failovers.count);
	rd_u64(rd, o, "sum_ms", &st->failovers.sum_ms);
	if ((v = rd_obj(rd, o, "by_cause")) != NULL)
		rd_failover_causes(rd, v, st);
	if ((arr = rd_arr(rd, o, "buckets")) != NULL)
		json_array_foreach(arr, i, v)
		{
			if (i == STATUS_FAILOVER_BUCKETS || !json_is_object(v))
				break;
			rd_u64(rd, v, "count", &st->failovers.buckets[i]);
		}
	if ((arr = rd_arr(rd, o, "recent")) == NULL)
		return;
	json_array_foreach(arr, i, v)
	{
		if (!json_is_object(v)) {
			rd_fail(rd, "recent[]", "an object");
			return;
		}
		if (st->failovers.n_recent == STATUS_MAX_FAILOVERS)
			break;
		f = &st->failovers.recent[st->failovers.n_recent++];
		rd_u64(rd, v, "at_ms", &f->at_ms);
		rd_str(rd, v, "from", f->from, sizeof(f->from));
		rd_str(rd, v, "to", f->to, sizeof(f->to));
		rd_str(rd, v, "cause", f->cause, sizeof(f->cause));
		rd_u64(rd, v, "duration_ms", &f->duration_ms);
	}
}

static void
rd_store_cluster(struct rd *rd, const json_t *o, struct status_store_cluster *c)
{
	if (o == NULL)
		return;
	c->present = true;
	rd_bool(rd, o, "coordinating", &c->coordinating);
	rd_bool(rd, o, "converged", &c->converged);
	rd_bool(rd, o, "unreplicated", &c->unreplicated);
	rd_u64(rd, o, "members_alive", &c->members_alive);
	rd_u64(rd, o, "want_replicas", &c->want_replicas);
	rd_u64(rd, o, "slots_assigned", &c->slots_assigned);
	rd_u64(rd, o, "slots_stuck", &c->slots_stuck);
	rd_u64(rd, o, "slots_free", &c->slots_free);
	rd_u64(rd, o, "slots_off_target", &c->slots_off_target);
	rd_u64(rd, o, "masters_short", &c->masters_short);
	rd_u64(rd, o, "open_migrations", &c->open_migrations);
	rd_u64(rd, o, "steps", &c->steps);
	rd_u64(rd, o, "actions", &c->actions);
	rd_u64(rd, o, "failures", &c->failures);
	rd_u64(rd, o, "moves", &c->moves);
	rd_u64(rd, o, "takeovers", &c->takeovers);
	rd_u64(rd, o, "takeovers_declined", &c->takeovers_declined);
	rd_u64(rd, o, "introduced", &c->introduced);
	rd_u64(rd, o, "nodes_forgotten", &c->nodes_forgotten);
	rd_u64(rd, o, "forget_after_ms", &c->forget_after_ms);
	rd_str(rd, o, "last_error", c->last_error, sizeof(c->last_error));
}

static void
rd_store(struct rd *rd, const json_t *o, struct status *st)
{
	struct status_store_inst *in;
	const json_t *arr, *p;
	size_t i;

	if (o == NULL)
		return;
	rd_bool(rd, o, "enabled", &st->store.enabled);
	rd_str(rd, o, "address", st->store.address, sizeof(st->store.address));
	rd_str(rd, o, "password_file", st->store.password_file,
	    sizeof(st->store.password_file));
	rd_str(rd, o, "error", st->store.error, sizeof(st->store.error));
	rd_store_cluster(rd, rd_obj(rd, o, "cluster"), &st->store.cluster);
	arr = json_object_get(o, "instances");
	if (arr == NULL || json_is_null(arr))
		return;
	if (!json_is_array(arr)) {
		rd_fail(rd, "instances", "an array");
		return;
	}
	json_array_foreach(arr, i, p)
	{
		if (!json_is_object(p)) {
			rd_fail(rd, "instances[]", "an object");
			return;
		}
		if (st->store.n_instances == STATUS_MAX_STORE)
			break;
		in = &st->store.instances[st->store.n_instances++];
		rd_uint(rd, p, "port", &in->port);
		rd_u64(rd, p, "pid", &in->pid);
		rd_bool(rd, p, "up", &in->up);
		rd_u64(rd, p, "restarts", &in->restarts);
		rd_str(
		    rd, p, "last_exit", in->last_exit, sizeof(in->last_exit));
	}
}

static void
rd_key(struct rd *rd, const json_t *o, struct status *st)
{
	const json_t *a, *v;
	char sending[16] = "";
	size_t i;

	if (o == NULL)
		return;
	st->key.present = true;
	rd_str(rd, o, "current", st->key.current, sizeof(st->key.current));
	rd_str(rd, o, "next", st->key.next, sizeof(st->key.next));
	rd_str(rd, o, "previous", st->key.previous, sizeof(st->key.previous));
	rd_str(rd, o, "sending", sending, sizeof(sending));
	st->key.sending_next = strcmp(sending, "next") == 0;
	rd_bool(rd, o, "forced", &st->key.forced);
	if ((a = rd_arr(rd, o, "members_without_next")) == NULL)
		return;
	json_array_foreach(a, i, v)
	{
		if (st->key.n_without_next == STATUS_MAX_MEMBERS)
			break;
		if (!json_is_string(v)) {
			rd_fail(
			    rd, "members_without_next", "an array of names");
			return;
		}
		snprintf(st->key.without_next[st->key.n_without_next++],
		    STATUS_NAME_LEN, "%s", json_string_value(v));
	}
}

static void
rd_hooks_check(struct rd *rd, const json_t *obj, struct status *st)
{
	const json_t *o;

	if ((o = rd_obj(rd, obj, "hooks")) != NULL) {
		rd_u64(rd, o, "runs", &st->hooks.runs);
		rd_u64(rd, o, "failures", &st->hooks.failures);
		rd_u64(rd, o, "timeouts", &st->hooks.timeouts);
	}
	if ((o = rd_obj(rd, obj, "check")) != NULL) {
		st->check.present = true;
		rd_u64(rd, o, "passed", &st->check.passed);
		rd_u64(rd, o, "failed", &st->check.failed);
		rd_bool(rd, o, "ok", &st->check.ok);
	}
	if ((o = rd_obj(rd, obj, "http")) != NULL) {
		st->http.present = true;
		rd_u64(rd, o, "ok", &st->http.ok);
		rd_u64(rd, o, "not_found", &st->http.not_found);
		rd_u64(rd, o, "bad_method", &st->http.bad_method);
		rd_u64(rd, o, "limited", &st->http.limited);
	}
}

static void
rd_parts(struct rd *rd, const json_t *obj, struct status *st)
{
	const json_t *o;

	if ((o = rd_obj(rd, obj, "node")) != NULL) {
		rd_str(rd, o, "id", st->node.id, sizeof(st->node.id));
		rd_str(rd, o, "name", st->node.name, sizeof(st->node.name));
		rd_uint(rd, o, "priority", &st->node.priority);
		rd_str(rd, o, "state", st->node.state, sizeof(st->node.state));
	}
	rd_u64(rd, obj, "epoch", &st->epoch);
	if ((o = rd_obj(rd, obj, "holder")) != NULL) {
		st->holder.present = true;
		rd_str(rd, o, "id", st->holder.id, sizeof(st->holder.id));
		rd_str(rd, o, "name", st->holder.name, sizeof(st->holder.name));
		rd_str(rd, o, "address", st->holder.address,
		    sizeof(st->holder.address));
		rd_u64(rd, o, "since_ms", &st->holder.since_ms);
	}
	if ((o = rd_obj(rd, obj, "dmz")) != NULL) {
		rd_str(
		    rd, o, "address", st->dmz.address, sizeof(st->dmz.address));
		rd_bool(rd, o, "held", &st->dmz.held);
		rd_str(rd, o, "address6", st->dmz.address6,
		    sizeof(st->dmz.address6));
		rd_bool(rd, o, "held6", &st->dmz.held6);
		rd_u64(rd, o, "lease_ms", &st->dmz.lease_ms);
		rd_u64(rd, o, "kernel_lifetime_s", &st->dmz.kernel_lifetime_s);
		rd_u64(rd, o, "guard_restarts", &st->dmz.guard_restarts);
		rd_u64(rd, o, "fence_ms", &st->dmz.fence_ms);
		rd_bool(rd, o, "fence_trusted", &st->dmz.fence_trusted);
		rd_u64(rd, o, "probe_timeout_ms", &st->dmz.probe_timeout_ms);
		rd_u64(rd, o, "probe_samples", &st->dmz.probe_samples);
		rd_str(rd, o, "vmac", st->dmz.vmac, sizeof(st->dmz.vmac));
		rd_str(rd, o, "source", st->dmz.source, sizeof(st->dmz.source));
	}
	rd_members(rd, obj, st);
	rd_failovers(rd, rd_obj(rd, obj, "failovers"), st);
	rd_key(rd, rd_obj(rd, obj, "key"), st);
	rd_counters(rd, rd_obj(rd, obj, "counters"), &st->counters);
	if ((o = rd_obj(rd, obj, "cloud")) != NULL) {
		st->cloud.present = true;
		rd_str(rd, o, "public_address", st->cloud.public_address,
		    sizeof(st->cloud.public_address));
		rd_str(rd, o, "last_update", st->cloud.last_update,
		    sizeof(st->cloud.last_update));
		rd_str(rd, o, "status", st->cloud.status,
		    sizeof(st->cloud.status));
		rd_str(rd, o, "source", st->cloud.source,
		    sizeof(st->cloud.source));
		rd_str(rd, o, "last_error", st->cloud.last_error,
		    sizeof(st->cloud.last_error));
		rd_str(rd, o, "reason", st->cloud.reason,
		    sizeof(st->cloud.reason));
		rd_u64(rd, o, "updates", &st->cloud.updates);
		rd_u64(rd, o, "errors", &st->cloud.errors);
		if (json_is_boolean(json_object_get(o, "reachable"))) {
			st->cloud.reachable_known = true;
			rd_bool(rd, o, "reachable", &st->cloud.reachable);
		}
	}
	if ((o = rd_obj(rd, obj, "router")) != NULL) {
		st->router.present = true;
		rd_str(rd, o, "igd", st->router.igd, sizeof(st->router.igd));
		rd_str(rd, o, "external_address", st->router.external_address,
		    sizeof(st->router.external_address));
		rd_bool(rd, o, "reachable", &st->router.reachable);
		rd_str(rd, o, "reason", st->router.reason,
		    sizeof(st->router.reason));
		rd_uint(rd, o, "mapped", &st->router.mapped);
		rd_uint(rd, o, "refused", &st->router.refused);
		rd_str(rd, o, "last_error", st->router.last_error,
		    sizeof(st->router.last_error));
	}
	rd_str(rd, obj, "conflict", st->conflict, sizeof(st->conflict));
	rd_str(rd, obj, "unconfigured", st->unconfigured,
	    sizeof(st->unconfigured));
	/* An older daemon says nothing of it: its writes were not checked. */
	st->persist.ok = true;
	if ((o = rd_obj(rd, obj, "persist")) != NULL) {
		rd_bool(rd, o, "ok", &st->persist.ok);
		rd_str(rd, o, "error", st->persist.error,
		    sizeof(st->persist.error));
	}
	if ((o = rd_obj(rd, obj, "discovery")) != NULL) {
		rd_str(rd, o, "avahi", st->discovery.avahi,
		    sizeof(st->discovery.avahi));
		rd_u64(rd, o, "peers_browsed", &st->discovery.peers_browsed);
		rd_u64(rd, o, "txt_rejected", &st->discovery.txt_rejected);
		rd_u64(rd, o, "over_limit", &st->discovery.over_limit);
		rd_str(rd, o, "igmp", st->discovery.igmp,
		    sizeof(st->discovery.igmp));
		rd_u64(rd, o, "igmp_reports", &st->discovery.igmp_reports);
		rd_u64(rd, o, "igmp_hints", &st->discovery.igmp_hints);
		rd_u64(rd, o, "igmp_hints_limited",
		    &st->discovery.igmp_hints_limited);
	}
	if ((o = rd_obj(rd, obj, "site")) != NULL) {
		rd_u64(rd, o, "settings", &st->site.settings);
		rd_str(
		    rd, o, "digest", st->site.digest, sizeof(st->site.digest));
		rd_u64(rd, o, "rx_bad", &st->site.rx_bad);
		rd_u64(rd, o, "write_failed", &st->site.write_failed);
	}
	if ((o = rd_obj(rd, obj, "balance")) != NULL)
		rd_balance(rd, o, st);
	if ((o = rd_obj(rd, obj, "dns")) != NULL) {
		st->dns.present = true;
		rd_str(rd, o, "listen", st->dns.listen, sizeof(st->dns.listen));
		rd_u64(rd, o, "queries_udp", &st->dns.queries_udp);
		rd_u64(rd, o, "queries_tcp", &st->dns.queries_tcp);
		rd_u64(rd, o, "answers", &st->dns.answers);
		rd_u64(rd, o, "nxdomain", &st->dns.nxdomain);
		rd_u64(rd, o, "refused", &st->dns.refused);
		rd_u64(rd, o, "formerr", &st->dns.formerr);
		rd_u64(rd, o, "notimp", &st->dns.notimp);
		rd_u64(rd, o, "dropped", &st->dns.dropped);
		rd_u64(rd, o, "truncated", &st->dns.truncated);
		rd_u64(rd, o, "rrl_dropped", &st->dns.rrl_dropped);
		rd_u64(rd, o, "rrl_slipped", &st->dns.rrl_slipped);
		rd_u64(rd, o, "tcp_rejected", &st->dns.tcp_rejected);
	}
	rd_watch(rd, rd_obj(rd, obj, "watch"), st);
	rd_store(rd, rd_obj(rd, obj, "store"), st);
	rd_hooks_check(rd, obj, st);
}

int
status_from_json(
    const json_t *obj, struct status *out, char *err, size_t errlen)
{
	struct rd rd = {err, errlen, 0};

	memset(out, 0, sizeof(*out));
	if (!json_is_object(obj)) {
		snprintf(err, errlen, "status: reply is not a JSON object");
		return -1;
	}
	rd_parts(&rd, obj, out);
	return rd.failed ? -1 : 0;
}

/* ---- text ---- */

/* "failovers: 2, the last h3 -> h2 (holder_dead) in 240 ms"; nothing
 * before the first (issue 14). */
static void
print_failovers(const struct status *st, FILE *fp)
{
	const struct status_failover *f;

	if (st->failovers.count == 0 || st->failovers.n_recent == 0 ||
	    st->failovers.n_recent > STATUS_MAX_FAILOVERS)
		return;
	f = &st->failovers.recent[st->failovers.n_recent - 1];
	fprintf(fp,
	    "failovers: %" PRIu64 ", the last %s -> %s (%s) in %" PRIu64
	    " ms\n",
	    st->failovers.count, f->from[0] != '\0' ? f->from : "-",
	    f->to[0] != '\0' ? f->to : "-", f->cause, f->duration_ms);
}

static const char *
or_dash(const char *s)
{
	return s[0] != '\0' ? s : "-";
}

/* "cluster:  coordinating, converged, 3 members, 16384 slots assigned,
 * replicated (1 per master); 12 moves, 1 takeover" — and with one or
 * two members, "unreplicated: a member's loss loses its data" */
static void
print_store_cluster(const struct status_store_cluster *c, FILE *fp)
{
	if (!c->present)
		return;
	fprintf(fp,
	    "cluster:  %s, %s, %" PRIu64 " members, %" PRIu64 " slots assigned",
	    c->coordinating ? "coordinating" : "not coordinating (holder does)",
	    c->converged ? "converged" : "converging", c->members_alive,
	    c->slots_assigned);
	if (c->slots_stuck != 0 || c->slots_free != 0)
		fprintf(fp, " (%" PRIu64 " on dead members, %" PRIu64 " free)",
		    c->slots_stuck, c->slots_free);
	if (c->unreplicated)
		fprintf(fp, ", unreplicated: losing a member loses its data");
	else
		fprintf(fp, ", replicated (%" PRIu64 " per master)",
		    c->want_replicas);
	if (c->masters_short != 0)
		fprintf(fp, ", %" PRIu64 " masters short of replicas",
		    c->masters_short);
	fprintf(fp, "; %" PRIu64 " moves, %" PRIu64 " takeovers\n", c->moves,
	    c->takeovers);
	if (c->takeovers_declined != 0 || c->nodes_forgotten != 0)
		fprintf(fp,
		    "          %" PRIu64 " takeovers declined (the master "
		    "answered), %" PRIu64 " nodes of no member forgotten\n",
		    c->takeovers_declined, c->nodes_forgotten);
	if (c->last_error[0] != '\0')
		fprintf(fp, "          last error: %s\n", c->last_error);
}

/* "store:    10.0.0.11, 6379 up (pid 812), 6380 down (restarts 2, last
 * killed by signal 9)" */
static void
print_store(const struct status *st, FILE *fp)
{
	const struct status_store_inst *in;
	size_t i;

	if (!st->store.enabled)
		return;
	if (st->store.error[0] != '\0') {
		fprintf(fp, "store:    off: %s\n", st->store.error);
		return;
	}
	fprintf(fp, "store:    %s", or_dash(st->store.address));
	for (i = 0; i < st->store.n_instances && i < STATUS_MAX_STORE; i++) {
		in = &st->store.instances[i];
		fprintf(fp, ", %u %s", in->port, in->up ? "up" : "down");
		if (in->pid != 0)
			fprintf(fp, " (pid %" PRIu64 ")", in->pid);
		if (in->restarts != 0)
			fprintf(fp, " (restarts %" PRIu64 ", last %s)",
			    in->restarts, or_dash(in->last_exit));
	}
	fprintf(fp, "\n");
	print_store_cluster(&st->store.cluster, fp);
}

/* key: current, next, which one is sent with, who lacks the next. */
static void
print_key(const struct status *st, FILE *fp)
{
	size_t i;

	if (!st->key.present)
		return;
	fprintf(fp, "key:      %s", or_dash(st->key.current));
	if (st->key.next[0] != '\0')
		fprintf(fp, ", next %s, sending with the %s%s", st->key.next,
		    st->key.sending_next ? "next key" : "key",
		    st->key.forced ? " (rotated)" : "");
	if (st->key.previous[0] != '\0')
		fprintf(fp, ", previous %s still accepted", st->key.previous);
	fprintf(fp, "\n");
	for (i = 0; i < st->key.n_without_next && i < STATUS_MAX_MEMBERS; i++)
		fprintf(fp, "%s%s",
		    i == 0 ? "          without the next key: " : ", ",
		    st->key.without_next[i]);
	if (st->key.n_without_next > 0)
		fprintf(fp, "\n");
}

void
status_print(const struct status *st, FILE *fp)
{
	const struct status_counters *c = &st->counters;
	size_t i;

	fprintf(fp, "node:     %s (%s), priority %u, %s\n",
	    or_dash(st->node.name), or_dash(st->node.id), st->node.priority,
	    or_dash(st->node.state));
	if (st->unconfigured[0] != '\0') {
		fprintf(fp, "unconfigured: %s\n", st->unconfigured);
		return;
	}
	fprintf(fp, "epoch:    %" PRIu64 "\n", st->epoch);
	if (st->holder.present)
		fprintf(fp, "holder:   %s (%s) at %s\n",
		    or_dash(st->holder.name), or_dash(st->holder.id),
		    or_dash(st->holder.address));
	else
		fprintf(fp, "holder:   none\n");
	fprintf(fp,
	    "dmz:      %s, %s, lease %" PRIu64 " ms (kernel %" PRIu64 " s)\n",
	    or_dash(st->dmz.address), st->dmz.held ? "held here" : "not held",
	    st->dmz.lease_ms, st->dmz.kernel_lifetime_s);
	if (st->dmz.source[0] != '\0' && strcmp(st->dmz.source, "config") != 0)
		fprintf(fp, "dmz from: %s (address = auto)\n", st->dmz.source);
	if (st->dmz.vmac[0] != '\0')
		fprintf(
		    fp, "vmac:     %s, up only on the holder\n", st->dmz.vmac);
	if (st->dmz.address6[0] != '\0' &&
	    strcmp(st->dmz.address6, st->dmz.address) != 0)
		fprintf(fp, "dmz6:     %s, %s\n", st->dmz.address6,
		    st->dmz.held6 ? "held here" : "not held");
	if (strncmp(st->conflict, "member ", 7) == 0)
		fprintf(fp, "conflict: %s: not electing it\n", st->conflict);
	else if (st->conflict[0] != '\0')
		fprintf(fp,
		    "conflict: %s answers for the DMZ address: not claiming\n",
		    st->conflict);
	if (!st->persist.ok)
		fprintf(fp,
		    "persist:  failing: %s (no claim above the epoch on "
		    "disk)\n",
		    or_dash(st->persist.error));
	fprintf(fp, "members:  %zu\n", st->n_members);
	if (st->balance.enabled) {
		fprintf(fp, "balance:  by %s, %s", or_dash(st->balance.key),
		    st->balance.installed ? "installed:" : "not installed");
		for (i = 0; i < st->balance.n && i < STATUS_MAX_MEMBERS + 1;
		     i++)
			fprintf(fp, "%s %s %" PRIu64, i ? "," : "",
			    st->balance.m[i].name, st->balance.m[i].buckets);
		fprintf(fp, "\n");
	}
	for (i = 0; i < st->watch.n_ports && i < STATUS_MAX_WATCH; i++)
		fprintf(fp,
		    "%s %s:%u request timeout %" PRIu64 " ms, %s (%" PRIu64
		    " answers)\n",
		    i == 0 ? "watch:   " : "         ",
		    st->watch.ports[i].proto, st->watch.ports[i].port,
		    st->watch.ports[i].timeout_ms,
		    st->watch.is_auto ? "auto" : "fixed",
		    st->watch.ports[i].samples);
	if (st->discovery.avahi[0] != '\0')
		fprintf(fp, "dns-sd:   avahi %s, %" PRIu64 " peer(s) browsed\n",
		    st->discovery.avahi, st->discovery.peers_browsed);
	if (st->dns.present)
		fprintf(fp,
		    "dns:      on %s, %" PRIu64 " queries (udp %" PRIu64
		    ", tcp %" PRIu64 "), %" PRIu64
		    " answers, rate-limited %" PRIu64 " dropped %" PRIu64
		    " slipped\n",
		    or_dash(st->dns.listen),
		    st->dns.queries_udp + st->dns.queries_tcp,
		    st->dns.queries_udp, st->dns.queries_tcp, st->dns.answers,
		    st->dns.rrl_dropped, st->dns.rrl_slipped);
	fprintf(fp,
	    "counters: rx %" PRIu64 ", tx %" PRIu64 ", dropped auth %" PRIu64
	    ", malformed %" PRIu64 ", replay %" PRIu64 ", version %" PRIu64
	    ", unverified %" PRIu64 ", challenges %" PRIu64 ", ttl %" PRIu64
	    ", failovers %" PRIu64 ", probes %" PRIu64 ", probes lost %" PRIu64
	    ", acks lost %" PRIu64 ", loss handovers %" PRIu64
	    ", fence claims %" PRIu64 ", fence lapses %" PRIu64 "\n",
	    c->rx, c->tx, c->rx_dropped_auth, c->rx_dropped_malformed,
	    c->rx_dropped_replay, c->rx_dropped_version, c->rx_unverified,
	    c->challenges, c->rx_dropped_ttl, c->failovers, c->probes,
	    c->probes_lost, c->acks_lost, c->loss_handovers, c->fence_claims,
	    c->fence_lapses);
	print_failovers(st, fp);
	if (st->cloud.present) {
		fprintf(fp, "cloud:    %s (%s), updated %s, %s\n",
		    or_dash(st->cloud.public_address),
		    or_dash(st->cloud.source), or_dash(st->cloud.last_update),
		    or_dash(st->cloud.status));
		if (st->cloud.reachable_known && !st->cloud.reachable)
			fprintf(fp, "          not reachable: %s\n",
			    or_dash(st->cloud.reason));
		if (st->cloud.last_error[0] != '\0')
			fprintf(fp, "          last error: %s\n",
			    st->cloud.last_error);
	}
	print_store(st, fp);
	print_key(st, fp);
	if (st->router.present)
		fprintf(fp,
		    "router:   %s, external %s%s%s, %u port(s) mapped, %u "
		    "refused%s%s\n",
		    or_dash(st->router.igd),
		    or_dash(st->router.external_address),
		    st->router.reason[0] ? ", not reachable: " : "",
		    st->router.reason, st->router.mapped, st->router.refused,
		    st->router.last_error[0] ? "; last error: " : "",
		    st->router.last_error);
}

static int
name_width(const struct status *st)
{
	size_t i, w = strlen("NAME");

	if (strlen(st->node.name) > w)
		w = strlen(st->node.name);
	for (i = 0; i < st->n_members && i < STATUS_MAX_MEMBERS; i++)
		if (strlen(st->members[i].name) > w)
			w = strlen(st->members[i].name);
	return (int)w;
}

static void
print_addrs(const struct status_member *m, FILE *fp)
{
	size_t i;

	if (m->n_addrs == 0)
		fputs("-", fp);
	for (i = 0; i < m->n_addrs && i < STATUS_MAX_ADDRS; i++)
		fprintf(fp, "%s%s", i > 0 ? "," : "", m->addrs[i]);
	fputc('\n', fp);
}

void
status_print_members(const struct status *st, FILE *fp)
{
	const struct status_member *m;
	int w = name_width(st);
	size_t i;

	fprintf(fp, "%-*s  %-32s  %4s  %-9s  %9s  %-15s  %s\n", w, "NAME", "ID",
	    "PRIO", "STATE", "SEEN_MS", "ADDRESS", "ADDRESSES");
	fprintf(fp, "%-*s  %-32s  %4u  %-9s  %9s  %-15s  %s\n", w,
	    or_dash(st->node.name), or_dash(st->node.id), st->node.priority,
	    or_dash(st->node.state), "self", "-", "-");
	for (i = 0; i < st->n_members && i < STATUS_MAX_MEMBERS; i++) {
		m = &st->members[i];
		fprintf(fp, "%-*s  %-32s  %4u  %-9s  %9" PRIu64 "  %-15s  ", w,
		    or_dash(m->name), or_dash(m->id), m->priority,
		    or_dash(m->state), m->last_seen_ms, or_dash(m->address));
		print_addrs(m, fp);
	}
}
