#!/usr/bin/env python3
"""tests/netns/igd_responder.py -- a tiny home router of the tests' own:
SSDP + UPnP IGD (description, GetStatusInfo, GetExternalIPAddress,
AddPortMapping, GetGenericPortMappingEntry) and NAT-PMP (RFC 6886), so the
success paths can be tested (miniupnpd refuses every mapping behind a
non-public WAN address, and no public address may be used here).

usage: igd_responder.py MODE LAN_IP LOGFILE
  MODE  upnp        UPnP only, external address 198.51.100.7
        natpmp      NAT-PMP only, external address 198.51.100.7
        hostile     UPnP only, NewExternalIPAddress is not an address,
                    the mapping table forwards our ports off the LAN
        huge        UPnP only, the description never ends (chunked)
Every request it serves is one line in LOGFILE (flushed).
IGD_SEED="PORT PROTO CLIENT" in the environment: the mapping table starts
with that row (a forward someone set up before qured: [dmz] address =
auto (a))."""
import http.server
import os
import socket
import struct
import sys
import threading
import time

MODE, LAN, LOG = sys.argv[1], sys.argv[2], sys.argv[3]
EXT = "198.51.100.7"
SVC = "urn:schemas-upnp-org:service:WANIPConnection:1"
logf = open(LOG, "a", buffering=1)
lock = threading.Lock()
table = []  # (ext_port, proto, client, int_port, lease)
if os.environ.get("IGD_SEED"):
    _p, _proto, _client = os.environ["IGD_SEED"].split()
    table.append((_p, _proto, _client, _p, "0"))
if MODE == "hostile":  # rows of our ports for a non-LAN address, junk
    table = [("8080", "TCP", "198.51.100.9", "8080", "0"),
             ("8443", "TCP", "<b>x</b>", "8443", "0"),
             ("5060", "UDP", "999.1.1.1", "5060", "0")]


def log(line):
    with lock:
        logf.write("%.3f %s\n" % (time.time(), line))


DESC = """<?xml version="1.0"?>
<root xmlns="urn:schemas-upnp-org:device-1-0">
<specVersion><major>1</major><minor>0</minor></specVersion>
<device><deviceType>urn:schemas-upnp-org:device:InternetGatewayDevice:1</deviceType>
<friendlyName>test IGD</friendlyName><UDN>uuid:00000000-0000-0000-0000-000000000001</UDN>
<deviceList><device><deviceType>urn:schemas-upnp-org:device:WANDevice:1</deviceType>
<UDN>uuid:00000000-0000-0000-0000-000000000002</UDN>
<serviceList><service><serviceType>urn:schemas-upnp-org:service:WANCommonInterfaceConfig:1</serviceType>
<serviceId>urn:upnp-org:serviceId:WANCommonIFC1</serviceId><controlURL>/ctl/CmnIfCfg</controlURL>
<eventSubURL>/evt/CmnIfCfg</eventSubURL><SCPDURL>/WANCfg.xml</SCPDURL></service></serviceList>
<deviceList><device><deviceType>urn:schemas-upnp-org:device:WANConnectionDevice:1</deviceType>
<UDN>uuid:00000000-0000-0000-0000-000000000003</UDN>
<serviceList><service><serviceType>%s</serviceType>
<serviceId>urn:upnp-org:serviceId:WANIPConn1</serviceId><controlURL>/ctl/IPConn</controlURL>
<eventSubURL>/evt/IPConn</eventSubURL><SCPDURL>/WANIPCn.xml</SCPDURL></service></serviceList>
</device></deviceList></device></deviceList></device></root>
""" % SVC


def envelope(action, body):
    return ('<?xml version="1.0"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" '
            's:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/"><s:Body>'
            '<u:%sResponse xmlns:u="%s">%s</u:%sResponse></s:Body></s:Envelope>'
            % (action, SVC, body, action))


def fault(code, text):
    return ('<?xml version="1.0"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" '
            's:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/"><s:Body><s:Fault>'
            '<faultcode>s:Client</faultcode><faultstring>UPnPError</faultstring><detail>'
            '<UPnPError xmlns="urn:schemas-upnp-org:control-1-0"><errorCode>%d</errorCode>'
            '<errorDescription>%s</errorDescription></UPnPError></detail></s:Fault></s:Body></s:Envelope>'
            % (code, text))


def arg(body, name):
    a = body.find("<%s>" % name)
    b = body.find("</%s>" % name)
    return body[a + len(name) + 2:b] if a >= 0 and b > a else ""


