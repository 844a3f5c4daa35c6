#ifndef QURE_KEYROT_H
#define QURE_KEYROT_H

/*
 * src/keyrot.h — the cluster key and the next key of a running qured
 * ([cluster] key-file, next-key-file; issue 14, key rotation). Holds the
 * two election keys the core borrows (elect_conf.key, next_key) and
 * reads the files again on reload: a key file that now holds the next
 * key promotes it (the last step of a rotation); a next-key-file that
 * holds another key makes it the next one; an empty path drops it.
 * Only the election's wire uses these: what else qured derives from the
 * key (the DNS-SD fingerprint, [dmz] vmac = yes, the load-sharing seed,
 * the store's password) keeps the key read at start until a restart.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define KEYROT_ID_HEX 17 /* 16 hex digits and NUL */

struct elect;
struct elect_key;
struct keyrot;
struct status;

/*
 * From key (CONF_KEY_LEN bytes, borrowed: the caller cleanses it) and
 * next_path ("": no next key). NULL with a one-line reason in err if the
 * next key file cannot be read (conf_read_key()'s reasons) or holds the
 * key itself.
 */
struct keyrot *keyrot_new(
    const uint8_t *key, const char *next_path, char *err, size_t errlen);
void keyrot_free(struct keyrot *);

/* The keys the election core borrows; next may be NULL. Valid until the
 * keyrot_release() after the reload that replaced them. */
struct elect_key *keyrot_key(const struct keyrot *);
struct elect_key *keyrot_next(const struct keyrot *);
/* The key before a promotion, accepted until the next reload; or NULL. */
struct elect_key *keyrot_prev(const struct keyrot *);

/*
 * Reload: reads key_path and next_path ("": none) again. A key file
 * holding our next key promotes it (our key becomes the previous one,
 * still accepted until the next reload, which drops it); one
 * holding neither our key nor our next key changes nothing (a restart
 * applies it: every other member still speaks the old key). Each change
 * and refusal is one log line. Returns true if the keys changed: the
 * caller steps the core with them, then calls keyrot_release().
 */
bool keyrot_reload(
    struct keyrot *, const char *key_path, const char *next_path);
/* Frees the keys a reload replaced (the core no longer borrows them). */
void keyrot_release(struct keyrot *);

/* 16 hex digits of a key's id (elect_key_id()) into out. */
void keyrot_id_hex(struct elect_key *, char out[KEYROT_ID_HEX]);

/* status: the key object (doc/design.md §8.3) from core's view. */
void keyrot_status(const struct keyrot *, const struct elect *core,
    uint64_t now_ms, struct status *out);

/*
 * After a step, at most once a second: logs the switch to the next key,
 * and, once per set of names (from KEYROT_LOG_AFTER_MS after the next
 * key came, when the members had time to answer), the live members
 * that lack it while we send with the key: a half-rotated cluster.
 */
#define KEYROT_LOG_AFTER_MS 5000
void keyrot_watch(struct keyrot *, const struct elect *core, uint64_t now_ms);

/*
 * qurectl key rotate: after the core's ELECT_EV_KEY_ROTATE step with
 * result (enum elect_rotate_result): 0, or -1 with a one-line reason
 * (naming the members that lack the next key) in err.
 */
int keyrot_rotate_said(const struct elect *core, uint64_t now_ms, int result,
    char *err, size_t errlen);

#endif
