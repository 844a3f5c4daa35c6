/*
 * tests/unit/test_hostd_core.c — qure-hostd's pure core
 * (vm/hostd_core.h): when a VM is started, recycled, given up; the
 * drivers' commands, expanded; the hypervisors' answers, read.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "vm/hostd_core.h"

static struct hostd_timing T;

static int
setup(void **state)
{
	(void)state;
	hostd_timing_default(&T);
	return 0;
}

/* A VM started at `at` (the START asked and done). */
static void
started_at(struct hostd_vm *vm, uint64_t at)
{
	struct hostd_act a = hostd_vm_step(vm, &T, false, at);

	assert_int_equal(a.type, HOSTD_START);
	hostd_vm_started(vm, &T, true, "", at);
	assert_int_equal(vm->state, HOSTD_BOOTING);
}

static void
a_kept_vm_starts_boots_and_is_up_once_heard(void **state)
{
	struct hostd_vm vm;
	uint64_t t;

	(void)state;
	hostd_vm_init(&vm, "vm1");
	started_at(&vm, 1000);
	assert_int_equal(hostd_vm_step(&vm, &T, true, 2000).type, HOSTD_NONE);
	hostd_vm_heard(&vm, 30000);
	assert_int_equal(hostd_vm_step(&vm, &T, true, 30100).type, HOSTD_NONE);
	assert_int_equal(vm.state, HOSTD_UP);
	for (t = 30100; t < 100000; t += 500) { /* heard every second */
		if (t % 1000 == 100)
			hostd_vm_heard(&vm, t);
		assert_int_equal(
		    hostd_vm_step(&vm, &T, true, t).type, HOSTD_NONE);
	}
	assert_int_equal(vm.starts, 1);
	assert_int_equal(vm.restarts, 0);
}

static void
a_booting_vm_is_recycled_only_after_the_boot_timeout(void **state)
{
	struct hostd_vm vm;
	struct hostd_act a;

	(void)state;
	hostd_vm_init(&vm, "vm1");
	started_at(&vm, 0);
	/* Silent for far longer than vm-dead-after: still booting. */
	a = hostd_vm_step(&vm, &T, true, T.boot_timeout_ms - 1);
	assert_int_equal(a.type, HOSTD_NONE);
	a = hostd_vm_step(&vm, &T, true, T.boot_timeout_ms);
	assert_int_equal(a.type, HOSTD_STOP);
	assert_non_null(strstr(a.reason, "not heard within 120 s"));
	assert_int_equal(vm.state, HOSTD_DOWN);
	/* Started again after the first backoff (1 s), not before. */
	a = hostd_vm_step(&vm, &T, false, T.boot_timeout_ms + 999);
	assert_int_equal(a.type, HOSTD_NONE);
	a = hostd_vm_step(&vm, &T, false, T.boot_timeout_ms + 1000);
	assert_int_equal(a.type, HOSTD_START);
	hostd_vm_started(&vm, &T, true, "", T.boot_timeout_ms + 1000);
	assert_int_equal(vm.restarts, 1);
}

static void
an_up_vm_is_recycled_dead_after_its_last_hearing(void **state)
{
	struct hostd_vm vm;
	struct hostd_act a;

	(void)state;
	hostd_vm_init(&vm, "vm1");
	started_at(&vm, 0);
	hostd_vm_heard(&vm, 20000);
	hostd_vm_heard(&vm, 50000);
	(void)hostd_vm_step(&vm, &T, true, 50000);
	a = hostd_vm_step(&vm, &T, true, 50000 + T.dead_after_ms - 1);
	assert_int_equal(a.type, HOSTD_NONE);
	a = hostd_vm_step(&vm, &T, true, 50000 + T.dead_after_ms);
	assert_int_equal(a.type, HOSTD_STOP);
	assert_non_null(strstr(a.reason, "not heard for 10000 ms"));
}

/*
 * The CI failure of issue 12: a standby without ALIVEs speaks every
 * hello-interval (10 s, as long as vm-dead-after); a HELLO 500 ms late
 * made its age 10.5 s and it was recycled while healthy. Listed, it
 * counts as heard now; dropped by the cluster (three silent
 * hello-intervals), vm-dead-after counts from its last listing.
 */
