"""ERROR 1040 with the holder on this host. A MariaDB with max_connections=10
and a Python process holding 11 sessions over its Unix socket (root: the
11th is the one kept for an admin): diagnose measures 1040, its audit is
refused the same way, and it joins the census (the socket's client ends)
with /proc/PID/fd to name the holder: pid, program, user and how many
sessions (CD6047, the cause of CD6001). With the audit able to log in, the
holder is compared with max_connections read from the server."""
import os
import re
import subprocess
import sys
import time
import unittest

import harness
from harness.mariadb import MariaDB, USER
from test_diagnose_gone import finding
from test_diagnose_local import diagnose

# Logs in n times over a Unix socket with mysql_native_password (the
# password on stdin, never on the command line) and holds the sessions
# until stdin closes.
HOLDER = r'''
import hashlib, socket, struct, sys
path, user, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
password = sys.stdin.readline().rstrip("\n")

def read_packet(s):
    buf = b""
    while len(buf) < 4:
        c = s.recv(4 - len(buf))
        if not c:
            raise EOFError("closed")
        buf += c
    ln, seq = buf[0] | buf[1] << 8 | buf[2] << 16, buf[3]
    body = b""
    while len(body) < ln:
        c = s.recv(ln - len(body))
        if not c:
            raise EOFError("closed")
        body += c
    return seq, body

def login():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    seq, g = read_packet(s)
    if g[:1] == b"\xff":
        raise RuntimeError(g[3:].decode(errors="replace"))
    i = g.index(b"\0", 1) + 1 + 4
    salt = g[i:i + 8]
    i += 8 + 1 + 2 + 1 + 2 + 2 + 1 + 10
    salt += g[i:i + 12]
    h1 = hashlib.sha1(password.encode()).digest()
    h2 = hashlib.sha1(h1).digest()
    tok = bytes(a ^ b for a, b in zip(h1, hashlib.sha1(salt + h2).digest()))
    caps = 0x1 | 0x200 | 0x8000 | 0x80000  # LONG_PASSWORD, PROTOCOL_41, SECURE, PLUGIN_AUTH
    body = (struct.pack("<IIB23x", caps, 1 << 24, 33) + user.encode() + b"\0" +
            bytes([len(tok)]) + tok + b"mysql_native_password\0")
    s.sendall(struct.pack("<I", len(body))[:3] + bytes([seq + 1]) + body)
    _, r = read_packet(s)
    if r[:1] != b"\x00":
        raise RuntimeError(r[3:].decode(errors="replace"))
    return s

held = [login() for _ in range(n)]
print("held", len(held), flush=True)
sys.stdin.read()
'''


