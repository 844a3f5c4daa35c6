#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "src/status.h"

/* A holder with one standby and a cloud part. */
/* Two holder changes: h3 died, h2 took 240 ms; then a handover. */
static void
fill_failovers(struct status *st)
{
	struct status_failover *f = st->failovers.recent;

	st->holder.since_ms = 1796520000500;
	snprintf(
	    st->failovers.by_cause[0].reason, STATUS_REASON_LEN, "holder_dead");
	st->failovers.by_cause[0].n = 1;
	snprintf(
	    st->failovers.by_cause[1].reason, STATUS_REASON_LEN, "handover");
	st->failovers.by_cause[1].n = 1;
	st->failovers.n_causes = 2;
	st->failovers.buckets[1] = 1; /* 100 ms */
	st->failovers.buckets[3] = 1; /* 300 ms */
	st->failovers.count = 2;
	st->failovers.sum_ms = 320;
	f[0].at_ms = 1796510000000;
	snprintf(f[0].from, sizeof(f[0].from), "h3");
	snprintf(f[0].to, sizeof(f[0].to), "h2");
	snprintf(f[0].cause, sizeof(f[0].cause), "holder_dead");
	f[0].duration_ms = 240;
	f[1].at_ms = 1796520000500;
	snprintf(f[1].from, sizeof(f[1].from), "h2");
	snprintf(f[1].to, sizeof(f[1].to), "h1");
	snprintf(f[1].cause, sizeof(f[1].cause), "handover");
	f[1].duration_ms = 80;
	st->failovers.n_recent = 2;
}

