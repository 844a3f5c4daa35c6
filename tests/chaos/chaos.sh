#!/usr/bin/env bash
# tests/chaos/chaos.sh — the chaos run (issue 7 item 10; README.md here).
#
# Five qured on a hub-like LAN of namespaces (tests/netns/lib.sh, bridge
# ageing 0), a service on every host, and in the router namespace
# tests/chaos/chaos_probe: a TCP probe of the DMZ address every 10 ms and
# an ARP question for it every 20 ms. A fault every 2-5 s, drawn from a
# seeded PRNG; at the end a table, a JSON file, and exit 1 when a target
# is missed (the seed and the schedule are printed for --replay).
#
# usage: chaos.sh [--seconds N] [--replay SEED] [--faults LIST] [--json FILE]
#
# Environment (the options win): CHAOS_SECONDS (60), CHAOS_SEED (random),
# CHAOS_FAULTS (all: kill9,sigterm,sigstop,nsstop,linkdown,loss,partition,
# revert,ifrecreate,diskfull,cpu; README.md), CHAOS_JSON (chaos.json in the current
# directory), CHAOS_MIN_AVAIL (99.5), CHAOS_HOLDER_PCT (20: the share of
# faults aimed at the holder of the moment; the others pick a host
# evenly, the holder included), QURED/QURECTL (lib.sh), CHAOS_PROBE.
# Root only (exit 77 otherwise); everything it makes is removed on exit.
set -eu

CHAOS_ALL_FAULTS=(kill9 sigterm sigstop nsstop linkdown loss partition
	revert ifrecreate diskfull cpu)
CHAOS_SECONDS=${CHAOS_SECONDS:-60}
CHAOS_SEED=${CHAOS_SEED:-}
CHAOS_FAULTS=${CHAOS_FAULTS:-all}
CHAOS_JSON=${CHAOS_JSON:-$PWD/chaos.json}
CHAOS_MIN_AVAIL=${CHAOS_MIN_AVAIL:-99.5}
CHAOS_HOLDER_PCT=${CHAOS_HOLDER_PCT:-20}
CHAOS_HOSTS=5
CHAOS_PORT=8080
CHAOS_HB_MS=200      # qured's default heartbeat
CHAOS_GRACE_MS=2000  # a fault's effect on the holder may lag its end

chaos_usage() {
	sed -n '/^# usage:/,/^# Root only/s/^# \{0,1\}//p' "$0" >&2
	exit 2
}
while [ $# -gt 0 ]; do
	case $1 in
	--seconds) CHAOS_SECONDS=${2:?}; shift 2 ;;
	--replay | --seed) CHAOS_SEED=${2:?}; shift 2 ;;
	--faults) CHAOS_FAULTS=${2:?}; shift 2 ;;
	--json) CHAOS_JSON=${2:?}; shift 2 ;;
	-h | --help) chaos_usage ;;
	*) echo "chaos: unknown argument '$1'" >&2; chaos_usage ;;
	esac
done
[[ $CHAOS_SECONDS =~ ^[0-9]+$ ]] && [ "$CHAOS_SECONDS" -ge 15 ] ||
    { echo "chaos: --seconds needs a number >= 15" >&2; exit 2; }
if [ "$CHAOS_FAULTS" = all ]; then
	CHAOS_ON=("${CHAOS_ALL_FAULTS[@]}")
else
	IFS=, read -r -a CHAOS_ON <<<"$CHAOS_FAULTS"
	for f in "${CHAOS_ON[@]}"; do
		[[ " ${CHAOS_ALL_FAULTS[*]} " == *" $f "* ]] ||
		    { echo "chaos: unknown fault '$f'" >&2; exit 2; }
	done
fi
if [ -z "$CHAOS_SEED" ]; then
	CHAOS_SEED=$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')
fi
[[ $CHAOS_SEED =~ ^[0-9]+$ ]] || { echo "chaos: bad seed" >&2; exit 2; }

. "$(dirname "$0")/../netns/lib.sh"

