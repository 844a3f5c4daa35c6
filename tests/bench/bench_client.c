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
 *   bench_client delay QUEUE DELAY_MS [EVERY_N]
 *	a slow service: holds the packets that netfilter queue QUEUE hands
 *	it (the service's incoming SYNs) for DELAY_MS before letting them
 *	on, every one of them, or 1 in EVERY_N (the others at once); prints
 *	"ready" once bound, and "held N passed M" on SIGTERM
 *
 * Why `delay` holds SYNs in an NFQUEUE: the standbys' watcher times a
 * request from the client's SYN to the holder's SYN-ACK (or RST), both
 * sent by the kernel. A service that accepts late, or writes late, is not
 * slow for the watcher: the kernel answers the SYN from the listen queue
 * at once. To be slow where the watcher looks, the SYN-ACK itself must
 * leave D ms after the SYN. This machine has no netem (nor any qdisc
 * that delays chosen packets), and its kernel has no nft `queue`
 * expression (CONFIG_NFT_QUEUE unset) but does have the xtables NFQUEUE
 * target; so a test adds, in the service's namespace,
 *   iptables -I INPUT -p tcp --dport PORT --syn -j NFQUEUE \
 *	--queue-num QUEUE --queue-bypass
 * and runs `delay` there: each SYN reaches the TCP stack D ms late, the
 * SYN-ACK leaves D ms late, and the client's connect, the standbys'
 * watcher and the holder's own service check (it connects through the
 * same INPUT hook) all see a service that answers after D ms, as a
 * loaded server whose accept path is slow would look. --queue-bypass:
 * when `delay` is gone, SYNs pass at once. Plain nfnetlink, no
 * libnetfilter_queue; metadata only (the verdict needs the packet id
 * alone).
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

#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_queue.h>
#include <linux/netlink.h>

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
	    "       bench_client arp IFNAME ADDR WAIT_MS\n"
	    "       bench_client delay QUEUE DELAY_MS [EVERY_N]\n");
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

/* ---- delay: the slow service's SYNs, held in an NFQUEUE -------------- */

/* SYNs held at once: a client every 10 ms and a delay of a second hold
 * 100; a queue fuller than this lets the newest pass at once. */
#define DELAY_HELD_MAX 4096
#define NL_BUF 8192

struct held {
	uint32_t id;
	uint64_t due_ms;
};

static volatile sig_atomic_t delay_stop;

static void
on_delay_stop(int sig)
{
	(void)sig;
	delay_stop = 1;
}

/* Appends attribute TYPE with LEN bytes of DATA to the message in BUF. */
static void
nl_attr(char *buf, uint16_t type, const void *data, size_t len)
{
	struct nlmsghdr *nlh = (struct nlmsghdr *)(void *)buf;
	struct nlattr *a =
	    (struct nlattr *)(void *)(buf + NLMSG_ALIGN(nlh->nlmsg_len));

	a->nla_type = type;
	a->nla_len = (uint16_t)(NLA_HDRLEN + len);
	memcpy((char *)a + NLA_HDRLEN, data, len);
	nlh->nlmsg_len = NLMSG_ALIGN(nlh->nlmsg_len) + NLA_ALIGN(a->nla_len);
}

/* A queue message (NFQNL_MSG_*) for QUEUE: the headers, no attribute. */
static void
nfq_msg(char *buf, uint16_t msg, uint16_t queue, uint16_t flags)
{
	struct nlmsghdr *nlh = (struct nlmsghdr *)(void *)buf;
	struct nfgenmsg *nfg;

	memset(buf, 0, NLMSG_SPACE(sizeof(*nfg)) + 64);
	nlh->nlmsg_len = NLMSG_LENGTH(sizeof(*nfg));
	nlh->nlmsg_type = (uint16_t)((NFNL_SUBSYS_QUEUE << 8) | msg);
	nlh->nlmsg_flags = (uint16_t)(NLM_F_REQUEST | flags);
	nfg = NLMSG_DATA(nlh);
	nfg->nfgen_family = AF_UNSPEC;
	nfg->version = NFNETLINK_V0;
	nfg->res_id = htons(queue);
}

static void
nl_send(int fd, const char *buf)
{
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)(const void *)buf;
	struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};

	if (sendto(fd, buf, nlh->nlmsg_len, 0, (struct sockaddr *)&kernel,
		sizeof(kernel)) == -1)
		die("nfnetlink send");
}

/* Waits for the kernel's ack of the last request (NLM_F_ACK). */
static void
nl_ack(int fd, const char *what)
{
	char buf[NL_BUF];
	struct nlmsghdr *nlh;
	struct nlmsgerr *e;
	ssize_t r;

	r = recv(fd, buf, sizeof(buf), 0);
	if (r == -1)
		die(what);
	nlh = (struct nlmsghdr *)(void *)buf;
	if (!NLMSG_OK(nlh, (size_t)r) || nlh->nlmsg_type != NLMSG_ERROR)
		return;
	e = NLMSG_DATA(nlh);
	if (e->error != 0) {
		errno = -e->error;
		die(what);
	}
}

static void
nfq_verdict(int fd, uint16_t queue, uint32_t id)
{
	char buf[256];
	struct nfqnl_msg_verdict_hdr vh = {
	    .verdict = htonl(NF_ACCEPT), .id = htonl(id)};

	nfq_msg(buf, NFQNL_MSG_VERDICT, queue, 0);
	nl_attr(buf, NFQA_VERDICT_HDR, &vh, sizeof(vh));
	nl_send(fd, buf);
}

