/*
 * dns/dns_server.c — the responder's edge: UDP and TCP sockets on the
 * daemon's libevent loop. Each query takes a fresh snapshot of the site
 * (the view callback) and goes through the pure core (dns_resp.c); UDP
 * answers pass the rate limiter first. Nothing blocks: a UDP read event
 * handles a bounded batch, TCP connections are bounded in number, in
 * buffered bytes and in idle time.
 */
#include "config.h"

#include "dns/dns_resp.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>

#include "base/clock.h"
#include "base/xmalloc.h"

#define UDP_BATCH 32	  /* datagrams per read event, then the loop */
#define TCP_MAX_CONNS 32  /* open connections at once */
#define TCP_IDLE_S 10	  /* a connection that says nothing is closed */
#define TCP_OUT_MAX 65536 /* unread answers: stop reading until drained */
#define TCP_PER_READ 16	  /* queries handled per read callback */

struct udp_sock {
	struct dns_server *s;
	int fd;
	int family;
	struct event *ev;
};

struct tcp_conn {
	struct dns_server *s;
	struct bufferevent *bev;
};

struct dns_server {
	struct event_base *base;
	dns_view_fn view_fn;
	void *view_arg;
	struct udp_sock udp[DNS_LISTEN_MAX + 2];
	size_t n_udp;
	struct evconnlistener *tcp[DNS_LISTEN_MAX + 2];
	size_t n_tcp;
	size_t n_conns;
	struct tcp_conn *conns[TCP_MAX_CONNS];
	struct dns_rrl rrl;
	struct dns_stats st;
	struct dns_view view; /* the snapshot of the query at hand */
	uint8_t out[DNS_MSG_MAX + 2];
};

static void
count(struct dns_server *s, const struct dns_resp_info *info)
{
	if (info->rcode < 0) {
		s->st.dropped++;
		return;
	}
	s->st.answers++;
	if (info->truncated)
		s->st.truncated++;
	switch (info->rcode) {
	case 0:
		s->st.noerror++;
		break;
	case 1:
		s->st.formerr++;
		break;
	case 3:
		s->st.nxdomain++;
		break;
	case 4:
		s->st.notimp++;
		break;
	case 5:
		s->st.refused++;
		break;
	default:
		break;
	}
}

static size_t
answer(struct dns_server *s, const uint8_t *q, size_t qlen, unsigned flags,
    uint8_t *out, size_t outcap)
{
	struct dns_resp_info info;
	size_t n;

	s->view_fn(s->view_arg, &s->view);
	n = dns_resp_answer(&s->view, q, qlen, flags, out, outcap, &info);
	count(s, &info);
	return n;
}

/* ---- UDP ---- */

static void
client_of(const struct sockaddr_storage *ss, struct dns_addr *a)
{
	memset(a, 0, sizeof(*a));
	if (ss->ss_family == AF_INET) {
		a->family = 4;
		memcpy(a->b, &((const struct sockaddr_in *)ss)->sin_addr, 4);
	} else {
		const struct in6_addr *v6 =
		    &((const struct sockaddr_in6 *)ss)->sin6_addr;
		if (IN6_IS_ADDR_V4MAPPED(v6)) {
			a->family = 4;
			memcpy(a->b, v6->s6_addr + 12, 4);
		} else {
			a->family = 6;
			memcpy(a->b, v6->s6_addr, 16);
		}
	}
}

