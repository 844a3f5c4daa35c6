/*
 * src/priv.c — the user qured runs as and its three capabilities
 * (src/priv.h), through libcap-ng.
 */
#include "config.h"

#include "src/priv.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cap-ng.h>

static const unsigned net_caps[] = {
    CAP_NET_ADMIN, CAP_NET_RAW, CAP_NET_BIND_SERVICE};
static const unsigned hook_caps[] = {CAP_SETUID, CAP_SETGID, CAP_KILL};

#define NCAPS(a) (sizeof(a) / sizeof((a)[0]))

static int
copy_name(
    char *dst, const char *src, const char *what, char *err, size_t errlen)
{
	if (strlen(src) > PRIV_NAME_MAX) {
		snprintf(err, errlen, "%s %.40s...: name too long", what, src);
		return -1;
	}
	snprintf(dst, PRIV_NAME_MAX + 1, "%s", src);
	return 0;
}

int
priv_user_parse(
    const char *spec, struct priv_user *out, char *err, size_t errlen)
{
	char user[PRIV_NAME_MAX + 1];
	const char *colon = strchr(spec, ':');
	size_t ulen = colon != NULL ? (size_t)(colon - spec) : strlen(spec);
	struct passwd *pw;
	struct group *gr;

	memset(out, 0, sizeof(*out));
	if (ulen == 0 || ulen > PRIV_NAME_MAX ||
	    (colon != NULL && colon[1] == '\0')) {
		snprintf(err, errlen,
		    "-u %.64s: expected USER or USER:GROUP (names of at "
		    "most %d bytes)",
		    spec, PRIV_NAME_MAX);
		return -1;
	}
	memcpy(user, spec, ulen);
	user[ulen] = '\0';
	errno = 0;
	if ((pw = getpwnam(user)) == NULL) {
		snprintf(err, errlen, "-u %s: no such user%s%s", user,
		    errno != 0 ? ": " : "", errno != 0 ? strerror(errno) : "");
		return -1;
	}
	out->uid = pw->pw_uid;
	out->gid = pw->pw_gid;
	if (copy_name(out->name, user, "-u", err, errlen) == -1)
		return -1;
	if (colon == NULL) {
		gr = getgrgid(out->gid);
		snprintf(out->group, sizeof(out->group), "%.*s", PRIV_NAME_MAX,
		    gr != NULL ? gr->gr_name : "?");
		return 0;
	}
	if ((gr = getgrnam(colon + 1)) == NULL) {
		snprintf(err, errlen, "-u %.64s: no such group %.40s", spec,
		    colon + 1);
		return -1;
	}
	out->gid = gr->gr_gid;
	return copy_name(out->group, colon + 1, "-u", err, errlen);
}

int
priv_user_of(uid_t uid, struct priv_user *out, char *err, size_t errlen)
{
	struct passwd *pw = getpwuid(uid);
	struct group *gr;

	memset(out, 0, sizeof(*out));
	if (pw == NULL) {
		snprintf(err, errlen, "uid %u: not in the password database",
		    (unsigned)uid);
		return -1;
	}
	out->uid = uid;
	out->gid = pw->pw_gid;
	snprintf(
	    out->name, sizeof(out->name), "%.*s", PRIV_NAME_MAX, pw->pw_name);
	gr = getgrgid(out->gid);
	snprintf(out->group, sizeof(out->group), "%.*s", PRIV_NAME_MAX,
	    gr != NULL ? gr->gr_name : "?");
	return 0;
}

static bool
wanted(unsigned cap, enum priv_extra extra)
{
	size_t i;

	for (i = 0; i < NCAPS(net_caps); i++)
		if (cap == net_caps[i])
			return true;
	for (i = 0; extra == PRIV_HOOK_SWITCH && i < NCAPS(hook_caps); i++)
		if (cap == hook_caps[i])
			return true;
	return false;
}

/* Holds a capability (permitted) that it is not to keep? */
static bool
anything_to_drop(enum priv_extra extra)
{
	unsigned cap;

	for (cap = 0; cap <= CAP_LAST_CAP; cap++)
		if (!wanted(cap, extra) &&
		    capng_have_capability(CAPNG_PERMITTED, cap) == 1)
			return true;
	return false;
}

