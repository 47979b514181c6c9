// libFuzzer target for the StatsD parser and aggregator (native/src/statsd).
// Each input is one datagram; every 64 inputs the aggregator is drained so
// the drain path and the sketches' quantiles run too. Built with ASan + UBSan
// by scripts/fuzz-statsd.sh (with -detect_leaks=0: the aggregator keeps
// state across inputs on purpose; a leak check at exit still runs).
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "statsd/aggregator.h"

using outrider::statsd::Aggregator;
using outrider::statsd::Slot;
using outrider::statsd::Slots;
using outrider::statsd::Stats;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Aggregator agg(4096);
  static int n = 0;
  agg.IngestPacket(reinterpret_cast<const char*>(data), size);
  if (++n % 64 == 0) {
    Slots slots;
    Stats stats;
    agg.Drain(&slots, &stats);
    for (const Slot& s : slots) {
      // Negative counter increments are refused, so a counter slot never goes down.
      if (s.type == outrider::statsd::MetricType::kCounter && !(s.value >= 0)) __builtin_trap();
      if (s.sketch) {
        double q = s.sketch->Quantile(0.5);
        if (s.sketch->count() > 0 && !std::isnan(q) && (q < s.sketch->min() || q > s.sketch->max())) __builtin_trap();
      }
    }
  }
  return 0;
}
