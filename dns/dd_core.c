/*
 * dns/dd_core.c — the pure half of the dynamic DNS update: see dd_core.h.
 * Every DNS message is built and parsed by ldns.
 */
#include "config.h"

#include "dns/dd_core.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <ldns/ldns.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TSIG_FUDGE 300
#define TSIG_ALG "hmac-sha256."

uint64_t
dd_backoff_ms(unsigned failures, uint32_t rnd)
{
	uint64_t step = DD_BACKOFF_MAX_MS, lo, d;

	if (failures == 0)
		failures = 1;
	if (failures <= 20)
		step = (uint64_t)DD_BACKOFF_FIRST_MS << (failures - 1);
	if (step > DD_BACKOFF_MAX_MS)
		step = DD_BACKOFF_MAX_MS;
	lo = step - step / 4;
	d = lo + (uint64_t)rnd % (step / 2 + 1);
	return d > DD_BACKOFF_MAX_MS ? DD_BACKOFF_MAX_MS : d;
}

/* ---- which addresses the internet can reach ---- */

static const struct range4 {
	uint32_t net;
	unsigned len;
	const char *why;
} ranges4[] = {
    {0x00000000, 8, "in 0.0.0.0/8, \"this network\" (RFC 791)"},
    {0x0a000000, 8,
	"private (RFC 1918): the router sits behind another NAT (double "
	"NAT)"},
    {0x64400000, 10,
	"shared (RFC 6598): the provider's carrier-grade NAT sits between "
	"the router and the internet"},
    {0x7f000000, 8, "a loopback address"},
    {0xa9fe0000, 16, "link-local (RFC 3927)"},
    {0xac100000, 12,
	"private (RFC 1918): the router sits behind another NAT (double "
	"NAT)"},
    {0xc0000000, 24, "reserved for IETF protocols (RFC 6890)"},
    {0xc0000200, 24, "a documentation address (RFC 5737)"},
    {0xc0a80000, 16,
	"private (RFC 1918): the router sits behind another NAT (double "
	"NAT)"},
    {0xc6120000, 15, "reserved for benchmarks (RFC 2544)"},
    {0xc6336400, 24, "a documentation address (RFC 5737)"},
    {0xcb007100, 24, "a documentation address (RFC 5737)"},
    {0xe0000000, 4, "a multicast address"},
    {0xf0000000, 4, "reserved (RFC 1112)"},
};

static const char *
why4(struct in_addr a)
{
	uint32_t x = ntohl(a.s_addr);
	size_t i;

	for (i = 0; i < sizeof(ranges4) / sizeof(ranges4[0]); i++)
		if ((x >> (32 - ranges4[i].len)) ==
		    (ranges4[i].net >> (32 - ranges4[i].len)))
			return ranges4[i].why;
	return NULL;
}

static const char *
why6(const struct in6_addr *a)
{
	static const uint8_t zero[16];
	const uint8_t *b = a->s6_addr;

	if (memcmp(b, zero, 15) == 0 && (b[15] == 0 || b[15] == 1))
		return "unspecified or loopback";
	if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80)
		return "link-local (RFC 4291)";
	if ((b[0] & 0xfe) == 0xfc)
		return "a unique local address (RFC 4193): the router sits "
		       "behind another router";
	if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0d && b[3] == 0xb8)
		return "a documentation address (RFC 3849)";
	if (b[0] == 0xff)
		return "a multicast address";
	if (IN6_IS_ADDR_V4MAPPED(a))
		return "an IPv4-mapped address";
	return NULL;
}

bool
dd_addr_reachable(const struct dd_addr *a, const char **reason)
{
	const char *w = NULL;

	if (!a->has4 && !a->has6)
		w = "no public address known";
	else if (a->has4)
		w = why4(a->a4);
	if (w == NULL && a->has6)
		w = why6(&a->a6);
	if (reason != NULL)
		*reason = w;
	return w == NULL;
}

/* ---- the HTTP check's body ---- */

static bool
addr_char(char ch)
{
	return isxdigit((unsigned char)ch) || ch == '.' || ch == ':';
}

