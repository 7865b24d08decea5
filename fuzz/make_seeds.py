#!/usr/bin/env python3
"""make_seeds.py - writes the seed corpora under fuzz/corpus/<target>/ from
the captures in tests/data/mysql/ (MariaDB 10.11.19 and libmariadb 3.3.20)
and the protocol documentation's examples. Every seed is a small real or
documented input (< 4 KiB). Run from anywhere: python3 fuzz/make_seeds.py
Crash regressions found by fuzzing live beside the seeds as crash-*.bin and
are left alone.
"""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "..", "tests", "data", "mysql")
CORPUS = os.path.join(HERE, "corpus")


def load(name):
    frames = {}
    with open(os.path.join(DATA, name)) as f:
        for line in f:
            key, hexs = line.split(": ")
            frames.setdefault(key, []).append(bytes.fromhex(hexs.strip()))
    return frames


CAP = load("mariadb-10.11.19.hex")
CAP.update(load("libmariadb-3.3.20.hex"))


def stream(key):
    return b"".join(CAP[key])


def payload(key, i=0):
    return CAP[key][i][4:]


def frame(p, seq):
    return struct.pack("<I", len(p))[:3] + bytes([seq]) + p


# MySQL's HandshakeV10 page examples (5.5.2-m2 without plugin auth,
# 5.6.4-m7-log with mysql_native_password) and its HandshakeResponse41
# example (TLS page), frame headers removed.
MYSQL552 = bytes.fromhex(
    "0a 35 2e 35 2e 32 2d 6d 32 00 0b 00 00 00 64 76 48 40 49 2d 43 4a 00 ff"
    "f7 08 02 00 00 00 00 00 00 00 00 00 00 00 00 00 00 2a 34 64 7c 63 5a 77"
    "6b 34 5e 5d 3a 00")
MYSQL564 = bytes.fromhex(
    "0a 35 2e 36 2e 34 2d 6d 37 2d 6c 6f 67 00 56 0a 00 00 52 42 33 76 7a 26"
    "47 72 00 ff ff 08 02 00 0f c0 15 00 00 00 00 00 00 00 00 00 00 2b 79 44"
    "26 2f 5a 5a 33 30 35 5a 47 00 6d 79 73 71 6c 5f 6e 61 74 69 76 65 5f 70"
    "61 73 73 77 6f 72 64 00")
MYSQL_DOC_LOGIN = bytes.fromhex(
    "05 a6 03 00 00 00 00 01 08" + " 00" * 23 +
    "72 6f 6f 74 00 14 14 63 6b 70 99 8a b6 9e 96 87 a2 30 9a 40 67 2b 83 38"
    "85 4b")
# A MySQL 8.0 greeting built after the HandshakeV10 page (as in
# tests/unit/test_mysql_greeting.c).
MYSQL8 = (b"\x0a8.0.36\x00\x21\x00\x00\x00\x11\x22\x33\x44\x55\x66\x77\x08"
          b"\x00\xff\xff\xff\x02\x00\xff\xdf\x15" + b"\x00" * 10 +
          b"\x09\x0a\x0b\x0c\x0d\x0e\x0f\x10\x7f\x80\xfe\x01\x00"
          b"caching_sha2_password\x00")
SHORT_GREETING = b"\x0a4.0\x00\x07\x00\x00\x00abcdefgh\x00\x2c\x02"
ERR_1040_PRE = b"\xff\x10\x04Too many connections"
COLDEF_A = (b"\x03def\x01t\x01x\x01x\x01a\x01a\x0c\x3f\x00\x0b\x00\x00\x00"
            b"\x03\x00\x00\x00\x00\x00")
EOF_22 = b"\xfe\x00\x00\x22\x00"


def seq_stream(payloads, first=1):
    return b"".join(frame(p, (first + i) & 0xff)
                    for i, p in enumerate(payloads))


def lenenc(b):
    return bytes([len(b)]) + b


def coldef(name):
    """A ColumnDefinition41 of a VARCHAR column named name."""
    return (b"".join(lenenc(x) for x in (b"def", b"", b"", b"", name, name))
            + b"\x0c\x21\x00\x00\x01\x00\x00\xfd\x00\x00\x00\x00\x00")


def row(cells):
    return b"".join(b"\xfb" if c is None else lenenc(c) for c in cells)


# SHOW ALL SLAVES STATUS as MariaDB 10.11 names its columns (the ones
# watch reads and two it does not), two connections.
SLAVE_COLS = [b"Connection_name", b"Slave_IO_State", b"Master_Host",
              b"Master_Port", b"Slave_IO_Running", b"Slave_SQL_Running",
              b"Seconds_Behind_Master", b"Slave_received_heartbeats",
              b"Slave_heartbeat_period"]
SLAVE_ROWS = [
    row([b"", b"Waiting for master to send event", b"10.0.0.5", b"3307",
         b"Yes", b"Yes", b"0", b"42", b"2.000"]),
    row([b"two", b"Connecting to master", b"db1", b"3306", b"Connecting",
         b"No", None, b"0", b"30.000"])]


