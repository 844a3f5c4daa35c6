#!/usr/bin/env bash
# A state dir that refuses writes (issue 7, fault 1; design D4): a node
# must not claim on an epoch it could not persist. h2 restarts on a state
# dir made immutable (chattr +i; where the file system has no such flag,
# the dir is replaced by a plain file): its writer child fails, the
# failure is logged once with the path and the errno, status --json says
# "persist": {"ok": false, ...}. The holder h1 is then killed: h2 must not
# take the address. Once the dir takes writes again h2 writes, and claims.
. "$(dirname "$0")/lib.sh"

dir=$T/h2/state
how=
diskro_cleanup() {
	local rc=$?
	chattr -i "$dir" 2>/dev/null || true
	if [ -f "$dir" ]; then
		rm -f "$dir"
		[ ! -d "$dir.away" ] || mv "$dir.away" "$dir"
	fi
	qn_cleanup "$rc"
}
trap diskro_cleanup EXIT

refuse_writes() {
	if chattr +i "$dir" 2>/dev/null &&
	    ! touch "$dir/.probe" 2>/dev/null; then
		how="chattr +i"
		return
	fi
	chattr -i "$dir" 2>/dev/null || true
	rm -f "$dir/.probe"
	mv "$dir" "$dir.away"
	: >"$dir"
	how="the dir replaced by a file"
}
take_writes() {
	if [ "$how" = "chattr +i" ]; then
		chattr -i "$dir"
	else
		rm -f "$dir"
		mv "$dir.away" "$dir"
	fi
}

qn_setup 2
qn_start_host 1 '[node]' 'priority = 200'
qn_start_host 2 '[node]' 'priority = 100'
qn_elected 6000
[ "$QN_HOLDER" = 1 ] || qn_fail "h$QN_HOLDER holds, expected h1"

qn_stop_host 2 TERM
refuse_writes
qn_log "h2's state dir refuses writes ($how); h2 restarts on it"
qn_start_host 2 '[node]' 'priority = 100'
# Its first write (the sequence block and epoch ceiling) fails.
write_failed() {
	grep -q "state: .*$T/h2/state.*\(Operation not permitted\|Not a directory\|Permission denied\)" \
	    "$T/h2/log"
}
qn_wait_for 3000 write_failed

qn_log "h1 (the holder) is killed: h2 must not claim"
qn_stop_host 1 KILL
end=$(($(qn_now_ms) + 3000))
while [ "$(qn_now_ms)" -lt "$end" ]; do
	! qn_has_dmz 2 || qn_fail "h2 took the address with its state" \
	    "dir refusing writes"
	sleep 0.05
done
state=$(qn_field 2 .node.state)
[ "$state" != holder ] || qn_fail "h2 is holder"
ok=$(qn_field 2 .persist.ok)
err=$(qn_field 2 '.persist.error // empty')
[ "$ok" = false ] || qn_fail "status says persist ok=$ok"
case $err in
*"$T/h2/state"*) ;;
*) qn_fail "persist.error does not name the state dir: $err" ;;
esac
n=$(grep -c "no claim above the epoch on disk" "$T/h2/log" || true)
[ "$n" = 1 ] || qn_fail "the failure was logged $n times, not once"
qn_log "h2: $state, persist error: $err"

take_writes
qn_log "h2's state dir takes writes again"
qn_wait_for 6000 qn_has_dmz 2
[ "$(qn_field 2 .persist.ok)" = true ] || qn_fail "persist still not ok"
grep -q "state: written to .* again" "$T/h2/log" ||
    qn_fail "h2 did not log that its writes land again"
echo "PASS: $QN_NAME: no claim while the state dir refused writes" \
    "($how); claimed once it took them"
