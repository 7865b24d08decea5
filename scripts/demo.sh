#!/usr/bin/env bash
# The README's first command: on a fresh Debian 12 machine (as root) install
# the packages, build conndoctor, start a throwaway MariaDB (own datadir,
# port and socket under a temporary folder, set up as conndoctor advises
# (skip_name_resolve=ON), a `conndoctor` user with a
# random password) and run the main job against it: `conndoctor diagnose`
# probes it over TCP and over the Unix socket side by side, audits this host
# and the server, and prints the root cause first. The server is stopped and
# its folder removed at the end.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${CD_BUILD_DIR:-$top/build}

bash "$top/scripts/install-deps.sh"
cmake -S "$top" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j"$(nproc)" --target conndoctor

dir=$(mktemp -d /tmp/conndoctor-demo.XXXXXX)
stop() { "$top/scripts/mariadb-throwaway" stop "$dir" >/dev/null 2>&1 || true; rm -rf "$dir"; }
trap stop EXIT
"$top/scripts/mariadb-throwaway" start "$dir" >/dev/null
# shellcheck disable=SC1091
. "$dir/env"
echo "== throwaway MariaDB on 127.0.0.1:$CD_PORT and $CD_SOCKET (pid $CD_PID)"
echo "== conndoctor diagnose: TCP and the Unix socket, this host, the server"
# The password stays in the 0600 option file: never on a command line.
rc=0
"$build/conndoctor" diagnose --defaults-file="$CD_CNF" -S "$CD_SOCKET" || rc=$?
echo "== exit status $rc (0 healthy, 1 warnings, 2 critical, 69 unreachable)"
exit "$rc"
