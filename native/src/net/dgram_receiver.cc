#include "net/dgram_receiver.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "ring/spsc_ring.h"
#include "sys/errno_name.h"
#include "sys/unique_fd.h"

namespace outrider {
namespace net {

namespace {

constexpr int kBatch = 64;
// How long a receiver waits for ring space before it checks `stop` again (only while the ring is full), and
// without an eventfd how long it waits for a datagram.
constexpr int kPollMs = 100;
// How long an idle aggregator sleeps in the ring's futex before it looks again. The receiver's Close wakes it at
// once; the timeout only bounds the rare stop whose wake falls between the aggregator's last check and its sleep.
constexpr int kIdleWaitMs = 1000;

using Fd = sys::UniqueFd;
using sys::ErrnoName;

int GrantReceiveBuffer(int fd, int want) {
  if (want > 0) {
    // SO_RCVBUFFORCE passes net.core.rmem_max when privileged; else the
    // kernel caps SO_RCVBUF at rmem_max.
    if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &want, sizeof want) != 0) {
      setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &want, sizeof want);
    }
  }
  int got = 0;
  socklen_t len = sizeof got;
  getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &got, &len);
  return got;
}

}  // namespace

struct Pipeline {
  Pipeline(int fd_in, uint32_t max_packet, uint32_t ring_bytes, size_t max_keys)
      : fd(fd_in),
        wake(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)),
        max_packet(max_packet),
        ring_mem(new uint8_t[ring::kHeaderBytes + ring_bytes]),
        agg(max_keys) {
    ring::Initialise(ring_mem.get(), ring_bytes);
  }

  // Idle, both threads sleep until there is work: the receiver in poll(2) on the socket and `wake` (written by
  // Stop), the aggregator in the ring's futex (woken by Publish, and by Close when the receiver ends; at most
  // kIdleWaitMs). A 100 ms wake-up to look at `stop` cost each idle thread 10 wake-ups a second; without an eventfd
  // the receiver falls back to it.
  Fd fd;
  Fd wake;
  uint32_t max_packet;
  std::unique_ptr<uint8_t[]> ring_mem;
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> too_large{0};
  std::atomic<uint64_t> processed{0};
  std::mutex mu;
  statsd::Aggregator agg;
  std::thread receiver;
  std::thread aggregator;

  void Receive() {
    ring::Producer producer(ring_mem.get());
    std::unique_ptr<uint8_t[]> block(new uint8_t[static_cast<size_t>(kBatch) * max_packet]);
    mmsghdr msgs[kBatch];
    iovec iov[kBatch];
    for (int i = 0; i < kBatch; ++i) {
      iov[i].iov_base = block.get() + static_cast<size_t>(i) * max_packet;
      iov[i].iov_len = max_packet;
    }
    uint32_t max_record = producer.max_record_length();
    const bool woken_by_stop = wake.get() >= 0;
    while (!stop.load(std::memory_order_relaxed)) {
      pollfd p[2] = {{fd.get(), POLLIN, 0}, {wake.get(), POLLIN, 0}};
      int pr = poll(p, woken_by_stop ? 2 : 1, woken_by_stop ? -1 : kPollMs);
      if (pr <= 0 || p[0].revents == 0) continue;
      for (;;) {
        std::memset(msgs, 0, sizeof msgs);
        for (int i = 0; i < kBatch; ++i) {
          msgs[i].msg_hdr.msg_iov = &iov[i];
          msgs[i].msg_hdr.msg_iovlen = 1;
        }
        int n = recvmmsg(fd.get(), msgs, kBatch, MSG_DONTWAIT, nullptr);
        if (n <= 0) break;
        uint64_t large = 0;
        for (int i = 0; i < n; ++i) {
          uint32_t len = msgs[i].msg_len;
          if ((msgs[i].msg_hdr.msg_flags & MSG_TRUNC) || len > max_record) {
            ++large;
            continue;
          }
          while (!producer.TryStage(iov[i].iov_base, len)) {
            producer.Publish();
            if (stop.load(std::memory_order_relaxed)) break;
            producer.WaitForSpace(len, kPollMs);
          }
        }
        producer.Publish();
        if (large) {
          too_large.fetch_add(large, std::memory_order_relaxed);
          processed.fetch_add(large, std::memory_order_release);
        }
        if (n < kBatch || stop.load(std::memory_order_relaxed)) break;
      }
    }
    producer.Close();
  }

  void Aggregate() {
    ring::Consumer consumer(ring_mem.get());
    for (;;) {
      ring::WaitResult w = consumer.WaitForData(kIdleWaitMs);
      uint32_t got;
      {
        std::lock_guard<std::mutex> lock(mu);
        got = consumer.Drain(
            [this](const uint8_t* data, uint32_t len) { agg.IngestPacket(reinterpret_cast<const char*>(data), len); },
            256);
      }
      if (got) processed.fetch_add(got, std::memory_order_release);
      if (w == ring::WaitResult::kClosed && got == 0) break;
    }
  }
};

