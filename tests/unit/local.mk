# tests/unit/: cmocka unit tests, one binary per module (doc/style.md §8),
# included by the root Makefile.am (non-recursive: paths from the top).
#
# To add a test of module <m>, say tests/unit/test_<m>.c:
#   1. add tests/unit/test_<m> to UNIT_TESTS below;
#   2. add its three lines, named after the path with / and . as _:
#        tests_unit_test_<m>_SOURCES = tests/unit/test_<m>.c
#        tests_unit_test_<m>_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
#        tests_unit_test_<m>_LDADD = <the module's archive> $(CMOCKA_LIBS)
#   3. link the module's own noinst archive and what it needs, nothing
#      more: a unit test of a core that needs libevent or a mock has logic
#      in the wrong place (doc/style.md §1). Election tests link
#      $(ELECT_LIBS) $(CMOCKA_LIBS) only.
# Each test is a check_PROGRAMS in TESTS: `make check` builds and runs it,
# and its output lands in tests/unit/test_<m>.log.

UNIT_TESTS = \
	tests/unit/test_elect_wire \
	tests/unit/test_elect_member \
	tests/unit/test_elect_rto \
	tests/unit/test_elect_fsm \
	tests/unit/test_elect_key

check_PROGRAMS += $(UNIT_TESTS)
TESTS += $(UNIT_TESTS)

# qurectl keygen -o: the key file's mode and refusals (a script).
TESTS += tests/unit/keygen.sh
dist_noinst_SCRIPTS += tests/unit/keygen.sh

# What each part may include (election/ nothing of the others, the edge
# parts base/ and nothing of src/): a grep of the sources (issue 8).
TESTS += tests/unit/parts.sh
dist_noinst_SCRIPTS += tests/unit/parts.sh

# Wire codec, HMAC and replay window (the wire engineer's).
tests_unit_test_elect_wire_SOURCES = tests/unit/test_elect_wire.c
tests_unit_test_elect_wire_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_elect_wire_LDADD = $(ELECT_LIBS) $(CMOCKA_LIBS)

# The learned timeout (RFC 6298).
tests_unit_test_elect_rto_SOURCES = tests/unit/test_elect_rto.c
tests_unit_test_elect_rto_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_elect_rto_LDADD = $(ELECT_LIBS) $(CMOCKA_LIBS)

# Membership table.
tests_unit_test_elect_member_SOURCES = tests/unit/test_elect_member.c
tests_unit_test_elect_member_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_elect_member_LDADD = $(ELECT_LIBS) $(CMOCKA_LIBS)

# Election state machine and failure detector.
tests_unit_test_elect_fsm_SOURCES = tests/unit/test_elect_fsm.c
tests_unit_test_elect_fsm_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_elect_fsm_LDADD = $(ELECT_LIBS) $(CMOCKA_LIBS)
# Key rotation (issue 14): either key accepted, the switch decision.
tests_unit_test_elect_key_SOURCES = tests/unit/test_elect_key.c
tests_unit_test_elect_key_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_elect_key_LDADD = $(ELECT_LIBS) $(CMOCKA_LIBS)
