"""Auth plugins live against the harness MariaDB 10.11: client_ed25519
(`INSTALL SONAME 'auth_ed25519'`, an account IDENTIFIED VIA ed25519) logged
in by the probe over TCP and the socket and by the audit, the stored key
checked against an independent pure-Python Ed25519
(tests/data/mysql/ed25519_vectors.py); unix_socket over the socket as
root, and the same account over TCP judged by the server (auth_failed,
never a network fault). MariaDB has no sha256_password and no server side
of mysql_clear_password but PAM's: a small peer written from MySQL's
"SHA-256 Pluggable Authentication" page asks for them, and decrypts the
RSA answer with the openssl command line (OAEP)."""
import base64
import json
import os
import shutil
import sys
import tempfile
import unittest

import harness
from harness import run_conndoctor
from harness.mariadb import MariaDB
from harness.mysqlpeer import (MysqlPeer, PeerRsaKey, auth_switch, greeting, packet,
                               read_packet)

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "data", "mysql"))
import ed25519_vectors  # noqa: E402

ED_PW = "ed pw\u00e9 2"  # a space and a non-ASCII byte: hashed as UTF-8 bytes


def probe(*args, env=None):
    rc, out, err = run_conndoctor(["probe", "--json", "--no-defaults", "-n", "1", *args],
                                  env=env, timeout=60)
    try:
        return json.loads(out)["attempts"][0]
    except (ValueError, IndexError, KeyError):
        raise AssertionError(f"rc={rc} out={out[:400]!r} err={err!r}")


def audit(*args, env=None):
    rc, out, err = run_conndoctor(["check", "--only", "server", "--json", "--no-defaults",
                                   *args], env=env, timeout=60)
    doc = json.loads(out)
    why = [u["why"] for u in doc["unreadable"] if u["what"] == "server"]
    return why[0] if why else None


class AuthPlugins(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.db = MariaDB()
        cls.db.start()
        cls.db.sql("INSTALL SONAME 'auth_ed25519';")
        for h in ("%", "localhost"):
            cls.db.sql(f"CREATE USER 'ed'@'{h}' IDENTIFIED VIA ed25519 "
                       f"USING PASSWORD('{ED_PW}'); GRANT SELECT, PROCESS ON *.* TO 'ed'@'{h}';")

    @classmethod
    def tearDownClass(cls):
        cls.db.stop()

    def tcp(self):
        return ["-h", "127.0.0.1", "-P", str(self.db.port)]

    def test_stored_key_matches_the_reference(self):
        row = self.db.sql("SELECT JSON_VALUE(Priv, '$.authentication_string') "
                          "FROM mysql.global_priv WHERE User = 'ed' AND Host = '%'")
        pk, _ = ed25519_vectors.mariadb_ed25519(ED_PW.encode(), b"")
        self.assertEqual(row[0][0], base64.b64encode(pk).decode().rstrip("="))

    def test_probe_logs_in_with_ed25519(self):
        env = {"MYSQL_PWD": ED_PW}
        a = probe(*self.tcp(), "-u", "ed", "--ssl-mode=DISABLED", env=env)
        self.assertEqual(a["outcome"], "ok", a)
        a = probe("-S", self.db.socket, "-u", "ed", env=env)
        self.assertEqual(a["outcome"], "ok", a)
        a = probe(*self.tcp(), "-u", "ed", env={"MYSQL_PWD": "wrong"})
        self.assertEqual(a["outcome"], "auth_failed", a)
        self.assertEqual(a["mysql_code"], 1045, a)

    def test_audit_logs_in_with_ed25519(self):
        why = audit(*self.tcp(), "-u", "ed", env={"MYSQL_PWD": ED_PW})
        self.assertTrue(why is None or "auth" not in why, why)
        why = audit(*self.tcp(), "-u", "ed", env={"MYSQL_PWD": "wrong"})
        self.assertIn("auth_failed", why)

    def test_unix_socket_as_root(self):
        if os.geteuid() != 0:
            raise unittest.SkipTest("needs root: unix_socket maps the OS user")
        self.db.sql("CREATE USER 'root'@'127.0.0.1' IDENTIFIED VIA unix_socket;")
        self.db.sql("ALTER USER 'root'@'localhost' IDENTIFIED VIA unix_socket OR "
                    f"mysql_native_password USING PASSWORD('{self.db.root_password}');")
        a = probe("-S", self.db.socket, "-u", "root", env={"MYSQL_PWD": ""})
        self.assertEqual(a["outcome"], "ok", a)
        # Over TCP the server cannot see who the peer is: it says no.
        a = probe(*self.tcp(), "-u", "root", env={"MYSQL_PWD": ""})
        self.assertEqual(a["outcome"], "auth_failed", a)


class Sha256Peer:
    """Switches the login to sha256_password; over plain TCP the client asks
    for the key (byte 1), gets it, and answers (pw + NUL) XOR scramble under
    RSA-OAEP, which the peer decrypts. Then it answers a query with an ERR."""

    def __init__(self, tmp, password):
        self.rsa = PeerRsaKey(tmp)
        self.password = password

    def script(self, peer, c):
        c.sendall(greeting())
        if not read_packet(c):
            return
        c.sendall(auth_switch(b"sha256_password"))
        pkt = read_packet(c)
        if not pkt or pkt[1] != b"\x01":
            peer.events.append(f"no key request: {pkt!r}")
            return
        if not self.rsa.send_key_and_check(peer, c, self.password):
            return
        if read_packet(c):
            c.sendall(packet(b"\xff\x28\x04#42000peer runs no queries", 1))


def clear_script(peer, c):
    """Asks for mysql_clear_password and records what comes back."""
    c.sendall(greeting())
    if not read_packet(c):
        return
    c.sendall(auth_switch(b"mysql_clear_password", data=b""))
    pkt = read_packet(c)
    peer.events.append(pkt[1] if pkt else None)


class PeerPlugins(unittest.TestCase):
    def test_sha256_password_rsa_over_tcp(self):
        tmp = tempfile.mkdtemp(prefix="cd-sha256-")
        try:
            rsa = Sha256Peer(tmp, "s3cret pw")
            with MysqlPeer(rsa.script) as peer:
                a = probe("-h", "127.0.0.1", "-P", peer.port, "-u", "cd",
                          env={"MYSQL_PWD": "s3cret pw"})
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        # The login worked; the peer's ERR to the query is the outcome.
        self.assertEqual(peer.events, ["rsa ok"])
        self.assertEqual(a["outcome"], "query_error", a)
        self.assertIsNotNone(a["auth_s"])

    def test_clear_password_refused(self):
        for extra, why in (([], "--enable-cleartext-plugin"),
                           (["--enable-cleartext-plugin"], "without TLS")):
            with MysqlPeer(clear_script) as peer:
                a = probe("-h", "127.0.0.1", "-P", peer.port, "-u", "cd", *extra,
                          env={"MYSQL_PWD": "not for the wire"})
            self.assertEqual(a["outcome"], "auth_plugin_unsupported", a)
            self.assertEqual(a["mysql_code"], 2059, a)
            self.assertIn(why, a["message"])
            # The client closed: not a byte of the password was sent.
            self.assertEqual(peer.events, [None])


if __name__ == "__main__":
    harness.need_conndoctor()
    harness.run_tests(globals())
