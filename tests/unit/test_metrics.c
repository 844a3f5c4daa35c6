#include "config.h"

#include <sys/wait.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "src/metrics.h"
#include "src/status.h"

/* A standby that saw two changes of holder (h3 died: 240 ms; a
 * handover: 80 ms), with hooks, a check, [cloud] and [dns] on. */
static void
fill(struct status *st)
{
	memset(st, 0, sizeof(*st));
	snprintf(st->node.id, sizeof(st->node.id), "%s",
	    "00112233445566778899aabbccddeeff");
	snprintf(st->node.name, sizeof(st->node.name), "h1");
	snprintf(st->node.state, sizeof(st->node.state), "standby");
	st->node.priority = 100;
	st->epoch = 7;
	st->holder.present = true;
	snprintf(st->holder.name, sizeof(st->holder.name), "h2");
	snprintf(st->holder.id, sizeof(st->holder.id), "%s",
	    "ffeeddccbbaa99887766554433221100");
	snprintf(st->holder.address, sizeof(st->holder.address), "10.0.0.12");
	st->holder.since_ms = 1796520000500;
	snprintf(st->dmz.address, sizeof(st->dmz.address), "192.168.1.11/24");
	st->n_members = 2;
	snprintf(st->members[0].name, STATUS_NAME_LEN, "h2");
	snprintf(st->members[0].state, STATUS_STATE_LEN, "holder");
	st->members[0].last_seen_ms = 140;
	snprintf(st->members[1].id, STATUS_ID_LEN, "0123");
	snprintf(st->members[1].state, STATUS_STATE_LEN, "standby");
	st->members[1].last_seen_ms = 2500;
	st->counters.rx = 1000;
	st->counters.tx = 900;
	st->counters.rx_dropped_auth = 3;
	st->counters.rx_dropped_ttl = 2;
	st->counters.probes = 5;
	snprintf(
	    st->failovers.by_cause[0].reason, STATUS_REASON_LEN, "holder_dead");
	st->failovers.by_cause[0].n = 1;
	snprintf(
	    st->failovers.by_cause[1].reason, STATUS_REASON_LEN, "handover");
	st->failovers.by_cause[1].n = 1;
	st->failovers.n_causes = 2;
	st->failovers.buckets[1] = 1; /* 80 ms: <= 100 */
	st->failovers.buckets[3] = 1; /* 240 ms: <= 300 */
	st->failovers.count = 2;
	st->failovers.sum_ms = 320;
	st->hooks.runs = 3;
	st->hooks.failures = 1;
	st->hooks.timeouts = 1;
	st->check.present = true;
	st->check.passed = 40;
	st->check.failed = 2;
	st->check.ok = true;
	st->cloud.present = true;
	st->cloud.updates = 4;
	st->cloud.errors = 1;
	st->dns.present = true;
	st->dns.queries_udp = 10;
	st->dns.answers = 9;
	st->http.present = true;
	st->http.ok = 12;
	st->http.limited = 5;
	st->persist.ok = true;
}

/* The rendering as one NUL-terminated string (free()). */
static char *
render(const struct status *st)
{
	char *text = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&text, &len);

	assert_non_null(fp);
	assert_int_equal(metrics_write(st, fp), 0);
	assert_int_equal(fclose(fp), 0);
	return text;
}

static void
assert_line(const char *text, const char *line)
{
	char want[512];

	snprintf(want, sizeof(want), "\n%s\n", line);
	if (strstr(text, want) == NULL)
		fail_msg("no line \"%s\" in:\n%s", line, text);
}