int
dd_body_parse(const char *body, size_t len, struct dd_addr *out)
{
	char tok[INET6_ADDRSTRLEN + 1];
	size_t i = 0, j, n;

	memset(out, 0, sizeof(*out));
	if (len > DD_BODY_MAX)
		return -1;
	while (i < len) {
		if (!addr_char(body[i])) {
			i++;
			continue;
		}
		/* A token starts after a non-address character. */
		for (j = i; j < len && addr_char(body[j]); j++)
			;
		n = j - i;
		if (n >= 7 && n < sizeof(tok)) {
			memcpy(tok, body + i, n);
			tok[n] = '\0';
			if (memchr(tok, ':', n) == NULL &&
			    inet_pton(AF_INET, tok, &out->a4) == 1) {
				out->has4 = true;
				return 0;
			}
			if (memchr(tok, ':', n) != NULL &&
			    inet_pton(AF_INET6, tok, &out->a6) == 1) {
				out->has6 = true;
				return 0;
			}
		}
		i = j;
	}
	return -1;
}

void
dd_addr_text(const struct dd_addr *a, char *buf, size_t len)
{
	char s4[INET_ADDRSTRLEN] = "", s6[INET6_ADDRSTRLEN] = "";

	if (a->has4)
		inet_ntop(AF_INET, &a->a4, s4, sizeof(s4));
	if (a->has6)
		inet_ntop(AF_INET6, &a->a6, s6, sizeof(s6));
	snprintf(buf, len, "%s%s%s", s4, a->has4 && a->has6 ? ", " : "", s6);
}

bool
dd_addr_equal(const struct dd_addr *a, const struct dd_addr *b)
{
	return a->has4 == b->has4 && a->has6 == b->has6 &&
	       (!a->has4 || a->a4.s_addr == b->a4.s_addr) &&
	       (!a->has6 || memcmp(&a->a6, &b->a6, sizeof(a->a6)) == 0);
}

int
dd_zone_of(const char *name, char *zone, size_t len)
{
	const char *dot = strchr(name, '.');

	if (dot == NULL || dot[1] == '\0' || strlen(dot + 1) >= len)
		return -1;
	memcpy(zone, dot + 1, strlen(dot + 1) + 1);
	return 0;
}

int
dd_secret_check(char *b64, size_t len)
{
	size_t n, pad = 0;

	while (len > 0 && isspace((unsigned char)b64[len - 1]))
		len--;
	b64[len] = '\0';
	/* Base64 of 16 to 192 bytes: groups of 4, '=' only at the end. */
	if (len < 24 || len > 256 || len % 4 != 0)
		return -1;
	if (b64[len - 1] == '=')
		pad = b64[len - 2] == '=' ? 2 : 1;
	for (n = 0; n < len - pad; n++)
		if (!isalnum((unsigned char)b64[n]) && b64[n] != '+' &&
		    b64[n] != '/')
			return -1;
	return len / 4 * 3 - pad >= 16 ? 0 : -1;
}

/* ---- the update and its answer ---- */

struct dd_update {
	uint16_t id;
	char key_name[LDNS_MAX_DOMAINLEN + 2];
	char *secret;
	ldns_rdf *mac; /* the request's MAC: the answer's TSIG covers it */
};

void
dd_update_free(struct dd_update *u)
{
	if (u == NULL)
		return;
	free(u->secret);
	if (u->mac != NULL)
		ldns_rdf_deep_free(u->mac);
	free(u);
}

/* "name" -> "name." (ldns reads a name without the dot as relative). */
static int
absolute(const char *name, char *buf, size_t len)
{
	size_t n = strlen(name);
	int w;

	if (n == 0)
		return -1;
	w = snprintf(buf, len, "%s%s", name, name[n - 1] == '.' ? "" : ".");
	return w < 0 || (size_t)w >= len ? -1 : 0;
}

/* Delete the RRset of type at owner (class ANY, TTL 0, no RDATA). */
static int
add_delete(ldns_rr_list *l, const char *owner, ldns_rr_type type)
{
	ldns_rdf *o = ldns_dname_new_frm_str(owner);
	ldns_rr *rr;

	if (o == NULL || (rr = ldns_rr_new()) == NULL) {
		if (o != NULL)
			ldns_rdf_deep_free(o);
		return -1;
	}
	ldns_rr_set_owner(rr, o);
	ldns_rr_set_type(rr, type);
	ldns_rr_set_class(rr, LDNS_RR_CLASS_ANY);
	ldns_rr_set_ttl(rr, 0);
	ldns_rr_set_question(rr, false);
	if (!ldns_rr_list_push_rr(l, rr)) {
		ldns_rr_free(rr);
		return -1;
	}
	return 0;
}

