// Zero-copy file -> socket transfer of a byte range with sendfile(2).
#pragma once

#include <atomic>
#include <cstdint>

namespace outrider {
namespace io {

struct SendFileResult {
  uint64_t sent = 0;
  // 0 on success, else an errno value; kShortFile when the file ended before
  // the range did.
  int error = 0;
  const char* syscall = "sendfile";
};

constexpr int kShortFile = -1;

// Sends [offset, offset + length) of in_fd to out_fd. Handles partial sends,
// EINTR, and EAGAIN on a non-blocking socket by waiting for writability with
// poll(2) (in slices, so `stop` is honoured within ~100 ms; never a spin).
// A peer that goes away surfaces as EPIPE or ECONNRESET. Neither fd is
// closed.
SendFileResult SendFileRange(int out_fd, int in_fd, uint64_t offset, uint64_t length,
                             const std::atomic<bool>* stop);

}  // namespace io
}  // namespace outrider
