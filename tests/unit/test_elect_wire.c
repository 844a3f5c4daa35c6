/*
 * tests/unit/test_elect_wire.c — the wire codec, its HMAC tag and the
 * replay window (election/elect_wire.c, doc/protocol.md).
 *
 * Bad datagrams are built by hand (raw_make) and tagged with OpenSSL's
 * one-shot HMAC(), independently of the codec, so that a test of a body
 * rule is not an authentication failure in disguise.
 */
#include "config.h"

#include "election/election.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#define HDR ELECT_WIRE_HDR_LEN
#define TAG ELECT_WIRE_TAG_LEN

static const uint8_t secret[ELECT_KEY_LEN] = "0123456789abcdef0123456789abcde";
static const uint8_t other_secret[ELECT_KEY_LEN] =
    "not the cluster key, not at all";

struct fx {
	struct elect_key *key;
	uint8_t buf[2048];
	size_t len;
	struct elect_msg in, out;
};

static int
fx_setup(void **state)
{
	static struct fx f;

	memset(&f, 0, sizeof(f));
	f.key = elect_key_new(secret);
	assert_non_null(f.key);
	*state = &f;
	return 0;
}

static int
fx_teardown(void **state)
{
	struct fx *f = *state;

	elect_key_free(f->key);
	return 0;
}

/* ---- helpers ---- */

/* Rewrites the tag of a len-byte datagram with key bytes k. */
static void
retag_with(uint8_t *buf, size_t len, const uint8_t *k)
{
	unsigned int n = 0;

	assert_true(len >= TAG);
	assert_non_null(HMAC(EVP_sha256(), k, ELECT_KEY_LEN, buf, len - TAG,
	    buf + len - TAG, &n));
	assert_int_equal(n, TAG);
}

static void
retag(uint8_t *buf, size_t len)
{
	retag_with(buf, len, secret);
}

struct body {
	uint8_t b[2048];
	size_t n;
};

static void
body_tlv(struct body *bd, uint8_t type, const void *v, size_t len)
{
	assert_true(len <= 255 && bd->n + 2 + len <= sizeof(bd->b));
	bd->b[bd->n++] = type;
	bd->b[bd->n++] = (uint8_t)len;
	if (len > 0)
		memcpy(bd->b + bd->n, v, len);
	bd->n += len;
}

static void
body_int(struct body *bd, uint8_t type, uint64_t v, size_t len)
{
	uint8_t b[8];
	size_t i;

	for (i = 0; i < len; i++)
		b[i] = (uint8_t)(v >> (8 * (len - 1 - i)));
	body_tlv(bd, type, b, len);
}

/* The TLVs a message of type must carry, and nothing more. */
static void
body_required(struct body *bd, uint8_t type)
{
	static const uint8_t dmz4[5] = {192, 168, 1, 11, 24};
	static const uint8_t zero_id[16];

	switch (type) {
	case ELECT_MSG_HELLO:
		body_tlv(bd, 1, "h1", 2);
		body_int(bd, 2, 100, 1);
		body_int(bd, 3, ELECT_ST_STANDBY, 1);
		body_tlv(bd, 7, dmz4, sizeof(dmz4));
		body_int(bd, 9, 600, 4);
		body_int(bd, 19, 200, 4);
		break;
	case ELECT_MSG_HEARTBEAT:
	case ELECT_MSG_CLAIM:
		body_int(bd, 2, 100, 1);
		body_tlv(bd, 7, dmz4, sizeof(dmz4));
		body_int(bd, 9, 600, 4);
		body_int(bd, 19, 200, 4);
		break;
	case ELECT_MSG_RESIGN:
		body_tlv(bd, 4, zero_id, sizeof(zero_id));
		break;
	case ELECT_MSG_PROBE:
		body_int(bd, 10, 7, 8);
		break;
	case ELECT_MSG_PROBE_ACK:
		body_int(bd, 10, 7, 8);
		body_int(bd, 11, 1, 1);
		break;
	default:
		break;
	}
	/* Version 2: BOOT and UPTIME_MS in every message (the window is per
	 * boot; a datagram sent long ago is stale). */
	body_int(bd, 12, 42, 8);
	body_int(bd, 13, 5000, 8);
}

/* Writes a version-2 datagram around body by hand and tags it. */
static size_t
raw_make(uint8_t *buf, uint8_t type, const struct body *bd)
{
	size_t len = HDR + bd->n + TAG;

	memset(buf, 0, HDR);
	memcpy(buf, "QURE", 4);
	buf[4] = 2;
	buf[5] = type;
	memset(buf + 8, 0xab, 16); /* node id */
	buf[31] = 7;		   /* epoch */
	buf[39] = 9;		   /* seq */
	buf[40] = (uint8_t)(bd->n >> 8);
	buf[41] = (uint8_t)bd->n;
	memcpy(buf + HDR, bd->b, bd->n);
	retag(buf, len);
	return len;
}

/* A raw datagram of type with its required TLVs, then extra ones. */
static enum elect_wire_err
decode_raw(struct fx *f, uint8_t type, const struct body *extra)
{
	struct body bd = {.n = 0};

	body_required(&bd, type);
	if (extra != NULL) {
		memcpy(bd.b + bd.n, extra->b, extra->n);
		bd.n += extra->n;
	}
	f->len = raw_make(f->buf, type, &bd);
	return elect_wire_decode(f->buf, f->len, f->key, &f->out);
}

static void
id_fill(struct elect_id *id, uint8_t v)
{
	memset(id->b, v, sizeof(id->b));
}

/* A message of type with every field its type uses, and then some. */
static void
msg_full(struct elect_msg *m, uint8_t type)
{
	static const uint8_t v6[16] = {
	    0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x12};

	memset(m, 0, sizeof(*m));
	m->version = 2;
	m->type = type;
	id_fill(&m->id, 0x11);
	m->epoch = 0x0102030405060708ull;
	m->seq = 0xfffffffffffffff0ull;
	m->has = ELECT_HAS_PRIORITY | ELECT_HAS_BOOT | ELECT_HAS_UPTIME;
	m->priority = 254;
	m->boot = 0xdeadbeefcafef00dull;
	m->uptime_ms = 123456789;
	switch (type) {
	case ELECT_MSG_HELLO:
		m->has |= ELECT_HAS_NAME | ELECT_HAS_STATE | ELECT_HAS_HOLDER |
			  ELECT_HAS_DMZ6_ALSO | ELECT_HAS_PREEMPT |
			  ELECT_HAS_SITE | ELECT_HAS_MAC | ELECT_HAS_DMZ |
			  ELECT_HAS_LEASE | ELECT_HAS_HEARTBEAT |
			  ELECT_HAS_CHALLENGE | ELECT_HAS_RESPONSE |
			  ELECT_HAS_PING | ELECT_HAS_RESOURCES |
			  ELECT_HAS_ALIVE;
		m->alive_ms = 0x01020304;
		m->ping = 0x1122334455667788ull;
		m->cpus = 0x0102;
		m->mem_mib = 0x03040506;
		m->site_digest = 0x8899aabbccddeeffull;
		m->site_count = 512;
		m->dmz =
		    (struct elect_addr){.family = 4, .b = {192, 168, 1, 11}};
		m->dmz_prefix = 24;
		m->lease_ms = 600;
		m->heartbeat_ms = 200;
		m->dmz6.family = 6;
		memcpy(m->dmz6.b, v6, 16);
		m->dmz6_prefix = 64;
		m->challenge = 0x0123456789abcdefull;
		m->response = 0xfedcba9876543210ull;
		snprintf(m->name, sizeof(m->name), "%s", "h\xc3\xb4te-1");
		memcpy(m->mac, "\x02\x00\x5e\x10\x20\x30", 6);
		m->state = ELECT_ST_STANDBY;
		id_fill(&m->holder, 0x22);
		m->preempt = 1;
		m->addrs[0] =
		    (struct elect_addr){.family = 4, .b = {10, 0, 0, 12}};
		m->addrs[1].family = 6;
		memcpy(m->addrs[1].b, v6, 16);
		m->n_addrs = 2;
		break;
	case ELECT_MSG_HEARTBEAT:
	case ELECT_MSG_CLAIM:
		m->has |= ELECT_HAS_DMZ | ELECT_HAS_LEASE | ELECT_HAS_MEMBERS |
			  ELECT_HAS_HEARTBEAT | ELECT_HAS_FENCE |
			  ELECT_HAS_ECHO;
		m->fence_ms = 40;
		for (size_t k = 0; k < ELECT_MAX_ECHOES; k++) {
			m->echoes[k].nonce = 0xa0a0a0a0a0a0a0a0ull + k;
			m->echoes[k].held_ms = (uint16_t)(65535 - k);
		}
		m->n_echoes = ELECT_MAX_ECHOES;
		m->has |= ELECT_HAS_PUBLIC;
		m->pub[0] =
		    (struct elect_addr){.family = 4, .b = {203, 0, 113, 5}};
		m->pub[1].family = 6;
		memcpy(m->pub[1].b, v6, 16);
		m->n_pub = 2;
		m->n_members = 7;
		m->heartbeat_ms = 250;
		m->dmz =
		    (struct elect_addr){.family = 4, .b = {192, 168, 1, 11}};
		m->dmz_prefix = 24;
		m->lease_ms = 600;
		break;
	case ELECT_MSG_RESIGN:
		m->has |= ELECT_HAS_HOLDER | ELECT_HAS_REASON;
		id_fill(&m->holder, 0x33);
		m->reason = ELECT_RESIGN_LINK_LOSS;
		break;
	case ELECT_MSG_PROBE:
		m->has |=
		    ELECT_HAS_NONCE | ELECT_HAS_PROBE_SEQ | ELECT_HAS_MISSED;
		m->nonce = 0x8877665544332211ull;
		m->probe_seq = 0xfffffffeu;
		m->missed = 0xfffffffdu;
		break;
	case ELECT_MSG_PROBE_ACK:
		m->has |= ELECT_HAS_NONCE | ELECT_HAS_CHECK |
			  ELECT_HAS_PROBE_SEQ | ELECT_HAS_MISSED;
		m->nonce = 0x8877665544332211ull;
		m->check_ok = 1;
		m->probe_seq = 7;
		m->missed = 3;
		break;
	case ELECT_MSG_STATE:
		m->has |= ELECT_HAS_DMZ | ELECT_HAS_ENTRIES | ELECT_HAS_RANGES;
		m->dmz.family = 6;
		memcpy(m->dmz.b, v6, 16);
		m->dmz_prefix = 64;
		/* All the entries it may carry: five parts, the last short. */
		m->entries_len = ELECT_ENTRIES_MAX - 100;
		for (size_t k = 0; k < m->entries_len; k++)
			m->entries[k] = (uint8_t)(k * 7);
		for (size_t k = 0; k < ELECT_SITE_RANGES; k++)
			m->ranges[k] = 0x0101010101010101ull * k;
		break;
	}
}

