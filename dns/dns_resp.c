/*
 * dns/dns_resp.c — the responder's pure core: one query and a snapshot of
 * the site in, one answer out. ldns parses the query and builds the
 * answer; nothing here reads a clock, a socket or a global.
 *
 * What may cost: the header is checked before ldns sees the message (one
 * question, no answer or authority records, a few additional ones), so a
 * query that claims huge counts is a FORMERR of 12 bytes; whatever is
 * outside the zone gets a header and the question back, never more than
 * the query brought.
 */
#include "config.h"

#include "dns/dns_resp.h"

#include <stdio.h>
#include <string.h>

#include <ldns/ldns.h>

#define HDR 12
#define AR_MAX 4 /* OPT, TSIG, a cookie's friends: more is a FORMERR */
#define SOA_REFRESH 3600
#define SOA_RETRY 600
#define SOA_EXPIRE 86400

enum level {
	FULL,	  /* every section */
	NO_EXTRA, /* without the additional section (glue) */
	TC_ONLY,  /* header, question and TC */
};

static uint16_t
get16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

/* The answer of a query whose question cannot be trusted: header only. */
static size_t
header_only(const uint8_t *q, int rcode, uint8_t *out, size_t outcap,
    struct dns_resp_info *info)
{
	ldns_pkt *p = ldns_pkt_new();
	uint8_t *wire = NULL;
	size_t n = 0;

	if (p == NULL)
		return 0;
	ldns_pkt_set_id(p, get16(q));
	ldns_pkt_set_qr(p, true);
	ldns_pkt_set_opcode(p, (ldns_pkt_opcode)((q[2] >> 3) & 0x0f));
	ldns_pkt_set_rd(p, (q[2] & 0x01) != 0);
	ldns_pkt_set_rcode(p, (uint8_t)rcode);
	if (ldns_pkt2wire(&wire, p, &n) != LDNS_STATUS_OK || n > outcap)
		n = 0;
	else
		memcpy(out, wire, n);
	LDNS_FREE(wire);
	ldns_pkt_free(p);
	if (info != NULL)
		info->rcode = n > 0 ? rcode : -1;
	return n;
}

/* The absolute name "a.b." (b NULL: "a."). */
static ldns_rdf *
dname(const char *a, const char *b)
{
	char buf[2 * DNS_NAME_MAX + 4];
	int n = b != NULL ? snprintf(buf, sizeof(buf), "%s.%s.", a, b)
			  : snprintf(buf, sizeof(buf), "%s.", a);

	if (n < 0 || (size_t)n >= sizeof(buf))
		return NULL;
	return ldns_dname_new_frm_str(buf);
}

/* A member's name is one plain label (a peer's HELLO says what it is). */
static bool
label_ok(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > DNS_LABEL_MAX)
		return false;
	for (i = 0; i < n; i++) {
		char ch = s[i];
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
			(ch >= '0' && ch <= '9') || ch == '-' || ch == '_'))
			return false;
	}
	return true;
}

static bool
same(const ldns_rdf *a, const ldns_rdf *b)
{
	return a != NULL && b != NULL && ldns_dname_compare(a, b) == 0;
}

/* A new record owned by owner (copied) with the view's TTL. */
static ldns_rr *
rr_new(const struct dns_view *v, ldns_rr_type t, const ldns_rdf *owner)
{
	ldns_rr *rr = ldns_rr_new(); /* no rdata yet: we push it */

	if (rr == NULL)
		return NULL;
	ldns_rr_set_type(rr, t);
	ldns_rr_set_owner(rr, ldns_rdf_clone(owner));
	ldns_rr_set_class(rr, LDNS_RR_CLASS_IN);
	ldns_rr_set_ttl(rr, v->ttl);
	return rr;
}

static void
push(ldns_pkt *p, ldns_pkt_section s, ldns_rr *rr)
{
	if (rr != NULL && !ldns_pkt_push_rr(p, s, rr))
		ldns_rr_free(rr);
}

