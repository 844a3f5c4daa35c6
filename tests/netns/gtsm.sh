#!/usr/bin/env bash
# Issue 7 fault 6: the election port faces the internet (in DMZ mode the
# router forwards every port of the DMZ address to the holder). RFC 5082
# (GTSM): members send with TTL 255 and drop what arrives with less, so a
# datagram that crossed a router is never heard. From the router
# namespace: a valid datagram sent with TTL 64 (unicast) and 1 (group) is
# dropped and counted in rx_dropped_ttl; the same with TTL 255 is heard.
# Then a spray from 40 source addresses, half routed (TTL 64), half
# malformed (TTL 255): every datagram is counted, and the log gets one
# line per reason, not one per datagram or per source.
. "$(dirname "$0")/lib.sh"

if [ ! -x "$QURE_FORGE" ]; then
	echo "ERROR: $QN_NAME: $QURE_FORGE not built (make check builds it," \
	    "or set QURE_FORGE)" >&2
	exit 99
fi
GROUP=239.255.81.82
PORT=5182
SPRAY=40

qn_setup 3
for n in 1 2 3; do
	qn_start_host "$n"
done
qn_elected 6000
h=$QN_HOLDER
s=$((h % 3 + 1))
epoch=$(qn_field "$h" .epoch)
declare -A before
for n in 1 2 3; do
	before[$n]=$(qn_field "$n" .counters)
done
delta() {
	echo $(($(qn_field "$1" ".counters.$2") - $(jq ".$2" <<<"${before[$1]}")))
}

# send FILE TTL SRC [DEST]: one datagram from the router's address SRC,
# to the group or to DEST, with that TTL.
send() {
	local dest=${4:-}
	if [ -z "$dest" ]; then
		ip netns exec "$QN_ROUTER" socat -u FILE:"$1" \
		    "UDP4-DATAGRAM:$GROUP:$PORT,bind=$3,ip-multicast-ttl=$2,ip-multicast-if=$QN_ROUTER_IP"
	else
		ip netns exec "$QN_ROUTER" socat -u FILE:"$1" \
		    "UDP4-SENDTO:$dest:$PORT,bind=$3,ttl=$2"
	fi
}

# A HELLO of an observer, valid in every other way: routed, it is dropped
# before any check; on the link it is heard (counted rx).
"$QURE_FORGE" --key "$T/key" --type hello --epoch "$epoch" --seq 7 \
    --priority 0 --name routed --id 0000000000000000000000000000f00d \
    --dmz "$QN_DMZ/24" >"$T/hello.bin"
send "$T/hello.bin" 64 "$QN_ROUTER_IP" "$(qn_ip "$s")"
send "$T/hello.bin" 1 "$QN_ROUTER_IP"
dropped_ttl() {
	local n want
	for n in 1 2 3; do
		want=1
		[ "$n" != "$s" ] || want=2
		[ "$(delta "$n" rx_dropped_ttl)" -eq "$want" ] || return 1
	done
}
qn_wait_for 3000 dropped_ttl
qn_log "routed datagrams (TTL 64 unicast, TTL 1 group) dropped and counted"
for n in 1 2 3; do
	qn_field "$n" '.members[].name' | grep -qx routed &&
	    qn_fail "h$n lists the member of a routed datagram"
done

# The spray: one routed and one malformed datagram from each address.
printf 'QURE\001\002not a datagram' >"$T/garbage.bin"
for i in $(seq 1 $SPRAY); do
	ip -n "$QN_ROUTER" addr add "$QN_NET.$((100 + i))/24" dev lan0
done
for n in 1 2 3; do
	before[$n]=$(qn_field "$n" .counters)
	lines_before[$n]=$(grep -c 'dropped a datagram' "$T/h$n/log" || true)
done
for i in $(seq 1 $SPRAY); do
	send "$T/hello.bin" 64 "$QN_NET.$((100 + i))"
	send "$T/garbage.bin" 255 "$QN_NET.$((100 + i))"
done
sprayed() {
	local n
	for n in 1 2 3; do
		[ "$(delta "$n" rx_dropped_ttl)" -eq $SPRAY ] &&
		    [ "$(delta "$n" rx_dropped_malformed)" -eq $SPRAY ] ||
		    return 1
	done
}
qn_wait_for 5000 sprayed
for n in 1 2 3; do
	lines=$(($(grep -c 'dropped a datagram' "$T/h$n/log") - lines_before[$n]))
	qn_log "h$n: $SPRAY routed + $SPRAY malformed counted, $lines log line(s)"
	# At most one line per reason a minute: ttl and malformed, and
	# those were logged already in this minute for the ttl reason.
	[ "$lines" -le 2 ] ||
	    qn_fail "h$n wrote $lines log lines for a spray of $((2 * SPRAY))"
done
qn_elected 1000
[ "$QN_HOLDER" = "$h" ] || qn_fail "holder changed to h$QN_HOLDER"
echo "PASS: $QN_NAME: routed datagrams dropped and counted; a spray of" \
    "$((2 * SPRAY)) from $SPRAY addresses logged a bounded number of lines"
