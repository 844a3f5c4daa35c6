/*
 * discovery/disc_txt.c — the TXT record of `_qure._udp` (RFC 6763 §6):
 * id=, cluster=, prio=, state=, ver=. Pure: bytes in, a struct out.
 * Anyone on the LAN may publish this service type, so every record is
 * hostile until parsed: bounded in length and strings, each value checked
 * for its type, and a record that fails is ignored whole (the caller
 * counts why).
 */
#include "config.h"

#include "discovery/disc_avahi.h"

#include <stdio.h>
#include <string.h>

enum key {
	K_ID,
	K_CLUSTER,
	K_PRIO,
	K_STATE,
	K_VER,
	K_N,
};

static const char *const key_name[K_N] = {
    "id", "cluster", "prio", "state", "ver"};

/* Per key: missing, then bad (enum disc_txt_err). */
static const enum disc_txt_err key_err[K_N][2] = {
    {DISC_TXT_NO_ID, DISC_TXT_BAD_ID},
    {DISC_TXT_NO_CLUSTER, DISC_TXT_BAD_CLUSTER},
    {DISC_TXT_NO_PRIO, DISC_TXT_BAD_PRIO},
    {DISC_TXT_NO_STATE, DISC_TXT_BAD_STATE},
    {DISC_TXT_NO_VER, DISC_TXT_BAD_VER},
};

/* One value as found: where, how long; has == false: not seen. */
struct found {
	const uint8_t *v;
	size_t len;
	bool has;
};

