#!/usr/bin/env bash
# qurectl watch (issue 14 item 2): a standby's event stream shows the
# holder dying and the failover that follows. Three members; `qurectl
# watch --json` on a standby; kill -9 of the holder's qured and of its
# address guard together (no farewell: the standbys must find it dead).
# The stream must name the member dead and a failover from it with cause
# holder_dead and a duration > 0 within a generous bound; the status of
# the watcher must count it (.failovers.count up, .failovers.recent's
# last naming the new holder, holder.since_ms set); the text form works
# too, and qurectl watch exits 3 when its qured stops.
. "$(dirname "$0")/lib.sh"

DURATION_MAX_MS=15000 # dead-after + lease + claim, on a busy machine

qn_setup 3
for n in 1 2 3; do
	qn_start_host "$n"
done
qn_elected 6000
old=$QN_HOLDER
w=$((old % 3 + 1)) # the watching standby
qn_log "h$old holds $QN_DMZ; h$w watches"

# A watcher's connection shows under the socket's path once qured
# accepted it (ss -x without -a: connected sockets only). The accepted
# end is in the connecting process's namespace: qurectl's, this one.
qn_watchers() { # N: how many clients are connected to host N's socket
	ss -xH 2>/dev/null | grep -c " $T/h$1/sock " || true
}
watch_start() { # N FILE --json|"" WATCHERS: until that many watch
	"$QURECTL" -s "$T/h$1/sock" watch $3 >"$2" 2>"$2.err" &
	QN_PIDS+=($!)
	WATCH_PID=$!
	qn_wait_for 5000 eval '[ "$(qn_watchers '"$1"')" -ge '"$4"' ]'
}
watch_start "$w" "$T/watch.json" --json 1
json_pid=$WATCH_PID
watch_start "$w" "$T/watch.txt" "" 2
text_pid=$WATCH_PID
count0=$(qn_field "$w" '.failovers.count')
qn_log "h$w has seen $count0 failovers so far"

guard=$(pgrep -P "${QN_PID[$old]}" -x qured-guard) ||
    qn_fail "h$old's qured has no address guard"
# One kill(2) after the other, guard first: neither has the time to
# send a farewell for the other.
kill -KILL "$guard" "${QN_PID[$old]}"
qn_stop_host "$old" KILL 2>/dev/null || true
qn_log "h$old's qured and guard killed"

# The stream: a failover from it (the watcher claims, or hears the
# member that did; holder_dead either way), and later the member dead.
saw_failover() { # sets ev: the first failover from h$old
	ev=$(jq -c --arg from "h$old" 'select(.type == "failover" and
	    .from == $from)' "$T/watch.json" 2>/dev/null | head -n 1)
	[ -n "$ev" ]
}
qn_wait_for 30000 saw_failover
new=$(jq -r .to <<<"$ev")
new=${new#h}
# The old holder's address stays until its kernel lease ends: agreed
# on the new one, on its host alone, only then.
qn_wait_for 10000 eval 'qn_agreed && [ "$QN_AGREED" = "$new" ]'
qn_log "h$w's stream: $ev"
saw_dead() {
	jq -e --arg from "h$old" 'select(.type == "member_dead" and
	    .member == $from and .last_seen_ms > 0)' "$T/watch.json" \
	    >/dev/null 2>&1
}
# An ex-holder is held to the long expiry (3 hello periods and more).
qn_wait_for 60000 saw_dead
[ "$(jq -r .cause <<<"$ev")" = holder_dead ] ||
    qn_fail "failover cause $(jq -r .cause <<<"$ev"), want holder_dead:" \
    "$(cat "$T/watch.json")"
[ "$(jq -r .node <<<"$ev")" = "h$w" ] || qn_fail "node: $ev"
d=$(jq -r .duration_ms <<<"$ev")
[ "$d" -gt 0 ] && [ "$d" -lt "$DURATION_MAX_MS" ] ||
    qn_fail "failover duration $d ms, want 0 < d < $DURATION_MAX_MS"
printf 'timing: failover seen by h%s = %d ms (cause %s)\n' "$w" "$d" \
    "$(jq -r .cause <<<"$ev")"
# Every line is one JSON object.
jq -e . "$T/watch.json" >/dev/null || qn_fail "not JSON lines"

# The status agrees.
st=$(qn_status "$w")
count1=$(jq -r .failovers.count <<<"$st")
[ "$count1" -gt "$count0" ] ||
    qn_fail "failovers.count $count0 -> $count1: not counted"
[ "$(jq -r '.failovers.recent[-1].to' <<<"$st")" = "h$new" ] ||
    qn_fail "failovers.recent: $(jq -c .failovers.recent <<<"$st")"
[ "$(jq -r '.failovers.recent[-1].from' <<<"$st")" = "h$old" ] ||
    qn_fail "failovers.recent: $(jq -c .failovers.recent <<<"$st")"
[ "$(jq -r '.failovers.by_cause.holder_dead' <<<"$st")" -ge 1 ] ||
    qn_fail "failovers.by_cause: $(jq -c .failovers.by_cause <<<"$st")"
[ "$(jq -r '[.failovers.buckets[].count] | add' <<<"$st")" = "$count1" ] ||
    qn_fail "failovers.buckets: $(jq -c .failovers.buckets <<<"$st")"
[ "$(jq -r '.holder.since_ms' <<<"$st")" -gt 0 ] ||
    qn_fail "holder.since_ms: $(jq -c .holder <<<"$st")"
qn_log "h$w status: failovers $count0 -> $count1," \
    "recent $(jq -c '.failovers.recent[-1]' <<<"$st")"

# The text form saw the same.
qn_wait_for 5000 grep -q "h$w: failover h$old -> h$new (holder_dead) in" \
    "$T/watch.txt"
qn_wait_for 5000 grep -q "h$w: member h$old (.*) dead: not heard for" \
    "$T/watch.txt"

# qurectl watch ends with 3 when qured stops (the text watcher), and
# 0 on SIGINT (the JSON one).
kill -INT "$json_pid"
rc=0
wait "$json_pid" || rc=$?
[ "$rc" = 0 ] || qn_fail "qurectl watch exited $rc on SIGINT, want 0"
qn_stop_host "$w" TERM
rc=0
wait "$text_pid" || rc=$?
[ "$rc" = 3 ] || qn_fail "qurectl watch exited $rc when qured stopped, want 3"
grep -q "closed the stream" "$T/watch.txt.err" ||
    qn_fail "no reason on stderr: $(cat "$T/watch.txt.err")"
echo "PASS: $QN_NAME: failover h$old -> h$new seen by h$w in $d ms" \
    "(holder_dead), counted ($count0 -> $count1)"
