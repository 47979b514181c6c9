#!/usr/bin/env bash
# Builds the pure C++ stress executables (native/test/*_stress.cc) with
# ThreadSanitizer into native/build-tsan and runs them.
#   scripts/native-stress.sh [--no-tsan]
set -euo pipefail
cd "$(dirname "$0")/.."
san=tsan
build=native/build-tsan
if [ "${1:-}" = "--no-tsan" ]; then san=""; build=native/build-stress; fi
jobs=$(nproc 2>/dev/null || echo 2)
echo "+ cmake -S native -B $build -DOUTRIDER_ADDON=OFF -DOUTRIDER_STRESS=ON -DOUTRIDER_SANITIZE=$san"
cmake -S native -B "$build" -DCMAKE_BUILD_TYPE=Release -DOUTRIDER_ADDON=OFF -DOUTRIDER_STRESS=ON -DOUTRIDER_SANITIZE="$san" >/dev/null
echo "+ cmake --build $build -j $jobs"
cmake --build "$build" -j "$jobs" >/dev/null
export TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 ${TSAN_OPTIONS:-}"
status=0
# Smaller counts under TSan, which slows the threads 5-15x.
ring_records=${OUTRIDER_STRESS_RING_RECORDS:-$([ -n "$san" ] && echo 400000 || echo 5000000)}
pool_tasks=${OUTRIDER_STRESS_POOL_TASKS:-$([ -n "$san" ] && echo 6000 || echo 60000)}
statsd_packets=${OUTRIDER_STRESS_STATSD_PACKETS:-$([ -n "$san" ] && echo 40000 || echo 400000)}
dio_records=${OUTRIDER_STRESS_DIO_RECORDS:-$([ -n "$san" ] && echo 20000 || echo 100000)}
statfs_calls=${OUTRIDER_STRESS_STATFS_CALLS:-$([ -n "$san" ] && echo 5000 || echo 50000)}
for run in "ring_stress $ring_records 256" "ring_stress $((ring_records / 4)) 64" "pool_stress $pool_tasks 6" "statsd_receiver_stress $statsd_packets" "direct_file_stress $dio_records" "statfs_stress $statfs_calls 6"; do
  echo "+ $build/$run"
  # shellcheck disable=SC2086
  if ! "$build"/$run; then status=1; echo "FAILED: $run"; fi
done
exit $status
