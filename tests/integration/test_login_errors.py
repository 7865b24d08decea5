"""Issue 15 defect 6, the server's side: a real MariaDB 10.11 answers logins
with ERRs other than 1045, and conndoctor classes each by its code (never
"the credentials" unless they are): an unknown database (1049), a database
the account may not use (1044), a locked account (4151, and 1045 to the
same account with a wrong password), an expired password (1820 in
MariaDB's sandbox, 1862 with disconnect_on_expired_password). The probe
and the server audit of `check` agree. The host no account allows (1130)
is tests/lab/test_host_not_allowed_lab.py: MariaDB takes 127.0.0.1 for
localhost, so only another address gets it."""
import json
import unittest

import harness
from harness import run_conndoctor
from harness.mariadb import MariaDB, sql_literal
from test_probe import finding, probe_json  # noqa: E402

PW = "pw-" + "x" * 8


def probe(cnf, *args):
    rc, doc, _ = probe_json("-n", "2", f"--defaults-file={cnf}", *args, timeout=60)
    return rc, doc


def audit_why(cnf):
    rc, out, err = run_conndoctor(["check", "--only", "server", "--json",
                                   f"--defaults-file={cnf}"], timeout=60)
    doc = json.loads(out)
    why = [u["why"] for u in doc["unreadable"] if u["what"] == "server"]
    return why[0] if why else None


class LoginErrors(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.db = MariaDB()
        cls.db.start()
        pw = sql_literal(PW)
        cls.db.sql(f"CREATE USER 'nodb'@'%' IDENTIFIED BY {pw};"
                   f"CREATE USER 'lk'@'%' IDENTIFIED BY {pw};"
                   f"ALTER USER 'lk'@'%' ACCOUNT LOCK;"
                   f"CREATE USER 'ex'@'%' IDENTIFIED BY {pw};"
                   f"ALTER USER 'ex'@'%' PASSWORD EXPIRE;")

    @classmethod
    def tearDownClass(cls):
        cls.db.stop()

    def cnf(self, **kw):
        return self.db.client_cnf(socket=None, **kw)

    def assert_refused(self, doc, outcome, code, finding_code):
        self.assertEqual([a["outcome"] for a in doc["attempts"]], [outcome] * 2, doc["attempts"])
        self.assertEqual({a["mysql_code"] for a in doc["attempts"]}, {code})
        f = finding(doc, finding_code)
        self.assertEqual(f["data"]["mysql_code"], code)
        self.assertEqual(f["data"]["failures"], 2)
        self.assertNotIn("CD6004", [g["code"] for g in doc["findings"]])

    def test_unknown_database(self):
        rc, doc = probe(self.cnf(database="nosuchdb"))
        self.assertEqual(rc, 2)
        self.assert_refused(doc, "login_refused", 1049, "CD6014")
        self.assertIn("nosuchdb", finding(doc, "CD6014")["summary"])

    def test_database_denied(self):
        rc, doc = probe(self.cnf(user="nodb", password=PW, database="mysql"))
        self.assert_refused(doc, "login_refused", 1044, "CD6014")

    def test_locked_account(self):
        rc, doc = probe(self.cnf(user="lk", password=PW))
        self.assert_refused(doc, "login_refused", 4151, "CD6015")
        self.assertIn("login_refused", audit_why(self.cnf(user="lk", password=PW)))
        # a wrong password to the locked account: the credentials, 1045
        rc, doc = probe(self.cnf(user="lk", password=PW + "-wrong"))
        self.assertEqual([a["outcome"] for a in doc["attempts"]], ["auth_failed"] * 2)
        self.assertEqual(finding(doc, "CD6004")["data"]["mysql_code"], 1045)
        self.assertIn("auth_failed", audit_why(self.cnf(user="lk", password=PW + "-wrong")))

    def test_password_expired(self):
        # MariaDB's default: a sandbox session, every statement 1820
        rc, doc = probe(self.cnf(user="ex", password=PW))
        self.assertEqual(rc, 2)
        self.assertEqual([a["outcome"] for a in doc["attempts"]], ["query_error"] * 2)
        self.assertEqual({a["mysql_code"] for a in doc["attempts"]}, {1820})
        f = finding(doc, "CD6016")
        self.assertEqual((f["data"]["mysql_code"], f["data"]["failures"]), (1820, 2))
        self.assertNotIn("CD6009", [g["code"] for g in doc["findings"]])
        # disconnect_on_expired_password: refused at login with 1862
        self.db.set_global("disconnect_on_expired_password", True)
        try:
            rc, doc = probe(self.cnf(user="ex", password=PW))
        finally:
            self.db.set_global("disconnect_on_expired_password", False)
        self.assert_refused(doc, "login_refused", 1862, "CD6016")

    def test_the_credentials_still_count(self):
        rc, doc = probe(self.cnf(user="nodb", password=PW + "-wrong"))
        self.assertEqual([a["outcome"] for a in doc["attempts"]], ["auth_failed"] * 2)
        f = finding(doc, "CD6004")
        self.assertEqual((f["data"]["mysql_code"], f["data"]["failures"]), (1045, 2))


if __name__ == "__main__":
    harness.run_tests(globals())
