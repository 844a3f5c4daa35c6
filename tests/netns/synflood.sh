#!/usr/bin/env bash
# A SYN flood to the DMZ address (10,000/s for 5 s, from the router, on a
# hub-like LAN every standby watches), answered, then one whose answers
# the LAN loses (a bridge rule drops the holder's SYN-ACKs; not a rule in
# the holder's own namespace: a ruleset change there holds nftables'
# commit lock, and with it qured's lease renewals, for tens of ms, and
# the holder rightly resigned on its fence): no standby probes more than once
# per request-timeout, nobody declares the live holder dead, and no
# qured's CPU goes above 20 % (asserted at 60 % unless
# QURE_STRICT_TIMING=1; the figures are printed).
. "$(dirname "$0")/lib.sh"

TOOL=${WATCH_TOOL:-$qn_top_build/tests/netns/watch_tool}
[ -x "$TOOL" ] || qn_fail "$TOOL not built (make tests/netns/watch_tool)"
RATE=10000
MS=5000
REQUEST_TIMEOUT_MS=150

qn_hub_cluster 3
old=$QN_HOLDER
epoch=$(qn_field "$old" .epoch)

ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
hz=$(getconf CLK_TCK)
limit=600
[ "${QURE_STRICT_TIMING:-0}" != 1 ] || limit=200

# flood WHAT: floods, then checks every qured's CPU and probe count.
flood() {
	local n t0 t sent pm probes max_probes
	declare -A c0 p0
	for n in 1 2 3; do
		c0[$n]=$(ticks "${QN_PID[$n]}")
		p0[$n]=$(qn_field "$n" .counters.probes)
	done
	t0=$(qn_now_ms)
	sent=$(ip netns exec "$QN_ROUTER" "$TOOL" flood "$QN_ROUTER_IP" \
	    "$QN_DMZ" 8080 "$RATE" "$MS" | sed -n 's/^sent //p')
	t=$(($(qn_now_ms) - t0))
	qn_log "flood ($1): $sent SYNs in $t ms"
	[ "${sent:-0}" -ge $((RATE * MS / 1000 * 3 / 4)) ] ||
	    qn_fail "the flood sent only ${sent:-0} SYNs"
	max_probes=$((2 * (t / REQUEST_TIMEOUT_MS + 1)))
	for n in 1 2 3; do
		pm=$((($(ticks "${QN_PID[$n]}") - c0[$n]) * 1000000 / hz / t))
		probes=$(($(qn_field "$n" .counters.probes) - p0[$n]))
		printf 'h%s: cpu %d.%d %%, %s probes (at most %s)\n' "$n" \
		    $((pm / 10)) $((pm % 10)) "$probes" "$max_probes"
		[ "$pm" -le "$limit" ] || qn_fail "h$n's qured used" \
		    "$((pm / 10)) % CPU (bound $((limit / 10)) %)"
		[ "$probes" -le "$max_probes" ] ||
		    qn_fail "h$n sent $probes probes in $t ms"
	done
	if [ "$(qn_field "$old" .node.state)" != holder ] &&
	    qn_host_stalled "$old"; then
		# A host that does not run the holder's loop for a fence
		# makes it resign, flood or not: the test goes on.
		qn_log "h$old resigned: the host did not run its loop for a" \
		    "fence ($(grep -ho "went [0-9]* ms without a step and ran [0-9]* ms" \
		    "$T/h$old/log" | tail -1)); not the flood's doing"
		qn_elected 3000
		old=$QN_HOLDER
		epoch=$(qn_field "$old" .epoch)
		return
	fi
	[ "$(qn_field "$old" .node.state)" = holder ] ||
	    qn_fail "h$old lost the address in the $1 flood"
	[ "$(qn_field "$old" .epoch)" = "$epoch" ] ||
	    qn_fail "the epoch moved: a standby claimed in the $1 flood"
}

flood answered
# The LAN drops the holder's answers now: every SYN stays unanswered, the
# standbys probe, and the holder's acks must keep it the holder.
ip netns exec "$QN_LAN" nft -f - <<NFT
table bridge qflood {
	chain answers {
		type filter hook forward priority 0;
		iifname "h${old}p" tcp sport 8080 tcp flags & (syn | ack) == syn | ack drop
	}
}
NFT
flood unanswered
total=0
for n in 1 2 3; do
	total=$((total + $(qn_field "$n" .counters.probes)))
done
[ "$total" -ge 1 ] || qn_fail "no standby probed the unanswered flood"
ip netns exec "$QN_LAN" nft delete table bridge qflood
qn_elected 2000
[ "$QN_HOLDER" = "$old" ] || qn_fail "the holder moved to h$QN_HOLDER"
[ "$(qn_field "$old" .epoch)" = "$epoch" ] ||
    qn_fail "the epoch moved: a standby claimed during the flood"
answer=$(qn_ask) || qn_fail "the service stopped answering after the flood"
echo "PASS: $QN_NAME: h$old held through both floods; answer '$answer'"
