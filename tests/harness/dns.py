"""A DNS server fixture for lab namespaces: it answers every query at once
with NXDOMAIN, or never answers, so a resolver pointed at it is fast or dead."""
import subprocess

_SCRIPT = """
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], 53))
print("ready", flush=True)
s.settimeout(1.0)
deadline = time.time() + 300
while time.time() < deadline:
    try:
        q, peer = s.recvfrom(512)
    except socket.timeout:
        continue
    if sys.argv[2] == "answer" and len(q) >= 12:
        # The query back with QR, RD, RA set and rcode 3 (NXDOMAIN).
        s.sendto(q[:2] + bytes([0x81, 0x83]) + q[4:6] + bytes(6) + q[12:], peer)
"""


def start_dns(lab, ns, addr, answer=False):
    """Starts the fixture on addr:53 in lab namespace ns (ended with the lab);
    returns its Popen once it listens."""
    p = lab.popen(ns, ["python3", "-c", _SCRIPT, addr, "answer" if answer else "silent"],
                  stdout=subprocess.PIPE, text=True)
    line = p.stdout.readline().strip()
    if line != "ready":
        raise RuntimeError(f"DNS fixture did not start in {ns}: {line!r}")
    return p
