#include "config.h"

#include "netcfg/watch.h"

#include <linux/if_packet.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <string.h>

/*
 * The frame as captured on an Ethernet interface: destination MAC (0),
 * source MAC (6), EtherType (12), then IPv4 (RFC 791) at 14. Offsets below
 * are from the start of the frame, or (L4_*) from the transport header.
 */
#define OFF_SRC_MAC 6
#define OFF_ETHERTYPE 12
#define OFF_IP 14
#define OFF_IP_TOTLEN (OFF_IP + 2)
#define OFF_IP_FRAG (OFF_IP + 6)
#define OFF_IP_PROTO (OFF_IP + 9)
#define OFF_IP_SRC (OFF_IP + 12)
#define OFF_IP_DST (OFF_IP + 16)
#define ETHERTYPE_IPV4 0x0800
#define ETHERTYPE_IPV6 0x86dd
#define IP6_LEN 40
#define OFF_IP6_PLEN (OFF_IP + 4)
#define OFF_IP6_NEXT (OFF_IP + 6)
#define OFF_IP6_SRC (OFF_IP + 8)
#define OFF_IP6_DST (OFF_IP + 24)
#define IP_FRAG_OFFSET 0x1fff /* non-zero: not the first fragment */
#define IP_MIN_HLEN 20
#define L4_SPORT 0
#define L4_DPORT 2
#define L4_TCP_FLAGS 13
#define TCP_MIN_LEN 20 /* IP payload for a whole TCP header */
#define UDP_MIN_LEN 8
#define TCP_SYN 0x02
#define TCP_RST 0x04
#define TCP_ACK 0x10

/* The fields of one IPv4 frame the watcher looks at. */
struct hdr {
	uint32_t src, dst;	    /* host order; IPv6: the addresses folded */
	uint8_t family;		    /* 4 or 6 */
	const uint8_t *src6, *dst6; /* IPv6: into the frame */
	uint8_t proto;
	const uint8_t *l4;
	size_t l4_len;	    /* captured bytes from l4 on */
	size_t payload_len; /* IP total length minus the IP header */
};

static uint16_t
be16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

static uint32_t
be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static bool
is_zero_mac(const uint8_t *mac)
{
	static const uint8_t zero[6];

	return memcmp(mac, zero, 6) == 0;
}

/* An untagged IPv4 first fragment with room for its header; not ours. */
static bool
parse_ip(const uint8_t *f, size_t len, const struct netcfg_watch_conf *conf,
    struct hdr *h)
{
	size_t ihl, tot;

	if (f == NULL || len < OFF_IP + IP_MIN_HLEN)
		return false;
	if (be16(f + OFF_ETHERTYPE) != ETHERTYPE_IPV4)
		return false;
	if (!is_zero_mac(conf->mac) &&
	    memcmp(f + OFF_SRC_MAC, conf->mac, 6) == 0)
		return false;
	if ((f[OFF_IP] & 0xf0) != 0x40)
		return false;
	if ((be16(f + OFF_IP_FRAG) & IP_FRAG_OFFSET) != 0)
		return false;
	ihl = (size_t)(f[OFF_IP] & 0x0f) * 4;
	tot = be16(f + OFF_IP_TOTLEN);
	if (ihl < IP_MIN_HLEN || len < OFF_IP + ihl || tot < ihl)
		return false;
	h->family = 4;
	h->src = be32(f + OFF_IP_SRC);
	h->dst = be32(f + OFF_IP_DST);
	h->proto = f[OFF_IP_PROTO];
	h->l4 = f + OFF_IP + ihl;
	h->l4_len = len - OFF_IP - ihl;
	h->payload_len = tot - ihl;
	return true;
}

static bool
is_zero16(const uint8_t *a)
{
	static const uint8_t zero[16];

	return memcmp(a, zero, 16) == 0;
}

static uint32_t
fold6(const uint8_t *a)
{
	return be32(a) ^ be32(a + 4) ^ be32(a + 8) ^ be32(a + 12);
}

