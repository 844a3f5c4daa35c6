#!/usr/bin/env bash
# Bad datagrams from the router namespace, to the cluster group and to a
# standby's own address: malformed bytes, datagrams tagged with a wrong
# key (a heartbeat and a claim of a far higher epoch), a valid datagram
# sent twice, and a real heartbeat of the holder captured and replayed.
# The holder does not change, no epoch moves, and the receivers count
# rx_dropped_malformed, rx_dropped_auth and rx_dropped_replay.
. "$(dirname "$0")/lib.sh"

if [ ! -x "$QURE_FORGE" ]; then
	echo "ERROR: $QN_NAME: $QURE_FORGE not built (make check builds it," \
	    "or set QURE_FORGE)" >&2
	exit 99
fi
GROUP=239.255.81.82
PORT=5182
# TTL 255: a sender on the link (RFC 5082; gtsm.sh sends with less).
MC_OPTS=ip-multicast-ttl=255,ip-multicast-if= # + the router's address

qn_setup 3
for n in 1 2 3; do
	qn_start_host "$n"
done
qn_elected 6000
h=$QN_HOLDER
s=$((h % 3 + 1)) # a standby, the target of the unicast datagrams
epoch=$(qn_field "$h" .epoch)
declare -A before
for n in 1 2 3; do
	before[$n]=$(qn_field "$n" .counters)
	[ "$(qn_field "$n" .epoch)" = "$epoch" ] ||
	    qn_fail "h$n is not in epoch $epoch before the test"
done
qn_log "h$h holds $QN_DMZ in epoch $epoch; bad datagrams to the group" \
    "and to h$s ($(qn_ip "$s"))"

