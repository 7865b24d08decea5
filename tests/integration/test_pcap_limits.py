"""conndoctor pcap on hostile capture files (issue 15): pcapng timestamps
that cannot be a time (64-bit values in seconds, if_tsoffset near +-2^63)
are skipped and counted, never multiplied into an overflow (the asan build
runs this too, where UBSan would abort); and a capture of 200,000 flows
that never close stays within the flow table's bound (--max-flows), the
evictions counted in the summary. Every capture is written by the test,
byte by byte, into a temporary folder."""
import json
import os
import re
import selectors
import shutil
import struct
import subprocess
import sys
import tempfile
import time
import unittest

import harness
from harness import conndoctor_path

sys.path.insert(0, os.path.join(harness.REPO_ROOT, "tests", "golden", "pcap"))
from pcapfile import pcapng_epb, pcapng_idb, pcapng_shb  # noqa: E402

CLIENT = bytes([10, 0, 0, 1])
SERVER = bytes([10, 0, 0, 2])


def ipv4_tcp(src, dst, sport, dport, seq, flags, payload=b""):
    """An Ethernet frame: IPv4, TCP (no options), payload."""
    tcp = struct.pack(">HHIIBBHHH", sport, dport, seq, 0, 5 << 4, flags, 65535, 0, 0)
    total = 20 + len(tcp) + len(payload)
    ip = struct.pack(">BBHHHBBH4s4s", 0x45, 0, total, 0, 0x4000, 64, 6, 0, src, dst)
    eth = b"\x02\x00\x00\x00\x00\x02" + b"\x02\x00\x00\x00\x00\x01" + b"\x08\x00"
    return eth + ip + tcp + payload


SYN = 0x02
ACK = 0x10
PSH = 0x08


def run_pcap(args, timeout=300):
    """Runs conndoctor pcap ARGS; returns (rc, stdout, stderr, peak RSS in
    KiB). The child is reaped with os.wait4, whose rusage is that child's
    own (RUSAGE_CHILDREN would be the largest of every child so far)."""
    r, w = os.pipe()
    er, ew = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.dup2(w, 1)
            os.dup2(ew, 2)
            os.execv(conndoctor_path(), [conndoctor_path(), "pcap", *map(str, args)])
        finally:
            os._exit(127)
    os.close(w)
    os.close(ew)
    try:
        out, err = _drain(r, er, pid, timeout)
    finally:
        _, status, ru = os.wait4(pid, 0)
    return os.waitstatus_to_exitcode(status), out, err, ru.ru_maxrss


def _drain(r, er, pid, timeout):
    """Reads the child's stdout and stderr to their ends."""
    sel = selectors.DefaultSelector()
    bufs = {r: [], er: []}
    sel.register(r, selectors.EVENT_READ)
    sel.register(er, selectors.EVENT_READ)
    deadline = time.time() + timeout
    open_fds = 2
    while open_fds:
        left = deadline - time.time()
        if left <= 0:
            os.kill(pid, 9)
            raise TimeoutError("conndoctor pcap ran too long")
        for key, _ in sel.select(left):
            chunk = os.read(key.fd, 65536)
            if not chunk:
                sel.unregister(key.fd)
                os.close(key.fd)
                open_fds -= 1
            else:
                bufs[key.fd].append(chunk)
    return b"".join(bufs[r]).decode(), b"".join(bufs[er]).decode()


def summary_of(out):
    for line in out.splitlines():
        rec = json.loads(line)
        if rec.get("type") == "summary":
            return rec
    raise AssertionError(f"no summary in {out[-400:]!r}")


