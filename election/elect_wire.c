/*
 * election/elect_wire.c — wire codec of the cluster protocol, version 2.
 *
 * Layout (doc/protocol.md is the reference; all integers big-endian):
 *
 *   0 magic "QURE" (4) | 4 version u8 | 5 type u8 | 6 flags u16
 *   8 node id (16) | 24 epoch u64 | 32 seq u64 | 40 body_len u16
 *  42 body: body_len bytes of TLVs (type u8, len u8, value)
 *     tag: HMAC-SHA256 over header and body (32)
 *
 * A datagram is exactly 42 + body_len + 32 bytes and at most
 * ELECT_WIRE_CTRL_MAX, a STATE at most ELECT_WIRE_MAX. The tag is checked
 * before a single body byte is parsed, so the TLV parser only ever sees bytes
 * from a key holder; it is still written as if it did not, because a key may
 * leak and a bug here must not become a crash of every member at once.
 */
#include "config.h"

#include "election/election.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include <nettle/hmac.h>
#include <nettle/memops.h>

#define WIRE_MAGIC "QURE"
#define WIRE_MAGIC_LEN 4
#define WIRE_OFF_BODY_LEN 40

/* TLV types of version 2. Unknown types are skipped, for newer peers. */
enum tlv_type {
	TLV_NAME = 1,
	TLV_PRIORITY = 2,
	TLV_STATE = 3,
	TLV_HOLDER = 4,
	TLV_ADDR4 = 5,
	TLV_ADDR6 = 6,
	TLV_DMZ4 = 7,
	TLV_DMZ6 = 8,
	TLV_LEASE_MS = 9,
	TLV_NONCE = 10,
	TLV_CHECK = 11,
	TLV_BOOT = 12,
	TLV_UPTIME_MS = 13,
	TLV_PREEMPT = 14,
	TLV_MAC = 15,
	TLV_MEMBERS = 16,
	TLV_CHALLENGE = 17,
	TLV_RESPONSE = 18,
	TLV_HEARTBEAT_MS = 19,
	TLV_PROBE_SEQ = 20,
	TLV_REASON = 21,
	TLV_DMZ6_ALSO = 22,
	TLV_FENCE_MS = 23,
	TLV_PING = 24,
	TLV_ECHO = 25,
	TLV_PUBLIC4 = 26,
	TLV_PUBLIC6 = 27,
	TLV_MISSED = 28,
	TLV_SITE = 29,
	TLV_ENTRY = 30,
	TLV_RANGES = 31,
	TLV_RESOURCES = 32,
	TLV_ALIVE_MS = 33,
	TLV_KEYS = 34,
	TLV_LAST = TLV_KEYS, /* decode_body's bit per type: 63 at most */
};

/* Allowed value lengths per TLV type; only NAME has a range. */
static const struct {
	uint8_t min, max;
} tlv_len[TLV_LAST + 1] = {
    [TLV_NAME] = {1, ELECT_NAME_MAX},
    [TLV_PRIORITY] = {1, 1},
    [TLV_STATE] = {1, 1},
    [TLV_HOLDER] = {16, 16},
    [TLV_ADDR4] = {4, 4},
    [TLV_ADDR6] = {16, 16},
    [TLV_DMZ4] = {5, 5},
    [TLV_DMZ6] = {17, 17},
    [TLV_LEASE_MS] = {4, 4},
    [TLV_NONCE] = {8, 8},
    [TLV_CHECK] = {1, 1},
    [TLV_BOOT] = {8, 8},
    [TLV_UPTIME_MS] = {8, 8},
    [TLV_PREEMPT] = {1, 1},
    [TLV_MAC] = {6, 6},
    [TLV_MEMBERS] = {1, 1},
    [TLV_CHALLENGE] = {8, 8},
    [TLV_RESPONSE] = {8, 8},
    [TLV_HEARTBEAT_MS] = {4, 4},
    [TLV_PROBE_SEQ] = {4, 4},
    [TLV_REASON] = {1, 1},
    [TLV_DMZ6_ALSO] = {17, 17},
    [TLV_FENCE_MS] = {4, 4},
    [TLV_PING] = {8, 8},
    [TLV_ECHO] = {10, 10},
    [TLV_PUBLIC4] = {4, 4},
    [TLV_PUBLIC6] = {16, 16},
    [TLV_MISSED] = {4, 4},
    [TLV_SITE] = {10, 10},
    [TLV_ENTRY] = {1, 255},
    [TLV_RANGES] = {8 * ELECT_SITE_RANGES, 8 * ELECT_SITE_RANGES},
    [TLV_RESOURCES] = {6, 6},
    [TLV_ALIVE_MS] = {4, 4},
    [TLV_KEYS] = {17, 17},
};

#define ELECT_HAS_ALL ((1u << 30) - 1)
#define STATE_COUNT (ELECT_ST_STOPPED + 1)

/*
 * Body fields each message type must carry, indexed by type. BOOT and
 * UPTIME_MS in every one: the replay window is per (id, boot), and a
 * datagram sent long before it arrives is stale. The DMZ address and the
 * timings in every message that takes part in the election: members whose
 * settings differ must not elect each other (doc/protocol.md).
 */
#define HAS_SETTINGS (ELECT_HAS_DMZ | ELECT_HAS_LEASE | ELECT_HAS_HEARTBEAT)
#define HAS_START (ELECT_HAS_BOOT | ELECT_HAS_UPTIME)
static const uint32_t required_has[ELECT_MSG_ALIVE + 1] = {
    [ELECT_MSG_HELLO] = ELECT_HAS_NAME | ELECT_HAS_PRIORITY | ELECT_HAS_STATE |
			HAS_START | HAS_SETTINGS,
    [ELECT_MSG_HEARTBEAT] = ELECT_HAS_PRIORITY | HAS_START | HAS_SETTINGS,
    [ELECT_MSG_CLAIM] = ELECT_HAS_PRIORITY | HAS_START | HAS_SETTINGS,
    [ELECT_MSG_RESIGN] = ELECT_HAS_HOLDER | HAS_START,
    [ELECT_MSG_PROBE] = ELECT_HAS_NONCE | HAS_START,
    [ELECT_MSG_PROBE_ACK] = ELECT_HAS_NONCE | ELECT_HAS_CHECK | HAS_START,
    [ELECT_MSG_STATE] = HAS_START,
    [ELECT_MSG_ALIVE] = HAS_START,
};

