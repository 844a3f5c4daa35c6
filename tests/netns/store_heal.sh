#!/usr/bin/env bash
# The site cache heals what Redis Cluster alone leaves broken (issue 11
# items 2 and "Bad input"; src/redis_coord_worker.c), on 3 members and a
# 4th:
#  1. a Redis node of another cluster (its own password) that MEETs one
#     of ours from the router's address is forgotten by every member,
#     counted (store.cluster.nodes_forgotten), and given no slot; the
#     cache keeps serving;
#  2. a member whose qured stops (frozen in the kernel 2 s) while its
#     Redis serves is declared dead by QuRe, but its masters are not taken
#     over: they still answer (store.cluster.takeovers_declined), and no
#     TAKEOVER happens anywhere;
#  3. a 4th member joins whose instances were told to forget every slot
#     master (CLUSTER FORGET: Redis then ignores them for 60 s, as a node
#     that was reset or joined among many learns them only slowly): the
#     coordinator MEETs the source on the target (store.cluster.introduced)
#     and the slots move to it well within those 60 s.
. "$(dirname "$0")/lib.sh"

. "$(dirname "$0")/store_lib.sh"

SH_WORKER=
sh_cleanup() {
	local rc=$?
	[ -z "$SH_WORKER" ] || kill -CONT "$SH_WORKER" 2>/dev/null
	qn_unblock_all
	st_kill_ours
	qn_cleanup "$rc"
}
trap sh_cleanup EXIT

sh_start() {
	qn_start_host "$1" "[store]" "enable = yes" \
	    "redis-server = $REDIS_SERVER" "[cluster]" "alive-interval = 100ms"
}
converged() {
	[ "$(qn_field "$QN_HOLDER" .store.cluster.converged)" = true ] &&
	    [ "$(qn_field "$QN_HOLDER" .store.cluster.unreplicated)" = false ]
}
# sum FIELD HOSTS...: a store.cluster counter summed over HOSTS.
sum() {
	local f=$1 n s=0 v
	shift
	for n in "$@"; do
		v=$(qn_field "$n" ".store.cluster.$f // 0") || return 1
		s=$((s + v))
	done
	echo "$s"
}
# knows N PORT ID: host N's instance at PORT lists node ID.
knows() {
	cli "$1" "$2" cluster nodes 2>/dev/null | awk -v id="$3" \
	    '$1 == id { f = 1 } END { exit !f }'
}

qn_setup 4
for n in 1 2 3; do
	sh_start "$n"
done
qn_elected 6000
qn_wait_for 60000 converged
qn_log "3 members formed the cache; h$QN_HOLDER holds"
kv 1 set before heal >/dev/null || qn_fail "kv set through h1"

# ---- 1. a node of another cluster ----
mkdir -p "$T/foreign"
(cd "$T/foreign" && ip netns exec "$QN_ROUTER" "$REDIS_SERVER" \
    --bind "$QN_ROUTER_IP" --port 6390 --cluster-enabled yes \
    --cluster-config-file nodes.conf --requirepass other-cluster \
    --save '' --appendonly no --daemonize yes --logfile "$T/foreign/log")
fcli() {
	REDISCLI_AUTH=other-cluster timeout 5 ip netns exec "$QN_ROUTER" \
	    redis-cli --no-auth-warning -h "$QN_ROUTER_IP" -p 6390 "$@"
}
qn_wait_for 5000 fcli ping >/dev/null
foreign=$(fcli cluster myid)
fcli cluster meet "$(qn_ip 1)" 6379 >/dev/null ||
    qn_fail "the foreign node's MEET was refused by its own redis"
forgotten_everywhere() {
	local n p
	[ "$(sum nodes_forgotten "$QN_HOLDER")" -ge 1 ] || return 1
	for n in 1 2 3; do
		for p in 6379 6380; do
			! knows "$n" "$p" "$foreign" || return 1
		done
	done
}
t0=$(qn_now_ms)
# It must have been seen first, else "forgotten" proves nothing.
qn_wait_for 10000 knows 1 6379 "$foreign"
qn_wait_for 20000 forgotten_everywhere
qn_log "a node of another cluster that MET h1 was forgotten everywhere" \
    "in $(($(qn_now_ms) - t0)) ms (nodes_forgotten" \
    "$(qn_field "$QN_HOLDER" .store.cluster.nodes_forgotten))"
