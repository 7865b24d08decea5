"""`conndoctor diagnose` names a server restart between the probe's attempts,
against a real MariaDB started by the harness and restarted by the test
(SIGTERM to its PID, then the same datadir and port again).

The probe makes 20 attempts at 4 a second over TCP; 1.5 s in, the test
restarts the server. Attempts while it is down are refused (or closed), and
the ones after it get connection ids counted from the new start: lower than
the ids of attempts that had already ended. The audit, after the probe, reads
an Uptime shorter than the time since the probe's first attempt. diagnose
reports CD6053 with both numbers and joins it to what the probe measured.
Before the run the test opens 12 sessions, so the old server's ids are
above the new server's first ones."""
import threading
import time
import unittest

import harness
from harness.mariadb import MariaDB
from test_diagnose_gone import finding
from test_diagnose_local import diagnose

RUN = ("-n", "20", "--rate", "4")


class Restart(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.db = MariaDB(variables={"skip_name_resolve": 1})
        cls.db.start()
        cls.cnf = cls.db.client_cnf(socket=None)

    @classmethod
    def tearDownClass(cls):
        cls.db.stop()

    def test_restart_between_attempts(self):
        for _ in range(12):
            self.db.sql("SELECT 1")
        timer = threading.Timer(1.5, self.db.restart)
        timer.start()
        try:
            rc, doc = diagnose(self.cnf, *RUN)
        finally:
            timer.join(60)
        attempts = sorted(doc["probe"]["attempts"], key=lambda a: a["start_s"])
        self.assertEqual(len(attempts), 20)
        outcomes = {a["outcome"] for a in attempts}
        self.assertIn("ok", outcomes)
        self.assertTrue(outcomes - {"ok"}, outcomes)  # some failed while it was down
        ids = [a["conn_id"] for a in attempts if a["conn_id"] is not None]
        f = finding(doc["check"]["findings"], "CD6053")
        self.assertIsNotNone(f, doc["check"]["findings"])
        self.assertEqual(f["severity"], "critical")
        data = f["data"]
        # The ids: the highest before the restart, and a lower one after it.
        self.assertIn(data["conn_id_before"], ids)
        self.assertIn(data["conn_id_after"], ids)
        self.assertLess(data["conn_id_after"], data["conn_id_before"])
        self.assertGreaterEqual(data["conn_id_before"], 12)
        self.assertGreater(data["restart_seen_at_s"], 1.5)
        # Uptime (whole seconds, rounded down) is shorter than the time since
        # the first attempt: the server started after it. By how much depends
        # on how long diagnose took to start its first attempt after the
        # timer, so no margin is asserted.
        self.assertLess(data["uptime_s"], data["since_first_attempt_s"])
        self.assertGreater(data["since_first_attempt_s"], 4.0)
        self.assertIn(f"connection ids went back from {data['conn_id_before']:.0f} to "
                      f"{data['conn_id_after']:.0f}", f["summary"])
        self.assertIn(f"Uptime={data['uptime_s']:.0f} s at the audit", f["evidence"])
        root = doc["root_cause"]
        self.assertTrue(root["explained"], root)
        self.assertIn(root["symptom"]["code"], {"CD3002", "CD6006", "CD6011", "CD6007"})
        self.assertEqual(root["causes"][0]["code"], "CD6053")
        self.assertEqual(rc, 2)

    def test_no_restart_no_finding(self):
        rc, doc = diagnose(self.cnf, "-n", "6", "--rate", "4")
        self.assertEqual({a["outcome"] for a in doc["probe"]["attempts"]}, {"ok"})
        self.assertIsNone(finding(doc["check"]["findings"], "CD6053"))
        self.assertIsNone(doc["root_cause"])
        self.assertEqual(rc, 0)


if __name__ == "__main__":
    harness.need_conndoctor()
    harness.run_tests(globals())
