#!/usr/bin/env bash
# Builds the binary in every CMake build type (Release, Debug, MinSizeRel,
# RelWithDebInfo) with gcc and, when present, clang, warnings as errors: a
# user's plain `cmake -DCMAKE_BUILD_TYPE=Release` must build.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
base=${CD_BUILD_DIR:-$top/build}-types
jobs=$(nproc)
status=0
for cc in gcc clang; do
  if ! command -v "$cc" >/dev/null; then
    echo "build types: $cc not installed, skipped"
    continue
  fi
  for type in Release Debug MinSizeRel RelWithDebInfo; do
    dir=$base/$cc-$type
    log=$dir.log
    mkdir -p "$dir"
    if CC=$cc cmake -S "$top" -B "$dir" -DCMAKE_BUILD_TYPE=$type -DCD_WERROR=ON >"$log" 2>&1 &&
       cmake --build "$dir" -j"$jobs" --target conndoctor >>"$log" 2>&1; then
      echo "build types: $cc $type ok"
    else
      echo "build types: $cc $type FAILED"; grep -m10 -E 'error|Error' "$log" || true
      status=1
    fi
  done
done
exit "$status"
