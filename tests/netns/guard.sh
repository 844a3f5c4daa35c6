#!/usr/bin/env bash
# Issue 7 faults 3 and 8: the address guard is a watchdog and is
# supervised. (1) kill -9 of the holder's guard: qured logs it, starts a
# new one and counts it (status .dmz.guard_restarts); (2) the holder's
# qured stopped (SIGSTOP, the guard running): the new guard deletes the
# address when the lease (heartbeat 100 ms: 300 ms) runs out, long before
# the kernel lifetime (1 s, expired on the kernel's whole-second timer);
# after SIGCONT the old holder stays a standby without the address.
# qured's own nftables tables (the kernel-enforced lease) exist while it
# runs, come back after an "nft flush ruleset" (a firewall reload) and
# are gone after it stops.
. "$(dirname "$0")/lib.sh"

LEASE_MS=300
MARGIN_MS=400 # the kernel lifetime would take >= 900 ms

qn_setup 2
for n in 1 2; do
	qn_start_host "$n" "[cluster]" "heartbeat = 100ms"
done
qn_elected 6000
h=$QN_HOLDER
tables() { ip netns exec "$(qn_ns "$1")" nft list tables | grep -c ' qure_eth0_'; }
[ "$(tables "$h")" = 2 ] || qn_fail "h$h: qure tables: $(tables "$h")"
ip netns exec "$(qn_ns "$h")" nft flush ruleset
qn_wait_for 2000 eval '[ "$(tables '"$h"')" = 2 ]'
grep -q "was gone (a flush ruleset?); made it again" "$T/h$h/log" ||
    qn_fail "h$h did not log that it made its tables again"
qn_log "h$h: nft flush ruleset: its tables are back"
# By name: qured has other children (the state writer, checks, hooks).
guard_of() { pgrep -P "${QN_PID[$1]}" -x qured-guard | head -n 1; }
qn_wait_for 2000 guard_of "$h" >/dev/null
g=$(guard_of "$h")
restarts=$(qn_field "$h" '.dmz.guard_restarts // empty')
[ "$restarts" = 0 ] || qn_fail "h$h: guard_restarts '$restarts', want 0"
kill -KILL "$g"
qn_log "h$h: guard $g killed"
restarted() {
	local g2
	g2=$(guard_of "$h") && [ -n "$g2" ] && [ "$g2" != "$g" ] &&
	    [ "$(qn_field "$h" .dmz.guard_restarts)" = 1 ]
}
qn_wait_for 3000 restarted
grep -q "address guard (pid $g) died" "$T/h$h/log" ||
    qn_fail "h$h did not log the guard's death"
qn_log "h$h: guard restarted as $(guard_of "$h")"
qn_has_dmz "$h" || qn_fail "h$h lost the address with its guard"

kill -STOP "${QN_PID[$h]}"
t0=$(qn_now_ms)
gone() { ! qn_has_dmz "$h"; }
qn_wait_for 3000 gone
t=$(($(qn_now_ms) - t0))
# Stopped for a lease more: the stop may have come between a step of the
# core and its actions (a refresh the guard never heard of), and that
# lease must be over too before qured runs again.
sleep "0.$LEASE_MS"
kill -CONT "${QN_PID[$h]}"
qn_log "h$h stopped: its address went after $t ms"
[ "$t" -le $((LEASE_MS + MARGIN_MS)) ] ||
    qn_fail "h$h kept the address $t ms after its qured stopped" \
    "(lease $LEASE_MS ms)"
qn_elected 3000
[ "$QN_HOLDER" != "$h" ] || qn_fail "h$h holds again"
end=$(($(qn_now_ms) + 1000))
while [ "$(qn_now_ms)" -lt "$end" ]; do
	qn_dmz_on "$QN_HOLDER" ||
	    qn_fail "address not on h$QN_HOLDER alone: $(qn_dmz_hosts | xargs)"
	sleep 0.05
done
qn_stop_host "$h"
[ "$(tables "$h")" = 0 ] || qn_fail "h$h left its nftables tables behind"
echo "PASS: $QN_NAME: the guard was restarted and dropped a stopped" \
    "holder's address after $t ms"
