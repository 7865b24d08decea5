"""conndoctor watch's loop against a real MariaDB and scripted peers: attempts
of many targets run at once on one epoll loop (HTTP answers and a healthy
target keeps being probed while another target's attempt hangs), SIGHUP
reloads keep the counters of unchanged targets and refuse a bad file with its
line, /probe?target= runs a fresh attempt with the config's credentials,
findings are exported, a target that greets with garbage does not stop the
others, and --web-config serves TLS with basic auth."""
import base64
import os
import shutil
import signal
import ssl
import subprocess
import tempfile
import time
import unittest
import urllib.error
import urllib.request

import harness
from harness import free_port
from harness.mariadb import MariaDB
from harness.mysqlpeer import MysqlPeer, err, greeting, ok, packet, read_packet, send, sleep

from test_watch import Watch, parse_metrics, scrape, series, value


def write(path, text, mode=0o600):
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, mode)


class WatchLoop(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.db = MariaDB(variables={"skip_name_resolve": 1})
        cls.db.start()
        cls.dir = tempfile.mkdtemp(prefix="cd_watchd_")
        cls.pwfile = os.path.join(cls.dir, "pw")
        write(cls.pwfile, cls.db.password + "\n")
        cls.badpw = os.path.join(cls.dir, "badpw")
        write(cls.badpw, "not-" + cls.db.password + "\n")

    @classmethod
    def tearDownClass(cls):
        cls.db.stop()
        shutil.rmtree(cls.dir, ignore_errors=True)

    def config(self, body, name="watch.cnf"):
        path = os.path.join(self.dir, name)
        write(path, f"""[watch]
user = {self.db.user}
password-file = {self.pwfile}
""" + body, 0o644)
        return path

    def start(self, cnf, *extra):
        w = Watch(["--config", cnf, *extra])
        self.addCleanup(w.stop)
        return w

    def test_attempts_run_concurrently(self):
        # silent accepts and never greets: its attempt hangs for 6 s (its
        # greeting timeout) while db is probed every 0.3 s and /metrics is
        # scraped; before the engine joined watch's loop, both waited.
        with MysqlPeer([sleep(60)]) as silent:
            cnf = self.config(f"""
[target db]
host = 127.0.0.1
port = {self.db.port}
interval = 300ms
timeout = 250ms

[target silent]
host = 127.0.0.1
port = {silent.port}
interval = 30s
timeout = 6s
""")
            w = self.start(cnf)
            deadline = time.monotonic() + 20
            while silent.connections == 0 and time.monotonic() < deadline:
                time.sleep(0.05)
            self.assertEqual(silent.connections, 1)
            t0 = time.monotonic()
            m0 = parse_metrics(scrape(w.port)[2])
            ok0 = value(m0, "conndoctor_attempts_total", target="db", outcome="ok")
            scrapes = []
            while time.monotonic() - t0 < 3:
                s0 = time.monotonic()
                m = parse_metrics(scrape(w.port)[2])
                scrapes.append(time.monotonic() - s0)
                time.sleep(0.1)
            # Still within silent's 6 s greeting wait: nothing counted for
            # it yet, db went on, and each scrape was answered meanwhile.
            self.assertEqual(sum(series(m, "conndoctor_attempts_total",
                                        target="silent").values()), 0)
            self.assertGreaterEqual(value(m, "conndoctor_attempts_total", target="db",
                                          outcome="ok") - ok0, 4)
            self.assertLess(max(scrapes), 2.0, scrapes)
            m = w.wait_for(lambda m: value(m, "conndoctor_attempts_total",
                                           target="silent",
                                           outcome="greeting_timeout") == 1, 15)
            hist = value(m, "conndoctor_phase_duration_seconds_sum", target="silent",
                         phase="greeting")
            self.assertAlmostEqual(hist, 6.0, delta=0.5)

    def test_sighup_keeps_counters_and_refuses_bad_config(self):
        base = f"""
[target db]
host = 127.0.0.1
port = {self.db.port}
interval = 300ms
timeout = 250ms

[target other]
host = 127.0.0.1
port = {self.db.port}
interval = 300ms
timeout = 250ms
"""
        cnf = self.config(base)
        w = self.start(cnf)
        m = w.wait_for(lambda m: value(m, "conndoctor_attempts_total", target="db",
                                       outcome="ok") >= 5
                       and value(m, "conndoctor_attempts_total", target="other",
                                 outcome="ok") >= 5)
        before_db = value(m, "conndoctor_attempts_total", target="db", outcome="ok")
        # db unchanged; other changed (a label); new added.
        self.config(base.replace("[target other]\n", "[target other]\nlabel.tier = b\n") + f"""
[target new]
socket = {self.db.socket}
interval = 300ms
timeout = 250ms
""")
        w.proc.send_signal(signal.SIGHUP)
        m = w.wait_for(lambda m: value(m, "conndoctor_config_reloads_total",
                                       result="applied") == 1
                       and value(m, "conndoctor_attempts_total", target="new",
                                 outcome="ok") >= 1)
        self.assertGreaterEqual(value(m, "conndoctor_attempts_total", target="db",
                                      outcome="ok"), before_db)
        # The changed target started again from 0 (just a few since).
        other = value(m, "conndoctor_attempts_total", target="other", outcome="ok",
                      tier="b")
        self.assertLess(other, before_db)
        self.assertIn("1 unchanged kept their counters", w.stderr())
        # --listen given on the command line still wins over the file's.
        self.assertNotIn("listen changed", w.stderr())
        # A bad file: refused with its line, the running config stays.
        self.config(base + "\n[target broken]\nhost = 127.0.0.1\nfrequency = 3\n")
        w.proc.send_signal(signal.SIGHUP)
        m = w.wait_for(lambda m: value(m, "conndoctor_config_reloads_total",
                                       result="refused") == 1)
        self.assertEqual(value(m, "conndoctor_config_last_reload_successful"), 0)
        err = w.stderr()
        self.assertIn("reload refused, the running config stays: ", err)
        self.assertIn(f"{cnf}:{base.count(chr(10)) + 7}: unknown key 'frequency'", err)
        n = value(m, "conndoctor_attempts_total", target="new", outcome="ok")
        m = w.wait_for(lambda m: value(m, "conndoctor_attempts_total", target="new",
                                       outcome="ok") > n)
        self.assertEqual(series(m, "conndoctor_attempts_total", target="broken"), {})
        self.assertEqual(w.stop(), 0)
        self.assertIn("conndoctor watch: stopped", w.stderr())

    def test_probe_endpoint(self):
        cnf = self.config(f"""
[target db]
host = 127.0.0.1
port = {self.db.port}
socket = {self.db.socket}
interval = 20m
timeout = 5s

[target wrong]
host = 127.0.0.1
port = {self.db.port}
password-file = {self.badpw}
interval = 20m
timeout = 5s
""")
        w = self.start(cnf)
        w.wait_for(lambda m: True)
        status, ctype, text = scrape(w.port, "/probe?target=db")
        self.assertEqual(status, 200)
        self.assertEqual(ctype, "text/plain; version=0.0.4; charset=utf-8")
        m = parse_metrics(text)
        self.assertEqual(value(m, "conndoctor_probe_success", transport="tcp"), 1)
        self.assertEqual(value(m, "conndoctor_probe_success", transport="socket"), 1)
        self.assertEqual(value(m, "conndoctor_probe_outcome", transport="tcp",
                               outcome="ok"), 1)
        self.assertGreater(value(m, "conndoctor_probe_duration_seconds", transport="tcp"),
                           value(m, "conndoctor_probe_phase_duration_seconds",
                                 transport="tcp", phase="auth"))
        # module chooses the transport.
        m = parse_metrics(scrape(w.port, "/probe?target=db&module=socket")[2])
        self.assertEqual(series(m, "conndoctor_probe_success", transport="tcp"), {})
        self.assertEqual(value(m, "conndoctor_probe_success", transport="socket"), 1)
        # Credentials come from the config only: a password in the URL changes
        # nothing.
        m = parse_metrics(scrape(w.port, "/probe?target=wrong&password="
                                 + self.db.password)[2])
        self.assertEqual(value(m, "conndoctor_probe_success"), 0)
        self.assertEqual(value(m, "conndoctor_probe_outcome", outcome="auth_failed",
                               code="1045"), 1)
        for path, code in (("/probe", 400), ("/probe?target=nope", 404),
                           ("/probe?target=db&module=http_2xx", 400),
                           ("/probe?target=wrong&module=socket", 400)):
            with self.assertRaises(urllib.error.HTTPError) as cm:
                scrape(w.port, path)
            self.assertEqual(cm.exception.code, code, path)
        # /probe's attempts are not the schedule's: /metrics counts at most
        # the one scheduled attempt (due within a tenth of 20 minutes).
        m = parse_metrics(scrape(w.port)[2])
        self.assertLessEqual(sum(series(m, "conndoctor_attempts_total",
                                        target="wrong").values()), 1)

    def test_probe_modules_of_the_config(self):
        cnf = self.config(f"""
[target db]
host = 127.0.0.1
port = {self.db.port}
socket = {self.db.socket}
interval = 20m
timeout = 5s

[module badquery]
transport = tcp
query = SELECT no_such_function()

[module plain_sock]
transport = socket
ssl_mode = DISABLED
timeout = 2s
query = SELECT 2
""")
        w = self.start(cnf)
        w.wait_for(lambda m: True)
        # A query that fails: the outcome series says so, with its code.
        status, _, text = scrape(w.port, "/probe?target=db&module=badquery")
        self.assertEqual(status, 200)
        m = parse_metrics(text)
        self.assertEqual(series(m, "conndoctor_probe_success", transport="socket"), {})
        self.assertEqual(value(m, "conndoctor_probe_success", transport="tcp"), 0)
        self.assertEqual(value(m, "conndoctor_probe_outcome", transport="tcp",
                               outcome="query_error", code="1305"), 1)
        self.assertGreater(value(m, "conndoctor_probe_phase_duration_seconds",
                                 transport="tcp", phase="query"), 0)
        # The target's own query still works for the built-in modules.
        m = parse_metrics(scrape(w.port, "/probe?target=db&module=tcp")[2])
        self.assertEqual(value(m, "conndoctor_probe_outcome", transport="tcp",
                               outcome="ok"), 1)
        m = parse_metrics(scrape(w.port, "/probe?target=db&module=plain_sock")[2])
        self.assertEqual(series(m, "conndoctor_probe_success", transport="tcp"), {})
        self.assertEqual(value(m, "conndoctor_probe_success", transport="socket"), 1)
        self.assertEqual(series(m, "conndoctor_probe_phase_duration_seconds",
                                transport="socket", phase="tls"), {})
        # An unknown module: 400 with the reason.
        with self.assertRaises(urllib.error.HTTPError) as cm:
            scrape(w.port, "/probe?target=db&module=http_2xx")
        self.assertEqual(cm.exception.code, 400)
        self.assertIn("unknown module 'http_2xx'", cm.exception.read().decode())
        # Modules are not rounds: /metrics counts no query_error.
        m = parse_metrics(scrape(w.port)[2])
        self.assertEqual(sum(series(m, "conndoctor_attempts_total", target="db",
                                    outcome="query_error").values()), 0)
        # Keys a module does not take are refused with file:line.
        bad = self.config("[module m1]\ntransport = tcp\nuser = root\n", "bad.cnf")
        r = subprocess.run([harness.conndoctor_path(), "watch", "--config", bad],
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 64)
        self.assertIn(f"{bad}:6: unknown key 'user' in [module m1]", r.stderr)
        bad = self.config("[module tcp]\nquery = SELECT 3\n", "bad.cnf")
        r = subprocess.run([harness.conndoctor_path(), "watch", "--config", bad],
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 64)
        self.assertIn(f"{bad}:4: [module tcp]: all, tcp and socket are built in",
                      r.stderr)

    def test_findings_and_error_code(self):
        cnf = self.config(f"""
[target wrong]
host = 127.0.0.1
port = {self.db.port}
password-file = {self.badpw}
interval = 300ms
timeout = 250ms
""")
        w = self.start(cnf)
        m = w.wait_for(lambda m: value(m, "conndoctor_attempts_total", target="wrong",
                                       outcome="auth_failed", code="1045") >= 2
                       and series(m, "conndoctor_finding", target="wrong"))
        # Every attempt failed with the server's 1045, and is counted so.
        coded = value(m, "conndoctor_attempts_total", target="wrong",
                      outcome="auth_failed", code="1045")
        self.assertEqual(sum(series(m, "conndoctor_attempts_total", target="wrong").values()),
                         coded)
        for labels, v in series(m, "conndoctor_finding", target="wrong").items():
            d = dict(labels)
            self.assertEqual(v, 1)
            self.assertRegex(d["code"], r"^CD[1-8]\d{3}$")
            self.assertIn(d["severity"], ("info", "warning", "critical"))
            rc, out, _ = harness.run_conndoctor(["explain", d["code"]])
            self.assertEqual(rc, 0, d["code"])

    def test_garbage_greeting_keeps_serving_others(self):
        with MysqlPeer([send(b"HTTP/1.1 400 Bad Request\r\n\r\n")], hold=False) as junk:
            cnf = self.config(f"""
[target db]
host = 127.0.0.1
port = {self.db.port}
interval = 300ms
timeout = 250ms

[target junk]
host = 127.0.0.1
port = {junk.port}
interval = 300ms
timeout = 250ms

[target nowhere]
host = no-such-host.invalid
interval = 300ms
timeout = 250ms
""")
            w = self.start(cnf)
            m = w.wait_for(lambda m: sum(v for ls, v in series(
                m, "conndoctor_attempts_total", target="junk").items()) >= 3
                and value(m, "conndoctor_attempts_total", target="db", outcome="ok") >= 3
                and value(m, "conndoctor_attempts_total", target="nowhere",
                          outcome="dns_fail") >= 2)
            junk_ok = value(m, "conndoctor_attempts_total", target="junk", outcome="ok")
            self.assertEqual(junk_ok, 0)
            self.assertEqual(value(m, "conndoctor_up", target="junk"), 0)
            self.assertEqual(value(m, "conndoctor_up", target="db"), 1)
            bad = (value(m, "conndoctor_attempts_total", target="junk",
                         outcome="protocol_error")
                   + value(m, "conndoctor_attempts_total", target="junk",
                           outcome="closed_before_greeting"))
            self.assertGreaterEqual(bad, 3)

    def test_socket_beside_local_tcp_target(self):
        # The server on db's port owns db.socket: probed beside it, with
        # transport="socket". Another process's socket is not.
        import socket as pysocket
        other = os.path.join(self.dir, "other.sock")
        foreign = pysocket.socket(pysocket.AF_UNIX)
        foreign.bind(other)
        foreign.listen(1)
        self.addCleanup(foreign.close)
        cnf = self.config(f"""
[target db]
host = 127.0.0.1
port = {self.db.port}
socket-beside = {self.db.socket}
interval = 300ms
timeout = 250ms

[target foreign]
host = 127.0.0.1
port = {self.db.port}
socket-beside = {other}
interval = 300ms
timeout = 250ms
""")
        w = self.start(cnf)
        deadline = time.monotonic() + 20
        while "[target db]: " not in w.stderr() and time.monotonic() < deadline:
            time.sleep(0.1)
        self.assertIn(f"[target db]: {self.db.socket} probed", w.stderr())
        m = w.wait_for(lambda m: value(m, "conndoctor_attempts_total", target="db",
                                       transport="socket", outcome="ok") >= 2
                       and value(m, "conndoctor_attempts_total", target="foreign",
                                 transport="tcp", outcome="ok") >= 2)
        self.assertGreaterEqual(value(m, "conndoctor_attempts_total", target="db",
                                      transport="tcp", outcome="ok"), 1)
        self.assertEqual(series(m, "conndoctor_attempts_total", target="foreign",
                                transport="socket"), {})
        err = w.stderr()
        self.assertIn(f"[target db]: {self.db.socket} probed: the listener on port "
                      f"{self.db.port} (pid ", err)
        self.assertIn(f"[target foreign]: {other} not probed: the listener on port "
                      f"{self.db.port} (pid ", err)
        self.assertIn("does not own it", err)

    def test_missing_password_file_refused(self):
        cnf = os.path.join(self.dir, "missing.cnf")
        write(cnf, "[target a]\nhost = 127.0.0.1\nuser = u\n"
              f"password-file = {self.dir}/nope\n")
        r = subprocess.run([harness.conndoctor_path(), "watch", "--config", cnf],
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 64)
        self.assertIn(f"{cnf}:4: ", r.stderr)
        self.assertIn(f"{self.dir}/nope", r.stderr)


def text_result(columns, rows, seq=1):
    """A text result set (no CLIENT_DEPRECATE_EOF) of VARCHAR columns."""
    def lenenc(b):
        return bytes([len(b)]) + b
    out = [packet(bytes([len(columns)]), seq)]
    for name in columns:
        seq += 1
        out.append(packet(b"".join(lenenc(x) for x in (b"def", b"", b"", b"", name, name))
                          + b"\x0c\x21\x00\x00\x01\x00\x00\xfd\x00\x00\x00\x00\x00",
                          seq))
    seq += 1
    out.append(packet(b"\xfe\x00\x00\x02\x00", seq))
    for r in rows:
        seq += 1
        out.append(packet(b"".join(b"\xfb" if c is None else lenenc(c) for c in r), seq))
    seq += 1
    out.append(packet(b"\xfe\x00\x00\x02\x00", seq))
    return b"".join(out)


class WatchReplicaMysql8(unittest.TestCase):
    """A MySQL 8.0.22+ replica, played by a scripted peer (no MySQL 8 server
    here): SHOW ALL SLAVES STATUS is a syntax error, SHOW REPLICA STATUS
    answers with Replica_* and Source_* columns."""

    COLS = [b"Replica_IO_State", b"Source_Host", b"Source_User", b"Source_Port",
            b"Replica_IO_Running", b"Replica_SQL_Running", b"Seconds_Behind_Source"]
    ROW = [b"Waiting for source to send event", b"192.0.2.7", b"repl", b"3306",
           b"Yes", b"Yes", b"17"]

    def script(self, peer, c):
        c.sendall(greeting(version=b"8.0.36"))
        if read_packet(c) is None:
            return
        c.sendall(ok(seq=2))
        pkt = read_packet(c)
        if pkt is None or pkt[1][:1] != b"\x03":
            return
        q = pkt[1][1:].decode()
        with peer._lock:
            peer.events.append(q)
        if q == "SHOW ALL SLAVES STATUS":
            c.sendall(err(1064, b"42000", b"You have an error in your SQL syntax", seq=1))
        elif q == "SHOW REPLICA STATUS":
            c.sendall(text_result(self.COLS, [self.ROW]))
        else:
            c.sendall(text_result([b"1"], [[b"1"]]))
        read_packet(c)  # COM_QUIT

    def test_replica_status_statement_follows_the_server(self):
        d = tempfile.mkdtemp(prefix="cd_watchmy8_")
        self.addCleanup(shutil.rmtree, d, True)
        with MysqlPeer(self.script) as peer:
            cnf = os.path.join(d, "w.cnf")
            write(cnf, f"""[target my8]
host = 127.0.0.1
port = {peer.port}
user = monitor
password = x
interval = 500ms
timeout = 400ms
replica = on
socket-beside = off
""")
            w = Watch(["--config", cnf])
            self.addCleanup(w.stop)
            m = w.wait_for(lambda m: value(m, "conndoctor_replica_status_success",
                                           target="my8") == 1)
            self.assertEqual(value(m, "conndoctor_replica_configured", target="my8"), 1)
            self.assertEqual(value(m, "conndoctor_replica_io_running", target="my8"), 1)
            self.assertEqual(value(m, "conndoctor_replica_sql_running", target="my8"), 1)
            self.assertEqual(value(m, "conndoctor_replica_lag_seconds", target="my8"), 17)
            self.assertEqual(value(m, "conndoctor_replica_primary_info", target="my8",
                                   primary="192.0.2.7:3306"), 1)
            # No heartbeat columns in MySQL's status: no series, no CD7002.
            self.assertEqual(series(m, "conndoctor_replica_heartbeat_period_seconds",
                                    target="my8"), {})
            self.assertEqual(series(m, "conndoctor_finding", code="CD7002"), {})
            self.assertEqual(value(m, "conndoctor_attempts_total", target="my8",
                                   transport="tcp", outcome="query_error"), 0)
            with peer._lock:
                polls = [q for q in peer.events if q.startswith("SHOW")]
            # MariaDB's statement once, then MySQL 8's only.
            self.assertEqual(polls[0], "SHOW ALL SLAVES STATUS")
            self.assertGreaterEqual(len(polls), 2)
            self.assertEqual(set(polls[1:]), {"SHOW REPLICA STATUS"})


class WatchHostCache(unittest.TestCase):
    """host-cache: the server's performance_schema.host_cache for this
    host's addresses, with name resolution on (the host cache in use)."""

    @classmethod
    def setUpClass(cls):
        cls.db = MariaDB(variables={"skip_name_resolve": "OFF", "performance_schema": "ON",
                                    "max_connect_errors": 40})
        cls.db.start()
        cls.dir = tempfile.mkdtemp(prefix="cd_watchhc_")
        write(os.path.join(cls.dir, "pw"), cls.db.password + "\n")
        cls.db.sql("CREATE USER nogrant@'%' IDENTIFIED BY 'ng-pw-1'")
        write(os.path.join(cls.dir, "ngpw"), "ng-pw-1\n")

    @classmethod
    def tearDownClass(cls):
        cls.db.stop()
        shutil.rmtree(cls.dir, ignore_errors=True)

    def errors_of(self, ip):
        rows = self.db.sql("SELECT SUM_CONNECT_ERRORS FROM performance_schema.host_cache "
                           f"WHERE IP = '{ip}'")
        return int(rows[0][0]) if rows else 0

    def handshake_errors(self, src, n):
        """n connections from src that read the greeting and close
        without answering it, as a TCP-connect probe does."""
        import socket as pysocket
        for _ in range(n):
            s = pysocket.socket()
            s.settimeout(30)
            s.bind((src, 0))
            s.connect(("127.0.0.1", self.db.port))
            self.assertGreater(len(s.recv(4096)), 4)  # the greeting
            s.close()

    def test_host_cache_gauges(self):
        cnf = os.path.join(self.dir, "w.cnf")
        write(cnf, f"""[watch]
host = 127.0.0.1
port = {self.db.port}
interval = 500ms
timeout = 400ms
host-cache = 1s

[target db]
user = {self.db.user}
password-file = {self.dir}/pw

[target nogrant]
user = nogrant
password-file = {self.dir}/ngpw
""")
        w = Watch(["--config", cnf])
        self.addCleanup(w.stop)
        m = w.wait_for(lambda m: value(m, "conndoctor_host_cache_readable", target="db") == 1
                       and value(m, "conndoctor_host_cache_readable", target="nogrant") == 0)
        self.assertEqual(value(m, "conndoctor_server_max_connect_errors", target="db"), 40)
        # Without the grant: nothing but readable 0, and the probes go on.
        self.assertEqual(series(m, "conndoctor_server_max_connect_errors",
                                target="nogrant"), {})
        self.assertEqual(series(m, "conndoctor_host_cache_connect_errors",
                                target="nogrant"), {})
        # Connect errors from another address of this host: the gauge
        # follows what the server counts, as it rises.
        for n in (3, 5):
            self.handshake_errors("127.0.0.2", n)
            want = self.errors_of("127.0.0.2")
            self.assertGreaterEqual(want, n)
            m = w.wait_for(lambda m: value(m, "conndoctor_host_cache_connect_errors",
                                           target="db", address="127.0.0.2") == want)
        self.assertEqual(want, 8)
        self.assertEqual(value(m, "conndoctor_host_cache_connect_errors", target="db",
                               address="127.0.0.2"), self.errors_of("127.0.0.2"))
        # watch's own address, 127.0.0.1: the server keeps no host cache
        # entry for a loopback client, and watch invents none.
        self.assertEqual(self.db.sql("SELECT COUNT(*) FROM performance_schema.host_cache "
                                     "WHERE IP = '127.0.0.1'"), [("0",)])
        self.assertEqual(series(m, "conndoctor_host_cache_connect_errors", target="db",
                                address="127.0.0.1"), {})
        self.assertGreater(value(m, "conndoctor_attempts_total", target="nogrant",
                                 transport="tcp", outcome="ok"), 0)
        self.assertEqual(sum(v for k, v in series(m, "conndoctor_attempts_total",
                                                   target="nogrant").items()
                             if ("outcome", "ok") not in k), 0)
        err = w.stderr()
        self.assertEqual(err.count("[target nogrant]: the host cache is not readable "
                                   "(query_error, ERROR 1142)"), 1, err)
        self.assertNotIn("[target db]: the host cache", err)
        self.assertNotIn("ng-pw-1", err)
        # promtool accepts the exposition with the new families.
        if shutil.which("promtool"):
            r = subprocess.run(["promtool", "check", "metrics"], input=scrape(w.port)[2],
                               capture_output=True, text=True, timeout=30)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)