class Timestamps(unittest.TestCase):
    """pcapng times that no microsecond clock can hold."""

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="conndoctor-ts-")
        self.addCleanup(shutil.rmtree, self.dir, True)

    def capture(self, blocks):
        path = os.path.join(self.dir, "t.pcapng")
        with open(path, "wb") as f:
            f.write(pcapng_shb() + b"".join(blocks))
        return path

    def test_impossible_times_are_skipped_and_counted(self):
        syn = ipv4_tcp(CLIENT, SERVER, 40000, 3306, 1000, SYN)
        good_us = 1_700_000_000 * 10**6
        path = self.capture([
            pcapng_idb(),                          # 0: microseconds
            pcapng_idb(tsresol=0),                 # 1: seconds (10^0)
            pcapng_idb(tsoffset=2**63 - 1),        # 2: offset +2^63-1 s
            pcapng_idb(tsoffset=-2**63),           # 3: offset -2^63 s
            pcapng_epb(0, good_us, syn),
            pcapng_epb(1, 2**63, syn),             # 2^63 s
            pcapng_epb(1, 2**64 - 1, syn),
            pcapng_epb(2, good_us, syn),
            pcapng_epb(3, good_us, syn),
            pcapng_epb(0, 2**64 - 1, syn),         # 1.8e13 s in microseconds
            pcapng_epb(0, good_us + 1000, ipv4_tcp(CLIENT, SERVER, 40000, 3306, 1000, SYN)),
        ])
        rc, out, err, _ = run_pcap(["--json", path])
        self.assertIn(rc, (0, 1, 2), err)
        s = summary_of(out)
        self.assertEqual(s["packets"], 7)
        self.assertEqual(s["bad_timestamps"], 5)
        self.assertEqual(s["connections"], 1)
        self.assertAlmostEqual(s["first_packet_epoch_s"], 1_700_000_000, places=3)
        self.assertAlmostEqual(s["duration_s"], 0.001, places=6)
        rc, out, err, _ = run_pcap([path])
        self.assertIn(rc, (0, 1, 2), err)
        self.assertIn("5 frames with impossible timestamps skipped", out)

    def test_times_that_fit_are_kept(self):
        # The last second of year 9999 is still a time.
        last = 253402300799 * 10**6 + 999999
        path = self.capture([pcapng_idb(),
                             pcapng_epb(0, last, ipv4_tcp(CLIENT, SERVER, 1, 3306, 5, SYN))])
        rc, out, err, _ = run_pcap(["--json", path])
        s = summary_of(out)
        self.assertEqual(s["bad_timestamps"], 0, err)
        self.assertEqual(s["connections"], 1)


# ---- many flows that never close ----

FLOWS = 200_000
KIB_PER_FLOW = 5      # docs/pcap.md: about 5 KiB per flow held
BASE_KIB = 64 * 1024  # the process without flows, with room to spare


def write_flows(path, n, t0=1_700_000_000):
    """A classic pcap of n flows to port 3306 that never close: even ones a
    lone SYN (embryonic), odd ones a client's data mid-stream (open), one
    packet each, 1 us apart."""
    recs = [struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)]
    for i in range(n):
        src = bytes([10, 1 + (i >> 16), (i >> 8) & 255, i & 255])
        if i % 2:
            frame = ipv4_tcp(src, SERVER, 40000, 3306, 5000, PSH | ACK, b"\x01\x00\x00\x00\x0e")
        else:
            frame = ipv4_tcp(src, SERVER, 40000, 3306, 5000, SYN)
        recs.append(struct.pack("<IIII", t0, i, len(frame), len(frame)) + frame)
    with open(path, "wb") as f:
        f.write(b"".join(recs))


def text_summary(out):
    """The numbers of pcap's text summary line."""
    line = [l for l in out.splitlines() if " packets (" in l][-1]
    m = re.search(r"(\d+) connections \(at most (\d+) held at once\)", line)
    e = re.search(r"(\d+) flows evicted to stay within --max-flows "
                  r"\((\d+) handshakes, (\d+) idle connections\)", line)
    return {"connections": int(m.group(1)), "held": int(m.group(2)),
            "evicted": tuple(int(x) for x in e.groups()) if e else None}


