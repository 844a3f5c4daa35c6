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
 *   {"cmd":"watch"}                  -> {"ok":true}, then one event per
 *                                       line (src/events.h) until closed
 *   {"cmd":"key","op":"rotate"[,"force":true]}
 *                                    -> {"ok":true} | {"error":"..."}
 * A malformed request gets {"error":"..."} and the connection stays
 * usable; a line over CTL_LINE_MAX bytes gets an error and is closed.
 */

#include <sys/types.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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
	CTL_CMD_WATCH,	/* the connection becomes a stream of events */
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
 * Who may do what (SO_PEERCRED, issue 14). A request that changes
 * anything (ctl_req_needs_write(): handover, reload, config set and
 * unset, and any command the table does not list) only from root, from
 * qured's own user or from a member of qured's group (the socket's);
 * one that only reads (status, members, config get and list) also from
 * a member of the status group, when there is one.
 */
#define CTL_PEER_GROUPS 64 /* supplementary groups looked at */
#define CTL_GROUP_NAME 33  /* for the reason: "qured", "gid 998" */

struct ctl_peer {
	uid_t uid; /* (uid_t)-1: unknown, refused everything */
	gid_t gid;
	gid_t groups[CTL_PEER_GROUPS]; /* SO_PEERGROUPS */
	size_t n_groups;
};

struct ctl_acl {
	uid_t self_uid;	 /* qured's user */
	gid_t admin_gid; /* qured's group: may change */
	char admin_group[CTL_GROUP_NAME];
	bool has_status_gid;
	gid_t status_gid; /* may read */
	char status_group[CTL_GROUP_NAME];
};

/* Does req change anything? Pure; the per-command table in ctl.c. */
bool ctl_req_needs_write(const struct ctl_req *req);

/*
 * May peer make req under acl? Pure. false with a one-line reason in err
 * naming the rule ("refused: handover changes the cluster: only root,
 * the user qured or the group qured may (uid 1000 is none)").
 */
bool ctl_access_ok(const struct ctl_acl *acl, const struct ctl_peer *peer,
    const struct ctl_req *req, char *err, size_t errlen);

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
 * Replaces the default acl (the daemon's euid and egid, no status
 * group). With a status group the socket file becomes mode 0666 (the
 * check above is then the gate), else it stays 0660. 0, or -1 with err.
 */
int ctl_set_acl(
    struct ctl *, const struct ctl_acl *acl, char *err, size_t errlen);

/*
 * Closes the socket and every client and removes the socket file (if it is
 * still ours). NULL does nothing. Safe from inside an ops callback: the
 * free then happens when the callback returns.
 */
void ctl_free(struct ctl *);

/*
 * Queues line (one JSON object, no newline) and a newline to every
 * watcher ({"cmd":"watch"}); never blocks. A watcher with 64 KiB of
 * lines unread is dropped (logged, counted). NULL ctl does nothing.
 */
void ctl_event(struct ctl *, const char *line);
/* Watchers dropped for not reading, since the start. */
uint64_t ctl_watchers_dropped(const struct ctl *);

#endif
