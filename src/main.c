/*
 * src/main.c — qured: options, config, key, the one event loop, signals
 * and the control socket.
 */
#include "config.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <openssl/crypto.h>

#include "base/log.h"
#include "base/textfile.h"
#include "src/child.h"
#include "src/cluster.h"
#include "src/conf.h"
#include "src/ctl.h"
#include "src/dmz_auto.h"
#include "src/events.h"
#include "src/http.h"
#include "src/lock.h"
#include "src/priv.h"
#include "src/redis_coord.h"
#include "src/redis_sup.h"
#include "src/sdnotify.h"
#include "src/site.h"
#include "src/site_conf.h"
#include "src/status.h"

#define DEFAULT_CONF "/etc/qured/qured.conf"

struct daemon {
	struct event_base *base;
	const char *conf_path;
	struct conf conf;
	struct cluster *cluster;
	struct redis_sup *store;   /* [store] enable = yes; NULL: off */
	struct redis_coord *coord; /* its coordinator; NULL: off */
	struct ctl *ctl;
	struct sdnotify *notify; /* NULL: no NOTIFY_SOCKET */
	struct http *http;	 /* [http] listen; NULL: off */
	struct event *ev_term, *ev_int, *ev_hup;
	int lock_fd; /* the state dir's lock, held for our lifetime */
	/* [cluster] key-wait: why there is no cluster yet ("": there is),
	 * and the timer that looks at the key file again. */
	char unconfigured[STATUS_ERR_LEN];
	struct event *ev_key;
	bool foreground;
	int exit_code; /* of the loop: 1 when a late start failed */
};

#define KEY_WAIT_MS 2000

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: qured [-c FILE] [-f] [-u USER[:GROUP]] [-v] [-t] [-h]\n"
	    "  -c FILE  config file (default " DEFAULT_CONF ")\n"
	    "  -f       stay in the foreground, log to stderr\n"
	    "  -u USER  started as root: run as USER (USER:GROUP: and GROUP)\n"
	    "           with only CAP_NET_ADMIN, CAP_NET_RAW and\n"
	    "           CAP_NET_BIND_SERVICE\n"
	    "  -v       verbose (debug) logging\n"
	    "  -t       check the config file and exit 0 or 1; with -v,\n"
	    "           print every key, its value and where it came from\n"
	    "  -h       print this help and exit\n");
}

/*
 * Reads and completes the config: a missing name becomes the hostname.
 * origin: where each value came from (NULL: not wanted). site: the site
 * settings, whose values of the keys the file does not set go over it
 * (NULL: none; then origin is filled, else not).
 */
static int
load_conf(const char *path, const struct settings *site, struct conf *out,
    struct conf_origin *origin, char *err, size_t errlen)
{
	char host[256], *text;
	int rc;

	if (site == NULL) {
		rc = conf_load_origin(path, out, origin, err, errlen);
	} else {
		if ((text = textfile_read(path, err, errlen)) == NULL)
			return -1;
		rc = site_conf_load(text, path, site, out, NULL, err, errlen);
		free(text);
	}
	if (rc == -1)
		return -1;
	if (gethostname(host, sizeof(host)) == -1)
		snprintf(host, sizeof(host), "qure");
	host[sizeof(host) - 1] = '\0';
	if (conf_default_name(out, host) == -1) {
		snprintf(err, errlen,
		    "%s: [node] name: hostname %s is too "
		    "long, set name",
		    path, host);
		return -1;
	}
	return 0;
}

static int
reload(struct daemon *d, char *err, size_t errlen)
{
	struct conf next;

	if (load_conf(d->conf_path, cluster_site(d->cluster), &next, NULL, err,
		errlen) == -1) {
		log_warnx("reload: %s; keeping the running config", err);
		return -1;
	}
	cluster_reload(d->cluster, &next);
	d->conf = next;
	return 0;
}

/* [http]'s own counts; the rest of the status is the cluster's. */
static void
http_status(const struct daemon *d, struct status *out)
{
	struct http_stats hs;

	if (d->http == NULL)
		return;
	http_get_stats(d->http, &hs);
	out->http.present = true;
	out->http.ok = hs.ok;
	out->http.not_found = hs.not_found;
	out->http.bad_method = hs.bad_method;
	out->http.limited = hs.limited;
}

