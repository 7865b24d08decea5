"""--nagios and colour against a real MariaDB started by the harness: the
plugin line and its exit code for a healthy server and a closed port (probe
and diagnose), and ANSI colour by terminal, NO_COLOR, FORCE_COLOR and
--color (docs/exit-status.md, README "Colour")."""
import os
import re
import subprocess
import unittest

import harness
from harness import run_conndoctor, run_on_pty
from harness.mariadb import MariaDB

# The Monitoring Plugins guidelines: "SERVICE STATUS - text | perfdata",
# each perfdata item 'label'=value[UOM];[warn];[crit];[min];[max].
LINE = re.compile(r"^CONNDOCTOR (OK|WARNING|CRITICAL|UNKNOWN) - ([^|\n]+?) \|"
                  r"((?: '[^'=]+'=-?[0-9]+(?:\.[0-9]+)?(?:s|%|c|B)?"
                  r"(?:;(?:-?[0-9]+(?:\.[0-9]+)?)?){0,4})+)\n$")
STATE_RC = {"OK": 0, "WARNING": 1, "CRITICAL": 2, "UNKNOWN": 3}
ESC = "\033["


def perfdata(text):
    return {m.group(1): m.group(2)
            for m in re.finditer(r"'([^']+)'=([-0-9.]+[a-zA-Z%]*)", text)}


def plugin_line(rc, out):
    """(state, text, perfdata) of a plugin's stdout; asserts its shape and
    that the exit code is the state's."""
    m = LINE.match(out)
    if not m:
        raise AssertionError(f"not a plugin line (rc={rc}): {out!r}")
    if STATE_RC[m.group(1)] != rc:
        raise AssertionError(f"{m.group(1)} with exit {rc}: {out!r}")
    return m.group(1), m.group(2), perfdata(m.group(3))


def clean_env(**extra):
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    env.update(extra)
    return env


