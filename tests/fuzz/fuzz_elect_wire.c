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
	    a->uptime_ms != b->uptime_ms || a->dmz_prefix != b->dmz_prefix ||
	    a->challenge != b->challenge || a->response != b->response ||
	    a->heartbeat_ms != b->heartbeat_ms ||
	    memcmp(a->key_cur, b->key_cur, sizeof(a->key_cur)) != 0 ||
	    memcmp(a->key_next, b->key_next, sizeof(a->key_next)) != 0 ||
	    a->key_flags != b->key_flags)
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
	check(m->type >= ELECT_MSG_HELLO && m->type <= ELECT_MSG_ALIVE);
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
	/* Unknown until verified; then its window starts above seq. */
	check(elect_replay_check(r, &m.id, m.boot, m.seq, 1) ==
	      ELECT_WIRE_UNVERIFIED);
	elect_replay_verify(r, &m.id, m.boot, m.seq, 1);
	check(elect_replay_check(r, &m.id, m.boot, m.seq, 2) ==
	      ELECT_WIRE_REPLAY);
	check(elect_replay_check(r, &m.id, m.boot + 1, m.seq + 1, 2) ==
	      ELECT_WIRE_UNVERIFIED);
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

static void
replay_op_check(struct elect_replay *r, const struct elect_id *id,
    uint64_t boot, uint64_t seq, uint64_t now)
{
	struct elect_replay_slot *s = slot_find(r, id), before;
	enum elect_wire_err err;

	if (s != NULL)
		before = *s;
	err = elect_replay_check(r, id, boot, seq, now);
	if (s == NULL || !before.verified || before.boot != boot) {
		check(err == ELECT_WIRE_UNVERIFIED);
		return;
	}
	if (seq <= before.last_seq) {
		check(
		    err == ELECT_WIRE_REPLAY && s->heard_ms == before.heard_ms);
		return;
	}
	check(err == ELECT_WIRE_OK && s->last_seq == seq && s->heard_ms == now);
}

static void
replay_op_answer(struct elect_replay *r, const struct elect_id *id,
    uint64_t value, uint64_t now)
{
	struct elect_replay_slot *s = slot_find(r, id);
	uint64_t chal = s != NULL ? s->chal : 0;
	bool ok = elect_replay_answered(r, id, value, now, 40);

	/* Only the outstanding challenge, once: then it is used up. */
	check(!ok || (chal == value && chal != 0 && s->chal == 0));
	check(!elect_replay_answered(r, id, value, now, 40) || !ok);
}

/*
 * The input as replay-window operations of 4 bytes: sender (256 of them,
 * twice the slots, so senders get forgotten), operation and boot, value,
 * time step.
 */
static void
fuzz_replay(const uint8_t *data, size_t size, struct elect_replay *r)
{
	struct elect_replay_slot *s;
	struct elect_addr to = {4, {10, 0, 0, 0}};
	struct elect_id id;
	uint64_t now = 0, boot, v;
	size_t i;

	memset(&id, 0, sizeof(id));
	for (i = 0; i + 4 <= size; i += 4) {
		id.b[15] = data[i];
		boot = (data[i + 1] >> 2) + 1;
		v = data[i + 2];
		now += data[i + 3];
		switch (data[i + 1] & 3) {
		case 0:
			replay_op_check(r, &id, boot, v, now);
			break;
		case 1:
			to.b[3] = data[i + 1] >> 4;
			(void)elect_replay_challenge(
			    r, &id, 0, &to, v + 1, now);
			s = slot_find(r, &id);
			check(s != NULL && s->chal_ms <= now);
			break;
		case 2:
			replay_op_answer(r, &id, v, now);
			break;
		default:
			elect_replay_verify(r, &id, boot, v, now);
			s = slot_find(r, &id);
			check(s != NULL && s->verified && s->boot == boot &&
			      s->last_seq == v);
			check(elect_replay_is_known(r, &id));
			break;
		}
		check(r->n <= ELECT_REPLAY_SLOTS);
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
