#!/usr/bin/env bash
# stall.sh with a peer: a holder whose qured is blocked in the kernel
# (the cgroup freezer: state D, as a loop stuck in a syscall) for 70 ms,
# past its fence (50 ms) but short of what makes a standby ask (a
# heartbeat half a heartbeat overdue: 100 ms), eight times, while no
# client sends requests (no PROBE for them) and no periodic HELLO comes
# (hello-interval 3600 s), keeps the address and its epoch. Its guard,
# which speaks at the fence for a blocked qured when the farewell names
# a successor, must wait for a PROBE, as the core's own rule does: CI's
# svcslow.sh saw a holder's loop block 39 ms in a syscall with nobody
# asking, and the guard hand the address over for nothing. (A qured
# stopped by a signal is spoken for at once: frozen.sh.)
. "$(dirname "$0")/lib.sh"

STALLS=8
STALL=0.07 # s: past the fence, short of a silence PROBE

qn_setup 2
qn_start_host 1 '[node]' 'priority = 200' '[cluster]' 'hello-interval = 3600s'
qn_start_host 2 '[cluster]' 'hello-interval = 3600s'
qn_elected 6000
[ "$QN_HOLDER" = 1 ] || qn_fail "h$QN_HOLDER holds, expected h1 (priority 200)"
qn_wait_for 3000 eval '[ "$(qn_field 2 .holder.name)" = h1 ]'
sleep 0.5 # the start's HELLOs are answered and read
epoch=$(qn_field 1 .epoch)
qn_stall_holder 1 "$STALLS" "$STALL"
qn_log "$STALLS stalls of ${STALL}s, nobody asking"
! grep -q "guard resigned for this process" "$T/h1/log" ||
    qn_fail "h1's guard resigned for it with no peer asking"
[ "$(qn_field 1 .node.state)" = holder ] || qn_fail "h1 is no longer holder"
[ "$(qn_field 1 .epoch)" = "$epoch" ] || qn_fail "h1 took a new epoch"
qn_has_dmz 2 && qn_fail "h2 has the address too"
echo "PASS: $QN_NAME: $STALLS stalls past the fence with a peer, the address kept"