static void
addr_assert_equal(const struct elect_addr *a, const struct elect_addr *b)
{
	assert_int_equal(a->family, b->family);
	assert_memory_equal(a->b, b->b, a->family == 4 ? 4 : 16);
}

static void
msg_assert_equal(const struct elect_msg *a, const struct elect_msg *b)
{
	size_t i;

	assert_int_equal(a->version, b->version);
	assert_int_equal(a->type, b->type);
	assert_memory_equal(a->id.b, b->id.b, 16);
	assert_true(a->epoch == b->epoch);
	assert_true(a->seq == b->seq);
	assert_int_equal(a->has, b->has);
	if (a->has & ELECT_HAS_NAME)
		assert_string_equal(a->name, b->name);
	if (a->has & ELECT_HAS_PRIORITY)
		assert_int_equal(a->priority, b->priority);
	if (a->has & ELECT_HAS_STATE)
		assert_int_equal(a->state, b->state);
	if (a->has & ELECT_HAS_HOLDER)
		assert_memory_equal(a->holder.b, b->holder.b, 16);
	assert_int_equal(a->n_addrs, b->n_addrs);
	for (i = 0; i < a->n_addrs; i++)
		addr_assert_equal(&a->addrs[i], &b->addrs[i]);
	if (a->has & ELECT_HAS_DMZ) {
		addr_assert_equal(&a->dmz, &b->dmz);
		assert_int_equal(a->dmz_prefix, b->dmz_prefix);
	}
	if (a->has & ELECT_HAS_LEASE)
		assert_int_equal(a->lease_ms, b->lease_ms);
	if (a->has & ELECT_HAS_NONCE)
		assert_true(a->nonce == b->nonce);
	if (a->has & ELECT_HAS_CHECK)
		assert_int_equal(a->check_ok, b->check_ok);
	if (a->has & ELECT_HAS_BOOT)
		assert_true(a->boot == b->boot);
	if (a->has & ELECT_HAS_UPTIME)
		assert_true(a->uptime_ms == b->uptime_ms);
	if (a->has & ELECT_HAS_PREEMPT)
		assert_int_equal(a->preempt, b->preempt);
	if (a->has & ELECT_HAS_MAC)
		assert_memory_equal(a->mac, b->mac, 6);
	if (a->has & ELECT_HAS_MEMBERS)
		assert_int_equal(a->n_members, b->n_members);
	if (a->has & ELECT_HAS_CHALLENGE)
		assert_true(a->challenge == b->challenge);
	if (a->has & ELECT_HAS_RESPONSE)
		assert_true(a->response == b->response);
	if (a->has & ELECT_HAS_HEARTBEAT)
		assert_int_equal(a->heartbeat_ms, b->heartbeat_ms);
	if (a->has & ELECT_HAS_PROBE_SEQ)
		assert_true(a->probe_seq == b->probe_seq);
	if (a->has & ELECT_HAS_MISSED)
		assert_true(a->missed == b->missed);
	if (a->has & ELECT_HAS_REASON)
		assert_int_equal(a->reason, b->reason);
	if (a->has & ELECT_HAS_DMZ6_ALSO) {
		addr_assert_equal(&a->dmz6, &b->dmz6);
		assert_int_equal(a->dmz6_prefix, b->dmz6_prefix);
	}
	if (a->has & ELECT_HAS_FENCE)
		assert_int_equal(a->fence_ms, b->fence_ms);
	if (a->has & ELECT_HAS_PING)
		assert_true(a->ping == b->ping);
	assert_int_equal(a->n_echoes, b->n_echoes);
	for (i = 0; i < a->n_echoes; i++) {
		assert_true(a->echoes[i].nonce == b->echoes[i].nonce);
		assert_int_equal(a->echoes[i].held_ms, b->echoes[i].held_ms);
	}
	assert_int_equal(a->n_pub, b->n_pub);
	for (i = 0; i < a->n_pub; i++)
		addr_assert_equal(&a->pub[i], &b->pub[i]);
	assert_true(a->site_digest == b->site_digest);
	assert_int_equal(a->site_count, b->site_count);
	assert_int_equal(a->entries_len, b->entries_len);
	if (a->entries_len > 0)
		assert_memory_equal(a->entries, b->entries, a->entries_len);
	assert_memory_equal(a->ranges, b->ranges, sizeof(a->ranges));
	assert_int_equal(a->cpus, b->cpus);
	assert_int_equal(a->mem_mib, b->mem_mib);
	assert_true(a->alive_ms == b->alive_ms);
}

static void
fx_encode_full(struct fx *f, uint8_t type)
{
	msg_full(&f->in, type);
	f->len = elect_wire_encode(&f->in, f->key, f->buf, sizeof(f->buf));
	assert_true(f->len > 0);
}

/* ---- round trips ---- */

static void
every_message_type_survives_an_encode_decode_round_trip(void **state)
{
	struct fx *f = *state;
	uint8_t type;

	for (type = ELECT_MSG_HELLO; type <= ELECT_MSG_ALIVE; type++) {
		fx_encode_full(f, type);
		assert_int_equal(
		    f->len, HDR + (f->buf[40] << 8 | f->buf[41]) + TAG);
		assert_int_equal(
		    elect_wire_decode(f->buf, f->len, f->key, &f->out),
		    ELECT_WIRE_OK);
		msg_assert_equal(&f->in, &f->out);
	}
}

/* PUBLIC4/PUBLIC6: one of each at most, each its own length. */
static void
public_addresses_are_one_per_family(void **state)
{
	struct fx *f = *state;

	msg_full(&f->in, ELECT_MSG_HEARTBEAT);
	f->in.pub[1] = f->in.pub[0]; /* two IPv4 ones: not encodable */
	assert_int_equal(
	    elect_wire_encode(&f->in, f->key, f->buf, sizeof(f->buf)), 0);
	f->in.n_pub = 0; /* the flag without one: neither */
	assert_int_equal(
	    elect_wire_encode(&f->in, f->key, f->buf, sizeof(f->buf)), 0);
	f->in.has &= ~(uint32_t)ELECT_HAS_PUBLIC;
	assert_true(
	    elect_wire_encode(&f->in, f->key, f->buf, sizeof(f->buf)) > 0);
}

static void
a_message_with_only_its_required_fields_round_trips(void **state)
{
	struct fx *f = *state;
	uint8_t type;
	size_t len;

	for (type = ELECT_MSG_HELLO; type <= ELECT_MSG_ALIVE; type++) {
		assert_int_equal(decode_raw(f, type, NULL), ELECT_WIRE_OK);
		f->in = f->out;
		len = elect_wire_encode(&f->in, f->key, f->buf, sizeof(f->buf));
		/* Same fields in type order: the very same bytes. */
		assert_int_equal(len, f->len);
		assert_int_equal(
		    elect_wire_decode(f->buf, len, f->key, &f->out),
		    ELECT_WIRE_OK);
		msg_assert_equal(&f->in, &f->out);
	}
}

static void
the_header_fields_are_big_endian_at_their_offsets(void **state)
{
	struct fx *f = *state;

	fx_encode_full(f, ELECT_MSG_CLAIM);
	assert_memory_equal(f->buf, "QURE", 4);
	assert_int_equal(f->buf[4], 2);
	assert_int_equal(f->buf[5], ELECT_MSG_CLAIM);
	assert_int_equal(f->buf[6] | f->buf[7], 0);
	assert_memory_equal(f->buf + 8, f->in.id.b, 16);
	assert_memory_equal(f->buf + 24, "\x01\x02\x03\x04\x05\x06\x07\x08", 8);
	assert_memory_equal(f->buf + 32, "\xff\xff\xff\xff\xff\xff\xff\xf0", 8);
}

