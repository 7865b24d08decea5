"""A scripted MySQL peer on 127.0.0.1 for tests that play broken or hostile
servers, with byte builders for the packets such servers send: the handshake
v10 greeting, OK, ERR, auth switch, a text result set
(https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_basics.html).

A script is either a list of steps, played to every client:

    with MysqlPeer([send(greeting(version=b"8.0\\x1b[2J")), read(),
                    send(err(1045, b"28000", b"no", seq=2))]) as peer:
        run_conndoctor(["probe", "-P", str(peer.port), ...])

or a function script(peer, conn) for what steps cannot say (answers that
depend on what the client sent). Steps: send(bytes), drip(bytes, interval)
one byte at a time, read() one MySQL packet (its payload kept in
peer.received), sleep(s), close(), reset() (close with an RST). After a
list the connection is held open until the client closes it (hold=False:
closed at once). peer.connections counts clients, peer.events is the
scripts' own record, peer.errors what went wrong on the peer's side.
"""
import os
import socket
import struct
import subprocess
import threading
import time

# Capability flags (CLIENT_*) a plain, non-TLS MySQL 8 greeting offers.
CLIENT_LONG_PASSWORD = 0x1
CLIENT_CONNECT_WITH_DB = 0x8
CLIENT_PROTOCOL_41 = 0x200
CLIENT_TRANSACTIONS = 0x2000
CLIENT_SECURE_CONNECTION = 0x8000
CLIENT_PLUGIN_AUTH = 0x80000
DEFAULT_CAPS = (CLIENT_LONG_PASSWORD | CLIENT_CONNECT_WITH_DB | CLIENT_PROTOCOL_41
                | CLIENT_TRANSACTIONS | CLIENT_SECURE_CONNECTION | CLIENT_PLUGIN_AUTH)

SCRAMBLE = b"abcdefghijklmnopqrst"  # 20 bytes of auth data
OK = b"\x00\x00\x00\x02\x00\x00\x00"  # an OK payload: autocommit, no warnings


def packet(payload, seq=0):
    """One MySQL frame: 3-byte little-endian length, sequence id, payload."""
    return struct.pack("<I", len(payload))[:3] + bytes([seq & 0xFF]) + payload


def greeting(version=b"8.0.36", conn_id=7, plugin=b"mysql_native_password",
             caps=DEFAULT_CAPS, seq=0):
    """A handshake v10 greeting, framed (version must not hold a NUL)."""
    body = (b"\x0a" + version + b"\x00" + struct.pack("<I", conn_id)
            + SCRAMBLE[:8] + b"\x00" + struct.pack("<H", caps & 0xFFFF)
            + b"\x21" + struct.pack("<H", 2) + struct.pack("<H", caps >> 16)
            + bytes([len(SCRAMBLE) + 1]) + b"\x00" * 10
            + SCRAMBLE[8:] + b"\x00" + plugin + b"\x00")
    return packet(body, seq)


def ok(seq=2):
    """OK: no rows affected, autocommit status, no warnings."""
    return packet(OK, seq)


def err(code, sqlstate, message, seq=2):
    """ERR with a SQLSTATE (5 bytes) and a message of any bytes."""
    return packet(b"\xff" + struct.pack("<H", code) + b"#" + sqlstate + message, seq)


def auth_switch(plugin, data=SCRAMBLE + b"\x00", seq=2):
    """AuthSwitchRequest: 0xfe, the plugin name, its auth data."""
    return packet(b"\xfe" + plugin + b"\x00" + data, seq)


def _lenenc_str(b):
    assert len(b) < 251
    return bytes([len(b)]) + b


def result_header(seq=1):
    """The start of a one-column text result set (no CLIENT_DEPRECATE_EOF):
    column count, the column definition, EOF. Rows follow at seq + 3."""
    col = (_lenenc_str(b"def") + _lenenc_str(b"") + _lenenc_str(b"")
           + _lenenc_str(b"") + _lenenc_str(b"1") + _lenenc_str(b"")
           + b"\x0c" + struct.pack("<HIBHB", 63, 1, 8, 0x81, 0) + b"\x00\x00")
    eof = b"\xfe\x00\x00\x02\x00"
    return packet(b"\x01", seq) + packet(col, seq + 1) + packet(eof, seq + 2)


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


def send(data):
    return ("send", data)