/* Sends out[0..n) back to the sender of m, from the address m came to. */
static void
reply(int fd, struct msghdr *m, const uint8_t *out, size_t n)
{
	union {
		struct cmsghdr h;
		uint8_t b[CMSG_SPACE(sizeof(struct in6_pktinfo))];
	} cout;
	struct iovec iov = {(void *)out, n};
	struct msghdr o = {.msg_name = m->msg_name,
	    .msg_namelen = m->msg_namelen,
	    .msg_iov = &iov,
	    .msg_iovlen = 1};
	struct cmsghdr *c, *oc;

	memset(&cout, 0, sizeof(cout));
	for (c = CMSG_FIRSTHDR(m); c != NULL; c = CMSG_NXTHDR(m, c)) {
		if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
			struct in_pktinfo pi;

			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			pi.ipi_spec_dst = pi.ipi_addr;
			pi.ipi_ifindex = 0;
			o.msg_control = cout.b;
			o.msg_controllen = CMSG_SPACE(sizeof(pi));
			oc = CMSG_FIRSTHDR(&o);
			oc->cmsg_level = IPPROTO_IP;
			oc->cmsg_type = IP_PKTINFO;
			oc->cmsg_len = CMSG_LEN(sizeof(pi));
			memcpy(CMSG_DATA(oc), &pi, sizeof(pi));
			break;
		}
		if (c->cmsg_level == IPPROTO_IPV6 &&
		    c->cmsg_type == IPV6_PKTINFO) {
			struct in6_pktinfo pi;

			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			o.msg_control = cout.b;
			o.msg_controllen = CMSG_SPACE(sizeof(pi));
			oc = CMSG_FIRSTHDR(&o);
			oc->cmsg_level = IPPROTO_IPV6;
			oc->cmsg_type = IPV6_PKTINFO;
			oc->cmsg_len = CMSG_LEN(sizeof(pi));
			memcpy(CMSG_DATA(oc), &pi, sizeof(pi));
			break;
		}
	}
	(void)sendmsg(fd, &o, MSG_DONTWAIT); /* a full buffer drops it */
}

static void
udp_cb(evutil_socket_t fd, short what, void *arg)
{
	struct udp_sock *u = arg;
	struct dns_server *s = u->s;
	uint8_t q[DNS_EDNS_SIZE * 4];
	union {
		struct cmsghdr h;
		uint8_t b[CMSG_SPACE(sizeof(struct in6_pktinfo)) +
			  CMSG_SPACE(sizeof(struct in_pktinfo))];
	} cin;
	int i;

	(void)what;
	for (i = 0; i < UDP_BATCH; i++) {
		struct sockaddr_storage from;
		struct iovec iov = {q, sizeof(q)};
		struct msghdr m = {.msg_name = &from,
		    .msg_namelen = sizeof(from),
		    .msg_iov = &iov,
		    .msg_iovlen = 1,
		    .msg_control = cin.b,
		    .msg_controllen = sizeof(cin.b)};
		struct dns_addr client;
		ssize_t r = recvmsg(fd, &m, MSG_DONTWAIT);
		size_t n;
		unsigned flags = 0;

		if (r < 0)
			return; /* EAGAIN, or an ICMP error: next event */
		s->st.queries_udp++;
		if ((m.msg_flags & MSG_TRUNC) != 0 || r < 12) {
			s->st.dropped++;
			continue;
		}
		client_of(&from, &client);
		switch (dns_rrl_check(&s->rrl, &client, clock_now_ms())) {
		case DNS_RRL_DROP:
			s->st.rrl_dropped++;
			continue;
		case DNS_RRL_SLIP_TC:
			s->st.rrl_slipped++;
			flags |= DNS_RESP_SLIP;
			break;
		case DNS_RRL_PASS:
			break;
		}
		n = answer(s, q, (size_t)r, flags, s->out, DNS_EDNS_SIZE);
		if (n == 0)
			continue;
		/* Answer from the address the query went to (the DMZ
		 * address is not the interface's first). */
		reply(fd, &m, s->out, n);
	}
}

/* ---- TCP: two-byte length, then the message (RFC 7766) ---- */

static void
conn_close(struct tcp_conn *c)
{
	size_t i;

	for (i = 0; i < TCP_MAX_CONNS; i++)
		if (c->s->conns[i] == c)
			c->s->conns[i] = NULL;
	c->s->n_conns--;
	bufferevent_free(c->bev);
	free(c);
}

