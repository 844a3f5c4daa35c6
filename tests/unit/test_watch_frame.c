#include "config.h"

#include <sys/socket.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "netcfg/watch.h"

#define DMZ 0x0a000064	  /* 10.0.0.100 */
#define CLIENT 0x0a000005 /* 10.0.0.5 */
#define OTHER 0x0a000007  /* 10.0.0.7 */
#define SYN 0x02
#define RST 0x04
#define PSH 0x08
#define ACK 0x10
#define FIN 0x01

static const uint8_t OUR_MAC[6] = {0x02, 0, 0, 0, 0x01, 0x02};
static const uint8_t HOLDER_MAC[6] = {0x02, 0, 0, 0, 0x01, 0x01};

/* One frame to build: IPv4 unless ethertype says otherwise. */
struct spec {
	uint32_t src, dst;
	uint8_t proto;
	uint16_t sport, dport;
	uint8_t flags;	    /* TCP */
	unsigned ihl;	    /* 32-bit words; 0: 5 */
	uint16_t frag;	    /* flags and offset field */
	uint16_t ethertype; /* 0: IPv4 */
	bool vlan;	    /* an 802.1Q tag before the IPv4 EtherType */
	const uint8_t *smac;
	size_t payload;	 /* bytes after the transport header */
	uint8_t version; /* 0: 4 */
};

static struct spec
tcp(uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport, uint8_t flags)
{
	struct spec s;

	memset(&s, 0, sizeof(s));
	s.src = src;
	s.dst = dst;
	s.proto = IPPROTO_TCP;
	s.sport = sport;
	s.dport = dport;
	s.flags = flags;
	return s;
}

static struct spec
udp(uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport)
{
	struct spec s = tcp(src, dst, sport, dport, 0);

	s.proto = IPPROTO_UDP;
	return s;
}

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void
put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

/* Writes the frame into buf (zeroed, at least 256 bytes); its length. */
static size_t
build(const struct spec *s, uint8_t *buf)
{
	unsigned ihl = s->ihl ? s->ihl : 5;
	size_t l4len = s->proto == IPPROTO_UDP ? 8 : 20;
	size_t off = 12, ip, l4;

	memset(buf, 0, 256);
	memcpy(buf, HOLDER_MAC, 6);
	memcpy(buf + 6, s->smac ? s->smac : (const uint8_t *)"\x02\0\0\0\0\x09",
	    6);
	if (s->vlan) {
		put16(buf + off, 0x8100);
		put16(buf + off + 2, 10);
		off += 4;
	}
	put16(buf + off, s->ethertype ? s->ethertype : 0x0800);
	ip = off + 2;
	buf[ip] = (uint8_t)((s->version ? s->version : 4) << 4 | ihl);
	put16(buf + ip + 2, (uint16_t)(ihl * 4 + l4len + s->payload));
	put16(buf + ip + 6, s->frag);
	buf[ip + 8] = 64;
	buf[ip + 9] = s->proto;
	put32(buf + ip + 12, s->src);
	put32(buf + ip + 16, s->dst);
	l4 = ip + ihl * 4;
	put16(buf + l4, s->sport);
	put16(buf + l4 + 2, s->dport);
	if (s->proto == IPPROTO_TCP) {
		buf[l4 + 12] = 5 << 4;
		buf[l4 + 13] = s->flags;
	} else {
		put16(buf + l4 + 4, (uint16_t)(8 + s->payload));
	}
	return l4 + l4len + s->payload;
}

static struct netcfg_watch_conf
conf_get(void)
{
	struct netcfg_watch_conf c;

	memset(&c, 0, sizeof(c));
	c.dmz.s_addr = htonl(DMZ);
	c.ports[0] = (struct netcfg_watch_port){IPPROTO_TCP, 80};
	c.ports[1] = (struct netcfg_watch_port){IPPROTO_TCP, 443};
	c.ports[2] = (struct netcfg_watch_port){IPPROTO_UDP, 53};
	c.n_ports = 3;
	memcpy(c.mac, OUR_MAC, 6);
	return c;
}

/* The classifier's verdict, and the kernel filter's (interpreted): they
 * must agree on every whole frame. */
