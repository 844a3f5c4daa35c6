#include "config.h"

#include "src/events.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

static const char *const type_names[] = {
    [EVENTS_STATE] = "state",
    [EVENTS_MEMBER_UP] = "member_up",
    [EVENTS_MEMBER_DEAD] = "member_dead",
    [EVENTS_HOLDER] = "holder",
    [EVENTS_FAILOVER] = "failover",
};

#define N_TYPES (sizeof(type_names) / sizeof(type_names[0]))

const char *
events_type_name(enum events_type t)
{
	if ((size_t)t >= N_TYPES || type_names[t] == NULL)
		return "unknown";
	return type_names[t];
}

/* ---- JSON ---- */

static void
set(json_t *o, const char *key, json_t *v)
{
	if (v == NULL || json_object_set_new(o, key, v) == -1)
		abort();
}

/* A name or id, null when empty (no holder before the first). */
static json_t *
str_or_null(const char *s)
{
	return s[0] != '\0' ? json_string(s) : json_null();
}

/* Names come from the wire: json_string() refuses bytes that are not
 * UTF-8, so those go out as '?'. */
static json_t *
str(const char *s)
{
	char clean[STATUS_NAME_LEN];
	json_t *v = json_string(s);
	size_t i;

	if (v != NULL)
		return v;
	for (i = 0; i + 1 < sizeof(clean) && s[i] != '\0'; i++)
		clean[i] = (unsigned char)s[i] < 0x80 ? s[i] : '?';
	clean[i] = '\0';
	return json_string(clean);
}

static json_t *
name_or_null(const char *s)
{
	return s[0] != '\0' ? str(s) : json_null();
}

static void
fields_to_json(const struct events_event *ev, json_t *o)
{
	switch (ev->type) {
	case EVENTS_STATE:
		set(o, "old", str(ev->old));
		set(o, "state", str(ev->state));
		set(o, "reason", str(ev->reason));
		break;
	case EVENTS_MEMBER_UP:
	case EVENTS_MEMBER_DEAD:
		set(o, "member", name_or_null(ev->member));
		set(o, "id", str(ev->member_id));
		set(o, "address", str_or_null(ev->address));
		if (ev->type == EVENTS_MEMBER_DEAD)
			set(o, "last_seen_ms",
			    json_integer((json_int_t)ev->last_seen_ms));
		break;
	case EVENTS_HOLDER:
	case EVENTS_FAILOVER:
		set(o, "from", name_or_null(ev->from));
		set(o, "from_id", str_or_null(ev->from_id));
		set(o, "to", name_or_null(ev->to));
		set(o, "to_id", str_or_null(ev->to_id));
		set(o, "cause", str(ev->cause));
		set(o, "duration_ms",
		    json_integer((json_int_t)ev->duration_ms));
		break;
	}
}

char *
events_to_json(const struct events_event *ev)
{
	json_t *o = json_object();
	char *s;

	if (o == NULL)
		abort();
	set(o, "type", json_string(events_type_name(ev->type)));
	set(o, "at_ms", json_integer((json_int_t)ev->at_ms));
	set(o, "node", str(ev->node));
	fields_to_json(ev, o);
	s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	if (s == NULL)
		abort();
	return s;
}

/* A reader that stops at the first error (its reason kept). */
struct rd {
	const json_t *obj;
	char *err;
	size_t errlen;
	bool failed;
};

static void
rd_fail(struct rd *rd, const char *key, const char *what)
{
	if (!rd->failed)
		snprintf(rd->err, rd->errlen, "event: %s: %s", key, what);
	rd->failed = true;
}

/* A string into dst (size bytes); null reads as "" where may_null. */
static void
rd_str(struct rd *rd, const char *key, bool may_null, char *dst, size_t size)
{
	const json_t *v = json_object_get(rd->obj, key);

	if (v == NULL) {
		rd_fail(rd, key, "missing");
		return;
	}
	if (may_null && json_is_null(v)) {
		dst[0] = '\0';
		return;
	}
	if (!json_is_string(v) || json_string_length(v) >= size ||
	    strlen(json_string_value(v)) != json_string_length(v)) {
		rd_fail(rd, key, "expected a string");
		return;
	}
	memcpy(dst, json_string_value(v), json_string_length(v) + 1);
}

static void
rd_num(struct rd *rd, const char *key, uint64_t *dst)
{
	const json_t *v = json_object_get(rd->obj, key);

	if (v == NULL || !json_is_integer(v) || json_integer_value(v) < 0) {
		rd_fail(rd, key, "expected a number of 0 or more");
		return;
	}
	*dst = (uint64_t)json_integer_value(v);
}

