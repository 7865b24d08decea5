"""Lab: field report 004 in two namespaces, diagnosed by `conndoctor check`.

A replica holds a long-lived connection to port 3306 of its primary behind
lab-notes recipe 7's firewall (-P INPUT DROP, lo, ESTABLISHED,RELATED, NEW
to dport 3306). `check --only census,firewall` run in the replica must name
the ESTABLISHED rule that alone lets the primary's packets in, the policy
that drops them once conntrack forgets the connection, and the stateless
fix with the primary's address; with that rule added it must be quiet.
Then the diagnosis is proved on the real reproduction: after `conntrack -F`
in the replica the primary's data no longer arrives (within 2 s; TCP keeps
retransmitting) and check names the connection that lost its entry; adding
the fix lets the next retransmission in.
"""
import json
import os
import select
import shutil
import subprocess
import time
import unittest

import harness
from harness import run_conndoctor
from harness.lab import Lab

PRIMARY, REPLICA = "10.213.40.1", "10.213.40.2"
FIX = ["-p", "tcp", "-s", PRIMARY, "--sport", "3306", "-j", "ACCEPT"]

# The primary: accepts one connection, then sends a chunk per "send" line.
PRIMARY_PY = """
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("%s", 3306))
s.listen(4)
c, a = s.accept()
print("accepted %%d" %% a[1], flush=True)
while True:
    line = sys.stdin.readline()
    if not line:
        break
    c.sendall(b"binlog event\\n")
    print("sent", flush=True)
""" % PRIMARY

# The replica's I/O thread stand-in: connects, then only listens.
REPLICA_PY = """
import socket
c = socket.create_connection(("%s", 3306))
print("connected %%d" %% c.getsockname()[1], flush=True)
while True:
    d = c.recv(4096)
    if not d:
        print("eof", flush=True)
        break
    print("got %%d" %% len(d), flush=True)
""" % PRIMARY


class Lines:
    """Reads a child's stdout line by line with a bounded wait (no Python buffering)."""

    def __init__(self, proc):
        self.fd = proc.stdout.fileno()
        self.buf = b""

    def line(self, timeout):
        """The next line, or None when none arrives within `timeout` s."""
        deadline = time.monotonic() + timeout
        while b"\n" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self.fd], [], [], left)[0]:
                return None
            chunk = os.read(self.fd, 4096)
            if not chunk:
                return None
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return line.decode()


def check(ns):
    rc, out, err = run_conndoctor(["check", "--only", "census,firewall", "--json"], ns=ns,
                                  timeout=60)
    try:
        doc = json.loads(out)
    except ValueError:
        raise AssertionError(f"not JSON (rc={rc}): {out[:300]!r} {err!r}")
    return rc, doc


def as_list(v):
    """An evidence list: JSON shows a one-value list as a plain number."""
    return v if isinstance(v, list) else [v]


def findings(doc, code):
    return [f for f in doc["findings"] if f["code"] == code]


def fact(doc, key):
    """The values of the firewall fact named key."""
    for f in doc["facts"]:
        if f["section"] == "firewall" and f["key"] == key:
            return f["values"]
    raise AssertionError(f"no firewall fact {key}: {doc['facts']}")


