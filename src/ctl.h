#ifndef QURE_CTL_H
#define QURE_CTL_H

/*
 * src/ctl.h — the control socket of qured (doc/design.md §8.1).
 *
 * A UNIX stream socket; one JSON object per line in, one JSON line out:
 *   {"cmd":"status"}                 -> the status object (src/status.h)
 *   {"cmd":"members"}                -> {"ok":true,"members":[...]}
 *   {"cmd":"handover"[,"name":"h2"]} -> {"ok":true} | {"error":"..."}
 *   {"cmd":"reload"}                 -> {"ok":true} | {"error":"..."}
 *   {"cmd":"key","op":"rotate"[,"force":true]}
 *                                    -> {"ok":true} | {"error":"..."}
 * A malformed request gets {"error":"..."} and the connection stays
 * usable; a line over CTL_LINE_MAX bytes gets an error and is closed.
 */

#include <stdbool.h>
#include <stddef.h>

#include "src/status.h"
#include "store/settings.h"

struct event_base;

#define CTL_LINE_MAX 4096  /* request bytes without the newline */
#define CTL_MAX_CLIENTS 16 /* more are told "too many clients" */
#define CTL_NAME_MAX 63	   /* handover target, ELECT_NAME_MAX */

enum ctl_cmd {
	CTL_CMD_STATUS = 1,
	CTL_CMD_MEMBERS,
	CTL_CMD_HANDOVER,
	CTL_CMD_RELOAD,
	CTL_CMD_CONFIG, /* the site settings: op set|get|unset|list */
	CTL_CMD_KEY,	/* key rotation: op rotate [force] (issue 14) */
};

enum ctl_config_op {
	CTL_CONFIG_LIST = 0,
	CTL_CONFIG_GET,
	CTL_CONFIG_SET,
	CTL_CONFIG_UNSET,
};

struct ctl_req {
	enum ctl_cmd cmd;
	bool has_name; /* handover: false means "the best standby" */
	char name[CTL_NAME_MAX + 1];
	/* config: op, key (get, set, unset), value (set) */
	enum ctl_config_op op;
	char key[SETTINGS_KEY_MAX + 1];
	char value[SETTINGS_VALUE_MAX + 1];
	bool force; /* key rotate: even while members lack the next key */
};

/*
 * Parses one request line (len bytes, no newline needed, need not be NUL
 * terminated). Pure. Returns 0, or -1 with a one-line reason in err
 * ("not JSON: ...", "unknown cmd \"x\"", "name: expected a string", ...).
 */
int ctl_req_parse(const char *line, size_t len, struct ctl_req *out, char *err,
    size_t errlen);

/*
 * What the daemon does for a request: called from the event loop, once
 * per request, synchronously (the reply follows their return). They may
 * call ctl_free() (a reload that moves the socket): see ctl_free().
 */
struct ctl_ops {
	/* Fills out (zeroed by the caller) with a snapshot. */
	void (*status)(void *arg, struct status *out);
	/* Hands the address over to name (NULL: the best standby). 0 / -1
	 * with a one-line reason in err. NULL op: "not supported". */
	int (*handover)(void *arg, const char *name, char *err, size_t errlen);
	/* Reloads the config (SIGHUP's work). 0 / -1 with err. */
	int (*reload)(void *arg, char *err, size_t errlen);
	/* config set (value) or unset (value NULL): 0 / -1 with err. */
	int (*config_set)(void *arg, const char *key, const char *value,
	    char *err, size_t errlen);
	/* config get, list: the site settings (NULL: "not supported"). */
	const struct settings *(*config_settings)(void *arg);
	/* config get, list: "site", "file" (the local file's value wins)
	 * or "app" (may be NULL: "site"). */
	const char *(*config_source)(void *arg, const char *key);
	/* key rotate: send with the next key now (force: even while live
	 * members lack it). 0 / -1 with a one-line reason in err (NULL
	 * op: "not supported"). */
	int (*key_rotate)(void *arg, bool force, char *err, size_t errlen);
};

struct ctl;

/*
 * Listens on path: creates its directory (0755) if missing, the socket
 * with mode 0660, replacing a stale socket file that nobody answers on;
 * refuses one that a live process (another qured) answers on, and any
 * path that is not a socket. ops and arg are kept (they must outlive the
 * ctl); base is borrowed. Sets SIGPIPE to ignored if it is at its default
 * (a client that leaves before its reply must not kill the daemon).
 * Returns NULL with a one-line reason in err, e.g. "control socket
 * /run/qured/qured.sock is in use (is another qured running?)".
 */
struct ctl *ctl_new(struct event_base *base, const char *path,
    const struct ctl_ops *ops, void *arg, char *err, size_t errlen);

/*
 * Closes the socket and every client and removes the socket file (if it is
 * still ours). NULL does nothing. Safe from inside an ops callback: the
 * free then happens when the callback returns.
 */
void ctl_free(struct ctl *);

#endif
