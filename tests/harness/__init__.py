"""Test harness core: skips, requirements, a small runner, cleanup on exit/signal, running conndoctor."""

import atexit
import ipaddress
import os
import pty
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import unittest

SKIP_RC = 77  # CTest SKIP_RETURN_CODE
REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
LAB_RANGE = "10.213.0.0/16"

# Namespaces made by a live Lab in this process (lab.py adds and removes them);
# run_conndoctor(ns=...) accepts only these.
LAB_NAMESPACES = set()

_in_runner = False  # true while run_tests() runs tests: skip() then raises SkipTest


def trace(argv):
    """Print a command to stderr when CD_LAB_TRACE=1 (before it runs)."""
    if os.environ.get("CD_LAB_TRACE") == "1":
        print("+ " + " ".join(str(a) for a in argv), file=sys.stderr, flush=True)


# ---------------------------------------------------------------- skipping

def skip(reason):
    """Skip: inside run_tests() skip the current test (or class); else print 'SKIP: reason' and exit 77."""
    if _in_runner:
        raise unittest.SkipTest(reason)
    print(f"SKIP: {reason}", flush=True)
    sys.exit(SKIP_RC)


def need_root():
    if os.geteuid() != 0:
        skip("needs root")


_netns_ok = None


def need_netns():
    """Skip unless `ip netns` works here (made and deleted a probe namespace)."""
    global _netns_ok
    need_root()
    need_binary("ip")
    if _netns_ok is None:
        _sweep_probes()
        probe = f"cdprobe{os.getpid()}"
        why = None
        try:
            for argv in (["ip", "netns", "add", probe], ["ip", "netns", "exec", probe, "true"]):
                trace(argv)
                r = subprocess.run(argv, capture_output=True, text=True, timeout=10)
                if r.returncode != 0:
                    why = f"{' '.join(argv)} failed: {r.stderr.strip()}"
                    break
        except (OSError, subprocess.TimeoutExpired) as e:
            why = f"ip netns: {e}"
        finally:
            if os.path.exists(f"/run/netns/{probe}"):
                trace(["ip", "netns", "del", probe])
                subprocess.run(["ip", "netns", "del", probe], capture_output=True, timeout=10)
        _netns_ok = why or True
    if _netns_ok is not True:
        skip(f"network namespaces unavailable ({_netns_ok})")


def _sweep_probes():
    # Probe namespaces left by a process killed with SIGKILL (its PID is gone).
    try:
        names = os.listdir("/run/netns")
    except OSError:
        return
    for name in names:
        m = re.fullmatch(r"cdprobe(\d+)", name)
        if m and not os.path.exists(f"/proc/{m.group(1)}"):
            trace(["ip", "netns", "del", name])
            subprocess.run(["ip", "netns", "del", name], capture_output=True, timeout=10)


def need_binary(name):
    """Skip unless `name` is on PATH; returns its full path."""
    path = shutil.which(name)
    if not path:
        skip(f"{name} not found on PATH")
    return path


# ---------------------------------------------------------------- cleanup

_cleanups = {}  # token -> (description, fn); run LIFO at exit
_next_token = 0
_cleanup_lock = threading.Lock()
_terminating = False
_handlers_installed = False


def _on_signal(signum, frame):
    # First SIGTERM/SIGINT/SIGHUP unwinds the stack (finally blocks and
    # context managers run); later ones are ignored so cleanup can finish.
    global _terminating
    if _terminating:
        return
    _terminating = True
    print(f"\nharness: got signal {signum}, cleaning up", file=sys.stderr, flush=True)
    raise KeyboardInterrupt(f"signal {signum}")


def _install_handlers():
    global _handlers_installed
    if _handlers_installed or threading.current_thread() is not threading.main_thread():
        return
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        if signal.getsignal(sig) in (signal.SIG_DFL, signal.default_int_handler):
            signal.signal(sig, _on_signal)
    atexit.register(run_cleanups)
    _handlers_installed = True


def add_cleanup(fn, description=""):
    """Register fn() to run at exit or on a fatal signal; returns a token for remove_cleanup()."""
    global _next_token
    _install_handlers()
    with _cleanup_lock:
        _next_token += 1
        _cleanups[_next_token] = (description, fn)
        return _next_token


