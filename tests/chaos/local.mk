# tests/chaos/: the chaos run (issue 7 item 10). Not part of `make check`:
# `make check-chaos` runs it (root only; CHAOS_SECONDS, CHAOS_SEED,
# CHAOS_FAULTS, QURED: tests/chaos/README.md). scripts/test.sh runs a
# 60-second one as its own stage.

check_PROGRAMS += tests/chaos/chaos_probe
tests_chaos_chaos_probe_SOURCES = tests/chaos/chaos_probe.c

dist_noinst_SCRIPTS += tests/chaos/chaos.sh
EXTRA_DIST += tests/chaos/README.md
CLEANFILES += chaos.json chaos.probe.log chaos.faults.log

check-chaos: all tests/chaos/chaos_probe$(EXEEXT)
	$(AM_TESTS_ENVIRONMENT) \
	$(BASH_SHELL) $(srcdir)/tests/chaos/chaos.sh

.PHONY: check-chaos
