#!/usr/bin/env bash
# Issue 7 fault 3: a frozen holder must stop answering for the DMZ address
# when its lease runs out, so that no two MACs ever answer ARP for it.
# Twice, with the router asking "who has DMZ?" every 20 ms throughout:
# (1) the holder's qured is stopped (SIGSTOP) for 3 s, its address guard
# still running; (2) every process of the holder's namespace is stopped
# (a paused VM: guard included). Asserted each time: the frozen host sends
# no ARP answer later than its lease (600 ms) + 150 ms after the freeze,
# no request is ever answered by two MACs, and after SIGCONT the old
# holder drops the address and follows the new holder.
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

# freeze MODE: MODE qured or ns; the holder is $QN_HOLDER.
freeze() {
	local mode=$1 h=$QN_HOLDER mac out mon pids t_stop t_cont late n
	mac=$(qn_mac "$h")
	out=$T/arp.$mode
	ip netns exec "$QN_ROUTER" "$ARP_MON" lan0 "$QN_ROUTER_IP" "$QN_DMZ" \
	    6000 20 >"$out" 2>&1 &
	mon=$!
	QN_PIDS+=($mon)
	sleep 0.5
	if [ "$mode" = qured ]; then
		pids=${QN_PID[$h]}
	else
		pids=$(ip netns pids "$(qn_ns "$h")" | xargs)
	fi
	t_stop=$(qn_now_ms)
	kill -STOP $pids
	qn_log "($mode) h$h frozen: pids $pids"
	sleep 3
	t_cont=$(qn_now_ms)
	kill -CONT $pids
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
}

freeze qured
freeze ns
echo "PASS: $QN_NAME: frozen holders went quiet within their lease"
