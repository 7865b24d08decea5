"""Hostile MySQL peers (issue 15): a server controls the version in its
greeting, its ERR messages, the auth plugin it switches to; none of those
bytes may reach a terminal raw. probe's and diagnose's text reports show
them escaped (\\x1b, \\r, \\n), and JSON keeps its own escaping.
A slow greeting is a slow MySQL server, not "not MySQL" (defect 5); only
the server's ERR rejects a login (defect 6); a huge reply does not pin the
probe's memory (defect 10)."""
import json
import os
import re
import struct
import subprocess
import threading
import time
import unittest

import harness
from harness import run_conndoctor
from harness.mysqlpeer import (MysqlPeer, auth_switch, close, drip, err, greeting, ok,
                               packet, read, read_packet, reset, result_header, send,
                               sleep)

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


def probe_json(port, *extra, timeout=60):
    rc, out, errout = run_conndoctor(["probe", "--json", *common(port), *extra],
                                     timeout=timeout)
    try:
        return rc, json.loads(out)
    except ValueError:
        raise AssertionError(f"not JSON (rc={rc}): {out[:300]!r} {errout!r}")


def codes(doc):
    return {f["code"]: f for f in doc["findings"]}


class SlowGreeting(unittest.TestCase):
    """Defect 5: a greeting dripped slowly is a slow MySQL server."""

    def test_partial_greeting_is_a_slow_server(self):
        # About 4 bytes arrive within the 2 s greeting timeout.
        with MysqlPeer([drip(greeting(), 0.6)]) as peer:
            rc, doc = probe_json(peer.port, "-n", "1", "--connect-timeout", "2")
        a = doc["attempts"][0]
        self.assertEqual(a["outcome"], "greeting_timeout", a)
        self.assertGreaterEqual(a["greeting_bytes"], 2)
        self.assertLessEqual(a["greeting_bytes"], 5)
        self.assertIn("a slow server", a["message"])
        found = codes(doc)
        self.assertNotIn("CD8001", found)
        f = found["CD3003"]
        self.assertIn(f"{a['greeting_bytes']} bytes received", f["evidence"])
        self.assertIn("a slow server", f["evidence"])
        self.assertEqual(f["data"]["partial_greeting"], 1)
        self.assertEqual(f["data"]["greeting_bytes"], a["greeting_bytes"])
        # No second look at a server that began to greet.
        self.assertEqual(peer.connections, 1)

    def test_second_look_listens_before_speaking(self):
        # The probe's attempt hears nothing in its 1 s; the second look's
        # connection meets a greeting dripped from its start.
        def script(peer, c):
            with peer._lock:
                n = peer.connections
            if n == 1:
                while c.recv(4096):
                    pass
                return
            for b in greeting():
                c.sendall(bytes([b]))
                time.sleep(0.3)

        with MysqlPeer(script) as peer:
            rc, doc = probe_json(peer.port, "-n", "1", "--connect-timeout", "1")
        a = doc["attempts"][0]
        self.assertEqual(peer.connections, 2)
        self.assertEqual(a["outcome"], "greeting_timeout", a)
        self.assertEqual(a["greeting_bytes"], 0)
        self.assertNotIn("CD8001", codes(doc))
        self.assertIn("0 bytes received", codes(doc)["CD3003"]["evidence"])

    def test_verbose_shows_greeting_bytes(self):
        with MysqlPeer([drip(greeting(), 0.6)]) as peer:
            rc, out, _ = run_conndoctor(["probe", *common(peer.port), "-n", "1", "-v",
                                         "--connect-timeout", "2", "--no-color"], timeout=60)
        head = [l for l in out.splitlines() if l.startswith("seq ")]
        self.assertTrue(head and "greeting_bytes" in head[0], out)


