#!/usr/bin/env python3
"""Benchmarks conndoctor probe against its peer, mysqlslap, in one run on one
throwaway MariaDB (run by hand, as root; prints figures and ratios).

1. Full connect + SELECT 1 + quit cycles at concurrency 1, 10 and 64: each
   tool's connections are counted by the server's Connections counter (so
   neither is credited for connections the server never saw), with client
   CPU per connection (getrusage of the child) and connections per second;
   medians of CD_BENCH_REPEATS runs (3) per tool, in alternating order.
   Target: conndoctor >= mysqlslap's rate at <= 1/3 of its CPU/connection.
2. --stop-after connect against a plain listener: target >= 20,000/s; then
   the kernel's floor at each concurrency: socket, blocking connect and
   close, nothing else, against the same listener (bench/connect_floor.c),
   set beside a third of mysqlslap's CPU per cycle: no client can spend
   less than the floor per connection.
3. 5,000 concurrent logged-in connections held idle: target < 64 MiB RSS.
"""
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests"))
from harness import conndoctor_path, free_port  # noqa: E402
from harness.mariadb import MariaDB  # noqa: E402

CYCLES = int(os.environ.get("CD_BENCH_CYCLES", "3000"))
REPEATS = int(os.environ.get("CD_BENCH_REPEATS", "3"))
CONCURRENCY = (1, 10, 64)


