#include "config.h"

#include "src/hooks.h"

#include <sys/types.h>
#include <sys/wait.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "base/log.h"
#include "base/xmalloc.h"
#include "src/child.h"
#include "src/conf.h"

enum hook_kind { HOOK_HOLDER, HOOK_STANDBY, HOOK_NONE };

static const char *const kind_name[] = {"on-holder", "on-standby"};

/* One hook to run: its argv and environment strings, by value. */
struct hook_req {
	enum hook_kind kind;
	char state[64], old_state[64], reason[128];
	char env[5][160]; /* QURE_STATE= ... QURE_DMZ= */
};

/*
 * idle -> running (pid set, timer armed) -> idle, or -> running the
 * waiting request; at most one request waits (next).
 */
struct hooks {
	struct event_base *base;
	char path[2][CONF_PATH_MAX + 1];
	uint32_t timeout_ms;
	struct event *timer;

	pid_t pid; /* 0: idle */
	bool timed_out;
	struct hook_req cur;
	char cur_path[CONF_PATH_MAX + 1];

	bool have_next;
	struct hook_req next;

	struct hooks_stats stats; /* hooks_get_stats() */
};

static void start(struct hooks *h, const struct hook_req *req);

static void
copy_path(char *dst, const char *src)
{
	if (src == NULL)
		src = "";
	if ((size_t)snprintf(dst, CONF_PATH_MAX + 1, "%s", src) > CONF_PATH_MAX)
		log_warnx("hooks: path %s: longer than %d bytes, cut", src,
		    CONF_PATH_MAX);
}

static enum hook_kind
kind_for(const char *state, const char *old_state)
{
	if (strcmp(state, old_state) == 0)
		return HOOK_NONE;
	if (strcmp(state, "holder") == 0)
		return HOOK_HOLDER;
	if (strcmp(old_state, "holder") == 0 || strcmp(state, "standby") == 0 ||
	    strcmp(state, "observer") == 0)
		return HOOK_STANDBY;
	return HOOK_NONE;
}

static void
set_env(char *dst, const char *name, const char *value)
{
	if ((size_t)snprintf(dst, 160, "%s=%s", name, value) >= 160)
		log_warnx("hooks: %s: value cut to fit", name);
}

/* The strings of r (kind, state, old_state and reason set) for epoch and
 * dmz_cidr. */
static void
make_env(struct hook_req *r, uint64_t epoch, const char *dmz_cidr)
{
	char ep[24];

	snprintf(ep, sizeof(ep), "%" PRIu64, epoch);
	set_env(r->env[0], "QURE_STATE", r->state);
	set_env(r->env[1], "QURE_OLD_STATE", r->old_state);
	set_env(r->env[2], "QURE_REASON", r->reason);
	set_env(r->env[3], "QURE_EPOCH", ep);
	set_env(r->env[4], "QURE_DMZ", dmz_cidr);
}

static void
arm(struct hooks *h)
{
	struct timeval tv = {
	    h->timeout_ms / 1000, (h->timeout_ms % 1000) * 1000};

	evtimer_add(h->timer, &tv);
}

static void
log_exit(struct hooks *h, int status)
{
	const char *kind = kind_name[h->cur.kind];
	char st[64];

	if (h->timed_out) {
		h->stats.failures++;
		h->stats.timeouts++;
		log_warnx("hooks: %s %s (state %s): timed out after %u ms, "
			  "killed",
		    kind, h->cur_path, h->cur.state, (unsigned)h->timeout_ms);
		return;
	}
	child_status_str(status, st, sizeof(st));
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		h->stats.failures++;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		log_debug("hooks: %s %s (state %s): %s", kind, h->cur_path,
		    h->cur.state, st);
	else
		log_warnx("hooks: %s %s (state %s): %s%s", kind, h->cur_path,
		    h->cur.state, st,
		    WIFEXITED(status) && WEXITSTATUS(status) == 127
			? " (not executable?)"
			: "");
}

static void
exit_cb(void *arg, pid_t pid, int status)
{
	struct hooks *h = arg;
	struct hook_req next;

	(void)pid;
	evtimer_del(h->timer);
	log_exit(h, status);
	h->pid = 0;
	if (h->have_next) {
		next = h->next;
		h->have_next = false;
		start(h, &next);
	}
}