static int
add_record(ldns_rr_list *l, const char *owner, uint32_t ttl, const char *type,
    const char *addr)
{
	char text[LDNS_MAX_DOMAINLEN + 96];
	ldns_rr *rr = NULL;

	snprintf(text, sizeof(text), "%s %u IN %s %s", owner, ttl, type, addr);
	if (ldns_rr_new_frm_str(&rr, text, 0, NULL, NULL) != LDNS_STATUS_OK ||
	    !ldns_rr_list_push_rr(l, rr)) {
		if (rr != NULL)
			ldns_rr_free(rr);
		return -1;
	}
	return 0;
}

struct dd_update *
dd_update_new(const struct dd_update_req *req, uint8_t **wire, size_t *len,
    char *err, size_t errlen)
{
	char owner[LDNS_MAX_DOMAINLEN + 2], zone[LDNS_MAX_DOMAINLEN + 2];
	char a[INET6_ADDRSTRLEN];
	struct dd_update *u = NULL;
	ldns_rr_list *up = NULL;
	ldns_rdf *z = NULL;
	ldns_pkt *p = NULL;
	ldns_status st;

	*wire = NULL;
	*len = 0;
	if ((!req->addr.has4 && !req->addr.has6) ||
	    absolute(req->name, owner, sizeof(owner)) == -1 ||
	    absolute(req->zone, zone, sizeof(zone)) == -1) {
		snprintf(err, errlen, "update: no address or a bad name");
		return NULL;
	}
	u = calloc(1, sizeof(*u));
	up = ldns_rr_list_new();
	z = ldns_dname_new_frm_str(zone);
	if (u == NULL || up == NULL || z == NULL ||
	    (u->secret = strdup(req->secret)) == NULL ||
	    absolute(req->key_name, u->key_name, sizeof(u->key_name)) == -1)
		goto nomem;
	if (req->addr.has4) {
		inet_ntop(AF_INET, &req->addr.a4, a, sizeof(a));
		if (add_delete(up, owner, LDNS_RR_TYPE_A) == -1 ||
		    add_record(up, owner, req->ttl, "A", a) == -1)
			goto nomem;
	}
	if (req->addr.has6) {
		inet_ntop(AF_INET6, &req->addr.a6, a, sizeof(a));
		if (add_delete(up, owner, LDNS_RR_TYPE_AAAA) == -1 ||
		    add_record(up, owner, req->ttl, "AAAA", a) == -1)
			goto nomem;
	}
	p = ldns_update_pkt_new(z, LDNS_RR_CLASS_IN, NULL, up, NULL);
	z = NULL; /* the packet owns it */
	if (p == NULL)
		goto nomem;
	ldns_pkt_set_rd(p, false);
	ldns_pkt_set_id(p, req->id);
	u->id = req->id;
	st = ldns_pkt_tsig_sign(
	    p, u->key_name, u->secret, TSIG_FUDGE, TSIG_ALG, NULL);
	if (st != LDNS_STATUS_OK) {
		snprintf(err, errlen, "update: cannot sign with TSIG: %s",
		    ldns_get_errorstr_by_id(st));
		goto fail;
	}
	u->mac = ldns_rdf_clone(ldns_rr_rdf(ldns_pkt_tsig(p), 3));
	if (u->mac == NULL || ldns_pkt2wire(wire, p, len) != LDNS_STATUS_OK)
		goto nomem;
	ldns_pkt_free(p);
	ldns_rr_list_deep_free(up);
	return u;
nomem:
	snprintf(err, errlen, "update: out of memory building the message");
fail:
	free(*wire);
	*wire = NULL;
	*len = 0;
	if (p != NULL)
		ldns_pkt_free(p);
	if (z != NULL)
		ldns_rdf_deep_free(z);
	if (up != NULL)
		ldns_rr_list_deep_free(up);
	dd_update_free(u);
	return NULL;
}

static const char *
tsig_error_name(unsigned e)
{
	switch (e) {
	case 16:
		return "BADSIG";
	case 17:
		return "BADKEY";
	case 18:
		return "BADTIME";
	case 22:
		return "BADTRUNC";
	default:
		return NULL;
	}
}

static void
rcode_text(unsigned rcode, char *buf, size_t len)
{
	const ldns_lookup_table *t = ldns_lookup_by_id(ldns_rcodes, (int)rcode);

	if (t != NULL)
		snprintf(buf, len, "%s", t->name);
	else
		snprintf(buf, len, "rcode %u", rcode);
}

