"""Self-test of harness/lab.py: namespaces, veth, blackhole, isolation, refusals, MariaDB, cleanup."""

import os
import signal
import subprocess
import sys
import textwrap
import time
import unittest

import harness
from harness import LAB_RANGE, need_binary, need_netns, need_root, run_tests
from harness.lab import Lab, LabError, blackhole_present, _state_files

need_root()
need_netns()
for _binary in ("ping", "iptables", "sysctl", "mariadbd", "mariadb-install-db", "mariadb"):
    need_binary(_binary)

PREFIX = f"cdl{os.getpid() % 100000}-"
TESTS_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def netns_list():
    r = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True, timeout=10)
    return [line.split()[0] for line in r.stdout.splitlines() if line.strip()]


def root_sysctl(key):
    with open("/proc/sys/" + key.replace(".", "/")) as f:
        return f.read().strip()


def route_should_be_gone():
    # Another Lab (another test process) may legitimately hold the route.
    return not _state_files()


class LabBasics(unittest.TestCase):
    def setUp(self):
        self.route_before = blackhole_present()

    def test_link_ping_route_and_cleanup(self):
        with Lab() as lab:
            a, b = lab.ns("a"), lab.ns("b")
            self.assertTrue(a.startswith(PREFIX) and b.startswith(PREFIX))
            if_a, if_b = lab.link(a, b, "10.213.1.1", "10.213.1.2")
            self.assertLessEqual(max(len(if_a), len(if_b)), 15)
            self.assertTrue(lab.ping_ok(a, "10.213.1.2"))
            self.assertTrue(lab.ping_ok(b, "10.213.1.1"))
            # The root namespace cannot reach the lab range: blackhole.
            self.assertTrue(blackhole_present())
            r = subprocess.run(["ip", "route", "get", "10.213.9.9"], capture_output=True, text=True, timeout=10)
            self.assertTrue(r.returncode != 0 or "blackhole" in r.stdout or "unreachable" in r.stdout,
                            f"root route to the lab range: {r.stdout}{r.stderr}")
            r = subprocess.run(["ip", "route", "show", "type", "blackhole"], capture_output=True, text=True,
                               timeout=10)
            self.assertIn(f"blackhole {LAB_RANGE}", r.stdout)
            self.assertEqual(sorted(n for n in netns_list() if n.startswith(PREFIX)), sorted([a, b]))
        self.assertEqual([n for n in netns_list() if n.startswith(PREFIX)], [])
        if not self.route_before and route_should_be_gone():
            self.assertFalse(blackhole_present(), "blackhole route left behind")

    def test_sysctl_is_per_namespace(self):
        key = "net.ipv4.ip_local_port_range"
        root_before = root_sysctl(key)
        with Lab() as lab:
            c = lab.ns("c")
            lab.sysctl(c, key, "40000 40100")
            self.assertEqual(lab.sysctl_get(c, key).split(), ["40000", "40100"])
            self.assertEqual(root_sysctl(key), root_before)
        self.assertEqual(root_sysctl(key), root_before)

    def test_iptables_drop_in_namespace(self):
        with Lab() as lab:
            a, b = lab.ns("a"), lab.ns("b")
            lab.link(a, b, "10.213.2.1", "10.213.2.2")
            self.assertTrue(lab.ping_ok(a, "10.213.2.2"))
            lab.iptables(b, "-A", "INPUT", "-p", "icmp", "-j", "DROP")
            t0 = time.monotonic()
            self.assertFalse(lab.ping_ok(a, "10.213.2.2"))
            self.assertLess(time.monotonic() - t0, 5)
            lab.iptables(b, "-D", "INPUT", "-p", "icmp", "-j", "DROP")
            self.assertTrue(lab.ping_ok(a, "10.213.2.2"))
            # The rule lived in b only: the root namespace has no such rule.
            r = subprocess.run(["iptables", "-S", "INPUT"], capture_output=True, text=True, timeout=10)
            self.assertNotIn("icmp", r.stdout)

    def test_refusals(self):
        with Lab() as lab:
            a, b = lab.ns("a"), lab.ns("b")
            with self.assertRaises(LabError):
                lab.run("not-a-lab-ns", ["true"])
            with self.assertRaises(LabError):
                lab.popen("not-a-lab-ns", ["true"])
            with self.assertRaises(LabError):
                lab.sysctl("not-a-lab-ns", "net.ipv4.tcp_syn_retries", 2)
            with self.assertRaises(LabError):
                lab.link(a, b, "192.0.2.10", "192.0.2.11")  # outside the lab range
            with self.assertRaises(LabError):
                lab.link(a, b, "10.213.3.1", "10.213.3.2", prefix=8)  # network wider than the range
            with self.assertRaises(ValueError):
                harness.run_conndoctor(["check", "10.213.3.2"])  # lab address from the root namespace
            with self.assertRaises(ValueError):
                harness.run_conndoctor(["check"], ns="not-a-lab-ns")
            self.assertEqual(lab.run(a, ["true"]).returncode, 0)
        with self.assertRaises(LabError):
            lab.run(a, ["true"])  # closed: no longer a lab namespace

    def test_resolv_conf_and_processes(self):
        with Lab() as lab:
            a = lab.ns("a")
            path = lab.resolv_conf(a, "nameserver 10.213.4.53\noptions timeout:1 attempts:1\n")
            self.assertEqual(lab.run(a, ["cat", "/etc/resolv.conf"]).stdout.split("\n")[0],
                             "nameserver 10.213.4.53")
            p = lab.popen(a, ["sleep", "60"])
            deadline = time.monotonic() + 5  # `ip netns exec` needs a moment to enter the namespace
            while p.pid not in lab.pids_in(a) and time.monotonic() < deadline:
                time.sleep(0.02)
            self.assertIn(p.pid, lab.pids_in(a))
            with self.assertRaises(subprocess.TimeoutExpired):
                lab.run(a, ["sleep", "10"], timeout=0.5)
        self.assertIsNotNone(p.poll(), "tracked process not ended")
        self.assertFalse(os.path.exists(os.path.dirname(path)))


