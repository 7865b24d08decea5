"""The error log slice against logs a real MariaDB wrote: wrong passwords,
aborted handshakes, the fd 2 text, clients that vanish, an idle timeout,
killed sessions and too many connections, all made to happen for real on
loopback; then (in network namespaces, skipped without them) the server's
own name resolution failing and a client host blocked. Each log is read by
`conndoctor check --only errlog --error-log PATH --json` and every class
must come out with the count that was produced.

CD_ERRLOG_REGEN=1 copies the logs to tests/data/errlog/ as the fixtures the
unit test pins (mariadb-10.11-real.log, mariadb-10.11-dns-real.log)."""
import hashlib
import json
import os
import re
import shutil
import socket
import struct
import sys
import time
import unittest

import harness
from harness import REPO_ROOT, run_conndoctor
from harness.mariadb import MariaDB

FIXTURES = os.path.join(REPO_ROOT, "tests", "data", "errlog")
LOG_WAIT = 15.0  # bound for the server to write what we caused

# ---------------------------------------------------------------- a tiny MySQL client

CLIENT_CAPS = (0x00000001 | 0x00000004 | 0x00000200 | 0x00008000 | 0x00080000)
# LONG_PASSWORD | LONG_FLAG | PROTOCOL_41 | SECURE_CONNECTION | PLUGIN_AUTH


def read_packet(s):
    def exact(n):
        b = b""
        while len(b) < n:
            c = s.recv(n - len(b))
            if not c:
                raise EOFError("server closed the connection")
            b += c
        return b
    hdr = exact(4)
    return hdr[3], exact(hdr[0] | hdr[1] << 8 | hdr[2] << 16)


def write_packet(s, seq, body):
    s.sendall(struct.pack("<I", len(body))[:3] + bytes([seq & 0xFF]) + body)


def server_error(body):
    code = struct.unpack("<H", body[1:3])[0]
    text = body[9:] if body[3:4] == b"#" else body[3:]
    return code, text.decode(errors="replace")


def greeting(s):
    """Reads the greeting; returns (seq, 20-byte scramble) or raises on an ERR in its place."""
    seq, body = read_packet(s)
    if body[0] == 0xFF:
        raise ConnectionRefusedError(*server_error(body))
    i = body.index(b"\0", 1) + 1 + 4         # version, connection id
    salt = body[i:i + 8]
    i += 8 + 1 + 2 + 1 + 2 + 2 + 1 + 10      # filler, caps, charset, status, caps, auth len, reserved
    salt += body[i:i + 12]
    return seq, salt


def native_password(password, salt):
    """mysql_native_password: SHA1(pw) XOR SHA1(salt + SHA1(SHA1(pw)))."""
    h1 = hashlib.sha1(password.encode()).digest()
    h3 = hashlib.sha1(salt + hashlib.sha1(h1).digest()).digest()
    return bytes(a ^ b for a, b in zip(h1, h3))


def login(user, password, host=None, port=None, unix=None, timeout=10, source=None):
    """A logged-in socket (mysql_native_password), or raises (refusal codes in the exception)."""
    if unix:
        s = socket.socket(socket.AF_UNIX)
        s.settimeout(timeout)
        s.connect(unix)
    else:
        s = socket.create_connection((host, port), timeout=timeout,
                                     source_address=(source, 0) if source else None)
    try:
        seq, salt = greeting(s)
        auth = native_password(password, salt)
        body = (struct.pack("<IIB23x", CLIENT_CAPS, 1 << 24, 33) + user.encode() + b"\0"
                + bytes([len(auth)]) + auth + b"mysql_native_password\0")
        write_packet(s, seq + 1, body)
        _, reply = read_packet(s)
        if reply[0] == 0xFF:
            raise PermissionError(*server_error(reply))
        if reply[0] != 0x00:
            raise RuntimeError(f"unexpected login reply {reply[:8]!r}")
    except BaseException:
        s.close()
        raise
    return s


def query(s, sql):
    """COM_QUERY; returns the rows' raw packets (text protocol) or [] for an OK."""
    write_packet(s, 0, b"\x03" + sql.encode())
    _, body = read_packet(s)
    if body[0] == 0xFF:
        raise RuntimeError(server_error(body))
    if body[0] == 0x00:
        return []
    rows, eofs = [], 0
    while eofs < 2:
        _, body = read_packet(s)
        if body[0] == 0xFE and len(body) < 9:
            eofs += 1
        elif eofs == 1:
            rows.append(body)
    return rows


def quit_(s):
    try:
        write_packet(s, 0, b"\x01")
    finally:
        s.close()


def connection_id(s):
    row = query(s, "SELECT CONNECTION_ID()")[0]
    return int(row[1:1 + row[0]].decode())


