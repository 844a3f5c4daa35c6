/*
 * vm/hostd_conf.c — qure-hostd's config file (vm/hostd_conf.h).
 */
#include "config.h"

#include "vm/hostd_conf.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ini.h>

struct parse {
	struct hostd_conf *c;
	const char *path;
	char *err;
	size_t errlen;
	bool failed;
	bool in_section; /* p->section names the section under way */
	int fail_line;
	char section[HOSTD_VM_NAME_MAX + 8];
	struct hostd_vm_conf *vm; /* [vm NAME] under way */
	const char *next;	  /* the text not read yet */
	int lineno;		  /* of the line inih has */
};

/* inih's reader: one line of the text, its number kept (this inih's
 * handler is not told it). Leading blanks go: an indented line is a
 * key, never a continuation. A line longer than inih's buffer fails. */
static char *
read_line(char *str, int num, void *stream)
{
	struct parse *p = stream;
	const char *s = p->next, *e;
	size_t n;

	if (p->failed || *s == '\0' || num < 2)
		return NULL;
	e = strchr(s, '\n');
	p->next = e != NULL ? e + 1 : s + strlen(s);
	if (e == NULL)
		e = s + strlen(s);
	while (s < e && (*s == ' ' || *s == '\t'))
		s++;
	n = (size_t)(e - s);
	p->lineno++;
	if (n >= (size_t)num - 1) {
		snprintf(p->err, p->errlen, "%s:%d: a line over %d bytes",
		    p->path, p->lineno, num - 2);
		p->fail_line = p->lineno;
		p->failed = true;
		return NULL;
	}
	memcpy(str, s, n);
	str[n] = '\0';
	return str;
}

static int
bad(struct parse *p, int line, const char *key, const char *fmt, ...)
{
	char what[320];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (!p->failed) {
		snprintf(p->err, p->errlen, "%s:%d: [%s]%s%s: %s", p->path,
		    line, p->section, key[0] != '\0' ? " " : "", key, what);
		p->fail_line = line;
	}
	p->failed = true;
	return 0; /* stop */
}

int
hostd_parse_ms(const char *s, uint64_t *ms)
{
	char *end;
	unsigned long long v;

	if (!isdigit((unsigned char)s[0]))
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || v > 86400000ull)
		return -1;
	if (strcmp(end, "ms") == 0)
		*ms = v;
	else if (strcmp(end, "s") == 0)
		*ms = v * 1000;
	else if (strcmp(end, "m") == 0)
		*ms = v * 60000;
	else if (strcmp(end, "h") == 0)
		*ms = v * 3600000;
	else
		return -1;
	return 0;
}

static int
set_path(struct parse *p, int line, const char *key, const char *v, char *dst)
{
	if (v[0] != '/' || strlen(v) > HOSTD_PATH_MAX)
		return bad(p, line, key,
		    "'%s': expected an absolute path of at most %d bytes", v,
		    HOSTD_PATH_MAX);
	snprintf(dst, HOSTD_PATH_MAX + 1, "%s", v);
	return 1;
}

static int
set_ms(struct parse *p, int line, const char *key, const char *v, uint64_t min,
    uint64_t *dst)
{
	if (hostd_parse_ms(v, dst) == -1 || *dst < min)
		return bad(p, line, key,
		    "'%s': expected a duration of at least %llu ms "
		    "(e.g. 10s, 500ms, 2m)",
		    v, (unsigned long long)min);
	return 1;
}

static int
on_hostd(struct parse *p, int line, const char *key, const char *v)
{
	struct hostd_conf *c = p->c;
	char *end;
	unsigned long n;

	if (strcmp(key, "socket") == 0)
		return set_path(p, line, key, v, c->socket);
	if (strcmp(key, "qured-socket") == 0)
		return set_path(p, line, key, v, c->qured_socket);
	if (strcmp(key, "state-dir") == 0)
		return set_path(p, line, key, v, c->state_dir);
	if (strcmp(key, "key-file") == 0)
		return set_path(p, line, key, v, c->key_file);
	if (strcmp(key, "vm-dead-after") == 0)
		return set_ms(p, line, key, v, 1000, &c->timing.dead_after_ms);
	if (strcmp(key, "vm-boot-timeout") == 0)
		return set_ms(
		    p, line, key, v, 1000, &c->timing.boot_timeout_ms);
	if (strcmp(key, "backoff-max") == 0)
		return set_ms(p, line, key, v, 1000, &c->timing.backoff_max_ms);
	if (strcmp(key, "command-timeout") == 0)
		return set_ms(p, line, key, v, 100, &c->command_timeout_ms);
	if (strcmp(key, "max-restarts") == 0) {
		n = strtoul(v, &end, 10);
		if (!isdigit((unsigned char)v[0]) || *end != '\0' || n < 1 ||
		    n > 1000)
			return bad(p, line, key, "'%s': expected 1 to 1000", v);
		c->timing.max_restarts = (unsigned)n;
		return 1;
	}
	return bad(p, line, key,
	    "unknown key, expected one of socket, qured-socket, state-dir, "
	    "key-file, vm-dead-after, vm-boot-timeout, command-timeout, "
	    "max-restarts, "
	    "backoff-max");
}

