"""conndoctor pcap: golden captures (tests/golden/pcap, remade by its
regen.py against a harness MariaDB) give exactly their expected text and
JSON; the same capture read whole, as one file per packet, split in two at
every packet boundary, piecewise on stdin, as pcapng and under every link
type gives the same connections, commands and findings; truncated and
corrupt files end with a clear error and exit 69, never a crash; and a
fresh capture (tcpdump, and --live) of a harness MariaDB decodes to what
the test did."""
import json
import os
import random
import shlex
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import unittest

import harness
from harness.capture import tcpdump_lo
from harness.mariadb import MariaDB

GOLDEN = os.path.join(harness.REPO_ROOT, "tests", "golden", "pcap")
sys.path.insert(0, GOLDEN)
import myclient  # noqa: E402
import pcapfile  # noqa: E402


def cases():
    rows = []
    with open(os.path.join(GOLDEN, "cases.txt")) as f:
        for line in f:
            if line.strip() and not line.startswith("#"):
                name, cap, exp, opts = line.split(None, 3)
                rows.append((name, cap, exp, shlex.split(opts)))
    return rows


def port_of(capture):
    for _, cap, _, opts in cases():
        if cap == capture:
            return opts[opts.index("--port") + 1]
    raise KeyError(capture)


def pcap(args, input=None, timeout=120, cwd=None):
    """Runs `conndoctor pcap ARGS` (binary stdin allowed); (rc, out, err)."""
    argv = [harness.need_conndoctor(), "pcap", *map(str, args)]
    harness.trace(argv)
    r = subprocess.run(argv, input=input, capture_output=True, timeout=timeout, cwd=cwd,
                       env=dict(os.environ, NO_COLOR="1"))
    return r.returncode, r.stdout.decode(), r.stderr.decode()


def records(out, drop=("input",)):
    """JSON lines without the kinds in drop (inputs name the files)."""
    recs = [json.loads(line) for line in out.splitlines() if line.strip()]
    return [r for r in recs if r["type"] not in drop]


def summary_free(recs):
    """Records without the totals that depend on how the bytes were cut
    into files (the summary line)."""
    return [r for r in recs if r["type"] != "summary"]


CAPTURES = sorted({c for _, c, _, _ in cases()})


