"""conndoctor watch's replica links on loopback: two MariaDB servers started
by the harness, one replicating from the other with a 1 s heartbeat, watch
with `replica = on` for both. The replica's status is exported and joined
with its TCP connection to the primary (found among the primary's own
accepted end and watch's probes, all on 127.0.0.1); the primary is no
replica. With the primary frozen (SIGSTOP: the connection stays
established, nothing comes), the IO thread still says Yes and watch reports
CD7002 within 1.5 heartbeat periods plus a poll; thawed, it clears. The
firewall form of the fault (field report 004) is the lab test's
(tests/lab/test_watch_replica_lab.py)."""
import os
import shutil
import signal
import subprocess
import tempfile
import time
import unittest

from harness.mariadb import MariaDB

from test_watch import Watch, scrape, series, value

HEARTBEAT_S = 1
INTERVAL_S = 0.5
DETECT_BOUND_S = 1.5 * HEARTBEAT_S + INTERVAL_S + 1.5


def write(path, text, mode=0o600):
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, mode)


def stalled(m):
    return bool(series(m, "conndoctor_finding", target="replica", code="CD7002"))


class WatchReplica(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.primary = MariaDB(name="primary", variables={
            "log_bin": "mysql-bin", "server_id": 1, "skip_name_resolve": 1})
        cls.primary.start()
        cls.replica = MariaDB(name="replica", variables={
            "server_id": 2, "skip_name_resolve": 1})
        cls.replica.start()
        cls.dir = tempfile.mkdtemp(prefix="cd_watchrepl_")

    @classmethod
    def tearDownClass(cls):
        cls.replica.stop()
        cls.primary.stop()
        shutil.rmtree(cls.dir, ignore_errors=True)

    def test_link_joined_and_stall(self):
        p, r = self.primary, self.replica
        p.sql("CREATE USER 'repl'@'127.0.0.1' IDENTIFIED BY 'repl-pw'; "
              "GRANT REPLICATION SLAVE ON *.* TO 'repl'@'127.0.0.1'")
        log, pos = p.sql("SHOW MASTER STATUS")[0][:2]
        r.sql(f"CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT={p.port}, "
              f"MASTER_USER='repl', MASTER_PASSWORD='repl-pw', MASTER_LOG_FILE='{log}', "
              f"MASTER_LOG_POS={pos}, MASTER_HEARTBEAT_PERIOD={HEARTBEAT_S}; START SLAVE")
        self.addCleanup(lambda: r.sql("STOP SLAVE"))
        pw = {}
        for name, db in (("primary", p), ("replica", r)):
            pw[name] = os.path.join(self.dir, name + ".pw")
            write(pw[name], db.password + "\n")
        cnf = os.path.join(self.dir, "watch.cnf")
        write(cnf, f"""[watch]
interval = {int(INTERVAL_S * 1000)}ms
timeout = 400ms
replica = on

[target replica]
host = 127.0.0.1
port = {r.port}
user = {r.user}
password-file = {pw["replica"]}

[target primary]
host = 127.0.0.1
port = {p.port}
user = {p.user}
password-file = {pw["primary"]}
""", 0o644)
        w = Watch(["--config", cnf])
        self.addCleanup(w.stop)

        # Healthy: found, running, heartbeats arriving.
        m = w.wait_for(lambda m: value(m, "conndoctor_replica_link_found",
                                       target="replica") == 1
                       and value(m, "conndoctor_replica_heartbeats_received_total",
                                 target="replica") >= 1, timeout=30)
        self.assertEqual(value(m, "conndoctor_replica_io_running", target="replica"), 1)
        self.assertEqual(value(m, "conndoctor_replica_sql_running", target="replica"), 1)
        self.assertEqual(value(m, "conndoctor_replica_heartbeat_period_seconds",
                               target="replica"), HEARTBEAT_S)
        self.assertEqual(value(m, "conndoctor_replica_primary_info", target="replica",
                               primary=f"127.0.0.1:{p.port}"), 1)
        self.assertGreater(value(m, "conndoctor_replica_link_received_bytes_total",
                                 target="replica"), 0)
        # The primary answers the status query with no row.
        self.assertEqual(value(m, "conndoctor_replica_status_success", target="primary"), 1)
        self.assertEqual(value(m, "conndoctor_replica_configured", target="primary"), 0)
        self.assertEqual(series(m, "conndoctor_replica_io_running", target="primary"), {})
        idle_max = 0
        for _ in range(8):  # four heartbeat periods
            m = w.wait_for(lambda m: True)
            self.assertFalse(stalled(m))
            idle_max = max(idle_max, value(m, "conndoctor_replica_link_receive_idle_seconds",
                                           target="replica"))
            time.sleep(0.5)
        self.assertLessEqual(idle_max, 1.5 * HEARTBEAT_S)
        promtool = shutil.which("promtool")
        if promtool:
            _, _, text = scrape(w.port)
            out = subprocess.run([promtool, "check", "metrics"], input=text,
                                 capture_output=True, text=True)
            self.assertEqual(out.returncode, 0, out.stdout + out.stderr)

        # Frozen primary: nothing comes, the IO thread does not know.
        os.kill(p.pid, signal.SIGSTOP)
        self.addCleanup(os.kill, p.pid, signal.SIGCONT)
        t0 = time.monotonic()
        m = w.wait_for(stalled, timeout=20)
        took = time.monotonic() - t0
        self.assertLessEqual(took, DETECT_BOUND_S, f"stall seen after {took:.1f} s")
        self.assertEqual(value(m, "conndoctor_finding", target="replica", code="CD7002",
                               severity="critical"), 1)
        self.assertEqual(value(m, "conndoctor_replica_io_running", target="replica"), 1)
        self.assertGreater(value(m, "conndoctor_replica_link_receive_idle_seconds",
                                 target="replica"), 1.5 * HEARTBEAT_S)

        os.kill(p.pid, signal.SIGCONT)
        m = w.wait_for(lambda m: not stalled(m) and value(
            m, "conndoctor_replica_link_receive_idle_seconds",
            target="replica") < 1.5 * HEARTBEAT_S, timeout=20)
        self.assertEqual(value(m, "conndoctor_replica_io_running", target="replica"), 1)


if __name__ == "__main__":
    unittest.main()
