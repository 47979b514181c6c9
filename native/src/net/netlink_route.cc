#include "net/netlink_route.h"

#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <cerrno>
#include <cstring>

namespace outrider {
namespace net {

int LinkDumper::Open(const char** syscall) {
  sys::UniqueFd fd(::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE));
  if (fd.get() < 0) {
    *syscall = "socket";
    return errno;
  }
  struct timeval tv {};
  tv.tv_sec = kReceiveTimeoutMs / 1000;
  tv.tv_usec = (kReceiveTimeoutMs % 1000) * 1000;
  if (::setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) != 0) {
    *syscall = "setsockopt";
    return errno;
  }
  struct sockaddr_nl local {};
  local.nl_family = AF_NETLINK;  // nl_pid 0: the kernel assigns the port id
  if (::bind(fd.get(), reinterpret_cast<struct sockaddr*>(&local), sizeof local) != 0) {
    *syscall = "bind";
    return errno;
  }
  socklen_t len = sizeof local;
  if (::getsockname(fd.get(), reinterpret_cast<struct sockaddr*>(&local), &len) != 0) {
    *syscall = "getsockname";
    return errno;
  }
  port_ = local.nl_pid;
  fd_ = std::move(fd);
  ++stats_.sockets;
  return 0;
}

int LinkDumper::Attempt(std::vector<LinkRecord>& out, const char** syscall) {
  if (fd_.get() < 0) {
    int err = Open(syscall);
    if (err != 0) return err;
  }
  if (buf_.empty()) buf_.resize(kInitialBuffer);
  stats_.buffer_bytes = static_cast<uint32_t>(buf_.size());

  struct {
    struct nlmsghdr hdr;
    struct ifinfomsg ifi;
  } req {};
  req.hdr.nlmsg_len = sizeof req;
  req.hdr.nlmsg_type = RTM_GETLINK;
  req.hdr.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  req.hdr.nlmsg_seq = ++seq_;
  req.ifi.ifi_family = AF_UNSPEC;
  struct sockaddr_nl kernel {};
  kernel.nl_family = AF_NETLINK;
  ssize_t sent;
  do {
    sent = ::sendto(fd_.get(), &req, sizeof req, 0, reinterpret_cast<struct sockaddr*>(&kernel), sizeof kernel);
  } while (sent < 0 && errno == EINTR);
  if (sent < 0) {
    *syscall = "sendto";
    return errno;
  }

  // Every datagram carries at least one message, so a dump of at most kMaxLinks
  // links ends within this many (the rest are a stale answer or the DONE).
  for (size_t datagrams = 0; datagrams < kMaxLinks + 64; ++datagrams) {
    struct sockaddr_nl from {};
    struct iovec iov {
      buf_.data(), buf_.size()
    };
    struct msghdr msg {};
    msg.msg_name = &from;
    msg.msg_namelen = sizeof from;
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    ssize_t n = ::recvmsg(fd_.get(), &msg, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      *syscall = "recvmsg";
      return errno == EWOULDBLOCK ? EAGAIN : errno;
    }
    if ((msg.msg_flags & MSG_TRUNC) != 0) {
      ++stats_.truncated;
      if (buf_.size() >= kMaxBuffer) return EMSGSIZE;
      buf_.resize(buf_.size() * 2);
      fd_.Reset();  // the rest of this dump is still queued on the socket
      return -1;
    }
    if (from.nl_pid != 0) {
      ++stats_.skipped;  // not from the kernel
      continue;
    }
    ParseResult r = ParseLinkReply(buf_.data(), static_cast<size_t>(n), seq_, port_, kMaxLinks, out);
    stats_.skipped += r.skipped;
    switch (r.status) {
      case ParseStatus::kMore: break;
      case ParseStatus::kDone:
        if (r.interrupted) {
          ++stats_.interrupted;
          return -1;
        }
        return 0;
      case ParseStatus::kError: return r.error;
      case ParseStatus::kCorrupt: return EBADMSG;
      case ParseStatus::kTooMany: return E2BIG;
    }
    if (r.interrupted) {
      // Read to the end of this dump first would cost more than starting over.
      ++stats_.interrupted;
      fd_.Reset();
      return -1;
    }
  }
  return EBADMSG;
}

int LinkDumper::Dump(std::vector<LinkRecord>& out, const char** syscall) {
  *syscall = "";
  int rc = EAGAIN;
  for (int attempt = 0; attempt < kMaxAttempts; ++attempt) {
    out.clear();
    rc = Attempt(out, syscall);
    if (rc != -1) break;
    rc = EAGAIN;
  }
  if (rc != 0) {
    out.clear();
    fd_.Reset();
    ++stats_.failures;
    return rc;
  }
  ++stats_.dumps;
  if (!keep_open_) fd_.Reset();
  return 0;
}

}  // namespace net
}  // namespace outrider