/* The answer's TSIG names our key and hmac-sha256. */
static bool
same_key(const ldns_rr *tsig, const char *key_name)
{
	ldns_rdf *want_key = ldns_dname_new_frm_str(key_name);
	ldns_rdf *want_alg = ldns_dname_new_frm_str(TSIG_ALG);
	bool same = false;

	if (want_key != NULL && want_alg != NULL &&
	    ldns_rr_rd_count(tsig) == 7 &&
	    ldns_rdf_get_type(ldns_rr_rdf(tsig, 0)) == LDNS_RDF_TYPE_DNAME)
		same = ldns_dname_compare(ldns_rr_owner(tsig), want_key) == 0 &&
		       ldns_dname_compare(ldns_rr_rdf(tsig, 0), want_alg) == 0;
	if (want_key != NULL)
		ldns_rdf_deep_free(want_key);
	if (want_alg != NULL)
		ldns_rdf_deep_free(want_alg);
	return same;
}

enum dd_answer
dd_answer_check(const struct dd_update *u, const uint8_t *wire, size_t len,
    char *err, size_t errlen)
{
	char rc[32];
	ldns_pkt *a = NULL;
	ldns_rr *tsig;
	enum dd_answer r = DD_ANS_REFUSED;
	unsigned rcode, terr = 0;
	const char *tname;

	err[0] = '\0';
	/* Id, QR and opcode UPDATE (5) from the header: others are not
	 * ours (a late answer to an earlier update, or noise). */
	if (len < 12 || ((unsigned)wire[0] << 8 | wire[1]) != u->id ||
	    !(wire[2] & 0x80) || ((wire[2] >> 3) & 0x0f) != 5)
		return DD_ANS_NOT_OURS;
	if (wire[2] & 0x02)
		return DD_ANS_TRUNCATED;
	/* At most the TSIG in the additional section (we send no EDNS):
	 * ldns 1.8.3 leaks every TSIG RR but the last of a message that has
	 * several (found by fuzz_dd_answer). */
	if (((unsigned)wire[10] << 8 | wire[11]) > 1 ||
	    ldns_wire2pkt(&a, wire, len) != LDNS_STATUS_OK) {
		snprintf(err, errlen, "the server's answer is malformed");
		return DD_ANS_REFUSED;
	}
	rcode = ldns_pkt_get_rcode(a);
	tsig = ldns_pkt_tsig(a);
	if (tsig != NULL && ldns_rr_rd_count(tsig) >= 6 &&
	    ldns_rdf_get_type(ldns_rr_rdf(tsig, 5)) == LDNS_RDF_TYPE_INT16)
		terr = ldns_rdf2native_int16(ldns_rr_rdf(tsig, 5));
	rcode_text(rcode, rc, sizeof(rc));
	if (rcode != LDNS_RCODE_NOERROR) {
		tname = tsig_error_name(terr);
		if (terr != 0)
			snprintf(err, errlen,
			    "the server refused the update: %s, TSIG error "
			    "%s%s",
			    rc, tname != NULL ? tname : "",
			    terr == 16 || terr == 17
				? " (check tsig-name and the secret)"
				: "");
		else
			snprintf(err, errlen,
			    "the server refused the update: %s%s", rc,
			    rcode == LDNS_RCODE_REFUSED ||
				    rcode == LDNS_RCODE_NOTAUTH
				? " (check the zone's update-policy for "
				  "this key and name)"
				: "");
		goto out;
	}
	if (tsig == NULL) {
		snprintf(err, errlen,
		    "the server's answer is not signed (TSIG missing)");
		goto out;
	}
	/* Our key and algorithm, or no verify at all: RFC 8945 §5.3 wants
	 * them back, and ldns 1.8.3 leaks the TSIG RR when it meets an
	 * algorithm it does not know (found by fuzz_dd_answer). */
	if (!same_key(tsig, u->key_name)) {
		snprintf(err, errlen,
		    "the server's answer is signed with another key or "
		    "algorithm");
		goto out;
	}
	if (!ldns_pkt_tsig_verify(
		a, wire, len, u->key_name, u->secret, u->mac)) {
		snprintf(err, errlen,
		    "the TSIG of the server's answer does not verify");
		goto out;
	}
	r = DD_ANS_OK;
out:
	ldns_pkt_free(a);
	return r;
}
