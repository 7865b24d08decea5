"""A throwaway MariaDB for tests (own datadir, port, socket, logs; never the system's server), and a CLI."""

import os
import re
import secrets
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time

if __package__:
    from . import (add_cleanup, end_process, free_port, preexec_die_with_parent,
                   proc_starttime, remove_cleanup, trace)
else:  # run as a script: python3 tests/harness/mariadb.py start DIR
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    from harness import (add_cleanup, end_process, free_port, preexec_die_with_parent,  # noqa: E402
                         proc_starttime, remove_cleanup, trace)

USER = "conndoctor"
# Read-only audit needs: processlist, status/variables, binlog and replica status.
DEFAULT_GRANTS = "PROCESS, REPLICATION CLIENT, SLAVE MONITOR, SELECT"
START_TIMEOUT = 30.0
STOP_TIMEOUT = 30.0

# Small and fast; any of these can be overridden through `variables`.
BASE_SETTINGS = {
    "skip_log_bin": None,
    "skip_external_locking": None,
    "performance_schema": "OFF",
    "innodb_buffer_pool_size": "16M",
    "innodb_log_file_size": "4M",
    "innodb_flush_log_at_trx_commit": 0,
    "innodb_doublewrite": 0,
    "innodb_buffer_pool_dump_at_shutdown": 0,
    "innodb_buffer_pool_load_at_startup": 0,
}

# Everything the server instance puts in its directory (used by `stop DIR`).
_OWN_FILES = ("data", "tmp", "my.cnf", "setup.sql", "owner", "root.cnf", "client.cnf", "install.log",
              "mariadbd.out", "error.log", "mariadb.sock", "mariadbd.pid", "env")


class MariaDBError(RuntimeError):
    pass


def sql_literal(value):
    """A MariaDB string literal for `value` (for SQL sent on stdin, never on a command line)."""
    s = str(value).replace("\\", "\\\\").replace("'", "\\'").replace("\0", "\\0")
    return f"'{s}'"


def _ident(name):
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
        raise ValueError(f"not a variable name: {name!r}")
    return name


def _unescape_batch(field):
    # mariadb -B escapes \0 \t \n \\ in values and prints NULL for NULL.
    if field == "NULL":
        return None
    if "\\" not in field:
        return field
    out, i = [], 0
    while i < len(field):
        c = field[i]
        if c == "\\" and i + 1 < len(field):
            out.append({"0": "\0", "t": "\t", "n": "\n", "\\": "\\"}.get(field[i + 1], field[i + 1]))
            i += 2
        else:
            out.append(c)
            i += 1
    return "".join(out)