static ldns_rr *
rr_addr(
    const struct dns_view *v, const ldns_rdf *owner, const struct dns_addr *a)
{
	ldns_rr *rr;

	if (a->family == 4) {
		rr = rr_new(v, LDNS_RR_TYPE_A, owner);
		if (rr != NULL)
			ldns_rr_push_rdf(rr,
			    ldns_rdf_new_frm_data(LDNS_RDF_TYPE_A, 4, a->b));
	} else {
		rr = rr_new(v, LDNS_RR_TYPE_AAAA, owner);
		if (rr != NULL)
			ldns_rr_push_rdf(rr, ldns_rdf_new_frm_data(
						 LDNS_RDF_TYPE_AAAA, 16, a->b));
	}
	return rr;
}

/* A/AAAA records of addrs that match qtype (ANY: none, RFC 8482). */
static size_t
push_addrs(ldns_pkt *p, ldns_pkt_section s, const struct dns_view *v,
    const ldns_rdf *owner, const struct dns_addr *addrs, size_t n,
    ldns_rr_type qtype)
{
	size_t i, pushed = 0;

	for (i = 0; i < n; i++) {
		if ((addrs[i].family == 4 && qtype != LDNS_RR_TYPE_A) ||
		    (addrs[i].family == 6 && qtype != LDNS_RR_TYPE_AAAA) ||
		    (addrs[i].family != 4 && addrs[i].family != 6))
			continue;
		push(p, s, rr_addr(v, owner, &addrs[i]));
		pushed++;
	}
	return pushed;
}

static ldns_rr *
rr_soa(const struct dns_view *v, const ldns_rdf *apex)
{
	ldns_rr *rr = rr_new(v, LDNS_RR_TYPE_SOA, apex);

	if (rr == NULL)
		return NULL;
	ldns_rr_push_rdf(rr, ldns_rdf_clone(apex));
	ldns_rr_push_rdf(rr, dname("hostmaster", v->zone));
	ldns_rr_push_rdf(
	    rr, ldns_native2rdf_int32(LDNS_RDF_TYPE_INT32, v->serial));
	ldns_rr_push_rdf(
	    rr, ldns_native2rdf_int32(LDNS_RDF_TYPE_PERIOD, SOA_REFRESH));
	ldns_rr_push_rdf(
	    rr, ldns_native2rdf_int32(LDNS_RDF_TYPE_PERIOD, SOA_RETRY));
	ldns_rr_push_rdf(
	    rr, ldns_native2rdf_int32(LDNS_RDF_TYPE_PERIOD, SOA_EXPIRE));
	ldns_rr_push_rdf(
	    rr, ldns_native2rdf_int32(LDNS_RDF_TYPE_PERIOD, v->ttl));
	return rr;
}

static ldns_rr *
rr_ns(const struct dns_view *v, const ldns_rdf *apex)
{
	ldns_rr *rr = rr_new(v, LDNS_RR_TYPE_NS, apex);

	/* The zone's name server is the site itself: the apex's A. */
	if (rr != NULL)
		ldns_rr_push_rdf(rr, ldns_rdf_clone(apex));
	return rr;
}

static ldns_rr *
rr_txt(const struct dns_view *v, const ldns_rdf *owner, const char *text)
{
	ldns_rr *rr = rr_new(v, LDNS_RR_TYPE_TXT, owner);
	size_t n = strlen(text);
	uint8_t buf[1 + 255];

	if (rr == NULL)
		return NULL;
	if (n > 255)
		n = 255;
	buf[0] = (uint8_t)n;
	memcpy(buf + 1, text, n);
	ldns_rr_push_rdf(
	    rr, ldns_rdf_new_frm_data(LDNS_RDF_TYPE_STR, n + 1, buf));
	return rr;
}

