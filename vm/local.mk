# vm/: the appliance (issue 12, vm/README.md): vm/build-image makes the
# image from Debian's packages and this tree; vm/image/ is copied into its
# root. `make check-vm` builds it (cached by the content of its inputs)
# and boots 3 VMs under qemu (tests/vm/check-vm.sh: root, some minutes);
# tests/vm/vmconfig.sh (make check) runs the settings reader on the host.

VM_IMAGE_FILES = \
	vm/image/etc/modules-load.d/qure.conf \
	vm/image/etc/systemd/network/99-lan.network \
	vm/image/etc/systemd/system/qure-vmconfig.service \
	vm/image/etc/systemd/system/qured.service.d/appliance.conf \
	vm/image/etc/systemd/system/ssh-hostkeys.service \
	vm/image/etc/systemd/system/systemd-networkd-wait-online.service.d/any.conf \
	vm/image/usr/lib/qure/qured.conf.base \
	vm/image/usr/lib/qure/qure-vmconfig

EXTRA_DIST += vm/README.md vm/qure.vmx $(VM_IMAGE_FILES) tests/vm/lib.sh
dist_noinst_SCRIPTS += vm/build-image vm/make-ovf tests/vm/check-vm.sh \
	tests/vm/hostd-vm.sh

TESTS += tests/vm/vmconfig.sh
dist_noinst_SCRIPTS += tests/vm/vmconfig.sh

# Then qure-hostd keeps 3 of them up with the qemu driver (the same image).
check-vm: all
	$(AM_TESTS_ENVIRONMENT) $(BASH_SHELL) $(srcdir)/tests/vm/check-vm.sh
	$(AM_TESTS_ENVIRONMENT) $(BASH_SHELL) $(srcdir)/tests/vm/hostd-vm.sh

.PHONY: check-vm

# qure-hostd's pure core (vm/hostd_core.h): when a VM is started,
# recycled or given up, and the drivers' commands. Links libc only.
noinst_LIBRARIES += vm/libqure_hostd.a
vm_libqure_hostd_a_SOURCES = vm/hostd_core.c vm/hostd_core.h
HOSTD_LIBS = vm/libqure_hostd.a

# Its config file, parsed from text (inih).
noinst_LIBRARIES += vm/libqure_hostd_conf.a
vm_libqure_hostd_conf_a_SOURCES = vm/hostd_conf.c vm/hostd_conf.h
vm_libqure_hostd_conf_a_CFLAGS = $(AM_CFLAGS) $(INIH_CFLAGS)
HOSTD_CONF_LIBS = vm/libqure_hostd_conf.a $(HOSTD_LIBS) $(INIH_LIBS)

check_PROGRAMS += tests/unit/test_hostd_conf
TESTS += tests/unit/test_hostd_conf
tests_unit_test_hostd_conf_SOURCES = tests/unit/test_hostd_conf.c
tests_unit_test_hostd_conf_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_hostd_conf_LDADD = $(HOSTD_CONF_LIBS) $(CMOCKA_LIBS)

check_PROGRAMS += tests/unit/test_hostd_core
TESTS += tests/unit/test_hostd_core
tests_unit_test_hostd_core_SOURCES = tests/unit/test_hostd_core.c
tests_unit_test_hostd_core_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_hostd_core_LDADD = $(HOSTD_LIBS) $(CMOCKA_LIBS)

# qure-hostd, the host-side VM manager (qure-hostd(8)): the edge around
# the two above (libevent, jansson: its control socket and the local
# qured's), installed with its unit.
sbin_PROGRAMS += vm/qure-hostd
vm_qure_hostd_SOURCES = vm/hostd.c
vm_qure_hostd_CFLAGS = $(AM_CFLAGS) $(EVENT_CFLAGS) $(JANSSON_CFLAGS)
vm_qure_hostd_LDADD = $(HOSTD_CONF_LIBS) $(BASE_LIBS) $(EVENT_LIBS) \
	$(JANSSON_LIBS)
dist_man_MANS += doc/man/qure-hostd.8

# Its unit, the installed qure-hostd named as for qured.service.
EXTRA_DIST += dist/qure-hostd.service.in
CLEANFILES += dist/qure-hostd.service
if SYSTEMD_UNIT
systemdsystemunit_DATA += dist/qure-hostd.service
endif
dist/qure-hostd.service: $(srcdir)/dist/qure-hostd.service.in Makefile
	$(AM_V_GEN)$(MKDIR_P) dist && \
	$(SED) -e 's|@sbindir[@]|$(sbindir)|g' \
	    $(srcdir)/dist/qure-hostd.service.in > $@.tmp && mv -f $@.tmp $@

# qure-hostd with "VMs" that are qured processes in namespaces (a vmrun
# stand-in among them): tests/netns/hostd.sh.
TESTS += tests/netns/hostd.sh
dist_noinst_SCRIPTS += tests/netns/hostd.sh tests/netns/hostd_fakevm.sh