class FlowTable(unittest.TestCase):
    """200,000 flows that never close stay within --max-flows."""

    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="conndoctor-flows-")
        cls.capture = os.path.join(cls.dir, "flows.pcap")
        write_flows(cls.capture, FLOWS)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, True)

    def run_bounded(self, max_flows, *args):
        rc, out, err, rss_kib = run_pcap([*args, "--color", "never", self.capture])
        self.assertIn(rc, (0, 1, 2), err[-2000:])
        s = text_summary(out)
        bound = KIB_PER_FLOW * max_flows + BASE_KIB
        if not harness.sanitized():
            self.assertLess(rss_kib, bound, f"peak RSS {rss_kib} KiB over {bound} KiB")
        self.assertEqual(s["connections"], FLOWS)
        self.assertEqual(s["held"], max_flows)
        self.assertIsNotNone(s["evicted"], out[-600:])
        self.assertEqual(s["evicted"][0], FLOWS - max_flows)
        self.assertEqual(s["evicted"][1] + s["evicted"][2], FLOWS - max_flows)
        return s

    def test_default_bound(self):
        # 100,000 by default: the first 100,000 evictions take the lone
        # SYNs (handshakes go first), oldest first.
        s = self.run_bounded(100_000)
        self.assertEqual(s["evicted"][1:], (100_000, 0))

    def test_smaller_bound_evicts_idle_connections_too(self):
        s = self.run_bounded(20_000, "--max-flows", "20000")
        self.assertGreater(s["evicted"][1], 0)
        self.assertGreater(s["evicted"][2], 0)


    def test_progress_line(self):
        """--progress on a pipe: "pcap: D of S MB (P%), R MB/s, N connections
        open" redrawn, S the file's size, D rising, N within --max-flows;
        erased at the end. Without it, a pipe gets no status line."""
        argv = [harness.conndoctor_path(), "pcap", "--json", "--max-flows", "20000",
                self.capture]
        # stdout (MBs of JSON) not kept: a big parent would raise the
        # peak RSS the next forked child starts with (run_bounded's bound).
        r = subprocess.run([*argv, "--progress"], stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE, timeout=300)
        err = r.stderr.decode()
        self.assertIn(r.returncode, (0, 1, 2), err[-2000:])
        lines = re.findall(r"\rpcap: ([0-9.]+) of ([0-9.]+) MB \((\d+)%\), [0-9.]+ MB/s, "
                           r"(\d+) connections open", err)
        self.assertTrue(lines, err[-2000:])
        size_mb = os.path.getsize(self.capture) / 1e6
        for done, size, pct, held in lines:
            self.assertAlmostEqual(float(size), size_mb, delta=0.05)
            self.assertLessEqual(float(done), float(size) + 0.05)
            self.assertLessEqual(int(held), 20000)
        done = [float(d) for d, _, _, _ in lines]
        self.assertEqual(done, sorted(done))
        self.assertTrue(err.endswith("\r\033[K"), err[-80:])
        r = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                           timeout=300)
        self.assertNotIn(b"\r", r.stderr)


class FlowTableJson(unittest.TestCase):
    def test_counts_and_evicted_connections(self):
        d = tempfile.mkdtemp(prefix="conndoctor-flows-")
        self.addCleanup(shutil.rmtree, d, True)
        path = os.path.join(d, "five.pcap")
        write_flows(path, 5)
        rc, out, err, _ = run_pcap(["--json", "--max-flows", "2", path])
        s = summary_of(out)
        # SYN 0, data 1, SYN 2 (evicts SYN 0), data 3 (evicts SYN 2),
        # SYN 4 (no handshake left: evicts data 1, the least recent).
        self.assertEqual((s["evicted_embryonic"], s["evicted_open"]), (2, 1), err)
        self.assertEqual(s["open_peak"], 2)
        conns = [json.loads(l) for l in out.splitlines()]
        conns = {c["id"]: c for c in conns if c.get("type") == "connection"}
        self.assertEqual(sorted(conns), [1, 2, 3, 4, 5])
        ends = {i: conns[i]["close"]["end"] for i in conns}
        self.assertEqual(ends, {1: "handshake evicted: flow table full",
                                2: "evicted: flow table full",
                                3: "handshake evicted: flow table full",
                                4: "open at capture end",
                                5: "SYN unanswered"})
        for i in conns:
            self.assertTrue(conns[i]["close"]["open_at_capture_end"], conns[i])

    def test_option_range(self):
        for bad in ("0", "10000001", "x", "-1", "1.5"):
            rc, out, err, _ = run_pcap(["--max-flows", bad, "/dev/null"])
            self.assertEqual(rc, 64, bad)
            self.assertIn(f"invalid --max-flows '{bad}' (1 to 10000000)", err)


