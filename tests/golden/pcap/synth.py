"""synth.py - golden captures written byte by byte from the protocol pages
(MySQL "Connection Phase", "COM_QUERY" with CLIENT_QUERY_ATTRIBUTES,
"COM_STMT_EXECUTE", "Compression" with zstd), for what the harness MariaDB
cannot produce (it has neither query attributes nor zstd), and captures cut
from real golden captures so that they start mid-session. regen.py calls
make_all(); every output is deterministic (fixed times, ports, sequence
numbers) so a rerun writes the same bytes. The zstd frames come from the
zstd command (Debian's zstd package, in scripts/install-deps.sh)."""

import os
import struct
import subprocess

import pcapfile

SERVER_PORT = 3306
CLIENT_PORT = 51000
T0 = 1700000000

# Capability flags (MySQL "Capabilities Flags" page).
LONG_PASSWORD, FOUND_ROWS, LONG_FLAG, CONNECT_WITH_DB = 1, 2, 4, 8
COMPRESS, LOCAL_FILES, PROTOCOL_41, INTERACTIVE = 0x20, 0x80, 0x200, 0x400
TRANSACTIONS, SECURE_CONNECTION, MULTI_STATEMENTS = 0x2000, 0x8000, 0x10000
MULTI_RESULTS, PS_MULTI_RESULTS, PLUGIN_AUTH = 0x20000, 0x40000, 0x80000
PLUGIN_AUTH_LENENC, SESSION_TRACK, DEPRECATE_EOF = 0x200000, 0x800000, 0x1000000
ZSTD, QUERY_ATTRIBUTES = 0x4000000, 0x8000000

BASE = (LONG_PASSWORD | FOUND_ROWS | LONG_FLAG | CONNECT_WITH_DB | LOCAL_FILES | PROTOCOL_41
        | TRANSACTIONS | SECURE_CONNECTION | MULTI_STATEMENTS | MULTI_RESULTS | PS_MULTI_RESULTS
        | PLUGIN_AUTH | PLUGIN_AUTH_LENENC | SESSION_TRACK | DEPRECATE_EOF)
SERVER_CAPS = BASE | INTERACTIVE | COMPRESS | ZSTD | QUERY_ATTRIBUTES


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack(f"!{len(b) // 2}H", b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def frame(src_port, dst_port, seq, ack, flags, payload):
    tcp = struct.pack("!HHIIBBHHH", src_port, dst_port, seq, ack, 5 << 4, flags, 65535, 0, 0)
    src = dst = bytes([127, 0, 0, 1])
    pseudo = src + dst + struct.pack("!BBH", 0, 6, len(tcp) + len(payload))
    c = csum(pseudo + tcp + payload)
    tcp = tcp[:16] + struct.pack("!H", c) + tcp[18:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp) + len(payload), 1, 0x4000, 64, 6, 0,
                     src, dst)
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    return b"\0" * 12 + b"\x08\x00" + ip + tcp + payload


