/*
 * vm/hostd_core.c — qure-hostd's pure core (vm/hostd_core.h).
 */
#include "config.h"

#include "vm/hostd_core.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void
hostd_timing_default(struct hostd_timing *t)
{
	t->dead_after_ms = 10000;
	t->boot_timeout_ms = 120000;
	t->backoff_ms = 1000;
	t->backoff_max_ms = 300000;
	t->stable_ms = 600000;
	t->max_restarts = 5;
}

void
hostd_vm_init(struct hostd_vm *vm, const char *name)
{
	memset(vm, 0, sizeof(*vm));
	snprintf(vm->name, sizeof(vm->name), "%s", name);
	vm->state = HOSTD_DOWN;
}

void
hostd_vm_heard(struct hostd_vm *vm, uint64_t heard_ms)
{
	if ((vm->state != HOSTD_BOOTING && vm->state != HOSTD_UP) ||
	    heard_ms < vm->started_ms)
		return;
	if (vm->first_heard_ms == 0)
		vm->first_heard_ms = heard_ms;
	if (heard_ms > vm->last_heard_ms)
		vm->last_heard_ms = heard_ms;
}

bool
hostd_judged_by_age(const struct hostd_timing *t, uint64_t alive_ms)
{
	return alive_ms != 0 && alive_ms <= t->dead_after_ms / 3;
}

void
hostd_vm_listed(struct hostd_vm *vm, const struct hostd_timing *t, uint64_t now,
    uint64_t seen_ago, uint64_t alive_ms)
{
	uint64_t heard = seen_ago > now ? 0 : now - seen_ago;

	if (!hostd_judged_by_age(t, alive_ms) && heard >= vm->started_ms)
		heard = now;
	hostd_vm_heard(vm, heard);
}

static void
set_reason(char *buf, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, HOSTD_REASON_LEN, fmt, ap);
	va_end(ap);
}

/* backoff_ms doubled for each failure in a row after the first, capped. */
static uint64_t
backoff(const struct hostd_timing *t, unsigned in_a_row)
{
	uint64_t d = t->backoff_ms;
	unsigned i;

	for (i = 1; i < in_a_row && d < t->backoff_max_ms; i++)
		d *= 2;
	return d < t->backoff_max_ms ? d : t->backoff_max_ms;
}

/*
 * A failure (a recycle, a stop by itself, a failed start): DOWN until
 * the backoff has passed, or FAILED past max_restarts in a row. The act
 * says what to do now (STOP or GIVE_UP when it may still run).
 */
static struct hostd_act
failure(struct hostd_vm *vm, const struct hostd_timing *t, bool running,
    uint64_t now, const char *why)
{
	struct hostd_act a = {HOSTD_NONE, ""};

	vm->in_a_row++;
	if (vm->in_a_row > t->max_restarts) {
		vm->state = HOSTD_FAILED;
		set_reason(vm->reason, "failed: %s (%u times in a row)", why,
		    vm->in_a_row);
		a.type = HOSTD_GIVE_UP;
	} else {
		vm->state = HOSTD_DOWN;
		vm->next_start_ms = now + backoff(t, vm->in_a_row);
		set_reason(vm->reason, "%s", why);
		a.type = running ? HOSTD_STOP : HOSTD_NONE;
	}
	snprintf(a.reason, sizeof(a.reason), "%s", vm->reason);
	return a;
}

static struct hostd_act
step_running(struct hostd_vm *vm, const struct hostd_timing *t, uint64_t now)
{
	char why[HOSTD_REASON_LEN];

	if (vm->state == HOSTD_BOOTING && vm->first_heard_ms != 0)
		vm->state = HOSTD_UP;
	if (vm->state == HOSTD_BOOTING &&
	    now - vm->started_ms >= t->boot_timeout_ms) {
		snprintf(why, sizeof(why),
		    "its qured not heard within %llu s of the start",
		    (unsigned long long)(t->boot_timeout_ms / 1000));
		return failure(vm, t, true, now, why);
	}
	if (vm->state == HOSTD_UP &&
	    now - vm->last_heard_ms >= t->dead_after_ms) {
		snprintf(why, sizeof(why),
		    "its qured not heard for %llu ms (vm-dead-after)",
		    (unsigned long long)(now - vm->last_heard_ms));
		return failure(vm, t, true, now, why);
	}
	if (vm->state == HOSTD_UP && vm->in_a_row != 0 &&
	    now - vm->first_heard_ms >= t->stable_ms)
		vm->in_a_row = 0;
	return (struct hostd_act){HOSTD_NONE, ""};
}

