/*
 * src/qurectl_kv.c — qurectl kv (src/qurectl_kv.h): each subcommand is
 * one libqure call and its output, text or --json.
 */
#include "config.h"

#include "src/qurectl_kv.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "libqure/qure.h"
#include "src/status.h"

#define KV_VALUE_MAX (512u * 1024 * 1024) /* Redis's largest string */
#define KV_PASSWORD_MAX 256

struct kv {
	const struct kv_opts *o;
	struct qure *q;
	bool json;
};

static int
kv_fail(const char *cmd, const char *what)
{
	fprintf(stderr, "qurectl: kv %s: %s\n", cmd, what);
	return 1;
}

/* The first line of the password file, into pw. */
static int
read_password(const char *path, char pw[KV_PASSWORD_MAX + 1])
{
	FILE *fp = fopen(path, "r");
	size_t n;

	if (fp == NULL) {
		fprintf(stderr,
		    "qurectl: kv: cannot read the site cache's password %s: "
		    "%s (run as root, or give -P FILE)\n",
		    path, strerror(errno));
		return -1;
	}
	n = fread(pw, 1, KV_PASSWORD_MAX, fp);
	fclose(fp);
	pw[n] = '\0';
	pw[strcspn(pw, "\r\n")] = '\0';
	return 0;
}

/* Keys are text: a control byte in one is a mistake, not a key. */
static bool
key_ok(const char *cmd, const char *key)
{
	const unsigned char *p;

	for (p = (const unsigned char *)key; *p != '\0'; p++)
		if (*p < 0x20 || *p == 0x7f) {
			fprintf(stderr,
			    "qurectl: kv %s: the key holds a control byte "
			    "(0x%02x): keys are text\n",
			    cmd, *p);
			return false;
		}
	return true;
}

/* VALUE, or with "-" all of standard input (kept as it is). */
static char *
read_value(const char *arg, size_t *len)
{
	size_t cap = 4096, n = 0, got;
	char *v;

	if (strcmp(arg, "-") != 0) {
		*len = strlen(arg);
		return strdup(arg);
	}
	if ((v = malloc(cap)) == NULL)
		return NULL;
	while ((got = fread(v + n, 1, cap - n, stdin)) > 0) {
		n += got;
		if (n == cap) {
			char *bigger;

			if (cap >= KV_VALUE_MAX ||
			    (bigger = realloc(v, cap * 2)) == NULL) {
				free(v);
				return NULL;
			}
			v = bigger;
			cap *= 2;
		}
	}
	if (ferror(stdin)) {
		free(v);
		return NULL;
	}
	*len = n;
	return v;
}

static void
print_json(json_t *o)
{
	char *s = json_dumps(o, JSON_COMPACT);

	if (s != NULL)
		printf("%s\n", s);
	free(s);
	json_decref(o);
}

static void
print_ok(const struct kv *kv)
{
	if (kv->json)
		print_json(json_pack("{s:b}", "ok", 1));
}

/* The name of the member whose address is host ("" when unknown). */
static const char *
member_of(const struct status *st, const char *addr)
{
	char host[STATUS_ADDR_LEN];
	const char *colon = strrchr(addr, ':');
	size_t i, k, len = colon ? (size_t)(colon - addr) : strlen(addr);

	if (st == NULL || len >= sizeof(host))
		return "";
	if (addr[0] == '[' && len >= 2) { /* [v6]:port */
		addr++;
		len -= 2;
	}
	memcpy(host, addr, len);
	host[len] = '\0';
	if (strcmp(st->store.address, host) == 0)
		return st->node.name;
	for (i = 0; i < st->n_members; i++)
		for (k = 0; k < st->members[i].n_addrs; k++)
			if (strcmp(st->members[i].addrs[k], host) == 0)
				return st->members[i].name;
	return "";
}

