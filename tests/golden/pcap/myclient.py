"""myclient.py - a minimal MySQL client for making captures: handshake v10,
mysql_native_password (hashlib), COM_QUERY with text result sets, COM_PING,
COM_QUIT, and raw writes into the socket (the fd 2 case of field report
002). Written from the MySQL protocol pages, independently of the C codec,
so the decoder is checked against another implementation. No TLS, no
compression."""

import hashlib
import socket
import struct

CLIENT_LONG_PASSWORD = 0x1
CLIENT_CONNECT_WITH_DB = 0x8
CLIENT_PROTOCOL_41 = 0x200
CLIENT_TRANSACTIONS = 0x2000
CLIENT_SECURE_CONNECTION = 0x8000
CLIENT_MULTI_RESULTS = 0x20000
CLIENT_PLUGIN_AUTH = 0x80000

COM_QUIT, COM_QUERY, COM_PING = 0x01, 0x03, 0x0E


class MySQLError(Exception):
    def __init__(self, code, message):
        super().__init__(f"ERR {code}: {message}")
        self.code, self.message = code, message


def native_scramble(password, scramble):
    if not password:
        return b""
    h1 = hashlib.sha1(password.encode()).digest()
    h2 = hashlib.sha1(h1).digest()
    h3 = hashlib.sha1(scramble + h2).digest()
    return bytes(a ^ b for a, b in zip(h1, h3))


def lenenc(buf, off):
    b = buf[off]
    if b < 0xFB:
        return b, off + 1
    if b == 0xFC:
        return struct.unpack_from("<H", buf, off + 1)[0], off + 3
    if b == 0xFD:
        return int.from_bytes(buf[off + 1:off + 4], "little"), off + 4
    return struct.unpack_from("<Q", buf, off + 1)[0], off + 9


class Client:
    def __init__(self, host, port, user, password, db=None, timeout=10.0, connect=True):
        self.host, self.port, self.user, self.password, self.db = host, port, user, password, db
        self.timeout = timeout
        self.sock = None
        self.seq = 0
        self.conn_id = None
        if connect:
            self.connect()

    # ---------------------------------------------------------- framing
    def _recv(self, n):
        out = b""
        while len(out) < n:
            chunk = self.sock.recv(n - len(out))
            if not chunk:
                raise ConnectionError("server closed the connection")
            out += chunk
        return out

    def read_packet(self):
        hdr = self._recv(4)
        length = hdr[0] | hdr[1] << 8 | hdr[2] << 16
        self.seq = (hdr[3] + 1) & 0xFF
        return self._recv(length)

    def write_packet(self, payload):
        self.sock.sendall(struct.pack("<I", len(payload))[:3] + bytes([self.seq]) + payload)
        self.seq = (self.seq + 1) & 0xFF

    @staticmethod
    def _err(p):
        code = struct.unpack_from("<H", p, 1)[0]
        msg = p[9:] if p[3:4] == b"#" else p[3:]
        return MySQLError(code, msg.decode(errors="replace"))

    # ---------------------------------------------------------- session
    def connect(self):
        self.sock = socket.create_connection((self.host, self.port), timeout=self.timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        g = self.read_packet()
        if g[0] == 0xFF:
            raise self._err(g)
        end = g.index(b"\0", 1)
        off = end + 1
        self.conn_id = struct.unpack_from("<I", g, off)[0]
        part1 = g[off + 4:off + 12]
        caps = struct.unpack_from("<H", g, off + 13)[0]
        caps |= struct.unpack_from("<H", g, off + 18)[0] << 16
        alen = g[off + 20]
        rest = off + 31
        part2 = g[rest:rest + max(13, alen - 8) - 1]
        self.scramble = part1 + part2
        caps_c = (CLIENT_LONG_PASSWORD | CLIENT_PROTOCOL_41 | CLIENT_TRANSACTIONS
                  | CLIENT_SECURE_CONNECTION | CLIENT_MULTI_RESULTS | CLIENT_PLUGIN_AUTH)
        if self.db:
            caps_c |= CLIENT_CONNECT_WITH_DB
        auth = native_scramble(self.password, self.scramble)
        p = struct.pack("<IIB23x", caps_c, 1 << 24, 45) + self.user.encode() + b"\0"
        p += bytes([len(auth)]) + auth
        if self.db:
            p += self.db.encode() + b"\0"
        p += b"mysql_native_password\0"
        self.write_packet(p)
        r = self.read_packet()
        if r[0] == 0xFE:  # auth switch
            plugin_end = r.index(b"\0", 1)
            data = r[plugin_end + 1:].rstrip(b"\0")
            self.write_packet(native_scramble(self.password, data))
            r = self.read_packet()
        if r[0] == 0xFF:
            raise self._err(r)
        return self

    def command(self, cmd, arg=b""):
        self.seq = 0
        self.write_packet(bytes([cmd]) + arg)

    def query(self, sql):
        """Returns ('ok', affected) or ('rows', count); raises MySQLError."""
        self.command(COM_QUERY, sql.encode())
        return self.read_result()

    def read_result(self):
        p = self.read_packet()
        if p[0] == 0xFF:
            raise self._err(p)
        if p[0] == 0x00:
            return ("ok", lenenc(p, 1)[0])
        ncol, _ = lenenc(p, 0)
        for _ in range(ncol):
            self.read_packet()
        self.read_packet()  # EOF after the columns
        rows = 0
        while True:
            p = self.read_packet()
            if p[0] == 0xFE and len(p) < 9:
                return ("rows", rows)
            if p[0] == 0xFF:
                raise self._err(p)
            rows += 1

    def ping(self):
        self.command(COM_PING)
        return self.read_result()

    def raw(self, data):
        """Writes bytes into the socket as they are (not a frame)."""
        self.sock.sendall(data)

    def quit(self):
        try:
            self.command(COM_QUIT)
        finally:
            self.close()

    def close(self):
        if self.sock:
            self.sock.close()
            self.sock = None
