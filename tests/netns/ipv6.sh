#!/usr/bin/env bash
# An IPv6-only LAN (issue 9 item 4): hosts 1 and 2 have no IPv4 address
# at all, host 3 only an IPv4 link-local one (169.254/16, as a DHCP
# client gives when no server answers), and all their link-local IPv6
# ones, just made (still tentative when
# qured starts: its first group datagrams fail and are retried within a
# second). [dmz] address6 only. An election; a TCP client on the router
# reaches the DMZ6 address; cutting the holder's link moves it (the
# router's neighbour entry follows the unsolicited NA); kill -9 of the
# holder leaves no stale address (its guard deletes it) and a peer takes
# over.
. "$(dirname "$0")/lib.sh"

qn_setup 3
qn_setup_v6 only
for n in 1 2 3; do
	ip -n "$(qn_ns "$n")" -4 -o addr show dev eth0 | grep -q . &&
	    qn_fail "h$n still has an IPv4 address"
done
ip -n "$(qn_ns 3)" addr add 169.254.3.3/16 dev eth0
QN_NO_DMZ4=1
for n in 1 2 3; do
	qn_service6 "$n"
	# Its link-local address is new: tentative for about a second.
	ip -n "$(qn_ns "$n")" link set eth0 down
	ip -n "$(qn_ns "$n")" link set eth0 up
	qn_start_host "$n" "[dmz]" "address6 = $QN_DMZ6/64"
done
qn_elected6 8000
old=$QN_HOLDER
qn_log "h$old holds $QN_DMZ6"
# Every member knows the two others (within a second or two of the
# retries, not a hello-interval later).
knows2() { [ "$(qn_field "$1" '.members | length')" -eq 2 ]; }
for n in 1 2 3; do
	qn_wait_for 3000 knows2 "$n"
	grep -q "went out on IPv6 at try" "$T/h$n/log" && retried=1
	a=$(qn_field "$n" '.members[0].address')
	case $a in fe80:*) ;; *) qn_fail "h$n hears a member at '$a', not" \
	    "a link-local IPv6 address" ;; esac
done
# qured starts within milliseconds of its link's coming up, and DAD takes
# about a second: some group datagram had to wait, and went out later.
[ "${retried:-0}" = 1 ] ||
    qn_fail "no qured logged a group datagram retried on IPv6"
grep -h "went out on IPv6 at try" "$T"/h*/log | head -3

got=
ask() { got=$(qn_ask6) && [ -n "$got" ]; }
qn_wait_for 5000 ask
[ "$got" = "h$old" ] || qn_fail "service answered '$got', expected h$old"
[ "$(qn_router_mac6)" = "$(qn_mac "$old")" ] ||
    qn_fail "router's neighbour entry for $QN_DMZ6 is not h$old's MAC"
j=$(qn_status "$old")
[ "$(jq -r .dmz.held6 <<<"$j")" = true ] || qn_fail "h$old: held6 not true"
[ "$(jq -r '.dmz.kernel_lifetime_s > 0 and .dmz.lease_ms > 0' <<<"$j")" = \
    true ] || qn_fail "h$old: no lease in the status: $(jq -c .dmz <<<"$j")"
[ "$(jq -r .dmz.address <<<"$j")" = "$QN_DMZ6/64" ] ||
    qn_fail "h$old: dmz.address is $(jq -r .dmz.address <<<"$j")"
# The address was added without duplicate address detection (our probe
# ran instead): never tentative, with the lease as its lifetimes.
ip -n "$(qn_ns "$old")" -6 addr show dev eth0 | grep -A1 " $QN_DMZ6/" |
    grep -q nodad || qn_fail "the DMZ6 address is not nodad"
ip -n "$(qn_ns "$old")" -6 addr show dev eth0 | grep -A1 " $QN_DMZ6/" |
    grep -q tentative && qn_fail "the DMZ6 address is tentative"
ip -n "$(qn_ns "$old")" -6 addr show dev eth0 | grep -A1 " $QN_DMZ6/" |
    grep -q "valid_lft forever" && qn_fail "the DMZ6 address has no lease"

# Link cut: the address moves; the router follows the override NA.
t0=$(qn_now_ms)
qn_cut_link "$old"
qn_wait_for 2000 eval '! qn_has_dmz6 '"$old"
qn_wait_for 5000 qn_dmz6_moved_from "$old"
t_move=$(($(qn_now_ms) - t0))
new=$(qn_one_dmz6_host)
qn_log "cut h$old: h$new has $QN_DMZ6 after $t_move ms"
qn_timing "DMZ6 moved after link cut" "$t_move" 900
router_moved() { [ "$(qn_router_mac6)" = "$(qn_mac "$new")" ]; }
qn_wait_for 1000 router_moved
qn_wait_for 3000 ask
[ "$got" = "h$new" ] || qn_fail "service answered '$got', expected h$new"
qn_restore_link "$old"
qn_elected6 5000
[ "$QN_HOLDER" = "$new" ] || qn_fail "h$QN_HOLDER holds after the heal"

# kill -9 of the holder: its guard deletes the address; a peer takes it.
guard=$(pgrep -P "${QN_PID[$new]}" -x qured-guard6) ||
    qn_fail "h$new's qured has no IPv6 address guard"
t0=$(qn_now_ms)
qn_stop_host "$new" KILL
qn_wait_for 5000 eval '! qn_has_dmz6 '"$new"
t_gone=$(($(qn_now_ms) - t0))
peer() { h=$(qn_one_dmz6_host) && [ "$h" != "$new" ]; }
qn_wait_for 5000 peer
t_peer=$(($(qn_now_ms) - t0))
qn_log "kill -9 h$new: its address gone after $t_gone ms, h$h has it" \
    "after $t_peer ms"
qn_timing "the guard removed the dead holder's DMZ6 address" "$t_gone" 100
qn_timing "peer takeover after kill -9 (the farewell, over IPv6)" "$t_peer" 900
qn_wait_for 3000 ask
[ "$got" = "h$h" ] || qn_fail "service answered '$got', expected h$h"
# No stale address afterwards: one host only, for 10 heartbeats.
end=$(($(qn_now_ms) + 2000))
while [ "$(qn_now_ms)" -lt "$end" ]; do
	[ "$(qn_dmz6_hosts | xargs)" = "$h" ] ||
	    qn_fail "DMZ6 not on h$h alone: $(qn_dmz6_hosts | xargs)"
	sleep 0.05
done
echo "PASS: $QN_NAME: h$old -> h$new in $t_move ms (link cut);" \
    "kill -9: guard $t_gone ms, takeover $t_peer ms"
