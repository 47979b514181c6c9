#!/usr/bin/env bash
# Fuzzes the native StatsD parser and aggregator with libFuzzer + ASan/UBSan.
#
#   scripts/fuzz-statsd.sh --short        ~45 s run (CI)
#   scripts/fuzz-statsd.sh 3600           one hour
#   scripts/fuzz-statsd.sh --short --jobs=2
#
# Needs clang and libFuzzer (Debian: apt-get install -y clang libfuzzer-14-dev).
# Without them it exits 0 with a note, unless CI=true, where it fails.
# New inputs go to native/fuzz/statsd/work/ (untracked); crashes to
# native/fuzz/statsd/artifacts/. The seed corpus is native/fuzz/statsd/corpus/.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
dir="$repo/native/fuzz/statsd"
seconds=600
extra=()
for a in "$@"; do
  case "$a" in
    --short) seconds=45 ;;
    --jobs=*) extra+=("-jobs=${a#--jobs=}" "-workers=${a#--jobs=}") ;;
    [0-9]*) seconds="$a" ;;
    *) echo "usage: $0 [--short | SECONDS] [--jobs=N]" >&2; exit 2 ;;
  esac
done
cxx="$(command -v clang++ || command -v clang++-14 || true)"
if [ -z "$cxx" ] || ! echo 'extern "C" int LLVMFuzzerTestOneInput(const unsigned char*, unsigned long){return 0;}' |
    "$cxx" -x c++ -fsanitize=fuzzer - -o /dev/null 2>/dev/null; then
  msg="clang with libFuzzer is not installed (apt-get install -y clang libfuzzer-14-dev)"
  if [ "${CI:-}" = "true" ]; then echo "fuzz-statsd: FAILED: $msg" >&2; exit 1; fi
  echo "fuzz-statsd: skipped: $msg"
  exit 0
fi
out="$dir/build"
mkdir -p "$out" "$dir/work" "$dir/artifacts"
src="$repo/native/src"
"$cxx" -std=c++17 -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer \
  -I"$src" "$dir/fuzz_statsd.cc" "$src/statsd/parser.cc" "$src/statsd/aggregator.cc" "$src/statsd/ddsketch.cc" \
  -o "$out/fuzz_statsd"
echo "fuzz-statsd: running for ${seconds}s"
"$out/fuzz_statsd" -max_total_time="$seconds" -max_len=9000 -timeout=10 -rss_limit_mb=2048 -detect_leaks=0 \
  -artifact_prefix="$dir/artifacts/" -print_final_stats=1 ${extra[@]+"${extra[@]}"} "$dir/work" "$dir/corpus"
