#!/usr/bin/env bash
# kill -9 of the holder's qured: its address guard (a child that outlives
# it by a moment) deletes the address at once; a peer takes over on the
# farewell the guard sends then (a RESIGN; farewell.sh asserts how fast),
# or else after the lease; afterwards never two hosts with the
# address. Then the backstop: kill -9 of the new holder's guard and
# qured together: the kernel removes the address when the lease (the
# kernel lifetime, 1 s, expiring up to about 1 s late) runs out.
. "$(dirname "$0")/lib.sh"

qn_setup 3
for n in 1 2 3; do
	qn_start_host "$n"
done
qn_elected 6000
old=$QN_HOLDER
guard=$(pgrep -P "${QN_PID[$old]}" -x qured-guard) ||
    qn_fail "h$old's qured has no address guard"
qn_log "h$old holds $QN_DMZ; kill -9 of its qured (guard $guard)"

t0=$(qn_now_ms)
qn_stop_host "$old" KILL
qn_wait_for 5000 eval '! qn_has_dmz '"$old"
t_gone=$(($(qn_now_ms) - t0))
qn_wait_for 5000 qn_peer_holds "$old"
t_peer=$(($(qn_now_ms) - t0))
qn_log "h$old's address gone after $t_gone ms; a peer has it after" \
    "$t_peer ms"
qn_timing "the guard removed the dead holder's address" "$t_gone" 100
qn_timing "peer takeover after kill -9" "$t_peer" 900
qn_elected 2000
new=$QN_HOLDER
# Afterwards: one host, the same, with the address, for 10 heartbeats.
end=$(($(qn_now_ms) + 2000))
while [ "$(qn_now_ms)" -lt "$end" ]; do
	qn_dmz_on "$new" ||
	    qn_fail "address not on h$new alone: $(qn_dmz_hosts | xargs)"
	sleep 0.05
done

# The backstop: the guard dies too (a frozen VM has no guard either).
guard=$(pgrep -P "${QN_PID[$new]}" -x qured-guard) ||
    qn_fail "h$new's qured has no address guard"
kill -KILL "$guard"
t0=$(qn_now_ms)
qn_stop_host "$new" KILL
qn_wait_for 5000 eval '! qn_has_dmz '"$new"
t_lease=$(($(qn_now_ms) - t0))
qn_log "guard and qured of h$new killed: the kernel removed the" \
    "address after $t_lease ms"
qn_timing "kernel lease removed the address" "$t_lease" 2000
qn_wait_for 5000 qn_agreed
echo "PASS: $QN_NAME: guard $t_gone ms, takeover $t_peer ms," \
    "kernel lease $t_lease ms"
