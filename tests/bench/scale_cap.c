/*
 * tests/bench/scale_cap.c — counts a LAN's datagrams for tests/bench/scale.
 *
 *   scale_cap BRIDGE PORT...
 *
 * Run in the LAN namespace: a packet socket sees every frame on every
 * port of the bridge. Each frame is taken once, as it enters the bridge
 * from its sender's port (not as it leaves by the others, nor on the
 * bridge device itself). For an IPv4 or IPv6 UDP or TCP datagram to one
 * of the PORTs, one line on stdout:
 *
 *   <ms since the epoch> <port> <type>
 *
 * type: the QuRe message type (doc/protocol.md: byte 5 of a datagram
 * that starts with "QURE"), else 0. "# ready" first, once it captures;
 * runs until SIGTERM, then prints
 * "# dropped <n>" (frames the socket dropped: 0, or the counts are
 * short). stdout is flushed after every line.
 */
#include "config.h"

#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define MAX_PORTS 16

static volatile sig_atomic_t stop;

static void
on_term(int sig)
{
	(void)sig;
	stop = 1;
}

/* When the kernel took the frame (SO_TIMESTAMP), else now: a starved
 * reader would stamp a burst late. */
static uint64_t
stamp_ms(struct msghdr *mh)
{
	struct cmsghdr *cm;
	struct timespec ts;
	struct timeval tv;

	for (cm = CMSG_FIRSTHDR(mh); cm != NULL; cm = CMSG_NXTHDR(mh, cm))
		if (cm->cmsg_level == SOL_SOCKET &&
		    cm->cmsg_type == SCM_TIMESTAMP) {
			memcpy(&tv, CMSG_DATA(cm), sizeof(tv));
			return (uint64_t)tv.tv_sec * 1000 +
			       (uint64_t)tv.tv_usec / 1000;
		}
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* The transport header and its protocol of an IPv4 or IPv6 frame. */
static const uint8_t *
transport(const uint8_t *f, size_t len, size_t *tlen, int *proto)
{
	uint16_t et;
	size_t hl;

	if (len < 14)
		return NULL;
	et = (uint16_t)(f[12] << 8 | f[13]);
	f += 14;
	len -= 14;
	if (et == ETHERTYPE_IP && len >= 20) {
		hl = (size_t)(f[0] & 0x0f) * 4;
		if ((f[6] & 0x3f) != 0 || f[7] != 0 || hl < 20 || len < hl)
			return NULL; /* a fragment but the first: no ports */
		*proto = f[9];
		*tlen = len - hl;
		return f + hl;
	}
	if (et == ETHERTYPE_IPV6 && len >= 40) {
		*proto = f[6]; /* no extension headers on this LAN */
		*tlen = len - 40;
		return f + 40;
	}
	return NULL;
}

int
main(int argc, char **argv)
{
	uint16_t ports[MAX_PORTS];
	unsigned bridge;
	int np = 0, fd, i, one = 1, rcvbuf = 64 << 20;
	struct tpacket_stats st;
	socklen_t stl = sizeof(st);
	struct sigaction sa;

	if (argc < 3 || argc - 2 > MAX_PORTS) {
		fprintf(stderr, "usage: scale_cap BRIDGE PORT...\n");
		return 2;
	}
	bridge = if_nametoindex(argv[1]);
	for (i = 2; i < argc; i++)
		ports[np++] = (uint16_t)atoi(argv[i]);
	fd = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
	if (fd == -1) {
		perror("scale_cap: socket");
		return 1;
	}
	/* A join floods every group datagram out of every port: without
	 * those copies and with room for the burst, nothing is dropped. */
	if (setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one,
		sizeof(one)) == -1)
		perror("scale_cap: PACKET_IGNORE_OUTGOING");
	if (setsockopt(fd, SOL_SOCKET, SO_TIMESTAMP, &one, sizeof(one)) == -1)
		perror("scale_cap: SO_TIMESTAMP");
	if (setsockopt(
		fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) == -1)
		perror("scale_cap: SO_RCVBUFFORCE");
	printf("# ready\n"); /* the script waits for it before it starts */
	fflush(stdout);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_term; /* no SA_RESTART: recvmsg returns */
	sigaction(SIGTERM, &sa, NULL);
	while (!stop) {
		uint8_t f[2048];
		union {
			struct cmsghdr align;
			char buf[CMSG_SPACE(sizeof(struct timeval))];
		} ctl;
		struct sockaddr_ll sll;
		struct iovec iov = {f, sizeof(f)};
		struct msghdr mh = {
		    &sll, sizeof(sll), &iov, 1, ctl.buf, sizeof(ctl.buf), 0};
		const uint8_t *t;
		size_t tlen;
		int proto, k, type = 0;
		uint16_t dport;
		ssize_t n = recvmsg(fd, &mh, 0);

		if (n <= 0)
			continue;
		if (sll.sll_pkttype == PACKET_OUTGOING ||
		    (unsigned)sll.sll_ifindex == bridge)
			continue;
		t = transport(f, (size_t)n, &tlen, &proto);
		if (t == NULL || (proto != 17 && proto != 6) || tlen < 8)
			continue;
		dport = (uint16_t)(t[2] << 8 | t[3]);
		for (k = 0; k < np && ports[k] != dport; k++)
			;
		if (k == np)
			continue;
		if (proto == 17 && tlen >= 8 + 6 &&
		    memcmp(t + 8, "QURE", 4) == 0)
			type = t[8 + 5];
		printf("%llu %u %d\n", (unsigned long long)stamp_ms(&mh), dport,
		    type);
		fflush(stdout);
	}
	memset(&st, 0, sizeof(st));
	(void)getsockopt(fd, SOL_PACKET, PACKET_STATISTICS, &st, &stl);
	printf("# dropped %u\n", st.tp_drops);
	return 0;
}
