/*
 * election/elect_fd.c — the heartbeat failure detector.
 */
#include "config.h"

#include "election/elect_int.h"

void
elect_fd_init(struct elect_fd *fd, uint32_t heartbeat_ms, uint32_t dead_after,
    uint64_t now_ms)
{
	fd->window_ms = (uint64_t)heartbeat_ms * dead_after;
	fd->last_heard_ms = now_ms;
}

void
elect_fd_heard(struct elect_fd *fd, uint64_t now_ms)
{
	if (now_ms > fd->last_heard_ms)
		fd->last_heard_ms = now_ms;
}

uint64_t
elect_fd_deadline(const struct elect_fd *fd)
{
	return fd->last_heard_ms + fd->window_ms;
}

bool
elect_fd_expired(const struct elect_fd *fd, uint64_t now_ms)
{
	return now_ms >= elect_fd_deadline(fd);
}
