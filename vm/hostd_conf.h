/*
 * vm/hostd_conf.h — qure-hostd's config file (qure-hostd(8)), parsed
 * from its text: [hostd] (sockets, state dir, timing), one [vm NAME]
 * section per VM or image to keep running, [site] (site settings the
 * manager holds, written to the cluster). Pure: no file I/O.
 */
#ifndef QURE_VM_HOSTD_CONF_H
#define QURE_VM_HOSTD_CONF_H

#include <stddef.h>
#include <stdint.h>

#include "vm/hostd_core.h"

#define HOSTD_VMS_MAX 32  /* [vm] sections */
#define HOSTD_KEEP_MAX 16 /* keep = N */
#define HOSTD_PATH_MAX 255
#define HOSTD_SITE_MAX 64     /* [site] keys */
#define HOSTD_SITE_VALUE 1024 /* a site setting's value (their limit) */
#define HOSTD_VM_NAME_MAX 40  /* instances add "-N" */

struct hostd_vm_conf {
	char name[HOSTD_VM_NAME_MAX + 1];
	enum hostd_driver driver;
	char vmx[HOSTD_PATH_MAX + 1];	/* vmrun */
	char image[HOSTD_PATH_MAX + 1]; /* qemu: an overlay per instance */
	char disk[HOSTD_PATH_MAX + 1];	/* qemu: this disk, one VM */
	char conf[HOSTD_PATH_MAX + 1];	/* qemu: a qured.conf fragment */
	char args[HOSTD_CMD_LEN];	/* extra hypervisor words */
	/* The commands; the driver's own templates when empty (command:
	 * all three required). */
	char start[HOSTD_CMD_LEN], stop[HOSTD_CMD_LEN], status[HOSTD_CMD_LEN];
	unsigned keep;
	int line;	 /* of its section's first key */
	int driver_line; /* 0: no driver = line */
};

struct hostd_site {
	char key[128];
	char value[HOSTD_SITE_VALUE + 1];
};

struct hostd_conf {
	char socket[HOSTD_PATH_MAX + 1];       /* its control socket */
	char qured_socket[HOSTD_PATH_MAX + 1]; /* the local observer's */
	char state_dir[HOSTD_PATH_MAX + 1];    /* overlays, pidfiles */
	char key_file[HOSTD_PATH_MAX + 1];     /* the cluster key, for VMs */
	struct hostd_timing timing;
	uint64_t command_timeout_ms;
	struct hostd_vm_conf vm[HOSTD_VMS_MAX];
	size_t nvm;
	struct hostd_site site[HOSTD_SITE_MAX];
	size_t nsite;
};

/*
 * Parses text (read from path, named in errors) into c: 0, or -1 with
 * one line in err ("path:line: [section] key: what is wrong, what is
 * expected"): an unknown section or key, a bad duration, number, driver
 * or name, a [vm] without what its driver needs, two sections of one
 * name, too many.
 */
int hostd_conf_parse(const char *text, const char *path, struct hostd_conf *c,
    char *err, size_t errlen);

/* The instances of v: keep = 1 is NAME, else NAME-1 .. NAME-keep. */
void hostd_instance_name(
    const struct hostd_vm_conf *v, unsigned i, char *buf, size_t len);

/* "10s", "500ms", "2m", "1h" into *ms: 0, or -1. */
int hostd_parse_ms(const char *s, uint64_t *ms);

#endif
