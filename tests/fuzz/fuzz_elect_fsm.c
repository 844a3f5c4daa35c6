/*
 * tests/fuzz/fuzz_elect_fsm.c — the election state machine driven by
 * arbitrary input: each record of the input is one event (time passing,
 * a datagram signed with the cluster key so that it reaches the state
 * machine, a link change, a probe or check result, a watched request).
 * Nothing a peer or the host sends may crash the core, trip one of its
 * assert()s, or leave a holder past its lease; actions stay in bounds.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "election/election.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t secret[ELECT_KEY_LEN] = "fuzz-fsm-key-0123456789abcdefgh";

struct rd {
	const uint8_t *p;
	size_t n;
};

static uint8_t
u8(struct rd *r)
{
	uint8_t v = 0;

	if (r->n > 0) {
		v = *r->p++;
		r->n--;
	}
	return v;
}

static uint32_t
u16(struct rd *r)
{
	return (uint32_t)u8(r) << 8 | u8(r);
}

/* The last CHALLENGE the core sent: a peer may echo it (version 2). */
static uint64_t last_challenge;

static void
note_challenges(struct elect_key *key, const struct elect_out *out)
{
	struct elect_msg m;
	size_t i;

	for (i = 0; i < out->nact; i++)
		if (out->act[i].type == ELECT_ACT_SEND &&
		    elect_wire_decode(out->act[i].buf, out->act[i].len, key,
			&m) == ELECT_WIRE_OK &&
		    (m.has & ELECT_HAS_CHALLENGE))
			last_challenge = m.challenge;
}

/* A message from peer (1..8), fields drawn from the input, then signed. */
static size_t
make_msg(struct rd *r, struct elect_key *key, uint64_t *seq, uint8_t *buf)
{
	struct elect_msg m;
	uint8_t peer = (uint8_t)(u8(r) % 9); /* 0: our own id */

	memset(&m, 0, sizeof(m));
	m.version = ELECT_PROTO_VERSION;
	m.type = (uint8_t)(u8(r) % 7 + 1);
	m.flags = u8(r) & (ELECT_FLAG_SOLICIT | ELECT_FLAG_UNFIT);
	memset(m.id.b, peer ? peer : 0x50, sizeof(m.id.b));
	m.epoch = u8(r) % 8;
	m.seq = (u8(r) & 1) ? seq[peer] : ++seq[peer]; /* replays too */
	m.has = ELECT_HAS_PRIORITY | ELECT_HAS_BOOT | ELECT_HAS_UPTIME;
	m.priority = u8(r);
	m.boot = u8(r) % 3;
	m.uptime_ms = u16(r);
	m.has |= (uint32_t)u16(r) &
		 (ELECT_HAS_NAME | ELECT_HAS_STATE | ELECT_HAS_HOLDER |
		     ELECT_HAS_PREEMPT | ELECT_HAS_NONCE | ELECT_HAS_CHECK |
		     ELECT_HAS_MEMBERS);
	m.has |= ELECT_HAS_NAME | ELECT_HAS_STATE; /* HELLO needs them */
	memcpy(m.name, "peer", 5);
	m.state = u8(r) % 6;
	memset(m.holder.b, u8(r) % 9, sizeof(m.holder.b));
	m.preempt = u8(r) & 1;
	m.nonce = u8(r);
	m.check_ok = u8(r) & 1;
	m.n_members = u8(r);
	/* Version 2: the settings, ours or (now and then) other ones. */
	m.has |= ELECT_HAS_DMZ | ELECT_HAS_LEASE | ELECT_HAS_HEARTBEAT;
	m.dmz.family = 4;
	m.dmz.b[0] = 10;
	m.dmz.b[3] = (u8(r) & 7) ? 200 : 201;
	m.dmz_prefix = 24;
	m.lease_ms = (u8(r) & 7) ? 600 : 700;
	m.heartbeat_ms = (u8(r) & 7) ? 200 : 250;
	/* Echo the core's last challenge, or a wrong one, or none. */
	switch (u8(r) % 4) {
	case 0:
	case 1:
		m.has |= ELECT_HAS_RESPONSE;
		m.response = last_challenge;
		break;
	case 2:
		m.has |= ELECT_HAS_RESPONSE | ELECT_HAS_CHALLENGE;
		m.response = u8(r);
		m.challenge = u8(r) + 1;
		break;
	default:
		break;
	}
	return elect_wire_encode(&m, key, buf, ELECT_WIRE_MAX);
}

