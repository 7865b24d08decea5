#!/usr/bin/env python3
"""regen.py - remakes the golden captures of `conndoctor pcap` and their
expected outputs (run as root, from anywhere):

    python3 tests/golden/pcap/regen.py [--conndoctor PATH] [--outputs-only]
    python3 tests/golden/pcap/regen.py --seeds
    python3 tests/golden/pcap/regen.py --only compressed
    python3 tests/golden/pcap/regen.py --synthetic


It starts a throwaway MariaDB (tests/harness), records each scenario with
`tcpdump -i lo` into NAME.pcap, then writes cases.txt (one row per golden
run: `name capture expected options`) and runs conndoctor over every row
into its expected file. --outputs-only keeps the captures and only rewrites
the expected outputs (after a deliberate change of the output format).
--seeds writes the fuzz corpora fuzz/corpus/fuzz_cap_{pcap,decode,flow}/
from the golden captures (no root needed). Every capture stays far below
200 KB."""

import argparse
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", ".."))  # tests/, for harness
sys.path.insert(0, HERE)

import harness  # noqa: E402
from harness.capture import tcpdump_lo  # noqa: E402
from harness.mariadb import MariaDB  # noqa: E402
import myclient  # noqa: E402
import pcapfile  # noqa: E402
import synth  # noqa: E402

MAX_CAPTURE = 200 * 1024


def cli(db, *sql, extra=("--skip-ssl",), check=False, cnf=None):
    """The mariadb client over TCP (without TLS unless extra says)."""
    argv = db.client_argv("--protocol=TCP", "-h", "127.0.0.1", "-P", str(db.port), *extra,
                          cnf=cnf)
    r = subprocess.run(argv, input="\n".join(sql) + "\n", capture_output=True, text=True,
                       timeout=60)
    if check and r.returncode != 0:
        raise RuntimeError(f"mariadb failed: {r.stderr}")
    return r


def client(server, **kw):
    return myclient.Client("127.0.0.1", server.port, server.user, server.password, **kw)


# ---------------------------------------------------------------- scenarios

def sc_normal(db):
    """A mariadb client session, and one of ours with a ping."""
    cli(db, "SELECT 1;", "USE cdtest;",
        "CREATE TABLE t1 (id INT PRIMARY KEY, v VARCHAR(20));",
        "INSERT INTO t1 VALUES (1, 'a'), (2, 'b');",
        "UPDATE t1 SET v = 'c' WHERE id = 2;",
        "SELECT * FROM t1 ORDER BY id;", "DROP TABLE t1;", check=True)
    c = client(db, db="cdtest")
    c.ping()
    c.query("SELECT @@wait_timeout")
    c.quit()


def sc_login_failed(db):
    """A wrong password (auth switch path of the mariadb client), and an
    unknown user from ours."""
    cnf = db.client_cnf(password="wrong-password")
    cli(db, "SELECT 1;", cnf=cnf)
    try:
        myclient.Client("127.0.0.1", db.port, "nobody", "x")
    except myclient.MySQLError:
        pass


def sc_errors(db):
    cli(db, "SELECT * FROM cdtest.nope;", "SELEC 1;", "SELECT 1/0;", "SELECT 2;",
        extra=("--skip-ssl", "--force"))


def sc_bigresult(db):
    cli(db, "SELECT seq, REPEAT('x', 40) FROM cdtest.seq_1_to_2000;", check=True)


def sc_tls(db):
    cli(db, "SELECT 1;", extra=("--ssl", "--ssl-verify-server-cert=0"), check=True)


def sc_wait_timeout(db):
    """A session the server ends after wait_timeout; the client writes to it
    later and is reset (2006 "MySQL server has gone away")."""
    c = client(db)
    c.query("SET SESSION wait_timeout = 1")
    time.sleep(2.5)
    try:
        c.query("SELECT 1")
    except (ConnectionError, OSError):
        pass
    c.close()


