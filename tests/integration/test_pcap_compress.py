"""conndoctor pcap on a compressed session captured now: the mariadb client
with --compress (zlib, CLIENT_COMPRESS) against a harness MariaDB, recorded
by tcpdump on loopback. The session inside is decoded as an uncompressed
one is (statements, row counts, the error), its compression is named, no
packet fails to inflate, and tshark (which inflates zlib sessions) lists
the same statements. (The harness MariaDB has no zstd: zstd is covered by
tests/golden/pcap/zstd.pcap, written from the protocol pages.)"""
import os
import shutil
import subprocess
import tempfile
import unittest

import harness
from harness.capture import tcpdump_lo
from harness.mariadb import MariaDB
from test_pcap import pcap, records  # noqa: E402
from test_pcap_tshark import theirs  # noqa: E402

SQL = ["SELECT 1;",
       "SELECT seq, REPEAT('y', 30) FROM mysql.seq_1_to_3000;",
       "SELECT * FROM nope.nope;",
       "SELECT 'a string long enough for the client to deflate it, surely' AS s;"]


class CompressedCapture(unittest.TestCase):
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

    def test_zlib_session(self):
        db = self.db
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "compressed.pcap")
            with tcpdump_lo(path, db.port):
                argv = db.client_argv("--protocol=TCP", "-h", "127.0.0.1", "-P", str(db.port),
                                      "--skip-ssl", "--compress", "--force")
                r = subprocess.run(argv, input="\n".join(SQL) + "\n", capture_output=True,
                                   text=True, timeout=60)
                self.assertIn("1146", r.stderr)
            rc, out, err = pcap(["--port", db.port, "--json", path])
            tsh = theirs(path, db.port) if shutil.which("tshark") else None
        recs = records(out)
        conn = [x for x in recs if x["type"] == "connection"][0]
        self.assertEqual(conn["mysql"]["login"], "ok")
        self.assertTrue(conn["mysql"]["compressed"])
        self.assertEqual(conn["mysql"]["compression"], "zlib")
        self.assertEqual(conn["mysql"]["anomalies"], [])
        cmds = [x for x in recs if x["type"] == "command" and x["command"] == "COM_QUERY"]
        mine = [(c["argument"], c["result"], c["rows"]) for c in cmds]
        # the client asks for the version comment first
        self.assertEqual(mine[-4:], [
            ("SELECT 1", "rows", 1),
            ("SELECT seq, REPEAT('y', 30) FROM mysql.seq_1_to_3000", "rows", 3000),
            ("SELECT * FROM nope.nope", "error", 0),
            ("SELECT 'a string long enough for the client to deflate it, surely' AS s",
             "rows", 1)])
        self.assertEqual(cmds[-2]["error"]["code"], 1146)
        self.assertEqual([x for x in recs if x["type"] == "command"][-1]["command"], "COM_QUIT")
        codes = [f["code"] for f in conn["findings"]]
        self.assertIn("CD8020", codes)
        self.assertEqual(rc, 0, err)
        if tsh is not None:
            self.assertEqual([c["argument"] for c in cmds], tsh)


if __name__ == "__main__":
    harness.run_tests(globals())