class LiveDuration(unittest.TestCase):
    """--duration was cut to 32 bits: 4294967297 stopped after 1 s and
    4294967296 never stopped. Every value is now checked against its range,
    and a live capture of 1 s on loopback ends by itself."""

    def test_range(self):
        for bad in ("4294967297", "4294967296", "0", "604801", "-1", "1.5", "x"):
            rc, out, err, _ = run_pcap(["--live", "lo", "--duration", bad])
            self.assertEqual(rc, 64, bad)
            self.assertIn(f"invalid --duration '{bad}' (1 to 604800 seconds)", err)

    def test_live_capture_stops(self):
        harness.need_root()
        t0 = time.monotonic()
        rc, out, err, _ = run_pcap(["--live", "lo", "--duration", "1", "--json"])
        elapsed = time.monotonic() - t0
        self.assertIn(rc, (0, 1, 2), err)
        self.assertGreaterEqual(elapsed, 1.0)
        self.assertLess(elapsed, 30.0)


# ---- out-of-order data of many flows at once ----

OOO_FLOWS = 100
BUDGET_MIB = 2
TIME = shutil.which("time", path="/usr/bin:/bin")


def write_holes(path, seg, segs, in_order=False, t0=1_700_000_000):
    """A classic pcap of OOO_FLOWS connections, one after the other, that
    each lose their first data segment (seg bytes) and deliver it only
    after every flow has sent its segs segments that follow (so they are
    held at once, up to a budget); in_order sends the same segments in
    order (the baseline)."""
    out = open(path, "wb")
    out.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
    tick = [0]

    def add(frame):
        tick[0] += 1
        out.write(struct.pack("<IIII", t0 + tick[0] // 1_000_000, tick[0] % 1_000_000,
                              len(frame), len(frame)) + frame)

    def data(i, k):
        src = bytes([10, 2, i >> 8, i & 255])
        return ipv4_tcp(src, SERVER, 41000, 3306, 1001 + k * seg, PSH | ACK, bytes(seg))

    for i in range(OOO_FLOWS):
        src = bytes([10, 2, i >> 8, i & 255])
        add(ipv4_tcp(src, SERVER, 41000, 3306, 1000, SYN))
        add(ipv4_tcp(SERVER, src, 3306, 41000, 9000, SYN | ACK))
        add(ipv4_tcp(src, SERVER, 41000, 3306, 1001, ACK))
    for i in range(OOO_FLOWS):
        for k in range(0 if in_order else 1, segs + 1):
            add(data(i, k))
    if not in_order:
        for i in range(OOO_FLOWS):
            add(data(i, 0))
    out.close()