def sc_text_in_stream(db):
    """Field report 002 on loopback: a line of text written into the MySQL
    socket, then a query; the server answers ERR 1156 and closes."""
    c = client(db)
    c.query("SELECT 1")
    c.raw(b"Warning: something went wrong\n")
    time.sleep(0.2)
    try:
        c.query("SELECT 2")
    except (myclient.MySQLError, ConnectionError, OSError):
        pass
    c.close()


def sc_binlog(db):
    """A replica's binlog dump with 1 s heartbeats, cut after 2.5 s."""
    c = client(db)
    c.query("SET @master_heartbeat_period = 1000000000")
    c.query("SET @master_binlog_checksum = 'NONE'")
    c.query("SET @mariadb_slave_capability = 4")
    c.command(0x12, bytes([4, 0, 0, 0, 0, 0, 99, 0, 0, 0]))  # pos 4, server_id 99
    c.sock.settimeout(0.5)
    end = time.monotonic() + 2.5
    while time.monotonic() < end:
        try:
            c.read_packet()
        except (TimeoutError, OSError):
            pass
    c.close()


def sc_compressed(db):
    """The mariadb client with --compress (zlib): short statements go in
    stored packets (under the 50-byte threshold), longer ones and the
    2,000-row result deflated; a result spans compressed packets."""
    cli(db, "SELECT 1;", "USE cdtest;",
        "SELECT 'a fairly long string literal so that the client compresses it' AS s;",
        "SELECT seq, REPEAT('x', 40) FROM cdtest.seq_1_to_2000;", "SELEC 1;",
        extra=("--skip-ssl", "--compress", "--force"))


SCENARIOS = [
    ("normal", sc_normal),
    ("login_failed", sc_login_failed),
    ("errors", sc_errors),
    ("bigresult", sc_bigresult),
    ("tls", sc_tls),
    ("wait_timeout", sc_wait_timeout),
    ("text_in_stream", sc_text_in_stream),
    ("binlog", sc_binlog),
    ("compressed", sc_compressed),
]

# Extra golden runs beyond text and JSON of every capture: a timeline.
TIMELINES = [("wait_timeout", 1), ("text_in_stream", 1), ("errors", 1)]


def make_certs(d):
    key, cert = os.path.join(d, "key.pem"), os.path.join(d, "cert.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key,
                    "-out", cert, "-days", "2", "-subj", "/CN=localhost"],
                   check=True, capture_output=True, timeout=60)
    return key, cert


def make_captures(only=None):
    tmp = tempfile.mkdtemp(prefix="cd-golden-")
    try:
        key, cert = make_certs(tmp)
        variables = {"skip_name_resolve": 1, "ssl_cert": cert, "ssl_key": key,
                     "log_bin": os.path.join(tmp, "binlog"), "server_id": 1}
        with MariaDB(variables=variables, name="golden") as db:
            db.sql("CREATE DATABASE cdtest; "
                   f"GRANT ALL ON cdtest.* TO '{db.user}'@'%'; "
                   f"GRANT REPLICATION SLAVE ON *.* TO '{db.user}'@'%';")
            for name, fn in SCENARIOS:
                if only and name not in only:
                    continue
                path = os.path.join(HERE, f"{name}.pcap")
                with tcpdump_lo(path, db.port, mark=False):
                    fn(db)
                size = os.path.getsize(path)
                print(f"{name}.pcap: {size} bytes")
                if size > MAX_CAPTURE:
                    raise RuntimeError(f"{name}.pcap is {size} bytes (> {MAX_CAPTURE})")
            return db.port
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def write_cases(port, only=None):
    """cases.txt for every scenario; with only, the other scenarios' rows
    (and their captures' ports) stay as they were."""
    old = {r[0]: r for r in read_cases()} if only else {}
    rows = []
    for name, _ in SCENARIOS:
        if only and name not in only:
            for key in (name, f"{name}-json"):
                if key in old:
                    r = old[key]
                    rows.append((r[0], r[1], r[2], shlex.join(r[3])))
            continue
        rows.append((name, f"{name}.pcap", f"{name}.txt", f"--port {port}"))
        rows.append((f"{name}-json", f"{name}.pcap", f"{name}.json", f"--port {port} --json"))
    for name, conn in TIMELINES:
        if only and name not in only and f"{name}-conn{conn}" in old:
            r = old[f"{name}-conn{conn}"]
            rows.append((r[0], r[1], r[2], shlex.join(r[3])))
            continue
        rows.append((f"{name}-conn{conn}", f"{name}.pcap", f"{name}-conn{conn}.txt",
                     f"--port {port} --conn {conn}"))
    with open(os.path.join(HERE, "cases.txt"), "w") as f:
        f.write("# name capture expected options (written by regen.py)\n")
        for r in rows:
            f.write(f"{r[0]:<24} {r[1]:<20} {r[2]:<26} {r[3]}\n")


