"""`conndoctor diagnose` names the sessions the server aborted on
net_read_timeout and net_write_timeout, by account, with the timeouts in
force, against a real MariaDB started by the harness (issue 14 item 7).

A bare client (harness.rawclient) does what a client library never would:

- it starts `LOAD DATA LOCAL INFILE`, gets the server's request for the file,
  announces a packet of 100 bytes, sends 3 and stalls. The server waits
  net_read_timeout for the rest, and MariaDB 10.11 waits it twice before it
  gives up (measured: 4.0 s for net_read_timeout=2, 6.0 s for 3): the close
  comes within [2 x 2 - 0.3, 2 x 2 + 1.0] s;
- it sends a COM_QUERY header announcing 100 bytes and only 6 of them. That
  stall is read under wait_timeout, not net_read_timeout (MariaDB's
  do_command reads the whole command packet with wait_timeout): the close
  comes within [wait_timeout - 0.3, wait_timeout + 1.0] s, never at
  net_read_timeout;
- it sends `SELECT REPEAT('x', 1048576) FROM seq_1_to_64` (64 MiB of result)
  with a 4 KiB receive buffer and reads nothing. The server's write blocks
  and it aborts the session after net_write_timeout: gone from the
  processlist within [net_write_timeout - 0.1, net_write_timeout + 1.5] s
  of the query (the loopback buffers fill at once).

Each leaves `Aborted connection N ... user: 'conndoctor' host: '127.0.0.1'
(Got timeout reading communication packets)` or, for the write, MariaDB
10.11's `(Got an error writing communication packets)`, and Aborted_clients
rises by one. diagnose then reports CD6060 / CD6061 with the count, the
account and the audit's net_read_timeout / wait_timeout / net_write_timeout
and Aborted_clients; a server with no aborts shows neither.

Captured (tcpdump on lo, root only), `conndoctor pcap` times the same stalls
in CD8017: the client's silence after its last bytes of the LOAD DATA LOCAL
file, 2 x net_read_timeout within [-0.3, +1.0] s, and the client's zero
window until the server's reset, within [net_write_timeout - 0.5,
net_write_timeout + 0.5] s (the window closes a little after the server's
write blocks: measured 1.89 s for 2 s)."""
import json
import os
import subprocess
import tempfile
import time
import unittest

import harness
from harness.mariadb import MariaDB, USER
from harness.capture import tcpdump_lo
from harness.rawclient import RawClient
from test_diagnose_local import diagnose

NET_READ_TIMEOUT = 2
NET_WRITE_TIMEOUT = 2
WAIT_TIMEOUT = 6
ACCOUNT = f"{USER}@127.0.0.1"
VARIABLES = {"skip_name_resolve": 1, "net_read_timeout": NET_READ_TIMEOUT,
             "net_write_timeout": NET_WRITE_TIMEOUT, "wait_timeout": WAIT_TIMEOUT}


def as_list(v):
    """A one-value list is printed as a number in JSON."""
    return v if isinstance(v, list) else [v]


def finding(findings, code):
    hits = [f for f in findings if f["code"] == code]
    return hits[0] if hits else None