class Golden(unittest.TestCase):
    """Exact output for every row of cases.txt."""

    def test_rows(self):
        rows = cases()
        self.assertGreaterEqual(len(rows), 16)
        status = {}
        for name, cap, exp, opts in rows:
            with self.subTest(case=name):
                rc, out, err = pcap([*opts, cap], cwd=GOLDEN)
                with open(os.path.join(GOLDEN, exp)) as f:
                    want = f.read()
                self.assertEqual(out, want, f"{name}: output differs from {exp} "
                                 f"(regen: tests/golden/pcap/regen.py --outputs-only)")
                self.assertIn(rc, (0, 1, 2), err)
                if "--json" in opts:
                    self.assertEqual(records(out)[-1]["exit_status"], rc)
                status.setdefault(cap, set()).add(rc)
        for cap, rcs in status.items():
            if len(rcs) > 1 and not any("--conn" in r[3] for r in rows if r[1] == cap):
                self.fail(f"{cap}: text and JSON exit differently: {rcs}")

    def test_meaning(self):
        """What each golden capture is about, asserted on its JSON."""
        def doc(cap):
            rc, out, err = pcap(["--port", port_of(cap), "--json", cap], cwd=GOLDEN)
            return rc, records(out)

        def kind(recs, t):
            return [r for r in recs if r["type"] == t]

        def codes(recs):
            return {r["code"] for r in kind(recs, "finding")}

        rc, recs = doc("normal.pcap")
        self.assertEqual(rc, 0)
        conns = kind(recs, "connection")
        self.assertEqual(len(conns), 2)
        for c in conns:
            self.assertEqual(c["mysql"]["login"], "ok")
            self.assertEqual(c["mysql"]["user"], "conndoctor")
            self.assertTrue(c["mysql"]["quit"])
            self.assertTrue(c["handshake"]["established"])
        cmds = kind(recs, "command")
        q = {c["argument"]: c for c in cmds}
        self.assertEqual(q["SELECT * FROM t1 ORDER BY id"]["rows"], 2)
        self.assertEqual(q["INSERT INTO t1 VALUES (1, 'a'), (2, 'b')"]["affected_rows"], 2)
        self.assertEqual(q["UPDATE t1 SET v = 'c' WHERE id = 2"]["affected_rows"], 1)
        self.assertEqual([c["command"] for c in cmds if c["conn"] == 2],
                         ["COM_PING", "COM_QUERY", "COM_QUIT"])

        rc, recs = doc("login_failed.pcap")
        self.assertEqual(rc, 1)
        self.assertEqual([c["mysql"]["error"]["code"] for c in kind(recs, "connection")],
                         [1045, 1045])
        self.assertEqual(codes(recs), {"CD8016"})

        rc, recs = doc("errors.pcap")
        errs = [c["error"]["code"] for c in kind(recs, "command") if c["result"] == "error"]
        self.assertEqual(errs, [1146, 1064])
        self.assertEqual(codes(recs), {"CD8018"})

        rc, recs = doc("bigresult.pcap")
        big = [c for c in kind(recs, "command") if c["command"] == "COM_QUERY"][0]
        self.assertEqual(big["rows"], 2000)
        self.assertEqual(big["result"], "rows")
        self.assertGreater(big["response_bytes"], 90000)

        rc, recs = doc("tls.pcap")
        c = kind(recs, "connection")[0]
        self.assertTrue(c["mysql"]["tls"])
        self.assertEqual(c["mysql"]["state"], "tls")
        self.assertEqual(kind(recs, "command"), [])

        rc, recs = doc("wait_timeout.pcap")
        self.assertEqual(rc, 1)
        f = [x for x in kind(recs, "finding") if x["code"] == "CD3029"][0]
        self.assertAlmostEqual(f["data"]["idle_s"], 1.0, delta=0.5)  # wait_timeout = 1
        self.assertEqual(kind(recs, "connection")[0]["close"]["by"], "server")

        rc, recs = doc("text_in_stream.pcap")
        self.assertEqual(rc, 2)
        self.assertTrue({"CD8010", "CD8011"} <= codes(recs))
        an = kind(recs, "connection")[0]["mysql"]["anomalies"][0]
        self.assertEqual(an["kind"], "text_in_stream")
        self.assertEqual(an["by"], "client")
        self.assertTrue(an["text"].startswith("Warning: something went wrong"))
        self.assertEqual(an["text_bytes"], len("Warning: something went wrong\n"))

        rc, recs = doc("binlog.pcap")
        c = kind(recs, "connection")[0]
        self.assertGreaterEqual(c["mysql"]["binlog"]["heartbeats"], 2)
        self.assertAlmostEqual(c["mysql"]["binlog"]["max_gap_s"], 1.0, delta=0.3)
        dump = [x for x in kind(recs, "command") if x["command"] == "COM_BINLOG_DUMP"][0]
        self.assertEqual(dump["result"], "stream")

        # The --compress session cut after its login: compression told from
        # the frames; what came before the server's first zlib packet (the
        # stored first statement and its stored reply) skipped; the rest
        # decoded as in the whole capture, the 2,000 rows counted.
        rc, recs = doc("mid_compressed.pcap")
        c = kind(recs, "connection")[0]
        self.assertTrue(c["mid_stream"])
        self.assertTrue(c["mysql"]["compressed"])
        self.assertTrue(c["mysql"]["compression_inferred"])
        self.assertEqual(c["mysql"]["compression"], "zlib")
        self.assertGreater(c["mysql"]["skipped_bytes"]["client"], 0)
        self.assertEqual(c["mysql"]["anomalies"], [])
        cmds = kind(recs, "command")
        self.assertEqual([x["command"] for x in cmds],
                         ["COM_QUERY", "COM_INIT_DB", "COM_QUERY", "COM_QUERY", "COM_QUERY",
                          "COM_QUIT"])
        self.assertEqual(cmds[3]["rows"], 2000)
        self.assertEqual(cmds[4]["error"]["code"], 1064)
        self.assertIn("CD8020", codes(recs))
        rc, whole = doc("compressed.pcap")
        self.assertFalse(kind(whole, "connection")[0]["mysql"]["compression_inferred"])


