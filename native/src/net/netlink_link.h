// Parser of rtnetlink RTM_NEWLINK replies (the answer to an RTM_GETLINK dump).
// No system calls and no Node-API: it reads bytes the kernel wrote, and is
// fuzzed (native/fuzz/netlink/) as if anyone had written them.
//
// A reply datagram holds netlink messages back to back:
//
//   struct nlmsghdr { u32 len; u16 type; u16 flags; u32 seq; u32 pid; }   16 bytes
//   payload, padded to 4 bytes (NLMSG_ALIGN)
//
// RTM_NEWLINK's payload is struct ifinfomsg (16 bytes: family, pad, u16 type,
// i32 index, u32 flags, u32 change) followed by attributes:
//
//   struct rtattr { u16 len; u16 type; }   then len - 4 bytes, padded to 4
//
// Every length is checked against what is left of its container before it is
// used: a message or attribute that claims more than is there ends the parse
// (kCorrupt); an attribute too short for its type is left out; unknown
// attributes and messages of another sequence number or port are skipped
// (counted). Values are host byte order, as netlink's are.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace outrider {
namespace net {

// The numeric fields of one link, in this order; the JS side reads them at
// the same indices (agent/native/netlink.ts). Absent fields are NaN.
enum LinkField : int {
  kLinkIndex = 0,       // ifinfomsg.ifi_index
  kLinkType,            // ifinfomsg.ifi_type (ARPHRD_*)
  kLinkFlags,           // ifinfomsg.ifi_flags (dev_get_flags(): RUNNING, LOWER_UP, DORMANT computed)
  kLinkMtu,             // IFLA_MTU
  kLinkOperstate,       // IFLA_OPERSTATE (IF_OPER_*)
  kLinkCarrier,         // IFLA_CARRIER
  kLinkCarrierChanges,  // IFLA_CARRIER_CHANGES
  kLinkCarrierUp,       // IFLA_CARRIER_UP_COUNT (Linux 4.16+)
  kLinkCarrierDown,     // IFLA_CARRIER_DOWN_COUNT (Linux 4.16+)
  kLinkTxqlen,          // IFLA_TXQLEN
  kLinkGroup,           // IFLA_GROUP
  kLinkMode,            // IFLA_LINKMODE
  kLinkLink,            // IFLA_LINK (only when it differs from the index)
  kLinkPromiscuity,     // IFLA_PROMISCUITY
  kLinkAllmulti,        // IFLA_ALLMULTI (Linux 6.7+)
  kLinkStats64,         // first of kStats64Fields counters of IFLA_STATS64, struct order
  kLinkFieldCount = kLinkStats64 + 24,
};

// struct rtnl_link_stats64 up to rx_nohandler (24 u64); later kernels append more.
constexpr int kStats64Fields = 24;

struct LinkRecord {
  std::string name;       // IFLA_IFNAME
  std::string address;    // IFLA_ADDRESS as sysfs prints it: lower-case hex bytes joined by ':'
  std::string broadcast;  // IFLA_BROADCAST, the same way
  std::string ifalias;    // IFLA_IFALIAS
  double nums[kLinkFieldCount];
};

enum class ParseStatus { kMore, kDone, kError, kCorrupt, kTooMany };

struct ParseResult {
  ParseStatus status = ParseStatus::kMore;
  int error = 0;          // kError: the errno NLMSG_ERROR carried (positive)
  bool interrupted = false;  // a message carried NLM_F_DUMP_INTR: the list changed during the dump
  uint32_t skipped = 0;   // messages of another sequence/port, or RTM_NEWLINK without a name
};

// Parses one reply datagram, appending each link of sequence `seq` addressed
// to `port` to `out` (at most `max_links` in all: past it, kTooMany).
// kMore: the dump goes on in the next datagram; kDone: NLMSG_DONE was seen.
ParseResult ParseLinkReply(const uint8_t* data, size_t len, uint32_t seq, uint32_t port, size_t max_links,
                           std::vector<LinkRecord>& out);

}  // namespace net
}  // namespace outrider
