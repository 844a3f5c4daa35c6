/*
 * tests/netns/arp_mon.c — asks "who has IP?" on an interface in a tight
 * loop and reports who answers, for the netns tests of the lease (issue 7
 * fault 3: no two MACs may ever answer for the DMZ address).
 *
 *   arp_mon IF SENDER_IP TARGET_IP DURATION_MS PERIOD_MS
 *
 * Sends an ARP request (from IF's MAC and SENDER_IP, to broadcast) every
 * PERIOD_MS for DURATION_MS and reads every reply for TARGET_IP. Prints
 * one line per reply, "reply T_MS MAC", and for each request answered by
 * more than one MAC, "double T_MS MAC MAC"; T_MS is wall-clock time in
 * milliseconds since the epoch (the scripts' $EPOCHREALTIME): for a reply
 * the kernel's receive time (SO_TIMESTAMP), so a monitor starved of CPU
 * does not date answers late; for a request, CLOCK_REALTIME at the start
 * advanced by CLOCK_MONOTONIC.
 * Frames from IF's own MAC are not replies. Exit 0 on success, 1 when the
 * socket cannot be used, 2 on usage.
 */
#include "config.h"

#include <sys/ioctl.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "netcfg/netcfg_int.h"

#define MAX_MACS 8

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void
mac_text(const uint8_t *m, char *buf, size_t len)
{
	snprintf(buf, len, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2],
	    m[3], m[4], m[5]);
}

struct mon {
	int fd;
	int ifindex;
	uint8_t mac[6];
	struct in_addr sender, target;
	uint64_t t0;	  /* CLOCK_MONOTONIC at the start */
	uint64_t t0_wall; /* CLOCK_REALTIME at the start */
	/* MACs that answered the request in flight. */
	uint8_t seen[MAX_MACS][6];
	size_t n_seen;
	uint64_t sent_ms;
};

static int
send_request(struct mon *m)
{
	struct netcfg_arp a;
	struct sockaddr_ll to;
	uint8_t buf[NETCFG_ARP_LEN];

	memset(&a, 0, sizeof(a));
	a.op = NETCFG_ARP_REQUEST;
	memcpy(a.sha, m->mac, 6);
	memcpy(a.spa, &m->sender, 4);
	memcpy(a.tpa, &m->target, 4);
	netcfg_arp_encode(&a, buf, sizeof(buf));
	memset(&to, 0, sizeof(to));
	to.sll_family = AF_PACKET;
	to.sll_protocol = htons(ETH_P_ARP);
	to.sll_ifindex = m->ifindex;
	to.sll_halen = 6;
	memset(to.sll_addr, 0xff, 6);
	return sendto(m->fd, buf, sizeof(buf), 0, (struct sockaddr *)&to,
		   sizeof(to)) == (ssize_t)sizeof(buf)
		   ? 0
		   : -1;
}

/* A new request: report the last one if two MACs answered it. */
static void
round_end(struct mon *m)
{
	char a[18], b[18];
	size_t i;

	if (m->n_seen > 1) {
		mac_text(m->seen[0], a, sizeof(a));
		for (i = 1; i < m->n_seen; i++) {
			mac_text(m->seen[i], b, sizeof(b));
			printf("double %llu %s %s\n",
			    (unsigned long long)(m->sent_ms - m->t0 +
						 m->t0_wall),
			    a, b);
		}
	}
	m->n_seen = 0;
}

static void
on_frame(struct mon *m, const uint8_t *buf, size_t len, uint64_t t_ms)
{
	struct netcfg_arp a;
	char text[18];
	size_t i;

	if (netcfg_arp_decode(buf, len, &a) != NETCFG_ARP_OK ||
	    a.op != NETCFG_ARP_REPLY || memcmp(a.spa, &m->target, 4) != 0 ||
	    memcmp(a.sha, m->mac, 6) == 0)
		return;
	mac_text(a.sha, text, sizeof(text));
	printf("reply %llu %s\n", (unsigned long long)t_ms, text);
	for (i = 0; i < m->n_seen; i++)
		if (memcmp(m->seen[i], a.sha, 6) == 0)
			return;
	if (m->n_seen < MAX_MACS)
		memcpy(m->seen[m->n_seen++], a.sha, 6);
}

