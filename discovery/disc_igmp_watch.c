/*
 * discovery/disc_igmp_watch.c — the IGMP observer: a raw IPPROTO_IGMP
 * socket on the loop, whose datagrams go through disc_igmp_parse(). The
 * edge only reads, filters by interface and counts.
 *
 * What it can hear (checked on Linux bridges, snooping on):
 * - IGMPv3 reports go to 224.0.0.22, link-local, which bridges always
 *   flood; the socket joins it on the cluster interface.
 * - IGMPv2 reports go to the group itself, joined on the interface by
 *   the transport (disc_udp.c); membership is the interface's, and a raw
 *   socket with IP_MULTICAST_ALL (the default) hears every group joined
 *   there. A snooping bridge with a querier sends them to its router
 *   ports only: then they are not heard, and a hint is only missed.
 */
#include "config.h"

#include "discovery/discovery.h"

#include <sys/socket.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#define IGMP_V3_REPORTS "224.0.0.22" /* RFC 3376 §4.2.14 */
#define IGMP_RX_BURST 64	     /* as DISC_RX_BURST: timers go first */

struct disc_igmp {
	int fd;
	unsigned int ifindex;
	struct in_addr group;
	struct event *ev;
	disc_igmp_cb *cb;
	void *arg;
	struct disc_igmp_stats stats;
	uint8_t buf[2048]; /* IGMP fits; a longer one is cut and malformed */
};

static int
membership(int fd, int op, unsigned int ifindex)
{
	struct ip_mreqn mr;

	memset(&mr, 0, sizeof(mr));
	inet_pton(AF_INET, IGMP_V3_REPORTS, &mr.imr_multiaddr);
	mr.imr_ifindex = (int)ifindex;
	return setsockopt(fd, IPPROTO_IP, op, &mr, sizeof(mr));
}

static unsigned int
arrival_if(struct msghdr *msg)
{
	struct cmsghdr *c;
	struct in_pktinfo pi;

	for (c = CMSG_FIRSTHDR(msg); c != NULL; c = CMSG_NXTHDR(msg, c))
		if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			return (unsigned int)pi.ipi_ifindex;
		}
	return 0;
}

/* One datagram: 1 read, 0 none left, -1 error. */
static int
read_one(struct disc_igmp *w)
{
	struct iovec iov = {.iov_base = w->buf, .iov_len = sizeof(w->buf)};
	union {
		struct cmsghdr align;
		uint8_t b[CMSG_SPACE(sizeof(struct in_pktinfo))];
	} cbuf;
	struct msghdr msg;
	struct disc_igmp_report r;
	unsigned int ifindex;
	ssize_t n;

	memset(&msg, 0, sizeof(msg));
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = cbuf.b;
	msg.msg_controllen = sizeof(cbuf.b);
	n = recvmsg(w->fd, &msg, 0);
	if (n == -1)
		return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR
			   ? 0
			   : -1;
	w->stats.rx++;
	ifindex = arrival_if(&msg);
	if (ifindex != 0 && ifindex != w->ifindex) {
		w->stats.other_if++;
		return 1;
	}
	switch (disc_igmp_parse(w->buf, (size_t)n, w->group, &r)) {
	case DISC_IGMP_JOIN:
		w->stats.joins++;
		w->cb(w->arg, &r);
		break;
	case DISC_IGMP_MALFORMED:
		w->stats.malformed++;
		break;
	case DISC_IGMP_LEAVE:
	case DISC_IGMP_OTHER:
		break;
	}
	return 1;
}

static void
read_cb(evutil_socket_t fd, short what, void *arg)
{
	int i;

	(void)fd;
	(void)what;
	for (i = 0; i < IGMP_RX_BURST; i++)
		if (read_one(arg) <= 0)
			break;
}

struct disc_igmp *
disc_igmp_new(struct event_base *base, unsigned int ifindex,
    struct in_addr group, disc_igmp_cb *cb, void *arg, char *err, size_t errlen)
{
	struct disc_igmp *w = calloc(1, sizeof(*w));
	int one = 1;

	if (w == NULL) {
		snprintf(err, errlen, "discovery: igmp: out of memory");
		return NULL;
	}

	w->ifindex = ifindex;
	w->group = group;
	w->cb = cb;
	w->arg = arg;
	w->fd = socket(
	    AF_INET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_IGMP);
	if (w->fd == -1) {
		snprintf(
		    err, errlen, "discovery: igmp socket: %s", strerror(errno));
		goto fail;
	}
	if (setsockopt(w->fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one)) ==
		-1 ||
	    membership(w->fd, IP_ADD_MEMBERSHIP, ifindex) == -1) {
		snprintf(err, errlen, "discovery: igmp socket: join %s: %s",
		    IGMP_V3_REPORTS, strerror(errno));
		goto fail;
	}
	w->ev = event_new(base, w->fd, EV_READ | EV_PERSIST, read_cb, w);
	if (w->ev == NULL || event_add(w->ev, NULL) == -1) {
		snprintf(err, errlen, "discovery: igmp socket: event_add");
		goto fail;
	}
	return w;
fail:
	disc_igmp_free(w);
	return NULL;
}

int
disc_igmp_set_ifindex(
    struct disc_igmp *w, unsigned int ifindex, char *err, size_t errlen)
{
	if (ifindex == w->ifindex)
		return 0;
	(void)membership(w->fd, IP_DROP_MEMBERSHIP, w->ifindex);
	if (membership(w->fd, IP_ADD_MEMBERSHIP, ifindex) == -1) {
		snprintf(err, errlen, "discovery: igmp socket: join %s: %s",
		    IGMP_V3_REPORTS, strerror(errno));
		return -1;
	}
	w->ifindex = ifindex;
	return 0;
}

void
disc_igmp_get_stats(const struct disc_igmp *w, struct disc_igmp_stats *out)
{
	*out = w->stats;
}

void
disc_igmp_free(struct disc_igmp *w)
{
	if (w == NULL)
		return;
	if (w->ev != NULL)
		event_free(w->ev);
	if (w->fd != -1)
		close(w->fd);
	free(w);
}
