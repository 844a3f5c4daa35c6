/*
 * tests/unit/test_netcfg_nft_batch.c — the lease's renewal batch
 * (netcfg/nft_batch.c): what it says to the kernel, message by message,
 * and, in a network namespace of the test's own (root only, else
 * skipped), that the kernel takes it: the element is there with its
 * timeout, a missing table is refused with ENOENT.
 */
#include "config.h"

#include <errno.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <libmnl/libmnl.h>
#include <libnftnl/set.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <nftables/libnftables.h>

#include "netcfg/nft_batch.h"

static const uint8_t dmz4[4] = {10, 0, 0, 200};

static struct nft_batch_lease
lease4(const char *table)
{
	struct nft_batch_lease l = {
	    .table = table,
	    .families = {NFPROTO_ARP, NFPROTO_INET},
	    .n_families = 2,
	    .key = dmz4,
	    .key_len = sizeof(dmz4),
	};
	return l;
}

struct seen {
	uint16_t type[8];
	uint8_t family[8];
	uint32_t seq[8];
	bool ack[8];
	size_t n;
};

static void
walk(const char *buf, size_t len, struct seen *s)
{
	const struct nlmsghdr *h = (const void *)buf;
	int left = (int)len;

	memset(s, 0, sizeof(*s));
	for (; mnl_nlmsg_ok(h, left); h = mnl_nlmsg_next(h, &left)) {
		const struct nfgenmsg *g = mnl_nlmsg_get_payload(h);

		assert_true(s->n < 8);
		s->type[s->n] = h->nlmsg_type;
		s->family[s->n] = g->nfgen_family;
		s->seq[s->n] = h->nlmsg_seq;
		s->ack[s->n] = (h->nlmsg_flags & NLM_F_ACK) != 0;
		s->n++;
	}
	assert_int_equal(left, 0);
}

#define ELEMS(t) ((NFNL_SUBSYS_NFTABLES << 8) | (t))

static void
a_renewal_flushes_and_adds_in_each_table(void **state)
{
	struct nft_batch_lease l = lease4("qure_eth0_0a0000c8");
	char buf[1024];
	size_t acks = 0, len;
	struct seen s;

	(void)state;
	len = nft_batch_build(buf, sizeof(buf), 7, &l, 50, &acks);
	assert_true(len > 0);
	assert_int_equal(acks, 4);
	walk(buf, len, &s);
	assert_int_equal(s.n, 6);
	assert_int_equal(s.type[0], NFNL_MSG_BATCH_BEGIN);
	assert_int_equal(s.type[1], ELEMS(NFT_MSG_DELSETELEM));
	assert_int_equal(s.type[2], ELEMS(NFT_MSG_NEWSETELEM));
	assert_int_equal(s.type[3], ELEMS(NFT_MSG_DELSETELEM));
	assert_int_equal(s.type[4], ELEMS(NFT_MSG_NEWSETELEM));
	assert_int_equal(s.type[5], NFNL_MSG_BATCH_END);
	assert_int_equal(s.family[1], NFPROTO_ARP);
	assert_int_equal(s.family[2], NFPROTO_ARP);
	assert_int_equal(s.family[3], NFPROTO_INET);
	assert_int_equal(s.family[4], NFPROTO_INET);
	for (size_t i = 0; i < s.n; i++)
		assert_int_equal(s.seq[i], 7 + i);
	for (size_t i = 1; i < 5; i++)
		assert_true(s.ack[i]); /* each owes an ack */
}

/* The NEWSETELEM's payload: our set, one element, the key and timeout. */
static void
the_added_element_is_the_address_with_the_timeout(void **state)
{
	struct nft_batch_lease l = lease4("qure_eth0_0a0000c8");
	char buf[1024];
	size_t acks, len;
	const struct nlmsghdr *h = (const void *)buf;
	int left;
	struct nftnl_set *set = nftnl_set_alloc();
	struct nftnl_set_elems_iter *it;
	struct nftnl_set_elem *e;
	const void *key;
	uint32_t klen = 0;

	(void)state;
	len = nft_batch_build(buf, sizeof(buf), 1, &l, 37, &acks);
	left = (int)len;
	h = mnl_nlmsg_next(h, &left); /* BEGIN */
	h = mnl_nlmsg_next(h, &left); /* DELSETELEM arp */
	assert_int_equal(h->nlmsg_type, ELEMS(NFT_MSG_NEWSETELEM));
	assert_int_equal(nftnl_set_elems_nlmsg_parse(h, set), 0);
	assert_string_equal(
	    nftnl_set_get_str(set, NFTNL_SET_TABLE), "qure_eth0_0a0000c8");
	assert_string_equal(nftnl_set_get_str(set, NFTNL_SET_NAME), "lease");
	it = nftnl_set_elems_iter_create(set);
	e = nftnl_set_elems_iter_next(it);
	assert_non_null(e);
	key = nftnl_set_elem_get(e, NFTNL_SET_ELEM_KEY, &klen);
	assert_int_equal(klen, 4);
	assert_memory_equal(key, dmz4, 4);
	assert_int_equal(nftnl_set_elem_get_u64(e, NFTNL_SET_ELEM_TIMEOUT), 37);
	assert_null(nftnl_set_elems_iter_next(it));
	nftnl_set_elems_iter_destroy(it);
	nftnl_set_free(set);
}

