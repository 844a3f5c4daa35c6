#!/usr/bin/env bash
# qure-hostd (issue 12 item 3, qure-hostd(8)) on the netns LAN, with
# "VMs" that are qured processes in host namespaces, each in a session of
# its own (tests/netns/hostd_fakevm.sh): h1 runs the local observer
# (priority 0); qure-hostd keeps h2 and h3 (driver command) and h4
# (driver vmrun, a stand-in vmrun on PATH) running, plus a VM whose start
# always fails and one whose start hangs. Checked:
#  - it starts them and they elect a holder; `qurectl vms` (text, JSON);
#  - h3 sends no ALIVEs: not recycled between its HELLOs (10 s apart,
#    vm-dead-after 3 s), and qure-hostd says why once;
#  - h3 killed whole (its VM powered off): started again, reason said;
#  - h2 stopped (SIGSTOP of its session: a suspended VM still "runs"):
#    recycled after vm-dead-after, and up again;
#  - h4 suspended the same way: the vmrun driver recycles it, and the
#    stand-in saw exactly the documented commands (vmrun -T player
#    start VMX nogui, vmrun -T player stop VMX hard, vmrun -T player list);
#  - the broken VM and the hanging one are FAILED after max-restarts,
#    with their reasons (the hang killed at command-timeout);
#  - a VM whose status command never answers: logged once, not every tick;
#  - [site] reaches the VMs' qured (qurectl config get);
#  - qure-hostd -t refuses a bad config with file:line; SIGTERM stops it
#    and leaves the VMs running.
. "$(dirname "$0")/lib.sh"

HOSTD=${HOSTD:-$qn_top_build/vm/qure-hostd}
[ -x "$HOSTD" ] || qn_fail "no $HOSTD: build it (make)"
FAKEVM=$qn_top_src/tests/netns/hostd_fakevm.sh

