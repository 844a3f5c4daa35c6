# tests/sim/: the deterministic simulator of many election cores (issue 2,
# item 5), included by the root Makefile.am (non-recursive: paths from the
# top). It links the pure core and nothing else (doc/style.md §1).
#
# qure-sim is a noinst program, built by `make`, so that the demo
# (scripts/demo.sh: qure-sim --demo) needs no `make check`.

noinst_LIBRARIES += tests/sim/libqure_sim.a
tests_sim_libqure_sim_a_SOURCES = \
	tests/sim/sim.h \
	tests/sim/sim.c \
	tests/sim/sim_alive.c \
	tests/sim/sim_rng.c \
	tests/sim/sim_scen.c \
	tests/sim/sim_demo.c

noinst_PROGRAMS += tests/sim/qure-sim
tests_sim_qure_sim_SOURCES = tests/sim/qure-sim.c
tests_sim_qure_sim_LDADD = tests/sim/libqure_sim.a $(ELECT_LIBS)

# run-sim.sh: >= 10,000 random scenarios (QURE_SIM_SCENARIOS overrides);
# regress.sh: fixed seeds, each replayed alone.
TESTS += tests/sim/run-sim.sh tests/sim/regress.sh
dist_noinst_SCRIPTS += tests/sim/run-sim.sh tests/sim/regress.sh
EXTRA_DIST += tests/sim/README.md

# Under ASan/UBSan a scenario is ~10x slower: run fewer by default.
if SANITIZERS
AM_TESTS_ENVIRONMENT += QURE_SIM_SANITIZED=1; export QURE_SIM_SANITIZED;
endif
