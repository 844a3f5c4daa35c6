# dns/: targets of this folder (non-recursive build, included by the root Makefile.am).

# --- The authoritative responder (issue 10 item 3) -----------------------
# The pure core (dns_resp.c: query + view -> answer, the rate limiter) is
# its own archive, libc and ldns only (doc/style.md §1): its unit test and
# fuzz target link nothing else. The edge (dns_server.c: UDP and TCP on the
# libevent loop) is another; a program linking $(RESP_LIBS) has both.
noinst_LIBRARIES += dns/libqure_resp_core.a
dns_libqure_resp_core_a_SOURCES = dns/dns_resp.h dns/dns_resp.c
dns_libqure_resp_core_a_CFLAGS = $(AM_CFLAGS) $(LDNS_CFLAGS)
RESP_CORE_LIBS = dns/libqure_resp_core.a $(LDNS_LIBS)

noinst_LIBRARIES += dns/libqure_resp.a
dns_libqure_resp_a_SOURCES = dns/dns_resp.h dns/dns_server.c
dns_libqure_resp_a_CFLAGS = $(AM_CFLAGS) $(EVENT_CFLAGS)
RESP_LIBS = dns/libqure_resp.a $(RESP_CORE_LIBS) $(BASE_LIBS) $(EVENT_LIBS)
src_qured_LDADD += $(RESP_LIBS)

check_PROGRAMS += tests/unit/test_dns_resp
TESTS += tests/unit/test_dns_resp
tests_unit_test_dns_resp_SOURCES = tests/unit/test_dns_resp.c
tests_unit_test_dns_resp_CFLAGS = $(AM_CFLAGS) $(LDNS_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_dns_resp_LDADD = $(RESP_CORE_LIBS) $(CMOCKA_LIBS)

# The query path's fuzz target (tests/fuzz/local.mk explains the pair):
# replay_dns_resp runs the corpus in `make check`; fuzz_dns_resp is the
# libFuzzer binary (./configure CC=clang --enable-fuzzing; make fuzz-dns-resp).
check_PROGRAMS += tests/fuzz/replay_dns_resp
TESTS += tests/fuzz/replay_dns_resp
EXTRA_DIST += tests/fuzz/corpus/dns_resp
tests_fuzz_replay_dns_resp_SOURCES = tests/fuzz/fuzz_dns_resp.c \
	tests/fuzz/fuzz_replay.c
tests_fuzz_replay_dns_resp_CPPFLAGS = $(AM_CPPFLAGS) \
	-DFUZZ_CORPUS='"$(abs_top_srcdir)/tests/fuzz/corpus/dns_resp"'
tests_fuzz_replay_dns_resp_CFLAGS = $(AM_CFLAGS) $(LDNS_CFLAGS)
tests_fuzz_replay_dns_resp_LDADD = $(RESP_CORE_LIBS)
if FUZZING
noinst_PROGRAMS += tests/fuzz/fuzz_dns_resp
tests_fuzz_fuzz_dns_resp_SOURCES = tests/fuzz/fuzz_dns_resp.c
tests_fuzz_fuzz_dns_resp_CFLAGS = $(AM_CFLAGS) $(LDNS_CFLAGS) $(FUZZ_CFLAGS)
tests_fuzz_fuzz_dns_resp_LDFLAGS = $(FUZZ_CFLAGS)
tests_fuzz_fuzz_dns_resp_LDADD = $(RESP_CORE_LIBS)

# New inputs go to a scratch directory, never into the source tree.
fuzz-dns-resp: tests/fuzz/fuzz_dns_resp$(EXEEXT)
	rm -rf tests/fuzz/work/dns_resp
	$(MKDIR_P) tests/fuzz/work/dns_resp
	tests/fuzz/fuzz_dns_resp$(EXEEXT) -max_total_time=$(FUZZ_SECONDS) \
	    -max_len=1500 -print_final_stats=1 \
	    tests/fuzz/work/dns_resp $(srcdir)/tests/fuzz/corpus/dns_resp
endif
.PHONY: fuzz-dns-resp
