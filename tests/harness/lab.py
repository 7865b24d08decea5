"""Network lab: namespaces joined by veth in 10.213.0.0/16, behind a root blackhole route; always cleaned up."""

import fcntl
import ipaddress
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

from . import (LAB_NAMESPACES, LAB_RANGE, add_cleanup, end_process, need_netns,
               preexec_die_with_parent, proc_starttime, remove_cleanup, trace)
from .mariadb import MariaDB

STATE_DIR = "/run/conndoctor-lab"    # lock, one state file per live Lab, route marker
ROUTE_MARKER = os.path.join(STATE_DIR, "route-added")  # exists while a Lab's blackhole route is in place
NETNS_ETC = "/etc/netns"
LOCK_TIMEOUT = 30.0
_NET = ipaddress.ip_network(LAB_RANGE)
_counter = 0  # Labs made by this process (state file names)


class LabError(RuntimeError):
    pass


class LabCommandError(LabError):
    def __init__(self, argv, rc, stdout, stderr):
        self.argv, self.returncode, self.stdout, self.stderr = argv, rc, stdout, stderr
        super().__init__(f"{' '.join(argv)} exited {rc}: {(stderr or '').strip()}")


def _ip(*args, check=True, timeout=15):
    """Run an `ip` command in the root namespace (bounded)."""
    argv = ["ip", *args]
    trace(argv)
    r = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
    if check and r.returncode != 0:
        raise LabCommandError(argv, r.returncode, r.stdout, r.stderr)
    return r


def in_lab_range(addr):
    try:
        return ipaddress.ip_address(addr) in _NET
    except ValueError:
        return False


def blackhole_present():
    r = _ip("-4", "route", "show", "type", "blackhole", check=False)
    return any(line.split()[:2] == ["blackhole", LAB_RANGE] for line in r.stdout.splitlines())


def _netns_exists(name):
    return os.path.exists(f"/run/netns/{name}")


def _alive(pid, start):
    return start is not None and proc_starttime(pid) == start


class _StateLock:
    """flock on STATE_DIR/lock, acquired within LOCK_TIMEOUT s."""

    def __enter__(self):
        os.makedirs(STATE_DIR, mode=0o700, exist_ok=True)
        self.fd = os.open(os.path.join(STATE_DIR, "lock"), os.O_RDWR | os.O_CREAT, 0o600)
        deadline = time.monotonic() + LOCK_TIMEOUT
        while True:
            try:
                fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return self
            except BlockingIOError:
                if time.monotonic() > deadline:
                    os.close(self.fd)
                    raise LabError(f"could not lock {STATE_DIR}/lock in {LOCK_TIMEOUT:.0f} s")
                time.sleep(0.05)

    def __exit__(self, *exc):
        os.close(self.fd)  # releases the flock
        return False


def _state_files():
    try:
        return [os.path.join(STATE_DIR, f) for f in os.listdir(STATE_DIR)
                if f.startswith("lab-") and f.endswith(".json")]
    except FileNotFoundError:
        return []


