// Symbolic errno names ("EADDRINUSE"), the `code` the TS layer branches on.
#pragma once

#include <string>

namespace outrider {
namespace sys {

// "EPIPE" for EPIPE; "E<n>" when the C library knows no name.
std::string ErrnoName(int err);

}  // namespace sys
}  // namespace outrider
