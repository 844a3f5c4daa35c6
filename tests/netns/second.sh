#!/usr/bin/env bash
# Issue 7 fault 8: a second qured started on the holder (same config, same
# state dir) must not touch the network: it used to delete the live DMZ
# address as a stale one before it failed on the port. It takes the state
# dir's lock first, and exits 1 with one line saying who holds it.
. "$(dirname "$0")/lib.sh"

qn_setup 2
for n in 1 2; do
	qn_start_host "$n"
done
qn_elected 6000
h=$QN_HOLDER
epoch=$(qn_field "$h" .epoch)
qn_log "h$h holds $QN_DMZ; starting a second qured on h$h"

# Watch the address while the second instance starts and exits.
(
	while :; do
		qn_has_dmz "$h" || echo "gone at $(qn_now_ms)"
		sleep 0.005
	done
) >"$T/watch.out" 2>&1 &
watcher=$!
QN_PIDS+=($watcher)
rc=0
ip netns exec "$(qn_ns "$h")" timeout 10 "$QURED" -f -c "$T/h$h/qured.conf" \
    >"$T/second.out" 2>&1 || rc=$?
sleep 0.3
kill "$watcher"
wait "$watcher" 2>/dev/null || true
cat "$T/second.out"
[ ! -s "$T/watch.out" ] ||
    qn_fail "the DMZ address left h$h: $(head -1 "$T/watch.out")"
! grep -q 'vanished' "$T/h$h/log" ||
    qn_fail "h$h saw its address vanish"
[ "$rc" = 1 ] || qn_fail "the second qured exited $rc, expected 1"
[ "$(wc -l <"$T/second.out")" -eq 1 ] ||
    qn_fail "the second qured wrote more than one line"
grep -q "another qured (pid ${QN_PID[$h]}) holds the lock" "$T/second.out" ||
    qn_fail "the second qured does not say that h$h's qured holds the lock"
qn_elected 1000
[ "$QN_HOLDER" = "$h" ] || qn_fail "the holder changed to h$QN_HOLDER"
[ "$(qn_field "$h" .epoch)" = "$epoch" ] || qn_fail "the epoch moved"
echo "PASS: $QN_NAME: the second qured exited 1 at the lock; h$h kept" \
    "$QN_DMZ"