def remove_cleanup(token):
    with _cleanup_lock:
        _cleanups.pop(token, None)


def run_cleanups():
    """Run every registered cleanup (newest first), each at most once, ignoring signals meanwhile."""
    global _terminating
    _terminating = True  # a further signal must not interrupt cleanup
    while True:
        with _cleanup_lock:
            if not _cleanups:
                return
            token = max(_cleanups)
            description, fn = _cleanups.pop(token)
        try:
            fn()
        except BaseException as e:  # keep going: the rest must still be cleaned
            print(f"harness: cleanup {description or fn!r} failed: {e!r}", file=sys.stderr, flush=True)


def preexec_die_with_parent(sig=signal.SIGTERM):
    """A preexec_fn giving the child `sig` when this process dies (even by SIGKILL); None off the main thread."""
    if threading.current_thread() is not threading.main_thread():
        return None  # PDEATHSIG fires when the forking *thread* exits
    import ctypes
    try:
        libc = ctypes.CDLL(None, use_errno=True)
    except OSError:
        return None
    parent = os.getpid()

    def fn():
        libc.prctl(1, int(sig), 0, 0, 0)  # PR_SET_PDEATHSIG
        if os.getppid() != parent:  # parent already gone
            os.kill(os.getpid(), int(sig))
    return fn


def proc_starttime(pid):
    """Start time (clock ticks since boot) of a live PID, or None: identifies a process across PID reuse."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        if fields[0] == "Z":
            return None
        return int(fields[19])
    except (OSError, IndexError, ValueError):
        return None


def end_process(proc, grace=5.0):
    """Terminate a Popen we started (by its PID), wait up to `grace` s, then SIGKILL and reap."""
    if proc.poll() is not None:
        return
    try:
        proc.terminate()
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        proc.kill()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
    except ProcessLookupError:
        pass


# ---------------------------------------------------------------- runner

def run_tests(module_globals):
    """Run the calling module's TestCases verbosely, print 'N passed, N failed, N skipped', exit.

    Exit status: 0 if none failed, 77 if all were skipped, 1 otherwise."""
    global _in_runner
    modname = module_globals.get("__name__")
    loader = unittest.TestLoader()
    suite = unittest.TestSuite()
    wanted = [a for a in sys.argv[1:] if not a.startswith("-")]
    for obj in list(module_globals.values()):
        if (isinstance(obj, type) and issubclass(obj, unittest.TestCase)
                and obj.__module__ == modname):
            for test in loader.loadTestsFromTestCase(obj):
                # Names on the command line pick tests: "Class" or
                # "Class.test_name" or any part of the test's id.
                if not wanted or any(w in test.id() for w in wanted):
                    suite.addTest(test)
    _install_handlers()
    results = []

    class Result(unittest.TextTestResult):
        """Counts passes itself: class-level skips and errors are not in testsRun."""
        def __init__(self, *a, **kw):
            super().__init__(*a, **kw)
            self.passed = 0
            results.append(self)

        def addSuccess(self, test):
            super().addSuccess(test)
            self.passed += 1

        def addExpectedFailure(self, test, err):
            super().addExpectedFailure(test, err)
            self.passed += 1

    runner = unittest.TextTestRunner(stream=sys.stdout, verbosity=2, resultclass=Result)
    _in_runner = True
    interrupted = False
    try:
        runner.run(suite)
    except KeyboardInterrupt:
        interrupted = True
        print("\ninterrupted", flush=True)
    finally:
        _in_runner = False
        run_cleanups()
    result = results[-1]
    failed = len(result.failures) + len(result.errors) + len(result.unexpectedSuccesses) + interrupted
    skipped = len(result.skipped)
    print(f"{result.passed} passed, {failed} failed, {skipped} skipped", flush=True)
    if failed or result.passed + skipped == 0:
        sys.exit(1)
    sys.exit(SKIP_RC if result.passed == 0 else 0)


# ---------------------------------------------------------------- conndoctor

def conndoctor_path():
    """The conndoctor binary: $CONNDOCTOR, else build/conndoctor in the repo."""
    return os.environ.get("CONNDOCTOR") or os.path.join(REPO_ROOT, "build", "conndoctor")


def need_conndoctor():
    path = conndoctor_path()
    if not os.access(path, os.X_OK):
        skip(f"conndoctor binary not found at {path} (set CONNDOCTOR)")
    return path


def _names_lab_address(arg):
    # True if a command-line argument names an address in the lab range
    # (plain, host:port, or key=value forms).
    net = ipaddress.ip_network(LAB_RANGE)
    for part in str(arg).replace("=", " ").replace(",", " ").split():
        host = part.rsplit(":", 1)[0] if part.count(":") == 1 else part
        try:
            if ipaddress.ip_address(host) in net:
                return True
        except ValueError:
            pass
    return False


def sanitized():
    """True when conndoctor is an ASan build, whose shadow memory and
    quarantine make RSS no measure of the engine's."""
    with open(conndoctor_path(), "rb") as f:
        return b"__asan_init" in f.read()


