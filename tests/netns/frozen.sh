#!/usr/bin/env bash
# Issue 7 fault 3: a frozen holder must stop answering for the DMZ address
# when its lease runs out, so that no two MACs ever answer ARP for it.
# Three times, with the router asking "who has DMZ?" every 20 ms
# throughout: (1) the holder's qured is stopped (SIGSTOP) for 3 s, its
# address guard still running; (2) its qured is blocked in the kernel
# for 3 s (the cgroup freezer: state D, a loop stuck in a syscall); (3)
# every process of the holder's namespace is stopped (a paused VM: guard
# included). Asserted each time: the frozen host sends
# no ARP answer later than its lease (600 ms) + 150 ms after the freeze,
# no request is ever answered by two MACs, and after SIGCONT the old
# holder drops the address and follows the new holder. (1) and (2) also:
# the guard resigns for its stuck qured, sending its farewell, and the
# best standby claims at once on it: at the fence for a stopped qured,
# once a standby's PROBE waits for a blocked one, though a datagram that
# is no PROBE (from the router) stands ahead of it in qured's queue.
. "$(dirname "$0")/lib.sh"

ARP_MON=${ARP_MON:-$qn_top_build/tests/netns/arp_mon}
[ -x "$ARP_MON" ] || { echo "ERROR: $ARP_MON not built" >&2; exit 99; }
LEASE_MS=600 # 3 x the default heartbeat
MARGIN_MS=150

qn_setup 3
for n in 1 2 3; do
	qn_start_host "$n"
done
qn_elected 6000

# What host N logged since the freeze (lines[N] lines before it).
since_freeze() {
	tail -n +$((lines[$1] + 1)) "$T/h$1/log"
}

# qured alone stopped or blocked, its guard running: at the end of the
# fence (stopped), or once a PROBE waits for it (blocked), the
# guard deletes the address and sends the farewell; the best standby
# claims at once ("standby -> holder (claimed)"), nobody waits for a
# round of PROBEs (probe-failed) or the lease (holder-dead).
guard_spoke() {
	local h=$1 n named=
	for n in 1 2 3; do
		[ "$n" != "$h" ] || continue
		! since_freeze "$n" | grep -E "\((probe-failed|holder-dead)\)" ||
		    qn_fail "($mode) h$n judged the frozen h$h itself:" \
		    "no farewell from its guard"
		if since_freeze "$n" | grep -q "standby -> holder (claimed)"; then
			named=h$n
		fi
	done
	[ -n "$named" ] || qn_fail "($mode) no peer claimed at once on" \
	    "the guard's farewell: $(since_freeze 1; since_freeze 2;
	    since_freeze 3)"
	qn_log "($mode) $named claimed at once on h$h's farewell"
}

# freeze MODE: MODE qured, blocked or ns; the holder is $QN_HOLDER.
freeze() {
	local mode=$1 h=$QN_HOLDER mac out mon pids t_stop t_cont late n
	mac=$(qn_mac "$h")
	out=$T/arp.$mode
	ip netns exec "$QN_ROUTER" "$ARP_MON" lan0 "$QN_ROUTER_IP" "$QN_DMZ" \
	    6000 20 >"$out" 2>&1 &
	mon=$!
	QN_PIDS+=($mon)
	sleep 0.5
	if [ "$mode" != ns ]; then
		pids=${QN_PID[$h]}
	else
		pids=$(ip netns pids "$(qn_ns "$h")" | xargs)
	fi
	for n in 1 2 3; do
		lines[n]=$(wc -l <"$T/h$n/log")
	done
	t_stop=$(qn_now_ms)
	if [ "$mode" = blocked ]; then
		qn_block "$h"
	else
		kill -STOP $pids
	fi
	qn_log "($mode) h$h frozen: pids $pids"
	# Something other than a PROBE first in the blocked qured's queue
	# (a HELLO, a challenge): the guard must look past it (CI's run had
	# one there and the guard kept silent).
	[ "$mode" != blocked ] || echo "not a probe" |
	    ip netns exec "$QN_ROUTER" socat -u - \
	    "UDP4-SENDTO:$(qn_ip "$h"):5182,bind=$QN_ROUTER_IP"
	qn_wait_for 3000 qn_peer_holds "$h"
	qn_log "($mode) a peer holds $(($(qn_now_ms) - t_stop)) ms after" \
	    "the freeze"
	[ "$mode" = ns ] || guard_spoke "$h"
	sleep 3
	t_cont=$(qn_now_ms)
	if [ "$mode" = blocked ]; then
		qn_unblock "$h"
	else
		kill -CONT $pids
	fi
	qn_log "($mode) h$h resumed"
	not_holding() { ! qn_has_dmz "$h"; }
	qn_wait_for 3000 not_holding
	wait "$mon" || true
	grep -q "^reply .* $mac\$" "$out" ||
	    qn_fail "($mode) the router never heard h$h answer: $(head -3 "$out")"
	late=$(awk -v m="$mac" -v a=$((t_stop + LEASE_MS + MARGIN_MS)) \
	    -v b="$t_cont" '$1 == "reply" && $3 == m && $2 > a && $2 < b \
	    { n++; if (!f) f = $2 } END { if (n) print n, f }' "$out")
	[ -z "$late" ] || qn_fail "($mode) frozen h$h answered ARP" \
	    "${late#* }ms (wall) = $((${late#* } - t_stop)) ms after the" \
	    "freeze, ${late%% *} times in all (lease $LEASE_MS ms)"
	n=$(grep -c '^double' "$out" || true)
	[ "$n" -eq 0 ] || qn_fail "($mode) two MACs answered $n request(s):" \
	    "$(grep '^double' "$out" | head -3 | xargs)" \
	    "(freeze at $t_stop, resume at $t_cont)"
	qn_log "($mode) h$h: last answer $(($(awk -v m="$mac" -v b="$t_cont" \
	    '$1 == "reply" && $3 == m && $2 < b { l = $2 } END { print l }' \
	    "$out") - t_stop)) ms after the freeze; no double answer"
	qn_elected 3000
	[ "$QN_HOLDER" != "$h" ] || qn_fail "($mode) h$h holds again"
	[ "$mode" = ns ] || since_freeze "$h" |
	    grep -q "address guard resigned for this process" ||
	    qn_fail "($mode) resumed h$h did not learn that its guard" \
	    "resigned for it"
	# Its log tells a stopped loop from a busy one (the CPU it ran).
	[ "$mode" = ns ] || since_freeze "$h" |
	    grep -q "without a step and ran .*(not running: " ||
	    qn_fail "($mode) h$h's log does not say its loop was not running"
}

freeze qured
freeze blocked
freeze ns
echo "PASS: $QN_NAME: frozen holders went quiet within their lease"
