/*
 * tests/unit/test_redis_sup.c — the pure half of the site cache's
 * supervisor (src/redis_sup_core.c): the password, an instance's
 * redis.conf, its argv, the restart backoff.
 */
#include "config.h"

#include <arpa/inet.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "src/redis_sup.h"

#define PW "33c3ecc4a8989a32e70ec1146299d465e2183aee30564d7acb7268b64e9efd14"

/* RFC 5869 HKDF-SHA256, no salt, info "qure redis password v1", of the
 * key 00 01 .. 1f: computed apart (Python's hmac) for this test. */
static void
the_password_is_hkdf_sha256_of_the_key_in_hex(void **state)
{
	uint8_t key[32];
	char pw[REDIS_SUP_PASSWORD_LEN + 1];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)i;
	assert_int_equal(redis_sup_password(key, pw), 0);
	assert_string_equal(pw, PW);
	for (i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)(i + 1);
	assert_int_equal(redis_sup_password(key, pw), 0);
	assert_string_equal(pw, "d880f95a3736b49fca232bb5859dedefd8f885f39d6f"
				"af18f5cb98c426857bc9");
}

static void
different_keys_give_different_passwords(void **state)
{
	char a[REDIS_SUP_PASSWORD_LEN + 1], b[REDIS_SUP_PASSWORD_LEN + 1];
	uint8_t key[32] = {0};
	size_t i;

	(void)state;
	assert_int_equal(redis_sup_password(key, a), 0);
	for (i = 0; i < 8 * sizeof(key); i++) {
		key[i / 8] = (uint8_t)(1u << (i % 8));
		assert_int_equal(redis_sup_password(key, b), 0);
		assert_int_equal(strlen(b), REDIS_SUP_PASSWORD_LEN);
		assert_string_not_equal(a, b);
		key[i / 8] = 0;
	}
}

static struct redis_sup_inst
inst(const char *dir)
{
	struct redis_sup_inst in = {
	    .port = 6380,
	    .memory_bytes = 64ull << 20,
	    .dir = dir,
	    .password = PW,
	};

	inet_pton(AF_INET, "10.1.2.11", &in.addr);
	return in;
}

static void
has_line(const char *text, const char *line)
{
	char want[256];

	snprintf(want, sizeof(want), "\n%s\n", line);
	if (strstr(text, want) == NULL)
		fail_msg("no line \"%s\" in\n%s", line, text);
}

static void
the_config_binds_the_lan_address_in_cluster_mode_with_the_password(void **state)
{
	struct redis_sup_inst in = inst("/var/lib/qured/store/6380");
	char text[4096];
	int n;

	(void)state;
	n = redis_sup_conf_text(&in, text, sizeof(text));
	assert_true(n > 0);
	assert_int_equal((size_t)n, strlen(text));
	has_line(text, "bind 10.1.2.11");
	has_line(text, "port 6380");
	has_line(text, "protected-mode no");
	has_line(text, "daemonize no");
	has_line(text, "dir \"/var/lib/qured/store/6380/\"");
	has_line(text, "logfile \"/var/lib/qured/store/6380/redis.log\"");
	has_line(text, "cluster-enabled yes");
	has_line(text, "cluster-config-file nodes.conf");
	has_line(text, "cluster-announce-ip 10.1.2.11");
	has_line(text, "cluster-node-timeout 2000");
	has_line(text, "cluster-require-full-coverage no");
	has_line(text, "requirepass " PW);
	has_line(text, "masterauth " PW);
	has_line(text, "maxmemory 67108864");
	has_line(text, "maxmemory-policy noeviction");
	has_line(text, "appendonly no");
	has_line(text, "repl-diskless-sync-delay 0");
	has_line(text, "repl-diskless-load swapdb");
	has_line(text, "save \"\"");
	assert_null(strstr(text, "pidfile"));
	assert_null(strstr(text, "daemonize yes"));
	assert_int_equal(text[n - 1], '\n');
}

/* Redis reads "..." with \" and \\ escapes (sdssplitargs). */
static void
a_path_with_blanks_and_quotes_is_one_quoted_argument(void **state)
{
	struct redis_sup_inst in = inst("/srv/my \"q\" \\dir/6380");
	char text[4096];

	(void)state;
	assert_true(redis_sup_conf_text(&in, text, sizeof(text)) > 0);
	has_line(text, "dir \"/srv/my \\\"q\\\" \\\\dir/6380/\"");
}

static void
a_path_with_a_control_byte_is_refused(void **state)
{
	struct redis_sup_inst in = inst("/srv/a\nrequirepass x/6380");
	char text[4096];

	(void)state;
	assert_int_equal(redis_sup_conf_text(&in, text, sizeof(text)), -1);
}

/* Cut at every length: -1, never a config without its last lines. */
static void
a_buffer_too_small_is_refused_at_every_length(void **state)
{
	struct redis_sup_inst in = inst("/var/lib/qured/store/6380");
	char full[4096], text[4096];
	int n;
	size_t len;

	(void)state;
	n = redis_sup_conf_text(&in, full, sizeof(full));
	assert_true(n > 0);
	for (len = 0; len <= (size_t)n; len++)
		assert_int_equal(redis_sup_conf_text(&in, text, len), -1);
	assert_int_equal(redis_sup_conf_text(&in, text, (size_t)n + 1), n);
	assert_string_equal(text, full);
}

static void
the_argv_carries_the_config_file_and_never_the_password(void **state)
{
	char *argv[3];

	(void)state;
	redis_sup_argv("/usr/bin/redis-server",
	    "/var/lib/qured/store/6379/redis.conf", argv);
	assert_string_equal(argv[0], "/usr/bin/redis-server");
	assert_string_equal(argv[1], "/var/lib/qured/store/6379/redis.conf");
	assert_null(argv[2]);
}

static void
the_backoff_doubles_from_100ms_to_10s_and_resets_after_a_long_run(void **state)
{
	static const uint32_t want[] = {
	    100, 200, 400, 800, 1600, 3200, 6400, 10000, 10000, 10000};
	uint32_t ms = 0;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		ms = redis_sup_backoff_ms(ms, 50);
		assert_int_equal(ms, want[i]);
	}
	assert_int_equal(redis_sup_backoff_ms(10000, 29999), 10000);
	assert_int_equal(redis_sup_backoff_ms(10000, 30000), 100);
	assert_int_equal(redis_sup_backoff_ms(0, 0), 100);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(the_password_is_hkdf_sha256_of_the_key_in_hex),
	    cmocka_unit_test(different_keys_give_different_passwords),
	    cmocka_unit_test(
		the_config_binds_the_lan_address_in_cluster_mode_with_the_password),
	    cmocka_unit_test(
		a_path_with_blanks_and_quotes_is_one_quoted_argument),
	    cmocka_unit_test(a_path_with_a_control_byte_is_refused),
	    cmocka_unit_test(a_buffer_too_small_is_refused_at_every_length),
	    cmocka_unit_test(
		the_argv_carries_the_config_file_and_never_the_password),
	    cmocka_unit_test(
		the_backoff_doubles_from_100ms_to_10s_and_resets_after_a_long_run),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
