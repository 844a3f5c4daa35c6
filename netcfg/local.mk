# netcfg/: targets of this folder (non-recursive build, included by the root Makefile.am).

# --- netcfg (the netcfg engineer) ---------------------------------------
# Pure parts, no sockets, no libevent: ARP frame codec, probe/announce
# sequence, lease rounding. Their unit tests and the fuzz target link only
# this archive (doc/style.md §1).
noinst_LIBRARIES += netcfg/libqure_netcfg_core.a
netcfg_libqure_netcfg_core_a_SOURCES = \
	netcfg/netcfg.h \
	netcfg/netcfg_int.h \
	netcfg/arp_frame.c \
	netcfg/arp_seq.c \
	netcfg/arp_defend.c \
	netcfg/lease.c \
	netcfg/vmac_name.c

# The I/O edge: netlink address lease and watch, ARP over AF_PACKET.
noinst_LIBRARIES += netcfg/libqure_netcfg.a
netcfg_libqure_netcfg_a_SOURCES = \
	netcfg/netcfg.h \
	netcfg/netcfg_int.h \
	netcfg/netcfg.c \
	netcfg/netcfg_nl.c \
	netcfg/netcfg_guard.c \
	netcfg/netcfg_nft.c \
	netcfg/nft_batch.h \
	netcfg/nft_batch.c \
	netcfg/netcfg_arp.c \
	netcfg/packet_pause.c \
	netcfg/netcfg_vmac.c
netcfg_libqure_netcfg_a_CFLAGS = $(AM_CFLAGS) $(EVENT_CFLAGS) $(NL_CFLAGS) \
	$(NFT_CFLAGS) $(NFTNL_CFLAGS)

# What a program using netcfg/netcfg.h links (base/ for its log lines).
# Not libnftables: netcfg_nft.c loads it for each script (dlopen, in
# glibc's libc since 2.34), so it is not resident between them.
NETCFG_LIBS = netcfg/libqure_netcfg.a netcfg/libqure_netcfg_core.a \
	$(BASE_LIBS) $(NL_LIBS) $(NFTNL_LIBS) $(EVENT_LIBS)

# Unit tests of the pure parts (cmocka).
NETCFG_UNIT_TESTS = \
	tests/unit/test_netcfg_arp_seq \
	tests/unit/test_netcfg_arp_frame \
	tests/unit/test_netcfg_lease \
	tests/unit/test_netcfg_defend \
	tests/unit/test_netcfg_vmac
check_PROGRAMS += $(NETCFG_UNIT_TESTS)
TESTS += $(NETCFG_UNIT_TESTS)
tests_unit_test_netcfg_arp_seq_SOURCES = tests/unit/test_netcfg_arp_seq.c
tests_unit_test_netcfg_arp_seq_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_netcfg_arp_seq_LDADD = netcfg/libqure_netcfg_core.a \
	$(CMOCKA_LIBS)
tests_unit_test_netcfg_arp_frame_SOURCES = \
	tests/unit/test_netcfg_arp_frame.c
tests_unit_test_netcfg_arp_frame_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_netcfg_arp_frame_LDADD = netcfg/libqure_netcfg_core.a \
	$(CMOCKA_LIBS)
tests_unit_test_netcfg_defend_SOURCES = tests/unit/test_netcfg_defend.c
tests_unit_test_netcfg_defend_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_netcfg_defend_LDADD = netcfg/libqure_netcfg_core.a \
	$(CMOCKA_LIBS)
tests_unit_test_netcfg_vmac_SOURCES = tests/unit/test_netcfg_vmac.c
tests_unit_test_netcfg_vmac_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_netcfg_vmac_LDADD = netcfg/libqure_netcfg_core.a \
	$(CMOCKA_LIBS)
tests_unit_test_netcfg_lease_SOURCES = tests/unit/test_netcfg_lease.c
tests_unit_test_netcfg_lease_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_netcfg_lease_LDADD = netcfg/libqure_netcfg_core.a \
	$(CMOCKA_LIBS)

