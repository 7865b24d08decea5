"""pcapfile.py - classic pcap files in Python for the capture tests: read
records, write them back (whole, one file per packet, or piecewise), and
rewrite Ethernet frames as other link types (Linux cooked v1/v2, raw IP,
BSD loopback) so the same traffic can be decoded from each; and the
pcapng blocks a test writes by hand (section, interface with its time
options, enhanced packet)."""

import struct

LINKTYPE_ETHERNET = 1
LINKTYPE_NULL = 0
LINKTYPE_LOOP = 108
LINKTYPE_RAW = 101
LINKTYPE_LINUX_SLL = 113
LINKTYPE_LINUX_SLL2 = 276


class Pcap:
    def __init__(self, endian, header, linktype, records):
        self.endian = endian      # "<" or ">"
        self.header = header      # the 24-byte global header
        self.linktype = linktype
        self.records = records    # [(ts_sec, ts_usec, orig_len, data)]


def read(path):
    with open(path, "rb") as f:
        buf = f.read()
    magic = buf[:4]
    if magic == b"\xd4\xc3\xb2\xa1":
        e = "<"
    elif magic == b"\xa1\xb2\xc3\xd4":
        e = ">"
    else:
        raise ValueError(f"{path}: not a classic microsecond pcap")
    linktype = struct.unpack(e + "I", buf[20:24])[0]
    recs, off = [], 24
    while off + 16 <= len(buf):
        sec, usec, incl, orig = struct.unpack(e + "IIII", buf[off:off + 16])
        recs.append((sec, usec, orig, buf[off + 16:off + 16 + incl]))
        off += 16 + incl
    return Pcap(e, buf[:24], linktype, recs)


def header_bytes(p, linktype=None, snaplen=None):
    h = bytearray(p.header)
    if linktype is not None:
        h[20:24] = struct.pack(p.endian + "I", linktype)
    if snaplen is not None:
        h[16:20] = struct.pack(p.endian + "I", snaplen)
    return bytes(h)


def record_bytes(p, rec, data=None, orig=None):
    sec, usec, orig_len, d = rec
    d = d if data is None else data
    orig_len = orig_len if orig is None else orig
    return struct.pack(p.endian + "IIII", sec, usec, len(d), orig_len) + d


def to_bytes(p, records=None, linktype=None):
    out = [header_bytes(p, linktype)]
    for r in (p.records if records is None else records):
        out.append(record_bytes(p, r))
    return b"".join(out)


def write(path, data):
    with open(path, "wb") as f:
        f.write(data)


def relink(p, linktype):
    """The same packets (Ethernet in p) as another link type."""
    if p.linktype != LINKTYPE_ETHERNET:
        raise ValueError("relink needs an Ethernet capture")
    recs = []
    for sec, usec, orig, d in p.records:
        ethertype, ip = d[12:14], d[14:]
        if linktype == LINKTYPE_RAW:
            nd = ip
        elif linktype == LINKTYPE_LINUX_SLL:
            nd = struct.pack(">HHH8s", 0, 772, 6, b"\0" * 8) + ethertype + ip
        elif linktype == LINKTYPE_LINUX_SLL2:
            nd = ethertype + b"\0\0" + struct.pack(">I", 1) + struct.pack(">HBB8s", 772, 0, 6,
                                                                          b"\0" * 8) + ip
        elif linktype == LINKTYPE_NULL:
            nd = struct.pack("<I", 2) + ip
        elif linktype == LINKTYPE_LOOP:
            nd = struct.pack(">I", 2) + ip
        else:
            raise ValueError(linktype)
        recs.append((sec, usec, orig - len(d) + len(nd), nd))
    return Pcap(p.endian, p.header, linktype, recs)


def cut(p, snaplen):
    """The same capture as if taken with -s snaplen."""
    recs = [(s, u, o, d[:snaplen]) for s, u, o, d in p.records]
    return header_bytes(p, snaplen=snaplen) + b"".join(record_bytes(p, r) for r in recs)


def report(p, old, new):
    """The same Ethernet/IPv4 capture with TCP port old renamed new."""
    recs = []
    for sec, usec, orig, d in p.records:
        d = bytearray(d)
        if len(d) > 34 and d[12:14] == b"\x08\x00" and d[23] == 6:
            t = 14 + (d[14] & 15) * 4
            for off in (t, t + 2):
                if len(d) >= off + 2 and int.from_bytes(d[off:off + 2], "big") == old:
                    d[off:off + 2] = new.to_bytes(2, "big")
        recs.append((sec, usec, orig, bytes(d)))
    return Pcap(p.endian, p.header, p.linktype, recs)


# ---- pcapng (draft-ietf-opsawg-pcapng), little-endian ----

def _block(btype, body):
    body += b"\x00" * (-len(body) % 4)
    n = 12 + len(body)
    return struct.pack("<II", btype, n) + body + struct.pack("<I", n)


def _option(code, value):
    return struct.pack("<HH", code, len(value)) + value + b"\x00" * (-len(value) % 4)


def pcapng_shb():
    """A Section Header Block (version 1.0, section length unknown)."""
    return _block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1))


def pcapng_idb(tsresol=None, tsoffset=None):
    """An Ethernet Interface Description Block, with if_tsresol (the byte
    as given: 10^-n, or 2^-n with the top bit) and if_tsoffset (seconds)
    when given."""
    opts = b""
    if tsresol is not None:
        opts += _option(9, bytes([tsresol]))
    if tsoffset is not None:
        opts += _option(14, struct.pack("<q", tsoffset))
    if opts:
        opts += _option(0, b"")
    return _block(1, struct.pack("<HHI", LINKTYPE_ETHERNET, 0, 65535) + opts)


def pcapng_epb(iface, ts, frame, orig=None):
    """An Enhanced Packet Block: ts in the interface's units."""
    return _block(6, struct.pack("<IIIII", iface, ts >> 32, ts & 0xFFFFFFFF, len(frame),
                                 len(frame) if orig is None else orig) + frame)