/* RFC 8482: a small HINFO answers ANY. */
static ldns_rr *
rr_any(const struct dns_view *v, const ldns_rdf *owner)
{
	static const uint8_t cpu[] = {7, 'R', 'F', 'C', '8', '4', '8', '2'};
	static const uint8_t os[] = {0};
	ldns_rr *rr = rr_new(v, LDNS_RR_TYPE_HINFO, owner);

	if (rr == NULL)
		return NULL;
	ldns_rr_push_rdf(
	    rr, ldns_rdf_new_frm_data(LDNS_RDF_TYPE_STR, sizeof(cpu), cpu));
	ldns_rr_push_rdf(
	    rr, ldns_rdf_new_frm_data(LDNS_RDF_TYPE_STR, sizeof(os), os));
	return rr;
}

static void
push_srv(
    ldns_pkt *p, const struct dns_view *v, const ldns_rdf *owner, enum level lv)
{
	size_t i;

	for (i = 0; i < v->n_members; i++) {
		const struct dns_view_member *m = &v->members[i];
		ldns_rdf *target;
		ldns_rr *rr;

		if (!label_ok(m->name) ||
		    (target = dname(m->name, v->zone)) == NULL)
			continue;
		rr = rr_new(v, LDNS_RR_TYPE_SRV, owner);
		if (rr != NULL) {
			/* The holder first; the others after it. */
			ldns_rr_push_rdf(
			    rr, ldns_native2rdf_int16(LDNS_RDF_TYPE_INT16,
				    strcmp(m->name, v->holder) == 0 ? 0 : 10));
			ldns_rr_push_rdf(
			    rr, ldns_native2rdf_int16(LDNS_RDF_TYPE_INT16, 1));
			ldns_rr_push_rdf(
			    rr, ldns_native2rdf_int16(
				    LDNS_RDF_TYPE_INT16, v->srv_port));
			ldns_rr_push_rdf(rr, ldns_rdf_clone(target));
			push(p, LDNS_SECTION_ANSWER, rr);
		}
		if (lv == FULL) {
			push_addrs(p, LDNS_SECTION_ADDITIONAL, v, target,
			    m->addrs, m->n_addrs, LDNS_RR_TYPE_A);
			push_addrs(p, LDNS_SECTION_ADDITIONAL, v, target,
			    m->addrs, m->n_addrs, LDNS_RR_TYPE_AAAA);
		}
		ldns_rdf_deep_free(target);
	}
}

/*
 * The records of a name inside the zone. Returns the rcode; *found says
 * whether the name exists (NODATA: it does, with no record of qtype).
 */