static enum netcfg_watch_kind
classify(const struct spec *s, struct netcfg_watch_seen *out)
{
	struct netcfg_watch_conf c = conf_get();
	struct sock_filter prog[NETCFG_WATCH_BPF_MAX];
	struct netcfg_watch_seen ignored;
	uint8_t buf[256];
	size_t len = build(s, buf), n;
	enum netcfg_watch_kind k;
	long r;

	k = netcfg_watch_classify(buf, len, &c, out ? out : &ignored);
	n = netcfg_watch_bpf(&c, prog, NETCFG_WATCH_BPF_MAX);
	assert_true(n > 0);
	r = netcfg_watch_bpf_run(prog, n, buf, len);
	assert_int_equal(r, k == NETCFG_WATCH_IGNORE ? 0 : NETCFG_WATCH_SNAP);
	return k;
}

static void
a_syn_to_a_watched_port_is_a_request(void **state)
{
	struct spec s = tcp(CLIENT, DMZ, 40000, 80, SYN);
	struct netcfg_watch_seen w;

	(void)state;
	assert_int_equal(classify(&s, &w), NETCFG_WATCH_REQUEST);
	assert_int_equal(w.kind, NETCFG_WATCH_REQUEST);
	assert_int_equal(w.client.s_addr, htonl(CLIENT));
	assert_int_equal(w.client_port, 40000);
	assert_int_equal(w.port, 80);
	assert_int_equal(w.proto, IPPROTO_TCP);
	assert_false(w.rst);
	s.dport = 443;
	assert_int_equal(classify(&s, NULL), NETCFG_WATCH_REQUEST);
}

static void
the_flow_key_is_client_address_port_and_protocol(void **state)
{
	struct spec s = tcp(CLIENT, DMZ, 40000, 80, SYN);
	struct netcfg_watch_seen w;

	(void)state;
	classify(&s, &w);
	assert_true(w.flow == ((uint64_t)0x0a000005 << 24 |
				  (uint64_t)40000 << 8 | IPPROTO_TCP));
	s.proto = IPPROTO_UDP;
	s.dport = 53;
	classify(&s, &w);
	assert_true(w.flow == ((uint64_t)0x0a000005 << 24 |
				  (uint64_t)40000 << 8 | IPPROTO_UDP));
}

static void
the_syn_ack_from_the_dmz_is_an_answer_with_the_request_flow_key(void **state)
{
	struct spec req = tcp(CLIENT, DMZ, 40000, 80, SYN);
	struct spec ans = tcp(DMZ, CLIENT, 80, 40000, SYN | ACK);
	struct netcfg_watch_seen a, b;

	(void)state;
	assert_int_equal(classify(&req, &a), NETCFG_WATCH_REQUEST);
	assert_int_equal(classify(&ans, &b), NETCFG_WATCH_ANSWER);
	assert_true(a.flow == b.flow);
	assert_int_equal(b.port, 80);
	assert_int_equal(b.client_port, 40000);
	assert_int_equal(b.client.s_addr, htonl(CLIENT));
	assert_false(b.rst);
	/* Another client's answer has another key. */
	ans.dst = OTHER;
	classify(&ans, &b);
	assert_true(a.flow != b.flow);
}

static void
a_reset_from_the_dmz_is_an_answer(void **state)
{
	struct spec req = tcp(CLIENT, DMZ, 40001, 443, SYN);
	struct spec ans = tcp(DMZ, CLIENT, 443, 40001, RST | ACK);
	struct netcfg_watch_seen a, b;

	(void)state;
	classify(&req, &a);
	assert_int_equal(classify(&ans, &b), NETCFG_WATCH_ANSWER);
	assert_true(b.rst);
	assert_true(a.flow == b.flow);
	ans.flags = RST;
	assert_int_equal(classify(&ans, &b), NETCFG_WATCH_ANSWER);
	assert_true(b.rst);
}

static void
udp_to_and_from_a_watched_port_is_a_request_and_an_answer(void **state)
{
	struct spec req = udp(CLIENT, DMZ, 5555, 53);
	struct spec ans = udp(DMZ, CLIENT, 53, 5555);
	struct netcfg_watch_seen a, b;

	(void)state;
	req.payload = 30;
	ans.payload = 100;
	assert_int_equal(classify(&req, &a), NETCFG_WATCH_REQUEST);
	assert_int_equal(classify(&ans, &b), NETCFG_WATCH_ANSWER);
	assert_true(a.flow == b.flow);
	assert_int_equal(a.port, 53);
	assert_int_equal(b.port, 53);
	assert_false(b.rst);
}