MC_OPTS=$MC_OPTS$QN_ROUTER_IP
# send FILE [DEST]: one datagram from the router, to the group or DEST.
send() {
	if [ $# -eq 1 ]; then
		ip netns exec "$QN_ROUTER" socat -u FILE:"$1" \
		    "UDP4-DATAGRAM:$GROUP:$PORT,$MC_OPTS"
	else
		ip netns exec "$QN_ROUTER" socat -u FILE:"$1" \
		    UDP4-SENDTO:"$2":$PORT,ttl=255
	fi
}
forge() { "$QURE_FORGE" --key "$T/key" "$@"; }

# Capture one real heartbeat of the holder (it is sent every 200 ms).
# Joining the group draws a HELLO from each member first (the IGMP
# hint, unicast to the router): skip those; byte 5 is the type.
for i in 1 2 3 4 5 6 7 8; do
	ip netns exec "$QN_ROUTER" timeout 5 socat -u \
	    UDP4-RECVFROM:$PORT,reuseaddr,ip-add-membership=$GROUP:lan0 \
	    OPEN:"$T/captured.bin",creat,trunc ||
	    qn_fail "captured no datagram of the cluster from the router"
	[ "$(od -An -tu1 -j5 -N1 "$T/captured.bin" | tr -d ' ')" != 2 ] ||
	    break
done
[ "$(od -An -tu1 -j5 -N1 "$T/captured.bin" | tr -d ' ')" = 2 ] ||
    qn_fail "captured no heartbeat of the holder in $i tries"

# Malformed: garbage, and a valid heartbeat cut short.
printf 'QURE\001\002not a datagram' >"$T/garbage.bin"
forge --type heartbeat --epoch "$epoch" --seq 9 --dmz "$QN_DMZ/24" \
    --id 0000000000000000000000000000beef >"$T/hb.bin"
head -c 60 "$T/hb.bin" >"$T/short.bin"
# Wrong key: a heartbeat and a claim that would win if they were believed.
forge --wrong-key --type heartbeat --epoch $((epoch + 100)) --seq 1 \
    --dmz "$QN_DMZ/24" --priority 254 \
    --id 00000000000000000000000000000bad >"$T/badkey-hb.bin"
forge --wrong-key --type claim --epoch $((epoch + 100)) --seq 2 \
    --dmz "$QN_DMZ/24" --priority 254 \
    --id 00000000000000000000000000000bad >"$T/badkey-claim.bin"
# Valid, sent three times: a HELLO of an observer in the current epoch,
# from an (id, boot) nobody verified: challenged (to the router, which
# does not answer) and counted as unverified, never acted on.
forge --type hello --epoch "$epoch" --seq 7 --priority 0 --name forged \
    --dmz "$QN_DMZ/24" --id 0000000000000000000000000000f00d >"$T/hello.bin"

for f in garbage short badkey-hb badkey-claim; do
	send "$T/$f.bin"
	send "$T/$f.bin" "$(qn_ip "$s")"
done
send "$T/hello.bin"
send "$T/hello.bin"
send "$T/hello.bin" "$(qn_ip "$s")"
send "$T/captured.bin"
send "$T/captured.bin" "$(qn_ip "$s")"

# Expected, per receiver: malformed 2 (group) + 2 (unicast, h$s only),
# auth likewise; unverified: the HELLO twice (once more on h$s); replay:
# the captured heartbeat on each standby (twice on h$s), whose boot is
# verified (on the holder it is its own: looped back, not counted).
delta() {
	local n=$1 k=$2
	echo $(($(qn_field "$n" ".counters.$k") - $(jq ".$k" <<<"${before[$n]}")))
}
counted() {
	local n want_m want_r want_u
	for n in 1 2 3; do
		want_m=2
		want_r=0
		want_u=2
		[ "$n" != "$s" ] || { want_m=4; want_u=3; }
		[ "$n" = "$h" ] || want_r=$((want_r + 1))
		[ "$n" != "$s" ] || want_r=$((want_r + 1))
		[ "$(delta "$n" rx_dropped_malformed)" -ge "$want_m" ] &&
		    [ "$(delta "$n" rx_dropped_auth)" -ge "$want_m" ] &&
		    [ "$(delta "$n" rx_dropped_replay)" -ge "$want_r" ] &&
		    [ "$(delta "$n" rx_unverified)" -ge "$want_u" ] ||
		    return 1
	done
}
qn_wait_for 3000 counted
for n in 1 2 3; do
	qn_log "h$n: dropped malformed +$(delta "$n" rx_dropped_malformed)," \
	    "auth +$(delta "$n" rx_dropped_auth)," \
	    "replay +$(delta "$n" rx_dropped_replay)," \
	    "unverified +$(delta "$n" rx_unverified)"
	[ "$(delta "$n" rx_dropped_malformed)" -eq \
	    "$([ "$n" = "$s" ] && echo 4 || echo 2)" ] ||
	    qn_fail "h$n counted more malformed datagrams than were sent"
	[ "$(delta "$n" rx_dropped_auth)" -eq \
	    "$([ "$n" = "$s" ] && echo 4 || echo 2)" ] ||
	    qn_fail "h$n counted more wrong-key datagrams than were sent"
done

# Nothing changed: same holder, same epoch everywhere, no failover, for
# 5 heartbeats after the last datagram.
end=$(($(qn_now_ms) + 1000))
while [ "$(qn_now_ms)" -lt "$end" ]; do
	qn_dmz_on "$h" || qn_fail "address not on h$h alone"
	sleep 0.05
done
qn_elected 1000
[ "$QN_HOLDER" = "$h" ] || qn_fail "holder changed to h$QN_HOLDER"
for n in 1 2 3; do
	e=$(qn_field "$n" .epoch)
	[ "$e" = "$epoch" ] || qn_fail "h$n's epoch moved from $epoch to $e"
	f=$(delta "$n" failovers)
	[ "$f" = 0 ] || qn_fail "h$n counted $f failovers"
done
echo "PASS: $QN_NAME: h$h still holds in epoch $epoch; drops counted"