class Nagios(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.db = MariaDB(variables={"skip_name_resolve": 1})
        cls.db.start()

    @classmethod
    def tearDownClass(cls):
        cls.db.stop()

    def cnf(self, **kw):
        return "--defaults-file=" + self.db.client_cnf(**kw)

    def test_probe_healthy_ok(self):
        rc, out, err = run_conndoctor(["probe", self.cnf(), "-h", "127.0.0.1",
                                       "-n", "4", "--nagios"])
        state, text, perf = plugin_line(rc, out)
        self.assertEqual((state, rc), ("OK", 0), err)
        self.assertIn("4 of 4 attempts ok", text)
        self.assertEqual(perf["attempts"], "4")
        self.assertEqual(perf["ok"], "4")
        self.assertEqual(perf["failed"], "0")
        self.assertRegex(perf["connect_p90"], r"^[0-9.]+s$")
        self.assertLess(float(perf["connect_p90"][:-1]), 1.0)
        self.assertEqual(perf["findings_critical"], "0")

    def test_probe_closed_port_critical(self):
        port = harness.free_port()
        rc, out, _ = run_conndoctor(["probe", self.cnf(port=port), "-h",
                                     "127.0.0.1", "-n", "3", "--nagios"])
        state, text, perf = plugin_line(rc, out)
        self.assertEqual((state, rc), ("CRITICAL", 2))  # 69 maps to CRITICAL
        self.assertTrue(text.startswith("CD3002 "), text)
        self.assertIn("0 of 3 attempts ok", text)
        self.assertEqual(perf["refused"], "3")
        self.assertEqual(perf["ok"], "0")

    def test_usage_errors_unknown(self):
        for args in (["--nagios", "--json"], ["--nagios", "--count=0"],
                     ["--nagios", "--no-such-option"]):
            rc, out, err = run_conndoctor(["probe", "--no-defaults", *args])
            self.assertEqual(rc, 3, (args, out, err))
            self.assertRegex(out, r"^CONNDOCTOR UNKNOWN - [^|\n]+\n$")
            self.assertIn("conndoctor probe: ", err)
        # Without --nagios the same mistake is our usage error, 64.
        rc, _, _ = run_conndoctor(["probe", "--no-defaults", "--count=0"])
        self.assertEqual(rc, 64)

    def test_diagnose_healthy(self):
        """The plugin state is diagnose's own verdict: the same exit status
        as --json reports, mapped (this host's audit may warn)."""
        base = ["diagnose", self.cnf(), "-h", "127.0.0.1", "--protocol=tcp", "-n", "3"]
        rc_json, out_json, _ = run_conndoctor([*base, "--json"], timeout=180)
        self.assertIn(rc_json, (0, 1, 2), out_json[:400])
        rc, out, err = run_conndoctor([*base, "--nagios"], timeout=180)
        state, text, perf = plugin_line(rc, out)
        self.assertEqual(rc, rc_json, (out, err))
        self.assertEqual(perf["attempts"], "3")
        self.assertEqual(perf["ok"], "3")
        self.assertIn("3 of 3 attempts ok", text)
        if state != "OK":
            self.assertRegex(text, r"^CD[1-8][0-9]{3} ")

    def test_diagnose_closed_port_critical(self):
        port = harness.free_port()
        rc, out, _ = run_conndoctor(["diagnose", self.cnf(port=port), "-h", "127.0.0.1",
                                     "--protocol=tcp", "-n", "2", "--nagios"], timeout=180)
        state, text, perf = plugin_line(rc, out)
        self.assertEqual((state, rc), ("CRITICAL", 2))
        self.assertIn("0 of 2 attempts ok", text)
        self.assertEqual(perf["refused"], "2")


class Colour(unittest.TestCase):
    """probe against a closed port: fast, and its report has a coloured
    finding (CRITICAL in red)."""

    def setUp(self):
        self.port = harness.free_port()

    def argv(self, *extra):
        return [harness.conndoctor_path(), "probe", "--no-defaults", "-h", "127.0.0.1",
                "-P", str(self.port), "-n", "1", *extra]

    def on_pty(self, *extra, **env):
        rc, out = run_on_pty(self.argv(*extra), clean_env(**env))
        self.assertEqual(rc, 69, out)
        self.assertIn("CD3002", out)
        return out

    def on_pipe(self, *extra, **env):
        argv = self.argv(*extra)
        r = subprocess.run(argv, capture_output=True, text=True, timeout=60,
                           env=clean_env(**env))
        self.assertEqual(r.returncode, 69, r.stderr)
        self.assertIn("CD3002", r.stdout)
        return r.stdout

    def test_terminal_coloured_by_default(self):
        self.assertIn(ESC, self.on_pty())
        self.assertIn(ESC, self.on_pty("--color=auto"))
        self.assertIn(ESC, self.on_pty(NO_COLOR=""))  # empty: not set

    def test_no_color_and_never(self):
        self.assertNotIn(ESC, self.on_pty(NO_COLOR="1"))
        self.assertNotIn(ESC, self.on_pty("--color=never"))
        self.assertNotIn(ESC, self.on_pty("--no-color"))
        # NO_COLOR beats FORCE_COLOR; --color=always beats NO_COLOR.
        self.assertNotIn(ESC, self.on_pty(NO_COLOR="1", FORCE_COLOR="1"))
        self.assertIn(ESC, self.on_pty("--color=always", NO_COLOR="1"))

    def test_pipe(self):
        self.assertNotIn(ESC, self.on_pipe())
        self.assertIn(ESC, self.on_pipe("--color=always"))
        self.assertIn(ESC, self.on_pipe("--color"))
        self.assertIn(ESC, self.on_pipe(FORCE_COLOR="1"))
        self.assertNotIn(ESC, self.on_pipe(FORCE_COLOR=""))
        self.assertNotIn(ESC, self.on_pipe("--color=never", FORCE_COLOR="1"))

    def test_nagios_never_coloured(self):
        r = subprocess.run(self.argv("--nagios", "--color=always"), capture_output=True,
                           text=True, timeout=60, env=clean_env(FORCE_COLOR="1"))
        self.assertEqual(r.returncode, 2)
        self.assertTrue(r.stdout.startswith("CONNDOCTOR CRITICAL - CD3002 "), r.stdout)
        self.assertNotIn(ESC, r.stdout)

    def test_check_decides_the_same_way(self):
        argv = [harness.conndoctor_path(), "check", "--no-defaults", "--only", "kernel"]
        for extra, env, coloured in (([], {}, False), (["--color=always"], {}, True),
                                     ([], {"FORCE_COLOR": "1"}, True),
                                     (["--color=never"], {"FORCE_COLOR": "1"}, False)):
            r = subprocess.run([*argv, *extra], capture_output=True, text=True,
                               timeout=60, env=clean_env(**env))
            self.assertIn(r.returncode, (0, 1, 2), r.stderr)
            self.assertEqual(ESC in r.stdout, coloured, (extra, env, r.stdout[:300]))

    def test_check_and_diagnose_take_color(self):
        for cmd in ("check", "diagnose"):
            r = subprocess.run([harness.conndoctor_path(), cmd, "--color=bogus"],
                               capture_output=True, text=True, timeout=60)
            self.assertEqual(r.returncode, 64, cmd)
            self.assertIn("invalid --color 'bogus'", r.stderr)


if __name__ == "__main__":
    harness.need_conndoctor()
    harness.run_tests(globals())
