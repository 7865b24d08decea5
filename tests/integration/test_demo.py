"""The README's first command ends healthy: a new user's first run against
the throwaway MariaDB (scripts/mariadb-throwaway, what scripts/demo.sh
starts) must not look like a failure of the tool. The throwaway is set up
the way conndoctor advises (skip_name_resolve=ON, so no CD6040), and
`diagnose` against it exits 0 with no warning or critical finding."""
import json
import os
import subprocess
import tempfile
import unittest

import harness
from harness import run_conndoctor

THROWAWAY = os.path.join(harness.REPO_ROOT, "scripts", "mariadb-throwaway")


def read_env(path):
    env = {}
    with open(path) as f:
        for line in f:
            if "=" in line and not line.startswith("#"):
                k, v = line.strip().split("=", 1)
                env[k] = v
    return env


class Demo(unittest.TestCase):
    def test_first_run_is_healthy(self):
        harness.need_binary("mariadbd")
        with tempfile.TemporaryDirectory(prefix="cd-demo-") as d:
            subprocess.run(["bash", THROWAWAY, "start", d], check=True, capture_output=True,
                           timeout=120)
            try:
                env = read_env(os.path.join(d, "env"))
                args = ["diagnose", f"--defaults-file={env['CD_CNF']}", "-S", env["CD_SOCKET"]]
                rc, out, err = run_conndoctor(args, timeout=120)
                self.assertEqual(rc, 0, out + err)
                self.assertNotIn("CD6040", out)
                rc, out, err = run_conndoctor(args + ["--json"], timeout=120)
                self.assertEqual(rc, 0, err)
                doc = json.loads(out)
                self.assertEqual(doc["exit_status"], 0)
                self.assertIsNone(doc["root_cause"])
                findings = doc["probe"]["findings"] + doc["check"]["findings"]
                bad = [f["code"] for f in findings if f["severity"] in ("warning", "critical")]
                self.assertEqual(bad, [], out)
                self.assertGreater(doc["probe"]["summary"]["ok"], 0)
            finally:
                subprocess.run(["bash", THROWAWAY, "stop", d], capture_output=True, timeout=120)


if __name__ == "__main__":
    harness.need_conndoctor()
    harness.run_tests(globals())
