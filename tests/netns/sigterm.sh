#!/usr/bin/env bash
# SIGTERM on the holder: it resigns naming a successor who claims at once;
# another host holds in under 100 ms; qured exits 0; the old host no longer
# has the address.
. "$(dirname "$0")/lib.sh"

qn_setup 3
for n in 1 2 3; do
	qn_start_host "$n"
done
qn_elected 6000
old=$QN_HOLDER
qn_log "h$old holds $QN_DMZ; SIGTERM to its qured (pid ${QN_PID[$old]})"

pid=${QN_PID[$old]}
t0=$(qn_now_ms)
kill -TERM "$pid"
# Tight loop, no sleep: the bound is 100 ms.
others=()
for n in 1 2 3; do
	[ "$n" = "$old" ] || others+=("$n")
done
end=$((t0 + 5000))
new=
while [ -z "$new" ]; do
	for n in "${others[@]}"; do
		if qn_has_dmz "$n"; then
			new=$n
		fi
	done
	[ "$(qn_now_ms)" -lt "$end" ] || qn_fail "no host took over in 5 s"
done
t=$(($(qn_now_ms) - t0))
rc=0
wait "$pid" || rc=$?
unset "QN_PID[$old]"
qn_log "h$new has $QN_DMZ after $t ms; h$old's qured exited $rc"
[ "$rc" = 0 ] || qn_fail "qured exited $rc on SIGTERM, expected 0"
! qn_has_dmz "$old" || qn_fail "h$old still has $QN_DMZ after exiting"
qn_timing "handover after SIGTERM" "$t" 100
qn_elected 2000
[ "$QN_HOLDER" = "$new" ] || qn_fail "h$QN_HOLDER holds, expected h$new"
echo "PASS: $QN_NAME: h$old -> h$new in $t ms"