static void
the_tag_is_hmac_sha256_of_header_and_body_with_the_key(void **state)
{
	struct fx *f = *state;
	uint8_t copy[sizeof(f->buf)];

	fx_encode_full(f, ELECT_MSG_HELLO);
	memcpy(copy, f->buf, f->len);
	retag(copy, f->len);
	assert_memory_equal(copy, f->buf, f->len);
}

static void
tlvs_in_any_order_are_accepted(void **state)
{
	struct fx *f = *state;
	struct body bd = {.n = 0};

	body_int(&bd, 19, 200, 4);
	body_int(&bd, 12, 42, 8);
	body_int(&bd, 13, 7, 8);
	body_int(&bd, 3, ELECT_ST_HOLDER, 1);
	body_int(&bd, 9, 600, 4);
	body_int(&bd, 2, 9, 1);
	body_tlv(&bd, 7, "\xc0\xa8\x01\x0b\x18", 5);
	body_tlv(&bd, 1, "z", 1);
	f->len = raw_make(f->buf, ELECT_MSG_HELLO, &bd);
	assert_int_equal(
	    elect_wire_decode(f->buf, f->len, f->key, &f->out), ELECT_WIRE_OK);
	assert_int_equal(f->out.priority, 9);
	assert_int_equal(f->out.state, ELECT_ST_HOLDER);
	assert_string_equal(f->out.name, "z");
}

static void
flags_set_by_a_sender_are_ignored(void **state)
{
	struct fx *f = *state;

	fx_encode_full(f, ELECT_MSG_PROBE);
	f->buf[6] = 0x80;
	f->buf[7] = 0x01;
	retag(f->buf, f->len);
	assert_int_equal(
	    elect_wire_decode(f->buf, f->len, f->key, &f->out), ELECT_WIRE_OK);
}

/* ---- framing ---- */

static void
a_datagram_truncated_at_any_length_is_malformed(void **state)
{
	struct fx *f = *state;
	size_t l;

	fx_encode_full(f, ELECT_MSG_HELLO);
	for (l = 0; l < f->len; l++)
		assert_int_equal(elect_wire_decode(f->buf, l, f->key, &f->out),
		    ELECT_WIRE_MALFORMED);
}

static void
a_datagram_with_trailing_bytes_is_malformed(void **state)
{
	struct fx *f = *state;

	fx_encode_full(f, ELECT_MSG_PROBE);
	f->buf[f->len] = 0;
	assert_int_equal(elect_wire_decode(f->buf, f->len + 1, f->key, &f->out),
	    ELECT_WIRE_MALFORMED);
}

/* Pads the body of a CLAIM with unknown TLVs to a total of len bytes. */
static size_t
raw_padded_type(uint8_t *buf, size_t len, uint8_t type)
{
	static const uint8_t pad[255];
	struct body bd = {.n = 0};
	size_t left, n;

	body_required(&bd, type);
	while ((left = len - HDR - TAG - bd.n) > 0) {
		assert_true(left >= 2);
		n = left - 2 > sizeof(pad) ? sizeof(pad) : left - 2;
		if (left - 2 - n == 1)
			n--; /* leave room for the next TLV's type and length */
		body_tlv(&bd, 200, pad, n);
	}
	return raw_make(buf, type, &bd);
}

static size_t
raw_padded(uint8_t *buf, size_t len)
{
	return raw_padded_type(buf, len, ELECT_MSG_CLAIM);
}

static void
a_datagram_of_512_bytes_is_accepted(void **state)
{
	struct fx *f = *state;

	f->len = raw_padded(f->buf, ELECT_WIRE_CTRL_MAX);
	assert_int_equal(f->len, 512);
	assert_int_equal(
	    elect_wire_decode(f->buf, f->len, f->key, &f->out), ELECT_WIRE_OK);
}

static void
a_datagram_of_513_bytes_is_malformed_even_with_a_valid_tag(void **state)
{
	struct fx *f = *state;

	f->len = raw_padded(f->buf, ELECT_WIRE_CTRL_MAX + 1);
	assert_int_equal(f->len, 513);
	assert_int_equal(elect_wire_decode(f->buf, f->len, f->key, &f->out),
	    ELECT_WIRE_MALFORMED);
}

/* A STATE carries a setting of up to 1 KiB: 1400 bytes, no more. */
static void
a_state_of_1400_bytes_is_accepted_and_of_1401_malformed(void **state)
{
	struct fx *f = *state;

	f->len = raw_padded_type(f->buf, ELECT_WIRE_MAX, ELECT_MSG_STATE);
	assert_int_equal(f->len, 1400);
	assert_int_equal(
	    elect_wire_decode(f->buf, f->len, f->key, &f->out), ELECT_WIRE_OK);
	f->len = raw_padded_type(f->buf, ELECT_WIRE_MAX + 1, ELECT_MSG_STATE);
	assert_int_equal(f->len, 1401);
	assert_int_equal(elect_wire_decode(f->buf, f->len, f->key, &f->out),
	    ELECT_WIRE_MALFORMED);
	/* A HELLO that long is malformed, tag and all. */
	f->len = raw_padded_type(f->buf, 1000, ELECT_MSG_HELLO);
	assert_int_equal(elect_wire_decode(f->buf, f->len, f->key, &f->out),
	    ELECT_WIRE_MALFORMED);
}

/* ENTRY parts join in order up to ELECT_ENTRIES_MAX; one byte more is
 * malformed; RANGES has one length. */
static void
settings_entries_are_bounded_and_ranges_sized(void **state)
{
	static const uint8_t part[255], ranges[8 * ELECT_SITE_RANGES];
	struct fx *f = *state;
	struct body bd = {.n = 0};
	size_t k;

	body_required(&bd, ELECT_MSG_STATE);
	for (k = 0; k < ELECT_ENTRIES_MAX / 255; k++)
		body_tlv(&bd, 30, part, 255);
	body_tlv(&bd, 30, part, ELECT_ENTRIES_MAX % 255);
	f->len = raw_make(f->buf, ELECT_MSG_STATE, &bd);
	assert_int_equal(
	    elect_wire_decode(f->buf, f->len, f->key, &f->out), ELECT_WIRE_OK);
	assert_int_equal(f->out.entries_len, ELECT_ENTRIES_MAX);
	body_tlv(&bd, 30, part, 1);
	f->len = raw_make(f->buf, ELECT_MSG_STATE, &bd);
	assert_int_equal(elect_wire_decode(f->buf, f->len, f->key, &f->out),
	    ELECT_WIRE_MALFORMED);
	bd.n = 0;
	body_required(&bd, ELECT_MSG_STATE);
	body_tlv(&bd, 31, ranges, sizeof(ranges) - 8);
	f->len = raw_make(f->buf, ELECT_MSG_STATE, &bd);
	assert_int_equal(elect_wire_decode(f->buf, f->len, f->key, &f->out),
	    ELECT_WIRE_MALFORMED);
	bd.n = 0;
	body_required(&bd, ELECT_MSG_HELLO);
	body_tlv(&bd, 29, ranges, 9); /* SETTINGS is 10 bytes */
	f->len = raw_make(f->buf, ELECT_MSG_HELLO, &bd);
	assert_int_equal(elect_wire_decode(f->buf, f->len, f->key, &f->out),
	    ELECT_WIRE_MALFORMED);
}

/* The encoder refuses what the decoder would: entries over the bound,
 * or entries without their flag. */
static void
entries_the_decoder_would_refuse_are_not_encoded(void **state)
{
	struct fx *f = *state;

	msg_full(&f->in, ELECT_MSG_STATE);
	f->in.entries_len = ELECT_ENTRIES_MAX + 1;
	assert_int_equal(
	    elect_wire_encode(&f->in, f->key, f->buf, sizeof(f->buf)), 0);
	msg_full(&f->in, ELECT_MSG_STATE);
	f->in.has &= ~ELECT_HAS_ENTRIES;
	assert_int_equal(
	    elect_wire_encode(&f->in, f->key, f->buf, sizeof(f->buf)), 0);
	/* The largest STATE fits its bound. */
	msg_full(&f->in, ELECT_MSG_STATE);
	f->in.entries_len = ELECT_ENTRIES_MAX;
	f->len = elect_wire_encode(&f->in, f->key, f->buf, sizeof(f->buf));
	assert_true(f->len > 0 && f->len <= ELECT_WIRE_MAX);
}

static void
a_bad_magic_is_malformed(void **state)
{
	struct fx *f = *state;

	fx_encode_full(f, ELECT_MSG_CLAIM);
	f->buf[0] = 'q';
	retag(f->buf, f->len);
	assert_int_equal(elect_wire_decode(f->buf, f->len, f->key, &f->out),
	    ELECT_WIRE_MALFORMED);
}

