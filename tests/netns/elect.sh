#!/usr/bin/env bash
# 3 instances elect exactly one holder within 2 s of start; all three
# report the same holder; exactly one host has the DMZ address.
. "$(dirname "$0")/lib.sh"

qn_setup 3
for n in 1 2 3; do
	qn_start_host "$n"
done
t0=${QN_START_MS[1]}
qn_elected 6000
t=$(($(qn_now_ms) - t0))
qn_log "h$QN_HOLDER holds $QN_DMZ; all agree"
qn_timing "election after start" "$t" 2000

# Stable: for a few heartbeats, still one holder, the same, and only one
# host with the address.
end=$(($(qn_now_ms) + 1000))
while [ "$(qn_now_ms)" -lt "$end" ]; do
	qn_dmz_on "$QN_HOLDER" ||
	    qn_fail "address not on h$QN_HOLDER alone: $(qn_dmz_hosts | xargs)"
	sleep 0.05
done
h=$(qn_holder) || qn_fail "the hosts do not agree on a holder"
[ "$h" = "h$QN_HOLDER" ] || qn_fail "holder changed to $h"
for n in 1 2 3; do
	st=$(qn_field "$n" .node.state)
	want=standby
	[ "$n" != "$QN_HOLDER" ] || want=holder
	[ "$st" = "$want" ] || qn_fail "h$n is $st, expected $want"
	[ "$(qn_field "$n" .dmz.held)" = $([ "$want" = holder ] && echo true ||
	    echo false) ] || qn_fail "h$n: dmz.held does not match its state"
done
echo "PASS: $QN_NAME: h$QN_HOLDER elected in $t ms"
