#!/usr/bin/env bash
# tests/netns/demo.sh — QuRe on a virtual LAN: 3 qured instances elect a
# holder of the DMZ address; while a client keeps connecting, its link is
# cut and a peer takes over, having seen the client's requests go
# unanswered (timed to the address and to the router's first TCP answer);
# the link comes back and the old holder yields; the holder's service dies
# and the address moves; SIGTERM hands over at once. Everything lives in
# network namespaces of this run and is removed at the end.
# Run as root from scripts/demo.sh (which builds first), or with QURED and
# QURECTL set. Bounded: well under 60 s.
. "$(dirname "$0")/lib.sh"

say() { printf '\n== %s\n' "$*"; }
show() {
	local n
	for n in 1 2 3; do
		if qn_alive "$n"; then
			printf '   h%s %-15s %-9s holder=%-4s %s\n' "$n" \
			    "$(qn_ip "$n")" "$(qn_field "$n" .node.state)" \
			    "$(qn_field "$n" '.holder.name // "-"')" \
			    "$(qn_has_dmz "$n" && echo "has $QN_DMZ" || echo)"
		else
			printf '   h%s %-15s (stopped)\n' "$n" "$(qn_ip "$n")"
		fi
	done
}

say "a LAN in network namespaces: router $QN_ROUTER_IP, hosts h1 h2 h3," \
    "DMZ address $QN_DMZ"
qn_setup 3
# A hub (a switch that floods, a WiFi segment, a mirror port): the
# standbys see the clients' requests to the holder and its answers.
ip -n "$QN_LAN" link set br0 type bridge ageing_time 0
for n in 1 2 3; do
	qn_service "$n"
	qn_start_host "$n" '[dmz]' 'ports = tcp:8080' \
	    'check = tcp:127.0.0.1:8080'
done
qn_elected 10000
t=$(($(qn_now_ms) - ${QN_START_MS[1]}))
old=$QN_HOLDER
say "election: h$old holds $QN_DMZ, $t ms after start"
show
got=
ask() { got=$(qn_ask) && [ -n "$got" ]; }
qn_wait_for 3000 ask
echo "   router -> $QN_DMZ:8080 answers: $got (router's neighbour entry:" \
    "$(qn_router_mac))"

say "a client connects every 10 ms; cutting h$old's link (its cable pulled)"
ip netns exec "$QN_ROUTER" bash -c "while :; do
	timeout 0.2 socat -T 0.05 - TCP:$QN_DMZ:8080,connect-timeout=0.05 \
	    </dev/null >/dev/null 2>&1; sleep 0.01; done" &
QN_PIDS+=($!)
t0=$(qn_now_ms)
qn_cut_link "$old"
while ! qn_dmz_moved_from "$old"; do
	[ $(($(qn_now_ms) - t0)) -lt 10000 ] || qn_fail "no failover in 10 s"
	sleep 0.01
done
t_addr=$(($(qn_now_ms) - t0))
new=$(qn_one_dmz_host)
answered() { got=$(qn_ask) && [ "$got" = "h$new" ]; }
qn_wait_for 5000 answered
t_tcp=$(($(qn_now_ms) - t0))
echo "   failover: h$new has $QN_DMZ $t_addr ms after the cut"
echo "   the router's first TCP answer from h$new: $t_tcp ms after the cut"
echo "   router's neighbour entry now: $(qn_router_mac) (h$new is" \
    "$(qn_mac "$new"))"
if grep -q 'standby -> candidate (probe-failed)' "$T/h$new/log"; then
	echo "   h$new saw the client's requests unanswered, PROBEd h$old," \
	    "got no answer: no need to wait for 3 missed heartbeats (600 ms)"
fi
show

say "restoring h$old's link (a resumed VM)"
t0=$(qn_now_ms)
qn_restore_link "$old"
follows() { [ "$(qn_field "$old" '.holder.name // empty')" = "h$new" ]; }
qn_wait_for 5000 follows
echo "   h$old follows h$new after $(($(qn_now_ms) - t0)) ms and does" \
    "not take the address back"
show

say "h$new's service dies; its qured lives on"
svc=$(qn_service_pid "$new") || qn_fail "cannot find h$new's service"
t0=$(qn_now_ms)
kill "$svc"
qn_wait_for 5000 qn_dmz_moved_from "$new"
old=$new
new=$(qn_one_dmz_host)
echo "   h$old's check failed: h$new has $QN_DMZ $(($(qn_now_ms) - t0)) ms" \
    "later (keepalived without a track script never notices)"
qn_elected 5000
show

say "SIGTERM to h$new's qured: it resigns and names a successor"
pid=${QN_PID[$new]}
t0=$(qn_now_ms)
kill -TERM "$pid"
while ! qn_dmz_moved_from "$new"; do
	[ $(($(qn_now_ms) - t0)) -lt 10000 ] || qn_fail "no handover in 10 s"
done
t=$(($(qn_now_ms) - t0))
rc=0
wait "$pid" || rc=$?
unset "QN_PID[$new]"
echo "   handover: h$(qn_one_dmz_host) has $QN_DMZ $t ms after SIGTERM;" \
    "h$new's qured exited $rc"
qn_elected 5000
show

say "cleaning up (namespaces, links, processes)"
