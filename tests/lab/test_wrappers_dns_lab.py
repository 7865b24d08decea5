"""Lab, field reports 000/001: TCP wrappers + a dead resolver, against a real
MariaDB. The server namespace's resolver (its own resolv.conf: timeout 1,
attempts 2) points at a DNS fixture that never answers, so each reverse
lookup costs 2 s.

1. wrapproxy (tests/fixtures/wrapproxy) checks hosts.allow with a hostname
   pattern in its accept loop, as a libwrap mysqld does, then relays to
   mariadbd: three concurrent clients are greeted one lookup after another,
   at about 2, 4 and 6 s, and the probe calls the waits serialised; a ramp
   finds the concurrency where the last client's wait passes the connect
   timeout, the same in every repeat.
2. mariadbd itself with skip_name_resolve=OFF and no libwrap: the same
   lookups happen in each connection's thread, so all three are greeted at
   about 2 s, and the probe calls them parallel.
Tolerance: each greeting within 0.7 s of its expected time."""
import json
import os
import shutil
import subprocess
import tempfile
import unittest

import harness
from harness import run_conndoctor
from harness.dns import start_dns
from harness.lab import Lab

SERVER, CLIENT = "10.213.12.1", "10.213.12.2"
SERVER_DNS_SIDE, DNS = "10.213.12.5", "10.213.12.6"


def wrapproxy_path():
    build = os.path.dirname(harness.conndoctor_path())
    path = os.path.join(build, "tests", "fixtures", "wrapproxy", "wrapproxy")
    if not os.access(path, os.X_OK):
        harness.skip(f"wrapproxy fixture not built at {path}")
    return path


def topology(lab):
    s, c, d = lab.ns("s"), lab.ns("c"), lab.ns("d")
    lab.link(s, c, SERVER, CLIENT)
    lab.link(s, d, SERVER_DNS_SIDE, DNS)
    lab.resolv_conf(s, f"nameserver {DNS}\noptions timeout:1 attempts:2\n")
    start_dns(lab, d, DNS)
    return s, c


def probe3(lab, ns, db, port):
    rc, out, err = run_conndoctor(
        ["probe", f"--defaults-file={db.client_cnf(host=SERVER, port=port)}",
         "-n", "3", "-c", "3", "--connect-timeout", "20", "--json"], ns=ns, timeout=90)
    return rc, json.loads(out)


def cd2003(doc):
    found = [f for f in doc["findings"] if f["code"] == "CD2003"]
    assert len(found) == 1, doc["findings"]
    return found[0]


