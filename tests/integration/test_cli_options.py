"""The command line of probe, diagnose and check, driven by one option table:
--help per command, unknown options and out-of-range values (exit 64 naming
the range), option files that must not be waited on, and a command-line
password that leaves /proc/PID/cmdline before anything else is read and is
never quoted in an error. No MariaDB needed: loopback listeners stand in."""
import os
import pty
import re
import signal
import socket
import subprocess
import tempfile
import time
import unittest

import harness
from harness import run_conndoctor

SECRET = "S3cr3t-pw-9f2e"
COMMANDS = ("probe", "diagnose", "check")


def cmdline(pid):
    with open(f"/proc/{pid}/cmdline", "rb") as f:
        return f.read()


def wait_blocked(pid, what, timeout=10):
    """Waits until pid sleeps (blocked on a read or a connect) on three
    looks in a row."""
    deadline, asleep = time.time() + timeout, 0
    while time.time() < deadline:
        with open(f"/proc/{pid}/stat") as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
        asleep = asleep + 1 if state == "S" else 0
        if asleep == 3:
            return
        time.sleep(0.1)
    raise AssertionError(f"conndoctor never blocked on {what}")


def listed(help_text):
    """The option names a --help text lists ("--name", or "-X" alone)."""
    names = []
    for line in help_text.splitlines():
        m = re.match(r"^(?:  (-[^-\s])(?:, |\s)|      )(--[a-z0-9-]+)?", line)
        if m and (m.group(1) or m.group(2)):
            names.append(m.group(2) or m.group(1))
    return names


class Help(unittest.TestCase):
    def test_each_command_lists_its_options(self):
        own = {"probe": ["--count", "--ramp", "--rate", "--ssl-mode", "-4", "--help"],
               "diagnose": ["--count", "--no-dns", "--interval", "--error-log"],
               "check": ["--only", "--since", "--dns-timeout", "--port", "--host",
                         "--ssl-mode", "--read-timeout"]}
        other = {"probe": ["--only", "--no-dns", "--since"],
                 "diagnose": ["--only", "--since"],
                 "check": ["--count", "--ramp", "--database", "-4"]}
        for cmd in COMMANDS:
            rc, out, err = run_conndoctor([cmd, "--help"])
            self.assertEqual(rc, 0, err)
            self.assertTrue(out.startswith(f"usage: conndoctor {cmd} "), out[:80])
            names = listed(out)
            self.assertEqual(len(names), len(set(names)), names)
            for name in own[cmd]:
                self.assertIn(name, names, cmd)
            for name in other[cmd]:
                self.assertNotIn(name, names, cmd)
            # Every listed option that takes a value is known to the
            # command: without its value it is refused as such.
            for name in re.findall(r"^(?:  -\S, |      )(--[a-z0-9-]+)=", out, re.M):
                rc, _, err = run_conndoctor([cmd, "--no-defaults", name], timeout=10)
                self.assertEqual(rc, 64, (cmd, name))
                self.assertIn(f"option '{name}' needs a value", err)
            rc, out2, _ = run_conndoctor([cmd, "-?"])
            self.assertEqual((rc, out2), (0, out))