static int
hexval(uint8_t ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

static bool
parse_hex(const struct found *f, uint8_t *out, size_t n)
{
	size_t i;
	int hi, lo;

	if (f->len != 2 * n)
		return false;
	for (i = 0; i < n; i++) {
		hi = hexval(f->v[2 * i]);
		lo = hexval(f->v[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return false;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return true;
}

/* A decimal number in [min, max], no sign, no leading zeros but "0". */
static bool
parse_num(const struct found *f, unsigned min, unsigned max, unsigned *out)
{
	unsigned v = 0;
	size_t i;

	if (f->len == 0 || f->len > 3 || (f->len > 1 && f->v[0] == '0'))
		return false;
	for (i = 0; i < f->len; i++) {
		if (f->v[i] < '0' || f->v[i] > '9')
			return false;
		v = v * 10 + (unsigned)(f->v[i] - '0');
	}
	if (v < min || v > max)
		return false;
	*out = v;
	return true;
}

static bool
parse_cluster(const struct found *f, char *out)
{
	size_t i;

	if (f->len != DISC_TXT_CLUSTER_LEN)
		return false;
	for (i = 0; i < f->len; i++) {
		if (hexval(f->v[i]) < 0)
			return false;
		out[i] = (char)(f->v[i] >= 'A' && f->v[i] <= 'F'
				    ? f->v[i] - 'A' + 'a'
				    : f->v[i]);
	}
	out[i] = '\0';
	return true;
}

static bool
parse_state(const struct found *f, char *out)
{
	size_t i;

	if (f->len == 0 || f->len > DISC_TXT_STATE_MAX)
		return false;
	for (i = 0; i < f->len; i++) {
		if (f->v[i] < 'a' || f->v[i] > 'z')
			return false;
		out[i] = (char)f->v[i];
	}
	out[i] = '\0';
	return true;
}

/* The key of one string (up to '=' or its end), case-insensitively. */
static int
which_key(const uint8_t *s, size_t klen)
{
	size_t k, i;

	for (k = 0; k < K_N; k++) {
		if (strlen(key_name[k]) != klen)
			continue;
		for (i = 0; i < klen; i++)
			if ((s[i] | 0x20) != (uint8_t)key_name[k][i])
				break;
		if (i == klen)
			return (int)k;
	}
	return -1;
}

/* Splits rdata into strings; notes the first of each known key. */
static enum disc_txt_err
scan(const uint8_t *data, size_t len, struct found f[K_N])
{
	size_t off = 0, n = 0, slen, klen;
	const uint8_t *s, *eq;
	int k;

	if (len > DISC_TXT_RDATA_MAX)
		return DISC_TXT_TOO_LONG;
	while (off < len) {
		if (++n > DISC_TXT_ITEMS_MAX)
			return DISC_TXT_TOO_MANY;
		slen = data[off++];
		if (slen > len - off)
			return DISC_TXT_MALFORMED;
		s = data + off;
		off += slen;
		/* RFC 6763 §6.4: no key before '=' (or empty): ignored. */
		eq = slen > 0 ? memchr(s, '=', slen) : NULL;
		klen = eq != NULL ? (size_t)(eq - s) : slen;
		if (klen == 0 || (k = which_key(s, klen)) < 0 || f[k].has)
			continue;
		/* A key without '=' has no value: bad for every key here. */
		f[k].has = true;
		f[k].v = eq != NULL ? eq + 1 : NULL;
		f[k].len = eq != NULL ? slen - klen - 1 : 0;
	}
	return DISC_TXT_OK;
}

static bool
parse_value(int k, const struct found *f, struct disc_txt *out)
{
	unsigned v;

	if (f->v == NULL)
		return false;
	switch (k) {
	case K_ID:
		return parse_hex(f, out->id, sizeof(out->id));
	case K_CLUSTER:
		return parse_cluster(f, out->cluster);
	case K_PRIO:
		if (!parse_num(f, 0, 254, &v))
			return false;
		out->prio = (uint8_t)v;
		return true;
	case K_STATE:
		return parse_state(f, out->state);
	case K_VER:
		if (!parse_num(f, 1, 255, &v))
			return false;
		out->ver = (uint8_t)v;
		return true;
	}
	return false;
}

enum disc_txt_err
disc_txt_parse(const uint8_t *data, size_t len, struct disc_txt *out)
{
	struct found f[K_N];
	enum disc_txt_err err;
	int k;

	memset(f, 0, sizeof(f));
	memset(out, 0, sizeof(*out));
	if (data == NULL && len > 0)
		return DISC_TXT_MALFORMED;
	if ((err = scan(data, len, f)) != DISC_TXT_OK)
		return err;
	for (k = 0; k < K_N; k++) {
		if (!f[k].has)
			return key_err[k][0];
		if (!parse_value(k, &f[k], out))
			return key_err[k][1];
	}
	return DISC_TXT_OK;
}

/* Appends one "key=value" string; false if it does not fit. */
static bool
put(uint8_t *buf, size_t len, size_t *off, const char *item)
{
	size_t n = strlen(item);

	if (n > 255 || n + 1 > len - *off)
		return false;
	buf[(*off)++] = (uint8_t)n;
	memcpy(buf + *off, item, n);
	*off += n;
	return true;
}

size_t
disc_txt_encode(const struct disc_txt *txt, uint8_t *buf, size_t len)
{
	char item[K_N][64];
	struct disc_txt back;
	size_t off = 0, i;
	int k;

	snprintf(item[K_ID], sizeof(item[K_ID]), "id=");
	for (i = 0; i < sizeof(txt->id); i++)
		snprintf(item[K_ID] + 3 + 2 * i, 3, "%02x", txt->id[i]);
	snprintf(item[K_CLUSTER], sizeof(item[K_CLUSTER]), "cluster=%.*s",
	    DISC_TXT_CLUSTER_LEN, txt->cluster);
	snprintf(item[K_PRIO], sizeof(item[K_PRIO]), "prio=%u", txt->prio);
	snprintf(item[K_STATE], sizeof(item[K_STATE]), "state=%.*s",
	    DISC_TXT_STATE_MAX, txt->state);
	snprintf(item[K_VER], sizeof(item[K_VER]), "ver=%u", txt->ver);
	for (k = 0; k < K_N; k++)
		if (!put(buf, len, &off, item[k]))
			return 0;
	/* What we publish, others must accept: the parser is the rule. */
	if (disc_txt_parse(buf, off, &back) != DISC_TXT_OK ||
	    memcmp(back.id, txt->id, sizeof(back.id)) != 0 ||
	    strncmp(back.cluster, txt->cluster, sizeof(back.cluster)) != 0 ||
	    back.prio != txt->prio ||
	    strncmp(back.state, txt->state, sizeof(back.state)) != 0 ||
	    back.ver != txt->ver)
		return 0;
	return off;
}

const char *
disc_txt_err_name(enum disc_txt_err e)
{
	static const char *const names[DISC_TXT_NERR] = {
	    [DISC_TXT_OK] = "ok",
	    [DISC_TXT_TOO_LONG] = "too-long",
	    [DISC_TXT_TOO_MANY] = "too-many-strings",
	    [DISC_TXT_MALFORMED] = "malformed",
	    [DISC_TXT_NO_ID] = "no-id",
	    [DISC_TXT_BAD_ID] = "bad-id",
	    [DISC_TXT_NO_CLUSTER] = "no-cluster",
	    [DISC_TXT_BAD_CLUSTER] = "bad-cluster",
	    [DISC_TXT_NO_PRIO] = "no-prio",
	    [DISC_TXT_BAD_PRIO] = "bad-prio",
	    [DISC_TXT_NO_STATE] = "no-state",
	    [DISC_TXT_BAD_STATE] = "bad-state",
	    [DISC_TXT_NO_VER] = "no-ver",
	    [DISC_TXT_BAD_VER] = "bad-ver",
	};

	if ((unsigned)e >= DISC_TXT_NERR)
		return "unknown";
	return names[e];
}
