#!/usr/bin/python3
# An application using the site cache through a standard Redis Cluster
# client (redis-py, Debian's python3-redis): give it any member's address
# and the site cache's password; the client follows the cluster's slot map
# itself. README.md, "More than one member doing work";
# tests/netns/store_form.sh runs this file.
#
#   cluster_client.py MEMBER_ADDRESS [PASSWORD_FILE]
import sys

from redis.cluster import RedisCluster

member = sys.argv[1]
password_file = sys.argv[2] if len(sys.argv) > 2 else "/var/lib/qured/store/password"
with open(password_file) as f:
    password = f.read().strip()

cache = RedisCluster(host=member, port=6379, password=password)
cache.set("greeting", "hello from a Redis Cluster client")
print(cache.get("greeting").decode())
