#!/usr/bin/env bash
# Cutting the holder's link moves the address within dead-after x
# heartbeat + 300 ms (900 ms by default); the router's neighbour entry
# moves to the new holder's MAC at once (gratuitous ARP): no ARP request
# of the router's own is needed.
. "$(dirname "$0")/lib.sh"

qn_setup 3
for n in 1 2 3; do
	qn_service "$n"
	qn_start_host "$n"
done
qn_elected 6000
old=$QN_HOLDER
got=
ask() { got=$(qn_ask) && [ -n "$got" ]; }
qn_wait_for 3000 ask
[ "$got" = "h$old" ] || qn_fail "service answered '$got', expected h$old"
[ "$(qn_router_mac)" = "$(qn_mac "$old")" ] ||
    qn_fail "router's neighbour entry is not h$old's MAC"
qn_log "h$old holds $QN_DMZ; the router knows it at $(qn_mac "$old")"

t0=$(qn_now_ms)
qn_cut_link "$old"
# The old holder drops the address when its carrier goes.
qn_wait_for 2000 eval '! qn_has_dmz '"$old"
t_drop=$(($(qn_now_ms) - t0))
qn_wait_for 5000 qn_dmz_moved_from "$old"
t_move=$(($(qn_now_ms) - t0))
new=$(qn_one_dmz_host)
qn_log "cut h$old: h$old dropped it after $t_drop ms; h$new has it after" \
    "$t_move ms"
qn_timing "address moved after link cut" "$t_move" 900

# The gratuitous ARP moves the router's entry without any traffic.
router_moved() { [ "$(qn_router_mac)" = "$(qn_mac "$new")" ]; }
qn_wait_for 300 router_moved
t_arp=$(($(qn_now_ms) - t0))
qn_log "router's neighbour entry -> $(qn_mac "$new") after $t_arp ms"
qn_timing "router neighbour entry moved after the address" \
    $((t_arp - t_move)) 100
qn_wait_for 3000 ask
[ "$got" = "h$new" ] || qn_fail "service answered '$got', expected h$new"
for n in 1 2 3; do
	[ "$n" = "$old" ] && continue
	h=$(qn_field "$n" .holder.name)
	[ "$h" = "h$new" ] || qn_fail "h$n believes in '$h', expected h$new"
done
echo "PASS: $QN_NAME: h$old -> h$new in $t_move ms"
