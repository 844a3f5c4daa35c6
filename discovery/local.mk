# discovery/: how instances reach each other (non-recursive build, included
# by the root Makefile.am). An edge library: libevent, no project code.

noinst_LIBRARIES += discovery/libqure_disc.a
discovery_libqure_disc_a_SOURCES = \
	discovery/discovery.h \
	discovery/disc_udp.c \
	discovery/disc6.h \
	discovery/disc_udp6.c \
	discovery/disc_dedup.c
discovery_libqure_disc_a_CFLAGS = $(AM_CFLAGS) $(EVENT_CFLAGS)
DISC_LIBS = discovery/libqure_disc.a $(EVENT_LIBS)

# The UDP transport's unit test, on loopback only (its rules live here, with
# the module, so tests/unit/local.mk needs no edit).
check_PROGRAMS += tests/unit/test_disc_udp
TESTS += tests/unit/test_disc_udp
tests_unit_test_disc_udp_SOURCES = tests/unit/test_disc_udp.c
tests_unit_test_disc_udp_CFLAGS = $(AM_CFLAGS) $(EVENT_CFLAGS) \
	$(CMOCKA_CFLAGS)
tests_unit_test_disc_udp_LDADD = $(DISC_LIBS) $(CMOCKA_LIBS)

# The IPv6 transport (loopback ::1) and the dual-stack duplicate filter.
check_PROGRAMS += tests/unit/test_disc6
TESTS += tests/unit/test_disc6
tests_unit_test_disc6_SOURCES = tests/unit/test_disc6.c
tests_unit_test_disc6_CFLAGS = $(AM_CFLAGS) $(EVENT_CFLAGS) \
	$(CMOCKA_CFLAGS)
tests_unit_test_disc6_LDADD = $(DISC_LIBS) $(BASE_LIBS) $(CMOCKA_LIBS)
