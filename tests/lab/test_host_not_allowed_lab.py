"""Lab: ERROR 1130, a host no account allows. The server's only account
for TCP is made for another host (10.213.53.9); names are not resolved, so
the client at 10.213.53.2 matches no account and the server sends 1130 in
place of its greeting (MariaDB takes 127.0.0.1 for localhost, hence the
namespaces). The probe classes it server_refused with CD6003, never as a
credential rejection (CD6004), and the server audit says the same."""
import json
import unittest

import harness
from harness import run_conndoctor
from harness.lab import Lab
from harness.mariadb import sql_literal

SERVER, CLIENT = "10.213.53.1", "10.213.53.2"
PW = "pw-" + "y" * 8


class HostNotAllowed(unittest.TestCase):
    def test_host_not_allowed(self):
        harness.need_binary("mariadbd")
        with Lab() as lab:
            s, c = lab.ns("s"), lab.ns("c")
            lab.link(s, c, SERVER, CLIENT)
            db = lab.mariadb(s, SERVER, variables={"skip_name_resolve": 1})
            # MariaDB lets any host in while an account has host '%', and
            # learns there is none left only when it reloads the grants.
            db.sql(f"DROP USER 'conndoctor'@'%'; "
                   f"CREATE USER 'app'@'10.213.53.9' IDENTIFIED BY {sql_literal(PW)}; "
                   f"FLUSH PRIVILEGES;")
            cnf = db.client_cnf(host=SERVER, user="app", password=PW, socket=None)
            rc, out, err = run_conndoctor(["probe", "--json", "-n", "2", f"--defaults-file={cnf}"],
                                          ns=c, timeout=60)
            _, cout, _ = run_conndoctor(["check", "--only", "server", "--json",
                                         f"--defaults-file={cnf}"], ns=c, timeout=60)
        try:
            doc = json.loads(out)
        except ValueError:
            raise AssertionError(f"not JSON (rc={rc}): {out[:300]!r} {err!r}")
        self.assertEqual(rc, 2)
        self.assertEqual([a["outcome"] for a in doc["attempts"]], ["server_refused"] * 2)
        self.assertEqual({a["mysql_code"] for a in doc["attempts"]}, {1130})
        self.assertEqual({a["failed_phase"] for a in doc["attempts"]}, {"greeting"})
        self.assertNotIn("CD6004", [f["code"] for f in doc["findings"]])
        f = [f for f in doc["findings"] if f["code"] == "CD6003"][0]
        self.assertEqual((f["data"]["mysql_code"], f["data"]["failures"]), (1130, 2))
        self.assertIn(f"Host '{CLIENT}' is not allowed", f["summary"])
        why = [u["why"] for u in json.loads(cout)["unreadable"] if u["what"] == "server"]
        self.assertEqual(len(why), 1, cout[:300])
        self.assertIn("server_refused: ERROR 1130", why[0])


if __name__ == "__main__":
    harness.run_tests(globals())
