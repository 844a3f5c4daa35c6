# src/: targets of this folder (non-recursive build, included by the root Makefile.am).

# ---- io: the state dir. The lead adds $(QURED_IO_SOURCES) to
# src_qured_SOURCES; state.c needs $(ELECT_LIBS).
QURED_IO_SOURCES = \
	src/state.c src/state.h \
	src/lock.c src/lock.h
# state_save() in a child process; needs $(EVENT_CFLAGS) and $(EVENT_LIBS).
QURED_STATE_WRITER_SOURCES = src/state_writer.c src/state_writer.h

check_PROGRAMS += tests/unit/test_state
TESTS += tests/unit/test_state
# It also checks the clock (base/clock.c), which has no test binary of
# its own.
# And the writer child (D4: state_save() off the loop), which needs libevent.
tests_unit_test_state_SOURCES = tests/unit/test_state.c $(QURED_IO_SOURCES) \
	$(QURED_STATE_WRITER_SOURCES)
tests_unit_test_state_CFLAGS = $(AM_CFLAGS) $(EVENT_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_state_LDADD = $(ELECT_LIBS) $(BASE_LIBS) $(EVENT_LIBS) \
	$(CMOCKA_LIBS)
# The state dir lock.
check_PROGRAMS += tests/unit/test_lock
TESTS += tests/unit/test_lock
tests_unit_test_lock_SOURCES = tests/unit/test_lock.c src/lock.c src/lock.h
tests_unit_test_lock_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_lock_LDADD = $(CMOCKA_LIBS)
# The state file parser's fuzz target (scheme of tests/fuzz/local.mk).
check_PROGRAMS += tests/fuzz/replay_state
TESTS += tests/fuzz/replay_state
EXTRA_DIST += tests/fuzz/corpus/state
tests_fuzz_replay_state_SOURCES = tests/fuzz/fuzz_state.c \
	tests/fuzz/fuzz_replay.c src/state.c src/state.h
tests_fuzz_replay_state_CPPFLAGS = $(AM_CPPFLAGS) \
	-DFUZZ_CORPUS='"$(abs_top_srcdir)/tests/fuzz/corpus/state"'
tests_fuzz_replay_state_LDADD = $(ELECT_LIBS)
if FUZZING
noinst_PROGRAMS += tests/fuzz/fuzz_state
tests_fuzz_fuzz_state_SOURCES = tests/fuzz/fuzz_state.c src/state.c \
	src/state.h
tests_fuzz_fuzz_state_CFLAGS = $(AM_CFLAGS) $(FUZZ_CFLAGS)
tests_fuzz_fuzz_state_LDFLAGS = $(FUZZ_CFLAGS)
tests_fuzz_fuzz_state_LDADD = $(ELECT_LIBS)
endif
# ---- end io

# ---- conf: the config file. The lead adds $(QURED_CONF_SOURCES) to
# src_qured_SOURCES, $(QURED_CONF_CFLAGS) to its CFLAGS and
# $(QURED_CONF_LIBS) to its LDADD.
QURED_CONF_SOURCES = \
	src/conf.c src/conf.h
QURED_CONF_CFLAGS = $(INIH_CFLAGS) $(CRYPTO_CFLAGS)
QURED_CONF_LIBS = $(INIH_LIBS) $(CRYPTO_LIBS)

dist_man_MANS += doc/man/qured.conf.5

# Also checks that doc/man/qured.conf.5 describes every key (finds it through
# $top_srcdir, which AM_TESTS_ENVIRONMENT exports).
check_PROGRAMS += tests/unit/test_conf
TESTS += tests/unit/test_conf
tests_unit_test_conf_SOURCES = tests/unit/test_conf.c $(QURED_CONF_SOURCES)
tests_unit_test_conf_CFLAGS = $(AM_CFLAGS) $(QURED_CONF_CFLAGS) \
	$(CMOCKA_CFLAGS)
tests_unit_test_conf_LDADD = $(QURED_CONF_LIBS) $(CMOCKA_LIBS)

# The config parser's fuzz target (see tests/fuzz/local.mk for the scheme):
# replay_conf replays corpus/conf in `make check`; fuzz_conf is the
# libFuzzer binary (./configure CC=clang --enable-fuzzing), `make fuzz-conf`.
check_PROGRAMS += tests/fuzz/replay_conf
TESTS += tests/fuzz/replay_conf
EXTRA_DIST += tests/fuzz/corpus/conf
tests_fuzz_replay_conf_SOURCES = tests/fuzz/fuzz_conf.c \
	tests/fuzz/fuzz_replay.c $(QURED_CONF_SOURCES)
tests_fuzz_replay_conf_CPPFLAGS = $(AM_CPPFLAGS) \
	-DFUZZ_CORPUS='"$(abs_top_srcdir)/tests/fuzz/corpus/conf"'
tests_fuzz_replay_conf_CFLAGS = $(AM_CFLAGS) $(QURED_CONF_CFLAGS)
tests_fuzz_replay_conf_LDADD = $(QURED_CONF_LIBS)

if FUZZING
noinst_PROGRAMS += tests/fuzz/fuzz_conf
tests_fuzz_fuzz_conf_SOURCES = tests/fuzz/fuzz_conf.c $(QURED_CONF_SOURCES)
tests_fuzz_fuzz_conf_CFLAGS = $(AM_CFLAGS) $(QURED_CONF_CFLAGS) \
	$(FUZZ_CFLAGS)
tests_fuzz_fuzz_conf_LDFLAGS = $(FUZZ_CFLAGS)
tests_fuzz_fuzz_conf_LDADD = $(QURED_CONF_LIBS)

# New inputs go to a scratch directory, never into the source tree.
fuzz-conf: tests/fuzz/fuzz_conf$(EXEEXT)
	rm -rf tests/fuzz/work/conf
	$(MKDIR_P) tests/fuzz/work/conf
	tests/fuzz/fuzz_conf$(EXEEXT) -max_total_time=$(FUZZ_SECONDS) \
	    -max_len=4096 -print_final_stats=1 \
	    tests/fuzz/work/conf $(srcdir)/tests/fuzz/corpus/conf
endif
# Outside the conditional: automake wants .PHONY in one condition only.
.PHONY: fuzz-conf
# ---- end conf

# ---- ctl: the control socket (server), the status JSON, qurectl. The
# lead adds $(QURED_CTL_SOURCES) to src_qured_SOURCES, $(QURED_CTL_CFLAGS)
# to its CFLAGS and $(QURED_CTL_LIBS) to its LDADD (ctl.c also uses
# base/log.c and base/xmalloc.c: $(BASE_LIBS)).
QURED_CTL_SOURCES = \
	src/ctl.c src/ctl.h \
	src/status.c src/status.h
QURED_CTL_CFLAGS = $(EVENT_CFLAGS) $(JANSSON_CFLAGS)
QURED_CTL_LIBS = $(STORE_LIBS) $(EVENT_LIBS) $(JANSSON_LIBS)

bin_PROGRAMS += src/qurectl
src_qurectl_SOURCES = src/qurectl.c src/status.c src/status.h \
	src/qurectl_kv.c src/qurectl_kv.h
src_qurectl_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS) $(HIREDIS_CFLAGS)
src_qurectl_LDADD = libqure/libqure.la $(BASE_LIBS) $(JANSSON_LIBS) \
	$(HIREDIS_LIBS)
