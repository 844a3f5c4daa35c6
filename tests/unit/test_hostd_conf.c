/*
 * tests/unit/test_hostd_conf.c — qure-hostd's config file
 * (vm/hostd_conf.h): a good one read whole, every kind of bad one
 * refused with its file, line, section and key.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "vm/hostd_conf.h"

static struct hostd_conf C;

static const char good[] = "[hostd]\n"
			   "socket = /run/h.sock\n"
			   "qured-socket = /run/q.sock\n"
			   "state-dir = /var/lib/h\n"
			   "vm-dead-after = 5s\n"
			   "vm-boot-timeout = 2m\n"
			   "command-timeout = 1500ms\n"
			   "max-restarts = 3\n"
			   "backoff-max = 1m\n"
			   "[vm office]\n"
			   "driver = vmrun\n"
			   "vmx = /vms/office/qure.vmx\n"
			   "[vm pool]\n"
			   "driver = qemu\n"
			   "image = /images/qure.qcow2\n"
			   "conf = /etc/qured/site.conf\n"
			   "keep = 3\n"
			   "args = -accel kvm -nic bridge,br=br0\n"
			   "[vm lab]\n"
			   "driver = command\n"
			   "start = /bin/start {name}\n"
			   "stop = /bin/stop {name}\n"
			   "status = /bin/status {name}\n"
			   "[site]\n"
			   "dmz.ports = tcp:443\n"
			   "app.greeting = hello\n";

static void
a_good_file_is_read_whole(void **state)
{
	char err[256] = "", name[64];

	(void)state;
	assert_int_equal(
	    hostd_conf_parse(good, "h.conf", &C, err, sizeof(err)), 0);
	assert_string_equal(C.socket, "/run/h.sock");
	assert_string_equal(C.qured_socket, "/run/q.sock");
	assert_string_equal(C.state_dir, "/var/lib/h");
	assert_int_equal(C.timing.dead_after_ms, 5000);
	assert_int_equal(C.timing.boot_timeout_ms, 120000);
	assert_int_equal(C.command_timeout_ms, 1500);
	assert_int_equal(C.timing.max_restarts, 3);
	assert_int_equal(C.timing.backoff_max_ms, 60000);
	assert_int_equal(C.nvm, 3);
	assert_string_equal(C.vm[0].name, "office");
	assert_int_equal(C.vm[0].driver, HOSTD_VMRUN);
	assert_int_equal(C.vm[0].keep, 1);
	assert_int_equal(C.vm[1].driver, HOSTD_QEMU);
	assert_int_equal(C.vm[1].keep, 3);
	assert_string_equal(C.vm[1].args, "-accel kvm -nic bridge,br=br0");
	assert_string_equal(C.vm[2].status, "/bin/status {name}");
	assert_int_equal(C.nsite, 2);
	assert_string_equal(C.site[0].key, "dmz.ports");
	assert_string_equal(C.site[1].value, "hello");
	hostd_instance_name(&C.vm[0], 0, name, sizeof(name));
	assert_string_equal(name, "office");
	hostd_instance_name(&C.vm[1], 2, name, sizeof(name));
	assert_string_equal(name, "pool-3");
}

static void
an_empty_file_gives_the_defaults(void **state)
{
	char err[256];

	(void)state;
	assert_int_equal(
	    hostd_conf_parse("", "h.conf", &C, err, sizeof(err)), 0);
	assert_string_equal(C.socket, "/run/qure-hostd/hostd.sock");
	assert_string_equal(C.qured_socket, "/run/qured/qured.sock");
	assert_int_equal(C.timing.dead_after_ms, 10000);
	assert_int_equal(C.timing.boot_timeout_ms, 120000);
	assert_int_equal(C.command_timeout_ms, 30000);
	assert_int_equal(C.nvm, 0);
}

static const struct {
	const char *text, *err;
} bads[] = {
    {"[hostd]\nsocket = rel/path\n",
	"h.conf:2: [hostd] socket: 'rel/path': expected an absolute path of "
	"at most 255 bytes"},
    {"[hostd]\nvm-dead-after = 10\n",
	"h.conf:2: [hostd] vm-dead-after: '10': expected a duration of at "
	"least 1000 ms (e.g. 10s, 500ms, 2m)"},
    {"[hostd]\nvm-dead-after = 500ms\n",
	"h.conf:2: [hostd] vm-dead-after: '500ms': expected a duration of at "
	"least 1000 ms (e.g. 10s, 500ms, 2m)"},
    {"[hostd]\nmax-restarts = 0\n",
	"h.conf:2: [hostd] max-restarts: '0': expected 1 to 1000"},
    {"[hostd]\nspeed = 3\n",
	"h.conf:2: [hostd] speed: unknown key, expected one of socket, "
	"qured-socket, state-dir, key-file, vm-dead-after, vm-boot-timeout, "
	"command-timeout, max-restarts, backoff-max"},
    {"[vms]\nx = 1\n",
	"h.conf:2: [vms]: unknown section, expected [hostd], [vm NAME] or "
	"[site]"},
    {"key = 1\n",
	"h.conf:1: []: unknown section, expected [hostd], [vm NAME] or "
	"[site]"},
    {"[vm a b]\ndriver = qemu\n",
	"h.conf:2: [vm a b]: 'a b': a VM's name is 1 to 40 letters, digits, "
	"'.', '_' or '-', not first '-' or '.'"},
    {"[vm -x]\ndriver = qemu\n",
	"h.conf:2: [vm -x]: '-x': a VM's name is 1 to 40 letters, digits, "
	"'.', '_' or '-', not first '-' or '.'"},
    {"[vm a]\ndriver = vmware\n",
	"h.conf:2: [vm a] driver: 'vmware': expected vmrun, qemu, virsh or "
	"command"},
    {"[vm a]\nvmx = /a.vmx\n",
	"h.conf:2: [vm a] driver: missing: vmrun, qemu, virsh or command"},
    {"[vm a]\ndriver = vmrun\n",
	"h.conf:2: [vm a] vmx: missing: the VM's .vmx"},
    {"[vm a]\ndriver = vmrun\nvmx = /a.vmx\nkeep = 2\n",
	"h.conf:2: [vm a] keep: 1 with vmrun: one .vmx is one VM (copy it "
	"into a section each)"},
    {"[vm a]\ndriver = qemu\n",
	"h.conf:2: [vm a] image: give image (an overlay of it per VM) or "
	"disk, not both"},
    {"[vm a]\ndriver = qemu\nimage = /i\ndisk = /d\n",
	"h.conf:2: [vm a] image: give image (an overlay of it per VM) or "
	"disk, not both"},
    {"[vm a]\ndriver = qemu\ndisk = /d\nkeep = 2\n",
	"h.conf:2: [vm a] keep: 1 with disk (keep = N wants image)"},
    {"[vm a]\ndriver = qemu\nimage = /i\nkeep = 17\n",
	"h.conf:4: [vm a] keep: '17': expected 1 to 16"},
    {"[vm a]\ndriver = virsh\nkeep = 2\n",
	"h.conf:2: [vm a] keep: 1 with virsh: the section names one domain"},
    {"[vm a]\ndriver = command\nstart = /s\n",
	"h.conf:2: [vm a] start: driver command needs start, stop and "
	"status"},
    {"[vm a]\ndriver = qemu\nimage = /i\nbogus = 1\n",
	"h.conf:4: [vm a] bogus: unknown key, expected one of driver, vmx, "
	"image, disk, conf, args, keep, start, stop, status"},
    {"[vm a]\ndriver = virsh\n[vm b]\ndriver = virsh\n[vm a]\nkeep = 1\n",
	"h.conf:6: [vm a]: a second [vm a] (the first on line 2)"},
    {"[vm a]\ndriver = virsh\nargs = \x01x\n",
	"h.conf:3: [vm a] args: a control byte"},
    {"[hostd\nsocket = /x\n",
	"h.conf:1: not INI (expected [section] and key = value lines)"},
};

static void
each_bad_file_gives_one_line_with_file_line_section_and_key(void **state)
{
	char err[512];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bads) / sizeof(bads[0]); i++) {
		err[0] = '\0';
		if (hostd_conf_parse(
			bads[i].text, "h.conf", &C, err, sizeof(err)) != -1)
			fail_msg("case %zu was accepted", i);
		if (strcmp(err, bads[i].err) != 0)
			fail_msg("case %zu:\n got  %s\n want %s", i, err,
			    bads[i].err);
	}
}

static void
too_many_sections_or_settings_are_refused(void **state)
{
	char *text = malloc(64 * 1024), err[256];
	size_t used = 0;
	unsigned i;

	(void)state;
	assert_non_null(text);
	for (i = 0; i <= HOSTD_VMS_MAX; i++)
		used += (size_t)snprintf(text + used, 64 * 1024 - used,
		    "[vm v%u]\ndriver = virsh\n", i);
	assert_int_equal(
	    hostd_conf_parse(text, "h.conf", &C, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "over 32 [vm] sections"));
	used = (size_t)snprintf(text, 64 * 1024, "[site]\n");
	for (i = 0; i <= HOSTD_SITE_MAX; i++)
		used += (size_t)snprintf(
		    text + used, 64 * 1024 - used, "app.k%u = v\n", i);
	assert_int_equal(
	    hostd_conf_parse(text, "h.conf", &C, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "over 64 site settings"));
	free(text);
}

static void
durations_take_ms_s_m_h(void **state)
{
	uint64_t ms;

	(void)state;
	assert_int_equal(hostd_parse_ms("250ms", &ms), 0);
	assert_int_equal(ms, 250);
	assert_int_equal(hostd_parse_ms("10s", &ms), 0);
	assert_int_equal(ms, 10000);
	assert_int_equal(hostd_parse_ms("2m", &ms), 0);
	assert_int_equal(ms, 120000);
	assert_int_equal(hostd_parse_ms("1h", &ms), 0);
	assert_int_equal(ms, 3600000);
	assert_int_equal(hostd_parse_ms("10", &ms), -1);
	assert_int_equal(hostd_parse_ms("s", &ms), -1);
	assert_int_equal(hostd_parse_ms("-1s", &ms), -1);
	assert_int_equal(hostd_parse_ms("99999999999s", &ms), -1);
	assert_int_equal(hostd_parse_ms("1 s", &ms), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(a_good_file_is_read_whole),
	    cmocka_unit_test(an_empty_file_gives_the_defaults),
	    cmocka_unit_test(
		each_bad_file_gives_one_line_with_file_line_section_and_key),
	    cmocka_unit_test(too_many_sections_or_settings_are_refused),
	    cmocka_unit_test(durations_take_ms_s_m_h),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
