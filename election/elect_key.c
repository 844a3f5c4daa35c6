/*
 * election/elect_key.c — key rotation without downtime (doc/protocol.md,
 * "Key rotation"). A member with a next key accepts datagrams tagged
 * with its key or its next key, and says which keys it holds (KEYS: the
 * ids of both) in its HELLO, HEARTBEAT and CLAIM. It tags its own
 * with the next key once every live member holds that key (as its next
 * or, after the operator promoted it, as its key), and no earlier than
 * ELECT_KEY_SETTLE_HEARTBEATS after the next key came (the answers to
 * the SOLICIT it sent then say who holds it); or at once, and for good,
 * when told (ELECT_EV_KEY_ROTATE) or when a member holding the same
 * next key says it was told (FORCED).
 *
 * The decision without FORCED is made again at every step: a member
 * that lacks the key (a restart without it, an older build) brings the
 * sends back to the key, so it keeps hearing us. Sequence numbers and
 * the replay window are the sender's, whatever key tags a datagram:
 * nothing is dropped across the switch.
 */
#include "config.h"

#include <string.h>

#include "election/elect_int.h"

static const uint8_t no_id[ELECT_KEY_ID_LEN];

/* The messages that say which keys their sender holds: those that say
 * its settings. Not ALIVE, which stays BOOT and UPTIME_MS alone. */
static bool
says_keys(uint8_t type)
{
	return type == ELECT_MSG_HELLO || type == ELECT_MSG_HEARTBEAT ||
	       type == ELECT_MSG_CLAIM;
}

static bool
has_next(const struct elect *c)
{
	return c->conf.next_key != NULL;
}

/* Our ids from conf's keys. */
static void
key_ids(struct elect *c)
{
	elect_key_id(c->conf.key, c->key_cur_id);
	memset(c->key_next_id, 0, sizeof(c->key_next_id));
	if (has_next(c))
		elect_key_id(c->conf.next_key, c->key_next_id);
}

void
elect_key_init(struct elect *c)
{
	key_ids(c);
	c->key_next_since_ms = c->now_ms;
	c->key_forced = false;
	c->key_sending_next = false;
}

void
elect_key_reconf(struct elect *c)
{
	uint8_t old_next[ELECT_KEY_ID_LEN];

	memcpy(old_next, c->key_next_id, sizeof(old_next));
	key_ids(c);
	if (memcmp(old_next, c->key_next_id, sizeof(old_next)) == 0)
		return;
	/* Another next key (or none): decided again from the start. */
	c->key_forced = false;
	c->key_sending_next = false;
	c->key_next_since_ms = c->now_ms;
	c->key_solicit = has_next(c);
}

struct elect_key *
elect_key_sending(const struct elect *c)
{
	return has_next(c) && c->key_sending_next ? c->conf.next_key
						  : c->conf.key;
}

void
elect_key_add(const struct elect *c, struct elect_msg *m)
{
	if (!says_keys(m->type))
		return;
	m->has |= ELECT_HAS_KEYS;
	memcpy(m->key_cur, c->key_cur_id, sizeof(m->key_cur));
	memcpy(m->key_next, c->key_next_id, sizeof(m->key_next));
	m->key_flags = has_next(c) && c->key_forced ? ELECT_KEYS_FORCED : 0;
}

void
elect_key_heard(
    struct elect *c, struct elect_member *mb, const struct elect_msg *m)
{
	if (!says_keys(m->type))
		return;
	/* Without KEYS: an older build, or a member without the feature:
	 * it holds our key only. */
	mb->keys_known = (m->has & ELECT_HAS_KEYS) != 0;
	memcpy(mb->key_cur, mb->keys_known ? m->key_cur : no_id,
	    sizeof(mb->key_cur));
	memcpy(mb->key_next, mb->keys_known ? m->key_next : no_id,
	    sizeof(mb->key_next));
	if (mb->keys_known && has_next(c) &&
	    (m->key_flags & ELECT_KEYS_FORCED) &&
	    memcmp(m->key_next, c->key_next_id, ELECT_KEY_ID_LEN) == 0)
		c->key_forced = true;
}

bool
elect_key_member_has_next(const struct elect *c, const struct elect_member *mb)
{
	if (!has_next(c) || !mb->keys_known)
		return false;
	return memcmp(mb->key_next, c->key_next_id, ELECT_KEY_ID_LEN) == 0 ||
	       memcmp(mb->key_cur, c->key_next_id, ELECT_KEY_ID_LEN) == 0;
}

/* Live members (of any settings: they hear us) that lack the next key. */
static size_t
count_lacking(const struct elect *c, uint64_t now_ms)
{
	size_t i, n = 0;

	for (i = 0; i < c->members.n; i++) {
		const struct elect_member *mb = &c->members.m[i];

		if (elect_member_is_live(&c->members, mb, now_ms) &&
		    !elect_key_member_has_next(c, mb))
			n++;
	}
	return n;
}

void
elect_key_step(struct elect *c, struct elect_out *out)
{
	uint64_t settle =
	    (uint64_t)ELECT_KEY_SETTLE_HEARTBEATS * c->conf.heartbeat_ms;

	if (c->key_solicit && c->state != ELECT_ST_STOPPED) {
		/* Every member answers with its HELLO: its KEYS. */
		c->key_solicit = false;
		elect_solicit_hellos(c, out);
	}
	if (!has_next(c)) {
		c->key_sending_next = false;
		return;
	}
	if (c->key_forced) {
		c->key_sending_next = true;
		return;
	}
	if (c->now_ms - c->key_next_since_ms < settle)
		return;
	c->key_sending_next = count_lacking(c, c->now_ms) == 0;
}

void
elect_key_rotate(
    struct elect *c, const struct elect_event *ev, struct elect_out *out)
{
	if (!has_next(c)) {
		out->rotate = ELECT_ROTATE_NO_NEXT;
		return;
	}
	if (!ev->force && count_lacking(c, c->now_ms) > 0) {
		out->rotate = ELECT_ROTATE_LACKING;
		return;
	}
	out->rotate = ELECT_ROTATE_DONE;
	c->key_forced = c->key_sending_next = true;
	/* FORCED reaches every member now, not at our next HELLO. */
	elect_send_hello(c, NULL, out);
}

void
elect_get_key(
    const struct elect *c, uint64_t now_ms, struct elect_key_info *out)
{
	memset(out, 0, sizeof(*out));
	memcpy(out->cur, c->key_cur_id, sizeof(out->cur));
	memcpy(out->next, c->key_next_id, sizeof(out->next));
	out->has_next = has_next(c);
	out->sending_next = has_next(c) && c->key_sending_next;
	out->forced = has_next(c) && c->key_forced;
	out->n_lacking = has_next(c) ? count_lacking(c, now_ms) : 0;
}