src_qurectl_LDFLAGS = -static

dist_man_MANS += doc/man/qurectl.8

# events.c: the fuzz target reads event lines too (qurectl watch).
CTL_TEST_SOURCES = $(QURED_CTL_SOURCES) src/events.c src/events.h

check_PROGRAMS += tests/unit/test_status tests/unit/test_ctl
TESTS += tests/unit/test_status tests/unit/test_ctl
tests_unit_test_status_SOURCES = tests/unit/test_status.c \
	src/status.c src/status.h
tests_unit_test_status_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS) \
	$(CMOCKA_CFLAGS)
tests_unit_test_status_LDADD = $(JANSSON_LIBS) $(CMOCKA_LIBS)
# test_ctl runs a server in its own loop and the built qurectl against it.
tests_unit_test_ctl_SOURCES = tests/unit/test_ctl.c $(CTL_TEST_SOURCES)
tests_unit_test_ctl_CFLAGS = $(AM_CFLAGS) $(QURED_CTL_CFLAGS) \
	$(CMOCKA_CFLAGS)
tests_unit_test_ctl_LDADD = $(BASE_LIBS) $(QURED_CTL_LIBS) $(CMOCKA_LIBS)
EXTRA_tests_unit_test_ctl_DEPENDENCIES = src/qurectl$(EXEEXT)

