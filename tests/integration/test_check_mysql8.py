"""The audit's MySQL 8 connection facts on the harness MariaDB 10.11: what
exists is read (require_secure_transport, the mysql_native_password plugin's
status, performance_schema.host_cache rows) and what only MySQL 8 has
(admin_address, admin_port, log_error_services) is named "not available on
this server" in the unreadable list, never a failure.

The host_cache entry: MariaDB and MySQL leave the loopback address
127.0.0.1 out of the host cache (hostname.cc, is_ip_loopback()), so a
failed login from 127.0.0.1 makes no row (asserted below); the same failures
from 127.0.0.2, another loopback address the server does not exempt, do,
with skip_name_resolve=OFF. Two connections that send garbage instead of a
login are two handshake errors the row must count."""
import json
import socket
import time
import unittest

import harness
from harness import run_conndoctor
from harness.mariadb import MariaDB


def garbage_login(port, source):
    """Connects from source, reads the greeting, sends bytes that are no
    login, and waits for the server to close (bounded)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=10, source_address=(source, 0))
    try:
        s.recv(4096)
        s.sendall(b"\x05\x00\x00\x01GARBAGE")
        for _ in range(50):
            if not s.recv(4096):
                break
    except OSError:
        pass
    finally:
        s.close()


class AuditMySQL8(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.db = MariaDB(variables={"skip_name_resolve": 0, "performance_schema": "ON",
                                    "max_connect_errors": 100})
        cls.db.start()

    @classmethod
    def tearDownClass(cls):
        cls.db.stop()

    def check(self):
        rc, out, err = run_conndoctor(["check", "--only", "server", "--json",
                                       "--defaults-file=" + self.db.client_cnf(),
                                       "-h", "127.0.0.1"], timeout=120)
        try:
            return rc, json.loads(out)
        except ValueError:
            raise AssertionError(f"rc={rc} {out[:300]!r} {err!r}")

    def test_mysql8_facts_on_mariadb(self):
        # A failed login from 127.0.0.1: no host_cache row (loopback).
        rc, out, err = run_conndoctor(["probe", "--no-defaults", "-h", "127.0.0.1", "-P",
                                       str(self.db.port), "-u", harness.mariadb.USER, "-n", "1",
                                       "--json"], env={"MYSQL_PWD": "wrong password"})
        self.assertEqual(json.loads(out)["attempts"][0]["outcome"], "auth_failed")
        for _ in range(2):
            garbage_login(self.db.port, "127.0.0.2")
        rows = []
        for _ in range(50):  # the server counts as it closes: bounded wait
            rows = self.db.sql("SELECT IP, COUNT_HANDSHAKE_ERRORS FROM "
                               "performance_schema.host_cache")
            if any(r[0] == "127.0.0.2" and int(r[1]) == 2 for r in rows):
                break
            time.sleep(0.1)
        self.assertNotIn("127.0.0.1", [r[0] for r in rows])

        rc, doc = self.check()
        unread = {u["what"]: u["why"] for u in doc["unreadable"]}
        # What MariaDB does not have is absent, a fact, never "could not
        # read": nothing was left unchecked there.
        absent = {f["key"]: f["values"]["version"] for f in doc["facts"] if f["fact"] == "absent"}
        for name in ("admin_address", "admin_port", "log_error_services"):
            self.assertNotIn(name, unread)
            self.assertIn(name, absent)
            self.assertTrue(absent[name].startswith("MariaDB 10."), absent[name])
        self.assertNotIn("host_cache", unread)
        self.assertNotIn("require_secure_transport", unread)
        self.assertNotIn("require_secure_transport", absent)
        facts = {}
        for f in doc["facts"]:
            if f["section"] == "server":
                facts.setdefault(f["key"], []).append(f["values"])
        self.assertIs(facts["require_secure_transport"][0]["require_secure_transport"], False)
        self.assertEqual(facts["mysql_native_password"][0]["status"], "ACTIVE")
        rows = self.db.sql("SELECT IP, HOST, SUM_CONNECT_ERRORS, COUNT_HANDSHAKE_ERRORS "
                           "FROM performance_schema.host_cache")
        self.assertTrue(rows)
        self.assertEqual(len(facts["host_cache"]), len(rows))
        for ip, host, connect_errors, handshake in rows:
            got = [v for v in facts["host_cache"] if v["ip"] == ip]
            self.assertTrue(got, (ip, host, facts["host_cache"]))
            self.assertEqual(got[0]["handshake_errors_count"], int(handshake))
            self.assertEqual(got[0]["connect_errors_count"], int(connect_errors))
        self.assertEqual([int(r[3]) for r in rows if r[0] == "127.0.0.2"], [2])


if __name__ == "__main__":
    unittest.main()
