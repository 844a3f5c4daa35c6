/*
 * discovery/disc_if.c — our own addresses on the cluster interface, for
 * disc_addr_choose() (the edge half of the address choice).
 */
#include "config.h"

#include "discovery/discovery.h"

#include <sys/socket.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <ifaddrs.h>
#include <stdio.h>
#include <string.h>

static int
prefix_of(const struct sockaddr *mask)
{
	uint32_t m;
	int n = 0;

	if (mask == NULL || mask->sa_family != AF_INET)
		return 32;
	m = ntohl(
	    ((const struct sockaddr_in *)(const void *)mask)->sin_addr.s_addr);
	while (m & 0x80000000u) {
		n++;
		m <<= 1;
	}
	return n;
}

int
disc_own_nets(const char *ifname, struct disc_net *out, size_t max)
{
	struct ifaddrs *all, *ifa;
	const struct sockaddr_in *sin;
	size_t n = 0;

	if (getifaddrs(&all) == -1)
		return -1;
	for (ifa = all; ifa != NULL && n < max; ifa = ifa->ifa_next) {
		/* Labelled addresses ("eth0:1") are the interface's too. */
		if (ifa->ifa_addr == NULL ||
		    ifa->ifa_addr->sa_family != AF_INET ||
		    strncmp(ifa->ifa_name, ifname, strlen(ifname)) != 0 ||
		    (ifa->ifa_name[strlen(ifname)] != '\0' &&
			ifa->ifa_name[strlen(ifname)] != ':'))
			continue;
		sin = (const struct sockaddr_in *)(const void *)ifa->ifa_addr;
		memset(&out[n], 0, sizeof(out[n]));
		out[n].addr.family = 4;
		memcpy(out[n].addr.b, &sin->sin_addr, 4);
		out[n].prefix = (uint8_t)prefix_of(ifa->ifa_netmask);
		if (disc_addr_is_usable(&out[n].addr))
			n++;
	}
	freeifaddrs(all);
	return (int)n;
}

int
disc_if_has_ipv4(const char *ifname)
{
	struct ifaddrs *all, *ifa;
	size_t len = strlen(ifname);
	int found = 0;

	if (getifaddrs(&all) == -1)
		return -1;
	for (ifa = all; ifa != NULL && !found; ifa = ifa->ifa_next)
		found =
		    ifa->ifa_addr != NULL &&
		    ifa->ifa_addr->sa_family == AF_INET &&
		    strncmp(ifa->ifa_name, ifname, len) == 0 &&
		    (ifa->ifa_name[len] == '\0' || ifa->ifa_name[len] == ':');
	freeifaddrs(all);
	return found;
}

int
disc_ifname_on_net(struct in_addr a, char *ifname, size_t len)
{
	struct ifaddrs *all, *ifa;
	struct disc_net n;
	struct disc_addr want = {.family = 4};
	const struct sockaddr_in *sin;
	int found = -1;

	memcpy(want.b, &a, 4);
	if (getifaddrs(&all) == -1)
		return -1;
	for (ifa = all; ifa != NULL && found == -1; ifa = ifa->ifa_next) {
		if (ifa->ifa_addr == NULL ||
		    ifa->ifa_addr->sa_family != AF_INET ||
		    (ifa->ifa_flags & IFF_LOOPBACK))
			continue;
		sin = (const struct sockaddr_in *)(const void *)ifa->ifa_addr;
		memset(&n, 0, sizeof(n));
		n.addr.family = 4;
		memcpy(n.addr.b, &sin->sin_addr, 4);
		n.prefix = (uint8_t)prefix_of(ifa->ifa_netmask);
		if (n.prefix == 32 || !disc_addr_in_nets(&want, &n, 1))
			continue; /* a /32 (the DMZ address itself) says nothing
				   */
		/* An address label ("eth0:dmz") names its interface first. */
		snprintf(ifname, len, "%.*s", (int)strcspn(ifa->ifa_name, ":"),
		    ifa->ifa_name);
		found = 0;
	}
	freeifaddrs(all);
	return found;
}
