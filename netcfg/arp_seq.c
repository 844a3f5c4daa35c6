#include "config.h"

#include "netcfg/netcfg_int.h"

#include <string.h>

/*
 * The probe/announce sequence of RFC 5227, with the caller's timings
 * (short ones: a cluster claims within a second, not the RFC's 7 s). No
 * random wait before the first probe: the election core already staggers
 * the candidates, so hosts do not probe in step.
 */

static const uint8_t zero4[4];

void
netcfg_seq_init(struct netcfg_seq *s)
{
	memset(s, 0, sizeof(*s));
}

void
netcfg_seq_set_members(struct netcfg_seq *s, const uint8_t (*macs)[6], size_t n)
{
	if (n > NETCFG_MAX_MEMBER_MACS)
		n = NETCFG_MAX_MEMBER_MACS;
	if (n > 0)
		memcpy(s->member, macs, n * sizeof(s->member[0]));
	s->n_member = n;
}

static void
out_clear(struct netcfg_seq_out *out)
{
	memset(out, 0, sizeof(*out));
}

/* The next deadline after a send: the gap, or the final wait. */
static uint64_t
after_send(const struct netcfg_seq *s, uint64_t now_ms)
{
	if (s->sent < s->conf.count)
		return now_ms + s->conf.gap_ms;
	if (s->conf.kind == NETCFG_SEQ_PROBE)
		return now_ms + s->conf.wait_ms;
	return now_ms; /* announce: nothing to wait for */
}

static enum netcfg_seq_send
send_kind(const struct netcfg_seq *s)
{
	return s->conf.kind == NETCFG_SEQ_PROBE ? NETCFG_SEND_PROBE
						: NETCFG_SEND_ANNOUNCE;
}

void
netcfg_seq_start(struct netcfg_seq *s, const struct netcfg_seq_conf *conf,
    uint64_t now_ms, struct netcfg_seq_out *out)
{
	out_clear(out);
	s->conf = *conf;
	s->state = NETCFG_SEQ_RUNNING;
	s->sent = 0;
	if (s->conf.count > 0) {
		out->send = send_kind(s);
		s->sent = 1;
	}
	s->next_ms = after_send(s, now_ms);
	out->wake_ms = s->next_ms;
}

static void
finish(struct netcfg_seq *s, enum netcfg_probe_result r, const uint8_t *mac,
    struct netcfg_seq_out *out)
{
	s->state = NETCFG_SEQ_DONE;
	out->done = true;
	out->result = r;
	if (mac != NULL)
		memcpy(out->mac, mac, 6);
	out->wake_ms = 0;
}

void
netcfg_seq_on_timer(
    struct netcfg_seq *s, uint64_t now_ms, struct netcfg_seq_out *out)
{
	out_clear(out);
	if (s->state != NETCFG_SEQ_RUNNING)
		return;
	if (now_ms < s->next_ms) { /* early: keep waiting */
		out->wake_ms = s->next_ms;
		return;
	}
	if (s->sent < s->conf.count) {
		out->send = send_kind(s);
		s->sent++;
		s->next_ms = after_send(s, now_ms);
		out->wake_ms = s->next_ms;
		return;
	}
	finish(s, NETCFG_PROBE_FREE, NULL, out);
}

static bool
is_member(const struct netcfg_seq *s, const uint8_t mac[6])
{
	size_t i;

	for (i = 0; i < s->n_member; i++)
		if (memcmp(s->member[i], mac, 6) == 0)
			return true;
	return false;
}

/*
 * RFC 5227 2.1.1: a conflict is any ARP packet (request or reply) whose
 * sender address is the one we probe, or an ARP probe (sender 0.0.0.0)
 * for the same target from another host, which is probing in step with
 * us. Our own frames and those of cluster members do not count: the
 * election, not ARP, settles who holds the address among members.
 */
static bool
is_conflict(const struct netcfg_seq *s, const struct netcfg_arp *a)
{
	if (memcmp(a->sha, s->conf.mac, 6) == 0 || is_member(s, a->sha))
		return false;
	if (memcmp(a->spa, s->conf.ip, 4) == 0)
		return true;
	return a->op == NETCFG_ARP_REQUEST && memcmp(a->spa, zero4, 4) == 0 &&
	       memcmp(a->tpa, s->conf.ip, 4) == 0;
}

void
netcfg_seq_on_frame(struct netcfg_seq *s, uint64_t now_ms,
    const struct netcfg_arp *a, struct netcfg_seq_out *out)
{
	(void)now_ms;
	out_clear(out);
	if (s->state != NETCFG_SEQ_RUNNING)
		return;
	out->wake_ms = s->next_ms;
	if (s->conf.kind != NETCFG_SEQ_PROBE || !is_conflict(s, a))
		return;
	finish(s, NETCFG_PROBE_CONFLICT, a->sha, out);
}

void
netcfg_seq_stop(struct netcfg_seq *s)
{
	s->state = NETCFG_SEQ_IDLE;
}

/*
 * Probe (RFC 5227 2.1.1): sender IP 0 so no neighbour cache learns a
 * binding we may not get. Announcement (2.3): an ARP request with sender
 * and target IP both ours, the form every stack updates its cache from.
 */
void
netcfg_seq_frame(const struct netcfg_seq *s, enum netcfg_seq_send kind,
    struct netcfg_arp *out)
{
	memset(out, 0, sizeof(*out));
	out->op = NETCFG_ARP_REQUEST;
	memcpy(out->sha, s->conf.mac, 6);
	memcpy(out->tpa, s->conf.ip, 4);
	if (kind == NETCFG_SEND_ANNOUNCE)
		memcpy(out->spa, s->conf.ip, 4);
}
