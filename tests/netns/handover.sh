#!/usr/bin/env bash
# The operator's tools on real daemons: `qurectl handover NAME` moves the
# address to NAME; `qurectl handover` on a standby fails with one line;
# a SIGHUP that sets the holder's priority to 0 hands the address over
# (priority is a live key); `qurectl reload` with a broken file keeps the
# running config and says why.
. "$(dirname "$0")/lib.sh"

ctl() { timeout 5 "$QURECTL" -s "$T/h$1/sock" "${@:2}"; }

qn_setup 3
for n in 1 2 3; do
	qn_start_host "$n"
done
qn_elected 6000
old=$QN_HOLDER
to=$((old % 3 + 1))
other=$((to % 3 + 1))

# Handover asked of a standby: refused, exit 1, one line on stderr.
if ctl "$other" handover "h$to" 2>"$T/err"; then
	qn_fail "handover on standby h$other succeeded"
fi
[ "$(wc -l <"$T/err")" -eq 1 ] ||
    qn_fail "handover on a standby said: $(cat "$T/err")"
qn_log "standby h$other refused: $(cat "$T/err")"

t0=$(qn_now_ms)
ctl "$old" handover "h$to" >/dev/null || qn_fail "handover h$old -> h$to failed"
qn_wait_for 2000 qn_dmz_on "$to"
qn_log "handover h$old -> h$to took $(($(qn_now_ms) - t0)) ms"
qn_elected 2000
[ "$QN_HOLDER" = "$to" ] || qn_fail "h$QN_HOLDER holds, expected h$to"

# SIGHUP: priority 0 on the holder (live) makes it hand over and observe.
sed -i 's/^\[node\]$/[node]\npriority = 0/' "$T/h$to/qured.conf"
kill -HUP "${QN_PID[$to]}"
qn_wait_for 2000 qn_dmz_moved_from "$to"
qn_wait_for 2000 eval '[ "$(qn_field '"$to"' .node.state)" = observer ]'
qn_elected 2000
qn_log "after SIGHUP with priority 0: h$to observes, h$QN_HOLDER holds"

# A broken file on reload: refused with the reason, the daemon runs on.
echo 'heartbeat = fast' >>"$T/h$to/qured.conf"
if ctl "$to" reload 2>"$T/err"; then
	qn_fail "reload of a broken config succeeded"
fi
grep -q 'heartbeat' "$T/err" || qn_fail "reload error: $(cat "$T/err")"
qn_alive "$to" || qn_fail "h$to died on a bad reload"
[ "$(qn_field "$to" .node.state)" = observer ] ||
    qn_fail "h$to changed state on a refused reload"
qn_log "bad reload refused: $(cat "$T/err")"
echo "PASS: $QN_NAME: handover, SIGHUP and a refused reload"
