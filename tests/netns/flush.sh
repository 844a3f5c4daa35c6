#!/usr/bin/env bash
# `ip addr flush dev eth0` on the holder (then its own LAN address put
# back, as an interface restart would): the DMZ address is back within one
# heartbeat (generous: 500 ms), and the holder does not change.
. "$(dirname "$0")/lib.sh"

qn_setup 3
for n in 1 2 3; do
	qn_start_host "$n"
done
qn_elected 6000
h=$QN_HOLDER
ns=$(qn_ns "$h")
epoch=$(qn_field "$h" .epoch)
qn_log "h$h holds $QN_DMZ (epoch $epoch); flushing its eth0"

# Watch the address events: the flush must really have deleted it.
ip -n "$ns" monitor address >"$T/monitor" 2>&1 &
QN_PIDS+=($!)
# It listens once it reports an address added after it started: add one
# (again, until it shows up: the first may come before it listened).
listening() {
	grep -q " inet 127.0.0.2/" "$T/monitor" && return 0
	ip -n "$ns" addr del 127.0.0.2/8 dev lo 2>/dev/null || :
	ip -n "$ns" addr add 127.0.0.2/8 dev lo
	return 1
}
qn_wait_for 2000 listening
t0=$(qn_now_ms)
# One round: qured puts the address back so fast that flush (which lists
# again after deleting) may call itself "incomplete" and exit 255.
ip -loops 1 -n "$ns" addr flush dev eth0 2>/dev/null || :
ip -n "$ns" addr add "$(qn_ip "$h")/24" dev eth0
ip -n "$ns" route replace default via "$QN_ROUTER_IP"
qn_wait_for 3000 qn_has_dmz "$h"
t=$(($(qn_now_ms) - t0))
qn_log "the DMZ address is back on h$h after $t ms"
qn_timing "DMZ address back after flush" "$t" 500
deleted() { grep -q "^Deleted.* inet $QN_DMZ/" "$T/monitor"; }
qn_wait_for 1000 deleted
qn_elected 2000
[ "$QN_HOLDER" = "$h" ] || qn_fail "holder changed to h$QN_HOLDER"
e=$(qn_field "$h" .epoch)
[ "$e" = "$epoch" ] || qn_fail "epoch moved from $epoch to $e"
echo "PASS: $QN_NAME: address back on h$h in $t ms"
