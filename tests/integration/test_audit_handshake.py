"""The audit (`check`/`diagnose` server slice) logs in through the probe's
handshake machine: TLS with --ssl-mode=REQUIRED against a MariaDB started with
a certificate made here, caching_sha2_password's RSA full path against a
small peer, a whole-phase deadline against a server that drips its greeting
a byte a second, and a sequence id out of order or an endless auth-switch
exchange classified as protocol_error, by the audit and the probe alike."""
import json
import os
import shutil
import subprocess
import tempfile
import time
import unittest

import harness
from harness import run_conndoctor
from harness.mariadb import MariaDB
from harness.mysqlpeer import (OK, SCRAMBLE, MysqlPeer, PeerRsaKey, greeting, packet,
                               read_packet)

def drip_greeting(peer, c):
    """A valid greeting, one byte a second: each read succeeds, the phase never ends."""
    for b in greeting():
        c.sendall(bytes([b]))
        time.sleep(1.0)


def out_of_order(peer, c):
    """An OK to the login with sequence id 5 where 2 is due."""
    c.sendall(greeting())
    if read_packet(c):
        c.sendall(packet(OK, 5))
        peer.events.append("sent seq 5")
        read_packet(c)


def endless_switch(peer, c):
    """Asks the client to switch auth plugin again and again."""
    c.sendall(greeting())
    pkt = read_packet(c)
    rounds = 0
    while pkt and rounds < 100:
        seq = pkt[0] + 1
        c.sendall(packet(b"\xfemysql_native_password\0" + SCRAMBLE + b"\0", seq))
        rounds += 1
        pkt = read_packet(c)
    peer.events.append(rounds)


def check_server(*args, timeout=60):
    rc, out, err = run_conndoctor(["check", "--only", "server", "--json", *args], timeout=timeout)
    try:
        return rc, json.loads(out)
    except ValueError:
        raise AssertionError(f"not JSON (rc={rc}): {out[:300]!r} {err!r}")


def unreadable(doc):
    why = [u["why"] for u in doc["unreadable"] if u["what"] == "server"]
    return why[0] if why else None


def server_facts(doc):
    """The values of the server slice's facts, by key."""
    return {f["key"]: f["values"] for f in doc["facts"] if f["section"] == "server"}


class HostilePeers(unittest.TestCase):
    def test_dripped_greeting_ends_within_the_phase_timeout(self):
        with MysqlPeer(drip_greeting) as peer:
            t0 = time.monotonic()
            rc, doc = check_server("--no-defaults", "-h", "127.0.0.1", "-P", peer.port,
                                   "-u", "cd", "--connect-timeout=2")
            took = time.monotonic() - t0
        why = unreadable(doc)
        self.assertIsNotNone(why, doc)
        self.assertIn("greeting_timeout", why)
        # Each byte arrives well within the timeout: only a deadline for the
        # whole phase ends it (the greeting takes over 60 s to drip).
        self.assertGreaterEqual(took, 2.0)
        self.assertLess(took, 4.0, why)
        self.assertEqual(rc, 0)

    def test_out_of_order_is_a_protocol_error(self):
        with MysqlPeer(out_of_order) as peer:
            rc, doc = check_server("--no-defaults", "-h", "127.0.0.1", "-P", peer.port,
                                   "-u", "cd")
            why = unreadable(doc)
            self.assertIn("protocol_error", why)
            self.assertIn("packets out of order: expected sequence id 2, got 5", why)
            rc, out, _ = run_conndoctor(["probe", "--no-defaults", "-h", "127.0.0.1", "-P",
                                         peer.port, "-u", "cd", "-n", "1", "--json"])
        pdoc = json.loads(out)
        a = pdoc["attempts"][0]
        self.assertEqual(a["outcome"], "protocol_error")
        self.assertIn("packets out of order", a["message"])
        self.assertIn("sent seq 5", peer.events)
        # Named as a sequence violation of a MySQL server, not "not MySQL".
        codes = {f["code"]: f for f in pdoc["findings"]}
        self.assertNotIn("CD8001", codes)
        self.assertEqual(codes["CD8012"]["data"]["expected"], 2)
        self.assertEqual(codes["CD8012"]["data"]["got"], 5)

    def test_endless_auth_switch_is_stopped(self):
        with MysqlPeer(endless_switch) as peer:
            rc, doc = check_server("--no-defaults", "-h", "127.0.0.1", "-P", peer.port,
                                   "-u", "cd")
            why = unreadable(doc)
            self.assertIn("protocol_error", why)
            self.assertIn("more than 8 authentication rounds", why)
            rc, out, _ = run_conndoctor(["probe", "--no-defaults", "-h", "127.0.0.1", "-P",
                                         peer.port, "-u", "cd", "-n", "1", "--json"])
            deadline = time.time() + 5
            while len(peer.events) < 2 and time.time() < deadline:
                time.sleep(0.05)
        a = json.loads(out)["attempts"][0]
        self.assertEqual(a["outcome"], "protocol_error")
        self.assertIn("more than 8 authentication rounds", a["message"])
        # Each client answered 8 switches and stopped at the 9th.
        self.assertEqual(peer.events, [9, 9])