def read_cases():
    rows = []
    with open(os.path.join(HERE, "cases.txt")) as f:
        for line in f:
            if line.strip() and not line.startswith("#"):
                name, cap, exp, opts = line.split(None, 3)
                rows.append((name, cap, exp, shlex.split(opts)))
    return rows


SYNTH_TIMELINES = {"qattr": 1, "zstd": 1, "mid_stmt_reset": 1, "mid_rows": 1}


def write_synthetic():
    """Remakes synth.py's captures (no root, no server) and their rows."""
    rows = read_cases()
    ports = {r[0]: int(r[3][r[3].index("--port") + 1]) for r in rows}
    made = synth.make_all(HERE, ports)
    names = {n for n, _ in made}
    keep = [r for r in rows if r[1][:-len(".pcap")] not in names]
    out = [(r[0], r[1], r[2], shlex.join(r[3])) for r in keep]
    for name, port in made:
        out.append((name, f"{name}.pcap", f"{name}.txt", f"--port {port}"))
        out.append((f"{name}-json", f"{name}.pcap", f"{name}.json", f"--port {port} --json"))
        if name in SYNTH_TIMELINES:
            conn = SYNTH_TIMELINES[name]
            out.append((f"{name}-conn{conn}", f"{name}.pcap", f"{name}-conn{conn}.txt",
                        f"--port {port} --conn {conn}"))
    # both ports are server ports: roles come from the traffic (the first
    # segment is the end of a server's reply)
    out.append(("mid_stmt_reset-ports", "mid_stmt_reset.pcap", "mid_stmt_reset-ports.txt",
                f"--port {synth.SERVER_PORT} --port {synth.CLIENT_PORT + 2}"))
    with open(os.path.join(HERE, "cases.txt"), "w") as f:
        f.write("# name capture expected options (written by regen.py)\n")
        for r in out:
            f.write(f"{r[0]:<24} {r[1]:<20} {r[2]:<26} {r[3]}\n")
    for name, _ in made:
        print(f"{name}.pcap: {os.path.getsize(os.path.join(HERE, name + '.pcap'))} bytes")


def write_outputs(conndoctor):
    for name, cap, exp, opts in read_cases():
        r = subprocess.run([conndoctor, "pcap", *opts, cap], cwd=HERE, capture_output=True,
                           text=True, timeout=60, env=dict(os.environ, NO_COLOR="1"))
        if r.returncode not in (0, 1, 2):
            raise RuntimeError(f"{name}: exit {r.returncode}: {r.stderr}")
        with open(os.path.join(HERE, exp), "w") as f:
            f.write(r.stdout)
        print(f"{exp}: exit {r.returncode}")


# ---------------------------------------------------------------- fuzz seeds

CORPUS = os.path.join(HERE, "..", "..", "..", "fuzz", "corpus")


