/*
 * src/redis_sup_core.c — the pure half of src/redis_sup.h: the password,
 * an instance's redis.conf, its argv, the restart backoff.
 */
#include "config.h"

#include "src/redis_sup.h"

#include <arpa/inet.h>

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>

#define PASSWORD_INFO "qure redis password v1"

int
redis_sup_password(const uint8_t key[32], char out[REDIS_SUP_PASSWORD_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_HKDF, NULL);
	uint8_t okm[REDIS_SUP_PASSWORD_LEN / 2];
	size_t len = sizeof(okm), i;
	int rc = -1;

	out[0] = '\0';
	if (ctx == NULL || EVP_PKEY_derive_init(ctx) <= 0 ||
	    EVP_PKEY_CTX_set_hkdf_md(ctx, EVP_sha256()) <= 0 ||
	    EVP_PKEY_CTX_set1_hkdf_key(ctx, key, 32) <= 0 ||
	    EVP_PKEY_CTX_add1_hkdf_info(ctx,
		(const unsigned char *)PASSWORD_INFO,
		(int)strlen(PASSWORD_INFO)) <= 0 ||
	    EVP_PKEY_derive(ctx, okm, &len) <= 0 || len != sizeof(okm))
		goto out;
	for (i = 0; i < sizeof(okm); i++) {
		out[2 * i] = hex[okm[i] >> 4];
		out[2 * i + 1] = hex[okm[i] & 0x0f];
	}
	out[REDIS_SUP_PASSWORD_LEN] = '\0';
	rc = 0;
out:
	OPENSSL_cleanse(okm, sizeof(okm));
	EVP_PKEY_CTX_free(ctx);
	return rc;
}

/* Appends to a buffer; remembers that something did not fit. */
struct text {
	char *buf;
	size_t len, used;
	bool full;
};

static void add(struct text *t, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
add(struct text *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (t->full)
		return;
	va_start(ap, fmt);
	n = vsnprintf(t->buf + t->used, t->len - t->used, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= t->len - t->used) {
		t->full = true;
		return;
	}
	t->used += (size_t)n;
}

/*
 * key "dir/file": a double-quoted string of Redis's config syntax
 * (sdssplitargs), so a path with blanks or quotes stays one argument.
 * false for a control byte, which a config line cannot carry.
 */
static bool
add_path(struct text *t, const char *key, const char *dir, const char *file)
{
	const char *parts[2] = {dir, file};
	const char *p;
	size_t i;

	add(t, "%s \"", key);
	for (i = 0; i < 2; i++)
		for (p = parts[i]; *p != '\0'; p++) {
			if ((unsigned char)*p < 0x20 || *p == 0x7f)
				return false;
			add(t, "%s%c", *p == '"' || *p == '\\' ? "\\" : "", *p);
		}
	add(t, "\"\n");
	return true;
}

int
redis_sup_conf_text(const struct redis_sup_inst *in, char *buf, size_t len)
{
	struct text t = {.buf = buf, .len = len};
	char ip[INET_ADDRSTRLEN];

	if (len == 0)
		return -1;
	buf[0] = '\0';
	inet_ntop(AF_INET, &in->addr, ip, sizeof(ip));
	add(&t, "# written by qured at each start: edits are lost "
		"(qured.conf(5), [store])\n");
	/* The LAN address only: the password guards it, not protected-mode,
	 * which would refuse the other members. */
	add(&t, "bind %s\nport %u\nprotected-mode no\n", ip, in->port);
	add(&t, "daemonize no\nsupervised no\n");
	/* No pidfile: qured knows the pid, it started it. */
	if (!add_path(&t, "dir", in->dir, "/") ||
	    !add_path(&t, "logfile", in->dir, "/redis.log"))
		return -1;
	add(&t, "loglevel notice\nalways-show-logo no\n");
	add(&t, "cluster-enabled yes\ncluster-config-file nodes.conf\n");
	/* Peers must reach the address bound, whatever the kernel would
	 * pick as the source of the bus's connections. */
	add(&t, "cluster-announce-ip %s\n", ip);
	/* qured's detector tells a replica to take over well before this;
	 * Redis's own detection is the backstop. */
	add(&t, "cluster-node-timeout 2000\n");
	add(&t, "cluster-require-full-coverage no\n");
	/* A member cut off from the majority must not serve stale reads. */
	add(&t, "cluster-allow-reads-when-down no\n");
	/* qured places the replicas (issue 11 item 2); Redis moving them by
	 * itself would undo that. */
	add(&t, "cluster-allow-replica-migration no\n");
	add(&t, "requirepass %s\nmasterauth %s\n", in->password, in->password);
	/* Evicting would lose acknowledged writes without a word: a full
	 * instance refuses writes instead. A replica holds its master's
	 * data, so it gets as much as a master. */
	add(&t, "maxmemory %llu\nmaxmemory-policy noeviction\n",
	    (unsigned long long)in->memory_bytes);
	/* The data survives on replicas, not on disk (qured.conf(5)). */
	add(&t, "appendonly no\nsave \"\"\n");
	/* A new replica's first sync starts at once, not after Redis's 5 s
	 * wait for more replicas: until it is done, a write to its master
	 * waits (WAIT) when that master has no other replica (a join moves
	 * replicas; a death leaves masters with none). */
	add(&t, "repl-diskless-sync yes\nrepl-diskless-sync-delay 0\n");
	/* A replica loads its full sync from the socket, never through a
	 * dump.rdb a restart would load again (src/redis_sup.c). swapdb
	 * keeps the old data in memory while it loads: twice the memory for
	 * that moment, within maxmemory's margin. */
	add(&t, "repl-diskless-load swapdb\n");
	return t.full ? -1 : (int)t.used;
}

uint32_t
redis_sup_backoff_ms(uint32_t prev_ms, uint64_t ran_ms)
{
	if (prev_ms == 0 || ran_ms >= REDIS_SUP_STABLE_MS)
		return REDIS_SUP_BACKOFF_MIN_MS;
	if (prev_ms >= REDIS_SUP_BACKOFF_MAX_MS / 2)
		return REDIS_SUP_BACKOFF_MAX_MS;
	return prev_ms * 2;
}

void
redis_sup_argv(const char *path, const char *conf_path, char *argv[3])
{
	/* execve's argv is char *const[] for history's sake: it writes
	 * nothing through it. */
	argv[0] = (char *)path;
	argv[1] = (char *)conf_path;
	argv[2] = NULL;
}
