#!/usr/bin/env bash
# Issue 7 fault 4: a recreated interface (a bridge, bond or VLAN rebuilt
# by networkd, a NIC hot-plug) gets a new ifindex; qured follows the
# interface by name and comes back into the cluster without a restart.
# (1) a member's eth0 is deleted and made again (same name, new index,
# new MAC): the holder hears it again and it follows the holder; (2) the
# same for the holder: a peer takes over, the recreated node comes back
# as a standby and, handed the address, holds it again (the router's
# ARP answer for the DMZ address comes from its new MAC alone). The
# standbys' request watchers and the holder's ARP defence are bound to
# the new index (/proc/net/packet).
. "$(dirname "$0")/lib.sh"

qn_setup 3
for n in 1 2 3; do
	qn_start_host "$n" '[dmz]' 'ports = tcp:8080' # the watcher too
done
qn_elected 6000

new_mac() { printf '02:00:00:00:02:%02x' "$1"; }

# recreate N: deletes host N's eth0 (the veth pair) and makes it again,
# with the same name and address but a new ifindex and MAC.
recreate() {
	local n=$1 ns
	ns=$(qn_ns "$n")
	ip -n "$ns" link del eth0
	sleep 0.3
	ip link add "${QN_P}h$n" type veth peer name "${QN_P}h${n}p"
	ip link set "${QN_P}h$n" netns "$ns"
	ip link set "${QN_P}h${n}p" netns "$QN_LAN"
	ip -n "$ns" link set "${QN_P}h$n" name eth0
	ip -n "$ns" link set eth0 address "$(new_mac "$n")"
	ip -n "$ns" addr add "$(qn_ip "$n")/24" dev eth0
	ip -n "$ns" link set eth0 up
	ip -n "$ns" route add default via "$QN_ROUTER_IP"
	ip -n "$QN_LAN" link set "${QN_P}h${n}p" name "h${n}p"
	ip -n "$QN_LAN" link set "h${n}p" master br0 up
	qn_log "h$n: eth0 recreated (index" \
	    "$(ip -n "$ns" -o link show eth0 | cut -d: -f1), $(new_mac "$n"))"
}

# back N HOLDER: N follows HOLDER, and HOLDER heard N after t0.
back() {
	local seen
	[ "$(qn_field "$1" '.holder.name // empty')" = "h$2" ] || return 1
	seen=$(qn_field "$2" ".members[] | select(.name == \"h$1\") |
	    .last_seen_ms") || return 1
	[ -n "$seen" ] && [ "$seen" -lt $(($(qn_now_ms) - t0)) ]
}

# bound N PROTO: a packet socket of host N's qured is bound to eth0's
# current index for PROTO (0800: the watcher, 0806: the ARP defence).
bound() {
	local ns idx
	ns=$(qn_ns "$1")
	idx=$(ip -n "$ns" -o link show eth0 | cut -d: -f1)
	ip netns exec "$ns" awk -v p="$2" -v i="$idx" \
	    '$4 == p && $5 == i { f = 1 } END { exit !f }' /proc/net/packet
}

# (1) a member.
h=$QN_HOLDER
m=$(( h % 3 + 1 ))
recreate "$m"
t0=$(qn_now_ms)
qn_wait_for 5000 back "$m" "$h"
qn_log "h$m back in the cluster after $(($(qn_now_ms) - t0)) ms"
[ "$(qn_field "$m" .node.state)" = standby ] ||
    qn_fail "h$m is $(qn_field "$m" .node.state), expected standby"
qn_wait_for 1000 bound "$m" 0800

# (2) the holder.
recreate "$h"
t0=$(qn_now_ms)
qn_wait_for 5000 qn_dmz_moved_from "$h"
qn_elected 3000
h2=$QN_HOLDER
qn_wait_for 5000 back "$h" "$h2"
qn_log "h$h back in the cluster after $(($(qn_now_ms) - t0)) ms," \
    "h$h2 holds"
"$QURECTL" -s "$T/h$h2/sock" handover "h$h" ||
    qn_fail "handover from h$h2 to h$h refused"
took() { qn_agreed && [ "$QN_AGREED" = "$h" ]; }
qn_wait_for 3000 took
ARP_MON=${ARP_MON:-$qn_top_build/tests/netns/arp_mon}
macs=$(ip netns exec "$QN_ROUTER" "$ARP_MON" lan0 "$QN_ROUTER_IP" "$QN_DMZ" \
    500 50 | awk '$1 == "reply" { print $3 }' | sort -u | xargs)
[ "$macs" = "$(new_mac "$h")" ] ||
    qn_fail "ARP answers for $QN_DMZ from '$macs', want $(new_mac "$h")"
qn_log "h$h holds again; ARP answers come from $macs"
bound "$h" 0806 || qn_fail "h$h: no ARP defence on the new eth0"
echo "PASS: $QN_NAME: recreated interfaces of a member and of the holder" \
    "came back without a restart"