static void
a_vm_without_alives_is_heard_while_the_cluster_lists_it(void **state)
{
	struct hostd_vm vm;
	struct hostd_act a;
	uint64_t now;

	(void)state;
	hostd_vm_init(&vm, "vm1");
	started_at(&vm, 0);
	for (now = 1000; now <= 60000; now += 500) {
		uint64_t age = (now - 1000) % 10500; /* HELLOs 10.5 s apart */

		hostd_vm_listed(&vm, &T, now, age, 0);
		a = hostd_vm_step(&vm, &T, true, now);
		assert_int_equal(a.type, HOSTD_NONE);
	}
	assert_int_equal(vm.state, HOSTD_UP);
	/* no longer listed from 60 s on */
	a = hostd_vm_step(&vm, &T, true, 60000 + T.dead_after_ms - 1);
	assert_int_equal(a.type, HOSTD_NONE);
	a = hostd_vm_step(&vm, &T, true, 60000 + T.dead_after_ms);
	assert_int_equal(a.type, HOSTD_STOP);
}

/* Listed at 50 s, last heard 4 s before, with ALIVEs every alive_ms:
 * when it counts as heard. */
static uint64_t
heard_when_listed(uint64_t alive_ms)
{
	struct hostd_vm vm;

	hostd_vm_init(&vm, "vm1");
	started_at(&vm, 0);
	hostd_vm_listed(&vm, &T, 50000, 4000, alive_ms);
	return vm.last_heard_ms;
}

static void
only_alives_three_times_within_dead_after_make_the_age_count(void **state)
{
	(void)state;
	assert_false(hostd_judged_by_age(&T, 0));
	assert_true(hostd_judged_by_age(&T, 100));
	assert_true(hostd_judged_by_age(&T, 1000));
	assert_true(hostd_judged_by_age(&T, T.dead_after_ms / 3));
	assert_false(hostd_judged_by_age(&T, T.dead_after_ms / 3 + 1));
	assert_int_equal(heard_when_listed(1000), 46000);
	assert_int_equal(heard_when_listed(0), 50000);
	assert_int_equal(heard_when_listed(5000), 50000);
}

/* Recycled, its previous boot (no ALIVEs) still listed by the cluster
 * for up to three hello-intervals: that listing does not make the new
 * boot up; its own first word does. */
static void
a_listing_of_the_previous_boot_does_not_make_a_new_one_up(void **state)
{
	struct hostd_vm vm;

	(void)state;
	hostd_vm_init(&vm, "vm1");
	started_at(&vm, 100000);
	hostd_vm_listed(&vm, &T, 105000, 6000, 0); /* heard at 99 s */
	(void)hostd_vm_step(&vm, &T, true, 105000);
	assert_int_equal(vm.state, HOSTD_BOOTING);
	assert_int_equal(vm.first_heard_ms, 0);
	hostd_vm_listed(&vm, &T, 130000, 200, 0); /* the new boot speaks */
	(void)hostd_vm_step(&vm, &T, true, 130000);
	assert_int_equal(vm.state, HOSTD_UP);
	assert_int_equal(vm.last_heard_ms, 130000);
}

static void
a_hearing_from_before_the_start_is_the_old_boot(void **state)
{
	struct hostd_vm vm;

	(void)state;
	hostd_vm_init(&vm, "vm1");
	started_at(&vm, 100000);
	hostd_vm_heard(&vm, 99000); /* the previous boot, still listed */
	(void)hostd_vm_step(&vm, &T, true, 100500);
	assert_int_equal(vm.state, HOSTD_BOOTING);
	assert_int_equal(vm.first_heard_ms, 0);
}

