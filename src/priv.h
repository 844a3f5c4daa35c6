#ifndef QURE_PRIV_H
#define QURE_PRIV_H

/*
 * src/priv.h — least privilege (issue 14): the user qured runs as and
 * the three capabilities it keeps, CAP_NET_ADMIN (addresses, nftables,
 * the interface's sysctls), CAP_NET_RAW (ARP and ND on AF_PACKET,
 * SO_BINDTODEVICE) and CAP_NET_BIND_SERVICE (the DNS responder on 53).
 */

#include <sys/types.h>

#include <stdbool.h>
#include <stddef.h>

#define PRIV_NAME_MAX 32 /* a user or group name, bytes */

struct priv_user {
	uid_t uid;
	gid_t gid;
	char name[PRIV_NAME_MAX + 1];  /* the user's */
	char group[PRIV_NAME_MAX + 1]; /* the group's */
};

/*
 * "USER[:GROUP]" (qured -u) through the password and group databases;
 * no GROUP: USER's primary group. Returns 0, or -1 with err ("-u
 * qured: no such user").
 */
int priv_user_parse(
    const char *spec, struct priv_user *out, char *err, size_t errlen);

/* The user that uid is, with its primary group; -1 with err. */
int priv_user_of(uid_t uid, struct priv_user *out, char *err, size_t errlen);

enum priv_extra {
	PRIV_ONLY_NET = 0,
	/* also CAP_SETUID, CAP_SETGID and CAP_KILL: qured stays root and
	 * its hooks run as another user ([hooks] user), whom it must be
	 * able to become and to stop */
	PRIV_HOOK_SWITCH = 1,
};

/*
 * Early at start. to != NULL (qured -u): needs root; becomes to's uid
 * and gid, drops the supplementary groups, clears the bounding set and
 * keeps exactly the three capabilities (effective, permitted,
 * inheritable and ambient, so hooks and checks have them too, as under
 * systemd's AmbientCapabilities=). to NULL: stays who it is and drops
 * every capability but the three (and extra's, not passed on), the
 * bounding set too when it may (root), the three ambient; when there is
 * nothing to drop (systemd gave only those) no system call is made, so
 * a seccomp filter without capset is no obstacle. 0, or -1 with err.
 */
int priv_drop(const struct priv_user *to, enum priv_extra extra, char *err,
    size_t errlen);

#endif
