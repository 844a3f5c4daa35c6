/*
 * netcfg/nft_batch.h — the nftables lease's renewal as one netlink batch
 * (libnftnl builds it, libmnl sends it), without libnftables.
 *
 * The holder renews its lease element every third of the fence (60 times
 * a second at the default). Through libnftables each renewal parsed a
 * command and fetched the ruleset cache from the kernel: about 0.45 ms of
 * CPU, 2.7 % of a core for an idle holder. The tables themselves are still
 * made once through libnftables (netcfg_nft.c, netcfg6.c), whose text is
 * the readable definition; only the element's replacement comes here.
 */
#ifndef QURE_NETCFG_NFT_BATCH_H
#define QURE_NETCFG_NFT_BATCH_H

#include <stddef.h>
#include <stdint.h>

struct mnl_socket;

/* The tables (by family) whose set "lease" one renewal replaces. */
#define NFT_BATCH_TABLES_MAX 2

struct nft_batch_lease {
	const char *table;			/* qure_<if>_<dmz hex>, say */
	uint8_t families[NFT_BATCH_TABLES_MAX]; /* NFPROTO_ARP, NFPROTO_INET */
	size_t n_families;
	const uint8_t *key; /* the address, network order */
	size_t key_len;	    /* 4 or 16 */
};

/*
 * Builds into buf the batch that empties the set "lease" of each table and,
 * if timeout_ms > 0, adds the key with that timeout: one transaction, so
 * the address never goes silent between the flush and the add. Messages
 * are numbered from seq on (at most 2 + 2 x NFT_BATCH_TABLES_MAX of them);
 * *n_acks is how many acks the kernel owes. buf is twice the batch's
 * limit (libmnl writes a message before it checks); 1 KiB is plenty.
 * Returns the batch's length, or 0 if buf is too small (a bug: the sizes
 * are fixed) or libnftnl could not allocate.
 */
size_t nft_batch_build(void *buf, size_t len, uint32_t seq,
    const struct nft_batch_lease *l, uint32_t timeout_ms, size_t *n_acks);

/* The socket renewals go on: NULL with errno if it cannot be opened. */
struct mnl_socket *nft_batch_open(void);
void nft_batch_close(struct mnl_socket *);

/*
 * Sends a built batch and reads the kernel's answers, which it queued
 * before the send returned (nfnetlink runs a batch in the sender's
 * context): never waits. 0 once every message was acked; -1 with errno
 * the kernel's (ENOENT: a table or set is gone) or EPROTO if acks are
 * missing.
 */
int nft_batch_send(struct mnl_socket *, const void *batch, size_t len,
    uint32_t seq, size_t n_acks);

/*
 * Builds and sends one renewal (timeout_ms 0: empties the sets), its
 * messages numbered from *seq on; advances *seq past them. As
 * nft_batch_send().
 */
int nft_batch_renew(struct mnl_socket *, uint32_t *seq,
    const struct nft_batch_lease *l, uint32_t timeout_ms);

#endif
