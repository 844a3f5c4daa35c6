/*
 * src/keyrot.c — the cluster key and the next key of a running qured
 * (src/keyrot.h). The files are read with conf_read_key(): the same
 * mode and owner rules as the key file.
 */
#include "config.h"

#include "src/keyrot.h"

#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "base/log.h"
#include "base/xmalloc.h"
#include "election/election.h"
#include "src/conf.h"
#include "src/status.h"

#define KEYROT_RETIRED 4

struct keyrot {
	/* prev: the key before a promotion, accepted until the next
	 * reload (elect_conf.prev_key) */
	struct elect_key *key, *next, *prev;
	uint8_t key_id[ELECT_KEY_ID_LEN], next_id[ELECT_KEY_ID_LEN];
	/* Replaced by a reload, still borrowed by the core until the
	 * step with the new ones (keyrot_release()). */
	struct elect_key *retired[KEYROT_RETIRED];
	size_t n_retired;
	/* keyrot_watch(): when the next key came (0: at the first watch),
	 * the last look, what was said last. */
	uint64_t next_since_ms;
	uint64_t watched_ms;
	bool said_sending;
	char said_lacking[512];
};

/* A key from path, with its id; NULL with err. */
static struct elect_key *
read_key(
    const char *path, uint8_t id[ELECT_KEY_ID_LEN], char *err, size_t errlen)
{
	uint8_t raw[CONF_KEY_LEN];
	struct elect_key *k;

	if (conf_read_key(path, raw, err, errlen) == -1)
		return NULL;
	k = elect_key_new(raw);
	OPENSSL_cleanse(raw, sizeof(raw));
	if (k == NULL) {
		snprintf(err, errlen, "%s: out of memory for the key", path);
		return NULL;
	}
	elect_key_id(k, id);
	return k;
}

struct keyrot *
keyrot_new(const uint8_t *key, const char *next_path, char *err, size_t errlen)
{
	struct keyrot *r = xcalloc(1, sizeof(*r));

	r->key = elect_key_new(key);
	if (r->key == NULL) {
		snprintf(err, errlen, "cluster: out of resources for the key");
		goto fail;
	}
	elect_key_id(r->key, r->key_id);
	if (next_path[0] == '\0')
		return r;
	r->next = read_key(next_path, r->next_id, err, errlen);
	if (r->next == NULL)
		goto fail;
	if (memcmp(r->next_id, r->key_id, ELECT_KEY_ID_LEN) == 0) {
		snprintf(err, errlen,
		    "%s: holds the cluster key itself, expected a new key "
		    "from `qurectl keygen` (or no next-key-file)",
		    next_path);
		goto fail;
	}
	return r;
fail:
	keyrot_free(r);
	return NULL;
}

void
keyrot_release(struct keyrot *r)
{
	size_t i;

	for (i = 0; i < r->n_retired; i++)
		elect_key_free(r->retired[i]);
	r->n_retired = 0;
}

void
keyrot_free(struct keyrot *r)
{
	if (r == NULL)
		return;
	keyrot_release(r);
	elect_key_free(r->key);
	elect_key_free(r->next);
	elect_key_free(r->prev);
	free(r);
}

struct elect_key *
keyrot_key(const struct keyrot *r)
{
	return r->key;
}

struct elect_key *
keyrot_next(const struct keyrot *r)
{
	return r->next;
}

struct elect_key *
keyrot_prev(const struct keyrot *r)
{
	return r->prev;
}

void
keyrot_id_hex(struct elect_key *k, char out[KEYROT_ID_HEX])
{
	uint8_t id[ELECT_KEY_ID_LEN];
	size_t i;

	elect_key_id(k, id);
	for (i = 0; i < ELECT_KEY_ID_LEN; i++)
		snprintf(out + 2 * i, 3, "%02x", id[i]);
}

static void
retire(struct keyrot *r, struct elect_key *k)
{
	if (k == NULL)
		return;
	/* Reloads between two steps cannot outnumber the slots: every
	 * reload steps the core, then releases. */
	if (r->n_retired == KEYROT_RETIRED) {
		/* Reloads whose step failed (never released): kept, not
		 * freed, as the core may still borrow it. */
		log_warnx("keyrot: a replaced key is kept until restart");
		return;
	}
	r->retired[r->n_retired++] = k;
}