CHAOS_PROBE=${CHAOS_PROBE:-$qn_top_build/tests/chaos/chaos_probe}
command -v nft >/dev/null 2>&1 ||
    { echo "ERROR: chaos: nft not found: apt-get install nftables" >&2; exit 99; }
[ -x "$CHAOS_PROBE" ] ||
    { echo "ERROR: chaos: $CHAOS_PROBE not built (make check-chaos)" >&2; exit 99; }

# Each qured log line starts with its epoch ms, as the probe's and the
# faults' logs do: what a daemon did lines up with what was done to it.
export QURE_LOG_STAMP=1

CHAOS_MOUNTS=()   # tmpfs state dirs, unmounted on exit
CHAOS_STOPPED=()  # pids under SIGSTOP right now, continued on exit
CHAOS_DONE=0

chaos_cleanup() {
	local rc=$? m p ns
	set +e
	# Nothing stays paused: a stopped qured would not act on SIGTERM.
	for p in "${CHAOS_STOPPED[@]}"; do
		kill -CONT "$p" 2>/dev/null
	done
	for ns in "${QN_NSES[@]}"; do
		for p in $(ip netns pids "$ns" 2>/dev/null); do
			kill -CONT "$p" 2>/dev/null
		done
	done
	for m in "${CHAOS_MOUNTS[@]}"; do
		umount -l "$m" 2>/dev/null
	done
	if [ "$rc" != 0 ] && [ "$CHAOS_DONE" = 0 ]; then
		echo "chaos: stopped early (exit $rc); seed $CHAOS_SEED" >&2
	fi
	qn_cleanup "$rc"
}
trap chaos_cleanup EXIT

# ---- the seeded PRNG (xorshift32, so a seed means the same schedule with
# any bash) -----------------------------------------------------------------

CHAOS_RNG=$(((CHAOS_SEED & 0xffffffff) ^ 0x9e3779b9))
[ "$CHAOS_RNG" != 0 ] || CHAOS_RNG=1
# rnd N: R = the next number in [0, N)
rnd() {
	local x=$CHAOS_RNG
	x=$(((x ^ (x << 13)) & 0xffffffff))
	x=$((x ^ (x >> 17)))
	x=$(((x ^ (x << 5)) & 0xffffffff))
	CHAOS_RNG=$x
	R=$((x % $1))
}
# rnd_in LO HI: R in [LO, HI]
rnd_in() {
	rnd $(($2 - $1 + 1))
	R=$((R + $1))
}

# ---- the schedule: "AT_MS KIND TARGET DURATION_MS EXTRA" -----------------
# AT_MS counts from the probe's start; TARGET is "holder" (with
# CHAOS_HOLDER_PCT per cent) or a host number drawn evenly; EXTRA is the partition's group (a bit mask of hosts) or -.

SCHED=()
dur_ms=$((CHAOS_SECONDS * 1000))
t=3000
while [ $((t + 5000)) -le "$dur_ms" ]; do
	rnd ${#CHAOS_ON[@]}
	kind=${CHAOS_ON[$R]}
	rnd 100
	target=holder
	[ "$R" -lt "$CHAOS_HOLDER_PCT" ] || target=
	rnd "$CHAOS_HOSTS"
	[ -n "$target" ] || target=$((R + 1))
	rnd_in 2000 5000
	gap=$R
	case $kind in
	kill9 | sigterm | revert) rnd_in 300 2000 ;;
	sigstop | nsstop) rnd_in 500 3500 ;;
	linkdown) rnd_in 500 3000 ;;
	loss | diskfull) rnd_in 2000 4500 ;;
	partition) rnd_in 1000 4000 ;;
	ifrecreate) rnd_in 200 1500 ;;
	cpu) rnd_in 1000 3000 ;;
	esac
	d=$R
	[ "$d" -le $((gap - 500)) ] || d=$((gap - 500))
	extra=-
	if [ "$kind" = partition ]; then
		rnd $(((1 << CHAOS_HOSTS) - 2))
		extra=$((R + 1))
	fi
	SCHED+=("$t $kind $target $d $extra")
	t=$((t + gap))
done

