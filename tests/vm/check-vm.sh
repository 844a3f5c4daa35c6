#!/usr/bin/env bash
# make check-vm (issue 12 item 5): the appliance, booted.
#
# The image (vm/build-image) is built once per content of its inputs (the
# sources it installs and vm/), cached in $QURE_VM_CACHE (default
# /var/cache/qure-vm/HASH; the two newest are kept). Then, in a network
# namespace of its own: a bridge (the home LAN), dnsmasq as the router's
# DHCP server, and 3 VMs under qemu (TCG: /dev/kvm here cannot boot a
# Debian guest, vm/README.md; QURE_VM_ACCEL=kvm to try it), each on its
# own qcow2 overlay, the cluster key and a qured.conf fragment ([dmz]
# address, ports = tcp:22, the SSH server as the service) through fw_cfg
# for vm1 and vm2, and for vm3 on a small vfat disk labelled QURECFG (as
# cloud-init's NoCloud volume), made with mtools without a mount.
# Checked, with the times printed:
#  - the clones differ: machine-ids (their hostnames), SSH host keys
#    (ssh-keyscan) and qured node ids (their logs);
#  - they elect one holder: one MAC answers ARP for the DMZ address, and a
#    TCP client from the router's side gets the SSH banner there;
#  - kill -9 of the holder's qemu (its VM terminated): another VM answers;
#  - SIGSTOP of the new holder's qemu (its VM suspended): the third
#    answers; on SIGCONT the resumed VM yields: only the third answers.
# Everything it made goes on exit (VMs by pid, dnsmasq, the namespace).
set -uo pipefail
NAME=check-vm
. "$(dirname "$0")/lib.sh"

MACS=()
for i in 1 2 3; do
	MACS[i]=52:54:00:66:00:1$i
done
vm_lan tap1 tap2 tap3 -- --dhcp-host="${MACS[1]},${NET}11" \
    --dhcp-host="${MACS[2]},${NET}12" --dhcp-host="${MACS[3]},${NET}13"

command -v mkfs.vfat >/dev/null && command -v mcopy >/dev/null ||
    skip "mkfs.vfat or mcopy not found: apt-get install dosfstools mtools"
mkfs.vfat -C -n QURECFG "$T/qurecfg.img" 1440 >/dev/null ||
    fail "mkfs.vfat of the QURECFG volume"
mcopy -i "$T/qurecfg.img" "$T/cluster.key" ::cluster.key &&
    mcopy -i "$T/qurecfg.img" "$T/site.conf" ::qured.conf ||
    fail "mcopy to the QURECFG volume"

declare -A QPID
start_vm() {
	local i=$1 settings
	qemu-img create -q -f qcow2 -b "$IMG/qure.qcow2" -F qcow2 "$T/vm$i.qcow2"
	if [ "$i" = 3 ]; then
		settings=(-drive "file=$T/qurecfg.img,format=raw,if=virtio,readonly=on")
	else
		settings=(-fw_cfg "name=opt/qure/cluster.key,file=$T/cluster.key"
		    -fw_cfg "name=opt/qure/qured.conf,file=$T/site.conf")
	fi
	ip netns exec "$NS" qemu-system-x86_64 -accel "$ACCEL" -smp 1 -m 512 \
	    -machine q35 -nodefaults -display none -monitor none \
	    -serial "file:$T/vm$i.serial" \
	    -drive "file=$T/vm$i.qcow2,format=qcow2,if=virtio" \
	    -netdev "tap,id=n0,ifname=tap$i,script=no,downscript=no" \
	    -device "virtio-net-pci,netdev=n0,mac=${MACS[i]}" \
	    "${settings[@]}" >"$T/vm$i.qemu" 2>&1 &
	QPID[$i]=$!
	PIDS+=($!)
}
# serial N PATTERN: VM N's console has a line matching PATTERN.
serial() { tr -d '\r' 2>/dev/null <"$T/vm$1.serial" | grep -qE "$2"; }
all_joined() {
	local i
	for i in 1 2 3; do
		serial "$i" 'cluster: .*\(node id [0-9a-f]{32}\)' || return 1
	done
}

t_boot=$(now_ms)
for i in 1 2 3; do start_vm "$i"; done
log "3 VMs started ($ACCEL, 1 vCPU, 512 MiB each) on ${NET}0/24, DMZ $DMZ"
wait_for "$BOOT_MS" "qured started in all 3 VMs" all_joined
log "qured running in all 3 VMs $(($(now_ms) - t_boot)) ms after power-on"
serial 1 'qure-vmconfig: cluster key from fw_cfg opt/qure/cluster.key' ||
    fail "vm1's key did not come from fw_cfg"
serial 3 'qure-vmconfig: cluster key from QURECFG /dev/vd[a-z] cluster.key' ||
    fail "vm3's key did not come from its QURECFG volume"
serial 3 'qure-vmconfig: qured.conf: .* with the fragment from QURECFG' ||
    fail "vm3's fragment did not come from its QURECFG volume"
log "vm1 and vm2 configured by fw_cfg, vm3 by its QURECFG volume"

