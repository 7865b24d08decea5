#!/usr/bin/env python3
"""Benchmark: `conndoctor watch` probing N targets (distinct 127.x addresses
served by a few harness MariaDB servers) every INTERVAL, beside Debian's
prometheus-blackbox-exporter doing TCP-connect probes of the same targets at
the same interval, driven by a real Prometheus (the multi-target pattern).
All of it runs inside one lab namespace, whose loopback is its own, so the
servers listen on 0.0.0.0 there and 127.x traffic never meets the host's.

Measured over DURATION seconds after WARMUP:
- watch's CPU (utime + stime from /proc, % of one core), RSS (VmRSS sampled
  every 5 s: at five points of the window, min, max, its least-squares
  slope per minute and per 1,000 probes over the whole window and over its
  second half, last/first against the +-10% bar; and split by mapping,
  heap, anonymous, files, at both ends), /metrics latency (ten GETs by
  this script after the window: median and max; and Prometheus'
  scrape_duration_seconds); the load average at both ends;
- probes done by each: watch's attempts (sum of conndoctor_attempts_total)
  and blackbox's probes (Prometheus' count of probe_success samples);
- CPU per probe of each, and the ratios.

The issue's bar: watch <= 3% of one core and <= 64 MiB RSS at 1,000 targets
and 10 s, /metrics <= 50 ms, watch's CPU per full MySQL login <= blackbox's
per TCP connect. Run as root: bench/watch_bench.py [--targets 1000]
[--servers 4] [--interval 10] [--warmup 30] [--duration 120] [--scrape S]
(Prometheus' scrape interval of watch, default --interval; with
`--targets 300 --interval 1 --scrape 10` the probes come three times as
fast as at 1,000 and 10 s, for RSS runs over many probes). Needs
prometheus, prometheus-blackbox-exporter, mariadb-server and a built
conndoctor ($CONNDOCTOR or build/conndoctor). The servers' max_connect_errors
is raised: blackbox's connects close before the handshake, which MariaDB
counts as connection errors and would block 127.x hosts after 100."""
import argparse
import os
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests"))
import harness  # noqa: E402
from harness.lab import Lab  # noqa: E402
from harness.prometheus import Prometheus  # noqa: E402

