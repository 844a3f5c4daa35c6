#!/usr/bin/env bash
# tests/netns/hostd_fakevm.sh OP NAME NS CONF DIR — a "VM" for
# tests/netns/hostd.sh's qure-hostd: its qured (QURED) in network
# namespace NS with config CONF, in a session of its own (its pid, the
# session's, in DIR/NAME.vmpid). OP start: started (exit 0 at once, as
# vmrun's start returns once the VM powers on); stop: the whole session
# killed (a hard power-off: qured and its guard at once); status: exit 0
# while it runs (a stopped one runs too, as a suspended VM does), 1 when
# not. Also vmrun's stand-in: run as `vmrun -T player start|stop|list
# ...`, it logs its arguments to $VMRUN_LOG and reads NS, CONF and DIR
# from the .vmx it is given (lines NAME=, NS=, CONF=, DIR=).
set -u

fake() {
	local op=$1 name=$2 ns=$3 conf=$4 dir=$5 pid
	local pidf=$dir/$name.vmpid
	case $op in
	start)
		setsid ip netns exec "$ns" "$QURED" -f -c "$conf" \
		    </dev/null >>"$dir/$name.vmlog" 2>&1 &
		echo $! >"$pidf"
		;;
	stop)
		pid=$(cat "$pidf" 2>/dev/null) || exit 0
		kill -KILL -- "-$pid" 2>/dev/null
		rm -f "$pidf"
		;;
	status)
		pid=$(cat "$pidf" 2>/dev/null) || exit 1
		kill -0 "$pid" 2>/dev/null || exit 1
		;;
	*) echo "hostd_fakevm: unknown op $op" >&2; exit 2 ;;
	esac
	exit 0
}

vmx_get() { sed -n "s/^$1=//p" "$2"; }

if [ "$(basename "$0")" = vmrun ]; then
	echo "$*" >>"${VMRUN_LOG:?}"
	[ "${1:-}" = -T ] && [ "${2:-}" = player ] || {
		echo "Error: expected -T player" >&2
		exit 255
	}
	case ${3:-} in
	start | stop)
		vmx=$4
		[ -f "$vmx" ] || { echo "Error: cannot open $vmx" >&2; exit 255; }
		(fake "$3" "$(vmx_get NAME "$vmx")" "$(vmx_get NS "$vmx")" \
		    "$(vmx_get CONF "$vmx")" "$(vmx_get DIR "$vmx")")
		;;
	list)
		running=()
		for vmx in $VMRUN_VMXS; do
			(fake status "$(vmx_get NAME "$vmx")" x x \
			    "$(vmx_get DIR "$vmx")") && running+=("$vmx")
		done
		echo "Total running VMs: ${#running[@]}"
		for vmx in "${running[@]}"; do echo "$vmx"; done
		;;
	*) echo "Error: unknown command ${3:-}" >&2; exit 255 ;;
	esac
	exit $?
fi
fake "$@"
