#!/usr/bin/env bash
# tests/netns/store_lib.sh — what the site cache's netns tests share,
# sourced after lib.sh: redis-server and redis-cli, or a skip; this run's
# own redis-servers (every one works in a directory under $T), to kill on
# exit by pid and no other; redis-cli with the password and qurectl kv
# from a member's namespace.

REDIS_SERVER=${REDIS_SERVER:-/usr/bin/redis-server}
[ -x "$REDIS_SERVER" ] ||
    qn_skip "$REDIS_SERVER not installed: apt-get install redis-server" \
	"(scripts/deps.sh)"
command -v redis-cli >/dev/null 2>&1 ||
    qn_skip "redis-cli not found: apt-get install redis-tools"

# st_ours: the pids of this run's redis-servers (a pid kept from their
# start may name another process by then: pids wrap).
st_ours() {
	local p cwd
	for p in $(pgrep -x redis-server 2>/dev/null); do
		cwd=$(readlink "/proc/$p/cwd" 2>/dev/null) || continue
		case $cwd in "$T"/*) echo "$p" ;; esac
	done
}
st_kill_ours() {
	local p
	for p in $(st_ours); do
		kill -KILL "$p" 2>/dev/null
	done
}

# cli N PORT ARGS...: redis-cli with the site's password (ST_PASSWORD, a
# file; default host 1's), from host N's namespace to its instance at PORT.
cli() {
	local n=$1 port=$2
	shift 2
	REDISCLI_AUTH=$(cat "${ST_PASSWORD:-$T/h1/state/store/password}") \
	    timeout 5 ip netns exec "$(qn_ns "$n")" redis-cli \
	    --no-auth-warning -h "$(qn_ip "$n")" -p "$port" "$@"
}
# kv N ARGS...: qurectl kv through host N's qured.
kv() {
	local n=$1
	shift
	timeout 20 ip netns exec "$(qn_ns "$n")" "$QURECTL" \
	    -s "$T/h$n/sock" kv "$@"
}
