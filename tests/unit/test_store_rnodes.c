/*
 * tests/unit/test_store_rnodes.c — the CLUSTER NODES parser
 * (store/rnodes.h): replies captured from redis-server 7.0 (a formed
 * cluster, open migrations, a fresh node, a handshake), Redis 7.2's
 * hostname, and every way a reply can be wrong, each refused with where.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "store/rnodes.h"

#define ID1 "efd2fb12182e54edce124befa87c50fe42ce58fd"
#define ID2 "83aca78bbe9479acd7a2d90f6288f578560f07bb"
#define ID3 "c783670cdd6adc6d8f976d72b88699195683071d"
#define ID4 "f77dda86f98ce5fe3b044373b00483a77a99a68b"

/* CLUSTER NODES on 127.0.0.1:41001 of a formed 2 + 2 cluster. */
static const char formed[] =
    ID4 " 127.0.0.1:41004@51004 slave " ID2 " 0 1796477648409 2 connected\n" ID1
	" 127.0.0.1:41001@51001 myself,master - 0 1796477646000 1 connected "
	"0-8191\n" ID2 " 127.0.0.1:41002@51002 master - 0 1796477647403 2 "
	"connected 8192-16383\n" ID3 " 127.0.0.1:41003@51003 slave " ID1
	" 0 1796477647000 3 connected\n";

static struct rnodes_view v; /* 50 KiB: off the stack */

static enum rnodes_err
parse(const char *text)
{
	return rnodes_parse(text, strlen(text), &v);
}

static void
a_formed_cluster_is_read_whole(void **state)
{
	int a, b;

	(void)state;
	assert_int_equal(parse(formed), RNODES_OK);
	assert_int_equal(v.n, 4);
	assert_int_equal(v.self, 1);
	a = rnodes_find(&v, ID1);
	b = rnodes_find(&v, ID2);
	assert_int_equal(a, 1);
	assert_int_equal(v.node[a].addr, 0x7f000001);
	assert_int_equal(v.node[a].port, 41001);
	assert_int_equal(v.node[a].cport, 51001);
	assert_int_equal(v.node[a].flags, RNODE_MYSELF | RNODE_MASTER);
	assert_int_equal(v.node[a].nslots, 8192);
	assert_int_equal(v.node[b].nslots, 8192);
	assert_int_equal(v.node[0].master, b);
	assert_int_equal(v.node[0].flags, RNODE_SLAVE);
	assert_int_equal(v.node[3].master, a);
	assert_int_equal(v.node[a].master, -1);
	assert_int_equal(v.owner[0], a);
	assert_int_equal(v.owner[8191], a);
	assert_int_equal(v.owner[8192], b);
	assert_int_equal(v.owner[16383], b);
	assert_true(rnodes_serves(&v, a, 100));
	assert_false(rnodes_serves(&v, b, 100));
	assert_false(rnodes_serves(&v, b, 16384));
	assert_int_equal(v.nmig, 0);
}

static void
open_migrations_are_recorded(void **state)
{
	static const char text[] =
	    ID1 " 127.0.0.1:41001@51001 myself,master - 0 1796477646000 1 "
		"connected 0-4 6 8-8191 [100->-" ID2 "] [8191->-" ID2 "]\n" ID2
		" 127.0.0.1:41002@51002 master - 0 1796477647403 2 connected "
		"8192-16383\n";
	static const char importing[] =
	    ID2 " 127.0.0.1:41002@51002 myself,master - 0 1796477647000 2 "
		"connected 8192-16383 [8191-<-" ID1 "]\n";

	(void)state;
	assert_int_equal(parse(text), RNODES_OK);
	assert_int_equal(v.node[0].nslots, 8192 - 2);
	assert_int_equal(v.owner[5], -1);
	assert_int_equal(v.owner[7], -1);
	assert_int_equal(v.owner[6], 0);
	assert_int_equal(v.nmig, 2);
	assert_int_equal(v.mig[0].slot, 100);
	assert_false(v.mig[0].importing);
	assert_string_equal(v.mig[0].node_id, ID1);
	assert_string_equal(v.mig[0].peer_id, ID2);
	assert_int_equal(v.mig[1].slot, 8191);
	assert_int_equal(parse(importing), RNODES_OK);
	assert_int_equal(v.nmig, 1);
	assert_true(v.mig[0].importing);
	assert_string_equal(v.mig[0].peer_id, ID1);
}

