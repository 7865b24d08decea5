"""Lab: `conndoctor check`'s census and fds slices in namespaces made here.
(a) a client namespace with ip_local_port_range narrowed to 40000-40100
    and a connect/close loop (client closes first) against a listener in a
    server namespace: 100 or 101 connects work, the next fails with errno
    99; the census counts the TIME_WAIT and names the exhausted
    destination;
(b) the fd2client fixture holding a connection to a harness MariaDB on fd 2
    (over TCP from a client namespace, and over mysqld's Unix socket) is
    flagged with its pid;
(c) a healthy pair (MariaDB and an idle mariadb client) gives no warning;
(d) a listener that never accepts, with five clients: its full accept queue
    is critical and the drop counters, sampled 2 s apart, rise.
Tolerances: TIME_WAIT counts within 6 of the ports held (the server may not
have closed the last few yet), connects before errno 99: 100 to 120 (see
the test); the ports in use (the connects, at most the range's 101) and
pids exact."""
import json
import os
import select
import shutil
import subprocess
import tempfile
import time
import unittest

import harness
from harness import run_conndoctor
from harness.lab import Lab

CLIENT, SERVER = "10.213.9.1", "10.213.9.2"
MY_CODES = {"CD1002", "CD3040", "CD3041", "CD3042", "CD3043", "CD3044",
            "CD3045", "CD3046"}
NO_DNS = {"skip_name_resolve": "ON"}

# A listener that reads each connection to EOF, then closes: the client's
# close comes first, so TIME_WAIT sits on the client.
CLOSE_AFTER_CLIENT = """
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], 3306))
s.listen(512)
print("listening", flush=True)
while True:
    c, _ = s.accept()
    while c.recv(4096):
        pass
    c.close()
"""

# Connect and close up to 300 times; stops at the first failure.
CONNECT_LOOP = """
import json, socket, sys
ok, err = 0, None
for i in range(300):
    s = socket.socket()
    try:
        s.connect((sys.argv[1], 3306))
    except OSError as e:
        err = e.errno
        s.close()
        break
    s.close()
    ok += 1
print(json.dumps({"ok": ok, "errno": err}))
"""

ONE_CONNECT = """
import socket, sys
s = socket.socket()
try:
    s.connect((sys.argv[1], 3306))
    print(0)
except OSError as e:
    print(e.errno)
"""


def check(ns, *args, timeout=60):
    rc, out, err = run_conndoctor(["check", "--json", "--no-dns", *args], ns=ns,
                                  timeout=timeout)
    try:
        doc = json.loads(out)
    except ValueError:
        raise AssertionError(f"not JSON (rc={rc}): {out[:300]!r} {err[-500:]!r}")
    return rc, doc


def findings(doc, code):
    return [f for f in doc["findings"] if f["code"] == code]


def finding(doc, code):
    fs = findings(doc, code)
    if not fs:
        raise AssertionError(f"no {code} in {[f['code'] for f in doc['findings']]}")
    return fs[0]


def fact(doc, section, key):
    """The values of the fact section/key."""
    for f in doc["facts"]:
        if f["section"] == section and f["key"] == key:
            return f["values"]
    raise AssertionError(f"no fact {section}/{key}")


def time_wait_client(doc):
    return fact(doc, "census", "time_wait")["client_count"]


def fd2client_path():
    """The fixture built by CMake beside conndoctor, else built here."""
    built = os.path.join(os.path.dirname(harness.conndoctor_path()), "tests", "fixtures",
                         "fd2client", "fd2client")
    if os.access(built, os.X_OK):
        return built
    cc = shutil.which("cc") or harness.skip("fd2client not built and no cc")
    out = os.path.join(tempfile.mkdtemp(prefix="cd-fd2client-"), "fd2client")
    harness.add_cleanup(lambda: shutil.rmtree(os.path.dirname(out), ignore_errors=True))
    src = os.path.join(harness.REPO_ROOT, "tests", "fixtures", "fd2client", "fd2client.c")
    subprocess.run([cc, "-O1", "-o", out, src], check=True, timeout=60)
    return out


def read_line(p, timeout):
    """A line of p's stdout within timeout seconds (bounded), else fail."""
    r, _, _ = select.select([p.stdout], [], [], timeout)
    if not r:
        raise AssertionError(f"no output from pid {p.pid} in {timeout} s")
    return p.stdout.readline().strip()


def start_fd2client(lab, ns, args):
    p = lab.popen(ns, [fd2client_path(), *map(str, args), 60], stdout=subprocess.PIPE,
                  text=True)
    pid = int(read_line(p, 10))
    line = read_line(p, 30)
    if not line.startswith("fd 2 greeting"):
        raise AssertionError(f"fd2client: {line!r}")
    # `ip netns exec` execs the command: same pid.
    return p, pid