static void
an_unknown_version_is_counted_as_version(void **state)
{
	static const uint8_t versions[] = {0, 1, 3, 255};
	struct fx *f = *state;
	size_t i;

	for (i = 0; i < sizeof(versions); i++) {
		fx_encode_full(f, ELECT_MSG_CLAIM);
		f->buf[4] = versions[i];
		retag(f->buf, f->len);
		assert_int_equal(
		    elect_wire_decode(f->buf, f->len, f->key, &f->out),
		    ELECT_WIRE_VERSION);
	}
}

static void
an_unknown_message_type_with_a_valid_tag_is_malformed(void **state)
{
	static const uint8_t types[] = {0, 9, 10, 255};
	struct fx *f = *state;
	size_t i;

	for (i = 0; i < sizeof(types); i++) {
		fx_encode_full(f, ELECT_MSG_CLAIM);
		f->buf[5] = types[i];
		retag(f->buf, f->len);
		assert_int_equal(
		    elect_wire_decode(f->buf, f->len, f->key, &f->out),
		    ELECT_WIRE_MALFORMED);
	}
}

/* ---- authentication ---- */

static void
a_wrong_tag_fails_authentication(void **state)
{
	struct fx *f = *state;

	fx_encode_full(f, ELECT_MSG_HEARTBEAT);
	f->buf[f->len - 1] ^= 0x01;
	assert_int_equal(elect_wire_decode(f->buf, f->len, f->key, &f->out),
	    ELECT_WIRE_AUTH);
	memset(f->buf + f->len - TAG, 0, TAG);
	assert_int_equal(elect_wire_decode(f->buf, f->len, f->key, &f->out),
	    ELECT_WIRE_AUTH);
}

static void
a_datagram_tagged_with_another_key_fails_authentication(void **state)
{
	struct fx *f = *state;
	struct elect_key *other = elect_key_new(other_secret);
	size_t len;

	assert_non_null(other);
	msg_full(&f->in, ELECT_MSG_HEARTBEAT);
	len = elect_wire_encode(&f->in, other, f->buf, sizeof(f->buf));
	assert_true(len > 0);
	assert_int_equal(
	    elect_wire_decode(f->buf, len, f->key, &f->out), ELECT_WIRE_AUTH);
	assert_int_equal(
	    elect_wire_decode(f->buf, len, other, &f->out), ELECT_WIRE_OK);
	retag_with(f->buf, len, other_secret);
	assert_int_equal(
	    elect_wire_decode(f->buf, len, f->key, &f->out), ELECT_WIRE_AUTH);
	elect_key_free(other);
}

/* Which reason a flip of byte i must give: the checks run in order. */
static enum elect_wire_err
flip_reason(size_t i)
{
	if (i < 4)
		return ELECT_WIRE_MALFORMED; /* magic */
	if (i == 4)
		return ELECT_WIRE_VERSION;
	if (i == 40 || i == 41)
		return ELECT_WIRE_MALFORMED; /* body_len vs length */
	return ELECT_WIRE_AUTH;
}

static void
a_flipped_bit_anywhere_is_rejected(void **state)
{
	struct fx *f = *state;
	size_t i;
	int bit;

	fx_encode_full(f, ELECT_MSG_HELLO);
	for (i = 0; i < f->len; i++) {
		for (bit = 0; bit < 8; bit++) {
			f->buf[i] ^= (uint8_t)(1u << bit);
			assert_int_equal(
			    elect_wire_decode(f->buf, f->len, f->key, &f->out),
			    flip_reason(i));
			f->buf[i] ^= (uint8_t)(1u << bit);
		}
	}
	assert_int_equal(
	    elect_wire_decode(f->buf, f->len, f->key, &f->out), ELECT_WIRE_OK);
}

/* ---- body ---- */

static void
an_empty_body_is_malformed_for_every_type(void **state)
{
	struct fx *f = *state;
	struct body empty = {.n = 0};
	uint8_t type;

	/* Version 2: even STATE carries BOOT. */
	for (type = ELECT_MSG_HELLO; type <= ELECT_MSG_ALIVE; type++) {
		f->len = raw_make(f->buf, type, &empty);
		assert_int_equal(
		    elect_wire_decode(f->buf, f->len, f->key, &f->out),
		    ELECT_WIRE_MALFORMED);
	}
	assert_int_equal(f->out.has, 0);
}

static void
a_message_missing_any_required_field_is_malformed(void **state)
{
	struct fx *f = *state;
	struct body full, bd;
	size_t off, next;
	uint8_t type;

	for (type = ELECT_MSG_HELLO; type <= ELECT_MSG_ALIVE; type++) {
		full.n = 0;
		body_required(&full, type);
		/* Drop each TLV in turn. */
		for (off = 0; off < full.n; off = next) {
			next = off + 2 + full.b[off + 1];
			memcpy(bd.b, full.b, off);
			memcpy(bd.b + off, full.b + next, full.n - next);
			bd.n = full.n - (next - off);
			f->len = raw_make(f->buf, type, &bd);
			assert_int_equal(
			    elect_wire_decode(f->buf, f->len, f->key, &f->out),
			    ELECT_WIRE_MALFORMED);
		}
	}
}

static void
a_tlv_running_past_the_body_is_malformed(void **state)
{
	struct fx *f = *state;
	struct body bd = {.n = 0};

	body_required(&bd, ELECT_MSG_PROBE);
	bd.b[bd.n++] = 200; /* unknown type: skipped, but not past the end */
	bd.b[bd.n++] = 5;
	bd.b[bd.n++] = 0;
	f->len = raw_make(f->buf, ELECT_MSG_PROBE, &bd);
	assert_int_equal(elect_wire_decode(f->buf, f->len, f->key, &f->out),
	    ELECT_WIRE_MALFORMED);

	/* One byte past the end: that byte would be the tag's first. */
	bd.n -= 3;
	body_tlv(&bd, 200, "\0\0", 2);
	bd.b[bd.n - 3] = 3;
	f->len = raw_make(f->buf, ELECT_MSG_PROBE, &bd);
	assert_int_equal(elect_wire_decode(f->buf, f->len, f->key, &f->out),
	    ELECT_WIRE_MALFORMED);
	bd.b[bd.n - 3] = 2; /* and with the right length, it is fine */
	f->len = raw_make(f->buf, ELECT_MSG_PROBE, &bd);
	assert_int_equal(
	    elect_wire_decode(f->buf, f->len, f->key, &f->out), ELECT_WIRE_OK);

	bd.n -= 3; /* a lone type byte: no length */
	f->len = raw_make(f->buf, ELECT_MSG_PROBE, &bd);
	assert_int_equal(elect_wire_decode(f->buf, f->len, f->key, &f->out),
	    ELECT_WIRE_MALFORMED);
}

static void
a_duplicate_tlv_is_malformed(void **state)
{
	static const uint8_t dmz6[17] = {0xfd, [15] = 1, [16] = 64};
	struct fx *f = *state;
	struct body bd = {.n = 0};
	static const uint8_t resources[6] = {0, 2, 0, 0, 0x5d, 0xc0};

	body_int(&bd, 2, 100, 1);
	assert_int_equal(
	    decode_raw(f, ELECT_MSG_CLAIM, &bd), ELECT_WIRE_MALFORMED);
	bd.n = 0;
	body_tlv(&bd, 1, "h2", 2);
	assert_int_equal(
	    decode_raw(f, ELECT_MSG_HELLO, &bd), ELECT_WIRE_MALFORMED);
	/* RESOURCES: the first type past 31 has its bit too. */
	bd.n = 0;
	body_tlv(&bd, 32, resources, sizeof(resources));
	body_tlv(&bd, 32, resources, sizeof(resources));
	assert_int_equal(
	    decode_raw(f, ELECT_MSG_HELLO, &bd), ELECT_WIRE_MALFORMED);
	/* DMZ4 and DMZ6 are one field. */
	bd.n = 0;
	body_tlv(&bd, 8, dmz6, sizeof(dmz6));
	assert_int_equal(
	    decode_raw(f, ELECT_MSG_HEARTBEAT, &bd), ELECT_WIRE_MALFORMED);
}

static void
up_to_four_addresses_are_accepted_and_a_fifth_is_malformed(void **state)
{
	static const uint8_t v6[16] = {0xfd, [15] = 2};
	struct fx *f = *state;
	struct body bd = {.n = 0};

	body_tlv(&bd, 5, "\x0a\x00\x00\x01", 4);
	body_tlv(&bd, 6, v6, sizeof(v6));
	body_tlv(&bd, 5, "\x0a\x00\x00\x02", 4);
	body_tlv(&bd, 5, "\x0a\x00\x00\x03", 4);
	assert_int_equal(decode_raw(f, ELECT_MSG_HELLO, &bd), ELECT_WIRE_OK);
	assert_int_equal(f->out.n_addrs, 4);
	assert_int_equal(f->out.addrs[1].family, 6);
	assert_memory_equal(f->out.addrs[1].b, v6, 16);
	assert_int_equal(f->out.addrs[3].b[3], 3);

	body_tlv(&bd, 6, v6, sizeof(v6));
	assert_int_equal(
	    decode_raw(f, ELECT_MSG_HELLO, &bd), ELECT_WIRE_MALFORMED);
}

