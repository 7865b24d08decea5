"""conndoctor watch against a real MariaDB started by the harness: the
daemon probes its targets every interval, /metrics carries the series with
the values counted (attempts by outcome and MySQL error code, phase histograms whose counts match
the attempts), promtool accepts the exposition, unknown paths get 404, bad
configs are refused with file:line, and SIGTERM ends it cleanly."""
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
import unittest
import urllib.error
import urllib.request

import harness
from harness import free_port
from harness.mariadb import MariaDB

SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def parse_metrics(text):
    """{(name, frozenset of (label, value)): float} from text format 0.0.4."""
    out = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = SAMPLE.match(line)
        if not m:
            raise AssertionError(f"not a sample line: {line!r}")
        labels = frozenset(LABEL.findall(m.group(3) or ""))
        out[(m.group(1), labels)] = float(m.group(4))
    return out


def value(metrics, name, **labels):
    want = set(labels.items())
    found = [v for (n, ls), v in metrics.items() if n == name and want <= set(ls)]
    if len(found) != 1:
        raise AssertionError(f"{name}{labels}: {len(found)} series match")
    return found[0]


def outcome_tokens():
    """The outcome tokens probe uses, read from src/probe/attempt.c."""
    with open(os.path.join(harness.REPO_ROOT, "src", "probe", "attempt.c")) as f:
        text = f.read()
    table = text[text.index("outcome_names["):]
    table = table[:table.index("};")]
    return re.findall(r'\] = "([a-z_]+)"', table)


def series(metrics, name, **labels):
    want = set(labels.items())
    return {ls: v for (n, ls), v in metrics.items() if n == name and want <= set(ls)}


def scrape(port, path="/metrics"):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as r:
        return r.status, r.headers.get("Content-Type"), r.read().decode()


class Watch:
    """A running `conndoctor watch` with args, its stderr in a file."""

    def __init__(self, args, env=None):
        self.port = free_port()
        self.err = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(
            [harness.conndoctor_path(), "watch", "--listen", f"127.0.0.1:{self.port}", *args],
            stdout=subprocess.DEVNULL, stderr=self.err, env=env)

    def wait_for(self, pred, timeout=30):
        """Scrape until pred(metrics) holds; returns the metrics."""
        deadline = time.monotonic() + timeout
        last = None
        why = None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"watch exited {self.proc.returncode}: {self.stderr()}")
            try:
                _, _, text = scrape(self.port)
                last = parse_metrics(text)
                if pred(last):
                    return last
            except (urllib.error.URLError, ConnectionError):
                pass
            except AssertionError as e:
                # A series that appears with its first attempt (one with
                # a code label) is absent from a scrape that came first.
                why = e
            time.sleep(0.2)
        raise AssertionError(f"condition not reached ({why}); last scrape: {last}")

    def stderr(self):
        self.err.seek(0)
        return self.err.read().decode(errors="replace")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode


