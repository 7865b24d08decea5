"""Lab, field report 004: a primary and a replica MariaDB in two namespaces
with replication running. `conndoctor check` in the replica's namespace
reports the link healthy; with recipe 7's ESTABLISHED-only firewall it names
the trap and the stateless rule that fixes it; after `conntrack -F` the
primary's next event is dropped while the replica still shows
Slave_IO_Running=Yes, and check names the connection that lost its entry;
with the fix in place the same flush is survived."""
import json
import time
import unittest

import harness
from harness import run_conndoctor
from harness.lab import Lab

PRIMARY, REPLICA = "10.213.14.1", "10.213.14.2"
RECIPE_7 = [
    ["-P", "INPUT", "DROP"],
    ["-A", "INPUT", "-i", "lo", "-j", "ACCEPT"],
    ["-A", "INPUT", "-m", "conntrack", "--ctstate", "ESTABLISHED,RELATED", "-j", "ACCEPT"],
    ["-A", "INPUT", "-p", "tcp", "--dport", "3306", "-m", "conntrack", "--ctstate", "NEW",
     "-j", "ACCEPT"],
]


def check(ns, replica):
    rc, out, err = run_conndoctor(
        ["check", "--only", "census,firewall,server", "--no-dns", "--json",
         f"--defaults-file={replica.client_cnf(host='localhost')}",
         "-S", replica.socket], ns=ns, timeout=60)
    try:
        return rc, json.loads(out)
    except ValueError:
        raise AssertionError(f"not JSON (rc={rc}): {out[:300]!r} {err!r}")


def codes(doc):
    return {f["code"]: f for f in doc["findings"]}


def wait_until(pred, seconds):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if pred():
            return True
        time.sleep(0.2)
    return False


class ReplicaConntrack(unittest.TestCase):
    def test_flush_under_established_only_firewall(self):
        with Lab() as lab:
            p, r = lab.ns("p"), lab.ns("r")
            lab.link(p, r, PRIMARY, REPLICA)
            primary = lab.mariadb(p, PRIMARY, variables={
                "log_bin": "mysql-bin", "server_id": 1, "skip_name_resolve": 1})
            replica = lab.mariadb(r, REPLICA, variables={
                "server_id": 2, "skip_name_resolve": 1})
            primary.sql("CREATE USER 'repl'@'%' IDENTIFIED BY 'repl-pw'; "
                        "GRANT REPLICATION SLAVE ON *.* TO 'repl'@'%'")
            log, pos = primary.sql("SHOW MASTER STATUS")[0][:2]
            replica.sql(f"CHANGE MASTER TO MASTER_HOST='{PRIMARY}', MASTER_PORT=3306, "
                        f"MASTER_USER='repl', MASTER_PASSWORD='repl-pw', "
                        f"MASTER_LOG_FILE='{log}', MASTER_LOG_POS={pos}; START SLAVE")
            running = lambda: replica.sql(  # noqa: E731
                "SELECT COUNT(*) FROM information_schema.PROCESSLIST "
                "WHERE COMMAND = 'Slave_IO' AND STATE LIKE 'Waiting for master%'")[0][0] == "1"
            self.assertTrue(wait_until(running, 20), "replication did not start")

            # 1. Healthy: the link is reported, nothing flagged.
            rc, doc = check(r, replica)
            found = codes(doc)
            self.assertNotIn("CD4001", found)
            self.assertNotIn("CD7001", found)
            self.assertIn("CD7002", found)  # the silent-stall window, info
            self.assertEqual(found["CD7002"]["data"]["slave_net_timeout_s"], 60)

            # 2. Recipe 7's ruleset: the trap, with its fix.
            for rule in RECIPE_7:
                lab.iptables(r, *rule)
            rc, doc = check(r, replica)
            trap = codes(doc).get("CD4001")
            self.assertIsNotNone(trap, doc["findings"])
            self.assertEqual(trap["severity"], "critical")  # held by mariadbd
            fix = f"-A INPUT -p tcp -s {PRIMARY} --sport 3306 -j ACCEPT"
            self.assertIn(fix, trap["summary"] + trap["evidence"] + trap["advice"])

            # 3. The flush: the primary's next event is dropped silently.
            lab.run(r, ["conntrack", "-F"], check=False)
            primary.sql("CREATE DATABASE after_flush")
            time.sleep(2)
            self.assertEqual(replica.sql(
                "SELECT COUNT(*) FROM information_schema.SCHEMATA "
                "WHERE SCHEMA_NAME = 'after_flush'")[0][0], "0")
            self.assertTrue(running())  # IO thread still "Yes": the stall is silent
            rc, doc = check(r, replica)
            lost = codes(doc).get("CD4004")
            self.assertIsNotNone(lost, doc["findings"])
            self.assertEqual(lost["severity"], "critical")
            self.assertIn(PRIMARY, lost["summary"] + lost["evidence"])
            self.assertEqual(rc, 2)

            # 4. The fix lets the retransmission in; the next flush is harmless.
            lab.iptables(r, "-I", "INPUT", "1", "-p", "tcp", "-s", PRIMARY, "--sport", "3306",
                         "-j", "ACCEPT")
            arrived = lambda: replica.sql(  # noqa: E731
                "SELECT COUNT(*) FROM information_schema.SCHEMATA "
                "WHERE SCHEMA_NAME = 'after_flush'")[0][0] == "1"
            self.assertTrue(wait_until(arrived, 30), "the event never arrived after the fix")
            lab.run(r, ["conntrack", "-F"], check=False)
            primary.sql("CREATE DATABASE after_second_flush")
            self.assertTrue(wait_until(lambda: replica.sql(
                "SELECT COUNT(*) FROM information_schema.SCHEMATA "
                "WHERE SCHEMA_NAME = 'after_second_flush'")[0][0] == "1", 10))
            rc, doc = check(r, replica)
            self.assertNotIn("CD4001", codes(doc))
            self.assertNotIn("CD4004", codes(doc))


if __name__ == "__main__":
    harness.need_conndoctor()
    harness.run_tests(globals())