chaos_replay_hint() {
	echo "replay: CHAOS_SEED=$CHAOS_SEED CHAOS_SECONDS=$CHAOS_SECONDS" \
	    "CHAOS_FAULTS=$CHAOS_FAULTS CHAOS_HOLDER_PCT=$CHAOS_HOLDER_PCT" \
	    "make check-chaos (or tests/chaos/chaos.sh --replay $CHAOS_SEED" \
	    "with the same --seconds, --faults and CHAOS_HOLDER_PCT)"
}

# ---- the bed ---------------------------------------------------------------

CONF=('[dmz]' "ports = tcp:$CHAOS_PORT")
# CHAOS_CONF: more config lines, ';'-separated (e.g. "[cluster];heartbeat =
# 50ms"): what the figures would be with other settings.
if [ -n "${CHAOS_CONF:-}" ]; then
	IFS=';' read -r -a chaos_extra <<<"$CHAOS_CONF"
	CONF+=("${chaos_extra[@]}")
fi
qn_setup "$CHAOS_HOSTS"
ip -n "$QN_LAN" link set br0 type bridge ageing_time 0
DISKFULL_OK=1
for n in "${QN_HOSTS[@]}"; do
	# The state dir on a small tmpfs of its own, so it can be made full.
	mkdir -p -m 700 "$T/h$n/state"
	if mount -t tmpfs -o size=256k,mode=700 "chaos-h$n" "$T/h$n/state" \
	    2>"$T/mount.err"; then
		CHAOS_MOUNTS+=("$T/h$n/state")
	else
		DISKFULL_OK=0
	fi
	ip netns exec "$(qn_ns "$n")" "$CHAOS_PROBE" serve "$CHAOS_PORT" "h$n" \
	    >>"$T/h$n/serve.log" 2>&1 &
	QN_PIDS+=($!)
	qn_wait_for 5000 qn_listening "$n" tcp "$CHAOS_PORT"
done
if [ "$DISKFULL_OK" = 0 ]; then
	echo "chaos: no tmpfs for the state dirs ($(cat "$T/mount.err"));" \
	    "diskfull faults are skipped"
fi
for n in "${QN_HOSTS[@]}"; do
	qn_start_host "$n" "${CONF[@]}"
done
qn_elected 10000
qn_log "h$QN_HOLDER holds $QN_DMZ; snapshots of the state dirs taken"
for n in "${QN_HOSTS[@]}"; do
	mkdir -p "$T/h$n/snap"
	cp -a "$T/h$n/state/." "$T/h$n/snap/"
done

# ---- helpers -----------------------------------------------------------------

# alive PID: running or stopped, not a zombie (kill -0 succeeds on those).
alive() {
	local st
	[ -r "/proc/$1/stat" ] || return 1
	read -r _ _ st _ <"/proc/$1/stat" || return 1
	[ "$st" != Z ] && [ "$st" != X ]
}

CRASHES=0
declare -A CRASHED=()
# check_crashes: a qured that exited while the harness did not stop it is
# a crash: counted, logged, restarted (at most 3 times a host).
check_crashes() {
	local n pid rc
	for n in "${QN_HOSTS[@]}"; do
		pid=${QN_PID[$n]:-}
		[ -n "$pid" ] || continue
		alive "$pid" && continue
		rc=0
		wait "$pid" || rc=$?
		unset "QN_PID[$n]"
		CRASHES=$((CRASHES + 1))
		CRASHED[$n]=$((${CRASHED[$n]:-0} + 1))
		echo "$(qn_now_ms) h$n $rc" >>"$T/crashes.log"
		qn_log "CRASH: h$n's qured exited ($rc) unasked"
		if [ "${CRASHED[$n]}" -le 3 ]; then
			qn_start_host "$n" "${CONF[@]}"
		fi
	done
}

# nap_until MS: sleeps until the epoch-ms time MS, watching for crashes.
nap_until() {
	while [ "$(qn_now_ms)" -lt "$1" ]; do
		check_crashes
		sleep 0.05
	done
}

