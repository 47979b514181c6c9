#!/usr/bin/env bash
# CI for the native addon:
#   1. build with AddressSanitizer + UBSan and run the native tap suite on it
#   2. build and run the C++ ring and pool stress executables under ThreadSanitizer
#   3. build from binding.gyp with node-gyp and run the native tap suite on it
#   4. fuzz the parsers of untrusted bytes for ~30 s (scripts/fuzz-native.sh)
# Installs missing build tools with apt-get. Prints each command, ends with
# "N passed, N failed", exits non-zero on any failure.
set -uo pipefail
cd "$(dirname "$0")/.."
passed=0
failed=0
failures=()

step() {
  local name=$1
  shift
  echo
  echo "=== native-ci: ${name}"
  echo "+ $*"
  local t0=$SECONDS
  if "$@"; then
    passed=$((passed + 1))
    echo "=== native-ci: ${name}: ok ($((SECONDS - t0)) s)"
  else
    failed=$((failed + 1))
    failures+=("$name")
    echo "=== native-ci: ${name}: FAILED ($((SECONDS - t0)) s)"
  fi
}

need=()
command -v cmake >/dev/null || need+=(cmake)
command -v g++ >/dev/null || need+=(g++)
command -v make >/dev/null || need+=(make)
[ -f /usr/include/zlib.h ] || need+=(zlib1g-dev)
if [ ${#need[@]} -gt 0 ]; then
  echo "=== native-ci: installing ${need[*]}"
  if [ "$(id -u)" = 0 ]; then sudo=""; else sudo="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq && $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" ||
    { echo "native-ci: apt-get install failed"; echo "0 passed, 1 failed"; exit 1; }
fi
libasan=$(g++ -print-file-name=libasan.so)
libtsan=$(g++ -print-file-name=libtsan.so)
if [ ! -f "$libasan" ] || [ ! -f "$libtsan" ]; then
  echo "=== native-ci: installing the GCC sanitizer runtimes"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq --no-install-recommends libasan8 libtsan2 libubsan1 ||
    { echo "native-ci: apt-get install failed"; echo "0 passed, 1 failed"; exit 1; }
fi

if [ ! -d node_modules ]; then step "npm install" npm install --no-audit --no-fund; fi
step "compile TypeScript" npx tsc -p tsconfig.json
step "build addon with ASan+UBSan (native/build-asan)" node scripts/build-native.js --sanitize=asan
step "native suite under ASan+UBSan" node scripts/native-test.js --asan
step "TSan stress: ring, pool, StatsD receiver, statfs" bash scripts/native-stress.sh
step "build addon with node-gyp from binding.gyp (build/)" node scripts/native-gyp.js
step "native suite against the node-gyp build" node scripts/native-test.js --gyp
step "fuzz dio/codec/ring/netlink parsers, libFuzzer+ASan (short)" bash scripts/fuzz-native.sh --short

echo
if [ ${#failures[@]} -gt 0 ]; then echo "native-ci: failed: ${failures[*]}"; fi
echo "${passed} passed, ${failed} failed"
[ "$failed" -eq 0 ]
