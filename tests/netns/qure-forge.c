/*
 * tests/netns/qure-forge.c — writes one crafted cluster datagram to
 * stdout, for the netns tests of bad input (badpkts.sh):
 *
 *   qure-forge --key FILE [--wrong-key] --type hello|heartbeat|claim
 *       [--epoch N] [--seq N] [--id HEX] [--name NAME] [--priority N]
 *       [--dmz A.B.C.D/LEN] [--lease MS] [--heartbeat MS] [--boot N]
 *       > datagram.bin
 *
 * Protocol version 2: hello, heartbeat and claim carry the DMZ address
 * (--dmz, required), the lease and the heartbeat; every message a BOOT.
 *
 * The datagram is encoded by the daemon's own codec (elect_wire_encode),
 * so a valid one is exactly what a member would send; --wrong-key tags it
 * with a key that is not the cluster's. Malformed bytes need no tool.
 */
#include "config.h"

#include <arpa/inet.h>

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "election/election.h"

#define KEY_B64_LEN 44 /* base64 of 32 bytes, one '=' of padding */

static void
usage(void)
{
	fprintf(stderr,
	    "usage: qure-forge --key FILE [--wrong-key] "
	    "--type hello|heartbeat|claim\n"
	    "           [--epoch N] [--seq N] [--id HEX] [--name NAME] "
	    "[--priority N]\n"
	    "           [--dmz A.B.C.D/LEN] [--lease MS] [--heartbeat MS] "
	    "[--boot N]\n"
	    "           > datagram.bin\n");
	exit(1);
}

static void
die(const char *what)
{
	fprintf(stderr, "qure-forge: %s\n", what);
	exit(1);
}

/* The key file as qurectl keygen writes it: base64, whitespace around. */
static void
read_key(const char *path, uint8_t key[ELECT_KEY_LEN])
{
	unsigned char b64[KEY_B64_LEN + 1], bin[3 * (KEY_B64_LEN / 4)];
	size_t n = 0;
	FILE *f;
	int ch;

	f = fopen(path, "r");
	if (f == NULL) {
		fprintf(stderr, "qure-forge: %s: %s\n", path, strerror(errno));
		exit(1);
	}
	while ((ch = fgetc(f)) != EOF) {
		if (ch == ' ' || ch == '\n' || ch == '\r' || ch == '\t')
			continue;
		if (n == KEY_B64_LEN)
			die("key file: too long for a cluster key");
		b64[n++] = (unsigned char)ch;
	}
	fclose(f);
	b64[n] = '\0';
	if (n != KEY_B64_LEN ||
	    EVP_DecodeBlock(bin, b64, KEY_B64_LEN) != (int)sizeof(bin))
		die("key file: not the base64 of 32 bytes");
	memcpy(key, bin, ELECT_KEY_LEN);
	OPENSSL_cleanse(bin, sizeof(bin));
	OPENSSL_cleanse(b64, sizeof(b64));
}

static uint64_t
parse_u64(const char *s, uint64_t max)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || s[0] == '-' || v > max)
		die("bad number");
	return (uint64_t)v;
}

static int
parse_type(const char *s)
{
	if (strcmp(s, "hello") == 0)
		return ELECT_MSG_HELLO;
	if (strcmp(s, "heartbeat") == 0)
		return ELECT_MSG_HEARTBEAT;
	if (strcmp(s, "claim") == 0)
		return ELECT_MSG_CLAIM;
	die("--type: hello, heartbeat or claim");
	return 0;
}

static void
parse_dmz(const char *s, struct elect_msg *m)
{
	char buf[32];
	const char *slash = strchr(s, '/');
	size_t len = slash != NULL ? (size_t)(slash - s) : 0;

	if (slash == NULL || len >= sizeof(buf))
		die("--dmz: A.B.C.D/LEN");
	memcpy(buf, s, len);
	buf[len] = '\0';
	if (inet_pton(AF_INET, buf, m->dmz.b) != 1)
		die("--dmz: not an IPv4 address");
	m->dmz.family = 4;
	m->dmz_prefix = (uint8_t)parse_u64(slash + 1, 32);
}

