#!/usr/bin/env bash
# Fast failure detection on a hub-like LAN: while a client keeps
# connecting to the DMZ address, the holder's link is cut. The standbys
# see its clients' SYNs go unanswered, PROBE it, and declare it dead on
# the probe's silence ("probe-failed"; or "holder-dead" when the round
# drawn by its late heartbeat failed first, as on a loaded host). Since
# issue 7 (D3) the claim itself waits until the old holder's lease (600
# ms after its last heartbeat, + 20 ms) has run out: a frozen holder may
# still answer until then. So the standby first in line claims at the
# lease end, whether it saw the requests itself or not.
. "$(dirname "$0")/lib.sh"

qn_hub_cluster 3 # the standbys see the holder's clients
old=$QN_HOLDER
qn_ask >/dev/null || qn_fail "the service on h$old does not answer"

# The client: a connection attempt every 10 ms, 50 ms to connect.
ip netns exec "$QN_ROUTER" bash -c "while :; do
	timeout 0.2 socat -T 0.05 - TCP:$QN_DMZ:8080,connect-timeout=0.05 \
	    </dev/null >/dev/null 2>&1; sleep 0.01; done" &
QN_PIDS+=($!)
qn_log "h$old holds; the client connects every 10 ms; cutting h$old's link"
t0=$(qn_now_ms)
qn_cut_link "$old"
qn_wait_for 5000 qn_dmz_moved_from "$old"
t=$(($(qn_now_ms) - t0))
new=$(qn_one_dmz_host)
prober=
for n in 1 2 3; do
	[ "$n" != "$old" ] || continue
	# A round of PROBEs drawn by an unanswered request fails as
	# "probe-failed"; one drawn by the heartbeat that came half a
	# heartbeat late (the fence trusted; first on a loaded host, where
	# the client is slow) as "holder-dead". Either way a failed round:
	# the PROBE counter tells it from heartbeats merely missed.
	if grep -Eq 'standby -> candidate \((probe-failed|holder-dead)\)' \
	    "$T/h$n/log" && [ "$(qn_field "$n" .counters.probes)" -ge 1 ]; then
		prober=$n
	fi
done
[ -n "$prober" ] || qn_fail "no standby declared h$old dead on a failed probe"
probes=$(qn_field "$prober" .counters.probes)
# A round of at most three (ELECT_PROBE_TRIES); then, as a candidate
# waiting out the lease, at most one every half heartbeat while the
# holder stays silent (asked before a claim beside it: doc/protocol.md):
# 620 ms of lease, 7 more; 10 in all.
[ "$probes" -ge 1 ] && [ "$probes" -le 10 ] ||
    qn_fail "h$prober sent $probes probes, expected 1 to 10"
qn_log "h$prober declared h$old dead on its probe's silence ($probes" \
    "probes); h$new claimed at the lease end"
qn_timing "failover on a failed probe (the lease: 620 ms)" "$t" 700
echo "PASS: $QN_NAME: h$old -> h$new in $t ms on a failed probe"
