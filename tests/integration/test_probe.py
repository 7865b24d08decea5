"""conndoctor probe against a real MariaDB started by the harness: phases,
outcome classes, findings, exit status, bad input, and password hygiene."""
import http.server
import json
import os
import pty
import re
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import unittest

import harness
from harness import run_conndoctor
from harness.mariadb import MariaDB

PHASES_ORDER = ["connect_s", "greeting_s", "auth_s", "query_s", "close_s"]


def probe_json(*args, timeout=120):
    rc, out, err = run_conndoctor(["probe", "--json", *args], timeout=timeout)
    try:
        doc = json.loads(out)
    except ValueError:
        raise AssertionError(f"not JSON (rc={rc}): {out[:400]!r} stderr={err!r}")
    return rc, doc, err


def finding(doc, code):
    for f in doc["findings"]:
        if f["code"] == code:
            return f
    raise AssertionError(f"no {code} in {[f['code'] for f in doc['findings']]}")


class Listener:
    """A TCP listener on loopback that sends `banner` to each client, or
    nothing, and keeps connections open until closed."""

    def __init__(self, banner=b""):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.banner = banner
        self.conns = []
        self.done = False
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.thread.start()

    def _loop(self):
        self.sock.settimeout(0.2)
        deadline = time.time() + 120
        while not self.done and time.time() < deadline:
            try:
                c, _ = self.sock.accept()
            except OSError:
                continue
            self.conns.append(c)
            if self.banner:
                c.sendall(self.banner)

    def close(self):
        self.done = True
        self.thread.join(2)
        for c in self.conns:
            c.close()
        self.sock.close()


class QuietHTTP(http.server.SimpleHTTPRequestHandler):
    requests = 0  # requests that reached a handler, over all instances

    def log_message(self, *args):
        pass

    def do_HEAD(self):
        QuietHTTP.requests += 1
        super().do_HEAD()


def probe_http(*args):
    """Two attempts at an HTTP server on loopback: (rc, doc, the requests
    that reached it)."""
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), QuietHTTP)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    before = QuietHTTP.requests
    try:
        rc, doc, _ = probe_json("--no-defaults", "-h", "127.0.0.1", "-P",
                                str(srv.server_address[1]), "-n", "2",
                                "--connect-timeout", "1", *args)
    finally:
        srv.shutdown()
        srv.server_close()
    return rc, doc, QuietHTTP.requests - before


