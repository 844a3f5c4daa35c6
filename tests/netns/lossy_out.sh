#!/usr/bin/env bash
# A holder whose link loses only what it sends (20 % of its outgoing
# packets; nftables numgen): the standbys' PROBEs all arrive, and only
# the holder's acks go missing, with its heartbeats and its clients'
# SYN-ACKs. The members tell it so: each ack echoes the PROBE_SEQ it
# answers and the PROBEs the holder missed (MISSED), so a member knows
# which acks it never got and says how many in its next PROBE. Two
# members' lost acks make the holder hand over (reason link-loss), with
# no PROBE seen missing. Before MISSED only a retry at least 50 ms after
# the ack counted, and a try waits 10 ms on a LAN: such a holder kept
# the address for seconds (doc/protocol.md, "A lossy holder steps
# aside").
. "$(dirname "$0")/lib.sh"

TOOL=${WATCH_TOOL:-$qn_top_build/tests/netns/watch_tool}
[ -x "$TOOL" ] || qn_fail "$TOOL not built (make check builds it)"
BOUND_MS=${LOSSY_OUT_BOUND_MS:-5000}

qn_hub_cluster 3
old=$QN_HOLDER
qn_log "h$old holds at epoch $(qn_field "$old" .epoch)"

# Clients: 100 connections a second for up to 10 s (SYNs from the
# router; the holder's SYN-ACKs draw the router's RSTs).
ip netns exec "$QN_ROUTER" "$TOOL" flood "$QN_ROUTER_IP" "$QN_DMZ" 8080 \
    100 10000 >/dev/null 2>&1 &
QN_PIDS+=($!)
sleep 0.3
ip netns exec "$(qn_ns "$old")" nft -f - <<-NFT
table inet qloss {
	chain out { type filter hook output priority -300; numgen random mod 100 < 20 drop; }
}
NFT
t0=$(qn_now_ms)
handed_over() {
	QN_NEW=$(qn_one_dmz_host) && [ "$QN_NEW" != "$old" ] &&
	    [ "$(qn_field "$old" .counters.loss_handovers)" -ge 1 ]
}
qn_wait_for "$BOUND_MS" handed_over # its failure shows every counter
t=$(($(qn_now_ms) - t0))
acks=$(qn_field "$old" .counters.acks_lost)
probes=$(qn_field "$old" .counters.probes_lost)
ip netns exec "$(qn_ns "$old")" nft delete table inet qloss
qn_log "h$old handed over to h$QN_NEW after $t ms of loss ($acks acks" \
    "and $probes PROBEs seen missing)"
[ "$acks" -ge 2 ] || qn_fail "h$old counted $acks lost acks (2 witnesses)"
[ "$probes" -eq 0 ] || qn_fail "h$old saw $probes PROBEs missing:" \
    "nothing it receives is dropped"
qn_elected 3000
[ "$QN_HOLDER" = "$QN_NEW" ] || qn_fail "holder h$QN_HOLDER, not h$QN_NEW"
echo "PASS: $QN_NAME: h$old, losing its acks, handed over to h$QN_NEW" \
    "in $t ms"
