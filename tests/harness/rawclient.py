"""A bare MySQL client over a plain socket, for tests that must stop in the
middle of the protocol where a real client library never would: stall inside
a packet, stall in a LOAD DATA LOCAL stream, or stop reading a result
(https://mariadb.com/kb/en/connection/, mysql_native_password only)."""
import hashlib
import socket
import struct

CLIENT_LONG_PASSWORD = 0x1
CLIENT_LOCAL_FILES = 0x80
CLIENT_PROTOCOL_41 = 0x200
CLIENT_SECURE_CONNECTION = 0x8000
CLIENT_PLUGIN_AUTH = 0x80000


def _native(password, scramble):
    if not password:
        return b""
    h1 = hashlib.sha1(password.encode()).digest()
    h2 = hashlib.sha1(h1).digest()
    h3 = hashlib.sha1(scramble + h2).digest()
    return bytes(a ^ b for a, b in zip(h1, h3))


class RawClient:
    """One logged-in session; conn_id is the server's id from the greeting."""

    def __init__(self, host, port, user, password, rcvbuf=None, timeout=30):
        """host and port over TCP; port None: host is a Unix socket's path."""
        family = socket.AF_UNIX if port is None else socket.AF_INET
        self.s = socket.socket(family, socket.SOCK_STREAM)
        if rcvbuf:  # set before connect so the window stays small
            self.s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.s.settimeout(timeout)
        self.s.connect(host if port is None else (host, port))
        seq, greet = self.read_packet()
        if greet[0] == 0xFF:
            raise RuntimeError(f"refused: {greet[3:]!r}")
        p = greet.index(b"\x00", 1) + 1  # after the version string
        self.conn_id = struct.unpack_from("<I", greet, p)[0]
        part1 = greet[p + 4:p + 12]
        p += 4 + 8 + 1 + 2 + 1 + 2 + 2 + 1 + 10
        part2 = greet[p:p + 12]
        scramble = part1 + part2
        caps = (CLIENT_LONG_PASSWORD | CLIENT_LOCAL_FILES | CLIENT_PROTOCOL_41 |
                CLIENT_SECURE_CONNECTION | CLIENT_PLUGIN_AUTH)
        auth = _native(password, scramble)
        body = struct.pack("<IIB23x", caps, 1 << 24, 33) + user.encode() + b"\x00"
        body += bytes([len(auth)]) + auth + b"mysql_native_password\x00"
        self.send_packet(body, seq + 1)
        seq, reply = self.read_packet()
        if reply[0] == 0xFE:  # auth switch
            plugin_end = reply.index(b"\x00", 1)
            data = reply[plugin_end + 1:].rstrip(b"\x00")
            self.send_packet(_native(password, data), seq + 1)
            seq, reply = self.read_packet()
        if reply[0] != 0x00:
            raise RuntimeError(f"login failed: {reply!r}")

    def _recv_exact(self, n):
        buf = b""
        while len(buf) < n:
            chunk = self.s.recv(n - len(buf))
            if not chunk:
                raise ConnectionError("closed by the server")
            buf += chunk
        return buf

    def read_packet(self):
        head = self._recv_exact(4)
        n = head[0] | head[1] << 8 | head[2] << 16
        return head[3], self._recv_exact(n)

    def send_packet(self, payload, seq=0):
        self.s.sendall(struct.pack("<I", len(payload))[:3] + bytes([seq & 0xFF]) + payload)

    def query(self, sql):
        """Sends COM_QUERY and returns at once (the reply is not read)."""
        self.send_packet(b"\x03" + sql.encode(), 0)

    def wait_closed(self, limit_s):
        """Reads and drops whatever comes until the server closes; True on a close."""
        self.s.settimeout(limit_s)
        try:
            while self.s.recv(65536):
                pass
            return True
        except ConnectionResetError:
            return True
        except socket.timeout:
            return False

    def close(self):
        self.s.close()