class H(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass

    def reply(self, code, text, ctype="text/xml"):
        data = text.encode()
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        log("GET %s from %s" % (self.path, self.client_address[0]))
        if MODE == "huge":
            self.send_response(200)
            self.send_header("Content-Type", "text/xml")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            chunk = b"<x>" + b"A" * 65536 + b"</x>"
            frame = b"%x\r\n" % len(chunk) + chunk + b"\r\n"
            sent = 0
            try:
                while sent < (256 << 20):  # past the helper's 64 MiB; bounded under ASan
                    self.wfile.write(frame)
                    sent += len(chunk)
            except OSError:
                pass
            log("huge: %d bytes sent" % sent)
            return
        self.reply(200, DESC if self.path == "/rootDesc.xml" else "<scpd/>")

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(n).decode(errors="replace")
        action = self.headers.get("SOAPAction", "").strip('"').split("#")[-1]
        src = self.client_address[0]
        if action == "GetStatusInfo":
            self.reply(200, envelope(action, "<NewConnectionStatus>Connected</NewConnectionStatus>"
                                     "<NewLastConnectionError>ERROR_NONE</NewLastConnectionError>"
                                     "<NewUptime>100</NewUptime>"))
        elif action == "GetExternalIPAddress":
            ext = EXT if MODE != "hostile" else "1.2.3.4; rm -rf /"
            log("external asked by %s" % src)
            self.reply(200, envelope(action, "<NewExternalIPAddress>%s</NewExternalIPAddress>" % ext))
        elif action == "AddPortMapping":
            e = (arg(body, "NewExternalPort"), arg(body, "NewProtocol"),
                 arg(body, "NewInternalClient"), arg(body, "NewInternalPort"),
                 arg(body, "NewLeaseDuration"))
            log("map %s %s -> %s:%s lease %s from %s" % (e[1], e[0], e[2], e[3], e[4], src))
            with lock:
                table[:] = [t for t in table if (t[0], t[1]) != (e[0], e[1])] + [e]
            self.reply(200, envelope(action, ""))
        elif action == "GetGenericPortMappingEntry":
            i = int(arg(body, "NewPortMappingIndex") or "0")
            with lock:
                t = table[i] if i < len(table) else None
            if t is None:
                self.reply(500, fault(713, "SpecifiedArrayIndexInvalid"))
            else:
                self.reply(200, envelope(action,
                    "<NewRemoteHost></NewRemoteHost><NewExternalPort>%s</NewExternalPort>"
                    "<NewProtocol>%s</NewProtocol><NewInternalPort>%s</NewInternalPort>"
                    "<NewInternalClient>%s</NewInternalClient><NewEnabled>1</NewEnabled>"
                    "<NewPortMappingDescription>x</NewPortMappingDescription>"
                    "<NewLeaseDuration>%s</NewLeaseDuration>" % (t[0], t[1], t[3], t[2], t[4])))
        else:
            log("action %s from %s" % (action, src))
            self.reply(500, fault(401, "Invalid Action"))


def ssdp():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("", 1900))
    mreq = socket.inet_aton("239.255.255.250") + socket.inet_aton(LAN)
    s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, mreq)
    while True:
        data, peer = s.recvfrom(2048)
        text = data.decode(errors="replace")
        if not text.startswith("M-SEARCH"):
            continue
        st = "urn:schemas-upnp-org:device:InternetGatewayDevice:1"
        for line in text.split("\r\n"):
            if line.lower().startswith("st:"):
                st = line[3:].strip()
        log("M-SEARCH %s from %s" % (st, peer[0]))
        r = ("HTTP/1.1 200 OK\r\nCACHE-CONTROL: max-age=120\r\nST: %s\r\n"
             "USN: uuid:00000000-0000-0000-0000-000000000001::%s\r\nEXT:\r\n"
             "SERVER: Linux/5 UPnP/1.1 qure-test/1\r\n"
             "LOCATION: http://%s:5000/rootDesc.xml\r\n\r\n" % (st, st, LAN))
        s.sendto(r.encode(), peer)


def natpmp():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("", 5351))
    start = time.time()
    while True:
        data, peer = s.recvfrom(64)
        if len(data) < 2 or data[0] != 0:
            continue
        op = data[1]
        epoch = int(time.time() - start)
        if op == 0:
            log("natpmp external asked by %s" % peer[0])
            r = struct.pack("!BBHI4s", 0, 128, 0, epoch, socket.inet_aton(EXT))
        elif op in (1, 2) and len(data) >= 12:
            iport, eport, life = struct.unpack("!HHI", data[4:12])
            log("natpmp map %s %d -> %s:%d lease %d" %
                ("UDP" if op == 1 else "TCP", eport, peer[0], iport, life))
            r = struct.pack("!BBHIHHI", 0, 128 + op, 0, epoch, iport, eport, life)
        else:
            r = struct.pack("!BBHI", 0, 128 + op, 5, epoch)
        s.sendto(r, peer)


if MODE == "natpmp":
    natpmp()
else:
    threading.Thread(target=ssdp, daemon=True).start()
    http.server.HTTPServer.allow_reuse_address = True
    http.server.HTTPServer((LAN, 5000), H).serve_forever()
