/*
 * store/rnodes.c — the CLUSTER NODES parser (store/rnodes.h).
 */
#include "config.h"

#include "store/rnodes.h"

#include <stdio.h>
#include <string.h>

/* A field of a line: [p, p + len). */
struct tok {
	const char *p;
	size_t len;
};

/* The fields' names, for rnodes_explain(), by field number from 1. */
static const char *const field_name[] = {"line", "id", "address", "flags",
    "master", "ping-sent", "pong-recv", "config-epoch", "link-state"};

static bool
tok_is(struct tok t, const char *s)
{
	return t.len == strlen(s) && memcmp(t.p, s, t.len) == 0;
}

/* The next space-separated field of [*p, end), or len 0 at the end. */
static struct tok
next_tok(const char **p, const char *end)
{
	struct tok t;

	while (*p < end && **p == ' ')
		(*p)++;
	t.p = *p;
	while (*p < end && **p != ' ')
		(*p)++;
	t.len = (size_t)(*p - t.p);
	return t;
}

/* Decimal digits only, at most max; no sign, no leading '+'. */
static bool
parse_u64(struct tok t, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (t.len == 0 || t.len > 20)
		return false;
	for (i = 0; i < t.len; i++) {
		unsigned d = (unsigned)(t.p[i] - '0');

		if (d > 9 || v > (max - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*out = v;
	return true;
}

static bool
parse_id(struct tok t, char out[RNODES_ID_LEN + 1])
{
	size_t i;

	if (t.len != RNODES_ID_LEN)
		return false;
	for (i = 0; i < t.len; i++) {
		char c = t.p[i];

		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			return false;
	}
	memcpy(out, t.p, t.len);
	out[t.len] = '\0';
	return true;
}

/* A dotted quad of four decimal octets, nothing else. */
static bool
parse_ipv4(const char *p, size_t len, uint32_t *out)
{
	uint32_t a = 0;
	size_t i = 0, octet;

	for (octet = 0; octet < 4; octet++) {
		unsigned v = 0, digits = 0;

		if (octet > 0 && (i >= len || p[i++] != '.'))
			return false;
		while (i < len && p[i] >= '0' && p[i] <= '9' && digits < 3) {
			v = v * 10 + (unsigned)(p[i++] - '0');
			digits++;
		}
		if (digits == 0 || v > 255)
			return false;
		a = a << 8 | v;
	}
	*out = a;
	return i == len && a != 0;
}

/* The hostname of Redis 7.2 (cluster-announce-hostname): letters,
 * digits, '-' and '.', possibly empty. */
static bool
is_hostname(const char *p, size_t len)
{
	size_t i;

	if (len > 255)
		return false;
	for (i = 0; i < len; i++) {
		char c = p[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			(c >= '0' && c <= '9') || c == '-' || c == '.'))
			return false;
	}
	return true;
}

/* ip:port@cport[,hostname]; the port after the ip's last colon. */
static bool
parse_addr(struct tok t, struct rnode *n)
{
	const char *at = memchr(t.p, '@', t.len), *colon = NULL, *comma;
	const char *end = t.p + t.len, *q;
	uint64_t port, cport;
	size_t iplen, i;

	if (at == NULL)
		return false;
	for (q = t.p; q < at; q++)
		if (*q == ':')
			colon = q;
	comma = memchr(at, ',', (size_t)(end - at));
	if (colon == NULL || (iplen = (size_t)(colon - t.p)) > RNODES_IP_MAX)
		return false;
	if (!parse_u64((struct tok){colon + 1, (size_t)(at - colon - 1)}, 65535,
		&port) ||
	    !parse_u64(
		(struct tok){at + 1, (size_t)((comma ? comma : end) - at - 1)},
		65535, &cport))
		return false;
	if (comma != NULL && !is_hostname(comma + 1, (size_t)(end - comma - 1)))
		return false;
	for (i = 0; i < iplen; i++) {
		char c = t.p[i];

		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
			(c >= 'A' && c <= 'F') || c == '.' || c == ':'))
			return false;
	}
	memcpy(n->ip, t.p, iplen);
	n->ip[iplen] = '\0';
	n->addr = 0;
	if (iplen > 0 && memchr(t.p, ':', iplen) == NULL &&
	    !parse_ipv4(t.p, iplen, &n->addr))
		return false;
	n->port = (uint16_t)port;
	n->cport = (uint16_t)cport;
	return true;
}

