"""conndoctor pcap against tshark as an oracle: for every capture in
tests/golden/pcap, the statements `tshark -r F -d tcp.port==P,mysql -T
fields -e mysql.query` prints (COM_QUERY and COM_STMT_PREPARE) are the
statements conndoctor reports (`pcap --json`, command records of those two
commands, in the order the commands were sent), except where tshark is
known not to decode; each exception is listed below with the reason, and
the test checks that it is still an exception (so a tshark that learns it
makes the test say so).

Exceptions (tshark 4.0.17, Debian 12):
- zstd.pcap: tshark 4.0's MySQL dissector inflates CLIENT_COMPRESS (zlib)
  sessions but has no zstd, so it shows no statement inside. conndoctor's
  statements are compared with those of qattr.pcap instead: synth.py
  writes the same session there without compression.
- qattr.pcap (and so zstd.pcap): tshark 4.0 reads every query attribute's
  value as a length-encoded string whatever its type, so a query carrying
  a LONGLONG attribute ("attempt" = 3) or a NULL one ("nothing") loses its
  statement (tshark flags "dissector is incomplete"). Those two statements
  are missing from tshark's list.
- mid_compressed.pcap: tshark 4.0 inflates a session only when it saw the
  login set CLIENT_COMPRESS; this capture is compressed.pcap cut after the
  login, so tshark shows no statement. conndoctor's statements are compared
  with compressed.pcap's without its first one: the cut starts at that
  statement's packet, which went stored (under 50 bytes, no zlib header),
  so conndoctor only knows the session is compressed from the server's
  reply, the first packet with a zlib header, and gets in step at the
  client's next command.
"""
import json
import os
import shutil
import subprocess
import sys
import unittest

import harness
from test_pcap import GOLDEN, cases, pcap  # noqa: E402

# capture -> statements tshark 4.0 does not show (see the docstring)
TSHARK_MISSES = {
    "qattr.pcap": ["SELECT 1", "SELECT @a FROM t WHERE note = 'x' LIMIT 1 /* longer */"],
}
# capture -> capture whose statements stand in for tshark's
TSHARK_BLIND = {"zstd.pcap": "qattr.pcap", "mid_compressed.pcap": "compressed.pcap"}
# capture -> statements of its twin the capture starts after
TWIN_SKIPS = {"mid_compressed.pcap": 1}


def unescape(s):
    """Undoes util/escape.c (\\n \\r \\t \\\\ \\xHH) to compare with tshark."""
    out, i = bytearray(), 0
    b = s.encode()
    while i < len(b):
        if b[i] == 0x5c and i + 1 < len(b):
            c = chr(b[i + 1])
            if c in "nrt\\":
                out += {"n": b"\n", "r": b"\r", "t": b"\t", "\\": b"\\"}[c]
                i += 2
                continue
            if c == "x" and i + 3 < len(b):
                out.append(int(b[i + 2:i + 4], 16))
                i += 4
                continue
        out.append(b[i])
        i += 1
    return out.decode("utf-8", "replace")


def ours(capture, port):
    rc, out, err = pcap(["--port", port, "--json", capture], cwd=GOLDEN)
    if rc not in (0, 1, 2):
        raise AssertionError(f"{capture}: exit {rc}: {err}")
    cmds = [json.loads(line) for line in out.splitlines() if '"type":"command"' in line]
    cmds.sort(key=lambda c: (c["t_s"], c["conn"], c["n"]))
    return [unescape(c["argument"]) for c in cmds
            if c["command"] in ("COM_QUERY", "COM_STMT_PREPARE")]


def theirs(capture, port):
    r = subprocess.run(["tshark", "-r", capture, "-d", f"tcp.port=={port},mysql",
                        "-T", "fields", "-e", "mysql.query"],
                       cwd=GOLDEN, capture_output=True, text=True, timeout=120)
    if r.returncode != 0:
        raise AssertionError(f"tshark {capture}: {r.stderr}")
    # one line per frame; a frame with two statements joins them with ","
    return [line for line in r.stdout.split("\n") if line]


class TsharkOracle(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not shutil.which("tshark"):
            harness.skip("tshark not installed")
        harness.need_conndoctor()
        seen, cls.captures = set(), []
        for _, cap, _, opts in cases():
            if cap not in seen:
                seen.add(cap)
                cls.captures.append((cap, opts[opts.index("--port") + 1]))

    def test_every_capture(self):
        checked = 0
        for cap, port in self.captures:
            with self.subTest(capture=cap):
                mine = ours(cap, port)
                tsh = theirs(cap, port)
                if cap in TSHARK_BLIND:
                    self.assertEqual(tsh, [], f"{cap}: tshark now decodes it: compare directly")
                    twin = TSHARK_BLIND[cap]
                    skip = TWIN_SKIPS.get(cap, 0)
                    self.assertEqual(mine, ours(twin, dict(self.captures)[twin])[skip:])
                    checked += 1
                    continue
                misses = TSHARK_MISSES.get(cap, [])
                for m in misses:
                    self.assertIn(m, mine, f"{cap}: exception {m!r} not in conndoctor's list")
                    self.assertNotIn(m, tsh, f"{cap}: tshark now decodes {m!r}")
                expect = list(mine)
                for m in misses:
                    expect.remove(m)
                self.assertEqual(expect, tsh, cap)
                checked += 1
        self.assertGreaterEqual(checked, 15)


if __name__ == "__main__":
    harness.run_tests(globals())