static int
do_write(struct kv *kv, const char *cmd, int argc, char **argv)
{
	char *value;
	size_t len;
	int rc;

	if (argc != 3)
		return kv_fail(
		    cmd, "wrong arguments: KEY VALUE|- (see qurectl -h)");
	if (!key_ok(cmd, argv[1]))
		return 1;
	if ((value = read_value(argv[2], &len)) == NULL)
		return kv_fail(cmd, "cannot read the value (standard input "
				    "unreadable, or over 512 MiB)");
	rc = strcmp(cmd, "set") == 0 ? qure_set(kv->q, argv[1], value, len)
				     : qure_append(kv->q, argv[1], value, len);
	free(value);
	if (rc != QURE_OK)
		return kv_fail(cmd, qure_error(kv->q));
	print_ok(kv);
	return 0;
}

static json_t *
value_json(const char *key, const char *v, size_t len)
{
	json_t *s = json_stringn(v, len);

	if (s != NULL)
		return json_pack("{s:s,s:o}", "key", key, "value", s);
	/* Not UTF-8: JSON cannot carry it as a string. */
	return json_pack("{s:s,s:n,s:b}", "key", key, "value", "binary", 1);
}

static int
do_get(struct kv *kv, int argc, char **argv)
{
	char *v;
	size_t len;
	int rc;

	if (argc != 2)
		return kv_fail("get", "wrong arguments: KEY (see qurectl -h)");
	if (!key_ok("get", argv[1]))
		return 1;
	rc = qure_get(kv->q, argv[1], &v, &len);
	if (rc == QURE_NO_KEY) {
		fprintf(stderr, "qurectl: kv get: %s\n", qure_error(kv->q));
		return 2;
	}
	if (rc != QURE_OK)
		return kv_fail("get", qure_error(kv->q));
	if (kv->json)
		print_json(value_json(argv[1], v, len));
	else if (fwrite(v, 1, len, stdout) != len || putchar('\n') == EOF)
		rc = kv_fail("get", "cannot write to standard output");
	free(v);
	return rc;
}

static int
do_del(struct kv *kv, int argc, char **argv)
{
	int rc;

	if (argc != 2)
		return kv_fail("del", "wrong arguments: KEY (see qurectl -h)");
	if (!key_ok("del", argv[1]))
		return 1;
	rc = qure_del(kv->q, argv[1]);
	if (rc == QURE_NO_KEY) {
		fprintf(stderr, "qurectl: kv del: %s\n", qure_error(kv->q));
		return 2;
	}
	if (rc != QURE_OK)
		return kv_fail("del", qure_error(kv->q));
	print_ok(kv);
	return 0;
}

static int
list_cb(void *arg, const char *key, size_t len)
{
	json_t *keys = arg;

	if (keys != NULL) {
		json_t *s = json_stringn(key, len); /* NULL: not UTF-8 */

		if (s != NULL)
			json_array_append_new(keys, s);
		return 0;
	}
	return fwrite(key, 1, len, stdout) != len || putchar('\n') == EOF;
}

static int
do_list(struct kv *kv, int argc, char **argv)
{
	json_t *keys = kv->json ? json_array() : NULL;
	int rc;

	if (argc > 2)
		return kv_fail(
		    "list", "wrong arguments: [PATTERN] (see qurectl -h)");
	rc = qure_list(kv->q, argc == 2 ? argv[1] : NULL, list_cb, keys);
	if (rc != QURE_OK) {
		json_decref(keys);
		return kv_fail("list", qure_error(kv->q));
	}
	if (keys != NULL)
		print_json(json_pack("{s:o}", "keys", keys));
	return 0;
}

static int
do_init(struct kv *kv, int argc, char **argv)
{
	int i;

	if (argc < 2)
		return kv_fail(
		    "init", "wrong arguments: ID... (see qurectl -h)");
	for (i = 1; i < argc; i++)
		if (!key_ok("init", argv[i]))
			return 1;
	if (qure_init(kv->q, (const char *const *)argv + 1, (size_t)argc - 1) !=
	    QURE_OK)
		return kv_fail("init", qure_error(kv->q));
	print_ok(kv);
	return 0;
}