static void
a_clear_only_flushes(void **state)
{
	struct nft_batch_lease l = lease4("t");
	char buf[1024];
	size_t acks = 0, len;
	struct seen s;

	(void)state;
	len = nft_batch_build(buf, sizeof(buf), 100, &l, 0, &acks);
	assert_true(len > 0);
	assert_int_equal(acks, 2);
	walk(buf, len, &s);
	assert_int_equal(s.n, 4);
	assert_int_equal(s.type[1], ELEMS(NFT_MSG_DELSETELEM));
	assert_int_equal(s.type[2], ELEMS(NFT_MSG_DELSETELEM));
}

static void
a_buffer_too_small_builds_nothing(void **state)
{
	struct nft_batch_lease l = lease4("qure_eth0_0a0000c8");
	char buf[128];
	size_t acks = 99;

	(void)state;
	assert_int_equal(
	    nft_batch_build(buf, sizeof(buf), 1, &l, 50, &acks), 0);
	assert_int_equal(acks, 99); /* untouched */
}

/* ---- the kernel, in a namespace of our own ---- */

static int
nft(const char *cmd, char *out, size_t len)
{
	struct nft_ctx *ctx = nft_ctx_new(NFT_CTX_DEFAULT);
	int rc;

	nft_ctx_buffer_output(ctx);
	nft_ctx_buffer_error(ctx);
	nft_ctx_output_set_flags(ctx, NFT_CTX_OUTPUT_STATELESS);
	rc = nft_run_cmd_from_buffer(ctx, cmd);
	if (out != NULL)
		snprintf(out, len, "%s", nft_ctx_get_output_buffer(ctx));
	nft_ctx_free(ctx);
	return rc;
}

static void
the_kernel_takes_a_renewal_and_refuses_a_missing_table(void **state)
{
	struct nft_batch_lease l = lease4("qtest");
	struct mnl_socket *nl;
	char buf[1024], out[2048];
	size_t acks, len;
	uint32_t seq;

	(void)state;
	if (unshare(CLONE_NEWNET) == -1)
		skip(); /* not root: nothing to ask */
	nl = nft_batch_open();
	assert_non_null(nl);

	/* No table yet: refused, nothing half done. */
	len = nft_batch_build(buf, sizeof(buf), 1, &l, 500, &acks);
	assert_int_equal(nft_batch_send(nl, buf, len, 1, acks), -1);
	assert_int_equal(errno, ENOENT);

	assert_int_equal(nft("table arp qtest {\n set lease { type ipv4_addr; "
			     "flags timeout; }\n}\n"
			     "table inet qtest {\n set lease { type ipv4_addr; "
			     "flags timeout; }\n}\n",
			     NULL, 0),
	    0);
	for (seq = 10; seq < 40; seq += 6) { /* again and again */
		len = nft_batch_build(buf, sizeof(buf), seq, &l, 60000, &acks);
		if (nft_batch_send(nl, buf, len, seq, acks) != 0)
			fail_msg(
			    "renewal %u: %s", (unsigned)seq, strerror(errno));
	}
	assert_int_equal(nft("list set inet qtest lease", out, sizeof(out)), 0);
	assert_non_null(strstr(out, "10.0.0.200 timeout 1m"));
	assert_int_equal(nft("list set arp qtest lease", out, sizeof(out)), 0);
	assert_non_null(strstr(out, "10.0.0.200 timeout 1m"));

	/* A shorter lease replaces the longer one (an add alone would leave
	 * the element as it was: the flush is what makes it a renewal). */
	seq = 44;
	assert_int_equal(nft_batch_renew(nl, &seq, &l, 30000), 0);
	assert_int_equal(seq, 44 + 2 + 2 * NFT_BATCH_TABLES_MAX);
	assert_int_equal(nft("list set arp qtest lease", out, sizeof(out)), 0);
	assert_non_null(strstr(out, "10.0.0.200 timeout 30s"));

	/* A clear empties both. */
	len = nft_batch_build(buf, sizeof(buf), 50, &l, 0, &acks);
	assert_int_equal(nft_batch_send(nl, buf, len, 50, acks), 0);
	assert_int_equal(nft("list set inet qtest lease", out, sizeof(out)), 0);
	assert_null(strstr(out, "10.0.0.200"));
	nft_batch_close(nl);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(a_renewal_flushes_and_adds_in_each_table),
	    cmocka_unit_test(the_added_element_is_the_address_with_the_timeout),
	    cmocka_unit_test(a_clear_only_flushes),
	    cmocka_unit_test(a_buffer_too_small_builds_nothing),
	    cmocka_unit_test(
		the_kernel_takes_a_renewal_and_refuses_a_missing_table),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