DgramReceiver::~DgramReceiver() { Stop(); }

std::unique_ptr<DgramReceiver> DgramReceiver::Open(const ReceiverOptions& opts, std::vector<BoundListener>* bound,
                                                   std::string* err_code, std::string* err_message,
                                                   size_t* err_listener) {
  std::unique_ptr<DgramReceiver> r(new DgramReceiver());
  size_t index = 0;
  auto fail = [&](int e, const char* detail = nullptr) -> std::unique_ptr<DgramReceiver> {
    *err_code = ErrnoName(e);
    *err_message = detail != nullptr ? std::string(detail) + " (" + std::strerror(e) + ")" : std::strerror(e);
    if (err_listener != nullptr) *err_listener = index;
    r->Stop();
    return nullptr;
  };
  for (; index < opts.listeners.size(); ++index) {
    const ListenerSpec& spec = opts.listeners[index];
    BoundListener b;
    b.unix_socket = spec.unix_socket;
    if (spec.unix_socket) {
      b.path = spec.path;
      sockaddr_un sa{};
      sa.sun_family = AF_UNIX;
      if (spec.path.size() >= sizeof sa.sun_path) return fail(ENAMETOOLONG);
      std::memcpy(sa.sun_path, spec.path.c_str(), spec.path.size() + 1);
      struct stat st;
      if (lstat(spec.path.c_str(), &st) == 0) {
        // A stale socket from a previous run is removed; anything else is not ours.
        if (!S_ISSOCK(st.st_mode)) return fail(EEXIST, "exists and is not a socket");
        unlink(spec.path.c_str());
      }
      Fd fd(socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
      if (fd.get() < 0) return fail(errno);
      if (bind(fd.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) return fail(errno);
      r->unix_paths_.push_back(spec.path);
      chmod(spec.path.c_str(), static_cast<mode_t>(spec.mode));
      b.receive_buffer = GrantReceiveBuffer(fd.get(), opts.receive_buffer);
      b.sockets = 1;
      r->pipelines_.emplace_back(new Pipeline(fd.Release(), opts.max_packet, opts.ring_bytes, opts.max_keys));
      bound->push_back(b);
      continue;
    }
    sockaddr_storage ss{};
    socklen_t sl;
    if (spec.family == 6) {
      auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
      a->sin6_family = AF_INET6;
      if (inet_pton(AF_INET6, spec.host.c_str(), &a->sin6_addr) != 1) return fail(EINVAL);
      a->sin6_port = htons(static_cast<uint16_t>(spec.port));
      sl = sizeof(sockaddr_in6);
    } else {
      auto* a = reinterpret_cast<sockaddr_in*>(&ss);
      a->sin_family = AF_INET;
      if (inet_pton(AF_INET, spec.host.c_str(), &a->sin_addr) != 1) return fail(EINVAL);
      a->sin_port = htons(static_cast<uint16_t>(spec.port));
      sl = sizeof(sockaddr_in);
    }
    int threads = opts.threads_per_udp < 1 ? 1 : opts.threads_per_udp;
    for (int t = 0; t < threads; ++t) {
      int raw = socket(spec.family == 6 ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
      if (raw < 0) return fail(errno);
      Fd fd(raw);
      int one = 1;
      if (spec.family == 6) setsockopt(raw, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
      // SO_REUSEPORT only for a group of our own sockets: a single socket
      // keeps the port exclusive, so a busy port fails loudly.
      if (threads > 1) setsockopt(raw, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
      int granted = GrantReceiveBuffer(raw, opts.receive_buffer);
      if (bind(raw, reinterpret_cast<sockaddr*>(&ss), sl) != 0) return fail(errno);
      if (t == 0) {
        sockaddr_storage got{};
        socklen_t gl = sizeof got;
        getsockname(raw, reinterpret_cast<sockaddr*>(&got), &gl);
        char text[INET6_ADDRSTRLEN] = {0};
        int port;
        if (spec.family == 6) {
          auto* a = reinterpret_cast<sockaddr_in6*>(&got);
          inet_ntop(AF_INET6, &a->sin6_addr, text, sizeof text);
          port = ntohs(a->sin6_port);
          reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port = a->sin6_port;
        } else {
          auto* a = reinterpret_cast<sockaddr_in*>(&got);
          inet_ntop(AF_INET, &a->sin_addr, text, sizeof text);
          port = ntohs(a->sin_port);
          reinterpret_cast<sockaddr_in*>(&ss)->sin_port = a->sin_port;
        }
        b.address = text;
        b.port = port;
        b.family = spec.family;
        b.receive_buffer = granted;
      }
      r->pipelines_.emplace_back(new Pipeline(fd.Release(), opts.max_packet, opts.ring_bytes, opts.max_keys));
      b.sockets++;
    }
    bound->push_back(b);
  }
  return r;
}

void DgramReceiver::Start() {
  if (started_ || stopped_) return;
  started_ = true;
  for (auto& p : pipelines_) {
    Pipeline* raw = p.get();
    raw->aggregator = std::thread([raw] { raw->Aggregate(); });
    raw->receiver = std::thread([raw] { raw->Receive(); });
  }
}

void DgramReceiver::Stop() {
  if (stopped_) return;
  stopped_ = true;
  for (auto& p : pipelines_) {
    p->stop.store(true, std::memory_order_relaxed);
    if (p->wake.get() >= 0) {
      uint64_t one = 1;
      // Nonblocking: a full counter (never, at one write per pipeline) already wakes the poll.
      ssize_t n = write(p->wake.get(), &one, sizeof one);
      (void)n;
    }
  }
  for (auto& p : pipelines_) {
    if (p->receiver.joinable()) p->receiver.join();
    if (p->aggregator.joinable()) p->aggregator.join();
    p->fd.Reset();
  }
  for (const std::string& path : unix_paths_) unlink(path.c_str());
  unix_paths_.clear();
}

namespace {

// A set seen by several pipelines (SO_REUSEPORT sockets, or UDP and Unix
// listeners) arrives as one slot per pipeline; its members are united here so
// a member sent on two sockets counts once. Other types add up correctly
// across slots downstream (counters, sketches) or keep one value (gauges).
void MergeSets(statsd::Slots* slots, size_t first) {
  std::unordered_map<std::string_view, size_t> seen;
  size_t out = first;
  for (size_t i = first; i < slots->size(); ++i) {
    statsd::Slot& s = (*slots)[i];
    if (s.type == statsd::MetricType::kSet) {
      auto [it, inserted] = seen.emplace(s.key(), out);
      if (!inserted) {
        statsd::Slot& into = (*slots)[it->second];
        into.members->merge(*s.members);
        into.value = static_cast<double>(into.members->size());
        into.timestamp = std::max(into.timestamp, s.timestamp);
        continue;
      }
    }
    if (out != i) (*slots)[out] = std::move(s);
    ++out;
  }
  slots->Truncate(out);
}

}  // namespace

void DgramReceiver::Drain(statsd::Slots* slots, statsd::Stats* stats) {
  size_t first = slots->size();
  for (auto& p : pipelines_) {
    {
      std::lock_guard<std::mutex> lock(p->mu);
      p->agg.Drain(slots, stats);
    }
    stats->too_large += p->too_large.exchange(0, std::memory_order_relaxed);
  }
  if (pipelines_.size() > 1) MergeSets(slots, first);
}

uint64_t DgramReceiver::Processed() const {
  uint64_t n = 0;
  for (const auto& p : pipelines_) n += p->processed.load(std::memory_order_acquire);
  return n;
}

}  // namespace net
}  // namespace outrider