static void
a_port_that_is_not_watched_is_ignored(void **state)
{
	struct spec s = tcp(CLIENT, DMZ, 40000, 8080, SYN);

	(void)state;
	assert_int_equal(classify(&s, NULL), NETCFG_WATCH_IGNORE);
	/* tcp:80 is watched, udp:80 is not; udp:53 is, tcp:53 is not. */
	s = udp(CLIENT, DMZ, 40000, 80);
	assert_int_equal(classify(&s, NULL), NETCFG_WATCH_IGNORE);
	s = tcp(CLIENT, DMZ, 40000, 53, SYN);
	assert_int_equal(classify(&s, NULL), NETCFG_WATCH_IGNORE);
	s = tcp(DMZ, CLIENT, 8080, 40000, SYN | ACK);
	assert_int_equal(classify(&s, NULL), NETCFG_WATCH_IGNORE);
	/* The client's port is not the service's: a SYN from port 80. */
	s = tcp(CLIENT, DMZ, 80, 9999, SYN);
	assert_int_equal(classify(&s, NULL), NETCFG_WATCH_IGNORE);
}

static void
segments_of_an_open_connection_are_ignored(void **state)
{
	static const uint8_t to_dmz[] = {
	    ACK, PSH | ACK, FIN | ACK, SYN | ACK, RST, RST | ACK, 0};
	static const uint8_t from_dmz[] = {ACK, PSH | ACK, FIN | ACK, SYN, 0};
	struct spec s;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(to_dmz); i++) {
		s = tcp(CLIENT, DMZ, 40000, 80, to_dmz[i]);
		assert_int_equal(classify(&s, NULL), NETCFG_WATCH_IGNORE);
	}
	for (i = 0; i < sizeof(from_dmz); i++) {
		s = tcp(DMZ, CLIENT, 80, 40000, from_dmz[i]);
		assert_int_equal(classify(&s, NULL), NETCFG_WATCH_IGNORE);
	}
}

static void
ip_options_are_skipped_to_find_the_ports(void **state)
{
	struct spec s = tcp(CLIENT, DMZ, 40000, 80, SYN);
	struct netcfg_watch_seen w;
	unsigned ihl;

	(void)state;
	for (ihl = 6; ihl <= 15; ihl++) {
		s.ihl = ihl;
		assert_int_equal(classify(&s, &w), NETCFG_WATCH_REQUEST);
		assert_int_equal(w.client_port, 40000);
		assert_int_equal(w.port, 80);
	}
	s = udp(DMZ, CLIENT, 53, 5555);
	s.ihl = 15;
	assert_int_equal(classify(&s, &w), NETCFG_WATCH_ANSWER);
	assert_int_equal(w.client_port, 5555);
}

static void
a_header_length_below_20_bytes_is_ignored(void **state)
{
	struct spec s = tcp(CLIENT, DMZ, 40000, 80, SYN);
	unsigned ihl;

	(void)state;
	for (ihl = 1; ihl < 5; ihl++) {
		s.ihl = ihl;
		assert_int_equal(classify(&s, NULL), NETCFG_WATCH_IGNORE);
	}
}

static void
only_first_fragments_are_classified(void **state)
{
	struct spec s = udp(CLIENT, DMZ, 5555, 53);

	(void)state;
	s.frag = 0x2000; /* more fragments, offset 0: the first */
	assert_int_equal(classify(&s, NULL), NETCFG_WATCH_REQUEST);
	s.frag = 0x4000; /* don't fragment */
	assert_int_equal(classify(&s, NULL), NETCFG_WATCH_REQUEST);
	s.frag = 0x2001; /* offset 8 bytes: its "ports" are payload */
	assert_int_equal(classify(&s, NULL), NETCFG_WATCH_IGNORE);
	s.frag = 0x00b9; /* the last fragment */
	assert_int_equal(classify(&s, NULL), NETCFG_WATCH_IGNORE);
	s.frag = 0x1fff;
	assert_int_equal(classify(&s, NULL), NETCFG_WATCH_IGNORE);
}