class LabMariaDB(unittest.TestCase):
    def test_server_in_namespace_reached_from_other_namespace(self):
        with Lab() as lab:
            cli, srv = lab.ns("cli"), lab.ns("srv")
            lab.link(cli, srv, "10.213.5.1", "10.213.5.2")
            t0 = time.monotonic()
            db = lab.mariadb(srv, "10.213.5.2", variables={"max_connections": 20})
            print(f"\n  (namespace server started in {time.monotonic() - t0:.2f} s)", flush=True)
            self.assertEqual((db.host, db.port), ("10.213.5.2", 3306))
            self.assertIn(db.pid, lab.pids_in(srv))
            query = ("SELECT USER(), HOST, @@max_connections FROM information_schema.PROCESSLIST "
                     "WHERE ID = CONNECTION_ID()")
            r = lab.run(cli, db.client_argv("-N", "-B", "--connect-timeout=5"), input=query, timeout=20)
            user, host, maxconn = r.stdout.strip().split("\t")
            self.assertTrue(user.startswith("conndoctor@"), user)
            self.assertTrue(host.startswith("10.213.5.1:"), host)  # came over the veth
            self.assertEqual(maxconn, "20")
            # The harness still manages it over the socket from the root namespace.
            self.assertEqual(db.sql("SELECT 1", user="conndoctor"), [("1",)])
            self.assertGreaterEqual(db.status("Connections"), 2)
            d, pid = db.dir, db.pid
        self.assertIsNone(harness.proc_starttime(pid))
        self.assertFalse(os.path.exists(d))


CHILD = textwrap.dedent("""
    import sys, time
    from harness.lab import Lab
    lab = Lab().__enter__()
    a = lab.ns("x")
    p = lab.popen(a, ["sleep", "300"])
    print(a, p.pid, flush=True)
    time.sleep(120)
""")


class LabInterrupted(unittest.TestCase):
    def _child(self):
        env = dict(os.environ, PYTHONPATH=TESTS_DIR)
        child = subprocess.Popen([sys.executable, "-c", CHILD], stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True, env=env)
        line = child.stdout.readline().split()  # bounded by the child's own sleep
        self.assertEqual(len(line), 2, "child lab did not start")
        return child, line[0], int(line[1])

    def _wait_gone(self, pid, seconds=10):
        deadline = time.monotonic() + seconds
        while harness.proc_starttime(pid) is not None and time.monotonic() < deadline:
            time.sleep(0.05)
        return harness.proc_starttime(pid) is None

    def test_sigterm_cleans_up(self):
        child, ns, sleeper = self._child()
        try:
            self.assertIn(ns, netns_list())
            child.send_signal(signal.SIGTERM)
            _, err = child.communicate(timeout=30)
            self.assertIn("cleaning up", err)
        finally:
            harness.end_process(child)
        self.assertNotIn(ns, netns_list())
        self.assertTrue(self._wait_gone(sleeper))

    def test_sigkill_swept_by_next_lab(self):
        child, ns, sleeper = self._child()
        try:
            child.kill()
            child.communicate(timeout=30)
        finally:
            harness.end_process(child)
        self.assertTrue(self._wait_gone(sleeper), "PDEATHSIG did not end the child's process")
        self.assertIn(ns, netns_list())  # nobody could clean up yet
        with Lab():
            self.assertNotIn(ns, netns_list())  # swept on entry


if __name__ == "__main__":
    run_tests(globals())
    sys.exit(1)  # not reached