def _write_private(path, text):
    """Write a 0600 file (created with that mode, so never readable by others even briefly)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.chmod(path, 0o600)


def _tail(path, lines=25):
    try:
        with open(path, errors="replace") as f:
            return "".join(f.readlines()[-lines:])
    except OSError:
        return "(none)"


def _option_lines(options):
    for key, value in options.items():
        if value is None:
            yield key
        elif value is True or value is False:
            yield f"{key}={int(value)}"
        else:
            yield f"{key}={value}"


class MariaDB:
    """A MariaDB server started by the test; use as a context manager or call start()/stop()."""

    def __init__(self, variables=None, netns=None, bind="127.0.0.1", port=None, name="db",
                 workdir=None, grants=DEFAULT_GRANTS, daemon=False):
        self.variables = dict(variables or {})
        self.netns = netns
        self.host = bind
        self._auto_port = port is None
        self.port = port if port is not None else free_port()
        self.name = name
        self.grants = grants
        self.daemon = daemon          # survive this process (CLI `start`)
        self.workdir = workdir        # None: a fresh temp dir, removed on stop
        self.user = USER
        self.password = None
        self.root_password = None
        self.proc = None
        self.pid = None
        self.dir = None
        self._token = None
        self._client_cnfs = 0

    # ------------------------------------------------------------ lifecycle

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()
        return False

    def _paths(self):
        d = self.dir
        self.datadir = os.path.join(d, "data")
        self.tmpdir = os.path.join(d, "tmp")
        self.socket = os.path.join(d, "mariadb.sock")
        self.pid_file = os.path.join(d, "mariadbd.pid")
        self.error_log = os.path.join(d, "error.log")
        self.cnf = os.path.join(d, "my.cnf")
        self.root_cnf = os.path.join(d, "root.cnf")
        self._client_cnf = os.path.join(d, "client.cnf")
        self._out = os.path.join(d, "mariadbd.out")
        if len(self.socket.encode()) > 107:
            raise MariaDBError(f"socket path too long for AF_UNIX: {self.socket}")

    def _write_server_cnf(self, with_variables):
        options = {
            "datadir": self.datadir,
            "socket": self.socket,
            "port": self.port,
            "pid-file": self.pid_file,
            "log-error": self.error_log,
            "bind-address": self.host,
            "tmpdir": self.tmpdir,
        }
        if os.geteuid() == 0:
            options["user"] = "root"
        settings = dict(BASE_SETTINGS)
        if with_variables:
            for key, value in self.variables.items():
                norm = key.replace("-", "_")
                settings.pop(norm, None)
                settings[norm] = value
        options.update(settings)
        text = "# written by tests/harness/mariadb.py\n[mariadbd]\n" + "\n".join(_option_lines(options)) + "\n"
        _write_private(self.cnf, text)

    def start(self):
        """Make a datadir with root and conndoctor accounts, start mariadbd, wait (bounded) for a login."""
        if self.workdir:
            os.makedirs(self.workdir, mode=0o700, exist_ok=True)
            self.dir = os.path.abspath(self.workdir)
        else:
            prefix = f"cd-mariadb-{self.name}-" if self.name else "cd-mariadb-"
            self.dir = tempfile.mkdtemp(prefix=prefix)
        self._token = add_cleanup(self.stop, f"MariaDB {self.name} in {self.dir}")
        try:
            if not self.daemon:  # lets a later run remove the dir if we die by SIGKILL
                with open(os.path.join(self.dir, "owner"), "w") as f:
                    f.write(f"{os.getpid()} {proc_starttime(os.getpid())}\n")
            _sweep_stale_dirs()
            self._paths()
            os.makedirs(self.tmpdir, exist_ok=True)
            self._write_server_cnf(with_variables=False)
            self._install_db()
            for attempt in range(3):  # an auto-chosen port can be taken meanwhile
                self._write_server_cnf(with_variables=True)
                if self._start_server():
                    break
                if not self._auto_port or attempt == 2:
                    raise MariaDBError(f"port {self.port} in use; error log:\n{_tail(self.error_log)}")
                self.port = free_port()
            _write_private(self._client_cnf, self._client_text({}))
        except BaseException:
            self.stop()
            raise
        if self.daemon:
            remove_cleanup(self._token)
            self._token = None
        return self

    def _install_db(self):
        """mariadb-install-db, setting up the accounts during bootstrap (no window with a passwordless root)."""
        self.root_password = "R" + secrets.token_hex(16)
        self.password = "C" + secrets.token_hex(16)
        rpw, cpw = sql_literal(self.root_password), sql_literal(self.password)
        stmts = ["FLUSH PRIVILEGES;",
                 # root only as root@localhost (the socket), with a random password
                 "DELETE FROM mysql.global_priv WHERE User = 'root' AND Host <> 'localhost';",
                 "DELETE FROM mysql.global_priv WHERE User = '';",
                 "FLUSH PRIVILEGES;",
                 f"ALTER USER 'root'@'localhost' IDENTIFIED BY {rpw};"]
        for h in ("%", "localhost"):
            stmts.append(f"CREATE USER '{USER}'@'{h}' IDENTIFIED BY {cpw};")
            stmts.append(f"GRANT {self.grants} ON *.* TO '{USER}'@'{h}';")
        setup = os.path.join(self.dir, "setup.sql")
        _write_private(setup, "\n".join(stmts) + "\n")
        argv = ["mariadb-install-db", f"--defaults-file={self.cnf}",
                "--auth-root-authentication-method=normal", "--skip-test-db", f"--extra-file={setup}"]
        trace(argv)
        log = os.path.join(self.dir, "install.log")
        try:
            with open(log, "w") as out:
                # Own session: a Ctrl-C meant for the test does not hit it; on
                # timeout the whole group (the script and its bootstrap mariadbd) goes.
                proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                        start_new_session=True,
                                        preexec_fn=preexec_die_with_parent(signal.SIGKILL))
            try:
                rc = proc.wait(timeout=120)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
                raise MariaDBError(f"mariadb-install-db timed out; log:\n{_tail(log)}") from None
            except KeyboardInterrupt:  # let it finish (about 1 s) so no bootstrap server is orphaned
                try:
                    proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
                raise
        finally:
            os.unlink(setup)
        if rc != 0:
            raise MariaDBError(f"mariadb-install-db failed ({rc}); log:\n{self._redact(_tail(log))}")
        _write_private(self.root_cnf,
                       f"[client]\nuser=root\npassword={self.root_password}\nsocket={self.socket}\n")

    def _start_server(self):
        """Start mariadbd and wait for its socket; False if the TCP port was taken, raises on other failures."""
        argv = ["mariadbd", f"--defaults-file={self.cnf}"]
        if self.netns:
            argv = ["ip", "netns", "exec", self.netns, *argv]
        trace(argv)
        with open(self._out, "ab") as out:
            self.proc = subprocess.Popen(
                argv, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                start_new_session=self.daemon,
                preexec_fn=None if self.daemon else preexec_die_with_parent(signal.SIGTERM))
        self.pid = self.proc.pid  # `ip netns exec` execs mariadbd: same PID
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                log = _tail(self.error_log) + _tail(self._out, 10)
                self.proc = self.pid = None
                if "Address already in use" in log:
                    return False
                raise MariaDBError(f"mariadbd {self.name} exited during start; error log:\n{log}")
            # A real login, not a bare connect(): that would count in Aborted_connects.
            if os.path.exists(self.socket) and self._ping():
                return True
            time.sleep(0.05)
        raise MariaDBError(f"mariadbd {self.name} not accepting after {START_TIMEOUT:.0f} s; "
                           f"error log:\n{_tail(self.error_log)}")

    def _ping(self):
        try:
            r = subprocess.run(["mariadb", f"--defaults-file={self.root_cnf}", "--connect-timeout=2", "-N", "-B"],
                               input="SELECT 1", capture_output=True, text=True, timeout=10)
            return r.returncode == 0
        except subprocess.TimeoutExpired:
            return False

    def restart(self, timeout=STOP_TIMEOUT):
        """SIGTERM our mariadbd by PID, wait (bounded), start it again on the same datadir and port."""
        if self.proc is None:
            raise MariaDBError(f"mariadbd {self.name} is not running")
        end_process(self.proc, grace=timeout)
        self.proc = self.pid = None
        if not self._start_server():
            raise MariaDBError(f"port {self.port} taken during the restart; error log:\n"
                               f"{_tail(self.error_log)}")
        return self

    def stop(self, timeout=STOP_TIMEOUT):
        """SIGTERM our mariadbd by PID, wait (bounded), then SIGKILL; remove its dir unless CD_KEEP=1."""
        if self.proc is not None:
            end_process(self.proc, grace=timeout)
            self.proc = None
        self.pid = None
        if self._token is not None:
            remove_cleanup(self._token)
            self._token = None
        if self.dir and os.path.isdir(self.dir):
            if os.environ.get("CD_KEEP") == "1":
                print(f"CD_KEEP=1: kept {self.dir}", file=sys.stderr)
            else:
                _remove_instance_dir(self.dir, whole=not self.workdir)
        self.dir = None

    # ------------------------------------------------------------ clients

    def _client_text(self, overrides):
        options = {"user": self.user, "password": self.password, "host": self.host,
                   "port": self.port, "socket": self.socket}
        options.update(overrides)
        options = {k.replace("_", "-"): v for k, v in options.items() if v is not None}
        return "# written by tests/harness/mariadb.py\n[client]\n" + "\n".join(_option_lines(options)) + "\n"

    def client_cnf(self, **overrides):
        """Path of a 0600 option file with [client] user/password/host/port/socket for the conndoctor user.

        Keyword overrides (e.g. host="10.213.1.2", connect_timeout=2, user=..., password=...)
        write a new file; a value of None drops that option. For the socket use host="localhost":
        libmariadb ignores protocol=socket for any other host."""
        if not overrides:
            return self._client_cnf
        self._client_cnfs += 1
        path = os.path.join(self.dir, f"client-{self._client_cnfs}.cnf")
        _write_private(path, self._client_text(overrides))
        return path

    def client_argv(self, *extra, cnf=None):
        """argv for the mariadb client with an option file (it must come first), e.g. for Lab.run()."""
        return ["mariadb", f"--defaults-file={cnf or self._client_cnf}", *extra]

    def sql(self, query, user="root", timeout=30):
        """Run SQL (sent on stdin) over the socket as root or conndoctor; returns a list of tuples of str/None."""
        cnf = self.root_cnf if user == "root" else self._client_cnf if user == USER else None
        if cnf is None:
            raise ValueError(f"sql(): unknown user {user!r} (root or {USER})")
        # libmariadb takes the socket only for host localhost (else TCP even with --protocol=SOCKET).
        argv = ["mariadb", f"--defaults-file={cnf}", "--protocol=SOCKET", "--host=localhost",
                f"--socket={self.socket}", "--connect-timeout=10", "-N", "-B"]
        trace(argv)
        try:
            r = subprocess.run(argv, input=query, capture_output=True, text=True, timeout=timeout,
                               preexec_fn=preexec_die_with_parent(signal.SIGKILL))
        except subprocess.TimeoutExpired:
            raise MariaDBError(f"SQL timed out after {timeout} s: {self._redact(query)}") from None
        if r.returncode != 0:
            raise MariaDBError(f"SQL failed ({r.returncode}): {self._redact(query)}\n"
                               f"{self._redact(r.stderr.strip())}")
        return [tuple(_unescape_batch(f) for f in line.split("\t"))
                for line in r.stdout.split("\n") if line != ""]

    def _redact(self, text):
        for secret in (self.password, self.root_password):
            if secret:
                text = text.replace(secret, "***")
        return text

    def status(self, name):
        """Integer value of a SHOW GLOBAL STATUS variable."""
        rows = self.sql("SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS "
                        f"WHERE VARIABLE_NAME = {sql_literal(_ident(name).upper())}")
        if not rows:
            raise KeyError(name)
        return int(rows[0][0])

    def variable(self, name):
        """Current global value of a server variable, as a string."""
        return self.sql(f"SELECT @@GLOBAL.{_ident(name)}")[0][0]

    def set_global(self, name, value):
        if isinstance(value, bool):
            literal = "ON" if value else "OFF"
        elif isinstance(value, (int, float)):
            literal = str(value)
        else:
            literal = sql_literal(value)
        self.sql(f"SET GLOBAL {_ident(name)} = {literal}")

    def env_lines(self):
        """Shell-parsable KEY=value lines describing this server (no password)."""
        values = {"CD_PORT": self.port, "CD_SOCKET": self.socket, "CD_PID": self.pid,
                  "CD_CNF": self._client_cnf, "CD_HOST": self.host, "CD_USER": self.user,
                  "CD_DATADIR": self.datadir, "CD_ERROR_LOG": self.error_log,
                  "CD_ROOT_CNF": self.root_cnf, "CD_PID_START": proc_starttime(self.pid)}
        return [f"{k}={shlex.quote(str(v))}" for k, v in values.items()]


_swept = False


def _pids_using(arg):
    """PIDs whose command line has the argument `arg`."""
    pids, want = [], arg.encode()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/cmdline", "rb") as f:
                    if want in f.read().split(b"\0"):
                        pids.append(int(entry))
            except OSError:
                pass
    return pids


def _sweep_stale_dirs():
    """Once per process: remove temp dirs whose owning test died by SIGKILL and that nothing uses."""
    global _swept
    if _swept:
        return
    _swept = True
    base = tempfile.gettempdir()
    for entry in os.listdir(base):
        d = os.path.join(base, entry)
        if not entry.startswith("cd-mariadb-"):
            continue
        try:
            with open(os.path.join(d, "owner")) as f:
                pid, start = f.read().split()
            if proc_starttime(int(pid)) == int(start):
                continue  # owner alive
        except (OSError, ValueError):
            continue  # not ours, or being created
        users = _pids_using(f"--defaults-file={d}/my.cnf")
        if users:  # e.g. a bootstrap still finishing; leave it for a later sweep
            print(f"harness: {d}: owner gone but PIDs {users} still use it; left alone", file=sys.stderr)
            continue
        print(f"harness: removing {d} left by a killed test", file=sys.stderr)
        shutil.rmtree(d, ignore_errors=True)


def _remove_instance_dir(path, whole):
    if whole:
        shutil.rmtree(path, ignore_errors=True)
        return
    # A user-given DIR (CLI mode): remove only what we put there.
    for entry in os.listdir(path):
        if entry in _OWN_FILES or re.fullmatch(r"client-\d+\.cnf", entry):
            full = os.path.join(path, entry)
            if os.path.isdir(full) and not os.path.islink(full):
                shutil.rmtree(full, ignore_errors=True)
            else:
                os.unlink(full)
    try:
        os.rmdir(path)
    except OSError:
        pass


# ---------------------------------------------------------------- CLI

def _read_env(path):
    env = {}
    with open(path) as f:
        for line in f:
            if "=" in line:
                k, v = line.rstrip("\n").split("=", 1)
                env[k] = shlex.split(v)[0] if v else ""
    return env


def _cli_start(directory):
    envfile = os.path.join(directory, "env")
    if os.path.exists(envfile):
        env = _read_env(envfile)
        if env.get("CD_PID") and proc_starttime(int(env["CD_PID"])) is not None:
            sys.exit(f"a server is already running from {directory} (PID {env['CD_PID']})")
    # Set up the way conndoctor advises (CD6040): mysqld does no reverse DNS
    # per connection, so a first run against it shows a healthy server.
    db = MariaDB(workdir=directory, daemon=True, name=os.path.basename(os.path.abspath(directory)),
                 variables={"skip_name_resolve": "ON"})
    t0 = time.monotonic()
    db.start()
    lines = db.env_lines()
    with open(envfile, "w") as f:
        f.write("".join(line + "\n" for line in lines))
    print("\n".join(lines))
    stopper = os.environ.get("CD_THROWAWAY", sys.argv[0])
    print(f"# started in {time.monotonic() - t0:.2f} s; stop with: {stopper} stop {directory}",
          file=sys.stderr)


def _cli_stop(directory):
    envfile = os.path.join(directory, "env")
    if not os.path.exists(envfile):
        sys.exit(f"no server recorded in {directory} (missing {envfile})")
    env = _read_env(envfile)
    pid = int(env["CD_PID"])
    cnf = os.path.join(os.path.abspath(directory), "my.cnf")
    # End it only if that PID is still the mariadbd we started (same start time, our cnf).
    start = proc_starttime(pid)
    ours = start is not None and str(start) == env.get("CD_PID_START")
    if ours:
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                ours = f"--defaults-file={cnf}".encode() in f.read().split(b"\0")
        except OSError:
            ours = False
    if ours:
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT
        while proc_starttime(pid) is not None and time.monotonic() < deadline:
            time.sleep(0.1)
        if proc_starttime(pid) is not None:
            os.kill(pid, signal.SIGKILL)
            deadline = time.monotonic() + 5
            while proc_starttime(pid) is not None and time.monotonic() < deadline:
                time.sleep(0.1)
        print(f"stopped mariadbd PID {pid}")
    else:
        print(f"PID {pid} is no longer our mariadbd; removing files only", file=sys.stderr)
    if os.environ.get("CD_KEEP") == "1":
        print(f"CD_KEEP=1: kept {directory}", file=sys.stderr)
    else:
        _remove_instance_dir(os.path.abspath(directory), whole=False)


def main(argv):
    if len(argv) != 3 or argv[1] not in ("start", "stop"):
        sys.exit(f"usage: {argv[0]} start|stop DIR")
    (_cli_start if argv[1] == "start" else _cli_stop)(argv[2])


if __name__ == "__main__":
    main(sys.argv)
