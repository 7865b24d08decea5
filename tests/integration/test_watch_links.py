"""conndoctor watch's idle sessions (idle-survival = on) against a real
MariaDB whose wait_timeout is lowered to 3 s (10.11 resets the session), and scripted peers that cut an
idle session with an RST, with an ERR 4031 then a close, or go silent: the
cuts are counted by who sent them, the idle time before the cut is close to
the server's timeout, the session is reopened after each cut, and one held
less than wait_timeout survives its check."""
import os
import shutil
import signal
import subprocess
import tempfile
import time
import unittest

from harness import need_binary
from harness.mariadb import MariaDB
from harness.prometheus import Prometheus
from harness.mysqlpeer import MysqlPeer, close, err, greeting, ok, read, reset, send, sleep

from test_watch import Watch, scrape, series, value

WAIT_TIMEOUT = 3
# The server's timer (a socket read timeout) and our loop: the cut is seen
# at most this late; never early.
TOLERANCE_S = 1.0


def write(path, text, mode=0o600):
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, mode)


def cuts(m, target):
    return {dict(ls)["how"]: v for ls, v in
            series(m, "conndoctor_idle_cuts_total", target=target).items()}


class WatchIdle(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.db = MariaDB(variables={"skip_name_resolve": 1,
                                    "wait_timeout": WAIT_TIMEOUT})
        cls.db.start()
        cls.dir = tempfile.mkdtemp(prefix="cd_watchidle_")
        cls.pwfile = os.path.join(cls.dir, "pw")
        write(cls.pwfile, cls.db.password + "\n")

    @classmethod
    def tearDownClass(cls):
        cls.db.stop()
        shutil.rmtree(cls.dir, ignore_errors=True)

    def start(self, body):
        w = Watch(["--config", self.write_config(body)])
        self.addCleanup(w.stop)
        return w

    def write_config(self, body):
        path = os.path.join(self.dir, "watch.cnf")
        write(path, f"""[watch]
user = {self.db.user}
password-file = {self.pwfile}
interval = 2s
timeout = 1s
idle-survival = on
""" + body, 0o644)
        return path

    def test_wait_timeout_cut_and_survivor(self):
        self.assertEqual(int(self.db.variable("wait_timeout")), WAIT_TIMEOUT)
        t0 = time.time()
        w = self.start(f"""
[target cut]
host = 127.0.0.1
port = {self.db.port}
idle-check = 60s

[target kept]
host = 127.0.0.1
port = {self.db.port}
idle-check = 1s
""")
        m = w.wait_for(lambda m: sum(cuts(m, "cut").values()) >= 2
                       and value(m, "conndoctor_idle_sessions_survived_total",
                                 target="kept") >= 2, timeout=40)
        c = cuts(m, "cut")
        self.assertEqual(c["check_failed"], 0, c)
        if self.db.variable("version").startswith("10."):
            # MariaDB 10.x ends a session past wait_timeout with an RST
            # and no ERR first (tcpdump on lo: [R.] from the server's
            # port 3 s after the login's OK).
            self.assertGreaterEqual(c["rst"], 2, c)
            self.assertEqual(c["fin"] + c["server_error"], 0, c)
        else:
            self.assertGreaterEqual(sum(c.values()), 2, c)
        idle = value(m, "conndoctor_idle_cut_idle_seconds", target="cut",
                     transport="tcp")
        self.assertGreaterEqual(idle, WAIT_TIMEOUT - 0.05)
        self.assertLessEqual(idle, WAIT_TIMEOUT + TOLERANCE_S)
        when = value(m, "conndoctor_idle_cut_timestamp_seconds", target="cut")
        self.assertGreater(when, t0 + WAIT_TIMEOUT)
        self.assertLessEqual(when, time.time())
        info = series(m, "conndoctor_idle_last_cut_info", target="cut")
        self.assertEqual(len(info), 1)
        labels = dict(next(iter(info)))
        self.assertIn(labels["how"], ("fin", "rst", "server_error"))
        if labels["how"] == "server_error":
            self.assertIn(labels["code"], ("4031", "1927"))
        else:
            self.assertEqual(labels["code"], "0")
        # Held 1 s, under wait_timeout: checked and reopened, never cut.
        self.assertEqual(sum(cuts(m, "kept").values()), 0, cuts(m, "kept"))
        self.assertEqual(value(m, "conndoctor_idle_sessions_survived_total",
                               target="cut"), 0)
        # The regular probes go on beside the idle sessions.
        self.assertGreater(value(m, "conndoctor_attempts_total", target="cut",
                                 outcome="ok"), 0)
        promtool = shutil.which("promtool")
        if promtool:
            _, _, text = scrape(w.port)
            p = subprocess.run([promtool, "check", "metrics"], input=text,
                               capture_output=True, text=True)
            self.assertEqual(p.returncode, 0, p.stdout + p.stderr)

    def test_prometheus_alert_reload_and_stop(self):
        # Through a real Prometheus with the mixin's rules: the cut is
        # counted and ConnDoctorIdleConnectionsCut fires for it; a reload
        # keeps the unchanged target's counts; a stop does not wait for
        # the idle session (it is quit at once, not after its 2 s grace).
        need_binary("prometheus")
        target = f"""
[target cut]
host = 127.0.0.1
port = {self.db.port}
idle-check = 60s
"""
        w = self.start(target)
        with Prometheus([f"127.0.0.1:{w.port}"]) as prom:
            v = prom.wait_for('ALERTS{alertname="ConnDoctorIdleConnectionsCut",'
                              'alertstate="firing",target="cut"}', timeout=40)
            labels = dict(next(iter(v)))
            self.assertEqual(labels["severity"], "warning")
            self.assertEqual(labels["transport"], "tcp")
            if self.db.variable("version").startswith("10."):
                self.assertEqual(labels["how"], "rst")
            idle = prom.vector('conndoctor_idle_cut_idle_seconds{target="cut"}')
            self.assertEqual(len(idle), 1)
            self.assertGreaterEqual(next(iter(idle.values())), WAIT_TIMEOUT - 0.05)
            self.assertLessEqual(next(iter(idle.values())), WAIT_TIMEOUT + TOLERANCE_S)
        before = sum(cuts(w.wait_for(lambda m: True), "cut").values())
        self.assertGreaterEqual(before, 1)
        self.write_config(target + f"""
[target more]
host = 127.0.0.1
port = {self.db.port}
""")
        w.proc.send_signal(signal.SIGHUP)
        m = w.wait_for(lambda m: value(m, "conndoctor_config_reloads_total",
                                       result="applied") == 1, timeout=20)
        self.assertGreaterEqual(sum(cuts(m, "cut").values()), before)
        t0 = time.monotonic()
        self.assertEqual(w.stop(), 0)
        self.assertLess(time.monotonic() - t0, 1.5)

    def test_who_cut_rst_error_silence(self):
        login = [send(greeting()), read(), send(ok())]
        bye = err(4031, b"HY000", b"The client was disconnected by the server "
                  b"because of inactivity.", seq=0)
        with MysqlPeer(login + [sleep(1.0), reset()]) as rst, \
                MysqlPeer(login + [sleep(1.0), send(bye), close()]) as error, \
                MysqlPeer(login + [sleep(60)]) as silent:
            w = self.start(f"""
[target rst]
host = 127.0.0.1
port = {rst.port}
interval = 30s

[target error]
host = 127.0.0.1
port = {error.port}
interval = 30s

[target silent]
host = 127.0.0.1
port = {silent.port}
interval = 30s
idle-check = 1s
""")
            m = w.wait_for(lambda m: cuts(m, "rst").get("rst", 0) >= 1
                           and cuts(m, "error").get("server_error", 0) >= 1
                           and cuts(m, "silent").get("check_failed", 0) >= 1,
                           timeout=30)
        self.assertEqual(cuts(m, "rst")["fin"], 0)
        self.assertEqual(cuts(m, "error")["rst"], 0)
        self.assertEqual(cuts(m, "silent")["fin"] + cuts(m, "silent")["rst"], 0)
        for target in ("rst", "error", "silent"):
            idle = value(m, "conndoctor_idle_cut_idle_seconds", target=target)
            self.assertGreaterEqual(idle, 0.95, target)
            self.assertLessEqual(idle, 1.0 + TOLERANCE_S, target)
        self.assertEqual(value(m, "conndoctor_idle_last_cut_info", target="error",
                               how="server_error", code="4031"), 1)
        self.assertEqual(value(m, "conndoctor_idle_last_cut_info", target="rst",
                               how="rst", code="0"), 1)


if __name__ == "__main__":
    unittest.main()