# No slot went to it: our masters serve all 16384, its own line none.
[ -z "$(fcli cluster nodes | awk '$3 ~ /myself/ && NF > 8')" ] ||
    qn_fail "the foreign node serves slots: $(fcli cluster nodes)"
qn_wait_for 10000 converged
[ "$(kv 2 get before)" = heal ] || qn_fail "kv get after the foreign node"

# ---- 2. a member's qured stops while its Redis serves ----
victim=1
[ "$victim" != "$QN_HOLDER" ] || victim=2
others=()
for n in 1 2 3; do
	[ "$n" = "$victim" ] || others+=("$n")
done
takeovers0=$(sum takeovers "${others[@]}")
qn_log "h$victim's qured frozen 2 s (its redis-servers run on)"
qn_block "$victim"
declared() {
	local n
	for n in "${others[@]}"; do
		grep -q "member h$victim (.*) declared dead" "$T/h$n/log" ||
		    return 1
	done
}
qn_wait_for 5000 declared
sleep 2
qn_unblock "$victim"
qn_wait_for 10000 converged
declined=$(sum takeovers_declined "${others[@]}")
takeovers=$(sum takeovers "${others[@]}")
qn_log "declared dead by QuRe, not taken over: $declined declined," \
    "$((takeovers - takeovers0)) takeovers"
[ "$takeovers" = "$takeovers0" ] ||
    qn_fail "a master of h$victim was taken over while it served:" \
	"$(grep -h 'TAKEOVER' "$T"/h*/log | tail -5)"
[ "$declined" -ge 1 ] ||
    qn_fail "no TAKEOVER was declined: was h$victim declared dead?"
for p in 6379 6380; do
	[ "$(cli "$victim" "$p" cluster info | tr -d '\r' |
	    awk -F: '$1 == "cluster_state" {print $2}')" = ok ] ||
	    qn_fail "h$victim:$p is not ok after the stall"
done

# ---- 3. a joining member whose instances forgot the slot masters ----
worker=$(pgrep -P "${QN_PID[$QN_HOLDER]}" -x qured-store) ||
    qn_fail "no qured-store worker under the holder h$QN_HOLDER"
kill -STOP "$worker"
SH_WORKER=$worker
introduced0=$(sum introduced "$QN_HOLDER")
sh_start 4
up() { cli 4 "$1" ping >/dev/null 2>&1; }
qn_wait_for 20000 up 6379
qn_wait_for 20000 up 6380
for p in 6379 6380; do
	cli "$QN_HOLDER" 6379 cluster meet "$(qn_ip 4)" "$p" >/dev/null
done
masters=$(cli "$QN_HOLDER" 6379 cluster nodes |
    awk '$3 ~ /master/ && NF > 8 {print $1}')
[ "$(wc -w <<<"$masters")" = 3 ] ||
    qn_fail "not 3 slot masters: $(cli "$QN_HOLDER" 6379 cluster nodes)"
knows_all() {
	local m
	for m in $masters; do
		knows 4 "$1" "$m" || return 1
	done
}
qn_wait_for 20000 knows_all 6379
qn_wait_for 20000 knows_all 6380
for p in 6379 6380; do
	for m in $masters; do
		cli 4 "$p" cluster forget "$m" >/dev/null ||
		    qn_fail "CLUSTER FORGET $m on h4:$p"
	done
	! knows 4 "$p" "$(head -1 <<<"$masters")" ||
	    qn_fail "h4:$p still knows a master after FORGET"
done
qn_log "h4's instances forgot the 3 slot masters (Redis: ignored 60 s);" \
    "the coordinator resumes"
t0=$(qn_now_ms)
kill -CONT "$worker"
SH_WORKER=
h4_serves() {
	local n
	converged || return 1
	n=$(cli "$QN_HOLDER" 6379 cluster nodes | awk -v ip="$(qn_ip 4)" '
	    index($2, ip ":") == 1 && $3 ~ /master/ && NF > 8 {print}' |
	    wc -l)
	[ "$n" -ge 1 ]
}
# Well under the 60 s of Redis's ban: only a MEET can do it.
qn_wait_for 40000 h4_serves
introduced=$(sum introduced "$QN_HOLDER")
qn_log "h4 serves its share $(($(qn_now_ms) - t0)) ms after the" \
    "coordinator resumed; $((introduced - introduced0)) MEETs of nodes" \
    "a target did not know"
[ "$introduced" -gt "$introduced0" ] ||
    qn_fail "converged without an introduction: the test did not test"
[ "$(kv 4 get before)" = heal ] || qn_fail "kv get through h4"
qn_summary
