#!/usr/bin/env bash
# A holder whose loop stalls past its fence (50 ms) but within its lease
# (600 ms), with no PROBE asking for it meanwhile, keeps the address: the
# kernel only silences it (the nftables element ran out) and the first
# step after the stall renews the fence (doc/protocol.md, "The fence").
# The address guard must not delete it at the fence's end: that turned
# every stall of a loaded holder into an RTM_DELADDR and an address gone
# for up to 250 ms more (CI, igmp.sh: "the address left h1 alone").
# One member: nobody probes it. qured is blocked in the kernel (the
# cgroup freezer; its guard runs on) for 150 ms, five times; `ip
# monitor` must see no deletion.
. "$(dirname "$0")/lib.sh"

STALLS=5
STALL=0.15 # s: three fences, a quarter of the lease

qn_setup 1
qn_start_host 1
qn_elected 6000
epoch=$(qn_field 1 .epoch)
mon=$T/monitor
ip -n "$(qn_ns 1)" -4 monitor address >"$mon" 2>&1 &
QN_PIDS+=($!)
monpid=$!
sleep 0.2 # the monitor listens
qn_stall_holder 1 "$STALLS" "$STALL"
kill "$monpid"
lapses=$(qn_field 1 .counters.fence_lapses)
qn_log "$STALLS stalls of ${STALL}s: $lapses fence lapses"
[ "$lapses" -ge 1 ] || qn_fail "no fence lapse counted: did qured stall?"
! grep -q "^Deleted.*$QN_DMZ/" "$mon" ||
    qn_fail "the address was deleted in a stall: $(grep Deleted "$mon")"
[ "$(qn_field 1 .node.state)" = holder ] || qn_fail "h1 is no longer holder"
[ "$(qn_field 1 .epoch)" = "$epoch" ] || qn_fail "h1 took a new epoch"
echo "PASS: $QN_NAME: $STALLS stalls past the fence, the address kept"
