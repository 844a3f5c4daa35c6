#!/usr/bin/env bash
# scripts/demo.sh — the README's demo command: installs what is missing,
# builds in build/, and runs the demo.
#
# The demo runs the real daemon: tests/netns/demo.sh starts 3 qured
# instances on a virtual LAN of network namespaces (root needed), shows
# who holds the DMZ address, cuts the holder's link and times the
# failover, restores it, and times a SIGTERM handover; it cleans up.
# `scripts/demo.sh --sim [ARGS]` runs the simulator's demo instead (three
# election cores on a simulated LAN; ARGS are passed to it), and so does
# a run that is not root.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$(pwd)
JOBS=${JOBS:-2}
SIM=tests/sim/qure-sim

bash scripts/deps.sh
if [ ! -x configure ] || [ configure.ac -nt configure ] ||
    [ Makefile.am -nt Makefile.in ]; then
	autoreconf -fi
fi
mkdir -p build
cd build
# Reconfigure when configure is newer than the last run of it.
if [ ! -f Makefile ] || [ ../configure -nt config.status ]; then
	../configure
fi
make -j"$JOBS"
if [ "${1:-}" != --sim ] && [ "$(id -u)" -eq 0 ]; then
	echo
	echo "demo: $ROOT/tests/netns/demo.sh (real qured, network namespaces)"
	QURED=$ROOT/build/src/qured QURECTL=$ROOT/build/src/qurectl \
	    exec timeout --foreground 120 bash "$ROOT/tests/netns/demo.sh"
fi
[ "${1:-}" != --sim ] || shift
[ "$(id -u)" -eq 0 ] ||
	echo "demo: not root: the simulator instead of network namespaces"
# The simulator may be a check program: build it by name.
if ! make -j"$JOBS" "$SIM"; then
	echo "demo: cannot build $SIM (tests/sim/local.mk)" >&2
	exit 1
fi
echo
echo "demo: $ROOT/build/$SIM --demo $*"
echo
exec "./$SIM" --demo "$@"
