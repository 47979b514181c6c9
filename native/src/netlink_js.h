// The links of an rtnetlink dump as JavaScript sees them: `strings` (name,
// address, broadcast, ifalias: four per link) and `nums` (net::kLinkFieldCount
// numbers per link, net::LinkField order). Shared by the production addon's
// dumpLinks() and the testing addon's parser face, so both give one layout.
#pragma once

#include <napi.h>

#include <cstring>
#include <vector>

#include "net/netlink_link.h"

namespace outrider {

inline void SetLinks(Napi::Env env, Napi::Object out, const std::vector<net::LinkRecord>& links) {
  Napi::Array strings = Napi::Array::New(env, links.size() * 4);
  Napi::Float64Array nums = Napi::Float64Array::New(env, links.size() * net::kLinkFieldCount);
  for (size_t i = 0; i < links.size(); ++i) {
    const net::LinkRecord& l = links[i];
    uint32_t s = static_cast<uint32_t>(i * 4);
    strings.Set(s, Napi::String::New(env, l.name));
    strings.Set(s + 1, Napi::String::New(env, l.address));
    strings.Set(s + 2, Napi::String::New(env, l.broadcast));
    strings.Set(s + 3, Napi::String::New(env, l.ifalias));
    std::memcpy(nums.Data() + i * net::kLinkFieldCount, l.nums, sizeof l.nums);
  }
  out.Set("strings", strings);
  out.Set("nums", nums);
}

}  // namespace outrider