static void
a_vm_that_stops_by_itself_is_started_again_after_backoff(void **state)
{
	struct hostd_vm vm;
	struct hostd_act a;

	(void)state;
	hostd_vm_init(&vm, "vm1");
	started_at(&vm, 0);
	hostd_vm_heard(&vm, 30000);
	(void)hostd_vm_step(&vm, &T, true, 30000);
	a = hostd_vm_step(&vm, &T, false, 40000); /* killed */
	assert_int_equal(a.type, HOSTD_NONE);	  /* nothing to stop */
	assert_non_null(strstr(a.reason, "stopped running"));
	assert_int_equal(hostd_vm_step(&vm, &T, false, 40999).type, HOSTD_NONE);
	assert_int_equal(
	    hostd_vm_step(&vm, &T, false, 41000).type, HOSTD_START);
}

/* Fails it once more (booted, never heard) at now; returns the next
 * start's time. */
static uint64_t
fail_once(struct hostd_vm *vm, uint64_t now)
{
	struct hostd_act a = hostd_vm_step(vm, &T, false, now);
	uint64_t t;

	assert_int_equal(a.type, HOSTD_START);
	hostd_vm_started(vm, &T, true, "", now);
	a = hostd_vm_step(vm, &T, true, now + T.boot_timeout_ms);
	if (a.type == HOSTD_GIVE_UP)
		return 0;
	assert_int_equal(a.type, HOSTD_STOP);
	for (t = now + T.boot_timeout_ms;; t += 500)
		if (hostd_vm_step(vm, &T, false, t).type == HOSTD_START)
			return t;
}

static void
the_backoff_doubles_and_a_broken_vm_is_given_up(void **state)
{
	struct hostd_vm vm;
	uint64_t now = 0, next;
	uint64_t want[] = {1000, 2000, 4000, 8000, 16000};
	size_t i;

	(void)state;
	hostd_vm_init(&vm, "broken");
	for (i = 0; i < 5; i++) {
		next = fail_once(&vm, now);
		assert_int_equal(next - (now + T.boot_timeout_ms), want[i]);
		now = next;
	}
	/* The sixth failure in a row: given up, never started again. */
	assert_int_equal(fail_once(&vm, now), 0);
	assert_int_equal(vm.state, HOSTD_FAILED);
	assert_non_null(strstr(vm.reason, "failed: "));
	assert_non_null(strstr(vm.reason, "6 times in a row"));
	assert_int_equal(
	    hostd_vm_step(&vm, &T, false, now + 3600000).type, HOSTD_NONE);
	assert_int_equal(
	    hostd_vm_step(&vm, &T, true, now + 3600000).type, HOSTD_GIVE_UP);
}

static void
the_backoff_is_capped(void **state)
{
	struct hostd_vm vm;
	uint64_t now = 0, next;
	unsigned i;

	(void)state;
	T.max_restarts = 20;
	T.backoff_max_ms = 5000;
	hostd_vm_init(&vm, "vm1");
	for (i = 0; i < 8; i++) {
		next = fail_once(&vm, now);
		assert_true(next - (now + T.boot_timeout_ms) <= 5000);
		now = next;
	}
	hostd_timing_default(&T);
}

static void
a_stable_run_forgets_the_failures(void **state)
{
	struct hostd_vm vm;
	uint64_t now = 0, t;

	(void)state;
	hostd_vm_init(&vm, "vm1");
	now = fail_once(&vm, now);
	now = fail_once(&vm, now);
	assert_int_equal(vm.in_a_row, 2);
	hostd_vm_started(&vm, &T, true, "", now);
	for (t = now; t <= now + T.stable_ms + 1000; t += 1000) {
		hostd_vm_heard(&vm, t);
		(void)hostd_vm_step(&vm, &T, true, t);
	}
	assert_int_equal(vm.in_a_row, 0);
	/* The next failure waits the first backoff again. */
	assert_int_equal(hostd_vm_step(&vm, &T, false, t).type, HOSTD_NONE);
	assert_int_equal(
	    hostd_vm_step(&vm, &T, false, t + 1000).type, HOSTD_START);
}

static void
a_running_vm_found_at_start_is_kept_not_started(void **state)
{
	struct hostd_vm vm;

	(void)state;
	hostd_vm_init(&vm, "vm1");
	assert_int_equal(hostd_vm_step(&vm, &T, true, 5000).type, HOSTD_NONE);
	assert_int_equal(vm.state, HOSTD_BOOTING);
	assert_int_equal(vm.started_ms, 5000);
}

