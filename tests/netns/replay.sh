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
# capture FILE: the next datagram from h$h to the group, from the router.
# Joining the group draws a unicast HELLO first (the IGMP hint): skipped.
capture() {
	local i
	for i in 1 2 3 4 5 6 7 8; do
		ip netns exec "$QN_ROUTER" timeout 5 socat -u \
		    "UDP4-RECVFROM:$PORT,reuseaddr,ip-add-membership=$GROUP:lan0,range=$(qn_ip "$h")/32" \
		    OPEN:"$1",creat,trunc ||
		    qn_fail "captured no datagram of h$h from the router"
		[ "$(msg_type "$1")" = 1 ] || return 0
	done
}
send() {
	ip netns exec "$QN_ROUTER" socat -u FILE:"$1" \
	    "UDP4-DATAGRAM:$GROUP:$PORT,$MC_OPTS"
	ip netns exec "$QN_ROUTER" socat -u FILE:"$1" \
	    UDP4-SENDTO:"$(qn_ip "$h")":$PORT
}

msg_type() { od -An -tu1 -j5 -N1 "$1" | tr -d ' '; }
# capture_resign FILE: datagrams of h$h until one is a RESIGN (type 4).
capture_resign() {
	local i
	for i in $(seq 50); do
		capture "$1"
		[ "$(msg_type "$1")" != 4 ] || return 0
	done
	return 1
}

capture "$T/hb.bin"
[ "$(msg_type "$T/hb.bin")" = 2 ] || qn_fail "captured no heartbeat"
capture_resign "$T/resign.bin" &
cap=$!
sleep 0.3
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
