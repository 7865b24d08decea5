"""`conndoctor diagnose` names a session killed on the server (KILL), against a
real MariaDB started by the harness.

The probe runs `SELECT SLEEP(5)` over two connections; the test finds each
probe session in the processlist (by its statement and user) and runs KILL on
its id from a root session. MariaDB answers the probe's statement with ERROR
1927 (70100) "Connection was killed" and closes the connection where the ERR gets out first: diagnose
classes both attempts gone_away and reports CD6051 (never the generic
CD6006), with the connection ids the server gave and how long each statement
ran before the KILL (at least the test's wait for the session to appear,
well under the sleep's 5 s).

MariaDB 10.11 closes the killed connection before its ERR 1927 can be read
(its log says "Could not write packet ... length: 73"): the client sees only
the close, CD6006. The server's own witnesses are then its KILL counter
(Com_kill, CD6052) and, at log_warnings=4, the error log's "Aborted
connection N ... (KILLED)" lines (CD6030): diagnose names the log lines as the
cause and lists the counter, which counts kills since the start, as a hint."""
import threading
import time
import unittest

import harness
from harness.mariadb import MariaDB, USER
from test_diagnose_local import diagnose

QUERY = "SELECT SLEEP(5)"


def finding(findings, code):
    hits = [f for f in findings if f["code"] == code]
    return hits[0] if hits else None


class Killer(threading.Thread):
    """KILLs each probe session running QUERY, `want` of them, within a bounded time."""

    def __init__(self, db, want, limit_s=20):
        super().__init__(daemon=True)
        self.db, self.want, self.limit_s = db, want, limit_s
        self.killed = []

    def run(self):
        deadline = time.monotonic() + self.limit_s
        while len(self.killed) < self.want and time.monotonic() < deadline:
            rows = self.db.sql("SELECT ID, TIME_MS FROM information_schema.PROCESSLIST "
                               f"WHERE USER = '{USER}' AND INFO = '{QUERY}'")
            for ident, ms in rows:
                # Let it run 0.3 s so the query time is a number to check.
                if int(ident) not in self.killed and float(ms) >= 300:
                    self.db.sql(f"KILL {int(ident)}")
                    self.killed.append(int(ident))
            time.sleep(0.05)


class Killed(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.db = MariaDB(variables={"skip_name_resolve": 1, "log_warnings": 4})
        cls.db.start()
        cls.cnf = cls.db.client_cnf(socket=None)

    @classmethod
    def tearDownClass(cls):
        cls.db.stop()

    def run_killed(self, as_json=True):
        killer = Killer(self.db, 2)
        killer.start()
        try:
            rc, out = diagnose(self.cnf, "--query", QUERY, as_json=as_json)
        finally:
            killer.join(30)
        self.assertEqual(len(killer.killed), 2, killer.killed)
        return rc, out, killer.killed

    def test_kill_of_the_probes_sessions(self):
        com_kill = self.db.status("Com_kill")
        rc, doc, killed = self.run_killed()
        attempts = doc["probe"]["attempts"]
        self.assertEqual(len(attempts), 2)
        self.assertEqual(sorted(a["conn_id"] for a in attempts), sorted(killed))
        sent_err = attempts[0]["mysql_code"] is not None
        for a in attempts:
            self.assertEqual(a["outcome"], "gone_away", a)
            self.assertGreaterEqual(a["query_s"], 0.3, a)
            self.assertLess(a["query_s"], 4.5, a)
            if sent_err:  # MariaDB builds that get the ERR out first
                self.assertEqual((a["mysql_code"], a["sqlstate"]), (1927, "70100"), a)
            else:  # 10.11 closes first: the ERR never reaches the client
                self.assertEqual(a["message"], "the server closed the connection during the query")
        root = doc["root_cause"]
        self.assertTrue(root["explained"], root)
        if sent_err:
            symptom = finding(doc["probe"]["findings"], "CD6051")
            self.assertEqual(symptom["data"]["mysql_code"], 1927)
            self.assertEqual(sorted(symptom["data"]["conn_ids"]), sorted(killed))
            self.assertIsNone(finding(doc["probe"]["findings"], "CD6006"))
        else:
            symptom = finding(doc["probe"]["findings"], "CD6006")
        self.assertEqual(root["symptom"]["code"], symptom["code"])
        self.assertEqual(symptom["data"]["failures"], 2)
        # Causes: the error log's killed sessions (log_warnings=4), and
        # beside a 1927 the server's KILL counter; without the ERR the
        # counter (since the start, not this run's) is a hint only.
        self.assertEqual([c["code"] for c in root["causes"]],
                         ["CD6030", "CD6052"] if sent_err else ["CD6030"])
        kills = finding(doc["check"]["findings"], "CD6052")
        self.assertEqual(kills["data"]["kills"], com_kill + 2)
        self.assertGreaterEqual(kills["data"]["uptime_s"], 0)  # whole seconds: a fresh server says 0
        self.assertIn(f"Com_kill={com_kill + 2}, Uptime=", kills["evidence"])
        errlog = finding(doc["check"]["findings"], "CD6030")
        self.assertGreaterEqual(errlog["data"]["count"], 2, errlog)
        self.assertEqual(rc, 2)
        rc, text, killed = self.run_killed(as_json=False)
        head = text.split("\n== the probe")[0]
        self.assertIn("ROOT CAUSE  sessions were killed on the server", head)
        self.assertIn("2 of 2 logged-in sessions lost during the query" if not sent_err
                      else "2 of 2 sessions were killed on the server", head)
        if sent_err:
            self.assertIn(f"cause:     CD6052 the server has killed sessions since it "
                          f"started: the server has run KILL {com_kill + 4} times in its ",
                          head)
        else:
            self.assertNotIn("CD6052", head)
            self.assertIn(f"the server has run KILL {com_kill + 4} times in its ",
                          text.split("\n== this host and the server")[1])
        self.assertEqual(rc, 2)

    def test_no_kill_no_cause(self):
        rc, doc = diagnose(self.cnf, "--query", "SELECT SLEEP(0.2)")
        self.assertEqual({a["outcome"] for a in doc["probe"]["attempts"]}, {"ok"})
        self.assertIsNone(doc["root_cause"])
        self.assertEqual(rc, 0)


if __name__ == "__main__":
    harness.need_conndoctor()
    harness.run_tests(globals())
