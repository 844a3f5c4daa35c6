/*
 * netcfg/packet_pause.c on a real AF_PACKET socket (CAP_NET_RAW; skipped
 * without it): a paused socket resumes with or without a filter of its
 * own, so that its callers never fall back to closing it (an RCU grace
 * period in the event loop).
 */
#include "config.h"

#include <sys/socket.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <unistd.h>

#include <cmocka.h>

#include "netcfg/netcfg_int.h"

static int
packet_socket_or_skip(void)
{
	int fd = socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC, htons(ETH_P_ARP));

	if (fd == -1 && (errno == EPERM || errno == EACCES))
		skip(); /* not root: nothing to learn here */
	assert_true(fd >= 0);
	return fd;
}

/* The kernel's own view: the number of BPF instructions attached. */
static int
filter_len(int fd)
{
	struct sock_filter insns[8];
	socklen_t len = sizeof(insns) / sizeof(insns[0]); /* in insns */

	if (getsockopt(fd, SOL_SOCKET, SO_GET_FILTER, insns, &len) == -1)
		return -1;
	return (int)len;
}

static void
a_paused_socket_resumes_without_a_filter(void **state)
{
	int fd = packet_socket_or_skip();

	(void)state;
	assert_int_equal(netcfg_packet_pause(fd), 0);
	assert_int_equal(filter_len(fd), 1); /* drop all */
	assert_int_equal(netcfg_packet_resume(fd, NULL), 0);
	assert_int_equal(filter_len(fd), 0);
	/* And again: a holder comes and goes many times. */
	assert_int_equal(netcfg_packet_pause(fd), 0);
	assert_int_equal(netcfg_packet_resume(fd, NULL), 0);
	close(fd);
}

static void
a_paused_socket_resumes_with_its_own_filter(void **state)
{
	static struct sock_filter accept_all[] = {
	    BPF_STMT(BPF_RET | BPF_K, 0xffff),
	    BPF_STMT(BPF_RET | BPF_K, 0xffff),
	};
	struct sock_fprog fp = {2, accept_all};
	int fd = packet_socket_or_skip();

	(void)state;
	assert_int_equal(netcfg_packet_pause(fd), 0);
	assert_int_equal(netcfg_packet_resume(fd, &fp), 0);
	assert_int_equal(filter_len(fd), 2);
	close(fd);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(a_paused_socket_resumes_without_a_filter),
	    cmocka_unit_test(a_paused_socket_resumes_with_its_own_filter),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
