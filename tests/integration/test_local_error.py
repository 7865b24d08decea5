"""Failure injection (issue 9, item 7): when the kernel refuses one of the
probe's epoll changes, the attempt ends at once with its own outcome class,
local_error, in the phase it was in, and is never blamed on the server (it
used to wait out its timer and be reported as greeting_timeout). The
tests/fixtures/epollfail shim, preloaded, makes the Nth epoll_ctl fail
with ENOMEM; with -h 127.0.0.1 and no resolver the probe's calls are, per
attempt: 1 ADD (connect), 2 MOD to EPOLLIN (connected: wait for the
greeting), 3 MOD to EPOLLIN|EPOLLRDHUP (logged in, --idle)."""
import json
import os
import shutil
import subprocess
import tempfile
import unittest

import harness
from harness import run_conndoctor
from harness.mysqlpeer import MysqlPeer, greeting, ok, read, send

ENOMEM = 12


def shim_path():
    """The shim built by CMake beside conndoctor, else built here."""
    built = os.path.join(os.path.dirname(harness.conndoctor_path()), "tests", "fixtures",
                         "epollfail", "libepollfail.so")
    if os.path.exists(built):
        return built
    cc = shutil.which("cc") or harness.skip("epollfail not built and no cc")
    out = os.path.join(tempfile.mkdtemp(prefix="cd-epollfail-"), "libepollfail.so")
    harness.add_cleanup(lambda: shutil.rmtree(os.path.dirname(out), ignore_errors=True))
    src = os.path.join(harness.REPO_ROOT, "tests", "fixtures", "epollfail", "epollfail.c")
    subprocess.run([cc, "-shared", "-fPIC", "-O1", "-o", out, src, "-ldl"], check=True,
                   timeout=60)
    return out


def probe(port, env, *extra):
    args = ["probe", "--no-defaults", "-h", "127.0.0.1", "-P", str(port),
            "--protocol=tcp", "-u", "app", "--password=pw", "-n", "1",
            "--connect-timeout", "5", "--no-second-look", *extra]
    # Under an ASan build the shim comes before ASan's runtime: allowed,
    # since the shim intercepts nothing ASan does.
    asan = os.environ.get("ASAN_OPTIONS", "")
    return run_conndoctor(args, timeout=60,
                          env={"LD_PRELOAD": shim_path(),
                               "ASAN_OPTIONS": asan + (":" if asan else "")
                               + "verify_asan_link_order=0", **env})


class LocalError(unittest.TestCase):
    def attempt(self, port, env, *extra):
        rc, out, err = probe(port, env, "--json", *extra)
        doc = json.loads(out)
        self.assertEqual(len(doc["attempts"]), 1, out)
        return rc, doc, doc["attempts"][0]

    def assert_local(self, doc, a, phase):
        self.assertEqual(a["outcome"], "local_error", a)
        self.assertEqual(a["failed_phase"], phase, a)
        self.assertEqual(a["errno"], ENOMEM, a)
        self.assertFalse(a["timed_out"], a)
        self.assertIn("epoll_ctl", a["message"], a)
        self.assertEqual(doc["summary"]["outcomes"], {"local_error": 1}, doc["summary"])
        codes = [f["code"] for f in doc["findings"]]
        self.assertIn("CD1003", codes, doc["findings"])
        self.assertNotIn("CD3003", codes, doc["findings"])  # not a half-open server

    def test_waiting_for_the_greeting(self):
        # The server is silent: before the fix the refused change left the
        # interest at EPOLLOUT and the attempt ended as greeting_timeout.
        with MysqlPeer([]) as peer:
            rc, doc, a = self.attempt(peer.port, {"CD_EPOLL_FAIL_FROM": "2"})
        self.assert_local(doc, a, "greeting")
        self.assertEqual(rc, 2, doc)

    def test_at_connect(self):
        with MysqlPeer([]) as peer:
            rc, doc, a = self.attempt(peer.port, {"CD_EPOLL_FAIL_AT": "1"})
        self.assert_local(doc, a, "connect")

    def test_logged_in_and_idle(self):
        script = [send(greeting()), read(), send(ok(seq=2))]
        with MysqlPeer(script) as peer:
            rc, doc, a = self.attempt(peer.port, {"CD_EPOLL_FAIL_AT": "3"}, "--idle", "1")
        self.assert_local(doc, a, "idle")
        self.assertIsNotNone(a["auth_s"], a)  # the login itself went through

    def test_without_failure_the_same_peer_is_ok(self):
        # The shim alone changes nothing: the control for the cases above.
        script = [send(greeting()), read(), send(ok(seq=2))]
        with MysqlPeer(script) as peer:
            rc, doc, a = self.attempt(peer.port, {}, "--stop-after", "greeting")
        self.assertEqual(a["outcome"], "ok", a)

    def test_nagios_says_unknown(self):
        with MysqlPeer([]) as peer:
            rc, out, err = probe(peer.port, {"CD_EPOLL_FAIL_FROM": "2"}, "--nagios")
        self.assertEqual(rc, 3, out + err)
        self.assertTrue(out.startswith("CONNDOCTOR UNKNOWN - CD1003 "), out)
        self.assertIn("'local_error'=1;", out)


if __name__ == "__main__":
    harness.need_conndoctor()
    harness.run_tests(globals())