static bool
parse_flags(struct tok t, unsigned *out)
{
	static const struct {
		const char *name;
		unsigned flag;
	} names[] = {{"myself", RNODE_MYSELF}, {"master", RNODE_MASTER},
	    {"slave", RNODE_SLAVE}, {"fail?", RNODE_PFAIL},
	    {"fail", RNODE_FAIL}, {"handshake", RNODE_HANDSHAKE},
	    {"noaddr", RNODE_NOADDR}, {"nofailover", RNODE_NOFAILOVER},
	    {"noflags", 0}};
	const char *p = t.p, *end = t.p + t.len;
	unsigned f = 0;

	while (p <= end) {
		const char *c = memchr(p, ',', (size_t)(end - p));
		struct tok one = {p, (size_t)((c ? c : end) - p)};
		size_t i;

		for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
			if (tok_is(one, names[i].name))
				break;
		if (i == sizeof(names) / sizeof(names[0]))
			return false;
		f |= names[i].flag;
		p = one.p + one.len + 1;
	}
	*out = f;
	return !((f & RNODE_MASTER) && (f & RNODE_SLAVE));
}

/* Parses one slot field of node i: N, N-M, [N->-id], [N-<-id]. */
static enum rnodes_err
parse_slot(struct tok t, struct rnodes_view *v, int i)
{
	const char *dash, *end = t.p + t.len;
	uint64_t lo, hi, s;

	if (t.p[0] == '[') {
		struct rnodes_mig m;

		/* '[', 1 to 5 digits, an arrow of 3, an id, ']'. */
		if (t.len < 2 + 3 + RNODES_ID_LEN ||
		    t.len > 6 + 3 + RNODES_ID_LEN + 1 || end[-1] != ']')
			return RNODES_E_SLOT;
		if (!(v->node[i].flags & RNODE_MYSELF))
			return RNODES_E_MIG;
		end--;
		dash = memchr(t.p, '-', (size_t)(end - t.p));
		if (dash == NULL || end - dash != 3 + RNODES_ID_LEN ||
		    (memcmp(dash, "->-", 3) != 0 &&
			memcmp(dash, "-<-", 3) != 0))
			return RNODES_E_SLOT;
		if (!parse_u64((struct tok){t.p + 1, (size_t)(dash - t.p - 1)},
			UINT64_MAX, &s))
			return RNODES_E_SLOT;
		if (s >= RNODES_SLOTS)
			return RNODES_E_RANGE;
		if (!parse_id((struct tok){dash + 3, RNODES_ID_LEN}, m.peer_id))
			return RNODES_E_ID;
		if (v->nmig == RNODES_MIG_MAX) {
			v->mig_more = true;
			return RNODES_OK;
		}
		m.slot = (uint16_t)s;
		m.importing = dash[1] == '<';
		memcpy(m.node_id, v->node[i].id, sizeof(m.node_id));
		v->mig[v->nmig++] = m;
		return RNODES_OK;
	}
	dash = memchr(t.p, '-', t.len);
	if (!parse_u64((struct tok){t.p, (size_t)((dash ? dash : end) - t.p)},
		UINT64_MAX, &lo))
		return RNODES_E_SLOT;
	hi = lo;
	if (dash != NULL &&
	    !parse_u64((struct tok){dash + 1, (size_t)(end - dash - 1)},
		UINT64_MAX, &hi))
		return RNODES_E_SLOT;
	if (hi >= RNODES_SLOTS || lo > hi)
		return RNODES_E_RANGE;
	for (s = lo; s <= hi; s++) {
		if (v->owner[s] != -1)
			return RNODES_E_TWICE;
		v->owner[s] = (int16_t)i;
	}
	v->node[i].nslots = (uint16_t)(v->node[i].nslots + (hi - lo + 1));
	return RNODES_OK;
}

/* Fields 5 to 8 of node n: ping-sent, pong-recv, config-epoch, link. */
static enum rnodes_err
parse_numbers(struct tok *f, struct rnode *n, unsigned *field)
{
	uint64_t x;

	for (*field = 5; *field <= 7; (*field)++)
		if (!parse_u64(f[*field - 5], UINT64_MAX, &x))
			return RNODES_E_NUMBER;
	n->config_epoch = x;
	if (tok_is(f[3], "connected"))
		n->connected = true;
	else if (tok_is(f[3], "disconnected"))
		n->connected = false;
	else
		return RNODES_E_LINK;
	return RNODES_OK;
}

/* The first eight fields of a line into node n. */
static enum rnodes_err
parse_head(const char **p, const char *end, struct rnode *n, unsigned *field)
{
	struct tok f[8];

	for (*field = 1; *field <= 8; (*field)++)
		if ((f[*field - 1] = next_tok(p, end)).len == 0)
			return RNODES_E_FIELDS;
	*field = 1;
	if (!parse_id(f[0], n->id))
		return RNODES_E_ID;
	*field = 2;
	if (!parse_addr(f[1], n))
		return RNODES_E_ADDR;
	*field = 3;
	if (!parse_flags(f[2], &n->flags))
		return RNODES_E_FLAGS;
	*field = 4;
	n->master_id[0] = '\0';
	if (!tok_is(f[3], "-") && !parse_id(f[3], n->master_id))
		return RNODES_E_ID;
	return parse_numbers(f + 4, n, field);
}

