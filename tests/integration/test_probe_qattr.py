"""probe --query-attribute against the harness MariaDB 10.11, which has no
CLIENT_QUERY_ATTRIBUTES (MySQL 8.0.23+ has it; no MySQL server runs here:
the encoder's bytes are unit-tested against the COM_QUERY page and read
back by the pcap decoder's parser in tests/unit/test_mysql_qattr.c). The
probe must not set the flag, must send the plain COM_QUERY (the server's
general log has the statement text exactly, nothing before it), and must
say that the server does not support attributes: a note, not a failure."""
import json
import unittest

from harness import run_conndoctor
from harness.mariadb import MariaDB

QUERY = "SELECT 'qattr probe' AS tag"


class ProbeQueryAttributes(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.db = MariaDB(variables={"general_log": "ON", "log_output": "TABLE"})
        cls.db.start()

    @classmethod
    def tearDownClass(cls):
        cls.db.stop()

    def probe(self, *args, query=QUERY):
        q = ["--query", query] if query else []
        return run_conndoctor(["probe", "--defaults-file=" + self.db.client_cnf(), "-h",
                               "127.0.0.1", "-n", "2", *q, *args], timeout=60)

    def test_unsupported_is_a_note(self):
        rc, out, err = self.probe("--json", "--query-attribute", "app=billing",
                                  "--query-attribute", "trace=a=b")
        self.assertEqual(rc, 0, (out, err))
        doc = json.loads(out)
        self.assertIs(doc["server"]["query_attributes"], False)
        ids = set()
        for a in doc["attempts"]:
            self.assertEqual(a["outcome"], "ok", a)
            self.assertIs(a["query_attributes"], False)
            ids.add(int(a["conn_id"]))
        rows = self.db.sql("SELECT thread_id, argument FROM mysql.general_log "
                           "WHERE command_type = 'Query' AND argument LIKE '%qattr probe%'")
        got = {int(t): arg for t, arg in rows if int(t) in ids}
        self.assertEqual(set(got), ids, rows)
        self.assertTrue(all(arg == QUERY for arg in got.values()), got)

        rc, out, err = self.probe("--query-attribute", "app=billing")
        self.assertEqual(rc, 0, (out, err))
        self.assertIn("query attributes: the server does not support them (no "
                      "CLIENT_QUERY_ATTRIBUTES in its greeting", out)
        self.assertIn("2 ok of 2", out)

    def test_without_the_option(self):
        rc, out, err = self.probe("--json")
        doc = json.loads(out)
        self.assertIsNone(doc["attempts"][0]["query_attributes"])
        rc, out, err = self.probe()
        self.assertNotIn("query attributes", out)

    def test_bad_values(self):
        for args, msg in ((["--query-attribute", "novalue"], "invalid --query-attribute"),
                          (["--query-attribute", "a=1", "--ping"], "not --ping")):
            rc, out, err = self.probe(*args, query=None)
            self.assertEqual(rc, 64, (args, out, err))
            self.assertIn(msg, err)
        many = []
        for i in range(33):
            many += ["--query-attribute", f"k{i}=v"]
        rc, out, err = self.probe(*many)
        self.assertEqual(rc, 64)
        self.assertIn("at most 32", err)


if __name__ == "__main__":
    unittest.main()
