// Stress test of the StatsD receive path with its real threads (built under
// OUTRIDER_STRESS, run under ThreadSanitizer by scripts/native-stress.sh):
// a DgramReceiver with two SO_REUSEPORT UDP pipelines and one Unix datagram
// pipeline, each a receiver thread + SPSC ring + aggregator thread; a small
// ring forces full/empty transitions. Two sender threads (UDP, Unix) send
// multi-line packets while a drainer thread calls Drain() every millisecond,
// as the JS thread does once per flush. At the end every counter, timer
// sample, gauge and packet must be accounted for exactly. A second phase
// stops a receiver while it is being flooded and drained.
//   statsd_receiver_stress [packets_per_sender]
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "net/dgram_receiver.h"

using outrider::net::BoundListener;
using outrider::net::DgramReceiver;
using outrider::net::ReceiverOptions;
using outrider::statsd::MetricType;
using outrider::statsd::Slot;
using outrider::statsd::Slots;
using outrider::statsd::Stats;

namespace {

constexpr int kLinesPerPacket = 5;
constexpr uint32_t kWindow = 32;  // packets in flight per sender (well under any receive buffer)

struct Totals {
  std::map<std::string, double> counters;
  double timer_samples = 0;
  double gauges_seen = 0;
  uint64_t packets = 0;
  uint64_t lines = 0;
  uint64_t overflow = 0;
  uint64_t invalid = 0;
  uint64_t split_sets = 0;  // a set key in two slots of one drain (must be merged)
  double set_members = 0;

