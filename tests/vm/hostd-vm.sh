#!/usr/bin/env bash
# qure-hostd with the qemu driver keeps 3 appliance VMs up (issue 12 item
# 5, second part; make check-vm runs it after check-vm.sh, on the same
# cached image). In the LAN's namespace: an observer qured on the bridge
# ([node] priority = 0: it never holds), and qure-hostd with one [vm qure]
# section, keep = 3, image = the appliance: each VM an overlay of it, its
# name and the cluster key by fw_cfg, its own tap and MAC ({name},
# {mac}). Checked, with the times printed: all 3 up (heard); one whose
# qemu is killed (-9) is started again; one whose qemu is stopped
# (SIGSTOP: a suspended VM, still running for its hypervisor) is recycled
# after vm-dead-after and up again; SIGTERM stops qure-hostd and leaves
# the VMs running.
set -uo pipefail
NAME=hostd-vm
. "$(dirname "$0")/lib.sh"

top_builddir=${top_builddir:-.}
QURED=${QURED:-$top_builddir/src/qured}
QURECTL=${QURECTL:-$top_builddir/src/qurectl}
HOSTD=${HOSTD:-$top_builddir/vm/qure-hostd}
for b in "$QURED" "$QURECTL" "$HOSTD"; do
	[ -x "$b" ] || fail "no $b: build it (make)"
done
SD=$T/hostd # qure-hostd's state dir: overlays, pidfiles, fragments

vm_cleanup_hook() {
	local f pid
	# qemu -daemonize: no child of ours; by the pids in its pidfiles.
	for f in "$SD"/*.pid; do
		[ -f "$f" ] || continue
		pid=$(cat "$f")
		[ "$(cat "/proc/$pid/comm" 2>/dev/null)" = qemu-system-x86 ] &&
		    kill -CONT "$pid" && kill -KILL "$pid"
	done
	return 0
}

vm_lan t-qure-1 t-qure-2 t-qure-3
mkdir -p -m 700 "$SD" "$T/obs"

# The observer, on the bridge, with the VMs' timing and DMZ address.
cat >"$T/obs/qured.conf" <<EOF
[node]
name = observer
priority = 0
state-dir = $T/obs
control-socket = $T/obs/sock
[cluster]
key-file = $T/cluster.key
interface = br0
$(sed -n '/^heartbeat\|^fence/p' "$T/site.conf")
[dmz]
address = ${DMZ}/24
ports = tcp:22
EOF
chmod 600 "$T/cluster.key"
ip netns exec "$NS" "$QURED" -f -c "$T/obs/qured.conf" >"$T/obs/log" 2>&1 &
PIDS+=($!)

cat >"$T/hostd.conf" <<EOF
[hostd]
socket = $T/hostd.sock
qured-socket = $T/obs/sock
state-dir = $SD
key-file = $T/cluster.key
vm-dead-after = 10s
vm-boot-timeout = ${QURE_VM_BOOT_MS:-300000}ms
command-timeout = 60s
[vm qure]
driver = qemu
image = $IMG/qure.qcow2
conf = $T/site.conf
keep = 3
args = -accel $ACCEL -smp 1 -serial file:$T/{name}.serial -netdev tap,id=n0,ifname=t-{name},script=no,downscript=no -device virtio-net-pci,netdev=n0,mac={mac}
EOF
ip netns exec "$NS" "$HOSTD" -f -c "$T/hostd.conf" >"$T/hostd.log" 2>&1 &
HD=$!
PIDS+=($HD)

vm_field() { # NAME FIELD
	timeout 5 "$QURECTL" -s "$T/hostd.sock" vms --json 2>/dev/null |
	    jq -r --arg n "$1" ".vms[] | select(.name == \$n) | .$2"
}
up() { [ "$(vm_field "$1" state)" = up ]; }
all_up() { up qure-1 && up qure-2 && up qure-3; }
restarted() { [ "$(vm_field "$1" restarts)" -ge 1 ] && up "$1"; }
qemu_pid() { cat "$SD/$1.pid"; }

t=$(now_ms)
wait_for "$BOOT_MS" "qure-hostd's 3 VMs up (their qured heard)" all_up
log "qure-hostd started 3 VMs (qemu, $ACCEL): all up after $(($(now_ms) - t)) ms"
holder_seen() {
	holder=$(timeout 5 "$QURECTL" -s "$T/obs/sock" status --json |
	    jq -r '.holder.name // empty')
	[ -n "$holder" ]
}
wait_for 60000 "the observer sees a holder: $(timeout 5 "$QURECTL" -s "$T/obs/sock" status 2>&1 | head -3 | tr '\n' ' ')" \
    holder_seen
log "the observer sees $holder hold the DMZ address"

t=$(now_ms)
kill -KILL "$(qemu_pid qure-1)"
wait_for "$BOOT_MS" "qure-1 started again after its qemu was killed" \
    restarted qure-1
vm_field qure-1 reason | grep -q "stopped running" ||
    fail "qure-1's reason: $(vm_field qure-1 reason)"
log "kill -9 of qure-1's qemu: started again, up after $(($(now_ms) - t)) ms"

t=$(now_ms)
kill -STOP "$(qemu_pid qure-2)"
wait_for $((BOOT_MS + 30000)) "qure-2 recycled after its qemu was stopped" \
    restarted qure-2
vm_field qure-2 reason | grep -q "not heard for" ||
    fail "qure-2's reason: $(vm_field qure-2 reason)"
log "SIGSTOP of qure-2's qemu: recycled after vm-dead-after, up after" \
    "$(($(now_ms) - t)) ms"

kill -TERM "$HD"
wait "$HD" || fail "qure-hostd exited $? on SIGTERM"
kill -0 "$(qemu_pid qure-3)" || fail "qure-3's qemu went with qure-hostd"
echo "PASS: $NAME: qure-hostd kept 3 VMs up: a killed one started again, a stopped one recycled"
