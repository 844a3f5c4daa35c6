/*
 * tests/fuzz/gen_elect_wire.c — writes the seed corpus of the wire fuzz
 * target: a valid datagram of every type (with every field, and with only
 * the required ones), tagged with the fuzz key, and a few bad ones.
 *
 *   make tests/fuzz/gen_elect_wire
 *   tests/fuzz/gen_elect_wire $(top_srcdir)/tests/fuzz/corpus/elect_wire
 *
 * The output is deterministic: run it again after a change of the wire
 * format and commit what changed.
 */
#include "config.h"

#include "tests/fuzz/fuzz_elect_wire.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "election/election.h"

static const char *dir;
static struct elect_key *key;

static void
put(const char *name, const uint8_t *buf, size_t len)
{
	char path[4096];
	FILE *f;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >=
	    sizeof(path)) {
		fprintf(stderr, "gen_elect_wire: %s/%s: path too long\n", dir,
		    name);
		exit(1);
	}
	if ((f = fopen(path, "wb")) == NULL || fwrite(buf, 1, len, f) != len ||
	    fclose(f) != 0) {
		fprintf(
		    stderr, "gen_elect_wire: %s: %s\n", path, strerror(errno));
		exit(1);
	}
}

static void
retag(uint8_t *buf, size_t len)
{
	unsigned int n = 0;

	if (HMAC(EVP_sha256(), FUZZ_ELECT_WIRE_SECRET, ELECT_KEY_LEN, buf,
		len - ELECT_WIRE_TAG_LEN, buf + len - ELECT_WIRE_TAG_LEN,
		&n) == NULL)
		abort();
}

static size_t
encode(const struct elect_msg *m, uint8_t *buf)
{
	size_t len = elect_wire_encode(m, key, buf, ELECT_WIRE_MAX);

	if (len == 0) {
		fprintf(stderr, "gen_elect_wire: %s refused\n",
		    elect_msg_type_name(m->type));
		exit(1);
	}
	return len;
}

/* Every field its type uses. */
static void
msg_full(struct elect_msg *m, uint8_t type)
{
	memset(m, 0, sizeof(*m));
	m->type = type;
	memset(m->id.b, 0x11 * type, sizeof(m->id.b));
	m->epoch = 12;
	m->seq = 1000 + type;
	m->has = ELECT_HAS_PRIORITY | ELECT_HAS_BOOT | ELECT_HAS_UPTIME;
	m->priority = 100;
	m->boot = 0x0123456789abcdefull;
	m->uptime_ms = 86400000;
	switch (type) {
	case ELECT_MSG_HELLO:
		m->has |= ELECT_HAS_NAME | ELECT_HAS_STATE | ELECT_HAS_HOLDER |
			  ELECT_HAS_PREEMPT | ELECT_HAS_DMZ | ELECT_HAS_LEASE |
			  ELECT_HAS_HEARTBEAT | ELECT_HAS_CHALLENGE |
			  ELECT_HAS_RESPONSE;
		snprintf(m->name, sizeof(m->name), "%s", "h\xc3\xb4te-1");
		m->dmz = (struct elect_addr){4, {192, 168, 1, 11}};
		m->dmz_prefix = 24;
		m->lease_ms = 600;
		m->heartbeat_ms = 200;
		m->challenge = 0x1122334455667788ull;
		m->response = 0x8899aabbccddeeffull;
		m->state = ELECT_ST_STANDBY;
		memset(m->holder.b, 0x22, sizeof(m->holder.b));
		m->addrs[0] = (struct elect_addr){4, {10, 0, 0, 12}};
		m->addrs[1] = (struct elect_addr){6, {0xfd, [15] = 0x12}};
		m->n_addrs = 2;
		break;
	case ELECT_MSG_HEARTBEAT:
	case ELECT_MSG_CLAIM:
		m->has |= ELECT_HAS_DMZ | ELECT_HAS_LEASE | ELECT_HAS_HEARTBEAT;
		m->dmz = (struct elect_addr){4, {192, 168, 1, 11}};
		m->dmz_prefix = 24;
		m->lease_ms = 600;
		m->heartbeat_ms = 200;
		break;
	case ELECT_MSG_RESIGN:
		m->has |= ELECT_HAS_HOLDER;
		memset(m->holder.b, 0x33, sizeof(m->holder.b));
		break;
	case ELECT_MSG_PROBE:
	case ELECT_MSG_PROBE_ACK:
		m->has |= ELECT_HAS_NONCE | ELECT_HAS_CHECK;
		m->nonce = 0x8877665544332211ull;
		m->check_ok = 1;
		break;
	case ELECT_MSG_STATE:
		m->has |= ELECT_HAS_DMZ;
		m->dmz = (struct elect_addr){6, {0xfd, [15] = 0x11}};
		m->dmz_prefix = 64;
		break;
	}
}

/* Version 2 (doc/protocol.md): BOOT and UPTIME_MS everywhere, the
 * settings in every message that takes part in the election. */
