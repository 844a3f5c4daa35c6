/*
 * base/ctl_client.h — the client side of a control socket (qured's or
 * qure-hostd's, doc/design.md §7): connect, one request line out, one
 * reply line back, within a deadline. qurectl and qure-hostd (which asks
 * its local qured) share it; the JSON on either side is theirs.
 */
#ifndef QURE_CTL_CLIENT_H
#define QURE_CTL_CLIENT_H

#include <stddef.h>

/*
 * A stream connection to the socket at path; flags: SOCK_NONBLOCK or 0
 * (SOCK_CLOEXEC is always set). The descriptor, or -1 with err: "control
 * socket path too long: PATH", "socket: ...", "cannot connect to PATH:
 * strerror (is qured running?)"; errno is kept.
 */
int ctl_client_connect(const char *path, int flags, char *err, size_t errlen);

/*
 * Sends line (a newline is added) to the socket at path and reads the
 * reply up to its newline, within timeout_ms in all. 0 with *reply the
 * line, NUL-terminated, its newline dropped (free() it), *len its length;
 * or -1 with err in one line naming path: it cannot connect (above),
 * "cannot send to", "no reply from PATH within N s (is qured stuck?)",
 * "PATH closed the connection without a reply", "reply from PATH over N
 * bytes" (max: the reply's cap), "cannot read from".
 */
int ctl_client_call(const char *path, const char *line, int timeout_ms,
    size_t max, char **reply, size_t *len, char *err, size_t errlen);

#endif
