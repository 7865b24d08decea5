"""Lab: `conndoctor check --only census,resolver` in a server namespace whose
resolver (its own /etc/netns/NS/resolv.conf) points at a DNS fixture that
never answers, or at one that answers at once. A client in another
namespace holds a connection to port 3306, so the census has a client
address to look up, as mysqld and libwrap would for each connection.
Tolerance: measured waits within 0.5 s of the resolver's timeout x attempts."""
import json
import subprocess
import unittest

import harness
from harness import run_conndoctor
from harness.dns import start_dns
from harness.lab import Lab

SERVER, CLIENT = "10.213.9.1", "10.213.9.2"
SERVER_DNS_SIDE, DNS = "10.213.9.5", "10.213.9.6"

LISTENER = """
import socket, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("%s", 3306))
s.listen(8)
print("ready", flush=True)
conns = []
s.settimeout(1.0)
deadline = time.time() + 60
while time.time() < deadline:
    try:
        conns.append(s.accept()[0])
    except socket.timeout:
        pass
""" % SERVER

HOLDER = """
import socket, time
c = socket.create_connection(("%s", 3306), timeout=5)
print("ready", flush=True)
time.sleep(60)
""" % SERVER


def start(lab, ns, code, *args):
    p = lab.popen(ns, ["python3", "-c", code, *args], stdout=subprocess.PIPE, text=True)
    assert p.stdout.readline().strip() == "ready"
    return p


def finding(doc, code):
    return [f for f in doc["findings"] if f["code"] == code]


class Resolver(unittest.TestCase):
    def run_check(self, mode):
        with Lab() as lab:
            s, c, d = lab.ns("s"), lab.ns("c"), lab.ns("d")
            lab.link(s, c, SERVER, CLIENT)
            lab.link(s, d, SERVER_DNS_SIDE, DNS)
            lab.resolv_conf(s, f"nameserver {DNS}\noptions timeout:1 attempts:2\n")
            start_dns(lab, d, DNS, answer=(mode == "answer"))
            start(lab, s, LISTENER)
            start(lab, c, HOLDER)
            rc, out, err = run_conndoctor(["check", "--only", "census,resolver",
                                           "--dns-timeout", "4", "--json"], ns=s,
                                          timeout=60)
        try:
            return rc, json.loads(out)
        except ValueError:
            raise AssertionError(f"not JSON (rc={rc}): {out[:300]!r} {err!r}")

    def test_dead_nameserver_named_with_measured_wait(self):
        rc, doc = self.run_check("silent")
        dead = finding(doc, "CD2010")
        self.assertEqual(len(dead), 1, doc["findings"])
        self.assertIn(DNS, dead[0]["summary"])
        self.assertEqual(dead[0]["severity"], "critical")  # the only one
        self.assertAlmostEqual(dead[0]["data"]["waited_s"], 4.0, delta=0.01)
        self.assertEqual(dead[0]["data"]["resolver_timeout_s"], 1)
        self.assertEqual(dead[0]["data"]["resolver_attempts"], 2)
        slow = finding(doc, "CD2012")
        self.assertEqual(len(slow), 1, doc["findings"])
        self.assertIn(CLIENT, slow[0]["summary"])
        # glibc waits timeout x attempts = 2 s, then gives up.
        self.assertTrue(slow[0]["data"]["finished"])
        self.assertAlmostEqual(slow[0]["data"]["reverse_s"], 2.0, delta=0.5)
        self.assertEqual(rc, 2)

    def test_answering_nameserver_is_quiet(self):
        rc, doc = self.run_check("answer")
        codes = [f["code"] for f in doc["findings"]]
        self.assertNotIn("CD2010", codes)
        self.assertNotIn("CD2012", codes)
        facts = {f["key"]: f["values"] for f in doc["facts"] if f["section"] == "resolver"}
        self.assertEqual(facts[DNS]["address"], DNS)
        self.assertGreaterEqual(facts[DNS]["ptr_rtt_s"], 0)  # answered
        self.assertIn(CLIENT, facts)  # measured, and fast
        warnings = [f for f in doc["findings"] if f["severity"] != "info"]
        self.assertEqual(warnings, [])
        self.assertEqual(rc, 0)


class NothingListens(unittest.TestCase):
    def test_refused_nameserver_is_named_without_waiting(self):
        # A nameserver address where nothing listens answers with ICMP port
        # unreachable: reported at once, not after the timeout.
        with Lab() as lab:
            ns = lab.ns("r")
            lab.resolv_conf(ns, "nameserver 127.0.0.1\n")
            rc, out, err = run_conndoctor(["check", "--only", "resolver", "--dns-timeout",
                                           "4", "--json"], ns=ns)
        doc = json.loads(out)
        dead = finding(doc, "CD2010")
        self.assertEqual(len(dead), 1, doc["findings"])
        self.assertIn("127.0.0.1 cannot be queried: Connection refused", dead[0]["summary"])
        self.assertEqual(dead[0]["data"]["waited_s"], 0)


if __name__ == "__main__":
    harness.need_conndoctor()
    harness.run_tests(globals())
