"""A real Prometheus (Debian's `prometheus`) started by a test: its own data
dir and config in a temporary folder, its own port on 127.0.0.1 (or inside a
lab namespace), the conndoctor mixin's rule files loaded, ended by PID at
cleanup. Queries go through its HTTP API (/api/v1/query, /api/v1/rules,
/api/v1/alerts), bounded in time."""

import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

from . import (REPO_ROOT, add_cleanup, end_process, free_port, need_binary,
               preexec_die_with_parent, remove_cleanup, trace)

MIXIN = os.path.join(REPO_ROOT, "contrib", "prometheus")
RULE_FILES = [os.path.join(MIXIN, "rules.yml"), os.path.join(MIXIN, "alerts.yml")]


class PrometheusError(RuntimeError):
    pass


def one(vec, **labels):
    """The value of the one series of a vector() whose labels include `labels`."""
    want = set(labels.items())
    found = [v for ls, v in vec.items() if want <= set(ls)]
    if len(found) != 1:
        raise AssertionError(f"{labels}: {len(found)} series match in {vec}")
    return found[0]


class Prometheus:
    """prometheus scraping `targets` (host:port of conndoctor watch) every `interval`.

    lab/ns: start it inside a lab namespace (lab.popen) and send the queries
    from there too (lab.run of a python3 one-liner), since a namespace's
    127.0.0.1 is out of the test's reach."""

    def __init__(self, targets, interval="1s", rules=True, lab=None, ns=None, extra_scrape=""):
        self.binary = need_binary("prometheus")
        self.targets = list(targets)
        self.interval = interval
        self.rules = rules
        self.lab, self.ns = lab, ns
        self.extra_scrape = extra_scrape  # more scrape_configs entries, YAML text
        self.port = free_port() if ns is None else 9090
        self.dir = None
        self.proc = None
        self.log = None
        self._token = None

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()
        return False

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def start(self, ready_timeout=60):
        self.dir = tempfile.mkdtemp(prefix="cd-prometheus-")
        self._token = add_cleanup(self.stop, "Prometheus")
        cfg = os.path.join(self.dir, "prometheus.yml")
        rule_files = "".join(f"  - {json.dumps(p)}\n" for p in RULE_FILES) if self.rules else ""
        targets = ", ".join(json.dumps(t) for t in self.targets)
        with open(cfg, "w") as f:
            f.write(f"""global:
  scrape_interval: {self.interval}
  scrape_timeout: {self.interval}
  evaluation_interval: {self.interval}
rule_files:
{rule_files or '  []'}
scrape_configs:
  - job_name: conndoctor
    static_configs:
      - targets: [{targets}]
{self.extra_scrape}""")
        argv = [self.binary, f"--config.file={cfg}",
                f"--storage.tsdb.path={os.path.join(self.dir, 'data')}",
                f"--web.listen-address=127.0.0.1:{self.port}",
                "--storage.tsdb.retention.time=1h", "--log.level=warn"]
        self.log = open(os.path.join(self.dir, "prometheus.log"), "w")
        if self.ns is not None:
            self.proc = self.lab.popen(self.ns, argv, stdout=self.log, stderr=subprocess.STDOUT)
        else:
            trace(argv)
            self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=self.log,
                                         stderr=subprocess.STDOUT,
                                         preexec_fn=preexec_die_with_parent(signal.SIGTERM))
        deadline = time.monotonic() + ready_timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise PrometheusError(f"prometheus exited {self.proc.returncode}:\n{self.log_text()}")
            try:
                if self._get("/-/ready", raw=True).startswith("Prometheus"):
                    return self
            except (OSError, PrometheusError):
                pass
            time.sleep(0.3)
        raise PrometheusError(f"prometheus not ready after {ready_timeout} s:\n{self.log_text()}")

    def log_text(self):
        try:
            with open(os.path.join(self.dir, "prometheus.log")) as f:
                return f.read()[-4000:]
        except OSError:
            return ""

    def stop(self):
        if self.proc is not None:
            end_process(self.proc, grace=10)
            self.proc = None
        if self.log:
            self.log.close()
            self.log = None
        if self._token is not None:
            remove_cleanup(self._token)
            self._token = None
        if self.dir and os.environ.get("CD_KEEP") != "1":
            shutil.rmtree(self.dir, ignore_errors=True)

    # ------------------------------------------------------------ HTTP API

    def _get(self, path, params=None, raw=False, timeout=10):
        url = self.url + path + ("?" + urllib.parse.urlencode(params) if params else "")
        if self.ns is None:
            try:
                with urllib.request.urlopen(url, timeout=timeout) as r:
                    body = r.read().decode()
            except urllib.error.HTTPError as e:  # 400/422 carry a JSON error body
                body = e.read().decode()
        else:
            code = ("import sys,urllib.request,urllib.error\n"
                    "try:\n r=urllib.request.urlopen(sys.argv[1],timeout=float(sys.argv[2]))\n"
                    "except urllib.error.HTTPError as e:\n r=e\n"
                    "sys.stdout.write(r.read().decode())\n")
            res = self.lab.run(self.ns, ["python3", "-c", code, url, str(timeout)],
                               timeout=timeout + 10, check=False)
            if res.returncode != 0:
                raise PrometheusError(f"GET {url} in {self.ns}: {res.stderr.strip()}")
            body = res.stdout
        if raw:
            return body
        try:
            return json.loads(body)
        except ValueError:
            raise PrometheusError(f"GET {url}: not JSON: {body[:300]!r}") from None

    def query(self, expr, params=None):
        """The API's whole answer for an instant query (status, data or error);
        params: more query parameters (time=...)."""
        return self._get("/api/v1/query", {"query": expr, **(params or {})})

    def vector(self, expr, params=None):
        """{frozenset(labels.items()): float} of an instant query; raises on an error."""
        doc = self.query(expr, params)
        if doc.get("status") != "success":
            raise PrometheusError(f"{expr}: {doc.get('errorType')}: {doc.get('error')}")
        data = doc["data"]
        if data["resultType"] == "scalar":
            return {frozenset(): float(data["result"][1])}
        return {frozenset(s["metric"].items()): float(s["value"][1]) for s in data["result"]}

    def wait_for(self, expr, pred=lambda v: bool(v), timeout=60, step=0.5):
        """Query expr until pred(vector) holds; returns the vector, raises with the last one."""
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise PrometheusError(f"prometheus exited:\n{self.log_text()}")
            last = self.vector(expr)
            if pred(last):
                return last
            time.sleep(step)
        raise PrometheusError(f"{expr}: condition not reached in {timeout} s; last: {last}")

    def rules_doc(self):
        return self._get("/api/v1/rules")

    def alerts(self):
        """Active alerts (pending or firing): list of dicts with labels, state, annotations."""
        doc = self._get("/api/v1/alerts")
        return doc["data"]["alerts"]
