/*
 * tests/netns/watch_tool.c — drives the mirrored-request watcher
 * (netcfg_watch_*) for tests/netns/watch/, and floods it.
 *
 *   watch_tool watch [-q] IF DMZ PORT...      PORT: tcp:N or udp:N
 *	runs the watcher on a libevent loop like the daemon's; prints
 *	"ready", then one line per event (unless -q):
 *	  request tcp client=10.1.2.3:40000 port=80 flow=0a0102039c4006
 *	  answer tcp client=10.1.2.3:40000 port=80 flow=0a0102039c4006 rst=0
 *	SIGUSR1 prints the counters ("stats frames=.. requests=.. answers=..
 *	ignored=.. drops=.."); SIGUSR2 turns the watcher off or on again
 *	("enabled 0|1"); SIGTERM or SIGINT prints the counters and exits 0.
 *   watch_tool flood SRC DST PORT RATE MS
 *	sends TCP SYNs (raw socket) from SRC, a new source port each, to
 *	DST:PORT, RATE a second for MS milliseconds (RATE*MS/1000 of them;
 *	sends the kernel refuses are tried again, up to 3*MS); prints
 *	"sent N".
 *
 * Exit 0 on success, 1 on failure, 2 on usage.
 */
#include "config.h"

#include <sys/socket.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "base/log.h"
#include "netcfg/netcfg.h"

struct tool {
	struct event_base *base;
	struct netcfg_watch *w;
	int quiet;
};

static void
on_seen(void *arg, const struct netcfg_watch_seen *s)
{
	struct tool *t = arg;
	char ip[INET_ADDRSTRLEN];

	if (t->quiet)
		return;
	inet_ntop(AF_INET, &s->client, ip, sizeof(ip));
	printf("%s %s client=%s:%u port=%u flow=%014" PRIx64,
	    s->kind == NETCFG_WATCH_REQUEST ? "request" : "answer",
	    s->proto == IPPROTO_TCP ? "tcp" : "udp", ip, s->client_port,
	    s->port, s->flow);
	if (s->kind == NETCFG_WATCH_ANSWER)
		printf(" rst=%d", s->rst ? 1 : 0);
	printf("\n");
	fflush(stdout);
}

static void
print_stats(struct tool *t)
{
	struct netcfg_watch_stats st;

	netcfg_watch_get_stats(t->w, &st);
	printf("stats frames=%" PRIu64 " requests=%" PRIu64 " answers=%" PRIu64
	       " ignored=%" PRIu64 " drops=%" PRIu64 "\n",
	    st.frames, st.requests, st.answers, st.ignored, st.drops);
	fflush(stdout);
}

static void
signal_cb(evutil_socket_t sig, short what, void *arg)
{
	struct tool *t = arg;
	bool on;

	(void)what;
	if (sig == SIGUSR1) {
		print_stats(t);
	} else if (sig == SIGUSR2) {
		on = !netcfg_watch_is_enabled(t->w);
		if (netcfg_watch_set_enabled(t->w, on) == -1)
			exit(1);
		printf("enabled %d\n", on ? 1 : 0);
		fflush(stdout);
	} else {
		print_stats(t);
		event_base_loopbreak(t->base);
	}
}

static int
parse_port(const char *s, struct netcfg_watch_port *p)
{
	char *end;
	unsigned long n;

	if (strncmp(s, "tcp:", 4) == 0)
		p->proto = IPPROTO_TCP;
	else if (strncmp(s, "udp:", 4) == 0)
		p->proto = IPPROTO_UDP;
	else
		return -1;
	errno = 0;
	n = strtoul(s + 4, &end, 10);
	if (errno != 0 || *end != '\0' || n == 0 || n > 65535)
		return -1;
	p->port = (uint16_t)n;
	return 0;
}

static int
parse_conf(int argc, char **argv, struct netcfg_watch_conf *c)
{
	int i;

	memset(c, 0, sizeof(*c));
	if (argc < 3 || argc - 2 > NETCFG_WATCH_MAX_PORTS ||
	    snprintf(c->ifname, sizeof(c->ifname), "%s", argv[0]) >=
		(int)sizeof(c->ifname) ||
	    inet_pton(AF_INET, argv[1], &c->dmz) != 1)
		return -1;
	for (i = 2; i < argc; i++)
		if (parse_port(argv[i], &c->ports[c->n_ports++]) == -1)
			return -1;
	return 0;
}