def run_child(argv, env=None, keep_stdout=True):
    """Runs argv; returns (wall seconds, child CPU seconds, stdout, user
    CPU seconds): CPU is user + system, the way the targets count it.
    Without keep_stdout the output goes to /dev/null, so that reading it
    here does not take CPU from the run on a small machine."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.monotonic()
    r = subprocess.run(argv, stdout=subprocess.PIPE if keep_stdout else subprocess.DEVNULL,
                       stderr=subprocess.PIPE, text=True, env=env, timeout=600)
    wall = time.monotonic() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    user = after.ru_utime - before.ru_utime
    cpu = user + (after.ru_stime - before.ru_stime)
    if r.returncode not in (0, 1):
        raise SystemExit(f"{argv[0]} failed ({r.returncode}): {r.stderr[-500:]}")
    return wall, cpu, r.stdout, user


def cycle_argv(tool, db, conc):
    if tool == "mysqlslap":
        return ["mysqlslap", "--no-defaults", "-h", "127.0.0.1", "-P", str(db.port),
                "-u", db.user, "--detach=1", "--query=SELECT 1",
                "--create-schema=information_schema",
                f"--concurrency={conc}", f"--number-of-queries={CYCLES}",
                "--iterations=1"]
    return [conndoctor_path(), "probe", "--no-defaults", "-h", "127.0.0.1",
            "-P", str(db.port), "-u", db.user, "-n", str(CYCLES),
            "-c", str(conc), "--json"]


def cycles(db, conc):
    """REPEATS runs of each tool, the order swapped each time (a run leaves
    the server's TIME_WAIT and thread cache to the next); per tool the
    medians of server connections, conn/s, CPU and user CPU per connection."""
    env = dict(os.environ, MYSQL_PWD=db.password)
    runs = {"mysqlslap": [], "conndoctor": []}
    for rep in range(REPEATS):
        order = ("mysqlslap", "conndoctor") if rep % 2 == 0 else ("conndoctor", "mysqlslap")
        for tool in order:
            c0 = db.status("Connections")
            wall, cpu, _, user = run_child(cycle_argv(tool, db, conc), env,
                                           keep_stdout=False)
            conns = db.status("Connections") - c0 - 1  # our own status query
            runs[tool].append((conns, conns / wall, cpu * 1e6 / max(conns, 1),
                               user * 1e6 / max(conns, 1)))
    return {tool: tuple(statistics.median(col) for col in zip(*r)) for tool, r in runs.items()}


def build(name, d):
    src = os.path.join(os.path.dirname(os.path.abspath(__file__)), name + ".c")
    exe = os.path.join(d, name)
    subprocess.run(["cc", "-O2", "-o", exe, src], check=True)
    return exe


def against_listener():
    """--stop-after connect against a plain listener, then the kernel's floor
    (bench/connect_floor.c: socket, blocking connect, close) at each
    concurrency against the same listener: (n, ok, wall, cpu) for the probe
    and {concurrency: (n, ok, cpu)} for the floor."""
    d = tempfile.mkdtemp(prefix="cd-bench-")
    listener, floor = build("listener", d), build("connect_floor", d)
    port = free_port()
    lst = subprocess.Popen([listener, str(port)], stdout=subprocess.PIPE, text=True)
    try:
        lst.stdout.readline()
        n = 40000
        wall, cpu, out, _ = run_child([conndoctor_path(), "probe", "--no-defaults", "-h",
                                    "127.0.0.1", "-P", str(port), "--stop-after",
                                    "connect", "-n", str(n), "-c", "64", "--json"])
        ok = int(re.search(r'"outcomes":\{"ok":(\d+)', out).group(1)) if '"ok":' in out else 0
        floors = {}
        for conc in CONCURRENCY:
            fn = 20000
            _, fcpu, fout, _ = run_child([floor, str(port), str(fn), str(conc)])
            floors[conc] = (fn, int(fout), fcpu)
        return (n, ok, wall, cpu), floors
    finally:
        lst.terminate()
        lst.wait()
        for exe in (listener, floor):
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
    print(f"== connect + SELECT 1 + quit, {CYCLES} cycles per run, medians of {REPEATS} "
          "runs of each tool in alternating order")
    print(f"{'tool':<11} {'conc':>4} {'server conns':>12} {'conn/s':>9} "
          f"{'client CPU us/conn':>19} {'of it user':>11}")
    slap_cpu = {}
    with MariaDB(variables={"max_connections": 500, "skip_name_resolve": 1,
                            "thread_cache_size": 100}) as db:
        for conc in CONCURRENCY:
            med = cycles(db, conc)
            for tool, (conns, rate, cpu, user) in med.items():
                print(f"{tool:<11} {conc:>4} {conns:>12.0f} {rate:>9.0f} {cpu:>19.1f} "
                      f"{user:>11.1f}")
            slap, cd = med["mysqlslap"], med["conndoctor"]
            slap_cpu[conc] = slap[2]
            print(f"{'ratio':<11} {conc:>4}  rate conndoctor/mysqlslap {cd[1] / slap[1]:.2f}, "
                  f"CPU/conn {cd[2] / slap[2]:.2f}, user CPU/conn "
                  f"{cd[3] / max(slap[3], 1e-9):.2f}")
    (n, ok, wall, cpu), floors = against_listener()
    print(f"== --stop-after connect, plain listener: {ok} of {n} in {wall:.2f} s = "
          f"{ok / wall:.0f} connects/s (target >= 20000), {cpu * 1e6 / max(ok, 1):.1f} us CPU each")
    print("== kernel floor: bench/connect_floor.c (socket, blocking connect, close) against "
          "the same listener, beside a third of mysqlslap's cycle")
    for conc, (fn, fok, fcpu) in floors.items():
        floor = fcpu * 1e6 / max(fok, 1)
        third = slap_cpu[conc] / 3
        print(f"{'floor':<11} {conc:>4}  {fok} of {fn}: {floor:.1f} us CPU per connection, "
              f"{floor / third:.2f}x a third of mysqlslap's ({third:.1f} us)")
    n, peak, hwm, ok, rc = held_connections()
    print(f"== {n} logged-in connections held idle: server saw {peak} at once, "
          f"{ok} ok; conndoctor peak RSS {hwm / 1024 if hwm else float('nan'):.1f} MiB "
          f"(target < 64 MiB), exit {rc}")


if __name__ == "__main__":
    main()
