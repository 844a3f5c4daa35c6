#!/usr/bin/env bash
# qurectl kv and libqure against a Redis Cluster built by hand (issue 11
# item 3): 3 hosts with a master and a replica each, made with
# redis-cli --cluster create, password required. From the router's
# namespace, knowing one address: set, get, append, del, list, init,
# node-id, node-ids, text and --json; exit 2 for no such key, 1 for a
# bad key, a wrong password, or no cluster there. Then host 3 dies (its
# instances killed at once, as when its VM stops); once a replica takes
# over (what qured does when it declares a member dead), reads and
# writes of its keys succeed again through the same client options and
# nothing acknowledged is lost. QuRe's own formation is not used here.
. "$(dirname "$0")/lib.sh"

command -v redis-server >/dev/null 2>&1 ||
    qn_skip "redis-server not installed: apt-get install redis-server" \
	"(scripts/deps.sh)"
command -v redis-cli >/dev/null 2>&1 ||
    qn_skip "redis-cli not found: apt-get install redis-tools"

# Every redis-server of this run works in a directory under $T (its
# `dir`): those, and only those, are killed on exit, by pid. (A pid kept
# from the start may name another process by then: pids wrap.)
kv_ours() {
	local p cwd
	for p in $(pgrep -x redis-server 2>/dev/null); do
		cwd=$(readlink "/proc/$p/cwd" 2>/dev/null) || continue
		case $cwd in "$T"/*) echo "$p" ;; esac
	done
}
kv_cleanup() {
	local rc=$? p
	for p in $(kv_ours); do
		kill -KILL "$p" 2>/dev/null
	done
	qn_cleanup "$rc"
}
trap kv_cleanup EXIT

qn_setup 3
PW=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
printf '%s\n' "$PW" >"$T/password"
chmod 600 "$T/password"

# kv_redis N PORT: a cluster-mode redis-server on host N's address.
kv_redis() {
	local n=$1 port=$2 dir="$T/h$1/r$2"
	mkdir -p "$dir"
	cat >"$dir/redis.conf" <<-CONF
		bind $(qn_ip "$n")
		port $port
		dir $dir
		cluster-enabled yes
		cluster-config-file nodes.conf
		cluster-node-timeout 15000
		requirepass $PW
		masterauth $PW
		save ""
		appendonly no
		repl-diskless-sync-delay 0
		protected-mode no
		logfile $dir/redis.log
	CONF
	ip netns exec "$(qn_ns "$n")" redis-server "$dir/redis.conf" &
	eval "KV_PID_${n}_$port=$!"
}
cli() { # N ARGS...: redis-cli from host N with the password
	local n=$1
	shift
	REDISCLI_AUTH=$PW timeout 10 ip netns exec "$(qn_ns "$n")" \
	    redis-cli --no-auth-warning "$@"
}
for n in 1 2 3; do
	kv_redis "$n" 7000
	kv_redis "$n" 7001
done
for n in 1 2 3; do
	for port in 7000 7001; do
		qn_wait_for 5000 cli "$n" -h "$(qn_ip "$n")" -p "$port" \
		    ping >/dev/null
	done
done
cli 1 --cluster create \
    "$(qn_ip 1):7000" "$(qn_ip 2):7000" "$(qn_ip 3):7000" \
    "$(qn_ip 1):7001" "$(qn_ip 2):7001" "$(qn_ip 3):7001" \
    --cluster-replicas 1 --cluster-yes >"$T/create.out" 2>&1 ||
    qn_fail "redis-cli --cluster create failed: $(tail -3 "$T/create.out")"
# ok everywhere, and every replica in sync with its master (then
# CLUSTER SLOTS lists it, and a write waits for it).
cluster_ok() {
	local n port
	for n in 1 2 3; do
		cli "$n" -h "$(qn_ip "$n")" -p 7000 cluster info |
		    grep -q '^cluster_state:ok' || return 1
		for port in 7000 7001; do
			cli "$n" -h "$(qn_ip "$n")" -p "$port" info replication |
			    grep -qE '^role:master|^master_link_status:up' ||
			    return 1
		done
	done
	[ "$(cli 1 -h "$(qn_ip 1)" -p 7000 cluster slots | grep -c '^700[01]$')" = 6 ]
}
# Generous: redis-cli --cluster create waits for the join itself, then the
# replicas copy; some 11 s on a quiet machine.
qn_wait_for 60000 cluster_ok
qn_log "a Redis Cluster of 3 masters and 3 replicas on h1..h3"

# kv ARGS...: qurectl kv from the router, knowing h2's address only.
kv() {
	timeout 20 ip netns exec "$QN_ROUTER" "$QURECTL" -s "$T/nosock" \
	    -H "$(qn_ip 2):7000" -P "$T/password" kv "$@"
}
expect_rc() { # RC ARGS...
	local want=$1 rc=0
	shift
	kv "$@" >"$T/out" 2>"$T/err" || rc=$?
	[ "$rc" = "$want" ] ||
	    qn_fail "kv $*: exit $rc, not $want: $(cat "$T/err")"
}

expect_rc 0 set greeting hello
[ "$(kv get greeting)" = hello ] || qn_fail "get greeting: $(kv get greeting)"
expect_rc 0 append greeting ", world"
[ "$(kv get greeting)" = "hello, world" ] || qn_fail "append did not append"
printf 'from\nstdin' | kv set multi - || qn_fail "set - failed"
[ "$(kv get multi --json | jq -r .value)" = "$(printf 'from\nstdin')" ] ||
    qn_fail "set - / get --json: $(kv get multi --json)"
expect_rc 2 get nosuchkey
grep -q "no such key" "$T/err" || qn_fail "get nosuchkey said: $(cat "$T/err")"
expect_rc 2 del nosuchkey
expect_rc 0 del multi
expect_rc 2 get multi
expect_rc 1 set "$(printf 'bad\tkey')" v
grep -q "control byte" "$T/err" || qn_fail "a tab in a key: $(cat "$T/err")"
expect_rc 1 frobnicate k
qn_log "set, get, append, del, exit statuses and bad keys as documented"

# Ten ids spread over the three masters by their slots.
ids=$(seq -f 'job-%g' 1 10)
# shellcheck disable=SC2086
expect_rc 0 init $ids
[ "$(kv list 'job-*' | sort | tr '\n' ' ')" = "$(echo $ids | tr ' ' '\n' | sort | tr '\n' ' ')" ] ||
    qn_fail "list job-*: $(kv list 'job-*' | tr '\n' ' ')"
[ "$(kv get job-3 --json | jq -r .value)" = "" ] || qn_fail "init: job-3 not empty"
kv set job-3 busy >/dev/null
kv init job-3 >/dev/null
[ "$(kv get job-3)" = busy ] || qn_fail "init overwrote an existing id"
[ "$(kv list --json | jq '.keys | length')" = 11 ] ||
    qn_fail "list --json: $(kv list --json)"
masters=$(for i in $ids; do kv node-id "$i" | cut -d' ' -f1; done | sort -u | wc -l)
[ "$masters" = 3 ] || qn_fail "10 ids on $masters masters, not 3"
kv node-ids job-1 --json >"$T/nodes.json"
[ "$(jq '.nodes | length' "$T/nodes.json")" = 2 ] &&
    [ "$(jq -r '.nodes[0].role' "$T/nodes.json")" = master ] &&
    [ "$(jq -r '.nodes[1].role' "$T/nodes.json")" = replica ] &&
    [ "$(jq -r '.slot' "$T/nodes.json")" = "$(cli 1 -h "$(qn_ip 1)" -p 7000 cluster keyslot job-1)" ] ||
    qn_fail "node-ids job-1 --json: $(cat "$T/nodes.json")"
qn_log "init, list, node-id, node-ids: 10 ids on 3 masters"

# Refusals: a wrong password, no cluster there.
echo wrong >"$T/wrong"
rc=0
timeout 20 ip netns exec "$QN_ROUTER" "$QURECTL" -s "$T/nosock" \
    -H "$(qn_ip 2):7000" -P "$T/wrong" kv get greeting 2>"$T/err" || rc=$?
[ "$rc" = 1 ] && grep -q "AUTH" "$T/err" ||
    qn_fail "a wrong password: exit $rc: $(cat "$T/err")"
rc=0
timeout 20 ip netns exec "$QN_ROUTER" "$QURECTL" -s "$T/nosock" \
    -H "$(qn_ip 2):7999" -P "$T/password" kv get greeting 2>"$T/err" || rc=$?
[ "$rc" = 1 ] && grep -q "cannot connect" "$T/err" ||
    qn_fail "no cluster there: exit $rc: $(cat "$T/err")"

# A master paused (a suspended VM) while its replica takes over, and
# back before it learns that it was demoted (here: its cluster bus cut):
# a write it takes is not acknowledged. No replica is connected to it,
# but Redis never flagged its replica failed (it is the heir): had the
# write been acknowledged, it would be lost when the master follows its
# heir. libqure gives up at its deadline; the value stays the old one.
h1=$(qn_ip 1)
pm=$(cli 1 -h "$h1" -p 7000 cluster nodes |
    awk -v a="$h1:" 'index($2, a) == 1 && $3 ~ /master/ && NF > 8 {
    split($2, p, "@"); print $1, p[1]}')
[ -n "$pm" ] || qn_fail "no slot master on h1"
pm_id=${pm% *} pm_addr=${pm#* }
pm_heir=$(cli 1 -h "$h1" -p 7000 cluster nodes |
    awk -v m="$pm_id" '$4 == m {split($2, a, "@"); print a[1]}')
[ -n "$pm_heir" ] || qn_fail "h1's master $pm_addr has no replica"
pkey=
for i in $(seq 1 200); do
	if [ "$(kv node-id "paused-$i" | cut -d' ' -f1)" = "$pm_addr" ]; then
		pkey=paused-$i
		break
	fi
done
[ -n "$pkey" ] || qn_fail "no key of $pm_addr among 200"
kv set "$pkey" before >/dev/null || qn_fail "set $pkey"
pm_pid=$(eval "echo \$KV_PID_1_${pm_addr##*:}")
kill -STOP "$pm_pid"
# Its cluster bus cut both ways before the takeover: it cannot learn of
# it (what reached its socket while it was stopped would tell it).
bus=$(( ${pm_addr##*:} + 10000 ))
ip netns exec "$(qn_ns 1)" iptables -I INPUT -p tcp --dport "$bus" -j DROP
ip netns exec "$(qn_ns 1)" iptables -I OUTPUT -p tcp --sport "$bus" -j DROP
ip netns exec "$(qn_ns 1)" iptables -I OUTPUT -p tcp -d "$(qn_ip 2)" \
    --dport 17000:17001 -j DROP
ip netns exec "$(qn_ns 1)" iptables -I OUTPUT -p tcp -d "$(qn_ip 3)" \
    --dport 17000:17001 -j DROP
heir_host=${pm_heir%:*}
heir_n=$(( ${heir_host##*.} - 10 ))
cli "$heir_n" -h "$heir_host" -p "${pm_heir#*:}" cluster failover takeover |
    grep -q OK || qn_fail "CLUSTER FAILOVER TAKEOVER on $pm_heir refused"
heir_master() {
	cli "$heir_n" -h "$heir_host" -p "${pm_heir#*:}" role | head -1 |
	    grep -qx master
}
qn_wait_for 10000 heir_master
kill -CONT "$pm_pid"
rc=0
timeout 20 ip netns exec "$QN_ROUTER" "$QURECTL" -s "$T/nosock" \
    -H "$pm_addr" -P "$T/password" kv set "$pkey" lost 2>"$T/err" || rc=$?
[ "$rc" = 1 ] && grep -q "no replica confirmed" "$T/err" ||
    qn_fail "a write to a demoted master that does not know it: exit" \
	"$rc (acknowledged, and lost when it follows its heir): $(cat "$T/err")"
ip netns exec "$(qn_ns 1)" iptables -F INPUT
ip netns exec "$(qn_ns 1)" iptables -F OUTPUT
demoted() {
	cli 1 -h "$h1" -p "${pm_addr##*:}" role | head -1 | grep -qx slave
}
qn_wait_for 20000 demoted
[ "$(kv get "$pkey")" = before ] ||
    qn_fail "$pkey = $(kv get "$pkey") after the old master followed its heir"
# The roles back as they were, for the rest (a takeover: its bus links
# heal slowly from the cut, and it has just copied its heir's data).
qn_wait_for 60000 cluster_ok
cli 1 -h "$h1" -p "${pm_addr##*:}" cluster failover takeover | grep -q OK ||
    qn_fail "CLUSTER FAILOVER TAKEOVER on $pm_addr refused"
promoted() {
	cli 1 -h "$h1" -p "${pm_addr##*:}" role | head -1 | grep -qx master
}
qn_wait_for 20000 promoted
qn_wait_for 60000 cluster_ok
qn_log "a paused master back before it learnt of its takeover: its write" \
    "was refused, not acknowledged and lost"

# A key of each master, acknowledged, then host 3 dies.
declare -A val
for i in $(seq 1 30); do
	kv set "k$i" "v$i" >/dev/null || qn_fail "set k$i: $(kv set "k$i" "v$i" 2>&1)"
	val[k$i]=v$i
done
h3=$(qn_ip 3)
dead_master=$(cli 1 -h "$(qn_ip 1)" -p 7000 cluster nodes |
    awk -v a="$h3:" '$2 ~ "^"a && $3 ~ /master/ {print $1}')
[ -n "$dead_master" ] || qn_fail "no master on h3"
heir=$(cli 1 -h "$(qn_ip 1)" -p 7000 cluster nodes |
    awk -v m="$dead_master" '$4 == m {split($2, a, "@"); print a[1]}')
[ -n "$heir" ] || qn_fail "h3's master has no replica"
case $heir in "$h3":*) qn_fail "h3's master's replica is on h3 too" ;; esac
kill -KILL "$KV_PID_3_7000" "$KV_PID_3_7001"
wait "$KV_PID_3_7000" "$KV_PID_3_7001" 2>/dev/null || true
t0=$(qn_now_ms)
# What qured does as soon as it declares h3 dead.
heir_host=${heir%:*}
heir_n=$(( ${heir_host##*.} - 10 ))
cli "$heir_n" -h "$heir_host" -p "${heir#*:}" cluster failover takeover |
    grep -q OK || qn_fail "CLUSTER FAILOVER TAKEOVER on $heir refused"
# And what it does later ([store] forget-after): h3's nodes forgotten.
# Until then (or until Redis flags them failed: 15 s here), a master
# whose replica was on h3 acknowledges no write (libqure: its replica may
# only be out of reach).
for id in $(cli 1 -h "$(qn_ip 1)" -p 7000 cluster nodes |
    awk -v a="$h3:" 'index($2, a) == 1 {print $1}'); do
	for n in 1 2; do
		for port in 7000 7001; do
			cli "$n" -h "$(qn_ip "$n")" -p "$port" cluster forget "$id" \
			    >/dev/null
		done
	done
done
for i in $(seq 1 30); do
	got=$(kv get "k$i") || qn_fail "get k$i after h3 died: $(kv get "k$i" 2>&1)"
	[ "$got" = "${val[k$i]}" ] || qn_fail "k$i = $got, acknowledged ${val[k$i]}"
	kv set "k$i" "w$i" >/dev/null || qn_fail "set k$i after h3 died"
done
qn_timing "30 keys read back and written again after h3 died" \
    $(( $(qn_now_ms) - t0 )) 3000
echo "PASS: $QN_NAME: the kv API, its exit statuses, through a master's death"