static void
a_vm_still_running_after_its_stop_is_stopped_again(void **state)
{
	struct hostd_vm vm;
	struct hostd_act a;

	(void)state;
	hostd_vm_init(&vm, "vm1");
	started_at(&vm, 0);
	a = hostd_vm_step(&vm, &T, true, T.boot_timeout_ms);
	assert_int_equal(a.type, HOSTD_STOP);
	a = hostd_vm_step(&vm, &T, true, T.boot_timeout_ms + 2000);
	assert_int_equal(a.type, HOSTD_STOP);
	assert_non_null(strstr(a.reason, "still running after its stop"));
	assert_int_equal(vm.state, HOSTD_DOWN);
}

static void
a_failed_start_backs_off_and_says_why(void **state)
{
	struct hostd_vm vm;

	(void)state;
	hostd_vm_init(&vm, "vm1");
	assert_int_equal(hostd_vm_step(&vm, &T, false, 0).type, HOSTD_START);
	hostd_vm_started(&vm, &T, false, "vmrun: exit 255", 0);
	assert_int_equal(vm.state, HOSTD_DOWN);
	assert_string_equal(vm.reason, "start failed: vmrun: exit 255");
	assert_int_equal(hostd_vm_step(&vm, &T, false, 999).type, HOSTD_NONE);
	assert_int_equal(hostd_vm_step(&vm, &T, false, 1000).type, HOSTD_START);
	assert_int_equal(vm.starts, 0);
}

/* ---- commands ---- */

static const char *
expand(const char *tmpl, const struct hostd_vars *v, char *buf, size_t len,
    char *err)
{
	static char joined[HOSTD_CMD_LEN * 2];
	char *argv[HOSTD_ARGV_MAX];
	int n, i;

	n = hostd_expand(tmpl, v, buf, len, argv, err, 200);
	if (n < 0)
		return NULL;
	joined[0] = '\0';
	for (i = 0; i < n; i++) {
		if (i > 0)
			strcat(joined, "|");
		strcat(joined, argv[i]);
	}
	assert_null(argv[n]);
	return joined;
}

static void
the_vmrun_and_virsh_commands_are_the_documented_ones(void **state)
{
	struct hostd_vars v = {.name = "vm1", .vmx = "/vms/a b/qure.vmx"};
	char buf[HOSTD_CMD_LEN], err[200];

	(void)state;
	assert_string_equal(hostd_template(HOSTD_VMRUN, HOSTD_OP_START),
	    "vmrun -T player start {vmx} nogui");
	assert_string_equal(hostd_template(HOSTD_VMRUN, HOSTD_OP_STOP),
	    "vmrun -T player stop {vmx} hard");
	assert_string_equal(hostd_template(HOSTD_VMRUN, HOSTD_OP_STATUS),
	    "vmrun -T player list");
	assert_string_equal(
	    hostd_template(HOSTD_VIRSH, HOSTD_OP_STOP), "virsh destroy {name}");
	/* A path with a space is refused, not split (no shell). */
	assert_null(expand(hostd_template(HOSTD_VMRUN, HOSTD_OP_START), &v, buf,
	    sizeof(buf), err));
	assert_non_null(strstr(err, "{vmx} has a space"));
	v.vmx = "/vms/vm1/qure.vmx";
	assert_string_equal(expand(hostd_template(HOSTD_VMRUN, HOSTD_OP_START),
				&v, buf, sizeof(buf), err),
	    "vmrun|-T|player|start|/vms/vm1/qure.vmx|nogui");
	assert_string_equal(expand(hostd_template(HOSTD_VIRSH, HOSTD_OP_STATUS),
				&v, buf, sizeof(buf), err),
	    "virsh|domstate|vm1");
}

