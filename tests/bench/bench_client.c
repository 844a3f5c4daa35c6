/*
 * tests/bench/bench_client.c — the small tools of the failover benchmark
 * (tests/bench/failover): a TCP service that answers its host's name, a
 * client that connects to the DMZ address every few milliseconds and logs
 * who answered, the monotonic clock the two share, and an ARP request that
 * lists every MAC that claims an address.
 *
 *   bench_client now
 *	prints CLOCK_MONOTONIC in ms (the client's time base)
 *   bench_client serve PORT NAME
 *	accepts on 0.0.0.0:PORT and writes "NAME\n" to each connection
 *   bench_client probe ADDR PORT [INTERVAL_MS [TIMEOUT_MS]]
 *	starts a connect to ADDR:PORT every INTERVAL_MS (10), each with its
 *	own TIMEOUT_MS (50) connect deadline, and prints "MS NAME" for each
 *	answer, MS being CLOCK_MONOTONIC when the answer arrived; runs until
 *	killed
 *   bench_client arp IFNAME ADDR WAIT_MS
 *	broadcasts one ARP request for ADDR on IFNAME and prints, one a
 *	line, each distinct MAC that answers within WAIT_MS
 *
 * Test tool, not product code: Linux only, exits 1 with one line on
 * stderr when it cannot do its job.
 */
#include "config.h"

#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <arpa/inet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/if_ether.h>
#include <netinet/in.h>
#include <netpacket/packet.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Connections in flight at once: with a 10 ms interval and a 50 ms
 * deadline at most 5 wait for a lost SYN, so the probe never stalls. */
#define PROBE_SLOTS 32
#define ANSWER_MAX 64
#define ARP_MACS_MAX 16

struct slot {
	int fd;
	int connected;
	uint64_t deadline_ms;
	size_t len;
	char buf[ANSWER_MAX];
};

static void
die(const char *what)
{
	fprintf(stderr, "bench_client: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void
usage(void)
{
	fprintf(stderr,
	    "usage: bench_client now\n"
	    "       bench_client serve PORT NAME\n"
	    "       bench_client probe ADDR PORT [INTERVAL_MS [TIMEOUT_MS]]\n"
	    "       bench_client arp IFNAME ADDR WAIT_MS\n");
	exit(1);
}

static uint64_t
now_ms(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) == -1)
		die("clock_gettime");
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static long
num_arg(const char *s, long min, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max) {
		fprintf(stderr, "bench_client: bad number '%s' (%ld..%ld)\n", s,
		    min, max);
		exit(1);
	}
	return v;
}

static struct in_addr
addr_arg(const char *s)
{
	struct in_addr a;

	if (inet_pton(AF_INET, s, &a) != 1) {
		fprintf(stderr, "bench_client: bad IPv4 address '%s'\n", s);
		exit(1);
	}
	return a;
}

static _Noreturn void
cmd_serve(int argc, char **argv)
{
	struct sockaddr_in sin = {.sin_family = AF_INET};
	char msg[ANSWER_MAX];
	int lfd, fd, one = 1, n;

	if (argc != 4)
		usage();
	sin.sin_port = htons((uint16_t)num_arg(argv[2], 1, 65535));
	n = snprintf(msg, sizeof(msg), "%s\n", argv[3]);
	if (n < 0 || (size_t)n >= sizeof(msg)) {
		fprintf(stderr, "bench_client: name too long\n");
		exit(1);
	}
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	if (lfd == -1)
		die("socket");
	if (setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == -1)
		die("SO_REUSEADDR");
	if (bind(lfd, (struct sockaddr *)&sin, sizeof(sin)) == -1)
		die("bind");
	if (listen(lfd, 128) == -1)
		die("listen");
	/* The client may have gone by the time we write: not our concern. */
	signal(SIGPIPE, SIG_IGN);
	for (;;) {
		fd = accept(lfd, NULL, NULL);
		if (fd == -1) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			die("accept");
		}
		(void)!write(fd, msg, (size_t)n);
		close(fd);
	}
}

static void
slot_close(struct slot *s)
{
	close(s->fd);
	s->fd = -1;
}

