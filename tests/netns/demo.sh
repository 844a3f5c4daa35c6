#!/usr/bin/env bash
# tests/netns/demo.sh — QuRe on a virtual LAN: 3 qured instances elect a
# holder of the DMZ address; its link is cut and a peer takes over (timed
# to the address and to the router's first TCP answer); the link comes
# back and the old holder yields; SIGTERM hands over at once. Everything
# lives in network namespaces of this run and is removed at the end.
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
for n in 1 2 3; do
	qn_service "$n"
	qn_start_host "$n"
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

say "cutting h$old's link (its cable pulled)"
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
show

say "restoring h$old's link (a resumed VM)"
t0=$(qn_now_ms)
qn_restore_link "$old"
follows() { [ "$(qn_field "$old" '.holder.name // empty')" = "h$new" ]; }
qn_wait_for 5000 follows
echo "   h$old follows h$new after $(($(qn_now_ms) - t0)) ms and does" \
    "not take the address back"
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