/* An untagged IPv6 frame of TCP or UDP right after the fixed header (no
 * extension headers, so no fragments either); not ours. */
static bool
parse_ip6(const uint8_t *f, size_t len, const struct netcfg_watch_conf *conf,
    struct hdr *h)
{
	if (f == NULL || len < OFF_IP + IP6_LEN)
		return false;
	if (be16(f + OFF_ETHERTYPE) != ETHERTYPE_IPV6)
		return false;
	if (!is_zero_mac(conf->mac) &&
	    memcmp(f + OFF_SRC_MAC, conf->mac, 6) == 0)
		return false;
	if ((f[OFF_IP] & 0xf0) != 0x60)
		return false;
	h->family = 6;
	h->src6 = f + OFF_IP6_SRC;
	h->dst6 = f + OFF_IP6_DST;
	h->src = fold6(h->src6);
	h->dst = fold6(h->dst6);
	h->proto = f[OFF_IP6_NEXT];
	h->l4 = f + OFF_IP + IP6_LEN;
	h->l4_len = len - OFF_IP - IP6_LEN;
	h->payload_len = be16(f + OFF_IP6_PLEN);
	return true;
}

static bool
port_watched(const struct netcfg_watch_conf *conf, uint8_t proto, uint16_t p)
{
	size_t i, n = conf->n_ports;

	if (n > NETCFG_WATCH_MAX_PORTS)
		n = NETCFG_WATCH_MAX_PORTS;
	for (i = 0; i < n; i++)
		if (conf->ports[i].proto == proto && conf->ports[i].port == p)
			return true;
	return false;
}

/* TCP up to its flags, or the UDP ports, captured and within the packet. */
static bool
l4_complete(const struct hdr *h)
{
	if (h->proto == IPPROTO_TCP)
		return h->payload_len >= TCP_MIN_LEN &&
		       h->l4_len >= L4_TCP_FLAGS + 1;
	if (h->proto == IPPROTO_UDP)
		return h->payload_len >= UDP_MIN_LEN && h->l4_len >= 4;
	return false;
}

static enum netcfg_watch_kind
found(enum netcfg_watch_kind kind, uint32_t client, uint16_t client_port,
    const struct hdr *h, struct netcfg_watch_seen *out)
{
	out->kind = kind;
	out->flow =
	    (uint64_t)client << 24 | (uint64_t)client_port << 8 | h->proto;
	out->client.s_addr = htonl(client);
	out->client_port = client_port;
	out->proto = h->proto;
	out->rst = kind == NETCFG_WATCH_ANSWER && h->proto == IPPROTO_TCP &&
		   (h->l4[L4_TCP_FLAGS] & TCP_RST) != 0;
	out->family = h->family;
	memset(&out->client6, 0, sizeof(out->client6));
	if (h->family == 6) {
		out->client.s_addr = 0;
		memcpy(&out->client6,
		    kind == NETCFG_WATCH_REQUEST ? h->src6 : h->dst6, 16);
	}
	return kind;
}

/* client -> DMZ: a connection attempt (SYN, not ACK) or a UDP datagram. */
static enum netcfg_watch_kind
request(const struct hdr *h, const struct netcfg_watch_conf *conf,
    struct netcfg_watch_seen *out)
{
	uint16_t dport = be16(h->l4 + L4_DPORT);

	if (h->proto == IPPROTO_TCP &&
	    (h->l4[L4_TCP_FLAGS] & (TCP_SYN | TCP_ACK)) != TCP_SYN)
		return NETCFG_WATCH_IGNORE;
	if (!port_watched(conf, h->proto, dport))
		return NETCFG_WATCH_IGNORE;
	out->port = dport;
	return found(
	    NETCFG_WATCH_REQUEST, h->src, be16(h->l4 + L4_SPORT), h, out);
}

