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

EXTRA_DIST += vm/README.md vm/qure.vmx $(VM_IMAGE_FILES)
dist_noinst_SCRIPTS += vm/build-image vm/make-ovf tests/vm/check-vm.sh

TESTS += tests/vm/vmconfig.sh
dist_noinst_SCRIPTS += tests/vm/vmconfig.sh

check-vm: all
	$(AM_TESTS_ENVIRONMENT) $(BASH_SHELL) $(srcdir)/tests/vm/check-vm.sh

.PHONY: check-vm