static void
conn_read_cb(struct bufferevent *bev, void *arg)
{
	struct tcp_conn *c = arg;
	struct dns_server *s = c->s;
	struct evbuffer *in = bufferevent_get_input(bev);
	struct evbuffer *out = bufferevent_get_output(bev);
	uint8_t len[2];
	static uint8_t q[DNS_MSG_MAX];
	size_t n, qlen;
	int i;

	for (i = 0; i < TCP_PER_READ; i++) {
		if (evbuffer_get_length(out) > TCP_OUT_MAX) {
			/* A client that does not read: wait for it. */
			bufferevent_disable(bev, EV_READ);
			return;
		}
		if (evbuffer_copyout(in, len, 2) != 2)
			return;
		qlen = (size_t)len[0] << 8 | len[1];
		if (qlen < 12) {
			s->st.queries_tcp++;
			s->st.dropped++;
			conn_close(c);
			return;
		}
		if (evbuffer_get_length(in) < 2 + qlen)
			return;
		evbuffer_drain(in, 2);
		evbuffer_remove(in, q, qlen);
		s->st.queries_tcp++;
		n = answer(s, q, qlen, DNS_RESP_TCP, s->out + 2, DNS_MSG_MAX);
		if (n == 0)
			continue;
		s->out[0] = (uint8_t)(n >> 8);
		s->out[1] = (uint8_t)n;
		bufferevent_write(bev, s->out, n + 2);
	}
	/* More may be waiting: its turn comes after the loop's other work. */
	if (evbuffer_get_length(in) >= 2)
		bufferevent_trigger(bev, EV_READ,
		    BEV_TRIG_IGNORE_WATERMARKS | BEV_TRIG_DEFER_CALLBACKS);
}

static void
conn_write_cb(struct bufferevent *bev, void *arg)
{
	(void)arg;
	/* The output drained (low watermark 0): read again, starting with
	 * what the client sent meanwhile. */
	bufferevent_enable(bev, EV_READ);
	if (evbuffer_get_length(bufferevent_get_input(bev)) >= 2)
		bufferevent_trigger(bev, EV_READ,
		    BEV_TRIG_IGNORE_WATERMARKS | BEV_TRIG_DEFER_CALLBACKS);
}

static void
conn_event_cb(struct bufferevent *bev, short what, void *arg)
{
	(void)bev;
	(void)what; /* EOF, error or the idle timeout: all close */
	conn_close(arg);
}

static void
accept_cb(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
    int salen, void *arg)
{
	struct dns_server *s = arg;
	struct timeval idle = {TCP_IDLE_S, 0};
	struct tcp_conn *c;
	size_t i;

	(void)l;
	(void)sa;
	(void)salen;
	if (s->n_conns >= TCP_MAX_CONNS) {
		s->st.tcp_rejected++;
		evutil_closesocket(fd);
		return;
	}
	c = xcalloc(1, sizeof(*c));
	c->s = s;
	c->bev = bufferevent_socket_new(s->base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (c->bev == NULL) {
		evutil_closesocket(fd);
		free(c);
		return;
	}
	s->n_conns++;
	for (i = 0; i < TCP_MAX_CONNS; i++)
		if (s->conns[i] == NULL) {
			s->conns[i] = c;
			break;
		}
	/* At most one query and its length buffered beyond what we read. */
	bufferevent_setwatermark(c->bev, EV_READ, 0, 2 + DNS_MSG_MAX);
	bufferevent_setcb(
	    c->bev, conn_read_cb, conn_write_cb, conn_event_cb, c);
	bufferevent_set_timeouts(c->bev, &idle, &idle);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
}

/* ---- sockets ---- */

static void
sockaddr_of(const struct dns_addr *a, int family, uint16_t port,
    struct sockaddr_storage *ss, socklen_t *len)
{
	memset(ss, 0, sizeof(*ss));
	if (family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		if (a->family == 4)
			memcpy(&sin->sin_addr, a->b, 4);
		*len = sizeof(*sin);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		if (a->family == 6)
			memcpy(&sin6->sin6_addr, a->b, 16);
		*len = sizeof(*sin6);
	}
}

static void
fail_text(char *err, size_t errlen, const char *proto, const struct dns_addr *a,
    int family, uint16_t port)
{
	char t[INET6_ADDRSTRLEN] = "";
	int e = errno;

	if (a->family != 0)
		inet_ntop(family, a->b, t, sizeof(t));
	snprintf(err, errlen, "DNS %s port %u (%s%s%s): %s", proto, port,
	    family == AF_INET ? "IPv4" : "IPv6", t[0] != '\0' ? " " : "", t,
	    strerror(e));
}

static int
sock_prep(int fd, int family, bool specific)
{
	int one = 1;

	if (family == AF_INET6 &&
	    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) == -1)
		return -1;
	/* A specific address may be the DMZ address, held or not. */
	if (specific &&
	    setsockopt(fd, IPPROTO_IP, IP_FREEBIND, &one, sizeof(one)) == -1)
		return -1;
	return 0;
}