static void
args_are_words_of_their_own_and_may_be_empty(void **state)
{
	struct hostd_vars v = {.name = "vm2",
	    .disk = "/var/lib/qure-hostd/vm2.qcow2",
	    .pidfile = "/run/qure-hostd/vm2.pid",
	    .conf = "/run/qure-hostd/vm2.conf",
	    .key = "/etc/qured/cluster.key",
	    .args = "  -accel kvm  -nic bridge,br=br0 "};
	char buf[HOSTD_CMD_LEN], err[200];
	const char *s;

	(void)state;
	s = expand(hostd_template(HOSTD_QEMU, HOSTD_OP_START), &v, buf,
	    sizeof(buf), err);
	assert_non_null(s);
	assert_non_null(strstr(s, "|-name|vm2|"));
	assert_non_null(
	    strstr(s, "|file=/var/lib/qure-hostd/vm2.qcow2,if=virtio|"));
	assert_non_null(strstr(
	    s, "|name=opt/qure/qured.conf,file=/run/qure-hostd/vm2.conf|"));
	assert_non_null(strstr(
	    s, "|name=opt/qure/cluster.key,file=/etc/qured/cluster.key|"));
	assert_non_null(strstr(s, "|-accel|kvm|-nic|bridge,br=br0"));
	v.args = NULL;
	s = expand(hostd_template(HOSTD_QEMU, HOSTD_OP_START), &v, buf,
	    sizeof(buf), err);
	assert_non_null(s);
	assert_int_equal(s[strlen(s) - 1] != '|', 1);
}

static void
args_may_name_the_vars_and_each_vm_has_its_own_mac(void **state)
{
	char m1[18], m2[18], m3[18], buf[HOSTD_CMD_LEN], err[200];
	struct hostd_vars v = {.name = "qure-2",
	    .mac = m2,
	    .args = "-netdev tap,id=n0,ifname=t-{name} "
		    "-device virtio-net-pci,netdev=n0,mac={mac}"};
	const char *s;

	(void)state;
	hostd_mac("qure-1", m1);
	hostd_mac("qure-2", m2);
	hostd_mac("qure-3", m3);
	assert_int_equal(strlen(m1), 17);
	assert_int_equal(strncmp(m1, "52:54:00:", 9), 0);
	assert_string_not_equal(m1, m2);
	assert_string_not_equal(m2, m3);
	assert_string_not_equal(m1, m3);
	hostd_mac("qure-1", m3); /* the same on every run */
	assert_string_equal(m1, m3);
	s = expand("q {args}", &v, buf, sizeof(buf), err);
	assert_non_null(s);
	assert_non_null(strstr(s, "|tap,id=n0,ifname=t-qure-2|"));
	assert_non_null(strstr(s, m2));
	v.args = "x {args}";
	assert_null(expand("q {args}", &v, buf, sizeof(buf), err));
	assert_string_equal(err, "{args} in args");
}

static void
a_bad_template_or_value_is_an_error_that_says_which(void **state)
{
	struct hostd_vars v = {.name = "vm1", .vmx = "/x.vmx"};
	char buf[64], err[200], big[HOSTD_CMD_LEN];
	char bad[8] = {'a', 0x1b, 0};
	size_t i;

	(void)state;
	assert_null(expand("start {vnx}", &v, buf, sizeof(buf), err));
	assert_non_null(strstr(err, "unknown {vnx}"));
	assert_null(expand("start {disk}", &v, buf, sizeof(buf), err));
	assert_string_equal(err, "{disk} is empty for this VM");
	assert_null(expand("start {name", &v, buf, sizeof(buf), err));
	assert_non_null(strstr(err, "without '}'"));
	assert_null(expand("start name}", &v, buf, sizeof(buf), err));
	assert_non_null(strstr(err, "without '{'"));
	assert_null(expand("   ", &v, buf, sizeof(buf), err));
	assert_string_equal(err, "an empty command");
	v.name = bad;
	assert_null(expand("x {name}", &v, buf, sizeof(buf), err));
	assert_non_null(strstr(err, "control byte"));
	v.name = "vm1";
	assert_null(expand("0123456789 0123456789 0123456789 0123456789 "
			   "0123456789 0123456789",
	    &v, buf, sizeof(buf), err));
	assert_non_null(strstr(err, "over 63 bytes"));
	for (i = 0; i + 2 < sizeof(big) && i < 2 * HOSTD_ARGV_MAX; i += 2)
		big[i] = 'w', big[i + 1] = ' ';
	big[i] = '\0';
	assert_null(
	    expand(big, &v, (char[HOSTD_CMD_LEN]){0}, HOSTD_CMD_LEN, err));
	assert_non_null(strstr(err, "over 63 words"));
}

