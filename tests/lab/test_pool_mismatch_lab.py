"""Lab, field report 003's pool counter: a client believes in connections the
server never had. The server namespace drops the handshake's third ACK from
the pool's source ports only (40000-40009), so those connections are
ESTABLISHED on the client and never accepted by mariadbd; everything else
(the audit's own connection) works. `conndoctor check` on the client, with
the server audit, must find them missing from the processlist."""
import json
import subprocess
import unittest

import harness
from harness import run_conndoctor
from harness.lab import Lab

SERVER, CLIENT = "10.213.15.1", "10.213.15.2"

POOL = """
import socket, sys, time
conns = []
for i in range(int(sys.argv[1])):
    s = socket.socket()
    s.bind(("%s", 40000 + i))
    s.connect(("%s", 3306))      # returns once the client side is ESTABLISHED
    conns.append(s)
print("ready", flush=True)
time.sleep(60)
""" % (CLIENT, SERVER)


class PoolMismatch(unittest.TestCase):
    def test_connections_unknown_to_the_server(self):
        with Lab() as lab:
            s, c = lab.ns("s"), lab.ns("c")
            lab.link(s, c, SERVER, CLIENT)
            db = lab.mariadb(s, SERVER, variables={"skip_name_resolve": 1})
            lab.iptables(s, "-A", "INPUT", "-p", "tcp", "--dport", "3306", "--sport",
                         "40000:40009", "--tcp-flags", "SYN,ACK,FIN,RST,PSH", "ACK",
                         "-m", "length", "--length", "40:52", "-j", "DROP")
            pool = lab.popen(c, ["python3", "-c", POOL, "5"], stdout=subprocess.PIPE,
                             text=True)
            self.assertEqual(pool.stdout.readline().strip(), "ready")
            rc, out, err = run_conndoctor(
                ["check", "--only", "census,server", "--no-dns", "--json",
                 f"--defaults-file={db.client_cnf(host=SERVER)}"], ns=c, timeout=60)
        doc = json.loads(out)
        found = [f for f in doc["findings"] if f["code"] == "CD6045"]
        self.assertEqual(len(found), 1, doc["findings"])
        self.assertEqual(found[0]["data"]["unknown_to_server"], 5)
        self.assertEqual(sorted(found[0]["data"]["local_ports"]),
                         [40000, 40001, 40002, 40003, 40004])
        self.assertEqual(found[0]["severity"], "warning")


if __name__ == "__main__":
    harness.need_conndoctor()
    harness.run_tests(globals())
