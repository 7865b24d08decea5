"""The status line of long work (docs/probe.md "Progress"): under a
pseudo-terminal a probe redraws one line on stderr ("\r", the status text,
"\033[K"), at most 10 times a second, and erases it before its report; on a
pipe, with --json or with --quiet there is none, and --progress forces it.
Ctrl-C still prints the report of what was measured; `trace` keeps one
too (its time and what it counted). No MariaDB needed: a
closed port answers every attempt with a refusal, and --rate stretches the
run to a few seconds."""
import os
import re
import subprocess
import time
import unittest

import harness
from harness import run_on_pty

# One redraw: carriage return, "probe D/T: ...", erase to the end of line.
REDRAW = re.compile(r"\r(probe (\d+)/(\d+): [^\r\033]*)\033\[K")
ERASE = "\r\033[K"


def on_pipe(argv):
    """(exit code, stdout, stderr) of argv on pipes, as bytes decoded
    without newline translation, so a "\r" stays one."""
    r = subprocess.run(argv, capture_output=True, timeout=60)
    return r.returncode, r.stdout.decode(), r.stderr.decode()


class Progress(unittest.TestCase):
    def setUp(self):
        self.port = harness.free_port()

    def argv(self, *extra):
        # 12 refused attempts at 4 a second: about 3 s.
        return [harness.conndoctor_path(), "probe", "--no-defaults", "-h", "127.0.0.1",
                "-P", str(self.port), "-n", "12", "--rate", "4", *extra]

    def test_terminal_redraws_then_erases(self):
        t0 = time.time()
        rc, out = run_on_pty(self.argv(), env=dict(os.environ, NO_COLOR="1"))
        elapsed = time.time() - t0
        self.assertEqual(rc, 69, out)
        lines = REDRAW.findall(out)
        self.assertGreaterEqual(len(lines), 3, out)
        # At most 10 redraws a second (and one spare for rounding).
        self.assertLessEqual(len(lines), 10 * elapsed + 1, (len(lines), elapsed))
        for text, done, total in lines:
            self.assertEqual(total, "12", text)
            self.assertLessEqual(int(done), 12)
            self.assertRegex(text, r": 0 ok, \d+ failed")
            self.assertIn("in flight", text)
            self.assertRegex(text, r"\d+\.\d s")
        # The failures are named by class once there are some.
        self.assertTrue(any("refused)" in t for t, _, _ in lines), lines)
        # The counts only go up.
        done = [int(d) for _, d, _ in lines]
        self.assertEqual(done, sorted(done))
        self.assertGreater(done[-1], done[0])
        # Erased before the report, which follows the last redraw.
        last = out.rindex("\033[K\r")
        self.assertTrue(out[last:].startswith("\033[K" + ERASE), out[last:last + 40])
        report = out[last:]
        self.assertIn("CD3002", report)
        self.assertNotIn("in flight", report)

    def test_none_on_a_pipe_with_json_or_quiet(self):
        rc, out, err = on_pipe(self.argv())
        self.assertEqual(rc, 69, err)
        self.assertNotIn("\r", err)
        self.assertNotIn("in flight", err)
        for extra in ("--json", "--quiet"):
            rc, out = run_on_pty(self.argv(extra))
            self.assertEqual(rc, 69, out)
            self.assertNotIn("in flight", out, extra)
            self.assertNotIn("\033[K", out, extra)

    def test_progress_forces_it_on_a_pipe(self):
        rc, out, err = on_pipe(self.argv("--progress"))
        self.assertEqual(rc, 69, err)
        self.assertGreaterEqual(len(REDRAW.findall(err)), 3, err)
        self.assertTrue(err.endswith(ERASE), err[-80:])
        self.assertIn("CD3002", out)
        self.assertNotIn("in flight", out)

    def test_ramp_shows_its_level(self):
        # Two levels of 6 attempts each: 12 planned in all.
        rc, out, err = on_pipe(
            [harness.conndoctor_path(), "probe", "--no-defaults", "-h", "127.0.0.1",
             "-P", str(self.port), "--ramp", "1:2:1", "--repeat", "1", "-n", "6",
             "--rate", "6", "--progress"])
        self.assertEqual(rc, 69, err)
        lines = REDRAW.findall(err)
        self.assertTrue(lines, err)
        self.assertEqual({total for _, _, total in lines}, {"12"})
        levels = {int(m) for m in re.findall(r"\| level (\d+) \|", err)}
        self.assertEqual(levels, {1, 2}, err)

    def test_ctrl_c_still_prints_the_report(self):
        argv = [harness.conndoctor_path(), "probe", "--no-defaults", "-h", "127.0.0.1",
                "-P", str(self.port), "-n", "100", "--rate", "4"]
        rc, out = run_on_pty(argv, interrupt_on=b"probe 2/100")
        self.assertEqual(rc, 69, out)
        report = out[out.rindex(ERASE):]
        self.assertIn("CD3002", report)
        self.assertIn("interrupted", report)
        self.assertFalse(REDRAW.search(report), report)

    def test_trace_redraws_its_counts(self):
        """trace's line: its time out of --duration and what it counted,
        on a terminal only."""
        if os.geteuid() != 0:
            harness.skip("trace needs root")
        argv = [harness.conndoctor_path(), "trace", "--port", str(self.port),
                "--duration", "1.5"]
        rc, out = run_on_pty(argv, env=dict(os.environ, NO_COLOR="1"))
        if rc == 69:
            harness.skip("eBPF unavailable: " + out.strip().splitlines()[-1])
        self.assertEqual(rc, 0, out)
        lines = re.findall(r"\r(trace: (\d+\.\d) of 1\.5 s \| \d+ connections[^\r\033]*)\033\[K",
                           out)
        self.assertGreaterEqual(len(lines), 3, out)
        self.assertTrue(all("left" in t for t, _ in lines), lines)
        seconds = [float(s) for _, s in lines]
        self.assertEqual(seconds, sorted(seconds))
        report = out[out.rindex(ERASE):]
        self.assertIn("conndoctor trace: ", report)
        self.assertNotIn("connections, ", report)
        rc, _, err = on_pipe(argv)
        self.assertEqual(rc, 0, err)
        self.assertNotIn("\r", err)


if __name__ == "__main__":
    harness.need_conndoctor()
    harness.run_tests(globals())