static void
a_fresh_node_a_handshake_and_a_hostname_are_read(void **state)
{
	static const char fresh[] =
	    ID1 " :41001@51001 myself,master - 0 0 0 connected\n";
	static const char shake[] = ID1
	    " 127.0.0.1:41001@51001 myself,master - 0 1796477649000 1 "
	    "connected 0-16383\n" ID4 " 127.0.0.1:41004@51004 slave " ID1
	    " 0 1796477648409 2 disconnected\n" ID3
	    " 127.0.0.1:41009@51009 handshake - 0 0 0 disconnected\n" ID2
	    " 10.1.2.3:30002@31002,host-2.lan master,fail?,nofailover - 5 6 "
	    "7 connected\r\n";

	(void)state;
	assert_int_equal(parse(fresh), RNODES_OK);
	assert_string_equal(v.node[0].ip, "");
	assert_int_equal(v.node[0].addr, 0);
	assert_int_equal(v.node[0].port, 41001);
	assert_int_equal(parse(shake), RNODES_OK);
	assert_int_equal(v.n, 4);
	assert_false(v.node[1].connected);
	assert_int_equal(v.node[2].flags, RNODE_HANDSHAKE);
	assert_int_equal(v.node[3].addr, 0x0a010203);
	assert_int_equal(
	    v.node[3].flags, RNODE_MASTER | RNODE_PFAIL | RNODE_NOFAILOVER);
	assert_int_equal(v.node[3].config_epoch, 7);
}

/* One line of a node (ID3, not myself) put after formed's. */
static enum rnodes_err
parse_with(const char *line)
{
	static char text[sizeof(formed) + 512];

	(void)snprintf(text, sizeof(text), "%s%s\n", formed, line);
	return parse(text);
}

static void
expect(const char *line, enum rnodes_err e, unsigned field)
{
	char why[128];

	assert_int_equal(parse_with(line), e);
	assert_int_equal(v.err_line, 5);
	assert_int_equal(v.err_field, field);
	assert_non_null(
	    strstr(rnodes_explain(&v, e, why, sizeof(why)), "line 5, field"));
}

#define HEAD "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa 10.0.0.1:6379@16379 "

static void
bad_lines_are_refused_with_where(void **state)
{
	(void)state;
	expect(HEAD "master - 0 0", RNODES_E_FIELDS, 7);
	expect(HEAD "master - 0 0 1", RNODES_E_FIELDS, 8);
	expect("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA 10.0.0.1:6379@16379 "
	       "master - 0 0 1 connected",
	    RNODES_E_ID, 1);
	expect("aaaa 10.0.0.1:6379@16379 master - 0 0 1 connected", RNODES_E_ID,
	    1);
	expect(HEAD "slave abc 0 0 1 connected", RNODES_E_ID, 4);
	expect(
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa 10.0.0.1:6379 master - "
	    "0 0 1 connected",
	    RNODES_E_ADDR, 2);
	expect(
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa 10.0.0.1:65536@1 master "
	    "- 0 0 1 connected",
	    RNODES_E_ADDR, 2);
	expect("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa 10.0.0.256:6379@16379 "
	       "master - 0 0 1 connected",
	    RNODES_E_ADDR, 2);
	expect(
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa 10.0.0.1:6379@16379,a_b "
	    "master - 0 0 1 connected",
	    RNODES_E_ADDR, 2);
	expect(HEAD "master,leader - 0 0 1 connected", RNODES_E_FLAGS, 3);
	expect(HEAD "master,slave - 0 0 1 connected", RNODES_E_FLAGS, 3);
	expect(HEAD "master, - 0 0 1 connected", RNODES_E_FLAGS, 3);
	expect(HEAD "master - 0 -1 1 connected", RNODES_E_NUMBER, 6);
	expect(HEAD "master - 0 0 99999999999999999999 connected",
	    RNODES_E_NUMBER, 7);
	expect(HEAD "master - 0 0 1 up", RNODES_E_LINK, 8);
	expect(HEAD "master - 0 0 1 connected 16384", RNODES_E_RANGE, 9);
	expect(HEAD "master - 0 0 1 connected 16380-16390", RNODES_E_RANGE, 9);
	expect(HEAD "master - 0 0 1 connected 10-5", RNODES_E_RANGE, 9);
	expect(HEAD "master - 0 0 1 connected 1-2-3", RNODES_E_SLOT, 9);
	expect(HEAD "master - 0 0 1 connected x", RNODES_E_SLOT, 9);
	expect(HEAD "master - 0 0 1 connected 100", RNODES_E_TWICE, 9);
	expect(HEAD "master - 0 0 1 connected [5->-" ID1 "]", RNODES_E_MIG, 9);
	assert_int_equal(parse(ID1 " 1.2.3.4:1@2 myself,master - 0 0 1 "
				   "connected 1 2 2"),
	    RNODES_E_TWICE);
	assert_int_equal(v.err_field, 11);
	expect(ID1 " 10.0.0.1:6379@16379 master - 0 0 1 connected",
	    RNODES_E_DUP, 1);
	expect(HEAD "myself,master - 0 0 1 connected", RNODES_E_MYSELF, 3);
}