class PortExhaustion(unittest.TestCase):
    def test_narrow_range_time_wait(self):
        with Lab() as lab:
            c, s = lab.ns("c"), lab.ns("s")
            lab.link(c, s, CLIENT, SERVER)
            lab.sysctl(c, "net.ipv4.ip_local_port_range", "40000 40100")
            srv = lab.popen(s, ["python3", "-c", CLOSE_AFTER_CLIENT, SERVER],
                            stdout=subprocess.PIPE, text=True)
            self.assertEqual(read_line(srv, 10), "listening")
            loop = json.loads(lab.run(c, ["python3", "-c", CONNECT_LOOP, SERVER],
                                      timeout=60).stdout)
            # 101 ports, mostly 101 connects; but connect() scans an even
            # count of ports from a moving offset, so one port of an odd
            # range can stay out of reach (100, seen in CI), and a few
            # more get through when ports come free early (up to 113 seen
            # on a machine under heavy load); the range is spent either way.
            self.assertEqual(loop["errno"], 99)
            self.assertGreaterEqual(loop["ok"], 100)
            self.assertLessEqual(loop["ok"], 120)
            held = min(loop["ok"], 101)
            # Let the server's FINs turn FIN_WAIT2 into TIME_WAIT (bounded).
            deadline = time.monotonic() + 10
            while True:
                rc, doc = check(c, "--only", "census")
                if time_wait_client(doc) >= held or time.monotonic() > deadline:
                    break
                time.sleep(0.2)
            # A connect now still fails with EADDRNOTAVAIL.
            errno_now = int(lab.run(c, ["python3", "-c", ONE_CONNECT, SERVER]).stdout)
            prc, pout, perr = run_conndoctor(["probe", "--json", "--no-defaults", "-u", "x",
                                              "-h", SERVER, "-n", "1"], ns=c, timeout=30)
        self.assertEqual(errno_now, 99)
        self.assertEqual(json.loads(pout)["summary"]["outcomes"],
                         {"local_ports_exhausted": 1}, perr)
        self.assertAlmostEqual(time_wait_client(doc), held, delta=6)
        self.assertEqual(fact(doc, "census", "ip_local_port_range"),
                         {"port_lo": 40000, "port_hi": 40100, "ports_count": 101})
        f = finding(doc, "CD3045")
        self.assertEqual(f["severity"], "critical")
        d = f["data"]
        self.assertEqual(d["ports_in_use"], held)
        self.assertEqual(d["range_size"], 101)
        self.assertEqual((d["port_lo"], d["port_hi"]), (40000, 40100))
        self.assertEqual(d["dport"], 3306)
        self.assertAlmostEqual(d["time_wait"], held, delta=6)
        self.assertIn(f"{SERVER}:3306 from {CLIENT}", f["summary"])
        self.assertIn("errno 99", f["summary"])
        f = finding(doc, "CD3044")
        self.assertEqual(f["severity"], "warning")
        self.assertAlmostEqual(f["data"]["time_wait"], held, delta=6)
        self.assertEqual(f["data"]["range_size"], 101)
        self.assertAlmostEqual(f["data"]["share_pct"], 100, delta=6)
        self.assertEqual(len(findings(doc, "CD3045")), 1)
        self.assertEqual(rc, 2)
        self.assertEqual(doc["exit_status"], 2)


# A listener that never accepts: listen(1) queues backlog + 1 connections.
NEVER_ACCEPT = """
import socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], 3306))
s.listen(1)
print("listening", flush=True)
time.sleep(60)
"""

# Starts 5 connects without waiting for them, then holds the sockets.
FIVE_CONNECTS = """
import socket, sys, time
socks = []
for i in range(5):
    s = socket.socket()
    s.setblocking(False)
    s.connect_ex((sys.argv[1], 3306))
    socks.append(s)
print("started", flush=True)
time.sleep(60)
"""


class AcceptQueue(unittest.TestCase):
    def test_full_queue_and_rising_drops(self):
        with Lab() as lab:
            c, s = lab.ns("c"), lab.ns("s")
            lab.link(c, s, CLIENT, SERVER)
            srv = lab.popen(s, ["python3", "-c", NEVER_ACCEPT, SERVER],
                            stdout=subprocess.PIPE, text=True)
            self.assertEqual(read_line(srv, 10), "listening")
            cli = lab.popen(c, ["python3", "-c", FIVE_CONNECTS, SERVER],
                            stdout=subprocess.PIPE, text=True)
            self.assertEqual(read_line(cli, 10), "started")
            time.sleep(0.5)
            # The other three clients' SYNs are dropped and retransmitted
            # (1 s apart at first): the drop counters rise meanwhile.
            rc, doc = check(s, "--only", "census", "--interval", "2")
        f = finding(doc, "CD3040")
        self.assertEqual(f["severity"], "critical")
        self.assertEqual(f["data"]["accept_queue"], 2)  # backlog + 1
        self.assertEqual(f["data"]["backlog"], 1)
        self.assertEqual(f["data"]["port"], 3306)
        self.assertIn(f"{SERVER}:3306", f["summary"])
        f = finding(doc, "CD3041")
        self.assertEqual(f["severity"], "warning")
        self.assertEqual(f["data"]["interval_s"], 2)
        self.assertGreater(f["data"]["listen_overflows_per_s"], 0)
        self.assertGreaterEqual(f["data"]["listen_overflows"], 3)  # one SYN each at least
        lo = fact(doc, "census", "TcpExt.ListenOverflows")
        self.assertEqual(lo["interval_s"], 2)
        self.assertGreater(lo["rate_per_s"], 0)
        self.assertEqual(rc, 2)