struct hostd_act
hostd_vm_step(struct hostd_vm *vm, const struct hostd_timing *t, bool running,
    uint64_t now)
{
	struct hostd_act a = {HOSTD_NONE, ""};

	switch (vm->state) {
	case HOSTD_FAILED:
		/* Given up: its stop was asked; a VM still running is
		 * stopped again. */
		if (running)
			a.type = HOSTD_GIVE_UP;
		snprintf(a.reason, sizeof(a.reason), "%s", vm->reason);
		return a;
	case HOSTD_DOWN:
		if (running && vm->starts == 0 && vm->in_a_row == 0) {
			/* Found running as hostd starts: kept, its boot
			 * counted from now. */
			vm->state = HOSTD_BOOTING;
			vm->started_ms = now;
			vm->first_heard_ms = vm->last_heard_ms = 0;
			return a;
		}
		if (running) { /* our stop did not take (yet): again */
			a.type = HOSTD_STOP;
			snprintf(a.reason, sizeof(a.reason),
			    "still running after its stop (%.120s)",
			    vm->reason);
			return a;
		}
		if (now < vm->next_start_ms)
			return a;
		a.type = HOSTD_START;
		snprintf(a.reason, sizeof(a.reason), "%s",
		    vm->reason[0] != '\0' ? vm->reason : "kept (keep)");
		return a;
	case HOSTD_BOOTING:
	case HOSTD_UP:
		if (!running)
			return failure(vm, t, false, now,
			    "it stopped running (the hypervisor says)");
		return step_running(vm, t, now);
	}
	return a;
}

void
hostd_vm_started(struct hostd_vm *vm, const struct hostd_timing *t, bool ok,
    const char *why, uint64_t now)
{
	char reason[HOSTD_REASON_LEN];

	if (vm->state != HOSTD_DOWN)
		return;
	if (!ok) {
		snprintf(reason, sizeof(reason), "start failed: %s", why);
		(void)failure(vm, t, false, now, reason);
		return;
	}
	if (vm->starts++ > 0)
		vm->restarts++;
	vm->state = HOSTD_BOOTING;
	vm->started_ms = now;
	vm->first_heard_ms = vm->last_heard_ms = 0;
}

const char *
hostd_state_name(enum hostd_state s)
{
	switch (s) {
	case HOSTD_DOWN:
		return "down";
	case HOSTD_BOOTING:
		return "booting";
	case HOSTD_UP:
		return "up";
	case HOSTD_FAILED:
		return "failed";
	}
	return "?";
}

/* ---- the drivers' commands ---- */

const char *
hostd_template(enum hostd_driver d, enum hostd_op op)
{
	static const char *const t[][3] = {
	    [HOSTD_VMRUN] = {"vmrun -T player start {vmx} nogui",
		"vmrun -T player stop {vmx} hard", "vmrun -T player list"},
	    [HOSTD_QEMU] = {"qemu-system-x86_64 -name {name} -machine q35 "
			    "-m 512 -nodefaults -display none -daemonize "
			    "-pidfile {pidfile} "
			    "-drive file={disk},if=virtio "
			    "-fw_cfg name=opt/qure/qured.conf,file={conf} "
			    "-fw_cfg name=opt/qure/cluster.key,file={key} "
			    "{args}",
		"", ""},
	    [HOSTD_VIRSH] = {"virsh start {name}", "virsh destroy {name}",
		"virsh domstate {name}"},
	    [HOSTD_COMMAND] = {"", "", ""},
	};

	if ((unsigned)d > HOSTD_COMMAND || (unsigned)op > HOSTD_OP_STATUS)
		return "";
	return t[d][op];
}

