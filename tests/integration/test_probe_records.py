"""A long probe holds bounded memory (issue 15, defect 8: 1.16 M attempts of
a 20 s --duration took 380 MB). The counts, the summary and the histograms
cover every attempt; the per-attempt records are every failure up to
10,000 plus a uniform sample of 10,000 ok attempts, and the JSON says so
under "records". Each run here passes those caps several times over, and
its peak RSS (wait4's ru_maxrss) stays under RSS_BOUND_KIB: before the cap,
the 150,000 refused attempts below held about 50 MB of records alone."""
import json
import os
import socket
import subprocess
import tempfile
import threading
import unittest

import harness

FAILURES_MAX = 10000
OK_MAX = 10000
RSS_BOUND_KIB = 32 * 1024


def run_probe(port, *extra):
    """Runs a JSON probe; returns (exit status, document, peak RSS in KiB)."""
    with tempfile.TemporaryFile() as out:
        p = subprocess.Popen([harness.conndoctor_path(), "probe", "--no-defaults",
                              "-h", "127.0.0.1", "-P", str(port), "--protocol=tcp",
                              "--no-second-look", "--json", *map(str, extra)],
                             stdout=out, stderr=subprocess.DEVNULL,
                             preexec_fn=harness.preexec_die_with_parent(9))
        _, status, usage = os.wait4(p.pid, 0)
        p.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        return p.returncode, json.load(out), usage.ru_maxrss


def free_port():
    """A loopback port nothing listens on (connects to it are refused)."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Listener:
    """Accepts and closes connections on 127.0.0.1 as fast as it can."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(4096)
        self.port = self.sock.getsockname()[1]
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            c.close()

    def close(self):
        self.sock.close()


class Records(unittest.TestCase):
    def check_records(self, doc, n, failures):
        rec = doc["records"]
        self.assertEqual(doc["summary"]["attempts"], n, rec)
        self.assertEqual(sum(doc["summary"]["outcomes"].values()), n)
        self.assertEqual(len(doc["attempts"]), rec["kept"])
        self.assertEqual(rec["kept"] + rec["dropped"], n, rec)
        self.assertFalse(rec["complete"], rec)
        self.assertEqual(rec["percentiles"], "histogram")
        self.assertEqual(rec["failures_kept"], min(failures, FAILURES_MAX), rec)
        self.assertEqual(rec["failures_dropped"], max(failures - FAILURES_MAX, 0), rec)
        self.assertEqual(rec["ok_kept"], min(n - failures, OK_MAX), rec)
        self.assertLessEqual(rec["kept"], FAILURES_MAX + OK_MAX)
        kept_failures = [a for a in doc["attempts"] if a["outcome"] != "ok"]
        self.assertEqual(len(kept_failures), rec["failures_kept"])
        ends = [a["start_s"] + a["total_s"] for a in doc["attempts"]]
        self.assertEqual(ends, sorted(ends), "records not in completion order")

    def test_failures_are_kept_up_to_the_cap(self):
        n = 150000
        rc, doc, rss = run_probe(free_port(), "-n", n, "--duration", 300, "-c", 8)
        self.check_records(doc, n, n)
        self.assertEqual(doc["summary"]["outcomes"], {"refused": n})
        self.assertEqual(rc, 69)  # nothing reached the server
        if not harness.sanitized():  # ASan's shadow memory is no measure
            self.assertLess(rss, RSS_BOUND_KIB, f"peak RSS {rss} KiB for {n} attempts")

    def test_ok_attempts_are_sampled(self):
        n = 40000
        lst = Listener()
        try:
            rc, doc, rss = run_probe(lst.port, "-n", n, "--duration", 300, "-c", 4,
                                     "--stop-after", "connect")
        finally:
            lst.close()
        outcomes = doc["summary"]["outcomes"]
        failures = n - outcomes.get("ok", 0)
        self.check_records(doc, n, failures)
        self.assertGreater(outcomes.get("ok", 0), OK_MAX, outcomes)
        # Every ok attempt is counted in the connect phase's statistics,
        # not just the sampled ones.
        self.assertEqual(doc["summary"]["total_ok"]["n"], outcomes["ok"])
        # A uniform sample spans the run: kept ok attempts from its first
        # and its last fifth.
        seqs = sorted(a["seq"] for a in doc["attempts"] if a["outcome"] == "ok")
        self.assertLess(seqs[0], n // 5)
        self.assertGreater(seqs[-1], n - n // 5)
        if not harness.sanitized():  # ASan's shadow memory is no measure
            self.assertLess(rss, RSS_BOUND_KIB, f"peak RSS {rss} KiB for {n} attempts")

    def test_the_text_report_says_so(self):
        n = 25000
        rc, out, err = harness.run_conndoctor(
            ["probe", "--no-defaults", "-h", "127.0.0.1", "-P", free_port(),
             "--protocol=tcp", "-n", n, "-c", 8], timeout=300)
        self.assertIn(f"records: {FAILURES_MAX} of {n} attempts kept (every failure up "
                      f"to {FAILURES_MAX}, a uniform sample of {OK_MAX} ok ones)", out)
        self.assertIn(f"conndoctor probe: {n} attempts", out)
        self.assertIn("time per attempt, all outcomes", out)

    def test_a_short_run_keeps_every_record(self):
        rc, doc, _ = run_probe(free_port(), "-n", 50)
        rec = doc["records"]
        self.assertTrue(rec["complete"], rec)
        self.assertEqual(rec["percentiles"], "exact")
        self.assertEqual(len(doc["attempts"]), 50)
        self.assertEqual(rec["dropped"], 0)


if __name__ == "__main__":
    harness.need_conndoctor()
    harness.run_tests(globals())
