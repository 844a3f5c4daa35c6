#!/usr/bin/env bash
# No avahi-daemon (issue 9 item 1): qured with [discovery] avahi = auto
# runs, elects, says "discovery": {"avahi": "absent"} and logs it once
# however often it retries; with avahi = no it says "disabled" and never
# mentions the daemon.
. "$(dirname "$0")/lib.sh"

# A bus address nobody listens on (an abstract socket of this run): the
# host's own system bus, if it has one, is not reached by accident.
export DBUS_SYSTEM_BUS_ADDRESS="unix:abstract=/$QN_P/no-bus"

qn_setup 2
qn_start_host 1
qn_start_host 2 "[discovery]" "avahi = no"
qn_elected 6000
says() {
	[ "$(qn_field "$1" .discovery.avahi)" = "$2" ]
}
qn_wait_for 3000 says 1 absent # the helper's status, every 200 ms
[ "$(qn_field 2 .discovery.avahi)" = disabled ] ||
    qn_fail "h2: discovery.avahi is $(qn_field 2 .discovery.avahi), not disabled"
[ "$(qn_field 1 .discovery.peers_browsed)" = 0 ] ||
    qn_fail "h1 browsed peers without a daemon"
sleep 4 # a few retries (1 s, 2 s, ...): still one line
n=$(grep -c 'avahi-daemon is not running' "$T/h1/log")
[ "$n" -eq 1 ] || qn_fail "h1 logged the missing daemon $n times, not once"
! grep -q 'avahi' "$T/h2/log" || qn_fail "h2 (avahi = no) mentions avahi"
# The helper (qured-avahi) runs without a capability, and h2 has none.
hp=$(pgrep -P "${QN_PID[1]}" -x qured-avahi | head -n 1)
[ -n "$hp" ] || qn_fail "h1 has no qured-avahi helper"
grep -q '^CapEff:[[:space:]]*0*$' "/proc/$hp/status" ||
    qn_fail "h1's helper has capabilities: $(grep CapEff "/proc/$hp/status")"
[ -z "$(pgrep -P "${QN_PID[2]}" -x qured-avahi)" ] ||
    qn_fail "h2 (avahi = no) has a helper"
qurectl_out=$("$QURECTL" -s "$T/h1/sock" status)
grep -q '^dns-sd: *avahi absent, 0 peer' <<<"$qurectl_out" ||
    qn_fail "qurectl status has no dns-sd line: $qurectl_out"
echo "PASS: $QN_NAME: h$QN_HOLDER elected without avahi-daemon; h1 absent" \
    "(logged once), h2 disabled"
