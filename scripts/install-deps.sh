#!/bin/bash
# Install conndoctor's build and test dependencies on Debian 12 (run as root; idempotent).
#
# The Debian mariadb-server package would start the system's server: a
# policy-rc.d that denies service actions is kept in place for the install
# (an existing one is left alone), so no system server is started, stopped
# or restarted by this script. Tests start their own servers.
set -euo pipefail

PACKAGES=(
  build-essential cmake pkg-config libssl-dev libpcap-dev libcmocka-dev libwrap0-dev
  mariadb-server mariadb-client tcpdump tshark iptables conntrack iproute2 python3
  clang clang-format clang-tidy valgrind procps iputils-ping net-tools
  libjansson-dev libnetfilter-conntrack-dev libmicrohttpd-dev libyaml-dev libcrypt-dev zlib1g-dev libzstd-dev
  libsodium-dev libbpf-dev bpftool libelf-dev nftables prometheus
  prometheus-blackbox-exporter python3-yaml
  zstd
  debhelper dpkg-dev fakeroot lintian
  groff-base man-db zsh fish
  chromium
)
POLICY=/usr/sbin/policy-rc.d
POLICY_MARK="# conndoctor install-deps.sh: temporary"

say() { printf '==> %s\n' "$*"; }
run() { printf '+ %s\n' "$*"; "$@"; }

if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps.sh: must run as root" >&2
  exit 1
fi
if [ ! -r /etc/debian_version ]; then
  echo "install-deps.sh: not a Debian system" >&2
  exit 1
fi

missing=()
for p in "${PACKAGES[@]}"; do
  if [ "$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)" != installed ]; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -eq 0 ]; then
  say "all ${#PACKAGES[@]} packages already installed; nothing to do"
  exit 0
fi
say "missing: ${missing[*]}"

if pgrep -x mariadbd >/dev/null || pgrep -x mysqld >/dev/null; then
  say "a MariaDB/MySQL server is running: leaving it alone (service actions are denied during install)"
fi

# Keep package scripts from starting, stopping or restarting services.
added_policy=0
cleanup() {
  if [ "$added_policy" = 1 ] && grep -qF "$POLICY_MARK" "$POLICY" 2>/dev/null; then
    say "removing temporary $POLICY"
    rm -f "$POLICY"
  fi
}
trap cleanup EXIT
if [ -e "$POLICY" ]; then
  say "$POLICY already present; using it as is:"
  sed 's/^/    /' "$POLICY"
else
  say "writing temporary $POLICY (exit 101: deny service start/stop)"
  printf '#!/bin/sh\n%s\nexit 101\n' "$POLICY_MARK" >"$POLICY"
  chmod 0755 "$POLICY"
  added_policy=1
fi

# tshark asks whether non-root users may capture: answer no, never prompt.
say "preseeding wireshark-common/install-setuid=false"
echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections

export DEBIAN_FRONTEND=noninteractive
run apt-get update
# Only what is missing: installed packages are not upgraded behind the user's back.
run apt-get install -y --no-install-recommends \
  -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
  "${missing[@]}"

still=()
for p in "${PACKAGES[@]}"; do
  if [ "$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)" != installed ]; then
    still+=("$p")
  fi
done
if [ ${#still[@]} -ne 0 ]; then
  echo "install-deps.sh: still not installed: ${still[*]}" >&2
  exit 1
fi
say "done: all ${#PACKAGES[@]} packages installed"