/* The key file: ours (nothing), our next (promoted), or another. */
static bool
reload_key(struct keyrot *r, const char *path)
{
	uint8_t id[ELECT_KEY_ID_LEN];
	char err[512], hex[KEYROT_ID_HEX];
	struct elect_key *k = read_key(path, id, err, sizeof(err));
	bool changed = false;

	if (k == NULL) {
		log_warnx("reload: %s; keeping the running key", err);
		return false;
	}
	if (memcmp(id, r->key_id, ELECT_KEY_ID_LEN) == 0) {
		/* The running key: a previous one is no longer accepted. */
		if (r->prev != NULL) {
			keyrot_id_hex(r->prev, hex);
			log_info("key: the previous key %s is no longer "
				 "accepted",
			    hex);
			retire(r, r->prev);
			r->prev = NULL;
			changed = true;
		}
	} else if (r->next != NULL &&
		   memcmp(id, r->next_id, ELECT_KEY_ID_LEN) == 0) {
		keyrot_id_hex(r->next, hex);
		log_info("key: %s holds the next key %s: it is the key now",
		    path, hex);
		/* Still heard until the next reload: members not promoted
		 * yet, or restarted with it as their key. */
		retire(r, r->prev);
		r->prev = r->key;
		r->key = r->next;
		memcpy(r->key_id, r->next_id, ELECT_KEY_ID_LEN);
		r->next = NULL;
		memset(r->next_id, 0, sizeof(r->next_id));
		changed = true;
	} else {
		log_warnx("reload: %s holds a key that is neither the "
			  "running key nor the next key; keeping the running "
			  "key (rotate through [cluster] next-key-file, or "
			  "restart qured to use it)",
		    path);
	}
	elect_key_free(k);
	return changed;
}

/* The next key file: none, the key (after a promotion), ours, another. */
static bool
reload_next(struct keyrot *r, const char *path)
{
	uint8_t id[ELECT_KEY_ID_LEN];
	char err[512], hex[KEYROT_ID_HEX];
	struct elect_key *k;

	if (path[0] == '\0') {
		if (r->next == NULL)
			return false;
		log_info("key: no next-key-file: the next key is dropped");
		retire(r, r->next);
		r->next = NULL;
		memset(r->next_id, 0, sizeof(r->next_id));
		return true;
	}
	k = read_key(path, id, err, sizeof(err));
	if (k == NULL) {
		log_warnx("reload: [cluster] next-key-file: %s; keeping %s",
		    err,
		    r->next != NULL ? "the running next key" : "no next key");
		return false;
	}
	if (memcmp(id, r->key_id, ELECT_KEY_ID_LEN) == 0 ||
	    (r->next != NULL &&
		memcmp(id, r->next_id, ELECT_KEY_ID_LEN) == 0)) {
		/* the key itself (left after a promotion), or no change */
		elect_key_free(k);
		return false;
	}
	keyrot_id_hex(k, hex);
	log_info("key: next key %s from %s: accepted beside the key, sent "
		 "with once every member holds it",
	    hex, path);
	retire(r, r->next);
	r->next = k;
	memcpy(r->next_id, id, ELECT_KEY_ID_LEN);
	r->next_since_ms = 0;
	r->said_lacking[0] = '\0';
	r->said_sending = false;
	return true;
}

bool
keyrot_reload(struct keyrot *r, const char *key_path, const char *next_path)
{
	bool changed = reload_key(r, key_path);

	return reload_next(r, next_path) || changed;
}

/* Names of the live members lacking the next key, ", "-joined into
 * buf (and each into out, if not NULL); how many. */
static size_t
lacking_names(const struct elect *core, uint64_t now_ms, char *buf, size_t len,
    struct status *out)
{
	static struct elect_member_info m[ELECT_MAX_MEMBERS];
	size_t i, n, k = 0, off = 0;
	char id[33];
	const char *name;

