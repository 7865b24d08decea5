"""probe --reuse N against the harness MariaDB 10.11: N queries over one
connection with COM_RESET_CONNECTION or COM_CHANGE_USER between them, as
connection pools do. The server's own records are the evidence: one
connection (all N queries on the probe's thread id), N SELECTs (Com_select), and in the general log
(log_output=TABLE) the N-1 "Reset connection" or "Change user" commands on
the probe's thread. Change user to an ed25519 account goes through an auth
switch, the handshake machine's path."""
import json
import unittest

import harness
from harness import run_conndoctor
from harness.mariadb import MariaDB

ED_PW = "reuse ed pw"
STATEFUL = ("BEGIN NOT ATOMIC IF @cd_seen IS NOT NULL THEN SIGNAL SQLSTATE '45000' "
            "SET MESSAGE_TEXT = 'session state kept'; END IF; SET @cd_seen = 1; END")


def probe(db, *args, pw):
    rc, out, err = run_conndoctor(["probe", "--json", "--no-defaults", "-h", "127.0.0.1", "-P",
                                   str(db.port), "-n", "1", *args],
                                  env={"MYSQL_PWD": pw}, timeout=60)
    try:
        return json.loads(out)["attempts"][0]
    except (ValueError, IndexError, KeyError):
        raise AssertionError(f"rc={rc} out={out[:400]!r} err={err!r}")


class Reuse(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.db = MariaDB(variables={"general_log": "ON", "log_output": "TABLE"})
        cls.db.start()
        cls.db.sql("INSTALL SONAME 'auth_ed25519';")
        cls.db.sql(f"CREATE USER 'edr'@'%' IDENTIFIED VIA ed25519 USING PASSWORD('{ED_PW}');"
                   "GRANT SELECT ON *.* TO 'edr'@'%';")

    @classmethod
    def tearDownClass(cls):
        cls.db.stop()

    def commands(self, conn_id):
        rows = self.db.sql("SELECT command_type, COUNT(*) FROM mysql.general_log "
                           f"WHERE thread_id = {int(conn_id)} GROUP BY command_type")
        return {k: int(v) for k, v in rows}

    def run_reuse(self, mode, user, pw, n=5):
        sel = self.db.status("Com_select")
        a = probe(self.db, "-u", user, "--reuse", str(n), "--reuse-mode", mode, pw=pw)
        self.assertEqual(a["outcome"], "ok", a)
        # status() itself runs one SELECT.
        self.assertEqual(self.db.status("Com_select") - sel, n + 1)
        for ph in ("auth_s", "query_s", "reuse_s", "close_s"):
            self.assertIsNotNone(a[ph], (ph, a))
            self.assertGreater(a[ph], 0)
        parts = sum(a[k] or 0 for k in a if k.endswith("_s") and k not in ("start_s", "total_s",
                                                                         "idle_cut_s"))
        self.assertAlmostEqual(parts, a["total_s"], delta=0.001)
        return a

    def test_reset_connection(self):
        a = self.run_reuse("reset", harness.mariadb.USER, self.db.password)
        cmds = self.commands(a["conn_id"])
        self.assertEqual(cmds.get("Query"), 5, cmds)
        self.assertNotIn("Change user", cmds)

    def test_reset_clears_session_state(self):
        # MariaDB's general log does not show COM_RESET_CONNECTION; its
        # effect does: a user variable set by one query is gone for the
        # next. The query fails when it finds the variable already set
        # (shown first in one mariadb client session, without a reset).
        with self.assertRaises(harness.mariadb.MariaDBError) as e:
            self.db.sql(f"{STATEFUL};\n{STATEFUL};", user=harness.mariadb.USER)
        self.assertIn("session state kept", str(e.exception))
        for mode in ("reset", "change-user"):
            a = probe(self.db, "-u", harness.mariadb.USER, "--reuse", "3", "--reuse-mode", mode,
                      "--query", STATEFUL, pw=self.db.password)
            self.assertEqual(a["outcome"], "ok", (mode, a))

    def test_change_user_native(self):
        a = self.run_reuse("change-user", harness.mariadb.USER, self.db.password)
        cmds = self.commands(a["conn_id"])
        self.assertEqual(cmds.get("Query"), 5, cmds)
        self.assertEqual(cmds.get("Change user"), 4, cmds)

    def test_change_user_through_auth_switch(self):
        a = self.run_reuse("change-user", "edr", ED_PW, n=3)
        self.assertEqual(self.commands(a["conn_id"]).get("Change user"), 2)



if __name__ == "__main__":
    harness.need_conndoctor()
    harness.run_tests(globals())