static void
a_name_with_a_nul_or_a_control_character_is_malformed(void **state)
{
	static const char *const bad[] = {
	    "a\0b", "\x01", "tab\there", "a\x1f", "del\x7f", "\n",
	    "\xc3",			/* truncated UTF-8 */
	    "\xc0\xaf",			/* overlong '/' */
	    "\xed\xa0\x80",		/* surrogate */
	    "\xc2\x85",			/* C1 control NEL */
	    "\xff", "\xf4\x90\x80\x80", /* above U+10FFFF */
	};
	static const size_t bad_len[] = {3, 1, 8, 2, 4, 1, 1, 2, 3, 2, 1, 4};
	struct fx *f = *state;
	struct body bd;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		bd.n = 0;
		body_tlv(&bd, 1, bad[i], bad_len[i]);
		body_int(&bd, 2, 1, 1);
		body_int(&bd, 3, 1, 1);
		body_int(&bd, 12, 1, 8);
		f->len = raw_make(f->buf, ELECT_MSG_HELLO, &bd);
		assert_int_equal(
		    elect_wire_decode(f->buf, f->len, f->key, &f->out),
		    ELECT_WIRE_MALFORMED);
	}
}

static void
a_name_in_utf8_of_63_bytes_is_accepted(void **state)
{
	struct fx *f = *state;
	char name[64];
	struct body bd = {.n = 0};

	memset(name, 'x', 63);
	memcpy(name, "\xe6\x97\xa5\xf0\x9f\x98\x80 \xc3\xa9", 10);
	name[63] = '\0';
	body_tlv(&bd, 1, name, 63);
	body_int(&bd, 2, 1, 1);
	body_int(&bd, 3, 1, 1);
	body_int(&bd, 12, 1, 8);
	body_int(&bd, 13, 1, 8);
	body_tlv(&bd, 7, "\xc0\xa8\x01\x0b\x18", 5);
	body_int(&bd, 9, 600, 4);
	body_int(&bd, 19, 200, 4);
	f->len = raw_make(f->buf, ELECT_MSG_HELLO, &bd);
	assert_int_equal(
	    elect_wire_decode(f->buf, f->len, f->key, &f->out), ELECT_WIRE_OK);
	assert_string_equal(f->out.name, name);

	bd.n = 0;
	body_tlv(&bd, 1, "", 0);
	assert_int_equal(
	    decode_raw(f, ELECT_MSG_PROBE, &bd), ELECT_WIRE_MALFORMED);
}

static void
a_known_tlv_with_a_wrong_length_is_malformed(void **state)
{
	static const uint8_t lens[][2] = {{2, 2}, {3, 0}, {4, 15}, {5, 6},
	    {6, 4}, {7, 4}, {8, 16}, {9, 8}, {10, 4}, {11, 2}, {12, 4}, {13, 9},
	    {14, 0}, {17, 7}, {18, 9}, {19, 2}, {20, 3}, {21, 0}, {21, 2},
	    {22, 16}, {1, 64}, {32, 5}, {32, 7}, {33, 0}, {33, 3}, {33, 5},
	    {33, 8}};
	struct fx *f = *state;
	uint8_t val[64];
	struct body bd;
	size_t i;

	memset(val, 'a', sizeof(val));
	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		bd.n = 0;
		body_tlv(&bd, lens[i][0], val, lens[i][1]);
		assert_int_equal(
		    decode_raw(f, ELECT_MSG_STATE, &bd), ELECT_WIRE_MALFORMED);
	}
}

static void
a_bad_value_is_malformed(void **state)
{
	static const struct {
		uint8_t type, len, v[17];
	} bad[] = {
	    {3, 1, {6}},		  /* STATE past STOPPED */
	    {11, 1, {2}},		  /* CHECK */
	    {14, 1, {255}},		  /* PREEMPT */
	    {7, 5, {10, 0, 0, 1, 33}},	  /* DMZ4 prefix */
	    {8, 17, {0xfd, [16] = 129}},  /* DMZ6 prefix */
	    {22, 17, {0xfd, [16] = 129}}, /* DMZ6_ALSO prefix */
	};
	struct fx *f = *state;
	struct body bd;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		bd.n = 0;
		body_tlv(&bd, bad[i].type, bad[i].v, bad[i].len);
		assert_int_equal(
		    decode_raw(f, ELECT_MSG_STATE, &bd), ELECT_WIRE_MALFORMED);
	}
}

/* REASON is advice: a value this build does not know is kept, not
 * malformed (a later revision may give more reasons). */
static void
an_unknown_reason_is_kept(void **state)
{
	struct fx *f = *state;
	struct body bd = {.n = 0};
	uint8_t why = 200;

	body_tlv(&bd, 21, &why, 1);
	assert_int_equal(decode_raw(f, ELECT_MSG_RESIGN, &bd), ELECT_WIRE_OK);
	assert_true(f->out.has & ELECT_HAS_REASON);
	assert_int_equal(f->out.reason, 200);
}

static void
unknown_tlvs_are_skipped(void **state)
{
	struct fx *f = *state;
	struct body bd = {.n = 0};
	uint8_t big[255];

	memset(big, 0x5a, sizeof(big));
	body_tlv(&bd, 0, "", 0);
	body_tlv(&bd, 35, big, 1); /* the first type after ours */
	body_tlv(&bd, 99, big, 255);
	body_tlv(&bd, 255, big, 17);
	assert_int_equal(
	    decode_raw(f, ELECT_MSG_PROBE_ACK, &bd), ELECT_WIRE_OK);
	assert_int_equal(f->out.has, ELECT_HAS_NONCE | ELECT_HAS_CHECK |
					 ELECT_HAS_BOOT | ELECT_HAS_UPTIME);
	assert_true(f->out.nonce == 7);
	assert_int_equal(f->out.check_ok, 1);
}

/* KEYS (key rotation, issue 14): 17 bytes, once. */
static void
keys_of_a_wrong_length_or_twice_are_malformed(void **state)
{
	struct fx *f = *state;
	struct body bd = {.n = 0};
	uint8_t v[18];

	memset(v, 0xab, sizeof(v));
	body_tlv(&bd, 34, v, 17);
	assert_int_equal(decode_raw(f, ELECT_MSG_ALIVE, &bd), ELECT_WIRE_OK);
	assert_true(f->out.has & ELECT_HAS_KEYS);
	assert_int_equal(f->out.key_flags, 0xab);
	body_tlv(&bd, 34, v, 17);
	assert_int_equal(
	    decode_raw(f, ELECT_MSG_ALIVE, &bd), ELECT_WIRE_MALFORMED);
	bd.n = 0;
	body_tlv(&bd, 34, v, 16);
	assert_int_equal(
	    decode_raw(f, ELECT_MSG_ALIVE, &bd), ELECT_WIRE_MALFORMED);
	bd.n = 0;
	body_tlv(&bd, 34, v, 18);
	assert_int_equal(
	    decode_raw(f, ELECT_MSG_ALIVE, &bd), ELECT_WIRE_MALFORMED);
	bd.n = 0;
	body_tlv(&bd, 34, v, 0);
	assert_int_equal(
	    decode_raw(f, ELECT_MSG_ALIVE, &bd), ELECT_WIRE_MALFORMED);
}

/* ---- encoder ---- */

static void
the_encoder_refuses_what_the_decoder_would_reject(void **state)
{
	struct fx *f = *state;
	struct elect_msg m;

	msg_full(&m, ELECT_MSG_HELLO);
	memset(m.name, 'n', sizeof(m.name)); /* 64 bytes, no NUL */
	assert_int_equal(elect_wire_encode(&m, f->key, f->buf, 512), 0);
	m.name[0] = '\0';
	assert_int_equal(elect_wire_encode(&m, f->key, f->buf, 512), 0);
	snprintf(m.name, sizeof(m.name), "%s", "bad\tname");
	assert_int_equal(elect_wire_encode(&m, f->key, f->buf, 512), 0);

	msg_full(&m, ELECT_MSG_HELLO);
	m.n_addrs = ELECT_MAX_ADDRS + 1;
	assert_int_equal(elect_wire_encode(&m, f->key, f->buf, 512), 0);
	m.n_addrs = 2;
	m.addrs[1].family = 0;
	assert_int_equal(elect_wire_encode(&m, f->key, f->buf, 512), 0);

	msg_full(&m, ELECT_MSG_HELLO);
	m.type = 0;
	assert_int_equal(elect_wire_encode(&m, f->key, f->buf, 512), 0);
	m.type = ELECT_MSG_ALIVE + 1;
	assert_int_equal(elect_wire_encode(&m, f->key, f->buf, 512), 0);

	msg_full(&m, ELECT_MSG_HELLO);
	m.has &= ~(uint32_t)ELECT_HAS_BOOT; /* required */
	assert_int_equal(elect_wire_encode(&m, f->key, f->buf, 512), 0);
	msg_full(&m, ELECT_MSG_HELLO);
	m.state = ELECT_ST_STOPPED + 1;
	assert_int_equal(elect_wire_encode(&m, f->key, f->buf, 512), 0);
	msg_full(&m, ELECT_MSG_HEARTBEAT);
	m.dmz_prefix = 33;
	assert_int_equal(elect_wire_encode(&m, f->key, f->buf, 512), 0);
	msg_full(&m, ELECT_MSG_PROBE_ACK);
	m.check_ok = 2;
	assert_int_equal(elect_wire_encode(&m, f->key, f->buf, 512), 0);
	msg_full(&m, ELECT_MSG_PROBE_ACK);
	m.has |= 1u << 30; /* no such field */
	assert_int_equal(elect_wire_encode(&m, f->key, f->buf, 512), 0);
	msg_full(&m, ELECT_MSG_HEARTBEAT);
	m.n_echoes = ELECT_MAX_ECHOES + 1;
	assert_int_equal(elect_wire_encode(&m, f->key, f->buf, 512), 0);
	m.n_echoes = 0; /* ECHO flagged, none there */
	assert_int_equal(elect_wire_encode(&m, f->key, f->buf, 512), 0);
}

