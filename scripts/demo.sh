#!/usr/bin/env bash
# scripts/demo.sh — the README's demo command: installs what is missing,
# builds in build/, and runs the demo.
#
# For now the demo is the simulator: three election cores on a simulated
# LAN print their timeline (election, the holder crashes, failover, with
# timings). Arguments are passed to the simulator.
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
# The simulator may be a check program: build it by name.
if ! make -j"$JOBS" "$SIM"; then
	echo "demo: cannot build $SIM (tests/sim/local.mk)" >&2
	exit 1
fi
echo
echo "demo: $ROOT/build/$SIM --demo $*"
echo
exec "./$SIM" --demo "$@"