class Fd2(unittest.TestCase):
    def test_fd2_over_tcp(self):
        with Lab() as lab:
            c, s = lab.ns("c"), lab.ns("s")
            lab.link(c, s, CLIENT, SERVER)
            db = lab.mariadb(s, SERVER, variables=NO_DNS)
            p, pid = start_fd2client(lab, c, [SERVER, db.port])
            rc, doc = check(c, "--only", "census,fds", "-P", db.port)
        mine = [f for f in findings(doc, "CD1002") if f["data"]["pid"] == pid]
        self.assertEqual(len(mine), 1, doc["findings"])
        f = mine[0]
        self.assertEqual(f["severity"], "critical")
        self.assertEqual(f["data"]["fd"], 2)
        self.assertIn(f"fd2client (pid {pid})", f["summary"])
        self.assertIn(f"/proc/{pid}/fd/2 -> socket:[{int(f['data']['inode'])}]", f["evidence"])
        self.assertIn(f"{SERVER}:{db.port} ESTABLISHED", f["evidence"])
        holder = fact(doc, "fds", f"pid {pid} fd 2")
        self.assertEqual((holder["comm"], holder["pid"], holder["fd"]), ("fd2client", pid, 2))
        self.assertEqual((holder["transport"], holder["role"]), ("tcp", "ESTABLISHED"))
        self.assertEqual(rc, 2)

    def test_fd2_over_unix_socket(self):
        with Lab() as lab:
            s = lab.ns("s")
            db = lab.mariadb(s, "127.0.0.1", variables=NO_DNS)
            p, pid = start_fd2client(lab, s, ["-S", db.socket])
            rc, doc = check(s, "--only", "census,fds", "-P", db.port, "-S", db.socket)
        mine = [f for f in findings(doc, "CD1002") if f["data"]["pid"] == pid]
        self.assertEqual(len(mine), 1, doc["findings"])
        self.assertEqual(mine[0]["data"]["fd"], 2)
        self.assertIn(f"unix {db.socket}, client end", mine[0]["evidence"])
        # mysqld's own ends of its socket are never flagged.
        self.assertEqual([f["data"]["pid"] for f in findings(doc, "CD1002")], [pid])
        self.assertEqual(fact(doc, "census", "unix_socket")["listeners_count"], 1)
        self.assertEqual(rc, 2)


class Healthy(unittest.TestCase):
    def test_no_false_alarm(self):
        with Lab() as lab:
            c, s = lab.ns("c"), lab.ns("s")
            lab.link(c, s, CLIENT, SERVER)
            db = lab.mariadb(s, SERVER, variables=NO_DNS)
            cli = lab.popen(c, db.client_argv("-e", "SELECT SLEEP(30)"),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            # Bounded wait until the client's connection is established.
            deadline = time.monotonic() + 15
            while True:
                rc, cdoc = check(c, "--only", "census,fds", "-P", db.port)
                if "tcp.ESTABLISHED" in {f["key"] for f in cdoc["facts"]} or \
                        time.monotonic() > deadline:
                    break
                time.sleep(0.2)
            src, sdoc = check(s, "--only", "census,fds", "-P", db.port, "-S", db.socket)
            self.assertIsNone(cli.poll(), "the idle client must still run")
        for doc, where in ((cdoc, "client"), (sdoc, "server")):
            bad = [f for f in doc["findings"] if f["code"] in MY_CODES
                   and f["severity"] != "info"]
            self.assertEqual(bad, [], f"{where}: {bad}")
        # Not vacuous: both ends saw the connection and its holder.
        counts = ("sockets_count", "client_count", "server_count")
        est = fact(cdoc, "census", "tcp.ESTABLISHED")
        self.assertEqual(tuple(est[k] for k in counts), (1, 1, 0))
        est = fact(sdoc, "census", "tcp.ESTABLISHED")
        self.assertEqual(tuple(est[k] for k in counts), (1, 0, 1))
        self.assertEqual(fact(cdoc, "fds", "mysql_sockets")["client_ends_count"], 1)
        self.assertEqual(fact(sdoc, "census", "unix_socket")["listeners_count"], 1)
        self.assertEqual((rc, src), (0, 0))


if __name__ == "__main__":
    harness.need_conndoctor()
    harness.run_tests(globals())