static void
fill(struct status *st)
{
	memset(st, 0, sizeof(*st));
	st->persist.ok = true;
	snprintf(st->node.id, sizeof(st->node.id), "%s",
	    "00112233445566778899aabbccddeeff");
	snprintf(st->node.name, sizeof(st->node.name), "h1");
	st->node.priority = 100;
	snprintf(st->node.state, sizeof(st->node.state), "holder");
	st->epoch = 12;
	st->holder.present = true;
	snprintf(st->holder.id, sizeof(st->holder.id), "%s", st->node.id);
	snprintf(st->holder.name, sizeof(st->holder.name), "h1");
	snprintf(st->holder.address, sizeof(st->holder.address), "10.0.0.11");
	snprintf(st->dmz.address, sizeof(st->dmz.address), "192.168.1.11/24");
	st->dmz.held = true;
	st->dmz.lease_ms = 600;
	snprintf(st->dmz.vmac, sizeof(st->dmz.vmac), "02:51:52:aa:bb:cc");
	snprintf(st->dmz.source, sizeof(st->dmz.source), "router");
	st->n_members = 1;
	snprintf(st->members[0].id, sizeof(st->members[0].id), "%s",
	    "ffeeddccbbaa99887766554433221100");
	snprintf(st->members[0].name, sizeof(st->members[0].name), "h2");
	st->members[0].n_addrs = 2;
	snprintf(st->members[0].addrs[0], STATUS_ADDR_LEN, "10.0.0.12");
	snprintf(st->members[0].addrs[1], STATUS_ADDR_LEN, "fd00::12");
	snprintf(st->members[0].address, STATUS_ADDR_LEN, "10.0.0.12");
	st->members[0].priority = 90;
	snprintf(st->members[0].state, sizeof(st->members[0].state), "standby");
	st->members[0].last_seen_ms = 140;
	st->members[0].cpus = 2;
	st->members[0].memory_mib = 24000;
	st->members[0].alive_interval_ms = 100;
	st->counters.rx = 7;
	st->counters.tx = 8;
	st->counters.watchers_dropped = 2;
	st->counters.rx_dropped_auth = 1;
	st->counters.rx_dropped_malformed = 2;
	st->counters.rx_dropped_replay = 3;
	st->counters.rx_dropped_version = 4;
	st->counters.rx_dropped_ttl = 6;
	st->counters.failovers = 5;
	snprintf(st->discovery.igmp, sizeof(st->discovery.igmp), "running");
	st->discovery.igmp_reports = 9;
	st->discovery.igmp_hints = 2;
	st->discovery.igmp_hints_limited = 7;
	st->cloud.present = true;
	snprintf(st->cloud.public_address, sizeof(st->cloud.public_address),
	    "203.0.113.5");
	snprintf(st->cloud.last_update, sizeof(st->cloud.last_update),
	    "2024-01-01T00:00:00Z");
	snprintf(st->cloud.status, sizeof(st->cloud.status), "ok");
	st->cloud.updates = 4;
	st->cloud.errors = 1;
	st->hooks.runs = 3;
	st->hooks.failures = 1;
	st->hooks.timeouts = 1;
	st->check.present = true;
	st->check.passed = 40;
	st->check.failed = 2;
	st->check.ok = true;
	st->http.present = true;
	st->http.ok = 120;
	st->http.limited = 7;
	snprintf(st->discovery.avahi, sizeof(st->discovery.avahi), "running");
	st->discovery.peers_browsed = 2;
	st->site.settings = 3;
	snprintf(st->site.digest, sizeof(st->site.digest), "0123456789abcdef");
	st->site.rx_bad = 1;
	st->site.write_failed = 2;
	st->balance.enabled = true;
	snprintf(st->balance.key, sizeof(st->balance.key), "addr-port");
	st->balance.installed = true;
	st->balance.n = 3;
	snprintf(st->balance.m[0].name, sizeof(st->balance.m[0].name), "h1");
	st->balance.m[0].buckets = 90;
	snprintf(st->balance.m[1].name, sizeof(st->balance.m[1].name), "h3");
	st->balance.m[1].buckets = 166;
	snprintf(st->balance.m[2].name, sizeof(st->balance.m[2].name), "h2");
	st->balance.m[2].buckets = 0;
	st->store.enabled = true;
	snprintf(st->store.address, sizeof(st->store.address), "10.0.0.11");
	snprintf(st->store.password_file, sizeof(st->store.password_file),
	    "/var/lib/qured/store/password");
	st->store.n_instances = 2;
	st->store.instances[0].port = 6379;
	st->store.instances[0].pid = 812;
	st->store.instances[0].up = true;
	st->store.instances[1].port = 6380;
	st->store.instances[1].restarts = 2;
	snprintf(st->store.instances[1].last_exit,
	    sizeof(st->store.instances[1].last_exit), "killed by signal 9");
	st->store.cluster.present = true;
	st->store.cluster.coordinating = true;
	st->store.cluster.converged = true;
	st->store.cluster.members_alive = 3;
	st->store.cluster.want_replicas = 1;
	st->store.cluster.slots_assigned = 16384;
	st->store.cluster.steps = 9;
	st->store.cluster.actions = 14;
	st->store.cluster.moves = 4096;
	st->store.cluster.takeovers = 1;
	st->store.cluster.forget_after_ms = 60000;
	st->discovery.txt_rejected = 3;
	st->discovery.over_limit = 4;
	st->router.present = true;
	snprintf(st->router.igd, sizeof(st->router.igd), "upnp");
	snprintf(
	    st->router.reason, sizeof(st->router.reason), "carrier-grade NAT");
	st->router.refused = 2;
	st->dns.present = true;
	snprintf(st->dns.listen, sizeof(st->dns.listen), "192.168.1.11:53");
	st->dns.queries_udp = 120;
	st->dns.queries_tcp = 2;
	st->dns.answers = 101;
	st->dns.nxdomain = 3;
	st->dns.refused = 1;
	st->dns.formerr = 4;
	st->dns.notimp = 5;
	st->dns.dropped = 6;
	st->dns.truncated = 7;
	st->dns.rrl_dropped = 10;
	st->dns.rrl_slipped = 11;
	st->dns.tcp_rejected = 12;
	st->watch.is_auto = true;
	st->watch.ports[0].port = 80;
	snprintf(
	    st->watch.ports[0].proto, sizeof(st->watch.ports[0].proto), "tcp");
	st->watch.ports[0].timeout_ms = 20;
	st->watch.ports[0].samples = 143;
	st->watch.ports[1].port = 53;
	snprintf(
	    st->watch.ports[1].proto, sizeof(st->watch.ports[1].proto), "udp");
	st->watch.ports[1].timeout_ms = 150;
	st->watch.n_ports = 2;
	fill_failovers(st);
	/* Half rotated: h3 lacks the next key, the key is sent with. */
	st->key.present = true;
	snprintf(st->key.current, sizeof(st->key.current), "0123456789abcdef");
	snprintf(st->key.next, sizeof(st->key.next), "fedcba9876543210");
	snprintf(st->key.without_next[0], STATUS_NAME_LEN, "h3");
	st->key.n_without_next = 1;
}

/* Asserts that obj has exactly these keys, in this order. */
static void
assert_keys(const json_t *obj, const char *const *keys, size_t n)
{
	const char *key;
	json_t *v;
	size_t i = 0;

	assert_true(json_is_object(obj));
	assert_int_equal(json_object_size(obj), n);
	json_object_foreach((json_t *)obj, key, v)
	{
		(void)v;
		assert_string_equal(key, keys[i]);
		i++;
	}
}

#define ASSERT_KEYS(obj, ...)                                                  \
	do {                                                                   \
		static const char *const k_[] = {__VA_ARGS__};                 \
		assert_keys((obj), k_, sizeof(k_) / sizeof(k_[0]));            \
	} while (0)

static const json_t *
path(const json_t *o, const char *a, const char *b)
{
	o = json_object_get(o, a);
	assert_non_null(o);
	if (b != NULL) {
		o = json_object_get(o, b);
		assert_non_null(o);
	}
	return o;
}

