#!/usr/bin/env bash
# defend.sh for the IPv6 DMZ address: a foreign host (no qured) takes the
# DMZ6 address while the cluster holds it and announces it (an unsolicited
# NA with the override flag, as the kernel sends with ndisc_notify): the
# holder, whose NS/NA receiver is open while it holds, answers with an
# override NA of its own at once (the router's neighbour entry comes back
# to the holder), logs the conflict, shows the foreign MAC as "conflict"
# in its status, and keeps the address; a repeat within 10 s is logged,
# not answered.
. "$(dirname "$0")/lib.sh"

qn_setup 3
qn_add_host 4
qn_setup_v6 only
foreign=$(qn_mac 4)
QN_NO_DMZ4=1
for n in 1 2 3; do
	qn_start_host "$n" "[dmz]" "address6 = $QN_DMZ6/64"
done
qn_elected6 8000
h=$QN_HOLDER
mac=$(qn_mac "$h")
# The router talks to the DMZ6 address: it has a neighbour entry to move.
ip netns exec "$QN_ROUTER" timeout 2 socat -T 1 - \
    TCP6:"[$QN_DMZ6]":9,connect-timeout=1 </dev/null >/dev/null 2>&1 || true
qn_wait_for 2000 eval '[ "$(qn_router_mac6)" = "$mac" ]'
c=$(qn_field "$h" '.conflict // empty')
[ -z "$c" ] || qn_fail "h$h shows a conflict before any: $c"

PY=/usr/bin/python3
[ -x "$PY" ] || qn_skip "no $PY to send the foreign NA"
# dad_probes MS: the DAD probes (NS from ::) for the DMZ6 address the
# router sees on the LAN within MS.
dad_probes() {
	ip netns exec "$QN_ROUTER" timeout 10 "$PY" - lan0 "$QN_DMZ6" "$1" <<'EOS'
import socket, sys, time
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x86dd))
s.bind((sys.argv[1], 0))
target = socket.inet_pton(socket.AF_INET6, sys.argv[2])
end = time.monotonic() + int(sys.argv[3]) / 1000
n = 0
while time.monotonic() < end:
    s.settimeout(end - time.monotonic())
    try:
        f = s.recv(2048)
    except (socket.timeout, ValueError):
        break
    if (len(f) >= 78 and f[20] == 58 and f[54] == 135 and
            f[22:38] == bytes(16) and f[62:78] == target):
        n += 1
print(n)
EOS
}
# Every member named the holder: none probes the address any more. A
# probe a candidate left running as a standby made h4, below, answer it
# to all nodes: a second claim the holder did not defend (loaded CI).
n=$(dad_probes 1500)
[ "$n" = 0 ] || qn_fail "$n DAD probes for $QN_DMZ6 after the election"
# na: h4 sends an unsolicited NA for the DMZ6 address (override flag, its
# MAC as target link-layer address) to all nodes, as a host that took
# the address would; the kernel fills in the checksum.
na() {
	ip netns exec "$(qn_ns 4)" "$PY" - "$QN_DMZ6" "$foreign" <<'EOS'
import socket, sys
target = socket.inet_pton(socket.AF_INET6, sys.argv[1])
mac = bytes.fromhex(sys.argv[2].replace(":", ""))
s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_HOPS, 255)
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_IF,
             socket.if_nametoindex("eth0"))
na = bytes([136, 0, 0, 0, 0x20, 0, 0, 0]) + target + bytes([2, 1]) + mac
s.sendto(na, ("ff02::1", 0, 0, socket.if_nametoindex("eth0")))
EOS
}
ip -n "$(qn_ns 4)" addr add "$QN_DMZ6/64" dev eth0 nodad
na
qn_log "h4 ($foreign) took $QN_DMZ6 and announced it"
shown() { [ "$(qn_field "$h" '.conflict // empty')" = "$foreign" ]; }
qn_wait_for 2000 shown
qn_wait_for 1000 eval '[ "$(qn_router_mac6)" = "$mac" ]'
grep -q "address conflict: $foreign advertised (NA) the DMZ" "$T/h$h/log" ||
    qn_fail "h$h did not log the conflict"
qn_log "h$h shows the conflict and defended: the router has $(qn_router_mac6)"
# A second one within DEFEND_INTERVAL (10 s) is a repeat, logged once
# and not answered: the router then keeps the foreign MAC, which shows
# that a foreign NA does move it, so the check above saw the defence.
sleep 0.3
na
repeat() { grep -q "$foreign keeps claiming" "$T/h$h/log"; }
qn_wait_for 2000 repeat
qn_wait_for 1000 eval '[ "$(qn_router_mac6)" = "$foreign" ]'
[ "$(qn_field "$h" .node.state)" = holder ] ||
    qn_fail "h$h is $(qn_field "$h" .node.state), expected holder"
qn_has_dmz6 "$h" || qn_fail "h$h lost $QN_DMZ6"
ip -n "$(qn_ns 4)" addr del "$QN_DMZ6/64" dev eth0
echo "PASS: $QN_NAME: h$h defended $QN_DMZ6 against $foreign and kept it"
