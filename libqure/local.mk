# libqure/: the site cache's client library (issue 11 item 3), installed
# with its header qure.h, libqure.pc and libqure(3). Built on hiredis; it
# includes nothing of the rest of the project (tests/unit/parts.sh).
# In-tree programs link it statically (-static: libtool's "no uninstalled
# shared library"), so qurectl stays one file that runs where it is.
lib_LTLIBRARIES += libqure/libqure.la
include_HEADERS += libqure/qure.h
pkgconfig_DATA += libqure/libqure.pc
libqure_libqure_la_SOURCES = \
	libqure/qure.c \
	libqure/slots.c libqure/slots.h
libqure_libqure_la_CFLAGS = $(AM_CFLAGS) $(HIREDIS_CFLAGS)
libqure_libqure_la_LIBADD = $(HIREDIS_LIBS)
libqure_libqure_la_LDFLAGS = -version-info 0:0:0 -export-symbols-regex '^qure_'
EXTRA_DIST += libqure/libqure.pc.in
dist_man_MANS += doc/man/libqure.3

# Key slots and the CLUSTER SLOTS map (slots.c), with replies built by
# hiredis's own reader from RESP text.
check_PROGRAMS += tests/unit/test_qure_slots
TESTS += tests/unit/test_qure_slots
tests_unit_test_qure_slots_SOURCES = tests/unit/test_qure_slots.c \
	libqure/slots.c libqure/slots.h
tests_unit_test_qure_slots_CFLAGS = $(AM_CFLAGS) $(HIREDIS_CFLAGS) \
	$(CMOCKA_CFLAGS)
tests_unit_test_qure_slots_LDADD = $(HIREDIS_LIBS) $(CMOCKA_LIBS)

# The slot map's reader as a fuzz target: RESP bytes through hiredis's
# reader, then slots_map_read() (conventions: tests/fuzz/local.mk).
check_PROGRAMS += tests/fuzz/replay_qure_slots
TESTS += tests/fuzz/replay_qure_slots
EXTRA_DIST += tests/fuzz/corpus/qure_slots
tests_fuzz_replay_qure_slots_SOURCES = tests/fuzz/fuzz_qure_slots.c \
	tests/fuzz/fuzz_replay.c libqure/slots.c libqure/slots.h
tests_fuzz_replay_qure_slots_CFLAGS = $(AM_CFLAGS) $(HIREDIS_CFLAGS)
tests_fuzz_replay_qure_slots_CPPFLAGS = $(AM_CPPFLAGS) \
	-DFUZZ_CORPUS='"$(abs_top_srcdir)/tests/fuzz/corpus/qure_slots"'
tests_fuzz_replay_qure_slots_LDADD = $(HIREDIS_LIBS)
if FUZZING
noinst_PROGRAMS += tests/fuzz/fuzz_qure_slots
tests_fuzz_fuzz_qure_slots_SOURCES = tests/fuzz/fuzz_qure_slots.c \
	libqure/slots.c libqure/slots.h
tests_fuzz_fuzz_qure_slots_CFLAGS = $(AM_CFLAGS) $(FUZZ_CFLAGS) \
	$(HIREDIS_CFLAGS)
tests_fuzz_fuzz_qure_slots_LDFLAGS = $(FUZZ_CFLAGS)
tests_fuzz_fuzz_qure_slots_LDADD = $(HIREDIS_LIBS)

fuzz-qure-slots: tests/fuzz/fuzz_qure_slots$(EXEEXT)
	rm -rf tests/fuzz/work/qure_slots
	$(MKDIR_P) tests/fuzz/work/qure_slots
	tests/fuzz/fuzz_qure_slots$(EXEEXT) -max_total_time=$(FUZZ_SECONDS) \
	    -max_len=4096 -print_final_stats=1 \
	    tests/fuzz/work/qure_slots $(srcdir)/tests/fuzz/corpus/qure_slots
endif
.PHONY: fuzz-qure-slots