static void
status_json_has_exactly_the_design_keys(void **state)
{
	struct status st;
	json_t *o;

	(void)state;
	fill(&st);
	o = status_to_json(&st);
	ASSERT_KEYS(o, "node", "epoch", "holder", "dmz", "members", "counters",
	    "cloud", "router", "conflict", "persist", "unconfigured",
	    "discovery", "dns", "watch", "site", "balance", "store",
	    "failovers", "key", "hooks", "check", "http");
	ASSERT_KEYS(path(o, "key", NULL), "current", "next", "previous",
	    "sending", "forced", "members_without_next");
	assert_true(json_is_null(path(o, "key", "previous")));
	assert_string_equal(
	    json_string_value(path(o, "key", "sending")), "current");
	assert_int_equal(
	    json_array_size(path(o, "key", "members_without_next")), 1);
	ASSERT_KEYS(
	    path(o, "http", NULL), "ok", "not_found", "bad_method", "limited");
	ASSERT_KEYS(path(o, "hooks", NULL), "runs", "failures", "timeouts");
	ASSERT_KEYS(path(o, "check", NULL), "passed", "failed", "ok");
	ASSERT_KEYS(path(o, "failovers", NULL), "count", "sum_ms", "by_cause",
	    "buckets", "recent");
	ASSERT_KEYS(json_array_get(path(o, "failovers", "recent"), 0), "at_ms",
	    "from", "to", "cause", "duration_ms");
	assert_int_equal(json_array_size(path(o, "failovers", "buckets")), 10);
	assert_true(json_is_null(json_object_get(
	    json_array_get(path(o, "failovers", "buckets"), 9), "le_ms")));
	ASSERT_KEYS(path(o, "store", NULL), "enabled", "address", "instances",
	    "password_file", "error", "cluster");
	ASSERT_KEYS(path(o, "store", "cluster"), "coordinating", "converged",
	    "unreplicated", "members_alive", "want_replicas", "slots_assigned",
	    "slots_stuck", "slots_free", "slots_off_target", "masters_short",
	    "open_migrations", "steps", "actions", "failures", "moves",
	    "takeovers", "takeovers_declined", "introduced", "nodes_forgotten",
	    "forget_after_ms", "last_error");
	assert_int_equal(json_array_size(path(o, "store", "instances")), 2);
	ASSERT_KEYS(json_array_get(path(o, "store", "instances"), 0), "port",
	    "pid", "up", "restarts", "last_exit");
	ASSERT_KEYS(path(o, "site", NULL), "settings", "digest", "rx_bad",
	    "write_failed");
	ASSERT_KEYS(
	    path(o, "balance", NULL), "enabled", "key", "installed", "buckets");
	ASSERT_KEYS(path(o, "balance", "buckets"), "h1", "h3", "h2");
	assert_int_equal(json_integer_value(json_object_get(
			     path(o, "balance", "buckets"), "h3")),
	    166);
	ASSERT_KEYS(path(o, "watch", NULL), "auto", "ports");
	assert_int_equal(json_array_size(path(o, "watch", "ports")), 2);
	ASSERT_KEYS(json_array_get(path(o, "watch", "ports"), 0), "port",
	    "proto", "timeout_ms", "samples");
	ASSERT_KEYS(path(o, "dns", NULL), "listen", "queries_udp",
	    "queries_tcp", "answers", "nxdomain", "refused", "formerr",
	    "notimp", "dropped", "truncated", "rrl_dropped", "rrl_slipped",
	    "tcp_rejected");
	ASSERT_KEYS(path(o, "node", NULL), "id", "name", "priority", "state");
	ASSERT_KEYS(path(o, "persist", NULL), "ok", "error");
	ASSERT_KEYS(path(o, "discovery", NULL), "avahi", "peers_browsed",
	    "txt_rejected", "over_limit", "igmp", "igmp_reports", "igmp_hints",
	    "igmp_hints_limited");
	ASSERT_KEYS(
	    path(o, "holder", NULL), "id", "name", "address", "since_ms");
	ASSERT_KEYS(path(o, "dmz", NULL), "address", "held", "lease_ms",
	    "kernel_lifetime_s", "guard_restarts", "vmac", "address6", "held6",
	    "fence_ms", "fence_trusted", "probe_timeout_ms", "probe_samples",
	    "source");
	assert_int_equal(json_array_size(path(o, "members", NULL)), 1);
	ASSERT_KEYS(json_array_get(path(o, "members", NULL), 0), "id", "name",
	    "addresses", "address", "priority", "state", "last_seen_ms", "cpus",
	    "memory_mib", "alive_interval_ms");
	ASSERT_KEYS(path(o, "counters", NULL), "rx", "tx", "rx_dropped_auth",
	    "rx_dropped_malformed", "rx_dropped_replay", "rx_dropped_version",
	    "rx_unverified", "challenges", "rx_dropped_ttl", "failovers",
	    "probes", "probes_lost", "acks_lost", "loss_handovers",
	    "fence_claims", "fence_lapses", "watchers_dropped");
	ASSERT_KEYS(path(o, "cloud", NULL), "public_address", "last_update",
	    "status", "source", "last_error", "reachable", "reason", "updates",
	    "errors");
	ASSERT_KEYS(path(o, "router", NULL), "igd", "external_address",
	    "reachable", "reason", "mapped", "refused", "last_error");
	/* no external address, but a reason: reachable is false */
	assert_true(json_is_null(
	    path(o, "router", NULL) != NULL
		? json_object_get(path(o, "router", NULL), "external_address")
		: NULL));
	assert_true(json_is_false(
	    json_object_get(path(o, "router", NULL), "reachable")));
	json_decref(o);
	st.router.present = false;
	o = status_to_json(&st);
	assert_true(json_is_null(json_object_get(o, "router")));
	json_decref(o);
}