static void
fields_from_json(struct rd *rd, struct events_event *ev)
{
	switch (ev->type) {
	case EVENTS_STATE:
		rd_str(rd, "old", false, ev->old, sizeof(ev->old));
		rd_str(rd, "state", false, ev->state, sizeof(ev->state));
		rd_str(rd, "reason", false, ev->reason, sizeof(ev->reason));
		break;
	case EVENTS_MEMBER_UP:
	case EVENTS_MEMBER_DEAD:
		rd_str(rd, "member", true, ev->member, sizeof(ev->member));
		rd_str(rd, "id", false, ev->member_id, sizeof(ev->member_id));
		rd_str(rd, "address", true, ev->address, sizeof(ev->address));
		if (ev->type == EVENTS_MEMBER_DEAD)
			rd_num(rd, "last_seen_ms", &ev->last_seen_ms);
		break;
	case EVENTS_HOLDER:
	case EVENTS_FAILOVER:
		rd_str(rd, "from", true, ev->from, sizeof(ev->from));
		rd_str(rd, "from_id", true, ev->from_id, sizeof(ev->from_id));
		rd_str(rd, "to", true, ev->to, sizeof(ev->to));
		rd_str(rd, "to_id", true, ev->to_id, sizeof(ev->to_id));
		rd_str(rd, "cause", false, ev->cause, sizeof(ev->cause));
		rd_num(rd, "duration_ms", &ev->duration_ms);
		break;
	}
}

int
events_from_json(const char *line, size_t len, struct events_event *out,
    char *err, size_t errlen)
{
	struct rd rd = {NULL, err, errlen, false};
	char type[16];
	json_error_t jerr;
	json_t *obj;
	size_t i;

	memset(out, 0, sizeof(*out));
	obj = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
	if (obj == NULL) {
		/* jansson quotes the bytes near the error, newlines too. */
		for (i = 0; i < sizeof(jerr.text) && jerr.text[i] != '\0'; i++)
			if (jerr.text[i] < 0x20 || jerr.text[i] == 0x7f)
				jerr.text[i] = '?';
		snprintf(err, errlen, "event: not JSON: %s", jerr.text);
		return -1;
	}
	rd.obj = obj;
	if (!json_is_object(obj)) {
		rd_fail(&rd, "line", "not a JSON object");
		goto out;
	}
	rd_str(&rd, "type", false, type, sizeof(type));
	for (i = 1; !rd.failed && i < N_TYPES; i++)
		if (strcmp(type, type_names[i]) == 0)
			out->type = (enum events_type)i;
	if (!rd.failed && out->type == 0)
		rd_fail(&rd, "type", "unknown");
	rd_num(&rd, "at_ms", &out->at_ms);
	rd_str(&rd, "node", false, out->node, sizeof(out->node));
	if (!rd.failed)
		fields_from_json(&rd, out);
out:
	json_decref(obj);
	return rd.failed ? -1 : 0;
}

/* ---- text ---- */

/* s with bytes that are not printable ASCII as '?', "-" when empty. */
static const char *
clean(const char *s, char *buf, size_t len)
{
	size_t i;

	if (s[0] == '\0')
		return "-";
	for (i = 0; i + 1 < len && s[i] != '\0'; i++)
		buf[i] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
	buf[i] = '\0';
	return buf;
}

/* "2026-12-06T00:31:02.123Z" */
static void
utc_text(uint64_t unix_ms, char *buf, size_t len)
{
	time_t t = (time_t)(unix_ms / 1000);
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm) == 0) {
		snprintf(buf, len, "%llu", (unsigned long long)unix_ms);
		return;
	}
	snprintf(buf + strlen(buf), len - strlen(buf), ".%03uZ",
	    (unsigned)(unix_ms % 1000));
}

void
events_to_text(const struct events_event *ev, char *buf, size_t len)
{
	char at[40], node[STATUS_NAME_LEN], a[STATUS_NAME_LEN];
	char b[STATUS_NAME_LEN], ip[STATUS_ADDR_LEN], why[STATUS_REASON_LEN];
	int n;

	utc_text(ev->at_ms, at, sizeof(at));
	n = snprintf(
	    buf, len, "%s %s: ", at, clean(ev->node, node, sizeof(node)));
	if (n < 0 || (size_t)n >= len)
		return;
	buf += n;
	len -= (size_t)n;
	switch (ev->type) {
	case EVENTS_STATE:
		snprintf(buf, len, "%s -> %s (%s)",
		    clean(ev->old, a, sizeof(a)),
		    clean(ev->state, b, sizeof(b)),
		    clean(ev->reason, why, sizeof(why)));
		break;
	case EVENTS_MEMBER_UP:
	case EVENTS_MEMBER_DEAD:
		snprintf(buf, len, "member %s (%s, %.8s) ",
		    clean(ev->member, a, sizeof(a)),
		    clean(ev->address, ip, sizeof(ip)),
		    clean(ev->member_id, b, sizeof(b)));
		n = (int)strlen(buf);
		if (ev->type == EVENTS_MEMBER_UP)
			snprintf(buf + n, len - (size_t)n, "up");
		else
			snprintf(buf + n, len - (size_t)n,
			    "dead: not heard for %llu ms",
			    (unsigned long long)ev->last_seen_ms);
		break;
	case EVENTS_HOLDER:
		snprintf(buf, len, "holder %s (%s)",
		    clean(ev->to, b, sizeof(b)),
		    clean(ev->cause, why, sizeof(why)));
		break;
	case EVENTS_FAILOVER:
		snprintf(buf, len, "failover %s -> %s (%s) in %llu ms",
		    clean(ev->from, a, sizeof(a)), clean(ev->to, b, sizeof(b)),
		    clean(ev->cause, why, sizeof(why)),
		    (unsigned long long)ev->duration_ms);
		break;
	default:
		snprintf(buf, len, "%s", events_type_name(ev->type));
		break;
	}
}