  void Add(Slots& slots, const Stats& st) {
    std::map<std::string, int> sets;
    for (const Slot& s : slots) {
      std::string name(s.Name());
      if (s.type == MetricType::kSet) {
        if (++sets[std::string(s.key())] > 1) ++split_sets;
        set_members = std::max(set_members, s.value);
      }
      if (s.type == MetricType::kCounter) counters[name] += s.value;
      if (s.type == MetricType::kTimer) timer_samples += s.sketch->count();
      if (s.type == MetricType::kGauge) gauges_seen += 1;
    }
    slots.clear();
    packets += st.packets;
    lines += st.lines;
    overflow += st.overflow;
    for (uint64_t n : st.invalid) invalid += n;
  }
};

std::string Packet(const char* who, uint32_t i) {
  std::string p;
  char line[128];
  std::snprintf(line, sizeof line, "stress.%s.c%u:1|c|#k:%u\n", who, i % 7, i % 97);
  p += line;
  std::snprintf(line, sizeof line, "stress.%s.t:%u|ms|#k:%u\n", who, i % 1000, i % 13);
  p += line;
  std::snprintf(line, sizeof line, "stress.%s.g%u:%u|g\n", who, i % 5, i);
  p += line;
  std::snprintf(line, sizeof line, "stress.%s.c%u:2|c|@0.5\n", who, i % 3);
  p += line;
  // Every pipeline sees the same set with the same few members.
  std::snprintf(line, sizeof line, "stress.users:u%u|s", i % 3);
  p += line;
  return p;
}

// Sends `count` packets, never more than kWindow ahead of what the receiver
// has fully processed (so UDP loses nothing to a full receive buffer).
bool Send(int fd, const sockaddr* to, socklen_t to_len, const char* who, uint32_t count, const DgramReceiver& r,
          std::atomic<uint64_t>* sent_total) {
  for (uint32_t i = 0; i < count; ++i) {
    std::string p = Packet(who, i);
    while (sent_total->load() >= r.Processed() + kWindow) std::this_thread::sleep_for(std::chrono::microseconds(50));
    if (sendto(fd, p.data(), p.size(), 0, to, to_len) != static_cast<ssize_t>(p.size())) {
      std::perror("sendto");
      return false;
    }
    sent_total->fetch_add(1);
  }
  return true;
}

// Shutdown under load: Stop() while senders blast (non-blocking, losses
// allowed) and a drainer runs; must neither race nor hang.
bool StopUnderLoad() {
  ReceiverOptions opts;
  outrider::net::ListenerSpec udp;
  udp.host = "127.0.0.1";
  opts.listeners.push_back(udp);
  opts.threads_per_udp = 2;
  opts.ring_bytes = 4096;
  std::vector<BoundListener> bound;
  std::string code, message;
  std::unique_ptr<DgramReceiver> r = DgramReceiver::Open(opts, &bound, &code, &message);
  if (!r) return false;
  r->Start();
  std::atomic<bool> done{false};
  std::thread sender([&] {
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(static_cast<uint16_t>(bound[0].port));
    inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
    for (uint32_t i = 0; !done.load(); ++i) {
      std::string p = Packet("stop", i);
      sendto(fd, p.data(), p.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof to);
    }
    close(fd);
  });
  std::thread drainer([&] {
    Slots slots;
    while (!done.load()) {
      Stats st;
      r->Drain(&slots, &st);
      slots.clear();
    }
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  r->Stop();
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  done.store(true);
  sender.join();
  drainer.join();
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  const uint32_t per_sender = argc > 1 ? static_cast<uint32_t>(std::strtoul(argv[1], nullptr, 10)) : 20000;
  char path[108];
  std::snprintf(path, sizeof path, "/tmp/outrider-statsd-stress-%d.sock", static_cast<int>(getpid()));

  ReceiverOptions opts;
  outrider::net::ListenerSpec udp;
  udp.host = "127.0.0.1";
  opts.listeners.push_back(udp);
  outrider::net::ListenerSpec unix_spec;
  unix_spec.unix_socket = true;
  unix_spec.path = path;
  opts.listeners.push_back(unix_spec);
  opts.threads_per_udp = 2;
  opts.ring_bytes = 4096;
  opts.max_keys = 100000;
  std::vector<BoundListener> bound;
  std::string code, message;
  std::unique_ptr<DgramReceiver> r = DgramReceiver::Open(opts, &bound, &code, &message);
  if (!r) {
    std::fprintf(stderr, "statsd_receiver_stress: open failed: %s %s\n", code.c_str(), message.c_str());
    return 1;
  }
  r->Start();

  Totals totals;
  std::mutex totals_mu;
  std::atomic<bool> senders_done{false};
  std::thread drainer([&] {
    Slots slots;
    while (!senders_done.load()) {
      Stats st;
      r->Drain(&slots, &st);
      {
        std::lock_guard<std::mutex> lock(totals_mu);
        totals.Add(slots, st);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  });

  std::atomic<uint64_t> sent{0};
  bool ok = true;
  std::thread udp_sender([&] {
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(static_cast<uint16_t>(bound[0].port));
    inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
    // Several source ports, so SO_REUSEPORT spreads the load over both UDP pipelines.
    std::vector<int> fds{fd, socket(AF_INET, SOCK_DGRAM, 0), socket(AF_INET, SOCK_DGRAM, 0), socket(AF_INET, SOCK_DGRAM, 0)};
    for (uint32_t part = 0; part < fds.size(); ++part) {
      if (!Send(fds[part], reinterpret_cast<sockaddr*>(&to), sizeof to, "udp", per_sender / 4, *r, &sent)) ok = false;
    }
    for (int f : fds) close(f);
  });
  std::thread unix_sender([&] {
    int fd = socket(AF_UNIX, SOCK_DGRAM, 0);
    sockaddr_un to{};
    to.sun_family = AF_UNIX;
    std::memcpy(to.sun_path, path, std::strlen(path) + 1);
    if (!Send(fd, reinterpret_cast<sockaddr*>(&to), sizeof to, "unix", per_sender, *r, &sent)) ok = false;
    close(fd);
  });
  udp_sender.join();
  unix_sender.join();

  // Wait until every packet went through its aggregator.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (r->Processed() < sent.load() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  senders_done.store(true);
  drainer.join();
  {
    Slots slots;
    Stats st;
    r->Drain(&slots, &st);
    totals.Add(slots, st);
  }
  r->Stop();

  const uint32_t udp_packets = (per_sender / 4) * 4;
  const uint64_t packets = udp_packets + per_sender;
  // Line 1 adds 1, line 4 adds 2 at rate 0.5 (= 4): 5 per packet.
  double want_counter_sum = 5.0 * static_cast<double>(packets);
  double counter_sum = 0;
  for (const auto& [name, v] : totals.counters) counter_sum += v;
  bool pass = ok;
  auto check = [&](const char* what, double got, double want) {
    if (got != want) {
      std::fprintf(stderr, "statsd_receiver_stress: %s = %.0f, want %.0f\n", what, got, want);
      pass = false;
    }
  };
  check("packets", static_cast<double>(totals.packets), static_cast<double>(packets));
  check("lines", static_cast<double>(totals.lines), static_cast<double>(packets * kLinesPerPacket));
  check("counter sum", counter_sum, want_counter_sum);
  check("timer samples", totals.timer_samples, static_cast<double>(packets));
  check("overflow", static_cast<double>(totals.overflow), 0);
  check("invalid lines", static_cast<double>(totals.invalid), 0);
  check("set keys split over slots in one drain", static_cast<double>(totals.split_sets), 0);
  if (totals.set_members > 3) {
    std::fprintf(stderr, "statsd_receiver_stress: a set counted %.0f members of 3\n", totals.set_members);
    pass = false;
  }
  if (totals.gauges_seen < 1) pass = false;
  if (!pass) return 1;
  if (!StopUnderLoad()) {
    std::fprintf(stderr, "statsd_receiver_stress: stop under load failed to open\n");
    return 1;
  }
  std::printf("statsd_receiver_stress: %llu packets (%llu lines) over 2 UDP + 1 Unix pipelines, all counted\n",
              static_cast<unsigned long long>(packets), static_cast<unsigned long long>(packets * kLinesPerPacket));
  return 0;
}
