# tests/netns/: real qured daemons on a LAN of network namespaces
# (doc/design.md §9). Each test is a bash script run by make check
# (TEST_EXTENSIONS .sh); it skips (77) when not root or when
# QURE_SKIP_NETNS=1. tests/netns/netcfg* belong to netcfg.

NETNS_TESTS = \
	tests/netns/elect.sh \
	tests/netns/dnsresp.sh \
	tests/netns/service.sh \
	tests/netns/balance.sh \
	tests/netns/linkcut.sh \
	tests/netns/sigterm.sh \
	tests/netns/kill9.sh \
	tests/netns/watch_events.sh \
	tests/netns/member_dead.sh \
	tests/netns/farewell.sh \
	tests/netns/resume.sh \
	tests/netns/frozen.sh \
	tests/netns/guard.sh \
	tests/netns/stall.sh \
	tests/netns/stall_peer.sh \
	tests/netns/recreate.sh \
	tests/netns/defend.sh \
	tests/netns/flush.sh \
	tests/netns/conflict.sh \
	tests/netns/badpkts.sh \
	tests/netns/gtsm.sh \
	tests/netns/second.sh \
	tests/netns/liveports.sh \
	tests/netns/portheld.sh \
	tests/netns/svcdown.sh \
	tests/netns/svcslow.sh \
	tests/netns/handover.sh \
	tests/netns/fastfail.sh \
	tests/netns/keyrotate.sh \
	tests/netns/learnrto.sh \
	tests/netns/synflood.sh \
	tests/netns/lossy.sh \
	tests/netns/lossy_out.sh \
	tests/netns/rtprio.sh \
	tests/netns/clone.sh \
	tests/netns/diskro.sh \
	tests/netns/startorder.sh \
	tests/netns/settings.sh \
	tests/netns/kv_client.sh \
	tests/netns/store_sup.sh \
	tests/netns/store_form.sh \
	tests/netns/store_chaos.sh \
	tests/netns/store_heal.sh \
	tests/netns/keywait.sh \
	tests/netns/privdrop.sh \
	tests/netns/sdnotify.sh \
	tests/netns/revert.sh \
	tests/netns/mismatch.sh \
	tests/netns/replay.sh \
	tests/netns/vmac.sh \
	tests/netns/igmp.sh \
	tests/netns/multihome.sh \
	tests/netns/linklocal.sh \
	tests/netns/asan.sh \
	tests/netns/avahi.sh \
	tests/netns/avahi_absent.sh \
	tests/netns/upnp.sh \
	tests/netns/igd.sh \
	tests/netns/dmz_auto.sh \
	tests/netns/avahi_hint.sh \
	tests/netns/avahi_hint6.sh \
	tests/netns/avahi_flood.sh \
	tests/netns/ipv6.sh \
	tests/netns/dualstack.sh \
	tests/netns/fastfail6.sh \
	tests/netns/conflict6.sh \
	tests/netns/defend6.sh \
	tests/netns/scale20.sh \
	tests/netns/nofalse_slow.sh \
	tests/netns/nofalse_slow20.sh \
	tests/netns/nofalse_busy.sh \
	tests/netns/nofalse_flood.sh

TESTS += $(NETNS_TESTS)
dist_noinst_SCRIPTS += $(NETNS_TESTS) tests/netns/demo.sh
EXTRA_DIST += tests/netns/lib.sh tests/netns/store_lib.sh tests/netns/avahi_lib.sh tests/netns/igd_responder.py \
	tests/netns/dnsresp.py tests/netns/nofalse_lib.sh

# Crafted datagrams for badpkts.sh, made by the daemon's own codec.
check_PROGRAMS += tests/netns/qure-forge
tests_netns_qure_forge_SOURCES = tests/netns/qure-forge.c
tests_netns_qure_forge_CFLAGS = $(AM_CFLAGS) $(CRYPTO_CFLAGS)
tests_netns_qure_forge_LDADD = $(ELECT_LIBS)

# IGMP membership reports for igmp.sh: a join that listens for the hint's
# HELLO, and floods of crafted reports.
check_PROGRAMS += tests/netns/igmp_tool
tests_netns_igmp_tool_SOURCES = tests/netns/igmp_tool.c

# The site cache's chaos run with 20 members, the long one (opt-in, not
# in TESTS: some 6 minutes, 40 redis-servers; root only):
# tests/netns/store_chaos.sh with STORE_CHAOS_MEMBERS=20 and a client of
# CHAOS_KV_SECONDS=300 unless set (its header: CHAOS_KV_SEED, ...).
check-store-20: all
	$(AM_TESTS_ENVIRONMENT) STORE_CHAOS_MEMBERS=20; \
	CHAOS_KV_SECONDS=$${CHAOS_KV_SECONDS:-300}; \
	export STORE_CHAOS_MEMBERS CHAOS_KV_SECONDS; \
	$(BASH_SHELL) $(srcdir)/tests/netns/store_chaos.sh

.PHONY: check-store-20

# [http] listen and the status page (issue 14 items 1 and 6).
NETNS_TESTS += tests/netns/http.sh tests/netns/statuspage.sh
EXTRA_DIST += tests/netns/cdp.py
