/*
 * netcfg/nft_batch.c — the lease element's renewal in one netlink batch
 * (see nft_batch.h for why not libnftables).
 *
 * A batch: BEGIN, then per table DELSETELEM without elements (the kernel
 * flushes the set) and NEWSETELEM with the key and its timeout in ms,
 * then END. The kernel commits it whole or not at all.
 */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <libmnl/libmnl.h>
#include <libnftnl/common.h>
#include <libnftnl/set.h>
#include <linux/netfilter/nf_tables.h>

#include "netcfg/nft_batch.h"

/* One set of table/name, with the key if timeout_ms > 0. */
static struct nftnl_set *
lease_set(const struct nft_batch_lease *l, uint32_t timeout_ms)
{
	struct nftnl_set *s = nftnl_set_alloc();
	struct nftnl_set_elem *e;

	if (s == NULL)
		return NULL;
	nftnl_set_set_str(s, NFTNL_SET_TABLE, l->table);
	nftnl_set_set_str(s, NFTNL_SET_NAME, "lease");
	if (timeout_ms == 0)
		return s;
	e = nftnl_set_elem_alloc();
	if (e == NULL) {
		nftnl_set_free(s);
		return NULL;
	}
	nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY, l->key, (uint32_t)l->key_len);
	nftnl_set_elem_set_u64(e, NFTNL_SET_ELEM_TIMEOUT, timeout_ms);
	nftnl_set_elem_add(s, e); /* the set owns it now */
	return s;
}

/* Appends one message for set s; false if the batch is full. */
static bool
put_elems(struct mnl_nlmsg_batch *b, uint16_t type, uint16_t family,
    uint16_t flags, uint32_t seq, struct nftnl_set *s)
{
	struct nlmsghdr *nlh = nftnl_nlmsg_build_hdr(
	    mnl_nlmsg_batch_current(b), type, family, flags | NLM_F_ACK, seq);

	nftnl_set_elems_nlmsg_build_payload(nlh, s);
	return mnl_nlmsg_batch_next(b);
}

size_t
nft_batch_build(void *buf, size_t len, uint32_t seq,
    const struct nft_batch_lease *l, uint32_t timeout_ms, size_t *n_acks)
{
	struct nftnl_set *flush = lease_set(l, 0);
	struct nftnl_set *add =
	    timeout_ms > 0 ? lease_set(l, timeout_ms) : NULL;
	/* libmnl writes a message before it checks the limit: half. */
	struct mnl_nlmsg_batch *b = mnl_nlmsg_batch_start(buf, len / 2);
	size_t out = 0, acks = 0;
	bool ok =
	    flush != NULL && (timeout_ms == 0 || add != NULL) && b != NULL;

	if (ok) {
		nftnl_batch_begin(mnl_nlmsg_batch_current(b), seq++);
		ok = mnl_nlmsg_batch_next(b);
	}
	for (size_t i = 0; ok && i < l->n_families; i++) {
		ok = put_elems(
		    b, NFT_MSG_DELSETELEM, l->families[i], 0, seq++, flush);
		acks++;
		if (ok && add != NULL) {
			ok = put_elems(b, NFT_MSG_NEWSETELEM, l->families[i],
			    NLM_F_CREATE, seq++, add);
			acks++;
		}
	}
	if (ok) {
		nftnl_batch_end(mnl_nlmsg_batch_current(b), seq);
		ok = mnl_nlmsg_batch_next(b);
	}
	if (ok) {
		out = mnl_nlmsg_batch_size(b);
		*n_acks = acks;
	}
	if (b != NULL)
		mnl_nlmsg_batch_stop(b);
	if (add != NULL)
		nftnl_set_free(add);
	if (flush != NULL)
		nftnl_set_free(flush);
	return out;
}

struct mnl_socket *
nft_batch_open(void)
{
	struct mnl_socket *nl = mnl_socket_open(NETLINK_NETFILTER);

	if (nl == NULL)
		return NULL;
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) == -1) {
		int e = errno;

		mnl_socket_close(nl);
		errno = e;
		return NULL;
	}
	return nl;
}

void
nft_batch_close(struct mnl_socket *nl)
{
	if (nl != NULL)
		mnl_socket_close(nl);
}

/* Counts the acks in one read to messages seq .. seq + span - 1 (the
 * numbers wrap after months of renewals); the first error wins. */
static void
read_acks(const void *buf, size_t n, uint32_t seq, uint32_t span, size_t *acks,
    int *err)
{
	const struct nlmsghdr *h = buf;
	int left = (int)n;

	for (; mnl_nlmsg_ok(h, left); h = mnl_nlmsg_next(h, &left)) {
		const struct nlmsgerr *e;

		if (h->nlmsg_type != NLMSG_ERROR ||
		    (uint32_t)(h->nlmsg_seq - seq) >= span ||
		    h->nlmsg_len < mnl_nlmsg_size(sizeof(*e)))
			continue; /* a reply of an earlier batch: not ours */
		e = mnl_nlmsg_get_payload(h);
		if (e->error == 0)
			(*acks)++;
		else if (*err == 0)
			*err = -e->error;
	}
}

int
nft_batch_send(struct mnl_socket *nl, const void *batch, size_t len,
    uint32_t seq, size_t n_acks)
{
	/* Acks of a failed message quote it whole: room for a few. */
	char buf[8192] __attribute__((aligned(NLMSG_ALIGNTO)));
	int fd = mnl_socket_get_fd(nl), err = 0;
	size_t acks = 0;
	ssize_t n;

	if (mnl_socket_sendto(nl, batch, len) < 0)
		return -1;
	while ((n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0)
		read_acks(
		    buf, (size_t)n, seq, (uint32_t)n_acks + 2, &acks, &err);
	if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
		return -1;
	if (err != 0) {
		errno = err;
		return -1;
	}
	if (acks < n_acks) {
		errno = EPROTO;
		return -1;
	}
	return 0;
}

int
nft_batch_renew(struct mnl_socket *nl, uint32_t *seq,
    const struct nft_batch_lease *l, uint32_t timeout_ms)
{
	char buf[1024];
	uint32_t first = *seq;
	size_t acks, len = nft_batch_build(
			 buf, sizeof(buf), first, l, timeout_ms, &acks);

	if (len == 0)
		abort(); /* sizes are fixed: a bug, not input */
	*seq += 2 + 2 * NFT_BATCH_TABLES_MAX;
	return nft_batch_send(nl, buf, len, first, acks);
}