static void
next_event(struct rd *r, struct elect_key *key, uint64_t *seq,
    struct elect_event *ev, uint8_t *buf)
{
	memset(ev, 0, sizeof(*ev));
	switch (u8(r) % 10) {
	case 0:
	case 1:
		ev->type = ELECT_EV_TIMER;
		break;
	case 2:
	case 3:
	case 4:
		ev->type = ELECT_EV_RX;
		ev->buf = buf;
		ev->len = make_msg(r, key, seq, buf);
		ev->src.family = 4;
		ev->src.b[0] = 10;
		ev->src.b[3] = u8(r);
		break;
	case 5:
		ev->type = ELECT_EV_LINK;
		ev->up = u8(r) & 1;
		break;
	case 6:
		/* The ARP probe's answer, or the guard resigned for us. */
		ev->conflict = u8(r) & 1;
		ev->type =
		    (u8(r) % 4) ? ELECT_EV_PROBE_DONE : ELECT_EV_GUARD_RESIGNED;
		break;
	case 7:
		ev->type = (u8(r) & 1) ? ELECT_EV_REQUEST : ELECT_EV_ANSWER;
		ev->flow = u8(r) % 4;
		/* two watched ports (conf.watch) and one not watched */
		ev->proto = 6;
		ev->port = (uint16_t)(80 + u8(r) % 3);
		break;
	case 8:
		/* A check result, or the answer to a PERSIST (D4). */
		ev->type = (u8(r) & 1) ? ELECT_EV_CHECK : ELECT_EV_PERSIST_DONE;
		ev->ok = u8(r) & 1;
		break;
	default:
		ev->type = (u8(r) & 1) ? ELECT_EV_HANDOVER : ELECT_EV_SHUTDOWN;
		memset(ev->target.b, u8(r) % 9, sizeof(ev->target.b));
		break;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct elect_out out;
	static uint8_t buf[ELECT_WIRE_MAX];
	struct rd r = {data, size};
	struct elect_key *key = elect_key_new(secret);
	struct elect_conf conf;
	struct elect_persist p = {{{0}}, 0, 0};
	struct elect_event ev;
	struct elect *e;
	uint64_t seq[9] = {0}, now = 1000;
	int steps = 0;

	elect_conf_defaults(&conf);
	conf.key = key;
	memcpy(conf.name, "fuzz", 5);
	conf.dmz.family = 4;
	conf.dmz.b[0] = 10;
	conf.dmz.b[3] = 200;
	conf.dmz_prefix = 24;
	conf.priority = u8(&r) % 255;
	conf.preempt = u8(&r) & 1;
	conf.probe_first = u8(&r) & 1;
	conf.check_enabled = u8(&r) & 1;
	conf.request_timeout_auto = u8(&r) & 1;
	conf.watch[0].proto = conf.watch[1].proto = 6;
	conf.watch[0].port = 80;
	conf.watch[1].port = 81;
	conf.n_watch = 2;
	memset(p.id.b, 0x50, sizeof(p.id.b));
	e = elect_new(&conf, &p, now, 1);
	if (e == NULL)
		abort();
	last_challenge = 0;
	ev.type = ELECT_EV_START;
	if (elect_step(e, now, &ev, &out) != 0)
		abort();
	note_challenges(key, &out);
	while (r.n > 0 && steps++ < 2000) {
		next_event(&r, key, seq, &ev, buf);
		/* Time moves to the wake-up asked for, or by a drawn amount. */
		if (ev.type == ELECT_EV_TIMER && out.wake_ms > now)
			now = out.wake_ms;
		else
			now += u16(&r) % 2000;
		if (elect_step(e, now, &ev, &out) != 0)
			abort();
		if (out.nact > ELECT_MAX_ACTIONS)
			abort();
		note_challenges(key, &out);
		/* A holder past its kernel lease: after a TIMER step only (a
		 * lapsed fence is decided there, doc/protocol.md). */
		if (ev.type == ELECT_EV_TIMER &&
		    elect_get_state(e) == ELECT_ST_HOLDER &&
		    elect_get_lease_until(e) <= now)
			abort();
	}
	elect_free(e);
	elect_key_free(key);
	return 0;
}