/* DMZ -> client: SYN-ACK or RST (any ACK bit), or a UDP datagram. */
static enum netcfg_watch_kind
answer(const struct hdr *h, const struct netcfg_watch_conf *conf,
    struct netcfg_watch_seen *out)
{
	uint16_t sport = be16(h->l4 + L4_SPORT);
	uint8_t fl;

	if (h->proto == IPPROTO_TCP) {
		fl = h->l4[L4_TCP_FLAGS];
		if ((fl & TCP_RST) == 0 &&
		    (fl & (TCP_SYN | TCP_ACK)) != (TCP_SYN | TCP_ACK))
			return NETCFG_WATCH_IGNORE;
	}
	if (!port_watched(conf, h->proto, sport))
		return NETCFG_WATCH_IGNORE;
	out->port = sport;
	return found(
	    NETCFG_WATCH_ANSWER, h->dst, be16(h->l4 + L4_DPORT), h, out);
}

enum netcfg_watch_kind
netcfg_watch_classify(const uint8_t *frame, size_t len,
    const struct netcfg_watch_conf *conf, struct netcfg_watch_seen *out)
{
	uint32_t dmz = ntohl(conf->dmz.s_addr);
	struct hdr h;

	out->kind = NETCFG_WATCH_IGNORE;
	if (!is_zero16(conf->dmz6.s6_addr) && parse_ip6(frame, len, conf, &h)) {
		const uint8_t *d6 = conf->dmz6.s6_addr;
		bool to = memcmp(h.dst6, d6, 16) == 0;
		bool from = memcmp(h.src6, d6, 16) == 0;

		if (!l4_complete(&h))
			return NETCFG_WATCH_IGNORE;
		if (to && !from)
			return request(&h, conf, out);
		if (from && !to)
			return answer(&h, conf, out);
		return NETCFG_WATCH_IGNORE;
	}
	if (!parse_ip(frame, len, conf, &h) || !l4_complete(&h))
		return NETCFG_WATCH_IGNORE;
	/* The holder talking to itself is neither a request nor an answer. */
	if (h.dst == dmz && h.src != dmz)
		return request(&h, conf, out);
	if (h.src == dmz && h.dst != dmz)
		return answer(&h, conf, out);
	return NETCFG_WATCH_IGNORE;
}

/*
 * ---- The BPF program (classic BPF, SO_ATTACH_FILTER)
 *
 * The same decisions as netcfg_watch_classify(), in the same order:
 *
 *	ldh [12]; jeq #0x800           IPv4 only
 *	ld vlan_tag_present; jeq #0    no VLAN tag (in the skb's metadata)
 *	ld pkttype; jeq #outgoing      not sent by this host
 *	ld [6]; ldh [10]               not from our MAC (if we know it)
 *	ldb [14]; and #0xf0; jeq #0x40 version 4
 *	ldh [20]; jset #0x1fff         first fragment only
 *	ldxb 4*([14]&0xf); txa; jge #20   X = IP header length, at least 20
 *	ldh [16]; jge x; sub x; st M[0]   M[0] = IP payload length
 *	ld [30]; jeq #dmz -> req       to the DMZ address,
 *	ld [26]; jeq #dmz -> ans       or from it, else drop
 *   req: ld [26]; jeq #dmz -> drop    not the holder to itself
 *	ldb [23]; jeq #6 -> req_tcp; jeq #17 -> req_udp
 *   req_tcp: M[0] >= 20; ldb [x+27]; and #0x12; jeq #0x02 (SYN, no ACK);
 *	ldh [x+16]; jeq #port1 -> pass ... jeq #portN -> pass; drop
 *   req_udp: M[0] >= 8; ldh [x+16]; jeq #port... -> pass
 *   ans: ldb [23]; jeq #6 -> ans_tcp; jeq #17 -> ans_udp
 *   ans_tcp: M[0] >= 20; ldb [x+27]; jset #0x04 (RST) -> sport;
 *	and #0x12; jeq #0x12 (SYN-ACK); sport: ldh [x+14]; jeq #port...
 *   ans_udp: M[0] >= 8; ldh [x+16] (captured?); ldh [x+14]; jeq #port...
 *   pass: ret #NETCFG_WATCH_SNAP
 *   drop: ret #0
 *
 * A protocol with no watched port gets "ret #0" as its section. Jumps
 * only go forward, at most 255 instructions (the longest program has
 * fewer than 100).
 */

