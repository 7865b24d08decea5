#!/usr/bin/env python3
"""Measures what `conndoctor trace` costs the traffic it watches (by hand,
as root, on a build with CD_BPF=ON; prints figures and ratios).

A loopback connection storm in the root network namespace: bench/listener.c
accepts and closes on 127.0.0.1:PORT, bench/connect_floor.c opens and
closes N connections at RATE a second (default 100,000 at 10,000/s, one at
a time). The storm runs REPS times without `trace` and REPS times with
`conndoctor trace --port PORT` attached, in alternating order, and the
script prints, as medians:

  - client + server CPU seconds (the storm's two processes: utime + stime)
    without and with the tracer, and the ratio (target: <= 1.05);
  - the BPF programs' own time per event (kernel.bpf_stats_enabled, turned
    on for the run and restored after; run_time_ns / run_cnt of each of the
    tracer's programs, from `bpftool prog show -j`) (target: <= 500 ns on
    the filtered path: every event of the storm is on the traced port; the
    programs run for every TCP event of the machine, so other traffic
    during the storm is in the counts too: run it on a quiet machine);
  - the programs' total run time as a share of the storm's CPU without the
    tracer (the same 5% target, without the noise of the CPU accounting);
  - the tracer's own CPU (its reader in user space), reported beside.

Each traced run also checks that the tracer saw the storm: `connected` and
`accepted` of the port equal N within 0.1% (both ends are in this
namespace).

Only loopback traffic; the processes it starts are ended by PID.
Environment: CONNDOCTOR (the binary; use a release build), CD_BENCH_N
(connections, default 100000), CD_BENCH_RATE (default 10000), CD_BENCH_REPS
(default 3).
"""
import json
import os
import select
import signal
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests"))
from harness import conndoctor_path, free_port  # noqa: E402

N = int(os.environ.get("CD_BENCH_N", "100000"))
RATE = int(os.environ.get("CD_BENCH_RATE", "10000"))
REPS = int(os.environ.get("CD_BENCH_REPS", "3"))
STATS = "/proc/sys/kernel/bpf_stats_enabled"
PROGS = ("cd_set_state", "cd_retransmit_skb", "cd_retransmit_synack",
         "cd_send_reset", "cd_receive_reset", "cd_kfree_skb_rx_sk", "cd_kfree_skb")


def build(name, d):
    src = os.path.join(os.path.dirname(os.path.abspath(__file__)), name + ".c")
    exe = os.path.join(d, name)
    subprocess.run(["cc", "-O2", "-o", exe, src], check=True)
    return exe


def proc_cpu(pid):
    """utime + stime of a running process, in seconds."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def storm(floor, port, listener_pid):
    """One storm: (client + server CPU seconds, wall seconds)."""
    s0 = proc_cpu(listener_pid)
    t0 = time.monotonic()
    p = subprocess.Popen([floor, str(port), str(N), "1", str(RATE)],
                         stdout=subprocess.PIPE, text=True)
    out = p.stdout.read()
    _, status, ru = os.wait4(p.pid, 0)
    p.returncode = os.waitstatus_to_exitcode(status)
    wall = time.monotonic() - t0
    time.sleep(0.2)  # the listener's last accepts
    server = proc_cpu(listener_pid) - s0
    if p.returncode != 0 or int(out) != N:
        raise SystemExit(f"storm: {out.strip()} of {N} connects worked")
    return ru.ru_utime + ru.ru_stime + server, wall


def prog_stats():
    """{name: (run_cnt, run_time_ns)} of the tracer's programs now loaded."""
    out = subprocess.run(["bpftool", "prog", "show", "-j"], capture_output=True,
                         text=True, check=True).stdout
    stats = {}
    for p in json.loads(out):
        name = p.get("name", "")
        if name in PROGS or any(name and n.startswith(name) for n in PROGS):
            cnt, ns = stats.get(name, (0, 0))
            stats[name] = (cnt + p.get("run_cnt", 0), ns + p.get("run_time_ns", 0))
    return stats