# The lease's renewal batch (nft_batch.c); its kernel case runs in a
# network namespace of its own (root only, else skipped).
check_PROGRAMS += tests/unit/test_netcfg_nft_batch
TESTS += tests/unit/test_netcfg_nft_batch
tests_unit_test_netcfg_nft_batch_SOURCES = \
	tests/unit/test_netcfg_nft_batch.c
tests_unit_test_netcfg_nft_batch_CFLAGS = $(AM_CFLAGS) $(NFT_CFLAGS) \
	$(NFTNL_CFLAGS) $(CMOCKA_CFLAGS)
# It reads the tables back through libnftables itself (qured loads it).
tests_unit_test_netcfg_nft_batch_LDADD = $(NETCFG_LIBS) $(NFT_LIBS) \
	$(CMOCKA_LIBS)

# The netlink half alone (netcfg_nl.c, as netcfg.c opens it): requests for
# an interface that does not exist, which the kernel refuses; needs no root
# and changes nothing on the host.
check_PROGRAMS += tests/unit/test_netcfg_nl
TESTS += tests/unit/test_netcfg_nl
tests_unit_test_netcfg_nl_SOURCES = tests/unit/test_netcfg_nl.c
tests_unit_test_netcfg_nl_CFLAGS = $(AM_CFLAGS) $(EVENT_CFLAGS) $(NL_CFLAGS) \
	$(CMOCKA_CFLAGS)
tests_unit_test_netcfg_nl_LDADD = $(NETCFG_LIBS) $(CMOCKA_LIBS)

