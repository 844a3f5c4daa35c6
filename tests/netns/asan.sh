#!/usr/bin/env bash
# The daemon under AddressSanitizer, LeakSanitizer and UBSan: 3 instances
# of the sanitizer build's qured (build-san/, scripts/test.sh's san-build
# stage) through an election, bad datagrams, an address flush, a link cut
# and restore, a SIGTERM handover and a clean stop of all; any sanitizer
# report in a log fails the test (lib.sh checks the logs on exit).
# Skips when there is no sanitizer build. Another one:
#   QURE_ASAN_BUILD=/path/to/san/build bash tests/netns/asan.sh
# Any other test runs the same way with QURED=/path/to/san/src/qured.
set -eu
src=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
san=${QURE_ASAN_BUILD:-$src/build-san}
if [ ! -x "$san/src/qured" ] || [ ! -x "$san/src/qurectl" ]; then
	echo "SKIP: asan: no sanitizer build in $san (configure" \
	    "--enable-sanitizers there, or set QURE_ASAN_BUILD)"
	exit 77
fi
if ! grep -q -- '-fsanitize=address' "$san/Makefile" 2>/dev/null; then
	echo "ERROR: asan: $san is not a --enable-sanitizers build" >&2
	exit 99
fi
export QURED=$san/src/qured QURECTL=$san/src/qurectl
# Reports go to stderr, the host's log; leaks are checked at exit.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}
. "$(dirname "$0")/lib.sh"

qn_setup 3
for n in 1 2 3; do
	qn_start_host "$n"
done
qn_elected 10000
h=$QN_HOLDER
qn_log "ASan qured: h$h holds $QN_DMZ"

# Bad bytes at every receiver's decoder (TTL 255: from the link, RFC 5082).
for b in 'x' 'QURE' 'QURE\001\002\000\000 0123456789abcdef0123456789abcdef'; do
	printf "$b" >"$T/bad.bin"
	ip netns exec "$QN_ROUTER" socat -u FILE:"$T/bad.bin" \
	    UDP4-DATAGRAM:239.255.81.82:5182,ip-multicast-if=$QN_ROUTER_IP,ip-multicast-ttl=255
done
malformed() { [ "$(qn_field "$h" .counters.rx_dropped_malformed)" -ge 3 ]; }
qn_wait_for 3000 malformed

# The netlink watch puts a flushed address back.
ip -loops 1 -n "$(qn_ns "$h")" addr flush dev eth0 2>/dev/null || :
ip -n "$(qn_ns "$h")" addr add "$(qn_ip "$h")/24" dev eth0
qn_wait_for 3000 qn_has_dmz "$h"

# Link events: cut, fail over, restore, yield.
qn_cut_link "$h"
qn_wait_for 5000 qn_dmz_moved_from "$h"
qn_restore_link "$h"
qn_elected 5000
qn_log "link cut and restored: h$QN_HOLDER holds"

# SIGTERM handover, clean exit.
old=$QN_HOLDER
qn_stop_host "$old" TERM
[ "$QN_RC" = 0 ] || qn_fail "qured exited $QN_RC on SIGTERM"
qn_wait_for 5000 qn_dmz_moved_from "$old"
qn_elected 5000
qn_log "SIGTERM: h$old handed over to h$QN_HOLDER"
for n in 1 2 3; do
	[ "$n" = "$old" ] && continue
	qn_stop_host "$n" TERM
	[ "$QN_RC" = 0 ] || qn_fail "h$n's qured exited $QN_RC on SIGTERM"
done
qn_no_asan_reports
echo "PASS: $QN_NAME: no sanitizer report"
