"""Lab: captures of real faults in network namespaces, read by conndoctor
pcap. A lost SYN (iptables DROP in the server namespace), a lost SYN-ACK
(DROP in the client's), a lost third ACK (pure ACKs dropped at the server:
half-open), and a client that writes a line of text into its MySQL socket
before a query (field report 002) against a real MariaDB. tcpdump records
each in the namespace that sees the packets before the DROP. Tolerances: a
measured time is within 0.3 s of the kernel's schedule (the lab notes'
model), sequence counts are exact."""
import json
import os
import subprocess
import tempfile
import unittest

import harness
from harness import run_conndoctor
from harness.capture import stop_tcpdump
from harness.kernel import syn_schedule
from harness.lab import Lab

GOLDEN = os.path.join(harness.REPO_ROOT, "tests", "golden", "pcap")

CLIENT, SERVER = "10.213.9.1", "10.213.9.2"
TOL = 0.3

# A bare connect with a deadline; prints the errno name or "connected".
CONNECT = """
import socket, sys, time, struct
s = socket.socket()
s.settimeout(%(timeout)s)
try:
    s.connect(("%(host)s", %(port)d))
except OSError as e:
    print("error", e.errno if e.errno is not None else "timeout", flush=True)
    sys.exit(0)
print("connected", flush=True)
s.settimeout(%(wait)s)
try:
    print("greeting", len(s.recv(100)))
except OSError:
    print("no greeting")
# close with RST: a FIN+ACK would complete a half-open handshake
s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
s.close()
"""

# Field report 002: log in, write a text line into the socket, query.
TEXT_LINE = """
import sys, time
sys.path.insert(0, %(golden)r)
import myclient
c = myclient.Client("%(host)s", %(port)d, %(user)r, %(password)r)
c.query("SELECT 1")
c.raw(b"Warning: rndc reload failed\\n")
time.sleep(0.3)
try:
    c.query("SELECT 2")
    print("answered")
except myclient.MySQLError as e:
    print("error", e.code)
except OSError as e:
    print("closed", e)
"""


def linear_timeouts(lab, ns):
    try:
        return int(lab.sysctl_get(ns, "net.ipv4.tcp_syn_linear_timeouts"))
    except Exception:
        return 0  # before Linux 6.7: the classic ladder


