#!/usr/bin/env bash
# The holder's service dies while its qured lives: its service check
# fails, it resigns and a peer whose service answers takes over; the
# router's connections reach the new holder. (keepalived without a track
# script never notices this.)
. "$(dirname "$0")/lib.sh"

qn_setup 3
for n in 1 2 3; do
	qn_service "$n"
	qn_start_host "$n" '[dmz]' 'ports = tcp:8080' \
	    'check = tcp:127.0.0.1:8080'
done
qn_elected 6000
old=$QN_HOLDER
answer=$(qn_ask) || qn_fail "the service on h$old does not answer"
[ "$answer" = "h$old" ] || qn_fail "router reached '$answer', expected h$old"
qn_log "h$old holds $QN_DMZ and serves; killing its service"

svc=$(qn_service_pid "$old") || qn_fail "cannot find h$old's service"
t0=$(qn_now_ms)
kill "$svc"
qn_wait_for 5000 qn_dmz_moved_from "$old"
t=$(($(qn_now_ms) - t0))
qn_alive "$old" || qn_fail "h$old's qured died with its service"
qn_elected 2000
new=$QN_HOLDER
[ "$new" != "$old" ] || qn_fail "h$old still holds with its service dead"
answer=$(qn_ask) || qn_fail "no answer from the new holder h$new"
[ "$answer" = "h$new" ] || qn_fail "router reached '$answer', expected h$new"
grep -q 'service-failed' "$T/h$old/log" ||
    qn_fail "h$old's log does not say its service failed"
qn_timing "failover after the service died" "$t" 1000
echo "PASS: $QN_NAME: h$old's service died, h$new serves after $t ms"
