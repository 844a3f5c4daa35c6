#!/usr/bin/env bash
# [http] listen (issue 14 items 1 and 6, src/http.h): qured answers
# GET /metrics (promtool check metrics accepts it, and `qurectl metrics`
# prints the same families), /status.json (jq parses it) and / (the
# page) on its namespace address; junk (a bad request line, huge headers
# and URIs, binary bytes, POST and DELETE) gets a 4xx and the daemon
# lives; a bad [http] listen (the port taken, an address not the host's)
# stops qured at start with one line. Then the bad-input part: 1,000
# requests a second for 5 s from the router's namespace at the holder of
# a 2-member cluster: past the rate limit the answer is 503, and the
# cluster keeps its holder: the same holder and epoch, no failover
# counted, no state change, and the standby hears the holder all along.
. "$(dirname "$0")/lib.sh"

command -v curl >/dev/null || qn_skip "curl missing (scripts/deps.sh)"
command -v promtool >/dev/null ||
    qn_skip "promtool missing (Debian package prometheus, scripts/deps.sh)"
PORT=9182

# hammer N RATE SECONDS: RATE requests a second (GET /metrics, a new
# connection each, 96 at once) at host N for SECONDS, from the router's
# namespace: curl's parallel transfers, one batch of RATE a second (a
# batch done early waits for its second). Writes each answer's status
# code (000: no answer) to $T/codes and the rate reached to $T/rate.
hammer() {
	local n=$1 rate=$2 secs=$3 i t0 t1 start
	# Two curls of half the batch each: one curl is one thread.
	for i in $(seq $((rate / 2))); do
		printf 'url = "http://%s:%s/metrics"\noutput = /dev/null\n' \
		    "$(qn_ip "$n")" "$PORT"
	done >"$T/urls"
	: >"$T/codes"
	start=$(qn_now_ms)
	for i in $(seq "$secs"); do
		t0=$(qn_now_ms)
		for c in a b; do
			ip netns exec "$QN_ROUTER" curl -sS -Z \
			    --parallel-max 48 --max-time 3 \
			    -w '%{http_code}\n' -K "$T/urls" \
			    >"$T/codes.$c" 2>>"$T/curl.err" &
		done
		wait %- %+ 2>/dev/null || true
		cat "$T/codes.a" "$T/codes.b" >>"$T/codes"
		t1=$(qn_now_ms)
		[ $((t1 - t0)) -ge 1000 ] ||
		    sleep "0.$(printf '%03d' $((1000 - (t1 - t0))))"
	done
	HAMMER_MS=$(($(qn_now_ms) - start))
	echo $(($(wc -l <"$T/codes") * 1000 / HAMMER_MS)) >"$T/rate"
}

# http N PATH [CURL_ARGS...]: the body of GET http://hN:PORT/PATH from the
# router's namespace (another host of the LAN, as a Prometheus would be).
http() {
	local n=$1 path=$2
	shift 2
	ip netns exec "$QN_ROUTER" curl -sS --max-time 5 "$@" \
	    "http://$(qn_ip "$n"):$PORT$path"
}
# On a loaded 2-core machine curl may reach less than RATE: the rate
# reached is printed, and at least 4,000 requests must have been sent.
# code N PATH [CURL_ARGS...]: the status code alone.
code() {
	http "$@" -o /dev/null -w '%{http_code}'
}
# raw N FILE: FILE's bytes to host N's listener as they are; prints the
# status code of the answer ("closed" if there was none).
raw() {
	ip netns exec "$QN_ROUTER" python3 - "$(qn_ip "$1")" "$PORT" "$2" <<'EOF'
import socket, sys
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), 5)
s.settimeout(8)
try:
    s.sendall(open(sys.argv[3], "rb").read())
    line = s.makefile("rb").readline().split()
    print(line[1].decode() if len(line) > 1 else "closed")
except OSError:
    print("closed")
EOF
}
stat_of() { qn_field "$1" "$2"; }

qn_setup 2

