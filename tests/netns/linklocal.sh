#!/usr/bin/env bash
# Bad input of issue 9: a peer that advertises only unusable addresses is
# reached at its source address, and the log says so once. On a LAN with
# no DHCP every host has only an IPv4 link-local address (RFC 3927,
# 169.254/16), which no HELLO advertises (it has no scope on the wire):
# the members advertise nothing, still elect one holder, show each
# other's source as "address" (members --json), and each logs one line
# per member, however many HELLOs follow.
. "$(dirname "$0")/lib.sh"

qn_setup 2
R=$((RANDOM % 200 + 1))
for n in 1 2; do
	ip -n "$(qn_ns "$n")" addr flush dev eth0
	ip -n "$(qn_ns "$n")" addr add "169.254.$R.1$n/16" dev eth0
done
QN_DMZ=169.254.$R.200
for n in 1 2; do
	qn_start_host "$n" '[cluster]' 'hello-interval = 1s'
done
qn_elected 6000
qn_log "h$QN_HOLDER holds $QN_DMZ on a link-local LAN"

member_field() {
	timeout 2 "$QURECTL" -s "$T/h$1/sock" members --json |
	    jq -r --arg n "$2" ".members[] | select(.name == \$n) | $3"
}
for n in 1 2; do
	o=$((3 - n))
	qn_wait_for 3000 test "$(member_field "$n" "h$o" .address)" = \
	    "169.254.$R.1$o"
	[ "$(member_field "$n" "h$o" '.addresses | length')" = 0 ] ||
	    qn_fail "h$n: h$o advertises $(member_field "$n" "h$o" .addresses)"
done
sleep 3 # three HELLOs each, three of the once-a-second address checks
for n in 1 2; do
	o=$((3 - n))
	c=$(grep -c "member h$o .* advertises no usable address; reaching it at 169.254.$R.1$o" \
	    "$T/h$n/log" || true)
	[ "$c" = 1 ] || qn_fail "h$n logged h$o's unusable addresses $c times"
done
"$QURECTL" -s "$T/h1/sock" members
echo "PASS: $QN_NAME"