class ProbeHealthy(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.db = MariaDB(variables={"skip_name_resolve": 1})
        cls.db.start()

    @classmethod
    def tearDownClass(cls):
        cls.db.stop()

    def cnf(self, **kw):
        return "--defaults-file=" + self.db.client_cnf(**kw)

    def assert_phases_ordered(self, a):
        self.assertEqual(a["outcome"], "ok", a)
        for name in PHASES_ORDER:
            self.assertIsNotNone(a[name], f"{name} missing in {a}")
            self.assertGreaterEqual(a[name], 0)
        # Phases are consecutive: their sum is the attempt's total time.
        parts = sum(a[n] for n in PHASES_ORDER) + (a["resolve_s"] or 0)
        self.assertAlmostEqual(parts, a["total_s"], delta=0.002 + 0.01 * a["total_s"])
        self.assertGreater(a["conn_id"], 0)

    def test_tcp_all_phases(self):
        rc, doc, _ = probe_json(self.cnf(), "-h", "127.0.0.1", "-n", "5")
        self.assertEqual(rc, 0)
        self.assertEqual(doc["summary"]["attempts"], 5)
        self.assertEqual(doc["summary"]["ok"], 5)
        self.assertEqual(doc["findings"], [])
        self.assertTrue(doc["server"]["mariadb"])
        ids = set()
        for a in doc["attempts"]:
            self.assert_phases_ordered(a)
            self.assertEqual(a["transport"], "tcp")
            self.assertIsNotNone(a["rtt_us"])
            self.assertGreater(a["local_port"], 0)
            self.assertIsNone(a["resolve_s"])  # numeric address: nothing to resolve
            ids.add(a["conn_id"])
        self.assertEqual(len(ids), 5)  # five distinct server connections

    def test_socket_all_phases(self):
        rc, doc, _ = probe_json(self.cnf(host="localhost"), "-n", "3")
        self.assertEqual(rc, 0)
        for a in doc["attempts"]:
            self.assert_phases_ordered(a)
            self.assertEqual(a["transport"], "socket")
            self.assertIsNone(a["local_port"])

    def test_compare_and_connections_counted(self):
        before = self.db.status("Connections")
        rc, doc, _ = probe_json(self.cnf(), "--compare", "-n", "4", "-c", "3")
        after = self.db.status("Connections")
        self.assertEqual(rc, 0)
        kinds = [a["transport"] for a in doc["attempts"]]
        self.assertEqual(kinds.count("tcp"), 4)
        self.assertEqual(kinds.count("socket"), 4)
        # The server saw each attempt (plus our one status query).
        self.assertEqual(after - before, 8 + 1)

    def test_ping_and_query(self):
        rc, doc, _ = probe_json(self.cnf(), "-n", "2", "--ping")
        self.assertEqual(rc, 0)
        rc, doc, _ = probe_json(self.cnf(), "-n", "2", "--query",
                                "SELECT * FROM information_schema.COLLATIONS")
        self.assertEqual(rc, 0, doc["findings"])

    def test_query_error(self):
        rc, doc, _ = probe_json(self.cnf(), "-n", "2", "--query", "SELEC 1")
        self.assertEqual(doc["summary"]["outcomes"], {"query_error": 2})
        self.assertEqual(doc["attempts"][0]["mysql_code"], 1064)
        finding(doc, "CD6009")
        self.assertEqual(rc, 1)

    def test_rate_and_duration(self):
        rc, doc, _ = probe_json(self.cnf(), "--rate", "20", "--duration", "1")
        self.assertEqual(rc, 0)
        n = doc["summary"]["attempts"]
        self.assertIn(n, range(18, 22))
        starts = sorted(a["start_s"] for a in doc["attempts"])
        gaps = [b - a for a, b in zip(starts, starts[1:])]
        self.assertAlmostEqual(sum(gaps) / len(gaps), 0.05, delta=0.01)

    def test_ipv6_address(self):
        try:
            with socket.socket(socket.AF_INET6) as s6:
                s6.bind(("::1", 0))
                port = s6.getsockname()[1]
        except OSError:
            self.skipTest("no IPv6 loopback here")
        rc, doc, _ = probe_json("--no-defaults", "-h", "::1", "-P", str(port), "-n", "1")
        self.assertEqual(doc["targets"][0]["label"], f"[::1]:{port}")
        self.assertEqual(doc["attempts"][0]["outcome"], "refused")
        self.assertEqual(rc, 69)

    def test_wrong_password(self):
        rc, doc, _ = probe_json(self.cnf(password="not-the-password"), "-n", "2")
        self.assertEqual(rc, 2)
        self.assertEqual(doc["summary"]["outcomes"], {"auth_failed": 2})
        a = doc["attempts"][0]
        self.assertEqual(a["mysql_code"], 1045)
        self.assertEqual(a["sqlstate"], "28000")
        self.assertIn("Access denied", a["client_error"])
        self.assertTrue(a["client_error"].startswith("ERROR 1045 (28000)"))
        f = finding(doc, "CD6004")
        self.assertEqual(f["severity"], "critical")
        self.assertEqual(f["data"]["mysql_code"], 1045)

    def test_closed_port_refused(self):
        port = harness.free_port()
        rc, doc, _ = probe_json(self.cnf(port=port), "-h", "127.0.0.1", "-n", "3")
        self.assertEqual(rc, 69)
        self.assertEqual(doc["summary"]["outcomes"], {"refused": 3})
        a = doc["attempts"][0]
        self.assertEqual(a["errno"], 111)
        self.assertEqual(a["errno_name"], "ECONNREFUSED")
        self.assertIn("(111)", a["client_error"])
        self.assertTrue(a["client_error"].startswith("ERROR 2002 (HY000)")
                        or a["client_error"].startswith("ERROR 2003 (HY000)"))
        self.assertLess(a["connect_s"], 1.0)
        f = finding(doc, "CD3002")
        self.assertEqual(f["data"]["failures"], 3)

    def test_text_report(self):
        rc, out, err = run_conndoctor(["probe", self.cnf(), "-n", "3", "-v", "--no-color"])
        self.assertEqual(rc, 0, err)
        self.assertIn("no problem found", out)
        self.assertIn("connect", out)
        self.assertNotIn("\033[", out)
        rows = [l for l in out.splitlines() if re.match(r"^\d+\s+\S+\s+ok\s", l)]
        self.assertEqual(len(rows), 3, out)  # -v: one line per attempt

    def test_ramp_healthy(self):
        rc, doc, _ = probe_json(self.cnf(), "--ramp", "1:5:2", "--repeat", "2", "-n", "3")
        self.assertEqual(rc, 0, doc["findings"])
        self.assertEqual(len(doc["ramp"]), 2)
        self.assertEqual([lv["concurrency"] for lv in doc["ramp"][0]["levels"]], [1, 3, 5])
        self.assertEqual(doc["summary"]["attempts"], 2 * 3 * 3)

    def test_stop_after_warns(self):
        rc, out, err = run_conndoctor(["probe", self.cnf(), "-n", "2", "--stop-after",
                                       "greeting", "--json"])
        self.assertEqual(rc, 0)
        self.assertIn("max_connect_errors", err)
        doc = json.loads(out)
        self.assertIsNotNone(doc["attempts"][0]["greeting_s"])
        self.assertIsNone(doc["attempts"][0]["auth_s"])
        self.db.sql("FLUSH HOSTS")

    def test_password_prompt(self):
        argv = [harness.conndoctor_path(), "probe", "--no-defaults", "-h", "127.0.0.1",
                "-P", str(self.db.port), "-u", "conndoctor", "-p", "-n", "1", "--json"]
        pid, fd = pty.fork()
        if pid == 0:  # child: conndoctor on a terminal
            os.execv(argv[0], argv)
        out, deadline = b"", time.time() + 20
        try:
            while b"Enter password: " not in out and time.time() < deadline:
                out += os.read(fd, 4096)
            os.write(fd, self.db.password.encode() + b"\n")
            out += harness.pty_read(fd, deadline - time.time())
        finally:
            _, status = os.waitpid(pid, 0)
            os.close(fd)
        self.assertEqual(os.waitstatus_to_exitcode(status), 0, out)
        self.assertIn(b'"ok":1', out)
        self.assertNotIn(self.db.password.encode(), out)  # no echo

    def test_password_never_in_cmdline(self):
        secret = self.db.password
        argv = [harness.conndoctor_path(), "probe", "--no-defaults", "-h", "127.0.0.1",
                "-P", str(self.db.port), "-u", "conndoctor", f"-p{secret}", "--idle", "1.5",
                "-n", "1", "--json"]
        p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            time.sleep(0.5)
            with open(f"/proc/{p.pid}/cmdline", "rb") as f:
                cmdline = f.read()
            out, err = p.communicate(timeout=30)
        finally:
            harness.end_process(p)
        self.assertNotIn(secret.encode(), cmdline)
        self.assertEqual(p.returncode, 0, err)
        self.assertNotIn(secret, out)
        self.assertNotIn(secret, err)


class ProbeServerLimits(unittest.TestCase):
    def test_too_many_connections(self):
        # MariaDB's smallest max_connections is 10.
        with MariaDB(variables={"max_connections": 10, "skip_name_resolve": 1}) as db:
            # Fourteen sessions held idle for 2 s: ten fit, four are refused.
            rc, doc, _ = probe_json("--defaults-file=" + db.client_cnf(), "-c", "14", "-n",
                                    "14", "--idle", "2")
        outcomes = doc["summary"]["outcomes"]
        # Ten slots, give or take the server's own bookkeeping session.
        ok = outcomes.get("ok", 0)
        self.assertIn(ok, range(8, 12), outcomes)
        self.assertEqual(outcomes.get("server_refused"), 14 - ok, outcomes)
        refused = [a for a in doc["attempts"] if a["outcome"] == "server_refused"]
        self.assertTrue(all(a["mysql_code"] == 1040 for a in refused))
        self.assertIn("Too many connections", refused[0]["client_error"])
        f = finding(doc, "CD6001")
        self.assertEqual(f["data"]["mysql_code"], 1040)
        self.assertEqual(f["data"]["failures"], 14 - ok)
        # A minority refused: a warning, not critical.
        self.assertEqual(f["severity"], "warning")
        self.assertEqual(rc, 1)

    def test_idle_killed_by_wait_timeout(self):
        with MariaDB(variables={"wait_timeout": 1, "skip_name_resolve": 1}) as db:
            rc, doc, _ = probe_json("--defaults-file=" + db.client_cnf(), "-n", "2",
                                    "--idle", "3")
        self.assertEqual(doc["summary"]["outcomes"], {"gone_away": 2})
        a = doc["attempts"][0]
        self.assertEqual(a["failed_phase"], "query")
        # The server's FIN came after wait_timeout (1 s; it checks every
        # second or so), well before our 3 s idle ended.
        self.assertGreater(a["idle_cut_s"], 0.8)
        self.assertLess(a["idle_cut_s"], 2.5)
        f = finding(doc, "CD6005")
        self.assertEqual(f["data"]["idle_s"], 3)
        for cut in f["data"]["closed_after_idle_s"]:
            self.assertAlmostEqual(cut, 1.0, delta=1.2)
        self.assertEqual(rc, 2)


class ProbeTLS(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="cd-tls-")
        cls.cert = os.path.join(cls.tmp, "cert.pem")
        cls.key = os.path.join(cls.tmp, "key.pem")
        cls.other_ca = os.path.join(cls.tmp, "other-ca.pem")
        for key, cert in ((cls.key, cls.cert), (os.path.join(cls.tmp, "other.key"),
                                                cls.other_ca)):
            subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                            "-keyout", key, "-out", cert, "-days", "2",
                            "-subj", "/CN=127.0.0.1"], check=True, capture_output=True)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def test_tls_required(self):
        with MariaDB(variables={"ssl_cert": self.cert, "ssl_key": self.key,
                                "skip_name_resolve": 1}) as db:
            rc, doc, _ = probe_json("--defaults-file=" + db.client_cnf(), "-n", "3",
                                    "--ssl-mode=REQUIRED")
            cipher = db.sql("SHOW GLOBAL STATUS LIKE 'Ssl_accepts'")
        self.assertEqual(rc, 0, doc["findings"])
        for a in doc["attempts"]:
            self.assertEqual(a["outcome"], "ok")
            self.assertTrue(a["tls"])
            self.assertGreater(a["tls_s"], 0)
        self.assertGreaterEqual(int(cipher[0][1]), 3)

    def test_verify_ca_rejects_unknown_issuer(self):
        with MariaDB(variables={"ssl_cert": self.cert, "ssl_key": self.key,
                                "skip_name_resolve": 1}) as db:
            rc, doc, _ = probe_json("--defaults-file=" + db.client_cnf(), "-n", "1",
                                    "--ssl-mode=VERIFY_CA", "--ssl-ca", self.other_ca)
        self.assertEqual(doc["summary"]["outcomes"], {"tls_failed": 1})
        self.assertIn("certificate", doc["attempts"][0]["message"])
        finding(doc, "CD8002")

    def test_ca_file_without_certificates(self):
        rc, out, err = run_conndoctor(["probe", "--no-defaults", "-h", "127.0.0.1",
                                       "--ssl-mode=VERIFY_CA", "--ssl-ca", "/dev/null"])
        self.assertEqual(rc, 64)
        self.assertIn("cannot load CA file /dev/null", err)

    def test_tls_required_but_not_offered(self):
        with MariaDB(variables={"skip_name_resolve": 1}) as db:
            rc, doc, _ = probe_json("--defaults-file=" + db.client_cnf(), "-n", "1",
                                    "--ssl-mode=REQUIRED")
        self.assertEqual(doc["summary"]["outcomes"], {"tls_failed": 1})
        self.assertIn("does not support", doc["attempts"][0]["message"])
        self.assertEqual(rc, 2)


