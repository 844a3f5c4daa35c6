#!/usr/bin/env python3
"""tests/netns/cdp.py PORT COMMAND [ARG]: drives a headless Chromium
through its DevTools protocol on 127.0.0.1:PORT (tests/netns/
statuspage.sh), with the standard library only (a minimal WebSocket
client, RFC 6455: masked text frames out, unfragmented frames in).

  navigate URL      opens URL in the first page and waits for its load
  eval EXPR         prints the value of the JavaScript EXPR in that page
  screenshot FILE   writes a PNG of the page to FILE
  wait-ready [S]     waits until the DevTools endpoint answers (S s, 20)

One connection per call: the page stays open in the browser between calls.
"""
import base64
import http.client
import json
import os
import socket
import struct
import sys
import time
import urllib.parse


def targets(port):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    c.request("GET", "/json/list")
    return json.loads(c.getresponse().read())


class WS:
    def __init__(self, url):
        u = urllib.parse.urlparse(url)
        self.s = socket.create_connection((u.hostname, u.port), 10)
        key = base64.b64encode(os.urandom(16)).decode()
        self.s.sendall(("GET %s HTTP/1.1\r\nHost: %s:%d\r\n"
                        "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                        "Sec-WebSocket-Key: %s\r\n"
                        "Sec-WebSocket-Version: 13\r\n\r\n"
                        % (u.path, u.hostname, u.port, key)).encode())
        head = b""
        while b"\r\n\r\n" not in head:
            b = self.s.recv(1)
            if not b:
                raise OSError("websocket handshake: connection closed")
            head += b
        if b" 101 " not in head.split(b"\r\n")[0]:
            raise OSError("websocket handshake: %r" % head[:80])
        self.n = 0

    def _recv(self, n):
        buf = b""
        while len(buf) < n:
            b = self.s.recv(n - len(buf))
            if not b:
                raise OSError("websocket: connection closed")
            buf += b
        return buf

    def send(self, obj):
        data = json.dumps(obj).encode()
        mask = os.urandom(4)
        hdr = bytes([0x81])
        if len(data) < 126:
            hdr += bytes([0x80 | len(data)])
        elif len(data) < 65536:
            hdr += bytes([0x80 | 126]) + struct.pack(">H", len(data))
        else:
            hdr += bytes([0x80 | 127]) + struct.pack(">Q", len(data))
        body = bytes(b ^ mask[i % 4] for i, b in enumerate(data))
        self.s.sendall(hdr + mask + body)

    def recv(self):
        b0, b1 = self._recv(2)
        n = b1 & 0x7f
        if n == 126:
            n = struct.unpack(">H", self._recv(2))[0]
        elif n == 127:
            n = struct.unpack(">Q", self._recv(8))[0]
        data = self._recv(n)
        if b0 & 0x0f == 0x8:
            raise OSError("websocket: closed by the browser")
        return json.loads(data) if b0 & 0x0f == 0x1 else None

    def call(self, method, **params):
        self.n += 1
        self.send({"id": self.n, "method": method, "params": params})
        while True:
            m = self.recv()
            if m and m.get("id") == self.n:
                if "error" in m:
                    raise OSError("%s: %s" % (method, m["error"]))
                return m.get("result", {})

    def wait_event(self, method, timeout):
        self.s.settimeout(timeout)
        while True:
            m = self.recv()
            if m and m.get("method") == method:
                return m


def page(port):
    for t in targets(port):
        if t.get("type") == "page":
            return WS(t["webSocketDebuggerUrl"])
    raise OSError("no page in the browser")


def main():
    port, cmd = int(sys.argv[1]), sys.argv[2]
    arg = sys.argv[3] if len(sys.argv) > 3 else None
    if cmd == "wait-ready":
        end = time.monotonic() + float(arg or 20)
        while True:
            try:
                targets(port)
                return
            except OSError:
                if time.monotonic() > end:
                    raise
                time.sleep(0.2)
    ws = page(port)
    if cmd == "navigate":
        ws.call("Page.enable")
        ws.call("Page.navigate", url=arg)
        ws.wait_event("Page.loadEventFired", 15)
    elif cmd == "eval":
        r = ws.call("Runtime.evaluate", expression=arg, returnByValue=True)
        print(r.get("result", {}).get("value", ""))
    elif cmd == "screenshot":
        r = ws.call("Page.captureScreenshot", format="png")
        with open(arg, "wb") as f:
            f.write(base64.b64decode(r["data"]))
    else:
        sys.exit("cdp.py: unknown command %s" % cmd)


main()
