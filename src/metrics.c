#include "config.h"

#include "src/metrics.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "src/status.h"

/* node.state's values (elect_state_name(), and key-wait's): one gauge
 * each, 1 for the current, so a query needs no string matching. */
static const char *const node_states[] = {"starting", "standby", "candidate",
    "holder", "observer", "stopped", "unconfigured"};

static void
head(FILE *fp, const char *name, const char *type, const char *help)
{
	fprintf(fp, "# HELP qure_%s %s\n# TYPE qure_%s %s\n", name, help, name,
	    type);
}

static void
sample(FILE *fp, const char *name, uint64_t v)
{
	fprintf(fp, "qure_%s %" PRIu64 "\n", name, v);
}

/* One family of one sample. */
static void
one(FILE *fp, const char *name, const char *type, const char *help, uint64_t v)
{
	head(fp, name, type, help);
	sample(fp, name, v);
}

/* One sample with one label. */
static void
lsample(
    FILE *fp, const char *name, const char *label, const char *lv, uint64_t v)
{
	fprintf(fp, "qure_%s{%s=", name, label);
	metrics_write_label(fp, lv);
	fprintf(fp, "} %" PRIu64 "\n", v);
}

/* The length of the UTF-8 sequence at s (RFC 3629: no overlongs, no
 * surrogates, at most U+10FFFF), 0 if there is none. */