static void
timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct hooks *h = arg;

	(void)fd;
	(void)what;
	/* The next hook starts from exit_cb, once this one is reaped. */
	h->timed_out = true;
	child_kill(h->pid);
}

static void
start(struct hooks *h, const struct hook_req *req)
{
	static char path_env[] = "PATH=/usr/sbin:/usr/bin:/sbin:/bin";
	char *argv[5], *envp[7];
	size_t i;

	if (h->path[req->kind][0] == '\0')
		return; /* removed by hooks_set() while it waited */
	h->cur = *req;
	snprintf(h->cur_path, sizeof(h->cur_path), "%s", h->path[req->kind]);
	argv[0] = h->cur_path;
	argv[1] = h->cur.state;
	argv[2] = h->cur.old_state;
	argv[3] = h->cur.reason;
	argv[4] = NULL;
	for (i = 0; i < 5; i++)
		envp[i] = h->cur.env[i];
	envp[5] = path_env;
	envp[6] = NULL;
	h->timed_out = false;
	h->stats.runs++;
	h->pid = child_spawn(h->cur_path, argv, envp, exit_cb, h);
	if (h->pid == -1) {
		h->pid = 0;
		h->stats.failures++;
		log_warn("hooks: %s %s (state %s)", kind_name[req->kind],
		    h->cur_path, req->state);
		return;
	}
	log_info("hooks: running %s %s (%s -> %s, %s)", kind_name[req->kind],
	    h->cur_path, req->old_state, req->state, req->reason);
	arm(h);
}

struct hooks *
hooks_new(
    struct event_base *base, const char *on_holder, const char *on_standby)
{
	struct hooks *h;

	if (child_ref(base) == -1)
		return NULL;
	h = xcalloc(1, sizeof(*h));
	h->base = base;
	h->timeout_ms = HOOKS_TIMEOUT_MS;
	h->timer = evtimer_new(base, timer_cb, h);
	if (h->timer == NULL)
		fatalx("hooks: cannot make a timer");
	hooks_set(h, on_holder, on_standby);
	return h;
}

void
hooks_set(struct hooks *h, const char *on_holder, const char *on_standby)
{
	copy_path(h->path[HOOK_HOLDER], on_holder);
	copy_path(h->path[HOOK_STANDBY], on_standby);
}

void
hooks_set_timeout(struct hooks *h, uint32_t timeout_ms)
{
	h->timeout_ms = timeout_ms > 0 ? timeout_ms : 1;
}

void
hooks_run(struct hooks *h, const char *state, const char *old_state,
    const char *reason, uint64_t epoch, const char *dmz_cidr)
{
	enum hook_kind kind = kind_for(state, old_state);
	struct hook_req req;

	if (kind == HOOK_NONE || h->path[kind][0] == '\0')
		return;
	memset(&req, 0, sizeof(req));
	req.kind = kind;
	snprintf(req.state, sizeof(req.state), "%s", state);
	snprintf(req.old_state, sizeof(req.old_state), "%s", old_state);
	snprintf(req.reason, sizeof(req.reason), "%s", reason);
	make_env(&req, epoch, dmz_cidr);
	if (h->pid == 0) {
		start(h, &req);
		return;
	}
	if (h->have_next)
		log_info("hooks: %s for state %s superseded by %s for state %s "
			 "before it ran",
		    kind_name[h->next.kind], h->next.state, kind_name[kind],
		    state);
	h->next = req;
	h->have_next = true;
}

bool
hooks_is_busy(const struct hooks *h)
{
	return h->pid != 0 || h->have_next;
}

void
hooks_free(struct hooks *h)
{
	if (h == NULL)
		return;
	if (h->pid != 0)
		child_forget(h->pid, CHILD_LEAVE);
	if (h->have_next)
		log_warnx("hooks: %s for state %s not run: shutting down",
		    kind_name[h->next.kind], h->next.state);
	event_free(h->timer);
	free(h);
	child_unref();
}

void
hooks_get_stats(const struct hooks *h, struct hooks_stats *out)
{
	*out = h->stats;
}
