#!/usr/bin/env python3
"""Benchmarks the socket census of `conndoctor check` against its peers,
ss and netstat, in one run (by hand, as root; prints figures and ratios).

Inside a lab namespace (loopback only), 30,000 connections to port 3306 are
opened and closed by bench/tw_maker.c (compiled here with cc), the client
closing first, so 30,000 TIME_WAIT sockets sit on the client side
(ip_local_port_range widened, tcp_tw_reuse off, tcp_max_tw_buckets raised,
all in that namespace only). Then, in the same namespace and within the
60 s TIME_WAIT lifetime, each command runs REPS times, interleaved, as a
whole process piped to `wc -l`:

    conndoctor check --only census --json --no-dns
    ss -tan state time-wait
    netstat -tan

and the medians and ratios are printed (the machine's other load moves all
three alike; run it on a quiet machine). Targets: census >= 3x faster than
that ss, >= 5x faster than netstat. netstat comes from net-tools; when it
is missing that is said and its row skipped.

Environment: CONNDOCTOR (the binary; use a release build), CD_BENCH_TW
(sockets, default 30000), CD_BENCH_REPS (default 15).
"""
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests"))
import harness  # noqa: E402
from harness import conndoctor_path  # noqa: E402
from harness.lab import Lab  # noqa: E402

TW = int(os.environ.get("CD_BENCH_TW", "30000"))
REPS = int(os.environ.get("CD_BENCH_REPS", "15"))

# Runs inside the namespace: times each command REPS times, interleaved,
# and prints the samples (seconds) and each command's line count.
TIMER = r"""
import json, subprocess, sys, time
cmds = json.loads(sys.argv[1])
reps = int(sys.argv[2])
out = {name: {"s": [], "lines": None} for name in cmds}
for r in range(reps):
    for name, cmd in cmds.items():
        t0 = time.perf_counter()
        p = subprocess.run(["sh", "-c", cmd + " | wc -l"], capture_output=True, text=True)
        dt = time.perf_counter() - t0
        if p.returncode != 0:
            print(json.dumps({"error": name, "stderr": p.stderr[-300:]}))
            sys.exit(1)
        out[name]["s"].append(dt)
        out[name]["lines"] = int(p.stdout.split()[0])
print(json.dumps(out))
"""


def main():
    harness.need_root()
    cd = conndoctor_path()
    if not os.access(cd, os.X_OK):
        sys.exit(f"conndoctor not found at {cd} (set CONNDOCTOR)")
    have_netstat = shutil.which("netstat") is not None
    tmp = tempfile.mkdtemp(prefix="cd-census-bench-")
    harness.add_cleanup(lambda: shutil.rmtree(tmp, ignore_errors=True))
    maker = os.path.join(tmp, "tw_maker")
    subprocess.run(["cc", "-O2", "-o", maker,
                    os.path.join(os.path.dirname(os.path.abspath(__file__)), "tw_maker.c")],
                   check=True)
    if not have_netstat:
        print("netstat: MISSING (net-tools is not installed); its row is skipped")
    with Lab() as lab:
        ns = lab.ns("bench")
        lab.sysctl(ns, "net.ipv4.ip_local_port_range", "10000 65000")
        lab.sysctl(ns, "net.ipv4.tcp_tw_reuse", "0")
        lab.sysctl(ns, "net.ipv4.tcp_max_tw_buckets", str(TW * 2))
        made = json.loads(lab.run(ns, [maker, "3306", TW], timeout=300).stdout)
        print(f"made {made['made']} TIME_WAIT sockets to 127.0.0.1:3306 in "
              f"{made['seconds']:.1f} s")
        if made["seconds"] > 45:
            print("warning: the first TIME_WAIT sockets expire during the timing "
                  "(60 s): compare the counts below")
        cmds = {"census": f"{cd} check --only census --json --no-dns",
                "ss": "ss -tan state time-wait"}
        if have_netstat:
            cmds["netstat"] = "netstat -tan"
        res = json.loads(lab.run(ns, ["python3", "-c", TIMER, json.dumps(cmds), REPS],
                                 timeout=600).stdout)
        # What the census saw, to show it counted the same sockets.
        rc, out, err = harness.run_conndoctor(["check", "--only", "census", "--json",
                                               "--no-dns"], ns=ns)
        doc = json.loads(out)
    tw_fact = next(f["value"] for f in doc["facts"]
                   if f["section"] == "census" and f["key"] == "time_wait")
    print(f"census: time_wait {tw_fact}; ss lines {res['ss']['lines']}"
          + (f"; netstat lines {res['netstat']['lines']}" if have_netstat else ""))
    med = {k: statistics.median(v["s"]) for k, v in res.items()}
    print(f"\n{'command':<10}{'median ms':>12}{'min ms':>10}{'max ms':>10}   (n={REPS})")
    for k, v in res.items():
        print(f"{k:<10}{med[k] * 1e3:>12.1f}{min(v['s']) * 1e3:>10.1f}{max(v['s']) * 1e3:>10.1f}")
    print()
    ok = True
    for peer, target in (("ss", 3.0), ("netstat", 5.0)):
        if peer not in med:
            continue
        ratio = med[peer] / med["census"]
        good = ratio >= target
        ok &= good
        print(f"census vs {peer}: {ratio:.1f}x faster (target >= {target:.0f}x) "
              f"{'OK' if good else 'BELOW TARGET'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