# ---- who answers ARP for the DMZ address ----
# holders: the VM numbers whose MAC answered, sorted, space-separated.
holders() {
	ip netns exec "$NS" arping -c 2 -w 1 -I br0 "$DMZ" 2>/dev/null |
	    grep -oiE '\[[0-9a-f:]{17}\]' | tr -d '[]' | tr 'A-F' 'a-f' |
	    sort -u | while read -r mac; do
		for i in 1 2 3; do
			[ "$mac" != "${MACS[i]}" ] || echo "$i"
		done
	done | sort | tr '\n' ' ' | sed 's/ $//'
}
one_holder() {
	H=$(holders)
	[ -n "$H" ] && [ "$(wc -w <<<"$H")" = 1 ]
}
holder_is_not() { one_holder && [ "$H" != "$1" ]; }
holder_is() { one_holder && [ "$H" = "$1" ]; }
banner() {
	ip netns exec "$NS" timeout 5 bash -c \
	    "exec 3<>/dev/tcp/$DMZ/22 && head -c 8 <&3" 2>/dev/null |
	    grep -q '^SSH-2.0-'
}

t=$(now_ms)
wait_for 60000 "one holder answers ARP for $DMZ" one_holder
first=$H
log "one holder: vm$first ($(($(now_ms) - t)) ms after qured ran everywhere)"
wait_for 60000 "the SSH banner at $DMZ:22 from the router's side" banner
log "a TCP client from the router's side reaches the service at $DMZ:22"
# qured's helpers drop their capabilities under the unit's seccomp
# filter too (it allows capset: dist/qured.service.in).
for i in 1 2 3; do
	! serial "$i" 'keeps its capabilities' ||
	    fail "vm$i: a helper kept its capabilities: $(tr -d '\r' <"$T/vm$i.serial" | grep 'keeps its capabilities' | head -2)"
done

# ---- the clones differ ----
ids=$(for i in 1 2 3; do tr -d '\r' <"$T/vm$i.serial" |
    grep -oE 'node id [0-9a-f]{32}' | head -1; done | sort -u | wc -l)
[ "$ids" = 3 ] || fail "node ids not distinct: $(grep -h 'node id' "$T"/vm*.serial)"
names=$(for i in 1 2 3; do tr -d '\r' <"$T/vm$i.serial" |
    grep -oE 'qure-vmconfig: hostname qure-[0-9a-f]{6}' | head -1; done |
    sort -u | wc -l)
[ "$names" = 3 ] || fail "machine-ids not distinct (their hostnames): $(grep -h 'qure-vmconfig: hostname' "$T"/vm*.serial)"
hostkey() { # N: VM N's SSH host key into $T/hostkey.N
	ip netns exec "$NS" ssh-keyscan -T 5 -t ed25519 "${NET}1$1" 2>/dev/null |
	    awk '{print $3}' >"$T/hostkey.$1"
	[ -s "$T/hostkey.$1" ]
}
for i in 1 2 3; do
	wait_for 60000 "vm$i's SSH host key (ssh-keyscan)" hostkey "$i"
done
keys=$(sort -u "$T"/hostkey.* | grep -c .)
[ "$keys" = 3 ] || fail "SSH host keys not distinct ($keys of 3)"
log "the 3 clones differ: node ids, machine-ids, SSH host keys"

# ---- the holder's VM terminated: kill -9 of its qemu ----
t=$(now_ms)
kill -KILL "${QPID[$first]}"
wait_for 30000 "another VM answers for $DMZ after vm$first was killed" \
    holder_is_not "$first"
second=$H
log "kill -9 of vm$first's qemu: vm$second answers for the DMZ address" \
    "after $(($(now_ms) - t)) ms"
wait_for 30000 "the SSH banner from vm$second" banner

# ---- the new holder's VM suspended: SIGSTOP, then SIGCONT ----
third=
for i in 1 2 3; do
	[ "$i" = "$first" ] || [ "$i" = "$second" ] || third=$i
done
t=$(now_ms)
kill -STOP "${QPID[$second]}"
wait_for 30000 "vm$third answers after vm$second was suspended" \
    holder_is "$third"
log "SIGSTOP of vm$second's qemu: vm$third answers after $(($(now_ms) - t)) ms"
kill -CONT "${QPID[$second]}"
t=$(now_ms)
# The resumed VM must yield: it learns of the higher epoch (its fence
# lapsed while stopped) and drops the address; only vm$third answers.
yielded() {
	serial "$second" 'holder -> (standby|candidate)|resign|dropp' &&
	    holder_is "$third"
}
wait_for 30000 "the resumed vm$second yields to vm$third" yielded
sleep 2
holder_is "$third" || fail "after the resume, ARP answers from: vm${H// /, vm}"
log "SIGCONT: the resumed vm$second yielded within $(($(now_ms) - t)) ms;" \
    "only vm$third answers"
echo "PASS: $NAME: image, 3 VMs, one holder, the service reached, kill -9 and SIGSTOP/SIGCONT handled, clones distinct"
