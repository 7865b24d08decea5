"""--html FILE (docs/html.md) opened in a real browser: headless Chromium
(Debian's `chromium`) loads each report, its DOM is checked (one mark per
attempt or connection, the root-cause heading, no script, no external
resource) and its console must stay silent; a screenshot of each is kept
under the build directory (test-artefacts/html/). Reports: a probe and a
diagnose against a closed port beside the harness MariaDB, a ramp against
the server itself, a hostile server's error message, a run past the cap on
drawn marks, and a golden capture for pcap."""
import html.parser
import json
import os
import re
import shutil
import struct
import subprocess
import tempfile
import unittest

import harness
from harness import run_conndoctor
from harness.mariadb import MariaDB
from harness.mysqlpeer import MysqlPeer, err, greeting, read, send

GOLDEN = os.path.join(harness.REPO_ROOT, "tests", "golden", "pcap")
MARKS_MAX = 5000  # RPT_HTML_MARKS_MAX in src/report/html.h
PCAP_ROWS_MAX = 500  # RPT_PCAP_HTML_ROWS in src/report/pcap_html.c
HOSTILE = b"<script>alert(1)</script><img src=x onerror=alert(2)> & \"q\" 'a'"


def chromium():
    for name in ("chromium", "chromium-browser"):
        path = shutil.which(name)
        if path:
            return path
    return None


def artefact_dir():
    d = os.path.join(os.path.dirname(os.path.abspath(harness.conndoctor_path())),
                     "test-artefacts", "html")
    os.makedirs(d, exist_ok=True)
    return d


class Dom(html.parser.HTMLParser):
    """The elements of a dumped DOM: (tag, attrs) in order, the text under
    each element with an id, and the whole text."""

    def __init__(self, text):
        super().__init__(convert_charrefs=True)
        self.elements = []
        self.stack = []  # open elements with an id: [id, text parts]
        self.by_id = {}
        self.text = []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.elements.append((tag, a))
        if tag in ("h2",) or "id" in a:
            self.stack.append([a.get("id", tag), [], tag])

    def handle_endtag(self, tag):
        if self.stack and self.stack[-1][2] == tag:
            key, parts, _ = self.stack.pop()
            self.by_id.setdefault(key, []).append("".join(parts))

    def handle_data(self, data):
        self.text.append(data)
        for entry in self.stack:
            entry[1].append(data)

    def having(self, tag=None, cls=None):
        return [a for t, a in self.elements
                if (tag is None or t == tag)
                and (cls is None or cls in a.get("class", "").split())]


