"""A MySQL-speaking peer on 127.0.0.1 for tests of hostile or unusual servers:
it plays a script (a function of the peer and the connection) to every client.
Byte builders for the packets such scripts send."""

import socket
import struct
import threading
import time

SCRAMBLE = b"ABCDEFGHIJKLMNOPQRST"
# The capabilities a MySQL 8 server offers (no SSL: these peers speak plain TCP).
CAPS = 0x1|0x4|0x8|0x200|0x2000|0x8000|0x80000|0x200000|0x20000|0x1000000|0x100000


def greeting(plugin=b"mysql_native_password"):
    """A HandshakeV10 payload: version 8.0.36-peer, connection id 9, SCRAMBLE."""
    g = bytes([10]) + b"8.0.36-peer\0" + struct.pack("<I", 9) + SCRAMBLE[:8] + b"\0"
    g += struct.pack("<H", CAPS & 0xffff) + bytes([45]) + struct.pack("<H", 2)
    g += struct.pack("<H", CAPS >> 16) + bytes([21]) + bytes(10) + SCRAMBLE[8:] + b"\0"
    return g + plugin + b"\0"


def frame(payload, seq):
    """One packet: 3-byte length, sequence id, payload."""
    return struct.pack("<I", len(payload))[:3] + bytes([seq]) + payload


OK = b"\x00\x00\x00\x02\x00\x00\x00"  # an OK_Packet payload, autocommit status


def read_packet(c):
    """(seq, payload) of the client's next packet, or None when it closed."""
    head = b""
    while len(head) < 4:
        b = c.recv(4 - len(head))
        if not b:
            return None
        head += b
    n = head[0] | head[1] << 8 | head[2] << 16
    body = b""
    while len(body) < n:
        b = c.recv(n - len(body))
        if not b:
            return None
        body += b
    return head[3], body


class Peer:
    """A MySQL-speaking peer on 127.0.0.1 that plays `script(conn)` to every
    client, each in its own thread; stops after two minutes at most."""

    def __init__(self, script):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.script = script
        self.done = False
        self.events = []
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.thread.start()

    def _loop(self):
        self.sock.settimeout(0.2)
        deadline = time.time() + 120
        while not self.done and time.time() < deadline:
            try:
                c, _ = self.sock.accept()
            except OSError:
                continue
            threading.Thread(target=self._serve, args=(c,), daemon=True).start()

    def _serve(self, c):
        try:
            c.settimeout(30)
            self.script(self, c)
        except OSError:
            pass
        finally:
            c.close()

    def close(self):
        self.done = True
        self.thread.join(2)
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False