static void
ctl_status(void *arg, struct status *out)
{
	struct daemon *d = arg;

	http_status(d, out);
	if (d->cluster == NULL) { /* [cluster] key-wait */
		snprintf(out->node.name, sizeof(out->node.name), "%s",
		    d->conf.node.name);
		snprintf(
		    out->node.state, sizeof(out->node.state), "unconfigured");
		snprintf(out->unconfigured, sizeof(out->unconfigured), "%s",
		    d->unconfigured);
		return;
	}
	cluster_status(d->cluster, out);
	out->counters.watchers_dropped = ctl_watchers_dropped(d->ctl);
	if (d->store != NULL)
		redis_sup_status(d->store, out);
	if (d->coord != NULL)
		redis_coord_status(d->coord, out);
	else if (d->conf.store.enable)
		out->store.enabled = true; /* and failed to start: logged */
}

/* An event of the cluster to the control socket's watchers (qurectl
 * watch): one JSON line each. */
static void
cluster_event(void *arg, const struct events_event *ev)
{
	struct daemon *d = arg;
	char *line = events_to_json(ev);

	ctl_event(d->ctl, line);
	free(line);
}

/* A command that needs the cluster, while there is none (key-wait). */
static int
unconfigured_err(const struct daemon *d, char *err, size_t errlen)
{
	snprintf(err, errlen, "unconfigured: %s", d->unconfigured);
	return -1;
}

static int
ctl_key_rotate(void *arg, bool force, char *err, size_t errlen)
{
	struct daemon *d = arg;

	if (d->cluster == NULL)
		return unconfigured_err(d, err, errlen);
	return cluster_key_rotate(d->cluster, force, err, errlen);
}

static int
ctl_handover(void *arg, const char *name, char *err, size_t errlen)
{
	struct daemon *d = arg;

	if (d->cluster == NULL)
		return unconfigured_err(d, err, errlen);
	return cluster_handover(d->cluster, name, err, errlen);
}

static int
ctl_reload(void *arg, char *err, size_t errlen)
{
	struct daemon *d = arg;

	if (d->cluster == NULL)
		return unconfigured_err(d, err, errlen);
	return reload(arg, err, errlen);
}

/*
 * A site setting: a key of qured's must parse over this host's file
 * (other members' files may differ: each leaves out what does not parse
 * over its own, and says so).
 */
static int
ctl_config_set(
    void *arg, const char *key, const char *value, char *err, size_t errlen)
{
	struct daemon *d = arg;
	char *text;
	int rc = 0;

	if (d->cluster == NULL)
		return unconfigured_err(d, err, errlen);
	if (site_conf_check_key(key, err, errlen) == -1)
		return -1;
	if (value != NULL) {
		if ((text = textfile_read(d->conf_path, err, errlen)) == NULL)
			return -1;
		rc = site_conf_check_value(
		    text, d->conf_path, key, value, err, errlen);
		free(text);
	}
	if (rc == -1)
		return -1;
	return cluster_site_set(d->cluster, key, value, err, errlen);
}

static const char *
ctl_config_source(void *arg, const char *key)
{
	struct daemon *d = arg;
	const char *source;
	char err[256], *text = textfile_read(d->conf_path, err, sizeof(err));

	if (text == NULL)
		return "site";
	source = site_conf_source(text, d->conf_path, key);
	free(text);
	return source;
}

/* The site settings changed: they may change the running config. */
static void
site_changed(void *arg)
{
	struct daemon *d = arg;
	char err[512];

	(void)reload(d, err, sizeof(err));
}

static const struct settings *
ctl_config_settings(void *arg)
{
	struct daemon *d = arg;

	return d->cluster != NULL ? cluster_site(d->cluster) : NULL;
}

static void reload_unconfigured(struct daemon *d);

static void
signal_cb(evutil_socket_t sig, short what, void *arg)
{
	struct daemon *d = arg;
	char err[512];

	(void)what;
	if (sig == SIGHUP && d->cluster == NULL) {
		log_info("reload: SIGHUP while unconfigured: reading %s and "
			 "the key again",
		    d->conf_path);
		reload_unconfigured(d);
		return;
	}
	if (sig == SIGHUP) {
		log_info("reload: SIGHUP, reading %s", d->conf_path);
		(void)reload(d, err, sizeof(err));
		return;
	}
	log_info("stopping on signal %d", (int)sig);
	sdnotify_stopping(d->notify);
	if (d->cluster != NULL)
		cluster_shutdown(d->cluster);
	event_base_loopexit(d->base, NULL);
}

