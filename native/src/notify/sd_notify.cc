// Implementation of sd_notify.h.
#include "notify/sd_notify.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstring>
#include <vector>

#include "sys/unique_fd.h"

namespace outrider {
namespace notify {
namespace {

// Fills `addr` for `path`; returns the address length or 0 when invalid.
socklen_t MakeAddress(const std::string& path, struct sockaddr_un* addr) {
  std::memset(addr, 0, sizeof(*addr));
  addr->sun_family = AF_UNIX;
  if (path.size() < 2 || (path[0] != '/' && path[0] != '@')) return 0;
  if (path.size() >= sizeof(addr->sun_path)) return 0;
  std::memcpy(addr->sun_path, path.data(), path.size());
  if (path[0] == '@') {
    // Abstract namespace: leading NUL, length counts exactly the name.
    addr->sun_path[0] = '\0';
    return static_cast<socklen_t>(offsetof(struct sockaddr_un, sun_path) + path.size());
  }
  return static_cast<socklen_t>(offsetof(struct sockaddr_un, sun_path) + path.size() + 1);
}

using Fd = sys::UniqueFd;

}  // namespace

int SdNotify(const std::string& socket_path, const std::string& state) {
  struct sockaddr_un addr;
  socklen_t len = MakeAddress(socket_path, &addr);
  if (len == 0) return EINVAL;
  Fd fd(socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (fd.get() < 0) return errno;
  for (;;) {
    ssize_t n = sendto(fd.get(), state.data(), state.size(), MSG_NOSIGNAL | MSG_DONTWAIT,
                       reinterpret_cast<struct sockaddr*>(&addr), len);
    if (n >= 0) return 0;
    if (errno != EINTR) return errno;
  }
}

int BindUnixDgram(const std::string& path) {
  struct sockaddr_un addr;
  socklen_t len = MakeAddress(path, &addr);
  if (len == 0) return -EINVAL;
  Fd fd(socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (fd.get() < 0) return -errno;
  if (bind(fd.get(), reinterpret_cast<struct sockaddr*>(&addr), len) != 0) return -errno;
  return fd.Release();
}

int RecvUnixDgram(int fd, int timeout_ms, std::string* out) {
  struct pollfd p = {fd, POLLIN, 0};
  int rc;
  do {
    rc = poll(&p, 1, timeout_ms);
  } while (rc < 0 && errno == EINTR);
  if (rc < 0) return -errno;
  if (rc == 0) return 0;
  if ((p.revents & POLLNVAL) != 0) return -EBADF;
  std::vector<char> buf(65536);
  ssize_t n;
  do {
    n = recv(fd, buf.data(), buf.size(), MSG_DONTWAIT);
  } while (n < 0 && errno == EINTR);
  if (n < 0) return -errno;
  out->assign(buf.data(), static_cast<size_t>(n));
  return 1;
}

}  // namespace notify
}  // namespace outrider
