#!/usr/bin/env bash
# DNS-SD with real avahi-daemons (issue 9 items 1 and 7): one avahi-daemon
# with its own D-Bus system bus in each host namespace and in the router's,
# qured on each host.
#  - `avahi-browse -rpt _qure._udp` from the router lists every instance,
#    with its node id, the cluster fingerprint, prio, state and ver; the
#    one whose name is taken already publishes Avahi's alternative;
#  - each qured says "discovery": {"avahi": "running", "peers_browsed": 2};
#  - hostile publishers of _qure._udp (a bad TXT, another cluster's
#    fingerprint) are ignored and logged, never counted as peers;
#  - the holder's avahi-daemon killed: qured says so, nothing moves;
#    restarted: qured publishes again and the router browses it again.
# (tests/netns/avahi_lib.sh: the bus and the daemon per namespace.)
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/avahi_lib.sh"

qn_setup 3
av_up 3

# The name h1 wants is taken on the LAN already (from h3's daemon): h1
# publishes Avahi's alternative, "h1 #2", and says so.
ip netns exec "$(qn_ns 3)" avahi-publish -s h1 _qure._udp 9 "x=1" \
    >>"$T/publish.log" 2>&1 &
QN_PIDS+=($!)
qn_wait_for 10000 sh -c "ip netns exec $QN_ROUTER timeout 10 avahi-browse \
    -rpt _qure._udp 2>/dev/null | grep -q '^=.*;h1;_qure'"

for n in 1 2 3; do
	qn_start_host "$n"
done
qn_elected 6000
holder=$QN_HOLDER
failovers=$(qn_field "$holder" .counters.failovers)
qn_log "h$holder holds $QN_DMZ"

for n in 1 2 3; do
	qn_wait_for 15000 av_state "$n" running 2
done
qn_log "every qured: discovery.avahi running, 2 peers browsed"
for n in 1 2 3; do
	qn_wait_for 15000 av_lists "$n"
done
grep -q 'the DNS-SD name "h1" is taken on the LAN; publishing as "h1 #2"' \
    "$T/h1/log" || qn_fail "h1 did not log its new name"
grep -q ';h1\\032\\0352;_qure._udp;.*;5182;' "$T/browse" ||
    qn_fail "the router does not browse h1 as \"h1 #2\""
qn_log "the router browses all three, TXT included:"
sed 's/^/    /' "$T/browse"
[ "$(grep -c ';5182;' "$T/browse")" -eq 3 ] ||
    qn_fail "the router browses $(grep -c ';5182;' "$T/browse") instances" \
	"on port 5182, not 3"

# Hostile publishers, from h3's avahi-daemon: a TXT with a bad id and one
# of another cluster. Ignored (the first one logged), never peers.
ip netns exec "$(qn_ns 3)" avahi-publish -s bogus _qure._udp 5182 \
    "id=zz" "cluster=$FP" "prio=1" "state=holder" "ver=2" \
    >>"$T/publish.log" 2>&1 &
QN_PIDS+=($!)
ip netns exec "$(qn_ns 3)" avahi-publish -s stranger _qure._udp 5182 \
    "id=0123456789abcdef0123456789abcdef" "cluster=0badf00d" "prio=200" \
    "state=holder" "ver=2" >>"$T/publish.log" 2>&1 &
QN_PIDS+=($!)
counted_bad() {
	[ "$(qn_field "$1" .discovery.txt_rejected)" -ge 1 ]
}
qn_wait_for 15000 grep -q 'ignored the DNS-SD instance "bogus": TXT bad-id' \
    "$T/h1/log"
qn_wait_for 10000 sh -c "ip netns exec $QN_ROUTER timeout 10 avahi-browse \
    -rpt _qure._udp 2>/dev/null | grep -q '^=.*;stranger;'"
for n in 1 2 3; do
	av_state "$n" running 2 ||
	    qn_fail "h$n: $(qn_status "$n" | jq -c .discovery) after the hostile" \
		"publishers (want running, 2 peers)"
	# Counted in the helper: its status reaches qured within 200 ms.
	qn_wait_for 2000 counted_bad "$n"
done
qn_log "hostile TXT ignored and logged, another cluster not counted"

# The holder's avahi-daemon dies: qured says so once, nothing moves.
ns=$(qn_ns "$holder")
kill -TERM "${AV_PID[$ns]}"
wait "${AV_PID[$ns]}" 2>/dev/null || true
qn_wait_for 10000 av_state "$holder" absent
qn_log "h$holder's avahi-daemon killed: its qured says absent"
[ "$(grep -c 'avahi-daemon is not running' "$T/h$holder/log")" -eq 1 ] ||
    qn_fail "h$holder logged the missing daemon $(grep -c \
	'avahi-daemon is not running' "$T/h$holder/log") times, not once"
sleep 3 # several reconnect tries: still one line, still the holder
[ "$(grep -c 'avahi-daemon is not running' "$T/h$holder/log")" -eq 1 ] ||
    qn_fail "h$holder logs the missing daemon at every retry"
av_daemon "$ns" eth0
qn_wait_for 15000 av_running "$ns"
qn_wait_for 15000 av_state "$holder" running 2
qn_wait_for 15000 av_lists "$holder"
grep -q 'avahi-daemon is running again' "$T/h$holder/log" ||
    qn_fail "h$holder did not log that avahi-daemon is back"
qn_log "avahi-daemon restarted: h$holder publishes again, browsable"

h=$(qn_holder) || qn_fail "the hosts do not agree on a holder"
[ "$h" = "h$holder" ] || qn_fail "the holder moved to $h"
qn_dmz_on "$holder" || qn_fail "the address is not on h$holder alone"
[ "$(qn_field "$holder" .counters.failovers)" = "$failovers" ] ||
    qn_fail "h$holder's failovers counter moved"

# The holder's avahi-daemon stopped (SIGSTOP: it keeps its bus name, so
# D-Bus calls to it hang): a handover right then, which changes the TXT,
# is as prompt as ever, the status answers, and says "failed" while the
# DNS-SD helper waits; SIGCONT, and it is running again.
other=$((holder % 3 + 1))
kill -STOP "${AV_PID[$ns]}"
t0=$(qn_now_ms)
timeout 3 "$QURECTL" -s "$T/h$holder/sock" handover "h$other" ||
    qn_fail "handover on h$holder with its avahi-daemon stopped failed"
qn_wait_for 3000 qn_dmz_on "$other"
qn_log "avahi-daemon of h$holder stopped: handover to h$other in" \
    "$(($(qn_now_ms) - t0)) ms"
qn_wait_for 10000 av_state "$holder" failed
grep -q 'avahi-daemon does not answer' "$T/h$holder/log" ||
    qn_fail "h$holder did not log the hanging daemon"
kill -CONT "${AV_PID[$ns]}"
qn_wait_for 35000 av_state "$holder" running 2
qn_wait_for 15000 av_lists "$holder"
qn_log "avahi-daemon of h$holder continued: running, its TXT updated"
h=$(qn_holder) || qn_fail "the hosts do not agree on a holder"
[ "$h" = "h$other" ] || qn_fail "the holder is $h, not h$other"
echo "PASS: $QN_NAME: 3 instances browsed with TXT; an avahi-daemon" \
    "restart moved nothing; a stopped one did not hold qured up"
