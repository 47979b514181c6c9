// One rtnetlink RTM_GETLINK dump: every link of the caller's network namespace
// with its state, addresses and 64-bit counters, in one request and a few
// reply datagrams, where sysfs takes one open/read/close per attribute.
//
// The socket (AF_NETLINK, NETLINK_ROUTE, no multicast groups) is kept open
// between dumps when `keep_open`, else opened per dump; any failure closes it,
// so a dump never reads what a failed one left queued. Replies are matched on
// the request's sequence number and the socket's port id. The receive buffer
// starts at kInitialBuffer and doubles up to kMaxBuffer when the kernel flags
// a datagram MSG_TRUNC (the dump then starts over, counted); a dump the kernel
// marks interrupted (NLM_F_DUMP_INTR: a link came or went meanwhile) starts
// over too, at most kMaxAttempts times in all. A receive timeout bounds a wait
// for a kernel that does not answer.
#pragma once

#include <cstdint>
#include <vector>

#include "net/netlink_link.h"
#include "sys/unique_fd.h"

namespace outrider {
namespace net {

struct LinkDumpStats {
  uint64_t dumps = 0;        // dumps that completed
  uint64_t failures = 0;     // dumps that ended in an error
  uint64_t truncated = 0;    // datagrams flagged MSG_TRUNC (buffer grown, dump restarted)
  uint64_t interrupted = 0;  // dumps restarted after NLM_F_DUMP_INTR
  uint64_t skipped = 0;      // messages of another sequence or port
  uint64_t sockets = 0;      // sockets opened
  uint32_t buffer_bytes = 0; // current receive buffer
};

class LinkDumper {
 public:
  static constexpr size_t kInitialBuffer = 32 * 1024;
  static constexpr size_t kMaxBuffer = 1024 * 1024;
  static constexpr int kMaxAttempts = 4;
  static constexpr size_t kMaxLinks = 65536;
  static constexpr int kReceiveTimeoutMs = 2000;

  explicit LinkDumper(bool keep_open) : keep_open_(keep_open) {}

  // Fills `out` with every link. 0, or an errno: the failing call's, the one
  // NLMSG_ERROR carried, EBADMSG for a malformed reply, EMSGSIZE when a
  // datagram exceeds kMaxBuffer, E2BIG past kMaxLinks, EAGAIN after
  // kMaxAttempts interrupted dumps or the receive timeout. `syscall` names
  // the call that failed ("" for a reply problem).
  int Dump(std::vector<LinkRecord>& out, const char** syscall);

  const LinkDumpStats& stats() const { return stats_; }
  void Close() { fd_.Reset(); }

 private:
  int Open(const char** syscall);
  // One attempt; 0, an errno, or -1 to start over (buffer grown or dump interrupted).
  int Attempt(std::vector<LinkRecord>& out, const char** syscall);

  bool keep_open_;
  sys::UniqueFd fd_;
  uint32_t port_ = 0;
  uint32_t seq_ = 0;
  std::vector<uint8_t> buf_;
  LinkDumpStats stats_;
};

}  // namespace net
}  // namespace outrider
