"""Hostile MySQL peers (issue 15): a server controls the version in its
greeting, its ERR messages, the auth plugin it switches to; none of those
bytes may reach a terminal raw. probe's and diagnose's text reports show
them escaped (\\x1b, \\r, \\n), and JSON keeps its own escaping."""
import json
import re
import unittest

import harness
from harness import run_conndoctor
from harness.mysqlpeer import MysqlPeer, auth_switch, err, greeting, ok, read, send

# Clears the screen, rings the bell, then forges a line of its own.
EVIL_VERSION = b"8.0.36\x1b[2J\x07\r\nno problem found"
EVIL_MESSAGE = b"\x1b]0;title\x07\r\nno problem found"
EVIL_PLUGIN = b"evil\x1b]0;t\x07\r\nno problem found"
ESCAPED_MESSAGE = r"\x1b]0;title\x07\r\nno problem found"
ESCAPED_VERSION = r"8.0.36\x1b[2J\x07\r\nno problem found"
ESCAPED_PLUGIN = r"evil\x1b]0;t\x07\r\nno problem found"

# Control bytes other than the newline that ends a report line.
RAW_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f]")

LOGIN_ERR = [send(greeting(version=EVIL_VERSION)), read(),
             send(err(1045, b"28000", EVIL_MESSAGE, seq=2))]
QUERY_ERR = [send(greeting(version=EVIL_VERSION)), read(), send(ok(seq=2)),
             read(), send(err(1064, b"42000", EVIL_MESSAGE, seq=1))]
SWITCH = [send(greeting(version=EVIL_VERSION)), read(),
          send(auth_switch(EVIL_PLUGIN, seq=2)), read()]


def common(port):
    return ["--no-defaults", "-h", "127.0.0.1", "-P", str(port), "--protocol=tcp",
            "-u", "app", "--password=pw", "--connect-timeout", "3"]


class TextIsEscaped(unittest.TestCase):
    def assert_clean(self, out, *escaped):
        bad = sorted({hex(ord(ch)) for ch in RAW_CONTROL.findall(out)})
        self.assertEqual(bad, [], f"raw control bytes in the text report:\n{out}")
        for e in escaped:
            self.assertIn(e, out)

    def probe_text(self, script, *extra):
        with MysqlPeer(script) as peer:
            rc, out, errout = run_conndoctor(["probe", *common(peer.port), "-n", "1", "-v",
                                              *extra], timeout=60)
        self.assertGreaterEqual(peer.connections, 1, errout)
        return rc, out

    def test_probe_login_err(self):
        rc, out = self.probe_text(LOGIN_ERR)
        self.assert_clean(out, ESCAPED_MESSAGE, ESCAPED_VERSION)
        self.assertNotEqual(rc, 0)

    def test_probe_query_err(self):
        rc, out = self.probe_text(QUERY_ERR)
        self.assert_clean(out, ESCAPED_MESSAGE)

    def test_probe_auth_switch_plugin(self):
        rc, out = self.probe_text(SWITCH)
        self.assert_clean(out, ESCAPED_PLUGIN)

    def test_probe_json_keeps_its_escaping(self):
        with MysqlPeer(LOGIN_ERR) as peer:
            rc, out, _ = run_conndoctor(["probe", "--json", *common(peer.port), "-n", "1"],
                                        timeout=60)
        self.assertIsNone(RAW_CONTROL.search(out))
        doc = json.loads(out)
        self.assertEqual(doc["attempts"][0]["message"], EVIL_MESSAGE.decode())

    def test_diagnose_login_err(self):
        # The probe and the server audit both meet the ERR; the audit line
        # and the findings quote it.
        with MysqlPeer(LOGIN_ERR) as peer:
            rc, out, errout = run_conndoctor(["diagnose", *common(peer.port), "-n", "2",
                                              "--no-dns"], timeout=120)
        self.assertGreaterEqual(peer.connections, 3, errout)
        self.assert_clean(out, ESCAPED_MESSAGE, ESCAPED_VERSION)
        # The forged line is never a line of its own.
        self.assertNotIn("\nno problem found\n== the probe", out)

    def test_diagnose_query_err(self):
        with MysqlPeer(QUERY_ERR) as peer:
            rc, out, errout = run_conndoctor(["diagnose", *common(peer.port), "-n", "2",
                                              "--no-dns"], timeout=120)
        self.assert_clean(out, ESCAPED_MESSAGE)


if __name__ == "__main__":
    harness.need_conndoctor()
    harness.run_tests(globals())