static int
open_socket(struct mon *m, const char *ifname)
{
	struct sockaddr_ll sll;
	struct ifreq ifr;

	int on = 1;

	m->fd = socket(AF_PACKET, SOCK_DGRAM, htons(ETH_P_ARP));
	m->ifindex = (int)if_nametoindex(ifname);
	if (m->fd == -1 || m->ifindex == 0 ||
	    setsockopt(m->fd, SOL_SOCKET, SO_TIMESTAMP, &on, sizeof(on)) == -1)
		return -1;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (ioctl(m->fd, SIOCGIFHWADDR, &ifr) == -1)
		return -1;
	memcpy(m->mac, ifr.ifr_hwaddr.sa_data, 6);
	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_protocol = htons(ETH_P_ARP);
	sll.sll_ifindex = m->ifindex;
	return bind(m->fd, (struct sockaddr *)&sll, sizeof(sll));
}

/* One frame with its kernel receive time (wall ms); 0, or -1. */
static int
receive(struct mon *m)
{
	uint8_t buf[128];
	union {
		struct cmsghdr h;
		uint8_t b[CMSG_SPACE(sizeof(struct timeval))];
	} ctl;
	struct iovec iov = {.iov_base = buf, .iov_len = sizeof(buf)};
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
	struct cmsghdr *c;
	struct timeval tv;
	uint64_t t = now_ms() - m->t0 + m->t0_wall;
	ssize_t n;

	msg.msg_control = ctl.b;
	msg.msg_controllen = sizeof(ctl.b);
	n = recvmsg(m->fd, &msg, MSG_DONTWAIT);
	if (n <= 0)
		return -1;
	for (c = CMSG_FIRSTHDR(&msg); c != NULL; c = CMSG_NXTHDR(&msg, c))
		if (c->cmsg_level == SOL_SOCKET &&
		    c->cmsg_type == SCM_TIMESTAMP) {
			memcpy(&tv, CMSG_DATA(c), sizeof(tv));
			t = (uint64_t)tv.tv_sec * 1000 +
			    (uint64_t)tv.tv_usec / 1000;
		}
	on_frame(m, buf, (size_t)n, t);
	return 0;
}

static void
run(struct mon *m, uint64_t duration_ms, uint64_t period_ms)
{
	struct pollfd p = {.fd = m->fd, .events = POLLIN};
	uint64_t now, next = m->t0, end = m->t0 + duration_ms;

	while ((now = now_ms()) < end) {
		if (now >= next) {
			round_end(m);
			m->sent_ms = now;
			if (send_request(m) == -1)
				perror("arp_mon: send");
			next = now + period_ms;
		}
		if (poll(&p, 1, (int)(next - now)) <= 0)
			continue;
		while (receive(m) == 0)
			;
	}
	round_end(m);
	fflush(stdout);
}

int
main(int argc, char **argv)
{
	struct mon m;
	struct timespec wall;

	memset(&m, 0, sizeof(m));
	if (argc != 6 || inet_pton(AF_INET, argv[2], &m.sender) != 1 ||
	    inet_pton(AF_INET, argv[3], &m.target) != 1) {
		fprintf(stderr, "usage: arp_mon IF SENDER_IP TARGET_IP "
				"DURATION_MS PERIOD_MS\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (open_socket(&m, argv[1]) == -1) {
		perror("arp_mon: socket");
		return 1;
	}
	clock_gettime(CLOCK_REALTIME, &wall);
	m.t0_wall =
	    (uint64_t)wall.tv_sec * 1000 + (uint64_t)wall.tv_nsec / 1000000;
	m.t0 = now_ms();
	run(&m, strtoull(argv[4], NULL, 10), strtoull(argv[5], NULL, 10));
	return 0;
}