/* Every cut of s: IGNORE while the first need bytes of its transport
 * header are not all there, want from there on; the filter agrees. */
static void
check_cuts(const struct spec *s, size_t need, enum netcfg_watch_kind want)
{
	struct netcfg_watch_conf c = conf_get();
	struct sock_filter prog[NETCFG_WATCH_BPF_MAX];
	struct netcfg_watch_seen w;
	uint8_t buf[256];
	size_t len, cut, n = netcfg_watch_bpf(&c, prog, NETCFG_WATCH_BPF_MAX);
	enum netcfg_watch_kind k;

	len = build(s, buf);
	need += 14 + (s->ihl ? s->ihl : 5) * 4;
	for (cut = 0; cut <= len; cut++) {
		k = cut < need ? NETCFG_WATCH_IGNORE : want;
		assert_int_equal(netcfg_watch_classify(buf, cut, &c, &w), k);
		assert_int_equal(netcfg_watch_bpf_run(prog, n, buf, cut) != 0,
		    k != NETCFG_WATCH_IGNORE);
	}
}

/* Requests and answers, TCP (up to its flags) and UDP (both ports), for
 * each IHL. */
static void
every_truncation_of_the_headers_is_ignored(void **state)
{
	struct netcfg_watch_conf c = conf_get();
	struct netcfg_watch_seen w;
	struct spec s[4];
	unsigned ihl, i;

	(void)state;
	s[0] = tcp(CLIENT, DMZ, 40000, 80, SYN);
	s[1] = udp(CLIENT, DMZ, 5555, 53);
	s[2] = tcp(DMZ, CLIENT, 80, 40000, SYN | ACK);
	s[3] = udp(DMZ, CLIENT, 53, 5555);
	for (i = 0; i < 4; i++)
		for (ihl = 5; ihl <= 15; ihl++) {
			s[i].ihl = ihl;
			s[i].payload = 20;
			check_cuts(&s[i], i % 2 ? 4 : 14,
			    i < 2 ? NETCFG_WATCH_REQUEST : NETCFG_WATCH_ANSWER);
		}
	assert_int_equal(
	    netcfg_watch_classify(NULL, 0, &c, &w), NETCFG_WATCH_IGNORE);
}

/* The IP total length must hold the IP and transport headers. */
static void
a_total_length_shorter_than_the_headers_is_ignored(void **state)
{
	struct netcfg_watch_conf c = conf_get();
	struct netcfg_watch_seen w;
	struct spec s = tcp(CLIENT, DMZ, 40000, 80, SYN);
	uint8_t buf[256];
	size_t len = build(&s, buf);

	(void)state;
	put16(buf + 16, 39); /* 20 + 19: one byte short of a TCP header */
	assert_int_equal(
	    netcfg_watch_classify(buf, len, &c, &w), NETCFG_WATCH_IGNORE);
	put16(buf + 16, 40);
	assert_int_equal(
	    netcfg_watch_classify(buf, len, &c, &w), NETCFG_WATCH_REQUEST);
	put16(buf + 16, 10); /* below the IP header */
	assert_int_equal(
	    netcfg_watch_classify(buf, len, &c, &w), NETCFG_WATCH_IGNORE);
}

static void
vlan_tagged_frames_are_ignored(void **state)
{
	struct spec s = tcp(CLIENT, DMZ, 40000, 80, SYN);

	(void)state;
	s.vlan = true;
	assert_int_equal(classify(&s, NULL), NETCFG_WATCH_IGNORE);
	s.vlan = false;
	s.ethertype = 0x88a8; /* 802.1ad */
	assert_int_equal(classify(&s, NULL), NETCFG_WATCH_IGNORE);
}

static void
other_protocols_and_versions_are_ignored(void **state)
{
	struct spec s = tcp(CLIENT, DMZ, 40000, 80, SYN);

	(void)state;
	s.ethertype = 0x86dd;
	assert_int_equal(classify(&s, NULL), NETCFG_WATCH_IGNORE);
	s.ethertype = 0;
	s.version = 6;
	assert_int_equal(classify(&s, NULL), NETCFG_WATCH_IGNORE);
	s.version = 0;
	s.proto = IPPROTO_ICMP;
	assert_int_equal(classify(&s, NULL), NETCFG_WATCH_IGNORE);
	s.proto = 132; /* SCTP */
	assert_int_equal(classify(&s, NULL), NETCFG_WATCH_IGNORE);
}