def tcp_parts(frame):
    """(src_port, flags, payload) of an Ethernet/IPv4/TCP frame."""
    ip = frame[14:]
    ihl = (ip[0] & 15) * 4
    total = int.from_bytes(ip[2:4], "big")
    tcp = ip[ihl:total]
    doff = (tcp[12] >> 4) * 4
    return int.from_bytes(tcp[0:2], "big"), tcp[13], tcp[doff:]


def pcapng(records, tsresol=None, tsoffset=None):
    """Ethernet records (classic pcap tuples) as a pcapng file: one
    interface (with if_tsresol 10^-tsresol and if_tsoffset seconds when
    given), an Enhanced Packet Block each."""
    scale = 10 ** (tsresol - 6) if tsresol is not None else 1
    out = [pcapfile.pcapng_shb(), pcapfile.pcapng_idb(tsresol, tsoffset)]
    for sec, usec, orig, data in records:
        ts = (sec * 10**6 + usec) * scale - (tsoffset or 0) * 10**(tsresol or 6)
        out.append(pcapfile.pcapng_epb(0, ts, data, orig))
    return b"".join(out)


def write_seeds():
    def put(target, name, data):
        d = os.path.join(CORPUS, target)
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, name), "wb") as f:
            f.write(data)

    port = int(read_cases()[0][3][1])

    def golden(name):  # a golden capture moved to port 3306 (the default)
        return pcapfile.report(pcapfile.read(os.path.join(HERE, f"{name}.pcap")), port, 3306)

    ports = {r[0]: int(r[3][r[3].index("--port") + 1]) for r in read_cases()}

    def first(name, n):  # the first n packets of a golden capture, on 3306
        c = pcapfile.read(os.path.join(HERE, f"{name}.pcap"))
        c = pcapfile.report(c, ports[name], 3306)
        c.records = c.records[:n]
        return c

    # fuzz_cap_pcap runs a whole file per input, so its seeds are a few
    # packets each (whole captures held it at tens of inputs a second):
    # the handshake and login, a rejected login, a command and its answer
    # in compressed frames (zlib, zstd), bytes that are not MySQL, a
    # binlog event; cut inside a record, at a short snapshot length, with
    # a record length that cannot be; and as pcapng with a nanosecond
    # if_tsresol and an if_tsoffset. bad-timestamps-pcapng.bin, a
    # regression reproducer, is left as it is.
    hs = first("normal", 8)
    hs_bytes = pcapfile.to_bytes(hs)
    put("fuzz_cap_pcap", "handshake-pcap.bin", hs_bytes)
    put("fuzz_cap_pcap", "login_failed-pcap.bin", pcapfile.to_bytes(first("login_failed", 11)))
    put("fuzz_cap_pcap", "compressed-pcap.bin", pcapfile.to_bytes(first("compressed", 10)))
    put("fuzz_cap_pcap", "zstd-pcap.bin", pcapfile.to_bytes(first("zstd", 8)))
    put("fuzz_cap_pcap", "text_in_stream-pcap.bin",
        pcapfile.to_bytes(golden("text_in_stream")))
    put("fuzz_cap_pcap", "binlog-pcap.bin", pcapfile.to_bytes(first("binlog", 12)))
    put("fuzz_cap_pcap", "handshake-cut-mid-record-pcap.bin", hs_bytes[:len(hs_bytes) - 40])
    put("fuzz_cap_pcap", "handshake-snaplen-80-pcap.bin", pcapfile.cut(hs, 80))
    bad = bytearray(hs_bytes)
    bad[24 + 8:24 + 12] = b"\xff\xff\xff\x7f"  # first record's caplen
    put("fuzz_cap_pcap", "bad-caplen-pcap.bin", bytes(bad))
    put("fuzz_cap_pcap", "handshake-tsresol-tsoffset-pcapng.bin",
        pcapng(hs.records, tsresol=9, tsoffset=-1_700_000_000))
    put("fuzz_cap_pcap", "handshake-pcapng.bin", pcapng(hs.records))
    cap = golden("text_in_stream")
    # the link types other than Ethernet, one short session each
    for lt in (pcapfile.LINKTYPE_RAW, pcapfile.LINKTYPE_LINUX_SLL, pcapfile.LINKTYPE_LINUX_SLL2,
               pcapfile.LINKTYPE_NULL, pcapfile.LINKTYPE_LOOP):
        put("fuzz_cap_pcap", f"text_in_stream-lt{lt}-pcap.bin",
            pcapfile.to_bytes(pcapfile.relink(cap, lt), linktype=lt))
    # single frames, one per link type (the first byte picks it)
    for i, lt in enumerate((pcapfile.LINKTYPE_ETHERNET, pcapfile.LINKTYPE_LINUX_SLL,
                            pcapfile.LINKTYPE_LINUX_SLL2, pcapfile.LINKTYPE_NULL,
                            pcapfile.LINKTYPE_LOOP, pcapfile.LINKTYPE_RAW)):
        recs = cap.records if lt == pcapfile.LINKTYPE_ETHERNET else pcapfile.relink(cap, lt).records
        put("fuzz_cap_decode", f"lt{lt}-syn.bin", bytes([i]) + recs[0][3])
        put("fuzz_cap_decode", f"lt{lt}-greeting.bin", bytes([i]) + recs[3][3])
    # segment lists: (dir | flags << 1, seq delta, len lo, len hi) + bytes
    for name in ("normal", "text_in_stream", "binlog"):
        c = pcapfile.read(os.path.join(HERE, f"{name}.pcap"))  # its own port
        out = bytearray()
        for _, _, _, frame in c.records[3:]:
            sport, flags, payload = tcp_parts(frame)
            if not payload and not flags & 0x05:
                continue
            d = 1 if sport == port else 0
            fl = (flags & 0x0f) & ~0x02
            out += bytes([d | fl << 1, 0, len(payload) & 0xff, (len(payload) >> 8) & 7]) + payload
        put("fuzz_cap_flow", f"{name}.bin", bytes(out))
    # segment lists of captures that start mid-session, and the compressed
    # ones (fuzz_cap_midstream has no handshake of its own)
    for name in ("mid_stmt_reset", "mid_errors", "mid_greeting", "mid_login", "zstd",
                 "compressed", "qattr"):
        c = pcapfile.read(os.path.join(HERE, f"{name}.pcap"))
        out = bytearray()
        for _, _, _, frame in c.records:
            sport, flags, payload = tcp_parts(frame)
            if not payload and not flags & 0x05:
                continue
            d = 1 if sport == ports[name] else 0
            fl = (flags & 0x0f) & ~0x02
            out += bytes([d | fl << 1, 0, len(payload) & 0xff, (len(payload) >> 8) & 7]) + payload
        put("fuzz_cap_midstream", f"{name}.bin", bytes(out[:16384]))
    print(f"seeds written under {os.path.normpath(CORPUS)}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--conndoctor", default=harness.conndoctor_path())
    ap.add_argument("--outputs-only", action="store_true")
    ap.add_argument("--seeds", action="store_true")
    ap.add_argument("--synthetic", action="store_true",
                    help="remake only synth.py's captures (written from the protocol pages, "
                         "or cut from the others to start mid-session)")
    ap.add_argument("--only", help="remake only these captures (comma-separated scenario names)")
    a = ap.parse_args()
    if a.seeds:
        write_seeds()
        return
    if a.synthetic:
        write_synthetic()
    elif not a.outputs_only:
        if os.geteuid() != 0:
            sys.exit("regen.py: tcpdump on lo needs root")
        only = set(a.only.split(",")) if a.only else None
        write_cases(make_captures(only), only)
        write_synthetic()
    write_outputs(a.conndoctor)


if __name__ == "__main__":
    main()
