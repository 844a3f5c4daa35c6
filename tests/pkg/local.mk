# tests/pkg/: the Debian packages (debian/, doc/debian.md). `make
# check-deb` builds them from a clean copy of the sources, runs lintian,
# installs them into a fresh Debian 12 root and runs qured there as its
# own user (root; some minutes; the base root is cached in
# /var/cache/qure-deb). Not part of `make check`; scripts/test.sh runs it
# as the stage deb. The .debs and the logs stay in deb/ of the build tree.

EXTRA_DIST += \
	debian/changelog \
	debian/control \
	debian/copyright \
	debian/libqure-dev.install \
	debian/libqure0.install \
	debian/libqure0.symbols \
	debian/qure-hostd.install \
	debian/qure-hostd.lintian-overrides \
	debian/qure.examples \
	debian/qure.install \
	debian/qure.lintian-overrides \
	debian/qure.postinst \
	debian/qure.postrm \
	debian/qure.sysusers \
	debian/qured.conf \
	debian/rules \
	debian/source/format
dist_noinst_SCRIPTS += tests/pkg/deb-install.sh

check-deb:
	$(AM_TESTS_ENVIRONMENT) QURE_DEB_OUT='$(abs_top_builddir)/deb' \
	    $(BASH_SHELL) $(srcdir)/tests/pkg/deb-install.sh

.PHONY: check-deb