# stop_qured N SIGNAL: signals host N's qured and reaps it (SIGTERM: 5 s,
# then SIGKILL).
stop_qured() {
	local n=$1 pid=${QN_PID[$1]:-} end
	[ -n "$pid" ] || return 0
	if [ "$2" = KILL ]; then
		# Reaped at once, so bash's "Killed" notice goes nowhere.
		{ kill -KILL "$pid" && wait "$pid"; } 2>/dev/null || :
		unset "QN_PID[$n]"
		return 0
	fi
	kill -"$2" "$pid" 2>/dev/null || :
	end=$(($(qn_now_ms) + 5000))
	while alive "$pid" && [ "$(qn_now_ms)" -lt "$end" ]; do
		sleep 0.02
	done
	if alive "$pid"; then
		qn_log "h$n's qured ignored SIG$2 for 5 s: SIGKILL"
		{ kill -KILL "$pid" && wait "$pid"; } 2>/dev/null
	fi
	wait "$pid" 2>/dev/null || :
	unset "QN_PID[$n]"
}

# The veth of host N again, as qn_add_host made it (same names, new index).
recreate_if() {
	local n=$1 ns
	ns=$(qn_ns "$n")
	ip link add "${QN_P}h$n" type veth peer name "${QN_P}h${n}p"
	ip link set "${QN_P}h$n" netns "$ns"
	ip link set "${QN_P}h${n}p" netns "$QN_LAN"
	ip -n "$ns" link set "${QN_P}h$n" name eth0
	ip -n "$ns" link set eth0 address "$(qn_mac "$n")"
	ip -n "$ns" addr add "$(qn_ip "$n")/24" dev eth0
	ip -n "$ns" link set eth0 up
	ip -n "$ns" route add default via "$QN_ROUTER_IP" 2>/dev/null || :
	ip -n "$QN_LAN" link set "${QN_P}h${n}p" name "h${n}p"
	ip -n "$QN_LAN" link set "h${n}p" master br0 up
}

ns_pause() {
	local p
	CHAOS_STOPPED=($(ip netns pids "$(qn_ns "$1")"))
	for p in "${CHAOS_STOPPED[@]}"; do
		kill -STOP "$p" 2>/dev/null
	done
}
ns_resume() {
	local p
	for p in "${CHAOS_STOPPED[@]}"; do
		kill -CONT "$p" 2>/dev/null
	done
	CHAOS_STOPPED=()
}

loss_on() {
	ip netns exec "$(qn_ns "$1")" nft -f - <<-EOF
	table inet chaos_loss {
		chain in { type filter hook input priority -300; numgen random mod 100 < 20 drop; }
		chain out { type filter hook output priority -300; numgen random mod 100 < 20 drop; }
	}
	table arp chaos_loss {
		chain in { type filter hook input priority -300; numgen random mod 100 < 20 drop; }
		chain out { type filter hook output priority -300; numgen random mod 100 < 20 drop; }
	}
	EOF
}
loss_off() {
	ip netns exec "$(qn_ns "$1")" nft delete table inet chaos_loss || :
	ip netns exec "$(qn_ns "$1")" nft delete table arp chaos_loss || :
}

# partition_on MASK: hosts whose bit is set cannot hear the others (nor
# they them); the router hears both sides.
partition_on() {
	local n a= b=
	for n in "${QN_HOSTS[@]}"; do
		if (($1 >> (n - 1) & 1)); then a+="${a:+, }\"h${n}p\""; else
			b+="${b:+, }\"h${n}p\""; fi
	done
	ip netns exec "$QN_LAN" nft -f - <<-EOF
	table bridge chaos_part {
		chain split {
			type filter hook forward priority 0;
			iifname { $a } oifname { $b } drop
			iifname { $b } oifname { $a } drop
		}
	}
	EOF
}
partition_off() {
	ip netns exec "$QN_LAN" nft delete table bridge chaos_part || :
}

hosts_of_mask() {
	local n out=
	for n in "${QN_HOSTS[@]}"; do
		if (($1 >> (n - 1) & 1)); then out+="${out:+,}$n"; fi
	done
	echo "$out"
}

# ---- the run -----------------------------------------------------------------

