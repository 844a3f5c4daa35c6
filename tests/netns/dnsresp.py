#!/usr/bin/env python3
"""tests/netns/dnsresp.py — raw DNS for tests/netns/dnsresp.sh: the
hostile queries no client sends, and a query storm from one address.

  dnsresp.py bad SERVER PORT      one line per hostile query: NAME RESULT
                                  (RESULT: rcode=N size=N, or none)
  dnsresp.py conns SERVER PORT N  N idle TCP connections held, one more
                                  asked: prints extra RESULT after RESULT
  dnsresp.py storm SRC SERVER PORT SECONDS RATE
                                  prints: sent N answers N tc N
"""
import socket
import struct
import sys
import time


def name(n):
    b = b""
    for label in n.strip(".").split("."):
        if label:
            b += bytes([len(label)]) + label.encode()
    return b + b"\0"


def query(qn, qtype=1, qclass=1, flags=0x0100, qd=1, an=0, ns=0, ar=0,
          qid=0x4242):
    return struct.pack(">HHHHHH", qid, flags, qd, an, ns, ar) + name(qn) + \
        struct.pack(">HH", qtype, qclass)


def udp_ask(server, port, data, timeout=1.0):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(timeout)
    s.sendto(data, (server, port))
    try:
        d = s.recv(65535)
    except socket.timeout:
        return None
    finally:
        s.close()
    return d


def tcp_ask(server, port, data, timeout=2.0):
    s = socket.create_connection((server, port), timeout=timeout)
    try:
        s.sendall(struct.pack(">H", len(data) & 0xffff) + data)
        hdr = b""
        while len(hdr) < 2:
            c = s.recv(2 - len(hdr))
            if not c:
                return None
            hdr += c
        n = struct.unpack(">H", hdr)[0]
        d = b""
        while len(d) < n:
            c = s.recv(n - len(d))
            if not c:
                return None
            d += c
        return d
    except (socket.timeout, ConnectionError):
        return None
    finally:
        s.close()


def result(d):
    if d is None:
        return "none"
    if len(d) < 12:
        return "short size=%d" % len(d)
    return "rcode=%d size=%d" % (d[3] & 0x0f, len(d))


def bad(server, port, zone):
    ok = query(zone, 6)
    loop = struct.pack(">HHHHHH", 1, 0x0100, 1, 0, 0, 0) + b"\xc0\x0c" + \
        struct.pack(">HH", 1, 1)
    cases = {
        "truncated": ok[:len(ok) - 3],
        "header_only": ok[:12],
        "short": ok[:5],
        "loop": loop,
        "huge_counts": query(zone, 6, qd=65535, an=65535, ns=65535,
                             ar=65535),
        "chaos_class": query("version.bind", 16, qclass=3),
        "opcode_notify": query(zone, 6, flags=4 << 11),
        "opcode_15": query(zone, 6, flags=15 << 11),
        "response": query(zone, 6, flags=0x8000),
        "oversized_outside": query("example.com", 1) + b"\0" * 3000,
        "garbage": bytes(range(256)) * 4,
    }
    for k, v in cases.items():
        print("udp_%s %s qsize=%d" % (k, result(udp_ask(server, port, v)),
                                      len(v)))
        print("tcp_%s %s qsize=%d" % (k, result(tcp_ask(server, port, v)),
                                      len(v)))
    # 100 queries pipelined on one connection, in one write: 100 answers.
    s = socket.create_connection((server, port), timeout=3)
    q = query("h1." + zone, 1)
    s.sendall((struct.pack(">H", len(q)) + q) * 100)
    got = b""
    try:
        while True:
            c = s.recv(65536)
            if not c:
                break
            got += c
            n, off = 0, 0
            while off + 2 <= len(got):
                off += 2 + struct.unpack(">H", got[off:off + 2])[0]
                n += 1
            if n >= 100 and off == len(got):
                break
    except socket.timeout:
        pass
    s.close()
    n, off = 0, 0
    while off + 2 <= len(got):
        off += 2 + struct.unpack(">H", got[off:off + 2])[0]
        n += 1
    print("tcp_pipeline answers=%d" % n)
    # A TCP message that says 64 KiB and sends 10 bytes, then hangs up.
    s = socket.create_connection((server, port), timeout=2)
    s.sendall(b"\xff\xff" + b"x" * 10)
    s.close()
    print("tcp_partial sent")


def storm(src, server, port, seconds, rate):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((src, 0))
    s.setblocking(False)
    q = query("h1." + ZONE, 1)
    sent = answers = tc = 0
    end = time.time() + seconds
    batch = max(1, rate // 100)
    while time.time() < end:
        for _ in range(batch):
            try:
                s.sendto(q, (server, port))
                sent += 1
            except (BlockingIOError, ConnectionRefusedError):
                pass
        while True:
            try:
                d = s.recv(4096)
            except (BlockingIOError, ConnectionRefusedError):
                break
            answers += 1
            if len(d) >= 3 and d[2] & 0x02:
                tc += 1
        time.sleep(0.01)
    time.sleep(0.3)
    while True:
        try:
            d = s.recv(4096)
        except (BlockingIOError, ConnectionRefusedError):
            break
        answers += 1
        if len(d) >= 3 and d[2] & 0x02:
            tc += 1
    print("sent %d answers %d tc %d" % (sent, answers, tc))


def conns(server, port, n):
    """Holds n idle TCP connections open, then asks on one more; closes
    them all and asks again. Prints: extra RESULT after RESULT."""
    held = []
    for _ in range(n):
        try:
            held.append(socket.create_connection((server, port), timeout=2))
        except OSError:
            break
    time.sleep(0.3)
    extra = result(tcp_ask(server, port, query(ZONE, 6)))
    for c in held:
        c.close()
    time.sleep(0.3)
    after = result(tcp_ask(server, port, query(ZONE, 6)))
    print("extra %s after %s" % (extra.replace(" ", ","),
                                 after.replace(" ", ",")))


ZONE = "cloud.example.org"
if __name__ == "__main__":
    if sys.argv[1] == "bad":
        bad(sys.argv[2], int(sys.argv[3]), ZONE)
    elif sys.argv[1] == "conns":
        conns(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    elif sys.argv[1] == "storm":
        storm(sys.argv[2], sys.argv[3], int(sys.argv[4]),
              float(sys.argv[5]), int(sys.argv[6]))
    else:
        sys.exit("usage: dnsresp.py bad|storm ...")