/*
 * A busy host must not delay a heartbeat past the lease, nor a claim
 * turn past the next one's: fifty busy processes on two cores kept a
 * holder off the CPU past its lease in a chaos run, and four standbys,
 * each late, all claimed. So qured runs SCHED_RR, like keepalived's
 * vrrp_rt_priority: it uses next to no CPU, and the kernel's real-time
 * throttling (sched_rt_runtime_us) still bounds a runaway. Its address
 * guard and state writer inherit it; hooks and checks do not (src/child.c
 * resets them before exec). Before the capabilities go (src/priv.h):
 * root needs CAP_SYS_NICE for it; another user, RLIMIT_RTPRIO
 * (LimitRTPRIO= in qured.service). Not permitted (a container): said
 * once, and qured runs as it is.
 */
static void
run_realtime(unsigned priority)
{
	struct sched_param sp = {.sched_priority = (int)priority};

	if (priority == 0)
		return;
	if (sched_setscheduler(0, SCHED_RR, &sp) == -1)
		log_warnx("node: cannot run at real-time priority %u "
			  "(SCHED_RR): %s; heartbeats may run late on a busy "
			  "host (allow it: CAP_SYS_NICE, or LimitRTPRIO=%u in "
			  "the unit; or set [node] rt-priority = 0)",
		    priority, strerror(errno), priority);
}

static int
lan_addr(void *arg, struct in_addr *out)
{
	struct daemon *d = arg;

	return cluster_lan_addr(d->cluster, out);
}

static size_t
store_input(void *arg, bool *holding, struct coord_seen *seen, size_t max)
{
	struct daemon *d = arg;

	return cluster_store_input(
	    d->cluster, d->conf.store.strategy, holding, seen, max);
}

static void
step_done(void *arg)
{
	struct daemon *d = arg;

	redis_coord_poke(d->coord);
}

/* The site cache: its failure is logged, never qured's (the election
 * must not depend on Redis). */
static void
start_store(struct daemon *d, const uint8_t *key)
{
	char err[512], password[REDIS_SUP_PASSWORD_LEN + 1];

	if (!d->conf.store.enable)
		return;
	d->store = redis_sup_new(
	    d->base, &d->conf, key, lan_addr, d, err, sizeof(err));
	if (d->store == NULL) {
		log_warnx("%s; running without the store", err);
		return;
	}
	if (redis_sup_password(key, password) == -1) {
		log_warnx("store: cannot derive the password; the cluster "
			  "is not formed");
		return;
	}
	d->coord = redis_coord_new(
	    d->base, &d->conf, password, store_input, d, err, sizeof(err));
	OPENSSL_cleanse(password, sizeof(password));
	if (d->coord == NULL) {
		log_warnx("%s; the cluster is not formed", err);
		return;
	}
	cluster_on_step(d->cluster, step_done, d);
}

/* The cluster (and the store) with key: 0, or -1 with err. */
static int
start_cluster(
    struct daemon *d, const uint8_t key[CONF_KEY_LEN], char *err, size_t errlen)
{
	struct dmz_choice dmz;

	/* [dmz] address = auto: found now, before the cluster opens netcfg
	 * and the election with it (src/dmz_auto.h). */
	if (d->conf.dmz.address.automatic &&
	    dmz_auto_resolve(d->base, &d->conf, key, &dmz, err, errlen) == -1)
		return -1;
	if (d->conf.dmz.address.automatic) {
		d->conf.dmz.address.addr = dmz.addr;
		d->conf.dmz.address.prefix = dmz.prefix;
	}
	d->cluster = cluster_new(d->base, &d->conf, key, err, errlen);
	if (d->cluster == NULL)
		return -1;
	start_store(d, key);
	cluster_on_site_change(d->cluster, site_changed, d);
	cluster_on_event(d->cluster, cluster_event, d);
	if (d->conf.dmz.address.automatic)
		cluster_set_dmz_source(d->cluster, dmz_source_name(dmz.source));
	return 0;
}

/*
 * [cluster] key-wait: the key file is looked at again; once it holds a
 * valid key, the cluster starts (and its address guard: run() starts
 * the first one after detaching). A reason that changed is logged.
 */