def _load(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def _undo(state, log=None):
    """Undo a dead Lab's record: its processes (if still the same), namespaces, /etc/netns and temp dirs."""
    for pid, start in state.get("procs", []):
        if _alive(pid, start):
            if log:
                log(f"ending PID {pid} left by a dead lab")
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
    for ns in state.get("namespaces", []):
        if _netns_exists(ns):
            if log:
                log(f"deleting namespace {ns} left by a dead lab")
            _ip("netns", "del", ns, check=False)
    for d in state.get("netns_dirs", []) + state.get("tmpdirs", []):
        shutil.rmtree(d, ignore_errors=True)
    if state.get("made_etc_netns"):
        try:
            os.rmdir(NETNS_ETC)
        except OSError:
            pass


def _sweep_dead_labs():
    """(Under the lock) undo Labs whose owner died without cleaning up (e.g. SIGKILL by a CTest timeout)."""
    for path in _state_files():
        state = _load(path)
        if state is None or not _alive(state.get("pid"), state.get("start")):
            if state:
                _undo(state, log=lambda m: print(f"lab: {m}", file=sys.stderr))
            os.unlink(path)


class Lab:
    """Network namespaces made by this test, and the processes run in them; a context manager."""

    def __init__(self):
        global _counter
        _counter += 1
        self.prefix = f"cdl{os.getpid() % 100000}"
        self.namespaces = []
        self.servers = []
        self.procs = []
        self.netns_dirs = []
        self.tmpdirs = []
        self.made_etc_netns = False
        self.route_added = False  # this Lab put the blackhole route in
        self._links = 0
        self._token = None
        self._state_path = os.path.join(STATE_DIR, f"lab-{os.getpid()}-{_counter}.json")
        self._open = False

    # ------------------------------------------------------------ setup/teardown

    def __enter__(self):
        need_netns()  # skips (root, ip netns) before anything is made
        self._token = add_cleanup(self.close, "Lab")
        self._open = True
        try:
            with _StateLock():
                _sweep_dead_labs()
                self._save()
                self._check_root_routes()
                if not blackhole_present():
                    _ip("route", "add", "blackhole", LAB_RANGE)
                    with open(ROUTE_MARKER, "w") as f:
                        f.write(f"{os.getpid()}\n")
                    self.route_added = True
            if not blackhole_present():
                raise LabError(f"blackhole route for {LAB_RANGE} missing after adding it")
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    @staticmethod
    def _check_root_routes():
        # A more specific route inside the lab range would beat the blackhole.
        r = _ip("-4", "route", "show", "table", "all", "root", LAB_RANGE, check=False)
        for line in r.stdout.splitlines():
            if line.split()[:2] != ["blackhole", LAB_RANGE]:
                raise LabError(f"refusing to run: root namespace has a route inside {LAB_RANGE}: {line}")

    def _save(self):
        state = {"pid": os.getpid(), "start": proc_starttime(os.getpid()),
                 "namespaces": self.namespaces, "netns_dirs": self.netns_dirs,
                 "tmpdirs": self.tmpdirs, "made_etc_netns": self.made_etc_netns,
                 "procs": [[p.pid, s] for p, s in self.procs]
                 + [[db.pid, s] for db, s in self.servers if db.pid]}
        tmp = self._state_path + ".tmp"
        with open(tmp, "w") as f:
            json.dump(state, f)
        os.replace(tmp, self._state_path)

    def close(self):
        """Stop servers and processes, delete namespaces and /etc/netns dirs, drop the route if unused.

        Idempotent; every step runs even if an earlier one failed."""
        if not self._open:
            return
        self._open = False
        steps = [(f"stop {db.name}", db.stop) for db, _ in self.servers]
        steps += [(f"end PID {p.pid}", lambda p=p: end_process(p)) for p, _ in self.procs]
        steps += [(f"del {ns}", lambda ns=ns: self._del_ns(ns)) for ns in reversed(self.namespaces)]
        steps += [(f"rm {d}", lambda d=d: shutil.rmtree(d, ignore_errors=True))
                  for d in self.netns_dirs + self.tmpdirs]
        if self.made_etc_netns:
            steps.append(("rmdir /etc/netns", self._rmdir_etc_netns))
        steps.append(("route", self._release_route))
        for what, fn in steps:
            try:
                fn()
            except BaseException as e:  # keep going
                print(f"lab: cleanup step {what} failed: {e!r}", file=sys.stderr)
        for ns in self.namespaces:
            LAB_NAMESPACES.discard(ns)
        if self._token is not None:
            remove_cleanup(self._token)
            self._token = None

    def _del_ns(self, ns):
        if not _netns_exists(ns):
            return
        strays = self.pids_in(ns)
        if strays:  # not ours to end: report them
            print(f"lab: processes still in {ns} (not started by the lab): {strays}", file=sys.stderr)
        _ip("netns", "del", ns)

    @staticmethod
    def _rmdir_etc_netns():
        try:
            os.rmdir(NETNS_ETC)
        except OSError:
            pass  # another lab still uses it

    def _release_route(self):
        with _StateLock():
            try:
                os.unlink(self._state_path)
            except FileNotFoundError:
                pass
            _sweep_dead_labs()
            if _state_files():
                return  # another live Lab still relies on the route
            if os.path.exists(ROUTE_MARKER):  # a Lab added it: remove it
                if blackhole_present():
                    _ip("route", "del", "blackhole", LAB_RANGE)
                os.unlink(ROUTE_MARKER)

    # ------------------------------------------------------------ topology

    def _own(self, ns):
        if not self._open or ns not in self.namespaces:
            raise LabError(f"refusing: {ns!r} is not a namespace of this lab")

    def ns(self, name):
        """Create namespace cdl<pid%100000>-<name> with lo up; returns its name."""
        if not re.fullmatch(r"[a-z0-9]{1,8}", name):
            raise ValueError(f"namespace name must be 1-8 of [a-z0-9]: {name!r}")
        full = f"{self.prefix}-{name}"
        if not self._open:
            raise LabError("lab is closed")
        if _netns_exists(full):
            raise LabError(f"namespace {full} already exists (another Lab of this process?)")
        self.namespaces.append(full)  # recorded first: a crash now is still swept
        self._save()
        try:
            _ip("netns", "add", full)
        except LabCommandError:
            self.namespaces.remove(full)
            self._save()
            raise
        LAB_NAMESPACES.add(full)
        _ip("-n", full, "link", "set", "lo", "up")
        return full

    def link(self, ns_a, ns_b, addr_a, addr_b, prefix=30):
        """Join two lab namespaces by a veth pair with lab-range addresses, both up; returns (if_a, if_b)."""
        self._own(ns_a)
        self._own(ns_b)
        if ns_a == ns_b:
            raise LabError("link(): both ends in the same namespace")
        for addr in (addr_a, addr_b):
            net = ipaddress.ip_network(f"{addr}/{prefix}", strict=False)
            if not (in_lab_range(addr) and net.subnet_of(_NET)):
                raise LabError(f"refusing address {addr}/{prefix}: not inside {LAB_RANGE}")
        self._links += 1
        if_a = f"v{self._links}-{ns_b.rsplit('-', 1)[1]}"  # "interface towards B", seen in A
        if_b = f"v{self._links}-{ns_a.rsplit('-', 1)[1]}"
        _ip("link", "add", if_a, "netns", ns_a, "type", "veth", "peer", "name", if_b, "netns", ns_b)
        for ns, ifname, addr in ((ns_a, if_a, addr_a), (ns_b, if_b, addr_b)):
            _ip("-n", ns, "addr", "add", f"{addr}/{prefix}", "dev", ifname)
            _ip("-n", ns, "link", "set", ifname, "up")
        return if_a, if_b

    def sysctl(self, ns, key, value):
        """sysctl -w key=value inside a lab namespace."""
        return self.run(ns, ["sysctl", "-w", f"{key}={value}"], timeout=10).stdout

    def sysctl_get(self, ns, key):
        return self.run(ns, ["sysctl", "-n", key], timeout=10).stdout.strip()

    def iptables(self, ns, *args):
        """iptables inside a lab namespace (waits up to 5 s for the xtables lock)."""
        return self.run(ns, ["iptables", "-w", "5", *map(str, args)], timeout=20)

    def netns_file(self, ns, filename, text):
        """Write /etc/netns/<ns>/<filename> (`ip netns exec` bind-mounts it over /etc/<filename>)."""
        self._own(ns)
        if "/" in filename:
            raise ValueError(filename)
        d = os.path.join(NETNS_ETC, ns)
        if not os.path.isdir(NETNS_ETC):
            self.made_etc_netns = True
        if d not in self.netns_dirs:
            self.netns_dirs.append(d)
            self._save()
        os.makedirs(d, exist_ok=True)
        path = os.path.join(d, filename)
        with open(path, "w") as f:
            f.write(text)
        return path

    def resolv_conf(self, ns, text):
        return self.netns_file(ns, "resolv.conf", text)

    # ------------------------------------------------------------ processes

    @staticmethod
    def _env(env):
        if env is None:
            return None
        full = dict(os.environ)
        full.update(env)
        return full

    def run(self, ns, argv, timeout=30, check=True, env=None, input=None):
        """Run argv inside a lab namespace (refuses any other); returns a text CompletedProcess.

        Killed after `timeout` s (subprocess.TimeoutExpired); check=True raises LabCommandError
        on a non-zero exit; env= is merged over os.environ."""
        self._own(ns)
        full = ["ip", "netns", "exec", ns, *map(str, argv)]
        trace(full)
        r = subprocess.run(full, input=input, capture_output=True, text=True, timeout=timeout,
                           env=self._env(env), preexec_fn=preexec_die_with_parent(signal.SIGKILL))
        if check and r.returncode != 0:
            raise LabCommandError(full, r.returncode, r.stdout, r.stderr)
        return r

    def popen(self, ns, argv, **kw):
        """Start argv inside a lab namespace (refuses any other); ended at cleanup; env= merged over os.environ."""
        self._own(ns)
        full = ["ip", "netns", "exec", ns, *map(str, argv)]
        kw.setdefault("stdin", subprocess.DEVNULL)
        kw.setdefault("preexec_fn", preexec_die_with_parent(signal.SIGTERM))
        if "env" in kw:
            kw["env"] = self._env(kw["env"])
        trace(full)
        p = subprocess.Popen(full, **kw)
        self.procs.append((p, proc_starttime(p.pid)))
        self._save()
        return p

    def ping_ok(self, ns, addr, wait=1):
        """One ping from ns to addr, waiting at most `wait` s for the answer."""
        r = self.run(ns, ["ping", "-n", "-c1", f"-W{wait}", addr], timeout=wait + 5, check=False)
        return r.returncode == 0

    def mariadb(self, ns, bind_addr, variables=None, port=3306, name=None, **kw):
        """Start a harness MariaDB inside lab namespace ns, listening on bind_addr:port; stopped at cleanup."""
        self._own(ns)
        if not (in_lab_range(bind_addr) or bind_addr in ("0.0.0.0", "127.0.0.1")):
            raise LabError(f"refusing bind address {bind_addr}: not inside {LAB_RANGE}")
        workdir = tempfile.mkdtemp(prefix="cd-mariadb-lab-")
        self.tmpdirs.append(workdir)
        self._save()
        db = MariaDB(variables=variables, netns=ns, bind=bind_addr, port=port,
                     name=name or ns.rsplit("-", 1)[1], workdir=workdir, **kw)
        db.start()
        self.servers.append((db, proc_starttime(db.pid)))
        self._save()
        return db

    def pids_in(self, ns):
        """PIDs of the processes whose network namespace is ns (for diagnostics)."""
        try:
            target = os.stat(f"/run/netns/{ns}").st_ino
        except OSError:
            return []
        pids = []
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    if os.stat(f"/proc/{entry}/ns/net").st_ino == target:
                        pids.append(int(entry))
                except OSError:
                    pass
        return pids