/* PUBLIC4 and PUBLIC6: one of each; twice, or the wrong length, bad. */
static void
public_addresses_of_bad_shape_are_rejected(void **state)
{
	struct fx *f = *state;
	struct body bd = {.n = 0};
	uint8_t v[16] = {203, 0, 113, 5};

	body_tlv(&bd, 26, v, 4);
	body_tlv(&bd, 27, v, 16);
	assert_int_equal(
	    decode_raw(f, ELECT_MSG_HEARTBEAT, &bd), ELECT_WIRE_OK);
	assert_int_equal(f->out.n_pub, 2);
	assert_int_equal(f->out.pub[0].family, 4);
	assert_int_equal(f->out.pub[1].family, 6);
	body_tlv(&bd, 26, v, 4); /* a second PUBLIC4 */
	assert_int_equal(
	    decode_raw(f, ELECT_MSG_HEARTBEAT, &bd), ELECT_WIRE_MALFORMED);
	bd.n = 0;
	body_tlv(&bd, 26, v, 16);
	assert_int_equal(
	    decode_raw(f, ELECT_MSG_HEARTBEAT, &bd), ELECT_WIRE_MALFORMED);
	bd.n = 0;
	body_tlv(&bd, 27, v, 4);
	assert_int_equal(
	    decode_raw(f, ELECT_MSG_HEARTBEAT, &bd), ELECT_WIRE_MALFORMED);
}

/* Bad input: a fifth ECHO, an ECHO or a FENCE_MS of the wrong length. */
static void
echoes_and_fences_of_bad_shape_are_rejected(void **state)
{
	struct fx *f = *state;
	struct body bd = {.n = 0};
	uint8_t v[16] = {0};

	for (int i = 0; i < ELECT_MAX_ECHOES; i++)
		body_tlv(&bd, 25, v, 10);
	assert_int_equal(
	    decode_raw(f, ELECT_MSG_HEARTBEAT, &bd), ELECT_WIRE_OK);
	assert_int_equal(f->out.n_echoes, ELECT_MAX_ECHOES);
	body_tlv(&bd, 25, v, 10);
	assert_int_equal(
	    decode_raw(f, ELECT_MSG_HEARTBEAT, &bd), ELECT_WIRE_MALFORMED);
	bd.n = 0;
	body_tlv(&bd, 25, v, 9);
	assert_int_equal(
	    decode_raw(f, ELECT_MSG_HEARTBEAT, &bd), ELECT_WIRE_MALFORMED);
	bd.n = 0;
	body_tlv(&bd, 23, v, 2);
	assert_int_equal(
	    decode_raw(f, ELECT_MSG_HEARTBEAT, &bd), ELECT_WIRE_MALFORMED);
	bd.n = 0;
	body_tlv(&bd, 24, v, 8);
	body_tlv(&bd, 24, v, 8); /* PING twice */
	assert_int_equal(
	    decode_raw(f, ELECT_MSG_HELLO, &bd), ELECT_WIRE_MALFORMED);
}

static void
the_encoder_refuses_a_buffer_one_byte_too_small(void **state)
{
	struct fx *f = *state;
	size_t len;

	fx_encode_full(f, ELECT_MSG_HELLO);
	len = f->len;
	assert_int_equal(elect_wire_encode(&f->in, f->key, f->buf, len - 1), 0);
	assert_int_equal(elect_wire_encode(&f->in, f->key, f->buf, len), len);
	assert_int_equal(elect_wire_encode(&f->in, f->key, f->buf, 0), 0);
}

/* ---- replay window ---- */

static void
id_of(struct elect_id *id, unsigned n)
{
	memset(id, 0, sizeof(*id));
	id->b[0] = (uint8_t)(n >> 8);
	id->b[1] = (uint8_t)n;
	id->b[15] = 0x5a;
}

/* A verified (id, boot) whose window starts above seq. */
static void
verified(struct elect_replay *r, const struct elect_id *id, uint64_t boot,
    uint64_t seq)
{
	elect_replay_verify(r, id, boot, seq, 1);
}

static void
a_replayed_or_older_sequence_is_rejected(void **state)
{
	struct elect_replay r;
	struct elect_id a, b;

	(void)state;
	elect_replay_init(&r);
	id_of(&a, 1);
	id_of(&b, 2);
	verified(&r, &a, 1, 9);
	verified(&r, &b, 1, 2);
	assert_int_equal(elect_replay_check(&r, &a, 1, 10, 1), ELECT_WIRE_OK);
	assert_int_equal(
	    elect_replay_check(&r, &a, 1, 9, 2), ELECT_WIRE_REPLAY);
	assert_int_equal(
	    elect_replay_check(&r, &a, 1, 0, 2), ELECT_WIRE_REPLAY);
	/* Another sender's sequence space is its own. */
	assert_int_equal(elect_replay_check(&r, &b, 1, 3, 3), ELECT_WIRE_OK);
	assert_int_equal(elect_replay_check(&r, &a, 1, 11, 4), ELECT_WIRE_OK);
	assert_int_equal(
	    elect_replay_check(&r, &a, 1, 10, 5), ELECT_WIRE_REPLAY);
}

static void
an_equal_sequence_is_a_replay(void **state)
{
	struct elect_replay r;
	struct elect_id a;

	(void)state;
	elect_replay_init(&r);
	id_of(&a, 1);
	verified(&r, &a, 5, 0);
	assert_int_equal(
	    elect_replay_check(&r, &a, 5, 0, 1), ELECT_WIRE_REPLAY);
	assert_int_equal(elect_replay_check(&r, &a, 5, 1, 1), ELECT_WIRE_OK);
	assert_int_equal(
	    elect_replay_check(&r, &a, 5, 1, 1), ELECT_WIRE_REPLAY);
	assert_int_equal(
	    elect_replay_check(&r, &a, 5, UINT64_MAX, 2), ELECT_WIRE_OK);
	assert_int_equal(
	    elect_replay_check(&r, &a, 5, UINT64_MAX, 3), ELECT_WIRE_REPLAY);
}

static void
an_unknown_id_or_boot_is_unverified_and_takes_no_slot(void **state)
{
	struct elect_replay r;
	struct elect_id a;

	(void)state;
	elect_replay_init(&r);
	id_of(&a, 1);
	assert_int_equal(
	    elect_replay_check(&r, &a, 5, 100, 1), ELECT_WIRE_UNVERIFIED);
	assert_int_equal(r.n, 0);
	verified(&r, &a, 5, 100);
	/* Another boot of the same id: a restart, a clone or a replay. */
	assert_int_equal(
	    elect_replay_check(&r, &a, 6, 1000, 2), ELECT_WIRE_UNVERIFIED);
	assert_int_equal(elect_replay_check(&r, &a, 5, 101, 3), ELECT_WIRE_OK);
}

static const struct elect_addr to = {4, {10, 0, 0, 1}};
static const struct elect_addr other = {4, {10, 0, 0, 2}};

static void
a_restarted_sender_is_verified_from_its_answer_on(void **state)
{
	struct elect_replay r;
	struct elect_id a;

	(void)state;
	elect_replay_init(&r);
	id_of(&a, 1);
	verified(&r, &a, 5, 100000);
	/* Restarted with sequences far below: boot 6 answers at seq 10. */
	assert_true(elect_replay_challenge(&r, &a, 0, &to, 77, 10));
	assert_true(elect_replay_answered(&r, &a, 77, 20, 1200));
	elect_replay_verify(&r, &a, 6, 10, 20);
	assert_int_equal(elect_replay_check(&r, &a, 6, 11, 30), ELECT_WIRE_OK);
	assert_int_equal(
	    elect_replay_check(&r, &a, 6, 10, 31), ELECT_WIRE_REPLAY);
	/* The old boot is gone, whatever its sequences. */
	assert_int_equal(
	    elect_replay_check(&r, &a, 5, 200000, 32), ELECT_WIRE_UNVERIFIED);
	assert_int_equal(r.n, 1);
}

