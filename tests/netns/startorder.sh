#!/usr/bin/env bash
# A cold start: the priorities decide, not the boot order (doc/protocol.md,
# "At a cold start the priorities decide"). h3 (priority 50) starts first,
# h2 (100) a quarter second later, h1 (200) half a second later: all
# start while h3 still listens for a holder: (dead-after + 1) x
# heartbeat, made 2 s here so that a slow start on a busy host still
# falls within it. h1 must hold, at epoch 1, and nobody else may have
# claimed on the way.
. "$(dirname "$0")/lib.sh"
trap qn_cleanup EXIT

hb='heartbeat = 500ms'
qn_setup 3
qn_start_host 3 '[node]' 'priority = 50' '[cluster]' "$hb"
sleep 0.25
qn_start_host 2 '[node]' 'priority = 100' '[cluster]' "$hb"
sleep 0.25
qn_start_host 1 '[node]' 'priority = 200' '[cluster]' "$hb"
listening() { [ "$(qn_field 3 .node.state)" = starting ]; }
listening || qn_fail "h3 no longer listens as h1 starts: the test's premise"
qn_elected 15000
[ "$QN_HOLDER" = 1 ] || qn_fail "h$QN_HOLDER holds, expected h1 (priority 200, up last)"
for h in 2 3; do
	n=$(qn_field "$h" .counters.failovers)
	[ "$n" = 0 ] || qn_fail "h$h claimed $n times before h1 held"
done
epoch=$(qn_field 1 .epoch)
[ "$epoch" = 1 ] || qn_fail "h1 holds at epoch $epoch, expected 1 (one claim)"
qn_log "h1 holds at epoch 1: the priorities decided"