class Html(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.chrome = chromium()
        if not cls.chrome:
            harness.skip("chromium not installed (scripts/install-deps.sh installs it)")
        cls.tmp = tempfile.mkdtemp(prefix="cd-html-")
        cls.db = MariaDB(variables={"skip_name_resolve": 1})
        cls.db.start()

    @classmethod
    def tearDownClass(cls):
        cls.db.stop()
        shutil.rmtree(cls.tmp, True)

    def cnf(self, **kw):
        return "--defaults-file=" + self.db.client_cnf(**kw)

    def browse(self, path, name):
        """Loads path in headless Chromium: returns its Dom after checking
        that the console stayed silent and keeping a screenshot."""
        common = [self.chrome, "--headless", "--disable-gpu", "--no-sandbox",
                  "--user-data-dir=" + os.path.join(self.tmp, "profile-" + name),
                  "--enable-logging=stderr", "--v=0"]
        url = "file://" + path
        p = subprocess.run([*common, "--dump-dom", url], capture_output=True,
                           text=True, timeout=120)
        self.assertEqual(p.returncode, 0, p.stderr[-2000:])
        console = [l for l in p.stderr.splitlines() if ":CONSOLE" in l]
        self.assertEqual(console, [], f"console output loading {name}")
        dom = Dom(p.stdout)
        shot = os.path.join(artefact_dir(), name + ".png")
        if os.path.exists(shot):
            os.unlink(shot)
        p = subprocess.run([*common, "--window-size=1280,2400", "--hide-scrollbars",
                            "--screenshot=" + shot, url],
                           capture_output=True, text=True, timeout=120)
        self.assertEqual(p.returncode, 0, p.stderr[-2000:])
        with open(shot, "rb") as f:
            self.assertEqual(f.read(8), b"\x89PNG\r\n\x1a\n", shot)
        self.assertGreater(os.path.getsize(shot), 10000, shot)
        self.no_external(dom)
        return dom

    def self_contained(self, path):
        """No script, no external stylesheet, font, image or frame."""
        with open(path, encoding="utf-8") as f:
            raw = f.read()
        self.assertTrue(raw.startswith("<!DOCTYPE html>"), raw[:80])
        for bad in ("<script", "<link", "<img", "<iframe", "<object", "@import",
                    "url("):
            self.assertNotIn(bad, raw, f"{bad!r} in {path}")
        return raw

    def no_external(self, dom):
        """No element of the parsed page points anywhere, nor runs code."""
        for tag, a in dom.elements:
            self.assertNotIn(tag, ("script", "link", "img", "iframe", "object", "embed"))
            for k in a:
                self.assertFalse(k in ("src", "href", "xlink:href") or k.startswith("on"),
                                 (tag, a))

    def root_heading(self, dom):
        heads = [t for t in dom.by_id.get("h2", []) if t.startswith(("Root cause", "No root cause"))]
        self.assertEqual(len(heads), 1, dom.by_id.get("h2"))
        self.assertIn("root-cause", dom.by_id, "no #root-cause section")
        return heads[0]

    def marks(self, dom):
        return dom.having("circle", "attempt")

    def html_path(self, name):
        return os.path.join(self.tmp, name + ".html")

    # ---------------------------------------------------------------- tests

    def test_console_check_sees_errors(self):
        """The console check is not vacuous: a page with an error trips it."""
        path = self.html_path("control")
        with open(path, "w") as f:
            f.write("<!DOCTYPE html><p>x</p><script>console.error('boom');</script>")
        with self.assertRaises(AssertionError):
            self.browse(path, "control")

    def test_probe_refused(self):
        out = self.html_path("probe-refused")
        port = harness.free_port()
        rc, stdout, stderr = run_conndoctor(["probe", self.cnf(port=port), "-h", "127.0.0.1",
                                             "-n", "6", "--json", "--html", out])
        self.assertEqual(rc, 69, stderr)
        doc = json.loads(stdout)
        self.self_contained(out)
        dom = self.browse(out, "probe-refused")
        marks = self.marks(dom)
        self.assertEqual(sorted(int(m["data-seq"]) for m in marks),
                         sorted(a["seq"] for a in doc["attempts"]))
        self.assertEqual({m["data-outcome"] for m in marks}, {"refused"})
        head = self.root_heading(dom)
        self.assertEqual(doc["findings"][0]["code"], "CD3002")
        self.assertEqual(head, "Root cause: " + doc["findings"][0]["title"])
        # This host's rungs: the first SYN resend (1 s) and the first
        # resolver timeout (resolv.conf's timeout) are drawn.
        self.assertGreaterEqual(len(dom.having("line", "rung-syn")), 1)
        self.assertGreaterEqual(len(dom.having("line", "rung-dns")), 1)
        syn1 = [t for t in dom.text if t.startswith("SYN resend 1:")]
        self.assertTrue(syn1, "SYN resend 1 unlabelled")
        # The attempts table: one row per attempt, the field table's columns.
        rows = [a for t, a in dom.elements if t == "tr" and "data-seq" in a]
        self.assertEqual(len(rows), 6)
        self.assertNotIn("timeline-sampled", dom.by_id)

    def test_probe_ramp_against_the_server(self):
        out = self.html_path("probe-ramp")
        rc, stdout, stderr = run_conndoctor(["probe", self.cnf(), "-h", "127.0.0.1",
                                             "--ramp", "1:3:1", "--repeat", "1", "-n", "3",
                                             "--json", "--html", out], timeout=120)
        self.assertIn(rc, (0, 1), stderr)
        doc = json.loads(stdout)
        self.self_contained(out)
        dom = self.browse(out, "probe-ramp")
        self.assertEqual(len(self.marks(dom)), len(doc["attempts"]))
        self.assertEqual({m["data-outcome"] for m in self.marks(dom)}, {"ok"})
        levels = dom.having("g", "level")
        want = doc["ramp"][0]["levels"]
        self.assertEqual([int(g["data-level"]) for g in levels],
                         [lv["concurrency"] for lv in want])
        self.assertEqual([int(g["data-failures"]) for g in levels],
                         [lv["failures"] for lv in want])
        phases = {g["data-phase"] for g in dom.having("g", "phase")}
        self.assertTrue({"connect", "greeting", "auth", "query", "total ok"} <= phases, phases)
        self.root_heading(dom)

    def test_diagnose_refused(self):
        out = self.html_path("diagnose-refused")
        port = harness.free_port()
        rc, stdout, stderr = run_conndoctor(["diagnose", self.cnf(port=port), "-h", "127.0.0.1",
                                             "-n", "3", "--no-dns", "--json", "--html", out],
                                            timeout=180)
        self.assertIn(rc, (2, 69), stderr)
        doc = json.loads(stdout)
        self.self_contained(out)
        dom = self.browse(out, "diagnose-refused")
        self.assertEqual(len(self.marks(dom)), len(doc["probe"]["attempts"]))
        head = self.root_heading(dom)
        rc_doc = doc["root_cause"]
        self.assertIsNotNone(rc_doc)
        title = (rc_doc["causes"][0]["title"] if rc_doc["explained"] and rc_doc["causes"]
                 else rc_doc["symptom"]["title"])
        self.assertTrue(head.startswith("Root cause: " + title), (head, title))
        self.assertIn("host-findings", dom.by_id)

    def test_hostile_server_message_is_text(self):
        out = self.html_path("probe-hostile")
        script = [send(greeting()), read(), send(err(1045, b"28000", HOSTILE, seq=2))]
        with MysqlPeer(script) as peer:
            rc, stdout, stderr = run_conndoctor(["probe", "--no-defaults", "-h", "127.0.0.1",
                                                 "-P", str(peer.port), "-u", "x", "-n", "2",
                                                 "--ssl-mode=DISABLED", "--json", "--html", out])
        doc = json.loads(stdout)
        self.assertEqual({a["outcome"] for a in doc["attempts"]}, {"auth_failed"}, stderr)
        raw = self.self_contained(out)
        self.assertIn("&lt;script&gt;alert(1)&lt;/script&gt;", raw)
        dom = self.browse(out, "probe-hostile")
        self.assertEqual(dom.having("script"), [])
        self.assertEqual(dom.having("img"), [])
        # The message reads as the server sent it, as text.
        self.assertIn(HOSTILE.decode(), "".join(dom.text))
        self.assertEqual(len(self.marks(dom)), 2)

    def test_marks_are_capped(self):
        out = self.html_path("probe-capped")
        port = harness.free_port()
        n = MARKS_MAX + 1
        rc, stdout, stderr = run_conndoctor(["probe", self.cnf(port=port), "-h", "127.0.0.1",
                                             "-n", str(n), "-c", "8", "--html", out],
                                            timeout=300)
        self.assertEqual(rc, 69, stderr)
        dom = self.browse(out, "probe-capped")
        marks = self.marks(dom)
        self.assertEqual(len(marks), (n + 1) // 2)  # every 2nd
        note = dom.by_id.get("timeline-sampled", [""])[0]
        self.assertIn(f"{len(marks)} of {n} attempts drawn", note)
        self.assertIn("attempts-cut", dom.by_id)

    def test_pcap_golden_capture(self):
        out = self.html_path("pcap-login-failed")
        cap = os.path.join(GOLDEN, "login_failed.pcap")
        rc, stdout, stderr = run_conndoctor(["pcap", "--port", "50395", "--json", "--html", out, cap])
        self.assertEqual(rc, 1, stderr)
        lines = [json.loads(l) for l in stdout.splitlines() if l.strip()]
        conns = [l for l in lines if l["type"] == "connection"]
        findings = [l for l in lines if l["type"] == "finding"]
        self.self_contained(out)
        dom = self.browse(out, "pcap-login-failed")
        drawn = dom.having("g", "conn")
        self.assertEqual(sorted(int(g["data-id"]) for g in drawn), sorted(c["id"] for c in conns))
        ends = {int(g["data-id"]): g["data-end"] for g in drawn}
        for c in conns:
            how = c["close"]["how"]
            self.assertIn(ends[c["id"]], [how] if how in ("fin", "rst") else ["open", "none"],
                          c["close"])
        head = self.root_heading(dom)
        self.assertEqual(head, "Root cause: " + findings[0]["title"])

    def test_pcap_rows_are_capped(self):
        """600 refused connections: 500 rows drawn, and the page says so."""
        cap = os.path.join(self.tmp, "refused600.pcap")
        write_refused_pcap(cap, 600)
        out = self.html_path("pcap-capped")
        rc, stdout, stderr = run_conndoctor(["pcap", "--json", "--html", out, cap])
        conns = [l for l in map(json.loads, stdout.splitlines()) if l["type"] == "connection"]
        self.assertEqual(len(conns), 600, stderr)
        dom = self.browse(out, "pcap-capped")
        drawn = dom.having("g", "conn")
        self.assertEqual(len(drawn), PCAP_ROWS_MAX)
        self.assertEqual(len({g["data-id"] for g in drawn}), PCAP_ROWS_MAX)
        note = dom.by_id.get("connections-cut", [""])[0]
        self.assertIn(f"{PCAP_ROWS_MAX} of 600 connections drawn", note)


def write_refused_pcap(path, n):
    """A classic pcap (LINKTYPE_ETHERNET) of n connections to port 3306,
    each a SYN answered by RST-ACK, 10 ms apart."""
    def tcp_frame(src, sport, dst, dport, seq, ack, flags):
        tcp = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 5 << 4, flags, 65535, 0, 0)
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 0, 0x4000, 64, 6, 0,
                         bytes(src), bytes(dst))
        return b"\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01\x08\x00" + ip + tcp

    cli, srv = [127, 0, 0, 1], [127, 0, 0, 2]
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        for i in range(n):
            t_us = 1_700_000_000_000_000 + i * 10_000
            for k, frame in enumerate((
                    tcp_frame(cli, 20000 + i, srv, 3306, 1000, 0, 0x02),
                    tcp_frame(srv, 3306, cli, 20000 + i, 0, 1001, 0x14))):
                ts = t_us + k * 50
                f.write(struct.pack("<IIII", ts // 1_000_000, ts % 1_000_000,
                                    len(frame), len(frame)))
                f.write(frame)


if __name__ == "__main__":
    harness.need_conndoctor()
    harness.run_tests(globals())