static int
in_zone(ldns_pkt *p, const struct dns_view *v, const ldns_rdf *qname,
    const ldns_rdf *apex, ldns_rr_type qt, enum level lv)
{
	ldns_rdf *cloud = NULL, *srv = NULL, *udp = NULL, *mname;
	bool exists = false;
	size_t i, before = ldns_pkt_ancount(p);

	if (v->cloud_name[0] != '\0')
		cloud = dname(v->cloud_name, NULL);
	srv = dname("_qure._udp", v->zone);
	udp = dname("_udp", v->zone);

	if (same(qname, apex)) {
		exists = true;
		if (qt == LDNS_RR_TYPE_SOA)
			push(p, LDNS_SECTION_ANSWER, rr_soa(v, apex));
		else if (qt == LDNS_RR_TYPE_NS) {
			push(p, LDNS_SECTION_ANSWER, rr_ns(v, apex));
			if (lv == FULL) {
				push_addrs(p, LDNS_SECTION_ADDITIONAL, v, apex,
				    v->pub, v->n_pub, LDNS_RR_TYPE_A);
				push_addrs(p, LDNS_SECTION_ADDITIONAL, v, apex,
				    v->pub, v->n_pub, LDNS_RR_TYPE_AAAA);
			}
		} else if (qt == LDNS_RR_TYPE_TXT && v->holder[0] != '\0')
			push(p, LDNS_SECTION_ANSWER,
			    rr_txt(v, qname, v->holder));
		else if (qt == LDNS_RR_TYPE_ANY)
			push(p, LDNS_SECTION_ANSWER, rr_any(v, qname));
		else
			push_addrs(p, LDNS_SECTION_ANSWER, v, qname, v->pub,
			    v->n_pub, qt);
	} else if (same(qname, cloud)) {
		exists = true;
		if (qt == LDNS_RR_TYPE_ANY)
			push(p, LDNS_SECTION_ANSWER, rr_any(v, qname));
		else
			push_addrs(p, LDNS_SECTION_ANSWER, v, qname, v->pub,
			    v->n_pub, qt);
	} else if (same(qname, srv)) {
		exists = true;
		if (qt == LDNS_RR_TYPE_SRV)
			push_srv(p, v, qname, lv);
		else if (qt == LDNS_RR_TYPE_ANY)
			push(p, LDNS_SECTION_ANSWER, rr_any(v, qname));
	} else if (same(qname, udp)) {
		exists = true; /* an empty non-terminal */
	} else {
		for (i = 0; i < v->n_members && !exists; i++) {
			const struct dns_view_member *m = &v->members[i];

			if (!label_ok(m->name))
				continue;
			mname = dname(m->name, v->zone);
			if (same(qname, mname)) {
				exists = true;
				if (qt == LDNS_RR_TYPE_ANY)
					push(p, LDNS_SECTION_ANSWER,
					    rr_any(v, qname));
				else
					push_addrs(p, LDNS_SECTION_ANSWER, v,
					    qname, m->addrs, m->n_addrs, qt);
			}
			ldns_rdf_deep_free(mname);
		}
	}
	ldns_rdf_deep_free(cloud);
	ldns_rdf_deep_free(srv);
	ldns_rdf_deep_free(udp);

	/* NXDOMAIN and NODATA carry the SOA, for negative caching. */
	if (!exists || ldns_pkt_ancount(p) == before)
		push(p, LDNS_SECTION_AUTHORITY, rr_soa(v, apex));
	else if (lv == FULL && qt != LDNS_RR_TYPE_NS)
		push(p, LDNS_SECTION_AUTHORITY, rr_ns(v, apex));
	return exists ? LDNS_RCODE_NOERROR : LDNS_RCODE_NXDOMAIN;
}

/* The UDP size the answer must fit. */
static size_t
udp_limit(const ldns_pkt *q)
{
	size_t n;

	if (!ldns_pkt_edns(q))
		return DNS_UDP_PLAIN;
	n = ldns_pkt_edns_udp_size(q);
	if (n < DNS_UDP_PLAIN)
		n = DNS_UDP_PLAIN;
	return n > DNS_EDNS_SIZE ? DNS_EDNS_SIZE : n;
}

/*
 * Builds the answer to the parsed query q at level lv into *wire (ldns
 * allocates it). Returns the rcode, or -1 if ldns failed.
 */
