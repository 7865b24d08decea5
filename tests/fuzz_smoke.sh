#!/usr/bin/env bash
# fuzz_smoke.sh - a short libFuzzer run of every fuzz target: a clang build
# with CD_FUZZ=ON (the libraries instrumented for coverage, ASan and UBSan),
# then each target for a few seconds from a copy of its corpus (as many at
# once as there are cores), so the run adds nothing to the repository.
# Fails on any crash, leak, timeout or sanitizer report; the log and the
# reproducer are left in the work folder it names.
#
# usage: tests/fuzz_smoke.sh [BUILD_DIR]   (default build-fuzz)
# CD_FUZZ_SECONDS (default 4) sets each target's time.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$top/build-fuzz}
secs=${CD_FUZZ_SECONDS:-4}

if ! command -v clang >/dev/null; then
	echo "fuzz smoke: skipped (no clang)"
	exit 0
fi
CC=clang cmake -S "$top" -B "$build" -DCD_FUZZ=ON -DCD_WERROR=ON \
	-DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
mapfile -t targets < <(cd "$top/fuzz" && ls fuzz_*.c | sed 's/\.c$//')
cmake --build "$build" -j"$(nproc)" --target "${targets[@]}"

work=$(mktemp -d /tmp/conndoctor-fuzz.XXXXXX)

# One target from a copy of its corpus; its verdict goes to $work/$t/result.
run_one() {
	local t=$1 d=$work/$1
	mkdir -p "$d/corpus" "$d/artifacts"
	cp -r "$top/fuzz/corpus/$t/." "$d/corpus/"
	if ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
		UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		"$build/$t" -max_total_time="$secs" -rss_limit_mb=2048 \
		-timeout=10 -print_final_stats=1 \
		-artifact_prefix="$d/artifacts/" "$d/corpus" >"$d/log" 2>&1 &&
		! grep -q 'runtime error' "$d/log"; then
		echo "fuzz smoke: $t ok ($(grep -o 'cov: [0-9]*' "$d/log" |
			tail -1), $(grep -o 'number_of_executed_units: [0-9]*' \
			"$d/log" | grep -o '[0-9]*$') runs)" >"$d/result"
	else
		{
			echo "fuzz smoke: $t FAILED; log and reproducer in $d"
			grep -m5 -E 'ERROR|runtime error|SUMMARY|property violated' \
				"$d/log" || tail -20 "$d/log"
		} >"$d/result"
	fi
}

# As many targets at once as there are cores.
running=0
for t in "${targets[@]}"; do
	if [ "$running" -ge "$(nproc)" ]; then
		wait -n || true
		running=$((running - 1))
	fi
	run_one "$t" &
	running=$((running + 1))
done
wait
status=0
for t in "${targets[@]}"; do
	cat "$work/$t/result"
	grep -q FAILED "$work/$t/result" && status=1
done
[ "$status" = 0 ] && rm -rf "$work"
exit "$status"
