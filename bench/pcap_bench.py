#!/usr/bin/env python3
"""Benchmarks `conndoctor pcap` against its peers on one capture, in one
run (by hand, as root; prints figures and ratios):

    python3 bench/pcap_bench.py [--size-mb 200] [--capture FILE] [--keep]

1. Makes a capture of at least --size-mb MB of MySQL traffic from a
   throwaway MariaDB (tests/harness) with tcpdump on loopback, into /tmp
   (never the repo): many short connections (`conndoctor probe`: connect,
   login, SELECT 1, quit) plus sessions with result sets (the mariadb
   client reading 10 MB results). --capture reuses a file instead.
2. Times, on that file, `conndoctor pcap FILE --json >/dev/null`,
   `tshark -r FILE -Y mysql` (the MySQL dissector on the server's port)
   and `tcpdump -r FILE -w /dev/null` (the best of --repeat runs; tshark
   once), each one's wall time and peak RSS (GNU time), and prints
   packets/s, MB/s and the ratios.
   Targets: >= 20x tshark's packets/s; within 3x of tcpdump -r -w
   /dev/null; memory bounded by open connections, not by file size.
"""
import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests"))
from harness import conndoctor_path  # noqa: E402
from harness.mariadb import MariaDB  # noqa: E402


def timed(argv, stdout=subprocess.DEVNULL):
    """Runs argv; returns (wall s, peak RSS KiB, exit status, stderr).

    The peak RSS comes from GNU time's %M: a child's ru_maxrss from wait4
    would include the pages of this Python process it was forked from."""
    with tempfile.NamedTemporaryFile("r") as rss:
        t0 = time.monotonic()
        r = subprocess.run(["/usr/bin/time", "-q", "-f", "%M", "-o", rss.name, *argv],
                           stdout=stdout, stderr=subprocess.PIPE)
        wall = time.monotonic() - t0
        kib = int(rss.read().split()[-1])
    return wall, kib, r.returncode, r.stderr.decode(errors="replace")


def packets_in(path):
    """Packet count, from conndoctor's own summary (cross-checked below)."""
    r = subprocess.run(["capinfos", "-c", "-M", path], capture_output=True, text=True)
    for line in r.stdout.splitlines():
        if "Number of packets" in line:
            return int(line.split(":")[1].strip())
    return None