static void
slot_launch(struct slot *s, const struct sockaddr_in *sin, uint64_t now,
    unsigned timeout_ms)
{
	s->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (s->fd == -1)
		die("socket");
	s->connected = 0;
	s->len = 0;
	s->deadline_ms = now + timeout_ms;
	if (connect(s->fd, (const struct sockaddr *)sin, sizeof(*sin)) == 0)
		s->connected = 1;
	else if (errno != EINPROGRESS)
		slot_close(s); /* refused at once (RST already cached) */
}

/* A connected slot has the answer's time; the answer ends at '\n' or at
 * the peer's close. */
static void
slot_on_ready(struct slot *s, short revents, unsigned timeout_ms)
{
	int err = 0;
	socklen_t len = sizeof(err);
	ssize_t r;

	if (!s->connected) {
		if (getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &len) == -1 ||
		    err != 0) {
			slot_close(s);
			return;
		}
		/* Connected: the answer comes within one more deadline. */
		s->connected = 1;
		s->deadline_ms = now_ms() + timeout_ms;
		return;
	}
	if (!(revents & (POLLIN | POLLHUP | POLLERR)))
		return;
	r = read(s->fd, s->buf + s->len, sizeof(s->buf) - 1 - s->len);
	if (r > 0)
		s->len += (size_t)r;
	if (r > 0 && s->len < sizeof(s->buf) - 1 &&
	    memchr(s->buf, '\n', s->len) == NULL)
		return;
	if (s->len > 0) {
		s->buf[s->len] = '\0';
		s->buf[strcspn(s->buf, "\r\n ")] = '\0';
		printf("%" PRIu64 " %s\n", now_ms(), s->buf[0] ? s->buf : "?");
	}
	slot_close(s);
}

static _Noreturn void
cmd_probe(int argc, char **argv)
{
	struct sockaddr_in sin = {.sin_family = AF_INET};
	struct slot slots[PROBE_SLOTS];
	struct pollfd pfd[PROBE_SLOTS];
	size_t idx[PROBE_SLOTS];
	unsigned interval_ms = 10, timeout_ms = 50;
	uint64_t next, now, wake;
	size_t i, n;

	if (argc < 4 || argc > 6)
		usage();
	sin.sin_addr = addr_arg(argv[2]);
	sin.sin_port = htons((uint16_t)num_arg(argv[3], 1, 65535));
	if (argc > 4)
		interval_ms = (unsigned)num_arg(argv[4], 1, 10000);
	if (argc > 5)
		timeout_ms = (unsigned)num_arg(argv[5], 1, 10000);
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (i = 0; i < PROBE_SLOTS; i++)
		slots[i].fd = -1;
	next = now_ms();
	for (;;) {
		now = now_ms();
		if (now >= next) {
			for (i = 0; i < PROBE_SLOTS && slots[i].fd != -1; i++)
				;
			if (i < PROBE_SLOTS)
				slot_launch(&slots[i], &sin, now, timeout_ms);
			next += interval_ms;
			if (next <= now) /* stalled: do not burst to catch up */
				next = now + interval_ms;
		}
		wake = next;
		for (i = 0, n = 0; i < PROBE_SLOTS; i++) {
			if (slots[i].fd == -1)
				continue;
			if (slots[i].deadline_ms <= now) {
				slot_close(&slots[i]);
				continue;
			}
			if (slots[i].deadline_ms < wake)
				wake = slots[i].deadline_ms;
			pfd[n].fd = slots[i].fd;
			pfd[n].events = slots[i].connected ? POLLIN : POLLOUT;
			pfd[n].revents = 0;
			idx[n++] = i;
		}
		if (poll(pfd, n, (int)(wake - now)) == -1 && errno != EINTR)
			die("poll");
		for (i = 0; i < n; i++)
			if (pfd[i].revents != 0)
				slot_on_ready(
				    &slots[idx[i]], pfd[i].revents, timeout_ms);
	}
}