class Server(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.db = MariaDB(variables=VARIABLES)
        cls.db.start()
        cls.db.sql("CREATE DATABASE t; CREATE TABLE t.l (a TEXT); "
                   f"GRANT INSERT, SELECT ON t.* TO '{USER}'@'%'")
        cls.cnf = cls.db.client_cnf(socket=None)

    @classmethod
    def tearDownClass(cls):
        cls.db.stop()

    def client(self, **kw):
        return RawClient(self.db.host, self.db.port, USER, self.db.password, **kw)

    def diagnose_findings(self):
        rc, doc = diagnose(self.cnf)
        self.assertEqual({a["outcome"] for a in doc["probe"]["attempts"]}, {"ok"})
        return doc["check"]["findings"]


class ReadTimeout(Server):
    def stall_in_load_data(self):
        """Seconds from the stall to the server's close."""
        c = self.client()
        c.query("LOAD DATA LOCAL INFILE 'rows.txt' INTO TABLE t.l")
        seq, reply = c.read_packet()
        self.assertEqual(reply[:1], b"\xfb", reply)  # the server asks for the file
        t0 = time.monotonic()
        c.s.sendall(bytes([100, 0, 0, seq + 1]) + b"abc")  # 3 of 100 bytes
        self.assertTrue(c.wait_closed(WAIT_TIMEOUT + 5))
        took = time.monotonic() - t0
        c.close()
        harness.trace(["measured: LOAD DATA LOCAL stall closed after", f"{took:.2f}", "s"])
        return took

    def stall_in_command(self):
        c = self.client()
        t0 = time.monotonic()
        c.s.sendall(bytes([100, 0, 0, 0]) + b"\x03SELEC")  # 6 of 100 bytes
        self.assertTrue(c.wait_closed(WAIT_TIMEOUT + 5))
        took = time.monotonic() - t0
        c.close()
        harness.trace(["measured: command packet stall closed after", f"{took:.2f}", "s"])
        return took

    def test_read_stalls(self):
        aborted = self.db.status("Aborted_clients")
        took = self.stall_in_load_data()
        self.assertGreaterEqual(took, 2 * NET_READ_TIMEOUT - 0.3)
        self.assertLess(took, 2 * NET_READ_TIMEOUT + 1.0)
        self.assertEqual(self.db.status("Aborted_clients"), aborted + 1)
        findings = self.diagnose_findings()
        f = finding(findings, "CD6060")
        self.assertIsNotNone(f, [x["code"] for x in findings])
        self.assertEqual(f["severity"], "info")
        d = f["data"]
        self.assertEqual(d["count"], 1)
        self.assertEqual(d["accounts"], 1)
        self.assertEqual(as_list(d["top_account_counts"]), [1])
        self.assertEqual(d["net_read_timeout_s"], NET_READ_TIMEOUT)
        self.assertEqual(d["wait_timeout_s"], WAIT_TIMEOUT)
        self.assertEqual(d["aborted_clients"], aborted + 1)
        self.assertIn(f"{ACCOUNT} 1 of them", f["summary"])
        self.assertIn(f"net_read_timeout={NET_READ_TIMEOUT} s inside a statement", f["summary"])
        self.assertIn(f"Aborted_clients={aborted + 1} since", f["evidence"])
        self.assertIsNone(finding(findings, "CD6061"))
        self.assertIsNone(finding(findings, "CD6023"))  # CD6060 says it, joined
        # A command packet cut short waits wait_timeout, not net_read_timeout.
        took = self.stall_in_command()
        self.assertGreaterEqual(took, WAIT_TIMEOUT - 0.3)
        self.assertLess(took, WAIT_TIMEOUT + 1.0)
        f = finding(self.diagnose_findings(), "CD6060")
        self.assertEqual(f["data"]["count"], 2)
        self.assertEqual(as_list(f["data"]["top_account_counts"]), [2])
        self.assertEqual(f["data"]["aborted_clients"], aborted + 2)


class WriteTimeout(Server):
    def test_unread_result(self):
        aborted = self.db.status("Aborted_clients")
        c = self.client(rcvbuf=4096)
        t0 = time.monotonic()
        c.query("SELECT REPEAT('x', 1048576) FROM t.seq_1_to_64")
        gone = None
        while time.monotonic() - t0 < NET_WRITE_TIMEOUT + 10:
            rows = self.db.sql(f"SELECT COUNT(*) FROM information_schema.PROCESSLIST "
                               f"WHERE ID = {c.conn_id}")
            if rows[0][0] == "0":
                gone = time.monotonic() - t0
                break
            time.sleep(0.05)
        c.close()
        harness.trace(["measured: unread result aborted after", f"{gone:.2f}" if gone else gone, "s"])
        self.assertIsNotNone(gone, "the server never aborted the session")
        self.assertGreaterEqual(gone, NET_WRITE_TIMEOUT - 0.1)
        self.assertLess(gone, NET_WRITE_TIMEOUT + 1.5)
        self.assertEqual(self.db.status("Aborted_clients"), aborted + 1)
        findings = self.diagnose_findings()
        f = finding(findings, "CD6061")
        self.assertIsNotNone(f, [x["code"] for x in findings])
        d = f["data"]
        self.assertEqual(d["count"], 1)
        # MariaDB logs it as an error writing, MySQL as a timeout writing
        self.assertEqual(d["write_errors"] + d["write_timeouts"], 1)
        self.assertEqual(as_list(d["top_account_counts"]), [1])
        self.assertEqual(d["net_write_timeout_s"], NET_WRITE_TIMEOUT)
        self.assertEqual(d["aborted_clients"], aborted + 1)
        self.assertIn(f"net_write_timeout={NET_WRITE_TIMEOUT} s): {ACCOUNT} 1 of them",
                      f["summary"])
        self.assertIsNone(finding(findings, "CD6060"))
        self.assertIsNone(finding(findings, "CD6024"))  # CD6061 says it, joined
        self.assertEqual(f["severity"], "warning")


class Capture(Server):
    """The same stalls in a capture: pcap's CD8017 names the timeout and times the stall."""

    @classmethod
    def setUpClass(cls):
        harness.need_root()
        harness.need_binary("tcpdump")
        super().setUpClass()
        cls.tmp = tempfile.TemporaryDirectory()

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()
        super().tearDownClass()

    def pcap_cd8017(self, path):
        argv = [harness.need_conndoctor(), "pcap", "--port", str(self.db.port), "--json", path]
        harness.trace(argv)
        r = subprocess.run(argv, capture_output=True, text=True, timeout=60)
        recs = [json.loads(line) for line in r.stdout.splitlines() if line.strip()]
        hits = [x for x in recs if x.get("type") == "finding" and x.get("code") == "CD8017"]
        self.assertEqual(len(hits), 1, r.stdout[-2000:])
        return hits[0]

    def test_load_data_stall(self):
        path = os.path.join(self.tmp.name, "load.pcap")
        with tcpdump_lo(path, self.db.port):
            c = self.client()
            c.query("LOAD DATA LOCAL INFILE 'rows.txt' INTO TABLE t.l")
            seq, reply = c.read_packet()
            c.s.sendall(bytes([100, 0, 0, seq + 1]) + b"abc")
            self.assertTrue(c.wait_closed(WAIT_TIMEOUT + 5))
            c.close()
        f = self.pcap_cd8017(path)
        silent = f["data"]["client_silent_s"]
        harness.trace(["measured: pcap client_silent_s", silent])
        self.assertGreaterEqual(silent, 2 * NET_READ_TIMEOUT - 0.3)
        self.assertLess(silent, 2 * NET_READ_TIMEOUT + 1.0)
        self.assertIn("net_read_timeout", f["summary"])
        self.assertNotIn("zero_window_s", f["data"])

    def test_unread_result(self):
        path = os.path.join(self.tmp.name, "write.pcap")
        with tcpdump_lo(path, self.db.port):
            c = self.client(rcvbuf=4096)
            c.query("SELECT REPEAT('x', 1048576) FROM t.seq_1_to_64")
            time.sleep(NET_WRITE_TIMEOUT + 1.5)
            c.close()
        f = self.pcap_cd8017(path)
        stall = f["data"]["zero_window_s"]
        harness.trace(["measured: pcap zero_window_s", stall, "waited_s", f["data"]["waited_s"]])
        self.assertGreaterEqual(stall, NET_WRITE_TIMEOUT - 0.5)
        self.assertLess(stall, NET_WRITE_TIMEOUT + 0.5)
        self.assertGreaterEqual(f["data"]["waited_s"], NET_WRITE_TIMEOUT - 0.1)
        self.assertLess(f["data"]["waited_s"], NET_WRITE_TIMEOUT + 1.5)
        self.assertIn("net_write_timeout", f["summary"])
        self.assertNotIn("client_silent_s", f["data"])


class NoAborts(Server):
    def test_clean_run(self):
        c = self.client()
        c.query("SELECT 1")
        c.read_packet()
        c.close()
        self.db.sql("SELECT REPEAT('x', 1048576) FROM t.seq_1_to_8")
        rc, doc = diagnose(self.cnf)
        codes = [f["code"] for f in doc["check"]["findings"]]
        self.assertNotIn("CD6060", codes)
        self.assertNotIn("CD6061", codes)
        self.assertIsNone(doc["root_cause"], doc["root_cause"])


if __name__ == "__main__":
    harness.need_conndoctor()
    harness.run_tests(globals())
