// sd_notify(3) without libsystemd: one datagram on an AF_UNIX socket to
// $NOTIFY_SOCKET (a filesystem path, or an abstract name written "@name").
#pragma once

#include <string>

namespace outrider {
namespace notify {

// Sends `state` ("READY=1\nSTATUS=...") to `socket_path`. Returns 0 or an
// errno (EINVAL for a malformed path). Never blocks: MSG_DONTWAIT.
int SdNotify(const std::string& socket_path, const std::string& state);

// Test helper: binds a datagram socket at `path` (abstract with "@"); returns
// the fd or -errno.
int BindUnixDgram(const std::string& path);

// Waits up to timeout_ms for one datagram; 1 received, 0 timed out, -errno.
int RecvUnixDgram(int fd, int timeout_ms, std::string* out);

}  // namespace notify
}  // namespace outrider
