/*
 * tests/unit/test_disc_udp.c — the IPv4 UDP transport, on loopback only:
 * unicast to 127.0.0.1 on ephemeral ports, and the group joined on lo
 * (multicast to self stays on lo). Every wait has a deadline.
 */
#include "config.h"

#include <sys/socket.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/event.h>

#include "discovery/disc6.h"
#include "discovery/discovery.h"

#define MAX_RX 256
#define DEADLINE_MS 5000

struct rx {
	size_t len;
	uint8_t buf[2048];
	struct sockaddr_in src;
};

struct fx {
	struct event_base *base;
	struct event *tick; /* wakes the loop so deadlines are checked */
	struct rx rx[MAX_RX];
	size_t n_rx;
	struct disc_udp *free_me; /* freed by the callback on its first call */
	int plain;		  /* a plain UDP socket on 127.0.0.1 */
	size_t n_drop_ttl;	  /* on_drop calls for DISC_DROP_TTL */
	struct sockaddr_in drop_src;
};

static void
on_rx(void *arg, const uint8_t *buf, size_t len, const struct sockaddr_in *src)
{
	struct fx *f = arg;
	struct rx *r;

	if (f->free_me != NULL) {
		disc_udp_free(f->free_me);
		f->free_me = NULL;
	}
	if (f->n_rx == MAX_RX)
		return;
	r = &f->rx[f->n_rx++];
	r->len = len;
	memcpy(r->buf, buf, len < sizeof(r->buf) ? len : sizeof(r->buf));
	r->src = *src;
}

static void
on_drop(void *arg, enum disc_drop why, const struct sockaddr_in *src)
{
	struct fx *f = arg;

	if (why == DISC_DROP_TTL)
		f->n_drop_ttl++;
	f->drop_src = *src;
}

static void
tick_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
}

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Runs the loop until want datagrams arrived or the deadline passed. */
static void
run_until(struct fx *f, size_t want)
{
	uint64_t end = now_ms() + DEADLINE_MS;

	while (f->n_rx < want && now_ms() < end)
		event_base_loop(f->base, EVLOOP_ONCE);
}

static void
set_ttl(int fd, int ttl)
{
	assert_int_equal(
	    setsockopt(fd, IPPROTO_IP, IP_TTL, &ttl, sizeof(ttl)), 0);
}

static int
setup(void **state)
{
	static struct fx fx;
	struct fx *f = &fx;
	struct timeval tv = {0, 20000};
	struct sockaddr_in sin;

	memset(f, 0, sizeof(*f));
	f->base = event_base_new();
	assert_non_null(f->base);
	f->tick = event_new(f->base, -1, EV_PERSIST, tick_cb, NULL);
	assert_non_null(f->tick);
	assert_int_equal(event_add(f->tick, &tv), 0);
	f->plain = socket(AF_INET, SOCK_DGRAM, 0);
	assert_true(f->plain >= 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(
	    bind(f->plain, (struct sockaddr *)&sin, sizeof(sin)), 0);
	set_ttl(f->plain, 255); /* a member on the link, as GTSM wants */
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	close(f->plain);
	event_free(f->tick);
	event_base_free(f->base);
	return 0;
}

/* A unicast-only transport (no interface) on an ephemeral port. */
static struct disc_udp *
new_unicast(struct fx *f, uint16_t port)
{
	struct disc_udp_conf conf;
	char err[256] = "";
	struct disc_udp *d;

	disc_udp_conf_defaults(&conf);
	conf.port = port;
	conf.on_drop = on_drop;
	d = disc_udp_new(f->base, &conf, on_rx, f, err, sizeof(err));
	if (d == NULL)
		fail_msg("disc_udp_new: %s", err);
	return d;
}

static struct sockaddr_in
loopback(uint16_t port)
{
	struct sockaddr_in sin;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons(port);
	return sin;
}

static uint16_t
plain_port(const struct fx *f)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);

	assert_int_equal(
	    getsockname(f->plain, (struct sockaddr *)&sin, &len), 0);
	return ntohs(sin.sin_port);
}

static void
plain_send(struct fx *f, uint16_t port, const void *buf, size_t len)
{
	struct sockaddr_in to = loopback(port);

	assert_int_equal(
	    sendto(f->plain, buf, len, 0, (struct sockaddr *)&to, sizeof(to)),
	    (ssize_t)len);
}

