"""Lab: `diagnose --trace` on the server's host joins what the kernel and
mysqld themselves recorded to the symptom the probe measured. Each case runs
diagnose in the namespace of the server it probes (the server's host), to
the namespace's own address, so the tracer sees both ends:

- nothing listens on the port: refused (CD3002), and the kernel sent the
  resets (CD3073): one per attempt;
- report 000: mysqld with skip_name_resolve=OFF behind a resolver that never
  answers (timeout 1 s x 2 attempts): greetings wait on the resolver
  (CD2003), and mysqld's own getnameinfo took 2 s per connection (CD2020),
  within 10%;
- report 003, the third ACK lost: a firewall on the server drops every
  non-SYN segment to the port; the client is ESTABLISHED and never greeted
  (CD3003), the server resent SYN-ACKs with an empty accept queue (CD3070)
  and its firewall dropped the ACKs (CD3072).

Skips with a reason where eBPF is unavailable."""
import json
import os
import re
import tempfile
import unittest

import harness
from harness import run_conndoctor
from harness.dns import start_dns
from harness.lab import Lab

SERVER, PEER = "10.213.70.1", "10.213.70.2"
SERVER_DNS_SIDE, DNS = "10.213.70.5", "10.213.70.6"


def diagnose(lab, ns, argv):
    rc, out, err = run_conndoctor(["diagnose", *argv, "--no-dns", "--json", "--trace"],
                                  ns=ns, timeout=180)
    return parse(rc, out, err)


def parse(rc, out, err):
    try:
        return rc, json.loads(out)
    except ValueError:
        raise AssertionError(f"not JSON (rc={rc}): {out[:300]!r} {err!r}")


def cause(doc, code):
    root = doc["root_cause"]
    found = [c for c in root["causes"] if c["code"] == code] if root else []
    if not found:
        raise AssertionError(f"no cause {code} in {json.dumps(root)[:2000]}")
    return found[0]


def finding(doc, code):
    found = [f for f in doc["check"]["findings"] if f["code"] == code]
    if not found:
        raise AssertionError(f"no {code} in {[f['code'] for f in doc['check']['findings']]}")
    return found[0]


def port(doc, p=3306):
    return [x for x in doc["trace"]["ports"] if x["port"] == p][0]


class DiagnoseTrace(unittest.TestCase):
    def test_refused_confirmed_by_the_kernel(self):
        with Lab() as lab:
            s, o = lab.ns("s"), lab.ns("o")
            lab.link(s, o, SERVER, PEER)
            with tempfile.TemporaryDirectory() as tmp:
                html_path = os.path.join(tmp, "report.html")
                rc, doc = diagnose(lab, s, ["--no-defaults", "-h", SERVER, "-P", "3306",
                                            "-u", "x", "-n", "3", "-c", "1",
                                            "--html", html_path])
                with open(html_path, encoding="utf-8") as f:
                    html = f.read()
        # The HTML report carries the kernel's evidence too, the same counts.
        section = re.search(r'<section id="trace">(.*?)</section>', html, re.S)
        self.assertIsNotNone(section, "no trace section in the HTML report")
        self.assertRegex(section.group(1), r"\nport 3306\n(.*\n)*  resets sent / received +3 / ")
        root = doc["root_cause"]
        self.assertEqual(root["symptom"]["code"], "CD3002")
        self.assertTrue(root["explained"])
        cause(doc, "CD3073")
        self.assertEqual(doc["probe"]["summary"]["outcomes"], {"refused": 3})
        f = finding(doc, "CD3073")
        self.assertEqual(f["data"]["resets_sent"], 3)
        self.assertEqual(port(doc)["resets_sent"], 3)
        self.assertEqual(rc, 69)  # the server could not be reached at all

    def test_mysqld_resolve_time_measured(self):
        with Lab() as lab:
            s, d = lab.ns("s"), lab.ns("d")
            lab.link(s, d, SERVER_DNS_SIDE, DNS)
            lab.link(s, lab.ns("o"), SERVER, PEER)
            lab.resolv_conf(s, f"nameserver {DNS}\noptions timeout:1 attempts:2\n")
            start_dns(lab, d, DNS)
            db = lab.mariadb(s, SERVER, variables={"skip_name_resolve": 0})
            n = 2
            rc, doc = diagnose(lab, s, [f"--defaults-file={db.client_cnf(host=SERVER)}",
                                        "-n", str(n), "-c", "1"])
        root = doc["root_cause"]
        self.assertIsNotNone(root)
        self.assertEqual(root["symptom"]["code"], "CD2003")
        self.assertTrue(root["explained"])
        c = cause(doc, "CD2020")
        self.assertIn(SERVER, c["summary"])
        ev = finding(doc, "CD2020")["data"]
        # One reverse lookup per connection, each the resolver's 1 s x 2.
        self.assertEqual(ev["lookups"], n)
        self.assertAlmostEqual(ev["resolve_max_s"], 2.0, delta=0.2)
        self.assertAlmostEqual(ev["resolve_total_s"], 2.0 * n, delta=0.2 * n)
        greet = [a["greeting_s"] for a in doc["probe"]["attempts"]]
        self.assertEqual(len(greet), n)
        for g in greet:
            self.assertAlmostEqual(g, 2.0, delta=0.6)
        clients = doc["trace"]["resolve"]["clients"]
        self.assertEqual([x["address"] for x in clients], [SERVER])
        self.assertGreaterEqual(rc, 1)

    def test_third_ack_lost(self):
        with Lab() as lab:
            s, o = lab.ns("s"), lab.ns("o")
            lab.link(s, o, SERVER, PEER)
            db = lab.mariadb(s, SERVER, variables={"skip_name_resolve": 1})
            # Every segment to the port but the SYN dies here: the third
            # ACK, and later the client's FIN, so no request completes.
            lab.iptables(s, "-A", "INPUT", "-p", "tcp", "--dport", "3306", "!", "--syn",
                         "-j", "DROP")
            n = 2
            rc, doc = diagnose(lab, s, [f"--defaults-file={db.client_cnf(host=SERVER)}",
                                        "-n", str(n), "-c", "2", "--connect-timeout", "4",
                                        # no extra connection: n requests exactly
                                        "--no-second-look"])
        root = doc["root_cause"]
        self.assertEqual(root["symptom"]["code"], "CD3003")
        self.assertTrue(root["explained"])
        self.assertEqual(doc["probe"]["summary"]["outcomes"], {"greeting_timeout": n})
        cause(doc, "CD3070")
        ev = finding(doc, "CD3070")["data"]
        self.assertEqual(ev["requests"], n)
        # SYN-ACKs are resent at 1 and 3 s: two each within the 4 s wait.
        self.assertGreaterEqual(ev["synack_retransmits"], n)
        self.assertLessEqual(ev["synack_retransmits"], 2 * n)
        self.assertGreaterEqual(ev["netfilter_drops"], n)
        cause(doc, "CD3072")
        self.assertEqual(port(doc)["accepted"], 0)
        self.assertEqual(rc, 69)  # no attempt got through


def need_bpf():
    harness.need_root()
    rc, _, err = run_conndoctor(["trace", "--duration", "0.1"], timeout=60)
    if rc == 69:
        harness.skip(err.strip().splitlines()[-1] if err.strip() else "eBPF unavailable")
    if rc != 0:
        raise SystemExit(f"conndoctor trace failed ({rc}): {err}")


if __name__ == "__main__":
    harness.need_conndoctor()
    need_bpf()
    harness.run_tests(globals())