static void
a_datagram_sent_long_before_it_arrives_is_stale(void **state)
{
	struct elect_replay r;
	struct elect_id a;

	(void)state;
	elect_replay_init(&r);
	id_of(&a, 1);
	/* Unknown: unverified, not stale. */
	assert_false(elect_replay_is_stale(&r, &a, 0, 100000));
	/* Verified at 10000 ms of ours, 4000 ms into its boot. */
	verified(&r, &a, 5, 10);
	elect_replay_seen_start(&r, &a, 4000, 10000);
	assert_false(elect_replay_is_stale(&r, &a, 9000, 15000));
	assert_false(elect_replay_is_stale(&r, &a, 9000, 15600));
	/* Sent at 9000 ms of its uptime, arriving 601 ms late. */
	assert_true(elect_replay_is_stale(&r, &a, 9000, 15601));
	/* A faster path lowers the start, never a slower one. */
	elect_replay_seen_start(&r, &a, 9500, 15400);
	assert_true(elect_replay_is_stale(&r, &a, 9000, 15501));
	elect_replay_seen_start(&r, &a, 9000, 16000);
	assert_true(elect_replay_is_stale(&r, &a, 9000, 15501));
}

static void
a_challenge_is_rate_limited_and_answered_once(void **state)
{
	struct elect_replay r;
	struct elect_id a;

	(void)state;
	elect_replay_init(&r);
	id_of(&a, 1);
	assert_true(elect_replay_challenge(&r, &a, 0, &to, 77, 1000));
	assert_false(elect_replay_challenge(&r, &a, 0, &to, 78, 1199));
	assert_int_equal(r.challenge_every_ms, 200);
	assert_false(elect_replay_answered(&r, &a, 78, 1100, 1200));
	assert_false(elect_replay_answered(&r, &a, 76, 1100, 1200));
	assert_true(elect_replay_answered(&r, &a, 77, 1100, 1200));
	/* Used up: the same answer replayed proves nothing. */
	assert_false(elect_replay_answered(&r, &a, 77, 1101, 1200));
	/* Answered: the next challenge goes at once. */
	assert_true(elect_replay_challenge(&r, &a, 0, &to, 80, 1102));
	/* Unanswered, to one address: held off; to another, not (a replay
	 * from a spoofed address does not hold off the real node's). */
	assert_false(elect_replay_challenge(&r, &a, 0, &to, 81, 1103));
	assert_true(elect_replay_challenge(&r, &a, 0, &other, 82, 1104));
	assert_true(elect_replay_answered(&r, &a, 82, 1105, 1200));
	/* Too late an answer proves nothing either. */
	assert_true(elect_replay_challenge(&r, &a, 0, &to, 79, 1200));
	assert_false(elect_replay_answered(&r, &a, 79, 2401, 1200));
	/* A new boot (a restart) while a replayed old one's challenge is
	 * unanswered: challenged at once; the old boot again: held off. */
	assert_true(elect_replay_challenge(&r, &a, 5, &to, 83, 2500));
	assert_false(elect_replay_challenge(&r, &a, 5, &to, 84, 2501));
	assert_true(elect_replay_challenge(&r, &a, 6, &to, 85, 2502));
	assert_false(elect_replay_challenge(&r, &a, 6, &to, 86, 2503));
}

/* A held-off challenge is re-sent once, with an answer to the peer's. */
static void
a_held_off_challenge_is_echoed_once(void **state)
{
	struct elect_replay r;
	struct elect_id a, b;

	(void)state;
	elect_replay_init(&r);
	id_of(&a, 1);
	id_of(&b, 2);
	assert_int_equal(elect_replay_echo(&r, &a, 0, &to), 0); /* none */
	assert_true(elect_replay_challenge(&r, &a, 0, &to, 77, 1000));
	assert_int_equal(elect_replay_echo(&r, &a, 0, &other), 0);
	assert_int_equal(elect_replay_echo(&r, &a, 1, &to), 0);
	assert_int_equal(elect_replay_echo(&r, &b, 0, &to), 0);
	assert_int_equal(elect_replay_echo(&r, &a, 0, &to), 77);
	assert_int_equal(elect_replay_echo(&r, &a, 0, &to), 0); /* once */
	/* A new challenge (the interval past) may be echoed once again. */
	assert_true(elect_replay_challenge(&r, &a, 0, &to, 78, 1200));
	assert_int_equal(elect_replay_echo(&r, &a, 0, &to), 78);
	/* Answered: nothing outstanding to send along. */
	assert_true(elect_replay_challenge(&r, &a, 0, &to, 79, 1400));
	assert_true(elect_replay_answered(&r, &a, 79, 1401, 1200));
	assert_int_equal(elect_replay_echo(&r, &a, 0, &to), 0);
}

static void
a_full_window_forgets_the_least_recently_heard_sender(void **state)
{
	struct elect_replay r;
	struct elect_id id;
	unsigned i;

	(void)state;
	elect_replay_init(&r);
	for (i = 0; i < ELECT_REPLAY_SLOTS; i++) {
		id_of(&id, i);
		elect_replay_verify(&r, &id, 1, 99, 1000 + i);
		assert_int_equal(elect_replay_check(&r, &id, 1, 100, 1000 + i),
		    ELECT_WIRE_OK);
	}
	/* Sender 0 speaks again: sender 1 is now the least recently heard. */
	id_of(&id, 0);
	assert_int_equal(
	    elect_replay_check(&r, &id, 1, 101, 5000), ELECT_WIRE_OK);
	/* A rejected replay is not news: sender 2 stays behind sender 1. */
	id_of(&id, 2);
	assert_int_equal(
	    elect_replay_check(&r, &id, 1, 100, 5001), ELECT_WIRE_REPLAY);

	/* A challenge to a new id takes the least recently heard slot. */
	id_of(&id, 1000);
	assert_true(elect_replay_challenge(&r, &id, 0, &to, 9, 6000));
	assert_int_equal(r.n, ELECT_REPLAY_SLOTS);
	/* Sender 1 was forgotten: its old datagrams are unverified now, not
	 * new again (version 1 took them). */
	id_of(&id, 1);
	assert_int_equal(
	    elect_replay_check(&r, &id, 1, 100, 6001), ELECT_WIRE_UNVERIFIED);
	/* Another new id takes the unverified slot before a verified one. */
	id_of(&id, 1001);
	assert_true(elect_replay_challenge(&r, &id, 0, &to, 9, 6002));
	id_of(&id, 1000);
	assert_false(elect_replay_answered(&r, &id, 9, 6003, 1200));
	/* The others are all remembered. */
	for (i = 2; i < ELECT_REPLAY_SLOTS; i++) {
		id_of(&id, i);
		assert_int_equal(elect_replay_check(&r, &id, 1, 100, 7000),
		    ELECT_WIRE_REPLAY);
	}
}

static void
a_node_id_heard_many_times_takes_one_slot(void **state)
{
	struct elect_replay r;
	struct elect_id a;
	uint64_t seq;

	(void)state;
	elect_replay_init(&r);
	id_of(&a, 7);
	verified(&r, &a, 3, 0);
	for (seq = 1; seq <= 10; seq++)
		assert_int_equal(
		    elect_replay_check(&r, &a, 3, seq, seq), ELECT_WIRE_OK);
	assert_int_equal(
	    elect_replay_check(&r, &a, 3, 5, 11), ELECT_WIRE_REPLAY);
	assert_true(elect_replay_challenge(&r, &a, 0, &to, 1, 12));
	verified(&r, &a, 4, 2);
	assert_int_equal(r.n, 1);
	assert_true(r.slot[0].last_seq == 2);
}

/* ---- ALIVE (fast member liveness) ---- */

/* ALIVE needs BOOT and UPTIME_MS alone, and is a small datagram. */
static void
an_alive_carries_its_start_and_nothing_else_is_required(void **state)
{
	struct fx *f = *state;
	struct body bd = {.n = 0};

	assert_int_equal(decode_raw(f, ELECT_MSG_ALIVE, NULL), ELECT_WIRE_OK);
	assert_int_equal(f->out.type, ELECT_MSG_ALIVE);
	assert_int_equal(f->out.has, ELECT_HAS_BOOT | ELECT_HAS_UPTIME);
	assert_true(f->out.boot == 42 && f->out.uptime_ms == 5000);
	assert_int_equal(f->len, HDR + 2 * (2 + 8) + TAG);
	/* Without BOOT (or UPTIME_MS): malformed. */
	body_int(&bd, 13, 5000, 8);
	f->len = raw_make(f->buf, ELECT_MSG_ALIVE, &bd);
	assert_int_equal(elect_wire_decode(f->buf, f->len, f->key, &f->out),
	    ELECT_WIRE_MALFORMED);
	bd.n = 0;
	body_int(&bd, 12, 42, 8);
	f->len = raw_make(f->buf, ELECT_MSG_ALIVE, &bd);
	assert_int_equal(elect_wire_decode(f->buf, f->len, f->key, &f->out),
	    ELECT_WIRE_MALFORMED);
}