static void
unicast_datagram_reaches_the_callback_with_its_source(void **state)
{
	struct fx *f = *state;
	struct disc_udp *a = new_unicast(f, 0), *b = new_unicast(f, 0);
	struct sockaddr_in to = loopback(disc_udp_get_port(a));
	struct disc_udp_stats st;

	assert_int_not_equal(disc_udp_get_port(a), 0);
	assert_int_equal(disc_udp_send(b, &to, "hello", 5), 0);
	run_until(f, 1);
	assert_int_equal(f->n_rx, 1);
	assert_int_equal(f->rx[0].len, 5);
	assert_memory_equal(f->rx[0].buf, "hello", 5);
	assert_int_equal(f->rx[0].src.sin_addr.s_addr, htonl(INADDR_LOOPBACK));
	assert_int_equal(ntohs(f->rx[0].src.sin_port), disc_udp_get_port(b));
	disc_udp_get_stats(a, &st);
	assert_int_equal(st.rx, 1);
	disc_udp_get_stats(b, &st);
	assert_int_equal(st.tx, 1);
	disc_udp_free(a);
	disc_udp_free(b);
}

static void
group_datagram_reaches_a_member_joined_on_loopback(void **state)
{
	struct fx *f = *state;
	struct disc_udp_conf conf;
	struct disc_udp *d;
	char err[256] = "";

	disc_udp_conf_defaults(&conf);
	conf.port = 0;
	conf.ifindex = if_nametoindex("lo");
	conf.flags = DISC_UDP_MCAST_LOOP;
	assert_int_not_equal(conf.ifindex, 0);
	d = disc_udp_new(f->base, &conf, on_rx, f, err, sizeof(err));
	if (d == NULL)
		fail_msg("disc_udp_new: %s", err);
	assert_int_equal(disc_udp_send(d, NULL, "group", 5), 0);
	run_until(f, 1);
	assert_true(f->n_rx >= 1);
	assert_int_equal(f->rx[0].len, 5);
	assert_memory_equal(f->rx[0].buf, "group", 5);
	assert_int_equal(ntohs(f->rx[0].src.sin_port), disc_udp_get_port(d));
	disc_udp_free(d);
}

static void
oversized_datagram_is_handed_up_whole_with_its_real_length(void **state)
{
	struct fx *f = *state;
	struct disc_udp *d = new_unicast(f, 0);
	uint8_t big[1500];
	struct disc_udp_stats st;
	size_t i;

	for (i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)i;
	plain_send(f, disc_udp_get_port(d), big, sizeof(big));
	plain_send(f, disc_udp_get_port(d), big, DISC_DGRAM_MAX);
	run_until(f, 2);
	assert_int_equal(f->n_rx, 2);
	assert_int_equal(f->rx[0].len, sizeof(big));
	assert_memory_equal(f->rx[0].buf, big, sizeof(big));
	assert_int_equal(f->rx[1].len, DISC_DGRAM_MAX);
	assert_int_equal(ntohs(f->rx[0].src.sin_port), plain_port(f));
	disc_udp_get_stats(d, &st);
	assert_int_equal(st.rx, 2);
	assert_int_equal(st.rx_oversize, 1);
	disc_udp_free(d);
}

static void
empty_datagram_is_handed_up_with_length_zero(void **state)
{
	struct fx *f = *state;
	struct disc_udp *d = new_unicast(f, 0);

	plain_send(f, disc_udp_get_port(d), "", 0);
	run_until(f, 1);
	assert_int_equal(f->n_rx, 1);
	assert_int_equal(f->rx[0].len, 0);
	disc_udp_free(d);
}

static void
second_instance_on_the_same_port_fails_and_says_why(void **state)
{
	struct fx *f = *state;
	struct disc_udp *a = new_unicast(f, 0), *b;
	struct disc_udp_conf conf;
	char err[256] = "", want[256];

	disc_udp_conf_defaults(&conf);
	conf.port = disc_udp_get_port(a);
	b = disc_udp_new(f->base, &conf, on_rx, f, err, sizeof(err));
	assert_null(b);
	/* One line naming the port and what holds it: here, this test. */
	snprintf(want, sizeof(want),
	    "discovery: bind 0.0.0.0:%u: Address already in use: held by "
	    "pid %d (",
	    (unsigned)conf.port, (int)getpid());
	assert_non_null(strstr(err, want));
	assert_non_null(strstr(err, "uid 0"));
	assert_null(strchr(err, '\n'));
	disc_udp_free(a);
}