class ReassemblyBudget(unittest.TestCase):
    """Out-of-order data held by all flows together stays within
    --reassembly-budget; what it could not hold is counted. Each flow holds
    128 KiB at most, under the 256 KiB a direction may hold on its own."""

    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="conndoctor-ooo-")
        cls.exact = os.path.join(cls.dir, "exact.pcap")
        cls.plain = os.path.join(cls.dir, "in-order.pcap")
        cls.odd = os.path.join(cls.dir, "odd.pcap")
        # 16 flows of 128 x 1024 bytes fill 2 MiB to the byte
        write_holes(cls.exact, 1024, 128)
        write_holes(cls.plain, 1024, 128, in_order=True)
        # 16 flows of 131 x 1000 leave room for one segment, not two
        write_holes(cls.odd, 1000, 131)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, True)

    def run_json(self, *args):
        """The summary, and the peak RSS in KiB as GNU time measures it
        (None without it): a child forked from this test would carry the
        test's own RSS into its ru_maxrss."""
        rss_file = os.path.join(self.dir, "rss")
        argv = [harness.conndoctor_path(), "pcap", "--json", *map(str, args)]
        if TIME:
            argv = [TIME, "-f", "%M", "-o", rss_file, *argv]
        harness.trace(argv)
        r = subprocess.run(argv, capture_output=True, text=True, timeout=300)
        self.assertIn(r.returncode, (0, 1, 2), r.stderr[-2000:])
        s = summary_of(r.stdout)
        self.assertEqual(s["connections"], OOO_FLOWS)
        if not TIME:
            return s, None
        with open(rss_file) as f:
            return s, int(f.read().split()[-1])

    def test_full_budget_drops_and_counts(self):
        budget = BUDGET_MIB << 20
        base, base_rss = self.run_json(self.plain)
        self.assertEqual(base["out_of_order_peak_bytes"], 0)
        # Under the default 64 MiB every flow holds its segments.
        held = OOO_FLOWS * 128 * 1024
        full, full_rss = self.run_json(self.exact)
        self.assertEqual(full["out_of_order_peak_bytes"], held)
        self.assertEqual((full["out_of_order_budget_gaps"], full["out_of_order_dropped"]), (0, 0))
        # Within 2 MiB: 16 flows hold it all, the other 84 find it full.
        s, rss = self.run_json("--reassembly-budget", BUDGET_MIB, self.exact)
        self.assertEqual(s["out_of_order_peak_bytes"], budget)
        self.assertEqual(s["out_of_order_dropped"], (OOO_FLOWS - 16) * 128)
        self.assertEqual(s["out_of_order_dropped_bytes"], (OOO_FLOWS - 16) * 128 * 1024)
        self.assertEqual(s["out_of_order_budget_gaps"], 0)
        rc, text, err, _ = run_pcap(["--color", "never", "--reassembly-budget", BUDGET_MIB,
                                     self.exact])
        self.assertIn("--reassembly-budget reached: 0 holes given up as gaps, "
                      f"{84 * 128} out-of-order segments ({84 * 128 * 1024} bytes) dropped", text)
        if TIME and not harness.sanitized():
            # what the flows hold shows in the peak RSS, and the budget caps it
            self.assertGreater(full_rss - base_rss, held // 1024 * 3 // 4,
                               f"full {full_rss} KiB, in order {base_rss} KiB")
            self.assertLess(rss - base_rss, budget // 1024 + 4096,
                            f"budget {rss} KiB, in order {base_rss} KiB")

    def test_a_flow_over_the_budget_gives_up_its_hole(self):
        s, _ = self.run_json("--reassembly-budget", BUDGET_MIB, self.odd)
        # flows 17 to 100 each hold one segment, then give up their hole
        self.assertEqual(s["out_of_order_budget_gaps"], OOO_FLOWS - 16)
        self.assertEqual(s["out_of_order_dropped"], 0)
        self.assertEqual(s["out_of_order_peak_bytes"], 16 * 131 * 1000 + 1000)

    def test_option_range(self):
        for bad in ("0", "65537", "-1", "1.5"):
            rc, out, err, _ = run_pcap(["--reassembly-budget", bad, self.odd])
            self.assertEqual(rc, 64, (bad, err))
            self.assertIn("1 to 65536", err)


if __name__ == "__main__":
    harness.need_conndoctor()
    harness.run_tests(globals())
