# store/: the site store's pure cores (issue 11): where keys and buckets
# go (place.c, weighted rendezvous hashing) and the site settings
# (settings.c: versioned entries, digests, their codec), the site
# cache's view of Redis Cluster (rnodes.c: CLUSTER NODES parsed) and its
# planner (rplan.c: the next commands towards the steady state). Links
# libc only (no libm: store/place.c has its own logarithm).
noinst_LIBRARIES += store/libqure_store.a
store_libqure_store_a_SOURCES = \
	store/place.c store/place.h \
	store/settings.c store/settings.h \
	store/share.c store/share.h \
	store/rnodes.c store/rnodes.h \
	store/rplan.c store/rplan.h \
	store/store_int.h
STORE_LIBS = store/libqure_store.a

# Placement: shares by weight, and what moves on a join or a leave.
check_PROGRAMS += tests/unit/test_store_place
TESTS += tests/unit/test_store_place
tests_unit_test_store_place_SOURCES = tests/unit/test_store_place.c
tests_unit_test_store_place_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_store_place_LDADD = $(STORE_LIBS) $(CMOCKA_LIBS) -lm

# Load sharing's table: members -> the address of each bucket.
check_PROGRAMS += tests/unit/test_store_share
TESTS += tests/unit/test_store_share
tests_unit_test_store_share_SOURCES = tests/unit/test_store_share.c
tests_unit_test_store_share_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_store_share_LDADD = $(STORE_LIBS) $(CMOCKA_LIBS)

# The site settings: keys, values, versions, convergence, the codec.
check_PROGRAMS += tests/unit/test_store_settings
TESTS += tests/unit/test_store_settings
tests_unit_test_store_settings_SOURCES = tests/unit/test_store_settings.c
tests_unit_test_store_settings_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_store_settings_LDADD = $(STORE_LIBS) $(CMOCKA_LIBS)

# CLUSTER NODES parsed: real replies, and every way one can be wrong.
check_PROGRAMS += tests/unit/test_store_rnodes
TESTS += tests/unit/test_store_rnodes
tests_unit_test_store_rnodes_SOURCES = tests/unit/test_store_rnodes.c
tests_unit_test_store_rnodes_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_store_rnodes_LDADD = $(STORE_LIBS) $(CMOCKA_LIBS)

# The planner: its rules one by one, then against a model of Redis
# Cluster through joins, leaves, deaths and half-done migrations.
check_PROGRAMS += tests/unit/test_store_rplan tests/unit/test_store_rmodel
TESTS += tests/unit/test_store_rplan tests/unit/test_store_rmodel
tests_unit_test_store_rplan_SOURCES = tests/unit/test_store_rplan.c
tests_unit_test_store_rplan_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_store_rplan_LDADD = $(STORE_LIBS) $(CMOCKA_LIBS)
tests_unit_test_store_rmodel_SOURCES = tests/unit/test_store_rmodel.c
tests_unit_test_store_rmodel_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_store_rmodel_LDADD = $(STORE_LIBS) $(CMOCKA_LIBS)

# The settings' entry codec and merge as a fuzz target, seeds in
# tests/fuzz/corpus/store_settings/ (conventions: tests/fuzz/local.mk).
check_PROGRAMS += tests/fuzz/replay_store_settings
TESTS += tests/fuzz/replay_store_settings
EXTRA_DIST += tests/fuzz/corpus/store_settings
tests_fuzz_replay_store_settings_SOURCES = tests/fuzz/fuzz_store_settings.c \
	tests/fuzz/fuzz_replay.c
tests_fuzz_replay_store_settings_CPPFLAGS = $(AM_CPPFLAGS) \
	-DFUZZ_CORPUS='"$(abs_top_srcdir)/tests/fuzz/corpus/store_settings"'
tests_fuzz_replay_store_settings_LDADD = $(STORE_LIBS)
if FUZZING
noinst_PROGRAMS += tests/fuzz/fuzz_store_settings
tests_fuzz_fuzz_store_settings_SOURCES = tests/fuzz/fuzz_store_settings.c
tests_fuzz_fuzz_store_settings_CFLAGS = $(AM_CFLAGS) $(FUZZ_CFLAGS)
tests_fuzz_fuzz_store_settings_LDFLAGS = $(FUZZ_CFLAGS)
tests_fuzz_fuzz_store_settings_LDADD = $(STORE_LIBS)

# New inputs go to a scratch directory, never into the source tree.
fuzz-store-settings: tests/fuzz/fuzz_store_settings$(EXEEXT)
	rm -rf tests/fuzz/work/store_settings
	$(MKDIR_P) tests/fuzz/work/store_settings
	tests/fuzz/fuzz_store_settings$(EXEEXT) -max_total_time=$(FUZZ_SECONDS) \
	    -max_len=70000 -print_final_stats=1 \
	    tests/fuzz/work/store_settings $(srcdir)/tests/fuzz/corpus/store_settings
endif
.PHONY: fuzz-store-settings

# The CLUSTER NODES parser, and the planner on what it parses, as a fuzz
# target; seeds (replies of redis-server 7.0, one of 7.2's hostnames) in
# tests/fuzz/corpus/store_rnodes/.
check_PROGRAMS += tests/fuzz/replay_store_rnodes
TESTS += tests/fuzz/replay_store_rnodes
EXTRA_DIST += tests/fuzz/corpus/store_rnodes
tests_fuzz_replay_store_rnodes_SOURCES = tests/fuzz/fuzz_store_rnodes.c \
	tests/fuzz/fuzz_replay.c
tests_fuzz_replay_store_rnodes_CPPFLAGS = $(AM_CPPFLAGS) \
	-DFUZZ_CORPUS='"$(abs_top_srcdir)/tests/fuzz/corpus/store_rnodes"'
tests_fuzz_replay_store_rnodes_LDADD = $(STORE_LIBS)
if FUZZING
noinst_PROGRAMS += tests/fuzz/fuzz_store_rnodes
tests_fuzz_fuzz_store_rnodes_SOURCES = tests/fuzz/fuzz_store_rnodes.c
tests_fuzz_fuzz_store_rnodes_CFLAGS = $(AM_CFLAGS) $(FUZZ_CFLAGS)
tests_fuzz_fuzz_store_rnodes_LDFLAGS = $(FUZZ_CFLAGS)
tests_fuzz_fuzz_store_rnodes_LDADD = $(STORE_LIBS)

fuzz-store-rnodes: tests/fuzz/fuzz_store_rnodes$(EXEEXT)
	rm -rf tests/fuzz/work/store_rnodes
	$(MKDIR_P) tests/fuzz/work/store_rnodes
	tests/fuzz/fuzz_store_rnodes$(EXEEXT) -max_total_time=$(FUZZ_SECONDS) \
	    -max_len=4096 -print_final_stats=1 \
	    tests/fuzz/work/store_rnodes $(srcdir)/tests/fuzz/corpus/store_rnodes
endif
.PHONY: fuzz-store-rnodes
