"""Lab, field report 004 seen by `conndoctor watch`: a primary and a replica
MariaDB in two namespaces, replication with MASTER_HEARTBEAT_PERIOD = 2 s,
recipe 7's ESTABLISHED-only firewall on the replica's side, watch in the
replica's namespace with `replica = on`. Healthy, watch already names the
trap (conndoctor_replica_link_stateful_only 1: the primary's packets are
accepted only as ESTABLISHED), the link receives a heartbeat every period
and nothing is flagged; after `conntrack -F` the primary's packets are
dropped while Slave_IO_Running stays Yes, and watch reports the link
stalled (CD7002, receive idle past 1.5 periods) at most 1.5 heartbeat
periods and a poll interval after the flush (2.1 to 3.5 s in five runs),
far before slave_net_timeout (60 s), and a Prometheus scraping it with the
mixin's rules fires ConnDoctorReplicaLinkStalled; a stateless accept rule
lets the data in again, the finding clears, and once the rules are read
again the trap is gone."""
import os
import tempfile
import time
import unittest

import harness
from harness.lab import Lab
from harness.prometheus import Prometheus

from test_replica_conntrack_lab import PRIMARY, RECIPE_7, REPLICA, wait_until

HEARTBEAT_S = 2
INTERVAL_S = 1
# Stalled once nothing came for 1.5 periods: 0.5 to 1.5 periods after the
# flush (the last heartbeat came up to a period before it), plus a poll
# interval and a scrape.
DETECT_BOUND_S = 1.5 * HEARTBEAT_S + INTERVAL_S + 1.0

SAMPLE_LINE = "conndoctor_{}{{target=\"replica\"}}"


def metrics(lab, ns, port):
    """{name{labels}: value} of one scrape of watch inside ns."""
    r = lab.run(ns, ["curl", "-sf", "--max-time", "5", f"http://127.0.0.1:{port}/metrics"])
    out = {}
    for line in r.stdout.splitlines():
        if line and not line.startswith("#"):
            key, _, v = line.rpartition(" ")
            out[key] = float(v)
    return out


def refresh(m, new):
    """m becomes the scrape new (a series gone is gone); True."""
    m.clear()
    m.update(new)
    return True


def shown(m):
    """The replica's series and findings of a scrape, for messages."""
    return {k: v for k, v in m.items() if "replica" in k and ("_replica_" in k or "finding" in k)}


def alert(prom):
    """ConnDoctorReplicaLinkStalled's active alerts (pending or firing)."""
    return [a for a in prom.alerts()
            if a["labels"]["alertname"] == "ConnDoctorReplicaLinkStalled"]


def stalled(m):
    return m.get('conndoctor_finding{target="replica",code="CD7002",severity="critical"}') == 1