/* [dmz] address = auto: where the address came from; config when the
 * snapshot says nothing (a configured address). */
static void
dmz_source_says_where_the_address_came_from(void **state)
{
	struct status st;
	json_t *o;
	char *text;
	size_t len;
	FILE *fp;

	(void)state;
	fill(&st);
	o = status_to_json(&st);
	assert_string_equal(
	    json_string_value(path(o, "dmz", "source")), "router");
	json_decref(o);
	fp = open_memstream(&text, &len);
	assert_non_null(fp);
	status_print(&st, fp);
	fclose(fp);
	assert_non_null(strstr(text, "dmz from: router (address = auto)"));
	assert_non_null(strstr(
	    text, "\nfailovers: 2, the last h2 -> h1 (handover) in 80 ms\n"));
	free(text);
	st.dmz.source[0] = '\0';
	o = status_to_json(&st);
	assert_string_equal(
	    json_string_value(path(o, "dmz", "source")), "config");
	json_decref(o);
}

/* [store]: each instance's pid (null when not running), whether it
 * answers, its restarts and why it last exited (null: never). */
static void
store_shows_each_instance_and_is_off_without_one(void **state)
{
	const json_t *i0, *i1;
	struct status st;
	json_t *o;
	char *text;
	size_t len;
	FILE *fp;

	(void)state;
	fill(&st);
	o = status_to_json(&st);
	assert_true(json_is_true(path(o, "store", "enabled")));
	i0 = json_array_get(path(o, "store", "instances"), 0);
	i1 = json_array_get(path(o, "store", "instances"), 1);
	assert_int_equal(json_integer_value(json_object_get(i0, "pid")), 812);
	assert_true(json_is_true(json_object_get(i0, "up")));
	assert_true(json_is_null(json_object_get(i0, "last_exit")));
	assert_true(json_is_null(json_object_get(i1, "pid")));
	assert_int_equal(
	    json_integer_value(json_object_get(i1, "restarts")), 2);
	assert_string_equal(json_string_value(json_object_get(i1, "last_exit")),
	    "killed by signal 9");
	assert_true(json_is_null(path(o, "store", "error")));
	json_decref(o);
	fp = open_memstream(&text, &len);
	assert_non_null(fp);
	status_print(&st, fp);
	fclose(fp);
	assert_non_null(strstr(text,
	    "store:    10.0.0.11, 6379 up (pid 812), 6380 down (restarts 2, "
	    "last killed by signal 9)\n"));
	free(text);
	memset(&st.store, 0, sizeof(st.store));
	o = status_to_json(&st);
	assert_true(json_is_false(path(o, "store", "enabled")));
	assert_int_equal(json_array_size(path(o, "store", "instances")), 0);
	assert_true(json_is_null(path(o, "store", "password_file")));
	json_decref(o);
}

/* store.cluster: the coordinator's view; the text says unreplicated
 * in words (one or two members), null when the store is off. */
static void
store_cluster_says_converged_and_unreplicated(void **state)
{
	struct status st;
	json_t *o;
	char *text;
	size_t len;
	FILE *fp;

	(void)state;
	fill(&st);
	o = status_to_json(&st);
	assert_true(json_is_true(
	    json_object_get(path(o, "store", "cluster"), "converged")));
	assert_true(json_is_false(
	    json_object_get(path(o, "store", "cluster"), "unreplicated")));
	assert_int_equal(json_integer_value(json_object_get(
			     path(o, "store", "cluster"), "moves")),
	    4096);
	assert_true(json_is_null(
	    json_object_get(path(o, "store", "cluster"), "last_error")));
	json_decref(o);
	fp = open_memstream(&text, &len);
	status_print(&st, fp);
	fclose(fp);
	assert_non_null(strstr(text,
	    "cluster:  coordinating, converged, 3 members, 16384 slots "
	    "assigned, replicated (1 per master); 4096 moves, 1 takeovers\n"));
	assert_null(strstr(text, "declined"));
	free(text);
	st.store.cluster.takeovers_declined = 2;
	st.store.cluster.nodes_forgotten = 1;
	st.store.cluster.members_alive = 2;
	st.store.cluster.unreplicated = true;
	snprintf(st.store.cluster.last_error,
	    sizeof(st.store.cluster.last_error), "MEET: refused");
	fp = open_memstream(&text, &len);
	status_print(&st, fp);
	fclose(fp);
	assert_non_null(
	    strstr(text, "unreplicated: losing a member loses its data"));
	assert_non_null(strstr(text, "last error: MEET: refused\n"));
	assert_non_null(strstr(text, "2 takeovers declined (the master "
				     "answered), 1 nodes of no member "
				     "forgotten\n"));
	free(text);
	st.store.cluster.present = false;
	o = status_to_json(&st);
	assert_true(
	    json_is_null(json_object_get(path(o, "store", NULL), "cluster")));
	json_decref(o);
}