# ---- a bad [http] listen refuses the start, in one line -------------------
# The port taken: a listener of the test's own on h2's address.
ip netns exec "$(qn_ns 2)" python3 -c '
import socket, sys, time
s = socket.socket(); s.bind((sys.argv[1], int(sys.argv[2]))); s.listen(1)
time.sleep(30)' "$(qn_ip 2)" "$PORT" &
holder_pid=$!
QN_PIDS+=("$holder_pid")
qn_wait_for 3000 ip netns exec "$(qn_ns 2)" sh -c \
    "ss -ltn | grep -q '$(qn_ip 2):$PORT '"
qn_start_host 2 "[http]" "listen = $(qn_ip 2):$PORT"
qn_stop_host 2 0 2>/dev/null || true
[ "$QN_RC" = 1 ] || qn_fail "qured with a taken [http] port: exit $QN_RC, not 1"
grep -q "qured: \[http\] listen $(qn_ip 2):$PORT: Address already in use" \
    "$T/h2/log" || qn_fail "no one-line error for the taken port"
kill "$holder_pid"
wait "$holder_pid" 2>/dev/null || true
# An address this host does not have.
qn_start_host 2 "[http]" "listen = 10.255.255.254:$PORT"
qn_stop_host 2 0 2>/dev/null || true
[ "$QN_RC" = 1 ] || qn_fail "qured with a foreign [http] address: exit $QN_RC"
grep -q "qured: \[http\] listen 10.255.255.254:$PORT: Cannot assign requested address" \
    "$T/h2/log" || qn_fail "no one-line error for a foreign address"
# A bad value is the config's error, also at start.
qn_start_host 2 "[http]" "listen = localhost:$PORT"
qn_stop_host 2 0 2>/dev/null || true
[ "$QN_RC" = 1 ] || qn_fail "qured with [http] listen = localhost: exit $QN_RC"
grep -q "\[http\] listen: \"localhost:$PORT\" is not \[ADDRESS:\]PORT" \
    "$T/h2/log" || qn_fail "no one-line error for a bad [http] listen"
qn_log "a taken port, a foreign address, a bad value: each refused in one line"

# ---- the cluster, [http] on both -------------------------------------------
for n in 1 2; do
	qn_start_host "$n" "[http]" "listen = $(qn_ip "$n"):$PORT"
done
qn_elected 6000
H=$QN_HOLDER
S=$((3 - H))
qn_log "h$H holds; both answer HTTP on :$PORT"

# /metrics: the exposition format, accepted by promtool.
http "$H" /metrics >"$T/metrics" || qn_fail "GET /metrics failed"
promtool check metrics <"$T/metrics" >"$T/promtool" 2>&1 ||
    qn_fail "promtool check metrics: $(cat "$T/promtool")"
grep -q '^qure_node_state{state="holder"} 1$' "$T/metrics" ||
    qn_fail "h$H's /metrics does not say holder"
grep -q "^qure_holder_info{name=\"h$H\"" "$T/metrics" ||
    qn_fail "h$H's /metrics does not name the holder"
ctype=$(http "$H" /metrics -o /dev/null -w '%{content_type}')
case $ctype in
text/plain\;\ version=0.0.4*) ;;
*) qn_fail "/metrics content type: $ctype" ;;
esac
# qurectl metrics: the same families from the control socket.
"$QURECTL" -s "$T/h$H/sock" metrics >"$T/qurectl-metrics" ||
    qn_fail "qurectl metrics failed"
promtool check metrics <"$T/qurectl-metrics" >"$T/promtool2" 2>&1 ||
    qn_fail "promtool on qurectl metrics: $(cat "$T/promtool2")"
diff <(grep '^# TYPE' "$T/metrics") <(grep '^# TYPE' "$T/qurectl-metrics") \
    >/dev/null || qn_fail "qurectl metrics and GET /metrics differ in families"
nfam=$(grep -c '^# TYPE' "$T/metrics")

# /status.json: the status object; /: the page, self-contained.
http "$S" /status.json | jq -e ".node.name == \"h$S\" and
    .holder.name == \"h$H\"" >/dev/null || qn_fail "/status.json of h$S"
