"""`conndoctor check --only server` against a real MariaDB started by the
harness: variables and counters are read and explained, skip_name_resolve=OFF
and a server near max_connections are flagged, bad credentials are reported
as unreadable (never a crash), and nothing is changed on the server."""
import json
import subprocess
import time
import unittest

import harness
from harness import run_conndoctor
from harness.mariadb import MariaDB


def check(*args):
    rc, out, err = run_conndoctor(["check", "--only", "server", "--json", *args])
    try:
        return rc, json.loads(out)
    except ValueError:
        raise AssertionError(f"not JSON (rc={rc}): {out[:300]!r} {err!r}")


class ServerAudit(unittest.TestCase):
    def test_healthy_server(self):
        with MariaDB(variables={"skip_name_resolve": 1}) as db:
            before = db.sql("SHOW GLOBAL STATUS LIKE 'Com_set_option'")
            rc, doc = check("--defaults-file=" + db.client_cnf(), "--interval", "0.5")
            after = db.sql("SHOW GLOBAL STATUS LIKE 'Com_set_option'")
        self.assertEqual([f for f in doc["findings"] if f["severity"] != "info"], [])
        self.assertEqual(rc, 0)
        facts = {f["key"]: f["values"] for f in doc["facts"] if f["section"] == "server"}
        self.assertTrue(facts["version"]["version"].startswith("10."))
        self.assertEqual(facts["max_connections"]["max_connections_count"], 151)
        self.assertIs(facts["skip_name_resolve"]["skip_name_resolve"], True)
        # sampled twice: a rate over the interval
        self.assertGreaterEqual(facts["Connections"]["interval_s"], 0.5)
        self.assertGreaterEqual(facts["Connections"]["rate_per_s"], 0)
        # Every variable and counter the audit explains is read on MariaDB.
        for name in ("skip_name_resolve", "skip_networking", "bind_address", "port",
                     "socket", "connect_timeout", "wait_timeout", "interactive_timeout",
                     "net_read_timeout", "net_write_timeout", "max_allowed_packet",
                     "max_connections", "max_user_connections", "max_connect_errors",
                     "back_log", "thread_handling", "thread_cache_size", "slave_net_timeout",
                     "Connections", "Aborted_connects", "Aborted_clients",
                     "Connection_errors_accept", "Connection_errors_internal",
                     "Connection_errors_max_connections", "Connection_errors_peer_address",
                     "Connection_errors_select", "Connection_errors_tcpwrap",
                     "Threads_connected", "Threads_created", "Max_used_connections"):
            self.assertIn(name, facts)
        # MySQL 8's Max_used_connections_time does not exist in MariaDB 10.11.
        self.assertEqual(before, after)  # read-only: no SET issued

    def test_name_resolution_on(self):
        with MariaDB(variables={"skip_name_resolve": 0}) as db:
            rc, doc = check("--defaults-file=" + db.client_cnf())
        codes = [f["code"] for f in doc["findings"]]
        self.assertIn("CD6040", codes)
        self.assertEqual(rc, 1)

    def test_near_max_connections(self):
        with MariaDB(variables={"max_connections": 12, "skip_name_resolve": 1}) as db:
            holder = subprocess.Popen(
                [harness.conndoctor_path(), "probe", "--defaults-file=" + db.client_cnf(),
                 "-n", "11", "-c", "11", "--idle", "4", "--json"],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            try:
                deadline = time.time() + 10
                while db.status("Threads_connected") < 12 and time.time() < deadline:
                    time.sleep(0.1)
                rc, doc = check("--defaults-file=" + db.client_cnf())
            finally:
                holder.wait(timeout=30)
        f = [f for f in doc["findings"] if f["code"] == "CD6041"]
        self.assertEqual(len(f), 1, doc["findings"])
        self.assertEqual(f[0]["data"]["max_connections"], 12)
        # 11 held + the root session of db.status() + the audit itself.
        self.assertGreaterEqual(f[0]["data"]["threads_connected"], 11)
        self.assertEqual(f[0]["severity"], "critical")
        self.assertEqual(rc, 2)

    def test_bad_credentials_are_unreadable(self):
        with MariaDB(variables={"skip_name_resolve": 1}) as db:
            rc, doc = check("--defaults-file=" + db.client_cnf(password="wrong"))
        why = [u["why"] for u in doc["unreadable"] if u["what"] == "server"]
        self.assertEqual(len(why), 1)
        self.assertIn("ERROR 1045", why[0])
        self.assertEqual(rc, 0)

    def test_no_credentials(self):
        rc, doc = check("--no-defaults")
        self.assertIn("server", [u["what"] for u in doc["unreadable"]])
        self.assertEqual(rc, 0)


if __name__ == "__main__":
    harness.need_conndoctor()
    harness.run_tests(globals())