def make_capture(path, size_mb, probe_bin):
    """Records MariaDB traffic on lo until the file holds size_mb MB."""
    target = size_mb * 1024 * 1024
    with MariaDB(variables={"skip_name_resolve": 1, "max_connections": 500,
                            "max_connect_errors": 1000000}, name="pcapbench") as db:
        tcpdump = subprocess.Popen(
            ["tcpdump", "-i", "lo", "-s", "0", "-B", "65536", "-n", "-w", path,
             f"tcp port {db.port}"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        if "listening" not in tcpdump.stderr.readline():
            raise SystemExit("tcpdump did not start")
        stop = threading.Event()
        env = dict(os.environ, MYSQL_PWD=db.password)

        def short_connections():
            while not stop.is_set():
                subprocess.run([probe_bin, "probe", "--no-defaults", "-h", "127.0.0.1", "-P",
                                str(db.port), "-u", db.user, "-n", "2000", "-c", "4",
                                "--json"], env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, timeout=600)

        def result_sets():
            q = "SELECT seq, REPEAT('x', 100) FROM mysql.seq_1_to_100000;\n" * 2
            while not stop.is_set():
                subprocess.run(db.client_argv("--protocol=TCP", "-h", "127.0.0.1", "-P",
                                              str(db.port), "--skip-ssl"),
                               input=q, text=True, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, timeout=600)
                time.sleep(0.2)

        threads = [threading.Thread(target=short_connections),
                   threading.Thread(target=result_sets)]
        for t in threads:
            t.start()
        t0 = time.monotonic()
        try:
            while os.path.getsize(path) < target:
                if time.monotonic() - t0 > 1800:
                    raise SystemExit("capture did not grow to the size asked in 30 min")
                time.sleep(1)
                print(f"\r  capture: {os.path.getsize(path) / 2**20:7.1f} MB", end="",
                      flush=True)
        finally:
            stop.set()
            for t in threads:
                t.join(700)
            time.sleep(1)
            tcpdump.send_signal(signal.SIGINT)
            tcpdump.wait(30)
        print()
        return db.port


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--size-mb", type=int, default=200)
    ap.add_argument("--capture", help="an existing capture (with --port)")
    ap.add_argument("--port", type=int, help="the MySQL server port in --capture")
    ap.add_argument("--conndoctor", default=conndoctor_path(),
                    help="the binary whose `pcap` is measured")
    ap.add_argument("--probe", default=None,
                    help="the binary whose `probe` makes traffic (default --conndoctor)")
    ap.add_argument("--keep", action="store_true", help="keep the capture made")
    ap.add_argument("--no-tshark", action="store_true")
    ap.add_argument("--repeat", type=int, default=3, help="runs per tool (the best is kept)")
    a = ap.parse_args()

    tmp = None
    if a.capture:
        if not a.port:
            raise SystemExit("--capture needs --port")
        path, port = a.capture, a.port
    else:
        if os.geteuid() != 0:
            raise SystemExit("making the capture needs root (tcpdump on lo)")
        tmp = tempfile.mkdtemp(prefix="cd-pcap-bench-", dir="/tmp")
        os.chmod(tmp, 0o777)  # tcpdump writes as its own user
        path = os.path.join(tmp, "bench.pcap")
        print(f"making a {a.size_mb} MB capture in {path}")
        port = make_capture(path, a.size_mb, a.probe or a.conndoctor)
    try:
        size = os.path.getsize(path)
        npkt = packets_in(path)
        mb = size / 1e6
        print(f"capture: {mb:.1f} MB, {npkt} packets, server port {port}")
        runs = []

        def best(name, argv, repeat):
            """The fastest of `repeat` runs (the machine is shared)."""
            res = min((timed(argv) for _ in range(repeat)), key=lambda x: x[0])
            runs.append((name, res[0], res[1], res[2]))
            return res

        # the page cache is warm for every tool
        subprocess.run(["cat", path], stdout=subprocess.DEVNULL)
        best("tcpdump -r -w /dev/null", ["tcpdump", "-r", path, "-w", "/dev/null"], a.repeat)
        w, rss, rc, err = best("conndoctor pcap --json",
                               [a.conndoctor, "pcap", "--port", str(port), "--json", path],
                               a.repeat)
        if rc not in (0, 1, 2):
            raise SystemExit(f"conndoctor pcap failed ({rc}): {err}")
        tail = subprocess.Popen(["tail", "-n", "1"], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, text=True)
        subprocess.run([a.conndoctor, "pcap", "--port", str(port), "--json", path],
                       stdout=tail.stdin)
        tail.stdin.close()
        summary = tail.stdout.read().strip()
        tail.wait()
        best("conndoctor pcap (text)", [a.conndoctor, "pcap", "--port", str(port), path],
             a.repeat)
        if not a.no_tshark and shutil.which("tshark"):
            best("tshark -r -Y mysql", ["tshark", "-n", "-r", path, "-d",
                                        f"tcp.port=={port},mysql", "-Y", "mysql"], 1)
        print(f"\n{'tool':<26} {'wall_s':>8} {'pkts/s':>12} {'MB/s':>8} {'peak RSS MiB':>13}")
        for name, w, rss, rc in runs:
            print(f"{name:<26} {w:8.2f} {npkt / w:12.0f} {mb / w:8.1f} {rss / 1024:13.1f}")
        t = {name: w for name, w, _, _ in runs}
        cd = t["conndoctor pcap --json"]
        print("\nratios")
        if "tshark -r -Y mysql" in t:
            print(f"  conndoctor / tshark packets/s: {t['tshark -r -Y mysql'] / cd:6.1f}x "
                  f"(target >= 20x)")
        print(f"  conndoctor time / tcpdump -r -w /dev/null time: "
              f"{cd / t['tcpdump -r -w /dev/null']:6.2f} (target <= 3)")
        print(f"\nconndoctor summary: {summary}")
    finally:
        if tmp and not a.keep:
            shutil.rmtree(tmp, ignore_errors=True)
        elif tmp:
            print(f"kept {path}")


if __name__ == "__main__":
    main()
