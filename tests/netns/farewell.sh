#!/usr/bin/env bash
# kill -9 of the holder's qured: its address guard drops the address,
# then sends the holder's farewell (a RESIGN its core made with the last
# heartbeat, naming the best standby) to the cluster group; the peers
# take it as a RESIGN and the named one claims at once: well under the
# lease (600 ms) that a silent holder costs them (issue 7, D3). The other
# peer logs holder-resigned, nobody holder-dead; afterwards one host
# holds. A SIGTERM'd holder resigns itself and its guard says nothing
# more: one RESIGN, not two.
. "$(dirname "$0")/lib.sh"

bound=${QN_FAREWELL_BOUND_MS:-400}
qn_setup 3
for n in 1 2 3; do
	qn_start_host "$n"
done
qn_elected 6000
old=$QN_HOLDER
pgrep -P "${QN_PID[$old]}" -x qured-guard >/dev/null ||
    qn_fail "h$old's qured has no address guard"
# A few heartbeats, so the farewell is the last heartbeat's.
sleep 0.5
qn_log "h$old holds $QN_DMZ; kill -9 of its qured"

t0=$(qn_now_ms)
qn_stop_host "$old" KILL
qn_wait_for 5000 qn_peer_holds "$old"
t_peer=$(($(qn_now_ms) - t0))
qn_has_dmz "$old" && qn_fail "h$old still has the address"
qn_elected 2000
new=$QN_HOLDER
qn_log "h$new has the address $t_peer ms after the kill"
# The farewell names the best standby: it claims at once ("standby ->
# holder (claimed)"), the other one logs holder-resigned; nobody waited
# for the dead holder (holder-dead).
grep -q "standby -> holder (claimed)" "$T/h$new/log" ||
    qn_fail "h$new did not claim at once as the named successor"
resigned=
for n in 1 2 3; do
	[ "$n" != "$old" ] || continue
	! grep -q "(holder-dead)" "$T/h$n/log" ||
	    qn_fail "h$n declared h$old dead: no farewell heard"
	if grep -q "candidate (holder-resigned)" "$T/h$n/log"; then
		resigned="$resigned h$n"
	fi
done
[ -n "$resigned" ] || qn_fail "no peer logged holder-resigned"
qn_log "holder-resigned logged by$resigned"
printf 'timing: takeover after kill -9 with the farewell = %d ms' "$t_peer"
printf ' (lease 600 ms; asserted < %d ms)\n' "$bound"
[ "$t_peer" -lt "$bound" ] ||
    qn_fail "takeover took $t_peer ms, not under $bound ms"
# Afterwards: one host, the same, with the address, for 10 heartbeats.
end=$(($(qn_now_ms) + 2000))
while [ "$(qn_now_ms)" -lt "$end" ]; do
	qn_dmz_on "$new" ||
	    qn_fail "address not on h$new alone: $(qn_dmz_hosts | xargs)"
	sleep 0.05
done

# An orderly stop resigns by itself; its guard adds nothing: the other
# peer takes over on that RESIGN and h$old's log (restarted) is quiet.
qn_start_host "$old"
qn_wait_for 6000 qn_agreed
resigns() {
	grep -c "(holder-resigned)" "$T/h$1/log" || true
}
last=
for n in 1 2 3; do
	[ "$n" != "$new" ] || continue
	last=$n
done
before=$(resigns "$last")
qn_stop_host "$new" TERM
qn_wait_for 3000 qn_agreed
sleep 0.3
after=$(resigns "$last")
qn_log "h$new stopped with SIGTERM; h$last logged holder-resigned" \
    "$((after - before)) time(s)"
[ $((after - before)) -le 1 ] ||
    qn_fail "h$last heard more than one RESIGN for one SIGTERM"
echo "PASS: $QN_NAME: takeover $t_peer ms after kill -9 (lease 600 ms)"