static void
dmz_vmac_is_the_mac_or_null_without_one(void **state)
{
	struct status st;
	json_t *o;

	(void)state;
	fill(&st);
	o = status_to_json(&st);
	assert_string_equal(
	    json_string_value(path(o, "dmz", "vmac")), "02:51:52:aa:bb:cc");
	json_decref(o);
	st.dmz.vmac[0] = '\0';
	o = status_to_json(&st);
	assert_true(json_is_null(path(o, "dmz", "vmac")));
	json_decref(o);
}

static void
an_unconfigured_node_says_why_in_json_and_text(void **state)
{
	struct status st, back;
	char err[256], *text;
	size_t len;
	FILE *fp;
	json_t *o;

	(void)state;
	fill(&st);
	o = status_to_json(&st);
	assert_true(json_is_null(json_object_get(o, "unconfigured")));
	json_decref(o);
	memset(&st, 0, sizeof(st));
	strcpy(st.node.name, "vm1");
	strcpy(st.node.state, "unconfigured");
	strcpy(st.unconfigured, "/etc/qured/cluster.key: missing, run "
				"`qurectl keygen -o /etc/qured/cluster.key`");
	o = status_to_json(&st);
	assert_string_equal(
	    json_string_value(path(o, "node", "state")), "unconfigured");
	assert_string_equal(
	    json_string_value(json_object_get(o, "unconfigured")),
	    st.unconfigured);
	assert_int_equal(status_from_json(o, &back, err, sizeof(err)), 0);
	assert_string_equal(back.unconfigured, st.unconfigured);
	json_decref(o);
	fp = open_memstream(&text, &len);
	status_print(&st, fp);
	fclose(fp);
	assert_non_null(strstr(text, "unconfigured: /etc/qured/cluster.key: "
				     "missing"));
	assert_null(strstr(text, "epoch:")); /* nothing else to say */
	free(text);
}

static void
status_json_fields_have_the_right_types_and_values(void **state)
{
	const json_t *m, *a;
	struct status st;
	json_t *o;

	(void)state;
	fill(&st);
	o = status_to_json(&st);
	assert_string_equal(json_string_value(path(o, "node", "id")),
	    "00112233445566778899aabbccddeeff");
	assert_string_equal(json_string_value(path(o, "node", "name")), "h1");
	assert_int_equal(json_integer_value(path(o, "node", "priority")), 100);
	assert_string_equal(
	    json_string_value(path(o, "node", "state")), "holder");
	assert_true(json_is_integer(path(o, "epoch", NULL)));
	assert_int_equal(json_integer_value(path(o, "epoch", NULL)), 12);
	assert_string_equal(
	    json_string_value(path(o, "holder", "address")), "10.0.0.11");
	assert_string_equal(
	    json_string_value(path(o, "dmz", "address")), "192.168.1.11/24");
	assert_true(json_is_true(path(o, "dmz", "held")));
	/* No [dmz] address6: null, and not held. */
	assert_true(json_is_null(path(o, "dmz", "address6")));
	assert_true(json_is_false(path(o, "dmz", "held6")));
	assert_int_equal(json_integer_value(path(o, "dmz", "lease_ms")), 600);
	m = json_array_get(path(o, "members", NULL), 0);
	a = json_object_get(m, "addresses");
	assert_true(json_is_array(a));
	assert_int_equal(json_array_size(a), 2);
	assert_string_equal(
	    json_string_value(json_array_get(a, 1)), "fd00::12");
	assert_string_equal(
	    json_string_value(json_object_get(m, "address")), "10.0.0.12");
	assert_string_equal(
	    json_string_value(path(o, "discovery", "igmp")), "running");
	assert_int_equal(
	    json_integer_value(path(o, "discovery", "igmp_hints_limited")), 7);
	assert_int_equal(
	    json_integer_value(json_object_get(m, "last_seen_ms")), 140);
	assert_int_equal(json_integer_value(json_object_get(m, "cpus")), 2);
	assert_int_equal(
	    json_integer_value(json_object_get(m, "memory_mib")), 24000);
	assert_int_equal(
	    json_integer_value(json_object_get(m, "alive_interval_ms")), 100);
	assert_int_equal(
	    json_integer_value(path(o, "counters", "rx_dropped_replay")), 3);
	assert_int_equal(
	    json_integer_value(path(o, "counters", "failovers")), 5);
	assert_true(json_is_null(path(o, "conflict", NULL)));
	json_decref(o);
}