class BadInput(unittest.TestCase):
    def test_unknown_option(self):
        for cmd in COMMANDS:
            rc, out, err = run_conndoctor([cmd, "--no-defaults", "--bogus"])
            self.assertEqual(rc, 64, cmd)
            self.assertEqual(err.strip(), f"conndoctor {cmd}: unknown option '--bogus'")

    def test_out_of_range(self):
        cases = [("probe", "--rate=1e-10", "(0.001 to 1000000 per second)"),
                 ("probe", "--duration=4294967297", "(0.001 to 86400 seconds)"),
                 ("probe", "--duration=4294967296", "(0.001 to 86400 seconds)"),
                 ("diagnose", "--rate=1e-10", "(0.001 to 1000000 per second)"),
                 ("diagnose", "--interval=0", "(0.001 to 3600 seconds)"),
                 ("probe", "-c20001", "(1 to 20000)"),
                 ("check", "--dns-timeout=100", "(0.001 to 60 seconds)"),
                 ("check", "-P0", "(1 to 65535)")]
        for cmd, arg, rng in cases:
            rc, out, err = run_conndoctor([cmd, "--no-defaults", arg], timeout=10)
            self.assertEqual(rc, 64, (cmd, arg, err))
            self.assertIn(rng, err, (cmd, arg))

    def test_fifo_and_directory_option_files_refused(self):
        with tempfile.TemporaryDirectory() as d:
            fifo = os.path.join(d, "my.cnf")
            os.mkfifo(fifo)
            for cmd in COMMANDS:
                # Before the fix, this waited for a writer forever.
                rc, out, err = run_conndoctor([cmd, f"--defaults-file={fifo}"], timeout=10)
                self.assertEqual(rc, 64, err)
                self.assertIn(f"{fifo}: not a regular file (a FIFO)", err)
            rc, out, err = run_conndoctor(["probe", f"--defaults-file={d}"], timeout=10)
            self.assertEqual(rc, 64, err)
            self.assertIn("(a directory)", err)

    def test_audit_defaults_file_needs_a_user(self):
        """The audit's account file: a missing one, or one whose [client]
        group names no user, is a usage error that never shows the
        password it read."""
        with tempfile.TemporaryDirectory() as d:
            missing = os.path.join(d, "none.cnf")
            nouser = os.path.join(d, "nouser.cnf")
            with open(nouser, "w") as f:
                f.write(f"[client]\npassword={SECRET}\n[mysqld]\nuser=mysql\n")
            for cmd in ("check", "diagnose"):
                rc, out, err = run_conndoctor([cmd, "--no-defaults",
                                               f"--audit-defaults-file={missing}"], timeout=10)
                self.assertEqual(rc, 64, err)
                self.assertIn(missing, err)
                rc, out, err = run_conndoctor([cmd, "--no-defaults",
                                               f"--audit-defaults-file={nouser}"], timeout=10)
                self.assertEqual(rc, 64, err)
                self.assertIn(f"--audit-defaults-file {nouser}: no user in its [client] group",
                              err)
                self.assertNotIn(SECRET, out + err)

    def test_password_after_space_never_echoed(self):
        for spelling in (["--password", SECRET], ["-p", SECRET], ["-vp", SECRET]):
            for cmd in COMMANDS:
                if cmd == "check" and spelling[0] == "-vp":
                    continue  # check has no -v
                rc, out, err = run_conndoctor([cmd, "--no-defaults", *spelling])
                self.assertEqual(rc, 64, (cmd, spelling))
                self.assertNotIn(SECRET, err + out)
                self.assertIn("unexpected argument after --password", err)


class PasswordWipe(unittest.TestCase):
    def test_wiped_before_option_files_are_read(self):
        """The option file is a terminal nobody types into: conndoctor
        blocks reading it, and the password must already be gone."""
        port = harness.free_port()  # nothing listens: refused at the end
        argv = [harness.conndoctor_path(), "probe", f"-p{SECRET}",
                "--defaults-file=/dev/stdin", "-h", "127.0.0.1", "-P", str(port),
                "-n", "1", "--json"]
        pid, fd = pty.fork()
        if pid == 0:  # child: stdin is the terminal
            os.execv(argv[0], argv)
        try:
            wait_blocked(pid, "the option file")
            seen = cmdline(pid)
            self.assertIn(b"--defaults-file=/dev/stdin", seen)
            self.assertNotIn(SECRET.encode(), seen)
            self.assertIn(b"-p" + b"x" * len(SECRET), seen)
            os.write(fd, b"[client]\nuser=someone\n\x04")
            out = harness.pty_read(fd, 20)
        finally:
            done, status = os.waitpid(pid, os.WNOHANG)
            if not done:  # still blocked (a failure): end it
                time.sleep(1)
                done, status = os.waitpid(pid, os.WNOHANG)
                if not done:
                    os.kill(pid, signal.SIGKILL)
                    _, status = os.waitpid(pid, 0)
            os.close(fd)
        self.assertEqual(os.waitstatus_to_exitcode(status), 69, out)
        self.assertNotIn(SECRET.encode(), out)

    def test_wiped_while_waiting_for_a_greeting(self):
        """A loopback listener that accepts into its backlog and never
        greets keeps conndoctor waiting: its cmdline shows no password."""
        srv = socket.socket()
        srv.bind(("127.0.0.1", 0))
        srv.listen(8)
        try:
            for cmd in ("probe", "diagnose"):
                argv = [harness.conndoctor_path(), cmd, "--no-defaults", "-h", "127.0.0.1",
                        "-P", str(srv.getsockname()[1]), "--protocol=tcp",
                        "-u", "nobody", f"--password={SECRET}", "-n", "1",
                        "--connect-timeout", "20", "--no-second-look", "--json"]
                p = subprocess.Popen(argv, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True)
                try:
                    wait_blocked(p.pid, "the greeting")
                    seen = cmdline(p.pid)
                    self.assertIsNone(p.poll())
                finally:
                    harness.end_process(p)
                self.assertNotIn(SECRET.encode(), seen, cmd)
                self.assertIn(b"--password=" + b"x" * len(SECRET), seen)
        finally:
            srv.close()


if __name__ == "__main__":
    harness.need_conndoctor()
    harness.run_tests(globals())