class ReplicaTrap(unittest.TestCase):
    def setup_lab(self, lab):
        p, r = lab.ns("primary"), lab.ns("replica")
        lab.link(p, r, PRIMARY, REPLICA)
        # Recipe 7 on the replica.
        lab.iptables(r, "-P", "INPUT", "DROP")
        lab.iptables(r, "-A", "INPUT", "-i", "lo", "-j", "ACCEPT")
        lab.iptables(r, "-A", "INPUT", "-m", "conntrack", "--ctstate", "ESTABLISHED,RELATED",
                     "-j", "ACCEPT")
        lab.iptables(r, "-A", "INPUT", "-p", "tcp", "--dport", "3306", "-m", "conntrack",
                     "--ctstate", "NEW", "-j", "ACCEPT")
        primary = lab.popen(p, ["python3", "-c", PRIMARY_PY], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, bufsize=0)
        self.primary_out = Lines(primary)
        self.primary_in = primary.stdin
        time.sleep(0.2)  # the listener binds
        replica = lab.popen(r, ["python3", "-c", REPLICA_PY], stdout=subprocess.PIPE, bufsize=0)
        self.replica_out = Lines(replica)
        line = self.replica_out.line(10)
        self.assertTrue(line and line.startswith("connected "), line)
        self.lport = int(line.split()[1])
        self.assertEqual(self.primary_out.line(10), f"accepted {self.lport}")
        return p, r

    def send_from_primary(self):
        self.primary_in.write(b"send\n")
        self.primary_in.flush()
        self.assertEqual(self.primary_out.line(10), "sent")

    def test_established_only_flagged_fixed_quiet(self):
        with Lab() as lab:
            p, r = self.setup_lab(lab)
            # The connection works now: conntrack knows it.
            self.send_from_primary()
            self.assertEqual(self.replica_out.line(5), "got 13")

            rc, doc = check(r)
            trap = findings(doc, "CD4001")
            self.assertEqual(len(trap), 1, doc["findings"])
            f = trap[0]
            self.assertEqual(f["severity"], "warning")  # a plain client, not mysqld
            self.assertIn(f"1 connection to {PRIMARY}:3306", f["summary"])
            self.assertIn("python3", f["summary"])
            ev = f["evidence"]
            self.assertIn("`-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT`", ev)
            self.assertIn("the policy DROP of iptables-nft filter chain INPUT", ev)
            self.assertIn(f"Fix: iptables -A INPUT -p tcp -s {PRIMARY} --sport 3306 -j ACCEPT", ev)
            d = f["data"]
            self.assertEqual(d["connections"], 1)
            self.assertEqual(d["port"], 3306)
            self.assertEqual(as_list(d["local_ports"]), [self.lport])
            self.assertEqual(d["drop_line"], 0)  # the policy, not a rule
            self.assertEqual(d["inbound"], 1)
            self.assertEqual(d["replication"], 0)
            self.assertEqual(d["tcp_loose"], int(lab.sysctl_get(r, "net.netfilter.nf_conntrack_tcp_loose")))
            self.assertGreaterEqual(rc, 1)
            # the entry exists: nothing is missing yet
            self.assertEqual(findings(doc, "CD4004"), [])
            self.assertEqual([f["values"]["port"] for f in doc["facts"]
                              if f["fact"] == "mysql port considered"], [3306])
            self.assertIs(fact(doc, "state rules")["uses_conntrack_state"], True)
            chain = fact(doc, "input chain INPUT")
            self.assertEqual((chain["backend"], chain["family"], chain["table"], chain["policy"],
                              chain["rules_count"]),
                             ("iptables-nft", "ip", "filter", "DROP", 3))

            # The fix from the evidence, as given: quiet.
            lab.iptables(r, "-A", "INPUT", *FIX)
            rc, doc = check(r)
            self.assertEqual(findings(doc, "CD4001"), [], doc["findings"])
            self.assertEqual([f for f in doc["findings"] if f["code"].startswith("CD40")], [])

    def test_flush_blackholes_until_fixed(self):
        harness.need_binary("conntrack")
        with Lab() as lab:
            p, r = self.setup_lab(lab)
            lab.run(r, ["conntrack", "-F"])
            rc, doc = check(r)
            self.assertEqual(len(findings(doc, "CD4001")), 1, doc["findings"])
            missing = findings(doc, "CD4004")
            self.assertEqual(len(missing), 1, doc["findings"])
            f = missing[0]
            self.assertEqual(f["severity"], "critical")
            self.assertEqual(f["data"]["connections"], 1)
            self.assertEqual(f["data"]["dropped"], 1)
            self.assertEqual(as_list(f["data"]["local_ports"]), [self.lport])
            self.assertIn(f"{REPLICA}:{self.lport} -> {PRIMARY}:3306 (incoming dropped)",
                          f["evidence"])
            self.assertEqual(rc, 2)

            # The real thing: the primary speaks first, its packet is NEW
            # and dropped; TCP retransmits into the void.
            self.send_from_primary()
            self.assertIsNone(self.replica_out.line(2.0),
                              "the primary's data arrived although conntrack was flushed")
            # The fix lets the next retransmission in.
            lab.iptables(r, "-A", "INPUT", *FIX)
            self.assertEqual(self.replica_out.line(15), "got 13")
            rc, doc = check(r)
            self.assertEqual([f for f in doc["findings"] if f["code"] in ("CD4001", "CD4004")], [])


    def test_legacy_accept_does_not_hide_nft_drop(self):
        # A stateless accept in iptables-legacy does not help: the packet
        # must also pass the nf_tables INPUT chain, whose policy drops it.
        harness.need_binary("iptables-legacy")
        with Lab() as lab:
            p, r = self.setup_lab(lab)
            lab.run(r, ["iptables-legacy", "-w", "5", "-A", "INPUT", *FIX])
            rc, doc = check(r)
            both = findings(doc, "CD4006")
            self.assertEqual(len(both), 1, doc["findings"])
            self.assertEqual(both[0]["severity"], "info")
            self.assertEqual(both[0]["data"]["legacy_rules"], 1)
            self.assertEqual(both[0]["data"]["nft_rules"], 3)
            self.assertIn("iptables-legacy-save", [f["key"] for f in doc["facts"]])
            trap = findings(doc, "CD4001")
            self.assertEqual(len(trap), 1, doc["findings"])
            self.assertIn("the policy DROP of iptables-nft filter chain INPUT", trap[0]["evidence"])
            # and it is so: after a flush the primary's data is dropped
            if shutil.which("conntrack"):
                lab.run(r, ["conntrack", "-F"])
                self.send_from_primary()
                self.assertIsNone(self.replica_out.line(2.0))


if __name__ == "__main__":
    harness.need_conndoctor()
    harness.run_tests(globals())