PROBE_LOG=$T/probe.log
# The ARP watch asks from an address no host uses: as the router it would
# rewrite the router's neighbour entry every 20 ms (chaos_probe.c).
CHAOS_WATCH_IP=$QN_NET.250
ip netns exec "$QN_ROUTER" "$CHAOS_PROBE" probe lan0 "$QN_DMZ" \
    "$CHAOS_PORT" "$CHAOS_WATCH_IP" >"$PROBE_LOG" 2>"$T/probe.err" &
PROBE_PID=$!
QN_PIDS+=("$PROBE_PID")
has_start() { grep -q '^start ' "$PROBE_LOG"; }
qn_wait_for 5000 has_start
RUN0=$(sed -n 's/^start //p' "$PROBE_LOG")
RUN_END=$((RUN0 + dur_ms))
echo "chaos: seed $CHAOS_SEED, $CHAOS_SECONDS s, ${#SCHED[@]} faults from" \
    "${CHAOS_ON[*]}"
FAULTS_LOG=$T/faults.log
: >"$FAULTS_LOG"
ALL_HOSTS=$(IFS=,; echo "${QN_HOSTS[*]}")

for entry in "${SCHED[@]}"; do
	read -r at kind target d extra <<<"$entry"
	nap_until $((RUN0 + at))
	n=$target
	if [ "$n" = holder ]; then
		n=$(qn_dmz_hosts | head -n 1)
		# No holder right now: the host the PRNG would have named.
		[ -n "$n" ] || n=$(((at / 1000) % CHAOS_HOSTS + 1))
	fi
	hosts=$n
	t0=$(qn_now_ms)
	case $kind in
	kill9)
		stop_qured "$n" KILL
		nap_until $((t0 + d))
		qn_start_host "$n" "${CONF[@]}"
		;;
	sigterm)
		stop_qured "$n" TERM
		nap_until $((t0 + d))
		qn_start_host "$n" "${CONF[@]}"
		;;
	revert)
		# A VM reverted to a snapshot: stopped dead, older state dir.
		stop_qured "$n" KILL
		find "$T/h$n/state" -mindepth 1 -delete
		cp -a "$T/h$n/snap/." "$T/h$n/state/"
		nap_until $((t0 + d))
		qn_start_host "$n" "${CONF[@]}"
		;;
	sigstop)
		pid=${QN_PID[$n]:-}
		if [ -n "$pid" ]; then
			CHAOS_STOPPED=("$pid")
			kill -STOP "$pid"
			nap_until $((t0 + d))
			ns_resume
		fi
		;;
	nsstop)
		ns_pause "$n"
		nap_until $((t0 + d))
		ns_resume
		;;
	linkdown)
		qn_cut_link "$n"
		nap_until $((t0 + d))
		qn_restore_link "$n"
		;;
	loss)
		loss_on "$n"
		nap_until $((t0 + d))
		loss_off "$n"
		;;
	partition)
		hosts=$ALL_HOSTS
		partition_on "$extra"
		nap_until $((t0 + d))
		partition_off
		;;
	ifrecreate)
		ip -n "$(qn_ns "$n")" link del eth0
		nap_until $((t0 + d))
		recreate_if "$n"
		;;
	diskfull)
		# A host restarted while its disk is full: the start-up
		# persist (a new sequence block) is refused.
		if [ "$DISKFULL_OK" = 1 ]; then
			dd if=/dev/zero of="$T/h$n/state/.chaos-fill" bs=4k \
			    2>/dev/null || :
			stop_qured "$n" TERM
			qn_start_host "$n" "${CONF[@]}"
			nap_until $((t0 + d))
			rm -f "$T/h$n/state/.chaos-fill"
		fi
		;;
	cpu)
		hosts=$ALL_HOSTS
		"$CHAOS_PROBE" burn 50 "$d" &
		burn=$!
		QN_PIDS+=("$burn")
		wait "$burn" || :
		;;
	esac
	t1=$(qn_now_ms)
	[ "$kind" != partition ] || extra=$(hosts_of_mask "$extra")
	echo "$t0 $t1 $kind $hosts $extra" >>"$FAULTS_LOG"
	qn_log "fault $kind on ${hosts//,/ } for $((t1 - t0)) ms" \
	    "${extra/#-/}"
