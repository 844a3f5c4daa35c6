/*
 * tests/netns/igmp_tool.c — the other side of the IGMP observer, for
 * tests/netns/igmp.sh.
 *
 *   igmp_tool join IF GROUP PORT MS
 *	joins GROUP on IF (the kernel sends the membership reports) with a
 *	UDP socket bound to PORT, and listens MS milliseconds for cluster
 *	HELLOs (magic "QURE", type 1); prints "ready", then one line per
 *	HELLO ("hello from 10.1.2.11 after 3 ms"), then "hellos N".
 *   igmp_tool flood IF GROUP SRC RATE MS [spoof] [v2]
 *	sends IGMPv3 membership reports (TO_EXCLUDE {}, to 224.0.0.22) of
 *	GROUP out of IF from SRC (spoof: from SRC's /24, .30 to .199,
 *	another source each; v2: IGMPv2 reports to GROUP), RATE a second for MS
 *	milliseconds, and listens on UDP 5182 meanwhile; prints "sent N
 *	hellos M".
 *
 * Exit 0 on success, 1 on failure, 2 on usage.
 */
#include "config.h"

#include <sys/socket.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int
usage(void)
{
	fprintf(stderr, "usage: igmp_tool join IF GROUP PORT MS\n"
			"       igmp_tool flood IF GROUP SRC RATE MS [spoof] "
			"[v2]\n");
	return 2;
}

static int
udp_on(uint16_t port)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);

	a.sin_port = htons(port);
	if (fd == -1 || bind(fd, (struct sockaddr *)&a, sizeof(a)) == -1) {
		perror("igmp_tool: udp");
		exit(1);
	}
	return fd;
}

/* Reads what is queued; counts cluster HELLOs, says each if verbose. */
static unsigned
drain(int fd, uint64_t t0, int verbose)
{
	uint8_t b[2048];
	struct sockaddr_in from;
	socklen_t fl;
	char ip[INET_ADDRSTRLEN];
	ssize_t n;
	unsigned hellos = 0;

	for (;;) {
		fl = sizeof(from);
		n = recvfrom(
		    fd, b, sizeof(b), 0, (struct sockaddr *)&from, &fl);
		if (n == -1)
			return hellos;
		if (n < 6 || memcmp(b, "QURE", 4) != 0 || b[5] != 1)
			continue;
		hellos++;
		if (verbose) {
			inet_ntop(AF_INET, &from.sin_addr, ip, sizeof(ip));
			printf("hello from %s after %llu ms\n", ip,
			    (unsigned long long)(now_ms() - t0));
			fflush(stdout);
		}
	}
}

static int
cmd_join(char **argv)
{
	struct ip_mreqn mr;
	struct pollfd p;
	uint64_t t0, end;
	unsigned hellos = 0;
	int fd = udp_on((uint16_t)atoi(argv[2]));

	memset(&mr, 0, sizeof(mr));
	mr.imr_ifindex = (int)if_nametoindex(argv[0]);
	if (inet_pton(AF_INET, argv[1], &mr.imr_multiaddr) != 1 ||
	    mr.imr_ifindex == 0)
		return usage();
	printf("ready\n");
	fflush(stdout);
	t0 = now_ms();
	if (setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mr, sizeof(mr)) ==
	    -1) {
		perror("igmp_tool: join");
		return 1;
	}
	end = t0 + (uint64_t)atoi(argv[3]);
	p.fd = fd;
	p.events = POLLIN;
	while (now_ms() < end) {
		if (poll(&p, 1, (int)(end - now_ms())) > 0)
			hellos += drain(fd, t0, 1);
	}
	printf("hellos %u\n", hellos);
	return 0;
}

