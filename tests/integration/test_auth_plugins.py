"""Auth plugins live against the harness MariaDB 10.11: client_ed25519
(`INSTALL SONAME 'auth_ed25519'`, an account IDENTIFIED VIA ed25519) logged
in by the probe over TCP and the socket and by the audit, the stored key
checked against an independent pure-Python Ed25519
(tests/data/mysql/ed25519_vectors.py); unix_socket over the socket as
root, and the same account over TCP judged by the server (auth_failed,
never a network fault)."""
import base64
import json
import os
import sys
import unittest

import harness
from harness import run_conndoctor
from harness.mariadb import MariaDB

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "data", "mysql"))
import ed25519_vectors  # noqa: E402

ED_PW = "ed pw\u00e9 2"  # a space and a non-ASCII byte: hashed as UTF-8 bytes


def probe(*args, env=None):
    rc, out, err = run_conndoctor(["probe", "--json", "--no-defaults", "-n", "1", *args],
                                  env=env, timeout=60)
    try:
        return json.loads(out)["attempts"][0]
    except (ValueError, IndexError, KeyError):
        raise AssertionError(f"rc={rc} out={out[:400]!r} err={err!r}")


def audit(*args, env=None):
    rc, out, err = run_conndoctor(["check", "--only", "server", "--json", "--no-defaults",
                                   *args], env=env, timeout=60)
    doc = json.loads(out)
    why = [u["why"] for u in doc["unreadable"] if u["what"] == "server"]
    return why[0] if why else None


class AuthPlugins(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.db = MariaDB()
        cls.db.start()
        cls.db.sql("INSTALL SONAME 'auth_ed25519';")
        for h in ("%", "localhost"):
            cls.db.sql(f"CREATE USER 'ed'@'{h}' IDENTIFIED VIA ed25519 "
                       f"USING PASSWORD('{ED_PW}'); GRANT SELECT, PROCESS ON *.* TO 'ed'@'{h}';")

    @classmethod
    def tearDownClass(cls):
        cls.db.stop()

    def tcp(self):
        return ["-h", "127.0.0.1", "-P", str(self.db.port)]

    def test_stored_key_matches_the_reference(self):
        row = self.db.sql("SELECT JSON_VALUE(Priv, '$.authentication_string') "
                          "FROM mysql.global_priv WHERE User = 'ed' AND Host = '%'")
        pk, _ = ed25519_vectors.mariadb_ed25519(ED_PW.encode(), b"")
        self.assertEqual(row[0][0], base64.b64encode(pk).decode().rstrip("="))

    def test_probe_logs_in_with_ed25519(self):
        env = {"MYSQL_PWD": ED_PW}
        a = probe(*self.tcp(), "-u", "ed", "--ssl-mode=DISABLED", env=env)
        self.assertEqual(a["outcome"], "ok", a)
        a = probe("-S", self.db.socket, "-u", "ed", env=env)
        self.assertEqual(a["outcome"], "ok", a)
        a = probe(*self.tcp(), "-u", "ed", env={"MYSQL_PWD": "wrong"})
        self.assertEqual(a["outcome"], "auth_failed", a)
        self.assertEqual(a["mysql_code"], 1045, a)

    def test_audit_logs_in_with_ed25519(self):
        why = audit(*self.tcp(), "-u", "ed", env={"MYSQL_PWD": ED_PW})
        self.assertTrue(why is None or "auth" not in why, why)
        why = audit(*self.tcp(), "-u", "ed", env={"MYSQL_PWD": "wrong"})
        self.assertIn("auth_failed", why)

    def test_unix_socket_as_root(self):
        if os.geteuid() != 0:
            raise unittest.SkipTest("needs root: unix_socket maps the OS user")
        self.db.sql("CREATE USER 'root'@'127.0.0.1' IDENTIFIED VIA unix_socket;")
        self.db.sql("ALTER USER 'root'@'localhost' IDENTIFIED VIA unix_socket OR "
                    f"mysql_native_password USING PASSWORD('{self.db.root_password}');")
        a = probe("-S", self.db.socket, "-u", "root", env={"MYSQL_PWD": ""})
        self.assertEqual(a["outcome"], "ok", a)
        # Over TCP the server cannot see who the peer is: it says no.
        a = probe(*self.tcp(), "-u", "root", env={"MYSQL_PWD": ""})
        self.assertEqual(a["outcome"], "auth_failed", a)


if __name__ == "__main__":
    harness.need_conndoctor()
    harness.run_tests(globals())
