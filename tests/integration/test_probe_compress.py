"""probe --compress / --compression-algorithms against the harness MariaDB
10.11, which offers zlib (CLIENT_COMPRESS) and not zstd. The server's own
view is the evidence: its session status COMPRESSION (read by the probe's
query itself, which fails with "Subquery returns more than 1 row" when the
session is not compressed) and the bytes it counts as sent (Bytes_sent),
which for a 300 000-byte result stay far under the result's size only when
the result went compressed. A zstd-only request falls back to an
uncompressed session, as MySQL's "Compression" page says a client does
when the flags do not match; the report says so."""
import json
import os
import shutil
import subprocess
import tempfile
import unittest

from harness import run_conndoctor
from harness.mariadb import MariaDB

BIG = 300000
# The result when the session is compressed; an ERR when it is not.
QUERY = ("SELECT IF((SELECT VARIABLE_VALUE FROM information_schema.SESSION_STATUS "
         "WHERE VARIABLE_NAME = 'COMPRESSION') = 'ON', REPEAT('x', %d), "
         "(SELECT 1 UNION SELECT 2))" % BIG)
NOT_COMPRESSED = "Subquery returns more than 1 row"


class ProbeCompress(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="cd-compress-")
        cls.cert = os.path.join(cls.tmp, "cert.pem")
        cls.key = os.path.join(cls.tmp, "key.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                        "-keyout", cls.key, "-out", cls.cert, "-days", "2",
                        "-subj", "/CN=127.0.0.1"], check=True, capture_output=True)
        cls.db = MariaDB(variables={"ssl_cert": cls.cert, "ssl_key": cls.key})
        cls.db.start()

    @classmethod
    def tearDownClass(cls):
        cls.db.stop()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def probe(self, *args, n=2, text=False):
        argv = ["probe", "--defaults-file=" + self.db.client_cnf(), "-h", "127.0.0.1",
                "-n", str(n), *args]
        if not text:
            argv.insert(1, "--json")
        rc, out, err = run_conndoctor(argv, timeout=120)
        if text:
            return rc, out
        try:
            return rc, json.loads(out)
        except ValueError:
            raise AssertionError(f"rc={rc} out={out[:400]!r} err={err!r}")

    def compressed_ok(self, *args, n=2):
        sent = self.db.status("Bytes_sent")
        rc, doc = self.probe("--query", QUERY, *args, n=n)
        sent = self.db.status("Bytes_sent") - sent
        self.assertEqual(doc["server"]["compression"], ["zlib"])
        for a in doc["attempts"]:
            self.assertEqual(a["outcome"], "ok", a)
            self.assertEqual(a["compression"], "zlib", a)
            for ph in ("greeting_s", "auth_s", "query_s", "close_s"):
                self.assertGreater(a[ph], 0, (ph, a))
        self.assertEqual(rc, 0)
        # n results of BIG bytes each went out as far fewer bytes (status()
        # itself adds a few hundred).
        self.assertLess(sent, n * BIG // 10, sent)
        return doc

    def test_compress_zlib(self):
        self.compressed_ok("--compress")

    def test_algorithms_list_prefers_what_the_server_has(self):
        self.compressed_ok("--compression-algorithms=zstd,zlib")

    def test_compress_over_tls(self):
        doc = self.compressed_ok("--compress", "--ssl-mode=REQUIRED")
        self.assertTrue(all(a["tls"] for a in doc["attempts"]))

    def test_compress_with_reuse(self):
        # Reset and change user go compressed too; the change user's OK
        # and every later result come through the inflater.
        for mode in ("reset", "change-user"):
            doc = self.compressed_ok("--compress", "--reuse", "3", "--reuse-mode", mode, n=1)
            self.assertGreater(doc["attempts"][0]["reuse_s"], 0)

    def test_uncompressed_baseline(self):
        rc, doc = self.probe("--query", QUERY)
        for a in doc["attempts"]:
            self.assertEqual(a["compression"], "none")
            self.assertEqual(a["outcome"], "query_error")
            self.assertEqual(a["message"], NOT_COMPRESSED)

    def test_zstd_only_falls_back(self):
        rc, doc = self.probe("--compression-algorithms=zstd", "--query", QUERY)
        self.assertEqual(doc["server"]["compression"], ["zlib"])
        for a in doc["attempts"]:
            self.assertEqual(a["compression"], "none")
            self.assertEqual(a["message"], NOT_COMPRESSED)
        rc, out = self.probe("--compression-algorithms=zstd", text=True)
        self.assertEqual(rc, 0, out)
        self.assertIn("compression: asked for zstd, the server offers zlib: none in common, "
                      "the sessions are uncompressed", out)
        rc, out = self.probe("--compress", text=True)
        self.assertIn("compression: asked for zlib, the server offers zlib: zlib\n", out)

    def test_unknown_algorithm_is_a_usage_error(self):
        rc, out, err = run_conndoctor(["probe", "--no-defaults", "-h", "127.0.0.1", "-P",
                                       str(self.db.port), "--compression-algorithms=lz4"])
        self.assertEqual(rc, 64, (out, err))
        self.assertIn("unknown compression algorithm 'lz4'", err)


if __name__ == "__main__":
    unittest.main()
