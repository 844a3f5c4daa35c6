# discovery/: how instances reach each other (non-recursive build, included
# by the root Makefile.am). An edge library: libevent, no project code;
# and its pure half (address choice, IGMP parser, hint limiter): libc only,
# what its unit tests and fuzz targets link.

noinst_LIBRARIES += discovery/libqure_disc_core.a
discovery_libqure_disc_core_a_SOURCES = \
	discovery/discovery.h \
	discovery/disc_addr.c \
	discovery/disc_stamp.c \
	discovery/disc_igmp_limit.c \
	discovery/disc_igmp.c
DISC_CORE_LIBS = discovery/libqure_disc_core.a

noinst_LIBRARIES += discovery/libqure_disc.a
discovery_libqure_disc_a_SOURCES = \
	discovery/discovery.h \
	discovery/disc_if.c \
	discovery/disc_igmp_watch.c \
	discovery/disc_udp.c \
	discovery/disc_systemd.c \
	discovery/disc6.h \
	discovery/disc_udp6.c \
	discovery/disc_dedup.c
discovery_libqure_disc_a_CFLAGS = $(AM_CFLAGS) $(EVENT_CFLAGS)
DISC_LIBS = discovery/libqure_disc.a $(DISC_CORE_LIBS) $(EVENT_LIBS)

# The UDP transport's unit test, on loopback only (its rules live here, with
# the module, so tests/unit/local.mk needs no edit).
check_PROGRAMS += tests/unit/test_disc_udp
TESTS += tests/unit/test_disc_udp
tests_unit_test_disc_udp_SOURCES = tests/unit/test_disc_udp.c
tests_unit_test_disc_udp_CFLAGS = $(AM_CFLAGS) $(EVENT_CFLAGS) \
	$(CMOCKA_CFLAGS)
tests_unit_test_disc_udp_LDADD = $(DISC_LIBS) $(CMOCKA_LIBS)

# The pure half: address choice, IGMP parser, hint limiter.
check_PROGRAMS += tests/unit/test_disc_core
TESTS += tests/unit/test_disc_core
tests_unit_test_disc_core_SOURCES = tests/unit/test_disc_core.c
tests_unit_test_disc_core_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_disc_core_LDADD = $(DISC_CORE_LIBS) $(CMOCKA_LIBS)

# The IGMP parser's fuzz target (tests/fuzz/local.mk explains the pair):
# replay_igmp runs the corpus in `make check`; fuzz_igmp is the libFuzzer
# binary (./configure CC=clang --enable-fuzzing; make fuzz-igmp).
check_PROGRAMS += tests/fuzz/replay_igmp
TESTS += tests/fuzz/replay_igmp
EXTRA_DIST += tests/fuzz/corpus/igmp
tests_fuzz_replay_igmp_SOURCES = tests/fuzz/fuzz_igmp.c tests/fuzz/fuzz_replay.c
tests_fuzz_replay_igmp_CPPFLAGS = $(AM_CPPFLAGS) \
	-DFUZZ_CORPUS='"$(abs_top_srcdir)/tests/fuzz/corpus/igmp"'
tests_fuzz_replay_igmp_LDADD = $(DISC_CORE_LIBS)
if FUZZING
noinst_PROGRAMS += tests/fuzz/fuzz_igmp
tests_fuzz_fuzz_igmp_SOURCES = tests/fuzz/fuzz_igmp.c
tests_fuzz_fuzz_igmp_CFLAGS = $(AM_CFLAGS) $(FUZZ_CFLAGS)
tests_fuzz_fuzz_igmp_LDFLAGS = $(FUZZ_CFLAGS)
tests_fuzz_fuzz_igmp_LDADD = $(DISC_CORE_LIBS)

# New inputs go to a scratch directory, never into the source tree.
fuzz-igmp: tests/fuzz/fuzz_igmp$(EXEEXT)
	rm -rf tests/fuzz/work/igmp
	$(MKDIR_P) tests/fuzz/work/igmp
	tests/fuzz/fuzz_igmp$(EXEEXT) -max_total_time=$(FUZZ_SECONDS) \
	    -max_len=600 -print_final_stats=1 \
	    tests/fuzz/work/igmp $(srcdir)/tests/fuzz/corpus/igmp
endif
.PHONY: fuzz-igmp

# --- DNS-SD through Avahi (issue 9 item 1) -------------------------------
# The pure half (the TXT record, the rate limit of hints) is its own
# archive, libc only (doc/style.md §1): its unit tests and fuzz target link
# nothing else. The edge (the AvahiPoll on libevent, the client) joins
# libqure_disc.a, so a program linking $(DISC_LIBS) has it.
discovery_libqure_disc_core_a_SOURCES += \
	discovery/disc_avahi.h \
	discovery/disc_txt.c \
	discovery/disc_hint.c