static void
restarted_instance_binds_the_same_port_at_once_and_hears(void **state)
{
	struct fx *f = *state;
	struct disc_udp *a = new_unicast(f, 0);
	uint16_t port = disc_udp_get_port(a);

	plain_send(f, port, "old", 3);
	run_until(f, 1);
	assert_int_equal(f->n_rx, 1);
	disc_udp_free(a);
	a = new_unicast(f, port);
	assert_int_equal(disc_udp_get_port(a), port);
	plain_send(f, port, "new", 3);
	run_until(f, 2);
	assert_int_equal(f->n_rx, 2);
	assert_memory_equal(f->rx[1].buf, "new", 3);
	disc_udp_free(a);
}

static void
a_burst_is_drained_at_most_rx_burst_per_read_event(void **state)
{
	struct fx *f = *state;
	struct disc_udp *d = new_unicast(f, 0);
	const size_t n = DISC_RX_BURST + DISC_RX_BURST / 2;
	uint8_t msg[4];
	size_t i;

	for (i = 0; i < n; i++) {
		memcpy(msg, &i, sizeof(msg));
		plain_send(f, disc_udp_get_port(d), msg, sizeof(msg));
	}
	/* Loopback delivery is synchronous: all n are queued now. */
	event_base_loop(f->base, EVLOOP_ONCE);
	assert_int_equal(f->n_rx, DISC_RX_BURST);
	run_until(f, n);
	assert_int_equal(f->n_rx, n);
	for (i = 0; i < n; i++) {
		memcpy(msg, &i, sizeof(msg));
		assert_memory_equal(f->rx[i].buf, msg, sizeof(msg));
	}
	disc_udp_free(d);
}

static void
freeing_the_transport_from_its_callback_is_safe(void **state)
{
	struct fx *f = *state;
	struct disc_udp *d = new_unicast(f, 0);
	uint16_t port = disc_udp_get_port(d);

	f->free_me = d;
	plain_send(f, port, "one", 3);
	plain_send(f, port, "two", 3);
	plain_send(f, port, "three", 5);
	run_until(f, 1);
	assert_int_equal(f->n_rx, 1);
	/* Nothing more is read once freed, and the port is free again. */
	event_base_loop(f->base, EVLOOP_NONBLOCK);
	assert_int_equal(f->n_rx, 1);
	d = new_unicast(f, port);
	disc_udp_free(d);
}

static void
send_refuses_oversize_and_group_without_an_interface(void **state)
{
	struct fx *f = *state;
	struct disc_udp *d = new_unicast(f, 0);
	struct sockaddr_in to = loopback(plain_port(f));
	uint8_t big[DISC_DGRAM_MAX + 1] = {0};
	struct disc_udp_stats st;

	errno = 0;
	assert_int_equal(disc_udp_send(d, &to, big, sizeof(big)), -1);
	assert_int_equal(errno, EMSGSIZE);
	errno = 0;
	assert_int_equal(disc_udp_send(d, NULL, "x", 1), -1);
	assert_int_equal(errno, EDESTADDRREQ);
	assert_int_equal(disc_udp_send(d, &to, big, DISC_DGRAM_MAX), 0);
	disc_udp_get_stats(d, &st);
	assert_int_equal(st.tx, 1);
	assert_int_equal(st.tx_errors, 2);
	disc_udp_free(d);
}

static void
joining_on_a_missing_interface_fails_naming_it(void **state)
{
	struct fx *f = *state;
	struct disc_udp_conf conf;
	char err[256] = "";

	disc_udp_conf_defaults(&conf);
	conf.port = 0;
	conf.ifindex = 999999;
	assert_null(disc_udp_new(f->base, &conf, on_rx, f, err, sizeof(err)));
	assert_string_equal(err, "discovery: join 239.255.81.82 on ifindex "
				 "999999: No such device");
}

static void
a_group_that_is_not_multicast_is_refused(void **state)
{
	struct fx *f = *state;
	struct disc_udp_conf conf;
	char err[256] = "";

	disc_udp_conf_defaults(&conf);
	conf.port = 0;
	conf.ifindex = if_nametoindex("lo");
	inet_pton(AF_INET, "10.1.2.3", &conf.group);
	assert_null(disc_udp_new(f->base, &conf, on_rx, f, err, sizeof(err)));
	assert_string_equal(err, "discovery: group 10.1.2.3 is not multicast");
}