class LoginNeverJudged(unittest.TestCase):
    """Defect 6: only the server's ERR is a rejected login (CD6004)."""

    def login(self, script):
        with MysqlPeer(script) as peer:
            rc, doc = probe_json(peer.port, "-n", "1")
        found = codes(doc)
        self.assertNotIn("CD6004", found)
        return doc["attempts"][0], found

    def test_close_after_greeting(self):
        # The peer reads the login first: a close with the login unread
        # would be a reset (the kernel's RST), which the next test covers.
        a, found = self.login([send(greeting()), read(), close()])
        self.assertEqual(a["outcome"], "closed_during_login", a)
        self.assertIn("closed the connection during login", a["message"])
        self.assertIn("reading authorization packet", a["client_error"])
        self.assertIn("CD6011", found)

    def test_reset_mid_login(self):
        a, found = self.login([send(greeting()), read(), reset()])
        self.assertEqual(a["outcome"], "closed_during_login", a)
        self.assertEqual(a["errno"], 104)
        self.assertIn("reset the connection during login", a["message"])
        self.assertIn("CD6011", found)

    def test_unsupported_plugin(self):
        a, found = self.login([send(greeting()), read(),
                               send(auth_switch(b"authentication_kerberos_client"))])
        self.assertEqual(a["outcome"], "auth_plugin_unsupported", a)
        self.assertEqual(a["mysql_code"], 2059)
        self.assertTrue(a["client_error"].startswith("ERROR 2059 (HY000): "), a)
        self.assertIn("authentication_kerberos_client", a["client_error"])
        self.assertEqual(found["CD6012"]["data"]["mysql_code"], 2059)

    def test_malformed_err(self):
        a, found = self.login([send(greeting()), read(), send(packet(b"\xff\x15", seq=2))])
        self.assertEqual(a["outcome"], "protocol_error", a)
        self.assertEqual(a["message"], "malformed ERR packet")
        self.assertIn("CD8003", found)
        self.assertNotIn("CD8001", found)

    def test_access_denied_is_a_rejection(self):
        with MysqlPeer([send(greeting()), read(),
                        send(err(1698, b"28000", b"Access denied for user 'app'@'h'"))]) as peer:
            rc, doc = probe_json(peer.port, "-n", "1")
        self.assertEqual(doc["attempts"][0]["outcome"], "auth_failed")
        self.assertEqual(codes(doc)["CD6004"]["data"]["mysql_code"], 1698)


FRAME = 0xFFFFFF  # the longest frame; a longer packet continues in the next


def huge_reply(peer, c):
    """Logs the client in, then answers its query with a 64 MiB row."""
    c.sendall(greeting())
    if not read_packet(c):
        return
    c.sendall(ok(seq=2))
    if not read_packet(c):
        return
    c.sendall(result_header(seq=1))
    chunk = bytes(1 << 20)
    try:
        for k in range(4):  # four full frames: one 64 MiB row packet
            c.sendall(struct.pack("<I", FRAME)[:3] + bytes([4 + k]))
            for _ in range(16):
                c.sendall(chunk)
        c.sendall(packet(b"", seq=8))  # the packet's last, empty frame
        while c.recv(4096):
            pass
    except OSError:
        with peer._lock:
            peer.events.append("client stopped reading")


class HugeReply(unittest.TestCase):
    """Defect 10: a reply packet over 1 MiB ends the attempt; the probe's
    memory stays bounded at -c 4 (it held 64 MiB per connection)."""

    def test_peak_rss_is_bounded(self):
        with MysqlPeer(huge_reply) as peer:
            p = subprocess.Popen([harness.conndoctor_path(), "probe", "--json",
                                  *common(peer.port), "-n", "4", "-c", "4",
                                  "--read-timeout", "20"],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            timer = threading.Timer(90, p.kill)
            timer.start()
            out = p.stdout.read()
            p.stderr.read()
            _, status, usage = os.wait4(p.pid, 0)
            timer.cancel()
            p.returncode = os.waitstatus_to_exitcode(status)
        # ru_maxrss is in KiB. Buffering the rows (up to 64 MiB a connection)
        # took 80 MiB here; capped, the probe stays under 20 MiB.
        self.assertLess(usage.ru_maxrss, 40 * 1024, usage)
        doc = json.loads(out)
        outcomes = [a["outcome"] for a in doc["attempts"]]
        self.assertEqual(outcomes, ["protocol_error"] * 4, doc["attempts"])
        for a in doc["attempts"]:
            self.assertIn("a reply packet over 1024 KiB", a["message"])
            self.assertEqual(a["failed_phase"], "query")
        self.assertIn("CD8003", codes(doc))


if __name__ == "__main__":
    harness.need_conndoctor()
    harness.run_tests(globals())