class Sha2RsaPeer:
    """caching_sha2_password's full path over plain TCP: the peer asks for full
    authentication, sends its RSA public key when asked, and decrypts the
    answer with the openssl command line (OAEP) to check the password."""

    def __init__(self, tmp, password):
        self.rsa = PeerRsaKey(tmp)
        self.password = password

    def script(self, peer, c):
        c.sendall(greeting(plugin=b"caching_sha2_password"))
        if not read_packet(c):
            return
        c.sendall(packet(b"\x01\x04", 2))               # perform full authentication
        pkt = read_packet(c)
        if not pkt or pkt[1] != b"\x02":
            peer.events.append("no key request")
            return
        if not self.rsa.send_key_and_check(peer, c, self.password):
            return
        while True:                                     # commands, until COM_QUIT
            pkt = read_packet(c)
            if not pkt:
                return
            if pkt[1][:1] == b"\x01":
                peer.events.append("quit")
                return
            if pkt[1][:1] == b"\x0e":
                c.sendall(packet(OK, 1))
            else:
                c.sendall(packet(b"\xff\x28\x04#42000peer runs no queries", 1))


class Sha2FullPath(unittest.TestCase):
    def test_rsa_full_path(self):
        tmp = tempfile.mkdtemp(prefix="cd-rsa-")
        try:
            rsa = Sha2RsaPeer(tmp, "s3cret pw")
            with MysqlPeer(rsa.script) as peer:
                env = {"MYSQL_PWD": "s3cret pw"}
                rc, out, _ = run_conndoctor(["probe", "--no-defaults", "-h", "127.0.0.1", "-P",
                                             peer.port, "-u", "cd", "-n", "1", "--ping",
                                             "--get-server-public-key", "--json"], env=env)
                a = json.loads(out)["attempts"][0]
                rc2, out2, err2 = run_conndoctor(["check", "--only", "server", "--json",
                                                  "--no-defaults", "-h", "127.0.0.1", "-P",
                                                  peer.port, "-u", "cd",
                                                  "--get-server-public-key"], env=env)
                doc = json.loads(out2)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        self.assertEqual(a["outcome"], "ok", a)
        # The audit logged in; its first query met the peer's ERR, and it
        # still said goodbye with COM_QUIT.
        self.assertIn("ERROR 1064", unreadable(doc))
        self.assertEqual(peer.events, ["rsa ok", "quit", "rsa ok", "quit"])


class AuditTLS(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="cd-audit-tls-")
        cls.cert = os.path.join(cls.tmp, "cert.pem")
        cls.key = os.path.join(cls.tmp, "key.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                        "-keyout", cls.key, "-out", cls.cert, "-days", "2",
                        "-subj", "/CN=127.0.0.1"], check=True, capture_output=True)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def test_check_and_diagnose_log_in_with_tls(self):
        with MariaDB(variables={"ssl_cert": self.cert, "ssl_key": self.key,
                                "skip_name_resolve": 1}) as db:
            # The harness's own client may count (MariaDB 11's uses TLS
            # even on the socket): what one reading adds is measured first.
            s0 = db.status("Ssl_accepts")
            before = db.status("Ssl_accepts")
            own = before - s0
            rc, doc = check_server("--defaults-file=" + db.client_cnf(), "--ssl-mode=REQUIRED")
            after_check = db.status("Ssl_accepts")
            rc2, out, err = run_conndoctor(["diagnose", "--defaults-file=" + db.client_cnf(),
                                            "--protocol=tcp", "--ssl-mode=REQUIRED", "-n", "2",
                                            "--json"], timeout=120)
            after_diag = db.status("Ssl_accepts")
        self.assertIsNone(unreadable(doc), doc["unreadable"])
        facts = server_facts(doc)
        self.assertIs(facts["tls"]["tls"], True, facts["tls"])
        self.assertTrue(facts["tls"]["tls_version"].startswith("TLSv1."), facts["tls"])
        self.assertTrue(facts["version"]["version"].startswith("10."))
        self.assertEqual(after_check - before - own, 1)
        ddoc = json.loads(out)
        dfacts = server_facts(ddoc["check"])
        self.assertTrue(dfacts["tls"]["tls_version"].startswith("TLSv1."), dfacts.get("tls"))
        self.assertEqual(ddoc["probe"]["summary"]["outcomes"], {"ok": 2})
        self.assertEqual(after_diag - after_check - own, 3)  # 2 attempts + the audit

    def test_required_but_not_offered(self):
        with MariaDB(variables={"skip_name_resolve": 1}) as db:
            rc, doc = check_server("--defaults-file=" + db.client_cnf(), "--ssl-mode=REQUIRED")
            rc2, plain = check_server("--defaults-file=" + db.client_cnf())
        why = unreadable(doc)
        self.assertIn("tls_failed", why)
        self.assertIn("does not support", why)
        # PREFERRED (the default) logs in without TLS when none is offered.
        self.assertIsNone(unreadable(plain))
        self.assertEqual(server_facts(plain)["tls"], {"tls": False, "tls_version": None})


if __name__ == "__main__":
    harness.need_conndoctor()
    harness.run_tests(globals())
