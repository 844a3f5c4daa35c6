#!/usr/bin/env bash
# qurectl watch (issue 14 item 2): the standbys' event streams show the
# holder dying and the failover that follows. Three members; `qurectl
# watch --json` on both standbys (one will claim, the other may only
# hear its claim: both ways of learning a new holder); kill -9 of the
# holder's qured and of its address guard together (no farewell: the
# standbys must find it dead). Each stream must show a failover from it
# to the new holder with cause holder_dead and a duration > 0 within a
# generous bound, then the member dead; each status must count it
# (.failovers.count up, .failovers.recent's last naming the new holder,
# holder.since_ms set). The text form says the same, and qurectl watch
# exits 0 on SIGINT and 3 when its qured stops.
. "$(dirname "$0")/lib.sh"

DURATION_MAX_MS=15000 # dead-after + lease + claim, on a busy machine

qn_setup 3
for n in 1 2 3; do
	qn_start_host "$n"
done
qn_elected 6000
old=$QN_HOLDER
ws="$((old % 3 + 1)) $(((old + 1) % 3 + 1))" # the watching standbys
set -- $ws
tw=$1 # the one with a text watcher too
qn_log "h$old holds $QN_DMZ; h${ws/ /, h} watch"

# A watcher's connection shows under the socket's path once qured
# accepted it (ss -x without -a: connected sockets only). The accepted
# end is in the connecting process's namespace: qurectl's, this one.
qn_watchers() { # N: how many clients are connected to host N's socket
	ss -xH 2>/dev/null | grep -c " $T/h$1/sock " || true
}
declare -A JSON_PID=() COUNT0=() EV=()
watch_start() { # N FILE --json|"" WATCHERS: until that many watch
	"$QURECTL" -s "$T/h$1/sock" watch $3 >"$2" 2>"$2.err" &
	QN_PIDS+=($!)
	WATCH_PID=$!
	qn_wait_for 5000 eval '[ "$(qn_watchers '"$1"')" -ge '"$4"' ]'
}
for w in $ws; do
	watch_start "$w" "$T/h$w.json" --json 1
	JSON_PID[$w]=$WATCH_PID
	COUNT0[$w]=$(qn_field "$w" '.failovers.count')
done
watch_start "$tw" "$T/h$tw.txt" "" 2
text_pid=$WATCH_PID
qn_log "failovers seen so far: h$1 ${COUNT0[$1]}, h$2 ${COUNT0[$2]}"

guard=$(pgrep -P "${QN_PID[$old]}" -x qured-guard) ||
    qn_fail "h$old's qured has no address guard"
# Both stopped first, then killed: a qured whose guard died under it
# resigns at once (seen: the standbys went candidate with
# holder_resigned between two kill(2)s), and a guard whose qured died
# sends its farewell; stopped, neither can.
kill -STOP "$guard" "${QN_PID[$old]}"
kill -KILL "$guard" "${QN_PID[$old]}"
qn_stop_host "$old" KILL 2>/dev/null || true
qn_log "h$old's qured and guard killed"

saw_failover() { # N: sets ev, the first failover from h$old in N's
	ev=$(jq -c --arg from "h$old" 'select(.type == "failover" and
	    .from == $from)' "$T/h$1.json" 2>/dev/null | head -n 1)
	[ -n "$ev" ]
}
for w in $ws; do
	qn_wait_for 30000 saw_failover "$w"
	EV[$w]=$ev
	qn_log "h$w's stream: $ev"