static void
every_state_has_a_gauge_and_only_the_current_is_1(void **state)
{
	struct status st;
	char *t;

	(void)state;
	fill(&st);
	t = render(&st);
	assert_line(t, "qure_node_state{state=\"standby\"} 1");
	assert_line(t, "qure_node_state{state=\"holder\"} 0");
	assert_line(t, "qure_node_state{state=\"unconfigured\"} 0");
	assert_line(t, "# TYPE qure_node_state gauge");
	assert_line(t, "qure_epoch 7");
	assert_line(t, "qure_holder_present 1");
	assert_line(t, "qure_holder_info{name=\"h2\","
		       "id=\"ffeeddccbbaa99887766554433221100\","
		       "address=\"10.0.0.12\"} 1");
	assert_line(t, "qure_holder_since_seconds 1796520000.500");
	assert_line(t, "qure_members 2");
	/* A member without a name goes by its id. */
	assert_line(t,
	    "qure_member_last_seen_seconds{name=\"0123\",state=\"standby\"} "
	    "2.500");
	free(t);
}

static void
drops_are_one_counter_with_a_reason_label(void **state)
{
	struct status st;
	char *t;

	(void)state;
	fill(&st);
	t = render(&st);
	assert_line(t, "# TYPE qure_rx_dropped_total counter");
	assert_line(t, "qure_rx_dropped_total{reason=\"auth\"} 3");
	assert_line(t, "qure_rx_dropped_total{reason=\"ttl\"} 2");
	assert_line(t, "qure_rx_dropped_total{reason=\"replay\"} 0");
	assert_line(t, "qure_rx_datagrams_total 1000");
	assert_line(t, "qure_probes_total 5");
	free(t);
}

static void
the_failover_histogram_is_cumulative_in_seconds_up_to_inf(void **state)
{
	struct status st;
	char *t;

	(void)state;
	fill(&st);
	t = render(&st);
	assert_line(t, "# TYPE qure_failover_duration_seconds histogram");
	assert_line(t, "qure_failover_duration_seconds_bucket{le=\"0.05\"} 0");
	assert_line(t, "qure_failover_duration_seconds_bucket{le=\"0.1\"} 1");
	assert_line(t, "qure_failover_duration_seconds_bucket{le=\"0.2\"} 1");
	assert_line(t, "qure_failover_duration_seconds_bucket{le=\"0.3\"} 2");
	assert_line(t, "qure_failover_duration_seconds_bucket{le=\"0.75\"} 2");
	assert_line(t, "qure_failover_duration_seconds_bucket{le=\"5\"} 2");
	assert_line(t, "qure_failover_duration_seconds_bucket{le=\"+Inf\"} 2");
	assert_line(t, "qure_failover_duration_seconds_sum 0.32");
	assert_line(t, "qure_failover_duration_seconds_count 2");
	assert_line(t, "qure_holder_changes_total{cause=\"holder_dead\"} 1");
	assert_line(t, "qure_holder_changes_total{cause=\"handover\"} 1");
	free(t);
}

static void
hooks_check_cloud_and_dns_have_their_counters(void **state)
{
	struct status st;
	char *t;

	(void)state;
	fill(&st);
	t = render(&st);
	assert_line(t, "qure_hook_runs_total 3");
	assert_line(t, "qure_hook_failures_total 1");
	assert_line(t, "qure_hook_timeouts_total 1");
	assert_line(t, "qure_check_runs_total{result=\"passed\"} 40");
	assert_line(t, "qure_check_runs_total{result=\"failed\"} 2");
	assert_line(t, "qure_check_ok 1");
	assert_line(t, "qure_cloud_dns_updates_total 4");
	assert_line(t, "qure_cloud_dns_errors_total 1");
	assert_line(t, "qure_dns_queries_total{proto=\"udp\"} 10");
	assert_line(t, "qure_dns_responses_total{rcode=\"noerror\"} 9");
	assert_line(t, "qure_http_requests_total{code=\"200\"} 12");
	assert_line(t, "qure_http_requests_total{code=\"503\"} 5");
	free(t);
}