def drip(data, interval):
    return ("drip", data, interval)


def read():
    return ("read",)


def sleep(seconds):
    return ("sleep", seconds)


def close():
    return ("close",)


def reset():
    return ("reset",)


def reset_socket(c):
    """Closes c with an RST (SO_LINGER 0) instead of a FIN."""
    c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    c.close()


class PeerRsaKey:
    """An RSA key pair made with the openssl command line in folder tmp, for
    peers that play sha256_password or caching_sha2_password's full path:
    pub is the PEM public key to send; decrypt() undoes the client's
    RSA-OAEP answer (None when it does not decrypt)."""

    def __init__(self, tmp):
        self.key = os.path.join(tmp, "peer.key")
        subprocess.run(["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt",
                        "rsa_keygen_bits:2048", "-out", self.key], check=True, capture_output=True)
        self.pub = subprocess.run(["openssl", "pkey", "-in", self.key, "-pubout"], check=True,
                                  capture_output=True).stdout
        self.tmp = tmp

    def decrypt(self, blob):
        path = os.path.join(self.tmp, f"blob-{threading.get_ident()}")
        with open(path, "wb") as f:
            f.write(blob)
        r = subprocess.run(["openssl", "pkeyutl", "-decrypt", "-inkey", self.key, "-pkeyopt",
                            "rsa_padding_mode:oaep", "-in", path], capture_output=True)
        return r.stdout if r.returncode == 0 else None

    def send_key_and_check(self, peer, c, password, seq=4):
        """Sends pub as AuthMoreData (seq), reads the client's RSA answer and
        checks it is (password + NUL) XOR SCRAMBLE; answers OK or ERR
        (seq + 2) and records "rsa ok" or "bad password" in peer.events.
        Returns whether it matched."""
        c.sendall(packet(b"\x01" + self.pub, seq))
        pkt = read_packet(c)
        plain = self.decrypt(pkt[1]) if pkt else None
        want = password.encode() + b"\0"
        if plain is None or bytes(p ^ SCRAMBLE[i % 20] for i, p in enumerate(plain)) != want:
            peer.events.append("bad password")
            c.sendall(packet(b"\xff\x15\x04#28000Access denied", seq + 2))
            return False
        peer.events.append("rsa ok")
        c.sendall(packet(OK, seq + 2))
        return True


class MysqlPeer:
    """A listener on 127.0.0.1 (port in .port) that plays `script` (a list of
    steps, or a function of the peer and the connection) to each client in
    its own thread, for `lifetime` seconds at most."""

    def __init__(self, script, hold=True, lifetime=300):
        self.script = script
        self.hold = hold
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self.received = []
        self.events = []
        self.errors = []
        self._conns = []
        self._lock = threading.Lock()
        self._done = threading.Event()
        self._deadline = time.time() + lifetime
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def _accept(self):
        self.sock.settimeout(0.2)
        while not self._done.is_set() and time.time() < self._deadline:
            try:
                c, _ = self.sock.accept()
            except OSError:
                continue
            with self._lock:
                self.connections += 1
                self._conns.append(c)
            threading.Thread(target=self._play, args=(c,), daemon=True).start()

    def _steps(self, c):
        for step in self.script:
            if self._done.is_set():
                return False
            if step[0] == "send":
                c.sendall(step[1])
            elif step[0] == "drip":
                for b in step[1]:
                    c.sendall(bytes([b]))
                    time.sleep(step[2])
            elif step[0] == "read":
                pkt = read_packet(c)
                if pkt is None:
                    raise ConnectionError("client closed")
                with self._lock:
                    self.received.append(pkt[1])
            elif step[0] == "sleep":
                time.sleep(step[1])
            elif step[0] == "close":
                c.close()
                return False
            elif step[0] == "reset":
                reset_socket(c)
                return False
        return self.hold

    def _play(self, c):
        c.settimeout(30)
        try:
            if callable(self.script):
                self.script(self, c)
            elif self._steps(c):
                while not self._done.is_set() and c.recv(4096):
                    pass
        except (OSError, ConnectionError) as e:
            with self._lock:
                self.errors.append(repr(e))
        finally:
            try:
                c.close()
            except OSError:
                pass

    def close(self):
        self._done.set()
        self._thread.join(2)
        with self._lock:
            for c in self._conns:
                try:
                    c.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
        self.sock.close()