class Conn:
    """One TCP connection; segments are recorded in order, 100 us apart."""
    SYN, ACK, PSH, FIN = 0x02, 0x10, 0x08, 0x01

    def __init__(self, cport=CLIENT_PORT, sport=SERVER_PORT, t=T0):
        self.ports = (cport, sport)
        self.seq = [1000, 500000]
        self.t = t * 1000000
        self.recs = []

    def _rec(self, d, flags, payload=b""):
        src, dst = (self.ports if d == 0 else self.ports[::-1])
        f = frame(src, dst, self.seq[d], self.seq[1 - d], flags, payload)
        self.recs.append((self.t // 1000000, self.t % 1000000, len(f), f))
        self.t += 100
        self.seq[d] = (self.seq[d] + len(payload) + (1 if flags & (self.SYN | self.FIN) else 0)) \
            & 0xffffffff

    def handshake(self):
        self._rec(0, self.SYN)
        self.seq[0] -= 1
        self._rec(1, self.SYN | self.ACK)
        self.seq[0] += 1
        self._rec(0, self.ACK)

    def send(self, d, data, mss=1400):
        for i in range(0, len(data), mss):
            self._rec(d, self.ACK | self.PSH, data[i:i + mss])

    def close(self):
        self._rec(0, self.FIN | self.ACK)
        self._rec(1, self.FIN | self.ACK)
        self._rec(0, self.ACK)


def pkt(seq, payload):
    return struct.pack("<I", len(payload))[:3] + bytes([seq]) + payload


def lenenc(n):
    if n < 251:
        return bytes([n])
    if n < 1 << 16:
        return b"\xfc" + struct.pack("<H", n)
    return b"\xfd" + struct.pack("<I", n)[:3]


def lstr(b):
    return lenenc(len(b)) + b


def greeting(caps=SERVER_CAPS):
    scramble = bytes(range(0x21, 0x21 + 20))
    return (b"\x0a" + b"8.0.36\0" + struct.pack("<I", 77) + scramble[:8] + b"\0"
            + struct.pack("<H", caps & 0xffff) + b"\xff" + struct.pack("<H", 2)
            + struct.pack("<H", caps >> 16) + bytes([21]) + b"\0" * 10 + scramble[8:] + b"\0"
            + b"caching_sha2_password\0")


def login(caps, user=b"app", db=b"shop", zstd_level=None):
    auth = bytes((i * 37 + 11) & 0xff for i in range(32))  # a made-up hash, no password
    p = (struct.pack("<IIB", caps, 1 << 24, 0xff) + b"\0" * 23 + user + b"\0" + lstr(auth)
         + db + b"\0" + b"caching_sha2_password\0")
    if zstd_level is not None:
        p += bytes([zstd_level])
    return p


OK = b"\x00\x00\x00\x02\x00\x00\x00"
EOF_OK = b"\xfe\x00\x00\x02\x00\x00\x00"


def coldef(name):
    return (lstr(b"def") + lstr(b"") + lstr(b"") + lstr(b"") + lstr(name) + lstr(b"")
            + b"\x0c" + struct.pack("<HIBHB", 0x3f, 21, 0x08, 0x81, 0) + b"\0\0")


def resultset(rows, start=1):
    """A one-column text result set with CLIENT_DEPRECATE_EOF."""
    out = [pkt(start, b"\x01"), pkt(start + 1, coldef(b"v"))]
    s = start + 2
    for r in rows:
        out.append(pkt(s & 0xff, lstr(r)))
        s += 1
    out.append(pkt(s & 0xff, EOF_OK))
    return b"".join(out)


def qattr_query(sql, attrs):
    """COM_QUERY with CLIENT_QUERY_ATTRIBUTES: attrs [(name, type, value bytes or None)]."""
    p = b"\x03" + lenenc(len(attrs)) + b"\x01"
    if attrs:
        bitmap = bytearray((len(attrs) + 7) // 8)
        for i, (_, _, v) in enumerate(attrs):
            if v is None:
                bitmap[i // 8] |= 1 << (i % 8)
        p += bytes(bitmap) + b"\x01"
        for name, t, _ in attrs:
            p += bytes([t, 0]) + lstr(name)
        for _, _, v in attrs:
            if v is not None:
                p += v
    return p + sql


def session_qattr(c, compress=None):
    """A MySQL 8 session with query attributes: two queries with them, one
    without, a prepared statement executed with a named parameter."""
    caps = BASE | QUERY_ATTRIBUTES | (ZSTD if compress == "zstd" else 0)
    c.send(1, pkt(0, greeting()))
    c.send(0, pkt(1, login(caps, zstd_level=3 if compress == "zstd" else None)))
    c.send(1, pkt(2, b"\x01\x03") + pkt(3, OK))  # fast_auth_success, OK
    out = []
    out.append((0, pkt(0, qattr_query(b"SELECT 1", [(b"trace_id", 0xfe, lstr(b"4bf92f35")),
                                                    (b"attempt", 0x08, struct.pack("<q", 3))]))))
    out.append((1, resultset([b"1"])))
    out.append((0, pkt(0, qattr_query(b"SET @a = 1", []))))
    out.append((1, pkt(1, OK)))
    out.append((0, pkt(0, qattr_query(b"SELECT @a FROM t WHERE note = 'x' LIMIT 1 /* longer */",
                                      [(b"user", 0xfd, lstr(b"alice")), (b"nothing", 0x06, None)]))))
    out.append((1, resultset([b"1"])))
    out.append((0, pkt(0, b"\x16DO ?")))
    out.append((1, pkt(1, b"\x00" + struct.pack("<IHHBH", 1, 0, 1, 0, 0)) + pkt(2, coldef(b"?"))))
    ex = (b"\x17" + struct.pack("<IBI", 1, 0x08, 1) + lenenc(2) + b"\x00\x01"
          + b"\x08\x00" + lstr(b"") + b"\xfe\x00" + lstr(b"tag")
          + struct.pack("<q", 42) + lstr(b"batch-7"))
    out.append((0, pkt(0, ex)))
    out.append((1, pkt(1, OK)))
    out.append((0, pkt(0, b"\x01")))  # COM_QUIT
    if compress is None:
        for d, b in out:
            c.send(d, b)
    else:
        for d, b in out:
            c.send(d, compressed(b, b[3], compress))


def compressed(inner, seq, algo):
    """One compressed packet holding the packets `inner` (stored as they
    are under 50 bytes, as the servers do)."""
    if len(inner) < 50:
        return struct.pack("<I", len(inner))[:3] + bytes([seq]) + b"\0\0\0" + inner
    if algo == "zstd":
        z = subprocess.run(["zstd", "-q", "-c", "-3", "--no-check", "-"], input=inner,
                           capture_output=True, check=True).stdout
    else:
        import zlib
        z = zlib.compress(inner)
    return (struct.pack("<I", len(z))[:3] + bytes([seq]) + struct.pack("<I", len(inner))[:3] + z)


def write(path, recs):
    hdr = struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 262144, pcapfile.LINKTYPE_ETHERNET)
    p = pcapfile.Pcap("<", hdr, pcapfile.LINKTYPE_ETHERNET, recs)
    pcapfile.write(path, pcapfile.to_bytes(p))


def tcp_payload(frame_bytes):
    ip = frame_bytes[14:]
    ihl = (ip[0] & 15) * 4
    total = int.from_bytes(ip[2:4], "big")
    tcp = ip[ihl:total]
    return int.from_bytes(tcp[0:2], "big"), tcp[13], tcp[(tcp[12] >> 4) * 4:]


def make_all(here, ports):
    """Writes the synthetic and cut captures; returns [(name, server port)]."""
    made = []
    c = Conn()
    c.handshake()
    session_qattr(c)
    c.close()
    write(os.path.join(here, "qattr.pcap"), c.recs)
    made.append(("qattr", SERVER_PORT))

    c = Conn(cport=CLIENT_PORT + 1)
    c.handshake()
    session_qattr(c, compress="zstd")
    c.close()
    write(os.path.join(here, "zstd.pcap"), c.recs)
    made.append(("zstd", SERVER_PORT))

    # A capture started while a session was open: no SYN; the first
    # command is COM_STMT_RESET, then a query, a ping and COM_QUIT.
    c = Conn(cport=CLIENT_PORT + 2)
    c.send(1, b"\x01" * 40)  # the end of a result the capture caught
    c.send(0, pkt(0, b"\x1a" + struct.pack("<I", 9)))
    c.send(1, pkt(1, OK))
    c.send(0, pkt(0, b"\x03SELECT 2"))
    c.send(1, resultset([b"2"]))
    c.send(0, pkt(0, b"\x0e"))
    c.send(1, pkt(1, OK))
    c.send(0, pkt(0, b"\x01"))
    c.close()
    write(os.path.join(here, "mid_stmt_reset.pcap"), c.recs)
    made.append(("mid_stmt_reset", SERVER_PORT))

    # Real captures cut: from the greeting (no SYN), from the login, and in
    # the middle of a result set (the client's next command resyncs).
    normal = pcapfile.read(os.path.join(here, "normal.pcap"))
    port = ports["normal"]
    first = [i for i, r in enumerate(normal.records)
             if tcp_payload(r[3])[2] and tcp_payload(r[3])[0] == port]
    write(os.path.join(here, "mid_greeting.pcap"), normal.records[first[0]:])
    made.append(("mid_greeting", port))
    login_i = next(i for i, r in enumerate(normal.records)
                   if i > first[0] and tcp_payload(r[3])[2] and tcp_payload(r[3])[0] != port)
    write(os.path.join(here, "mid_login.pcap"), normal.records[login_i:])
    made.append(("mid_login", port))
    big = pcapfile.read(os.path.join(here, "bigresult.pcap"))
    port = ports["bigresult"]
    srv = [i for i, r in enumerate(big.records)
           if tcp_payload(r[3])[0] == port and len(tcp_payload(r[3])[2]) > 1000]
    write(os.path.join(here, "mid_rows.pcap"), big.records[srv[len(srv) // 2]:])
    made.append(("mid_rows", port))
    errs = pcapfile.read(os.path.join(here, "errors.pcap"))
    port = ports["errors"]
    q = [i for i, r in enumerate(errs.records)
         if tcp_payload(r[3])[0] != port and tcp_payload(r[3])[2][4:5] == b"\x03"]
    write(os.path.join(here, "mid_errors.pcap"), errs.records[q[1] + 1:])
    made.append(("mid_errors", port))
    # The mariadb client's --compress session cut after its login: the
    # capture starts at the first compressed command, so nothing in it says
    # the session is compressed but the frames themselves.
    comp = pcapfile.read(os.path.join(here, "compressed.pcap"))
    port = ports["compressed"]
    data = [(i, tcp_payload(r[3])[0] == port) for i, r in enumerate(comp.records)
            if tcp_payload(r[3])[2]]
    # greeting (server), login (client), OK (server), then the first command
    first_cmd = [i for k, (i, srv) in enumerate(data) if not srv and k >= 3][0]
    write(os.path.join(here, "mid_compressed.pcap"), comp.records[first_cmd:])
    made.append(("mid_compressed", port))
    return made
