/*
 * vm/hostd.c — qure-hostd, the host-side VM manager (qure-hostd(8),
 * issue 12 item 3): keeps the VMs of its config running, each with the
 * hypervisor's driver, and recycles those whose qured the cluster no
 * longer hears. The edge around vm/hostd_core.c (what to do) and
 * vm/hostd_conf.c (the config):
 *
 *  - every second it reads the members the local observer qured hears
 *    ([hostd] qured-socket, a qured with [node] priority = 0: it never
 *    holds the address), then, for each VM with no command under way,
 *    asks its hypervisor whether it runs (the driver's status: a command,
 *    or for qemu its pidfile's pid), steps the core and runs what it says
 *    (the driver's start or hard stop);
 *  - commands run without a shell, in a session of their own, killed
 *    after [hostd] command-timeout; their output is kept for `vms`;
 *  - a VM is known in the cluster by its instance's name: qemu's guests
 *    get it in their qured.conf fragment (fw_cfg), with the cluster key;
 *  - the [site] settings are written to the cluster through the observer
 *    (qurectl config set), so every VM applies them;
 *  - its control socket answers {"cmd":"vms"} (qurectl -s SOCKET vms).
 * When the local qured cannot be read, nothing is stepped: silence it
 * cannot hear is no VM's fault.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <jansson.h>

#include "base/clock.h"
#include "base/ctl_client.h"
#include "base/log.h"
#include "base/textfile.h"
#include "vm/hostd_conf.h"
#include "vm/hostd_core.h"

#define DEFAULT_CONF "/etc/qured/hostd.conf"
#define TICK_MS 1000
#define QURED_MS 500 /* the local qured's answer */
#define QURED_REPLY_MAX (256 * 1024)
#define OUT_MAX 8192	 /* a command's output kept */
#define REQUEST_MAX 4096 /* a control request's line */
#define INSTANCES_MAX (HOSTD_VMS_MAX * HOSTD_KEEP_MAX)

struct inst {
	struct hostd_vm vm;
	const struct hostd_vm_conf *conf;
	char disk[HOSTD_PATH_MAX + 1];	  /* qemu: the overlay, or disk */
	char pidfile[HOSTD_PATH_MAX + 1]; /* qemu */
	char frag[HOSTD_PATH_MAX + 1];	  /* qemu: its qured.conf fragment */
	char mac[18];			  /* hostd_mac() of its name */
	/* The command under way (pid 0: none). */
	pid_t pid;
	enum hostd_op op;
	bool giving_up;
	int out_fd;
	struct event *out_ev, *timer;
	char out[OUT_MAX];
	size_t outlen;
	bool timed_out;
	/* The hypervisor's last word, and the last command's trouble. */
	bool running;
	char last_error[HOSTD_REASON_LEN];
	/* Its status command fails (no answer): logged once a streak,
	 * since it runs every tick; `vms` shows the last reason. */
	bool status_failing;
	/* Its qured sends no ALIVEs often enough for vm-dead-after
	 * (hostd_judged_by_age): said once, when that is learnt. */
	bool said_no_alives;
};

struct hostd {
	struct event_base *base;
	const char *conf_path;
	struct hostd_conf conf;
	struct inst inst[INSTANCES_MAX];
	size_t n;
	struct event *tick, *ev_chld, *ev_term, *ev_int;
	struct evconnlistener *ctl;
	bool heard_ok;	     /* the last read of the members worked */
	char qured_err[256]; /* why not, logged when it changes */
	bool site_done;
};

static struct hostd H;

/* ---- commands ---- */

static void
cmd_out_cb(evutil_socket_t fd, short what, void *arg)
{
	struct inst *in = arg;
	char buf[1024];
	ssize_t n;

	(void)what;
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		size_t room = sizeof(in->out) - 1 - in->outlen;
		size_t take = (size_t)n < room ? (size_t)n : room;

		memcpy(in->out + in->outlen, buf, take);
		in->outlen += take;
		in->out[in->outlen] = '\0';
	}
	if (n == 0 && in->out_ev != NULL) /* EOF: keep the fd till reaped */
		event_del(in->out_ev);
}

