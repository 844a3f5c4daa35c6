/*
 * base/fds.h — what a forked child keeps of the daemon's descriptors.
 */
#ifndef QURE_FDS_H
#define QURE_FDS_H

#include <stddef.h>

#define FDS_KEEP_MAX 16 /* descriptors a child keeps: a handful */

/*
 * Closes every descriptor from 3 up but the n in keep (any order, at
 * most FDS_KEEP_MAX; -1 and those under 3 are ignored). For a child between
 * fork and its work: close_range(2) over the gaps, a handful of system calls
 * whatever the descriptor limit. A loop of close(2) up to sysconf(_SC_OPEN_MAX)
 * costs a call per possible descriptor: 20,000 of them under a raised limit,
 * most of the CPU of a qured's start, 50 of which start at once on a
 * 2-core host (doc/benchmark.md, "Scale").
 */
void fds_close_except(const int *keep, size_t n);

/*
 * The descriptor of ours open on path (a resolved, absolute path, as
 * /proc/self/fd shows it), or -1: through /proc/self/fd, one readlink per
 * open descriptor.
 */
int fds_find_path(const char *path);

#endif