static void
try_key(struct daemon *d)
{
	uint8_t key[CONF_KEY_LEN];
	char err[STATUS_ERR_LEN];
	int rc;

	if (conf_read_key(d->conf.cluster.key_file, key, err, sizeof(err)) ==
	    -1) {
		if (strcmp(err, d->unconfigured) != 0)
			log_warnx(
			    "unconfigured: %s; still out of the cluster", err);
		snprintf(d->unconfigured, sizeof(d->unconfigured), "%s", err);
		return;
	}
	log_info("configured: %s holds a valid cluster key; joining the "
		 "cluster",
	    d->conf.cluster.key_file);
	rc = start_cluster(d, key, err, sizeof(err));
	OPENSSL_cleanse(key, sizeof(key));
	if (rc == -1) {
		log_warnx("%s", err);
		d->exit_code = 1;
		event_base_loopexit(d->base, NULL);
		return;
	}
	d->unconfigured[0] = '\0';
	event_free(d->ev_key);
	d->ev_key = NULL;
	cluster_guard(d->cluster);
}

static void
key_wait_cb(evutil_socket_t fd, short what, void *arg)
{
	struct daemon *d = arg;
	struct timeval every = {KEY_WAIT_MS / 1000, 0};

	(void)fd;
	(void)what;
	try_key(d);
	if (d->ev_key != NULL)
		evtimer_add(d->ev_key, &every);
}

/* SIGHUP while unconfigured: the config again (the key file's path may
 * have changed), then the key at once. */
static void
reload_unconfigured(struct daemon *d)
{
	struct conf next;
	char err[512];

	if (load_conf(d->conf_path, NULL, &next, NULL, err, sizeof(err)) == -1)
		log_warnx("reload: %s; keeping the running config", err);
	else
		d->conf = next;
	try_key(d);
}

/* The control socket's rules (src/ctl.h): qured's user and group may
 * change, [node] status-group may also read. */
static int
set_acl(struct daemon *d, char *err, size_t errlen)
{
	struct ctl_acl acl = {.self_uid = geteuid(), .admin_gid = getegid()};
	struct group *gr = getgrgid(acl.admin_gid);

	snprintf(acl.admin_group, sizeof(acl.admin_group), "%.32s",
	    gr != NULL ? gr->gr_name : "of qured");
	if (d->conf.node.status_group[0] != '\0') {
		if ((gr = getgrnam(d->conf.node.status_group)) == NULL) {
			snprintf(err, errlen,
			    "%s: [node] status-group %s: no such group",
			    d->conf_path, d->conf.node.status_group);
			return -1;
		}
		acl.has_status_gid = true;
		acl.status_gid = gr->gr_gid;
		snprintf(acl.status_group, sizeof(acl.status_group), "%s",
		    d->conf.node.status_group);
	}
	return ctl_set_acl(d->ctl, &acl, err, errlen);
}

/* [http] listen (src/http.h): the same snapshot as the control socket's
 * status. Not reloaded: a change takes a restart. */
static int
start_http(struct daemon *d, char *err, size_t errlen)
{
	struct http_conf hc = {.status = ctl_status, .arg = d};

	if (!d->conf.http.enabled)
		return 0;
	hc.family = d->conf.http.listen.family;
	memcpy(hc.addr, d->conf.http.listen.addr, sizeof(hc.addr));
	hc.port = d->conf.http.listen.port;
	d->http = http_new(d->base, &hc, err, errlen);
	return d->http != NULL ? 0 : -1;
}

