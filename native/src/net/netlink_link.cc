#include "net/netlink_link.h"

#include <cmath>
#include <cstring>

namespace outrider {
namespace net {
namespace {

// Kernel ABI numbers (linux/netlink.h, linux/rtnetlink.h, linux/if_link.h),
// spelled out so older system headers build the same parser.
constexpr uint16_t kNlmsgNoop = 1;
constexpr uint16_t kNlmsgError = 2;
constexpr uint16_t kNlmsgDone = 3;
constexpr uint16_t kRtmNewlink = 16;
constexpr uint16_t kNlmFDumpIntr = 0x10;
constexpr size_t kNlmsgHdr = 16;
constexpr size_t kIfinfomsg = 16;
constexpr size_t kRtaHdr = 4;
constexpr uint16_t kNlaTypeMask = 0x3fff;  // drops NLA_F_NESTED and NLA_F_NET_BYTEORDER

constexpr uint16_t kIflaAddress = 1;
constexpr uint16_t kIflaBroadcast = 2;
constexpr uint16_t kIflaIfname = 3;
constexpr uint16_t kIflaMtu = 4;
constexpr uint16_t kIflaLink = 5;
constexpr uint16_t kIflaTxqlen = 13;
constexpr uint16_t kIflaOperstate = 16;
constexpr uint16_t kIflaLinkmode = 17;
constexpr uint16_t kIflaIfalias = 20;
constexpr uint16_t kIflaStats64 = 23;
constexpr uint16_t kIflaGroup = 27;
constexpr uint16_t kIflaPromiscuity = 30;
constexpr uint16_t kIflaCarrier = 33;
constexpr uint16_t kIflaCarrierChanges = 35;
constexpr uint16_t kIflaCarrierUpCount = 47;
constexpr uint16_t kIflaCarrierDownCount = 48;
constexpr uint16_t kIflaAllmulti = 61;

// Longest name, alias and hardware address kept (IFNAMSIZ, IFALIASZ, MAX_ADDR_LEN
// with room to spare); a longer one is cut, never read past its attribute.
constexpr size_t kMaxName = 64;
constexpr size_t kMaxAlias = 256;
constexpr size_t kMaxAddr = 32;

constexpr size_t Align4(size_t n) { return (n + 3) & ~static_cast<size_t>(3); }

uint16_t U16(const uint8_t* p) {
  uint16_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
uint32_t U32(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
uint64_t U64(const uint8_t* p) {
  uint64_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

// A NUL-terminated (or not) string attribute, cut at its first NUL and at `max`.
std::string Text(const uint8_t* p, size_t n, size_t max) {
  if (n > max) n = max;
  const void* nul = std::memchr(p, 0, n);
  if (nul != nullptr) n = static_cast<size_t>(static_cast<const uint8_t*>(nul) - p);
  return std::string(reinterpret_cast<const char*>(p), n);
}

// sysfs_format_mac(): "%*phC", lower-case hex pairs joined by ':'.
std::string Mac(const uint8_t* p, size_t n) {
  static const char kHex[] = "0123456789abcdef";
  if (n > kMaxAddr) n = kMaxAddr;
  std::string s;
  s.reserve(n * 3);
  for (size_t i = 0; i < n; ++i) {
    if (i > 0) s.push_back(':');
    s.push_back(kHex[p[i] >> 4]);
    s.push_back(kHex[p[i] & 0xf]);
  }
  return s;
}

// The attributes of one RTM_NEWLINK; false when one overruns the message.
bool ParseAttrs(const uint8_t* p, size_t n, LinkRecord& link) {
  while (n >= kRtaHdr) {
    size_t rta_len = U16(p);
    uint16_t type = U16(p + 2) & kNlaTypeMask;
    if (rta_len < kRtaHdr || rta_len > n) return false;
    const uint8_t* v = p + kRtaHdr;
    size_t vn = rta_len - kRtaHdr;
    auto u32 = [&](int field) {
      if (vn >= 4) link.nums[field] = U32(v);
    };
    auto u8 = [&](int field) {
      if (vn >= 1) link.nums[field] = v[0];
    };
    switch (type) {
      case kIflaIfname: link.name = Text(v, vn, kMaxName); break;
      case kIflaAddress: link.address = Mac(v, vn); break;
      case kIflaBroadcast: link.broadcast = Mac(v, vn); break;
      case kIflaIfalias: link.ifalias = Text(v, vn, kMaxAlias); break;
      case kIflaMtu: u32(kLinkMtu); break;
      case kIflaLink: u32(kLinkLink); break;
      case kIflaTxqlen: u32(kLinkTxqlen); break;
      case kIflaGroup: u32(kLinkGroup); break;
      case kIflaPromiscuity: u32(kLinkPromiscuity); break;
      case kIflaAllmulti: u32(kLinkAllmulti); break;
      case kIflaCarrierChanges: u32(kLinkCarrierChanges); break;
      case kIflaCarrierUpCount: u32(kLinkCarrierUp); break;
      case kIflaCarrierDownCount: u32(kLinkCarrierDown); break;
      case kIflaOperstate: u8(kLinkOperstate); break;
      case kIflaLinkmode: u8(kLinkMode); break;
      case kIflaCarrier: u8(kLinkCarrier); break;
      case kIflaStats64: {
        size_t count = vn / 8;
        if (count > kStats64Fields) count = kStats64Fields;
        for (size_t i = 0; i < count; ++i) link.nums[kLinkStats64 + i] = static_cast<double>(U64(v + i * 8));
        break;
      }
      default: break;  // an attribute this parser does not use
    }
    size_t step = Align4(rta_len);
    if (step >= n) break;
    p += step;
    n -= step;
  }
  return true;
}

}  // namespace

ParseResult ParseLinkReply(const uint8_t* data, size_t len, uint32_t seq, uint32_t port, size_t max_links,
                           std::vector<LinkRecord>& out) {
  ParseResult r;
  const uint8_t* p = data;
  size_t n = len;
  while (n >= kNlmsgHdr) {
    size_t msg_len = U32(p);
    uint16_t type = U16(p + 4);
    uint16_t flags = U16(p + 6);
    if (msg_len < kNlmsgHdr || msg_len > n) {
      r.status = ParseStatus::kCorrupt;
      return r;
    }
    const uint8_t* body = p + kNlmsgHdr;
    size_t body_len = msg_len - kNlmsgHdr;
    if (U32(p + 8) != seq || U32(p + 12) != port) {
      ++r.skipped;  // an answer to an earlier request, or not for this socket
    } else {
      if ((flags & kNlmFDumpIntr) != 0) r.interrupted = true;
      if (type == kNlmsgDone) {
        r.status = ParseStatus::kDone;
        return r;
      }
      if (type == kNlmsgError) {
        // struct nlmsgerr: int error (negative errno, 0 for an acknowledgement), then the request's header.
        if (body_len < 4) {
          r.status = ParseStatus::kCorrupt;
          return r;
        }
        int32_t err;
        std::memcpy(&err, body, sizeof err);
        if (err != 0) {
          r.status = ParseStatus::kError;
          r.error = err < 0 && err > -4096 ? -err : 5;  // EIO for a value no errno has
          return r;
        }
      } else if (type == kRtmNewlink) {
        if (body_len < kIfinfomsg) {
          r.status = ParseStatus::kCorrupt;
          return r;
        }
        if (out.size() >= max_links) {
          r.status = ParseStatus::kTooMany;
          return r;
        }
        LinkRecord link;
        for (double& d : link.nums) d = std::nan("");
        int32_t index;
        std::memcpy(&index, body + 4, sizeof index);
        link.nums[kLinkType] = U16(body + 2);
        link.nums[kLinkIndex] = index;
        link.nums[kLinkFlags] = U32(body + 8);
        if (!ParseAttrs(body + kIfinfomsg, body_len - kIfinfomsg, link)) {
          r.status = ParseStatus::kCorrupt;
          return r;
        }
        if (link.name.empty()) {
          ++r.skipped;
        } else {
          out.push_back(std::move(link));
        }
      } else if (type != kNlmsgNoop) {
        ++r.skipped;
      }
    }
    size_t step = Align4(msg_len);
    if (step >= n) break;
    p += step;
    n -= step;
  }
  return r;
}

}  // namespace net
}  // namespace outrider