static void
bad_migrations_are_refused(void **state)
{
	static const char *const bad[] = {"[5->-" ID2, "[5-<" ID2 "]",
	    "[5=>-" ID2 "]", "[16384->-" ID2 "]", "[x->-" ID2 "]",
	    "[5->-" ID2 "0]", "[5->-EFD2FB12182E54EDCE124BEFA87C50FE42CE58FD]",
	    "[]", "["};
	static const enum rnodes_err want[] = {RNODES_E_SLOT, RNODES_E_SLOT,
	    RNODES_E_SLOT, RNODES_E_RANGE, RNODES_E_SLOT, RNODES_E_SLOT,
	    RNODES_E_ID, RNODES_E_SLOT, RNODES_E_SLOT};
	char text[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		(void)snprintf(text, sizeof(text),
		    ID1 " 1.2.3.4:1@2 myself,master - 0 0 1 connected 1 %s\n",
		    bad[i]);
		assert_int_equal(parse(text), want[i]);
		assert_int_equal(v.err_field, 10);
	}
}

static void
nul_and_control_bytes_are_refused(void **state)
{
	char text[sizeof(formed)];

	(void)state;
	memcpy(text, formed, sizeof(formed));
	text[60] = '\0';
	assert_int_equal(
	    rnodes_parse(text, sizeof(formed) - 1, &v), RNODES_E_NUL);
	assert_int_equal(v.err_line, 1);
	text[60] = '\t';
	assert_int_equal(
	    rnodes_parse(text, sizeof(formed) - 1, &v), RNODES_E_NUL);
	text[60] = (char)0xc3;
	assert_int_equal(
	    rnodes_parse(text, sizeof(formed) - 1, &v), RNODES_E_NUL);
}

static void
a_truncated_reply_is_refused(void **state)
{
	size_t cut, first;

	(void)state;
	/* Every cut inside the second line's head fails, none crashes. */
	for (cut = 0; cut < sizeof(formed) - 1; cut++) {
		enum rnodes_err e = rnodes_parse(formed, cut, &v);

		if (e == RNODES_OK)
			assert_true(v.self >= 0 && v.n >= 1);
	}
	/* The first line only (a replica's): no myself. */
	first = (size_t)(strchr(formed, '\n') - formed) + 1;
	assert_int_equal(rnodes_parse(formed, first, &v), RNODES_E_MYSELF);
	/* Cut in the second line's flags ("myself,ma"): the fields are
	 * counted before any is read, so it is the missing ones that tell. */
	assert_int_equal(rnodes_parse(formed, first + 72, &v), RNODES_E_FIELDS);
	assert_int_equal(v.err_line, 2);
	assert_int_equal(v.err_field, 4);
	/* Cut after its link state: whole, serving no slot yet. */
	assert_int_equal(rnodes_parse(formed, first + 106, &v), RNODES_OK);
	assert_int_equal(v.node[1].nslots, 0);
	assert_int_equal(rnodes_parse("", 0, &v), RNODES_E_MYSELF);
}

