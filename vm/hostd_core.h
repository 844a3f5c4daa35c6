/*
 * vm/hostd_core.h — qure-hostd's pure core (issue 12 item 3): for each VM
 * it keeps, what to do next, from what the hypervisor says (running or
 * not), when the VM's qured was last heard in the cluster, and the
 * results of the commands the edge ran. No I/O, no clock: time comes in
 * as milliseconds.
 *
 * A VM goes DOWN -> BOOTING (started) -> UP (its qured heard) and back:
 *  - DOWN: started when its backoff allows (START);
 *  - BOOTING: recycled (STOP, then a START after the backoff) when its
 *    qured is not heard within boot_timeout_ms of the start: a VM still
 *    booting is never recycled for silence;
 *  - UP: recycled when its qured has not been heard for dead_after_ms,
 *    counted from the last time it was heard;
 *  - a VM that stops running by itself (killed, crashed) is started
 *    again, after the backoff.
 * Each recycle or stop without a stable run between counts a failure:
 * the backoff doubles from backoff_ms up to backoff_max_ms, and after
 * max_restarts failures in a row the VM is FAILED (GIVE_UP: stopped, not
 * started again) so a broken image does not loop for ever. A VM up for
 * stable_ms has its failures forgotten.
 */
#ifndef QURE_VM_HOSTD_CORE_H
#define QURE_VM_HOSTD_CORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HOSTD_NAME_MAX 63
#define HOSTD_REASON_LEN 160

struct hostd_timing {
	uint64_t dead_after_ms;	  /* [hostd] vm-dead-after: 10 s */
	uint64_t boot_timeout_ms; /* [hostd] vm-boot-timeout: 120 s */
	uint64_t backoff_ms;	  /* the first restart's delay: 1 s */
	uint64_t backoff_max_ms;  /* the delay's cap: 300 s */
	uint64_t stable_ms;	  /* up this long: failures forgotten */
	unsigned max_restarts;	  /* failures in a row, then FAILED */
};

/* The defaults above (stable: 600 s; max_restarts: 5). */
void hostd_timing_default(struct hostd_timing *t);

enum hostd_state {
	HOSTD_DOWN,
	HOSTD_BOOTING,
	HOSTD_UP,
	HOSTD_FAILED,
};

struct hostd_vm {
	char name[HOSTD_NAME_MAX + 1];
	enum hostd_state state;
	uint64_t started_ms;	 /* the last successful START */
	uint64_t first_heard_ms; /* since then; 0: not yet */
	uint64_t last_heard_ms;
	uint64_t next_start_ms; /* DOWN: not started before */
	unsigned starts;	/* successful STARTs, in all */
	unsigned restarts;	/* of them, after a failure or recycle */
	unsigned in_a_row;	/* failures since the last stable run */
	/* Why it was last started again, stopped or given up ("": never). */
	char reason[HOSTD_REASON_LEN];
};

enum hostd_act_type {
	HOSTD_NONE,
	HOSTD_START,   /* run the driver's start command */
	HOSTD_STOP,    /* its hard stop (a recycle: a START follows) */
	HOSTD_GIVE_UP, /* its hard stop; FAILED, not started again */
};

struct hostd_act {
	enum hostd_act_type type;
	char reason[HOSTD_REASON_LEN];
};

void hostd_vm_init(struct hostd_vm *vm, const char *name);

/* Its qured was heard at heard_ms (the members' list: now - last seen).
 * Ignored when it was before the last start (the previous boot's). */
void hostd_vm_heard(struct hostd_vm *vm, uint64_t heard_ms);

/*
 * Whether a member's last-seen age tells if it is alive within
 * t->dead_after_ms: only when it speaks at least three times in that
 * span, i.e. sends ALIVEs (alive_ms, its HELLO's) that often. One that
 * sends none speaks only every hello-interval (10 s by default, as long
 * as vm-dead-after), so its age is no sign of death.
 */
bool hostd_judged_by_age(const struct hostd_timing *t, uint64_t alive_ms);

/*
 * The local observer lists the VM's qured, last heard seen_ago ms before
 * now, sending ALIVEs every alive_ms (0: none). Judged by age (above):
 * heard then. Otherwise heard now, while it is listed (the cluster drops
 * a member after three silent hello-intervals, and vm-dead-after counts
 * from then), once it was heard since the last start: a listing of the
 * previous boot, still within its expiry, does not make a new boot up.
 */
void hostd_vm_listed(struct hostd_vm *vm, const struct hostd_timing *t,
    uint64_t now, uint64_t seen_ago, uint64_t alive_ms);

/* What to do now, given whether the hypervisor says it runs. The edge
 * steps a VM only while no command of it is under way. */
struct hostd_act hostd_vm_step(struct hostd_vm *vm,
    const struct hostd_timing *t, bool running, uint64_t now);

/* The edge ran START: ok, or failed (why: the command's error). */
void hostd_vm_started(struct hostd_vm *vm, const struct hostd_timing *t,
    bool ok, const char *why, uint64_t now);

/* "down", "booting", "up", "failed". */
const char *hostd_state_name(enum hostd_state s);

/* ---- the drivers' commands ---- */

enum hostd_driver {
	HOSTD_VMRUN,   /* VMware Workstation Player / Fusion */
	HOSTD_QEMU,    /* qemu-system-x86_64 -daemonize */
	HOSTD_VIRSH,   /* libvirt */
	HOSTD_COMMAND, /* the [vm] section's own start, stop, status */
};

enum hostd_op { HOSTD_OP_START, HOSTD_OP_STOP, HOSTD_OP_STATUS };

#define HOSTD_ARGV_MAX 64
#define HOSTD_CMD_LEN 1024

/* What a command template may name: {name} {vmx} {disk} {image}
 * {pidfile} {conf} {key} {mac} {args} (args: the [vm] args, split into
 * words, which may name the others; key: the cluster key file, given to
 * qemu's guests by fw_cfg; mac: hostd_mac()). */
struct hostd_vars {
	const char *name, *vmx, *disk, *image, *pidfile, *conf, *key, *mac;
	const char *args;
};

/* A MAC address for the VM called name, the same on every run and
 * unlike its siblings': 52:54:00 (qemu's) and 3 bytes of a hash of the
 * name, in buf (18 bytes). */
void hostd_mac(const char *name, char buf[18]);

/* The template of op for driver ("": none, e.g. qemu's STOP is a signal
 * to the pid in its pidfile, its STATUS that pid being qemu). */
const char *hostd_template(enum hostd_driver d, enum hostd_op op);

/*
 * Expands tmpl with v into argv (no shell: words split at spaces, {args}
 * its own words), in buf. Returns the word count, or -1 with err: an
 * unknown {name}, a variable empty where it is used, too many words, too
 * long, a control byte.
 */
int hostd_expand(const char *tmpl, const struct hostd_vars *v, char *buf,
    size_t len, char *argv[HOSTD_ARGV_MAX], char *err, size_t errlen);

/* Whether `vmrun list`'s output names vmx ("Total running VMs: N" then
 * one path a line). */
bool hostd_vmrun_lists(const char *out, const char *vmx);

/* Whether `virsh domstate`'s output says it runs ("running"). */
bool hostd_virsh_running(const char *out);

/* "vmrun", "qemu", "virsh", "command" into *d: 0, or -1. */
int hostd_driver_parse(const char *s, enum hostd_driver *d);
const char *hostd_driver_name(enum hostd_driver d);

#endif