static int
start(struct daemon *d, char *err, size_t errlen)
{
	static const struct ctl_ops ops = {ctl_status, ctl_handover, ctl_reload,
	    ctl_config_set, ctl_config_settings, ctl_config_source,
	    ctl_key_rotate};
	struct timeval every = {KEY_WAIT_MS / 1000, 0};
	uint8_t key[CONF_KEY_LEN];
	int rc;

	/* First: a second qured must not touch the holder's address. */
	d->lock_fd = lock_state_dir(d->conf.node.state_dir, err, errlen);
	if (d->lock_fd == -1)
		return -1;
	/* A bad [http] listen stops us before the cluster hears of us. */
	if (start_http(d, err, errlen) == -1)
		return -1;
	if (conf_read_key(d->conf.cluster.key_file, key, err, errlen) == 0) {
		rc = start_cluster(d, key, err, errlen);
		OPENSSL_cleanse(key, sizeof(key));
		if (rc == -1)
			return -1;
	} else if (d->conf.cluster.key_wait) {
		/* Never a default key: out of the cluster until one comes. */
		snprintf(d->unconfigured, sizeof(d->unconfigured), "%.*s",
		    (int)sizeof(d->unconfigured) - 1, err);
		log_warnx("unconfigured: %s; staying out of the cluster, "
			  "looking again every %d s ([cluster] key-wait)",
		    err, KEY_WAIT_MS / 1000);
		d->ev_key = evtimer_new(d->base, key_wait_cb, d);
		if (d->ev_key == NULL || evtimer_add(d->ev_key, &every) == -1) {
			snprintf(err, errlen, "qured: cannot arm a timer");
			return -1;
		}
	} else {
		return -1;
	}
	d->ctl =
	    ctl_new(d->base, d->conf.node.control_socket, &ops, d, err, errlen);
	if (d->ctl == NULL || set_acl(d, err, errlen) == -1)
		return -1;
	d->ev_term = evsignal_new(d->base, SIGTERM, signal_cb, d);
	d->ev_int = evsignal_new(d->base, SIGINT, signal_cb, d);
	d->ev_hup = evsignal_new(d->base, SIGHUP, signal_cb, d);
	if (d->ev_term == NULL || d->ev_int == NULL || d->ev_hup == NULL ||
	    evsignal_add(d->ev_term, NULL) == -1 ||
	    evsignal_add(d->ev_int, NULL) == -1 ||
	    evsignal_add(d->ev_hup, NULL) == -1) {
		snprintf(err, errlen, "qured: cannot install signal handlers");
		return -1;
	}
	return 0;
}

static void
stop(struct daemon *d)
{
	if (d->ev_term != NULL)
		event_free(d->ev_term);
	if (d->ev_int != NULL)
		event_free(d->ev_int);
	if (d->ev_hup != NULL)
		event_free(d->ev_hup);
	if (d->ev_key != NULL)
		event_free(d->ev_key);
	sdnotify_free(d->notify);
	http_free(d->http);
	ctl_free(d->ctl);
	redis_coord_free(d->coord);
	redis_sup_free(d->store);
	cluster_free(d->cluster);
	if (d->base != NULL)
		event_base_free(d->base);
}

struct opts {
	const char *conf_path;
	const char *user; /* -u USER[:GROUP]; NULL: stay */
	int foreground, verbose, check;
};

