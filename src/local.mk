# src/: targets of this folder (non-recursive build, included by the root Makefile.am).

# ---- io: the state dir and the clock. The lead adds
# $(QURED_IO_SOURCES) to src_qured_SOURCES; state.c needs $(ELECT_LIBS).
QURED_IO_SOURCES = \
	src/state.c src/state.h \
	src/clock.c src/clock.h

check_PROGRAMS += tests/unit/test_state
TESTS += tests/unit/test_state
# It also checks the clock, which has no test binary of its own.
tests_unit_test_state_SOURCES = tests/unit/test_state.c $(QURED_IO_SOURCES)
tests_unit_test_state_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_state_LDADD = $(ELECT_LIBS) $(CMOCKA_LIBS)
# ---- end io
