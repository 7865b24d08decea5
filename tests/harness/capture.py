"""capture.py - tcpdump into a file for the tests that capture traffic
(test_pcap, test_pcap_compress, the lab's test_pcap_lab, and
tests/golden/pcap/regen.py): started on loopback and seen listening,
stopped once the file holds all the traffic (an end mark, or quiet;
bounded), always reaped."""
import contextlib
import os
import signal
import socket
import struct
import subprocess
import time

from harness import end_process, preexec_die_with_parent


def wait_quiet(path, quiet=0.5, limit=5.0):
    """Waits (bounded) until a capture file being written stops growing:
    tcpdump -U writes each packet as it comes, so the traffic is all in
    once the size holds for `quiet` seconds."""
    deadline = time.monotonic() + limit
    last, since = -1, time.monotonic()
    while time.monotonic() < deadline:
        try:
            size = os.path.getsize(path)
        except OSError:
            size = -1
        if size != last:
            last, since = size, time.monotonic()
        elif time.monotonic() - since >= quiet:
            return size
        time.sleep(0.05)
    return last


def stop_tcpdump(proc, path):
    """Lets tcpdump write what it has, then stops it (SIGINT) and reaps."""
    wait_quiet(path)
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=5)


def tcpdump_start(path, port, mark_port=None):
    """tcpdump on lo writing every packet of TCP port `port` (and UDP to
    mark_port) to path as it comes; returns once it listens (raises if it
    does not)."""
    expr = f"tcp port {port}" + (f" or udp dst port {mark_port}" if mark_port else "")
    # -B: tcpdump's default 2 MiB ring holds only 8 frames of 256 KiB (-s 0),
    # and a burst while it waits for the CPU overflows it (kernel drops);
    # 16 MiB, as `pcap --live` asks for.
    argv = ["tcpdump", "-i", "lo", "-s", "0", "-B", "16384", "-U", "--immediate-mode", "-n",
            "-w", path, expr]
    p = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                         preexec_fn=preexec_die_with_parent())
    line = p.stderr.readline()  # "tcpdump: listening on lo, ..."
    if "listening" not in line:
        end_process(p)
        raise RuntimeError(f"tcpdump did not start: {line!r}")
    return p


def holds_udp_to(path, dport):
    """Whether the Ethernet capture being written at path holds a UDP/IPv4
    datagram to dport (a record cut short at the end is not read)."""
    with open(path, "rb") as f:
        buf = f.read()
    e = "<" if buf[:4] == b"\xd4\xc3\xb2\xa1" else ">"
    off = 24
    while off + 16 <= len(buf):
        incl = struct.unpack(e + "I", buf[off + 8:off + 12])[0]
        frame = buf[off + 16:off + 16 + incl]
        off += 16 + incl
        if len(frame) < 14 + 20 + 4 or frame[12:14] != b"\x08\x00" or frame[14 + 9] != 17:
            continue
        udp = 14 + (frame[14] & 15) * 4
        if frame[udp + 2:udp + 4] == struct.pack(">H", dport):
            return True
    return False


@contextlib.contextmanager
def tcpdump_lo(path, port, mark=True):
    """with tcpdump_lo(path, port): traffic made inside is in path after.

    A quiet file alone does not prove it: a tcpdump kept off the CPU for the
    quiet time still has packets to write, lost at SIGINT. So, with mark,
    one UDP datagram is sent to a socket held here once the traffic is
    made, and tcpdump is stopped only after writing it: the packets before
    it have been written too. The capture then holds that datagram (pcap
    counts it under not_tcp); mark=False (golden captures) relies on quiet."""
    holder = None
    if mark:
        holder = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        holder.bind(("127.0.0.1", 0))
    try:
        mark_port = holder.getsockname()[1] if holder else None
        p = tcpdump_start(path, port, mark_port)
        try:
            yield p
            if holder:
                holder.sendto(b"end", ("127.0.0.1", mark_port))
                deadline = time.monotonic() + 10
                while not holds_udp_to(path, mark_port):
                    if time.monotonic() > deadline:
                        raise RuntimeError(f"tcpdump never wrote the end mark to {path}")
                    time.sleep(0.02)
            stop_tcpdump(p, path)
        finally:
            end_process(p)
    finally:
        if holder:
            holder.close()
