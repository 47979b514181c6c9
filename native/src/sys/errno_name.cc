// Implementation of errno_name.h.
#include "sys/errno_name.h"

#include <cstring>

namespace outrider {
namespace sys {

std::string ErrnoName(int err) {
  const char* name = strerrorname_np(err);
  return name != nullptr ? std::string(name) : "E" + std::to_string(err);
}

}  // namespace sys
}  // namespace outrider
