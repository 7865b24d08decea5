"""conndoctor check --only wrappers against the wrapelf fixtures: a binary
linked with -lwrap plus a hosts.allow rule with a host name pattern is
flagged (CD5001 + CD5002 with the file:line and the pattern); the same
tables with a binary without libwrap give only "no effect" (CD5005);
address-only rules give no DNS finding; malformed lines and PARANOID are
named with their line."""
import json
import os
import shutil
import tempfile
import unittest

import harness
from harness import run_conndoctor


def fixture(name):
    """tests/fixtures/wrapelf/NAME in the build directory of $CONNDOCTOR."""
    build = os.path.dirname(os.path.abspath(harness.conndoctor_path()))
    return os.path.join(build, "tests", "fixtures", "wrapelf", name)


def dead_lookup_s(timeout, attempts, nameservers):
    """glibc res_send's worst case for one lookup (every server dead)."""
    timeout, attempts, ns = int(timeout), int(attempts), max(int(nameservers), 1)
    per_round = sum(max((timeout << i) // (ns if i else 1), 1) for i in range(ns))
    return per_round * attempts


class CheckWrappers(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.wrap = fixture("wrapelf_wrap")
        cls.plain = fixture("wrapelf_plain")
        for p in (cls.wrap, cls.plain):
            if not os.access(p, os.X_OK):
                harness.skip(f"fixture {p} not built (libwrap0-dev missing?)")
        cls.dir = tempfile.mkdtemp(prefix="cdwrap")
        token = harness.add_cleanup(lambda: shutil.rmtree(cls.dir, ignore_errors=True),
                                    "wrappers temp dir")
        cls._cleanup = token

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, ignore_errors=True)
        harness.remove_cleanup(cls._cleanup)

    def tables(self, name, allow, deny):
        a = os.path.join(self.dir, f"{name}.allow")
        d = os.path.join(self.dir, f"{name}.deny")
        with open(a, "w") as f:
            f.write(allow)
        with open(d, "w") as f:
            f.write(deny)
        return a, d

    def check(self, binary, allow, deny, json_out=True):
        args = ["check", "--only", "wrappers", "--mysqld", binary,
                "--hosts-allow", allow, "--hosts-deny", deny]
        if json_out:
            args.append("--json")
        rc, out, err = run_conndoctor(args, timeout=60)
        if not json_out:
            return rc, out, err
        try:
            doc = json.loads(out)
        except ValueError:
            raise AssertionError(f"not JSON (rc={rc}): {out[:400]!r} stderr={err!r}")
        return rc, doc, err

    @staticmethod
    def codes(doc):
        return [f["code"] for f in doc["findings"]]

    @staticmethod
    def finding(doc, code):
        for f in doc["findings"]:
            if f["code"] == code:
                return f
        raise AssertionError(f"no {code} in {[f['code'] for f in doc['findings']]}")

    @staticmethod
    def fact(doc, key):
        """The values of the wrappers fact named key."""
        for f in doc["facts"]:
            if f["section"] == "wrappers" and f["key"] == key:
                return f["values"]
        raise AssertionError(f"no wrappers fact {key}: {doc['facts']}")

    def test_libwrap_and_hostname_rule_flagged(self):
        a, d = self.tables("dns", "mysqld: db-client.example.com\n", "mysqld: ALL\n")
        rc, doc, err = self.check(self.wrap, a, d)
        self.assertEqual(rc, 1, err)  # warnings
        lw = self.finding(doc, "CD5001")
        self.assertEqual(lw["severity"], "warning")
        self.assertIn("libwrap.so.0", lw["summary"])
        self.assertEqual(lw["data"]["libwrap_depth"], 1)
        self.assertEqual(lw["data"]["rules_named"], 2)
        dns = self.finding(doc, "CD5002")
        self.assertEqual(dns["severity"], "warning")
        self.assertIn(f"{a}:1", dns["summary"])
        self.assertIn(f"{a}:1: 'mysqld: db-client.example.com'", dns["evidence"])
        self.assertIn("pattern 'db-client.example.com'", dns["evidence"])
        self.assertIn("skip_name_resolve", dns["evidence"])
        data = dns["data"]
        self.assertEqual(data["line"], 1)
        self.assertEqual(data["table"], 0)
        self.assertEqual(data["every"], 1)
        self.assertEqual(data["libwrap"], 1)
        self.assertEqual(data["lookup_dead_s"],
                         dead_lookup_s(data["resolv_timeout_s"], data["resolv_attempts"],
                                       data["nameservers"]))
        self.assertGreaterEqual(data["lookup_dead_s"], 1)
        lib = self.fact(doc, "libwrap")
        self.assertIs(lib["linked"], True, doc["facts"])
        self.assertTrue(lib["chain"].endswith("libwrap.so.0"), lib)
        self.assertTrue(lib["path"].startswith("/"), lib)
        rule = self.fact(doc, "first DNS rule")
        self.assertEqual((rule["table"], rule["line"]), (a, 1))
        self.assertNotIn("CD5005", self.codes(doc))

    def test_plain_binary_rules_have_no_effect(self):
        a, d = self.tables("plain", "mysqld: db-client.example.com\n", "mysqld: ALL\n")
        rc, doc, err = self.check(self.plain, a, d)
        self.assertEqual(rc, 0, err)
        self.assertEqual(self.codes(doc), ["CD5005"])
        f = self.finding(doc, "CD5005")
        self.assertEqual(f["severity"], "info")
        self.assertEqual(f["data"]["rules_named"], 2)
        self.assertEqual(f["data"]["dns_rules"], 1)
        self.assertIs(self.fact(doc, "libwrap")["linked"], False)
        self.assertFalse(any(x["severity"] != "info" for x in doc["findings"]))

    def test_address_only_rules_no_dns_warning(self):
        a, d = self.tables("addr",
                           "mysqld mariadbd: 10.0.0.0/255.0.0.0, 192.168.1., [::1]/128\n"
                           "mysqld mariadbd: 127.0.0.1\n",
                           "mysqld mariadbd: ALL\n")
        rc, doc, err = self.check(self.wrap, a, d)
        self.assertEqual(rc, 0, err)
        self.assertEqual(self.codes(doc), ["CD5001"])
        self.assertEqual(self.finding(doc, "CD5001")["severity"], "info")
        self.assertEqual(self.finding(doc, "CD5001")["data"]["dns_rules"], 0)

    def test_earlier_address_rule_decides_first(self):
        a, d = self.tables("order",
                           "mysqld: 10.0.0.0/255.0.0.0\n"
                           "mysqld: [::1]\n",
                           "mysqld: ALL\n")
        rc, doc, err = self.check(self.wrap, a, d)
        self.assertEqual(rc, 1, err)
        dns = self.finding(doc, "CD5002")
        self.assertEqual(dns["data"]["line"], 2)
        self.assertEqual(dns["data"]["every"], 0)
        self.assertIn(f"clients matching {a}:1 are decided on their address alone",
                      dns["evidence"])
        self.assertIn("pattern '[::1]'", dns["evidence"])

    def test_malformed_and_paranoid(self):
        a, d = self.tables("bad",
                           "# ok\n"
                           "mysqld 10.0.0.1\n"
                           "mysqld: 10.0.0.2 # app\n"
                           "mysqld: 2001:db8::1\n",
                           "ALL: PARANOID")  # no final newline: skipped
        rc, doc, err = self.check(self.wrap, a, d)
        self.assertEqual(rc, 1, err)
        bad = {(f["data"]["table"], f["data"]["line"]): f
               for f in doc["findings"] if f["code"] == "CD5004"}
        self.assertIn((0, 2), bad)
        self.assertIn("no ':'", bad[(0, 2)]["summary"])
        self.assertIn((0, 3), bad)
        self.assertIn("'#'", bad[(0, 3)]["summary"])
        self.assertIn((0, 4), bad)
        self.assertIn((1, 1), bad)
        self.assertIn("no newline", bad[(1, 1)]["summary"])
        for f in bad.values():
            self.assertEqual(f["severity"], "warning")
        # the '#' makes "app" a host name pattern: DNS for the others
        self.assertEqual(self.finding(doc, "CD5002")["data"]["line"], 3)
        # PARANOID was on the skipped line: not in force
        self.assertNotIn("CD5003", self.codes(doc))
        with open(d, "a") as f:
            f.write("\n")
        rc, doc, err = self.check(self.wrap, a, d)
        p = self.finding(doc, "CD5003")
        self.assertEqual(p["data"]["table"], 1)
        self.assertEqual(p["data"]["line"], 1)

    def test_text_output_and_absent_tables(self):
        a = os.path.join(self.dir, "absent.allow")
        d = os.path.join(self.dir, "absent.deny")
        rc, doc, err = self.check(self.wrap, a, d)
        self.assertEqual(rc, 0, err)
        self.assertEqual(self.codes(doc), ["CD5001"])
        self.assertIs(self.fact(doc, "hosts.allow")["found"], False)
        a, d = self.tables("text", "mysqld: .example.com\n", "")
        rc, out, err = self.check(self.wrap, a, d, json_out=False)
        self.assertEqual(rc, 1, err)
        self.assertIn("CD5002", out)
        self.assertIn(f"{a}:1", out)

    def test_explain_pages(self):
        for code in ("CD5001", "CD5002", "CD5003", "CD5004", "CD5005", "CD5006",
                     "CD5007", "CD5008"):
            rc, out, err = run_conndoctor(["explain", code])
            self.assertEqual(rc, 0, err)
            self.assertTrue(out.startswith(f"# {code}:"), out[:80])


if __name__ == "__main__":
    harness.need_conndoctor()
    harness.run_tests(globals())