static int
build(const struct dns_view *v, const ldns_pkt *q, enum level lv,
    uint8_t **wire, size_t *n, struct dns_resp_info *info)
{
	ldns_rr *question = ldns_rr_list_rr(ldns_pkt_question(q), 0);
	ldns_rdf *qname = ldns_rr_owner(question);
	ldns_rr_type qt = ldns_rr_get_type(question);
	ldns_rdf *apex = dname(v->zone, NULL);
	ldns_pkt *p = ldns_pkt_new();
	int rcode = LDNS_RCODE_REFUSED;

	if (p == NULL || apex == NULL) {
		ldns_pkt_free(p);
		ldns_rdf_deep_free(apex);
		return -1;
	}
	ldns_pkt_set_id(p, ldns_pkt_id(q));
	ldns_pkt_set_qr(p, true);
	ldns_pkt_set_opcode(p, LDNS_PACKET_QUERY);
	ldns_pkt_set_rd(p, ldns_pkt_rd(q));
	ldns_pkt_set_cd(p, ldns_pkt_cd(q));
	push(p, LDNS_SECTION_QUESTION, ldns_rr_clone(question));

	info->in_zone =
	    same(qname, apex) || ldns_dname_is_subdomain(qname, apex);
	if (ldns_pkt_edns(q) && ldns_pkt_edns_version(q) != 0) {
		/* RFC 6891: BADVERS (16) is extended rcode 1, rcode 0. */
		rcode = LDNS_RCODE_NOERROR;
		ldns_pkt_set_edns_extended_rcode(p, 1);
	} else if (ldns_rr_get_class(question) != LDNS_RR_CLASS_IN)
		rcode = LDNS_RCODE_NOTIMPL;
	else if (qt == LDNS_RR_TYPE_OPT || qt == LDNS_RR_TYPE_TSIG ||
		 qt == LDNS_RR_TYPE_TKEY)
		rcode = LDNS_RCODE_FORMERR; /* meta types are no question */
	else if (!info->in_zone || qt == LDNS_RR_TYPE_AXFR ||
		 qt == LDNS_RR_TYPE_IXFR)
		rcode = LDNS_RCODE_REFUSED;
	else {
		ldns_pkt_set_aa(p, true);
		if (lv != TC_ONLY)
			rcode = in_zone(p, v, qname, apex, qt, lv);
		else
			rcode = LDNS_RCODE_NOERROR;
	}
	if (lv == TC_ONLY && rcode == LDNS_RCODE_NOERROR && info->in_zone)
		ldns_pkt_set_tc(p, true);
	ldns_pkt_set_rcode(p, (uint8_t)rcode);
	if (ldns_pkt_edns(q)) {
		ldns_pkt_set_edns_udp_size(p, DNS_EDNS_SIZE);
		ldns_pkt_set_edns_version(p, 0);
		ldns_pkt_set_edns_do(p, false);
	}
	info->edns = ldns_pkt_edns(q);
	info->truncated = ldns_pkt_tc(p);
	if (ldns_pkt2wire(wire, p, n) != LDNS_STATUS_OK) {
		LDNS_FREE(*wire);
		*wire = NULL;
		rcode = -1;
	}
	ldns_pkt_free(p);
	ldns_rdf_deep_free(apex);
	return rcode;
}

/*
 * The question's name as written: plain labels up to the root, inside the
 * message. A query has nothing before its question to point to, so a
 * compression pointer there is hostile (a loop, or a name that grows in
 * the answer): FORMERR.
 */
static bool
qname_plain(const uint8_t *q, size_t qlen)
{
	size_t off = HDR;

	while (off < qlen) {
		uint8_t l = q[off];

		if (l == 0)
			return off + 1 + 4 <= qlen; /* then type and class */
		if ((l & 0xc0) != 0)
			return false;
		off += 1u + l;
	}
	return false;
}