/*
 * The secret lives only inside the keyed HMAC state (its inner and outer
 * hash states, from which it cannot be read back), wiped on free. Nettle,
 * not OpenSSL: OpenSSL 3 reaches HMAC through its provider, whose set-up
 * alone adds some 2 MiB to every qured's resident memory (issue 9: under
 * 8 MiB). A copy of the keyed state per message costs no key schedule.
 */
struct elect_key {
	struct hmac_sha256_ctx keyed;
};

struct elect_key *
elect_key_new(const uint8_t secret[ELECT_KEY_LEN])
{
	struct elect_key *key = calloc(1, sizeof(*key));

	if (key == NULL)
		return NULL;
	hmac_sha256_set_key(&key->keyed, ELECT_KEY_LEN, secret);
	return key;
}

void
elect_key_free(struct elect_key *key)
{
	if (key == NULL)
		return;
	explicit_bzero(key, sizeof(*key));
	free(key);
}

/* Tags len bytes of buf. */
static void
wire_tag(const struct elect_key *key, const uint8_t *buf, size_t len,
    uint8_t tag[ELECT_WIRE_TAG_LEN])
{
	struct hmac_sha256_ctx ctx = key->keyed;

	hmac_sha256_update(&ctx, len, buf);
	hmac_sha256_digest(&ctx, ELECT_WIRE_TAG_LEN, tag);
	explicit_bzero(&ctx, sizeof(ctx));
}

/* ---- bounds-checked cursors, big-endian ---- */

struct rcur {
	const uint8_t *p;
	size_t len, off;
};

static bool
rd_bytes(struct rcur *c, size_t n, const uint8_t **v)
{
	if (c->len - c->off < n)
		return false;
	*v = c->p + c->off;
	c->off += n;
	return true;
}

static bool
rd_u8(struct rcur *c, uint8_t *v)
{
	const uint8_t *p;

	if (!rd_bytes(c, 1, &p))
		return false;
	*v = p[0];
	return true;
}

static bool
rd_u16(struct rcur *c, uint16_t *v)
{
	const uint8_t *p;

	if (!rd_bytes(c, 2, &p))
		return false;
	*v = (uint16_t)(p[0] << 8 | p[1]);
	return true;
}

