# dns/: targets of this folder (non-recursive build, included by the root Makefile.am).

# --- The public address and the RFC 2136 update (issue 10 items 1, 2) ----
# The pure half (the UPDATE and its answer with ldns, the backoff, the
# address classes, the HTTP check's body) is its own archive: libc and
# ldns only (doc/style.md §1); its unit test and fuzz targets link nothing
# else. The edge: the cycle on libevent (evhttp, UDP, TCP); the router's
# answer comes in through dyndns_set_router (wired by src/, which owns the
# router).
noinst_LIBRARIES += dns/libqure_dns_core.a
dns_libqure_dns_core_a_SOURCES = dns/dd_core.h dns/dd_core.c
dns_libqure_dns_core_a_CFLAGS = $(AM_CFLAGS) $(LDNS_CFLAGS)
DNS_CORE_LIBS = dns/libqure_dns_core.a $(LDNS_LIBS)

noinst_LIBRARIES += dns/libqure_dns.a
dns_libqure_dns_a_SOURCES = dns/dyndns.h dns/dyndns.c
dns_libqure_dns_a_CFLAGS = $(AM_CFLAGS) $(EVENT_CFLAGS) $(LDNS_CFLAGS)
DNS_LIBS = dns/libqure_dns.a $(DNS_CORE_LIBS) $(BASE_LIBS) $(EVENT_LIBS)

check_PROGRAMS += tests/unit/test_dd_core
TESTS += tests/unit/test_dd_core
tests_unit_test_dd_core_SOURCES = tests/unit/test_dd_core.c
tests_unit_test_dd_core_CFLAGS = $(AM_CFLAGS) $(LDNS_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_dd_core_LDADD = $(DNS_CORE_LIBS) $(CMOCKA_LIBS)

# Fuzz targets (tests/fuzz/local.mk explains the pair): the DNS server's
# answer to an update, and the HTTP check's body.
check_PROGRAMS += tests/fuzz/replay_dd_answer tests/fuzz/replay_dd_body
TESTS += tests/fuzz/replay_dd_answer tests/fuzz/replay_dd_body
EXTRA_DIST += tests/fuzz/corpus/dd_answer tests/fuzz/corpus/dd_body
tests_fuzz_replay_dd_answer_SOURCES = tests/fuzz/fuzz_dd_answer.c \
	tests/fuzz/fuzz_replay.c
tests_fuzz_replay_dd_answer_CPPFLAGS = $(AM_CPPFLAGS) \
	-DFUZZ_CORPUS='"$(abs_top_srcdir)/tests/fuzz/corpus/dd_answer"'
tests_fuzz_replay_dd_answer_LDADD = $(DNS_CORE_LIBS)
tests_fuzz_replay_dd_body_SOURCES = tests/fuzz/fuzz_dd_body.c \
	tests/fuzz/fuzz_replay.c
tests_fuzz_replay_dd_body_CPPFLAGS = $(AM_CPPFLAGS) \
	-DFUZZ_CORPUS='"$(abs_top_srcdir)/tests/fuzz/corpus/dd_body"'
tests_fuzz_replay_dd_body_LDADD = $(DNS_CORE_LIBS)
if FUZZING
noinst_PROGRAMS += tests/fuzz/fuzz_dd_answer tests/fuzz/fuzz_dd_body
tests_fuzz_fuzz_dd_answer_SOURCES = tests/fuzz/fuzz_dd_answer.c
tests_fuzz_fuzz_dd_answer_CFLAGS = $(AM_CFLAGS) $(FUZZ_CFLAGS)
tests_fuzz_fuzz_dd_answer_LDFLAGS = $(FUZZ_CFLAGS)
tests_fuzz_fuzz_dd_answer_LDADD = $(DNS_CORE_LIBS)
tests_fuzz_fuzz_dd_body_SOURCES = tests/fuzz/fuzz_dd_body.c
tests_fuzz_fuzz_dd_body_CFLAGS = $(AM_CFLAGS) $(FUZZ_CFLAGS)
tests_fuzz_fuzz_dd_body_LDFLAGS = $(FUZZ_CFLAGS)
tests_fuzz_fuzz_dd_body_LDADD = $(DNS_CORE_LIBS)

fuzz-dd-answer: tests/fuzz/fuzz_dd_answer$(EXEEXT)
	rm -rf tests/fuzz/work/dd_answer
	$(MKDIR_P) tests/fuzz/work/dd_answer
	tests/fuzz/fuzz_dd_answer$(EXEEXT) -max_total_time=$(FUZZ_SECONDS) \
	    -max_len=4096 -print_final_stats=1 \
	    tests/fuzz/work/dd_answer $(srcdir)/tests/fuzz/corpus/dd_answer
fuzz-dd-body: tests/fuzz/fuzz_dd_body$(EXEEXT)
	rm -rf tests/fuzz/work/dd_body
	$(MKDIR_P) tests/fuzz/work/dd_body
	tests/fuzz/fuzz_dd_body$(EXEEXT) -max_total_time=$(FUZZ_SECONDS) \
	    -max_len=2048 -print_final_stats=1 \
	    tests/fuzz/work/dd_body $(srcdir)/tests/fuzz/corpus/dd_body
endif
.PHONY: fuzz-dd-answer fuzz-dd-body
src_qured_LDADD += $(DNS_LIBS)
# [cloud] wired into qured (src/cloud.c: the config and the status).
src_qured_SOURCES += src/cloud.c src/cloud.h
# Against a real BIND 9 behind the router's NAT (needs root, bind9).
TESTS += tests/netns/dyndns.sh
dist_noinst_SCRIPTS += tests/netns/dyndns.sh
# The edge on its own loop against servers the test plays on 127.0.0.1.
check_PROGRAMS += tests/unit/test_dyndns
TESTS += tests/unit/test_dyndns
tests_unit_test_dyndns_SOURCES = tests/unit/test_dyndns.c
tests_unit_test_dyndns_CFLAGS = $(AM_CFLAGS) $(EVENT_CFLAGS) $(LDNS_CFLAGS) \
	$(CMOCKA_CFLAGS)
tests_unit_test_dyndns_LDADD = $(DNS_LIBS) $(CMOCKA_LIBS)

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
