"""The Prometheus mixin in contrib/prometheus: promtool accepts the rule
files (`promtool check rules`) and their unit tests pass (`promtool test
rules`); every alert follows the mixin conventions (CamelCase name with the
ConnDoctor prefix, a severity label, summary, description and a runbook_url
to a findings page that exists), has a unit test where it fires and one
where it stays quiet, and is documented in docs/watch.md; every recording
rule is named level:metric:operations. Skips when promtool is missing."""
import json
import os
import re
import subprocess
import unittest

import harness

MIXIN = os.path.join(harness.REPO_ROOT, "contrib", "prometheus")
RULE_FILES = [os.path.join(MIXIN, "rules.yml"), os.path.join(MIXIN, "alerts.yml")]
TEST_FILE = os.path.join(MIXIN, "tests", "alerts_test.yml")
FINDINGS = os.path.join(harness.REPO_ROOT, "docs", "findings")
WATCH_MD = os.path.join(harness.REPO_ROOT, "docs", "watch.md")
RUNBOOK_BASE = "https://github.com/conndoctor/conndoctor/blob/main/docs/findings/"

try:
    import yaml
except ImportError:  # python3-yaml (scripts/install-deps.sh)
    yaml = None


def load(path):
    with open(path) as f:
        return yaml.safe_load(f)


def rules(kind):
    out = []
    for path in RULE_FILES:
        for group in load(path)["groups"]:
            out.extend(r for r in group["rules"] if kind in r)
    return out


