# tests/fuzz/: libFuzzer targets for the parsers of outside bytes, and
# the replay driver that lets `make check` run each seed corpus with any
# compiler (doc/style.md §8). Included by the root Makefile.am.
#
# Per target <t> (a parser), with fuzz_<t>.c defining LLVMFuzzerTestOneInput
# and its seeds in corpus/<t>/:
#  - replay_<t>: fuzz_<t>.c + fuzz_replay.c, always built by `make check`
#    and run in TESTS. Given no argument it replays FUZZ_CORPUS, the
#    corpus directory compiled in (absolute, so it runs from anywhere and
#    needs no wrapper script); given files or directories, it replays those.
#  - fuzz_<t>: the libFuzzer binary, with ./configure CC=clang
#    --enable-fuzzing only. configure then builds every object, the
#    election archive included, with -fsanitize=fuzzer-no-link (coverage
#    without libFuzzer's main), so the target links the same archive as
#    the replay driver and adds FUZZ_CFLAGS (libFuzzer's main, ASan,
#    UBSan) to its own compile and link.
#  - `make fuzz-<t>` runs it for FUZZ_SECONDS on a scratch copy of the
#    corpus; a crash is left as crash-* in the build directory: add it to
#    corpus/<t>/ and write the unit test that shows the bug.

FUZZ_SECONDS = 60

# Wire codec and replay window (election/elect_wire.c).
check_PROGRAMS += tests/fuzz/replay_elect_wire tests/fuzz/gen_elect_wire
TESTS += tests/fuzz/replay_elect_wire
EXTRA_DIST += tests/fuzz/corpus/elect_wire

tests_fuzz_replay_elect_wire_SOURCES = tests/fuzz/fuzz_elect_wire.c \
	tests/fuzz/fuzz_elect_wire.h tests/fuzz/fuzz_replay.c
tests_fuzz_replay_elect_wire_CPPFLAGS = $(AM_CPPFLAGS) \
	-DFUZZ_CORPUS='"$(abs_top_srcdir)/tests/fuzz/corpus/elect_wire"'
tests_fuzz_replay_elect_wire_CFLAGS = $(AM_CFLAGS) $(CRYPTO_CFLAGS)
tests_fuzz_replay_elect_wire_LDADD = $(ELECT_LIBS)

# Writes the seeds: tests/fuzz/gen_elect_wire $(srcdir)/tests/fuzz/corpus/elect_wire
tests_fuzz_gen_elect_wire_SOURCES = tests/fuzz/gen_elect_wire.c \
	tests/fuzz/fuzz_elect_wire.h
tests_fuzz_gen_elect_wire_CFLAGS = $(AM_CFLAGS) $(CRYPTO_CFLAGS)
tests_fuzz_gen_elect_wire_LDADD = $(ELECT_LIBS)

if FUZZING
noinst_PROGRAMS += tests/fuzz/fuzz_elect_wire
tests_fuzz_fuzz_elect_wire_SOURCES = tests/fuzz/fuzz_elect_wire.c \
	tests/fuzz/fuzz_elect_wire.h
tests_fuzz_fuzz_elect_wire_CFLAGS = $(AM_CFLAGS) $(CRYPTO_CFLAGS) \
	$(FUZZ_CFLAGS)
tests_fuzz_fuzz_elect_wire_LDFLAGS = $(FUZZ_CFLAGS)
tests_fuzz_fuzz_elect_wire_LDADD = $(ELECT_LIBS)

# New inputs go to a scratch directory, never into the source tree.
fuzz-elect-wire: tests/fuzz/fuzz_elect_wire$(EXEEXT)
	rm -rf tests/fuzz/work/elect_wire
	$(MKDIR_P) tests/fuzz/work/elect_wire
	tests/fuzz/fuzz_elect_wire$(EXEEXT) -max_total_time=$(FUZZ_SECONDS) \
	    -max_len=$(ELECT_WIRE_MAX_PLUS) -print_final_stats=1 \
	    tests/fuzz/work/elect_wire $(srcdir)/tests/fuzz/corpus/elect_wire
endif
.PHONY: fuzz-elect-wire

# Inputs a little over ELECT_WIRE_MAX, so the length checks get tried.
ELECT_WIRE_MAX_PLUS = 600

# The election state machine under arbitrary event sequences (signed
# datagrams included, so input reaches it past the tag check).
check_PROGRAMS += tests/fuzz/replay_elect_fsm
TESTS += tests/fuzz/replay_elect_fsm
EXTRA_DIST += tests/fuzz/corpus/elect_fsm
tests_fuzz_replay_elect_fsm_SOURCES = tests/fuzz/fuzz_elect_fsm.c \
	tests/fuzz/fuzz_replay.c
tests_fuzz_replay_elect_fsm_CPPFLAGS = $(AM_CPPFLAGS) \
	-DFUZZ_CORPUS='"$(abs_top_srcdir)/tests/fuzz/corpus/elect_fsm"'
tests_fuzz_replay_elect_fsm_LDADD = $(ELECT_LIBS)
if FUZZING
noinst_PROGRAMS += tests/fuzz/fuzz_elect_fsm
tests_fuzz_fuzz_elect_fsm_SOURCES = tests/fuzz/fuzz_elect_fsm.c
tests_fuzz_fuzz_elect_fsm_CFLAGS = $(AM_CFLAGS) $(FUZZ_CFLAGS)
tests_fuzz_fuzz_elect_fsm_LDFLAGS = $(FUZZ_CFLAGS)
tests_fuzz_fuzz_elect_fsm_LDADD = $(ELECT_LIBS)
endif