static int
set_text(struct parse *p, int line, const char *key, const char *v, char *dst,
    size_t len)
{
	const char *s;

	if (strlen(v) >= len)
		return bad(p, line, key, "over %zu bytes", len - 1);
	for (s = v; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return bad(p, line, key, "a control byte");
	snprintf(dst, len, "%s", v);
	return 1;
}

static int
on_vm(struct parse *p, int line, const char *key, const char *v)
{
	struct hostd_vm_conf *vm = p->vm;
	char *end;
	unsigned long n;

	if (strcmp(key, "driver") == 0) {
		if (hostd_driver_parse(v, &vm->driver) == -1)
			return bad(p, line, key,
			    "'%s': expected vmrun, qemu, virsh or command", v);
		vm->driver_line = line;
		return 1;
	}
	if (strcmp(key, "vmx") == 0)
		return set_path(p, line, key, v, vm->vmx);
	if (strcmp(key, "image") == 0)
		return set_path(p, line, key, v, vm->image);
	if (strcmp(key, "disk") == 0)
		return set_path(p, line, key, v, vm->disk);
	if (strcmp(key, "conf") == 0)
		return set_path(p, line, key, v, vm->conf);
	if (strcmp(key, "args") == 0)
		return set_text(p, line, key, v, vm->args, sizeof(vm->args));
	if (strcmp(key, "start") == 0)
		return set_text(p, line, key, v, vm->start, sizeof(vm->start));
	if (strcmp(key, "stop") == 0)
		return set_text(p, line, key, v, vm->stop, sizeof(vm->stop));
	if (strcmp(key, "status") == 0)
		return set_text(
		    p, line, key, v, vm->status, sizeof(vm->status));
	if (strcmp(key, "keep") == 0) {
		n = strtoul(v, &end, 10);
		if (!isdigit((unsigned char)v[0]) || *end != '\0' || n < 1 ||
		    n > HOSTD_KEEP_MAX)
			return bad(p, line, key, "'%s': expected 1 to %d", v,
			    HOSTD_KEEP_MAX);
		vm->keep = (unsigned)n;
		return 1;
	}
	return bad(p, line, key,
	    "unknown key, expected one of driver, vmx, image, disk, conf, "
	    "args, keep, start, stop, status");
}

static int
on_site(struct parse *p, int line, const char *key, const char *v)
{
	struct hostd_site *s;

	if (p->c->nsite == HOSTD_SITE_MAX)
		return bad(
		    p, line, key, "over %d site settings", HOSTD_SITE_MAX);
	s = &p->c->site[p->c->nsite];
	if (strlen(key) >= sizeof(s->key))
		return bad(
		    p, line, key, "a key over %zu bytes", sizeof(s->key) - 1);
	snprintf(s->key, sizeof(s->key), "%s", key);
	if (set_text(p, line, key, v, s->value, sizeof(s->value)) == 0)
		return 0;
	p->c->nsite++;
	return 1;
}

/* A VM's name: letters, digits, '.', '_', '-'; it names files and the
 * VM's qured. */
static bool
good_name(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > HOSTD_VM_NAME_MAX || s[0] == '-' || s[0] == '.')
		return false;
	for (; *s != '\0'; s++)
		if (!isalnum((unsigned char)*s) && *s != '.' && *s != '_' &&
		    *s != '-')
			return false;
	return true;
}

