/*
 * tests/fuzz/fuzz_elect_wire.c — libFuzzer target of the wire codec and
 * the replay window (election/elect_wire.c).
 *
 * Each input is decoded as it is. A fuzzer cannot forge HMAC tags, so an
 * input that fails only its tag is tagged again with the fuzz key and
 * decoded once more: that is how the body parser behind the tag gets
 * fuzzed. Whatever decodes is encoded again and must decode to the same
 * message (the encoder writes exactly what the decoder accepts). The same
 * bytes then drive the replay window against a model of its promises.
 * Any broken promise aborts, which the fuzzer reports as a crash.
 */
#include "config.h"

#include "tests/fuzz/fuzz_elect_wire.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "election/election.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

_Static_assert(sizeof(FUZZ_ELECT_WIRE_SECRET) == ELECT_KEY_LEN,
    "the fuzz key is 32 bytes");

#define check(cond)                                                            \
	do {                                                                   \
		if (!(cond))                                                   \
			abort();                                               \
	} while (0)

static struct elect_key *
fuzz_key(void)
{
	static struct elect_key *key;

	if (key == NULL)
		key = elect_key_new((const uint8_t *)FUZZ_ELECT_WIRE_SECRET);
	check(key != NULL);
	return key;
}

static bool
addr_equal(const struct elect_addr *a, const struct elect_addr *b)
{
	return a->family == b->family &&
	       memcmp(a->b, b->b, a->family == 4 ? 4 : 16) == 0;
}

/* The fields a decoded message carries; flags are not (0 on send). */
static bool
msg_equal(const struct elect_msg *a, const struct elect_msg *b)
{
	size_t i;

	if (a->version != b->version || a->type != b->type ||
	    memcmp(&a->id, &b->id, sizeof(a->id)) != 0 ||
	    a->epoch != b->epoch || a->seq != b->seq || a->has != b->has ||
	    strcmp(a->name, b->name) != 0 || a->priority != b->priority ||
	    a->state != b->state ||
	    memcmp(&a->holder, &b->holder, sizeof(a->holder)) != 0 ||
	    a->n_addrs != b->n_addrs || a->lease_ms != b->lease_ms ||
	    a->nonce != b->nonce || a->check_ok != b->check_ok ||
	    a->preempt != b->preempt || a->boot != b->boot ||
	    a->uptime_ms != b->uptime_ms || a->dmz_prefix != b->dmz_prefix)
		return false;
	if ((a->has & ELECT_HAS_DMZ) && !addr_equal(&a->dmz, &b->dmz))
		return false;
	for (i = 0; i < a->n_addrs; i++)
		if (!addr_equal(&a->addrs[i], &b->addrs[i]))
			return false;
	return true;
}

/* What every accepted message promises its reader. */
static void
check_accepted(const struct elect_msg *m)
{
	size_t n = strnlen(m->name, sizeof(m->name));

	check(n < sizeof(m->name));
	check((m->has & ELECT_HAS_NAME) ? n > 0 : n == 0);
	check(m->version == ELECT_PROTO_VERSION);
	check(m->type >= ELECT_MSG_HELLO && m->type <= ELECT_MSG_STATE);
	check(m->n_addrs <= ELECT_MAX_ADDRS);
	check(m->state <= ELECT_ST_STOPPED);
	check(m->check_ok <= 1 && m->preempt <= 1);
}

static void
check_round_trip(const struct elect_msg *m)
{
	uint8_t buf[ELECT_WIRE_MAX], again[ELECT_WIRE_MAX];
	struct elect_msg back;
	size_t len;

	check_accepted(m);
	len = elect_wire_encode(m, fuzz_key(), buf, sizeof(buf));
	check(len >= ELECT_WIRE_HDR_LEN + ELECT_WIRE_TAG_LEN);
	check(elect_wire_decode(buf, len, fuzz_key(), &back) == ELECT_WIRE_OK);
	check(msg_equal(m, &back));
	/* The encoding is canonical: once decoded, it encodes the same. */
	check(
	    elect_wire_encode(&back, fuzz_key(), again, sizeof(again)) == len);
	check(memcmp(buf, again, len) == 0);
}

/* Decodes data, tagged again with the fuzz key if only the tag failed. */
static void
fuzz_decode(const uint8_t *data, size_t size, struct elect_replay *r)
{
	uint8_t buf[ELECT_WIRE_MAX];
	struct elect_msg m;
	enum elect_wire_err err;
	unsigned int n = 0;

	err = elect_wire_decode(data, size, fuzz_key(), &m);
	if (err == ELECT_WIRE_AUTH) {
		memcpy(buf, data, size);
		check(HMAC(EVP_sha256(), FUZZ_ELECT_WIRE_SECRET, ELECT_KEY_LEN,
			  buf, size - ELECT_WIRE_TAG_LEN,
			  buf + size - ELECT_WIRE_TAG_LEN, &n) != NULL);
		err = elect_wire_decode(buf, size, fuzz_key(), &m);
		check(err != ELECT_WIRE_AUTH && err != ELECT_WIRE_VERSION);
	}
	if (err != ELECT_WIRE_OK)
		return;
	check_round_trip(&m);
	check(elect_replay_check(r, &m.id, m.seq, 1) == ELECT_WIRE_OK);
	check(elect_replay_check(r, &m.id, m.seq, 2) == ELECT_WIRE_REPLAY);
}

static struct elect_replay_slot *
slot_find(struct elect_replay *r, const struct elect_id *id)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		if (memcmp(&r->slot[i].id, id, sizeof(*id)) == 0)
			return &r->slot[i];
	return NULL;
}

/*
 * The input as replay-window operations of 3 bytes: sender (256 of them,
 * twice the slots, so senders get forgotten), sequence, time step.
 */
static void
fuzz_replay(const uint8_t *data, size_t size, struct elect_replay *r)
{
	struct elect_replay_slot *s;
	struct elect_id id;
	uint64_t now = 0, last;
	enum elect_wire_err err;
	bool known;
	size_t i;

	memset(&id, 0, sizeof(id));
	for (i = 0; i + 3 <= size; i += 3) {
		id.b[15] = data[i];
		now += data[i + 2];
		s = slot_find(r, &id);
		known = s != NULL;
		last = known ? s->last_seq : 0;
		err = elect_replay_check(r, &id, data[i + 1], now);
		check(r->n <= ELECT_REPLAY_SLOTS);
		if (err == ELECT_WIRE_REPLAY) {
			check(known && data[i + 1] <= last);
			continue;
		}
		check(err == ELECT_WIRE_OK);
		check(!known || data[i + 1] > last);
		s = slot_find(r, &id);
		check(s != NULL && s->last_seq == data[i + 1]);
		check(s->heard_ms == now);
	}
	/* One slot per sender. */
	for (i = 0; i < r->n; i++)
		check(slot_find(r, &r->slot[i].id) == &r->slot[i]);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct elect_replay r;

	elect_replay_init(&r);
	fuzz_decode(data, size, &r);
	elect_replay_init(&r);
	fuzz_replay(data, size, &r);
	return 0;
}
