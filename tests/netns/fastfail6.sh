#!/usr/bin/env bash
# fastfail.sh on an IPv6-only LAN: the request watcher sees the clients'
# TCP SYNs to the DMZ6 address ([dmz] address6, IPv6 without extension
# headers) go unanswered after the holder's link is cut, a standby PROBEs
# the holder (over IPv6, to its link-local address) and declares it dead
# on the probe's silence ("probe-failed").
. "$(dirname "$0")/lib.sh"

qn_setup 3
qn_setup_v6 only
ip -n "$QN_LAN" link set br0 type bridge ageing_time 0
QN_NO_DMZ4=1
for n in 1 2 3; do
	qn_service6 "$n"
	qn_start_host "$n" '[dmz]' "address6 = $QN_DMZ6/64" 'ports = tcp:8080'
done
qn_elected6 8000
old=$QN_HOLDER
got=
ask() { got=$(qn_ask6) && [ -n "$got" ]; }
qn_wait_for 5000 ask
[ "$got" = "h$old" ] || qn_fail "service answered '$got', expected h$old"

ip netns exec "$QN_ROUTER" bash -c "while :; do
	timeout 0.2 socat -T 0.05 - TCP6:[$QN_DMZ6]:8080,connect-timeout=0.05 \
	    </dev/null >/dev/null 2>&1; sleep 0.01; done" &
QN_PIDS+=($!)
qn_log "h$old holds; the client connects every 10 ms; cutting h$old's link"
t0=$(qn_now_ms)
qn_cut_link "$old"
qn_wait_for 5000 qn_dmz6_moved_from "$old"
t=$(($(qn_now_ms) - t0))
new=$(qn_one_dmz6_host)
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
qn_log "h$prober declared h$old dead on its probe's silence;" \
    "h$new has $QN_DMZ6 after $t ms"
qn_timing "failover on a failed probe (the lease: 620 ms)" "$t" 700
echo "PASS: $QN_NAME: h$old -> h$new in $t ms on a failed probe"