static void
the_holder_talking_to_itself_is_ignored(void **state)
{
	struct spec s = tcp(DMZ, DMZ, 40000, 80, SYN);

	(void)state;
	assert_int_equal(classify(&s, NULL), NETCFG_WATCH_IGNORE);
	s = tcp(DMZ, DMZ, 80, 40000, SYN | ACK);
	assert_int_equal(classify(&s, NULL), NETCFG_WATCH_IGNORE);
	s = udp(DMZ, DMZ, 5555, 53);
	assert_int_equal(classify(&s, NULL), NETCFG_WATCH_IGNORE);
	/* Neither end the DMZ address: not ours to watch. */
	s = tcp(CLIENT, OTHER, 40000, 80, SYN);
	assert_int_equal(classify(&s, NULL), NETCFG_WATCH_IGNORE);
}

static void
frames_from_our_own_mac_are_ignored(void **state)
{
	struct netcfg_watch_conf c = conf_get();
	struct netcfg_watch_seen w;
	struct spec s = tcp(CLIENT, DMZ, 40000, 80, SYN);
	uint8_t buf[256];
	size_t len;

	(void)state;
	s.smac = OUR_MAC;
	assert_int_equal(classify(&s, NULL), NETCFG_WATCH_IGNORE);
	/* Another MAC differing in the last byte only is someone else. */
	s.smac = (const uint8_t *)"\x02\0\0\0\x01\x03";
	assert_int_equal(classify(&s, NULL), NETCFG_WATCH_REQUEST);
	/* ...and in the first four only. */
	s.smac = (const uint8_t *)"\x03\0\0\0\x01\x02";
	assert_int_equal(classify(&s, NULL), NETCFG_WATCH_REQUEST);
	/* No MAC in the conf: no check. */
	s.smac = OUR_MAC;
	len = build(&s, buf);
	memset(c.mac, 0, 6);
	assert_int_equal(
	    netcfg_watch_classify(buf, len, &c, &w), NETCFG_WATCH_REQUEST);
}

/* What the kernel copies (the snap length) decides as the whole frame. */
static void
the_snap_length_keeps_every_header_the_classifier_reads(void **state)
{
	struct netcfg_watch_conf c = conf_get();
	struct netcfg_watch_seen a, b;
	struct spec s = tcp(DMZ, CLIENT, 80, 40000, SYN | ACK);
	uint8_t buf[256];
	size_t len;

	(void)state;
	s.ihl = 15;
	s.payload = 100;
	len = build(&s, buf);
	assert_true(len > NETCFG_WATCH_SNAP);
	assert_int_equal(
	    netcfg_watch_classify(buf, len, &c, &a), NETCFG_WATCH_ANSWER);
	assert_int_equal(netcfg_watch_classify(buf, NETCFG_WATCH_SNAP, &c, &b),
	    NETCFG_WATCH_ANSWER);
	assert_true(a.flow == b.flow);
	assert_int_equal(a.port, b.port);
	assert_int_equal(a.client_port, b.client_port);
	assert_int_equal(a.rst, b.rst);
}

static void
ports_on_no_protocol_or_all_sixteen_build_a_filter(void **state)
{
	struct netcfg_watch_conf c = conf_get();
	struct sock_filter prog[NETCFG_WATCH_BPF_MAX];
	struct spec s = tcp(CLIENT, DMZ, 40000, 80, SYN);
	uint8_t buf[256];
	size_t n, i, len;

	(void)state;
	c.n_ports = 0;
	n = netcfg_watch_bpf(&c, prog, NETCFG_WATCH_BPF_MAX);
	assert_true(n > 0);
	len = build(&s, buf);
	assert_int_equal(netcfg_watch_bpf_run(prog, n, buf, len), 0);
	for (i = 0; i < NETCFG_WATCH_MAX_PORTS; i++)
		c.ports[i] = (struct netcfg_watch_port){
		    i % 2 ? IPPROTO_UDP : IPPROTO_TCP, (uint16_t)(1000 + i)};
	c.n_ports = NETCFG_WATCH_MAX_PORTS;
	n = netcfg_watch_bpf(&c, prog, NETCFG_WATCH_BPF_MAX);
	assert_true(n > 0);
	s.dport = 1014; /* the last TCP port */
	len = build(&s, buf);
	assert_int_equal(
	    netcfg_watch_bpf_run(prog, n, buf, len), NETCFG_WATCH_SNAP);
	s = udp(DMZ, CLIENT, 1015, 5555);
	len = build(&s, buf);
	assert_int_equal(
	    netcfg_watch_bpf_run(prog, n, buf, len), NETCFG_WATCH_SNAP);
	/* Too small a buffer is refused, not overrun. */
	assert_int_equal(netcfg_watch_bpf(&c, prog, n - 1), 0);
}

