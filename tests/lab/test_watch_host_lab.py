"""Lab: the host gauges of `conndoctor watch` (docs/watch.md, "Host
gauges") against what `ss` says in the same namespace, at the same moment.

One namespace holds a harness MariaDB on 127.0.0.1:3306, and a helper
process (HOLDER below) with: a sink listener that accepts and holds
connections, 40 connections to it held open and 25 closed by the client
(TIME_WAIT on the client side), a listener with a backlog of 2 that never
accepts and 6 connects queued on it (its accept queue full), and a `sleep`
child holding a connection to the sink on its stdin. watch probes the three
ports (the sink and the stuck listener every 30 s, so that its own
attempts hardly move the counts). Expected: ports in use and TIME_WAIT
towards the sink as ss counts them (within 2, watch's own probe), the stuck
listener's queue and limit as ss reads them, one process with a MySQL
connection on fd 0-2, the port range's size; no stateful-only return path,
then, once iptables accepts 3306's replies only as ESTABLISHED, the
MariaDB destination's one (CD4001) and still not the sink's."""
import os
import subprocess
import tempfile
import time
import unittest
import urllib.request

import harness
from harness.lab import Lab

SINK, STUCK = 3401, 3402
HELD, CLOSED, QUEUED = 40, 25, 6

HOLDER = f"""
import ctypes, socket, subprocess, sys, threading
sink = socket.socket(); sink.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
sink.bind(("127.0.0.1", {SINK})); sink.listen(256)
stuck = socket.socket(); stuck.bind(("127.0.0.1", {STUCK})); stuck.listen(2)
kept = []
def serve():
    while True:
        c, _ = sink.accept()
        kept.append(c)
        threading.Thread(target=lambda c=c: (c.recv(1), c.close()), daemon=True).start()
threading.Thread(target=serve, daemon=True).start()
held = [socket.create_connection(("127.0.0.1", {SINK})) for _ in range({HELD})]
for _ in range({CLOSED}):
    s = socket.create_connection(("127.0.0.1", {SINK}))
    s.close()
queued = []
for _ in range({QUEUED}):
    s = socket.socket(); s.setblocking(False)
    s.connect_ex(("127.0.0.1", {STUCK})); queued.append(s)
child = socket.create_connection(("127.0.0.1", {SINK}))
die = lambda: ctypes.CDLL(None).prctl(1, 9)  # PR_SET_PDEATHSIG, SIGKILL
sleeper = subprocess.Popen(["sleep", "600"], stdin=child.fileno(), stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, preexec_fn=die)
print("ready", flush=True)
sys.stdin.read()
sleeper.kill()
"""


def metrics(text):
    out = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            k, v = line.rsplit(" ", 1)
            out[k] = float(v)
    return out


