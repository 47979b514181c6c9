// Datagram receive pipelines for StatsD: UDP (IPv4/IPv6, N sockets on one
// port with SO_REUSEPORT) and Unix datagram sockets. No Node-API.
//
// One pipeline per socket:
//
//   receiver thread: poll + recvmmsg(MSG_DONTWAIT) into its own block of
//     kBatch buffers of max_packet bytes (allocated once); a datagram flagged
//     MSG_TRUNC was larger than the limit and is counted, not used; the others
//     are staged into an SPSC ring (ring/spsc_ring.h) and published per batch.
//     A full ring makes the receiver wait (the kernel buffer absorbs bursts and
//     counts what it drops in /proc/net/udp).
//   aggregator thread: drains the ring and parses + aggregates every packet
//     (statsd/aggregator.h) under the pipeline's mutex.
//
// The JS thread only calls Drain() once per flush interval: it takes each
// pipeline's mutex just long enough to move the interval's slots out.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "statsd/aggregator.h"

namespace outrider {
namespace net {

struct ListenerSpec {
  bool unix_socket = false;
  std::string host;  // numeric address (UDP)
  int port = 0;
  int family = 4;    // 4 or 6
  std::string path;  // Unix socket path
  int mode = 0622;   // Unix socket file mode
};

struct BoundListener {
  bool unix_socket = false;
  std::string address;
  int port = 0;
  int family = 4;
  std::string path;
  int receive_buffer = 0;  // SO_RCVBUF as granted (getsockopt)
  int sockets = 0;
};

struct ReceiverOptions {
  std::vector<ListenerSpec> listeners;
  int receive_buffer = 0;  // 0: system default
  uint32_t max_packet = 8192;
  int threads_per_udp = 1;
  size_t max_keys = 1000000;
  uint32_t ring_bytes = 2u << 20;
};

struct Pipeline;

class DgramReceiver {
 public:
  ~DgramReceiver();

  // Opens and binds every socket. On failure returns nullptr and sets
  // *err_code (errno name, e.g. "EADDRINUSE"), *err_message (the reason,
  // without the address) and *err_listener (index of the listener that
  // failed, when not null); nothing stays open.
  static std::unique_ptr<DgramReceiver> Open(const ReceiverOptions& opts, std::vector<BoundListener>* bound,
                                             std::string* err_code, std::string* err_message,
                                             size_t* err_listener = nullptr);

  void Start();
  // Stops and joins every thread, closes sockets, removes Unix socket files.
  // Idempotent.
  void Stop();

  // Everything aggregated since the previous call, over all pipelines (a set
  // seen by several pipelines comes out as one slot with its members united).
  void Drain(statsd::Slots* slots, statsd::Stats* stats);

  // Packets fully parsed so far (monotonic).
  uint64_t Processed() const;

 private:
  DgramReceiver() = default;
  std::vector<std::unique_ptr<Pipeline>> pipelines_;
  std::vector<std::string> unix_paths_;
  bool started_ = false;
  bool stopped_ = false;
};

}  // namespace net
}  // namespace outrider
