#!/usr/bin/env bash
# Issue 7 fault 8: a foreign host (no qured) that takes the DMZ address
# while the cluster holds it is noticed and the address defended, as RFC
# 5227 2.4 says: the holder keeps an ARP receiver open; the foreign host's
# gratuitous ARP makes it send one of its own at once (the router's
# neighbour entry comes back to the holder), log the conflict and show the
# foreign MAC as "conflict" in its status; a second one within
# DEFEND_INTERVAL (10 s) is logged as a repeat and not answered; the
# holder keeps the address throughout.
. "$(dirname "$0")/lib.sh"

NETCFG_TOOL=${NETCFG_TOOL:-$qn_top_build/tests/netns/netcfg_tool}
[ -x "$NETCFG_TOOL" ] || { echo "ERROR: $NETCFG_TOOL not built" >&2; exit 99; }

qn_setup 3
qn_add_host 4
foreign=$(qn_mac 4)
for n in 1 2 3; do
	qn_start_host "$n"
done
qn_elected 6000
h=$QN_HOLDER
mac=$(qn_mac "$h")
# The router talks to the DMZ address: it has a neighbour entry to move.
ip netns exec "$QN_ROUTER" timeout 2 socat -T 1 - \
    TCP:"$QN_DMZ":9,connect-timeout=1 </dev/null >/dev/null 2>&1 || true
[ "$(qn_router_mac)" = "$mac" ] ||
    qn_fail "router has '$(qn_router_mac)' for $QN_DMZ, want $mac"
c=$(qn_field "$h" '.conflict // empty')
[ -z "$c" ] || qn_fail "h$h shows a conflict before any: $c"

# garp: h4 announces the DMZ address (netcfg_tool sends from eth0's MAC).
garp() {
	ip netns exec "$(qn_ns 4)" "$NETCFG_TOOL" garp eth0 "$QN_DMZ/24" 1 10 \
	    >/dev/null
}
garp
qn_log "h4 ($foreign) sent a gratuitous ARP for $QN_DMZ"
shown() { [ "$(qn_field "$h" '.conflict // empty')" = "$foreign" ]; }
qn_wait_for 2000 shown
qn_wait_for 1000 eval '[ "$(qn_router_mac)" = "$mac" ]'
grep -q "address conflict: $foreign sent ARP as the DMZ" "$T/h$h/log" ||
    qn_fail "h$h did not log the conflict"
qn_log "h$h shows the conflict and defended: the router has $(qn_router_mac)"

# The defence is two announcements 200 ms apart (netcfg_arp.c
# DEFEND_REPEAT_MS): the second foreign one comes after both.
sleep 0.5
garp
qn_log "h4 sent another one"
repeat() { grep -q "$foreign keeps claiming" "$T/h$h/log"; }
qn_wait_for 2000 repeat
# Not answered (rate limit): the router now has the foreign MAC, which
# also shows that the first check above saw the holder's defence.
qn_wait_for 1000 eval '[ "$(qn_router_mac)" = "$foreign" ]'
[ "$(grep -c "address conflict: $foreign" "$T/h$h/log")" = 1 ] ||
    qn_fail "h$h logged the conflict more than once"
[ "$(qn_field "$h" .node.state)" = holder ] ||
    qn_fail "h$h is $(qn_field "$h" .node.state), expected holder"
qn_has_dmz "$h" || qn_fail "h$h lost $QN_DMZ"
shown || qn_fail "h$h no longer shows the conflict"
for n in 1 2 3; do
	[ "$n" = "$h" ] && continue
	c=$(qn_field "$n" '.conflict // empty')
	[ -z "$c" ] || qn_fail "standby h$n shows a conflict: $c"
done
echo "PASS: $QN_NAME: h$h defended $QN_DMZ against $foreign and kept it"
