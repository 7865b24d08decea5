"""Lab: the server audit refused with ERROR 1129. A client host whose
aborted handshakes reached max_connect_errors is blocked (MariaDB never
blocks loopback, hence the namespaces). diagnose from that host measures the
refusal (CD6002, outcome server_refused, 1129), cannot log in for the audit
either, and says so: the server is "not checked", with what it tried and
the server's error, in the JSON's not_checked list and in the text, and the
server's side is never reported as healthy."""
import json
import sys
import unittest

import harness
from harness import run_conndoctor
from harness.lab import Lab

SERVER, CLIENT = "10.213.52.1", "10.213.52.2"
MAX_CONNECT_ERRORS = 2

# In the client namespace: connect, read the greeting, abort the handshake,
# and wait for the server's close (it counts the error before closing).
ABORT = r"""
import socket, sys
host, port, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
for i in range(n):
    s = socket.create_connection((host, port), timeout=20)
    s.recv(65536)
    s.shutdown(socket.SHUT_WR)
    while s.recv(4096):
        pass
    s.close()
"""


class AuditRefused(unittest.TestCase):
    def test_host_blocked_server_not_checked(self):
        harness.need_binary("mariadbd")
        with Lab() as lab:
            s, c = lab.ns("s"), lab.ns("c")
            lab.link(s, c, SERVER, CLIENT)
            # The host cache blocks by host only with name resolution on:
            # the server's /etc/hosts names the client (no DNS needed).
            lab.netns_file(s, "hosts", f"127.0.0.1 localhost\n{CLIENT} appclient\n")
            lab.resolv_conf(s, "nameserver 127.0.0.1\noptions timeout:1 attempts:1\n")
            db = lab.mariadb(s, SERVER, variables={"skip_name_resolve": 0,
                                                   "max_connect_errors": MAX_CONNECT_ERRORS})
            lab.run(c, [sys.executable, "-c", ABORT, SERVER, str(db.port),
                        str(MAX_CONNECT_ERRORS)], timeout=60)
            cnf = db.client_cnf(host=SERVER)
            argv = ["diagnose", f"--defaults-file={cnf}", "--no-dns", "-n", "2"]
            rc, out, err = run_conndoctor(argv + ["--json"], ns=c, timeout=120)
            trc, text, _ = run_conndoctor(argv, ns=c, timeout=120)
        try:
            doc = json.loads(out)
        except ValueError:
            raise AssertionError(f"not JSON (rc={rc}): {out[:300]!r} {err!r}")
        # The measured symptom: every attempt refused with 1129.
        attempts = doc["probe"]["attempts"]
        self.assertEqual(len(attempts), 2)
        for a in attempts:
            self.assertEqual(a["outcome"], "server_refused", a)
            self.assertEqual(a["mysql_code"], 1129, a)
        root = doc["root_cause"]
        self.assertEqual(root["symptom"]["code"], "CD6002")
        sym = [f for f in doc["probe"]["findings"] if f["code"] == "CD6002"][0]
        self.assertEqual(sym["data"]["mysql_code"], 1129)
        self.assertEqual(sym["data"]["failures"], 2)
        # The audit was refused the same way: not checked, and why.
        server = [n for n in doc["not_checked"] if n["slice"] == "server"]
        self.assertEqual(len(server), 1, doc["not_checked"])
        self.assertTrue(server[0]["reason"].startswith(
            f"login refused: tried tcp {SERVER}:{db.port}: server_refused: ERROR 1129 (HY000)"),
            server[0]["reason"])
        self.assertIn("blocked because of many connection errors", server[0]["reason"])
        self.assertFalse(root["explained"])
        self.assertEqual(rc, 2)
        # The text: the server is unknown, not healthy, in both sections.
        head, _, rest = text.partition("\n== the probe")
        self.assertIn("MEASURED FAILURE  the server blocks this client host after "
                      "connection errors", head)
        self.assertIn("the server itself was not checked", head)
        self.assertNotIn("nothing on this host accounts for it", head)
        self.assertIn(f"  server not checked: login refused: tried tcp {SERVER}:{db.port}: "
                      "server_refused: ERROR 1129", head)
        host = rest.split("\n== this host and the server\n")[1]
        self.assertNotIn("no problem found\n", host)
        self.assertRegex(host, r"could not read \(results above are partial\):\n(.*\n)*"
                               r"  server +login refused: tried tcp .*ERROR 1129")
        self.assertEqual(trc, 2)


if __name__ == "__main__":
    harness.need_conndoctor()
    harness.run_tests(globals())