enum label {
	L_NEXT = 0, /* fall through (jump offset 0) */
	L_LINK,
	L_IP,
	L_IP6,
	L_IP6_FROM,
	L_REQ6,
	L_ANS6,
	L_REQ,
	L_REQ_TCP,
	L_REQ_UDP,
	L_ANS,
	L_ANS_TCP,
	L_ANS_SPORT,
	L_ANS_UDP,
	L_PASS,
	L_DROP,
	L_COUNT
};

struct emit {
	struct sock_filter *prog;
	size_t max, n;
	uint8_t jt[NETCFG_WATCH_BPF_MAX], jf[NETCFG_WATCH_BPF_MAX];
	size_t at[L_COUNT]; /* where each label is; SIZE_MAX: not yet */
	bool overflow;
};

static void
op(struct emit *e, uint16_t code, uint32_t k, enum label jt, enum label jf)
{
	if (e->n >= e->max || e->n >= NETCFG_WATCH_BPF_MAX) {
		e->overflow = true;
		return;
	}
	e->prog[e->n] = (struct sock_filter){code, 0, 0, k};
	e->jt[e->n] = (uint8_t)jt;
	e->jf[e->n] = (uint8_t)jf;
	e->n++;
}

static void
stmt(struct emit *e, uint16_t code, uint32_t k)
{
	op(e, code, k, L_NEXT, L_NEXT);
}

static void
label(struct emit *e, enum label l)
{
	e->at[l] = e->n;
}

/* Replaces the labels of the jumps by offsets; false if one is missing
 * or too far. */
static bool
resolve(struct emit *e)
{
	size_t i, to[2];
	int j;

	for (i = 0; i < e->n; i++) {
		if (BPF_CLASS(e->prog[i].code) != BPF_JMP)
			continue;
		to[0] = e->jt[i] == L_NEXT ? i + 1 : e->at[e->jt[i]];
		to[1] = e->jf[i] == L_NEXT ? i + 1 : e->at[e->jf[i]];
		for (j = 0; j < 2; j++)
			if (to[j] == SIZE_MAX || to[j] <= i ||
			    to[j] - i - 1 > 255)
				return false;
		e->prog[i].jt = (uint8_t)(to[0] - i - 1);
		e->prog[i].jf = (uint8_t)(to[1] - i - 1);
	}
	return true;
}

/* A chain of compares of A with the ports of proto: pass on a match. */
static void
ports(struct emit *e, const struct netcfg_watch_conf *conf, uint8_t proto)
{
	size_t i;

	for (i = 0; i < conf->n_ports && i < NETCFG_WATCH_MAX_PORTS; i++)
		if (conf->ports[i].proto == proto)
			op(e, BPF_JMP | BPF_JEQ | BPF_K, conf->ports[i].port,
			    L_PASS, L_NEXT);
	stmt(e, BPF_RET | BPF_K, 0);
}

static size_t
n_ports(const struct netcfg_watch_conf *conf, uint8_t proto)
{
	size_t i, n = 0;

	for (i = 0; i < conf->n_ports && i < NETCFG_WATCH_MAX_PORTS; i++)
		n += conf->ports[i].proto == proto;
	return n;
}

/* M[0] (the IP payload length) >= min, else drop. */
static void
payload_at_least(struct emit *e, uint32_t min)
{
	stmt(e, BPF_LD | BPF_MEM, 0);
	op(e, BPF_JMP | BPF_JGE | BPF_K, min, L_NEXT, L_DROP);
}