# packet_pause.c on a real AF_PACKET socket (skipped without CAP_NET_RAW).
check_PROGRAMS += tests/unit/test_netcfg_packet
TESTS += tests/unit/test_netcfg_packet
tests_unit_test_netcfg_packet_SOURCES = tests/unit/test_netcfg_packet.c
tests_unit_test_netcfg_packet_CFLAGS = $(AM_CFLAGS) $(EVENT_CFLAGS) \
	$(NL_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_netcfg_packet_LDADD = $(NETCFG_LIBS) $(CMOCKA_LIBS)

# The netns test of the library: a tool driven by a script that builds two
# namespaces and a veth pair (root only; exit 77 otherwise).
check_PROGRAMS += tests/netns/netcfg_tool
tests_netns_netcfg_tool_SOURCES = tests/netns/netcfg_tool.c
tests_netns_netcfg_tool_CFLAGS = $(AM_CFLAGS) $(EVENT_CFLAGS) $(NL_CFLAGS)
tests_netns_netcfg_tool_LDADD = $(NETCFG_LIBS)
TESTS += tests/netns/netcfg/netcfg.sh
EXTRA_DIST += tests/netns/netcfg/netcfg.sh

# The ARP frame decoder (netcfg/arp_frame.c) as a fuzz target, seeds in
# tests/fuzz/corpus/arp/ (conventions: tests/fuzz/local.mk). replay_arp
# runs the corpus in `make check` with any compiler; fuzz_arp is the
# libFuzzer binary (./configure CC=clang --enable-fuzzing; make fuzz-arp).
check_PROGRAMS += tests/fuzz/replay_arp
TESTS += tests/fuzz/replay_arp
EXTRA_DIST += tests/fuzz/corpus/arp
tests_fuzz_replay_arp_SOURCES = tests/fuzz/fuzz_arp.c tests/fuzz/fuzz_replay.c
tests_fuzz_replay_arp_CPPFLAGS = $(AM_CPPFLAGS) \
	-DFUZZ_CORPUS='"$(abs_top_srcdir)/tests/fuzz/corpus/arp"'
tests_fuzz_replay_arp_LDADD = netcfg/libqure_netcfg_core.a
if FUZZING
noinst_PROGRAMS += tests/fuzz/fuzz_arp
tests_fuzz_fuzz_arp_SOURCES = tests/fuzz/fuzz_arp.c
tests_fuzz_fuzz_arp_CFLAGS = $(AM_CFLAGS) $(FUZZ_CFLAGS)
tests_fuzz_fuzz_arp_LDFLAGS = $(FUZZ_CFLAGS)
tests_fuzz_fuzz_arp_LDADD = netcfg/libqure_netcfg_core.a

# New inputs go to a scratch directory, never into the source tree.
fuzz-arp: tests/fuzz/fuzz_arp$(EXEEXT)
	rm -rf tests/fuzz/work/arp
	$(MKDIR_P) tests/fuzz/work/arp
	tests/fuzz/fuzz_arp$(EXEEXT) -max_total_time=$(FUZZ_SECONDS) \
	    -max_len=64 -print_final_stats=1 \
	    tests/fuzz/work/arp $(srcdir)/tests/fuzz/corpus/arp
endif
.PHONY: fuzz-arp
# --- end netcfg ----------------------------------------------------------

# --- watch (the mirrored-request watcher, issue 4) ----------------------
# The frame classifier and the BPF program generator are pure: they join
# the core archive; the AF_PACKET edge joins the I/O library, so every
# program linking $(NETCFG_LIBS) has the watcher.
netcfg_libqure_netcfg_core_a_SOURCES += netcfg/watch.h netcfg/watch_frame.c
netcfg_libqure_netcfg_a_SOURCES += netcfg/watch.h netcfg/watch.c

NETCFG_WATCH_UNIT_TESTS = tests/unit/test_watch_frame
check_PROGRAMS += $(NETCFG_WATCH_UNIT_TESTS)
TESTS += $(NETCFG_WATCH_UNIT_TESTS)
tests_unit_test_watch_frame_SOURCES = tests/unit/test_watch_frame.c
tests_unit_test_watch_frame_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_watch_frame_LDADD = netcfg/libqure_netcfg_core.a \
	$(CMOCKA_LIBS)

# The capture on a LAN of namespaces: watch_tool runs the watcher (and
# sends the SYN flood); tests/netns/watch/watch.sh drives it (root only,
# exit 77 otherwise or with QURE_SKIP_NETNS=1).
check_PROGRAMS += tests/netns/watch_tool
tests_netns_watch_tool_SOURCES = tests/netns/watch_tool.c
tests_netns_watch_tool_CFLAGS = $(AM_CFLAGS) $(EVENT_CFLAGS) $(NL_CFLAGS)
tests_netns_watch_tool_LDADD = $(NETCFG_LIBS)
TESTS += tests/netns/watch/watch.sh
EXTRA_DIST += tests/netns/watch/watch.sh

# The frame classifier as a fuzz target, seeds in tests/fuzz/corpus/watch/
# (conventions: tests/fuzz/local.mk). Besides not crashing, it checks that
# the kernel filter passes every frame the classifier accepts.
check_PROGRAMS += tests/fuzz/replay_watch
TESTS += tests/fuzz/replay_watch
EXTRA_DIST += tests/fuzz/corpus/watch
tests_fuzz_replay_watch_SOURCES = tests/fuzz/fuzz_watch.c \
	tests/fuzz/fuzz_replay.c
tests_fuzz_replay_watch_CPPFLAGS = $(AM_CPPFLAGS) \
	-DFUZZ_CORPUS='"$(abs_top_srcdir)/tests/fuzz/corpus/watch"'
tests_fuzz_replay_watch_LDADD = netcfg/libqure_netcfg_core.a
if FUZZING
noinst_PROGRAMS += tests/fuzz/fuzz_watch
tests_fuzz_fuzz_watch_SOURCES = tests/fuzz/fuzz_watch.c
tests_fuzz_fuzz_watch_CFLAGS = $(AM_CFLAGS) $(FUZZ_CFLAGS)
tests_fuzz_fuzz_watch_LDFLAGS = $(FUZZ_CFLAGS)
tests_fuzz_fuzz_watch_LDADD = netcfg/libqure_netcfg_core.a

# New inputs go to a scratch directory, never into the source tree.
fuzz-watch: tests/fuzz/fuzz_watch$(EXEEXT)
	rm -rf tests/fuzz/work/watch
	$(MKDIR_P) tests/fuzz/work/watch
	tests/fuzz/fuzz_watch$(EXEEXT) -max_total_time=$(FUZZ_SECONDS) \
	    -max_len=160 -print_final_stats=1 \
	    tests/fuzz/work/watch $(srcdir)/tests/fuzz/corpus/watch
endif
.PHONY: fuzz-watch
# --- end watch -----------------------------------------------------------

# --- lease (issue 7 fault 3): who answers ARP for the DMZ address -------
check_PROGRAMS += tests/netns/arp_mon
tests_netns_arp_mon_SOURCES = tests/netns/arp_mon.c
tests_netns_arp_mon_LDADD = netcfg/libqure_netcfg_core.a

# --- IPv6 DMZ address (issue 9 item 4) ----------------------------------
# The neighbour discovery codec is pure (core archive, unit test, fuzz
# target); the edge (netlink, AF_PACKET, nftables, guard) joins the I/O
# library.
netcfg_libqure_netcfg_core_a_SOURCES += netcfg/nd.h netcfg/nd_frame.c
netcfg_libqure_netcfg_a_SOURCES += netcfg/nd.h netcfg/netcfg6.h \
	netcfg/netcfg6.c

check_PROGRAMS += tests/unit/test_netcfg_nd
TESTS += tests/unit/test_netcfg_nd
tests_unit_test_netcfg_nd_SOURCES = tests/unit/test_netcfg_nd.c
tests_unit_test_netcfg_nd_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_netcfg_nd_LDADD = netcfg/libqure_netcfg_core.a \
	$(CMOCKA_LIBS)

check_PROGRAMS += tests/fuzz/replay_nd
TESTS += tests/fuzz/replay_nd
EXTRA_DIST += tests/fuzz/corpus/nd
tests_fuzz_replay_nd_SOURCES = tests/fuzz/fuzz_nd.c tests/fuzz/fuzz_replay.c
tests_fuzz_replay_nd_CPPFLAGS = $(AM_CPPFLAGS) \
	-DFUZZ_CORPUS='"$(abs_top_srcdir)/tests/fuzz/corpus/nd"'
tests_fuzz_replay_nd_LDADD = netcfg/libqure_netcfg_core.a
if FUZZING
noinst_PROGRAMS += tests/fuzz/fuzz_nd
tests_fuzz_fuzz_nd_SOURCES = tests/fuzz/fuzz_nd.c
tests_fuzz_fuzz_nd_CFLAGS = $(AM_CFLAGS) $(FUZZ_CFLAGS)
tests_fuzz_fuzz_nd_LDFLAGS = $(FUZZ_CFLAGS)
tests_fuzz_fuzz_nd_LDADD = netcfg/libqure_netcfg_core.a

# New inputs go to a scratch directory, never into the source tree.
fuzz-nd: tests/fuzz/fuzz_nd$(EXEEXT)
	rm -rf tests/fuzz/work/nd
	$(MKDIR_P) tests/fuzz/work/nd
	tests/fuzz/fuzz_nd$(EXEEXT) -max_total_time=$(FUZZ_SECONDS) \
	    -max_len=256 -print_final_stats=1 \
	    tests/fuzz/work/nd $(srcdir)/tests/fuzz/corpus/nd
endif
.PHONY: fuzz-nd
# --- end IPv6 DMZ address ------------------------------------------------

# Load sharing (issue 11 item 4): the nftables ruleset, pure text.
netcfg_libqure_netcfg_core_a_SOURCES += netcfg/balance.h netcfg/balance.c
check_PROGRAMS += tests/unit/test_netcfg_balance tests/unit/balance_gen
TESTS += tests/unit/test_netcfg_balance tests/unit/balance_nft.sh
dist_noinst_SCRIPTS += tests/unit/balance_nft.sh
tests_unit_test_netcfg_balance_SOURCES = tests/unit/test_netcfg_balance.c
tests_unit_test_netcfg_balance_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_netcfg_balance_LDADD = netcfg/libqure_netcfg_core.a \
	$(CMOCKA_LIBS)
tests_unit_balance_gen_SOURCES = tests/unit/balance_gen.c
tests_unit_balance_gen_LDADD = netcfg/libqure_netcfg_core.a