HD_PID=
hd_cleanup() {
	local rc=$? f
	[ -z "$HD_PID" ] || kill -KILL "$HD_PID" 2>/dev/null
	for f in "$T"/vms/*.vmpid; do
		[ -f "$f" ] || continue
		kill -CONT -- "-$(cat "$f")" 2>/dev/null
		kill -KILL -- "-$(cat "$f")" 2>/dev/null
	done
	qn_cleanup "$rc"
}
trap hd_cleanup EXIT

qn_setup 4
mkdir -p "$T/vms" "$T/bin" "$T/hostd"
ln -s "$FAKEVM" "$T/bin/vmrun"

# A VM's qured.conf, as qn_start_host writes one (not started here).
vm_conf() {
	local n=$1 d=$T/h$1
	mkdir -p -m 700 "$d/state"
	printf '[node]\nname = h%s\nstate-dir = %s\ncontrol-socket = %s\n' \
	    "$n" "$d/state" "$d/sock"
	printf '[cluster]\nkey-file = %s\ninterface = eth0\n' "$T/key"
	printf 'alive-interval = 100ms\n[dmz]\naddress = %s/24\n' "$QN_DMZ"
}
for n in 2 3 4; do
	vm_conf "$n" >"$T/h$n/qured.conf"
done
# h3 sends no ALIVEs: heard only by its HELLOs, every 10 s (the default
# hello-interval), while vm-dead-after is 3 s; priority 50 keeps it a
# standby (a holder's heartbeats would be heard).
sed -i -e 's/^alive-interval = .*/alive-interval = 0/' \
    -e 's/^\[node\]$/[node]\npriority = 50/' "$T/h3/qured.conf"
VMX=$T/vms/h4.vmx
printf 'NAME=h4\nNS=%s\nCONF=%s\nDIR=%s\n' "$(qn_ns 4)" "$T/h4/qured.conf" \
    "$T/vms" >"$VMX"

qn_start_host 1 "[node]" "priority = 0" "[cluster]" "alive-interval = 100ms"
cmd() { # N: the command driver's three lines for host N
	local a="$(qn_ns "$1") $T/h$1/qured.conf $T/vms"
	printf 'start = %s start {name} %s\nstop = %s stop {name} %s\n' \
	    "$FAKEVM" "$a" "$FAKEVM" "$a"
	printf 'status = %s status {name} %s\n' "$FAKEVM" "$a"
}
cat >"$T/hostd.conf" <<EOF
[hostd]
socket = $T/hostd.sock
qured-socket = $T/h1/sock
state-dir = $T/hostd
vm-dead-after = 3s
vm-boot-timeout = 30s
command-timeout = 2s
max-restarts = 2
backoff-max = 2s
[vm h2]
driver = command
$(cmd 2)
[vm h3]
driver = command
$(cmd 3)
[vm h4]
driver = vmrun
vmx = $VMX
[vm broken]
driver = command
start = /bin/false
stop = /bin/true
status = /bin/false
[vm hang]
driver = command
start = /bin/sleep 600
stop = /bin/true
status = /bin/false
[vm mute]
driver = command
start = /bin/true
stop = /bin/true
status = /bin/ls $T/absent
[site]
app.greeting = from the host
EOF
"$HOSTD" -t -c "$T/hostd.conf" >/dev/null || qn_fail "hostd -t: $("$HOSTD" -t -c "$T/hostd.conf" 2>&1)"
printf '[vm x]\ndriver = vmware\n' >"$T/bad.conf"
rc=0
"$HOSTD" -t -c "$T/bad.conf" 2>"$T/err" || rc=$?
[ "$rc" = 1 ] && grep -q "bad.conf:2: \[vm x\] driver: 'vmware'" "$T/err" ||
    qn_fail "a bad config: exit $rc: $(cat "$T/err")"

export VMRUN_LOG=$T/vmrun.log VMRUN_VMXS=$VMX QURED
PATH=$T/bin:$PATH "$HOSTD" -f -c "$T/hostd.conf" >"$T/hostd.log" 2>&1 &
HD_PID=$!
vms() { timeout 5 "$QURECTL" -s "$T/hostd.sock" vms "$@"; }
vm_field() { # NAME FIELD
	vms --json 2>/dev/null | jq -r --arg n "$1" \
	    ".vms[] | select(.name == \$n) | .$2"
}
state_is() { [ "$(vm_field "$1" state)" = "$2" ]; }
all_up() { state_is h2 up && state_is h3 up && state_is h4 up; }

t0=$(qn_now_ms)
qn_wait_for 30000 all_up
qn_log "qure-hostd started h2, h3, h4: up in $(($(qn_now_ms) - t0)) ms"
qn_elected 10000
vms | grep -qE '^h2 +command +up +yes' ||
    qn_fail "qurectl vms (text): $(vms)"

# h3, without ALIVEs, is not recycled while the cluster lists it: silent
# for more than vm-dead-after (3 s) between its HELLOs, still up, and
# qure-hostd said why once.
h3_age() {
	timeout 5 "$QURECTL" -s "$T/h1/sock" members --json 2>/dev/null |
	    jq -r '.members[] | select(.name == "h3") | .last_seen_ms'
}
h3_silent() { [ "$(h3_age)" -ge 4500 ] 2>/dev/null; }
qn_wait_for 15000 h3_silent
state_is h3 up && [ "$(vm_field h3 restarts)" = 0 ] ||
    qn_fail "h3 (no ALIVEs, silent $(h3_age) ms) was recycled: $(vm_field h3 reason)"
n=$(grep -c "h3: its qured sends no ALIVEs" "$T/hostd.log")
[ "$n" = 1 ] || qn_fail "h3's lack of ALIVEs said $n times"
qn_log "h3 (no ALIVEs) silent $(h3_age) ms between HELLOs: still up"

# [site] through the observer, to the VMs.
site_there() {
	[ "$(timeout 5 "$QURECTL" -s "$T/h2/sock" config get app.greeting)" = \
	    "from the host" ]
}
qn_wait_for 10000 site_there
qn_log "[site] app.greeting reached h2"

# h3 powered off: started again.
r0=$(vm_field h3 restarts)
"$FAKEVM" stop h3 x x "$T/vms"
t0=$(qn_now_ms)
restarted() { [ "$(vm_field "$1" restarts)" -gt "$2" ] && state_is "$1" up; }
qn_wait_for 20000 restarted h3 "$r0"
vm_field h3 reason | grep -q "stopped running" ||
    qn_fail "h3's reason: $(vm_field h3 reason)"
qn_log "h3 powered off: up again in $(($(qn_now_ms) - t0)) ms"

# h2 suspended: recycled after vm-dead-after (3 s).
r0=$(vm_field h2 restarts)
kill -STOP -- "-$(cat "$T/vms/h2.vmpid")"
t0=$(qn_now_ms)
qn_wait_for 25000 restarted h2 "$r0"
vm_field h2 reason | grep -q "not heard for" ||
    qn_fail "h2's reason: $(vm_field h2 reason)"
qn_log "h2 suspended: recycled and up again in $(($(qn_now_ms) - t0)) ms"

# h4 suspended: recycled through vmrun.
r0=$(vm_field h4 restarts)
kill -STOP -- "-$(cat "$T/vms/h4.vmpid")"
qn_wait_for 25000 restarted h4 "$r0"
grep -qx -- "-T player stop $VMX hard" "$VMRUN_LOG" ||
    qn_fail "no hard stop through vmrun: $(sort -u "$VMRUN_LOG")"
grep -qx -- "-T player start $VMX nogui" "$VMRUN_LOG" ||
    qn_fail "no start through vmrun: $(sort -u "$VMRUN_LOG")"
grep -qx -- "-T player list" "$VMRUN_LOG" ||
    qn_fail "no list through vmrun: $(sort -u "$VMRUN_LOG")"
other=$(grep -vx -e "-T player stop $VMX hard" -e "-T player start $VMX nogui" \
    -e "-T player list" "$VMRUN_LOG" | head -3)
[ -z "$other" ] || qn_fail "vmrun was run otherwise: $other"
qn_log "h4 (vmrun) suspended: recycled; vmrun saw only the documented" \
    "commands ($(sort -u "$VMRUN_LOG" | wc -l) kinds, $(wc -l <"$VMRUN_LOG") calls)"

# The broken and the hanging VM: given up, each with its reason.
qn_wait_for 60000 state_is broken failed
vm_field broken reason | grep -q "failed: start failed: exit 1" ||
    qn_fail "broken's reason: $(vm_field broken reason)"
qn_wait_for 60000 state_is hang failed
vm_field hang reason | grep -q "timed out after 2000 ms" ||
    qn_fail "hang's reason: $(vm_field hang reason)"
qn_log "the broken VM and the hanging one: failed after 3 tries each"

# mute's status never answers (ls exits 2), every tick since the start:
# logged once, and `vms` has the reason.
n=$(grep -c "mute: status failed" "$T/hostd.log")
[ "$n" = 1 ] || qn_fail "mute's failing status logged $n times"
vm_field mute last_error | grep -q "status: exit 2" ||
    qn_fail "mute's last_error: $(vm_field mute last_error)"
qn_log "a status command that never answers: logged once, last_error in vms"

# SIGTERM: qure-hostd goes, the VMs stay.
kill -TERM "$HD_PID"
wait "$HD_PID" || qn_fail "qure-hostd exited $? on SIGTERM"
HD_PID=
"$FAKEVM" status h3 x x "$T/vms" || qn_fail "h3 went with qure-hostd"
qn_summary