static void
vmrun_list_and_virsh_domstate_are_read_exactly(void **state)
{
	(void)state;
	assert_true(hostd_vmrun_lists(
	    "Total running VMs: 2\n/vms/vm1/qure.vmx\n/vms/vm2/qure.vmx\n",
	    "/vms/vm2/qure.vmx"));
	assert_true(
	    hostd_vmrun_lists("Total running VMs: 1\r\n/vms/vm1/qure.vmx\r\n",
		"/vms/vm1/qure.vmx"));
	assert_true(hostd_vmrun_lists(
	    "Total running VMs: 1\n/vms/vm1/qure.vmx", "/vms/vm1/qure.vmx"));
	/* A prefix is not the VM: vm1 is not vm10. */
	assert_false(hostd_vmrun_lists(
	    "Total running VMs: 1\n/vms/vm10/qure.vmx\n", "/vms/vm1"));
	assert_false(hostd_vmrun_lists("Total running VMs: 0\n", "/x.vmx"));
	assert_false(hostd_vmrun_lists("", "/x.vmx"));
	assert_false(hostd_vmrun_lists("/x.vmx\n", ""));
	assert_true(hostd_virsh_running("running\n\n"));
	assert_false(hostd_virsh_running("shut off\n"));
	assert_false(hostd_virsh_running("running-ish\n"));
	assert_false(hostd_virsh_running(""));
}

static void
drivers_have_names(void **state)
{
	enum hostd_driver d;
	const char *names[] = {"vmrun", "qemu", "virsh", "command"};
	size_t i;

	(void)state;
	for (i = 0; i < 4; i++) {
		assert_int_equal(hostd_driver_parse(names[i], &d), 0);
		assert_string_equal(hostd_driver_name(d), names[i]);
	}
	assert_int_equal(hostd_driver_parse("vmware", &d), -1);
	assert_int_equal(hostd_driver_parse("", &d), -1);
	assert_string_equal(hostd_state_name(HOSTD_FAILED), "failed");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(a_kept_vm_starts_boots_and_is_up_once_heard),
	    cmocka_unit_test(
		a_booting_vm_is_recycled_only_after_the_boot_timeout),
	    cmocka_unit_test(an_up_vm_is_recycled_dead_after_its_last_hearing),
	    cmocka_unit_test(
		a_vm_without_alives_is_heard_while_the_cluster_lists_it),
	    cmocka_unit_test(
		only_alives_three_times_within_dead_after_make_the_age_count),
	    cmocka_unit_test(
		a_listing_of_the_previous_boot_does_not_make_a_new_one_up),
	    cmocka_unit_test(a_hearing_from_before_the_start_is_the_old_boot),
	    cmocka_unit_test(
		a_vm_that_stops_by_itself_is_started_again_after_backoff),
	    cmocka_unit_test(the_backoff_doubles_and_a_broken_vm_is_given_up),
	    cmocka_unit_test(the_backoff_is_capped),
	    cmocka_unit_test(a_stable_run_forgets_the_failures),
	    cmocka_unit_test(a_running_vm_found_at_start_is_kept_not_started),
	    cmocka_unit_test(
		a_vm_still_running_after_its_stop_is_stopped_again),
	    cmocka_unit_test(a_failed_start_backs_off_and_says_why),
	    cmocka_unit_test(
		the_vmrun_and_virsh_commands_are_the_documented_ones),
	    cmocka_unit_test(args_are_words_of_their_own_and_may_be_empty),
	    cmocka_unit_test(
		args_may_name_the_vars_and_each_vm_has_its_own_mac),
	    cmocka_unit_test(
		a_bad_template_or_value_is_an_error_that_says_which),
	    cmocka_unit_test(vmrun_list_and_virsh_domstate_are_read_exactly),
	    cmocka_unit_test(drivers_have_names),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