static void
cmd_timeout_cb(evutil_socket_t fd, short what, void *arg)
{
	struct inst *in = arg;

	(void)fd;
	(void)what;
	if (in->pid <= 0)
		return;
	in->timed_out = true;
	log_warnx("%s: %s timed out after %llu ms: killed", in->vm.name,
	    in->op == HOSTD_OP_START  ? "start"
	    : in->op == HOSTD_OP_STOP ? "stop"
				      : "status",
	    (unsigned long long)H.conf.command_timeout_ms);
	kill(-in->pid, SIGKILL);
}

/* Runs argv for in (op), output to in->out; 0, or -1 (logged). */
static int
cmd_run(struct inst *in, enum hostd_op op, char *const argv[])
{
	struct timeval to = {(time_t)(H.conf.command_timeout_ms / 1000),
	    (suseconds_t)(H.conf.command_timeout_ms % 1000) * 1000};
	int fds[2];
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC) == -1) {
		log_warn("%s: pipe", in->vm.name);
		return -1;
	}
	if ((pid = fork()) == -1) {
		log_warn("%s: fork", in->vm.name);
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	if (pid == 0) {
		int null = open("/dev/null", O_RDONLY);

		(void)setsid();
		signal(SIGPIPE, SIG_DFL);
		if (null != -1)
			dup2(null, 0);
		dup2(fds[1], 1);
		dup2(fds[1], 2);
		execvp(argv[0], argv);
		dprintf(2, "cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(fds[1]);
	(void)fcntl(fds[0], F_SETFL, O_NONBLOCK);
	in->pid = pid;
	in->op = op;
	in->out_fd = fds[0];
	in->outlen = 0;
	in->out[0] = '\0';
	in->timed_out = false;
	in->out_ev =
	    event_new(H.base, fds[0], EV_READ | EV_PERSIST, cmd_out_cb, in);
	in->timer = evtimer_new(H.base, cmd_timeout_cb, in);
	if (in->out_ev != NULL)
		event_add(in->out_ev, NULL);
	if (in->timer != NULL)
		evtimer_add(in->timer, &to);
	return 0;
}

/* The last non-empty line of the command's output, for a reason. */
static const char *
last_line(struct inst *in)
{
	char *s = in->out, *e;

	while (in->outlen > 0 && (in->out[in->outlen - 1] == '\n' ||
				     in->out[in->outlen - 1] == '\r'))
		in->out[--in->outlen] = '\0';
	e = strrchr(s, '\n');
	return e != NULL ? e + 1 : s;
}

static void step_inst(struct inst *in, bool running, uint64_t now);

/* What the exit of a command says; then the core steps on. */
static void
cmd_done(struct inst *in, int status)
{
	uint64_t now = clock_now_ms();
	bool ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
	char why[HOSTD_REASON_LEN];
	enum hostd_op op = in->op;

	cmd_out_cb(in->out_fd, EV_READ, in);
	event_free(in->out_ev);
	event_free(in->timer);
	close(in->out_fd);
	in->out_ev = in->timer = NULL;
	in->out_fd = -1;
	in->pid = 0;
	if (in->timed_out)
		snprintf(why, sizeof(why), "timed out after %llu ms",
		    (unsigned long long)H.conf.command_timeout_ms);
	else if (!ok && WIFEXITED(status))
		snprintf(why, sizeof(why), "exit %d: %.100s",
		    WEXITSTATUS(status), last_line(in));
	else if (!ok)
		snprintf(why, sizeof(why), "killed by signal %d",
		    WIFSIGNALED(status) ? WTERMSIG(status) : 0);
	else
		why[0] = '\0';
	if (!ok)
		snprintf(in->last_error, sizeof(in->last_error), "%s: %s",
		    op == HOSTD_OP_START  ? "start"
		    : op == HOSTD_OP_STOP ? "stop"
					  : "status",
		    why);
	switch (op) {
	case HOSTD_OP_START:
		hostd_vm_started(&in->vm, &H.conf.timing, ok, why, now);
		if (ok)
			log_info("%s: started (%s)", in->vm.name,
			    in->vm.starts > 1 ? "again" : "kept");
		else
			log_warnx("%s: start failed: %s", in->vm.name, why);
		break;
	case HOSTD_OP_STOP:
		if (!ok)
			log_warnx("%s: stop failed: %s", in->vm.name, why);
		break;
	case HOSTD_OP_STATUS:
		/* A command's status: exit 0 runs, 1 does not; anything
		 * else (a timeout, a signal, 127: not found) is no answer,
		 * and no answer never starts a second copy. */
		if (in->conf->driver == HOSTD_COMMAND && !in->timed_out &&
		    WIFEXITED(status) && WEXITSTATUS(status) == 1)
			ok = false;
		else if (!ok) {
			if (!in->status_failing)
				log_warnx("%s: status failed: %s (not logged "
					  "again until it answers)",
				    in->vm.name, why);
			in->status_failing = true;
			break;
		}
		if (in->status_failing)
			log_info("%s: status answers again", in->vm.name);
		in->status_failing = false;
		in->last_error[0] = '\0';
		/* vmrun lists the running VMs; virsh says "running". */
		if (in->conf->driver == HOSTD_VMRUN)
			ok = hostd_vmrun_lists(in->out, in->conf->vmx);
		else if (in->conf->driver == HOSTD_VIRSH)
			ok = hostd_virsh_running(in->out);
		in->running = ok;
		if (H.heard_ok)
			step_inst(in, ok, now);
		break;
	}
}

static void
sigchld_cb(evutil_socket_t fd, short what, void *arg)
{
	pid_t pid;
	int status;
	size_t i;

	(void)fd;
	(void)what;
	(void)arg;
	while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
		for (i = 0; i < H.n; i++)
			if (H.inst[i].pid == pid) {
				cmd_done(&H.inst[i], status);
				break;
			}
}

/* ---- the drivers ---- */

static void
vars_of(const struct inst *in, struct hostd_vars *v)
{
	const struct hostd_vm_conf *c = in->conf;

	*v = (struct hostd_vars){.name = in->vm.name,
	    .vmx = c->vmx,
	    .disk = in->disk,
	    .image = c->image,
	    .pidfile = in->pidfile,
	    .conf = in->frag,
	    .key = H.conf.key_file,
	    .mac = in->mac,
	    .args = c->args};
}

/* Expands op's template (the section's own, else the driver's) and runs
 * it; -1 (logged, said in last_error) if it cannot. */
static int
run_op(struct inst *in, enum hostd_op op)
{
	const struct hostd_vm_conf *c = in->conf;
	const char *tmpl = op == HOSTD_OP_START	 ? c->start
			   : op == HOSTD_OP_STOP ? c->stop
						 : c->status;
	char buf[HOSTD_CMD_LEN * 2], err[200], *argv[HOSTD_ARGV_MAX];
	struct hostd_vars v;

	if (tmpl[0] == '\0')
		tmpl = hostd_template(c->driver, op);
	vars_of(in, &v);
	if (hostd_expand(tmpl, &v, buf, sizeof(buf), argv, err, sizeof(err)) <
	    0) {
		snprintf(in->last_error, sizeof(in->last_error),
		    "cannot make the command: %.120s", err);
		log_warnx("%s: %s", in->vm.name, in->last_error);
		return -1;
	}
	return cmd_run(in, op, argv);
}

/* qemu's pid, from its pidfile, if it is a qemu that runs; else 0. */
static pid_t
qemu_pid(const struct inst *in)
{
	char buf[64], path[64], comm[64];
	FILE *fp;
	long pid = 0;

	if ((fp = fopen(in->pidfile, "re")) == NULL)
		return 0;
	if (fgets(buf, sizeof(buf), fp) != NULL)
		pid = strtol(buf, NULL, 10);
	fclose(fp);
	if (pid <= 1 || kill((pid_t)pid, 0) == -1)
		return 0;
	snprintf(path, sizeof(path), "/proc/%ld/comm", pid);
	if ((fp = fopen(path, "re")) == NULL)
		return 0;
	comm[0] = '\0';
	if (fgets(comm, sizeof(comm), fp) == NULL)
		comm[0] = '\0';
	fclose(fp);
	return strncmp(comm, "qemu", 4) == 0 ? (pid_t)pid : 0;
}

/* Blocking: qemu-img create of a small overlay takes milliseconds. */
static int
qemu_overlay(struct inst *in)
{
	const char *img = in->conf->image, *ext = strrchr(img, '.');
	const char *fmt = ext != NULL && strcmp(ext, ".qcow2") == 0  ? "qcow2"
			  : ext != NULL && strcmp(ext, ".vmdk") == 0 ? "vmdk"
								     : "raw";
	pid_t pid;
	int status;

	if (in->conf->disk[0] != '\0' || access(in->disk, F_OK) == 0)
		return 0;
	if ((pid = fork()) == 0) {
		execlp("qemu-img", "qemu-img", "create", "-q", "-f", "qcow2",
		    "-b", img, "-F", fmt, in->disk, (char *)NULL);
		_exit(127);
	}
	if (pid == -1 || waitpid(pid, &status, 0) != pid ||
	    !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		snprintf(in->last_error, sizeof(in->last_error),
		    "qemu-img create of %.60s on %.60s failed", in->disk, img);
		return -1;
	}
	log_info("%s: disk %s (an overlay of %s)", in->vm.name, in->disk, img);
	return 0;
}

/* Its qured.conf fragment: the site's ([vm] conf), then its name. */
static int
qemu_fragment(struct inst *in)
{
	char buf[4096];
	FILE *out, *src;
	size_t n;

	if ((out = fopen(in->frag, "we")) == NULL) {
		snprintf(in->last_error, sizeof(in->last_error),
		    "cannot write %.100s: %.40s", in->frag, strerror(errno));
		return -1;
	}
	if (in->conf->conf[0] != '\0') {
		if ((src = fopen(in->conf->conf, "re")) == NULL) {
			snprintf(in->last_error, sizeof(in->last_error),
			    "cannot read %.100s: %.40s", in->conf->conf,
			    strerror(errno));
			fclose(out);
			return -1;
		}
		while ((n = fread(buf, 1, sizeof(buf), src)) > 0)
			fwrite(buf, 1, n, out);
		fclose(src);
	}
	fprintf(out, "\n[node]\nname = %s\n", in->vm.name);
	return fclose(out) == 0 ? 0 : -1;
}

static void
do_act(struct inst *in, const struct hostd_act *a, uint64_t now)
{
	pid_t pid;

	switch (a->type) {
	case HOSTD_NONE:
		return;
	case HOSTD_START:
		log_info("%s: starting (%s)", in->vm.name, a->reason);
		if (in->conf->driver == HOSTD_QEMU &&
		    (qemu_overlay(in) == -1 || qemu_fragment(in) == -1)) {
			log_warnx("%s: %s", in->vm.name, in->last_error);
			hostd_vm_started(&in->vm, &H.conf.timing, false,
			    in->last_error, now);
			return;
		}
		if (run_op(in, HOSTD_OP_START) == -1)
			hostd_vm_started(&in->vm, &H.conf.timing, false,
			    in->last_error, now);
		return;
	case HOSTD_STOP:
	case HOSTD_GIVE_UP:
		log_warnx("%s: %s (%s)", in->vm.name,
		    a->type == HOSTD_STOP ? "hard stop" : "given up: hard stop",
		    a->reason);
		if (in->conf->driver == HOSTD_QEMU) {
			if ((pid = qemu_pid(in)) > 0)
				kill(pid, SIGKILL);
			return;
		}
		(void)run_op(in, HOSTD_OP_STOP);
		return;
	}
}

static void
step_inst(struct inst *in, bool running, uint64_t now)
{
	struct hostd_act a =
	    hostd_vm_step(&in->vm, &H.conf.timing, running, now);

	do_act(in, &a, now);
}

/* ---- the cluster, as the local observer qured hears it ---- */

/* One request to a qured control socket, its reply object (decref it) or
 * NULL with err. Blocking, bounded by QURED_MS. */
static json_t *
qured_request(const char *what, json_t *req, char *err, size_t errlen)
{
	char why[200], *s, *line = NULL;
	json_t *obj = NULL;
	size_t len;

	s = json_dumps(req, JSON_COMPACT);
	json_decref(req);
	if (s == NULL) {
		snprintf(err, errlen, "%s: out of memory", what);
		return NULL;
	}
	if (ctl_client_call(H.conf.qured_socket, s, QURED_MS, QURED_REPLY_MAX,
		&line, &len, why, sizeof(why)) == -1)
		snprintf(
		    err, errlen, "the local qured, asked %s: %s", what, why);
	else if ((obj = json_loadb(line, len, 0, NULL)) == NULL ||
		 !json_is_object(obj)) {
		json_decref(obj);
		obj = NULL;
		snprintf(err, errlen, "the local qured's %s reply is not JSON",
		    what);
	}
	free(line);
	free(s);
	return obj;
}

/* One listed by the observer, seen_ago ms ago, sending ALIVEs every
 * alive_ms (0: none). */
static void
heard(struct inst *in, uint64_t now, uint64_t seen_ago, uint64_t alive_ms)
{
	bool by_age = hostd_judged_by_age(&H.conf.timing, alive_ms);

	if (!by_age && !in->said_no_alives)
		log_warnx("%s: its qured sends %s, so it counts as heard while "
			  "the cluster lists it (up to three hello-intervals "
			  "after its last word), then vm-dead-after: give it "
			  "[cluster] alive-interval = 1s to be judged sooner",
		    in->vm.name,
		    alive_ms == 0 ? "no ALIVEs"
				  : "ALIVEs too seldom for vm-dead-after");
	in->said_no_alives = !by_age;
	hostd_vm_listed(&in->vm, &H.conf.timing, now, seen_ago, alive_ms);
}

/* The members the observer hears: each instance's hostd_vm_heard(). */
static bool
hear(uint64_t now)
{
	json_t *req = json_object(), *reply, *m;
	char err[256];
	size_t i, k;

	json_object_set_new(req, "cmd", json_string("members"));
	reply = qured_request("members", req, err, sizeof(err));
	if (reply == NULL) {
		if (strcmp(err, H.qured_err) != 0)
			log_warnx("%s; stepping no VM until it answers", err);
		snprintf(H.qured_err, sizeof(H.qured_err), "%s", err);
		return false;
	}
	if (H.qured_err[0] != '\0')
		log_info("the local qured answers again");
	H.qured_err[0] = '\0';
	json_array_foreach(json_object_get(reply, "members"), i, m)
	{
		const char *name =
		    json_string_value(json_object_get(m, "name"));
		json_int_t seen =
		    json_integer_value(json_object_get(m, "last_seen_ms"));
		json_int_t alive =
		    json_integer_value(json_object_get(m, "alive_interval_ms"));

		if (name == NULL || seen < 0 || alive < 0)
			continue;
		for (k = 0; k < H.n; k++)
			if (strcmp(H.inst[k].vm.name, name) == 0)
				heard(&H.inst[k], now, (uint64_t)seen,
				    (uint64_t)alive);
	}
	json_decref(reply);
	return true;
}

/* [site]: each setting written once through the observer. */
static void
write_site(void)
{
	char err[256];
	json_t *reply;
	size_t i;

	for (i = 0; i < H.conf.nsite; i++) {
		json_t *req = json_pack("{s:s, s:s, s:s, s:s}", "cmd", "config",
		    "op", "set", "key", H.conf.site[i].key, "value",
		    H.conf.site[i].value);

		if ((reply = qured_request(
			 "config set", req, err, sizeof(err))) == NULL)
			return; /* again at the next tick */
		if (json_object_get(reply, "error") != NULL)
			log_warnx("[site] %s: refused: %s", H.conf.site[i].key,
			    json_string_value(json_object_get(reply, "error")));
		json_decref(reply);
	}
	if (H.conf.nsite > 0)
		log_info("[site]: %zu settings written to the cluster",
		    H.conf.nsite);
	H.site_done = true;
}

static void
tick_cb(evutil_socket_t fd, short what, void *arg)
{
	uint64_t now = clock_now_ms();
	struct inst *in;
	size_t i;

	(void)fd;
	(void)what;
	(void)arg;
	H.heard_ok = hear(now);
	if (H.heard_ok && !H.site_done)
		write_site();
	if (!H.heard_ok)
		return;
	for (i = 0; i < H.n; i++) {
		in = &H.inst[i];
		if (in->pid != 0)
			continue; /* a command under way */
		if (in->conf->driver == HOSTD_QEMU) {
			in->running = qemu_pid(in) > 0;
			step_inst(in, in->running, now);
		} else if (run_op(in, HOSTD_OP_STATUS) == -1) {
			continue;
		}
	}
}

/* ---- the control socket: {"cmd":"vms"} ---- */

static json_t *
vm_json(const struct inst *in, uint64_t now)
{
	const struct hostd_vm *v = &in->vm;

	return json_pack("{s:s, s:s, s:s, s:s, s:b, s:I, s:I, s:I, s:o, s:o, "
			 "s:o, s:o}",
	    "name", v->name, "vm", in->conf->name, "driver",
	    hostd_driver_name(in->conf->driver), "state",
	    hostd_state_name(v->state), "running", in->running, "starts",
	    (json_int_t)v->starts, "restarts", (json_int_t)v->restarts,
	    "failures_in_a_row", (json_int_t)v->in_a_row, "heard_ms_ago",
	    v->last_heard_ms != 0
		? json_integer((json_int_t)(now - v->last_heard_ms))
		: json_null(),
	    "reason",
	    v->reason[0] != '\0' ? json_string(v->reason) : json_null(),
	    "last_error",
	    in->last_error[0] != '\0' ? json_string(in->last_error)
				      : json_null(),
	    "command",
	    in->pid == 0	       ? json_null()
	    : in->op == HOSTD_OP_START ? json_string("start")
	    : in->op == HOSTD_OP_STOP  ? json_string("stop")
				       : json_string("status"));
}

static char *
answer(const char *line)
{
	json_t *req = json_loads(line, 0, NULL), *out, *list;
	const char *cmd = json_string_value(json_object_get(req, "cmd"));
	uint64_t now = clock_now_ms();
	char *s;
	size_t i;

	if (cmd == NULL || strcmp(cmd, "vms") != 0) {
		out = json_pack("{s:s}", "error",
		    cmd == NULL ? "not a request: expected {\"cmd\": \"vms\"}"
				: "unknown command: qure-hostd answers vms");
	} else {
		list = json_array();
		for (i = 0; i < H.n; i++)
			json_array_append_new(list, vm_json(&H.inst[i], now));
		out = json_pack("{s:b, s:o, s:o}", "ok", 1, "cluster_heard",
		    json_boolean(H.heard_ok), "vms", list);
	}
	json_decref(req);
	s = json_dumps(out, JSON_COMPACT);
	json_decref(out);
	return s;
}

static void
client_read_cb(struct bufferevent *bev, void *arg)
{
	struct evbuffer *in = bufferevent_get_input(bev);
	char *line, *reply;
	size_t n;

	(void)arg;
	if ((line = evbuffer_readln(in, &n, EVBUFFER_EOL_LF)) == NULL) {
		if (evbuffer_get_length(in) > REQUEST_MAX)
			bufferevent_free(bev);
		return;
	}
	reply = answer(line);
	free(line);
	if (reply != NULL) {
		bufferevent_write(bev, reply, strlen(reply));
		bufferevent_write(bev, "\n", 1);
		free(reply);
	}
	bufferevent_disable(bev, EV_READ);
}

static void
client_write_cb(struct bufferevent *bev, void *arg)
{
	(void)arg;
	if (!(bufferevent_get_enabled(bev) & EV_READ))
		bufferevent_free(bev); /* the reply is out */
}

static void
client_event_cb(struct bufferevent *bev, short what, void *arg)
{
	(void)what;
	(void)arg;
	bufferevent_free(bev);
}

static void
accept_cb(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
    int len, void *arg)
{
	struct bufferevent *bev;
	struct timeval to = {5, 0};

	(void)l;
	(void)sa;
	(void)len;
	(void)arg;
	bev = bufferevent_socket_new(H.base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (bev == NULL) {
		close(fd);
		return;
	}
	bufferevent_setcb(
	    bev, client_read_cb, client_write_cb, client_event_cb, NULL);
	bufferevent_set_timeouts(bev, &to, &to);
	bufferevent_enable(bev, EV_READ);
}

static int
open_ctl(char *err, size_t errlen)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	mode_t old;

	if (strlen(H.conf.socket) >= sizeof(sun.sun_path)) {
		snprintf(err, errlen, "%s: path too long", H.conf.socket);
		return -1;
	}
	memcpy(sun.sun_path, H.conf.socket, strlen(H.conf.socket) + 1);
	(void)unlink(H.conf.socket);
	old = umask(0117); /* root and its group only */
	H.ctl = evconnlistener_new_bind(H.base, accept_cb, NULL,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, 16,
	    (struct sockaddr *)&sun, sizeof(sun));
	umask(old);
	if (H.ctl == NULL) {
		snprintf(err, errlen, "cannot listen on %s: %s", H.conf.socket,
		    strerror(errno));
		return -1;
	}
	return 0;
}

/* ---- start ---- */

/* dir/name.ext into buf (HOSTD_PATH_MAX + 1): 0, or -1 if too long. */
static int
state_path(char *buf, const char *name, const char *ext)
{
	int n = snprintf(
	    buf, HOSTD_PATH_MAX + 1, "%s/%s.%s", H.conf.state_dir, name, ext);

	return n < 0 || n > HOSTD_PATH_MAX ? -1 : 0;
}

static int
make_instances(char *err, size_t errlen)
{
	const struct hostd_vm_conf *c;
	char name[HOSTD_NAME_MAX + 1];
	struct inst *in;
	size_t i;
	unsigned k;

	for (i = 0; i < H.conf.nvm; i++) {
		c = &H.conf.vm[i];
		for (k = 0; k < c->keep; k++) {
			in = &H.inst[H.n++];
			memset(in, 0, sizeof(*in));
			in->conf = c;
			in->out_fd = -1;
			hostd_instance_name(c, k, name, sizeof(name));
			hostd_vm_init(&in->vm, name);
			hostd_mac(name, in->mac);
			if (state_path(in->pidfile, name, "pid") == -1 ||
			    state_path(in->frag, name, "conf") == -1 ||
			    (c->disk[0] == '\0' &&
				state_path(in->disk, name, "qcow2") == -1)) {
				snprintf(err, errlen,
				    "%s: a path in %s is too long", name,
				    H.conf.state_dir);
				return -1;
			}
			if (c->disk[0] != '\0')
				memcpy(in->disk, c->disk, sizeof(in->disk));
		}
	}
	return 0;
}

static void
stop_cb(evutil_socket_t sig, short what, void *arg)
{
	(void)what;
	(void)arg;
	/* The VMs run on: a manager's restart must not stop the site. */
	log_info("stopping on signal %d; the VMs keep running", (int)sig);
	event_base_loopexit(H.base, NULL);
}

static void
usage(FILE *fp)
{
	fprintf(fp, "usage: qure-hostd [-c FILE] [-f] [-v] [-t] [-h]\n"
		    "  -c FILE  config file (default " DEFAULT_CONF ")\n"
		    "  -f       stay in the foreground, log to stderr\n"
		    "  -v       verbose (debug) logging\n"
		    "  -t       check the config file and exit 0 or 1\n"
		    "  -h       print this help and exit\n");
}

static int
start(char *err, size_t errlen)
{
	struct timeval every = {TICK_MS / 1000, (TICK_MS % 1000) * 1000};

	if (mkdir(H.conf.state_dir, 0700) == -1 && errno != EEXIST) {
		snprintf(err, errlen, "cannot make %s: %s", H.conf.state_dir,
		    strerror(errno));
		return -1;
	}
	if (make_instances(err, errlen) == -1 || open_ctl(err, errlen) == -1)
		return -1;
	H.tick = event_new(H.base, -1, EV_PERSIST, tick_cb, NULL);
	H.ev_chld = evsignal_new(H.base, SIGCHLD, sigchld_cb, NULL);
	H.ev_term = evsignal_new(H.base, SIGTERM, stop_cb, NULL);
	H.ev_int = evsignal_new(H.base, SIGINT, stop_cb, NULL);
	if (H.tick == NULL || H.ev_chld == NULL || H.ev_term == NULL ||
	    H.ev_int == NULL || event_add(H.tick, &every) == -1 ||
	    evsignal_add(H.ev_chld, NULL) == -1 ||
	    evsignal_add(H.ev_term, NULL) == -1 ||
	    evsignal_add(H.ev_int, NULL) == -1) {
		snprintf(err, errlen, "cannot install the events");
		return -1;
	}
	log_info("managing %zu VMs (%zu sections); the cluster through %s, "
		 "control socket %s",
	    H.n, H.conf.nvm, H.conf.qured_socket, H.conf.socket);
	return 0;
}

int
main(int argc, char **argv)
{
	int ch, foreground = 0, verbose = 0, check = 0;
	char err[512], *text;

	H.conf_path = DEFAULT_CONF;
	while ((ch = getopt(argc, argv, "c:fvth")) != -1) {
		switch (ch) {
		case 'c':
			H.conf_path = optarg;
			break;
		case 'f':
			foreground = 1;
			break;
		case 'v':
			verbose = 1;
			break;
		case 't':
			check = 1;
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
	if ((text = textfile_read(H.conf_path, err, sizeof(err))) == NULL ||
	    hostd_conf_parse(text, H.conf_path, &H.conf, err, sizeof(err)) ==
		-1) {
		fprintf(stderr, "qure-hostd: %s\n", err);
		free(text);
		return 1;
	}
	free(text);
	if (check) {
		printf("qure-hostd: %s: ok (%zu [vm] sections)\n", H.conf_path,
		    H.conf.nvm);
		return 0;
	}
	log_init(foreground, verbose, "qure-hostd");
	signal(SIGPIPE, SIG_IGN);
	if ((H.base = event_base_new()) == NULL)
		fatalx("cannot make the event loop");
	if (start(err, sizeof(err)) == -1) {
		log_warnx("%s", err);
		return 1;
	}
	if (!foreground && (daemon(0, 0) == -1 || event_reinit(H.base) == -1))
		fatal("cannot detach");
	event_base_dispatch(H.base);
	evconnlistener_free(H.ctl);
	(void)unlink(H.conf.socket);
	return 0;
}
