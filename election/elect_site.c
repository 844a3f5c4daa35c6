/*
 * election/elect_site.c — the site settings' share of the cluster
 * protocol (issue 11 item 1; store/settings.h holds the settings): their
 * digest in our HELLOs and HEARTBEATs, a member's digest that differs
 * and its STATEs reported to the edge, and the STATEs the edge sends.
 * Nothing here touches the election: the settings ride on its messages,
 * its key, its replay window and its membership.
 */
#include "config.h"

#include "election/elect_int.h"

#include <string.h>

void
elect_set_site(struct elect *c, uint64_t digest, uint16_t count)
{
	c->site_on = true;
	c->site_digest = digest;
	c->site_count = count;
}

void
elect_site_add(const struct elect *c, struct elect_msg *m)
{
	if (!c->site_on)
		return;
	if (m->type != ELECT_MSG_HELLO && m->type != ELECT_MSG_HEARTBEAT)
		return;
	m->has |= ELECT_HAS_SITE;
	m->site_digest = c->site_digest;
	m->site_count = c->site_count;
}

void
elect_site_heard(const struct elect *c, const struct elect_msg *m,
    const struct elect_addr *src, struct elect_out *out)
{
	struct elect_action *a;

	if (!c->site_on)
		return;
	if ((m->has & ELECT_HAS_SITE) && m->site_digest != c->site_digest) {
		a = elect_push(out, ELECT_ACT_SITE_DIFFERS);
		a->peer = m->id;
		a->src = *src;
		a->site_digest = m->site_digest;
	}
	if (m->type == ELECT_MSG_STATE &&
	    (m->has & (ELECT_HAS_ENTRIES | ELECT_HAS_RANGES))) {
		a = elect_push(out, ELECT_ACT_SITE_STATE);
		a->peer = m->id;
		a->src = *src;
		memcpy(a->buf, m->entries, m->entries_len);
		a->len = m->entries_len;
		a->has_ranges = (m->has & ELECT_HAS_RANGES) != 0;
		memcpy(a->ranges, m->ranges, sizeof(a->ranges));
	}
}

void
elect_site_send(
    struct elect *c, const struct elect_event *ev, struct elect_out *out)
{
	struct elect_msg m;

	elect_msg_init(c, &m, ELECT_MSG_STATE);
	if (ev->len > 0) {
		memcpy(m.entries, ev->buf, ev->len);
		m.entries_len = ev->len;
		m.has |= ELECT_HAS_ENTRIES;
	}
	if (ev->ranges != NULL) {
		memcpy(m.ranges, ev->ranges, sizeof(m.ranges));
		m.has |= ELECT_HAS_RANGES;
		/* A pull says our digest: the member pulls us in turn when
		 * it differs from its own. */
		m.has |= ELECT_HAS_SITE;
		m.site_digest = c->site_digest;
		m.site_count = c->site_count;
	}
	elect_send_msg(c, &m, ev->src.family == 0 ? NULL : &ev->src, out);
}
