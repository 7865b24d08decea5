"""`conndoctor diagnose` names why a logged-in session "went away", with the
numbers that prove it, against a real MariaDB started by the harness.

A statement larger than the server's packet limit, max(max_allowed_packet,
net_buffer_length), gets ERR 1153 (SQLSTATE 08S01) and the server closes the
session: diagnose reports it as CD6013 (the gone-away family, never a plain
query error), joined with the audit's CD6046 that names max_allowed_packet,
net_buffer_length and the limit, and advises raising max_allowed_packet on
both sides or splitting the statement. net_buffer_length is the floor of the
limit: with max_allowed_packet=1024 a 10 KB statement still passes under the
default net_buffer_length=16384, and fails once it is lowered to 1024.

A session held idle past wait_timeout is closed by the server (CD6005, with
the time its FIN came), joined with the audit's CD6048 naming wait_timeout
and the error log's read timeouts of the same sessions by account (CD6060).
Tolerance: the close within 0.5 s of wait_timeout=2 s.

The client's own limit: a reply packet over --max-allowed-packet is ERROR
2020 and the client drops the session (CD1004, with the packet's size and
the client's limit), joined with the audit's CD6057: the server's
max_allowed_packet above the client's."""
import os
import unittest

import harness
from harness.mariadb import MariaDB
from test_diagnose_local import diagnose


def query_of(size):
    """A SELECT of a string literal, `size` bytes of SQL in all."""
    return "SELECT '" + "a" * (size - 9) + "'"


def finding(findings, code):
    hits = [f for f in findings if f["code"] == code]
    return hits[0] if hits else None


