#!/usr/bin/env bash
# A holder that comes back after a failover yields at once and never
# claims the address back: (1) its link restored (it dropped the address
# when its carrier went); (2) a paused holder (SIGSTOP, like a suspended
# VM) that still has the address when it resumes (SIGCONT). Throughout
# (2) the router asks "who has DMZ?" every 20 ms (arp_mon): no request
# may be answered by two MACs (issue 7 fault 3).
. "$(dirname "$0")/lib.sh"

qn_setup 3
for n in 1 2 3; do
	qn_start_host "$n"
done
qn_elected 6000
old=$QN_HOLDER
qn_cut_link "$old"
qn_wait_for 5000 qn_dmz_moved_from "$old"
new=$(qn_one_dmz_host)
qn_log "link of h$old cut: h$new holds $QN_DMZ"

# Let the new holder settle, then bring the old one back.
qn_wait_for 2000 eval '[ "$(qn_field '"$new"' .node.state)" = holder ]'
t0=$(qn_now_ms)
qn_restore_link "$old"
agrees() { [ "$(qn_field "$old" '.holder.name // empty')" = "h$new" ]; }
qn_wait_for 3000 agrees
t=$(($(qn_now_ms) - t0))
qn_log "link of h$old restored: it follows h$new after $t ms"
qn_timing "restored host follows the new holder" "$t" 500
end=$(($(qn_now_ms) + 2000))
while [ "$(qn_now_ms)" -lt "$end" ]; do
	qn_dmz_on "$new" ||
	    qn_fail "address not on h$new alone: $(qn_dmz_hosts | xargs)"
	sleep 0.05
done
st=$(qn_field "$old" .node.state)
[ "$st" = standby ] || qn_fail "h$old is $st, expected standby"
qn_elected 1000
[ "$QN_HOLDER" = "$new" ] || qn_fail "holder changed to h$QN_HOLDER"

# (2) Pause the holder: a peer takes over while the paused one still has
# the address (the kernel lease has not run out); on resume it yields.
paused=$new
pid=${QN_PID[$paused]}
ARP_MON=${ARP_MON:-$qn_top_build/tests/netns/arp_mon}
ip netns exec "$QN_ROUTER" "$ARP_MON" lan0 "$QN_ROUTER_IP" "$QN_DMZ" \
    20000 20 >"$T/arp" 2>&1 &
mon=$!
QN_PIDS+=($mon)
sleep 0.2
kill -STOP "$pid"
t0=$(qn_now_ms)
took_over() {
	local n
	for n in $(qn_dmz_hosts); do
		[ "$n" = "$paused" ] || { QN_NEW=$n; return 0; }
	done
	return 1
}
qn_wait_for 5000 took_over
t_take=$(($(qn_now_ms) - t0))
if qn_has_dmz "$paused"; then
	qn_log "h$paused paused: h$QN_NEW took over after $t_take ms," \
	    "h$paused still has $QN_DMZ"
else
	qn_log "h$paused paused: h$QN_NEW took over after $t_take ms" \
	    "(h$paused's kernel lease already ran out)"
fi
kill -CONT "$pid"
t0=$(qn_now_ms)
# The moment it stops calling itself holder it must have dropped the
# address: its kernel lease running out later is no excuse.
not_holder() {
	QN_ST=$(qn_field "$paused" .node.state 2>/dev/null) &&
	    [ "$QN_ST" != holder ]
}
qn_wait_for 3000 not_holder
! qn_has_dmz "$paused" ||
    qn_fail "h$paused is $QN_ST but still has $QN_DMZ"
qn_wait_for 3000 qn_dmz_on "$QN_NEW"
t=$(($(qn_now_ms) - t0))
qn_log "h$paused resumed: the address is on h$QN_NEW alone after $t ms"
qn_timing "resumed holder yields" "$t" 500
end=$(($(qn_now_ms) + 2000))
while [ "$(qn_now_ms)" -lt "$end" ]; do
	qn_dmz_on "$QN_NEW" ||
	    qn_fail "address not on h$QN_NEW alone: $(qn_dmz_hosts | xargs)"
	sleep 0.05
done
qn_elected 2000
[ "$QN_HOLDER" = "$QN_NEW" ] || qn_fail "holder changed to h$QN_HOLDER"
kill -TERM "$mon"
wait "$mon" || true
grep -q '^reply' "$T/arp" || qn_fail "arp_mon heard no answer: $(head -3 "$T/arp")"
! grep -q '^double' "$T/arp" || qn_fail "two MACs answered ARP for" \
    "$QN_DMZ: $(grep '^double' "$T/arp" | head -3 | xargs)"
qn_log "no ARP request for $QN_DMZ was answered by two MACs" \
    "($(grep -c '^reply' "$T/arp") answers)"
echo "PASS: $QN_NAME: restored h$old and resumed h$paused yielded"
