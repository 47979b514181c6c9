#!/usr/bin/env bash
# Fuzzes the addon's parsers of untrusted bytes with libFuzzer + ASan/UBSan:
#   dio    direct-I/O append file recovery from a file on disk (trailer, tail)
#   codec  snappy / gzip / zlib decoders (request bodies, spool); CRC-32C paths agree
#   ring   the native ring consumer over ring bytes any JS code can write
#   netlink  rtnetlink link dump replies (netclass's interface state)
# Targets and seed corpora: native/fuzz/<name>/ (native/fuzz/statsd/ has its
# own script, scripts/fuzz-statsd.sh).
#
#   scripts/fuzz-native.sh --short        ~30 s of fuzzing in all (CI)
#   scripts/fuzz-native.sh --seconds N    N seconds in all, split between targets
#   scripts/fuzz-native.sh                300 seconds in all
#
# Installs clang and libFuzzer with apt-get when missing. Binaries, the
# growing corpus and crash inputs go to native/build-fuzz/<name>/ (untracked).
# Ends with "N passed, N failed" (one per target); exits non-zero on a crash.
set -uo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
total=300
while [ $# -gt 0 ]; do
  case "$1" in
    --short) total=30 ;;
    --seconds) shift; total="${1:-}" ;;
    --seconds=*) total="${1#--seconds=}" ;;
    *) echo "usage: $0 [--short | --seconds N]" >&2; exit 2 ;;
  esac
  shift
done
case "$total" in '' | *[!0-9]*) echo "fuzz-native: --seconds needs a whole number" >&2; exit 2 ;; esac

targets=(dio codec ring netlink)

have_fuzzer() {
  cxx="$(command -v clang++ || command -v clang++-14 || true)"
  [ -n "$cxx" ] && echo 'extern "C" int LLVMFuzzerTestOneInput(const unsigned char*, unsigned long){return 0;}' |
    "$cxx" -x c++ -fsanitize=fuzzer,address - -o /dev/null 2>/dev/null
}
if ! have_fuzzer; then
  echo "fuzz-native: installing clang and libFuzzer"
  if [ "$(id -u)" = 0 ]; then sudo=""; else sudo="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq >/dev/null && $sudo apt-get install -y -qq --no-install-recommends clang libfuzzer-14-dev zlib1g-dev >/dev/null
  if ! have_fuzzer; then
    echo "fuzz-native: clang with libFuzzer is not available (apt-get install -y clang libfuzzer-14-dev)"
    echo "0 passed, ${#targets[@]} failed"
    exit 1
  fi
fi

src="$repo/native/src"
flags=(-std=c++17 -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer -I"$src")
sources_for() {
  case "$1" in
    dio) echo "$src/io/direct_file.cc $src/codec/crc32c.cc" ;;
    codec) echo "$src/codec/snappy.cc $src/codec/zlib_codec.cc $src/codec/crc32c.cc" ;;
    ring) echo "$src/ring/spsc_ring.cc" ;;
    netlink) echo "$src/net/netlink_link.cc" ;;
  esac
}
per=$(( total / ${#targets[@]} ))
[ "$per" -lt 1 ] && per=1
scratch=$(mktemp -d "${TMPDIR:-/tmp}/outrider-fuzz-XXXXXX")
[ -d /dev/shm ] && [ -w /dev/shm ] && scratch_io=$(mktemp -d /dev/shm/outrider-fuzz-XXXXXX) || scratch_io="$scratch"
trap 'rm -rf "$scratch" "$scratch_io"' EXIT

passed=0
failed=0
failures=()
for name in "${targets[@]}"; do
  dir="$repo/native/fuzz/$name"
  out="$repo/native/build-fuzz/$name"
  mkdir -p "$out/work" "$out/artifacts"
  echo
  echo "=== fuzz-native: $name: build"
  # shellcheck disable=SC2046
  if ! "$cxx" "${flags[@]}" "$dir/fuzz_$name.cc" $(sources_for "$name") -lz -o "$out/fuzz_$name"; then
    failed=$((failed + 1)); failures+=("$name (build)"); continue
  fi
  echo "=== fuzz-native: $name: ${per} s (corpus: $dir/corpus + $out/work)"
  log="$scratch/$name.log"
  FUZZ_DIO_DIR="$scratch_io" "$out/fuzz_$name" -max_total_time="$per" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
    -artifact_prefix="$out/artifacts/" -print_final_stats=1 "$out/work" "$dir/corpus" >"$log" 2>&1
  rc=$?
  grep -aE '^(Done|stat::number_of_executed_units|stat::peak_rss_mb)|INFO: seed corpus' "$log" | sed 's/^/  /'
  if [ "$rc" -eq 0 ]; then
    passed=$((passed + 1)); echo "=== fuzz-native: $name: ok"
  else
    failed=$((failed + 1)); failures+=("$name")
    tail -n 60 "$log"
    crash=$(ls -t "$out/artifacts" 2>/dev/null | head -n 1)
    echo "=== fuzz-native: $name: FAILED (exit $rc)"
    [ -n "$crash" ] && echo "    reproduce: $out/fuzz_$name $out/artifacts/$crash"
  fi
done

echo
if [ ${#failures[@]} -gt 0 ]; then echo "fuzz-native: failed: ${failures[*]}"; fi
echo "${passed} passed, ${failed} failed"
[ "$failed" -eq 0 ]
