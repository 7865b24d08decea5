"""`conndoctor diagnose` against a local MariaDB started by the harness on
127.0.0.1 with a non-default port and a socket of its own (not the default
/run/mysqld/mysqld.sock). The default socket is not probed, because the
process listening on the port does not own it (census + /proc/PID/fd), so
it never becomes the headline and the audit runs over TCP. When the audit
cannot log in (1045), the server is reported as not checked, with what was
tried and why, in the text and in the JSON's not_checked list."""
import json
import unittest

import harness
from harness import run_conndoctor
from harness.mariadb import MariaDB

DEFAULT_SOCKET = "/run/mysqld/mysqld.sock"


def diagnose(cnf, *extra, as_json=True):
    argv = ["diagnose", f"--defaults-file={cnf}", "--no-dns", "-n", "2", *extra]
    rc, out, err = run_conndoctor(argv + (["--json"] if as_json else []), timeout=120)
    if not as_json:
        return rc, out
    try:
        return rc, json.loads(out)
    except ValueError:
        raise AssertionError(f"not JSON (rc={rc}): {out[:300]!r} {err!r}")


class DiagnoseLocal(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.db = MariaDB(variables={"skip_name_resolve": 1})
        cls.db.start()

    @classmethod
    def tearDownClass(cls):
        cls.db.stop()

    def test_tcp_target_without_its_own_default_socket(self):
        cnf = self.db.client_cnf(socket=None)
        rc, doc = diagnose(cnf)
        self.assertIsNone(doc["root_cause"], doc["root_cause"])
        self.assertEqual(doc["socket_choice"],
                         f"{DEFAULT_SOCKET} not probed: the listener on port "
                         f"{self.db.port} (pid {self.db.pid}, mariadbd) does not own it")
        targets = {a["target"] for a in doc["probe"]["attempts"]}
        self.assertEqual(targets, {f"127.0.0.1:{self.db.port}"})
        # The audit ran, over TCP: the server's facts are there.
        self.assertEqual(doc["not_checked"], [])
        facts = {f["key"]: f["values"] for f in doc["check"]["facts"]
                 if f["section"] == "server"}
        self.assertEqual(facts["port"]["port"], self.db.port)
        self.assertEqual(rc, 0)

    def test_socket_named_by_option_is_probed(self):
        rc, doc = diagnose(self.db.client_cnf())
        self.assertEqual(doc["socket_choice"], f"{self.db.socket} probed: named by -S")
        targets = {a["target"] for a in doc["probe"]["attempts"]}
        self.assertEqual(targets, {f"127.0.0.1:{self.db.port}", self.db.socket})
        self.assertEqual(doc["not_checked"], [])
        self.assertEqual(rc, 0)



class AccessDenied(unittest.TestCase):
    """Its own server: the denied logins land in its error log (CD6025),
    which the other cases, with the right password, must not read."""

    @classmethod
    def setUpClass(cls):
        cls.db = MariaDB(variables={"skip_name_resolve": 1})
        cls.db.start()

    @classmethod
    def tearDownClass(cls):
        cls.db.stop()

    def test_access_denied_server_not_checked(self):
        cnf = self.db.client_cnf(socket=None, password="wrong")
        rc, doc = diagnose(cnf)
        root = doc["root_cause"]
        self.assertEqual(root["symptom"]["code"], "CD6004")
        self.assertFalse(root["explained"])
        server = [n for n in doc["not_checked"] if n["slice"] == "server"]
        self.assertEqual(len(server), 1, doc["not_checked"])
        self.assertEqual(server[0]["reason"],
                         f"login refused: tried tcp 127.0.0.1:{self.db.port}: auth_failed: "
                         "ERROR 1045 (28000): Access denied for user "
                         "'conndoctor'@'127.0.0.1' (using password: YES)")
        self.assertEqual(rc, 2)
        rc, out = diagnose(cnf, as_json=False)
        head = out.split("\n== the probe")[0]
        self.assertIn("MEASURED FAILURE  the server rejects the credentials", head)
        self.assertIn("the server itself was not checked", head)
        self.assertNotIn("nothing on this host accounts for it", head)
        self.assertIn(f"  server not checked: login refused: tried tcp 127.0.0.1:{self.db.port}: "
                      "auth_failed: ERROR 1045 (28000)", head)
        self.assertNotIn(DEFAULT_SOCKET, head)
        # The host section does not call an unchecked server healthy.
        host = out.split("\n== this host and the server\n")[1]
        self.assertNotIn("no problem found\n", host)
        self.assertIn("no problem found in what could be read; not checked: server "
                      "(see \"could not read\" below), so that part is unknown, not healthy",
                      host)

    def test_access_denied_tries_socket_then_tcp(self):
        rc, doc = diagnose(self.db.client_cnf(password="wrong"))
        server = [n for n in doc["not_checked"] if n["slice"] == "server"]
        self.assertEqual(len(server), 1, doc["not_checked"])
        reason = server[0]["reason"]
        self.assertTrue(reason.startswith(f"login refused: tried socket {self.db.socket}: "
                                          "auth_failed: ERROR 1045"), reason)
        self.assertIn(f"; then tcp 127.0.0.1:{self.db.port}: auth_failed: ERROR 1045", reason)
        self.assertEqual(rc, 2)


if __name__ == "__main__":
    harness.need_conndoctor()
    harness.run_tests(globals())
