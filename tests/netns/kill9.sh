#!/usr/bin/env bash
# kill -9 of the holder's qured: the kernel removes its address when the
# lease (the kernel lifetime, 1 s, expiring up to about 1 s late) runs
# out; a peer takes over after dead-after missed heartbeats; afterwards
# never two hosts with the address.
. "$(dirname "$0")/lib.sh"

qn_setup 3
for n in 1 2 3; do
	qn_start_host "$n"
done
qn_elected 6000
old=$QN_HOLDER
qn_log "h$old holds $QN_DMZ; kill -9 of its qured"

t0=$(qn_now_ms)
qn_stop_host "$old" KILL
peer_holds() {
	local n
	for n in $(qn_dmz_hosts); do
		[ "$n" = "$old" ] || return 0
	done
	return 1
}
qn_wait_for 5000 peer_holds
t_peer=$(($(qn_now_ms) - t0))
qn_log "a peer has $QN_DMZ after $t_peer ms"
qn_wait_for 5000 eval '! qn_has_dmz '"$old"
t_gone=$(($(qn_now_ms) - t0))
qn_log "the kernel removed h$old's address after $t_gone ms"
qn_timing "peer takeover after kill -9" "$t_peer" 900
qn_timing "kernel removed the dead holder's address" "$t_gone" 2000

qn_elected 2000
new=$QN_HOLDER
# Afterwards: one host, the same, with the address, for 10 heartbeats.
end=$(($(qn_now_ms) + 2000))
while [ "$(qn_now_ms)" -lt "$end" ]; do
	qn_dmz_on "$new" ||
	    qn_fail "address not on h$new alone: $(qn_dmz_hosts | xargs)"
	sleep 0.05
done
qn_elected 1000
[ "$QN_HOLDER" = "$new" ] || qn_fail "holder changed from h$new"
echo "PASS: $QN_NAME: h$old killed, h$new took over in $t_peer ms," \
    "the kernel dropped h$old's address after $t_gone ms"
