/*
 * tests/unit/balance_gen.c — prints the load sharing ruleset of a
 * canned cluster (three members, TCP 80 and 443, UDP 53; with an
 * argument "port": the client's port in the key), for
 * tests/unit/balance_nft.sh to hand to `nft -c`.
 */
#include "config.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "netcfg/balance.h"

int
main(int argc, char **argv)
{
	static struct balance_conf c;
	static char out[BALANCE_SCRIPT_MAX];
	char s[32];
	size_t n;
	int b;

	snprintf(c.table, sizeof(c.table), "qure_bal_eth0");
	inet_pton(AF_INET, "10.0.0.200", &c.dmz);
	inet_pton(AF_INET, "10.0.0.11", &c.self);
	c.key_port = argc > 1 && strcmp(argv[1], "port") == 0;
	c.seed = 0x5152;
	c.ports[0] = (struct balance_port){6, 80};
	c.ports[1] = (struct balance_port){6, 443};
	c.ports[2] = (struct balance_port){17, 53};
	c.n_ports = 3;
	for (b = 0; b < BALANCE_BUCKETS; b++) {
		snprintf(s, sizeof(s), "10.0.0.%d", 11 + b % 3);
		inet_pton(AF_INET, s, &c.bucket[b]);
	}
	n = balance_script(&c, out, sizeof(out));
	if (n == 0)
		return 1;
	fwrite(out, 1, n, stdout);
	return 0;
}