def run_conndoctor(args, ns=None, timeout=60, input=None, env=None):
    """Run conndoctor (inside lab namespace `ns` if given); returns (rc, stdout, stderr).

    After `timeout` s the process is killed and TimeoutError raised. Refuses a
    namespace that is not a live Lab's, and lab addresses from the root namespace."""
    argv = [conndoctor_path(), *map(str, args)]
    if ns is not None:
        if ns not in LAB_NAMESPACES:
            raise ValueError(f"refusing to run conndoctor in {ns!r}: not a namespace of a live Lab")
        argv = ["ip", "netns", "exec", ns, *argv]
    elif any(_names_lab_address(a) for a in args):
        raise ValueError("refusing to run conndoctor against a lab address outside a lab namespace")
    full_env = dict(os.environ)
    if env:
        full_env.update(env)
    trace(argv)
    try:
        r = subprocess.run(argv, input=input, capture_output=True, text=True,
                           timeout=timeout, env=full_env,
                           preexec_fn=preexec_die_with_parent(signal.SIGKILL))
    except subprocess.TimeoutExpired as e:  # subprocess.run has killed it
        raise TimeoutError(f"conndoctor {' '.join(map(str, args))} ran over {timeout} s; "
                           f"stdout={e.stdout!r} stderr={e.stderr!r}") from None
    return r.returncode, r.stdout, r.stderr


def pty_read(fd, timeout, until=None):
    """What a pseudo-terminal's master fd gives within timeout s: up to the
    end (the child closed the terminal: EIO), or up to the first chunk
    holding the bytes `until`."""
    out, deadline = b"", time.time() + timeout
    while time.time() < deadline:
        try:
            chunk = os.read(fd, 4096)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        out += chunk
        if until is not None and until in out:
            break
    return out


def run_on_pty(argv, env=None, timeout=60, interrupt_on=None):
    """Runs argv with stdin, stdout and stderr on a pseudo-terminal; returns
    (exit code, everything it wrote, as text). interrupt_on: bytes whose
    first appearance in the output sends the child SIGINT, as Ctrl-C
    would. After `timeout` s the child is killed."""
    pid, fd = pty.fork()
    if pid == 0:  # child: conndoctor on a terminal
        try:
            os.execve(argv[0], argv, env if env is not None else os.environ)
        finally:
            os._exit(127)
    out = b""
    try:
        if interrupt_on is not None:
            out = pty_read(fd, timeout, until=interrupt_on)
            if interrupt_on in out:
                os.kill(pid, signal.SIGINT)
        out += pty_read(fd, timeout)
    finally:
        done, status = os.waitpid(pid, os.WNOHANG)
        if not done:
            time.sleep(1)
            done, status = os.waitpid(pid, os.WNOHANG)
            if not done:
                os.kill(pid, signal.SIGKILL)
                _, status = os.waitpid(pid, 0)
        os.close(fd)
    return os.waitstatus_to_exitcode(status), out.decode(errors="replace")


def free_port(host="127.0.0.1"):
    """A TCP port that is free on `host` right now (bind to port 0 and release)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


_install_handlers()  # at import: module-level setup (e.g. need_netns) is covered too