def abort_handshake(host, port, source=None):
    """Connect, read the greeting, close without logging in; returns the refusal code or 0."""
    s = socket.create_connection((host, port), timeout=10,
                                 source_address=(source, 0) if source else None)
    try:
        greeting(s)
        return 0
    except ConnectionRefusedError as e:
        return e.args[0]
    finally:
        s.close()


# ---------------------------------------------------------------- helpers

def wait_for(path, predicate, what):
    deadline = time.monotonic() + LOG_WAIT
    while True:
        with open(path, errors="replace") as f:
            text = f.read()
        if predicate(text):
            return text
        if time.monotonic() > deadline:
            raise AssertionError(f"the server did not log {what} within {LOG_WAIT:.0f} s; "
                                 f"log tail:\n{text[-3000:]}")
        time.sleep(0.1)


def errlog_json(path):
    """conndoctor's JSON for the errlog slice of PATH; skips when the CLI does not have it."""
    harness.need_conndoctor()
    rc, out, err = run_conndoctor(["check", "--only", "errlog", "--error-log", path, "--json"],
                                  timeout=60)
    if rc == 64 and ("errlog" in err or "error-log" in err):
        harness.skip(f"conndoctor check has no errlog slice yet: {err.strip()[:200]}")
    try:
        doc = json.loads(out)
    except ValueError:
        raise AssertionError(f"not JSON (rc={rc}): {out[:400]!r} stderr={err[:400]!r}")
    doc["_rc"] = rc
    return doc


def class_counts(doc):
    """{class token: count} from the errlog class facts."""
    counts = {}
    for f in doc["facts"]:
        if f["section"] == "errlog" and f["fact"] == "class":
            counts[f["values"]["class"]] = f["values"]["events_count"]
    return counts


def finding(doc, code):
    for f in doc["findings"]:
        if f["code"] == code:
            return f
    raise AssertionError(f"no {code} in {[f['code'] for f in doc['findings']]}")


def keep_fixture(src, name):
    if os.environ.get("CD_ERRLOG_REGEN") == "1":
        shutil.copyfile(src, os.path.join(FIXTURES, name))
        print(f"kept {src} as tests/data/errlog/{name}", file=sys.stderr)


# ---------------------------------------------------------------- loopback classes

# What the first test makes happen, and the class each must land in.
WRONG_PASSWORDS = 3
ABORTED_HANDSHAKES = 12   # over MANY (10): a CD6020 pattern
FD2_TEXTS = 2
VANISHED = 3
IDLE_TIMEOUTS = 1
KILLS = 2
REFUSED = 3
MAX_CONNECTIONS = 10