static uint16_t
csum(const uint8_t *p, size_t len)
{
	uint32_t s = 0;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

/* An IPv4 header with Router Alert (24 bytes), then the report. */
static size_t
report(uint8_t *b, struct in_addr src, struct in_addr group, int v2)
{
	size_t ilen = v2 ? 8 : 16;
	struct in_addr dst;
	uint16_t c;

	memset(b, 0, 24 + ilen);
	b[0] = 0x46;
	b[2] = (uint8_t)((24 + ilen) >> 8);
	b[3] = (uint8_t)(24 + ilen);
	b[8] = 1; /* TTL: IGMP is never routed */
	b[9] = IPPROTO_IGMP;
	memcpy(b + 12, &src, 4);
	if (v2)
		dst = group;
	else
		inet_pton(AF_INET, "224.0.0.22", &dst);
	memcpy(b + 16, &dst, 4);
	b[20] = 0x94; /* Router Alert */
	b[21] = 4;
	if (v2) {
		b[24] = 0x16;
		memcpy(b + 28, &group, 4);
	} else {
		b[24] = 0x22;
		b[31] = 1; /* one record: CHANGE_TO_EXCLUDE {} */
		b[32] = 4;
		memcpy(b + 36, &group, 4);
	}
	c = csum(b + 24, ilen);
	b[26] = (uint8_t)(c >> 8);
	b[27] = (uint8_t)c;
	return 24 + ilen;
}

static int
cmd_flood(int argc, char **argv)
{
	struct in_addr group, src, from;
	struct sockaddr_in to = {.sin_family = AF_INET};
	struct ip_mreqn mr;
	uint8_t b[64];
	uint64_t t0, end, sent = 0, due;
	unsigned hellos = 0, rate;
	int fd, one = 1, spoof = 0, v2 = 0, i, ufd;
	size_t len;

	for (i = 5; i < argc; i++) {
		spoof |= strcmp(argv[i], "spoof") == 0;
		v2 |= strcmp(argv[i], "v2") == 0;
	}
	memset(&mr, 0, sizeof(mr));
	mr.imr_ifindex = (int)if_nametoindex(argv[0]);
	rate = (unsigned)atoi(argv[3]);
	if (inet_pton(AF_INET, argv[1], &group) != 1 ||
	    inet_pton(AF_INET, argv[2], &src) != 1 || mr.imr_ifindex == 0 ||
	    rate == 0)
		return usage();
	fd = socket(AF_INET, SOCK_RAW, IPPROTO_RAW);
	if (fd == -1 ||
	    setsockopt(fd, IPPROTO_IP, IP_HDRINCL, &one, sizeof(one)) == -1 ||
	    setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &mr, sizeof(mr)) ==
		-1) {
		perror("igmp_tool: raw socket");
		return 1;
	}
	ufd = udp_on(5182);
	t0 = now_ms();
	end = t0 + (uint64_t)atoi(argv[4]);
	while (now_ms() < end) {
		due = (now_ms() - t0) * rate / 1000 + 1;
		for (; sent < due; sent++) {
			from = src;
			if (spoof) /* on the LAN, where hints are taken */
				from.s_addr =
				    htonl((ntohl(src.s_addr) & 0xffffff00u) |
					  (uint32_t)(30 + sent % 170));
			len = report(b, from, group, v2);
			memcpy(&to.sin_addr, b + 16, 4);
			if (sendto(fd, b, len, 0, (struct sockaddr *)&to,
				sizeof(to)) == -1 &&
			    errno != ENOBUFS) {
				perror("igmp_tool: sendto");
				return 1;
			}
		}
		hellos += drain(ufd, t0, 0);
		usleep(2000);
	}
	usleep(200000); /* what the last reports drew */
	hellos += drain(ufd, t0, 0);
	printf("sent %llu hellos %u\n", (unsigned long long)sent, hellos);
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc == 6 && strcmp(argv[1], "join") == 0)
		return cmd_join(argv + 2);
	if (argc >= 7 && strcmp(argv[1], "flood") == 0)
		return cmd_flood(argc - 2, argv + 2);
	return usage();
}