static int
new_section(struct parse *p, int line, const char *section)
{
	size_t i;

	snprintf(p->section, sizeof(p->section), "%.*s",
	    (int)sizeof(p->section) - 1, section);
	p->vm = NULL;
	p->in_section = true;
	if (strcmp(section, "hostd") == 0 || strcmp(section, "site") == 0)
		return 1;
	if (strncmp(section, "vm ", 3) != 0)
		return bad(p, line, "",
		    "unknown section, expected [hostd], [vm NAME] or [site]");
	section += 3;
	if (!good_name(section))
		return bad(p, line, "",
		    "'%s': a VM's name is 1 to %d letters, digits, '.', "
		    "'_' or '-', not first '-' or '.'",
		    section, HOSTD_VM_NAME_MAX);
	for (i = 0; i < p->c->nvm; i++)
		if (strcmp(p->c->vm[i].name, section) == 0)
			return bad(p, line, "",
			    "a second [vm %s] (the first "
			    "on line %d)",
			    section, p->c->vm[i].line);
	if (p->c->nvm == HOSTD_VMS_MAX)
		return bad(p, line, "", "over %d [vm] sections", HOSTD_VMS_MAX);
	p->vm = &p->c->vm[p->c->nvm++];
	memset(p->vm, 0, sizeof(*p->vm));
	snprintf(p->vm->name, sizeof(p->vm->name), "%s", section);
	p->vm->keep = 1;
	p->vm->line = line;
	return 1;
}

static int
on_kv(void *user, const char *section, const char *key, const char *value)
{
	struct parse *p = user;
	int line = p->lineno;

	if (p->failed)
		return 0;
	/* inih calls for keys only: a section is new at its first key. */
	if ((!p->in_section || strcmp(p->section, section) != 0) &&
	    new_section(p, line, section) == 0)
		return 0;
	if (strcmp(section, "hostd") == 0)
		return on_hostd(p, line, key, value);
	if (strcmp(section, "site") == 0)
		return on_site(p, line, key, value);
	return on_vm(p, line, key, value);
}

/* What each driver needs, and keep's limits. */
static int
check_vm(struct parse *p, const struct hostd_vm_conf *v)
{
	snprintf(p->section, sizeof(p->section), "vm %s", v->name);
	if (v->driver_line == 0)
		return bad(p, v->line, "driver",
		    "missing: vmrun, qemu, virsh or command");
	switch (v->driver) {
	case HOSTD_VMRUN:
		if (v->vmx[0] == '\0')
			return bad(p, v->line, "vmx", "missing: the VM's .vmx");
		if (v->keep != 1)
			return bad(p, v->line, "keep",
			    "1 with vmrun: one .vmx is one VM (copy it into a "
			    "section each)");
		break;
	case HOSTD_QEMU:
		if ((v->image[0] == '\0') == (v->disk[0] == '\0'))
			return bad(p, v->line, "image",
			    "give image (an overlay of it per VM) or disk, "
			    "not both");
		if (v->disk[0] != '\0' && v->keep != 1)
			return bad(p, v->line, "keep",
			    "1 with disk (keep = N wants image)");
		break;
	case HOSTD_VIRSH:
		if (v->keep != 1)
			return bad(p, v->line, "keep",
			    "1 with virsh: the section names one domain");
		break;
	case HOSTD_COMMAND:
		if (v->start[0] == '\0' || v->stop[0] == '\0' ||
		    v->status[0] == '\0')
			return bad(p, v->line, "start",
			    "driver command needs start, stop and status");
		break;
	}
	return 1;
}

static void
defaults(struct hostd_conf *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->socket, sizeof(c->socket), "/run/qure-hostd/hostd.sock");
	snprintf(
	    c->qured_socket, sizeof(c->qured_socket), "/run/qured/qured.sock");
	snprintf(c->state_dir, sizeof(c->state_dir), "/var/lib/qure-hostd");
	snprintf(c->key_file, sizeof(c->key_file), "/etc/qured/cluster.key");
	hostd_timing_default(&c->timing);
	c->command_timeout_ms = 30000;
}

int
hostd_conf_parse(const char *text, const char *path, struct hostd_conf *c,
    char *err, size_t errlen)
{
	struct parse p = {
	    c, path, err, errlen, false, false, 0, "", NULL, text, 0};
	size_t i;
	int rc;

	defaults(c);
	rc = ini_parse_stream(read_line, &p, on_kv, &p);
	/* inih goes on after a bad line and returns the first error's line:
	 * a syntax error before ours is said instead. */
	if (p.failed && (rc <= 0 || rc == p.fail_line))
		return -1;
	if (rc != 0) {
		snprintf(err, errlen,
		    "%s:%d: not INI (expected [section] and key = value lines)",
		    path, rc);
		return -1;
	}
	for (i = 0; i < c->nvm; i++)
		if (check_vm(&p, &c->vm[i]) == 0)
			return -1;
	return 0;
}

void
hostd_instance_name(
    const struct hostd_vm_conf *v, unsigned i, char *buf, size_t len)
{
	if (v->keep == 1)
		snprintf(buf, len, "%s", v->name);
	else
		snprintf(buf, len, "%s-%u", v->name, i + 1);
}