http "$S" / >"$T/page.html" || qn_fail "GET / failed"
grep -q '<title>QuRe</title>' "$T/page.html" || qn_fail "GET / is not the page"
if grep -Eio '<script[^>]+src=|<link[^>]+href=|https?://[a-z0-9./]*' \
    "$T/page.html" | grep -v '^http://www.w3.org/2000/svg$' | grep -q .; then
	qn_fail "the page loads something from elsewhere"
fi
[ "$(code "$S" /nope)" = 404 ] || qn_fail "GET /nope is not 404"
[ "$(code "$S" /metrics -X POST -d x=1)" = 405 ] || qn_fail "POST is not 405"
[ "$(code "$S" / -X DELETE)" = 405 ] || qn_fail "DELETE is not 405"
[ "$(code "$S" /metrics -I)" = 200 ] || qn_fail "HEAD /metrics is not 200"

# ---- junk: a 4xx (or the connection closed), and the daemon lives ----------
printf 'GARBAGE\r\n\r\n' >"$T/j1"
{ printf 'GET / HTTP/1.1\r\nHost: x\r\nX-Big: '
  head -c 16384 /dev/zero | tr '\0' a
  printf '\r\n\r\n'; } >"$T/j2"
{ printf 'GET /'; head -c 16384 /dev/zero | tr '\0' a
  printf ' HTTP/1.1\r\nHost: x\r\n\r\n'; } >"$T/j3"
{ printf 'GET / HTTP/1.1\r\nHost: \x00\xff\xfe\x01\r\n'
  head -c 2048 /dev/urandom; printf '\r\n\r\n'; } >"$T/j4"
printf 'POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 99999\r\n\r\nx' \
    >"$T/j5"
printf 'GET /metrics HTTP/9.9\r\nHost: x\r\n\r\n' >"$T/j6"
head -c 4096 /dev/urandom >"$T/j7"
for j in 1 2 3 4 5 6 7; do
	c=$(raw "$S" "$T/j$j")
	case $c in
	4[0-9][0-9] | 505 | closed) ;;
	*) qn_fail "junk $j answered $c, not 4xx" ;;
	esac
	qn_alive "$S" || qn_fail "h$S's qured died of junk $j"
	echo "junk $j: $c"
done >"$T/junk"
qn_log "junk answered: $(awk '{print $3}' "$T/junk" | xargs)"
[ "$(code "$S" /metrics)" = 200 ] || qn_fail "h$S no longer answers after junk"

# ---- idle connections: at most HTTP_MAX_CONNS (32) open, cut after 5 s -----
fds() { ls "/proc/${QN_PID[$S]}/fd" | wc -l; }
fd0=$(fds)
ip netns exec "$QN_ROUTER" python3 -c '
import socket, sys, time
held = []
for i in range(60):
    s = socket.socket()
    s.setblocking(False)
    s.connect_ex((sys.argv[1], int(sys.argv[2])))
    held.append(s)
time.sleep(9)' "$(qn_ip "$S")" "$PORT" &
idle=$!
QN_PIDS+=("$idle")
sleep 2
fd1=$(fds)
qn_log "60 idle connections: h$S's qured has $((fd1 - fd0)) more fds"
[ $((fd1 - fd0)) -le 34 ] ||
    qn_fail "h$S holds $((fd1 - fd0)) more fds with 60 idle clients (max 32)"
[ $((fd1 - fd0)) -ge 20 ] || qn_fail "h$S took only $((fd1 - fd0)) idle clients"
qn_alive "$S" || qn_fail "h$S's qured died of idle connections"
# The idle ones are cut after 5 s; the listener takes others again.
qn_wait_for 12000 eval '[ "$(code "$S" /metrics)" = 200 ]'
qn_wait_for 8000 eval '[ $(fds) -le $((fd0 + 2)) ]'
wait "$idle" || true
qn_log "idle connections cut, h$S answers again, fds back to $(fds)"

