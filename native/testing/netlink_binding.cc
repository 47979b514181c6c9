// Testing addon: the rtnetlink link reply parser (net/netlink_link.h) on
// crafted datagrams (truncated messages, bad lengths, foreign sequence
// numbers), which the agent only ever feeds from the kernel.
//
// Exports:
//   netlinkParseLinks(bytes, seq, port, maxLinks) -> { status: 'more'|'done'|
//     'error'|'corrupt'|'too-many', error, interrupted, skipped, strings, nums }
//   strings and nums are laid out as the production addon's dumpLinks() gives
//   them (native/src/netlink_binding.cc).
#include <napi.h>

#include <vector>

#include "net/netlink_link.h"
#include "netlink_js.h"
#include "registry.h"
#include "thread_job.h"  // GetBytes, ThrowCoded

namespace outrider {
namespace {

const char* StatusName(net::ParseStatus s) {
  switch (s) {
    case net::ParseStatus::kMore: return "more";
    case net::ParseStatus::kDone: return "done";
    case net::ParseStatus::kError: return "error";
    case net::ParseStatus::kCorrupt: return "corrupt";
    case net::ParseStatus::kTooMany: return "too-many";
  }
  return "corrupt";
}

Napi::Value ParseLinksJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint8_t* data = nullptr;
  size_t len = 0;
  if (!GetBytes(info[0], &data, &len) || !info[1].IsNumber() || !info[2].IsNumber() || !info[3].IsNumber()) {
    return ThrowCoded(env, "EINVAL", "netlinkParseLinks(bytes, seq, port, maxLinks) expected");
  }
  std::vector<net::LinkRecord> links;
  net::ParseResult r =
      net::ParseLinkReply(data, len, info[1].As<Napi::Number>().Uint32Value(), info[2].As<Napi::Number>().Uint32Value(),
                          info[3].As<Napi::Number>().Uint32Value(), links);
  Napi::Object out = Napi::Object::New(env);
  out.Set("status", Napi::String::New(env, StatusName(r.status)));
  out.Set("error", Napi::Number::New(env, r.error));
  out.Set("interrupted", Napi::Boolean::New(env, r.interrupted));
  out.Set("skipped", Napi::Number::New(env, r.skipped));
  SetLinks(env, out, links);
  return out;
}

void InitNetlinkTesting(Napi::Env env, Napi::Object exports) {
  exports.Set("netlinkParseLinks", Napi::Function::New(env, ParseLinksJs, "netlinkParseLinks"));
}

}  // namespace

OUTRIDER_REGISTER_BINDING(netlink_testing, InitNetlinkTesting);

}  // namespace outrider
