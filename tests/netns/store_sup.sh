#!/usr/bin/env bash
# The site cache's supervisor (issue 11 item 2, src/redis_sup.h): with
# [store] enable = yes each member runs 1 + replicas redis-server
# instances in cluster mode, bound to its LAN address at 6379 and 6380,
# that refuse a command without the password (NOAUTH), answer PING with
# it (the same on every member: derived from the cluster key) and say
# cluster_enabled:1; an instance killed with SIGKILL is started again and
# the status says restarts 1 and why it exited, and it is a new node (a
# new CLUSTER MYID: with no data it must not claim the old one's slots);
# a qured stopped with SIGTERM, or killed, leaves none of its instances
# running; a missing redis-server
# is reported and that member still takes part in the election.
. "$(dirname "$0")/lib.sh"

. "$(dirname "$0")/store_lib.sh"

# This run's redis-servers are killed on exit whatever happened, so a
# failed run leaves none behind.
ss_cleanup() {
	local rc=$?
	st_kill_ours
	qn_cleanup "$rc"
}
trap ss_cleanup EXIT

PORTS="6379 6380"

qn_setup 3
for n in 1 2; do
	qn_start_host "$n" "[store]" "enable = yes" \
	    "redis-server = $REDIS_SERVER"
done
qn_elected 6000
epoch0=$(qn_field "$QN_HOLDER" .epoch)

# ss_cli N IP PORT [--auth] ARGS...: redis-cli from host N's namespace.
ss_cli() {
	local n=$1 ip=$2 port=$3
	shift 3
	if [ "${1:-}" = --auth ]; then
		shift
		REDISCLI_AUTH=$(cat "$T/h$n/state/store/password") \
		    timeout 3 ip netns exec "$(qn_ns "$n")" redis-cli \
		    --no-auth-warning -h "$ip" -p "$port" "$@"
	else
		timeout 3 ip netns exec "$(qn_ns "$n")" redis-cli \
		    -h "$ip" -p "$port" "$@"
	fi
}
# ss_all_up N: host N's status shows both instances up.
ss_all_up() {
	[ "$(qn_field "$1" '[.store.instances[] | select(.up)] | length')" \
	    = 2 ]
}
ss_pid() { qn_field "$1" ".store.instances[] | select(.port == $2) | .pid"; }

for n in 1 2; do
	qn_wait_for 10000 ss_all_up "$n"
	ip=$(qn_ip "$n")
	[ "$(qn_field "$n" .store.address)" = "$ip" ] ||
	    qn_fail "h$n's store is not on its LAN address $ip"
	pwf=$(qn_field "$n" .store.password_file)
	[ "$pwf" = "$T/h$n/state/store/password" ] ||
	    qn_fail "h$n's password file is $pwf"
	[ "$(stat -c %a "$pwf")" = 600 ] || qn_fail "$pwf is not mode 0600"
	grep -qxE '[0-9a-f]{64}' "$pwf" || qn_fail "$pwf: not 64 hex digits"
	[ "$(stat -c %a "$T/h$n/state/store/6379/redis.conf")" = 600 ] ||
	    qn_fail "h$n's redis.conf is not mode 0600"
	for port in $PORTS; do
		out=$(ss_cli "$n" "$ip" "$port" PING 2>&1) || true
		grep -q NOAUTH <<<"$out" ||
		    qn_fail "h$n:$port answered PING without the password: $out"
		out=$(ss_cli "$n" "$ip" "$port" --auth PING 2>&1) || true
		[ "$out" = PONG ] ||
		    qn_fail "h$n:$port: PING with the password: $out"
		ss_cli "$n" "$ip" "$port" --auth INFO cluster |
		    grep -q '^cluster_enabled:1' ||
		    qn_fail "h$n:$port is not in cluster mode"
		# Bound to the LAN address alone.
		out=$(ss_cli "$n" 127.0.0.1 "$port" PING 2>&1) || true
		! grep -qE 'NOAUTH|PONG' <<<"$out" ||
		    qn_fail "h$n:$port answers on 127.0.0.1: $out"
	done
	qn_log "h$n: instances on $ip:6379 and :6380 up, NOAUTH without the" \
	    "password, PONG with it, cluster_enabled:1"
done
cmp -s "$T/h1/state/store/password" "$T/h2/state/store/password" ||
    qn_fail "h1 and h2 derived different passwords from one key"
# A member reaches the other's instances over the LAN.
out=$(ss_cli 2 "$(qn_ip 1)" 6379 --auth PING 2>&1) || true
[ "$out" = PONG ] || qn_fail "h2 cannot reach h1:6379: $out"

# kill -9 one instance: started again, counted, the reason shown, as a
# new node (without its data, its old identity must not come back), and
# empty: a dump.rdb in its directory (what a replica's full sync left
# there before repl-diskless-load) must not be loaded.
mkdir -p "$T/rdb"
(cd "$T/rdb" && ip netns exec "$(qn_ns 1)" "$REDIS_SERVER" --port 6391 \
    --bind "$(qn_ip 1)" --protected-mode no --save '' --appendonly no \
    --daemonize yes \
    --logfile "$T/rdb/log" --pidfile "$T/rdb/pid")
ss_rdb() { ss_cli 1 "$(qn_ip 1)" 6391 "$@"; }
qn_wait_for 5000 ss_rdb PING
[ "$(ss_rdb SET stale "from an old full sync")" = OK ] &&
    [ "$(ss_rdb SAVE)" = OK ] || qn_fail "the RDB to plant was not saved"
