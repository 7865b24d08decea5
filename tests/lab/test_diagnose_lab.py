"""Lab: `conndoctor diagnose` end to end. A healthy server in its own
namespace gives no root cause and exit 0. A server with skip_name_resolve=OFF
whose resolver (its /etc/netns resolv.conf) never answers makes every
greeting wait timeout x attempts; diagnose, run from a client namespace,
must name the server's name resolution as the root cause, proven by the
measured greeting waits and the server's own variable.
Tolerance: greeting waits within 0.6 s of 2 s (timeout 1 s x 2 attempts)."""
import json
import unittest

import harness
from harness import run_conndoctor
from harness.dns import start_dns
from harness.lab import Lab

SERVER, CLIENT = "10.213.11.1", "10.213.11.2"
SERVER_DNS_SIDE, DNS = "10.213.11.5", "10.213.11.6"


def diagnose(ns, db, *extra):
    cnf = db.client_cnf(host=SERVER)
    rc, out, err = run_conndoctor(["diagnose", f"--defaults-file={cnf}", "--no-dns",
                                   "--json", *extra], ns=ns, timeout=120)
    try:
        return rc, json.loads(out)
    except ValueError:
        raise AssertionError(f"not JSON (rc={rc}): {out[:300]!r} {err!r}")


class Diagnose(unittest.TestCase):
    def test_healthy(self):
        with Lab() as lab:
            s, c = lab.ns("s"), lab.ns("c")
            lab.link(s, c, SERVER, CLIENT)
            db = lab.mariadb(s, SERVER, variables={"skip_name_resolve": 1})
            rc, doc = diagnose(c, db)
        self.assertIsNone(doc["root_cause"], doc["root_cause"])
        self.assertEqual(doc["probe"]["summary"]["outcomes"], {"ok": 10})
        self.assertEqual([f for f in doc["check"]["findings"]
                          if f["severity"] != "info"], [])
        self.assertEqual(rc, 0)

    def test_server_side_dns_is_the_root_cause(self):
        with Lab() as lab:
            s, c, d = lab.ns("s"), lab.ns("c"), lab.ns("d")
            lab.link(s, c, SERVER, CLIENT)
            lab.link(s, d, SERVER_DNS_SIDE, DNS)
            lab.resolv_conf(s, f"nameserver {DNS}\noptions timeout:1 attempts:2\n")
            start_dns(lab, d, DNS)
            db = lab.mariadb(s, SERVER, variables={"skip_name_resolve": 0})
            # The client's own resolver (1 s x 2 here too) sets the ladder's
            # period the probe looks for.
            lab.resolv_conf(c, f"nameserver {DNS}\noptions timeout:1 attempts:2\n")
            rc, doc = diagnose(c, db, "-n", "4", "-c", "2")
        root = doc["root_cause"]
        self.assertIsNotNone(root)
        self.assertTrue(root["explained"])
        self.assertEqual(root["symptom"]["code"], "CD2003")
        self.assertIn("CD6040", [c["code"] for c in root["causes"]])
        greet = [a["greeting_s"] for a in doc["probe"]["attempts"]]
        self.assertEqual(len(greet), 4)
        for g in greet:
            self.assertAlmostEqual(g, 2.0, delta=0.6)
        f = [f for f in doc["probe"]["findings"] if f["code"] == "CD2003"][0]
        self.assertEqual(f["data"]["resolver_timeout_s"], 1)
        self.assertGreaterEqual(f["data"]["on_ladder"], 4)
        self.assertEqual(rc, 2)


if __name__ == "__main__":
    harness.need_conndoctor()
    harness.run_tests(globals())