class WrappersAndDns(unittest.TestCase):
    def wrapped_server(self, lab):
        """A real mariadbd in namespace s behind wrapproxy on SERVER:3306,
        whose hosts.allow names a hostname before the client's address."""
        proxy = wrapproxy_path()
        tables = tempfile.mkdtemp(prefix="cd-hosts-")
        self.addCleanup(shutil.rmtree, tables, ignore_errors=True)
        allow, deny = os.path.join(tables, "hosts.allow"), os.path.join(tables, "hosts.deny")
        with open(allow, "w") as f:
            # The hostname is tried first: every client costs a lookup.
            f.write(f"mysqld: db-client.example.com {CLIENT}\n")
        with open(deny, "w") as f:
            f.write("mysqld: ALL\n")
        s, c = topology(lab)
        db = lab.mariadb(s, "127.0.0.1", port=harness.free_port(),
                         variables={"skip_name_resolve": 1})
        p = lab.popen(s, [proxy, SERVER, "3306", "127.0.0.1", db.port, allow, deny],
                      stdout=subprocess.PIPE, text=True)
        self.assertEqual(p.stdout.readline().strip(), "ready")
        return s, c, db, proxy, allow, deny

    def test_ramp_finds_the_threshold(self):
        """Lookups one after another: at concurrency 3 the third client
        waits 6 s, past a 5 s connect timeout; at 1 every client gets in."""
        with Lab() as lab:
            s, c, db, _, _, _ = self.wrapped_server(lab)
            rc, out, err = run_conndoctor(
                ["probe", f"--defaults-file={db.client_cnf(host=SERVER, port=3306)}",
                 "--ramp", "1:3:2", "--repeat", "2", "-n", "3", "--connect-timeout", "5",
                 "--json"], ns=c, timeout=120)
        doc = json.loads(out)
        for rep in doc["ramp"]:
            self.assertEqual([lv["failures"] for lv in rep["levels"]], [0, 1], rep)
            self.assertEqual(rep["threshold"], 3)
        f = [f for f in doc["findings"] if f["code"] == "CD3007"]
        self.assertEqual(len(f), 1, doc["findings"])
        self.assertEqual(f[0]["data"]["threshold"], 3)
        self.assertEqual(f[0]["data"]["stable"], 1)
        self.assertEqual(f[0]["data"]["thresholds"], [3, 3])

    def test_tcp_wrappers_serialise_the_waits(self):
        with Lab() as lab:
            s, c, db, proxy, allow, deny = self.wrapped_server(lab)
            rc, doc = probe3(lab, c, db, 3306)
            # check, on the server's host, names the rule and the cost of a
            # dead resolver that the probe measured above.
            crc, cout, _ = run_conndoctor(
                ["check", "--only", "wrappers", "--mysqld", proxy, "--hosts-allow", allow,
                 "--hosts-deny", deny, "--json"], ns=s)
            check_doc = json.loads(cout)
            # On the server's host: TCP through the wrappers fails while
            # mysqld's own socket answers at once.
            _, pout, _ = run_conndoctor(
                ["probe", f"--defaults-file={db.client_cnf(host=SERVER, port=3306)}",
                 "--compare", "-S", db.socket, "-n", "2", "--connect-timeout", "1",
                 "--json"], ns=s, timeout=60)
            compare = json.loads(pout)
            # diagnose there, told where the wrappers are, joins the two.
            _, dout, _ = run_conndoctor(
                ["diagnose", f"--defaults-file={db.client_cnf(host=SERVER, port=3306)}",
                 "--no-dns", "--mysqld", proxy, "--hosts-allow", allow, "--hosts-deny",
                 deny, "-n", "2", "--connect-timeout", "1", "--json"], ns=s, timeout=90)
            diag = json.loads(dout)
        self.assertEqual(doc["summary"]["outcomes"], {"ok": 3})
        greet = sorted(a["greeting_s"] for a in doc["attempts"])
        for got, want in zip(greet, (2.0, 4.0, 6.0)):
            self.assertAlmostEqual(got, want, delta=0.7)
        f = cd2003(doc)
        self.assertEqual(f["data"]["serialized"], 1)
        self.assertEqual(f["data"]["parallel"], 0)
        self.assertIn("TCP wrappers", f["evidence"])
        self.assertEqual(rc, 2)
        rules = [f for f in check_doc["findings"] if f["code"] == "CD5002"]
        self.assertEqual(len(rules), 1, check_doc["findings"])
        self.assertIn("db-client.example.com", rules[0]["evidence"] + rules[0]["summary"])
        self.assertEqual(rules[0]["data"]["line"], 1)
        self.assertEqual(rules[0]["data"]["lookup_dead_s"], 2)  # 1 s x 2 attempts
        self.assertIn("CD5001", [f["code"] for f in check_doc["findings"]])
        both = {f["code"]: f for f in compare["findings"]}
        self.assertIn("CD3006", both)
        self.assertEqual(both["CD3006"]["data"]["tcp_failures"], 2)
        self.assertEqual(both["CD3006"]["data"]["socket_failures"], 0)
        root = diag["root_cause"]
        self.assertIsNotNone(root)
        self.assertTrue(root["explained"])
        self.assertEqual(root["symptom"]["code"], "CD3003")
        self.assertIn("CD5002", [c["code"] for c in root["causes"]])

    def test_mysqld_name_resolution_is_parallel(self):
        with Lab() as lab:
            s, c = topology(lab)
            db = lab.mariadb(s, SERVER, variables={"skip_name_resolve": 0})
            rc, doc = probe3(lab, c, db, db.port)
        self.assertEqual(doc["summary"]["outcomes"], {"ok": 3})
        for a in doc["attempts"]:
            self.assertAlmostEqual(a["greeting_s"], 2.0, delta=0.7)
        f = cd2003(doc)
        self.assertEqual(f["data"]["parallel"], 1)
        self.assertEqual(f["data"]["serialized"], 0)
        self.assertIn("skip_name_resolve=OFF", f["evidence"])
        self.assertEqual(rc, 2)


if __name__ == "__main__":
    harness.need_conndoctor()
    harness.run_tests(globals())
