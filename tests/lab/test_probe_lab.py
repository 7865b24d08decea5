"""Lab: real faults in network namespaces, diagnosed by conndoctor probe.
Lost SYNs (iptables DROP in the server namespace, tcp_syn_retries lowered in
the client's), a lost third ACK (half-open), and a full accept queue.
Tolerances: a measured time is within 25% of the kernel's schedule."""
import json
import unittest

import harness
from harness import run_conndoctor
from harness.kernel import syn_schedule
from harness.lab import Lab

CLIENT, SERVER = "10.213.7.1", "10.213.7.2"

# A listener that never accepts: listen(1) queues backlog + 1 connections.
NEVER_ACCEPT = """
import socket, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("%s", 3306))
s.listen(1)
print("listening", flush=True)
time.sleep(60)
""" % SERVER


def probe(lab, ns, *args, timeout=90):
    rc, out, err = run_conndoctor(["probe", "--json", "--no-defaults", "-u", "conndoctor",
                                   *args], ns=ns, timeout=timeout)
    try:
        return rc, json.loads(out)
    except ValueError:
        raise AssertionError(f"not JSON (rc={rc}): {out[:300]!r} {err!r}")


def finding(doc, code):
    for f in doc["findings"]:
        if f["code"] == code:
            return f
    raise AssertionError(f"no {code} in {[f['code'] for f in doc['findings']]}")


class SynLost(unittest.TestCase):
    def test_syn_dropped_gives_ladder(self):
        with Lab() as lab:
            c, s = lab.ns("c"), lab.ns("s")
            lab.link(c, s, CLIENT, SERVER)
            lab.sysctl(c, "net.ipv4.tcp_syn_retries", 2)
            try:
                linear = int(lab.sysctl_get(c, "net.ipv4.tcp_syn_linear_timeouts"))
            except Exception:
                linear = 0  # kernel before 6.7: the classic ladder
            lab.iptables(s, "-A", "INPUT", "-p", "tcp", "--dport", "3306", "--tcp-flags",
                         "SYN,ACK,FIN,RST", "SYN", "-j", "DROP")
            rc, doc = probe(lab, c, "-h", SERVER, "-n", "2", "-c", "2",
                            "--connect-timeout", "30")
        times, give_up, _, _ = syn_schedule(2, linear)
        self.assertEqual(doc["summary"]["outcomes"], {"connect_timeout": 2})
        for a in doc["attempts"]:
            self.assertFalse(a["timed_out"], "the kernel must give up before our timeout")
            self.assertEqual(a["errno"], 110)
            self.assertAlmostEqual(a["connect_s"], give_up, delta=0.25 * give_up)
        f = finding(doc, "CD3001")
        self.assertEqual(f["severity"], "critical")
        d = f["data"]
        self.assertEqual(d["syn_retries"], 2)
        self.assertEqual(d["syn_linear_timeouts"], linear)
        self.assertAlmostEqual(d["expected_give_up_s"], give_up, places=3)
        self.assertEqual(d["syn_schedule_s"], times)
        self.assertEqual(d["kernel_timeouts"], 2)
        for t in d["kernel_timeout_after_s"]:
            self.assertAlmostEqual(t, give_up, delta=0.25 * give_up)
        self.assertIn("tcp_syn_retries=2", f["evidence"])
        self.assertEqual(rc, 69)


class HalfOpen(unittest.TestCase):
    def test_third_ack_dropped(self):
        with Lab() as lab:
            c, s = lab.ns("c"), lab.ns("s")
            lab.link(c, s, CLIENT, SERVER)
            db = lab.mariadb(s, SERVER)
            # Every pure ACK to the server is dropped: the handshake's third
            # ACK never arrives (the server speaks first, so the client sends
            # nothing else before the greeting).
            lab.iptables(s, "-A", "INPUT", "-p", "tcp", "--dport", db.port, "--tcp-flags",
                         "SYN,ACK,FIN,RST,PSH", "ACK", "-m", "length", "--length", "40:52",
                         "-j", "DROP")
            rc, doc = probe(lab, c, "-h", SERVER, "-P", db.port, "-n", "2",
                            "--connect-timeout", "2")
        self.assertEqual(doc["summary"]["outcomes"], {"greeting_timeout": 2})
        for a in doc["attempts"]:
            self.assertLess(a["connect_s"], 0.5)
            self.assertAlmostEqual(a["greeting_s"], 2.0, delta=0.5)
            self.assertEqual(a["tcp_state_at_fail"], 1)  # ESTABLISHED
        f = finding(doc, "CD3003")
        self.assertEqual(f["data"]["established"], 2)
        for w in f["data"]["waited_s"]:
            self.assertAlmostEqual(w, 2.0, delta=0.5)
        self.assertEqual(rc, 69)

    def test_accept_queue_full(self):
        with Lab() as lab:
            c, s = lab.ns("c"), lab.ns("s")
            lab.link(c, s, CLIENT, SERVER)
            import subprocess
            p = lab.popen(s, ["python3", "-c", NEVER_ACCEPT], stdout=subprocess.PIPE, text=True)
            self.assertEqual(p.stdout.readline().strip(), "listening")
            rc, doc = probe(lab, c, "-h", SERVER, "-n", "5", "-c", "5",
                            "--connect-timeout", "2")
        out = doc["summary"]["outcomes"]
        # backlog 1 queues two connections (they wait for a greeting); the
        # kernel drops the SYNs of the others once the queue is full.
        self.assertEqual(out.get("greeting_timeout"), 2, out)
        self.assertEqual(out.get("connect_timeout"), 3, out)
        self.assertEqual(finding(doc, "CD3003")["data"]["established"], 2)
        f = finding(doc, "CD3001")
        self.assertEqual(f["data"]["cut_by_connect_timeout"], 3)
        for a in doc["attempts"]:
            if a["outcome"] == "connect_timeout":
                self.assertTrue(a["timed_out"])
                self.assertGreaterEqual(a["total_retrans"], 1)  # SYNs resent
        self.assertEqual(rc, 69)


if __name__ == "__main__":
    harness.need_conndoctor()
    harness.run_tests(globals())