static void
parts_that_are_off_are_left_out(void **state)
{
	struct status st;
	char *t;

	(void)state;
	fill(&st);
	st.check.present = false;
	st.cloud.present = false;
	st.dns.present = false;
	st.holder.present = false;
	st.http.present = false;
	t = render(&st);
	assert_null(strstr(t, "qure_check_"));
	assert_null(strstr(t, "qure_http_"));
	assert_null(strstr(t, "qure_cloud_"));
	assert_null(strstr(t, "qure_dns_"));
	assert_null(strstr(t, "qure_store_"));
	assert_null(strstr(t, "qure_holder_info"));
	assert_null(strstr(t, "qure_holder_since_seconds"));
	assert_line(t, "qure_holder_present 0");
	free(t);
}

static void
label_values_are_escaped_and_made_utf8(void **state)
{
	struct status st;
	char *t;

	(void)state;
	fill(&st);
	/* A name off the wire: quote, backslash, newline, a bad byte, and
	 * a real UTF-8 letter that stays. */
	snprintf(st.members[0].name, STATUS_NAME_LEN, "a\"b\\c\nd\xff\xc3\xa9");
	snprintf(st.failovers.by_cause[0].reason, STATUS_REASON_LEN, "x\"y");
	t = render(&st);
	assert_line(t, "qure_member_last_seen_seconds{name=\"a\\\"b\\\\c\\nd?"
		       "\xc3\xa9\",state=\"holder\"} 0.140");
	assert_line(t, "qure_holder_changes_total{cause=\"x\\\"y\"} 1");
	free(t);
}

static void
every_family_has_help_and_type_before_its_samples(void **state)
{
	struct status st;
	char *t, *line, *save = NULL;
	char typed[128] = "";

	(void)state;
	fill(&st);
	t = render(&st);
	for (line = strtok_r(t, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, "# TYPE ", 7) == 0) {
			snprintf(typed, sizeof(typed), "%.*s",
			    (int)strcspn(line + 7, " "), line + 7);
			continue;
		}
		if (line[0] == '#')
			continue;
		assert_int_equal(strncmp(line, "qure_", 5), 0);
		if (strncmp(line, typed, strlen(typed)) != 0)
			fail_msg(
			    "sample \"%s\" outside family %s", line, typed);
	}
	free(t);
}

/* promtool (Debian's prometheus package) lints the whole rendering. */
static void
promtool_check_metrics_accepts_the_rendering(void **state)
{
	struct status st;
	char path[] = "/tmp/qure-metrics-XXXXXX";
	char cmd[256];
	char *t;
	int fd, rc;
	FILE *fp;

	(void)state;
	if (system("command -v promtool >/dev/null 2>&1") != 0) {
		fprintf(stderr, "promtool not installed (Debian package "
				"prometheus, scripts/deps.sh): skipped\n");
		skip();
	}
	fill(&st);
	st.store.enabled = true;
	st.store.n_instances = 1;
	st.store.instances[0].port = 6379;
	st.store.cluster.present = true;
	t = render(&st);
	fd = mkstemp(path);
	assert_true(fd != -1);
	fp = fdopen(fd, "w");
	assert_non_null(fp);
	fputs(t, fp);
	assert_int_equal(fclose(fp), 0);
	snprintf(cmd, sizeof(cmd), "promtool check metrics < %s", path);
	rc = system(cmd);
	unlink(path);
	free(t);
	assert_true(WIFEXITED(rc));
	assert_int_equal(WEXITSTATUS(rc), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(every_state_has_a_gauge_and_only_the_current_is_1),
	    cmocka_unit_test(drops_are_one_counter_with_a_reason_label),
	    cmocka_unit_test(
		the_failover_histogram_is_cumulative_in_seconds_up_to_inf),
	    cmocka_unit_test(hooks_check_cloud_and_dns_have_their_counters),
	    cmocka_unit_test(parts_that_are_off_are_left_out),
	    cmocka_unit_test(label_values_are_escaped_and_made_utf8),
	    cmocka_unit_test(every_family_has_help_and_type_before_its_samples),
	    cmocka_unit_test(promtool_check_metrics_accepts_the_rendering),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
