"""`conndoctor trace`'s front end without a kernel trace: its options are
range-checked by the option table (exit 64 with one line naming the range), --help prints the usage, and a user
without the privileges gets one line saying what is missing and exit 69,
never a crash (with or without CD_BPF)."""
import json
import os
import shutil
import subprocess
import unittest

import harness
from harness import conndoctor_path, run_conndoctor


class TraceCli(unittest.TestCase):
    def usage_error(self, args, words):
        rc, out, err = run_conndoctor(["trace", *args])
        self.assertEqual(rc, 64, err)
        self.assertEqual(out, "")
        self.assertEqual(len(err.strip().splitlines()), 1, err)
        self.assertIn(words, err)

    def test_ranges(self):
        # Checked by the option table: "invalid --NAME 'VALUE' (RANGE)".
        self.usage_error(["--duration", "0"], "invalid --duration '0' (0.1 to 86400 seconds)")
        self.usage_error(["--duration", "86401"], "(0.1 to 86400 seconds)")
        self.usage_error(["--duration", "5x"], "invalid --duration '5x'")
        self.usage_error(["--duration", "nan"], "(0.1 to 86400 seconds)")
        self.usage_error(["--port", "0"], "invalid --port '0' (1 to 65535)")
        self.usage_error(["--port", "65536"], "(1 to 65535)")
        self.usage_error(["-P", "x"], "invalid --port 'x' (1 to 65535)")
        many = []
        for p in range(3300, 3309):
            many += ["--port", str(p)]
        self.usage_error(many, "at most 8 --port")
        self.usage_error(["--bogus"], "unknown option '--bogus'")
        self.usage_error(["--port"], "needs a value")
        self.usage_error(["extra"], "unexpected argument 'extra'")
        self.usage_error(["--pid", "0"], "invalid --pid '0' (1 to 1073741823)")
        self.usage_error(["-p", "12x"], "invalid --pid '12x'")
        many = []
        for p in range(1, 18):
            many += ["--pid", str(p)]
        self.usage_error(many, "at most 16 --pid")
        self.usage_error(["--comm", ""], "(a process name, 1 to 15 characters)")
        self.usage_error(["--comm", "a" * 16], "(a process name, 1 to 15 characters)")

    def test_help(self):
        rc, out, err = run_conndoctor(["trace", "--help"])
        self.assertEqual(rc, 0, err)
        self.assertIn("usage: conndoctor trace [--port P]... [--pid PID]... [--comm NAME]\n"
                      "                        [--duration S] [--json]\n", out)
        self.assertIn("CAP_BPF", out)
        rc, out, _ = run_conndoctor(["help"])
        self.assertIn("  trace ", out)

    def test_unprivileged_says_what_is_missing(self):
        if os.geteuid() != 0 or not shutil.which("setpriv"):
            harness.skip("needs root and setpriv to drop to nobody")
        r = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                            conndoctor_path(), "trace", "--duration", "0.1"],
                           capture_output=True, text=True, timeout=30)
        if "Permission denied" in r.stderr and r.returncode == 127:
            harness.skip("the build tree is not readable by nobody")
        self.assertEqual(r.returncode, 69, r.stderr)
        self.assertEqual(r.stdout, "")
        lines = r.stderr.strip().splitlines()
        self.assertEqual(len(lines), 1, r.stderr)
        self.assertTrue("needs root, or CAP_BPF and CAP_PERFMON" in lines[0]
                        or "built without eBPF support" in lines[0], lines[0])

    def test_diagnose_goes_on_untraced(self):
        """diagnose --trace where tracing is not possible: one `not
        traced` reason, in the text and as trace.error in the JSON, and
        the diagnosis all the same."""
        if os.geteuid() != 0 or not shutil.which("setpriv"):
            harness.skip("needs root and setpriv to drop to nobody")
        port = harness.free_port()
        base = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                conndoctor_path(), "diagnose", "--no-defaults", "-h", "127.0.0.1", "-P",
                str(port), "-u", "x", "-n", "2", "--no-dns", "--trace"]
        r = subprocess.run(base + ["--json"], capture_output=True, text=True, timeout=120)
        if "Permission denied" in r.stderr and r.returncode == 127:
            harness.skip("the build tree is not readable by nobody")
        doc = json.loads(r.stdout)
        why = doc["trace"]["error"]
        self.assertTrue("needs root, or CAP_BPF and CAP_PERFMON" in why
                        or "built without eBPF support" in why, why)
        self.assertEqual(doc["root_cause"]["symptom"]["code"], "CD3002")
        self.assertEqual(doc["probe"]["summary"]["outcomes"], {"refused": 2})
        self.assertEqual(r.returncode, 69, r.stderr)
        r = subprocess.run(base, capture_output=True, text=True, timeout=120)
        self.assertIn("== the kernel, during the probe (--trace)\nnot traced: " + why + "\n",
                      r.stdout)
        self.assertIn("CD3002", r.stdout)


if __name__ == "__main__":
    harness.need_conndoctor()
    harness.run_tests(globals())