class Promtool(unittest.TestCase):
    def setUp(self):
        self.promtool = harness.need_binary("promtool")

    def test_check_rules(self):
        r = subprocess.run([self.promtool, "check", "rules", *RULE_FILES],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual(r.stdout.count("SUCCESS"), len(RULE_FILES), r.stdout)

    def test_unit_tests(self):
        # Relative rule_files paths resolve from the test file's folder.
        r = subprocess.run([self.promtool, "test", "rules", os.path.basename(TEST_FILE)],
                           cwd=os.path.dirname(TEST_FILE), capture_output=True, text=True,
                           timeout=120)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("SUCCESS", r.stdout)


class Conventions(unittest.TestCase):
    def setUp(self):
        if yaml is None:
            harness.skip("python3-yaml is not installed")

    def test_alerts(self):
        alerts = rules("alert")
        self.assertGreaterEqual(len(alerts), 9)
        names = [a["alert"] for a in alerts]
        self.assertEqual(len(names), len(set(names)), "alert names are unique")
        for a in alerts:
            with self.subTest(alert=a["alert"]):
                self.assertRegex(a["alert"], r"^ConnDoctor([A-Z][a-z0-9]+)+$")
                self.assertIn(a["labels"]["severity"], ("warning", "critical"))
                ann = a["annotations"]
                for key in ("summary", "description", "runbook_url"):
                    self.assertTrue(ann.get(key, "").strip(), key)
                self.assertNotIn("{{", ann["summary"], "a summary is not templated")
                url = ann["runbook_url"].strip()
                self.assertTrue(url.startswith(RUNBOOK_BASE), url)
                codes = re.findall(r"CD\d{4}", url)
                if "$labels.code" not in url:
                    self.assertTrue(codes, url)
                for code in codes:
                    self.assertTrue(os.path.exists(os.path.join(FINDINGS, code + ".md")), code)

    def test_outcome_runbooks_cover_every_outcome(self):
        # ConnDoctorAttemptsFailing picks the page by outcome: every token
        # probe uses (src/probe/attempt.c) but ok has its own branch.
        with open(os.path.join(harness.REPO_ROOT, "src", "probe", "attempt.c")) as f:
            text = f.read()
        table = text[text.index("outcome_names["):]
        tokens = re.findall(r'\] = "([a-z_]+)"', table[:table.index("};")])
        self.assertIn("auth_failed", tokens)
        url = [a for a in rules("alert")
               if a["alert"] == "ConnDoctorAttemptsFailing"][0]["annotations"]["runbook_url"]
        branches = set(re.findall(r'eq \$labels\.outcome "([a-z_]+)"', url))
        missing = set(tokens) - {"ok"} - branches
        # connect_failed falls to the {{ else }} page (CD3010, unexpected errors).
        self.assertEqual(missing, {"connect_failed"})
        self.assertEqual(branches - set(tokens), set(), "no branch for an unknown outcome")

    def test_recording_rule_names(self):
        for r in rules("record"):
            with self.subTest(record=r["record"]):
                self.assertRegex(r["record"], r"^[a-z_]+:conndoctor_[a-z0-9_]+:[a-z0-9_]+$")

    def test_every_alert_fires_and_stays_quiet_in_a_unit_test(self):
        fires, quiet = set(), set()
        for group in load(TEST_FILE)["tests"]:
            for case in group.get("alert_rule_test", []):
                (fires if case.get("exp_alerts") else quiet).add(case["alertname"])
        for a in rules("alert"):
            with self.subTest(alert=a["alert"]):
                self.assertIn(a["alert"], fires, "no test where it fires")
                self.assertIn(a["alert"], quiet, "no test where it stays quiet")

    def test_every_alert_and_metric_documented(self):
        with open(WATCH_MD) as f:
            doc = f.read()
        for a in rules("alert"):
            self.assertTrue(f"`{a['alert']}`" in doc, f"{a['alert']} is not in docs/watch.md")
        metrics = set()
        for r in rules("alert") + rules("record"):
            metrics |= set(re.findall(r"(?<![:\w])conndoctor_[a-z0-9_]+", r["expr"]))
        for m in sorted(metrics):
            base = re.sub(r"_(bucket|count|sum)$", "", m)
            self.assertTrue(f"`{base}`" in doc, f"{m} is used by a rule but not in docs/watch.md")


class Dashboard(unittest.TestCase):
    """The Grafana dashboard's shape; its PromQL is run by a real Prometheus in
    tests/integration/test_prometheus.py."""

    def setUp(self):
        with open(os.path.join(MIXIN, "dashboards", "conndoctor-watch.json")) as f:
            self.dash = json.load(f)
        self.panels = []

        def walk(ps):
            for p in ps:
                self.panels.append(p)
                walk(p.get("panels", []))
        walk(self.dash["panels"])

    def test_panels(self):
        ids = [p["id"] for p in self.panels]
        self.assertEqual(len(ids), len(set(ids)), "panel ids are unique")
        types = {p["type"] for p in self.panels}
        # targets x phases heatmaps, outcomes over time, findings table
        self.assertTrue({"heatmap", "timeseries", "table"} <= types, types)
        heat = [p for p in self.panels if p["type"] == "heatmap"]
        self.assertEqual(heat[0].get("repeat"), "phase")
        rows = [p for p in self.panels if p["type"] == "row" and p.get("repeat") == "target"]
        self.assertEqual(len(rows), 1, "a row per target holds the phase heatmaps")
        names = {v["name"] for v in self.dash["templating"]["list"]}
        self.assertTrue({"datasource", "job", "target", "phase"} <= names, names)
        for p in self.panels:
            for t in p.get("targets", []):
                self.assertEqual(t["datasource"]["uid"], "${datasource}", p["title"])

    def test_metrics_documented(self):
        with open(WATCH_MD) as f:
            doc = f.read()
        records = {r["record"] for r in rules("record")} if yaml else set()
        for p in self.panels:
            for t in p.get("targets", []):
                for m in re.findall(r"(?<![:\w])conndoctor_[a-z0-9_]+", t["expr"]):
                    base = re.sub(r"_(bucket|count|sum)$", "", m)
                    self.assertTrue(f"`{base}`" in doc, f"{p['title']}: {m} not in docs/watch.md")
                for r in re.findall(r"\b[a-z_]+:conndoctor_[a-z0-9_]+:[a-z0-9_]+", t["expr"]):
                    if yaml:
                        self.assertIn(r, records, f"{p['title']}: no recording rule {r}")


if __name__ == "__main__":
    harness.run_tests(globals())
