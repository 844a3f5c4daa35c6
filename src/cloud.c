/*
 * src/cloud.c — [cloud] wired to dns/dyndns.h: see cloud.h.
 */
#include "config.h"

#include "src/cloud.h"

#include "base/log.h"
#include "dns/dyndns.h"
#include "src/conf.h"
#include "src/status.h"

#include <stdio.h>
#include <string.h>

static void
conf_from(const struct conf *conf, struct dyndns_conf *dc)
{
	static const enum dyndns_source src[] = {
	    [CONF_PUBADDR_AUTO] = DYNDNS_SRC_AUTO,
	    [CONF_PUBADDR_UPNP] = DYNDNS_SRC_UPNP,
	    [CONF_PUBADDR_NATPMP] = DYNDNS_SRC_NATPMP,
	    [CONF_PUBADDR_STATIC] = DYNDNS_SRC_STATIC,
	    [CONF_PUBADDR_HTTP] = DYNDNS_SRC_HTTP,
	};

	memset(dc, 0, sizeof(*dc));
	snprintf(dc->name, sizeof(dc->name), "%s", conf->cloud.name);
	dc->server_family = conf->cloud.server.family == 6 ? AF_INET6 : AF_INET;
	dc->server = conf->cloud.server.addr;
	dc->server6 = conf->cloud.server.addr6;
	snprintf(dc->server_name, sizeof(dc->server_name), "%s",
	    conf->cloud.server.host);
	dc->port = conf->cloud.server.port;
	snprintf(
	    dc->tsig_name, sizeof(dc->tsig_name), "%s", conf->cloud.tsig_name);
	snprintf(dc->tsig_secret_file, sizeof(dc->tsig_secret_file), "%s",
	    conf->cloud.tsig_secret_file);
	dc->source = src[conf->cloud.public_address.mode];
	dc->static_addr = conf->cloud.public_address.addr;
	snprintf(
	    dc->url, sizeof(dc->url), "%s", conf->cloud.public_address.url);
	snprintf(
	    dc->check_url, sizeof(dc->check_url), "%s", conf->cloud.check_url);
	dc->allow_private = conf->cloud.allow_private;
	dc->refresh_ms = conf->cloud.refresh_ms;
	dc->ttl = conf->cloud.ttl;
}

struct dyndns *
cloud_open(
    struct event_base *base, const struct conf *conf, char *err, size_t errlen)
{
	struct dyndns_conf dc;

	err[0] = '\0';
	if (!conf->cloud.enabled)
		return NULL;
	conf_from(conf, &dc);
	return dyndns_new(base, &dc, err, errlen);
}

struct dyndns *
cloud_reload(struct dyndns *d, struct event_base *base, const struct conf *old,
    const struct conf *conf, int holding)
{
	static struct conf_diff diff; /* large: off the stack, one loop */
	struct dyndns *next;
	char err[256];
	size_t i;

	conf_diff(old, conf, &diff);
	for (i = 0; i < diff.n; i++)
		if (strcmp(diff.change[i].section, "cloud") == 0)
			break;
	if (i == diff.n)
		return d;
	next = cloud_open(base, conf, err, sizeof(err));
	if (next == NULL && err[0] != '\0') {
		log_warnx("reload: %s; keeping the old [cloud] settings", err);
		return d;
	}
	/* The caller sets the router seam again (cloud.h). */
	dyndns_free(d);
	if (next != NULL)
		dyndns_set_holder(next, holding != 0);
	return next;
}

void
cloud_status(const struct dyndns *d, struct status *out)
{
	struct dyndns_status st;

	if (d == NULL)
		return;
	dyndns_get_status(d, &st);
	out->cloud.present = true;
#define COPY(f) snprintf(out->cloud.f, sizeof(out->cloud.f), "%s", st.f)
	COPY(public_address);
	COPY(source);
	COPY(last_update);
	COPY(status);
	COPY(last_error);
	COPY(reason);
#undef COPY
	out->cloud.reachable_known = st.reachable_known;
	out->cloud.reachable = st.reachable;
	out->cloud.updates = st.updates;
	out->cloud.errors = st.errors;
}
