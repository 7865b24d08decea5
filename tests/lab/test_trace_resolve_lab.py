"""Lab, field report 000 from the server's side: `conndoctor trace` shows
the time mysqld itself spent resolving a client's address, read by uprobes
on its libc. The server namespace's resolver points at a DNS server of this
test's own that answers every query after DELAY seconds (PTR with a name,
A with the client's address), so a connect from a new address costs mysqld
(skip_name_resolve=OFF) one reverse lookup (getnameinfo, which calls
gethostbyaddr_r inside) and one forward check (getaddrinfo), each about
DELAY. The same through the libwrap fixture (wrapproxy, picked by --comm),
whose hosts.allow names a hostname. The tracer's "ready" line is waited
for (no sleeps). Tolerance: each lookup within 10% of DELAY. Skips where
eBPF is unavailable."""
import json
import os
import shutil
import subprocess
import tempfile
import unittest

import harness
from harness import conndoctor_path, run_conndoctor
from harness.lab import Lab
from test_trace_lab import Tracer, need_bpf

SERVER, CLIENT = "10.213.12.1", "10.213.12.2"
SERVER_DNS_SIDE, DNS = "10.213.12.5", "10.213.12.6"
DELAY = 1.0
CLIENT_NAME = "db-client.lab.test"

# Answers each query on its own timer after argv[2] s: PTR with argv[3],
# A with argv[4], anything else with no records.
SLOW_DNS = """
import socket, struct, sys, threading
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], 53))
delay, name, addr = float(sys.argv[2]), sys.argv[3], sys.argv[4]
def encode(n):
    return b"".join(bytes([len(p)]) + p.encode() for p in n.split(".")) + b"\\0"
def answer(q, peer):
    i = 12
    while i < len(q) and q[i]:
        i += q[i] + 1
    question = q[12:i + 5]
    qtype = struct.unpack("!H", q[i + 1:i + 3])[0] if i + 3 <= len(q) else 0
    rr = b""
    if qtype == 12:
        rr = encode(name)
    elif qtype == 1:
        rr = socket.inet_aton(addr)
    head = q[:2] + bytes([0x81, 0x80]) + struct.pack("!HHHH", 1, 1 if rr else 0, 0, 0)
    body = question
    if rr:
        body += b"\\xc0\\x0c" + struct.pack("!HHIH", qtype, 1, 60, len(rr)) + rr
    s.sendto(head + body, peer)
print("ready", flush=True)
while True:
    q, peer = s.recvfrom(512)
    if len(q) >= 17:
        threading.Timer(delay, answer, (q, peer)).start()
"""


def wrapproxy_path():
    build = os.path.dirname(conndoctor_path())
    path = os.path.join(build, "tests", "fixtures", "wrapproxy", "wrapproxy")
    if not os.access(path, os.X_OK):
        harness.skip(f"wrapproxy fixture not built at {path}")
    return path


def client_row(doc, addr):
    rows = [c for c in doc["resolve"]["clients"] if c["address"] == addr]
    if len(rows) != 1:
        raise AssertionError(f"no single row for {addr}: {doc['resolve']}")
    return rows[0]


