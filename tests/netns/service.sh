#!/usr/bin/env bash
# From the router namespace, a TCP connection to DMZ:8080 reaches the
# service on the holder (a socat server on every host answers its name).
. "$(dirname "$0")/lib.sh"

qn_setup 3
for n in 1 2 3; do
	qn_service "$n"
	qn_start_host "$n"
done
qn_elected 6000
qn_log "h$QN_HOLDER holds $QN_DMZ"

# The service may still be binding: ask until it answers.
got=
ask_holder() { got=$(qn_ask) && [ -n "$got" ]; }
qn_wait_for 3000 ask_holder
[ "$got" = "h$QN_HOLDER" ] ||
    qn_fail "router reached '$got' at $QN_DMZ:8080, expected h$QN_HOLDER"
# The router's neighbour entry is the holder's MAC.
mac=$(qn_router_mac)
[ "$mac" = "$(qn_mac "$QN_HOLDER")" ] ||
    qn_fail "router has $QN_DMZ at '$mac', expected $(qn_mac "$QN_HOLDER")"
qn_log "router -> $QN_DMZ:8080 answered '$got' (neighbour $mac)"
echo "PASS: $QN_NAME: the router reached the service on h$QN_HOLDER"
