/*
 * src/qurectl_kv.h — `qurectl kv`: the seeds' cache API from the shell
 * (issue 11 item 3), through libqure. qurectl finds the member to ask
 * and the password; this runs the command.
 */
#ifndef QURE_QURECTL_KV_H
#define QURE_QURECTL_KV_H

#include <stdint.h>

struct status;

struct kv_opts {
	const char *host;	   /* any member's address */
	uint16_t port;		   /* its site cache's; 0: libqure's default */
	const char *password_file; /* NULL: no password */
	/* The local qured's status, to name members in node-id's output;
	 * NULL when none answered. */
	const struct status *st;
};

/* Runs argv ("set", KEY, VALUE...) and returns the exit status: 0, 1
 * (an error, said on stderr in one line), 2 (no such key). */
int kv_main(const struct kv_opts *, int argc, char **argv);

#endif
