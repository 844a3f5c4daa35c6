#!/usr/bin/env bash
# Issue 7, fault 2 (and the old RESIGN of fault 8): datagrams captured on
# the LAN before a member restarted, replayed once it holds again. A
# heartbeat of its own id from its previous start must not make it drop
# the address and take a new id (version 1 did, 9 ms later: clone
# detection trusted the replayed fields); its own old RESIGN, naming a
# successor, must not move the address either.
. "$(dirname "$0")/lib.sh"

GROUP=239.255.81.82
PORT=5182
MC_OPTS=ip-multicast-ttl=1,ip-multicast-if=$QN_ROUTER_IP

qn_setup 3
for n in 1 2 3; do
	qn_start_host "$n"
done
qn_elected 6000
h=$QN_HOLDER
ctl() { "$QURECTL" -s "$T/h$1/sock" "${@:2}"; }
# capture FILE TYPE: from the router, the next datagram of h$h of that
# message type (2 HEARTBEAT, 4 RESIGN) into FILE. One socket for the whole
# wait (a socat per datagram missed the one sent while it restarted: the
# RESIGN, under load); FILE.ready appears once it listens.
capture() {
	ip netns exec "$QN_ROUTER" timeout 20 /usr/bin/python3 - "$GROUP" \
	    "$PORT" "$QN_ROUTER_IP" "$(qn_ip "$h")" "$1" "$2" <<-'PY'
		import socket, sys
		group, port, ifaddr, src, out, want = sys.argv[1:7]
		s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
		s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
		s.bind(("", int(port)))
		s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP,
		    socket.inet_aton(group) + socket.inet_aton(ifaddr))
		open(out + ".ready", "w").close()
		while True:
		    data, (addr, _) = s.recvfrom(2048)
		    if addr == src and len(data) > 5 and data[5] == int(want):
		        open(out, "wb").write(data)
		        sys.exit(0)
	PY
}
send() {
	ip netns exec "$QN_ROUTER" socat -u FILE:"$1" \
	    "UDP4-DATAGRAM:$GROUP:$PORT,$MC_OPTS"
	ip netns exec "$QN_ROUTER" socat -u FILE:"$1" \
	    UDP4-SENDTO:"$(qn_ip "$h")":$PORT
}

msg_type() { od -An -tu1 -j5 -N1 "$1" | tr -d ' '; }

capture "$T/hb.bin" 2 || qn_fail "captured no heartbeat of h$h"
[ "$(msg_type "$T/hb.bin")" = 2 ] || qn_fail "captured no heartbeat"
capture "$T/resign.bin" 4 &
cap=$!
qn_wait_for 5000 test -e "$T/resign.bin.ready"
qn_log "captured a heartbeat of h$h; h$h hands over and restarts"
ctl "$h" handover >/dev/null || qn_fail "h$h would not hand over"
wait "$cap" || qn_fail "no RESIGN of h$h captured"
qn_stop_host "$h" TERM
qn_start_host "$h"
qn_elected 3000
if [ "$QN_HOLDER" != "$h" ]; then
	ctl "$QN_HOLDER" handover "h$h" >/dev/null ||
	    qn_fail "h$QN_HOLDER would not hand over to h$h"
fi
qn_wait_for 3000 qn_dmz_on "$h"
qn_elected 3000
[ "$QN_HOLDER" = "$h" ] || qn_fail "h$QN_HOLDER holds, expected h$h"
id=$(qn_field "$h" .node.id)
epoch=$(qn_field "$h" .epoch)
qn_log "h$h ($id) holds again in epoch $epoch; replaying its old" \
    "heartbeat and RESIGN"
for i in 1 2 3; do
	send "$T/hb.bin"
	send "$T/resign.bin"
done
end=$(($(qn_now_ms) + 2000))
while [ "$(qn_now_ms)" -lt "$end" ]; do
	qn_dmz_on "$h" || qn_fail "the address left h$h: $(qn_dmz_hosts | xargs)"
	sleep 0.05
done
[ "$(qn_field "$h" .node.id)" = "$id" ] || qn_fail "h$h took a new id"
qn_elected 1000
[ "$QN_HOLDER" = "$h" ] || qn_fail "h$QN_HOLDER holds, expected h$h"
u=$(qn_field "$h" .counters.rx_unverified)
qn_log "h$h kept the address and its id; rx_unverified $u"
echo "PASS: $QN_NAME: h$h kept the address and its id against its own" \
    "replayed heartbeat and RESIGN"