class WatchHealthy(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.db = MariaDB(variables={"skip_name_resolve": 1})
        cls.db.start()
        cls.dir = tempfile.mkdtemp(prefix="cd_watch_")
        cls.pwfile = os.path.join(cls.dir, "pw")
        with open(cls.pwfile, "w") as f:
            f.write(cls.db.password + "\n")
        os.chmod(cls.pwfile, 0o600)
        cls.closed = free_port()
        cls.cnf = os.path.join(cls.dir, "watch.cnf")
        with open(cls.cnf, "w") as f:
            f.write(f"""[watch]
user = {cls.db.user}
password-file = {cls.pwfile}
interval = 1
timeout = 800ms
label.env = "te\\"st"

[target db]
host = 127.0.0.1
port = {cls.db.port}

[target sock]
socket = {cls.db.socket}

[target dead]
host = 127.0.0.1
port = {cls.closed}
""")
        cls.w = Watch(["--config", cls.cnf])

    @classmethod
    def tearDownClass(cls):
        cls.rc = cls.w.stop()
        cls.db.stop()
        shutil.rmtree(cls.dir, ignore_errors=True)

    def ok(self, m, target, transport):
        return value(m, "conndoctor_attempts_total", target=target, transport=transport,
                     outcome="ok")

    def test_attempts_and_histograms(self):
        m = self.w.wait_for(lambda m: self.ok(m, "db", "tcp") >= 3
                            and self.ok(m, "sock", "socket") >= 3
                            and value(m, "conndoctor_attempts_total", target="dead",
                                      outcome="refused") >= 2)
        ok = self.ok(m, "db", "tcp")
        # Every outcome is exported, the failures at 0, with our labels.
        db = series(m, "conndoctor_attempts_total", target="db")
        self.assertEqual(sorted(dict(k)["outcome"] for k in db), sorted(outcome_tokens()))
        self.assertEqual(sum(db.values()), ok)
        for labels in db:
            self.assertIn(("env", 'te\\"st'), labels)
            self.assertIn(("transport", "tcp"), labels)
        self.assertEqual(series(m, "conndoctor_attempts_total", target="db",
                                transport="socket"), {})
        self.assertEqual(value(m, "conndoctor_up", target="db"), 1)
        self.assertEqual(value(m, "conndoctor_up", target="sock", transport="socket"), 1)
        self.assertEqual(value(m, "conndoctor_up", target="dead"), 0)
        self.assertEqual(value(m, "conndoctor_attempts_total", target="dead", outcome="ok"), 0)
        # Histograms: every ok attempt went through connect, greeting, auth,
        # query and close; a numeric address resolves nothing.
        for phase in ("connect", "greeting", "auth", "query", "close"):
            count = value(m, "conndoctor_phase_duration_seconds_count", target="db",
                          phase=phase)
            self.assertEqual(count, ok, phase)
            buckets = series(m, "conndoctor_phase_duration_seconds_bucket", target="db",
                             phase=phase)
            edges = sorted((float(dict(ls)["le"]), v) for ls, v in buckets.items())
            self.assertEqual(edges[-1], (float("inf"), count))
            counts = [v for _, v in edges]
            self.assertEqual(counts, sorted(counts))  # cumulative
            self.assertGreater(value(m, "conndoctor_phase_duration_seconds_sum",
                                     target="db", phase=phase), 0)
        # A phase no attempt reached has no series (docs/watch.md).
        self.assertEqual(series(m, "conndoctor_phase_duration_seconds_count", target="db",
                                phase="resolve"), {})
        # The edges sit on this host's ladders: 1 s SYN and 5 s resolver rungs.
        les = {dict(ls)["le"] for ls in series(m, "conndoctor_phase_duration_seconds_bucket",
                                                 target="db", phase="connect")}
        for edge in ("0.001", "0.1", "1", "1.1", "3", "3.3"):
            self.assertIn(edge, les)
        # A loopback connect lands below 100 ms.
        self.assertEqual(value(m, "conndoctor_phase_duration_seconds_bucket", target="db",
                               phase="connect", le="0.1"), ok)
        # The refused connect: counted in the connect histogram, no greeting.
        dead = value(m, "conndoctor_attempts_total", target="dead", outcome="refused")
        self.assertEqual(value(m, "conndoctor_phase_duration_seconds_count", target="dead",
                               phase="connect"), dead)
        self.assertEqual(series(m, "conndoctor_phase_duration_seconds_bucket", target="dead",
                                phase="greeting"), {})
        self.assertEqual(value(m, "conndoctor_build_info", version=harness_version()), 1)
        self.assertGreaterEqual(value(m, "conndoctor_scrape_duration_seconds"), 0)
        self.assertGreater(value(m, "conndoctor_probe_cpu_seconds_total"), 0)

    def test_promtool_accepts(self):
        promtool = shutil.which("promtool")
        if not promtool:
            self.skipTest("promtool not installed (scripts/install-deps.sh)")
        self.w.wait_for(lambda m: self.ok(m, "db", "tcp") >= 1)
        status, ctype, text = scrape(self.w.port)
        self.assertEqual(status, 200)
        self.assertEqual(ctype, "text/plain; version=0.0.4; charset=utf-8")
        r = subprocess.run([promtool, "check", "metrics"], input=text, text=True,
                           capture_output=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual(r.stdout + r.stderr, "")

    def test_unknown_path_404_other_method_405(self):
        self.w.wait_for(lambda m: True)
        with self.assertRaises(urllib.error.HTTPError) as cm:
            scrape(self.w.port, "/nothing")
        self.assertEqual(cm.exception.code, 404)
        req = urllib.request.Request(f"http://127.0.0.1:{self.w.port}/metrics", data=b"x",
                                     method="POST")
        with self.assertRaises(urllib.error.HTTPError) as cm:
            urllib.request.urlopen(req, timeout=10)
        self.assertEqual(cm.exception.code, 405)

    def test_password_nowhere(self):
        self.w.wait_for(lambda m: self.ok(m, "db", "tcp") >= 1)
        _, _, text = scrape(self.w.port)
        with open(f"/proc/{self.w.proc.pid}/cmdline", "rb") as f:
            cmdline = f.read().decode()
        for where in (text, cmdline, self.w.stderr()):
            self.assertNotIn(self.db.password, where)


def harness_version():
    rc, out, _ = harness.run_conndoctor(["version"])
    return out.split()[-1]


class WatchLifecycle(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.db = MariaDB(variables={"skip_name_resolve": 1})
        cls.db.start()

    @classmethod
    def tearDownClass(cls):
        cls.db.stop()

    def test_quick_form_and_sigterm(self):
        env = dict(os.environ, MYSQL_PWD=self.db.password)
        w = Watch(["-h", "127.0.0.1", "-P", str(self.db.port), "-u", self.db.user,
                   "--interval", "0.5", "--timeout", "0.4"], env=env)
        try:
            m = w.wait_for(lambda m: value(m, "conndoctor_attempts_total", target="127.0.0.1",
                                           outcome="ok") >= 2)
            self.assertEqual(value(m, "conndoctor_attempts_total", target="127.0.0.1",
                                   outcome="auth_failed"), 0)
        finally:
            rc = w.stop()
        self.assertEqual(rc, 0, w.stderr())
        self.assertIn("conndoctor watch: stopped", w.stderr())

    def test_wrong_password_counted(self):
        env = dict(os.environ, MYSQL_PWD="not-" + self.db.password)
        w = Watch(["-h", "127.0.0.1", "-P", str(self.db.port), "-u", self.db.user,
                   "--interval", "0.5", "--timeout", "0.4"], env=env)
        try:
            # The server's ERR code rides along as a label.
            m = w.wait_for(lambda m: value(m, "conndoctor_attempts_total",
                                           outcome="auth_failed", code="1045") >= 1)
            self.assertEqual(value(m, "conndoctor_up"), 0)
            self.assertEqual(value(m, "conndoctor_attempts_total", outcome="ok"), 0)
        finally:
            w.stop()


class WatchBadInput(unittest.TestCase):
    def run_watch(self, *args):
        r = subprocess.run([harness.conndoctor_path(), "watch", *args], capture_output=True,
                           text=True, timeout=30)
        return r.returncode, r.stderr

    def test_bad_config_refused_with_line(self):
        with tempfile.TemporaryDirectory() as d:
            cnf = os.path.join(d, "w.cnf")
            with open(cnf, "w") as f:
                f.write("[target a]\nhost=127.0.0.1\nuser=u\ninterval=1\ntimeout=2\n")
            rc, err = self.run_watch("--config", cnf)
            self.assertEqual(rc, 64)
            self.assertIn(f"{cnf}:1: [target a]: timeout 2s must be shorter than interval 1s",
                          err)
            with open(cnf, "w") as f:
                f.write("[target a]\nhost=127.0.0.1\nuser=u\nfrequency=3\n")
            rc, err = self.run_watch("--config", cnf)
            self.assertEqual(rc, 64)
            self.assertIn(f"{cnf}:4: unknown key 'frequency'", err)

    def test_world_readable_password_file(self):
        with tempfile.TemporaryDirectory() as d:
            pw = os.path.join(d, "pw")
            with open(pw, "w") as f:
                f.write("hunter2\n")
            os.chmod(pw, 0o644)
            rc, err = self.run_watch("-h", "127.0.0.1", "-u", "u", "--password-file", pw)
            self.assertEqual(rc, 64)
            self.assertIn("readable by every user (mode 0644)", err)
            self.assertNotIn("hunter2", err)

    def test_usage(self):
        rc, err = self.run_watch()
        self.assertEqual(rc, 64)
        self.assertIn("nothing to watch", err)
        rc, err = self.run_watch("--listen", "localhost:80", "-h", "127.0.0.1", "-u", "u")
        self.assertEqual(rc, 69)
        self.assertIn("--listen 'localhost:80'", err)
        rc, err = self.run_watch("--bogus")
        self.assertEqual(rc, 64)
        self.assertIn("unknown option '--bogus'", err)


if __name__ == "__main__":
    harness.need_conndoctor()
    harness.run_tests(globals())