static int
nfq_open(uint16_t queue)
{
	struct sockaddr_nl local = {.nl_family = AF_NETLINK};
	struct nfqnl_msg_config_cmd cmd = {.command = NFQNL_CFG_CMD_BIND};
	struct nfqnl_msg_config_params params = {
	    .copy_range = htonl(0), .copy_mode = NFQNL_COPY_META};
	char buf[256];
	int fd, rcvbuf = 1 << 20;

	fd = socket(AF_NETLINK, SOCK_RAW, NETLINK_NETFILTER);
	if (fd == -1)
		die("netlink socket (root needed)");
	if (bind(fd, (struct sockaddr *)&local, sizeof(local)) == -1)
		die("bind netlink");
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	nfq_msg(buf, NFQNL_MSG_CONFIG, queue, NLM_F_ACK);
	nl_attr(buf, NFQA_CFG_CMD, &cmd, sizeof(cmd));
	nl_send(fd, buf);
	nl_ack(fd, "bind NFQUEUE (another process on it?)");
	nfq_msg(buf, NFQNL_MSG_CONFIG, queue, NLM_F_ACK);
	nl_attr(buf, NFQA_CFG_PARAMS, &params, sizeof(params));
	nl_send(fd, buf);
	nl_ack(fd, "NFQUEUE copy mode");
	return fd;
}

/* The packet id of a queued packet's message, 0 when it is none. */
static uint32_t
nfq_packet_id(struct nlmsghdr *nlh)
{
	struct nlattr *a;
	struct nfqnl_msg_packet_hdr ph;
	int len;

	if (nlh->nlmsg_type != ((NFNL_SUBSYS_QUEUE << 8) | NFQNL_MSG_PACKET))
		return 0;
	len = (int)nlh->nlmsg_len - NLMSG_LENGTH(sizeof(struct nfgenmsg));
	a = (struct nlattr *)(void *)((char *)NLMSG_DATA(nlh) +
				      NLMSG_ALIGN(sizeof(struct nfgenmsg)));
	while (len >= NLA_HDRLEN && a->nla_len >= NLA_HDRLEN &&
	       a->nla_len <= len) {
		if ((a->nla_type & NLA_TYPE_MASK) == NFQA_PACKET_HDR &&
		    a->nla_len >= NLA_HDRLEN + sizeof(ph)) {
			memcpy(&ph, (char *)a + NLA_HDRLEN, sizeof(ph));
			return ntohl(ph.packet_id);
		}
		len -= NLA_ALIGN(a->nla_len);
		a = (struct nlattr *)(void *)((char *)a +
					      NLA_ALIGN(a->nla_len));
	}
	return 0;
}

static int
cmd_delay(int argc, char **argv)
{
	static struct held held[DELAY_HELD_MAX];
	char buf[NL_BUF];
	struct pollfd pfd;
	struct nlmsghdr *nlh;
	uint64_t delay_ms, every = 1, seen = 0, n_held = 0, n_passed = 0, now;
	size_t head = 0, count = 0;
	uint16_t queue;
	uint32_t id;
	ssize_t r;
	int timeout;

	if (argc < 4 || argc > 5)
		usage();
	queue = (uint16_t)num_arg(argv[2], 0, 65535);
	delay_ms = (uint64_t)num_arg(argv[3], 0, 60000);
	if (argc > 4)
		every = (uint64_t)num_arg(argv[4], 1, 1000000);
	signal(SIGTERM, on_delay_stop);
	signal(SIGINT, on_delay_stop);
	setvbuf(stdout, NULL, _IOLBF, 0);
	pfd.fd = nfq_open(queue);
	pfd.events = POLLIN;
	printf("ready\n");
	while (!delay_stop) {
		now = now_ms();
		/* Equal delays: the oldest held is the first due. */
		while (count > 0 && held[head].due_ms <= now) {
			nfq_verdict(pfd.fd, queue, held[head].id);
			head = (head + 1) % DELAY_HELD_MAX;
			count--;
		}
		timeout = count > 0 ? (int)(held[head].due_ms - now) : 1000;
		if (poll(&pfd, 1, timeout) <= 0)
			continue;
		r = recv(pfd.fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (r == -1) {
			if (errno == EINTR || errno == EAGAIN ||
			    errno == ENOBUFS) /* lost: the kernel drops them */
				continue;
			die("nfnetlink recv");
		}
		for (nlh = (struct nlmsghdr *)(void *)buf; NLMSG_OK(nlh, r);
		     nlh = NLMSG_NEXT(nlh, r)) {
			id = nfq_packet_id(nlh);
			if (id == 0)
				continue;
			if (seen++ % every != every - 1 || delay_ms == 0 ||
			    count == DELAY_HELD_MAX) {
				nfq_verdict(pfd.fd, queue, id);
				n_passed++;
				continue;
			}
			held[(head + count) % DELAY_HELD_MAX] = (struct held){
			    .id = id, .due_ms = now_ms() + delay_ms};
			count++;
			n_held++;
		}
	}
	/* Let the held ones on before going: none is lost to the exit. */
	for (; count > 0; count--, head = (head + 1) % DELAY_HELD_MAX)
		nfq_verdict(pfd.fd, queue, held[head].id);
	printf("held %" PRIu64 " passed %" PRIu64 "\n", n_held, n_passed);
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
	if (strcmp(argv[1], "delay") == 0)
		return cmd_delay(argc, argv);
	usage();
	return 1;
}