static void
holder_cloud_and_conflict_are_null_when_absent(void **state)
{
	struct status st;
	json_t *o;

	(void)state;
	fill(&st);
	st.holder.present = false;
	st.cloud.present = false;
	st.dns.present = false;
	st.check.present = false;
	st.http.present = false;
	st.n_members = 0;
	o = status_to_json(&st);
	assert_true(json_is_null(path(o, "dns", NULL)));
	assert_true(json_is_null(path(o, "check", NULL)));
	assert_true(json_is_null(path(o, "http", NULL)));
	assert_true(json_is_null(path(o, "holder", NULL)));
	assert_true(json_is_null(path(o, "cloud", NULL)));
	assert_true(json_is_null(path(o, "conflict", NULL)));
	assert_true(json_is_array(path(o, "members", NULL)));
	assert_int_equal(json_array_size(path(o, "members", NULL)), 0);
	json_decref(o);
}

static void
a_conflict_shows_the_foreign_mac(void **state)
{
	struct status st;
	char *text = NULL;
	size_t len = 0;
	FILE *fp;
	json_t *o;

	(void)state;
	fill(&st);
	snprintf(st.conflict, sizeof(st.conflict), "02:00:5e:10:00:01");
	o = status_to_json(&st);
	assert_string_equal(
	    json_string_value(path(o, "conflict", NULL)), "02:00:5e:10:00:01");
	json_decref(o);
	fp = open_memstream(&text, &len);
	assert_non_null(fp);
	status_print(&st, fp);
	fclose(fp);
	assert_non_null(strstr(text, "conflict: 02:00:5e:10:00:01"));
	free(text);
}

static void
a_conflict_names_a_member_with_other_settings(void **state)
{
	static const char what[] = "member h4 (00112233445566778899aabbccdd"
				   "eeff) at 10.0.0.14: other dmz address, "
				   "lease, heartbeat";
	struct status st;
	char *text = NULL;
	size_t len = 0;
	FILE *fp;
	json_t *o;

	(void)state;
	fill(&st);
	snprintf(st.conflict, sizeof(st.conflict), "%s", what);
	o = status_to_json(&st);
	assert_string_equal(json_string_value(path(o, "conflict", NULL)), what);
	json_decref(o);
	fp = open_memstream(&text, &len);
	assert_non_null(fp);
	status_print(&st, fp);
	fclose(fp);
	assert_non_null(strstr(text, "not electing it"));
	assert_null(strstr(text, "answers for the DMZ address"));
	free(text);
}

static void
counters_beyond_int64_are_clamped_not_negative(void **state)
{
	struct status st;
	json_t *o;

	(void)state;
	fill(&st);
	st.counters.rx = UINT64_MAX;
	o = status_to_json(&st);
	assert_true(json_integer_value(path(o, "counters", "rx")) > 0);
	json_decref(o);
}

static void
a_member_name_that_is_not_utf8_goes_out_as_question_marks(void **state)
{
	struct status st;
	json_t *o;

	(void)state;
	fill(&st);
	snprintf(st.members[0].name, sizeof(st.members[0].name), "h\xff\xc3");
	o = status_to_json(&st);
	assert_string_equal(
	    json_string_value(json_object_get(
		json_array_get(path(o, "members", NULL), 0), "name")),
	    "h??");
	json_decref(o);
}

static void
members_reply_has_ok_node_and_members(void **state)
{
	struct status st;
	json_t *o;

	(void)state;
	fill(&st);
	o = status_members_to_json(&st);
	ASSERT_KEYS(o, "ok", "node", "members");
	assert_true(json_is_true(path(o, "ok", NULL)));
	json_decref(o);
}

static void
a_failed_persist_shows_ok_false_and_why(void **state)
{
	struct status st, back;
	char *text = NULL, err[128];
	size_t len = 0;
	FILE *fp;
	json_t *o;

	(void)state;
	fill(&st);
	o = status_to_json(&st);
	assert_true(json_is_true(path(o, "persist", "ok")));
	assert_true(json_is_null(path(o, "persist", "error")));
	json_decref(o);
	st.persist.ok = false;
	snprintf(st.persist.error, sizeof(st.persist.error),
	    "state: write /var/lib/qured/.state.x: No space left on device");
	o = status_to_json(&st);
	assert_true(json_is_false(path(o, "persist", "ok")));
	assert_non_null(strstr(json_string_value(path(o, "persist", "error")),
	    "No space left on device"));
	assert_int_equal(status_from_json(o, &back, err, sizeof(err)), 0);
	assert_false(back.persist.ok);
	assert_string_equal(back.persist.error, st.persist.error);
	json_decref(o);
	fp = open_memstream(&text, &len);
	assert_non_null(fp);
	status_print(&st, fp);
	fclose(fp);
	assert_non_null(strstr(text, "persist:  failing: state: write"));
	free(text);
}

