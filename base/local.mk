# base/: what every edge part and src/ share (non-recursive build, included
# by the root Makefile.am): the log, the clock, allocation that cannot
# fail. Links only libc. election/ includes none of it (it logs nothing,
# reads no clock and allocates through its own calls): that keeps it pure.
noinst_LIBRARIES += base/libqure_base.a
base_libqure_base_a_SOURCES = \
	base/log.c base/log.h \
	base/clock.c base/clock.h \
	base/xmalloc.c base/xmalloc.h \
	base/fds.c base/fds.h \
	base/forked.c base/forked.h \
	base/textfile.c base/textfile.h \
	base/ctl_client.c base/ctl_client.h
# Last on a link line: the other parts' archives call into it.
BASE_LIBS = base/libqure_base.a

# The child's descriptors (base/fds.c).
check_PROGRAMS += tests/unit/test_fds
TESTS += tests/unit/test_fds
tests_unit_test_fds_SOURCES = tests/unit/test_fds.c
tests_unit_test_fds_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_fds_LDADD = $(BASE_LIBS) $(CMOCKA_LIBS)

# A config file read whole (base/textfile.c).
check_PROGRAMS += tests/unit/test_textfile
TESTS += tests/unit/test_textfile
tests_unit_test_textfile_SOURCES = tests/unit/test_textfile.c
tests_unit_test_textfile_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_textfile_LDADD = $(BASE_LIBS) $(CMOCKA_LIBS)

# A control socket's client (base/ctl_client.c).
check_PROGRAMS += tests/unit/test_ctl_client
TESTS += tests/unit/test_ctl_client
tests_unit_test_ctl_client_SOURCES = tests/unit/test_ctl_client.c
tests_unit_test_ctl_client_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_ctl_client_LDADD = $(BASE_LIBS) $(CMOCKA_LIBS)
