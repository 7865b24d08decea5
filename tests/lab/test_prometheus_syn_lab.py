"""Lab: a server namespace drops SYNs, `conndoctor watch` in the client
namespace probes it, and a real Prometheus in the same namespace scrapes
watch and runs the contrib/prometheus mixin. Through Prometheus' query API:
the connects land in the histogram bucket of the SYN retransmission rung
they waited for, and ConnDoctorConnectOnSynRetransmissionLadder fires.

Two MariaDB servers in namespace s, ports 3306 and 3307. iptables' nth
statistic drops the first SYN of every connect to 3306 (the retransmission
1 s later passes) and the first two of every connect to 3307 (the one at
3 s passes); the client namespace has tcp_syn_linear_timeouts=0 where the
kernel has it, so its ladder is the classic 1, 3, 7 s. Expected: every
connect to 3306 in (1, 1.1] s, every connect to 3307 in (3, 3.3] s, all
logins ok. Bounded waits; everything is ended by PID at cleanup."""
import os
import tempfile
import unittest

import harness
from harness.lab import Lab
from harness.prometheus import Prometheus, one

ATTEMPTS = 3


class PrometheusSynLadder(unittest.TestCase):
    def test_connects_land_on_their_rung(self):
        harness.need_conndoctor()
        harness.need_binary("prometheus")
        with Lab() as lab:
            s, c = lab.ns("s"), lab.ns("c")
            client, server = "10.213.171.1", "10.213.171.2"
            lab.link(c, s, client, server)
            try:
                lab.sysctl(c, "net.ipv4.tcp_syn_linear_timeouts", 0)
            except Exception:
                pass  # before Linux 6.7: the classic ladder already
            db1 = lab.mariadb(s, server, port=3306, name="one", variables={"skip_name_resolve": 1})
            db2 = lab.mariadb(s, server, port=3307, name="two", variables={"skip_name_resolve": 1})
            lab.iptables(s, "-A", "INPUT", "-p", "tcp", "--dport", "3306", "--tcp-flags",
                         "SYN,ACK,FIN,RST", "SYN", "-m", "statistic", "--mode", "nth",
                         "--every", "2", "--packet", "0", "-j", "DROP")
            lab.iptables(s, "-A", "INPUT", "-p", "tcp", "--dport", "3307", "--tcp-flags",
                         "SYN,ACK,FIN,RST", "SYN", "-m", "statistic", "--mode", "nth",
                         "--every", "3", "--packet", "2", "-j", "ACCEPT")
            lab.iptables(s, "-A", "INPUT", "-p", "tcp", "--dport", "3307", "--tcp-flags",
                         "SYN,ACK,FIN,RST", "SYN", "-j", "DROP")
            d = tempfile.mkdtemp(prefix="cd-promlab-")
            lab.tmpdirs.append(d)
            pw = os.path.join(d, "pw")
            with open(pw, "w") as f:
                f.write(db1.password + "\n")
            os.chmod(pw, 0o600)
            pw2 = os.path.join(d, "pw2")
            with open(pw2, "w") as f:
                f.write(db2.password + "\n")
            os.chmod(pw2, 0o600)
            cnf = os.path.join(d, "watch.cnf")
            # One attempt is in flight at a time (docs/watch.md, "How it
            # runs"), so a scrape can wait for a 3 s connect: Prometheus
            # scrapes every 4 s with a 4 s timeout.
            with open(cnf, "w") as f:
                f.write(f"""[watch]
user = {db1.user}
interval = 6s
timeout = 4500ms

[target syn1]
host = {server}
port = 3306
password-file = {pw}

[target syn2]
host = {server}
port = 3307
password-file = {pw2}
""")
            werr = open(os.path.join(d, "watch.err"), "w")
            watch = lab.popen(c, [harness.conndoctor_path(), "watch", "--config", cnf,
                                  "--listen", "127.0.0.1:9979"],
                              stdout=werr, stderr=werr)
            with Prometheus(["127.0.0.1:9979"], interval="4s", lab=lab, ns=c) as prom:
                try:
                    prom.wait_for(
                        f'conndoctor_attempts_total{{outcome="ok",target=~"syn1|syn2"}} >= {ATTEMPTS}',
                        lambda v: len(v) == 2, timeout=120)
                finally:
                    if watch.poll() is not None:
                        with open(werr.name) as f:
                            self.fail(f"watch exited {watch.returncode}: {f.read()}")
                for target, rung, late in (("syn1", "1", "1.1"), ("syn2", "3", "3.3")):
                    with self.subTest(target=target):
                        # One query, so the buckets come from the same scrape.
                        v = prom.vector(f'conndoctor_phase_duration_seconds_bucket{{target='
                                        f'"{target}",phase="connect",le=~"{rung}|{late}|\\\\+Inf"}}')
                        b = {dict(ls)["le"]: n for ls, n in v.items()}
                        count = b["+Inf"]
                        self.assertGreaterEqual(count, ATTEMPTS)
                        self.assertEqual(b[rung], 0, f"a connect to {target} finished before {rung} s")
                        self.assertEqual(b[late], count, f"connects to {target} after {late} s")
                        failed = sum(v for ls, v in prom.vector(
                            f'conndoctor_attempts_total{{target="{target}",outcome!="ok"}}').items())
                        self.assertEqual(failed, 0)
                        mean = one(prom.vector(
                            f'conndoctor_phase_duration_seconds_sum{{target="{target}",phase="connect"}}'
                            f' / conndoctor_phase_duration_seconds_count'), target=target)
                        print(f"{target}: {count:.0f} connects, all in ({rung}, {late}] s, "
                              f"mean {mean:.3f} s")
                # The mixin: every connect took over 1 s, the alert fires at once.
                r = prom.wait_for('target_transport_phase:conndoctor_phase_over_1s:ratio_rate10m'
                                  '{phase="connect"}', lambda v: len(v) == 2, timeout=30)
                self.assertEqual(one(r, target="syn1"), 1)
                self.assertEqual(one(r, target="syn2"), 1)
                prom.wait_for('ALERTS{alertname="ConnDoctorConnectOnSynRetransmissionLadder",'
                              'alertstate="firing"}', lambda v: len(v) == 2, timeout=30)
                alerts = [a for a in prom.alerts()
                          if a["labels"]["alertname"] == "ConnDoctorConnectOnSynRetransmissionLadder"]
                self.assertEqual({a["labels"]["target"] for a in alerts}, {"syn1", "syn2"})
                for a in alerts:
                    self.assertEqual(a["labels"]["severity"], "warning")
                    self.assertTrue(a["annotations"]["runbook_url"].endswith("/CD3001.md"))
                    self.assertIn("100%", a["annotations"]["description"])
            harness.end_process(watch)
            werr.close()


if __name__ == "__main__":
    harness.run_tests(globals())
