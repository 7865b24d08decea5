#!/usr/bin/env bash
# Builds the Debian package from the committed tree (in a temporary copy, so
# nothing lands beside the checkout), checks it with lintian (no error),
# installs it, checks the manual pages and completions are in place, runs
# `conndoctor version` and one probe from the installed
# path against a throwaway MariaDB, then removes the package again (unless
# it was installed before). Run as root on Debian 12.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
for tool in dpkg-buildpackage lintian; do
  if ! command -v "$tool" >/dev/null; then
    echo "package: $tool not installed (scripts/install-deps.sh installs it)"; exit 1
  fi
done
work=$(mktemp -d /tmp/conndoctor-package.XXXXXX)
db=""
was_installed=$(dpkg-query -W -f='${db:Status-Status}' conndoctor 2>/dev/null || true)
cleanup() {
  [ -n "$db" ] && "$top/scripts/mariadb-throwaway" stop "$db" >/dev/null 2>&1 || true
  if [ "$was_installed" != installed ] && dpkg-query -W conndoctor >/dev/null 2>&1; then
    dpkg -r conndoctor >/dev/null 2>&1 || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

mkdir "$work/conndoctor"
(cd "$top" && git ls-files -z | xargs -0 tar -cf - ) | tar -xf - -C "$work/conndoctor"
echo "package: building in $work"
(cd "$work/conndoctor" && dpkg-buildpackage -us -uc -b -j"$(nproc)" >"$work/build.log" 2>&1) || {
  tail -40 "$work/build.log"; echo "package: dpkg-buildpackage FAILED"; exit 1; }
deb=$(ls "$work"/conndoctor_*.deb)
echo "package: built $(basename "$deb")"

lintian --fail-on error "$work"/conndoctor_*.changes >"$work/lintian.log" 2>&1 || {
  cat "$work/lintian.log"; echo "package: lintian reports errors"; exit 1; }
echo "package: lintian: $(grep -c '^[EW]:' "$work/lintian.log" || true) errors/warnings"
sed 's/^/  /' "$work/lintian.log"

if grep -q 'no-manual-page' "$work/lintian.log"; then
  echo "package: lintian finds no manual page"; exit 1
fi

dpkg -i "$deb" >/dev/null
for f in /usr/bin/conndoctor /usr/share/doc/conndoctor/findings/CD3001.md \
    /usr/share/doc/conndoctor/probe.md \
    /usr/share/man/man1/conndoctor.1.gz /usr/share/man/man1/conndoctor-probe.1.gz \
    /usr/share/man/man1/conndoctor-diagnose.1.gz /usr/share/man/man1/conndoctor-check.1.gz \
    /usr/share/man/man1/conndoctor-explain.1.gz /usr/share/man/man5/conndoctor.conf.5.gz \
    /usr/share/bash-completion/completions/conndoctor \
    /usr/share/zsh/vendor-completions/_conndoctor \
    /usr/share/fish/vendor_completions.d/conndoctor.fish \
    /usr/share/conndoctor/prometheus/alerts.yml /usr/share/conndoctor/prometheus/rules.yml \
    /usr/share/conndoctor/prometheus/dashboards/conndoctor-watch.json; do
  [ -e "$f" ] || { echo "package: $f is not installed"; exit 1; }
done
# The installed pages render from the manual path without a warning, and
# point to the installed guides.
for page in conndoctor conndoctor-probe conndoctor.conf; do
  warn=$(MANWIDTH=80 man --warnings "$page" 2>&1 >/dev/null) || { echo "package: man $page failed"; exit 1; }
  [ -z "$warn" ] || { echo "package: man $page warns: $warn"; exit 1; }
done
MANWIDTH=200 man conndoctor-probe 2>/dev/null | grep -q '/usr/share/doc/conndoctor/probe.md' || {
  echo "package: conndoctor-probe(1) does not point to the installed guide"; exit 1; }
echo "package: manual pages and completions installed"
# The Prometheus mixin, as installed, passes promtool's checks and unit tests.
if command -v promtool >/dev/null; then
  promtool check rules /usr/share/conndoctor/prometheus/rules.yml \
    /usr/share/conndoctor/prometheus/alerts.yml >/dev/null || {
    echo "package: promtool check rules fails on the installed mixin"; exit 1; }
  (cd /usr/share/conndoctor/prometheus/tests && promtool test rules alerts_test.yml >/dev/null) || {
    echo "package: promtool test rules fails on the installed mixin"; exit 1; }
  echo "package: installed Prometheus mixin passes promtool check and test"
fi
# watch's systemd unit: installed, not enabled, and systemd accepts it.
unit=/lib/systemd/system/conndoctor-watch.service
[ -e "$unit" ] || { echo "package: $unit is not installed"; exit 1; }
if command -v systemd-analyze >/dev/null; then
  # man: Documentation= is checked too; the page is installed above.
  verify=$(systemd-analyze verify "$unit" 2>&1) || true
  [ -z "$verify" ] || { echo "package: systemd-analyze verify $unit: $verify"; exit 1; }
  echo "package: systemd-analyze verify accepts $unit"
fi
out=$(/usr/bin/conndoctor version)
echo "package: /usr/bin/conndoctor version: $out"
case "$out" in *0.*) ;; *) echo "package: unexpected version output"; exit 1;; esac

db=$(mktemp -d /tmp/conndoctor-package-db.XXXXXX)
"$top/scripts/mariadb-throwaway" start "$db" >/dev/null
# shellcheck disable=SC1091
. "$db/env"
rc=0
/usr/bin/conndoctor probe --defaults-file="$CD_CNF" -S "$CD_SOCKET" --protocol=socket -n 3 \
  --json >"$work/probe.json" || rc=$?
ok=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["summary"]["ok"])' "$work/probe.json")
echo "package: installed probe: exit $rc, $ok of 3 attempts ok"
[ "$rc" = 0 ] && [ "$ok" = 3 ] || { echo "package: the installed probe failed"; exit 1; }
echo "package: ok"