static void
mac_print_once(const uint8_t *mac, uint8_t seen[][ETH_ALEN], size_t *n_seen)
{
	size_t i;

	for (i = 0; i < *n_seen; i++)
		if (memcmp(seen[i], mac, ETH_ALEN) == 0)
			return;
	if (*n_seen == ARP_MACS_MAX)
		return;
	memcpy(seen[(*n_seen)++], mac, ETH_ALEN);
	printf("%02x:%02x:%02x:%02x:%02x:%02x\n", mac[0], mac[1], mac[2],
	    mac[3], mac[4], mac[5]);
}

static int
arp_socket(const char *ifname, struct sockaddr_ll *sll, uint8_t *mac,
    struct in_addr *src)
{
	struct ifreq ifr = {0};
	int fd;

	fd = socket(AF_PACKET, SOCK_DGRAM, htons(ETH_P_ARP));
	if (fd == -1)
		die("AF_PACKET socket (root needed)");
	if (strlen(ifname) >= sizeof(ifr.ifr_name)) {
		fprintf(stderr, "bench_client: interface name too long\n");
		exit(1);
	}
	memcpy(ifr.ifr_name, ifname, strlen(ifname) + 1);
	if (ioctl(fd, SIOCGIFHWADDR, &ifr) == -1)
		die(ifname);
	memcpy(mac, ifr.ifr_hwaddr.sa_data, ETH_ALEN);
	if (ioctl(fd, SIOCGIFADDR, &ifr) == -1)
		die(ifname);
	memcpy(src, &((struct sockaddr_in *)(void *)&ifr.ifr_addr)->sin_addr,
	    sizeof(*src));
	sll->sll_family = AF_PACKET;
	sll->sll_protocol = htons(ETH_P_ARP);
	sll->sll_ifindex = (int)if_nametoindex(ifname);
	if (sll->sll_ifindex == 0)
		die(ifname);
	if (bind(fd, (struct sockaddr *)sll, sizeof(*sll)) == -1)
		die("bind AF_PACKET");
	sll->sll_halen = ETH_ALEN;
	memset(sll->sll_addr, 0xff, ETH_ALEN);
	return fd;
}

static int
cmd_arp(int argc, char **argv)
{
	struct sockaddr_ll sll = {0};
	struct ether_arp req = {0}, rep;
	struct in_addr src, target;
	uint8_t mac[ETH_ALEN], seen[ARP_MACS_MAX][ETH_ALEN];
	struct pollfd pfd;
	uint64_t end, now;
	size_t n_seen = 0;
	ssize_t r;

	if (argc != 5)
		usage();
	target = addr_arg(argv[3]);
	end = now_ms() + (uint64_t)num_arg(argv[4], 1, 60000);
	pfd.fd = arp_socket(argv[2], &sll, mac, &src);
	pfd.events = POLLIN;
	req.arp_hrd = htons(ARPHRD_ETHER);
	req.arp_pro = htons(ETHERTYPE_IP);
	req.arp_hln = ETH_ALEN;
	req.arp_pln = 4;
	req.arp_op = htons(ARPOP_REQUEST);
	memcpy(req.arp_sha, mac, ETH_ALEN);
	memcpy(req.arp_spa, &src, 4);
	memcpy(req.arp_tpa, &target, 4);
	if (sendto(pfd.fd, &req, sizeof(req), 0, (struct sockaddr *)&sll,
		sizeof(sll)) == -1)
		die("send ARP request");
	while ((now = now_ms()) < end) {
		if (poll(&pfd, 1, (int)(end - now)) <= 0)
			continue;
		r = recv(pfd.fd, &rep, sizeof(rep), 0);
		if (r < (ssize_t)sizeof(rep) ||
		    rep.arp_op != htons(ARPOP_REPLY) ||
		    memcmp(rep.arp_spa, &target, 4) != 0)
			continue;
		mac_print_once(rep.arp_sha, seen, &n_seen);
	}
	close(pfd.fd);
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc < 2)
		usage();
	if (strcmp(argv[1], "now") == 0 && argc == 2) {
		printf("%" PRIu64 "\n", now_ms());
		return 0;
	}
	if (strcmp(argv[1], "serve") == 0)
		cmd_serve(argc, argv);
	if (strcmp(argv[1], "probe") == 0)
		cmd_probe(argc, argv);
	if (strcmp(argv[1], "arp") == 0)
		return cmd_arp(argc, argv);
	usage();
	return 1;
}
