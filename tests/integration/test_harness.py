"""Self-test of harness/mariadb.py: reachable, configured as asked, no password on command lines, cleaned up."""

import os
import shlex
import subprocess
import sys
import tempfile
import time
import unittest

import harness
from harness import need_binary, run_tests
from harness.mariadb import MariaDB, MariaDBError

for _binary in ("mariadbd", "mariadb-install-db", "mariadb"):
    need_binary(_binary)

THROWAWAY = os.path.join(harness.REPO_ROOT, "scripts", "mariadb-throwaway")


def client(cnf, *args, query, timeout=20):
    """The mariadb client with an option file (never a password argument); returns stdout lines."""
    r = subprocess.run(["mariadb", f"--defaults-file={cnf}", "-N", "-B", "--connect-timeout=5", *args],
                       input=query, capture_output=True, text=True, timeout=timeout)
    if r.returncode != 0:
        raise AssertionError(f"mariadb {' '.join(args)} failed: {r.stderr.strip()}")
    return r.stdout.strip().split("\n")


# The client's own connection as the server sees it: "host:port" over TCP,
# "localhost" over the socket. (127.0.0.1 resolves to localhost, so
# CURRENT_USER() is conndoctor@localhost either way.)
WHOAMI = ("SELECT USER(), HOST, @@port FROM information_schema.PROCESSLIST WHERE ID = CONNECTION_ID()")


def over_tcp(row):
    return ":" in row.split("\t")[1]


def cmdlines_containing(secret):
    """PIDs whose /proc/PID/cmdline contains `secret`."""
    hits = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/cmdline", "rb") as f:
                    if secret.encode() in f.read():
                        hits.append(int(entry))
            except OSError:
                pass
    return hits


class HarnessServer(unittest.TestCase):
    """One server for the read-only checks."""

    @classmethod
    def setUpClass(cls):
        t0 = time.monotonic()
        cls.db = MariaDB(variables={"max_connections": 12, "wait_timeout": 30}).start()
        print(f"\n  (server started in {time.monotonic() - t0:.2f} s)", flush=True)

    @classmethod
    def tearDownClass(cls):
        cls.db.stop()

    def test_login_tcp(self):
        db = self.db
        out = client(db.client_cnf(), "--protocol=TCP", "-h", "127.0.0.1", "-P", str(db.port), query=WHOAMI)
        self.assertEqual(len(out), 1)
        user, host, port = out[0].split("\t")
        self.assertEqual((user, port), ("conndoctor@localhost", str(db.port)))
        self.assertTrue(over_tcp(out[0]), out)

    def test_login_socket(self):
        db = self.db
        # libmariadb uses the socket only when the host is localhost: --protocol alone is not enough.
        out = client(db.client_cnf(), "--protocol=SOCKET", "-h", "localhost", query=WHOAMI)
        self.assertEqual(out, [f"conndoctor@localhost\tlocalhost\t{db.port}"])

    def test_client_cnf_defaults_are_tcp(self):
        # With no overrides the file's host=127.0.0.1 and port make a TCP login.
        out = client(self.db.client_cnf(), query=WHOAMI)
        self.assertTrue(over_tcp(out[0]), out)

    def test_client_cnf_is_private(self):
        for path in (self.db.client_cnf(), self.db.root_cnf, self.db.cnf):
            self.assertEqual(os.stat(path).st_mode & 0o777, 0o600, path)
        override = self.db.client_cnf(host="localhost", protocol="socket", connect_timeout=2)
        self.assertEqual(os.stat(override).st_mode & 0o777, 0o600)
        self.assertFalse(over_tcp(client(override, query=WHOAMI)[0]))

    def test_port_and_datadir(self):
        db = self.db
        rows = db.sql("SELECT @@port, @@datadir, @@socket, @@bind_address")
        port, datadir, sock, bind = rows[0]
        self.assertEqual(int(port), db.port)
        self.assertTrue(os.path.realpath(datadir).startswith(os.path.realpath(db.dir) + os.sep), datadir)
        self.assertTrue(os.path.realpath(db.dir).startswith(os.path.realpath(tempfile.gettempdir())))
        self.assertEqual(sock, db.socket)
        self.assertEqual(bind, "127.0.0.1")

    def test_variables_in_force(self):
        # Note: MariaDB clamps max_connections to at least 10.
        self.assertEqual(self.db.variable("max_connections"), "12")
        self.assertEqual(self.db.variable("wait_timeout"), "30")
        self.assertEqual(self.db.variable("performance_schema"), "0")
        self.assertEqual(self.db.variable("log_bin"), "0")

    def test_status_and_set_global(self):
        db = self.db
        self.assertGreaterEqual(db.status("Uptime"), 0)
        self.assertEqual(db.status("Aborted_connects"), 0, "the readiness probe must not abort handshakes")
        before = db.variable("max_connect_errors")
        try:
            db.set_global("max_connect_errors", 77)
            self.assertEqual(db.variable("max_connect_errors"), "77")
        finally:
            db.set_global("max_connect_errors", int(before))
        with self.assertRaises(KeyError):
            db.status("No_such_status_variable")

    def test_sql_values_and_errors(self):
        self.assertEqual(self.db.sql("SELECT NULL, 'a\\tb', 'x\\ny', 1"), [(None, "a\tb", "x\ny", "1")])
        self.assertEqual(self.db.sql("DO 1"), [])
        with self.assertRaises(MariaDBError) as cm:
            self.db.sql("SELECT * FROM no_such_db.t")
        self.assertIn("1146", str(cm.exception))

    def test_conndoctor_user_is_read_only(self):
        grants = " ".join(r[0] for r in self.db.sql("SHOW GRANTS FOR 'conndoctor'@'%'"))
        for priv in ("SELECT", "PROCESS", "BINLOG MONITOR"):
            self.assertIn(priv, grants)
        with self.assertRaises(MariaDBError):
            self.db.sql("CREATE DATABASE cd_should_fail", user="conndoctor")

    def test_root_only_on_socket(self):
        hosts = sorted(r[0] for r in self.db.sql("SELECT Host FROM mysql.user WHERE User = 'root'"))
        self.assertEqual(hosts, ["localhost"])
        empty = [r for r in self.db.sql("SELECT User, Host, authentication_string FROM mysql.user")
                 if r[2] in ("", None) and r[0] != "mariadb.sys"]
        self.assertEqual(empty, [], "no account may be without a password")

    def test_password_not_on_any_cmdline(self):
        db = self.db
        self.assertEqual(cmdlines_containing(db.password), [])
        self.assertEqual(cmdlines_containing(db.root_password), [])
        # Nor in the server's logs.
        for log in (db.error_log, os.path.join(db.dir, "install.log"), os.path.join(db.dir, "mariadbd.out")):
            with open(log, errors="replace") as f:
                text = f.read()
            self.assertNotIn(db.password, text, log)
            self.assertNotIn(db.root_password, text, log)

    def test_run_conndoctor(self):
        # With CONNDOCTOR=/bin/true (the harness self-test) this checks the plumbing only.
        if os.path.basename(harness.conndoctor_path()) != "true":
            self.skipTest("only with CONNDOCTOR=/bin/true")
        self.assertEqual(harness.run_conndoctor(["--defaults-file", self.db.client_cnf()], timeout=10),
                         (0, "", ""))
        with self.assertRaises(ValueError):
            harness.run_conndoctor(["check", "10.213.1.2:3306"])  # lab address outside a lab namespace