static int
cmd_watch(int argc, char **argv)
{
	static const int sigs[] = {SIGUSR1, SIGUSR2, SIGTERM, SIGINT};
	struct netcfg_watch_conf c;
	struct event *ev[4];
	struct tool t;
	char err[160];
	size_t i;

	memset(&t, 0, sizeof(t));
	if (argc > 0 && strcmp(argv[0], "-q") == 0) {
		t.quiet = 1;
		argc--;
		argv++;
	}
	if (parse_conf(argc, argv, &c) == -1)
		return 2;
	t.base = event_base_new();
	if (t.base == NULL)
		return 1;
	t.w = netcfg_watch_new(t.base, &c, on_seen, &t, err, sizeof(err));
	if (t.w == NULL) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	for (i = 0; i < 4; i++) {
		ev[i] = evsignal_new(t.base, sigs[i], signal_cb, &t);
		if (ev[i] == NULL || event_add(ev[i], NULL) == -1)
			return 1;
	}
	printf("ready\n");
	fflush(stdout);
	event_base_dispatch(t.base);
	for (i = 0; i < 4; i++)
		event_free(ev[i]);
	netcfg_watch_free(t.w);
	event_base_free(t.base);
	return 0;
}

/* RFC 1071 sum over the TCP pseudo-header and the segment. */
static uint16_t
tcp_sum(struct in_addr src, struct in_addr dst, const uint8_t *seg, size_t n)
{
	uint32_t sum = 0;
	const uint8_t *a = (const uint8_t *)&src, *b = (const uint8_t *)&dst;
	size_t i;

	for (i = 0; i < 4; i += 2)
		sum += (uint32_t)(a[i] << 8 | a[i + 1]) +
		       (uint32_t)(b[i] << 8 | b[i + 1]);
	sum += IPPROTO_TCP + (uint32_t)n;
	for (i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)(seg[i] << 8 | seg[i + 1]);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static void
syn_make(uint8_t seg[20], struct in_addr src, struct in_addr dst,
    uint16_t sport, uint16_t dport)
{
	uint16_t sum;

	memset(seg, 0, 20);
	seg[0] = (uint8_t)(sport >> 8);
	seg[1] = (uint8_t)sport;
	seg[2] = (uint8_t)(dport >> 8);
	seg[3] = (uint8_t)dport;
	seg[4] = (uint8_t)sport; /* some sequence number */
	seg[12] = 5 << 4;	 /* data offset: 5 words */
	seg[13] = 0x02;		 /* SYN */
	seg[14] = 0xff;		 /* window */
	sum = tcp_sum(src, dst, seg, 20);
	seg[16] = (uint8_t)(sum >> 8);
	seg[17] = (uint8_t)sum;
}

static uint64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static int
cmd_flood(int argc, char **argv)
{
	struct in_addr src, dst;
	struct sockaddr_in to;
	unsigned long port, rate, ms, sent = 0, ok = 0, due, total;
	uint64_t t0, el;
	uint8_t seg[20];
	int fd;

	if (argc != 5 || inet_pton(AF_INET, argv[0], &src) != 1 ||
	    inet_pton(AF_INET, argv[1], &dst) != 1)
		return 2;
	port = strtoul(argv[2], NULL, 10);
	rate = strtoul(argv[3], NULL, 10);
	ms = strtoul(argv[4], NULL, 10);
	if (port == 0 || port > 65535 || rate == 0 || ms == 0)
		return 2;
	fd = socket(AF_INET, SOCK_RAW, IPPROTO_TCP);
	if (fd == -1) {
		perror("watch_tool: raw socket");
		return 1;
	}
	memset(&to, 0, sizeof(to));
	to.sin_family = AF_INET;
	to.sin_addr = dst;
	/*
	 * RATE*MS/1000 SYNs at RATE/s at most. A send the kernel refuses
	 * (ENOBUFS: the veth backlog is full on a busy machine) is tried
	 * again a tick later, so the whole count goes out, later if need
	 * be (up to 3*MS): the test's load does not shrink with the
	 * machine's speed.
	 */
	total = rate * ms / 1000;
	t0 = now_us();
	while (ok < total && (el = now_us() - t0) < 3 * ms * 1000) {
		due = (unsigned long)(el * rate / 1000000);
		for (; ok < due && ok < total; sent++) {
			syn_make(seg, src, dst, (uint16_t)(1024 + sent % 64000),
			    (uint16_t)port);
			if (sendto(fd, seg, sizeof(seg), 0,
				(struct sockaddr *)&to,
				sizeof(to)) != (ssize_t)sizeof(seg))
				break;
			ok++;
		}
		usleep(1000);
	}
	close(fd);
	printf("sent %lu\n", ok);
	return 0;
}

int
main(int argc, char **argv)
{
	log_init(1, 0, "watch_tool");
	signal(SIGPIPE, SIG_IGN);
	if (argc >= 2 && strcmp(argv[1], "watch") == 0)
		return cmd_watch(argc - 2, argv + 2);
	if (argc >= 2 && strcmp(argv[1], "flood") == 0)
		return cmd_flood(argc - 2, argv + 2);
	fprintf(stderr, "usage: watch_tool watch [-q] IF DMZ PORT...\n"
			"       watch_tool flood SRC DST PORT RATE MS\n");
	return 2;
}
