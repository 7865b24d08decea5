#!/usr/bin/env python3
"""capture.py - prints the raw frames a real MariaDB sends, as hex, so unit
tests can embed them. Used once against a throwaway MariaDB 10.11.19 (Debian
12 package) started with:
  mariadb-install-db --no-defaults --datadir=D --user=root \
      --auth-root-authentication-method=normal
  mariadbd --no-defaults --datadir=D --socket=D/s --port=PORT \
      --bind-address=127.0.0.1 --user=root --max-connections=10 &
  mariadb --no-defaults -S D/s -uroot -e "CREATE USER 'cd'@'127.0.0.1'
      IDENTIFIED BY 'secret'; GRANT ALL ON *.* TO 'cd'@'127.0.0.1';
      CREATE DATABASE t; CREATE TABLE t.x(a INT, b VARCHAR(10));
      INSERT INTO t.x VALUES (1,'one'),(NULL,'two'),(3,NULL);
      CREATE USER 'lim'@'127.0.0.1' IDENTIFIED BY 'secret';
      CREATE USER 'lim'@'localhost' IDENTIFIED BY 'secret';"
Usage: capture.py PORT
"""
import hashlib
import socket
import struct
import sys

PORT = int(sys.argv[1])
LONG_PASSWORD, PROTOCOL_41, SECURE, TRANSACTIONS = 1, 0x200, 0x8000, 0x2000
MULTI_STMT, MULTI_RES, PLUGIN_AUTH = 0x10000, 0x20000, 0x80000
DEPRECATE_EOF, SESSION_TRACK = 0x1000000, 0x800000


def rd(s, n):
    b = b""
    while len(b) < n:
        c = s.recv(n - len(b))
        if not c:
            raise EOFError
        b += c
    return b


def frame(s):
    h = rd(s, 4)
    n = h[0] | h[1] << 8 | h[2] << 16
    return h + rd(s, n)


def show(label, f):
    print(f"{label}: {f.hex()}")


def native(pw, scr):
    s1 = hashlib.sha1(pw).digest()
    s2 = hashlib.sha1(s1).digest()
    h = hashlib.sha1(scr + s2).digest()
    return bytes(a ^ b for a, b in zip(s1, h))


def login(user, pw, caps, plugin=b"mysql_native_password", bogus=False):
    s = socket.create_connection(("127.0.0.1", PORT))
    g = frame(s)
    p = g[4:]
    ver_end = p.index(0, 1)
    o = ver_end + 1 + 4
    scr = p[o:o + 8]
    o += 8 + 1 + 2 + 1 + 2 + 2 + 1 + 10
    scr += p[o:o + 12]
    auth = b"\x01" * 20 if bogus else native(pw, scr)
    pl = struct.pack("<IIB23x", caps, 1 << 24, 45) + user + b"\0"
    pl += bytes([len(auth)]) + auth + plugin + b"\0"
    s.sendall(struct.pack("<I", len(pl))[:3] + b"\x01" + pl)
    return s, g, frame(s)


def query(s, q, seq_end):
    pl = b"\x03" + q
    s.sendall(struct.pack("<I", len(pl))[:3] + b"\x00" + pl)
    out = []
    s.settimeout(1.0)
    try:
        while True:
            out.append(frame(s))
    except (socket.timeout, EOFError):
        pass
    return out


base = LONG_PASSWORD | PROTOCOL_41 | SECURE | TRANSACTIONS | PLUGIN_AUTH
s, g, r = login(b"cd", b"secret", base | MULTI_STMT | MULTI_RES)
show("greeting", g)
show("login_ok", r)
for f in query(s, b"SELECT a, b FROM t.x", 0):
    show("rs_eof", f)
for f in query(s, b"SELECT 1 AS n; SELECT NULL AS z", 0):
    show("multi_eof", f)
s.close()

s, g, r = login(b"cd", b"secret",
                base | MULTI_STMT | MULTI_RES | DEPRECATE_EOF)
show("login_ok_deprecate_eof", r)
for f in query(s, b"SELECT a, b FROM t.x", 0):
    show("rs_deof", f)
for f in query(s, b"DO 1; SELECT 2 AS m", 0):
    show("multi_deof", f)
for f in query(s, b"SELECT * FROM nosuch.t", 0):
    show("query_err", f)
s.close()

s, g, r = login(b"cd", b"secret", base | SESSION_TRACK | DEPRECATE_EOF)
show("login_ok_session_track", r)
for f in query(s, b"USE t", 0):
    show("use_session_track", f)
for f in query(s, b"UPDATE t.x SET a = a WHERE b = 'one'", 0):
    show("update_session_track", f)
s.close()

s, g, r = login(b"cd", b"wrong", base)
show("access_denied", r)
s.close()

s, g, r = login(b"cd", b"secret", base, plugin=b"caching_sha2_password",
                bogus=True)
show("auth_switch", r)
s.close()

# A bad handshake response (one zero byte) is refused with 1043.
s = socket.create_connection(("127.0.0.1", PORT))
frame(s)
s.sendall(b"\x01\x00\x00\x01\x00")
show("bad_handshake", frame(s))
s.close()

# MariaDB checks max_connections (10 at least) at login, not before the
# greeting, so the 1040 comes with a SQLSTATE after the login attempt.
held = []
for _ in range(12):
    s, g, r = login(b"lim", b"secret", base)
    if r[4] == 0xFF:
        show("too_many", r)
        s.close()
        break
    held.append(s)
for h in held:
    h.close()
