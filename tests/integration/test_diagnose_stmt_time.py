"""`conndoctor diagnose` names a statement the server killed at its time
limit, against a real MariaDB started by the harness.

With max_statement_time=0.5 (global), the probe's `SELECT SLEEP(5)` gets
ERROR 1969 (70100) "Query execution was interrupted (max_statement_time
exceeded)" after about 0.5 s and the session stays open: diagnose reports
CD6049 (never the plain query error CD6009) with how long each statement
ran, joined with the audit's CD6050 that names max_statement_time.
Tolerance: each statement killed no sooner than 0.5 s after it was sent and
well before the sleep would end: within 2.5 s of the limit, because on the
shared 2-core lab machine under load MariaDB's timer thread has been seen to
fire 2 s late (typically it is 0.50-0.52 s).

The same limit set for the account only (ALTER USER ... WITH
MAX_STATEMENT_TIME) kills the statement the same way while the global value
is 0: the audit, logged in as the same account, reads the limit from its own
session and names it as the account's (CD6050 with the global beside it)."""
import unittest

import harness
from harness.mariadb import MariaDB, USER
from test_diagnose_local import diagnose

QUERY = "SELECT SLEEP(5)"


def finding(findings, code):
    hits = [f for f in findings if f["code"] == code]
    return hits[0] if hits else None


class StatementTime(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.db = MariaDB(variables={"skip_name_resolve": 1})
        cls.db.start()
        cls.cnf = cls.db.client_cnf(socket=None)

    @classmethod
    def tearDownClass(cls):
        cls.db.stop()

    def assert_killed(self, doc):
        attempts = doc["probe"]["attempts"]
        self.assertEqual(len(attempts), 2)
        for a in attempts:
            self.assertEqual(a["outcome"], "query_error", a)
            self.assertEqual(a["mysql_code"], 1969, a)
            self.assertEqual(a["sqlstate"], "70100", a)
        symptom = finding(doc["probe"]["findings"], "CD6049")
        self.assertIsNotNone(symptom, doc["probe"]["findings"])
        self.assertEqual(symptom["severity"], "warning")
        self.assertEqual(symptom["data"]["mysql_code"], 1969)
        self.assertEqual(symptom["data"]["failures"], 2)
        self.assertEqual(len(symptom["data"]["query_s"]), 2)
        for t in symptom["data"]["query_s"]:
            self.assertGreaterEqual(t, 0.5)
            self.assertLess(t, 3.0)
        self.assertIsNone(finding(doc["probe"]["findings"], "CD6009"))
        return symptom

    def test_global_max_statement_time(self):
        self.db.set_global("max_statement_time", 0.5)
        try:
            rc, doc = diagnose(self.cnf, "--query", QUERY)
            trc, text = diagnose(self.cnf, "--query", QUERY, as_json=False)
        finally:
            self.db.set_global("max_statement_time", 0)
        self.assert_killed(doc)
        root = doc["root_cause"]
        self.assertTrue(root["explained"], root)
        self.assertEqual(root["symptom"]["code"], "CD6049")
        self.assertEqual([c["code"] for c in root["causes"]], ["CD6050"])
        cause = finding(doc["check"]["findings"], "CD6050")
        self.assertEqual(cause["severity"], "info")
        self.assertEqual(cause["data"], {"max_statement_time_s": 0.5})
        self.assertIn("max_statement_time=0.500000", cause["evidence"])
        # A warning: the connection works, one statement does not.
        self.assertEqual(rc, 1)
        self.assertEqual(doc["exit_status"], 1)
        head = text.split("\n== the probe")[0]
        self.assertIn("ROOT CAUSE  the server limits how long a statement may run", head)
        self.assertIn("symptom:   CD6049 the server killed the probe's statement at its time "
                      "limit: 2 of 2 probe statements were killed by the server's statement "
                      "time limit after 0.", head)
        self.assertIn("ERROR 1969 (70100)", head)
        self.assertIn("cause:     CD6050 the server limits how long a statement may run: the "
                      "server kills statements that run longer than max_statement_time=0.5 s",
                      head)
        self.assertIn("the session stayed open", head)
        self.assertIn("fix:       Statements that run longer than max_statement_time", head)
        self.assertEqual(trc, 1)

    def test_no_limit_no_finding(self):
        rc, doc = diagnose(self.cnf, "--query", "SELECT SLEEP(0.2)")
        self.assertEqual({a["outcome"] for a in doc["probe"]["attempts"]}, {"ok"})
        self.assertIsNone(finding(doc["check"]["findings"], "CD6050"))
        self.assertIsNone(doc["root_cause"])
        self.assertEqual(rc, 0)

    def test_account_limit_read_from_the_audits_session(self):
        users = [f"'{USER}'@'{h}'" for h in ("%", "localhost")]
        self.db.sql("".join(f"ALTER USER {u} WITH MAX_STATEMENT_TIME 0.5;" for u in users))
        try:
            rc, doc = diagnose(self.cnf, "--query", QUERY)
        finally:
            self.db.sql("".join(f"ALTER USER {u} WITH MAX_STATEMENT_TIME 0;" for u in users))
        self.assertEqual(self.db.variable("max_statement_time"), "0.000000")
        self.assert_killed(doc)
        root = doc["root_cause"]
        self.assertEqual(root["symptom"]["code"], "CD6049")
        self.assertTrue(root["explained"], root)
        self.assertEqual([c["code"] for c in root["causes"]], ["CD6050"])
        cause = finding(doc["check"]["findings"], "CD6050")
        self.assertEqual(cause["data"], {"max_statement_time_s": 0.5,
                                         "global_max_statement_time_s": 0})
        self.assertIn("kills this account's statements that run longer than "
                      "max_statement_time=0.5 s", cause["summary"])
        self.assertIn("max_statement_time=0.000000; the audit's own session (the probe's "
                      "account): 0.500000", cause["evidence"])
        self.assertEqual(rc, 1)


if __name__ == "__main__":
    harness.need_conndoctor()
    harness.run_tests(globals())