static void
defaults_are_the_design_group_and_port(void **state)
{
	struct disc_udp_conf conf;
	char buf[INET_ADDRSTRLEN];

	(void)state;
	disc_udp_conf_defaults(&conf);
	assert_string_equal(
	    inet_ntop(AF_INET, &conf.group, buf, sizeof(buf)), "239.255.81.82");
	assert_int_equal(conf.port, 5182);
	assert_int_equal(conf.ifindex, 0);
	assert_int_equal(conf.flags, 0);
	disc_udp_free(NULL);
}

/* RFC 5082 (GTSM): only a datagram sent with TTL 255 can come from the
 * link; one with less crossed a router (the DMZ's port forward). */
static void
datagram_with_a_ttl_below_255_is_dropped_and_counted(void **state)
{
	struct fx *f = *state;
	struct disc_udp *a = new_unicast(f, 0);
	uint16_t port = disc_udp_get_port(a);
	struct disc_udp_stats st;

	set_ttl(f->plain, 254);
	plain_send(f, port, "routed", 6);
	set_ttl(f->plain, 64);
	plain_send(f, port, "far", 3);
	set_ttl(f->plain, 255);
	plain_send(f, port, "link", 4);
	run_until(f, 1);
	assert_int_equal(f->n_rx, 1);
	assert_memory_equal(f->rx[0].buf, "link", 4);
	disc_udp_get_stats(a, &st);
	assert_int_equal(st.rx, 1);
	assert_int_equal(st.rx_dropped_ttl, 2);
	assert_int_equal(f->n_drop_ttl, 2);
	assert_int_equal(ntohs(f->drop_src.sin_port), plain_port(f));
	disc_udp_free(a);
}

/* What we send carries TTL 255, so that peers keep it. */
static void
our_datagrams_leave_with_ttl_255(void **state)
{
	struct fx *f = *state;
	struct disc_udp *b = new_unicast(f, 0);
	struct sockaddr_in to = loopback(plain_port(f));
	union {
		struct cmsghdr align;
		uint8_t b[CMSG_SPACE(sizeof(int))];
	} cbuf;
	struct iovec iov;
	struct msghdr msg;
	struct cmsghdr *c;
	char buf[16];
	int on = 1, ttl = -1;

	assert_int_equal(
	    setsockopt(f->plain, IPPROTO_IP, IP_RECVTTL, &on, sizeof(on)), 0);
	assert_int_equal(disc_udp_send(b, &to, "ttl", 3), 0);
	iov.iov_base = buf;
	iov.iov_len = sizeof(buf);
	memset(&msg, 0, sizeof(msg));
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = cbuf.b;
	msg.msg_controllen = sizeof(cbuf.b);
	assert_int_equal(recvmsg(f->plain, &msg, 0), 3);
	for (c = CMSG_FIRSTHDR(&msg); c != NULL; c = CMSG_NXTHDR(&msg, c))
		if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_TTL)
			memcpy(&ttl, CMSG_DATA(c), sizeof(ttl));
	assert_int_equal(ttl, 255);
	disc_udp_free(b);
}

/*
 * systemd socket activation (qured.socket): the socket systemd holds
 * across restarts, passed as fd 3 with LISTEN_PID and LISTEN_FDS. Moves
 * our fd 3 (the loop's) aside while the "systemd" one sits there.
 */