done
nap_until "$RUN_END"
kill -TERM "$PROBE_PID"
wait "$PROBE_PID" || :
grep -q '^stats ' "$PROBE_LOG" ||
    qn_fail "the probe died: $(cat "$T/probe.err")"
check_crashes

# After the last fault: do all five agree on the one host with the
# address, and does each list the four others as live members (a member
# left deaf or out of the cluster by a fault shows as "stopped" or not
# at all)? Informational, 5 s at most.
hears_all() {
	local n k
	for n in "${QN_HOSTS[@]}"; do
		k=$(qn_field "$n" "[.members[] | select(.name != \"h$n\" and
		    .state != \"stopped\")] | length" 2>/dev/null) || return 1
		[ "$k" -ge $((CHAOS_HOSTS - 1)) ] || return 1
	done
}
CONVERGED=no
end=$(($(qn_now_ms) + 5000))
while [ "$(qn_now_ms)" -lt "$end" ]; do
	if qn_agreed && hears_all; then
		CONVERGED=yes
		break
	fi
	sleep 0.1
done
[ "$CONVERGED" = yes ] || { echo "chaos: not converged 5 s after the run:";
	qn_summary; for n in "${QN_HOSTS[@]}"; do
		printf '  h%s members: %s\n' "$n" "$(qn_field "$n" \
		    '[.members[] | "\(.name):\(.state):\(.last_seen_ms)"] |
		    join(" ")' 2>/dev/null)"; done; }

# Stop every qured the polite way: a sanitizer build writes its leak
# reports on the way out.
for n in "${QN_HOSTS[@]}"; do
	stop_qured "$n" TERM
done
SAN=0
SAN_HOSTS=
for n in "${QN_HOSTS[@]}"; do
	if grep -qE 'ERROR: [A-Za-z]+Sanitizer|runtime error:' "$T/h$n/log"; then
		SAN=$((SAN + 1))
		SAN_HOSTS+=" h$n"
		sed -n '/Sanitizer\|runtime error:/,$p' "$T/h$n/log" |
		    head -n 40 >&2
		# Reported here; not again by lib.sh's exit check.
		cp "$T/h$n/log" "$T/h$n/log.san" && : >"$T/h$n/log"
	fi
done

# ---- the figures -----------------------------------------------------------

# One awk over the faults and the probe's log: per-run figures, and per
# fault the outage, the two-MAC time and the holder changes inside
# [its start, the next fault's start).
FIG=$T/figures
awk -v hb="$CHAOS_HB_MS" -v grace="$CHAOS_GRACE_MS" -v run0="$RUN0" \
    -v runend="$RUN_END" -v out="$FIG" '
function ov(a, b, c, d,   lo, hi) {
	lo = a > c ? a : c; hi = b < d ? b : d
	return hi > lo ? hi - lo : 0
}
FNR == 1 { file++ }
file == 1 {
	nf++; fs[nf] = $1; fe[nf] = $2; fk[nf] = $3; fh[nf] = "," $4 ","
	next
}
$1 == "out" { no++; oa[no] = $2; ob[no] = $3 }
$1 == "dual" { nd++; da[nd] = $2; db[nd] = $3 }
$1 == "serve" { ns++; st[ns] = $2; sn[ns] = substr($3, 2) }
$1 == "stats" {
	for (i = 2; i <= NF; i++) { split($i, kv, "="); S[kv[1]] = kv[2] }
}
END {
	dual_healed = 0
	for (j = 1; j <= nd; j++) {
		x = db[j] - da[j]
		for (i = 1; i <= nf; i++)
			if (fk[i] == "partition")
				x -= ov(da[j], db[j], fs[i], fe[i] + hb)
		if (x > 0) dual_healed += x
	}
	# Stable holders: answering for 500 ms or more in a row. A change
	# between two of them is a failover; shorter runs are flaps (the
	# router flipping between two answering hosts).
	fo = 0; ffo = 0; nst = 0; flaps = 0
	for (j = 1; j <= ns; j++) {
		e = j < ns ? st[j + 1] : runend
		if (j > 1) flaps++
		if (e - st[j] < 500) continue
		if (nst > 0 && sn[j] == stab[nst]) continue
		nst++; stab[nst] = sn[j]; stt[nst] = st[j]
	}
	flaps -= nst - 1
	for (j = 2; j <= nst; j++) {
		fo++
		old = "," stab[j - 1] ","
		hurt = 0
		for (i = 1; i <= nf; i++)
			if (index(fh[i], old) && stt[j] >= fs[i] &&
			    stt[j] <= fe[i] + grace)
				hurt = 1
		# Two holders just before: the change ends a conflict that a
		# fault made, it is not a failover of a healthy holder.
		for (i = 1; i <= nd; i++)
			if (ov(da[i], db[i], stt[j] - 1000, stt[j]) > 0)
				hurt = 1
		if (!hurt) { ffo++; falses = falses "," stt[j] - run0 }
		for (i = nf; i >= 1; i--)
			if (fs[i] <= stt[j]) { pfo[i]++; if (!hurt) pff[i]++; break }
	}
	for (i = 1; i <= nf; i++) {
		wend = i < nf ? fs[i + 1] : runend
		for (j = 1; j <= no; j++) pout[i] += ov(oa[j], ob[j], fs[i], wend)
		for (j = 1; j <= nd; j++) pdual[i] += ov(da[j], db[j], fs[i], wend)
		printf "fault %d %d %d %s %s %d %d %d %d\n", i, fs[i] - run0,
		    fe[i] - fs[i], fk[i], substr(fh[i], 2, length(fh[i]) - 2),
		    pout[i], pdual[i], pfo[i], pff[i] > (out ".faults")
	}
	printf "probes=%d ok=%d longest_ms=%d dual_ms=%d dual_healed_ms=%d " \
	    "failovers=%d false_failovers=%d false_at=%s flaps=%d\n", S["probes"],
	    S["ok"], S["longest_ms"], S["dual_ms"], dual_healed, fo, ffo,
	    falses == "" ? "-" : substr(falses, 2), flaps < 0 ? 0 : flaps > out
}' "$FAULTS_LOG" "$PROBE_LOG"
fig() { sed -n "s/.*\\<$1=\\([^ ]*\\).*/\\1/p" "$FIG"; }
PROBES=$(fig probes)
OK=$(fig ok)
LONGEST=$(fig longest_ms)
DUAL=$(fig dual_ms)
DUAL_HEALED=$(fig dual_healed_ms)
FAILOVERS=$(fig failovers)
FALSE_FO=$(fig false_failovers)
FLAPS=$(fig flaps)
AVAIL=$(awk -v o="$OK" -v p="$PROBES" \
    'BEGIN { printf "%.3f", p ? 100 * o / p : 0 }')

# ---- the verdict -----------------------------------------------------------

MISSED=()
awk -v a="$AVAIL" -v m="$CHAOS_MIN_AVAIL" 'BEGIN { exit !(a >= m) }' ||
    MISSED+=("availability $AVAIL % < $CHAOS_MIN_AVAIL %")
[ "$DUAL_HEALED" = 0 ] ||
    MISSED+=("two MACs answered ARP for $DUAL_HEALED ms outside partitions")
[ "$CRASHES" = 0 ] || MISSED+=("$CRASHES crash(es)")
[ "$SAN" = 0 ] || MISSED+=("sanitizer reports from$SAN_HOSTS")

COMMIT=$(git -C "$qn_top_src" rev-parse --short HEAD 2>/dev/null || echo -)
echo
echo "== chaos run: commit $COMMIT, seed $CHAOS_SEED, $CHAOS_SECONDS s," \
    "faults: $CHAOS_FAULTS, holder share $CHAOS_HOLDER_PCT %, qured: $QURED"
printf '%-5s %7s %-10s %-9s %9s %8s %5s %5s\n' '#' at_ms kind hosts \
    outage_ms dual_ms fo false
while read -r _ i at d kind hosts pout pdual pfo pff; do
	printf '%-5s %7s %-10s %-9s %9s %8s %5s %5s\n' "$i" "$at" "$kind" \
	    "$hosts" "$pout" "$pdual" "$pfo" "$pff"
done <"$FIG.faults"
echo
printf '%-40s %s\n' \
    "probes answered" "$OK of $PROBES" \
    "availability (target >= $CHAOS_MIN_AVAIL %)" "$AVAIL %" \
    "longest outage" "$LONGEST ms" \
    "two MACs answering ARP, measured" "$DUAL ms" \
    "  once a partition healed 1 heartbeat" "$DUAL_HEALED ms (target 0)" \
    "failovers" "$FAILOVERS" \
    "false failovers" "$FALSE_FO (at ms: $(fig false_at))" \
    "answering host flaps (< 500 ms)" "$FLAPS" \
    "all agree and hear each other after" "$CONVERGED" \
    "crashes (target 0)" "$CRASHES" \
    "sanitizer reports (target 0)" "$SAN"

jq -n --arg commit "$COMMIT" --argjson seed "$CHAOS_SEED" \
    --argjson seconds "$CHAOS_SECONDS" --arg faults "$CHAOS_FAULTS" \
    --argjson holder_pct "$CHAOS_HOLDER_PCT" \
    --arg qured "$QURED" --argjson probes "${PROBES:-0}" \
    --argjson answered "${OK:-0}" --argjson availability "$AVAIL" \
    --argjson longest "${LONGEST:-0}" --argjson dual "${DUAL:-0}" \
    --argjson dual_healed "${DUAL_HEALED:-0}" \
    --argjson failovers "${FAILOVERS:-0}" --argjson false_fo "${FALSE_FO:-0}" \
    --argjson crashes "$CRASHES" --argjson san "$SAN" \
    --argjson flaps "${FLAPS:-0}" --arg converged "$CONVERGED" \
    --arg missed "$(printf '%s\n' "${MISSED[@]}")" \
    --rawfile sched "$FIG.faults" '{
	commit: $commit, seed: $seed, seconds: $seconds, faults: $faults,
	holder_pct: $holder_pct,
	qured: $qured, probes: $probes, answered: $answered,
	availability_pct: $availability, longest_outage_ms: $longest,
	dual_mac_ms: $dual, dual_mac_after_heal_ms: $dual_healed,
	failovers: $failovers, false_failovers: $false_fo, flaps: $flaps,
	converged: ($converged == "yes"),
	crashes: $crashes, sanitizer_reports: $san,
	targets_met: ($missed == ""),
	missed: ($missed | split("\n") | map(select(. != ""))),
	schedule: ($sched | split("\n") | map(select(. != "") | split(" ") | {
		at_ms: (.[2] | tonumber), duration_ms: (.[3] | tonumber),
		kind: .[4], hosts: .[5], outage_ms: (.[6] | tonumber),
		dual_mac_ms: (.[7] | tonumber), failovers: (.[8] | tonumber),
		false_failovers: (.[9] | tonumber)}))
}' >"$CHAOS_JSON"
# The raw logs next to it, for a post-mortem (which MACs, when).
cp "$PROBE_LOG" "${CHAOS_JSON%.json}.probe.log"
cp "$FAULTS_LOG" "${CHAOS_JSON%.json}.faults.log"
echo "figures: $CHAOS_JSON (raw: ${CHAOS_JSON%.json}.probe.log," \
    "${CHAOS_JSON%.json}.faults.log)"

CHAOS_DONE=1
if [ ${#MISSED[@]} -gt 0 ]; then
	echo
	printf 'chaos: TARGET MISSED: %s\n' "${MISSED[@]}"
	echo "chaos: seed $CHAOS_SEED; the schedule (at_ms kind target" \
	    "duration_ms partition-mask):"
	printf '  %s\n' "${SCHED[@]}"
	chaos_replay_hint
	if [ -s "$T/crashes.log" ]; then
		echo "crashes (ms host exit):"
		sed 's/^/  /' "$T/crashes.log"
	fi
	exit 1
fi
echo "chaos: all targets met"
