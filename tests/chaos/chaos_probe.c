/*
 * tests/chaos/chaos_probe.c — the small tools of the chaos run
 * (tests/chaos/chaos.sh): the service every host runs, the router's
 * client and ARP watch, and the CPU burner.
 *
 *   chaos_probe serve PORT NAME
 *	accepts on 0.0.0.0:PORT and writes "NAME\n" to each connection
 *   chaos_probe probe IFNAME DMZ PORT WATCH
 *	every 10 ms starts a connection to DMZ:PORT; a probe is answered
 *	when a line arrives within 500 ms. Every 20 ms it broadcasts an
 *	ARP request for DMZ on IFNAME and collects the MACs that answer it
 *	within that round. It asks as a bystander, from the address WATCH
 *	(unused on the LAN) and a MAC of its own (IFNAME's with the last
 *	byte flipped), not as the router: an answer to the router would
 *	overwrite the router's neighbour entry (locktime 0, lib.sh) every
 *	round, and with two holders (a partition) flip it every 20 ms, each
 *	flip breaking the connections under way: the instrument's outage,
 *	not the site's. The answers reach it on the hub (ageing 0) and are
 *	no business of the router's kernel (not addressed to it). Prints, one a
 *	line, times in ms of CLOCK_REALTIME (bash's $EPOCHREALTIME):
 *	  start MS
 *	  out FIRST NEXT          an outage: the first unanswered probe's
 *	                          start, the next answered probe's start
 *	  serve MS NAME           the answering host changed
 *	  arp MS MAC|-            the one MAC answering ARP changed (-: none)
 *	  dual FROM TO MAC,MAC..  a round answered by two MACs or more
 *	  stats probes=.. ok=.. longest_ms=.. arp_rounds=.. dual_rounds=..
 *	        dual_ms=..        (at SIGTERM or SIGINT, then exit 0)
 *   chaos_probe burn N MS
 *	forks N processes that spin on the CPU for MS ms (each also has an
 *	alarm, so none outlives its time by more than 2 s), waits for them
 *
 * Test tool, not product code: Linux only, exits 1 with one line on
 * stderr when it cannot do its job.
 */
#include "config.h"

#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <arpa/inet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/if_ether.h>
#include <netinet/in.h>
#include <netpacket/packet.h>
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define PROBE_INTERVAL_MS 10
#define PROBE_TIMEOUT_MS 500
/* More slots than probes in flight (500 / 10): a slot is resolved and
 * accounted before its sequence number comes round again. */
#define PROBE_SLOTS 64
#define ARP_PERIOD_MS 20
#define ANSWER_MAX 64
#define ROUND_MACS_MAX 8

enum probe_st { P_FREE, P_PENDING, P_OK, P_FAIL };

struct slot {
	enum probe_st st;
	int fd;
	int connected;
	uint64_t start_ms;
	size_t len;
	char buf[ANSWER_MAX];
};

struct probe {
	struct sockaddr_in dst;
	struct slot slot[PROBE_SLOTS];
	uint64_t seq_next; /* next probe to launch */
	uint64_t seq_acct; /* next probe to account, in start order */
	uint64_t n_probes; /* accounted */
	uint64_t n_ok;
	uint64_t out_start; /* 0: answering */
	uint64_t longest_ms;
	char last_name[ANSWER_MAX];
	/* ARP */
	int arp_fd;
	struct sockaddr_ll sll;
	struct ether_arp req;
	struct in_addr src, target;
	uint64_t round_start;
	uint8_t round_mac[ROUND_MACS_MAX][ETH_ALEN];
	size_t round_n;
	uint8_t last_mac[ETH_ALEN];
	int last_n; /* -1 before the first round */
	uint64_t n_rounds, n_dual, dual_ms;
};

static volatile sig_atomic_t stop;

static void
on_stop(int sig)
{
	(void)sig;
	stop = 1;
}

