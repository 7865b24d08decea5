"""A real Prometheus (Debian's `prometheus`, own data dir and port on
127.0.0.1, 1 s scrape and rule interval, the contrib/prometheus mixin
loaded) scrapes a running `conndoctor watch` against the harness MariaDB;
everything is checked through Prometheus' HTTP query API:

- the series arrive with the values watch counted (attempts by outcome,
  conndoctor_up, phase histograms whose loopback connects sit below 100 ms);
- a fault injected while it runs (the monitoring account's password changed
  on the server) shows as attempts_total{outcome="auth_failed"} increasing
  and ok no longer increasing;
- every recording and alerting rule of the mixin evaluates without error on
  real data; the failure-ratio recording rules have the expected values and
  ConnDoctorAttemptsFailing / ConnDoctorTcpFailsSocketWorks are active for
  the faulty targets only;
- every PromQL expression of the Grafana dashboard (panels and template
  variables, with Grafana's variables substituted) is accepted by the query
  API (status success, empty results allowed) and the core panels have data;
- with watch's host-cache gauges from a server whose host cache is in use,
  target:conndoctor_host_cache_connect_errors:ratio is the share of
  max_connect_errors the aborted handshakes from 127.0.0.2 reached.

Skips when prometheus or MariaDB is missing."""
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
import unittest

import harness
from harness import free_port
from harness.mariadb import MariaDB
from harness.prometheus import MIXIN, Prometheus, one

DASHBOARD = os.path.join(MIXIN, "dashboards", "conndoctor-watch.json")
# Grafana's variables, as the dashboard would expand them with "All" chosen.
GRAFANA_VARS = {"$__rate_interval": "1m", "$__interval": "15s", "$__range": "1h",
                "${datasource}": "", "$job": ".*", "$target": ".*", "$phase": ".*"}


def dashboard_exprs(path=DASHBOARD):
    """[(where, promql)] of every panel target and query variable of the dashboard."""
    with open(path) as f:
        dash = json.load(f)
    out = []

    def panels(ps):
        for p in ps:
            yield p
            yield from panels(p.get("panels", []))

    for p in panels(dash["panels"]):
        for t in p.get("targets", []):
            out.append((f"panel {p['title']!r} {t['refId']}", t["expr"]))
    for v in dash["templating"]["list"]:
        if v["type"] != "query":
            continue
        q = v["query"]["query"] if isinstance(v["query"], dict) else v["query"]
        m = re.fullmatch(r"label_values\((.*),\s*(\w+)\)", q)
        # label_values(SELECTOR, label) is Grafana's; the selector is PromQL.
        out.append((f"variable {v['name']}", m.group(1) if m else q))
    return out


def expand(expr):
    for k, v in GRAFANA_VARS.items():
        expr = expr.replace(k, v)
    return expr


def start_watch(cls, cnf):
    """watch on cnf (stderr kept in cls.werr) and a Prometheus scraping it."""
    cls.watch_port = free_port()
    cls.werr = tempfile.TemporaryFile()
    cls.watch = subprocess.Popen(
        [harness.conndoctor_path(), "watch", "--config", cnf,
         "--listen", f"127.0.0.1:{cls.watch_port}"],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=cls.werr,
        preexec_fn=harness.preexec_die_with_parent())
    harness.add_cleanup(lambda: harness.end_process(cls.watch), "watch")
    cls.prom = Prometheus([f"127.0.0.1:{cls.watch_port}"]).start()


def stop_watch(cls):
    cls.prom.stop()
    harness.end_process(cls.watch)
    cls.db.stop()
    shutil.rmtree(cls.dir, ignore_errors=True)


