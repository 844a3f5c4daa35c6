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
