"""With two MariaDB servers on this host, the wrappers slice examines the
process that owns the listener of the port or socket asked about (the
census's sock_diag inode found in /proc/PID/fd), not the first mysqld found
by name, and says which and why; with nothing listening here it says that
libwrap cannot be judged from here instead of judging some other mysqld."""
import json
import os
import unittest

import harness
from harness import free_port, run_conndoctor
from harness.mariadb import MariaDB


def wrappers(*args):
    rc, out, err = run_conndoctor(["check", "--only", "wrappers", "--json", *args], timeout=60)
    try:
        doc = json.loads(out)
    except ValueError:
        raise AssertionError(f"not JSON (rc={rc}): {out[:300]!r} {err!r}")
    facts = {}
    for f in doc["facts"]:
        if f["section"] == "wrappers":
            facts.setdefault(f["key"], f["values"])
    return doc, facts


def mysqld_pids():
    """Every running mysqld/mariadbd on the host, by comm."""
    pids = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/comm") as f:
                if f.read().strip() in ("mysqld", "mariadbd"):
                    pids.append(int(d))
        except OSError:
            pass
    return pids


class TwoServers(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.a = MariaDB(name="one", variables={"skip_name_resolve": 1})
        cls.a.start()
        cls.b = MariaDB(name="two", variables={"skip_name_resolve": 1})
        try:
            cls.b.start()
        except BaseException:
            cls.a.stop()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.b.stop()
        cls.a.stop()

    def assert_examined(self, facts, db, listener):
        chosen = facts["server's process"]
        self.assertEqual(chosen["pid"], db.pid, chosen)
        self.assertEqual(chosen["comm"], "mariadbd")
        self.assertEqual(chosen["listener"], listener)
        self.assertGreater(chosen["inode"], 0)
        self.assertGreaterEqual(chosen["fd"], 0)
        self.assertGreaterEqual(chosen["mysqlds_count"], 2)
        self.assertEqual(facts["mysqld"]["pid"], db.pid)
        self.assertEqual(facts["mysqld"]["source"], "running")
        self.assertEqual(facts["libwrap mapped"]["pid"], db.pid)

    def test_each_port_gets_its_own_process(self):
        # Whichever has the higher pid is never the first found by name.
        lowest = min(mysqld_pids())
        for db in (self.a, self.b):
            doc, facts = wrappers("-h", "127.0.0.1", "-P", str(db.port))
            self.assert_examined(facts, db, f"port {db.port}")
        self.assertNotEqual(max(self.a.pid, self.b.pid), lowest)

    def test_socket_gets_its_own_process(self):
        for db in (self.a, self.b):
            doc, facts = wrappers("-S", db.socket)
            self.assert_examined(facts, db, db.socket)

    def test_text_says_which_and_why(self):
        rc, out, err = run_conndoctor(["check", "--only", "wrappers", "-h", "127.0.0.1",
                                       "-P", str(self.b.port)], timeout=60)
        self.assertRegex(out, rf"server's process +pid {self.b.pid} \(mariadbd\) owns the "
                              rf"listener on port {self.b.port} \(sock_diag inode \d+ in "
                              rf"/proc/{self.b.pid}/fd/\d+\); \d+ mysqld process\(es\) run here")

    def test_no_local_listener_cannot_be_judged(self):
        port = free_port()
        doc, facts = wrappers("-h", "127.0.0.1", "-P", str(port))
        none = facts["server's process"]
        self.assertTrue(none["listeners"].startswith(f"port {port}"), none)
        self.assertGreaterEqual(none["mysqlds_count"], 2)
        # No other mysqld's binary is judged in its place.
        self.assertNotIn("mysqld", facts)
        self.assertNotIn("libwrap", facts)
        rc, out, err = run_conndoctor(["check", "--only", "wrappers", "-h", "127.0.0.1",
                                       "-P", str(port)], timeout=60)
        self.assertIn(f"none: nothing on this host listens on port {port}", out)
        self.assertIn("whether it uses libwrap cannot be judged from here", out)


if __name__ == "__main__":
    harness.need_conndoctor()
    harness.run_tests(globals())