# ---- the hammer: 1,000 requests a second for 5 s at the holder -------------
epoch0=$(stat_of "$H" .epoch)
fo0=$(stat_of "$H" '.counters.failovers + .failovers.count')
fo0s=$(stat_of "$S" '.counters.failovers + .failovers.count')
# The standby's view of the holder while the hammer runs: the largest
# age of its last datagram (heartbeats every 200 ms, dead after 600 ms).
(
	max=0
	end=$(($(qn_now_ms) + 6000))
	while [ "$(qn_now_ms)" -lt "$end" ]; do
		a=$(qn_field "$S" "[.members[] | select(.name == \"h$H\") |
		    .last_seen_ms][0] // 99999" 2>/dev/null) || a=99999
		[ "$a" -le "$max" ] || max=$a
		sleep 0.1
	done
	echo "$max" >"$T/maxage"
) &
watcher=$!
cpu0=$(awk '{print $14 + $15}' "/proc/${QN_PID[$H]}/stat")
hammer "$H" 1000 5
wait "$watcher"
cpu_ms=$((($(awk '{print $14 + $15}' "/proc/${QN_PID[$H]}/stat") - cpu0) *
    1000 / $(getconf CLK_TCK)))
sent=$(wc -l <"$T/codes")
ok=$(grep -c '^200$' "$T/codes" || true)
limited=$(grep -c '^503$' "$T/codes" || true)
other=$(grep -vc '^200$\|^503$' "$T/codes" || true)
qn_log "hammer: $sent requests at $(cat "$T/rate")/s: $ok answered 200," \
    "$limited 503, $other other (000: none); h$H's qured used $cpu_ms ms" \
    "of CPU for them"
[ "$sent" -ge 4000 ] || qn_fail "the hammer sent only $sent requests"
[ "$ok" -gt 0 ] || qn_fail "no 200 under the hammer"
[ "$limited" -gt 0 ] || qn_fail "no 503 under 1,000 requests a second"
# Over the connection limit a client waits in the listen backlog; one
# that waited past curl's 3 s gets none (000): a few, not most.
[ "$other" -le $((sent / 10)) ] || qn_fail "$other answers neither 200 nor 503"
# 100 a second, bursts of 50 (and 25 % for the clocks' edges).
[ "$ok" -le $((50 + HAMMER_MS / 10 * 5 / 4)) ] ||
    qn_fail "$ok answers 200 in $HAMMER_MS ms: the rate limit did not hold"

# The listener counted what it refused (curl may have given up on a few
# answers it never read).
counted=$(stat_of "$H" .http.limited)
[ "$counted" -ge "$limited" ] ||
    qn_fail "h$H counted $counted requests over the limit, curl saw $limited"
grep -q "^qure_http_requests_total{code=\"503\"} [1-9]" \
    <(http "$H" /metrics) || qn_fail "/metrics does not count the 503s"

# The election did not notice.
qn_alive "$H" || qn_fail "h$H's qured died under the hammer"
qn_elected 2000
[ "$QN_HOLDER" = "$H" ] || qn_fail "the holder changed: h$H -> h$QN_HOLDER"
[ "$(stat_of "$H" .epoch)" = "$epoch0" ] || qn_fail "the epoch changed"
[ "$(stat_of "$H" '.counters.failovers + .failovers.count')" = "$fo0" ] ||
    qn_fail "h$H counted a failover"
[ "$(stat_of "$S" '.counters.failovers + .failovers.count')" = "$fo0s" ] ||
    qn_fail "h$S counted a failover"
[ "$(stat_of "$H" .node.state)" = holder ] || qn_fail "h$H is not holder"
[ "$(stat_of "$S" .node.state)" = standby ] || qn_fail "h$S is not standby"
maxage=$(cat "$T/maxage")
qn_log "the standby heard the holder at most $maxage ms ago during it"
[ "$maxage" -lt 600 ] ||
    qn_fail "h$S did not hear h$H for $maxage ms under the hammer"
[ "$(code "$H" /metrics)" = 200 ] || qn_fail "h$H does not answer after it"

echo "PASS: $QN_NAME: $nfam metric families accepted by promtool;" \
    "junk answered 4xx; hammer $sent requests at $(cat "$T/rate")/s" \
    "($ok 200, $limited 503, $other other), holder kept, heard at most" \
    "$maxage ms ago"