class WatchHostGauges(unittest.TestCase):
    def test_gauges_match_ss(self):
        harness.need_conndoctor()
        with Lab() as lab:
            ns = lab.ns("h")
            lab.run(ns, ["ip", "link", "set", "lo", "up"])
            db = lab.mariadb(ns, "127.0.0.1", port=3306, name="h",
                             variables={"skip_name_resolve": 1})
            d = tempfile.mkdtemp(prefix="cd-hostlab-")
            lab.tmpdirs.append(d)
            pw = os.path.join(d, "pw")
            with open(pw, "w") as f:
                f.write(db.password + "\n")
            os.chmod(pw, 0o600)
            holder = lab.popen(ns, ["python3", "-c", HOLDER], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, text=True)
            self.assertEqual(holder.stdout.readline().strip(), "ready")
            time.sleep(1)  # the closed ones reach TIME_WAIT
            cnf = os.path.join(d, "watch.cnf")
            with open(cnf, "w") as f:
                f.write(f"""[watch]
user = {db.user}
password-file = {pw}
socket-beside = off

[target db]
host = 127.0.0.1
port = 3306
interval = 1
timeout = 800ms

[target sink]
host = 127.0.0.1
port = {SINK}
interval = 30s
timeout = 1s

[target stuck]
host = 127.0.0.1
port = {STUCK}
interval = 30s
timeout = 1s
""")
            werr = open(os.path.join(d, "watch.err"), "w")
            watch = lab.popen(ns, [harness.conndoctor_path(), "watch", "--config", cnf,
                                   "--listen", "127.0.0.1:9979"], stdout=werr, stderr=werr)

            def scrape():
                if watch.poll() is not None:
                    with open(werr.name) as f:
                        self.fail(f"watch exited {watch.returncode}: {f.read()}")
                r = lab.run(ns, ["curl", "-sf", "http://127.0.0.1:9979/metrics"], check=False)
                return metrics(r.stdout) if r.returncode == 0 else {}

            def ss(*args):
                return lab.run(ns, ["ss", "-Htn", *args]).stdout.splitlines()

            def wait(pred, what, timeout=30):
                deadline = time.monotonic() + timeout
                while time.monotonic() < deadline:
                    m = scrape()
                    if pred(m):
                        return m
                    time.sleep(0.5)
                host = {k: v for k, v in m.items() if not k.startswith(
                    ("conndoctor_attempts", "conndoctor_phase"))}
                self.fail(f"{what} not reached; last: {host}")

            dest = f'destination="127.0.0.1:{SINK}"'
            lis = f'listener="127.0.0.1:{STUCK}"'
            m = wait(lambda m: f'conndoctor_local_ports_in_use{{{dest}}}' in m
                     and f'conndoctor_listener_accept_queue_length{{{lis}}}' in m,
                     "host gauges of every target")
            in_use = m[f'conndoctor_local_ports_in_use{{{dest}}}']
            tw = m[f'conndoctor_local_ports_time_wait{{{dest}}}']
            all_ss = ss("state", "all", "dst", f"127.0.0.1:{SINK}")
            tw_ss = ss("state", "time-wait", "dst", f"127.0.0.1:{SINK}")
            print(f"sink: in use {in_use:.0f} (ss {len(all_ss)}), "
                  f"TIME_WAIT {tw:.0f} (ss {len(tw_ss)})")
            self.assertGreaterEqual(in_use, HELD + CLOSED + 1)
            self.assertLessEqual(abs(in_use - len(all_ss)), 2)
            self.assertGreaterEqual(tw, CLOSED)
            self.assertLessEqual(abs(tw - len(tw_ss)), 2)

            lo, hi = map(int, lab.run(ns, ["cat", "/proc/sys/net/ipv4/ip_local_port_range"])
                         .stdout.split())
            self.assertEqual(m["conndoctor_local_port_range_size"], hi - lo + 1)

            queue = m[f'conndoctor_listener_accept_queue_length{{{lis}}}']
            limit = m[f'conndoctor_listener_accept_queue_limit{{{lis}}}']
            (row,) = ss("-l", "src", f"127.0.0.1:{STUCK}")
            recvq, sendq = map(int, row.split()[1:3])
            print(f"stuck listener: queue {queue:.0f}/{limit:.0f} (ss {recvq}/{sendq})")
            self.assertEqual(limit, 2)
            self.assertEqual(limit, sendq)
            self.assertGreaterEqual(queue, limit)
            self.assertEqual(queue, recvq)
            self.assertEqual(m['conndoctor_listener_accept_queue_length{listener="127.0.0.1:3306"}'], 0)

            self.assertEqual(m["conndoctor_processes_mysql_on_stdio"], 1)

            db_dest = 'destination="127.0.0.1:3306"'
            self.assertEqual(m[f"conndoctor_return_path_stateful_only{{{db_dest}}}"], 0)
            self.assertEqual(m[f"conndoctor_return_path_stateful_only{{{dest}}}"], 0)
            lab.iptables(ns, "-A", "INPUT", "-p", "tcp", "--sport", "3306", "-m", "conntrack",
                         "--ctstate", "ESTABLISHED", "-j", "ACCEPT")
            lab.iptables(ns, "-A", "INPUT", "-p", "tcp", "--sport", "3306", "-j", "DROP")
            m = wait(lambda m: m.get(f"conndoctor_return_path_stateful_only{{{db_dest}}}") == 1,
                     "stateful-only return path", timeout=20)
            self.assertEqual(m[f"conndoctor_return_path_stateful_only{{{dest}}}"], 0)
            # The probes still work: the replies are ESTABLISHED.
            self.assertEqual(m.get('conndoctor_up{target="db",transport="tcp"}'), 1)
            holder.stdin.close()
            holder.wait(10)


if __name__ == "__main__":
    harness.run_tests(globals())
