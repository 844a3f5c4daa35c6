#!/usr/bin/env bash
# DNS-SD hints on an IPv6-only LAN (issue 9 items 1 and 4): the hosts have
# link-local IPv6 addresses alone, avahi-daemon speaks mDNS over IPv6, and
# the cluster's group ff02::5152 is dropped on the way out of every host.
# Each qured publishes an AAAA beside its service, resolves the others'
# and sends each one unicast HELLO there; the authenticated answers make
# the members, heard at their link-local addresses. Observers (priority
# 0), as in avahi_hint.sh: this is about membership, not the election.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/avahi_lib.sh"

qn_setup 3
qn_setup_v6 only
QN_NO_DMZ4=1
AV_IPV6=yes av_up 3
for n in 1 2 3; do
	ip netns exec "$(qn_ns "$n")" nft -f - <<NFT
table ip6 qnhint {
	chain out {
		type filter hook output priority 0; policy accept;
		ip6 daddr ff02::5152 udp dport 5182 counter drop
	}
}
NFT
done
for n in 1 2 3; do
	qn_start_host "$n" "[node]" "priority = 0" "[dmz]" \
	    "address6 = $QN_DMZ6/64"
done

members() {
	[ "$(qn_field "$1" '.members | length' 2>/dev/null)" = 2 ]
}
for n in 1 2 3; do
	qn_wait_for 20000 members "$n"
done
qn_log "every qured has 2 members, the IPv6 group dropped"
for n in 1 2 3; do
	for i in 0 1; do
		a=$(qn_field "$n" ".members[$i].address")
		case $a in fe80:*) ;; *) qn_fail "h$n hears a member at" \
		    "'$a', not a link-local IPv6 address" ;; esac
	done
done
hinted=
for n in 1 2 3; do
	grep -q 'discovery: browsed a member at fe80:.*: HELLO there' \
	    "$T/h$n/log" && hinted=1 && break
done
[ -n "$hinted" ] || qn_fail "no qured logged a hint to an IPv6 address"
qn_wait_for 10000 av_state 1 running 2
drops=$(ip netns exec "$(qn_ns 1)" nft list chain ip6 qnhint out |
    grep 'dport 5182' | sed -n 's/.*counter packets \([0-9]*\).*/\1/p')
[ "${drops:-0}" -gt 0 ] || qn_fail "h1 sent nothing to the group: no test"
echo "PASS: $QN_NAME: members found on IPv6 by DNS-SD hints alone" \
    "($drops group datagrams of h1 dropped)"