# The request parser's and status reader's fuzz target (scheme:
# tests/fuzz/local.mk): replay_ctl replays corpus/ctl in `make check`;
# fuzz_ctl is the libFuzzer binary, `make fuzz-ctl`.
check_PROGRAMS += tests/fuzz/replay_ctl
TESTS += tests/fuzz/replay_ctl
EXTRA_DIST += tests/fuzz/corpus/ctl
tests_fuzz_replay_ctl_SOURCES = tests/fuzz/fuzz_ctl.c \
	tests/fuzz/fuzz_replay.c $(CTL_TEST_SOURCES)
tests_fuzz_replay_ctl_CPPFLAGS = $(AM_CPPFLAGS) \
	-DFUZZ_CORPUS='"$(abs_top_srcdir)/tests/fuzz/corpus/ctl"'
tests_fuzz_replay_ctl_CFLAGS = $(AM_CFLAGS) $(QURED_CTL_CFLAGS)
tests_fuzz_replay_ctl_LDADD = $(BASE_LIBS) $(QURED_CTL_LIBS)

if FUZZING
noinst_PROGRAMS += tests/fuzz/fuzz_ctl
tests_fuzz_fuzz_ctl_SOURCES = tests/fuzz/fuzz_ctl.c $(CTL_TEST_SOURCES)
tests_fuzz_fuzz_ctl_CFLAGS = $(AM_CFLAGS) $(QURED_CTL_CFLAGS) \
	$(FUZZ_CFLAGS)
tests_fuzz_fuzz_ctl_LDFLAGS = $(FUZZ_CFLAGS)
tests_fuzz_fuzz_ctl_LDADD = $(BASE_LIBS) $(QURED_CTL_LIBS)

# New inputs go to a scratch directory, never into the source tree.
fuzz-ctl: tests/fuzz/fuzz_ctl$(EXEEXT)
	rm -rf tests/fuzz/work/ctl
	$(MKDIR_P) tests/fuzz/work/ctl
	tests/fuzz/fuzz_ctl$(EXEEXT) -max_total_time=$(FUZZ_SECONDS) \
	    -max_len=5000 -print_final_stats=1 \
	    tests/fuzz/work/ctl $(srcdir)/tests/fuzz/corpus/ctl
endif
# Outside the conditional: automake takes .PHONY in one condition only.
.PHONY: fuzz-ctl
# ---- end ctl

# ---- check: the holder's service check, the hooks and the SIGCHLD
# dispatcher they share (src/child.c). The lead adds
# $(QURED_CHECK_SOURCES) to src_qured_SOURCES; they need $(EVENT_CFLAGS)
# and $(EVENT_LIBS), and base/log.c and base/xmalloc.c: $(BASE_LIBS).
QURED_CHECK_SOURCES = \
	src/child.c src/child.h \
	src/check.c src/check.h \
	src/hooks.c src/hooks.h

CHECK_TEST_SOURCES = $(QURED_CHECK_SOURCES)

