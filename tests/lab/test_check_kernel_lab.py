"""Lab: the kernel slice reads the sysctls of the network namespace it runs
in. A fresh namespace (defaults) gives no finding; one with a longer
tcp_syn_retries, a narrow port range and syncookies off gives each finding
with the values and costs computed from them."""
import json
import unittest

import harness
from harness import run_conndoctor
from harness.kernel import syn_schedule
from harness.lab import Lab


def check_kernel(ns):
    rc, out, err = run_conndoctor(["check", "--only", "kernel", "--json"], ns=ns)
    return rc, json.loads(out)


class KernelSlice(unittest.TestCase):
    def test_defaults_are_quiet_and_costs_computed(self):
        with Lab() as lab:
            ns = lab.ns("k")
            retries = int(lab.sysctl_get(ns, "net.ipv4.tcp_syn_retries"))
            rc, doc = check_kernel(ns)
        self.assertEqual(doc["findings"], [])
        self.assertEqual(rc, 0)
        facts = {f["key"]: f["values"] for f in doc["facts"]}
        self.assertEqual(facts["tcp_syn_retries"]["syn_retries_count"], retries)
        self.assertEqual(facts["tcp_synack_retries"]["half_open_drop_s"], 63)
        self.assertEqual(round(facts["tcp_retries2"]["dead_peer_s"]), 925)

    def test_risky_values(self):
        with Lab() as lab:
            ns = lab.ns("k")
            lab.sysctl(ns, "net.ipv4.tcp_syn_retries", 8)
            lab.sysctl(ns, "net.ipv4.ip_local_port_range", "40000 40100")
            lab.sysctl(ns, "net.ipv4.tcp_syncookies", 0)
            try:
                linear = int(lab.sysctl_get(ns, "net.ipv4.tcp_syn_linear_timeouts"))
            except Exception:
                linear = 0
            rc, doc = check_kernel(ns)
        codes = {f["code"]: f for f in doc["findings"]}
        self.assertEqual(set(codes), {"CD3060", "CD3062", "CD3063"})
        self.assertEqual(codes["CD3060"]["data"]["tcp_syn_retries"], 8)
        # 8 retries: with 4 linear timeouts the kernel stops after 12
        # retransmissions, at 371 s of timers, each run a little late by the
        # timer wheel (tests/harness/kernel.py, written apart from the C).
        _, expected, _, _ = syn_schedule(8, linear)
        self.assertAlmostEqual(codes["CD3060"]["data"]["give_up_s"], expected, places=3)
        self.assertEqual(codes["CD3062"]["data"]["ports"], 101)
        self.assertEqual(codes["CD3063"]["severity"], "warning")
        self.assertEqual(rc, 1)


if __name__ == "__main__":
    harness.need_conndoctor()
    harness.run_tests(globals())