class ErrorLogLoopback(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        harness.need_binary("mariadbd")
        harness.need_binary("mariadb")
        cls.db = MariaDB(variables={"log_warnings": 4, "max_connections": MAX_CONNECTIONS})
        cls.db.start()
        try:
            cls.log = cls.make_events(cls.db)
            cls.copy = os.path.join(cls.db.dir, "error-copy.log")
            shutil.copyfile(cls.db.error_log, cls.copy)
            keep_fixture(cls.copy, "mariadb-10.11-real.log")
        except BaseException:
            cls.db.stop()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.db.stop()

    @staticmethod
    def make_events(db):
        import subprocess
        h, p, u, pw = db.host, db.port, db.user, db.password

        # wrong passwords: the real client, the password in a 0600 option file
        bad = db.client_cnf(password="bad")
        for _ in range(WRONG_PASSWORDS):
            r = subprocess.run(["mariadb", f"--defaults-file={bad}", "--protocol=TCP",
                                "--connect-timeout=5", "-e", "SELECT 1"],
                               capture_output=True, text=True, timeout=30)
            assert r.returncode != 0 and "1045" in r.stderr, r.stderr
        # handshakes aborted after the greeting (a TCP health check)
        for _ in range(ABORTED_HANDSHAKES):
            assert abort_handshake(h, p) == 0
        # the fd 2 text: a logged-in client whose stream gets a stderr line
        for _ in range(FD2_TEXTS):
            s = login(u, pw, h, p)
            s.sendall(b"Warning: text\n")
            try:
                _, body = read_packet(s)
                assert body[0] == 0xFF and server_error(body)[0] == 1156, body
            except (EOFError, ConnectionResetError):
                pass  # the server may close (or reset) before its ERR is read
            s.close()
        # logged-in clients that close without COM_QUIT
        for _ in range(VANISHED):
            login(u, pw, h, p).close()
        # an idle session past wait_timeout
        s = login(u, pw, h, p)
        query(s, "SET SESSION wait_timeout = 1")
        wait_for(db.error_log, lambda t: "Got timeout reading communication packets" in t,
                 "the wait_timeout abort")
        s.close()
        # killed sessions: KILL from another connection
        for _ in range(KILLS):
            s = login(u, pw, h, p)
            db.sql(f"KILL {connection_id(s)}")
            s.close()
        # too many connections: fill max_connections, then the admin's
        # extra one, then the next connects are refused at the greeting
        held = [login(u, pw, h, p) for _ in range(MAX_CONNECTIONS)]
        held.append(login("root", db.root_password, unix=db.socket))
        try:
            for _ in range(REFUSED):
                try:
                    quit_(login(u, pw, h, p))
                    raise AssertionError("a connection over max_connections was accepted")
                except ConnectionRefusedError as e:
                    assert e.args[0] == 1040, e.args
        finally:
            for s in held:
                quit_(s)
        return wait_for(db.error_log,
                        lambda t: t.count("(Too many connections)") >= REFUSED
                        and t.count("(KILLED)") >= KILLS
                        and t.count("without authentication") >= ABORTED_HANDSHAKES
                        and t.count("Got packets out of order") >= FD2_TEXTS,
                        "every event")

    def test_log_has_the_real_texts(self):
        # What MariaDB 10.11 writes, so the classifier is checked against it.
        self.assertEqual(self.log.count("Access denied for user 'conndoctor'@'localhost' "
                                        "(using password: YES)"), WRONG_PASSWORDS)
        self.assertEqual(self.log.count("[ERROR] mariadbd: Got packets out of order"), FD2_TEXTS)
        self.assertIn("host: 'connecting host' (Too many connections)", self.log)

    def test_each_class_counted(self):
        doc = errlog_json(self.copy)
        counts = class_counts(doc)
        expect = {
            "access_denied": WRONG_PASSWORDS,
            "aborted_no_auth": ABORTED_HANDSHAKES,
            "aborted_packets_out_of_order": FD2_TEXTS,
            "aborted_read_error": VANISHED,
            "aborted_read_timeout": IDLE_TIMEOUTS,
            "aborted_killed": KILLS,
            "too_many_connections": REFUSED,
            "server_start": 1,
            "server_ready": 1,
        }
        for cls, n in expect.items():
            self.assertEqual(counts.get(cls), n, f"{cls}: {counts}")
        self.assertNotIn("aborted_other", counts)
        self.assertNotIn("host_blocked", counts)

    def test_findings(self):
        doc = errlog_json(self.copy)
        f = finding(doc, "CD6020")
        self.assertEqual(f["severity"], "warning")  # loopback: never blocked
        self.assertEqual(f["data"]["top_host_preauth"], ABORTED_HANDSHAKES)
        self.assertIn("localhost", f["summary"])
        self.assertEqual(finding(doc, "CD6022")["data"]["count"], FD2_TEXTS)
        self.assertEqual(finding(doc, "CD6023")["data"]["count"], IDLE_TIMEOUTS)
        self.assertEqual(finding(doc, "CD6025")["data"]["count"], WRONG_PASSWORDS)
        self.assertIn("conndoctor@localhost 3", finding(doc, "CD6025")["evidence"])
        tmc = finding(doc, "CD6026")
        self.assertEqual((tmc["severity"], tmc["data"]["count"]), ("critical", REFUSED))
        self.assertEqual(finding(doc, "CD6030")["data"]["count"], KILLS)
        self.assertEqual(finding(doc, "CD6021")["data"]["count"], VANISHED)
        codes = {f["code"] for f in doc["findings"]}
        self.assertFalse(codes & {"CD6027", "CD6028", "CD6029", "CD6032", "CD6033"}, codes)
        self.assertEqual(doc["_rc"], 2)  # a critical finding
        # when each class started: a real time within this run
        first = finding(doc, "CD6026")["data"]["first_seen_epoch"]
        self.assertLess(abs(first - time.time()), 600)


# ---------------------------------------------------------------- server-side DNS, blocked host

SERVER, CLIENT, NAMED, UNRESOLVED, LIAR = "10.213.51.1", "10.213.51.2", "10.213.51.2", \
    "10.213.51.3", "10.213.51.4"
LIAR_NAME, LIAR_FORWARD = "liar.lab", "10.213.51.9"
MAX_CONNECT_ERRORS = 3

# A PTR-only DNS server for the server namespace's resolver: LIAR's address
# has a PTR to LIAR_NAME (whose address, from /etc/hosts, is elsewhere);
# every other query gets REFUSED, so glibc reports a temporary failure.
PTR_SERVER = r"""
import socket, sys
ptr_for, name = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 53))
s.settimeout(120)
want = ".".join(reversed(ptr_for.split("."))) + ".in-addr.arpa"
while True:
    try:
        q, peer = s.recvfrom(512)
    except socket.timeout:
        break
    i, labels = 12, []
    while i < len(q) and q[i]:
        labels.append(q[i + 1:i + 1 + q[i]].decode(errors="replace")); i += q[i] + 1
    qtype = q[i + 1:i + 3]
    question = q[12:i + 5]
    if ".".join(labels).lower() == want and qtype == b"\x00\x0c":
        rdata = b"".join(bytes([len(p)]) + p.encode() for p in name.split(".")) + b"\0"
        answer = b"\xc0\x0c\x00\x0c\x00\x01\x00\x00\x00\x3c" + len(rdata).to_bytes(2, "big") + rdata
        s.sendto(q[:2] + b"\x85\x80\x00\x01\x00\x01\x00\x00\x00\x00" + question + answer, peer)
    else:
        s.sendto(q[:2] + b"\x81\x85\x00\x01\x00\x00\x00\x00\x00\x00" + question, peer)
"""

# Runs in the client namespace: aborted handshakes from given source addresses.
CLIENT_SCRIPT = r"""
import socket, struct, sys
host, port = sys.argv[1], int(sys.argv[2])
for spec in sys.argv[3:]:
    src, n = spec.split(":")
    for i in range(int(n)):
        s = socket.create_connection((host, port), timeout=20, source_address=(src, 0))
        hdr = b""
        while len(hdr) < 4:
            c = s.recv(4 - len(hdr))
            if not c: break
            hdr += c
        body = s.recv(65536)
        code = struct.unpack("<H", body[1:3])[0] if body[:1] == b"\xff" else 0
        print(src, i, code, flush=True)
        # Abort the handshake, then wait for the server's close: it counts the
        # error against max_connect_errors before closing, so the next connect
        # sees the count (without this, a busy server may count it too late).
        s.shutdown(socket.SHUT_WR)
        while s.recv(4096):
            pass
        s.close()
"""


class ErrorLogServerDNS(unittest.TestCase):
    """mysqld's own name resolution (skip_name_resolve=OFF) against a broken
    resolver, a PTR that does not resolve back, and a host blocked by
    max_connect_errors; the server and its clients in lab namespaces."""

    def test_dns_classes_and_blocked_host(self):
        from harness.lab import Lab
        harness.need_binary("mariadbd")
        with Lab() as lab:
            s = lab.ns("srv")
            c = lab.ns("cli")
            _, if_c = lab.link(s, c, SERVER, CLIENT, prefix=24)
            for a in (UNRESOLVED, LIAR):
                lab.run(c, ["ip", "addr", "add", f"{a}/24", "dev", if_c])
            lab.netns_file(s, "hosts", f"127.0.0.1 localhost\n{NAMED} goodclient\n"
                                       f"{LIAR_FORWARD} {LIAR_NAME}\n")
            lab.resolv_conf(s, "nameserver 127.0.0.1\noptions timeout:1 attempts:1\n")
            dns = lab.popen(s, [sys.executable, "-c", PTR_SERVER, LIAR, LIAR_NAME])
            db = lab.mariadb(s, SERVER, variables={"log_warnings": 4,
                                                   "max_connect_errors": MAX_CONNECT_ERRORS})
            r = lab.run(c, [sys.executable, "-c", CLIENT_SCRIPT, SERVER, db.port,
                            f"{NAMED}:{MAX_CONNECT_ERRORS + 2}", f"{UNRESOLVED}:2", f"{LIAR}:2"],
                        timeout=120)
            codes = [line.split() for line in r.stdout.splitlines()]
            named = [int(x[2]) for x in codes if x[0] == NAMED]
            # the host is blocked after max_connect_errors aborted handshakes
            self.assertEqual(named, [0] * MAX_CONNECT_ERRORS + [1129, 1129], r.stdout)
            log = wait_for(db.error_log,
                           lambda t: t.count(f"IP address '{UNRESOLVED}' could not be resolved") >= 2
                           and f"Hostname '{LIAR_NAME}' does not resolve to '{LIAR}'" in t
                           and t.count(f"host: '{LIAR}'") + t.count(f"host: '{LIAR_NAME}'") >= 2,
                           "the resolver warnings")
            dns.terminate()
            copy = os.path.join(db.dir, "error-copy.log")
            shutil.copyfile(db.error_log, copy)
            keep_fixture(copy, "mariadb-10.11-dns-real.log")
            # MariaDB 10.11 does not log "is blocked": the refusal shows only
            # as a pre-login abort under the bare address
            self.assertNotIn("is blocked", log)
            doc = errlog_json(copy)
        counts = class_counts(doc)
        self.assertEqual(counts.get("ip_not_resolved"), 2, counts)
        self.assertGreaterEqual(counts.get("hostname_mismatch", 0), 1, counts)
        self.assertEqual(counts.get("aborted_no_auth"), MAX_CONNECT_ERRORS + 2 + 2 + 2, counts)
        self.assertIn(UNRESOLVED, finding(doc, "CD6028")["evidence"])
        self.assertIn(LIAR, finding(doc, "CD6029")["evidence"])


if __name__ == "__main__":
    harness.run_tests(globals())