size_t
dns_resp_answer(const struct dns_view *v, const uint8_t *qb, size_t qlen,
    unsigned flags, uint8_t *out, size_t outcap, struct dns_resp_info *info)
{
	struct dns_resp_info scratch;
	ldns_pkt *q = NULL;
	uint8_t *wire = NULL;
	size_t n = 0, limit;
	enum level lv;
	int rcode = -1;

	if (info == NULL)
		info = &scratch;
	memset(info, 0, sizeof(*info));
	info->rcode = -1;
	/* No header to answer, or an answer: nothing (no reflection loop). */
	if (qlen < HDR || (qb[2] & 0x80) != 0)
		return 0;
	if (((qb[2] >> 3) & 0x0f) != LDNS_PACKET_QUERY)
		return header_only(qb, LDNS_RCODE_NOTIMPL, out, outcap, info);
	if (get16(qb + 4) != 1 || get16(qb + 6) != 0 || get16(qb + 8) != 0 ||
	    get16(qb + 10) > AR_MAX || !qname_plain(qb, qlen))
		return header_only(qb, LDNS_RCODE_FORMERR, out, outcap, info);
	if (ldns_wire2pkt(&q, qb, qlen) != LDNS_STATUS_OK || q == NULL ||
	    ldns_rr_list_rr_count(ldns_pkt_question(q)) != 1) {
		ldns_pkt_free(q);
		return header_only(qb, LDNS_RCODE_FORMERR, out, outcap, info);
	}

	limit = (flags & DNS_RESP_TCP) != 0 ? DNS_MSG_MAX : udp_limit(q);
	if (limit > outcap)
		limit = outcap;
	for (lv = (flags & DNS_RESP_SLIP) != 0 ? TC_ONLY : FULL; lv <= TC_ONLY;
	     lv++) {
		rcode = build(v, q, lv, &wire, &n, info);
		if (rcode < 0 || n <= limit)
			break;
		LDNS_FREE(wire);
		wire = NULL;
		n = 0;
	}
	if (rcode >= 0 && wire != NULL && n <= limit) {
		memcpy(out, wire, n);
		info->rcode = rcode;
	} else {
		n = 0;
		info->rcode = -1;
	}
	LDNS_FREE(wire);
	ldns_pkt_free(q);
	return n;
}

/* ---- response rate limiting ---- */

void
dns_rrl_init(struct dns_rrl *r, uint32_t rate)
{
	memset(r, 0, sizeof(*r));
	r->rate = rate;
}

static void
rrl_key(const struct dns_addr *a, uint8_t key[8])
{
	memset(key, 0, 8);
	key[0] = a->family;
	if (a->family == 4)
		memcpy(key + 1, a->b, 3); /* the /24 */
	else
		memcpy(key + 1, a->b, 7); /* the /56 */
}

static uint32_t
rrl_hash(const uint8_t key[8])
{
	uint32_t h = 2166136261u;
	size_t i;

	for (i = 0; i < 8; i++)
		h = (h ^ key[i]) * 16777619u;
	return h;
}

#define RRL_PROBE 4

enum dns_rrl_verdict
dns_rrl_check(struct dns_rrl *r, const struct dns_addr *client, uint64_t now)
{
	uint8_t key[8];
	uint32_t h;
	struct dns_rrl_slot *s = NULL, *oldest = NULL;
	uint64_t full, elapsed;
	size_t i;

	if (r->rate == 0)
		return DNS_RRL_PASS;
	full = (uint64_t)r->rate * 1000; /* one second's worth */
	rrl_key(client, key);
	h = rrl_hash(key);
	for (i = 0; i < RRL_PROBE; i++) {
		struct dns_rrl_slot *t = &r->slot[(h + i) % DNS_RRL_SLOTS];

		if (t->used && memcmp(t->key, key, 8) == 0) {
			s = t;
			break;
		}
		if (oldest == NULL || !t->used ||
		    (oldest->used && t->last_ms < oldest->last_ms))
			oldest = t;
	}
	if (s == NULL) {
		/* A new prefix takes a free slot, or the quietest one. */
		s = oldest;
		memcpy(s->key, key, 8);
		s->used = true;
		s->last_ms = now;
		s->credit = full;
		s->limited = 0;
	}
	elapsed = now > s->last_ms ? now - s->last_ms : 0;
	if (elapsed > 1000)
		elapsed = 1000;
	s->credit += elapsed * r->rate;
	if (s->credit > full)
		s->credit = full;
	s->last_ms = now > s->last_ms ? now : s->last_ms;
	if (s->credit >= 1000) {
		s->credit -= 1000;
		return DNS_RRL_PASS;
	}
	if (++s->limited % DNS_RRL_SLIP == 0) {
		r->slipped++;
		return DNS_RRL_SLIP_TC;
	}
	r->dropped++;
	return DNS_RRL_DROP;
}