static int
open_udp(struct dns_server *s, const struct dns_addr *a, uint16_t port,
    int family, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int one = 1, fd;
	struct udp_sock *u = &s->udp[s->n_udp];

	fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1)
		goto fail;
	sockaddr_of(a, family, port, &ss, &len);
	if (sock_prep(fd, family, a->family != 0) == -1 ||
	    (family == AF_INET && setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one,
				      sizeof(one)) == -1) ||
	    (family == AF_INET6 &&
		setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one,
		    sizeof(one)) == -1) ||
	    bind(fd, (struct sockaddr *)&ss, len) == -1)
		goto fail;
	u->s = s;
	u->fd = fd;
	u->family = family;
	u->ev = event_new(s->base, fd, EV_READ | EV_PERSIST, udp_cb, u);
	event_add(u->ev, NULL);
	s->n_udp++;
	return 0;
fail:
	fail_text(err, errlen, "UDP", a, family, port);
	if (fd != -1)
		close(fd);
	return -1;
}

static int
open_tcp(struct dns_server *s, const struct dns_addr *a, uint16_t port,
    int family, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int one = 1, fd;
	struct evconnlistener *l;

	fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1)
		goto fail;
	sockaddr_of(a, family, port, &ss, &len);
	if (sock_prep(fd, family, a->family != 0) == -1 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == -1 ||
	    bind(fd, (struct sockaddr *)&ss, len) == -1)
		goto fail;
	l = evconnlistener_new(s->base, accept_cb, s,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, 64, fd);
	if (l == NULL)
		goto fail;
	s->tcp[s->n_tcp++] = l;
	return 0;
fail:
	fail_text(err, errlen, "TCP", a, family, port);
	if (fd != -1)
		close(fd);
	return -1;
}

struct dns_server *
dns_server_new(struct event_base *base, const struct dns_server_conf *cf,
    dns_view_fn fn, void *arg, char *err, size_t errlen)
{
	struct dns_server *s = xcalloc(1, sizeof(*s));
	static const struct dns_addr any; /* family 0: the wildcard */
	char e6[256];
	size_t i;

	s->base = base;
	s->view_fn = fn;
	s->view_arg = arg;
	dns_rrl_init(&s->rrl, cf->rrl);
	for (i = 0; i < cf->n_addrs && i < DNS_LISTEN_MAX; i++) {
		const struct dns_addr *a = &cf->addrs[i];
		int f = a->family == 4 ? AF_INET : AF_INET6;

		if (open_udp(s, a, cf->port, f, err, errlen) == -1 ||
		    open_tcp(s, a, cf->port, f, err, errlen) == -1) {
			dns_server_free(s);
			return NULL;
		}
	}
	if (cf->n_addrs > 0)
		return s;
	/* Every address: IPv4, and IPv6 where the host has it. */
	if (open_udp(s, &any, cf->port, AF_INET, err, errlen) == -1 ||
	    open_tcp(s, &any, cf->port, AF_INET, err, errlen) == -1) {
		dns_server_free(s);
		return NULL;
	}
	if (open_udp(s, &any, cf->port, AF_INET6, e6, sizeof(e6)) == 0 &&
	    open_tcp(s, &any, cf->port, AF_INET6, e6, sizeof(e6)) == -1) {
		snprintf(err, errlen, "%s", e6);
		dns_server_free(s);
		return NULL;
	}
	return s;
}

void
dns_server_free(struct dns_server *s)
{
	size_t i;

	if (s == NULL)
		return;
	for (i = 0; i < s->n_udp; i++) {
		event_free(s->udp[i].ev);
		close(s->udp[i].fd);
	}
	for (i = 0; i < s->n_tcp; i++)
		evconnlistener_free(s->tcp[i]);
	for (i = 0; i < TCP_MAX_CONNS; i++)
		if (s->conns[i] != NULL)
			conn_close(s->conns[i]);
	free(s);
}

void
dns_server_set_rrl(struct dns_server *s, uint32_t rate)
{
	if (s->rrl.rate != rate)
		dns_rrl_init(&s->rrl, rate);
}

void
dns_server_get_stats(const struct dns_server *s, struct dns_stats *out)
{
	*out = s->st;
	out->rrl_dropped = s->rrl.dropped;
	out->rrl_slipped = s->rrl.slipped;
}