/* The state to apply: the three (and extra's) in the sets of type. */
static int
want_caps(capng_type_t type, enum priv_extra extra)
{
	size_t i;

	for (i = 0; i < NCAPS(net_caps); i++)
		if (capng_update(CAPNG_ADD, type, net_caps[i]) == -1)
			return -1;
	for (i = 0; extra == PRIV_HOOK_SWITCH && i < NCAPS(hook_caps); i++)
		if (capng_update(CAPNG_ADD, CAPNG_EFFECTIVE | CAPNG_PERMITTED,
			hook_caps[i]) == -1)
			return -1;
	return 0;
}

/*
 * The bounding set goes too, and the three become ambient: a root
 * qured's programs (hooks, checks, the site cache's redis-servers) then
 * start with those three instead of every capability. That also keeps
 * their PR_SET_PDEATHSIG (src/child.h): the kernel clears it on an exec
 * that gains capabilities, and an orphaned redis-server would hold the
 * next qured's ports. Inheritable before the bounding set (the kernel
 * wants them in both), CAP_SETPCAP to clear it, then without.
 */
static int
drop_here(enum priv_extra extra, char *err, size_t errlen)
{
	bool can_bound;

	if (capng_get_caps_process() == -1) {
		snprintf(err, errlen, "capabilities: cannot read them: %s",
		    strerror(errno));
		return -1;
	}
	if (!anything_to_drop(extra))
		return 0;
	can_bound = capng_have_capability(CAPNG_EFFECTIVE, CAP_SETPCAP) == 1;
	capng_clear(CAPNG_SELECT_ALL);
	if (want_caps(CAPNG_EFFECTIVE | CAPNG_PERMITTED | CAPNG_INHERITABLE,
		extra) == -1 ||
	    want_caps(CAPNG_AMBIENT, PRIV_ONLY_NET) == -1 ||
	    (can_bound &&
		capng_update(CAPNG_ADD, CAPNG_EFFECTIVE | CAPNG_PERMITTED,
		    CAP_SETPCAP) == -1) ||
	    capng_apply(CAPNG_SELECT_CAPS) == -1 ||
	    (can_bound && capng_apply(CAPNG_SELECT_BOUNDS) == -1) ||
	    capng_update(CAPNG_DROP, CAPNG_EFFECTIVE | CAPNG_PERMITTED,
		CAP_SETPCAP) == -1 ||
	    capng_apply(CAPNG_SELECT_CAPS) == -1 ||
	    capng_apply(CAPNG_SELECT_AMBIENT) == -1) {
		snprintf(err, errlen,
		    "capabilities: cannot drop the others: %s",
		    strerror(errno));
		return -1;
	}
	return 0;
}

static int
change_to(const struct priv_user *to, char *err, size_t errlen)
{
	int rc;

	if (geteuid() != 0) {
		snprintf(err, errlen,
		    "-u %s: qured runs as uid %u, not root: start it as root, "
		    "or without -u",
		    to->name, (unsigned)geteuid());
		return -1;
	}
	capng_clear(CAPNG_SELECT_ALL);
	if (want_caps(CAPNG_EFFECTIVE | CAPNG_PERMITTED | CAPNG_INHERITABLE,
		PRIV_ONLY_NET) == -1 ||
	    want_caps(CAPNG_AMBIENT, PRIV_ONLY_NET) == -1) {
		snprintf(err, errlen, "-u %s: capabilities: cannot set up",
		    to->name);
		return -1;
	}
	rc = capng_change_id((int)to->uid, (int)to->gid,
	    CAPNG_DROP_SUPP_GRP | CAPNG_CLEAR_BOUNDING);
	if (rc != 0) {
		snprintf(err, errlen,
		    "-u %s: cannot become uid %u gid %u (libcap-ng %d): %s",
		    to->name, (unsigned)to->uid, (unsigned)to->gid, rc,
		    strerror(errno));
		return -1;
	}
	/* Hooks and checks are exec'd with the bounding set empty: only
	 * the ambient set carries the three over, as under systemd. */
	if (capng_apply(CAPNG_SELECT_AMBIENT) == -1) {
		snprintf(err, errlen,
		    "-u %s: cannot raise ambient "
		    "capabilities: %s",
		    to->name, strerror(errno));
		return -1;
	}
	return 0;
}

int
priv_drop(
    const struct priv_user *to, enum priv_extra extra, char *err, size_t errlen)
{
	if (to != NULL)
		return change_to(to, err, errlen);
	return drop_here(extra, err, errlen);
}