class GoneAway(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.db = MariaDB(variables={"skip_name_resolve": 1, "max_allowed_packet": 1024})
        cls.db.start()
        cls.cnf = cls.db.client_cnf(socket=None)

    @classmethod
    def tearDownClass(cls):
        cls.db.stop()

    def test_20k_query_over_max_allowed_packet(self):
        self.assertEqual(self.db.variable("max_allowed_packet"), "1024")
        self.assertEqual(self.db.variable("net_buffer_length"), "16384")
        q = query_of(20000)
        packet = len(q) + 1  # COM_QUERY's command byte
        rc, doc = diagnose(self.cnf, "--query", q)
        # Outcome class: every session went away on ERR 1153 (08S01).
        attempts = doc["probe"]["attempts"]
        self.assertEqual(len(attempts), 2)
        for a in attempts:
            self.assertEqual(a["outcome"], "gone_away", a)
            self.assertEqual(a["mysql_code"], 1153, a)
            self.assertEqual(a["sqlstate"], "08S01", a)
        # Cause: the symptom CD6013, explained by the audit's CD6046.
        root = doc["root_cause"]
        self.assertTrue(root["explained"], root)
        self.assertEqual(root["symptom"]["code"], "CD6013")
        # The audit's numbers first, then the error log's count of the
        # same refusals (the server logs each 1153 at log_warnings=2).
        self.assertEqual([c["code"] for c in root["causes"]], ["CD6046", "CD6031"])
        symptom = finding(doc["probe"]["findings"], "CD6013")
        self.assertEqual(symptom["severity"], "critical")
        self.assertEqual(symptom["data"]["packet_bytes"], packet)
        self.assertEqual(symptom["data"]["mysql_code"], 1153)
        self.assertEqual(symptom["data"]["failures"], 2)
        self.assertIsNone(finding(doc["probe"]["findings"], "CD6009"))
        # The numbers: the packet, both variables and the limit they make.
        cause = finding(doc["check"]["findings"], "CD6046")
        self.assertEqual(cause["data"], {"packet_bytes": packet, "max_allowed_packet": 1024,
                                         "net_buffer_length": 16384, "limit_bytes": 16384})
        self.assertIn("max_allowed_packet=1024, net_buffer_length=16384", cause["evidence"])
        self.assertEqual(rc, 2)
        self.assertEqual(doc["exit_status"], 2)
        # The text a person reads: cause, numbers and the fix up front.
        rc, out = diagnose(self.cnf, "--query", q, as_json=False)
        head = out.split("\n== the probe")[0]
        self.assertIn("ROOT CAUSE  the probe's statement is larger than the server's "
                      "packet limit", head)
        self.assertIn(f"after a {packet}-byte query packet: ERROR 1153 (08S01)", head)
        self.assertIn("max_allowed_packet=1024, net_buffer_length=16384; the limit is the "
                      "larger, 16384 bytes", head)
        self.assertIn("fix:       Raise max_allowed_packet above the largest statement or row "
                      "on both sides", head)
        self.assertIn("or split the statement", head)
        self.assertIn("gone_away                      2  ERROR 1153 (08S01): Got a packet "
                      "bigger than 'max_allowed_packet' bytes", out)
        self.assertEqual(rc, 2)

    def test_net_buffer_length_is_the_floor(self):
        # The error log holds the other tests' 1153s (CD6031): the clean
        # run is judged without it.
        empty = os.path.join(self.db.dir, "empty.log")
        open(empty, "w").close()
        q = query_of(10000)
        rc, doc = diagnose(self.cnf, "--query", q, f"--error-log={empty}")
        self.assertEqual({a["outcome"] for a in doc["probe"]["attempts"]}, {"ok"})
        self.assertIsNone(finding(doc["check"]["findings"], "CD6046"))
        self.assertIsNone(doc["root_cause"])
        self.assertEqual(rc, 0)
        self.db.set_global("net_buffer_length", 1024)
        try:
            rc, doc = diagnose(self.cnf, "--query", q)
        finally:
            self.db.set_global("net_buffer_length", 16384)
        self.assertEqual({a["outcome"] for a in doc["probe"]["attempts"]}, {"gone_away"})
        self.assertEqual(doc["root_cause"]["symptom"]["code"], "CD6013")
        cause = finding(doc["check"]["findings"], "CD6046")
        self.assertEqual(cause["data"], {"packet_bytes": len(q) + 1, "max_allowed_packet": 1024,
                                         "net_buffer_length": 1024, "limit_bytes": 1024})
        self.assertEqual(rc, 2)

    def test_idle_past_wait_timeout(self):
        self.db.set_global("wait_timeout", 2)
        try:
            rc, doc = diagnose(self.cnf, "--idle", "3")
            trc, text = diagnose(self.cnf, "--idle", "3", as_json=False)
        finally:
            self.db.set_global("wait_timeout", 28800)
        self.assertEqual({a["outcome"] for a in doc["probe"]["attempts"]}, {"gone_away"})
        root = doc["root_cause"]
        self.assertTrue(root["explained"], root)
        self.assertEqual(root["symptom"]["code"], "CD6005")
        self.assertEqual(root["causes"][0]["code"], "CD6048")
        symptom = finding(doc["probe"]["findings"], "CD6005")
        self.assertEqual(symptom["data"]["idle_s"], 3)
        for t in symptom["data"]["closed_after_idle_s"]:
            self.assertAlmostEqual(t, 2.0, delta=0.5)
        cause = finding(doc["check"]["findings"], "CD6048")
        self.assertEqual(cause["data"], {"wait_timeout_s": 2, "idle_s": 3})
        # The server's log of the same cuts, by account, beside the audit's
        # timeouts (CD6060): one line per session the probe held idle.
        self.assertEqual([c["code"] for c in root["causes"]], ["CD6048", "CD6060"])
        logged = finding(doc["check"]["findings"], "CD6060")
        cut = len(doc["probe"]["attempts"])
        self.assertEqual(logged["data"]["count"], cut)
        self.assertEqual(logged["data"]["wait_timeout_s"], 2)
        self.assertIn(f"conndoctor@127.0.0.1 {cut} of them", logged["summary"])
        self.assertIsNone(finding(doc["check"]["findings"], "CD6023"))
        self.assertEqual(rc, 2)
        head = text.split("\n== the probe")[0]
        self.assertIn("ROOT CAUSE  sessions stay idle longer than the server's wait_timeout",
                      head)
        self.assertIn("wait_timeout=2 s; the probe holds its sessions idle 3.0 s", head)
        self.assertIn("fix:       Set the pool's idle lifetime", head)
        self.assertEqual(trc, 2)


class ClientPacketLimit(unittest.TestCase):
    """A server with the default max_allowed_packet (16 MiB): the other
    class's 1024 would make the server send NULL for the big value."""

    @classmethod
    def setUpClass(cls):
        cls.db = MariaDB(variables={"skip_name_resolve": 1})
        cls.db.start()
        cls.cnf = cls.db.client_cnf(socket=None)

    @classmethod
    def tearDownClass(cls):
        cls.db.stop()

    def test_20k_reply_over_the_clients_max_allowed_packet(self):
        """The client's side, 2020: a 20,000-byte value in the reply and the
        client's max_allowed_packet 1024, below the server's 16 MiB (which
        builds the row)."""
        q = "SELECT REPEAT('a', 20000)"
        rc, doc = diagnose(self.cnf, "--query", q, "--max-allowed-packet", "1024")
        attempts = doc["probe"]["attempts"]
        self.assertEqual(len(attempts), 2)
        for a in attempts:
            self.assertEqual(a["outcome"], "gone_away", a)
            self.assertEqual(a["mysql_code"], 2020, a)
            self.assertEqual(a["client_error"], "ERROR 2020 (HY000): Got packet bigger than "
                             "'max_allowed_packet' bytes")
        symptom = finding(doc["probe"]["findings"], "CD1004")
        self.assertIsNotNone(symptom, doc["probe"]["findings"])
        self.assertEqual(symptom["data"]["client_max_allowed_packet"], 1024)
        self.assertEqual(symptom["data"]["mysql_code"], 2020)
        self.assertEqual(symptom["data"]["failures"], 2)
        # A 20,000-byte value: the row packet is the value, its length
        # prefix (3 bytes) and nothing else.
        self.assertEqual(symptom["data"]["reply_bytes"], 20003)
        self.assertIn("2 of 2 replies had a 20003-byte packet, over the client's "
                      "max_allowed_packet=1024: ERROR 2020", symptom["summary"])
        self.assertIsNone(finding(doc["probe"]["findings"], "CD6006"))
        root = doc["root_cause"]
        self.assertEqual(root["symptom"]["code"], "CD1004")
        self.assertTrue(root["explained"], root)
        self.assertEqual([c["code"] for c in root["causes"]], ["CD6057"])
        cause = finding(doc["check"]["findings"], "CD6057")
        self.assertEqual(self.db.variable("max_allowed_packet"), "16777216")
        self.assertEqual(cause["data"], {"max_allowed_packet": 16777216,
                                         "client_max_allowed_packet": 1024})
        self.assertIn("max_allowed_packet=16777216; the probe takes reply packets up to "
                      "--max-allowed-packet 1024", cause["evidence"])
        self.assertEqual(rc, 2)
        # Under the client's limit: nothing.
        rc, doc = diagnose(self.cnf, "--query", "SELECT REPEAT('a', 500)",
                           "--max-allowed-packet", "1024")
        self.assertEqual({a["outcome"] for a in doc["probe"]["attempts"]}, {"ok"})
        self.assertIsNone(finding(doc["probe"]["findings"], "CD1004"))


if __name__ == "__main__":
    harness.need_conndoctor()
    harness.run_tests(globals())
