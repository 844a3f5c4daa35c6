#!/usr/bin/env bash
# A browsed peer is a hint (issue 9 item 1, doc/design.md §5.6): with the
# cluster's multicast group dropped on the way out of every host (a switch
# that forwards mDNS but not the group, say), three qured still learn of
# each other, by DNS-SD: each browsed instance of the cluster draws one
# unicast HELLO, and the authenticated answers make the members. They are
# observers (priority 0): without the group no heartbeat would be heard,
# and this test is about membership, not the election.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/avahi_lib.sh"

qn_setup 3
av_up 3
for n in 1 2 3; do
	ip netns exec "$(qn_ns "$n")" nft -f - <<NFT
table ip qnhint {
	chain out {
		type filter hook output priority 0; policy accept;
		ip daddr 239.255.81.82 udp dport 5182 counter drop
		# and the IGMP reports: their hints would find the members
		# first (discovery/disc_igmp_watch.c), and this is DNS-SD's test
		ip protocol igmp counter drop
	}
}
NFT
done
for n in 1 2 3; do
	qn_start_host "$n" "[node]" "priority = 0"
done

members() {
	[ "$(qn_field "$1" '.members | length' 2>/dev/null)" = 2 ]
}
for n in 1 2 3; do
	qn_wait_for 20000 members "$n"
done
qn_log "every qured has 2 members, the group dropped"
for n in 1 2 3; do
	grep -q 'discovery: browsed a member at .*: HELLO there' \
	    "$T/h$n/log" && hinted=1 && break
done
[ -n "${hinted:-}" ] || qn_fail "no qured logged a hint"
drops=$(ip netns exec "$(qn_ns 1)" nft list chain ip qnhint out |
    grep 'dport 5182' | sed -n 's/.*counter packets \([0-9]*\).*/\1/p')
[ "${drops:-0}" -gt 0 ] || qn_fail "h1 sent nothing to the group: no test"
echo "PASS: $QN_NAME: members found by DNS-SD hints alone ($drops group" \
    "datagrams of h1 dropped)"