/* The kernel's checker accepts the program (any socket takes a filter;
 * no privilege needed). */
static void
the_kernel_accepts_the_filter(void **state)
{
	struct netcfg_watch_conf c = conf_get();
	struct sock_filter prog[NETCFG_WATCH_BPF_MAX];
	struct sock_fprog fp;
	int fd;

	(void)state;
	fp.len =
	    (unsigned short)netcfg_watch_bpf(&c, prog, NETCFG_WATCH_BPF_MAX);
	fp.filter = prog;
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd == -1)
		skip();
	assert_int_equal(
	    setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &fp, sizeof(fp)), 0);
	memset(c.mac, 0, 6);
	c.n_ports = 0;
	fp.len =
	    (unsigned short)netcfg_watch_bpf(&c, prog, NETCFG_WATCH_BPF_MAX);
	assert_int_equal(
	    setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &fp, sizeof(fp)), 0);
	close(fd);
}

/* ---- IPv6 ([dmz] address6) */

static const uint8_t DMZ6[16] = {
    0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02, 0x00};
static const uint8_t CLIENT6[16] = {
    0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01};

/* An IPv6 frame: TCP (flags) or UDP right after the fixed header, or
 * next as the next header (an extension header, say). */
static size_t
build6(const uint8_t *src, const uint8_t *dst, uint8_t proto, uint16_t sport,
    uint16_t dport, uint8_t flags, uint8_t *buf)
{
	size_t l4len = proto == IPPROTO_UDP ? 8 : 20;

	memset(buf, 0, 256);
	memcpy(buf, HOLDER_MAC, 6);
	memcpy(buf + 6, "\x02\0\0\0\0\x09", 6);
	put16(buf + 12, 0x86dd);
	buf[14] = 0x60;
	put16(buf + 18, (uint16_t)l4len);
	buf[20] = proto;
	buf[21] = 64;
	memcpy(buf + 22, src, 16);
	memcpy(buf + 38, dst, 16);
	put16(buf + 54, sport);
	put16(buf + 56, dport);
	if (proto == IPPROTO_TCP) {
		buf[54 + 12] = 5 << 4;
		buf[54 + 13] = flags;
	}
	return 54 + l4len;
}

/* The classifier and the kernel filter on an IPv6 frame, with dmz6 set
 * (or not). */
static enum netcfg_watch_kind
classify6(
    const uint8_t *buf, size_t len, bool with6, struct netcfg_watch_seen *out)
{
	struct netcfg_watch_conf c = conf_get();
	struct sock_filter prog[NETCFG_WATCH_BPF_MAX];
	struct netcfg_watch_seen ignored;
	enum netcfg_watch_kind k;
	size_t n;
	long r;

	if (with6)
		memcpy(&c.dmz6, DMZ6, 16);
	k = netcfg_watch_classify(buf, len, &c, out ? out : &ignored);
	n = netcfg_watch_bpf(&c, prog, NETCFG_WATCH_BPF_MAX);
	assert_true(n > 0);
	r = netcfg_watch_bpf_run(prog, n, buf, len);
	assert_int_equal(r, k == NETCFG_WATCH_IGNORE ? 0 : NETCFG_WATCH_SNAP);
	return k;
}

static uint32_t
fold(const uint8_t *a)
{
	uint32_t v = 0;
	int i;

	for (i = 0; i < 16; i += 4)
		v ^= (uint32_t)a[i] << 24 | (uint32_t)a[i + 1] << 16 |
		     (uint32_t)a[i + 2] << 8 | a[i + 3];
	return v;
}