static int
do_nodes(struct kv *kv, const char *cmd, int argc, char **argv)
{
	char addrs[8][QURE_ADDR_MAX];
	bool one = strcmp(cmd, "node-id") == 0;
	json_t *list;
	size_t n, i;

	if (argc != 2)
		return kv_fail(cmd, "wrong arguments: KEY (see qurectl -h)");
	if (!key_ok(cmd, argv[1]))
		return 1;
	if (qure_node_ids(kv->q, argv[1], addrs, one ? 1 : 8, &n) != QURE_OK)
		return kv_fail(cmd, qure_error(kv->q));
	if (!kv->json) {
		for (i = 0; i < n; i++) {
			const char *m = member_of(kv->o->st, addrs[i]);

			printf("%s%s%s%s\n", addrs[i], m[0] ? " " : "", m,
			    one || i == 0 ? "" : " (replica)");
		}
		return 0;
	}
	list = json_array();
	for (i = 0; i < n; i++) {
		const char *m = member_of(kv->o->st, addrs[i]);

		json_array_append_new(
		    list, json_pack("{s:s,s:s?,s:s}", "node", addrs[i],
			      "member", m[0] ? m : NULL, "role",
			      i == 0 ? "master" : "replica"));
	}
	if (one) {
		json_t *first = json_incref(json_array_get(list, 0));

		json_decref(list);
		print_json(json_pack("{s:s,s:i,s:o}", "key", argv[1], "slot",
		    (int)qure_slot(argv[1], strlen(argv[1])), "node", first));
	} else {
		print_json(json_pack("{s:s,s:i,s:o}", "key", argv[1], "slot",
		    (int)qure_slot(argv[1], strlen(argv[1])), "nodes", list));
	}
	return 0;
}

static int
dispatch(struct kv *kv, int argc, char **argv)
{
	const char *cmd = argv[0];

	if (strcmp(cmd, "set") == 0 || strcmp(cmd, "append") == 0)
		return do_write(kv, cmd, argc, argv);
	if (strcmp(cmd, "get") == 0)
		return do_get(kv, argc, argv);
	if (strcmp(cmd, "del") == 0)
		return do_del(kv, argc, argv);
	if (strcmp(cmd, "list") == 0)
		return do_list(kv, argc, argv);
	if (strcmp(cmd, "init") == 0)
		return do_init(kv, argc, argv);
	if (strcmp(cmd, "node-id") == 0 || strcmp(cmd, "node-ids") == 0)
		return do_nodes(kv, cmd, argc, argv);
	fprintf(stderr,
	    "qurectl: kv: unknown command \"%s\" (see qurectl -h)\n", cmd);
	return 1;
}

static bool
is_command(const char *cmd)
{
	static const char *const cmds[] = {"set", "append", "get", "del",
	    "list", "init", "node-id", "node-ids"};
	size_t i;

	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (strcmp(cmd, cmds[i]) == 0)
			return true;
	return false;
}

int
kv_main(const struct kv_opts *o, int argc, char **argv)
{
	struct kv kv = {.o = o};
	char pw[KV_PASSWORD_MAX + 1], err[320];
	int rc;

	if (argc > 0 && strcmp(argv[argc - 1], "--json") == 0) {
		kv.json = true;
		argc--;
	}
	if (argc == 0 || !is_command(argv[0])) {
		fprintf(stderr, "qurectl: kv: %s (see qurectl -h)\n",
		    argc == 0 ? "no command" : "unknown command");
		return 1;
	}
	if (o->password_file != NULL && read_password(o->password_file, pw) < 0)
		return 1;
	kv.q = qure_open(&(struct qure_opts){.host = o->host,
			     .port = o->port,
			     .password = o->password_file ? pw : NULL},
	    err, sizeof(err));
	memset(pw, 0, sizeof(pw));
	if (kv.q == NULL)
		return kv_fail(argv[0], err);
	rc = dispatch(&kv, argc, argv);
	qure_close(kv.q);
	return rc;
}