class Holder:
    """A Python process holding n sessions of user (root, or the account of
    cnf) over db's socket."""

    def __init__(self, db, n, user="root", cnf=None):
        text = open(cnf or db.root_cnf).read()
        password = re.search(r"^password=(.*)$", text, re.M).group(1)
        self.proc = subprocess.Popen([sys.executable, "-c", HOLDER, db.socket, user, str(n)],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.pid = self.proc.pid
        self.proc.stdin.write(password + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if line.strip() != f"held {n}":
            self.close()
            raise AssertionError(f"holder did not log in {n} times: {line!r}")
        with open(f"/proc/{self.pid}/comm") as f:
            self.comm = f.read().strip()

    def close(self):
        self.proc.stdin.close()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


class LocalHolders(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.db = MariaDB(variables={"skip_name_resolve": 1, "max_connections": 10})
        cls.db.start()

    @classmethod
    def tearDownClass(cls):
        cls.db.stop()

    def test_1040_names_the_holder(self):
        user = "root" if os.geteuid() == 0 else str(os.geteuid())
        holder = Holder(self.db, 11)
        try:
            rc, doc = diagnose(self.db.client_cnf())
            trc, text = diagnose(self.db.client_cnf(), as_json=False)
        finally:
            holder.close()
        # The symptom: every attempt refused with 1040 at the greeting.
        for a in doc["probe"]["attempts"]:
            self.assertEqual(a["outcome"], "server_refused", a)
            self.assertEqual(a["mysql_code"], 1040, a)
        root = doc["root_cause"]
        self.assertEqual(root["symptom"]["code"], "CD6001")
        self.assertTrue(root["explained"], root)
        self.assertEqual(root["causes"][0]["code"], "CD6047")
        # The audit was refused with 1040 too: server not checked.
        server = [n for n in doc["not_checked"] if n["slice"] == "server"]
        self.assertEqual(len(server), 1, doc["not_checked"])
        self.assertIn("ERROR 1040", server[0]["reason"])
        # The holder: pid, program, user, count, the refusal.
        f = finding(doc["check"]["findings"], "CD6047")
        self.assertEqual(f["severity"], "critical")
        self.assertEqual(f["data"]["pid"], holder.pid)
        self.assertEqual(f["data"]["sessions"], 11)
        self.assertEqual(f["data"]["unix_sessions"], 11)
        self.assertEqual(f["data"]["tcp_sessions"], 0)
        self.assertEqual(f["data"]["refused_code"], 1040)
        self.assertGreaterEqual(f["data"]["server_sessions"], 11)
        self.assertEqual(f["summary"],
                         f"pid {holder.pid} ({holder.comm}, user {user}) holds 11 sessions to "
                         "the server, which refused the audit's login with ERROR 1040 "
                         "(max_connections reached)")
        self.assertEqual(rc, 2)
        head = text.split("\n== the probe")[0]
        self.assertIn("ROOT CAUSE  a process on this host holds most of the server's sessions",
                      head)
        self.assertIn(f"pid {holder.pid} ({holder.comm}, user {user}) holds 11 sessions", head)
        self.assertEqual(trc, 2)

    def test_holder_against_max_connections(self):
        # The error log holds the 1040s of the test before (CD6026): this
        # case is the holder alone, so it reads an empty log instead.
        empty = os.path.join(self.db.dir, "empty.log")
        open(empty, "w").close()
        holder = Holder(self.db, 6)
        try:
            rc, doc = diagnose(self.db.client_cnf(), f"--error-log={empty}")
        finally:
            holder.close()
        self.assertEqual({a["outcome"] for a in doc["probe"]["attempts"]}, {"ok"})
        self.assertEqual(doc["not_checked"], [])
        f = finding(doc["check"]["findings"], "CD6047")
        self.assertEqual(f["severity"], "warning")
        self.assertEqual(f["data"]["pid"], holder.pid)
        self.assertEqual(f["data"]["sessions"], 6)
        self.assertEqual(f["data"]["max_connections"], 10)
        self.assertNotIn("refused_code", f["data"])
        self.assertTrue(f["summary"].startswith(
            f"pid {holder.pid} ({holder.comm}, user ")
            and f["summary"].endswith(") holds 6 of max_connections=10 (+1 for admin)"),
            f["summary"])
        self.assertEqual(rc, 1)

    def test_pool_that_never_closes(self):
        """6 sessions asleep 2 s and more: over --asleep-over 1 they are a
        pool that never closes (CD6055: the count, the user@host, the
        longest sleep); under the default 60 s they are not."""
        empty = os.path.join(self.db.dir, "empty.log")
        open(empty, "w").close()
        holder = Holder(self.db, 6)
        try:
            time.sleep(2.2)
            rc, doc = diagnose(self.db.client_cnf(), "--asleep-over=1",
                               f"--error-log={empty}")
            drc, ddoc = diagnose(self.db.client_cnf(), f"--error-log={empty}")
        finally:
            holder.close()
        self.assertEqual({a["outcome"] for a in doc["probe"]["attempts"]}, {"ok"})
        f = finding(doc["check"]["findings"], "CD6055")
        self.assertIsNotNone(f, doc["check"]["findings"])
        self.assertEqual(f["severity"], "warning")
        self.assertEqual(f["data"]["sessions"], 6)
        self.assertEqual(f["data"]["client_sessions"], 6)
        self.assertEqual(f["data"]["asleep_over_s"], 1)
        self.assertEqual(f["data"]["wait_timeout_s"], 28800)
        self.assertGreaterEqual(f["data"]["longest_s"], 2)
        self.assertLess(f["data"]["longest_s"], 30)
        self.assertEqual(f["summary"],
                         "6 sessions of root@localhost have been asleep longer than 1 s, the "
                         f"longest {f['data']['longest_s']:.0f} s: a pool that never closes them")
        self.assertIn("information_schema.PROCESSLIST: 6 of the 6 sessions of root@localhost "
                      "in Sleep for more than 1 s; wait_timeout=28800 s", f["evidence"])
        self.assertEqual(rc, 1)
        self.assertIsNone(finding(ddoc["check"]["findings"], "CD6055"))


class ExtraPort(unittest.TestCase):
    """ERROR 1040 on the socket and TCP, but the server has an extra_port
    (with extra_max_connections=2): the audit, refused on both, finds the
    other port of the process that listens on the probed one (census and
    /proc/PID/fd), logs in there and says so in its login line; with the
    server checked, the holder is compared with the max_connections it
    read."""

    @classmethod
    def setUpClass(cls):
        cls.extra = harness.free_port()
        cls.db = MariaDB(variables={"skip_name_resolve": 1, "max_connections": 10,
                                    "extra_port": cls.extra, "extra_max_connections": 2})
        cls.db.start()

    @classmethod
    def tearDownClass(cls):
        cls.db.stop()

    def test_audit_logs_in_through_extra_port(self):
        holder = Holder(self.db, 11)  # max_connections, +1 for root
        try:
            rc, doc = diagnose(self.db.client_cnf())
            trc, text = diagnose(self.db.client_cnf(), as_json=False)
        finally:
            holder.close()
        for a in doc["probe"]["attempts"]:
            self.assertEqual(a["outcome"], "server_refused", a)
            self.assertEqual(a["mysql_code"], 1040, a)
        # The audit got in: the server was checked, through the extra port.
        self.assertEqual([n for n in doc["not_checked"] if n["slice"] == "server"], [])
        login = [f for f in doc["check"]["facts"] if f["fact"] == "audit login"]
        self.assertEqual(len(login), 1, login)
        v = login[0]["values"]
        self.assertEqual(v["endpoint"], f"127.0.0.1:{self.extra}")
        self.assertEqual(v["pid"], self.db.pid)
        self.assertEqual(v["comm"], "mariadbd")
        self.assertTrue(v["message"].startswith(f"socket {self.db.socket}: server_refused: "
                                                "ERROR 1040"), v["message"])
        self.assertIn(f"; then tcp 127.0.0.1:{self.db.port}: server_refused: ERROR 1040",
                      v["message"])
        f = finding(doc["check"]["findings"], "CD6047")
        self.assertEqual(f["data"]["max_connections"], 10)
        self.assertEqual(f["data"]["sessions"], 11)
        self.assertEqual(f["severity"], "critical")
        root = doc["root_cause"]
        self.assertEqual(root["symptom"]["code"], "CD6001")
        self.assertEqual(root["causes"][0]["code"], "CD6047")
        self.assertEqual(rc, 2)
        host = text.split("\n== this host and the server\n")[1]
        self.assertIn(f"through 127.0.0.1:{self.extra}, another port of pid {self.db.pid} "
                      "(mariadbd: extra_port/admin_port), after socket", host)
        self.assertEqual(trc, 2)


class UserLimit(unittest.TestCase):
    """ERROR 1226: the probe's account may hold 3 sessions (ALTER USER ...
    WITH MAX_USER_CONNECTIONS 3) and a local process holds 3 of them. The
    probe and the audit are refused with 1226, whose text names the limit;
    diagnose reports CD6054 (never CD6001, which is max_connections) and
    joins it with the holder: the user and its limit, the pid and program,
    and how many sessions it holds."""

    @classmethod
    def setUpClass(cls):
        cls.db = MariaDB(variables={"skip_name_resolve": 1})
        cls.db.start()
        cls.accounts = [f"'{USER}'@'{h}'" for h in ("%", "localhost")]
        cls.db.sql("".join(f"ALTER USER {u} WITH MAX_USER_CONNECTIONS 3;" for u in cls.accounts))
        cls.cnf = cls.db.client_cnf(host="localhost")

    @classmethod
    def tearDownClass(cls):
        cls.db.stop()

    def test_1226_names_the_user_and_the_holder(self):
        user = "root" if os.geteuid() == 0 else str(os.geteuid())
        # Limits count per account: the holder and the probe both log in
        # over the socket, as USER@localhost.
        holder = Holder(self.db, 3, user=USER, cnf=self.cnf)
        try:
            rc, doc = diagnose(self.cnf, "--protocol=socket")
            trc, text = diagnose(self.cnf, "--protocol=socket", as_json=False)
        finally:
            holder.close()
        self.assertEqual(len(doc["probe"]["attempts"]), 2)
        for a in doc["probe"]["attempts"]:
            self.assertEqual(a["outcome"], "server_refused", a)
            self.assertEqual(a["mysql_code"], 1226, a)
        symptom = finding(doc["probe"]["findings"], "CD6054")
        self.assertIsNotNone(symptom, doc["probe"]["findings"])
        self.assertIsNone(finding(doc["probe"]["findings"], "CD6001"))
        self.assertEqual(symptom["severity"], "critical")
        self.assertEqual(symptom["data"]["mysql_code"], 1226)
        self.assertEqual(symptom["data"]["failures"], 2)
        self.assertIn(f"2 of 2 attempts refused: user {USER} is at its connection limit, "
                      f"ERROR 1226: User '{USER}' has exceeded the 'max_user_connections' "
                      "resource (current value: 3)", symptom["summary"])
        root = doc["root_cause"]
        self.assertEqual(root["symptom"]["code"], "CD6054")
        self.assertTrue(root["explained"], root)
        self.assertEqual([c["code"] for c in root["causes"]], ["CD6047"])
        server = [n for n in doc["not_checked"] if n["slice"] == "server"]
        self.assertEqual(len(server), 1, doc["not_checked"])
        self.assertIn("ERROR 1226", server[0]["reason"])
        f = finding(doc["check"]["findings"], "CD6047")
        self.assertEqual(f["severity"], "critical")
        self.assertEqual(f["data"]["pid"], holder.pid)
        self.assertEqual(f["data"]["sessions"], 3)
        self.assertEqual(f["data"]["unix_sessions"], 3)
        self.assertEqual(f["data"]["refused_code"], 1226)
        self.assertEqual(f["data"]["max_user_connections"], 3)
        self.assertEqual(f["summary"],
                         f"user {USER} holds 3 of max_user_connections=3 (ERROR 1226 to the "
                         f"audit's login); pid {holder.pid} ({holder.comm}, user {user}) holds "
                         "3 sessions to the server")
        self.assertEqual(rc, 2)
        head = text.split("\n== the probe")[0]
        self.assertIn("ROOT CAUSE  a process on this host holds most of the server's sessions",
                      head)
        self.assertIn(f"user {USER} holds 3 of max_user_connections=3", head)
        self.assertEqual(trc, 2)


if __name__ == "__main__":
    harness.need_conndoctor()
    harness.run_tests(globals())
