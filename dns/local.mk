# dns/: targets of this folder (non-recursive build, included by the root Makefile.am).

# The router (issue 10 items 4, 5): the pure half (the router's answers
# checked and put in words), libc only, what its unit test and fuzz target
# link; the edge (the helper process with libminiupnpc and libnatpmp, its
# side on qured's loop).
noinst_LIBRARIES += dns/libqure_router_core.a
dns_libqure_router_core_a_SOURCES = dns/router_core.h dns/router_core.c
ROUTER_CORE_LIBS = dns/libqure_router_core.a

noinst_LIBRARIES += dns/libqure_router.a
dns_libqure_router_a_SOURCES = dns/router.h dns/router.c
dns_libqure_router_a_CFLAGS = $(AM_CFLAGS) $(EVENT_CFLAGS) $(MINIUPNPC_CFLAGS)
ROUTER_LIBS = dns/libqure_router.a $(ROUTER_CORE_LIBS) $(MINIUPNPC_LIBS) \
	$(NATPMP_LIBS) $(EVENT_LIBS)

check_PROGRAMS += tests/unit/test_router_core
TESTS += tests/unit/test_router_core
tests_unit_test_router_core_SOURCES = tests/unit/test_router_core.c
tests_unit_test_router_core_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_router_core_LDADD = $(ROUTER_CORE_LIBS) $(CMOCKA_LIBS)

# The router's answers as a fuzz target, seeds in tests/fuzz/corpus/router/
# (conventions: tests/fuzz/local.mk).
check_PROGRAMS += tests/fuzz/replay_router
TESTS += tests/fuzz/replay_router
EXTRA_DIST += tests/fuzz/corpus/router
tests_fuzz_replay_router_SOURCES = tests/fuzz/fuzz_router.c \
	tests/fuzz/fuzz_replay.c
tests_fuzz_replay_router_CPPFLAGS = $(AM_CPPFLAGS) \
	-DFUZZ_CORPUS='"$(abs_top_srcdir)/tests/fuzz/corpus/router"'
tests_fuzz_replay_router_LDADD = $(ROUTER_CORE_LIBS)
if FUZZING
noinst_PROGRAMS += tests/fuzz/fuzz_router
tests_fuzz_fuzz_router_SOURCES = tests/fuzz/fuzz_router.c
tests_fuzz_fuzz_router_CFLAGS = $(AM_CFLAGS) $(FUZZ_CFLAGS)
tests_fuzz_fuzz_router_LDFLAGS = $(FUZZ_CFLAGS)
tests_fuzz_fuzz_router_LDADD = $(ROUTER_CORE_LIBS)

fuzz-router: tests/fuzz/fuzz_router$(EXEEXT)
	rm -rf tests/fuzz/work/router
	$(MKDIR_P) tests/fuzz/work/router
	tests/fuzz/fuzz_router$(EXEEXT) -max_total_time=$(FUZZ_SECONDS) \
	    -max_len=256 -print_final_stats=1 \
	    tests/fuzz/work/router $(srcdir)/tests/fuzz/corpus/router
endif
.PHONY: fuzz-router

# The edge alone, for tests/netns/igd.sh ([dmz] address = auto, (a)).
check_PROGRAMS += tests/netns/router_tool
tests_netns_router_tool_SOURCES = tests/netns/router_tool.c
tests_netns_router_tool_CFLAGS = $(AM_CFLAGS) $(EVENT_CFLAGS)
tests_netns_router_tool_LDADD = $(ROUTER_LIBS) $(BASE_LIBS)