done
new=$(jq -r .to <<<"${EV[$1]}")
new=${new#h}
# The old holder's address stays until its kernel lease ends: agreed
# on the new one, on its host alone, only then.
qn_wait_for 10000 eval 'qn_agreed && [ "$QN_AGREED" = "$new" ]'

check_stream() { # N: its failover event and its status
	local w=$1 ev=${EV[$1]} d st count1
	jq -e . "$T/h$w.json" >/dev/null || qn_fail "h$w: not JSON lines"
	[ "$(jq -r .to <<<"$ev")" = "h$new" ] || qn_fail "h$w: to: $ev"
	[ "$(jq -r .node <<<"$ev")" = "h$w" ] || qn_fail "h$w: node: $ev"
	[ "$(jq -r .cause <<<"$ev")" = holder_dead ] ||
	    qn_fail "h$w: cause $(jq -r .cause <<<"$ev"), want" \
		"holder_dead: $(cat "$T/h$w.json")"
	d=$(jq -r .duration_ms <<<"$ev")
	[ "$d" -gt 0 ] && [ "$d" -lt "$DURATION_MAX_MS" ] ||
	    qn_fail "h$w: duration $d ms, want 0 < d < $DURATION_MAX_MS"
	printf 'timing: failover seen by h%s = %d ms (%s)\n' "$w" "$d" \
	    "$([ "$w" = "$new" ] && echo claimed || echo heard)"
	st=$(qn_status "$w")
	count1=$(jq -r .failovers.count <<<"$st")
	[ "$count1" -gt "${COUNT0[$w]}" ] ||
	    qn_fail "h$w: failovers.count ${COUNT0[$w]} -> $count1"
	[ "$(jq -r '.failovers.recent[-1].to' <<<"$st")" = "h$new" ] &&
	    [ "$(jq -r '.failovers.recent[-1].from' <<<"$st")" = "h$old" ] ||
	    qn_fail "h$w: failovers.recent:" \
		"$(jq -c .failovers.recent <<<"$st")"
	[ "$(jq -r '.failovers.by_cause.holder_dead' <<<"$st")" -ge 1 ] ||
	    qn_fail "h$w: by_cause: $(jq -c .failovers.by_cause <<<"$st")"
	[ "$(jq -r '[.failovers.buckets[].count] | add' <<<"$st")" = \
	    "$count1" ] ||
	    qn_fail "h$w: buckets: $(jq -c .failovers.buckets <<<"$st")"
	[ "$(jq -r '.holder.since_ms' <<<"$st")" -gt 0 ] ||
	    qn_fail "h$w: holder.since_ms: $(jq -c .holder <<<"$st")"
	timeout 2 "$QURECTL" -s "$T/h$w/sock" status |
	    grep -q "^failovers: $count1, the last h$old -> h$new (holder_dead)" ||
	    qn_fail "h$w: no failovers line in qurectl status"
	qn_log "h$w status: failovers ${COUNT0[$w]} -> $count1, last" \
	    "$(jq -c '.failovers.recent[-1]' <<<"$st")"
}
for w in $ws; do
	check_stream "$w"
done

# Later, the member dead (an ex-holder is held to the long expiry: 3
# hello periods and more).
saw_dead() { # N
	jq -e --arg from "h$old" 'select(.type == "member_dead" and
	    .member == $from and .last_seen_ms > 0)' "$T/h$1.json" \
	    >/dev/null 2>&1
}
for w in $ws; do
	qn_wait_for 60000 saw_dead "$w"
done

# The text form saw the same.
qn_wait_for 5000 grep -q "h$tw: failover h$old -> h$new (holder_dead) in" \
    "$T/h$tw.txt"
qn_wait_for 5000 grep -q "h$tw: member h$old (.*) dead: not heard for" \
    "$T/h$tw.txt"

# qurectl watch ends with 0 on SIGINT (a JSON one), and 3 when qured
# stops (the text one).
kill -INT "${JSON_PID[$tw]}"
rc=0
wait "${JSON_PID[$tw]}" || rc=$?
[ "$rc" = 0 ] || qn_fail "qurectl watch exited $rc on SIGINT, want 0"
qn_stop_host "$tw" TERM
rc=0
wait "$text_pid" || rc=$?
[ "$rc" = 3 ] || qn_fail "qurectl watch exited $rc when qured stopped, want 3"
grep -q "closed the stream" "$T/h$tw.txt.err" ||
    qn_fail "no reason on stderr: $(cat "$T/h$tw.txt.err")"
echo "PASS: $QN_NAME: failover h$old -> h$new seen by h$1 and h$2" \
    "(holder_dead), counted"