class WatchReplicaLab(unittest.TestCase):
    def test_stall_after_conntrack_flush(self):
        harness.need_conndoctor()
        harness.need_binary("prometheus")
        with Lab() as lab:
            p, r = lab.ns("p"), lab.ns("r")
            lab.link(p, r, PRIMARY, REPLICA)
            primary = lab.mariadb(p, PRIMARY, variables={
                "log_bin": "mysql-bin", "server_id": 1, "skip_name_resolve": 1})
            replica = lab.mariadb(r, REPLICA, variables={
                "server_id": 2, "skip_name_resolve": 1})
            # The firewall first, so conntrack tracks the replication
            # connection from its SYN (applied later, the connection's
            # packets are not ESTABLISHED to it and are dropped at once).
            for rule in RECIPE_7:
                lab.iptables(r, *rule)
            primary.sql("CREATE USER 'repl'@'%' IDENTIFIED BY 'repl-pw'; "
                        "GRANT REPLICATION SLAVE ON *.* TO 'repl'@'%'")
            log, pos = primary.sql("SHOW MASTER STATUS")[0][:2]
            replica.sql(f"CHANGE MASTER TO MASTER_HOST='{PRIMARY}', MASTER_PORT=3306, "
                        f"MASTER_USER='repl', MASTER_PASSWORD='repl-pw', "
                        f"MASTER_LOG_FILE='{log}', MASTER_LOG_POS={pos}, "
                        f"MASTER_HEARTBEAT_PERIOD={HEARTBEAT_S}; START SLAVE")
            running = lambda: replica.sql(  # noqa: E731
                "SELECT COUNT(*) FROM information_schema.PROCESSLIST "
                "WHERE COMMAND = 'Slave_IO' AND STATE LIKE 'Waiting for master%'")[0][0] == "1"
            self.assertTrue(wait_until(running, 20), "replication did not start")

            d = tempfile.mkdtemp(prefix="cd-watchrepl-")
            lab.tmpdirs.append(d)
            pw = os.path.join(d, "pw")
            with open(pw, "w") as f:
                f.write(replica.password + "\n")
            os.chmod(pw, 0o600)
            cnf = os.path.join(d, "watch.cnf")
            with open(cnf, "w") as f:
                f.write(f"""[target replica]
host = {REPLICA}
user = {replica.user}
password-file = {pw}
interval = {INTERVAL_S}s
timeout = 900ms
replica = on
""")
            werr = open(os.path.join(d, "watch.err"), "w")
            watch = lab.popen(r, [harness.conndoctor_path(), "watch", "--config", cnf,
                                  "--listen", "127.0.0.1:9979"], stdout=werr, stderr=werr)

            def scrape():
                if watch.poll() is not None:
                    with open(werr.name) as f:
                        self.fail(f"watch exited {watch.returncode}: {f.read()}")
                try:
                    return metrics(lab, r, 9979)
                except Exception:
                    return {}

            # Prometheus beside it with the mixin's rules, scraping and
            # evaluating every second.
            with Prometheus(["127.0.0.1:9979"], interval="1s", lab=lab, ns=r) as prom:
                # 1. Healthy: status and link found, heartbeats keep it fresh.
                state = {}
                # Found, and a heartbeat has come (the first one a period after
                # the dump caught up).
                self.assertTrue(wait_until(lambda: refresh(state, scrape()) and (state.get(
                    SAMPLE_LINE.format("replica_link_found")) == 1 and state.get(
                    SAMPLE_LINE.format("replica_heartbeats_received_total"), 0) >= 1), 20),
                    shown(state))
                self.assertEqual(state[SAMPLE_LINE.format("replica_io_running")], 1)
                self.assertEqual(state[SAMPLE_LINE.format("replica_heartbeat_period_seconds")],
                                 HEARTBEAT_S)
                self.assertEqual(state[f'conndoctor_replica_primary_info{{target="replica",'
                                       f'primary="{PRIMARY}:3306"}}'], 1)
                self.assertGreater(state[SAMPLE_LINE.format("replica_link_received_bytes_total")], 0)
                # The trap is visible before anything happens: the
                # primary's packets are let in only as ESTABLISHED.
                self.assertEqual(state[SAMPLE_LINE.format("replica_link_stateful_only")], 1)
                idle_max = 0
                for _ in range(12):  # three heartbeat periods
                    m = scrape()
                    self.assertFalse(stalled(m), shown(m))
                    idle_max = max(idle_max, m[SAMPLE_LINE.format(
                        "replica_link_receive_idle_seconds")])
                    time.sleep(0.5)
                self.assertLessEqual(idle_max, 1.5 * HEARTBEAT_S)
                prom.wait_for('conndoctor_replica_link_receive_idle_seconds{target="replica"}',
                              timeout=30)
                self.assertEqual(alert(prom), [])

                # 2. The flush: the primary's heartbeats and events are dropped.
                lab.run(r, ["conntrack", "-F"], check=False)
                t0 = time.monotonic()
                primary.sql("CREATE DATABASE after_flush")
                m = {}
                seen = wait_until(lambda: refresh(m, scrape()) and stalled(m), 20)
                took = time.monotonic() - t0
                self.assertTrue(seen, f"no CD7002 20 s after the flush: {shown(m)}")
                self.assertLessEqual(took, DETECT_BOUND_S,
                                     f"stall seen {took:.1f} s after the flush")
                print(f"stall seen {took:.2f} s after the flush "
                      f"(heartbeat {HEARTBEAT_S} s, bound {DETECT_BOUND_S} s)")
                self.assertEqual(m[SAMPLE_LINE.format("replica_io_running")], 1)  # silent
                self.assertGreater(m[SAMPLE_LINE.format("replica_link_receive_idle_seconds")],
                                   1.5 * HEARTBEAT_S)
                self.assertTrue(running())
                firing = wait_until(lambda: [a for a in alert(prom) if a["state"] == "firing"],
                                    20)
                alert_took = time.monotonic() - t0
                self.assertTrue(firing, "ConnDoctorReplicaLinkStalled did not fire")
                # Prometheus adds up to a scrape and an evaluation (1 s each).
                self.assertLessEqual(alert_took, DETECT_BOUND_S + 2)
                print(f"ConnDoctorReplicaLinkStalled firing {alert_took:.2f} s after the flush")
                a = [a for a in alert(prom) if a["state"] == "firing"][0]
                self.assertEqual(a["labels"]["severity"], "critical")
                self.assertEqual(a["labels"]["target"], "replica")
                self.assertTrue(a["annotations"]["runbook_url"].endswith("/CD7002.md"))
                self.assertEqual(replica.sql(
                    "SELECT COUNT(*) FROM information_schema.SCHEMATA "
                    "WHERE SCHEMA_NAME = 'after_flush'")[0][0], "0")

                # 3. The stateless fix lets the retransmission in: it clears.
                lab.iptables(r, "-I", "INPUT", "1", "-p", "tcp", "-s", PRIMARY, "--sport", "3306",
                             "-j", "ACCEPT")
                self.assertTrue(wait_until(lambda: refresh(m, scrape()) and (
                    not stalled(m) and m.get(SAMPLE_LINE.format(
                        "replica_link_receive_idle_seconds"), 99) < 1.5 * HEARTBEAT_S), 60), shown(m))
                self.assertEqual(replica.sql(
                    "SELECT COUNT(*) FROM information_schema.SCHEMATA "
                    "WHERE SCHEMA_NAME = 'after_flush'")[0][0], "1")
                self.assertTrue(wait_until(lambda: alert(prom) == [], 30), alert(prom))
                # The rules are read again within a minute: no trap now.
                self.assertTrue(wait_until(lambda: refresh(m, scrape()) and m.get(
                    SAMPLE_LINE.format("replica_link_stateful_only")) == 0, 75), shown(m))
            watch.terminate()
            watch.wait(10)


if __name__ == "__main__":
    harness.need_conndoctor()
    harness.run_tests(globals())
