/*
 * netcfg/packet_pause.c — pausing an AF_PACKET socket instead of closing
 * it.
 *
 * Closing (or re-binding) a bound packet socket waits for an RCU grace
 * period (packet_release() -> synchronize_net()): 16 ms on average here,
 * 28 ms at worst on an idle host, more on a loaded one. Done in the event
 * loop of a new holder (the request watcher goes quiet when the node
 * starts holding) or a resigning one (the ARP defence goes with the
 * address), it stalled the loop past the fence (doc/protocol.md, "The
 * fence"): the new holder's kernel lease lapsed, and a RESIGN waited for
 * the close. A filter that drops everything is swapped in without a
 * grace period, so a socket that comes back is paused, not closed.
 */
#include "config.h"

#include <sys/socket.h>
#include <linux/filter.h>
#include <errno.h>

#include "netcfg/netcfg_int.h"

/* What the socket queued before the filter changed: read and dropped,
 * so that nothing stale is read after a resume. */
static void
drain(int fd)
{
	char buf[256];
	int i;

	for (i = 0; i < 4096; i++)
		if (recv(fd, buf, sizeof(buf), MSG_DONTWAIT | MSG_TRUNC) < 0)
			break;
}

int
netcfg_packet_pause(int fd)
{
	static struct sock_filter drop_all[] = {BPF_STMT(BPF_RET | BPF_K, 0)};
	struct sock_fprog fp = {1, drop_all};

	if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &fp, sizeof(fp)) == -1)
		return -1;
	drain(fd);
	return 0;
}

int
netcfg_packet_resume(int fd, const struct sock_fprog *fp)
{
	int r;

	/* SO_DETACH_FILTER takes no value, but the kernel refuses any
	 * option shorter than an int (EINVAL): without one every resume
	 * failed, and its caller closed and reopened the socket, the grace
	 * period this file exists to avoid (10-19 ms in a new holder's
	 * first step, between its CLAIM and its address). */
	int none = 0;

	if (fp != NULL)
		r = setsockopt(
		    fd, SOL_SOCKET, SO_ATTACH_FILTER, fp, sizeof(*fp));
	else
		r = setsockopt(
		    fd, SOL_SOCKET, SO_DETACH_FILTER, &none, sizeof(none));
	/* Nothing to drain: the drop-all filter queued nothing, and what
	 * came before it was drained by the pause. */
	return r;
}