static void
emit_link(struct emit *e, const struct netcfg_watch_conf *conf)
{
	const uint8_t *m = conf->mac;

	stmt(e, BPF_LD | BPF_H | BPF_ABS, OFF_ETHERTYPE);
	if (is_zero16(conf->dmz6.s6_addr)) {
		op(e, BPF_JMP | BPF_JEQ | BPF_K, ETHERTYPE_IPV4, L_NEXT,
		    L_DROP);
	} else {
		op(e, BPF_JMP | BPF_JEQ | BPF_K, ETHERTYPE_IPV4, L_LINK,
		    L_NEXT);
		op(e, BPF_JMP | BPF_JEQ | BPF_K, ETHERTYPE_IPV6, L_NEXT,
		    L_DROP);
	}
	label(e, L_LINK);
	stmt(e, BPF_LD | BPF_W | BPF_ABS,
	    (uint32_t)(SKF_AD_OFF + SKF_AD_VLAN_TAG_PRESENT));
	op(e, BPF_JMP | BPF_JEQ | BPF_K, 0, L_NEXT, L_DROP);
	stmt(e, BPF_LD | BPF_W | BPF_ABS,
	    (uint32_t)(SKF_AD_OFF + SKF_AD_PKTTYPE));
	op(e, BPF_JMP | BPF_JEQ | BPF_K, PACKET_OUTGOING, L_DROP, L_NEXT);
	if (!is_zero_mac(m)) {
		stmt(e, BPF_LD | BPF_W | BPF_ABS, OFF_SRC_MAC);
		op(e, BPF_JMP | BPF_JEQ | BPF_K, be32(m), L_NEXT, L_IP);
		stmt(e, BPF_LD | BPF_H | BPF_ABS, OFF_SRC_MAC + 4);
		op(e, BPF_JMP | BPF_JEQ | BPF_K, be16(m + 4), L_DROP, L_NEXT);
	}
}

static void
emit_ip(struct emit *e, const struct netcfg_watch_conf *conf, uint32_t dmz)
{
	label(e, L_IP);
	if (!is_zero16(conf->dmz6.s6_addr)) {
		stmt(e, BPF_LD | BPF_H | BPF_ABS, OFF_ETHERTYPE);
		op(e, BPF_JMP | BPF_JEQ | BPF_K, ETHERTYPE_IPV6, L_IP6, L_NEXT);
	}
	stmt(e, BPF_LD | BPF_B | BPF_ABS, OFF_IP);
	stmt(e, BPF_ALU | BPF_AND | BPF_K, 0xf0);
	op(e, BPF_JMP | BPF_JEQ | BPF_K, 0x40, L_NEXT, L_DROP);
	stmt(e, BPF_LD | BPF_H | BPF_ABS, OFF_IP_FRAG);
	op(e, BPF_JMP | BPF_JSET | BPF_K, IP_FRAG_OFFSET, L_DROP, L_NEXT);
	stmt(e, BPF_LDX | BPF_B | BPF_MSH, OFF_IP);
	stmt(e, BPF_MISC | BPF_TXA, 0);
	op(e, BPF_JMP | BPF_JGE | BPF_K, IP_MIN_HLEN, L_NEXT, L_DROP);
	stmt(e, BPF_LD | BPF_H | BPF_ABS, OFF_IP_TOTLEN);
	op(e, BPF_JMP | BPF_JGE | BPF_X, 0, L_NEXT, L_DROP);
	stmt(e, BPF_ALU | BPF_SUB | BPF_X, 0);
	stmt(e, BPF_ST, 0);
	stmt(e, BPF_LD | BPF_W | BPF_ABS, OFF_IP_DST);
	op(e, BPF_JMP | BPF_JEQ | BPF_K, dmz, L_REQ, L_NEXT);
	stmt(e, BPF_LD | BPF_W | BPF_ABS, OFF_IP_SRC);
	op(e, BPF_JMP | BPF_JEQ | BPF_K, dmz, L_ANS, L_DROP);
}

/* Four word compares of the address at off with a: all equal -> eq,
 * else -> ne. */
static void
addr6_cmp(struct emit *e, uint32_t off, const uint8_t *a, enum label eq,
    enum label ne)
{
	int i;