/* ALIVE_MS (TLV 33, 4 bytes) in a HELLO: decoded, once, exactly 4. */
static void
a_hello_says_how_often_its_sender_sends_alives(void **state)
{
	static const uint8_t v[5] = {0, 0, 0, 100, 0};
	struct fx *f = *state;
	struct body bd = {.n = 0};

	body_tlv(&bd, 33, v, 4);
	assert_int_equal(decode_raw(f, ELECT_MSG_HELLO, &bd), ELECT_WIRE_OK);
	assert_true(f->out.has & ELECT_HAS_ALIVE);
	assert_int_equal(f->out.alive_ms, 100);
	body_tlv(&bd, 33, v, 4); /* twice */
	assert_int_equal(
	    decode_raw(f, ELECT_MSG_HELLO, &bd), ELECT_WIRE_MALFORMED);
	bd.n = 0;
	body_tlv(&bd, 33, v, 5);
	assert_int_equal(
	    decode_raw(f, ELECT_MSG_HELLO, &bd), ELECT_WIRE_MALFORMED);
	bd.n = 0; /* without it: no ALIVEs from that sender */
	assert_int_equal(decode_raw(f, ELECT_MSG_HELLO, &bd), ELECT_WIRE_OK);
	assert_false(f->out.has & ELECT_HAS_ALIVE);
	assert_int_equal(f->out.alive_ms, 0);
}

/* Every truncation and every bad length of an ALIVE is refused. */
static void
an_alive_of_a_bad_length_is_malformed(void **state)
{
	struct fx *f = *state;
	size_t len, cut;

	fx_encode_full(f, ELECT_MSG_ALIVE);
	len = f->len;
	for (cut = 1; cut < len; cut++)
		assert_int_equal(
		    elect_wire_decode(f->buf, len - cut, f->key, &f->out),
		    ELECT_WIRE_MALFORMED);
	f->buf[41]++; /* body_len one more than there is */
	assert_int_equal(elect_wire_decode(f->buf, len, f->key, &f->out),
	    ELECT_WIRE_MALFORMED);
}

/* ---- names and ids ---- */

static void
message_types_and_reasons_have_names_for_logs(void **state)
{
	(void)state;
	assert_string_equal(elect_msg_type_name(ELECT_MSG_HELLO), "hello");
	assert_string_equal(
	    elect_msg_type_name(ELECT_MSG_HEARTBEAT), "heartbeat");
	assert_string_equal(elect_msg_type_name(ELECT_MSG_CLAIM), "claim");
	assert_string_equal(elect_msg_type_name(ELECT_MSG_RESIGN), "resign");
	assert_string_equal(elect_msg_type_name(ELECT_MSG_PROBE), "probe");
	assert_string_equal(
	    elect_msg_type_name(ELECT_MSG_PROBE_ACK), "probe-ack");
	assert_string_equal(elect_msg_type_name(ELECT_MSG_STATE), "state");
	assert_string_equal(elect_msg_type_name(0), "unknown");
	assert_string_equal(elect_msg_type_name(ELECT_MSG_ALIVE), "alive");
	assert_string_equal(elect_msg_type_name(9), "unknown");
	assert_string_equal(elect_msg_type_name(-1), "unknown");
	assert_string_equal(elect_wire_err_name(ELECT_WIRE_OK), "ok");
	assert_string_equal(
	    elect_wire_err_name(ELECT_WIRE_MALFORMED), "malformed");
	assert_string_equal(elect_wire_err_name(ELECT_WIRE_VERSION), "version");
	assert_string_equal(elect_wire_err_name(ELECT_WIRE_AUTH), "auth");
	assert_string_equal(elect_wire_err_name(ELECT_WIRE_REPLAY), "replay");
	assert_string_equal(
	    elect_wire_err_name(ELECT_WIRE_UNVERIFIED), "unverified");
}

static void
a_node_id_round_trips_through_hex(void **state)
{
	struct elect_id id, back;
	char hex[33];
	size_t i;

	(void)state;
	for (i = 0; i < 16; i++)
		id.b[i] = (uint8_t)(i * 17 + 10);
	assert_string_equal(
	    elect_id_hex(&id, hex), "0a1b2c3d4e5f708192a3b4c5d6e7f809");
	assert_int_equal(elect_id_parse(hex, &back), 0);
	assert_memory_equal(id.b, back.b, 16);
	assert_int_equal(
	    elect_id_parse("0A1B2C3D4E5F708192A3B4C5D6E7F809", &back), 0);
	assert_memory_equal(id.b, back.b, 16);
}

static void
a_string_that_is_not_32_hex_digits_is_not_an_id(void **state)
{
	struct elect_id id;

	(void)state;
	id_fill(&id, 0x77);
	assert_int_equal(elect_id_parse("", &id), -1);
	assert_int_equal(
	    elect_id_parse("0a1b2c3d4e5f708192a3b4c5d6e7f80", &id), -1);
	assert_int_equal(
	    elect_id_parse("0a1b2c3d4e5f708192a3b4c5d6e7f8090", &id), -1);
	assert_int_equal(
	    elect_id_parse("0a1b2c3d4e5f708192a3b4c5d6e7f8g9", &id), -1);
	assert_int_equal(
	    elect_id_parse(" a1b2c3d4e5f708192a3b4c5d6e7f809", &id), -1);
	/* A rejected string leaves the output alone. */
	assert_int_equal(id.b[0], 0x77);
}

static void
ids_compare_in_byte_order_and_zero_means_none(void **state)
{
	struct elect_id a, b;

	(void)state;
	memset(&a, 0, sizeof(a));
	assert_true(elect_id_is_zero(&a));
	b = a;
	b.b[15] = 1;
	assert_false(elect_id_is_zero(&b));
	assert_int_equal(elect_id_cmp(&a, &b), -1);
	assert_int_equal(elect_id_cmp(&b, &a), 1);
	assert_int_equal(elect_id_cmp(&a, &a), 0);
	a.b[0] = 1;
	assert_int_equal(elect_id_cmp(&a, &b), 1);
}

#define T(name) cmocka_unit_test_setup_teardown(name, fx_setup, fx_teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    T(every_message_type_survives_an_encode_decode_round_trip),
	    T(a_message_with_only_its_required_fields_round_trips),
	    T(public_addresses_are_one_per_family),
	    T(public_addresses_of_bad_shape_are_rejected),
	    T(echoes_and_fences_of_bad_shape_are_rejected),
	    T(the_header_fields_are_big_endian_at_their_offsets),
	    T(the_tag_is_hmac_sha256_of_header_and_body_with_the_key),
	    T(tlvs_in_any_order_are_accepted),
	    T(flags_set_by_a_sender_are_ignored),
	    T(a_datagram_truncated_at_any_length_is_malformed),
	    T(a_datagram_with_trailing_bytes_is_malformed),
	    T(a_datagram_of_512_bytes_is_accepted),
	    T(a_datagram_of_513_bytes_is_malformed_even_with_a_valid_tag),
	    T(a_state_of_1400_bytes_is_accepted_and_of_1401_malformed),
	    T(settings_entries_are_bounded_and_ranges_sized),
	    T(entries_the_decoder_would_refuse_are_not_encoded),
	    T(a_bad_magic_is_malformed),
	    T(an_unknown_version_is_counted_as_version),
	    T(an_unknown_message_type_with_a_valid_tag_is_malformed),
	    T(an_alive_carries_its_start_and_nothing_else_is_required),
	    T(a_hello_says_how_often_its_sender_sends_alives),
	    T(an_alive_of_a_bad_length_is_malformed),
	    T(a_wrong_tag_fails_authentication),
	    T(a_datagram_tagged_with_another_key_fails_authentication),
	    T(a_flipped_bit_anywhere_is_rejected),
	    T(an_empty_body_is_malformed_for_every_type),
	    T(a_message_missing_any_required_field_is_malformed),
	    T(a_tlv_running_past_the_body_is_malformed),
	    T(a_duplicate_tlv_is_malformed),
	    T(up_to_four_addresses_are_accepted_and_a_fifth_is_malformed),
	    T(a_name_with_a_nul_or_a_control_character_is_malformed),
	    T(a_name_in_utf8_of_63_bytes_is_accepted),
	    T(a_known_tlv_with_a_wrong_length_is_malformed),
	    T(a_bad_value_is_malformed),
	    T(an_unknown_reason_is_kept),
	    T(unknown_tlvs_are_skipped),
	    T(the_encoder_refuses_what_the_decoder_would_reject),
	    T(the_encoder_refuses_a_buffer_one_byte_too_small),
	    cmocka_unit_test(a_replayed_or_older_sequence_is_rejected),
	    cmocka_unit_test(an_equal_sequence_is_a_replay),
	    cmocka_unit_test(
		an_unknown_id_or_boot_is_unverified_and_takes_no_slot),
	    cmocka_unit_test(a_restarted_sender_is_verified_from_its_answer_on),
	    cmocka_unit_test(a_challenge_is_rate_limited_and_answered_once),
	    cmocka_unit_test(a_held_off_challenge_is_echoed_once),
	    cmocka_unit_test(a_datagram_sent_long_before_it_arrives_is_stale),
	    cmocka_unit_test(
		a_full_window_forgets_the_least_recently_heard_sender),
	    cmocka_unit_test(a_node_id_heard_many_times_takes_one_slot),
	    cmocka_unit_test(message_types_and_reasons_have_names_for_logs),
	    cmocka_unit_test(a_node_id_round_trips_through_hex),
	    cmocka_unit_test(a_string_that_is_not_32_hex_digits_is_not_an_id),
	    cmocka_unit_test(ids_compare_in_byte_order_and_zero_means_none),
	    cmocka_unit_test_setup_teardown(
		keys_of_a_wrong_length_or_twice_are_malformed, fx_setup,
		fx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