/* The fields each type must carry (doc/protocol.md, message types). */
static void
fill_required(struct elect_msg *m, const char *name)
{
	m->has |= ELECT_HAS_PRIORITY | ELECT_HAS_BOOT | ELECT_HAS_UPTIME;
	/* Every type here takes part in the election: settings too. */
	m->has |= ELECT_HAS_DMZ | ELECT_HAS_LEASE | ELECT_HAS_HEARTBEAT;
	if (m->dmz.family == 0)
		die("--dmz is required (protocol version 2)");
	if (m->type == ELECT_MSG_HELLO) {
		m->has |= ELECT_HAS_NAME | ELECT_HAS_STATE;
		snprintf(m->name, sizeof(m->name), "%s", name);
		m->state = ELECT_ST_STANDBY;
	}
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {{"key", 1, NULL, 'k'},
	    {"wrong-key", 0, NULL, 'w'}, {"type", 1, NULL, 't'},
	    {"epoch", 1, NULL, 'e'}, {"seq", 1, NULL, 's'},
	    {"id", 1, NULL, 'i'}, {"name", 1, NULL, 'n'},
	    {"priority", 1, NULL, 'p'}, {"dmz", 1, NULL, 'd'},
	    {"lease", 1, NULL, 'l'}, {"heartbeat", 1, NULL, 'b'},
	    {"boot", 1, NULL, 'o'}, {NULL, 0, NULL, 0}};
	struct elect_msg m = {.version = ELECT_PROTO_VERSION};
	uint8_t secret[ELECT_KEY_LEN], buf[ELECT_WIRE_MAX];
	const char *keyfile = NULL, *name = "forge";
	struct elect_key *key;
	int ch, wrong = 0;
	size_t i, len;

	m.priority = 100;
	m.lease_ms = 600;
	m.heartbeat_ms = 200;
	m.boot = 0x5155524546524745ull; /* "QUREFRGE" */
	memset(m.id.b, 0xf0, sizeof(m.id.b));
	m.seq = 1;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'k':
			keyfile = optarg;
			break;
		case 'w':
			wrong = 1;
			break;
		case 't':
			m.type = (uint8_t)parse_type(optarg);
			break;
		case 'e':
			m.epoch = parse_u64(optarg, UINT64_MAX);
			break;
		case 's':
			m.seq = parse_u64(optarg, UINT64_MAX);
			break;
		case 'i':
			if (elect_id_parse(optarg, &m.id) == -1)
				die("--id: 32 hex digits");
			break;
		case 'n':
			name = optarg;
			break;
		case 'p':
			m.priority = (uint8_t)parse_u64(optarg, 255);
			break;
		case 'd':
			parse_dmz(optarg, &m);
			break;
		case 'l':
			m.lease_ms = (uint32_t)parse_u64(optarg, UINT32_MAX);
			break;
		case 'b':
			m.heartbeat_ms =
			    (uint32_t)parse_u64(optarg, UINT32_MAX);
			break;
		case 'o':
			m.boot = parse_u64(optarg, UINT64_MAX);
			break;
		default:
			usage();
		}
	}
	if (optind != argc || keyfile == NULL || m.type == 0)
		usage();
	fill_required(&m, name);
	read_key(keyfile, secret);
	/* Not the cluster's key, but one bit away from it. */
	if (wrong)
		secret[0] ^= 0x01;
	key = elect_key_new(secret);
	OPENSSL_cleanse(secret, sizeof(secret));
	if (key == NULL)
		die("cannot make the HMAC key");
	len = elect_wire_encode(&m, key, buf, sizeof(buf));
	elect_key_free(key);
	if (len == 0)
		die("the codec refused the message");
	for (i = 0; i < len; i++)
		if (putchar(buf[i]) == EOF)
			die("cannot write the datagram");
	return fflush(stdout) == 0 ? 0 : 1;
}