# Both run real children (scripts in a temporary directory) and sockets
# on 127.0.0.1 in their own loop, and end with no child left.
check_PROGRAMS += tests/unit/test_check tests/unit/test_hooks
TESTS += tests/unit/test_check tests/unit/test_hooks
tests_unit_test_check_SOURCES = tests/unit/test_check.c \
	tests/unit/child_fixture.h $(CHECK_TEST_SOURCES)
tests_unit_test_check_CFLAGS = $(AM_CFLAGS) $(EVENT_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_check_LDADD = $(BASE_LIBS) $(EVENT_LIBS) $(CMOCKA_LIBS)
tests_unit_test_hooks_SOURCES = tests/unit/test_hooks.c \
	tests/unit/child_fixture.h $(CHECK_TEST_SOURCES)
tests_unit_test_hooks_CFLAGS = $(AM_CFLAGS) $(EVENT_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_hooks_LDADD = $(BASE_LIBS) $(EVENT_LIBS) $(CMOCKA_LIBS)
# ---- end check

# ---- site: the site settings in qured (src/site.c), two or three
# members wired in-process.
check_PROGRAMS += tests/unit/test_site
TESTS += tests/unit/test_site
tests_unit_test_site_SOURCES = tests/unit/test_site.c src/site.c src/site.h \
	$(QURED_IO_SOURCES)
tests_unit_test_site_CFLAGS = $(AM_CFLAGS) $(EVENT_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_site_LDADD = $(STORE_LIBS) $(ELECT_LIBS) $(BASE_LIBS) \
	$(EVENT_LIBS) $(CMOCKA_LIBS)

# qured's keys among the site settings: the file, the site, the defaults.
check_PROGRAMS += tests/unit/test_site_conf
TESTS += tests/unit/test_site_conf
tests_unit_test_site_conf_SOURCES = tests/unit/test_site_conf.c \
	src/site_conf.c src/site_conf.h $(QURED_CONF_SOURCES)
tests_unit_test_site_conf_CFLAGS = $(AM_CFLAGS) $(QURED_CONF_CFLAGS) \
	$(CMOCKA_CFLAGS)
tests_unit_test_site_conf_LDADD = $(STORE_LIBS) $(BASE_LIBS) \
	$(QURED_CONF_LIBS) $(CMOCKA_LIBS)

# ---- lead: the daemon, wired from the blocks above and the folders'
# libraries.
sbin_PROGRAMS += src/qured
src_qured_SOURCES = \
	src/main.c \
	src/cluster.c src/cluster.h \
	src/site.c src/site.h \
	src/site_conf.c src/site_conf.h \
	$(QURED_IO_SOURCES) \
	$(QURED_STATE_WRITER_SOURCES) \
	$(QURED_CONF_SOURCES) \
	$(QURED_CTL_SOURCES) \
	$(QURED_CHECK_SOURCES)
src_qured_CFLAGS = $(AM_CFLAGS) $(QURED_CONF_CFLAGS) $(QURED_CTL_CFLAGS) \
	$(NL_CFLAGS) $(EVENT_CFLAGS) $(CRYPTO_CFLAGS)
src_qured_LDADD = $(NETCFG_LIBS) $(DISC_LIBS) $(ROUTER_LIBS) $(ELECT_LIBS) $(BASE_LIBS) \
	$(QURED_CONF_LIBS) $(QURED_CTL_LIBS) $(NL_LIBS) $(EVENT_LIBS) \
	$(CRYPTO_LIBS)
# ---- end lead

# ---- pkg: qured(8), the systemd unit, the example config, their test.
dist_man_MANS += doc/man/qured.8

# The unit names the installed qured: @sbindir@ is filled in at make time
# (not by configure) so that it expands ${exec_prefix} fully.
EXTRA_DIST += dist/qured.service.in dist/qured.socket
CLEANFILES += dist/qured.service
if SYSTEMD_UNIT
# qured.socket holds the cluster port across restarts (qured(8), The port).
systemdsystemunit_DATA = dist/qured.service dist/qured.socket
endif
dist/qured.service: $(srcdir)/dist/qured.service.in Makefile
	$(AM_V_GEN)$(MKDIR_P) dist && \
	$(SED) -e 's|@sbindir[@]|$(sbindir)|g' \
	    $(srcdir)/dist/qured.service.in > $@.tmp && mv -f $@.tmp $@

# Installed as documentation: qured reads /etc/qured/qured.conf whatever
# the prefix, so nothing goes to $(sysconfdir) behind the admin's back.
qureexampledir = $(docdir)
dist_qureexample_DATA = doc/man/qured.conf.example

# `qured -h` against qured(8), the example config against qured -t and
# qured.conf(5), the unit against systemd-analyze verify.
TESTS += doc/man/check_man.sh
EXTRA_DIST += doc/man/check_man.sh
# qured -t -v: the effective configuration, where each value came from.
TESTS += tests/unit/qured_t_v.sh
dist_noinst_SCRIPTS += tests/unit/qured_t_v.sh

# distcheck installs as a user into a scratch prefix: the unit goes there
# too, never into the system's unit directory.
AM_DISTCHECK_CONFIGURE_FLAGS = \
	--with-systemdsystemunitdir="$$dc_install_base/lib/systemd/system"
# ---- end pkg

# ---- dmz_auto: [dmz] address = auto (issue 10 item 5, src/dmz_auto.h):
# found at start, before the cluster opens. The pure half (the state dir's
# `dmz` file, what members say, the choice) links the router's pure core
# only; the edge is qured's.
src_qured_SOURCES += src/dmz_auto.c src/dmz_auto.h src/dmz_auto_core.c
check_PROGRAMS += tests/unit/test_dmz_auto
TESTS += tests/unit/test_dmz_auto
tests_unit_test_dmz_auto_SOURCES = tests/unit/test_dmz_auto.c \
	src/dmz_auto_core.c src/dmz_auto.h
tests_unit_test_dmz_auto_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_dmz_auto_LDADD = $(ROUTER_CORE_LIBS) $(CMOCKA_LIBS)
# The `dmz` file parser's fuzz target (scheme of tests/fuzz/local.mk).
check_PROGRAMS += tests/fuzz/replay_dmz_file
TESTS += tests/fuzz/replay_dmz_file
EXTRA_DIST += tests/fuzz/corpus/dmz_file
tests_fuzz_replay_dmz_file_SOURCES = tests/fuzz/fuzz_dmz_file.c \
	tests/fuzz/fuzz_replay.c src/dmz_auto_core.c src/dmz_auto.h
tests_fuzz_replay_dmz_file_CPPFLAGS = $(AM_CPPFLAGS) \
	-DFUZZ_CORPUS='"$(abs_top_srcdir)/tests/fuzz/corpus/dmz_file"'
tests_fuzz_replay_dmz_file_LDADD = $(ROUTER_CORE_LIBS)
if FUZZING
noinst_PROGRAMS += tests/fuzz/fuzz_dmz_file
tests_fuzz_fuzz_dmz_file_SOURCES = tests/fuzz/fuzz_dmz_file.c \
	src/dmz_auto_core.c src/dmz_auto.h
tests_fuzz_fuzz_dmz_file_CFLAGS = $(AM_CFLAGS) $(FUZZ_CFLAGS)
tests_fuzz_fuzz_dmz_file_LDFLAGS = $(FUZZ_CFLAGS)
tests_fuzz_fuzz_dmz_file_LDADD = $(ROUTER_CORE_LIBS)
endif
# ---- end dmz_auto

# ---- redis_sup: the site cache's redis-server instances ([store], issue
# 11 item 2, src/redis_sup.h). The pure half (password, redis.conf,
# backoff) links libcrypto alone; the edge, hiredis on the loop.
src_qured_SOURCES += src/redis_sup.c src/redis_sup.h src/redis_sup_core.c \
	src/redis_coord.c src/redis_coord.h src/redis_coord_core.c \
	src/redis_coord_worker.c
src_qured_CFLAGS += $(HIREDIS_CFLAGS)
src_qured_LDADD += $(HIREDIS_LIBS)
check_PROGRAMS += tests/unit/test_redis_sup
TESTS += tests/unit/test_redis_sup
tests_unit_test_redis_sup_SOURCES = tests/unit/test_redis_sup.c \
	src/redis_sup_core.c src/redis_sup.h
tests_unit_test_redis_sup_CFLAGS = $(AM_CFLAGS) $(CRYPTO_CFLAGS) \
	$(CMOCKA_CFLAGS)
tests_unit_test_redis_sup_LDADD = $(CRYPTO_LIBS) $(CMOCKA_LIBS)
# The coordinator's pure half (weights, the member tracker, the worker's
# messages) and its codec's fuzz target, seeds in corpus/redis_coord.
check_PROGRAMS += tests/unit/test_redis_coord
TESTS += tests/unit/test_redis_coord
tests_unit_test_redis_coord_SOURCES = tests/unit/test_redis_coord.c \
	src/redis_coord_core.c src/redis_coord.h
tests_unit_test_redis_coord_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_redis_coord_LDADD = $(STORE_LIBS) $(CMOCKA_LIBS)
check_PROGRAMS += tests/fuzz/replay_redis_coord
TESTS += tests/fuzz/replay_redis_coord
EXTRA_DIST += tests/fuzz/corpus/redis_coord
tests_fuzz_replay_redis_coord_SOURCES = tests/fuzz/fuzz_redis_coord.c \
	tests/fuzz/fuzz_replay.c src/redis_coord_core.c
tests_fuzz_replay_redis_coord_CPPFLAGS = $(AM_CPPFLAGS) \
	-DFUZZ_CORPUS='"$(abs_top_srcdir)/tests/fuzz/corpus/redis_coord"'
if FUZZING
noinst_PROGRAMS += tests/fuzz/fuzz_redis_coord
tests_fuzz_fuzz_redis_coord_SOURCES = tests/fuzz/fuzz_redis_coord.c \
	src/redis_coord_core.c
tests_fuzz_fuzz_redis_coord_CFLAGS = $(AM_CFLAGS) $(FUZZ_CFLAGS)
tests_fuzz_fuzz_redis_coord_LDFLAGS = $(FUZZ_CFLAGS)
endif
# ---- end redis_sup

# ---- events: `qurectl watch` and the status "failovers" (issue 14 item
# 2, src/events.h). The record, its JSON and text (events.c: jansson
# only, qurectl links it) and the failover tracker (events_track.c: the
# election's names too); qured's edge feeds the tracker.
QURED_EVENTS_SOURCES = src/events.c src/events_track.c src/events.h
src_qured_SOURCES += $(QURED_EVENTS_SOURCES)
src_qurectl_SOURCES += src/events.c src/events.h src/qurectl_watch.c \
	src/qurectl_watch.h
check_PROGRAMS += tests/unit/test_events
TESTS += tests/unit/test_events
tests_unit_test_events_SOURCES = tests/unit/test_events.c \
	$(QURED_EVENTS_SOURCES)
tests_unit_test_events_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS) \
	$(CMOCKA_CFLAGS)
tests_unit_test_events_LDADD = $(ELECT_LIBS) $(JANSSON_LIBS) $(CMOCKA_LIBS)
# ---- end events

# ---- priv: systemd and least privilege (issue 14 item 3): Type=notify
# (src/sdnotify.c, libsystemd's sd-daemon) and the user and three
# capabilities qured keeps (src/priv.c, libcap-ng).
src_qured_SOURCES += src/sdnotify.c src/sdnotify.h src/priv.c src/priv.h
src_qured_CFLAGS += $(SYSTEMD_CFLAGS) $(CAPNG_CFLAGS)
src_qured_LDADD += $(SYSTEMD_LIBS) $(CAPNG_LIBS)
# The STATUS= line (sdnotify_status_line(), pure; the rest of the file
# links along).
check_PROGRAMS += tests/unit/test_sdnotify
TESTS += tests/unit/test_sdnotify
tests_unit_test_sdnotify_SOURCES = tests/unit/test_sdnotify.c \
	src/sdnotify.c src/sdnotify.h
tests_unit_test_sdnotify_CFLAGS = $(AM_CFLAGS) $(EVENT_CFLAGS) \
	$(JANSSON_CFLAGS) $(SYSTEMD_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_sdnotify_LDADD = $(BASE_LIBS) $(EVENT_LIBS) \
	$(SYSTEMD_LIBS) $(CMOCKA_LIBS)
# The unit's exposure (systemd-analyze security --offline) at most 3.0.
TESTS += tests/unit/unit_security.sh
dist_noinst_SCRIPTS += tests/unit/unit_security.sh
# ---- end priv

# ---- key rotation (issue 14 item 4): the key and the next key.
src_qured_SOURCES += src/keyrot.c src/keyrot.h
# The keys' reload rules (promotion, refusals, the previous key).
check_PROGRAMS += tests/unit/test_keyrot
TESTS += tests/unit/test_keyrot
tests_unit_test_keyrot_SOURCES = tests/unit/test_keyrot.c src/keyrot.c \
	src/keyrot.h $(QURED_CONF_SOURCES)
tests_unit_test_keyrot_CFLAGS = $(AM_CFLAGS) $(QURED_CONF_CFLAGS) \
	$(JANSSON_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_keyrot_LDADD = $(ELECT_LIBS) $(BASE_LIBS) $(QURED_CONF_LIBS) \
	$(CMOCKA_LIBS)
# ---- end key rotation

# ---- http: metrics, the [http] listener and the status page (issue 14
# items 1 and 6). src/metrics.c is pure (the status as Prometheus text),
# shared by qured's GET /metrics and `qurectl metrics`; src/http.c is the
# evhttp edge on qured's loop; the page is src/statuspage.html, compiled
# in as a C string (src/statuspage.h, generated into the build tree).
src_qured_SOURCES += src/metrics.c src/metrics.h src/http.c src/http.h \
	src/http_core.c
nodist_src_qured_SOURCES = src/statuspage.h
src_qurectl_SOURCES += src/metrics.c src/metrics.h
BUILT_SOURCES += src/statuspage.h
CLEANFILES += src/statuspage.h
EXTRA_DIST += src/statuspage.html src/statuspage.sh doc/status-page.md \
	doc/statuspage.png doc/statuspage-live.png doc/statuspage-sample.json
src/statuspage.h: $(srcdir)/src/statuspage.html $(srcdir)/src/statuspage.sh
	$(AM_V_GEN)$(MKDIR_P) src && \
	$(SHELL) $(srcdir)/src/statuspage.sh $(srcdir)/src/statuspage.html \
	    > $@.tmp && mv -f $@.tmp $@

check_PROGRAMS += tests/unit/test_metrics tests/unit/test_http
TESTS += tests/unit/test_metrics tests/unit/test_http
tests_unit_test_metrics_SOURCES = tests/unit/test_metrics.c \
	src/metrics.c src/metrics.h src/status.h
tests_unit_test_metrics_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS) \
	$(CMOCKA_CFLAGS)
tests_unit_test_metrics_LDADD = $(CMOCKA_LIBS)
# The routing and the rate limit: the pure half of src/http.c.
tests_unit_test_http_SOURCES = tests/unit/test_http.c src/http_core.c \
	src/http.h
tests_unit_test_http_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_http_LDADD = $(CMOCKA_LIBS)
# ---- end http
