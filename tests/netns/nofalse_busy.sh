#!/usr/bin/env bash
# Issue 13 item 3, no false failover: a holder whose CPU is saturated
# by a busy loop on every core; with
# a client connecting every 10 ms: for NOFALSE_SECS (15) every node names
# the same holder, no failovers counter moves, the client is served
# (tests/netns/nofalse_lib.sh).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/nofalse_lib.sh"

nf_run busy
