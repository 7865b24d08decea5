#!/usr/bin/env python3
"""capture_client.py - prints, as hex, the first packet a real client sends
after a greeting: the mariadb command-line client (libmariadb 3.3.20, Debian
12) is pointed at a fake server that replays the MariaDB 10.11.19 greeting
from mariadb-10.11.19.hex. The second run sets CLIENT_SSL in the greeting so
the client sends an SSLRequest (its TLS handshake then fails: expected).
Usage: capture_client.py
"""
import os
import socket
import subprocess

HERE = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(HERE, "mariadb-10.11.19.hex")) as f:
    GREETING = bytes.fromhex(f.read().split("greeting: ")[1].split()[0])


def run(greeting, args, label):
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)
    port = srv.getsockname()[1]
    proc = subprocess.Popen(
        ["mariadb", "--no-defaults", "-h127.0.0.1", "-P%d" % port] + args,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    conn, _ = srv.accept()
    conn.settimeout(5)
    conn.sendall(greeting)
    head = b""
    while len(head) < 4:
        head += conn.recv(4 - len(head))
    n = head[0] | head[1] << 8 | head[2] << 16
    body = b""
    while len(body) < n:
        body += conn.recv(n - len(body))
    print(f"{label}: {(head + body).hex()}")
    conn.close()
    srv.close()
    proc.wait(timeout=10)


run(GREETING, ["-ucd", "-psecret", "-Dt", "-e", "select 1"], "client_login")
g = bytearray(GREETING)
off = 5 + g[5:].index(0) + 1 + 4 + 8 + 1  # lower capability flags
caps = (g[off] | g[off + 1] << 8) | 0x800  # CLIENT_SSL
g[off], g[off + 1] = caps & 0xff, caps >> 8
run(bytes(g), ["-ucd", "-psecret", "--ssl", "-e", "select 1"],
    "client_ssl_request")