class PrometheusScrapesWatch(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        harness.need_conndoctor()
        harness.need_binary("prometheus")
        cls.db = MariaDB(variables={"skip_name_resolve": 1})
        cls.db.start()
        cls.dir = tempfile.mkdtemp(prefix="cd_prom_")
        # A monitoring account of its own, whose password the test changes.
        cls.db.sql("CREATE USER 'mon'@'%' IDENTIFIED BY 'mon-pw-1';"
                   "CREATE USER 'mon'@'localhost' IDENTIFIED BY 'mon-pw-1';")
        pw = os.path.join(cls.dir, "pw")
        with open(pw, "w") as f:
            f.write(cls.db.password + "\n")
        os.chmod(pw, 0o600)
        monpw = os.path.join(cls.dir, "monpw")
        with open(monpw, "w") as f:
            f.write("mon-pw-1\n")
        os.chmod(monpw, 0o600)
        closed = free_port()
        cnf = os.path.join(cls.dir, "watch.cnf")
        with open(cnf, "w") as f:
            f.write(f"""[watch]
user = {cls.db.user}
password-file = {pw}
interval = 1
timeout = 800ms

[target good]
host = 127.0.0.1
port = {cls.db.port}

[target mon]
host = 127.0.0.1
port = {cls.db.port}
user = mon
password-file = {monpw}

[target split]
host = 127.0.0.1
port = {closed}
socket = {cls.db.socket}
""")
        start_watch(cls, cnf)

    @classmethod
    def tearDownClass(cls):
        stop_watch(cls)

    def wait(self, expr, pred=lambda v: bool(v), timeout=60):
        if self.watch.poll() is not None:
            self.werr.seek(0)
            self.fail(f"watch exited {self.watch.returncode}: {self.werr.read().decode()}")
        return self.prom.wait_for(expr, pred, timeout=timeout)

    def test_1_series_and_values(self):
        self.wait('up{job="conndoctor"} == 1')
        self.wait('conndoctor_attempts_total{target="good",outcome="ok"} >= 3')
        v = self.prom.vector('conndoctor_attempts_total{target="good"}')
        # Every outcome token is a series, the failures at 0.
        outcomes = {dict(ls)["outcome"]: n for ls, n in v.items()}
        self.assertIn("auth_failed", outcomes)
        self.assertEqual(sum(n for o, n in outcomes.items() if o != "ok"), 0)
        self.assertEqual(one(self.prom.vector('conndoctor_up'), target="good"), 1)
        # Loopback connects: every one in the 100 ms bucket, as many as attempts.
        ok = outcomes["ok"]
        b = self.prom.vector('conndoctor_phase_duration_seconds_bucket'
                             '{target="good",phase="connect",le=~"0.1|1|1.1|\\\\+Inf"}')
        # The scrape is one instant: buckets and counters are from the same exposition.
        les = {dict(ls)["le"]: n for ls, n in b.items()}
        self.assertEqual(set(les), {"0.1", "1", "1.1", "+Inf"})
        self.assertEqual(les["0.1"], les["+Inf"])
        self.assertGreaterEqual(les["+Inf"], ok)
        # split: TCP refused (closed port) every time, its socket logs in.
        self.wait('conndoctor_attempts_total{target="split",transport="tcp",outcome="refused"} >= 2')
        self.wait('conndoctor_attempts_total{target="split",transport="socket",outcome="ok"} >= 2')
        self.assertEqual(one(self.prom.vector('conndoctor_up'), target="split", transport="tcp"), 0)

    def test_2_password_change_counts_auth_failed(self):
        self.wait('conndoctor_attempts_total{target="mon",outcome="ok"} >= 2')
        self.assertEqual(one(self.prom.vector(
            'conndoctor_attempts_total{target="mon",outcome="auth_failed"}'), target="mon"), 0)
        self.db.sql("ALTER USER 'mon'@'%' IDENTIFIED BY 'mon-pw-2';"
                    "ALTER USER 'mon'@'localhost' IDENTIFIED BY 'mon-pw-2';")
        t0 = time.monotonic()
        self.wait('conndoctor_attempts_total{target="mon",outcome="auth_failed"} >= 3', timeout=30)
        ok_then = one(self.prom.vector('conndoctor_attempts_total{target="mon",outcome="ok"}'),
                      target="mon")
        # Over the next scrapes auth_failed keeps rising and ok stays put.
        self.wait('conndoctor_attempts_total{target="mon",outcome="auth_failed"} >= 5', timeout=30)
        self.assertEqual(one(self.prom.vector('conndoctor_attempts_total{target="mon",outcome="ok"}'),
                             target="mon"), ok_then)
        self.assertEqual(one(self.prom.vector('conndoctor_up'), target="mon"), 0)
        print(f"auth_failed counted in Prometheus {time.monotonic() - t0:.1f} s after the change")
        # The mixin's recording rules see it: mon's failures are auth_failed.
        v = self.wait('target_transport_outcome:conndoctor_attempts:ratio_rate5m'
                      '{target="mon",outcome="auth_failed"} > 0')
        self.assertGreater(one(v, target="mon"), 0)
        self.assertLessEqual(one(v, target="mon"), 1)
        # And the alert is on its way (pending: it needs 5 minutes to fire).
        self.prom.wait_for('ALERTS{alertname="ConnDoctorAttemptsFailing",target="mon",'
                           'outcome="auth_failed"}', timeout=30)

    def test_3_rules_evaluate_and_alert_the_right_targets(self):
        self.wait('target_transport:conndoctor_attempts_failed:ratio_rate5m{target="split"}',
                  lambda v: len(v) == 2)
        r = self.wait('target_transport:conndoctor_attempts_failed:ratio_rate5m')
        self.assertEqual(one(r, target="good", transport="tcp"), 0)
        self.assertEqual(one(r, target="split", transport="tcp"), 1)
        self.assertEqual(one(r, target="split", transport="socket"), 0)
        # TCP fails while the socket works: active for split only.
        a = self.prom.wait_for('ALERTS{alertname="ConnDoctorTcpFailsSocketWorks"}', timeout=30)
        self.assertEqual({dict(ls)["target"] for ls in a}, {"split"})
        alerts = [x for x in self.prom.alerts() if x["labels"]["alertname"] == "ConnDoctorTcpFailsSocketWorks"]
        self.assertEqual(alerts[0]["labels"]["severity"], "critical")
        self.assertTrue(alerts[0]["annotations"]["runbook_url"].endswith("/docs/findings/CD3006.md"))
        # Nothing alerts about the healthy target.
        self.assertEqual(self.prom.vector('ALERTS{target="good"}'), {})
        # Every rule of the mixin evaluated on this data without an error.
        doc = self.prom.rules_doc()
        self.assertEqual(doc["status"], "success")
        rules = [r for g in doc["data"]["groups"] for r in g["rules"]]
        self.assertGreaterEqual(len(rules), 20)
        for rule in rules:
            with self.subTest(rule=rule["name"]):
                self.assertEqual(rule["health"], "ok", rule.get("lastError"))

    def test_4_dashboard_queries_accepted(self):
        self.wait('target_transport_phase:conndoctor_phase_duration_seconds:p99_rate5m{target="good"}')
        exprs = dashboard_exprs()
        self.assertGreaterEqual(len(exprs), 15)
        empty = []
        for where, expr in exprs:
            with self.subTest(where=where):
                self.assertNotIn("$", expand(expr), "an unexpanded Grafana variable")
                doc = self.prom.query(expand(expr))
                self.assertEqual(doc.get("status"), "success",
                                 f"{expand(expr)}: {doc.get('errorType')}: {doc.get('error')}")
                if not doc["data"]["result"]:
                    empty.append(where)
        print(f"{len(exprs)} dashboard expressions accepted; without data here "
              f"(metrics watch does not export yet, or no fault): {', '.join(empty) or 'none'}")
        # The panels over what watch exports today have data.
        for title in ("Attempts by outcome", "Phase latency p99 (5m)", "variable target",
                      "variable phase"):
            self.assertFalse(any(w.startswith(f"panel {title!r}") or w == title for w in empty), title)


class PrometheusHostCache(unittest.TestCase):
    """The mixin's host-cache rule on watch's real host-cache gauges: a
    server with the host cache in use (name resolution on,
    performance_schema on), aborted handshakes from 127.0.0.2, and
    target:conndoctor_host_cache_connect_errors:ratio at their share of
    max_connect_errors."""

    @classmethod
    def setUpClass(cls):
        harness.need_conndoctor()
        harness.need_binary("prometheus")
        cls.db = MariaDB(variables={"skip_name_resolve": "OFF", "performance_schema": "ON",
                                    "max_connect_errors": 20})
        cls.db.start()
        cls.dir = tempfile.mkdtemp(prefix="cd_promhc_")
        pw = os.path.join(cls.dir, "pw")
        with open(pw, "w") as f:
            f.write(cls.db.password + "\n")
        os.chmod(pw, 0o600)
        cnf = os.path.join(cls.dir, "watch.cnf")
        with open(cnf, "w") as f:
            f.write(f"""[target db]
host = 127.0.0.1
port = {cls.db.port}
user = {cls.db.user}
password-file = {pw}
interval = 1
timeout = 800ms
host-cache = 1s
""")
        start_watch(cls, cnf)

    @classmethod
    def tearDownClass(cls):
        stop_watch(cls)

    def test_ratio_rule_on_real_host_cache(self):
        import socket
        self.prom.wait_for('conndoctor_server_max_connect_errors{target="db"} == 20', timeout=60)
        for _ in range(6):
            s = socket.socket()
            s.settimeout(30)
            s.bind(("127.0.0.2", 0))
            s.connect(("127.0.0.1", self.db.port))
            self.assertGreater(len(s.recv(4096)), 4)  # the greeting, then away
            s.close()
        rows = self.db.sql("SELECT SUM_CONNECT_ERRORS FROM performance_schema.host_cache "
                           "WHERE IP = '127.0.0.2'")
        self.assertEqual(rows, [("6",)])
        v = self.prom.wait_for('target:conndoctor_host_cache_connect_errors:ratio{target="db"}',
                               lambda v: bool(v) and one(v, target="db") == 0.3, timeout=60)
        self.assertEqual(one(v, target="db"), 0.3)
        doc = self.prom.rules_doc()
        for rule in (r for g in doc["data"]["groups"] for r in g["rules"]):
            if "host_cache" in rule["name"] or "HostCache" in rule["name"]:
                self.assertEqual(rule["health"], "ok", rule.get("lastError"))


if __name__ == "__main__":
    harness.run_tests(globals())