class Capture:
    """tcpdump on one interface of a lab namespace, into a temp file."""

    def __init__(self, lab, ns, ifname):
        self.dir = tempfile.mkdtemp(prefix="cd-pcap-lab-")
        os.chmod(self.dir, 0o777)  # tcpdump drops to its own user
        self.path = os.path.join(self.dir, "lab.pcap")
        self.proc = lab.popen(ns, ["tcpdump", "-i", ifname, "-s", "0", "-B", "16384", "-U",
                                   "--immediate-mode", "-n", "-w", self.path, "tcp port 3306"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        line = self.proc.stderr.readline()
        if "listening" not in line:
            raise RuntimeError(f"tcpdump did not start: {line!r}")

    def stop(self):
        stop_tcpdump(self.proc, self.path)

    def analyse(self, *extra):
        rc, out, err = run_conndoctor(["pcap", "--json", *extra, self.path], timeout=60)
        recs = [json.loads(line) for line in out.splitlines() if line.strip()]
        if not recs or recs[-1]["type"] != "summary":
            raise AssertionError(f"no JSON (rc={rc}): {out[:300]!r} {err!r}")
        return rc, recs

    def close(self):
        import shutil
        shutil.rmtree(self.dir, ignore_errors=True)


def kind(recs, t):
    return [r for r in recs if r["type"] == t]


def finding(recs, code):
    for f in kind(recs, "finding"):
        if f["code"] == code:
            return f
    raise AssertionError(f"no {code} in {[f['code'] for f in kind(recs, 'finding')]}")


class Handshake(unittest.TestCase):
    def setUp(self):
        harness.need_binary("tcpdump")

    def test_syn_dropped(self):
        with Lab() as lab:
            c, s = lab.ns("c"), lab.ns("s")
            ifc, ifs = lab.link(c, s, CLIENT, SERVER)
            lab.sysctl(c, "net.ipv4.tcp_syn_retries", 2)
            linear = linear_timeouts(lab, c)
            lab.mariadb(s, SERVER)
            lab.iptables(s, "-A", "INPUT", "-p", "tcp", "--dport", "3306", "--tcp-flags",
                         "SYN,ACK,FIN,RST", "SYN", "-j", "DROP")
            cap = Capture(lab, s, ifs)
            try:
                r = lab.run(c, ["python3", "-c", CONNECT % dict(
                    host=SERVER, port=3306, timeout=30, wait=1)], timeout=60)
                cap.stop()
                rc, recs = cap.analyse()
            finally:
                cap.close()
        times, give_up, _, _ = syn_schedule(2, linear)
        self.assertEqual(r.stdout.split()[:2], ["error", "110"])  # ETIMEDOUT
        self.assertEqual(rc, 2)
        conns = kind(recs, "connection")
        self.assertEqual(len(conns), 1)
        self.assertEqual(conns[0]["handshake"]["synack"], 0)
        f = finding(recs, "CD3021")
        self.assertEqual(f["severity"], "critical")
        self.assertEqual(f["data"]["syn_count"], len(times))
        for got, want in zip(f["data"]["syn_at_s"], times):
            self.assertAlmostEqual(got, want, delta=TOL)
        self.assertIn("linear" if linear else "doubling", f["evidence"])

    def test_synack_dropped(self):
        with Lab() as lab:
            c, s = lab.ns("c"), lab.ns("s")
            ifc, ifs = lab.link(c, s, CLIENT, SERVER)
            lab.sysctl(c, "net.ipv4.tcp_syn_retries", 2)
            linear = linear_timeouts(lab, c)
            lab.mariadb(s, SERVER)
            lab.iptables(c, "-A", "INPUT", "-p", "tcp", "--sport", "3306", "--tcp-flags",
                         "SYN,ACK", "SYN,ACK", "-j", "DROP")
            cap = Capture(lab, c, ifc)  # sees the SYN-ACKs before the DROP
            try:
                r = lab.run(c, ["python3", "-c", CONNECT % dict(
                    host=SERVER, port=3306, timeout=30, wait=1)], timeout=60)
                cap.stop()
                rc, recs = cap.analyse()
            finally:
                cap.close()
        times, give_up, _, _ = syn_schedule(2, linear)
        self.assertEqual(r.stdout.split()[:2], ["error", "110"])
        self.assertEqual(rc, 2)
        f = finding(recs, "CD3023")
        self.assertEqual(f["severity"], "critical")
        d = f["data"]
        self.assertEqual(d["syn_count"], len(times))
        self.assertEqual(d["established"], 0)
        # every resent SYN came after a SYN-ACK the client never took
        self.assertEqual(d["syn_after_synack"], len(times) - 1)
        # the server answers each SYN, and resends on its own 1, 3, 7 s timer
        self.assertGreaterEqual(d["synack_count"], len(times))
        self.assertAlmostEqual(d["synack_at_s"][0], 0.0, delta=TOL)
        codes = {x["code"] for x in kind(recs, "finding")}
        self.assertNotIn("CD3021", codes)  # answered, just not received

    def test_third_ack_dropped(self):
        with Lab() as lab:
            c, s = lab.ns("c"), lab.ns("s")
            ifc, ifs = lab.link(c, s, CLIENT, SERVER)
            lab.mariadb(s, SERVER)
            # every pure ACK to the server (the handshake's third one)
            lab.iptables(s, "-A", "INPUT", "-p", "tcp", "--dport", "3306", "--tcp-flags",
                         "SYN,ACK,FIN,RST,PSH", "ACK", "-m", "length", "--length", "40:52",
                         "-j", "DROP")
            cap = Capture(lab, s, ifs)
            try:
                r = lab.run(c, ["python3", "-c", CONNECT % dict(
                    host=SERVER, port=3306, timeout=5, wait=4.5)], timeout=60)
                cap.stop()
                rc, recs = cap.analyse()
            finally:
                cap.close()
        self.assertEqual(r.stdout.split(), ["connected", "no", "greeting"])
        self.assertEqual(rc, 2)
        f = finding(recs, "CD3024")
        self.assertEqual(f["severity"], "critical")
        d = f["data"]
        self.assertEqual(d["greeting"], 0)
        self.assertAlmostEqual(d["ack_at_s"], 0.0, delta=TOL)
        # tcp_synack_retries' timer: resends at 1 and 3 s within the 4.5 s
        self.assertEqual(d["synack_after_ack"], 2)
        self.assertAlmostEqual(d["synack_at_s"][1], 1.0, delta=TOL)
        self.assertAlmostEqual(d["synack_at_s"][2], 3.0, delta=TOL)
        self.assertAlmostEqual(d["client_waited_s"], 4.5, delta=TOL)
        codes = {x["code"] for x in kind(recs, "finding")}
        self.assertNotIn("CD3031", codes)  # the half-open finding says it


class TextInStream(unittest.TestCase):
    def test_fd2_text_line(self):
        harness.need_binary("tcpdump")
        with Lab() as lab:
            c, s = lab.ns("c"), lab.ns("s")
            ifc, ifs = lab.link(c, s, CLIENT, SERVER)
            db = lab.mariadb(s, SERVER)
            cap = Capture(lab, s, ifs)
            try:
                r = lab.run(c, ["python3", "-c", TEXT_LINE % dict(
                    golden=GOLDEN, host=SERVER, port=3306, user=db.user,
                    password=db.password)], timeout=60)
                cap.stop()
                rc, recs = cap.analyse()
                rc_conn, conn1 = cap.analyse("--conn", "1")
            finally:
                cap.close()
        # the client sees 1156, or the close that follows it (a race)
        self.assertRegex(r.stdout, r"^(error 1156|closed)")
        self.assertEqual(rc, 2)
        conn = kind(recs, "connection")[0]
        self.assertEqual(conn["mysql"]["login"], "ok")
        self.assertEqual(conn["mysql"]["error"]["code"], 1156)
        self.assertEqual(conn["close"]["by"], "server")
        an = conn["mysql"]["anomalies"][0]
        self.assertEqual(an["kind"], "text_in_stream")
        self.assertEqual(an["by"], "client")
        self.assertEqual(an["text"], "Warning: rndc reload failed\\n")
        self.assertEqual(an["text_bytes"], len("Warning: rndc reload failed\n"))
        f = finding(recs, "CD8010")
        self.assertEqual(f["severity"], "critical")
        self.assertIn("Warning: rndc reload failed", f["summary"])
        self.assertEqual(f["data"]["text_bytes"], 28)
        f = finding(recs, "CD8011")
        self.assertEqual(f["data"]["error_code"], 1156)
        # The server read "War" as a length and 'n' (0x6e) as the sequence id.
        self.assertEqual(0x726157, int.from_bytes(b"War", "little"))
        ev = [e["text"] for e in kind(conn1, "event")]
        self.assertTrue(any(t.startswith("NOT MySQL: text in the stream") for t in ev), ev)
        self.assertTrue(any("ERR 1156" in t for t in ev), ev)
        first_query = [x for x in kind(recs, "command") if x["argument"] == "SELECT 1"][0]
        self.assertEqual((first_query["result"], first_query["rows"]), ("rows", 1))


if __name__ == "__main__":
    harness.need_conndoctor()
    harness.run_tests(globals())