class HarnessLifecycle(unittest.TestCase):
    def test_stop_removes_everything(self):
        db = MariaDB(name="stop")
        db.start()
        pid, d = db.pid, db.dir
        self.assertTrue(os.path.isdir(os.path.join(d, "data")))
        self.assertIsNotNone(harness.proc_starttime(pid))
        db.stop()
        self.assertFalse(os.path.exists(d))
        self.assertIsNone(harness.proc_starttime(pid), f"mariadbd {pid} still running")
        self.assertFalse(os.path.exists(f"/proc/{pid}"), "not reaped")
        db.stop()  # idempotent

    def test_bad_variable_fails_fast_with_log(self):
        t0 = time.monotonic()
        with self.assertRaises(MariaDBError) as cm:
            MariaDB(name="bad", variables={"no_such_option_xyz": 1}).start()
        self.assertLess(time.monotonic() - t0, 20)
        self.assertIn("no_such_option_xyz", str(cm.exception))

    def test_two_servers_side_by_side(self):
        with MariaDB(name="a") as a, MariaDB(name="b") as b:
            self.assertNotEqual(a.port, b.port)
            self.assertNotEqual(a.datadir, b.datadir)
            self.assertEqual(a.sql("SELECT @@port"), [(str(a.port),)])
            self.assertEqual(b.sql("SELECT @@port"), [(str(b.port),)])

    def test_throwaway_cli(self):
        parent = tempfile.mkdtemp(prefix="cd-throwaway-")
        d = os.path.join(parent, "db")
        pid = None
        try:
            r = subprocess.run([THROWAWAY, "start", d], capture_output=True, text=True, timeout=60)
            self.assertEqual(r.returncode, 0, r.stderr)
            env = dict(tok.split("=", 1) for tok in shlex.split(r.stdout))
            for key in ("CD_PORT", "CD_SOCKET", "CD_PID", "CD_CNF"):
                self.assertIn(key, env)
            with open(os.path.join(d, "env")) as f:
                self.assertEqual(f.read().split(), r.stdout.split())
            pid = int(env["CD_PID"])
            self.assertTrue(env["CD_SOCKET"].startswith(d))
            # The server outlived the script that started it.
            self.assertIsNotNone(harness.proc_starttime(pid))
            out = client(env["CD_CNF"], query=WHOAMI)
            self.assertTrue(over_tcp(out[0]), out)
            self.assertEqual(out[0].split("\t")[2], env["CD_PORT"])
            datadir = client(env["CD_CNF"], query="SELECT @@datadir")[0]
            self.assertTrue(datadir.startswith(d + "/"), datadir)
            # A second start on the same DIR refuses.
            r2 = subprocess.run([THROWAWAY, "start", d], capture_output=True, text=True, timeout=60)
            self.assertNotEqual(r2.returncode, 0)
            r = subprocess.run([THROWAWAY, "stop", d], capture_output=True, text=True, timeout=60)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIsNone(harness.proc_starttime(pid))
            self.assertFalse(os.path.exists(d))
            pid = None
        finally:
            if pid is not None and harness.proc_starttime(pid) is not None:
                subprocess.run([THROWAWAY, "stop", d], capture_output=True, timeout=60)
            subprocess.run(["rm", "-rf", parent])


if __name__ == "__main__":
    run_tests(globals())
    sys.exit(1)  # not reached
