"""ERROR 1226 and 1203 judged from the server's own processlist. The
account app may hold 3 sessions (its own WITH MAX_USER_CONNECTIONS 3, or
the global max_user_connections=3) and this test's own process holds all 3,
some over TCP and some over the socket. diagnose probes as app and is
refused; its audit logs in as another account (--audit-defaults-file: root
over the socket), reads app's sessions by host and its account's limit, and
joins the TCP sessions' client ports and the socket's client ends with this
process (CD6058, the cause of CD6054). An audit account that may not read
mysql.user says the account limit was not read."""
import json
import os
import time
import unittest

import harness
from harness import run_conndoctor
from harness.mariadb import MariaDB, sql_literal
from harness.rawclient import RawClient
from test_diagnose_gone import finding
from test_diagnose_local import diagnose

APP_PW = "Apw" + os.urandom(8).hex()
AUDITOR_PW = "Aud" + os.urandom(8).hex()


def hold(db, tcp, unix):
    """tcp sessions of app over TCP, then unix over the socket."""
    held = []
    try:
        for _ in range(tcp):
            held.append(RawClient("127.0.0.1", db.port, "app", APP_PW, timeout=10))
        for _ in range(unix):
            held.append(RawClient(db.socket, None, "app", APP_PW, timeout=10))
    except BaseException:
        release(held)
        raise
    return held


def release(held):
    for c in held:
        c.close()


def comm():
    with open("/proc/self/comm") as f:
        return f.read().strip()


class UserLimitCase(unittest.TestCase):
    variables = {}
    account_limit = 0

    @classmethod
    def setUpClass(cls):
        cls.db = MariaDB(variables={"skip_name_resolve": 1, **cls.variables})
        cls.db.start()
        limit = f" WITH MAX_USER_CONNECTIONS {cls.account_limit}" if cls.account_limit else ""
        cls.db.sql(f"CREATE USER 'app'@'%' IDENTIFIED BY {sql_literal(APP_PW)}{limit};"
                   "GRANT USAGE ON *.* TO 'app'@'%';"
                   f"CREATE USER 'auditor'@'localhost' IDENTIFIED BY {sql_literal(AUDITOR_PW)};"
                   "GRANT PROCESS ON *.* TO 'auditor'@'localhost';")
        cls.app_cnf = cls.db.client_cnf(user="app", password=APP_PW)
        cls.auditor_cnf = cls.db.client_cnf(user="auditor", password=AUDITOR_PW,
                                            host="localhost")
        cls.empty_log = os.path.join(cls.db.dir, "empty.log")
        open(cls.empty_log, "w").close()

    @classmethod
    def tearDownClass(cls):
        cls.db.stop()

    def run_case(self, tcp, unix, audit_cnf):
        held = hold(self.db, tcp, unix)
        try:
            time.sleep(2.2)  # asleep past --asleep-over=1
            args = (f"--audit-defaults-file={audit_cnf}", "--asleep-over=1",
                    f"--error-log={self.empty_log}")
            rc, doc = diagnose(self.app_cnf, *args)
            trc, text = diagnose(self.app_cnf, *args, as_json=False)
        finally:
            release(held)
        return rc, doc, trc, text

    def common(self, doc, code, tcp, unix):
        attempts = doc["probe"]["attempts"]
        self.assertGreaterEqual(len(attempts), 2)
        for a in attempts:
            self.assertEqual(a["outcome"], "server_refused", a)
            self.assertEqual(a["mysql_code"], code, a)
        root = doc["root_cause"]
        self.assertEqual(root["symptom"]["code"], "CD6054")
        self.assertTrue(root["explained"], root)
        self.assertEqual(root["causes"][0]["code"], "CD6058", root)
        # The audit got in as another account: the server was checked.
        self.assertEqual([n for n in doc["not_checked"] if n["slice"] == "server"], [])
        f = finding(doc["check"]["findings"], "CD6058")
        self.assertIsNotNone(f, doc["check"]["findings"])
        d = f["data"]
        self.assertEqual(f["severity"], "critical")
        self.assertEqual(d["sessions"], tcp + unix)
        self.assertEqual(d["tcp_sessions"], tcp)
        self.assertEqual(d["refused_code"], code)
        self.assertEqual(d["max_user_connections"], 3)
        # Every one idle since its login, 2.2 s before diagnose began.
        self.assertEqual(d["asleep"], tcp + unix)
        self.assertEqual(d["asleep_over_s"], 1)
        # The local join: this process holds the TCP sessions (by their
        # client ports) and the socket's client ends.
        self.assertEqual(d["pid"], os.getpid())
        self.assertEqual(d["local_tcp_sessions"], tcp)
        self.assertEqual(d["local_socket_sessions"], unix)
        return f