static void
die(const char *what)
{
	fprintf(stderr, "chaos_probe: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void
usage(void)
{
	fprintf(stderr, "usage: chaos_probe serve PORT NAME\n"
			"       chaos_probe probe IFNAME DMZ PORT WATCH\n"
			"       chaos_probe burn N MS\n");
	exit(1);
}

static uint64_t
now_ms(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_REALTIME, &ts) == -1)
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
		fprintf(stderr, "chaos_probe: bad number '%s' (%ld..%ld)\n", s,
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
		fprintf(stderr, "chaos_probe: bad IPv4 address '%s'\n", s);
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
		fprintf(stderr, "chaos_probe: name too long\n");
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

/* ---- the client ---------------------------------------------------- */

static void
slot_end(struct slot *s, enum probe_st st)
{
	if (s->fd != -1)
		close(s->fd);
	s->fd = -1;
	s->st = st;
}

static void
probe_launch(struct probe *p, uint64_t now)
{
	struct slot *s = &p->slot[p->seq_next % PROBE_SLOTS];

	if (s->st != P_FREE) /* cannot happen: see PROBE_SLOTS */
		return;
	p->seq_next++;
	s->st = P_PENDING;
	s->connected = 0;
	s->len = 0;
	s->start_ms = now;
	s->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (s->fd == -1)
		die("socket");
	if (connect(s->fd, (const struct sockaddr *)&p->dst, sizeof(p->dst)) ==
	    0)
		s->connected = 1;
	else if (errno != EINPROGRESS)
		slot_end(s, P_FAIL);
}

static void
slot_on_ready(struct slot *s, short revents)
{
	int err = 0;
	socklen_t len = sizeof(err);
	ssize_t r;

	if (!s->connected) {
		if (getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &len) == -1 ||
		    err != 0) {
			slot_end(s, P_FAIL);
			return;
		}
		s->connected = 1;
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
	if (s->len == 0) {
		slot_end(s, P_FAIL);
		return;
	}
	s->buf[s->len] = '\0';
	s->buf[strcspn(s->buf, "\r\n ")] = '\0';
	slot_end(s, P_OK);
}

/* Results in start order: outages and changes of the answering host. */
static void
probe_account(struct probe *p)
{
	struct slot *s;

	while (p->seq_acct < p->seq_next) {
		s = &p->slot[p->seq_acct % PROBE_SLOTS];
		if (s->st == P_PENDING)
			return;
		p->n_probes++;
		if (s->st == P_OK) {
			p->n_ok++;
			if (p->out_start != 0) {
				printf("out %" PRIu64 " %" PRIu64 "\n",
				    p->out_start, s->start_ms);
				if (s->start_ms - p->out_start > p->longest_ms)
					p->longest_ms =
					    s->start_ms - p->out_start;
				p->out_start = 0;
			}
			if (strcmp(s->buf, p->last_name) != 0) {
				printf("serve %" PRIu64 " %s\n", s->start_ms,
				    s->buf[0] ? s->buf : "?");
				memcpy(p->last_name, s->buf, sizeof(s->buf));
			}
		} else if (p->out_start == 0) {
			p->out_start = s->start_ms;
		}
		s->st = P_FREE;
		p->seq_acct++;
	}
}

/* ---- the ARP watch ------------------------------------------------- */

static void
arp_open(struct probe *p, const char *ifname, struct in_addr watch)
{
	struct ifreq ifr = {0};
	uint8_t mac[ETH_ALEN];

	p->arp_fd =
	    socket(AF_PACKET, SOCK_DGRAM | SOCK_NONBLOCK, htons(ETH_P_ARP));
	if (p->arp_fd == -1)
		die("AF_PACKET socket (root needed)");
	if (strlen(ifname) >= sizeof(ifr.ifr_name)) {
		fprintf(stderr, "chaos_probe: interface name too long\n");
		exit(1);
	}
	memcpy(ifr.ifr_name, ifname, strlen(ifname) + 1);
	if (ioctl(p->arp_fd, SIOCGIFHWADDR, &ifr) == -1)
		die(ifname);
	memcpy(mac, ifr.ifr_hwaddr.sa_data, ETH_ALEN);
	mac[ETH_ALEN - 1] ^= 0x80; /* a bystander's, not the router's */
	p->src = watch;
	p->sll.sll_family = AF_PACKET;
	p->sll.sll_protocol = htons(ETH_P_ARP);
	p->sll.sll_ifindex = (int)if_nametoindex(ifname);
	if (p->sll.sll_ifindex == 0)
		die(ifname);
	if (bind(p->arp_fd, (struct sockaddr *)&p->sll, sizeof(p->sll)) == -1)
		die("bind AF_PACKET");
	p->sll.sll_halen = ETH_ALEN;
	memset(p->sll.sll_addr, 0xff, ETH_ALEN);
	p->req.arp_hrd = htons(ARPHRD_ETHER);
	p->req.arp_pro = htons(ETHERTYPE_IP);
	p->req.arp_hln = ETH_ALEN;
	p->req.arp_pln = 4;
	p->req.arp_op = htons(ARPOP_REQUEST);
	memcpy(p->req.arp_sha, mac, ETH_ALEN);
	memcpy(p->req.arp_spa, &p->src, 4);
	memcpy(p->req.arp_tpa, &p->target, 4);
	p->last_n = -1;
}

static void
mac_str(const uint8_t *m, char *buf, size_t len)
{
	snprintf(buf, len, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2],
	    m[3], m[4], m[5]);
}

/* Closes the round that started at round_start, opens one at now. */
static void
arp_round(struct probe *p, uint64_t now)
{
	char mac[18];
	size_t i;

	if (p->round_start != 0) {
		p->n_rounds++;
		if (p->round_n >= 2) {
			p->n_dual++;
			p->dual_ms += now - p->round_start;
			printf("dual %" PRIu64 " %" PRIu64 " ", p->round_start,
			    now);
			for (i = 0; i < p->round_n; i++) {
				mac_str(p->round_mac[i], mac, sizeof(mac));
				printf("%s%s", i ? "," : "", mac);
			}
			printf("\n");
		} else if (p->round_n != (size_t)p->last_n ||
			   (p->round_n == 1 &&
			       memcmp(p->round_mac[0], p->last_mac, ETH_ALEN) !=
				   0)) {
			if (p->round_n == 1) {
				mac_str(p->round_mac[0], mac, sizeof(mac));
				memcpy(p->last_mac, p->round_mac[0], ETH_ALEN);
			}
			printf("arp %" PRIu64 " %s\n", p->round_start,
			    p->round_n == 1 ? mac : "-");
			p->last_n = (int)p->round_n;
		}
	}
	p->round_start = now;
	p->round_n = 0;
	if (sendto(p->arp_fd, &p->req, sizeof(p->req), 0,
		(struct sockaddr *)&p->sll, sizeof(p->sll)) == -1 &&
	    errno != ENETDOWN && errno != ENOBUFS)
		die("send ARP request");
}

/* Answers to the watch's address only: gratuitous ARP is an
 * announcement, not an answer to this round's question. */
static void
arp_on_ready(struct probe *p)
{
	struct ether_arp rep;
	size_t i;
	ssize_t r;

	while ((r = recv(p->arp_fd, &rep, sizeof(rep), 0)) >= 0) {
		if (r < (ssize_t)sizeof(rep) ||
		    rep.arp_op != htons(ARPOP_REPLY) ||
		    memcmp(rep.arp_spa, &p->target, 4) != 0 ||
		    memcmp(rep.arp_tpa, &p->src, 4) != 0)
			continue;
		for (i = 0; i < p->round_n; i++)
			if (memcmp(p->round_mac[i], rep.arp_sha, ETH_ALEN) == 0)
				break;
		if (i == p->round_n && p->round_n < ROUND_MACS_MAX)
			memcpy(
			    p->round_mac[p->round_n++], rep.arp_sha, ETH_ALEN);
	}
	if (errno != EAGAIN && errno != EINTR && errno != ENETDOWN)
		die("recv ARP");
}

static int
cmd_probe(int argc, char **argv)
{
	static struct probe p;
	struct pollfd pfd[PROBE_SLOTS + 1];
	size_t idx[PROBE_SLOTS + 1];
	uint64_t next_probe, next_arp, now, wake;
	struct sigaction sa = {.sa_handler = on_stop};
	struct slot *s;
	size_t i, n;

	if (argc != 6)
		usage();
	p.target = addr_arg(argv[3]);
	p.dst.sin_family = AF_INET;
	p.dst.sin_addr = p.target;
	p.dst.sin_port = htons((uint16_t)num_arg(argv[4], 1, 65535));
	for (i = 0; i < PROBE_SLOTS; i++)
		p.slot[i].fd = -1;
	arp_open(&p, argv[2], addr_arg(argv[5]));
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	setvbuf(stdout, NULL, _IOLBF, 0);
	now = now_ms();
	printf("start %" PRIu64 "\n", now);
	next_probe = next_arp = now;
	while (!stop) {
		now = now_ms();
		if (now >= next_probe) {
			probe_launch(&p, now);
			next_probe += PROBE_INTERVAL_MS;
			if (next_probe <= now) /* stalled: no burst */
				next_probe = now + PROBE_INTERVAL_MS;
		}
		if (now >= next_arp) {
			arp_round(&p, now);
			next_arp += ARP_PERIOD_MS;
			if (next_arp <= now)
				next_arp = now + ARP_PERIOD_MS;
		}
		wake = next_probe < next_arp ? next_probe : next_arp;
		pfd[0].fd = p.arp_fd;
		pfd[0].events = POLLIN;
		pfd[0].revents = 0;
		for (i = 0, n = 1; i < PROBE_SLOTS; i++) {
			s = &p.slot[i];
			if (s->st != P_PENDING)
				continue;
			if (s->start_ms + PROBE_TIMEOUT_MS <= now) {
				slot_end(s, P_FAIL);
				continue;
			}
			if (s->start_ms + PROBE_TIMEOUT_MS < wake)
				wake = s->start_ms + PROBE_TIMEOUT_MS;
			pfd[n].fd = s->fd;
			pfd[n].events = s->connected ? POLLIN : POLLOUT;
			pfd[n].revents = 0;
			idx[n++] = i;
		}
		probe_account(&p);
		if (poll(pfd, n, wake > now ? (int)(wake - now) : 0) == -1) {
			if (errno == EINTR)
				continue;
			die("poll");
		}
		if (pfd[0].revents != 0)
			arp_on_ready(&p);
		for (i = 1; i < n; i++)
			if (pfd[i].revents != 0)
				slot_on_ready(&p.slot[idx[i]], pfd[i].revents);
		probe_account(&p);
	}
	/* Probes still in flight are not counted; an open outage ends now. */
	now = now_ms();
	if (p.out_start != 0) {
		printf("out %" PRIu64 " %" PRIu64 " open\n", p.out_start, now);
		if (now - p.out_start > p.longest_ms)
			p.longest_ms = now - p.out_start;
	}
	printf("stats probes=%" PRIu64 " ok=%" PRIu64 " longest_ms=%" PRIu64
	       " arp_rounds=%" PRIu64 " dual_rounds=%" PRIu64
	       " dual_ms=%" PRIu64 "\n",
	    p.n_probes, p.n_ok, p.longest_ms, p.n_rounds, p.n_dual, p.dual_ms);
	return 0;
}

/* ---- the burner ---------------------------------------------------- */

static int
cmd_burn(int argc, char **argv)
{
	long n, ms, i;
	uint64_t end;
	volatile uint64_t spin = 0;
	pid_t pid;

	if (argc != 4)
		usage();
	n = num_arg(argv[2], 1, 500);
	ms = num_arg(argv[3], 1, 60000);
	end = now_ms() + (uint64_t)ms;
	for (i = 0; i < n; i++) {
		pid = fork();
		if (pid == -1)
			die("fork");
		if (pid == 0) {
			alarm((unsigned)(ms / 1000 + 2));
			while (now_ms() < end)
				spin++;
			_exit(0);
		}
	}
	while (wait(NULL) > 0 || errno == EINTR)
		;
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc < 2)
		usage();
	if (strcmp(argv[1], "serve") == 0)
		cmd_serve(argc, argv);
	if (strcmp(argv[1], "probe") == 0)
		return cmd_probe(argc, argv);
	if (strcmp(argv[1], "burn") == 0)
		return cmd_burn(argc, argv);
	usage();
	return 1;
}