	for (i = 0; i < 4; i++) {
		stmt(e, BPF_LD | BPF_W | BPF_ABS, off + 4 * (uint32_t)i);
		op(e, BPF_JMP | BPF_JEQ | BPF_K, be32(a + 4 * i),
		    i == 3 ? eq : L_NEXT, ne);
	}
}

/*
 * The IPv6 branch, before the IPv4 sections it jumps into (jumps go
 * forward only): version 6, M[0] = the payload length, X = 40 (the fixed
 * header), then to the DMZ6 address and not from it -> the request
 * sections, from it and not to it -> the answer sections.
 *
 *	ldb [14]; and #0xf0; jeq #0x60
 *	ldh [18]; st M[0]; ldx #40
 *	[38..53] == dmz6 ? ([22..37] == dmz6 ? drop : req6) : from
 *   from: [22..37] == dmz6 ? ans6 : drop
 *   req6: ldb [20]; jeq #6 -> req_tcp; jeq #17 -> req_udp; drop
 *   ans6: ldb [20]; jeq #6 -> ans_tcp; jeq #17 -> ans_udp; drop
 */
static void
emit_ip6(struct emit *e, const struct netcfg_watch_conf *conf)
{
	const uint8_t *d6 = conf->dmz6.s6_addr;

	if (is_zero16(d6))
		return;
	label(e, L_IP6);
	stmt(e, BPF_LD | BPF_B | BPF_ABS, OFF_IP);
	stmt(e, BPF_ALU | BPF_AND | BPF_K, 0xf0);
	op(e, BPF_JMP | BPF_JEQ | BPF_K, 0x60, L_NEXT, L_DROP);
	stmt(e, BPF_LD | BPF_H | BPF_ABS, OFF_IP6_PLEN);
	stmt(e, BPF_ST, 0);
	stmt(e, BPF_LDX | BPF_W | BPF_IMM, IP6_LEN);
	addr6_cmp(e, OFF_IP6_DST, d6, L_NEXT, L_IP6_FROM);
	addr6_cmp(e, OFF_IP6_SRC, d6, L_DROP, L_REQ6);
	label(e, L_IP6_FROM);
	addr6_cmp(e, OFF_IP6_SRC, d6, L_ANS6, L_DROP);
	label(e, L_REQ6);
	stmt(e, BPF_LD | BPF_B | BPF_ABS, OFF_IP6_NEXT);
	op(e, BPF_JMP | BPF_JEQ | BPF_K, IPPROTO_TCP, L_REQ_TCP, L_NEXT);
	op(e, BPF_JMP | BPF_JEQ | BPF_K, IPPROTO_UDP, L_REQ_UDP, L_DROP);
	label(e, L_ANS6);
	stmt(e, BPF_LD | BPF_B | BPF_ABS, OFF_IP6_NEXT);
	op(e, BPF_JMP | BPF_JEQ | BPF_K, IPPROTO_TCP, L_ANS_TCP, L_NEXT);
	op(e, BPF_JMP | BPF_JEQ | BPF_K, IPPROTO_UDP, L_ANS_UDP, L_DROP);
}

