#!/usr/bin/env bash
# Addresses (issue 9 item 3). h1 is multi-homed: a second interface on a
# network its peers do not share holds its default route, and a lower
# address of another network comes first on its LAN interface (the
# kernel's source for group datagrams). With [cluster] interface unset it
# still meets its peers on the shared LAN: its HELLOs advertise its LAN
# interface's addresses, never the other interface's, its peers send
# their unicasts to its address in their subnet, it holds and serves the
# DMZ address there, and a kill -9 fails over. (A peer that advertises
# no usable address: tests/netns/linklocal.sh.)
. "$(dirname "$0")/lib.sh"

qn_setup 3
R=$((RANDOM % 200 + 1))
OTHER=10.1.$R  # h1's other network: lower than the LAN's 10.20+.X
ELSE=10.0.$R   # and the lower address on h1's LAN interface

# h1's second interface, to a namespace of its own (the other network).
qn_netns_add "$QN_P-x"
ip link add "${QN_P}x1" type veth peer name "${QN_P}x1p"
ip link set "${QN_P}x1" netns "$(qn_ns 1)"
ip link set "${QN_P}x1p" netns "$QN_P-x"
ip -n "$(qn_ns 1)" link set "${QN_P}x1" name eth1
ip -n "$(qn_ns 1)" addr add "$OTHER.1/24" dev eth1
ip -n "$(qn_ns 1)" link set eth1 up
ip -n "$QN_P-x" addr add "$OTHER.254/24" dev "${QN_P}x1p"
ip -n "$QN_P-x" link set "${QN_P}x1p" up
ip -n "$(qn_ns 1)" route replace default via "$OTHER.254" dev eth1
# A lower address of another network first on eth0: the LAN's comes
# second, so the kernel would pick the other as source on eth0.
ip -n "$(qn_ns 1)" addr flush dev eth0
ip -n "$(qn_ns 1)" addr add "$ELSE.11/24" dev eth0
ip -n "$(qn_ns 1)" addr add "$(qn_ip 1)/24" dev eth0

# What h2 and h3 send to h1's other networks: nothing, if h1 is reached
# on the LAN (the router would drop it; a real one would route it away).
for n in 2 3; do
	ip netns exec "$(qn_ns "$n")" nft -f - <<-EOF
	table ip qn_multihome {
		chain out {
			type filter hook output priority 0;
			ip daddr { $ELSE.0/24, $OTHER.0/24 } counter
		}
	}
	EOF
done
# off_lan N: packets host N sent to h1's other networks.
off_lan() {
	ip netns exec "$(qn_ns "$1")" nft list table ip qn_multihome |
	    sed -n 's/.*counter packets \([0-9]*\).*/\1/p'
}

# h1 comes last: its join report (from its primary, $ELSE.11) reaches
# running members, which must not answer it through the router.
qn_start_host 2
qn_start_host 3 '[node]' 'priority = 50'
qn_elected 6000
QN_IFACE= qn_start_host 1 '[node]' 'priority = 200' 'preempt = yes'
qn_wait_for 6000 qn_dmz_on 1
qn_elected 3000
[ "$QN_HOLDER" = 1 ] || qn_fail "h$QN_HOLDER holds, not h1 (priority 200)"
grep -q 'cluster: eth0 is on the DMZ address' "$T/h1/log" ||
    qn_fail "h1 did not pick eth0 as the cluster interface"
qn_log "h1 (default route on eth1, $ELSE.11 first on eth0) holds"

# member_field N NAME JQ: a field of member NAME in host N's members --json.
member_field() {
	timeout 2 "$QURECTL" -s "$T/h$1/sock" members --json |
	    jq -r --arg n "$2" ".members[] | select(.name == \$n) | $3"
}

for n in 2 3; do
	qn_wait_for 3000 test "$(member_field "$n" h1 .address)" = "$(qn_ip 1)"
	adv=$(member_field "$n" h1 '.addresses | join(",")')
	case ",$adv," in
	*",$(qn_ip 1),"*) ;;
	*) qn_fail "h$n: h1 advertises $adv, not its LAN address" ;;
	esac
	case ",$adv," in
	*",$OTHER."*) qn_fail "h$n: h1 advertises its other network: $adv" ;;
	esac
	qn_log "h$n: h1 advertises $adv, reached at $(qn_ip 1)"
done
"$QURECTL" -s "$T/h2/sock" members

# The DMZ address is on h1's LAN interface and served there.
qn_service 1
[ "$(qn_ask)" = h1 ] || qn_fail "the router does not reach h1's service"
ip -n "$(qn_ns 1)" -4 -o addr show dev eth1 | grep -q " $QN_DMZ/" &&
    qn_fail "the DMZ address is on h1's other interface"

# Failover from the multi-homed holder, and back: it is heard both ways.
qn_stop_host 1 KILL
qn_wait_for 5000 qn_dmz_moved_from 1
qn_elected 5000
qn_log "h$QN_HOLDER took over from h1"
QN_IFACE= qn_start_host 1 '[node]' 'priority = 200' 'preempt = yes'
qn_wait_for 8000 qn_agreed
n=$(qn_field 1 '.members | length')
[ "$n" = 2 ] || qn_fail "h1 knows $n members after its restart"
for n in 2 3; do
	[ "$(off_lan "$n")" = 0 ] ||
	    qn_fail "h$n sent $(off_lan "$n") packets to h1's other networks"
done
echo "PASS: $QN_NAME"