static void
ipv6_requests_and_answers_of_the_dmz6_address_are_watched(void **state)
{
	uint8_t buf[256];
	struct netcfg_watch_seen w, a;
	size_t len;

	(void)state;
	len = build6(CLIENT6, DMZ6, IPPROTO_TCP, 40000, 80, SYN, buf);
	assert_int_equal(classify6(buf, len, true, &w), NETCFG_WATCH_REQUEST);
	assert_int_equal(w.family, 6);
	assert_memory_equal(&w.client6, CLIENT6, 16);
	assert_int_equal(w.client.s_addr, 0);
	assert_int_equal(w.client_port, 40000);
	assert_int_equal(w.port, 80);
	assert_true(w.flow == ((uint64_t)fold(CLIENT6) << 24 |
				  (uint64_t)40000 << 8 | IPPROTO_TCP));
	/* Without [dmz] address6 nothing IPv6 is watched. */
	assert_int_equal(classify6(buf, len, false, NULL), NETCFG_WATCH_IGNORE);
	len = build6(DMZ6, CLIENT6, IPPROTO_TCP, 80, 40000, SYN | ACK, buf);
	assert_int_equal(classify6(buf, len, true, &a), NETCFG_WATCH_ANSWER);
	assert_true(a.flow == w.flow);
	len = build6(DMZ6, CLIENT6, IPPROTO_TCP, 80, 40000, RST | ACK, buf);
	assert_int_equal(classify6(buf, len, true, &a), NETCFG_WATCH_ANSWER);
	assert_true(a.rst);
	len = build6(CLIENT6, DMZ6, IPPROTO_UDP, 5353, 53, 0, buf);
	assert_int_equal(classify6(buf, len, true, &w), NETCFG_WATCH_REQUEST);
	len = build6(DMZ6, CLIENT6, IPPROTO_UDP, 53, 5353, 0, buf);
	assert_int_equal(classify6(buf, len, true, &w), NETCFG_WATCH_ANSWER);
	/* An IPv4 request still is one with dmz6 set. */
	{
		struct netcfg_watch_conf c = conf_get();
		struct spec s = tcp(CLIENT, DMZ, 40000, 80, SYN);
		struct sock_filter prog[NETCFG_WATCH_BPF_MAX];
		size_t n;

		memcpy(&c.dmz6, DMZ6, 16);
		len = build(&s, buf);
		assert_int_equal(netcfg_watch_classify(buf, len, &c, &w),
		    NETCFG_WATCH_REQUEST);
		assert_int_equal(w.family, 4);
		n = netcfg_watch_bpf(&c, prog, NETCFG_WATCH_BPF_MAX);
		assert_int_equal(
		    netcfg_watch_bpf_run(prog, n, buf, len), NETCFG_WATCH_SNAP);
	}
}

static void
ipv6_frames_that_are_no_request_are_ignored(void **state)
{
	uint8_t buf[256];
	size_t len, i;

	(void)state;
	/* Established traffic, other ports, the holder to itself. */
	len = build6(CLIENT6, DMZ6, IPPROTO_TCP, 40000, 80, ACK, buf);
	assert_int_equal(classify6(buf, len, true, NULL), NETCFG_WATCH_IGNORE);
	len = build6(CLIENT6, DMZ6, IPPROTO_TCP, 40000, 22, SYN, buf);
	assert_int_equal(classify6(buf, len, true, NULL), NETCFG_WATCH_IGNORE);
	len = build6(DMZ6, DMZ6, IPPROTO_TCP, 40000, 80, SYN, buf);
	assert_int_equal(classify6(buf, len, true, NULL), NETCFG_WATCH_IGNORE);
	len = build6(CLIENT6, CLIENT6, IPPROTO_TCP, 40000, 80, SYN, buf);
	assert_int_equal(classify6(buf, len, true, NULL), NETCFG_WATCH_IGNORE);
	/* An extension header first (hop-by-hop, fragment): not read. */
	len = build6(CLIENT6, DMZ6, 0, 40000, 80, SYN, buf);
	assert_int_equal(classify6(buf, len, true, NULL), NETCFG_WATCH_IGNORE);
	len = build6(CLIENT6, DMZ6, 44, 40000, 80, SYN, buf);
	assert_int_equal(classify6(buf, len, true, NULL), NETCFG_WATCH_IGNORE);
	/* Version 4 in an IPv6 EtherType. */
	len = build6(CLIENT6, DMZ6, IPPROTO_TCP, 40000, 80, SYN, buf);
	buf[14] = 0x45;
	assert_int_equal(classify6(buf, len, true, NULL), NETCFG_WATCH_IGNORE);
	/* A payload length too short for TCP. */
	len = build6(CLIENT6, DMZ6, IPPROTO_TCP, 40000, 80, SYN, buf);
	put16(buf + 18, 19);
	assert_int_equal(classify6(buf, len, true, NULL), NETCFG_WATCH_IGNORE);
	/* Every truncation. */
	len = build6(CLIENT6, DMZ6, IPPROTO_TCP, 40000, 80, SYN, buf);
	for (i = 0; i < 54 + 14; i++)
		assert_int_equal(
		    classify6(buf, i, true, NULL), NETCFG_WATCH_IGNORE);
	/* From our own MAC. */
	memcpy(buf + 6, OUR_MAC, 6);
	assert_int_equal(classify6(buf, len, true, NULL), NETCFG_WATCH_IGNORE);
}