	buf[0] = '\0';
	n = elect_get_members(core, now_ms, m, ELECT_MAX_MEMBERS);
	for (i = 0; i < n; i++) {
		if (m[i].has_next_key)
			continue;
		name = m[i].name[0] != '\0' ? m[i].name
					    : elect_id_hex(&m[i].id, id);
		if (out != NULL && k < STATUS_MAX_MEMBERS)
			snprintf(out->key.without_next[k], STATUS_NAME_LEN,
			    "%s", name);
		if (off < len) {
			int w = snprintf(buf + off, len - off, "%s%s",
			    k > 0 ? ", " : "", name);

			off += w > 0 ? (size_t)w : 0;
		}
		k++;
	}
	if (out != NULL)
		out->key.n_without_next =
		    k < STATUS_MAX_MEMBERS ? k : STATUS_MAX_MEMBERS;
	return k;
}

void
keyrot_status(const struct keyrot *r, const struct elect *core, uint64_t now_ms,
    struct status *out)
{
	struct elect_key_info ki;
	char names[512];
	size_t i;

	elect_get_key(core, now_ms, &ki);
	out->key.present = true;
	for (i = 0; i < ELECT_KEY_ID_LEN; i++)
		snprintf(out->key.current + 2 * i, 3, "%02x", ki.cur[i]);
	out->key.next[0] = '\0';
	if (ki.has_next)
		for (i = 0; i < ELECT_KEY_ID_LEN; i++)
			snprintf(out->key.next + 2 * i, 3, "%02x", ki.next[i]);
	out->key.previous[0] = '\0';
	if (r->prev != NULL)
		keyrot_id_hex(r->prev, out->key.previous);
	out->key.sending_next = ki.sending_next;
	out->key.forced = ki.forced;
	out->key.n_without_next = 0;
	if (r->next != NULL)
		(void)lacking_names(core, now_ms, names, sizeof(names), out);
}

void
keyrot_watch(struct keyrot *r, const struct elect *core, uint64_t now_ms)
{
	struct elect_key_info ki;
	char names[512], hex[KEYROT_ID_HEX];

	if (r->next == NULL || now_ms < r->watched_ms + 1000)
		return;
	r->watched_ms = now_ms;
	if (r->next_since_ms == 0)
		r->next_since_ms = now_ms;
	elect_get_key(core, now_ms, &ki);
	keyrot_id_hex(r->next, hex);
	if (ki.sending_next != r->said_sending) {
		r->said_sending = ki.sending_next;
		if (ki.sending_next)
			log_info("key: sending with the next key %s%s", hex,
			    ki.forced ? " (rotated by an operator)"
				      : ": every member holds it");
		else
			log_info("key: sending with the key again: a member "
				 "lacks the next key %s",
			    hex);
	}
	if (ki.sending_next || now_ms < r->next_since_ms + KEYROT_LOG_AFTER_MS)
		return;
	if (lacking_names(core, now_ms, names, sizeof(names), NULL) == 0 ||
	    strcmp(names, r->said_lacking) == 0)
		return;
	snprintf(r->said_lacking, sizeof(r->said_lacking), "%s", names);
	log_warnx("key: the next key %s is not held by %s: sending with the "
		  "key until it is (give it to them in next-key-file and "
		  "reload them, or qurectl key rotate --force)",
	    hex, names);
}

int
keyrot_rotate_said(const struct elect *core, uint64_t now_ms, int result,
    char *err, size_t errlen)
{
	char names[512];

	switch ((enum elect_rotate_result)result) {
	case ELECT_ROTATE_DONE:
		return 0;
	case ELECT_ROTATE_NO_NEXT:
		snprintf(err, errlen,
		    "no next key: set [cluster] next-key-file "
		    "and reload first");
		return -1;
	case ELECT_ROTATE_LACKING:
		(void)lacking_names(core, now_ms, names, sizeof(names), NULL);
		snprintf(err, errlen,
		    "%s lack%s the next key: give it to them "
		    "and reload them, or use --force (they will drop what "
		    "we send)",
		    names, strchr(names, ',') != NULL ? "" : "s");
		return -1;
	}
	snprintf(err, errlen, "failed");
	return -1;
}
