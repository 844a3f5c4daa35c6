/*
 * netcfg/watch.h — private to netcfg/ and its tests: the classic BPF
 * program of the mirrored-request watcher, built at run time from the
 * watched ports (pure, no I/O), and a small interpreter of the
 * instructions it uses, so tests and the fuzz target can check that the
 * kernel filter passes every frame netcfg_watch_classify() accepts.
 *
 * Why a generated program: the ports are configurable, and on a busy
 * service most frames to the DMZ address are data of established
 * connections. Filtering address, protocol, TCP flags and ports in the
 * kernel means a standby copies and wakes up only for connection starts
 * and their answers; the classifier then runs again on what passes.
 */
#ifndef QURE_NETCFG_WATCH_H
#define QURE_NETCFG_WATCH_H

#include <linux/filter.h>
#include <stddef.h>
#include <stdint.h>

#include "netcfg/netcfg.h"

/* Longest program: a fixed part plus a compare per port and direction. */
#define NETCFG_WATCH_BPF_MAX (112 + 2 * NETCFG_WATCH_MAX_PORTS)
/* Bytes of a passing frame the kernel copies: Ethernet (14), IPv4 with
 * options (at most 60; IPv6: 40), TCP up to its flags (14), rounded up. */
#define NETCFG_WATCH_SNAP 96

/*
 * Writes the filter for conf (dmz, ports, mac) to prog, at most max
 * instructions. Passing frames return NETCFG_WATCH_SNAP, others 0.
 * Returns the instruction count, or 0 if max is too small.
 */
size_t netcfg_watch_bpf(
    const struct netcfg_watch_conf *conf, struct sock_filter *prog, size_t max);

/*
 * Runs prog over pkt the way the kernel does for an untagged frame
 * received for another host (no VLAN tag, PACKET_OTHERHOST): a load past
 * the end returns 0. Returns the program's result, or -1 for an
 * instruction the generator never emits or a jump out of the program.
 */
long netcfg_watch_bpf_run(
    const struct sock_filter *prog, size_t n, const uint8_t *pkt, size_t len);

#endif
