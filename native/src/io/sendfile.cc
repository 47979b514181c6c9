// Implementation of sendfile.h.
#include "io/sendfile.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/sendfile.h>
#include <unistd.h>

#include <cerrno>

namespace outrider {
namespace io {

SendFileResult SendFileRange(int out_fd, int in_fd, uint64_t offset, uint64_t length,
                             const std::atomic<bool>* stop) {
  SendFileResult r;
  if (fcntl(out_fd, F_GETFD) < 0 || fcntl(in_fd, F_GETFD) < 0) {
    r.error = EBADF;
    r.syscall = "fcntl";
    return r;
  }
  off_t off = static_cast<off_t>(offset);
  uint64_t remaining = length;
  while (remaining > 0) {
    if (stop != nullptr && stop->load(std::memory_order_acquire)) {
      r.error = ECANCELED;
      return r;
    }
    // The kernel moves at most 0x7ffff000 bytes per call.
    size_t chunk = remaining > 0x7ffff000u ? 0x7ffff000u : static_cast<size_t>(remaining);
    ssize_t n = sendfile(out_fd, in_fd, &off, chunk);
    if (n > 0) {
      r.sent += static_cast<uint64_t>(n);
      remaining -= static_cast<uint64_t>(n);
      continue;
    }
    if (n == 0) {
      r.error = kShortFile;
      return r;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN) {
      struct pollfd p = {out_fd, POLLOUT, 0};
      int rc = poll(&p, 1, 100);
      if (rc < 0 && errno != EINTR) {
        r.error = errno;
        r.syscall = "poll";
        return r;
      }
      if (rc > 0 && (p.revents & POLLNVAL) != 0) {
        r.error = EBADF;
        r.syscall = "poll";
        return r;
      }
      // POLLOUT, POLLERR or POLLHUP: the next sendfile reports which.
      continue;
    }
    r.error = errno;
    return r;
  }
  return r;
}

}  // namespace io
}  // namespace outrider
