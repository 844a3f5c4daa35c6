#!/usr/bin/env bash
# Issue 13 item 3, no false failover: a service that answers 1
# connection in 20 after 120 ms; with
# a client connecting every 10 ms: for NOFALSE_SECS (15) every node names
# the same holder, no failovers counter moves, the client is served
# (tests/netns/nofalse_lib.sh).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/nofalse_lib.sh"

nf_run slow20
