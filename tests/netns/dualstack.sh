#!/usr/bin/env bash
# A dual-stack LAN (issue 9 item 4): [dmz] address and address6 on every
# host. Both addresses are on one member, the one all agree holds them;
# the router reaches the service on both; cutting the holder's link moves
# both to the same new member; the IPv6 one deleted by hand comes back; the cluster protocol runs on both families
# and a group datagram heard on both is taken once (no replay counted).
. "$(dirname "$0")/lib.sh"

qn_setup 3
qn_setup_v6 dual
for n in 1 2 3; do
	qn_service "$n"
	qn_service6 "$n"
	qn_start_host "$n" "[dmz]" "address6 = $QN_DMZ6/64"
done
qn_elected 6000
old=$QN_HOLDER
both_on() { qn_dmz_on "$1" && [ "$(qn_dmz6_hosts | xargs)" = "$1" ]; }
qn_wait_for 2000 both_on "$old"
qn_log "h$old holds $QN_DMZ and $QN_DMZ6"
got=
ask() { got=$(qn_ask) && [ -n "$got" ]; }
ask6() { got=$(qn_ask6) && [ -n "$got" ]; }
qn_wait_for 3000 ask
[ "$got" = "h$old" ] || qn_fail "IPv4 service answered '$got', not h$old"
qn_wait_for 3000 ask6
[ "$got" = "h$old" ] || qn_fail "IPv6 service answered '$got', not h$old"
j=$(qn_status "$old")
[ "$(jq -r '.dmz.held and .dmz.held6' <<<"$j")" = true ] ||
    qn_fail "h$old: held/held6 not both true"
[ "$(jq -r .dmz.address6 <<<"$j")" = "$QN_DMZ6/64" ] ||
    qn_fail "h$old: dmz.address6 is $(jq -r .dmz.address6 <<<"$j")"

t0=$(qn_now_ms)
qn_cut_link "$old"
moved() {
	local h4 h6
	h4=$(qn_one_dmz_host) && h6=$(qn_one_dmz6_host) &&
	    [ "$h4" = "$h6" ] && [ "$h4" != "$old" ]
}
qn_wait_for 5000 moved
t_move=$(($(qn_now_ms) - t0))
new=$(qn_one_dmz_host)
qn_log "cut h$old: h$new has both addresses after $t_move ms"
qn_timing "both addresses moved after link cut" "$t_move" 900
qn_wait_for 3000 ask
[ "$got" = "h$new" ] || qn_fail "IPv4 service answered '$got', not h$new"
qn_wait_for 3000 ask6
[ "$got" = "h$new" ] || qn_fail "IPv6 service answered '$got', not h$new"
# Never apart: sampled for 10 heartbeats.
end=$(($(qn_now_ms) + 2000))
while [ "$(qn_now_ms)" -lt "$end" ]; do
	both_on "$new" || qn_fail "the addresses are apart:" \
	    "IPv4 on $(qn_dmz_hosts | xargs), IPv6 on $(qn_dmz6_hosts | xargs)"
	sleep 0.05
done
# Someone deletes the IPv6 address alone: the holder puts it back (the
# core decides, as for IPv4: flush.sh), and both stay on one member.
ip -n "$(qn_ns "$new")" addr del "$QN_DMZ6/64" dev eth0
qn_wait_for 2000 both_on "$new"
grep -q "left eth0" "$T/h$new/log" ||
    qn_fail "h$new did not see $QN_DMZ6 go"
qn_log "$QN_DMZ6 deleted on h$new by hand: back, with $QN_DMZ"
# Each group datagram came on both families: the second copy is dropped
# quietly, never counted as a replay.
for n in 1 2 3; do
	[ "$n" = "$old" ] && continue
	r=$(qn_field "$n" .counters.rx_dropped_replay)
	[ "$r" = 0 ] || qn_fail "h$n counted $r replays"
done
echo "PASS: $QN_NAME: both addresses h$old -> h$new in $t_move ms"