static size_t
utf8_len(const unsigned char *s)
{
	size_t n, i;
	uint32_t cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4, cp = s[0] & 0x07;
	else
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((n == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (n == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return n;
}

void
metrics_write_label(FILE *fp, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n;

	fputc('"', fp);
	while (*p != '\0') {
		if (*p == '\\' || *p == '"') {
			fputc('\\', fp);
			fputc(*p++, fp);
		} else if (*p == '\n') {
			fputs("\\n", fp);
			p++;
		} else if ((n = utf8_len(p)) == 0) {
			/* Member names come off the wire: bytes, not text. */
			fputc('?', fp);
			p++;
		} else {
			fwrite(p, 1, n, fp);
			p += n;
		}
	}
	fputc('"', fp);
}

static void
write_node(FILE *fp, const struct status *st)
{
	size_t i;

	head(fp, "node_info", "gauge",
	    "This member: its name and node id (always 1).");
	fprintf(fp, "qure_node_info{name=");
	metrics_write_label(fp, st->node.name);
	fprintf(fp, ",id=");
	metrics_write_label(fp, st->node.id);
	fprintf(fp, "} 1\n");
	head(fp, "node_state", "gauge",
	    "This member's election state: 1 for the current one.");
	for (i = 0; i < sizeof(node_states) / sizeof(node_states[0]); i++)
		lsample(fp, "node_state", "state", node_states[i],
		    strcmp(st->node.state, node_states[i]) == 0);
	one(fp, "node_priority", "gauge", "This member's [node] priority.",
	    st->node.priority);
	one(fp, "epoch", "gauge", "The election epoch this member knows.",
	    st->epoch);
}

static void
write_holder(FILE *fp, const struct status *st)
{
	one(fp, "holder_present", "gauge",
	    "1 if this member knows a holder of the DMZ address.",
	    st->holder.present);
	if (st->holder.present) {
		head(fp, "holder_info", "gauge",
		    "The holder this member knows (always 1).");
		fprintf(fp, "qure_holder_info{name=");
		metrics_write_label(fp, st->holder.name);
		fprintf(fp, ",id=");
		metrics_write_label(fp, st->holder.id);
		fprintf(fp, ",address=");
		metrics_write_label(fp, st->holder.address);
		fprintf(fp, "} 1\n");
	}
	if (st->holder.present && st->holder.since_ms != 0) {
		head(fp, "holder_since_seconds", "gauge",
		    "Unix time the current holder was first known.");
		fprintf(fp, "qure_holder_since_seconds %" PRIu64 ".%03u\n",
		    st->holder.since_ms / 1000,
		    (unsigned)(st->holder.since_ms % 1000));
	}
	one(fp, "dmz_held", "gauge", "1 if this member holds the DMZ address.",
	    st->dmz.held);
	if (st->dmz.address6[0] != '\0')
		one(fp, "dmz_held6", "gauge",
		    "1 if this member holds the IPv6 DMZ address.",
		    st->dmz.held6);
	head(fp, "dmz_lease_seconds", "gauge",
	    "The lease the holder enforces on the DMZ address; 0: not held.");
	fprintf(fp, "qure_dmz_lease_seconds %" PRIu64 ".%03u\n",
	    st->dmz.lease_ms / 1000, (unsigned)(st->dmz.lease_ms % 1000));
	one(fp, "dmz_guard_restarts_total", "counter",
	    "Restarts of the address guard after it died.",
	    st->dmz.guard_restarts);
}

static void
write_members(FILE *fp, const struct status *st)
{
	size_t i, n = st->n_members;

	if (n > STATUS_MAX_MEMBERS)
		n = STATUS_MAX_MEMBERS;
	one(fp, "members", "gauge",
	    "Members this member knows, itself excluded.", n);
	if (n == 0)
		return;
	head(fp, "member_last_seen_seconds", "gauge",
	    "Seconds since a member was last heard.");
	for (i = 0; i < n; i++) {
		const struct status_member *m = &st->members[i];

		fprintf(fp, "qure_member_last_seen_seconds{name=");
		metrics_write_label(fp, m->name[0] != '\0' ? m->name : m->id);
		fprintf(fp, ",state=");
		metrics_write_label(fp, m->state);
		fprintf(fp, "} %" PRIu64 ".%03u\n", m->last_seen_ms / 1000,
		    (unsigned)(m->last_seen_ms % 1000));
	}
}

static void
write_traffic(FILE *fp, const struct status_counters *c)
{
	one(fp, "rx_datagrams_total", "counter",
	    "Cluster datagrams received and accepted.", c->rx);
	one(fp, "tx_datagrams_total", "counter", "Cluster datagrams sent.",
	    c->tx);
	head(fp, "rx_dropped_total", "counter",
	    "Cluster datagrams dropped, by reason.");
	lsample(fp, "rx_dropped_total", "reason", "auth", c->rx_dropped_auth);
	lsample(fp, "rx_dropped_total", "reason", "malformed",
	    c->rx_dropped_malformed);
	lsample(
	    fp, "rx_dropped_total", "reason", "replay", c->rx_dropped_replay);
	lsample(
	    fp, "rx_dropped_total", "reason", "version", c->rx_dropped_version);
	lsample(fp, "rx_dropped_total", "reason", "ttl", c->rx_dropped_ttl);
	one(fp, "rx_unverified_total", "counter",
	    "Datagrams from a sender not verified yet.", c->rx_unverified);
	one(fp, "challenges_total", "counter", "CHALLENGEs sent.",
	    c->challenges);
	one(fp, "probes_total", "counter",
	    "PROBE tries sent to a silent holder.", c->probes);
	one(fp, "probes_lost_total", "counter",
	    "As holder: members' PROBEs that never came.", c->probes_lost);
	one(fp, "probe_acks_lost_total", "counter",
	    "As holder: PROBEs asked again (an ack was lost).", c->acks_lost);
	one(fp, "loss_handovers_total", "counter",
	    "Handovers for a lossy link.", c->loss_handovers);
	one(fp, "fence_claims_total", "counter",
	    "Claims a fence let in before a lease ran out.", c->fence_claims);
	one(fp, "fence_lapses_total", "counter",
	    "As holder: fences our loop missed.", c->fence_lapses);
	one(fp, "failovers_total", "counter",
	    "Takeovers of the address from a failed holder (election core).",
	    c->failovers);
}

/* Milliseconds as seconds, without trailing zeros: 50 -> 0.05. */
static void
write_seconds(FILE *fp, uint64_t ms)
{
	char frac[8];
	size_t n;

	fprintf(fp, "%" PRIu64, ms / 1000);
	if (ms % 1000 == 0)
		return;
	snprintf(frac, sizeof(frac), "%03u", (unsigned)(ms % 1000));
	for (n = strlen(frac); n > 0 && frac[n - 1] == '0'; n--)
		frac[n - 1] = '\0';
	fprintf(fp, ".%s", frac);
}

static void
write_failovers(FILE *fp, const struct status *st)
{
	static const uint64_t bounds[] = STATUS_FAILOVER_BOUNDS_MS;
	uint64_t cum = 0;
	size_t i, n = st->failovers.n_causes;

	if (n > STATUS_MAX_REASONS)
		n = STATUS_MAX_REASONS;
	head(fp, "holder_changes_total", "counter",
	    "Changes of holder this member saw, by cause.");
	for (i = 0; i < n; i++)
		lsample(fp, "holder_changes_total", "cause",
		    st->failovers.by_cause[i].reason,
		    st->failovers.by_cause[i].n);
	head(fp, "failover_duration_seconds", "histogram",
	    "How long the site had no known holder at a change of holder.");
	for (i = 0; i < STATUS_FAILOVER_BUCKETS; i++) {
		cum += st->failovers.buckets[i];
		fprintf(fp, "qure_failover_duration_seconds_bucket{le=\"");
		if (i < STATUS_FAILOVER_BUCKETS - 1)
			write_seconds(fp, bounds[i]);
		else
			fprintf(fp, "+Inf");
		fprintf(fp, "\"} %" PRIu64 "\n", cum);
	}
	fprintf(fp, "qure_failover_duration_seconds_sum ");
	write_seconds(fp, st->failovers.sum_ms);
	fprintf(fp, "\nqure_failover_duration_seconds_count %" PRIu64 "\n",
	    st->failovers.count);
}

static void
write_hooks_check(FILE *fp, const struct status *st)
{
	one(fp, "hook_runs_total", "counter", "[hooks] scripts started.",
	    st->hooks.runs);
	one(fp, "hook_failures_total", "counter",
	    "[hooks] scripts that failed: not started, exit status not 0, "
	    "killed.",
	    st->hooks.failures);
	one(fp, "hook_timeouts_total", "counter",
	    "[hooks] scripts killed at their timeout.", st->hooks.timeouts);
	if (!st->check.present)
		return;
	head(fp, "check_runs_total", "counter",
	    "Runs of the [dmz] check, by result.");
	lsample(fp, "check_runs_total", "result", "passed", st->check.passed);
	lsample(fp, "check_runs_total", "result", "failed", st->check.failed);
	one(fp, "check_ok", "gauge", "1 if the last [dmz] check passed.",
	    st->check.ok);
}

static void
write_cloud(FILE *fp, const struct status *st)
{
	if (!st->cloud.present)
		return;
	one(fp, "cloud_dns_updates_total", "counter",
	    "[cloud] DNS updates the server accepted.", st->cloud.updates);
	one(fp, "cloud_dns_errors_total", "counter",
	    "[cloud] DNS update cycles that failed.", st->cloud.errors);
	if (st->cloud.reachable_known)
		one(fp, "cloud_reachable", "gauge",
		    "1 if the site can be reached at its public address.",
		    st->cloud.reachable);
}

static void
write_dns(FILE *fp, const struct status *st)
{
	if (!st->dns.present)
		return;
	head(fp, "dns_queries_total", "counter",
	    "Queries to the DNS responder, by transport.");
	lsample(fp, "dns_queries_total", "proto", "udp", st->dns.queries_udp);
	lsample(fp, "dns_queries_total", "proto", "tcp", st->dns.queries_tcp);
	head(fp, "dns_responses_total", "counter",
	    "Responses of the DNS responder, by rcode.");
	lsample(fp, "dns_responses_total", "rcode", "noerror", st->dns.answers);
	lsample(
	    fp, "dns_responses_total", "rcode", "nxdomain", st->dns.nxdomain);
	lsample(fp, "dns_responses_total", "rcode", "refused", st->dns.refused);
	lsample(fp, "dns_responses_total", "rcode", "formerr", st->dns.formerr);
	lsample(fp, "dns_responses_total", "rcode", "notimp", st->dns.notimp);
	one(fp, "dns_dropped_total", "counter",
	    "DNS messages not answered (garbage, responses).", st->dns.dropped);
	one(fp, "dns_truncated_total", "counter", "DNS answers sent truncated.",
	    st->dns.truncated);
	head(fp, "dns_rrl_total", "counter",
	    "UDP answers held back by rate limiting, by action.");
	lsample(fp, "dns_rrl_total", "action", "dropped", st->dns.rrl_dropped);
	lsample(fp, "dns_rrl_total", "action", "slipped", st->dns.rrl_slipped);
	one(fp, "dns_tcp_rejected_total", "counter",
	    "DNS TCP connections over the limit.", st->dns.tcp_rejected);
}

static void
write_store_cluster(FILE *fp, const struct status_store_cluster *c)
{
	if (!c->present)
		return;
	one(fp, "store_coordinating", "gauge",
	    "1 if this member coordinates the site cache.", c->coordinating);
	one(fp, "store_converged", "gauge",
	    "1 if the site cache matches its plan.", c->converged);
	head(fp, "store_slots", "gauge", "Site cache slots, by state.");
	lsample(fp, "store_slots", "state", "assigned", c->slots_assigned);
	lsample(fp, "store_slots", "state", "stuck", c->slots_stuck);
	lsample(fp, "store_slots", "state", "free", c->slots_free);
	lsample(fp, "store_slots", "state", "off_target", c->slots_off_target);
	one(fp, "store_coordinator_actions_total", "counter",
	    "Actions the coordinator took.", c->actions);
	one(fp, "store_coordinator_failures_total", "counter",
	    "Actions of the coordinator that failed.", c->failures);
	one(fp, "store_slots_moved_total", "counter", "Site cache slots moved.",
	    c->moves);
	one(fp, "store_takeovers_total", "counter",
	    "Site cache failovers of a dead member's masters.", c->takeovers);
}

static void
write_store(FILE *fp, const struct status *st)
{
	size_t i, n = st->store.n_instances;
	char port[8];

	if (!st->store.enabled)
		return;
	if (n > STATUS_MAX_STORE)
		n = STATUS_MAX_STORE;
	head(fp, "store_instance_up", "gauge",
	    "1 if a redis-server instance answers PING, by port.");
	for (i = 0; i < n; i++) {
		snprintf(port, sizeof(port), "%u", st->store.instances[i].port);
		lsample(fp, "store_instance_up", "port", port,
		    st->store.instances[i].up);
	}
	head(fp, "store_instance_restarts_total", "counter",
	    "Restarts of a redis-server instance, by port.");
	for (i = 0; i < n; i++) {
		snprintf(port, sizeof(port), "%u", st->store.instances[i].port);
		lsample(fp, "store_instance_restarts_total", "port", port,
		    st->store.instances[i].restarts);
	}
	write_store_cluster(fp, &st->store.cluster);
}

static void
write_http(FILE *fp, const struct status *st)
{
	if (!st->http.present)
		return;
	head(fp, "http_requests_total", "counter",
	    "Requests the [http] listener answered, by status code.");
	lsample(fp, "http_requests_total", "code", "200", st->http.ok);
	lsample(fp, "http_requests_total", "code", "404", st->http.not_found);
	lsample(fp, "http_requests_total", "code", "405", st->http.bad_method);
	lsample(fp, "http_requests_total", "code", "503", st->http.limited);
}

static void
write_misc(FILE *fp, const struct status *st)
{
	one(fp, "persist_ok", "gauge",
	    "1 if the last write of the state dir landed.", st->persist.ok);
	one(fp, "conflict", "gauge",
	    "1 if a foreign host or a mismatched member claims the DMZ "
	    "address.",
	    st->conflict[0] != '\0');
	one(fp, "site_settings", "gauge", "Site settings (unsets included).",
	    st->site.settings);
	one(fp, "site_rx_bad_total", "counter",
	    "Site settings refused from members.", st->site.rx_bad);
	one(fp, "discovery_txt_rejected_total", "counter",
	    "DNS-SD TXT records ignored as malformed.",
	    st->discovery.txt_rejected);
}

int
metrics_write(const struct status *st, FILE *fp)
{
	write_node(fp, st);
	write_holder(fp, st);
	write_members(fp, st);
	write_traffic(fp, &st->counters);
	write_failovers(fp, st);
	write_hooks_check(fp, st);
	write_cloud(fp, st);
	write_dns(fp, st);
	write_store(fp, st);
	write_http(fp, st);
	write_misc(fp, st);
	return ferror(fp) ? -1 : 0;
}