class TraceResolve(unittest.TestCase):
    def topology(self, lab):
        s, c, d = lab.ns("s"), lab.ns("c"), lab.ns("d")
        lab.link(s, c, SERVER, CLIENT)
        lab.link(s, d, SERVER_DNS_SIDE, DNS)
        lab.resolv_conf(s, f"nameserver {DNS}\noptions timeout:5 attempts:1\n")
        p = lab.popen(d, ["python3", "-c", SLOW_DNS, DNS, DELAY, CLIENT_NAME, CLIENT],
                      stdout=subprocess.PIPE, text=True)
        self.assertEqual(p.stdout.readline().strip(), "ready")
        return s, c

    def probe(self, c, db, port):
        rc, out, err = run_conndoctor(
            ["probe", f"--defaults-file={db.client_cnf(host=SERVER, port=port)}",
             "-n", "1", "--connect-timeout", "10", "--json"], ns=c, timeout=60)
        return json.loads(out)

    def assertNear(self, got, want):
        self.assertAlmostEqual(got, want, delta=want * 0.1)

    def test_mysqld_resolves_the_client(self):
        """Report 000: mysqld with skip_name_resolve=OFF behind a slow
        resolver; trace splits the greeting's wait into getnameinfo and the
        forward getaddrinfo, each one DELAY, for the client's address."""
        with Lab() as lab:
            s, c = self.topology(lab)
            db = lab.mariadb(s, SERVER, variables={"skip_name_resolve": 0})
            tr = Tracer(lab, s, duration=60, args=["--port", db.port])
            self.assertIn("name resolution traced", tr.ready)
            doc = self.probe(c, db, db.port)
            trace = tr.stop()
        self.assertEqual(doc["summary"]["outcomes"], {"ok": 1}, doc["summary"])
        res = trace["resolve"]
        self.assertTrue(res["traced"])
        self.assertEqual(len(res["processes"]), 1)
        self.assertIn("libc", os.path.basename(res["processes"][0]["libc"]))
        row = client_row(trace, CLIENT)
        fns = row["functions"]
        self.assertEqual(fns["getnameinfo"]["calls"], 1, row)
        self.assertEqual(fns["getaddrinfo"]["calls"], 1, row)
        self.assertNear(fns["getnameinfo"]["total_s"], DELAY)
        self.assertNear(fns["getaddrinfo"]["total_s"], DELAY)
        # getnameinfo's inner gethostbyaddr_r is recorded, not counted twice.
        self.assertEqual(row["nested"]["gethostbyaddr_r"]["calls"], 1, row)
        self.assertEqual(row["lookups"], 2)
        self.assertNear(row["total_s"], 2 * DELAY)
        self.assertNear(row["max_s"], DELAY)
        slow = {(e["function"], e["nested"]): e for e in res["slow_lookups"]
                if e["address"] == CLIENT}
        self.assertIn(("getnameinfo", False), slow)
        self.assertEqual(slow[("getaddrinfo", False)]["name"], CLIENT_NAME)
        self.assertNear(slow[("getaddrinfo", False)]["duration_s"], DELAY)
        self.assertEqual(res["events_lost"], 0)
        # The greeting the client waited is the two lookups.
        self.assertAlmostEqual(doc["attempts"][0]["greeting_s"], 2 * DELAY, delta=0.25)

    def test_libwrap_front_end(self):
        """The wrappers fixture, a separate process picked by --comm,
        checks a hostname pattern in hosts.allow: its reverse lookup and
        forward check are counted for the client's address."""
        proxy = wrapproxy_path()
        tables = tempfile.mkdtemp(prefix="cd-hosts-")
        self.addCleanup(shutil.rmtree, tables, ignore_errors=True)
        allow, deny = os.path.join(tables, "hosts.allow"), os.path.join(tables, "hosts.deny")
        with open(allow, "w") as f:
            f.write(f"mysqld: {CLIENT_NAME}\n")
        with open(deny, "w") as f:
            f.write("mysqld: ALL\n")
        with Lab() as lab:
            s, c = self.topology(lab)
            db = lab.mariadb(s, "127.0.0.1", port=harness.free_port(),
                             variables={"skip_name_resolve": 1})
            p = lab.popen(s, [proxy, SERVER, "3306", "127.0.0.1", db.port, allow, deny],
                          stdout=subprocess.PIPE, text=True)
            self.assertEqual(p.stdout.readline().strip(), "ready")
            tr = Tracer(lab, s, duration=60, args=["--comm", "wrapproxy"])
            self.assertIn("name resolution traced", tr.ready)
            doc = self.probe(c, db, 3306)
            trace = tr.stop()
        self.assertEqual(doc["summary"]["outcomes"], {"ok": 1}, doc["summary"])
        res = trace["resolve"]
        self.assertEqual([p["comm"] for p in res["processes"]], ["wrapproxy"])
        row = client_row(trace, CLIENT)
        self.assertGreaterEqual(row["lookups"], 2, row)
        self.assertNear(row["max_s"], DELAY)
        # One reverse lookup and one forward check, each one DELAY.
        self.assertNear(row["total_s"], 2 * DELAY)


if __name__ == "__main__":
    harness.need_conndoctor()
    need_bpf()
    harness.run_tests(globals())
