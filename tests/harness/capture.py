"""capture.py - tcpdump into a file for the tests that capture traffic
(test_pcap, test_pcap_compress, the lab's test_pcap_lab, and
tests/golden/pcap/regen.py): started on loopback and seen listening,
stopped once the file has gone quiet (bounded), always reaped."""
import contextlib
import os
import signal
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


def tcpdump_start(path, port):
    """tcpdump on lo writing every packet of TCP port `port` to path as it
    comes; returns once it listens (raises if it does not)."""
    argv = ["tcpdump", "-i", "lo", "-s", "0", "-U", "--immediate-mode", "-n", "-w", path,
            f"tcp port {port}"]
    p = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                         preexec_fn=preexec_die_with_parent())
    line = p.stderr.readline()  # "tcpdump: listening on lo, ..."
    if "listening" not in line:
        end_process(p)
        raise RuntimeError(f"tcpdump did not start: {line!r}")
    return p


@contextlib.contextmanager
def tcpdump_lo(path, port):
    """with tcpdump_lo(path, port): traffic made inside is in path after."""
    p = tcpdump_start(path, port)
    try:
        yield p
        stop_tcpdump(p, path)
    finally:
        end_process(p)