discovery_libqure_disc_a_SOURCES += \
	discovery/disc_avahi.h \
	discovery/disc_int.h \
	discovery/disc_avahi_poll.c \
	discovery/disc_avahi.c \
	discovery/disc_avahi_helper.c
discovery_libqure_disc_a_CFLAGS += $(AVAHI_CFLAGS)
DISC_LIBS += $(BASE_LIBS) $(AVAHI_LIBS)

check_PROGRAMS += tests/unit/test_disc_txt tests/unit/test_disc_avahi_poll
TESTS += tests/unit/test_disc_txt tests/unit/test_disc_avahi_poll
tests_unit_test_disc_txt_SOURCES = tests/unit/test_disc_txt.c
tests_unit_test_disc_txt_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_disc_txt_LDADD = discovery/libqure_disc_core.a $(CMOCKA_LIBS)
# The adapter alone on an event_base: a pipe and timers, no avahi-daemon.
tests_unit_test_disc_avahi_poll_SOURCES = tests/unit/test_disc_avahi_poll.c
tests_unit_test_disc_avahi_poll_CFLAGS = $(AM_CFLAGS) $(EVENT_CFLAGS) \
	$(AVAHI_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_disc_avahi_poll_LDADD = $(DISC_LIBS) $(EVENT_LIBS) \
	$(CMOCKA_LIBS)

# The helper process without an avahi-daemon (a bus address nobody
# listens on): its status over the socketpair, its reaping.
check_PROGRAMS += tests/unit/test_disc_avahi_helper
TESTS += tests/unit/test_disc_avahi_helper
tests_unit_test_disc_avahi_helper_SOURCES = \
	tests/unit/test_disc_avahi_helper.c
tests_unit_test_disc_avahi_helper_CFLAGS = $(AM_CFLAGS) $(EVENT_CFLAGS) \
	$(CMOCKA_CFLAGS)
tests_unit_test_disc_avahi_helper_LDADD = $(DISC_LIBS) $(EVENT_LIBS) \
	$(CMOCKA_LIBS)

# The TXT parser as a fuzz target, seeds in tests/fuzz/corpus/disc_txt/
# (conventions: tests/fuzz/local.mk).
check_PROGRAMS += tests/fuzz/replay_disc_txt
TESTS += tests/fuzz/replay_disc_txt
EXTRA_DIST += tests/fuzz/corpus/disc_txt
tests_fuzz_replay_disc_txt_SOURCES = tests/fuzz/fuzz_disc_txt.c \
	tests/fuzz/fuzz_replay.c
tests_fuzz_replay_disc_txt_CPPFLAGS = $(AM_CPPFLAGS) \
	-DFUZZ_CORPUS='"$(abs_top_srcdir)/tests/fuzz/corpus/disc_txt"'
tests_fuzz_replay_disc_txt_LDADD = discovery/libqure_disc_core.a
if FUZZING
noinst_PROGRAMS += tests/fuzz/fuzz_disc_txt
tests_fuzz_fuzz_disc_txt_SOURCES = tests/fuzz/fuzz_disc_txt.c
tests_fuzz_fuzz_disc_txt_CFLAGS = $(AM_CFLAGS) $(FUZZ_CFLAGS)
tests_fuzz_fuzz_disc_txt_LDFLAGS = $(FUZZ_CFLAGS)
tests_fuzz_fuzz_disc_txt_LDADD = discovery/libqure_disc_core.a

# New inputs go to a scratch directory, never into the source tree.
fuzz-disc-txt: tests/fuzz/fuzz_disc_txt$(EXEEXT)
	rm -rf tests/fuzz/work/disc_txt
	$(MKDIR_P) tests/fuzz/work/disc_txt
	tests/fuzz/fuzz_disc_txt$(EXEEXT) -max_total_time=$(FUZZ_SECONDS) \
	    -max_len=4200 -print_final_stats=1 \
	    tests/fuzz/work/disc_txt $(srcdir)/tests/fuzz/corpus/disc_txt
endif
.PHONY: fuzz-disc-txt
# --- end DNS-SD ----------------------------------------------------------

# The IPv6 transport (loopback ::1) and the dual-stack duplicate filter.
check_PROGRAMS += tests/unit/test_disc6
TESTS += tests/unit/test_disc6
tests_unit_test_disc6_SOURCES = tests/unit/test_disc6.c
tests_unit_test_disc6_CFLAGS = $(AM_CFLAGS) $(EVENT_CFLAGS) \
	$(CMOCKA_CFLAGS)
tests_unit_test_disc6_LDADD = $(DISC_LIBS) $(BASE_LIBS) $(CMOCKA_LIBS)
