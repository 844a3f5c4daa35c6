# tests/bench/: targets of this folder (non-recursive build, included by the root Makefile.am).
#
# The failover benchmark against keepalived (tests/bench/failover, run by
# hand as root: it takes minutes, so it is not in TESTS). Its C helper
# (service, probing client, clock, ARP check) is built by `make`, so a
# build tree has it next to qured; the script compiles it itself when it
# is missing.

noinst_PROGRAMS += tests/bench/bench_client
tests_bench_bench_client_SOURCES = tests/bench/bench_client.c

dist_noinst_SCRIPTS += tests/bench/failover

# The scale benchmark (tests/bench/scale, by hand as root: minutes) and
# its packet counter; tests/netns/scale20.sh runs its 20-instance case in
# make check.
noinst_PROGRAMS += tests/bench/scale_cap
tests_bench_scale_cap_SOURCES = tests/bench/scale_cap.c
dist_noinst_SCRIPTS += tests/bench/scale
EXTRA_DIST += tests/bench/keepalived.conf.in

# The DNS responder against BIND 9 with dnsperf (tests/bench/dns, by hand
# as root: a minute); doc/benchmark.md has its figures.
dist_noinst_SCRIPTS += tests/bench/dns

# The site cache benchmark (tests/bench/store, issue 11 item 6: Redis
# Cluster formed by QuRe beside one built by hand, libqure beside
# hiredis, failover beside Redis's own), by hand as root or with
# `make bench-store` (some 5 minutes; never in make check). Its client
# links libqure statically, as qurectl does.
noinst_PROGRAMS += tests/bench/store_client
tests_bench_store_client_SOURCES = tests/bench/store_client.c
tests_bench_store_client_CFLAGS = $(AM_CFLAGS) $(HIREDIS_CFLAGS)
tests_bench_store_client_LDADD = libqure/libqure.la $(HIREDIS_LIBS)
tests_bench_store_client_LDFLAGS = -static
dist_noinst_SCRIPTS += tests/bench/store

bench-store: src/qured$(EXEEXT) src/qurectl$(EXEEXT) \
	    tests/bench/store_client$(EXEEXT)
	top_builddir=$(abs_top_builddir) $(top_srcdir)/tests/bench/store \
	    $(BENCH_STORE_FLAGS)
.PHONY: bench-store