static void
emit_requests(
    struct emit *e, const struct netcfg_watch_conf *conf, uint32_t dmz)
{
	label(e, L_REQ);
	stmt(e, BPF_LD | BPF_W | BPF_ABS, OFF_IP_SRC);
	op(e, BPF_JMP | BPF_JEQ | BPF_K, dmz, L_DROP, L_NEXT);
	stmt(e, BPF_LD | BPF_B | BPF_ABS, OFF_IP_PROTO);
	op(e, BPF_JMP | BPF_JEQ | BPF_K, IPPROTO_TCP, L_REQ_TCP, L_NEXT);
	op(e, BPF_JMP | BPF_JEQ | BPF_K, IPPROTO_UDP, L_REQ_UDP, L_DROP);
	label(e, L_REQ_TCP);
	if (n_ports(conf, IPPROTO_TCP) > 0) {
		payload_at_least(e, TCP_MIN_LEN);
		stmt(e, BPF_LD | BPF_B | BPF_IND, OFF_IP + L4_TCP_FLAGS);
		stmt(e, BPF_ALU | BPF_AND | BPF_K, TCP_SYN | TCP_ACK);
		op(e, BPF_JMP | BPF_JEQ | BPF_K, TCP_SYN, L_NEXT, L_DROP);
		stmt(e, BPF_LD | BPF_H | BPF_IND, OFF_IP + L4_DPORT);
	}
	ports(e, conf, IPPROTO_TCP);
	label(e, L_REQ_UDP);
	if (n_ports(conf, IPPROTO_UDP) > 0) {
		payload_at_least(e, UDP_MIN_LEN);
		stmt(e, BPF_LD | BPF_H | BPF_IND, OFF_IP + L4_DPORT);
	}
	ports(e, conf, IPPROTO_UDP);
}

static void
emit_answers(struct emit *e, const struct netcfg_watch_conf *conf)
{
	label(e, L_ANS);
	stmt(e, BPF_LD | BPF_B | BPF_ABS, OFF_IP_PROTO);
	op(e, BPF_JMP | BPF_JEQ | BPF_K, IPPROTO_TCP, L_ANS_TCP, L_NEXT);
	op(e, BPF_JMP | BPF_JEQ | BPF_K, IPPROTO_UDP, L_ANS_UDP, L_DROP);
	label(e, L_ANS_TCP);
	if (n_ports(conf, IPPROTO_TCP) > 0) {
		payload_at_least(e, TCP_MIN_LEN);
		stmt(e, BPF_LD | BPF_B | BPF_IND, OFF_IP + L4_TCP_FLAGS);
		op(e, BPF_JMP | BPF_JSET | BPF_K, TCP_RST, L_ANS_SPORT, L_NEXT);
		stmt(e, BPF_ALU | BPF_AND | BPF_K, TCP_SYN | TCP_ACK);
		op(e, BPF_JMP | BPF_JEQ | BPF_K, TCP_SYN | TCP_ACK, L_NEXT,
		    L_DROP);
		label(e, L_ANS_SPORT);
		stmt(e, BPF_LD | BPF_H | BPF_IND, OFF_IP + L4_SPORT);
	}
	ports(e, conf, IPPROTO_TCP);
	label(e, L_ANS_UDP);
	if (n_ports(conf, IPPROTO_UDP) > 0) {
		payload_at_least(e, UDP_MIN_LEN);
		/* Only a load: the client's port must have been captured, as
		 * the classifier reads it. */
		stmt(e, BPF_LD | BPF_H | BPF_IND, OFF_IP + L4_DPORT);
		stmt(e, BPF_LD | BPF_H | BPF_IND, OFF_IP + L4_SPORT);
	}
	ports(e, conf, IPPROTO_UDP);
}

size_t
netcfg_watch_bpf(
    const struct netcfg_watch_conf *conf, struct sock_filter *prog, size_t max)
{
	struct emit e;
	uint32_t dmz = ntohl(conf->dmz.s_addr);
	size_t i;

	memset(&e, 0, sizeof(e));
	e.prog = prog;
	e.max = max;
	for (i = 0; i < L_COUNT; i++)
		e.at[i] = SIZE_MAX;
	emit_link(&e, conf);
	emit_ip(&e, conf, dmz);
	emit_ip6(&e, conf);
	emit_requests(&e, conf, dmz);
	emit_answers(&e, conf);
	label(&e, L_PASS);
	stmt(&e, BPF_RET | BPF_K, NETCFG_WATCH_SNAP);
	label(&e, L_DROP);
	stmt(&e, BPF_RET | BPF_K, 0);
	if (e.overflow || !resolve(&e))
		return 0;
	return e.n;
}

/* ---- The interpreter (tests and fuzzing) */

struct vm {
	const uint8_t *pkt;
	size_t len;
	uint32_t a, x, mem[BPF_MEMWORDS];
};

