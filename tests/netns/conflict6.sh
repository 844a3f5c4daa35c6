#!/usr/bin/env bash
# IPv6 conflict check: a foreign host (no qured) already has the DMZ6
# address on an IPv6-only LAN. The instances probe it before their first
# claim (neighbour solicitations from ::, as duplicate address detection
# does), hear its neighbour advertisement, and nobody claims within 3 s;
# the status of at least one shows the foreign MAC as the conflict. Once
# the foreign host lets the address go, a member claims it.
. "$(dirname "$0")/lib.sh"

qn_setup 3
qn_add_host 4
qn_setup_v6 only
ip netns exec "$(qn_ns 4)" sysctl -qw net.ipv6.conf.eth0.accept_dad=0
ip -n "$(qn_ns 4)" addr add "$QN_DMZ6/64" dev eth0
foreign=$(qn_mac 4)
qn_log "h4 (no qured, $foreign) has $QN_DMZ6"
QN_NO_DMZ4=1
for n in 1 2 3; do
	qn_start_host "$n" "[dmz]" "address6 = $QN_DMZ6/64"
done
end=$((${QN_START_MS[1]} + 3000))
while [ "$(qn_now_ms)" -lt "$end" ]; do
	for n in 1 2 3; do
		! qn_has_dmz6 "$n" || qn_fail "h$n claimed $QN_DMZ6"
	done
	sleep 0.05
done
for n in 1 2 3; do
	st=$(qn_field "$n" .node.state)
	[ "$st" != holder ] || qn_fail "h$n is holder"
done
seen() {
	local n
	for n in 1 2 3; do
		[ "$(qn_field "$n" '.conflict // empty')" = "$foreign" ] &&
		    return 0
	done
	return 1
}
qn_wait_for 2000 seen
for n in 1 2 3; do
	qn_log "h$n: state $(qn_field "$n" .node.state)," \
	    "conflict '$(qn_field "$n" '.conflict // empty')'"
done
ip -n "$(qn_ns 4)" addr del "$QN_DMZ6/64" dev eth0
qn_log "h4 let $QN_DMZ6 go"
held() { [ -n "$(qn_dmz6_hosts | grep -v '^4$')" ]; }
qn_wait_for 8000 held
echo "PASS: $QN_NAME: nobody claimed $QN_DMZ6 while $foreign had it;" \
    "h$(qn_dmz6_hosts | head -1) took it after"