SEEDS = {
    "fuzz_mysql_frame": {
        "rs-eof-stream": stream("rs_eof"),
        "login-ok": CAP["login_ok"][0],
        "greeting": CAP["greeting"][0],
        "access-denied": CAP["access_denied"][0],
        "empty-frame": b"\x00\x00\x00\x05",
        "lenenc-8": b"\xfe\x01\x02\x03\x04\x05\x06\x07\x08",
        "lenenc-3": b"\xfd\x00\x00\x01\x00",
    },
    "fuzz_mysql_greeting": {
        "mariadb-10.11.19": payload("greeting"),
        "mysql-5.5.2-doc": MYSQL552,
        "mysql-5.6.4-doc": MYSQL564,
        "mysql-5.6.4-no-nul": MYSQL564[:-1],
        "mysql-8.0-built": MYSQL8,
        "pre-4.1": SHORT_GREETING,
        "err-1040": ERR_1040_PRE,
    },
    "fuzz_mysql_login": {
        "libmariadb-3.3.20": payload("client_login"),
        "libmariadb-ssl-request": payload("client_ssl_request"),
        "mysql-doc": MYSQL_DOC_LOGIN,
        "old-auth": struct.pack("<IIB23x", 0x20b, 0, 8) +
        b"old\x00ABCDEFGH\x00test\x00",
    },
    "fuzz_mysql_reply": {
        # first byte: capability selector (1 PROTOCOL_41, 2 TRANSACTIONS,
        # 4 SESSION_TRACK, 8 DEPRECATE_EOF)
        "ok-login": b"\x03" + payload("login_ok"),
        "ok-session-track": b"\x07" + payload("use_session_track"),
        "ok-info": b"\x07" + payload("update_session_track"),
        "ok-fe": b"\x0b" + CAP["rs_deof"][-1][4:],
        "eof": b"\x03" + CAP["rs_eof"][-1][4:],
        "err-access-denied": b"\x03" + payload("access_denied"),
        "err-too-many": b"\x03" + payload("too_many"),
        "err-1040-pre": b"\x00" + ERR_1040_PRE,
        "auth-switch": b"\x03" + payload("auth_switch"),
        "auth-switch-old": b"\x03\xfe",
    },
    "fuzz_mysql_handshake": {
        # first byte: 1 TLS preferred, 2 required, 4 secure transport,
        # 8 may ask for the RSA key, 16 a bad key given; second: read size
        "native-ok": b"\x00\x00" + stream("greeting") + frame(payload("login_ok"), 2),
        "native-ok-bytewise": b"\x00\x01" + stream("greeting") + frame(payload("login_ok"), 2),
        "access-denied": b"\x00\x00" + stream("greeting") + frame(payload("access_denied"), 2),
        "auth-switch": b"\x00\x07" + stream("greeting") + frame(payload("auth_switch"), 2)
        + frame(payload("login_ok"), 4),
        "too-many": b"\x00\x00" + frame(payload("too_many"), 0),
        "sha2-fast": b"\x00\x00" + frame(MYSQL8, 0) + frame(b"\x01\x03", 2)
        + frame(payload("login_ok"), 3),
        "sha2-full-key": b"\x08\x03" + frame(MYSQL8, 0) + frame(b"\x01\x04", 2)
        + frame(b"\x01-----BEGIN PUBLIC KEY-----\n", 4),
        "sha2-full-tls": b"\x02\x00" + frame(MYSQL8, 0) + frame(b"\x01\x04", 3)
        + frame(payload("login_ok"), 5),
        "out-of-order": b"\x00\x00" + stream("greeting") + frame(payload("login_ok"), 5),
        "switches": b"\x00\x00" + stream("greeting") + b"".join(
            frame(payload("auth_switch"), 2 + 2 * i) for i in range(10)),
        # 32 cleartext enabled, 64 a COM_CHANGE_USER after the login
        "ed25519": b"\x00\x00" + stream("greeting")
        + frame(b"\xfeclient_ed25519\x00" + bytes(range(32)), 2)
        + frame(payload("login_ok"), 4),
        "parsec": b"\x00\x01" + stream("greeting")
        + frame(b"\xfeparsec\x00" + bytes(range(32)), 2)
        + frame(b"\x01P\x00" + bytes(range(1, 19)), 4)
        + frame(payload("login_ok"), 6),
        "sha256-key": b"\x00\x00" + stream("greeting")
        + frame(b"\xfesha256_password\x00" + b"A" * 20 + b"\x00", 2)
        + frame(b"\x01-----BEGIN PUBLIC KEY-----\n", 4),
        "clear-socket": b"\x24\x00" + stream("greeting")
        + frame(b"\xfemysql_clear_password\x00", 2) + frame(payload("login_ok"), 4),
        "change-user": b"\x40\x00" + stream("greeting") + frame(payload("login_ok"), 2)
        + frame(b"\xfeclient_ed25519\x00" + bytes(range(32)), 1)
        + frame(payload("login_ok"), 3),
    },
    "fuzz_mysql_resultset": {
        # first byte: 1 DEPRECATE_EOF, 2 SESSION_TRACK,
        # 4 OPTIONAL_RESULTSET_METADATA, 8 no PROTOCOL_41
        "rs-eof": b"\x00" + stream("rs_eof"),
        "rs-deprecate-eof": b"\x01" + stream("rs_deof"),
        "multi-eof": b"\x00" + stream("multi_eof"),
        "multi-deprecate-eof": b"\x01" + stream("multi_deof"),
        "query-err": b"\x00" + stream("query_err"),
        "err-mid-rows": b"\x00" + seq_stream(
            [b"\x01", COLDEF_A, EOF_22, b"\x01\x31",
             b"\xff\x87\x07#70100Connection was killed"]),
        "local-infile": b"\x00" + seq_stream(
            [b"\xfb/tmp/data.csv", b"\x00\x03\x00\x02\x00\x00\x00"]),
        "no-metadata": b"\x05" + seq_stream(
            [b"\x02\x00", b"\x01\x31\xfb",
             b"\xfe\x00\x00\x02\x00\x00\x00"]),
    },
    # first byte: 1 DEPRECATE_EOF
    "fuzz_watch_replica": {
        "two-rows-eof": b"\x00" + seq_stream(
            [bytes([len(SLAVE_COLS)])] + [coldef(c) for c in SLAVE_COLS]
            + [b"\xfe\x00\x00\x02\x00"] + SLAVE_ROWS
            + [b"\xfe\x00\x00\x02\x00"]),
        "two-rows-deprecate-eof": b"\x01" + seq_stream(
            [bytes([len(SLAVE_COLS)])] + [coldef(c) for c in SLAVE_COLS]
            + SLAVE_ROWS + [b"\xfe\x00\x00\x02\x00\x00\x00"]),
        "no-row": b"\x01" + seq_stream(
            [b"\x01", coldef(b"Master_Host"),
             b"\xfe\x00\x00\x02\x00\x00\x00"]),
        # the host cache's answer (watch/hostcache.c)
        "host-cache": b"\x01" + seq_stream(
            [b"\x02", coldef(b"max_connect_errors"), coldef(b"@@max")]
            + [row([b"max_connect_errors", b"100"]), row([b"127.0.0.2", b"7"]),
               row([b"192.0.2.1", b"3"]), row([b"::1", None])]
            + [b"\xfe\x00\x00\x02\x00\x00\x00"]),
    },
    # written from MySQL's "Compression" pages: the first byte picks zlib
    # (even) or zstd (odd) and the cut size; stored and deflated packets
    "fuzz_mysql_inflate": {
        'zlib-stored-and-deflated': b'\x00\x05\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x0e"\x00\x00\x016\x00\x00x\x9c3b```\x0ev\xf5qu\x0eQP20426153\xb7\xb0\xc4\xcfR\x02\x00\x16\xf5\n\x8e',
        'zlib-cut-7': b'\x0c\x05\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x0e"\x00\x00\x016\x00\x00x\x9c3b```\x0ev\xf5qu\x0eQP20426153\xb7\xb0\xc4\xcfR\x02\x00\x16\xf5\n\x8e',
        'zstd-frame': b'\x01\x05\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x0e*\x00\x00\x01\xa2\x00\x00(\xb5/\xfd\x00X\r\x01\x00\xc02\x00\x00\x00\x03SELECT "0123456789"\x02\x00)\xabT\xacX\x9a',
        'zstd-cut-3': b'\x05*\x00\x00\x00\xa2\x00\x00(\xb5/\xfd\x00X\r\x01\x00\xc02\x00\x00\x00\x03SELECT "0123456789"\x02\x00)\xabT\xacX\x9a',
        'zlib-bad-length': b'\x00"\x00\x00\x015\x00\x00x\x9c3b```\x0ev\xf5qu\x0eQP20426153\xb7\xb0\xc4\xcfR\x02\x00\x16\xf5\n\x8e',
    },
    # MySQL's "COM_QUERY" (CLIENT_QUERY_ATTRIBUTES) and "COM_STMT_EXECUTE"
    "fuzz_mysql_qattr": {
        'none': b'\x03\x00\x01SELECT 1',
        'three': b'\x03\x03\x01\x04\x01\xfe\x00\x02n1\x08\x80\x02id\xfe\x00\x04gone\x02v1*\x00\x00\x00\x00\x00\x00\x00SELECT 1',
        'datetime': b'\x03\x01\x01\x00\x01\x0c\x00\x01t\x07\xe8\x07\x0c\x06\x17/\x05DO 1',
        'execute-named': b'\x17\x05\x00\x00\x00\x08\x01\x00\x00\x00\x01\x00\x01\xfd\x00\x03tag\x01x',
    },
}


def main():
    for target, seeds in SEEDS.items():
        d = os.path.join(CORPUS, target)
        os.makedirs(d, exist_ok=True)
        for name, data in seeds.items():
            assert len(data) < 4096, name
            with open(os.path.join(d, name + ".bin"), "wb") as f:
                f.write(data)


if __name__ == "__main__":
    main()