HZ = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    """utime + stime of pid and of the children it waited for (watch's
    host gauges run iptables-save and nft)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return sum(int(x) for x in fields[11:15]) / HZ


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def smaps_kib(pid):
    """VmRSS split by where it lives: the [heap] (brk), anonymous
    mappings (large malloc chunks, thread arenas, stacks), and files."""
    out = {"heap": 0, "anon": 0, "file": 0}
    kind = None
    with open(f"/proc/{pid}/smaps") as f:
        for line in f:
            head = line.split()
            if "-" in head[0] and not head[0].endswith(":"):
                path = head[5] if len(head) > 5 else ""
                kind = ("heap" if path == "[heap]" else
                        "anon" if not path or path.startswith("[") else "file")
            elif head[0] == "Rss:":
                out[kind] += int(head[1])
    return out


def slope(samples):
    """Least-squares slope of (t, v) samples, v per second."""
    n = len(samples)
    if n < 2:
        return 0.0
    mt = sum(t for t, _ in samples) / n
    mv = sum(v for _, v in samples) / n
    den = sum((t - mt) ** 2 for t, _ in samples)
    return sum((t - mt) * (v - mv) for t, v in samples) / den if den else 0.0


def rss_report(rss, probes, wall):
    """RSS at five points of the window, its slope per minute and per
    1,000 probes (least squares over all samples), last/first, and where
    1,000,000 probes would take it at that slope."""
    pts = [rss[round(k * (len(rss) - 1) / 4)][1] for k in range(5)]
    kps = slope(rss)  # KiB per second
    per_k = 1000 * kps * wall / max(probes, 1)
    first, last = rss[0][1], rss[-1][1]
    print("watch:    RSS at 0, 1/4, 1/2, 3/4, end of the window: "
          + ", ".join(f"{v / 1024:.1f}" for v in pts) + " MiB "
          f"(min {min(v for _, v in rss) / 1024:.1f}, max {max(v for _, v in rss) / 1024:.1f}, "
          f"{len(rss)} samples)")
    half = slope(rss[len(rss) // 2:])
    print(f"watch:    RSS slope {60 * kps:+.1f} KiB/min, {per_k:+.3f} KiB per 1,000 probes "
          f"({probes:.0f} probes in {wall:.0f} s; second half alone {60 * half:+.1f} KiB/min, "
          f"{1000 * half * wall / max(probes, 1):+.3f} KiB per 1,000); last/first "
          f"{last / first:.3f} ({'flat' if abs(last / first - 1) <= 0.10 else 'NOT flat'} "
          f"at +-10%), last/middle {last / pts[2]:.3f}; at the whole window's slope "
          f"1,000,000 probes add "
          f"{per_k * 1000 / 1024:+.1f} MiB")


def address(i):
    # 127.1.0.1 upwards: distinct loopback addresses, none 127.0.0.1.
    return f"127.{1 + i // 65000}.{(i % 65000) // 250}.{1 + i % 250}"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--targets", type=int, default=1000)
    ap.add_argument("--servers", type=int, default=4)
    ap.add_argument("--interval", type=int, default=10)
    ap.add_argument("--warmup", type=int, default=30)
    ap.add_argument("--duration", type=int, default=120)
    ap.add_argument("--scrape", type=int, default=0,
                    help="Prometheus' scrape interval of watch, s (default: --interval)")
    args = ap.parse_args()
    harness.need_conndoctor()
    harness.need_binary("prometheus")
    bbx = harness.need_binary("prometheus-blackbox-exporter")
    n, iv = args.targets, args.interval
    with Lab() as lab:
        ns = lab.ns("b")
        ports = [3306 + k for k in range(args.servers)]
        dbs = [lab.mariadb(ns, "0.0.0.0", port=p, name=f"b{k}",
                           variables={"skip_name_resolve": 1, "max_connections": 500,
                                      "max_connect_errors": 1000000000})
               for k, p in enumerate(ports)]
        d = tempfile.mkdtemp(prefix="cd-watchbench-")
        lab.tmpdirs.append(d)
        # One account, the same password on every server.
        pwd = dbs[0].password
        for db in dbs[1:]:
            db.sql(f"ALTER USER '{db.user}'@'%' IDENTIFIED BY '{pwd}';")
        pwfile = os.path.join(d, "pw")
        with open(pwfile, "w") as f:
            f.write(pwd + "\n")
        os.chmod(pwfile, 0o600)
        targets = [(f"t{i}", address(i), ports[i % len(ports)]) for i in range(n)]
        with open(os.path.join(d, "watch.cnf"), "w") as f:
            f.write(f"[watch]\nuser = {dbs[0].user}\npassword-file = {pwfile}\n"
                    f"interval = {iv}s\ntimeout = {iv / 2:g}s\n\n")
            for name, addr, port in targets:
                f.write(f"[target {name}]\nhost = {addr}\nport = {port}\n\n")
        with open(os.path.join(d, "blackbox.yml"), "w") as f:
            f.write("modules:\n  tcp_connect:\n    prober: tcp\n    timeout: 5s\n")
        werr = open(os.path.join(d, "watch.err"), "w")
        watch = lab.popen(ns, [harness.conndoctor_path(), "watch", "--config",
                               os.path.join(d, "watch.cnf"), "--listen", "127.0.0.1:9979"],
                          stdout=werr, stderr=werr)
        berr = open(os.path.join(d, "blackbox.err"), "w")
        bb = lab.popen(ns, [bbx, f"--config.file={os.path.join(d, 'blackbox.yml')}",
                            "--web.listen-address=127.0.0.1:9115"], stdout=berr, stderr=berr)
        prom = Prometheus(["127.0.0.1:9979"], interval=f"{args.scrape or iv}s", rules=False, lab=lab, ns=ns,
                          extra_scrape=(
            "  - job_name: blackbox\n"
            "    metrics_path: /probe\n"
            "    params:\n      module: [tcp_connect]\n"
            "    static_configs:\n      - targets: ["
            + ", ".join(f'"{a}:{p}"' for _, a, p in targets) + "]\n"
            "    relabel_configs:\n"
            "      - source_labels: [__address__]\n        target_label: __param_target\n"
            "      - source_labels: [__param_target]\n        target_label: instance\n"
            "      - target_label: __address__\n        replacement: 127.0.0.1:9115\n"))
        prom.start()
        try:
            print(f"watch_bench: {n} targets on {len(ports)} MariaDB servers, interval {iv} s; "
                  f"warm-up {args.warmup} s, measuring {args.duration} s; watch is PID {watch.pid}",
                  flush=True)
            time.sleep(args.warmup)
            for p, what in ((watch, "watch"), (bb, "blackbox")):
                if p.poll() is not None:
                    sys.exit(f"watch_bench: {what} exited {p.returncode}")
            # Phase 1, cost: only Prometheus scrapes watch (once per interval),
            # as in production. Probes are counted from watch's own /metrics
            # at both ends (two extra renders in the whole window).
            _, _, a0 = fetch_metrics(lab, ns)
            w0, b0, t0 = cpu_seconds(watch.pid), cpu_seconds(bb.pid), time.monotonic()
            rss, sm0, load0 = [], smaps_kib(watch.pid), os.getloadavg()
            while time.monotonic() < t0 + args.duration:
                rss.append((time.monotonic() - t0, rss_kib(watch.pid)))
                time.sleep(min(5, max(0, t0 + args.duration - time.monotonic())))
            w1, b1, t1 = cpu_seconds(watch.pid), cpu_seconds(bb.pid), time.monotonic()
            t1_unix = time.time()
            rss.append((t1 - t0, rss_kib(watch.pid)))
            sm1 = smaps_kib(watch.pid)
            _, _, a1 = fetch_metrics(lab, ns)
            wall = t1 - t0
            # Phase 2, latency: ten GETs of /metrics, a second apart.
            lat = []
            w2, t2 = cpu_seconds(watch.pid), time.monotonic()
            for _ in range(10):
                size, secs, _ = fetch_metrics(lab, ns)
                lat.append(secs)
                time.sleep(1)
            # What the ten renders cost beyond phase 1's rate (probes and
            # Prometheus' scrapes go on meanwhile): an estimate.
            render = (cpu_seconds(watch.pid) - w2
                      - (time.monotonic() - t2) * (w1 - w0) / (t1 - t0)) / len(lat)
            time.sleep(iv + 1)  # Prometheus has scraped up to t1 by now
            at = {"time": f"{t1_unix:.3f}"}
            win = f"{int(wall)}s"
            bprobes = sum(prom.vector(f'count_over_time(probe_success{{job="blackbox"}}[{win}])',
                                      at).values())
            bok = sum(prom.vector(f'sum_over_time(probe_success{{job="blackbox"}}[{win}])',
                                  at).values())
            sd = prom.vector(f'max_over_time(scrape_duration_seconds{{job="conndoctor"}}[{win}])',
                             at)
            wprobes = a1 - a0
            wcpu, bcpu = w1 - w0, b1 - b0
            ok = sum(prom.vector('sum(conndoctor_attempts_total{outcome="ok"})').values())
            allc = sum(prom.vector('sum(conndoctor_attempts_total)').values())
            print(f"watch:    CPU {100 * wcpu / wall:.2f}% of one core over {wall:.0f} s, "
                  f"{wprobes:.0f} probes (full logins; {ok:.0f} of {allc:.0f} ok since start), "
                  f"{1e6 * wcpu / max(wprobes, 1):.0f} us CPU per probe "
                  f"(Prometheus' scrapes of watch included)")
            print("load:     average %.2f %.2f %.2f at the start of the window, "
                  "%.2f %.2f %.2f at its end" % (load0 + os.getloadavg()))
            rss_report(rss, wprobes, wall)
            print("watch:    RSS by mapping, start -> end: " + ", ".join(
                f"{k} {sm0[k] / 1024:.1f} -> {sm1[k] / 1024:.1f} MiB" for k in sm0))
            print(f"watch:    /metrics {size / 1024:.0f} KiB, GET median "
                  f"{1000 * statistics.median(lat):.1f} ms, max {1000 * max(lat):.1f} ms "
                  f"({len(lat)} GETs from inside the namespace), about {1000 * render:.0f} ms "
                  f"CPU each; Prometheus' scrape_duration max {1000 * max(sd.values() or [0]):.1f} ms")
            print(f"blackbox: CPU {100 * bcpu / wall:.2f}% of one core, {bprobes:.0f} probes "
                  f"(TCP connects, {bok:.0f} succeeded), "
                  f"{1e6 * bcpu / max(bprobes, 1):.0f} us CPU per probe "
                  f"(Prometheus' /probe requests included)")
            if bprobes and wprobes and bcpu:
                print(f"ratio:    watch CPU per probe / blackbox CPU per probe = "
                      f"{(wcpu / wprobes) / (bcpu / bprobes):.2f}; "
                      f"watch CPU / blackbox CPU = {wcpu / bcpu:.2f}")
        finally:
            prom.stop()
            harness.end_process(watch)
            harness.end_process(bb)
            werr.close()
            berr.close()


def fetch_metrics(lab, ns):
    """GET watch's /metrics from inside the namespace: (bytes, seconds, attempts so far)."""
    code = ("import sys,time,urllib.request\n"
            "t=time.monotonic();b=urllib.request.urlopen('http://127.0.0.1:9979/metrics',timeout=60).read()\n"
            "d=time.monotonic()-t\n"
            "n=sum(float(l.rsplit(b' ',1)[1]) for l in b.split(b'\\n') "
            "if l.startswith(b'conndoctor_attempts_total{'))\n"
            "sys.stdout.write('%d %.6f %.0f' % (len(b), d, n))\n")
    r = lab.run(ns, ["python3", "-c", code], timeout=90)
    size, secs, n = r.stdout.split()
    return int(size), float(secs), float(n)


if __name__ == "__main__":
    main()