#define SETTINGS (ELECT_HAS_DMZ | ELECT_HAS_LEASE | ELECT_HAS_HEARTBEAT)
#define START (ELECT_HAS_BOOT | ELECT_HAS_UPTIME)
static const uint32_t required[] = {
    [ELECT_MSG_HELLO] = ELECT_HAS_NAME | ELECT_HAS_PRIORITY | ELECT_HAS_STATE |
			START | SETTINGS,
    [ELECT_MSG_HEARTBEAT] = ELECT_HAS_PRIORITY | START | SETTINGS,
    [ELECT_MSG_CLAIM] = ELECT_HAS_PRIORITY | START | SETTINGS,
    [ELECT_MSG_RESIGN] = ELECT_HAS_HOLDER | START,
    [ELECT_MSG_PROBE] = ELECT_HAS_NONCE | START,
    [ELECT_MSG_PROBE_ACK] = ELECT_HAS_NONCE | ELECT_HAS_CHECK | START,
    [ELECT_MSG_STATE] = START,
    [ELECT_MSG_ALIVE] = START,
};

static void
gen_valid(void)
{
	uint8_t buf[ELECT_WIRE_MAX];
	struct elect_msg m;
	char name[64];
	uint8_t type;

	for (type = ELECT_MSG_HELLO; type <= ELECT_MSG_ALIVE; type++) {
		msg_full(&m, type);
		snprintf(
		    name, sizeof(name), "ok-%s", elect_msg_type_name(type));
		put(name, buf, encode(&m, buf));
		m.has &= required[type];
		m.n_addrs = 0;
		snprintf(
		    name, sizeof(name), "ok-%s-min", elect_msg_type_name(type));
		put(name, buf, encode(&m, buf));
	}
	/* Key rotation (issue 14): a HELLO saying its key and next key. */
	msg_full(&m, ELECT_MSG_HELLO);
	m.has |= ELECT_HAS_KEYS;
	memset(m.key_cur, 0x11, sizeof(m.key_cur));
	memset(m.key_next, 0x22, sizeof(m.key_next));
	m.key_flags = ELECT_KEYS_FORCED;
	put("ok-hello-keys", buf, encode(&m, buf));
}

/*
 * A HELLO with one body byte changed at off (or, with add, a TLV of
 * add_len bytes appended), tagged again so the body parser sees it.
 */
static void
gen_body(
    const char *name, size_t off, uint8_t v, const uint8_t *add, size_t add_len)
{
	uint8_t buf[ELECT_WIRE_MAX * 2];
	struct elect_msg m;
	size_t len, body_len;

	msg_full(&m, ELECT_MSG_HELLO);
	len = encode(&m, buf) - ELECT_WIRE_TAG_LEN;
	if (off > 0)
		buf[ELECT_WIRE_HDR_LEN + off] = v;
	if (add_len > 0)
		memcpy(buf + len, add, add_len);
	len += add_len;
	body_len = len - ELECT_WIRE_HDR_LEN;
	buf[40] = (uint8_t)(body_len >> 8);
	buf[41] = (uint8_t)body_len;
	len += ELECT_WIRE_TAG_LEN;
	retag(buf, len);
	put(name, buf, len);
}

static void
gen_bad(void)
{
	static const uint8_t unknown_tlv[] = {200, 3, 'n', 'e', 'w'};
	static const uint8_t dup_prio[] = {2, 1, 50};
	static const uint8_t past_end[] = {9, 4, 0, 0};
	static const uint8_t addr5[] = {
	    5, 4, 10, 0, 0, 1, 5, 4, 10, 0, 0, 2, 5, 4, 10, 0, 0, 3};
	uint8_t buf[ELECT_WIRE_MAX];
	struct elect_msg m;
	size_t len;

	gen_body(
	    "ok-hello-unknown-tlv", 0, 0, unknown_tlv, sizeof(unknown_tlv));
	gen_body("bad-duplicate-tlv", 0, 0, dup_prio, sizeof(dup_prio));
	gen_body("bad-tlv-past-body", 0, 0, past_end, sizeof(past_end));
	gen_body("bad-five-addresses", 0, 0, addr5, sizeof(addr5));
	gen_body("bad-name-control", 3, 0x07, NULL, 0);
	gen_body("bad-state-value", 9 + 3 + 2, 9, NULL, 0); /* NAME, PRIO */

	msg_full(&m, ELECT_MSG_HEARTBEAT);
	len = encode(&m, buf);
	put("bad-truncated", buf, len - 1);
	buf[len - 1] ^= 1;
	put("bad-tag", buf, len);
	buf[4] = 1; /* version 1: no longer spoken */
	retag(buf, len);
	put("bad-version", buf, len);
	buf[4] = 2;
	buf[0] = 'X';
	retag(buf, len);
	put("bad-magic", buf, len);
	buf[0] = 'Q';
	buf[5] = 8;
	retag(buf, len);
	put("bad-type", buf, len);
}

int
main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: gen_elect_wire corpus-dir\n");
		return 1;
	}
	dir = argv[1];
	if ((key = elect_key_new((const uint8_t *)FUZZ_ELECT_WIRE_SECRET)) ==
	    NULL) {
		fprintf(stderr, "gen_elect_wire: cannot make the key\n");
		return 1;
	}
	gen_valid();
	gen_bad();
	elect_key_free(key);
	return 0;
}
