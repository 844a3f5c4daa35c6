#!/usr/bin/env bash
# Learned request timeouts (issue 13): on a hub-like LAN, with a client
# connecting to the DMZ address every 10 ms, each standby learns its
# request timeout for the watched port from the SYN -> SYN-ACK times it
# sees (well under a millisecond here) and holds it at the floor,
# request-timeout-min (20 ms), once enough answers were measured; its
# status says so ("watch": per port, timeout_ms and samples). Then the
# holder's link is cut: a standby fails over (the lease still rules the
# claim until the fence lease lands, doc/protocol.md: a generous bound)
# and the new holder is the one every live status names.
. "$(dirname "$0")/lib.sh"

qn_hub_cluster 3 # request-timeout = auto is the default: not written
old=$QN_HOLDER
qn_ask >/dev/null || qn_fail "the service on h$old does not answer"

# watch_of N: "TIMEOUT_MS SAMPLES" of host N's tcp:8080, from its status.
watch_of() {
	qn_field "$1" '.watch.ports[] | select(.proto == "tcp" and
	    .port == 8080) | "\(.timeout_ms) \(.samples)"'
}

# learned: every standby's tcp:8080 timeout is at the floor, learned
# from at least 8 answers (ELECT_RTO_MIN_SAMPLES).
learned() {
	local n w
	for n in 1 2 3; do
		[ "$n" != "$old" ] || continue
		w=$(watch_of "$n") || return 1
		[ "${w% *}" = 20 ] && [ "${w#* }" -ge 8 ] || return 1
	done
}

# Before any client: nothing learned, the ceiling.
for n in 1 2 3; do
	[ "$n" != "$old" ] || continue
	w=$(watch_of "$n") || qn_fail "h$n's status has no watch.ports entry"
	[ "$(qn_field "$n" .watch.auto)" = true ] ||
	    qn_fail "h$n: watch.auto is not true (request-timeout = auto)"
	[ "${w% *}" = 150 ] ||
	    qn_fail "h$n: timeout ${w% *} ms before any answer, expected" \
		"the ceiling, 150"
done

# The client: a connection attempt every 10 ms, 50 ms to connect.
ip netns exec "$QN_ROUTER" bash -c "while :; do
	timeout 0.2 socat -T 0.05 - TCP:$QN_DMZ:8080,connect-timeout=0.05 \
	    </dev/null >/dev/null 2>&1; sleep 0.01; done" &
QN_PIDS+=($!)
qn_log "h$old holds; the client connects every 10 ms"
sleep 3
qn_wait_for 10000 learned
for n in 1 2 3; do
	[ "$n" != "$old" ] || continue
	w=$(watch_of "$n")
	qn_log "h$n: tcp:8080 request timeout ${w% *} ms, learned from" \
	    "${w#* } answers"
	# The client's SYNs were all answered: no PROBE for them.
	p=$(qn_field "$n" .counters.probes)
	[ "$p" -le 2 ] || qn_fail "h$n sent $p PROBEs to a holder that" \
	    "answered every request"
done

qn_log "cutting h$old's link"
t0=$(qn_now_ms)
qn_cut_link "$old"
qn_wait_for 5000 qn_dmz_moved_from "$old"
t=$(($(qn_now_ms) - t0))
new=$(qn_one_dmz_host)

# names_new: every live host but the cut one names h$new, and h$new
# says it holds.
names_new() {
	local n
	for n in 1 2 3; do
		[ "$n" != "$old" ] || continue
		[ "$(qn_field "$n" .holder.name)" = "h$new" ] || return 1
	done
	[ "$(qn_field "$new" .node.state)" = holder ]
}
qn_wait_for 3000 names_new
[ "$(qn_dmz_hosts)" = "$new" ] || qn_fail "the address is not on h$new alone"
qn_log "h$new holds the address and every live status names it"
qn_timing "failover after a cut link (the lease: 620 ms)" "$t" 700
echo "PASS: $QN_NAME: learned 20 ms timeouts; h$old -> h$new in $t ms"