static uint64_t
be_get(const uint8_t *p, size_t n)
{
	uint64_t v = 0;
	size_t i;

	for (i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

static bool
rd_u64(struct rcur *c, uint64_t *v)
{
	const uint8_t *p;

	if (!rd_bytes(c, 8, &p))
		return false;
	*v = be_get(p, 8);
	return true;
}

/* The writer fails sticky: check once at the end. */
struct wcur {
	uint8_t *p;
	size_t len, off;
	bool fail;
};

static void
wr_bytes(struct wcur *c, const void *v, size_t n)
{
	if (c->fail || c->len - c->off < n) {
		c->fail = true;
		return;
	}
	memcpy(c->p + c->off, v, n);
	c->off += n;
}

static void
wr_be(struct wcur *c, uint64_t v, size_t n)
{
	uint8_t b[8];
	size_t i;

	assert(n <= sizeof(b));
	for (i = 0; i < n; i++)
		b[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
	wr_bytes(c, b, n);
}

static void
wr_tlv(struct wcur *c, uint8_t type, const void *v, size_t n)
{
	assert(n <= UINT8_MAX);
	wr_be(c, type, 1);
	wr_be(c, n, 1);
	wr_bytes(c, v, n);
}

static void
wr_tlv_int(struct wcur *c, uint8_t type, uint64_t v, size_t n)
{
	wr_be(c, type, 1);
	wr_be(c, n, 1);
	wr_be(c, v, n);
}

/* ---- values ---- */

static bool
type_is_known(unsigned type)
{
	return type >= ELECT_MSG_HELLO && type <= ELECT_MSG_ALIVE;
}

/*
 * Length of the UTF-8 sequence at s (at most left bytes), or 0 if it is
 * not a well-formed, non-control code point (no overlong forms, no
 * surrogates, nothing above U+10FFFF, no C1 controls). Names end up in
 * JSON and logs, which need valid UTF-8 without control characters.
 */
static size_t
utf8_len(const uint8_t *s, size_t left)
{
	static const uint32_t min_cp[4] = {0, 0xa0, 0x800, 0x10000};
	uint32_t cp;
	size_t n, i;

	if (s[0] < 0x80)
		return s[0] >= 0x20 && s[0] != 0x7f ? 1 : 0;
	if ((s[0] & 0xe0) == 0xc0)
		n = 2, cp = s[0] & 0x1fu;
	else if ((s[0] & 0xf0) == 0xe0)
		n = 3, cp = s[0] & 0x0fu;
	else if ((s[0] & 0xf8) == 0xf0)
		n = 4, cp = s[0] & 0x07u;
	else
		return 0;
	if (left < n)
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3fu);
	}
	if (cp < min_cp[n - 1] || cp > 0x10ffff ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

static bool
name_is_valid(const uint8_t *s, size_t len)
{
	size_t i, n;

	if (len < 1 || len > ELECT_NAME_MAX)
		return false;
	for (i = 0; i < len; i += n)
		if ((n = utf8_len(s + i, len - i)) == 0)
			return false;
	return true;
}

static bool
addr_is_valid(const struct elect_addr *a)
{
	return a->family == 4 || a->family == 6;
}

static bool
dmz_is_valid(const struct elect_addr *a, uint8_t prefix)
{
	return (a->family == 4 && prefix <= 32) ||
	       (a->family == 6 && prefix <= 128);
}

/* ---- decoding ---- */

static bool
decode_addr(struct elect_msg *m, uint8_t family, const uint8_t *v, size_t len)
{
	struct elect_addr *a;

	if (m->n_addrs >= ELECT_MAX_ADDRS)
		return false;
	a = &m->addrs[m->n_addrs++];
	a->family = family;
	memcpy(a->b, v, len);
	return true;
}

static bool
decode_dmz(struct elect_msg *m, uint8_t family, const uint8_t *v, size_t len)
{
	/* DMZ4 and DMZ6 are one field: a second one is a duplicate. */
	if (m->has & ELECT_HAS_DMZ)
		return false;
	m->dmz.family = family;
	memcpy(m->dmz.b, v, len - 1);
	m->dmz_prefix = v[len - 1];
	m->has |= ELECT_HAS_DMZ;
	return dmz_is_valid(&m->dmz, m->dmz_prefix);
}

static bool
decode_bool(uint8_t v, uint8_t *out)
{
	*out = v;
	return v <= 1;
}

/* Stores one TLV of a known type and valid length; false: bad value. */
static bool
decode_tlv(struct elect_msg *m, uint8_t type, const uint8_t *v, size_t len)
{
	switch (type) {
	case TLV_NAME:
		memcpy(m->name, v, len);
		m->name[len] = '\0';
		m->has |= ELECT_HAS_NAME;
		return name_is_valid(v, len);
	case TLV_PRIORITY:
		m->priority = v[0];
		m->has |= ELECT_HAS_PRIORITY;
		return true;
	case TLV_STATE:
		m->state = v[0];
		m->has |= ELECT_HAS_STATE;
		return v[0] < STATE_COUNT;
	case TLV_HOLDER:
		memcpy(m->holder.b, v, len);
		m->has |= ELECT_HAS_HOLDER;
		return true;
	case TLV_ADDR4:
		return decode_addr(m, 4, v, len);
	case TLV_ADDR6:
		return decode_addr(m, 6, v, len);
	case TLV_DMZ4:
		return decode_dmz(m, 4, v, len);
	case TLV_DMZ6:
		return decode_dmz(m, 6, v, len);
	case TLV_LEASE_MS:
		m->lease_ms = (uint32_t)be_get(v, 4);
		m->has |= ELECT_HAS_LEASE;
		return true;
	case TLV_NONCE:
		m->nonce = be_get(v, 8);
		m->has |= ELECT_HAS_NONCE;
		return true;
	case TLV_CHECK:
		m->has |= ELECT_HAS_CHECK;
		return decode_bool(v[0], &m->check_ok);
	case TLV_BOOT:
		m->boot = be_get(v, 8);
		m->has |= ELECT_HAS_BOOT;
		return true;
	case TLV_UPTIME_MS:
		m->uptime_ms = be_get(v, 8);
		m->has |= ELECT_HAS_UPTIME;
		return true;
	case TLV_PREEMPT:
		m->has |= ELECT_HAS_PREEMPT;
		return decode_bool(v[0], &m->preempt);
	case TLV_MAC:
		memcpy(m->mac, v, len);
		m->has |= ELECT_HAS_MAC;
		return true;
	case TLV_MEMBERS:
		m->n_members = v[0];
		m->has |= ELECT_HAS_MEMBERS;
		return true;
	case TLV_CHALLENGE:
		m->challenge = be_get(v, 8);
		m->has |= ELECT_HAS_CHALLENGE;
		return true;
	case TLV_RESPONSE:
		m->response = be_get(v, 8);
		m->has |= ELECT_HAS_RESPONSE;
		return true;
	case TLV_HEARTBEAT_MS:
		m->heartbeat_ms = (uint32_t)be_get(v, 4);
		m->has |= ELECT_HAS_HEARTBEAT;
		return true;
	case TLV_PROBE_SEQ:
		m->probe_seq = (uint32_t)be_get(v, 4);
		m->has |= ELECT_HAS_PROBE_SEQ;
		return true;
	case TLV_MISSED:
		m->missed = (uint32_t)be_get(v, 4);
		m->has |= ELECT_HAS_MISSED;
		return true;
	case TLV_DMZ6_ALSO:
		m->dmz6.family = 6;
		memcpy(m->dmz6.b, v, 16);
		m->dmz6_prefix = v[16];
		m->has |= ELECT_HAS_DMZ6_ALSO;
		return dmz_is_valid(&m->dmz6, m->dmz6_prefix);
	case TLV_REASON: /* any value: unknown ones mean nothing */
		m->reason = v[0];
		m->has |= ELECT_HAS_REASON;
		return true;
	case TLV_FENCE_MS:
		m->fence_ms = (uint32_t)be_get(v, 4);
		m->has |= ELECT_HAS_FENCE;
		return true;
	case TLV_PING:
		m->ping = be_get(v, 8);
		m->has |= ELECT_HAS_PING;
		return true;
	case TLV_ECHO:
		if (m->n_echoes >= ELECT_MAX_ECHOES)
			return false;
		m->echoes[m->n_echoes].nonce = be_get(v, 8);
		m->echoes[m->n_echoes].held_ms = (uint16_t)be_get(v + 8, 2);
		m->n_echoes++;
		m->has |= ELECT_HAS_ECHO;
		return true;
	case TLV_SITE:
		m->site_digest = be_get(v, 8);
		m->site_count = (uint16_t)be_get(v + 8, 2);
		m->has |= ELECT_HAS_SITE;
		return true;
	case TLV_ENTRY: /* the parts of one block, in order */
		if (len > ELECT_ENTRIES_MAX - m->entries_len)
			return false;
		memcpy(m->entries + m->entries_len, v, len);
		m->entries_len += len;
		m->has |= ELECT_HAS_ENTRIES;
		return true;
	case TLV_RANGES:
		for (size_t i = 0; i < ELECT_SITE_RANGES; i++)
			m->ranges[i] = be_get(v + 8 * i, 8);
		m->has |= ELECT_HAS_RANGES;
		return true;
	case TLV_RESOURCES:
		m->cpus = (uint16_t)be_get(v, 2);
		m->mem_mib = (uint32_t)be_get(v + 2, 4);
		m->has |= ELECT_HAS_RESOURCES;
		return true;
	case TLV_ALIVE_MS:
		m->alive_ms = (uint32_t)be_get(v, 4);
		m->has |= ELECT_HAS_ALIVE;
		return true;
	case TLV_KEYS: /* unknown flag bits are a later revision's */
		memcpy(m->key_cur, v, ELECT_KEY_ID_LEN);
		memcpy(m->key_next, v + ELECT_KEY_ID_LEN, ELECT_KEY_ID_LEN);
		m->key_flags = v[2 * ELECT_KEY_ID_LEN];
		m->has |= ELECT_HAS_KEYS;
		return true;
	case TLV_PUBLIC4:
	case TLV_PUBLIC6: /* once each (decode_body): never more than 2 */
		m->pub[m->n_pub].family = type == TLV_PUBLIC4 ? 4 : 6;
		memcpy(m->pub[m->n_pub].b, v, len);
		m->n_pub++;
		m->has |= ELECT_HAS_PUBLIC;
		return true;
	}
	return false;
}

static bool
tlv_is_repeatable(uint8_t type)
{
	return type == TLV_ADDR4 || type == TLV_ADDR6 || type == TLV_ECHO ||
	       type == TLV_ENTRY;
}

static enum elect_wire_err
decode_body(struct rcur *c, struct elect_msg *m)
{
	uint64_t seen = 0;
	const uint8_t *v;
	uint8_t type, len;

	while (c->off < c->len) {
		if (!rd_u8(c, &type) || !rd_u8(c, &len) ||
		    !rd_bytes(c, len, &v))
			return ELECT_WIRE_MALFORMED;
		if (type == 0 || type > TLV_LAST)
			continue; /* a newer peer's field */
		if (len < tlv_len[type].min || len > tlv_len[type].max)
			return ELECT_WIRE_MALFORMED;
		if (!tlv_is_repeatable(type) && (seen & UINT64_C(1) << type))
			return ELECT_WIRE_MALFORMED;
		seen |= UINT64_C(1) << type;
		if (!decode_tlv(m, type, v, len))
			return ELECT_WIRE_MALFORMED;
	}
	return ELECT_WIRE_OK;
}

/* Magic, version and length; the order fixes which reason is counted. */
static enum elect_wire_err
check_frame(const uint8_t *buf, size_t len)
{
	struct rcur c = {buf, len, WIRE_OFF_BODY_LEN};
	uint16_t body_len;

	if (len < ELECT_WIRE_HDR_LEN + ELECT_WIRE_TAG_LEN ||
	    len > ELECT_WIRE_MAX)
		return ELECT_WIRE_MALFORMED;
	if (memcmp(buf, WIRE_MAGIC, WIRE_MAGIC_LEN) != 0)
		return ELECT_WIRE_MALFORMED;
	if (buf[WIRE_MAGIC_LEN] != ELECT_PROTO_VERSION)
		return ELECT_WIRE_VERSION;
	if (!rd_u16(&c, &body_len) ||
	    len != (size_t)ELECT_WIRE_HDR_LEN + body_len + ELECT_WIRE_TAG_LEN)
		return ELECT_WIRE_MALFORMED;
	return ELECT_WIRE_OK;
}

static bool
tag_is_valid(struct elect_key *key, const uint8_t *buf, size_t len)
{
	uint8_t tag[ELECT_WIRE_TAG_LEN];
	size_t n = len - ELECT_WIRE_TAG_LEN;

	wire_tag(key, buf, n, tag);
	return memeql_sec(tag, buf + n, ELECT_WIRE_TAG_LEN) != 0;
}

/*
 * The key id: the first ELECT_KEY_ID_LEN bytes of HMAC-SHA256(key,
 * label). A pseudo-random function of the key on a label used for
 * nothing else: it tells keys apart and gives nothing of them away.
 */
void
elect_key_id(struct elect_key *key, uint8_t id[ELECT_KEY_ID_LEN])
{
	static const char label[] = "QuRe key id v1";
	uint8_t tag[ELECT_WIRE_TAG_LEN];

	assert(key != NULL);
	wire_tag(key, (const uint8_t *)label, sizeof(label) - 1, tag);
	memcpy(id, tag, ELECT_KEY_ID_LEN);
}

enum elect_wire_err
elect_wire_decode_either(const uint8_t *buf, size_t len, struct elect_key *key,
    struct elect_key *next, struct elect_msg *out, bool *by_next)
{
	enum elect_wire_err err;

	*by_next = false;
	err = elect_wire_decode(buf, len, key, out);
	if (err != ELECT_WIRE_AUTH || next == NULL)
		return err;
	err = elect_wire_decode(buf, len, next, out);
	*by_next = err != ELECT_WIRE_AUTH;
	return err;
}

enum elect_wire_err
elect_wire_decode(const uint8_t *buf, size_t len, struct elect_key *key,
    struct elect_msg *out)
{
	struct rcur c;
	const uint8_t *id;
	enum elect_wire_err err;
	uint16_t body_len;

	assert(key != NULL && out != NULL);
	if ((err = check_frame(buf, len)) != ELECT_WIRE_OK)
		return err;
	if (!tag_is_valid(key, buf, len))
		return ELECT_WIRE_AUTH;
	c = (struct rcur){buf, len - ELECT_WIRE_TAG_LEN, WIRE_MAGIC_LEN};
	memset(out, 0, sizeof(*out));
	if (!rd_u8(&c, &out->version) || !rd_u8(&c, &out->type) ||
	    !rd_u16(&c, &out->flags) || !rd_bytes(&c, 16, &id) ||
	    !rd_u64(&c, &out->epoch) || !rd_u64(&c, &out->seq) ||
	    !rd_u16(&c, &body_len))
		return ELECT_WIRE_MALFORMED;
	memcpy(out->id.b, id, sizeof(out->id.b));
	if (!type_is_known(out->type))
		return ELECT_WIRE_MALFORMED;
	if (out->type != ELECT_MSG_STATE && len > ELECT_WIRE_CTRL_MAX)
		return ELECT_WIRE_MALFORMED;
	if ((err = decode_body(&c, out)) != ELECT_WIRE_OK)
		return err;
	if ((out->has & required_has[out->type]) != required_has[out->type])
		return ELECT_WIRE_MALFORMED;
	return ELECT_WIRE_OK;
}

/* ---- encoding ---- */

/* At most one public address of each family, and only with the flag. */
static bool
public_is_encodable(const struct elect_msg *m)
{
	if (((m->has & ELECT_HAS_PUBLIC) != 0) != (m->n_pub > 0) ||
	    m->n_pub > ELECT_MAX_PUBLIC)
		return false;
	if (m->n_pub == 2 && m->pub[0].family == m->pub[1].family)
		return false;
	for (size_t i = 0; i < m->n_pub; i++)
		if (m->pub[i].family != 4 && m->pub[i].family != 6)
			return false;
	return true;
}

/* Whether the decoder would accept msg: the encoder refuses the rest. */
static bool
msg_is_encodable(const struct elect_msg *m)
{
	size_t i;

	if (!type_is_known(m->type) || (m->has & ~ELECT_HAS_ALL) ||
	    (m->has & required_has[m->type]) != required_has[m->type])
		return false;
	if (m->n_addrs > ELECT_MAX_ADDRS)
		return false;
	if (m->n_echoes > ELECT_MAX_ECHOES ||
	    ((m->has & ELECT_HAS_ECHO) != 0) != (m->n_echoes > 0))
		return false;
	if (!public_is_encodable(m))
		return false;
	if (m->entries_len > ELECT_ENTRIES_MAX ||
	    ((m->has & ELECT_HAS_ENTRIES) != 0) != (m->entries_len > 0))
		return false;
	for (i = 0; i < m->n_addrs; i++)
		if (!addr_is_valid(&m->addrs[i]))
			return false;
	if ((m->has & ELECT_HAS_NAME) &&
	    !name_is_valid(
		(const uint8_t *)m->name, strnlen(m->name, sizeof(m->name))))
		return false;
	if ((m->has & ELECT_HAS_STATE) && m->state >= STATE_COUNT)
		return false;
	if ((m->has & ELECT_HAS_DMZ) && !dmz_is_valid(&m->dmz, m->dmz_prefix))
		return false;
	if ((m->has & ELECT_HAS_CHECK) && m->check_ok > 1)
		return false;
	if ((m->has & ELECT_HAS_PREEMPT) && m->preempt > 1)
		return false;
	return true;
}

static void
encode_addrs(struct wcur *c, const struct elect_msg *m)
{
	const struct elect_addr *a;
	uint8_t v[17];
	size_t i, n;

	for (i = 0; i < m->n_addrs; i++) {
		a = &m->addrs[i];
		n = a->family == 4 ? 4 : 16;
		wr_tlv(c, a->family == 4 ? TLV_ADDR4 : TLV_ADDR6, a->b, n);
	}
	if (m->has & ELECT_HAS_DMZ) {
		n = m->dmz.family == 4 ? 4 : 16;
		memcpy(v, m->dmz.b, n);
		v[n] = m->dmz_prefix;
		wr_tlv(c, m->dmz.family == 4 ? TLV_DMZ4 : TLV_DMZ6, v, n + 1);
	}
}

/*
 * The largest datagram encode_body() can make: every TLV it writes, once,
 * with its longest value (the longest name, ELECT_MAX_ADDRS IPv6
 * addresses, an IPv6 DMZ address). A TLV added there is added here.
 */
#define TLV_SIZE(len) (2 + (len))
#define WIRE_BODY_LARGEST                                                      \
	(TLV_SIZE(ELECT_NAME_MAX) + TLV_SIZE(1) /* PRIORITY */ +               \
	    TLV_SIZE(1) /* STATE */ + TLV_SIZE(16) /* HOLDER */ +              \
	    ELECT_MAX_ADDRS * TLV_SIZE(16) /* ADDR6 */ +                       \
	    TLV_SIZE(17) /* DMZ6 */ + TLV_SIZE(4) /* LEASE_MS */ +             \
	    TLV_SIZE(8) /* NONCE */ + TLV_SIZE(1) /* CHECK */ +                \
	    TLV_SIZE(8) /* BOOT */ + TLV_SIZE(8) /* UPTIME_MS */ +             \
	    TLV_SIZE(1) /* PREEMPT */ + TLV_SIZE(6) /* MAC */ +                \
	    TLV_SIZE(1) /* MEMBERS */ + TLV_SIZE(8) /* CHALLENGE */ +          \
	    TLV_SIZE(8) /* RESPONSE */ + TLV_SIZE(4) /* HEARTBEAT_MS */ +      \
	    TLV_SIZE(4) /* PROBE_SEQ */ + TLV_SIZE(1) /* REASON */ +           \
	    TLV_SIZE(17) /* DMZ6_ALSO */ + TLV_SIZE(4) /* FENCE_MS */ +        \
	    TLV_SIZE(8) /* PING */ +                                           \
	    ELECT_MAX_ECHOES * TLV_SIZE(10) /* ECHO */ +                       \
	    TLV_SIZE(4) /* PUBLIC4 */ + TLV_SIZE(16) /* PUBLIC6 */ +           \
	    TLV_SIZE(4) /* MISSED */ + TLV_SIZE(10) /* SITE */ +               \
	    TLV_SIZE(6) /* RESOURCES */ + TLV_SIZE(4) /* ALIVE_MS */ +         \
	    TLV_SIZE(2 * ELECT_KEY_ID_LEN + 1) /* KEYS */)
_Static_assert(ELECT_WIRE_HDR_LEN + WIRE_BODY_LARGEST + ELECT_WIRE_TAG_LEN <=
		   ELECT_WIRE_CTRL_MAX,
    "ELECT_WIRE_CTRL_MAX must hold the largest message we encode");
/* A STATE: its start, the entries in 255-byte parts, a pull. */
#define WIRE_STATE_LARGEST                                                     \
	(TLV_SIZE(8) /* BOOT */ + TLV_SIZE(8) /* UPTIME_MS */ +                \
	    ELECT_ENTRIES_MAX + 2 * ((ELECT_ENTRIES_MAX + 254) / 255) +        \
	    TLV_SIZE(8 * ELECT_SITE_RANGES) /* RANGES */)
_Static_assert(ELECT_WIRE_HDR_LEN + WIRE_STATE_LARGEST + ELECT_WIRE_TAG_LEN <=
		   ELECT_WIRE_MAX,
    "ELECT_WIRE_MAX must hold the largest STATE we encode");

/* SITE; the entries in parts of 255 bytes, joined in order by the
 * receiver; RANGES; RESOURCES; ALIVE_MS; KEYS (the last TLVs, in type
 * order). */
static void
encode_site(struct wcur *c, const struct elect_msg *m)
{
	uint8_t v[8 * ELECT_SITE_RANGES];
	size_t off, n, i;

	if (m->has & ELECT_HAS_SITE) {
		for (i = 0; i < 8; i++)
			v[i] = (uint8_t)(m->site_digest >> (56 - 8 * i));
		v[8] = (uint8_t)(m->site_count >> 8);
		v[9] = (uint8_t)m->site_count;
		wr_tlv(c, TLV_SITE, v, 10);
	}
	for (off = 0; (m->has & ELECT_HAS_ENTRIES) && off < m->entries_len;
	     off += n) {
		n = m->entries_len - off < 255 ? m->entries_len - off : 255;
		wr_tlv(c, TLV_ENTRY, m->entries + off, n);
	}
	if (m->has & ELECT_HAS_RANGES) {
		for (i = 0; i < 8 * ELECT_SITE_RANGES; i++)
			v[i] =
			    (uint8_t)(m->ranges[i / 8] >> (56 - 8 * (i % 8)));
		wr_tlv(c, TLV_RANGES, v, sizeof(v));
	}
	if (m->has & ELECT_HAS_RESOURCES) {
		v[0] = (uint8_t)(m->cpus >> 8);
		v[1] = (uint8_t)m->cpus;
		for (i = 0; i < 4; i++)
			v[2 + i] = (uint8_t)(m->mem_mib >> (24 - 8 * i));
		wr_tlv(c, TLV_RESOURCES, v, 6);
	}
	if (m->has & ELECT_HAS_ALIVE)
		wr_tlv_int(c, TLV_ALIVE_MS, m->alive_ms, 4);
	if (m->has & ELECT_HAS_KEYS) {
		uint8_t k[2 * ELECT_KEY_ID_LEN + 1];

		memcpy(k, m->key_cur, ELECT_KEY_ID_LEN);
		memcpy(k + ELECT_KEY_ID_LEN, m->key_next, ELECT_KEY_ID_LEN);
		k[2 * ELECT_KEY_ID_LEN] = m->key_flags;
		wr_tlv(c, TLV_KEYS, k, sizeof(k));
	}
}

/* TLVs in type order; the decoder accepts any order. */
static void
encode_body(struct wcur *c, const struct elect_msg *m)
{
	uint32_t has = m->has;

	if (has & ELECT_HAS_NAME)
		wr_tlv(c, TLV_NAME, m->name, strlen(m->name));
	if (has & ELECT_HAS_PRIORITY)
		wr_tlv_int(c, TLV_PRIORITY, m->priority, 1);
	if (has & ELECT_HAS_STATE)
		wr_tlv_int(c, TLV_STATE, m->state, 1);
	if (has & ELECT_HAS_HOLDER)
		wr_tlv(c, TLV_HOLDER, m->holder.b, sizeof(m->holder.b));
	encode_addrs(c, m);
	if (has & ELECT_HAS_LEASE)
		wr_tlv_int(c, TLV_LEASE_MS, m->lease_ms, 4);
	if (has & ELECT_HAS_NONCE)
		wr_tlv_int(c, TLV_NONCE, m->nonce, 8);
	if (has & ELECT_HAS_CHECK)
		wr_tlv_int(c, TLV_CHECK, m->check_ok, 1);
	if (has & ELECT_HAS_BOOT)
		wr_tlv_int(c, TLV_BOOT, m->boot, 8);
	if (has & ELECT_HAS_UPTIME)
		wr_tlv_int(c, TLV_UPTIME_MS, m->uptime_ms, 8);
	if (has & ELECT_HAS_PREEMPT)
		wr_tlv_int(c, TLV_PREEMPT, m->preempt, 1);
	if (has & ELECT_HAS_MAC)
		wr_tlv(c, TLV_MAC, m->mac, sizeof(m->mac));
	if (has & ELECT_HAS_MEMBERS)
		wr_tlv_int(c, TLV_MEMBERS, m->n_members, 1);
	if (has & ELECT_HAS_CHALLENGE)
		wr_tlv_int(c, TLV_CHALLENGE, m->challenge, 8);
	if (has & ELECT_HAS_RESPONSE)
		wr_tlv_int(c, TLV_RESPONSE, m->response, 8);
	if (has & ELECT_HAS_HEARTBEAT)
		wr_tlv_int(c, TLV_HEARTBEAT_MS, m->heartbeat_ms, 4);
	if (has & ELECT_HAS_PROBE_SEQ)
		wr_tlv_int(c, TLV_PROBE_SEQ, m->probe_seq, 4);
	if (has & ELECT_HAS_MISSED)
		wr_tlv_int(c, TLV_MISSED, m->missed, 4);
	if (has & ELECT_HAS_REASON)
		wr_tlv_int(c, TLV_REASON, m->reason, 1);
	if (has & ELECT_HAS_DMZ6_ALSO) {
		uint8_t v[17];

		memcpy(v, m->dmz6.b, 16);
		v[16] = m->dmz6_prefix;
		wr_tlv(c, TLV_DMZ6_ALSO, v, sizeof(v));
	}
	if (has & ELECT_HAS_FENCE)
		wr_tlv_int(c, TLV_FENCE_MS, m->fence_ms, 4);
	if (has & ELECT_HAS_PING)
		wr_tlv_int(c, TLV_PING, m->ping, 8);
	for (size_t i = 0; (has & ELECT_HAS_ECHO) && i < m->n_echoes; i++) {
		uint8_t v[10];

		for (int k = 0; k < 8; k++)
			v[k] = (uint8_t)(m->echoes[i].nonce >> (56 - 8 * k));
		v[8] = (uint8_t)(m->echoes[i].held_ms >> 8);
		v[9] = (uint8_t)m->echoes[i].held_ms;
		wr_tlv(c, TLV_ECHO, v, sizeof(v));
	}
	for (size_t i = 0; (has & ELECT_HAS_PUBLIC) && i < m->n_pub; i++)
		wr_tlv(c, m->pub[i].family == 4 ? TLV_PUBLIC4 : TLV_PUBLIC6,
		    m->pub[i].b, m->pub[i].family == 4 ? 4 : 16);
	encode_site(c, m);
}

size_t
elect_wire_encode(const struct elect_msg *msg, struct elect_key *key,
    uint8_t *buf, size_t len)
{
	size_t most =
	    msg->type == ELECT_MSG_STATE ? ELECT_WIRE_MAX : ELECT_WIRE_CTRL_MAX;
	struct wcur c = {buf, len < most ? len : most, 0, false};
	size_t body_len;

	assert(msg != NULL && key != NULL);
	if (buf == NULL || !msg_is_encodable(msg))
		return 0;
	wr_bytes(&c, WIRE_MAGIC, WIRE_MAGIC_LEN);
	wr_be(&c, ELECT_PROTO_VERSION, 1);
	wr_be(&c, msg->type, 1);
	/* Defined bits only: the others are 0 on the wire. */
	wr_be(&c, msg->flags & (ELECT_FLAG_SOLICIT | ELECT_FLAG_UNFIT), 2);
	wr_bytes(&c, msg->id.b, sizeof(msg->id.b));
	wr_be(&c, msg->epoch, 8);
	wr_be(&c, msg->seq, 8);
	wr_be(&c, 0, 2); /* body_len, patched below */
	encode_body(&c, msg);
	if (c.fail || c.len - c.off < ELECT_WIRE_TAG_LEN)
		return 0;
	body_len = c.off - ELECT_WIRE_HDR_LEN;
	buf[WIRE_OFF_BODY_LEN] = (uint8_t)(body_len >> 8);
	buf[WIRE_OFF_BODY_LEN + 1] = (uint8_t)body_len;
	wire_tag(key, buf, c.off, buf + c.off);
	return c.off + ELECT_WIRE_TAG_LEN;
}

/* ---- replay window ---- */

void
elect_replay_init(struct elect_replay *r)
{
	memset(r, 0, sizeof(*r));
	r->challenge_every_ms = 200;
	r->stale_ms = 600;
}

/*
 * Linear scan: 128 slots stay in a few cache lines' reach, and only
 * authenticated datagrams get here.
 */
static struct elect_replay_slot *
slot_find(struct elect_replay *r, const struct elect_id *id)
{
	size_t i;

	assert(r->n <= ELECT_REPLAY_SLOTS);
	for (i = 0; i < r->n; i++)
		if (memcmp(r->slot[i].id.b, id->b, sizeof(id->b)) == 0)
			return &r->slot[i];
	return NULL;
}

/* Least recently heard, an unverified slot before any verified one. */
static bool
slot_older(const struct elect_replay_slot *a, const struct elect_replay_slot *b)
{
	if (a->verified != b->verified)
		return !a->verified;
	return a->heard_ms < b->heard_ms;
}

/* Finds id's slot, or makes one: the table never grows past its size. */
static struct elect_replay_slot *
slot_get(struct elect_replay *r, const struct elect_id *id, uint64_t now_ms)
{
	struct elect_replay_slot *s = slot_find(r, id);
	size_t i, victim = 0;

	if (s != NULL)
		return s;
	if (r->n < ELECT_REPLAY_SLOTS) {
		s = &r->slot[r->n++];
	} else {
		for (i = 1; i < r->n; i++)
			if (slot_older(&r->slot[i], &r->slot[victim]))
				victim = i;
		s = &r->slot[victim];
	}
	memset(s, 0, sizeof(*s));
	s->id = *id;
	s->heard_ms = now_ms;
	return s;
}

enum elect_wire_err
elect_replay_check(struct elect_replay *r, const struct elect_id *id,
    uint64_t boot, uint64_t seq, uint64_t now_ms)
{
	struct elect_replay_slot *s = slot_find(r, id);

	if (s == NULL || !s->verified || s->boot != boot)
		return ELECT_WIRE_UNVERIFIED;
	/* A replay does not refresh heard_ms: it is not news. */
	if (seq <= s->last_seq)
		return ELECT_WIRE_REPLAY;
	s->last_seq = seq;
	s->heard_ms = now_ms;
	return ELECT_WIRE_OK;
}

/*
 * The limit holds while a challenge to the same address is unanswered:
 * replays from spoofed addresses cannot hold off the challenge to the
 * real node, and a node that answers is challenged again at once (its
 * restart right after a replayed datagram of it is heard in one round
 * trip). What the network sends makes at most one unanswered challenge
 * per id, address and interval.
 */
bool
elect_replay_challenge(struct elect_replay *r, const struct elect_id *id,
    uint64_t boot, const struct elect_addr *to, uint64_t value, uint64_t now_ms)
{
	struct elect_replay_slot *s = slot_get(r, id, now_ms);

	assert(value != 0);
	if (s->chal != 0 && memcmp(&s->chal_to, to, sizeof(*to)) == 0 &&
	    s->chal_boot == boot && now_ms < s->chal_ms + r->challenge_every_ms)
		return false;
	s->chal = value;
	s->chal_boot = boot;
	s->chal_ms = now_ms;
	s->chal_to = *to;
	s->chal_echoed = false;
	return true;
}

uint64_t
elect_replay_echo(struct elect_replay *r, const struct elect_id *id,
    uint64_t boot, const struct elect_addr *to)
{
	struct elect_replay_slot *s = slot_find(r, id);

	if (s == NULL || s->chal == 0 || s->chal_echoed ||
	    s->chal_boot != boot || memcmp(&s->chal_to, to, sizeof(*to)) != 0)
		return 0;
	s->chal_echoed = true;
	return s->chal;
}

bool
elect_replay_answered(struct elect_replay *r, const struct elect_id *id,
    uint64_t response, uint64_t now_ms, uint64_t max_age_ms)
{
	struct elect_replay_slot *s = slot_find(r, id);

	if (s == NULL || s->chal == 0 || s->chal != response ||
	    now_ms > s->chal_ms + max_age_ms)
		return false;
	s->chal = 0; /* used up: a replayed answer proves nothing */
	return true;
}

void
elect_replay_verify(struct elect_replay *r, const struct elect_id *id,
    uint64_t boot, uint64_t seq, uint64_t now_ms)
{
	struct elect_replay_slot *s = slot_get(r, id, now_ms);

	s->verified = true;
	s->boot = boot;
	s->last_seq = seq;
	s->heard_ms = now_ms;
	s->start_ms = UINT64_MAX; /* elect_replay_seen_start() tells */
}

static uint64_t
implied_start(uint64_t uptime_ms, uint64_t now_ms)
{
	return now_ms > uptime_ms ? now_ms - uptime_ms : 0;
}

bool
elect_replay_is_stale(const struct elect_replay *r, const struct elect_id *id,
    uint64_t uptime_ms, uint64_t now_ms)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		if (memcmp(r->slot[i].id.b, id->b, sizeof(id->b)) == 0)
			return r->slot[i].verified &&
			       implied_start(uptime_ms, now_ms) >
				   r->slot[i].start_ms + r->stale_ms;
	return false;
}

void
elect_replay_seen_start(struct elect_replay *r, const struct elect_id *id,
    uint64_t uptime_ms, uint64_t now_ms)
{
	struct elect_replay_slot *s = slot_find(r, id);
	uint64_t start = implied_start(uptime_ms, now_ms);

	if (s != NULL && s->verified && start < s->start_ms)
		s->start_ms = start;
}

bool
elect_replay_is_known(const struct elect_replay *r, const struct elect_id *id)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		if (memcmp(r->slot[i].id.b, id->b, sizeof(id->b)) == 0)
			return r->slot[i].verified;
	return false;
}

/* ---- names and ids ---- */

const char *
elect_msg_type_name(int type)
{
	static const char *const names[] = {
	    [ELECT_MSG_HELLO] = "hello",
	    [ELECT_MSG_HEARTBEAT] = "heartbeat",
	    [ELECT_MSG_CLAIM] = "claim",
	    [ELECT_MSG_RESIGN] = "resign",
	    [ELECT_MSG_PROBE] = "probe",
	    [ELECT_MSG_PROBE_ACK] = "probe-ack",
	    [ELECT_MSG_STATE] = "state",
	    [ELECT_MSG_ALIVE] = "alive",
	};

	if (type < 0 || !type_is_known((unsigned)type))
		return "unknown";
	return names[type];
}

const char *
elect_wire_err_name(enum elect_wire_err err)
{
	switch (err) {
	case ELECT_WIRE_OK:
		return "ok";
	case ELECT_WIRE_MALFORMED:
		return "malformed";
	case ELECT_WIRE_VERSION:
		return "version";
	case ELECT_WIRE_AUTH:
		return "auth";
	case ELECT_WIRE_REPLAY:
		return "replay";
	case ELECT_WIRE_UNVERIFIED:
		return "unverified";
	}
	return "unknown";
}

char *
elect_id_hex(const struct elect_id *id, char buf[33])
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < sizeof(id->b); i++) {
		buf[2 * i] = digits[id->b[i] >> 4];
		buf[2 * i + 1] = digits[id->b[i] & 0x0f];
	}
	buf[2 * sizeof(id->b)] = '\0';
	return buf;
}

static int
hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
elect_id_parse(const char *s, struct elect_id *out)
{
	struct elect_id id;
	int hi, lo;
	size_t i;

	if (s == NULL)
		return -1;
	for (i = 0; i < sizeof(id.b); i++) {
		/* s[2 * i] is '\0' at a short string: hex_digit stops there. */
		if ((hi = hex_digit(s[2 * i])) == -1 ||
		    (lo = hex_digit(s[2 * i + 1])) == -1)
			return -1;
		id.b[i] = (uint8_t)(hi << 4 | lo);
	}
	if (s[2 * sizeof(id.b)] != '\0')
		return -1;
	*out = id;
	return 0;
}

bool
elect_id_is_zero(const struct elect_id *id)
{
	static const struct elect_id zero;

	return memcmp(id->b, zero.b, sizeof(id->b)) == 0;
}

int
elect_id_cmp(const struct elect_id *a, const struct elect_id *b)
{
	int r = memcmp(a->b, b->b, sizeof(a->b));

	return (r > 0) - (r < 0);
}