static void
the_kernel_accepts_the_filter_with_ipv6(void **state)
{
	struct netcfg_watch_conf c = conf_get();
	struct sock_filter prog[NETCFG_WATCH_BPF_MAX];
	struct sock_fprog fp;
	size_t i;
	int fd;

	(void)state;
	memcpy(&c.dmz6, DMZ6, 16);
	for (i = 0; i < NETCFG_WATCH_MAX_PORTS; i++)
		c.ports[i] = (struct netcfg_watch_port){
		    i % 2 ? IPPROTO_UDP : IPPROTO_TCP, (uint16_t)(1000 + i)};
	c.n_ports = NETCFG_WATCH_MAX_PORTS;
	fp.len =
	    (unsigned short)netcfg_watch_bpf(&c, prog, NETCFG_WATCH_BPF_MAX);
	assert_true(fp.len > 0);
	fp.filter = prog;
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd == -1)
		skip();
	assert_int_equal(
	    setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &fp, sizeof(fp)), 0);
	close(fd);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(a_syn_to_a_watched_port_is_a_request),
	    cmocka_unit_test(the_flow_key_is_client_address_port_and_protocol),
	    cmocka_unit_test(
		the_syn_ack_from_the_dmz_is_an_answer_with_the_request_flow_key),
	    cmocka_unit_test(a_reset_from_the_dmz_is_an_answer),
	    cmocka_unit_test(
		udp_to_and_from_a_watched_port_is_a_request_and_an_answer),
	    cmocka_unit_test(a_port_that_is_not_watched_is_ignored),
	    cmocka_unit_test(segments_of_an_open_connection_are_ignored),
	    cmocka_unit_test(ip_options_are_skipped_to_find_the_ports),
	    cmocka_unit_test(a_header_length_below_20_bytes_is_ignored),
	    cmocka_unit_test(only_first_fragments_are_classified),
	    cmocka_unit_test(every_truncation_of_the_headers_is_ignored),
	    cmocka_unit_test(
		a_total_length_shorter_than_the_headers_is_ignored),
	    cmocka_unit_test(vlan_tagged_frames_are_ignored),
	    cmocka_unit_test(other_protocols_and_versions_are_ignored),
	    cmocka_unit_test(the_holder_talking_to_itself_is_ignored),
	    cmocka_unit_test(frames_from_our_own_mac_are_ignored),
	    cmocka_unit_test(
		the_snap_length_keeps_every_header_the_classifier_reads),
	    cmocka_unit_test(
		ports_on_no_protocol_or_all_sixteen_build_a_filter),
	    cmocka_unit_test(the_kernel_accepts_the_filter),
	    cmocka_unit_test(
		ipv6_requests_and_answers_of_the_dmz6_address_are_watched),
	    cmocka_unit_test(ipv6_frames_that_are_no_request_are_ignored),
	    cmocka_unit_test(the_kernel_accepts_the_filter_with_ipv6),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