static struct disc_udp *
new_from_fd3(struct fx *f, struct event_base **base, uint16_t bound,
    uint16_t want, char *err, size_t errlen)
{
	struct sockaddr_in sin;
	struct disc_udp_conf conf;
	struct disc_udp *d;
	char pid[32];
	int s, saved;

	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(s >= 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(bound);
	assert_int_equal(bind(s, (struct sockaddr *)&sin, sizeof(sin)), 0);
	saved = dup(3);
	assert_true(saved >= 0);
	assert_int_equal(dup2(s, 3), 3);
	close(s);
	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	setenv("LISTEN_PID", pid, 1);
	setenv("LISTEN_FDS", "1", 1);
	/* f->base's epoll fd may be the 3 we just covered: a loop of its own.
	 */
	*base = event_base_new();
	assert_non_null(*base);
	disc_udp_conf_defaults(&conf);
	conf.port = want;
	conf.flags = DISC_UDP_SYSTEMD;
	d = disc_udp_new(*base, &conf, on_rx, f, err, errlen);
	assert_int_equal(dup2(saved, 3), 3);
	close(saved);
	assert_null(getenv("LISTEN_PID")); /* not for our children */
	assert_null(getenv("LISTEN_FDS"));
	return d;
}

/* A free UDP port on 0.0.0.0 (bound, then released). */
static uint16_t
free_port(void)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	int s = socket(AF_INET, SOCK_DGRAM, 0);

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	assert_int_equal(bind(s, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(getsockname(s, (struct sockaddr *)&sin, &len), 0);
	close(s);
	return ntohs(sin.sin_port);
}

static void
socket_from_systemd_is_used_instead_of_binding(void **state)
{
	struct fx *f = *state;
	uint16_t port = free_port();
	struct disc_udp *d, *again;
	struct disc_udp_conf conf;
	struct event_base *base;
	char err[256] = "";

	d = new_from_fd3(f, &base, port, port, err, sizeof(err));
	if (d == NULL)
		fail_msg("disc_udp_new: %s", err);
	assert_int_equal(disc_udp_get_port(d), port);
	plain_send(f, port, "sd", 2);
	event_base_loop(base, EVLOOP_ONCE); /* it is there: no wait */
	assert_int_equal(f->n_rx, 1);
	assert_memory_equal(f->rx[0].buf, "sd", 2);
	/* Without LISTEN_FDS the flag binds as usual: the port is taken. */
	disc_udp_conf_defaults(&conf);
	conf.port = port;
	conf.flags = DISC_UDP_SYSTEMD;
	again = disc_udp_new(f->base, &conf, on_rx, f, err, sizeof(err));
	assert_null(again);
	assert_non_null(strstr(err, "Address already in use"));
	disc_udp_free(d);
	event_base_free(base);
}

static void
socket_from_systemd_on_another_port_is_refused_naming_both(void **state)
{
	struct fx *f = *state;
	uint16_t port = free_port();
	struct event_base *base;
	char err[256] = "", want[256];

	assert_null(new_from_fd3(f, &base, port, 5182, err, sizeof(err)));
	event_base_free(base);
	snprintf(want, sizeof(want),
	    "discovery: the socket from systemd (qured.socket) is bound to "
	    "0.0.0.0:%u, not 0.0.0.0:5182 ([cluster] port)",
	    (unsigned)port);
	assert_non_null(strstr(err, want));
}

/* A UDP socket of family bound on the wildcard address, port. */
static int
wildcard_socket(int family, uint16_t port, int v6only)
{
	struct sockaddr_in sin = {.sin_family = AF_INET};
	struct sockaddr_in6 sin6 = {.sin6_family = AF_INET6};
	int s = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	assert_true(s >= 0);
	sin.sin_port = sin6.sin6_port = htons(port);
	if (family == AF_INET6) {
		assert_int_equal(setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY,
				     &v6only, sizeof(v6only)),
		    0);
		if (bind(s, (struct sockaddr *)&sin6, sizeof(sin6)) == -1) {
			close(s);
			return -1; /* no IPv6 here */
		}
		return s;
	}
	assert_int_equal(bind(s, (struct sockaddr *)&sin, sizeof(sin)), 0);
	return s;
}

/*
 * What systemd does with a socket unit of n ListenDatagram= lines: s[i]
 * at fd 3 + i, LISTEN_PID ours, LISTEN_FDS n. The test's own fds there
 * are kept in saved[] (restore_fds() puts them back).
 */
static void
pass_fds(int *s, int n, int *saved)
{
	char pid[32], fds[8];
	int i;

	for (i = 0; i < n; i++) {
		saved[i] = dup(3 + i);
		assert_true(saved[i] >= 0);
	}
	for (i = 0; i < n; i++) {
		assert_int_equal(dup2(s[i], 3 + i), 3 + i);
		close(s[i]);
	}
	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	snprintf(fds, sizeof(fds), "%d", n);
	setenv("LISTEN_PID", pid, 1);
	setenv("LISTEN_FDS", fds, 1);
}

static void
restore_fds(int *saved, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		assert_int_equal(dup2(saved[i], 3 + i), 3 + i);
		close(saved[i]);
	}
}

static void
on_rx6(
    void *arg, const uint8_t *buf, size_t len, const struct sockaddr_in6 *src)
{
	(void)arg, (void)buf, (void)len, (void)src;
}

/*
 * qured.socket with its IPv6 line: the IPv4 transport takes the IPv4
 * socket, the IPv6 one the other (binding the port itself would fail:
 * the passed socket holds it), whatever their order.
 */
