#!/usr/bin/env python3
"""make_sockdiag_seeds.py - writes the seed corpus of fuzz_chk_sockdiag
(fuzz/corpus/fuzz_chk_sockdiag/): real sock_diag replies of this kernel
(inet_diag dumps of loopback sockets made here, their ports rewritten to
3306 so the parser keeps them; a unix_diag dump of a listener with an
accepted and a queued client) plus hand-made edge cases (NLMSG_ERROR,
NLMSG_DONE with a status, bad lengths). Loopback only; run from anywhere:
python3 fuzz/make_sockdiag_seeds.py
"""
import os
import socket
import struct
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "corpus", "fuzz_chk_sockdiag")
NETLINK_SOCK_DIAG = 4
SOCK_DIAG_BY_FAMILY = 20
NLM_F_REQUEST, NLM_F_DUMP = 1, 0x300


def dump(req_payload, seq):
    """Sends one dump request; returns the raw reply buffers, in order."""
    s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_SOCK_DIAG)
    try:
        hdr = struct.pack("=IHHII", 16 + len(req_payload), SOCK_DIAG_BY_FAMILY,
                          NLM_F_REQUEST | NLM_F_DUMP, seq, 0)
        s.sendto(hdr + req_payload, (0, 0))
        bufs = []
        while True:
            b = s.recv(32768)
            bufs.append(b)
            if struct.unpack_from("=H", b, 4)[0] == 3 or not b:  # DONE
                return bufs
            # DONE may also end a buffer that holds records
            off = 0
            done = False
            while off + 16 <= len(b):
                ln, ty = struct.unpack_from("=IH", b, off)
                if ty == 3:
                    done = True
                off += (ln + 3) & ~3
            if done:
                return bufs
    finally:
        s.close()


def inet_req(family, states=(1 << 13) - 1):
    return struct.pack("=BBBBI", family, socket.IPPROTO_TCP, 0, 0, states) + \
        bytes(4 + 32 + 4) + struct.pack("=II", 0xFFFFFFFF, 0xFFFFFFFF)


def unix_req():
    show = 0x1 | 0x4 | 0x8 | 0x10  # NAME, PEER, ICONS, RQLEN
    return struct.pack("=BBHIII", socket.AF_UNIX, 0, 0, 0xFFFFFFFF, 0, show) + \
        struct.pack("=II", 0xFFFFFFFF, 0xFFFFFFFF)


def keep_inet(buf, ports):
    """Only the inet messages whose sport or dport is in ports, rewritten
    to 3306, plus DONE; all in one buffer."""
    out, off = b"", 0
    while off + 16 <= len(buf):
        ln, ty = struct.unpack_from("=IH", buf, off)
        msg = bytearray(buf[off:off + ln])
        off += (ln + 3) & ~3
        if ty == SOCK_DIAG_BY_FAMILY:
            sport, dport = struct.unpack_from(">HH", msg, 20)
            if sport not in ports and dport not in ports:
                continue
            struct.pack_into(">HH", msg, 20, 3306 if sport in ports else sport,
                             3306 if dport in ports else dport)
        out += bytes(msg) + bytes((4 - len(msg) % 4) % 4)
    return out


def keep_unix(buf, path):
    """Only the unix messages that name path or have a peer, plus DONE."""
    out, off = b"", 0
    while off + 16 <= len(buf):
        ln, ty = struct.unpack_from("=IH", buf, off)
        msg = buf[off:off + ln]
        off += (ln + 3) & ~3
        if ty == SOCK_DIAG_BY_FAMILY and path.encode() not in msg and b"\x08\x00\x02\x00" not in msg:
            continue
        out += msg + bytes((4 - len(msg) % 4) % 4)
    return out


def msg(ty, payload):
    return struct.pack("=IHHII", 16 + len(payload), ty, 2, 1, 0) + payload + \
        bytes((4 - len(payload) % 4) % 4)


def write(name, data):
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)


def main():
    os.makedirs(OUT, exist_ok=True)
    # TCP: a listener with one accepted and one queued connection, one
    # client closed first (TIME_WAIT), one with SO_KEEPALIVE.
    lst = socket.socket()
    lst.bind(("127.0.0.1", 0))
    lst.listen(8)
    port = lst.getsockname()[1]
    a = socket.create_connection(("127.0.0.1", port))
    a.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
    sa, _ = lst.accept()
    tw = socket.create_connection(("127.0.0.1", port))
    stw, _ = lst.accept()
    tw.close()
    stw.close()
    q = socket.create_connection(("127.0.0.1", port))
    six = socket.socket(socket.AF_INET6)
    try:
        six.bind(("::1", 0))
        six.listen(3)
        port6 = six.getsockname()[1]
    except OSError:
        port6 = None
    import time
    time.sleep(0.05)
    v4 = b"".join(dump(inet_req(socket.AF_INET), 1))
    write("inet4-dump.bin", keep_inet(v4, {port}))
    if port6:
        v6 = b"".join(dump(inet_req(socket.AF_INET6), 2))
        write("inet6-dump.bin", keep_inet(v6, {port6}))
    # Unix: mysqld's socket with an accepted client and a queued one.
    target = b"/run/mysqld/mysqld.sock"
    d = tempfile.mkdtemp(dir="/tmp")
    # A name as long as the target's, so the dump can be renamed in place.
    path = os.path.join(d, "m" * max(1, len(target) - len(d) - 1))
    ul = socket.socket(socket.AF_UNIX)
    ul.bind(path)
    ul.listen(4)
    c1 = socket.socket(socket.AF_UNIX)
    c1.connect(path)
    s1, _ = ul.accept()
    c2 = socket.socket(socket.AF_UNIX)
    c2.connect(path)
    ux = b"".join(dump(unix_req(), 3))
    # The target's path is /run/mysqld/mysqld.sock: rename in place when
    # the lengths allow, else keep the temp path (still a named socket).
    data = keep_unix(ux, path)
    if len(path) == len(target):
        data = data.replace(path.encode(), target)
    write("unix-dump.bin", data)
    for s in (a, sa, q, lst, six, c1, c2, s1, ul):
        s.close()
    os.unlink(path)
    os.rmdir(d)

    # Hand-made edge cases.
    write("done-ok.bin", msg(3, struct.pack("=i", 0)))
    write("done-eperm.bin", msg(3, struct.pack("=i", -1)))
    write("error-einval.bin", msg(2, struct.pack("=i", -22) + bytes(16)))
    write("ack-then-done.bin", msg(2, struct.pack("=i", 0) + bytes(16)) +
          msg(1, b"") + msg(3, struct.pack("=i", 0)))
    write("len-too-small.bin", struct.pack("=IHHII", 8, 20, 2, 1, 0))
    write("len-too-big.bin", struct.pack("=IHHII", 200, 20, 2, 1, 0) + bytes(8))
    write("short-inet.bin", msg(20, b"\x02\x01\x00\x00"))


if __name__ == "__main__":
    main()
