#!/usr/bin/env python3
"""Benchmarks conndoctor probe against its peer, mysqlslap, in one run on one
throwaway MariaDB (run by hand, as root; prints figures and ratios).

1. Full connect + SELECT 1 + quit cycles at concurrency 1, 10 and 64: each
   tool's connections are counted by the server's Connections counter (so
   neither is credited for connections the server never saw), with client
   CPU per connection (getrusage of the child) and connections per second.
   Target: conndoctor >= mysqlslap's rate at <= 1/3 of its CPU/connection.
2. --stop-after connect against a plain listener: target >= 20,000/s.
3. 5,000 concurrent logged-in connections held idle: target < 64 MiB RSS.
"""
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests"))
from harness import conndoctor_path, free_port  # noqa: E402
from harness.mariadb import MariaDB  # noqa: E402

CYCLES = int(os.environ.get("CD_BENCH_CYCLES", "3000"))


def run_child(argv, env=None):
    """Runs argv; returns (wall seconds, child CPU seconds, stdout, user
    CPU seconds): CPU is user + system, the way the targets count it."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.monotonic()
    r = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=600)
    wall = time.monotonic() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    user = after.ru_utime - before.ru_utime
    cpu = user + (after.ru_stime - before.ru_stime)
    if r.returncode not in (0, 1):
        raise SystemExit(f"{argv[0]} failed ({r.returncode}): {r.stderr[-500:]}")
    return wall, cpu, r.stdout, user


def cycles(db, conc):
    rows = []
    env = dict(os.environ, MYSQL_PWD=db.password)
    for tool in ("mysqlslap", "conndoctor"):
        if tool == "mysqlslap":
            argv = ["mysqlslap", "--no-defaults", "-h", "127.0.0.1", "-P", str(db.port),
                    "-u", db.user, "--detach=1", "--query=SELECT 1",
                    "--create-schema=information_schema",
                    f"--concurrency={conc}", f"--number-of-queries={CYCLES}",
                    "--iterations=1"]
        else:
            argv = [conndoctor_path(), "probe", "--no-defaults", "-h", "127.0.0.1",
                    "-P", str(db.port), "-u", db.user, "-n", str(CYCLES),
                    "-c", str(conc), "--json"]
        c0 = db.status("Connections")
        wall, cpu, _, user = run_child(argv, env)
        conns = db.status("Connections") - c0 - 1  # our own status query
        rows.append((tool, conc, conns, wall, cpu, user))
    return rows


def stop_after_connect():
    src = os.path.join(os.path.dirname(os.path.abspath(__file__)), "listener.c")
    d = tempfile.mkdtemp(prefix="cd-bench-")
    exe = os.path.join(d, "listener")
    subprocess.run(["cc", "-O2", "-o", exe, src], check=True)
    port = free_port()
    lst = subprocess.Popen([exe, str(port)], stdout=subprocess.PIPE, text=True)
    try:
        lst.stdout.readline()
        n = 40000
        wall, cpu, out, _ = run_child([conndoctor_path(), "probe", "--no-defaults", "-h",
                                    "127.0.0.1", "-P", str(port), "--stop-after",
                                    "connect", "-n", str(n), "-c", "64", "--json"])
        ok = int(re.search(r'"outcomes":\{"ok":(\d+)', out).group(1)) if '"ok":' in out else 0
        return n, ok, wall, cpu
    finally:
        lst.terminate()
        lst.wait()
        os.unlink(exe)
        os.rmdir(d)


def held_connections(n=5000):
    with MariaDB(variables={"max_connections": n + 100, "skip_name_resolve": 1,
                            "thread_handling": "pool-of-threads",
                            "open_files_limit": 2 * n + 1000}) as db:
        env = dict(os.environ, MYSQL_PWD=db.password)
        argv = [conndoctor_path(), "probe", "--no-defaults", "-h", "127.0.0.1", "-P",
                str(db.port), "-u", db.user, "-n", str(n), "-c", str(n), "--idle", "8",
                "--json"]
        p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True, env=env)
        peak_connected, hwm = 0, None
        deadline = time.time() + 60
        while p.poll() is None and time.time() < deadline:
            try:
                with open(f"/proc/{p.pid}/status") as f:
                    hwm = int(re.search(r"VmHWM:\s+(\d+)", f.read()).group(1))
                peak_connected = max(peak_connected, db.status("Threads_connected") - 1)
            except (OSError, AttributeError, ValueError):
                pass  # the probe ended between poll() and the read
            time.sleep(0.5)
        out, err = p.communicate(timeout=120)
        try:
            doc = json.loads(out)
            ok = doc["summary"]["ok"]
            codes = ",".join(f["code"] for f in doc["findings"]) or "none"
        except (ValueError, KeyError):
            ok, codes = "?", "?"
        return n, peak_connected, hwm, ok, f"{p.returncode} (findings: {codes})"


def main():
    if os.geteuid() != 0:
        raise SystemExit("run as root (the harness server runs as root)")
    print(f"== connect + SELECT 1 + quit, {CYCLES} cycles per run")
    print(f"{'tool':<11} {'conc':>4} {'server conns':>12} {'wall s':>8} {'conn/s':>9} "
          f"{'client CPU us/conn':>19} {'of it user':>11}")
    with MariaDB(variables={"max_connections": 500, "skip_name_resolve": 1,
                            "thread_cache_size": 100}) as db:
        for conc in (1, 10, 64):
            rows = cycles(db, conc)
            for tool, c, conns, wall, cpu, user in rows:
                print(f"{tool:<11} {c:>4} {conns:>12} {wall:>8.2f} {conns / wall:>9.0f} "
                      f"{cpu * 1e6 / max(conns, 1):>19.1f} {user * 1e6 / max(conns, 1):>11.1f}")
            slap, cd = rows
            print(f"{'ratio':<11} {conc:>4}  rate conndoctor/mysqlslap "
                  f"{(cd[2] / cd[3]) / (slap[2] / slap[3]):.2f}, CPU/conn "
                  f"{(cd[4] / max(cd[2], 1)) / (slap[4] / max(slap[2], 1)):.2f}, user CPU/conn "
                  f"{(cd[5] / max(cd[2], 1)) / max(slap[5] / max(slap[2], 1), 1e-9):.2f}")
    n, ok, wall, cpu = stop_after_connect()
    print(f"== --stop-after connect, plain listener: {ok} of {n} in {wall:.2f} s = "
          f"{ok / wall:.0f} connects/s (target >= 20000), {cpu * 1e6 / max(ok, 1):.1f} us CPU each")
    n, peak, hwm, ok, rc = held_connections()
    print(f"== {n} logged-in connections held idle: server saw {peak} at once, "
          f"{ok} ok; conndoctor peak RSS {hwm / 1024 if hwm else float('nan'):.1f} MiB "
          f"(target < 64 MiB), exit {rc}")


if __name__ == "__main__":
    main()