static void
both_sockets_from_systemd_go_to_their_transports(void **state)
{
	struct fx *f = *state;
	uint16_t port = free_port();
	struct disc_udp_conf conf;
	struct disc_udp6_conf conf6;
	struct disc_udp *d;
	struct disc_udp6 *d6;
	struct event_base *base;
	char err[256] = "";
	int s[2], saved[2];

	s[0] = wildcard_socket(AF_INET6, port, 1);
	if (s[0] == -1)
		skip();
	s[1] = wildcard_socket(AF_INET, port, 0);
	pass_fds(s, 2, saved); /* IPv6 first: the order is the unit's */
	base = event_base_new();
	disc_udp_conf_defaults(&conf);
	conf.port = port;
	conf.flags = DISC_UDP_SYSTEMD;
	d = disc_udp_new(base, &conf, on_rx, f, err, sizeof(err));
	if (d == NULL)
		fail_msg("disc_udp_new: %s", err);
	assert_null(getenv("LISTEN_FDS")); /* not for our children */
	disc_udp6_conf_defaults(&conf6);
	conf6.port = port;
	conf6.flags = DISC_UDP_SYSTEMD;
	d6 = disc_udp6_new(base, &conf6, on_rx6, f, err, sizeof(err));
	restore_fds(saved, 2);
	if (d6 == NULL)
		fail_msg("disc_udp6_new: %s", err);
	assert_int_equal(disc_udp_get_port(d), port);
	assert_int_equal(disc_udp6_get_port(d6), port);
	disc_udp6_free(d6);
	disc_udp_free(d);
	event_base_free(base);
}

/* Two IPv4 sockets, or an IPv6 one that also takes IPv4: refused. */
static void
wrong_sockets_from_systemd_are_refused_saying_what(void **state)
{
	struct fx *f = *state;
	uint16_t port = free_port(), port2 = free_port();
	struct disc_udp_conf conf;
	struct disc_udp6_conf conf6;
	struct event_base *base = event_base_new();
	char err[256] = "";
	int s[2], saved[2];

	s[0] = wildcard_socket(AF_INET, port, 0);
	s[1] = wildcard_socket(AF_INET, port2, 0);
	pass_fds(s, 2, saved);
	disc_udp_conf_defaults(&conf);
	conf.port = port;
	conf.flags = DISC_UDP_SYSTEMD;
	assert_null(disc_udp_new(base, &conf, on_rx, f, err, sizeof(err)));
	restore_fds(saved, 2);
	assert_non_null(strstr(err, "two sockets of one family"));
	s[0] = wildcard_socket(AF_INET6, port2, 0); /* dual-stack */
	if (s[0] == -1) {
		event_base_free(base);
		skip();
	}
	pass_fds(s, 1, saved);
	disc_udp6_conf_defaults(&conf6);
	conf6.port = port2;
	conf6.flags = DISC_UDP_SYSTEMD;
	assert_null(disc_udp6_new(base, &conf6, on_rx6, f, err, sizeof(err)));
	restore_fds(saved, 1);
	assert_non_null(strstr(err, "BindIPv6Only=ipv6-only"));
	event_base_free(base);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    T(unicast_datagram_reaches_the_callback_with_its_source),
	    T(group_datagram_reaches_a_member_joined_on_loopback),
	    T(oversized_datagram_is_handed_up_whole_with_its_real_length),
	    T(empty_datagram_is_handed_up_with_length_zero),
	    T(second_instance_on_the_same_port_fails_and_says_why),
	    T(restarted_instance_binds_the_same_port_at_once_and_hears),
	    T(a_burst_is_drained_at_most_rx_burst_per_read_event),
	    T(freeing_the_transport_from_its_callback_is_safe),
	    T(send_refuses_oversize_and_group_without_an_interface),
	    T(joining_on_a_missing_interface_fails_naming_it),
	    T(a_group_that_is_not_multicast_is_refused),
	    T(datagram_with_a_ttl_below_255_is_dropped_and_counted),
	    T(our_datagrams_leave_with_ttl_255),
	    T(socket_from_systemd_is_used_instead_of_binding),
	    T(socket_from_systemd_on_another_port_is_refused_naming_both),
	    T(both_sockets_from_systemd_go_to_their_transports),
	    T(wrong_sockets_from_systemd_are_refused_saying_what),
	    cmocka_unit_test(defaults_are_the_design_group_and_port),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
