// libFuzzer target: the rtnetlink link reply parser (net/netlink_link.h) on
// bytes it does not control. The datagram is copied to a buffer of its exact
// size so ASan catches any read past it; the parser must return a status for
// every input and keep every string within its bound.
// Input: u8 max-links (0..255), then the datagram. Sequence 1, port 0.
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

#include "net/netlink_link.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace net = outrider::net;
  if (size < 1) return 0;
  size_t max_links = data[0];
  data += 1;
  size -= 1;
  std::unique_ptr<uint8_t[]> copy(new uint8_t[size == 0 ? 1 : size]);
  if (size > 0) std::memcpy(copy.get(), data, size);
  std::vector<net::LinkRecord> links;
  net::ParseResult r = net::ParseLinkReply(copy.get(), size, 1, 0, max_links, links);
  if (links.size() > max_links) std::abort();
  for (const net::LinkRecord& l : links) {
    if (l.name.empty() || l.name.size() > 64 || l.ifalias.size() > 256 || l.address.size() > 32 * 3) std::abort();
  }
  if (r.status == net::ParseStatus::kError && r.error <= 0) std::abort();
  return 0;
}