class SameCaptureCutDifferently(unittest.TestCase):
    """Whole vs one file per packet vs two files at every boundary vs
    stdin in pieces: the same connections, commands and findings."""

    def whole(self, cap, tmp=None):
        rc, out, err = pcap(["--port", port_of(cap), "--json", os.path.join(GOLDEN, cap)])
        self.assertIn(rc, (0, 1, 2), err)
        return rc, records(out)

    def test_one_file_per_packet(self):
        for cap in CAPTURES:
            with self.subTest(capture=cap), tempfile.TemporaryDirectory() as tmp:
                rc, want = self.whole(cap)
                p = pcapfile.read(os.path.join(GOLDEN, cap))
                files = []
                for i, rec in enumerate(p.records):
                    path = os.path.join(tmp, f"{i:05d}.pcap")
                    pcapfile.write(path, pcapfile.to_bytes(p, [rec]))
                    files.append(path)
                rc2, out, err = pcap(["--port", port_of(cap), "--json", *files])
                self.assertEqual(rc2, rc, err)
                got = records(out)
                self.assertEqual(summary_free(got), summary_free(want))
                self.assertEqual(got[-1]["packets"], len(p.records))

    def test_two_files_at_every_boundary(self):
        for cap in ("text_in_stream.pcap", "wait_timeout.pcap", "login_failed.pcap"):
            rc, want = self.whole(cap)
            p = pcapfile.read(os.path.join(GOLDEN, cap))
            with tempfile.TemporaryDirectory() as tmp:
                a, b = os.path.join(tmp, "a.pcap"), os.path.join(tmp, "b.pcap")
                for k in range(len(p.records) + 1):
                    with self.subTest(capture=cap, boundary=k):
                        pcapfile.write(a, pcapfile.to_bytes(p, p.records[:k]))
                        pcapfile.write(b, pcapfile.to_bytes(p, p.records[k:]))
                        rc2, out, err = pcap(["--port", port_of(cap), "--json", a, b])
                        self.assertEqual(rc2, rc, err)
                        self.assertEqual(records(out), want)

    def test_stdin_in_pieces(self):
        """One write per packet record (and the header alone), through a
        pipe: reads end at every boundary."""
        for cap in CAPTURES:
            with self.subTest(capture=cap):
                rc, want = self.whole(cap)
                p = pcapfile.read(os.path.join(GOLDEN, cap))
                argv = [harness.need_conndoctor(), "pcap", "--port", port_of(cap), "--json", "-"]
                proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE)
                out = []
                reader = threading.Thread(target=lambda: out.append(proc.stdout.read()))
                reader.start()
                proc.stdin.write(pcapfile.header_bytes(p))
                proc.stdin.flush()
                for rec in p.records:
                    proc.stdin.write(pcapfile.record_bytes(p, rec))
                    proc.stdin.flush()
                proc.stdin.close()
                reader.join(60)
                proc.wait(60)
                self.assertEqual(proc.returncode, rc, proc.stderr.read())
                self.assertEqual(records(out[0].decode()), want)

    def test_pcapng_and_link_types(self):
        editcap = shutil.which("editcap")
        for cap in ("normal.pcap", "text_in_stream.pcap", "bigresult.pcap"):
            rc, want = self.whole(cap)
            p = pcapfile.read(os.path.join(GOLDEN, cap))
            with tempfile.TemporaryDirectory() as tmp:
                variants = []
                for lt in (pcapfile.LINKTYPE_RAW, pcapfile.LINKTYPE_LINUX_SLL,
                           pcapfile.LINKTYPE_LINUX_SLL2, pcapfile.LINKTYPE_NULL,
                           pcapfile.LINKTYPE_LOOP):
                    path = os.path.join(tmp, f"lt{lt}.pcap")
                    pcapfile.write(path, pcapfile.to_bytes(pcapfile.relink(p, lt), linktype=lt))
                    variants.append(path)
                if editcap:
                    path = os.path.join(tmp, "ng.pcapng")
                    subprocess.run([editcap, "-F", "pcapng", os.path.join(GOLDEN, cap), path],
                                   check=True, capture_output=True, timeout=60)
                    variants.append(path)
                for path in variants:
                    with self.subTest(capture=cap, variant=os.path.basename(path)):
                        rc2, out, err = pcap(["--port", port_of(cap), "--json", path])
                        self.assertEqual(rc2, rc, err)
                        got = records(out, drop=("input", "summary"))
                        self.assertEqual(got, summary_free(want))