static void
too_many_nodes_are_refused(void **state)
{
	static char text[(RNODES_MAX + 2) * 100];
	size_t i, off = 0;

	(void)state;
	for (i = 0; i <= RNODES_MAX; i++)
		off += (size_t)snprintf(text + off, sizeof(text) - off,
		    "%040zx 10.0.%zu.%zu:6379@16379 %s - 0 0 1 connected\n",
		    i + 1, i / 250, i % 250 + 1,
		    i == 0 ? "myself,master" : "slave");
	assert_int_equal(rnodes_parse(text, off, &v), RNODES_E_TOOMANY);
	assert_int_equal(v.err_line, RNODES_MAX + 1);
	/* One fewer is fine. */
	off = (size_t)(strrchr(text, '\n') - text);
	off = (size_t)((const char *)memrchr(text, '\n', off) - text) + 1;
	assert_int_equal(rnodes_parse(text, off, &v), RNODES_OK);
	assert_int_equal(v.n, RNODES_MAX);
}

static void
overlong_lines_and_replies_are_refused(void **state)
{
	static char text[RNODES_TEXT_MAX + 1];
	size_t off, s = 0;

	(void)state;
	off = (size_t)snprintf(text, sizeof(text),
	    ID1 " 1.2.3.4:1@2 myself,master - 0 0 1 connected");
	/* Every slot alone, even ones: long, but within the bound. */
	while (s < RNODES_SLOTS)
		off +=
		    (size_t)snprintf(text + off, sizeof(text) - off, " %zu", s),
		    s += 2;
	assert_int_equal(rnodes_parse(text, off, &v), RNODES_OK);
	assert_int_equal(v.node[0].nslots, RNODES_SLOTS / 2);
	memset(text + off, ' ', RNODES_LINE_MAX + 1 - off);
	assert_int_equal(
	    rnodes_parse(text, RNODES_LINE_MAX + 1, &v), RNODES_E_SIZE);
	assert_int_equal(v.err_line, 1);
	assert_int_equal(
	    rnodes_parse(text, (size_t)RNODES_TEXT_MAX + 1, &v), RNODES_E_SIZE);
}

static void
errors_have_words(void **state)
{
	char why[128];
	int e;

	(void)state;
	for (e = RNODES_OK; e <= RNODES_E_MIG; e++)
		assert_string_not_equal(rnodes_strerror(e), "unknown error");
	assert_int_equal(
	    parse_with(HEAD "master - 0 0 1 connected 16384"), RNODES_E_RANGE);
	assert_string_equal(
	    rnodes_explain(&v, RNODES_E_RANGE, why, sizeof(why)),
	    "line 5, field 9 (slot): a slot over 16383 or a range backwards");
	assert_int_equal(parse_with(HEAD "master - 0 0 1 down"), RNODES_E_LINK);
	assert_string_equal(rnodes_explain(&v, RNODES_E_LINK, why, sizeof(why)),
	    "line 5, field 8 (link-state): a link state other than connected "
	    "or disconnected");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(a_formed_cluster_is_read_whole),
	    cmocka_unit_test(open_migrations_are_recorded),
	    cmocka_unit_test(a_fresh_node_a_handshake_and_a_hostname_are_read),
	    cmocka_unit_test(bad_lines_are_refused_with_where),
	    cmocka_unit_test(bad_migrations_are_refused),
	    cmocka_unit_test(nul_and_control_bytes_are_refused),
	    cmocka_unit_test(a_truncated_reply_is_refused),
	    cmocka_unit_test(too_many_nodes_are_refused),
	    cmocka_unit_test(overlong_lines_and_replies_are_refused),
	    cmocka_unit_test(errors_have_words),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