def traced_storm(floor, port, listener_pid):
    """One storm under `trace`: (storm CPU, wall, program stats, the
    tracer's own CPU during the storm)."""
    argv = [conndoctor_path(), "trace", "--port", str(port), "--duration", "3600", "--json"]
    tr = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        line = ""
        while "ready" not in line:
            if time.monotonic() > deadline or tr.poll() is not None:
                raise SystemExit(f"trace did not start: {line}{tr.stderr.read() if tr.poll() is not None else ''}")
            r, _, _ = select.select([tr.stderr], [], [], 1)
            if r:
                line = tr.stderr.readline()
        before, own0 = prog_stats(), proc_cpu(tr.pid)
        cpu, wall = storm(floor, port, listener_pid)
        after, own = prog_stats(), proc_cpu(tr.pid) - own0
        tr.send_signal(signal.SIGTERM)
        out, _ = tr.communicate(timeout=60)
    finally:
        if tr.poll() is None:
            tr.kill()
            tr.wait()
    doc = json.loads(out)
    ports = [x for x in doc["ports"] if x["port"] == port]
    # Both ends are here: each connection is connected and accepted once
    # (within 0.1%: the last accept can race the tracer's end).
    if not ports or any(abs(ports[0][k] - N) > N // 1000 for k in ("connected", "accepted")):
        raise SystemExit(f"trace saw {ports} for {N} connections")
    stats = {k: (after[k][0] - before.get(k, (0, 0))[0], after[k][1] - before.get(k, (0, 0))[1])
             for k in after}
    return cpu, wall, stats, own


def main():
    if os.geteuid() != 0:
        raise SystemExit("trace_bench.py needs root (BPF and kernel.bpf_stats_enabled)")
    with open(STATS) as f:
        stats_was = f.read().strip()
    d = tempfile.mkdtemp(prefix="cd-tbench-")
    listener, floor = build("listener", d), build("connect_floor", d)
    port = free_port()
    lst = subprocess.Popen([listener, str(port)], stdout=subprocess.PIPE, text=True)
    plain, traced, per_event, share, walls = [], [], [], [], []
    tracer_cpu = []
    try:
        lst.stdout.readline()
        with open(STATS, "w") as f:
            f.write("1")
        for rep in range(REPS):
            order = ("plain", "traced") if rep % 2 == 0 else ("traced", "plain")
            for kind in order:
                if kind == "plain":
                    cpu, wall = storm(floor, port, lst.pid)
                    plain.append(cpu)
                    walls.append(wall)
                    continue
                cpu, wall, stats, own = traced_storm(floor, port, lst.pid)
                tracer_cpu.append(own)
                traced.append(cpu)
                cnt = sum(v[0] for v in stats.values())
                ns = sum(v[1] for v in stats.values())
                per_event.append((ns / cnt if cnt else 0.0, cnt / N, stats))
                share.append(ns / 1e9)
    finally:
        with open(STATS, "w") as f:
            f.write(stats_was)
        lst.terminate()
        lst.wait()
        for exe in (listener, floor):
            os.unlink(exe)
        os.rmdir(d)

    p, t = statistics.median(plain), statistics.median(traced)
    ev = statistics.median(x[0] for x in per_event)
    bpf_s = statistics.median(share)
    print(f"storm: {N} connections at {RATE}/s, one at a time, 127.0.0.1:{port}; "
          f"{REPS} runs each, alternating; wall {statistics.median(walls):.2f} s")
    print(f"client+server CPU without trace: {p:.3f} s ({p * 1e6 / N:.1f} us per connection)")
    print(f"client+server CPU with trace:    {t:.3f} s; ratio {t / p:.3f} (target <= 1.05)")
    print(f"BPF programs: {per_event[0][1]:.1f} events per connection, "
          f"{ev:.0f} ns per event (target <= 500)")
    for name, (cnt, ns) in sorted(per_event[len(per_event) // 2][2].items()):
        if cnt:
            print(f"  {name:22} {cnt:8d} runs {ns / cnt:7.0f} ns each")
    print(f"BPF run time {bpf_s:.3f} s = {100 * bpf_s / p:.2f}% of the storm's CPU without trace "
          f"(target <= 5%)")
    print(f"tracer's own CPU during a storm (its reader, every 200 ms): "
          f"{statistics.median(tracer_cpu):.3f} s")


if __name__ == "__main__":
    main()