/* A load of size bytes at off; false (the program returns 0) if past the
 * end. Ancillary loads: no VLAN tag, a frame for another host. */
static bool
vm_load(const struct vm *m, uint32_t off, unsigned size, uint32_t *v)
{
	if (size == 4 &&
	    off == (uint32_t)(SKF_AD_OFF + SKF_AD_VLAN_TAG_PRESENT)) {
		*v = 0;
		return true;
	}
	if (size == 4 && off == (uint32_t)(SKF_AD_OFF + SKF_AD_PKTTYPE)) {
		*v = PACKET_OTHERHOST;
		return true;
	}
	if (off > m->len || m->len - off < size)
		return false;
	*v = size == 4	 ? be32(m->pkt + off)
	     : size == 2 ? be16(m->pkt + off)
			 : m->pkt[off];
	return true;
}

static unsigned
ld_size(uint16_t code)
{
	switch (BPF_SIZE(code)) {
	case BPF_W:
		return 4;
	case BPF_H:
		return 2;
	default:
		return 1;
	}
}

/* One non-jump, non-return instruction; 0 ok, 1 out of packet, -1 bad. */
static int
vm_step(struct vm *m, const struct sock_filter *f)
{
	uint32_t v;

	switch (f->code) {
	case BPF_LD | BPF_W | BPF_ABS:
	case BPF_LD | BPF_H | BPF_ABS:
	case BPF_LD | BPF_B | BPF_ABS:
		return vm_load(m, f->k, ld_size(f->code), &m->a) ? 0 : 1;
	case BPF_LD | BPF_H | BPF_IND:
	case BPF_LD | BPF_B | BPF_IND:
		return vm_load(m, m->x + f->k, ld_size(f->code), &m->a) ? 0 : 1;
	case BPF_LDX | BPF_W | BPF_IMM:
		m->x = f->k;
		return 0;
	case BPF_LDX | BPF_B | BPF_MSH:
		if (!vm_load(m, f->k, 1, &v))
			return 1;
		m->x = (v & 0xf) * 4;
		return 0;
	case BPF_LD | BPF_MEM:
		m->a = m->mem[f->k % BPF_MEMWORDS];
		return 0;
	case BPF_ST:
		m->mem[f->k % BPF_MEMWORDS] = m->a;
		return 0;
	case BPF_MISC | BPF_TXA:
		m->a = m->x;
		return 0;
	case BPF_ALU | BPF_AND | BPF_K:
		m->a &= f->k;
		return 0;
	case BPF_ALU | BPF_SUB | BPF_X:
		m->a -= m->x;
		return 0;
	}
	return -1;
}

/* A jump's condition; -1 for an unknown one. */
static int
vm_cond(const struct vm *m, const struct sock_filter *f)
{
	switch (f->code) {
	case BPF_JMP | BPF_JEQ | BPF_K:
		return m->a == f->k;
	case BPF_JMP | BPF_JGE | BPF_K:
		return m->a >= f->k;
	case BPF_JMP | BPF_JGE | BPF_X:
		return m->a >= m->x;
	case BPF_JMP | BPF_JSET | BPF_K:
		return (m->a & f->k) != 0;
	}
	return -1;
}

long
netcfg_watch_bpf_run(
    const struct sock_filter *prog, size_t n, const uint8_t *pkt, size_t len)
{
	struct vm m;
	size_t pc = 0;
	int r;

	memset(&m, 0, sizeof(m));
	m.pkt = pkt;
	m.len = len;
	while (pc < n) {
		const struct sock_filter *f = &prog[pc++];

		if (f->code == (BPF_RET | BPF_K))
			return (long)f->k;
		if (BPF_CLASS(f->code) == BPF_JMP) {
			r = vm_cond(&m, f);
			if (r == -1)
				return -1;
			pc += r ? f->jt : f->jf;
			continue;
		}
		r = vm_step(&m, f);
		if (r != 0)
			return r == 1 ? 0 : -1;
	}
	return -1;
}
