#!/usr/bin/env bash
# Issue 7 fault 8: `[dmz] ports` is documented as live, but a reload never
# applied it. Members start without ports; a reload adds tcp:8080, and the
# standbys' watcher must then see the holder's clients: with the holder's
# link cut while a client connects, a standby declares it dead on a failed
# PROBE ("probe-failed"), not on missed heartbeats (as fastfail.sh, but
# with the ports from a reload). Every key marked live is applied from the
# conf table's one list (test_conf checks the list).
. "$(dirname "$0")/lib.sh"

qn_setup 3
ip -n "$QN_LAN" link set br0 type bridge ageing_time 0 # a hub
# dead-after 10: missed heartbeats (2 s) never overtake the PROBE path
# (request-timeout + probe-timeout, then the 620 ms lease), however loaded
# the machine: the reason in the log is the test's evidence. fence = 0:
# with a fence, a silent holder is asked by a round of PROBEs from 1.5
# heartbeats on (holder-dead), which a loaded CI run let come first.
for n in 1 2 3; do
	qn_service "$n"
	qn_start_host "$n" '[cluster]' 'dead-after = 10' 'fence = 0' '[dmz]'
done
qn_elected 6000
old=$QN_HOLDER
qn_ask >/dev/null || qn_fail "the service on h$old does not answer"

for n in 1 2 3; do
	echo 'ports = tcp:8080' >>"$T/h$n/qured.conf" # the [dmz] section
	"$QURECTL" -s "$T/h$n/sock" reload || qn_fail "h$n refused the reload"
done
grep -q 'ports changed: restart' "$T"/h*/log &&
    qn_fail "a reload says ports need a restart"
qn_log "ports = tcp:8080 reloaded on every host; cutting h$old's link"

ip netns exec "$QN_ROUTER" bash -c "while :; do
	timeout 0.2 socat -T 0.05 - TCP:$QN_DMZ:8080,connect-timeout=0.05 \
	    </dev/null >/dev/null 2>&1; sleep 0.01; done" &
QN_PIDS+=($!)
sleep 0.3
qn_cut_link "$old"
qn_wait_for 5000 qn_dmz_moved_from "$old"
new=$(qn_one_dmz_host)
grep -q 'standby -> candidate (probe-failed)' "$T/h$new/log" ||
    qn_fail "h$new did not take over on a failed probe: the reloaded" \
	"ports were not watched"
echo "PASS: $QN_NAME: ports from a reload are watched (h$old -> h$new on" \
    "a failed probe)"
