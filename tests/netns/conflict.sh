#!/usr/bin/env bash
# A foreign host (no qured) already has the DMZ address: the instances
# ARP-probe before their first claim, hear it answer, and nobody claims
# within 3 s; the status of at least one shows the foreign MAC as the
# conflict.
. "$(dirname "$0")/lib.sh"

qn_setup 3
qn_add_host 4
ip -n "$(qn_ns 4)" addr add "$QN_DMZ/24" dev eth0
foreign=$(qn_mac 4)
qn_log "h4 (no qured, $foreign) has $QN_DMZ"
for n in 1 2 3; do
	qn_start_host "$n"
done
end=$((${QN_START_MS[1]} + 3000))
while [ "$(qn_now_ms)" -lt "$end" ]; do
	for n in 1 2 3; do
		! qn_has_dmz "$n" || qn_fail "h$n claimed $QN_DMZ"
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
echo "PASS: $QN_NAME: nobody claimed $QN_DMZ; conflict $foreign shown"