static const char *
var(const struct hostd_vars *v, const char *name, size_t len)
{
	static const struct {
		const char *name;
		size_t off;
	} vars[] = {
	    {"name", offsetof(struct hostd_vars, name)},
	    {"vmx", offsetof(struct hostd_vars, vmx)},
	    {"disk", offsetof(struct hostd_vars, disk)},
	    {"image", offsetof(struct hostd_vars, image)},
	    {"pidfile", offsetof(struct hostd_vars, pidfile)},
	    {"conf", offsetof(struct hostd_vars, conf)},
	    {"key", offsetof(struct hostd_vars, key)},
	    {"mac", offsetof(struct hostd_vars, mac)},
	};
	const char *val;
	size_t i;

	for (i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
		if (strlen(vars[i].name) == len &&
		    memcmp(vars[i].name, name, len) == 0) {
			val = *(
			    const char *const *)((const char *)v + vars[i].off);
			return val != NULL ? val : "";
		}
	return NULL; /* unknown */
}

struct out {
	char *buf;
	size_t len, used;
	char **argv;
	int argc;
	char *err;
	size_t errlen;
};

static int
oops(struct out *o, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(o->err, o->errlen, fmt, ap);
	va_end(ap);
	return -1;
}

static int
put(struct out *o, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return oops(o, "a control byte in a command's value");
	if (o->used + n + 1 > o->len)
		return oops(o, "the command is over %zu bytes", o->len - 1);
	memcpy(o->buf + o->used, s, n);
	o->used += n;
	return 0;
}

/* Ends the word under way (begun at start) as argv's next. */
static int
end_word(struct out *o, size_t start)
{
	if (o->argc == HOSTD_ARGV_MAX - 1)
		return oops(o, "over %d words", HOSTD_ARGV_MAX - 1);
	o->buf[o->used++] = '\0';
	o->argv[o->argc++] = o->buf + start;
	return 0;
}

static int put_words(
    struct out *o, const struct hostd_vars *v, const char *text, bool in_args);

/* One word of the template (w, n bytes), its {vars} filled in; {args}
 * alone, outside args, its words. */
static int
put_word(struct out *o, const struct hostd_vars *v, const char *w, size_t n,
    bool in_args)
{
	size_t i = 0, start = o->used, close;
	const char *val;

	if (n == 6 && memcmp(w, "{args}", 6) == 0) {
		if (in_args)
			return oops(o, "{args} in args");
		return put_words(o, v, v->args != NULL ? v->args : "", true);
	}
	while (i < n) {
		if (w[i] != '{') {
			if (w[i] == '}')
				return oops(o, "a '}' without '{' in '%.*s'",
				    (int)n, w);
			if (put(o, w + i++, 1) == -1)
				return -1;
			continue;
		}
		for (close = i + 1; close < n && w[close] != '}'; close++)
			;
		if (close == n)
			return oops(
			    o, "a '{' without '}' in '%.*s'", (int)n, w);
		val = var(v, w + i + 1, close - i - 1);
		if (val == NULL)
			return oops(o,
			    "unknown {%.*s}: expected {name} {vmx} {disk} "
			    "{image} {pidfile} {conf} {key} {mac} {args}",
			    (int)(close - i - 1), w + i + 1);
		if (val[0] == '\0')
			return oops(o, "{%.*s} is empty for this VM",
			    (int)(close - i - 1), w + i + 1);
		if (strpbrk(val, " \t") != NULL)
			return oops(o, "{%.*s} has a space: '%s'",
			    (int)(close - i - 1), w + i + 1, val);
		if (put(o, val, strlen(val)) == -1)
			return -1;
		i = close + 1;
	}
	return end_word(o, start);
}

/* The words of text (split at blanks), each through put_word. */
static int
put_words(
    struct out *o, const struct hostd_vars *v, const char *text, bool in_args)
{
	const char *p = text, *e;

	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0')
			return 0;
		for (e = p; *e != '\0' && *e != ' ' && *e != '\t'; e++)
			;
		if (put_word(o, v, p, (size_t)(e - p), in_args) == -1)
			return -1;
		p = e;
	}
}

int
hostd_expand(const char *tmpl, const struct hostd_vars *v, char *buf,
    size_t len, char *argv[HOSTD_ARGV_MAX], char *err, size_t errlen)
{
	struct out o = {buf, len, 0, argv, 0, err, errlen};

	if (len == 0)
		return oops(&o, "no room");
	if (put_words(&o, v, tmpl, false) == -1)
		return -1;
	if (o.argc == 0)
		return oops(&o, "an empty command");
	argv[o.argc] = NULL;
	return o.argc;
}

void
hostd_mac(const char *name, char buf[18])
{
	uint32_t h = 2166136261u; /* FNV-1a */
	const unsigned char *p;

	for (p = (const unsigned char *)name; *p != '\0'; p++)
		h = (h ^ *p) * 16777619u;
	snprintf(buf, 18, "52:54:00:%02x:%02x:%02x", (unsigned)(h >> 16) & 0xff,
	    (unsigned)(h >> 8) & 0xff, (unsigned)h & 0xff);
}

bool
hostd_vmrun_lists(const char *out, const char *vmx)
{
	size_t n = strlen(vmx);
	const char *line = out, *nl;

	if (n == 0)
		return false;
	for (; *line != '\0'; line = nl + 1) {
		nl = strchr(line, '\n');
		if (nl == NULL)
			nl = line + strlen(line);
		/* The header, "Total running VMs: N", is no path. */
		if ((size_t)(nl - line) >= n && memcmp(line, vmx, n) == 0 &&
		    (line + n == nl || (line[n] == '\r' && line + n + 1 == nl)))
			return true;
		if (*nl == '\0')
			break;
	}
	return false;
}

bool
hostd_virsh_running(const char *out)
{
	size_t n;

	while (*out == ' ' || *out == '\n' || *out == '\r')
		out++;
	n = strcspn(out, " \r\n");
	return n == 7 && memcmp(out, "running", 7) == 0;
}

static const char *const driver_names[] = {
    [HOSTD_VMRUN] = "vmrun",
    [HOSTD_QEMU] = "qemu",
    [HOSTD_VIRSH] = "virsh",
    [HOSTD_COMMAND] = "command",
};

int
hostd_driver_parse(const char *s, enum hostd_driver *d)
{
	size_t i;

	for (i = 0; i < sizeof(driver_names) / sizeof(driver_names[0]); i++)
		if (strcmp(s, driver_names[i]) == 0) {
			*d = (enum hostd_driver)i;
			return 0;
		}
	return -1;
}

const char *
hostd_driver_name(enum hostd_driver d)
{
	return (unsigned)d <= HOSTD_COMMAND ? driver_names[d] : "?";
}