class WatchWebConfig(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not shutil.which("openssl"):
            raise unittest.SkipTest("openssl not installed")
        cls.db = MariaDB(variables={"skip_name_resolve": 1})
        cls.db.start()
        cls.dir = tempfile.mkdtemp(prefix="cd_watchweb_")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                        "-keyout", os.path.join(cls.dir, "key.pem"),
                        "-out", os.path.join(cls.dir, "cert.pem"), "-days", "2",
                        "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
                       check=True, capture_output=True, timeout=60)
        # bcrypt by libxcrypt, the hash htpasswd -B makes ($2y$ and $2b$ alike).
        salt = subprocess.run(["python3", "-c", "import crypt; print(crypt.mksalt("
                               "crypt.METHOD_BLOWFISH, rounds=2**5))"],
                              capture_output=True, text=True, check=True).stdout.strip()
        h = subprocess.run(["python3", "-c", f"import crypt; print(crypt.crypt("
                            f"'s3cret', '{salt}'))"],
                           capture_output=True, text=True, check=True).stdout.strip()
        assert h.startswith("$2"), h
        cls.web = os.path.join(cls.dir, "web.yml")
        write(cls.web, f"""# exporter-toolkit format
tls_server_config:
  cert_file: cert.pem
  key_file: key.pem
basic_auth_users:
  prom: '{h}'
""")
        write(os.path.join(cls.dir, "pw"), cls.db.password + "\n")
        cls.cnf = os.path.join(cls.dir, "w.cnf")
        write(cls.cnf, f"""[target db]
host = 127.0.0.1
port = {cls.db.port}
user = {cls.db.user}
password-file = {cls.dir}/pw
interval = 300ms
timeout = 250ms
""")

    @classmethod
    def tearDownClass(cls):
        cls.db.stop()
        shutil.rmtree(cls.dir, ignore_errors=True)

    def get(self, port, auth=None):
        ctx = ssl.create_default_context(cafile=os.path.join(self.dir, "cert.pem"))
        req = urllib.request.Request(f"https://127.0.0.1:{port}/metrics")
        if auth:
            req.add_header("Authorization",
                           "Basic " + base64.b64encode(auth.encode()).decode())
        with urllib.request.urlopen(req, timeout=10, context=ctx) as r:
            return r.status, r.read().decode()

    def test_tls_and_basic_auth(self):
        w = Watch(["--config", self.cnf, "--web-config", self.web])
        self.addCleanup(w.stop)
        deadline = time.monotonic() + 20
        while True:
            try:
                status, text = self.get(w.port, "prom:s3cret")
                m = parse_metrics(text)
                if value(m, "conndoctor_attempts_total", outcome="ok") >= 1:
                    break
            except (urllib.error.URLError, ConnectionError):
                pass
            self.assertLess(time.monotonic(), deadline, w.stderr())
            time.sleep(0.2)
        self.assertEqual(status, 200)
        for auth in (None, "prom:wrong", "other:s3cret"):
            with self.assertRaises(urllib.error.HTTPError) as cm:
                self.get(w.port, auth)
            self.assertEqual(cm.exception.code, 401, auth)
            self.assertIn("Basic", cm.exception.headers.get("WWW-Authenticate", ""))
        # Plain HTTP gets nothing from a TLS port.
        with self.assertRaises((urllib.error.URLError, ConnectionError)):
            scrape(w.port)
        self.assertIn("serving https://", w.stderr())
        self.assertNotIn("s3cret", w.stderr())

    def hash(self, password):
        """A bcrypt hash of password (libxcrypt, cost 5 to keep it quick)."""
        code = ("import crypt, sys; print(crypt.crypt(sys.argv[1], "
                "crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=2**5)))")
        h = subprocess.run(["python3", "-c", code, password], capture_output=True,
                           text=True, check=True).stdout.strip()
        assert h.startswith("$2"), h
        return h

    def get_as(self, port, auth, cafile):
        """(status, body) of /metrics over a new TLS connection that trusts
        only cafile; an HTTP error's status instead of raising."""
        ctx = ssl.create_default_context(cafile=cafile)
        req = urllib.request.Request(f"https://127.0.0.1:{port}/metrics")
        req.add_header("Authorization",
                       "Basic " + base64.b64encode(auth.encode()).decode())
        try:
            with urllib.request.urlopen(req, timeout=10, context=ctx) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, ""

    def wait_stderr(self, w, text, timeout=20):
        deadline = time.monotonic() + timeout
        while text not in w.stderr():
            self.assertIsNone(w.proc.poll(), w.stderr())
            self.assertLess(time.monotonic(), deadline, w.stderr())
            time.sleep(0.1)

    def test_sighup_reloads_web_config(self):
        d = tempfile.mkdtemp(prefix="web_", dir=self.dir)
        cert1 = os.path.join(self.dir, "cert.pem")
        shutil.copy(cert1, os.path.join(d, "cert.pem"))
        shutil.copy(os.path.join(self.dir, "key.pem"), os.path.join(d, "key.pem"))
        web = os.path.join(d, "web.yml")
        tls = "tls_server_config:\n  cert_file: cert.pem\n  key_file: key.pem\n"
        write(web, tls + f"basic_auth_users:\n  prom: '{self.hash('old-pw')}'\n")
        w = Watch(["--config", self.cnf, "--web-config", web])
        self.addCleanup(w.stop)
        deadline = time.monotonic() + 20
        while True:
            try:
                status, text = self.get_as(w.port, "prom:old-pw", cert1)
                if status == 200 and value(parse_metrics(text), "conndoctor_attempts_total",
                                           outcome="ok") >= 3:
                    break
            except (urllib.error.URLError, ConnectionError):
                pass
            self.assertLess(time.monotonic(), deadline, w.stderr())
            time.sleep(0.2)
        ok_before = value(parse_metrics(text), "conndoctor_attempts_total", outcome="ok")

        # A new password: the old one is refused, the new one served.
        write(web, tls + f"basic_auth_users:\n  prom: '{self.hash('new-pw')}'\n")
        w.proc.send_signal(signal.SIGHUP)
        self.wait_stderr(w, f"reloaded {web}: serving https, 1 user(s)")
        self.assertEqual(self.get_as(w.port, "prom:old-pw", cert1)[0], 401)
        status, text = self.get_as(w.port, "prom:new-pw", cert1)
        self.assertEqual(status, 200)
        m = parse_metrics(text)
        self.assertEqual(value(m, "conndoctor_config_reloads_total", result="applied"), 1)
        self.assertGreaterEqual(value(m, "conndoctor_attempts_total", outcome="ok"),
                                ok_before)

        # A broken file: refused with its line and reason, the new password
        # still works and the old one still does not.
        write(web, tls + "basic_auth_users:\n  prom: plaintext\n")
        w.proc.send_signal(signal.SIGHUP)
        self.wait_stderr(w, "web config reload refused, the running one stays: "
                            f"{web}:5: user prom: the password must be a bcrypt hash")
        self.assertEqual(self.get_as(w.port, "prom:old-pw", cert1)[0], 401)
        status, text = self.get_as(w.port, "prom:new-pw", cert1)
        self.assertEqual(status, 200)
        m = parse_metrics(text)
        self.assertEqual(value(m, "conndoctor_config_reloads_total", result="refused"), 1)
        self.assertEqual(value(m, "conndoctor_config_last_reload_successful"), 0)
        self.assertNotIn("plaintext", w.stderr())

        # A new certificate: new connections get it, from the same port,
        # and the counters go on.
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                        "-keyout", os.path.join(d, "key2.pem"),
                        "-out", os.path.join(d, "cert2.pem"), "-days", "2",
                        "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
                       check=True, capture_output=True, timeout=60)
        cert2 = os.path.join(d, "cert2.pem")
        ok_before = value(parse_metrics(text), "conndoctor_attempts_total", outcome="ok")
        # A request under way over the old certificate: its headers are
        # not complete when the reload comes.
        import socket as pysocket
        raw = pysocket.create_connection(("127.0.0.1", w.port), timeout=10)
        slow = ssl.create_default_context(cafile=cert1).wrap_socket(
            raw, server_hostname="127.0.0.1")
        self.addCleanup(slow.close)
        auth = base64.b64encode(b"prom:new-pw").decode()
        slow.sendall(f"GET /metrics HTTP/1.1\r\nHost: x\r\nAuthorization: Basic {auth}\r\n"
                     .encode())
        write(web, "tls_server_config:\n  cert_file: cert2.pem\n  key_file: key2.pem\n"
              f"basic_auth_users:\n  prom: '{self.hash('new-pw')}'\n")
        w.proc.send_signal(signal.SIGHUP)
        while w.stderr().count(f"reloaded {web}: serving https") < 2:
            self.assertLess(time.monotonic(), deadline + 60, w.stderr())
            time.sleep(0.1)
        # The old server finishes it.
        slow.sendall(b"\r\n")
        answer = b""
        while b"# EOF" not in answer and b"conndoctor_build_info" not in answer:
            chunk = slow.recv(65536)
            if not chunk:
                break
            answer += chunk
        self.assertTrue(answer.startswith(b"HTTP/1.1 200"), answer[:200])
        with self.assertRaises(urllib.error.URLError):  # the old cert is gone
            self.get_as(w.port, "prom:new-pw", cert1)
        status, text = self.get_as(w.port, "prom:new-pw", cert2)
        self.assertEqual(status, 200)
        m = parse_metrics(text)
        self.assertGreaterEqual(value(m, "conndoctor_attempts_total", outcome="ok"), ok_before)
        self.assertEqual(value(m, "conndoctor_config_reloads_total", result="applied"), 2)
        # A key that is not the certificate's: GnuTLS refuses it, the
        # server that runs stays.
        write(web, "tls_server_config:\n  cert_file: cert2.pem\n  key_file: key.pem\n")
        w.proc.send_signal(signal.SIGHUP)
        self.wait_stderr(w, "web config reload refused, the running one stays: "
                            f"{web}: the certificate and key do not load for TLS")
        status, text = self.get_as(w.port, "prom:new-pw", cert2)
        self.assertEqual(status, 200)
        self.assertEqual(value(parse_metrics(text), "conndoctor_config_reloads_total",
                               result="refused"), 2)
        self.assertEqual(w.stop(), 0)
        self.assertNotIn("new-pw", w.stderr())

    def test_bad_web_config(self):
        bad = os.path.join(self.dir, "bad.yml")
        write(bad, "tls_server_config:\n  cert_file: cert.pem\n  key_file: key.pem\n"
              "http_server_config:\n  http2: true\n")
        r = subprocess.run([harness.conndoctor_path(), "watch", "--config", self.cnf,
                            "--web-config", bad], capture_output=True, text=True,
                           timeout=30)
        self.assertEqual(r.returncode, 64)
        self.assertIn(f"{bad}:4: 'http_server_config' is not supported", r.stderr)
        write(bad, "basic_auth_users:\n  prom: plaintext\n")
        r = subprocess.run([harness.conndoctor_path(), "watch", "--config", self.cnf,
                            "--web-config", bad], capture_output=True, text=True,
                           timeout=30)
        self.assertEqual(r.returncode, 64)
        self.assertIn(f"{bad}:2: user prom: the password must be a bcrypt hash", r.stderr)
        self.assertNotIn("plaintext", r.stderr)


if __name__ == "__main__":
    harness.need_conndoctor()
    harness.run_tests(globals())