class ProbeBadInput(unittest.TestCase):
    def test_unknown_flag(self):
        rc, out, err = run_conndoctor(["probe", "--no-defaults", "--bogus"])
        self.assertEqual(rc, 64)
        self.assertIn("unknown option", err)
        self.assertEqual(len(err.strip().splitlines()), 1)

    def test_bad_values(self):
        for args in (["-n", "0"], ["-c", "abc"], ["--ramp", "5:1:1"], ["-P", "70000"],
                     ["--timeout", "nosuch=3"], ["--ssl-mode", "sometimes"]):
            rc, out, err = run_conndoctor(["probe", "--no-defaults", *args])
            self.assertEqual(rc, 64, args)
            self.assertTrue(err.startswith("conndoctor probe: "), err)

    def test_malformed_option_file(self):
        path = os.path.join(os.environ.get("TMPDIR", "/tmp"), f"cd-bad-{os.getpid()}.cnf")
        with open(path, "w") as f:
            f.write("[client]\nuser=x\n[conndoctor\nport=1\n")
        try:
            rc, out, err = run_conndoctor(["probe", f"--defaults-file={path}"])
        finally:
            os.unlink(path)
        self.assertEqual(rc, 64)
        self.assertIn(f"{path}:3: malformed group header", err)

    def test_socket_path_not_a_socket(self):
        rc, out, err = run_conndoctor(["probe", "--no-defaults", "-S", "/etc/hostname",
                                       "--protocol=socket"])
        self.assertEqual(rc, 64)
        self.assertIn("/etc/hostname is not a socket (a regular file)", err)

    def test_missing_socket_is_refused(self):
        rc, doc, _ = probe_json("--no-defaults", "-S", "/nonexistent/mysqld.sock", "-n", "1")
        self.assertEqual(rc, 69)
        self.assertEqual(doc["attempts"][0]["outcome"], "refused")
        self.assertEqual(doc["attempts"][0]["errno"], 2)

    def test_unresolvable_name(self):
        rc, out, err = run_conndoctor(["probe", "--no-defaults", "-h",
                                       "no-such-host.invalid", "-n", "1"])
        self.assertEqual(rc, 69)
        self.assertIn("cannot resolve 'no-such-host.invalid'", err)

    def test_ssh_port_is_protocol_error(self):
        srv = Listener(b"SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n")
        try:
            rc, doc, _ = probe_json("--no-defaults", "-h", "127.0.0.1", "-P", str(srv.port),
                                    "-n", "2", "--connect-timeout", "3")
        finally:
            srv.close()
        self.assertEqual(doc["summary"]["outcomes"], {"protocol_error": 2})
        self.assertIn("SSH-2.0-OpenSSH_9.2p1", doc["attempts"][0]["message"])
        f = finding(doc, "CD8001")
        self.assertIn("SSH-2.0", f["summary"] + f["evidence"] + doc["attempts"][0]["message"])
        self.assertEqual(rc, 2)

    def test_http_port_is_protocol_error(self):
        rc, doc, requests = probe_http()
        self.assertEqual(doc["summary"]["outcomes"], {"protocol_error": 2})
        self.assertEqual(requests, 1)  # the second look's
        self.assertIn("HTTP/1.0 200", doc["attempts"][0]["message"])
        self.assertIn("HTTP/1.0 200", finding(doc, "CD8001")["evidence"])
        self.assertEqual([f["code"] for f in doc["findings"]], ["CD8001"])
        self.assertEqual(rc, 2)

    def test_no_second_look_leaves_http_port_silent(self):
        rc, doc, requests = probe_http("--no-second-look")
        self.assertEqual(requests, 0)
        self.assertEqual(doc["summary"]["outcomes"], {"greeting_timeout": 2})
        self.assertNotIn("CD8001", [f["code"] for f in doc["findings"]])
        self.assertEqual(finding(doc, "CD3003")["data"]["established"], 2)
        self.assertEqual(rc, 69)

    def test_silent_port_is_greeting_timeout(self):
        srv = Listener()
        try:
            rc, doc, _ = probe_json("--no-defaults", "-h", "127.0.0.1", "-P", str(srv.port),
                                    "-n", "1", "--connect-timeout", "1")
        finally:
            srv.close()
        a = doc["attempts"][0]
        self.assertEqual(a["outcome"], "greeting_timeout")
        self.assertAlmostEqual(a["greeting_s"], 1.0, delta=0.3)
        self.assertIn("reading initial communication packet", a["client_error"])
        self.assertEqual(finding(doc, "CD3003")["data"]["established"], 1)
        self.assertEqual(rc, 69)

    def test_explain(self):
        rc, out, err = run_conndoctor(["explain", "CD3001"])
        self.assertEqual(rc, 0)
        self.assertTrue(out.startswith("# CD3001"))
        rc, out, err = run_conndoctor(["explain", "CD9999"])
        self.assertEqual(rc, 64)
        rc, out, err = run_conndoctor(["explain"])
        self.assertEqual(rc, 0)
        self.assertIn("CD3003", out)


if __name__ == "__main__":
    harness.need_conndoctor()
    harness.run_tests(globals())