class BadInput(unittest.TestCase):
    def test_truncated_files(self):
        data = open(os.path.join(GOLDEN, "normal.pcap"), "rb").read()
        p = pcapfile.read(os.path.join(GOLDEN, "normal.pcap"))
        boundaries, off = {24}, 24
        for rec in p.records:
            off += 16 + len(rec[3])
            boundaries.add(off)
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "cut.pcap")
            for n in sorted({0, 3, 10, 23, 30, 40, 24 + 16 + 5, len(data) // 2,
                             len(data) - 1} | set(range(24, len(data), 97))):
                with self.subTest(bytes=n):
                    pcapfile.write(path, data[:n])
                    rc, out, err = pcap(["--port", port_of("normal.pcap"), path])
                    if n in boundaries:
                        self.assertIn(rc, (0, 1, 2), err)
                        continue
                    self.assertEqual(rc, 69, f"cut at {n}: {err}")
                    self.assertRegex(err, r"conndoctor pcap: .*cut\.pcap: "
                                     r"(truncated|unknown file format|file too short|"
                                     r"truncated dump file)")
                    self.assertEqual(err.count("\n"), 1)  # one clear line

    def test_truncated_pcapng(self):
        editcap = harness.need_binary("editcap")
        with tempfile.TemporaryDirectory() as tmp:
            ng = os.path.join(tmp, "n.pcapng")
            subprocess.run([editcap, "-F", "pcapng", os.path.join(GOLDEN, "normal.pcap"), ng],
                           check=True, capture_output=True, timeout=60)
            data = open(ng, "rb").read()
            path = os.path.join(tmp, "cut.pcapng")
            for n in (8, 40, len(data) // 3, len(data) - 5):
                with self.subTest(bytes=n):
                    pcapfile.write(path, data[:n])
                    rc, out, err = pcap(["--port", port_of("normal.pcap"), path])
                    self.assertEqual(rc, 69, err)
                    self.assertIn("cut.pcapng", err)

    def test_corrupt_records(self):
        """Random damage to record headers and bytes: a clean exit with a
        reason or a report, never a signal."""
        data = bytearray(open(os.path.join(GOLDEN, "text_in_stream.pcap"), "rb").read())
        rnd = random.Random(1156)
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "bad.pcap")
            for i in range(60):
                bad = bytearray(data)
                for _ in range(rnd.randint(1, 8)):
                    bad[rnd.randrange(24, len(bad))] = rnd.randrange(256)
                pcapfile.write(path, bytes(bad))
                with self.subTest(variant=i):
                    rc, out, err = pcap(["--port", port_of("text_in_stream.pcap"), "--json",
                                         path])
                    self.assertIn(rc, (0, 1, 2, 69), err)
                    if rc == 69:
                        self.assertIn("bad.pcap", err)
                    self.assertEqual(records(out)[-1]["type"], "summary")

    def test_not_a_capture_and_usage(self):
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "x.txt")
            with open(path, "w") as f:
                f.write("this is not a capture\n")
            rc, out, err = pcap([path])
            self.assertEqual(rc, 69)
            self.assertIn("unknown file format", err)
        rc, out, err = pcap([os.path.join(GOLDEN, "nope.pcap")])
        self.assertEqual(rc, 69)
        self.assertIn("No such file", err)
        self.assertEqual(pcap([])[0], 64)
        self.assertEqual(pcap(["--port", "0", "x.pcap"])[0], 64)
        self.assertEqual(pcap(["--port", "3306,abc", "x.pcap"])[0], 64)
        self.assertEqual(pcap(["--bogus", "x.pcap"])[0], 64)
        self.assertEqual(pcap(["--live", "lo", "x.pcap"])[0], 64)
        rc, out, err = pcap(["--conn", "99", "--port", port_of("normal.pcap"),
                             os.path.join(GOLDEN, "normal.pcap")])
        self.assertEqual(rc, 64)
        self.assertIn("no connection #99", err)
        rc, out, err = pcap(["--help"])
        self.assertEqual(rc, 0)
        self.assertIn("--live IFACE", out)

    def test_snaplen_cut(self):
        """A capture taken with -s 96: analysed, the cut reported (info)."""
        p = pcapfile.read(os.path.join(GOLDEN, "bigresult.pcap"))
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "s96.pcap")
            pcapfile.write(path, pcapfile.cut(p, 96))
            rc, out, err = pcap(["--port", port_of("bigresult.pcap"), "--json", path])
        self.assertEqual(rc, 0, err)
        recs = records(out)
        self.assertGreater(recs[-1]["truncated_frames"], 0)
        gaps = [r for r in recs if r["type"] == "finding" and r["code"] == "CD3032"]
        self.assertEqual(len(gaps), 1)
        c = [r for r in recs if r["type"] == "connection"][0]
        # the greeting itself is cut: the session is not decodable, TCP is
        self.assertEqual(c["mysql"]["login"], "unknown")
        self.assertTrue(c["handshake"]["established"])
        self.assertEqual(c["close"]["end"], "client FIN after COM_QUIT")  # resynced
        self.assertEqual(c["packets"], {"client": 11, "server": 12})

    def test_default_port_only(self):
        """Without --port, only 3306 is a server port."""
        rc, out, err = pcap(["--json", os.path.join(GOLDEN, "normal.pcap")])
        self.assertEqual(rc, 0)
        self.assertEqual(records(out)[-1]["connections"], 0)