static void
json_round_trip_gives_the_same_snapshot(void **state)
{
	struct status *a = calloc(2, sizeof(*a)), *b = a + 1;
	char err[128];
	char *s;
	json_t *o, *p;

	(void)state;
	fill(a);
	snprintf(a->conflict, sizeof(a->conflict), "02:00:00:00:00:01");
	/* Through text, as qurectl gets it. */
	o = status_to_json(a);
	s = json_dumps(o, JSON_COMPACT);
	p = json_loads(s, 0, NULL);
	assert_non_null(p);
	assert_int_equal(status_from_json(p, b, err, sizeof(err)), 0);
	assert_memory_equal(a, b, sizeof(*a));
	json_decref(o);
	json_decref(p);
	free(s);
	a->holder.present = false;
	a->cloud.present = false;
	memset(&a->holder, 0, sizeof(a->holder));
	memset(&a->cloud, 0, sizeof(a->cloud));
	o = status_to_json(a);
	assert_int_equal(status_from_json(o, b, err, sizeof(err)), 0);
	assert_memory_equal(a, b, sizeof(*a));
	json_decref(o);
	free(a);
}

static void
reading_rejects_wrong_types_with_the_field_name(void **state)
{
	static const char *const bad[] = {
	    "[]",
	    "{\"epoch\":\"12\"}",
	    "{\"epoch\":-1}",
	    "{\"node\":[]}",
	    "{\"node\":{\"name\":5}}",
	    "{\"dmz\":{\"held\":1}}",
	    "{\"members\":{}}",
	    "{\"members\":[1]}",
	    "{\"members\":[{\"addresses\":\"10.0.0.1\"}]}",
	    "{\"members\":[{\"addresses\":[1]}]}",
	    "{\"counters\":{\"rx\":1.5}}",
	    "{\"watch\":[]}",
	    "{\"watch\":{\"auto\":1}}",
	    "{\"watch\":{\"ports\":{}}}",
	    "{\"watch\":{\"ports\":[80]}}",
	    "{\"watch\":{\"ports\":[{\"timeout_ms\":-20}]}}",
	    "{\"watch\":{\"ports\":[{\"proto\":6}]}}",
	    "{\"balance\":[]}",
	    "{\"balance\":{\"installed\":\"yes\"}}",
	    "{\"balance\":{\"buckets\":[85]}}",
	    "{\"balance\":{\"buckets\":{\"h1\":-1}}}",
	    "{\"balance\":{\"buckets\":{\"h1\":\"85\"}}}",
	    "{\"failovers\":[]}",
	    "{\"failovers\":{\"count\":-2}}",
	    "{\"failovers\":{\"by_cause\":[]}}",
	    "{\"failovers\":{\"by_cause\":{\"holder_dead\":\"1\"}}}",
	    "{\"failovers\":{\"buckets\":{}}}",
	    "{\"failovers\":{\"buckets\":[{\"count\":-1}]}}",
	    "{\"failovers\":{\"recent\":[1]}}",
	    "{\"failovers\":{\"recent\":[{\"cause\":5}]}}",
	    "{\"holder\":{\"since_ms\":\"x\"}}",
	    "{\"key\":[]}",
	    "{\"key\":{\"current\":7}}",
	    "{\"key\":{\"previous\":[]}}",
	    "{\"key\":{\"forced\":\"no\"}}",
	    "{\"key\":{\"members_without_next\":\"h3\"}}",
	    "{\"key\":{\"members_without_next\":[3]}}",
	};
	struct status *st = malloc(sizeof(*st));
	char err[128];
	json_t *o;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		o = json_loads(bad[i], JSON_DECODE_ANY, NULL);
		assert_non_null(o);
		err[0] = '\0';
		if (status_from_json(o, st, err, sizeof(err)) != -1)
			fail_msg("accepted %s", bad[i]);
		assert_true(strncmp(err, "status: ", 8) == 0);
		json_decref(o);
	}
	free(st);
}

static void
reading_is_lenient_about_missing_and_extra_fields(void **state)
{
	struct status *st = malloc(sizeof(*st));
	char err[128];
	json_t *o;

	(void)state;
	o = json_loads("{\"epoch\":3,\"future\":{\"x\":1},\"holder\":null,"
		       "\"members\":[{\"name\":\"h9\",\"addresses\":"
		       "[\"a\",\"b\",\"c\",\"d\",\"e\"]}]}",
	    0, NULL);
	assert_non_null(o);
	assert_int_equal(status_from_json(o, st, err, sizeof(err)), 0);
	assert_int_equal(st->epoch, 3);
	assert_false(st->holder.present);
	assert_int_equal(st->n_members, 1);
	assert_string_equal(st->members[0].name, "h9");
	assert_int_equal(st->members[0].n_addrs, STATUS_MAX_ADDRS);
	assert_string_equal(st->node.name, "");
	json_decref(o);
	free(st);
}

static char *
render(void (*fn)(const struct status *, FILE *), const struct status *st)
{
	/* Static: gcc 12 takes the stream's buffer for this frame's. */
	static char *text;
	static size_t len;
	FILE *fp = open_memstream(&text, &len);

	assert_non_null(fp);
	fn(st, fp);
	fclose(fp);
	return text;
}