static enum rnodes_err
parse_line(const char *p, const char *end, struct rnodes_view *v)
{
	struct rnode *n;
	enum rnodes_err e;
	struct tok t;
	int i;

	if (v->n == RNODES_MAX)
		return RNODES_E_TOOMANY;
	i = (int)v->n;
	n = &v->node[i];
	memset(n, 0, sizeof(*n));
	n->master = -1;
	if ((e = parse_head(&p, end, n, &v->err_field)) != RNODES_OK)
		return e;
	if (rnodes_find(v, n->id) != -1) {
		v->err_field = 1;
		return RNODES_E_DUP;
	}
	if (n->flags & RNODE_MYSELF) {
		if (v->self != -1)
			return v->err_field = 3, RNODES_E_MYSELF;
		v->self = i;
	}
	v->n++;
	for (v->err_field = 9; (t = next_tok(&p, end)).len > 0; v->err_field++)
		if ((e = parse_slot(t, v, i)) != RNODES_OK)
			return e;
	return RNODES_OK;
}

/* Every byte of a line is printable ASCII or a space. */
static enum rnodes_err
check_bytes(const char *p, size_t len)
{
	size_t i;

	if (len > RNODES_LINE_MAX)
		return RNODES_E_SIZE;
	for (i = 0; i < len; i++)
		if ((unsigned char)p[i] < 0x20 || (unsigned char)p[i] > 0x7e)
			return RNODES_E_NUL;
	return RNODES_OK;
}

static void
resolve_masters(struct rnodes_view *v)
{
	size_t i;

	for (i = 0; i < v->n; i++)
		v->node[i].master = v->node[i].master_id[0] == '\0'
					? -1
					: rnodes_find(v, v->node[i].master_id);
}

enum rnodes_err
rnodes_parse(const char *text, size_t len, struct rnodes_view *v)
{
	const char *p = text, *end = text + len;
	enum rnodes_err e;

	v->n = 0;
	v->self = -1;
	v->nmig = 0;
	v->mig_more = false;
	v->err_line = 0;
	v->err_field = 0;
	memset(v->owner, 0xff, sizeof(v->owner));
	if (len > RNODES_TEXT_MAX)
		return RNODES_E_SIZE;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *eol = nl ? nl : end;

		v->err_line++;
		v->err_field = 0;
		if (eol > p && eol[-1] == '\r')
			eol--;
		if ((e = check_bytes(p, (size_t)(eol - p))) != RNODES_OK)
			return e;
		if (eol > p && (e = parse_line(p, eol, v)) != RNODES_OK)
			return e;
		p = nl ? nl + 1 : end;
	}
	v->err_field = 0;
	if (v->self == -1)
		return RNODES_E_MYSELF;
	resolve_masters(v);
	v->err_line = 0;
	return RNODES_OK;
}

const char *
rnodes_strerror(enum rnodes_err e)
{
	switch (e) {
	case RNODES_OK:
		return "no error";
	case RNODES_E_SIZE:
		return "the reply or a line is too long";
	case RNODES_E_NUL:
		return "a NUL or control byte";
	case RNODES_E_FIELDS:
		return "missing fields: a line needs at least 8";
	case RNODES_E_ID:
		return "a node id that is not 40 lower-case hex digits";
	case RNODES_E_ADDR:
		return "an address that is not ip:port@cport[,hostname]";
	case RNODES_E_FLAGS:
		return "an unknown flag, or both master and slave";
	case RNODES_E_NUMBER:
		return "not a decimal number";
	case RNODES_E_LINK:
		return "a link state other than connected or disconnected";
	case RNODES_E_SLOT:
		return "a slot that is not N, N-M, [N->-id] or [N-<-id]";
	case RNODES_E_RANGE:
		return "a slot over 16383 or a range backwards";
	case RNODES_E_TWICE:
		return "a slot served twice";
	case RNODES_E_DUP:
		return "two lines for one node id";
	case RNODES_E_TOOMANY:
		return "more nodes than the view holds (128)";
	case RNODES_E_MYSELF:
		return "not exactly one node flagged myself";
	case RNODES_E_MIG:
		return "an open migration on another node's line";
	}
	return "unknown error";
}

char *
rnodes_explain(
    const struct rnodes_view *v, enum rnodes_err e, char *buf, size_t len)
{
	const char *name =
	    v->err_field < sizeof(field_name) / sizeof(field_name[0])
		? field_name[v->err_field]
		: "slot";

	if (len == 0)
		return buf;
	if (v->err_line == 0)
		(void)snprintf(buf, len, "%s", rnodes_strerror(e));
	else
		(void)snprintf(buf, len, "line %zu, field %u (%s): %s",
		    v->err_line, v->err_field, name, rnodes_strerror(e));
	return buf;
}

int
rnodes_find(const struct rnodes_view *v, const char *id)
{
	size_t i;

	for (i = 0; i < v->n; i++)
		if (strcmp(v->node[i].id, id) == 0)
			return (int)i;
	return -1;
}

bool
rnodes_serves(const struct rnodes_view *v, int i, unsigned s)
{
	return s < RNODES_SLOTS && i >= 0 && v->owner[s] == i;
}