class FreshCapture(unittest.TestCase):
    """Made now, against a harness MariaDB: tcpdump to a file, and --live."""

    @classmethod
    def setUpClass(cls):
        harness.need_root()
        harness.need_binary("tcpdump")
        harness.need_conndoctor()
        cls.db = MariaDB(variables={"skip_name_resolve": 1})
        cls.db.start()

    @classmethod
    def tearDownClass(cls):
        cls.db.stop()

    def workload(self):
        db = self.db
        c = myclient.Client("127.0.0.1", db.port, db.user, db.password)
        c.query("SELECT 1")
        c.query("SELECT seq FROM mysql.seq_1_to_300")
        try:
            c.query("SELECT * FROM nope.nope")
        except myclient.MySQLError:
            pass
        c.quit()
        try:
            myclient.Client("127.0.0.1", db.port, db.user, "wrong")
        except myclient.MySQLError:
            pass

    def check(self, recs):
        # A connection's record comes when it ends, and the first one ends
        # when mysqld closes its side, which under load can be after the
        # second login failed: order them by id (the order they began).
        conns = sorted((r for r in recs if r["type"] == "connection"), key=lambda r: r["id"])
        cmds = [r for r in recs if r["type"] == "command"]
        self.assertEqual(len(conns), 2, conns)
        self.assertEqual(conns[0]["mysql"]["login"], "ok")
        self.assertEqual(conns[1]["mysql"]["login"], "failed")
        self.assertEqual(conns[1]["mysql"]["error"]["code"], 1045)
        self.assertEqual([(c["argument"], c["result"], c["rows"]) for c in cmds[:3]],
                         [("SELECT 1", "rows", 1), ("SELECT seq FROM mysql.seq_1_to_300", "rows", 300),
                          ("SELECT * FROM nope.nope", "error", 0)])
        self.assertEqual(cmds[2]["error"]["code"], 1146)
        self.assertEqual(cmds[3]["command"], "COM_QUIT")
        for c in cmds[:3]:
            self.assertGreaterEqual(c["response_s"], 0)
            self.assertLess(c["response_s"], 5)

    def test_tcpdump_file(self):
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "fresh.pcap")
            with tcpdump_lo(path, self.db.port):
                self.workload()
            rc, out, err = pcap(["--port", self.db.port, "--json", path])
        self.check(records(out))
        self.assertEqual(rc, 1, err)  # the failed login is a warning

    def test_live(self):
        argv = [harness.need_conndoctor(), "pcap", "--live", "lo", "--port", str(self.db.port),
                "--duration", "4", "--json"]
        p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             preexec_fn=harness.preexec_die_with_parent())
        try:
            time.sleep(1.0)  # the capture is up
            self.workload()
            out, err = p.communicate(timeout=30)
        finally:
            harness.end_process(p)
        self.assertEqual(p.returncode, 1, err)
        recs = records(out)
        self.check(recs)
        self.assertEqual(recs[-1]["kernel_drops"], 0)


if __name__ == "__main__":
    harness.run_tests(globals())