static void
text_status_names_the_holder_or_says_none(void **state)
{
	struct status st;
	char *t;

	(void)state;
	fill(&st);
	t = render(status_print, &st);
	assert_non_null(strstr(t, "holder:   h1 ("));
	assert_non_null(strstr(t, "at 10.0.0.11"));
	assert_non_null(strstr(t, "192.168.1.11/24, held here, lease 600 ms"));
	assert_non_null(strstr(t, "cloud:    203.0.113.5"));
	assert_non_null(
	    strstr(t, "dns:      on 192.168.1.11:53, 122 queries (udp 120, tcp "
		      "2), 101 answers, rate-limited 10 dropped 11 slipped"));
	assert_null(strstr(t, "conflict"));
	assert_non_null(strstr(t, "key:      0123456789abcdef, next "
				  "fedcba9876543210, sending with the key\n"
				  "          without the next key: h3\n"));
	free(t);
	st.holder.present = false;
	st.cloud.present = false;
	t = render(status_print, &st);
	assert_non_null(strstr(t, "holder:   none\n"));
	assert_null(strstr(t, "cloud:"));
	free(t);
}

static void
members_table_lists_self_then_each_member(void **state)
{
	struct status st;
	char *t, *self, *h2;

	(void)state;
	fill(&st);
	t = render(status_print_members, &st);
	assert_true(strncmp(t, "NAME", 4) == 0);
	self = strstr(t, "\nh1 ");
	h2 = strstr(t, "\nh2 ");
	assert_non_null(self);
	assert_non_null(h2);
	assert_true(self < h2);
	assert_non_null(strstr(self, "self"));
	assert_non_null(strstr(h2, "standby"));
	assert_non_null(strstr(h2, "  10.0.0.12        10.0.0.12,fd00::12\n"));
	free(t);
}

/* Issue 13: per watched port, the request timeout and its samples. */
static void
watch_shows_each_ports_timeout_and_samples(void **state)
{
	struct status st;
	json_t *o, *p;
	char *t;

	(void)state;
	fill(&st);
	o = status_to_json(&st);
	assert_true(json_is_true(path(o, "watch", "auto")));
	p = json_array_get(path(o, "watch", "ports"), 0);
	assert_int_equal(json_integer_value(json_object_get(p, "port")), 80);
	assert_string_equal(
	    json_string_value(json_object_get(p, "proto")), "tcp");
	assert_int_equal(
	    json_integer_value(json_object_get(p, "timeout_ms")), 20);
	assert_int_equal(
	    json_integer_value(json_object_get(p, "samples")), 143);
	p = json_array_get(path(o, "watch", "ports"), 1);
	assert_string_equal(
	    json_string_value(json_object_get(p, "proto")), "udp");
	assert_int_equal(
	    json_integer_value(json_object_get(p, "timeout_ms")), 150);
	assert_int_equal(json_integer_value(json_object_get(p, "samples")), 0);
	json_decref(o);
	t = render(status_print, &st);
	assert_non_null(strstr(t, "watch:    tcp:80 request timeout 20 ms, "
				  "auto (143 answers)\n"));
	assert_non_null(strstr(t, "          udp:53 request timeout 150 ms, "
				  "auto (0 answers)\n"));
	free(t);
	/* No port watched: an empty list, and no line. */
	st.watch.n_ports = 0;
	st.watch.is_auto = false;
	o = status_to_json(&st);
	assert_int_equal(json_array_size(path(o, "watch", "ports")), 0);
	assert_true(json_is_false(path(o, "watch", "auto")));
	json_decref(o);
	t = render(status_print, &st);
	assert_null(strstr(t, "watch:"));
	free(t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(status_json_has_exactly_the_design_keys),
	    cmocka_unit_test(an_unconfigured_node_says_why_in_json_and_text),
	    cmocka_unit_test(
		status_json_fields_have_the_right_types_and_values),
	    cmocka_unit_test(holder_cloud_and_conflict_are_null_when_absent),
	    cmocka_unit_test(watch_shows_each_ports_timeout_and_samples),
	    cmocka_unit_test(a_conflict_shows_the_foreign_mac),
	    cmocka_unit_test(a_failed_persist_shows_ok_false_and_why),
	    cmocka_unit_test(a_conflict_names_a_member_with_other_settings),
	    cmocka_unit_test(counters_beyond_int64_are_clamped_not_negative),
	    cmocka_unit_test(
		a_member_name_that_is_not_utf8_goes_out_as_question_marks),
	    cmocka_unit_test(members_reply_has_ok_node_and_members),
	    cmocka_unit_test(json_round_trip_gives_the_same_snapshot),
	    cmocka_unit_test(dmz_vmac_is_the_mac_or_null_without_one),
	    cmocka_unit_test(store_shows_each_instance_and_is_off_without_one),
	    cmocka_unit_test(store_cluster_says_converged_and_unreplicated),
	    cmocka_unit_test(dmz_source_says_where_the_address_came_from),
	    cmocka_unit_test(reading_rejects_wrong_types_with_the_field_name),
	    cmocka_unit_test(reading_is_lenient_about_missing_and_extra_fields),
	    cmocka_unit_test(text_status_names_the_holder_or_says_none),
	    cmocka_unit_test(members_table_lists_self_then_each_member),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