/* Returns -1 to go on, else the exit status (after -h or a bad option). */
static int
parse_opts(int argc, char **argv, struct opts *o)
{
	int ch;

	while ((ch = getopt(argc, argv, "c:fu:vth")) != -1) {
		switch (ch) {
		case 'u':
			o->user = optarg;
			break;
		case 'c':
			o->conf_path = optarg;
			break;
		case 'f':
			o->foreground = 1;
			break;
		case 'v':
			o->verbose = 1;
			break;
		case 't':
			o->check = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 1;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 1;
	}
	return -1;
}

/*
 * The loop of a holder must come back to its core every few ms: the
 * fence (doc/protocol.md) lapses when the core does not step for 40 ms.
 * Two priorities: the core's timer and the cluster sockets first (0),
 * the rest (1: the DNS responder, the watcher, IGMP, control socket);
 * and after 2 ms of the rest's callbacks, libevent looks for timers and
 * datagrams again instead of running every active callback first (a DNS
 * storm had held a holder's timer back 30 ms).
 */
static struct event_base *
new_base(void)
{
	struct event_config *cfg = event_config_new();
	struct timeval slice = {0, 2000};
	struct event_base *base;

	if (cfg == NULL)
		return NULL;
	(void)event_config_set_max_dispatch_interval(cfg, &slice, -1, 1);
	base = event_base_new_with_config(cfg);
	event_config_free(cfg);
	if (base != NULL && event_base_priority_init(base, 2) == -1) {
		event_base_free(base);
		return NULL;
	}
	return base;
}

/*
 * [hooks] user: whom hooks and checks run as (qured's own user when
 * unset). Only root can make them someone else: it then keeps what that
 * needs (src/priv.h, PRIV_HOOK_SWITCH). 0, or -1 with err.
 */
static int
hooks_user(const struct daemon *d, uid_t runs_as, enum priv_extra *extra,
    char *err, size_t errlen)
{
	const char *name = d->conf.hooks.user;
	struct passwd *pw;

	*extra = PRIV_ONLY_NET;
	if (name[0] == '\0')
		return 0;
	if ((pw = getpwnam(name)) == NULL) {
		snprintf(err, errlen, "%s: [hooks] user %s: no such user",
		    d->conf_path, name);
		return -1;
	}
	if (pw->pw_uid == runs_as)
		return 0;
	if (runs_as != 0) {
		snprintf(err, errlen,
		    "%s: [hooks] user %s: qured runs as uid %u and cannot "
		    "switch users: leave it unset, or start qured as root "
		    "without -u",
		    d->conf_path, name, (unsigned)runs_as);
		return -1;
	}
	child_set_user(pw->pw_uid, pw->pw_gid);
	*extra = PRIV_HOOK_SWITCH;
	return 0;
}

/*
 * Real-time first (root may need CAP_SYS_NICE for it), then -u's user,
 * then every capability but the three (src/priv.h). 0, or -1 with err.
 */
static int
drop_privileges(
    struct daemon *d, const struct opts *o, char *err, size_t errlen)
{
	struct priv_user to;
	enum priv_extra extra;

	run_realtime(d->conf.node.rt_priority); /* before any child forks */
	if (o->user != NULL && priv_user_parse(o->user, &to, err, errlen) == -1)
		return -1;
	if (hooks_user(d, o->user != NULL ? to.uid : geteuid(), &extra, err,
		errlen) == -1)
		return -1;
	if (priv_drop(o->user != NULL ? &to : NULL, extra, err, errlen) == -1)
		return -1;
	if (o->user != NULL)
		log_info("running as %s:%s (uid %u, gid %u) with "
			 "CAP_NET_ADMIN, CAP_NET_RAW and CAP_NET_BIND_SERVICE",
		    to.name, to.group, (unsigned)to.uid, (unsigned)to.gid);
	return 0;
}

/* Runs the loop until a signal stops it; 0, or 1 if start-up failed. */
static int
run(struct daemon *d, const struct opts *o)
{
	char err[512];

	log_init(o->foreground, o->verbose, "qured");
	signal(SIGPIPE, SIG_IGN);
	d->base = new_base();
	if (d->base == NULL)
		fatalx("qured: cannot make the event loop");
	/* Start before detaching, so a bad start-up fails the command. */
	if (drop_privileges(d, o, err, sizeof(err)) == -1 ||
	    start(d, err, sizeof(err)) == -1) {
		log_warnx("%s", err);
		if (!o->foreground)
			fprintf(stderr, "qured: %s\n", err);
		return 1;
	}
	if (!o->foreground &&
	    (daemon(0, 0) == -1 || event_reinit(d->base) == -1))
		fatal("qured: cannot detach");
	if (!o->foreground)
		lock_note_pid(d->lock_fd); /* the lock is the child's now */
	if (d->cluster != NULL)
		cluster_guard(d->cluster);
	/* READY=1: the cluster runs, or waits unconfigured for its key. */
	d->notify = sdnotify_new(d->base, ctl_status, d);
	event_base_dispatch(d->base);
	return d->exit_code;
}

int
main(int argc, char **argv)
{
	struct opts o = {.conf_path = DEFAULT_CONF};
	struct daemon d = {.lock_fd = -1};
	struct conf_origin origin;
	struct settings *site;
	char *abs_path = NULL;
	char err[512];
	int rc;

	if ((rc = parse_opts(argc, argv, &o)) != -1)
		return rc;
	d.conf_path = o.conf_path;
	if (load_conf(d.conf_path, NULL, &d.conf, &origin, err, sizeof(err)) ==
	    -1) {
		fprintf(stderr, "qured: %s\n", err);
		return 1;
	}
	/* Like bgpd -nv: the output of -t -v is itself a valid config. */
	if (o.check && o.verbose) {
		printf("; qured: %s: ok\n", d.conf_path);
		conf_print_origin(&d.conf, &origin, d.conf_path, stdout);
		return 0;
	}
	if (o.check) {
		printf("qured: %s: ok\n", d.conf_path);
		return 0;
	}
	/* daemon() moves to /: SIGHUP must find the same file. */
	if ((abs_path = realpath(d.conf_path, NULL)) != NULL)
		d.conf_path = abs_path;
	/* The site settings as this host last saw them, from the start: a
	 * key that is not live would otherwise wait for a restart. */
	if ((site = site_peek(d.conf.node.state_dir)) != NULL &&
	    settings_count(site) > 0 &&
	    load_conf(d.conf_path, site, &d.conf, NULL, err, sizeof(err)) ==
		-1) {
		fprintf(stderr, "qured: %s\n", err);
		settings_free(site);
		free(abs_path);
		return 1;
	}
	settings_free(site);
	rc = run(&d, &o);
	stop(&d);
	free(abs_path);
	return rc;
}