kill "$(cat "$T/rdb/pid")"
cp "$T/rdb/dump.rdb" "$T/h1/state/store/6379/dump.rdb" ||
    qn_fail "no dump.rdb to plant"
grep -q '^repl-diskless-load swapdb$' "$T/h1/state/store/6379/redis.conf" ||
    qn_fail "h1:6379 would write a replica's sync to dump.rdb"
myid_old=$(ss_cli 1 "$(qn_ip 1)" 6379 --auth CLUSTER MYID 2>&1)
[[ $myid_old =~ ^[0-9a-f]{40}$ ]] || qn_fail "h1:6379 CLUSTER MYID: $myid_old"
old=$(ss_pid 1 6379)
[ -n "$old" ] && [ "$old" != null ] || qn_fail "h1:6379 has no pid"
t0=$(qn_now_ms)
kill -KILL "$old"
ss_restarted() {
	local j
	j=$(qn_status 1) || return 1
	[ "$(jq -r '.store.instances[] | select(.port == 6379) |
	    "\(.restarts) \(.up) \(.last_exit)"' <<<"$j")" = \
	    "1 true killed by signal 9" ]
}
qn_wait_for 10000 ss_restarted
new=$(ss_pid 1 6379)
[ "$new" != "$old" ] || qn_fail "h1:6379 has its old pid $old"
qn_log "h1:6379 killed (pid $old), up again as pid $new in" \
    "$(($(qn_now_ms) - t0)) ms: restarts 1, last_exit killed by signal 9"
grep -q "store: redis-server on port 6379 (pid $old) exited: killed by signal 9" \
    "$T/h1/log" || qn_fail "h1's log does not say why 6379 exited"
[ "$(ss_cli 1 "$(qn_ip 1)" 6379 --auth PING 2>&1)" = PONG ] ||
    qn_fail "h1:6379 does not answer after its restart"
myid_new=$(ss_cli 1 "$(qn_ip 1)" 6379 --auth CLUSTER MYID 2>&1)
[[ $myid_new =~ ^[0-9a-f]{40}$ ]] && [ "$myid_new" != "$myid_old" ] ||
    qn_fail "h1:6379 came back as node $myid_new (was $myid_old)"
[ "$(qn_field 1 '.store.instances[] | select(.port == 6380) |
    .restarts')" = 0 ] || qn_fail "h1:6380 was restarted too"
[ "$(ss_cli 1 "$(qn_ip 1)" 6379 --auth DBSIZE 2>&1)" = 0 ] ||
    qn_fail "h1:6379 came back with data: DBSIZE $(ss_cli 1 "$(qn_ip 1)" 6379 --auth DBSIZE 2>&1) (a dump.rdb loaded)"
[ ! -e "$T/h1/state/store/6379/dump.rdb" ] ||
    qn_fail "h1:6379's dump.rdb is still there"

# A member without redis-server: said, and it still takes part.
qn_start_host 3 "[store]" "enable = yes" \
    "redis-server = $T/nowhere/redis-server"
ss_three() {
	qn_agreed || return 1
	[ "$(qn_field 3 '.members | length')" = 2 ]
}
qn_wait_for 10000 ss_three
err=$(qn_field 3 .store.error)
grep -q "apt-get install redis-server" <<<"$err" ||
    qn_fail "h3's status does not say what to install: $err"
[ "$(qn_field 3 '.store.instances | length')" = 0 ] ||
    qn_fail "h3 shows instances without a redis-server"
grep -q "store: $T/nowhere/redis-server: .*apt-get install redis-server" \
    "$T/h3/log" || qn_fail "h3's log does not name the package"
qn_log "h3 without redis-server: \"$err\"; it is a member all the same"

# The election went on undisturbed: the first holder holds in its first
# epoch while instances started, died and restarted.
[ "$(qn_holder)" = "h$QN_HOLDER" ] || qn_fail "the holder changed"
for n in 1 2 3; do
	[ "$(qn_field "$n" .epoch)" = "$epoch0" ] ||
	    qn_fail "h$n is in epoch $(qn_field "$n" .epoch), not $epoch0"
done

# qured's exit (SIGTERM) stops its instances, and only its own.
for n in 1; do
	pids="$(ss_pid "$n" 6379) $(ss_pid "$n" 6380)"
	qn_stop_host "$n" TERM
	[ "$QN_RC" = 0 ] || qn_fail "h$n's qured exited $QN_RC on SIGTERM"
	for p in $pids; do
		! kill -0 "$p" 2>/dev/null ||
		    qn_fail "h$n's redis-server $p outlived qured"
	done
	grep -q "store: stopped 2 redis-server instance(s)" "$T/h$n/log" ||
	    qn_fail "h$n's log does not say it stopped its instances"
	qn_log "h$n stopped: its redis-servers ($pids) are gone"
done
# qured killed (SIGKILL): its instances go too (the kernel tells them:
# PR_SET_PDEATHSIG), so that no orphan holds the next qured's ports.
pids="$(ss_pid 2 6379) $(ss_pid 2 6380)"
qn_stop_host 2 KILL
ss_gone() {
	local p
	for p in $pids; do
		! kill -0 "$p" 2>/dev/null || return 1
	done
}
qn_wait_for 10000 ss_gone
qn_log "h2 killed: its redis-servers ($pids) went with it"
[ -z "$(st_ours)" ] || qn_fail "redis-server left running: $(st_ours)"
qn_log "store_sup: ok"
