"""`conndoctor check --json` for real, every slice, against a real MariaDB
started by the harness (with its error log and Unix socket): the document
is walked and every value under a measurement key must be a number, a bool
or null; a string only under the name-valued keys docs/json.md lists.
Checks also that the measurements are the server's and host's real numbers
(not zeros), and that the text report shows the same numbers."""
import json
import os
import re
import unittest

from harness import run_conndoctor
from harness.mariadb import MariaDB

HERE = os.path.dirname(os.path.abspath(__file__))
DOC = os.path.join(HERE, "..", "..", "docs", "json.md")


def name_valued_keys():
    """The keys docs/json.md allows to hold strings (names, paths, ...)."""
    with open(DOC, encoding="utf-8") as f:
        text = f.read()
    check = text[text.index("# `conndoctor check --json`"):]
    start = check.index("(name-valued fields):")
    end = check.index(".", check.index("`version`", start))
    keys = set(re.findall(r"`([a-z_0-9]+)`", check[start:end]))
    if len(keys) < 20:
        raise AssertionError(f"name-valued list not found in {DOC}: {keys}")
    return keys


def walk(doc, names):
    """Problems in doc's facts: (section/key/field, value) of every value
    that is not a number, bool or null, nor a string under a name key."""
    bad = []
    for f in doc["facts"]:
        if set(f) != {"section", "fact", "key", "values"}:
            bad.append((f.get("key"), f"fields {sorted(f)}"))
        for k, v in f["values"].items():
            where = f"{f['section']}/{f['key']}/{k}"
            if v is None or isinstance(v, bool) or isinstance(v, (int, float)):
                continue
            if isinstance(v, str) and k in names:
                continue
            bad.append((where, v))
    return bad


class CheckJson(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.names = name_valued_keys()
        with MariaDB(variables={"skip_name_resolve": 1, "max_connections": 77}) as db:
            base = ["check", "--defaults-file=" + db.client_cnf(), "-S", db.socket,
                    "--error-log", db.error_log, "--interval", "0.5", "--no-dns"]
            rc, out, err = run_conndoctor(base + ["--json"])
            try:
                cls.doc = json.loads(out)
            except ValueError:
                raise AssertionError(f"not JSON (rc={rc}): {out[:400]!r} {err[:400]!r}")
            cls.rc = rc
            cls.text_rc, cls.text, _ = run_conndoctor(base + ["--only", "server"])
            cls.port = db.port

    def fact(self, section, key):
        for f in self.doc["facts"]:
            if f["section"] == section and f["key"] == key:
                return f["values"]
        raise AssertionError(f"no fact {section}/{key}")

    def test_every_measurement_is_typed(self):
        sections = {f["section"] for f in self.doc["facts"]}
        # every slice reported something
        self.assertLessEqual({"kernel", "census", "fds", "wrappers", "resolver",
                              "firewall", "server", "errlog"}, sections)
        self.assertEqual(walk(self.doc, self.names), [])
        numbers = [v for f in self.doc["facts"] for v in f["values"].values()
                   if isinstance(v, (int, float)) and not isinstance(v, bool)]
        self.assertGreater(len(numbers), 50)

    def test_walker_sees_prose(self):
        """The walk itself fails on a sentence or a number as a string."""
        doc = {"facts": [{"section": "s", "fact": "f", "key": "k",
                          "values": {"x_s": "127 s", "path": "/tmp/x", "n_count": 3}}]}
        self.assertEqual(walk(doc, self.names), [("s/k/x_s", "127 s")])
        doc["facts"][0]["values"] = {"version": "10.11", "rule": None}
        self.assertEqual(walk(doc, self.names), [])

    def test_real_numbers(self):
        self.assertEqual(self.fact("server", "max_connections")["max_connections_count"], 77)
        self.assertIs(self.fact("server", "skip_name_resolve")["skip_name_resolve"], True)
        self.assertEqual(self.fact("server", "port")["port"], int(self.port))
        conns = self.fact("server", "Connections")
        self.assertGreaterEqual(conns["value_count"], 1)
        self.assertGreaterEqual(conns["interval_s"], 0.5)
        with open("/proc/sys/net/ipv4/tcp_syn_retries") as f:
            self.assertEqual(self.fact("kernel", "tcp_syn_retries")["syn_retries_count"],
                             int(f.read()))
        self.assertEqual(self.fact("census", "unix_socket")["listeners_count"], 1)
        read = self.fact("errlog", "read")
        self.assertGreater(read["lines_count"], 0)
        self.assertGreater(read["bytes"], 0)
        for u in self.doc["unreadable"]:
            self.assertEqual(set(u), {"what", "why"})
            self.assertNotEqual(u["what"], "internal", u)  # a fact given the wrong values

    def test_text_shows_the_same_numbers(self):
        self.assertIn("max_connections          77 (sessions before ERROR 1040)", self.text)
        self.assertIn("skip_name_resolve        ON (", self.text)
        self.assertRegex(self.text, r"Connections +\d+ \(\d+\.\d\d/s over \d+\.\d s\)")


if __name__ == "__main__":
    unittest.main()