class AccountLimit(UserLimitCase):
    """app@'%' WITH MAX_USER_CONNECTIONS 3: ERROR 1226."""
    account_limit = 3

    def test_1226_from_the_processlist(self):
        rc, doc, trc, text = self.run_case(2, 1, self.db.root_cnf)
        f = self.common(doc, 1226, 2, 1)
        d = f["data"]
        self.assertEqual(d["account_limit_read"], 1)
        self.assertEqual(d["account_max_user_connections"], 3)
        self.assertEqual(d["global_max_user_connections"], 0)
        self.assertRegex(f["summary"],
                         r"^user app holds 3 of its max_user_connections=3 \(account "
                         r"app@'%' in mysql\.user\): 2 from 127\.0\.0\.1, 1 over the socket; "
                         r"3 asleep > 1 s \(the longest [2-9] s\); on this host "
                         f"pid {os.getpid()} \\({comm()}\\) holds 2 of them over TCP and 1 "
                         r"socket session$")
        self.assertIn("information_schema.PROCESSLIST: 3 sessions of app (2 over TCP, 1 over "
                      "the socket), by host: ", f["evidence"])
        self.assertIn("mysql.user: app@'%' max_user_connections=3", f["evidence"])
        self.assertIn("ERROR 1226 (current value: 3) to the probe", f["evidence"])
        self.assertEqual(rc, 2)
        head = text.split("\n== the probe")[0]
        self.assertIn("ROOT CAUSE  the account's sessions fill its max_user_connections", head)
        self.assertIn("user app holds 3 of its max_user_connections=3", head)
        self.assertEqual(trc, 2)

    def test_account_limit_not_read(self):
        # auditor may see every session (PROCESS) but not mysql.user.
        rc, doc, _, _ = self.run_case(1, 2, self.auditor_cnf)
        f = self.common(doc, 1226, 1, 2)
        d = f["data"]
        self.assertEqual(d["account_limit_read"], 0)
        self.assertNotIn("account_max_user_connections", d)
        self.assertTrue(f["summary"].startswith(
            "user app holds 3 of its max_user_connections=3 (account limit not read; "
            "ERROR 1226's current value): 2 over the socket, 1 from 127.0.0.1"), f["summary"])
        self.assertRegex(f["evidence"], r"mysql\.user not read: ERROR 1142 \(42000\): SELECT "
                         r"command denied to user 'auditor'@'localhost' for table .*user")
        self.assertEqual(rc, 2)


    def test_check_audits_with_the_file_alone(self):
        """check without -u audits the server as the file's account; what
        MariaDB lacks (admin_port, ...) is absent, not unread."""
        rc, out, err = run_conndoctor(["check", "--no-defaults", "-S", self.db.socket,
                                       f"--audit-defaults-file={self.db.root_cnf}",
                                       "--only", "server", "--json"], timeout=60)
        doc = json.loads(out)
        self.assertEqual(doc["unreadable"], [], err)
        facts = {(f["fact"], f["key"]): f["values"] for f in doc["facts"]}
        self.assertEqual(facts[("max_user_connections", "max_user_connections")]
                         ["max_user_connections_count"], 0)
        self.assertTrue(facts[("absent", "admin_port")]["version"].startswith("MariaDB 10."))
        self.assertNotIn(self.db.root_password, out + err)
        self.assertEqual(rc, 0, out)


class GlobalLimit(UserLimitCase):
    """max_user_connections=3 for every account, app@'%' without its own:
    ERROR 1203."""
    variables = {"max_user_connections": 3}

    def test_1203_from_the_processlist(self):
        rc, doc, trc, _ = self.run_case(1, 2, self.db.root_cnf)
        f = self.common(doc, 1203, 1, 2)
        d = f["data"]
        self.assertEqual(d["account_limit_read"], 1)
        self.assertEqual(d["account_max_user_connections"], 0)
        self.assertEqual(d["global_max_user_connections"], 3)
        self.assertTrue(f["summary"].startswith(
            "user app holds 3 of its max_user_connections=3 (the global value: account "
            "app@'%' has none of its own): 2 over the socket, 1 from 127.0.0.1; 3 asleep > 1 s"),
            f["summary"])
        self.assertIn(f"on this host pid {os.getpid()} ({comm()}) holds 1 of them over TCP and "
                      "2 socket sessions", f["summary"])
        self.assertEqual(rc, 2)
        self.assertEqual(trc, 2)


if __name__ == "__main__":
    harness.need_conndoctor()
    harness.run_tests(globals())
